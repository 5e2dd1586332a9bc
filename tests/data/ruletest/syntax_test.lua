test("fine", function() end)

test("broken", function()
  expect(1 ==, "x")
end)
