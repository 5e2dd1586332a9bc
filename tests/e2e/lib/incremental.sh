# tests/e2e/lib/incremental.sh - sourced by tests/e2e/run.sh after the demo
# checks (it changes the demo databases): incremental runs against full
# runs (docs/INCREMENTAL.md).
#
# Two stores get the same sequence of data changes: store "inc" is
# updated by `recon run --incremental`, store "full" by plain full runs.
# After every step both must hold exactly the same current state (the
# T_current view, versions and value hashes included), the same number of
# record versions (so unchanged keys got no new version), and the same
# exception report, byte for byte. The changes cover rows that change key
# links (an order re-pointed to another deal, an invoice moved to another
# order), rows that leave a source's result and come back (a deal
# soft-deleted, then reopened; a deal reopened in the CRM; an ERP
# document turned into a delivery note; an order moved out of the
# window), cancellations (an order, an invoice), new rows, a changed row
# whose id is not unique (that source is read in full), a step without
# changes, a state file from an older run (read in full), and rows that
# leave the result without a change (hard deletes, a date out of the
# window: the <keys> queries) or enter it (read in full).

# src_sql DB SQL: run SQL on a demo source database.
src_sql() {
	if [ "$backend" = maria ]; then
		maria_sql "$1" -e "$2"
	elif [ "$backend" = pg ]; then
		psql_db "$1" -c "$2" >/dev/null
	else
		sqlite3 -bail "$demo/$1.db" "$2"
	fi
}

inc_setup() {
	local which
	for which in inc full; do
		mkdir -p "$work/$which"
		if [ "$backend" = pg ] || [ "$backend" = maria ]; then
			db_reset "store_$which" "" "" || return 1
			awk -v db="store_$which" '
				/^\[/ { sect = $0 }
				sect == "[recon_demo_store]" && /^Database *=/ { print "Database = " db; next }
				{ print }' "$work/odbc.ini" >"$work/$which/odbc.ini"
		else
			rm -f "$work/$which/store.db"
			sed "s|$demo/store.db|$work/$which/store.db|" "$work/odbc.ini" >"$work/$which/odbc.ini"
		fi
		: >"$work/$which/odbcinst.ini"
		rm -rf "$work/$which/state"
	done
}

# inc_run WHICH STEP [--incremental]: run the demo job on store WHICH.
inc_run() {
	local which=$1 step=$2
	shift 2
	tools/env.sh "$work/$which" "$recon" run jobs/orders-nightly.xml --as-of "$asof" \
		--report-dir "$work/$which/reports-$step" --state-dir "$work/$which/state" "$@" \
		>"$work/$which/out-$step" 2>"$work/$which/err-$step"
	local rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 1 ]
}

inc_store() {
	local which=$1 sql=$2
	if [ "$backend" = maria ]; then
		maria_sql "store_$which" -e "$sql" | tr '\t' '|'
	elif [ "$backend" = pg ]; then
		PGOPTIONS='-c client_min_messages=warning' psql -X -q -h 127.0.0.1 -p "$pgport" -U recon \
			-d "store_$which" -v ON_ERROR_STOP=1 -A -t -c "$sql"
	else
		sqlite3 "$work/$which/store.db" "$sql"
	fi
}

# The current state without run ids and the hashes that chain them (the
# sources column is compared whole: it names fingerprints, not row
# positions, so a full and an incremental run must agree on it).
inc_current() {
	inc_store "$1" "SELECT rec_kind, rec_key, version, outcome, codes, deal_key, order_key, customer, currency, deal_amount, order_amount, erp_amount, erp_docs, sources, value_hash FROM reconciled_orders_current ORDER BY rec_kind, rec_key" |
		sed -e 's/\.0000|/|/g' -e 's/\(\.[0-9][0-9]\)00|/\1|/g'
}

# inc_compare STEP: both stores and reports agree after STEP.
inc_compare() {
	local step=$1 a b
	inc_current inc >"$work/inc/current-$step.txt"
	inc_current full >"$work/full/current-$step.txt"
	if [ -s "$work/full/current-$step.txt" ] &&
		diff -u "$work/full/current-$step.txt" "$work/inc/current-$step.txt" >"$work/diff.txt" 2>&1; then
		pass "incremental step $step: same current state as a full run ($(wc -l <"$work/full/current-$step.txt") keys)"
	else
		fail "incremental step $step: same current state as a full run" "$(head -30 "$work/diff.txt")"
	fi
	a=$(inc_store inc "SELECT count(*) FROM reconciled_orders")
	b=$(inc_store full "SELECT count(*) FROM reconciled_orders")
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		pass "incremental step $step: same number of record versions ($a)"
	else
		fail "incremental step $step: same number of record versions" "incremental $a, full $b"
	fi
	csv_records "$work/full/reports-$step/$report_base-summary.csv" | awk -F "$US" '$1 == "source"' >"$work/full/sources-$step.txt"
	csv_records "$work/inc/reports-$step/$report_base-summary.csv" | awk -F "$US" '$1 == "source"' >"$work/inc/sources-$step.txt"
	if [ -s "$work/full/sources-$step.txt" ] && cmp -s "$work/full/sources-$step.txt" "$work/inc/sources-$step.txt"; then
		pass "incremental step $step: same control totals per source (read, kept, skipped, failed, amounts)"
	else
		fail "incremental step $step: same control totals per source" \
			"$(diff "$work/full/sources-$step.txt" "$work/inc/sources-$step.txt" | tr "$US" '|' | head -10)"
	fi
	if cmp -s "$work/full/reports-$step/$report_base.csv" "$work/inc/reports-$step/$report_base.csv"; then
		pass "incremental step $step: same exception CSV"
	else
		fail "incremental step $step: same exception CSV" \
			"$(diff "$work/full/reports-$step/$report_base.csv" "$work/inc/reports-$step/$report_base.csv" | head -20)"
	fi
}

inc_step() {
	local step=$1 mode
	inc_run inc "$step" --incremental || fail "incremental step $step: incremental run" "$(tail -5 "$work/inc/err-$step")"
	inc_run full "$step" || fail "incremental step $step: full run" "$(tail -5 "$work/full/err-$step")"
	inc_compare "$step"
	mode=$(inc_store inc "SELECT mode FROM reconciled_orders_runs ORDER BY seq DESC LIMIT 1")
	check "incremental step $step: the run ledger says mode incremental" [ "$mode" = incremental ]
}

if ! inc_setup >"$work/inc-setup.log" 2>&1; then
	fail "incremental: set up two stores" "$(cat "$work/inc-setup.log")"
else
	inc_run inc 0 || fail "incremental step 0: first (full) run" "$(tail -5 "$work/inc/err-0")"
	inc_run full 0 || fail "incremental step 0: full run" "$(tail -5 "$work/full/err-0")"
	inc_compare 0
	wm=$(inc_store inc "SELECT watermarks FROM reconciled_orders_runs ORDER BY seq DESC LIMIT 1")
	case $wm in
	*'"crm":{"column":"modified_at","type":"time","value":"2026-11-25 00:00:00","mode":"full"'*)
		pass "the run ledger keeps each source's watermark" ;;
	*) fail "the run ledger keeps each source's watermark" "watermarks: $wm" ;;
	esac

	# 1: soft delete, re-pointed order, cancellations, new rows.
	t="'2026-11-25 01:00:00'"
	src_sql crm "UPDATE crm_deal SET is_deleted = 1, modified_at = $t WHERE deal_id = 'D-000001'"
	src_sql orders "UPDATE orders SET crm_deal_ref = 'D-000002', modified_at = $t WHERE order_no = 'SO-300003'"
	src_sql orders "UPDATE orders SET status = 'CANCELLED', modified_at = $t WHERE order_no = 'SO-300004'"
	src_sql erp "UPDATE erp_doc SET doc_status = 'X', modified_at = $t WHERE doc_id = 'INV-01200020'"
	src_sql crm "INSERT INTO crm_deal VALUES ('D-009991', 'Neu GmbH', 'acc-0042', 100.00, 1, 'Closed Won', '2026-11-01 10:00:00', 0, $t)"
	src_sql orders "INSERT INTO orders VALUES ('SO-309991', 'D-009991', 'C0042', 100.00, 'EUR', 'SHIPPED', '2026-11-01 11:00:00', NULL, $t)"
	src_sql erp "INSERT INTO erp_doc VALUES ('INV-99999991', 'INV', 'SO00309991  ', 'CUST-42', 100.00, NULL, 'EUR', 'P', '2026-11-02 10:00:00', NULL, $t)"
	inc_step 1
	check "incremental step 1: sources were read incrementally" grep -q "source 'crm': incremental: " "$work/inc/err-1"
	rm -rf "$work/inc/state-1"
	cp -r "$work/inc/state" "$work/inc/state-1"

	# 2: reopen, re-link, leave the result, a duplicate id changes.
	t="'2026-11-25 02:00:00'"
	src_sql crm "UPDATE crm_deal SET is_deleted = 0, modified_at = $t WHERE deal_id = 'D-000001'"
	src_sql crm "UPDATE crm_deal SET stage = 'Negotiation', closed_at = NULL, modified_at = $t WHERE deal_id = 'D-000006'"
	src_sql erp "UPDATE erp_doc SET order_ref = 'SO00300008  ', modified_at = $t WHERE doc_id = 'INV-01200028'"
	src_sql erp "UPDATE erp_doc SET doc_kind = 'DN', modified_at = $t WHERE doc_id = 'SO-00300009'"
	src_sql orders "UPDATE orders SET created_at = '2020-01-01 00:00:00', modified_at = $t WHERE order_no = 'SO-300010'"
	src_sql orders "UPDATE orders SET total_amount = total_amount, modified_at = $t WHERE order_no = 'SO-99000014'"
	inc_step 2
	check "incremental step 2: a changed duplicate id makes that source read in full" \
		grep -q "source 'orders': reading in full: two changed rows have order_no 'SO-99000014'" "$work/inc/err-2"

	# 3: nothing changed: no new version anywhere.
	before=$(inc_store inc "SELECT count(*) FROM reconciled_orders")
	inc_step 3
	after=$(inc_store inc "SELECT count(*) FROM reconciled_orders")
	check "incremental step 3: no change, no new version ($before = $after)" [ "$before" = "$after" ]

	# 4: the state is from an older run (a crash between the commit and
	# the rename): read in full, same result.
	rm -rf "$work/inc/state"
	cp -r "$work/inc/state-1" "$work/inc/state"
	t="'2026-11-25 03:00:00'"
	src_sql crm "UPDATE crm_deal SET amount = 999.00, modified_at = $t WHERE deal_id = 'D-000012'"
	inc_run inc 4 --incremental || fail "incremental step 4: incremental run" "$(tail -5 "$work/inc/err-4")"
	inc_run full 4 || fail "incremental step 4: full run" "$(tail -5 "$work/full/err-4")"
	inc_compare 4
	check "incremental step 4: a state from an older run is not used" \
		grep -q "source 'crm': reading in full: the state was written by run" "$work/inc/err-4"

	# 5: rows that leave the result without a change (no modified_at):
	# a deal and an invoice deleted outright, an invoice whose date falls
	# out of the window. Only the <keys> queries see them. (The demo's
	# orders are read in full in every step: two of them share an
	# order_no, and both are re-read at the watermark.)
	src_sql crm "DELETE FROM crm_deal WHERE deal_id = 'D-000013'"
	src_sql erp "DELETE FROM erp_doc WHERE doc_id = 'INV-01200320'"
	src_sql erp "UPDATE erp_doc SET doc_date = '2019-01-01 00:00:00' WHERE doc_id = 'INV-01200324'"
	inc_step 5
	check "incremental step 5: <keys> saw the deal deleted without a change" \
		grep -q "source 'crm': <keys>: [0-9]* rows in the result, 1 left it without a change" "$work/inc/err-5"
	check "incremental step 5: <keys> saw the two invoices that left without a change" \
		grep -q "source 'erp': <keys>: [0-9]* rows in the result, 2 left it without a change" "$work/inc/err-5"

	# 6: a row that enters the result without a change (its date moved
	# back into the window by hand): the keys show a row the state does
	# not have, so that source is read in full.
	src_sql erp "UPDATE erp_doc SET doc_date = '2026-09-14 15:33:43' WHERE doc_id = 'INV-01200324'"
	inc_step 6
	check "incremental step 6: a row that entered the result unchanged makes erp read in full" \
		grep -q "source 'erp': reading in full: doc_id 'INV-01200324' is in the <keys> result but neither in the previous state nor changed" "$work/inc/err-6"
fi
