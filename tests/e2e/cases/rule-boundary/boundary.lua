-- What a rule hands the engine must be text it can keep exactly
-- (docs/RULES.md, "What the engine keeps"): SO-1's verdict message is
-- not UTF-8, so that verdict is a RULE_ERROR naming fail() and the run
-- goes on (PostgreSQL used to refuse the whole publish); SO-2's verdict
-- has a 10000-byte message, cut at 4096 bytes with the mark, the same in
-- the store and the reports.
rule("site_note", function(o)
  if o.key == "SO-1" then
    return fail("SITE_NOTE", "caf\xe9 au lait")
  elseif o.key == "SO-2" then
    return fail("LONG_NOTE", string.rep("\xc3\xa9", 5000), "warning")
  end
end)
