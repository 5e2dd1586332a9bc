/*
 * shadow.h - `recon shadow JOB --rules DIR [--run RUN]` (docs/RULES.md,
 * "Shadow runs"): a candidate rule set run over the very rows a
 * published run read (its inputs file, inputs.h), as of that run's
 * as-of, publishing nothing; every record whose outcome or verdicts
 * would change, old against new, with counts per change, and every
 * change in the sources' translation totals and failed rows, as text,
 * CSV and HTML.
 *
 * The old side is the store: the version of each record current at the
 * run (outcome, codes, verdicts JSON), the run's T_runs.totals and its
 * kept report's failed-row lines (T_report). The new side is
 * run_replay() with the job whose rule files are taken from DIR where
 * DIR has a file of the same name (else the job's own), published
 * under the job's names so that an unchanged rule gives the very same
 * verdicts. Unchanged rules give zero changes.
 *
 * Memory: both sides' records (kind, key, outcome, codes, verdicts),
 * about 150 bytes plus the verdicts' JSON per record.
 */
#ifndef RECON_SHADOW_H
#define RECON_SHADOW_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "job.h"
#include "run.h"

struct shadow_opts {
	const char *rules_dir;	/* the candidate rule files, or NULL */
	/* a candidate job file (--job), or NULL: its rule files,
	 * tolerances, links, grace periods and limits; it must read what
	 * the job reads (same sources, queries, references, store and
	 * fields). One of rules_dir and job at least. */
	const struct job *job;
	const char *run;	/* a seq or run id; NULL: the latest */
	/* the reports: BASE.csv and BASE.html; NULL:
	 * JOBDIR/../out/shadow/JOB-RUNSEQ */
	const char *out;
	/* the run's state folder (its inputs in STATE/inputs); NULL:
	 * JOBDIR/../out/state/JOB */
	const char *state_dir;
	const struct run_opts *ropts;	/* the replay's log, tmpdir */
};

struct shadow_result {
	uint64_t seq;		/* the run shadowed */
	struct sbuf run_id;
	uint64_t records;	/* the candidate's records */
	uint64_t changes;	/* records, rows and totals that change */
	struct sbuf text;	/* the summary for people (stdout) */
	struct sbuf paths;	/* the reports written, '\n'-separated */
};

void shadow_result_init(struct shadow_result *r);
void shadow_result_release(struct shadow_result *r);

/* 0 (res filled) or -1 with err: ERR_USAGE for an unknown run, a run
 * whose inputs were not kept, a rules folder that holds none of the
 * job's rule files; ERR_RULE for a candidate that does not load;
 * ERR_VERIFY for inputs that do not check or are not the run's rows;
 * ERR_STORE, ERR_REPORT, ERR_NOMEM. */
int shadow_run(const struct job *job, const struct shadow_opts *o,
	       struct shadow_result *res, struct error *err);

#endif
