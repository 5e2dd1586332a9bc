-- Order rules for test_rules.c.
rule("amount", function(o)
  local d, r = o.deal, o.order
  if d and r and d.amount and r.amount and d.amount ~= r.amount then
    return fail("AMOUNT_MISMATCH_DEAL_ORDER",
                "deal " .. d.amount .. " vs order " .. r.amount)
  end
end)

rule("erp", function(o)
  if o.erp and o.order and
     not within(o.order.amount, o.erp.amount, o.order.currency) then
    return fail("AMOUNT_MISMATCH_ORDER_ERP",
                "order " .. o.order.amount .. " vs ERP " .. o.erp.amount,
                "warning")
  end
end)

rule("raises", function(o)
  if o.key == "RAISE" then
    return o.nope
  end
end)

rule("duplicates", function(o)
  if o.norders > 1 then
    return fail("DUPLICATE_ORDERS", o.key .. " has " .. o.norders ..
                " orders", "info")
  end
end)

rule("bad_code", function(o)
  if o.key == "BADCODE" then
    return fail("bad code", "lower case is not a code")
  end
end)

rule("bad_return", function(o)
  if o.key == "BADRET" then
    return 42
  end
end)

rule("read_only", function(o)
  if o.key == "RO" then
    o.deal.amount = money(1)
  end
end)

rule("stale", function(o)
  if o.key == "STALE" then
    return saved_row.id
  end
end)

rule("erp_fields", function(o)
  if o.key == "ERP" then
    local e = o.erp
    return fail("INFO", table.concat({e.ndocs, e.invoices, e.credits, e.sales,
      e.drafts, e.cancelled, tostring(e.invoiced), tostring(e.ordered),
      tostring(e.amount), e.currency or "-", tostring(e.mixed_currency),
      o.deal.status or "-", o.order.doc_type or "-",
      tostring(o.order.time)}, " "), "info")
  end
end)

rule("resources", function(o)
  if o.key == "MEM" then
    local t = {}
    for i = 1, 1e9 do t[i] = {i} end
  elseif o.key == "LOOP" then
    while true do pcall(function() while true do end end) end
  end
end)

-- o.erp.docs and o.orders (test_rules.c order_rule_lists)
local kept_doc
rule("lists", function(o)
  if o.key == "LISTS" then
    local parts = {#o.erp.docs, o.erp.ndocs, #o.orders}
    for _, d in ipairs(o.erp.docs) do
      parts[#parts + 1] = d.key .. ":" .. d.customer .. ":" .. d.status ..
        ":" .. d.doc_type .. ":" .. tostring(d.amount)
    end
    for _, r in ipairs(o.orders) do parts[#parts + 1] = r.key end
    parts[#parts + 1] = tostring(o.erp.docs[3])
    parts[#parts + 1] = tostring(o.orders[0])
    kept_doc = o.erp.docs[1]
    return fail("INFO", table.concat(parts, " "), "info")
  elseif o.key == "ONE" then
    return fail("INFO", #o.orders .. " " .. o.orders[1].key .. " " ..
      #o.erp.docs, "info")
  elseif o.key == "LISTFIELD" then
    return o.erp.docs[1].custmer
  elseif o.key == "LISTNAME" then
    return o.erp.docs.first
  elseif o.key == "LISTSET" then
    o.erp.docs[1].customer = "X"
  elseif o.key == "LISTPUT" then
    o.orders[1] = 1
  elseif o.key == "STALEDOC" then
    return kept_doc.key
  end
end)

-- Arithmetic on nil in an order rule (test_rules.c runtime_nil).
rule("nil_arith", function(o)
  if o.key == "NILARITH" then
    local total
    return fail("TOTAL", "total " .. (total + 1))
  end
end)
