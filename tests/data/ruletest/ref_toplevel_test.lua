-- reference() at a file's top level: refused (each test starts afresh).
test("fine", function() end)
reference("customers", "code", { { code = "C1" } })
