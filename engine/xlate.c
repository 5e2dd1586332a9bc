/*
 * xlate.c - K translator threads between the fetch thread and the sink
 * (xlate.h).
 *
 * A slot is one batch in flight: queued by the run's thread in batch
 * order (seq), claimed by translators in the same order, filled with
 * each row's fingerprint, record, failure message and key, then fed in
 * seq order by the run's thread, which gives the batch back to the
 * fetcher afterwards. Slot seq lives at slot[seq % nslot]; the run's
 * thread never queues more than nslot ahead of what it has fed, so a
 * slot is reused only once fed. One mutex guards the slot states and
 * the counters; the rows of a slot belong to whoever holds it by its
 * state (translator: claimed and not done; run's thread: done).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "xlate.h"
#include "run_int.h"
#include "canon.h"
#include "mem.h"
#include "phase.h"
#include "prefetch.h"
#include "rowfp.h"
#include "rules.h"
#include "stop.h"
#include "../connectors/connector.h"
#include "banned.h"

/* One translated row. */
struct xrow {
	int t;			/* rules_translate(): 1, 0 or -2 */
	uint8_t fp[32];
	struct canon rec;
	struct sbuf fail;	/* the failure's message (t == -2) */
	struct sbuf key;	/* "source:id" of a failed row */
};

struct slot {
	int done;		/* translated: the run's thread may feed it */
	size_t batch, n;	/* the prefetch batch and its rows */
	size_t nok;		/* rows translated before a fatal error */
	struct error err;	/* that error (nok < n) */
	struct xrow *rows;	/* PREFETCH_ROWS */
};

struct worker {
	struct xlate *x;
	struct rules *rules;
	struct rowfp fpr;
	struct sbuf id;
	pthread_t thread;
	int started;
};

struct xlate {
	const struct job *job;
	unsigned k;
	struct worker *w;
	struct slot *slot;
	size_t nslot;

	/* per source, under lock */
	pthread_mutex_t lock;
	pthread_cond_t work;	/* a slot was queued, or stop */
	pthread_cond_t done;	/* a slot was translated */
	uint64_t queued;	/* slots queued so far */
	uint64_t claimed;	/* slots claimed by translators so far */
	int stop;
	struct run *r;
	size_t si;
	struct prefetch *pf;
};

static int nomem(struct error *err)
{
	return error_set(err, ERR_NOMEM, "out of memory (translators)");
}

int xlate_open(const struct job *job, const struct ref_set *refs, unsigned k,
	       struct xlate **out, struct error *err)
{
	struct xlate *x = mem_calloc(1, sizeof(*x));

	*out = NULL;
	if (!x)
		return nomem(err);
	x->job = job;
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->work, NULL);
	pthread_cond_init(&x->done, NULL);
	x->w = mem_calloc(k, sizeof(*x->w));
	x->slot = mem_calloc(2 * (size_t)k, sizeof(*x->slot));
	if (!x->w || !x->slot) {
		xlate_free(x);
		return nomem(err);
	}
	for (unsigned i = 0; i < k; i++) {
		struct worker *w = &x->w[i];

		w->x = x;
		rowfp_init(&w->fpr);
		sbuf_init(&w->id, 65536);
		x->k = i + 1;
		if (rules_open(job, &w->rules, err) < 0) {
			xlate_free(x);
			return -1;
		}
		rules_set_refs(w->rules, refs);
	}
	for (size_t i = 0; i < 2 * (size_t)k; i++) {
		struct slot *s = &x->slot[i];

		error_init(&s->err);
		x->nslot = i + 1;
		s->rows = mem_calloc(PREFETCH_ROWS, sizeof(*s->rows));
		if (!s->rows) {
			xlate_free(x);
			return nomem(err);
		}
		for (size_t j = 0; j < PREFETCH_ROWS; j++) {
			canon_init(&s->rows[j].rec);
			sbuf_init(&s->rows[j].fail, 65536);
			sbuf_init(&s->rows[j].key, 65536);
		}
	}
	*out = x;
	return 0;
}

void xlate_free(struct xlate *x)
{
	if (!x)
		return;
	for (unsigned i = 0; i < x->k; i++) {
		struct worker *w = &x->w[i];

		if (w->rules)
			rules_set_refs(w->rules, NULL);
		rules_free(w->rules);
		rowfp_release(&w->fpr);
		sbuf_release(&w->id);
	}
	for (size_t i = 0; i < x->nslot; i++) {
		struct slot *s = &x->slot[i];

		for (size_t j = 0; s->rows && j < PREFETCH_ROWS; j++) {
			canon_release(&s->rows[j].rec);
			sbuf_release(&s->rows[j].fail);
			sbuf_release(&s->rows[j].key);
		}
		mem_free(s->rows);
		error_release(&s->err);
	}
	mem_free(x->w);
	mem_free(x->slot);
	pthread_mutex_destroy(&x->lock);
	pthread_cond_destroy(&x->work);
	pthread_cond_destroy(&x->done);
	mem_free(x);
}

size_t xlate_batches(const struct xlate *x)
{
	return x->nslot + 2;
}

/* ---- the translators ------------------------------------------------ */

/* Translate slot s's rows as read.c's loop does, up to the first fatal
 * error (its row then has nok == its index). */
static void translate_slot(struct worker *w, struct slot *s)
{
	struct xlate *x = w->x;
	const struct job_source *src = &x->job->sources[x->si];

	error_clear(&s->err);
	s->nok = s->n;
	for (size_t i = 0; i < s->n; i++) {
		struct xrow *xr = &s->rows[i];
		struct row row;

		prefetch_batch_row(x->pf, s->batch, i, &row);
		if (rowfp_row(&w->fpr, &row, xr->fp, &s->err) < 0) {
			s->nok = i;
			return;
		}
		canon_reset(&xr->rec, src->role, (uint16_t)x->si, row.rowno);
		memcpy(xr->rec.fp, xr->fp, sizeof(xr->rec.fp));
		sbuf_reset(&xr->fail);
		sbuf_reset(&xr->key);
		xr->t = rules_translate(w->rules, x->si, &row, &xr->rec,
					&xr->fail, &s->err);
		if (xr->t == -1) {
			feed_row_id(src, &row, &w->id);
			error_context(&s->err, "row '%s'", w->id.buf);
			s->nok = i;
			return;
		}
		if (xr->t == -2) {
			feed_row_id(src, &row, &w->id);
			sbuf_addf(&xr->key, "%s:%s", src->name, w->id.buf);
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct xlate *x = w->x;

	phase_thread_begin();
	phase_push(PH_TRANSLATE);
	pthread_mutex_lock(&x->lock);
	for (;;) {
		struct slot *s;

		while (!x->stop && x->claimed == x->queued)
			pthread_cond_wait(&x->work, &x->lock);
		if (x->stop)
			break;
		s = &x->slot[x->claimed++ % x->nslot];
		pthread_mutex_unlock(&x->lock);
		translate_slot(w, s);
		pthread_mutex_lock(&x->lock);
		s->done = 1;
		pthread_cond_broadcast(&x->done);
	}
	pthread_mutex_unlock(&x->lock);
	phase_pop();
	phase_thread_end();
	return NULL;
}

int xlate_thread_fault;

/* All k threads, or an error (those started are stopped by the caller,
 * stop_workers). */
static int start_workers(struct xlate *x, struct error *err)
{
	sigset_t mask;
	int rc = 0;

	/* translators never take SIGTERM/SIGINT (stop.h) */
	stop_block(&mask);
	for (unsigned i = 0; i < x->k && rc == 0; i++) {
		rc = i && xlate_thread_fault ? xlate_thread_fault :
			pthread_create(&x->w[i].thread, NULL, worker_main, &x->w[i]);
		x->w[i].started = rc == 0;
	}
	stop_unblock(&mask);
	if (rc == EAGAIN || rc == ENOMEM)
		return error_set(err, ERR_NOMEM, "out of memory: cannot start "
				 "a translator thread (%s)", strerror(rc));
	if (rc != 0)
		return error_set(err, ERR_INTERNAL, "cannot start a translator "
				 "thread (%s)", strerror(rc));
	return 0;
}

static void stop_workers(struct xlate *x)
{
	pthread_mutex_lock(&x->lock);
	x->stop = 1;
	pthread_cond_broadcast(&x->work);
	pthread_mutex_unlock(&x->lock);
	for (unsigned i = 0; i < x->k; i++)
		if (x->w[i].started) {
			pthread_join(x->w[i].thread, NULL);
			x->w[i].started = 0;
		}
}

/* ---- the run's thread: queue in order, feed in order ---------------- */

/* Feed slot s's rows to the sink, each exactly as read.c's loop does
 * after translating it. */
static int feed_slot(struct xlate *x, struct slot *s, struct error *err)
{
	struct run *r = x->r;
	size_t si = x->si;
	const struct job_source *src = &r->job->sources[si];
	struct sbuf id = SBUF_INIT(65536);
	int rc = -1;

	for (size_t i = 0; i < s->n; i++) {
		struct xrow *xr = &s->rows[i];
		enum incr_kind k;
		struct row row;

		prefetch_batch_row(x->pf, s->batch, i, &row);
		if (stop_check(err, "reading") < 0)
			goto out;
		if (r->stats[si].read == 0 && feed_check_columns(src, &row, err) < 0)
			goto out;
		if (i == s->nok) {
			error_copy(err, &s->err);
			goto out;
		}
		if (keep_row(r, si, &row, err) < 0) {
			feed_row_id(src, &row, &id);
			error_context(err, "row '%s'", id.buf);
			goto out;
		}
		if (incmerge_state_row(r, si, &row, xr->fp, xr->t, &xr->rec,
				       &xr->fail, err) < 0) {
			feed_row_id(src, &row, &id);
			error_context(err, "row '%s'", id.buf);
			goto out;
		}
		k = xr->t == 1 ? INCR_KEPT : xr->t == 0 ? INCR_SKIPPED
							: INCR_FAILED;
		if (feed_row(r, si, k, xr->fp, &xr->rec, &xr->key, &xr->fail,
			     err) < 0) {
			if (k == INCR_KEPT) {
				feed_row_id(src, &row, &id);
				error_context(err, "row '%s'", id.buf);
			}
			goto out;
		}
	}
	rc = 0;
out:
	sbuf_release(&id);
	return rc;
}

static int run_slots(struct xlate *x, struct error *err)
{
	struct error ferr;
	uint64_t fed = 0;
	int eof = 0, frc = 0, rc = -1;

	error_init(&ferr);
	for (;;) {
		struct slot *s = &x->slot[fed % x->nslot];
		int ready;

		if (fed == x->queued && eof)
			break;
		pthread_mutex_lock(&x->lock);
		ready = fed < x->queued && s->done;
		pthread_mutex_unlock(&x->lock);
		if (!ready && !eof && x->queued - fed < x->nslot) {
			/* room for one more batch: queue it */
			struct slot *q = &x->slot[x->queued % x->nslot];
			size_t b, n;

			frc = prefetch_take(x->pf, &b, &n, &ferr);
			if (frc <= 0) {
				eof = 1;
				continue;
			}
			q->batch = b;
			q->n = n;
			q->done = 0;
			pthread_mutex_lock(&x->lock);
			x->queued++;
			pthread_cond_signal(&x->work);
			pthread_mutex_unlock(&x->lock);
			continue;
		}
		if (!ready) {
			pthread_mutex_lock(&x->lock);
			while (!s->done)
				pthread_cond_wait(&x->done, &x->lock);
			pthread_mutex_unlock(&x->lock);
		}
		if (feed_slot(x, s, err) < 0)
			goto out;
		prefetch_give(x->pf, s->batch);
		fed++;
	}
	/* the fetcher's error comes after every row before it, as
	 * prefetch_next gives it after the last row */
	if (frc < 0) {
		error_copy(err, &ferr);
		goto out;
	}
	rc = 0;
out:
	error_release(&ferr);
	return rc;
}

int xlate_source(struct run *r, struct xlate *x, size_t si,
		 struct prefetch *pf, struct error *err)
{
	int rc;

	x->r = r;
	x->si = si;
	x->pf = pf;
	x->queued = x->claimed = 0;
	x->stop = 0;
	rc = start_workers(x, err);
	if (rc == 0)
		rc = run_slots(x, err);
	/* translators still busy finish their batch first: pf must
	 * outlive them */
	stop_workers(x);
	return rc;
}
