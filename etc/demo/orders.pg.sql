-- Order-management vendor schema (PostgreSQL). The reference to the CRM deal
-- is typed in by hand (mixed case, stray blanks, with or without the dash
-- and the zero padding). order_no is not unique: a botched re-import once
-- loaded some orders twice, and the vendor never added a constraint.
CREATE TABLE orders (
	order_no      TEXT NOT NULL,	-- 'SO-300123'
	crm_deal_ref  TEXT,		-- ' d-000123', 'D000123 ', 'd-123', ...
	customer_code TEXT NOT NULL,	-- 'C0042'
	total_amount  NUMERIC(18,2),	-- NULL when the order was never priced
	currency      TEXT NOT NULL,	-- 'EUR', 'eur', ' usd'
	status        TEXT NOT NULL,	-- 'NEW', 'SHIPPED', 'CANCELLED'
	created_at    TIMESTAMP NOT NULL,
	delivery_date DATE,		-- the agreed delivery day (a site-defined field of the demo job)
	modified_at   TIMESTAMP		-- last change (incremental reading: docs/INCREMENTAL.md)
);
CREATE INDEX orders_created ON orders(created_at);
CREATE INDEX orders_modified ON orders(modified_at);
