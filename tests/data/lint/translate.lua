-- Findings of test_lint.c (lines matter: the test names them).
local OPTS = {zeros = true}

function deal_from_crm(row, out)
  out.key = key(row.deal_id, OPTS)
  out.amout = money(row.amount)
  out.fields.region = row.region
  out.fields.qty = row.qty
  out.stauts = "won"
end

function order_from_db(row, out)
  out.key = key(row.order_no)
  out.fields.colour = row.colour
  out.name = string.fomat("%s", row.title)
  print(row.title)
end

function erp_document(row, out)
  out.key = row.doc_id
end
