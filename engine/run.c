/*
 * run.c - the run driver (see run.h for the order of work).
 *
 * What belongs to one run lives in struct run: the Lua state, the store
 * connection and transaction, the matcher's spill files, and an arena for
 * the strings of report lines; run_release() tears all of it down in one
 * call whatever state the run reached.
 *
 * Memory: records stream from the cursor through translation into the
 * matcher's spill files; only exception lines (and per-source control
 * totals) are kept for the report, so memory grows with the number of
 * exceptions, not with the number of rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "canon.h"
#include "match.h"
#include "mem.h"
#include "money.h"
#include "outcome.h"
#include "incr.h"
#include "ledger.h"
#include "prefetch.h"
#include "pubval.h"
#include "rowfp.h"
#include "text.h"
#include "rules.h"
#include "stop.h"
#include "store.h"
#include "tstamp.h"
#include "../connectors/connector.h"
#include "../reports/report.h"
#include "banned.h"

#define RECON_VERSION "0.1.0"

/* ---- a bump arena for report strings --------------------------------- */

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	char data[];
};

struct arena {
	struct arena_block *head;
};

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	struct arena_block *b = a->head;
	size_t need;
	char *p;

	if (mem_add(n, 1, &need) < 0)
		return NULL;
	if (!b || b->size - b->used < need) {
		size_t size = need > 65536 ? need : 65536, total;

		if (mem_add(sizeof(*b), size, &total) < 0)
			return NULL;
		b = mem_alloc(total);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->size = size;
		a->head = b;
	}
	p = b->data + b->used;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	b->used += need;
	return p;
}

static void arena_release(struct arena *a)
{
	while (a->head) {
		struct arena_block *b = a->head;

		a->head = b->next;
		mem_free(b);
	}
}

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
};

/* ---- the run ------------------------------------------------------- */

struct run {
	const struct job *job;
	const struct run_opts *opts;
	struct rules *rules;
	struct store *store;
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
};

static void logf_(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logf_(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->opts->log)
		return;
	sbuf_reset(&r->line);
	va_start(ap, fmt);
	sbuf_vaddf(&r->line, fmt, ap);
	va_end(ap);
	if (!r->line.failed)
		r->opts->log(r->opts->log_ctx, r->line.buf);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int utc_text(int64_t t, struct sbuf *out)
{
	return tstamp_format(t, out);
}

/* "YYYY-MM-DD HH:MM:SS" for binding as a timestamp parameter. */
static int sql_time(int64_t t, struct sbuf *out)
{
	struct sbuf tmp = SBUF_INIT(64);
	int rc;

	rc = tstamp_format(t, &tmp);
	if (rc == 0 && tmp.len == 20) {	/* YYYY-MM-DDTHH:MM:SSZ */
		tmp.buf[10] = ' ';
		rc = sbuf_add(out, tmp.buf, 19);
	} else {
		rc = -1;
	}
	sbuf_release(&tmp);
	return rc;
}

static int add_item(struct run *r, enum outcome oc, const char *severity,
		    const char *key, size_t klen, const struct group *g,
		    const char *rule, const char *where, const char *message,
		    struct error *err);

/* ---- translation: one source ----------------------------------------- */

static int add_total(struct run *r, struct source_stats *st,
		     const struct canon *c, struct error *err)
{
	size_t n;
	const char *cur = canon_get(c, CS_CURRENCY, &n);
	struct total *t = NULL;

	if (!(c->present & CANON_HAS_AMOUNT))
		return 0;
	if (!cur) {
		cur = "";
		n = 0;
	}
	for (size_t i = 0; i < st->ntotals; i++)
		if (strlen(st->totals[i].currency) == n &&
		    memcmp(st->totals[i].currency, cur, n) == 0) {
			t = &st->totals[i];
			break;
		}
	if (!t) {
		struct total *nt;

		if (st->ntotals >= 10000)
			return error_set(err, ERR_DATA,
					 "more than 10000 distinct currencies");
		nt = mem_realloc(st->totals, (st->ntotals + 1) * sizeof(*nt));
		if (!nt)
			return error_set(err, ERR_NOMEM, "out of memory");
		st->totals = nt;
		t = &st->totals[st->ntotals++];
		t->currency = arena_strndup(&r->arena, cur, n);
		t->sum = 0;
		t->count = 0;
		if (!t->currency)
			return error_set(err, ERR_NOMEM, "out of memory");
	}
	if (money_add(t->sum, c->amount, &t->sum) != MONEY_OK)
		return error_set(err, ERR_DATA,
				 "control total of currency '%s' overflows at row %llu",
				 t->currency, (unsigned long long)c->rowno);
	t->count++;
	return 0;
}

/* The value of the source's id column in this row, for messages. */
static const struct value *column(const struct row *row, const char *name);

static void row_id(const struct job_source *src, const struct row *row,
		   struct sbuf *out)
{
	const struct value *v = src->id_column ? column(row, src->id_column)
					       : NULL;

	sbuf_reset(out);
	if (v && v->type == VAL_INT)
		sbuf_addf(out, "%lld", (long long)v->i);
	else if (v && v->s)	/* a NUL shown as \0, never cut there; an
				 * id over 4096 bytes cut visibly */
		text_add_clean(out, v->s, v->len, CANON_STR_CAP);
	if (!out->len)
		sbuf_addf(out, "row %llu", (unsigned long long)row->rowno);
}

static int json_str(struct sbuf *sb, const char *s);

/* ---- incremental reading (docs/INCREMENTAL.md, incr.h) ---------------- */

static const struct value *column(const struct row *row, const char *name)
{
	for (size_t i = 0; i < row->ncols; i++)
		if (strcmp(row->names[i], name) == 0)
			return &row->vals[i];
	return NULL;
}

/* The row's id-column value as text into out: 1, or 0 if NULL/absent. */
static int id_value(const struct job_source *src, const struct row *row,
		    struct sbuf *out)
{
	const struct value *v = column(row, src->id_column);

	sbuf_reset(out);
	if (!v || v->type == VAL_NULL)
		return 0;
	if (v->type == VAL_INT)
		sbuf_addf(out, "%lld", (long long)v->i);
	else if (v->s)
		sbuf_add(out, v->s, v->len);
	return 1;
}

/*
 * The bound parameters of a query: as-of and window start as timestamps,
 * the watermark (incremental queries; NULL wm for full ones) as a
 * timestamp or text by its type, literals as text. Caller frees.
 */
static struct param *bind_params(const struct run *r,
				 const struct job_param *jp, size_t n,
				 const struct sbuf *wm, int wm_is_time,
				 struct error *err)
{
	struct param *p = mem_calloc(n ? n : 1, sizeof(*p));

	if (!p) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sbuf *sb = jp[i].kind == JP_AS_OF ? &r->as_of_text
				       : jp[i].kind == JP_WINDOW_START ? &r->window_text
				       : jp[i].kind == JP_WATERMARK ? wm : NULL;

		if (jp[i].kind == JP_WATERMARK && !wm) {
			mem_free(p);
			error_set(err, ERR_INTERNAL, "a watermark parameter "
				  "outside an incremental query");
			return NULL;
		}
		p[i].s = sb ? sb->buf : jp[i].literal;
		p[i].len = sb ? sb->len : strlen(jp[i].literal);
		p[i].type = jp[i].kind == JP_LITERAL ? PARAM_TEXT
			    : jp[i].kind != JP_WATERMARK || wm_is_time
			    ? PARAM_TIMESTAMP : PARAM_TEXT;
	}
	return p;
}

static int see_watermark(const struct job_source *src, struct source_stats *st,
			 const struct row *row, struct error *err)
{
	const struct value *v = column(row, src->watermark);

	if (!v)
		return error_set(err, ERR_SOURCE, "the query returns no "
				 "watermark column '%s'", src->watermark);
	return incr_wm_see(&st->wm, v, err);
}

/* A full read's row into the new state file (and the watermark). t is
 * rules_translate()'s result: 1 kept, 0 skipped, -2 failed. */
static int state_row(struct run *r, size_t si, const struct row *row,
		     const uint8_t *fp, int t, const struct canon *rec,
		     const struct sbuf *fail, struct error *err)
{
	const struct job_source *src = &r->job->sources[si];
	struct source_stats *st = &r->stats[si];
	enum incr_kind k = t == 1 ? INCR_KEPT : t == 0 ? INCR_SKIPPED
					       : INCR_FAILED;

	if (!st->sw)
		return 0;
	if (see_watermark(src, st, row, err) < 0)
		return -1;
	/* a NULL id is stored as "": such a row cannot be replaced by an
	 * incremental run, which then reads the source in full */
	id_value(src, row, &r->incr_id);
	return incr_writer_add(st->sw, k, r->incr_id.buf, r->incr_id.len, fp,
			       k == INCR_KEPT ? rec : NULL, fail->buf,
			       k == INCR_FAILED ? fail->len : 0, err);
}

/* Feed one entry of the merged picture to the matcher, the counters and
 * the new state file, exactly as a full read of that row would. */
static int deliver(struct run *r, size_t si, struct incr_entry *e,
		   struct error *err)
{
	const struct job_source *src = &r->job->sources[si];
	struct source_stats *st = &r->stats[si];
	int rc = 0;

	st->read++;
	rowfp_sum_add(st->rows_sum, e->fp);
	if (incr_writer_add_raw(st->sw, e->raw, e->raw_len, err) < 0)
		return -1;
	switch (e->kind) {
	case INCR_KEPT:
		st->kept++;
		e->rec.source = (uint16_t)si;
		e->rec.rowno = st->read;	/* position in the picture */
		e->rec.flags = 0;
		if (add_total(r, st, &e->rec, err) < 0 ||
		    match_add(r->match, &e->rec, err) < 0)
			rc = error_context(err, "row '%.*s'", (int)e->id_len,
					   e->id);
		break;
	case INCR_SKIPPED:
		st->skipped++;
		break;
	case INCR_FAILED: {
		struct sbuf key = SBUF_INIT(65536), msg = SBUF_INIT(65536);

		st->failed++;
		sbuf_addf(&key, "%s:", src->name);
		text_add_clean(&key, e->id, e->id_len, CANON_STR_CAP);
		sbuf_add(&msg, e->msg, e->msg_len);
		if (!st->first_fail && !msg.failed &&
		    !(st->first_fail = arena_strndup(&r->arena, msg.buf,
						     msg.len))) {
			sbuf_release(&key);
			sbuf_release(&msg);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
		rc = add_item(r, OUT_RULE_ERROR, "error", key.buf, key.len,
			      NULL, src->translate, NULL, msg.buf, err);
		sbuf_release(&key);
		sbuf_release(&msg);
		break;
	}
	default:
		rc = error_set(err, ERR_INTERNAL, "state entry of kind %d",
			       (int)e->kind);
		break;
	}
	return rc;
}

/* The scope column says the row is no longer in the full query's
 * result: NULL, 0, or text "0"/"f"/"false"/"". An approximate value the
 * connector could not prove exact (value.approx, its i left 0) is never
 * zero, since zero is exact: it is in scope. */
static int out_of_scope(const struct value *v)
{
	if (!v || v->type == VAL_NULL)
		return v != NULL;
	if (v->type == VAL_INT || v->type == VAL_TIME || v->type == VAL_DEC)
		return v->i == 0 && !v->approx;
	return v->len == 0 || (v->len == 1 && (v->s[0] == '0' ||
					       v->s[0] == 'f')) ||
	       (v->len == 5 && memcmp(v->s, "false", 5) == 0);
}

/* The row as the full query returns it, for its fingerprint: without
 * the scope column when that is the last one (as the demo job writes it),
 * so that a changed row fingerprints like the same row read in full. */
static const struct row *fp_view(const struct job_source *src,
				 const struct row *row, struct row *view)
{
	if (!src->scope_column || !row->ncols ||
	    strcmp(row->names[row->ncols - 1], src->scope_column) != 0)
		return row;
	*view = *row;
	view->ncols--;
	return view;
}

/* Fetch and translate the changed rows into ch. 0, 1 if the source must
 * be read in full instead (why says it), -1. */
static int read_changes(struct run *r, struct rules *rules, size_t si,
			struct incr_changes *ch, struct sbuf *why,
			struct error *err)
{
	const struct job_source *src = &r->job->sources[si];
	struct source_stats *st = &r->stats[si];
	struct conn *conn = NULL;
	struct cursor *cur = NULL;
	struct prefetch *pf = NULL;
	struct param *params = NULL;
	struct canon rec;
	struct rowfp fpr;
	uint8_t fp[32];
	struct sbuf fail = SBUF_INIT(65536), wmtext = SBUF_INIT(CANON_STR_CAP + 64);
	struct row view;
	int rc = -1;

	canon_init(&rec);
	rowfp_init(&fpr);
	if (incr_wm_text(&st->hdr.wm, &wmtext) < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	params = bind_params(r, src->inc_params, src->ninc_params, &wmtext,
			     st->hdr.wm.type == WM_TIME, err);
	if (!params)
		goto out;
	if (conn_open_source(src->dsn, &conn, err) < 0 ||
	    cursor_open(conn, src->inc_query, params, src->ninc_params, 0,
			&cur, err) < 0)
		goto out;
	cursor_id_column(cur, src->id_column);	/* DATA errors name the row */
	if (prefetch_start(cur, &pf, err) < 0)
		goto out;
	for (;;) {
		const struct row *row;
		int n = prefetch_next(pf, &row, err), t;
		enum incr_kind k;

		if (n < 0 || stop_check(err, "reading") < 0)
			goto out;
		if (n == 0)
			break;
		st->fetched++;
		if (see_watermark(src, st, row, err) < 0 ||
		    rowfp_row(&fpr, fp_view(src, row, &view), fp, err) < 0)
			goto out;
		if (!id_value(src, row, &r->incr_id)) {
			sbuf_addf(why, "a changed row (row %llu) has no %s",
				  (unsigned long long)row->rowno,
				  src->id_column);
			rc = 1;
			goto out;
		}
		canon_reset(&rec, src->role, (uint16_t)si, row->rowno);
		memcpy(rec.fp, fp, sizeof(rec.fp));
		sbuf_reset(&fail);
		if (src->scope_column &&
		    out_of_scope(column(row, src->scope_column))) {
			k = INCR_REMOVED;
		} else {
			t = rules_translate(rules, si, row, &rec, &fail, err);
			if (t == -1) {
				error_context(err, "row '%s'", r->incr_id.buf);
				goto out;
			}
			/* Skipped: with a scope column the row is still in
			 * the full query's result (a full read would count
			 * it as skipped); without one it may have left it. */
			k = t == 1 ? INCR_KEPT
			    : t == -2 ? INCR_FAILED
			    : src->scope_column ? INCR_SKIPPED : INCR_REMOVED;
		}
		t = incr_changes_put(ch, k, r->incr_id.buf, r->incr_id.len, fp,
				     k == INCR_KEPT ? &rec : NULL, fail.buf,
				     k == INCR_FAILED ? fail.len : 0, err);
		if (t < 0)
			goto out;
		if (t == 1) {
			sbuf_addf(why, "two changed rows have %s '%s'",
				  src->id_column, r->incr_id.buf);
			rc = 1;
			goto out;
		}
	}
	rc = 0;
out:
	prefetch_free(pf);
	cursor_close(cur);
	conn_close(conn);
	mem_free(params);
	canon_release(&rec);
	rowfp_release(&fpr);
	sbuf_release(&fail);
	sbuf_release(&wmtext);
	return rc;
}

/* Is the row in the full query's result as far as <keys> says (always,
 * without <keys>; a NULL id is kept as it is until a full read)? */
static int in_keys(const struct incr_ids *ids, const char *id, size_t n)
{
	return !ids || !n || incr_ids_find(ids, id, n) >= 0;
}

/*
 * The source's <keys> query: the id of every row of the full query's
 * result, into ids. 0 or -1.
 */
static int read_keys(struct run *r, size_t si, struct incr_ids *ids,
		     struct error *err)
{
	const struct job_source *src = &r->job->sources[si];
	struct conn *conn = NULL;
	struct cursor *cur = NULL;
	struct param *params;
	const struct row *row;
	int rc = -1, n;

	params = bind_params(r, src->keys_params, src->nkeys_params, NULL, 0,
			     err);
	if (!params)
		return -1;
	if (conn_open_source(src->dsn, &conn, err) < 0 ||
	    cursor_open(conn, src->keys_query, params, src->nkeys_params, 0,
			&cur, err) < 0) {
		error_context(err, "the <keys> query");
		goto out;
	}
	cursor_id_column(cur, src->id_column);
	while ((n = cursor_next(cur, &row, err)) == 1) {
		if (stop_check(err, "reading") < 0)
			goto out;
		if (row->rowno == 1 && !column(row, src->id_column)) {
			error_set(err, ERR_JOB, "the <keys> query returns no "
				  "column %s (id-column=)", src->id_column);
			goto out;
		}
		if (!id_value(src, row, &r->incr_id))
			continue;	/* NULL ids: kept until a full read */
		/* an id twice (a duplicate key the matcher reports) is
		 * one member of the set: only membership is asked */
		if (incr_ids_add(ids, r->incr_id.buf, r->incr_id.len, err) < 0)
			goto out;
	}
	if (n < 0) {
		error_context(err, "the <keys> query");
		goto out;
	}
	rc = 0;
out:
	cursor_close(cur);
	conn_close(conn);
	mem_free(params);
	return rc;
}

/*
 * Incremental fetching, full matching: the changed rows replace theirs in
 * the previous state, which is streamed to the matcher. Returns 0, 1 to
 * read the source in full instead (nothing was fed to the matcher yet),
 * or -1. A row the rule skips in an incremental run left the picture (it
 * may have left the query's result; a full read would not see it).
 */
static int read_incremental(struct run *r, struct rules *rules, size_t si,
			    struct error *err)
{
	const struct job_source *src = &r->job->sources[si];
	struct source_stats *st = &r->stats[si];
	struct incr_changes *ch = NULL;
	struct incr_ids *ids = NULL;
	struct incr_entry e, ce;
	struct sbuf why = SBUF_INIT(65536);
	uint64_t removed = 0, changed = 0, added = 0, left = 0;
	int rc = -1, n;

	/* the watermark starts from the previous run's */
	st->wm.type = st->hdr.wm.type;
	st->wm.i = st->hdr.wm.i;
	sbuf_reset(&st->wm.s);
	if (sbuf_add(&st->wm.s, st->hdr.wm.s.buf, st->hdr.wm.s.len) < 0 ||
	    incr_changes_new(&ch, err) < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = read_changes(r, rules, si, ch, &why, err);
	if (rc != 0)
		goto out;
	if (src->keys_query) {
		if (incr_ids_new(&ids, err) < 0)
			goto out;
		if (read_keys(r, si, ids, err) < 0)
			goto out;
	}
	rc = -1;
	/* pass 1: every changed id at most once in the previous state (ids
	 * are unique in the source, or the merge could not be exact); the
	 * keys the previous state has */
	while ((n = incr_reader_next(st->rd, &e, err)) == 1) {
		long i = incr_changes_find(ch, e.id, e.id_len);

		if (stop_check(err, "reading") < 0)
			goto out;

		if (ids && e.id_len) {
			long k = incr_ids_find(ids, e.id, e.id_len);

			if (k >= 0)
				incr_ids_mark(ids, (size_t)k);
		}
		if (i < 0)
			continue;
		if (!e.id_len || incr_changes_seen(ch, (size_t)i)) {
			sbuf_addf(&why, "%s '%.*s' is not unique in the "
				  "previous state", src->id_column,
				  (int)e.id_len, e.id);
			rc = 1;
			goto out;
		}
		incr_changes_mark(ch, (size_t)i);
	}
	if (n < 0 || incr_reader_rewind(st->rd, err) < 0)
		goto out;
	/* a row in the result that is neither in the previous state nor
	 * changed entered it without a change (as-of moved past its date,
	 * or the watermark missed it): only a full read has it */
	for (size_t k = 0; ids && k < incr_ids_count(ids); k++) {
		size_t len;
		const char *id;

		if (incr_ids_marked(ids, k))
			continue;
		id = incr_ids_get(ids, k, &len);
		if (incr_changes_find(ch, id, len) >= 0)
			continue;
		sbuf_addf(&why, "%s '%.*s' is in the <keys> result but neither "
			  "in the previous state nor changed", src->id_column,
			  (int)len, id);
		rc = 1;
		goto out;
	}
	/* pass 2: the merge. With <keys>, a row is in the result only if
	 * its id is in the keys (a changed row too: the incremental query
	 * may not say that it left) */
	while ((n = incr_reader_next(st->rd, &e, err)) == 1) {
		long i = incr_changes_find(ch, e.id, e.id_len);

		if (stop_check(err, "reading") < 0)
			goto out;

		if (i >= 0) {
			incr_changes_get(ch, (size_t)i, &ce);
			if (ce.kind == INCR_REMOVED) {
				removed++;
				continue;
			}
			if (!in_keys(ids, ce.id, ce.id_len)) {
				left++;
				continue;
			}
			changed++;
			if (deliver(r, si, &ce, err) < 0)
				goto out;
		} else if (!in_keys(ids, e.id, e.id_len)) {
			left++;	/* deleted, or out of scope unchanged */
		} else if (deliver(r, si, &e, err) < 0) {
			goto out;
		}
	}
	if (n < 0)
		goto out;
	/* new ids, in the order the changed-rows query returned them */
	for (size_t i = 0; i < incr_changes_count(ch); i++) {
		if (incr_changes_seen(ch, i))
			continue;
		incr_changes_get(ch, i, &ce);
		if (ce.kind == INCR_REMOVED)
			continue;
		if (!in_keys(ids, ce.id, ce.id_len)) {
			left++;
			continue;
		}
		added++;
		if (deliver(r, si, &ce, err) < 0)
			goto out;
	}
	if (ids)
		logf_(r, "source '%s': <keys>: %zu rows in the result, %llu "
		      "left it without a change", src->name,
		      incr_ids_count(ids), (unsigned long long)left);
	logf_(r, "source '%s': incremental: %llu changed rows fetched "
	      "(%llu replaced, %llu removed, %llu new), %llu carried over",
	      src->name, (unsigned long long)st->fetched,
	      (unsigned long long)changed, (unsigned long long)removed,
	      (unsigned long long)added,
	      (unsigned long long)(st->read - changed - added));
	rc = 0;
out:
	if (rc == 1)
		logf_(r, "source '%s': reading in full: %s", src->name, why.buf);
	incr_changes_free(ch);
	incr_ids_free(ids);
	sbuf_release(&why);
	return rc;
}

/* Open this run's state files and decide, per source with an
 * <incremental> query, whether it can be read incrementally: only from
 * a valid state file written by the job's last published run under the
 * same source definition and rules. */
static int incr_prepare(struct run *r, struct error *err)
{
	const struct job *job = r->job;
	struct sbuf why = SBUF_INIT(65536);
	int any = 0, asked = 0, rc = -1;

	sbuf_init(&r->state_dir, 8192);
	sbuf_init(&r->watermarks, SBUF_CAP_DEFAULT);
	sbuf_init(&r->incr_id, 65536);
	sbuf_init(&r->fingerprint, 128);
	for (size_t i = 0; i < job->nsources; i++) {
		incr_wm_init(&r->stats[i].wm);
		incr_header_init(&r->stats[i].hdr);
		any |= job->sources[i].inc_query != NULL;
	}
	r->incr_ready = 1;
	if (!any)
		return 0;
	if (r->opts->state_dir)
		sbuf_addstr(&r->state_dir, r->opts->state_dir);
	else
		incr_default_dir(job, &r->state_dir);
	if (r->state_dir.failed)
		return error_set(err, ERR_NOMEM, "state directory name too long");
	if (incr_mkdirs(r->state_dir.buf, err) < 0)
		return -1;
	for (size_t i = 0; i < job->nsources; i++) {
		const struct job_source *src = &job->sources[i];
		struct source_stats *st = &r->stats[i];
		int current = 0, o;
		uint64_t count = 0;
		struct sbuf pubwm = SBUF_INIT(SBUF_CAP_DEFAULT);

		if (!src->inc_query)
			continue;
		if (incr_writer_open(r->state_dir.buf, src->name, &st->sw,
				     err) < 0)
			goto out;
		if (!r->opts->incremental)
			continue;
		sbuf_reset(&why);
		o = incr_reader_open(r->state_dir.buf, src->name, &st->hdr,
				     &st->rd, &why, err);
		if (o < 0)
			goto out;
		if (o == 0 && (incr_source_fingerprint(src, rules_hash(r->rules),
						       &r->fingerprint, err) < 0))
			goto out;
		if (o == 0 && strcmp(r->fingerprint.buf,
				     st->hdr.fingerprint.buf) != 0) {
			sbuf_addstr(&why, "the source's queries or the rules "
				    "changed since the state was written");
			o = 1;
		}
		if (o == 0) {
			if (incr_published(job, st->hdr.run_id.buf, st->hdr.runs,
					   &current, &count, &pubwm, err) < 0) {
				sbuf_release(&pubwm);
				goto out;
			}
			asked = 1;
			r->runs_before = count;
			if (!current) {
				sbuf_addf(&why, "the state was written by run %s, "
					  "which is not the job's last published "
					  "run", st->hdr.run_id.buf);
				o = 1;
			} else if (pubwm.len &&
				   strcmp(pubwm.buf, st->hdr.watermarks.buf) != 0) {
				sbuf_addstr(&why, "the store's watermarks differ "
					    "from the state's");
				o = 1;
			} else if (st->hdr.wm.type == WM_NONE) {
				sbuf_addstr(&why, "the last run saw no watermark "
					    "value");
				o = 1;
			}
		}
		sbuf_release(&pubwm);
		if (o == 1) {
			logf_(r, "source '%s': reading in full: %s", src->name,
			      why.buf);
			incr_reader_free(st->rd);
			st->rd = NULL;
			continue;
		}
		st->incremental = 1;
	}
	if (!asked) {
		int current;
		struct sbuf pubwm = SBUF_INIT(SBUF_CAP_DEFAULT);

		rc = incr_published(job, NULL, 0, &current, &r->runs_before,
				    &pubwm, err);
		sbuf_release(&pubwm);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	sbuf_release(&why);
	return rc;
}

/* Before the store commit: the watermarks JSON for the runs ledger, and
 * every new state file written through and fsync'ed (still under its
 * temporary name). */
static int incr_finish(struct run *r, struct error *err)
{
	const struct job *job = r->job;
	struct sbuf val = SBUF_INIT(CANON_STR_CAP + 64);
	int first = 1;

	sbuf_reset(&r->watermarks);
	sbuf_addch(&r->watermarks, '{');
	for (size_t i = 0; i < job->nsources; i++) {
		struct source_stats *st = &r->stats[i];

		if (!st->sw)
			continue;
		r->incremental |= st->incremental;
		sbuf_reset(&val);
		incr_wm_text(&st->wm, &val);
		if (!first)
			sbuf_addch(&r->watermarks, ',');
		first = 0;
		json_str(&r->watermarks, job->sources[i].name);
		sbuf_addstr(&r->watermarks, ":{\"column\":");
		json_str(&r->watermarks, job->sources[i].watermark);
		sbuf_addstr(&r->watermarks, ",\"type\":");
		json_str(&r->watermarks, st->wm.type == WM_TIME ? "time"
					 : st->wm.type == WM_INT ? "int"
					 : st->wm.type == WM_TEXT ? "text" : "none");
		sbuf_addstr(&r->watermarks, ",\"value\":");
		if (st->wm.type == WM_NONE)
			sbuf_addstr(&r->watermarks, "null");
		else
			json_str(&r->watermarks, val.buf);
		sbuf_addf(&r->watermarks, ",\"mode\":\"%s\",\"fetched\":%llu}",
			  st->incremental ? "incremental" : "full",
			  (unsigned long long)(st->incremental ? st->fetched
							       : st->read));
	}
	sbuf_addch(&r->watermarks, '}');
	sbuf_release(&val);
	if (r->watermarks.failed)
		return error_set(err, ERR_NOMEM, "out of memory (watermarks)");
	for (size_t i = 0; i < job->nsources; i++) {
		struct source_stats *st = &r->stats[i];
		struct incr_header h;
		int rc;

		if (!st->sw)
			continue;
		incr_header_init(&h);
		sbuf_add(&h.run_id, r->run_id.buf, r->run_id.len);
		sbuf_add(&h.watermarks, r->watermarks.buf, r->watermarks.len);
		h.runs = r->runs_before + 1;
		h.wm.type = st->wm.type;
		h.wm.i = st->wm.i;
		sbuf_add(&h.wm.s, st->wm.s.buf, st->wm.s.len);
		rc = incr_source_fingerprint(&job->sources[i],
					     rules_hash(r->rules),
					     &h.fingerprint, err);
		if (rc == 0 && (h.run_id.failed || h.watermarks.failed ||
				h.wm.s.failed))
			rc = error_set(err, ERR_NOMEM, "out of memory");
		if (rc == 0)
			rc = incr_writer_finish(st->sw, &h, err);
		incr_header_release(&h);
		if (rc < 0)
			return error_context(err, "source '%s'",
					     job->sources[i].name);
	}
	return 0;
}

/* After the store commit: the new state files take over. A failure here
 * leaves the previous state, which no longer belongs to the last
 * published run, so the next incremental run reads in full: logged, not
 * an error (the run is published). */
static void incr_publish(struct run *r)
{
	for (size_t i = 0; i < r->job->nsources; i++) {
		struct source_stats *st = &r->stats[i];
		struct error e;

		if (!st->sw)
			continue;
		error_init(&e);
		if (incr_writer_commit(st->sw, &e) < 0)
			logf_(r, "warning: source '%s': %s (the next incremental "
			      "run reads it in full)", r->job->sources[i].name,
			      e.msg.buf);
		error_release(&e);
	}
}

static void incr_release(struct run *r)
{
	if (!r->incr_ready)
		return;
	for (size_t i = 0; i < r->job->nsources; i++) {
		incr_writer_free(r->stats[i].sw);
		incr_reader_free(r->stats[i].rd);
		incr_wm_release(&r->stats[i].wm);
		incr_header_release(&r->stats[i].hdr);
	}
	sbuf_release(&r->state_dir);
	sbuf_release(&r->watermarks);
	sbuf_release(&r->incr_id);
	sbuf_release(&r->fingerprint);
}

/* The job names columns the query must return: say so on the first row
 * instead of silently naming rows by number or missing watermarks. */
static int check_columns(const struct job_source *src, const struct row *row,
			 struct error *err)
{
	struct sbuf cols = SBUF_INIT(1 << 16);

	if (!src->id_column || column(row, src->id_column))
		return 0;
	for (size_t i = 0; i < row->ncols; i++)
		sbuf_addf(&cols, "%s%s", i ? ", " : "", row->names[i]);
	error_set(err, ERR_JOB, "id-column '%s' is not a column of the "
		  "query's result (columns: %s)", src->id_column,
		  cols.failed ? "?" : cols.buf);
	sbuf_release(&cols);
	return -1;
}

static int read_source(struct run *r, struct rules *rules, size_t si,
		       struct error *err)
{
	const struct job_source *src = &r->job->sources[si];
	struct source_stats *st = &r->stats[si];
	struct conn *conn = NULL;
	struct cursor *cur = NULL;
	struct prefetch *pf = NULL;
	struct param *params = NULL;
	struct canon rec;
	struct rowfp fpr;
	uint8_t fp[32];
	struct sbuf fail = SBUF_INIT(65536), id = SBUF_INIT(65536);
	double t0 = now_seconds();
	int rc = -1;

	canon_init(&rec);
	rowfp_init(&fpr);
	if (st->incremental) {
		rc = read_incremental(r, rules, si, err);
		if (rc <= 0)
			goto guard;
		/* read in full after all: forget what the attempt saw */
		rc = -1;
		st->incremental = 0;
		st->read = st->kept = st->skipped = st->failed = 0;
		st->first_fail = NULL;
		incr_wm_release(&st->wm);
		incr_wm_init(&st->wm);
	}
	params = bind_params(r, src->params, src->nparams, NULL, 0, err);
	if (!params)
		goto out;
	if (conn_open_source(src->dsn, &conn, err) < 0 ||
	    cursor_open(conn, src->query, params, src->nparams, 0, &cur, err) < 0)
		goto out;
	cursor_id_column(cur, src->id_column);	/* DATA errors name the row */
	if (prefetch_start(cur, &pf, err) < 0)
		goto out;
	for (;;) {
		const struct row *row;
		int n = prefetch_next(pf, &row, err), t;

		/* a safe point per row (stop.h): fetching, the translation
		 * rule and the matcher's spill files are all behind it */
		if (n < 0 || stop_check(err, "reading") < 0)
			goto out;
		if (n == 0)
			break;
		st->read++;
		if (st->read == 1 && check_columns(src, row, err) < 0)
			goto out;
		if (rowfp_row(&fpr, row, fp, err) < 0)
			goto out;
		rowfp_sum_add(st->rows_sum, fp);
		canon_reset(&rec, src->role, (uint16_t)si, row->rowno);
		memcpy(rec.fp, fp, sizeof(rec.fp));
		sbuf_reset(&fail);
		t = rules_translate(rules, si, row, &rec, &fail, err);
		if (t == -1) {
			row_id(src, row, &id);
			error_context(err, "row '%s'", id.buf);
			goto out;
		}
		if (state_row(r, si, row, fp, t, &rec, &fail, err) < 0) {
			row_id(src, row, &id);
			error_context(err, "row '%s'", id.buf);
			goto out;
		}
		if (t == 0) {
			st->skipped++;
			continue;
		}
		if (t == -2) {
			struct sbuf key = SBUF_INIT(65536);

			st->failed++;
			if (!st->first_fail &&
			    !(st->first_fail = arena_strndup(&r->arena, fail.buf,
							     fail.len))) {
				sbuf_release(&key);
				error_set(err, ERR_NOMEM, "out of memory");
				goto out;
			}
			row_id(src, row, &id);
			sbuf_addf(&key, "%s:%s", src->name, id.buf);
			t = add_item(r, OUT_RULE_ERROR, "error", key.buf, key.len,
				     NULL, src->translate, NULL, fail.buf, err);
			sbuf_release(&key);
			if (t < 0)
				goto out;
			continue;
		}
		st->kept++;
		if (add_total(r, st, &rec, err) < 0 ||
		    match_add(r->match, &rec, err) < 0) {
			row_id(src, row, &id);
			error_context(err, "row '%s'", id.buf);
			goto out;
		}
	}
	rc = 0;
guard:
	/* rc: 0, or -1 from a failed incremental read (err set) */
	if (rc == 0 && st->read == 0 && !src->allow_empty) {
		rc = -1;
		error_set(err, ERR_GUARD,
			  "the query returned no rows; refusing to publish a "
			  "reconciliation that would call everything missing "
			  "(check the source, or the as-of and window; "
			  "allow-empty=\"true\" on the source if this is normal)");
	}
out:
	st->seconds = now_seconds() - t0;
	if (rc < 0)
		error_context(err, "source '%s'", src->name);
	else
		logf_(r, "source '%s': %llu rows read, %llu kept, %llu skipped, "
		      "%llu rule errors (%.2f s)", src->name,
		      (unsigned long long)st->read,
		      (unsigned long long)st->kept,
		      (unsigned long long)st->skipped,
		      (unsigned long long)st->failed, st->seconds);
	prefetch_free(pf);	/* before the cursor it reads */
	cursor_close(cur);
	conn_close(conn);
	mem_free(params);
	canon_release(&rec);
	rowfp_release(&fpr);
	sbuf_release(&fail);
	sbuf_release(&id);
	return rc;
}

/* ---- reading every source ------------------------------------------- */

/* Sources are read one after another (each with its own fetch thread,
 * see prefetch.h), so at most one driver result set is in memory. */
static int read_sources(struct run *r, struct error *err)
{
	if (incr_prepare(r, err) < 0)
		return -1;
	for (size_t i = 0; i < r->job->nsources; i++)
		if (read_source(r, r->rules, i, err) < 0)
			return -1;
	return 0;
}

/* ---- classification -------------------------------------------------- */

static char *dup_field(struct run *r, const struct canon *c, enum canon_str f)
{
	size_t n;
	const char *s;

	if (!c)
		return NULL;
	s = canon_get(c, f, &n);
	return s ? arena_strndup(&r->arena, s, n) : NULL;
}

static char *dup_amount(struct run *r, int has, int64_t v)
{
	struct sbuf sb = SBUF_INIT(64);
	char *p = NULL;

	if (!has)
		return NULL;
	if (money_format(v, 2, &sb) == 0)
		p = arena_strndup(&r->arena, sb.buf, sb.len);
	sbuf_release(&sb);
	return p;
}

static const struct canon *group_main(const struct group *g)
{
	return g->order ? g->order : g->deal;
}

static int add_item(struct run *r, enum outcome oc, const char *severity,
		    const char *key, size_t klen, const struct group *g,
		    const char *rule, const char *where, const char *message,
		    struct error *err)
{
	struct report_item *it;

	if (r->nitems == r->aitems) {
		size_t na = r->aitems ? r->aitems * 2 : 256, bytes;
		void *p;

		if (mem_mul(na, sizeof(*r->items), &bytes) < 0 ||
		    !(p = mem_realloc(r->items, bytes)))
			return error_set(err, ERR_NOMEM,
					 "out of memory (exception lines)");
		r->items = p;
		r->aitems = na;
	}
	it = &r->items[r->nitems];
	memset(it, 0, sizeof(*it));
	it->outcome = outcome_table[oc].code;
	it->severity = severity;
	it->key = arena_strndup(&r->arena, key, klen);
	it->rule = rule ? arena_strndup(&r->arena, rule, strlen(rule)) : NULL;
	it->where = where ? arena_strndup(&r->arena, where, strlen(where)) : NULL;
	it->message = message ? arena_strndup(&r->arena, message,
					      strlen(message))
			      : outcome_table[oc].description;
	if (!it->key)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (g) {
		const struct canon *m = group_main(g);

		it->deal_key = dup_field(r, g->deal, CS_KEY);
		it->order_key = dup_field(r, g->order, CS_KEY);
		it->customer = dup_field(r, m, CS_CUSTOMER);
		it->currency = dup_field(r, m, CS_CURRENCY);
		it->name = dup_field(r, g->deal, CS_NAME);
		if (!it->name)
			it->name = dup_field(r, m, CS_NAME);
		if (g->deal)
			it->deal_amount = dup_amount(r, g->deal->present &
							CANON_HAS_AMOUNT,
						     g->deal->amount);
		if (g->order)
			it->order_amount = dup_amount(r, g->order->present &
							 CANON_HAS_AMOUNT,
						      g->order->amount);
		if (g->erp) {
			int inv = g->erp->ninvoices + g->erp->ncredits > 0;

			it->erp_amount = dup_amount(r, 1, inv ? g->erp->invoiced
							      : g->erp->ordered);
			if (!it->currency && g->erp->currency)
				it->currency = arena_strndup(&r->arena,
							     g->erp->currency,
							     g->erp->currency_len);
		}
	}
	r->nitems++;
	r->counts[oc]++;
	return 0;
}

static int json_str(struct sbuf *sb, const char *s)
{
	sbuf_addch(sb, '"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			sbuf_addf(sb, "\\%c", c);
		else if (c < 0x20)
			sbuf_addf(sb, "\\u%04x", c);
		else
			sbuf_addch(sb, c);
	}
	return sbuf_addch(sb, '"');
}

static const char *const severity_names[] = { "error", "warning", "info" };

/* One part of a record's `sources` JSON: "role":{"source":..,"sha256":..}.
 * No row position: it follows the order the driver returns rows in (and
 * differs between a full and an incremental run), and the published
 * record must not (docs/LEDGER.md, "Provenance"). */
static void source_part(struct run *r, const char *role, const struct canon *c,
			struct sbuf *out)
{
	char hex[65];

	rowfp_hex(c->fp, hex);
	if (out->len > 1)
		sbuf_addch(out, ',');
	sbuf_addf(out, "\"%s\":{\"source\":", role);
	json_str(out, r->job->sources[c->source].name);
	sbuf_addf(out, ",\"sha256\":\"%s\"}", hex);
}

/* The record's `sources` column: fingerprints of the deal and order rows
 * and of the ERP documents (docs/LEDGER.md). */
static int sources_json(struct run *r, const struct group *g, struct sbuf *out)
{
	sbuf_reset(out);
	sbuf_addch(out, '{');
	if (g->deal)
		source_part(r, "deal", g->deal, out);
	if (g->order)
		source_part(r, "order", g->order, out);
	if (g->erp) {
		char hex[65];

		rowfp_hex(g->erp->docs_fp, hex);
		if (out->len > 1)
			sbuf_addch(out, ',');
		sbuf_addf(out, "\"erp\":{\"docs\":%u,\"sha256\":\"%s\"}",
			  g->erp->ndocs, hex);
	}
	sbuf_addch(out, '}');
	return out->failed ? -1 : 0;
}

/* Count a reconciled record under its primary outcome, with its amount
 * (the order's, else the deal's, else the ERP documents') per currency. */
static int outcome_total(struct run *r, enum outcome oc, const struct group *g,
			 struct error *err)
{
	struct source_stats *st = &r->ostats[oc];
	const struct canon *m = g->order ? g->order : g->deal;
	struct canon c;

	st->read++;
	if (m && (m->present & CANON_HAS_AMOUNT))
		return add_total(r, st, m, err);
	if (!g->erp)
		return 0;
	/* an ERP-only record: its documents' amount and currency */
	canon_init(&c);
	c.present = CANON_HAS_AMOUNT;
	c.amount = g->erp->ninvoices + g->erp->ncredits > 0 ? g->erp->invoiced
							    : g->erp->ordered;
	if (g->erp->currency &&
	    canon_set(&c, CS_CURRENCY, g->erp->currency,
		      g->erp->currency_len) < 0) {
		canon_release(&c);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	{
		int rc = add_total(r, st, &c, err);

		canon_release(&c);
		return rc;
	}
}

struct finding {
	enum outcome oc;
	const struct verdict *v;	/* NULL for structural findings */
};

/* Count the order when one of its rules raised (a verdict with
 * is_error), keeping the first such error for the guard's message. */
static int note_check_failure(struct run *r, const struct group *g,
			      struct error *err)
{
	struct sbuf m = SBUF_INIT(1 << 16);
	const struct verdict *v = NULL;

	for (size_t i = 0; i < r->verdicts.n && !v; i++)
		if (r->verdicts.v[i].is_error)
			v = &r->verdicts.v[i];
	if (!v)
		return 0;
	if (r->check_failed++ || r->first_check_fail)
		return 0;
	sbuf_addstr(&m, "order '");
	text_add_clean(&m, g->key, g->key_len, CANON_STR_CAP);
	sbuf_addstr(&m, "': ");
	if (v->where)
		sbuf_addf(&m, "%s: ", v->where);
	sbuf_addstr(&m, v->message ? v->message : "");
	if (m.failed || !(r->first_check_fail = arena_strndup(&r->arena, m.buf,
							      m.len))) {
		sbuf_release(&m);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	sbuf_release(&m);
	return 0;
}

static int on_group(void *ctx, const struct group *g, unsigned flags,
		    struct error *err)
{
	static const struct { unsigned flag; enum outcome oc; } structural[] = {
		{ MF_NO_DEAL, OUT_ORDER_WITHOUT_DEAL },
		{ MF_NO_ORDER, OUT_DEAL_WITHOUT_ORDER },
		{ MF_NO_ERP, OUT_ORDER_NOT_IN_ERP },
		{ MF_ERP_ORPHAN, OUT_ERP_WITHOUT_ORDER },
		{ MF_DUP_ORDERS, OUT_DUPLICATE_ORDERS },
		{ MF_DUP_ERP, OUT_DUPLICATE_ERP_DOCS },
		{ MF_DUP_KEY, OUT_DUPLICATE_KEY },
	};
	struct run *r = ctx;
	struct finding found[16 + 64];
	size_t nf = 0;
	enum outcome primary = OUT_MATCHED;
	struct store_rec rec;
	uint64_t exc = 0;

	/* a safe point per group: order rules and store inserts follow */
	if (stop_check(err, "matching") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(structural) / sizeof(structural[0]); i++)
		if (flags & structural[i].flag)
			found[nf++] = (struct finding){ structural[i].oc, NULL };
	verdict_list_reset(&r->verdicts);
	if (g->order) {
		double t0 = now_seconds();

		if (rules_check(r->rules, g, &r->verdicts, err) < 0)
			return error_context(err, "order '%.*s'", (int)g->key_len,
					     g->key);
		r->t_rules += now_seconds() - t0;
		r->checked++;
		if (note_check_failure(r, g, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->verdicts.n; i++) {
		const struct verdict *v = &r->verdicts.v[i];
		int oc;

		if (v->severity == VERDICT_INFO && !v->is_error)
			continue;
		if (nf == sizeof(found) / sizeof(found[0]))
			break;	/* more verdicts than lines per record: the
				 * store's JSON still lists them all */
		oc = v->is_error ? OUT_RULE_ERROR
				 : outcome_lookup(v->code, strlen(v->code));
		if (oc < 0 || !outcome_table[oc].is_exception)
			oc = OUT_RULE_FAILED;
		found[nf++] = (struct finding){ (enum outcome)oc, v };
	}
	/* report lines and the primary outcome */
	for (size_t i = 0; i < nf; i++) {
		const struct verdict *v = found[i].v;
		struct sbuf msg = SBUF_INIT(65536);
		int rc;

		if (found[i].oc < primary)
			primary = found[i].oc;
		if (v && found[i].oc == OUT_RULE_FAILED)
			sbuf_addf(&msg, "%s: %s", v->code, v->message);
		else if (v)
			sbuf_addstr(&msg, v->message ? v->message : "");
		rc = add_item(r, found[i].oc,
			      v ? severity_names[v->severity < 3 ? v->severity : 0]
				: "error",
			      g->key, g->key_len, g, v ? v->rule : NULL,
			      v ? v->where : NULL, v ? msg.buf : NULL, err);
		sbuf_release(&msg);
		if (rc < 0)
			return -1;
		exc++;
	}
	if (primary == OUT_MATCHED) {
		if (flags & MF_DEAL_PENDING)
			primary = OUT_PENDING_ORDER;
		else if (flags & MF_ERP_PENDING)
			primary = OUT_PENDING_ERP;
		r->counts[primary]++;
	}
	/* the store record */
	sbuf_reset(&r->codes);
	sbuf_reset(&r->vjson);
	if (nf == 0)
		sbuf_addstr(&r->codes, outcome_table[primary].code);
	for (size_t i = 0; i < nf; i++) {
		if (i)
			sbuf_addch(&r->codes, ' ');
		sbuf_addstr(&r->codes, outcome_table[found[i].oc].code);
	}
	sbuf_addch(&r->vjson, '[');
	for (size_t i = 0; i < r->verdicts.n; i++) {
		const struct verdict *v = &r->verdicts.v[i];

		if (i)
			sbuf_addch(&r->vjson, ',');
		sbuf_addstr(&r->vjson, "{\"rule\":");
		json_str(&r->vjson, v->rule);
		sbuf_addstr(&r->vjson, ",\"code\":");
		json_str(&r->vjson, v->is_error ? "RULE_ERROR" : v->code);
		sbuf_addstr(&r->vjson, ",\"severity\":");
		json_str(&r->vjson, severity_names[v->severity < 3 ? v->severity : 0]);
		sbuf_addstr(&r->vjson, ",\"where\":");
		json_str(&r->vjson, v->where);
		sbuf_addstr(&r->vjson, ",\"message\":");
		json_str(&r->vjson, v->message);
		sbuf_addch(&r->vjson, '}');
	}
	sbuf_addch(&r->vjson, ']');
	memset(&rec, 0, sizeof(rec));
	rec.kind = g->order ? "order" : g->deal ? "deal" : "erp";
	rec.outcome = outcome_table[primary].code;
	rec.codes = r->codes.buf;
	rec.verdicts = r->vjson.buf;
	if (r->codes.failed || r->vjson.failed)
		return error_set(err, ERR_NOMEM, "out of memory (record)");
	{
		/* NUL-terminated copies: the key, then the declared columns
		 * back to back in colbuf (offsets first: it may move) */
		const struct job *job = r->job;
		size_t off[1 + LEDGER_MAX_COLS];
		const char *cols[LEDGER_MAX_COLS];
		int isnull[LEDGER_MAX_COLS];
		int rc;

		sbuf_reset(&r->colbuf);
		off[0] = 0;
		sbuf_add(&r->colbuf, g->key, g->key_len);
		sbuf_addch(&r->colbuf, '\0');
		for (size_t i = 0; i < job->ncolumns; i++) {
			const struct job_column *c = &job->columns[i];

			off[1 + i] = r->colbuf.len;
			rc = pubval_format(c->pv, c->type, g, &r->colbuf);
			isnull[i] = rc == 0;
			sbuf_addch(&r->colbuf, '\0');
		}
		rc = sources_json(r, g, &r->srcjson);
		if (r->colbuf.failed)
			rc = -1;
		if (rc < 0)
			return error_set(err, ERR_NOMEM, "out of memory (record)");
		rec.key = r->colbuf.buf;
		for (size_t i = 0; i < job->ncolumns; i++)
			cols[i] = isnull[i] ? NULL : r->colbuf.buf + off[1 + i];
		rec.cols = cols;
		rec.sources = r->srcjson.buf;
		{
			double t0 = now_seconds();

			rc = store_put(r->store, &rec, r->run_id.buf,
				       rules_hash(r->rules), err);
			r->t_store += now_seconds() - t0;
		}
		if (rc >= 0)
			rc = outcome_total(r, primary, g, err);
		if (rc < 0)
			return -1;
	}
	r->records++;
	(void)exc;
	return 0;
}

static int on_dup(void *ctx, const struct canon *rec, const char *key,
		  size_t key_len, struct error *err)
{
	struct run *r = ctx;
	const struct job_source *src = &r->job->sources[rec->source];
	struct sbuf msg = SBUF_INIT(65536);
	int rc;

	/* No row position (it follows row order) and no fingerprint (it
	 * differs between drivers): the same rows give the same line in
	 * any order and on any database (docs/MATCHING.md). */
	sbuf_addf(&msg, "%s key '%.*s' appears more than once (source '%s'): "
		  "the row with the smallest fingerprint is matched, the "
		  "others are ignored", canon_kind_names[rec->kind],
		  (int)key_len, key, src->name);
	rc = add_item(r, OUT_DUPLICATE_KEY, "error", key, key_len, NULL, NULL,
		      NULL, msg.buf, err);
	sbuf_release(&msg);
	return rc;
}

/* ---- report ---------------------------------------------------------- */

static int item_cmp(const void *a, const void *b)
{
	const struct report_item *x = a, *y = b;
	int ox = outcome_lookup(x->outcome, strlen(x->outcome));
	int oy = outcome_lookup(y->outcome, strlen(y->outcome));
	int c;

	if (ox != oy)
		return ox < oy ? -1 : 1;
	c = strcmp(x->key, y->key);
	if (c)
		return c;
	c = strcmp(x->rule ? x->rule : "", y->rule ? y->rule : "");
	if (c)
		return c;
	c = strcmp(x->message ? x->message : "", y->message ? y->message : "");
	if (c)
		return c;
	/* a total order: lines equal so far still come out the same way
	 * whatever order they were found in */
	{
		const char *const *fx[] = { &x->severity, &x->where, &x->deal_key,
					    &x->order_key, &x->customer,
					    &x->currency, &x->name,
					    &x->deal_amount, &x->order_amount,
					    &x->erp_amount };
		const char *const *fy[] = { &y->severity, &y->where, &y->deal_key,
					    &y->order_key, &y->customer,
					    &y->currency, &y->name,
					    &y->deal_amount, &y->order_amount,
					    &y->erp_amount };

		for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
			if (!*fx[i] != !*fy[i])
				return *fx[i] ? 1 : -1;
			if (*fx[i] && (c = strcmp(*fx[i], *fy[i])))
				return c;
		}
	}
	return 0;
}

static int total_cmp(const void *a, const void *b)
{
	const struct total *x = a, *y = b;

	return strcmp(x->currency, y->currency);
}

/* Control totals per currency in currency order, not in the order the
 * currencies first appeared in (T_runs.totals, outcomes, the report). */
static void totals_finish(struct run *r)
{
	for (size_t i = 0; i < r->job->nsources; i++)
		if (r->stats[i].ntotals > 1)
			qsort(r->stats[i].totals, r->stats[i].ntotals,
			      sizeof(struct total), total_cmp);
	for (int i = 0; i < OUT__COUNT; i++)
		if (r->ostats[i].ntotals > 1)
			qsort(r->ostats[i].totals, r->ostats[i].ntotals,
			      sizeof(struct total), total_cmp);
}

/* Sort the lines; one DUPLICATE_KEY line per key however often it
 * repeats. */
static void items_finish(struct run *r)
{
	size_t w = 0;

	if (!r->nitems)
		return;	/* qsort must not see a NULL array (UBSan) */
	qsort(r->items, r->nitems, sizeof(*r->items), item_cmp);
	for (size_t i = 0; i < r->nitems; i++) {
		if (w && strcmp(r->items[i].outcome, "DUPLICATE_KEY") == 0 &&
		    strcmp(r->items[w - 1].outcome, "DUPLICATE_KEY") == 0 &&
		    strcmp(r->items[w - 1].key, r->items[i].key) == 0) {
			r->counts[OUT_DUPLICATE_KEY]--;
			continue;
		}
		r->items[w++] = r->items[i];
	}
	r->nitems = w;
}

/* "CUR":"amount",... of a stats' currency totals. */
static void amounts_json(const struct source_stats *st, struct sbuf *out)
{
	for (size_t t = 0; t < st->ntotals; t++) {
		if (t)
			sbuf_addch(out, ',');
		json_str(out, st->totals[t].currency);
		sbuf_addch(out, ':');
		sbuf_addch(out, '"');
		money_format(st->totals[t].sum, 2, out);
		sbuf_addch(out, '"');
	}
}

static int totals_json(struct run *r, struct sbuf *out)
{
	sbuf_addch(out, '[');
	for (size_t i = 0; i < r->job->nsources; i++) {
		const struct source_stats *st = &r->stats[i];

		if (i)
			sbuf_addch(out, ',');
		sbuf_addstr(out, "{\"source\":");
		json_str(out, r->job->sources[i].name);
		sbuf_addf(out, ",\"read\":%llu,\"kept\":%llu,\"skipped\":%llu,"
			  "\"failed\":%llu,\"amounts\":{",
			  (unsigned long long)st->read,
			  (unsigned long long)st->kept,
			  (unsigned long long)st->skipped,
			  (unsigned long long)st->failed);
		amounts_json(st, out);
		{
			char hex[65];

			rowfp_hex(st->rows_sum, hex);
			sbuf_addf(out, "},\"rows_hash\":\"%s\"}", hex);
		}
	}
	return sbuf_addch(out, ']');
}

/* T_runs.outcomes: {"CODE":{"count":N,"amounts":{"EUR":"1.00"}},...} for
 * every outcome of a reconciled record this run, and REMOVED for the
 * tombstones it wrote. */
static int outcomes_json(struct run *r, uint64_t removed, struct sbuf *out)
{
	int first = 1;

	sbuf_addch(out, '{');
	for (int i = 0; i < OUT__COUNT; i++) {
		const struct source_stats *st = &r->ostats[i];

		if (!st->read)
			continue;
		if (!first)
			sbuf_addch(out, ',');
		first = 0;
		json_str(out, outcome_table[i].code);
		sbuf_addf(out, ":{\"count\":%llu,\"amounts\":{",
			  (unsigned long long)st->read);
		amounts_json(st, out);
		sbuf_addstr(out, "}}");
	}
	if (removed)
		sbuf_addf(out, "%s\"%s\":{\"count\":%llu,\"amounts\":{}}",
			  first ? "" : ",", STORE_REMOVED,
			  (unsigned long long)removed);
	return sbuf_addch(out, '}');
}

/* T_runs.rules: [{"file":..,"sha256":..}] in load order. */
static int rules_json(struct run *r, struct sbuf *out)
{
	sbuf_addch(out, '[');
	for (size_t i = 0; i < r->job->nrule_files; i++) {
		if (i)
			sbuf_addch(out, ',');
		sbuf_addstr(out, "{\"file\":");
		json_str(out, job_rule_name(r->job, i));
		sbuf_addf(out, ",\"sha256\":\"%s\"}",
			  rules_file_hash(r->rules, i));
	}
	return sbuf_addch(out, ']');
}

/* Write the reports to temporary names (report_prepare); *pending is
 * published after the store commit or aborted. */
static int write_reports(struct run *r, const char *finished,
			 struct sbuf *paths, struct report_pending **pending,
			 struct error *err)
{
	struct report rep;
	struct report_source *rs = NULL;
	struct report_outcome ro[OUT__COUNT];
	struct sbuf base = SBUF_INIT(4096), asof_iso = SBUF_INIT(64);
	const char *dir = r->opts->report_dir ? r->opts->report_dir
					      : r->job->report_dir;
	unsigned formats = 0;
	int rc = -1;

	rs = mem_calloc(r->job->nsources, sizeof(*rs));
	if (!rs)
		return error_set(err, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < r->job->nsources; i++) {
		struct source_stats *st = &r->stats[i];

		st->rtotals = mem_calloc(st->ntotals ? st->ntotals : 1,
					 sizeof(*st->rtotals));
		if (!st->rtotals) {
			error_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t t = 0; t < st->ntotals; t++) {
			st->rtotals[t].currency = st->totals[t].currency;
			st->rtotals[t].amount = dup_amount(r, 1, st->totals[t].sum);
			st->rtotals[t].count = st->totals[t].count;
		}
		rs[i].name = r->job->sources[i].name;
		rs[i].role = canon_kind_names[r->job->sources[i].role];
		rs[i].dsn = r->job->sources[i].dsn;
		rs[i].rows_read = st->read;
		rs[i].rows_kept = st->kept;
		rs[i].rows_skipped = st->skipped;
		rs[i].rows_failed = st->failed;
		rs[i].totals = st->rtotals;
		rs[i].ntotals = st->ntotals;
	}
	for (int i = 0; i < OUT__COUNT; i++) {
		ro[i].code = outcome_table[i].code;
		ro[i].description = outcome_table[i].description;
		ro[i].is_exception = outcome_table[i].is_exception;
		ro[i].count = r->counts[i];
	}
	utc_text(r->as_of, &asof_iso);
	memset(&rep, 0, sizeof(rep));
	rep.job = r->job->name;
	rep.run_id = r->run_id.buf;
	rep.as_of = asof_iso.buf;
	rep.started = r->started.buf;
	rep.finished = finished;
	rep.rules_hash = rules_hash(r->rules);
	rep.version = RECON_VERSION;
	rep.sources = rs;
	rep.nsources = r->job->nsources;
	rep.outcomes = ro;
	rep.noutcomes = OUT__COUNT;
	rep.items = r->items;
	rep.nitems = r->nitems;
	/* one file name per job and as-of: a rerun replaces its own report */
	sbuf_addf(&base, "%s-", r->job->name);
	for (size_t i = 0; i < asof_iso.len; i++)
		if (asof_iso.buf[i] != '-' && asof_iso.buf[i] != ':')
			sbuf_addch(&base, asof_iso.buf[i]);
	if (r->job->report_formats & JOB_REPORT_CSV)
		formats |= REPORT_CSV;
	if (r->job->report_formats & JOB_REPORT_HTML)
		formats |= REPORT_HTML;
	if (base.failed || asof_iso.failed) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = report_prepare(&rep, dir, base.buf, formats, paths, pending, err);
out:
	for (size_t i = 0; i < r->job->nsources; i++) {
		mem_free(r->stats[i].rtotals);
		r->stats[i].rtotals = NULL;
	}
	mem_free(rs);
	sbuf_release(&base);
	sbuf_release(&asof_iso);
	return rc;
}

/* ---- driver ---------------------------------------------------------- */

static int make_run_id(struct run *r, struct error *err)
{
	unsigned char rnd[6];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t got = f ? fread(rnd, 1, sizeof(rnd), f) : 0;
	struct sbuf t = SBUF_INIT(64);

	if (f)
		fclose(f);
	if (got != sizeof(rnd))
		return error_set(err, ERR_INTERNAL, "cannot read /dev/urandom");
	/* started time (compact) + random: unique, and sorts by time */
	for (size_t i = 0; i < r->started.len; i++)
		if (r->started.buf[i] != '-' && r->started.buf[i] != ':')
			sbuf_addch(&t, r->started.buf[i]);
	sbuf_addf(&r->run_id, "%s-", t.buf);
	for (size_t i = 0; i < sizeof(rnd); i++)
		sbuf_addf(&r->run_id, "%02x", rnd[i]);
	sbuf_release(&t);
	return r->run_id.failed ? error_set(err, ERR_NOMEM, "out of memory") : 0;
}

void run_result_init(struct run_result *res)
{
	memset(res, 0, sizeof(*res));
	sbuf_init(&res->run_id, 256);
	sbuf_init(&res->report_paths, 1 << 16);
}

void run_result_release(struct run_result *res)
{
	sbuf_release(&res->run_id);
	sbuf_release(&res->report_paths);
}

static void run_release(struct run *r)
{
	match_free(r->match);
	store_free(r->store);	/* rolls back if not committed */
	rules_free(r->rules);
	incr_release(r);
	if (r->stats)
		for (size_t i = 0; i < r->job->nsources; i++)
			mem_free(r->stats[i].totals);
	mem_free(r->stats);
	mem_free(r->items);
	arena_release(&r->arena);
	verdict_list_release(&r->verdicts);
	sbuf_release(&r->as_of_text);
	sbuf_release(&r->window_text);
	sbuf_release(&r->run_id);
	sbuf_release(&r->started);
	sbuf_release(&r->codes);
	sbuf_release(&r->vjson);
	sbuf_release(&r->colbuf);
	sbuf_release(&r->line);
	sbuf_release(&r->srcjson);
	for (int i = 0; i < OUT__COUNT; i++)
		mem_free(r->ostats[i].totals);
}

static int shrink_accepted(const struct run_opts *o, const char *name)
{
	for (size_t i = 0; i < o->naccept_shrink; i++)
		if (strcmp(o->accept_shrink[i], name) == 0)
			return 1;
	return 0;
}

/* "1,234,567": a count as the guard's messages print it. */
static void add_count(struct sbuf *out, uint64_t v)
{
	char d[24];
	int n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n--) {
		sbuf_addch(out, d[n]);
		if (n && n % 3 == 0)
			sbuf_addch(out, ',');
	}
}

/* A fixed-point value v / 10^scale, trailing zeros dropped: "41.2". */
static void add_fixed(struct sbuf *out, uint64_t v, unsigned scale)
{
	uint64_t div = 1;
	char frac[24];
	unsigned n;

	for (unsigned i = 0; i < scale; i++)
		div *= 10;
	sbuf_addf(out, "%llu", (unsigned long long)(v / div));
	v %= div;
	for (n = scale; n > 0 && v % 10 == 0; n--)
		v /= 10;
	if (!n)
		return;
	for (unsigned i = n; i > 0; i--) {
		frac[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	sbuf_addch(out, '.');
	sbuf_add(out, frac, n);
}

/* a / b as a percentage to three decimals (truncated): "41.2". */
static void add_share(struct sbuf *out, uint64_t a, uint64_t b)
{
	uint64_t v;

	if (!b || __builtin_mul_overflow(a, (uint64_t)100000, &v))
		v = b ? (uint64_t)((long double)a * 100000.0L / (long double)b)
		      : 0;
	else
		v /= b;
	add_fixed(out, v, 3);
}

/* Is a / b below ppm millionths (a x 10^6 < ppm x b), exactly? */
static int below_ppm(uint64_t a, uint64_t b, int64_t ppm)
{
	uint64_t l, r;

	if (ppm <= 0)
		return 0;
	if (__builtin_mul_overflow(a, (uint64_t)1000000, &l) ||
	    __builtin_mul_overflow(b, (uint64_t)ppm, &r))
		return (long double)a * 1e6L < (long double)ppm * (long double)b;
	return l < r;
}

/* Is a / b above ppm millionths (a x 10^6 > ppm x b), exactly? */
static int above_ppm(uint64_t a, uint64_t b, int64_t ppm)
{
	uint64_t l, r;

	if (ppm < 0)
		return 1;
	if (__builtin_mul_overflow(a, (uint64_t)1000000, &l) ||
	    __builtin_mul_overflow(b, (uint64_t)ppm, &r))
		return (long double)a * 1e6L > (long double)ppm * (long double)b;
	return l > r;
}

/* The first line of a rule failure, for a one-line guard message. */
static void add_first_line(struct sbuf *out, const char *msg)
{
	const char *nl = msg ? strchr(msg, '\n') : NULL;

	if (!msg)
		return;
	sbuf_add(out, msg, nl ? (size_t)(nl - msg) : strlen(msg));
}

/* ERR_GUARD with the text of sb (NOMEM if it could not be built). */
static int guard_fail(struct sbuf *sb, const char *source, struct error *err)
{
	if (sb->failed)
		error_set(err, ERR_NOMEM, "out of memory");
	else
		error_set(err, ERR_GUARD, "%s", sb->buf);
	return error_context(err, "source '%s'", source);
}

/*
 * The rule-error ceiling and the kept-nothing check of one source: they
 * need no earlier run. A source whose rows more than its
 * max-rule-error-ratio fail translation (schema drift, a NULL every row
 * needs, a broken rule), or which read rows but kept none, would publish
 * every one of its records as gone.
 */
static int guard_translation(struct run *r, size_t i, struct error *err)
{
	const struct job_source *src = &r->job->sources[i];
	const struct source_stats *st = &r->stats[i];
	struct sbuf m = SBUF_INIT(1 << 16);
	int rc = 0;

	if (st->failed && src->max_rule_errors_ppm < 1000000 &&
	    above_ppm(st->failed, st->read, src->max_rule_errors_ppm)) {
		add_count(&m, st->failed);
		sbuf_addstr(&m, " of ");
		add_count(&m, st->read);
		sbuf_addstr(&m, " rows (");
		add_share(&m, st->failed, st->read);
		sbuf_addstr(&m, "%) failed translation, above the job's "
			    "ceiling of ");
		add_fixed(&m, (uint64_t)src->max_rule_errors_ppm, 4);
		sbuf_addstr(&m, "% (max-rule-error-ratio); first: ");
		add_first_line(&m, st->first_fail);
		sbuf_addstr(&m, "; nothing was published. Fix the rule or the "
			    "query (a column dropped or renamed, a NULL the "
			    "rule does not expect), or raise "
			    "max-rule-error-ratio on the source if such "
			    "failures are normal");
		rc = guard_fail(&m, src->name, err);
	}
	if (rc == 0 && st->read && !st->kept && !src->allow_empty) {
		sbuf_addstr(&m, "the query returned ");
		add_count(&m, st->read);
		sbuf_addstr(&m, " rows but translation kept none (");
		add_count(&m, st->skipped);
		sbuf_addstr(&m, " skipped by the rules, ");
		add_count(&m, st->failed);
		sbuf_addstr(&m, " failed); nothing was published: the "
			    "reconciliation would call every record of the "
			    "source missing. Check the translate function "
			    "and the query (allow-empty=\"true\" on the "
			    "source if this is normal)");
		rc = guard_fail(&m, src->name, err);
	}
	sbuf_release(&m);
	return rc;
}

/*
 * The rule-error ceiling of the order rules, after matching and before
 * anything is published: an order rule that raises on more than the
 * job's max-rule-error-ratio (<limits>) of the orders it checked (a field
 * the rule reads that translation no longer sets, a bug in a new rule)
 * would publish every such order as RULE_ERROR in place of its real
 * outcome.
 */
static int guard_order_rules(struct run *r, struct error *err)
{
	int64_t ppm = r->job->max_rule_errors_ppm;
	struct sbuf m = SBUF_INIT(1 << 16);

	if (!r->check_failed || ppm >= 1000000 ||
	    !above_ppm(r->check_failed, r->checked, ppm))
		return 0;
	sbuf_addstr(&m, "the order rules raised an error on ");
	add_count(&m, r->check_failed);
	sbuf_addstr(&m, " of ");
	add_count(&m, r->checked);
	sbuf_addstr(&m, " orders (");
	add_share(&m, r->check_failed, r->checked);
	sbuf_addstr(&m, "%), above the job's ceiling of ");
	add_fixed(&m, (uint64_t)ppm, 4);
	sbuf_addstr(&m, "% (max-rule-error-ratio in <limits>); first: ");
	add_first_line(&m, r->first_check_fail);
	sbuf_addstr(&m, "; nothing was published. Fix the rule (or the "
		    "translation that should set what it reads), or raise "
		    "<limits max-rule-error-ratio> if such failures are "
		    "normal");
	if (m.failed)
		error_set(err, ERR_NOMEM, "out of memory");
	else
		error_set(err, ERR_GUARD, "%s", m.buf);
	sbuf_release(&m);
	return -1;
}

/*
 * One count (rows read, or rows kept) against the same count of the last
 * full run: below min-rows-ratio is ERR_GUARD unless --accept-shrink
 * names the source.
 */
static int guard_ratio(struct run *r, const struct job_source *src,
		       const char *what, uint64_t now, uint64_t last,
		       const char *last_id, struct error *err)
{
	struct sbuf m = SBUF_INIT(1 << 16);
	int rc;

	if (!src->min_rows_ppm || !last ||
	    !below_ppm(now, last, src->min_rows_ppm))
		return 0;
	if (shrink_accepted(r->opts, src->name)) {
		logf_(r, "source '%s': %s %llu rows, fewer than %.2f x the "
		      "%llu of run %s; accepted (--accept-shrink)",
		      src->name, what, (unsigned long long)now,
		      src->min_rows_ppm / 1e6, (unsigned long long)last,
		      last_id);
		return 0;
	}
	sbuf_addf(&m, "%s ", what);
	add_count(&m, now);
	sbuf_addf(&m, " rows, fewer than min-rows-ratio %.2f x the ",
		  src->min_rows_ppm / 1e6);
	add_count(&m, last);
	sbuf_addf(&m, " rows it %s in the last full run %s; refusing to "
		  "publish a reconciliation that would call the difference "
		  "missing; nothing was published. If the source really "
		  "shrank, rerun with --accept-shrink %s (or lower "
		  "min-rows-ratio on the source)",
		  what, last_id, src->name);
	rc = guard_fail(&m, src->name, err);
	sbuf_release(&m);
	return rc;
}

/*
 * The completeness guard, before anything is matched or written: per
 * source the rule-error ceiling and kept-nothing check, then rows read
 * and rows kept against the job's last published full run
 * (min-rows-ratio; --accept-shrink SOURCE accepts both). The last run's
 * T_runs.totals are read strictly: an entry that cannot be read stops
 * the run (ERR_STORE) instead of passing the guard.
 */
static int check_guard(struct run *r, struct error *err)
{
	const char *last_id, *totals;
	struct sbuf why = SBUF_INIT(1 << 16);

	for (size_t i = 0; i < r->opts->naccept_shrink; i++) {
		size_t k;

		for (k = 0; k < r->job->nsources; k++)
			if (strcmp(r->job->sources[k].name,
				   r->opts->accept_shrink[i]) == 0)
				break;
		if (k == r->job->nsources)
			return error_set(err, ERR_USAGE,
					 "--accept-shrink '%s': the job has no "
					 "such source", r->opts->accept_shrink[i]);
	}
	for (size_t i = 0; i < r->job->nsources; i++)
		if (guard_translation(r, i, err) < 0)
			return -1;
	if (!store_last_full(r->store, &last_id, &totals))
		return 0;
	for (size_t i = 0; i < r->job->nsources; i++) {
		const struct job_source *src = &r->job->sources[i];
		const struct source_stats *st = &r->stats[i];
		struct ledger_source_totals last;
		int f;

		sbuf_reset(&why);
		f = ledger_totals_find(totals, src->name, &last, &why);
		if (f == -2) {
			sbuf_release(&why);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
		if (f < 0) {
			error_set(err, ERR_STORE, "the control totals of the "
				  "last full run %s (T_runs.totals) cannot be "
				  "read: %s; the completeness guard cannot "
				  "compare this run with it, so nothing was "
				  "published (run recon verify)", last_id,
				  why.failed ? "?" : why.buf);
			sbuf_release(&why);
			return error_context(err, "source '%s'", src->name);
		}
		if (f == 0) {
			logf_(r, "source '%s': not in the totals of run %s (a "
			      "new source?): nothing to compare with",
			      src->name, last_id);
			continue;
		}
		if (guard_ratio(r, src, "read", st->read, last.read, last_id,
				err) < 0 ||
		    guard_ratio(r, src, "kept", st->kept, last.kept, last_id,
				err) < 0) {
			sbuf_release(&why);
			return -1;
		}
	}
	sbuf_release(&why);
	return 0;
}

/* match_sweep() removed a dead run's spill folder: say so. */
static void on_swept(void *ctx, long pid, const char *path, uint64_t bytes)
{
	logf_(ctx, "removed the spill folder of a dead run (pid %ld): %s, "
	      "%.1f MB", pid, path, (double)bytes / 1e6);
}

int run_job(const struct job *job, const struct run_opts *opts,
	    struct run_result *res, struct error *err)
{
	struct run r;
	struct sbuf finished = SBUF_INIT(64), totals = SBUF_INIT(1 << 20);
	struct sbuf outcomes = SBUF_INIT(1 << 20), rules = SBUF_INIT(1 << 20);
	struct report_pending *pending = NULL;
	struct store_run sr;
	long long removed = 0;
	int64_t t_start = (int64_t)time(NULL);
	double t0;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	r.job = job;
	r.opts = opts;
	sbuf_init(&r.as_of_text, 64);
	sbuf_init(&r.window_text, 64);
	sbuf_init(&r.run_id, 256);
	sbuf_init(&r.started, 64);
	sbuf_init(&r.codes, 1 << 16);
	sbuf_init(&r.vjson, SBUF_CAP_DEFAULT);
	/* the declared columns of one record: at most LEDGER_MAX_COLS
	 * values of at most CANON_STR_CAP bytes */
	sbuf_init(&r.colbuf, LEDGER_MAX_COLS * (CANON_STR_CAP + 1));
	sbuf_init(&r.line, 1 << 16);
	sbuf_init(&r.srcjson, 1 << 16);
	verdict_list_init(&r.verdicts);

	if (opts->as_of) {
		if (tstamp_parse(opts->as_of, strlen(opts->as_of), &r.as_of) < 0) {
			error_set(err, ERR_USAGE,
				  "--as-of '%s' is not a date or timestamp "
				  "(YYYY-MM-DD[ HH:MM:SS])", opts->as_of);
			goto out;
		}
	} else {
		r.as_of = t_start;
	}
	utc_text(t_start, &r.started);
	if (sql_time(r.as_of, &r.as_of_text) < 0 ||
	    sql_time(r.as_of - job->window, &r.window_text) < 0 ||
	    make_run_id(&r, err) < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	r.stats = mem_calloc(job->nsources, sizeof(*r.stats));
	if (!r.stats) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	logf_(&r, "job '%s': run %s, as of %s", job->name, r.run_id.buf,
	      r.as_of_text.buf);
	/* Rules first: a syntax error stops the job before anything is
	 * connected or written. */
	if (rules_open(job, &r.rules, err) < 0 ||
	    store_open(job, &r.store, err) < 0 ||
	    stop_check(err, "opening the store") < 0)
		goto out;
	/* what SIGKILLed runs left in the same tmpdir */
	match_sweep(opts->tmpdir, on_swept, &r);
	if (match_new(job, opts->tmpdir, &r.match, err) < 0)
		goto out;
	if (read_sources(&r, err) < 0)
		goto out;
	for (size_t i = 0; i < job->nsources; i++)
		res->rows_read += r.stats[i].read;
	if (check_guard(&r, err) < 0)
		goto out;
	t0 = now_seconds();
	if (match_run(r.match, r.as_of, on_group, on_dup, &r, err) < 0 ||
	    guard_order_rules(&r, err) < 0)
		goto out;
	/* A full run saw every key there is: the others left the sources. */
	removed = store_remove_unseen(r.store, r.run_id.buf,
				      rules_hash(r.rules), err);
	if (removed < 0)
		goto out;
	logf_(&r, "matched: %llu reconciled records, %llu exception lines "
	      "in %.2f s (order rules %.2f s, store %.2f s; "
	      "spilled %.1f MB, largest partition %.1f MB)",
	      (unsigned long long)r.records, (unsigned long long)r.nitems,
	      now_seconds() - t0, r.t_rules, r.t_store,
	      (double)match_spilled(r.match) / 1e6,
	      (double)match_peak_partition(r.match) / 1e6);
	logf_(&r, "store: %llu keys before, %llu versions to write "
	      "(%lld removed keys)",
	      (unsigned long long)store_keys_loaded(r.store),
	      (unsigned long long)store_count(r.store), removed);
	if (stop_check(err, "writing the store") < 0)
		goto out;
	items_finish(&r);
	totals_finish(&r);
	utc_text((int64_t)time(NULL), &finished);
	/* Reports to temporary names first: a report that cannot be
	 * written stops the run before the commit. */
	if (write_reports(&r, finished.buf, &res->report_paths, &pending,
			  err) < 0)
		goto out;
	/* new state files fsync'ed, watermarks known (incremental reading) */
	if (stop_check(err, "writing the reports") < 0 ||
	    incr_finish(&r, err) < 0)
		goto out;
	memset(&sr, 0, sizeof(sr));
	totals_json(&r, &totals);
	outcomes_json(&r, (uint64_t)removed, &outcomes);
	rules_json(&r, &rules);
	sr.run_id = r.run_id.buf;
	sr.job = job->name;
	/* incremental runs match the full canonical picture too, so the
	 * REMOVED tombstones above apply to them unchanged */
	sr.mode = r.incremental ? "incremental" : "full";
	sr.as_of = r.as_of_text.buf;
	sr.window_start = r.window_text.buf;
	sr.started = r.started.buf;
	sr.finished = finished.buf;
	sr.status = r.nitems ? "exceptions" : "clean";
	sr.rules_hash = rules_hash(r.rules);
	sr.rules = rules.buf;
	sr.exceptions = r.nitems;
	sr.totals = totals.buf;
	sr.outcomes = outcomes.buf;
	sr.watermarks = r.watermarks.len ? r.watermarks.buf : "{}";
	if (totals.failed || outcomes.failed || rules.failed) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	t0 = now_seconds();
	if (store_commit(r.store, &sr, err) < 0)
		goto out;
	/* Published. The reports follow; from here nothing allocates. */
	res->published = 1;
	incr_publish(&r);	/* the new state files take over */
	res->records = store_count(r.store);
	res->reconciled = r.records;
	res->removed = (uint64_t)removed;
	res->exceptions = r.nitems;
	res->seq = store_seq(r.store);
	if (report_publish(pending, err) < 0) {
		/* Still exit 7 (REPORT), but the one case where the run WAS
		 * published: say so first, then why, then what to do. */
		struct sbuf why = SBUF_INIT(1 << 16);

		pending = NULL;
		sbuf_reset(&res->report_paths);
		if (err->ctx.len)
			sbuf_addf(&why, "%s: ", err->ctx.buf);
		sbuf_addstr(&why, err->msg.buf);
		error_clear(err);
		error_set(err, ERR_REPORT, "the run was published (run %llu); "
			  "its report could not be put in place: %s; rerun the "
			  "job for the same as-of to recreate it",
			  (unsigned long long)res->seq,
			  why.failed ? "(reason too long)" : why.buf);
		sbuf_release(&why);
		sbuf_add(&res->run_id, r.run_id.buf, r.run_id.len);
		goto out;
	}
	pending = NULL;
	logf_(&r, "published: run seq %llu, %llu versions, commit %.2f s",
	      (unsigned long long)res->seq,
	      (unsigned long long)res->records, now_seconds() - t0);
	sbuf_add(&res->run_id, r.run_id.buf, r.run_id.len);
	rc = 0;
out:
	if (rc < 0) {
		/* no report of this run either (published or not) */
		report_abort(pending);
		if (!res->published)
			sbuf_reset(&res->report_paths);
		error_context(err, "job '%s'", job->name);
	}
	run_release(&r);
	sbuf_release(&finished);
	sbuf_release(&totals);
	sbuf_release(&outcomes);
	sbuf_release(&rules);
	return rc;
}
