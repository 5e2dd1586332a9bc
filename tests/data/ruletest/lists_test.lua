-- check() with erp.docs and orders (test_ruletest.c lists).
test("docs and orders", function()
  local v = check{key = "LISTS",
    orders = {{key = "O1", amount = "10"}, {key = "O2"}},
    erp = {docs = {
      {key = "INV-1", status = "posted", doc_type = "invoice", amount = "10", currency = "EUR"},
      {key = "CN-1", status = "posted", doc_type = "credit_note", amount = "-3", currency = "EUR"},
      {key = "INV-2", status = "draft", doc_type = "invoice", amount = "5", currency = "USD"}}}}
  expect_eq(#v, 1)
  expect_eq(v[1].message, "INV-1/posted CN-1/posted INV-2/draft O1 O2 | " ..
    "3 1 1 1 7.00 EUR O1 2")
end)

test("erp.docs with a count", function()
  check{key = "X", erp = {docs = {}, invoices = 1}}
end)

test("norders against orders", function()
  check{key = "X", orders = {{key = "O1"}}, norders = 2}
end)

test("a document's unknown field", function()
  check{key = "X", erp = {docs = {{key = "D", custmer = "C1"}}}}
end)
