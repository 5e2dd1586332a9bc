-- lib.money: parse, format, within, diff, sum (rules/README.md).
local function err(f, ...)
  local ok, e = pcall(f, ...)
  expect(not ok, "expected an error")
  return e
end
-- This file's name as messages show it (installed, it is a longer path).
local W = select(2, pcall(function() error("@") end)):match("^(.*:)%d+: @$")

test("parse: the named formats", function()
  expect_eq(lib.money.parse("1.234,56", "de"), money("1234.56"))
  expect_eq(lib.money.parse("1,234.56", "en"), money("1234.56"))
  expect_eq(lib.money.parse("1'234.56", "ch"), money("1234.56"))
  expect_eq(lib.money.parse("1’234.56", "ch"), money("1234.56"))
  expect_eq(lib.money.parse("1 234,56", "fr"), money("1234.56"))
  expect_eq(lib.money.parse("1\u{A0}234,56", "fr"), money("1234.56"))
  expect_eq(lib.money.parse("1234.56", "plain"), money("1234.56"))
  expect_eq(lib.money.parse("1234567,5", "de"), money("1234567.5"))
  expect_eq(lib.money.parse("1.234.567", "de"), money("1234567"))
  expect_eq(lib.money.parse("0,0001", "de"), money("0.0001"))
end)

test("parse: a table format", function()
  expect_eq(lib.money.parse("1.234,56", {decimal = ",", group = "."}), money("1234.56"))
  expect_eq(lib.money.parse("1234,56", {decimal = ","}), money("1234.56"))
end)

test("parse: signs, parentheses, currencies", function()
  expect_eq(lib.money.parse("-1.234,56", "de"), money("-1234.56"))
  expect_eq(lib.money.parse("1.234,56-", "de"), money("-1234.56"))
  expect_eq(lib.money.parse("(1,234.56)", "en"), money("-1234.56"))
  expect_eq(lib.money.parse("+12", "en"), money("12"))
  local m, c = lib.money.parse("EUR 1.234,56", "de")
  expect_eq(m, money("1234.56")); expect_eq(c, "EUR")
  m, c = lib.money.parse("1.234,56 €", "de")
  expect_eq(m, money("1234.56")); expect_eq(c, "€")
  m, c = lib.money.parse("-$12.50", "en")
  expect_eq(m, money("-12.50")); expect_eq(c, "$")
  m, c = lib.money.parse("  12.50  ", "en")
  expect_eq(m, money("12.50")); expect_eq(c, nil)
  m, c = lib.money.parse("CHF -1'000", "ch")
  expect_eq(m, money("-1000")); expect_eq(c, "CHF")
end)

test("parse: nil and money pass through", function()
  expect_eq(lib.money.parse(nil, "de"), nil)
  expect_eq(lib.money.parse(money("12.5"), "de", {decimals = 2}), money("12.50"))
end)

test("parse: not an amount", function()
  expect_eq(err(function() return lib.money.parse("12,3,4", "de") end),
    W .. '51: lib.money.parse: "12,3,4" is not an amount in format "de" (expected digits with "." between thousands and "," before the decimals, e.g. 1.234,56)')
  expect_eq(err(function() return lib.money.parse("1234.56", "de") end),
    W .. '53: lib.money.parse: "1234.56" is not an amount in format "de" (expected digits with "." between thousands and "," before the decimals, e.g. 1.234,56)')
  expect(err(function() return lib.money.parse("1,000.5", "plain") end):find(
    'is not an amount in format "plain" (expected digits with "." before the decimals and no thousands separator, e.g. 1234.56)', 1, true))
  expect(err(function() return lib.money.parse("1.23.456", "de") end):find("is not an amount", 1, true))
  expect(err(function() return lib.money.parse("1.2345", "de") end):find("is not an amount", 1, true))
  expect(err(function() return lib.money.parse("12,", "de") end):find("is not an amount", 1, true))
  expect(err(function() return lib.money.parse(",5", "de") end):find("is not an amount", 1, true))
  expect(err(function() return lib.money.parse("--5", "de") end):find("is not an amount", 1, true))
  expect(err(function() return lib.money.parse("(-5)", "de") end):find("is not an amount", 1, true))
  expect(err(function() return lib.money.parse("EUR 5 USD", "de") end):find("is not an amount", 1, true))
  expect(err(function() return lib.money.parse("1e3", "en") end):find("is not an amount", 1, true))
  expect(err(function() return lib.money.parse("{decimal}", {decimal = ",", group = "."}) end):find(
    'in format {decimal = ",", group = "."}', 1, true))
end)

test("parse: blank, too many decimals, too large", function()
  expect_eq(err(function() return lib.money.parse("  ", "de") end),
    W .. '70: lib.money.parse: "  " is not an amount in format "de": the text is empty or blank; check for a blank before parsing')
  expect_eq(err(function() return lib.money.parse("1,234", "de", {decimals = 2}) end),
    W .. '72: lib.money.parse: "1,234" has 3 decimal places, more than the 2 allowed; the library never rounds: pass {decimals = 3} if the source really has them')
  expect_eq(lib.money.parse("1,230", "de", {decimals = 2}), money("1.23"))
  expect_eq(err(function() return lib.money.parse("0,00001", "de") end),
    W .. '75: lib.money.parse: "0,00001" has 5 decimal places, more than the 4 money keeps; the library never rounds: fix the source\'s value')
  expect_eq(lib.money.parse("922.337.203.685.477,5807", "de"), money("922337203685477.5807"))
  expect_eq(lib.money.parse("-922.337.203.685.477,5808", "de") < money(0), true)
  expect_eq(err(function() return lib.money.parse("922.337.203.685.477,5808", "de") end),
    W .. '79: lib.money.parse: "922.337.203.685.477,5808" is too large for money (at most 922337203685477.5807 either way)')
  expect(err(function() return lib.money.parse("99999999999999999999999", "de") end):find("too large", 1, true))
  expect_eq(err(function() return lib.money.parse(money("1.005"), "de", {decimals = 2}) end),
    W .. '82: lib.money.parse: 1.005 has more than the 2 decimal places allowed; the library never rounds')
end)

test("parse: currency check and bad arguments", function()
  expect_eq(lib.money.parse("EUR 5", "de", {currency = "EUR"}), money(5))
  expect_eq(err(function() return lib.money.parse("USD 5", "de", {currency = "EUR"}) end),
    W .. '88: lib.money.parse: "USD 5" is in USD, expected EUR')
  expect(err(function() return lib.money.parse("5", "xx") end):find('unknown format "xx"', 1, true))
  expect(err(function() return lib.money.parse("5", "de", {round = true}) end):find("unknown option 'round'", 1, true))
  expect(err(function() return lib.money.parse(5, "de") end):find("must be text", 1, true))
  expect(err(function() return lib.money.parse("5", {decimal = ".", group = "."}) end):find("other than the decimal mark", 1, true))
end)

test("money.format", function()
  expect_eq(lib.money.format(money("1234567.5"), "de"), "1.234.567,50")
  expect_eq(lib.money.format(money("1234567.5"), "en"), "1,234,567.50")
  expect_eq(lib.money.format(money("-1234.5678"), "ch"), "-1'234.5678")
  expect_eq(lib.money.format(money("999"), "de", 0), "999")
  expect_eq(lib.money.format("1000", "plain"), "1000.00")
  expect_eq(lib.money.format(money("0.5")), "0.50")
  expect_eq(lib.money.format(money("-922337203685477.5808"), "en"), "-922,337,203,685,477.5808")
  expect(err(function() return lib.money.format(12.5, "de") end):find("plain number", 1, true))
end)

test("format and parse round-trip", function()
  for _, f in ipairs{"de", "en", "ch", "fr", "plain"} do
    for _, v in ipairs{"0", "1", "-1", "999.99", "1000", "-1234567.891", "0.0001"} do
      expect_eq(lib.money.parse(lib.money.format(money(v), f), f), money(v), f .. " " .. v)
    end
  end
end)

test("within and diff", function()
  expect(lib.money.within(money("10.00"), money("10.01"), "0.01"))
  expect(not lib.money.within(money("10.00"), money("10.02"), "0.01"))
  expect(lib.money.within("5", "5", money(0)))
  expect_eq(lib.money.diff(money("10"), money("12.5")), money("2.5"))
  expect_eq(lib.money.diff("12.5", "10"), money("2.5"))
  expect_eq(err(function() return lib.money.within(money(1), money(1), "-1") end),
    W .. '121: lib.money.within: the tolerance must not be negative')
  expect_eq(err(function() return lib.money.diff(money(1), 2) end),
    W .. '123: lib.money.diff: b is a plain number, not money (whole units or cents?); write money("12.50") or "12.50"')
  expect(err(function() return lib.money.diff(money("-922337203685477"), money("922337203685477")) end):find("too large", 1, true))
end)

test("sum", function()
  expect_eq(lib.money.sum{}, money(0))
  expect_eq(lib.money.sum{money("1.10"), "2.20", money("-0.30")}, money("3"))
  expect_eq(lib.money.sum({{amount = money(1)}, {amount = "2"}}, "amount"), money(3))
  expect_eq(err(function() return lib.money.sum({money(1), nil, money(2)}) end), W .. '132: lib.money.sum: item 2 is nil' )
  expect_eq(err(function() return lib.money.sum({{amount = money(1)}, {}}, "amount") end),
    W .. '133: lib.money.sum: item 2 has no amount (nil); leave it out or give it an amount')
  expect_eq(err(function() return lib.money.sum({"1,5"}) end),
    W .. '135: lib.money.sum: item 1 "1,5" is not an amount (not a decimal number); write it like "1234.56", or read it with lib.money.parse(s, format)')
  expect(err(function() return lib.money.sum({money("900000000000000"), money("900000000000000")}) end):find("too large for money (at item 2)", 1, true))
end)
