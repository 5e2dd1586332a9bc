# tests/e2e/lib/shadow.sh - sourced by tests/e2e/run.sh after
# lifecycle.sh (whose lc_ini, lc_run and lc_recon it uses): shadow runs
# (docs/RULES.md, "Shadow runs") on a store of their own, lc_s, with
# three runs of the demo job as it is (as-of 11-26, 11-27, 11-28) under
# the default keep-inputs of 2.
#
# - only the newest two runs' inputs files stay; run 1's was pruned;
# - the job's own rule files, copied to a candidate folder: exit 0 and
#   no change, the CSV holds its header alone;
# - order_erp_amount with a tolerance of 0.05 instead of the job's
#   0.01: exactly SO-99000026 changes, AMOUNT_MISMATCH_ORDER_ERP ->
#   MATCHED, exit 1; the HTML says so;
# - the same tolerance in a candidate job file (--job, a copy of the
#   job elsewhere): exactly SO-99000026 changes; a candidate job with
#   another query exits 2 naming the source; neither --rules nor --job
#   exits 2;
# - a new rule failing SO-300020 and SO-99000008 with a message holding
#   <script> and a quote: exactly those two keys change, the HTML
#   escapes the message;
# - --run 2 is shadowed too; --run 1 exits 2 saying it kept no inputs;
# - an inputs file changed by one byte exits 9 (VERIFY), a candidate
#   with a syntax error exits 3 naming file:line, a folder with none of
#   the job's rule files exits 2;
# - the store is as it was: the runs and the versions are unchanged;
# - after an incremental run (it keeps no inputs), no --run shadows the
#   latest run that kept them (run 3) and says so; --run 4 exits 2.

sh_dir=$lc/s
sh_asof1='2026-11-26 00:00:00'
sh_asof2='2026-11-27 00:00:00'
sh_asof3='2026-11-28 00:00:00'

# sh_shadow TAG ARGS...: recon shadow on lc_s, -o $sh_dir/TAG, its
# output in $sh_dir/TAG.out and .err, its exit status in sh_rc.
sh_shadow() {
	local tag=$1
	shift
	lc_recon s shadow "$lc_job" --state-dir "$sh_dir/state" \
		--tmpdir "$lc/tmp" -o "$sh_dir/$tag" "$@" \
		>"$sh_dir/$tag.out" 2>"$sh_dir/$tag.err"
	sh_rc=$?
}

# sh_keys TAG: the CSV's change,kind,key triples (header and BOM off).
sh_keys() {
	awk -f "$root/tests/e2e/lib/csv.awk" "$sh_dir/$1.csv" 2>/dev/null |
		awk -F "$(printf '\037')" 'NR > 1 { print $1 "," $2 "," $3 }' | sort
}

# sh_runs_table: the store's runs as `recon runs` lists them (seq, run,
# as-of, mode, status, versions, exceptions, rows read): equal before
# and after, nothing was published
sh_runs_table() {
	lc_recon s runs "$lc_job" 2>/dev/null | cut -c1-200
}

if lc_ini s && lc_run s "$sh_asof1" r1 && lc_run s "$sh_asof2" r2 &&
   lc_run s "$sh_asof3" r3; then
	pass "shadow: three runs of the demo job on a store of their own"
else
	fail "shadow: three runs of the demo job" "$(cat "$sh_dir/r1.err" "$sh_dir/r3.err" 2>/dev/null | tail -20)"
fi
sh_run2=$(sed -n 's/^run \([^:]*\):.*/\1/p' "$sh_dir/r2.out")
sh_run3=$(sed -n 's/^run \([^:]*\):.*/\1/p' "$sh_dir/r3.out")
sh_files=$(cd "$sh_dir/state/inputs" 2>/dev/null && ls | sort | tr '\n' ' ')
sh_want_files=$(printf '%s\n' "$sh_run2.inputs" "$sh_run3.inputs" | sort | tr '\n' ' ')
if [ "$sh_files" = "$sh_want_files" ] &&
   grep -q "inputs kept for recon shadow: .*$sh_run3.inputs.*1 older file removed; keep-inputs 2" "$sh_dir/r3.err"; then
	pass "shadow: the newest two runs' inputs are kept, run 1's pruned"
else
	fail "shadow: the newest two runs' inputs are kept" "files: $sh_files" \
		"want: $sh_want_files" "$(grep inputs "$sh_dir/r3.err")"
fi
sh_runs_before=$(sh_runs_table)

# the job's own rules
mkdir -p "$sh_dir/same" "$sh_dir/tol" "$sh_dir/new" "$sh_dir/bad" "$sh_dir/none"
cp "$root/rules/demo/orders.lua" "$root/rules/demo/translate.lua" "$sh_dir/same/"
sh_shadow same --rules "$sh_dir/same"
if [ "$sh_rc" = 0 ] && grep -q "^shadow of run 3 ($sh_run3, as of $sh_asof3) .*, 0 changes$" "$sh_dir/same.out" &&
   [ "$(wc -l <"$sh_dir/same.csv")" = 1 ] &&
   grep -q 'None: the candidate rules give every record' "$sh_dir/same.html"; then
	pass "shadow: the job's own rules change nothing (exit 0, an empty CSV)"
else
	fail "shadow: the job's own rules change nothing" "rc $sh_rc" \
		"$(cat "$sh_dir/same.out" "$sh_dir/same.err")" "$(cat "$sh_dir/same.csv")"
fi

# a changed tolerance
sed 's/if not within(e.amount, r.amount, r.currency) then/if not lib.money.within(e.amount, r.amount, "0.05") then/' \
	"$root/rules/demo/orders.lua" >"$sh_dir/tol/orders.lua"
sh_shadow tol --rules "$sh_dir/tol"
if [ "$sh_rc" = 1 ] && [ "$(sh_keys tol)" = "outcome,order,SO-99000026" ] &&
   grep -q '^ *1  AMOUNT_MISMATCH_ORDER_ERP -> MATCHED$' "$sh_dir/tol.out" &&
   grep -q '<td>AMOUNT_MISMATCH_ORDER_ERP -&gt; MATCHED</td>' "$sh_dir/tol.html" &&
   grep -q 'rule file ../rules/demo/translate.lua: .*rules/demo/translate.lua (the job.s, not in the folder)' "$sh_dir/tol.out"; then
	pass "shadow: a tolerance of 0.05 changes exactly SO-99000026 (mismatch -> matched)"
else
	fail "shadow: a tolerance of 0.05" "rc $sh_rc" "$(sh_keys tol)" \
		"$(cat "$sh_dir/tol.out" "$sh_dir/tol.err")"
fi

# a changed tolerance in a candidate job file (--job): a copy of the job
# elsewhere, its paths made absolute, the default tolerance 0.05: the
# same one key changes, and no verdict by its file's new path
sed -e "s|\.\./|$root/|g" -e 's/currency="\*" absolute="0.01"/currency="*" absolute="0.05"/' \
	"$lc_job" >"$sh_dir/tol-job.xml"
sh_shadow tjob --job "$sh_dir/tol-job.xml"
if [ "$sh_rc" = 1 ] && [ "$(sh_keys tjob)" = "outcome,order,SO-99000026" ] &&
   grep -q "^job settings: from the candidate job file $sh_dir/tol-job.xml" "$sh_dir/tjob.out" &&
   grep -q "with the candidate job $sh_dir/tol-job.xml: " "$sh_dir/tjob.out" &&
   grep -q '<dt>Candidate job file</dt>' "$sh_dir/tjob.html"; then
	pass "shadow: --job with a tolerance of 0.05 changes exactly SO-99000026"
else
	fail "shadow: --job with a tolerance of 0.05" "rc $sh_rc" "$(sh_keys tjob | head)" \
		"$(cat "$sh_dir/tjob.out" "$sh_dir/tjob.err")"
fi
# ... a candidate job that reads another way is refused in words
sed -e "s|\.\./|$root/|g" -e '0,/SELECT/s//SELECT DISTINCT/' "$lc_job" >"$sh_dir/q-job.xml"
sh_shadow qjob --job "$sh_dir/q-job.xml"
if [ "$sh_rc" = 2 ] && grep -q "does not read what job 'orders-nightly' reads: source 'crm' has another query" "$sh_dir/qjob.err" &&
   [ ! -e "$sh_dir/qjob.csv" ]; then
	pass "shadow: a candidate job with another query: exit 2, the source named"
else
	fail "shadow: a candidate job with another query" "rc $sh_rc" "$(cat "$sh_dir/qjob.err")"
fi
# ... and neither --rules nor --job is a usage error
sh_shadow nothing
if [ "$sh_rc" = 2 ] && grep -q 'give one or both' "$sh_dir/nothing.err"; then
	pass "shadow: neither --rules nor --job: exit 2"
else
	fail "shadow: neither --rules nor --job" "rc $sh_rc" "$(cat "$sh_dir/nothing.err")"
fi

# a new rule
{
	cat "$root/rules/demo/orders.lua"
	cat <<'LUA'
rule("shadow_probe", function(o)
  if o.order and (o.order.key == "SO-300020" or o.order.key == "SO-99000008") then
    return fail("SHADOW_PROBE", "<script>alert(1)</script> \"quoted\"", "warning")
  end
end)
LUA
} >"$sh_dir/new/orders.lua"
sh_shadow new --rules "$sh_dir/new"
sh_want=$(printf '%s\n' "outcome,order,SO-300020" "verdicts,order,SO-99000008")
if [ "$sh_rc" = 1 ] && [ "$(sh_keys new)" = "$sh_want" ] &&
   grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot;' "$sh_dir/new.html" &&
   ! grep -q '<script>' "$sh_dir/new.html"; then
	pass "shadow: a new rule changes exactly its two keys; the HTML escapes its message"
else
	fail "shadow: a new rule" "rc $sh_rc" "want:" "$sh_want" "got:" "$(sh_keys new)" \
		"$(cat "$sh_dir/new.out" "$sh_dir/new.err")"
fi

# an earlier run, and one whose inputs are gone
sh_shadow run2 --rules "$sh_dir/tol" --run 2
sh_rc2=$sh_rc
sh_shadow run1 --rules "$sh_dir/tol" --run 1
if [ "$sh_rc2" = 1 ] && grep -q "^shadow of run 2 ($sh_run2, as of $sh_asof2)" "$sh_dir/run2.out" &&
   [ "$sh_rc" = 2 ] && grep -q "shadow: run 1 (.*) of job 'orders-nightly' kept no inputs" "$sh_dir/run1.err"; then
	pass "shadow: --run 2 is replayed; --run 1 (pruned) exits 2 saying why"
else
	fail "shadow: --run" "rc $sh_rc2 / $sh_rc" "$(cat "$sh_dir/run2.out" "$sh_dir/run1.err")"
fi

# a damaged inputs file
sh_in=$sh_dir/state/inputs/$sh_run3.inputs
cp "$sh_in" "$sh_dir/inputs.keep"
printf 'X' | dd of="$sh_in" bs=1 seek=200 conv=notrunc 2>/dev/null
sh_shadow damaged --rules "$sh_dir/tol"
if [ "$sh_rc" = 9 ] && grep -q "the inputs file .* does not check: its SHA-256 differs" "$sh_dir/damaged.err"; then
	pass "shadow: an inputs file changed by one byte exits 9"
else
	fail "shadow: a damaged inputs file" "rc $sh_rc" "$(cat "$sh_dir/damaged.err")"
fi
cp "$sh_dir/inputs.keep" "$sh_in"

# a candidate that does not load; a folder without the job's files
printf 'rule("x", function(o)\n  return fail("X" "y")\nend)\n' >"$sh_dir/bad/orders.lua"
sh_shadow bad --rules "$sh_dir/bad"
sh_rc_bad=$sh_rc
printf 'x = 1\n' >"$sh_dir/none/other.lua"
sh_shadow none --rules "$sh_dir/none"
if [ "$sh_rc_bad" = 3 ] && grep -q 'orders.lua:2:' "$sh_dir/bad.err" &&
   [ "$sh_rc" = 2 ] && grep -q "holds none of the job's rule files (translate.lua, orders.lua)" "$sh_dir/none.err"; then
	pass "shadow: a candidate with a syntax error exits 3 (file:line); a folder without the job's files exits 2"
else
	fail "shadow: bad candidates" "rc $sh_rc_bad / $sh_rc" "$(cat "$sh_dir/bad.err" "$sh_dir/none.err")"
fi

if [ "$(sh_runs_table)" = "$sh_runs_before" ] && [ -n "$sh_runs_before" ] && lc_recon s verify "$lc_job" -q >/dev/null 2>&1; then
	pass "shadow: the store is as it was (its runs, their versions and exceptions; recon verify)"
else
	fail "shadow: the store is as it was" "$(lc_recon s runs "$lc_job" 2>&1)"
fi

# an intra-day incremental run keeps no inputs: with no --run, shadow
# takes the latest run that kept them (run 3) and says so; --run 4
# names the incremental one and is refused
lc_recon s run "$lc_job" --as-of '2026-11-28 12:00:00' --incremental \
	--report-dir "$sh_dir/reports" --state-dir "$sh_dir/state" \
	--tmpdir "$lc/tmp" >"$sh_dir/r4.out" 2>"$sh_dir/r4.err"
sh_rc4=$?
sh_run4=$(sed -n 's/^run \([^:]*\):.*/\1/p' "$sh_dir/r4.out")
sh_shadow latest --rules "$sh_dir/tol"
sh_rc_latest=$sh_rc
sh_shadow inc --rules "$sh_dir/tol" --run 4
if [ "$sh_rc4" = 1 ] && [ "$sh_rc_latest" = 1 ] &&
   grep -q "^run 4 ($sh_run4), the latest, kept no inputs .*; shadowing run 3, the latest that did$" "$sh_dir/latest.out" &&
   grep -q "^shadow of run 3 ($sh_run3," "$sh_dir/latest.out" &&
   [ "$(sh_keys latest)" = "outcome,order,SO-99000026" ] &&
   [ "$sh_rc" = 2 ] && grep -q "run 4 ($sh_run4) of job 'orders-nightly' kept no inputs" "$sh_dir/inc.err"; then
	pass "shadow: after an incremental run, no --run takes the latest run with kept inputs (run 3) and says so; --run 4 exits 2"
else
	fail "shadow: after an incremental run" "rc $sh_rc4 / $sh_rc_latest / $sh_rc" \
		"$(cat "$sh_dir/r4.err" | tail -5)" "$(cat "$sh_dir/latest.out" "$sh_dir/latest.err" "$sh_dir/inc.err")"
fi
