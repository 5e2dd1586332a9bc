/*
 * connector.h - what the engine sees of a data source or store.
 *
 * One connector today: ODBC (odbc.c), any driver. A source is read through
 * a cursor that block-fetches (SQL_ATTR_ROW_ARRAY_SIZE rows per SQLFetch)
 * and hands rows out one at a time as typed values. A store is written
 * through a writer that batches rows into multi-row INSERT ... VALUES
 * statements (parameter arrays are no faster on either driver, multi-row
 * VALUES is: docs/CONNECTORS.md, "Writing", has the numbers).
 *
 * Every value is bound as a parameter; SQL text comes only from the job
 * file (queries) and the engine (store DDL/INSERT with validated
 * identifiers), never from data.
 *
 * Errors: every failure fills struct error with ERR_SOURCE (or ERR_STORE
 * for writers, ERR_DATA for a value that cannot be taken exactly), the
 * SQLSTATE and native code, the driver's message, and context naming the
 * DSN. The caller adds job and source names.
 */
#ifndef RECON_CONNECTOR_H
#define RECON_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../engine/err.h"

/* How a column arrives. Chosen from SQLDescribeCol's SQL type:
 * integer types -> VAL_INT; DECIMAL/NUMERIC/FLOAT/REAL/DOUBLE -> VAL_DEC
 * (read as text, parsed exactly by money_parse; on a source, a value of
 * an approximate type (FLOAT/REAL/DOUBLE) that cannot be proven to be
 * the decimal it shows is marked with `approx` instead, see
 * docs/CONNECTORS.md "Approximate columns"); DATE/TIME/TIMESTAMP ->
 * VAL_TIME (read as text, parsed by tstamp_parse); everything else ->
 * VAL_TEXT (UTF-8, validated). A NULL of any column is VAL_NULL. */
enum val_type { VAL_NULL = 0, VAL_INT, VAL_DEC, VAL_TEXT, VAL_TIME };

struct value {
	enum val_type type;
	int64_t i;	/* VAL_INT: the integer; VAL_DEC: money (scale 4);
			 * VAL_TIME: epoch seconds */
	const char *s;	/* VAL_TEXT: bytes (NUL-terminated), and for
			 * VAL_DEC/VAL_TIME the source text; borrowed until
			 * the next cursor_next() */
	size_t len;
	/* NULL if the value is what it says. Else (sources only) the
	 * column's type as a phrase, static text: "DOUBLE (approximate)",
	 * "REAL (approximate)", "FLOAT (approximate)" for VAL_DEC (i is
	 * then 0), or "DECIMAL, stored by SQLite as a double," for VAL_TEXT
	 * of a SQLite column declared DECIMAL; s holds the driver's text,
	 * which is not provably the exact decimal. Readers must refuse
	 * such a value (rules raise). */
	const char *approx;
	/* VAL_TEXT of a source's SQLite column declared DECIMAL (which
	 * sqliteodbc describes as text; see approx) whose text is provably
	 * the exact decimal it shows: 1, and i holds it as money (scale 4),
	 * as for VAL_DEC. Else 0. Row fingerprints take such a value as a
	 * number (engine/rowfp.h); rules still see the text. */
	unsigned char dec_text;
};

/* One row, borrowed until the next cursor_next() or cursor_close(). */
struct row {
	size_t ncols;
	const char *const *names;	/* column labels, lower-cased as given */
	const struct value *vals;
	uint64_t rowno;			/* 1-based */
};

/* A bound query parameter: text (SQL_C_CHAR), or NULL if s is NULL.
 * type PARAM_TEXT binds it as SQL_VARCHAR; PARAM_TIMESTAMP binds the text
 * "YYYY-MM-DD HH:MM:SS" as SQL_TYPE_TIMESTAMP (column size 19) so that
 * `ts_col <= ?` works on PostgreSQL as well as on SQLite's text
 * timestamps. Zero-initialised params are text. */
enum param_type { PARAM_TEXT = 0, PARAM_TIMESTAMP = 1 };

struct param {
	const char *s;
	size_t len;
	int type;	/* enum param_type */
};

/* A text parameter of s (borrowed; NULL: SQL NULL). */
static inline struct param param_text(const char *s)
{
	struct param p = { s, s ? strlen(s) : 0, PARAM_TEXT };

	return p;
}

struct conn;
struct cursor;
struct writer;

/* Connect to a DSN defined in odbc.ini (ODBCINI); credentials come from
 * odbc.ini or, if set, the environment variables RECON_<DSN>_UID and
 * RECON_<DSN>_PWD (DSN upper-cased, non-alphanumerics as '_'); they are
 * never logged. *out is owned by the caller (conn_close). */
int conn_open(const char *dsn, struct conn **out, struct error *err);
/*
 * Connect to a source: conn_open(), then make the connection read-only
 * where the driver allows it. SQL_ATTR_ACCESS_MODE = SQL_MODE_READ_ONLY
 * is asked of every driver (sqliteodbc and psqlODBC accept and ignore
 * it), and the DBMS (SQL_DBMS_NAME) gets its own session setting:
 * SQLite `PRAGMA query_only = 1`, PostgreSQL `SET SESSION
 * CHARACTERISTICS AS TRANSACTION READ ONLY`, MySQL/MariaDB `SET SESSION
 * TRANSACTION READ ONLY` (ERR_SOURCE if that statement fails). On such a
 * connection cursor_open() and conn_exec() refuse, before anything is
 * run, a statement whose first keyword is not SELECT, WITH, VALUES or
 * TABLE (ERR_SOURCE naming the keyword), and conn_begin() refuses: a
 * source is never committed to.
 */
int conn_open_source(const char *dsn, struct conn **out, struct error *err);
/* Close and free; NULL is fine. */
void conn_close(struct conn *c);
const char *conn_dsn(const struct conn *c);
/* "SQLite", "PostgreSQL", ... from SQLGetInfo(SQL_DBMS_NAME); borrowed. */
const char *conn_dbms(const struct conn *c);
/* The DBMS's dialect (engine/dialect.h), chosen once at connect from
 * SQL_DBMS_NAME: the ANSI default for a DBMS it does not know. */
struct dialect;
const struct dialect *conn_dialect(const struct conn *c);

/* Transactions (autocommit off between begin and commit/rollback).
 * conn_begin_write: for a short transaction that reads before it
 * writes: on SQLite BEGIN IMMEDIATE ... COMMIT statements instead, the
 * write lock taken at begin, so that two such transactions queue rather
 * than wait on each other (docs/CONNECTORS.md, "Transactions"). */
int conn_begin(struct conn *c, struct error *err);
int conn_begin_write(struct conn *c, struct error *err);
int conn_commit(struct conn *c, struct error *err);
int conn_rollback(struct conn *c, struct error *err);

/* Run one statement with bound text parameters, no result expected
 * (DDL, small inserts). */
int conn_exec(struct conn *c, const char *sql, const struct param *params,
	      size_t nparams, struct error *err);

/*
 * Run a query and open a cursor on its result. array_size rows are
 * fetched per SQLFetch (0: the default, 1000). Text columns are bound to
 * buffers of at most text_cap bytes (0: default 256); longer values are
 * completed with SQLGetData (SQLSTATE 01004), up to max_value bytes
 * (0: default 1 MiB), beyond which the row is an ERR_DATA error.
 * The cursor borrows c.
 */
int cursor_open(struct conn *c, const char *sql, const struct param *params,
		size_t nparams, size_t array_size, struct cursor **out,
		struct error *err);
/* Name the rows of ERR_DATA errors by the value of column `name` (as
 * the result labels it, lower-cased; NULL: by number only):
 * "row id 'INV-0042' (row 225), column 'amount': ...". The id is given
 * when it can be read from the same row: not NULL, not itself the bad
 * value, valid UTF-8, at most 200 bytes; otherwise "row 225, ...". Call
 * before the first cursor_next(). */
void cursor_id_column(struct cursor *cur, const char *name);
/* Next row: 1 and *row set, 0 at the end, -1 on error (ERR_SOURCE, or
 * ERR_DATA naming the row (see cursor_id_column) and column for bad
 * UTF-8, an amount that does not fit, an unreadable date). */
int cursor_next(struct cursor *cur, const struct row **row, struct error *err);
void cursor_close(struct cursor *cur);

/*
 * Insert rows into `table` (an identifier the caller has validated) with
 * the named columns (table and columns quoted in the DBMS's dialect),
 * batching `batch` rows per multi-row INSERT (0: the default, 100; never
 * more than the dialect's rows per VALUES or parameters per statement
 * allow). Values are given row by row with writer_add(); the
 * writer owns copies until they are sent. Everything happens in the
 * caller's transaction. The writer borrows c: close it before c.
 *
 * Full batches execute on the writer's own thread while the caller fills
 * the next one (at most one batch in flight, one filling; both buffers
 * are the writer's). The rule for the connection: only one thread uses
 * it at a time. Every other call on c (conn_exec, cursor_open/next/close,
 * conn_begin/commit/rollback, conn_close, writer_open, another writer's
 * batch) first waits for a batch in flight, so the caller needs no
 * locking of its own; conn_commit refuses, with the batch's error, to
 * commit past a batch that failed in flight and that writer_add or
 * writer_flush has not reported yet. Without a thread (pthread_create
 * failed) batches run on the caller's thread.
 */
int writer_open(struct conn *c, const char *table, const char *const *cols,
		size_t ncols, size_t batch, struct writer **out,
		struct error *err);
/* Add one row of ncols parameters (text or NULL): 0, or -1 with err set.
 * The row that fills a batch hands it off. A failure of a batch in
 * flight (ERR_STORE with the driver's SQLSTATE, message and the table
 * and DSN as context) is returned by the first writer_add after the batch
 * finished, at the latest by the one that hands off the next batch.
 * After any failure the writer sends nothing more and every later
 * writer_add/writer_flush returns the same error. */
int writer_add(struct writer *w, const struct param *vals, struct error *err);
/* Send what is buffered and wait until every row added so far is sent:
 * 0, or -1 with the first failure. */
int writer_flush(struct writer *w, struct error *err);
/* Wait for a batch in flight, stop the thread and free, also after a
 * failure. Rows still buffered are not sent. NULL is fine. */
void writer_close(struct writer *w);
/* Rows of the batches sent successfully so far (exact after
 * writer_flush). */
uint64_t writer_count(const struct writer *w);

#endif
