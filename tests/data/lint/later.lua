-- Sets what clean.lua reads (test_lint.c): a later file's globals count.
LIMIT = 10

function order_from_db(row, out)
  out.key = row.order_no
  out.deal_ref = row.deal_id
end

-- Named by the erp source too (clean.xml): a field of the order role
-- only, set behind an if, is not reported.
function shared(row, out)
  out.key = row.id
  if row.kind == "order" then out.fields.region = row.region end
end
