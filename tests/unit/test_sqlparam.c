/*
 * test_sqlparam.c - SQLite queries with parameters read their values
 * from temp.recon_param so that sqliteodbc streams them
 * (connectors/sqlparam.c): the rewriter leaves quoted text and comments
 * alone and declines what it does not understand; through the connector
 * the rows are the same as with bound parameters, the values went
 * through the temporary table (not into the SQL), and inside a
 * transaction nothing is rewritten.
 */
#include <check.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "connectors/connector.h"
#include "connectors/odbc_int.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "odbc_util.h"

#define DSN "recon_test"
#define SUB(g, i) "(SELECT v FROM temp.recon_param WHERE g = " #g " AND i = " #i ")"

static const char *rewrite(const char *sql, size_t n, int *rc,
			   struct sbuf *out)
{
	sbuf_reset(out);
	*rc = odbc_sqlite_rewrite(sql, n, 7, out);
	return out->buf ? out->buf : "";
}

START_TEST(rewriter)
{
	struct sbuf out = SBUF_INIT(1 << 16);
	int rc;

	ck_assert_str_eq(rewrite("SELECT a FROM t WHERE x = ? AND y <= ?", 2,
				 &rc, &out),
			 "SELECT a FROM t WHERE x = " SUB(7, 1) " AND y <= "
			 SUB(7, 2));
	ck_assert_int_eq(rc, 1);
	/* a ? in quotes or comments is not a parameter */
	ck_assert_str_eq(rewrite("SELECT '?', 'it''s ?', \"c?\", [d?], `e?` "
				 "-- ?\n/* ? */ FROM t WHERE x = ?", 1, &rc,
				 &out),
			 "SELECT '?', 'it''s ?', \"c?\", [d?], `e?` -- ?\n"
			 "/* ? */ FROM t WHERE x = " SUB(7, 1));
	ck_assert_int_eq(rc, 1);
	/* declined: numbered or named parameters, a count that differs,
	 * an unterminated quote */
	rewrite("SELECT ?1", 1, &rc, &out);
	ck_assert_int_eq(rc, 0);
	rewrite("SELECT :name", 1, &rc, &out);
	ck_assert_int_eq(rc, 0);
	rewrite("SELECT @name, ?", 1, &rc, &out);
	ck_assert_int_eq(rc, 0);
	rewrite("SELECT ?, ?", 1, &rc, &out);
	ck_assert_int_eq(rc, 0);
	rewrite("SELECT ?", 2, &rc, &out);
	ck_assert_int_eq(rc, 0);
	rewrite("SELECT 'x = ?", 1, &rc, &out);
	ck_assert_int_eq(rc, 0);
	/* a lone : or $ is not a parameter */
	ck_assert_str_eq(rewrite("SELECT '10:00' || ':' , ? ", 1, &rc, &out),
			 "SELECT '10:00' || ':' , " SUB(7, 1) " ");
	ck_assert_int_eq(rc, 1);
	sbuf_release(&out);
}
END_TEST

/* One integer from a query on c (-1 if none). */
static long scalar(struct conn *c, const char *sql)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct error err;
	long v = -1;

	error_init(&err);
	ck_assert_msg(cursor_open(c, sql, NULL, 0, 0, &cur, &err) == 0, "%s",
		      err.msg.buf);
	if (cursor_next(cur, &row, &err) == 1)
		v = row->vals[0].type == VAL_INT ? (long)row->vals[0].i
		    : strtol(row->vals[0].s, NULL, 10);
	cursor_close(cur);
	error_release(&err);
	return v;
}

/* The names of rows of odbc_sp with x >= lo and name <> '?' (the '?'
 * literal must stay a literal), comma-separated. (No ? in the comment:
 * sqliteodbc counts one there as a parameter, bound or not.) */
static void names(struct conn *c, const char *lo, struct sbuf *out)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct param p[2];
	struct error err;
	int rc;

	memset(p, 0, sizeof(p));
	p[0].s = lo;
	p[0].len = strlen(lo);
	p[1].s = "zz";
	p[1].len = 2;
	error_init(&err);
	sbuf_reset(out);
	ck_assert_msg(cursor_open(c, "SELECT name FROM odbc_sp WHERE x >= ? "
				  "AND name <> '?' AND name < ? -- no mark here\n"
				  "ORDER BY x", p, 2, 0, &cur, &err) == 0,
		      "%s", err.msg.buf);
	while ((rc = cursor_next(cur, &row, &err)) == 1) {
		if (out->len)
			sbuf_addch(out, ',');
		sbuf_add(out, row->vals[0].s, row->vals[0].len);
	}
	ck_assert_int_eq(rc, 0);
	cursor_close(cur);
	error_release(&err);
}

START_TEST(through_the_connector)
{
	struct conn *c;
	struct sbuf got = SBUF_INIT(4096);
	struct error err;
	long sets;

	(void)dlopen("libodbcinst.so.2", RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
	mkdir("out", 0755);
	mkdir("out/test", 0755);
	c = open_ok();
	exec_ok(c, "DROP TABLE IF EXISTS odbc_sp");
	exec_ok(c, "CREATE TABLE odbc_sp (x INTEGER, name TEXT)");
	exec_ok(c, "INSERT INTO odbc_sp VALUES (1, 'a'), (2, '?'), (3, 'b'), "
		"(4, 'O''Brien'), (5, 'zzz')");
	/* "3" against an INTEGER column: compared as a number, as a bound
	 * parameter would be */
	names(c, "3", &got);
	ck_assert_str_eq(got.buf, "b,O'Brien");
	/* the values went through the temporary table, one set per query */
	ck_assert_int_eq(scalar(c, "SELECT COUNT(*) FROM temp.recon_param"), 2);
	names(c, "1", &got);
	ck_assert_str_eq(got.buf, "a,b,O'Brien");
	ck_assert_int_eq(scalar(c, "SELECT COUNT(DISTINCT g) FROM "
				   "temp.recon_param"), 2);
	ck_assert_int_eq(scalar(c, "SELECT v FROM temp.recon_param WHERE g = 2 "
				   "AND i = 1"), 1);
	/* inside a transaction sqliteodbc does not stream anyway: the
	 * parameters are bound as they are, the table is not touched */
	error_init(&err);
	ck_assert_int_eq(conn_begin(c, &err), 0);
	sets = scalar(c, "SELECT COUNT(*) FROM temp.recon_param");
	names(c, "4", &got);
	ck_assert_str_eq(got.buf, "O'Brien");
	ck_assert_int_eq(scalar(c, "SELECT COUNT(*) FROM temp.recon_param"),
			 sets);
	ck_assert_int_eq(conn_rollback(c, &err), 0);
	error_release(&err);
	sbuf_release(&got);
	conn_close(c);
}
END_TEST

Suite *suite_sqlparam(void);
Suite *suite_sqlparam(void)
{
	Suite *s = suite_create("sqlparam");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, rewriter);
	tcase_add_test(tc, through_the_connector);
	suite_add_tcase(s, tc);
	return s;
}
