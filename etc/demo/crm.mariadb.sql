-- CRM vendor schema (MariaDB/MySQL). The same table as crm.sql, in the
-- types a MariaDB site would use: VARCHAR for the key (a TEXT column
-- cannot be a primary key without a prefix length), DATETIME for times
-- (MariaDB's TIMESTAMP is converted through the session time zone and the
-- first one of a table updates itself on every change), DECIMAL for
-- amounts (the driver reports SQL_DECIMAL and the engine reads it as
-- exact text). utf8mb4_bin: bytes compare as in SQLite (the default
-- collation ignores case and trailing blanks, so 'so' = 'SO').
CREATE TABLE crm_deal (
	deal_id      VARCHAR(64) PRIMARY KEY,	-- 'D-000123'
	deal_name    TEXT NOT NULL,
	account_code VARCHAR(64) NOT NULL,	-- 'acc-0042', some legacy aliases
	amount       DECIMAL(18,2),
	currency_id  INTEGER NOT NULL,	-- vendor ids: 1 EUR, 2 USD, 3 GBP, 4 JPY, 5 CHF, 6 SEK
	stage        VARCHAR(64) NOT NULL,	-- 'Prospecting', 'Negotiation', 'Closed Won', 'Closed Lost'
	closed_at    DATETIME,		-- 'YYYY-MM-DD HH:MM:SS' (UTC); NULL while open
	is_deleted   INTEGER NOT NULL DEFAULT 0,
	modified_at  DATETIME		-- last change (incremental reading: docs/INCREMENTAL.md)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE INDEX crm_deal_closed ON crm_deal(closed_at);
CREATE INDEX crm_deal_modified ON crm_deal(modified_at);
