#!/bin/bash
# tools/bench-maria.sh start RES BENCH | change5 RES MARK |
# change5inc RES MARK MARK2 | stop RES - the
# MariaDB side of `tools/bench.sh maria` (make bench-maria), as
# tools/bench-pg.sh is PostgreSQL's.
#
#   start    install a throwaway datadir under /tmp and start mariadbd
#            --no-defaults on 127.0.0.1 at a free port from 33306
#            (tools/maria.sh, as tests/e2e/run.sh maria does) with
#            InnoDB's durability defaults (innodb_flush_log_at_trx_commit=1,
#            doublewrite on) and more memory (innodb_buffer_pool_size
#            256M, as the PostgreSQL bench's shared_buffers); create
#            bench_crm, bench_orders, bench_erp (etc/demo/*.mariadb.sql)
#            and an empty bench_store; load the generated SQLite rows of
#            BENCH in rowid order (LOAD DATA LOCAL INFILE), ANALYZE; write
#            RES/odbc.ini (etc/odbc.mariadb.ini.in, DSNs recon_bench_*)
#            and RES/maria.env (folder, port, server pid).
#   change5  add 1 to the amount of every 20th order in load order (the
#            rows the SQLite bench changes: rowid % 20 = 0; orders has no
#            primary key, so InnoDB keeps its rows in insertion order)
#            and set their modified_at to MARK, print how many; set the
#            modified_at of the first deal and the first ERP document (by
#            id) to MARK too (each source's watermark moves: tools/bench.sh,
#            step 6).
#   change5inc  subtract 1 from the amount of the orders change5 changed
#            (those at modified_at MARK) and set their modified_at to
#            MARK2, print how many (tools/bench.sh, step 7).
#   stop     stop the server and remove its folder.
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
. tools/maria.sh

case $cmd in
start)
	bench=${3:?BENCH}
	if ! maria_start "$(mktemp -d /tmp/recon-bench-maria.XXXXXX)" "$res/mariadb-start.log" \
		--innodb-buffer-pool-size=256M --skip-log-bin; then
		cat "$res/mariadb-start.log" >&2
		maria_stop
		exit 1
	fi
	printf 'maria_dir=%s\nmaria_port=%s\nmaria_pid=%s\n' "$maria_dir" "$maria_port" "$maria_pid" >"$res/maria.env"
	# the server outlives this script: stop forgets it here
	echo "bench: MariaDB $(maria_version) on 127.0.0.1:$maria_port ($maria_dir; innodb_flush_log_at_trx_commit 1, buffer pool 256M)"
	t0=$(date +%s)
	maria_reset bench_store
	for t in crm:crm_deal orders:orders erp:erp_doc; do
		db=${t%%:*} table=${t#*:}
		maria_reset "bench_$db" "etc/demo/$db.mariadb.sql"
		maria_load "$bench/$db.db" "$table" "bench_$db" "$res/$table.tsv"
		rm -f "$res/$table.tsv"
		maria_sql "bench_$db" -e "ANALYZE TABLE $table" >/dev/null
	done
	echo "bench: loaded into MariaDB in $(($(date +%s) - t0)) s"
	tools/odbcini.sh etc/odbc.mariadb.ini.in "$res" |
		sed -e "s|@MARIAHOST@|127.0.0.1|g" -e "s|@MARIAPORT@|$maria_port|g" >"$res/odbc.ini"
	: >"$res/odbcinst.ini"
	;;
change5)
	[ -n "$mark" ] || { echo "usage: $0 change5 RES MARK" >&2; exit 2; }
	. "$res/maria.env"
	# The counter counts every row in scan order (NULL amounts too, as
	# rowid does), the CASE makes sure it is evaluated first.
	maria_sql bench_orders -e "SET @n := 0;
		UPDATE orders SET total_amount = total_amount + 1, modified_at = '$mark'
		WHERE CASE WHEN (@n := @n + 1) % 20 = 0 THEN total_amount IS NOT NULL
		  AND order_no NOT IN (SELECT order_no FROM (SELECT order_no FROM orders
		  GROUP BY order_no HAVING count(*) > 1) d) ELSE 0 END;
		SELECT ROW_COUNT()"
	maria_sql bench_crm -e "UPDATE crm_deal SET modified_at = '$mark' ORDER BY deal_id LIMIT 1" >/dev/null
	maria_sql bench_erp -e "UPDATE erp_doc SET modified_at = '$mark' ORDER BY doc_id LIMIT 1" >/dev/null
	;;
change5inc)
	[ -n "$mark2" ] || { echo "usage: $0 change5inc RES MARK MARK2" >&2; exit 2; }
	. "$res/maria.env"
	maria_sql bench_orders -e "UPDATE orders SET total_amount = total_amount - 1, modified_at = '$mark2'
		WHERE modified_at = '$mark';
		SELECT ROW_COUNT()"
	;;
stop)
	[ -f "$res/maria.env" ] || exit 0
	. "$res/maria.env"
	maria_stop
	rm -f "$res/maria.env"
	;;
*)
	echo "usage: $0 start RES BENCH | change5 RES MARK | change5inc RES MARK MARK2 | stop RES" >&2
	exit 2
	;;
esac
