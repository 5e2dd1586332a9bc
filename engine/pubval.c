/*
 * pubval.c - the values a job may publish as store columns (pubval.h).
 *
 * One table: path, type, and how to read it from a group. Adding a value
 * is one line here and one in docs/STORE.md.
 */
#include <string.h>

#include "pubval.h"
#include "money.h"
#include "tstamp.h"
#include "banned.h"

/* Which part of the group a value reads. */
enum part { P_GROUP, P_DEAL, P_ORDER, P_ERP };

/* What of that part. */
enum what {
	W_STR,		/* canon string field (arg: enum canon_str) */
	W_AMOUNT,	/* canon amount */
	W_TIME,		/* canon time */
	W_STATUS,	/* canon status name */
	W_MAIN_STR,	/* group: the main record's string (order, else deal) */
	W_CURRENCY,	/* group: the main record's currency, else the ERP's */
	W_KEY,		/* group: the published key */
	W_NAME,		/* group: the deal's name, else the main record's
			 * (as the exception reports show it) */
	W_NORDERS,	/* group: orders linked to the deal */
	W_ERP_AMOUNT,	/* erp: invoiced if any invoice or credit note is
			 * posted, else ordered */
	W_ERP_INVOICED,
	W_ERP_ORDERED,
	W_ERP_CURRENCY,
	W_ERP_COUNT	/* erp: a counter (arg: which) */
};

enum { C_DOCS, C_INVOICES, C_CREDITS, C_SALES, C_DRAFTS, C_CANCELLED };

static const struct def {
	const char *path;
	enum ledger_type type;
	enum part part;
	enum what what;
	int arg;
} defs[] = {
	{ "key", LT_TEXT, P_GROUP, W_KEY, 0 },
	{ "customer", LT_TEXT, P_GROUP, W_MAIN_STR, CS_CUSTOMER },
	{ "currency", LT_TEXT, P_GROUP, W_CURRENCY, 0 },
	{ "name", LT_TEXT, P_GROUP, W_NAME, 0 },
	{ "orders", LT_INTEGER, P_GROUP, W_NORDERS, 0 },
	{ "deal.key", LT_TEXT, P_DEAL, W_STR, CS_KEY },
	{ "deal.customer", LT_TEXT, P_DEAL, W_STR, CS_CUSTOMER },
	{ "deal.currency", LT_TEXT, P_DEAL, W_STR, CS_CURRENCY },
	{ "deal.name", LT_TEXT, P_DEAL, W_STR, CS_NAME },
	{ "deal.amount", LT_MONEY, P_DEAL, W_AMOUNT, 0 },
	{ "deal.time", LT_TIMESTAMP, P_DEAL, W_TIME, 0 },
	{ "deal.status", LT_TEXT, P_DEAL, W_STATUS, 0 },
	{ "order.key", LT_TEXT, P_ORDER, W_STR, CS_KEY },
	{ "order.deal_ref", LT_TEXT, P_ORDER, W_STR, CS_DEAL_REF },
	{ "order.customer", LT_TEXT, P_ORDER, W_STR, CS_CUSTOMER },
	{ "order.currency", LT_TEXT, P_ORDER, W_STR, CS_CURRENCY },
	{ "order.name", LT_TEXT, P_ORDER, W_STR, CS_NAME },
	{ "order.amount", LT_MONEY, P_ORDER, W_AMOUNT, 0 },
	{ "order.time", LT_TIMESTAMP, P_ORDER, W_TIME, 0 },
	{ "order.status", LT_TEXT, P_ORDER, W_STATUS, 0 },
	{ "erp.amount", LT_MONEY, P_ERP, W_ERP_AMOUNT, 0 },
	{ "erp.invoiced", LT_MONEY, P_ERP, W_ERP_INVOICED, 0 },
	{ "erp.ordered", LT_MONEY, P_ERP, W_ERP_ORDERED, 0 },
	{ "erp.currency", LT_TEXT, P_ERP, W_ERP_CURRENCY, 0 },
	{ "erp.documents", LT_INTEGER, P_ERP, W_ERP_COUNT, C_DOCS },
	{ "erp.invoices", LT_INTEGER, P_ERP, W_ERP_COUNT, C_INVOICES },
	{ "erp.credit_notes", LT_INTEGER, P_ERP, W_ERP_COUNT, C_CREDITS },
	{ "erp.sales_orders", LT_INTEGER, P_ERP, W_ERP_COUNT, C_SALES },
	{ "erp.drafts", LT_INTEGER, P_ERP, W_ERP_COUNT, C_DRAFTS },
	{ "erp.cancelled", LT_INTEGER, P_ERP, W_ERP_COUNT, C_CANCELLED },
};

const int PUBVAL_COUNT = (int)(sizeof(defs) / sizeof(defs[0]));

const struct pubval_default pubval_defaults[] = {
	{ "deal_key", "deal.key", LT_TEXT },
	{ "order_key", "order.key", LT_TEXT },
	{ "customer", "customer", LT_TEXT },
	{ "currency", "currency", LT_TEXT },
	{ "deal_amount", "deal.amount", LT_MONEY },
	{ "order_amount", "order.amount", LT_MONEY },
	{ "erp_amount", "erp.amount", LT_MONEY },
	{ "erp_docs", "erp.documents", LT_INTEGER },
};

const int PUBVAL_NDEFAULTS =
	(int)(sizeof(pubval_defaults) / sizeof(pubval_defaults[0]));

int pubval_lookup(const char *path)
{
	for (int i = 0; i < PUBVAL_COUNT; i++)
		if (strcmp(defs[i].path, path) == 0)
			return i;
	return -1;
}

int pubval_site(enum canon_kind role, unsigned slot)
{
	return PUBVAL_COUNT + (int)role * CANON_XMAX + (int)slot;
}

int pubval_site_bool(enum canon_kind role, unsigned slot)
{
	return pubval_site(role, slot) + CANON__KINDS * CANON_XMAX;
}

int pubval_is_site(int v)
{
	return v >= PUBVAL_COUNT;
}

/*
 * The ERP side of an order is several documents: publish a field only
 * when every document that sets it sets the same value (the bytes kept,
 * so 1.5 and 1.50 agree), and NULL when they disagree or none sets it.
 * Returns the first document holding the common value, or NULL.
 */
static const struct canon *erp_common(const struct erp_agg *e, unsigned i)
{
	const struct canon *first = NULL;
	const char *v = NULL, *w;
	size_t n = 0, m;

	if (!e || !e->docs)
		return NULL;
	for (uint32_t k = 0; k < e->ndocs; k++) {
		w = canon_xget(e->docs[k], i, &m);
		if (!w)
			continue;
		if (!first) {
			first = e->docs[k];
			v = w;
			n = m;
		} else if (m != n || memcmp(v, w, n) != 0) {
			return NULL;
		}
	}
	return first;
}

/* A site field of the deal or the order, in the column's type (a date
 * column of a timestamp field prints its day: both are epoch seconds). */
static int format_site(int v, enum ledger_type t, const struct group *g,
		       struct sbuf *out)
{
	static const enum canon_ftype ft[] = {
		[LT_TEXT] = CFT_TEXT, [LT_MONEY] = CFT_MONEY,
		[LT_INTEGER] = CFT_INTEGER, [LT_DATE] = CFT_DATE,
		[LT_TIMESTAMP] = CFT_TIMESTAMP,
	};
	int k = (v - PUBVAL_COUNT) % (CANON__KINDS * CANON_XMAX);
	int boolean = v - PUBVAL_COUNT >= CANON__KINDS * CANON_XMAX;
	int role = k / CANON_XMAX;
	unsigned slot = (unsigned)(k % CANON_XMAX);
	const struct canon *c = role == CANON_DEAL ? g->deal : g->order;
	size_t n;
	const char *p;

	if (role == CANON_ERP)
		c = erp_common(g->erp, slot);
	if (!c)
		return 0;
	if (!boolean)
		return canon_xformat(c, slot, ft[t], out);
	if (t == LT_TEXT)
		return canon_xformat(c, slot, CFT_BOOLEAN, out);
	p = canon_xget(c, slot, &n);	/* LT_INTEGER: 1 or 0 */
	if (!p)
		return 0;
	return sbuf_addch(out, *p ? '1' : '0') < 0 ? -1 : 1;
}

enum ledger_type pubval_type(int v)
{
	return defs[v].type;
}

int pubval_accepts(int v, enum ledger_type t)
{
	if (defs[v].type == LT_TIMESTAMP)
		return t == LT_TIMESTAMP || t == LT_DATE;
	return defs[v].type == t;
}

int pubval_list(struct sbuf *out)
{
	for (int i = 0; i < PUBVAL_COUNT; i++)
		sbuf_addf(out, "%s%s", i ? " " : "", defs[i].path);
	sbuf_addstr(out, " deal.fields.NAME order.fields.NAME "
		    "erp.fields.NAME");
	return out->failed ? -1 : 0;
}

static int add_str(struct sbuf *out, const char *s, size_t n)
{
	if (!s)
		return 0;
	return sbuf_add(out, s, n) < 0 ? -1 : 1;
}

static int add_u(struct sbuf *out, unsigned long long u)
{
	return sbuf_addf(out, "%llu", u) < 0 ? -1 : 1;
}

static int add_money(struct sbuf *out, int64_t a)
{
	return money_format(a, 2, out) < 0 ? -1 : 1;
}

/* "YYYY-MM-DD HH:MM:SS" (what PostgreSQL prints for TIMESTAMP(0)). */
static int add_time(struct sbuf *out, int64_t t, enum ledger_type type)
{
	size_t at = out->len;

	if (type == LT_DATE)
		return tstamp_format_date(t, out) < 0 ? -1 : 1;
	if (tstamp_format(t, out) < 0)
		return -1;
	/* "YYYY-MM-DDTHH:MM:SSZ" -> "YYYY-MM-DD HH:MM:SS" */
	out->buf[at + 10] = ' ';
	out->len--;
	out->buf[out->len] = '\0';
	return 1;
}

int pubval_format(int v, enum ledger_type t, const struct group *g,
		  struct sbuf *out)
{
	const struct def *d = pubval_is_site(v) ? NULL : &defs[v];
	const struct canon *c = NULL;
	const struct erp_agg *e = g->erp;
	size_t n;
	const char *s;

	if (pubval_is_site(v))
		return format_site(v, t, g, out);
	switch (d->part) {
	case P_DEAL:
		c = g->deal;
		break;
	case P_ORDER:
		c = g->order;
		break;
	case P_GROUP:
		c = g->order ? g->order : g->deal;
		break;
	case P_ERP:
		break;
	}
	switch (d->what) {
	case W_KEY:
		return add_str(out, g->key, g->key_len);
	case W_NORDERS:
		return add_u(out, g->norders);
	case W_NAME:
		s = g->deal ? canon_get(g->deal, CS_NAME, &n) : NULL;
		if (!s && c)
			s = canon_get(c, CS_NAME, &n);
		return add_str(out, s, n);
	case W_MAIN_STR:
	case W_STR:
		if (!c)
			return 0;
		s = canon_get(c, (enum canon_str)d->arg, &n);
		return add_str(out, s, n);
	case W_CURRENCY:
		s = c ? canon_get(c, CS_CURRENCY, &n) : NULL;
		if (!s && e && e->currency) {
			s = e->currency;
			n = e->currency_len;
		}
		return add_str(out, s, n);
	case W_AMOUNT:
		if (!c || !(c->present & CANON_HAS_AMOUNT))
			return 0;
		return add_money(out, c->amount);
	case W_TIME:
		if (!c || !(c->present & CANON_HAS_TIME))
			return 0;
		return add_time(out, c->time, t);
	case W_STATUS:
		if (!c || c->status == CST_NONE || c->status >= CST__COUNT)
			return 0;
		s = canon_status_names[c->status];
		return add_str(out, s, strlen(s));
	case W_ERP_AMOUNT: {
		int64_t a;

		/* a posted document without an amount: NULL, not a sum */
		if (!e || !erp_agg_amount(e, &a))
			return 0;
		return add_money(out, a);
	}
	case W_ERP_INVOICED:
		return e && !e->unpriced_inv ? add_money(out, e->invoiced) : 0;
	case W_ERP_ORDERED:
		return e && !e->unpriced_sales ? add_money(out, e->ordered) : 0;
	case W_ERP_CURRENCY:
		return e && e->currency
		       ? add_str(out, e->currency, e->currency_len) : 0;
	case W_ERP_COUNT: {
		/* no ERP documents: a count of 0, not NULL */
		uint32_t k = 0;

		if (e) {
			const uint32_t counts[] = {
				e->ndocs, e->ninvoices, e->ncredits, e->nsales,
				e->ndrafts, e->ncancelled,
			};

			k = counts[d->arg];
		}
		return add_u(out, k);
	}
	}
	return 0;
}
