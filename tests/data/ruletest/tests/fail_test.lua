-- Failing tests, one way each (test_ruletest.c checks the messages).
test("wrong value", function()
  local r = translate("src", {id = "7", st = "S", amount = null, at = null,
                              note = "n"})
  expect_eq(r.status, "open", "status")
end)

test("rule raises in translate", function()
  translate("src", {id = "7", st = "Q"})
end)

test("unknown column", function()
  translate("src", {id = "7"})
end)

test("rule raises in check", function()
  expect_codes(check{key = "RAISE", order = {key = "O"}}, {})
end)

test("runaway", function()
  local n = 0
  while true do n = n + 1 end
end)

test("runaway through translate", function()
  while true do translate("src", {id = "1", st = "D"}) end
end)

test("memory", function()
  local t = {}
  for i = 1, 100 do t[i] = string.rep("x", 1 << 20) .. i end
end)

test("expect", function()
  expect(1 == 2, "one is not two")
end)
