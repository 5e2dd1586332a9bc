-- test_rlib.c: lib's work counts against the instruction budget.
rule("budget", function(o)
  if o.key == "DAYS" then
    lib.dates.add_business_days("2026-01-01", 100000000)
  elseif o.key == "SUM" then
    local l = {}
    for i = 1, 1000 do l[i] = money(i) end
    while true do pcall(lib.money.sum, l) end
  elseif o.key == "OK" then
    -- 2000 weeks of five business days, from a Thursday to a Thursday
    if lib.dates.add_business_days("2026-01-01", 10000) ~= date("2064-05-01") then
      return fail("WRONG", "add_business_days")
    end
  end
end)
