-- SO-2 is invoiced in two parts, the second posted without an amount
-- (NULL): its ERP total is unknown, never 200.00.
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
INSERT INTO doc VALUES ('INV-3', 'SO-2', 'invoice', 'posted', NULL, 'USD', '2026-11-04 11:00:00');
