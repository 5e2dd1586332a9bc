/*
 * money.h - exact decimal amounts as scaled 64-bit integers.
 *
 * An amount is an int64_t counting 10^-MONEY_SCALE units. Scale 4 holds
 * every ISO 4217 minor unit (the largest is 4, for CLF and UYW) and keeps
 * +-922,337,203,685,477.5807 in range. Nothing here goes through double.
 * A value that does not fit (too many decimals that are not zero, or too
 * large) is an error, never a rounding.
 */
#ifndef RECON_MONEY_H
#define RECON_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define MONEY_SCALE 4
#define MONEY_ONE INT64_C(10000)

enum money_status {
	MONEY_OK = 0,
	MONEY_SYNTAX,	 /* not a decimal number */
	MONEY_PRECISION, /* non-zero digits beyond MONEY_SCALE decimals */
	MONEY_RANGE	 /* does not fit in 64 bits at this scale */
};

/*
 * Parse the text form of a decimal: optional sign, digits, optional '.'
 * and digits, optional exponent (e/E, sign, digits), surrounding ASCII
 * blanks allowed. "12", "-0.5", ".25", "1.5e3" and "1200.00000" are fine;
 * "1.00001" is MONEY_PRECISION. Returns a money_status.
 */
int money_parse(const char *s, size_t n, int64_t *out);

/* Checked arithmetic: return MONEY_OK or MONEY_RANGE. */
int money_add(int64_t a, int64_t b, int64_t *out);
int money_sub(int64_t a, int64_t b, int64_t *out);
int money_mul_int(int64_t a, int64_t k, int64_t *out);
int money_abs(int64_t a, int64_t *out);

/*
 * Is |a - b| within the tolerance? abs_tol is an amount; rel_ppm is parts
 * per million of |b| (0 for none). Passes if either tolerance holds.
 * Exact: computed in 128-bit integers.
 */
int money_within(int64_t a, int64_t b, int64_t abs_tol, int64_t rel_ppm);

/*
 * Append the amount with at least `decimals` (0..4) fraction digits, and
 * more if the value needs them (nothing is ever dropped). Returns 0 or -1
 * (sbuf failure).
 */
int money_format(int64_t v, int decimals, struct sbuf *out);

const char *money_strerror(int status);

#endif
