/*
 * feed.c - how a source's rows reach the matcher, for a full read
 * (read.c) and an incremental one (incmerge.c) alike: the bound
 * parameters of a source's queries, a row's columns by name and its id
 * for messages (also the translators', xlate.c), and feed_row(), the one
 * sink of translated rows.
 */
#include <string.h>

#include "run_int.h"
#include "canon.h"
#include "incr.h"
#include "match.h"
#include "mem.h"
#include "phase.h"
#include "rowfp.h"
#include "text.h"
#include "../connectors/connector.h"
#include "banned.h"

const struct value *feed_column(const struct row *row, const char *name)
{
	for (size_t i = 0; i < row->ncols; i++)
		if (strcmp(row->names[i], name) == 0)
			return &row->vals[i];
	return NULL;
}

/*
 * The bound parameters of a query: as-of and window start as timestamps,
 * the watermark (incremental queries; NULL wm for full ones) as a
 * timestamp or text by its type, literals as text. Caller frees.
 */
struct param *feed_params(const struct run *r, const struct job_param *jp,
			  size_t n, const struct sbuf *wm, int wm_is_time,
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

/* st's first failure, for the rule-error ceiling's message: "row 'KEY':
 * FILE:LINE: message", KEY as the RULE_ERROR line shows it. -1: out of
 * memory. */
static int first_fail(struct run *r, struct source_stats *st,
		      const struct sbuf *key, const struct sbuf *msg)
{
	struct sbuf m = SBUF_INIT(1 << 16);

	sbuf_addstr(&m, "row '");
	text_add_clean(&m, key->buf, key->len, CANON_STR_CAP);
	sbuf_addstr(&m, "': ");
	sbuf_add(&m, msg->buf, msg->len);
	if (!m.failed)
		st->first_fail = arena_strndup(&r->arena, m.buf, m.len);
	sbuf_release(&m);
	return st->first_fail ? 0 : -1;
}

/* One function for a full read (read.c) and incremental reading's merge
 * (incmerge.c): the same row gives the same counters, control totals,
 * matcher input and RULE_ERROR line whichever way it was read. */
int feed_row(struct run *r, size_t si, enum incr_kind k, const uint8_t *fp,
	     struct canon *rec, const struct sbuf *key,
	     const struct sbuf *msg, struct error *err)
{
	const struct job_source *src = &r->job->sources[si];
	struct source_stats *st = &r->stats[si];

	st->read++;
	phase_rows(PH_TRANSLATE, 1);
	progress_tick(r);
	rowfp_sum_add(st->rows_sum, fp);
	switch (k) {
	case INCR_KEPT:
		st->kept++;
		if (summary_add_total(r, st, rec, err) < 0 ||
		    match_add(r->match, rec, err) < 0)
			return -1;
		return 0;
	case INCR_SKIPPED:
		st->skipped++;
		return 0;
	case INCR_FAILED:
		st->failed++;
		if (!st->first_fail && !msg->failed &&
		    first_fail(r, st, key, msg) < 0)
			return error_set(err, ERR_NOMEM, "out of memory");
		return record_add_item(r, OUT_RULE_ERROR, "error", key->buf,
				       key->len, NULL, src->translate, NULL,
				       msg->buf, err);
	default:
		return error_set(err, ERR_INTERNAL, "state entry of kind %d",
				 (int)k);
	}
}

/* The value of the source's id column in this row, for messages. */
void feed_row_id(const struct job_source *src, const struct row *row,
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

/* The job names columns the query must return: say so on the first row
 * instead of silently naming rows by number or missing watermarks. */
int feed_check_columns(const struct job_source *src, const struct row *row,
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
