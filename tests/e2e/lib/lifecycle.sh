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
# Then `recon report` writes the four files of each of lc_e's three runs
# again byte for byte from the store (a note made after run 3 changes
# none); T_report refuses UPDATE, and a line changed behind the
# triggers' back fails recon verify and recon report (exit 9).
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

# lc_sql_err SQL: SQL on lc_e's store, its stdout and stderr in
# $lc/e/sql.out; the client's exit status.
lc_sql_err() {
	if [ "$backend" = maria ]; then
		maria_sql lc_store_e -e "$1" >"$lc/e/sql.out" 2>&1
	elif [ "$backend" = pg ]; then
		psql_db lc_store_e -v ON_ERROR_STOP=1 -A -t -c "$1" >"$lc/e/sql.out" 2>&1
	else
		sqlite3 "$lc/e/store.db" "$1" >"$lc/e/sql.out" 2>&1
	fi
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

	# recon report: each of the three runs' four files written again
	# from the store alone, byte for byte; a note made after run 3 does
	# not change run 3's report; stdout (by run id) is the HTML
	lc_recon e note "$lc_job" SO-300020 --kind order --state accepted \
		--text "written off, see ticket 4712" --by "Ana (AP)" >"$lc/e/note3.out" 2>&1
	mkdir -p "$lc/e/regen"
	lc_bad=""
	lc_n=0
	for lc_s in 1 2 3; do
		case $lc_s in
		1) lc_b=orders-nightly-20261129T000000Z ;;
		2) lc_b=orders-nightly-20261201T000000Z ;;
		3) lc_b=orders-nightly-20261203T000000Z ;;
		esac
		for lc_f in html:.html csv:.csv summary:-summary.csv xml:.xml; do
			lc_o=$lc/e/regen/$lc_b${lc_f#*:}
			if lc_recon e report "$lc_job" "$lc_s" --format "${lc_f%%:*}" -o "$lc_o" \
				>"$lc/e/regen.out" 2>"$lc/e/regen.err" &&
				grep -q "^report of run $lc_s (" "$lc/e/regen.out" &&
				cmp -s "$lc_o" "$lc/e/reports/$lc_b${lc_f#*:}" &&
				[ "$(stat -c %a "$lc_o")" = 640 ]; then
				lc_n=$((lc_n + 1))
			else
				lc_bad="$lc_bad run $lc_s ${lc_f%%:*}: $(cat "$lc/e/regen.err")"
			fi
		done
	done
	lc_id3=$(lc_recon e runs "$lc_job" | awk '$1 == 3 { print $2 }')
	lc_recon e report "$lc_job" "$lc_id3" >"$lc/e/regen/stdout.html" 2>"$lc/e/regen.err" ||
		lc_bad="$lc_bad stdout: $(cat "$lc/e/regen.err")"
	if [ -z "$lc_bad" ] && [ "$lc_n" = 12 ] && grep -q "^note [0-9]* on order 'SO-300020'" "$lc/e/note3.out" &&
		cmp -s "$lc/e/regen/stdout.html" "$lc/e/reports/orders-nightly-20261203T000000Z.html"; then
		pass "lifecycle: recon report writes the 4 files of each of 3 runs again byte for byte (12 files, mode 0640; a later note changes nothing; stdout by run id is the HTML)"
	else
		fail "lifecycle: recon report byte for byte" "$lc_n of 12:$lc_bad" "$(cat "$lc/e/note3.out")"
	fi

	# an unknown run, an unknown format: exit 2
	lc_recon e report "$lc_job" 9 >"$lc/e/rep-bad.out" 2>"$lc/e/rep-bad.err"
	lc_rc=$?
	lc_recon e report "$lc_job" 1 --format pdf >>"$lc/e/rep-bad.out" 2>"$lc/e/rep-fmt.err"
	lc_rc2=$?
	if [ "$lc_rc" = 2 ] && [ "$lc_rc2" = 2 ] && [ ! -s "$lc/e/rep-bad.out" ] &&
		grep -q "has no published run '9' (give a seq from 1 to 3 or a run id" "$lc/e/rep-bad.err" &&
		grep -q "report: --format is html, csv, summary (the control totals' CSV) or xml, not 'pdf'" "$lc/e/rep-fmt.err"; then
		pass "lifecycle: recon report of an unknown run or format: exit 2, says what there is"
	else
		fail "lifecycle: recon report of an unknown run or format" "exit $lc_rc $lc_rc2" \
			"$(cat "$lc/e/rep-bad.err" "$lc/e/rep-fmt.err")"
	fi

	# T_report is insert-only; a line changed behind the triggers' back
	# is found by recon verify and refused by recon report (exit 9)
	lc_sql_err "UPDATE reconciled_orders_report SET line = replace(line, 'EUR', 'CHF') WHERE line_no = 1"
	lc_rc=$?
	if [ "$lc_rc" != 0 ] && grep -q "recon: reconciled_orders_report is insert-only" "$lc/e/sql.out"; then
		pass "lifecycle: UPDATE of T_report refused by the $backend trigger"
	else
		fail "lifecycle: UPDATE of T_report refused" "exit $lc_rc" "$(cat "$lc/e/sql.out")"
	fi
	if [ "$backend" = pg ]; then
		lc_drop="DROP TRIGGER reconciled_orders_report_insert_only ON reconciled_orders_report"
	else
		lc_drop="DROP TRIGGER reconciled_orders_report_no_update"
	fi
	lc_recon e verify "$lc_job" >"$lc/e/verify0.out" 2>&1
	lc_rc0=$?
	lc_sql_err "$lc_drop" &&
		lc_sql_err "UPDATE reconciled_orders_report SET line = replace(line, '\"SO-300020\"', '\"SO-300021\"') WHERE run_id = '$lc_id3'"
	lc_recon e verify "$lc_job" >"$lc/e/verify.out" 2>&1
	lc_rc=$?
	lc_recon e report "$lc_job" 3 >"$lc/e/rep-t.out" 2>"$lc/e/rep-t.err"
	lc_rc2=$?
	if [ "$lc_rc0" = 0 ] && grep -q ', 3 kept reports (' "$lc/e/verify0.out" &&
		[ "$lc_rc" = 9 ] && grep -q "report of run $lc_id3: line [0-9]*: " "$lc/e/verify.out" &&
		[ "$lc_rc2" = 9 ] && [ ! -s "$lc/e/rep-t.out" ] &&
		lc_recon e report "$lc_job" 2 -o "$lc/e/regen/after.html" >/dev/null 2>&1 &&
		cmp -s "$lc/e/regen/after.html" "$lc/e/reports/orders-nightly-20261201T000000Z.html"; then
		pass "lifecycle: a kept report line changed: recon verify exit 9 naming the run and line, recon report of that run exit 9, of the others still byte for byte"
	else
		fail "lifecycle: a kept report line changed" "verify before $lc_rc0, after $lc_rc, report $lc_rc2" \
			"$(cat "$lc/e/verify0.out" "$lc/e/verify.out" "$lc/e/rep-t.err")"
	fi
else
	fail "lifecycle: the runs (exit $lc_rc)" "$(tail -5 "$lc/c/"*.err "$lc/e/"*.err 2>/dev/null)"
fi
# the demo as it was for what follows
src_sql erp "UPDATE erp_doc SET net_amount = 1500.00 WHERE doc_id = 'INV-99000108'"
src_sql erp "UPDATE erp_doc SET net_amount = 24563.83 WHERE doc_id = 'INV-01200080'"
src_sql erp "UPDATE erp_doc SET net_amount = 999.98 WHERE doc_id = 'INV-99000026'"
