-- A filter gone wrong: the orders query still returns every row, but the
-- translate function now keeps only SO-1.
function order_only_first(row, out)
  if row.order_no ~= "SO-1" then return false end
  return order_row(row, out)
end
