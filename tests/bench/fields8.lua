-- tests/bench/fields8.lua: the bench's site-defined fields variant
-- (BENCH_FIELDS=8, tools/bench.sh). Loaded after rules/demo/*.lua by a
-- copy of the demo job whose <fields> declares the eight fields below:
-- each translate function of the demo is wrapped to set its source's
-- fields from the row's columns, and one order rule reads every field of
-- every record of the order. What it measures is what the fields cost
-- next to the plain demo job (docs/DEMO.md, "Site-defined fields").
--
--   field            type       roles            from
--   delivery_date    date       order erp        delivery_date (the demo's own)
--   source_customer  text       deal order erp   account_code / customer_code / customer_id
--   source_amount    money      deal order erp   amount / total_amount / net_amount
--   currency_id      integer    deal             currency_id
--   modified         timestamp  deal order erp   modified_at
--   source_status    text       deal order erp   stage / status / doc_status
--   migrated         boolean    erp              legacy_amount is set
--   closed_on        date       deal             closed_at, cut to the day

local deal0, order0, erp0 = deal_from_crm, order_from_db, erp_document

-- A DECIMAL column reaches Lua as money or as decimal text (sqliteodbc:
-- text); the money field takes both.
function deal_from_crm(row, out)
  local r = deal0(row, out)
  if r == false then return false end
  local f = out.fields
  f.source_customer = row.account_code
  f.source_amount = row.amount
  f.currency_id = row.currency_id
  f.modified = row.modified_at
  f.source_status = row.stage
  f.closed_on = row.closed_at - row.closed_at % 86400
  return r
end

function order_from_db(row, out)
  local r = order0(row, out)
  local f = out.fields
  f.source_customer = row.customer_code
  f.source_amount = row.total_amount
  f.modified = row.modified_at
  f.source_status = row.status
  return r
end

function erp_document(row, out)
  local r = erp0(row, out)
  local f = out.fields
  f.source_customer = row.customer_id
  f.source_amount = row.net_amount
  f.modified = row.modified_at
  f.source_status = row.doc_status
  f.migrated = row.legacy_amount ~= nil
  return r
end

-- Each field's Lua type as order rules read it; anything else is the
-- engine's fault, reported as BENCH_FIELD_TYPE (the bench then fails:
-- its exceptions must be exactly the planted ones).
local WANT = {
  delivery_date = "number", source_customer = "string",
  source_amount = "userdata", currency_id = "number", modified = "number",
  source_status = "string", migrated = "boolean", closed_on = "number",
}
local DEAL = {"source_customer", "source_amount", "currency_id", "modified",
              "source_status", "closed_on"}
local ORDER = {"delivery_date", "source_customer", "source_amount",
               "modified", "source_status"}
local ERP = {"delivery_date", "source_customer", "source_amount", "modified",
             "source_status", "migrated"}

local function bad(rec, names)
  local f = rec.fields
  for i = 1, #names do
    local v = f[names[i]]
    if v ~= nil and type(v) ~= WANT[names[i]] then
      return names[i] .. " is a " .. type(v)
    end
  end
end

rule("bench_fields", function(o)
  local why = (o.deal and bad(o.deal, DEAL)) or
              (o.order and bad(o.order, ORDER))
  if not why and o.erp then
    for _, doc in ipairs(o.erp.docs) do
      why = bad(doc, ERP)
      if why then break end
    end
  end
  if why then return fail("BENCH_FIELD_TYPE", why) end
end)
