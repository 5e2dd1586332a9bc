-- lib.ref: look-ups in reference tables (the job's customers.csv, and
-- tables given with reference()).
local function err(f, ...)
  local ok, e = pcall(f, ...)
  expect(not ok, "expected an error")
  return e
end
-- This file's name as messages show it (installed, it is a longer path).
local W = select(2, pcall(function() error("@") end)):match("^(.*:)%d+: @$")

test("get, row, has on the CSV reference", function()
  expect_eq(lib.ref.get("customers", "C-0017", "account"), "ACME CORP")
  expect_eq(lib.ref.get("customers", "C-0099", "account", "UNKNOWN"), "UNKNOWN")
  expect_eq(lib.ref.get("customers", "C-0099", "account", nil), nil)
  expect_eq(lib.ref.get("customers", "C-0050", "account"), "")     -- CSV: empty text
  expect_eq(lib.ref.row("customers", "C-0042").country, "CH")
  expect(lib.ref.has("customers", "C-0017"))
  expect(not lib.ref.has("customers", "C-0099"))
  expect(not lib.ref.has("customers", nil))
end)

test("missing rows, tables and columns", function()
  expect_eq(err(function() return lib.ref.get("customers", "C-0099", "account") end),
    W .. '23: lib.ref.get: no row "C-0099" in reference table \'customers\'; add it to the table, or pass a default')
  expect_eq(err(function() return lib.ref.row("customers", 99) end),
    W .. '25: lib.ref.row: no row "99" in reference table \'customers\'; add it to the table, or pass a default')
  expect_eq(err(function() return lib.ref.get("custmers", "C-0017", "account") end),
    W .. '27: lib.ref.get: no reference table \'custmers\' in the job (references: customers)')
  expect_eq(err(function() return lib.ref.get("customers", "C-0017", "acount") end),
    W .. '29: lib.ref.get: reference \'customers\' has no column \'acount\' (columns: erp_code, account, country)')
  expect_eq(err(function() return lib.ref.get(ref, "C-0017", "account") end),
    W .. '31: lib.ref.get: the first argument is the reference table\'s name as a string ("customers"), not userdata')
end)

test("tables given with reference(), integer keys, NULLs", function()
  reference("fx", "code", {{code = 7, rate = money("1.0850"), note = null}})
  expect_eq(lib.ref.get("fx", 7, "rate"), money("1.085"))
  expect_eq(lib.ref.get("fx", "7", "rate"), money("1.085"))
  expect_eq(lib.ref.get("fx", 7, "note"), nil)              -- NULL
  expect_eq(lib.ref.get("fx", 7, "note", "none"), "none")   -- NULL with a default
end)
