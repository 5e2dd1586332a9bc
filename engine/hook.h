/*
 * hook.h - the job's hooks (<hooks>; docs/JOBS.md, "Hooks"): a program
 * the job names, run by `recon run` once the run is over, published or
 * failed, so that a site can send mail or a chat message.
 *
 * <on-failure> runs after a run that failed, whatever stopped it (a
 * source down, a guard, a signal, a report that could not be put in
 * place after the commit); <on-exceptions> after a run that published
 * more exception lines than its threshold. At most one of the two runs
 * per run, and none when neither has a reason to.
 *
 * The program is executed directly (execve, never a shell) with the
 * job's fixed arguments, in a process group of its own, stdin
 * /dev/null, stdout and stderr to a pipe whose lines are logged
 * ("hook on-failure: LINE"), every other descriptor closed. Its
 * environment is recon's, less the RECON_<DSN>_UID/_PWD credentials,
 * plus RECON_HOOK, RECON_JOB, RECON_RUN_ID, RECON_AS_OF, RECON_MODE,
 * RECON_EXIT_CODE, RECON_EXIT_NAME, RECON_EXCEPTIONS and RECON_SUMMARY:
 * the path of a JSON file with all of these and more (hook_summary_json),
 * written 0600 in the run's tmpdir and removed once the hook is over.
 *
 * At its timeout the group gets SIGTERM, and SIGKILL after a grace. A
 * hook that cannot start, exits non-zero, dies of a signal or times out
 * is logged, never an error: nothing a hook does changes what the run
 * published or recon's exit code. Library code: it logs through the
 * caller's function and never prints.
 */
#ifndef RECON_HOOK_H
#define RECON_HOOK_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "job.h"
#include "run.h"

/* SIGKILL this long after the SIGTERM of a hook that timed out. */
#define HOOK_GRACE_MS 5000
/* Most bytes of a hook's output that are logged (the rest is read and
 * dropped, with one line saying so), and of one logged line. */
#define HOOK_OUTPUT_MAX ((size_t)64 << 10)
#define HOOK_LINE_MAX ((size_t)4 << 10)

enum hook_kind { HOOK_FAILURE, HOOK_EXCEPTIONS };

/* What a hook is told about the run; everything borrowed. */
struct hook_info {
	enum hook_kind kind;
	const char *job;
	const char *run_id;	/* "" if the run failed before it had one */
	const char *as_of;	/* "YYYY-MM-DD HH:MM:SS", or "" */
	const char *mode;	/* "full" or "incremental" */
	int exit_code;		/* recon's: the run's, unchanged */
	const char *exit_name;	/* "OK", "EXCEPTIONS", or error_name() */
	const char *error;	/* the error as recon printed it, or NULL */
	int published;
	uint64_t exceptions, reconciled, records, removed, rows_read, seq;
	const char *outcomes;	/* JSON object of counts, or NULL: {} */
	const char *reports;	/* '\n'-separated report paths, or NULL */
	/* The threshold <on-exceptions> had (above, or above_ppm >= 0). */
	uint64_t above;
	int64_t above_ppm;
};

/* How a hook went (for the log line and the tests). */
enum hook_status {
	HOOK_OK,	/* exited 0 */
	HOOK_EXIT,	/* exited non-zero (code) */
	HOOK_SIGNALED,	/* died of a signal it did not get from us (sig) */
	HOOK_TIMEOUT,	/* stopped at its timeout (sig: SIGTERM or SIGKILL) */
	HOOK_NOSTART	/* could not be started (err: errno) */
};

struct hook_result {
	enum hook_status status;
	int code;	/* HOOK_EXIT */
	int sig;	/* HOOK_SIGNALED, HOOK_TIMEOUT */
	int err;	/* HOOK_NOSTART */
	int64_t ms;	/* from start to end */
};

/* How to run it: the program and the job's arguments (borrowed), its
 * timeout and grace in milliseconds, tmpdir for the summary file (NULL:
 * $TMPDIR, else /tmp). */
struct hook_spec {
	const struct job_hook *hook;
	const char *name;	/* "on-failure", for the log */
	int64_t timeout_ms;
	int64_t grace_ms;
	const char *tmpdir;
};

/* The job's hook with a reason to run after this run, or NULL:
 * on_failure if the run failed, on_exceptions if it published more
 * exceptions than its threshold. *kind says which. */
const struct job_hook *hook_due(const struct job *job, int failed,
				uint64_t exceptions, uint64_t reconciled,
				enum hook_kind *kind);

/* "failure" or "exceptions" (RECON_HOOK); "on-failure" or
 * "on-exceptions" (the element, in messages). */
const char *hook_kind_name(enum hook_kind kind);
const char *hook_element_name(enum hook_kind kind);

/* The summary as one JSON object, appended to out. 0, or -1 if out
 * failed (out of memory, over its cap). */
int hook_summary_json(const struct hook_info *info, struct sbuf *out);

/*
 * Run the hook to its end (or its timeout's), logging its output and
 * one line on how it went through log(ctx, line) (NULL: silent).
 * Fills *res; returns 0 if it exited 0, else -1 (also logged). Never
 * touches the caller's signal dispositions or exit code.
 */
int hook_run(const struct hook_spec *spec, const struct hook_info *info,
	     void (*log)(void *ctx, const char *line), void *ctx,
	     struct hook_result *res);

/*
 * After `recon run`: the hook the run gives a reason to (hook_due),
 * told about the run (res; err set if it failed; exit_code is recon's),
 * run with the job's timeout and HOOK_GRACE_MS; tmpdir as --tmpdir.
 * Nothing to do without a job (it did not load) or without a reason.
 * Returns what hook_run returned, 0 when no hook ran.
 */
int hook_after_run(const struct job *job, const struct run_result *res,
		   const struct error *err, int exit_code, const char *tmpdir,
		   void (*log)(void *ctx, const char *line), void *ctx);

#endif
