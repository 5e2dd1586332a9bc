-- Endless xpcall message handlers in a translate function (order SO-2)
-- and an order rule (order SO-1). Lua's own xpcall ran the handler where
-- the instruction limit does not apply, so the run hung; now each is a
-- RULE_ERROR with file:line and the run goes on. The line named is where
-- the function was when the limit stopped it: once xpcall has returned,
-- the next line that runs (14 and 21 here).
local function forever() while true do end end

local order_row_of_simple = order_row
function order_row(row, out)
  if row.order_no == "SO-2" then
    xpcall(error, forever)
  end
  return order_row_of_simple(row, out)
end

rule("handler_spins", function(o)
  if o.key == "SO-1" then
    xpcall(error, forever)
  end
end)
