-- lib/orders.sql plus SO-3, whose deal does not exist.
CREATE TABLE ord (
	order_no   TEXT NOT NULL,
	deal_ref   TEXT,
	amount     DECIMAL(18,2),
	currency   TEXT,
	status     TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
INSERT INTO ord VALUES ('SO-1', 'D-1', 100.00, 'EUR', 'fulfilled', '2026-11-01 10:00:00');
INSERT INTO ord VALUES ('SO-2', 'D-2', 250.50, 'USD', 'fulfilled', '2026-11-02 10:00:00');
INSERT INTO ord VALUES ('SO-3', 'D-9', 75.00, 'EUR', 'fulfilled', '2026-11-02 10:00:00');
