-- A rule file with a syntax error on line 4: the run must not start.
rule("broken", function(o)
  local x = 1
  if x == = 1 then return nil end
end)
