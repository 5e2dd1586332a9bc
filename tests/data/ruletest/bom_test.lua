-- Saved with a UTF-8 byte order mark.
test("bom", function()
  expect(false, "line 3")
end)
