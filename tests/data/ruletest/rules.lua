-- Rules for test_ruletest.c: one translate function per source of the
-- hand-built job (t_src, t_vis) and a few order rules.
local KEY = {strip = " -", prefix = {"K"}, zeros = true}
local STATUS = {N = "open", S = "fulfilled", X = "cancelled"}

function t_src(row, out)
  if row.st == "D" then
    return false                      -- deleted
  end
  out.key = "K-" .. key(row.id, KEY)
  out.status = STATUS[row.st] or error("unknown status " .. tostring(row.st))
  out.amount = row.amount
  out.time = row.at
  out.name = row.note
end

-- What a rule sees of the test-only globals: must be nothing, in a run
-- and in a test alike.
function t_vis(row, out)
  out.key = "V"
  out.name = type(test) .. "," .. type(translate) .. "," .. type(check) ..
             "," .. type(expect) .. "," .. type(expect_eq) .. "," ..
             type(at) .. "," .. type(null)
end

rule("amount", function(o)
  if o.order and o.deal and o.order.amount ~= o.deal.amount then
    return fail("AMOUNT_MISMATCH_DEAL_ORDER", "deal " .. o.deal.amount ..
                " vs order " .. o.order.amount)
  end
end)

rule("raises", function(o)
  if o.key == "RAISE" then
    return o.nope
  end
end)

-- What check() builds from erp.docs and orders (lists_test.lua).
rule("lists", function(o)
  if o.key == "LISTS" then
    local e, parts = o.erp, {}
    for _, d in ipairs(e.docs) do parts[#parts + 1] = d.key .. "/" .. d.status end
    for _, r in ipairs(o.orders) do parts[#parts + 1] = r.key end
    return fail("INFO", table.concat(parts, " ") .. " | " .. e.ndocs .. " " ..
      e.invoices .. " " .. e.credits .. " " .. e.drafts .. " " ..
      tostring(e.amount) .. " " .. tostring(e.currency) .. " " ..
      o.order.key .. " " .. o.norders, "info")
  end
end)
