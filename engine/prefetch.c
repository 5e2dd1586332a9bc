/*
 * prefetch.c - a fetch thread feeding a ring of row batches.
 *
 * Batches cycle between two states under one mutex: empty (the fetcher
 * may fill it) and full (the reader may drain it). The fetcher fills
 * batches in ring order and the reader drains them in the same order, so
 * rows come out exactly as the cursor gave them. A batch's text bytes
 * live in its own sbuf; value pointers are fixed up once the batch is
 * complete, because the sbuf may move while it grows.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "prefetch.h"
#include "mem.h"
#include "phase.h"
#include "stop.h"
#include "banned.h"

struct batch {
	size_t n;		/* rows in the batch */
	int full;		/* 1: ready for the reader */
	int last;		/* 1: no batch follows (end or error) */
	struct value *vals;	/* rows x ncols; s is an offset until full */
	uint64_t *rowno;
	struct sbuf bytes;
};

struct prefetch {
	struct cursor *cur;
	struct prefetch_bell *bell;	/* rung after each batch; may be NULL */
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;		/* reader asks the fetcher to give up */

	size_t ncols;
	const char *const *names;
	struct batch *b;	/* nb batches, a ring */
	size_t nb;
	struct error ferr;	/* the fetcher's error, if any */
	int frc;		/* 0 or -1 */

	size_t rb;		/* batch the reader is on */
	size_t ri;		/* next row in it */
	int have;		/* the reader holds batch rb */
	int ended;		/* prefetch_take: the last batch was taken */
	struct row row;		/* what prefetch_next hands out */
};

/* Append one cursor row to batch b (fetcher side). */
static int copy_row(struct prefetch *p, struct batch *b, const struct row *row,
		    struct error *err)
{
	struct value *dst;

	if (!b->vals) {
		size_t cells;

		if (mem_mul(PREFETCH_ROWS, p->ncols ? p->ncols : 1, &cells) < 0 ||
		    !(b->vals = mem_calloc(cells, sizeof(*b->vals))) ||
		    !(b->rowno = mem_calloc(PREFETCH_ROWS, sizeof(*b->rowno))))
			return error_set(err, ERR_NOMEM, "out of memory (prefetch)");
	}
	dst = b->vals + b->n * p->ncols;
	for (size_t c = 0; c < p->ncols; c++) {
		const struct value *v = &row->vals[c];

		dst[c] = *v;
		if (v->s) {
			/* keep offset + 1 (0 stays "no text"); pointers
			 * are fixed when the batch is full */
			dst[c].s = (const char *)(uintptr_t)(b->bytes.len + 1);
			if (sbuf_add(&b->bytes, v->s, v->len) < 0 ||
			    sbuf_addch(&b->bytes, '\0') < 0)
				return error_set(err, ERR_NOMEM,
						 "out of memory (prefetch)");
		}
	}
	b->rowno[b->n++] = row->rowno;
	return 0;
}

int prefetch_thread_fault;

static void fix_pointers(struct prefetch *p, struct batch *b)
{
	for (size_t i = 0; i < b->n * p->ncols; i++)
		if (b->vals[i].s)
			b->vals[i].s = b->bytes.buf + (uintptr_t)b->vals[i].s - 1;
}

static void fetch_loop(struct prefetch *p)
{
	size_t k = 0;

	for (;;) {
		struct batch *b = &p->b[k];
		int rc = 1, stop;

		pthread_mutex_lock(&p->lock);
		while (b->full && !p->stop)
			pthread_cond_wait(&p->cond, &p->lock);
		stop = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			return;
		b->n = 0;
		sbuf_reset(&b->bytes);
		while (b->n < PREFETCH_ROWS) {
			const struct row *row;

			rc = cursor_next(p->cur, &row, &p->ferr);
			if (rc <= 0)
				break;
			if (!p->ncols && !p->names) {
				/* first row: the cursor's shape */
				p->ncols = row->ncols;
				p->names = row->names;
			}
			if (copy_row(p, b, row, &p->ferr) < 0) {
				rc = -1;
				break;
			}
		}
		fix_pointers(p, b);
		phase_rows(PH_FETCH, b->n);
		pthread_mutex_lock(&p->lock);
		b->last = rc <= 0;
		if (rc < 0)
			p->frc = -1;
		b->full = 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		if (p->bell) {
			pthread_mutex_lock(&p->bell->lock);
			p->bell->rings++;
			pthread_cond_broadcast(&p->bell->cond);
			pthread_mutex_unlock(&p->bell->lock);
		}
		if (rc <= 0)
			return;
		k = (k + 1) % p->nb;
	}
}

/* The whole of the fetch thread is fetching (phase.h): the cursor's
 * block fetch and the copy into the batches. */
static void *fetch_main(void *arg)
{
	phase_thread_begin();
	phase_push(PH_FETCH);
	fetch_loop(arg);
	phase_pop();
	phase_thread_end();
	return NULL;
}

int prefetch_start(struct cursor *cur, struct prefetch **out,
		   struct error *err)
{
	return prefetch_start_n(cur, PREFETCH_BATCHES, out, err);
}

static int start(struct cursor *cur, size_t nbatches,
		 struct prefetch_bell *bell, struct prefetch **out,
		 struct error *err)
{
	struct prefetch *p = mem_calloc(1, sizeof(*p));
	sigset_t mask;
	int rc;

	if (!p)
		return error_set(err, ERR_NOMEM, "out of memory");
	p->cur = cur;
	p->bell = bell;
	error_init(&p->ferr);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->nb = nbatches < 2 ? 2 : nbatches;
	p->b = mem_calloc(p->nb, sizeof(*p->b));
	if (!p->b) {
		p->nb = 0;
		prefetch_free(p);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < p->nb; i++)
		sbuf_init(&p->b[i].bytes, SBUF_CAP_DEFAULT);
	/* the fetch thread never takes SIGTERM/SIGINT (stop.h) */
	stop_block(&mask);
	rc = prefetch_thread_fault ? prefetch_thread_fault :
		pthread_create(&p->thread, NULL, fetch_main, p);
	stop_unblock(&mask);
	if (rc != 0) {
		prefetch_free(p);
		/* EAGAIN: no memory for the thread's stack, or a process
		 * limit on threads; either way what is short is resources */
		if (rc == EAGAIN || rc == ENOMEM)
			return error_set(err, ERR_NOMEM, "out of memory: cannot "
					 "start the fetch thread (%s)",
					 strerror(rc));
		return error_set(err, ERR_INTERNAL, "cannot start the fetch "
				 "thread (%s)", strerror(rc));
	}
	p->started = 1;
	*out = p;
	return 0;
}

int prefetch_start_n(struct cursor *cur, size_t nbatches,
		     struct prefetch **out, struct error *err)
{
	return start(cur, nbatches, NULL, out, err);
}

int prefetch_start_bell(struct cursor *cur, struct prefetch_bell *bell,
			struct prefetch **out, struct error *err)
{
	return start(cur, PREFETCH_BATCHES, bell, out, err);
}

void prefetch_bell_init(struct prefetch_bell *b)
{
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	b->rings = 0;
}

void prefetch_bell_destroy(struct prefetch_bell *b)
{
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
}

uint64_t prefetch_bell_rings(struct prefetch_bell *b)
{
	uint64_t n;

	pthread_mutex_lock(&b->lock);
	n = b->rings;
	pthread_mutex_unlock(&b->lock);
	return n;
}

/* The wait is fetch time, as prefetch_next's is. */
void prefetch_bell_wait(struct prefetch_bell *b, uint64_t seen)
{
	phase_push(PH_FETCH);
	pthread_mutex_lock(&b->lock);
	while (b->rings == seen)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	phase_pop();
}

/* Wait for the fetcher to fill b. The fetcher's writes to b happen
 * before it sets full under the lock; seeing full under the lock makes
 * them visible here. The wait is fetch time (phase.h). */
static void wait_full(struct prefetch *p, struct batch *b)
{
	phase_push(PH_FETCH);
	pthread_mutex_lock(&p->lock);
	while (!b->full)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
	phase_pop();
}

/* prefetch_next, or 2 instead of waiting when wait is 0. */
static int next(struct prefetch *p, const struct row **row, int wait,
		struct error *err)
{
	for (;;) {
		struct batch *b = &p->b[p->rb];

		if (!p->have && !wait) {
			int full;

			pthread_mutex_lock(&p->lock);
			full = b->full;
			pthread_mutex_unlock(&p->lock);
			if (!full)
				return 2;
		}
		if (!p->have) {
			wait_full(p, b);	/* once per batch */
			p->have = 1;
			p->ri = 0;
		}
		if (p->ri < b->n) {
			p->row.ncols = p->ncols;
			p->row.names = p->names;
			p->row.vals = b->vals + p->ri * p->ncols;
			p->row.rowno = b->rowno[p->ri];
			p->ri++;
			*row = &p->row;
			return 1;
		}
		if (b->last) {
			return p->frc < 0 ? error_copy(err, &p->ferr) : 0;
		}
		/* hand the drained batch back and move on */
		pthread_mutex_lock(&p->lock);
		b->full = 0;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		p->have = 0;
		p->rb = (p->rb + 1) % p->nb;
	}
}

int prefetch_next(struct prefetch *p, const struct row **row,
		  struct error *err)
{
	return next(p, row, 1, err);
}

int prefetch_poll(struct prefetch *p, const struct row **row,
		  struct error *err)
{
	return next(p, row, 0, err);
}

/* ---- whole batches (xlate.c) ---------------------------------------- */

/* The fetcher's error, if it had one, into err: -1; else 0. */
static int fetch_result(struct prefetch *p, struct error *err)
{
	return p->frc == 0 ? 0 : error_copy(err, &p->ferr);
}

int prefetch_take(struct prefetch *p, size_t *batch, size_t *nrows,
		  struct error *err)
{
	struct batch *b;

	if (p->ended)
		return fetch_result(p, err);
	b = &p->b[p->rb];
	wait_full(p, b);
	if (b->last)
		p->ended = 1;
	if (b->n == 0) {
		/* an empty last batch: nothing to hand out */
		return fetch_result(p, err);
	}
	*batch = p->rb;
	*nrows = b->n;
	p->rb = (p->rb + 1) % p->nb;
	return 1;
}

void prefetch_batch_row(const struct prefetch *p, size_t batch, size_t i,
			struct row *row)
{
	const struct batch *b = &p->b[batch];

	row->ncols = p->ncols;
	row->names = p->names;
	row->vals = b->vals + i * p->ncols;
	row->rowno = b->rowno[i];
}

void prefetch_give(struct prefetch *p, size_t batch)
{
	struct batch *b = &p->b[batch];

	/* the last batch stays full: the fetcher has ended */
	if (b->last)
		return;
	pthread_mutex_lock(&p->lock);
	b->full = 0;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void prefetch_free(struct prefetch *p)
{
	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->stop = 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	for (size_t i = 0; i < p->nb; i++) {
		mem_free(p->b[i].vals);
		mem_free(p->b[i].rowno);
		sbuf_release(&p->b[i].bytes);
	}
	mem_free(p->b);
	error_release(&p->ferr);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	mem_free(p);
}
