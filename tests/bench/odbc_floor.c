/*
 * odbc_floor.c - the raw ODBC fetch floor for `make bench`.
 *
 * The least a program can do to read a source query through unixODBC:
 * connect by DSN, SQLExecDirect the query with text parameters, bind
 * every column as SQL_C_CHAR into row-wise arrays of 1000 rows with
 * 256-byte buffers (longer values are truncated and not completed: the
 * floor does not care about them), SQLFetch until the end, count rows.
 * The engine does all this plus conversion, rules, matching and output;
 * tools/bench.sh reports engine time / floor time.
 *
 *   odbc-floor [--print N] [--types] [--inline] DSN QUERY [PARAM...]
 *
 * --inline writes each PARAM into the query as a quoted literal instead
 * of binding it, as the engine does for SQLite (connectors/sqlparam.c):
 * sqliteodbc streams only statements without bound parameters and
 * otherwise holds the whole result (3.1 GB for 8.5M rows; at 21M rows
 * the driver crashed), which is no floor for a streaming reader.
 *
 * A PARAM is bound as SQL_VARCHAR text; "ts:YYYY-MM-DD HH:MM:SS" is bound
 * as SQL_TYPE_TIMESTAMP text, the way the engine binds as_of and
 * window_start. --print N prints the first N rows tab-separated (NULL as
 * \N), --types the column types SQLDescribeCol reports: both for checking
 * what a driver hands over. Prints "rows R seconds S" on stdout.
 * Exit 0, or 1 with the ODBC diagnostics on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sql.h>
#include <sqlext.h>

#include "../../engine/banned.h"

#define ARRAY_ROWS 1000
#define CELL_CAP 256
#define MAX_PARAMS 32

/* One cell of the row-wise array: indicator first keeps it aligned. */
struct cell {
	SQLLEN ind;
	char buf[CELL_CAP];
};

static void diag(SQLSMALLINT type, SQLHANDLE h, const char *what)
{
	SQLCHAR state[6], msg[1024];
	SQLINTEGER native;
	SQLSMALLINT len;

	fprintf(stderr, "odbc-floor: %s failed\n", what);
	for (SQLSMALLINT i = 1;
	     SQLGetDiagRec(type, h, i, state, &native, msg, sizeof(msg),
			   &len) == SQL_SUCCESS; i++)
		fprintf(stderr, "  %s (native %ld): %s\n", (char *)state,
			(long)native, (char *)msg);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* QUERY with its ? placeholders (outside '...' strings) replaced by the
 * parameters as quoted literals, quotes doubled; "ts:" prefixes dropped.
 * The bench's own job values only. NULL on a count mismatch or no
 * memory. */
static char *inline_params(const char *q, char **param, int n)
{
	size_t len = strlen(q) + 1;
	char *out, *o;
	int k = 0, quoted = 0;

	for (int i = 0; i < n; i++)
		len += 2 * strlen(param[i]) + 2;
	out = malloc(len);
	if (!out)
		return NULL;
	o = out;
	for (; *q; q++) {
		if (*q == '\'')
			quoted = !quoted;
		if (*q != '?' || quoted) {
			*o++ = *q;
			continue;
		}
		if (k == n) {
			free(out);
			return NULL;
		}
		{
			const char *v = param[k++];

			if (strncmp(v, "ts:", 3) == 0)
				v += 3;
			*o++ = '\'';
			for (; *v; v++) {
				if (*v == '\'')
					*o++ = '\'';
				*o++ = *v;
			}
			*o++ = '\'';
		}
	}
	*o = '\0';
	if (k != n) {
		free(out);
		return NULL;
	}
	return out;
}

static int usage(void)
{
	fprintf(stderr, "usage: odbc-floor [--print N] [--types] [--inline] "
			"DSN QUERY [PARAM...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	SQLHENV env = SQL_NULL_HENV;
	SQLHDBC dbc = SQL_NULL_HDBC;
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLSMALLINT ncols = 0;
	SQLULEN fetched = 0;
	SQLLEN pind[MAX_PARAMS];
	struct cell *rows = NULL;
	unsigned long print = 0, rowcount = 0, truncated = 0;
	int types = 0, inl = 0, argi = 1, rc = 1, nparams;
	char *conn = NULL, *sql = NULL;
	size_t connlen;
	double t0, t1;
	SQLRETURN r;

	while (argi < argc && strncmp(argv[argi], "--", 2) == 0) {
		if (strcmp(argv[argi], "--print") == 0 && argi + 1 < argc) {
			char *end;

			errno = 0;
			print = strtoul(argv[argi + 1], &end, 10);
			if (errno || *end)
				return usage();
			argi += 2;
		} else if (strcmp(argv[argi], "--types") == 0) {
			types = 1;
			argi++;
		} else if (strcmp(argv[argi], "--inline") == 0) {
			inl = 1;
			argi++;
		} else {
			return usage();
		}
	}
	if (argc - argi < 2)
		return usage();
	nparams = argc - argi - 2;
	if (nparams > MAX_PARAMS) {
		fprintf(stderr, "odbc-floor: at most %d parameters\n",
			MAX_PARAMS);
		return 2;
	}

	connlen = strlen(argv[argi]) + sizeof("DSN=;");
	conn = malloc(connlen);
	if (!conn) {
		fprintf(stderr, "odbc-floor: out of memory\n");
		return 1;
	}
	snprintf(conn, connlen, "DSN=%s;", argv[argi]);

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE,
					  &env)) ||
	    !SQL_SUCCEEDED(SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION,
					 (SQLPOINTER)SQL_OV_ODBC3, 0)) ||
	    !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc))) {
		fprintf(stderr, "odbc-floor: cannot allocate ODBC handles\n");
		goto out;
	}
	r = SQLDriverConnect(dbc, NULL, (SQLCHAR *)conn, SQL_NTS, NULL, 0,
			     NULL, SQL_DRIVER_NOPROMPT);
	if (!SQL_SUCCEEDED(r)) {
		diag(SQL_HANDLE_DBC, dbc, "SQLDriverConnect");
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st))) {
		diag(SQL_HANDLE_DBC, dbc, "SQLAllocHandle(STMT)");
		goto out;
	}

	t0 = now();
	if (inl) {
		sql = inline_params(argv[argi + 1], argv + argi + 2, nparams);
		if (!sql) {
			fprintf(stderr, "odbc-floor: --inline: the query's ? "
					"do not match the %d parameters\n",
				nparams);
			goto out;
		}
		nparams = 0;
	}
	for (int i = 0; i < nparams; i++) {
		char *v = argv[argi + 2 + i];
		SQLSMALLINT sqltype = SQL_VARCHAR;
		SQLULEN size;

		if (strncmp(v, "ts:", 3) == 0) {
			v += 3;
			sqltype = SQL_TYPE_TIMESTAMP;
		}
		size = strlen(v);
		pind[i] = (SQLLEN)size;
		r = SQLBindParameter(st, (SQLUSMALLINT)(i + 1),
				     SQL_PARAM_INPUT, SQL_C_CHAR, sqltype,
				     sqltype == SQL_TYPE_TIMESTAMP ? 19
								   : size,
				     0, v, (SQLLEN)size, &pind[i]);
		if (!SQL_SUCCEEDED(r)) {
			diag(SQL_HANDLE_STMT, st, "SQLBindParameter");
			goto out;
		}
	}
	r = SQLExecDirect(st, (SQLCHAR *)(sql ? sql : argv[argi + 1]), SQL_NTS);
	if (!SQL_SUCCEEDED(r) && r != SQL_NO_DATA) {
		diag(SQL_HANDLE_STMT, st, "SQLExecDirect");
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLNumResultCols(st, &ncols)) || ncols < 1) {
		fprintf(stderr, "odbc-floor: the query returns no columns\n");
		goto out;
	}
	if (types) {
		for (SQLSMALLINT c = 1; c <= ncols; c++) {
			SQLCHAR name[256];
			SQLSMALLINT nlen, type, dec, nullable;
			SQLULEN size;

			if (SQL_SUCCEEDED(SQLDescribeCol(st, (SQLUSMALLINT)c,
							 name, sizeof(name),
							 &nlen, &type, &size,
							 &dec, &nullable)))
				fprintf(stderr, "column %d %s: SQL type %d, "
						"size %lu, decimals %d\n",
					c, (char *)name, type,
					(unsigned long)size, dec);
		}
	}
	rows = calloc((size_t)ARRAY_ROWS * (size_t)ncols, sizeof(struct cell));
	if (!rows) {
		fprintf(stderr, "odbc-floor: out of memory\n");
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROW_BIND_TYPE,
					  (SQLPOINTER)(sizeof(struct cell) *
						       (size_t)ncols), 0)) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROW_ARRAY_SIZE,
					  (SQLPOINTER)(SQLULEN)ARRAY_ROWS,
					  0)) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROWS_FETCHED_PTR,
					  &fetched, 0))) {
		diag(SQL_HANDLE_STMT, st, "SQLSetStmtAttr");
		goto out;
	}
	for (SQLSMALLINT c = 0; c < ncols; c++) {
		struct cell *first = &rows[c];

		r = SQLBindCol(st, (SQLUSMALLINT)(c + 1), SQL_C_CHAR,
			       first->buf, CELL_CAP, &first->ind);
		if (!SQL_SUCCEEDED(r)) {
			diag(SQL_HANDLE_STMT, st, "SQLBindCol");
			goto out;
		}
	}
	for (;;) {
		r = SQLFetch(st);
		if (r == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(r)) {
			diag(SQL_HANDLE_STMT, st, "SQLFetch");
			goto out;
		}
		for (SQLULEN i = 0; i < fetched; i++) {
			struct cell *row = &rows[i * (SQLULEN)ncols];

			for (SQLSMALLINT c = 0; c < ncols; c++)
				if (row[c].ind >= CELL_CAP ||
				    row[c].ind == SQL_NO_TOTAL)
					truncated++;
			if (rowcount + i < print) {
				for (SQLSMALLINT c = 0; c < ncols; c++)
					printf("%s%s", c ? "\t" : "",
					       row[c].ind == SQL_NULL_DATA
						       ? "\\N" : row[c].buf);
				printf("\n");
			}
		}
		rowcount += fetched;
	}
	t1 = now();
	printf("rows %lu seconds %.3f", rowcount, t1 - t0);
	if (truncated)
		printf(" truncated-cells %lu", truncated);
	printf("\n");
	rc = 0;
out:
	if (st != SQL_NULL_HSTMT)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	if (dbc != SQL_NULL_HDBC) {
		SQLDisconnect(dbc);
		SQLFreeHandle(SQL_HANDLE_DBC, dbc);
	}
	if (env != SQL_NULL_HENV)
		SQLFreeHandle(SQL_HANDLE_ENV, env);
	free(rows);
	free(conn);
	free(sql);
	return rc;
}
