-- The ERP extract is empty.
CREATE TABLE doc (
	doc_id    TEXT NOT NULL,
	order_ref TEXT,
	kind      TEXT NOT NULL,
	status    TEXT NOT NULL,
	amount    DECIMAL(18,2),
	currency  TEXT,
	doc_date  TIMESTAMP NOT NULL
);
