-- Loads, but recon check's lint finds two mistakes (exit 3).
rule("order_amount", function(o)
  if o.order and o.order.amout == nil then
    return fail("MATCHED", "no amount")
  end
end)
