-- Order-management vendor schema (MariaDB/MySQL): orders.sql in MariaDB
-- types (crm.mariadb.sql says why VARCHAR, DATETIME and utf8mb4_bin).
-- order_no is not unique: a botched re-import once loaded some orders
-- twice, and the vendor never added a constraint.
CREATE TABLE orders (
	order_no      VARCHAR(64) NOT NULL,	-- 'SO-300123'
	crm_deal_ref  VARCHAR(64),	-- ' d-000123', 'D000123 ', 'd-123', ...
	customer_code VARCHAR(64) NOT NULL,	-- 'C0042'
	total_amount  DECIMAL(18,2),	-- NULL when the order was never priced
	currency      VARCHAR(16) NOT NULL,	-- 'EUR', 'eur', ' usd'
	status        VARCHAR(32) NOT NULL,	-- 'NEW', 'SHIPPED', 'CANCELLED'
	created_at    DATETIME NOT NULL,
	delivery_date DATE,		-- the agreed delivery day (a site-defined field of the demo job)
	modified_at   DATETIME		-- last change (incremental reading: docs/INCREMENTAL.md)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE INDEX orders_created ON orders(created_at);
CREATE INDEX orders_modified ON orders(modified_at);
