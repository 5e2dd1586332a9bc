#!/bin/bash
# tools/bench-pg.sh start RES BENCH | change5 RES MARK |
# change5inc RES MARK MARK2 | stop RES - the
# PostgreSQL side of `tools/bench.sh pg` (make bench-pg).
#
#   start    initdb a throwaway cluster under /tmp (as the postgres OS user
#            when run as root, like tests/e2e/run.sh), start it on
#            127.0.0.1 at a free port from 54329 with PostgreSQL's
#            durability defaults (fsync, synchronous_commit and
#            full_page_writes stay on) and more memory (shared_buffers and
#            maintenance_work_mem 256MB); create bench_crm, bench_orders,
#            bench_erp (etc/demo/*.pg.sql) and an empty bench_store; load
#            the generated SQLite rows of BENCH in rowid order (sqlite3 -csv
#            | \copy, as the e2e tests do), VACUUM ANALYZE; write
#            RES/odbc.ini (etc/odbc.pg.ini.in, DSNs recon_bench_*) and
#            RES/pg.env (data folder, port, server binaries).
#   change5  add 1 to the amount of every 20th order in load order (the
#            rows the SQLite bench changes: rowid % 20 = 0) and set their
#            modified_at to MARK, print how many; set the modified_at of
#            the first deal and the first ERP document (by id) to MARK too
#            (each source's watermark moves: tools/bench.sh, step 6).
#   change5inc  subtract 1 from the amount of the orders change5 changed
#            (those at modified_at MARK: an UPDATE moves a row, so load
#            order no longer finds them) and set their modified_at to
#            MARK2, print how many (tools/bench.sh, step 7).
#   stop     stop the cluster and remove its folder.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmd=${1:-}
res=${2:-}
mark=${3:-}
mark2=${4:-}
if [ -z "$res" ]; then
	echo "usage: $0 start RES BENCH | change5 RES MARK | change5inc RES MARK MARK2 | stop RES" >&2
	exit 2
fi

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

case $cmd in
start)
	bench=${3:?BENCH}
	pgbin=
	for v in 15 16 17 14 13; do
		if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then
			pgbin=/usr/lib/postgresql/$v/bin
			break
		fi
	done
	if [ -z "$pgbin" ]; then
		echo "bench-pg: no server binaries under /usr/lib/postgresql (package postgresql)" >&2
		exit 2
	fi
	pgport=54329
	while (exec 3<>"/dev/tcp/127.0.0.1/$pgport") 2>/dev/null; do
		pgport=$((pgport + 1))
		if [ "$pgport" -gt 54400 ]; then
			echo "bench-pg: no free port in 54329..54400" >&2
			exit 2
		fi
	done
	pgdir=$(mktemp -d /tmp/recon-bench-pg.XXXXXX)
	printf 'pgdir=%s\npgport=%s\npgbin=%s\n' "$pgdir" "$pgport" "$pgbin" >"$res/pg.env"
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$pgdir"
	fi
	as_pg "$pgbin/initdb" -D "$pgdir/data" -U recon -A trust -E UTF8 --locale=C >"$res/initdb.log" 2>&1 || {
		cat "$res/initdb.log" >&2
		exit 1
	}
	as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -s \
		-o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdir/data -c shared_buffers=256MB -c maintenance_work_mem=256MB" \
		start || {
		cat "$pgdir/server.log" >&2
		exit 1
	}
	echo "bench: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pgport ($pgdir; fsync on, shared_buffers 256MB)"
	t0=$(date +%s)
	for db in crm orders erp store; do
		psql_db postgres -c "CREATE DATABASE bench_$db"
	done
	for t in crm:crm_deal orders:orders erp:erp_doc; do
		db=${t%%:*} table=${t#*:}
		psql_db "bench_$db" -f "etc/demo/$db.pg.sql" >/dev/null
		sqlite3 -csv "$bench/$db.db" "SELECT * FROM $table ORDER BY rowid" |
			psql_db "bench_$db" -c "\\copy $table FROM STDIN WITH (FORMAT csv)"
		n=$(psql_db "bench_$db" -A -t -c "SELECT count(*) FROM $table")
		want=$(sqlite3 "$bench/$db.db" "SELECT count(*) FROM $table")
		if [ "$n" != "$want" ]; then
			echo "bench-pg: $table: $n rows loaded, $want in $bench/$db.db" >&2
			exit 1
		fi
		psql_db "bench_$db" -c "VACUUM ANALYZE $table"
	done
	echo "bench: loaded into PostgreSQL in $(($(date +%s) - t0)) s"
	tools/odbcini.sh etc/odbc.pg.ini.in "$res" |
		sed -e "s|@PGHOST@|127.0.0.1|g" -e "s|@PGPORT@|$pgport|g" >"$res/odbc.ini"
	: >"$res/odbcinst.ini"
	;;
change5)
	[ -n "$mark" ] || { echo "usage: $0 change5 RES MARK" >&2; exit 2; }
	. "$res/pg.env"
	# A fresh table after one COPY: ctid order is load order (rowid order).
	psql_db bench_orders -A -t -c "WITH s AS (SELECT ctid AS c, row_number() OVER (ORDER BY ctid) AS rn FROM orders)
		UPDATE orders o SET total_amount = o.total_amount + 1, modified_at = '$mark' FROM s
		WHERE o.ctid = s.c AND s.rn % 20 = 0 AND o.total_amount IS NOT NULL
		  AND o.order_no NOT IN (SELECT order_no FROM orders GROUP BY order_no HAVING count(*) > 1) RETURNING 1" | wc -l
	psql_db bench_crm -c "UPDATE crm_deal SET modified_at = '$mark'
		WHERE deal_id = (SELECT min(deal_id) FROM crm_deal)" >/dev/null
	psql_db bench_erp -c "UPDATE erp_doc SET modified_at = '$mark'
		WHERE doc_id = (SELECT min(doc_id) FROM erp_doc)" >/dev/null
	;;
change5inc)
	[ -n "$mark2" ] || { echo "usage: $0 change5inc RES MARK MARK2" >&2; exit 2; }
	. "$res/pg.env"
	psql_db bench_orders -A -t -c "UPDATE orders SET total_amount = total_amount - 1, modified_at = '$mark2'
		WHERE modified_at = '$mark' RETURNING 1" | wc -l
	;;
stop)
	[ -f "$res/pg.env" ] || exit 0
	. "$res/pg.env"
	as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -s stop >/dev/null 2>&1 || true
	rm -rf "$pgdir"
	rm -f "$res/pg.env"
	;;
*)
	echo "usage: $0 start RES BENCH | change5 RES MARK | change5inc RES MARK MARK2 | stop RES" >&2
	exit 2
	;;
esac
