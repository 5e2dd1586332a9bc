-- Every way rule code could run with the count hook suspended or not
-- charged (test_rules.c, hang_paths). Each function would hang if the
-- instruction budget did not hold there; the budget must stop each one.
local function spin() while true do end end
local function spinner() return setmetatable({}, {__close = spin}) end

function ok(row, out) out.key = "K1" end

-- The handler of an xpcall: Lua runs it inside the count hook when the
-- error is the budget's (the handler's own loop, or f's).
function xpcall_error(row, out)
  xpcall(error, spin)
end
function xpcall_both(row, out)
  xpcall(spin, spin)
end
function xpcall_tostring(row, out)
  xpcall(error, function(e)
    return tostring(setmetatable({}, {__tostring = spin}))
  end)
end
function xpcall_in_pcall(row, out)
  pcall(xpcall, spin, spin)
end
function xpcall_nested(row, out)
  xpcall(spin, function() xpcall(spin, spin) end)
end

-- To-be-closed variables: normal exit, error exit, budget exit.
function close_normal(row, out)
  do local x <close> = spinner() end
end
function close_error(row, out)
  local x <close> = spinner()
  error("boom")
end
function close_budget(row, out)
  local x <close> = spinner()
  spin()
end
function close_xpcall(row, out)
  xpcall(function() local x <close> = spinner(); error("boom") end, spin)
end

-- An error object whose __tostring and __name the message handler must
-- not call (it may run inside the hook).
function error_object(row, out)
  error(setmetatable({}, {__tostring = spin, __name = "trap"}))
end

-- Lua called from C library functions and metamethods.
function gsub_fn(row, out) string.gsub("aaa", "a", spin) end
function sort_cmp(row, out) table.sort({3, 2, 1}, spin) end
function index_mm(row, out)
  return setmetatable({}, {__index = spin}).x
end
function eq_mm(row, out)
  local mt = {__eq = spin}
  return setmetatable({}, mt) == setmetatable({}, mt)
end
function lt_mm(row, out)
  local mt = {__lt = spin}
  return setmetatable({}, mt) < setmetatable({}, mt)
end
function concat_mm(row, out)
  return setmetatable({}, {__concat = spin}) .. "x"
end
function tostring_mm(row, out)
  tostring(setmetatable({}, {__tostring = spin}))
end
function pairs_mm(row, out)
  for _ in pairs(setmetatable({}, {__pairs = spin})) do end
end

-- __gc added after setmetatable does not mark the table for
-- finalisation: the full collection after the memory cap runs nothing.
function gc_late(row, out)
  local mt = {}
  local t = setmetatable({}, mt)
  mt.__gc = spin
  t = nil
  local junk = {}
  for i = 1, 1e9 do junk[i] = string.rep("x", 1 << 16) .. i end
end

-- xpcall keeps Lua's results.
function xpcall_results(row, out)
  local r = {}
  local a, b, c = xpcall(function(x, y) return x + y, "two" end, error, 1, 2)
  r[#r + 1] = tostring(a) .. " " .. b .. " " .. c
  a, b = xpcall(error, function(e) return "handled " .. e end, "e1", 0)
  r[#r + 1] = tostring(a) .. " " .. b
  a, b = xpcall(error, function(e) error("again", 0) end, "e2")
  r[#r + 1] = tostring(a) .. " " .. b
  a, b = xpcall(error, function(e) return type(e) end, {})
  r[#r + 1] = tostring(a) .. " " .. b
  a, b = pcall(xpcall, error)
  r[#r + 1] = tostring(a) .. " " .. b
  a, b = xpcall(function() return pcall(error, "inner") end, error)
  r[#r + 1] = tostring(a) .. " " .. tostring(b)
  out.key = table.concat(r, "|")
end

-- An order rule with a looping handler, and one with a looping __close.
rule("xpcall_loop", function(o)
  xpcall(error, spin)
end)
rule("close_loop", function(o)
  local x <close> = spinner()
  error("boom")
end)
