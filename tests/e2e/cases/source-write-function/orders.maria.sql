-- Default data of the e2e cases: one order per deal.
CREATE TABLE ord (
	order_no   TEXT NOT NULL,
	deal_ref   TEXT,
	amount     DECIMAL(18,2),
	currency   TEXT,
	status     TEXT NOT NULL,
	created_at DATETIME NOT NULL
);
INSERT INTO ord VALUES ('SO-1', 'D-1', 100.00, 'EUR', 'fulfilled', '2026-11-01 10:00:00');
INSERT INTO ord VALUES ('SO-2', 'D-2', 250.50, 'USD', 'fulfilled', '2026-11-02 10:00:00');
-- A function that writes, called from a plain SELECT: the keyword check
-- lets the query through, the read-only session (SET SESSION
-- TRANSACTION READ ONLY) must stop it.
DELIMITER //
CREATE FUNCTION pwn() RETURNS INTEGER MODIFIES SQL DATA
BEGIN
	UPDATE ord SET status = 'PWNED';
	RETURN 1;
END //
DELIMITER ;
