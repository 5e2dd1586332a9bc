-- What a rule hands the engine must be text it can keep exactly
-- (docs/RULES.md, "What the engine keeps"): SO-1's name is not UTF-8,
-- so that row is a RULE_ERROR and the run goes on; SO-2's verdict has a
-- 10000-byte message, cut at 4096 bytes with the mark, the same in the
-- store (on PostgreSQL too, which refuses invalid UTF-8) and the reports.
function order_checked(row, out)
  order_row(row, out)
  if row.order_no == "SO-1" then out.name = "caf\xe9" end
end

rule("long_note", function(o)
  if o.key == "SO-2" then
    return fail("LONG_NOTE", string.rep("\xc3\xa9", 5000), "warning")
  end
end)
