/*
 * rlib.c - the analysts' helper library `lib` (rlib.h, rules/README.md).
 *
 * Everything is C so that every error names the rule's own file:line
 * (luaL_error from a C function called by the rule locates the rule), and
 * so that money and time are exact. Results are built with luaL_Buffer or
 * in userdata: all memory is the Lua heap's (capped), nothing C-side can
 * leak when a Lua error unwinds. Work proportional to the input (text
 * bytes, list items, days walked) is charged to the call's instruction
 * budget like string patterns are.
 *
 * Time zones: the tz database's TZif files (/usr/share/zoneinfo, package
 * tzdata), parsed here (RFC 8536) and cached per Lua state; TZ and
 * localtime_r are never used (the translator threads share the process
 * environment). Zone names are checked before any path is built.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lua.h>
#include <lauxlib.h>

#include "rlib.h"
#include "lval.h"
#include "rules_int.h"
#include "money.h"
#include "text.h"
#include "tstamp.h"

#define RLIB_ZONEINFO "/usr/share/zoneinfo/"
#define TZFILE_CAP ((size_t)1 << 20)
#define TEXT_PAD_CAP 4096
#define DAY INT64_C(86400)

/* ---- money core -------------------------------------------------------- */

static const struct rlib_numfmt fmts[] = {
	{ "de", ',', ".", NULL, NULL },
	{ "en", '.', ",", NULL, NULL },
	{ "ch", '.', "'", "\xE2\x80\x99", NULL },	/* ' and U+2019 */
	{ "fr", ',', " ", "\xC2\xA0", "\xE2\x80\xAF" },	/* space, NBSP, NNBSP */
	{ "plain", '.', "", NULL, NULL },
};

const struct rlib_numfmt *rlib_numfmt_named(const char *name)
{
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (strcmp(fmts[i].name, name) == 0)
			return &fmts[i];
	return NULL;
}

/* Length of a blank at s (ASCII whitespace or U+00A0), 0 if none. */
static size_t blank_at(const char *s, size_t n)
{
	if (n && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' ||
		  s[0] == '\v' || s[0] == '\f'))
		return 1;
	if (n >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
		return 2;
	return 0;
}

static size_t blank_before(const char *s, size_t n)
{
	if (n && blank_at(s + n - 1, 1))
		return 1;
	if (n >= 2 && blank_at(s + n - 2, 2) == 2)
		return 2;
	return 0;
}

static void trim_blanks(const char **s, size_t *n)
{
	size_t k;

	while ((k = blank_at(*s, *n)) != 0) {
		*s += k;
		*n -= k;
	}
	while ((k = blank_before(*s, *n)) != 0)
		*n -= k;
}

static const char *const symbols[] = {
	"\xE2\x82\xAC", "$", "\xC2\xA3", "\xC2\xA5", NULL
};

static int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_alpha(char c)
{
	return is_upper(c) || (c >= 'a' && c <= 'z');
}

/* A currency at the start of s[0..n): its length, or 0. */
static size_t currency_at(const char *s, size_t n)
{
	for (size_t i = 0; symbols[i]; i++) {
		size_t k = strlen(symbols[i]);

		if (n >= k && memcmp(s, symbols[i], k) == 0)
			return k;
	}
	if (n >= 3 && is_upper(s[0]) && is_upper(s[1]) && is_upper(s[2]) &&
	    (n == 3 || !is_alpha(s[3])))
		return 3;
	return 0;
}

/* A currency at the end of s[0..n): its length, or 0. */
static size_t currency_before(const char *s, size_t n)
{
	for (size_t i = 0; symbols[i]; i++) {
		size_t k = strlen(symbols[i]);

		if (n >= k && memcmp(s + n - k, symbols[i], k) == 0)
			return k;
	}
	if (n >= 3 && is_upper(s[n - 1]) && is_upper(s[n - 2]) &&
	    is_upper(s[n - 3]) && (n == 3 || !is_alpha(s[n - 4])))
		return 3;
	return 0;
}

static size_t group_at(const struct rlib_numfmt *f, const char *s, size_t n)
{
	const char *g[3] = { f->group, f->group2, f->group3 };

	for (int i = 0; i < 3; i++) {
		size_t k = g[i] ? strlen(g[i]) : 0;

		if (k && n >= k && memcmp(s, g[i], k) == 0)
			return k;
	}
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int rlib_money_parse(const char *s, size_t n, const struct rlib_numfmt *f,
		     int maxdec, int64_t *out, const char **cur,
		     size_t *curlen, int *decimals)
{
	int neg = 0, sign = 0;
	size_t k, i, chunk = 0, nchunks = 0;
	uint64_t ip = 0, frac = 0, mag;
	int fd = 0, grouped = 0;

	*cur = NULL;
	*curlen = 0;
	*decimals = 0;
	trim_blanks(&s, &n);
	if (n == 0)
		return RLIB_MONEY_BLANK;
	if (s[0] == '(' && s[n - 1] == ')' && n >= 2) {
		neg = 1;
		sign = 1;
		s++;
		n -= 2;
		trim_blanks(&s, &n);
	}
	/* In front: a currency and a sign, either order. */
	for (int pass = 0; pass < 2; pass++) {
		if (!*cur && (k = currency_at(s, n)) != 0) {
			*cur = s;
			*curlen = k;
			s += k;
			n -= k;
			trim_blanks(&s, &n);
		}
		if (!sign && n && (s[0] == '-' || s[0] == '+')) {
			neg = s[0] == '-';
			sign = 1;
			s++;
			n--;
			trim_blanks(&s, &n);
		}
	}
	/* Behind: a "-" and a currency, either order. */
	for (int pass = 0; pass < 2; pass++) {
		if (!*cur && (k = currency_before(s, n)) != 0) {
			*cur = s + n - k;
			*curlen = k;
			n -= k;
			trim_blanks(&s, &n);
		}
		if (!sign && n && s[n - 1] == '-') {
			neg = 1;
			sign = 1;
			n--;
			trim_blanks(&s, &n);
		}
	}
	/* The number. */
	i = 0;
	if (i >= n || !is_digit(s[i]))
		return RLIB_MONEY_SYNTAX;
	while (i < n) {
		if (is_digit(s[i])) {
			if (ip > (UINT64_MAX - 9) / 10)
				return RLIB_MONEY_RANGE;
			ip = ip * 10 + (uint64_t)(s[i] - '0');
			chunk++;
			i++;
		} else if ((k = group_at(f, s + i, n - i)) != 0) {
			/* the first group has 1 to 3 digits, the others 3 */
			if (nchunks == 0 ? chunk > 3 : chunk != 3)
				return RLIB_MONEY_SYNTAX;
			grouped = 1;
			nchunks++;
			chunk = 0;
			i += k;
			if (i >= n || !is_digit(s[i]))
				return RLIB_MONEY_SYNTAX;
		} else {
			break;
		}
	}
	if (grouped && chunk != 3)
		return RLIB_MONEY_SYNTAX;
	if (i < n && s[i] == f->decimal) {
		i++;
		if (i >= n || !is_digit(s[i]))
			return RLIB_MONEY_SYNTAX;
		for (; i < n && is_digit(s[i]); i++) {
			int d = s[i] - '0';

			fd++;
			if (fd <= MONEY_SCALE && fd <= maxdec) {
				frac = frac * 10 + (uint64_t)d;
			} else if (d != 0) {
				*decimals = fd;
				while (i + 1 < n && is_digit(s[i + 1])) {
					i++;
					(*decimals)++;
				}
				return i + 1 == n ? RLIB_MONEY_DECIMALS
						  : RLIB_MONEY_SYNTAX;
			}
		}
	}
	if (i != n)
		return RLIB_MONEY_SYNTAX;
	*decimals = fd;
	for (int d = fd < maxdec ? fd : maxdec; d < MONEY_SCALE; d++)
		frac *= 10;
	if (ip > (UINT64_MAX - (uint64_t)MONEY_ONE) / (uint64_t)MONEY_ONE)
		return RLIB_MONEY_RANGE;
	mag = ip * (uint64_t)MONEY_ONE + frac;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return RLIB_MONEY_RANGE;
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
			: -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return RLIB_MONEY_RANGE;
		*out = (int64_t)mag;
	}
	return RLIB_MONEY_OK;
}

int rlib_money_format(int64_t v, const struct rlib_numfmt *f, int decimals,
		      struct sbuf *out)
{
	uint64_t mag = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
	uint64_t ip = mag / (uint64_t)MONEY_ONE, frac = mag % (uint64_t)MONEY_ONE;
	char digits[24], fr[MONEY_SCALE];
	int nd = 0, nf = MONEY_SCALE;

	if (decimals < 0)
		decimals = 0;
	if (decimals > MONEY_SCALE)
		decimals = MONEY_SCALE;
	do {
		digits[nd++] = (char)('0' + ip % 10);
		ip /= 10;
	} while (ip);
	for (int i = MONEY_SCALE - 1; i >= 0; i--) {
		fr[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	while (nf > decimals && fr[nf - 1] == '0')
		nf--;
	if (v < 0)
		sbuf_addch(out, '-');
	for (int i = nd - 1; i >= 0; i--) {
		sbuf_addch(out, digits[i]);
		if (i > 0 && i % 3 == 0)
			sbuf_addstr(out, f->group);
	}
	if (nf > 0) {
		sbuf_addch(out, f->decimal);
		sbuf_add(out, fr, (size_t)nf);
	}
	return out->failed ? -1 : 0;
}

/* ---- time zones core --------------------------------------------------- */

static int64_t be32(const unsigned char *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			 (uint32_t)p[2] << 8 | p[3]);
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)(uint32_t)be32(p) << 32 |
			 (uint32_t)be32(p + 4));
}

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t floormod(int64_t a, int64_t b)
{
	return a - floordiv(a, b) * b;
}

/* POSIX TZ pieces: a name, an offset ("[+-]hh[:mm[:ss]]"), a rule date. */
static const char *tz_name(const char *p)
{
	if (*p == '<') {
		while (*p && *p != '>')
			p++;
		return *p ? p + 1 : NULL;
	}
	{
		const char *q = p;

		while (is_alpha(*q))
			q++;
		return q - p >= 3 ? q : NULL;
	}
}

static const char *tz_secs(const char *p, int32_t *out, int maxh)
{
	int sign = 1;
	long h = 0, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!is_digit(*p))
		return NULL;
	while (is_digit(*p))
		h = h * 10 + (*p++ - '0');
	if (h > maxh)
		return NULL;
	if (*p == ':') {
		p++;
		if (!is_digit(p[0]) || !is_digit(p[1]))
			return NULL;
		m = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':') {
			p++;
			if (!is_digit(p[0]) || !is_digit(p[1]))
				return NULL;
			s = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
	}
	*out = (int32_t)(sign * (h * 3600 + m * 60 + s));
	return p;
}

static const char *tz_num(const char *p, int *out, int lo, int hi)
{
	long v = 0;

	if (!is_digit(*p))
		return NULL;
	while (is_digit(*p) && v <= hi)
		v = v * 10 + (*p++ - '0');
	if (v < lo || v > hi)
		return NULL;
	*out = (int)v;
	return p;
}

static const char *tz_date(const char *p, struct rlib_tzdate *d)
{
	if (*p == 'M') {
		d->kind = 'M';
		if (!(p = tz_num(p + 1, &d->m, 1, 12)) || *p++ != '.' ||
		    !(p = tz_num(p, &d->w, 1, 5)) || *p++ != '.' ||
		    !(p = tz_num(p, &d->d, 0, 6)))
			return NULL;
	} else if (*p == 'J') {
		d->kind = 'J';
		if (!(p = tz_num(p + 1, &d->d, 1, 365)))
			return NULL;
	} else {
		d->kind = 'n';
		if (!(p = tz_num(p, &d->d, 0, 365)))
			return NULL;
	}
	d->time = 7200;
	if (*p == '/' && !(p = tz_secs(p + 1, &d->time, 167)))
		return NULL;
	return p;
}

/* Parse the footer rule (NUL-terminated). 0 or -1. */
static int tz_rule(const char *p, struct rlib_tz *tz)
{
	int32_t off;

	if (*p == '\0')
		return 0;	/* no rule: the last type stays */
	if (!(p = tz_name(p)) || !(p = tz_secs(p, &off, 24)))
		return -1;
	tz->std_off = -off;
	tz->has_rule = 1;
	if (*p == '\0')
		return 0;
	if (!(p = tz_name(p)))
		return -1;
	tz->has_dst = 1;
	tz->dst_off = tz->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if (!(p = tz_secs(p, &off, 24)))
			return -1;
		tz->dst_off = -off;
	}
	if (*p == '\0') {	/* POSIX's default: the US rules */
		tz->start = (struct rlib_tzdate){ 'M', 3, 2, 0, 7200 };
		tz->end = (struct rlib_tzdate){ 'M', 11, 1, 0, 7200 };
		return 0;
	}
	if (*p++ != ',' || !(p = tz_date(p, &tz->start)) || *p++ != ',' ||
	    !(p = tz_date(p, &tz->end)) || *p != '\0')
		return -1;
	return 0;
}

int rlib_tz_parse(const unsigned char *buf, size_t n, struct rlib_tz *tz,
		  size_t cap, size_t *need)
{
	const unsigned char *h = buf, *d;
	size_t cnt[6], tsize = 4, body, ntrans;
	char rule[128];
	size_t rlen = 0;

	if (n < 44 || memcmp(buf, "TZif", 4) != 0)
		return -1;
	for (int i = 0; i < 6; i++)
		cnt[i] = (size_t)(uint32_t)be32(h + 20 + 4 * i);
	/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
	body = cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[0] + cnt[1];
	if (buf[4] >= '2') {
		/* skip the 32-bit part: the 64-bit one follows */
		if (n < 44 + body + 44)
			return -1;
		h = buf + 44 + body;
		if (memcmp(h, "TZif", 4) != 0)
			return -1;
		for (int i = 0; i < 6; i++)
			cnt[i] = (size_t)(uint32_t)be32(h + 20 + 4 * i);
		tsize = 8;
		body = cnt[3] * 9 + cnt[4] * 6 + cnt[5] + cnt[2] * 12 + cnt[0] +
		       cnt[1];
	}
	if (cnt[4] == 0 || cnt[4] > 256 || cnt[3] > 100000 ||
	    (size_t)(buf + n - h) < 44 + body)
		return -1;
	ntrans = cnt[3];
	*need = sizeof(*tz) + ntrans * sizeof(int64_t) + ntrans;
	if (!tz)
		return 1;
	if (cap < *need)
		return 1;
	d = h + 44;
	if (tsize == 8) {
		const unsigned char *f = d + body;
		size_t left = (size_t)(buf + n - f);

		if (left >= 2 && f[0] == '\n') {
			const unsigned char *e = memchr(f + 1, '\n', left - 1);

			if (!e || (size_t)(e - f - 1) >= sizeof(rule))
				return -1;
			rlen = (size_t)(e - f - 1);
			memcpy(rule, f + 1, rlen);
		}
	}
	rule[rlen] = '\0';
	memset(tz, 0, sizeof(*tz));
	{
		int64_t *tr = (int64_t *)(tz + 1);
		uint8_t *ix = (uint8_t *)(tr + ntrans);

		for (size_t i = 0; i < ntrans; i++) {
			tr[i] = tsize == 8 ? be64(d + 8 * i) : be32(d + 4 * i);
			if (i && tr[i] <= tr[i - 1])
				return -1;
		}
		d += ntrans * tsize;
		for (size_t i = 0; i < ntrans; i++) {
			ix[i] = d[i];
			if (ix[i] >= cnt[4])
				return -1;
		}
		d += ntrans;
		tz->trans = tr;
		tz->idx = ix;
		tz->ntrans = ntrans;
	}
	tz->ntypes = (int)cnt[4];
	for (size_t i = 0; i < cnt[4]; i++) {
		int64_t o = be32(d + 6 * i);

		if (o < -89999 || o > 93599)
			return -1;
		tz->off[i] = (int32_t)o;
		tz->dst[i] = d[6 * i + 4] != 0;
	}
	if (tz_rule(rule, tz) < 0)
		return -1;
	return 0;
}

int rlib_tz_fixed(const char *s, size_t n, struct rlib_tz *tz)
{
	int32_t off = 0;

	memset(tz, 0, sizeof(*tz));
	tz->ntypes = 1;
	if ((n == 3 && memcmp(s, "UTC", 3) == 0) || (n == 1 && s[0] == 'Z')) {
		off = 0;
	} else {
		char tmp[16];
		const char *e;

		if (n < 2 || n >= sizeof(tmp) || (s[0] != '+' && s[0] != '-'))
			return -1;
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		/* +HH or +HH:MM, hours at most 14, minutes two digits */
		if (!is_digit(tmp[1]) || !is_digit(tmp[2]) ||
		    (n != 3 && n != 6) || (n == 6 && tmp[3] != ':') ||
		    !(e = tz_secs(tmp, &off, 14)) || *e != '\0')
			return -1;
		if ((n == 6 && (tmp[4] - '0') * 10 + (tmp[5] - '0') >= 60) ||
		    off > 14 * 3600 || off < -14 * 3600)
			return -1;
	}
	tz->off[0] = off;
	memcpy(tz->name, s, n);
	return 0;
}

/* Days since the epoch of a rule date in year y. */
static int64_t rule_day(const struct rlib_tzdate *d, int64_t y)
{
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int64_t jan1 = tstamp_days_from_civil(y, 1, 1);

	if (d->kind == 'J')
		return jan1 + d->d - 1 + (leap && d->d >= 60);
	if (d->kind == 'n')
		return jan1 + d->d;
	{
		static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31,
					     30, 31, 30, 31 };
		int64_t first = tstamp_days_from_civil(y, (unsigned)d->m, 1);
		int64_t wd = floormod(first + 4, 7);	/* 0 = Sunday */
		int64_t day = first + floormod(d->d - wd, 7) + (d->w - 1) * 7;
		int len = mdays[d->m - 1] + (d->m == 2 && leap);

		while (day >= first + len)
			day -= 7;
		return day;
	}
}

static int64_t civil_year(int64_t t)
{
	int64_t z = floordiv(t, DAY) + 719468;
	int64_t era = floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	return yoe + era * 400 + (mp >= 10);
}

static int32_t rule_offset(const struct rlib_tz *tz, int64_t t)
{
	int64_t y, s, e;
	int in;

	if (!tz->has_dst)
		return tz->std_off;
	y = civil_year(t + tz->std_off);
	s = rule_day(&tz->start, y) * DAY + tz->start.time - tz->std_off;
	e = rule_day(&tz->end, y) * DAY + tz->end.time - tz->dst_off;
	in = s < e ? (t >= s && t < e) : !(t >= e && t < s);
	return in ? tz->dst_off : tz->std_off;
}

int32_t rlib_tz_offset(const struct rlib_tz *tz, int64_t t)
{
	size_t lo = 0, hi = tz->ntrans;

	if (tz->ntrans == 0)
		return tz->has_rule ? rule_offset(tz, t) : tz->off[0];
	if (t < tz->trans[0])
		return tz->off[0];
	while (hi - lo > 1) {	/* trans[lo] <= t < trans[hi] */
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	if (lo == tz->ntrans - 1 && tz->has_rule)
		return rule_offset(tz, t);
	return tz->off[tz->idx[lo]];
}

int rlib_tz_from_local(const struct rlib_tz *tz, int64_t wall, int pick,
		       int64_t *out, int32_t *before, int32_t *after)
{
	int32_t cand[3];
	int64_t hit[3];
	int nhit = 0;

	cand[0] = *before = rlib_tz_offset(tz, wall - DAY);
	cand[1] = rlib_tz_offset(tz, wall);
	cand[2] = *after = rlib_tz_offset(tz, wall + DAY);
	for (int i = 0; i < 3; i++) {
		int64_t t = wall - cand[i];
		int dup = 0;

		if (rlib_tz_offset(tz, t) != cand[i])
			continue;
		for (int j = 0; j < nhit; j++)
			dup |= hit[j] == t;
		if (!dup)
			hit[nhit++] = t;
	}
	if (nhit == 0)
		return RLIB_TZ_GAP;
	if (nhit > 1 && hit[1] < hit[0]) {
		int64_t x = hit[0];

		hit[0] = hit[1];
		hit[1] = x;
	}
	if (nhit > 1 && pick == 0)
		return RLIB_TZ_AMBIGUOUS;
	*out = nhit > 1 && pick > 0 ? hit[nhit - 1] : hit[0];
	return RLIB_TZ_OK;
}

/* ---- text core --------------------------------------------------------- */

/* U+00C0..U+017F; NULL where there is no letter to spell (x, /). */
static const char *const latin[192] = {
	/* C0 */ "A", "A", "A", "A", "A", "A", "AE", "C",
	/* C8 */ "E", "E", "E", "E", "I", "I", "I", "I",
	/* D0 */ "D", "N", "O", "O", "O", "O", "O", NULL,
	/* D8 */ "O", "U", "U", "U", "U", "Y", "TH", "ss",
	/* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
	/* E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
	/* F0 */ "d", "n", "o", "o", "o", "o", "o", NULL,
	/* F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
	/* 100 */ "A", "a", "A", "a", "A", "a", "C", "c",
	/* 108 */ "C", "c", "C", "c", "C", "c", "D", "d",
	/* 110 */ "D", "d", "E", "e", "E", "e", "E", "e",
	/* 118 */ "E", "e", "E", "e", "G", "g", "G", "g",
	/* 120 */ "G", "g", "G", "g", "H", "h", "H", "h",
	/* 128 */ "I", "i", "I", "i", "I", "i", "I", "i",
	/* 130 */ "I", "i", "IJ", "ij", "J", "j", "K", "k",
	/* 138 */ "k", "L", "l", "L", "l", "L", "l", "L",
	/* 140 */ "l", "L", "l", "N", "n", "N", "n", "N",
	/* 148 */ "n", "n", "N", "n", "O", "o", "O", "o",
	/* 150 */ "O", "o", "OE", "oe", "R", "r", "R", "r",
	/* 158 */ "R", "r", "S", "s", "S", "s", "S", "s",
	/* 160 */ "S", "s", "T", "t", "T", "t", "T", "t",
	/* 168 */ "U", "u", "U", "u", "U", "u", "U", "u",
	/* 170 */ "U", "u", "U", "u", "W", "w", "Y", "y",
	/* 178 */ "Y", "Z", "z", "Z", "z", "Z", "z", "s",
};

const char *rlib_ascii_of(uint32_t cp)
{
	if (cp < 0xC0 || cp > 0x17F)
		return NULL;
	return latin[cp - 0xC0];
}

static uint32_t utf8_cp(const char *s, size_t k)
{
	const unsigned char *u = (const unsigned char *)s;

	switch (k) {
	case 1: return u[0];
	case 2: return (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
	case 3: return (uint32_t)(u[0] & 0x0F) << 12 |
		       (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
	default: return (uint32_t)(u[0] & 0x07) << 18 |
			(uint32_t)(u[1] & 0x3F) << 12 |
			(uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
	}
}

/* ---- the Lua side: shared pieces -------------------------------------- */

struct rlib_ctx {
	rlib_charge_fn charge;
	void *ud;
};

#define CTX_UPV 1	/* every lib function's upvalue 1: the context */

static void charge(lua_State *L, uint64_t steps)
{
	struct rlib_ctx *c = lua_touserdata(L, lua_upvalueindex(CTX_UPV));

	if (c && c->charge && steps)
		c->charge(L, c->ud, steps);
}

/* Text argument i (a string; an integer is taken as its decimal). */
static const char *text_arg(lua_State *L, int i, const char *fn, size_t *n)
{
	if (lua_type(L, i) == LUA_TSTRING || lua_isinteger(L, i))
		return lua_tolstring(L, i, n);
	luaL_error(L, "%s: argument %d must be text, not %s", fn, i,
		   lua_isnumber(L, i) ? "a float" : luaL_typename(L, i));
	return NULL;
}

static void utf8_arg(lua_State *L, const char *fn, const char *s, size_t n)
{
	size_t bad;

	if (!utf8_valid(s, n, &bad)) {
		char hex[8];

		snprintf(hex, sizeof(hex), "0x%02X", (unsigned)(unsigned char)s[bad]);
		luaL_error(L, "%s: text is not valid UTF-8 (byte %s at "
			   "position %I); convert the value to UTF-8 or drop "
			   "the bad bytes", fn, hex, (lua_Integer)bad + 1);
	}
}

/* ---- lib.money --------------------------------------------------------- */

/* Money argument i: money, or decimal text as money() reads it. */
static int64_t money_arg(lua_State *L, int i, const char *fn, const char *what)
{
	int64_t *m = lval_money_test(L, i), v;

	if (m)
		return *m;
	if (lua_type(L, i) == LUA_TSTRING) {
		size_t n;
		const char *s = lua_tolstring(L, i, &n);
		int st = money_parse(s, n, &v);

		if (st == MONEY_OK)
			return v;
		luaL_error(L, "%s: %s \"%s\" is not an amount (%s); write it "
			   "like \"1234.56\", or read it with "
			   "lib.money.parse(s, format)", fn, what,
			   lval_shown(L, s, n), money_strerror(st));
	}
	if (lua_type(L, i) == LUA_TNUMBER)
		luaL_error(L, "%s: %s is a plain number, not money (whole units "
			   "or cents?); write money(\"12.50\") or \"12.50\"",
			   fn, what);
	luaL_error(L, "%s: %s must be money or a decimal string, not %s", fn,
		   what, luaL_typename(L, i));
	return 0;
}

static void push_fmt_name(lua_State *L, const struct rlib_numfmt *f)
{
	if (f->name)
		lua_pushfstring(L, "\"%s\"", f->name);
	else
		lua_pushfstring(L, "{decimal = \"%c\", group = \"%s\"}",
				f->decimal, f->group);
}

/* Read a format argument at i into *tmp (a table's) or a named one. */
static const struct rlib_numfmt *fmt_arg(lua_State *L, int i, const char *fn,
					 struct rlib_numfmt *tmp)
{
	if (lua_type(L, i) == LUA_TSTRING) {
		const struct rlib_numfmt *f = rlib_numfmt_named(lua_tostring(L, i));

		if (!f)
			luaL_error(L, "%s: unknown format \"%s\" (formats: de "
				   "1.234,56; en 1,234.56; ch 1'234.56; fr "
				   "1 234,56; plain 1234.56; or a table "
				   "{decimal = \",\", group = \".\"})", fn,
				   lval_shown(L, lua_tostring(L, i),
					      lua_rawlen(L, i)));
		return f;
	}
	if (lua_type(L, i) == LUA_TTABLE) {
		size_t dn = 0, gn = 0;
		const char *d, *g;

		lua_pushnil(L);
		while (lua_next(L, i)) {
			const char *k = lua_type(L, -2) == LUA_TSTRING
				? lua_tostring(L, -2) : NULL;

			if (!k || (strcmp(k, "decimal") && strcmp(k, "group")))
				luaL_error(L, "%s: unknown format option '%s' "
					   "(options: decimal, group)", fn,
					   k ? k : luaL_typename(L, -2));
			lua_pop(L, 1);
		}
		lua_getfield(L, i, "decimal");
		lua_getfield(L, i, "group");
		d = lua_tolstring(L, -2, &dn);
		g = lua_tolstring(L, -1, &gn);
		if (lua_type(L, -2) != LUA_TSTRING || dn != 1 ||
		    (d[0] != '.' && d[0] != ','))
			luaL_error(L, "%s: format's decimal must be \".\" or "
				   "\",\"", fn);
		if (lua_type(L, -1) == LUA_TNIL)
			g = "";
		else if (lua_type(L, -1) != LUA_TSTRING || gn > 4 ||
			 memchr(g, d[0], gn) || strpbrk(g, "0123456789+-()"))
			luaL_error(L, "%s: format's group must be a thousands "
				   "separator of at most 4 bytes (\".\", \",\","
				   " \"'\", \" \") other than the decimal mark, "
				   "or \"\" for none", fn);
		/* the strings stay on the stack, anchored by the call */
		tmp->name = NULL;
		tmp->decimal = d[0];
		tmp->group = g;
		tmp->group2 = tmp->group3 = NULL;
		return tmp;
	}
	luaL_error(L, "%s: the format must be a name (\"de\", \"en\", \"ch\", "
		   "\"fr\", \"plain\") or a table {decimal = \",\", group = "
		   "\".\"}, not %s", fn, luaL_typename(L, i));
	return NULL;
}

static void expected_text(lua_State *L, const struct rlib_numfmt *f)
{
	struct sbuf sb = SBUF_INIT(256);
	luaL_Buffer b;

	rlib_money_format(INT64_C(12345600), f, 2, &sb);
	luaL_buffinit(L, &b);
	if (f->group[0])
		lua_pushfstring(L, "digits with \"%s\" between thousands and "
				"\"%c\" before the decimals, e.g. ", f->group,
				f->decimal);
	else
		lua_pushfstring(L, "digits with \"%c\" before the decimals and "
				"no thousands separator, e.g. ", f->decimal);
	luaL_addvalue(&b);
	luaL_addlstring(&b, sb.buf, sb.len);
	sbuf_release(&sb);
	luaL_pushresult(&b);
}

static int l_money_parse(lua_State *L)
{
	static const char fn[] = "lib.money.parse";
	struct rlib_numfmt tmp;
	const struct rlib_numfmt *f;
	int maxdec = MONEY_SCALE, st, nd;
	const char *s, *cur, *want = NULL;
	size_t n, curlen, wantlen = 0;
	int64_t v;

	lua_settop(L, 3);	/* fmt_arg pushes a table format's strings */
	f = fmt_arg(L, 2, fn, &tmp);
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, 3)) {
			const char *k = lua_type(L, -2) == LUA_TSTRING
				? lua_tostring(L, -2) : NULL;

			if (!k || (strcmp(k, "decimals") && strcmp(k, "currency")))
				luaL_error(L, "%s: unknown option '%s' (options:"
					   " decimals, currency)", fn,
					   k ? k : luaL_typename(L, -2));
			lua_pop(L, 1);
		}
		if (lua_getfield(L, 3, "decimals") != LUA_TNIL) {
			lua_Integer d = lua_tointeger(L, -1);

			if (!lua_isinteger(L, -1) || d < 0 || d > MONEY_SCALE)
				luaL_error(L, "%s: decimals must be a whole "
					   "number from 0 to 4", fn);
			maxdec = (int)d;
		}
		if (lua_getfield(L, 3, "currency") != LUA_TNIL) {
			if (lua_type(L, -1) != LUA_TSTRING)
				luaL_error(L, "%s: currency must be a string "
					   "such as \"EUR\"", fn);
			want = lua_tolstring(L, -1, &wantlen);
		}
	}
	if (lua_isnoneornil(L, 1)) {
		lua_pushnil(L);
		return 1;
	}
	if (lval_money_test(L, 1)) {
		/* already exact: only the decimals are checked */
		int64_t m = *lval_money_test(L, 1), unit = 1;

		for (int d = maxdec; d < MONEY_SCALE; d++)
			unit *= 10;
		if (m % unit != 0)
			luaL_error(L, "%s: %s has more than the %d decimal "
				   "places allowed; the library never rounds",
				   fn, (lval_money_pushtext(L, m),
					lua_tostring(L, -1)), maxdec);
		lua_settop(L, 1);
		return 1;
	}
	if (lua_type(L, 1) != LUA_TSTRING)
		return luaL_error(L, "%s: the amount must be text (or money, "
				  "or nil), not %s", fn,
				  lua_isnumber(L, 1) ? "a number (whole units "
				  "or cents? write the text)"
				  : luaL_typename(L, 1));
	s = lua_tolstring(L, 1, &n);
	charge(L, n / 32);
	st = rlib_money_parse(s, n, f, maxdec, &v, &cur, &curlen, &nd);
	switch (st) {
	case RLIB_MONEY_OK:
		break;
	case RLIB_MONEY_BLANK:
		push_fmt_name(L, f);
		return luaL_error(L, "%s: \"%s\" is not an amount in format %s:"
				  " the text is empty or blank; check for a "
				  "blank before parsing", fn,
				  lval_shown(L, s, n), lua_tostring(L, -1));
	case RLIB_MONEY_SYNTAX:
		push_fmt_name(L, f);
		expected_text(L, f);
		return luaL_error(L, "%s: \"%s\" is not an amount in format %s "
				  "(expected %s)", fn, lval_shown(L, s, n),
				  lua_tostring(L, -2), lua_tostring(L, -1));
	case RLIB_MONEY_DECIMALS:
		if (maxdec == MONEY_SCALE)
			return luaL_error(L, "%s: \"%s\" has %d decimal places, "
					  "more than the 4 money keeps; the "
					  "library never rounds: fix the "
					  "source's value", fn,
					  lval_shown(L, s, n), nd);
		return luaL_error(L, "%s: \"%s\" has %d decimal places, more "
				  "than the %d allowed; the library never "
				  "rounds: pass {decimals = %d} if the source "
				  "really has them", fn, lval_shown(L, s, n),
				  nd, maxdec, nd > MONEY_SCALE ? MONEY_SCALE
				  : nd);
	default:
		return luaL_error(L, "%s: \"%s\" is too large for money (at "
				  "most 922337203685477.5807 either way)", fn,
				  lval_shown(L, s, n));
	}
	if (want && cur && (curlen != wantlen || memcmp(cur, want, curlen)))
		return luaL_error(L, "%s: \"%s\" is in %s, expected %s", fn,
				  lval_shown(L, s, n),
				  lua_pushlstring(L, cur, curlen),
				  lval_shown(L, want, wantlen));
	lval_money_push(L, v);
	if (cur)
		lua_pushlstring(L, cur, curlen);
	else
		lua_pushnil(L);
	return 2;
}

static int l_money_format(lua_State *L)
{
	static const char fn[] = "lib.money.format";
	struct rlib_numfmt tmp;
	const struct rlib_numfmt *f;
	int64_t v = money_arg(L, 1, fn, "the amount");
	lua_Integer d = 2;
	struct sbuf sb = SBUF_INIT(256);

	lua_settop(L, 3);
	f = lua_isnoneornil(L, 2) ? rlib_numfmt_named("plain")
				  : fmt_arg(L, 2, fn, &tmp);
	if (!lua_isnoneornil(L, 3)) {
		if (!lua_isinteger(L, 3) || (d = lua_tointeger(L, 3)) < 0 ||
		    d > MONEY_SCALE)
			return luaL_error(L, "%s: decimals must be a whole "
					  "number from 0 to 4", fn);
	}
	if (rlib_money_format(v, f, (int)d, &sb) < 0) {
		sbuf_release(&sb);
		return lval_raise_nomem(L);
	}
	lua_pushlstring(L, sb.buf, sb.len);	/* may raise: sb first */
	sbuf_release(&sb);
	return 1;
}

static int l_money_within(lua_State *L)
{
	static const char fn[] = "lib.money.within";
	int64_t a = money_arg(L, 1, fn, "a"), b = money_arg(L, 2, fn, "b");
	int64_t t = money_arg(L, 3, fn, "the tolerance");
	int ok;

	if (t < 0)
		return luaL_error(L, "%s: the tolerance must not be negative",
				  fn);
	ok = money_within(a, b, t, 0);
	if (!ok)	/* the comparison a fail() then carries (reports) */
		rules_note_comparison(L, a, b, t);
	lua_pushboolean(L, ok);
	return 1;
}

static int l_money_diff(lua_State *L)
{
	static const char fn[] = "lib.money.diff";
	int64_t a = money_arg(L, 1, fn, "a"), b = money_arg(L, 2, fn, "b"), d;

	if (money_sub(a, b, &d) != MONEY_OK || money_abs(d, &d) != MONEY_OK)
		return luaL_error(L, "%s: the difference is too large for "
				  "money", fn);
	lval_money_push(L, d);
	return 1;
}

static int l_money_sum(lua_State *L)
{
	static const char fn[] = "lib.money.sum";
	int64_t total = 0;
	lua_Integer n;
	const char *field = NULL;

	if (lua_type(L, 1) != LUA_TTABLE && lua_type(L, 1) != LUA_TUSERDATA)
		return luaL_error(L, "%s: wants a list of amounts, not %s", fn,
				  luaL_typename(L, 1));
	if (!lua_isnoneornil(L, 2)) {
		if (lua_type(L, 2) != LUA_TSTRING)
			return luaL_error(L, "%s: the field name must be a "
					  "string such as \"amount\"", fn);
		field = lua_tostring(L, 2);
	}
	lua_len(L, 1);
	if (!lua_isinteger(L, -1))
		return luaL_error(L, "%s: the list has no length", fn);
	n = lua_tointeger(L, -1);
	lua_pop(L, 1);
	for (lua_Integer i = 1; i <= n; i++) {
		int64_t v;

		charge(L, 1);
		lua_geti(L, 1, i);
		if (field) {
			if (lua_type(L, -1) == LUA_TNIL)
				return luaL_error(L, "%s: item %I is nil", fn, i);
			lua_getfield(L, -1, field);
			lua_remove(L, -2);
		}
		if (lua_isnil(L, -1))
			return field
				? luaL_error(L, "%s: item %I has no %s (nil); "
					     "leave it out or give it an amount",
					     fn, i, field)
				: luaL_error(L, "%s: item %I is nil", fn, i);
		lua_pushfstring(L, "item %I", i);
		v = money_arg(L, -2, fn, lua_tostring(L, -1));
		lua_pop(L, 2);
		if (money_add(total, v, &total) != MONEY_OK)
			return luaL_error(L, "%s: the sum is too large for money "
					  "(at item %I)", fn, i);
	}
	lval_money_push(L, total);
	return 1;
}

/* ---- lib.dates --------------------------------------------------------- */

struct calendar {
	uint8_t weekend[7];	/* ISO weekday 1..7 at [d-1]: 1 if off */
	int nweekend;
	size_t n;		/* holidays on working weekdays, sorted */
	int64_t day[];
};

static const char CAL_MT[] = "lib.dates.calendar";
static const char TZ_MT[] = "lib.dates.zone";

/* A date or time argument: epoch seconds or text date() reads. */
static int64_t time_arg(lua_State *L, int i, const char *fn, const char *what)
{
	int64_t t;

	if (lua_isinteger(L, i)) {
		t = lua_tointeger(L, i);
		if (t < TSTAMP_MIN || t > TSTAMP_MAX)
			luaL_error(L, "%s: %s = %I is outside the years 0001 to "
				   "9999", fn, what, (lua_Integer)t);
		return t;
	}
	if (lua_type(L, i) == LUA_TSTRING) {
		size_t n;
		const char *s = lua_tolstring(L, i, &n);

		if (tstamp_parse(s, n, &t) == 0)
			return t;
		luaL_error(L, "%s: %s \"%s\" is not a date (expected "
			   "YYYY-MM-DD, optionally with HH:MM[:SS])", fn, what,
			   lval_shown(L, s, n));
	}
	luaL_error(L, "%s: %s must be a date (epoch seconds or "
		   "\"YYYY-MM-DD\"), not %s", fn, what,
		   lua_isnumber(L, i) ? "a float" : luaL_typename(L, i));
	return 0;
}

static int iso_wday(int64_t day)
{
	return (int)floormod(day + 3, 7) + 1;
}

static int cal_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Build a calendar from option table i (holidays, weekend); pushes it. */
static struct calendar *cal_build(lua_State *L, int i, const char *fn,
				  int list_only)
{
	struct calendar *c;
	lua_Integer nh = 0;
	int hol = 0, wk = 0;
	uint8_t weekend[7] = { 0, 0, 0, 0, 0, 1, 1 };
	size_t k = 0;

	i = lua_absindex(L, i);
	if (list_only) {
		hol = i;
	} else {
		lua_pushnil(L);
		while (lua_next(L, i)) {
			const char *key = lua_type(L, -2) == LUA_TSTRING
				? lua_tostring(L, -2) : NULL;

			if (!key || (strcmp(key, "holidays") &&
				     strcmp(key, "weekend")))
				luaL_error(L, "%s: unknown option '%s' (options:"
					   " holidays, weekend)", fn,
					   key ? key : luaL_typename(L, -2));
			lua_pop(L, 1);
		}
		if (lua_getfield(L, i, "holidays") == LUA_TTABLE)
			hol = lua_gettop(L);
		else if (!lua_isnil(L, -1))
			luaL_error(L, "%s: holidays must be a list of dates", fn);
		if (lua_getfield(L, i, "weekend") == LUA_TTABLE)
			wk = lua_gettop(L);
		else if (!lua_isnil(L, -1))
			luaL_error(L, "%s: weekend must be a list of ISO "
				   "weekdays (1 = Monday ... 7 = Sunday)", fn);
	}
	if (wk) {
		memset(weekend, 0, sizeof(weekend));
		for (lua_Integer j = 1; j <= (lua_Integer)lua_rawlen(L, wk); j++) {
			lua_Integer d;

			lua_rawgeti(L, wk, j);
			d = lua_tointeger(L, -1);
			if (!lua_isinteger(L, -1) || d < 1 || d > 7)
				luaL_error(L, "%s: weekend item %I must be an ISO "
					   "weekday, 1 (Monday) to 7 (Sunday)",
					   fn, j);
			weekend[d - 1] = 1;
			lua_pop(L, 1);
		}
	}
	if (hol)
		nh = (lua_Integer)lua_rawlen(L, hol);
	charge(L, (uint64_t)nh);
	c = lua_newuserdatauv(L, sizeof(*c) + (size_t)nh * sizeof(int64_t), 0);
	memcpy(c->weekend, weekend, sizeof(weekend));
	c->nweekend = 0;
	for (int d = 0; d < 7; d++)
		c->nweekend += weekend[d];
	if (c->nweekend == 7)
		luaL_error(L, "%s: a week of seven weekend days has no business "
			   "days", fn);
	for (lua_Integer j = 1; j <= nh; j++) {
		int64_t day;

		lua_rawgeti(L, hol, j);
		lua_pushfstring(L, "holiday %I", j);
		day = floordiv(time_arg(L, -2, fn, lua_tostring(L, -1)), DAY);
		lua_pop(L, 2);
		if (!weekend[iso_wday(day) - 1])
			c->day[k++] = day;
	}
	qsort(c->day, k, sizeof(c->day[0]), cal_cmp);
	c->n = 0;
	for (size_t j = 0; j < k; j++)
		if (c->n == 0 || c->day[c->n - 1] != c->day[j])
			c->day[c->n++] = c->day[j];
	luaL_setmetatable(L, CAL_MT);
	return c;
}

static const struct calendar cal_default = { { 0, 0, 0, 0, 0, 1, 1 }, 2, 0 };

/* Calendar argument i: nil (Saturday and Sunday off), a calendar, or a
 * list of holidays (built for this call). */
static const struct calendar *cal_arg(lua_State *L, int i, const char *fn)
{
	struct calendar *c;

	if (lua_isnoneornil(L, i))
		return &cal_default;
	if ((c = luaL_testudata(L, i, CAL_MT)) != NULL)
		return c;
	if (lua_type(L, i) == LUA_TTABLE)
		return cal_build(L, i, fn, 1);
	luaL_error(L, "%s: the calendar must be lib.dates.calendar{...}, a "
		   "list of holidays or nil, not %s", fn, luaL_typename(L, i));
	return NULL;
}

static int is_holiday(const struct calendar *c, int64_t day)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->day[mid] == day)
			return 1;
		if (c->day[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Holidays in (a, b]. */
static int64_t holidays_in(const struct calendar *c, int64_t a, int64_t b)
{
	size_t lo = 0, hi = c->n, l2, h2;

	while (lo < hi) {	/* first > a */
		size_t mid = lo + (hi - lo) / 2;

		if (c->day[mid] <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	l2 = lo;
	h2 = c->n;
	while (l2 < h2) {	/* first > b */
		size_t mid = l2 + (h2 - l2) / 2;

		if (c->day[mid] <= b)
			l2 = mid + 1;
		else
			h2 = mid;
	}
	return (int64_t)(l2 - lo);
}

static int business(const struct calendar *c, int64_t day)
{
	return !c->weekend[iso_wday(day) - 1] && !is_holiday(c, day);
}

static int l_calendar(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	cal_build(L, 1, "lib.dates.calendar", 0);
	return 1;
}

static int l_is_business_day(lua_State *L)
{
	static const char fn[] = "lib.dates.is_business_day";
	int64_t d = floordiv(time_arg(L, 1, fn, "the date"), DAY);

	lua_pushboolean(L, business(cal_arg(L, 2, fn), d));
	return 1;
}

static int l_business_days(lua_State *L)
{
	static const char fn[] = "lib.dates.business_days";
	int64_t a = floordiv(time_arg(L, 1, fn, "the first date"), DAY);
	int64_t b = floordiv(time_arg(L, 2, fn, "the second date"), DAY);
	const struct calendar *c = cal_arg(L, 3, fn);
	int sign = 1;
	int64_t weeks, count, x;

	if (b < a) {
		x = a;
		a = b;
		b = x;
		sign = -1;
	}
	weeks = (b - a) / 7;
	count = weeks * (7 - c->nweekend);
	for (x = a + weeks * 7 + 1; x <= b; x++)
		count += !c->weekend[iso_wday(x) - 1];
	count -= holidays_in(c, a, b);
	lua_pushinteger(L, (lua_Integer)(sign * count));
	return 1;
}

static int l_add_business_days(lua_State *L)
{
	static const char fn[] = "lib.dates.add_business_days";
	int64_t t = time_arg(L, 1, fn, "the date"), day, steps = 0;
	lua_Integer n;
	const struct calendar *c;
	int step;

	if (!lua_isinteger(L, 2))
		return luaL_error(L, "%s: the number of days must be a whole "
				  "number", fn);
	n = lua_tointeger(L, 2);
	c = cal_arg(L, 3, fn);
	day = floordiv(t, DAY);
	step = n < 0 ? -1 : 1;
	while (n != 0) {
		day += step;
		if (++steps % 64 == 0)
			charge(L, 64);
		if (day * DAY < TSTAMP_MIN || day * DAY > TSTAMP_MAX)
			return luaL_error(L, "%s: the result is outside the "
					  "years 0001 to 9999", fn);
		if (business(c, day))
			n -= step;
	}
	lua_pushinteger(L, (lua_Integer)(day * DAY + floormod(t, DAY)));
	return 1;
}

static int l_days_between(lua_State *L)
{
	static const char fn[] = "lib.dates.days_between";
	int64_t a = floordiv(time_arg(L, 1, fn, "the first date"), DAY);
	int64_t b = floordiv(time_arg(L, 2, fn, "the second date"), DAY);

	lua_pushinteger(L, (lua_Integer)(b - a));
	return 1;
}

static int l_within_days(lua_State *L)
{
	static const char fn[] = "lib.dates.within_days";
	int64_t a = time_arg(L, 1, fn, "the first date");
	int64_t b = time_arg(L, 2, fn, "the second date");
	lua_Integer n;

	if (!lua_isinteger(L, 3) || (n = lua_tointeger(L, 3)) < 0 ||
	    n > 3660000)
		return luaL_error(L, "%s: the number of days must be a whole "
				  "number from 0 to 3660000", fn);
	lua_pushboolean(L, (b > a ? b - a : a - b) <= (int64_t)n * DAY);
	return 1;
}

/* A zone name the tz database could hold: A-Z a-z 0-9 _ + - in parts
 * separated by "/", none starting with "." (so no "..") or empty. */
static int zone_name_ok(const char *s, size_t n)
{
	size_t part = 0;

	if (n == 0 || n >= sizeof(((struct rlib_tz *)0)->name))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '/') {
			if (part == 0)
				return 0;
			part = 0;
			continue;
		}
		if (!(is_alpha(c) || is_digit(c) || c == '_' || c == '+' ||
		      c == '-' || (c == '.' && part > 0)))
			return 0;
		part++;
	}
	return part > 0;
}

/* Load zone `name` into a new userdata (pushed). */
static const struct rlib_tz *zone_load(lua_State *L, const char *fn,
				       const char *name, size_t n)
{
	char path[sizeof(RLIB_ZONEINFO) + 64];
	struct stat st;
	unsigned char *buf;
	struct rlib_tz *tz;
	size_t need = 0;
	ssize_t got;
	int fd, rc;

	if (n < 64) {
		tz = lua_newuserdatauv(L, sizeof(*tz), 0);
		if (rlib_tz_fixed(name, n, tz) == 0) {
			luaL_setmetatable(L, TZ_MT);
			return tz;
		}
		lua_pop(L, 1);
	}
	if (!zone_name_ok(name, n))
		luaL_error(L, "%s: \"%s\" is not a time zone name (write a tz "
			   "database name such as \"Europe/Berlin\", or a "
			   "fixed offset such as \"+01:00\" or \"UTC\")", fn,
			   lval_shown(L, name, n));
	memcpy(path, RLIB_ZONEINFO, sizeof(RLIB_ZONEINFO) - 1);
	memcpy(path + sizeof(RLIB_ZONEINFO) - 1, name, n);
	path[sizeof(RLIB_ZONEINFO) - 1 + n] = '\0';
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > TZFILE_CAP)
		luaL_error(L, "%s: unknown time zone \"%s\" (no file %s; names "
			   "are the tz database's, such as \"Europe/Berlin\"; "
			   "is the tzdata package installed?)", fn, name, path);
	buf = lua_newuserdatauv(L, (size_t)st.st_size + 1, 0);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		luaL_error(L, "%s: cannot read %s: %s", fn, path, strerror(errno));
	got = read(fd, buf, (size_t)st.st_size + 1);
	close(fd);
	if (got < 0 || (size_t)got > (size_t)st.st_size ||
	    rlib_tz_parse(buf, (size_t)got, NULL, 0, &need) < 0)
		luaL_error(L, "%s: %s is not a time zone file this engine "
			   "reads (TZif)", fn, path);
	tz = lua_newuserdatauv(L, need, 0);
	rc = rlib_tz_parse(buf, (size_t)got, tz, need, &need);
	if (rc != 0)
		luaL_error(L, "%s: %s is not a time zone file this engine "
			   "reads (TZif)", fn, path);
	memcpy(tz->name, name, n);
	tz->name[n] = '\0';
	lua_remove(L, -2);
	luaL_setmetatable(L, TZ_MT);
	return tz;
}

/* Zone argument i: a zone, or a name (cached in the registry, per state). */
static const struct rlib_tz *zone_arg(lua_State *L, int i, const char *fn)
{
	const struct rlib_tz *tz;
	const char *name;
	size_t n;

	if ((tz = luaL_testudata(L, i, TZ_MT)) != NULL)
		return tz;
	if (lua_type(L, i) != LUA_TSTRING)
		luaL_error(L, "%s: the time zone must be a name such as "
			   "\"Europe/Berlin\" or a fixed offset such as "
			   "\"+01:00\", not %s", fn, luaL_typename(L, i));
	name = lua_tolstring(L, i, &n);
	lua_getfield(L, LUA_REGISTRYINDEX, TZ_MT);
	lua_pushvalue(L, i);
	if (lua_rawget(L, -2) == LUA_TUSERDATA) {
		tz = lua_touserdata(L, -1);
		lua_replace(L, i);	/* keep it anchored */
		lua_pop(L, 1);
		return tz;
	}
	lua_pop(L, 1);
	tz = zone_load(L, fn, name, n);
	lua_pushvalue(L, i);
	lua_pushvalue(L, -2);
	lua_rawset(L, -4);
	lua_replace(L, i);
	lua_pop(L, 1);
	return tz;
}

static int l_zone(lua_State *L)
{
	zone_arg(L, 1, "lib.dates.zone");
	lua_settop(L, 1);
	return 1;
}

static const char *push_offset(lua_State *L, int32_t off)
{
	int32_t a = off < 0 ? -off : off;
	char b[16];

	if (a % 60)
		snprintf(b, sizeof(b), "%c%02d:%02d:%02d", off < 0 ? '-' : '+',
			 (int)(a / 3600), (int)(a / 60 % 60), (int)(a % 60));
	else
		snprintf(b, sizeof(b), "%c%02d:%02d", off < 0 ? '-' : '+',
			 (int)(a / 3600), (int)(a / 60 % 60));
	return lua_pushstring(L, b);
}

static int l_from_local(lua_State *L)
{
	static const char fn[] = "lib.dates.from_local";
	const struct rlib_tz *tz = zone_arg(L, 2, fn);
	int64_t wall, t;
	int32_t before, after;
	int pick = 0, st;
	const char *shown;

	if (lua_type(L, 1) == LUA_TSTRING) {
		size_t n;
		const char *s = lua_tolstring(L, 1, &n);

		for (size_t i = 10; i < n; i++)
			if (s[i] == 'Z' || s[i] == '+' || s[i] == '-')
				return luaL_error(L, "%s: \"%s\" already says its"
						  " offset from UTC; read it "
						  "with date() instead", fn,
						  lval_shown(L, s, n));
	}
	wall = time_arg(L, 1, fn, "the local time");
	if (!lua_isnoneornil(L, 3)) {
		const char *p = lua_type(L, 3) == LUA_TSTRING
			? lua_tostring(L, 3) : "";

		if (strcmp(p, "earlier") == 0)
			pick = -1;
		else if (strcmp(p, "later") == 0)
			pick = 1;
		else
			return luaL_error(L, "%s: the third argument must be "
					  "\"earlier\" or \"later\" (which of "
					  "an ambiguous time to take)", fn);
	}
	st = rlib_tz_from_local(tz, wall, pick, &t, &before, &after);
	if (st == RLIB_TZ_OK) {
		lua_pushinteger(L, (lua_Integer)t);
		return 1;
	}
	{
		struct sbuf sb = SBUF_INIT(64);

		tstamp_format(wall, &sb);
		if (sb.len >= 20)
			sb.buf[10] = ' ', sb.len = 19;
		shown = lua_pushlstring(L, sb.buf, sb.len);
		sbuf_release(&sb);
	}
	push_offset(L, before);
	push_offset(L, after);
	if (st == RLIB_TZ_GAP)
		return luaL_error(L, "%s: %s does not exist in %s (the clocks "
				  "skip it: the offset changes from %s to %s);"
				  " check the source's time zone", fn, shown,
				  tz->name, lua_tostring(L, -2),
				  lua_tostring(L, -1));
	return luaL_error(L, "%s: %s happens twice in %s (the clocks go back:"
			  " the offset changes from %s to %s); pass "
			  "\"earlier\" or \"later\" to choose", fn, shown,
			  tz->name, lua_tostring(L, -2), lua_tostring(L, -1));
}

static int l_to_local(lua_State *L)
{
	static const char fn[] = "lib.dates.to_local";
	int64_t t = time_arg(L, 1, fn, "the time");
	const struct rlib_tz *tz = zone_arg(L, 2, fn);
	int32_t off = rlib_tz_offset(tz, t);

	lua_pushinteger(L, (lua_Integer)(t + off));
	lua_pushinteger(L, off);
	return 2;
}

/* day(t [, zone]): the date (midnight UTC) of t's calendar day, in UTC
 * or in the zone's local time. */
static int l_day(lua_State *L)
{
	static const char fn[] = "lib.dates.day";
	int64_t t = time_arg(L, 1, fn, "the time");

	if (!lua_isnoneornil(L, 2))
		t += rlib_tz_offset(zone_arg(L, 2, fn), t);
	lua_pushinteger(L, (lua_Integer)(floordiv(t, DAY) * DAY));
	return 1;
}

static int l_dates_format(lua_State *L)
{
	static const char fn[] = "lib.dates.format";
	int64_t t = time_arg(L, 1, fn, "the time");
	struct sbuf sb = SBUF_INIT(64);

	if (tstamp_format(t, &sb) < 0) {
		sbuf_release(&sb);
		return lval_raise_nomem(L);
	}
	if (floormod(t, DAY) == 0 && lua_toboolean(L, 2) == 0)
		sb.len = 10;	/* a date */
	else
		sb.buf[10] = ' ', sb.len = 19;
	lua_pushlstring(L, sb.buf, sb.len);
	sbuf_release(&sb);
	return 1;
}

/* ---- lib.text ---------------------------------------------------------- */

/* A nil argument gives nil back (as key() does). */
#define NIL_IN_NIL_OUT(L)                                                      \
	do {                                                                   \
		if (lua_isnoneornil(L, 1)) {                                   \
			lua_pushnil(L);                                        \
			return 1;                                              \
		}                                                              \
	} while (0)

static int l_trim(lua_State *L)
{
	const char *s;
	size_t n;

	NIL_IN_NIL_OUT(L);
	s = text_arg(L, 1, "lib.text.trim", &n);
	charge(L, n / 32);
	trim_blanks(&s, &n);
	lua_pushlstring(L, s, n);
	return 1;
}

static int l_squeeze(lua_State *L)
{
	const char *s;
	size_t n, k, i = 0;
	luaL_Buffer b;
	int gap = 0;

	NIL_IN_NIL_OUT(L);
	s = text_arg(L, 1, "lib.text.squeeze", &n);
	charge(L, n / 32);
	trim_blanks(&s, &n);
	luaL_buffinit(L, &b);
	while (i < n) {
		if ((k = blank_at(s + i, n - i)) != 0) {
			gap = 1;
			i += k;
			continue;
		}
		if (gap)
			luaL_addchar(&b, ' ');
		gap = 0;
		luaL_addchar(&b, s[i]);
		i++;
	}
	luaL_pushresult(&b);
	return 1;
}

static int change_case(lua_State *L, const char *fn, int up)
{
	const char *s;
	size_t n;
	luaL_Buffer b;
	char *p;

	NIL_IN_NIL_OUT(L);
	s = text_arg(L, 1, fn, &n);
	charge(L, n / 32);
	p = luaL_buffinitsize(L, &b, n);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		else if (!up && c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		p[i] = c;
	}
	luaL_pushresultsize(&b, n);
	return 1;
}

static int l_upper(lua_State *L)
{
	return change_case(L, "lib.text.upper", 1);
}

static int l_lower(lua_State *L)
{
	return change_case(L, "lib.text.lower", 0);
}

static void strip_accents(lua_State *L, const char *fn, const char *s,
			  size_t n)
{
	luaL_Buffer b;

	utf8_arg(L, fn, s, n);
	charge(L, n / 32);
	luaL_buffinit(L, &b);
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq_len(s + i, n - i);
		uint32_t cp = utf8_cp(s + i, k);
		const char *a = rlib_ascii_of(cp);

		if (a)
			luaL_addstring(&b, a);
		else if (cp < 0x300 || cp > 0x36F)	/* combining marks go */
			luaL_addlstring(&b, s + i, k);
		i += k;
	}
	luaL_pushresult(&b);
}

static int l_strip_accents(lua_State *L)
{
	const char *s;
	size_t n;

	NIL_IN_NIL_OUT(L);
	s = text_arg(L, 1, "lib.text.strip_accents", &n);
	strip_accents(L, "lib.text.strip_accents", s, n);
	return 1;
}

static int l_strip_prefix(lua_State *L)
{
	static const char fn[] = "lib.text.strip_prefix";
	const char *s;
	size_t n, np;
	int t;

	NIL_IN_NIL_OUT(L);
	s = text_arg(L, 1, fn, &n);
	t = lua_type(L, 2);
	if (t != LUA_TSTRING && t != LUA_TTABLE)
		return luaL_error(L, "%s: the prefixes must be a string or a "
				  "list of strings, not %s", fn,
				  luaL_typename(L, 2));
	np = t == LUA_TSTRING ? 1 : (size_t)lua_rawlen(L, 2);
	charge(L, np + n / 32);
	for (size_t i = 0; i < np; i++) {
		const char *p;
		size_t pn;

		if (t == LUA_TTABLE && lua_rawgeti(L, 2, (lua_Integer)i + 1) !=
		    LUA_TSTRING)
			return luaL_error(L, "%s: prefix list item %I is not a "
					  "string", fn, (lua_Integer)i + 1);
		p = t == LUA_TSTRING ? lua_tolstring(L, 2, &pn)
				     : lua_tolstring(L, -1, &pn);
		if (pn <= n && memcmp(s, p, pn) == 0) {
			lua_pushlstring(L, s + pn, n - pn);
			lua_pushlstring(L, p, pn);
			return 2;
		}
		if (t == LUA_TTABLE)
			lua_pop(L, 1);
	}
	lua_pushlstring(L, s, n);
	lua_pushnil(L);
	return 2;
}

static size_t utf8_count(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

static int l_pad_left(lua_State *L)
{
	static const char fn[] = "lib.text.pad_left";
	const char *s, *ch = "0";
	size_t n, chn = 1, have;
	lua_Integer w;
	luaL_Buffer b;

	NIL_IN_NIL_OUT(L);
	s = text_arg(L, 1, fn, &n);
	utf8_arg(L, fn, s, n);
	if (!lua_isinteger(L, 2) || (w = lua_tointeger(L, 2)) < 0 ||
	    w > TEXT_PAD_CAP)
		return luaL_error(L, "%s: the width must be a whole number from"
				  " 0 to %d", fn, TEXT_PAD_CAP);
	if (!lua_isnoneornil(L, 3)) {
		if (lua_type(L, 3) != LUA_TSTRING ||
		    (ch = lua_tolstring(L, 3, &chn), chn == 0) ||
		    utf8_seq_len(ch, chn) != chn)
			return luaL_error(L, "%s: the padding must be one "
					  "character, such as \"0\" or \" \"",
					  fn);
	}
	have = utf8_count(s, n);
	charge(L, (uint64_t)w / 32);
	luaL_buffinit(L, &b);
	for (size_t i = have; i < (size_t)w; i++)
		luaL_addlstring(&b, ch, chn);
	luaL_addlstring(&b, s, n);
	luaL_pushresult(&b);
	return 1;
}

static int l_unpad(lua_State *L)
{
	static const char fn[] = "lib.text.unpad";
	const char *s, *ch = "0";
	size_t n, chn = 1, i = 0;

	NIL_IN_NIL_OUT(L);
	s = text_arg(L, 1, fn, &n);
	if (!lua_isnoneornil(L, 2)) {
		if (lua_type(L, 2) != LUA_TSTRING ||
		    (ch = lua_tolstring(L, 2, &chn), chn == 0) ||
		    utf8_seq_len(ch, chn) != chn)
			return luaL_error(L, "%s: the padding must be one "
					  "character, such as \"0\" or \" \"",
					  fn);
	}
	charge(L, n / 32);
	while (i + chn <= n && memcmp(s + i, ch, chn) == 0)
		i += chn;
	if (i == n && n > 0 && chn == 1 && ch[0] == '0')
		i = n - 1;	/* all zeros: one stays */
	lua_pushlstring(L, s + i, n - i);
	return 1;
}

/* normalise(s [, key_opts]): strip_accents, then key(). Upvalue 2 is key. */
static int l_normalise(lua_State *L)
{
	static const char fn[] = "lib.text.normalise";
	const char *s;
	size_t n;
	int st;

	NIL_IN_NIL_OUT(L);
	s = text_arg(L, 1, fn, &n);
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(2));
	strip_accents(L, fn, s, n);
	lua_pushvalue(L, 2);
	st = lua_pcall(L, 2, 1, 0);
	if (st == LUA_ERRRUN && lua_type(L, -1) == LUA_TSTRING)
		return luaL_error(L, "%s: %s", fn, lua_tostring(L, -1));
	if (st != LUA_OK)
		return lua_error(L);
	return 1;
}

/* ---- lib.ref ----------------------------------------------------------- */

/* Protected: ref[name][key] (and [column]); upvalue: the ref view. Args:
 * name, key, column or nil. Returns row-or-nil, value. */
static int ref_fetch(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_gettable(L, -2);	/* the table view (raises if unknown) */
	lua_pushvalue(L, 2);
	lua_gettable(L, -2);	/* the row or nil */
	if (lua_isnil(L, -1) || lua_isnil(L, 3)) {
		lua_pushnil(L);
		return 2;
	}
	lua_pushvalue(L, 3);
	lua_gettable(L, -2);	/* the value (raises if no such column) */
	return 2;
}

/* Upvalue 2 of lib.ref's functions: ref_fetch closed over the ref view. */
static void ref_call(lua_State *L, const char *fn, int column)
{
	int st;

	if (lua_type(L, 1) != LUA_TSTRING)
		luaL_error(L, "%s: the first argument is the reference table's "
			   "name as a string (\"customers\"), not %s", fn,
			   luaL_typename(L, 1));
	if (lua_type(L, 2) != LUA_TSTRING && !lua_isinteger(L, 2) &&
	    !lua_isnil(L, 2))
		luaL_error(L, "%s: the key must be text or an integer, not %s",
			   fn, luaL_typename(L, 2));
	if (column && lua_type(L, 3) != LUA_TSTRING)
		luaL_error(L, "%s: the column must be a string, not %s", fn,
			   luaL_typename(L, 3));
	lua_pushvalue(L, lua_upvalueindex(2));
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	if (column)
		lua_pushvalue(L, 3);
	else
		lua_pushnil(L);
	st = lua_pcall(L, 3, 2, 0);
	if (st == LUA_ERRRUN && lua_type(L, -1) == LUA_TSTRING)
		luaL_error(L, "%s: %s", fn, lua_tostring(L, -1));
	if (st != LUA_OK)
		lua_error(L);
}

static int missing_row(lua_State *L, const char *fn)
{
	const char *k = lua_isnil(L, 2) ? "nil"
		: lua_pushfstring(L, "\"%s\"",
				  lval_shown(L, lua_tostring(L, 2),
					     lua_rawlen(L, 2)));

	return luaL_error(L, "%s: no row %s in reference table '%s'; add it to"
			  " the table, or pass a default", fn, k,
			  lua_tostring(L, 1));
}

static int l_ref_get(lua_State *L)
{
	static const char fn[] = "lib.ref.get";
	int has_default = lua_gettop(L) >= 4;

	if (lua_isinteger(L, 2))
		lua_tostring(L, 2);	/* the key shows as text in messages */
	ref_call(L, fn, 1);
	if (lua_isnil(L, -2)) {
		if (!has_default)
			return missing_row(L, fn);
		lua_pushvalue(L, 4);
		return 1;
	}
	if (lua_isnil(L, -1) && has_default)
		lua_pushvalue(L, 4);
	return 1;
}

static int l_ref_row(lua_State *L)
{
	static const char fn[] = "lib.ref.row";

	lua_settop(L, 2);
	if (lua_isinteger(L, 2))
		lua_tostring(L, 2);
	ref_call(L, fn, 0);
	if (lua_isnil(L, -2))
		return missing_row(L, fn);
	lua_pop(L, 1);
	return 1;
}

static int l_ref_has(lua_State *L)
{
	lua_settop(L, 2);
	ref_call(L, "lib.ref.has", 0);
	lua_pushboolean(L, !lua_isnil(L, -2));
	return 1;
}

/* ---- installing lib ---------------------------------------------------- */

static int ro_newindex(lua_State *L)
{
	const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2)
						       : luaL_typename(L, 2);

	return luaL_error(L, "%s is read-only (tried to set '%s'); keep your "
			  "own helpers in a table of your own",
			  lua_tostring(L, lua_upvalueindex(1)), k);
}

static int ro_index_missing(lua_State *L)
{
	const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2)
						       : luaL_typename(L, 2);

	lua_pushvalue(L, lua_upvalueindex(2));
	return luaL_error(L, "%s has no '%s' (it has: %s)",
			  lua_tostring(L, lua_upvalueindex(1)), k,
			  lua_tostring(L, -1));
}

/* Replace the table on top with a read-only userdata view of it. */
static void freeze(lua_State *L, const char *name, const char *names)
{
	int t = lua_gettop(L);

	lua_newuserdatauv(L, 0, 1);
	lua_pushvalue(L, t);
	lua_setiuservalue(L, -2, 1);	/* keeps the table alive */
	lua_createtable(L, 0, 4);
	/* __index: the table, and a message for a missing name */
	lua_pushvalue(L, t);
	lua_createtable(L, 0, 1);
	lua_pushstring(L, name);
	lua_pushstring(L, names);
	lua_pushcclosure(L, ro_index_missing, 2);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_setfield(L, -2, "__index");
	lua_pushstring(L, name);
	lua_pushcclosure(L, ro_newindex, 1);
	lua_setfield(L, -2, "__newindex");
	lua_pushstring(L, name);
	lua_setfield(L, -2, "__name");
	lua_pushliteral(L, "lib");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_replace(L, t);
}

static void add_funcs(lua_State *L, const luaL_Reg *f, int ctx, int extra)
{
	for (; f->name; f++) {
		lua_pushvalue(L, ctx);
		if (extra)
			lua_pushvalue(L, extra);
		lua_pushcclosure(L, f->func, extra ? 2 : 1);
		lua_setfield(L, -2, f->name);
	}
}

void rlib_open(lua_State *L, int ref_index, int key_index,
	       rlib_charge_fn chargefn, void *ud)
{
	static const luaL_Reg money_fns[] = {
		{ "parse", l_money_parse }, { "format", l_money_format },
		{ "within", l_money_within }, { "diff", l_money_diff },
		{ "sum", l_money_sum }, { NULL, NULL }
	};
	static const luaL_Reg dates_fns[] = {
		{ "calendar", l_calendar },
		{ "is_business_day", l_is_business_day },
		{ "business_days", l_business_days },
		{ "add_business_days", l_add_business_days },
		{ "days_between", l_days_between },
		{ "within_days", l_within_days }, { "zone", l_zone },
		{ "from_local", l_from_local }, { "to_local", l_to_local },
		{ "day", l_day }, { "format", l_dates_format },
		{ NULL, NULL }
	};
	static const luaL_Reg text_fns[] = {
		{ "trim", l_trim }, { "squeeze", l_squeeze },
		{ "upper", l_upper }, { "lower", l_lower },
		{ "strip_accents", l_strip_accents },
		{ "strip_prefix", l_strip_prefix }, { "pad_left", l_pad_left },
		{ "unpad", l_unpad }, { NULL, NULL }
	};
	static const luaL_Reg ref_fns[] = {
		{ "get", l_ref_get }, { "row", l_ref_row }, { "has", l_ref_has },
		{ NULL, NULL }
	};
	struct rlib_ctx *c;
	int ctx, lib;

	ref_index = lua_absindex(L, ref_index);
	key_index = lua_absindex(L, key_index);
	c = lua_newuserdatauv(L, sizeof(*c), 0);
	c->charge = chargefn;
	c->ud = ud;
	ctx = lua_gettop(L);

	/* metatables of calendars and zones, and the per-state zone cache */
	luaL_newmetatable(L, CAL_MT);
	lua_pushliteral(L, "calendar");
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
	luaL_newmetatable(L, TZ_MT);
	lua_pushliteral(L, "zone");
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, TZ_MT);

	lua_createtable(L, 0, 4);
	lib = lua_gettop(L);

	lua_createtable(L, 0, 5);
	add_funcs(L, money_fns, ctx, 0);
	freeze(L, "lib.money", "parse, format, within, diff, sum");
	lua_setfield(L, lib, "money");

	lua_createtable(L, 0, 10);
	add_funcs(L, dates_fns, ctx, 0);
	freeze(L, "lib.dates", "calendar, is_business_day, business_days, "
	       "add_business_days, days_between, within_days, zone, "
	       "from_local, to_local, day, format");
	lua_setfield(L, lib, "dates");

	lua_createtable(L, 0, 9);
	add_funcs(L, text_fns, ctx, 0);
	lua_pushvalue(L, ctx);
	lua_pushvalue(L, key_index);
	lua_pushcclosure(L, l_normalise, 2);
	lua_setfield(L, -2, "normalise");
	freeze(L, "lib.text", "trim, squeeze, upper, lower, strip_accents, "
	       "strip_prefix, pad_left, unpad, normalise");
	lua_setfield(L, lib, "text");

	lua_pushvalue(L, ref_index);
	lua_pushcclosure(L, ref_fetch, 1);
	lua_createtable(L, 0, 3);
	add_funcs(L, ref_fns, ctx, lua_gettop(L) - 1);
	lua_remove(L, -2);
	freeze(L, "lib.ref", "get, row, has");
	lua_setfield(L, lib, "ref");

	freeze(L, "lib", "money, dates, text, ref");
	lua_setglobal(L, "lib");
	lua_pop(L, 1);	/* ctx */
}
