/*
 * test_ledger.c - the canonical serialisation and the hashes that chain
 * published records (the format is a contract: docs/LEDGER.md).
 */
#include <check.h>
#include <string.h>

#include "engine/ledger.h"

/* Declared columns of every type (the names are the job's). */
static const struct ledger_schema schema = {
	6, {
		{ "order_key", "order.key", LT_TEXT },
		{ "currency", "currency", LT_TEXT },
		{ "order_amount", "order.amount", LT_MONEY },
		{ "erp_docs", "erp.documents", LT_INTEGER },
		{ "closed", "deal.time", LT_TIMESTAMP },
		{ "day", "order.time", LT_DATE },
	}
};

static void fill(struct ledger_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->schema = &schema;
	r->f[LF_REC_KIND] = "order";
	r->f[LF_REC_KEY] = "SO-1";
	r->f[LF_VERSION] = "1";
	r->f[LF_RUN_ID] = "R1";
	r->f[LF_OUTCOME] = "MATCHED";
	r->f[LF_CODES] = "MATCHED";
	r->f[LF_VERDICTS] = "[]";
	r->c[0] = "SO-1";
	r->c[1] = "EUR";
	r->c[2] = "12.30";
	r->c[3] = "2";
	r->c[4] = "2026-01-02 03:04:05";
	r->c[5] = "2026-01-02";
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
	r.c[1] = NULL;
	ck_assert_int_eq(ledger_serialise(&r, 0, &sb, &err), 0);
	ck_assert_str_eq(sb.buf, "outcome:7:MATCHED\ncodes:7:MATCHED\n"
			 "verdicts:2:[]\norder_key:4:SO-1\ncurrency:-\n"
			 "order_amount:4:12.3\nerp_docs:1:2\n"
			 "closed:20:2026-01-02T03:04:05Z\nday:10:2026-01-02\n");
	sbuf_reset(&sb);
	ck_assert_int_eq(ledger_serialise(&r, 1, &sb, &err), 0);
	ck_assert_str_eq(sb.buf, "rec_kind:5:order\nrec_key:4:SO-1\n"
			 "version:1:1\nrun_id:2:R1\n"
			 "outcome:7:MATCHED\ncodes:7:MATCHED\n"
			 "verdicts:2:[]\norder_key:4:SO-1\ncurrency:-\n"
			 "order_amount:4:12.3\nerp_docs:1:2\n"
			 "closed:20:2026-01-02T03:04:05Z\nday:10:2026-01-02\n"
			 "sources:2:[]\nrules_hash:2:ab\nprev_hash:-\n");
	sbuf_release(&sb);
	error_release(&err);
}
END_TEST

/* Typed values hash in one form whatever the database printed; a value
 * that is not of its type is an error naming the column. */
START_TEST(typed_values_normalise)
{
	static const struct { int col; const char *a, *b; } same[] = {
		{ 2, "12.30", "12.3000" },	/* PostgreSQL NUMERIC(24,4) */
		{ 2, "12.30", "12.3" },
		{ 3, "2", "02" },
		{ 4, "2026-01-02 03:04:05", "2026-01-02T03:04:05Z" },
		{ 4, "2026-01-02 03:04:05", "2026-01-02 03:04:05.000" },
		{ 5, "2026-01-02", "2026-01-02 00:00:00" },
	};
	static const struct { int col; const char *v; } bad[] = {
		{ 2, "1,5" }, { 2, "12.30 EUR" }, { 3, "2.0" }, { 3, "" },
		{ 3, "9223372036854775808" }, { 3, "+2" },
		{ 4, "2026-02-30 00:00:00" }, { 5, "yesterday" },
	};
	struct ledger_rec a, b;
	char ha[LEDGER_HEX], hb[LEDGER_HEX];
	struct sbuf sb = SBUF_INIT(256);
	struct error err;

	error_init(&err);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		fill(&a);
		fill(&b);
		a.c[same[i].col] = same[i].a;
		b.c[same[i].col] = same[i].b;
		ck_assert_int_eq(ledger_value_hash(&a, ha, &err), 0);
		ck_assert_int_eq(ledger_value_hash(&b, hb, &err), 0);
		ck_assert_msg(strcmp(ha, hb) == 0, "%s / %s", same[i].a,
			      same[i].b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fill(&a);
		a.c[bad[i].col] = bad[i].v;
		error_clear(&err);
		ck_assert_msg(ledger_value_hash(&a, ha, &err) == -1, "%s",
			      bad[i].v);
		ck_assert_int_eq(err.code, ERR_DATA);
		ck_assert_msg(strstr(err.msg.buf,
				     schema.col[bad[i].col].name) != NULL,
			      "%s", err.msg.buf);
	}
	error_clear(&err);
	ck_assert_int_eq(ledger_normalise(LT_INTEGER, "-0", &sb, &err), 0);
	ck_assert_str_eq(sb.buf, "0");
	sbuf_reset(&sb);
	ck_assert_int_eq(ledger_normalise(LT_INTEGER, "-9223372036854775808",
					  &sb, &err), 0);
	ck_assert_str_eq(sb.buf, "-9223372036854775808");
	sbuf_release(&sb);
	error_release(&err);
}
END_TEST

START_TEST(hashes)
{
	struct ledger_rec a, b;
	char ha[LEDGER_HEX], hb[LEDGER_HEX], ca[LEDGER_HEX], cb[LEDGER_HEX];
	struct ledger_schema renamed = schema;
	struct error err;

	error_init(&err);
	fill(&a);
	fill(&b);
	b.c[2] = "12.3000";	/* how PostgreSQL prints it */
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
	b.c[1] = "";
	ck_assert_int_eq(ledger_value_hash(&b, hb, &err), 0);
	ck_assert_str_ne(ha, hb);
	/* a changed amount changes the value hash */
	b = a;
	b.c[2] = "12.31";
	ck_assert_int_eq(ledger_value_hash(&b, hb, &err), 0);
	ck_assert_str_ne(ha, hb);
	/* so does a column's name: values are hashed by name */
	renamed.col[1].name = "cur";
	b = a;
	b.schema = &renamed;
	ck_assert_int_eq(ledger_value_hash(&b, hb, &err), 0);
	ck_assert_str_ne(ha, hb);
	/* a field boundary cannot be faked by moving bytes */
	b = a;
	b.f[LF_OUTCOME] = "MATCHED\ncodes:7:MATCHED";
	b.f[LF_CODES] = NULL;
	ck_assert_int_eq(ledger_value_hash(&b, hb, &err), 0);
	ck_assert_str_ne(ha, hb);
	/* provenance is in the content hash only */
	b = a;
	b.f[LF_SOURCES] = "[1]";
	ck_assert_int_eq(ledger_value_hash(&b, hb, &err), 0);
	ck_assert_str_eq(ha, hb);
	ck_assert_int_eq(ledger_content_hash(&b, cb, &err), 0);
	ck_assert_str_ne(ca, cb);
	error_release(&err);
}
END_TEST

/* The schema's serialisation is exact, and any change of a column's
 * name, type or value, or of their order, changes its hash. */
START_TEST(schema_hash)
{
	struct ledger_schema s2;
	struct sbuf sb = SBUF_INIT(4096);
	char h[LEDGER_HEX], h2[LEDGER_HEX];
	struct error err;

	error_init(&err);
	ck_assert_int_eq(ledger_schema_serialise(&schema, &sb, &err), 0);
	ck_assert_str_eq(sb.buf, "format:14:recon-ledger/2\n"
			 "column:24:order_key text order.key\n"
			 "column:22:currency text currency\n"
			 "column:31:order_amount money order.amount\n"
			 "column:30:erp_docs integer erp.documents\n"
			 "column:26:closed timestamp deal.time\n"
			 "column:19:day date order.time\n");
	ck_assert_int_eq(ledger_schema_hash(&schema, h, &err), 0);
	s2 = schema;
	s2.col[2].type = LT_TEXT;
	ck_assert_int_eq(ledger_schema_hash(&s2, h2, &err), 0);
	ck_assert_str_ne(h, h2);
	s2 = schema;
	s2.col[4].value = "order.time";
	ck_assert_int_eq(ledger_schema_hash(&s2, h2, &err), 0);
	ck_assert_str_ne(h, h2);
	s2 = schema;
	s2.col[0] = schema.col[1];
	s2.col[1] = schema.col[0];
	ck_assert_int_eq(ledger_schema_hash(&s2, h2, &err), 0);
	ck_assert_str_ne(h, h2);
	s2 = schema;
	s2.n--;
	ck_assert_int_eq(ledger_schema_hash(&s2, h2, &err), 0);
	ck_assert_str_ne(h, h2);
	sbuf_release(&sb);
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
	r->f[LR_SCHEMA_HASH] = "cd";
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
		"totals:-\noutcomes:2:{}\nwatermarks:2:{}\nschema_hash:2:cd\n"
		"prev_digest:0:\n");
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
	/* a hash added as its 32 bytes is the same hash; one that is not
	 * 64 lowercase hex digits gives no digest, never a wrong one */
	{
		uint8_t b1[32];

		memset(b1, 0x11, sizeof(b1));
		d = ledger_digest_new(NULL, &err);
		ledger_digest_set_run(d, r1);
		ck_assert_int_eq(ledger_digest_add_bin(d, b1), 0);
		ledger_digest_add(d, h2);
		ledger_digest_finish(d, d6);
		ck_assert_str_eq(d6, d1);
		d = ledger_digest_new(NULL, &err);
		ledger_digest_set_run(d, r1);
		ledger_digest_add(d, h1);
		ledger_digest_add(d, "222222222222222222222222222222222222222222222222222222222222222G");
		ledger_digest_finish(d, d6);
		ck_assert_str_eq(d6, "");
	}
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

/* T_runs.totals as the run driver writes it, read strictly: a source's
 * counts, "no entry" only for a well-formed array without it, and an
 * error (with a reason) for anything else. */
START_TEST(totals_find)
{
	static const char *const good =
		"[{\"source\":\"crm\",\"read\":968,\"kept\":926,\"skipped\":41,"
		"\"failed\":1,\"amounts\":{\"EUR\":\"1.00\",\"US\\\"D\":\"-2.50\"},"
		"\"rows_hash\":\"ab12\"},{\"source\":\"a\\\\b\\u0001\",\"read\":0,"
		"\"kept\":0,\"skipped\":0,\"failed\":0,\"amounts\":{},"
		"\"rows_hash\":\"00\"}]";
	static const struct { const char *json, *why; } bad[] = {
		{ "", "it is not a JSON array" },
		{ "{}", "it is not a JSON array" },
		{ "[{\"source\":\"crm\",\"read\":1,\"skipped\":0,\"failed\":0}]",
		  "the entry of source 'crm' has no \"kept\" count" },
		{ "[{\"source\":\"crm\",\"read\":-1,\"kept\":0,\"skipped\":0,"
		  "\"failed\":0}]", "a count is not a whole number" },
		{ "[{\"source\":\"crm\",\"read\":1,\"kept\":1,\"skipped\":0,"
		  "\"failed\":0}", "a ',' or ']' is missing" },
		{ "[{\"source\":\"crm\",\"read\":1,\"kept\":1,\"skipped\":0,"
		  "\"failed\":0,\"read\":2}]", "an entry has a count twice" },
		{ "[{\"source\":\"crm\",\"read\":1,\"kept\":1,\"skipped\":0,"
		  "\"failed\":0},{\"source\":\"crm\",\"read\":1,\"kept\":1,"
		  "\"skipped\":0,\"failed\":0}]", "source 'crm' has two entries" },
		{ "[{\"read\":1}]", "an entry has no \"source\"" },
		{ "[{\"source\":\"crm\",\"read\":99999999999999999999,\"kept\":1,"
		  "\"skipped\":0,\"failed\":0}]", "a count is too large" },
		{ "[] x", "text follows the array" },
	};
	struct ledger_source_totals t;
	struct sbuf why = SBUF_INIT(4096);

	ck_assert_int_eq(ledger_totals_find(good, "crm", &t, &why), 1);
	ck_assert_uint_eq(t.read, 968);
	ck_assert_uint_eq(t.kept, 926);
	ck_assert_uint_eq(t.skipped, 41);
	ck_assert_uint_eq(t.failed, 1);
	ck_assert_int_eq(ledger_totals_find(good, "a\\b\001", &t, &why), 1);
	ck_assert_uint_eq(t.read, 0);
	/* a prefix or another source is not a match */
	ck_assert_int_eq(ledger_totals_find(good, "cr", &t, &why), 0);
	ck_assert_int_eq(ledger_totals_find(good, "erp", &t, &why), 0);
	ck_assert_int_eq(ledger_totals_find("[]", "crm", &t, &why), 0);
	ck_assert_uint_eq(why.len, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sbuf_reset(&why);
		ck_assert_msg(ledger_totals_find(bad[i].json, "crm", &t, &why) == -1,
			      "%s", bad[i].json);
		ck_assert_str_eq(why.buf, bad[i].why);
	}
	sbuf_release(&why);

	/* reference tables' entries: passed over as sources, found as
	 * references (rows and rows_hash) */
	{
		static const char refs[] =
			"[{\"source\":\"crm\",\"read\":3,\"kept\":3,"
			"\"skipped\":0,\"failed\":0,\"amounts\":{},"
			"\"rows_hash\":\"aa\"},{\"reference\":\"crm\","
			"\"read\":12,\"rows_hash\":\"0f0f\"}]";
		struct sbuf h = SBUF_INIT(256);
		uint64_t rows;

		ck_assert_int_eq(ledger_totals_find(refs, "crm", &t, &why), 1);
		ck_assert_uint_eq(t.read, 3);
		ck_assert_int_eq(ledger_reference_find(refs, "crm", &rows, &h,
						       &why), 1);
		ck_assert_uint_eq(rows, 12);
		ck_assert_str_eq(h.buf, "0f0f");
		ck_assert_int_eq(ledger_reference_find(refs, "fx", &rows, &h,
						       &why), 0);
		ck_assert_int_eq(ledger_reference_find(good, "crm", &rows, &h,
						       &why), 0);
		sbuf_reset(&why);
		ck_assert_int_eq(ledger_reference_find(
			"[{\"reference\":\"fx\",\"read\":1}]", "fx", &rows,
			&h, &why), -1);
		ck_assert_str_eq(why.buf, "the entry of reference 'fx' lacks "
				 "\"read\" or \"rows_hash\"");
		sbuf_release(&h);
	}
	sbuf_release(&why);
}
END_TEST

Suite *suite_ledger(void);
Suite *suite_ledger(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, serialisation_is_exact);
	tcase_add_test(tc, typed_values_normalise);
	tcase_add_test(tc, hashes);
	tcase_add_test(tc, schema_hash);
	tcase_add_test(tc, run_serialisation_is_exact);
	tcase_add_test(tc, run_hash);
	tcase_add_test(tc, run_digest);
	tcase_add_test(tc, run_digest_bytes);
	tcase_add_test(tc, totals_find);
	suite_add_tcase(s, tc);
	return s;
}
