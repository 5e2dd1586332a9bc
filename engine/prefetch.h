/*
 * prefetch.h - read a cursor ahead in a second thread.
 *
 * Fetching (the driver's work plus our exact conversions) and translating
 * (Lua) each take about half of a source's time, so one thread fetches
 * batches of rows while the caller translates the previous ones: a
 * source is read in about the time of the slower half. Several sources
 * may be read at once, each with its own prefetch, all ringing one bell
 * (prefetch_start_bell, prefetch_poll): read.c, docs/CONNECTORS.md,
 * "Reading sources at once".
 *
 * The fetch thread owns the cursor between prefetch_start() and
 * prefetch_free(); the caller must not touch it meanwhile. Rows are
 * copied into a few fixed batches (PREFETCH_BATCHES x PREFETCH_ROWS), so
 * memory is bounded whatever the source's size.
 */
#ifndef RECON_PREFETCH_H
#define RECON_PREFETCH_H

#include <pthread.h>
#include <stdint.h>

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
/*
 * Several sources read at once (read.c): one bell for their fetchers,
 * rung each time one of them completes a batch, so that the reader can
 * sleep until any source has rows instead of on one of them.
 */
struct prefetch_bell {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t rings;
};

void prefetch_bell_init(struct prefetch_bell *b);
void prefetch_bell_destroy(struct prefetch_bell *b);
/* How often it has rung so far. */
uint64_t prefetch_bell_rings(struct prefetch_bell *b);
/* Sleep until it has rung more than seen times. */
void prefetch_bell_wait(struct prefetch_bell *b, uint64_t seen);
/* prefetch_start() with the fetcher ringing bell (borrowed; it must
 * outlive the prefetch). */
int prefetch_start_bell(struct cursor *cur, struct prefetch_bell *bell,
			struct prefetch **out, struct error *err);

/* Test hook: while nonzero, prefetch_start() fails as if
 * pthread_create() had returned this errno value. Process-wide like
 * mem_fault_after(); production code never sets it. */
extern int prefetch_thread_fault;

/* Like cursor_next(): 1 and *row (valid until the next call), 0 at the
 * end, -1 with the fetch thread's error copied into err. */
int prefetch_next(struct prefetch *p, const struct row **row,
		  struct error *err);
/* prefetch_next() that does not wait: 2 when the next row is not
 * fetched yet. */
int prefetch_poll(struct prefetch *p, const struct row **row,
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
