# tests/e2e/lib/explain.sh - sourced by tests/e2e/run.sh right after
# lifecycle.sh: `recon explain` (docs/REPORTS.md, "Explaining one key")
# on lifecycle.sh's store lc_e, whose three runs are known: SO-99000008
# (X) mismatched in run 1, fixed in run 2, broken again in run 3;
# SO-99000026 (Z) an amount mismatch within() judged (difference -0.02,
# tolerance 0.01 USD in run 1). lifecycle.sh ends by changing a kept
# report line of run 3 behind the triggers' back, so the latest run is
# refused here (exit 9) and the other checks name runs 1 and 2.
#
# Golden text: tests/e2e/demo/explain-*.txt, run ids masked (RUNID).
# A near miss is planted by an INSERT of an order record 'so-99000906 '
# at run 2 (the demo's rules normalise every key, so the demo has none).
#
# Uses run.sh's pass/fail, $backend and lifecycle.sh's lc_recon,
# lc_sql_err, lc_job, $lc.

ex_mask() {
	sed -E 's/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{12}/RUNID/g'
}

# ex_golden NAME ARGS...: recon explain ARGS on lc_e, masked, equals
# tests/e2e/demo/explain-NAME.txt.
ex_golden() {
	local name=$1 rc
	shift
	lc_recon e explain "$lc_job" "$@" >"$lc/e/explain-$name.raw" 2>"$lc/e/explain-$name.err"
	rc=$?
	ex_mask <"$lc/e/explain-$name.raw" >"$lc/e/explain-$name.txt"
	if [ "$rc" = 0 ] && diff -u "$root/tests/e2e/demo/explain-$name.txt" "$lc/e/explain-$name.txt" >"$lc/e/explain-$name.diff"; then
		pass "explain: $name: the golden text (tests/e2e/demo/explain-$name.txt)"
	else
		fail "explain: $name: the golden text" "exit $rc" "$(cat "$lc/e/explain-$name.err")" "$(head -40 "$lc/e/explain-$name.diff")"
	fi
}

ex_id2=$(lc_recon e runs "$lc_job" 2>/dev/null | awk '$1 == 2 { print $2 }')
if [ -z "$ex_id2" ]; then
	fail "explain: lifecycle.sh's store lc_e has no run 2"
else
	ex_golden SO-99000026-run1 SO-99000026 --run 1
	ex_golden SO-99000008-run2 SO-99000008 --run "$ex_id2"

	# the values of its rows from run 2's kept inputs (keep-inputs 2:
	# runs 2 and 3 kept, run 1's pruned)
	lc_recon e explain "$lc_job" SO-99000008 --run 2 --state-dir "$lc/e/state" >"$lc/e/ex-kept.out" 2>&1
	ex_rc=$?
	lc_recon e explain "$lc_job" SO-99000008 --run 1 --state-dir "$lc/e/state" >"$lc/e/ex-kept1.out" 2>&1
	if [ "$ex_rc" = 0 ] && grep -q '^         as read: order_no=SO-99000008, crm_deal_ref=' "$lc/e/ex-kept.out" &&
		grep -q '^         as read: deal_id=' "$lc/e/ex-kept.out" &&
		grep -q "The values \"as read\" come from the run's kept" "$lc/e/ex-kept.out" &&
		! grep -q 'as read:' "$lc/e/ex-kept1.out" &&
		grep -q "this run's inputs are not kept" "$lc/e/ex-kept1.out"; then
		pass "explain: the deal's and the order's row values from run 2's kept inputs; none for run 1 (pruned)"
	else
		fail "explain: row values from the kept inputs" "exit $ex_rc" "$(sed -n '/^Source rows/,/^Matching/p' "$lc/e/ex-kept.out" "$lc/e/ex-kept1.out")"
	fi

	# X at run 1: version 1 of 3, published by run 1, the mismatch
	lc_recon e explain "$lc_job" SO-99000008 --run 1 >"$lc/e/ex-x1.out" 2>&1
	ex_rc=$?
	if [ "$ex_rc" = 0 ] && grep -q '^  version 1 of 3, published by this run$' "$lc/e/ex-x1.out" &&
		grep -q '^  outcome AMOUNT_MISMATCH_ORDER_ERP; codes AMOUNT_MISMATCH_ORDER_ERP$' "$lc/e/ex-x1.out" &&
		grep -q '^    difference -700.00, tolerance 0.01 (EUR)$' "$lc/e/ex-x1.out" &&
		grep -q '^  version 1  run seq 1  as of 2026-11-29 00:00:00  AMOUNT_MISMATCH_ORDER_ERP  <- at this run$' "$lc/e/ex-x1.out"; then
		pass "explain: --run 1 shows SO-99000008's version 1 (the mismatch), --run 2 its version 2 (MATCHED)"
	else
		fail "explain: SO-99000008 at run 1" "exit $ex_rc" "$(cat "$lc/e/ex-x1.out")"
	fi

	# a deal without order (carried from run 1 into run 2), an order
	# not in the ERP, ERP documents without an order
	lc_recon e explain "$lc_job" D-99000001 --run 2 >"$lc/e/ex-d.out" 2>&1
	ex_rc=$?
	lc_recon e explain "$lc_job" SO-99000004 --run 2 >"$lc/e/ex-o.out" 2>&1
	ex_rc2=$?
	if [ "$ex_rc" = 0 ] && [ "$ex_rc2" = 0 ] &&
		grep -q "^deal 'D-99000001' of job 'orders-nightly'$" "$lc/e/ex-d.out" &&
		grep -q '^  version 1 of 1, carried unchanged from run seq 1 (' "$lc/e/ex-d.out" &&
		grep -q "^  deal   source 'crm', key 'D-99000001'$" "$lc/e/ex-d.out" &&
		grep -q '^  no order links to this deal' "$lc/e/ex-d.out" &&
		grep -q '^  near miss (DEAL_WITHOUT_ORDER): not searched: the store keeps no order.s deal reference' "$lc/e/ex-d.out" &&
		grep -q '^  report line DEAL_WITHOUT_ORDER: open since 2026-11-29T00:00:00Z, age 2 day(s)$' "$lc/e/ex-d.out" &&
		grep -q '^  no ERP document refers to this order$' "$lc/e/ex-o.out" &&
		grep -q "^  near miss (ORDER_NOT_IN_ERP): no record at this run refers to it: no erp record current at run 2 " "$lc/e/ex-o.out"; then
		pass "explain: DEAL_WITHOUT_ORDER (carried from run 1, its deal row, open 2 days) and ORDER_NOT_IN_ERP (no near miss)"
	else
		fail "explain: DEAL_WITHOUT_ORDER and ORDER_NOT_IN_ERP" "exit $ex_rc $ex_rc2" "$(cat "$lc/e/ex-d.out" "$lc/e/ex-o.out")"
	fi

	# a duplicate order key: its DUPLICATE_KEY line (a line of no
	# record) is shown, with what happened to the other row
	lc_recon e explain "$lc_job" SO-99000014 --run 2 >"$lc/e/ex-dup.out" 2>&1
	ex_rc=$?
	if [ "$ex_rc" = 0 ] &&
		grep -q '^  report line DUPLICATE_KEY: ' "$lc/e/ex-dup.out" &&
		grep -q "^    order key 'SO-99000014' appears more than once (source 'orders'): the row with the smallest fingerprint is matched, the others are ignored$" "$lc/e/ex-dup.out" &&
		! grep -q 'no exception line' "$lc/e/ex-dup.out"; then
		pass "explain: DUPLICATE_KEY shows its report line and what became of the other row"
	else
		fail "explain: DUPLICATE_KEY" "exit $ex_rc" "$(cat "$lc/e/ex-dup.out")"
	fi

	# ERP_WITHOUT_ORDER: no near miss; then an order record 'so-99000906 '
	# planted at run 2 is one (padding and case), not at run 1
	lc_recon e explain "$lc_job" SO-99000906 --run 2 >"$lc/e/ex-e0.out" 2>&1
	ex_rc0=$?
	lc_sql_err "INSERT INTO reconciled_orders (rec_kind, rec_key, version, run_id, outcome, codes, verdicts, sources, rules_hash, value_hash, content_hash) VALUES ('order', 'so-99000906 ', 1, '$ex_id2', 'ORDER_NOT_IN_ERP', 'ORDER_NOT_IN_ERP', '[]', '{}', 'x', 'x', 'x')"
	ex_rci=$?
	lc_recon e explain "$lc_job" SO-99000906 --run 2 >"$lc/e/ex-e.out" 2>&1
	ex_rc=$?
	lc_recon e explain "$lc_job" SO-99000906 --run 1 >"$lc/e/ex-e1.out" 2>&1
	ex_rc1=$?
	if [ "$ex_rc0" = 0 ] && [ "$ex_rci" = 0 ] && [ "$ex_rc" = 0 ] && [ "$ex_rc1" = 0 ] &&
		grep -q "^erp 'SO-99000906' of job 'orders-nightly'$" "$lc/e/ex-e0.out" &&
		grep -q "^  1 ERP document(s) refer to order 'SO-99000906', which no order read at this run has$" "$lc/e/ex-e0.out" &&
		grep -q "^  near miss (ERP_WITHOUT_ORDER): no record at this run refers to it" "$lc/e/ex-e0.out" &&
		grep -qF "  why not matched: order record 'so-99000906 ' (ORDER_NOT_IN_ERP at this run): its key 'so-99000906 ' differs from the order reference of these ERP documents 'SO-99000906' only by padding and case; normalise with key() in the translate function (docs/RULES.md)" "$lc/e/ex-e.out" &&
		grep -q "^  near miss (ERP_WITHOUT_ORDER): no record at this run refers to it" "$lc/e/ex-e1.out"; then
		pass "explain: ERP_WITHOUT_ORDER: no near miss; a planted order 'so-99000906 ' is one at run 2 (padding and case), not at run 1"
	else
		fail "explain: ERP_WITHOUT_ORDER and its near miss" "exit $ex_rc0 $ex_rci $ex_rc $ex_rc1" "$(cat "$lc/e/sql.out" "$lc/e/ex-e0.out" "$lc/e/ex-e.out")"
	fi

	# --json: one document, checked with a parser
	lc_recon e explain "$lc_job" SO-99000026 --run 1 --json >"$lc/e/ex.json" 2>&1
	ex_rc=$?
	if [ "$ex_rc" = 0 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["job"] == "orders-nightly" and d["id"] == "SO-99000026", d
assert d["run"]["seq"] == 1 and d["run"]["as_of"] == "2026-11-29 00:00:00" and d["run"]["latest"] is False
[r] = d["records"]
assert r["kind"] == "order" and r["key"] == "SO-99000026"
assert r["version"]["version"] == 1 and r["version"]["published_by_this_run"] is True
vals = {v["column"]: v["text"] for v in r["values"]}
assert vals["order_amount"] == "1000.00" and vals["erp_amount"] == "999.98" and vals["currency"] == "USD", vals
assert [s["role"] for s in r["sources"]] == ["deal", "order", "erp"]
assert r["sources"][2]["keys"] == ["INV-99000026"] and len(r["sources"][0]["sha256"]) == 64
[v] = r["verdicts"]
assert v["code"] == "AMOUNT_MISMATCH_ORDER_ERP" and v["where"] == "../rules/demo/orders.lua:53", v
assert v["difference"] == "-0.02" and v["tolerance"] == "0.01" and v["currency"] == "USD", v
assert r["near_miss"]["outcome"] is None and r["report_kept"] is True
[l] = r["report_lines"]
assert l["state"] == "new" and l["age_days"] == 0, l
assert [h["outcome"] for h in r["history"]] == ["AMOUNT_MISMATCH_ORDER_ERP"] * len(r["history"])
assert r["history"][0]["at_run"] is True
' "$lc/e/ex.json"; then
		pass "explain --json: one document (python3 json): version, values, sources, verdict with difference -0.02 and tolerance 0.01 USD, report line, history"
	else
		fail "explain --json" "exit $ex_rc" "$(cat "$lc/e/ex.json")"
	fi

	# an unknown key, an unknown run: exit 2, saying what to do; the
	# latest run, whose kept report lifecycle.sh changed: exit 9
	lc_recon e explain "$lc_job" SO-NOPE --run 2 >"$lc/e/ex-u.out" 2>"$lc/e/ex-u.err"
	ex_rc=$?
	lc_recon e explain "$lc_job" SO-99000026 --run 7 >>"$lc/e/ex-u.out" 2>"$lc/e/ex-r.err"
	ex_rc2=$?
	lc_recon e explain "$lc_job" SO-99000026 >>"$lc/e/ex-u.out" 2>"$lc/e/ex-t.err"
	ex_rc3=$?
	if [ "$ex_rc" = 2 ] && [ "$ex_rc2" = 2 ] && [ "$ex_rc3" = 9 ] && [ ! -s "$lc/e/ex-u.out" ] &&
		grep -qF "explain: no record 'SO-NOPE' in job 'orders-nightly' at run 2; \`recon history JOB SO-NOPE\` lists its versions" "$lc/e/ex-u.err" &&
		grep -q "explain: job 'orders-nightly' has no published run '7' (give a seq from 1 to 3 or a run id" "$lc/e/ex-r.err" &&
		grep -q "the kept report of run " "$lc/e/ex-t.err"; then
		pass "explain: an unknown key or run exit 2 (naming job, key, run and what to do); a changed kept report exit 9"
	else
		fail "explain: unknown key, unknown run, changed report" "exit $ex_rc $ex_rc2 $ex_rc3" \
			"$(cat "$lc/e/ex-u.out" "$lc/e/ex-u.err" "$lc/e/ex-r.err" "$lc/e/ex-t.err")"
	fi
fi
