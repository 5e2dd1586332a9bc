-- Sets what clean.lua reads (test_lint.c): a later file's globals count.
LIMIT = 10

function order_from_db(row, out)
  out.key = row.order_no
  out.deal_ref = row.deal_id
end
