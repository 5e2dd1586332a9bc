-- A DOUBLE amount holding 0.1 + 0.2, which is 0.30000000000000004 and
-- no exact decimal.
CREATE TABLE deal (
	deal_id   VARCHAR(32) NOT NULL,
	amount    DOUBLE,
	currency  TEXT,
	closed_at DATETIME NOT NULL
);
INSERT INTO deal VALUES ('D-1', 100.00, 'EUR', '2026-11-01 09:00:00');
INSERT INTO deal VALUES ('D-2', CAST(0.1 AS DOUBLE) + CAST(0.2 AS DOUBLE), 'USD', '2026-11-02 09:00:00');
