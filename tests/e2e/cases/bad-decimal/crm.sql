-- SQLite only: a NUMERIC column (sqliteodbc: SQL_DOUBLE, read exactly as
-- a decimal) holding text that is no number. PostgreSQL cannot store it.
CREATE TABLE deal (
	deal_id   TEXT NOT NULL,
	amount    NUMERIC(18,2),
	currency  TEXT,
	closed_at TIMESTAMP NOT NULL
);
INSERT INTO deal VALUES ('D-1', 100.00, 'EUR', '2026-11-01 09:00:00');
INSERT INTO deal VALUES ('D-2', 'twelve', 'USD', '2026-11-02 09:00:00');
