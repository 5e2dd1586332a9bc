-- Every rule but "control" tries to reach outside the sandbox and must
-- raise (an is_error verdict).
rule("io", function() return io.open("/etc/passwd") end)
rule("os", function() return os.execute("true") end)
rule("require", function() return require("os") end)
rule("load", function() return load("return 1") end)
rule("loadstring", function() return loadstring("return 1") end)
rule("loadfile", function() return loadfile("/etc/passwd") end)
rule("dofile", function() return dofile("/etc/passwd") end)
rule("debug", function() return debug.getinfo(1) end)
rule("dump", function() return string.dump(function() end) end)
rule("collectgarbage", function() return collectgarbage("count") end)
rule("package", function() return package.loaded end)
rule("print", function() print("hello") end)
rule("coroutine", function() return coroutine.create(print) end)
rule("random", function() return math.random() end)
rule("meta_rep", function() return getmetatable("").__index.rep("x", 1 << 40) end)
rule("rep_bomb", function() return ("x"):rep(1 << 30) end)
rule("rep_sep_bomb", function() return string.rep("x", 600000, "y") end)
rule("rep_empty_bomb", function() return string.rep("", 1 << 62) end)
rule("move_bomb", function() return table.move({}, 1, 1 << 40, 1) end)
rule("gc_finaliser", function() setmetatable({}, {__gc = function() end}) end)
rule("late_rule", function() rule("late", function() end) end)
rule("money_meta", function() getmetatable(money(1)).__index = nil end)
rule("control", function()
  return fail("OK", ("abc"):upper() .. #string.rep("x", 1000) ..
              tostring(getmetatable(money(1))) ..
              #table.move({1, 2, 3}, 1, 3, 2))
end)

-- A translate function: row 1 opens a file (line 34), row 2 reads a
-- global that is merely unset, which is nil as in plain Lua.
function sandbox_translate(row, out)
  if row.id == "1" then return io.open("/etc/passwd") end
  out.key = "K" .. row.id .. " " .. tostring(not_set_anywhere)
end
