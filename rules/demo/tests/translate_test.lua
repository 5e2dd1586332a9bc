-- Tests of rules/demo/translate.lua: run with `recon test jobs/orders-nightly.xml`
-- (or `make rules-test`). Each helper below builds a row with every column
-- of its source's query in jobs/orders-nightly.xml, as the database would
-- hand it over; a test overrides the columns it is about.

local function with(base, over)
  local row = {}
  for k, v in pairs(base) do row[k] = v end
  for k, v in pairs(over or {}) do row[k] = v end
  return row
end

local function crm(over)
  return with({
    deal_id = "D-000123", deal_name = "Müller GmbH annual licence",
    account_code = "acc-0042", amount = money("1200.00"), currency_id = 1,
    stage = "Closed Won", closed_at = at("2026-10-01 09:30:00"),
  }, over)
end

local function order(over)
  return with({
    order_no = "SO-300123", crm_deal_ref = "D-000123", customer_code = "C0042",
    total_amount = money("1200.00"), currency = "EUR", status = "NEW",
    created_at = at("2026-10-02 11:00:00"), delivery_date = at("2026-10-09"),
  }, over)
end

local function erp(over)
  return with({
    doc_id = "INV-77", doc_kind = "INV", order_ref = "SO-300123",
    customer_id = "CUST-42", net_amount = money("1200.00"),
    legacy_amount = null, currency = "EUR", doc_status = "P",
    doc_date = at("2026-10-05 00:00:00"), delivery_date = at("2026-10-09"),
  }, over)
end

-- ---- deal_from_crm (source crm) -------------------------------------

test("crm: a won deal becomes a canonical deal", function()
  expect_eq(translate("crm", crm()), {
    key = "D-123", customer = "C42", currency = "EUR",
    amount = money("1200.00"), time = date("2026-10-01 09:30:00"),
    status = "won", name = "Müller GmbH annual licence",
  })
end)

test("crm: deal keys are normalised", function()
  for _, id in ipairs{"D-000123", " d-000123", "D000123 ", "d-123", "D 123"} do
    expect_eq(translate("crm", crm{deal_id = id}).key, "D-123", id)
  end
end)

test("crm: currency ids map to ISO codes", function()
  local want = {"EUR", "USD", "GBP", "JPY", "CHF", "SEK"}
  for id, code in ipairs(want) do
    expect_eq(translate("crm", crm{currency_id = id}).currency, code)
  end
end)

test("crm: an unknown currency id is a rule error, never a guess", function()
  local ok, err = pcall(translate, "crm", crm{currency_id = 99})
  expect(not ok, "currency id 99 was accepted")
  expect(err:find("translate.lua:%d+: unknown CRM currency id 99"), err)
end)

test("crm: account codes and aliases give the canonical customer", function()
  expect_eq(translate("crm", crm{account_code = "acc-0042"}).customer, "C42")
  expect_eq(translate("crm", crm{account_code = " ACC-42 "}).customer, "C42")
  expect_eq(translate("crm", crm{account_code = "acc-mueller"}).customer, "C7")
  expect_eq(translate("crm", crm{account_code = null}).customer, nil)
end)

test("crm: lost deals are skipped", function()
  expect_eq(translate("crm", crm{stage = "Closed Lost"}), false)
end)

test("crm: amounts as money, as decimal text, or missing", function()
  expect_eq(translate("crm", crm{amount = "99.90"}).amount, money("99.90"))
  expect_eq(translate("crm", crm{amount = null}).amount, nil)
end)

-- ---- order_from_db (source orders) ----------------------------------

test("orders: an order becomes a canonical order", function()
  expect_eq(translate("orders", order()), {
    key = "SO-300123", deal_ref = "D-123", customer = "C42", currency = "EUR",
    amount = money("1200"), time = date("2026-10-02 11:00:00"),
    status = "open", fields = {delivery_date = date("2026-10-09")},
  })
end)

test("orders: order keys and deal references are normalised", function()
  for _, no in ipairs{"SO-300123", "SO00300123  ", "so-300123", " so 300123"} do
    expect_eq(translate("orders", order{order_no = no}).key, "SO-300123", no)
  end
  for _, ref in ipairs{"D-000123", "d123", " D-123 "} do
    expect_eq(translate("orders", order{crm_deal_ref = ref}).deal_ref, "D-123", ref)
  end
  expect_eq(translate("orders", order{crm_deal_ref = null}).deal_ref, nil)
end)

test("orders: statuses map onto canonical ones", function()
  local want = {NEW = "open", SHIPPED = "fulfilled", CANCELLED = "cancelled",
                shipped = "fulfilled", [" New "] = "open"}
  for code, status in pairs(want) do
    expect_eq(translate("orders", order{status = code}).status, status, code)
  end
end)

test("orders: an unknown status is a rule error", function()
  local ok, err = pcall(translate, "orders", order{status = "ON_HOLD"})
  expect(not ok, "status ON_HOLD was accepted")
  expect(err:find("translate.lua:%d+: unknown order status 'ON_HOLD'"), err)
end)

test("orders: customer codes and currencies are normalised", function()
  local r = translate("orders", order{customer_code = "c-0042", currency = " eur"})
  expect_eq(r.customer, "C42")
  expect_eq(r.currency, "EUR")
end)

test("orders: a missing amount stays missing", function()
  expect_eq(translate("orders", order{total_amount = null}).amount, nil)
end)

test("orders: a missing delivery date leaves the field unset", function()
  expect_eq(translate("orders", order{delivery_date = null}).fields, nil)
end)

test("orders: a delivery date given as text is a date too", function()
  expect_eq(translate("orders", order{delivery_date = "2026-10-09"}).fields,
            {delivery_date = date("2026-10-09")})
end)

-- ---- erp_document (source erp) --------------------------------------

test("erp: a posted invoice becomes a canonical ERP document", function()
  expect_eq(translate("erp", erp()), {
    key = "INV-77", order_ref = "SO-300123", customer = "C42",
    currency = "EUR", amount = money("1200"), time = date("2026-10-05"),
    status = "posted", doc_type = "invoice",
    fields = {delivery_date = date("2026-10-09")},
  })
end)

test("erp: a delivery date with a time of day is a rule error", function()
  local ok, err = pcall(translate, "erp", erp{delivery_date = at("2026-10-09 12:00:00")})
  expect(not ok, "a delivery date at noon was accepted")
  expect(err:find("delivery_date", 1, true) and err:find("time of day", 1, true), err)
end)

test("erp: document kinds and statuses map onto canonical ones", function()
  local kinds = {SO = "sales_order", INV = "invoice", CN = "credit_note"}
  for code, kind in pairs(kinds) do
    expect_eq(translate("erp", erp{doc_kind = code}).doc_type, kind, code)
  end
  local statuses = {D = "draft", P = "posted", X = "cancelled"}
  for code, status in pairs(statuses) do
    expect_eq(translate("erp", erp{doc_status = code}).status, status, code)
  end
end)

test("erp: unknown kinds or statuses are rule errors", function()
  local ok, err = pcall(translate, "erp", erp{doc_kind = "PO"})
  expect(not ok and err:find("unknown ERP document kind/status 'PO'/'P'"), err)
  ok, err = pcall(translate, "erp", erp{doc_status = "Z"})
  expect(not ok and err:find("unknown ERP document kind/status 'INV'/'Z'"), err)
end)

test("erp: a document without an order reference is a rule error", function()
  local ok, err = pcall(translate, "erp", erp{order_ref = null})
  expect(not ok and err:find("ERP document without an order reference"), err)
end)

test("erp: order references and customer ids are normalised", function()
  local r = translate("erp", erp{order_ref = "so00300123 ", customer_id = "cust-0042"})
  expect_eq(r.order_ref, "SO-300123")
  expect_eq(r.customer, "C42")
end)

test("erp: credit notes stored negative come out positive", function()
  local r = translate("erp", erp{doc_kind = "CN", net_amount = money("-200.00")})
  expect_eq(r.doc_type, "credit_note")
  expect_eq(r.amount, money("200"))
end)

test("erp: migrated documents fall back to the legacy text amount", function()
  expect_eq(translate("erp", erp{net_amount = null, legacy_amount = "1200.50"}).amount,
            money("1200.50"))
  expect_eq(translate("erp", erp{net_amount = null, legacy_amount = null}).amount, nil)
  local ok, err = pcall(translate, "erp", erp{net_amount = null,
                                              legacy_amount = "1.234,50"})
  expect(not ok and err:find("money%(\"1.234,50\"%)"), err)
end)
