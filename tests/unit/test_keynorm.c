/*
 * test_keynorm.c - the key normaliser behind key().
 */
#include <check.h>
#include <string.h>

#include "engine/keynorm.h"
#include "engine/buf.h"

Suite *suite_keynorm(void);

static struct sbuf out = SBUF_INIT(1 << 20);

static const char *norm(const char *s, const struct keynorm_opts *o)
{
	sbuf_reset(&out);
	ck_assert_int_eq(keynorm_apply(s, strlen(s), o, &out), 0);
	ck_assert_uint_eq(strlen(out.buf), out.len);
	return out.buf;
}

START_TEST(defaults)
{
	ck_assert_str_eq(norm("abc", NULL), "ABC");
	ck_assert_str_eq(norm("  so-001 \t\n 23  ", NULL), "SO-001 23");
	ck_assert_str_eq(norm("", NULL), "");
	ck_assert_str_eq(norm(" \t\r\n ", NULL), "");
	ck_assert_str_eq(norm("a\vb\fc", NULL), "A B C");
	ck_assert_str_eq(norm("Already-Upper_1", NULL), "ALREADY-UPPER_1");
}
END_TEST

START_TEST(utf8_kept)
{
	/* ü (C3 BC) and a no-break space (C2 A0) pass through untouched. */
	ck_assert_str_eq(norm("  m\xc3\xbcller  gmbh ", NULL),
			 "M\xc3\xbcLLER GMBH");
	ck_assert_str_eq(norm("a\xc2\xa0" "b", NULL), "A\xc2\xa0" "B");
}
END_TEST

START_TEST(strip)
{
	struct keynorm_opts o = KEYNORM_OPTS_INIT;

	o.strip = "-_/";
	o.strip_len = 3;
	ck_assert_str_eq(norm("so-12/34_5", &o), "SO12345");
	o.strip = " -";
	o.strip_len = 2;
	ck_assert_str_eq(norm(" so - 12  34 ", &o), "SO1234");
	/* Compared after case folding: "x" strips "X" too. */
	o.strip = "x";
	o.strip_len = 1;
	ck_assert_str_eq(norm("xXaX", &o), "A");
	/* Non-ASCII strip bytes never match. */
	o.strip = "\xc3";
	o.strip_len = 1;
	ck_assert_str_eq(norm("\xc3\xbc", &o), "\xc3\xbc");
}
END_TEST

START_TEST(prefix)
{
	static const char *const pfx[] = { "ORD", "SO", "S" };
	static const size_t plen[] = { 3, 2, 1 };
	struct keynorm_opts o = KEYNORM_OPTS_INIT;

	o.prefix = pfx;
	o.prefix_len = plen;
	o.nprefix = 3;
	ck_assert_str_eq(norm("so123", &o), "123");
	ck_assert_str_eq(norm("ord-9", &o), "-9");
	ck_assert_str_eq(norm("s9", &o), "9");
	ck_assert_str_eq(norm("x9", &o), "X9");
	/* Only the first match, and only once. */
	ck_assert_str_eq(norm("soso1", &o), "SO1");
	/* Blanks the removal exposes go too. */
	ck_assert_str_eq(norm("  so   42 ", &o), "42");
	ck_assert_str_eq(norm("so", &o), "");
}
END_TEST

START_TEST(zeros)
{
	static const char *const pfx[] = { "SO" };
	static const size_t plen[] = { 2 };
	struct keynorm_opts o = KEYNORM_OPTS_INIT;

	o.zeros = 1;
	ck_assert_str_eq(norm("000123", &o), "123");
	ck_assert_str_eq(norm("0000", &o), "0");
	ck_assert_str_eq(norm("0", &o), "0");
	ck_assert_str_eq(norm("100", &o), "100");
	ck_assert_str_eq(norm("", &o), "");
	ck_assert_str_eq(norm("0a", &o), "A");
	o.prefix = pfx;
	o.prefix_len = plen;
	o.nprefix = 1;
	o.strip = "-";
	o.strip_len = 1;
	ck_assert_str_eq(norm(" so-00123 ", &o), "123");
	ck_assert_str_eq(norm("SO-000", &o), "0");
	ck_assert_str_eq(norm("SO", &o), "");
}
END_TEST

START_TEST(lower)
{
	static const char *const pfx[] = { "INV" };
	static const size_t plen[] = { 3 };
	struct keynorm_opts o = KEYNORM_OPTS_INIT;

	o.lower = 1;
	ck_assert_str_eq(norm(" AbC  Def ", &o), "abc def");
	o.prefix = pfx;
	o.prefix_len = plen;
	o.nprefix = 1;
	ck_assert_str_eq(norm("Inv42", &o), "42");
}
END_TEST

START_TEST(appends_and_caps)
{
	struct sbuf small = SBUF_INIT(4);

	sbuf_reset(&out);
	sbuf_addstr(&out, "x:");
	ck_assert_int_eq(keynorm_apply(" a ", 3, NULL, &out), 0);
	ck_assert_str_eq(out.buf, "x:A");
	/* The output is never longer than the input, and the buffer is
	 * grown to the input's length: a cap under it is an error. */
	ck_assert_int_eq(keynorm_apply("abcdef", 6, NULL, &small), -1);
	ck_assert_int_eq(small.failed, SBUF_TOOLONG);
	sbuf_release(&small);
	ck_assert_int_eq(keynorm_apply("ab\0cd", 5, NULL, &out), 0);
	ck_assert_uint_eq(out.len, 8);
	sbuf_release(&out);
}
END_TEST

Suite *suite_keynorm(void)
{
	Suite *s = suite_create("keynorm");
	TCase *tc = tcase_create("apply");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, utf8_kept);
	tcase_add_test(tc, strip);
	tcase_add_test(tc, prefix);
	tcase_add_test(tc, zeros);
	tcase_add_test(tc, lower);
	tcase_add_test(tc, appends_and_caps);
	suite_add_tcase(s, tc);
	return s;
}
