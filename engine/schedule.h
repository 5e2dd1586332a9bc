/*
 * schedule.h - `recon schedule`: start jobs when their <schedule> says
 * (docs/SCHEDULING.md), or print equivalent crontab lines or systemd
 * units for sites that prefer their own scheduler.
 *
 * The loop is single-threaded (cron.h sets TZ while it computes) and
 * runs each job as a child process, `recon run JOB --as-of SLOT
 * [--incremental] FORWARDED...`, through /proc/self/exe. Every decision
 * is sched_decide()'s (sched.h); this file only keeps the state, the
 * children and the clock.
 */
#ifndef RECON_SCHEDULE_H
#define RECON_SCHEDULE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "job.h"

struct schedule_opts {
	const char *const *fwd;	/* options passed on to every `recon run` */
	size_t nfwd;
	const char *state_dir;	/* the scheduler's state files (one per job) */
	const char *exe;	/* the recon binary children run (argv[0]'s) */
	/* the scheduler's log: a line about job (NULL: the scheduler) */
	void (*log)(void *ctx, const char *job, const char *line);
	void *log_ctx;
};

/* The environment variable of the test clock (docs/SCHEDULING.md). */
#define SCHEDULE_TEST_CLOCK "RECON_TEST_SCHEDULE_CLOCK"

/* Run until SIGTERM or SIGINT (stop.h's handlers, installed by the
 * caller): 0, or -1 with err set (a state file that cannot be written,
 * a child that cannot be started). jobs[i] were loaded from paths[i]. */
int schedule_loop(struct job *const *jobs, const char *const *paths,
		  size_t n, const struct schedule_opts *o, struct error *err);

/* Append crontab lines for the jobs' <at> entries. ERR_JOB for an entry
 * in a zone other than UTC (Debian's cron has no CRON_TZ). */
int schedule_crontab(struct job *const *jobs, const char *const *paths,
		     size_t n, const char *exe, struct sbuf *out,
		     struct error *err);

/* Append a .service and a .timer unit per <at> entry, each after a line
 * "# file: NAME". */
int schedule_systemd(struct job *const *jobs, const char *const *paths,
		     size_t n, const char *exe, struct sbuf *out,
		     struct error *err);

/* Append the next `count` slots after `from` of every <at> entry, one
 * line each: "JOB ENTRY YYYY-MM-DD HH:MM:SS UTC (LOCAL)". */
int schedule_next(struct job *const *jobs, size_t n, int count,
		  int64_t from, struct sbuf *out, struct error *err);

#endif
