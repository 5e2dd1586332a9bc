-- Translate functions and one order rule for the e2e cases' default
-- tables (lib/*.sql). Columns already hold canonical values.

local function amount(v)
  if v == nil then return nil end
  return money(v)
end

function deal_row(row, out)
  out.key      = row.deal_id
  out.amount   = amount(row.amount)
  out.currency = row.currency
  out.time     = row.closed_at
  out.status   = "won"
end

function order_row(row, out)
  out.key      = row.order_no
  out.deal_ref = row.deal_ref
  out.amount   = amount(row.amount)
  out.currency = row.currency
  out.time     = row.created_at
  out.status   = row.status
end

function erp_row(row, out)
  out.key       = row.doc_id
  out.order_ref = row.order_ref
  out.doc_type  = row.kind
  out.status    = row.status
  out.amount    = amount(row.amount)
  out.currency  = row.currency
  out.time      = row.doc_date
end

rule("order_erp_amount", function(o)
  local r, e = o.order, o.erp
  -- a posted document without an amount: the ERP total is unknown (nil)
  if r and e and e.amount == nil and e.unpriced > 0 then
    return fail("MISSING_AMOUNT", e.unpriced .. " posted ERP document(s) without an amount")
  end
  if r and r.amount and e and (e.invoices + e.credits + e.sales) > 0 and
     not within(e.amount, r.amount, r.currency) then
    return fail("AMOUNT_MISMATCH_ORDER_ERP", "order " .. r.amount .. ", ERP " .. e.amount)
  end
end)
