/*
 * tstamp.c - ISO 8601 subset parsing and formatting (civil-from-days after
 * Howard Hinnant's public-domain algorithms).
 */
#include <string.h>

#include "tstamp.h"
#include "banned.h"

int64_t tstamp_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int digits(const char **p, const char *end, int n, int *out)
{
	int v = 0;

	while (n--) {
		if (*p >= end || **p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tstamp_parse(const char *s, size_t n, int64_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31 };
	const char *p = s, *end = s + n;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t off = 0;

	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	if (digits(&p, end, 4, &y) < 0 || p >= end || *p++ != '-' ||
	    digits(&p, end, 2, &mo) < 0 || p >= end || *p++ != '-' ||
	    digits(&p, end, 2, &d) < 0)
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1)
		return -1;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return -1;
	if (p < end && (*p == ' ' || *p == 'T')) {
		p++;
		if (digits(&p, end, 2, &h) < 0 || p >= end || *p++ != ':' ||
		    digits(&p, end, 2, &mi) < 0)
			return -1;
		if (p < end && *p == ':') {
			p++;
			if (digits(&p, end, 2, &sec) < 0)
				return -1;
			if (p < end && *p == '.') {
				p++;
				if (p >= end || *p < '0' || *p > '9')
					return -1;
				while (p < end && *p >= '0' && *p <= '9')
					p++;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (p < end && *p == 'Z') {
			p++;
		} else if (p < end && (*p == '+' || *p == '-')) {
			int sign = *p == '-' ? -1 : 1, oh, om = 0;

			p++;
			if (digits(&p, end, 2, &oh) < 0)
				return -1;
			if (p < end && *p == ':')
				p++;
			if (p < end && digits(&p, end, 2, &om) < 0)
				return -1;
			if (oh > 23 || om > 59)
				return -1;
			off = sign * ((int64_t)oh * 3600 + om * 60);
		}
	}
	if (p != end)
		return -1;
	*out = tstamp_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + sec - off;
	/* an offset must not carry the instant out of years 1..9999, or the
	 * value could not be formatted and read back */
	if (*out < TSTAMP_MIN || *out > TSTAMP_MAX)
		return -1;
	return 0;
}

/* Days since the epoch of t, rounded down (t already in range: -t and
 * -t + 86399 cannot overflow). */
static int64_t days_of(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

/* Two digits of v (< 100) at p. */
static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/*
 * Append "YYYY-MM-DD", and with time "THH:MM:SSZ" for the second of the
 * day sec, written digit by digit: this runs once per timestamp cell of
 * every row fingerprint, where printf was the largest single cost (y is
 * 1..9999 here, so four digits are always enough, as "%04lld" gave).
 */
static int add_stamp(struct sbuf *out, int64_t y, unsigned m, unsigned d,
		     unsigned sec, int time)
{
	char b[20];
	unsigned yy = (unsigned)y;

	put2(b, yy / 100);
	put2(b + 2, yy % 100);
	b[4] = '-';
	put2(b + 5, m);
	b[7] = '-';
	put2(b + 8, d);
	if (!time)
		return sbuf_add(out, b, 10);
	b[10] = 'T';
	put2(b + 11, sec / 3600);
	b[13] = ':';
	put2(b + 14, sec / 60 % 60);
	b[16] = ':';
	put2(b + 17, sec % 60);
	b[19] = 'Z';
	return sbuf_add(out, b, 20);
}

int tstamp_format(int64_t t, struct sbuf *out)
{
	int64_t days, rem, y;
	unsigned m, d;

	/* Checked before any arithmetic: -INT64_MIN overflows, and a year
	 * outside 1..9999 would not read back through tstamp_parse. */
	if (t < TSTAMP_MIN || t > TSTAMP_MAX)
		return -1;
	days = days_of(t);
	rem = t - days * 86400;
	civil_from_days(days, &y, &m, &d);
	return add_stamp(out, y, m, d, (unsigned)rem, 1);
}

int tstamp_format_frac(int64_t t, const char *text, size_t n,
		       struct sbuf *out)
{
	const char *dot = text ? memchr(text, '.', n) : NULL;
	size_t k = 0, len;

	if (tstamp_format(t, out) < 0)
		return -1;
	if (!dot)
		return 0;
	len = n - (size_t)(dot + 1 - text);
	while (k < len && dot[1 + k] >= '0' && dot[1 + k] <= '9')
		k++;
	while (k && dot[k] == '0')
		k--;
	if (!k)
		return 0;
	/* tstamp_format ended in 'Z': put the fraction before it */
	sbuf_setlen(out, out->len - 1);
	if (sbuf_addch(out, '.') < 0 || sbuf_add(out, dot + 1, k) < 0 ||
	    sbuf_addch(out, 'Z') < 0)
		return -1;
	return 0;
}

int tstamp_format_date(int64_t t, struct sbuf *out)
{
	int64_t y;
	unsigned m, d;

	if (t < TSTAMP_MIN || t > TSTAMP_MAX)
		return -1;
	civil_from_days(days_of(t), &y, &m, &d);
	return add_stamp(out, y, m, d, 0, 0);
}
