/*
 * test_rlib.c - the C core of the rules' helper library (engine/rlib.c):
 * money in ERP formats (edges: overflow, decimals, blanks, signs), money
 * formatting, TZif parsing and local/UTC conversions around DST, the
 * accent table. The Lua side is tested by rules/lib/tests (make
 * rules-test).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/buf.h"
#include "engine/err.h"
#include "engine/job.h"
#include "engine/rlib.h"
#include "engine/ruletest.h"
#include "rules_util.h"
#include "rule_msgs.h"
#include "engine/tstamp.h"

Suite *suite_rlib(void);

static int64_t ts(const char *s)
{
	int64_t t = 0;

	ck_assert_msg(tstamp_parse(s, strlen(s), &t) == 0, "%s", s);
	return t;
}

static int parse(const char *s, const char *fmt, int maxdec, int64_t *v)
{
	const char *cur;
	size_t curlen;
	int nd;

	return rlib_money_parse(s, strlen(s), rlib_numfmt_named(fmt), maxdec, v,
				&cur, &curlen, &nd);
}

START_TEST(money_formats)
{
	int64_t v;

	ck_assert_int_eq(parse("1.234,56", "de", 4, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, 12345600);
	ck_assert_int_eq(parse("1,234.56", "en", 4, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, 12345600);
	ck_assert_int_eq(parse("1'234.56", "ch", 4, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, 12345600);
	ck_assert_int_eq(parse("1\xE2\x80\xAF" "234,56", "fr", 4, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, 12345600);
	ck_assert_int_eq(parse("0", "plain", 0, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(parse("007", "de", 4, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, 70000);
	ck_assert_ptr_null(rlib_numfmt_named("xx"));
}
END_TEST

START_TEST(money_signs_and_currency)
{
	const char *cur;
	size_t curlen;
	int nd;
	int64_t v;

	ck_assert_int_eq(parse("  -12,5 ", "de", 4, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, -125000);
	ck_assert_int_eq(parse("12,5-", "de", 4, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, -125000);
	ck_assert_int_eq(parse("( 12,5 )", "de", 4, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, -125000);
	ck_assert_int_eq(parse("-12,5-", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("(-12,5)", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("- ", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(rlib_money_parse("EUR-3", 5, rlib_numfmt_named("de"), 4,
					  &v, &cur, &curlen, &nd), RLIB_MONEY_OK);
	ck_assert_int_eq(v, -30000);
	ck_assert_int_eq((int)curlen, 3);
	ck_assert_int_eq(memcmp(cur, "EUR", 3), 0);
	ck_assert_int_eq(rlib_money_parse("3 \xE2\x82\xAC", 5, rlib_numfmt_named("de"),
					  4, &v, &cur, &curlen, &nd), RLIB_MONEY_OK);
	ck_assert_int_eq((int)curlen, 3);
	ck_assert_int_eq(parse("EURO 3", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("eur 3", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("EUR 3 USD", "de", 4, &v), RLIB_MONEY_SYNTAX);
}
END_TEST

START_TEST(money_refusals)
{
	int64_t v;
	const char *cur;
	size_t curlen;
	int nd;

	ck_assert_int_eq(parse("", "de", 4, &v), RLIB_MONEY_BLANK);
	ck_assert_int_eq(parse(" \t\xC2\xA0", "de", 4, &v), RLIB_MONEY_BLANK);
	ck_assert_int_eq(parse("1 234", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("1.23", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("1234.567", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("1.234.56", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("1..234", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse(".234", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("12,", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("12,5x", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("1,5e3", "de", 4, &v), RLIB_MONEY_SYNTAX);
	/* decimals: zeros beyond are exact, other digits are refused */
	ck_assert_int_eq(parse("1,2300000", "de", 2, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, 12300);
	ck_assert_int_eq(rlib_money_parse("1,2301", 6, rlib_numfmt_named("de"), 2,
					  &v, &cur, &curlen, &nd),
			 RLIB_MONEY_DECIMALS);
	ck_assert_int_eq(nd, 4);
	ck_assert_int_eq(parse("0,00001", "de", 4, &v), RLIB_MONEY_DECIMALS);
	ck_assert_int_eq(parse("0,00001x", "de", 4, &v), RLIB_MONEY_SYNTAX);
	ck_assert_int_eq(parse("5,5", "de", 0, &v), RLIB_MONEY_DECIMALS);
	/* range: both ends exactly, and one unit past them */
	ck_assert_int_eq(parse("922.337.203.685.477,5807", "de", 4, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, INT64_MAX);
	ck_assert_int_eq(parse("-922.337.203.685.477,5808", "de", 4, &v), RLIB_MONEY_OK);
	ck_assert_int_eq(v, INT64_MIN);
	ck_assert_int_eq(parse("922337203685477,5808", "de", 4, &v), RLIB_MONEY_RANGE);
	ck_assert_int_eq(parse("-922337203685477,5809", "de", 4, &v), RLIB_MONEY_RANGE);
	ck_assert_int_eq(parse("99999999999999999999999999", "de", 4, &v),
			 RLIB_MONEY_RANGE);
}
END_TEST

static void fmt_is(int64_t v, const char *f, int d, const char *want)
{
	struct sbuf sb = SBUF_INIT(256);

	ck_assert_int_eq(rlib_money_format(v, rlib_numfmt_named(f), d, &sb), 0);
	ck_assert_str_eq(sb.buf, want);
	sbuf_release(&sb);
}

START_TEST(money_format)
{
	fmt_is(12345600, "de", 2, "1.234,56");
	fmt_is(12345600, "en", 0, "1,234.56");
	fmt_is(10000000, "en", 0, "1,000");
	fmt_is(1, "plain", 2, "0.0001");
	fmt_is(-5000, "ch", 2, "-0.50");
	fmt_is(INT64_MIN, "de", 2, "-922.337.203.685.477,5808");
	fmt_is(INT64_MAX, "fr", 2, "922 337 203 685 477,5807");
	fmt_is(9990000, "de", 4, "999,0000");
}
END_TEST

/* A TZif v2 file with no transitions, one type and the footer rule. */
static size_t tzif_rule(unsigned char *b, const char *rule)
{
	size_t n = 0;

	for (int part = 0; part < 2; part++) {
		memcpy(b + n, "TZif2", 5);
		memset(b + n + 5, 0, 39);
		b[n + 20 + 4 * 4 + 3] = 1;	/* typecnt */
		b[n + 20 + 5 * 4 + 3] = 4;	/* charcnt */
		n += 44;
		memcpy(b + n, "\0\0\x0e\x10\0\0", 6);	/* +3600, std */
		n += 6;
		memcpy(b + n, "CET", 4);
		n += 4;
	}
	n += (size_t)sprintf((char *)b + n, "\n%s\n", rule);
	return n;
}

static struct rlib_tz *tz_of(const unsigned char *b, size_t n)
{
	size_t need = 0;
	struct rlib_tz *tz;

	ck_assert_int_eq(rlib_tz_parse(b, n, NULL, 0, &need), 1);
	tz = malloc(need);
	ck_assert_ptr_nonnull(tz);
	ck_assert_int_eq(rlib_tz_parse(b, n, tz, need - 1, &need), 1);
	ck_assert_int_eq(rlib_tz_parse(b, n, tz, need, &need), 0);
	return tz;
}

static struct rlib_tz *tz_file(const char *path)
{
	static unsigned char b[1 << 16];
	FILE *f = fopen(path, "rb");
	size_t n;

	ck_assert_msg(f != NULL, "%s (tzdata installed?)", path);
	n = fread(b, 1, sizeof(b), f);
	fclose(f);
	return tz_of(b, n);
}

static void local_is(const struct rlib_tz *tz, const char *wall, int pick,
		     int want_st, const char *want_utc)
{
	int64_t t = 0;
	int32_t a, b;

	ck_assert_int_eq(rlib_tz_from_local(tz, ts(wall), pick, &t, &a, &b),
			 want_st);
	if (want_utc)
		ck_assert_int_eq(t, ts(want_utc));
}

static void berlin_checks(const struct rlib_tz *tz)
{
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-01-15T12:00:00Z")), 3600);
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-07-15T12:00:00Z")), 7200);
	/* 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST */
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-03-29T00:59:59Z")), 3600);
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-03-29T01:00:00Z")), 7200);
	/* 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET */
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-10-25T00:59:59Z")), 7200);
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-10-25T01:00:00Z")), 3600);
	local_is(tz, "2026-03-29 01:59:59", 0, RLIB_TZ_OK, "2026-03-29T00:59:59Z");
	local_is(tz, "2026-03-29 02:00:00", 0, RLIB_TZ_GAP, NULL);
	local_is(tz, "2026-03-29 02:59:59", 1, RLIB_TZ_GAP, NULL);
	local_is(tz, "2026-03-29 03:00:00", 0, RLIB_TZ_OK, "2026-03-29T01:00:00Z");
	local_is(tz, "2026-10-25 01:59:59", 0, RLIB_TZ_OK, "2026-10-24T23:59:59Z");
	local_is(tz, "2026-10-25 02:00:00", 0, RLIB_TZ_AMBIGUOUS, NULL);
	local_is(tz, "2026-10-25 02:30:00", -1, RLIB_TZ_OK, "2026-10-25T00:30:00Z");
	local_is(tz, "2026-10-25 02:30:00", 1, RLIB_TZ_OK, "2026-10-25T01:30:00Z");
	local_is(tz, "2026-10-25 03:00:00", 0, RLIB_TZ_OK, "2026-10-25T02:00:00Z");
	/* far past the tables: the footer rule */
	local_is(tz, "2099-07-01 12:00:00", 0, RLIB_TZ_OK, "2099-07-01T10:00:00Z");
	local_is(tz, "2099-03-29 02:30:00", 0, RLIB_TZ_GAP, NULL);
}

START_TEST(tz_berlin_file)
{
	struct rlib_tz *tz = tz_file("/usr/share/zoneinfo/Europe/Berlin");

	berlin_checks(tz);
	/* before 1893 Berlin kept local mean time, +0:53:28 */
	ck_assert_int_eq(rlib_tz_offset(tz, ts("1850-01-01T00:00:00Z")), 3208);
	free(tz);
}
END_TEST

START_TEST(tz_rule_only)
{
	unsigned char b[256];
	size_t n = tzif_rule(b, "CET-1CEST,M3.5.0,M10.5.0/3");
	struct rlib_tz *tz = tz_of(b, n);

	ck_assert_int_eq(tz->ntrans, 0);
	ck_assert_int_eq(tz->has_rule, 1);
	berlin_checks(tz);
	free(tz);
	/* southern hemisphere: Sydney, DST from October to April */
	n = tzif_rule(b, "AEST-10AEDT,M10.1.0,M4.1.0/3");
	tz = tz_of(b, n);
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-01-15T00:00:00Z")), 39600);
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-07-15T00:00:00Z")), 36000);
	local_is(tz, "2026-10-04 02:30:00", 0, RLIB_TZ_GAP, NULL);
	local_is(tz, "2026-04-05 02:30:00", 0, RLIB_TZ_AMBIGUOUS, NULL);
	free(tz);
	/* quoted names and a negative DST (as Europe/Dublin writes it) */
	n = tzif_rule(b, "<+03>-3");
	tz = tz_of(b, n);
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-07-15T00:00:00Z")), 10800);
	free(tz);
	n = tzif_rule(b, "IST-1GMT0,M10.5.0,M3.5.0/1");
	tz = tz_of(b, n);
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-01-15T00:00:00Z")), 0);
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-07-15T00:00:00Z")), 3600);
	free(tz);
}
END_TEST

START_TEST(tz_refused)
{
	unsigned char b[256];
	size_t need, n = tzif_rule(b, "CET-1CEST,M3.5.0,M10.5.0/3");

	ck_assert_int_eq(rlib_tz_parse(b, 43, NULL, 0, &need), -1);
	ck_assert_int_eq(rlib_tz_parse(b, 60, NULL, 0, &need), -1);	/* cut */
	b[0] = 'X';
	ck_assert_int_eq(rlib_tz_parse(b, n, NULL, 0, &need), -1);
	n = tzif_rule(b, "CET-1CEST,M13.5.0,M10.5.0/3");
	{
		struct rlib_tz *tz = malloc(sizeof(*tz));

		ck_assert_int_eq(rlib_tz_parse(b, n, tz, sizeof(*tz), &need), -1);
		n = tzif_rule(b, "C-1");	/* a name of one letter */
		ck_assert_int_eq(rlib_tz_parse(b, n, tz, sizeof(*tz), &need), -1);
		free(tz);
	}
}
END_TEST

START_TEST(tz_fixed)
{
	struct rlib_tz tz;

	ck_assert_int_eq(rlib_tz_fixed("+05:30", 6, &tz), 0);
	ck_assert_int_eq(rlib_tz_offset(&tz, 0), 19800);
	ck_assert_int_eq(rlib_tz_fixed("-08", 3, &tz), 0);
	ck_assert_int_eq(rlib_tz_offset(&tz, 0), -28800);
	ck_assert_int_eq(rlib_tz_fixed("UTC", 3, &tz), 0);
	ck_assert_int_eq(rlib_tz_offset(&tz, 0), 0);
	ck_assert_int_eq(rlib_tz_fixed("+15:00", 6, &tz), -1);
	ck_assert_int_eq(rlib_tz_fixed("+01:60", 6, &tz), -1);
	ck_assert_int_eq(rlib_tz_fixed("+1:00", 5, &tz), -1);
	ck_assert_int_eq(rlib_tz_fixed("Europe/Berlin", 13, &tz), -1);
	local_is(&tz, "2026-03-29 02:30:00", 0, RLIB_TZ_OK, "2026-03-29T02:30:00Z");
}
END_TEST

START_TEST(tz_new_york_file)
{
	struct rlib_tz *tz = tz_file("/usr/share/zoneinfo/America/New_York");

	local_is(tz, "2026-03-08 02:30:00", 0, RLIB_TZ_GAP, NULL);
	local_is(tz, "2026-11-01 01:30:00", -1, RLIB_TZ_OK, "2026-11-01T05:30:00Z");
	local_is(tz, "2026-11-01 01:30:00", 1, RLIB_TZ_OK, "2026-11-01T06:30:00Z");
	ck_assert_int_eq(rlib_tz_offset(tz, ts("2026-07-01T00:00:00Z")), -14400);
	free(tz);
}
END_TEST

START_TEST(accents)
{
	ck_assert_str_eq(rlib_ascii_of(0xE9), "e");
	ck_assert_str_eq(rlib_ascii_of(0xDF), "ss");
	ck_assert_str_eq(rlib_ascii_of(0xC6), "AE");
	ck_assert_str_eq(rlib_ascii_of(0x141), "L");
	ck_assert_str_eq(rlib_ascii_of(0x17F), "s");
	ck_assert_ptr_null(rlib_ascii_of(0xD7));	/* multiplication sign */
	ck_assert_ptr_null(rlib_ascii_of(0xF7));
	ck_assert_ptr_null(rlib_ascii_of(0xBF));
	ck_assert_ptr_null(rlib_ascii_of(0x180));
	ck_assert_ptr_null(rlib_ascii_of('e'));
	/* every letter of the range has a spelling of ASCII letters */
	for (uint32_t cp = 0xC0; cp <= 0x17F; cp++) {
		const char *a = rlib_ascii_of(cp);

		if (!a)
			continue;
		ck_assert_int_gt((int)strlen(a), 0);
		for (const char *p = a; *p; p++)
			ck_assert((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'));
	}
}
END_TEST

/* lib's own work is charged to the call's budget: a walk of 10^8
 * business days stops as a rule error at the rule's line, and so does
 * summing in a pcall loop; 10,000 days fit. */
START_TEST(budget)
{
	const char *files[] = { "tests/data/rules/rlib.lua", NULL };
	struct tjob t;
	struct rules *r;
	struct verdict_list l;

	tjob_init(&t, files, NULL);
	r = open_ok(&t);
	verdict_list_init(&l);
	check_key(r, "DAYS", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].is_error, 1);
	ck_assert_str_eq(l.v[0].message, BUDGET(1000000));
	ck_assert_str_eq(l.v[0].where, "tests/data/rules/rlib.lua:4");
	check_key(r, "SUM", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].is_error, 1);
	ck_assert_str_eq(l.v[0].message, BUDGET(1000000));
	check_key(r, "OK", &l);
	ck_assert_uint_eq(l.n, 0);
	verdict_list_release(&l);
	rules_free(r);
}
END_TEST

/* The Lua side: rules/lib/tests (what make rules-test runs) in this
 * process too, so that the sanitizer and valgrind runs of the unit suites
 * cover the library's Lua functions. Every test passes. */
START_TEST(lua_tests)
{
	struct job *job = NULL;
	struct ruletest_report rep;
	struct error err;

	error_init(&err);
	ck_assert_msg(job_load("jobs/lib-examples.xml", &job, &err) == 0, "%s",
		      err.msg.buf);
	ruletest_report_init(&rep);
	ck_assert_msg(ruletest_run(job, NULL, 0, &rep, &err) == 0, "%s",
		      err.msg.buf);
	for (size_t i = 0; i < rep.n; i++)
		ck_assert_msg(rep.r[i].message == NULL, "%s %s: %s",
			      rep.r[i].where, rep.r[i].name, rep.r[i].message);
	ck_assert_uint_ge(rep.passed, 36);
	ck_assert_uint_eq(rep.failed, 0);
	ruletest_report_release(&rep);
	job_free(job);
	error_release(&err);
}
END_TEST

Suite *suite_rlib(void)
{
	Suite *s = suite_create("rlib");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, money_formats);
	tcase_add_test(tc, money_signs_and_currency);
	tcase_add_test(tc, money_refusals);
	tcase_add_test(tc, money_format);
	tcase_add_test(tc, tz_berlin_file);
	tcase_add_test(tc, tz_rule_only);
	tcase_add_test(tc, tz_refused);
	tcase_add_test(tc, tz_fixed);
	tcase_add_test(tc, tz_new_york_file);
	tcase_add_test(tc, accents);
	suite_add_tcase(s, tc);
	tc = tcase_create("lua");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lua_tests);
	tcase_add_test(tc, budget);
	suite_add_tcase(s, tc);
	return s;
}
