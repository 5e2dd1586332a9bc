-- test() from inside a test is refused (the test fails).
test("late", function()
  test("later", function() end)
end)
