-- Does not compile (test_lint.c): the translate function it would
-- define is not reported missing, nor what it would set.
function deal_from_crm(row, out)
  out.key = row.id
  if row.x then
    out.name = "x"
end
