-- A store created by a job that declared other columns (only the tables
-- the check reads: the runs table and the declaration).
CREATE TABLE reconciled_runs (run_id TEXT);
CREATE TABLE reconciled_schema (format TEXT, position BIGINT, name TEXT, type TEXT, value TEXT);
INSERT INTO reconciled_schema VALUES ('recon-ledger/2', 0, 'amount', 'money', 'order.amount');
