-- Rules for test_ruletest.c's reference tests: t_src maps a customer
-- code through ref.customers; the order rule checks the mapping.
function t_src(row, out)
  out.key = row.id
  local c = ref.customers[row.cust]
  out.customer = c and c.account or "UNKNOWN"
  out.status = "open"
end

function t_vis(row, out)
  out.key = "V"
end

rule("customer_known", function(o)
  if o.order and not ref.customers[o.order.key] then
    return fail("UNMAPPED", "no customer for " .. o.order.key)
  end
end)
