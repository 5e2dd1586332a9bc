-- PostgreSQL only: the deals live in the store's database, read through a
-- function that, like another run of the job committing meanwhile,
-- publishes the next runs row (seq = last + 1) when the run reads the
-- deals: after the run read the store's state, before it commits. The
-- insert goes through a second session (dblink), as another recon would:
-- the run's own source session is read-only and refuses to write.
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE TABLE deal (
	deal_id   TEXT NOT NULL,
	amount    DECIMAL(18,2),
	currency  TEXT,
	closed_at TIMESTAMP NOT NULL
);
INSERT INTO deal VALUES ('D-1', 100.00, 'EUR', '2026-11-01 09:00:00');
INSERT INTO deal VALUES ('D-2', 250.50, 'USD', '2026-11-02 09:00:00');

CREATE FUNCTION deals_while_another_run_publishes() RETURNS SETOF deal
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM dblink_exec('dbname=' || current_database() ||
		' user=recon host=127.0.0.1 port=' || current_setting('port'),
		$sql$
	INSERT INTO reconciled_runs (run_id, seq, job, mode, as_of,
		window_start, started, finished, status, rules_hash, rules,
		records, exceptions, totals, outcomes, watermarks, schema_hash,
		digest, prev_digest)
	SELECT 'other-run-' || (max(seq) + 1), max(seq) + 1, 'concurrent-run',
		'full', '2026-11-26 00:00:00', '2025-10-22 00:00:00',
		'2026-11-26T00:00:00Z', '2026-11-26T00:00:00Z', 'clean', '', '[]',
		0, 0, '[]', '{}', '{}', '', '', ''
	FROM reconciled_runs
		$sql$);
	RETURN QUERY SELECT * FROM deal;
END
$$;
