#!/bin/bash
# tests/e2e/run.sh sqlite|pg|maria - end-to-end tests of out/bin/recon.
#
# 1. The demo: generate the small demo (tools/gen-demo.sh, N=1000) into
#    out/e2e/BACKEND/demo, load it into the backend, run
#    jobs/orders-nightly.xml at the fixed as-of and check the exit code,
#    the exception lines against tests/e2e/demo/expected.txt, the report
#    escaping, tests/e2e/lib/reports.sh (the XML against etc/report.xsd,
#    file modes, the CSV parsed back against the run ledger, the CSV
#    options), the control totals, the store and a deterministic rerun.
#    On pg and maria also: the same exception CSV and the same sources
#    fingerprints of every version as the SQLite run (skipped when
#    RECON_E2E_CROSS=later: tests/e2e/all.sh runs the three backends at
#    once and tests/e2e/cross.sh compares them afterwards, from the files
#    each run leaves in out/e2e/BACKEND/cross), and the unit suites that
#    reach that server (out/build/dev/unit; pg: rowfp through psqlODBC
#    with RECON_TEST_PG_DSN; maria: every suite that reads
#    RECON_TEST_MARIA_DSN, a store DSN of this server).
#    Then tests/e2e/lib/incremental.sh (incremental vs full runs),
#    tests/e2e/lib/ledger.sh (verify, digest, history, tampering, SIGKILL),
#    tests/e2e/lib/hooks.sh (the job's hooks),
#    tests/e2e/lib/notes.sh (recon note, T_notes, verify of the notes),
#    tests/e2e/lib/config.sh (the engine configuration),
#    tests/e2e/lib/schedule.sh (recon schedule),
#    tests/e2e/lib/logs.sh (the log: JSON events, progress, -q),
#    tests/e2e/lib/lifecycle.sh (the exception lifecycle, recon diff) and, on
#    sqlite only, tests/e2e/lib/install.sh (make install, the demo from
#    the installed tree, the man pages).
# 2. The cases: every folder tests/e2e/cases/NAME (see
#    tests/e2e/cases/README.md) is a job, its rules, SQL to set up small
#    databases and an `expect` file.
#
# For pg a throwaway PostgreSQL cluster is started on 127.0.0.1 (data and
# socket in a temporary directory, trust authentication for role recon)
# and removed on exit. For maria a throwaway MariaDB server likewise
# (tools/maria.sh: mariadbd --no-defaults, a datadir under /tmp, root
# without password on 127.0.0.1, a free port from 33306), the demo loaded
# through etc/demo/*.mariadb.sql and LOAD DATA LOCAL INFILE. Only bash,
# sqlite3, awk, psql, mariadb and the server binaries are used. Prints one line per check and finally
# "e2e: N passed, M failed"; exits non-zero if anything failed.
set -u

backend=${1:-}
case $backend in
sqlite | pg | maria) ;;
*)
	echo "usage: $0 sqlite|pg|maria" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
recon=$root/out/bin/recon
work=$root/out/e2e/$backend
asof='2026-11-26 00:00:00'
report_base=orders-nightly-20261126T000000Z
US=$(printf '\037')
export LC_ALL=C

if [ ! -x "$recon" ]; then
	echo "e2e: $recon is not built (make build)" >&2
	exit 2
fi

rm -rf "$work"
mkdir -p "$work"

passed=0
failed=0
pass() {
	passed=$((passed + 1))
	echo "ok   $backend: $1"
}
# fail NAME [DETAIL...]: DETAIL lines are shown indented.
fail() {
	failed=$((failed + 1))
	echo "FAIL $backend: $1"
	shift
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" | sed 's/^/       /'
	fi
}
# abort NAME [DETAIL...]: a failure after which nothing else can run.
abort() {
	fail "$@"
	echo "e2e: $passed passed, $failed failed"
	exit 1
}
# check NAME COMMAND...: pass if the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# The CSV reader: records as 0x1F-separated fields, one per line.
csv_records() {
	awk -f "$root/tests/e2e/lib/csv.awk" "$1"
}

# Exception lines of a report CSV as sorted "OUTCOME<TAB>KEY".
csv_exceptions() {
	csv_records "$1" | awk -F "$US" 'NR > 1 { print $1 "\t" $3 }' | sort
}

# compare_exceptions NAME CSV EXPECTED
compare_exceptions() {
	local got=$work/got.txt
	if [ ! -f "$2" ]; then
		fail "$1" "no report $2"
		return
	fi
	csv_exceptions "$2" >"$got"
	if diff -u "$3" "$got" >"$work/diff.txt" 2>&1; then
		pass "$1"
	else
		fail "$1" "diff expected got:" "$(cat "$work/diff.txt")"
	fi
}

# ---------------------------------------------------------------------
# Backends: database setup, SQL and store queries.

pgdir=
pgbin=
pgport=
. "$root/tools/maria.sh"
cleanup() {
	if [ -n "$pgdir" ]; then
		as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate -s stop >/dev/null 2>&1
		rm -rf "$pgdir"
	fi
	maria_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run a PostgreSQL server binary as the postgres OS user when we are root
# (initdb and postgres refuse to run as root).
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

psql_db() {
	local db=$1
	shift
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -h 127.0.0.1 -p "$pgport" -U recon -d "$db" -v ON_ERROR_STOP=1 "$@"
}

pg_start() {
	local v
	for v in 15 16 17 14 13; do
		if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then
			pgbin=/usr/lib/postgresql/$v/bin
			break
		fi
	done
	if [ -z "$pgbin" ]; then
		abort "start PostgreSQL" "no server binaries under /usr/lib/postgresql (package postgresql)"
	fi
	# A free port from 54329 up: a connect that fails means free.
	pgport=54329
	while (exec 3<>"/dev/tcp/127.0.0.1/$pgport") 2>/dev/null; do
		pgport=$((pgport + 1))
		if [ "$pgport" -gt 54400 ]; then
			abort "start PostgreSQL" "no free port in 54329..54400"
		fi
	done
	pgdir=$(mktemp -d /tmp/recon-e2e-pg.XXXXXX)
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$pgdir"
	fi
	if ! as_pg "$pgbin/initdb" -D "$pgdir/data" -U recon -A trust -E UTF8 \
		--locale=C >"$work/initdb.log" 2>&1; then
		abort "start PostgreSQL: initdb" "$(cat "$work/initdb.log")"
	fi
	if ! as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -s \
		-o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdir/data -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start; then
		abort "start PostgreSQL" "$(cat "$pgdir/server.log")"
	fi
	echo "e2e: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pgport ($pgdir)"
}

# The MariaDB server: durability off as for the PostgreSQL cluster
# (innodb_flush_log_at_trx_commit=2 and no doublewrite: a crash of the
# test server loses nothing the tests need); a small redo log and buffer
# pool (the machine is shared).
maria_start_e2e() {
	if ! maria_start "$(mktemp -d /tmp/recon-e2e-maria.XXXXXX)" "$work/mariadb-start.log" \
		--innodb-buffer-pool-size=128M --innodb-log-file-size=32M \
		--innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 \
		--skip-log-bin --max-connections=200; then
		abort "start MariaDB" "$(tail -20 "$work/mariadb-start.log")"
	fi
	echo "e2e: MariaDB $(maria_version) on 127.0.0.1:$maria_port ($maria_dir)"
}

# SQL written for SQLite and PostgreSQL, for the mariadb client (which
# runs in ANSI_QUOTES and PIPES_AS_CONCAT: tools/maria.sh): MariaDB
# casts to CHAR, not TEXT.
maria_text() {
	printf '%s' "$1" | sed 's/ AS TEXT)/ AS CHAR)/g'
}

# Recreate database $1 (pg, maria) or file $2 (sqlite) and run SQL file $3
# in it.
db_reset() {
	local pgdb=$1 file=$2 sql=${3:-}
	if [ "$backend" = maria ]; then
		maria_reset "$pgdb" "$sql" || return 1
	elif [ "$backend" = pg ]; then
		psql_db postgres -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" -c "CREATE DATABASE $pgdb" || return 1
		if [ -n "$sql" ]; then
			psql_db "$pgdb" -f "$sql" >/dev/null || return 1
		fi
	else
		rm -f "$file"
		if [ -n "$sql" ]; then
			sqlite3 -bail "$file" <"$sql" || return 1
		fi
	fi
}

# store_query PGDB SQLITEFILE SQL: print the result rows, one per line
# (columns separated by |); nothing if the database does not exist.
store_query() {
	if [ "$backend" = maria ]; then
		maria_sql "$1" -e "$(maria_text "$3")" | tr '\t' '|'
	elif [ "$backend" = pg ]; then
		psql_db "$1" -A -t -c "$3"
	elif [ -f "$2" ]; then
		sqlite3 "$2" "$3"
	fi
}

# store_rows PGDB SQLITEFILE TABLE: rows in TABLE, 0 if it does not exist.
store_rows() {
	local exists
	if [ "$backend" = maria ]; then
		exists=$(maria_sql "" -e "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$1' AND table_name = '$3'" 2>/dev/null)
	elif [ "$backend" = pg ]; then
		exists=$(psql_db "$1" -A -t -c "SELECT count(*) FROM pg_tables WHERE tablename = '$3'" 2>/dev/null)
	elif [ -f "$2" ]; then
		exists=$(sqlite3 "$2" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '$3'")
	else
		exists=0
	fi
	if [ "${exists:-0}" = 0 ]; then
		echo 0
	else
		store_query "$1" "$2" "SELECT count(*) FROM $3"
	fi
}

# Write odbc.ini for the backend into $work (tools/env.sh reads it there).
write_odbcini() {
	if [ "$backend" = maria ]; then
		tools/odbcini.sh etc/odbc.mariadb.ini.in "$work" |
			sed -e "s|@MARIAHOST@|127.0.0.1|g" -e "s|@MARIAPORT@|$maria_port|g" >"$work/odbc.ini"
	elif [ "$backend" = pg ]; then
		tools/odbcini.sh etc/odbc.pg.ini.in "$work" |
			sed -e "s|@PGHOST@|127.0.0.1|g" -e "s|@PGPORT@|$pgport|g" >"$work/odbc.ini"
	else
		tools/odbcini.sh etc/odbc.ini.in "$work" >"$work/odbc.ini"
	fi || abort "write odbc.ini"
	: >"$work/odbcinst.ini"
}

recon_env() {
	tools/env.sh "$work" "$recon" "$@"
}

# ---------------------------------------------------------------------
# 1. The demo.

demo=$work/demo
if ! tools/gen-demo.sh "$demo" 1000 >"$work/gen.log" 2>&1; then
	abort "generate demo data" "$(cat "$work/gen.log")"
fi
pass "generate demo data ($(sed 's/.*: //' "$work/gen.log"))"

if diff -u tests/e2e/demo/expected.txt "$demo/expected.txt" >"$work/diff.txt" 2>&1; then
	pass "generated expected.txt equals tests/e2e/demo/expected.txt"
else
	fail "generated expected.txt equals tests/e2e/demo/expected.txt" "$(cat "$work/diff.txt")"
fi

# The SQL oracle restates the demo's reconciliation without the engine:
# if it disagrees, the data or expected.txt is wrong, not (only) recon.
{
	echo "ATTACH '$demo/orders.db' AS ord; ATTACH '$demo/erp.db' AS erp;"
	cat tests/e2e/demo/oracle.sql
} | sqlite3 -bail "$demo/crm.db" 2>&1 | sort >"$work/oracle.txt"
if diff -u tests/e2e/demo/expected.txt "$work/oracle.txt" >"$work/diff.txt" 2>&1; then
	pass "SQL oracle agrees with expected.txt"
else
	fail "SQL oracle agrees with expected.txt" "$(cat "$work/diff.txt")"
fi

if [ "$backend" = pg ]; then
	pg_start
	for db in crm orders erp; do
		db_reset "$db" "" "etc/demo/$db.pg.sql" || abort "create database $db"
	done
	db_reset store "" "" || abort "create database store"
	# Same rows: sqlite3 -csv writes NULL as an empty field and '' as
	# "", which is exactly what COPY ... CSV reads back.
	load_ok=1
	for t in crm:crm_deal orders:orders erp:erp_doc; do
		db=${t%%:*} table=${t#*:}
		sqlite3 -csv "$demo/$db.db" "SELECT * FROM $table" >"$work/$table.csv" &&
			psql_db "$db" -c "\\copy $table FROM '$work/$table.csv' WITH (FORMAT csv)" &&
			[ "$(psql_db "$db" -A -t -c "SELECT count(*) FROM $table")" = \
				"$(sqlite3 "$demo/$db.db" "SELECT count(*) FROM $table")" ] || load_ok=0
	done
	check "load the demo rows into PostgreSQL" [ "$load_ok" = 1 ]
elif [ "$backend" = maria ]; then
	maria_start_e2e
	db_reset store "" "" || abort "create database store"
	load_ok=1
	for t in crm:crm_deal orders:orders erp:erp_doc; do
		db=${t%%:*} table=${t#*:}
		{ db_reset "$db" "" "etc/demo/$db.mariadb.sql" &&
			maria_load "$demo/$db.db" "$table" "$db" "$work/$table.tsv"; } >>"$work/load.log" 2>&1 || load_ok=0
	done
	if [ "$load_ok" = 1 ]; then
		pass "load the demo rows into MariaDB (LOAD DATA LOCAL INFILE)"
	else
		fail "load the demo rows into MariaDB" "$(tail -10 "$work/load.log")"
	fi
fi
write_odbcini

# MariaDB sources into a SQLite store (a site mixing DBMSs): the same
# exceptions as expected.txt, whatever the store's DBMS.
if [ "$backend" = maria ]; then
	mkdir -p "$work/mixed/demo"
	{
		awk '/^\[/ { sect = $0 } sect != "[recon_demo_store]"' "$work/odbc.ini"
		tools/odbcini.sh etc/odbc.ini.in "$work/mixed" |
			awk '/^\[/ { sect = $0 } sect == "[recon_demo_store]"'
	} >"$work/mixed/odbc.ini"
	: >"$work/mixed/odbcinst.ini"
	tools/env.sh "$work/mixed" "$recon" run jobs/orders-nightly.xml --as-of "$asof" \
		--report-dir "$work/mixed/reports" -q >"$work/mixed/out" 2>"$work/mixed/err"
	rc=$?
	if [ "$rc" = 1 ]; then
		compare_exceptions "MariaDB sources, SQLite store: exceptions equal expected.txt" \
			"$work/mixed/reports/$report_base.csv" tests/e2e/demo/expected.txt
	else
		fail "MariaDB sources, SQLite store: exit 1, got $rc" "$(tail -5 "$work/mixed/err")"
	fi
fi

store_pg=store
store_file=$demo/store.db
reports=$work/reports
recon_env run jobs/orders-nightly.xml --as-of "$asof" --report-dir "$reports" \
	>"$work/demo.out" 2>"$work/demo.err"
rc=$?
if [ "$rc" = 1 ]; then
	pass "demo run exits 1 (exceptions found)"
else
	fail "demo run exits 1 (exceptions found), got $rc" "$(cat "$work/demo.err")"
fi

csv=$reports/$report_base.csv
html=$reports/$report_base.html
summary=$reports/$report_base-summary.csv
compare_exceptions "demo exceptions equal expected.txt" "$csv" tests/e2e/demo/expected.txt

if [ -f "$csv" ]; then
	check "CSV starts with a UTF-8 BOM" [ "$(head -c 3 "$csv" | od -An -tx1 | tr -d ' ')" = efbbbf ]
	check "CSV records end with CRLF" [ "$(tail -c 2 "$csv" | od -An -tx1 | tr -d ' ')" = 0d0a ]
	hdr=$(csv_records "$csv" | head -1 | tr "$US" ,)
	want=outcome,severity,key,deal_key,order_key,order_keys,erp_keys,customer,currency,deal_amount,order_amount,erp_amount,difference,tolerance,name,rule,where,message,order.fields.delivery_date,erp.fields.delivery_date,state,first_as_of,age_days,note_state,note_text
	if [ "$hdr" = "$want" ]; then pass "CSV header (18 columns, the site-defined field delivery_date of the order and of the ERP documents, then 5 lifecycle columns)"; else fail "CSV header" "got:  $hdr" "want: $want"; fi
	bad=$(csv_records "$csv" | awk -F "$US" 'NF != 25 { print NR ": " NF " fields" }')
	if [ -z "$bad" ]; then pass "every CSV record has 25 fields"; else fail "every CSV record has 25 fields" "$bad"; fi
	cell=$(csv_records "$csv" | awk -F "$US" '$3 == "SO-99000041" { print $7 "#" $19 "#" $20 }')
	check "CSV shows the site-defined field of the order and of each ERP document" [ "$cell" = "INV-99000041 | SO-99000041#2026-11-09#2026-11-12 | 2026-11-09" ]
	cell=$(csv_records "$csv" | awk -F "$US" '$3 == "D-99000020" { print $15 }')
	case $cell in
	"'=HYPERLINK("*) pass "CSV defuses the =HYPERLINK name with a leading quote" ;;
	*) fail "CSV defuses the =HYPERLINK name with a leading quote" "cell: $cell" ;;
	esac
	cell=$(csv_records "$csv" | awk -F "$US" '$3 == "SO-99000029" { print $15; exit }')
	if [ "$cell" = 'Smith, Jones & "Partners"' ]; then
		pass "CSV keeps commas and quotes inside a cell"
	else
		fail "CSV keeps commas and quotes inside a cell" "cell: $cell"
	fi
	# every system's ids: the ERP documents of an order, a deal's two
	# orders, the documents of ERP_WITHOUT_ORDER in its cell and message
	cell=$(csv_records "$csv" | awk -F "$US" '$3 == "SO-99000031" { print $7 }')
	check "CSV erp_keys lists an order's documents in key order" [ "$cell" = "INV-99000031 | INV-99000131" ]
	cell=$(csv_records "$csv" | awk -F "$US" '$3 == "SO-99000113" { print $6 }')
	check "CSV order_keys lists every order of the deal" [ "$cell" = "SO-99000013 | SO-99000113" ]
	cell=$(csv_records "$csv" | awk -F "$US" '$1 == "ERP_WITHOUT_ORDER" { print $7 "#" $18 }')
	check "CSV ERP_WITHOUT_ORDER names its documents" [ "$cell" = "INV-99000006#ERP document INV-99000006 (posted invoice) references order 'SO-99000906', which does not exist" ]
	cell=$(csv_records "$csv" | awk -F "$US" '$3 == "SO-99000031" { print $18 }')
	check "CSV CUSTOMER_MISMATCH from o.erp.docs names the document" [ "$cell" = "ERP invoice INV-99000131 is billed to customer C231, the deal's customer is C131" ]
	# the difference and the tolerance each rule's within() applied; a
	# line no within() stands behind has the amounts' difference only
	cell=$(csv_records "$csv" | awk -F "$US" '$3 == "SO-99000026" || $3 == "SO-99000025" || $3 == "SO-99000003" { printf "%s %s %s;", $3, $13, $14 }')
	check "CSV difference and tolerance applied: USD 0.01, JPY 1.00, none for ORDER_WITHOUT_DEAL ($cell)" \
		[ "$cell" = "SO-99000003 0.00 ;SO-99000025 2.00 1.00;SO-99000026 -0.02 0.01;" ]
	cell=$(csv_records "$csv" | awk -F "$US" '$3 == "SO-99000025" { print $15 }')
	if [ "$cell" = '大阪精密工業株式会社' ]; then
		pass "CSV keeps UTF-8 names byte for byte"
	else
		fail "CSV keeps UTF-8 names byte for byte" "cell: $cell"
	fi
fi

if [ -f "$html" ]; then
	check "HTML escapes the <script> deal name (JSON \\u003c in its data)" grep -qF '\u003cscript\u003ealert(1)\u003c/script\u003e' "$html"
	check "HTML has no raw <script>alert" eval "! grep -qF '<script>alert' '$html'"
else
	fail "HTML report written" "no $html"
fi

# The XML against etc/report.xsd, report file modes, the CSV parsed back
# against the run ledger, csv-bom/csv-columns (docs/REPORTS.md).
. "$root/tests/e2e/lib/reports.sh"

# Control totals: rows read = a COUNT(*) of each source query, and
# read = kept + skipped + failed.
if [ -f "$summary" ]; then
	win="'2025-10-22 00:00:00'"
	declare -A count_sql=(
		[crm]="SELECT count(*) FROM crm_deal WHERE closed_at <= '$asof' AND closed_at >= $win AND is_deleted = 0 AND stage LIKE 'Closed%'"
		[orders]="SELECT count(*) FROM orders WHERE created_at <= '$asof' AND created_at >= $win"
		[erp]="SELECT count(*) FROM erp_doc WHERE doc_date <= '$asof' AND doc_date >= $win AND doc_kind IN ('SO', 'INV', 'CN')"
	)
	for src in crm orders erp; do
		line=$(csv_records "$summary" | awk -F "$US" -v s="$src" '$1 == "source" && $2 == s { print $5, $6, $7, $8 }')
		read -r r k s f <<<"$line"
		if [ "$backend" = maria ]; then
			n=$(maria_sql "$src" -e "${count_sql[$src]}")
		elif [ "$backend" = pg ]; then
			n=$(psql_db "$src" -A -t -c "${count_sql[$src]}")
		else
			n=$(sqlite3 "$demo/$src.db" "${count_sql[$src]}")
		fi
		if [ -n "$line" ] && [ "$r" = "$n" ] && [ "$r" = $((k + s + f)) ]; then
			pass "control totals of source $src: read $r = COUNT(*) = kept $k + skipped $s + failed $f"
		else
			fail "control totals of source $src" "summary: read/kept/skipped/failed = ${line:-missing}" "COUNT(*) of the query: $n"
		fi
	done
else
	fail "summary CSV written" "no $summary"
fi

# The store: one row per reconciled key (generated orders + planted
# groups), no duplicates.
store_query "$store_pg" "$store_file" "SELECT rec_key FROM reconciled_orders" | sort >"$work/store-keys.txt"
if diff -u "$demo/expected-groups.txt" "$work/store-keys.txt" >"$work/diff.txt" 2>&1; then
	pass "store holds one row per reconciled key ($(wc -l <"$work/store-keys.txt") rows)"
else
	fail "store holds one row per reconciled key" "$(head -40 "$work/diff.txt")"
fi

# Planted keys that are not exceptions carry exactly their outcome
# (MATCHED, PENDING_ORDER, PENDING_ERP) in the store.
store_query "$store_pg" "$store_file" "SELECT rec_key, codes FROM reconciled_orders" |
	awk -F '|' -v OFS='\t' 'NR == FNR { split($0, w, "\t"); want[w[1]] = 1; next } ($1 in want) { print $1, $2 }' \
		"$demo/expected-quiet.txt" - | sort >"$work/quiet.txt"
if diff -u "$demo/expected-quiet.txt" "$work/quiet.txt" >"$work/diff.txt" 2>&1; then
	pass "planted MATCHED and PENDING_* keys have exactly that outcome in the store"
else
	fail "planted MATCHED and PENDING_* keys have exactly that outcome in the store" "$(cat "$work/diff.txt")"
fi

# A rerun for the same as-of gives the same exception report, byte for
# byte, here through three translators (--jobs 3, engine/xlate.h) where
# the first run had the default: and since it writes no record version
# (below), every value hash is the same too.
recon_env run jobs/orders-nightly.xml --as-of "$asof" --report-dir "$work/reports2" -q \
	--jobs 3 >"$work/rerun.out" 2>"$work/rerun.err"
rc=$?
if [ "$rc" = 1 ] && cmp -s "$csv" "$work/reports2/$report_base.csv"; then
	pass "rerun (--jobs 3) gives the same exception CSV"
else
	fail "rerun (--jobs 3) gives the same exception CSV (exit $rc)" "$(cat "$work/rerun.err")"
fi
recon_env run jobs/orders-nightly.xml --jobs 0 >/dev/null 2>"$work/jobs0.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "from 1 to 64, not '0'" "$work/jobs0.err"; then
	pass "--jobs 0 is a usage error"
else
	fail "--jobs 0 is a usage error (exit $rc)" "$(cat "$work/jobs0.err")"
fi

# Run identity is (job, as-of, mode): the rerun repeated run 1 exactly,
# so it published nothing (no record version, no runs row), said so, and
# wrote run 1's reports again byte for byte (same run id and times).
if grep -q "^store: nothing new published: this run repeats run seq 1 exactly" "$work/rerun.out" &&
	cmp -s "$work/reports/$report_base.html" "$work/reports2/$report_base.html"; then
	pass "the rerun repeats run 1: nothing published, says so, run 1's HTML report byte for byte"
else
	fail "the rerun repeats run 1: nothing published, says so, run 1's HTML report byte for byte" "$(cat "$work/rerun.out")"
fi
# The versioned store: the rerun wrote no record version and no run
# row; the current view has
# one row per key; the tables refuse UPDATE, DELETE (and TRUNCATE on
# PostgreSQL; MariaDB has no TRUNCATE triggers, docs/CONNECTORS.md) at
# the database.
n=$(store_query "$store_pg" "$store_file" "SELECT count(*) FROM reconciled_orders")
want=$(wc -l <"$demo/expected-groups.txt")
runs=$(store_query "$store_pg" "$store_file" "SELECT seq || ':' || records FROM reconciled_orders_runs ORDER BY seq" | tr '\n' ' ')
if [ "$n" = "$want" ] && [ "$runs" = "1:$want " ]; then
	pass "rerun wrote no record version (runs: $runs)"
else
	fail "rerun wrote no record version" "store rows $n, want $want; runs: $runs"
fi
n=$(store_query "$store_pg" "$store_file" "SELECT count(*) FROM reconciled_orders_current")
check "current view: one row per key ($n)" [ "$n" = "$want" ]
# The job's declared columns, typed and filled (the planted case of
# docs/DEMO.md: a deal with its order, two invoices).
cols=$(store_query "$store_pg" "$store_file" "SELECT count(*) FROM reconciled_orders_schema")
check "the store's declared columns are the job's 14 (reconciled_orders_schema)" [ "$cols" = 14 ]
row=$(store_query "$store_pg" "$store_file" "SELECT CAST(deal_closed AS TEXT) || '|' || CAST(order_date AS TEXT) || '|' || order_status || '|' || CAST(erp_invoices AS TEXT) FROM reconciled_orders WHERE rec_key = 'SO-99000029'")
check "declared columns hold typed values: timestamp, date, status, count ($row)" \
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}[|][0-9]{4}-[0-9]{2}-[0-9]{2}[|][a-z]+[|][0-9]+$' <<<"$row"
if [ "$backend" = pg ]; then
	types=$(psql_db "$store_pg" -A -t -c "SELECT string_agg(column_name || ' ' || data_type, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'reconciled_orders' AND column_name IN ('deal_amount', 'deal_closed', 'order_date', 'erp_invoices')")
	check "PostgreSQL column types follow the declaration ($types)" [ "$types" = "deal_amount numeric,deal_closed timestamp without time zone,erp_invoices bigint,order_date date" ]
fi
for stmt in "UPDATE reconciled_orders SET outcome = 'MATCHED'" "DELETE FROM reconciled_orders" \
	"UPDATE reconciled_orders_runs SET records = 0" "DELETE FROM reconciled_orders_runs" \
	"UPDATE reconciled_orders_schema SET type = 'text'" "DELETE FROM reconciled_orders_schema"; do
	if [ "$backend" = maria ]; then
		out=$(maria_sql "$store_pg" -e "$stmt" 2>&1)
	elif [ "$backend" = pg ]; then
		out=$(psql_db "$store_pg" -c "$stmt" 2>&1)
	else
		out=$(sqlite3 "$store_file" "$stmt" 2>&1)
	fi
	case $out in
	*"is insert-only"*) pass "the store refuses: $stmt" ;;
	*) fail "the store refuses: $stmt" "$out" ;;
	esac
done
if [ "$backend" = pg ]; then
	out=$(psql_db "$store_pg" -c "TRUNCATE reconciled_orders" 2>&1)
	case $out in
	*"is insert-only"*) pass "the store refuses TRUNCATE" ;;
	*) fail "the store refuses TRUNCATE" "$out" ;;
	esac
	# NUMERIC amounts read back with their own scale hash like the
	# engine's: a rerun after a reconnect still finds every key unchanged
	# (checked above: records 0), and they print with 4 decimals.
	amt=$(psql_db "$store_pg" -A -t -c "SELECT order_amount FROM reconciled_orders WHERE order_amount IS NOT NULL LIMIT 1")
	case $amt in
	*.????) pass "PostgreSQL stores amounts as NUMERIC(24,4) ($amt)" ;;
	*) fail "PostgreSQL stores amounts as NUMERIC(24,4)" "$amt" ;;
	esac
fi
if [ "$backend" = maria ]; then
	# A MariaDB trigger fires on INSERT, UPDATE or DELETE only: TRUNCATE
	# (like DROP TABLE) is refused by privileges, not by the store.
	echo "skip maria: the store refuses TRUNCATE (MariaDB has no TRUNCATE triggers; grant the service account no DROP: docs/CONNECTORS.md)"
	types=$(maria_sql "" -e "SELECT group_concat(column_name, ' ', column_type ORDER BY column_name SEPARATOR ',') FROM information_schema.columns WHERE table_schema = '$store_pg' AND table_name = 'reconciled_orders' AND column_name IN ('deal_amount', 'deal_closed', 'order_date', 'erp_invoices')")
	check "MariaDB column types follow the declaration ($types)" [ "$types" = "deal_amount decimal(24,4),deal_closed datetime,erp_invoices bigint(20),order_date date" ]
	amt=$(maria_sql "$store_pg" -e "SELECT order_amount FROM reconciled_orders WHERE order_amount IS NOT NULL LIMIT 1")
	case $amt in
	*.????) pass "MariaDB stores amounts as DECIMAL(24,4) ($amt)" ;;
	*) fail "MariaDB stores amounts as DECIMAL(24,4)" "$amt" ;;
	esac
fi

# What tests/e2e/cross.sh compares between the backends: every version
# of the demo store without what names the run (run_id, and the hashes
# that chain it: content_hash, prev_hash): kind, key, version, outcome,
# codes, value_hash (the record's values, docs/LEDGER.md), rules_hash
# and the sources JSON (row fingerprints).
mkdir -p "$work/cross"
store_query "$store_pg" "$store_file" "SELECT rec_kind || ' ' || rec_key || ' ' || CAST(version AS TEXT) || ' ' || outcome || ' ' || codes || ' ' || value_hash || ' ' || rules_hash || ' ' || sources FROM reconciled_orders" |
	LC_ALL=C sort >"$work/cross/records.txt"
cp "$csv" "$work/cross/exceptions.csv" 2>/dev/null

# The same job on the same rows gives the same report on every backend
# (skipped when there is no SQLite result, or when tests/e2e/all.sh runs
# the backends at once: then tests/e2e/cross.sh compares them).
other=$root/out/e2e/sqlite/reports/$report_base.csv
cross_later=
[ "${RECON_E2E_CROSS:-}" = later ] && cross_later=1
if [ "$backend" != sqlite ]; then
	if [ -n "$cross_later" ]; then
		echo "skip $backend: same exception CSV and sources fingerprints as the SQLite run (tests/e2e/cross.sh compares them)"
	elif [ ! -f "$other" ]; then
		echo "skip $backend: same exception CSV as the SQLite run (run tests/e2e/run.sh sqlite first)"
	elif cmp -s "$csv" "$other"; then
		pass "same exception CSV as the SQLite run, byte for byte"
	else
		fail "same exception CSV as the SQLite run, byte for byte" "$(diff "$other" "$csv" | head -20)"
	fi
fi

# The same demo rows give the same provenance on every database: every
# version's sources JSON (row fingerprints, engine/rowfp.h) equals the
# SQLite run's, although PostgreSQL and MariaDB print numeric amounts as
# 450.00 where SQLite gives 450 (docs/LEDGER.md, "Provenance").
if [ "$backend" != sqlite ] && [ -z "$cross_later" ]; then
	other_store=$root/out/e2e/sqlite/demo/store.db
	q="SELECT rec_kind || ' ' || rec_key || ' ' || CAST(version AS TEXT) || ' ' || sources FROM reconciled_orders"
	if [ ! -f "$other_store" ]; then
		echo "skip $backend: same sources fingerprints as the SQLite run (run tests/e2e/run.sh sqlite first)"
	else
		store_query "$store_pg" "" "$q" | LC_ALL=C sort >"$work/sources-$backend.txt"
		sqlite3 "$other_store" "$q" | LC_ALL=C sort >"$work/sources-sqlite.txt"
		if [ -s "$work/sources-$backend.txt" ] &&
			cmp -s "$work/sources-sqlite.txt" "$work/sources-$backend.txt"; then
			pass "same sources fingerprints as the SQLite run, every version ($(wc -l <"$work/sources-$backend.txt"))"
		else
			fail "same sources fingerprints as the SQLite run, every version" "$(diff "$work/sources-sqlite.txt" "$work/sources-$backend.txt" | head -10)"
		fi
	fi
fi

# Row fingerprints do not depend on the driver: the unit suite rowfp
# reads the same rows through sqliteodbc and through psqlODBC (this
# cluster) and compares their fingerprints (engine/rowfp.h).
if [ "$backend" = pg ]; then
	unit=$root/out/build/dev/unit
	rdir=$work/rowfp
	if [ ! -x "$unit" ]; then
		echo "skip pg: row fingerprints equal on SQLite and PostgreSQL (build $unit first: make out/build/dev/unit)"
	elif ! db_reset rowfp "" ""; then
		fail "row fingerprints equal on SQLite and PostgreSQL" "create database rowfp"
	else
		mkdir -p "$rdir/test"
		{
			tools/odbcini.sh etc/odbc.ini.in "$rdir"
			printf '\n'
			awk '/^\[/ { sect = $0 }
				sect == "[recon_demo_crm]" {
					if (/^\[/) { print "[recon_test_pg]"; next }
					if (/^Database *=/) { print "Database = rowfp"; next }
					print }' "$work/odbc.ini"
		} >"$rdir/odbc.ini"
		: >"$rdir/odbcinst.ini"
		# RECON_TEST_PG_DSN adds the case sqlite_and_postgresql
		if RECON_TEST_PG_DSN=recon_test_pg \
			tools/env.sh "$rdir" "$unit" rowfp >"$rdir/log" 2>&1; then
			pass "row fingerprints equal on SQLite and PostgreSQL (unit suite rowfp with psqlODBC)"
		else
			fail "row fingerprints equal on SQLite and PostgreSQL (unit suite rowfp with psqlODBC)" "$(tail -20 "$rdir/log")"
		fi
	fi
fi

# The unit suites that reach a MariaDB store (those that read
# RECON_TEST_MARIA_DSN: the dialect's SQL run against a real server)
# run against this server: RECON_TEST_MARIA_DSN names recon_test_maria,
# a store DSN of etc/odbc.mariadb.ini.in (database unit_maria), beside
# the SQLite DSNs of etc/odbc.ini.in the suites also use.
if [ "$backend" = maria ]; then
	unit=$root/out/build/dev/unit
	rdir=$work/unit
	suites=$(grep -l 'RECON_TEST_MARIA_DSN' tests/unit/test_*.c 2>/dev/null |
		sed 's|.*/test_\(.*\)\.c$|\1|' | tr '\n' ' ' | sed 's/ $//')
	if [ -z "$suites" ]; then
		echo "skip maria: unit suites against MariaDB (no suite in tests/unit reads RECON_TEST_MARIA_DSN)"
	elif [ ! -x "$unit" ]; then
		echo "skip maria: unit suites $suites against MariaDB (build $unit first: make out/build/dev/unit)"
	elif ! db_reset unit_maria "" ""; then
		fail "unit suites $suites against MariaDB" "create database unit_maria"
	else
		mkdir -p "$rdir/test"
		{
			tools/odbcini.sh etc/odbc.ini.in "$rdir"
			printf '\n'
			awk '/^\[/ { sect = $0 } sect == "[recon_test_maria]"' "$work/odbc.ini"
		} >"$rdir/odbc.ini"
		: >"$rdir/odbcinst.ini"
		# shellcheck disable=SC2086 # one word per suite
		if RECON_TEST_MARIA_DSN=recon_test_maria \
			tools/env.sh "$rdir" "$unit" $suites >"$rdir/log" 2>&1; then
			pass "unit suites against MariaDB ($suites: $(grep -o '[0-9]*%: Checks: [0-9]*' "$rdir/log" | tail -1))"
		else
			fail "unit suites against MariaDB ($suites)" "$(tail -20 "$rdir/log")"
		fi
	fi
fi

# Incremental runs against full runs (changes the demo databases).
. "$root/tests/e2e/lib/incremental.sh"

# recon verify, digest, history; tampering; SIGKILL (docs/LEDGER.md).
. "$root/tests/e2e/lib/ledger.sh"
# One live run per (job, store): refusals, --lock-wait, takeover after
# SIGKILL from another host id (engine/lock.h).
. "$root/tests/e2e/lib/lock.sh"

# The job's hooks: on-failure, on-exceptions, timeouts (docs/JOBS.md).
. "$root/tests/e2e/lib/hooks.sh"
# The HTML report in headless Chromium: runs, sorts, filters, escapes,
# CSP, a screenshot, 200,000 lines (docs/REPORTS.md).
. "$root/tests/e2e/lib/html.sh"
# Finance's notes on exceptions: recon note, the chain, the triggers,
# verify (docs/STORE.md, "T_notes").
. "$root/tests/e2e/lib/notes.sh"
# The engine configuration: file < RECON_* < flags, recon config
# (README.md, "Configuration").
. "$root/tests/e2e/lib/config.sh"
# recon schedule: --next against systemd, units, crontab; the loop under
# the test clock (docs/SCHEDULING.md).
. "$root/tests/e2e/lib/schedule.sh"
# The log of recon run: JSON events, progress, -q, an error event, no
# password (docs/LOGGING.md).
. "$root/tests/e2e/lib/logs.sh"
# The exception lifecycle through recon diff: new, open, reopened,
# resolved and ages over three runs (docs/REPORTS.md).
. "$root/tests/e2e/lib/lifecycle.sh"
# recon explain on lifecycle.sh's store: golden text, every kind of
# outcome, a planted near miss, --run, --json (docs/REPORTS.md).
. "$root/tests/e2e/lib/explain.sh"
# Shadow runs: candidate rules over a published run's kept inputs
# (docs/RULES.md, "Shadow runs").
. "$root/tests/e2e/lib/shadow.sh"
# make install into a temporary DESTDIR, the demo run from there, the man
# pages (README.md, "Installing"); SQLite only: it tests the installed
# tree, not a backend.
if [ "$backend" = sqlite ]; then
	. "$root/tests/e2e/lib/install.sh"
fi

# ---------------------------------------------------------------------
# 2. The cases.

case_store_file=$work/case/store.db
for dir in tests/e2e/cases/*/; do
	dir=${dir%/}
	name=$(basename "$dir")
	expect=$dir/expect
	[ -f "$expect" ] || continue
	# "backend B..." runs the case on those backends only; the line's
	# comment (after #) says why, and the skip prints it
	only=$(awk '$1 == "backend" { sub(/#.*/, ""); $1 = ""; print }' "$expect")
	if [ -n "$only" ] && ! [[ " $only " == *" $backend "* ]]; then
		why=$(awk '$1 == "backend" && /#/ { sub(/^[^#]*#[ \t]*/, ""); print }' "$expect")
		echo "skip $backend: case $name (only on${only}${why:+: $why})"
		continue
	fi

	# Fresh case databases, set up by the case's SQL files.
	mkdir -p "$work/case"
	setup_ok=1
	for db in crm orders erp store; do
		# the case's own SQL, else the default data in lib/ (no store data)
		sql=$dir/$db.sql
		if [ "$backend" = pg ] && [ -f "$dir/$db.pg.sql" ]; then
			sql=$dir/$db.pg.sql
		elif [ "$backend" = maria ] && [ -f "$dir/$db.maria.sql" ]; then
			sql=$dir/$db.maria.sql
		fi
		[ -f "$sql" ] || sql=tests/e2e/cases/lib/$db.sql
		[ -f "$sql" ] || sql=
		db_reset "case_$db" "$work/case/$db.db" "$sql" >"$work/setup.log" 2>&1 || setup_ok=0
	done
	if [ "$setup_ok" = 0 ]; then
		fail "case $name: set up databases" "$(cat "$work/setup.log")"
		continue
	fi

	creports=$work/cases/$name/reports
	mkdir -p "$work/cases/$name"
	# "before ARGS": an earlier run the case builds on (it must publish)
	before=$(awk '$1 == "before" { sub(/^before[ \t]+/, ""); print }' "$expect")
	if [ -n "$before" ]; then
		before=${before//@JOB@/"$dir/job.xml"}
		before=${before//@REPORTS@/"$work/cases/$name/before-reports"}
		before=${before//@CASE@/"$dir"}
		eval "set -- $before"
		RECON_STATE_DIR="$work/cases-state" recon_env "$@" >"$work/cases/$name/before.stdout" 2>"$work/cases/$name/before.stderr"
		rc=$?
		if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
			fail "case $name: the run before it (exit $rc)" "$(head -20 "$work/cases/$name/before.stderr")"
			continue
		fi
	fi
	args=$(awk '$1 == "args" { sub(/^args[ \t]+/, ""); print }' "$expect")
	if [ -z "$args" ]; then
		args="run @JOB@ --as-of '$asof' --report-dir @REPORTS@"
	fi
	args=${args//@JOB@/"$dir/job.xml"}
	args=${args//@REPORTS@/"$creports"}
	args=${args//@CASE@/"$dir"}
	eval "set -- $args"
	# A case that hangs (rule-xpcall-loop did, once) fails with exit 124
	# instead of stopping the suite.
	# Their state folders (a run's kept inputs too) go under $work, not
	# under the case's folder (JOBDIR/../out/state, in the tree).
	RECON_STATE_DIR="$work/cases-state" timeout 300 tools/env.sh "$work" "$recon" "$@" \
		>"$work/cases/$name/stdout" 2>"$work/cases/$name/stderr"
	rc=$?
	out=$work/cases/$name/stdout
	err=$work/cases/$name/stderr

	ok=1
	why=()
	want_rc=$(awk '$1 == "exit" { print $2 }' "$expect")
	if [ "$rc" != "${want_rc:-0}" ]; then
		ok=0
		why+=("exit $rc, want ${want_rc:-0}")
	fi
	while IFS= read -r line; do
		kind=${line%% *}
		arg=${line#* }
		case $kind in
		stderr)
			grep -qF -- "$arg" "$err" || { ok=0; why+=("stderr lacks: $arg"); } ;;
		stderr-re)
			grep -qE -- "$arg" "$err" || { ok=0; why+=("stderr does not match: $arg"); } ;;
		stdout)
			grep -qF -- "$arg" "$out" || { ok=0; why+=("stdout lacks: $arg"); } ;;
		report)
			# a fixed string in the published exception CSV
			rep=$(find "$creports" -name '*.csv' ! -name '*-summary.csv' 2>/dev/null | head -1)
			{ [ -n "$rep" ] && grep -qF -- "$arg" "$rep"; } ||
				{ ok=0; why+=("exception CSV lacks: $arg"); } ;;
		store)
			n=$(store_rows case_store "$case_store_file" reconciled)
			case $arg in
			empty) [ "$n" = 0 ] || { ok=0; why+=("store has $n rows, want none"); } ;;
			"rows "*) [ "$n" = "${arg#rows }" ] || { ok=0; why+=("store has $n rows, want ${arg#rows }"); } ;;
			esac
			;;
		query)
			# "query DB SQL => EXPECTED": SQL in case database DB
			# (crm, orders, erp, store) prints EXPECTED
			qdb=${arg%% *}
			qsql=${arg#* }
			qwant=${qsql##*=> }
			qsql=${qsql% => *}
			qgot=$(store_query "case_$qdb" "$work/case/$qdb.db" "$qsql" 2>&1 | tr '\n' ' ' | sed 's/ $//')
			[ "$qgot" = "$qwant" ] || { ok=0; why+=("query $qdb: $qsql gave '$qgot', want '$qwant'"); } ;;
		reports)
			# "reports none": no report file was published
			if [ "$arg" = none ] && [ -d "$creports" ] &&
				[ -n "$(find "$creports" -type f 2>/dev/null)" ]; then
				ok=0
				why+=("reports were written: $(find "$creports" -type f | tr '\n' ' ')")
			fi
			;;
		esac
	done <"$expect"
	if [ -f "$dir/expected.txt" ]; then
		rep=$(find "$creports" -name '*.csv' ! -name '*-summary.csv' 2>/dev/null | head -1)
		if [ -z "$rep" ]; then
			ok=0
			why+=("no exception CSV in $creports")
		else
			csv_exceptions "$rep" >"$work/got.txt"
			if ! diff -u "$dir/expected.txt" "$work/got.txt" >"$work/diff.txt" 2>&1; then
				ok=0
				why+=("exceptions differ:" "$(cat "$work/diff.txt")")
			fi
		fi
	fi
	if [ "$ok" = 1 ]; then
		pass "case $name"
	else
		fail "case $name" "${why[@]}" "stderr:" "$(head -20 "$err")"
	fi
done

echo "e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
