-- Translate variants for the completeness-guard tests (tests/unit/test_run.c),
-- loaded after rules.lua.

-- every row skipped: a filter gone wrong
function ord_skip_all(row, out)
  return false
end

-- everything but O3 skipped: kept rows shrink, rows read do not
function ord_keep_o3(row, out)
  if row.id ~= "O3" then return false end
  return ord(row, out)
end

-- rows whose id starts with X fail translation
function ord_boom_x(row, out)
  if row.id:sub(1, 1) == "X" then error("planted failure on " .. row.id) end
  return ord(row, out)
end

-- a rule that needs amount on every row (a NULL is an error)
function ord_strict(row, out)
  ord(row, out)
  out.amount = money(row.amount)
end

-- an order rule that raises on orders whose key starts with Y (the
-- order-rule ceiling); no other guard test has such orders
rule("boom_on_y", function(o)
  if o.key:sub(1, 1) == "Y" then error("planted order failure on " .. o.key) end
end)

-- --jobs K (test_run.c, jobs_*): X rows fail, S rows are skipped, the
-- rest translate as ord does
function ord_mixed(row, out)
  local c = row.id:sub(1, 1)
  if c == "X" then error("planted failure on " .. row.id) end
  if c == "S" then return false end
  return ord(row, out)
end
