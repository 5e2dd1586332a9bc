/*
 * test_explain.c - recon explain's near-miss normaliser (engine/explain.h):
 * which keys count as a near miss of each other, and how they differ.
 */
#include <check.h>
#include <string.h>

#include "engine/explain.h"
#include "engine/buf.h"

Suite *suite_explain(void);

static struct sbuf out = SBUF_INIT(1 << 16);

static const char *norm(const char *s, unsigned mask)
{
	sbuf_reset(&out);
	ck_assert_int_eq(explain_norm(s, mask, &out), 0);
	ck_assert_uint_eq(strlen(out.buf), out.len);
	return out.buf;
}

static const char *words(unsigned bits)
{
	sbuf_reset(&out);
	explain_near_words(bits, &out);
	return out.buf;
}

START_TEST(normaliser)
{
	ck_assert_str_eq(norm(" d-0042 ", EXPLAIN_ALL), "42");
	ck_assert_str_eq(norm(" d-0042 ", EXPLAIN_PADDING | EXPLAIN_CASE),
			 "D-0042");
	ck_assert_str_eq(norm("SO00300123  ", EXPLAIN_ALL), "300123");
	ck_assert_str_eq(norm("SO00300123", EXPLAIN_ZEROS), "SO300123");
	/* each digit run loses its own leading zeros; a run of zeros is 0 */
	ck_assert_str_eq(norm("A007-000-0100", EXPLAIN_ZEROS), "A7-0-100");
	ck_assert_str_eq(norm("x_y.z/1:2#3", EXPLAIN_SEPARATORS), "xyz123");
	/* a prefix is 1 to 3 letters before a digit, nothing else */
	ck_assert_str_eq(norm("INVC12", EXPLAIN_PREFIX), "INVC12");
	ck_assert_str_eq(norm("ABC", EXPLAIN_PREFIX), "ABC");
	ck_assert_str_eq(norm("", EXPLAIN_ALL), "");
	ck_assert_str_eq(norm("m\xc3\xbc-1", EXPLAIN_ALL), "M\xc3\xbc" "1");
}
END_TEST

START_TEST(near)
{
	/* equal is not a near miss, nor are different keys */
	ck_assert_uint_eq(explain_near("D-0042", "D-0042"), 0);
	ck_assert_uint_eq(explain_near("D-0042", "D-0043"), 0);
	ck_assert_uint_eq(explain_near("SO-1", ""), 0);
	ck_assert_uint_eq(explain_near(NULL, "SO-1"), 0);
	ck_assert_uint_eq(explain_near("D-0042", "d-0042 "),
			  EXPLAIN_PADDING | EXPLAIN_CASE);
	ck_assert_uint_eq(explain_near("SO-99000906", "SO99000906"),
			  EXPLAIN_SEPARATORS);
	ck_assert_uint_eq(explain_near("SO-300123", "SO-00300123"),
			  EXPLAIN_ZEROS);
	ck_assert_uint_eq(explain_near("D-42", "42"),
			  EXPLAIN_SEPARATORS | EXPLAIN_PREFIX);
	ck_assert_uint_eq(explain_near("D-0042", "42"),
			  EXPLAIN_SEPARATORS | EXPLAIN_ZEROS | EXPLAIN_PREFIX);
	ck_assert_uint_eq(explain_near("SO-300123", "so00300123  "),
			  EXPLAIN_PADDING | EXPLAIN_CASE | EXPLAIN_SEPARATORS |
			  EXPLAIN_ZEROS);
	/* a longer prefix is another key */
	ck_assert_uint_eq(explain_near("ORDER42", "42"), 0);
}
END_TEST

START_TEST(in_words)
{
	ck_assert_str_eq(words(EXPLAIN_CASE), "case");
	ck_assert_str_eq(words(EXPLAIN_PADDING | EXPLAIN_CASE),
			 "padding and case");
	ck_assert_str_eq(words(EXPLAIN_PADDING | EXPLAIN_ZEROS | EXPLAIN_PREFIX),
			 "padding, leading zeros and a letter prefix");
	ck_assert_str_eq(words(0), "");
	sbuf_release(&out);
}
END_TEST

Suite *suite_explain(void)
{
	Suite *s = suite_create("explain");
	TCase *tc = tcase_create("near");

	tcase_add_test(tc, normaliser);
	tcase_add_test(tc, near);
	tcase_add_test(tc, in_words);
	suite_add_tcase(s, tc);
	return s;
}
