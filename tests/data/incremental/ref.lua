-- tests/unit/test_incremental.c: a deal's currency and an amount
-- adjustment taken from the reference table fx (job-ref.xml,
-- job-ref-full.xml).
function deal_ref(row, out)
  deal(row, out)
  local fx = ref.fx[row.cur]
  out.currency = fx.iso
  out.amount = money(row.amount) + money(fx.adj)
end
