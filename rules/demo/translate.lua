-- rules/demo/translate.lua: how to read the three demo vendor systems.
--
-- One translate function per source of jobs/orders-nightly.xml. Each turns
-- one row of its vendor's table into the engine's canonical record. The
-- vendors disagree on almost everything; this file is where that is
-- settled, so that the engine and the order rules (orders.lua) only ever
-- see one spelling of a key, a customer, a currency and a status.
--
-- Canonical forms produced here (and seen in reports and the store):
--   deal key      "D-<number>"    from 'D-000123', ' d-000123', 'D000123 ', 'd-123'
--   order key     "SO-<number>"   from 'SO-300123', 'SO00300123  ', 'so-300123'
--   customer      "C<number>"     from 'acc-0042', 'C0042', 'CUST-42' (and aliases)
--   currency      ISO 4217 code   from CRM ids (1, 2, ...) and 'eur', ' EUR'
--
-- A note on amounts: depending on the database and driver, a DECIMAL
-- column reaches Lua as money or as decimal text (sqliteodbc describes
-- DECIMAL(18,2) as VARCHAR). money() accepts both and is exact either way,
-- so every amount below goes through it.
--
-- Raising an error (error(...), or a money() that cannot parse) makes that
-- one row a RULE_ERROR in the report, named "SOURCE:ID"; the run goes on.
-- Returning false skips the row silently (counted as skipped).

-- Key options, built once (see docs/RULES.md, "key").
local DEAL_KEY  = {strip = " -", prefix = {"D"}, zeros = true}
local ORDER_KEY = {strip = " -", prefix = {"SO"}, zeros = true}
local CRM_ACC   = {strip = " -", prefix = {"ACC"}, zeros = true}
local ORD_CUST  = {strip = " -", prefix = {"C"}, zeros = true}
local ERP_CUST  = {strip = " -", prefix = {"CUST"}, zeros = true}

-- Deal keys and order keys are shared by all three sources: the CRM's own
-- deal id and the order system's typed-in reference must come out the same.
local function deal_key(s)
  if s == nil then return nil end
  return "D-" .. key(s, DEAL_KEY)
end

local function order_key(s)
  if s == nil then return nil end
  return "SO-" .. key(s, ORDER_KEY)
end

-- The CRM's currency ids (its admin screen "Currencies") are kept in
-- rules/demo/crm_currencies.csv, the job's reference table crm_currencies
-- (docs/RULES.md, "Reference tables"): ref.crm_currencies[id].iso. An id
-- missing there is an error on purpose: guessing a currency would hide a
-- problem.

-- CRM accounts that do not follow the 'acc-NNNN' pattern: customers
-- migrated from the old CRM kept their name-based codes. Map them to the
-- canonical customer here (keys after key(): trimmed, upper-case).
local CRM_ACCOUNT_ALIASES = {
  ["ACC-MUELLER"] = "C7",      -- Müller GmbH, customer 7 in orders and ERP
}

local function crm_customer(code)
  if code == nil then return nil end
  local alias = CRM_ACCOUNT_ALIASES[key(code)]
  if alias then return alias end
  return "C" .. key(code, CRM_ACC)
end

-- Optional amount: nil stays nil (the order rules report MISSING_AMOUNT).
local function amount_or_nil(v)
  if v == nil then return nil end
  return money(v)
end

-- CRM: crm_deal. The job's query already drops soft-deleted and not yet
-- closed deals; lost deals are dropped here.
function deal_from_crm(row, out)
  if row.stage ~= "Closed Won" then
    return false                        -- 'Closed Lost': nothing to deliver
  end
  local cur = ref.crm_currencies[row.currency_id]
  if cur == nil then
    error("unknown CRM currency id " .. tostring(row.currency_id) ..
          " (add it to rules/demo/crm_currencies.csv)")
  end
  out.key      = deal_key(row.deal_id)
  out.customer = crm_customer(row.account_code)
  out.currency = cur.iso
  out.amount   = amount_or_nil(row.amount)
  out.time     = row.closed_at         -- TIMESTAMP: epoch seconds
  out.status   = "won"
  out.name     = row.deal_name
end

-- Order system: orders.
local ORDER_STATUS = {
  NEW = "open", SHIPPED = "fulfilled", CANCELLED = "cancelled",
}

function order_from_db(row, out)
  local status = ORDER_STATUS[key(row.status)]
  if status == nil then
    error("unknown order status '" .. tostring(row.status) .. "'")
  end
  out.key      = order_key(row.order_no)
  out.deal_ref = deal_key(row.crm_deal_ref)
  out.customer = "C" .. key(row.customer_code, ORD_CUST)
  out.currency = key(row.currency)      -- ' eur' -> 'EUR'
  out.amount   = amount_or_nil(row.total_amount)
  out.time     = row.created_at
  out.status   = status
  -- A site-defined field of the job (<fields>): the agreed delivery day.
  -- A DATE column arrives as epoch seconds at 00:00 UTC; nil stays unset.
  out.fields.delivery_date = row.delivery_date
end

-- ERP: erp_doc. The job's query reads only sales orders, invoices and
-- credit notes.
local ERP_KIND = { SO = "sales_order", INV = "invoice", CN = "credit_note" }
local ERP_STATUS = { D = "draft", P = "posted", X = "cancelled" }

function erp_document(row, out)
  local kind = ERP_KIND[key(row.doc_kind)]
  local status = ERP_STATUS[key(row.doc_status)]
  if kind == nil or status == nil then
    error("unknown ERP document kind/status '" .. tostring(row.doc_kind) ..
          "'/'" .. tostring(row.doc_status) .. "'")
  end
  if row.order_ref == nil then
    error("ERP document without an order reference")
  end
  -- Documents migrated from the old ERP carry their amount only as text
  -- in legacy_amount; money() refuses anything that is not a plain
  -- decimal ('1.234,50' is an error, not 1.23).
  local amount = row.net_amount
  if amount == nil and row.legacy_amount ~= nil then
    amount = row.legacy_amount
  end
  amount = amount_or_nil(amount)
  -- The ERP stores credit notes as negative amounts; the engine wants
  -- every amount positive and subtracts credit notes itself.
  if amount ~= nil then amount = amount:abs() end

  out.key       = row.doc_id
  out.order_ref = order_key(row.order_ref)
  out.customer  = "C" .. key(row.customer_id, ERP_CUST)
  out.currency  = key(row.currency)
  out.amount    = amount
  out.time      = row.doc_date
  out.status    = status
  out.doc_type  = kind
  out.fields.delivery_date = row.delivery_date
end
