# tests/e2e/lib/lifecycle.sh - sourced by tests/e2e/run.sh after
# logs.sh (it changes three ERP documents of the demo and puts them back
# at the end): the exception lifecycle (docs/REPORTS.md, "Exception
# lifecycle") through `recon diff`.
#
# Two stores of their own (lc_e, lc_c), with their own --state-dir,
# --report-dir and --tmpdir (tests/e2e/all.sh runs the backends at once).
# The control store lc_c gets three runs of the demo job on 2026-11-29,
# 12-01 and 12-03 with the data as it is: whatever the moving as-of
# alone changes (grace periods) is in its diffs. The store lc_e gets the
# same three runs with known changes in between:
#   before run 2: X = SO-99000008 fixed (an invoice raised to the order's
#     amount), Y = SO-300020 broken (its invoice lowered), Z =
#     SO-99000026's invoice changed (still an amount mismatch);
#   before run 3: X broken again (the invoice back).
# Then `recon diff` of lc_e must list exactly the control's lines plus
#   1 -> 2: Y appeared (new, first run 2, age 0), X disappeared
#           (resolved, first run 1, age 2), Z changed (open, first run 1,
#           age 2, the ERP amount it had);
#   2 -> 3: X appeared (reopened, first run 3, age 0);
#   1 -> 3: Y appeared (open since run 2, age 2), Z changed (open since
#           run 1, age 4); X is an exception in both with the same
#           values: not listed;
# and the runs' own lifecycle (their log line "exception lifecycle: N
# lines, M resolved") resolves X in run 2 and nothing more in run 3 than
# the control's; a rerun of run 2 right after it (a repeat: nothing
# published) has run 2's lifecycle - X resolved again, computed against
# run 1 - and leaves that run's reports byte for byte as they were. Also: --json counts, run ids as
# well as seqs, and exit 2 naming the runs for an unknown one.
#
# Uses run.sh's pass/fail, db_reset, $backend, $work, $recon, $root and
# incremental.sh's src_sql.

lc=$work/lifecycle
rm -rf "$lc"
mkdir -p "$lc/tmp"
lc_job=$root/jobs/orders-nightly.xml
lc_asof1='2026-11-29 00:00:00'
lc_asof2='2026-12-01 00:00:00'
lc_asof3='2026-12-03 00:00:00'

# lc_ini WHICH: $lc/WHICH/ini/odbc.ini, run.sh's with recon_demo_store
# on a store of its own.
lc_ini() {
	local which=$1 db
	if [ "$backend" = pg ] || [ "$backend" = maria ]; then
		db=lc_store_$which
		db_reset "$db" "" "" || return 1
	else
		db=$lc/$which/store.db
	fi
	mkdir -p "$lc/$which/ini"
	awk -v db="$db" '
		/^\[/ { sect = $0 }
		sect == "[recon_demo_store]" && /^Database *=/ { print "Database = " db; next }
		{ print }' "$work/odbc.ini" >"$lc/$which/ini/odbc.ini"
	: >"$lc/$which/ini/odbcinst.ini"
}

# lc_recon WHICH ARGS...: recon with that store.
lc_recon() {
	local which=$1
	shift
	tools/env.sh "$lc/$which/ini" "$recon" "$@"
}

# lc_run WHICH ASOF TAG: a run of the demo job, its output in
# $lc/WHICH/TAG.out and .err; exit 1 (exceptions) expected.
lc_run() {
	lc_recon "$1" run "$lc_job" --as-of "$2" --report-dir "$lc/$1/reports" \
		--state-dir "$lc/$1/state" --tmpdir "$lc/tmp" \
		>"$lc/$1/$3.out" 2>"$lc/$1/$3.err"
	lc_rc=$?
	[ "$lc_rc" = 1 ]
}

# lc_resolved WHICH TAG: the resolved exceptions of that run's
# lifecycle, from its log line (engine/summary.c).
lc_resolved() {
	sed -n 's/.*exception lifecycle: [0-9]* lines, \([0-9]*\) resolved.*/\1/p' "$lc/$1/$2.err"
}

# lc_lines WHICH A B: the diff's lines (after the table head), blanks
# collapsed, sorted.
lc_lines() {
	lc_recon "$1" diff "$lc_job" "$2" "$3" >"$lc/$1/diff-$2-$3.txt" 2>&1 || return 1
	awk 'body { $1 = $1; print } /^CHANGE / { body = 1 }' \
		"$lc/$1/diff-$2-$3.txt" | sort
}

# lc_check NAME A B EXPECTED...: lc_e's diff A B is the control's plus
# the EXPECTED lines, and its counts line says so.
lc_check() {
	local name=$1 a=$2 b=$3 want got counts
	shift 3
	want=$( (lc_lines c "$a" "$b"; printf '%s\n' "$@") | sed '/^$/d' | sort)
	got=$(lc_lines e "$a" "$b")
	counts=$(printf '%s\n' "$want" | awk '
		$1 == "appeared" { a++ } $1 == "disappeared" { d++ } $1 == "changed" { c++ }
		END { printf "appeared %d, disappeared %d, changed %d", a, d, c }')
	if [ "$got" = "$want" ] && grep -qx "$counts" "$lc/e/diff-$a-$b.txt"; then
		pass "lifecycle: recon diff $a $b: $name"
	else
		fail "lifecycle: recon diff $a $b: $name" "want:" "$want" "($counts)" \
			"got:" "$(cat "$lc/e/diff-$a-$b.txt")"
	fi
}

# lc_same_reports: the reports of as-of 2026-12-01 are the ones
# kept in $lc/e/keep.
lc_same_reports() {
	local f n=0
	for f in "$lc/e/keep/"*; do
		[ -f "$f" ] || return 1
		cmp -s "$f" "$lc/e/reports/$(basename "$f")" || return 1
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

lc_ok=1
for w in c e; do
	lc_ini "$w" || lc_ok=0
done
if [ "$lc_ok" = 1 ] && lc_run c "$lc_asof1" run1 && lc_run c "$lc_asof2" run2 &&
	lc_run c "$lc_asof3" run3 && lc_run e "$lc_asof1" run1 &&
	lc_recon e note "$lc_job" SO-99000008 --kind order --state explained \
		--text "invoice INV-99000108 is raised, due next week" --by "Ana (AP)" >"$lc/e/note1.out" 2>&1 &&
	lc_recon e note "$lc_job" SO-99000026 --kind order --state investigating \
		--text "asked the ERP team, ticket 4711" --by "Ben" >"$lc/e/note2.out" 2>&1 &&
	src_sql erp "UPDATE erp_doc SET net_amount = 2200.00 WHERE doc_id = 'INV-99000108'" &&
	src_sql erp "UPDATE erp_doc SET net_amount = 20000.00 WHERE doc_id = 'INV-01200080'" &&
	src_sql erp "UPDATE erp_doc SET net_amount = 990.00 WHERE doc_id = 'INV-99000026'" &&
	lc_run e "$lc_asof2" run2 &&
	mkdir -p "$lc/e/keep" && cp "$lc/e/reports/"*20261201T000000Z* "$lc/e/keep/" &&
	lc_run e "$lc_asof2" repeat2 &&
	src_sql erp "UPDATE erp_doc SET net_amount = 1500.00 WHERE doc_id = 'INV-99000108'" &&
	lc_run e "$lc_asof3" run3; then
	pass "lifecycle: three runs of the demo into each of two stores (control, changed)"
	lc_check "Y new, X resolved, Z changed and open" 1 2 \
		"appeared order SO-300020 AMOUNT_MISMATCH_ORDER_ERP new 2 0 EUR 24563.83" \
		"disappeared order SO-99000008 AMOUNT_MISMATCH_ORDER_ERP resolved 1 2 EUR 3000.00" \
		"changed order SO-99000026 AMOUNT_MISMATCH_ORDER_ERP open 1 2 USD 1000.00 erp_amount 999.98; verdicts"
	lc_check "X reopened" 2 3 \
		"appeared order SO-99000008 AMOUNT_MISMATCH_ORDER_ERP reopened 3 0 EUR 3000.00"
	lc_check "Y open since run 2, Z open since run 1, X not listed" 1 3 \
		"appeared order SO-300020 AMOUNT_MISMATCH_ORDER_ERP open 2 2 EUR 24563.83" \
		"changed order SO-99000026 AMOUNT_MISMATCH_ORDER_ERP open 1 4 USD 1000.00 erp_amount 999.98; verdicts"

	# the runs' own lifecycle (before their reports): resolved X in
	# run 2, nothing more in run 3, than the control's
	lc_rc2=$(lc_resolved c run2)
	lc_rc3=$(lc_resolved c run3)
	if [ -n "$lc_rc2" ] && [ "$(lc_resolved e run2)" = $((lc_rc2 + 1)) ] &&
		[ -n "$lc_rc3" ] && [ "$(lc_resolved e run3)" = "$lc_rc3" ]; then
		pass "lifecycle: the runs resolve X in run 2 ($((lc_rc2 + 1))) and nothing more in run 3 ($lc_rc3) than the control"
	else
		fail "lifecycle: resolved in the runs" "control: $lc_rc2 $lc_rc3" \
			"$(grep -h 'exception lifecycle' "$lc/e/"run*.err)"
	fi
	# a repeat of run 2 has run 2's lifecycle (against run 1: X resolved
	# again), publishes nothing and rewrites its reports byte for byte
	if grep -q "repeats run seq 2" "$lc/e/repeat2.out" &&
		[ "$(lc_resolved e repeat2)" = "$(lc_resolved e run2)" ] &&
		lc_same_reports; then
		pass "lifecycle: a repeat of run 2 has run 2's lifecycle ($(lc_resolved e repeat2) resolved), the same reports"
	else
		fail "lifecycle: a repeat of run 2" "$(cat "$lc/e/repeat2.out")" \
			"$(grep -h 'exception lifecycle' "$lc/e/run2.err" "$lc/e/repeat2.err")"
	fi

	# finance's notes (made after run 1) in the later reports: Z, open
	# all along, shows its note in runs 2 and 3; X, reopened in run 3,
	# shows the note of its earlier streak (and the HTML's "explained
	# before"); Y, new in run 2, none
	lc_csv2=$lc/e/reports/orders-nightly-20261201T000000Z.csv
	lc_csv3=$lc/e/reports/orders-nightly-20261203T000000Z.csv
	if grep -qF '"SO-99000026",' "$lc_csv2" &&
		grep -F '"SO-99000026",' "$lc_csv2" | grep -qF '"open","2026-11-29T00:00:00Z",2,"investigating","asked the ERP team, ticket 4711"' &&
		grep -F '"SO-99000026",' "$lc_csv3" | grep -qF '"open","2026-11-29T00:00:00Z",4,"investigating","asked the ERP team, ticket 4711"' &&
		grep -F '"SO-99000008",' "$lc_csv3" | grep -qF '"reopened","2026-12-03T00:00:00Z",0,"explained","invoice INV-99000108 is raised, due next week"' &&
		grep -F '"SO-300020",' "$lc_csv2" | grep -qF '"new","2026-12-01T00:00:00Z",0,"",""' &&
		grep -q '<div class="v">1</div><div class="l">reopened, explained before</div>' "$lc/e/reports/orders-nightly-20261203T000000Z.html" &&
		! grep -q 'reopened, explained before' "$lc/e/reports/orders-nightly-20261201T000000Z.html"; then
		pass "lifecycle: notes show in the later reports while open (Z in runs 2 and 3), a reopened X shows it was explained before, a new Y none"
	else
		fail "lifecycle: notes in the later reports" "$(cat "$lc/e/note1.out" "$lc/e/note2.out")" \
			"$(grep -hF -e '"SO-99000026",' -e '"SO-99000008",' -e '"SO-300020",' "$lc_csv2" "$lc_csv3")"
	fi

	# the same by run id, and as JSON
	lc_id1=$(lc_recon e runs "$lc_job" | awk '$1 == 1 { print $2 }')
	lc_id2=$(lc_recon e runs "$lc_job" | awk '$1 == 2 { print $2 }')
	lc_recon e diff "$lc_job" "$lc_id1" "$lc_id2" >"$lc/e/diff-ids.txt" 2>&1
	lc_rc=$?
	if [ "$lc_rc" = 0 ] && [ -n "$lc_id1" ] &&
		diff <(tail -n +2 "$lc/e/diff-1-2.txt") <(tail -n +2 "$lc/e/diff-ids.txt") >/dev/null; then
		pass "lifecycle: recon diff by run ids = by seqs"
	else
		fail "lifecycle: recon diff by run ids = by seqs" "exit $lc_rc" "$(cat "$lc/e/diff-ids.txt")"
	fi
	lc_c12=$(lc_lines c 1 2 | awk '{ n[$1]++ } END { printf "%d %d %d", n["appeared"], n["disappeared"], n["changed"] }')
	read -r lc_a lc_d lc_ch <<<"$lc_c12"
	lc_want="\"counts\":{\"appeared\":$((lc_a + 1)),\"disappeared\":$((lc_d + 1)),\"changed\":$((lc_ch + 1))}"
	lc_recon e diff "$lc_job" 1 2 --json >"$lc/e/diff.json" 2>&1
	if grep -qF "$lc_want" "$lc/e/diff.json" &&
		grep -qF '"key":"SO-99000008","outcome":"AMOUNT_MISMATCH_ORDER_ERP","currency":"EUR","amount":"3000.00","state":"resolved","first_seq":1,' "$lc/e/diff.json" &&
		grep -qF "\"first_run\":\"$lc_id1\"" "$lc/e/diff.json"; then
		pass "lifecycle: recon diff --json: counts, state, first run"
	else
		fail "lifecycle: recon diff --json: counts, state, first run" "want $lc_want" "$(cat "$lc/e/diff.json")"
	fi

	# an unknown run: exit 2, naming what there is
	lc_recon e diff "$lc_job" 1 7 >"$lc/e/diff-bad.out" 2>"$lc/e/diff-bad.err"
	lc_rc=$?
	if [ "$lc_rc" = 2 ] && grep -q "has no published run '7' (give a seq from 1 to 3 or a run id" "$lc/e/diff-bad.err" &&
		[ ! -s "$lc/e/diff-bad.out" ]; then
		pass "lifecycle: recon diff of an unknown run: exit 2, names the runs there are"
	else
		fail "lifecycle: recon diff of an unknown run: exit 2" "exit $lc_rc" "$(cat "$lc/e/diff-bad.err")"
	fi
else
	fail "lifecycle: the runs (exit $lc_rc)" "$(tail -5 "$lc/c/"*.err "$lc/e/"*.err 2>/dev/null)"
fi
# the demo as it was for what follows
src_sql erp "UPDATE erp_doc SET net_amount = 1500.00 WHERE doc_id = 'INV-99000108'"
src_sql erp "UPDATE erp_doc SET net_amount = 24563.83 WHERE doc_id = 'INV-01200080'"
src_sql erp "UPDATE erp_doc SET net_amount = 999.98 WHERE doc_id = 'INV-99000026'"
