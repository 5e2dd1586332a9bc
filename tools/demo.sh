#!/bin/sh
# tools/demo.sh [OUT [N]] - the demo (`make demo` calls it after the build).
#
# Makes fresh demo databases in OUT/demo (default out/demo, N = 1000
# generated deals plus the planted cases, see docs/DEMO.md), runs
# jobs/orders-nightly.xml at the demo's fixed as-of, says what the exit
# code means and where the reports and the store are. Exits 0 when the run
# succeeded (with or without exceptions) and reported exactly the planted
# exceptions, else non-zero.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-out}
n=${2:-1000}
asof='2026-11-26 00:00:00'
recon=$out/bin/recon
demo=$out/demo
reports=$demo/reports

if [ ! -x "$recon" ] || [ ! -f "$out/odbc.ini" ]; then
	echo "demo: build first (make build)" >&2
	exit 2
fi
# The DSNs recon_demo_* in $out/odbc.ini point at $out/demo/*.db.
rm -rf "$demo"
tools/gen-demo.sh "$demo" "$n"

echo "demo: recon run jobs/orders-nightly.xml --as-of '$asof'"
set +e
tools/env.sh "$out" "$recon" run jobs/orders-nightly.xml --as-of "$asof" \
	--report-dir "$reports"
rc=$?
set -e

meaning=$("$recon" exit-codes | awk -v c="$rc" '$1 == c { n = $2; $1 = $2 = ""; sub(/^ +/, ""); print n " (" $0 ")"; exit }')
echo
echo "demo: exit code $rc: ${meaning:-unknown}"
case $rc in
0 | 1) ;;
*) exit "$rc" ;;
esac

csv=$(find "$reports" -name 'orders-nightly-*.csv' ! -name '*-summary.csv' | head -1)
html=$(find "$reports" -name 'orders-nightly-*.html' | head -1)
cat <<EOF
demo: reports   $html
                $csv
                $(find "$reports" -name 'orders-nightly-*-summary.csv' | head -1)
                $(find "$reports" -name 'orders-nightly-*.xml' | head -1)
demo: store     $demo/store.db (tables reconciled_orders, reconciled_orders_runs, reconciled_orders_schema, reconciled_orders_lock, reconciled_orders_report; view reconciled_orders_current)
                sqlite3 $demo/store.db 'SELECT outcome, count(*) FROM reconciled_orders GROUP BY 1'
demo: next      tools/env.sh out out/bin/recon runs jobs/orders-nightly.xml
                tools/env.sh out out/bin/recon note jobs/orders-nightly.xml SO-99000008 --kind order --state investigating --text '...' --by 'your name'
demo: data      $demo/crm.db  $demo/orders.db  $demo/erp.db
                planted cases and their outcomes: docs/DEMO.md
EOF

# The demo is also a check: exactly the planted exceptions.
got=$demo/got.txt
us=$(printf '\037')
awk -f tests/e2e/lib/csv.awk "$csv" | awk -F "$us" 'NR > 1 { print $1 "\t" $3 }' |
	LC_ALL=C sort >"$got"
if cmp -s "$got" "$demo/expected.txt"; then
	echo "demo: the $(wc -l <"$got") exceptions are exactly the planted ones ($demo/expected.txt)"
else
	echo "demo: the exceptions differ from the planted ones:" >&2
	diff "$demo/expected.txt" "$got" >&2 || true
	exit 1
fi
