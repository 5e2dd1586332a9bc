/*
 * html_gen.c - write an HTML report of N synthetic exception lines
 * through the real writer (report_write), for `make bench-html` and the
 * e2e's large-page check (tests/e2e/lib/html.sh).
 *
 *   html-gen N DIR [BASENAME]    -> DIR/BASENAME.html (default "big"),
 *                                   and the CSVs of the same lines
 *
 * The lines look like a site's: a dozen outcomes, six currencies, keys
 * in every system, amounts that differ, a rule and file:line, a message
 * with the amounts in it, two site-defined fields and a lifecycle (state,
 * first seen, age, a note on one line in ten). Deterministic: the same N
 * gives the same file. Built twice by the Makefile: against
 * reports/html.c and against main's writer (html-gen-old), so that the
 * two sizes compare the same lines.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "engine/banned.h"

static const char *const outcomes[] = {
	"AMOUNT_MISMATCH_DEAL_ORDER", "AMOUNT_MISMATCH_ORDER_ERP",
	"DEAL_WITHOUT_ORDER", "ORDER_NOT_IN_ERP", "CURRENCY_MISMATCH",
	"CUSTOMER_MISMATCH", "DUPLICATE_ORDERS", "ORDER_WITHOUT_DEAL",
	"ERP_WITHOUT_ORDER", "MISSING_AMOUNT", "CANCELLED_INVOICED",
	"RULE_FAILED",
};
#define NOUT (sizeof(outcomes) / sizeof(outcomes[0]))
static const char *const currencies[] = {
	"EUR", "USD", "GBP", "CHF", "JPY", "SEK"
};
static const char *const states[] = { "new", "open", "open", "reopened" };

/* Every string of the lines, in one arena of fixed-size slots. */
#define SLOT 160
enum { S_KEY, S_DEAL, S_ORDER, S_ERP, S_CUST, S_DAMT, S_OAMT, S_EAMT,
       S_NAME, S_WHERE, S_MSG, S_FIRST_RUN, S_FIRST_ASOF, S_F1, S_F2,
       S_NOTE, NSLOTS };

int main(int argc, char **argv)
{
	const char *dir, *base;
	size_t n;
	char *pool;
	struct report_item *it;
	struct report_life *life;
	const char **fields;
	struct report_outcome oc[NOUT + 1];
	struct report_column cols[2] = {
		{ "order.fields.delivery_date", 0, 0 },
		{ "erp.fields.delivery_date", 0, 0 },
	};
	struct report_trend trend[30];
	char trend_run[30][32], trend_asof[30][32];
	struct report_ageing ageing[REPORT_AGEING_BUCKETS];
	static const char *const buckets[] = { "0-1", "2-7", "8-30", "31+" };
	struct report r;
	struct sbuf paths = SBUF_INIT(4096);
	struct error err;

	if (argc < 3) {
		fprintf(stderr, "usage: html-gen N DIR [BASENAME]\n");
		return 2;
	}
	n = (size_t)strtoull(argv[1], NULL, 10);
	dir = argv[2];
	base = argc > 3 ? argv[3] : "big";
	pool = calloc(n ? n : 1, (size_t)SLOT * NSLOTS);
	it = calloc(n ? n : 1, sizeof(*it));
	life = calloc(n ? n : 1, sizeof(*life));
	fields = calloc(n ? n : 1, 2 * sizeof(*fields));
	if (!pool || !it || !life || !fields) {
		fprintf(stderr, "html-gen: out of memory for %zu lines\n", n);
		return 1;
	}
	memset(oc, 0, sizeof(oc));
	for (size_t o = 0; o < NOUT; o++) {
		oc[o].code = outcomes[o];
		oc[o].description = "synthetic";
		oc[o].is_exception = 1;
	}
	oc[NOUT].code = "MATCHED";
	oc[NOUT].description = "deal, order and ERP documents agree";
	oc[NOUT].count = n * 5;
	memset(ageing, 0, sizeof(ageing));
	for (size_t i = 0; i < n; i++) {
		char *s = pool + i * (size_t)SLOT * NSLOTS;
#define SL(k) (s + (size_t)(k) * SLOT)
		unsigned long id = 10000000ul + (unsigned long)i * 7;
		size_t o = (i * 2654435761u >> 7) % NOUT;
		const char *cur = currencies[(i / 3) % 6];
		long cents = (long)((i * 7919) % 9000000) + 1000;
		long delta = (long)(i % 97) * 25 - 1200;
		int64_t age = (int64_t)((i * 31) % 60);

		snprintf(SL(S_KEY), SLOT, "SO-%08lu", id);
		snprintf(SL(S_DEAL), SLOT, "D-%08lu", id);
		snprintf(SL(S_ORDER), SLOT, "SO-%08lu", id);
		snprintf(SL(S_ERP), SLOT, "INV-%08lu", id);
		snprintf(SL(S_CUST), SLOT, "C%05lu", (unsigned long)(i % 40000));
		snprintf(SL(S_DAMT), SLOT, "%ld.%02ld", cents / 100, cents % 100);
		snprintf(SL(S_OAMT), SLOT, "%ld.%02ld", (cents + delta) / 100,
			 labs(cents + delta) % 100);
		snprintf(SL(S_EAMT), SLOT, "%ld.%02ld", (cents + delta) / 100,
			 labs(cents + delta) % 100);
		snprintf(SL(S_NAME), SLOT, "Customer %lu Holding GmbH",
			 (unsigned long)(i % 40000));
		snprintf(SL(S_WHERE), SLOT, "rules/site/orders.lua:%zu",
			 30 + o * 4);
		snprintf(SL(S_MSG), SLOT, "deal %s %s, order %s %s "
			 "(difference %ld.%02ld, tolerance 0.50)", SL(S_DAMT),
			 cur, SL(S_OAMT), cur, delta / 100, labs(delta) % 100);
		snprintf(SL(S_FIRST_RUN), SLOT, "20261%03luT000000Z",
			 (unsigned long)(126 - age));
		snprintf(SL(S_FIRST_ASOF), SLOT, "2026-%02d-%02dT00:00:00Z",
			 age > 25 ? 10 : 11, (int)(26 - age % 26));
		snprintf(SL(S_F1), SLOT, "2026-11-%02zu", 1 + i % 28);
		snprintf(SL(S_F2), SLOT, "2026-11-%02zu", 1 + (i + 3) % 28);
		snprintf(SL(S_NOTE), SLOT, "checked with sales, credit note "
			 "CN-%lu follows", id);
		it[i].outcome = outcomes[o];
		it[i].severity = o % 5 == 4 ? "warning" : "error";
		it[i].key = SL(S_KEY);
		it[i].deal_key = SL(S_DEAL);
		it[i].order_key = SL(S_ORDER);
		it[i].order_keys = SL(S_ORDER);
		it[i].erp_keys = SL(S_ERP);
		it[i].customer = SL(S_CUST);
		it[i].currency = cur;
		it[i].deal_amount = SL(S_DAMT);
		it[i].order_amount = SL(S_OAMT);
		it[i].erp_amount = SL(S_EAMT);
		it[i].name = SL(S_NAME);
		it[i].rule = "deal_order_amount";
		it[i].where = SL(S_WHERE);
		it[i].message = SL(S_MSG);
		fields[2 * i] = SL(S_F1);
		fields[2 * i + 1] = SL(S_F2);
		it[i].fields = &fields[2 * i];
		life[i].state = states[i % 4];
		life[i].first_run = SL(S_FIRST_RUN);
		life[i].first_as_of = SL(S_FIRST_ASOF);
		life[i].age_days = age;
		if (i % 10 == 0) {
			life[i].note_state = "investigating";
			life[i].note_text = SL(S_NOTE);
			life[i].note_by = "a.meier";
			life[i].note_time = "2026-11-25T14:02:11Z";
		}
		life[i].explained_before = i % 40 == 3;
		it[i].life = &life[i];
		oc[o].count++;
		ageing[age <= 1 ? 0 : age <= 7 ? 1 : age <= 30 ? 2 : 3].count++;
	}
	for (int k = 0; k < REPORT_AGEING_BUCKETS; k++)
		ageing[k].bucket = buckets[k];
	for (int k = 0; k < 30; k++) {
		snprintf(trend_run[k], sizeof(trend_run[k]),
			 "202611%02dT000000Z", k < 26 ? k + 1 : 26);
		snprintf(trend_asof[k], sizeof(trend_asof[k]),
			 "2026-%02d-%02dT00:00:00Z", k < 4 ? 10 : 11,
			 k < 4 ? 27 + k : k - 3);
		trend[k].run_id = trend_run[k];
		trend[k].as_of = trend_asof[k];
		trend[k].exceptions = (uint64_t)n * (uint64_t)(70 + k) / 100;
	}

	memset(&r, 0, sizeof(r));
	r.job = "orders-nightly";
	r.run_id = "20261126T000000Z-bench";
	r.as_of = "2026-11-26T00:00:00Z";
	r.started = "2026-11-26T01:00:00Z";
	r.finished = "2026-11-26T01:09:12Z";
	r.rules_hash = "82742218af4f13583dbd413ab575d88344c82a249659b1bc65b02c6f13782432";
	r.version = "bench";
	r.mode = "full";
	r.outcomes = oc;
	r.noutcomes = NOUT + 1;
	r.columns = cols;
	r.ncolumns = 2;
	r.items = it;
	r.nitems = n;
	r.ageing = ageing;
	r.nageing = REPORT_AGEING_BUCKETS;
	r.trend = trend;
	r.ntrend = 30;
	error_init(&err);
	if (report_write(&r, dir, base, REPORT_HTML | REPORT_CSV, &paths, &err) < 0) {
		fprintf(stderr, "html-gen: %s\n", err.msg.buf);
		return 1;
	}
	printf("%s\n", paths.buf);
	sbuf_release(&paths);
	error_release(&err);
	free(pool);
	free(it);
	free(life);
	free(fields);
	return 0;
}
