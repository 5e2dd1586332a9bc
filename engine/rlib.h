/*
 * rlib.h - the analysts' helper library `lib` (rules/README.md): exact
 * money in the formats ERPs export, business days and time zones, text
 * normalisation, reference-table look-ups.
 *
 * rlib_open() installs the read-only global `lib` in a rules state
 * (rules.c, setup()); the rest is the C core the Lua functions are built
 * on, exposed for the unit tests (tests/unit/test_rlib.c). Nothing here
 * goes through double: amounts are money.h's scaled integers, times
 * tstamp.h's epoch seconds.
 */
#ifndef RECON_RLIB_H
#define RECON_RLIB_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "buf.h"

/* ---- money ------------------------------------------------------------ */

/* A number format: the decimal mark and the thousands separator(s). */
struct rlib_numfmt {
	const char *name;	/* "de", or NULL for one given as a table */
	char decimal;		/* '.' or ',' */
	const char *group;	/* thousands separator, "" for none */
	const char *group2;	/* another accepted on input (NULL: none) */
	const char *group3;	/* and a third (NULL: none) */
};

enum rlib_money_status {
	RLIB_MONEY_OK = 0,
	RLIB_MONEY_BLANK,	/* nothing but blanks */
	RLIB_MONEY_SYNTAX,	/* not an amount in this format */
	RLIB_MONEY_DECIMALS,	/* non-zero digits beyond the allowed decimals */
	RLIB_MONEY_RANGE	/* does not fit the engine's money */
};

/* The named formats: "de", "en", "ch", "fr", "plain"; NULL if unknown. */
const struct rlib_numfmt *rlib_numfmt_named(const char *name);

/*
 * Parse an amount as an ERP exports it: optional blanks; a sign in front
 * ("-", "+"), a "-" behind, or parentheses around it for a negative; an
 * optional currency code (three capital letters) or symbol (EUR sign,
 * $, pound, yen) in front or behind, blanks between allowed; digits,
 * with the format's thousands separator between groups of three (then
 * every group: 1.234.567,89) or none at all (1234567,89); optionally the
 * decimal mark and at least one digit. At most maxdec (0..4) decimals
 * that are not zero. *cur and *curlen give the currency code or symbol found
 * (NULL/0 if none). Returns an rlib_money_status; *decimals is the
 * number of decimal digits written (for messages).
 */
int rlib_money_parse(const char *s, size_t n, const struct rlib_numfmt *f,
		     int maxdec, int64_t *out, const char **cur,
		     size_t *curlen, int *decimals);

/* Append v in format f with at least `decimals` (0..4) decimals, more if
 * v has them (nothing is dropped): 1234.5 in "de" with 2 is "1.234,50".
 * Returns 0 or -1 (sbuf failure). */
int rlib_money_format(int64_t v, const struct rlib_numfmt *f, int decimals,
		      struct sbuf *out);

/* ---- time zones ------------------------------------------------------- */

/* A POSIX TZ rule date: Jn (kind 'J'), n (kind 'n'), Mm.w.d (kind 'M'). */
struct rlib_tzdate {
	char kind;
	int m, w, d;		/* kind 'M'; d also the day for 'J', 'n' */
	int32_t time;		/* seconds after local midnight */
};

/* A zone: a TZif file's transitions and its footer rule, or a fixed
 * offset. The transitions follow the struct in the same block. */
struct rlib_tz {
	size_t ntrans;
	const int64_t *trans;	/* UTC seconds, ascending */
	const uint8_t *idx;	/* local time type of each transition */
	int ntypes;
	int32_t off[256];	/* UTC offset of each type, east positive */
	uint8_t dst[256];
	int has_rule;		/* the footer rule applies after trans[] */
	int32_t std_off, dst_off;	/* east positive */
	int has_dst;
	struct rlib_tzdate start, end;
	char name[64];
};

/*
 * Parse the TZif data buf[0..n) (RFC 8536, versions 1 to 4; the 64-bit
 * part and the footer rule when there are) into tz, which has cap bytes.
 * *need is set to the bytes the zone takes. Returns 0, 1 if cap is less
 * than *need (tz untouched: call again with *need bytes), or -1 if buf is
 * not TZif data this code understands.
 */
int rlib_tz_parse(const unsigned char *buf, size_t n, struct rlib_tz *tz,
		  size_t cap, size_t *need);

/* A fixed-offset zone ("UTC", "Z", "+HH:MM", "-HH:MM", "+HH"): 0, or -1
 * if s is not one. */
int rlib_tz_fixed(const char *s, size_t n, struct rlib_tz *tz);

/* The UTC offset (east positive) at UTC time t. */
int32_t rlib_tz_offset(const struct rlib_tz *tz, int64_t t);

enum rlib_tz_status {
	RLIB_TZ_OK = 0,
	RLIB_TZ_GAP,		/* the local time does not exist */
	RLIB_TZ_AMBIGUOUS	/* it exists twice; pick was 0 */
};

/*
 * The UTC time of local wall-clock time `wall` (seconds as if the wall
 * clock were UTC). pick: 0 refuses an ambiguous time, -1 takes the
 * earlier, +1 the later instant. A gap is always refused. *before and
 * *after are the offsets in effect a day before and after (messages).
 */
int rlib_tz_from_local(const struct rlib_tz *tz, int64_t wall, int pick,
		       int64_t *out, int32_t *before, int32_t *after);

/* ---- text ------------------------------------------------------------- */

/* The ASCII spelling of a Latin-1 Supplement or Latin Extended-A letter
 * (U+00C0..U+017F: "e" for U+00E9, "ss" for U+00DF), or NULL if cp is
 * not one of those letters. */
const char *rlib_ascii_of(uint32_t cp);

/* ---- the Lua side ----------------------------------------------------- */

/* Charge steps against the running call's instruction budget (raises
 * once it is spent); rules.c's budget_charge. */
typedef void (*rlib_charge_fn)(lua_State *L, void *ud, uint64_t steps);

/*
 * Install the global `lib` in L: read-only views lib.money, lib.dates,
 * lib.text, lib.ref. ref_index is the stack index of the `ref` view
 * (ref.c) that lib.ref reads; key_index that of the key() function that
 * lib.text.normalise composes with. In a protected call (it allocates).
 */
void rlib_open(lua_State *L, int ref_index, int key_index,
	       rlib_charge_fn charge, void *ud);

#endif
