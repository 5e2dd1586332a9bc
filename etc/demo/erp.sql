-- ERP vendor schema (SQLite). One table of documents of every kind:
-- sales orders (SO), invoices (INV), credit notes (CN, stored negative),
-- and kinds the reconciliation does not want (PO purchase orders, DN
-- delivery notes). The order reference is zero-filled to 8 digits without
-- the dash and blank-padded to 10 characters by the ERP's fixed-width
-- import. Documents migrated from the old ERP have net_amount NULL and the
-- amount only in the text column legacy_amount.
CREATE TABLE erp_doc (
	doc_id        TEXT PRIMARY KEY,	-- 'INV-00000042'
	doc_kind      TEXT NOT NULL,	-- 'SO', 'INV', 'CN', 'PO', 'DN'
	order_ref     TEXT,		-- 'SO00300123  '
	customer_id   TEXT,		-- 'CUST-42'
	net_amount    DECIMAL(18,2),
	legacy_amount TEXT,		-- migrated documents only: '1234.50'
	currency      TEXT,		-- 'EUR'
	doc_status    TEXT NOT NULL,	-- 'D' draft, 'P' posted, 'X' cancelled
	doc_date      TIMESTAMP NOT NULL,
	delivery_date DATE,		-- the delivery day the document is for; NULL on PO
	modified_at   TIMESTAMP		-- last change (incremental reading: docs/INCREMENTAL.md)
);
CREATE INDEX erp_doc_date ON erp_doc(doc_date);
CREATE INDEX erp_doc_modified ON erp_doc(modified_at);
