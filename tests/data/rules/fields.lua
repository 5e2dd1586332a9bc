-- Site-defined fields (test_rules.c site_field_*). The job declares
-- region (text: deal, order), tax (money), qty (integer), due (date),
-- seen (timestamp), flag (boolean), all for every role, and erp_ref
-- (text: erp only). The translate functions run as an order source.

-- xset: row.id picks a case; its value goes to out.fields[case[1]].
local D = "2026-11-01"
CASES = {
  -- 1..: text
  {"region", "EU"}, {"region", 42}, {"region", ""},
  {"region", 2.5}, {"region", true}, {"region", {}},
  {"region", "a\0b"}, {"region", "\xff"}, {"region", string.rep("x", 4097)},
  -- 10..: money
  {"tax", money("12.50")}, {"tax", "12.50"}, {"tax", "-0.0001"},
  {"tax", "12,50"}, {"tax", "1.00001"}, {"tax", "99999999999999999"},
  {"tax", 12}, {"tax", 12.5}, {"tax", false},
  -- 19..: integer
  {"qty", 3}, {"qty", "-42"}, {"qty", "+7"}, {"qty", money("5")},
  {"qty", "9223372036854775807"}, {"qty", "-9223372036854775808"},
  {"qty", "9223372036854775808"}, {"qty", "3.5"}, {"qty", " 3"},
  {"qty", money("2.50")}, {"qty", 3.0}, {"qty", true},
  -- 31..: date
  {"due", D}, {"due", 1793491200}, {"due", "2026-11-01 10:00"},
  {"due", 1793491201}, {"due", "2026-02-30"}, {"due", "01.11.2026"},
  {"due", 253402300800}, {"due", 1.5}, {"due", {}},
  -- 40..: timestamp
  {"seen", "2026-11-01 10:30"}, {"seen", "2026-11-01T10:30:15Z"},
  {"seen", 1793529000}, {"seen", D}, {"seen", "10:30"},
  {"seen", -62135596801}, {"seen", true},
  -- 47..: boolean
  {"flag", true}, {"flag", false}, {"flag", 1}, {"flag", 0},
  {"flag", "TRUE"}, {"flag", "false"}, {"flag", "1"}, {"flag", "0"},
  {"flag", 2}, {"flag", "yes"}, {"flag", 1.0}, {"flag", {}},
}

function xset(row, out)
  out.key = "K"
  local c = CASES[row.id]
  out.fields[c[1]] = c[2]
end

-- fields_table: out.fields = {...} sets exactly those; nil clears.
function fields_table(row, out)
  out.key = "K"
  out.fields.region = "before"
  out.fields.qty = 1
  if row.id == 1 then
    out.fields = {tax = "1.50", flag = true}
  elseif row.id == 2 then
    out.fields = nil
  elseif row.id == 3 then
    out.fields = "tax=1"
  elseif row.id == 4 then
    out.fields.region = nil
  else
    out.fields = {tax = "1.50", colour = "red"}
  end
end

function undeclared(row, out)
  out.key = "K"
  out.fields.colour = "red"
end

function other_role(row, out)
  out.key = "K"
  out.fields.erp_ref = "E1"
end

-- Setting a long text over and over: every value stays in the record
-- until the next row, so the record's text cap ends it.
function many_sets(row, out)
  out.key = "K"
  local big = string.rep("x", 4096)
  for _ = 1, 100 do out.fields.region = big end
end

-- out.fields read back in translation, and a fields view kept for later.
function read_back(row, out)
  out.key = "K"
  out.fields.tax = "2"
  out.fields.due = D
  kept_out = out.fields
  out.name = tostring(out.fields.tax) .. " " .. out.fields.due .. " " ..
             tostring(out.fields.flag)
end

-- out is one view for every call, so out.fields kept from an earlier
-- call is this call's; in an order rule there is no out: it raises.
function use_kept(row, out)
  out.key = "K"
  out.fields.tax = "3"
  out.name = tostring(kept_out.tax)
end

local function show(v)
  return tostring(v) .. ":" .. (math.type(v) or type(v))
end

rule("fields", function(o)
  if o.key == "READ" then
    local p = {show(o.deal.fields.region), show(o.order.fields.qty),
               show(o.order.fields.flag)}
    for _, d in ipairs(o.erp.docs) do
      p[#p + 1] = show(d.fields.tax) .. "/" .. show(d.fields.due) .. "/" ..
                  show(d.fields.seen) .. "/" .. show(d.fields.erp_ref)
    end
    for _, r in ipairs(o.orders) do
      p[#p + 1] = show(r.fields.region)
    end
    kept_ro = o.erp.docs[1].fields
    return fail("INFO", table.concat(p, " "), "info")
  elseif o.key == "KEPT" then
    return fail("INFO", tostring(kept_ro.tax), "info")
  elseif o.key == "KEPTOUT" then
    return fail("INFO", tostring(kept_out.tax), "info")
  elseif o.key == "SET" then
    o.deal.fields.region = "x"
  elseif o.key == "SETDOC" then
    o.erp.docs[1].fields.tax = "1"
  elseif o.key == "UNKNOWN" then
    return fail("INFO", tostring(o.deal.fields.colour), "info")
  elseif o.key == "ROLE" then
    return fail("INFO", tostring(o.deal.fields.erp_ref), "info")
  end
end)
