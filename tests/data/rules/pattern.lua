-- Backtracking string patterns (issue 7): 2^40 ways to place the
-- optional a's. The stock matcher ran for hours inside one call; ours
-- counts its steps into the instruction budget. Line numbers matter:
-- tests/unit/test_rules.c (pattern_budget) asserts them.
local subject = string.rep("a", 40)
local bad = string.rep("a?", 40) .. string.rep("a", 40)

function bt_translate(row, out)
  out.key = "K" .. row.id
  if row.id == "1" then
    out.name = string.match(subject, bad)
  end
end

rule("backtrack", function(o)
  if o.key == "MATCH" then
    return string.match(subject, bad)
  elseif o.key == "METHOD" then
    return fail("FOUND", tostring(subject:find(bad)))
  elseif o.key == "GMATCH" then
    for x in subject:gmatch(bad) do end
  elseif o.key == "GSUB" then
    local s = subject:gsub(bad, function(x) return x end)
  elseif o.key == "PCALL" then
    local ok, err = pcall(string.match, subject, bad)
    return fail("SWALLOWED", tostring(err))
  elseif o.key == "PCALL_LOOP" then
    while true do pcall(string.find, subject, bad) end
  elseif o.key == "LAZY_STAR" then
    return string.rep("a", 30000):match("(.-)*b")
  elseif o.key == "LAZY_CHAIN" then
    return ("a"):rep(1e5):find(".-.-.-.-b")
  end
end)

-- Runs after backtrack on every order: simple patterns still work.
rule("simple", function(o)
  local n = o.key:match("^K(%d+)$")
  if n then
    return fail("NUMBER", n .. " " .. (("  x  "):gsub("^%s*(.-)%s*$", "%1")))
  end
end)
