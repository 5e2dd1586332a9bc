-- Rule tests that used to hang, and xpcall around the calls that yield
-- (test_ruletest.c, hangs).
local function spin() while true do end end

test("xpcall handler loops", function()
  xpcall(error, spin)
end)

test("xpcall f and handler loop", function()
  xpcall(spin, spin)
end)

test("close handler loops", function()
  pcall(function()
    local x <close> = setmetatable({}, {__close = spin})
    error("boom")
  end)
end)

-- A test that fails leaves its coroutine dead and unclosed: the __close
-- never runs, and the test fails with its own error.
test("close in a failed test", function()
  local x <close> = setmetatable({}, {__close = spin})
  error("boom")
end)

test("xpcall around translate", function()
  local row = {id = "7", st = "N", amount = null, at = null, note = null}
  local ok, r = xpcall(translate, error, "src", row)
  expect_eq(ok, true)
  expect_eq(r.key, "K-7")
  local ok2, e = xpcall(translate, function(m) return "H " .. m end, "src",
                        {id = "7", st = "Q"})
  expect_eq(ok2, false)
  expect_eq(e, "H tests/data/ruletest/rules.lua:11: unknown status Q")
end)

test("handler calls check", function()
  local ok, v = xpcall(error, function()
    return check{deal = {key = "D", amount = "1"},
                 order = {key = "O", amount = "2"}}
  end)
  expect_eq(ok, false)
  expect_codes(v, {"AMOUNT_MISMATCH_DEAL_ORDER"})
end)

test("no coroutines", function()
  expect_eq(rawget(_G, "coroutine"), nil)
  local ok, err = pcall(function() return coroutine end)
  expect_eq(ok, false)
  expect(err:find("'coroutine' is not available in rules", 1, true), err)
end)
