/*
 * record.c - per reconciled group (the matcher's callbacks): the order
 * rules, the report lines of its findings, and the record published to
 * the store (outcome, codes, verdicts, declared columns, sources); and
 * the report line of a duplicate key or a failed row.
 */
#include <string.h>

#include "run_int.h"
#include "canon.h"
#include "ledger.h"
#include "mem.h"
#include "money.h"
#include "outcome.h"
#include "pubval.h"
#include "rowfp.h"
#include "rules.h"
#include "stop.h"
#include "store.h"
#include "text.h"
#include "banned.h"

static char *dup_field(struct run *r, const struct canon *c, enum canon_str f)
{
	size_t n;
	const char *s;

	if (!c)
		return NULL;
	s = canon_get(c, f, &n);
	return s ? arena_strndup(&r->arena, s, n) : NULL;
}

/* The keys of n records (or of `one`) joined by REPORT_KEY_SEP, in the
 * arena; NULL if there are none (or no memory: the caller checks). */
static char *join_keys(struct run *r, const struct canon *const *a, size_t n,
		       const struct canon *one, int *nomem)
{
	struct sbuf sb = SBUF_INIT((size_t)1 << 30);
	char *s = NULL;

	if (!a && one) {
		a = &one;
		n = 1;
	}
	for (size_t i = 0; a && i < n; i++) {
		size_t kn;
		const char *k = canon_get(a[i], CS_KEY, &kn);

		if (sb.len)
			sbuf_addstr(&sb, REPORT_KEY_SEP);
		sbuf_add(&sb, k ? k : "", k ? kn : 0);
	}
	if (sb.len) {
		s = sb.failed ? NULL : arena_strndup(&r->arena, sb.buf, sb.len);
		if (!s)
			*nomem = 1;
	}
	sbuf_release(&sb);
	return s;
}

int record_columns(struct run *r, struct error *err)
{
	const struct job *job = r->job;
	size_t n = 0, k = 0;

	if (r->rcols_ready)
		return 0;
	for (size_t i = 0; i < job->nfields; i++)
		for (int role = 0; role < CANON__KINDS; role++)
			n += (job->fields[i].report || job->report_csv_full) &&
			     (job->fields[i].roles & 1u << role);
	if (n) {
		r->rcols = arena_alloc(&r->arena, n * sizeof(*r->rcols));
		r->rcol_field = arena_alloc(&r->arena, n * sizeof(unsigned));
		r->rcol_role = arena_alloc(&r->arena, n * sizeof(*r->rcol_role));
		if (!r->rcols || !r->rcol_field || !r->rcol_role)
			return error_set(err, ERR_NOMEM, "out of memory");
	}
	/* field by field, its roles side by side: deal, order, erp */
	for (size_t i = 0; i < job->nfields; i++) {
		const struct job_field *f = &job->fields[i];

		for (int role = 0; role < CANON__KINDS; role++) {
			struct sbuf name = SBUF_INIT(256);

			/* report="false" fields only for the full CSV set */
			if ((!f->report && !job->report_csv_full) ||
			    !(f->roles & 1u << role))
				continue;
			sbuf_addf(&name, "%s.fields.%s", canon_kind_names[role],
				  f->name);
			r->rcols[k].name = name.failed ? NULL :
				arena_strndup(&r->arena, name.buf, name.len);
			sbuf_release(&name);
			if (!r->rcols[k].name)
				return error_set(err, ERR_NOMEM, "out of memory");
			r->rcols[k].numeric = f->type == CFT_MONEY ||
					      f->type == CFT_INTEGER;
			r->rcols[k].full_only = !f->report;
			r->rcol_field[k] = (unsigned)i;
			r->rcol_role[k] = (enum canon_kind)role;
			k++;
		}
	}
	r->nrcols = n;
	r->rcols_ready = 1;
	return 0;
}

/*
 * Report column c of group g, in the arena: the deal's or the order's
 * value, or for several orders (duplicates) and for the ERP documents one
 * value per record joined by REPORT_KEY_SEP in the order of order_keys
 * and erp_keys (empty where a record leaves it unset). NULL when no
 * record sets it; *nomem on failure.
 */
static const char *column_value(struct run *r, const struct group *g,
				size_t c, int *nomem)
{
	unsigned fi = r->rcol_field[c];
	enum canon_ftype t = r->job->fields[fi].type;
	const struct canon *one = NULL;
	const struct canon *const *a = NULL;
	size_t n = 0;
	struct sbuf sb = SBUF_INIT((size_t)1 << 30);
	const char *s = NULL;
	int any = 0;

	switch (r->rcol_role[c]) {
	case CANON_DEAL:
		one = g->deal;
		break;
	case CANON_ORDER:
		a = g->orders;	/* as join_keys: the list, else the one */
		n = g->norders;
		one = g->order;
		break;
	default:
		if (g->erp) {
			a = g->erp->docs;
			n = g->erp->ndocs;
		}
		break;
	}
	if (!a && one) {
		a = &one;
		n = 1;
	}
	for (size_t i = 0; a && i < n; i++) {
		int rc;

		if (i)
			sbuf_addstr(&sb, REPORT_KEY_SEP);
		rc = canon_xformat(a[i], fi, t, &sb);
		if (rc < 0)
			*nomem = 1;
		any |= rc > 0;
	}
	if (any && !*nomem && !sb.failed &&
	    !(s = arena_strndup(&r->arena, sb.buf, sb.len)))
		*nomem = 1;
	if (sb.failed)
		*nomem = 1;
	sbuf_release(&sb);
	return s;
}

static const struct canon *group_main(const struct group *g)
{
	return g->order ? g->order : g->deal;
}

int record_add_item(struct run *r, enum outcome oc, const char *severity,
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

		int nomem = 0;

		it->deal_key = dup_field(r, g->deal, CS_KEY);
		it->order_key = dup_field(r, g->order, CS_KEY);
		it->order_keys = join_keys(r, g->orders, g->norders, g->order,
					   &nomem);
		if (g->erp)
			it->erp_keys = join_keys(r, g->erp->docs, g->erp->ndocs,
						 NULL, &nomem);
		if (record_columns(r, err) < 0)
			return -1;
		if (r->nrcols) {
			const char **v = arena_alloc(&r->arena, r->nrcols *
						     sizeof(*v));

			if (!v)
				nomem = 1;
			for (size_t c = 0; v && c < r->nrcols; c++)
				v[c] = column_value(r, g, c, &nomem);
			it->fields = v;
		}
		if (nomem)
			return error_set(err, ERR_NOMEM, "out of memory "
					 "(exception lines)");
		it->customer = dup_field(r, m, CS_CUSTOMER);
		it->currency = dup_field(r, m, CS_CURRENCY);
		it->name = dup_field(r, g->deal, CS_NAME);
		if (!it->name)
			it->name = dup_field(r, m, CS_NAME);
		if (g->deal)
			it->deal_amount = summary_amount(r, g->deal->present &
							CANON_HAS_AMOUNT,
							 g->deal->amount);
		if (g->order)
			it->order_amount = summary_amount(r, g->order->present &
							 CANON_HAS_AMOUNT,
							  g->order->amount);
		if (g->erp) {
			int64_t a;
			int known = erp_agg_amount(g->erp, &a);

			it->erp_amount = summary_amount(r, known, a);
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

static const char *const severity_names[] = { "error", "warning", "info" };

/* One part of a record's `sources` JSON:
 * "role":{"source":..,"sha256":..,"key":..} (the key: `recon history`
 * finds the record by it).
 * No row position: it follows the order the driver returns rows in (and
 * differs between a full and an incremental run), and the published
 * record must not (docs/LEDGER.md, "Provenance"). */
/* A record's key as a JSON string ("" if it has none). */
static void add_key_json(const struct canon *c, struct sbuf *out)
{
	size_t kn;
	const char *k = canon_get(c, CS_KEY, &kn);
	struct sbuf tmp = SBUF_INIT(CANON_STR_CAP + 1);

	/* text_add_json wants a C string; keys hold no NUL (text.h) */
	sbuf_add(&tmp, k ? k : "", k ? kn : 0);
	text_add_json(out, tmp.failed ? "" : tmp.buf);
	if (tmp.failed)
		out->failed = tmp.failed;
	sbuf_release(&tmp);
}

static void source_part(struct run *r, const char *role, const struct canon *c,
			struct sbuf *out)
{
	char hex[65];

	rowfp_hex(c->fp, hex);
	if (out->len > 1)
		sbuf_addch(out, ',');
	sbuf_addf(out, "\"%s\":{\"source\":", role);
	text_add_json(out, r->job->sources[c->source].name);
	sbuf_addf(out, ",\"sha256\":\"%s\",\"key\":", hex);
	add_key_json(c, out);
	sbuf_addch(out, '}');
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
		sbuf_addf(out, "\"erp\":{\"docs\":%u,\"sha256\":\"%s\","
			  "\"keys\":[", g->erp->ndocs, hex);
		for (uint32_t i = 0; g->erp->docs && i < g->erp->ndocs; i++) {
			if (i)
				sbuf_addch(out, ',');
			add_key_json(g->erp->docs[i], out);
		}
		sbuf_addstr(out, "]}");
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
		return summary_add_total(r, st, m, err);
	if (!g->erp)
		return 0;
	/* an ERP-only record: its documents' amount and currency */
	canon_init(&c);
	c.present = erp_agg_amount(g->erp, &c.amount) ? CANON_HAS_AMOUNT : 0;
	if (g->erp->currency &&
	    canon_set(&c, CS_CURRENCY, g->erp->currency,
		      g->erp->currency_len) < 0) {
		canon_release(&c);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	{
		int rc = summary_add_total(r, st, &c, err);

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

/* ERP_WITHOUT_ORDER's line names the documents, not only the order
 * reference they share (the record's key): "ERP documents INV-1 (posted
 * invoice) | INV-2 (draft invoice) reference order 'SO-9', which does
 * not exist". Keys as the report shows them, cleaned of control
 * characters. */
#define ORPHAN_MESSAGE_KEYS 2048	/* bytes of keys before "and N more" */

static int orphan_message(const struct group *g, struct sbuf *msg)
{
	const struct erp_agg *e = g->erp;

	sbuf_addstr(msg, e && e->ndocs == 1 ? "ERP document " : "ERP documents ");
	for (uint32_t i = 0; e && e->docs && i < e->ndocs; i++) {
		const struct canon *d = e->docs[i];
		size_t kn;
		const char *k = canon_get(d, CS_KEY, &kn);

		if (msg->len > ORPHAN_MESSAGE_KEYS) {
			/* the erp_keys column has them all */
			sbuf_addf(msg, " and %u more", e->ndocs - i);
			break;
		}
		if (i)
			sbuf_addstr(msg, REPORT_KEY_SEP);
		text_add_clean(msg, k ? k : "", k ? kn : 0, CANON_STR_CAP);
		sbuf_addf(msg, " (%s %s)",
			  d->status ? canon_status_names[d->status] : "no status",
			  d->doctype ? canon_doctype_names[d->doctype]
				     : "document");
	}
	sbuf_addstr(msg, e && e->ndocs == 1 ? " references order '"
					     : " reference order '");
	text_add_clean(msg, g->key, g->key_len, CANON_STR_CAP);
	sbuf_addstr(msg, "', which does not exist");
	return msg->failed ? -1 : 0;
}

int record_on_group(void *ctx, const struct group *g, unsigned flags,
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

	progress_tick(r);
	/* a safe point per group: order rules and store inserts follow */
	if (stop_check(err, "matching") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(structural) / sizeof(structural[0]); i++)
		if (flags & structural[i].flag)
			found[nf++] = (struct finding){ structural[i].oc, NULL };
	verdict_list_reset(&r->verdicts);
	if (g->order) {
		double t0 = runlog_now();

		if (rules_check(r->rules, g, &r->verdicts, err) < 0)
			return error_context(err, "order '%.*s'", (int)g->key_len,
					     g->key);
		r->t_rules += runlog_now() - t0;
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
		else if (found[i].oc == OUT_ERP_WITHOUT_ORDER &&
			 orphan_message(g, &msg) < 0) {
			sbuf_release(&msg);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
		rc = record_add_item(r, found[i].oc,
				     v ? severity_names[v->severity < 3 ? v->severity : 0]
				: "error",
				     g->key, g->key_len, g, v ? v->rule : NULL,
				     v ? v->where : NULL, v || msg.len ? msg.buf
								  : NULL, err);
		sbuf_release(&msg);
		if (rc < 0)
			return -1;
		if (v && v->has_cmp) {
			/* the comparison the rule's verdict rests on */
			struct report_item *it = &r->items[r->nitems - 1];

			it->difference = summary_amount(r, 1, v->diff);
			it->tolerance = summary_amount(r, 1, v->tolerance);
			if (!it->difference || !it->tolerance)
				return error_set(err, ERR_NOMEM, "out of memory");
		}
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
		text_add_json(&r->vjson, v->rule);
		sbuf_addstr(&r->vjson, ",\"code\":");
		text_add_json(&r->vjson, v->is_error ? "RULE_ERROR" : v->code);
		sbuf_addstr(&r->vjson, ",\"severity\":");
		text_add_json(&r->vjson, severity_names[v->severity < 3 ? v->severity : 0]);
		sbuf_addstr(&r->vjson, ",\"where\":");
		text_add_json(&r->vjson, v->where);
		sbuf_addstr(&r->vjson, ",\"message\":");
		text_add_json(&r->vjson, v->message);
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
			double t0 = runlog_now();

			rc = r->replay
			     ? r->replay->put(r->replay->ctx, rec.kind, rec.key,
					      rec.outcome, rec.codes,
					      rec.verdicts, err)
			     : store_put(r->store, &rec, r->run_id.buf,
					 rules_hash(r->rules), err);
			r->t_store += runlog_now() - t0;
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

int record_on_dup(void *ctx, const struct canon *rec, const char *key,
		  size_t key_len, struct error *err)
{
	struct run *r = ctx;
	const struct job_source *src = &r->job->sources[rec->source];
	struct sbuf msg = SBUF_INIT(65536);
	int rc;

	/* No row position (it follows row order): the same rows give the
	 * same line in any order and, fingerprints being normalised by
	 * type (rowfp.h), the same row is kept on any database
	 * (docs/MATCHING.md). */
	sbuf_addf(&msg, "%s key '%.*s' appears more than once (source '%s'): "
		  "the row with the smallest fingerprint is matched, the "
		  "others are ignored", canon_kind_names[rec->kind],
		  (int)key_len, key, src->name);
	rc = record_add_item(r, OUT_DUPLICATE_KEY, "error", key, key_len, NULL, NULL,
			     NULL, msg.buf, err);
	sbuf_release(&msg);
	return rc;
}
