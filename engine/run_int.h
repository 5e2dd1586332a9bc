/*
 * run_int.h - what the modules of one run share: struct run, and the
 * calls each phase makes of another. Not for use outside run_job()'s
 * modules (run.h is the engine's API). Each module calls only those
 * listed below it, never one above:
 *
 *   run.c       run_: the driver: the phases in order, the run's id and
 *               times, run_release()
 *   read.c      read_: every source read, in full through its
 *               translation rule, or incrementally (incmerge.c)
 *   incmerge.c  incmerge_: incremental reading (docs/INCREMENTAL.md):
 *               the state files, and the changed rows merged with the
 *               previous state into the rows a full read would give
 *   guard.c     guard_: the completeness guard and the rule-error
 *               ceilings
 *   feed.c      feed_: a source query's parameters, a row's columns
 *               and id, and feed_row(), the one sink of translated rows (both
 *               kinds of reading) into the counters and the matcher
 *   record.c    record_: per reconciled group (the matcher's callbacks)
 *               the report lines and the published record; the report
 *               line of a failed row or a duplicate key
 *   summary.c   summary_: control totals, the sorted report lines, the
 *               runs ledger's JSON, the reports
 *   runlog.c    runlog_: the run's log events, their phase, their clock
 *   progress.c  progress_: the progress lines of reading and matching
 *   arena.c     arena_: the strings that live as long as the run
 */
#ifndef RECON_RUN_INT_H
#define RECON_RUN_INT_H

#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "canon.h"
#include "err.h"
#include "incr.h"
#include "inputs.h"
#include "job.h"
#include "match.h"
#include "outcome.h"
#include "ref.h"
#include "rules.h"
#include "run.h"
#include "../reports/report.h"

/* ---- per-source control totals --------------------------------------- */

struct total {
	char *currency;		/* arena */
	int64_t sum;
	uint64_t count;
};

struct source_stats {
	uint64_t read, kept, skipped, failed;
	const char *first_fail;	/* arena: the first failed row's message */
	uint8_t rows_sum[32];	/* rows_hash: sum of row fingerprints (rowfp.h) */
	struct total *totals;
	size_t ntotals;
	struct report_total *rtotals;	/* built for the report */
	double seconds;

	/* Incremental reading (docs/INCREMENTAL.md); sources without an
	 * <incremental> query leave these zero. */
	int incremental;	/* read through the changed-rows query */
	uint64_t fetched;	/* rows that query returned */
	struct incr_wm wm;	/* largest watermark value seen or kept */
	struct incr_writer *sw;	/* this run's state file, NULL if none */
	struct incr_reader *rd;	/* the previous state, if incremental */
	struct incr_header hdr;	/* ... and its trailer */
	/* A full read of a source whose previous state file was written
	 * under the same fingerprint: the translations it holds, looked up
	 * by row fingerprint (incmerge_reuse); NULL if none. */
	struct reuse *reuse;
	uint64_t reused;	/* rows whose translation was reused */
};

/* ---- progress of a phase (progress.c) -------------------------------- */

struct progress {
	int on;			/* this phase reports progress */
	uint32_t tick;		/* progress_tick calls since the clock was read */
	double t0, next;	/* the phase's start; when the next line is due */
	int shown;		/* a live line was drawn in this phase */
	/* rows the job's last full run read over every source (the
	 * estimate of what is left); 0: no estimate */
	uint64_t expect;
	struct sbuf line;
};

/* ---- the run ------------------------------------------------------- */

struct run {
	const struct job *job;
	const struct run_opts *opts;
	struct rules *rules;
	struct xlate *xlate;		/* --jobs K > 1 (xlate.h); else NULL */
	struct ref_set refs;		/* the job's reference tables (ref.h) */
	struct store *store;
	/* the lifecycle's history, read before the store's transaction
	 * (lifecycle_load); NULL for a new store */
	struct life_hist *life;
	struct lock *lock;		/* the job's lock (lock.h) */
	struct match *match;
	struct arena arena;

	int64_t as_of;
	struct sbuf as_of_text;		/* "YYYY-MM-DD HH:MM:SS" */
	struct sbuf window_text;
	struct sbuf run_id;
	struct sbuf started;

	struct source_stats *stats;
	struct report_item *items;
	size_t nitems, aitems;
	/* the site-defined fields the reports show (record_columns): one
	 * column per field with report="true" and role it is declared for,
	 * in the arena; rcol_field/rcol_role say whose value each holds */
	struct report_column *rcols;
	unsigned *rcol_field;
	enum canon_kind *rcol_role;
	size_t nrcols;
	int rcols_ready;
	uint64_t counts[OUT__COUNT];
	/* per primary outcome of the reconciled records: amount totals per
	 * currency (T_runs.outcomes) */
	struct source_stats ostats[OUT__COUNT];
	uint64_t records;		/* reconciled records (groups) */
	double t_rules, t_store;	/* seconds in order rules / store inserts */
	/* order rules: orders checked, orders on which a rule raised (the
	 * job's rule-error ceiling, guard_order_rules) and the first such
	 * error as "order 'KEY': file:line: message" (arena) */
	uint64_t checked, check_failed;
	const char *first_check_fail;

	struct verdict_list verdicts;
	struct sbuf codes, vjson, colbuf, line, srcjson;


	/* Incremental reading: the state directory, the job's published run
	 * count before this run, and the watermarks JSON for the runs
	 * ledger (T_runs.watermarks). */
	int incr_ready;			/* stats[].wm/hdr initialised */
	int incremental;		/* a source was read incrementally */
	uint64_t runs_before;
	struct sbuf state_dir, watermarks, incr_id, fingerprint;
	/* the run repeats the job's last published run (store_repeats_last):
	 * run_id is that run's, and so is what the state files say */
	int repeat;

	/* The run's inputs file (keep.c, inputs.h): NULL when not kept.
	 * in_sec[si]: source si's section + 1 (0: not declared yet);
	 * in_ref: the section of the reference being loaded; in_next: the
	 * next section number. */
	struct inputs_writer *inw;
	struct sbuf inputs_dir;
	unsigned *in_sec, in_ref, in_next;
	struct ref_tee in_tee;
	/* A replay (`recon shadow`, run_replay): no store, no state, no
	 * reports; each record goes to replay->put. NULL for a run. */
	const struct run_replay *replay;

	/* The log: the phase of its events (runlog_phase; static), and the
	 * progress of the phase (progress.c). */
	const char *phase;
	struct progress prog;
};

/* ---- read.c ---------------------------------------------------------- */

/* Read every source (incmerge_prepare() first): incremental ones one
 * after another, then those read in full at once (read.c). */
int read_sources(struct run *r, struct error *err);
/* A replay's reading: the reference tables, then every source's rows,
 * from the inputs file path, each row through its translation into
 * feed_row() as read_sources would; then each section's rows_hash
 * checked against the replayed run's totals JSON (ERR_VERIFY when one
 * differs). */
int read_replay(struct run *r, const char *path, const char *totals,
		struct error *err);

/* ---- incmerge.c ------------------------------------------------------ */

/* Open this run's state files; per source, may it be read
 * incrementally (stats[].incremental)? */
int incmerge_prepare(struct run *r, struct error *err);
/* Read source si incrementally into feed_row(): 0, 1 to read it in
 * full instead (nothing was fed; its counters are reset), -1. */
int incmerge_read(struct run *r, struct rules *rules, size_t si,
		  struct error *err);
/* A full read's row into the source's new state file (and watermark). */
int incmerge_state_row(struct run *r, size_t si, const struct row *row,
		       const uint8_t *fp, int t, const struct canon *rec,
		       const struct sbuf *fail, struct error *err);
/*
 * A full read's translation cache (docs/INCREMENTAL.md, "Translations
 * reused"): 1 with *e the previous state's entry of a row with
 * fingerprint fp (borrowed until the next call), after it was written
 * to the new state file and the row's watermark seen, exactly as
 * incmerge_state_row() would have for a translation; 0 if the state
 * holds no such row nearby (translate it); -1 with err set.
 */
int incmerge_reuse(struct run *r, size_t si, const struct row *row,
		   const uint8_t *fp, struct incr_entry *e, struct error *err);
/* Before the store commit: the watermarks JSON (r->watermarks), then
 * (once run.c knows whether the run repeats the last one: r->repeat,
 * r->run_id) the state files, fsync'ed under temporary names. */
int incmerge_watermarks(struct run *r, struct error *err);
int incmerge_finish(struct run *r, struct error *err);
/* After the store commit: the new state files take over. */
void incmerge_publish(struct run *r);
void incmerge_release(struct run *r);

/* ---- keep.c ---------------------------------------------------------- */

/* The run's inputs (inputs.h), when opts->keep_inputs > 0: keep_open
 * before the references are loaded (their tee: keep_ref_tee, NULL when
 * nothing is kept; keep_refs_end after); keep_row for each row a
 * source's query returned, keep_source_end when it is read; keep_drop
 * stops keeping (a source read incrementally: its picture is not the
 * rows of one query), with the log line saying why; keep_finish before
 * the store commits, keep_publish after (the file in place, older ones
 * pruned; a failure there is a warning, the run is published). */
int keep_open(struct run *r, struct error *err);
const struct ref_tee *keep_ref_tee(struct run *r);
int keep_refs_end(struct run *r, struct error *err);
void keep_drop(struct run *r, const char *why_fmt, const char *name);
int keep_row(struct run *r, size_t si, const struct row *row,
	     struct error *err);
int keep_source_end(struct run *r, size_t si, struct error *err);
int keep_finish(struct run *r, struct error *err);
void keep_publish(struct run *r);
void keep_release(struct run *r);

/* ---- guard.c --------------------------------------------------------- */

/* The completeness guard, after reading and before matching. */
int guard_check(struct run *r, struct error *err);
/* The order rules' rule-error ceiling, after matching. */
int guard_order_rules(struct run *r, struct error *err);

/* ---- feed.c ---------------------------------------------------------- */

/*
 * The one sink of translated rows, for a full read and an incremental
 * merge alike: counts a row of source si's picture (read, rows_hash from
 * fp), then by kind feeds rec to the control totals and the matcher
 * (INCR_KEPT), counts it (INCR_SKIPPED), or reports a RULE_ERROR line
 * under key with msg, keeping the source's first such message
 * (INCR_FAILED; key and msg unused otherwise). The caller has written
 * the row's state entry, and names the row in an error from a kept one.
 */
int feed_row(struct run *r, size_t si, enum incr_kind k, const uint8_t *fp,
	     struct canon *rec, const struct sbuf *key,
	     const struct sbuf *msg, struct error *err);
/* The row's value of column name, NULL if the row has no such column. */
const struct value *feed_column(const struct row *row, const char *name);
/* The row's id-column value (or "row N"), for messages; read.c and the
 * translators (xlate.c). */
void feed_row_id(const struct job_source *src, const struct row *row,
		 struct sbuf *out);
/* The first row's check that the query returns the job's id column. */
int feed_check_columns(const struct job_source *src, const struct row *row,
		       struct error *err);
/* The bound parameters of a query (see feed.c). Caller frees. */
struct param *feed_params(const struct run *r, const struct job_param *jp,
			  size_t n, const struct sbuf *wm, int wm_is_time,
			  struct error *err);

/* ---- record.c -------------------------------------------------------- */

/* The matcher's callbacks (match_run): one reconciled group, one
 * duplicate key. ctx is the struct run. */
int record_on_group(void *ctx, const struct group *g, unsigned flags,
		    struct error *err);
int record_on_dup(void *ctx, const struct canon *rec, const char *key,
		  size_t key_len, struct error *err);
/* Build r->rcols once (docs/REPORTS.md, "Site-defined fields"). 0 or -1. */
int record_columns(struct run *r, struct error *err);
/* One report line (g NULL: no record's fields). */
int record_add_item(struct run *r, enum outcome oc, const char *severity,
		    const char *key, size_t klen, const struct group *g,
		    const char *rule, const char *where, const char *message,
		    struct error *err);

/* ---- summary.c ------------------------------------------------------- */

/* An amount as report text in the arena; NULL if !has (or no memory). */
char *summary_amount(struct run *r, int has, int64_t v);
/* Add c's amount to st's control total of its currency. */
int summary_add_total(struct run *r, struct source_stats *st,
		      const struct canon *c, struct error *err);
void summary_totals_finish(struct run *r);
void summary_items_finish(struct run *r);
int summary_totals_json(struct run *r, struct sbuf *out);
int summary_outcomes_json(struct run *r, uint64_t removed, struct sbuf *out);
int summary_rules_json(struct run *r, struct sbuf *out);
int summary_write_reports(struct run *r, const char *finished,
			  struct sbuf *paths, struct report_pending **pending,
			  struct error *err);

/* ---- runlog.c -------------------------------------------------------- */

/* A line of the run's log through opts->log (nothing if NULL): an
 * event of the run's phase, level warning if it starts "warning: ",
 * else info. Never a credential, never an amount (docs/LOGGING.md). */
void runlog_printf(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The run enters phase (a static name: "read", "match"; docs/LOGGING.md):
 * the phase of its log events from here on. */
void runlog_phase(struct run *r, const char *phase);
/* An event through opts->log as it is (progress.c). */
void runlog_event(struct run *r, const struct evlog_event *ev);
/* Monotonic seconds, for the timings of the log lines. */
double runlog_now(void);


/* ---- progress.c ------------------------------------------------------ */

/* Calls of progress_tick between two reads of the clock: per row and
 * per group the counter alone; at a million rows a second the clock is
 * read about a thousand times a second (20 ns each, phase.h). */
#define PROGRESS_EVERY 1024

/* The phase's progress: begin at its start (after runlog_phase),
 * progress_tick() from its hot loop, end when it is done (a live line
 * ends with its newline). Nothing unless opts->progress_interval > 0
 * and opts->log. */
void progress_begin(struct run *r);
void progress_poll(struct run *r);
void progress_end(struct run *r);

static inline void progress_tick(struct run *r)
{
	if (r->prog.on && ++r->prog.tick >= PROGRESS_EVERY)
		progress_poll(r);
}

#endif
