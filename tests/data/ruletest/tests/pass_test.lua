-- Passing tests (test_ruletest.c counts them).
test("key normalised", function()
  local r = translate("src", {id = " k-0042", st = "N", amount = money("1.50"),
                              at = at("2026-11-01 10:00:00"), note = null})
  expect_eq(r.key, "K-42")
  expect_eq(r.amount, money("1.5"))
  expect_eq(r.amount, "1.50")
  expect_eq(r.time, at("2026-11-01 10:00:00"))
  expect_eq(r.name, nil)
  expect_eq(r, {key = "K-42", status = "open", amount = money("1.50"),
                time = date("2026-11-01 10:00:00")})
end)

test("skips deleted", function()
  expect_eq(translate("src", {id = "1", st = "D"}), false)
end)

test("verdicts", function()
  local v = check{deal = {key = "D", amount = "10"},
                  order = {key = "O", amount = money("12"), status = "open"}}
  expect_codes(v, {"AMOUNT_MISMATCH_DEAL_ORDER"})
  expect_eq(v[1].rule, "amount")
  expect_eq(v[1].severity, "error")
  expect_eq(v[1].error, false)
  expect(v[1].where:find("rules.lua:26$"), v[1].where)
  expect_codes(check{order = {key = "O"}}, {})
end)

test("rules stay blind to test globals", function()
  expect_eq(translate("vis", {}).name, "nil,nil,nil,nil,nil,nil,nil")
end)
