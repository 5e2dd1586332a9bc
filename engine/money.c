/*
 * money.c - parsing, checked arithmetic and formatting of scaled amounts.
 */
#include <string.h>

#include "money.h"
#include "banned.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int money_parse(const char *s, size_t n, int64_t *out)
{
	const char *p = s, *end = s + n;
	int neg = 0, any = 0, seen_dot = 0;
	long frac = 0;		/* digits seen after the dot */
	long exp = 0;
	uint64_t mag = 0;	/* magnitude of the digits taken so far */
	int overflow = 0, lost = 0;
	/* Digits are accumulated into mag with their own count of decimals
	 * (frac); the exponent then moves the decimal point. Fraction digits
	 * that no longer fit are only allowed if they are zeros. */

	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (p < end && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9') {
			unsigned d = (unsigned)(*p - '0');

			any = 1;
			if (seen_dot && frac >= 40) {
				/* far beyond any scale: only zeros allowed */
				if (d)
					lost = 1;
				continue;
			}
			if (mag > (UINT64_MAX - d) / 10) {
				if (!seen_dot) {
					overflow = 1;
				} else {
					if (d)
						lost = 1;
					continue;
				}
			} else {
				mag = mag * 10 + d;
			}
			if (seen_dot)
				frac++;
		} else if (*p == '.' && !seen_dot) {
			seen_dot = 1;
		} else {
			break;
		}
	}
	if (!any)
		return MONEY_SYNTAX;
	if (p < end && (*p == 'e' || *p == 'E')) {
		int eneg = 0, edig = 0;

		p++;
		if (p < end && (*p == '+' || *p == '-')) {
			eneg = *p == '-';
			p++;
		}
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			edig = 1;
			if (exp < 100000)
				exp = exp * 10 + (*p - '0');
		}
		if (!edig)
			return MONEY_SYNTAX;
		if (eneg)
			exp = -exp;
	}
	if (p != end)
		return MONEY_SYNTAX;
	if (overflow)
		return MONEY_RANGE;
	/* value = mag * 10^(exp - frac); we want mag * 10^(exp - frac + 4) */
	{
		long shift = exp - frac + MONEY_SCALE;

		while (shift < 0) {
			if (mag % 10)
				lost = 1;
			mag /= 10;
			shift++;
			if (mag == 0)
				break;
		}
		if (lost)
			return MONEY_PRECISION;
		while (shift > 0 && mag) {
			if (mag > UINT64_MAX / 10)
				return MONEY_RANGE;
			mag *= 10;
			shift--;
		}
	}
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return MONEY_RANGE;
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
						     : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return MONEY_RANGE;
		*out = (int64_t)mag;
	}
	return MONEY_OK;
}

int money_add(int64_t a, int64_t b, int64_t *out)
{
	return __builtin_add_overflow(a, b, out) ? MONEY_RANGE : MONEY_OK;
}

int money_sub(int64_t a, int64_t b, int64_t *out)
{
	return __builtin_sub_overflow(a, b, out) ? MONEY_RANGE : MONEY_OK;
}

int money_mul_int(int64_t a, int64_t k, int64_t *out)
{
	return __builtin_mul_overflow(a, k, out) ? MONEY_RANGE : MONEY_OK;
}

int money_abs(int64_t a, int64_t *out)
{
	if (a == INT64_MIN)
		return MONEY_RANGE;
	*out = a < 0 ? -a : a;
	return MONEY_OK;
}

int money_within(int64_t a, int64_t b, int64_t abs_tol, int64_t rel_ppm)
{
	__int128 d = (__int128)a - (__int128)b;
	__int128 base = b;

	if (d < 0)
		d = -d;
	if (base < 0)
		base = -base;
	if (abs_tol >= 0 && d <= (__int128)abs_tol)
		return 1;
	if (rel_ppm > 0 && d * 1000000 <= base * rel_ppm)
		return 1;
	return 0;
}

int money_format(int64_t v, int decimals, struct sbuf *out)
{
	/* "-", 20 integer digits at most, ".", the fraction: built right to
	 * left here and appended at once (this runs for every decimal cell
	 * of a row fingerprint and every amount a rule reads; a byte-wise
	 * append checked the buffer per digit) */
	char b[2 + 20 + MONEY_SCALE];
	char *p = b + sizeof(b);
	uint64_t mag;
	int nd;
	char frac[MONEY_SCALE];

	if (decimals < 0)
		decimals = 0;
	if (decimals > MONEY_SCALE)
		decimals = MONEY_SCALE;
	mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	for (int i = MONEY_SCALE - 1; i >= 0; i--) {
		frac[i] = (char)('0' + mag % 10);
		mag /= 10;
	}
	nd = MONEY_SCALE;
	while (nd > decimals && frac[nd - 1] == '0')
		nd--;
	if (nd > 0) {
		p -= nd;
		memcpy(p, frac, (size_t)nd);
		*--p = '.';
	}
	do {
		*--p = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag);
	if (v < 0)
		*--p = '-';
	return sbuf_add(out, p, (size_t)(b + sizeof(b) - p));
}

const char *money_strerror(int status)
{
	switch (status) {
	case MONEY_OK: return "ok";
	case MONEY_SYNTAX: return "not a decimal number";
	case MONEY_PRECISION: return "more than 4 decimal places";
	case MONEY_RANGE: return "amount out of range";
	}
	return "unknown money error";
}
