/*
 * store.h - the output store: versioned, insert-only reconciled order
 * records and the run ledger, written through ODBC.
 *
 * For the job's store table T the engine keeps (docs/STORE.md, the
 * integration contract; docs/LEDGER.md, the hashes):
 *
 *   T          one row per version of a record (rec_kind, rec_key):
 *              the fixed fields of ledger.h, the job's declared columns
 *              (typed), value_hash and content_hash; UNIQUE (rec_kind,
 *              rec_key, version).
 *   T_schema   the format (LEDGER_FORMAT) and the declared columns, one
 *              row per column, written when the store is created; a job
 *              whose columns differ is refused (columns are fixed for
 *              the life of a store).
 *   T_current  view: the latest version of every key (REMOVED tombstones
 *              included: a key that left every source shows as REMOVED).
 *   T_runs     one row per published run, seq 1, 2, 3... with control
 *              totals, the rule files in force and the chained digest.
 *
 * store_open() creates all of them when T_runs is missing (store_ddl:
 * types, quoting and triggers from the DBMS's dialect, engine/dialect.h;
 * the names are the job's table name in lower case), with triggers that
 * make the three tables refuse UPDATE and DELETE (and TRUNCATE on
 * PostgreSQL). The engine itself only ever INSERTs. Everything a run
 * writes is one transaction that store_commit() ends, runs row last; a
 * run that fails or dies before it publishes nothing. Where DDL is not
 * transactional (MariaDB/MySQL) the tables are created, and committed,
 * before that transaction: a first run that fails leaves an empty store.
 *
 * Versioning: store_open() loads every current key's (version,
 * value_hash, content_hash) into memory (about 120 bytes per key plus the
 * key). store_put() writes a new version only when the record's
 * value_hash differs from the current one; store_remove_unseen() writes a
 * REMOVED tombstone for every live key the run did not see (full runs).
 */
#ifndef RECON_STORE_H
#define RECON_STORE_H

#include <stdint.h>

#include "err.h"
#include "job.h"

/* One reconciled order record. Strings borrowed for the call; NULL is
 * SQL NULL. */
struct store_rec {
	const char *kind;	/* "order", "deal" (no order) or "erp" (no order) */
	const char *key;
	const char *outcome;	/* primary outcome code */
	const char *codes;	/* every outcome code, space-separated */
	const char *verdicts;	/* JSON array of rule verdicts */
	/* The job's declared columns (job->columns order, job->ncolumns of
	 * them), formatted by pubval_format(). */
	const char *const *cols;
	const char *sources;	/* JSON: fingerprints of the source rows */
};

/* The outcome of a tombstone version. */
#define STORE_REMOVED "REMOVED"

/* One row of the run ledger; strings borrowed for the call. seq, records,
 * digest and prev_digest are the store's to fill. */
struct store_run {
	const char *run_id;
	const char *job;
	const char *mode;	/* "full" or "incremental" */
	const char *as_of;
	const char *window_start;
	const char *started;
	const char *finished;
	const char *status;	/* "clean" or "exceptions" */
	const char *rules_hash;
	const char *rules;	/* JSON [{"file":..,"sha256":..}] */
	uint64_t exceptions;
	const char *totals;	/* JSON: per source control totals */
	const char *outcomes;	/* JSON: per outcome count and amounts */
	const char *watermarks;	/* JSON; NULL = "{}" */
};

struct store;
struct conn;
struct cursor;
struct dialect;
struct sbuf;
struct ledger_source_totals;

/*
 * The store's DDL on dialect d for table T with the declared columns
 * sch: statement i (0, 1, ...) into sql (reset first): 0 CREATE TABLE T,
 * 1 its unique index, 2 the view T_current, 3 T_runs, 4 T_schema, then
 * the insert-only triggers (dialect_insert_only_sql). 1 if there is a
 * statement i, 0 past the last, -1 out of memory. store_ddl_undo: the
 * statement that drops what statement i created (1), or 0 if nothing
 * needs dropping (the index and triggers go with their tables).
 */
int store_ddl(const struct dialect *d, const char *table,
	      const struct ledger_schema *sch, size_t i, struct sbuf *sql);
int store_ddl_undo(const struct dialect *d, const char *table, size_t i,
		   struct sbuf *sql);

/* A store's declared columns as its T_schema holds them (strings owned)
 * and their schema hash. */
struct store_schema {
	struct ledger_schema s;
	char *str[2 * LEDGER_MAX_COLS];	/* the names and values */
	char hash[LEDGER_HEX];
};

/*
 * Read TABLE_schema through c, the one reader of it (the store checks a
 * job against it, `recon verify` reads the versions by it). ERR_STORE:
 * no such table or another format than LEDGER_FORMAT; ERR_VERIFY: a
 * malformed declaration (positions not 0..n-1, a name that is not a
 * column name - it would be pasted into SQL -, an unknown type, no
 * rows); ERR_NOMEM. Release with store_schema_release (also after an
 * error).
 */
int store_schema_read(struct conn *c, const char *table,
		      struct store_schema *out, struct error *err);
void store_schema_release(struct store_schema *s);

/*
 * For the store's readers (`recon verify`, `recon history`), through c,
 * before anything is read: 0 if TABLE, TABLE_schema and TABLE_runs are
 * there; else -1 with ERR_STORE saying what is there instead: nothing
 * ("store table 'T' does not exist in DSN 'x': no run of job 'JOB' has
 * been published yet"; JOB NULL: "... no run has been published to it
 * yet"), a table that is not a store ("... exists but is
 * not a recon store (it has no T_schema) ..."), a store of a recon older
 * than LEDGER_FORMAT, a store with tables dropped by hand, or a store
 * without a run ("... has no run: no run ... has been published yet",
 * what a failed first run leaves where DDL is not transactional).
 */
int store_probe(struct conn *c, const char *table, const char *job,
		struct error *err);

/*
 * The store's auxiliary tables, created when first needed rather than
 * with the store: T_notes (notes.h) and T_report (snapshot.h).
 * store_aux_exists: 1 if base table TABLE+SUFFIX exists in c, 0 if not,
 * -1 on error. store_aux_ensure: create it if it is missing, with
 * create_sql's CREATE TABLE and then guard_sql's statements 0, 1, ...
 * (its insert-only triggers; 1 with a statement in sql, 0 past the
 * last, -1 out of memory), as one transaction where DDL is transactional
 * and own_tx is set (own_tx 0: the caller's transaction holds it), else
 * statement by statement with the table dropped again if a trigger
 * fails. A creation that fails because another connection created the
 * table meanwhile is no failure. -1 with err (the driver's message; the
 * caller adds context).
 */
typedef int store_aux_sql_fn(const struct dialect *d, const char *table,
			     size_t i, struct sbuf *sql);
int store_aux_exists(struct conn *c, const char *table, const char *suffix,
		     struct error *err);
/* Roll c's transaction back, ignoring any error (the caller has one). */
void store_rollback_quiet(struct conn *c);
int store_aux_ensure(struct conn *c, const char *table, const char *suffix,
		     store_aux_sql_fn *create_sql, store_aux_sql_fn *guard_sql,
		     int own_tx, struct error *err);

/*
 * Checking TABLE_current (`recon verify`). store_view_ref creates, where
 * the catalog deparses view definitions (PostgreSQL), a temporary view
 * (of this connection only) from the engine's own definition of the
 * current view; call it outside a transaction (a READ ONLY one refuses
 * DDL, even of temporary objects). ERR_STORE if the database refuses
 * (PostgreSQL: no TEMP privilege); elsewhere it does nothing.
 * store_view_check then compares the catalog's definition of
 * TABLE_current with the engine's (SQLite, SQL Server: the CREATE
 * statement's text after AS with the engine's query; PostgreSQL:
 * pg_get_viewdef of both; whitespace runs collapsed; MariaDB, whose
 * catalog keeps neither: a view whose columns are T's, in order): 0
 * if it is the engine's view, 1 if not with *why one line saying what
 * it is instead (a table, another definition), 2 if there is no such
 * object (*why says so), -1 on error.
 */
/* 1 if relation REL (a table or view of c) has every one of the n
 * columns names (compared ignoring ASCII case), 0 if not, -1 on error:
 * asked of the catalog, so that a forged object is not queried with
 * columns it lacks (on PostgreSQL a failed statement ends the reader's
 * snapshot transaction). */
int store_has_columns(struct conn *c, const char *rel,
		      const char *const *names, size_t n, struct error *err);
int store_view_ref(struct conn *c, const char *table, struct error *err);
int store_view_check(struct conn *c, const char *table, struct sbuf *why,
		     struct error *err);

/*
 * The readers' queries (engine/storeread.c), for `recon verify`, `recon
 * digest` and `recon history` on a connection of their own (inside the
 * snapshot they take): a cursor the caller closes, or -1 with err
 * (ERR_NOMEM, or the connector's error for a statement the database
 * refused). Non-text values arrive cast to text, as the database prints
 * them.
 *
 * store_read_runs: TABLE_runs in seq order, the ledger_run fields in
 * their enum order (LR__COUNT columns), then digest.
 * store_read_versions: TABLE (current 0, in (rec_kind, rec_key,
 * version) order) or TABLE_current (current 1, in (rec_kind, rec_key)
 * order), keys sorted by their bytes: the ledger fields in enum order,
 * the declared columns of sch, value_hash, content_hash.
 * store_read_history: one key's versions (of every kind, or of kind)
 * in (rec_kind, version) order: the columns of store_read_versions up
 * to the declared ones, then the publishing run's seq and as_of (NULL
 * if T_runs has no such run).
 */
int store_read_runs(struct conn *c, const char *table, struct cursor **cur,
		    struct error *err);
int store_read_versions(struct conn *c, const char *table,
			const struct ledger_schema *sch, int current,
			struct cursor **cur, struct error *err);
/* store_find_records: the versions (of kind, or of every kind) whose
 * key is id or whose sources may name id as a deal, order or ERP
 * document key, in (rec_kind, rec_key, version) order: rec_kind,
 * rec_key, sources. Candidates: the caller checks sources exactly. */
int store_find_records(struct conn *c, const char *table, const char *id,
		       const char *kind, struct cursor **cur,
		       struct error *err);
int store_read_history(struct conn *c, const char *table,
		       const struct ledger_schema *sch, const char *key,
		       const char *kind, struct cursor **cur, struct error *err);

/* The exception lifecycle's reads (engine/lifecycle.c). store_read_life_runs:
 * the job's runs in seq order: seq, run_id, as_of, exceptions (text).
 * store_read_life: every version of T published by a run of job with
 * seq <= max_seq, joined with that run, in (rec_kind, rec_key, version)
 * order: rec_kind, rec_key, version, seq, as_of, run_id, outcome,
 * codes, verdicts, then the declared columns of sch (as text). Versions
 * of a run not yet committed have no T_runs row and are not returned. */
int store_read_life_runs(struct conn *c, const char *table, const char *job,
			 struct cursor **cur, struct error *err);
int store_read_life(struct conn *c, const char *table,
		    const struct ledger_schema *sch, const char *job,
		    uint64_t max_seq, struct cursor **cur, struct error *err);
/* The store's connection, inside the run's transaction (the lifecycle
 * reads the notes through it before the commit), and its declared
 * columns. Borrowed. */
struct conn *store_conn(struct store *s);
const struct ledger_schema *store_schema(const struct store *s);

/* Connect to job->store_dsn, create the tables, view and triggers if
 * T_runs is missing, load the current state (keys, last run) and begin
 * the run's transaction. before_tx (may be NULL) runs on an existing
 * store after that load and before BEGIN, for other reads that must not
 * run inside the transaction (sqliteodbc holds a whole result set in
 * memory there): the lifecycle's history. *out owned by the caller
 * (store_free). ERR_STORE (context: store DSN and table), ERR_NOMEM, or
 * before_tx's error. */
struct ledger_schema;
typedef int store_before_tx_fn(struct conn *c, const struct ledger_schema *sch,
			       void *ctx, struct error *err);
int store_open(const struct job *job, store_before_tx_fn *before_tx,
	       void *ctx, struct store **out, struct error *err);

/* For `recon check --connect`: connect to the store and, if it exists,
 * check that its format and declared columns are the job's (the check
 * store_open makes), reading and writing nothing else. *exists: 1 if
 * the store's tables are there, 0 if the first run will create them.
 * 0, or -1 with ERR_STORE (unreachable, another format, other columns). */
int store_check(const struct job *job, int *exists, struct error *err);

/* Version one reconciled record: nothing if its values equal the
 * current version's, else version+1 (or 1) chained to it. Returns 1 if a
 * version was written, 0 if unchanged, -1 with err set. */
int store_put(struct store *s, const struct store_rec *r, const char *run_id,
	      const char *rules_hash, struct error *err);

/* Full runs, after every store_put(): a REMOVED tombstone for every key
 * whose current version is not REMOVED and that this run did not put.
 * Returns the number written, or -1. */
long long store_remove_unseen(struct store *s, const char *run_id,
			      const char *rules_hash, struct error *err);

/* Insert the run row (seq, records, digest filled here) and commit. */
int store_commit(struct store *s, const struct store_run *run,
		 struct error *err);

/* Versions written so far by this run (tombstones included). */
uint64_t store_count(const struct store *s);
/* Keys loaded from T_current at open. */
uint64_t store_keys_loaded(const struct store *s);
/* 1 if store_open found an unfinished install (a first run killed while
 * it created the tables, where DDL is not transactional: docs/STORE.md)
 * and dropped it before installing again; the run logs it. */
int store_reinstalled(const struct store *s);
/* After store_commit(): this run's seq. */
uint64_t store_seq(const struct store *s);

/* The last published full run of this job (for the completeness guard):
 * 1 with *run_id borrowed until store_free, or 0 if there is none. */
int store_last_full(const struct store *s, const char **run_id);

/* That run's control totals for one source, read from its T_runs.totals
 * strictly (ledger_totals_find): 1 with *out, 0 if the run had no such
 * source (or there is no full run), -1 if the totals cannot be read
 * (what is wrong appended to why), -2 out of memory. */
/* T_runs.totals of the last published run (any mode), NULL before the
 * first; borrowed. Incremental runs compare reference tables with it. */
const char *store_last_totals(const struct store *s);
int store_last_full_totals(const struct store *s, const char *source,
			   struct ledger_source_totals *out, struct sbuf *why);

/* The job's published runs, as store_open found them (incremental runs
 * trust a state file only if the latest of them wrote it): the count,
 * and the latest one's run_id and watermarks JSON ("" if there is none),
 * borrowed until store_free. */
uint64_t store_job_runs(const struct store *s, const char **last_id,
			const char **watermarks);

/* Run identity is (job, as-of, mode). A rerun of the job's latest
 * published run that would publish nothing new: the same as-of, mode,
 * rules hash, declared columns, control totals (every source's rows
 * hash among them), outcome counts and amounts, and watermarks, and not
 * one record version to write (store_put, store_remove_unseen). Then 1
 * with *out naming that run (borrowed until store_free): the caller
 * does not commit, and writes that run's reports again under its id and
 * times, byte for byte the ones first written. Else 0. */
struct store_prior {
	uint64_t seq;
	const char *run_id, *started, *finished;
};
int store_repeats_last(const struct store *s, const struct store_run *run,
		       struct store_prior *out);

/* Roll back anything uncommitted, disconnect, free. NULL is fine. */
void store_free(struct store *s);

#endif
