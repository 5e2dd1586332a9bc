-- A DOUBLE amount (sqliteodbc: SQL_DOUBLE) holding a value with more
-- digits than a double keeps: SQLite hands it over as 1234567890123.46.
CREATE TABLE deal (
	deal_id   TEXT NOT NULL,
	amount    DOUBLE,
	currency  TEXT,
	closed_at TIMESTAMP NOT NULL
);
INSERT INTO deal VALUES ('D-1', 100.00, 'EUR', '2026-11-01 09:00:00');
INSERT INTO deal VALUES ('D-2', 1234567890123.4567, 'USD', '2026-11-02 09:00:00');
