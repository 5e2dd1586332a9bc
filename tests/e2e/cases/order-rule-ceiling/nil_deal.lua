-- An order rule that forgets that an order may have no deal: it raises
-- on SO-3 (no deal), which must become RULE_ERROR for that order only.
rule("deal_amount_unguarded", function(o)
  if o.deal.amount == nil then
    return fail("MISSING_AMOUNT", "deal without amount")
  end
end)
