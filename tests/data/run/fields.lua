-- Site-defined fields on top of rules.lua, for the store's site-field
-- columns (tests/unit/test_store.c, site_field_columns).
function deal_f(row, out)
  deal(row, out)
  out.fields.region = row.name
  out.fields.due = row.closed - row.closed % 86400
end

function ord_f(row, out)
  ord(row, out)
  if row.id ~= "O4" then
    out.fields.tax = "1.50"
    out.fields.qty = 7
  end
  out.fields.seen_at = row.created
  -- rush: true on O1, false on O3, unset on O4
  out.fields.rush = ({ O1 = true, O3 = false })[row.id]
end

-- batch: set on I1 only (O1's common value is I1's); lot: I1 and I2
-- disagree (O1: NULL), I3 alone (O3: "z")
function doc_f(row, out)
  doc(row, out)
  if row.id == "I1" then out.fields.batch = "B" end
  out.fields.lot = ({ I1 = "x", I2 = "y", I3 = "z" })[row.id]
end

-- O1's documents disagree on lot: a line whose report cells show each
-- document's value in erp_keys' order (test_store.c)
rule("lots_agree", function(o)
  local docs, first = o.erp and o.erp.docs
  for i = 1, docs and #docs or 0 do
    local lot = docs[i].fields.lot
    if first == nil then first = lot
    elseif lot ~= first then
      return fail("LOT_MISMATCH", "documents disagree on lot", "warning")
    end
  end
end)
