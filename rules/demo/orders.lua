-- rules/demo/orders.lua: what counts as a problem with a reconciled order.
--
-- Each rule looks at one reconciled order `o` (docs/RULES.md, "Order
-- rules"): o.deal (the CRM deal, or nil), o.order (the order), o.erp (what
-- the ERP posted for it, or nil) and returns nil when all is well or
-- fail(CODE, message) when it is not. Every rule runs on every order,
-- including orders without a deal or without ERP documents, so each one
-- checks that the parts it needs are there.
--
-- The engine itself reports the structural breaks (a deal without order,
-- an order without deal or without ERP documents, ERP documents without
-- order, duplicates); these rules only judge what is there.
--
-- Amounts are money (exact); compare them with within(a, b, currency),
-- which applies the job's <tolerances> (0.01, JPY 1 in the demo job).

local function fmt(m)
  if m == nil then return "none" end
  return tostring(m)
end

-- Did the ERP post anything for the order? Drafts and cancelled documents
-- do not count; an order with nothing posted is ORDER_NOT_IN_ERP (or still
-- pending), reported by the engine, not an amount mismatch.
local function erp_posted(e)
  return e ~= nil and (e.invoices + e.credits + e.sales) > 0
end

-- 1. An order must carry an amount.
rule("order_has_amount", function(o)
  if o.order and o.order.amount == nil then
    return fail("MISSING_AMOUNT", "the order has no amount (total_amount is empty)")
  end
end)

-- 2. The order must be for what the deal was won for. Only compared in
-- the same currency: a currency difference is rule 4's finding.
rule("deal_order_amount", function(o)
  local d, r = o.deal, o.order
  if not (d and r and d.amount and r.amount) then return nil end
  if d.currency ~= r.currency then return nil end
  if not within(r.amount, d.amount, d.currency) then
    return fail("AMOUNT_MISMATCH_DEAL_ORDER",
                "deal " .. fmt(d.amount) .. " " .. d.currency ..
                ", order " .. fmt(r.amount) .. " " .. r.currency ..
                " (difference " .. fmt(r.amount - d.amount) .. ")")
  end
end)

-- 3. The ERP must have invoiced what was ordered: posted invoices minus
-- posted credit notes (or, before invoicing, the posted sales-order
-- document), with partial invoices summed by the engine.
rule("order_erp_amount", function(o)
  local r, e = o.order, o.erp
  if not (r and r.amount and erp_posted(e)) then return nil end
  if e.mixed_currency or e.currency ~= r.currency then return nil end
  -- a posted document without an amount: the ERP total is unknown
  -- (nil), never taken as if that document were 0
  if e.amount == nil then
    return fail("MISSING_AMOUNT",
                e.unpriced .. " posted ERP document(s) for this order have no amount, " ..
                "so the ERP total is unknown")
  end
  if not within(e.amount, r.amount, r.currency) then
    return fail("AMOUNT_MISMATCH_ORDER_ERP",
                "order " .. fmt(r.amount) .. " " .. r.currency ..
                ", ERP " .. fmt(e.amount) .. " (" .. e.invoices ..
                " invoice(s), " .. e.credits .. " credit note(s), " ..
                e.sales .. " sales order(s) posted; difference " ..
                fmt(e.amount - r.amount) .. ")")
  end
end)

-- 4. Deal, order and ERP documents must be in one currency.
rule("one_currency", function(o)
  local d, r, e = o.deal, o.order, o.erp
  if not r then return nil end
  if d and d.currency and r.currency and d.currency ~= r.currency then
    return fail("CURRENCY_MISMATCH",
                "deal in " .. d.currency .. ", order in " .. r.currency)
  end
  if e and e.mixed_currency then
    return fail("CURRENCY_MISMATCH",
                "the ERP posted documents in more than one currency for this order")
  end
  if e and e.currency and r.currency and e.currency ~= r.currency then
    return fail("CURRENCY_MISMATCH",
                "order in " .. r.currency .. ", ERP in " .. e.currency)
  end
end)

-- 5. The order must be for the deal's customer.
rule("same_customer", function(o)
  local d, r = o.deal, o.order
  if d and r and d.customer and r.customer and d.customer ~= r.customer then
    return fail("CUSTOMER_MISMATCH",
                "deal customer " .. d.customer .. ", order customer " .. r.customer)
  end
end)

-- 5b. Customers on credit hold: rules/demo/blocked_customers.csv, the
-- job's reference table blocked_customers (docs/RULES.md, "Reference
-- tables"). An order for one is reported even when everything agrees:
-- only the reference data knows.
rule("blocked_customer", function(o)
  local c = o.order and o.order.customer
  local b = c and ref.blocked_customers[c]
  if b then
    return fail("BLOCKED_CUSTOMER", "customer " .. c .. " is on credit " ..
                "hold since " .. b.since .. " (" .. b.reason .. ")")
  end
end)

-- 5c. Every posted invoice must be for the delivery the order agreed:
-- delivery_date is a site-defined field of the job (<fields> in
-- jobs/orders-nightly.xml, a date: epoch seconds at 00:00 UTC), set on
-- orders and ERP documents by translate.lua. Only dates that are there
-- are compared (older documents carry none).
local function ymd(t)
  -- epoch seconds -> "YYYY-MM-DD" (the sandbox has no os.date): days to
  -- a civil date, proleptic Gregorian calendar
  local z = t // 86400 + 719468
  local era = z // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return string.format("%04d-%02d-%02d", y, m, d)
end

rule("delivery_date", function(o)
  local r, e = o.order, o.erp
  local want = r and r.fields.delivery_date
  if not (want and e) then return nil end
  for _, doc in ipairs(e.docs) do
    local got = doc.fields.delivery_date
    if doc.status == "posted" and doc.doc_type == "invoice" and got and
       got ~= want then
      return fail("DELIVERY_DATE_MISMATCH",
                  "ERP invoice " .. doc.key .. " is for delivery on " ..
                  ymd(got) .. ", the order for " .. ymd(want))
    end
  end
end)

-- 6. A cancelled order must not stay invoiced (a full credit note makes
-- the net zero and is fine).
rule("cancelled_not_invoiced", function(o)
  local r, e = o.order, o.erp
  if r and r.status == "cancelled" and e and (e.invoices + e.credits) > 0 and
     not e.invoiced:is_zero() then
    return fail("CANCELLED_INVOICED",
                "the order is cancelled but the ERP has " .. fmt(e.invoiced) ..
                " invoiced (" .. e.invoices .. " invoice(s))")
  end
end)

-- 7. Every posted ERP document must be billed to the deal's customer (the
-- order's, when there is no deal). o.erp.docs lists the order's
-- documents one by one (by document key), so the finding names the
-- document. An order already made out to another customer than the
-- deal's is rule 5's finding, not repeated here for each document.
rule("erp_document_customer", function(o)
  local d, r, e = o.deal, o.order, o.erp
  if not (r and e) then return nil end
  local want = (d and d.customer) or r.customer
  if want == nil or (d and r.customer and r.customer ~= d.customer) then
    return nil
  end
  for _, doc in ipairs(e.docs) do
    if doc.status == "posted" and doc.customer and doc.customer ~= want then
      return fail("CUSTOMER_MISMATCH",
                  "ERP " .. doc.doc_type .. " " .. doc.key ..
                  " is billed to customer " .. doc.customer ..
                  ", the deal's customer is " .. want)
    end
  end
end)
