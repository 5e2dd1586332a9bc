#!/bin/bash
# tools/bench.sh [pg|maria] [OUT [N]] - throughput and memory of `recon run`
# against the raw ODBC fetch floor (`make bench` calls it after the build;
# `make bench-pg` calls `tools/bench.sh pg`, `make bench-maria`
# `tools/bench.sh maria`).
#
# Without pg the sources and the store are the SQLite files in OUT/bench
# (sqliteodbc). With pg the same generated data is loaded into a
# throwaway PostgreSQL cluster (started as tests/e2e/run.sh starts its
# own, on a free port from 54329, removed on exit) and read and written
# through psqlODBC (UseDeclareFetch=1, Fetch=10000, Protocol=7.4-1:
# etc/odbc.pg.ini.in). The cluster keeps PostgreSQL's durability defaults
# (fsync, synchronous_commit, full_page_writes on); only memory is raised
# (shared_buffers=256MB, maintenance_work_mem=256MB). Results go to
# OUT/bench/pg. With maria likewise on a throwaway MariaDB server
# (tools/bench-maria.sh: InnoDB's durability defaults, buffer pool 256M)
# through odbc-mariadb (etc/odbc.mariadb.ini.in); results in
# OUT/bench/maria.
#
# 1. Generates N (default 1,000,000; env BENCH_N) demo deals with their
#    orders and ERP documents into OUT/bench (default out/bench), reused
#    when the generator and N have not changed (BENCH_REGEN=1 forces).
# 2. Writes OUT/bench/orders-nightly.xml: jobs/orders-nightly.xml with the
#    DSNs recon_bench_* (etc/odbc.ini.in, sqliteodbc StepAPI=1) and
#    absolute rule and report paths.
# 3. The floor: OUT/bin/odbc-floor runs each source query of that job with
#    the same parameters (bound the way the engine binds them; on SQLite
#    written into the query as literals, as the engine does, so that the
#    driver streams) and only fetches: block arrays of 1000 rows, all
#    columns as capped text.
# 4. The engine: `recon run` on the bench job under /usr/bin/time -v, for
#    wall time and peak RSS; its exceptions must be exactly the planted
#    ones (a fast wrong answer is no benchmark).
# 4b. With BENCH_FIELDS=8 (make bench FIELDS=8), before 5: the same first load with
#     eight site-defined fields (OUT/bench/orders-nightly-f8.xml: the bench
#     job with the <fields> of tests/bench/fields8.lua, which sets them in
#     translation and reads them in one order rule) into a fresh store,
#     its wall time and peak RSS printed next to the plain first load's,
#     with the ratios (the site-defined fields' budget: 1.3 x).
# 5. A rerun with nothing changed on the same store (a full read): its
#    wall time, its ratio to the floor and its peak RSS; it must exit as
#    the first load did and write no version.
# 6. The versioned store: the amounts of 5% of the orders are changed
#    and their modified_at moved to mark1 (so is one deal's and one ERP
#    document's, so that every source's watermark moves past the
#    generator's single modified_at), and the job runs again on the same
#    store; prints the versions written and the store's write rate for
#    the first load and for that rerun.
# 7. An incremental run: the same orders get their amounts back and
#    modified_at mark2, and `recon run --incremental` reads the rows
#    changed since step 6's watermarks; every source must have been read
#    incrementally (its log line), the orders query must have fetched the
#    changed orders and the run written one version each. Prints its wall
#    time, versions, peak RSS and its ratio to the full rerun of step 6
#    (the goal: 0.25 x).
# 8. A shadow run (recon shadow --job with a copy of the job file) of
#    step 6's run from its kept inputs: it must change nothing; prints
#    its wall time and peak RSS next to the run's, and the inputs size.
# Every run keeps its per-source state in RES/state (--state-dir; the
# 8-field run in RES/state-f8). Without pg or maria the SQLite files are
# reused by the next bench, so what steps 6 and 7 change is put back when
# the script ends (the amounts; the modified_at values, saved in a table
# bench_saved of each file until then).
# Prints rows/s, peak RSS, floor time and the ratio engine/floor, and for
# each run but the 8-field one the table of CPU and wall seconds per
# phase (recon run --stats: docs/DEMO.md, "Where the time goes").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
backend=sqlite
if [ "${1:-}" = pg ] || [ "${1:-}" = maria ]; then
	backend=$1
	shift
fi
out=${1:-out}
n=${2:-${BENCH_N:-1000000}}
asof='2026-11-26 00:00:00'
fields=${BENCH_FIELDS:-0}
case $fields in
0 | 8) ;;
*)
	echo "bench: BENCH_FIELDS must be 0 or 8, not '$fields'" >&2
	exit 2
	;;
esac
recon=$out/bin/recon
floor=$out/bin/odbc-floor
bench=$out/bench
timebin=/usr/bin/time
export LC_ALL=C

for f in "$recon" "$floor" "$timebin"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing (make build $floor; package time)" >&2
		exit 2
	fi
done
if [ ! -f "$out/odbc.ini" ]; then
	echo "bench: $out/odbc.ini is missing (make build)" >&2
	exit 2
fi

# --- 1. data -------------------------------------------------------------
# (the MariaDB schemas are not the generator's: they leave the stamp, and
# the generated data, as they were)
stamp="n=$n $(cat tools/gen-demo.sh $(ls etc/demo/*.sql | grep -v '\.mariadb\.sql$') | cksum)"
if [ "${BENCH_REGEN:-0}" = 1 ] || [ ! -f "$bench/stamp" ] ||
	[ "$(cat "$bench/stamp")" != "$stamp" ] || [ ! -f "$bench/erp.db" ]; then
	rm -rf "$bench"
	mkdir -p "$bench"
	echo "bench: generating $n deals into $bench"
	t0=$(date +%s)
	tools/gen-demo.sh "$bench" "$n"
	echo "bench: generated in $(($(date +%s) - t0)) s"
	echo "$stamp" >"$bench/stamp"
else
	echo "bench: reusing the data in $bench (BENCH_REGEN=1 to regenerate)"
fi
# res: where this backend's job, reports and timings go; ini: the folder
# of the odbc.ini that tools/env.sh points unixODBC at.
if [ "$backend" = sqlite ]; then
	res=$bench
	ini=$out
	rm -rf "$bench/store.db" "$bench/reports" "$bench/state" "$bench/state-f8"
	# bench_saved: the modified_at values step 7 changed, kept until the
	# script ends (restore_sources); left over, an earlier bench died
	# without restoring (kill -9): its changes are still in the data.
	for t in crm:crm_deal orders:orders erp:erp_doc; do
		if [ "$(sqlite3 "$bench/${t%%:*}.db" "SELECT count(*) FROM sqlite_master WHERE name = 'bench_saved'")" != 0 ]; then
			echo "bench: $bench/${t%%:*}.db still holds bench_saved: an earlier bench did not restore its changes (BENCH_REGEN=1)" >&2
			exit 2
		fi
	done
else
	res=$bench/$backend
	ini=$res
	rm -rf "$res"
	mkdir -p "$res"
	trap 'tools/bench-$backend.sh stop "$res"' EXIT
	tools/bench-$backend.sh start "$res" "$bench"
fi

# Every run keeps its per-source state here (docs/INCREMENTAL.md): the
# incremental run of step 7 reads the state the run before it wrote.
state=$res/state

# --- 2. the bench job ----------------------------------------------------
job=$res/orders-nightly.xml
sed -e 's/dsn="recon_demo_/dsn="recon_bench_/g' \
	-e "s|<file>\.\./rules/|<file>$root/rules/|g" \
	-e "s|file=\"\.\./rules/|file=\"$root/rules/|g" \
	-e "s|<reports dir=\"[^\"]*\"|<reports dir=\"$root/$res/reports\"|" \
	jobs/orders-nightly.xml >"$job"

# --- 3. the floor --------------------------------------------------------
# window_start = as-of minus the job's window ("400d", "24h", "90m", "30s").
window=$(sed -n 's/.*<job [^>]*window="\([0-9]*[dhms]\?\)".*/\1/p' "$job")
wnum=${window%[dhms]}
case $window in
*d) wsec=$((wnum * 86400)) ;;
*h) wsec=$((wnum * 3600)) ;;
*m) wsec=$((wnum * 60)) ;;
*) wsec=$wnum ;;
esac
wstart=$(sqlite3 :memory: "SELECT datetime(strftime('%s', '$asof') - $wsec, 'unixepoch')")

# Each source of the job as "name<US>dsn<US>query<US>param<US>param...",
# the query on one line with the XML entities decoded, with the <param>s
# of <query> only (those after <incremental> and <keys> are theirs:
# psqlODBC and sqliteodbc ignore extra bound parameters, odbc-mariadb
# refuses them with "Invalid parameter number"). Enough XML for the
# job files of this repository (no CDATA, one attribute set per line).
US=$(printf '\037')
sources=$(awk -v US="$US" -v asof="$asof" -v wstart="$wstart" '
function attr(s, a,   r) {
	r = s
	if (!sub(".*[ \t]" a "=\"", "", r)) return ""
	sub("\".*", "", r)
	return r
}
function decode(s) {
	gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s)
	gsub(/&apos;/, "\047", s); gsub(/&amp;/, "\\&", s)
	return s
}
/<source[ \t]/ { name = attr($0, "name"); dsn = attr($0, "dsn"); params = ""; q = ""; other = 0 }
# params after <incremental> and <keys> belong to those queries
/<incremental[ \t>]|<keys[ \t>]/ { other = 1 }
/<query>/ { inq = 1 }
inq { line = $0; sub(/.*<query>/, "", line); sub(/<\/query>.*/, "", line)
      gsub(/^[ \t]+|[ \t]+$/, "", line); if (line != "") q = q (q == "" ? "" : " ") line }
/<\/query>/ { inq = 0 }
/<param[ \t]/ && !other {
	v = attr($0, "name")
	if (v == "as_of") p = "ts:" asof
	else if (v == "window_start") p = "ts:" wstart
	else p = decode(attr($0, "value"))
	params = params US p
}
/<\/source>/ { print name US dsn US decode(q) params }
' "$job")

floor_total=0
floor_rows=0
# On SQLite the parameters go into the query as literals (--inline), as
# the engine writes them (connectors/sqlparam.c): bound, sqliteodbc holds
# the whole result (3.1 GB for the 8.5M deals of N=9000000, and a crash
# on the 21M ERP rows), which a streaming reader is not to be held to.
inline=
[ "$backend" = sqlite ] && inline=--inline
echo
echo "bench: floor (odbc-floor: fetch only, 1000-row arrays, text${inline:+, parameters inline})"
while IFS="$US" read -r -a f; do
	name=${f[0]} dsn=${f[1]} query=${f[2]}
	fres=$("$timebin" -f '%M' -o "$res/floor-$name.time" \
		tools/env.sh "$ini" "$floor" $inline "$dsn" "$query" "${f[@]:3}")
	rows=$(echo "$fres" | awk '{ print $2 }')
	secs=$(echo "$fres" | awk '{ print $4 }')
	rss=$(tail -1 "$res/floor-$name.time")
	printf '  %-8s %9d rows  %7.2f s  %9.0f rows/s  peak RSS %6.1f MB\n' \
		"$name" "$rows" "$secs" "$(awk -v r="$rows" -v s="$secs" 'BEGIN { print (s > 0 ? r / s : 0) }')" \
		"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
	floor_total=$(awk -v a="$floor_total" -v b="$secs" 'BEGIN { print a + b }')
	floor_rows=$((floor_rows + rows))
done <<<"$sources"
printf '  %-8s %9d rows  %7.2f s\n' total "$floor_rows" "$floor_total"

# --- 4. the engine -------------------------------------------------------
# The runs pass --stats: their stderr ends with the table of CPU and wall
# seconds per phase (engine/phase.h; docs/DEMO.md, "Where the time
# goes"). run_log prints the log without it, phase_table prints it next
# to the wall figures.
stats_head='^phase  *cpu s'
run_log() { # STDERR
	sed "/$stats_head/,\$d" "$1" | sed 's/^/  /'
}
phase_table() { # STDERR LABEL WALL
	echo
	printf '  where the time went, %s (recon run --stats; run wall %.2f s under time -v, floor %.2f s):\n' \
		"$2" "$3" "$floor_total"
	sed -n "/$stats_head/,\$p" "$1" | sed 's/^/    /'
}
echo
echo "bench: recon run $job --as-of '$asof'"
set +e
"$timebin" -v -o "$res/recon.time" tools/env.sh "$ini" "$recon" run "$job" \
	--as-of "$asof" --state-dir "$state" --stats >"$res/recon.out" 2>"$res/recon.err"
rc=$?
set -e
run_log "$res/recon.err"
if [ "$rc" != 1 ]; then
	echo "bench: recon exited $rc, expected 1 (exceptions found)" >&2
	exit 1
fi
csv=$(find "$res/reports" -name 'orders-nightly-*.csv' ! -name '*-summary.csv' | head -1)
awk -f tests/e2e/lib/csv.awk "$csv" | awk -F "$US" 'NR > 1 { print $1 "\t" $3 }' |
	sort >"$res/got.txt"
if ! cmp -s "$res/got.txt" "$bench/expected.txt"; then
	echo "bench: the exceptions differ from the planted ones:" >&2
	diff "$bench/expected.txt" "$res/got.txt" | head -20 >&2
	exit 1
fi

wall=$(awk -F ': ' '/Elapsed \(wall clock\)/ {
	n = split($2, t, ":"); s = 0
	for (i = 1; i <= n; i++) s = s * 60 + t[i]
	print s }' "$res/recon.time")
rss=$(awk -F ': ' '/Maximum resident set size/ { print $2 }' "$res/recon.time")
rows=$(sed -n 's/.*(\([0-9]*\) rows read).*/\1/p' "$res/recon.out")
[ -n "$rows" ] || rows=$floor_rows

echo
echo "bench: results ($backend, $n generated deals; $(wc -l <"$bench/expected.txt") planted exceptions found, as expected)"
awk -v rows="$rows" -v wall="$wall" -v rss="$rss" -v fl="$floor_total" 'BEGIN {
	printf "  rows read          %d\n", rows
	printf "  engine wall time   %.2f s\n", wall
	printf "  engine throughput  %.0f rows/s\n", (wall > 0 ? rows / wall : 0)
	printf "  engine peak RSS    %.1f MB\n", rss / 1024
	printf "  floor fetch time   %.2f s (sum over the sources)\n", fl
	printf "  engine / floor     %.2f x\n", (fl > 0 ? wall / fl : 0)
}'
phase_table "$res/recon.err" "first load" "$wall"

# --- 4b. eight site-defined fields (BENCH_FIELDS=8), before the rerun ---
# (steps 6 and 7 change the orders; this first load reads them as
# the plain one did)
if [ "$fields" = 8 ]; then
	job8=$res/orders-nightly-f8.xml
	awk -v lua="$root/tests/bench/fields8.lua" -v reports="$root/$res/reports-f8" '
	/<\/rules>/ { print "    <file>" lua "</file>" }
	/^[ \t]*<fields>[ \t]*$/ { skip = 1
		print "  <fields>"
		print "    <field name=\"delivery_date\" type=\"date\" roles=\"order erp\"/>"
		print "    <field name=\"source_customer\" type=\"text\" roles=\"deal order erp\"/>"
		print "    <field name=\"source_amount\" type=\"money\" roles=\"deal order erp\"/>"
		print "    <field name=\"currency_id\" type=\"integer\" roles=\"deal\"/>"
		print "    <field name=\"modified\" type=\"timestamp\" roles=\"deal order erp\"/>"
		print "    <field name=\"source_status\" type=\"text\" roles=\"deal order erp\"/>"
		print "    <field name=\"migrated\" type=\"boolean\" roles=\"erp\"/>"
		print "    <field name=\"closed_on\" type=\"date\" roles=\"deal\"/>"
		print "  </fields>" }
	skip { if (/^[ \t]*<\/fields>/) skip = 0; next }
	/<store / { sub(/table="[^"]*"/, "table=\"reconciled_orders_f8\"") }
	/<reports / { sub(/dir="[^"]*"/, "dir=\"" reports "\"") }
	{ print }' "$job" >"$job8"
	if [ "$(grep -c '<field name=' "$job8")" != 8 ] || ! grep -q reconciled_orders_f8 "$job8" ||
		! grep -q fields8.lua "$job8"; then
		echo "bench: could not write $job8 from $job" >&2
		exit 1
	fi
	# A fresh store, as the plain first load had: the plain run's SQLite file
	# steps aside for this run (and comes back for the reruns of steps 5-7), on a
	# server the job's table is a new one.
	if [ "$backend" = sqlite ]; then
		mv "$bench/store.db" "$bench/store-plain.db"
	fi
	rm -rf "$res/reports-f8"
	echo
	echo "bench: recon run $job8 --as-of '$asof' (8 site-defined fields)"
	set +e
	"$timebin" -v -o "$res/recon-f8.time" tools/env.sh "$ini" "$recon" run "$job8" \
		--as-of "$asof" --state-dir "$res/state-f8" >"$res/recon-f8.out" 2>"$res/recon-f8.err"
	rc=$?
	set -e
	sed 's/^/  /' "$res/recon-f8.err"
	if [ "$rc" != 1 ]; then
		echo "bench: the 8-field run exited $rc, expected 1" >&2
		exit 1
	fi
	if [ "$backend" = sqlite ]; then
		rm -f "$bench/store.db"
		mv "$bench/store-plain.db" "$bench/store.db"
	fi
	csv=$(find "$res/reports-f8" -name 'orders-nightly-*.csv' ! -name '*-summary.csv' | head -1)
	awk -f tests/e2e/lib/csv.awk "$csv" | awk -F "$US" 'NR > 1 { print $1 "\t" $3 }' |
		sort >"$res/got-f8.txt"
	if ! cmp -s "$res/got-f8.txt" "$bench/expected.txt"; then
		echo "bench: the 8-field run's exceptions differ from the planted ones:" >&2
		diff "$bench/expected.txt" "$res/got-f8.txt" | head -20 >&2
		exit 1
	fi
	wall8=$(awk -F ': ' '/Elapsed \(wall clock\)/ {
		n = split($2, t, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + t[i]
		print s }' "$res/recon-f8.time")
	rss8=$(awk -F ': ' '/Maximum resident set size/ { print $2 }' "$res/recon-f8.time")
	echo
	echo "bench: site-defined fields, first load into an empty store ($backend, $n deals)"
	awk -v w0="$wall" -v r0="$rss" -v w8="$wall8" -v r8="$rss8" 'BEGIN {
		printf "  %-34s %9s %12s\n", "", "wall", "peak RSS"
		printf "  %-34s %7.2f s %9.1f MB\n", "plain job (1 field: delivery_date)", w0, r0 / 1024
		printf "  %-34s %7.2f s %9.1f MB\n", "8 site-defined fields", w8, r8 / 1024
		wr = (w0 > 0 ? w8 / w0 : 0); rr = (r0 > 0 ? r8 / r0 : 0)
		printf "  %-34s %7.2f x %9.2f x   (budget 1.3 x: %s)\n", "8 fields / plain", wr, rr,
			(wr <= 1.3 && rr <= 1.3 ? "within" : "OVER")
	}'
fi

# --- 5. a rerun with nothing changed -------------------------------------
# The same store and state, a full read: what a nightly run costs on a day
# nothing happened. Every key compares equal, so it writes no version.
wall_of() { # TIMEFILE
	awk -F ': ' '/Elapsed \(wall clock\)/ {
		n = split($2, t, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + t[i]
		print s }' "$1"
}
rss_of() { # TIMEFILE
	awk -F ': ' '/Maximum resident set size/ { print $2 }' "$1"
}
# the versions a run wrote: its "store:" line (a run that repeats the
# last one exactly publishes nothing and has no "published:" line)
versions_of() { # LOGFILE
	sed -n 's/^recon: store: [0-9]* keys before, \([0-9]*\) versions to write.*/\1/p' "$1" | tail -1
}
# bench_run NAME [ARG...]: recon run on the bench job under time -v, into
# RES/NAME.{time,out,err}; sets rc.
bench_run() {
	local name=$1
	shift
	set +e
	"$timebin" -v -o "$res/$name.time" tools/env.sh "$ini" "$recon" run "$job" \
		--as-of "$asof" --state-dir "$state" --stats "$@" >"$res/$name.out" 2>"$res/$name.err"
	rc=$?
	set -e
	run_log "$res/$name.err"
}
echo
echo "bench: rerun on the same store, nothing changed"
bench_run recon-same
if [ "$rc" != 1 ]; then
	echo "bench: the unchanged rerun exited $rc, expected 1 (exceptions found)" >&2
	exit 1
fi
v=$(versions_of "$res/recon-same.err")
if [ "$v" != 0 ]; then
	echo "bench: the unchanged rerun wrote '$v' versions, expected 0 (see $res/recon-same.err)" >&2
	exit 1
fi
wall_same=$(wall_of "$res/recon-same.time")
echo
awk -v w="$wall_same" -v r="$(rss_of "$res/recon-same.time")" -v fl="$floor_total" -v w0="$wall" 'BEGIN {
	printf "  rerun, unchanged   %.2f s  = %.2f x floor (first load %.2f s = %.2f x); peak RSS %.1f MB; 0 versions written\n",
		w, (fl > 0 ? w / fl : 0), w0, (fl > 0 ? w0 / fl : 0), r / 1024
}'
phase_table "$res/recon-same.err" "rerun, unchanged" "$wall_same"

# --- 6. the versioned store: a rerun with 5% changed ---------------------
# The amounts of every 20th order are raised by 1 and their modified_at
# set to mark1, after the generator's single modified_at; so is the
# modified_at of one deal and one ERP document (their records stay the
# same). Every source's watermark then moves past the generator's value,
# as a live source's does: with every row at the watermark,
# `modified_at >= ?` would return every row to step 7.
mark1='2026-11-25 06:00:00'
# Step 7 changes the same orders back (amount - 1) at mark2: after
# mark1, the watermark this step's run leaves, and before the as-of.
mark2='2026-11-25 12:00:00'
# store seconds = time in store_put (hashing, versioning, inserts) plus
# the commit, both from the run's log.
store_rate() { # LOGFILE WALLFILE LABEL
	awk -v label="$3" -v wall="$(wall_of "$2")" '
	/recon: matched:/ { if (match($0, /store [0-9.]+ s/)) st = substr($0, RSTART + 6, RLENGTH - 8) }
	/recon: store: / { if (match($0, /[0-9]+ keys before/)) keys = substr($0, RSTART, RLENGTH - 12) }
	/recon: published:/ {
		if (match($0, /[0-9]+ versions/)) v = substr($0, RSTART, RLENGTH - 9)
		if (match($0, /commit [0-9.]+ s/)) c = substr($0, RSTART + 7, RLENGTH - 9)
	}
	END {
		printf "  %-22s %8d versions written (%d keys before), store %.2f s + commit %.2f s = %.0f versions/s; run wall %.2f s\n",
			label, v, keys, st, c, (st + c > 0 ? v / (st + c) : 0), wall
	}' "$1"
}
if [ "$backend" = sqlite ]; then
	# The SQLite files are reused by the next bench: restore_sources puts
	# back the amounts (amounts_up: 1 while step 6's +1 is in them) and the
	# modified_at values saved in each file's bench_saved. The changed
	# orders leave out an order_no the generator planted twice: an
	# incremental run must read a source in full when a changed row's id
	# is not unique (docs/INCREMENTAL.md), and at 1,000,000 deals one of
	# every 20th row is such an order.
	five="rowid % 20 = 0 AND total_amount IS NOT NULL AND order_no NOT IN (SELECT order_no FROM orders GROUP BY order_no HAVING count(*) > 1)"
	amounts_up=0
	restore_sources() {
		if [ "$amounts_up" = 1 ]; then
			sqlite3 "$bench/orders.db" "UPDATE orders SET total_amount = ROUND(total_amount - 1, 2) WHERE $five"
			amounts_up=0
		fi
		local t db table
		for t in crm:crm_deal orders:orders erp:erp_doc; do
			db=$bench/${t%%:*}.db table=${t#*:}
			if [ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'bench_saved'")" != 0 ]; then
				sqlite3 -bail "$db" "BEGIN;
					UPDATE $table SET modified_at = (SELECT s.modified_at FROM bench_saved s WHERE s.rid = $table.rowid)
					WHERE rowid IN (SELECT rid FROM bench_saved);
					DROP TABLE bench_saved; COMMIT;"
			fi
		done
	}
	# touch DB TABLE WHERE SET: saves the modified_at of the rows WHERE
	# selects (a row's first value only), then SETs them; prints how many.
	touch_rows() {
		sqlite3 -bail "$1" "BEGIN;
			CREATE TABLE IF NOT EXISTS bench_saved (rid INTEGER PRIMARY KEY, modified_at);
			INSERT OR IGNORE INTO bench_saved SELECT rowid, modified_at FROM $2 WHERE $3;
			UPDATE $2 SET $4 WHERE $3;
			SELECT changes(); COMMIT;"
	}
	trap restore_sources EXIT
	amounts_up=1
	changed=$(touch_rows "$bench/orders.db" orders "$five" \
		"total_amount = ROUND(total_amount + 1, 2), modified_at = '$mark1'")
	touch_rows "$bench/crm.db" crm_deal "rowid = (SELECT min(rowid) FROM crm_deal)" "modified_at = '$mark1'" >/dev/null
	touch_rows "$bench/erp.db" erp_doc "rowid = (SELECT min(rowid) FROM erp_doc)" "modified_at = '$mark1'" >/dev/null
else
	# The same 5%: bench-pg.sh and bench-maria.sh loaded the rows in
	# rowid order (the server is thrown away at the end).
	changed=$(tools/bench-$backend.sh change5 "$res" "$mark1")
fi
echo
echo "bench: rerun on the same store after changing the amount of $changed orders (5%)"
bench_run recon2
if [ "$rc" != 1 ]; then
	echo "bench: the rerun exited $rc, expected 1" >&2
	exit 1
fi
wall2=$(wall_of "$res/recon2.time")

# --- 7. an incremental run after the same 5% changed again -------------
# The orders of step 6 get their amounts back (- 1) and modified_at mark2;
# `recon run --incremental` fetches the rows modified since the watermarks
# step 6 left (mark1: these orders, the one deal and the one document)
# and merges them into the state. Each source must say it was read
# incrementally, and the run must write one version per changed order.
if [ "$backend" = sqlite ]; then
	changed_inc=$(touch_rows "$bench/orders.db" orders "$five" \
		"total_amount = ROUND(total_amount - 1, 2), modified_at = '$mark2'")
	amounts_up=0
else
	changed_inc=$(tools/bench-$backend.sh change5inc "$res" "$mark1" "$mark2")
fi
if [ "$changed_inc" != "$changed" ]; then
	echo "bench: changed $changed_inc orders back, expected the $changed of step 6" >&2
	exit 1
fi
echo
echo "bench: recon run --incremental after changing the same $changed orders back (modified_at '$mark2')"
bench_run recon-inc --incremental
if [ "$rc" != 1 ]; then
	echo "bench: the incremental run exited $rc, expected 1" >&2
	exit 1
fi
for s in $(echo "$sources" | cut -d "$US" -f 1); do
	if ! grep -q "^recon: source '$s': incremental: " "$res/recon-inc.err" ||
		grep -q "^recon: source '$s': reading in full" "$res/recon-inc.err"; then
		echo "bench: the incremental run read source '$s' in full (see $res/recon-inc.err)" >&2
		exit 1
	fi
done
fetched=$(sed -n "s/^recon: source 'orders': incremental: \([0-9]*\) changed rows fetched.*/\1/p" "$res/recon-inc.err")
if [ "$fetched" != "$changed" ]; then
	echo "bench: the incremental run fetched '$fetched' changed orders, expected $changed" >&2
	exit 1
fi
vinc=$(versions_of "$res/recon-inc.err")
if [ "$vinc" != "$changed" ]; then
	echo "bench: the incremental run wrote '$vinc' versions, expected $changed (one per changed order)" >&2
	exit 1
fi
wall_inc=$(wall_of "$res/recon-inc.time")

echo
case $backend in
sqlite) echo "bench: the versioned store (SQLite through sqliteodbc)" ;;
pg) echo "bench: the versioned store (PostgreSQL through psqlODBC)" ;;
maria) echo "bench: the versioned store (MariaDB through odbc-mariadb)" ;;
esac
store_rate "$res/recon.err" "$res/recon.time" "first load"
store_rate "$res/recon2.err" "$res/recon2.time" "rerun, 5% changed"
store_rate "$res/recon-inc.err" "$res/recon-inc.time" "incremental, 5%"
awk -F ': ' '/Maximum resident set size/ { printf "  rerun peak RSS      %.1f MB (the current-state map of every key)\n", $2 / 1024 }' "$res/recon2.time"
phase_table "$res/recon2.err" "rerun, 5% changed" "$wall2"

echo
echo "bench: incremental run ($backend; per source, from its log)"
grep "^recon: source '[a-z]*': \(incremental\|<keys>\): " "$res/recon-inc.err" | sed 's/^recon: /  /'
awk -v w="$wall_inc" -v w2="$wall2" -v fl="$floor_total" -v v="$vinc" -v r="$(rss_of "$res/recon-inc.time")" 'BEGIN {
	ratio = (w2 > 0 ? w / w2 : 0)
	printf "  incremental, 5%%   %.2f s = %.2f x the full rerun, 5%% changed (%.2f s; goal 0.25 x: %s), %.2f x floor\n",
		w, ratio, w2, (ratio <= 0.25 ? "within" : "OVER"), (fl > 0 ? w / fl : 0)
	printf "  versions written   %d (one per changed order, as expected)\n", v
	printf "  peak RSS           %.1f MB\n", r / 1024
}'
phase_table "$res/recon-inc.err" "incremental, 5% changed" "$wall_inc"

# 8. recon shadow: replay step 6's run (the full rerun, 5% changed) from
#    the inputs it kept, with the job's own settings given back as a
#    candidate job file: nothing may change (exit 0). Its wall time and
#    peak RSS next to that run's, and the inputs file's size.
echo
echo "bench: shadow run of the full rerun, 5% changed ($backend; recon shadow --job, the job's own settings)"
run2=$(sed -n 's/^run \([^:]*\):.*/\1/p' "$res/recon2.out")
inputs_mb=$(sed -n "s/^recon: inputs kept for recon shadow: .*$run2.inputs, \([0-9.]*\) MB.*/\1/p" "$res/recon2.err")
cp "$job" "$res/shadow-job.xml"
set +e
"$timebin" -v -o "$res/shadow.time" tools/env.sh "$ini" "$recon" shadow "$job" \
	--job "$res/shadow-job.xml" --run "$run2" --state-dir "$state" \
	-o "$res/shadow" -q >"$res/shadow.out" 2>"$res/shadow.err"
rc=$?
set -e
if [ "$rc" != 0 ] || ! grep -q ', 0 changes$' "$res/shadow.out"; then
	echo "bench: the shadow run of the job's own settings exited $rc, expected 0 and no change (see $res/shadow.out, $res/shadow.err)" >&2
	exit 1
fi
awk -v w="$(wall_of "$res/shadow.time")" -v r="$(rss_of "$res/shadow.time")" \
	-v w2="$wall2" -v r2="$(rss_of "$res/recon2.time")" -v mb="$inputs_mb" 'BEGIN {
	printf "  shadow replay      %.2f s = %.2f x the run it replays (%.2f s); peak RSS %.1f MB (the run: %.1f MB)\n",
		w, (w2 > 0 ? w / w2 : 0), w2, r / 1024, r2 / 1024
	printf "  inputs file        %s MB\n", mb
}'

