-- Issue 7: a backtracking pattern (2^40 ways to place the optional a's)
-- ran for hours inside one string.match call, where no instruction hook
-- fires. The engine's pattern functions count their steps into the
-- budget: each order is a RULE_ERROR at line 9 and the run finishes.
local subject = string.rep("a", 40)
local bad = string.rep("a?", 40) .. string.rep("a", 40)

rule("backtrack", function(o)
  if o.key:match("^SO%-%d+$") and subject:match(bad) then
    return fail("NEVER", "the budget did not stop the pattern")
  end
end)
