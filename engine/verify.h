/*
 * verify.h - checking a versioned store against its own hashes and chains
 * (`recon verify`), exporting a run's digest to keep elsewhere
 * (`recon digest`), and showing a key's history (`recon history`).
 *
 * What is checked (docs/LEDGER.md, "Verifying"), for store table T:
 *   - every version's value_hash and content_hash recompute from its
 *     fields (ledger.h);
 *   - each key's versions are 1..n without gaps or duplicates, version 1
 *     has no prev_hash and version k's prev_hash is version k-1's
 *     content_hash;
 *   - each version's run is in T_runs, and a key's versions were written
 *     by runs of increasing seq;
 *   - T_runs: seq is 1..n, each run's prev_digest is the previous run's
 *     digest, each run's digest recomputes from the content hashes of its
 *     versions, and its records count is the number of its versions;
 *   - optionally, the recomputed digest chain equals an exported digest
 *     file (so a store that recomputed its own hashes after tampering
 *     still fails);
 *   - T_current, what other systems read: its catalog definition is the
 *     engine's (store_view_check), and every row it returns is the latest
 *     version of its key as read from T, no key missing, none extra;
 *   - T_notes, where it exists (notes.h, notes_verify): seq 1..n, each
 *     note's prev_hash the previous note's hash, each hash recomputed.
 *   - T_report, where it exists (snapshot.h, snapshot_verify): each
 *     run's kept report complete (lines 0..n as its header says), each
 *     line's hash recomputed, the chain, and the run one of T_runs'.
 *
 * Before reading, store_probe says (ERR_STORE) when T is not a store of
 * this format: not there yet, someone else's table, an older store.
 *
 * Everything is read through cursors from one consistent snapshot (see
 * open_snapshot in verify.c): T streamed in (rec_kind, rec_key, version)
 * order, and T_runs (one small entry per run) read once T's statement is
 * open, and T_current streamed beside T in the same byte order of
 * (rec_kind, rec_key) and merged with it. Memory: the runs, the
 * previous row of the stream, and 32 bytes per version (its recomputed
 * content hash, kept per run until the run digests are computed at the
 * end); 1,000,000 versions take about 32 MB, plus one run's hex copy
 * (65 bytes per version of the largest run) while its digest is computed.
 *
 * Library code: nothing is printed; findings go to a callback.
 */
#ifndef RECON_VERIFY_H
#define RECON_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "ledger.h"

/* The first line of a digest file (recon digest, verify --digest): its
 * format. */
#define VERIFY_DIGEST_FORMAT "recon-digest 1"

/* One thing wrong with the store. Everything is borrowed for the call. */
struct verify_finding {
	const char *kind;	/* rec_kind, or NULL for a run finding */
	const char *key;	/* rec_key, or NULL */
	int64_t version;	/* 0 if none (or unreadable) */
	const char *run_id;	/* the run concerned, or NULL */
	const char *what;	/* the problem, e.g. "content_hash does not
				 * match its fields" */
	const char *line;	/* the whole finding as one line:
				 * "order 'SO-1' version 2 (run R): what" */
};

typedef void verify_finding_fn(void *ctx, const struct verify_finding *f);

struct verify_opts {
	const char *dsn;	/* the job's store DSN */
	const char *table;	/* the job's store table (an identifier) */
	const char *job;	/* job name, checked against a digest file */
	/* An exported digest file's contents to check against, or NULL. */
	const char *digest;
	size_t digest_len;
	/* Export: after a clean verification, append the digest file of
	 * this run to *export_out. NULL: no export. */
	const char *export_run;
	struct sbuf *export_out;
	verify_finding_fn *finding;	/* may be NULL */
	void *ctx;
};

struct verify_result {
	uint64_t versions;	/* rows of T read */
	uint64_t keys;		/* distinct (rec_kind, rec_key) */
	uint64_t runs;		/* rows of T_runs */
	uint64_t findings;
	uint64_t digest_runs;	/* runs compared with the digest file */
	uint64_t notes;		/* rows of T_notes checked (notes.h) */
	uint64_t reports;	/* runs' reports in T_report (snapshot.h) */
	uint64_t report_lines;	/* rows of T_report checked */
	char head[LEDGER_HEX];	/* recomputed digest of the last run ("") */
};

/*
 * Verify the store. Returns 0 if nothing is wrong. Returns -1 with
 * ERR_VERIFY if anything was found (each finding went to o->finding),
 * ERR_STORE if the store cannot be read (no such table - the message
 * says the job has published no run yet -, not a store, connection,
 * query, no TEMP privilege for the reference view), ERR_USAGE for an unreadable digest file or an unknown
 * export_run, ERR_NOMEM. res is filled as far as the reading got.
 */
int verify_store(const struct verify_opts *o, struct verify_result *res,
		 struct error *err);

/* One version of a key, for `recon history`. Borrowed for the call. */
struct verify_version {
	const struct ledger_rec *rec;	/* its fields (ledger.h order) */
	const char *run_seq;	/* the run's seq, NULL if not in T_runs */
	const char *as_of;	/* the run's as-of, NULL if not in T_runs */
	/* What changed from the previous version of the same kind and key:
	 * "" for the first, else "; "-separated "field: old -> new" (short
	 * values) or "field changed" (long ones). */
	const char *changes;
};

typedef void verify_version_fn(void *ctx, const struct verify_version *v);

/*
 * Every version of KEY (of kind KIND, or of any kind if NULL), ordered by
 * kind and version, to fn. *n is the number of versions (0: no such key).
 * -1 with ERR_STORE if the store cannot be read.
 */
int verify_history(const char *dsn, const char *table, const char *key,
		   const char *kind, verify_version_fn *fn, void *ctx,
		   uint64_t *n, struct error *err);

/* One published run of the job, for `recon runs`: its T_runs row as text
 * (ledger.h), borrowed for the call. */
typedef int verify_run_fn(void *ctx, const struct ledger_run *run,
			  struct error *err);

/*
 * The published runs of job (T_runs rows naming it; a table may be
 * shared by jobs) in seq order, to fn; *n how many. -1 with ERR_STORE
 * if the store cannot be read (ERR_STORE naming DSN and table when it
 * has no such table), or fn's error.
 */
int verify_runs(const char *dsn, const char *table, const char *job,
		verify_run_fn *fn, void *ctx, uint64_t *n, struct error *err);

/* For readers of the store outside this file (`recon diff`,
 * engine/lifecycle.c): connect to DSN, probe TABLE (store_probe, job
 * named in its messages) and take the readers' snapshot; close with
 * verify_reader_close (c may be NULL). ERR_STORE naming DSN and table. */
struct conn;
int verify_reader_open(const char *dsn, const char *table, const char *job,
		       struct conn **c, int *in_tx, struct error *err);
void verify_reader_close(struct conn *c, int in_tx);
#endif
