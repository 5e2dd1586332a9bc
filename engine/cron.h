/*
 * cron.h - five-field cron expressions and their times in a time zone.
 *
 * "minute hour day-of-month month day-of-week", each field a list of
 * `*`, N, N-M, with an optional /STEP (`*` + `/15`, `1-5/2`, `7/10` meaning
 * 7-max/10), months jan..dec and weekdays sun..sat by name (0 and 7
 * are Sunday). As in cron, when both day fields are restricted (neither
 * starts with `*`) a day matches if either matches.
 *
 * Times are computed in a tz database zone ("Europe/Berlin", "UTC")
 * through the C library: setenv("TZ") + tzset() + localtime_r(), so the
 * caller must be single-threaded while it asks (the scheduler is). The
 * zone in TZ is put back after each call.
 *
 * Daylight saving (docs/SCHEDULING.md): a wall-clock time that happens
 * twice (fall back) is taken at its first occurrence; one that does not
 * exist (spring forward) is taken at the end of the gap, the first
 * instant after it, so that the slot still runs that day, once. Both
 * keep the slot times in order. The offset lookups assume no two
 * transitions of a zone within a day of each other.
 */
#ifndef RECON_CRON_H
#define RECON_CRON_H

#include <stdint.h>

#include "buf.h"

struct cron {
	uint64_t minute;	/* bit m: minute m, 0..59 */
	uint32_t hour;		/* bit h, 0..23 */
	uint32_t dom;		/* bit d, 1..31 */
	uint32_t month;		/* bit m, 1..12 */
	uint32_t dow;		/* bit d, 0..6, Sunday 0 */
	int dom_star;		/* the field began with '*' */
	int dow_star;
};

/* Parse expr. 0, or -1 with *why set to what is wrong and what was
 * expected (the caller prefixes job file:line). */
int cron_parse(const char *expr, struct cron *c, struct sbuf *why);

/* 1 if the local day (year, month 1..12, day 1..31, weekday 0..6)
 * matches the day fields. */
int cron_day_matches(const struct cron *c, unsigned month, unsigned dom,
		     unsigned wday);

/* 1 if zone is a tz database name with a file under
 * /usr/share/zoneinfo ("UTC", "Europe/Berlin"), else 0. */
int cron_zone_ok(const char *zone);

/* The first slot of c in zone strictly after `after` (epoch seconds):
 * 0 and *out, or -1 if none within CRON_HORIZON_DAYS. */
int cron_next(const struct cron *c, const char *zone, int64_t after,
	      int64_t *out);
/* Nine years: "0 0 29 2 *" may wait eight for a February 29. */
#define CRON_HORIZON_DAYS (9 * 366)

/* The epoch second of local wall time y-m-d h:mi:00 in zone, resolved
 * as above (first occurrence; a gap's end). Exposed for tests. */
int64_t cron_local_to_utc(const char *zone, int64_t y, unsigned m,
			  unsigned d, unsigned h, unsigned mi);

/* Append t as "YYYY-MM-DD HH:MM:SS ZONEABBR" local to zone. */
int cron_format_local(const char *zone, int64_t t, struct sbuf *out);

/* Append field f (0 minute .. 4 weekday) of c for a systemd calendar
 * spec: "*", or a comma list with a..b ranges ("0,15,30,45", "1..5");
 * weekdays as Mon..Sun. */
int cron_systemd_field(const struct cron *c, int f, struct sbuf *out);

#endif
