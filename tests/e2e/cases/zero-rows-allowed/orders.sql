-- Its order, 14 hours old: within the ERP grace of 3 days.
CREATE TABLE ord (
	order_no   TEXT NOT NULL,
	deal_ref   TEXT,
	amount     DECIMAL(18,2),
	currency   TEXT,
	status     TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
INSERT INTO ord VALUES ('SO-1', 'D-1', 100.00, 'EUR', 'open', '2026-11-25 10:00:00');
