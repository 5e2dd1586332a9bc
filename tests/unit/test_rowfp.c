/*
 * test_rowfp.c - source row fingerprints (engine/rowfp.h, format
 * recon-rowfp/2): values normalised by type, so that the same row gives
 * the same fingerprint through any driver.
 *
 * The driver cases read the same rows through sqliteodbc (the unit DSN)
 * and, when RECON_TEST_PG_DSN names a psqlODBC DSN of the odbc.ini in
 * use, through psqlODBC (tests/e2e/run.sh pg runs this suite so against
 * its throwaway cluster); without it the PostgreSQL case is not added.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "connectors/connector.h"
#include "engine/money.h"
#include "engine/rowfp.h"
#include "engine/tstamp.h"
#include "odbc_util.h"

/* ---- hand-built values ------------------------------------------------ */

static struct value v_int(int64_t i)
{
	struct value v = { 0 };

	v.type = VAL_INT;
	v.i = i;
	return v;
}

/* A VAL_DEC as the connector makes it of text s (money_parse). */
static struct value v_dec(const char *s)
{
	struct value v = { 0 };

	v.type = VAL_DEC;
	v.s = s;
	v.len = strlen(s);
	ck_assert_int_eq(money_parse(s, v.len, &v.i), MONEY_OK);
	return v;
}

static struct value v_text(const char *s)
{
	struct value v = { 0 };

	v.type = VAL_TEXT;
	v.s = s;
	v.len = strlen(s);
	return v;
}

/* A VAL_TIME as the connector makes it of text s (tstamp_parse). */
static struct value v_time(const char *s)
{
	struct value v = { 0 };

	v.type = VAL_TIME;
	v.s = s;
	v.len = strlen(s);
	ck_assert_int_eq(tstamp_parse(s, v.len, &v.i), 0);
	return v;
}

/* Hex fingerprint of a one-column row "x" holding v. */
static void fp1(struct value v, char hex[65])
{
	static const char *const names[1] = { "x" };
	struct row r = { 1, names, &v, 1 };
	struct rowfp f;
	struct error err;
	uint8_t fp[32];

	error_init(&err);
	rowfp_init(&f);
	ck_assert_int_eq(rowfp_row(&f, &r, fp, &err), 0);
	rowfp_hex(fp, hex);
	rowfp_release(&f);
	error_release(&err);
}

static void sha_hex(const char *s, char hex[65])
{
	uint8_t md[32];
	unsigned n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	ck_assert(ctx);
	ck_assert(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL));
	ck_assert(EVP_DigestUpdate(ctx, s, strlen(s)));
	ck_assert(EVP_DigestFinal_ex(ctx, md, &n) && n == 32);
	EVP_MD_CTX_free(ctx);
	rowfp_hex(md, hex);
}

/* The fingerprint of one column "x" is SHA-256 of the documented bytes. */
static void assert_ser(struct value v, const char *line)
{
	char got[65], want[65], ser[256];

	snprintf(ser, sizeof(ser), ROWFP_FORMAT "\n%s", line);
	sha_hex(ser, want);
	fp1(v, got);
	ck_assert_msg(strcmp(got, want) == 0, "want the fingerprint of %s",
		      ser);
}

static void assert_same(struct value a, struct value b)
{
	char ha[65], hb[65];

	fp1(a, ha);
	fp1(b, hb);
	ck_assert_str_eq(ha, hb);
}

static void assert_differ(struct value a, struct value b)
{
	char ha[65], hb[65];

	fp1(a, ha);
	fp1(b, hb);
	ck_assert_str_ne(ha, hb);
}

/* The serialisation as rowfp.h documents it, and a fixed hash (so the
 * format cannot change without this test changing). */
START_TEST(format)
{
	static const char *const names[3] = { "id", "note", "amount" };
	struct value v[3];
	struct row r = { 3, names, v, 1 };
	struct rowfp f;
	struct error err;
	uint8_t fp[32];
	char hex[65], want[65];

	v[0] = v_int(42);
	v[1] = (struct value){ 0 };
	v[1].type = VAL_NULL;
	v[2] = v_dec("12.50");
	error_init(&err);
	rowfp_init(&f);
	ck_assert_int_eq(rowfp_row(&f, &r, fp, &err), 0);
	rowfp_hex(fp, hex);
	sha_hex("recon-rowfp/2\nid#2:42\nnote:-\namount#4:12.5\n", want);
	ck_assert_str_eq(hex, want);
	ck_assert_str_eq(hex, "5bc225c472805da8de5c8024ccc8ca3adb1cc40a7b14331b6d4d7f965926cf8e");
	rowfp_release(&f);
	error_release(&err);

	assert_ser(v_text("a b"), "x:3:a b\n");
	assert_ser(v_text(""), "x:0:\n");
	assert_ser(v_time("2026-11-02 09:00:00"), "x@20:2026-11-02T09:00:00Z\n");
	assert_ser(v_time("1969-12-31 23:59:59.5"),
		   "x@22:1969-12-31T23:59:59.5Z\n");
	assert_ser(v_time("0001-01-01 00:00:00"), "x@20:0001-01-01T00:00:00Z\n");
}
END_TEST

/* Exact numbers: one canonical decimal whatever the driver printed. */
START_TEST(numbers)
{
	struct value t = v_text("200480");

	assert_ser(v_int(200480), "x#6:200480\n");
	/* the digits are written by hand now: the ends of int64 and zero */
	assert_ser(v_int(0), "x#1:0\n");
	assert_ser(v_int(-7), "x#2:-7\n");
	assert_ser(v_int(INT64_MIN), "x#20:-9223372036854775808\n");
	assert_ser(v_int(INT64_MAX), "x#19:9223372036854775807\n");
	assert_same(v_int(200480), v_dec("200480"));
	assert_same(v_int(200480), v_dec("200480.0"));
	assert_same(v_int(200480), v_dec("200480.00"));
	assert_same(v_dec("200480.0000"), v_dec("+200480.00"));
	assert_same(v_dec("2.0048e5"), v_dec("200480.00"));
	assert_ser(v_dec("0.10"), "x#3:0.1\n");
	assert_same(v_dec("0.10"), v_dec("0.1"));
	assert_same(v_dec(".1"), v_dec("0.1000"));
	assert_differ(v_dec("0.10"), v_dec("0.01"));
	/* negative zero is zero */
	assert_ser(v_dec("-0.00"), "x#1:0\n");
	assert_same(v_dec("-0"), v_int(0));
	assert_ser(v_dec("-12.340"), "x#6:-12.34\n");
	assert_differ(v_dec("-12.34"), v_dec("12.34"));
	/* a SQLite DECIMAL column's exact value (text, dec_text) is a
	 * number like the others */
	ck_assert_int_eq(money_parse(t.s, t.len, &t.i), MONEY_OK);
	t.dec_text = 1;
	assert_same(t, v_dec("200480.00"));
}
END_TEST

/* Text stays text: never equal to a number, whatever it looks like. */
START_TEST(text_is_text)
{
	assert_ser(v_text("200480.00"), "x:9:200480.00\n");
	assert_differ(v_text("200480"), v_int(200480));
	assert_differ(v_text("200480.00"), v_dec("200480.00"));
	assert_differ(v_text("2026-11-02T09:00:00Z"),
		      v_time("2026-11-02 09:00:00"));
	/* text is not normalised */
	assert_differ(v_text("0.10"), v_text("0.1"));
}
END_TEST

/* A value not proven exact is its text, tagged: equal to no exact number
 * and to no text. */
START_TEST(approximate)
{
	struct value a = { 0 }, s = v_text("1234567890123.46");

	a.type = VAL_DEC;
	a.s = "1234567890123.46";
	a.len = strlen(a.s);
	a.approx = "DOUBLE (approximate)";
	assert_ser(a, "x?16:1234567890123.46\n");
	assert_differ(a, v_dec("1234567890123.46"));
	assert_differ(a, v_text("1234567890123.46"));
	/* a SQLite DECIMAL's unproven text (VAL_TEXT with approx) */
	s.approx = "DECIMAL, stored by SQLite as a double,";
	assert_same(a, s);
	assert_differ(s, v_text("1234567890123.46"));
}
END_TEST

/* Times: UTC, one form, fractions of a second kept without trailing
 * zeros; a date is its midnight. */
START_TEST(times)
{
	struct value t = v_time("2026-11-02 09:00:00");

	assert_same(t, v_time("2026-11-02T09:00:00Z"));
	assert_same(t, v_time("2026-11-02 09:00:00.000"));
	assert_same(t, v_time("2026-11-02 10:00:00+01"));
	assert_same(t, v_time("2026-11-02T04:30:00-04:30"));
	assert_same(t, v_time("2026-11-02 09:00"));
	assert_ser(v_time("2026-11-02 09:00:00.250"),
		   "x@23:2026-11-02T09:00:00.25Z\n");
	assert_same(v_time("2026-11-02 09:00:00.25"),
		    v_time("2026-11-02 10:00:00.250000+01:00"));
	assert_differ(t, v_time("2026-11-02 09:00:00.5"));
	assert_ser(v_time("2026-11-02"), "x@20:2026-11-02T00:00:00Z\n");
	assert_same(v_time("2026-11-02"), v_time("2026-11-02 00:00:00"));
}
END_TEST

/* ---- real drivers ----------------------------------------------------- */

#define NROWS 3

/* Fingerprints of the rows of `SELECT * FROM rowfp_t ORDER BY id` on
 * source DSN dsn, after creating it with DDL ddl; the rows' values as
 * each driver typed them go to kinds. */
static void read_fps(const char *dsn, const char *ddl, char hex[NROWS][65],
		     enum val_type kinds[NROWS][8])
{
	static const char *const ins =
		"INSERT INTO rowfp_t VALUES "
		"(1, 200480.00, 0.10, -0.00, '2026-11-02 09:00:00', "
		"'2026-11-02', '200480.00', 'a'), "
		"(2, 12.50, 7, 0, '2026-11-02 09:00:00.250', "
		"'2026-01-31', 'note', 'b'), "
		"(3, 12.50, 7, 0, '2026-11-02 09:00:00.250', "
		"'2026-01-31', 'other', 'b')";
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	struct rowfp f;
	struct error err;
	uint8_t fp[32];
	int n = 0;

	error_init(&err);
	if (conn_open(dsn, &c, &err) < 0) {
		struct sbuf m = SBUF_INIT(4096);

		error_format(&err, &m);
		ck_abort_msg("conn_open %s: %s", dsn, m.buf);
	}
	exec_ok(c, "DROP TABLE IF EXISTS rowfp_t");
	exec_ok(c, ddl);
	exec_ok(c, ins);
	conn_close(c);
	c = NULL;
	/* a source connection, as a run reads (SQLite DECIMAL checks) */
	ck_assert_int_eq(conn_open_source(dsn, &c, &err), 0);
	ck_assert_int_eq(cursor_open(c, "SELECT * FROM rowfp_t ORDER BY id",
				     NULL, 0, 0, &cur, &err), 0);
	rowfp_init(&f);
	while (cursor_next(cur, &row, &err) == 1) {
		ck_assert_int_lt(n, NROWS);
		ck_assert_int_eq(row->ncols, 8);
		for (size_t j = 0; j < 8; j++)
			kinds[n][j] = row->vals[j].type;
		ck_assert_int_eq(rowfp_row(&f, row, fp, &err), 0);
		rowfp_hex(fp, hex[n++]);
	}
	ck_assert_int_eq(err.code, ERR_OK);
	ck_assert_int_eq(n, NROWS);
	rowfp_release(&f);
	cursor_close(cur);
	conn_close(c);
	error_release(&err);
}

/* What both drivers must give: row 1 written out by hand. */
static const char *const row1 =
	"recon-rowfp/2\n"
	"id#1:1\n"
	"amount#6:200480\n"
	"price#3:0.1\n"
	"zero#1:0\n"
	"closed@20:2026-11-02T09:00:00Z\n"
	"day@20:2026-11-02T00:00:00Z\n"
	"note:9:200480.00\n"
	"tag:1:a\n";

static void check_rows(const char *dsn, const char *ddl,
		       char hex[NROWS][65])
{
	enum val_type kinds[NROWS][8];
	char want[65];

	read_fps(dsn, ddl, hex, kinds);
	sha_hex(row1, want);
	ck_assert_str_eq(hex[0], want);
	/* the two rows that share a tag (a duplicated key) differ */
	ck_assert_str_ne(hex[1], hex[2]);
	/* the note column is text on both: '200480.00' stays as it is */
	ck_assert_int_eq(kinds[0][6], VAL_TEXT);
}

/* SQLite declares money DECIMAL (sqliteodbc: text), NUMERIC (a double)
 * and times as TIMESTAMP/DATE text. */
static const char *const sqlite_ddl =
	"CREATE TABLE rowfp_t (id INTEGER PRIMARY KEY, amount DECIMAL(12,2), "
	"price NUMERIC(12,2), zero DECIMAL(12,2), closed TIMESTAMP, "
	"day DATE, note TEXT, tag TEXT)";

static const char *const pg_ddl =
	"CREATE TABLE rowfp_t (id INTEGER PRIMARY KEY, amount NUMERIC(12,2), "
	"price NUMERIC(12,2), zero NUMERIC(12,2), closed TIMESTAMP(3), "
	"day DATE, note TEXT, tag TEXT)";

START_TEST(sqlite_driver)
{
	char hex[NROWS][65];

	check_rows(TEST_DSN, sqlite_ddl, hex);
}
END_TEST

/* The same rows through psqlODBC fingerprint exactly as through
 * sqliteodbc, so a duplicated key resolves to the same row on both. */
START_TEST(sqlite_and_postgresql)
{
	char lite[NROWS][65], pg[NROWS][65];
	const char *dsn = getenv("RECON_TEST_PG_DSN");

	ck_assert(dsn && *dsn);
	check_rows(TEST_DSN, sqlite_ddl, lite);
	check_rows(dsn, pg_ddl, pg);
	for (int i = 0; i < NROWS; i++)
		ck_assert_str_eq(lite[i], pg[i]);
	ck_assert_int_eq(strcmp(lite[1], lite[2]) < 0,
			 strcmp(pg[1], pg[2]) < 0);
}
END_TEST

Suite *suite_rowfp(void);
Suite *suite_rowfp(void)
{
	Suite *s = suite_create("rowfp");
	TCase *tc = tcase_create("core");
	const char *pg = getenv("RECON_TEST_PG_DSN");

	tcase_add_test(tc, format);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, text_is_text);
	tcase_add_test(tc, approximate);
	tcase_add_test(tc, times);
	tcase_add_test(tc, sqlite_driver);
	if (pg && *pg)
		tcase_add_test(tc, sqlite_and_postgresql);
	suite_add_tcase(s, tc);
	return s;
}
