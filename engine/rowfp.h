/*
 * rowfp.h - fingerprints of source rows (SHA-256 over a canonical
 * serialisation of the row as the driver returned it) and the
 * order-independent hash of a whole source read.
 *
 * A row serialises like a ledger record (ledger.h), column by column in
 * the query's column order, with the column label as the name:
 *
 *     LABEL ":" LENGTH ":" BYTES "\n"     a value
 *     LABEL ":-\n"                        SQL NULL (distinct from "")
 *
 * BYTES are the text the driver returned (integers in decimal, decimals
 * and times as the driver printed them, so the same row can fingerprint
 * differently through two drivers). The source's rows_hash is the sum of
 * its rows' fingerprints read as 256-bit big-endian integers, modulo
 * 2^256: it does not depend on the order rows arrive in, and, unlike a
 * XOR, a row read twice does not cancel out. docs/LEDGER.md shows how to
 * recompute both by hand.
 */
#ifndef RECON_ROWFP_H
#define RECON_ROWFP_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "../connectors/connector.h"

struct rowfp {
	void *ctx;		/* EVP_MD_CTX, reused for every row */
	struct sbuf ser;	/* the serialisation of one row */
};

/* Allocates nothing. */
void rowfp_init(struct rowfp *f);
void rowfp_release(struct rowfp *f);

/* out = SHA-256 of the row's serialisation. 0, or -1 with err set
 * (ERR_NOMEM, ERR_INTERNAL). */
int rowfp_row(struct rowfp *f, const struct row *row, uint8_t out[32],
	      struct error *err);

/* acc += fp (mod 2^256, big-endian). */
void rowfp_sum_add(uint8_t acc[32], const uint8_t fp[32]);

/* 64 lower-case hex digits and a NUL into out. */
void rowfp_hex(const uint8_t b[32], char out[65]);

#endif
