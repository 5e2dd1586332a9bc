/*
 * lifecycle.c - each exception's life from the store's history
 * (lifecycle.h; docs/REPORTS.md, "Exception lifecycle"), and `recon
 * diff` between two published runs.
 *
 * Both read the same stream (store_read_life): the versions of T that
 * the job's runs published, in (kind, key, version) order, one key's
 * versions gathered at a time. A key's version is current from its
 * run until the next version's run, so the version current at run S is
 * the last one with seq <= S, and a streak of an outcome is a run of
 * consecutive versions that all carry it among their codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"
#include "dialect.h"
#include "ledger.h"
#include "mem.h"
#include "money.h"
#include "notes.h"
#include "outcome.h"
#include "store.h"
#include "text.h"
#include "tstamp.h"
#include "verify.h"
#include "../connectors/connector.h"
#include "banned.h"

#define DAY 86400
#define TREND_RUNS 10

/* The kind of a DUPLICATE_KEY line (record.c writes it with no record
 * fields): its key is a record's key, of whatever kind; compared by
 * address. */
static const char any_kind[] = "";
#define LIFE_ANY_KIND any_kind

const char *const life_state_names[3] = { "new", "open", "reopened" };

static int nomem(struct error *err)
{
	return error_set(err, ERR_NOMEM, "out of memory (exception lifecycle)");
}

/* ---- the state machine ------------------------------------------------ */

int life_has_code(const char *codes, const char *code)
{
	size_t n = strlen(code);

	if (!codes || !n)
		return 0;
	for (const char *p = codes; *p;) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && memcmp(p, code, n) == 0)
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

long life_at(const struct life_ver *v, size_t n, uint64_t seq)
{
	long at = -1;

	for (size_t i = 0; i < n; i++)
		if (v[i].seq <= seq)
			at = (long)i;
	return at;
}

enum life_state life_state(const struct life_ver *v, size_t n, uint64_t prev,
			   const char *code, size_t *first)
{
	long at = life_at(v, n, prev);

	if (at >= 0 && life_has_code(v[at].codes, code)) {
		size_t i = (size_t)at;

		/* back through the consecutive versions that carry it */
		while (i > 0 && life_has_code(v[i - 1].codes, code))
			i--;
		*first = i;
		return LIFE_OPEN;
	}
	for (long i = 0; i <= at; i++)
		if (life_has_code(v[i].codes, code))
			return LIFE_REOPENED;
	return LIFE_NEW;
}

const char *life_item_kind(const struct report_item *it)
{
	/* record.c: an order record has the order's key, a deal record
	 * (no order) the deal's, an ERP record (no order) its documents';
	 * a line of no record has none of them */
	if (it->order_key)
		return "order";
	if (it->deal_key)
		return "deal";
	if (it->erp_keys)
		return "erp";
	return NULL;
}

void life_map_columns(const char *const *values, size_t n, int *map)
{
	static const char *const names[LV__COUNT] = {
		[LV_DEAL_KEY] = "deal.key", [LV_ORDER_KEY] = "order.key",
		[LV_CUSTOMER] = "customer", [LV_CURRENCY] = "currency",
		[LV_NAME] = "name", [LV_DEAL_AMOUNT] = "deal.amount",
		[LV_ORDER_AMOUNT] = "order.amount", [LV_ERP_AMOUNT] = "erp.amount",
	};
	int taken[LV__COUNT] = { 0 };

	for (size_t i = 0; i < n; i++) {
		map[i] = -1;
		for (int k = 0; k < LV__COUNT; k++)
			if (!taken[k] && values[i] && strcmp(values[i], names[k]) == 0) {
				map[i] = k;
				taken[k] = 1;
			}
	}
}

/* The exception codes of a version, each once, into out[] (static
 * strings of outcome_table); how many. */
static size_t exception_codes(const char *codes, const char **out, size_t max)
{
	size_t k = 0;

	for (const char *p = codes; p && *p;) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int oc = outcome_lookup(p, len);

		if (oc >= 0 && outcome_table[oc].is_exception && k < max) {
			int dup = 0;

			for (size_t j = 0; j < k; j++)
				dup |= out[j] == outcome_table[oc].code;
			if (!dup)
				out[k++] = outcome_table[oc].code;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return k;
}

/* The amount a lifecycle adds up: the deal's, else the order's, else
 * the ERP documents'. */
static const char *main_amount(const char *deal, const char *order,
			       const char *erp)
{
	return deal ? deal : order ? order : erp;
}

/* A JSON string member of one verdict object of a version's verdicts,
 * decoded (ASCII escapes; \u of a non-ASCII character becomes '?'). */
static void json_member(const char *obj, const char *end, const char *name,
			struct sbuf *out)
{
	struct sbuf pat = SBUF_INIT(64);
	const char *p;

	sbuf_reset(out);
	sbuf_addf(&pat, "\"%s\":\"", name);
	for (p = obj; p && p < end; p++)
		if (strncmp(p, pat.buf, pat.len) == 0)
			break;
	if (p && p < end) {
		for (p += pat.len; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end) {
				char c = *++p;

				if (c == 'n')
					c = '\n';
				else if (c == 't')
					c = '\t';
				else if (c == 'r')
					c = '\r';
				else if (c == 'u' && p + 4 < end) {
					char hex[5] = { p[1], p[2], p[3], p[4], 0 };
					unsigned long u = strtoul(hex, NULL, 16);

					c = u < 0x80 ? (char)u : '?';
					p += 4;
				}
				sbuf_addch(out, c);
			} else {
				sbuf_addch(out, *p);
			}
		}
	}
	sbuf_release(&pat);
}

/* The verdict of a version's JSON whose code is code: 1 with its
 * severity and message, 0 if none (a structural outcome). The engine
 * writes verdicts as flat objects of strings (record.c). */
static int find_verdict(const char *verdicts, const char *code,
			struct sbuf *sev, struct sbuf *msg)
{
	struct sbuf c = SBUF_INIT(256);
	int found = 0;

	for (const char *p = verdicts ? strchr(verdicts, '{') : NULL; p && !found;) {
		const char *e = p + 1;
		int inq = 0;

		for (; *e && (inq || *e != '}'); e++) {
			if (*e == '\\' && e[1])
				e++;
			else if (*e == '"')
				inq = !inq;
		}
		json_member(p, e, "code", &c);
		if (c.len && (strcmp(c.buf, code) == 0 ||
			      (strcmp(code, "RULE_FAILED") == 0 &&
			       outcome_lookup(c.buf, c.len) < 0))) {
			json_member(p, e, "severity", sev);
			json_member(p, e, "message", msg);
			if (strcmp(code, "RULE_FAILED") == 0) {
				/* as record.c words it: "CODE: message" */
				struct sbuf t = SBUF_INIT(256);

				sbuf_addf(&t, "%s: %s", c.buf, msg->buf ? msg->buf : "");
				sbuf_reset(msg);
				sbuf_addstr(msg, t.buf);
				sbuf_release(&t);
			}
			found = 1;
		}
		p = *e ? strchr(e, '{') : NULL;
	}
	sbuf_release(&c);
	return found;
}

/* ---- the history stream ------------------------------------------------ */

typedef int life_key_fn(void *ctx, const char *kind, const char *key,
			const struct life_ver *v, size_t n, struct error *err);

/* A key's versions while they are gathered: offsets into buf. */
#define NSTR (4 + LV__COUNT)
struct kver {
	int64_t version, as_of;
	uint64_t seq;
	size_t off[NSTR];	/* run_id, outcome, codes, verdicts, vals */
};

struct gather {
	struct sbuf buf, kind, key;
	struct kver *kv;
	size_t n, alloc;
	struct life_ver *lv;
	size_t alv;
};

static const char *row_text(const struct row *row, size_t i)
{
	return i < row->ncols && row->vals[i].type != VAL_NULL
		       ? row->vals[i].s : NULL;
}

static int gather_flush(struct gather *g, life_key_fn *fn, void *ctx,
			struct error *err)
{
	if (!g->n)
		return 0;
	if (g->alv < g->n) {
		void *p = mem_realloc(g->lv, g->n * sizeof(*g->lv));

		if (!p)
			return nomem(err);
		g->lv = p;
		g->alv = g->n;
	}
	for (size_t i = 0; i < g->n; i++) {
		struct life_ver *l = &g->lv[i];
		const char *s[NSTR];

		for (size_t k = 0; k < NSTR; k++)
			s[k] = g->kv[i].off[k] == (size_t)-1 ? NULL
				: g->buf.buf + g->kv[i].off[k];
		l->version = g->kv[i].version;
		l->seq = g->kv[i].seq;
		l->as_of = g->kv[i].as_of;
		l->run_id = s[0];
		l->outcome = s[1];
		l->codes = s[2];
		l->verdicts = s[3];
		for (size_t k = 0; k < LV__COUNT; k++)
			l->val[k] = s[4 + k];
	}
	if (fn(ctx, g->kind.buf, g->key.buf, g->lv, g->n, err) < 0)
		return -1;
	g->n = 0;
	sbuf_reset(&g->buf);
	return 0;
}

static size_t keep_str(struct gather *g, const char *s)
{
	size_t off = g->buf.len;

	if (!s)
		return (size_t)-1;
	sbuf_add(&g->buf, s, strlen(s) + 1);
	return off;
}

/* An amount as the reports write it (money_format, two decimals at
 * least), whatever text the DBMS gives a money column (PostgreSQL
 * NUMERIC(24,4): "1000.0000"); kept as it is if it is not a number. */
static size_t keep_amount(struct gather *g, const char *s)
{
	size_t off = g->buf.len;
	int64_t v;

	if (!s || money_parse(s, strlen(s), &v) != MONEY_OK)
		return keep_str(g, s);
	money_format(v, 2, &g->buf);
	sbuf_addch(&g->buf, 0);
	return off;
}

/* Stream the history up to max_seq into fn, one key at a time. */
static int life_scan(struct conn *c, const char *table,
		     const struct ledger_schema *sch, const char *job,
		     uint64_t max_seq, life_key_fn *fn, void *ctx,
		     struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct gather g;
	int map[LEDGER_MAX_COLS], used[LV__COUNT];
	const char *values[LEDGER_MAX_COLS] = { NULL };
	struct ledger_schema sub;
	int rc;

	memset(&g, 0, sizeof(g));
	sbuf_init(&g.buf, (size_t)1 << 26);
	sbuf_init(&g.kind, 64);
	sbuf_init(&g.key, 1 << 16);
	for (size_t i = 0; i < sch->n; i++)
		values[i] = sch->col[i].value;
	life_map_columns(values, sch->n, map);
	/* only the columns the lifecycle shows are read: sub, whose
	 * column i holds the value used[i] */
	sub.n = 0;
	for (size_t i = 0; i < sch->n; i++)
		if (map[i] >= 0) {
			used[sub.n] = map[i];
			sub.col[sub.n++] = sch->col[i];
		}
	if (store_read_life(c, table, &sub, job, max_seq, &cur, err) < 0) {
		rc = -1;
		goto out;
	}
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		const char *kind = row_text(row, 0), *key = row_text(row, 1);
		const char *ver = row_text(row, 2), *seq = row_text(row, 3);
		const char *asof = row_text(row, 4);
		struct kver *k;

		if (!kind || !key || !ver || !seq || !asof)
			continue;	/* not a version the engine wrote */
		if (g.n && (strcmp(g.kind.buf, kind) || strcmp(g.key.buf, key))) {
			if ((rc = gather_flush(&g, fn, ctx, err)) < 0)
				break;
		}
		if (!g.n) {
			sbuf_reset(&g.kind);
			sbuf_addstr(&g.kind, kind);
			sbuf_reset(&g.key);
			sbuf_addstr(&g.key, key);
		}
		if (g.n == g.alloc) {
			size_t na = g.alloc ? g.alloc * 2 : 16;
			void *p = mem_realloc(g.kv, na * sizeof(*g.kv));

			if (!p) {
				rc = nomem(err);
				break;
			}
			g.kv = p;
			g.alloc = na;
		}
		k = &g.kv[g.n++];
		k->version = strtoll(ver, NULL, 10);
		k->seq = strtoull(seq, NULL, 10);
		if (tstamp_parse(asof, strlen(asof), &k->as_of) < 0)
			k->as_of = 0;
		for (size_t i = 0; i < NSTR; i++)
			k->off[i] = (size_t)-1;
		for (size_t i = 0; i < 4; i++)
			k->off[i] = keep_str(&g, row_text(row, 5 + i));
		for (size_t i = 0; i < sub.n; i++)
			k->off[4 + used[i]] = used[i] >= LV_DEAL_AMOUNT
				? keep_amount(&g, row_text(row, 9 + i))
				: keep_str(&g, row_text(row, 9 + i));
		if (g.buf.failed || g.kind.failed || g.key.failed) {
			rc = nomem(err);
			break;
		}
	}
	if (rc == 0)
		rc = gather_flush(&g, fn, ctx, err);
out:
	cursor_close(cur);
	sbuf_release(&g.buf);
	sbuf_release(&g.kind);
	sbuf_release(&g.key);
	mem_free(g.kv);
	mem_free(g.lv);
	return rc < 0 ? -1 : 0;
}

/* ---- the run's lifecycle ---------------------------------------------- */

struct acur {			/* an ageing bucket's total of one currency */
	const char *currency;
	int64_t sum;
	uint64_t count;
};

struct life_calc {
	struct report_item *items;
	size_t nitems;
	const char **kinds;	/* per line */
	size_t *idx;		/* lines with a record, by (kind, key) */
	size_t nidx;
	struct report_life *life;	/* per line */
	int64_t as_of;
	const char *run_id, *as_of_iso;
	uint64_t prev;
	struct arena *a;
	struct report_item *res;
	size_t nres, ares;
	struct report_trend trend[TREND_RUNS + 1];
	size_t ntrend;		/* earlier runs kept (ring, oldest dropped) */
	struct report_ageing ageing[REPORT_AGEING_BUCKETS];
	struct acur *acur[REPORT_AGEING_BUCKETS];
	size_t nacur[REPORT_AGEING_BUCKETS];
	struct sbuf tmp, sev, msg;
};

static struct life_calc *sort_ctx;

static int idx_cmp(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = strcmp(sort_ctx->kinds[i], sort_ctx->kinds[j]);

	if (!c)
		c = strcmp(sort_ctx->items[i].key, sort_ctx->items[j].key);
	return c ? c : (i < j ? -1 : i > j);
}

static const char *iso(struct life_calc *lc, int64_t t)
{
	sbuf_reset(&lc->tmp);
	if (tstamp_format(t, &lc->tmp) < 0)
		return NULL;
	return arena_strndup(lc->a, lc->tmp.buf, lc->tmp.len);
}

int life_calc_init(struct life_calc **out, struct report_item *items,
		   size_t nitems, int64_t as_of, const char *run_id,
		   uint64_t prev, struct arena *a, struct error *err)
{
	struct life_calc *lc = mem_calloc(1, sizeof(*lc));

	*out = lc;
	if (!lc)
		return nomem(err);
	lc->items = items;
	lc->nitems = nitems;
	lc->as_of = as_of;
	lc->prev = prev;
	lc->a = a;
	sbuf_init(&lc->tmp, 1 << 16);
	sbuf_init(&lc->sev, 1 << 16);
	sbuf_init(&lc->msg, 1 << 20);
	lc->run_id = arena_strndup(a, run_id, strlen(run_id));
	lc->as_of_iso = iso(lc, as_of);
	lc->kinds = mem_calloc(nitems ? nitems : 1, sizeof(*lc->kinds));
	lc->idx = mem_calloc(nitems ? nitems : 1, sizeof(*lc->idx));
	lc->life = mem_calloc(nitems ? nitems : 1, sizeof(*lc->life));
	if (!lc->run_id || !lc->as_of_iso || !lc->kinds || !lc->idx || !lc->life)
		return nomem(err);
	for (size_t i = 0; i < nitems; i++) {
		lc->kinds[i] = life_item_kind(&items[i]);
		if (!lc->kinds[i] && strcmp(items[i].outcome, "DUPLICATE_KEY") == 0)
			lc->kinds[i] = LIFE_ANY_KIND;
		/* new until the history says otherwise */
		lc->life[i].state = life_state_names[LIFE_NEW];
		lc->life[i].first_run = lc->run_id;
		lc->life[i].first_as_of = lc->as_of_iso;
		if (lc->kinds[i])
			lc->idx[lc->nidx++] = i;
	}
	if (lc->nidx > 1) {
		sort_ctx = lc;
		qsort(lc->idx, lc->nidx, sizeof(*lc->idx), idx_cmp);
		sort_ctx = NULL;
	}
	return 0;
}

/* The first of the lines of (kind, key) in idx order, or nidx. */
static size_t lines_of(const struct life_calc *lc, const char *kind,
		       const char *key)
{
	size_t lo = 0, hi = lc->nidx;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, i = lc->idx[mid];
		int c = strcmp(lc->kinds[i], kind);

		if (!c)
			c = strcmp(lc->items[i].key, key);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int same_record(const struct life_calc *lc, size_t at, const char *kind,
		       const char *key)
{
	return at < lc->nidx && strcmp(lc->kinds[lc->idx[at]], kind) == 0 &&
	       strcmp(lc->items[lc->idx[at]].key, key) == 0;
}

static const char *dup(struct life_calc *lc, const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = arena_strndup(lc->a, s, strlen(s));
	if (!d)
		*oom = 1;
	return d;
}

/* An exception of the version current at the previous run that this
 * run no longer has: a line of its own, from that version's values. */
static int add_resolved(struct life_calc *lc, const char *kind, const char *key,
			const struct life_ver *v, size_t first,
			const struct life_ver *at, const char *code,
			struct error *err)
{
	struct report_item *it;
	struct report_life *l;
	int oom = 0;

	(void)kind;
	if (lc->nres == lc->ares) {
		size_t na = lc->ares ? lc->ares * 2 : 64;
		void *p = mem_realloc(lc->res, na * sizeof(*lc->res));

		if (!p)
			return nomem(err);
		lc->res = p;
		lc->ares = na;
	}
	l = arena_alloc(lc->a, sizeof(*l));
	if (!l)
		return nomem(err);
	memset(l, 0, sizeof(*l));
	l->state = "resolved";
	l->first_run = dup(lc, v[first].run_id, &oom);
	l->first_as_of = iso(lc, v[first].as_of);
	l->age_days = (lc->as_of - v[first].as_of) / DAY;
	it = &lc->res[lc->nres];
	memset(it, 0, sizeof(*it));
	it->outcome = code;
	it->key = dup(lc, key, &oom);
	it->deal_key = dup(lc, at->val[LV_DEAL_KEY], &oom);
	it->order_key = dup(lc, at->val[LV_ORDER_KEY], &oom);
	it->customer = dup(lc, at->val[LV_CUSTOMER], &oom);
	it->currency = dup(lc, at->val[LV_CURRENCY], &oom);
	it->name = dup(lc, at->val[LV_NAME], &oom);
	it->deal_amount = dup(lc, at->val[LV_DEAL_AMOUNT], &oom);
	it->order_amount = dup(lc, at->val[LV_ORDER_AMOUNT], &oom);
	it->erp_amount = dup(lc, at->val[LV_ERP_AMOUNT], &oom);
	if (find_verdict(at->verdicts, code, &lc->sev, &lc->msg)) {
		it->severity = dup(lc, lc->sev.len ? lc->sev.buf : "error", &oom);
		it->message = dup(lc, lc->msg.len ? lc->msg.buf : "", &oom);
	} else {
		int oc = outcome_lookup(code, strlen(code));

		it->severity = "error";
		it->message = oc >= 0 ? outcome_table[oc].description : NULL;
	}
	it->life = l;
	if (oom || !it->key || !l->first_as_of || lc->sev.failed || lc->msg.failed)
		return nomem(err);
	lc->nres++;
	return 0;
}

/* The life of line i from its record's history. */
static int set_life(struct life_calc *lc, size_t i, const struct life_ver *v,
		    size_t n, struct error *err)
{
	struct report_life *l = &lc->life[i];
	size_t first = 0;
	enum life_state st = life_state(v, n, lc->prev, lc->items[i].outcome,
					&first);
	int oom = 0;

	/* a line of any kind takes the history of the record that had
	 * its outcome; one that had not leaves it as it is */
	if (lc->kinds[i] == LIFE_ANY_KIND && st == LIFE_NEW)
		return 0;
	l->state = life_state_names[st];
	if (st != LIFE_OPEN)
		return 0;
	l->first_run = dup(lc, v[first].run_id, &oom);
	l->first_as_of = iso(lc, v[first].as_of);
	l->age_days = (lc->as_of - v[first].as_of) / DAY;
	return oom || !l->first_as_of ? nomem(err) : 0;
}

int life_calc_key(struct life_calc *lc, const char *kind, const char *key,
		  const struct life_ver *v, size_t n, struct error *err)
{
	/* the record's lines, then the DUPLICATE_KEY lines of its key,
	 * which have no kind (LIFE_ANY_KIND) */
	size_t from[2], to[2];
	const char *was[OUT__COUNT];
	size_t nwas = 0;
	long at = life_at(v, n, lc->prev);

	for (int r = 0; r < 2; r++) {
		const char *kd = r ? LIFE_ANY_KIND : kind;

		from[r] = to[r] = lines_of(lc, kd, key);
		while (same_record(lc, to[r], kd, key))
			to[r]++;
		for (size_t k = from[r]; k < to[r]; k++)
			if (set_life(lc, lc->idx[k], v, n, err) < 0)
				return -1;
	}
	if (at < 0)
		return 0;
	nwas = exception_codes(v[at].codes, was, OUT__COUNT);
	for (size_t c = 0; c < nwas; c++) {
		int still = 0;
		size_t first = 0;

		for (int r = 0; r < 2; r++)
			for (size_t k = from[r]; k < to[r] && !still; k++)
				still = strcmp(lc->items[lc->idx[k]].outcome,
					       was[c]) == 0;
		if (still)
			continue;
		life_state(v, n, lc->prev, was[c], &first);
		if (add_resolved(lc, kind, key, v, first, &v[at], was[c], err) < 0)
			return -1;
	}
	return 0;
}

int life_calc_run(struct life_calc *lc, const char *run_id, int64_t as_of,
		  uint64_t exceptions, struct error *err)
{
	struct report_trend *t;

	if (lc->ntrend == TREND_RUNS) {
		memmove(lc->trend, lc->trend + 1,
			(TREND_RUNS - 1) * sizeof(*lc->trend));
		lc->ntrend--;
	}
	t = &lc->trend[lc->ntrend];
	t->run_id = arena_strndup(lc->a, run_id, strlen(run_id));
	t->as_of = iso(lc, as_of);
	t->exceptions = exceptions;
	if (!t->run_id || !t->as_of)
		return nomem(err);
	lc->ntrend++;
	return 0;
}

static int bucket_of(int64_t age)
{
	return age <= 1 ? 0 : age <= 7 ? 1 : age <= 30 ? 2 : 3;
}

static int age_add(struct life_calc *lc, int b, const struct report_item *it,
		   struct error *err)
{
	const char *amt = main_amount(it->deal_amount, it->order_amount,
				      it->erp_amount);
	const char *cur = it->currency ? it->currency : "";
	struct acur *t = NULL;
	int64_t v;

	lc->ageing[b].count++;
	if (!amt || money_parse(amt, strlen(amt), &v) != MONEY_OK)
		return 0;
	for (size_t i = 0; i < lc->nacur[b] && !t; i++)
		if (strcmp(lc->acur[b][i].currency, cur) == 0)
			t = &lc->acur[b][i];
	if (!t) {
		void *p = mem_realloc(lc->acur[b], (lc->nacur[b] + 1) *
				      sizeof(*lc->acur[b]));

		if (!p)
			return nomem(err);
		lc->acur[b] = p;
		t = &lc->acur[b][lc->nacur[b]++];
		t->currency = cur;
		t->sum = 0;
		t->count = 0;
	}
	if (money_add(t->sum, v, &t->sum) != MONEY_OK)
		return error_set(err, ERR_DATA, "ageing total of currency '%s' "
				 "overflows", cur);
	t->count++;
	return 0;
}

static int acur_cmp(const void *x, const void *y)
{
	return strcmp(((const struct acur *)x)->currency,
		      ((const struct acur *)y)->currency);
}

static int res_cmp(const void *x, const void *y)
{
	const struct report_item *a = x, *b = y;
	int oa = outcome_lookup(a->outcome, strlen(a->outcome));
	int ob = outcome_lookup(b->outcome, strlen(b->outcome));

	if (oa != ob)
		return oa < ob ? -1 : 1;
	return strcmp(a->key, b->key);
}

int life_calc_finish(struct life_calc *lc, struct report *rep,
		     struct error *err)
{
	static const char *const names[REPORT_AGEING_BUCKETS] = {
		"0-1", "2-7", "8-30", "31+"
	};

	for (int b = 0; b < REPORT_AGEING_BUCKETS; b++) {
		memset(&lc->ageing[b], 0, sizeof(lc->ageing[b]));
		lc->ageing[b].bucket = names[b];
		lc->nacur[b] = 0;
	}
	for (size_t i = 0; i < lc->nitems; i++) {
		/* a line without a store record has no history: no life */
		if (!lc->kinds[i])
			continue;
		lc->items[i].life = &lc->life[i];
		if (age_add(lc, bucket_of(lc->life[i].age_days), &lc->items[i],
			    err) < 0)
			return -1;
	}
	for (int b = 0; b < REPORT_AGEING_BUCKETS; b++) {
		struct report_total *t;

		if (!lc->nacur[b])
			continue;
		qsort(lc->acur[b], lc->nacur[b], sizeof(*lc->acur[b]), acur_cmp);
		t = arena_alloc(lc->a, lc->nacur[b] * sizeof(*t));
		if (!t)
			return nomem(err);
		for (size_t i = 0; i < lc->nacur[b]; i++) {
			sbuf_reset(&lc->tmp);
			money_format(lc->acur[b][i].sum, 2, &lc->tmp);
			t[i].currency = lc->acur[b][i].currency;
			t[i].amount = arena_strndup(lc->a, lc->tmp.buf, lc->tmp.len);
			t[i].count = lc->acur[b][i].count;
			if (!t[i].amount || lc->tmp.failed)
				return nomem(err);
		}
		lc->ageing[b].totals = t;
		lc->ageing[b].ntotals = lc->nacur[b];
	}
	if (lc->nres > 1)
		qsort(lc->res, lc->nres, sizeof(*lc->res), res_cmp);
	/* the trend: the earlier runs kept, then this one */
	lc->trend[lc->ntrend].run_id = lc->run_id;
	lc->trend[lc->ntrend].as_of = lc->as_of_iso;
	lc->trend[lc->ntrend].exceptions = lc->nitems;
	rep->resolved = lc->res;
	rep->nresolved = lc->nres;
	rep->ageing = lc->ageing;
	rep->nageing = REPORT_AGEING_BUCKETS;
	rep->trend = lc->trend;
	rep->ntrend = lc->ntrend + 1;
	return 0;
}

void life_calc_release(struct life_calc *lc)
{
	if (!lc)
		return;
	/* the lines point at lc->life: they lose their lifecycle with it */
	for (size_t i = 0; lc->life && i < lc->nitems; i++)
		if (lc->items[i].life == &lc->life[i])
			lc->items[i].life = NULL;
	for (int b = 0; b < REPORT_AGEING_BUCKETS; b++)
		mem_free(lc->acur[b]);
	mem_free(lc->kinds);
	mem_free(lc->idx);
	mem_free(lc->life);
	mem_free(lc->res);
	sbuf_release(&lc->tmp);
	sbuf_release(&lc->sev);
	sbuf_release(&lc->msg);
	mem_free(lc);
}

/* ---- the job's runs ----------------------------------------------------- */

struct run_row {
	uint64_t seq, exceptions;
	int64_t as_of;
	char *run_id;
	char *as_of_text;
};

struct run_list {
	struct run_row *r;
	size_t n, alloc;
};

static void run_list_release(struct run_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		mem_free(l->r[i].run_id);
		mem_free(l->r[i].as_of_text);
	}
	mem_free(l->r);
	memset(l, 0, sizeof(*l));
}

/* The job's runs in seq order (a job has thousands at most). */
static int read_runs(struct conn *c, const char *table, const char *job,
		     struct run_list *l, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	int rc;

	if (store_read_life_runs(c, table, job, &cur, err) < 0)
		return -1;
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		const char *seq = row_text(row, 0), *id = row_text(row, 1);
		const char *asof = row_text(row, 2), *exc = row_text(row, 3);
		struct run_row *rr;

		if (!seq || !id || !asof)
			continue;
		if (l->n == l->alloc) {
			size_t na = l->alloc ? l->alloc * 2 : 64;
			void *p = mem_realloc(l->r, na * sizeof(*l->r));

			if (!p) {
				rc = nomem(err);
				break;
			}
			l->r = p;
			l->alloc = na;
		}
		rr = &l->r[l->n];
		rr->seq = strtoull(seq, NULL, 10);
		rr->exceptions = exc ? strtoull(exc, NULL, 10) : 0;
		if (tstamp_parse(asof, strlen(asof), &rr->as_of) < 0)
			rr->as_of = 0;
		rr->run_id = mem_strdup(id);
		rr->as_of_text = mem_strdup(asof);
		l->n++;
		if (!rr->run_id || !rr->as_of_text) {
			rc = nomem(err);
			break;
		}
	}
	cursor_close(cur);
	return rc < 0 ? -1 : 0;
}

/* run_id's start time ('YYYYMMDDTHHMMSSZ-...', engine/run.c) as
 * 'YYYY-MM-DD HH:MM:SS', the form of T_notes.created; "" if it has
 * another form. */
static void run_started(const char *run_id, char out[20])
{
	out[0] = '\0';
	if (strlen(run_id) < 16 || run_id[8] != 'T' || run_id[15] != 'Z')
		return;
	snprintf(out, 20, "%.4s-%.2s-%.2s %.2s:%.2s:%.2s", run_id,
		 run_id + 4, run_id + 6, run_id + 9, run_id + 11, run_id + 13);
}

/*
 * The latest note of each open line's record (docs/REPORTS.md, "Notes
 * in the reports"), among the notes made at or before `before` (the
 * run's finish, so that the report of a run never changes later):
 * "open": the latest note; one made before the current streak began
 * (its first run's start) is from an earlier streak: explained_before.
 * "reopened": explained_before if the record had any note, shown as
 * well. "new" shows none: notes are per record, and this exception was
 * never seen before. Resolved lines show none.
 */
static int attach_notes(struct life_calc *lc, const struct notes *nt,
			const char *before, struct error *err)
{
	for (size_t i = 0; i < lc->nitems; i++) {
		struct report_life *l = &lc->life[i];
		const struct report_item *it = &lc->items[i];
		const struct note *n;
		char start[20];
		int oom = 0;

		if (!lc->kinds[i] || !l->state || strcmp(l->state, "new") == 0 ||
		    !it->key)
			continue;
		n = notes_latest(nt, life_item_kind(it), it->key, before);
		if (!n)
			continue;
		l->note_state = dup(lc, n->state, &oom);
		l->note_text = dup(lc, n->text, &oom);
		l->note_by = dup(lc, n->by, &oom);
		sbuf_reset(&lc->tmp);
		/* ISO 8601 like every time of the reports */
		sbuf_addf(&lc->tmp, "%.10sT%.8sZ", n->created, n->created + 11);
		l->note_time = dup(lc, lc->tmp.buf, &oom);
		if (strcmp(l->state, "reopened") == 0) {
			l->explained_before = 1;
		} else {
			run_started(l->first_run ? l->first_run : "", start);
			l->explained_before = start[0] &&
					      strcmp(n->created, start) < 0;
		}
		if (oom || lc->tmp.failed)
			return nomem(err);
	}
	return 0;
}

/* ---- the history a run reads before its transaction ------------------ */

/*
 * Only the records that had an exception in some version matter: a
 * line of a record that never had one is new, and a record without one
 * at the previous run resolves nothing. Those records' versions are
 * kept, compactly: the numbers and codes of each, the verdicts and
 * values only of the versions with an exception (a resolved line shows
 * the version current at the previous run, which had one).
 */
#define NONE ((size_t)-1)

struct hver {
	int64_t version, as_of;
	uint64_t seq;
	size_t run_id, codes, verdicts;	/* offsets into pool, or NONE */
	size_t val[LV__COUNT];
};

struct hkey {
	size_t kind, key;	/* offsets into pool */
	size_t first, n;	/* its versions: v[first..first+n) */
};

struct life_hist {
	struct run_list runs;
	struct sbuf pool;
	struct hver *v;
	size_t nv, av;
	struct hkey *k;
	size_t nk, ak;
	size_t seen_keys, seen_versions;	/* read, kept or not */
	struct life_ver *lv;			/* one key's, for replay */
	size_t alv;
};

static size_t pool_str(struct life_hist *h, const char *s)
{
	size_t off = h->pool.len;

	if (!s)
		return NONE;
	sbuf_add(&h->pool, s, strlen(s) + 1);
	return off;
}

static int hist_key(void *ctx, const char *kind, const char *key,
		    const struct life_ver *v, size_t n, struct error *err)
{
	struct life_hist *h = ctx;
	const char *codes[OUT__COUNT];
	int any = 0;

	h->seen_keys++;
	h->seen_versions += n;
	for (size_t i = 0; i < n && !any; i++)
		any = exception_codes(v[i].codes, codes, OUT__COUNT) > 0;
	if (!any)
		return 0;
	if (h->nk == h->ak) {
		size_t na = h->ak ? h->ak * 2 : 1024;
		void *p = mem_realloc(h->k, na * sizeof(*h->k));

		if (!p)
			return nomem(err);
		h->k = p;
		h->ak = na;
	}
	if (h->nv + n > h->av) {
		size_t na = h->av ? h->av * 2 : 4096;
		void *p;

		while (na < h->nv + n)
			na *= 2;
		p = mem_realloc(h->v, na * sizeof(*h->v));
		if (!p)
			return nomem(err);
		h->v = p;
		h->av = na;
	}
	h->k[h->nk].kind = pool_str(h, kind);
	h->k[h->nk].key = pool_str(h, key);
	h->k[h->nk].first = h->nv;
	h->k[h->nk].n = n;
	h->nk++;
	for (size_t i = 0; i < n; i++) {
		struct hver *d = &h->v[h->nv++];
		int full = exception_codes(v[i].codes, codes, OUT__COUNT) > 0;

		d->version = v[i].version;
		d->as_of = v[i].as_of;
		d->seq = v[i].seq;
		d->run_id = pool_str(h, v[i].run_id);
		d->codes = pool_str(h, v[i].codes);
		d->verdicts = full ? pool_str(h, v[i].verdicts) : NONE;
		for (size_t k = 0; k < LV__COUNT; k++)
			d->val[k] = full ? pool_str(h, v[i].val[k]) : NONE;
	}
	return h->pool.failed ? nomem(err) : 0;
}

void lifecycle_hist_free(struct life_hist *h)
{
	if (!h)
		return;
	run_list_release(&h->runs);
	sbuf_release(&h->pool);
	mem_free(h->v);
	mem_free(h->k);
	mem_free(h->lv);
	mem_free(h);
}

int lifecycle_load(struct conn *c, const char *table,
		   const struct ledger_schema *sch, const char *job,
		   struct life_hist **out, struct error *err)
{
	struct life_hist *h = mem_calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return nomem(err);
	/* no cap of its own: bounded by the memory cap (mem.c) */
	sbuf_init(&h->pool, SIZE_MAX / 2);
	if (read_runs(c, table, job, &h->runs, err) < 0 ||
	    (h->runs.n && life_scan(c, table, sch, job,
				    h->runs.r[h->runs.n - 1].seq, hist_key, h,
				    err) < 0)) {
		lifecycle_hist_free(h);
		return -1;
	}
	*out = h;
	return 0;
}

void lifecycle_hist_stats(const struct life_hist *h, size_t *keys,
			  size_t *versions, size_t *kept, size_t *bytes)
{
	*keys = h ? h->seen_keys : 0;
	*versions = h ? h->seen_versions : 0;
	*kept = h ? h->nk : 0;
	*bytes = h ? h->pool.alloc + h->av * sizeof(*h->v) +
			     h->ak * sizeof(*h->k)
		   : 0;
}

/* Key i's versions as life_ver, into h->lv. */
static int hist_versions(struct life_hist *h, size_t i, struct error *err)
{
	const struct hkey *k = &h->k[i];
	const char *p = h->pool.buf;

	if (h->alv < k->n) {
		void *q = mem_realloc(h->lv, k->n * sizeof(*h->lv));

		if (!q)
			return nomem(err);
		h->lv = q;
		h->alv = k->n;
	}
	for (size_t j = 0; j < k->n; j++) {
		const struct hver *d = &h->v[k->first + j];
		struct life_ver *l = &h->lv[j];

		l->version = d->version;
		l->seq = d->seq;
		l->as_of = d->as_of;
		l->run_id = d->run_id == NONE ? NULL : p + d->run_id;
		l->outcome = NULL;	/* the lifecycle reads the codes */
		l->codes = d->codes == NONE ? NULL : p + d->codes;
		l->verdicts = d->verdicts == NONE ? NULL : p + d->verdicts;
		for (size_t v = 0; v < LV__COUNT; v++)
			l->val[v] = d->val[v] == NONE ? NULL : p + d->val[v];
	}
	return 0;
}

int lifecycle_fill(struct life_hist *h, struct conn *c, const char *table,
		   const char *job, int exclude_last,
		   struct report_item *items, size_t nitems, int64_t as_of,
		   const char *run_id, const char *notes_before,
		   struct arena *a, struct report *rep, struct life_calc **keep,
		   struct error *err)
{
	static const struct run_list none;
	const struct run_list *runs = h ? &h->runs : &none;
	struct life_calc *lc = NULL;
	struct notes *nt = NULL;
	uint64_t prev = 0;
	size_t n;
	int rc = -1;

	*keep = NULL;
	n = runs->n;
	/* a repeat of the latest run has that run's lifecycle: against
	 * the run before it */
	if (exclude_last && n)
		n--;
	if (n)
		prev = runs->r[n - 1].seq;
	if (life_calc_init(&lc, items, nitems, as_of, run_id, prev, a, err) < 0)
		goto out;
	for (size_t i = n > TREND_RUNS ? n - TREND_RUNS : 0; i < n; i++)
		if (life_calc_run(lc, runs->r[i].run_id, runs->r[i].as_of,
				  runs->r[i].exceptions, err) < 0)
			goto out;
	for (size_t i = 0; prev && i < h->nk; i++)
		if (hist_versions(h, i, err) < 0 ||
		    life_calc_key(lc, h->pool.buf + h->k[i].kind,
				  h->pool.buf + h->k[i].key, h->lv, h->k[i].n,
				  err) < 0)
			goto out;
	if (life_calc_finish(lc, rep, err) < 0)
		goto out;
	if (notes_load(c, NULL, table, job, &nt, err) < 0 ||
	    attach_notes(lc, nt, notes_before, err) < 0)
		goto out;
	*keep = lc;
	lc = NULL;
	rc = 0;
out:
	notes_free(nt);
	life_calc_release(lc);
	return rc;
}

/* ---- recon diff ---------------------------------------------------------- */

enum { D_APPEARED, D_DISAPPEARED, D_CHANGED, D__COUNT };
static const char *const dnames[D__COUNT] = { "appeared", "disappeared",
					      "changed" };

/* One line of the diff: its strings owned. */
struct dline {
	int what;
	char *kind, *key, *outcome, *currency, *amount, *was;
	/* its life at run b: state, the first run of its streak, age */
	const char *state;
	uint64_t first_seq;
	char *first_run, *first_as_of;
	int64_t age_days;
};

struct diff {
	uint64_t a, b, prev_b;	/* prev_b: the job's run before b, 0 none */
	int64_t b_as_of;
	const char *b_run_id;
	struct dline *l;
	size_t n, alloc;
	size_t count[D__COUNT];
	struct sbuf was;
};

static char *dup_or(const char *s, int *oom)
{
	char *d = mem_strdup(s ? s : "");

	if (!d)
		*oom = 1;
	return d;
}

static int diff_add(struct diff *d, int what, const char *kind,
		    const char *key, const char *code, const struct life_ver *vs,
		    size_t n, long at, const char *was, struct error *err)
{
	const struct life_ver *v = &vs[at];
	struct dline *l;
	struct sbuf t = SBUF_INIT(64);
	size_t first = 0;
	enum life_state st;
	int oom = 0;

	if (d->n == d->alloc) {
		size_t na = d->alloc ? d->alloc * 2 : 64;
		void *p = mem_realloc(d->l, na * sizeof(*d->l));

		if (!p)
			return nomem(err);
		d->l = p;
		d->alloc = na;
	}
	l = &d->l[d->n++];
	l->what = what;
	l->kind = dup_or(kind, &oom);
	l->key = dup_or(key, &oom);
	l->outcome = dup_or(code, &oom);
	l->currency = dup_or(v->val[LV_CURRENCY], &oom);
	l->amount = dup_or(main_amount(v->val[LV_DEAL_AMOUNT],
				       v->val[LV_ORDER_AMOUNT],
				       v->val[LV_ERP_AMOUNT]), &oom);
	l->was = dup_or(was, &oom);
	/* its life at b: a disappeared one was open at a since its streak
	 * began; one of b against the job's run before b */
	if (what == D_DISAPPEARED) {
		life_state(vs, n, d->a, code, &first);
		l->state = "resolved";
		st = LIFE_OPEN;
	} else {
		st = d->prev_b ? life_state(vs, n, d->prev_b, code, &first)
			       : LIFE_NEW;
		l->state = life_state_names[st];
	}
	if (st == LIFE_OPEN) {
		l->first_seq = vs[first].seq;
		l->first_run = dup_or(vs[first].run_id, &oom);
		tstamp_format(vs[first].as_of, &t);
		l->age_days = (d->b_as_of - vs[first].as_of) / DAY;
	} else {
		l->first_seq = d->b;
		l->first_run = dup_or(d->b_run_id, &oom);
		tstamp_format(d->b_as_of, &t);
		l->age_days = 0;
	}
	l->first_as_of = t.failed ? NULL : dup_or(t.buf, &oom);
	sbuf_release(&t);
	if (!l->first_as_of)
		oom = 1;
	d->count[what]++;
	return oom ? nomem(err) : 0;
}

static int str_differs(const char *x, const char *y)
{
	return !x != !y || (x && strcmp(x, y) != 0);
}

static int diff_key(void *ctx, const char *kind, const char *key,
		    const struct life_ver *v, size_t n, struct error *err)
{
	struct diff *d = ctx;
	long ia = life_at(v, n, d->a), ib = life_at(v, n, d->b);
	const char *ca[OUT__COUNT], *cb[OUT__COUNT];
	size_t na = ia >= 0 ? exception_codes(v[ia].codes, ca, OUT__COUNT) : 0;
	size_t nb = ib >= 0 ? exception_codes(v[ib].codes, cb, OUT__COUNT) : 0;

	for (size_t i = 0; i < nb; i++) {
		int in_a = 0;

		for (size_t j = 0; j < na; j++)
			in_a |= ca[j] == cb[i];
		if (!in_a) {
			if (diff_add(d, D_APPEARED, kind, key, cb[i], v, n, ib,
				     NULL, err) < 0)
				return -1;
			continue;
		}
		if (ia == ib)
			continue;	/* the same version: nothing changed */
		{
			const struct life_ver *x = &v[ia], *y = &v[ib];
			static const char *const an[3] = {
				"deal_amount", "order_amount", "erp_amount"
			};

			sbuf_reset(&d->was);
			if (str_differs(x->outcome, y->outcome))
				sbuf_addf(&d->was, "outcome %s", x->outcome);
			/* each amount that changed, with what it was */
			for (int k = 0; k < 3; k++)
				if (str_differs(x->val[LV_DEAL_AMOUNT + k],
						y->val[LV_DEAL_AMOUNT + k]))
					sbuf_addf(&d->was, "%s%s %s",
						  d->was.len ? "; " : "", an[k],
						  x->val[LV_DEAL_AMOUNT + k]
							  ? x->val[LV_DEAL_AMOUNT + k]
							  : "-");
			if (str_differs(x->verdicts, y->verdicts))
				sbuf_addf(&d->was, "%sverdicts", d->was.len ? "; " : "");
			if (d->was.failed)
				return nomem(err);
			if (d->was.len &&
			    diff_add(d, D_CHANGED, kind, key, cb[i], v, n, ib,
				     d->was.buf, err) < 0)
				return -1;
		}
	}
	for (size_t j = 0; j < na; j++) {
		int in_b = 0;

		for (size_t i = 0; i < nb; i++)
			in_b |= ca[j] == cb[i];
		if (!in_b && diff_add(d, D_DISAPPEARED, kind, key, ca[j], v, n,
				      ia, NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* A run named by its seq (digits) or its run id; NULL: the latest. */
static const struct run_row *find_run(const struct run_list *l, const char *s)
{
	int digits;

	if (!s)
		return l->n ? &l->r[l->n - 1] : NULL;
	digits = *s != 0;

	for (const char *p = s; *p; p++)
		digits &= *p >= '0' && *p <= '9';
	for (size_t i = 0; i < l->n; i++)
		if (digits ? l->r[i].seq == strtoull(s, NULL, 10)
			   : strcmp(l->r[i].run_id, s) == 0)
			return &l->r[i];
	return NULL;
}

/* ERR_USAGE for a run that job does not have, saying which it has. */
static int unknown_run(const struct run_list *runs, const char *cmd,
		       const char *job, const char *bad, struct error *err)
{
	if (runs->n)
		return error_set(err, ERR_USAGE, "%s: job '%s' has no published "
				 "run '%s' (give a seq from %llu to %llu or a "
				 "run id: recon runs)", cmd, job, bad ? bad : "",
				 (unsigned long long)runs->r[0].seq,
				 (unsigned long long)runs->r[runs->n - 1].seq);
	return error_set(err, ERR_USAGE, "%s: job '%s' has no published run "
			 "yet%s%s%s", cmd, job, bad ? " ('" : "", bad ? bad : "",
			 bad ? "')" : "");
}

int lifecycle_find_run(struct conn *c, const char *table, const char *job,
		       const char *spec, const char *cmd, struct sbuf *run_id,
		       uint64_t *seq, struct error *err)
{
	struct run_list runs;
	const struct run_row *r;
	int rc = -1;

	memset(&runs, 0, sizeof(runs));
	if (read_runs(c, table, job, &runs, err) < 0) {
		if (err->code == ERR_SOURCE || err->code == ERR_DATA)
			err->code = ERR_STORE;
	} else if (!(r = find_run(&runs, spec))) {
		unknown_run(&runs, cmd, job, spec, err);
	} else {
		sbuf_reset(run_id);
		sbuf_addstr(run_id, r->run_id);
		*seq = r->seq;
		rc = run_id->failed ? nomem(err) : 0;
	}
	run_list_release(&runs);
	return rc;
}

static int dline_cmp(const void *x, const void *y)
{
	const struct dline *a = x, *b = y;
	int c;

	if (a->what != b->what)
		return a->what < b->what ? -1 : 1;
	if ((c = strcmp(a->kind, b->kind)) || (c = strcmp(a->key, b->key)))
		return c;
	return strcmp(a->outcome, b->outcome);
}

static void run_json(struct sbuf *out, const struct run_row *r)
{
	sbuf_addf(out, "{\"seq\":%llu,\"run_id\":", (unsigned long long)r->seq);
	text_add_json(out, r->run_id);
	sbuf_addstr(out, ",\"as_of\":");
	text_add_json(out, r->as_of_text);
	sbuf_addch(out, '}');
}

/* The lines as a table: one column per field, padded to its widest
 * cell; numbers (first run, age, amount) right-aligned. */
#define DCOLS 9
static void diff_table(const struct diff *d, struct sbuf *out)
{
	static const char *const head[DCOLS] = {
		"CHANGE", "KIND", "KEY", "OUTCOME", "STATE", "FIRST", "AGE",
		"CURRENCY", "AMOUNT"
	};
	static const int right[DCOLS] = { 0, 0, 0, 0, 0, 1, 1, 0, 1 };
	size_t w[DCOLS];
	char num[2][24];

	for (int k = 0; k < DCOLS; k++)
		w[k] = strlen(head[k]);
	for (int pass = 0; pass < 2; pass++) {
		if (pass) {
			for (int k = 0; k < DCOLS; k++)
				sbuf_addf(out, right[k] ? "%*s  " : "%-*s  ",
					  (int)w[k], head[k]);
			sbuf_addstr(out, "WAS\n");
		}
		for (size_t i = 0; i < d->n; i++) {
			const struct dline *l = &d->l[i];
			const char *c[DCOLS];

			snprintf(num[0], sizeof(num[0]), "%llu",
				 (unsigned long long)l->first_seq);
			snprintf(num[1], sizeof(num[1]), "%lld",
				 (long long)l->age_days);
			c[0] = dnames[l->what];
			c[1] = l->kind;
			c[2] = l->key;
			c[3] = l->outcome;
			c[4] = l->state;
			c[5] = num[0];
			c[6] = num[1];
			c[7] = l->currency;
			c[8] = l->amount;
			for (int k = 0; k < DCOLS; k++) {
				if (!pass) {
					if (strlen(c[k]) > w[k])
						w[k] = strlen(c[k]);
					continue;
				}
				sbuf_addf(out, k == DCOLS - 1 ? "%*s"
					  : right[k] ? "%*s  " : "%-*s  ",
					  (int)w[k], c[k]);
			}
			if (pass)
				sbuf_addf(out, "%s%s\n", *l->was ? "  " : "",
					  l->was);
		}
	}
}

static void diff_print(const struct diff *d, const char *job,
		       const struct run_row *ra, const struct run_row *rb,
		       int json, struct sbuf *out)
{
	if (json) {
		sbuf_addstr(out, "{\"job\":");
		text_add_json(out, job);
		sbuf_addstr(out, ",\"from\":");
		run_json(out, ra);
		sbuf_addstr(out, ",\"to\":");
		run_json(out, rb);
		sbuf_addf(out, ",\"counts\":{\"appeared\":%zu,\"disappeared\":%zu,"
			  "\"changed\":%zu}", d->count[D_APPEARED],
			  d->count[D_DISAPPEARED], d->count[D_CHANGED]);
		for (int w = 0; w < D__COUNT; w++) {
			int first = 1;

			sbuf_addf(out, ",\"%s\":[", dnames[w]);
			for (size_t i = 0; i < d->n; i++) {
				const struct dline *l = &d->l[i];

				if (l->what != w)
					continue;
				sbuf_addstr(out, first ? "{\"kind\":" : ",{\"kind\":");
				first = 0;
				text_add_json(out, l->kind);
				sbuf_addstr(out, ",\"key\":");
				text_add_json(out, l->key);
				sbuf_addstr(out, ",\"outcome\":");
				text_add_json(out, l->outcome);
				sbuf_addstr(out, ",\"currency\":");
				text_add_json(out, l->currency);
				sbuf_addstr(out, ",\"amount\":");
				text_add_json(out, l->amount);
				sbuf_addstr(out, ",\"state\":");
				text_add_json(out, l->state);
				sbuf_addf(out, ",\"first_seq\":%llu,\"first_run\":",
					  (unsigned long long)l->first_seq);
				text_add_json(out, l->first_run);
				sbuf_addstr(out, ",\"first_as_of\":");
				text_add_json(out, l->first_as_of);
				sbuf_addf(out, ",\"age_days\":%lld", (long long)l->age_days);
				if (w == D_CHANGED) {
					sbuf_addstr(out, ",\"was\":");
					text_add_json(out, l->was);
				}
				sbuf_addch(out, '}');
			}
			sbuf_addch(out, ']');
		}
		sbuf_addstr(out, "}\n");
		return;
	}
	sbuf_addf(out, "job '%s': run %llu (%s, as of %s) -> run %llu (%s, as "
		  "of %s)\n", job, (unsigned long long)ra->seq, ra->run_id,
		  ra->as_of_text, (unsigned long long)rb->seq, rb->run_id,
		  rb->as_of_text);
	sbuf_addf(out, "appeared %zu, disappeared %zu, changed %zu\n",
		  d->count[D_APPEARED], d->count[D_DISAPPEARED],
		  d->count[D_CHANGED]);
	if (!d->n)
		return;
	sbuf_addch(out, '\n');
	diff_table(d, out);
}


int lifecycle_diff(const char *dsn, const char *table, const char *job,
		   const char *a, const char *b, int json, struct sbuf *out,
		   struct error *err)
{
	struct conn *c = NULL;
	struct run_list runs;
	struct store_schema sch;
	struct diff d;
	const struct run_row *ra, *rb;
	int in_tx = 0, rc = -1;

	memset(&runs, 0, sizeof(runs));
	memset(&sch, 0, sizeof(sch));
	memset(&d, 0, sizeof(d));
	sbuf_init(&d.was, 1 << 12);
	if (verify_reader_open(dsn, table, job, &c, &in_tx, err) < 0)
		goto out;
	if (store_schema_read(c, table, &sch, err) < 0 ||
	    read_runs(c, table, job, &runs, err) < 0) {
		if (err->code == ERR_SOURCE || err->code == ERR_DATA)
			err->code = ERR_STORE;
		error_context(err, "store '%s' table '%s'", dsn, table);
		goto out;
	}
	ra = find_run(&runs, a);
	rb = find_run(&runs, b);
	if (!ra || !rb) {
		unknown_run(&runs, "diff", job, ra ? b : a, err);
		goto out;
	}
	d.a = ra->seq;
	d.b = rb->seq;
	d.b_as_of = rb->as_of;
	d.b_run_id = rb->run_id;
	for (size_t i = 0; i < runs.n; i++)
		if (runs.r[i].seq < d.b)
			d.prev_b = runs.r[i].seq;
	if (life_scan(c, table, &sch.s, job, d.a > d.b ? d.a : d.b, diff_key,
		      &d, err) < 0) {
		if (err->code == ERR_SOURCE || err->code == ERR_DATA)
			err->code = ERR_STORE;
		error_context(err, "store '%s' table '%s'", dsn, table);
		goto out;
	}
	if (d.n > 1)
		qsort(d.l, d.n, sizeof(*d.l), dline_cmp);
	diff_print(&d, job, ra, rb, json, out);
	rc = out->failed ? nomem(err) : 0;
out:
	for (size_t i = 0; i < d.n; i++) {
		mem_free(d.l[i].kind);
		mem_free(d.l[i].key);
		mem_free(d.l[i].outcome);
		mem_free(d.l[i].currency);
		mem_free(d.l[i].amount);
		mem_free(d.l[i].was);
		mem_free(d.l[i].first_run);
		mem_free(d.l[i].first_as_of);
	}
	mem_free(d.l);
	sbuf_release(&d.was);
	store_schema_release(&sch);
	run_list_release(&runs);
	verify_reader_close(c, in_tx);
	return rc;
}
