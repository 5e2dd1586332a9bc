/*
 * explain.c - `recon explain`: one record as one run saw it, from the
 * store alone (explain.h, docs/REPORTS.md "Explaining one key").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "explain.h"
#include "ledger.h"
#include "lifecycle.h"
#include "mem.h"
#include "money.h"
#include "outcome.h"
#include "snapshot.h"
#include "store.h"
#include "text.h"
#include "tstamp.h"
#include "verify.h"
#include "../connectors/connector.h"
#include "inputs.h"
#include "rowfp.h"
#include "banned.h"

static int nomem(struct error *err)
{
	return error_set(err, ERR_NOMEM, "out of memory");
}

/* ---- the near-miss normaliser ------------------------------------------ */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

static int is_sep(char c)
{
	return c == '-' || c == '_' || c == '.' || c == '/' || c == ':' ||
	       c == '#';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int explain_norm(const char *s, unsigned mask, struct sbuf *out)
{
	size_t start = out->len, i, n;
	char *b;

	for (; *s; s++) {
		char c = *s;

		if ((mask & EXPLAIN_PADDING) && is_blank(c))
			continue;
		if ((mask & EXPLAIN_SEPARATORS) && is_sep(c))
			continue;
		if ((mask & EXPLAIN_CASE) && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		sbuf_addch(out, c);
	}
	if (out->failed)
		return -1;
	b = out->buf + start;
	n = out->len - start;
	if (mask & EXPLAIN_ZEROS) {
		size_t w = 0;
		int lead = 0;	/* in the leading zeros of a digit run */

		/* w <= i: b[i - 1] is still the text's own character */
		for (i = 0; i < n; i++) {
			char ch = b[i];

			if (is_digit(ch)) {
				if (i == 0 || !is_digit(b[i - 1]))
					lead = 1;
				if (lead && ch == '0' && i + 1 < n &&
				    is_digit(b[i + 1]))
					continue;
				lead = 0;
			}
			b[w++] = ch;
		}
		n = w;
	}
	if (mask & EXPLAIN_PREFIX) {
		size_t k = 0;

		while (k < n && is_alpha(b[k]))
			k++;
		if (k >= 1 && k <= 3 && k < n && is_digit(b[k])) {
			memmove(b, b + k, n - k);
			n -= k;
		}
	}
	out->len = start + n;
	out->buf[out->len] = '\0';
	return 0;
}

/* 1 if a and b are equal under mask, -1 if out of memory. */
static int equal_under(const char *a, const char *b, unsigned mask,
		       struct sbuf *x, struct sbuf *y)
{
	sbuf_reset(x);
	sbuf_reset(y);
	if (explain_norm(a, mask, x) < 0 || explain_norm(b, mask, y) < 0)
		return -1;
	return x->len == y->len && memcmp(x->buf, y->buf, x->len) == 0;
}

unsigned explain_near(const char *a, const char *b)
{
	struct sbuf x = SBUF_INIT(1 << 16), y = SBUF_INIT(1 << 16);
	unsigned bits = 0;

	if (!a || !b || strcmp(a, b) == 0 || !*a || !*b)
		goto out;
	/* the fewest steps, in their order, that make them equal; then
	 * of those the ones they need */
	for (unsigned upto = 1; upto <= EXPLAIN_ALL; upto = upto << 1 | 1) {
		if (equal_under(a, b, upto, &x, &y) != 1)
			continue;
		for (unsigned step = 1; step <= upto; step <<= 1)
			if (equal_under(a, b, upto & ~step, &x, &y) == 0)
				bits |= step;
		if (!bits)
			bits = upto;
		break;
	}
out:
	sbuf_release(&x);
	sbuf_release(&y);
	return bits;
}

void explain_near_words(unsigned bits, struct sbuf *out)
{
	static const char *const words[] = {
		"padding", "case", "separators", "leading zeros",
		"a letter prefix"
	};
	size_t n = 0, k = 0;

	for (size_t i = 0; i < 5; i++)
		n += (bits >> i) & 1u;
	for (size_t i = 0; i < 5; i++) {
		if (!((bits >> i) & 1u))
			continue;
		if (k)
			sbuf_addstr(out, k + 1 == n ? " and " : ", ");
		sbuf_addstr(out, words[i]);
		k++;
	}
}

/* ---- what is read ------------------------------------------------------- */

/* One version of the key (every string owned). */
struct ever {
	char *f[LF__COUNT];
	char *c[LEDGER_MAX_COLS];
	char *seq_text, *as_of;
	uint64_t seq;
};

/* A record current at the run that nearly matches (owned strings). */
struct near {
	char *kind, *key, *outcome, *field;	/* field: the value compared */
	int64_t version;
	int near;		/* its latest version so far is near */
	unsigned bits;
};

struct ex {
	const char *job, *id;
	const struct ledger_schema *sch;
	struct sbuf run_id, as_of;
	uint64_t seq, latest;
	struct ever *v;
	size_t nv;
	struct snapshot *snap;	/* NULL: the run kept no report */
	struct near *nm;
	size_t nnm;
	struct sbuf tmp;
	/* the run's kept inputs (inputs.h): their path, NULL if none; and
	 * per part (deal, order) the values of the row whose fingerprint
	 * the version names, "col=value, ..." text, empty if not found */
	const char *inputs;
	struct sbuf kept[2];
	int kept_read;		/* the file was read (1), refused (-1) */
	struct sbuf kept_why;
	/* the rows wanted by every record shown, looked up in one pass over
	 * the file (kept_load): file_read as kept_read, for them all */
	struct kept_want *want;
	size_t nwant;
	int file_read;
};

/* A row explain shows: of source src, with fingerprint fp (its values
 * in text once found). */
struct kept_want {
	char *src, *fp;
	struct sbuf text;
};

static const char *row_text(const struct row *row, size_t i)
{
	return i < row->ncols && row->vals[i].type != VAL_NULL
		       ? row->vals[i].s : NULL;
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = mem_strdup(s)))
		*oom = 1;
	return d;
}

/* 'YYYY-MM-DD HH:MM:SS' whatever text the DBMS gives a timestamp. */
static void add_time(struct sbuf *out, const char *s)
{
	int64_t t;
	struct sbuf iso = SBUF_INIT(64);

	if (s && tstamp_parse(s, strlen(s), &t) == 0 &&
	    tstamp_format(t, &iso) == 0 && iso.len == 20) {
		iso.buf[10] = ' ';
		sbuf_add(out, iso.buf, 19);
	} else {
		sbuf_addstr(out, s ? s : "?");
	}
	sbuf_release(&iso);
}

/* A declared column's value for people: money with two decimals at
 * least (PostgreSQL prints NUMERIC(24,4) "1000.0000"), a timestamp as
 * above; else as stored. */
static void add_value(struct sbuf *out, enum ledger_type t, const char *s)
{
	int64_t v;

	if (s && t == LT_MONEY && money_parse(s, strlen(s), &v) == MONEY_OK)
		money_format(v, 2, out);
	else if (s && t == LT_TIMESTAMP)
		add_time(out, s);
	else if (s && t == LT_DATE && strlen(s) > 10)
		sbuf_add(out, s, 10);
	else
		sbuf_addstr(out, s ? s : "");
}

static void ever_free(struct ever *e)
{
	for (size_t i = 0; i < LF__COUNT; i++)
		mem_free(e->f[i]);
	for (size_t i = 0; i < LEDGER_MAX_COLS; i++)
		mem_free(e->c[i]);
	mem_free(e->seq_text);
	mem_free(e->as_of);
}

static int read_versions(struct conn *c, const char *table, struct ex *x,
			 const char *kind, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	size_t alloc = 0, nc = x->sch->n;
	int rc;

	if (store_read_history(c, table, x->sch, x->id, kind, &cur, err) < 0)
		return -1;
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		struct ever *e;
		int oom = 0;

		if (!row_text(row, LF_REC_KIND) || !row_text(row, LF_VERSION))
			continue;
		if (x->nv == alloc) {
			size_t na = alloc ? alloc * 2 : 8;
			void *p = mem_realloc(x->v, na * sizeof(*x->v));

			if (!p) {
				rc = nomem(err);
				break;
			}
			x->v = p;
			alloc = na;
		}
		e = &x->v[x->nv++];
		memset(e, 0, sizeof(*e));
		for (size_t i = 0; i < LF__COUNT; i++)
			e->f[i] = dup_or_null(row_text(row, i), &oom);
		for (size_t i = 0; i < nc; i++)
			e->c[i] = dup_or_null(row_text(row, LF__COUNT + i), &oom);
		e->seq_text = dup_or_null(row_text(row, LF__COUNT + nc), &oom);
		e->as_of = dup_or_null(row_text(row, LF__COUNT + nc + 1), &oom);
		e->seq = e->seq_text ? strtoull(e->seq_text, NULL, 10) : 0;
		if (oom) {
			rc = nomem(err);
			break;
		}
	}
	cursor_close(cur);
	return rc < 0 ? -1 : 0;
}

/* The column whose value= is value, or -1. */
static long column_of(const struct ledger_schema *s, const char *value)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->col[i].value && strcmp(s->col[i].value, value) == 0)
			return (long)i;
	return -1;
}

/* ---- near misses ------------------------------------------------------- */

/* What the search of an unmatched record compares: records of kind
 * `kind` whose field (column col, or rec_key when col is -1) nearly
 * equals target. */
struct search {
	const char *code;	/* the unmatched outcome */
	const char *target;	/* this record's value */
	const char *what;	/* what target is, in words */
	const char *kind;
	long col;
	const char *field;	/* the compared field, in words */
	const char *impossible;	/* why there is no search, or NULL */
};

static int plan_search(const struct ex *x, const struct ever *e,
		       struct search *s)
{
	const char *kind = e->f[LF_REC_KIND], *codes = e->f[LF_CODES];
	long ref = column_of(x->sch, "order.deal_ref");

	memset(s, 0, sizeof(*s));
	s->col = -1;
	if (!codes)
		return 0;
	if (strcmp(kind, "deal") == 0 &&
	    life_has_code(codes, "DEAL_WITHOUT_ORDER")) {
		s->code = "DEAL_WITHOUT_ORDER";
		s->target = e->f[LF_REC_KEY];
		s->what = "this deal's key";
		s->kind = "order";
		s->col = ref;
		s->field = "its deal reference (order.deal_ref)";
		if (ref < 0)
			s->impossible = "the store keeps no order's deal "
					"reference (no column declares "
					"value=\"order.deal_ref\"), so orders "
					"that nearly name this deal cannot be "
					"found from the store";
	} else if (strcmp(kind, "order") == 0 &&
		   life_has_code(codes, "ORDER_WITHOUT_DEAL")) {
		s->code = "ORDER_WITHOUT_DEAL";
		s->target = ref >= 0 ? e->c[ref] : NULL;
		s->what = "this order's deal reference";
		s->kind = "deal";
		s->field = "its key";
		if (ref < 0)
			s->impossible = "the store keeps no order's deal "
					"reference (no column declares "
					"value=\"order.deal_ref\"), so deals "
					"it nearly names cannot be found from "
					"the store";
		else if (!s->target || !*s->target)
			s->impossible = "the order names no deal (its deal "
					"reference is empty)";
	} else if (strcmp(kind, "order") == 0 &&
		   life_has_code(codes, "ORDER_NOT_IN_ERP")) {
		s->code = "ORDER_NOT_IN_ERP";
		s->target = e->f[LF_REC_KEY];
		s->what = "this order's key";
		s->kind = "erp";
		s->field = "the order reference of its ERP documents";
	} else if (strcmp(kind, "erp") == 0 &&
		   life_has_code(codes, "ERP_WITHOUT_ORDER")) {
		s->code = "ERP_WITHOUT_ORDER";
		s->target = e->f[LF_REC_KEY];
		s->what = "the order reference of these ERP documents";
		s->kind = "order";
		s->field = "its key";
	}
	return s->code != NULL;
}

static int near_note(struct ex *x, const char *kind, const char *key,
		     int64_t version, const char *outcome, const char *field,
		     unsigned bits, struct error *err)
{
	struct near *n = NULL;
	int oom = 0;

	for (size_t i = 0; i < x->nnm; i++)
		if (strcmp(x->nm[i].kind, kind) == 0 &&
		    strcmp(x->nm[i].key, key) == 0) {
			n = &x->nm[i];
			break;
		}
	if (!n) {
		void *p;

		if (!bits)
			return 0;
		if (x->nnm >= 1000)
			return 0;	/* enough to say it */
		p = mem_realloc(x->nm, (x->nnm + 1) * sizeof(*x->nm));
		if (!p)
			return nomem(err);
		x->nm = p;
		n = &x->nm[x->nnm++];
		memset(n, 0, sizeof(*n));
		n->kind = dup_or_null(kind, &oom);
		n->key = dup_or_null(key, &oom);
	}
	if (version < n->version)
		return 0;
	n->version = version;
	n->near = bits != 0;
	n->bits = bits;
	mem_free(n->outcome);
	mem_free(n->field);
	n->outcome = dup_or_null(outcome, &oom);
	n->field = dup_or_null(field, &oom);
	return oom || !n->kind || !n->key ? nomem(err) : 0;
}

/* One pass over the job's versions up to the run: the records of
 * s->kind current at it whose field nearly equals s->target. */
static int near_scan(struct conn *c, const char *table, struct ex *x,
		     const struct search *s, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	int rc;

	if (store_read_life(c, table, x->sch, x->job, x->seq, &cur, err) < 0)
		return -1;
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		const char *kind = row_text(row, 0), *key = row_text(row, 1);
		const char *ver = row_text(row, 2), *outcome = row_text(row, 6);
		const char *field;

		if (!kind || !key || !ver || strcmp(kind, s->kind) != 0)
			continue;
		field = s->col >= 0 ? row_text(row, 9 + (size_t)s->col) : key;
		if (outcome && strcmp(outcome, "REMOVED") == 0)
			field = NULL;
		if (near_note(x, kind, key, strtoll(ver, NULL, 10), outcome,
			      field, field ? explain_near(field, s->target) : 0,
			      err) < 0) {
			rc = -1;
			break;
		}
	}
	cursor_close(cur);
	return rc < 0 ? -1 : 0;
}

/* ---- output helpers ----------------------------------------------------- */

static const char *jstr(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void jout(struct sbuf *out, const char *s)
{
	if (s)
		text_add_json(out, s);
	else
		sbuf_addstr(out, "null");
}

/* A report line of the record's (kind, key) in the kept report. */
static int item_of(const struct report_item *it, const char *kind,
		   const char *key)
{
	const char *k = life_item_kind(it);

	return k && it->key && strcmp(k, kind) == 0 && strcmp(it->key, key) == 0;
}

/* 1 if code is an outcome that is an exception (a rule's own code is:
 * RULE_FAILED). */
static int exception_outcome(const char *code)
{
	int o = code ? outcome_lookup(code, strlen(code)) : -1;

	return code && (o < 0 || outcome_table[o].is_exception);
}

/* A line of no record about this key: DUPLICATE_KEY, whose message
 * begins with the kind ("order key 'SO-1' appears more than once ...";
 * record.c, record_on_dup). */
static int dup_line_of(const struct report_item *it, const char *kind,
		       const char *key)
{
	size_t n = strlen(kind);

	return !life_item_kind(it) && it->outcome && it->key && it->message &&
	       strcmp(it->outcome, "DUPLICATE_KEY") == 0 &&
	       strcmp(it->key, key) == 0 && strncmp(it->message, kind, n) == 0 &&
	       it->message[n] == ' ';
}

/* A report line explain shows for the record: its own, or a duplicate
 * key's. */
static int line_of(const struct report_item *it, const char *kind,
		   const char *key)
{
	return item_of(it, kind, key) || dup_line_of(it, kind, key);
}

/* The kept report line of a verdict: same code, rule and place. */
static const struct report_item *item_for(const struct ex *x, const char *kind,
					  const char *key, const char *code,
					  const char *rule, const char *where)
{
	if (!x->snap)
		return NULL;
	for (size_t i = 0; i < x->snap->rep.nitems; i++) {
		const struct report_item *it = &x->snap->rep.items[i];

		if (item_of(it, kind, key) && it->outcome && code &&
		    strcmp(it->outcome, code) == 0 &&
		    (!rule || (it->rule && strcmp(it->rule, rule) == 0)) &&
		    (!where || (it->where && strcmp(it->where, where) == 0)))
			return it;
	}
	return NULL;
}

/* The version of x->v[first..last) current at the run; -1 if none. */
static long current_at(const struct ex *x, size_t first, size_t last)
{
	long at = -1;

	for (size_t i = first; i < last; i++)
		if (x->v[i].seq && x->v[i].seq <= x->seq)
			at = (long)i;
	return at;
}

/* ---- the text ----------------------------------------------------------- */

static const char *part_names[] = { "deal", "order", "erp" };

/* One value as the rules saw it. */
static void add_kept_value(struct sbuf *b, const struct value *v)
{
	if (v->type == VAL_NULL)
		sbuf_addstr(b, "NULL");
	else if (v->type == VAL_INT && !v->s)
		sbuf_add_i64(b, v->i);
	else if (v->s)
		sbuf_add(b, v->s, v->len);
	else
		sbuf_add_i64(b, v->i);
}

/* Add the deal's and the order's (source, fingerprint) of the version's
 * sources JSON to x's wants, once each. */
static int want_rows(struct ex *x, const char *sources)
{
	json_error_t je;
	json_t *src = json_loads(sources ? sources : "{}", 0, &je);
	int rc = 0;

	for (int p = 0; src && rc == 0 && p < 2; p++) {
		json_t *part = json_object_get(src, part_names[p]);
		const char *sn = json_is_object(part) ? jstr(part, "source") : NULL;
		const char *fp = json_is_object(part) ? jstr(part, "sha256") : NULL;
		struct kept_want *w;
		size_t i;

		if (!sn || !fp)
			continue;
		for (i = 0; i < x->nwant; i++)
			if (!strcmp(x->want[i].src, sn) && !strcmp(x->want[i].fp, fp))
				break;
		if (i < x->nwant)
			continue;
		w = mem_realloc(x->want, (x->nwant + 1) * sizeof(*w));
		if (!w) {
			rc = -1;
			break;
		}
		x->want = w;
		w = &x->want[x->nwant];
		w->src = mem_strdup(sn);
		w->fp = mem_strdup(fp);
		if (!w->src || !w->fp) {
			/* not added: every want in x has both names */
			mem_free(w->src);
			mem_free(w->fp);
			rc = -1;
			break;
		}
		sbuf_init(&w->text, 1 << 20);
		x->nwant++;
	}
	json_decref(src);
	return rc;
}

/*
 * The values of the deal's and the order's source rows of every record
 * shown, from the run's kept inputs, in one pass over the file: the row
 * of the named source whose fingerprint is the version's. The ERP
 * documents are fingerprinted together, so their rows are not found so.
 * A file that does not check is said, not used. Out of memory leaves
 * the values unshown.
 */
static void kept_load(struct ex *x)
{
	struct inputs_reader *in = NULL;
	struct inputs_item it;
	struct rowfp fpr;
	struct error err;
	char cur[256] = "";
	size_t first, i, found = 0;
	int k;

	for (first = 0; first < x->nv; first = i) {
		long at;

		for (i = first; i < x->nv && strcmp(x->v[i].f[LF_REC_KIND],
						   x->v[first].f[LF_REC_KIND]) == 0;
		     i++)
			;
		at = current_at(x, first, i);
		if (at >= 0 && want_rows(x, x->v[at].f[LF_SOURCES]) < 0)
			return;
	}
	if (!x->inputs || !x->nwant)
		return;
	error_init(&err);
	rowfp_init(&fpr);
	if (inputs_reader_open(x->inputs, &in, &err) < 0) {
		x->file_read = -1;
		sbuf_addstr(&x->kept_why, err.msg.buf);
		goto out;
	}
	x->file_read = 1;
	while (found < x->nwant && (k = inputs_reader_next(in, &it, &err)) == 1) {
		struct row row;
		uint8_t fp[32];
		char hex[65];
		int need = 0;

		if (it.tag == 'S' || it.tag == 'R') {
			snprintf(cur, sizeof(cur), "%c%s", it.tag, it.name);
			continue;
		}
		if (it.tag != 'W' || cur[0] != 'S')
			continue;
		for (size_t w = 0; w < x->nwant && !need; w++)
			need = !x->want[w].text.len &&
			       !strcmp(cur + 1, x->want[w].src);
		if (!need)
			continue;
		row.ncols = it.ncols;
		row.names = it.cols;
		row.vals = it.vals;
		row.rowno = 0;
		if (rowfp_row(&fpr, &row, fp, &err) < 0)
			goto out;
		rowfp_hex(fp, hex);
		for (size_t w = 0; w < x->nwant; w++) {
			struct kept_want *kw = &x->want[w];

			if (kw->text.len || strcmp(cur + 1, kw->src) ||
			    strcmp(hex, kw->fp))
				continue;
			for (size_t c = 0; c < it.ncols; c++) {
				sbuf_addf(&kw->text, "%s%s=", c ? ", " : "",
					  it.cols[c]);
				add_kept_value(&kw->text, &it.vals[c]);
			}
			found++;
		}
	}
out:
	inputs_reader_free(in);
	rowfp_release(&fpr);
	error_release(&err);
}

/* The deal's and the order's values for one version (kept_load found
 * them): x->kept[p], and kept_read as the file's for a version with a
 * row to look for. */
static void kept_rows(struct ex *x, json_t *src)
{
	int any = 0;

	for (int p = 0; p < 2; p++) {
		json_t *part = json_object_get(src, part_names[p]);
		const char *sn = json_is_object(part) ? jstr(part, "source") : NULL;
		const char *fp = json_is_object(part) ? jstr(part, "sha256") : NULL;

		sbuf_reset(&x->kept[p]);
		if (!sn || !fp)
			continue;
		any = 1;
		for (size_t i = 0; i < x->nwant; i++)
			if (!strcmp(x->want[i].src, sn) &&
			    !strcmp(x->want[i].fp, fp) && x->want[i].text.len)
				sbuf_add(&x->kept[p], x->want[i].text.buf,
					 x->want[i].text.len);
	}
	x->kept_read = any && x->inputs ? x->file_read : 0;
}

static void text_sources(struct ex *x, struct sbuf *o, json_t *src)
{
	int any = 0;

	sbuf_addstr(o, "\nSource rows (from the version's provenance, the "
		    "`sources` column)\n");
	for (size_t p = 0; p < 3; p++) {
		json_t *part = json_object_get(src, part_names[p]);
		json_t *row;

		if (!json_is_object(part))
			continue;
		any = 1;
		row = json_object_get(part, "row");
		if (p < 2) {
			sbuf_addf(o, "  %-5s  source '%s', key '%s'\n",
				  part_names[p],
				  jstr(part, "source") ? jstr(part, "source") : "?",
				  jstr(part, "key") ? jstr(part, "key") : "");
		} else {
			json_t *keys = json_object_get(part, "keys");
			json_t *docs = json_object_get(part, "docs");

			sbuf_addf(o, "  erp    %lld document(s)",
				  json_is_integer(docs)
				  ? (long long)json_integer_value(docs) : 0LL);
			if (json_is_array(keys)) {
				for (size_t i = 0; i < json_array_size(keys); i++) {
					json_t *k = json_array_get(keys, i);

					sbuf_addf(o, "%s'%s'", i ? ", " : ": ",
						  json_is_string(k)
						  ? json_string_value(k) : "");
				}
			}
			sbuf_addch(o, '\n');
		}
		sbuf_addf(o, "         row fingerprint%s %s%s",
			  p == 2 ? " (over the documents)" : "",
			  jstr(part, "sha256") ? jstr(part, "sha256") : "?",
			  json_is_integer(row) ? "" : "\n");
		if (json_is_integer(row))
			sbuf_addf(o, " (row %lld of the query)\n",
				  (long long)json_integer_value(row));
		if (p < 2 && x->kept[p].len)
			sbuf_addf(o, "         as read: %s\n", x->kept[p].buf);
	}
	if (!any)
		sbuf_addstr(o, "  none (a tombstone: the key left every source)\n");
	if (x->kept_read == 1)
		sbuf_addstr(o, "  The values \"as read\" come from the run's kept "
			    "inputs (the rows recon shadow\n  replays; docs/RULES.md, "
			    "\"Shadow runs\"); the ERP documents are fingerprinted\n"
			    "  together, so their rows are not picked out.\n");
	else if (x->kept_read < 0)
		sbuf_addf(o, "  The run's kept inputs were not used: %s\n",
			  x->kept_why.buf);
	else
		sbuf_addstr(o, "  The store keeps each row's fingerprint (SHA-256 of "
			    "the row as read, recon-rowfp/2,\n  docs/LEDGER.md), not "
			    "the row's values, and this run's inputs are not kept\n  "
			    "(keep-inputs): to see a row, query its source by the key "
			    "and compare the\n  fingerprint (the row may have changed "
			    "since the run).\n");
}

static void text_matching(struct ex *x, struct sbuf *o, const struct ever *e,
			  json_t *src, const struct search *s, int searched)
{
	const char *kind = e->f[LF_REC_KIND], *key = e->f[LF_REC_KEY];
	json_t *deal = json_object_get(src, "deal");
	json_t *erp = json_object_get(src, "erp");
	size_t found = 0;

	sbuf_addstr(o, "\nMatching (by the job's <matching><link>s, "
		    "docs/MATCHING.md)\n");
	if (strcmp(e->f[LF_OUTCOME] ? e->f[LF_OUTCOME] : "", "REMOVED") == 0) {
		sbuf_addstr(o, "  removed: no source had the key at this run\n");
		return;
	}
	if (strcmp(kind, "order") == 0) {
		if (json_is_object(deal))
			sbuf_addf(o, "  deal '%s' links to this order (its "
				  "deal reference names the deal)\n",
				  jstr(deal, "key") ? jstr(deal, "key") : "");
		else
			sbuf_addstr(o, "  no deal links to this order\n");
		if (json_is_object(erp))
			sbuf_addf(o, "  %lld ERP document(s) refer to this "
				  "order\n", (long long)json_integer_value(
					  json_object_get(erp, "docs")));
		else
			sbuf_addstr(o, "  no ERP document refers to this order\n");
	} else if (strcmp(kind, "deal") == 0) {
		sbuf_addstr(o, "  no order links to this deal: it is a record of "
			    "its own, keyed by the deal's key\n");
	} else if (strcmp(kind, "erp") == 0) {
		sbuf_addf(o, "  %lld ERP document(s) refer to order '%s', which "
			  "no order read at this run has\n",
			  json_is_object(erp) ? (long long)json_integer_value(
				  json_object_get(erp, "docs")) : 0LL, key);
	}
	if (!s->code)
		return;
	if (s->impossible) {
		sbuf_addf(o, "  near miss (%s): not searched: %s\n", s->code,
			  s->impossible);
		return;
	}
	if (!searched)
		return;
	for (size_t i = 0; i < x->nnm; i++) {
		const struct near *n = &x->nm[i];

		if (!n->near)
			continue;
		found++;
		sbuf_reset(&x->tmp);
		explain_near_words(n->bits, &x->tmp);
		sbuf_addf(o, "  why not matched: %s record '%s' (%s at this run): "
			  "%s '%s' differs from %s '%s' only by %s; normalise "
			  "with key() in the translate function (docs/RULES.md)\n",
			  n->kind, n->key, n->outcome ? n->outcome : "?",
			  s->field, n->field, s->what, s->target, x->tmp.buf);
	}
	if (!found)
		sbuf_addf(o, "  near miss (%s): no record at this run refers to "
			  "it: no %s record current at run %llu has %s equal "
			  "to '%s' but for padding, case, separators, leading "
			  "zeros or a letter prefix\n", s->code, s->kind,
			  (unsigned long long)x->seq, s->field, s->target);
}

static void text_verdicts(struct ex *x, struct sbuf *o, const struct ever *e,
			  json_t *verdicts)
{
	const char *kind = e->f[LF_REC_KIND], *key = e->f[LF_REC_KEY];
	size_t n = json_is_array(verdicts) ? json_array_size(verdicts) : 0;

	sbuf_addstr(o, "\nVerdicts of the order rules\n");
	if (!n)
		sbuf_addstr(o, "  none: no order rule gave a verdict on this "
			    "record\n");
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(verdicts, i);
		const char *code = jstr(v, "code"), *rule = jstr(v, "rule");
		const char *where = jstr(v, "where");
		const struct report_item *it = item_for(x, kind, key, code, rule,
							where);

		sbuf_addf(o, "  %s (%s): rule '%s' at %s\n", code ? code : "?",
			  jstr(v, "severity") ? jstr(v, "severity") : "?",
			  rule ? rule : "?", where ? where : "?");
		sbuf_addf(o, "    %s\n", jstr(v, "message") ? jstr(v, "message")
							: "");
		if (!x->snap)
			sbuf_addstr(o, "    difference and tolerance: not known (the "
				    "run kept no report lines)\n");
		else if (it && it->difference)
			sbuf_addf(o, "    difference %s, tolerance %s%s%s%s\n",
				  it->difference,
				  it->tolerance ? it->tolerance : "?",
				  it->currency ? " (" : "",
				  it->currency ? it->currency : "",
				  it->currency ? ")" : "");
		else if (it)
			sbuf_addstr(o, "    no within() comparison: the verdict "
				    "rests on no tolerance\n");
	}
}

static void text_outcome(struct ex *x, struct sbuf *o, const struct ever *e)
{
	const char *kind = e->f[LF_REC_KIND], *key = e->f[LF_REC_KEY];
	size_t lines = 0;

	sbuf_addstr(o, "\nOutcome\n");
	sbuf_addf(o, "  outcome %s; codes %s\n",
		  e->f[LF_OUTCOME] ? e->f[LF_OUTCOME] : "?",
		  e->f[LF_CODES] ? e->f[LF_CODES] : "?");
	if (!x->snap) {
		sbuf_addf(o, "  run %llu kept no report lines (published before "
			  "T_report): no lifecycle state or note to show\n",
			  (unsigned long long)x->seq);
		return;
	}
	for (size_t i = 0; i < x->snap->rep.nitems; i++) {
		const struct report_item *it = &x->snap->rep.items[i];
		const struct report_life *l = it->life;

		if (!line_of(it, kind, key))
			continue;
		lines++;
		sbuf_addf(o, "  report line %s:", it->outcome ? it->outcome : "?");
		if (l && l->state) {
			sbuf_addf(o, " %s", l->state);
			if (l->first_as_of)
				sbuf_addf(o, " since %s", l->first_as_of);
			sbuf_addf(o, ", age %lld day(s)", (long long)l->age_days);
		}
		sbuf_addch(o, '\n');
		if (dup_line_of(it, kind, key))
			sbuf_addf(o, "    %s\n", it->message);
		if (l && l->note_state)
			sbuf_addf(o, "    note (%s, by %s, %s): %s\n", l->note_state,
				  l->note_by ? l->note_by : "?",
				  l->note_time ? l->note_time : "?",
				  l->note_text ? l->note_text : "");
	}
	if (!lines)
		sbuf_addf(o, "  no exception line at run %llu%s\n",
			  (unsigned long long)x->seq,
			  exception_outcome(e->f[LF_OUTCOME])
			  ? " (its line was not kept)" : " (not an exception)");
}

static void text_history(struct ex *x, struct sbuf *o, size_t first,
			 size_t last, long at)
{
	sbuf_addstr(o, "\nHistory\n");
	for (size_t i = first; i < last; i++) {
		const struct ever *v = &x->v[i];

		sbuf_addf(o, "  version %s  run seq %s  as of ",
			  v->f[LF_VERSION], v->seq_text ? v->seq_text : "?");
		add_time(o, v->as_of);
		sbuf_addf(o, "  %s%s\n", v->f[LF_OUTCOME] ? v->f[LF_OUTCOME] : "?",
			  (long)i == at ? "  <- at this run" : "");
	}
}

static void text_values(struct ex *x, struct sbuf *o, const struct ever *e)
{
	size_t w = 0;

	sbuf_addstr(o, "\nPublished values (the declared columns: what the "
		    "translations and the matcher produced)\n");
	for (size_t i = 0; i < x->sch->n; i++)
		if (strlen(x->sch->col[i].name) > w)
			w = strlen(x->sch->col[i].name);
	for (size_t i = 0; i < x->sch->n; i++) {
		const struct ledger_col *c = &x->sch->col[i];

		sbuf_addf(o, "  %-*s  ", (int)w, c->name);
		if (e->c[i])
			add_value(o, c->type, e->c[i]);
		else
			sbuf_addstr(o, "(none)");
		sbuf_addf(o, "  [%s]\n", c->value ? c->value : "?");
	}
	sbuf_addstr(o, "  Not kept: the other values each translation produced "
		    "(canonical fields no\n  column declares) and each ERP "
		    "document's own amount and status.\n");
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_sources(struct ex *x, struct sbuf *o, json_t *src)
{
	int k = 0;

	sbuf_addstr(o, "\"sources\":[");
	for (size_t p = 0; p < 3; p++) {
		json_t *part = json_object_get(src, part_names[p]);
		json_t *keys, *row;

		if (!json_is_object(part))
			continue;
		if (k++)
			sbuf_addch(o, ',');
		sbuf_addstr(o, "{\"role\":");
		jout(o, part_names[p]);
		sbuf_addstr(o, ",\"source\":");
		jout(o, jstr(part, "source"));
		sbuf_addstr(o, ",\"sha256\":");
		jout(o, jstr(part, "sha256"));
		sbuf_addstr(o, ",\"keys\":[");
		if (p < 2) {
			jout(o, jstr(part, "key"));
		} else if (json_is_array(keys = json_object_get(part, "keys"))) {
			for (size_t i = 0; i < json_array_size(keys); i++) {
				json_t *kk = json_array_get(keys, i);

				if (i)
					sbuf_addch(o, ',');
				jout(o, json_is_string(kk) ? json_string_value(kk)
							   : NULL);
			}
		}
		sbuf_addch(o, ']');
		row = json_object_get(part, "row");
		if (json_is_integer(row))
			sbuf_addf(o, ",\"row\":%lld", (long long)json_integer_value(row));
		else
			sbuf_addstr(o, ",\"row\":null");
		sbuf_addstr(o, ",\"as_read\":");
		jout(o, p < 2 && x->kept[p].len ? x->kept[p].buf : NULL);
		sbuf_addch(o, '}');
	}
	sbuf_addch(o, ']');
}

static void json_record(struct ex *x, struct sbuf *o, size_t first,
			size_t last, long at, json_t *src, json_t *verdicts,
			const struct search *s, int searched)
{
	const struct ever *e = &x->v[at];
	const char *kind = e->f[LF_REC_KIND], *key = e->f[LF_REC_KEY];
	size_t n;
	int k = 0;

	sbuf_addstr(o, "{\"kind\":");
	jout(o, kind);
	sbuf_addstr(o, ",\"key\":");
	jout(o, key);
	sbuf_addf(o, ",\"version\":{\"version\":%s,\"seq\":%llu,\"run_id\":",
		  e->f[LF_VERSION], (unsigned long long)e->seq);
	jout(o, e->f[LF_RUN_ID]);
	sbuf_addstr(o, ",\"as_of\":");
	sbuf_reset(&x->tmp);
	add_time(&x->tmp, e->as_of);
	jout(o, x->tmp.buf);
	sbuf_addf(o, ",\"published_by_this_run\":%s}",
		  e->seq == x->seq ? "true" : "false");
	sbuf_addstr(o, ",\"values\":[");
	for (size_t i = 0; i < x->sch->n; i++) {
		const struct ledger_col *c = &x->sch->col[i];

		if (i)
			sbuf_addch(o, ',');
		sbuf_addstr(o, "{\"column\":");
		jout(o, c->name);
		sbuf_addstr(o, ",\"value\":");
		jout(o, c->value);
		sbuf_addstr(o, ",\"type\":");
		jout(o, ledger_type_names[c->type]);
		sbuf_addstr(o, ",\"text\":");
		if (e->c[i]) {
			sbuf_reset(&x->tmp);
			add_value(&x->tmp, c->type, e->c[i]);
			jout(o, x->tmp.buf);
		} else {
			sbuf_addstr(o, "null");
		}
		sbuf_addch(o, '}');
	}
	sbuf_addstr(o, "],");
	json_sources(x, o, src);
	sbuf_addstr(o, ",\"near_miss\":{\"outcome\":");
	jout(o, s->code);
	sbuf_addstr(o, ",\"searched\":");
	sbuf_addstr(o, searched ? "true" : "false");
	sbuf_addstr(o, ",\"not_searched_because\":");
	jout(o, s->impossible);
	sbuf_addstr(o, ",\"target\":");
	jout(o, s->code ? s->target : NULL);
	sbuf_addstr(o, ",\"records\":[");
	for (size_t i = 0; searched && i < x->nnm; i++) {
		const struct near *nm = &x->nm[i];

		if (!nm->near)
			continue;
		if (k++)
			sbuf_addch(o, ',');
		sbuf_addstr(o, "{\"kind\":");
		jout(o, nm->kind);
		sbuf_addstr(o, ",\"key\":");
		jout(o, nm->key);
		sbuf_addstr(o, ",\"outcome\":");
		jout(o, nm->outcome);
		sbuf_addstr(o, ",\"value\":");
		jout(o, nm->field);
		sbuf_addstr(o, ",\"differs_by\":");
		sbuf_reset(&x->tmp);
		explain_near_words(nm->bits, &x->tmp);
		jout(o, x->tmp.buf);
		sbuf_addch(o, '}');
	}
	sbuf_addstr(o, "]},\"verdicts\":[");
	n = json_is_array(verdicts) ? json_array_size(verdicts) : 0;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(verdicts, i);
		const struct report_item *it =
			item_for(x, kind, key, jstr(v, "code"), jstr(v, "rule"),
				 jstr(v, "where"));

		if (i)
			sbuf_addch(o, ',');
		sbuf_addstr(o, "{\"code\":");
		jout(o, jstr(v, "code"));
		sbuf_addstr(o, ",\"severity\":");
		jout(o, jstr(v, "severity"));
		sbuf_addstr(o, ",\"rule\":");
		jout(o, jstr(v, "rule"));
		sbuf_addstr(o, ",\"where\":");
		jout(o, jstr(v, "where"));
		sbuf_addstr(o, ",\"message\":");
		jout(o, jstr(v, "message"));
		sbuf_addstr(o, ",\"difference\":");
		jout(o, it ? it->difference : NULL);
		sbuf_addstr(o, ",\"tolerance\":");
		jout(o, it ? it->tolerance : NULL);
		sbuf_addstr(o, ",\"currency\":");
		jout(o, it && it->difference ? it->currency : NULL);
		sbuf_addch(o, '}');
	}
	sbuf_addstr(o, "],\"outcome\":");
	jout(o, e->f[LF_OUTCOME]);
	sbuf_addstr(o, ",\"codes\":");
	jout(o, e->f[LF_CODES]);
	sbuf_addf(o, ",\"report_kept\":%s,\"report_lines\":[",
		  x->snap ? "true" : "false");
	k = 0;
	for (size_t i = 0; x->snap && i < x->snap->rep.nitems; i++) {
		const struct report_item *it = &x->snap->rep.items[i];
		const struct report_life *l = it->life;

		if (!line_of(it, kind, key))
			continue;
		if (k++)
			sbuf_addch(o, ',');
		sbuf_addstr(o, "{\"outcome\":");
		jout(o, it->outcome);
		sbuf_addstr(o, ",\"state\":");
		jout(o, l ? l->state : NULL);
		sbuf_addstr(o, ",\"first_run\":");
		jout(o, l ? l->first_run : NULL);
		sbuf_addstr(o, ",\"first_as_of\":");
		jout(o, l ? l->first_as_of : NULL);
		if (l)
			sbuf_addf(o, ",\"age_days\":%lld", (long long)l->age_days);
		else
			sbuf_addstr(o, ",\"age_days\":null");
		sbuf_addstr(o, ",\"note\":");
		if (l && l->note_state) {
			sbuf_addstr(o, "{\"state\":");
			jout(o, l->note_state);
			sbuf_addstr(o, ",\"by\":");
			jout(o, l->note_by);
			sbuf_addstr(o, ",\"time\":");
			jout(o, l->note_time);
			sbuf_addstr(o, ",\"text\":");
			jout(o, l->note_text);
			sbuf_addch(o, '}');
		} else {
			sbuf_addstr(o, "null");
		}
		sbuf_addch(o, '}');
	}
	sbuf_addstr(o, "],\"history\":[");
	for (size_t i = first; i < last; i++) {
		const struct ever *v = &x->v[i];

		if (i > first)
			sbuf_addch(o, ',');
		sbuf_addf(o, "{\"version\":%s,\"seq\":%llu,\"run_id\":",
			  v->f[LF_VERSION], (unsigned long long)v->seq);
		jout(o, v->f[LF_RUN_ID]);
		sbuf_addstr(o, ",\"as_of\":");
		sbuf_reset(&x->tmp);
		add_time(&x->tmp, v->as_of);
		jout(o, x->tmp.buf);
		sbuf_addstr(o, ",\"outcome\":");
		jout(o, v->f[LF_OUTCOME]);
		sbuf_addf(o, ",\"at_run\":%s}", (long)i == at ? "true" : "false");
	}
	sbuf_addstr(o, "]}");
}

/* ---- one record ----------------------------------------------------------- */

static int explain_one(struct conn *c, const char *table, struct ex *x,
		       size_t first, size_t last, long at, int json,
		       struct sbuf *o, struct error *err)
{
	const struct ever *e = &x->v[at];
	json_t *src = NULL, *verdicts = NULL;
	json_error_t je;
	struct search s;
	int searched = 0, rc = -1;

	src = json_loads(e->f[LF_SOURCES] ? e->f[LF_SOURCES] : "{}", 0, &je);
	verdicts = json_loads(e->f[LF_VERDICTS] ? e->f[LF_VERDICTS] : "[]", 0,
			      &je);
	if (!src || !verdicts) {
		error_set(err, ERR_STORE, "%s '%s' version %s: its %s is not "
			  "JSON (%s); run recon verify", e->f[LF_REC_KIND],
			  e->f[LF_REC_KEY], e->f[LF_VERSION],
			  !src ? "sources" : "verdicts", je.text);
		goto out;
	}
	kept_rows(x, src);
	plan_search(x, e, &s);
	for (size_t i = 0; i < x->nnm; i++) {
		mem_free(x->nm[i].kind);
		mem_free(x->nm[i].key);
		mem_free(x->nm[i].outcome);
		mem_free(x->nm[i].field);
	}
	x->nnm = 0;
	if (s.code && !s.impossible) {
		if (near_scan(c, table, x, &s, err) < 0)
			goto out;
		searched = 1;
	}
	if (json) {
		json_record(x, o, first, last, at, src, verdicts, &s, searched);
	} else {
		sbuf_addf(o, "%s '%s' of job '%s'\n", e->f[LF_REC_KIND],
			  e->f[LF_REC_KEY], x->job);
		sbuf_addf(o, "  at run seq %llu (%s), as of ",
			  (unsigned long long)x->seq, x->run_id.buf);
		add_time(o, x->as_of.buf);
		sbuf_addstr(o, x->seq == x->latest ? " (the latest published run)\n"
						   : "\n");
		sbuf_addf(o, "  version %s of %zu, ", e->f[LF_VERSION],
			  last - first);
		if (e->seq == x->seq)
			sbuf_addstr(o, "published by this run\n");
		else {
			sbuf_addf(o, "carried unchanged from run seq %llu (%s, "
				  "as of ", (unsigned long long)e->seq,
				  e->f[LF_RUN_ID] ? e->f[LF_RUN_ID] : "?");
			add_time(o, e->as_of);
			sbuf_addstr(o, ")\n");
		}
		text_values(x, o, e);
		text_sources(x, o, src);
		text_matching(x, o, e, src, &s, searched);
		text_verdicts(x, o, e, verdicts);
		text_outcome(x, o, e);
		text_history(x, o, first, last, at);
	}
	rc = o->failed || x->tmp.failed ? nomem(err) : 0;
out:
	json_decref(src);
	json_decref(verdicts);
	return rc;
}

int explain_key(const char *dsn, const char *table, const char *job,
		const char *id, const char *kind, const char *run, int json,
		const char *inputs_dir, struct sbuf *out, struct error *err)
{
	struct sbuf ipath = SBUF_INIT(8192);
	struct stat st;
	struct conn *c = NULL;
	struct store_schema sch;
	struct sbuf latest_id = SBUF_INIT(4096);
	struct ex x;
	int in_tx = 0, rc = -1, k, shown = 0;
	size_t i, first;

	memset(&sch, 0, sizeof(sch));
	memset(&x, 0, sizeof(x));
	x.job = job;
	x.id = id;
	x.sch = &sch.s;
	sbuf_init(&x.run_id, 4096);
	sbuf_init(&x.as_of, 256);
	sbuf_init(&x.tmp, 1 << 20);
	sbuf_init(&x.kept[0], 1 << 20);
	sbuf_init(&x.kept[1], 1 << 20);
	sbuf_init(&x.kept_why, 1 << 16);
	if (verify_reader_open(dsn, table, job, &c, &in_tx, err) < 0)
		goto out;
	if (store_schema_read(c, table, &sch, err) < 0 ||
	    lifecycle_find_run(c, table, job, NULL, "explain", &latest_id,
			       &x.latest, NULL, err) < 0 ||
	    lifecycle_find_run(c, table, job, run, "explain", &x.run_id, &x.seq,
			       &x.as_of, err) < 0 ||
	    read_versions(c, table, &x, kind, err) < 0)
		goto store_err;
	k = snapshot_load(c, table, x.run_id.buf, &x.snap, err);
	if (k < 0)
		goto store_err;
	if (inputs_dir && inputs_path(inputs_dir, x.run_id.buf, &ipath) == 0 &&
	    stat(ipath.buf, &st) == 0 && S_ISREG(st.st_mode))
		x.inputs = ipath.buf;
	kept_load(&x);
	if (json) {
		sbuf_addstr(out, "{\"job\":");
		jout(out, job);
		sbuf_addstr(out, ",\"id\":");
		jout(out, id);
		sbuf_addf(out, ",\"run\":{\"seq\":%llu,\"run_id\":",
			  (unsigned long long)x.seq);
		jout(out, x.run_id.buf);
		sbuf_addstr(out, ",\"as_of\":");
		sbuf_reset(&x.tmp);
		add_time(&x.tmp, x.as_of.buf);
		jout(out, x.tmp.buf);
		sbuf_addf(out, ",\"latest\":%s},\"records\":[",
			  x.seq == x.latest ? "true" : "false");
	}
	/* the versions come by kind, then version: one record per kind */
	for (first = 0; first < x.nv; first = i) {
		long at;

		for (i = first; i < x.nv && strcmp(x.v[i].f[LF_REC_KIND],
						   x.v[first].f[LF_REC_KIND]) == 0;
		     i++)
			;
		at = current_at(&x, first, i);
		if (at < 0)
			continue;
		if (shown++)
			sbuf_addstr(out, json ? "," : "\n");
		if (explain_one(c, table, &x, first, i, at, json, out, err) < 0) {
			if (err->code == ERR_SOURCE || err->code == ERR_DATA)
				goto store_err;
			goto out;
		}
	}
	if (!shown) {
		error_set(err, ERR_USAGE, "explain: no record '%s'%s%s in job "
			  "'%s' at run %llu%s; `recon history JOB %s` lists its "
			  "versions", id, kind ? " of kind " : "",
			  kind ? kind : "", job, (unsigned long long)x.seq,
			  x.nv ? " (its first version is of a later run)" : "",
			  id);
		goto out;
	}
	if (json)
		sbuf_addstr(out, "]}\n");
	rc = out->failed ? nomem(err) : 0;
	goto out;
store_err:
	if (err->code == ERR_SOURCE || err->code == ERR_DATA)
		err->code = ERR_STORE;
	if (err->code == ERR_STORE || err->code == ERR_VERIFY)
		error_context(err, "job '%s', store '%s' table '%s'", job, dsn,
			      table);
out:
	for (i = 0; i < x.nv; i++)
		ever_free(&x.v[i]);
	mem_free(x.v);
	for (i = 0; i < x.nnm; i++) {
		mem_free(x.nm[i].kind);
		mem_free(x.nm[i].key);
		mem_free(x.nm[i].outcome);
		mem_free(x.nm[i].field);
	}
	mem_free(x.nm);
	snapshot_free(x.snap);
	store_schema_release(&sch);
	sbuf_release(&latest_id);
	sbuf_release(&x.run_id);
	sbuf_release(&x.as_of);
	sbuf_release(&x.tmp);
	sbuf_release(&x.kept[0]);
	sbuf_release(&x.kept[1]);
	sbuf_release(&x.kept_why);
	for (i = 0; i < x.nwant; i++) {
		mem_free(x.want[i].src);
		mem_free(x.want[i].fp);
		sbuf_release(&x.want[i].text);
	}
	mem_free(x.want);
	sbuf_release(&ipath);
	verify_reader_close(c, in_tx);
	return rc;
}
