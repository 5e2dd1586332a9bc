/*
 * read.c - reading the sources (run_int.h): each source's query streamed
 * through its translation rule, fingerprinting each row, into feed_row()
 * (feed.c), the one sink of translated rows, which feeds the matcher and
 * the per-source counters and control totals. A source with an
 * <incremental> query that can be read incrementally goes through
 * incmerge_read() instead, into the same sink.
 */
#include <string.h>

#include "run_int.h"
#include "canon.h"
#include "incr.h"
#include "match.h"
#include "mem.h"
#include "prefetch.h"
#include "rowfp.h"
#include "rules.h"
#include "stop.h"
#include "text.h"
#include "xlate.h"
#include "../connectors/connector.h"
#include "banned.h"

/* The value of the source's id column in this row, for messages. */
void read_row_id(const struct job_source *src, const struct row *row,
		   struct sbuf *out)
{
	const struct value *v = src->id_column ? feed_column(row, src->id_column)
					       : NULL;

	sbuf_reset(out);
	if (v && v->type == VAL_INT)
		sbuf_add_i64(out, v->i);
	else if (v && v->s)	/* a NUL shown as \0, never cut there; an
				 * id over 4096 bytes cut visibly */
		text_add_clean(out, v->s, v->len, CANON_STR_CAP);
	if (!out->len)
		sbuf_addf(out, "row %llu", (unsigned long long)row->rowno);
}

/* ---- one source ------------------------------------------------------ */

/* The job names columns the query must return: say so on the first row
 * instead of silently naming rows by number or missing watermarks. */
int read_check_columns(const struct job_source *src, const struct row *row,
		       struct error *err)
{
	struct sbuf cols = SBUF_INIT(1 << 16);

	if (!src->id_column || feed_column(row, src->id_column))
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
	struct sbuf key = SBUF_INIT(65536);
	double t0 = runlog_now();
	int rc = -1;

	canon_init(&rec);
	rowfp_init(&fpr);
	if (st->incremental) {
		rc = incmerge_read(r, rules, si, err);
		if (rc <= 0)
			goto guard;
		rc = -1;	/* read in full after all */
	}
	params = feed_params(r, src->params, src->nparams, NULL, 0, err);
	if (!params)
		goto out;
	if (conn_open_source(src->dsn, &conn, err) < 0 ||
	    cursor_open(conn, src->query, params, src->nparams, 0, &cur, err) < 0)
		goto out;
	cursor_id_column(cur, src->id_column);	/* DATA errors name the row */
	if (r->xlate) {
		/* --jobs K > 1: the same rows, translated in K states */
		if (prefetch_start_n(cur, xlate_batches(r->xlate), &pf, err) < 0 ||
		    xlate_source(r, r->xlate, si, pf, err) < 0)
			goto out;
		rc = 0;
		goto guard;
	}
	if (prefetch_start(cur, &pf, err) < 0)
		goto out;
	for (;;) {
		const struct row *row;
		int n = prefetch_next(pf, &row, err), t;
		enum incr_kind k;

		/* a safe point per row (stop.h): fetching, the translation
		 * rule and the matcher's spill files are all behind it */
		if (n < 0 || stop_check(err, "reading") < 0)
			goto out;
		if (n == 0)
			break;
		if (st->read == 0 && read_check_columns(src, row, err) < 0)
			goto out;
		if (rowfp_row(&fpr, row, fp, err) < 0)
			goto out;
		if (st->reuse) {
			/* the previous state's translation of this row */
			struct incr_entry e;
			int u = incmerge_reuse(r, si, row, fp, &e, err);

			if (u < 0) {
				read_row_id(src, row, &id);
				error_context(err, "row '%s'", id.buf);
				goto out;
			}
			if (u == 1) {
				sbuf_reset(&key);
				sbuf_reset(&fail);
				if (e.kind == INCR_FAILED) {
					read_row_id(src, row, &id);
					sbuf_addf(&key, "%s:%s", src->name,
						  id.buf);
					sbuf_add(&fail, e.msg, e.msg_len);
				}
				if (feed_row(r, si, e.kind, fp, &e.rec, &key,
					     &fail, err) < 0) {
					if (e.kind == INCR_KEPT) {
						read_row_id(src, row, &id);
						error_context(err, "row '%s'",
							      id.buf);
					}
					goto out;
				}
				continue;
			}
		}
		canon_reset(&rec, src->role, (uint16_t)si, row->rowno);
		memcpy(rec.fp, fp, sizeof(rec.fp));
		sbuf_reset(&fail);
		t = rules_translate(rules, si, row, &rec, &fail, err);
		if (t == -1) {
			read_row_id(src, row, &id);
			error_context(err, "row '%s'", id.buf);
			goto out;
		}
		if (incmerge_state_row(r, si, row, fp, t, &rec, &fail, err) < 0) {
			read_row_id(src, row, &id);
			error_context(err, "row '%s'", id.buf);
			goto out;
		}
		k = t == 1 ? INCR_KEPT : t == 0 ? INCR_SKIPPED : INCR_FAILED;
		sbuf_reset(&key);
		if (k == INCR_FAILED) {
			read_row_id(src, row, &id);
			sbuf_addf(&key, "%s:%s", src->name, id.buf);
		}
		if (feed_row(r, si, k, fp, &rec, &key, &fail, err) < 0) {
			if (k == INCR_KEPT) {
				read_row_id(src, row, &id);
				error_context(err, "row '%s'", id.buf);
			}
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
	st->seconds = runlog_now() - t0;
	if (rc < 0)
		error_context(err, "source '%s'", src->name);
	else
		runlog_printf(r, "source '%s': %llu rows read, %llu kept, %llu skipped, "
			      "%llu rule errors (%.2f s)", src->name,
			      (unsigned long long)st->read,
			      (unsigned long long)st->kept,
			      (unsigned long long)st->skipped,
			      (unsigned long long)st->failed, st->seconds);
	if (rc == 0 && st->reuse && !st->incremental)
		runlog_printf(r, "source '%s': %llu of %llu rows unchanged since "
			      "the last run, their translations reused "
			      "(--retranslate translates every row)", src->name,
			      (unsigned long long)st->reused,
			      (unsigned long long)st->read);
	prefetch_free(pf);	/* before the cursor it reads */
	cursor_close(cur);
	conn_close(conn);
	mem_free(params);
	canon_release(&rec);
	rowfp_release(&fpr);
	sbuf_release(&fail);
	sbuf_release(&id);
	sbuf_release(&key);
	return rc;
}

/* ---- reading every source ------------------------------------------- */

/* Sources are read one after another (each with its own fetch thread,
 * see prefetch.h), so at most one driver result set is in memory. */
int read_sources(struct run *r, struct error *err)
{
	if (incmerge_prepare(r, err) < 0)
		return -1;
	for (size_t i = 0; i < r->job->nsources; i++)
		if (read_source(r, r->rules, i, err) < 0)
			return -1;
	return 0;
}
