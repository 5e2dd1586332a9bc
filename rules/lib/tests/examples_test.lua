-- The worked examples of rules/README.md (rules/lib/examples.lua).
local function deal(over)
  local r = {deal_id = " deal-000123 ", amount = "1.234,56 EUR", currency = "EUR",
             title = "  Q4   licences ", customer = "Müller  GmbH",
             closed_at = at("2026-10-25 02:30:00")}
  for k, v in pairs(over or {}) do r[k] = v end
  return r
end

test("translate: a German CRM export", function()
  local r = translate("crm", deal())
  expect_eq(r.key, "123")
  expect_eq(r.amount, money("1234.56"))
  expect_eq(r.currency, "EUR")
  expect_eq(r.name, "Q4 licences")
  expect_eq(r.customer, "MULLER GMBH")
  expect_eq(r.time, date("2026-10-25T01:30:00Z"))     -- the later 02:30
end)

test("translate: a bad amount is the row's error, with the line", function()
  local ok, e = pcall(translate, "crm", deal{amount = "1.234,567"})
  expect(not ok)
  expect_eq(e, '../rules/lib/examples.lua:18: lib.money.parse: "1.234,567" has 3 decimal places, more than the 2 allowed; the library never rounds: pass {decimals = 3} if the source really has them')
end)

test("translate: orders get a due date ten business days on", function()
  local r = translate("orders", {order_no = " 00042 ", deal_ref = "D-123",
                                 total = money("99.90"), currency = "EUR",
                                 created_at = at("2026-12-18")})
  expect_eq(r.key, "00000042")
  expect_eq(r.deal_ref, "123")
  expect_eq(r.fields, {due = at("2027-01-04")})   -- Dec 25 and 26 are holidays (26th a Saturday)
end)

test("translate: Swiss ERP amounts, credit notes, customers", function()
  local row = {doc_no = "INV-1", order_ref = "42", amount = "(1'234.50)", currency = "CHF",
               customer = "C-0042", posted_at = at("2026-07-01 09:00:00")}
  local r = translate("erp", row)
  expect_eq(r.doc_type, "credit_note")
  expect_eq(r.amount, money("1234.50"))
  expect_eq(r.customer, "MULLER GMBH")
  expect_eq(r.time, date("2026-07-01T07:00:00Z"))
  expect_eq(r.fields, {due = at("2026-08-12")})   -- 30 business days, no holiday between
  row.customer = "C-0099"
  local ok, e = pcall(translate, "erp", row)
  expect(not ok)
  expect_eq(e, "../rules/lib/examples.lua:49: lib.ref.get: no row \"C-0099\" in reference table 'customers'; add it to the table, or pass a default")
end)

test("order rules: invoiced amount and lateness", function()
  local order = {key = "00000042", amount = "1234.56", currency = "EUR",
                 fields = {due = "2026-12-01"}}
  expect_codes(check{order = order, erp = {docs = {
    {key = "INV-1", status = "posted", doc_type = "invoice", amount = "1234.56",
     currency = "EUR", time = "2026-12-04"}}}}, {})
  local v = check{order = order, erp = {docs = {
    {key = "INV-1", status = "posted", doc_type = "invoice", amount = "1234.50",
     currency = "EUR", time = "2026-12-07"}}}}
  expect_codes(v, {"AMOUNT_MISMATCH_ORDER_ERP", "INVOICED_LATE"})
  for _, x in ipairs(v) do
    if x.code == "AMOUNT_MISMATCH_ORDER_ERP" then
      expect_eq(x.message, "order 1.234,56 vs invoiced 1.234,50 (difference 0,06)")
      -- what the report shows: lib.money.within's comparison
      expect_eq(x.difference, money("0.06"))
      expect_eq(x.tolerance, money("0.01"))
    else
      expect_eq(x.difference, nil)  -- no amount comparison behind it
      expect_eq(x.message, "invoice INV-1 posted 4 business days after 2026-12-01")
      expect_eq(x.severity, "warning")
    end
  end
end)

test("order rules: credit notes summed", function()
  local function doc(k, t, a, s)
    return {key = k, status = s or "posted", doc_type = t, amount = a, currency = "EUR",
            time = "2026-12-01"}
  end
  local order = {key = "00000042", amount = "100", currency = "EUR"}
  local v = check{order = order, erp = {docs = {doc("INV-1", "invoice", "100"),
    doc("CN-1", "credit_note", "60"), doc("CN-2", "credit_note", "50.01"),
    doc("CN-3", "credit_note", "500", "draft")}}}
  expect_codes(v, {"AMOUNT_MISMATCH_ORDER_ERP", "CREDITS_EXCEED_INVOICES"})
  for _, x in ipairs(v) do
    if x.code == "CREDITS_EXCEED_INVOICES" then
      expect_eq(x.message, "credit notes 110,01 exceed invoices 100,00")
    else
      expect_eq(x.message, "order 100,00 vs invoiced -10,01 (difference 110,01)")
    end
  end
  expect_codes(check{order = order, erp = {docs = {doc("INV-1", "invoice", "100"),
    doc("CN-1", "credit_note", "100")}}}, {"AMOUNT_MISMATCH_ORDER_ERP"})
end)
