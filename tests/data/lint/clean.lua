-- Nothing to report (test_lint.c): locals, upvalues, nested functions,
-- library calls, method calls, globals another file sets, a global set
-- inside a function, verdicts returned through a helper.
local STAGE = {W = "won", L = "cancelled"}
local function trim(s) return (s:gsub("^%s+", "")) end
local counter = 0

function deal_from_crm(row, out)
  local x = {fields = 1, amout = 2}   -- a table of the rule's own
  counter = counter + x.amout
  out.key = key(trim(row.id))
  out.status = STAGE[row.stage] or "open"
  out.amount = money(row.amount)
  out.fields.region = string.upper(row.region)
  out.time = date(row.closed) + math.floor(3 / 2)
  last_seen = row.id
  if x.fields then out.fields = {region = "x"} end
end

local function amount_check(o)
  local d = o.deal
  if d and d.amount and not within(d.amount, o.order.amount, d.currency) then
    return fail("AMOUNT_MISMATCH_DEAL_ORDER", "differ")
  end
end

rule("through_helper", function(o) return amount_check(o) end)

rule("loops", function(o)
  for i, r in ipairs(o.orders) do
    if r.key ~= o.order.key and i > 1 then
      return fail("SECOND_ORDER", "also " .. r.key .. " " .. tostring(LIMIT))
    end
  end
  for _, v in pairs({a = 1}) do
    if v.whatever then return nil end
  end
  local e = o.erp
  if e and e.invoices > 0 and o.order.status == "cancelled" then
    return fail("CANCELLED_INVOICED", "n=" .. #o.erp.docs ..
                (o.erp.docs[1] and o.erp.docs[1].key or ""))
  end
  local ok, why = pcall(function() return last_seen end)
  if not ok then return fail("X", why) end
end)

-- A local that holds a verdict on one path, nil on the one written
-- last: not reported as never returning one.
rule("through_local", function(o)
  local v = fail("LOCAL_VERDICT", "x")
  if o.order then v = nil end
  return v
end)

-- the helper library lib, spelt right
rule("lib_ok", function(o)
  if not lib.money.within(lib.money.parse("1,00", "de"), o.order.amount, "0.01") then
    return fail("LIB_OK", lib.text.trim(" x ") .. lib.dates.format(o.order.time))
  end
end)
