/*
 * ledger.h - the canonical serialisation and hashes of published records
 * (the contract between the writer in store.c and `recon verify`).
 *
 * A record version has fixed fields (enum ledger_field) and the columns
 * the job declares (struct ledger_schema: name and type, in declaration
 * order). It is serialised as a sequence of fields, in this order:
 *
 *     rec_kind rec_key version run_id            identity
 *     outcome codes verdicts COLUMN...           values
 *     sources rules_hash prev_hash               provenance
 *
 * each as
 *
 *     NAME ":" LENGTH ":" BYTES "\n"      (LENGTH in decimal bytes)
 *     NAME ":-\n"                         (SQL NULL)
 *
 * Typed values are normalised before hashing, because databases print
 * their own forms: money is parsed exactly and printed with no trailing
 * zeros ("12.30", "12.3000" and "12.3" all hash as "12.3"); integers as
 * plain decimal; dates as "YYYY-MM-DD"; timestamps as
 * "YYYY-MM-DDTHH:MM:SSZ". A value that does not parse as its type is an
 * error, never hashed as it is.
 *
 *   value_hash   = SHA-256 over the VALUE fields only (outcome, codes,
 *                  verdicts, the declared columns): what decides whether
 *                  a key needs a new version.
 *   content_hash = SHA-256 over ALL fields: what chains.
 *   schema_hash  = SHA-256 over the store's format and declared columns
 *                  (T_schema; ledger_schema_serialise): stored in every
 *                  runs row, so changing the declaration shows.
 *   run_hash     = SHA-256 over the run's T_runs row, the fields of enum
 *                  ledger_run_field in that order, serialised the same
 *                  way (integers as decimal text, nothing normalised):
 *                  run_id, seq, job, mode, as_of, window_start, started,
 *                  finished, status, rules_hash, rules, records,
 *                  exceptions, totals, outcomes, watermarks, schema_hash,
 *                  prev_digest (every column but the digest itself).
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
 * readers that want to verify without this code. LEDGER_FORMAT names
 * this contract; a store records it in T_schema and a store of another
 * format is refused, never misread.
 */
#ifndef RECON_LEDGER_H
#define RECON_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* The format of the serialisation, the hashes and the store's tables.
 * The row fingerprints inside `sources` have their own format
 * (ROWFP_FORMAT, rowfp.h), hashed into every fingerprint: changing it
 * changes no byte this format computes (a version's `sources` is hashed
 * as the text stored), so it is not this format's name that changes. */
#define LEDGER_FORMAT "recon-ledger/2"

/* The fixed fields of a version (declared columns come in between). */
enum ledger_field {
	/* identity */
	LF_REC_KIND = 0,
	LF_REC_KEY,
	LF_VERSION,
	LF_RUN_ID,
	/* values (the declared columns follow LF_VERDICTS) */
	LF_OUTCOME,
	LF_CODES,
	LF_VERDICTS,
	/* provenance */
	LF_SOURCES,	/* JSON: the source rows' fingerprints */
	LF_RULES_HASH,
	LF_PREV_HASH,
	LF__COUNT
};

/* The fixed value fields (outcome, codes, verdicts), before the columns. */
#define LEDGER_FIXED_VALUES (LF_VERDICTS - LF_OUTCOME + 1)

/* Fixed field names, in enum order (also the store's column names). */
extern const char *const ledger_field_names[LF__COUNT];

/* Types of declared columns. */
enum ledger_type {
	LT_TEXT = 0,
	LT_MONEY,	/* exact decimal: NUMERIC(24,4) / exact TEXT */
	LT_INTEGER,	/* 64-bit */
	LT_DATE,	/* YYYY-MM-DD */
	LT_TIMESTAMP,	/* YYYY-MM-DD HH:MM:SS, UTC, to the second */
	LT__COUNT
};

/* "text", "money", "integer", "date", "timestamp". */
extern const char *const ledger_type_names[LT__COUNT];

/* The type named name, or -1. */
int ledger_type_lookup(const char *name);

/* Most columns a job may declare. */
#define LEDGER_MAX_COLS 64

/* The declared columns (borrowed strings). value is what fills the
 * column (the job's value= path, e.g. "deal.amount"): not hashed into
 * records, but part of the schema hash. */
struct ledger_col {
	const char *name;
	const char *value;
	enum ledger_type type;
};

struct ledger_schema {
	size_t n;
	struct ledger_col col[LEDGER_MAX_COLS];
};

/* One version's fields as text; NULL pointers are SQL NULL. Borrowed. */
struct ledger_rec {
	const struct ledger_schema *schema;
	const char *f[LF__COUNT];
	const char *c[LEDGER_MAX_COLS];	/* schema->n of them */
};

#define LEDGER_HEX 65	/* 64 hex digits and a NUL */

/* SHA-256 of p[0..n) as hex (out: LEDGER_HEX bytes), with a context
 * kept per thread. 0, or -1 with ERR_NOMEM / ERR_INTERNAL. */
int ledger_sha256_hex(const void *p, size_t n, char *out, struct error *err);

/* Hash the value fields / all fields into hex (out: LEDGER_HEX bytes).
 * Returns 0, or -1 with err set (ERR_NOMEM, or ERR_DATA for a typed
 * value that does not parse as its type, naming the column). */
int ledger_value_hash(const struct ledger_rec *r, char *out, struct error *err);
int ledger_content_hash(const struct ledger_rec *r, char *out,
			struct error *err);

/* The serialisation itself (appended to sb): values only (all = 0) or
 * every field (all = 1). For tests and for docs/LEDGER.md examples. */
int ledger_serialise(const struct ledger_rec *r, int all, struct sbuf *sb,
		     struct error *err);

/* The normalised text of one typed value (appended to sb), as hashed.
 * Returns 0, or -1 with ERR_DATA (not of that type) or ERR_NOMEM. */
int ledger_normalise(enum ledger_type t, const char *v, struct sbuf *sb,
		     struct error *err);

/*
 * The schema's serialisation: "format" then one "column" field per
 * declared column, its value "NAME TYPE VALUE":
 *     format:14:recon-ledger/2
 *     column:24:deal_key text deal.key
 * and its hash (hex, LEDGER_HEX bytes).
 */
int ledger_schema_serialise(const struct ledger_schema *s, struct sbuf *sb,
			    struct error *err);
int ledger_schema_hash(const struct ledger_schema *s, char *out,
		       struct error *err);

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
	LR_SCHEMA_HASH,
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
/* A content hash as 64 lowercase hex digits (anything else leaves the
 * digest empty at finish), or as its 32 bytes. -1 when out of memory. */
int ledger_digest_add(struct ledger_digest *d, const char *content_hash);
int ledger_digest_add_bin(struct ledger_digest *d, const uint8_t *hash);
void ledger_digest_finish(struct ledger_digest *d, char *out);	/* frees d */
void ledger_digest_free(struct ledger_digest *d);	/* without finishing */

/*
 * One source's control totals as a T_runs.totals entry holds them (the
 * run driver writes [{"source":NAME,"read":N,"kept":N,"skipped":N,
 * "failed":N,"amounts":{..},"rows_hash":".."},...]): rows the query
 * returned, translated into records, skipped by the rules (`return
 * false`), and failed translation (RULE_ERROR).
 */
struct ledger_source_totals {
	uint64_t read, kept, skipped, failed;
};

/*
 * Find source `name` in the totals JSON. 1 with *out; 0 if the array is
 * well-formed and has no entry of that name (a source the job did not
 * have then); -1 if the text is not such an array or the entry lacks one
 * of the four counts, with what is wrong appended to why; -2 if it ran
 * out of memory. It fails closed: nothing it cannot read is taken for
 * "no entry".
 */
int ledger_totals_find(const char *json, const char *name,
		       struct ledger_source_totals *out, struct sbuf *why);

/* ledger_totals_find, and the entry's rows_hash into hash (empty if it
 * has none). */
int ledger_source_hash(const char *json, const char *name,
		       struct ledger_source_totals *out, struct sbuf *hash,
		       struct sbuf *why);

/*
 * Entries of reference tables in the same JSON, {"reference":NAME,
 * "read":ROWS,"rows_hash":HEX} (ledger_totals_find passes over them):
 * the entry of reference `name`, its rows in *rows and its rows_hash in
 * hash. Returns as ledger_totals_find.
 */
int ledger_reference_find(const char *json, const char *name,
			  uint64_t *rows, struct sbuf *hash, struct sbuf *why);

#endif
