/*
 * test_money.c - exact decimal parsing, arithmetic and formatting.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/money.h"
#include "engine/buf.h"

static int parse(const char *s, int64_t *v)
{
	return money_parse(s, strlen(s), v);
}

START_TEST(parse_plain)
{
	int64_t v;

	ck_assert_int_eq(parse("12", &v), MONEY_OK);
	ck_assert_int_eq(v, 120000);
	ck_assert_int_eq(parse("-0.5", &v), MONEY_OK);
	ck_assert_int_eq(v, -5000);
	ck_assert_int_eq(parse(".25", &v), MONEY_OK);
	ck_assert_int_eq(v, 2500);
	ck_assert_int_eq(parse(" 1999.99 ", &v), MONEY_OK);
	ck_assert_int_eq(v, 19999900);
	ck_assert_int_eq(parse("1200.00000000", &v), MONEY_OK);
	ck_assert_int_eq(v, 12000000);
	ck_assert_int_eq(parse("+0.0001", &v), MONEY_OK);
	ck_assert_int_eq(v, 1);
}
END_TEST

START_TEST(parse_exponent)
{
	int64_t v;

	ck_assert_int_eq(parse("1.5e3", &v), MONEY_OK);
	ck_assert_int_eq(v, 15000000);
	ck_assert_int_eq(parse("125E-2", &v), MONEY_OK);
	ck_assert_int_eq(v, 12500);
	ck_assert_int_eq(parse("1e-5", &v), MONEY_PRECISION);
	ck_assert_int_eq(parse("1e", &v), MONEY_SYNTAX);
}
END_TEST

START_TEST(parse_rejects)
{
	int64_t v;

	ck_assert_int_eq(parse("", &v), MONEY_SYNTAX);
	ck_assert_int_eq(parse("-", &v), MONEY_SYNTAX);
	ck_assert_int_eq(parse("1.2.3", &v), MONEY_SYNTAX);
	ck_assert_int_eq(parse("12a", &v), MONEY_SYNTAX);
	ck_assert_int_eq(parse("1,5", &v), MONEY_SYNTAX);
	ck_assert_int_eq(parse("0.00001", &v), MONEY_PRECISION);
	ck_assert_int_eq(parse("0.123456789", &v), MONEY_PRECISION);
	ck_assert_int_eq(parse("922337203685477.5807", &v), MONEY_OK);
	ck_assert(v == INT64_MAX);
	ck_assert_int_eq(parse("-922337203685477.5808", &v), MONEY_OK);
	ck_assert(v == INT64_MIN);
	ck_assert_int_eq(parse("922337203685477.5808", &v), MONEY_RANGE);
	ck_assert_int_eq(parse("99999999999999999999999", &v), MONEY_RANGE);
}
END_TEST

START_TEST(arithmetic_checked)
{
	int64_t v;

	ck_assert_int_eq(money_add(INT64_MAX, 1, &v), MONEY_RANGE);
	ck_assert_int_eq(money_sub(INT64_MIN, 1, &v), MONEY_RANGE);
	ck_assert_int_eq(money_mul_int(INT64_MAX / 2 + 1, 2, &v), MONEY_RANGE);
	ck_assert_int_eq(money_abs(INT64_MIN, &v), MONEY_RANGE);
	ck_assert_int_eq(money_add(100, -250, &v), MONEY_OK);
	ck_assert_int_eq(v, -150);
}
END_TEST

START_TEST(tolerance)
{
	/* 0.01 absolute */
	ck_assert(money_within(1000100, 1000000, 100, 0));
	ck_assert(!money_within(1000101, 1000000, 100, 0));
	/* 1% relative (10000 ppm) of 100.00 = 1.00 */
	ck_assert(money_within(1010000, 1000000, 0, 10000));
	ck_assert(!money_within(1010001, 1000000, 0, 10000));
	/* extremes do not overflow */
	ck_assert(!money_within(INT64_MAX, INT64_MIN, 0, 1000000));
}
END_TEST

START_TEST(format)
{
	struct sbuf sb = SBUF_INIT(100);

	money_format(19999900, 2, &sb);
	ck_assert_str_eq(sb.buf, "1999.99");
	sbuf_reset(&sb);
	money_format(-5000, 2, &sb);
	ck_assert_str_eq(sb.buf, "-0.50");
	sbuf_reset(&sb);
	money_format(12345, 2, &sb); /* 1.2345 keeps its digits */
	ck_assert_str_eq(sb.buf, "1.2345");
	sbuf_reset(&sb);
	money_format(120000, 0, &sb);
	ck_assert_str_eq(sb.buf, "12");
	sbuf_reset(&sb);
	money_format(INT64_MIN, 2, &sb);
	ck_assert_str_eq(sb.buf, "-922337203685477.5808");
	sbuf_release(&sb);
}
END_TEST

/*
 * money_format builds its digits in one buffer now; the text is hashed
 * into row fingerprints and ledger values, so it is held to a printf
 * reference (integer part "%llu", four fraction digits "%04llu" cut
 * back to `decimals` trailing zeros) at the edges and on a sweep.
 */
static void format_same(int64_t v, int decimals)
{
	struct sbuf sb = SBUF_INIT(64);
	char want[64], frac[8];
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	int nd = 4, d = decimals < 0 ? 0 : decimals > 4 ? 4 : decimals;

	snprintf(frac, sizeof(frac), "%04llu",
		 (unsigned long long)(mag % 10000));
	while (nd > d && frac[nd - 1] == '0')
		nd--;
	snprintf(want, sizeof(want), "%s%llu%s%.*s", v < 0 ? "-" : "",
		 (unsigned long long)(mag / 10000), nd ? "." : "", nd, frac);
	sbuf_add(&sb, "x", 1);	/* appends after what is there */
	ck_assert_int_eq(money_format(v, decimals, &sb), 0);
	ck_assert_str_eq(sb.buf + 1, want);
	ck_assert_uint_eq(sb.len, 1 + strlen(want));
	sbuf_release(&sb);
}

START_TEST(format_as_printf)
{
	static const int64_t ev[] = {
		0, 1, -1, 9999, 10000, -10000, 10001, 5000, -5000, 123456789,
		INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1,
	};
	struct sbuf sb;
	uint64_t x = UINT64_C(0x2545F4914F6CDD1D);

	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		for (int d = -1; d <= 5; d++)
			format_same(ev[i], d);
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		format_same((int64_t)(x >> (i % 64)) * (i & 1 ? -1 : 1), i % 5);
	}
	/* a full buffer fails, as sbuf_add does */
	sbuf_init(&sb, 4);
	ck_assert_int_eq(money_format(-123456, 2, &sb), -1);
	ck_assert(sb.failed);
	sbuf_release(&sb);
}
END_TEST

START_TEST(roundtrip)
{
	static const char *const in[] = { "0", "0.01", "-17.3", "1e2",
					  "123456789.1234" };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct sbuf sb = SBUF_INIT(100);
		int64_t a, b;

		ck_assert_int_eq(parse(in[i], &a), MONEY_OK);
		money_format(a, 0, &sb);
		ck_assert_int_eq(money_parse(sb.buf, sb.len, &b), MONEY_OK);
		ck_assert(a == b);
		sbuf_release(&sb);
	}
}
END_TEST

Suite *suite_money(void);
Suite *suite_money(void)
{
	Suite *s = suite_create("money");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_plain);
	tcase_add_test(tc, parse_exponent);
	tcase_add_test(tc, parse_rejects);
	tcase_add_test(tc, arithmetic_checked);
	tcase_add_test(tc, tolerance);
	tcase_add_test(tc, format);
	tcase_add_test(tc, format_as_printf);
	tcase_add_test(tc, roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
