/*
 * cron.c - cron expressions and their slot times (see cron.h).
 *
 * A zone is made current with zone_push() (TZ set, tzset()) for the
 * length of one public call and put back with zone_pop(), so that a
 * search over days does not reload the zone file per minute.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cron.h"
#include "mem.h"
#include "tstamp.h"
#include "banned.h"

#define ZONEINFO "/usr/share/zoneinfo/"
/* Longest zone name we take ("America/Argentina/ComodRivadavia" is 32). */
#define CRON_ZONE_MAX 64

static const struct field_def {
	const char *name;
	unsigned lo, hi;
	const char *const *names;	/* names[i] is value lo + i */
	unsigned nnames;		/* entries in names (7 for 0..7: no "sun" twice) */
} fields[5] = {
	{ "minute", 0, 59, NULL, 0 },
	{ "hour", 0, 23, NULL, 0 },
	{ "day-of-month", 1, 31, NULL, 0 },
	{ "month", 1, 12, (const char *const[]){ "jan", "feb", "mar", "apr",
		"may", "jun", "jul", "aug", "sep", "oct", "nov", "dec" }, 12 },
	{ "day-of-week", 0, 7, (const char *const[]){ "sun", "mon", "tue",
		"wed", "thu", "fri", "sat" }, 7 },
};

/* One number or name at *sp; advances. 0, or -1. */
static int parse_value(const struct field_def *f, const char **sp,
		       unsigned *out)
{
	const char *s = *sp;
	unsigned v = 0;

	if (isdigit((unsigned char)*s)) {
		int n = 0;

		while (isdigit((unsigned char)*s) && n++ < 3)
			v = v * 10 + (unsigned)(*s++ - '0');
		if (isdigit((unsigned char)*s))
			return -1;
		*sp = s;
		*out = v;
		return 0;
	}
	if (!f->names || !isalpha((unsigned char)s[0]))
		return -1;
	for (unsigned i = 0; i < f->nnames; i++) {
		const char *nm = f->names[i];

		if (tolower((unsigned char)s[0]) == nm[0] &&
		    tolower((unsigned char)s[1]) == nm[1] &&
		    tolower((unsigned char)s[2]) == nm[2] &&
		    !isalpha((unsigned char)s[3])) {
			*sp = s + 3;
			*out = f->lo + i;
			return 0;
		}
	}
	return -1;
}

static int parse_field(int fi, const char *s, size_t n, uint64_t *bits,
		       int *star, struct sbuf *why)
{
	const struct field_def *f = &fields[fi];
	char text[64];
	const char *p;

	if (n >= sizeof(text))
		return sbuf_addf(why, "the %s field is too long", f->name), -1;
	memcpy(text, s, n);
	text[n] = '\0';
	*bits = 0;
	*star = text[0] == '*';
	p = text;
	for (;;) {
		unsigned lo, hi, step = 1;

		if (*p == '*') {
			lo = f->lo;
			hi = f == &fields[4] ? 6 : f->hi;
			p++;
		} else {
			if (parse_value(f, &p, &lo) < 0)
				goto bad;
			hi = lo;
			if (*p == '-') {
				p++;
				if (parse_value(f, &p, &hi) < 0)
					goto bad;
			} else if (*p == '/') {
				hi = f == &fields[4] ? 6 : f->hi;
			}
		}
		if (*p == '/') {
			p++;
			if (!isdigit((unsigned char)*p) ||
			    parse_value(&fields[0], &p, &step) < 0 || step == 0)
				goto bad;
		}
		if (*p != ',' && *p != '\0')
			goto bad;
		if (lo < f->lo || hi > f->hi || lo > hi) {
			sbuf_addf(why, "%s field \"%s\": %u-%u is outside "
				  "%u-%u or backwards", f->name, text, lo,
				  hi, f->lo, f->hi);
			return -1;
		}
		for (unsigned v = lo; v <= hi; v += step)
			*bits |= (uint64_t)1 << (fi == 4 && v == 7 ? 0 : v);
		if (*p == '\0')
			return 0;
		p++;
	}
bad:
	sbuf_addf(why, "%s field \"%s\": expected *, N, N-M or a list of "
		  "them, each with an optional /STEP (%u-%u%s)", f->name,
		  text, f->lo, f->hi,
		  fi == 3 ? ", or jan..dec" : fi == 4
		  ? ", 0 and 7 Sunday, or sun..sat" : "");
	return -1;
}

int cron_parse(const char *expr, struct cron *c, struct sbuf *why)
{
	const char *s = expr;
	uint64_t bits[5];
	int star[5], nf = 0;

	memset(c, 0, sizeof(*c));
	for (;;) {
		const char *start;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		start = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (nf == 5) {
			nf++;
			break;
		}
		if (parse_field(nf, start, (size_t)(s - start), &bits[nf],
				&star[nf], why) < 0)
			return -1;
		nf++;
	}
	if (nf != 5) {
		sbuf_addf(why, "cron expression \"%s\" has %s fields: expected "
			  "five (minute hour day-of-month month day-of-week, "
			  "e.g. \"30 2 * * *\")", expr, nf > 5 ? "more than five"
			  : nf == 0 ? "no" : nf == 1 ? "one" : nf == 2 ? "two"
			  : nf == 3 ? "three" : "four");
		return -1;
	}
	c->minute = bits[0];
	c->hour = (uint32_t)bits[1];
	c->dom = (uint32_t)bits[2];
	c->month = (uint32_t)bits[3];
	c->dow = (uint32_t)bits[4];
	c->dom_star = star[2];
	c->dow_star = star[4];
	return 0;
}

int cron_day_matches(const struct cron *c, unsigned month, unsigned dom,
		     unsigned wday)
{
	int d = (c->dom >> dom) & 1, w = (c->dow >> wday) & 1;

	if (!((c->month >> month) & 1))
		return 0;
	/* cron: both restricted, either; else both (a '*' matches all) */
	if (!c->dom_star && !c->dow_star)
		return d || w;
	return d && w;
}

int cron_zone_ok(const char *zone)
{
	char path[sizeof(ZONEINFO) + CRON_ZONE_MAX];
	struct stat st;
	size_t n = strlen(zone);

	if (n == 0 || n >= CRON_ZONE_MAX || zone[0] == '/' ||
	    strstr(zone, ".."))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)zone[i]) && !strchr("/_-+", zone[i]))
			return 0;
	memcpy(path, ZONEINFO, sizeof(ZONEINFO) - 1);
	memcpy(path + sizeof(ZONEINFO) - 1, zone, n + 1);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- zones ------------------------------------------------------------ */

struct zone_save {
	char *old;	/* TZ before, or NULL if unset; owned */
	int had;
};

static void zone_push(const char *zone, struct zone_save *z)
{
	const char *old = getenv("TZ");

	z->had = old != NULL;
	z->old = old ? mem_strdup(old) : NULL;
	setenv("TZ", zone, 1);
	tzset();
}

static void zone_pop(struct zone_save *z)
{
	if (z->had && z->old)
		setenv("TZ", z->old, 1);
	else
		unsetenv("TZ");
	mem_free(z->old);
	tzset();
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Seconds east of UTC at t in the current zone. */
static int64_t offset_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return 0;
	return tstamp_days_from_civil(tm.tm_year + 1900,
				      (unsigned)tm.tm_mon + 1,
				      (unsigned)tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec - t;
}

/* Wall time w (local civil seconds) to an instant, current zone. */
static int64_t wall_to_utc(int64_t w)
{
	int64_t oa = offset_at(w - 86400), ob = offset_at(w + 86400);
	int64_t ca = w - oa, cb = w - ob, lo, hi;
	int va = ca + offset_at(ca) == w, vb = cb + offset_at(cb) == w;

	if (va && vb)
		return ca < cb ? ca : cb;	/* twice: the first */
	if (va || vb)
		return va ? ca : cb;
	/* a gap: the transition, the first instant with the later offset */
	lo = ca < cb ? ca : cb;
	hi = ca < cb ? cb : ca;
	if (offset_at(hi) == offset_at(lo))
		return ca;	/* not a single transition: take a guess */
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (offset_at(mid) == offset_at(lo))
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

int64_t cron_local_to_utc(const char *zone, int64_t y, unsigned m,
			  unsigned d, unsigned h, unsigned mi)
{
	struct zone_save z;
	int64_t t;

	zone_push(zone, &z);
	t = wall_to_utc(tstamp_days_from_civil(y, m, d) * 86400 + h * 3600 +
			mi * 60);
	zone_pop(&z);
	return t;
}

int cron_next(const struct cron *c, const char *zone, int64_t after,
	      int64_t *out)
{
	struct zone_save z;
	int64_t day0, found = -1;

	zone_push(zone, &z);
	/* start a day early: a wall time of the day before may lie after
	 * `after` (a gap's end, an offset that changed) */
	day0 = (after + offset_at(after)) / 86400 - 1;
	if (after + offset_at(after) < 0)
		day0--;
	for (int64_t k = 0; k < CRON_HORIZON_DAYS && found < 0; k++) {
		int64_t day = day0 + k, y;
		unsigned m, d, wday = (unsigned)(((day % 7) + 11) % 7);

		civil_from_days(day, &y, &m, &d);
		if (!cron_day_matches(c, m, d, wday))
			continue;
		for (unsigned h = 0; h < 24 && found < 0; h++) {
			if (!((c->hour >> h) & 1))
				continue;
			for (unsigned mi = 0; mi < 60; mi++) {
				int64_t t;

				if (!((c->minute >> mi) & 1))
					continue;
				t = wall_to_utc(day * 86400 + h * 3600 +
						mi * 60);
				if (t > after) {
					found = t;
					break;
				}
			}
		}
	}
	zone_pop(&z);
	if (found < 0)
		return -1;
	*out = found;
	return 0;
}

int cron_format_local(const char *zone, int64_t t, struct sbuf *out)
{
	struct zone_save z;
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[80];
	size_t n = 0;

	zone_push(zone, &z);
	if (localtime_r(&tt, &tm))
		n = strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm);
	zone_pop(&z);
	if (n == 0)
		return -1;
	return sbuf_add(out, buf, n);
}

int cron_systemd_field(const struct cron *c, int f, struct sbuf *out)
{
	static const char *const days[7] = { "Sun", "Mon", "Tue", "Wed",
					      "Thu", "Fri", "Sat" };
	uint64_t bits = f == 0 ? c->minute : f == 1 ? c->hour : f == 2
			? c->dom : f == 3 ? c->month : c->dow;
	unsigned lo = f == 2 || f == 3 ? 1 : 0;
	unsigned hi = f == 0 ? 59 : f == 1 ? 23 : f == 2 ? 31 : f == 3 ? 12 : 6;
	int first = 1;

	if ((f == 2 && c->dom_star) || (f == 4 && c->dow_star))
		return sbuf_addch(out, '*');
	if (bits == (((uint64_t)2 << hi) - 1) >> lo << lo)
		return sbuf_addch(out, '*');
	/* Mon first for weekdays, so that Mon..Fri stays one range */
	for (unsigned i = lo; i <= hi; i++) {
		unsigned v = f == 4 ? (i + 1) % 7 : i, e = i;

		if (!((bits >> v) & 1))
			continue;
		while (e + 1 <= hi &&
		       ((bits >> (f == 4 ? (e + 2) % 7 : e + 1)) & 1))
			e++;
		if (!first)
			sbuf_addch(out, ',');
		first = 0;
		if (f == 4)
			sbuf_addstr(out, days[v]);
		else
			sbuf_addf(out, f <= 1 ? "%02u" : "%u", v);
		if (e > i) {
			unsigned ev = f == 4 ? (e + 1) % 7 : e;

			if (f == 4)
				sbuf_addf(out, "..%s", days[ev]);
			else
				sbuf_addf(out, f <= 1 ? "..%02u" : "..%u", ev);
		}
		i = e;
	}
	return out->failed ? -1 : 0;
}
