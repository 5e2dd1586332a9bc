-- A double precision amount holding 0.1 + 0.2, which is
-- 0.30000000000000004 and no exact decimal.
CREATE TABLE deal (
	deal_id   TEXT NOT NULL,
	amount    DOUBLE PRECISION,
	currency  TEXT,
	closed_at TIMESTAMP NOT NULL
);
INSERT INTO deal VALUES ('D-1', 100.00, 'EUR', '2026-11-01 09:00:00');
INSERT INTO deal VALUES ('D-2', 0.1::float8 + 0.2::float8, 'USD', '2026-11-02 09:00:00');
