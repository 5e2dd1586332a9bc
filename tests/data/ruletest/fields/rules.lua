-- Rules for test_ruletest.c's site-defined fields (fields_test.lua): the
-- job declares region (text: deal, order), tax (money: order, erp), qty
-- (integer: order), due (date: order, erp), seen (timestamp: erp) and
-- flag (boolean: every role).

function t_src(row, out)              -- an order
  out.key = row.id
  if row.mode == "table" then
    out.fields = {region = row.region, tax = row.tax, qty = row.qty,
                  due = row.due, flag = row.flag}
  elseif row.mode == "undeclared" then
    out.fields.colour = "red"
  elseif row.mode == "role" then
    out.fields.seen = row.seen
  else
    out.fields.qty = row.qty
  end
end

function t_vis(row, out)              -- a deal
  out.key = row.id
  out.fields.flag = row.flag
end

-- What the order rules read of the fields check() built, typed.
local function show(v)
  return tostring(v) .. ":" .. (math.type(v) or type(v))
end

rule("fields", function(o)
  if o.key ~= "F" then return end
  local p = {show(o.deal.fields.region), show(o.deal.fields.flag),
             show(o.order.fields.qty), show(o.order.fields.tax)}
  for _, d in ipairs(o.erp.docs) do
    p[#p + 1] = show(d.fields.tax) .. "/" .. show(d.fields.due) .. "/" ..
                show(d.fields.seen)
  end
  for _, r in ipairs(o.orders) do p[#p + 1] = show(r.fields.qty) end
  return fail("INFO", table.concat(p, " "), "info")
end)
