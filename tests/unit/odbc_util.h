/*
 * odbc_util.h - helpers the connector suites share (test_odbc.c,
 * test_odbc_writer.c, test_sqlparam.c): open the test DSN, run a
 * statement, count a table's rows, failing the test with the formatted
 * error otherwise.
 * Header-only (static inline) because the runner links every test_*.c
 * and nothing else.
 */
#ifndef RECON_TEST_ODBC_UTIL_H
#define RECON_TEST_ODBC_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "connectors/connector.h"
#include "engine/buf.h"
#include "engine/err.h"

#define TEST_DSN "recon_test"

static inline struct conn *open_ok(void)
{
	struct error err;
	struct conn *c = NULL;

	error_init(&err);
	if (conn_open(TEST_DSN, &c, &err) < 0) {
		struct sbuf m = SBUF_INIT(4096);

		error_format(&err, &m);
		ck_abort_msg("conn_open: %s", m.buf);
	}
	error_release(&err);
	return c;
}

static inline void exec_ok(struct conn *c, const char *sql)
{
	struct error err;

	error_init(&err);
	if (conn_exec(c, sql, NULL, 0, &err) < 0) {
		struct sbuf m = SBUF_INIT(4096);

		error_format(&err, &m);
		ck_abort_msg("%s: %s", sql, m.buf);
	}
	error_release(&err);
}

/* Rows in table (a trusted test identifier) on c. */
static inline long count_rows(struct conn *c, const char *table)
{
	struct error err;
	struct cursor *cur;
	const struct row *row;
	char sql[128];
	long n;

	error_init(&err);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	ck_assert_int_eq(cursor_open(c, sql, NULL, 0, 0, &cur, &err), 0);
	ck_assert_int_eq(cursor_next(cur, &row, &err), 1);
	/* an expression has no declared type in SQLite: sqliteodbc
	 * describes COUNT(*) as SQL_INTEGER or SQL_VARCHAR depending on
	 * the statement's state, so take either */
	if (row->vals[0].type == VAL_TEXT)
		n = strtol(row->vals[0].s, NULL, 10);
	else
		n = (long)row->vals[0].i;
	cursor_close(cur);
	error_release(&err);
	return n;
}

#endif
