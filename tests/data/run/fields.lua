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
end
