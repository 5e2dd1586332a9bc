-- ERP vendor schema (MariaDB/MySQL): erp.sql in MariaDB types
-- (crm.mariadb.sql says why VARCHAR, DATETIME and utf8mb4_bin). One table
-- of documents of every kind: SO, INV, CN (stored negative), PO and DN.
-- The order reference is zero-filled and blank-padded to 10 characters
-- ('SO00300123  '); migrated documents have the amount only as text in
-- legacy_amount.
CREATE TABLE erp_doc (
	doc_id        VARCHAR(64) PRIMARY KEY,	-- 'INV-00000042'
	doc_kind      VARCHAR(8) NOT NULL,	-- 'SO', 'INV', 'CN', 'PO', 'DN'
	order_ref     VARCHAR(64),	-- 'SO00300123  '
	customer_id   VARCHAR(64),	-- 'CUST-42'
	net_amount    DECIMAL(18,2),
	legacy_amount VARCHAR(64),	-- migrated documents only: '1234.50'
	currency      VARCHAR(16),	-- 'EUR'
	doc_status    VARCHAR(8) NOT NULL,	-- 'D' draft, 'P' posted, 'X' cancelled
	doc_date      DATETIME NOT NULL,
	delivery_date DATE,		-- the delivery day the document is for; NULL on PO
	modified_at   DATETIME		-- last change (incremental reading: docs/INCREMENTAL.md)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE INDEX erp_doc_date ON erp_doc(doc_date);
CREATE INDEX erp_doc_modified ON erp_doc(modified_at);
