#!/bin/sh
# tools/gen-demo.sh OUTDIR [N]
#
# Create the three vendor databases of the demo in OUTDIR (crm.db,
# orders.db, erp.db, replacing any there) with N generated closed deals
# (default 1000) and their orders and ERP documents, plus the planted
# cases of etc/demo/planted.sql. Also writes:
#
#   OUTDIR/expected.txt         the exceptions the demo job must report,
#                               "CODE<TAB>KEY", sorted (LC_ALL=C)
#   OUTDIR/expected-groups.txt  every key the store must hold one row
#                               for (generated + planted), sorted
#   OUTDIR/expected-quiet.txt   planted keys that are not exceptions, with
#                               their outcome: "KEY<TAB>MATCHED", sorted
#
# Generated rows are messy in the ways a real site is (padded and
# mis-cased references, vendor currency ids, split invoices, credit notes,
# drafts, cancelled documents, migrated text amounts, open/lost/deleted
# deals) but all reconcile: every exception comes from a planted row.
# Everything is arithmetic on the row number: the same N gives the same
# bytes. Needs only sqlite3. docs/DEMO.md describes the shapes.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [N]" >&2
	exit 2
fi
out=$1
n=${2:-1000}
case $n in
'' | *[!0-9]*)
	echo "gen-demo: N must be a number, not '$n'" >&2
	exit 2
	;;
esac
if [ "$n" -gt 9000000 ]; then
	echo "gen-demo: N must be at most 9000000 (keys from 99000000 are planted)" >&2
	exit 2
fi

here=$(cd "$(dirname "$0")/.." && pwd)
etc=$here/etc/demo
mkdir -p "$out"
rm -f "$out/crm.db" "$out/orders.db" "$out/erp.db" \
	"$out/expected.txt" "$out/expected-groups.txt" "$out/expected-quiet.txt"

# Tables first, each database on its own; their secondary indexes are
# built after the load (faster than maintaining them row by row).
# modified_at (the watermark column of incremental reading) is added
# after the load, so that the inserts below and planted.sql keep their
# positional column lists; it ends up the last column, as in the schema.
for db in crm orders erp; do
	grep -v -e '^CREATE INDEX' -e '^	modified_at ' "$etc/$db.sql" |
		awk '{ lines[NR] = $0 } END {
			# the column before the removed modified_at loses its comma
			for (i = 1; i <= NR; i++) {
				l = lines[i]
				if (lines[i + 1] ~ /^\);/) sub(/,(\t|$)/, "\t", l)
				print l
			} }' | sqlite3 -bail "$out/$db.db"
done

# The as-of of the demo; generated dates lie 7 to 372 days before it.
asof='2026-11-26 00:00:00'

{
	cat <<EOF
.bail on
.output /dev/null
PRAGMA main.journal_mode = OFF;
PRAGMA main.synchronous = OFF;
ATTACH '$out/orders.db' AS ord;
ATTACH '$out/erp.db' AS erp;
PRAGMA ord.journal_mode = OFF;
PRAGMA ord.synchronous = OFF;
PRAGMA erp.journal_mode = OFF;
PRAGMA erp.synchronous = OFF;
PRAGMA temp_store = MEMORY;
PRAGMA main.cache_size = -262144;
PRAGMA ord.cache_size = -262144;
PRAGMA erp.cache_size = -262144;
.output stdout
BEGIN;

-- Company names (some non-ASCII, some with CSV-hostile commas and
-- quotes) and products, combined into deal names.
CREATE TEMP TABLE company(k INTEGER PRIMARY KEY, name TEXT);
INSERT INTO company VALUES
 (0, 'Müller GmbH'), (1, 'Société Générale SA'), (2, 'Ørsted A/S'),
 (3, 'Zürcher Kantonalbank'), (4, 'トヨタ自動車株式会社'), (5, 'Łódź Logistics Sp. z o.o.'),
 (6, 'Acme Corp'), (7, 'O''Brien & Sons'), (8, 'Smith, Jones & Co'),
 (9, 'Café "Le Déjà Vu"'), (10, 'Nordic Ångström AB'), (11, 'Αθήνα Τεχνική ΑΕ');
CREATE TEMP TABLE product(k INTEGER PRIMARY KEY, name TEXT);
INSERT INTO product VALUES
 (0, 'annual licence'), (1, 'renewal 2026'), (2, 'upsell – 50 seats'),
 (3, 'professional services'), (4, 'hardware refresh'), (5, 'support plan');

-- One row per generated deal with everything derived from i.
--   h      a multiplicative hash of i (Knuth), the source of "randomness"
--   fate   won (has an order), lost, deleted (soft), open (no close date)
--   cur    CRM vendor currency id: 1 EUR 45 %, 2 USD 20 %, 3 GBP, 4 JPY,
--          5 CHF 10 % each, 6 SEK 5 %
--   minor  amount in minor units (yen for JPY, cents otherwise)
--   cust   customer number 1..500
--   ordno  order number (i + 300000: not the deal number)
--   p      ERP pattern of the order (see the ERP inserts)
CREATE TEMP TABLE g AS
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $n),
h AS (SELECT i, (i * 2654435761) % 4294967296 AS h FROM seq),
b AS (
 SELECT i, h,
  CASE WHEN i % 25 = 0 THEN 'lost' WHEN i % 40 = 7 THEN 'deleted'
       WHEN i % 30 = 11 THEN 'open' ELSE 'won' END AS fate,
  CASE WHEN h % 20 < 9 THEN 1 WHEN h % 20 < 13 THEN 2 WHEN h % 20 < 15 THEN 3
       WHEN h % 20 < 17 THEN 4 WHEN h % 20 < 19 THEN 5 ELSE 6 END AS cur,
  1 + (i * 37 + h % 7) % 500 AS cust,
  strftime('%s', '$asof') - 7 * 86400 - (h / 7) % (365 * 86400) AS closed
 FROM h)
SELECT i, h, fate, cur,
 CASE cur WHEN 1 THEN 'EUR' WHEN 2 THEN 'USD' WHEN 3 THEN 'GBP'
          WHEN 4 THEN 'JPY' WHEN 5 THEN 'CHF' ELSE 'SEK' END AS iso,
 CASE WHEN cur = 4 THEN 5000 + (h / 20) % 3000000
      ELSE 1000 + (h / 20) % 5000000 END AS minor,
 cust, closed, i + 300000 AS ordno, i % 10 AS p,
 CASE WHEN fate = 'won' AND i % 97 = 5 THEN 1 ELSE 0 END AS cancelled
FROM b;

-- Amount text from minor units: '1234.56', or '150000' for JPY.
-- (SQLite has no functions in plain SQL; the same CASE is spelled out.)
EOF

	# fmt EXPR: SQL text of the amount EXPR (minor units) for row g.
	fmt() {
		printf "CASE WHEN g.cur = 4 THEN CAST((%s) AS TEXT) ELSE printf('%%s%%d.%%02d', CASE WHEN (%s) < 0 THEN '-' ELSE '' END, abs(%s) / 100, abs(%s) %% 100) END" "$1" "$1" "$1" "$1"
	}

	cat <<EOF
-- CRM: every generated deal (won, lost, deleted, open).
INSERT INTO crm_deal
SELECT printf('D-%06d', g.i),
 c.name || ' – ' || p.name,
 CASE WHEN g.cust = 7 AND g.i % 2 = 0 THEN 'acc-mueller'
      WHEN g.i % 17 = 3 THEN printf('ACC-%04d ', g.cust)
      ELSE printf('acc-%04d', g.cust) END,
 $(fmt g.minor),
 g.cur,
 CASE g.fate WHEN 'lost' THEN 'Closed Lost' WHEN 'open' THEN 'Negotiation'
      ELSE 'Closed Won' END,
 CASE WHEN g.fate = 'open' THEN NULL ELSE datetime(g.closed, 'unixepoch') END,
 CASE WHEN g.fate = 'deleted' THEN 1 ELSE 0 END
FROM g JOIN company c ON c.k = g.cust % 12 JOIN product p ON p.k = g.i % 6;

-- Orders: one per won deal, the deal reference typed six different ways.
INSERT INTO orders
SELECT printf('SO-%06d', g.ordno),
 CASE g.i % 6 WHEN 0 THEN printf('D-%06d', g.i) WHEN 1 THEN printf(' d-%06d', g.i)
      WHEN 2 THEN printf('D%06d  ', g.i) WHEN 3 THEN printf('d-%d', g.i)
      WHEN 4 THEN printf('D %06d', g.i) ELSE printf('D-%06d', g.i) END,
 printf('C%04d', g.cust),
 $(fmt g.minor),
 CASE g.i % 9 WHEN 0 THEN lower(g.iso) WHEN 1 THEN ' ' || g.iso ELSE g.iso END,
 CASE WHEN g.cancelled = 1 THEN 'CANCELLED' WHEN g.p = 8 THEN 'NEW' ELSE 'SHIPPED' END,
 datetime(g.closed + 3600 * (1 + g.i % 5), 'unixepoch'),
 date(g.closed + 3600 * (1 + g.i % 5) + 86400 * (3 + g.i % 28), 'unixepoch')
FROM g WHERE g.fate = 'won';

-- ERP documents of each won deal's order. The reference is normally
-- 'SO' + 8 digits + 2 blanks; hand-keyed ones are 'so-300123' or
-- 'SO-00300123'. Patterns by p = i % 10:
--   0 1 2 4 5  sales order + one invoice (every 50th migrated: text amount)
--   3          sales order + invoice over the amount + credit note back
--   6          sales order + two partial invoices
--   7          sales order + three partial invoices
--   8          sales order only (not invoiced yet: the ordered amount counts)
--   9          sales order + invoice + a draft and a cancelled invoice
-- Cancelled orders (every 97th) have only a cancelled sales order.
-- Every document of an order carries the order's delivery date (3 to 30
-- days after the order; the demo job's site-defined field delivery_date);
-- purchase orders have none.
CREATE TEMP TABLE gw AS
SELECT g.*,
 CASE WHEN g.i % 11 = 0 THEN printf('so-%d', g.ordno)
      WHEN g.i % 13 = 0 THEN printf('SO-%08d', g.ordno)
      ELSE printf('SO%08d  ', g.ordno) END AS ref,
 'CUST-' || g.cust AS custid,
 g.closed + 3600 * (1 + g.i % 5) AS created
FROM g WHERE g.fate = 'won';

INSERT INTO erp_doc
SELECT printf('SO-%08d', g.ordno), 'SO', g.ref, g.custid, $(fmt g.minor), NULL,
 g.iso, CASE WHEN g.cancelled = 1 THEN 'X' ELSE 'P' END,
 datetime(g.created + 3600, 'unixepoch'), date(g.created + 86400 * (3 + g.i % 28), 'unixepoch')
FROM gw g;

INSERT INTO erp_doc
SELECT CASE WHEN g.i % 50 = 0 THEN printf('MIG-%08d', g.ordno)
            ELSE printf('INV-%08d', g.ordno * 4) END,
 'INV', g.ref, g.custid,
 CASE WHEN g.i % 50 = 0 THEN NULL ELSE $(fmt g.minor) END,
 CASE WHEN g.i % 50 = 0 THEN $(fmt g.minor) ELSE NULL END,
 g.iso, 'P', datetime(g.created + 86400, 'unixepoch'), date(g.created + 86400 * (3 + g.i % 28), 'unixepoch')
FROM gw g WHERE g.cancelled = 0 AND g.p IN (0, 1, 2, 4, 5, 9);

-- p = 3: invoiced 10 % + 1 too much, then credited (stored negative).
INSERT INTO erp_doc
SELECT printf('INV-%08d', g.ordno * 4), 'INV', g.ref, g.custid,
 $(fmt "g.minor + g.minor / 10 + 1"), NULL, g.iso, 'P',
 datetime(g.created + 86400, 'unixepoch'), date(g.created + 86400 * (3 + g.i % 28), 'unixepoch')
FROM gw g WHERE g.cancelled = 0 AND g.p = 3;
INSERT INTO erp_doc
SELECT printf('CN-%08d', g.ordno * 4 + 1), 'CN', g.ref, g.custid,
 $(fmt "-(g.minor / 10 + 1)"), NULL, g.iso, 'P',
 datetime(g.created + 3 * 86400, 'unixepoch'), date(g.created + 86400 * (3 + g.i % 28), 'unixepoch')
FROM gw g WHERE g.cancelled = 0 AND g.p = 3;

-- p = 6: two halves (the second takes the odd minor unit).
INSERT INTO erp_doc
SELECT printf('INV-%08d', g.ordno * 4 + k.k), 'INV', g.ref, g.custid,
 CASE k.k WHEN 0 THEN $(fmt "g.minor / 2") ELSE $(fmt "g.minor - g.minor / 2") END,
 NULL, g.iso, 'P', datetime(g.created + 86400 * (1 + k.k), 'unixepoch'),
 date(g.created + 86400 * (3 + g.i % 28), 'unixepoch')
FROM gw g, (SELECT 0 AS k UNION ALL SELECT 1) k
WHERE g.cancelled = 0 AND g.p = 6;

-- p = 7: three parts.
INSERT INTO erp_doc
SELECT printf('INV-%08d', g.ordno * 4 + k.k), 'INV', g.ref, g.custid,
 CASE k.k WHEN 2 THEN $(fmt "g.minor - 2 * (g.minor / 3)") ELSE $(fmt "g.minor / 3") END,
 NULL, g.iso, 'P', datetime(g.created + 86400 * (1 + k.k), 'unixepoch'),
 date(g.created + 86400 * (3 + g.i % 28), 'unixepoch')
FROM gw g, (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2) k
WHERE g.cancelled = 0 AND g.p = 7;

-- p = 9: a draft invoice for half and a cancelled duplicate invoice.
INSERT INTO erp_doc
SELECT printf('INV-%08d', g.ordno * 4 + 1), 'INV', g.ref, g.custid,
 $(fmt "g.minor / 2"), NULL, g.iso, 'D', datetime(g.created + 2 * 86400, 'unixepoch'),
 date(g.created + 86400 * (3 + g.i % 28), 'unixepoch')
FROM gw g WHERE g.cancelled = 0 AND g.p = 9;
INSERT INTO erp_doc
SELECT printf('INV-%08d', g.ordno * 4 + 2), 'INV', g.ref, g.custid,
 $(fmt g.minor), NULL, g.iso, 'X', datetime(g.created + 86400 - 600, 'unixepoch'),
 date(g.created + 86400 * (3 + g.i % 28), 'unixepoch')
FROM gw g WHERE g.cancelled = 0 AND g.p = 9;

-- Documents the reconciliation must not read (the job's query filters
-- them by kind): delivery notes for some orders, supplier purchase
-- orders without an order reference.
INSERT INTO erp_doc
SELECT printf('DN-%08d', g.ordno), 'DN', g.ref, g.custid, NULL, NULL, NULL, 'P',
 datetime(g.created + 7200, 'unixepoch'), date(g.created + 86400 * (3 + g.i % 28), 'unixepoch')
FROM gw g WHERE g.p = 1;
INSERT INTO erp_doc
SELECT printf('PO-%08d', g.i), 'PO', NULL, NULL, $(fmt "g.minor / 3"), NULL, g.iso, 'P',
 datetime(g.closed, 'unixepoch'), NULL
FROM g WHERE g.i % 20 = 0;

.read '$etc/planted.sql'
ALTER TABLE crm_deal ADD COLUMN modified_at TIMESTAMP;
ALTER TABLE ord.orders ADD COLUMN modified_at TIMESTAMP;
ALTER TABLE erp.erp_doc ADD COLUMN modified_at TIMESTAMP;
UPDATE crm_deal SET modified_at = '2026-11-25 00:00:00';
UPDATE ord.orders SET modified_at = '2026-11-25 00:00:00';
UPDATE erp.erp_doc SET modified_at = '2026-11-25 00:00:00';
COMMIT;
$(grep -h '^CREATE INDEX' "$etc/crm.sql")
$(grep -h '^CREATE INDEX' "$etc/orders.sql" | sed 's/^CREATE INDEX /CREATE INDEX ord./')
$(grep -h '^CREATE INDEX' "$etc/erp.sql" | sed 's/^CREATE INDEX /CREATE INDEX erp./')

-- Every key the store must hold: one per generated order, plus the
-- planted groups (expect lines except RULE_ERROR and 'nothing').
.headers off
.mode list
.output '$out/expected-groups.tmp'
SELECT printf('SO-%d', ordno) FROM g WHERE fate = 'won';
.output stdout
EOF
} | sqlite3 -bail "$out/crm.db"

# Planted expectations: "-- expect: CODE KEY". MATCHED and PENDING_* are
# outcomes but not exceptions: they go to expected-quiet.txt
# ("KEY<TAB>OUTCOME", the store record's outcome), not expected.txt.
expects=$(sed -n 's/^-- expect: \([A-Za-z_]*\) \([^ ]*\)$/\1	\2/p' "$etc/planted.sql")
printf '%s\n' "$expects" |
	awk -F '	' '$1 != "MATCHED" && $1 !~ /^PENDING_/ && $1 != "nothing"' |
	LC_ALL=C sort >"$out/expected.txt"
printf '%s\n' "$expects" |
	awk -F '	' -v OFS='	' '$1 == "MATCHED" || $1 ~ /^PENDING_/ { print $2, $1 }' |
	LC_ALL=C sort >"$out/expected-quiet.txt"
{
	cat "$out/expected-groups.tmp"
	printf '%s\n' "$expects" |
		awk -F '	' '$1 != "RULE_ERROR" && $1 != "nothing" { print $2 }'
} | LC_ALL=C sort -u >"$out/expected-groups.txt"
rm -f "$out/expected-groups.tmp"

echo "gen-demo: $n deals into $out:" \
	"$(sqlite3 "$out/crm.db" 'SELECT count(*) FROM crm_deal') deals," \
	"$(sqlite3 "$out/orders.db" 'SELECT count(*) FROM orders') orders," \
	"$(sqlite3 "$out/erp.db" 'SELECT count(*) FROM erp_doc') ERP documents;" \
	"$(wc -l <"$out/expected.txt") expected exceptions"
