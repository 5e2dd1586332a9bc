/*
 * test_match.c - the partitioned three-way matcher: every structural
 * outcome, ERP summing and netting, grace periods, duplicates, and the
 * same answer whatever the number of partitions.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine/match.h"
#include "engine/mem.h"
#include "engine/money.h"

#define DAY 86400
#define AS_OF ((int64_t)20000 * DAY)

static struct job job;

static void job_setup(unsigned parts)
{
	memset(&job, 0, sizeof(job));
	job.deal_link = CS_KEY;
	job.order_deal_link = CS_DEAL_REF;
	job.order_erp_link = CS_KEY;
	job.erp_link = CS_ORDER_REF;
	job.erp_many = 1;
	job.grace_deal = DAY;
	job.grace_erp = 3 * DAY;
	job.partitions = parts;
}

/* What the callbacks saw, one line per group: "KEY FLAGS deal? order?
 * n=NORDERS erp=INVOICED/ORDERED docs=N cur=C mixed=M [DOC,...]
 * orders=ORDER,..." (the document and order lists in their order). */
struct seen {
	char lines[64][256];
	int n;
	char dups[16][64];
	int ndups;
};

static int on_group(void *ctx, const struct group *g, unsigned flags,
		    struct error *err)
{
	struct seen *s = ctx;
	char inv[40] = "-", ord[40] = "-";

	(void)err;
	ck_assert_int_lt(s->n, 64);
	/* a sum with a posted document without an amount: "?N" (N such) */
	if (g->erp && g->erp->unpriced_inv)
		snprintf(inv, sizeof(inv), "?%u", g->erp->unpriced_inv);
	else if (g->erp)
		snprintf(inv, sizeof(inv), "%lld", (long long)g->erp->invoiced);
	if (g->erp && g->erp->unpriced_sales)
		snprintf(ord, sizeof(ord), "?%u", g->erp->unpriced_sales);
	else if (g->erp)
		snprintf(ord, sizeof(ord), "%lld", (long long)g->erp->ordered);
	snprintf(s->lines[s->n], 256, "%.*s f=%02x d=%d o=%d n=%u erp=%s/%s docs=%u cur=%.*s mixed=%d [",
		 (int)g->key_len, g->key, flags, g->deal != NULL,
		 g->order != NULL, g->norders, inv, ord,
		 g->erp ? g->erp->ndocs : 0,
		 g->erp && g->erp->currency ? (int)g->erp->currency_len : 1,
		 g->erp && g->erp->currency ? g->erp->currency : "-",
		 g->erp ? g->erp->mixed_currency : 0);
	for (uint32_t i = 0; g->erp && i < g->erp->ndocs; i++) {
		size_t kn;
		const char *k = canon_get(g->erp->docs[i], CS_KEY, &kn);
		size_t at = strlen(s->lines[s->n]);

		snprintf(s->lines[s->n] + at, 256 - at, "%s%.*s", i ? "," : "",
			 (int)kn, k);
	}
	{
		size_t at = strlen(s->lines[s->n]);

		snprintf(s->lines[s->n] + at, 256 - at, "] orders=%s",
			 g->orders ? "" : "-");
	}
	for (uint32_t i = 0; g->orders && i < g->norders; i++) {
		size_t kn;
		const char *k = canon_get(g->orders[i], CS_KEY, &kn);
		size_t at = strlen(s->lines[s->n]);

		ck_assert_int_eq(g->orders[i]->kind, CANON_ORDER);
		snprintf(s->lines[s->n] + at, 256 - at, "%s%.*s", i ? "," : "",
			 (int)kn, k);
	}
	s->n++;
	return 0;
}

static int on_dup(void *ctx, const struct canon *rec, const char *key,
		  size_t n, struct error *err)
{
	struct seen *s = ctx;

	(void)err;
	(void)rec;
	snprintf(s->dups[s->ndups++], 64, "%.*s", (int)n, key);
	return 0;
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void add(struct match *m, enum canon_kind kind, const char *key,
		const char *ref, const char *amount, const char *cur,
		int status, int doctype, int64_t time)
{
	struct canon c;
	struct error err;

	error_init(&err);
	canon_init(&c);
	canon_reset(&c, kind, 0, 1);
	canon_set(&c, CS_KEY, key, strlen(key));
	if (ref)
		canon_set(&c, kind == CANON_ORDER ? CS_DEAL_REF : CS_ORDER_REF,
			  ref, strlen(ref));
	if (amount) {
		ck_assert_int_eq(money_parse(amount, strlen(amount), &c.amount),
				 MONEY_OK);
		c.present |= CANON_HAS_AMOUNT;
	}
	if (cur)
		canon_set(&c, CS_CURRENCY, cur, strlen(cur));
	c.status = (uint8_t)status;
	c.doctype = (uint8_t)doctype;
	if (time) {
		c.time = time;
		c.present |= CANON_HAS_TIME;
	}
	ck_assert_int_eq(match_add(m, &c, &err), 0);
	canon_release(&c);
	error_release(&err);
}

/* The fixture: one of every structural case. */
static void fill(struct match *m)
{
	int64_t old = AS_OF - 30 * DAY, recent = AS_OF - 3600;

	/* D1 -> O1 -> two partial invoices and a credit note, a draft and a
	 * cancelled invoice that must not count */
	add(m, CANON_DEAL, "D1", NULL, "100", "EUR", CST_WON, 0, old);
	add(m, CANON_ORDER, "O1", "D1", "100", "EUR", CST_OPEN, 0, old);
	add(m, CANON_ERP, "I1", "O1", "60", "EUR", CST_POSTED, CDT_INVOICE, old);
	add(m, CANON_ERP, "I2", "O1", "50", "EUR", CST_POSTED, CDT_INVOICE, old);
	add(m, CANON_ERP, "C1", "O1", "-10", "EUR", CST_POSTED, CDT_CREDIT_NOTE, old);
	add(m, CANON_ERP, "I3", "O1", "999", "EUR", CST_DRAFT, CDT_INVOICE, old);
	add(m, CANON_ERP, "I4", "O1", "999", "EUR", CST_CANCELLED, CDT_INVOICE, old);
	/* deal without order: old (missing) and recent (pending) */
	add(m, CANON_DEAL, "D2", NULL, "5", "EUR", CST_WON, 0, old);
	add(m, CANON_DEAL, "D3", NULL, "5", "EUR", CST_WON, 0, recent);
	/* order without deal; order with unknown deal; not in ERP */
	add(m, CANON_ORDER, "O4", NULL, "7", "USD", CST_OPEN, 0, old);
	add(m, CANON_DEAL, "D5", NULL, "7", "USD", CST_WON, 0, old);
	add(m, CANON_ORDER, "O5", "D5", "7", "USD", CST_OPEN, 0, old);
	add(m, CANON_ORDER, "O6", "D6", "7", "USD", CST_OPEN, 0, recent);
	/* ERP without order */
	add(m, CANON_ERP, "I9", "O9", "3", "GBP", CST_POSTED, CDT_INVOICE, old);
	/* duplicate orders for one deal */
	add(m, CANON_DEAL, "D7", NULL, "1", "EUR", CST_WON, 0, old);
	add(m, CANON_ORDER, "O7a", "D7", "1", "EUR", CST_OPEN, 0, old);
	add(m, CANON_ORDER, "O7b", "D7", "1", "EUR", CST_OPEN, 0, old);
	add(m, CANON_ERP, "S7a", "O7a", "1", "EUR", CST_POSTED, CDT_SALES_ORDER, old);
	add(m, CANON_ERP, "S7b", "O7b", "1", "EUR", CST_POSTED, CDT_SALES_ORDER, old);
	/* duplicate key: order O8 twice, deal D8 twice, doc I1 twice */
	add(m, CANON_DEAL, "D8", NULL, "2", "EUR", CST_WON, 0, old);
	add(m, CANON_DEAL, "D8", NULL, "2", "EUR", CST_WON, 0, old);
	add(m, CANON_ORDER, "O8", "D8", "2", "EUR", CST_OPEN, 0, old);
	add(m, CANON_ORDER, "O8", "D8", "2", "EUR", CST_OPEN, 0, old);
	add(m, CANON_ERP, "I8", "O8", "2", "CHF", CST_POSTED, CDT_INVOICE, old);
	add(m, CANON_ERP, "I8b", "O8", "2", "EUR", CST_POSTED, CDT_INVOICE, old);
	add(m, CANON_ERP, "I1", "O1", "60", "EUR", CST_POSTED, CDT_INVOICE, old);
	/* a deal without order whose key repeats: the group says so */
	add(m, CANON_DEAL, "D11", NULL, "3", "EUR", CST_WON, 0, old);
	add(m, CANON_DEAL, "D11", NULL, "3", "EUR", CST_WON, 0, old);
	/* O12: a posted invoice and a posted sales order without an amount
	 * (NULL in the source): both sums unknown, not 0; a draft without
	 * one counts nowhere */
	add(m, CANON_DEAL, "D12", NULL, "5", "EUR", CST_WON, 0, old);
	add(m, CANON_ORDER, "O12", "D12", "5", "EUR", CST_OPEN, 0, old);
	add(m, CANON_ERP, "I12", "O12", "5", "EUR", CST_POSTED, CDT_INVOICE, old);
	add(m, CANON_ERP, "I12b", "O12", NULL, "EUR", CST_POSTED, CDT_INVOICE, old);
	add(m, CANON_ERP, "S12", "O12", NULL, "EUR", CST_POSTED, CDT_SALES_ORDER, old);
	add(m, CANON_ERP, "I12c", "O12", NULL, "EUR", CST_DRAFT, CDT_INVOICE, old);
	/* O13: only a draft without an amount: nothing unknown (not in
	 * the ERP, as any order with drafts only) */
	add(m, CANON_DEAL, "D13", NULL, "5", "EUR", CST_WON, 0, old);
	add(m, CANON_ORDER, "O13", "D13", "5", "EUR", CST_OPEN, 0, old);
	add(m, CANON_ERP, "I13", "O13", NULL, "EUR", CST_DRAFT, CDT_INVOICE, old);
	/* cancelled order with nothing in ERP: not missing */
	add(m, CANON_DEAL, "D10", NULL, "4", "EUR", CST_WON, 0, old);
	add(m, CANON_ORDER, "O10", "D10", "4", "EUR", CST_CANCELLED, 0, old);
}

static const char *const expected[] = {
	"D11 f=102 d=1 o=0 n=0 erp=-/- docs=0 cur=- mixed=0 [] orders=-",
	"D2 f=02 d=1 o=0 n=0 erp=-/- docs=0 cur=- mixed=0 [] orders=-",
	"D3 f=04 d=1 o=0 n=0 erp=-/- docs=0 cur=- mixed=0 [] orders=-",
	"O1 f=00 d=1 o=1 n=1 erp=1000000/0 docs=5 cur=EUR mixed=0 [C1,I1,I2,I3,I4] orders=O1",
	"O10 f=00 d=1 o=1 n=1 erp=-/- docs=0 cur=- mixed=0 [] orders=O10",
	"O12 f=00 d=1 o=1 n=1 erp=?1/?1 docs=4 cur=EUR mixed=0 [I12,I12b,I12c,S12] orders=O12",
	"O13 f=08 d=1 o=1 n=1 erp=0/0 docs=1 cur=- mixed=0 [I13] orders=O13",
	"O4 f=09 d=0 o=1 n=1 erp=-/- docs=0 cur=- mixed=0 [] orders=-",
	"O5 f=08 d=1 o=1 n=1 erp=-/- docs=0 cur=- mixed=0 [] orders=O5",
	"O6 f=11 d=0 o=1 n=1 erp=-/- docs=0 cur=- mixed=0 [] orders=-",
	"O7a f=40 d=1 o=1 n=2 erp=0/10000 docs=1 cur=EUR mixed=0 [S7a] orders=O7a,O7b",
	"O7b f=40 d=1 o=1 n=2 erp=0/10000 docs=1 cur=EUR mixed=0 [S7b] orders=O7a,O7b",
	"O8 f=100 d=1 o=1 n=1 erp=40000/0 docs=2 cur=CHF mixed=1 [I8,I8b] orders=O8",
	"O9 f=20 d=0 o=0 n=0 erp=30000/0 docs=1 cur=GBP mixed=0 [I9] orders=-",
};

static void run_with(unsigned parts)
{
	struct match *m = NULL;
	struct error err;
	struct seen *s = calloc(1, sizeof(*s));

	error_init(&err);
	job_setup(parts);
	ck_assert_int_eq(match_new(&job, "out/test", &m, &err), 0);
	fill(m);
	ck_assert_int_eq(match_run(m, AS_OF, on_group, on_dup, s, &err), 0);
	qsort(s->lines, (size_t)s->n, sizeof(s->lines[0]), line_cmp);
	ck_assert_int_eq(s->n, (int)(sizeof(expected) / sizeof(expected[0])));
	for (int i = 0; i < s->n; i++)
		ck_assert_str_eq(s->lines[i], expected[i]);
	qsort(s->dups, (size_t)s->ndups, sizeof(s->dups[0]), line_cmp);
	ck_assert_int_eq(s->ndups, 4);
	ck_assert_str_eq(s->dups[0], "D11");
	ck_assert_str_eq(s->dups[1], "D8");
	ck_assert_str_eq(s->dups[2], "I1");
	ck_assert_str_eq(s->dups[3], "O8");
	/* running twice is a bug, reported as such */
	ck_assert_int_eq(match_run(m, AS_OF, on_group, on_dup, s, &err), -1);
	ck_assert_int_eq(err.code, ERR_INTERNAL);
	match_free(m);
	error_release(&err);
	free(s);
}

START_TEST(one_partition)
{
	run_with(1);
}
END_TEST

START_TEST(many_partitions)
{
	run_with(7);
	run_with(64);
}
END_TEST

START_TEST(one_to_one_erp)
{
	struct match *m = NULL;
	struct error err;
	struct seen *s = calloc(1, sizeof(*s));

	error_init(&err);
	job_setup(3);
	job.erp_many = 0;
	ck_assert_int_eq(match_new(&job, "out/test", &m, &err), 0);
	add(m, CANON_DEAL, "D1", NULL, "100", "EUR", CST_WON, 0, 1);
	add(m, CANON_ORDER, "O1", "D1", "100", "EUR", CST_OPEN, 0, 1);
	add(m, CANON_ERP, "I1", "O1", "60", "EUR", CST_POSTED, CDT_INVOICE, 1);
	add(m, CANON_ERP, "I2", "O1", "40", "EUR", CST_POSTED, CDT_INVOICE, 1);
	ck_assert_int_eq(match_run(m, AS_OF, on_group, on_dup, s, &err), 0);
	ck_assert_int_eq(s->n, 1);
	ck_assert_ptr_nonnull(strstr(s->lines[0], "f=80"));
	match_free(m);
	error_release(&err);
	free(s);
}
END_TEST

/* <matching erp-without-order>: "any" reports documents without an
 * order whatever their status; "posted" only a group with a posted one. */
START_TEST(orphan_status)
{
	for (int posted = 0; posted <= 1; posted++) {
		struct match *m = NULL;
		struct error err;
		struct seen *s = calloc(1, sizeof(*s));

		error_init(&err);
		job_setup(2);
		job.erp_orphans = posted ? JOB_ORPHANS_POSTED : JOB_ORPHANS_ANY;
		ck_assert_int_eq(match_new(&job, "out/test", &m, &err), 0);
		add(m, CANON_ERP, "X1", "OX", "5", "EUR", CST_DRAFT, CDT_INVOICE, 1);
		add(m, CANON_ERP, "X2", "OX", "5", "EUR", CST_CANCELLED,
		    CDT_INVOICE, 1);
		add(m, CANON_ERP, "Y2", "OY", "6", "EUR", CST_POSTED, CDT_INVOICE, 1);
		add(m, CANON_ERP, "Y1", "OY", "6", "EUR", CST_DRAFT, CDT_INVOICE, 1);
		ck_assert_int_eq(match_run(m, AS_OF, on_group, on_dup, s, &err), 0);
		qsort(s->lines, (size_t)s->n, sizeof(s->lines[0]), line_cmp);
		ck_assert_int_eq(s->n, posted ? 1 : 2);
		if (!posted)
			ck_assert_str_eq(s->lines[0], "OX f=20 d=0 o=0 n=0 erp=0/0 "
					 "docs=2 cur=- mixed=0 [X1,X2] orders=-");
		ck_assert_str_eq(s->lines[posted ? 0 : 1], "OY f=20 d=0 o=0 n=0 "
				 "erp=60000/0 docs=2 cur=EUR mixed=0 [Y1,Y2] "
				 "orders=-");
		match_free(m);
		error_release(&err);
		free(s);
	}
}
END_TEST

START_TEST(bad_partitions_and_tmpdir)
{
	struct match *m = NULL;
	struct error err;

	error_init(&err);
	job_setup(0);
	ck_assert_int_eq(match_new(&job, NULL, &m, &err), -1);
	ck_assert_int_eq(err.code, ERR_JOB);
	error_clear(&err);
	job_setup(4);
	ck_assert_int_eq(match_new(&job, "/nonexistent/dir", &m, &err), -1);
	ck_assert_int_eq(err.code, ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "/nonexistent/dir"));
	error_release(&err);
}
END_TEST


/* ---- the same records in any order give the same answer --------------- */

struct spec {
	enum canon_kind kind;
	const char *key, *ref, *amount, *cur;
	int status, doctype;
};

/* Duplicated keys whose records differ (the one matched decides the
 * outcome), a mixed-currency ERP aggregate, and plain groups. */
static const struct spec specs[] = {
	{ CANON_DEAL, "D20", NULL, "100", "EUR", CST_WON, 0 },
	{ CANON_ORDER, "O20", "D20", "100", "EUR", CST_OPEN, 0 },
	{ CANON_ORDER, "O20", "D20", "90", "EUR", CST_OPEN, 0 },
	{ CANON_ERP, "I20", "O20", "100", "EUR", CST_POSTED, CDT_INVOICE },
	{ CANON_DEAL, "D21", NULL, "5", "EUR", CST_WON, 0 },
	{ CANON_DEAL, "D21", NULL, "6", "USD", CST_WON, 0 },
	{ CANON_ORDER, "O21", "D21", "5", "EUR", CST_OPEN, 0 },
	{ CANON_ERP, "I21", "O21", "5", "EUR", CST_POSTED, CDT_INVOICE },
	{ CANON_ERP, "I21", "O21", "7", "EUR", CST_POSTED, CDT_INVOICE },
	{ CANON_ERP, "I21", "O21", "8", "EUR", CST_DRAFT, CDT_INVOICE },
	{ CANON_DEAL, "D22", NULL, "3", "EUR", CST_WON, 0 },
	{ CANON_ORDER, "O22", "D22", "3", "EUR", CST_OPEN, 0 },
	{ CANON_ERP, "I22a", "O22", "1", "USD", CST_POSTED, CDT_INVOICE },
	{ CANON_ERP, "I22b", "O22", "2", "EUR", CST_POSTED, CDT_INVOICE },
	{ CANON_ORDER, "O23", NULL, "4", "EUR", CST_OPEN, 0 },
	{ CANON_ORDER, "O23", NULL, "4", "GBP", CST_OPEN, 0 },
	{ CANON_ERP, "I24", "O24", "9", "EUR", CST_POSTED, CDT_INVOICE },
	{ CANON_ERP, "I25", "O24", "1", "CHF", CST_POSTED, CDT_INVOICE },
	{ CANON_DEAL, "D26", NULL, "2", "EUR", CST_WON, 0 },
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* Everything the callbacks see, in the order they see it. */
struct trace {
	char text[8192];
	size_t len;
};

static void trace_add(struct trace *t, const char *line)
{
	size_t n = strlen(line);

	ck_assert_uint_lt(t->len + n + 1, sizeof(t->text));
	memcpy(t->text + t->len, line, n);
	t->text[t->len + n] = '\n';
	t->len += n + 1;
	t->text[t->len] = '\0';
}

static void amt(char *out, size_t n, const struct canon *c)
{
	if (c && (c->present & CANON_HAS_AMOUNT))
		snprintf(out, n, "%lld", (long long)c->amount);
	else
		snprintf(out, n, "-");
}

static int trace_group(void *ctx, const struct group *g, unsigned flags,
		       struct error *err)
{
	char line[256], da[24], oa[24], dfp[3] = "-", ofp[3] = "-";
	static const char hx[] = "0123456789abcdef";

	(void)err;
	amt(da, sizeof(da), g->deal);
	amt(oa, sizeof(oa), g->order);
	if (g->deal) {
		dfp[0] = hx[g->deal->fp[0] >> 4];
		dfp[1] = hx[g->deal->fp[0] & 15];
	}
	if (g->order) {
		ofp[0] = hx[g->order->fp[0] >> 4];
		ofp[1] = hx[g->order->fp[0] & 15];
	}
	snprintf(line, sizeof(line), "%.*s f=%03x deal=%s/%s order=%s/%s "
		 "erp=%lld docs=%u cur=%.*s mixed=%d dfp=%02x",
		 (int)g->key_len, g->key, flags, da, dfp, oa, ofp,
		 g->erp ? (long long)g->erp->invoiced : -1LL,
		 g->erp ? g->erp->ndocs : 0,
		 g->erp && g->erp->currency ? (int)g->erp->currency_len : 1,
		 g->erp && g->erp->currency ? g->erp->currency : "-",
		 g->erp ? g->erp->mixed_currency : 0,
		 g->erp ? g->erp->docs_fp[0] : 0);
	trace_add(ctx, line);
	return 0;
}

static int trace_dup(void *ctx, const struct canon *rec, const char *key,
		     size_t n, struct error *err)
{
	char line[128];

	(void)err;
	snprintf(line, sizeof(line), "dup %.*s ignored fp=%02x amount=%lld",
		 (int)n, key, rec->fp[0], (long long)rec->amount);
	trace_add(ctx, line);
	return 0;
}

/* Match specs[] added in the order perm[] gives, into t. Each record's
 * fingerprint is its own (from its place in specs[]), whatever its
 * place in the input: the later a spec, the smaller its fingerprint. */
static void match_order(const size_t *perm, unsigned parts, struct trace *t)
{
	struct match *m = NULL;
	struct error err;

	error_init(&err);
	job_setup(parts);
	ck_assert_int_eq(match_new(&job, "out/test", &m, &err), 0);
	for (size_t i = 0; i < NSPECS; i++) {
		const struct spec *sp = &specs[perm[i]];
		struct canon c;

		canon_init(&c);
		canon_reset(&c, sp->kind, 0, i + 1);	/* rowno: the position */
		canon_set(&c, CS_KEY, sp->key, strlen(sp->key));
		if (sp->ref)
			canon_set(&c, sp->kind == CANON_ORDER ? CS_DEAL_REF
							       : CS_ORDER_REF,
				  sp->ref, strlen(sp->ref));
		ck_assert_int_eq(money_parse(sp->amount, strlen(sp->amount),
					     &c.amount), MONEY_OK);
		c.present |= CANON_HAS_AMOUNT | CANON_HAS_TIME;
		c.time = AS_OF - 30 * DAY;
		canon_set(&c, CS_CURRENCY, sp->cur, strlen(sp->cur));
		c.status = (uint8_t)sp->status;
		c.doctype = (uint8_t)sp->doctype;
		memset(c.fp, 0x11, sizeof(c.fp));
		c.fp[0] = (uint8_t)(0xf0 - perm[i]);
		ck_assert_int_eq(match_add(m, &c, &err), 0);
		canon_release(&c);
	}
	memset(t, 0, sizeof(*t));
	ck_assert_msg(match_run(m, AS_OF, trace_group, trace_dup, t, &err) == 0,
		      "%s", err.msg.buf);
	match_free(m);
	error_release(&err);
}

/* The same records in the input order, reversed, and shuffled: the same
 * groups and duplicates, byte for byte and in the same order; of each
 * duplicated key the record with the smallest fingerprint is matched. */
START_TEST(input_order_independent)
{
	static const unsigned parts[] = { 1, 3 };
	size_t perm[NSPECS];
	struct trace *first = calloc(1, sizeof(*first));
	struct trace *t = calloc(1, sizeof(*t));

	for (size_t pi = 0; pi < sizeof(parts) / sizeof(parts[0]); pi++) {
		uint32_t seed = 12345;

		for (int k = 0; k < 8; k++) {
			for (size_t i = 0; i < NSPECS; i++)
				perm[i] = k == 1 ? NSPECS - 1 - i : i;
			for (size_t i = NSPECS - 1; k >= 2 && i > 0; i--) {
				size_t j, tmp;

				seed = seed * 1103515245u + 12345u;
				j = (seed >> 16) % (i + 1);
				tmp = perm[i];
				perm[i] = perm[j];
				perm[j] = tmp;
			}
			match_order(perm, parts[pi], k ? t : first);
			if (k)
				ck_assert_msg(strcmp(first->text, t->text) == 0,
					      "parts %u, order %d:\n%s\nvs\n%s",
					      parts[pi], k, first->text, t->text);
		}
		/* O20: the 90 order (spec 2, fingerprint ee.. < ef..) is
		 * matched (an amount mismatch for the rules), whatever the
		 * order; money has 4 decimals */
		ck_assert_msg(strstr(first->text, "O20 f=100 deal=1000000/f0 "
				     "order=900000/ee"), "%s", first->text);
		ck_assert_ptr_nonnull(strstr(first->text,
					     "dup O20 ignored fp=ef amount=1000000"));
		/* D21: the USD 6 deal (f0 - 5 = eb) */
		ck_assert_ptr_nonnull(strstr(first->text, "deal=60000/eb"));
		/* I21: the draft has the smallest fingerprint (e7): it is
		 * the document counted, both posted ones are ignored */
		ck_assert_ptr_nonnull(strstr(first->text,
					     "dup I21 ignored fp=e8 amount=70000"));
		ck_assert_ptr_nonnull(strstr(first->text,
					     "dup I21 ignored fp=e9 amount=50000"));
		ck_assert_ptr_nonnull(strstr(first->text, "O21 f=008 "));
	}
	free(first);
	free(t);
}
END_TEST

/* Allocation faults anywhere in a match: no crash, no leak, ERR_NOMEM. */
START_TEST(alloc_fault_loop)
{
	int done = 0;

	for (long n = 0; !done && n < 100000; n++) {
		struct match *m = NULL;
		struct error err;
		struct seen *s = calloc(1, sizeof(*s));
		int rc;

		error_init(&err);
		job_setup(2);
		mem_fault_after(n);
		rc = match_new(&job, "out/test", &m, &err);
		if (rc == 0) {
			struct canon c;

			canon_init(&c);
			canon_reset(&c, CANON_ORDER, 0, 1);
			if (canon_set(&c, CS_KEY, "O1", 2) == 0 &&
			    canon_set(&c, CS_DEAL_REF, "D1", 2) == 0)
				rc = match_add(m, &c, &err);
			else
				rc = error_set(&err, ERR_NOMEM, "canon");
			canon_release(&c);
			if (rc == 0)
				rc = match_run(m, AS_OF, on_group, on_dup, s, &err);
		}
		mem_fault_off();
		if (rc == 0) {
			done = 1;
			ck_assert_int_eq(s->n, 1);
		} else {
			ck_assert_int_eq(err.code, ERR_NOMEM);
		}
		match_free(m);
		error_release(&err);
		free(s);
	}
	ck_assert(done);
}
END_TEST

/* ---- spill folders of dead runs (match_sweep) ------------------------ */

#define SWEEP "out/test/sweep"
/* above Linux's default pid_max (2^22): never a live process */
#define DEAD_PID ((1L << 22) + 1)

/* SWEEP/NAME as a spill folder: an owner file with `owner` as its text
 * (none if NULL) and a 1000-byte spill file deal.0. */
static void fake_folder(const char *name, const char *owner)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), SWEEP "/%s", name);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	if (owner) {
		snprintf(path, sizeof(path), SWEEP "/%s/owner", name);
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		fputs(owner, f);
		fclose(f);
	}
	snprintf(path, sizeof(path), SWEEP "/%s/deal.0", name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	for (int i = 0; i < 1000; i++)
		fputc('x', f);
	fclose(f);
}

static int exists(const char *name)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), SWEEP "/%s", name);
	return lstat(path, &st) == 0;
}

/* "pidns pid:[N]\n" of this process, as the owner file has it, or "". */
static const char *pidns_line(void)
{
	static char line[300];
	char ns[256];
	ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);

	line[0] = '\0';
	if (n > 0) {
		ns[n] = '\0';
		snprintf(line, sizeof(line), "pidns %s\n", ns);
	}
	return line;
}

struct swept {
	int n;
	long pid[4];
	char path[4][512];
	uint64_t bytes[4];
};

static void on_swept(void *ctx, long pid, const char *path, uint64_t bytes)
{
	struct swept *sw = ctx;

	if (sw->n < 4) {
		sw->pid[sw->n] = pid;
		snprintf(sw->path[sw->n], sizeof(sw->path[0]), "%s", path);
		sw->bytes[sw->n] = bytes;
	}
	sw->n++;
}

/* Only the folder of a provably dead run goes: its pid is gone, or a
 * live pid started at another time (reused). A live run's folder (one
 * match_new made, and one naming this process without a start time),
 * another host's, another pid namespace's, one without an owner file or whose owner names
 * another pid, one holding a file that is not a spill file, a symlink,
 * and folders of other names stay. */
START_TEST(sweep_removes_only_dead_runs)
{
	struct match *m = NULL;
	struct error err;
	struct swept sw;
	struct utsname u;
	char own[1024], own_dead[1024], own_reused[1024], name[128];
	char dead[128], reused[128], live[128], target[512], want[512];
	DIR *d;
	struct dirent *e;
	int nlive = 0;

	ck_assert_int_eq(system("rm -rf " SWEEP), 0);
	mkdir("out/test", 0777);
	ck_assert_int_eq(mkdir(SWEEP, 0700), 0);
	ck_assert_int_eq(uname(&u), 0);

	snprintf(own_dead, sizeof(own_dead), "recon spill folder\npid %ld\n"
		 "host %s\n%sstart 12345\n", DEAD_PID, u.nodename, pidns_line());
	snprintf(dead, sizeof(dead), "recon-spill-%ld-aB3xY9", DEAD_PID);
	fake_folder(dead, own_dead);
	/* this process's pid, but another start time: a reused pid */
	snprintf(own_reused, sizeof(own_reused), "recon spill folder\npid %ld\n"
		 "host %s\n%sstart 1\n", (long)getpid(), u.nodename, pidns_line());
	snprintf(reused, sizeof(reused), "recon-spill-%ld-reused", (long)getpid());
	fake_folder(reused, own_reused);
	/* this process without a start time: alive, kept */
	snprintf(own, sizeof(own), "recon spill folder\npid %ld\nhost %s\n%s",
		 (long)getpid(), u.nodename, pidns_line());
	snprintf(live, sizeof(live), "recon-spill-%ld-live01", (long)getpid());
	fake_folder(live, own);
	/* another host's */
	snprintf(own, sizeof(own), "recon spill folder\npid %ld\nhost "
		 "elsewhere-%s\n%s", DEAD_PID, u.nodename, pidns_line());
	snprintf(name, sizeof(name), "recon-spill-%ld-other1", DEAD_PID);
	fake_folder(name, own);
	/* another pid namespace (a container sharing the tmpdir) */
	snprintf(own, sizeof(own), "recon spill folder\npid %ld\nhost %s\n"
		 "pidns pid:[1]\n", DEAD_PID, u.nodename);
	snprintf(name, sizeof(name), "recon-spill-%ld-pidns1", DEAD_PID);
	fake_folder(name, own);
	/* no owner file, but spill data: not judged */
	snprintf(name, sizeof(name), "recon-spill-%ld-noown1", DEAD_PID);
	fake_folder(name, NULL);
	/* no owner file and nothing in it (a run killed between mkdtemp
	 * and its owner file), or only the owner's temporary: the name's
	 * pid is gone, removed; of a live pid (ours), kept */
	ck_assert_int_eq(mkdir(SWEEP "/recon-spill-4194305-empty1", 0700), 0);
	ck_assert_int_eq(mkdir(SWEEP "/recon-spill-4194305-otmp01", 0700), 0);
	ck_assert_int_eq(system("echo half > " SWEEP "/recon-spill-4194305-otmp01/owner.tmp"), 0);
	snprintf(name, sizeof(name), SWEEP "/recon-spill-%ld-empty2", (long)getpid());
	ck_assert_int_eq(mkdir(name, 0700), 0);
	/* the owner names another pid than the folder's name */
	snprintf(own, sizeof(own), "recon spill folder\npid %ld\nhost %s\n%s",
		 DEAD_PID, u.nodename, pidns_line());
	snprintf(name, sizeof(name), "recon-spill-%ld-wrong1", DEAD_PID + 1);
	fake_folder(name, own);
	/* a dead owner, but a file that is not a spill file inside */
	snprintf(name, sizeof(name), "recon-spill-%ld-notes1", DEAD_PID);
	fake_folder(name, own);
	ck_assert_int_eq(system("echo keep > " SWEEP "/recon-spill-4194305-notes1/notes.txt"), 0);
	/* a symlink with a spill folder's name, to a dead run's folder
	 * elsewhere: neither is touched */
	ck_assert_int_eq(system("mkdir -p " SWEEP "/elsewhere/recon-spill-4194305-target"), 0);
	snprintf(target, sizeof(target), SWEEP "/elsewhere/recon-spill-4194305-target/owner");
	{
		FILE *f = fopen(target, "w");

		ck_assert_ptr_nonnull(f);
		fputs(own, f);
		fclose(f);
	}
	ck_assert_int_eq(symlink("elsewhere/recon-spill-4194305-target",
				 SWEEP "/recon-spill-4194305-link01"), 0);
	/* other names */
	fake_folder("recon-match-abc123", own);
	fake_folder("recon-spill-4194305-toolong", own);
	fake_folder("unrelated", own);
	/* a live run's own folder */
	error_init(&err);
	job_setup(2);
	ck_assert_int_eq(match_new(&job, SWEEP, &m, &err), 0);

	memset(&sw, 0, sizeof(sw));
	ck_assert_uint_eq(match_sweep(SWEEP, on_swept, &sw), 4);
	ck_assert_int_eq(sw.n, 4);
	/* the dead pid's folder and the reused pid's, and the two
	 * ownerless empty ones of a gone pid */
	ck_assert(!exists(dead));
	ck_assert(!exists(reused));
	ck_assert(!exists("recon-spill-4194305-empty1"));
	ck_assert(!exists("recon-spill-4194305-otmp01"));
	snprintf(name, sizeof(name), "recon-spill-%ld-empty2", (long)getpid());
	ck_assert(exists(name));
	ck_assert(exists(live));
	ck_assert(exists("recon-spill-4194305-other1"));
	ck_assert(exists("recon-spill-4194305-pidns1"));
	ck_assert(exists("recon-spill-4194305-noown1"));
	ck_assert(exists("recon-spill-4194306-wrong1"));
	ck_assert(exists("recon-spill-4194305-notes1"));
	ck_assert(exists("recon-spill-4194305-notes1/notes.txt"));
	ck_assert(exists("recon-spill-4194305-notes1/deal.0"));
	ck_assert(exists("recon-spill-4194305-link01"));
	ck_assert(exists("elsewhere/recon-spill-4194305-target/owner"));
	ck_assert(exists("recon-match-abc123"));
	ck_assert(exists("recon-spill-4194305-toolong"));
	ck_assert(exists("unrelated"));
	/* the callback is told each one's pid, path and size (spill and
	 * owner files) */
	for (int i = 0, k = 0; i < 4; i++) {
		int is_dead = sw.pid[i] == DEAD_PID;

		if (strstr(sw.path[i], "-empty1") ||
		    strstr(sw.path[i], "-otmp01")) {
			ck_assert(is_dead);
			ck_assert_uint_eq(sw.bytes[i],
					  strstr(sw.path[i], "-otmp01") ? 5 : 0);
			continue;
		}
		ck_assert_int_lt(k++, 2);
		ck_assert(is_dead || sw.pid[i] == (long)getpid());
		snprintf(want, sizeof(want), SWEEP "/%s", is_dead ? dead : reused);
		ck_assert_str_eq(sw.path[i], want);
		ck_assert_uint_eq(sw.bytes[i], 1000 + strlen(is_dead ? own_dead
								   : own_reused));
	}
	{
		int ours = 0;

		for (int i = 0; i < 4; i++)
			ours += sw.pid[i] == (long)getpid();
		ck_assert_int_eq(ours, 1);	/* the reused pid's only */
	}
	/* the live run's folder is still there, with its owner file */
	d = opendir(SWEEP);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "recon-spill-", 12) == 0 &&
		    strstr(e->d_name, "-live01") == NULL) {
			char p[512];

			snprintf(p, sizeof(p), "%s/owner", e->d_name);
			if (exists(p) && strtol(e->d_name + 12, NULL, 10) ==
			    (long)getpid())
				nlive++;
		}
	closedir(d);
	ck_assert_int_eq(nlive, 1);
	/* a second sweep finds nothing more */
	ck_assert_uint_eq(match_sweep(SWEEP, NULL, NULL), 0);
	match_free(m);
	/* match_free removed its folder, owner file included */
	nlive = 0;
	d = opendir(SWEEP);
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "recon-spill-", 12) == 0 &&
		    strtol(e->d_name + 12, NULL, 10) == (long)getpid() &&
		    strstr(e->d_name, "-live01") == NULL &&
		    strstr(e->d_name, "-empty2") == NULL)
			nlive++;
	closedir(d);
	ck_assert_int_eq(nlive, 0);
	error_release(&err);
}
END_TEST

Suite *suite_match(void);
Suite *suite_match(void)
{
	Suite *s = suite_create("match");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, NULL, NULL);
	tcase_add_test(tc, one_partition);
	tcase_add_test(tc, many_partitions);
	tcase_add_test(tc, one_to_one_erp);
	tcase_add_test(tc, bad_partitions_and_tmpdir);
	tcase_add_test(tc, orphan_status);
	tcase_add_test(tc, input_order_independent);
	tcase_add_test(tc, alloc_fault_loop);
	tcase_add_test(tc, sweep_removes_only_dead_runs);
	suite_add_tcase(s, tc);
	return s;
}
