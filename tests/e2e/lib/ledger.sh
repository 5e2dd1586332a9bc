# tests/e2e/lib/ledger.sh - sourced by tests/e2e/run.sh after the demo
# checks: `recon verify`, `recon digest`, `recon history` on a real store,
# tamper tests and SIGKILL tests (docs/LEDGER.md, "Verifying").
#
# 1. Two runs of the demo job into store "ledger", the second after one
#    order amount changed (a second version appears); verify is clean,
#    history shows what changed, a digest is exported and checks clean.
# 2. Tampering, each on a copy of that store (SQLite: a copy of the file;
#    PostgreSQL: CREATE DATABASE ... TEMPLATE; MariaDB: mariadb-dump into
#    a new database), with the engine's triggers bypassed as the database
#    owner would (SQLite and MariaDB: DROP TRIGGER; PostgreSQL:
#    session_replication_role = replica): an UPDATE, a DELETE, an INSERT
#    (duplicate and forged versions), a reordered history, a deleted and an
#    altered runs row (records, digest, totals, status, as_of), the
#    current view redefined or replaced by a table of forged rows: verify
#    exits 9 naming key, version and run. Then the attacker who recomputes
#    the row's hashes and the run digest in SQL (and one who edits a runs
#    row and recomputes its digest): verify alone passes, verify --digest
#    fails naming the run.
# 3. SIGKILL (a 20,000-deal demo; on PostgreSQL and MariaDB loaded into databases
#    kill_crm, kill_orders, kill_erp, one store database per kill point):
#    `recon run` killed after 0.2 s, 0.5 s, 1 s, once the matcher is done
#    (publishing) and once the commit is done; the store then holds no new
#    run or the complete run, verifies clean, no report of an unpublished
#    run exists, and a rerun succeeds with the same exceptions as a clean
#    run and removes the spill folder the killed run left in its --tmpdir
#    (saying so, with the killed run's pid).
# 4. SIGTERM and SIGINT on the same demo, at 0.5 s (reading), once the
#    last source is read (matching), once the matcher is done and once
#    the commit is done: before the commit the run exits 13 with
#    "stopped by SIGxxx while ...; nothing was published" and the store
#    holds no run; after it the run exits 1, published whole. Either way
#    the store verifies, no report temporary, state temporary or spill
#    folder is left, and the rerun gives the clean run's exceptions.
#
# Uses run.sh's pass/fail/check, psql_db, db_reset, csv_exceptions and
# $backend, $work, $demo, $recon, $asof.

lg=$work/ledger
T=reconciled_orders
LEDGER_FORMAT=recon-ledger/2
mkdir -p "$lg"

# lg_ini NAME STORE: odbc.ini in $lg/NAME whose recon_demo_store is STORE
# (a SQLite file, or a PostgreSQL database name); the other DSNs as in
# run.sh's odbc.ini, or in $3.
lg_ini() {
	local dir=$lg/$1 store=$2 base=${3:-$work/odbc.ini}
	mkdir -p "$dir"
	awk -v db="$store" '
		/^\[/ { sect = $0 }
		sect == "[recon_demo_store]" && /^Database *=/ { print "Database = " db; next }
		{ print }' "$base" >"$dir/odbc.ini"
	: >"$dir/odbcinst.ini"
}

lg_recon() {
	local dir=$1
	shift
	tools/env.sh "$lg/$dir" "$recon" "$@"
}

# lg_sql STORE SQL: run SQL in STORE (file or database), print rows.
lg_sql() {
	if [ "$backend" = maria ]; then
		maria_sql "$1" -e "$(maria_text "$2")" | tr '\t' '|'
	elif [ "$backend" = pg ]; then
		psql_db "$1" -A -t -c "$2"
	else
		sqlite3 "$1" "$2"
	fi
}

# The main store of these tests.
if [ "$backend" = pg ] || [ "$backend" = maria ]; then
	lg_store=store_ledger
	db_reset "$lg_store" "" "" || abort "ledger: create database $lg_store"
else
	lg_store=$lg/store.db
	rm -f "$lg_store"
fi
lg_ini main "$lg_store"

# ---------------------------------------------------------------------
# 1. Two runs, verify, history, digest.

lg_recon main run jobs/orders-nightly.xml --as-of "$asof" --report-dir "$lg/r1" -q \
	>"$lg/run1.out" 2>"$lg/run1.err"
rc=$?
check "ledger: run 1 (exit $rc)" [ "$rc" = 1 ]

# One priced order changes its amount.
chg_sql="SELECT order_no FROM orders WHERE total_amount IS NOT NULL AND status <> 'CANCELLED' ORDER BY order_no LIMIT 1"
if [ "$backend" = maria ]; then
	chg_order=$(maria_sql orders -e "$chg_sql")
	maria_sql orders -e "UPDATE orders SET total_amount = total_amount + 1 WHERE order_no = '$chg_order'"
elif [ "$backend" = pg ]; then
	chg_order=$(psql_db orders -A -t -c "$chg_sql")
	psql_db orders -c "UPDATE orders SET total_amount = total_amount + 1 WHERE order_no = '$chg_order'" >/dev/null
else
	chg_order=$(sqlite3 "$demo/orders.db" "$chg_sql")
	sqlite3 "$demo/orders.db" "UPDATE orders SET total_amount = total_amount + 1 WHERE order_no = '$chg_order'"
fi
lg_recon main run jobs/orders-nightly.xml --as-of "$asof" --report-dir "$lg/r2" -q \
	>"$lg/run2.out" 2>"$lg/run2.err"
rc=$?
check "ledger: run 2 after order $chg_order changed (exit $rc)" [ "$rc" = 1 ]
# put the amount back (later tests use the demo databases)
if [ "$backend" = maria ]; then
	maria_sql orders -e "UPDATE orders SET total_amount = total_amount - 1 WHERE order_no = '$chg_order'"
elif [ "$backend" = pg ]; then
	psql_db orders -c "UPDATE orders SET total_amount = total_amount - 1 WHERE order_no = '$chg_order'" >/dev/null
else
	sqlite3 "$demo/orders.db" "UPDATE orders SET total_amount = total_amount - 1 WHERE order_no = '$chg_order'"
fi

v2=$(lg_sql "$lg_store" "SELECT rec_kind || ' ' || rec_key FROM $T WHERE version = 2")
kkind=${v2%% *}
key=${v2#* }
r1=$(lg_sql "$lg_store" "SELECT run_id FROM ${T}_runs WHERE seq = 1")
r2=$(lg_sql "$lg_store" "SELECT run_id FROM ${T}_runs WHERE seq = 2")
if [ -n "$key" ] && [ "$(printf '%s\n' "$v2" | wc -l)" = 1 ] && [ -n "$r2" ]; then
	pass "ledger: one key got a second version ($kkind '$key')"
else
	fail "ledger: one key got a second version" "versions 2: $v2" "runs: $r1 $r2"
fi

lg_recon main verify jobs/orders-nightly.xml >"$lg/verify.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q ': ok$' "$lg/verify.out"; then
	pass "ledger: verify is clean ($(sed 's/.*: \([0-9]* runs\)/\1/' "$lg/verify.out"))"
else
	fail "ledger: verify is clean (exit $rc)" "$(head -20 "$lg/verify.out")"
fi

lg_recon main history jobs/orders-nightly.xml "$key" >"$lg/history.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q "^  version 1  run $r1 (seq 1" "$lg/history.out" &&
	grep -q "^  version 2  run $r2 (seq 2" "$lg/history.out" &&
	grep -q "^    changed: .*order_amount: '" "$lg/history.out"; then
	pass "ledger: history shows both versions and the changed order_amount"
else
	fail "ledger: history shows both versions and the changed order_amount (exit $rc)" "$(cat "$lg/history.out")"
fi
# recon runs: the two published runs, newest first, with their counts;
# --json the same as JSON (parsed back).
lg_recon main runs jobs/orders-nightly.xml >"$lg/runs.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && [ "$(wc -l <"$lg/runs.out")" = 3 ] &&
	sed -n 1p "$lg/runs.out" | grep -q '^ *seq  run  *as-of  *mode  *status  *versions  *exceptions  *rows read  *seconds$' &&
	sed -n 2p "$lg/runs.out" | grep -q "^ *2  $r2  $asof  full  *exceptions  *1  " &&
	sed -n 3p "$lg/runs.out" | grep -Eq "^ *1  $r1  $asof  full  *exceptions  *[0-9]+  +[0-9]+  +[0-9]+  +[0-9]+$"; then
	pass "ledger: runs lists both runs, newest first"
else
	fail "ledger: runs lists both runs, newest first (exit $rc)" "$(cat "$lg/runs.out")"
fi
lg_recon main runs jobs/orders-nightly.xml --json >"$lg/runs.json" 2>&1
rc=$?
# (no JSON tool is a dependency: the shape is checked line by line)
num='[0-9][0-9]*'
if [ "$rc" = 0 ] && [ "$(wc -l <"$lg/runs.json")" = 4 ] &&
	[ "$(sed -n 1p "$lg/runs.json")" = '[' ] && [ "$(sed -n 4p "$lg/runs.json")" = ']' ] &&
	sed -n 2p "$lg/runs.json" | grep -q "^{\"seq\":2,\"run_id\":\"$r2\",\"as_of\":\"$asof\",\"mode\":\"full\",\"status\":\"exceptions\",\"versions\":1,\"exceptions\":$num,\"rows_read\":$num,\"started\":\"[0-9T:Z-]*\",\"finished\":\"[0-9T:Z-]*\",\"seconds\":$num},$" &&
	sed -n 3p "$lg/runs.json" | grep -q "^{\"seq\":1,\"run_id\":\"$r1\",.*\"rows_read\":$num,.*\"seconds\":$num}$"; then
	pass "ledger: runs --json gives the same runs as JSON objects"
else
	fail "ledger: runs --json gives the same runs as JSON objects (exit $rc)" "$(head -5 "$lg/runs.json")"
fi
# Any system's id finds the record: a deal id and an ERP document id
# the order record SO-99000031 (its sources name them), an orphan
# document its ERP_WITHOUT_ORDER record; --kind still filters.
lg_recon main history jobs/orders-nightly.xml D-99000031 >"$lg/history-deal.out" 2>&1
rc=$?
check "ledger: history by a deal id finds the order record" \
	[ "$rc" = 0 ] && [ "$(head -1 "$lg/history-deal.out")" = "order 'SO-99000031' (its sources name 'D-99000031')" ]
lg_recon main history jobs/orders-nightly.xml INV-99000131 >"$lg/history-doc.out" 2>&1
rc=$?
check "ledger: history by an ERP document id finds its order's record" \
	[ "$rc" = 0 ] && [ "$(head -1 "$lg/history-doc.out")" = "order 'SO-99000031' (its sources name 'INV-99000131')" ] &&
	grep -q "^  version 1  run $r1 (seq 1" "$lg/history-doc.out"
lg_recon main history jobs/orders-nightly.xml INV-99000006 >"$lg/history-orphan.out" 2>&1
rc=$?
check "ledger: history by an orphan document id finds its ERP_WITHOUT_ORDER record" \
	[ "$rc" = 0 ] && [ "$(head -1 "$lg/history-orphan.out")" = "erp 'SO-99000906' (its sources name 'INV-99000006')" ] &&
	grep -q "ERP_WITHOUT_ORDER$" "$lg/history-orphan.out"
lg_recon main history jobs/orders-nightly.xml INV-9900013 >"$lg/history-part.out" 2>&1
rc=$?
check "ledger: history matches whole ids only (a prefix of INV-99000131 is no such key)" [ "$rc" = 2 ]
lg_recon main history jobs/orders-nightly.xml inv-99000131 >"$lg/history-case.out" 2>&1
rc=$?
check "ledger: history compares ids exactly (case too)" [ "$rc" = 2 ]
lg_recon main history jobs/orders-nightly.xml D-99000031 --kind deal >"$lg/history-kind.out" 2>&1
rc=$?
check "ledger: history --kind deal of a deal with an order is no such key" [ "$rc" = 2 ]
lg_recon main history jobs/orders-nightly.xml NO-SUCH-KEY >"$lg/history2.out" 2>&1
rc=$?
check "ledger: history of a missing key exits 2" [ "$rc" = 2 ]

lg_recon main digest jobs/orders-nightly.xml "$r2" >"$lg/digest.txt" 2>"$lg/digest.err"
rc=$?
if [ "$rc" = 0 ] && grep -q "^chain 2 [0-9a-f]\{64\} $r2\$" "$lg/digest.txt"; then
	pass "ledger: digest exported for run 2"
else
	fail "ledger: digest exported for run 2 (exit $rc)" "$(cat "$lg/digest.err")"
fi
lg_recon main verify jobs/orders-nightly.xml --digest "$lg/digest.txt" >"$lg/verify-d.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q "2 runs checked against" "$lg/verify-d.out"; then
	pass "ledger: verify --digest is clean"
else
	fail "ledger: verify --digest is clean (exit $rc)" "$(head -20 "$lg/verify-d.out")"
fi

# ---------------------------------------------------------------------
# 2. Tampering.

# lg_copy NAME: a copy of the main store as store NAME; prints where.
lg_copy() {
	local db=t_${1//-/_}
	if [ "$backend" = maria ]; then
		maria_copy "$lg_store" "$db" || return 1
		lg_ini "$1" "$db"
		echo "$db"
	elif [ "$backend" = pg ]; then
		psql_db postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
			-c "CREATE DATABASE $db TEMPLATE $lg_store" >/dev/null || return 1
		lg_ini "$1" "$db"
		echo "$db"
	else
		cp "$lg_store" "$lg/$1.db" || return 1
		lg_ini "$1" "$lg/$1.db"
		echo "$lg/$1.db"
	fi
}

# lg_owner STORE SQL: run SQL as the database owner, past the triggers
# and the unique index.
lg_owner() {
	if [ "$backend" = maria ]; then
		maria_owner "$1" "$T" "$2"
	elif [ "$backend" = pg ]; then
		psql_db "$1" -c "SET session_replication_role = replica; DROP INDEX IF EXISTS ${T}_version; $2" >/dev/null
	else
		sqlite3 -bail "$1" "DROP TRIGGER IF EXISTS ${T}_no_update; DROP TRIGGER IF EXISTS ${T}_no_delete;
			DROP TRIGGER IF EXISTS ${T}_runs_no_update; DROP TRIGGER IF EXISTS ${T}_runs_no_delete;
			DROP TRIGGER IF EXISTS ${T}_schema_no_update; DROP TRIGGER IF EXISTS ${T}_schema_no_delete;
			DROP INDEX IF EXISTS ${T}_version; $2"
	fi
}

# lg_tamper NAME SQL WANT...: on a copy, SQL; verify must exit 9 and
# print every WANT (fixed strings).
lg_tamper() {
	local name=$1 sql=$2 st rc w why=()
	shift 2
	if ! st=$(lg_copy "$name") || ! lg_owner "$st" "$sql" >"$lg/$name.sql.log" 2>&1; then
		fail "ledger tamper $name: set up" "$(cat "$lg/$name.sql.log" 2>/dev/null)"
		return
	fi
	lg_recon "$name" verify jobs/orders-nightly.xml >"$lg/$name.out" 2>&1
	rc=$?
	[ "$rc" = 9 ] || why+=("exit $rc, want 9")
	for w in "$@"; do
		grep -qF -- "$w" "$lg/$name.out" || why+=("no finding: $w")
	done
	if [ -n "${lg_also_digest:-}" ]; then
		# the digest file vouches for T and T_runs; the view is checked
		# all the same
		lg_recon "$name" verify jobs/orders-nightly.xml --digest "$lg/digest.txt" \
			>"$lg/$name-d.out" 2>&1
		rc=$?
		[ "$rc" = 9 ] || why+=("with --digest: exit $rc, want 9")
		for w in "$@"; do
			grep -qF -- "$w" "$lg/$name-d.out" || why+=("with --digest: no finding: $w")
		done
	fi
	if [ ${#why[@]} = 0 ]; then
		pass "ledger tamper $name: verify${lg_also_digest:+ (and verify --digest)} exits 9 naming it"
	else
		fail "ledger tamper $name" "${why[@]}" "$(head -10 "$lg/$name.out")"
	fi
	if [ "$backend" = pg ]; then
		psql_db postgres -c "DROP DATABASE IF EXISTS $st WITH (FORCE)" >/dev/null
	elif [ "$backend" = maria ]; then
		maria_sql "" -e "DROP DATABASE IF EXISTS $st"
	fi
}

kq=$(printf '%s' "$key" | sed "s/'/''/g")
where1="rec_kind = '$kkind' AND rec_key = '$kq' AND version = 1"
where2="rec_kind = '$kkind' AND rec_key = '$kq' AND version = 2"
lg_tamper update "UPDATE $T SET customer = 'EVIL' WHERE $where1" \
	"verify: $kkind '$key' version 1 (run $r1): content_hash does not match its fields" \
	"verify: run $r1 (seq 1): digest does not recompute"
lg_tamper update-amount "UPDATE $T SET order_amount = order_amount + 1 WHERE $where2" \
	"verify: $kkind '$key' version 2 (run $r2): value_hash does not match its fields"
lg_tamper delete "DELETE FROM $T WHERE $where1" \
	"verify: $kkind '$key' version 2 (run $r2): version 1 is missing" \
	"verify: run $r1 (seq 1): records says"
lg_tamper delete-last "DELETE FROM $T WHERE $where2" \
	"verify: run $r2 (seq 2): digest does not recompute from its 0 versions" \
	"verify: run $r2 (seq 2): records says 1 versions, the table holds 0"
lg_tamper insert-duplicate "INSERT INTO $T SELECT * FROM $T WHERE $where1" \
	"verify: $kkind '$key' version 1 (run $r1): duplicate version 1"
lg_tamper insert-forged "INSERT INTO $T (rec_kind, rec_key, version, run_id, outcome, codes, verdicts, deal_key, order_key, customer, currency, deal_amount, order_amount, erp_amount, erp_docs, sources, rules_hash, prev_hash, value_hash, content_hash) SELECT rec_kind, rec_key, 3, run_id, 'MATCHED', 'MATCHED', verdicts, deal_key, order_key, customer, currency, deal_amount, order_amount, erp_amount, erp_docs, sources, rules_hash, content_hash, value_hash, content_hash FROM $T WHERE $where2" \
	"verify: $kkind '$key' version 3 (run $r2): content_hash does not match its fields" \
	"verify: run $r2 (seq 2): records says 1 versions, the table holds 2"
lg_tamper reorder "UPDATE $T SET run_id = CASE version WHEN 1 THEN '$r2' ELSE '$r1' END WHERE rec_kind = '$kkind' AND rec_key = '$kq'" \
	"verify: $kkind '$key' version 2 (run $r1): out of order: written by run seq 1, not after version 1's run $r2 (seq 2)"
# (MariaDB refuses a subquery on the table an UPDATE changes, error 1093:
# the other key's hash is read first)
if [ "$backend" = maria ]; then
	lg_rewire_to="'$(lg_sql "$lg_store" "SELECT min(content_hash) FROM $T WHERE rec_key <> '$kq'")'"
else
	lg_rewire_to="(SELECT min(content_hash) FROM $T WHERE rec_key <> '$kq')"
fi
lg_tamper rewire "UPDATE $T SET prev_hash = $lg_rewire_to WHERE $where2" \
	"verify: $kkind '$key' version 2 (run $r2): prev_hash is not the content_hash of version 1"
lg_tamper runs-delete "DELETE FROM ${T}_runs WHERE seq = 1" \
	"verify: run $r2 (seq 2): the run with seq 1 is missing" \
	"(run $r1): the run is not in ${T}_runs"
lg_tamper runs-alter "UPDATE ${T}_runs SET records = records + 1 WHERE seq = 2" \
	"verify: run $r2 (seq 2): records says 2 versions, the table holds 1"
lg_tamper runs-digest "UPDATE ${T}_runs SET digest = prev_digest WHERE seq = 2" \
	"verify: run $r2 (seq 2): digest does not recompute"
# The runs row's descriptive columns are in the run digest too.
lg_tamper runs-totals "UPDATE ${T}_runs SET totals = '[]' WHERE seq = 2" \
	"verify: run $r2 (seq 2): digest does not recompute from its 1 versions and its ${T}_runs row"
lg_tamper runs-status "UPDATE ${T}_runs SET status = 'clean' WHERE seq = 2" \
	"verify: run $r2 (seq 2): digest does not recompute from its 1 versions and its ${T}_runs row"
lg_tamper runs-as-of "UPDATE ${T}_runs SET as_of = '2000-01-01 00:00:00' WHERE seq = 1" \
	"verify: run $r1 (seq 1): digest does not recompute from its"
# The declared columns: retyping one shows in every run.
lg_tamper schema-retype "UPDATE ${T}_schema SET type = 'text' WHERE name = 'deal_amount'" \
	"verify: run $r1 (seq 1): schema_hash does not match ${T}_schema" \
	"verify: run $r2 (seq 2): schema_hash does not match ${T}_schema"
# The current view, what readers see: redefined to hide the changed key,
# or replaced by a table that shows its version 1 (with and without the
# digest file, which does not cover the view).
lg_view="SELECT v.* FROM $T v WHERE NOT EXISTS (SELECT 1 FROM $T w WHERE w.rec_kind = v.rec_kind AND w.rec_key = v.rec_key AND w.version > v.version)"
lg_also_digest=1
# On MariaDB verify checks the view's columns, not its definition (the
# engine's dialect: MariaDB rewrites a view's text): the hiding view is
# found by the rows it hides.
if [ "$backend" = maria ]; then
	lg_tamper view-hides "DROP VIEW ${T}_current; CREATE VIEW ${T}_current AS $lg_view AND v.rec_key <> '$kq'" \
		"verify: $kkind '$key' version 2 (run $r2): the latest version is missing from ${T}_current"
else
	lg_tamper view-hides "DROP VIEW ${T}_current; CREATE VIEW ${T}_current AS $lg_view AND v.rec_key <> '$kq'" \
		"verify: store: the definition of the view ${T}_current is not the engine's (latest version of each key of $T): readers may be shown other rows" \
		"verify: $kkind '$key' version 2 (run $r2): the latest version is missing from ${T}_current"
fi
lg_tamper view-table "DROP VIEW ${T}_current; CREATE TABLE ${T}_current AS SELECT * FROM $T WHERE version = 1" \
	"verify: store: ${T}_current is a table, not the engine's view: what readers see is not computed from $T" \
	"verify: $kkind '$key' version 2 (run $r2): ${T}_current shows version 1, not the latest version 2"
lg_also_digest=
lg_tamper view-dropped "DROP VIEW ${T}_current" \
	"verify: store: ${T}_current is missing (readers of the store get an error)"
# a view without T's columns: named by its definition, its rows unread
# (on PostgreSQL the failed read must not abort the snapshot: the runs
# and versions are still counted)
if [ "$backend" = maria ]; then
	lg_view_cols="verify: store: the view ${T}_current does not have the columns of $T"
else
	lg_view_cols="verify: store: the definition of the view ${T}_current is not the engine's"
fi
lg_tamper view-other-columns "DROP VIEW ${T}_current; CREATE VIEW ${T}_current AS SELECT rec_kind, rec_key, outcome FROM $T" \
	"$lg_view_cols" \
	"verify: store 'recon_demo_store' table '$T': 2 runs,"
lg_tamper view-forged-row "DROP VIEW ${T}_current; CREATE TABLE ${T}_current AS $lg_view; UPDATE ${T}_current SET outcome = 'MATCHED' WHERE rec_kind = '$kkind' AND rec_key = '$kq'" \
	"verify: $kkind '$key' version 2 (run $r2): ${T}_current shows this version with other values than $T holds"

# The attacker who recomputes: the ledger's serialisation restated in SQL
# (docs/LEDGER.md), so the hashes come from the database, not from recon.
# The fields: the fixed ones with the store's declared columns (name and
# type, from ${T}_schema) between verdicts and sources.
lg_fields=(rec_kind rec_key version run_id outcome codes verdicts)
declare -A lg_type=([version]=integer)
while read -r name type; do
	lg_fields+=("$name")
	lg_type[$name]=$type
done < <(lg_sql "$lg_store" "SELECT name || ' ' || type FROM ${T}_schema ORDER BY position")
lg_fields+=(sources rules_hash prev_hash)
lg_nvalues=$((${#lg_fields[@]} - 7))	# outcome .. the last column
lg_last=$((${#lg_fields[@]} - 1))
# lg_ser_sql FIRST LAST: the SQL expression serialising fields FIRST..LAST,
# typed values normalised as ledger.c does.
lg_ser_sql() {
	local i f v t nl len expr=
	if [ "$backend" = sqlite ]; then nl="char(10)"; else nl="chr(10)"; fi
	for ((i = $1; i <= $2; i++)); do
		f=${lg_fields[$i]}
		t=${lg_type[$f]:-text}
		if [ "$t" = text ]; then
			v="\"$f\""
		elif [ "$backend" = pg ]; then
			v="\"$f\"::text"
		elif [ "$backend" = maria ]; then
			v="CAST(\"$f\" AS CHAR)"
		else
			v="CAST(\"$f\" AS TEXT)"
		fi
		case $t in
		money)
			# MariaDB's RTRIM takes no second argument
			if [ "$backend" = maria ]; then
				v="(CASE WHEN $v LIKE '%.%' THEN TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM $v)) ELSE $v END)"
			else
				v="(CASE WHEN $v LIKE '%.%' THEN rtrim(rtrim($v, '0'), '.') ELSE $v END)"
			fi
			;;
		timestamp) v="(replace($v, ' ', 'T') || 'Z')" ;;
		esac
		if [ "$backend" = sqlite ]; then len="length(CAST($v AS BLOB))"; else len="octet_length($v)"; fi
		expr="$expr${expr:+ || }(CASE WHEN \"$f\" IS NULL THEN '$f:-' || $nl ELSE '$f:' || $len || ':' || $v || $nl END)"
	done
	printf '%s' "$expr"
}
# lg_hash STORE FIRST LAST WHERE: SHA-256 of the serialisation of one row.
lg_hash() {
	lg_sql "$1" "SELECT $(lg_ser_sql "$2" "$3") FROM $T WHERE $4" | head -c -1 | sha256sum | cut -c1-64
}

# The runs row, likewise (engine/ledger.h ledger_run_field order; the
# integers as the database prints them, nothing normalised).
lg_run_fields=(run_id seq job mode as_of window_start started finished status rules_hash rules records exceptions totals outcomes watermarks schema_hash prev_digest)
lg_run_ser_sql() {
	local f v nl len expr=
	if [ "$backend" = sqlite ]; then nl="char(10)"; else nl="chr(10)"; fi
	for f in "${lg_run_fields[@]}"; do
		case $f in
		seq | records | exceptions)
			# (lg_sql gives MariaDB CAST(... AS CHAR))
			if [ "$backend" = pg ]; then v="$f::text"; else v="CAST($f AS TEXT)"; fi ;;
		*) v=$f ;;
		esac
		if [ "$backend" = sqlite ]; then len="length(CAST($v AS BLOB))"; else len="octet_length($v)"; fi
		expr="$expr${expr:+ || }(CASE WHEN $f IS NULL THEN '$f:-' || $nl ELSE '$f:' || $len || ':' || $v || $nl END)"
	done
	printf '%s' "$expr"
}
# lg_run_hash STORE SEQ: SHA-256 of the serialisation of one runs row.
lg_run_hash() {
	lg_sql "$1" "SELECT $(lg_run_ser_sql) FROM ${T}_runs WHERE seq = $2" | head -c -1 | sha256sum | cut -c1-64
}
# lg_run_digest STORE SEQ: the run digest recomputed from the store's
# rows: "recon-run:" PREV "\n" "run:" RUN_HASH "\n", then the sorted
# content hashes of the run's versions, each and "\n".
lg_run_digest() {
	local prev run
	prev=$(lg_sql "$1" "SELECT digest FROM ${T}_runs WHERE seq = $2 - 1")
	run=$(lg_sql "$1" "SELECT run_id FROM ${T}_runs WHERE seq = $2")
	{
		printf 'recon-run:%s\nrun:%s\n' "$prev" "$(lg_run_hash "$1" "$2")"
		lg_sql "$1" "SELECT content_hash FROM $T WHERE run_id = '$run'" | LC_ALL=C sort
	} | sha256sum | cut -c1-64
}

# The schema hash: "format:" then one "column:" field "NAME TYPE VALUE"
# per declared column, as every runs row records it.
sh=$( {
	printf 'format:%s:%s\n' "${#LEDGER_FORMAT}" "$LEDGER_FORMAT"
	lg_sql "$lg_store" "SELECT name || ' ' || type || ' ' || value FROM ${T}_schema ORDER BY position" |
		while IFS= read -r c; do printf 'column:%s:%s\n' "$(printf '%s' "$c" | wc -c)" "$c"; done
} | sha256sum | cut -c1-64)
if [ "$(lg_sql "$lg_store" "SELECT DISTINCT schema_hash FROM ${T}_runs")" = "$sh" ]; then
	pass "ledger: the schema hash restated from ${T}_schema is every run's schema_hash"
else
	fail "ledger: the schema hash restated from ${T}_schema is every run's schema_hash" "restated $sh" \
		"$(lg_sql "$lg_store" "SELECT DISTINCT schema_hash FROM ${T}_runs")"
fi

d1=$(lg_run_digest "$lg_store" 1)
d2=$(lg_run_digest "$lg_store" 2)
if [ "$d1" = "$(lg_sql "$lg_store" "SELECT digest FROM ${T}_runs WHERE seq = 1")" ] &&
	[ "$d2" = "$(lg_sql "$lg_store" "SELECT digest FROM ${T}_runs WHERE seq = 2")" ]; then
	pass "ledger: the run digests restated in SQL (runs row and versions) give the stored digests"
else
	fail "ledger: the run digests restated in SQL give the stored digests" "run 1 $d1" "run 2 $d2"
fi

vh=$(lg_hash "$lg_store" 4 $((3 + lg_nvalues)) "$where2")
ch=$(lg_hash "$lg_store" 0 $lg_last "$where2")
if [ "$vh" = "$(lg_sql "$lg_store" "SELECT value_hash FROM $T WHERE $where2")" ] &&
	[ "$ch" = "$(lg_sql "$lg_store" "SELECT content_hash FROM $T WHERE $where2")" ]; then
	pass "ledger: the serialisation restated in SQL gives the stored value and content hashes"
else
	fail "ledger: the serialisation restated in SQL gives the stored value and content hashes" "value $vh" "content $ch"
fi

if st=$(lg_copy recompute) && lg_owner "$st" "UPDATE $T SET customer = 'EVIL' WHERE $where2" >"$lg/recompute.log" 2>&1; then
	vh=$(lg_hash "$st" 4 $((3 + lg_nvalues)) "$where2")
	ch=$(lg_hash "$st" 0 $lg_last "$where2")
	lg_owner "$st" "UPDATE $T SET value_hash = '$vh', content_hash = '$ch' WHERE $where2" >>"$lg/recompute.log" 2>&1
	dg=$(lg_run_digest "$st" 2)
	lg_owner "$st" "UPDATE ${T}_runs SET digest = '$dg' WHERE seq = 2" >>"$lg/recompute.log" 2>&1
	lg_recon recompute verify jobs/orders-nightly.xml >"$lg/recompute.out" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		pass "ledger tamper recompute: a store that recomputed its hashes and digest verifies against itself"
	else
		fail "ledger tamper recompute: verify alone passes (exit $rc)" "$(head -10 "$lg/recompute.out")" "$(cat "$lg/recompute.log")"
	fi
	lg_recon recompute verify jobs/orders-nightly.xml --digest "$lg/digest.txt" >"$lg/recompute-d.out" 2>&1
	rc=$?
	if [ "$rc" = 9 ] && grep -qF "verify: run $r2 (seq 2): digest differs from the exported digest file" "$lg/recompute-d.out"; then
		pass "ledger tamper recompute: verify --digest exits 9 naming run 2"
	else
		fail "ledger tamper recompute: verify --digest exits 9 naming run 2 (exit $rc)" "$(head -10 "$lg/recompute-d.out")"
	fi
	if [ "$backend" = pg ]; then
		psql_db postgres -c "DROP DATABASE IF EXISTS t_recompute WITH (FORCE)" >/dev/null
	elif [ "$backend" = maria ]; then
		maria_sql "" -e "DROP DATABASE IF EXISTS t_recompute"
	fi
else
	fail "ledger tamper recompute: set up" "$(cat "$lg/recompute.log")"
fi

# The same for a runs row: its totals changed, its digest recomputed.
if st=$(lg_copy recompute-runs) && lg_owner "$st" "UPDATE ${T}_runs SET totals = '[]', status = 'clean' WHERE seq = 2" >"$lg/recompute-runs.log" 2>&1; then
	dg=$(lg_run_digest "$st" 2)
	lg_owner "$st" "UPDATE ${T}_runs SET digest = '$dg' WHERE seq = 2" >>"$lg/recompute-runs.log" 2>&1
	lg_recon recompute-runs verify jobs/orders-nightly.xml >"$lg/recompute-runs.out" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		pass "ledger tamper recompute-runs: a runs row edited with its digest recomputed verifies against itself"
	else
		fail "ledger tamper recompute-runs: verify alone passes (exit $rc)" "$(head -10 "$lg/recompute-runs.out")" "$(cat "$lg/recompute-runs.log")"
	fi
	lg_recon recompute-runs verify jobs/orders-nightly.xml --digest "$lg/digest.txt" >"$lg/recompute-runs-d.out" 2>&1
	rc=$?
	if [ "$rc" = 9 ] && grep -qF "verify: run $r2 (seq 2): digest differs from the exported digest file" "$lg/recompute-runs-d.out"; then
		pass "ledger tamper recompute-runs: verify --digest exits 9 naming run 2"
	else
		fail "ledger tamper recompute-runs: verify --digest exits 9 naming run 2 (exit $rc)" "$(head -10 "$lg/recompute-runs-d.out")"
	fi
	if [ "$backend" = pg ]; then
		psql_db postgres -c "DROP DATABASE IF EXISTS t_recompute_runs WITH (FORCE)" >/dev/null
	elif [ "$backend" = maria ]; then
		maria_sql "" -e "DROP DATABASE IF EXISTS t_recompute_runs"
	fi
else
	fail "ledger tamper recompute-runs: set up" "$(cat "$lg/recompute-runs.log")"
fi

# ---------------------------------------------------------------------
# 3. SIGKILL at several points of a run (SQLite, PostgreSQL, MariaDB).

# kill_store NAME: the store of kill point NAME (a file, or a database).
kill_store() {
	if [ "$backend" = pg ] || [ "$backend" = maria ]; then
		echo "kill_${1//[-.]/_}"
	else
		echo "$kd/$1.db"
	fi
}
# kill_fresh NAME: an empty store for kill point NAME.
kill_fresh() {
	if [ "$backend" = pg ] || [ "$backend" = maria ]; then
		db_reset "$(kill_store "$1")" "" ""
	else
		rm -f "$(kill_store "$1")"
	fi
}
# kill_has_runs STORE: 1 if STORE has the runs table, else 0.
kill_has_runs() {
	if [ "$backend" = maria ]; then
		maria_sql "" -e "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$1' AND table_name = '${T}_runs'"
	elif [ "$backend" = pg ]; then
		lg_sql "$1" "SELECT count(*) FROM pg_tables WHERE tablename = '${T}_runs'"
	elif [ -f "$1" ]; then
		sqlite3 "$1" "SELECT count(*) FROM sqlite_master WHERE name = '${T}_runs'"
	else
		echo 0
	fi
}

kd=$lg/kill
mkdir -p "$kd"
kill_ok=1
if ! tools/gen-demo.sh "$kd/demo" 20000 >"$kd/gen.log" 2>&1; then
	kill_ok=0
	fail "ledger kill: generate a 20,000-deal demo" "$(cat "$kd/gen.log")"
elif [ "$backend" = pg ]; then
	# the sources in databases kill_*, loaded as run.sh loads the demo
	for t in crm:crm_deal orders:orders erp:erp_doc; do
		db=${t%%:*} table=${t#*:}
		{
			db_reset "kill_$db" "" "etc/demo/$db.pg.sql" &&
				sqlite3 -csv "$kd/demo/$db.db" "SELECT * FROM $table" >"$kd/$table.csv" &&
				psql_db "kill_$db" -c "\\copy $table FROM '$kd/$table.csv' WITH (FORMAT csv)" &&
				[ "$(psql_db "kill_$db" -A -t -c "SELECT count(*) FROM $table")" = \
					"$(sqlite3 "$kd/demo/$db.db" "SELECT count(*) FROM $table")" ]
		} >>"$kd/load.log" 2>&1 || kill_ok=0
	done
	if [ "$kill_ok" = 0 ]; then
		fail "ledger kill: load the 20,000-deal demo into PostgreSQL" "$(tail -5 "$kd/load.log")"
	fi
	awk '
		/^\[/ { sect = $0 }
		sect ~ /^\[recon_demo_(crm|orders|erp)\]$/ && /^Database *=/ { sub(/= */, "= kill_"); print; next }
		{ print }' "$work/odbc.ini" >"$kd/odbc.ini"
elif [ "$backend" = maria ]; then
	# the sources in databases kill_*, loaded as run.sh loads the demo
	for t in crm:crm_deal orders:orders erp:erp_doc; do
		db=${t%%:*} table=${t#*:}
		{
			db_reset "kill_$db" "" "etc/demo/$db.mariadb.sql" &&
				maria_load "$kd/demo/$db.db" "$table" "kill_$db" "$kd/$table.tsv"
		} >>"$kd/load.log" 2>&1 || kill_ok=0
	done
	if [ "$kill_ok" = 0 ]; then
		fail "ledger kill: load the 20,000-deal demo into MariaDB" "$(tail -5 "$kd/load.log")"
	fi
	awk '
		/^\[/ { sect = $0 }
		sect ~ /^\[recon_demo_(crm|orders|erp)\]$/ && /^Database *=/ { sub(/= */, "= kill_"); print; next }
		{ print }' "$work/odbc.ini" >"$kd/odbc.ini"
else
	# odbc.ini: the sources in $kd/demo, the store per attempt
	sed "s|$demo/|$kd/demo/|g" "$work/odbc.ini" >"$kd/odbc.ini"
fi
if [ "$kill_ok" = 1 ]; then
	kill_fresh kill-base
	lg_ini kill-base "$(kill_store kill-base)" "$kd/odbc.ini"
	t0=$(date +%s.%N)
	# (every run here has a state directory of its own: the default one
	# is shared with the other backends' runs, which tests/e2e/all.sh
	# runs at the same time)
	lg_recon kill-base run jobs/orders-nightly.xml --as-of "$asof" --report-dir "$kd/base-reports" -q \
		--state-dir "$kd/base-state" >"$kd/base.out" 2>"$kd/base.err"
	rc=$?
	t1=$(date +%s.%N)
	base_csv=$(find "$kd/base-reports" -name 'orders-nightly-*.csv' ! -name '*-summary.csv' | head -1)
	if [ "$rc" = 1 ] && [ -n "$base_csv" ]; then
		pass "ledger kill: clean run of 20,000 deals ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }'))"
		csv_exceptions "$base_csv" >"$kd/base-exceptions.txt"
	else
		fail "ledger kill: clean run of 20,000 deals (exit $rc)" "$(tail -5 "$kd/base.err")"
	fi
	for point in 0.2 0.5 1 publish committed; do
		name=kill-$point
		ks=$(kill_store "$name")
		kill_fresh "$name"
		rm -rf "$kd/$name-reports" "$kd/$name-tmp" "$kd/$name-state"
		mkdir -p "$kd/$name-tmp"
		lg_ini "$name" "$ks" "$kd/odbc.ini"
		tools/env.sh "$lg/$name" "$recon" run jobs/orders-nightly.xml --as-of "$asof" \
			--report-dir "$kd/$name-reports" --tmpdir "$kd/$name-tmp" \
			--state-dir "$kd/$name-state" >"$kd/$name.out" 2>"$kd/$name.err" &
		pid=$!
		if [ "$point" = publish ] || [ "$point" = committed ]; then
			# publish: the matcher is done and every version
			# inserted, the reports and the commit are next;
			# committed: the commit is done, the reports' renames
			# are next
			pat="^recon: matched:"
			[ "$point" = committed ] && pat="^recon: published:"
			for _ in $(seq 1 3000); do
				grep -q "$pat" "$kd/$name.err" 2>/dev/null && break
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.01
			done
		else
			sleep "$point"
		fi
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		why=()
		runs=0
		if [ "$(kill_has_runs "$ks")" = 1 ]; then
			runs=$(lg_sql "$ks" "SELECT count(*) FROM ${T}_runs")
			rows=$(lg_sql "$ks" "SELECT count(*) FROM $T")
			recs=$(lg_sql "$ks" "SELECT coalesce(sum(records), 0) FROM ${T}_runs")
			if [ "$runs" -gt 1 ] || [ "$rows" != "$recs" ]; then
				why+=("partial: $runs runs, $rows rows, runs say $recs")
			fi
			# (on MariaDB the store's tables outlive a run that
			# published nothing: its DDL commits at once; verify
			# refuses a store without runs)
			if [ "$runs" -gt 0 ]; then
				lg_recon "$name" verify jobs/orders-nightly.xml >"$kd/$name.verify" 2>&1 ||
					why+=("verify: $(head -5 "$kd/$name.verify")")
			fi
		fi
		reps=$(find "$kd/$name-reports" -name 'orders-nightly-*' 2>/dev/null | wc -l)
		if [ "$runs" = 0 ] && [ "$reps" != 0 ]; then
			why+=("$reps report files of an unpublished run")
		fi
		state="no run published"
		[ "$runs" = 1 ] && state="the run was published whole"
		# the killed run's spill folder (if it had made one yet)
		left=$(find "$kd/$name-tmp" -maxdepth 1 -name 'recon-spill-*' | wc -l)
		# and its temporary state files (SOURCE.state.tmp.PID.XXXXXX)
		left_state=$(find "$kd/$name-state" -maxdepth 1 -name '*.state.tmp.*' 2>/dev/null | wc -l)
		lg_recon "$name" run jobs/orders-nightly.xml --as-of "$asof" --report-dir "$kd/$name-rerun" \
			--tmpdir "$kd/$name-tmp" --state-dir "$kd/$name-state" \
			>"$kd/$name.rerun.out" 2>"$kd/$name.rerun.err"
		rc=$?
		if [ "$left_state" != 0 ]; then
			state="$state, its $left_state temporary state files removed by the rerun"
			got=$(grep -c "^recon: source '[a-z]*': removed 1 temporary state file of a dead run in $kd/$name-state\$" \
				"$kd/$name.rerun.err")
			[ "$got" = "$left_state" ] ||
				why+=("the rerun said it removed $got of the $left_state temporary state files of pid $pid")
		fi
		if [ -n "$(find "$kd/$name-state" -maxdepth 1 -name '*.state.tmp.*' 2>/dev/null)" ]; then
			why+=("temporary state files left after the rerun: $(ls "$kd/$name-state" | head -3)")
		fi
		if [ "$left" != 0 ]; then
			state="$state, its spill folder removed by the rerun"
			grep -q "^recon: removed the spill folder of a dead run (pid $pid): $kd/$name-tmp/recon-spill-$pid-[A-Za-z0-9]\{6\}, [0-9.]* MB\$" \
				"$kd/$name.rerun.err" || why+=("the rerun did not say it removed the spill folder of pid $pid")
		fi
		if [ -n "$(ls -A "$kd/$name-tmp")" ]; then
			why+=("left in the tmpdir after the rerun: $(ls -A "$kd/$name-tmp" | head -3)")
		fi
		rcsv=$(find "$kd/$name-rerun" -name 'orders-nightly-*.csv' ! -name '*-summary.csv' 2>/dev/null | head -1)
		if [ "$rc" != 1 ] || [ -z "$rcsv" ]; then
			why+=("rerun exit $rc: $(tail -3 "$kd/$name.rerun.err")")
		else
			csv_exceptions "$rcsv" >"$kd/$name.exceptions.txt"
			cmp -s "$kd/base-exceptions.txt" "$kd/$name.exceptions.txt" ||
				why+=("rerun exceptions differ from the clean run's")
			lg_recon "$name" verify jobs/orders-nightly.xml >"$kd/$name.verify2" 2>&1 ||
				why+=("verify after the rerun: $(head -5 "$kd/$name.verify2")")
		fi
		if [ ${#why[@]} = 0 ]; then
			pass "ledger kill at $point: $state, verify clean, rerun gives the clean run's exceptions"
		else
			fail "ledger kill at $point ($state)" "${why[@]}"
		fi
	done
fi

# ---------------------------------------------------------------------
# 4. SIGTERM and SIGINT at several points of a run (SQLite, PostgreSQL, MariaDB).
#
# POINT is SIG@WHEN: WHEN is a delay in seconds, or the progress line
# the signal follows ("read": the last source is read; "matched": the
# matcher is done; "published": the commit is done). Before the commit
# the run must stop with exit 13 and publish nothing; after it, finish
# and exit 1 (the demo has exceptions) with the run published whole.
if [ "$kill_ok" = 1 ]; then
	for point in TERM@0.5 INT@0.5 TERM@read INT@matched TERM@published; do
		sig=${point%@*} when=${point#*@}
		# lower case: PostgreSQL folds the database name
		name=sig-${sig,,}-$when
		ks=$(kill_store "$name")
		kill_fresh "$name"
		rm -rf "$kd/$name-reports" "$kd/$name-tmp" "$kd/$name-state"
		mkdir -p "$kd/$name-tmp"
		lg_ini "$name" "$ks" "$kd/odbc.ini"
		tools/env.sh "$lg/$name" "$recon" run jobs/orders-nightly.xml --as-of "$asof" \
			--report-dir "$kd/$name-reports" --tmpdir "$kd/$name-tmp" \
			--state-dir "$kd/$name-state" >"$kd/$name.out" 2>"$kd/$name.err" &
		pid=$!
		case $when in
		read | matched | published)
			pat="^recon: $when:"
			[ "$when" = read ] && pat="^recon: source 'erp': .* rows read"
			for _ in $(seq 1 3000); do
				grep -q "$pat" "$kd/$name.err" 2>/dev/null && break
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.01
			done
			;;
		*) sleep "$when" ;;
		esac
		kill -"$sig" "$pid" 2>/dev/null
		wait "$pid"
		rc=$?
		why=()
		runs=0
		if [ "$(kill_has_runs "$ks")" = 1 ]; then
			runs=$(lg_sql "$ks" "SELECT count(*) FROM ${T}_runs")
			if [ "$runs" -gt 0 ]; then
				lg_recon "$name" verify jobs/orders-nightly.xml >"$kd/$name.verify" 2>&1 ||
					why+=("verify: $(head -5 "$kd/$name.verify")")
			fi
		fi
		reps=$(find "$kd/$name-reports" -type f 2>/dev/null | wc -l)
		temps=$(find "$kd/$name-reports" "$kd/$name-state" "$kd/$name-tmp" -mindepth 1 \
			\( -name '.*.tmp.*' -o -name '.*.old.*' -o -name '*.tmp' -o -name 'recon-spill-*' \) 2>/dev/null)
		[ -n "$temps" ] && why+=("temporaries left: $temps")
		case $when in
		published) want=1 ;;
		matched) want="13 or 1" ;;
		*) want=13 ;;
		esac
		if [ "$rc" = 13 ] && [ "$want" != 1 ]; then
			state="exit 13, nothing published"
			grep -q "^recon: error\[INTERRUPTED\]: job 'orders-nightly'[^:]*: stopped by SIG$sig while [a-z ]*; nothing was published\$" "$kd/$name.err" ||
				why+=("no INTERRUPTED message: $(grep -v '^recon: source\|^recon: job' "$kd/$name.err" | tail -3)")
			state="$state ($(sed -n "s/.*stopped by SIG$sig while \([a-z ]*\);.*/\1/p" "$kd/$name.err"))"
			[ "$runs" = 0 ] || why+=("$runs runs published")
			[ "$reps" = 0 ] || why+=("$reps report files of an unpublished run")
			# (the inputs folder may be there, empty: keep.c
			# makes it when the run starts)
			[ -z "$(cd "$kd/$name-state" 2>/dev/null && find . -mindepth 1 ! -path ./inputs)" ] ||
				why+=("state files of an unpublished run: $(cd "$kd/$name-state" && find . -mindepth 1)")
		elif [ "$rc" = 1 ] && [ "$want" != 13 ]; then
			state="exit 1, published whole"
			[ "$runs" = 1 ] || why+=("$runs runs published, want 1")
			[ "$reps" = 4 ] || why+=("$reps report files, want 4 (csv, summary, html, xml)")
			grep -q "^recon: job 'orders-nightly': SIG$sig came after the commit; run [0-9TZ]*-[0-9a-f]* was published whole\$" "$kd/$name.err" &&
				state="$state, said the signal came after the commit"
		else
			why+=("exit $rc, want $want: $(tail -3 "$kd/$name.err")")
			state="exit $rc"
		fi
		lg_recon "$name" run jobs/orders-nightly.xml --as-of "$asof" --report-dir "$kd/$name-rerun" -q \
			--tmpdir "$kd/$name-tmp" --state-dir "$kd/$name-state" \
			>"$kd/$name.rerun.out" 2>"$kd/$name.rerun.err"
		rc=$?
		rcsv=$(find "$kd/$name-rerun" -name 'orders-nightly-*.csv' ! -name '*-summary.csv' 2>/dev/null | head -1)
		if [ "$rc" != 1 ] || [ -z "$rcsv" ]; then
			why+=("rerun exit $rc: $(tail -3 "$kd/$name.rerun.err")")
		else
			csv_exceptions "$rcsv" >"$kd/$name.exceptions.txt"
			cmp -s "$kd/base-exceptions.txt" "$kd/$name.exceptions.txt" ||
				why+=("rerun exceptions differ from the clean run's")
			lg_recon "$name" verify jobs/orders-nightly.xml >"$kd/$name.verify2" 2>&1 ||
				why+=("verify after the rerun: $(head -5 "$kd/$name.verify2")")
			# (a run published whole is repeated by the rerun,
			# which publishes nothing new: run identity)
			want_runs=$((runs + 1))
			[ "$runs" = 1 ] && want_runs=1
			[ "$(lg_sql "$ks" "SELECT count(*) FROM ${T}_runs")" = "$want_runs" ] ||
				why+=("after the rerun: not $want_runs runs")
		fi
		if [ ${#why[@]} = 0 ]; then
			pass "ledger SIG$sig at $when: $state, verify clean, no temporaries, rerun gives the clean run's exceptions"
		else
			fail "ledger SIG$sig at $when ($state)" "${why[@]}"
		fi
	done
fi
