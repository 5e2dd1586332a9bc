/*
 * odbc_int.h - private to the ODBC connector and its tests.
 *
 * Every ODBC function the connector calls goes through the table
 * `odbc_api` (after SQLite's aSyscall[]): it points at the real unixODBC
 * functions by default, and tests replace entries to make any call fail
 * with a chosen SQLSTATE. Nothing outside connectors/odbc.c and
 * tests/unit/test_odbc.c includes this header.
 *
 * The fault helper (odbc_fault_after) is the "succeed N times, then fail"
 * countdown of STYLE.md practice 13: while armed, every counted call
 * through the table after the first n fails with SQL_ERROR and the next
 * diagnostics read reports the injected SQLSTATE. Cleanup calls
 * (SQLFreeHandle, SQLDisconnect, SQLCloseCursor, SQLFreeStmt) and
 * SQLGetDiagRec are never failed: a failed free would be a leak of our
 * own making, not a path the connector can handle.
 */
#ifndef RECON_ODBC_INT_H
#define RECON_ODBC_INT_H

#include <stddef.h>

#include <sql.h>
#include <sqlext.h>

#include "connector.h"

/* The replaceable table; member names drop the SQL prefix (we never
 * borrow a library's prefix). */
struct odbc_api {
	SQLRETURN (*alloc_handle)(SQLSMALLINT type, SQLHANDLE in,
				  SQLHANDLE *out);
	SQLRETURN (*set_env_attr)(SQLHENV env, SQLINTEGER attr, SQLPOINTER v,
				  SQLINTEGER len);
	SQLRETURN (*driver_connect)(SQLHDBC dbc, SQLHWND win, SQLCHAR *in,
				    SQLSMALLINT inlen, SQLCHAR *out,
				    SQLSMALLINT outmax, SQLSMALLINT *outlen,
				    SQLUSMALLINT completion);
	SQLRETURN (*set_connect_attr)(SQLHDBC dbc, SQLINTEGER attr,
				      SQLPOINTER v, SQLINTEGER len);
	SQLRETURN (*get_info)(SQLHDBC dbc, SQLUSMALLINT what, SQLPOINTER v,
			      SQLSMALLINT max, SQLSMALLINT *len);
	SQLRETURN (*exec_direct)(SQLHSTMT st, SQLCHAR *sql, SQLINTEGER len);
	SQLRETURN (*prepare)(SQLHSTMT st, SQLCHAR *sql, SQLINTEGER len);
	SQLRETURN (*bind_parameter)(SQLHSTMT st, SQLUSMALLINT n,
				    SQLSMALLINT io, SQLSMALLINT ctype,
				    SQLSMALLINT sqltype, SQLULEN size,
				    SQLSMALLINT digits, SQLPOINTER buf,
				    SQLLEN buflen, SQLLEN *ind);
	SQLRETURN (*execute)(SQLHSTMT st);
	SQLRETURN (*num_result_cols)(SQLHSTMT st, SQLSMALLINT *n);
	SQLRETURN (*describe_col)(SQLHSTMT st, SQLUSMALLINT col,
				  SQLCHAR *name, SQLSMALLINT max,
				  SQLSMALLINT *namelen, SQLSMALLINT *type,
				  SQLULEN *size, SQLSMALLINT *digits,
				  SQLSMALLINT *nullable);
	SQLRETURN (*col_attribute)(SQLHSTMT st, SQLUSMALLINT col,
				   SQLUSMALLINT field, SQLPOINTER buf,
				   SQLSMALLINT max, SQLSMALLINT *len,
				   SQLLEN *num);
	SQLRETURN (*set_stmt_attr)(SQLHSTMT st, SQLINTEGER attr, SQLPOINTER v,
				   SQLINTEGER len);
	SQLRETURN (*bind_col)(SQLHSTMT st, SQLUSMALLINT col, SQLSMALLINT ctype,
			      SQLPOINTER buf, SQLLEN buflen, SQLLEN *ind);
	SQLRETURN (*fetch)(SQLHSTMT st);
	SQLRETURN (*get_data)(SQLHSTMT st, SQLUSMALLINT col, SQLSMALLINT ctype,
			      SQLPOINTER buf, SQLLEN buflen, SQLLEN *ind);
	SQLRETURN (*set_pos)(SQLHSTMT st, SQLSETPOSIROW row, SQLUSMALLINT op,
			     SQLUSMALLINT lock);
	SQLRETURN (*end_tran)(SQLSMALLINT type, SQLHANDLE h,
			      SQLSMALLINT completion);
	SQLRETURN (*more_results)(SQLHSTMT st);
	SQLRETURN (*get_diag_rec)(SQLSMALLINT type, SQLHANDLE h,
				  SQLSMALLINT rec, SQLCHAR *state,
				  SQLINTEGER *native, SQLCHAR *msg,
				  SQLSMALLINT max, SQLSMALLINT *len);
	/* Cleanup: never failed by the fault helper. */
	SQLRETURN (*close_cursor)(SQLHSTMT st);
	SQLRETURN (*free_stmt)(SQLHSTMT st, SQLUSMALLINT option);
	SQLRETURN (*disconnect)(SQLHDBC dbc);
	SQLRETURN (*free_handle)(SQLSMALLINT type, SQLHANDLE h);
	/* odbcinst's SQLGetPrivateProfileString, read only to name a
	 * DSN's database in a connect failure; never failed either. */
	int (*profile_string)(const char *section, const char *key,
			      const char *dflt, char *out, int size,
			      const char *file);
};

/* The table the connector calls through. Process-wide on purpose, like
 * mem_fault_after(): it exists for tests, and production code never
 * writes it. */
extern struct odbc_api odbc_api;
/* The real unixODBC functions (what odbc_api holds by default). */
extern const struct odbc_api odbc_api_real;
/* Put the real functions back and disarm the fault helper. */
void odbc_api_reset(void);

/*
 * Fault helper: install counting wrappers for every non-cleanup entry
 * (on top of whatever the table holds now). After n more successful
 * counted calls, the next counted call fails with SQL_ERROR without
 * reaching the driver, and the diagnostics read right after it report
 * `sqlstate` (5 characters, copied), native error `native`, and the
 * message "injected fault". Only the first counted call after the
 * countdown fails; later calls succeed again (so cleanup paths run
 * normally). odbc_api_reset() removes the wrappers.
 */
void odbc_fault_after(long n, const char *sqlstate, long native);
/* Number of calls failed since odbc_fault_after(). */
long odbc_fault_hits(void);

/* Test hook: while nonzero, writer_open() starts no writer thread and
 * every batch runs on the caller's thread when it is handed off (what
 * happens when pthread_create fails). Process-wide like odbc_api; tests
 * compare the two modes. */
extern int odbc_writer_sync;

/* Cursor options beyond the public cursor_open(); 0 means the default. */
enum odbc_complete {
	ODBC_COMPLETE_AUTO = 0,	/* positioned if SQL_GD_BLOCK, else re-execute */
	ODBC_COMPLETE_POSITIONED,	/* SQLSetPos + SQLGetData */
	ODBC_COMPLETE_REEXECUTE		/* grow the buffer, run again, skip */
};

struct odbc_cursor_opts {
	size_t array_size;	/* rows per SQLFetch (default 1000) */
	size_t text_cap;	/* bytes per bound text cell (default 256) */
	size_t max_value;	/* longest value taken (default 1 MiB) */
	enum odbc_complete complete;
};

#define ODBC_ARRAY_DEFAULT 1000
#define ODBC_TEXT_CAP_DEFAULT 256
#define ODBC_MAX_VALUE_DEFAULT ((size_t)1 << 20)
#define ODBC_BATCH_DEFAULT 100

/* Rows per multi-row INSERT of a writer with ncols columns asked for
 * `batch` (0: ODBC_BATCH_DEFAULT): at most d's rows_max and as many as
 * d's params_max allows (at least 1). */
struct dialect;
size_t odbc_batch_rows(const struct dialect *d, size_t ncols, size_t batch);

/* cursor_open() with options; opts may be NULL (all defaults). */
int odbc_cursor_open(struct conn *c, const char *sql,
		     const struct param *params, size_t nparams,
		     const struct odbc_cursor_opts *opts, struct cursor **out,
		     struct error *err);

/*
 * SQLite and parameters (connectors/sqlparam.c): sqliteodbc streams a
 * result only for a statement without parameters, outside a transaction;
 * with parameters it holds the whole result in memory. On a SQLite
 * connection outside a transaction, odbc_cursor_open() therefore stores
 * the values in a temporary table with a bound INSERT (set number g) and
 * runs the query rewritten by odbc_sqlite_rewrite(): each `?` becomes
 * "(SELECT v FROM temp.recon_param WHERE g = G AND i = K)".
 * Returns 1 (rewritten into out), 0 (declined: numbered or named
 * parameters, a count that differs, an unterminated quote; run the query
 * as it is) or -1 (out of memory).
 */
int odbc_sqlite_rewrite(const char *sql, size_t nparams, unsigned long long g,
			struct sbuf *out);

/*
 * The read-only check of source queries (conn_open_source): *kw and *len
 * are the query's first keyword after blanks, comments and opening
 * parentheses (borrowed from sql; *len 0 if there is none). 1 if it is
 * SELECT, WITH, VALUES or TABLE (any case), else 0. A WITH may still
 * hold a data-modifying statement (WITH x AS (...) UPDATE ..., or a
 * PostgreSQL CTE): the read-only session stops those.
 */
int odbc_is_query(const char *sql, const char **kw, size_t *len);
void odbc_first_keyword(const char *sql, const char **kw, size_t *len);

/* How many times the cursor re-ran its query to complete long values
 * (ODBC_COMPLETE_REEXECUTE). For tests and the doc. */
unsigned odbc_cursor_reexecs(const struct cursor *cur);

/* Build the connection string for dsn into out: "DSN=...;" plus UID/PWD
 * from RECON_<DSN>_UID / RECON_<DSN>_PWD when set, each value quoted with
 * {} when it needs it. Exposed for tests. 0, or -1 on sbuf failure. */
int odbc_connstr(const char *dsn, struct sbuf *out);
/* The environment variable name for dsn and what ("UID" or "PWD"). */
int odbc_env_name(const char *dsn, const char *what, struct sbuf *out);

#endif
