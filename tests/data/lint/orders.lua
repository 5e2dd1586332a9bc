-- Order rules with findings (test_lint.c).
rule("amounts", function(o)
  local d, r = o.deal, o.order
  if d and r and not withn(d.amount, r.amout, r.currency) then
    return fail("AMOUNT_MISMATCH_DEAL_ORDER", "differ")
  end
end)

rule("forgets_return", function(o)
  if o.order and o.order.amount == nil then
    fail("MISSING_AMOUNT", "no amount")
  end
end)

rule("never", function(o)
  local n = o.norders
  if n > 1 then return nil end
end)

rule("collides", function(o)
  if o.erp == nil then
    return fail("MATCHED", "nothing in the ERP")
  end
  if o.dael then return fail("lower_case", "x") end
end)

rule("docs", function(o)
  for _, doc in ipairs(o.erp.docs) do
    if doc.fields.qty and doc.staus == "posted" then
      return fail("ERP_QTY", "qty on " .. doc.key)
    end
  end
  if o.erp.invoics > 0 then return fail("X", "y") end
end)

rule("fine", function(o)
  local total = helper_total(o)
  return total
end)

function helper_total(o)
  return o.erp and o.erp.invoiced
end

local function by_local(o)
  return o.ordr and fail("X", "y")
end
rule("by_local", by_local)

rule("closure", function(o)
  local get = function() return o.deal.custmer end
  return get()
end)

-- the helper library lib (rules/README.md): a misspelt part, a misspelt
-- function of a part
rule("lib_names", function(o)
  local a = lib.mony.parse("1,00", "de")
  return fail("LIB", lib.text.trimm(" x "))
end)
