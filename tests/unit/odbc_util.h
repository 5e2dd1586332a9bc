/*
 * odbc_util.h - helpers the connector suites share (test_odbc.c,
 * test_odbc_writer.c, test_sqlparam.c): open the test DSN and run a
 * statement, failing the test with the formatted error otherwise.
 * Header-only (static inline) because the runner links every test_*.c
 * and nothing else.
 */
#ifndef RECON_TEST_ODBC_UTIL_H
#define RECON_TEST_ODBC_UTIL_H

#include <check.h>

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

#endif
