/*
 * odbc.c - the ODBC connector (connector.h), any unixODBC driver.
 *
 * Reading: a cursor block-fetches SQL_ATTR_ROW_ARRAY_SIZE rows per
 * SQLFetch into column-wise arrays, every column bound as SQL_C_CHAR text
 * and converted here (integers by strtoll, amounts by money_parse, times
 * by tstamp_parse: nothing goes through double). Bind buffers are capped
 * (text_cap bytes per text cell), never sized from SQLDescribeCol, which
 * says 65536 (sqliteodbc) or 8190 (psqlODBC) for TEXT.
 *
 * A value longer than its buffer is completed in one of two ways, chosen
 * per cursor from what the driver advertises (docs/CONNECTORS.md):
 *
 *  - positioned (SQL_GETDATA_EXTENSIONS has SQL_GD_BLOCK; psqlODBC):
 *    SQLSetPos(row, SQL_POSITION) then SQLGetData for the cell.
 *  - re-execute (no SQL_GD_BLOCK; sqliteodbc, whose SQLSetPos fails with
 *    "incompatible statement" and whose unpositioned SQLGetData reads the
 *    wrong row): grow that column's buffer to the longest length the
 *    indicators reported, run the query again, skip the rows already
 *    handed out and go on. A 64-bit hash of every delivered row is kept;
 *    the skipped rows must hash the same, or the cursor fails with
 *    ERR_SOURCE instead of delivering a different result. Buffers only
 *    grow, to at most max_value + 1, so this terminates.
 *
 * A value over max_value is ERR_DATA naming the row and column.
 *
 * Writing: multi-row INSERT ... VALUES (?,..),(?,..) of `batch` rows,
 * prepared once for the full batch and re-executed; the final partial
 * batch gets its own statement. Values are copied into the writer and
 * bound as SQL_C_CHAR. Full batches execute on the writer's thread while
 * the caller fills the next one; see "writers" below for the rules.
 *
 * Sources (conn_open_source) are read-only: the access mode and the
 * DBMS's read-only session are set at connect, statements that are not
 * queries are refused before they are sent, and no transaction is
 * opened. Their approximate columns (FLOAT/REAL/DOUBLE) are taken as
 * money only when the text proves the value exact (value.approx).
 *
 * Every ODBC call goes through odbc_api (odbc_int.h) so tests can fail
 * any of them with a chosen SQLSTATE. Credentials never reach a message:
 * driver diagnostics are scrubbed of the UID and PWD we passed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <odbcinst.h>

#include "connectors/odbc_int.h"
#include "engine/phase.h"
#include "engine/buf.h"
#include "engine/dialect.h"
#include "engine/err.h"
#include "engine/mem.h"
#include "engine/money.h"
#include "engine/stop.h"
#include "engine/text.h"
#include "engine/tstamp.h"
#include "engine/banned.h"

#define DIAG_RECORDS_MAX 8
#define DIAG_TEXT_MAX 1024
#define NAME_CAP ((size_t)4096)
#define DBMS_CAP ((size_t)1024)
#define CONNSTR_CAP ((size_t)65536)
#define SQL_CAP ((size_t)16 << 20)
/* The most parameters any statement binds, whatever the dialect says
 * (SQLite's default SQLITE_MAX_VARIABLE_NUMBER); each DBMS's own limit
 * (struct dialect, params_max) may be lower. */
#define PARAMS_MAX 32766

/* ---- the replaceable table ------------------------------------------ */

static int profile_string_real(const char *section, const char *key,
			       const char *dflt, char *out, int size,
			       const char *file)
{
	return SQLGetPrivateProfileString(section, key, dflt, out, size, file);
}

const struct odbc_api odbc_api_real = {
	SQLAllocHandle, SQLSetEnvAttr, SQLDriverConnect, SQLSetConnectAttr,
	SQLGetInfo, SQLExecDirect, SQLPrepare, SQLBindParameter, SQLExecute,
	SQLNumResultCols, SQLDescribeCol, SQLColAttribute, SQLSetStmtAttr,
	SQLBindCol, SQLFetch,
	SQLGetData, SQLSetPos, SQLEndTran, SQLMoreResults, SQLGetDiagRec,
	SQLCloseCursor, SQLFreeStmt, SQLDisconnect, SQLFreeHandle,
	profile_string_real,
};

struct odbc_api odbc_api = {
	SQLAllocHandle, SQLSetEnvAttr, SQLDriverConnect, SQLSetConnectAttr,
	SQLGetInfo, SQLExecDirect, SQLPrepare, SQLBindParameter, SQLExecute,
	SQLNumResultCols, SQLDescribeCol, SQLColAttribute, SQLSetStmtAttr,
	SQLBindCol, SQLFetch,
	SQLGetData, SQLSetPos, SQLEndTran, SQLMoreResults, SQLGetDiagRec,
	SQLCloseCursor, SQLFreeStmt, SQLDisconnect, SQLFreeHandle,
	profile_string_real,
};

/* Fault helper state: test-only, like mem.c's countdown. Several
 * sources are read at once (engine/read.c) and the store writes from a
 * thread of its own, so calls are counted under a lock and the injected
 * diagnostics belong to the handle whose call failed: a later call on
 * that handle clears them, calls on other handles do not. */
static struct odbc_api fault_inner;
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static long fault_countdown = -1;
static long fault_hits;
static int fault_pending;
static SQLHANDLE fault_handle;
static char fault_state[6];
static long fault_native;

void odbc_api_reset(void)
{
	odbc_api = odbc_api_real;
	pthread_mutex_lock(&fault_lock);
	fault_countdown = -1;
	fault_pending = 0;
	pthread_mutex_unlock(&fault_lock);
}

long odbc_fault_hits(void)
{
	long n;

	pthread_mutex_lock(&fault_lock);
	n = fault_hits;
	pthread_mutex_unlock(&fault_lock);
	return n;
}

/* 1 if this counted call, on handle h, is to fail. */
static int fault_tick(SQLHANDLE h)
{
	int hit = 0;

	pthread_mutex_lock(&fault_lock);
	if (fault_pending && fault_handle == h)
		fault_pending = 0;
	if (fault_countdown == 0) {
		fault_countdown = -1;
		fault_hits++;
		fault_pending = 1;
		fault_handle = h;
		hit = 1;
	} else if (fault_countdown > 0) {
		fault_countdown--;
	}
	pthread_mutex_unlock(&fault_lock);
	return hit;
}

static SQLRETURN f_alloc_handle(SQLSMALLINT t, SQLHANDLE in, SQLHANDLE *out)
{
	if (fault_tick(in)) {
		*out = SQL_NULL_HANDLE;
		return SQL_ERROR;
	}
	return fault_inner.alloc_handle(t, in, out);
}

static SQLRETURN f_set_env_attr(SQLHENV e, SQLINTEGER a, SQLPOINTER v,
				SQLINTEGER l)
{
	return fault_tick(e) ? SQL_ERROR : fault_inner.set_env_attr(e, a, v, l);
}

static SQLRETURN f_driver_connect(SQLHDBC d, SQLHWND w, SQLCHAR *in,
				  SQLSMALLINT il, SQLCHAR *out,
				  SQLSMALLINT om, SQLSMALLINT *ol,
				  SQLUSMALLINT c)
{
	return fault_tick(d) ? SQL_ERROR :
		fault_inner.driver_connect(d, w, in, il, out, om, ol, c);
}

static SQLRETURN f_set_connect_attr(SQLHDBC d, SQLINTEGER a, SQLPOINTER v,
				    SQLINTEGER l)
{
	return fault_tick(d) ? SQL_ERROR :
		fault_inner.set_connect_attr(d, a, v, l);
}

static SQLRETURN f_get_info(SQLHDBC d, SQLUSMALLINT w, SQLPOINTER v,
			    SQLSMALLINT m, SQLSMALLINT *l)
{
	return fault_tick(d) ? SQL_ERROR : fault_inner.get_info(d, w, v, m, l);
}

static SQLRETURN f_exec_direct(SQLHSTMT s, SQLCHAR *q, SQLINTEGER l)
{
	return fault_tick(s) ? SQL_ERROR : fault_inner.exec_direct(s, q, l);
}

static SQLRETURN f_prepare(SQLHSTMT s, SQLCHAR *q, SQLINTEGER l)
{
	return fault_tick(s) ? SQL_ERROR : fault_inner.prepare(s, q, l);
}

static SQLRETURN f_bind_parameter(SQLHSTMT s, SQLUSMALLINT n, SQLSMALLINT io,
				  SQLSMALLINT ct, SQLSMALLINT st, SQLULEN sz,
				  SQLSMALLINT dg, SQLPOINTER b, SQLLEN bl,
				  SQLLEN *ind)
{
	return fault_tick(s) ? SQL_ERROR :
		fault_inner.bind_parameter(s, n, io, ct, st, sz, dg, b, bl, ind);
}

static SQLRETURN f_execute(SQLHSTMT s)
{
	return fault_tick(s) ? SQL_ERROR : fault_inner.execute(s);
}

static SQLRETURN f_num_result_cols(SQLHSTMT s, SQLSMALLINT *n)
{
	return fault_tick(s) ? SQL_ERROR : fault_inner.num_result_cols(s, n);
}

static SQLRETURN f_describe_col(SQLHSTMT s, SQLUSMALLINT c, SQLCHAR *nm,
				SQLSMALLINT mx, SQLSMALLINT *nl,
				SQLSMALLINT *t, SQLULEN *sz, SQLSMALLINT *dg,
				SQLSMALLINT *nu)
{
	return fault_tick(s) ? SQL_ERROR :
		fault_inner.describe_col(s, c, nm, mx, nl, t, sz, dg, nu);
}

static SQLRETURN f_col_attribute(SQLHSTMT s, SQLUSMALLINT c, SQLUSMALLINT f,
				 SQLPOINTER b, SQLSMALLINT m, SQLSMALLINT *l,
				 SQLLEN *num)
{
	return fault_tick(s) ? SQL_ERROR :
		fault_inner.col_attribute(s, c, f, b, m, l, num);
}

static SQLRETURN f_set_stmt_attr(SQLHSTMT s, SQLINTEGER a, SQLPOINTER v,
				 SQLINTEGER l)
{
	return fault_tick(s) ? SQL_ERROR : fault_inner.set_stmt_attr(s, a, v, l);
}

static SQLRETURN f_bind_col(SQLHSTMT s, SQLUSMALLINT c, SQLSMALLINT t,
			    SQLPOINTER b, SQLLEN bl, SQLLEN *ind)
{
	return fault_tick(s) ? SQL_ERROR : fault_inner.bind_col(s, c, t, b, bl, ind);
}

static SQLRETURN f_fetch(SQLHSTMT s)
{
	return fault_tick(s) ? SQL_ERROR : fault_inner.fetch(s);
}

static SQLRETURN f_get_data(SQLHSTMT s, SQLUSMALLINT c, SQLSMALLINT t,
			    SQLPOINTER b, SQLLEN bl, SQLLEN *ind)
{
	return fault_tick(s) ? SQL_ERROR : fault_inner.get_data(s, c, t, b, bl, ind);
}

static SQLRETURN f_set_pos(SQLHSTMT s, SQLSETPOSIROW r, SQLUSMALLINT o,
			   SQLUSMALLINT l)
{
	return fault_tick(s) ? SQL_ERROR : fault_inner.set_pos(s, r, o, l);
}

static SQLRETURN f_end_tran(SQLSMALLINT t, SQLHANDLE h, SQLSMALLINT c)
{
	return fault_tick(h) ? SQL_ERROR : fault_inner.end_tran(t, h, c);
}

static SQLRETURN f_more_results(SQLHSTMT s)
{
	return fault_tick(s) ? SQL_ERROR : fault_inner.more_results(s);
}

static SQLRETURN f_get_diag_rec(SQLSMALLINT t, SQLHANDLE h, SQLSMALLINT rec,
				SQLCHAR *state, SQLINTEGER *native,
				SQLCHAR *msg, SQLSMALLINT max, SQLSMALLINT *len)
{
	static const char text[] = "injected fault";
	int mine;

	pthread_mutex_lock(&fault_lock);
	mine = fault_pending && fault_handle == h;
	pthread_mutex_unlock(&fault_lock);
	if (!mine)
		return fault_inner.get_diag_rec(t, h, rec, state, native, msg,
						max, len);
	if (rec != 1)
		return SQL_NO_DATA;
	memcpy(state, fault_state, 6);
	*native = (SQLINTEGER)fault_native;
	if (max > 0) {
		size_t n = sizeof(text) - 1;

		if (n > (size_t)max - 1)
			n = (size_t)max - 1;
		memcpy(msg, text, n);
		msg[n] = '\0';
	}
	if (len)
		*len = (SQLSMALLINT)(sizeof(text) - 1);
	return SQL_SUCCESS;
}

void odbc_fault_after(long n, const char *sqlstate, long native)
{
	size_t k = strlen(sqlstate);

	if (odbc_api.fetch != f_fetch)	/* not wrapped yet */
		fault_inner = odbc_api;
	if (k > 5)
		k = 5;
	memcpy(fault_state, sqlstate, k);
	fault_state[k] = '\0';
	fault_native = native;
	pthread_mutex_lock(&fault_lock);
	fault_countdown = n;
	fault_hits = 0;
	fault_pending = 0;
	pthread_mutex_unlock(&fault_lock);
	odbc_api.alloc_handle = f_alloc_handle;
	odbc_api.set_env_attr = f_set_env_attr;
	odbc_api.driver_connect = f_driver_connect;
	odbc_api.set_connect_attr = f_set_connect_attr;
	odbc_api.get_info = f_get_info;
	odbc_api.exec_direct = f_exec_direct;
	odbc_api.prepare = f_prepare;
	odbc_api.bind_parameter = f_bind_parameter;
	odbc_api.execute = f_execute;
	odbc_api.num_result_cols = f_num_result_cols;
	odbc_api.describe_col = f_describe_col;
	odbc_api.col_attribute = f_col_attribute;
	odbc_api.set_stmt_attr = f_set_stmt_attr;
	odbc_api.bind_col = f_bind_col;
	odbc_api.fetch = f_fetch;
	odbc_api.get_data = f_get_data;
	odbc_api.set_pos = f_set_pos;
	odbc_api.end_tran = f_end_tran;
	odbc_api.more_results = f_more_results;
	odbc_api.get_diag_rec = f_get_diag_rec;
}

/* ---- connections ------------------------------------------------------ */

struct conn {
	SQLHENV env;
	SQLHDBC dbc;
	int connected;
	int in_tx;
	int sql_tx;		/* in_tx begun by the dialect's begin_sql */
	int gd_block;		/* SQLGetData works on block cursors */
	int broken;		/* state unknown (broken_why): refuse more work */
	const char *broken_why;	/* static text */
	/* A source (conn_open_source): only queries, no transactions. The
	 * DBMS's read-only session statement, and the one that lifts it
	 * (SQLite only, around the engine's own parameter insert), or NULL;
	 * chosen once from SQL_DBMS_NAME. */
	int read_only;
	const char *ro_on, *ro_off;
	/* The driver renders an approximate value as text with 15
	 * significant digits (sqliteodbc: SQLite's own REAL-to-text), so
	 * such text with exactly 15 may be a rounding. */
	int real15;
	char *dsn;		/* owned */
	char *dbms;		/* owned */
	/* chosen once from dbms; never NULL after connect */
	const struct dialect *d;
	char *uid, *pwd;	/* owned, wiped on close; scrubbed from messages */
	unsigned long long param_sets;	/* SQLite: sets in temp.recon_param */
	/* The writer whose batch is executing on its thread, or NULL. Only
	 * one thread uses the connection at a time: every entry point that
	 * touches it waits for this batch first (conn_drain). */
	struct writer *inflight;
	/* A writer whose failed batch its caller has not been told about
	 * yet (NULL if none): conn_commit refuses to commit past it. */
	struct writer *unreported;
};

static int check_usable(struct conn *c, struct error *err);
static void conn_drain(struct conn *c);
static int writer_report(struct writer *w, struct error *err);

static int is_alnum(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9');
}

static void wipe_free(char *s)
{
	if (s) {
		volatile char *p = s;

		while (*p)
			*p++ = '\0';
		mem_free(s);
	}
}

static void wipe_sbuf(struct sbuf *sb)
{
	if (sb->alloc) {
		volatile char *p = sb->buf;
		size_t i;

		for (i = 0; i < sb->alloc; i++)
			p[i] = '\0';
	}
	sbuf_release(sb);
}

/* Replace every occurrence of secret in msg by "***". */
static void scrub(struct sbuf *msg, const char *secret)
{
	struct sbuf out = SBUF_INIT(SBUF_CAP_DEFAULT);
	size_t n, i = 0;
	const char *hit;

	if (!secret || !*secret || !msg->len)
		return;
	n = strlen(secret);
	if (!strstr(msg->buf, secret))
		return;
	while ((hit = strstr(msg->buf + i, secret)) != NULL) {
		sbuf_add(&out, msg->buf + i, (size_t)(hit - (msg->buf + i)));
		sbuf_addstr(&out, "***");
		i = (size_t)(hit - msg->buf) + n;
	}
	sbuf_addstr(&out, msg->buf + i);
	if (out.failed) {
		/* cannot rebuild: drop the driver's text rather than leak */
		sbuf_reset(msg);
		sbuf_addstr(msg, "(driver message withheld: out of memory)");
	} else {
		sbuf_reset(msg);
		sbuf_add(msg, out.buf, out.len);
	}
	wipe_sbuf(&out);
}

/*
 * Record an ODBC failure: `code`, "<what>: <driver messages>", the first
 * record's SQLSTATE and native code, and context "dsn 'X'". Reads the
 * diagnostics of (htype, h); h may be SQL_NULL_HANDLE. Returns -1.
 */
static int odbc_fail(struct error *err, enum err_code code,
		     const struct conn *c, SQLSMALLINT htype, SQLHANDLE h,
		     const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int odbc_fail(struct error *err, enum err_code code,
		     const struct conn *c, SQLSMALLINT htype, SQLHANDLE h,
		     const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT((size_t)64 << 10);
	char state[6] = "";
	long native = 0;
	SQLSMALLINT i;
	va_list ap;

	if (!err || err->code != ERR_OK)
		return -1;
	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	for (i = 1; i <= DIAG_RECORDS_MAX; i++) {
		SQLCHAR st[6], text[DIAG_TEXT_MAX];
		SQLINTEGER nat = 0;
		SQLSMALLINT len = 0;
		SQLRETURN rc;
		size_t n;

		memset(st, 0, sizeof(st));
		text[0] = '\0';
		rc = odbc_api.get_diag_rec(htype, h, i, st, &nat, text,
					   (SQLSMALLINT)sizeof(text), &len);
		if (rc != SQL_SUCCESS && rc != SQL_SUCCESS_WITH_INFO)
			break;
		st[5] = '\0';
		/* a message longer than the buffer was cut by the driver
		 * (SQL_SUCCESS_WITH_INFO); the bounded prefix is enough */
		n = strnlen((const char *)text, sizeof(text));
		while (n && (text[n - 1] == '\n' || text[n - 1] == ' ' ||
			     text[n - 1] == '\r'))
			n--;
		sbuf_addstr(&msg, i == 1 ? ": " : "; ");
		for (size_t k = 0; k < n; k++)
			sbuf_addch(&msg, text[k] == '\n' || text[k] == '\r' ?
				   ' ' : text[k]);
		if (i == 1) {
			memcpy(state, st, 6);
			native = (long)nat;
		} else {
			sbuf_addf(&msg, " (SQLSTATE %s)", (const char *)st);
		}
	}
	if (i == 1)
		sbuf_addstr(&msg, ": no diagnostics from the driver");
	if (c) {
		scrub(&msg, c->pwd);
		scrub(&msg, c->uid);
	}
	if (msg.failed && !msg.len)
		error_set(err, ERR_NOMEM, "out of memory");
	else
		error_set(err, code, "%s", msg.buf);
	if (state[0])
		error_sqlstate(err, state, native);
	if (c && c->dsn)
		error_context(err, "dsn '%s'", c->dsn);
	sbuf_release(&msg);
	return -1;
}

static int nomem(struct error *err, const struct conn *c)
{
	if (!err || err->code != ERR_OK)
		return -1;
	error_set(err, ERR_NOMEM, "out of memory");
	if (c && c->dsn)
		error_context(err, "dsn '%s'", c->dsn);
	return -1;
}

int odbc_env_name(const char *dsn, const char *what, struct sbuf *out)
{
	const char *p;

	sbuf_addstr(out, "RECON_");
	for (p = dsn; *p; p++) {
		int ch = (unsigned char)*p;

		if (ch >= 'a' && ch <= 'z')
			ch -= 'a' - 'A';
		else if (!is_alnum(ch))
			ch = '_';
		sbuf_addch(out, ch);
	}
	sbuf_addch(out, '_');
	sbuf_addstr(out, what);
	return out->failed ? -1 : 0;
}

/* Append key=value; quoting the value with {} (and doubling '}') only
 * when it needs it: psqlODBC keeps the braces of a quoted UID. */
static void connstr_add(struct sbuf *out, const char *key, const char *v)
{
	size_t n = strlen(v);
	int quote = n && (v[0] == ' ' || v[n - 1] == ' ' || v[0] == '{');

	if (strpbrk(v, ";{}=") != NULL)
		quote = 1;
	sbuf_addstr(out, key);
	sbuf_addch(out, '=');
	if (!quote) {
		sbuf_add(out, v, n);
	} else {
		sbuf_addch(out, '{');
		for (; *v; v++) {
			sbuf_addch(out, *v);
			if (*v == '}')
				sbuf_addch(out, '}');
		}
		sbuf_addch(out, '}');
	}
	sbuf_addch(out, ';');
}

/* Look up RECON_<DSN>_<what>; *val is a copy (caller wipes) or NULL. */
static int env_secret(const char *dsn, const char *what, char **val)
{
	struct sbuf name = SBUF_INIT(NAME_CAP);
	const char *v;

	*val = NULL;
	if (odbc_env_name(dsn, what, &name) < 0) {
		sbuf_release(&name);
		return -1;
	}
	v = getenv(name.buf);
	sbuf_release(&name);
	if (v && *v) {
		*val = mem_strdup(v);
		if (!*val)
			return -1;
	}
	return 0;
}

static int connstr_build(const char *dsn, const char *uid, const char *pwd,
			 struct sbuf *out)
{
	connstr_add(out, "DSN", dsn);
	if (uid)
		connstr_add(out, "UID", uid);
	if (pwd)
		connstr_add(out, "PWD", pwd);
	return out->failed ? -1 : 0;
}

int odbc_connstr(const char *dsn, struct sbuf *out)
{
	char *uid = NULL, *pwd = NULL;
	int rc = -1;

	if (env_secret(dsn, "UID", &uid) == 0 &&
	    env_secret(dsn, "PWD", &pwd) == 0)
		rc = connstr_build(dsn, uid, pwd, out);
	wipe_free(uid);
	wipe_free(pwd);
	return rc;
}

/* SQLGetInfo for a string; grows the buffer if the driver needs more. */
static int info_string(struct conn *c, SQLUSMALLINT what, char **out,
		       struct error *err)
{
	SQLSMALLINT len = 0;
	size_t size = 128;
	char *buf = NULL;

	for (;;) {
		SQLRETURN rc;
		char *p = mem_realloc(buf, size);

		if (!p) {
			mem_free(buf);
			return nomem(err, c);
		}
		buf = p;
		buf[0] = '\0';
		rc = odbc_api.get_info(c->dbc, what, buf, (SQLSMALLINT)size, &len);
		if (!SQL_SUCCEEDED(rc)) {
			mem_free(buf);
			return odbc_fail(err, ERR_SOURCE, c, SQL_HANDLE_DBC,
					 c->dbc, "SQLGetInfo failed");
		}
		if (len >= 0 && (size_t)len < size)
			break;
		if ((size_t)len + 1 > DBMS_CAP) {
			/* driver string over our cap: keep the prefix */
			buf[size - 1] = '\0';
			break;
		}
		size = (size_t)len + 1;
	}
	*out = buf;
	return 0;
}

static int make_read_only(struct conn *c, struct error *err);

/* Longest odbc.ini value quoted in a message. */
#define PROFILE_VALUE_MAX 1024

/*
 * What a failed connect was trying to reach, from the DSN's odbc.ini
 * entries: "cannot open database 'D'" (Database), else "cannot connect
 * to server 'S' port 'P'" (Servername or Server, Port); nothing if the
 * DSN has none of them. Only these keys are read: never UID, PWD or any
 * other entry that may hold a credential.
 */
static void connect_target(const char *dsn, struct sbuf *out)
{
	char db[PROFILE_VALUE_MAX], server[PROFILE_VALUE_MAX];
	char port[PROFILE_VALUE_MAX];

	db[0] = server[0] = port[0] = '\0';
	odbc_api.profile_string(dsn, "Database", "", db, (int)sizeof(db),
				"odbc.ini");
	if (db[0]) {
		char *slash = strrchr(db, '/');
		struct stat st;

		sbuf_addf(out, "cannot open database '%s'", db);
		/* a file path whose folder is missing: the usual cause,
		 * which drivers word as "connect failed" (sqliteodbc) */
		if (slash && slash != db) {
			*slash = '\0';
			if (stat(db, &st) != 0 || !S_ISDIR(st.st_mode))
				sbuf_addf(out, " (folder '%s' does not exist)",
					  db);
		}
		return;
	}
	odbc_api.profile_string(dsn, "Servername", "", server,
				(int)sizeof(server), "odbc.ini");
	if (!server[0])
		odbc_api.profile_string(dsn, "Server", "", server,
					(int)sizeof(server), "odbc.ini");
	odbc_api.profile_string(dsn, "Port", "", port, (int)sizeof(port),
				"odbc.ini");
	if (server[0])
		sbuf_addf(out, "cannot connect to server '%s'", server);
	if (server[0] && port[0])
		sbuf_addf(out, " port '%s'", port);
}

static int conn_connect(const char *dsn, int read_only, struct conn **out,
			struct error *err)
{
	struct sbuf cs = SBUF_INIT(CONNSTR_CAP);
	struct conn *c;
	SQLUINTEGER gd = 0;
	SQLRETURN rc;

	*out = NULL;
	if (!dsn || !*dsn)
		return error_set(err, ERR_SOURCE, "empty DSN");
	c = mem_calloc(1, sizeof(*c));
	if (!c)
		return error_set(err, ERR_NOMEM, "out of memory");
	c->dsn = mem_strdup(dsn);
	if (!c->dsn) {
		mem_free(c);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	if (env_secret(dsn, "UID", &c->uid) < 0 ||
	    env_secret(dsn, "PWD", &c->pwd) < 0 ||
	    connstr_build(dsn, c->uid, c->pwd, &cs) < 0) {
		nomem(err, c);
		goto fail;
	}
	rc = odbc_api.alloc_handle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &c->env);
	if (!SQL_SUCCEEDED(rc)) {
		c->env = SQL_NULL_HANDLE;
		odbc_fail(err, ERR_SOURCE, c, SQL_HANDLE_ENV, SQL_NULL_HANDLE,
			  "cannot allocate an ODBC environment");
		goto fail;
	}
	rc = odbc_api.set_env_attr(c->env, SQL_ATTR_ODBC_VERSION,
				   (SQLPOINTER)(uintptr_t)SQL_OV_ODBC3, 0);
	if (!SQL_SUCCEEDED(rc)) {
		odbc_fail(err, ERR_SOURCE, c, SQL_HANDLE_ENV, c->env,
			  "cannot select ODBC 3");
		goto fail;
	}
	rc = odbc_api.alloc_handle(SQL_HANDLE_DBC, c->env, &c->dbc);
	if (!SQL_SUCCEEDED(rc)) {
		c->dbc = SQL_NULL_HANDLE;
		odbc_fail(err, ERR_SOURCE, c, SQL_HANDLE_ENV, c->env,
			  "cannot allocate an ODBC connection");
		goto fail;
	}
	rc = odbc_api.driver_connect(c->dbc, NULL, (SQLCHAR *)cs.buf,
				     SQL_NTS, NULL, 0, NULL,
				     SQL_DRIVER_NOPROMPT);
	wipe_sbuf(&cs);
	if (!SQL_SUCCEEDED(rc)) {
		struct sbuf what = SBUF_INIT(NAME_CAP);

		connect_target(dsn, &what);
		odbc_fail(err, ERR_SOURCE, c, SQL_HANDLE_DBC, c->dbc, "%s",
			  what.len && !what.failed ? what.buf : "cannot connect");
		sbuf_release(&what);
		goto fail;
	}
	c->connected = 1;
	if (info_string(c, SQL_DBMS_NAME, &c->dbms, err) < 0)
		goto fail;
	c->d = dialect_of(c->dbms);
	c->real15 = c->d->real15;
	rc = odbc_api.get_info(c->dbc, SQL_GETDATA_EXTENSIONS, &gd,
			       (SQLSMALLINT)sizeof(gd), NULL);
	if (!SQL_SUCCEEDED(rc)) {
		odbc_fail(err, ERR_SOURCE, c, SQL_HANDLE_DBC, c->dbc,
			  "SQLGetInfo(SQL_GETDATA_EXTENSIONS) failed");
		goto fail;
	}
	c->gd_block = (gd & SQL_GD_BLOCK) != 0 &&
		      !c->d->no_positioned_getdata;
	if (read_only && make_read_only(c, err) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	wipe_sbuf(&cs);
	conn_close(c);
	return -1;
}

int conn_open(const char *dsn, struct conn **out, struct error *err)
{
	return conn_connect(dsn, 0, out, err);
}

int conn_open_source(const char *dsn, struct conn **out, struct error *err)
{
	return conn_connect(dsn, 1, out, err);
}

static int exec_stmt(struct conn *c, const char *sql,
		     const struct param *params, size_t nparams,
		     struct error *err);

void conn_close(struct conn *c)
{
	if (!c)
		return;
	conn_drain(c);	/* a writer left open must not run on a freed conn */
	if (c->connected) {
		/* unixODBC refuses to disconnect (25000) inside a manual
		 * transaction: roll back first, best effort */
		if (c->in_tx && c->sql_tx) {
			struct error e;

			error_init(&e);
			(void)exec_stmt(c, "ROLLBACK", NULL, 0, &e);
			error_release(&e);
		} else if (c->in_tx) {
			odbc_api.end_tran(SQL_HANDLE_DBC, c->dbc, SQL_ROLLBACK);
		}
		odbc_api.disconnect(c->dbc);
	}
	if (c->dbc)
		odbc_api.free_handle(SQL_HANDLE_DBC, c->dbc);
	if (c->env)
		odbc_api.free_handle(SQL_HANDLE_ENV, c->env);
	wipe_free(c->uid);
	wipe_free(c->pwd);
	mem_free(c->dbms);
	mem_free(c->dsn);
	mem_free(c);
}

const char *conn_dsn(const struct conn *c)
{
	return c->dsn;
}

const char *conn_dbms(const struct conn *c)
{
	return c->dbms ? c->dbms : "";
}

const struct dialect *conn_dialect(const struct conn *c)
{
	return c->d ? c->d : dialect_of(NULL);
}

/* At most this many parameters in one statement on c. */
static size_t params_max(const struct conn *c)
{
	size_t m = conn_dialect(c)->params_max;

	return m && m < PARAMS_MAX ? m : PARAMS_MAX;
}

static int set_autocommit(struct conn *c, int on, struct error *err)
{
	SQLRETURN rc;

	rc = odbc_api.set_connect_attr(c->dbc, SQL_ATTR_AUTOCOMMIT,
				       (SQLPOINTER)(uintptr_t)(on ?
					SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF),
				       SQL_IS_UINTEGER);
	if (!SQL_SUCCEEDED(rc))
		return odbc_fail(err, ERR_SOURCE, c, SQL_HANDLE_DBC, c->dbc,
				 "cannot turn autocommit %s", on ? "on" : "off");
	return 0;
}

/* conn_begin and conn_begin_write: immediate asks for the dialect's
 * begin_sql. */
static int begin(struct conn *c, int immediate, struct error *err)
{
	if (check_usable(c, err) < 0)
		return -1;
	if (c->read_only)
		return error_set(err, ERR_INTERNAL, "conn_begin: dsn '%s' is "
				 "a source, opened read-only: nothing is ever "
				 "committed on it", c->dsn);
	if (c->in_tx)
		return error_set(err, ERR_INTERNAL,
				 "conn_begin: a transaction is already open");
	if (immediate && conn_dialect(c)->begin_sql) {
		if (exec_stmt(c, conn_dialect(c)->begin_sql, NULL, 0, err) < 0)
			return -1;
		c->in_tx = c->sql_tx = 1;
		return 0;
	}
	if (set_autocommit(c, 0, err) < 0)
		return -1;
	c->in_tx = 1;
	return 0;
}

int conn_begin(struct conn *c, struct error *err)
{
	return begin(c, 0, err);
}

/*
 * SQLite: BEGIN IMMEDIATE, in SQL, with autocommit left on (the driver
 * would otherwise send its own deferred BEGIN first). A deferred
 * transaction that reads first holds SQLite's read lock while it waits
 * for the write lock, and sqliteodbc, given SQLITE_BUSY inside a
 * transaction, re-runs the statement until the busy timeout without
 * letting that lock go. Two such writers (two notes) then wait for each
 * other for the whole timeout, and every reader behind the one
 * committing fails with "database is locked" (measured: six `recon
 * note` at once, 9 of 90 failed after 5 s each). Taking the write lock
 * first, holding nothing, a writer only queues. A transaction whose
 * first statement writes (a run's) needs none of this: SQLite lets go
 * of the read lock while such a statement waits.
 */
int conn_begin_write(struct conn *c, struct error *err)
{
	return begin(c, 1, err);
}

/* end_tran where the transaction was begun by begin_sql: a failed
 * COMMIT (SQLITE_BUSY) leaves it open, for the caller's rollback. */
static int end_sql_tran(struct conn *c, SQLSMALLINT how, struct error *err)
{
	if (exec_stmt(c, how == SQL_COMMIT ? "COMMIT" : "ROLLBACK", NULL, 0,
		      err) < 0)
		return error_context(err, "%s failed",
				     how == SQL_COMMIT ? "commit" : "rollback");
	c->in_tx = c->sql_tx = 0;
	return 0;
}

static int end_tran(struct conn *c, SQLSMALLINT how, struct error *err)
{
	SQLRETURN rc;

	if (!c->in_tx)
		return error_set(err, ERR_INTERNAL, "%s without conn_begin",
				 how == SQL_COMMIT ? "commit" : "rollback");
	conn_drain(c);
	/* a batch that failed on a writer thread and was not reported to
	 * its caller yet must not be committed past */
	if (how == SQL_COMMIT && c->unreported)
		return writer_report(c->unreported, err);
	if (c->sql_tx)
		return end_sql_tran(c, how, err);
	rc = odbc_api.end_tran(SQL_HANDLE_DBC, c->dbc, how);
	if (!SQL_SUCCEEDED(rc))
		return odbc_fail(err, ERR_SOURCE, c, SQL_HANDLE_DBC, c->dbc,
				 "%s failed",
				 how == SQL_COMMIT ? "commit" : "rollback");
	c->in_tx = 0;
	/* The transaction has ended as asked. If autocommit cannot be put
	 * back, that must not turn a successful commit into a reported
	 * failure (the caller would then claim nothing was published);
	 * instead the connection refuses further work. */
	{
		struct error scratch;

		error_init(&scratch);
		if (set_autocommit(c, 1, &scratch) < 0)
			c->broken = 1;
		error_release(&scratch);
	}
	return 0;
}

/* Refuse work on a connection whose transaction state is unknown. */
static int check_usable(struct conn *c, struct error *err)
{
	conn_drain(c);
	if (c->broken)
		return error_set(err, ERR_SOURCE, "dsn '%s': %s; reconnect",
				 c->dsn, c->broken_why ? c->broken_why :
				 "autocommit could not be restored after a "
				 "transaction");
	return 0;
}

int conn_commit(struct conn *c, struct error *err)
{
	return end_tran(c, SQL_COMMIT, err);
}

int conn_rollback(struct conn *c, struct error *err)
{
	return end_tran(c, SQL_ROLLBACK, err);
}

/* ---- statements and parameters --------------------------------------- */

static int stmt_alloc(struct conn *c, SQLHSTMT *st, enum err_code code,
		      struct error *err)
{
	SQLRETURN rc = odbc_api.alloc_handle(SQL_HANDLE_STMT, c->dbc, st);

	if (!SQL_SUCCEEDED(rc)) {
		*st = SQL_NULL_HANDLE;
		return odbc_fail(err, code, c, SQL_HANDLE_DBC, c->dbc,
				 "cannot allocate a statement");
	}
	return 0;
}

static void stmt_free(SQLHSTMT st)
{
	if (st != SQL_NULL_HANDLE)
		odbc_api.free_handle(SQL_HANDLE_STMT, st);
}

/* Bind parameter n (1-based). buf and *ind must live until the statement
 * has run; *ind is set here (length, or SQL_NULL_DATA). */
static SQLRETURN bind_cell(SQLHSTMT st, size_t n, const char *s, size_t len,
			   int type, SQLLEN *ind)
{
	SQLSMALLINT sqltype = SQL_VARCHAR;
	SQLULEN size = len ? len : 1;

	if (type == PARAM_TIMESTAMP) {
		sqltype = SQL_TYPE_TIMESTAMP;
		size = 19;
	}
	*ind = s ? (SQLLEN)len : SQL_NULL_DATA;
	return odbc_api.bind_parameter(st, (SQLUSMALLINT)n, SQL_PARAM_INPUT,
				       SQL_C_CHAR, sqltype, size, 0,
				       (SQLPOINTER)(uintptr_t)(s ? s : ""),
				       (SQLLEN)len, ind);
}

static int bind_param(struct conn *c, SQLHSTMT st, size_t n, const char *s,
		      size_t len, int type, SQLLEN *ind, enum err_code code,
		      struct error *err)
{
	SQLRETURN rc = bind_cell(st, n, s, len, type, ind);

	if (!SQL_SUCCEEDED(rc))
		return odbc_fail(err, code, c, SQL_HANDLE_STMT, st,
				 "cannot bind parameter %zu", n);
	return 0;
}

static int check_nparams(const struct conn *c, size_t nparams,
			 struct error *err)
{
	if (nparams > params_max(c))
		return error_set(err, ERR_INTERNAL, "%zu parameters (at most "
				 "%zu on %s)", nparams, params_max(c),
				 conn_dialect(c)->name);
	return 0;
}

/* Run one statement (the body of conn_exec, without the read-only
 * check: the engine's own statements on a source come here). */
static int exec_stmt(struct conn *c, const char *sql,
		     const struct param *params, size_t nparams,
		     struct error *err)
{
	SQLHSTMT st = SQL_NULL_HANDLE;
	SQLLEN *ind = NULL;
	SQLRETURN rc;
	size_t i;
	int ret = -1;

	if (check_nparams(c, nparams, err) < 0)
		return -1;
	if (nparams) {
		ind = mem_calloc(nparams, sizeof(*ind));
		if (!ind)
			return nomem(err, c);
	}
	if (stmt_alloc(c, &st, ERR_SOURCE, err) < 0)
		goto out;
	for (i = 0; i < nparams; i++)
		if (bind_param(c, st, i + 1, params[i].s, params[i].len,
			       params[i].type, &ind[i], ERR_SOURCE, err) < 0)
			goto out;
	rc = odbc_api.exec_direct(st, (SQLCHAR *)(uintptr_t)sql, SQL_NTS);
	if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
		odbc_fail(err, ERR_SOURCE, c, SQL_HANDLE_STMT, st,
			  "statement failed");
		goto out;
	}
	/* a later statement of a batch may be the one that failed */
	while ((rc = odbc_api.more_results(st)) != SQL_NO_DATA) {
		if (!SQL_SUCCEEDED(rc)) {
			odbc_fail(err, ERR_SOURCE, c, SQL_HANDLE_STMT, st,
				  "statement failed");
			goto out;
		}
	}
	ret = 0;
out:
	stmt_free(st);
	mem_free(ind);
	return ret;
}

/* Longest keyword quoted back in a refusal. */
#define KEYWORD_SHOWN 40

/* On a source, refuse (before anything runs) a statement that is not a
 * query. 0, or -1 with ERR_SOURCE naming the first keyword. */
static int check_query(struct conn *c, const char *sql, struct error *err)
{
	const char *kw;
	size_t n;

	if (!c->read_only || odbc_is_query(sql, &kw, &n))
		return 0;
	if (n == 0)
		error_set(err, ERR_SOURCE, "the query does not start with "
			  "SELECT, WITH, VALUES or TABLE: a source is only "
			  "read, so it was not run");
	else
		error_set(err, ERR_SOURCE, "the query starts with %.*s, not "
			  "SELECT, WITH, VALUES or TABLE: a source is only "
			  "read, so it was not run",
			  (int)(n > KEYWORD_SHOWN ? KEYWORD_SHOWN : n), kw);
	return error_context(err, "dsn '%s'", c->dsn);
}

int conn_exec(struct conn *c, const char *sql, const struct param *params,
	      size_t nparams, struct error *err)
{
	if (check_usable(c, err) < 0 || check_query(c, sql, err) < 0)
		return -1;
	return exec_stmt(c, sql, params, nparams, err);
}

/* SQLSTATEs with which a driver says it does not offer a connection
 * attribute: asking for read-only access is then a wish, not an error. */
static int attr_unsupported(const char *state)
{
	return strcmp(state, "HYC00") == 0 || strcmp(state, "HY092") == 0 ||
	       strcmp(state, "HY024") == 0 || strcmp(state, "IM001") == 0 ||
	       strcmp(state, "S1C00") == 0 || strcmp(state, "S1092") == 0;
}

/*
 * Make the source connection c read-only (conn_open_source): the ODBC
 * access mode where the driver has it, then the DBMS's own session
 * setting, which is what actually stops writes on the drivers measured
 * (sqliteodbc answers the access mode with 01S02 "option value changed"
 * and writes anyway; docs/CONNECTORS.md).
 */
static int make_read_only(struct conn *c, struct error *err)
{
	SQLRETURN rc;

	c->read_only = 1;
	rc = odbc_api.set_connect_attr(c->dbc, SQL_ATTR_ACCESS_MODE,
				       (SQLPOINTER)(uintptr_t)SQL_MODE_READ_ONLY,
				       SQL_IS_UINTEGER);
	if (!SQL_SUCCEEDED(rc)) {
		struct error e;
		int ignore;

		error_init(&e);
		odbc_fail(&e, ERR_SOURCE, c, SQL_HANDLE_DBC, c->dbc, "x");
		ignore = attr_unsupported(e.sqlstate);
		error_release(&e);
		if (!ignore)
			return odbc_fail(err, ERR_SOURCE, c, SQL_HANDLE_DBC,
					 c->dbc, "cannot open the source "
					 "read-only (SQL_ATTR_ACCESS_MODE)");
	}
	c->ro_on = c->d->ro_on;
	c->ro_off = c->d->ro_off;
	if (c->ro_on && exec_stmt(c, c->ro_on, NULL, 0, err) < 0)
		return error_context(err, "making the source read-only (%s)",
				     c->ro_on);
	return 0;
}

/*
 * The engine's own write on a source connection (SQLite: the query's
 * parameters into temp.recon_param): the read-only session is lifted
 * for this one statement and put back before anything else runs. If it
 * cannot be put back the connection refuses all further work.
 */
static int own_exec(struct conn *c, const char *sql, const struct param *p,
		    size_t np, struct error *err)
{
	int rc;

	if (!c->read_only || !c->ro_off)
		return exec_stmt(c, sql, p, np, err);
	if (exec_stmt(c, c->ro_off, NULL, 0, err) < 0)
		return -1;
	rc = exec_stmt(c, sql, p, np, err);
	if (exec_stmt(c, c->ro_on, NULL, 0, err) < 0) {
		c->broken = 1;
		c->broken_why = "the source could not be made read-only again "
				"after storing a query's parameters";
		return -1;
	}
	return rc;
}

/* ---- cursors ---------------------------------------------------------- */

struct col {
	char *name;		/* lower-cased; owned */
	SQLSMALLINT sqltype;
	enum val_type kind;
	/* Text that SQLite may have rounded (real15 source: a column
	 * declared DECIMAL, which sqliteodbc describes as VARCHAR): what
	 * value.approx says of such text when it is not provably exact. */
	const char *approx_text;
	SQLLEN width;		/* bytes per cell, NUL included */
	SQLLEN want;		/* re-execute: the width the data needs */
	char *data;		/* array_size * width, column-wise */
	SQLLEN *ind;		/* array_size */
	struct sbuf big;	/* positioned completion of a long value */
};

struct cparam {
	char *s;		/* owned copy, NULL for SQL NULL */
	size_t len;
	int type;
	SQLLEN ind;
};

struct cursor {
	struct conn *c;		/* borrowed */
	SQLHSTMT st;
	char *sql;		/* owned: needed to re-execute */
	struct cparam *params;
	size_t nparams;

	size_t ncols;
	struct col *cols;
	const char **names;
	struct value *vals;
	struct row row;

	size_t array_size, text_cap, max_value;
	enum odbc_complete complete;
	SQLULEN nfetched;	/* rows in the current block */
	SQLUSMALLINT *status;	/* array_size */
	size_t pos;		/* next row of the block to deliver */
	uint64_t base;		/* rows of the result before this block */
	int done, failed;

	uint64_t hash;		/* re-execute: hash of delivered rows */
	unsigned reexecs;
	long id_col;		/* column naming rows in ERR_DATA, or -1 */
	struct sbuf scratch;
};

static enum val_type kind_of(SQLSMALLINT t)
{
	switch (t) {
	case SQL_TINYINT: case SQL_SMALLINT: case SQL_INTEGER: case SQL_BIGINT:
		return VAL_INT;
	case SQL_DECIMAL: case SQL_NUMERIC: case SQL_FLOAT: case SQL_REAL:
	case SQL_DOUBLE:
		return VAL_DEC;
	case SQL_TYPE_DATE: case SQL_TYPE_TIME: case SQL_TYPE_TIMESTAMP:
	case SQL_DATETIME /* ODBC 2 SQL_DATE */: case SQL_TIME:
	case SQL_TIMESTAMP:
		return VAL_TIME;
	default:
		return VAL_TEXT;
	}
}

static int is_time_only(SQLSMALLINT t)
{
	return t == SQL_TYPE_TIME || t == SQL_TIME;
}

void cursor_close(struct cursor *cur)
{
	size_t i;

	if (!cur)
		return;
	if (cur->st != SQL_NULL_HANDLE) {
		conn_drain(cur->c);
		odbc_api.free_stmt(cur->st, SQL_CLOSE);
		odbc_api.free_handle(SQL_HANDLE_STMT, cur->st);
	}
	for (i = 0; cur->cols && i < cur->ncols; i++) {
		mem_free(cur->cols[i].name);
		mem_free(cur->cols[i].data);
		mem_free(cur->cols[i].ind);
		sbuf_release(&cur->cols[i].big);
	}
	for (i = 0; cur->params && i < cur->nparams; i++)
		mem_free(cur->params[i].s);
	mem_free(cur->params);
	mem_free(cur->cols);
	mem_free(cur->names);
	mem_free(cur->vals);
	mem_free(cur->status);
	mem_free(cur->sql);
	sbuf_release(&cur->scratch);
	mem_free(cur);
}

unsigned odbc_cursor_reexecs(const struct cursor *cur)
{
	return cur->reexecs;
}

static int cur_fail(struct cursor *cur, struct error *err, const char *what)
{
	cur->failed = 1;
	return odbc_fail(err, ERR_SOURCE, cur->c, SQL_HANDLE_STMT, cur->st,
			 "%s", what);
}

static int truncated(const struct col *col, size_t r);

/* Longest id quoted in an ERR_DATA message (bytes). */
#define ID_SHOWN 200

/* The id column's text in the current block row into out, if it is
 * there to be read: not column j itself (the bad value), not NULL, not
 * cut off by its buffer, valid UTF-8 and not too long. 1 or 0. */
static int id_text(const struct cursor *cur, size_t j, struct sbuf *out)
{
	const struct col *col;
	const char *s;
	size_t n, bad;
	SQLLEN ind;

	if (cur->id_col < 0 || (size_t)cur->id_col == j ||
	    cur->pos >= cur->nfetched)
		return 0;
	col = &cur->cols[cur->id_col];
	ind = col->ind[cur->pos];
	if (ind == SQL_NULL_DATA || truncated(col, cur->pos) || ind == 0 ||
	    (size_t)ind > ID_SHOWN)
		return 0;
	s = col->data + cur->pos * (size_t)col->width;
	n = (size_t)ind;
	if (!utf8_valid(s, n, &bad))
		return 0;
	return sbuf_add(out, s, n) == 0;
}

void cursor_id_column(struct cursor *cur, const char *name)
{
	cur->id_col = -1;
	for (size_t j = 0; name && j < cur->ncols; j++)
		if (strcmp(cur->names[j], name) == 0) {
			cur->id_col = (long)j;
			break;
		}
}

/* ERR_DATA about row rowno, column j, naming the row by its id column's
 * value when that can be read (cursor_id_column). */
static int data_fail(struct cursor *cur, struct error *err, uint64_t rowno,
		     size_t j, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int data_fail(struct cursor *cur, struct error *err, uint64_t rowno,
		     size_t j, const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT((size_t)64 << 10);
	struct sbuf id = SBUF_INIT(ID_SHOWN + 1);
	va_list ap;

	cur->failed = 1;
	if (!err || err->code != ERR_OK)
		return -1;
	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (id_text(cur, j, &id))
		error_set(err, ERR_DATA, "row id '%s' (row %llu), column '%s': "
			  "%s", id.buf, (unsigned long long)rowno,
			  cur->cols[j].name, msg.buf);
	else
		error_set(err, ERR_DATA, "row %llu, column '%s': %s",
			  (unsigned long long)rowno, cur->cols[j].name, msg.buf);
	error_context(err, "dsn '%s'", cur->c->dsn);
	sbuf_release(&id);
	sbuf_release(&msg);
	return -1;
}

/* Bind column j's arrays (after (re)allocation). */
static int bind_column(struct cursor *cur, size_t j, struct error *err)
{
	struct col *col = &cur->cols[j];
	SQLRETURN rc;

	rc = odbc_api.bind_col(cur->st, (SQLUSMALLINT)(j + 1), SQL_C_CHAR,
			       col->data, col->width, col->ind);
	if (!SQL_SUCCEEDED(rc))
		return cur_fail(cur, err, "cannot bind a result column");
	return 0;
}

static int alloc_column(struct cursor *cur, size_t j, SQLLEN width,
			struct error *err)
{
	struct col *col = &cur->cols[j];
	size_t bytes;
	char *p;

	if (mem_mul(cur->array_size, (size_t)width, &bytes) < 0) {
		cur->failed = 1;
		return nomem(err, cur->c);
	}
	p = mem_realloc(col->data, bytes);
	if (!p) {
		cur->failed = 1;
		return nomem(err, cur->c);
	}
	col->data = p;
	col->width = width;
	return 0;
}

/*
 * A SQLite source's column declared DECIMAL: sqliteodbc describes it as
 * SQL_VARCHAR (so it arrives as VAL_TEXT) while SQLite stores its values
 * as binary doubles rendered with 15 digits. Marks the column so that
 * such text is checked like an approximate column's (approx_text). The
 * declared type comes from SQL_DESC_TYPE_NAME. 0 or -1.
 */
static int declared_decimal(struct cursor *cur, size_t j, struct error *err)
{
	struct col *col = &cur->cols[j];
	char name[64];
	SQLSMALLINT len = 0;
	SQLLEN num = 0;
	SQLRETURN rc;

	col->approx_text = NULL;
	if (!cur->c->read_only || !cur->c->real15 || col->kind != VAL_TEXT ||
	    col->sqltype != SQL_VARCHAR)
		return 0;
	name[0] = '\0';
	rc = odbc_api.col_attribute(cur->st, (SQLUSMALLINT)(j + 1),
				    SQL_DESC_TYPE_NAME, name,
				    (SQLSMALLINT)sizeof(name), &len, &num);
	if (!SQL_SUCCEEDED(rc))
		return cur_fail(cur, err, "cannot read a result column's "
				"declared type");
	name[sizeof(name) - 1] = '\0';
	if (strncmp(name, "DECIMAL", 7) == 0 || strncmp(name, "decimal", 7) == 0)
		col->approx_text = "DECIMAL, stored by SQLite as a double,";
	return 0;
}

static int describe(struct cursor *cur, struct error *err)
{
	SQLSMALLINT n = 0;
	SQLRETURN rc;
	size_t j;

	rc = odbc_api.num_result_cols(cur->st, &n);
	if (!SQL_SUCCEEDED(rc))
		return cur_fail(cur, err, "cannot count result columns");
	if (n <= 0) {
		cur->failed = 1;
		error_set(err, ERR_SOURCE, "the statement returned no result "
			  "set (is it a query?)");
		return error_context(err, "dsn '%s'", cur->c->dsn);
	}
	cur->ncols = (size_t)n;
	cur->cols = mem_calloc(cur->ncols, sizeof(*cur->cols));
	cur->names = mem_calloc(cur->ncols, sizeof(*cur->names));
	cur->vals = mem_calloc(cur->ncols, sizeof(*cur->vals));
	if (!cur->cols || !cur->names || !cur->vals) {
		cur->failed = 1;
		return nomem(err, cur->c);
	}
	for (j = 0; j < cur->ncols; j++)
		sbuf_init(&cur->cols[j].big, cur->max_value);
	for (j = 0; j < cur->ncols; j++) {
		struct col *col = &cur->cols[j];
		SQLCHAR small[256];
		SQLSMALLINT namelen = 0, type = 0, digits = 0, nullable = 0;
		SQLULEN size = 0;
		SQLLEN width;
		char *name;

		rc = odbc_api.describe_col(cur->st, (SQLUSMALLINT)(j + 1), small,
					   (SQLSMALLINT)sizeof(small), &namelen,
					   &type, &size, &digits, &nullable);
		if (!SQL_SUCCEEDED(rc))
			return cur_fail(cur, err, "cannot describe a result column");
		if (namelen < 0)
			namelen = 0;
		if ((size_t)namelen >= sizeof(small)) {
			/* a long label: ask again with room for it */
			SQLCHAR *big = mem_alloc((size_t)namelen + 1);

			if (!big) {
				cur->failed = 1;
				return nomem(err, cur->c);
			}
			rc = odbc_api.describe_col(cur->st, (SQLUSMALLINT)(j + 1),
						   big, (SQLSMALLINT)(namelen + 1),
						   &namelen, &type, &size,
						   &digits, &nullable);
			if (!SQL_SUCCEEDED(rc)) {
				mem_free(big);
				return cur_fail(cur, err,
						"cannot describe a result column");
			}
			name = mem_strndup((const char *)big,
					   strnlen((const char *)big,
						   (size_t)namelen));
			mem_free(big);
		} else {
			name = mem_strndup((const char *)small,
					   strnlen((const char *)small,
						   (size_t)namelen));
		}
		if (!name) {
			cur->failed = 1;
			return nomem(err, cur->c);
		}
		for (char *p = name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		col->name = name;
		cur->names[j] = name;
		col->sqltype = type;
		col->kind = kind_of(type);
		if (declared_decimal(cur, j, err) < 0)
			return -1;
		/* Not from `size`: TEXT is described as 65536 or 8190. */
		width = (SQLLEN)cur->text_cap;
		if (col->kind == VAL_INT && width > 32)
			width = 32;
		else if ((col->kind == VAL_DEC || col->kind == VAL_TIME) &&
			 width > 64)
			width = 64;
		col->want = width;
		col->ind = mem_calloc(cur->array_size, sizeof(*col->ind));
		if (!col->ind) {
			cur->failed = 1;
			return nomem(err, cur->c);
		}
		if (alloc_column(cur, j, width, err) < 0 ||
		    bind_column(cur, j, err) < 0)
			return -1;
	}
	cur->row.ncols = cur->ncols;
	cur->row.names = cur->names;
	cur->row.vals = cur->vals;
	return 0;
}

static int execute(struct cursor *cur, struct error *err)
{
	SQLRETURN rc = odbc_api.exec_direct(cur->st, (SQLCHAR *)cur->sql,
					    SQL_NTS);

	if (rc == SQL_NO_DATA) {
		cur->failed = 1;
		error_set(err, ERR_SOURCE, "the statement returned no result "
			  "set (is it a query?)");
		return error_context(err, "dsn '%s'", cur->c->dsn);
	}
	if (!SQL_SUCCEEDED(rc))
		return cur_fail(cur, err, "query failed");
	return 0;
}

static int truncated(const struct col *col, size_t r)
{
	SQLLEN ind = col->ind[r];

	if (ind == SQL_NULL_DATA)
		return 0;
	return ind == SQL_NO_TOTAL || ind < 0 || ind >= col->width;
}

/* One 64-bit word into h: a multiply and a shift, not FNV's multiply
 * per byte (this runs on every row of a source read with re-execute
 * completion, i.e. every SQLite source: docs/CONNECTORS.md). */
static uint64_t mix64(uint64_t h, uint64_t w)
{
	h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
	return h ^ (h >> 32);
}

/* A hash of (indicator, bytes) of every cell of block row r, eight
 * bytes at a time; the indicator fixes each cell's length, so the
 * zero-padded last word is unambiguous. Compared only with another
 * pass over the same query in this process (reexecute()). */
static uint64_t hash_row(const struct cursor *cur, size_t r, uint64_t h)
{
	for (size_t j = 0; j < cur->ncols; j++) {
		const struct col *col = &cur->cols[j];
		int64_t ind = (int64_t)col->ind[r];
		const unsigned char *p;
		size_t n, k;
		uint64_t w;

		h = mix64(h, (uint64_t)ind);
		if (ind <= 0)
			continue;
		p = (const unsigned char *)col->data + r * (size_t)col->width;
		n = (size_t)ind < (size_t)col->width ? (size_t)ind
						     : (size_t)col->width;
		for (k = 0; k + 8 <= n; k += 8) {
			memcpy(&w, p + k, 8);
			h = mix64(h, w);
		}
		if (k < n) {
			w = 0;
			memcpy(&w, p + k, n - k);
			h = mix64(h, w);
		}
	}
	return h;
}

#define HASH_INIT UINT64_C(0xcbf29ce484222325)

/* SQLFetch the next block: 1 rows, 0 end, -1 error. */
static int fetch_block(struct cursor *cur, struct error *err)
{
	SQLRETURN rc;

	cur->base += cur->nfetched;
	cur->nfetched = 0;
	cur->pos = 0;
	/* once per block (phase.h); nested in the fetch thread's own */
	phase_push(PH_FETCH);
	rc = odbc_api.fetch(cur->st);
	phase_pop();
	if (rc == SQL_NO_DATA) {
		cur->done = 1;
		return 0;
	}
	if (!SQL_SUCCEEDED(rc))
		return cur_fail(cur, err, "fetch failed");
	if (cur->nfetched == 0) {
		cur->done = 1;
		return 0;
	}
	if (cur->nfetched > cur->array_size) {
		cur->failed = 1;
		return error_set(err, ERR_INTERNAL, "driver fetched %lu rows "
				 "into an array of %zu",
				 (unsigned long)cur->nfetched, cur->array_size);
	}
	return 1;
}

/*
 * Re-execute strategy: run the query again with the grown buffers, skip
 * the `delivered` rows already handed out (checking they hash the same)
 * and leave the cursor on the next undelivered row.
 */
static int reexecute(struct cursor *cur, struct error *err)
{
	uint64_t delivered = cur->base + cur->pos, skipped = 0;
	uint64_t h = HASH_INIT;
	size_t j;
	int rc;

	odbc_api.free_stmt(cur->st, SQL_CLOSE);
	for (j = 0; j < cur->ncols; j++) {
		struct col *col = &cur->cols[j];

		if (col->want <= col->width)
			continue;
		if (alloc_column(cur, j, col->want, err) < 0 ||
		    bind_column(cur, j, err) < 0)
			return -1;
	}
	if (execute(cur, err) < 0)
		return -1;
	cur->reexecs++;
	cur->base = 0;
	cur->nfetched = 0;
	cur->pos = 0;
	cur->done = 0;
	for (;;) {
		size_t r;

		rc = fetch_block(cur, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			goto changed;
		for (r = 0; r < cur->nfetched && skipped < delivered; r++) {
			for (j = 0; j < cur->ncols; j++)
				if (truncated(&cur->cols[j], r))
					goto changed;
			h = hash_row(cur, r, h);
			skipped++;
		}
		if (skipped == delivered && r < cur->nfetched) {
			cur->pos = r;
			break;
		}
	}
	if (h != cur->hash)
		goto changed;
	return 0;
changed:
	cur->failed = 1;
	error_set(err, ERR_SOURCE, "the query was run again to read a value "
		  "longer than its buffer, and its first %llu rows came back "
		  "different; make the query's order deterministic (ORDER BY "
		  "a unique key)", (unsigned long long)delivered);
	return error_context(err, "dsn '%s'", cur->c->dsn);
}

/*
 * After a fetch (re-execute strategy): find truncated cells in the rows
 * still to deliver, grow those columns to what the indicators say and
 * re-execute. Cells that cannot grow (over max_value) are left for
 * cursor_next to report when it reaches their row.
 */
static int complete_by_reexec(struct cursor *cur, struct error *err)
{
	SQLLEN limit = (SQLLEN)cur->max_value + 1;

	for (;;) {
		int grow = 0;
		size_t r, j;

		for (r = cur->pos; r < cur->nfetched; r++) {
			int stop = 0;

			if (cur->status[r] == SQL_ROW_ERROR)
				break;
			for (j = 0; j < cur->ncols; j++) {
				struct col *col = &cur->cols[j];
				SQLLEN ind = col->ind[r], need;

				if (!truncated(col, r))
					continue;
				if (ind == SQL_NO_TOTAL || ind < 0)
					need = col->width <= limit / 2 ?
						col->width * 2 : limit;
				else
					need = ind + 1;
				if (need > limit || need <= col->width) {
					stop = 1;	/* too long: reported later */
					break;
				}
				if (need > col->want)
					col->want = need;
				grow = 1;
			}
			if (stop)
				break;
		}
		if (!grow)
			return 0;
		if (reexecute(cur, err) < 0)
			return -1;
	}
}

/* Positioned strategy: read the whole of cell (pos, j) into col->big. */
static int complete_positioned(struct cursor *cur, size_t j, int *positioned,
			       struct error *err)
{
	struct col *col = &cur->cols[j];
	uint64_t rowno = cur->base + cur->pos + 1;
	SQLLEN total = col->ind[cur->pos];
	struct sbuf *sb = &col->big;
	SQLRETURN rc;

	if (total != SQL_NO_TOTAL && total >= 0 &&
	    (size_t)total > cur->max_value)
		return data_fail(cur, err, rowno, j, "value of %lld bytes is "
				 "longer than the limit of %zu",
				 (long long)total, cur->max_value);
	if (!*positioned) {
		rc = odbc_api.set_pos(cur->st, (SQLSETPOSIROW)(cur->pos + 1),
				      SQL_POSITION, SQL_LOCK_NO_CHANGE);
		if (!SQL_SUCCEEDED(rc))
			return cur_fail(cur, err, "cannot position on a row to "
					"read a long value");
		*positioned = 1;
	}
	sbuf_reset(sb);
	for (;;) {
		size_t room, got;
		SQLLEN ind = 0;

		room = total != SQL_NO_TOTAL && total >= 0 &&
		       (size_t)total > sb->len ? (size_t)total - sb->len : 65536;
		if (room > cur->max_value - sb->len)
			room = cur->max_value - sb->len;
		if (room == 0 || sbuf_grow(sb, room) < 0) {
			if (sb->failed == SBUF_NOMEM) {
				cur->failed = 1;
				return nomem(err, cur->c);
			}
			return data_fail(cur, err, rowno, j, "value is longer "
					 "than the limit of %zu",
					 cur->max_value);
		}
		room = sb->alloc - sb->len;	/* includes the NUL */
		rc = odbc_api.get_data(cur->st, (SQLUSMALLINT)(j + 1),
				       SQL_C_CHAR, sb->buf + sb->len,
				       (SQLLEN)room, &ind);
		if (rc == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(rc))
			return cur_fail(cur, err, "cannot read a long value");
		if (ind == SQL_NULL_DATA) {
			col->ind[cur->pos] = SQL_NULL_DATA;
			return 0;
		}
		got = ind == SQL_NO_TOTAL || ind < 0 || (size_t)ind >= room ?
			room - 1 : (size_t)ind;
		sb->len += got;
		sb->buf[sb->len] = '\0';
		if (rc == SQL_SUCCESS)
			break;
		if (ind != SQL_NO_TOTAL && ind >= 0 && (size_t)ind < room)
			break;
	}
	return 1;
}

/* Longest source value quoted back in an ERR_DATA message (bytes). */
#define VALUE_SHOWN 64

/* The name of an approximate SQL type, or NULL for any other type. */
static const char *approx_name(SQLSMALLINT t)
{
	return t == SQL_DOUBLE ? "DOUBLE (approximate)" :
	       t == SQL_REAL ? "REAL (approximate)" :
	       t == SQL_FLOAT ? "FLOAT (approximate)" : NULL;
}

/* Significant digits of a number's text: from the first nonzero digit
 * to the last nonzero one, the exponent not counted ("0.30" 1,
 * "1234567890123.46" 15, "9.00719925474099e+15" 15, "0" 0). */
static int sig_digits(const char *s, size_t n)
{
	int count = 0, pending = 0, started = 0;

	for (size_t i = 0; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
		if (s[i] < '0' || s[i] > '9')
			continue;
		if (s[i] == '0') {
			if (started)
				pending++;
			continue;
		}
		started = 1;
		count += pending + 1;
		pending = 0;
	}
	return count;
}

/*
 * Is the text s of an approximate column's value the exact decimal it
 * shows (st: money_parse's verdict)? A double holds any decimal of at
 * most 15 significant digits (DBL_DIG) exactly enough to give it back,
 * so text of at most 15 digits and at most 4 decimals is that decimal.
 * More digits, or more decimals, are a binary fraction (0.1 + 0.2 is
 * 0.30000000000000004), not money. A driver that renders doubles with
 * 15 digits (real15: sqliteodbc) gives 15 for any longer value, so
 * exactly 15 may be a rounding (1234567890123.4567 arrives as
 * 1234567890123.46); more than 15 can then only be text SQLite stored
 * as text, which is exact.
 */
static int approx_exact(const struct conn *c, const char *s, size_t n,
			int st)
{
	int sig = sig_digits(s, n);

	if (st != MONEY_OK)
		return 0;
	if (c->real15)
		return sig != 15;
	return sig <= 15;
}

/* Is the value of an approximate column (or of a SQLite DECIMAL) with
 * text s, money_parse verdict st, to be marked approx? A value that is
 * not a number stays ERR_DATA, and so does one out of range whose text
 * is not a rounding (1e300: no amount at all). */
static int approx_mark(const struct conn *c, const char *s, size_t n, int st)
{
	if (st == MONEY_SYNTAX)
		return 0;
	if (st == MONEY_RANGE)
		return !approx_exact(c, s, n, MONEY_OK);
	return !approx_exact(c, s, n, st);
}

/* How many bytes of a bad value a message quotes: all of it if it is
 * short, valid UTF-8 text, else none. */
static int shown(const char *s, size_t n)
{
	size_t bad;

	return n <= VALUE_SHOWN && utf8_valid(s, n, &bad) ? (int)n : 0;
}

static int convert(struct cursor *cur, size_t j, const char *s, size_t n,
		   uint64_t rowno, struct value *v, struct error *err)
{
	const struct col *col = &cur->cols[j];
	size_t bad;

	v->s = s;
	v->len = n;
	v->i = 0;
	v->dec_text = 0;
	v->type = col->kind;
	switch (col->kind) {
	case VAL_INT: {
		char *end;
		long long x;

		errno = 0;
		x = n ? strtoll(s, &end, 10) : 0;
		if (!n || end != s + n || errno)
			return data_fail(cur, err, rowno, j, "%s%.*s%s%s",
					 shown(s, n) ? "'" : "", shown(s, n), s,
					 shown(s, n) ? "': " : "",
					 errno == ERANGE ?
					 "integer out of 64-bit range" :
					 "not an integer");
		v->i = (int64_t)x;
		return 0;
	}
	case VAL_DEC: {
		int st = money_parse(s, n, &v->i);

		v->approx = NULL;
		if (cur->c->read_only && approx_name(col->sqltype) &&
		    approx_mark(cur->c, s, n, st)) {
			v->i = 0;
			v->approx = approx_name(col->sqltype);
			return 0;
		}
		if (st != MONEY_OK)
			return data_fail(cur, err, rowno, j, "amount%s%.*s%s: %s",
					 shown(s, n) ? " '" : "", shown(s, n), s,
					 shown(s, n) ? "'" : "",
					 money_strerror(st));
		return 0;
	}
	case VAL_TIME: {
		int rc;

		if (is_time_only(col->sqltype)) {
			/* a time of day: seconds since midnight */
			sbuf_reset(&cur->scratch);
			sbuf_addstr(&cur->scratch, "1970-01-01 ");
			sbuf_add(&cur->scratch, s, n);
			if (cur->scratch.failed) {
				cur->failed = 1;
				return nomem(err, cur->c);
			}
			rc = tstamp_parse(cur->scratch.buf, cur->scratch.len,
					  &v->i);
		} else {
			rc = tstamp_parse(s, n, &v->i);
		}
		if (rc < 0)
			return data_fail(cur, err, rowno, j, "%s%.*s%s"
					 "not a date or time",
					 shown(s, n) ? "'" : "", shown(s, n), s,
					 shown(s, n) ? "': " : "");
		return 0;
	}
	default:
		if (!utf8_valid(s, n, &bad))
			/* counted from 1, as the rules' messages count */
			return data_fail(cur, err, rowno, j, "text is not "
					 "valid UTF-8 (byte 0x%02X at position "
					 "%zu): the source sends text in another "
					 "encoding; convert it to UTF-8 in the "
					 "query or at the source, or set the "
					 "DSN's character set (docs/CONNECTORS.md, "
					 "\"Reading\")",
					 (unsigned)(unsigned char)s[bad], bad + 1);
		v->approx = NULL;
		if (col->approx_text) {
			int64_t x;
			int st = money_parse(s, n, &x);

			if (approx_mark(cur->c, s, n, st))
				v->approx = col->approx_text;
			else if (st == MONEY_OK) {
				/* provably exact: a number to fingerprints */
				v->i = x;
				v->dec_text = 1;
			}
		}
		return 0;
	}
}

/*
 * SQLite, outside a transaction: put the parameters into
 * temp.recon_param and rewrite the query to read them (odbc_int.h), so
 * that sqliteodbc streams the result instead of holding all of it.
 * Returns 1 with the query in *out, 0 to run the query as it is, -1.
 */
static int sqlite_params(struct conn *c, const char *sql,
			 const struct param *params, size_t nparams,
			 struct sbuf *out, struct error *err)
{
	struct sbuf ins = SBUF_INIT(SQL_CAP);
	unsigned long long g;
	int rc;

	if (!nparams || c->in_tx || !conn_dialect(c)->param_rewrite)
		return 0;
	g = c->param_sets + 1;
	rc = odbc_sqlite_rewrite(sql, nparams, g, out);
	if (rc <= 0)
		return rc < 0 ? nomem(err, c) : 0;
	/* The temporary table lives as long as the connection; each query
	 * gets its own set g, so a cursor still open (or re-executed to
	 * complete a long value) keeps reading its own values. IF NOT
	 * EXISTS each time (one cheap statement) rather than a flag that
	 * would have to follow the connection's state. */
	if (own_exec(c, "CREATE TEMP TABLE IF NOT EXISTS recon_param (g "
		     "INTEGER NOT NULL, i INTEGER NOT NULL, v, PRIMARY KEY "
		     "(g, i))", NULL, 0, err) < 0)
		return error_context(err, "storing the query's parameters in "
				     "a temporary table");
	sbuf_addstr(&ins, "INSERT INTO temp.recon_param (g, i, v) VALUES ");
	for (size_t i = 0; i < nparams; i++)
		sbuf_addf(&ins, "%s(%llu, %zu, ?)", i ? ", " : "", g, i + 1);
	if (ins.failed) {
		sbuf_release(&ins);
		return nomem(err, c);
	}
	rc = own_exec(c, ins.buf, params, nparams, err);
	sbuf_release(&ins);
	if (rc < 0)
		return error_context(err, "storing the query's parameters in "
				     "a temporary table");
	c->param_sets = g;
	return 1;
}

int odbc_cursor_open(struct conn *c, const char *sql,
		     const struct param *params, size_t nparams,
		     const struct odbc_cursor_opts *opts, struct cursor **out,
		     struct error *err)
{
	struct cursor *cur;
	SQLRETURN rc;
	size_t i;

	*out = NULL;
	if (check_usable(c, err) < 0 || check_query(c, sql, err) < 0)
		return -1;
	if (check_nparams(c, nparams, err) < 0)
		return -1;
	{
		struct sbuf q = SBUF_INIT(SQL_CAP);
		int st = sqlite_params(c, sql, params, nparams, &q, err);

		if (st != 0) {
			int r = st < 0 ? -1
				       : odbc_cursor_open(c, q.buf, NULL, 0, opts,
							  out, err);

			sbuf_release(&q);
			return r;
		}
		sbuf_release(&q);
	}
	cur = mem_calloc(1, sizeof(*cur));
	if (!cur)
		return nomem(err, c);
	cur->c = c;
	cur->st = SQL_NULL_HANDLE;
	cur->id_col = -1;
	sbuf_init(&cur->scratch, 4096);
	cur->array_size = opts && opts->array_size ? opts->array_size :
		ODBC_ARRAY_DEFAULT;
	cur->text_cap = opts && opts->text_cap ? opts->text_cap :
		ODBC_TEXT_CAP_DEFAULT;
	cur->max_value = opts && opts->max_value ? opts->max_value :
		ODBC_MAX_VALUE_DEFAULT;
	if (cur->text_cap < 2)
		cur->text_cap = 2;
	if (cur->max_value > ((size_t)1 << 30))
		cur->max_value = (size_t)1 << 30;
	if (cur->array_size > 100000)
		cur->array_size = 100000;
	cur->complete = opts ? opts->complete : ODBC_COMPLETE_AUTO;
	if (cur->complete == ODBC_COMPLETE_AUTO)
		cur->complete = c->gd_block ? ODBC_COMPLETE_POSITIONED :
			ODBC_COMPLETE_REEXECUTE;
	cur->hash = HASH_INIT;
	cur->sql = mem_strdup(sql);
	cur->status = mem_calloc(cur->array_size, sizeof(*cur->status));
	if (!cur->sql || !cur->status)
		goto nomem;
	if (nparams) {
		cur->params = mem_calloc(nparams, sizeof(*cur->params));
		if (!cur->params)
			goto nomem;
		cur->nparams = nparams;
		for (i = 0; i < nparams; i++) {
			cur->params[i].len = params[i].len;
			cur->params[i].type = params[i].type;
			if (params[i].s) {
				cur->params[i].s = mem_strndup(params[i].s,
							       params[i].len);
				if (!cur->params[i].s)
					goto nomem;
			}
		}
	}
	if (stmt_alloc(c, &cur->st, ERR_SOURCE, err) < 0)
		goto fail;
	rc = odbc_api.set_stmt_attr(cur->st, SQL_ATTR_ROW_BIND_TYPE,
				    (SQLPOINTER)(uintptr_t)SQL_BIND_BY_COLUMN, 0);
	if (SQL_SUCCEEDED(rc))
		rc = odbc_api.set_stmt_attr(cur->st, SQL_ATTR_ROW_ARRAY_SIZE,
					    (SQLPOINTER)(uintptr_t)cur->array_size,
					    0);
	if (SQL_SUCCEEDED(rc))
		rc = odbc_api.set_stmt_attr(cur->st, SQL_ATTR_ROWS_FETCHED_PTR,
					    &cur->nfetched, 0);
	if (SQL_SUCCEEDED(rc))
		rc = odbc_api.set_stmt_attr(cur->st, SQL_ATTR_ROW_STATUS_PTR,
					    cur->status, 0);
	if (!SQL_SUCCEEDED(rc)) {
		cur_fail(cur, err, "cannot set up a block cursor");
		goto fail;
	}
	for (i = 0; i < nparams; i++)
		if (bind_param(c, cur->st, i + 1, cur->params[i].s,
			       cur->params[i].len, cur->params[i].type,
			       &cur->params[i].ind, ERR_SOURCE, err) < 0)
			goto fail;
	if (execute(cur, err) < 0 || describe(cur, err) < 0)
		goto fail;
	*out = cur;
	return 0;
nomem:
	nomem(err, c);
fail:
	cursor_close(cur);
	return -1;
}

int cursor_open(struct conn *c, const char *sql, const struct param *params,
		size_t nparams, size_t array_size, struct cursor **out,
		struct error *err)
{
	struct odbc_cursor_opts o;

	memset(&o, 0, sizeof(o));
	o.array_size = array_size;
	return odbc_cursor_open(c, sql, params, nparams, &o, out, err);
}

int cursor_next(struct cursor *cur, const struct row **row, struct error *err)
{
	int positioned = 0;
	uint64_t rowno;
	size_t j, r;

	*row = NULL;
	if (cur->failed)
		return error_set(err, ERR_INTERNAL,
				 "cursor_next after a cursor error");
	conn_drain(cur->c);	/* fetches and positions use the connection */
	while (cur->pos >= cur->nfetched) {
		int rc;

		if (cur->done)
			return 0;
		rc = fetch_block(cur, err);
		if (rc <= 0)
			return rc;
		if (cur->complete == ODBC_COMPLETE_REEXECUTE &&
		    complete_by_reexec(cur, err) < 0)
			return -1;
	}
	r = cur->pos;
	rowno = cur->base + r + 1;
	if (cur->status[r] == SQL_ROW_ERROR) {
		cur->failed = 1;
		odbc_fail(err, ERR_SOURCE, cur->c, SQL_HANDLE_STMT, cur->st,
			  "row %llu could not be fetched",
			  (unsigned long long)rowno);
		return -1;
	}
	for (j = 0; j < cur->ncols; j++) {
		struct col *col = &cur->cols[j];
		struct value *v = &cur->vals[j];
		const char *s = col->data + r * (size_t)col->width;
		size_t n;

		if (truncated(col, r)) {
			int rc;

			if (cur->complete != ODBC_COMPLETE_POSITIONED)
				return data_fail(cur, err, rowno, j,
						 "value is longer than the "
						 "limit of %zu",
						 cur->max_value);
			rc = complete_positioned(cur, j, &positioned, err);
			if (rc < 0)
				return -1;
			if (rc > 0) {
				s = col->big.buf;
				n = col->big.len;
				if (convert(cur, j, s, n, rowno, v, err) < 0)
					return -1;
				continue;
			}
		}
		if (col->ind[r] == SQL_NULL_DATA) {
			v->type = VAL_NULL;
			v->s = NULL;
			v->len = 0;
			v->i = 0;
			v->approx = NULL;
			v->dec_text = 0;
			continue;
		}
		n = (size_t)col->ind[r];
		if (convert(cur, j, s, n, rowno, v, err) < 0)
			return -1;
	}
	if (cur->complete == ODBC_COMPLETE_REEXECUTE)
		cur->hash = hash_row(cur, r, cur->hash);
	cur->row.rowno = rowno;
	cur->pos++;
	*row = &cur->row;
	return 1;
}

/* ---- writers ---------------------------------------------------------- */

/*
 * A writer fills one batch while the batch before it executes on the
 * writer's thread (double buffering: at most one batch in flight, one
 * filling). The rules that keep this simple and the fault loops
 * deterministic:
 *
 *  - Only one thread uses the connection at a time. A batch in flight is
 *    recorded in conn->inflight, and every entry point that touches the
 *    connection (conn_exec, cursor_open/next/close, conn_begin, commit,
 *    rollback, conn_close, another writer's batch) waits for it first
 *    (conn_drain). The caller's thread therefore makes no ODBC call while
 *    a batch is in flight, and the sequence of ODBC calls is the same as
 *    if each batch ran on the caller's thread when it was handed off.
 *  - The writer thread binds and executes, nothing else: no allocation
 *    (both batches' arrays come from writer_open, their bytes grow on the
 *    caller's thread), no statement preparation, no error text. It
 *    reports the failing call's SQLRETURN; the caller's thread reads the
 *    statement's diagnostics when it takes the result (writer_reap),
 *    before any other ODBC call could replace them.
 *  - A failed batch makes the writer failed for good: nothing more is
 *    sent, every later writer_add/writer_flush returns the first error.
 *
 * If the thread cannot be started, batches run on the caller's thread
 * when they are handed off, as before the thread existed.
 */

/* Test hook (odbc_int.h): 1 makes writer_open run without a thread. */
int odbc_writer_sync;

/* One batch of rows: values back to back in data, located by off/len. */
struct wbatch {
	struct sbuf data;
	size_t *off;		/* batch * ncols */
	size_t *len;
	int *type;
	SQLLEN *ind;
	size_t nrows;
};

/* What became of a batch: rc of the call that failed (SQL_SUCCESS if
 * none) and which call: parameter `bind` (1-based), or the execute if 0. */
struct wresult {
	SQLRETURN rc;
	size_t bind;
};

struct writer {
	struct conn *c;		/* borrowed */
	char *table;
	char **cols;
	size_t ncols, batch;
	SQLHSTMT full;		/* prepared for `batch` rows, lazily */
	SQLHSTMT part;		/* prepared for part_rows rows */
	size_t part_rows;
	struct wbatch b[2];
	struct wbatch *fill;	/* the batch writer_add fills */
	struct wbatch *fly;	/* handed off and not reaped yet, or NULL */
	uint64_t sent;
	int failed;		/* 1: ferr holds the first error, send nothing */
	struct error ferr;

	/* The thread (threaded = 1) and what it shares with the caller:
	 * go, quit and res under lock; done is also read without it. */
	int threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int go, quit;
	atomic_int done;	/* 1: fly has run, res holds its result */
	struct wresult res;
};

/* Bind and execute batch b on st. Runs on the writer thread: no
 * allocation, no error text (see above). */
static struct wresult batch_run(struct writer *w, struct wbatch *b,
				SQLHSTMT st)
{
	struct wresult r = { SQL_SUCCESS, 0 };
	size_t cells = b->nrows * w->ncols, i;

	/* the data buffer may have moved since the last batch: bind again */
	for (i = 0; i < cells; i++) {
		const char *s = b->ind[i] == SQL_NULL_DATA ? NULL :
			b->data.buf + b->off[i];

		r.rc = bind_cell(st, i + 1, s, b->len[i], b->type[i],
				 &b->ind[i]);
		if (!SQL_SUCCEEDED(r.rc)) {
			r.bind = i + 1;
			return r;
		}
	}
	r.rc = odbc_api.execute(st);
	if (r.rc == SQL_NO_DATA)
		r.rc = SQL_SUCCESS;
	return r;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	/* the writer thread's CPU is the store's (engine/phase.h); the
	 * main thread's wait for it is timed where it waits */
	phase_thread_begin();
	phase_push(PH_STORE);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct wresult r;

		while (!w->go && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->go)
			break;
		w->go = 0;
		pthread_mutex_unlock(&w->lock);
		r = batch_run(w, w->fly, w->full);
		pthread_mutex_lock(&w->lock);
		w->res = r;
		atomic_store_explicit(&w->done, 1, memory_order_release);
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	phase_pop();
	phase_thread_end();
	return NULL;
}

/* Empty batch b for refilling (keeps its memory). */
static void batch_reset(struct wbatch *b)
{
	b->nrows = 0;
	sbuf_reset(&b->data);
}

/* Record the writer's first failure, already in ferr; `table` adds the
 * table to its context (every failure of a batch, as before the thread). */
static void writer_fail(struct writer *w, int table)
{
	w->failed = 1;
	if (table)
		error_context(&w->ferr, "table '%s'", w->table);
	if (!w->c->unreported)
		w->c->unreported = w;
}

/* Take the result r of batch b, run on st: count its rows, or record the
 * failure from st's diagnostics. b is emptied either way (the caller's
 * transaction decides what happens to a failed batch). */
static void batch_done(struct writer *w, struct wbatch *b, SQLHSTMT st,
		       struct wresult r)
{
	if (SQL_SUCCEEDED(r.rc)) {
		w->sent += b->nrows;
	} else if (!w->failed) {
		if (r.bind)
			odbc_fail(&w->ferr, ERR_STORE, w->c, SQL_HANDLE_STMT, st,
				  "cannot bind parameter %zu", r.bind);
		else
			odbc_fail(&w->ferr, ERR_STORE, w->c, SQL_HANDLE_STMT, st,
				  "insert into '%s' failed", w->table);
		writer_fail(w, 1);
	}
	batch_reset(b);
}

/* Wait for the batch in flight, if any, and take its result. Caller's
 * thread only. */
static void writer_reap(struct writer *w)
{
	struct wresult r;

	if (!w->fly)		/* only ever set with a thread */
		return;
	/* once per batch: a wait, so both clocks (engine/phase.h) */
	phase_push(PH_STORE);
	pthread_mutex_lock(&w->lock);
	while (!atomic_load_explicit(&w->done, memory_order_acquire))
		pthread_cond_wait(&w->cond, &w->lock);
	r = w->res;
	pthread_mutex_unlock(&w->lock);
	phase_pop();
	atomic_store_explicit(&w->done, 0, memory_order_relaxed);
	if (w->c->inflight == w)
		w->c->inflight = NULL;
	batch_done(w, w->fly, w->full, r);
	w->fly = NULL;
}

/* Wait until no writer thread uses c. A failure found here stays with
 * its writer (reported by its next writer_add/writer_flush, and by
 * conn_commit). */
static void conn_drain(struct conn *c)
{
	if (c && c->inflight)
		writer_reap(c->inflight);
}

/* Copy the writer's first error into err (unless err is set already);
 * the caller has now been told. Returns -1. */
static int writer_report(struct writer *w, struct error *err)
{
	const struct error *f = &w->ferr;

	if (w->c->unreported == w)
		w->c->unreported = NULL;
	if (!err || err->code != ERR_OK)
		return -1;
	error_set(err, f->code, "%s", f->msg.len ? f->msg.buf : "");
	if (f->sqlstate[0])
		error_sqlstate(err, f->sqlstate, f->native);
	err->line = f->line;
	if (f->ctx.len)
		error_context(err, "%s", f->ctx.buf);
	return -1;
}

void writer_close(struct writer *w)
{
	size_t i;

	if (!w)
		return;
	writer_reap(w);		/* a batch in flight finishes first */
	if (w->c->unreported == w)
		w->c->unreported = NULL;
	if (w->threaded) {
		pthread_mutex_lock(&w->lock);
		w->quit = 1;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
	}
	stmt_free(w->full);
	stmt_free(w->part);
	for (i = 0; w->cols && i < w->ncols; i++)
		mem_free(w->cols[i]);
	mem_free(w->cols);
	mem_free(w->table);
	for (i = 0; i < 2; i++) {
		sbuf_release(&w->b[i].data);
		mem_free(w->b[i].off);
		mem_free(w->b[i].len);
		mem_free(w->b[i].type);
		mem_free(w->b[i].ind);
	}
	error_release(&w->ferr);
	mem_free(w);
}

uint64_t writer_count(const struct writer *w)
{
	return w->sent;
}

/* Start the writer thread; without one, batches run on the caller's
 * thread. */
static void writer_start(struct writer *w)
{
	sigset_t mask;
	int started;

	if (odbc_writer_sync || pthread_mutex_init(&w->lock, NULL) != 0)
		return;
	if (pthread_cond_init(&w->cond, NULL) != 0) {
		pthread_mutex_destroy(&w->lock);
		return;
	}
	/* the writer thread never takes SIGTERM/SIGINT (engine/stop.h) */
	stop_block(&mask);
	started = pthread_create(&w->thread, NULL, writer_main, w) == 0;
	stop_unblock(&mask);
	if (!started) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		return;
	}
	w->threaded = 1;
}

size_t odbc_batch_rows(const struct dialect *d, size_t ncols, size_t batch)
{
	size_t pmax = d->params_max && d->params_max < PARAMS_MAX
		      ? d->params_max : PARAMS_MAX;

	if (batch == 0)
		batch = ODBC_BATCH_DEFAULT;
	if (d->rows_max && batch > d->rows_max)
		batch = d->rows_max;
	if (ncols && batch > pmax / ncols)
		batch = pmax / ncols;	/* the DBMS's parameter limit */
	return batch ? batch : 1;
}

int writer_open(struct conn *c, const char *table, const char *const *cols,
		size_t ncols, size_t batch, struct writer **out,
		struct error *err)
{
	struct writer *w;
	size_t i, cells;

	if (check_usable(c, err) < 0)
		return -1;
	*out = NULL;
	if (!text_is_identifier(table, 128))
		return error_set(err, ERR_INTERNAL, "writer: table name is not "
				 "an identifier");
	if (ncols == 0 || ncols > params_max(c))
		return error_set(err, ERR_INTERNAL, "writer: %zu columns",
				 ncols);
	for (i = 0; i < ncols; i++)
		if (!text_is_identifier(cols[i], 128))
			return error_set(err, ERR_INTERNAL, "writer: column %zu "
					 "of '%s' is not an identifier",
					 i + 1, table);
	batch = odbc_batch_rows(conn_dialect(c), ncols, batch);
	cells = batch * ncols;
	w = mem_calloc(1, sizeof(*w));
	if (!w)
		return nomem(err, c);
	w->c = c;
	w->ncols = ncols;
	w->batch = batch;
	w->full = SQL_NULL_HANDLE;
	w->part = SQL_NULL_HANDLE;
	error_init(&w->ferr);
	atomic_init(&w->done, 0);
	w->table = mem_strdup(table);
	w->cols = mem_calloc(ncols, sizeof(*w->cols));
	if (!w->table || !w->cols)
		goto nomem;
	for (i = 0; i < 2; i++) {
		struct wbatch *b = &w->b[i];

		sbuf_init(&b->data, SBUF_CAP_DEFAULT);
		b->off = mem_calloc(cells, sizeof(*b->off));
		b->len = mem_calloc(cells, sizeof(*b->len));
		b->type = mem_calloc(cells, sizeof(*b->type));
		b->ind = mem_calloc(cells, sizeof(*b->ind));
		if (!b->off || !b->len || !b->type || !b->ind)
			goto nomem;
	}
	w->fill = &w->b[0];
	for (i = 0; i < ncols; i++) {
		w->cols[i] = mem_strdup(cols[i]);
		if (!w->cols[i])
			goto nomem;
	}
	writer_start(w);
	*out = w;
	return 0;
nomem:
	writer_close(w);
	return nomem(err, c);
}

/* Prepare INSERT INTO t (cols) VALUES (?,..) x rows on a new statement. */
static int writer_prepare(struct writer *w, size_t rows, SQLHSTMT *out,
			  struct error *err)
{
	struct sbuf sql = SBUF_INIT(SQL_CAP);
	SQLHSTMT st = SQL_NULL_HANDLE;
	const struct dialect *d = conn_dialect(w->c);
	SQLRETURN rc;
	size_t i, k;

	sbuf_addstr(&sql, "INSERT INTO ");
	dialect_quote(d, &sql, w->table);
	sbuf_addstr(&sql, " (");
	for (i = 0; i < w->ncols; i++) {
		/* quoted: a column may be named like a keyword ("order") */
		if (i)
			sbuf_addstr(&sql, ", ");
		dialect_quote(d, &sql, w->cols[i]);
	}
	sbuf_addstr(&sql, ") VALUES ");
	for (k = 0; k < rows; k++) {
		sbuf_addstr(&sql, k ? ", (" : "(");
		for (i = 0; i < w->ncols; i++)
			sbuf_addstr(&sql, i ? ", ?" : "?");
		sbuf_addch(&sql, ')');
	}
	if (sql.failed) {
		sbuf_release(&sql);
		return nomem(err, w->c);
	}
	if (stmt_alloc(w->c, &st, ERR_STORE, err) < 0) {
		sbuf_release(&sql);
		return -1;
	}
	rc = odbc_api.prepare(st, (SQLCHAR *)sql.buf, SQL_NTS);
	sbuf_release(&sql);
	if (!SQL_SUCCEEDED(rc)) {
		odbc_fail(err, ERR_STORE, w->c, SQL_HANDLE_STMT, st,
			  "cannot prepare the insert into '%s'", w->table);
		stmt_free(st);
		return -1;
	}
	*out = st;
	return 0;
}

/* The statement for a batch of `rows` rows, prepared on first use. */
static int writer_stmt(struct writer *w, size_t rows, SQLHSTMT *st,
		       struct error *err)
{
	if (rows == w->batch) {
		if (w->full == SQL_NULL_HANDLE &&
		    writer_prepare(w, rows, &w->full, err) < 0)
			return -1;
		*st = w->full;
		return 0;
	}
	if (w->part != SQL_NULL_HANDLE && w->part_rows != rows) {
		stmt_free(w->part);
		w->part = SQL_NULL_HANDLE;
	}
	if (w->part == SQL_NULL_HANDLE) {
		if (writer_prepare(w, rows, &w->part, err) < 0)
			return -1;
		w->part_rows = rows;
	}
	*st = w->part;
	return 0;
}

/*
 * Send the filling batch: a full one goes to the thread (when there is
 * one) and the caller goes on filling the other buffer; a partial one
 * (writer_flush) runs here. Either way the batch before it and any other
 * writer's batch on the connection have finished first, and the
 * statement is prepared on this thread. The first failure, this batch's
 * or the one before it, is returned and ends the writer.
 */
static int writer_send(struct writer *w, struct error *err)
{
	struct wbatch *b = w->fill;
	SQLHSTMT st;

	writer_reap(w);
	conn_drain(w->c);
	if (w->failed) {
		batch_reset(b);
		return writer_report(w, err);
	}
	if (b->data.failed) {
		if (b->data.failed == SBUF_NOMEM)
			nomem(&w->ferr, w->c);
		else
			error_set(&w->ferr, ERR_STORE, "a batch of %zu rows is "
				  "over %zu bytes", b->nrows, b->data.cap);
		goto fail;
	}
	if (writer_stmt(w, b->nrows, &st, &w->ferr) < 0)
		goto fail;
	if (w->threaded && st == w->full) {
		w->fill = b == &w->b[0] ? &w->b[1] : &w->b[0];
		w->fly = b;
		w->c->inflight = w;
		pthread_mutex_lock(&w->lock);
		w->go = 1;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	batch_done(w, b, st, batch_run(w, b, st));
	return w->failed ? writer_report(w, err) : 0;
fail:
	writer_fail(w, 1);
	batch_reset(b);
	return writer_report(w, err);
}

int writer_flush(struct writer *w, struct error *err)
{
	if (w->fill->nrows && !w->failed && writer_send(w, err) < 0)
		return -1;
	writer_reap(w);		/* wait for what was handed off */
	if (w->failed) {
		batch_reset(w->fill);
		return writer_report(w, err);
	}
	return 0;
}

int writer_add(struct writer *w, const struct param *vals, struct error *err)
{
	struct wbatch *b;
	size_t i, base;

	/* a batch that finished since the last call is taken now, so that
	 * its failure is reported as early as it is known */
	if (w->fly && atomic_load_explicit(&w->done, memory_order_acquire))
		writer_reap(w);
	if (w->failed)
		return writer_report(w, err);
	b = w->fill;
	base = b->nrows * w->ncols;
	for (i = 0; i < w->ncols; i++) {
		size_t k = base + i;

		b->type[k] = vals[i].type;
		b->off[k] = b->data.len;
		b->len[k] = vals[i].s ? vals[i].len : 0;
		b->ind[k] = vals[i].s ? (SQLLEN)vals[i].len : SQL_NULL_DATA;
		/* the NUL keeps every value terminated for drivers that peek */
		if (vals[i].s) {
			sbuf_add(&b->data, vals[i].s, vals[i].len);
			sbuf_addch(&b->data, '\0');
		}
	}
	b->nrows++;
	if (b->data.failed) {
		int nm = b->data.failed == SBUF_NOMEM;

		batch_reset(b);
		if (nm)
			nomem(&w->ferr, w->c);
		else
			error_set(&w->ferr, ERR_STORE, "a batch of rows is over "
				  "%zu bytes", b->data.cap);
		writer_fail(w, !nm);	/* the contexts as before the thread */
		return writer_report(w, err);
	}
	if (b->nrows == w->batch)
		return writer_send(w, err);
	return 0;
}
