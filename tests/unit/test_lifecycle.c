/*
 * test_lifecycle.c - the exception lifecycle (engine/lifecycle.c): the
 * state machine over a small synthetic history, and the struct report
 * it fills (each line's life, the resolved lines, ageing, trend).
 *
 * The history: runs 1, 2, 3 of a job on 2026-11-01, -04 and -11; this
 * run on 2026-11-13 (previous run 3).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/lifecycle.h"
#include "engine/tstamp.h"

Suite *suite_lifecycle(void);

static int64_t day(int d)
{
	int64_t t;
	char s[32];

	snprintf(s, sizeof(s), "2026-11-%02d 00:00:00", d);
	ck_assert_int_eq(tstamp_parse(s, strlen(s), &t), 0);
	return t;
}

static const char *const run_ids[4] = { "", "r1", "r2", "r3" };
static const int run_day[4] = { 0, 1, 4, 11 };

static struct life_ver ver(int64_t version, uint64_t seq, const char *codes)
{
	struct life_ver v;

	memset(&v, 0, sizeof(v));
	v.version = version;
	v.seq = seq;
	v.as_of = day(run_day[seq]);
	v.run_id = run_ids[seq];
	v.codes = codes;
	v.outcome = codes;
	v.verdicts = "[]";
	return v;
}

START_TEST(state_machine)
{
	struct life_ver a[3], e[3], b[2];
	size_t first = 99;

	a[0] = ver(1, 1, "AMOUNT_MISMATCH_ORDER_ERP");
	a[1] = ver(2, 2, "AMOUNT_MISMATCH_ORDER_ERP");
	a[2] = ver(3, 3, "AMOUNT_MISMATCH_ORDER_ERP CUSTOMER_MISMATCH");
	ck_assert_int_eq(life_has_code(a[2].codes, "CUSTOMER_MISMATCH"), 1);
	ck_assert_int_eq(life_has_code(a[2].codes, "CUSTOMER"), 0);
	ck_assert_int_eq(life_at(a, 3, 2), 1);
	ck_assert_int_eq(life_at(a, 3, 0), -1);
	/* open through three consecutive versions: since run 1 */
	ck_assert_int_eq(life_state(a, 3, 3, "AMOUNT_MISMATCH_ORDER_ERP", &first),
			 LIFE_OPEN);
	ck_assert_uint_eq(first, 0);
	ck_assert_int_eq(life_state(a, 3, 3, "CUSTOMER_MISMATCH", &first),
			 LIFE_OPEN);
	ck_assert_uint_eq(first, 2);
	/* against run 2 the customer mismatch is new */
	ck_assert_int_eq(life_state(a, 3, 2, "CUSTOMER_MISMATCH", &first),
			 LIFE_NEW);
	/* fixed in run 2, back now: reopened */
	b[0] = ver(1, 1, "ORDER_NOT_IN_ERP");
	b[1] = ver(2, 2, "MATCHED");
	ck_assert_int_eq(life_state(b, 2, 3, "ORDER_NOT_IN_ERP", &first),
			 LIFE_REOPENED);
	ck_assert_int_eq(life_state(b, 2, 1, "ORDER_NOT_IN_ERP", &first),
			 LIFE_OPEN);
	/* a tombstone ends a streak */
	e[0] = ver(1, 1, "DEAL_WITHOUT_ORDER");
	e[1] = ver(2, 2, "REMOVED");
	e[2] = ver(3, 3, "DEAL_WITHOUT_ORDER");
	ck_assert_int_eq(life_state(e, 3, 3, "DEAL_WITHOUT_ORDER", &first),
			 LIFE_OPEN);
	ck_assert_uint_eq(first, 2);
	ck_assert_int_eq(life_state(e, 3, 2, "DEAL_WITHOUT_ORDER", &first),
			 LIFE_REOPENED);
}
END_TEST

static struct report_item line(const char *outcome, const char *order_key,
			       const char *deal_key, const char *key,
			       const char *amount)
{
	struct report_item it;

	memset(&it, 0, sizeof(it));
	it.outcome = outcome;
	it.key = key;
	it.order_key = order_key;
	it.deal_key = deal_key;
	it.currency = "EUR";
	it.order_amount = amount;
	return it;
}

START_TEST(fills_report)
{
	struct arena a = { 0 };
	struct error err;
	struct life_calc *lc = NULL;
	struct report rep;
	struct report_item it[8];
	struct life_ver A[3], B[2], C[1], Cd[1], E[3], F[1], G[2], K[1];

	error_init(&err);
	memset(&rep, 0, sizeof(rep));
	it[0] = line("AMOUNT_MISMATCH_ORDER_ERP", "A", NULL, "A", "10.00");
	it[1] = line("CUSTOMER_MISMATCH", "A", NULL, "A", "10.00");
	it[2] = line("ORDER_NOT_IN_ERP", "B", NULL, "B", "1.50");
	it[3] = line("AMOUNT_MISMATCH_DEAL_ORDER", "C", NULL, "C", "2.00");
	it[4] = line("ORDER_WITHOUT_DEAL", "D", NULL, "D", NULL);
	it[5] = line("DEAL_WITHOUT_ORDER", NULL, "E", "E", NULL);
	it[5].deal_amount = "7.25";
	/* a line of no record (a failed source row): no life */
	it[6] = line("RULE_ERROR", NULL, NULL, "crm:D-1", NULL);
	/* a duplicate key's line has no record fields, but its key is the
	 * record's, whose codes hold DUPLICATE_KEY */
	it[7] = line("DUPLICATE_KEY", NULL, NULL, "K", NULL);
	K[0] = ver(1, 2, "DUPLICATE_KEY");
	A[0] = ver(1, 1, "AMOUNT_MISMATCH_ORDER_ERP");
	A[1] = ver(2, 2, "AMOUNT_MISMATCH_ORDER_ERP");
	A[2] = ver(3, 3, "AMOUNT_MISMATCH_ORDER_ERP CUSTOMER_MISMATCH");
	B[0] = ver(1, 1, "ORDER_NOT_IN_ERP");
	B[1] = ver(2, 2, "MATCHED");
	C[0] = ver(1, 1, "MATCHED");
	E[0] = ver(1, 1, "DEAL_WITHOUT_ORDER");
	E[1] = ver(2, 2, "REMOVED");
	E[2] = ver(3, 3, "DEAL_WITHOUT_ORDER");
	F[0] = ver(1, 2, "CURRENCY_MISMATCH");
	F[0].val[LV_ORDER_KEY] = "F";
	F[0].val[LV_CURRENCY] = "USD";
	F[0].val[LV_ORDER_AMOUNT] = "99.00";
	F[0].verdicts = "[{\"rule\":\"cur\",\"code\":\"CURRENCY_MISMATCH\","
			"\"severity\":\"warning\",\"where\":\"c.lua:3\","
			"\"message\":\"EUR vs \\\"USD\\\"\"}]";
	Cd[0] = ver(1, 3, "AMOUNT_MISMATCH_DEAL_ORDER");
	G[0] = ver(1, 1, "CUSTOMER_MISMATCH");
	G[1] = ver(2, 3, "MATCHED");

	ck_assert_int_eq(life_calc_init(&lc, it, 8, day(13), "r4", 3, &a, &err), 0);
	for (int s = 1; s <= 3; s++)
		ck_assert_int_eq(life_calc_run(lc, run_ids[s], day(run_day[s]),
					       (uint64_t)s * 10, &err), 0);
	/* any key order: the calc looks lines up by (kind, key) */
	ck_assert_int_eq(life_calc_key(lc, "order", "F", F, 1, &err), 0);
	ck_assert_int_eq(life_calc_key(lc, "order", "A", A, 3, &err), 0);
	ck_assert_int_eq(life_calc_key(lc, "order", "B", B, 2, &err), 0);
	ck_assert_int_eq(life_calc_key(lc, "deal", "E", E, 3, &err), 0);
	/* the same key of another kind is another record */
	ck_assert_int_eq(life_calc_key(lc, "deal", "C", Cd, 1, &err), 0);
	ck_assert_int_eq(life_calc_key(lc, "order", "C", C, 1, &err), 0);
	ck_assert_int_eq(life_calc_key(lc, "order", "G", G, 2, &err), 0);
	ck_assert_int_eq(life_calc_key(lc, "order", "K", K, 1, &err), 0);
	ck_assert_int_eq(life_calc_finish(lc, &rep, &err), 0);

	ck_assert_str_eq(it[0].life->state, "open");
	ck_assert_str_eq(it[0].life->first_run, "r1");
	ck_assert_str_eq(it[0].life->first_as_of, "2026-11-01T00:00:00Z");
	ck_assert_int_eq(it[0].life->age_days, 12);
	ck_assert_str_eq(it[1].life->state, "open");
	ck_assert_str_eq(it[1].life->first_run, "r3");
	ck_assert_int_eq(it[1].life->age_days, 2);
	ck_assert_str_eq(it[2].life->state, "reopened");
	ck_assert_str_eq(it[2].life->first_run, "r4");
	ck_assert_int_eq(it[2].life->age_days, 0);
	ck_assert_str_eq(it[3].life->state, "new");
	ck_assert_str_eq(it[4].life->state, "new");
	ck_assert_str_eq(it[4].life->first_as_of, "2026-11-13T00:00:00Z");
	ck_assert_str_eq(it[5].life->state, "open");
	ck_assert_str_eq(it[5].life->first_run, "r3");
	ck_assert_ptr_null(it[6].life);
	ck_assert_str_eq(it[7].life->state, "open");
	ck_assert_str_eq(it[7].life->first_run, "r2");
	ck_assert_int_eq(it[7].life->age_days, 9);
	ck_assert_ptr_null(it[0].life->note_state);

	/* F fixed, deal C gone; G was fixed before run 3: not resolved now;
	 * in outcome order */
	ck_assert_uint_eq(rep.nresolved, 2);
	ck_assert_str_eq(rep.resolved[1].outcome, "AMOUNT_MISMATCH_DEAL_ORDER");
	ck_assert_str_eq(rep.resolved[1].key, "C");
	ck_assert_str_eq(rep.resolved[1].life->first_run, "r3");
	ck_assert_str_eq(rep.resolved[1].message,
			 "deal and order amounts differ beyond tolerance");
	ck_assert_str_eq(rep.resolved[0].outcome, "CURRENCY_MISMATCH");
	ck_assert_str_eq(rep.resolved[0].key, "F");
	ck_assert_str_eq(rep.resolved[0].order_key, "F");
	ck_assert_str_eq(rep.resolved[0].currency, "USD");
	ck_assert_str_eq(rep.resolved[0].order_amount, "99.00");
	ck_assert_str_eq(rep.resolved[0].severity, "warning");
	ck_assert_str_eq(rep.resolved[0].message, "EUR vs \"USD\"");
	ck_assert_str_eq(rep.resolved[0].life->state, "resolved");
	ck_assert_str_eq(rep.resolved[0].life->first_run, "r2");
	ck_assert_int_eq(rep.resolved[0].life->age_days, 9);

	/* ageing: 0-1 B C D, 2-7 A(customer) E, 8-30 A(amount) K */
	ck_assert_uint_eq(rep.nageing, REPORT_AGEING_BUCKETS);
	ck_assert_str_eq(rep.ageing[0].bucket, "0-1");
	ck_assert_uint_eq(rep.ageing[0].count, 3);
	ck_assert_uint_eq(rep.ageing[0].ntotals, 1);
	ck_assert_str_eq(rep.ageing[0].totals[0].currency, "EUR");
	ck_assert_str_eq(rep.ageing[0].totals[0].amount, "3.50");
	ck_assert_uint_eq(rep.ageing[0].totals[0].count, 2);
	ck_assert_uint_eq(rep.ageing[1].count, 2);
	/* E's deal amount first, A's order amount */
	ck_assert_str_eq(rep.ageing[1].totals[0].amount, "17.25");
	ck_assert_uint_eq(rep.ageing[2].count, 2);
	ck_assert_uint_eq(rep.ageing[3].count, 0);
	ck_assert_uint_eq(rep.ageing[3].ntotals, 0);

	/* trend: runs 1-3, then this one with its 8 lines */
	ck_assert_uint_eq(rep.ntrend, 4);
	ck_assert_str_eq(rep.trend[0].run_id, "r1");
	ck_assert_uint_eq(rep.trend[2].exceptions, 30);
	ck_assert_str_eq(rep.trend[3].run_id, "r4");
	ck_assert_str_eq(rep.trend[3].as_of, "2026-11-13T00:00:00Z");
	ck_assert_uint_eq(rep.trend[3].exceptions, 8);

	life_calc_release(lc);
	ck_assert_ptr_null(it[0].life);
	arena_release(&a);
	error_release(&err);
}
END_TEST

/* No previous run: everything new, nothing resolved; the trend keeps
 * the last ten earlier runs. */
START_TEST(first_run_and_trend)
{
	struct arena a = { 0 };
	struct error err;
	struct life_calc *lc = NULL;
	struct report rep;
	struct report_item it[1];

	error_init(&err);
	memset(&rep, 0, sizeof(rep));
	it[0] = line("ORDER_NOT_IN_ERP", "B", NULL, "B", "1.00");
	ck_assert_int_eq(life_calc_init(&lc, it, 1, day(13), "r13", 0, &a, &err), 0);
	for (int s = 1; s <= 12; s++) {
		char id[16];

		snprintf(id, sizeof(id), "r%d", s);
		ck_assert_int_eq(life_calc_run(lc, id, day(s), (uint64_t)s, &err), 0);
	}
	ck_assert_int_eq(life_calc_finish(lc, &rep, &err), 0);
	ck_assert_str_eq(it[0].life->state, "new");
	ck_assert_uint_eq(rep.nresolved, 0);
	ck_assert_uint_eq(rep.ntrend, 11);
	ck_assert_str_eq(rep.trend[0].run_id, "r3");
	ck_assert_str_eq(rep.trend[9].run_id, "r12");
	ck_assert_str_eq(rep.trend[10].run_id, "r13");
	life_calc_release(lc);
	arena_release(&a);
	error_release(&err);
}
END_TEST

START_TEST(columns_map)
{
	const char *values[5] = { "order.key", "deal.amount", "erp.amount",
				  "order.fields.x", "currency" };
	int map[5];

	life_map_columns(values, 5, map);
	ck_assert_int_eq(map[0], LV_ORDER_KEY);
	ck_assert_int_eq(map[1], LV_DEAL_AMOUNT);
	ck_assert_int_eq(map[2], LV_ERP_AMOUNT);
	ck_assert_int_eq(map[3], -1);
	ck_assert_int_eq(map[4], LV_CURRENCY);
}
END_TEST

Suite *suite_lifecycle(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = tcase_create("lifecycle");

	tcase_add_test(tc, state_machine);
	tcase_add_test(tc, fills_report);
	tcase_add_test(tc, first_run_and_trend);
	tcase_add_test(tc, columns_map);
	suite_add_tcase(s, tc);
	return s;
}
