-- reference(): rule tests give the reference rows the rules see.
test("mapped", function()
  reference("customers", "code", {
    { code = "C1", account = "ACME" },
    { code = "C2", account = null },
  })
  expect_eq(translate("src", { id = "O1", cust = "C1" }).customer, "ACME")
  expect_eq(translate("src", { id = "O2", cust = "C9" }).customer, "UNKNOWN")
  expect_eq(#check({ order = { key = "C1" } }), 0)
  expect_eq(check({ order = { key = "C7" } })[1].code, "UNMAPPED")
end)

test("each test starts without reference tables", function()
  translate("src", { id = "O1", cust = "C1" })
end)

test("duplicate key", function()
  reference("customers", "code", { { code = "C1" }, { code = "C1" } })
end)

test("columns differ", function()
  reference("customers", "code", { { code = "C1", account = "A" },
                                   { code = "C2" } })
end)

test("integer keys and replacing", function()
  reference("customers", "code", { { code = 7, account = "SEVEN" } })
  reference("customers", "code", { { code = 8, account = "EIGHT" } })
  expect_eq(translate("src", { id = "O1", cust = 8 }).customer, "EIGHT")
  expect_eq(translate("src", { id = "O1", cust = "7" }).customer, "UNKNOWN")
end)
