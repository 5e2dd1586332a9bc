/*
 * rowfp.h - fingerprints of source rows (SHA-256 over a canonical,
 * typed serialisation of the row) and the order-independent hash of a
 * whole source read.
 *
 * Format ROWFP_FORMAT ("recon-rowfp/2"). The serialisation is a first
 * line naming the format, then column by column in the query's column
 * order, with the column label as the name, one line per column by the
 * class of its value:
 *
 *     "recon-rowfp/2\n"                   first, once
 *     LABEL "#" LENGTH ":" BYTES "\n"     an exact number
 *     LABEL "@" LENGTH ":" BYTES "\n"     a date or time
 *     LABEL ":" LENGTH ":" BYTES "\n"     text, as the driver returned it
 *     LABEL "?" LENGTH ":" BYTES "\n"     a number not proven exact
 *     LABEL ":-\n"                        SQL NULL (distinct from "")
 *
 * (LENGTH in decimal bytes.) Values are normalised by type, so that the
 * same row gives the same fingerprint through any driver:
 *
 *   - An exact number (an integer column, VAL_INT; a DECIMAL/NUMERIC
 *     column or an approximate one whose value is provably the decimal
 *     it shows, VAL_DEC; a SQLite column declared DECIMAL, which
 *     sqliteodbc describes as text, when its value is provably that
 *     decimal, value.dec_text) is its canonical decimal, money_format's
 *     form: no '+', no leading zeros but the one of "0.5", no trailing
 *     fractional zeros, no '.' without digits after it, "-0" as "0"
 *     (PostgreSQL's 200480.00,
 *     SQLite's 200480 and an INTEGER 200480 are all "200480"; 0.10 is
 *     "0.1").
 *   - A date, time or timestamp (VAL_TIME) is "YYYY-MM-DDTHH:MM:SSZ" in
 *     UTC (tstamp_format), with the fraction of a second the driver gave
 *     appended before the Z, trailing zeros dropped (tstamp_format_frac):
 *     "2026-11-02 09:00:00", "2026-11-02T10:00:00.000+01:00" and a DATE
 *     2026-11-02's "2026-11-02T00:00:00Z" come out as such. A time of
 *     day is on 1970-01-01.
 *   - Text (VAL_TEXT) is its bytes as they are. A text column is text
 *     whatever it holds: '200480.00' in a TEXT column is not the number
 *     200480 (its line has ':', a number's '#'), so a column must have
 *     the same type class on both databases for their rows to
 *     fingerprint the same.
 *   - A value of a number column that the connector could not prove to
 *     be the decimal it shows (value.approx: a double that may be a
 *     rounding) is the driver's text, tagged '?': it never equals an
 *     exact number's line, whatever its digits.
 * Every other value of a number or time column has already failed at
 * the connector (ERR_DATA), so nothing else reaches a fingerprint.
 *
 * The first line keeps fingerprints of different formats apart: none of
 * this format equals one of format 1 (before recon-rowfp/2: no first
 * line, every value the driver's text after ':'), whatever the row.
 *
 * The source's rows_hash is the sum of its rows' fingerprints read as
 * 256-bit big-endian integers, modulo 2^256: it does not depend on the
 * order rows arrive in, and, unlike a XOR, a row read twice does not
 * cancel out. docs/LEDGER.md shows how to recompute both by hand.
 */
#ifndef RECON_ROWFP_H
#define RECON_ROWFP_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "../connectors/connector.h"

/* The format of the serialisation, hashed as its first line. */
#define ROWFP_FORMAT "recon-rowfp/2"

struct rowfp {
	void *ctx;		/* EVP_MD_CTX, reused for every row */
	struct sbuf ser;	/* the serialisation of one row */
	struct sbuf val;	/* one normalised value */
};

/* Allocates nothing. */
void rowfp_init(struct rowfp *f);
void rowfp_release(struct rowfp *f);

/* out = SHA-256 of the row's serialisation. 0, or -1 with err set
 * (ERR_NOMEM, ERR_INTERNAL; ERR_DATA naming the column for a time
 * outside years 1..9999, which the connector does not deliver). */
int rowfp_row(struct rowfp *f, const struct row *row, uint8_t out[32],
	      struct error *err);

/* acc += fp (mod 2^256, big-endian). */
void rowfp_sum_add(uint8_t acc[32], const uint8_t fp[32]);

/* 64 lower-case hex digits and a NUL into out. */
void rowfp_hex(const uint8_t b[32], char out[65]);

#endif
