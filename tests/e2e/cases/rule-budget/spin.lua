-- A rule that never ends and tries to swallow the instruction limit with
-- pcall: the engine must stop it on every order (RULE_ERROR) and go on.
rule("spin", function(o)
  while true do
    pcall(function() while true do end end)
  end
end)
