/*
 * incr.h - incremental reading: watermarks, the per-source canonical state
 * files, the map of changed rows, and the last published run.
 *
 * "Incremental fetching, full matching" (docs/INCREMENTAL.md): every run
 * writes, per source, a state file of what that source fed to the
 * matcher, keyed by the source's id column. An incremental run fetches
 * only the rows changed since the source's watermark, translates them
 * into a map row id -> entry (incr_changes), and streams the previous
 * state file: kept entries go to the matcher and to the new state as
 * they are, changed ones are replaced, removed ones dropped, new ids
 * appended. Memory grows with the number of changed rows only.
 *
 * State file (a local cache, native byte order; whatever does not
 * validate is "no previous state" and the source is read in full):
 *
 *     "RECONST3"                       magic, 8 bytes
 *     ENTRY...                         in the order fed to the matcher
 *     TRAILER                          an entry of kind INCR_TRAILER
 *     u64 trailer offset, "RECONEND"   last 16 bytes
 *
 * ENTRY is u32 n (bytes after it), u32 kind, u32 id_len, the id, the
 * source row's 32-byte fingerprint (rowfp.h), then for INCR_KEPT a struct incr_rec_hdr and the record's
 * string bytes, for INCR_FAILED u32 length and the rule's message. The
 * trailer carries the header fields of struct incr_header as text. The
 * magic names the format of the file and of the fingerprints in it
 * ("RECONST1" files hold format-1 row fingerprints, before
 * recon-rowfp/2, and are "damaged or of another version": the source is
 * read in full once). The
 * file is written under a temporary name, fsync'ed, and renamed by
 * incr_writer_commit() only after the store committed, so a state file
 * always describes a published run.
 */
#ifndef RECON_INCR_H
#define RECON_INCR_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "canon.h"
#include "err.h"
#include "job.h"
#include "../connectors/connector.h"

/* The magic at the start of a state file: it names the format (above). */
#define INCR_FORMAT "RECONST3"

enum incr_kind {
	INCR_KEPT = 1,		/* translated: a canonical record */
	INCR_SKIPPED = 2,	/* the rule returned false */
	INCR_FAILED = 3,	/* the rule failed on the row (RULE_ERROR) */
	INCR_REMOVED = 4,	/* changes only: the row left the result */
	INCR_TRAILER = 5	/* files only: the header, last */
};

/* One decoded entry. Everything borrowed from the reader or the change
 * map until its next call; rec is a view (rec.data.alloc == 0). */
struct incr_entry {
	enum incr_kind kind;
	const char *id;
	size_t id_len;
	uint8_t fp[32];			/* the source row's fingerprint */
	struct canon rec;		/* INCR_KEPT */
	const char *msg;		/* INCR_FAILED */
	size_t msg_len;
	const char *raw;		/* the encoded entry */
	size_t raw_len;
};

/* ---- watermarks ------------------------------------------------------ */

/* The largest value of a watermark column: times and integers compare
 * as numbers, anything else as bytes. */
enum incr_wm_type { WM_NONE = 0, WM_TIME = 'T', WM_INT = 'I', WM_TEXT = 'S' };

struct incr_wm {
	int type;		/* enum incr_wm_type */
	int64_t i;		/* WM_TIME (epoch seconds), WM_INT */
	struct sbuf s;		/* WM_TEXT */
};

void incr_wm_init(struct incr_wm *w);
void incr_wm_release(struct incr_wm *w);
/* Take v into the maximum. NULL is ignored. -1 (ERR_DATA) if v's type
 * differs from the values seen before, ERR_NOMEM. */
int incr_wm_see(struct incr_wm *w, const struct value *v, struct error *err);
/* The value as bound to <param name="watermark"/>: "YYYY-MM-DD
 * HH:MM:SS" for times, decimal for integers, the text for text. */
int incr_wm_text(const struct incr_wm *w, struct sbuf *out);
/* Parse what incr_wm_text wrote (with its type). 0 or -1. */
int incr_wm_parse(struct incr_wm *w, int type, const char *s, size_t n);

/* ---- headers ----------------------------------------------------------- */

struct incr_header {
	struct sbuf run_id;	/* the run that wrote the file */
	struct sbuf fingerprint;	/* incr_source_fingerprint() */
	struct sbuf watermarks;	/* the run's watermarks JSON (all sources) */
	struct incr_wm wm;	/* this source's watermark after that run */
	uint64_t runs;		/* runs of the job published, that one included */
	uint64_t entries;	/* entries before the trailer */
};

void incr_header_init(struct incr_header *h);
void incr_header_release(struct incr_header *h);

/* SHA-256 (hex) over everything that decides a source's canonical
 * records: its name, role, queries, parameters, translate function, id
 * and watermark columns, the job's site-defined fields (names, types,
 * roles, in slot order), the rules hash and the rules' memory and
 * instruction limits. A state written under
 * another fingerprint is not reused. */
int incr_source_fingerprint(const struct job *job,
			    const struct job_source *src,
			    const char *rules_hash, struct sbuf *out,
			    struct error *err);

/* ---- state files ------------------------------------------------------- */

struct incr_writer;

/* Create a new temporary file DIR/SOURCE.state.tmp.PID.XXXXXX (unique:
 * runs sharing DIR never write one file). *out owned by
 * the caller: incr_writer_free() removes the temporary file unless
 * incr_writer_commit() renamed it. ERR_IO. */
int incr_writer_open(const char *dir, const char *source,
		     struct incr_writer **out, struct error *err);
/* Append one entry (kind INCR_KEPT with rec, INCR_FAILED with msg, or
 * INCR_SKIPPED). */
int incr_writer_add(struct incr_writer *w, enum incr_kind kind,
		    const char *id, size_t id_len, const uint8_t *fp,
		    const struct canon *rec,
		    const char *msg, size_t msg_len, struct error *err);
/* Append an entry encoded earlier (incr_entry.raw). */
int incr_writer_add_raw(struct incr_writer *w, const char *raw, size_t n,
			struct error *err);
/* Write the trailer, flush and fsync; the file stays temporary. */
int incr_writer_finish(struct incr_writer *w, const struct incr_header *h,
		       struct error *err);
/* Rename the finished file to DIR/SOURCE.state (and fsync the
 * directory). Call only after the store committed. */
int incr_writer_commit(struct incr_writer *w, struct error *err);
void incr_writer_free(struct incr_writer *w);
/* Remove the temporary state files of SOURCE in DIR that runs killed
 * before their teardown left (SOURCE.state.tmp.PID.XXXXXX whose process
 * no longer exists; state directories are local to one host). Returns
 * how many were removed. */
unsigned incr_sweep_dead(const char *dir, const char *source);

struct incr_reader;

/* Open DIR/SOURCE.state and read its trailer into h. Returns 0 (opened),
 * 1 (missing or not valid: *why says which; nothing to free), or -1 on
 * ERR_NOMEM. */
int incr_reader_open(const char *dir, const char *source,
		     struct incr_header *h, struct incr_reader **out,
		     struct sbuf *why, struct error *err);
/* Next entry: 1, 0 at the trailer, -1 (ERR_IO for a damaged file). */
int incr_reader_next(struct incr_reader *r, struct incr_entry *e,
		     struct error *err);
/* Back to the first entry. */
int incr_reader_rewind(struct incr_reader *r, struct error *err);
void incr_reader_free(struct incr_reader *r);

/* Decode one encoded entry of n bytes (the u32 length included). 0, or -1
 * if it does not validate. */
int incr_decode(const char *p, size_t n, struct incr_entry *e);

/* ---- changed rows ------------------------------------------------------ */

struct incr_changes;

int incr_changes_new(struct incr_changes **out, struct error *err);
void incr_changes_free(struct incr_changes *c);
/* Add the entry of a changed row. Returns 0, 1 if the id was already
 * there (two changed rows with one id: the caller reads in full), -1
 * (ERR_NOMEM). */
int incr_changes_put(struct incr_changes *c, enum incr_kind kind,
		     const char *id, size_t id_len, const uint8_t *fp,
		     const struct canon *rec,
		     const char *msg, size_t msg_len, struct error *err);
/* The change for id, or -1 if none; its index for the calls below. */
long incr_changes_find(const struct incr_changes *c, const char *id,
		       size_t id_len);
size_t incr_changes_count(const struct incr_changes *c);
/* Entry i (in the order they were put) decoded into e. */
void incr_changes_get(const struct incr_changes *c, size_t i,
		      struct incr_entry *e);
/* Times entry i was found in the previous state (incremented by
 * incr_changes_mark). */
unsigned incr_changes_seen(const struct incr_changes *c, size_t i);
void incr_changes_mark(struct incr_changes *c, size_t i);
void incr_changes_clear_marks(struct incr_changes *c);

/* ---- the ids of a <keys> query ----------------------------------------- */

/*
 * A set of row ids (the full query's, from the source's <keys> query):
 * about 24 bytes per id plus its bytes. Each id can be marked once seen
 * in the previous state.
 */
struct incr_ids;

int incr_ids_new(struct incr_ids **out, struct error *err);
void incr_ids_free(struct incr_ids *s);
/* 0 added, 1 already there, -1 (ERR_NOMEM). */
int incr_ids_add(struct incr_ids *s, const char *id, size_t n,
		 struct error *err);
/* Index of id, or -1. */
long incr_ids_find(const struct incr_ids *s, const char *id, size_t n);
size_t incr_ids_count(const struct incr_ids *s);
void incr_ids_mark(struct incr_ids *s, size_t i);
int incr_ids_marked(const struct incr_ids *s, size_t i);
/* Id i (borrowed). */
const char *incr_ids_get(const struct incr_ids *s, size_t i, size_t *n);

/* The default state directory: JOBDIR/../out/state/JOBNAME. */
int incr_default_dir(const struct job *job, struct sbuf *out);
/* mkdir -p. ERR_IO. */
int incr_mkdirs(const char *path, struct error *err);

#endif
