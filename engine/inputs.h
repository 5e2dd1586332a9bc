/*
 * inputs.h - a published run's inputs, kept to replay it (`recon shadow`,
 * docs/RULES.md "Shadow runs"): every row each source returned and every
 * row of each reference table, as the connector handed them to the
 * rules (types, values, source text), so that a candidate rule set can
 * be run on the very rows the run read.
 *
 * One file per run, STATE_DIR/inputs/RUN_ID.inputs, written while the
 * run reads, fsync'ed before the store commits and renamed into place
 * only after the commit (a failed run leaves none); the newest
 * keep-inputs files stay, older ones are removed by the next published
 * run. A local file, native byte order, little-endian on every machine
 * the engine is built for:
 *
 *     "RECONIN1"                         magic, 8 bytes
 *     RECORD...
 *     32 bytes SHA-256 of all bytes before them, "RECONEND"
 *
 * RECORD is u32 n (bytes after it), u8 tag, u16 section, then by tag:
 *   'S' a source / 'R' a reference begins: u32 name length, the name,
 *       u32 ncols, per column u32 length and the label (as the result
 *       names it, lower-cased);
 *   'W' one row of that section: per column u8 type (enum val_type),
 *       u8 dec_text, i64 i, u32 text length and the text (VAL_TEXT's
 *       bytes, VAL_DEC's and VAL_TIME's source text), u32 approx
 *       length and the approx phrase (0: exact);
 *   'E' the section ends: u64 rows.
 * Rows of sources read at once interleave; each source's rows keep
 * their order. The reader checks the magic, the trailer and the
 * SHA-256 over the whole file before it hands out a row, so a damaged
 * or truncated file is refused, never replayed in part; the replay
 * then checks each section's rows_hash against the one the run
 * recorded in T_runs.totals.
 *
 * Cost: about the rows' text plus 18 bytes per value (docs/RULES.md
 * gives the measured bytes per million rows).
 */
#ifndef RECON_INPUTS_H
#define RECON_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "../connectors/connector.h"

#define INPUTS_MAGIC "RECONIN1"
#define INPUTS_SUFFIX ".inputs"

enum inputs_kind { INPUTS_SOURCE = 'S', INPUTS_REFERENCE = 'R' };

/* ---- writing --------------------------------------------------------- */

struct inputs_writer;

/* Create dir (and its parents) and a temporary file in it for run_id's
 * inputs: .inputs.tmp.PID.XXXXXX. *out owned by the caller
 * (inputs_writer_free). ERR_IO, ERR_NOMEM. */
int inputs_writer_open(const char *dir, struct inputs_writer **out,
		       struct error *err);
/* Declare section sec (0..65535) of kind and name with the columns of
 * row's labels (the first row; a section without rows has none). */
int inputs_writer_section(struct inputs_writer *w, unsigned sec,
			  enum inputs_kind kind, const char *name,
			  const char *const *cols, size_t ncols,
			  struct error *err);
/* One row of section sec (declared first). */
int inputs_writer_row(struct inputs_writer *w, unsigned sec,
		      const struct value *vals, size_t ncols,
		      struct error *err);
/* Section sec has ended after rows rows. */
int inputs_writer_end(struct inputs_writer *w, unsigned sec, uint64_t rows,
		      struct error *err);
/* The trailer, then fflush and fsync: before the store commits. */
int inputs_writer_finish(struct inputs_writer *w, struct error *err);
/* After the commit: rename to DIR/RUN_ID.inputs, fsync the folder. */
int inputs_writer_commit(struct inputs_writer *w, const char *run_id,
			 struct error *err);
/* The bytes written so far. */
uint64_t inputs_writer_bytes(const struct inputs_writer *w);
/* Close; an uncommitted temporary file is removed. NULL is fine. */
void inputs_writer_free(struct inputs_writer *w);

/* Remove all but the newest keep RUN_ID.inputs files of dir (by the
 * time each was put in place: a job's runs publish one at a time), and
 * temporary files of processes that no longer exist. The number of
 * files removed. */
unsigned inputs_prune(const char *dir, unsigned keep);

/* dir/RUN_ID.inputs into out. */
int inputs_path(const char *dir, const char *run_id, struct sbuf *out);

/* ---- reading --------------------------------------------------------- */

struct inputs_reader;

/* One record of the file: a section begins (kind, name, cols), a row
 * of section sec (vals), or a section ends (rows). Borrowed until the
 * next inputs_reader_next(). */
struct inputs_item {
	char tag;			/* 'S', 'R', 'W', 'E' */
	unsigned sec;
	const char *name;		/* 'S', 'R': NUL-terminated */
	const char *const *cols;	/* 'S', 'R': labels */
	size_t ncols;			/* 'S', 'R', 'W' */
	const struct value *vals;	/* 'W' */
	uint64_t rows;			/* 'E' */
};

/* Open path, check its magic, trailer and SHA-256 (one pass over the
 * file). ERR_IO for a file that cannot be read, ERR_VERIFY for one
 * that does not check (named, with what is wrong). */
int inputs_reader_open(const char *path, struct inputs_reader **out,
		       struct error *err);
/* The next record: 1 with *it, 0 at the end, -1 (ERR_VERIFY: a record
 * that does not decode). */
int inputs_reader_next(struct inputs_reader *r, struct inputs_item *it,
		       struct error *err);
void inputs_reader_free(struct inputs_reader *r);

#endif
