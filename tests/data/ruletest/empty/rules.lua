-- Rules without a tests/ folder next to them.
function t_src(row, out) out.key = "x" end
