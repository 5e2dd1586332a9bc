-- Default data of the e2e cases: SO-1 invoiced in one, SO-2 in two parts.
CREATE TABLE doc (
	doc_id    TEXT NOT NULL,
	order_ref TEXT,
	kind      TEXT NOT NULL,
	status    TEXT NOT NULL,
	amount    DECIMAL(18,2),
	currency  TEXT,
	doc_date  TIMESTAMP NOT NULL
);
INSERT INTO doc VALUES ('INV-1', 'SO-1', 'invoice', 'posted', 100.00, 'EUR', '2026-11-03 10:00:00');
INSERT INTO doc VALUES ('INV-2', 'SO-2', 'invoice', 'posted', 200.00, 'USD', '2026-11-03 11:00:00');
INSERT INTO doc VALUES ('INV-3', 'SO-2', 'invoice', 'posted', 50.50, 'USD', '2026-11-04 11:00:00');
-- The reference table of the case: a credit limit per order, typed.
CREATE TABLE order_limit (
	order_no   TEXT NOT NULL,
	max_amount DECIMAL(18,2),
	seq        INTEGER,
	valid_from TIMESTAMP
);
INSERT INTO order_limit VALUES ('SO-1', 150.00, 1, '2026-01-01 00:00:00');
INSERT INTO order_limit VALUES ('SO-2', 200.00, 2, '2026-01-01 00:00:00');
