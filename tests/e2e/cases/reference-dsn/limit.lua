-- The case's order rule: an order over its limit in the reference table
-- limits (a query on the ERP database, typed: DECIMAL, INTEGER, TIMESTAMP).
rule("within_limit", function(o)
  local l = o.order and ref.limits[o.order.key]
  if l and o.order.amount > money(l.max_amount) then
    return fail("OVER_LIMIT", "order " .. tostring(o.order.amount) ..
                " over its limit " .. tostring(money(l.max_amount)) ..
                " (limit " .. l.seq .. ", valid from " .. l.valid_from .. ")")
  end
end)
