/*
 * test_ledger.c - the canonical serialisation and the hashes that chain
 * published records (the format is a contract: docs/LEDGER.md).
 */
#include <check.h>
#include <string.h>

#include "engine/ledger.h"

static void fill(struct ledger_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->f[LF_REC_KIND] = "order";
	r->f[LF_REC_KEY] = "SO-1";
	r->f[LF_VERSION] = "1";
	r->f[LF_RUN_ID] = "R1";
	r->f[LF_OUTCOME] = "MATCHED";
	r->f[LF_CODES] = "MATCHED";
	r->f[LF_VERDICTS] = "[]";
	r->f[LF_ORDER_KEY] = "SO-1";
	r->f[LF_CURRENCY] = "EUR";
	r->f[LF_ORDER_AMOUNT] = "12.30";
	r->f[LF_ERP_DOCS] = "2";
	r->f[LF_SOURCES] = "[]";
	r->f[LF_RULES_HASH] = "ab";
}

START_TEST(serialisation_is_exact)
{
	struct ledger_rec r;
	struct sbuf sb = SBUF_INIT(4096);
	struct error err;

	error_init(&err);
	fill(&r);
	ck_assert_int_eq(ledger_serialise(&r, LF_OUTCOME, LF_CURRENCY, &sb, &err), 0);
	ck_assert_str_eq(sb.buf, "outcome:7:MATCHED\ncodes:7:MATCHED\n"
			 "verdicts:2:[]\ndeal_key:-\norder_key:4:SO-1\n"
			 "customer:-\ncurrency:3:EUR\n");
	sbuf_reset(&sb);
	ck_assert_int_eq(ledger_serialise(&r, LF_ORDER_AMOUNT, LF_ORDER_AMOUNT,
					  &sb, &err), 0);
	ck_assert_str_eq(sb.buf, "order_amount:4:12.3\n");
	sbuf_release(&sb);
	error_release(&err);
}
END_TEST

START_TEST(hashes)
{
	struct ledger_rec a, b;
	char ha[LEDGER_HEX], hb[LEDGER_HEX], ca[LEDGER_HEX], cb[LEDGER_HEX];
	struct error err;

	error_init(&err);
	fill(&a);
	fill(&b);
	b.f[LF_ORDER_AMOUNT] = "12.3000";	/* how PostgreSQL prints it */
	b.f[LF_RUN_ID] = "R2";
	b.f[LF_VERSION] = "2";
	ck_assert_int_eq(ledger_value_hash(&a, ha, &err), 0);
	ck_assert_int_eq(ledger_value_hash(&b, hb, &err), 0);
	ck_assert_str_eq(ha, hb);		/* same values */
	ck_assert_uint_eq(strlen(ha), 64);
	ck_assert_int_eq(ledger_content_hash(&a, ca, &err), 0);
	ck_assert_int_eq(ledger_content_hash(&b, cb, &err), 0);
	ck_assert_str_ne(ca, cb);		/* other version and run */
	/* NULL and empty differ */
	b = a;
	b.f[LF_CUSTOMER] = "";
	ck_assert_int_eq(ledger_value_hash(&b, hb, &err), 0);
	ck_assert_str_ne(ha, hb);
	/* a changed amount changes the value hash */
	b = a;
	b.f[LF_ORDER_AMOUNT] = "12.31";
	ck_assert_int_eq(ledger_value_hash(&b, hb, &err), 0);
	ck_assert_str_ne(ha, hb);
	/* a field boundary cannot be faked by moving bytes */
	b = a;
	b.f[LF_OUTCOME] = "MATCHED\ncodes:7:MATCHED";
	b.f[LF_CODES] = NULL;
	ck_assert_int_eq(ledger_value_hash(&b, hb, &err), 0);
	ck_assert_str_ne(ha, hb);
	/* an amount that is not a decimal is an error, not a hash */
	b = a;
	b.f[LF_DEAL_AMOUNT] = "1,5";
	ck_assert_int_eq(ledger_value_hash(&b, hb, &err), -1);
	ck_assert_int_eq(err.code, ERR_DATA);
	error_release(&err);
}
END_TEST

static void fill_run(struct ledger_run *r)
{
	memset(r, 0, sizeof(*r));
	r->f[LR_RUN_ID] = "R1";
	r->f[LR_SEQ] = "1";
	r->f[LR_JOB] = "nightly";
	r->f[LR_MODE] = "full";
	r->f[LR_AS_OF] = "2026-11-25 00:00:00";
	r->f[LR_WINDOW_START] = "";
	r->f[LR_STARTED] = "2026-11-25T00:00:01Z";
	r->f[LR_FINISHED] = "2026-11-25T00:00:02Z";
	r->f[LR_STATUS] = "clean";
	r->f[LR_RULES_HASH] = "ab";
	r->f[LR_RULES] = "[]";
	r->f[LR_RECORDS] = "2";
	r->f[LR_EXCEPTIONS] = "0";
	r->f[LR_TOTALS] = "[]";
	r->f[LR_OUTCOMES] = "{}";
	r->f[LR_WATERMARKS] = "{}";
	r->f[LR_PREV_DIGEST] = "";
}

START_TEST(run_serialisation_is_exact)
{
	struct ledger_run r;
	struct sbuf sb = SBUF_INIT(4096);
	struct error err;

	error_init(&err);
	fill_run(&r);
	r.f[LR_TOTALS] = NULL;
	ck_assert_int_eq(ledger_run_serialise(&r, 0, LR__COUNT - 1, &sb, &err), 0);
	ck_assert_str_eq(sb.buf,
		"run_id:2:R1\nseq:1:1\njob:7:nightly\nmode:4:full\n"
		"as_of:19:2026-11-25 00:00:00\nwindow_start:0:\n"
		"started:20:2026-11-25T00:00:01Z\n"
		"finished:20:2026-11-25T00:00:02Z\nstatus:5:clean\n"
		"rules_hash:2:ab\nrules:2:[]\nrecords:1:2\nexceptions:1:0\n"
		"totals:-\noutcomes:2:{}\nwatermarks:2:{}\nprev_digest:0:\n");
	sbuf_release(&sb);
	error_release(&err);
}
END_TEST

/* Every field of the runs row changes the run hash. */
START_TEST(run_hash)
{
	struct ledger_run a, b;
	char ha[LEDGER_HEX], hb[LEDGER_HEX];
	struct error err;

	error_init(&err);
	fill_run(&a);
	ck_assert_int_eq(ledger_run_hash(&a, ha, &err), 0);
	ck_assert_uint_eq(strlen(ha), 64);
	for (int f = 0; f < LR__COUNT; f++) {
		b = a;
		b.f[f] = "x";
		ck_assert_int_eq(ledger_run_hash(&b, hb, &err), 0);
		ck_assert_msg(strcmp(ha, hb) != 0, "field %s",
			      ledger_run_field_names[f]);
		b.f[f] = NULL;
		ck_assert_int_eq(ledger_run_hash(&b, hb, &err), 0);
		ck_assert_msg(strcmp(ha, hb) != 0, "field %s NULL",
			      ledger_run_field_names[f]);
	}
	/* nothing is normalised: "2" and "2.0" differ */
	b = a;
	b.f[LR_RECORDS] = "2.0";
	ck_assert_int_eq(ledger_run_hash(&b, hb, &err), 0);
	ck_assert_str_ne(ha, hb);
	error_release(&err);
}
END_TEST

START_TEST(run_digest)
{
	static const char *h1 = "1111111111111111111111111111111111111111111111111111111111111111";
	static const char *h2 = "2222222222222222222222222222222222222222222222222222222222222222";
	static const char *r1 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char *r2 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	char d1[LEDGER_HEX], d2[LEDGER_HEX], d3[LEDGER_HEX], d4[LEDGER_HEX];
	char d5[LEDGER_HEX], d6[LEDGER_HEX];
	struct ledger_digest *d;
	struct error err;

	error_init(&err);
	d = ledger_digest_new(NULL, &err);
	ledger_digest_set_run(d, r1);
	ledger_digest_add(d, h1);
	ledger_digest_add(d, h2);
	ledger_digest_finish(d, d1);
	d = ledger_digest_new("", &err);
	ledger_digest_add(d, h2);
	ledger_digest_add(d, h1);
	ledger_digest_set_run(d, r1);	/* at any point before finishing */
	ledger_digest_finish(d, d2);
	ck_assert_str_eq(d1, d2);		/* order does not matter */
	d = ledger_digest_new(d1, &err);
	ledger_digest_set_run(d, r1);
	ledger_digest_add(d, h1);
	ledger_digest_add(d, h2);
	ledger_digest_finish(d, d3);
	ck_assert_str_ne(d1, d3);		/* chained to the previous */
	d = ledger_digest_new(NULL, &err);
	ledger_digest_set_run(d, r1);
	ledger_digest_add(d, h1);
	ledger_digest_finish(d, d4);
	ck_assert_str_ne(d1, d4);		/* a missing version shows */
	ck_assert_uint_eq(strlen(d4), 64);
	d = ledger_digest_new(NULL, &err);
	ledger_digest_set_run(d, r2);
	ledger_digest_add(d, h1);
	ledger_digest_add(d, h2);
	ledger_digest_finish(d, d5);
	ck_assert_str_ne(d1, d5);		/* so does another runs row */
	/* the run hash is mandatory: no digest without it */
	d = ledger_digest_new(NULL, &err);
	ledger_digest_add(d, h1);
	ledger_digest_finish(d, d6);
	ck_assert_str_eq(d6, "");
	error_release(&err);
}
END_TEST

/* The digest's exact bytes (docs/LEDGER.md): SHA-256 of
 * "recon-run:\nrun:" RUN "\n" H1 "\n", computed by sha256sum. */
START_TEST(run_digest_bytes)
{
	static const char *h1 = "1111111111111111111111111111111111111111111111111111111111111111";
	static const char *r1 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	char out[LEDGER_HEX];
	struct ledger_digest *d;
	struct error err;

	error_init(&err);
	d = ledger_digest_new(NULL, &err);
	ledger_digest_set_run(d, r1);
	ledger_digest_add(d, h1);
	ledger_digest_finish(d, out);
	ck_assert_str_eq(out, "4292b244ac708983b5d888f5d6a66746"
			 "bfb012198faac68dab39ee16e3bbcd4f");
	error_release(&err);
}
END_TEST

Suite *suite_ledger(void);
Suite *suite_ledger(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, serialisation_is_exact);
	tcase_add_test(tc, hashes);
	tcase_add_test(tc, run_serialisation_is_exact);
	tcase_add_test(tc, run_hash);
	tcase_add_test(tc, run_digest);
	tcase_add_test(tc, run_digest_bytes);
	suite_add_tcase(s, tc);
	return s;
}
