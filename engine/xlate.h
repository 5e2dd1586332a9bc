/*
 * xlate.h - translation in K Lua states (`recon run --jobs K`).
 *
 * Translating a source row (its fingerprint and the translate function)
 * needs nothing from other rows, so a run with K > 1 gives each of K
 * translator threads its own rules state, loaded from the same rule
 * files with the same sandbox and limits, over the same reference tables
 * (read-only C data, ref.h; each state has its own view of them). The
 * fetch thread's batches (prefetch.h) are translated in parallel, each
 * by whichever translator is free, and their results handed on to the
 * one sink of translated rows, feed_row() (feed.c), strictly in batch
 * order on the run's thread: everything after translation sees the rows
 * in the order K = 1 sees them, so counters, RULE_ERROR lines, the first
 * failure's message, control totals, the matcher's input and so the
 * reports and the store are the same for every K. A fatal error on a
 * row (out of memory, a fingerprint that cannot be taken) is reported
 * when the sink reaches that row, after every earlier row was fed, as
 * with K = 1.
 *
 * Bounded memory: at most 2K batches are in flight (taken from the
 * fetcher and not yet fed), each with its translated records; the fetch
 * ring has two more so that fetching goes on meanwhile.
 *
 * What differs: a translate function's globals live in its state, and
 * a state sees only some of the rows (docs/RULES.md, "Globals"); order
 * rules run in the run's own state, which translates nothing.
 *
 * K = 1 does not come here: read.c translates in the run's own state on
 * the run's thread, as before. Incremental reads (incmerge.c) do too.
 */
#ifndef RECON_XLATE_H
#define RECON_XLATE_H

#include <stddef.h>

#include "err.h"
#include "job.h"
#include "ref.h"

/* Most translator states a run may ask for (--jobs). */
#define XLATE_MAX_JOBS 64

struct xlate;
struct run;
struct prefetch;

/* Open k (2..XLATE_MAX_JOBS) rules states over job's rule files and
 * point them at refs (which must outlive *out). Errors as rules_open. */
int xlate_open(const struct job *job, const struct ref_set *refs, unsigned k,
	       struct xlate **out, struct error *err);
void xlate_free(struct xlate *x);
/* Batches the fetch ring needs for x (prefetch_start_n). */
size_t xlate_batches(const struct xlate *x);

/* Test hook: while nonzero, every translator thread but the first
 * fails to start as if pthread_create() had returned this errno value
 * (so the first, started, must be stopped cleanly). Process-wide like
 * prefetch_thread_fault; production code never sets it. */
extern int xlate_thread_fault;

/* Read source si's rows from pf (started with xlate_batches() batches)
 * through the k states into feed_row(): 0, or -1 with err set exactly
 * as read.c's serial loop would set it. */
int xlate_source(struct run *r, struct xlate *x, size_t si,
		 struct prefetch *pf, struct error *err);

#endif
