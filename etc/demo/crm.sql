-- CRM vendor schema (SQLite). A sales CRM as a site would have it:
-- text deal ids with a dash and zero padding, account codes in lower case,
-- currencies as the vendor's own integer ids, soft deletes, and stage
-- names as free text. Amounts are DECIMAL (never REAL): sqliteodbc reports
-- the column as SQL_VARCHAR and the rules parse its text; a value SQLite
-- rounded to 15 digits is refused (docs/CONNECTORS.md, "Approximate
-- columns").
CREATE TABLE crm_deal (
	deal_id      TEXT PRIMARY KEY,	-- 'D-000123'
	deal_name    TEXT NOT NULL,
	account_code TEXT NOT NULL,	-- 'acc-0042', some legacy aliases
	amount       DECIMAL(18,2),
	currency_id  INTEGER NOT NULL,	-- vendor ids: 1 EUR, 2 USD, 3 GBP, 4 JPY, 5 CHF, 6 SEK
	stage        TEXT NOT NULL,	-- 'Prospecting', 'Negotiation', 'Closed Won', 'Closed Lost'
	closed_at    TIMESTAMP,		-- 'YYYY-MM-DD HH:MM:SS' (UTC); NULL while open
	is_deleted   INTEGER NOT NULL DEFAULT 0,
	modified_at   TIMESTAMP		-- last change (incremental reading: docs/INCREMENTAL.md)
);
CREATE INDEX crm_deal_closed ON crm_deal(closed_at);
CREATE INDEX crm_deal_modified ON crm_deal(modified_at);
