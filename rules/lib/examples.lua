-- rules/lib/examples.lua: the worked examples of rules/README.md, one per
-- rule type, written with the helper library `lib`. Run by
-- `recon test jobs/lib-examples.xml` (make rules-test) with the tests in
-- rules/lib/tests/.

-- Built once, at load time: the German office's calendar and the ERP's
-- time zone (lib.dates.calendar, lib.dates.zone).
local BERLIN = lib.dates.zone("Europe/Berlin")
local DE_2026 = lib.dates.calendar{holidays = {
  "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14",
  "2026-05-25", "2026-10-03", "2026-12-25", "2026-12-26"}}
local DEAL_KEY = {strip = " -", prefix = {"DEAL", "D"}, zeros = true}

-- A translate function: the CRM exports amounts as German text
-- ("1.234,56 EUR"), deal ids with prefixes and padding, customer names
-- with accents, and local (Berlin) closing times without an offset.
function deal_from_export(row, out)
  local amount, cur = lib.money.parse(row.amount, "de", {decimals = 2})
  out.key      = lib.text.normalise(row.deal_id, DEAL_KEY)
  out.amount   = amount
  out.currency = cur or row.currency
  out.name     = lib.text.squeeze(row.title)
  out.customer = lib.text.normalise(row.customer)      -- "Müller  GmbH" -> "MULLER GMBH"
  out.time     = lib.dates.from_local(row.closed_at, BERLIN, "later")
  out.status   = "won"
end

-- Orders: amounts already exact (a DECIMAL column); the due date is the
-- order date plus ten business days.
function order_from_export(row, out)
  out.key      = lib.text.pad_left(lib.text.unpad(lib.text.trim(row.order_no)), 8)
  out.deal_ref = lib.text.normalise(row.deal_ref, DEAL_KEY)
  out.amount   = lib.money.parse(row.total, "plain")
  out.currency = row.currency
  out.time     = row.created_at
  out.fields.due = lib.dates.add_business_days(row.created_at, 10, DE_2026)
end

-- ERP invoices: Swiss number format, parentheses for credit notes, the
-- customer code looked up in the reference table `customers`.
function invoice_from_erp(row, out)
  local amount = lib.money.parse(row.amount, "ch")
  out.key       = row.doc_no
  out.order_ref = lib.text.pad_left(lib.text.unpad(row.order_ref), 8)
  out.amount    = amount:abs()
  out.doc_type  = amount < money(0) and "credit_note" or "invoice"
  out.status    = "posted"
  out.currency  = row.currency
  out.customer  = lib.text.normalise(lib.ref.get("customers", row.customer, "account"))
  out.time      = lib.dates.from_local(row.posted_at, BERLIN)
  -- due 30 business days after the posting date (the Berlin day)
  out.fields.due = lib.dates.add_business_days(lib.dates.day(out.time, BERLIN), 30, DE_2026)
end

-- An order rule: the ERP must invoice within one cent of the order, and
-- not later than three business days after the order's due date.
rule("invoiced_amount", function(o)
  local r, e = o.order, o.erp
  if r and r.amount and e and e.invoices > 0 and
     not lib.money.within(r.amount, e.invoiced, "0.01") then
    return fail("AMOUNT_MISMATCH_ORDER_ERP", "order " ..
                lib.money.format(r.amount, "de") .. " vs invoiced " ..
                lib.money.format(e.invoiced, "de") .. " (difference " ..
                lib.money.format(lib.money.diff(r.amount, e.invoiced), "de") .. ")")
  end
end)

rule("invoiced_late", function(o)
  local due = o.order and o.order.fields.due
  if not due or not o.erp then return end
  for _, doc in ipairs(o.erp.docs) do
    local late = lib.dates.business_days(due, doc.time, DE_2026)
    if doc.doc_type == "invoice" and late > 3 then
      return fail("INVOICED_LATE", "invoice " .. doc.key .. " posted " ..
                  late .. " business days after " .. lib.dates.format(due), "warning")
    end
  end
end)

-- Posted credit notes worth more than the posted invoices: lib.money.sum
-- over the documents' amounts.
rule("credits_exceed_invoices", function(o)
  if not o.erp then return end
  local credits, invoices = {}, {}
  for _, d in ipairs(o.erp.docs) do
    if d.status == "posted" and d.amount then
      if d.doc_type == "credit_note" then credits[#credits + 1] = d
      elseif d.doc_type == "invoice" then invoices[#invoices + 1] = d end
    end
  end
  local c, i = lib.money.sum(credits, "amount"), lib.money.sum(invoices, "amount")
  if c > i then
    return fail("CREDITS_EXCEED_INVOICES", "credit notes " .. lib.money.format(c, "de") ..
                " exceed invoices " .. lib.money.format(i, "de"))
  end
end)
