# shellcheck shell=bash
# tools/maria.sh - sourced (bash) by tests/e2e/run.sh maria and
# tools/bench-maria.sh: a throwaway MariaDB server and the demo rows in it.
# Nothing system-wide is read or written: the server runs with
# --no-defaults (no /etc/mysql/my.cnf), from a datadir under /tmp, on
# 127.0.0.1 at a free port, and maria_stop removes it all.
#
#   maria_start DIR LOG [SERVER-OPTION...]   install a datadir in DIR (a
#       fresh mktemp -d folder), start mariadbd on the first free port from
#       33306 and wait until it answers; sets maria_dir, maria_port,
#       maria_pid. Returns non-zero with the reason in LOG on failure.
#   maria_stop                               kill the server, remove DIR
#   maria_sql DB [CLIENT-OPTION...]          the mariadb client as root over
#       TCP, batch mode, no column names, raw values; the session in
#       ANSI_QUOTES and PIPES_AS_CONCAT (the tests' SQL is written for
#       SQLite and PostgreSQL: "x" quotes names, || concatenates)
#   maria_reset DB [SQLFILE]                 drop and create database DB
#       (utf8mb4, binary collation), run SQLFILE in it
#   maria_load SQLITEFILE TABLE DB TSV       copy TABLE's rows from a SQLite
#       file into DB.TABLE (same columns), through LOAD DATA LOCAL INFILE
#       of the tab-separated file TSV, in rowid order; checks the count
#
# Root has no password (mariadb-install-db
# --auth-root-authentication-method=normal) and the server listens on
# 127.0.0.1 only.

maria_dir=
maria_port=
maria_pid=

maria_start() {
	local dir=$1 log=$2 _
	shift 2
	maria_dir=$dir
	if ! command -v mariadbd >/dev/null || ! command -v mariadb-install-db >/dev/null; then
		echo "no mariadbd / mariadb-install-db (package mariadb-server)" >"$log"
		return 1
	fi
	if ! mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" \
		--auth-root-authentication-method=normal --skip-test-db >"$log" 2>&1; then
		return 1
	fi
	# A free port from 33306 up: a connect that fails means free. Another
	# process may take it between the probe and the bind: then the
	# server fails to start and says so in the log.
	maria_port=33306
	while (exec 3<>"/dev/tcp/127.0.0.1/$maria_port") 2>/dev/null; do
		maria_port=$((maria_port + 1))
		if [ "$maria_port" -gt 33500 ]; then
			echo "no free port in 33306..33500" >>"$log"
			return 1
		fi
	done
	mariadbd --no-defaults --datadir="$dir/data" --user="$(id -un)" \
		--bind-address=127.0.0.1 --port="$maria_port" --socket="$dir/sock" \
		--pid-file="$dir/mariadbd.pid" --log-error="$dir/server.log" \
		--local-infile=1 \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_bin "$@" \
		>>"$log" 2>&1 &
	maria_pid=$!
	for _ in $(seq 1 300); do
		if mariadb --no-defaults -uroot -h127.0.0.1 -P"$maria_port" -e 'SELECT 1' >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$maria_pid" 2>/dev/null; then
			cat "$dir/server.log" >>"$log" 2>/dev/null
			maria_pid=
			return 1
		fi
		sleep 0.1
	done
	echo "mariadbd did not answer within 30 s" >>"$log"
	cat "$dir/server.log" >>"$log" 2>/dev/null
	return 1
}

maria_stop() {
	local _
	if [ -n "$maria_pid" ]; then
		kill -KILL "$maria_pid" 2>/dev/null || :
		wait "$maria_pid" 2>/dev/null || :
		# not our child when tools/bench-maria.sh stop reads the pid from
		# a file: wait until it is gone before removing its datadir
		for _ in $(seq 1 100); do
			kill -0 "$maria_pid" 2>/dev/null || break
			sleep 0.05
		done
		maria_pid=
	fi
	if [ -n "$maria_dir" ]; then
		rm -rf "$maria_dir"
		maria_dir=
	fi
}

maria_version() {
	mariadbd --version | sed 's/.*Ver \([^ ]*\).*/\1/'
}

maria_sql() {
	local db=$1
	shift
	mariadb --no-defaults -uroot -h127.0.0.1 -P"$maria_port" --batch --skip-column-names --raw \
		--default-character-set=utf8mb4 --local-infile=1 \
		--init-command="SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES,PIPES_AS_CONCAT')" \
		${db:+"$db"} "$@"
}

maria_reset() {
	local db=$1 sql=${2:-}
	maria_sql "" -e "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" || return 1
	if [ -n "$sql" ]; then
		maria_sql "$db" <"$sql" || return 1
	fi
}

maria_load() {
	local file=$1 table=$2 db=$3 tsv=$4 cols expr c n want warn
	# Every column as text with LOAD DATA's escapes (\\, \t, \n, \r)
	# and NULL as \N; sqlite3 prints the rows tab-separated.
	cols=$(sqlite3 "$file" "SELECT name FROM pragma_table_info('$table') ORDER BY cid") || return 1
	expr=
	for c in $cols; do
		expr="$expr${expr:+, }CASE WHEN \"$c\" IS NULL THEN '\\N' ELSE replace(replace(replace(replace(CAST(\"$c\" AS TEXT), '\\', '\\\\'), char(9), '\\t'), char(10), '\\n'), char(13), '\\r') END"
	done
	sqlite3 -batch -separator "$(printf '\t')" "$file" "SELECT $expr FROM \"$table\" ORDER BY rowid" >"$tsv" || return 1
	# LOCAL turns errors into warnings (IGNORE): a truncated or
	# converted value must fail the load, not pass as a warning.
	warn=$(maria_sql "$db" -e "LOAD DATA LOCAL INFILE '$tsv' INTO TABLE \"$table\" CHARACTER SET utf8mb4; SHOW COUNT(*) WARNINGS") || return 1
	if [ "$warn" != 0 ]; then
		echo "maria_load: $table: $warn warnings loading $tsv" >&2
		return 1
	fi
	n=$(maria_sql "$db" -e "SELECT count(*) FROM \"$table\"")
	want=$(sqlite3 "$file" "SELECT count(*) FROM \"$table\"")
	if [ "$n" != "$want" ]; then
		echo "maria_load: $table: $n rows loaded, $want in $file" >&2
		return 1
	fi
}

# maria_copy DB NEW: NEW becomes a copy of database DB (tables, rows,
# views, triggers), through mariadb-dump: MariaDB has no CREATE DATABASE
# ... TEMPLATE.
maria_copy() {
	maria_reset "$2" || return 1
	mariadb-dump --no-defaults -uroot -h127.0.0.1 -P"$maria_port" --skip-comments \
		--default-character-set=utf8mb4 "$1" |
		mariadb --no-defaults -uroot -h127.0.0.1 -P"$maria_port" \
			--default-character-set=utf8mb4 "$2"
}

# maria_owner DB TABLE SQL: run SQL in DB as its owner would, past the
# store's defences: every trigger of DB dropped (they refuse UPDATE and
# DELETE) and every unique index of TABLE (the primary key too), so
# that duplicate versions can be inserted.
maria_owner() {
	local db=$1 table=$2 sql=$3 drops
	drops=$(maria_sql "" -e "SELECT concat('DROP TRIGGER \"', trigger_name, '\";') FROM information_schema.triggers WHERE trigger_schema = '$db';
		SELECT DISTINCT CASE WHEN index_name = 'PRIMARY' THEN 'ALTER TABLE \"$table\" DROP PRIMARY KEY;'
			ELSE concat('DROP INDEX \"', index_name, '\" ON \"$table\";') END
		FROM information_schema.statistics WHERE table_schema = '$db' AND table_name = '$table' AND non_unique = 0") || return 1
	maria_sql "$db" -e "$drops $sql"
}
