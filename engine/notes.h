/*
 * notes.h - finance's notes on exceptions: `recon note`, and what the
 * report lifecycle reads of them.
 *
 * A note says what someone found about one record of the job's store
 * (rec_kind, rec_key): its state (explained, accepted, investigating),
 * a text, who wrote it and when (UTC, to the second). Notes live in the
 * table T_notes of the job's store (T the store table), created with the
 * first note (table and the insert-only triggers of the other store
 * tables: dialect_notes_insert_only_sql), insert-only like them, and
 * hash-chained:
 *
 *   seq        1, 2, 3... over the whole table (UNIQUE: two notes written
 *              at once collide and the later one is retried)
 *   job, rec_kind, rec_key, state, text, by_name, created
 *   prev_hash  the previous note's hash; "" for seq 1
 *   hash       SHA-256 over the serialisation of the nine fields above,
 *              in that order, each NAME ":" LENGTH ":" BYTES "\n" (as
 *              docs/LEDGER.md serialises a version; nothing is NULL,
 *              seq in decimal)
 *
 * `recon verify` recomputes every hash and the chain (notes_verify).
 * docs/STORE.md, "T_notes", is the reader's view of the same.
 *
 * Library code: nothing is printed; errors are a struct error.
 */
#ifndef RECON_NOTES_H
#define RECON_NOTES_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "ledger.h"

/* The longest note text and author name, in characters (UTF-8). */
#define NOTES_TEXT_MAX 4000
#define NOTES_BY_MAX 200

/* One note as stored; strings owned by the struct notes it is in. */
struct note {
	int64_t seq;
	const char *job, *kind, *key, *state, *text, *by, *created;
	const char *prev_hash, *hash;
};

/* A job's notes, sorted by (rec_kind, rec_key, created, seq): the notes
 * of one record are adjacent, oldest first. */
struct notes {
	struct note *v;
	size_t n;
};

/* A note to write: every string borrowed for the call. */
struct note_add {
	const char *job;
	const char *kind;	/* order, deal or erp; NULL: the key's only one */
	const char *key;
	const char *state;	/* explained, accepted or investigating */
	const char *text;
	const char *by;
	const char *created;	/* 'YYYY-MM-DD HH:MM:SS' UTC; NULL: now */
	/* filled by notes_append */
	int64_t seq;
	char kind_found[16];
	char created_out[20];
	char hash[LEDGER_HEX];
};

/* 1 if state is one of the three, else 0. */
int notes_state_ok(const char *state);

/* The serialisation of n (appended to sb) and its hash (hex, LEDGER_HEX
 * bytes); n->prev_hash NULL is "". -1 with ERR_NOMEM / ERR_INTERNAL. */
int notes_serialise(const struct note *n, struct sbuf *sb, struct error *err);
int notes_hash(const struct note *n, char *out, struct error *err);

/*
 * Append a note through c (the store's connection, outside any
 * transaction; the caller checked the store is one: store_probe):
 * checks what a finance user typed (ERR_USAGE, the message saying what
 * to type instead: an unknown state, an empty, too long or not UTF-8
 * text, a key the store has no record of, a key of two kinds without
 * kind, listing the kinds), creates T_notes if it is missing, and
 * inserts the note chained to the last one in one transaction, retrying
 * up to 5 times when another note took the seq meanwhile. 0 with a->seq,
 * kind_found, created_out and hash filled; -1 with err (ERR_USAGE,
 * ERR_STORE with the driver's message, ERR_NOMEM).
 */
struct conn;
struct dialect;
int notes_append(struct conn *c, const char *table, struct note_add *a,
		 struct error *err);

/* `recon note`: connect to dsn, check the store (store_probe, job
 * a->job), notes_append, disconnect. */
int notes_add(const char *dsn, const char *table, struct note_add *a,
	      struct error *err);

/* 1 if T_notes exists in c, 0 if not, -1 on error. */
int notes_exist(struct conn *c, const char *table, struct error *err);

/*
 * Every note of job in TABLE_notes (none if the table does not exist),
 * read through c (d: c's dialect, or NULL for conn_dialect(c)). It
 * does not verify them (notes_verify does). 0 with *out (notes_free),
 * -1 with err (ERR_STORE, ERR_NOMEM).
 */
int notes_load(struct conn *c, const struct dialect *d, const char *table,
	       const char *job, struct notes **out, struct error *err);
void notes_free(struct notes *n);

/* `recon notes`: connect to dsn, check the store (store_probe, job),
 * notes_load, disconnect. */
int notes_read(const char *dsn, const char *table, const char *job,
	       struct notes **out, struct error *err);

/* The notes of one record, oldest first: a pointer to the first and
 * *count of them (NULL and 0 if none). O(log n). */
const struct note *notes_of(const struct notes *n, const char *kind,
			    const char *key, size_t *count);

/* The latest note of the record created at or before time ('YYYY-MM-DD
 * HH:MM:SS'; NULL: any time), NULL if none; of two notes of the same
 * second the higher seq. O(log n). */
const struct note *notes_latest(const struct notes *n, const char *kind,
				const char *key, const char *time);

/*
 * `recon verify`: if TABLE_notes exists, read every note in seq order
 * and check that seq is 1..n, that prev_hash is the previous note's hash
 * ("" for seq 1) and that hash recomputes from the fields; each problem
 * to fn (seq, or 0 when none can be named, and what). *n: notes read.
 * 0 (findings or not), -1 with err if the notes cannot be read.
 */
typedef void notes_finding_fn(void *ctx, int64_t seq, const char *what);
int notes_verify(struct conn *c, const char *table, notes_finding_fn *fn,
		 void *ctx, uint64_t *n, struct error *err);

#endif
