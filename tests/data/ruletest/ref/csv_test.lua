-- The job's CSV references are there in every test; reference() replaces
-- one for that test only.
test("csv", function()
  expect_eq(translate("src", { id = "O1", cust = "C1" }).customer, "FROM CSV")
end)

test("replaced", function()
  reference("customers", "code", { { code = "C1", account = "OWN" } })
  expect_eq(translate("src", { id = "O1", cust = "C1" }).customer, "OWN")
end)

test("csv again", function()
  expect_eq(translate("src", { id = "O1", cust = "C1" }).customer, "FROM CSV")
end)
