-- One deal closed the day before as-of.
CREATE TABLE deal (
	deal_id   TEXT NOT NULL,
	amount    DECIMAL(18,2),
	currency  TEXT,
	closed_at TIMESTAMP NOT NULL
);
INSERT INTO deal VALUES ('D-1', 100.00, 'EUR', '2026-11-25 09:00:00');
