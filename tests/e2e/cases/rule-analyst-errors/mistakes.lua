-- Two mistakes an analyst makes (issue 13): arithmetic on a NULL in a
-- translate function (order SO-2: its amount is set to nil first, as a
-- NULL column would be) and os.execute in an order rule (order SO-1).
-- Each is a RULE_ERROR under the record's key whose message names the
-- file:line, what is wrong and what to do; the run goes on.
local order_row_of_simple = order_row
function order_row(row, out)
  local amount = row.amount
  if row.order_no == "SO-2" then amount = nil end
  local doubled = amount * 2
  return order_row_of_simple(row, out)
end

rule("shells_out", function(o)
  if o.key == "SO-1" then
    os.execute("true")
  end
end)
