-- lib.dates: business days, grace periods, time zones (rules/README.md).
local function err(f, ...)
  local ok, e = pcall(f, ...)
  expect(not ok, "expected an error")
  return e
end
-- This file's name as messages show it (installed, it is a longer path).
local W = select(2, pcall(function() error("@") end)):match("^(.*:)%d+: @$")
local D = lib.dates
local XMAS = D.calendar{holidays = {"2026-12-24", "2026-12-25", "2026-12-26", date("2026-12-31")}}

test("is_business_day", function()
  expect(D.is_business_day("2026-12-07"))              -- a Monday
  expect(not D.is_business_day("2026-12-05"))          -- Saturday
  expect(not D.is_business_day("2026-12-06 10:00"))    -- Sunday, any time
  expect(D.is_business_day("2026-12-24"))
  expect(not D.is_business_day("2026-12-24", XMAS))
  expect(not D.is_business_day("2026-12-24", {"2026-12-24"}))  -- a plain list
  local fri_sat = D.calendar{weekend = {5, 6}}
  expect(D.is_business_day("2026-12-06", fri_sat))     -- Sunday works there
  expect(not D.is_business_day("2026-12-04", fri_sat))
end)

test("business_days", function()
  expect_eq(D.business_days("2026-12-04", "2026-12-07"), 1)    -- Fri -> Mon
  expect_eq(D.business_days("2026-12-07", "2026-12-04"), -1)
  expect_eq(D.business_days("2026-12-07", "2026-12-07"), 0)
  expect_eq(D.business_days("2026-12-01", "2026-12-31"), 22)
  expect_eq(D.business_days("2026-12-01", "2026-12-31", XMAS), 19)  -- 26th is a Saturday
  expect_eq(D.business_days("2026-01-01", "2027-01-01"), 261)
  expect_eq(D.business_days(date("2026-12-23 23:59"), date("2026-12-28 00:00"), XMAS), 1)
end)

test("add_business_days", function()
  expect_eq(D.add_business_days("2026-12-04", 1), date("2026-12-07"))
  expect_eq(D.add_business_days("2026-12-23", 1, XMAS), date("2026-12-28"))
  expect_eq(D.add_business_days("2026-12-28", -1, XMAS), date("2026-12-23"))
  expect_eq(D.add_business_days("2026-12-05", 0), date("2026-12-05"))
  expect_eq(D.add_business_days("2026-12-04 15:30", 2), date("2026-12-08 15:30"))
  expect_eq(D.business_days("2026-03-02", D.add_business_days("2026-03-02", 250, XMAS), XMAS), 250)
  expect_eq(err(function() return D.add_business_days("2026-12-04", 1.5) end),
    W .. '41: lib.dates.add_business_days: the number of days must be a whole number')
  expect_eq(err(function() return D.add_business_days("9999-12-31", 1) end),
    W .. '43: lib.dates.add_business_days: the result is outside the years 0001 to 9999')
end)

test("calendar errors", function()
  expect_eq(err(function() return D.calendar{holiday = {}} end),
    W .. '48: lib.dates.calendar: unknown option \'holiday\' (options: holidays, weekend)')
  expect_eq(err(function() return D.calendar{weekend = {1, 2, 3, 4, 5, 6, 7}} end),
    W .. '50: lib.dates.calendar: a week of seven weekend days has no business days')
  expect_eq(err(function() return D.calendar{weekend = {0}} end),
    W .. '52: lib.dates.calendar: weekend item 1 must be an ISO weekday, 1 (Monday) to 7 (Sunday)')
  expect_eq(err(function() return D.calendar{holidays = {"2026-02-30"}} end),
    W .. '54: lib.dates.calendar: holiday 1 "2026-02-30" is not a date (expected YYYY-MM-DD, optionally with HH:MM[:SS])')
  expect_eq(err(function() return D.is_business_day("2026-12-07", "2026-12-24") end),
    W .. '56: lib.dates.is_business_day: the calendar must be lib.dates.calendar{...}, a list of holidays or nil, not string')
end)

test("days_between and within_days", function()
  expect_eq(D.days_between("2026-12-01", "2026-12-31 23:00"), 30)
  expect_eq(D.days_between("2026-12-31", "2026-12-01"), -30)
  expect(D.within_days("2026-12-01", "2026-12-04", 3))
  expect(D.within_days("2026-12-04", "2026-12-01", 3))
  expect(not D.within_days("2026-12-01", "2026-12-04 00:00:01", 3))
  expect_eq(err(function() return D.within_days("2026-12-01", "2026-12-04", -1) end),
    W .. '66: lib.dates.within_days: the number of days must be a whole number from 0 to 3660000')
  expect_eq(err(function() return D.days_between(1.5, 2) end),
    W .. '68: lib.dates.days_between: the first date must be a date (epoch seconds or "YYYY-MM-DD"), not a float')
end)

test("from_local and to_local: Europe/Berlin", function()
  expect_eq(D.from_local("2026-07-01 12:00", "Europe/Berlin"), date("2026-07-01T10:00:00Z"))
  expect_eq(D.from_local("2026-01-15 12:00", "Europe/Berlin"), date("2026-01-15T11:00:00Z"))
  expect_eq(D.from_local(date("2026-07-01 12:00"), "Europe/Berlin"), date("2026-07-01T10:00:00Z"))
  expect_eq(D.from_local("2026-03-29 01:59:59", "Europe/Berlin"), date("2026-03-29T00:59:59Z"))
  expect_eq(D.from_local("2026-03-29 03:00", "Europe/Berlin"), date("2026-03-29T01:00:00Z"))
  expect_eq(D.from_local("2040-07-01 12:00", "Europe/Berlin"), date("2040-07-01T10:00:00Z"))  -- past the table: the rule
  local wall, off = D.to_local(date("2026-10-25T00:30:00Z"), "Europe/Berlin")
  expect_eq(wall, date("2026-10-25 02:30")); expect_eq(off, 7200)
  wall, off = D.to_local(date("2026-10-25T01:30:00Z"), "Europe/Berlin")
  expect_eq(wall, date("2026-10-25 02:30")); expect_eq(off, 3600)
  expect_eq(D.from_local("2026-10-25 02:30", "Europe/Berlin", "earlier"), date("2026-10-25T00:30:00Z"))
  expect_eq(D.from_local("2026-10-25 02:30", "Europe/Berlin", "later"), date("2026-10-25T01:30:00Z"))
end)

test("from_local: gaps and overlaps are refused", function()
  expect_eq(err(function() return D.from_local("2026-03-29 02:30", "Europe/Berlin") end),
    W .. '88: lib.dates.from_local: 2026-03-29 02:30:00 does not exist in Europe/Berlin (the clocks skip it: the offset changes from +01:00 to +02:00); check the source\'s time zone')
  expect_eq(err(function() return D.from_local("2026-10-25 02:30", "Europe/Berlin") end),
    W .. '90: lib.dates.from_local: 2026-10-25 02:30:00 happens twice in Europe/Berlin (the clocks go back: the offset changes from +02:00 to +01:00); pass "earlier" or "later" to choose')
  expect_eq(err(function() return D.from_local("2026-03-29 02:30", "Europe/Berlin", "later") end),
    W .. '92: lib.dates.from_local: 2026-03-29 02:30:00 does not exist in Europe/Berlin (the clocks skip it: the offset changes from +01:00 to +02:00); check the source\'s time zone')
  expect_eq(err(function() return D.from_local("2026-10-25 02:30", "Europe/Berlin", "first") end),
    W .. '94: lib.dates.from_local: the third argument must be "earlier" or "later" (which of an ambiguous time to take)')
end)

test("time zones: other zones, fixed offsets, errors", function()
  expect(err(function() return D.from_local("2026-03-08 02:30", "America/New_York") end):find("(the clocks skip it: the offset changes from -05:00 to -04:00)", 1, true))
  expect_eq(D.from_local("2026-07-01 12:00", "America/New_York"), date("2026-07-01T16:00:00Z"))
  expect_eq(D.from_local("2026-07-01 12:00", "Australia/Sydney"), date("2026-07-01T02:00:00Z"))
  expect_eq(D.from_local("2026-01-01 12:00", "Australia/Sydney"), date("2026-01-01T01:00:00Z"))
  expect_eq(D.from_local("2026-07-01 12:00", "Asia/Kolkata"), date("2026-07-01T06:30:00Z"))
  expect_eq(D.from_local("2026-07-01 12:00", "+02:00"), date("2026-07-01T10:00:00Z"))
  expect_eq(D.from_local("2026-07-01 12:00", "-05:30"), date("2026-07-01T17:30:00Z"))
  expect_eq(D.from_local("2026-07-01 12:00", "UTC"), date("2026-07-01T12:00:00Z"))
  local z = D.zone("Europe/Zurich")
  expect_eq(D.from_local("2026-07-01 12:00", z), date("2026-07-01T10:00:00Z"))
  expect_eq(err(function() return D.zone("Europe/Berln") end),
    W .. '109: lib.dates.zone: unknown time zone "Europe/Berln" (no file /usr/share/zoneinfo/Europe/Berln; names are the tz database\'s, such as "Europe/Berlin"; is the tzdata package installed?)')
  expect_eq(err(function() return D.zone("../../etc/passwd") end),
    W .. '111: lib.dates.zone: "../../etc/passwd" is not a time zone name (write a tz database name such as "Europe/Berlin", or a fixed offset such as "+01:00" or "UTC")')
  expect(err(function() return D.zone("/etc/passwd") end):find("is not a time zone name", 1, true))
  expect(err(function() return D.zone("Europe") end):find("unknown time zone", 1, true))
  expect(err(function() return D.zone("+25:00") end):find("is not a time zone name", 1, true))
  expect_eq(err(function() return D.from_local("2026-07-01T12:00:00Z", "Europe/Berlin") end),
    W .. '116: lib.dates.from_local: "2026-07-01T12:00:00Z" already says its offset from UTC; read it with date() instead')
end)

test("day", function()
  expect_eq(D.day(date("2026-12-07 23:30")), date("2026-12-07"))
  expect_eq(D.day(date("2026-12-07 23:30"), "Europe/Berlin"), date("2026-12-08"))
  expect_eq(D.day(date("2026-12-07 01:30"), "America/New_York"), date("2026-12-06"))
end)

test("dates.format", function()
  expect_eq(D.format(date("2026-12-07")), "2026-12-07")
  expect_eq(D.format(date("2026-12-07 10:30")), "2026-12-07 10:30:00")
  expect_eq(D.format(date("2026-12-07"), true), "2026-12-07 00:00:00")
end)
