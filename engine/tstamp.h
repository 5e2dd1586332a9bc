/*
 * tstamp.h - dates and timestamps as int64 seconds since 1970-01-01 UTC.
 *
 * Sources give DATE and TIMESTAMP values as ISO text (both drivers do for
 * SQL_C_CHAR). We parse them ourselves, proleptic Gregorian, no locale, no
 * time zone database: a value without an offset is taken as UTC.
 * Fractions of a second are accepted and dropped (documented: the engine
 * compares times to the second).
 */
#ifndef RECON_TSTAMP_H
#define RECON_TSTAMP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define TSTAMP_MIN INT64_C(-62135596800)
#define TSTAMP_MAX INT64_C(253402300799)

/*
 * Accepts "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DDTHH:MM:SS",
 * optional ".fraction", optional "Z" or "+HH:MM"/"-HH:MM"/"+HHMM".
 * Years 0001..9999. Returns 0, or -1 if the text is not such a value or
 * names an impossible date (2023-02-29, 24:00:01).
 */
int tstamp_parse(const char *s, size_t n, int64_t *out);

/* Days since the epoch for a civil date (no validation). */
int64_t tstamp_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Append "YYYY-MM-DDTHH:MM:SSZ". Returns 0, or -1 (nothing appended)
 * if t is outside TSTAMP_MIN..TSTAMP_MAX, or -1 from the sbuf. */
int tstamp_format(int64_t t, struct sbuf *out);
/*
 * Append "YYYY-MM-DDTHH:MM:SS[.DIGITS]Z": tstamp_format(t) with the
 * fraction of a second that text (the value t was parsed from by
 * tstamp_parse, or a time of day "HH:MM:SS[.DIGITS]") carries, its
 * trailing zeros dropped ("09:00:00.500" gives ".5", "09:00:00.000"
 * nothing). The fraction is the digits after the text's only '.'.
 * Returns 0 or -1, as tstamp_format.
 */
int tstamp_format_frac(int64_t t, const char *text, size_t n,
		       struct sbuf *out);
/* Append "YYYY-MM-DD". Returns 0 or -1, as tstamp_format. */
int tstamp_format_date(int64_t t, struct sbuf *out);

#endif
