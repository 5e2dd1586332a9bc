/*
 * test_odbc_writer.c - the writer thread of the ODBC connector against
 * sqliteodbc (DSN recon_test): a failure of a batch in flight is reported
 * by the next writer_add/writer_flush exactly as the synchronous writer
 * reports it, nothing is sent after it, writer_flush waits, writer_close
 * waits for a batch in flight, and no two threads are ever inside the
 * driver at once (every other use of the connection waits).
 *
 * The odbc_api table is wrapped with counting wrappers: `busy` counts
 * the threads inside a wrapped call, and a call that finds another one
 * inside is counted in `overlaps`; execute can be slowed down so that a
 * batch is surely still in flight when the test goes on.
 */
#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "connectors/connector.h"
#include "connectors/odbc_int.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "engine/mem.h"
#include "odbc_util.h"

#define DSN "recon_test"

static atomic_int busy;		/* threads inside a wrapped call */
static atomic_int overlaps;	/* calls that found another one inside */
static atomic_int executes;	/* SQLExecute calls that returned */
static atomic_int exec_delay_ms;

/* For ck_assert messages that read. */
static int nexec(void)
{
	return atomic_load(&executes);
}

static int noverlap(void)
{
	return atomic_load(&overlaps);
}

static int nbusy(void)
{
	return atomic_load(&busy);
}

static void sleep_ms(int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void enter(void)
{
	if (atomic_fetch_add(&busy, 1) != 0)
		atomic_fetch_add(&overlaps, 1);
}

static void leave(void)
{
	atomic_fetch_sub(&busy, 1);
}

static SQLRETURN w_execute(SQLHSTMT st)
{
	SQLRETURN rc;
	int ms = atomic_load(&exec_delay_ms);

	enter();
	if (ms)
		sleep_ms(ms);
	rc = odbc_api_real.execute(st);
	leave();
	atomic_fetch_add(&executes, 1);
	return rc;
}

static SQLRETURN w_exec_direct(SQLHSTMT st, SQLCHAR *sql, SQLINTEGER len)
{
	SQLRETURN rc;

	enter();
	rc = odbc_api_real.exec_direct(st, sql, len);
	leave();
	return rc;
}

static SQLRETURN w_prepare(SQLHSTMT st, SQLCHAR *sql, SQLINTEGER len)
{
	SQLRETURN rc;

	enter();
	rc = odbc_api_real.prepare(st, sql, len);
	leave();
	return rc;
}

static SQLRETURN w_bind_parameter(SQLHSTMT st, SQLUSMALLINT n,
				  SQLSMALLINT io, SQLSMALLINT ctype,
				  SQLSMALLINT sqltype, SQLULEN size,
				  SQLSMALLINT digits, SQLPOINTER buf,
				  SQLLEN buflen, SQLLEN *ind)
{
	SQLRETURN rc;

	enter();
	rc = odbc_api_real.bind_parameter(st, n, io, ctype, sqltype, size,
					  digits, buf, buflen, ind);
	leave();
	return rc;
}

static SQLRETURN w_fetch(SQLHSTMT st)
{
	SQLRETURN rc;

	enter();
	rc = odbc_api_real.fetch(st);
	leave();
	return rc;
}

static SQLRETURN w_end_tran(SQLSMALLINT type, SQLHANDLE h, SQLSMALLINT how)
{
	SQLRETURN rc;

	enter();
	rc = odbc_api_real.end_tran(type, h, how);
	leave();
	return rc;
}

static SQLRETURN w_alloc_handle(SQLSMALLINT type, SQLHANDLE in,
				SQLHANDLE *out)
{
	SQLRETURN rc;

	enter();
	rc = odbc_api_real.alloc_handle(type, in, out);
	leave();
	return rc;
}

static SQLRETURN w_free_handle(SQLSMALLINT type, SQLHANDLE h)
{
	SQLRETURN rc;

	enter();
	rc = odbc_api_real.free_handle(type, h);
	leave();
	return rc;
}

static SQLRETURN w_free_stmt(SQLHSTMT st, SQLUSMALLINT option)
{
	SQLRETURN rc;

	enter();
	rc = odbc_api_real.free_stmt(st, option);
	leave();
	return rc;
}

static void wrap(int delay_ms)
{
	atomic_store(&busy, 0);
	atomic_store(&overlaps, 0);
	atomic_store(&executes, 0);
	atomic_store(&exec_delay_ms, delay_ms);
	odbc_api.execute = w_execute;
	odbc_api.exec_direct = w_exec_direct;
	odbc_api.prepare = w_prepare;
	odbc_api.bind_parameter = w_bind_parameter;
	odbc_api.fetch = w_fetch;
	odbc_api.end_tran = w_end_tran;
	odbc_api.alloc_handle = w_alloc_handle;
	odbc_api.free_handle = w_free_handle;
	odbc_api.free_stmt = w_free_stmt;
}

static void setup(void)
{
	mkdir("out", 0755);
	mkdir("out/test", 0755);
	odbc_api_reset();
	odbc_writer_sync = 0;
}

static void teardown(void)
{
	odbc_api_reset();
	odbc_writer_sync = 0;
	mem_fault_off();
}

static int add_id(struct writer *w, long id, struct error *err)
{
	char s[24], name[48];
	struct param v[2];

	snprintf(s, sizeof(s), "%ld", id);
	snprintf(name, sizeof(name), "row %ld", id);
	v[0].s = s;
	v[0].len = strlen(s);
	v[0].type = PARAM_TEXT;
	v[1].s = name;
	v[1].len = strlen(name);
	v[1].type = PARAM_TEXT;
	return writer_add(w, v, err);
}

static const char *const cols[] = { "id", "name" };

/* A table whose CHECK refuses ids over 4: with batches of 2 rows, the
 * second batch (ids 3 and 5) fails in the driver with its own message. */
static struct conn *checked_table(void)
{
	struct conn *c = open_ok();

	exec_ok(c, "DROP TABLE IF EXISTS odbc_wf");
	exec_ok(c, "CREATE TABLE odbc_wf (id INTEGER CHECK (id <= 4), "
		"name TEXT)");
	return c;
}

/*
 * Rows 1, 2 | 3, 5 | 4 ... into odbc_wf: the second batch fails. With
 * the thread (sync 0), that batch is in flight when writer_add returns;
 * a use of the connection (count_rows) waits for it, and the next
 * writer_add reports its failure. Without the thread (sync 1), the add
 * that fills the batch reports it. Either way the error text goes into
 * *msg, no further batch is sent, and later calls keep failing.
 */
static void failing_batch(int sync, struct sbuf *msg)
{
	struct conn *c;
	struct writer *w;
	struct error err;
	int rc;

	odbc_writer_sync = sync;
	c = checked_table();
	error_init(&err);
	wrap(sync ? 0 : 20);
	ck_assert_int_eq(writer_open(c, "odbc_wf", cols, 2, 2, &w, &err), 0);
	ck_assert_int_eq(add_id(w, 1, &err), 0);
	ck_assert_int_eq(add_id(w, 2, &err), 0);
	ck_assert_int_eq(add_id(w, 3, &err), 0);
	rc = add_id(w, 5, &err);
	if (sync) {
		ck_assert_int_eq(rc, -1);
	} else {
		ck_assert_int_eq(rc, 0);	/* in flight */
		ck_assert_int_eq(err.code, ERR_OK);
		/* waits for the batch: only batch 1 is in the table */
		ck_assert_int_eq(count_rows(c, "odbc_wf"), 2);
		ck_assert_int_eq(add_id(w, 4, &err), -1);
	}
	ck_assert_int_eq(nexec(), 2);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_uint_eq(strlen(err.sqlstate), 5);
	error_format(&err, msg);
	ck_assert_msg(strstr(msg->buf, "CHECK constraint failed") != NULL &&
		      strstr(msg->buf, "insert into 'odbc_wf' failed") != NULL &&
		      strstr(msg->buf, "table 'odbc_wf', dsn 'recon_test'") !=
		      NULL, "%s", msg->buf);
	/* the writer is done: nothing more is sent, the same error again */
	for (int k = 0; k < 3; k++) {
		struct sbuf again = SBUF_INIT(4096);

		error_clear(&err);
		ck_assert_int_eq(k < 2 ? add_id(w, 4, &err) :
				 writer_flush(w, &err), -1);
		error_format(&err, &again);
		ck_assert_str_eq(again.buf, msg->buf);
		sbuf_release(&again);
	}
	ck_assert_int_eq(nexec(), 2);
	ck_assert(writer_count(w) == 2);
	writer_close(w);
	ck_assert_int_eq(count_rows(c, "odbc_wf"), 2);
	ck_assert_int_eq(noverlap(), 0);
	error_release(&err);
	conn_close(c);
	odbc_api_reset();
}

START_TEST(inflight_failure_reported_as_before)
{
	struct sbuf sync = SBUF_INIT(4096), thr = SBUF_INIT(4096);

	failing_batch(1, &sync);
	failing_batch(0, &thr);
	ck_assert_str_eq(thr.buf, sync.buf);
	sbuf_release(&sync);
	sbuf_release(&thr);
}
END_TEST

/* The failure of the last full batch comes with the flush at the
 * latest, and the partial batch behind it is not sent. */
START_TEST(inflight_failure_at_flush)
{
	struct conn *c = checked_table();
	struct writer *w;
	struct error err;
	struct sbuf m = SBUF_INIT(4096);

	error_init(&err);
	wrap(20);
	ck_assert_int_eq(writer_open(c, "odbc_wf", cols, 2, 2, &w, &err), 0);
	ck_assert_int_eq(add_id(w, 5, &err), 0);
	ck_assert_int_eq(add_id(w, 1, &err), 0);	/* in flight, fails */
	ck_assert_int_eq(add_id(w, 2, &err), 0);	/* not sent */
	ck_assert_int_eq(writer_flush(w, &err), -1);
	ck_assert_int_eq(nexec(), 1);
	error_format(&err, &m);
	ck_assert_msg(strstr(m.buf, "CHECK constraint failed") != NULL, "%s",
		      m.buf);
	ck_assert(writer_count(w) == 0);
	writer_close(w);
	ck_assert_int_eq(count_rows(c, "odbc_wf"), 0);
	ck_assert_int_eq(noverlap(), 0);
	sbuf_release(&m);
	error_release(&err);
	conn_close(c);
}
END_TEST

/* writer_flush returns when every row is in the table: slow batches,
 * counted right after the flush. */
START_TEST(flush_waits)
{
	struct conn *c = checked_table();
	struct writer *w;
	struct error err;
	long i;

	exec_ok(c, "DROP TABLE IF EXISTS odbc_wf");
	exec_ok(c, "CREATE TABLE odbc_wf (id INTEGER, name TEXT)");
	error_init(&err);
	wrap(30);
	ck_assert_int_eq(conn_begin(c, &err), 0);
	ck_assert_int_eq(writer_open(c, "odbc_wf", cols, 2, 10, &w, &err), 0);
	for (i = 1; i <= 35; i++)
		ck_assert_int_eq(add_id(w, i, &err), 0);
	ck_assert_int_eq(writer_flush(w, &err), 0);
	ck_assert_int_eq(nexec(), 4);
	ck_assert(writer_count(w) == 35);
	ck_assert_int_eq(count_rows(c, "odbc_wf"), 35);
	/* flushing again sends nothing and still succeeds */
	ck_assert_int_eq(writer_flush(w, &err), 0);
	ck_assert_int_eq(nexec(), 4);
	writer_close(w);
	ck_assert_int_eq(conn_commit(c, &err), 0);
	ck_assert_int_eq(noverlap(), 0);
	error_release(&err);
	conn_close(c);
	c = open_ok();
	ck_assert_int_eq(count_rows(c, "odbc_wf"), 35);
	conn_close(c);
}
END_TEST

/* writer_close while a batch is in flight waits for it (the handed-off
 * batch is executed, the rows still buffered are not), also when the
 * batch fails; ASan and valgrind see the rest. */
START_TEST(close_while_in_flight)
{
	struct conn *c = checked_table();
	struct writer *w;
	struct error err;

	error_init(&err);
	wrap(100);
	ck_assert_int_eq(writer_open(c, "odbc_wf", cols, 2, 2, &w, &err), 0);
	ck_assert_int_eq(add_id(w, 1, &err), 0);
	ck_assert_int_eq(add_id(w, 2, &err), 0);	/* in flight */
	ck_assert_int_eq(add_id(w, 3, &err), 0);	/* buffered */
	writer_close(w);
	ck_assert_int_eq(nexec(), 1);
	ck_assert_int_eq(nbusy(), 0);
	ck_assert_int_eq(count_rows(c, "odbc_wf"), 2);
	/* a failing batch in flight, never reported: closed just the same */
	ck_assert_int_eq(writer_open(c, "odbc_wf", cols, 2, 2, &w, &err), 0);
	ck_assert_int_eq(add_id(w, 7, &err), 0);
	ck_assert_int_eq(add_id(w, 8, &err), 0);
	writer_close(w);
	ck_assert_int_eq(nexec(), 2);
	ck_assert_int_eq(count_rows(c, "odbc_wf"), 2);
	ck_assert_int_eq(err.code, ERR_OK);
	ck_assert_int_eq(noverlap(), 0);
	error_release(&err);
	conn_close(c);
}
END_TEST

/* Everything else on the connection waits for the batch in flight:
 * statements, cursors, another writer's batches, commit. */
START_TEST(connection_waits_for_batch)
{
	static const char *const one[] = { "id" };
	struct conn *c = checked_table();
	struct writer *w, *w2;
	struct error err;
	long i;

	exec_ok(c, "DROP TABLE IF EXISTS odbc_wf");
	exec_ok(c, "CREATE TABLE odbc_wf (id INTEGER, name TEXT)");
	exec_ok(c, "DROP TABLE IF EXISTS odbc_wg");
	exec_ok(c, "CREATE TABLE odbc_wg (id INTEGER)");
	error_init(&err);
	wrap(30);
	ck_assert_int_eq(conn_begin(c, &err), 0);
	ck_assert_int_eq(writer_open(c, "odbc_wf", cols, 2, 3, &w, &err), 0);
	ck_assert_int_eq(writer_open(c, "odbc_wg", one, 1, 2, &w2, &err), 0);
	for (i = 1; i <= 3; i++)
		ck_assert_int_eq(add_id(w, i, &err), 0);
	exec_ok(c, "INSERT INTO odbc_wg VALUES (100)");	/* waits */
	ck_assert_int_eq(nexec(), 1);
	for (i = 4; i <= 6; i++)
		ck_assert_int_eq(add_id(w, i, &err), 0);
	/* the cursor sees the batch that was in flight */
	ck_assert_int_eq(count_rows(c, "odbc_wf"), 6);
	/* two writers take turns on one connection */
	for (i = 7; i <= 30; i++) {
		struct param v;
		char s[24];

		snprintf(s, sizeof(s), "%ld", i);
		v.s = s;
		v.len = strlen(s);
		v.type = PARAM_TEXT;
		ck_assert_int_eq(add_id(w, i, &err), 0);
		ck_assert_int_eq(writer_add(w2, &v, &err), 0);
	}
	ck_assert_int_eq(conn_commit(c, &err), 0);	/* waits */
	ck_assert_int_eq(count_rows(c, "odbc_wf"), 30);
	ck_assert_int_eq(count_rows(c, "odbc_wg"), 25);	/* 100, 7..30 */
	ck_assert_int_eq(writer_flush(w, &err), 0);
	ck_assert_int_eq(writer_flush(w2, &err), 0);
	writer_close(w);
	writer_close(w2);
	ck_assert_int_eq(noverlap(), 0);
	error_release(&err);
	conn_close(c);
}
END_TEST

/* A batch that fails in flight and was not reported to the writer's
 * caller yet stops conn_commit, with the batch's error. */
START_TEST(commit_refuses_unreported_failure)
{
	struct conn *c = checked_table();
	struct writer *w;
	struct error err;

	error_init(&err);
	wrap(20);
	ck_assert_int_eq(conn_begin(c, &err), 0);
	ck_assert_int_eq(writer_open(c, "odbc_wf", cols, 2, 2, &w, &err), 0);
	ck_assert_int_eq(add_id(w, 1, &err), 0);
	ck_assert_int_eq(add_id(w, 2, &err), 0);
	ck_assert_int_eq(add_id(w, 3, &err), 0);
	ck_assert_int_eq(add_id(w, 9, &err), 0);	/* in flight, fails */
	ck_assert_int_eq(conn_commit(c, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "CHECK constraint failed"));
	ck_assert_ptr_nonnull(strstr(err.ctx.buf, "table 'odbc_wf'"));
	error_clear(&err);
	ck_assert_int_eq(conn_rollback(c, &err), 0);
	writer_close(w);
	ck_assert_int_eq(count_rows(c, "odbc_wf"), 0);
	error_release(&err);
	conn_close(c);
}
END_TEST

Suite *suite_odbc_writer(void);
Suite *suite_odbc_writer(void)
{
	Suite *s = suite_create("odbc_writer");
	TCase *tc = tcase_create("thread");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, inflight_failure_reported_as_before);
	tcase_add_test(tc, inflight_failure_at_flush);
	tcase_add_test(tc, flush_waits);
	tcase_add_test(tc, close_while_in_flight);
	tcase_add_test(tc, connection_waits_for_batch);
	tcase_add_test(tc, commit_refuses_unreported_failure);
	suite_add_tcase(s, tc);
	return s;
}
