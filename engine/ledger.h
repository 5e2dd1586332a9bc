/*
 * ledger.h - the canonical serialisation and hashes of published records
 * (the contract between the writer in store.c and `recon verify`).
 *
 * A record version is serialised as a sequence of fields, in the fixed
 * order of enum ledger_field, each as
 *
 *     NAME ":" LENGTH ":" BYTES "\n"      (LENGTH in decimal bytes)
 *     NAME ":-\n"                         (SQL NULL)
 *
 * Amount fields are normalised before hashing (parsed exactly and printed
 * with no trailing zeros: "12.30", "12.3000" and "12.3" all hash as
 * "12.3"), because databases print NUMERIC columns with their own scale.
 *
 *   value_hash   = SHA-256 over the VALUE fields only (outcome .. erp_docs):
 *                  what decides whether a key needs a new version.
 *   content_hash = SHA-256 over ALL fields (kind, key, version, run id,
 *                  values, sources, rules hash, prev_hash): what chains.
 *   run_hash     = SHA-256 over the run's T_runs row, the fields of enum
 *                  ledger_run_field in that order, serialised the same
 *                  way (integers as decimal text, nothing normalised):
 *                  run_id, seq, job, mode, as_of, window_start, started,
 *                  finished, status, rules_hash, rules, records,
 *                  exceptions, totals, outcomes, watermarks, prev_digest
 *                  (every column but the digest itself).
 *   run digest   = SHA-256 over  "recon-run:" PREV_DIGEST "\n"
 *                  "run:" RUN_HASH "\n"  followed by CONTENT_HASH "\n" for
 *                  every version the run wrote, in ascending order of the
 *                  hex strings (so the digest does not depend on the
 *                  order records were written in). PREV_DIGEST is the
 *                  previous run's digest ("" for the first run), which
 *                  chains the runs; RUN_HASH makes an edit of any column
 *                  of the runs row show as a digest that does not
 *                  recompute.
 *
 * Hashes are lower-case hex. docs/LEDGER.md documents the same for
 * readers that want to verify without this code.
 */
#ifndef RECON_LEDGER_H
#define RECON_LEDGER_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

enum ledger_field {
	/* identity */
	LF_REC_KIND = 0,
	LF_REC_KEY,
	LF_VERSION,
	LF_RUN_ID,
	/* values (value_hash covers LF_OUTCOME .. LF_ERP_DOCS) */
	LF_OUTCOME,
	LF_CODES,
	LF_VERDICTS,
	LF_DEAL_KEY,
	LF_ORDER_KEY,
	LF_CUSTOMER,
	LF_CURRENCY,
	LF_DEAL_AMOUNT,
	LF_ORDER_AMOUNT,
	LF_ERP_AMOUNT,
	LF_ERP_DOCS,
	/* provenance */
	LF_SOURCES,	/* JSON: the source rows' fingerprints */
	LF_RULES_HASH,
	LF_PREV_HASH,
	LF__COUNT
};

#define LEDGER_FIRST_VALUE LF_OUTCOME
#define LEDGER_LAST_VALUE LF_ERP_DOCS

/* Column names, in enum order (also the store's column names). */
extern const char *const ledger_field_names[LF__COUNT];

/* One version's fields as text; NULL pointers are SQL NULL. Borrowed. */
struct ledger_rec {
	const char *f[LF__COUNT];
};

#define LEDGER_HEX 65	/* 64 hex digits and a NUL */

/* Hash the value fields / all fields into hex (out: LEDGER_HEX bytes).
 * Returns 0, or -1 with err set (ERR_NOMEM, or ERR_DATA for an amount
 * field that is not an exact decimal). */
int ledger_value_hash(const struct ledger_rec *r, char *out, struct error *err);
int ledger_content_hash(const struct ledger_rec *r, char *out,
			struct error *err);

/* The serialisation itself (appended to sb), fields [first, last]. For
 * tests and for docs/LEDGER.md examples. */
int ledger_serialise(const struct ledger_rec *r, int first, int last,
		     struct sbuf *sb, struct error *err);

/* The fields of a T_runs row that run_hash covers, in hashing order. */
enum ledger_run_field {
	LR_RUN_ID = 0,
	LR_SEQ,
	LR_JOB,
	LR_MODE,
	LR_AS_OF,
	LR_WINDOW_START,
	LR_STARTED,
	LR_FINISHED,
	LR_STATUS,
	LR_RULES_HASH,
	LR_RULES,
	LR_RECORDS,
	LR_EXCEPTIONS,
	LR_TOTALS,
	LR_OUTCOMES,
	LR_WATERMARKS,
	LR_PREV_DIGEST,
	LR__COUNT
};

/* Column names of T_runs, in enum order. */
extern const char *const ledger_run_field_names[LR__COUNT];

/* One runs row as text (integers in decimal, as the database prints
 * them); NULL pointers are SQL NULL. Borrowed. */
struct ledger_run {
	const char *f[LR__COUNT];
};

/* Hash a runs row into hex (out: LEDGER_HEX bytes). Returns 0, or -1
 * with err set (ERR_NOMEM, ERR_INTERNAL if SHA-256 fails). */
int ledger_run_hash(const struct ledger_run *r, char *out, struct error *err);

/* The serialisation of runs-row fields [first, last] (appended to sb). */
int ledger_run_serialise(const struct ledger_run *r, int first, int last,
			 struct sbuf *sb, struct error *err);

/*
 * Run digest: init with the previous digest (or NULL), set the run hash
 * (mandatory), add each content hash in any order; finish sorts them and
 * writes the hex digest. Finishing without a run hash, or a failure of
 * SHA-256, writes "" (callers treat an empty digest as an error).
 */
struct ledger_digest;
struct ledger_digest *ledger_digest_new(const char *prev, struct error *err);
/* run_hash: LEDGER_HEX - 1 hex digits (copied). */
void ledger_digest_set_run(struct ledger_digest *d, const char *run_hash);
int ledger_digest_add(struct ledger_digest *d, const char *content_hash);
void ledger_digest_finish(struct ledger_digest *d, char *out);	/* frees d */
void ledger_digest_free(struct ledger_digest *d);	/* without finishing */

#endif
