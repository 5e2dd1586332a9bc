/*
 * run.h - the run driver: one job, from sources to published records and
 * reports.
 *
 * run_job() is the only place that decides to stop a run. Order of work:
 * load the rules (a syntax error stops here, before any connection), open
 * the store (load every key's current version, begin the transaction),
 * stream every source through its translation rule into the matcher
 * (fingerprinting each row), check the completeness guard, match, check
 * every reconciled order with the order rules, write a new version of
 * each record whose values changed, REMOVED tombstones for keys no longer
 * seen, write the reports to temporary names, commit (the runs row
 * last), then rename the reports into place. Any failure before the
 * commit rolls the store back and removes the temporaries: a failed run
 * publishes nothing, and a rerun for the same as-of writes no new
 * versions and the same report files. A failure after the commit (the
 * renames) leaves the run published (res->published) without reports.
 *
 * SIGTERM/SIGINT (stop.h, once the caller installed the handlers) stop
 * the run at its next safe point before the commit with ERR_INTERRUPTED
 * and the same teardown as any failure; a signal after the last safe
 * point (just before the commit) is not acted on: the run completes,
 * reports included, and run_job returns 0 (stop_signal() tells the
 * caller it came). Each run first removes the spill folders of dead runs
 * in its tmpdir (match_sweep), logging one line per folder.
 */
#ifndef RECON_RUN_H
#define RECON_RUN_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "evlog.h"
#include "job.h"

struct run_opts {
	const char *as_of;	/* "YYYY-MM-DD HH:MM:SS" (UTC); NULL = now */
	const char *report_dir;	/* overrides the job's; NULL = job's */
	const char *tmpdir;	/* spill files; NULL = $TMPDIR or /tmp */
	/* Read sources with an <incremental> query through it (watermark
	 * and state of the last published run; docs/INCREMENTAL.md). */
	int incremental;
	/* State files; NULL = JOBDIR/../out/state/JOBNAME. */
	const char *state_dir;
	/* Sources whose shrink below min-rows-ratio is accepted for this
	 * run (--accept-shrink NAME); borrowed. */
	const char *const *accept_shrink;
	size_t naccept_shrink;
	/* Account CPU and wall time per phase (phase.h), for
	 * phase_get() after the run (--stats). */
	int stats;
	/* Translate in this many Lua states, one thread each (xlate.h;
	 * --jobs); 0 or 1: in the run's own state on its thread. Results
	 * do not depend on it. At most XLATE_MAX_JOBS. */
	unsigned jobs;
	/* A full read translates every row even where the previous run's
	 * state file holds the translation of the same row (--retranslate;
	 * docs/INCREMENTAL.md, "Translations reused"). */
	int retranslate;
	/* Seconds to wait for the job's lock when another run holds it
	 * (--lock-wait; lock.h); 0: refuse at once (ERR_LOCKED). */
	unsigned lock_wait;
	/* The run's log: one event per line for people, with its level,
	 * phase and the run id (evlog.h; the CLI's sink is evlog_emit);
	 * NULL = silent. */
	void (*log)(void *ctx, const struct evlog_event *ev);
	void *log_ctx;
	/* Progress (progress.c) through log: a line every progress_interval
	 * seconds while a phase reads or matches, 0: none; progress_live:
	 * the lines redraw one line of a terminal (evlog_event.live). */
	double progress_interval;
	int progress_live;
	/* Keep the run's inputs for replays (keep.c; inputs.h): the
	 * newest keep_inputs runs' files stay in STATE_DIR/inputs; 0: none
	 * is kept. */
	unsigned keep_inputs;
};

/*
 * A replay of a published run (`recon shadow`, docs/RULES.md "Shadow
 * runs"): the job (with the candidate rule files) over the rows the
 * run's inputs file holds, as of the run's as-of; nothing is locked,
 * read from or written to the store, no state file or report is
 * written. Each reconciled record goes to put (kind, key, outcome,
 * codes and verdicts JSON as the store would hold them; borrowed for
 * the call). totals: the run's T_runs.totals, against which every
 * source's and reference's rows_hash is checked.
 */
struct run_replay {
	const char *inputs;	/* the inputs file */
	const char *as_of;	/* the run's, "YYYY-MM-DD HH:MM:SS" */
	const char *totals;
	int (*put)(void *ctx, const char *kind, const char *key,
		   const char *outcome, const char *codes,
		   const char *verdicts, struct error *err);
	void *ctx;
	/* filled: this replay's totals JSON (as T_runs.totals), and the
	 * report lines of rows whose translation failed ("RULE_ERROR"
	 * lines without a record: key "SOURCE:ID", message) through
	 * on_failed_row, NULL for none */
	struct sbuf *totals_out;
	int (*on_failed_row)(void *ctx, const char *key, const char *message,
			     struct error *err);
};

struct run_result {
	struct sbuf run_id;
	struct sbuf report_paths;	/* '\n'-separated */
	uint64_t records;		/* record versions written (0: no change) */
	uint64_t reconciled;		/* reconciled records (groups) */
	uint64_t removed;		/* REMOVED tombstones among records */
	uint64_t exceptions;		/* exception lines reported */
	uint64_t rows_read;		/* over all sources */
	uint64_t seq;			/* the run's T_runs.seq */
	uint64_t spilled, kept;		/* matcher bytes written to spill
					 * files / kept in memory (match.h) */
	/* The run repeated the job's latest published run exactly and
	 * committed nothing (store_repeats_last): run_id, seq, the counts
	 * and the reports are that run's; records 0. */
	int repeated;
	int published;			/* committed (even if run_job failed
					 * afterwards putting the reports in
					 * place) */
	/* Set whether the run failed or not, for its hooks (hook.h):
	 * run_id as soon as it is made (above: only once published), the
	 * as-of ("YYYY-MM-DD HH:MM:SS"; empty if --as-of was refused), the
	 * mode ("full", or "incremental" once a source was read so;
	 * static), and for a published run its count per outcome as a
	 * JSON object ({"MATCHED":12,...}; no amounts). */
	struct sbuf as_of;
	const char *mode;
	struct sbuf outcomes;
	/* The phase the run was in when it ended (docs/LOGGING.md; static):
	 * where a failed run failed. */
	const char *phase;
};

void run_result_init(struct run_result *r);
void run_result_release(struct run_result *r);

/* Run the job. Returns 0 (check res->exceptions for the exit code), or -1
 * with err set; nothing is published then. */
int run_job(const struct job *job, const struct run_opts *opts,
	    struct run_result *res, struct error *err);
/* Replay a run (struct run_replay); opts: its log, tmpdir, limits. 0
 * or -1 with err. */
int run_replay(const struct job *job, const struct run_opts *opts,
	       const struct run_replay *rp, struct error *err);

#endif
