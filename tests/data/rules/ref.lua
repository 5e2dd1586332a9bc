-- Reference tables through the rules' `ref` view (test_ref.c).
top_level_error = select(2, pcall(function() return ref.fx end))

function ref_iso(row, out)
	local fx = ref.fx[row.code]
	out.key = row.code
	if fx == nil then
		out.currency = "NONE"
	else
		out.currency = fx.iso
		out.name = fx.name
	end
end

function ref_count(row, out)
	out.key = tostring(#ref.fx)
end

function ref_int_key(row, out)
	out.key = ref.fx[7].iso
end

function ref_bad_column(row, out)
	out.key = ref.fx.E1.colour
end

function ref_bad_table(row, out)
	out.key = ref.fxx
end

function ref_write(row, out)
	ref.fx.E1.iso = "X"
end

function ref_write_table(row, out)
	ref.fx.NEW = {}
end

function ref_bad_key(row, out)
	out.key = ref.fx[{}]
end

function ref_keep(row, out)
	kept = ref.fx
	out.key = "k"
end

function ref_kept(row, out)
	out.key = kept.E1.iso
end

rule("ref_in_order_rule", function(o)
	local fx = ref.fx[o.key]
	if fx then
		return fail("FX", fx.iso)
	end
end)
