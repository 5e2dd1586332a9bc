-- Rules for the run-driver unit tests (tests/unit/test_run.c).
function deal(row, out)
  out.key = key(row.id)
  out.amount = money(row.amount)
  out.currency = row.cur
  out.time = row.closed
  out.name = row.name
  out.status = "won"
end

function ord(row, out)
  out.key = key(row.id)
  if row.deal then out.deal_ref = key(row.deal) end
  if row.amount then out.amount = money(row.amount) end
  out.currency = row.cur
  out.time = row.created
  out.status = "open"
end

function doc(row, out)
  if row.id == "BOOM" then error("planted translation error") end
  out.key = row.id
  out.order_ref = key(row.ord)
  out.amount = money(row.amount)
  out.currency = row.cur
  out.time = row.dt
  out.doc_type = ({ INV = "invoice", CN = "credit_note" })[row.kind]
  out.status = ({ P = "posted", D = "draft" })[row.st]
end

rule("deal_order_amount", function(o)
  if o.deal and o.order and o.deal.amount and o.order.amount
     and o.deal.amount ~= o.order.amount then
    return fail("AMOUNT_MISMATCH_DEAL_ORDER",
                "deal " .. tostring(o.deal.amount) .. ", order " .. tostring(o.order.amount))
  end
end)

rule("site_specific", function(o)
  if o.key == "O4" then return fail("SITE_CHECK", "a site-defined code", "warning") end
end)
