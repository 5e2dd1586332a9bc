# tests/e2e/lib/notes.sh - sourced by tests/e2e/run.sh after hooks.sh:
# finance's notes on exceptions (`recon note`, engine/notes.h,
# docs/STORE.md "T_notes") on every backend.
#
# A copy of jobs/orders-nightly.xml on a table of its own (nt_orders) in
# a store of its own (nt_store), with its own --state-dir, --report-dir
# and --tmpdir (tests/e2e/all.sh runs the backends at once):
#  1. after the demo run, two notes on an exception (one with UTF-8
#     text) get seq 1 and 2, chained (prev_hash of 2 = hash of 1), and
#     note 1's hash recomputes by hand (sha256sum over the documented
#     serialisation);
#  2. refusals in words, exit 2: a key the store does not have, an
#     unknown state, no --by, a --kind the key is not; a job whose store
#     has no run yet: exit 6;
#  3. recon verify: clean with the notes (exit 0, "2 notes"); recon
#     notes lists them (text and --json), and says when a key has none;
#  4. UPDATE and DELETE of nt_orders_notes refused by the DBMS;
#  5. the owner drops the UPDATE trigger and changes note 1's text:
#     recon verify names note seq 1, exit 9;
#  6. four notes written at once, two readers listing them meanwhile:
#     all succeed, seq 3..6, chained, verify finds only note 1.
#
# Uses run.sh's pass/fail/check, db_reset, store_query and $backend,
# $work, $recon, $asof, $root.

nt=$work/notes
rm -rf "$nt"
mkdir -p "$nt/tmp" "$nt/ini"

if [ "$backend" = pg ] || [ "$backend" = maria ]; then
	nt_store=nt_store
	db_reset "$nt_store" "" "" || abort "notes: create database $nt_store"
else
	nt_store=$nt/store.db
fi
awk -v db="$nt_store" '
	/^\[/ { sect = $0 }
	sect == "[recon_demo_store]" && /^Database *=/ { print "Database = " db; next }
	{ print }' "$work/odbc.ini" >"$nt/ini/odbc.ini"
: >"$nt/ini/odbcinst.ini"

# nt_job TABLE FILE: the demo job on store table TABLE, rules by path.
nt_job() {
	sed -e "s|\.\./rules/|$root/rules/|g" \
		-e "s|table=\"reconciled_orders\"|table=\"$1\"|" \
		"$root/jobs/orders-nightly.xml" >"$2"
}
nt_job nt_orders "$nt/job.xml"
nt_job nt_empty "$nt/empty.xml"

nt_recon() { tools/env.sh "$nt/ini" "$recon" "$@"; }
nt_sql() { store_query "$nt_store" "$nt_store" "$1"; }
# nt_sql_err SQL: run SQL, its stderr and stdout in $nt/sql.out; the
# client's exit code.
nt_sql_err() {
	if [ "$backend" = maria ]; then
		maria_sql "$nt_store" -e "$1" >"$nt/sql.out" 2>&1
	elif [ "$backend" = pg ]; then
		psql_db "$nt_store" -v ON_ERROR_STOP=1 -A -t -c "$1" >"$nt/sql.out" 2>&1
	else
		sqlite3 "$nt_store" "$1" >"$nt/sql.out" 2>&1
	fi
}

nt_recon run "$nt/job.xml" --as-of "$asof" --report-dir "$nt/reports" \
	--state-dir "$nt/state" --tmpdir "$nt/tmp" -q >"$nt/run.out" 2>"$nt/run.err"
rc=$?
key=$(nt_sql "SELECT rec_key FROM nt_orders WHERE rec_kind = 'order' AND outcome <> 'MATCHED' ORDER BY rec_key" | head -1)
if [ "$rc" != 1 ] || [ -z "$key" ]; then
	fail "notes: the demo run (exit 1) has an order exception" "exit $rc, key '$key'" "$(tail -3 "$nt/run.err")"
else
	pass "notes: the demo run published; exception $key"

	# 1. two notes, chained
	nt_recon note "$nt/job.xml" "$key" --state investigating --text "asked the ERP team" \
		--by "A. Meyer" >"$nt/n1.out" 2>"$nt/n1.err"
	rc1=$?
	nt_recon note "$nt/job.xml" "$key" --kind order --state explained \
		--text "Gutschrift über 12,50 € gebucht" --by "B. Kühn" >"$nt/n2.out" 2>"$nt/n2.err"
	rc2=$?
	if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] &&
		grep -q "^note 1 on order '$key' (investigating, by A. Meyer, .* UTC): hash [0-9a-f]\{64\}$" "$nt/n1.out" &&
		grep -q "^note 2 on order '$key' (explained, by B. Kühn, " "$nt/n2.out"; then
		pass "notes: recon note appends note 1 and note 2 on $key"
	else
		fail "notes: recon note appends note 1 and note 2 on $key" "exit $rc1 $rc2" \
			"$(cat "$nt/n1.out" "$nt/n1.err" "$nt/n2.out" "$nt/n2.err")"
	fi
	h1=$(nt_sql "SELECT hash FROM nt_orders_notes WHERE seq = 1")
	p1=$(nt_sql "SELECT prev_hash FROM nt_orders_notes WHERE seq = 1")
	p2=$(nt_sql "SELECT prev_hash FROM nt_orders_notes WHERE seq = 2")
	t2=$(nt_sql "SELECT text FROM nt_orders_notes WHERE seq = 2")
	if [ -n "$h1" ] && [ -z "$p1" ] && [ "$p2" = "$h1" ] &&
		[ "$t2" = "Gutschrift über 12,50 € gebucht" ] &&
		grep -q "hash $h1\$" "$nt/n1.out"; then
		pass "notes: chained (prev_hash of 2 is the hash of 1, '' for 1), UTF-8 text kept"
	else
		fail "notes: chained" "h1 '$h1' p1 '$p1' p2 '$p2' text '$t2'"
	fi
	# note 1's hash by hand (docs/STORE.md): NAME:LENGTH:BYTES lines
	created=$(nt_sql "SELECT created FROM nt_orders_notes WHERE seq = 1")
	by=$(nt_sql "SELECT by_name FROM nt_orders_notes WHERE seq = 1")
	hand=$(export LC_ALL=C; f() { printf '%s:%d:%s\n' "$1" "${#2}" "$2"; }
		{ f seq 1; f job orders-nightly; f rec_kind order; f rec_key "$key"
		  f state investigating; f text "asked the ERP team"; f by_name "$by"
		  f created "$created"; f prev_hash ""; } | sha256sum | cut -c1-64)
	check "notes: note 1's hash recomputes with sha256sum ($hand)" test "$hand" = "$h1"

	# 2. refusals
	nt_recon note "$nt/job.xml" SO-NOPE --state explained --text x --by me >/dev/null 2>"$nt/e1.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q "the store of job 'orders-nightly' has no record 'SO-NOPE'; give the key as the exception report shows it" "$nt/e1.err"; then
		pass "notes: a key the store does not have: exit 2, in words"
	else
		fail "notes: a key the store does not have: exit 2" "exit $rc" "$(cat "$nt/e1.err")"
	fi
	nt_recon note "$nt/job.xml" "$key" --state done --text x --by me >/dev/null 2>"$nt/e2.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q "the state is explained, accepted or investigating, not 'done'" "$nt/e2.err"; then
		pass "notes: an unknown state: exit 2"
	else
		fail "notes: an unknown state: exit 2" "exit $rc" "$(cat "$nt/e2.err")"
	fi
	nt_recon note "$nt/job.xml" "$key" --state explained --text x >/dev/null 2>"$nt/e3.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q "note: --by is missing" "$nt/e3.err"; then
		pass "notes: no --by: exit 2"
	else
		fail "notes: no --by: exit 2" "exit $rc" "$(cat "$nt/e3.err")"
	fi
	nt_recon note "$nt/job.xml" "$key" --kind deal --state explained --text x --by me >/dev/null 2>"$nt/e4.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q "record '$key' of job 'orders-nightly' is not a deal (without order); the store has it as an order" "$nt/e4.err"; then
		pass "notes: a --kind the key is not: exit 2, naming the kind it is"
	else
		fail "notes: a --kind the key is not: exit 2" "exit $rc" "$(cat "$nt/e4.err")"
	fi
	nt_recon note "$nt/empty.xml" "$key" --state explained --text x --by me >/dev/null 2>"$nt/e5.err"
	rc=$?
	if [ "$rc" = 6 ] && grep -q "store table 'nt_empty' does not exist in DSN 'recon_demo_store': no run of job 'orders-nightly' has been published yet" "$nt/e5.err"; then
		pass "notes: a job without a published run: exit 6"
	else
		fail "notes: a job without a published run: exit 6" "exit $rc" "$(cat "$nt/e5.err")"
	fi
	n=$(nt_sql "SELECT count(*) FROM nt_orders_notes")
	check "notes: the refusals wrote nothing (2 notes)" test "$n" = 2

	# 3. verify, clean
	nt_recon verify "$nt/job.xml" >"$nt/v1.out" 2>&1
	rc=$?
	if [ "$rc" = 0 ] && grep -q ", 2 notes, 1 kept report ([0-9]* lines): ok$" "$nt/v1.out"; then
		pass "notes: recon verify checks the 2 notes: ok"
	else
		fail "notes: recon verify checks the 2 notes: ok" "exit $rc" "$(cat "$nt/v1.out")"
	fi

	# recon notes: the list by record, oldest first, and --json
	nt_recon notes "$nt/job.xml" "$key" >"$nt/l1.out" 2>"$nt/l1.err"
	rc=$?
	if [ "$rc" = 0 ] && [ "$(grep -c '^note ' "$nt/l1.out")" = 2 ] &&
		[ "$(sed -n 1p "$nt/l1.out")" = "note 1  $created UTC  order '$key'  investigating  by A. Meyer" ] &&
		[ "$(sed -n 4p "$nt/l1.out")" = "  Gutschrift über 12,50 € gebucht" ] &&
		grep -q "^note 2  .* UTC  order '$key'  explained  by B. Kühn\$" "$nt/l1.out"; then
		pass "notes: recon notes JOB KEY lists both notes, oldest first"
	else
		fail "notes: recon notes JOB KEY lists both notes, oldest first" "exit $rc" "$(cat "$nt/l1.out" "$nt/l1.err")"
	fi
	nt_recon notes "$nt/job.xml" --json >"$nt/l2.out" 2>"$nt/l2.err"
	rc=$?
	if [ "$rc" = 0 ] && [ "$(grep -c '"seq":' "$nt/l2.out")" = 2 ] &&
		grep -q "^{\"seq\":1,\"job\":\"orders-nightly\",\"rec_kind\":\"order\",\"rec_key\":\"$key\",\"state\":\"investigating\",\"text\":\"asked the ERP team\",\"by\":\"A. Meyer\",\"created\":\"$created\",\"hash\":\"$h1\"}" "$nt/l2.out" &&
		grep -q '"text":"Gutschrift über 12,50 € gebucht"' "$nt/l2.out" &&
		[ "$(head -c 1 "$nt/l2.out")" = "[" ] && [ "$(tail -1 "$nt/l2.out")" = "]" ]; then
		pass "notes: recon notes --json: one array, every field"
	else
		fail "notes: recon notes --json" "exit $rc" "$(cat "$nt/l2.out" "$nt/l2.err")"
	fi
	nt_recon notes "$nt/job.xml" SO-NOPE >"$nt/l3.out" 2>"$nt/l3.err"
	rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$nt/l3.out" ] && grep -q "no notes on 'SO-NOPE' of job 'orders-nightly'" "$nt/l3.err"; then
		pass "notes: recon notes on a key without notes: exit 0, says so"
	else
		fail "notes: recon notes on a key without notes" "exit $rc" "$(cat "$nt/l3.out" "$nt/l3.err")"
	fi

	# 4. the DBMS refuses UPDATE and DELETE
	nt_sql_err "UPDATE nt_orders_notes SET text = 'forged' WHERE seq = 1"
	rc=$?
	if [ "$rc" != 0 ] && grep -q "recon: nt_orders_notes is insert-only" "$nt/sql.out"; then
		pass "notes: UPDATE refused by the $backend trigger"
	else
		fail "notes: UPDATE refused by the $backend trigger" "exit $rc" "$(cat "$nt/sql.out")"
	fi
	nt_sql_err "DELETE FROM nt_orders_notes WHERE seq = 2"
	rc=$?
	if [ "$rc" != 0 ] && grep -q "recon: nt_orders_notes is insert-only" "$nt/sql.out"; then
		pass "notes: DELETE refused by the $backend trigger"
	else
		fail "notes: DELETE refused by the $backend trigger" "exit $rc" "$(cat "$nt/sql.out")"
	fi
	t1=$(nt_sql "SELECT text FROM nt_orders_notes WHERE seq = 1")
	n=$(nt_sql "SELECT count(*) FROM nt_orders_notes")
	check "notes: nothing changed ($n notes, note 1 '$t1')" test "$n:$t1" = "2:asked the ERP team"

	# 5. the owner drops the trigger and edits note 1
	if [ "$backend" = pg ]; then
		drop="DROP TRIGGER nt_orders_notes_insert_only ON nt_orders_notes"
	else
		drop="DROP TRIGGER nt_orders_notes_no_update"
	fi
	nt_sql_err "$drop" && nt_sql_err "UPDATE nt_orders_notes SET text = 'nothing to see' WHERE seq = 1"
	rc=$?
	check "notes: with the trigger dropped, the owner's UPDATE goes through" test "$rc" = 0
	nt_recon verify "$nt/job.xml" >"$nt/v2.out" 2>&1
	rc=$?
	if [ "$rc" = 9 ] && grep -q "^verify: note seq 1: hash does not recompute from its fields" "$nt/v2.out" &&
		grep -q ", 2 notes, 1 kept report ([0-9]* lines): 1 finding$" "$nt/v2.out"; then
		pass "notes: recon verify names the changed note (seq 1), exit 9"
	else
		fail "notes: recon verify names the changed note (seq 1), exit 9" "exit $rc" "$(cat "$nt/v2.out")"
	fi

	# 6. four notes written at once: each gets its own seq, chained
	# (collisions on the unique seq retried), nothing lost
	# (by pid: run.sh's own jobs, the MariaDB server, are jobs too)
	# and two readers listing the notes meanwhile: a writer waiting for
	# another must not hold the readers out for the busy timeout (on
	# SQLite a deferred transaction did: connectors/odbc.c, conn_begin)
	nt_pids=
	for i in 1 2 3 4; do
		nt_recon note "$nt/job.xml" "$key" --state investigating --text "at once $i" \
			--by "writer $i" >"$nt/c$i.out" 2>"$nt/c$i.err" &
		nt_pids="$nt_pids $!"
		if [ "$i" -le 2 ]; then
			nt_recon notes "$nt/job.xml" "$key" >"$nt/r$i.out" 2>"$nt/r$i.err" &
			nt_pids="$nt_pids $!"
		fi
	done
	crc=0
	for p in $nt_pids; do wait "$p" || crc=$?; done
	n=$(nt_sql "SELECT count(*) FROM nt_orders_notes")
	m=$(nt_sql "SELECT max(seq) FROM nt_orders_notes")
	nt_recon verify "$nt/job.xml" >"$nt/v3.out" 2>&1
	rc=$?
	if [ "$crc" = 0 ] && [ "$n:$m" = 6:6 ] && [ "$rc" = 9 ] &&
		grep -q ", 6 notes, 1 kept report ([0-9]* lines): 1 finding$" "$nt/v3.out"; then
		pass "notes: 4 notes written at once (2 readers meanwhile) get seq 3..6, chained (verify finds only note 1)"
	else
		fail "notes: 4 notes written at once" "exits $crc, $n notes, max seq $m, verify $rc" \
			"$(cat "$nt/v3.out" "$nt"/c?.err "$nt"/r?.err)"
	fi
fi
