-- An independent oracle for the demo: the demo job's reconciliation
-- written again in plain SQLite SQL over the three demo databases (crm.db
-- as main, orders.db attached as ord, erp.db as erp), printing
-- "CODE<TAB>KEY" for every exception, unsorted.
--
-- It restates rules/demo/*.lua and the engine's structural outcomes
-- (docs/DEMO.md) without sharing any code with them, so that the demo data
-- and expected.txt can be checked before (and independently of) the
-- engine: tests/e2e/run.sh compares its output with expected.txt too.
-- It knows only the shapes the generator produces; it is not a second
-- engine. As-of 2026-11-26 00:00:00, window 400 days, grace 24h / 3d,
-- tolerance 0.01 (JPY 1), the delivery dates of the job's <fields>.

CREATE TEMP TABLE p AS SELECT
	strftime('%s', '2026-11-26 00:00:00') + 0 AS asof,
	strftime('%s', '2026-11-26 00:00:00') - 400 * 86400 AS wstart;

-- Key normalisation as key(s, {strip=" -", prefix={P}, zeros=true}).
-- (The prefix is dropped once, at the start; digits only after it here.)
CREATE TEMP TABLE deal_raw AS
SELECT deal_id AS id,
	'D-' || ltrim(substr(replace(replace(upper(trim(deal_id)), ' ', ''), '-', ''), 2), '0') AS k,
	'C' || ltrim(CASE upper(trim(account_code)) WHEN 'ACC-MUELLER' THEN '7'
		ELSE substr(replace(upper(trim(account_code)), '-', ''), 4) END, '0') AS cust,
	CASE currency_id WHEN 1 THEN 'EUR' WHEN 2 THEN 'USD' WHEN 3 THEN 'GBP'
		WHEN 4 THEN 'JPY' WHEN 5 THEN 'CHF' WHEN 6 THEN 'SEK' END AS cur,
	CAST(round(amount * 100) AS INTEGER) AS cents,
	strftime('%s', closed_at) + 0 AS t, stage
FROM crm_deal, p
WHERE closed_at <= '2026-11-26 00:00:00' AND closed_at >= datetime(p.wstart, 'unixepoch')
	AND is_deleted = 0 AND stage LIKE 'Closed%';

CREATE TEMP TABLE deal AS SELECT * FROM deal_raw WHERE stage = 'Closed Won' AND cur IS NOT NULL;

CREATE TEMP TABLE ord_all AS
SELECT orders.rowid AS rid, order_no AS id,
	'SO-' || ltrim(substr(replace(replace(upper(trim(order_no)), ' ', ''), '-', ''), 3), '0') AS k,
	'D-' || ltrim(substr(replace(replace(upper(trim(crm_deal_ref)), ' ', ''), '-', ''), 2), '0') AS dref,
	'C' || ltrim(substr(upper(trim(customer_code)), 2), '0') AS cust,
	upper(trim(currency)) AS cur,
	CAST(round(total_amount * 100) AS INTEGER) AS cents,
	status, strftime('%s', created_at) + 0 AS t, date(delivery_date) AS dd
FROM orders, p
WHERE created_at <= '2026-11-26 00:00:00' AND created_at >= datetime(p.wstart, 'unixepoch');

-- Duplicate keys: the key is reported once. The engine matches the row
-- with the smallest fingerprint (docs/MATCHING.md); the planted duplicate's
-- expectations hold whichever of its rows is matched.
CREATE TEMP TABLE ord AS SELECT * FROM ord_all
WHERE rid IN (SELECT min(rid) FROM ord_all GROUP BY k);

CREATE TEMP TABLE doc_raw AS
SELECT doc_id AS id, doc_kind AS kind, doc_status AS st,
	'C' || ltrim(substr(replace(upper(trim(customer_id)), '-', ''), 5), '0') AS cust,
	'SO-' || ltrim(substr(replace(replace(upper(trim(order_ref)), ' ', ''), '-', ''), 3), '0') AS oref,
	upper(trim(currency)) AS cur,
	CASE WHEN net_amount IS NOT NULL THEN abs(CAST(round(net_amount * 100) AS INTEGER))
	     WHEN legacy_amount GLOB '[0-9]*' AND legacy_amount NOT GLOB '*[^0-9.]*'
		THEN abs(CAST(round(CAST(legacy_amount AS REAL) * 100) AS INTEGER)) END AS cents,
	net_amount IS NULL AND legacy_amount IS NOT NULL
		AND (legacy_amount NOT GLOB '[0-9]*' OR legacy_amount GLOB '*[^0-9.]*') AS bad,
	date(delivery_date) AS dd
FROM erp_doc, p
WHERE doc_date <= '2026-11-26 00:00:00' AND doc_date >= datetime(p.wstart, 'unixepoch')
	AND doc_kind IN ('SO', 'INV', 'CN');

CREATE TEMP TABLE doc AS SELECT * FROM doc_raw WHERE NOT bad;

-- ERP aggregate per order reference over posted documents.
CREATE TEMP TABLE agg AS
SELECT oref,
	sum(st = 'P') AS posted,
	sum(st = 'P' AND kind IN ('INV', 'CN')) AS nbilled,
	sum(CASE WHEN st = 'P' AND kind = 'INV' THEN cents WHEN st = 'P' AND kind = 'CN' THEN -cents ELSE 0 END) AS invoiced,
	sum(CASE WHEN st = 'P' AND kind = 'SO' THEN cents ELSE 0 END) AS ordered,
	count(DISTINCT CASE WHEN st = 'P' THEN cur END) AS ncur,
	max(CASE WHEN st = 'P' THEN cur END) AS cur
FROM doc GROUP BY oref;
CREATE INDEX agg_oref ON agg(oref);

CREATE INDEX deal_k ON deal(k);
CREATE INDEX ord_k ON ord(k);
CREATE INDEX ord_dref ON ord(dref);
CREATE TEMP TABLE norders AS SELECT dref, count(*) AS n FROM ord GROUP BY dref;

CREATE TEMP TABLE grp AS
SELECT o.k, o.cust AS ocust, o.cur AS ocur, o.cents AS ocents, o.status, o.t AS ot, o.dd AS odd,
	d.k AS dk, d.cust AS dcust, d.cur AS dcur, d.cents AS dcents,
	n.n AS norders, a.posted, a.nbilled, a.invoiced, a.ordered, a.ncur, a.cur AS ecur,
	CASE WHEN a.nbilled > 0 THEN a.invoiced ELSE a.ordered END AS ecents
FROM ord o LEFT JOIN deal d ON d.k = o.dref
	LEFT JOIN norders n ON n.dref = o.dref
	LEFT JOIN agg a ON a.oref = o.k;

.mode tabs
.headers off
SELECT 'RULE_ERROR', 'crm:' || id FROM deal_raw WHERE stage = 'Closed Won' AND cur IS NULL;
SELECT 'RULE_ERROR', 'erp:' || id FROM doc_raw WHERE bad;
SELECT DISTINCT 'DUPLICATE_KEY', k FROM ord_all GROUP BY k HAVING count(*) > 1;
SELECT 'DEAL_WITHOUT_ORDER', d.k FROM deal d, p
	WHERE d.k NOT IN (SELECT dref FROM ord) AND d.t + 86400 <= p.asof;
SELECT 'ERP_WITHOUT_ORDER', oref FROM agg WHERE oref NOT IN (SELECT k FROM ord) AND posted > 0;
SELECT 'ORDER_WITHOUT_DEAL', k FROM grp WHERE dk IS NULL;
SELECT 'DUPLICATE_ORDERS', k FROM grp WHERE dk IS NOT NULL AND norders > 1;
SELECT 'ORDER_NOT_IN_ERP', k FROM grp, p
	WHERE coalesce(posted, 0) = 0 AND status <> 'CANCELLED' AND ot + 3 * 86400 <= p.asof;
SELECT 'MISSING_AMOUNT', k FROM grp WHERE ocents IS NULL;
SELECT 'AMOUNT_MISMATCH_DEAL_ORDER', k FROM grp
	WHERE dk IS NOT NULL AND dcur = ocur AND dcents IS NOT NULL AND ocents IS NOT NULL
	AND abs(dcents - ocents) > CASE ocur WHEN 'JPY' THEN 100 ELSE 1 END;
SELECT 'AMOUNT_MISMATCH_ORDER_ERP', k FROM grp
	WHERE posted > 0 AND ncur = 1 AND ecur = ocur AND ocents IS NOT NULL
	AND abs(ecents - ocents) > CASE ocur WHEN 'JPY' THEN 100 ELSE 1 END;
SELECT 'CURRENCY_MISMATCH', k FROM grp
	WHERE (dk IS NOT NULL AND dcur <> ocur) OR ncur > 1 OR (ncur = 1 AND ecur <> ocur);
SELECT 'CUSTOMER_MISMATCH', k FROM grp WHERE dk IS NOT NULL AND dcust <> ocust;
-- rule 7: a posted document billed to another customer than the deal's
-- (the order's without a deal), unless rule 5 already reported the order
SELECT DISTINCT 'CUSTOMER_MISMATCH', g.k FROM grp g JOIN doc x ON x.oref = g.k
	WHERE x.st = 'P' AND x.cust <> coalesce(g.dcust, g.ocust)
	AND (g.dk IS NULL OR g.dcust = g.ocust);
-- rules/demo/blocked_customers.csv (the reference table blocked_customers)
SELECT 'RULE_FAILED', k FROM grp WHERE ocust IN ('C9140');  -- code BLOCKED_CUSTOMER
-- the site-defined field delivery_date (<fields> of the demo job): a
-- posted invoice for another delivery day than the order's, both set
SELECT DISTINCT 'RULE_FAILED', g.k FROM grp g JOIN doc x ON x.oref = g.k
	WHERE x.st = 'P' AND x.kind = 'INV' AND g.odd IS NOT NULL
	AND x.dd IS NOT NULL AND x.dd <> g.odd;  -- code DELIVERY_DATE_MISMATCH
SELECT 'CANCELLED_INVOICED', k FROM grp WHERE status = 'CANCELLED' AND nbilled > 0 AND invoiced <> 0;
