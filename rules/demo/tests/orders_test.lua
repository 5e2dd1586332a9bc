-- Tests of rules/demo/orders.lua: every order rule, passing and failing.
-- check{...} runs all the rules on one reconciled order built here, so
-- each test also shows that the other rules stay quiet. The demo job's
-- tolerances apply: 0.01 in general, 1 for JPY.

-- A deal, its order and one posted invoice that agree in everything.
-- Override a field with a value, or with null to leave it unset.
local function deal(over)
  local d = {key = "D-123", customer = "C42", currency = "EUR",
             amount = money("1200.00"), status = "won"}
  for k, v in pairs(over or {}) do d[k] = v end
  return d
end

local function order(over)
  local r = {key = "SO-300123", deal_ref = "D-123", customer = "C42",
             currency = "EUR", amount = money("1200.00"), status = "open"}
  for k, v in pairs(over or {}) do r[k] = v end
  return r
end

local function invoiced(amount, over)
  local e = {invoices = 1, invoiced = amount, currency = "EUR"}
  for k, v in pairs(over or {}) do e[k] = v end
  return e
end

local function group(d, r, e)
  return {deal = d, order = r, erp = e}
end

test("a clean order passes every rule", function()
  expect_codes(check(group(deal(), order(), invoiced("1200.00"))), {})
end)

test("an order without deal or ERP documents passes every rule", function()
  expect_codes(check(group(nil, order(), nil)), {})
end)

-- 1. order_has_amount

test("order_has_amount: an order without amount is MISSING_AMOUNT", function()
  local v = check(group(deal(), order{amount = null}, invoiced("1200.00")))
  expect_codes(v, {"MISSING_AMOUNT"})
  expect_eq(v[1].rule, "order_has_amount")
  expect_eq(v[1].severity, "error")
  expect_eq(v[1].difference, nil)  -- no within() behind this verdict
end)

-- 2. deal_order_amount

test("deal_order_amount: a difference beyond 0.01 fails", function()
  local v = check(group(deal(), order{amount = "1150.00"}, invoiced("1150.00")))
  expect_codes(v, {"AMOUNT_MISMATCH_DEAL_ORDER"})
  expect_eq(v[1].message, "deal 1200.00 EUR, order 1150.00 EUR (difference -50.00)")
  -- the comparison the verdict rests on, as the reports show it
  expect_eq(v[1].difference, money("-50.00"))
  expect_eq(v[1].tolerance, money("0.01"))
end)

test("deal_order_amount: within the tolerance passes", function()
  expect_codes(check(group(deal(), order{amount = "1200.01"}, invoiced("1200.01"))), {})
  expect_codes(check(group(deal{currency = "JPY", amount = "150000"},
                           order{currency = "JPY", amount = "150001"},
                           invoiced("150001", {currency = "JPY"}))), {})
end)

test("deal_order_amount: JPY tolerance is 1 yen, not more", function()
  expect_codes(check(group(deal{currency = "JPY", amount = "150000"},
                           order{currency = "JPY", amount = "150002"},
                           invoiced("150002", {currency = "JPY"}))),
               {"AMOUNT_MISMATCH_DEAL_ORDER"})
end)

test("deal_order_amount: amounts in different currencies are not compared", function()
  expect_codes(check(group(deal{currency = "USD"}, order{amount = "999"},
                           invoiced("999"))),
               {"CURRENCY_MISMATCH"})
end)

-- 3. order_erp_amount

test("order_erp_amount: invoiced less than ordered fails", function()
  local v = check(group(deal(), order(), invoiced("1000.00")))
  expect_codes(v, {"AMOUNT_MISMATCH_ORDER_ERP"})
  expect(v[1].message:find("ERP 1000.00", 1, true), v[1].message)
end)

test("order_erp_amount: invoices minus credit notes are what counts", function()
  -- 1500 invoiced, 300 credited: 1200 net.
  expect_codes(check(group(deal(), order(),
                           invoiced("1200.00", {invoices = 2, credits = 1}))), {})
end)

test("order_erp_amount: before invoicing, the posted sales order counts", function()
  expect_codes(check(group(deal(), order(), {sales = 1, ordered = "1200.00",
                                             currency = "EUR"})), {})
  expect_codes(check(group(deal(), order(), {sales = 1, ordered = "1100.00",
                                             currency = "EUR"})),
               {"AMOUNT_MISMATCH_ORDER_ERP"})
end)

test("order_erp_amount: a posted invoice without an amount is MISSING_AMOUNT, not 0", function()
  local priced = {key = "INV-1", status = "posted", doc_type = "invoice",
                  customer = "C42", currency = "EUR", amount = "1200.00"}
  local blank = {key = "INV-2", status = "posted", doc_type = "invoice",
                 customer = "C42", currency = "EUR"}
  local v = check(group(deal(), order(), {docs = {priced, blank}}))
  expect_codes(v, {"MISSING_AMOUNT"})
  expect_eq(v[1].rule, "order_erp_amount")
  expect(v[1].message:find("1 posted ERP document(s)", 1, true), v[1].message)
  -- a draft without an amount is summed nowhere: no gap
  local draft = {key = "INV-3", status = "draft", doc_type = "invoice",
                 customer = "C42", currency = "EUR"}
  expect_codes(check(group(deal(), order(), {docs = {priced, draft}})), {})
end)

test("order_erp_amount: nothing posted (drafts only) is not a mismatch", function()
  expect_codes(check(group(deal(), order(), {drafts = 2, cancelled = 1})), {})
end)

-- 4. one_currency

test("one_currency: deal and order in different currencies", function()
  local v = check(group(deal{currency = "USD"}, order(), invoiced("1200.00")))
  expect_codes(v, {"CURRENCY_MISMATCH"})
  expect_eq(v[1].message, "deal in USD, order in EUR")
end)

test("one_currency: ERP documents in more than one currency", function()
  expect_codes(check(group(deal(), order(),
                           invoiced("1200.00", {mixed_currency = true}))),
               {"CURRENCY_MISMATCH"})
end)

test("one_currency: order and ERP in different currencies", function()
  local v = check(group(deal(), order(), invoiced("1200.00", {currency = "GBP"})))
  expect_codes(v, {"CURRENCY_MISMATCH"})
  expect_eq(v[1].message, "order in EUR, ERP in GBP")
end)

-- 5. same_customer

test("same_customer: deal and order for different customers", function()
  local v = check(group(deal(), order{customer = "C43"}, invoiced("1200.00")))
  expect_codes(v, {"CUSTOMER_MISMATCH"})
  expect_eq(v[1].message, "deal customer C42, order customer C43")
end)

test("same_customer: a missing customer is not compared", function()
  expect_codes(check(group(deal{customer = null}, order(), invoiced("1200.00"))), {})
end)

-- 5b. blocked_customer (rules/demo/blocked_customers.csv)

test("blocked_customer: an order for a customer on credit hold", function()
  local v = check(group(deal{customer = "C9140"}, order{customer = "C9140"},
                        invoiced("1200.00")))
  expect_codes(v, {"BLOCKED_CUSTOMER"})
  expect_eq(v[1].message, "customer C9140 is on credit hold since " ..
            "2026-10-15 (credit hold: insolvency proceedings, no deliveries)")
end)

test("blocked_customer: a test can give its own list", function()
  reference("blocked_customers", "customer",
            {{customer = "C42", since = "2026-11-01", reason = "test"}})
  expect_codes(check(group(deal(), order(), invoiced("1200.00"))),
               {"BLOCKED_CUSTOMER"})
end)

-- 5c. delivery_date (the job's site-defined field, <fields>)

local function docs(...)
  return {docs = {...}}
end

local function inv(key, due, over)
  local d = {key = key, status = "posted", doc_type = "invoice",
             customer = "C42", currency = "EUR", amount = "1200.00",
             fields = {delivery_date = due}}
  for k, v in pairs(over or {}) do d[k] = v end
  return d
end

test("delivery_date: an invoice for another delivery day fails, naming it", function()
  local v = check(group(deal(), order{fields = {delivery_date = "2026-11-09"}},
                        docs(inv("INV-41", "2026-11-12"))))
  expect_codes(v, {"DELIVERY_DATE_MISMATCH"})
  expect_eq(v[1].rule, "delivery_date")
  expect_eq(v[1].message,
            "ERP invoice INV-41 is for delivery on 2026-11-12, the order for 2026-11-09")
end)

test("delivery_date: the same day passes, and so do dates not there", function()
  local r = order{fields = {delivery_date = "2026-11-09"}}
  expect_codes(check(group(deal(), r, docs(inv("INV-1", "2026-11-09")))), {})
  expect_codes(check(group(deal(), r, docs(inv("INV-1", null)))), {})
  expect_codes(check(group(deal(), order(), docs(inv("INV-1", "2026-11-12")))), {})
end)

test("delivery_date: only posted invoices are compared", function()
  local r = order{fields = {delivery_date = "2026-11-09"}}
  local e = docs(inv("INV-1", "2026-11-09"),
                 inv("INV-2", "2026-12-01", {status = "draft"}),
                 inv("SO-1", "2026-12-01", {doc_type = "sales_order",
                                            amount = "0.00"}))
  expect_codes(check(group(deal(), r, e)), {})
end)

test("delivery_date: the second of two invoices is the one named", function()
  local half = {amount = "600.00"}
  local v = check(group(deal(), order{fields = {delivery_date = "2024-02-29"}},
                        docs(inv("INV-1", "2024-02-29", half),
                             inv("INV-2", "1969-12-31", half))))
  expect_codes(v, {"DELIVERY_DATE_MISMATCH"})
  expect_eq(v[1].message,
            "ERP invoice INV-2 is for delivery on 1969-12-31, the order for 2024-02-29")
end)

-- 6. cancelled_not_invoiced

test("cancelled_not_invoiced: a cancelled order still invoiced fails", function()
  local v = check(group(deal(), order{status = "cancelled"}, invoiced("1200.00")))
  expect_codes(v, {"CANCELLED_INVOICED"})
  expect_eq(v[1].rule, "cancelled_not_invoiced")
end)

test("cancelled_not_invoiced: fully credited is fine", function()
  -- 1200 invoiced and 1200 credited: nothing stays invoiced. (Rule 3 still
  -- compares the order's 1200 with the net 0; that is its own finding.)
  local v = check(group(deal(), order{status = "cancelled"},
                        invoiced("0", {credits = 1})))
  for _, x in ipairs(v) do
    expect(x.code ~= "CANCELLED_INVOICED", x.message)
  end
end)

test("cancelled_not_invoiced: cancelled before invoicing is fine", function()
  expect_codes(check(group(deal(), order{status = "cancelled"}, nil)), {})
end)

-- Several findings on one order are all reported.

test("several rules can fail on one order", function()
  expect_codes(check(group(deal{customer = "C9"},
                           order{status = "cancelled", amount = "1000.00"},
                           invoiced("900.00"))),
               {"AMOUNT_MISMATCH_DEAL_ORDER", "AMOUNT_MISMATCH_ORDER_ERP",
                "CUSTOMER_MISMATCH", "CANCELLED_INVOICED"})
end)

-- 7. erp_document_customer: per document, from o.erp.docs
local function doc(over)
  local x = {key = "INV-1", order_ref = "SO-300123", customer = "C42",
             currency = "EUR", amount = money("1200.00"), status = "posted",
             doc_type = "invoice"}
  for k, v in pairs(over or {}) do x[k] = v end
  return x
end

test("documents billed to the deal's customer pass", function()
  local v = check(group(deal(), order(),
                        {docs = {doc{key = "SO-1", doc_type = "sales_order"},
                                 doc()}}))
  expect_codes(v, {})
end)

test("a posted invoice billed to another customer is CUSTOMER_MISMATCH naming it", function()
  local v = check(group(deal(), order(),
                        {docs = {doc{key = "SO-1", doc_type = "sales_order"},
                                 doc{key = "INV-7", customer = "C43"}}}))
  expect_codes(v, {"CUSTOMER_MISMATCH"})
  expect(v[1].message:find("INV-7", 1, true), v[1].message)
  expect_eq(v[1].rule, "erp_document_customer")
end)

test("a draft billed to another customer is not judged", function()
  local v = check(group(deal(), order(),
                        {docs = {doc(), doc{key = "INV-8", customer = "C43",
                                            status = "draft"}}}))
  expect_codes(v, {})
end)

test("an order made out to another customer is reported once, by rule 5", function()
  local v = check(group(deal(), order{customer = "C43"},
                        {docs = {doc{customer = "C43"}}}))
  expect_codes(v, {"CUSTOMER_MISMATCH"})
  expect_eq(v[1].rule, "same_customer")
end)

test("without a deal the order's customer is the reference", function()
  local v = check(group(nil, order(), {docs = {doc{customer = "C9"}}}))
  expect_codes(v, {"CUSTOMER_MISMATCH"})
end)
