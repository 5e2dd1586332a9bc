/*
 * prefetch.h - read a cursor ahead in a second thread.
 *
 * Fetching (the driver's work plus our exact conversions) and translating
 * (Lua) each take about half of a source's time, so one thread fetches
 * batches of rows while the caller translates the previous ones: a
 * source is read in about the time of the slower half, with one driver
 * result in memory at a time (reading two sources at once instead would
 * double what drivers that buffer whole results hold; see
 * docs/CONNECTORS.md).
 *
 * The fetch thread owns the cursor between prefetch_start() and
 * prefetch_free(); the caller must not touch it meanwhile. Rows are
 * copied into a few fixed batches (PREFETCH_BATCHES x PREFETCH_ROWS), so
 * memory is bounded whatever the source's size.
 */
#ifndef RECON_PREFETCH_H
#define RECON_PREFETCH_H

#include "err.h"
#include "../connectors/connector.h"

#define PREFETCH_BATCHES 4
#define PREFETCH_ROWS 1024

struct prefetch;

/* Start the fetch thread on cur (borrowed until prefetch_free). *out is
 * owned by the caller. ERR_NOMEM when memory fails, the thread's
 * included (pthread_create: EAGAIN, ENOMEM); ERR_INTERNAL if the thread
 * cannot start for another reason. */
int prefetch_start(struct cursor *cur, struct prefetch **out,
		   struct error *err);
/* The same with nbatches batches in the ring (at least 2): a reader
 * that holds several at once (prefetch_take) needs more than the
 * default so that the fetcher can still fill ahead. */
int prefetch_start_n(struct cursor *cur, size_t nbatches,
		     struct prefetch **out, struct error *err);
/* Test hook: while nonzero, prefetch_start() fails as if
 * pthread_create() had returned this errno value. Process-wide like
 * mem_fault_after(); production code never sets it. */
extern int prefetch_thread_fault;

/* Like cursor_next(): 1 and *row (valid until the next call), 0 at the
 * end, -1 with the fetch thread's error copied into err. */
int prefetch_next(struct prefetch *p, const struct row **row,
		  struct error *err);
/*
 * Whole batches instead of rows (the translators, xlate.h): 1 with the
 * next full batch's index in *batch and its row count in *nrows, 0 at
 * the end, -1 with the fetcher's error (given only once every earlier
 * batch was taken, as prefetch_next gives it after the last row). A
 * taken batch stays the reader's until prefetch_give(); batches must be
 * given back in the order they were taken, since the fetcher refills
 * the ring in order. Do not mix with prefetch_next on one prefetch.
 */
int prefetch_take(struct prefetch *p, size_t *batch, size_t *nrows,
		  struct error *err);
/* Row i of a taken batch into *row (valid until the batch is given). */
void prefetch_batch_row(const struct prefetch *p, size_t batch, size_t i,
			struct row *row);
void prefetch_give(struct prefetch *p, size_t batch);

/* Stop the fetch thread if it still runs, wait for it, free. NULL is
 * fine. The cursor is the caller's again afterwards. */
void prefetch_free(struct prefetch *p);

#endif
