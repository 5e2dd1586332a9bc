-- tests/unit/test_rules.c (verdict_comparison): the comparison a verdict
-- rests on, the last within() of the rule's call that returned false.
-- The test job: EUR absolute 0.01, every other currency 0.1 %.

rule("abs_out", function(o)
  if not within(money("100.00"), money("100.02"), "EUR") then
    return fail("AMOUNT_OFF", "beyond 0.01")
  end
end)

rule("rel_out", function(o)
  if not within(money("1000"), money("1002"), "USD") then
    return fail("AMOUNT_OFF", "beyond 0.1 %")
  end
end)

rule("no_within", function(o)
  return fail("PLAIN", "no comparison")
end)

rule("within_passed", function(o)
  if within(money("100.00"), money("100.01"), "EUR") then
    return fail("PASSED", "the comparison held")
  end
end)

rule("last_false", function(o)
  local a = within(money("1"), money("5"), "EUR")
  local b = within(money("10"), money("13"), "EUR")
  local c = within(money("7"), money("7"), "EUR")
  if not (a and b and c) then
    return fail("LAST", "the last false one counts")
  end
end)

-- a failed within() in one rule is not another rule's comparison
rule("quiet_compare", function(o)
  within(money("1"), money("2"), "EUR")
end)

rule("after_quiet", function(o)
  return fail("AFTER", "no comparison of its own")
end)

-- a negative reference amount: the relative tolerance is of |b|
rule("rel_negative", function(o)
  if not within(money("-500.00"), money("-510.00"), "GBP") then
    return fail("AMOUNT_OFF", "credit beyond 0.1 %")
  end
end)
