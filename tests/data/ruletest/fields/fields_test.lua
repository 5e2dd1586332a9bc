-- Site-defined fields in rule tests (test_ruletest.c fields).
test("translate shows the set fields, typed", function()
  local r = translate("src", {id = "O1", mode = "table", region = "EU",
                              tax = "12.50", qty = "3", due = "2026-11-01",
                              flag = "true"})
  expect_eq(r.fields.region, "EU")
  expect_eq(r.fields.tax, money("12.5"))
  expect_eq(math.type(r.fields.qty), "integer")
  expect_eq(r.fields.qty, 3)
  expect_eq(r.fields.due, at("2026-11-01"))
  expect_eq(r.fields.flag, true)
  expect_eq(r, {key = "O1", fields = {region = "EU", tax = "12.50", qty = 3,
                due = at("2026-11-01"), flag = true}})
end)

test("no field set: no fields key", function()
  local r = translate("src", {id = "O2", mode = "one", qty = null})
  expect_eq(r, {key = "O2"})
  expect_eq(r.fields, nil)
end)

test("nested tables are compared", function()
  local r = translate("src", {id = "O3", mode = "one", qty = 7})
  expect_eq(r, {key = "O3", fields = {qty = 8}})
end)

test("translate: a bad value", function()
  translate("src", {id = "O4", mode = "one", qty = "7x"})
end)

test("translate: undeclared field", function()
  translate("src", {id = "O5", mode = "undeclared"})
end)

test("translate: field of another role", function()
  translate("src", {id = "O6", mode = "role", seen = 1})
end)

test("check reads the fields", function()
  local v = check{key = "F",
    deal = {key = "D", fields = {region = "EU", flag = true}},
    orders = {{key = "O1", fields = {qty = 3, tax = money("1.25")}},
              {key = "O2", fields = {qty = "-4", region = null}}},
    erp = {docs = {
      {key = "E1", fields = {tax = "0.5", due = "2026-11-01",
                             seen = at("2026-11-01 10:30:00")}},
      {key = "E2", fields = {due = 1793491200, seen = "2026-11-02 08:00"}}}}}
  expect_eq(#v, 1)
  expect_eq(v[1].message, "EU:string true:boolean 3:integer 1.25:userdata " ..
    "0.50:userdata/1793491200:integer/1793529000:integer " ..
    "nil:nil/1793491200:integer/1793606400:integer 3:integer -4:integer")
end)

test("check: unknown field", function()
  check{key = "X", deal = {key = "D", fields = {colour = "red"}}}
end)

test("check: field of another role", function()
  check{key = "X", erp = {docs = {{key = "E", fields = {qty = 1}}}}}
end)

test("check: a bad value", function()
  check{key = "X", orders = {{key = "O", fields = {due = "2026-11-01 10:00"}}}}
end)

test("check: fields not a table", function()
  check{key = "X", order = {key = "O", fields = "qty=1"}}
end)
