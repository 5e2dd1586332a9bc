-- Translate functions for test_rules.c: each source of the test job names
-- one of these.

-- CRM deals: id, customer, currency, amount, closed, stage, name, deleted
function crm(row, out)
  if row.deleted == 1 then
    return false -- soft-deleted: skip
  end
  out.key = key(row.id, {prefix = {"DEAL-", "D-"}, zeros = true})
  out.customer = key(row.customer)
  out.currency = row.currency
  out.amount = row.amount
  out.time = row.closed
  out.status = row.stage == "W" and "won" or "open"
  out.name = row.name
  assert(out.key == key(row.id, {prefix = {"DEAL-", "D-"}, zeros = true}))
  return true
end

function bad_status(row, out)
  out.key = "x"
  out.status = "shipped"
end

function bad_field(row, out)
  out.key = "x"
  out.colour = "red"
end

function bad_column(row, out)
  out.key = row.nope
end

function no_key(row, out)
  out.name = "no key here"
end

function write_row(row, out)
  row.id = "1"
end

function bad_return(row, out)
  out.key = "x"
  return "yes"
end

function strings(row, out)
  out.key = "k"
  out.amount = "12.50"
  out.time = "2024-01-02"
  out.doc_type = "invoice"
  out.status = "posted"
  out.deal_ref = 42
  out.name = "temp"
  out.name = nil
end

function float_amount(row, out)
  out.key = "k"
  out.amount = 1.5
end

-- Keeps the row view in a global, which an order rule then reads.
function stash(row, out)
  saved_row = row
  out.key = "s"
end

-- Arithmetic on a NULL column (row.name is NULL in test_rules.c's rows):
-- Lua's message at this line, with the engine's hint (runtime_nil).
function nil_arith(row, out)
  out.key = "n"
  out.amount = money(row.name + 1)
end
