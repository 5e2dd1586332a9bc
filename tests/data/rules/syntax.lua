-- A syntax error on line 3.
rule("x", function(o)
  return fail("X" "y")
end)
