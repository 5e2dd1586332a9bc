/*
 * incmerge.c - incremental reading (docs/INCREMENTAL.md; the state files
 * themselves are incr.h's): per source, may it be read incrementally
 * (incmerge_prepare); its changed rows, merged with the previous state
 * into the same rows a full read would give, delivered to the one sink
 * of translated rows, feed_row() (incmerge_read); a full read's
 * rows into the new state file (incmerge_state_row); the watermarks and
 * the state files written before the commit (incmerge_finish) and put
 * in place after it (incmerge_publish).
 */
#include <string.h>

#include "run_int.h"
#include "canon.h"
#include "incr.h"
#include "ledger.h"
#include "mem.h"
#include "prefetch.h"
#include "rowfp.h"
#include "rules.h"
#include "stop.h"
#include "store.h"
#include "text.h"
#include "../connectors/connector.h"
#include "banned.h"

/* The row's id-column value as text into out: 1, or 0 if NULL/absent. */
static int id_value(const struct job_source *src, const struct row *row,
		    struct sbuf *out)
{
	const struct value *v = feed_column(row, src->id_column);

	sbuf_reset(out);
	if (!v || v->type == VAL_NULL)
		return 0;
	if (v->type == VAL_INT)
		sbuf_addf(out, "%lld", (long long)v->i);
	else if (v->s)
		sbuf_add(out, v->s, v->len);
	return 1;
}

static int see_watermark(const struct job_source *src, struct source_stats *st,
			 const struct row *row, struct error *err)
{
	const struct value *v = feed_column(row, src->watermark);

	if (!v)
		return error_set(err, ERR_SOURCE, "the query returns no "
				 "watermark column '%s'", src->watermark);
	return incr_wm_see(&st->wm, v, err);
}

/* A full read's row into the new state file (and the watermark). t is
 * rules_translate()'s result: 1 kept, 0 skipped, -2 failed. */
int incmerge_state_row(struct run *r, size_t si, const struct row *row,
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

/* ---- translations reused by a full read ----------------------------- */

/*
 * A full read of a source whose previous state was written under the
 * same fingerprint (queries, translate function, rules, reference data,
 * site-defined fields: incr_source_fingerprint) reuses that state's
 * entry of a row with the same row fingerprint instead of translating
 * the row again: translation is a function of the row and of what the
 * fingerprint covers (docs/RULES.md: it must not depend on earlier rows
 * or on the time), so the entry is what translating would give.
 *
 * The state is in the previous run's row order, which a source mostly
 * keeps; rows are looked up in a window of the next REUSE_WINDOW
 * entries, so a changed, new or removed row costs a translation and
 * does not lose the place. Only hits depend on the window; which entry
 * is reused never changes a result, since any entry with the row's
 * fingerprint is the row's translation.
 */
#define REUSE_WINDOW 256

struct reuse {
	struct incr_reader *rd;
	struct sbuf raw[REUSE_WINDOW];	/* the entries, encoded */
	uint8_t fp[REUSE_WINDOW][32];
	size_t head, n;			/* the window: a ring */
	unsigned misses;		/* rows not found since the last hit */
	int eof;
};

static void reuse_free(struct reuse *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < REUSE_WINDOW; i++)
		sbuf_release(&u->raw[i]);
	incr_reader_free(u->rd);
	mem_free(u);
}

/* Read entries into the window until it is full. A damaged file ends
 * the reuse there (the rest of the rows are translated), with a line in
 * the log; only running out of memory fails. */
static int reuse_fill(struct run *r, size_t si, struct reuse *u,
		      struct error *err)
{
	while (!u->eof && u->n < REUSE_WINDOW) {
		size_t slot = (u->head + u->n) % REUSE_WINDOW;
		struct incr_entry e;
		struct error rerr;
		int rc;

		error_init(&rerr);
		rc = incr_reader_next(u->rd, &e, &rerr);
		if (rc < 0 && rerr.code == ERR_NOMEM) {
			error_release(&rerr);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
		if (rc < 0)
			runlog_printf(r, "source '%s': %s; translating the "
				      "rest of its rows",
				      r->job->sources[si].name, rerr.msg.buf);
		error_release(&rerr);
		if (rc <= 0) {
			u->eof = 1;
			break;
		}
		sbuf_reset(&u->raw[slot]);
		if (sbuf_add(&u->raw[slot], e.raw, e.raw_len) < 0)
			return error_set(err, ERR_NOMEM, "out of memory");
		memcpy(u->fp[slot], e.fp, 32);
		u->n++;
	}
	return 0;
}

int incmerge_reuse(struct run *r, size_t si, const struct row *row,
		   const uint8_t *fp, struct incr_entry *e, struct error *err)
{
	const struct job_source *src = &r->job->sources[si];
	struct source_stats *st = &r->stats[si];
	struct reuse *u = st->reuse;

	if (!u)
		return 0;
	if (reuse_fill(r, si, u, err) < 0)
		return -1;
	for (size_t i = 0; i < u->n; i++) {
		size_t slot = (u->head + i) % REUSE_WINDOW;

		if (memcmp(u->fp[slot], fp, 32) != 0 ||
		    incr_decode(u->raw[slot].buf, u->raw[slot].len, e) < 0)
			continue;
		/* the entries before it are rows changed or gone: their
		 * rows, if any, are translated when they come */
		u->head = (slot + 1) % REUSE_WINDOW;
		u->n -= i + 1;
		u->misses = 0;
		if (see_watermark(src, st, row, err) < 0 ||
		    incr_writer_add_raw(st->sw, e->raw, e->raw_len, err) < 0)
			return -1;
		e->rec.source = (uint16_t)si;
		e->rec.rowno = row->rowno;
		e->rec.flags = 0;
		memcpy(e->rec.fp, fp, 32);
		st->reused++;
		return 1;
	}
	/* A long run of rows the window does not hold: the source left out
	 * many of the state's rows here (deleted, out of scope); move the
	 * window on by half so that the place is found again. */
	if (++u->misses >= REUSE_WINDOW && u->n) {
		size_t drop = u->n < REUSE_WINDOW / 2 ? u->n : REUSE_WINDOW / 2;

		u->head = (u->head + drop) % REUSE_WINDOW;
		u->n -= drop;
		u->misses = 0;
	}
	return 0;
}

/* Open source si's previous state for reuse if it was written under the
 * fingerprint this run would write (rhs: the rules and references part)
 * by the job's last published run in this store (last_id, NULL if none):
 * a state directory shared by two stores, or a state left by a run of
 * another store or database, is never reused (the same row fingerprint
 * from another driver may reach the rules as other text). */
static int reuse_open(struct run *r, size_t si, const char *rhs,
		      const char *last_id, struct error *err)
{
	const struct job_source *src = &r->job->sources[si];
	struct incr_header h;
	struct incr_reader *rd = NULL;
	struct sbuf why = SBUF_INIT(65536);
	struct reuse *u;
	int o, rc = -1;

	/* --retranslate; or --jobs K > 1, whose translators take whole
	 * batches and reuse nothing (docs/INCREMENTAL.md) */
	if (r->opts->retranslate || r->xlate)
		return 0;
	incr_header_init(&h);
	o = incr_reader_open(r->state_dir.buf, src->name, &h, &rd, &why, err);
	if (o < 0)
		goto out;
	rc = 0;
	if (o == 1)
		goto out;
	if (incr_source_fingerprint(r->job, src, rhs, &r->fingerprint,
				    err) < 0) {
		rc = -1;
		goto out;
	}
	if (strcmp(r->fingerprint.buf, h.fingerprint.buf) != 0 ||
	    !r->runs_before || !last_id ||
	    strcmp(last_id, h.run_id.buf) != 0)
		goto out;
	u = mem_calloc(1, sizeof(*u));
	if (!u) {
		rc = error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < REUSE_WINDOW; i++)
		sbuf_init(&u->raw[i], SBUF_CAP_DEFAULT);
	u->rd = rd;
	rd = NULL;
	r->stats[si].reuse = u;
out:
	incr_reader_free(rd);
	incr_header_release(&h);
	sbuf_release(&why);
	return rc;
}

/* Feed one entry of the merged picture to the new state file and to the
 * sink, exactly as a full read of that row would. */
static int deliver(struct run *r, size_t si, struct incr_entry *e,
		   struct error *err)
{
	const struct job_source *src = &r->job->sources[si];
	struct source_stats *st = &r->stats[si];
	struct sbuf key = SBUF_INIT(65536), msg = SBUF_INIT(65536);
	int rc;

	if (incr_writer_add_raw(st->sw, e->raw, e->raw_len, err) < 0)
		return -1;
	if (e->kind == INCR_KEPT) {
		e->rec.source = (uint16_t)si;
		e->rec.rowno = st->read + 1;	/* position in the picture */
		e->rec.flags = 0;
	} else if (e->kind == INCR_FAILED) {
		sbuf_addf(&key, "%s:", src->name);
		text_add_clean(&key, e->id, e->id_len, CANON_STR_CAP);
		sbuf_add(&msg, e->msg, e->msg_len);
	}
	rc = feed_row(r, si, e->kind, e->fp, &e->rec, &key, &msg, err);
	if (rc < 0 && e->kind == INCR_KEPT)
		error_context(err, "row '%.*s'", (int)e->id_len, e->id);
	sbuf_release(&key);
	sbuf_release(&msg);
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
	params = feed_params(r, src->inc_params, src->ninc_params, &wmtext,
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
		    out_of_scope(feed_column(row, src->scope_column))) {
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

	params = feed_params(r, src->keys_params, src->nkeys_params, NULL, 0,
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
		if (row->rowno == 1 && !feed_column(row, src->id_column)) {
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
		runlog_printf(r, "source '%s': <keys>: %zu rows in the result, %llu "
			      "left it without a change", src->name,
			      incr_ids_count(ids), (unsigned long long)left);
	runlog_printf(r, "source '%s': incremental: %llu changed rows fetched "
		      "(%llu replaced, %llu removed, %llu new), %llu carried over",
		      src->name, (unsigned long long)st->fetched,
		      (unsigned long long)changed, (unsigned long long)removed,
		      (unsigned long long)added,
		      (unsigned long long)(st->read - changed - added));
	rc = 0;
out:
	if (rc == 1)
		runlog_printf(r, "source '%s': reading in full: %s", src->name, why.buf);
	incr_changes_free(ch);
	incr_ids_free(ids);
	sbuf_release(&why);
	return rc;
}

/* Read source si incrementally (read_incremental). When it must be
 * read in full after all, forget what the attempt saw. */
int incmerge_read(struct run *r, struct rules *rules, size_t si,
		  struct error *err)
{
	struct source_stats *st = &r->stats[si];
	int rc = read_incremental(r, rules, si, err);

	if (rc <= 0)
		return rc;
	st->incremental = 0;
	st->read = st->kept = st->skipped = st->failed = 0;
	st->first_fail = NULL;
	incr_wm_release(&st->wm);
	incr_wm_init(&st->wm);
	return 1;
}

/* What a state file's fingerprint covers besides the source: the rules
 * hash, and, when the job has reference tables, each one's name and
 * rows_hash, so that state written with other reference data is never
 * reused (refs_changed() says why in the log first). */
static const char *rules_and_refs(const struct run *r, struct sbuf *sb)
{
	sbuf_reset(sb);
	sbuf_addstr(sb, rules_hash(r->rules));
	for (size_t i = 0; i < r->refs.n; i++) {
		char hex[65];

		ref_table_hash_hex(r->refs.t[i], hex);
		sbuf_addf(sb, ";ref:%s=%s", ref_table_name(r->refs.t[i]), hex);
	}
	return sb->failed ? NULL : sb->buf;
}

/* Has a reference table changed since the job's last published run (its
 * rows_hash there, T_runs.totals)? 1 with why set, 0, -1 (ERR_NOMEM).
 * A reference that run does not name, or totals it cannot read, count as
 * changed: it fails towards reading in full. */
static int refs_changed(struct run *r, struct sbuf *why, struct error *err)
{
	const char *last = store_last_totals(r->store);
	struct sbuf h = SBUF_INIT(256), bad = SBUF_INIT(4096);
	int rc = 0;

	for (size_t i = 0; i < r->refs.n && !rc; i++) {
		const char *name = ref_table_name(r->refs.t[i]);
		char hex[65];
		uint64_t rows;
		int f;

		ref_table_hash_hex(r->refs.t[i], hex);
		sbuf_reset(&bad);
		f = last ? ledger_reference_find(last, name, &rows, &h, &bad)
			 : 0;
		if (f == -2) {
			rc = error_set(err, ERR_NOMEM, "out of memory");
		} else if (f < 0) {
			sbuf_addf(why, "reference '%s': the last published "
				  "run's totals cannot be read (%s)", name,
				  bad.buf);
			rc = 1;
		} else if (f == 0) {
			sbuf_addf(why, "reference '%s' is not in the last "
				  "published run's totals", name);
			rc = 1;
		} else if (strcmp(h.buf, hex) != 0) {
			sbuf_addf(why, "reference '%s' changed since the last "
				  "published run (rows_hash %s, now %s; %llu "
				  "rows, now %llu)", name, h.buf, hex,
				  (unsigned long long)rows,
				  (unsigned long long)ref_table_rows(r->refs.t[i]));
			rc = 1;
		}
	}
	sbuf_release(&h);
	sbuf_release(&bad);
	if (rc == 1 && why->failed)
		return error_set(err, ERR_NOMEM, "out of memory");
	return rc;
}

/* Open this run's state files and decide, per source with an
 * <incremental> query, whether it can be read incrementally: only from
 * a valid state file written by the job's last published run under the
 * same source definition and rules. */
int incmerge_prepare(struct run *r, struct error *err)
{
	const struct job *job = r->job;
	struct sbuf why = SBUF_INIT(65536);
	struct sbuf refwhy = SBUF_INIT(65536), rh = SBUF_INIT(1 << 20);
	const char *last_id, *pubwm, *rhs;
	int any = 0, rc = -1, changed = 0;

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
	/* what the store found of the job's published runs at open */
	r->runs_before = store_job_runs(r->store, &last_id, &pubwm);
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
	if (!(rhs = rules_and_refs(r, &rh))) {
		rc = error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (r->opts->incremental && r->runs_before) {
		changed = refs_changed(r, &refwhy, err);
		if (changed < 0)
			goto out;
		if (changed)
			runlog_printf(r, "%s: every source is read and "
				      "translated in full", refwhy.buf);
	}
	for (size_t i = 0; i < job->nsources; i++) {
		const struct job_source *src = &job->sources[i];
		struct source_stats *st = &r->stats[i];
		int o;

		unsigned swept;

		if (!src->inc_query)
			continue;
		swept = incr_sweep_dead(r->state_dir.buf, src->name);
		if (swept)
			runlog_printf(r, "source '%s': removed %u temporary "
				      "state file%s of a dead run in %s",
				      src->name, swept, swept == 1 ? "" : "s",
				      r->state_dir.buf);
		if (incr_writer_open(r->state_dir.buf, src->name, &st->sw,
				     err) < 0)
			goto out;
		if (!r->opts->incremental) {
			if (reuse_open(r, i, rhs, last_id, err) < 0)
				goto out;
			continue;
		}
		sbuf_reset(&why);
		if (changed) {
			runlog_printf(r, "source '%s': reading in full: %s",
				      src->name, refwhy.buf);
			continue;
		}
		o = incr_reader_open(r->state_dir.buf, src->name, &st->hdr,
				     &st->rd, &why, err);
		if (o < 0)
			goto out;
		if (o == 0 && (incr_source_fingerprint(job, src, rhs,
						       &r->fingerprint, err) < 0))
			goto out;
		if (o == 0 && strcmp(r->fingerprint.buf,
				     st->hdr.fingerprint.buf) != 0) {
			sbuf_addstr(&why, "the source's queries or the rules "
				    "changed since the state was written");
			o = 1;
		}
		if (o == 0) {
			if (!r->runs_before ||
			    strcmp(last_id, st->hdr.run_id.buf) != 0) {
				sbuf_addf(&why, "the state was written by run %s, "
					  "which is not the job's last published "
					  "run", st->hdr.run_id.buf);
				o = 1;
			} else if (strcmp(pubwm, st->hdr.watermarks.buf) != 0) {
				sbuf_addstr(&why, "the store's watermarks differ "
					    "from the state's");
				o = 1;
			} else if (st->hdr.wm.type == WM_NONE) {
				sbuf_addstr(&why, "the last run saw no watermark "
					    "value");
				o = 1;
			}
		}
		if (o == 1) {
			runlog_printf(r, "source '%s': reading in full: %s", src->name,
				      why.buf);
			incr_reader_free(st->rd);
			st->rd = NULL;
			if (reuse_open(r, i, rhs, last_id, err) < 0)
				goto out;
			continue;
		}
		st->incremental = 1;
	}
	rc = 0;
out:
	sbuf_release(&why);
	sbuf_release(&refwhy);
	sbuf_release(&rh);
	return rc;
}

/* Before the store commit: the watermarks JSON for the runs ledger, and
 * every new state file written through and fsync'ed (still under its
 * temporary name). */
int incmerge_watermarks(struct run *r, struct error *err)
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
		text_add_json(&r->watermarks, job->sources[i].name);
		sbuf_addstr(&r->watermarks, ":{\"column\":");
		text_add_json(&r->watermarks, job->sources[i].watermark);
		sbuf_addstr(&r->watermarks, ",\"type\":");
		text_add_json(&r->watermarks, st->wm.type == WM_TIME ? "time"
					 : st->wm.type == WM_INT ? "int"
					 : st->wm.type == WM_TEXT ? "text" : "none");
		sbuf_addstr(&r->watermarks, ",\"value\":");
		if (st->wm.type == WM_NONE)
			sbuf_addstr(&r->watermarks, "null");
		else
			text_add_json(&r->watermarks, val.buf);
		sbuf_addf(&r->watermarks, ",\"mode\":\"%s\",\"fetched\":%llu}",
			  st->incremental ? "incremental" : "full",
			  (unsigned long long)(st->incremental ? st->fetched
							       : st->read));
	}
	sbuf_addch(&r->watermarks, '}');
	sbuf_release(&val);
	if (r->watermarks.failed)
		return error_set(err, ERR_NOMEM, "out of memory (watermarks)");
	return 0;
}

int incmerge_finish(struct run *r, struct error *err)
{
	const struct job *job = r->job;
	struct sbuf rh = SBUF_INIT(1 << 20);

	for (size_t i = 0; i < job->nsources; i++) {
		struct source_stats *st = &r->stats[i];
		struct incr_header h;
		int rc;

		if (!st->sw)
			continue;
		incr_header_init(&h);
		sbuf_add(&h.run_id, r->run_id.buf, r->run_id.len);
		sbuf_add(&h.watermarks, r->watermarks.buf, r->watermarks.len);
		/* a repeat of the last run writes that run's state again */
		h.runs = r->runs_before + (r->repeat ? 0 : 1);
		h.wm.type = st->wm.type;
		h.wm.i = st->wm.i;
		sbuf_add(&h.wm.s, st->wm.s.buf, st->wm.s.len);
		rc = rules_and_refs(r, &rh)
			     ? incr_source_fingerprint(job,
						       &job->sources[i],
						       rh.buf, &h.fingerprint,
						       err)
			     : error_set(err, ERR_NOMEM, "out of memory");
		if (rc == 0 && (h.run_id.failed || h.watermarks.failed ||
				h.wm.s.failed))
			rc = error_set(err, ERR_NOMEM, "out of memory");
		if (rc == 0)
			rc = incr_writer_finish(st->sw, &h, err);
		incr_header_release(&h);
		if (rc < 0) {
			sbuf_release(&rh);
			return error_context(err, "source '%s'",
					     job->sources[i].name);
		}
	}
	sbuf_release(&rh);
	return 0;
}

/* After the store commit: the new state files take over. A failure here
 * leaves the previous state, which no longer belongs to the last
 * published run, so the next incremental run reads in full: logged, not
 * an error (the run is published). */
void incmerge_publish(struct run *r)
{
	for (size_t i = 0; i < r->job->nsources; i++) {
		struct source_stats *st = &r->stats[i];
		struct error e;

		if (!st->sw)
			continue;
		error_init(&e);
		if (incr_writer_commit(st->sw, &e) < 0)
			runlog_printf(r, "warning: source '%s': %s (the next incremental "
				      "run reads it in full)", r->job->sources[i].name,
				      e.msg.buf);
		error_release(&e);
	}
}

void incmerge_release(struct run *r)
{
	if (!r->incr_ready)
		return;
	for (size_t i = 0; i < r->job->nsources; i++) {
		incr_writer_free(r->stats[i].sw);
		incr_reader_free(r->stats[i].rd);
		reuse_free(r->stats[i].reuse);
		incr_wm_release(&r->stats[i].wm);
		incr_header_release(&r->stats[i].hdr);
	}
	sbuf_release(&r->state_dir);
	sbuf_release(&r->watermarks);
	sbuf_release(&r->incr_id);
	sbuf_release(&r->fingerprint);
}
