-- Default data of the e2e cases (used when a case has no crm.sql):
-- two won deals. Portable SQL: runs on SQLite and PostgreSQL.
CREATE TABLE deal (
	deal_id   TEXT NOT NULL,
	amount    DECIMAL(18,2),
	currency  TEXT,
	closed_at TIMESTAMP NOT NULL
);
INSERT INTO deal VALUES ('D-1', 100.00, 'EUR', '2026-11-01 09:00:00');
INSERT INTO deal VALUES ('D-2', 250.50, 'USD', '2026-11-02 09:00:00');
