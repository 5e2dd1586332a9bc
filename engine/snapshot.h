/*
 * snapshot.h - the report a run wrote, kept in its store: T_report, and
 * `recon report JOB RUN`, which writes that report again, byte for byte,
 * from the store alone.
 *
 * A run keeps what its report writers were given (struct report, after
 * the lifecycle filled it: states, ages, notes) as JSON lines in the
 * table T_report of the job's store (T the store table), in the run's own
 * transaction: published with the run or not at all.
 *
 *   run_id     the run (T_runs.run_id)
 *   line_no    0: the header (everything but the exception lines: job,
 *              times, rule files, sources, references, outcomes, columns,
 *              ageing, trend, the CSV options, the formats and file base
 *              name the run wrote, and how many lines follow); 1..n the
 *              exception lines in report order, then the resolved ones
 *   line       one JSON object (docs/STORE.md, "T_report")
 *   prev_hash  the previous line's hash; "" for line 0
 *   hash       SHA-256 over "run_id", "line_no", "line", "prev_hash" in
 *              that order, each NAME ":" LENGTH ":" BYTES "\n" (as T_notes)
 *
 * PRIMARY KEY (run_id, line_no). The table and its insert-only triggers
 * are created before the first run of a store that lacks it (outside the
 * run's transaction where DDL commits by itself). A repeat of the latest
 * run adds nothing: that run's lines are its report.
 *
 * Library code: nothing is printed; errors are a struct error.
 */
#ifndef RECON_SNAPSHOT_H
#define RECON_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "ledger.h"
#include "../reports/report.h"

struct conn;

/* The format version of a header line ("v"). */
#define SNAPSHOT_VERSION 1

/* Create T_report and its triggers if missing (store_aux_ensure: own_tx
 * as there). -1 with ERR_STORE naming the table. */
int snapshot_ensure(struct conn *c, const char *table, int own_tx,
		    struct error *err);

/*
 * Insert r as run r->run_id's report into T_report through c, in the
 * caller's transaction. formats: REPORT_* bits the run wrote; basename:
 * the file base name they have. head: the last line's hash (the chain's
 * head, LEDGER_HEX bytes), *lines how many were written. -1 with
 * ERR_STORE, ERR_DATA (a text that is not UTF-8), ERR_NOMEM.
 */
int snapshot_write(struct conn *c, const char *table, const struct report *r,
		   unsigned formats, const char *basename, char *head,
		   uint64_t *lines, struct error *err);

/* A kept report read back: rep as the run gave it to the writers; every
 * string and array owned by the snapshot (snapshot_free). */
struct snapshot {
	struct report rep;
	unsigned formats;
	const char *basename;
	uint64_t lines;
	struct snapshot_int *in;	/* private: what rep points into */
};

/*
 * Read run_id's kept report through c. Each line's hash and the chain
 * are checked on the way (a mismatch: ERR_VERIFY naming the line: run
 * recon verify). 0 with *out; 1 if the store keeps no report of that run
 * (it was published before this version of recon, or T_report does not
 * exist), *out NULL; -1 with err (ERR_STORE, ERR_VERIFY, ERR_NOMEM).
 */
int snapshot_load(struct conn *c, const char *table, const char *run_id,
		  struct snapshot **out, struct error *err);
void snapshot_free(struct snapshot *s);

/* What `recon report --format` names: one file of a report. */
enum snapshot_part { SNAP_HTML, SNAP_CSV, SNAP_SUMMARY, SNAP_XML };

/* The part a name names ("html", "csv", "summary", "xml"): 0 with *out,
 * -1 if none. */
int snapshot_part_parse(const char *name, enum snapshot_part *out);

/*
 * Write part of s's report, exactly as the run's writers wrote it, to
 * path (atomically: written next to it under a temporary name, then
 * renamed; mode REPORT_FILE_MODE), or to fp when path is NULL (through
 * a temporary folder under tmpdir, NULL: $TMPDIR or /tmp, removed
 * again). -1 with ERR_REPORT naming the file and the system's reason,
 * ERR_NOMEM.
 */
int snapshot_render(const struct snapshot *s, enum snapshot_part part,
		    const char *path, FILE *fp, const char *tmpdir,
		    struct error *err);

/*
 * `recon verify`: if T_report exists, check every kept report: lines 0..n
 * of each run with no gap, each hash recomputed, the chain, the header a
 * header of this run saying n lines, and the run one of T_runs' (runs:
 * the run ids of T_runs, sorted by strcmp, nruns of them). Each problem
 * to fn (the run id, or NULL, and what). *reports, *lines: how many read.
 * 0 (findings or not), -1 with err if the table cannot be read.
 */
typedef void snapshot_finding_fn(void *ctx, const char *run_id,
				 const char *what);
int snapshot_verify(struct conn *c, const char *table,
		    const char *const *runs, size_t nruns,
		    snapshot_finding_fn *fn, void *ctx, uint64_t *reports,
		    uint64_t *lines, struct error *err);

#endif
