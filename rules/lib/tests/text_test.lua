-- lib.text: trim, squeeze, case, accents, prefixes, padding, normalise.
local function err(f, ...)
  local ok, e = pcall(f, ...)
  expect(not ok, "expected an error")
  return e
end
-- This file's name as messages show it (installed, it is a longer path).
local W = select(2, pcall(function() error("@") end)):match("^(.*:)%d+: @$")
local T = lib.text

test("trim and squeeze", function()
  expect_eq(T.trim("  a b \t\n"), "a b")
  expect_eq(T.trim("\u{A0}x\u{A0}"), "x")              -- no-break spaces too
  expect_eq(T.trim(""), "")
  expect_eq(T.trim(nil), nil)
  expect_eq(T.trim(42), "42")
  expect_eq(T.squeeze("  Müller \t  GmbH\u{A0} & Co  "), "Müller GmbH & Co")
  expect_eq(T.squeeze("   "), "")
  expect_eq(err(function() return T.trim({}) end), W .. '19: lib.text.trim: argument 1 must be text, not table')
end)

test("upper and lower: ASCII only", function()
  expect_eq(T.upper("abc-é"), "ABC-é")
  expect_eq(T.lower("ABC-É"), "abc-É")
  expect_eq(T.upper(T.strip_accents("straße é")), "STRASSE E")
end)

test("strip_accents", function()
  expect_eq(T.strip_accents("Müller Société Ærøskøbing Łódź Œuvre ß"), "Muller Societe AEroskobing Lodz OEuvre ss")
  expect_eq(T.strip_accents("e\u{301}"), "e")          -- decomposed: the mark goes
  expect_eq(T.strip_accents("5 × 3 ÷ 2 €"), "5 × 3 ÷ 2 €")  -- not letters: kept
  expect_eq(T.strip_accents("Ĳssel ĸ ſ"), "IJssel k s")
  expect_eq(err(function() return T.strip_accents("caf\xE9") end),
    W .. '33: lib.text.strip_accents: text is not valid UTF-8 (byte 0xE9 at position 4); convert the value to UTF-8 or drop the bad bytes')
end)

test("strip_prefix", function()
  local rest, p = T.strip_prefix("INV-0042", {"SO-", "INV-"})
  expect_eq(rest, "0042"); expect_eq(p, "INV-")
  rest, p = T.strip_prefix("X-1", "INV-")
  expect_eq(rest, "X-1"); expect_eq(p, nil)
  expect_eq(T.strip_prefix("INV", "INV"), "")
  expect_eq(err(function() return T.strip_prefix("x", {1}) end), W .. '43: lib.text.strip_prefix: prefix list item 1 is not a string')
  expect_eq(err(function() return T.strip_prefix("x") end),
    W .. '44: lib.text.strip_prefix: the prefixes must be a string or a list of strings, not no value')
end)

test("pad_left and unpad", function()
  expect_eq(T.pad_left("42", 6), "000042")
  expect_eq(T.pad_left("1234567", 6), "1234567")       -- never cut
  expect_eq(T.pad_left("ü", 3, "·"), "··ü")            -- counts characters
  expect_eq(T.pad_left(7, 3, " "), "  7")
  expect_eq(T.unpad("000042"), "42")
  expect_eq(T.unpad("0000"), "0")
  expect_eq(T.unpad(""), "")
  expect_eq(T.unpad("  x", " "), "x")
  expect_eq(T.unpad("xxx", "x"), "")
  expect_eq(err(function() return T.pad_left("1", 5000) end),
    W .. '58: lib.text.pad_left: the width must be a whole number from 0 to 4096')
  expect_eq(err(function() return T.pad_left("1", 3, "ab") end),
    W .. '60: lib.text.pad_left: the padding must be one character, such as "0" or " "')
end)

test("normalise composes with key()", function()
  expect_eq(T.normalise("  Müller   GmbH "), "MULLER GMBH")
  expect_eq(T.normalise(" so-00123 ", {strip = "-", prefix = "SO", zeros = true}), "123")
  expect_eq(T.normalise("Société Générale", {lower = true}), "societe generale")
  expect_eq(T.normalise(nil), nil)
  expect_eq(err(function() return T.normalise("x", {zero = true}) end),
    W .. '69: lib.text.normalise: key(): unknown option \'zero\' (options: strip, prefix, zeros, lower)')
end)

test("lib is read-only", function()
  expect_eq(err(function() lib.text.trim = nil end),
    W .. '74: lib.text is read-only (tried to set \'trim\'); keep your own helpers in a table of your own')
  expect_eq(err(function() lib.money = {} end),
    W .. '76: lib is read-only (tried to set \'money\'); keep your own helpers in a table of your own')
  expect_eq(err(function() return lib.text.trimm("x") end),
    W .. '78: lib.text has no \'trimm\' (it has: trim, squeeze, upper, lower, strip_accents, strip_prefix, pad_left, unpad, normalise)')
  expect_eq(err(function() return rawset(lib, "x", 1) end):match("table expected") ~= nil, true)
  expect_eq(getmetatable(lib), "lib")
end)
