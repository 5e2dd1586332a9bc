-- Backtracking patterns in a test's own code: stopped by the test's
-- budget like a loop (test_ruletest.c, pattern_budget).
local bad = string.rep("a?", 40) .. string.rep("a", 40)

test("runaway pattern", function()
  local s = string.rep("a", 40)
  return s:match(bad)
end)

test("runaway pattern behind pcall", function()
  while true do pcall(string.find, string.rep("a", 40), bad) end
end)

test("patterns still work", function()
  expect_eq(("K-0012"):match("^K%-(%d+)$"), "0012", "match")
end)
