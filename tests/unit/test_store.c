/*
 * test_store.c - the versioned, insert-only store through whole runs on
 * SQLite (DSN recon_test, the run suite's job and tables): version 1 for
 * every key with hashes that ledger.c recomputes from the stored row,
 * reruns that write nothing, one new version per changed key chained to
 * the old one, REMOVED tombstones and returning keys, the current view,
 * database-level refusal of UPDATE and DELETE, the completeness guard,
 * and fault loops over a versioned run that must leave the store exactly
 * as it was and no report behind.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/buf.h"
#include "engine/job.h"
#include "engine/ledger.h"
#include "engine/mem.h"
#include "engine/pubval.h"
#include "engine/rowfp.h"
#include "engine/run.h"
#include "engine/store.h"
#include "engine/verify.h"
#include "connectors/connector.h"
#include "connectors/odbc_int.h"

#define REPORTS "out/test/store-reports"
#define FAULT_REPORTS "out/test/store-fault-reports"
#define SPILL "out/test/store-tmp"
#define AS_OF "2026-11-26 00:00:00"
#define JOB "tests/data/run/job.xml"

static const char *const setup_sql[] = {
	"DROP TABLE IF EXISTS run_deals",
	"DROP TABLE IF EXISTS run_orders",
	"DROP TABLE IF EXISTS run_docs",
	"DROP VIEW IF EXISTS run_store_current",
	"DROP TABLE IF EXISTS run_store",
	"DROP TABLE IF EXISTS run_store_runs",
	"DROP TABLE IF EXISTS run_store_schema",
	"DROP TABLE IF EXISTS run_store_report",
	"DROP TABLE IF EXISTS run_orders_runs",
	"CREATE TABLE run_deals (id TEXT, amount TEXT, cur TEXT, closed TIMESTAMP, name TEXT)",
	"CREATE TABLE run_orders (id TEXT, deal TEXT, amount TEXT, cur TEXT, created TIMESTAMP)",
	"CREATE TABLE run_docs (id TEXT, ord TEXT, amount TEXT, cur TEXT, kind TEXT, st TEXT, dt TIMESTAMP)",
	"INSERT INTO run_deals VALUES "
	"('D1','100.00','EUR','2026-01-01 00:00:00','Acme'),"
	"('D2','50','EUR','2026-01-01 00:00:00','x'),"
	"('D3','70','EUR','2026-01-01 00:00:00','y'),"
	"('D5','9','EUR','2026-11-25 20:00:00','recent')",
	"INSERT INTO run_orders VALUES "
	"('O1','D1','100.00','EUR','2026-01-02 00:00:00'),"
	"('O3','D3','75','EUR','2026-01-02 00:00:00'),"
	"('O4',NULL,'5','EUR','2026-01-02 00:00:00')",
	"INSERT INTO run_docs VALUES "
	"('I1','O1','60','EUR','INV','P','2026-01-03 00:00:00'),"
	"('I2','O1','40','EUR','INV','P','2026-01-03 00:00:00'),"
	"('I3','O3','75','EUR','INV','P','2026-01-03 00:00:00'),"
	"('I9','O9','1','EUR','INV','P','2026-01-03 00:00:00')",
};
#define NKEYS 6		/* O1 O3 O4 O9 D2 D5 */

static int sql(const char *q)
{
	struct conn *c = NULL;
	struct error err;
	int rc;

	error_init(&err);
	ck_assert_msg(conn_open("recon_test", &c, &err) == 0, "%s", err.msg.buf);
	rc = conn_exec(c, q, NULL, 0, &err);
	conn_close(c);
	error_release(&err);
	return rc;
}

/* The error message of a statement that must fail (caller frees). */
static char *sql_error(const char *q)
{
	struct conn *c = NULL;
	struct error err;
	char *msg;

	error_init(&err);
	ck_assert_int_eq(conn_open("recon_test", &c, &err), 0);
	ck_assert_msg(conn_exec(c, q, NULL, 0, &err) < 0, "%s succeeded", q);
	msg = strdup(err.msg.buf);
	conn_close(c);
	error_release(&err);
	return msg;
}

static void setup(void)
{
	mkdir("out/test", 0777);
	ck_assert_int_eq(system("rm -rf " SPILL " " REPORTS " " FAULT_REPORTS), 0);
	mkdir(SPILL, 0777);
	for (size_t i = 0; i < sizeof(setup_sql) / sizeof(setup_sql[0]); i++)
		ck_assert_msg(sql(setup_sql[i]) == 0, "%s", setup_sql[i]);
}

/* Text of a value (NULL for SQL NULL), into a malloc'd string. */
static char *text(const struct value *v)
{
	char num[32];

	if (v->type == VAL_NULL)
		return NULL;
	if (v->type == VAL_INT) {
		snprintf(num, sizeof(num), "%lld", (long long)v->i);
		return strdup(num);
	}
	return strndup(v->s, v->len);
}

/* Rows of a query as strings: rows[r * ncols + c], NULL for SQL NULL. */
struct rows {
	char **v;
	size_t n, ncols;
};

static struct rows query(const char *q)
{
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	struct error err;
	struct rows r = { NULL, 0, 0 };
	int rc;

	error_init(&err);
	ck_assert_int_eq(conn_open("recon_test", &c, &err), 0);
	ck_assert_msg(cursor_open(c, q, NULL, 0, 0, &cur, &err) == 0, "%s: %s",
		      q, err.msg.buf);
	while ((rc = cursor_next(cur, &row, &err)) == 1) {
		r.ncols = row->ncols;
		r.v = realloc(r.v, (r.n + 1) * r.ncols * sizeof(*r.v));
		for (size_t i = 0; i < r.ncols; i++)
			r.v[r.n * r.ncols + i] = text(&row->vals[i]);
		r.n++;
	}
	ck_assert_int_eq(rc, 0);
	cursor_close(cur);
	conn_close(c);
	error_release(&err);
	return r;
}

static const char *at(const struct rows *r, size_t row, size_t col)
{
	return r->v[row * r->ncols + col];
}

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n * r->ncols; i++)
		free(r->v[i]);
	free(r->v);
}

static long count(const char *q)
{
	struct rows r = query(q);
	long n;

	ck_assert_uint_eq(r.n, 1);
	n = strtol(at(&r, 0, 0), NULL, 10);
	rows_free(&r);
	return n;
}

/* A snapshot of the store: row counts and the current state. */
static char *snapshot(void)
{
	struct rows r = query("SELECT rec_kind, rec_key, version, content_hash "
			      "FROM run_store_current ORDER BY 1, 2");
	size_t len = 64;
	char *s;

	for (size_t i = 0; i < r.n * r.ncols; i++)
		len += strlen(r.v[i]) + 1;
	s = calloc(1, len);
	snprintf(s, len, "%ld %ld\n", count("SELECT COUNT(*) FROM run_store"),
		 count("SELECT COUNT(*) FROM run_store_runs"));
	for (size_t i = 0; i < r.n * r.ncols; i++) {
		strcat(s, r.v[i]);
		strcat(s, (i + 1) % r.ncols ? " " : "\n");
	}
	rows_free(&r);
	return s;
}

static int dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int run_file(const char *path, const char *report_dir,
		    const char *const *shrink, size_t nshrink,
		    struct run_result *res, struct error *err);

static int run_with(const char *report_dir, const char *const *shrink,
		    size_t nshrink, struct run_result *res, struct error *err)
{
	return run_file(JOB, report_dir, shrink, nshrink, res, err);
}

/* The as-of of run_with() when set (else AS_OF): a run of the same
 * as-of and data as the last would repeat it and publish nothing. */
static const char *run_as_of;

static int run_file(const char *path, const char *report_dir,
		    const char *const *shrink, size_t nshrink,
		    struct run_result *res, struct error *err)
{
	struct job *job = NULL;
	struct run_opts opts;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.as_of = run_as_of ? run_as_of : AS_OF;
	opts.report_dir = report_dir;
	opts.tmpdir = SPILL;
	opts.accept_shrink = shrink;
	opts.naccept_shrink = nshrink;
	rc = job_load(path, &job, err);
	if (rc == 0)
		rc = run_job(job, &opts, res, err);
	job_free(job);
	return rc;
}

/* Run the job and expect success; returns the versions written. */
static uint64_t run_ok(void)
{
	struct run_result res;
	struct error err;
	uint64_t n;

	error_init(&err);
	run_result_init(&res);
	ck_assert_msg(run_with(REPORTS, NULL, 0, &res, &err) == 0, "%s: %s",
		      err.ctx.buf, err.msg.buf);
	n = res.records;
	run_result_release(&res);
	error_release(&err);
	return n;
}

/* The fixed fields in enum ledger_field order, the job's columns (the
 * defaults: it declares none), then the hashes. */
#define STORE_COLS "rec_kind, rec_key, version, run_id, outcome, codes, " \
	"verdicts, sources, rules_hash, prev_hash, deal_key, order_key, " \
	"customer, currency, deal_amount, order_amount, erp_amount, " \
	"erp_docs, value_hash, content_hash"
#define NDEF 8			/* default columns */
#define VH (LF__COUNT + NDEF)	/* value_hash's index */
#define CH (VH + 1)		/* content_hash's */

static void default_schema(struct ledger_schema *sch)
{
	ck_assert_int_eq(PUBVAL_NDEFAULTS, NDEF);
	memset(sch, 0, sizeof(*sch));
	sch->n = NDEF;
	for (int i = 0; i < NDEF; i++) {
		sch->col[i].name = pubval_defaults[i].name;
		sch->col[i].value = pubval_defaults[i].path;
		sch->col[i].type = pubval_defaults[i].type;
	}
}

/* Every stored version's value and content hashes recompute with
 * ledger.c from the row as read back; returns the rows. */
static struct rows check_hashes(void)
{
	struct rows r = query("SELECT " STORE_COLS " FROM run_store "
			      "ORDER BY rec_kind, rec_key, version");
	struct ledger_schema sch;
	struct error err;

	error_init(&err);
	default_schema(&sch);
	ck_assert_uint_eq(r.ncols, CH + 1);
	for (size_t i = 0; i < r.n; i++) {
		struct ledger_rec lr;
		char vh[LEDGER_HEX], ch[LEDGER_HEX];

		lr.schema = &sch;
		for (int f = 0; f < LF__COUNT; f++)
			lr.f[f] = at(&r, i, (size_t)f);
		for (int c = 0; c < NDEF; c++)
			lr.c[c] = at(&r, i, (size_t)(LF__COUNT + c));
		ck_assert_int_eq(ledger_value_hash(&lr, vh, &err), 0);
		ck_assert_int_eq(ledger_content_hash(&lr, ch, &err), 0);
		ck_assert_str_eq(vh, at(&r, i, VH));
		ck_assert_str_eq(ch, at(&r, i, CH));
	}
	error_release(&err);
	return r;
}

START_TEST(first_run_writes_version_1)
{
	struct rows r, runs;
	struct ledger_digest *d;
	char digest[LEDGER_HEX];
	struct ledger_schema sch;
	struct error err;

	setup();
	error_init(&err);
	default_schema(&sch);
	ck_assert_uint_eq(run_ok(), NKEYS);
	r = check_hashes();
	ck_assert_uint_eq(r.n, NKEYS);
	d = ledger_digest_new(NULL, &err);
	for (size_t i = 0; i < r.n; i++) {
		ck_assert_str_eq(at(&r, i, LF_VERSION), "1");
		ck_assert_ptr_null(at(&r, i, LF_PREV_HASH));
		ck_assert_int_eq(ledger_digest_add(d, at(&r, i, CH)), 0);
		/* every record names the rows it was built from */
		ck_assert_ptr_nonnull(strstr(at(&r, i, LF_SOURCES), "\"sha256\":\""));
	}
	/* the run hash: the runs row as it reads back, every column but
	 * the digest, in ledger_run_field order */
	{
		struct rows rr = query("SELECT run_id, CAST(seq AS TEXT), job, "
				       "mode, as_of, window_start, started, "
				       "finished, status, rules_hash, rules, "
				       "CAST(records AS TEXT), "
				       "CAST(exceptions AS TEXT), totals, "
				       "outcomes, watermarks, schema_hash, "
				       "prev_digest FROM run_store_runs");
		struct ledger_run lrun;
		char rh[LEDGER_HEX];

		ck_assert_uint_eq(rr.n, 1);
		ck_assert_uint_eq(rr.ncols, LR__COUNT);
		for (int f = 0; f < LR__COUNT; f++)
			lrun.f[f] = at(&rr, 0, (size_t)f);
		ck_assert_str_eq(lrun.f[LR_SEQ], "1");
		ck_assert_str_eq(lrun.f[LR_RECORDS], "6");
		{
			/* the declared columns as the store recorded them */
			char sh[LEDGER_HEX];

			ck_assert_int_eq(ledger_schema_hash(&sch, sh, &err), 0);
			ck_assert_str_eq(lrun.f[LR_SCHEMA_HASH], sh);
		}
		ck_assert_int_eq(ledger_run_hash(&lrun, rh, &err), 0);
		ledger_digest_set_run(d, rh);
		rows_free(&rr);
	}
	ledger_digest_finish(d, digest);
	ck_assert_uint_eq(strlen(digest), 64);
	runs = query("SELECT seq, records, digest, prev_digest, mode, rules, "
		     "totals, outcomes, watermarks FROM run_store_runs");
	ck_assert_uint_eq(runs.n, 1);
	ck_assert_str_eq(at(&runs, 0, 0), "1");
	ck_assert_str_eq(at(&runs, 0, 1), "6");
	ck_assert_str_eq(at(&runs, 0, 2), digest);
	ck_assert_str_eq(at(&runs, 0, 3), "");
	ck_assert_str_eq(at(&runs, 0, 4), "full");
	ck_assert_ptr_nonnull(strstr(at(&runs, 0, 5), "rules.lua\",\"sha256\":\""));
	ck_assert_ptr_nonnull(strstr(at(&runs, 0, 6),
				     "{\"source\":\"orders\",\"read\":3,"));
	ck_assert_ptr_nonnull(strstr(at(&runs, 0, 6), "\"rows_hash\":\""));
	ck_assert_ptr_nonnull(strstr(at(&runs, 0, 7),
				     "\"ERP_WITHOUT_ORDER\":{\"count\":1,"
				     "\"amounts\":{\"EUR\":\"1.00\"}}"));
	ck_assert_str_eq(at(&runs, 0, 8), "{}");
	/* the order O1's sources: its deal, its order, its two documents */
	{
		struct rows o = query("SELECT sources FROM run_store "
				      "WHERE rec_key = 'O1'");

		ck_assert_ptr_nonnull(strstr(at(&o, 0, 0),
			"{\"deal\":{\"source\":\"crm\",\"sha256\":\""));
		ck_assert_ptr_nonnull(strstr(at(&o, 0, 0),
			"\"erp\":{\"docs\":2,\"sha256\":\""));
		rows_free(&o);
	}
	rows_free(&r);
	rows_free(&runs);
	error_release(&err);
}
END_TEST

/* Row fingerprints: the documented serialisation, NULL distinct from
 * "", and a rows_hash (sum mod 2^256) that does not depend on order. */
START_TEST(row_fingerprints)
{
	const char *names[2] = { "id", "note" };
	struct value a[2], b[2];
	struct row ra = { 2, names, a, 1 }, rb = { 2, names, b, 2 };
	struct rowfp f;
	struct error err;
	uint8_t fa[32], fb[32], s1[32] = { 0 }, s2[32] = { 0 }, x[32];
	char hex[65];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	a[0].type = VAL_INT;
	a[0].i = 42;
	a[1].type = VAL_NULL;
	b[0].type = VAL_INT;
	b[0].i = 42;
	b[1].type = VAL_TEXT;
	b[1].s = "";
	b[1].len = 0;
	error_init(&err);
	rowfp_init(&f);
	ck_assert_int_eq(rowfp_row(&f, &ra, fa, &err), 0);
	ck_assert_int_eq(rowfp_row(&f, &rb, fb, &err), 0);
	ck_assert(memcmp(fa, fb, 32) != 0);
	/* sha256 of "recon-rowfp/2\nid#2:42\nnote:-\n" (test_rowfp.c
	 * has the format itself) */
	rowfp_hex(fa, hex);
	ck_assert_str_eq(hex, "903d852802848495af8dc72fd18a1fd306a50267773e8e90be4c1b84680c4653");
	rowfp_sum_add(s1, fa);
	rowfp_sum_add(s1, fb);
	rowfp_sum_add(s2, fb);
	rowfp_sum_add(s2, fa);
	ck_assert(memcmp(s1, s2, 32) == 0);
	/* a row read twice does not cancel out (as XOR would) */
	memset(x, 0, sizeof(x));
	rowfp_sum_add(x, fa);
	rowfp_sum_add(x, fa);
	ck_assert(memcmp(x, (uint8_t[32]){ 0 }, 32) != 0);
	rowfp_release(&f);
	error_release(&err);
}
END_TEST

START_TEST(rerun_writes_nothing)
{
	struct rows runs;

	setup();
	ck_assert_uint_eq(run_ok(), NKEYS);
	/* the same as-of and data: it repeats run 1, publishes nothing */
	ck_assert_uint_eq(run_ok(), 0);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store_runs"), 1);
	/* a second later, the same data: a run row, no version */
	run_as_of = "2026-11-26 00:00:01";
	ck_assert_uint_eq(run_ok(), 0);
	run_as_of = NULL;
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store"), NKEYS);
	runs = query("SELECT seq, records, digest, prev_digest "
		     "FROM run_store_runs ORDER BY seq");
	ck_assert_uint_eq(runs.n, 2);
	ck_assert_str_eq(at(&runs, 1, 0), "2");
	ck_assert_str_eq(at(&runs, 1, 1), "0");
	/* the chain: run 2's prev is run 1's digest */
	ck_assert_str_eq(at(&runs, 1, 3), at(&runs, 0, 2));
	rows_free(&runs);
}
END_TEST

START_TEST(changed_amount_writes_one_version)
{
	struct rows v;

	setup();
	run_ok();
	ck_assert_int_eq(sql("UPDATE run_orders SET amount = '101.00' "
			     "WHERE id = 'O1'"), 0);
	ck_assert_uint_eq(run_ok(), 1);
	{
		struct rows h = check_hashes();

		rows_free(&h);
	}
	v = query("SELECT version, prev_hash, content_hash, order_amount "
		  "FROM run_store WHERE rec_key = 'O1' ORDER BY version");
	ck_assert_uint_eq(v.n, 2);
	ck_assert_str_eq(at(&v, 1, 0), "2");
	ck_assert_str_eq(at(&v, 1, 1), at(&v, 0, 2));
	ck_assert_str_eq(at(&v, 1, 3), "101.00");
	rows_free(&v);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store"), NKEYS + 1);
	ck_assert_int_eq(count("SELECT records FROM run_store_runs "
			       "WHERE seq = 2"), 1);
}
END_TEST

START_TEST(removed_key_gets_tombstone_and_comes_back)
{
	struct rows v;

	setup();
	run_ok();
	ck_assert_int_eq(sql("DELETE FROM run_docs WHERE id = 'I9'"), 0);
	ck_assert_uint_eq(run_ok(), 1);	/* the tombstone of O9 */
	ck_assert_uint_eq(run_ok(), 0);	/* already removed: nothing */
	ck_assert_int_eq(sql("INSERT INTO run_docs VALUES ('I9','O9','1','EUR',"
			     "'INV','P','2026-01-03 00:00:00')"), 0);
	ck_assert_uint_eq(run_ok(), 1);	/* back */
	{
		struct rows h = check_hashes();

		rows_free(&h);
	}
	v = query("SELECT version, outcome, prev_hash, content_hash, "
		  "erp_docs, sources FROM run_store WHERE rec_key = 'O9' "
		  "ORDER BY version");
	ck_assert_uint_eq(v.n, 3);
	ck_assert_str_eq(at(&v, 1, 1), "REMOVED");
	ck_assert_str_eq(at(&v, 1, 2), at(&v, 0, 3));
	ck_assert_ptr_null(at(&v, 1, 4));	/* a tombstone has no values */
	ck_assert_str_eq(at(&v, 1, 5), "{}");
	ck_assert_str_eq(at(&v, 2, 1), "ERP_WITHOUT_ORDER");
	ck_assert_str_eq(at(&v, 2, 2), at(&v, 1, 3));
	rows_free(&v);
	/* the view: one row per key, the latest version */
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store_current"), NKEYS);
	ck_assert_int_eq(count("SELECT version FROM run_store_current "
			       "WHERE rec_key = 'O9'"), 3);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM (SELECT rec_kind, rec_key "
			       "FROM run_store_current GROUP BY 1, 2 "
			       "HAVING COUNT(*) > 1)"), 0);
}
END_TEST

START_TEST(current_view_shows_tombstones)
{
	setup();
	run_ok();
	ck_assert_int_eq(sql("DELETE FROM run_docs WHERE id = 'I9'"), 0);
	run_ok();
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store_current "
			       "WHERE outcome = 'REMOVED'"), 1);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store_current"), NKEYS);
}
END_TEST

START_TEST(update_and_delete_fail_at_the_database)
{
	static const char *const stmts[] = {
		"UPDATE run_store SET outcome = 'MATCHED'",
		"DELETE FROM run_store",
		"UPDATE run_store_runs SET records = 0",
		"DELETE FROM run_store_runs",
		"UPDATE run_store_schema SET type = 'text'",
		"DELETE FROM run_store_schema",
	};

	setup();
	run_ok();
	for (size_t i = 0; i < 6; i++) {
		static const char *const want[] = {
			"recon: run_store is insert-only",
			"recon: run_store_runs is insert-only",
			"recon: run_store_schema is insert-only",
		};
		char *msg = sql_error(stmts[i]);

		ck_assert_msg(strstr(msg, want[i / 2]), "%s: %s", stmts[i], msg);
		free(msg);
	}
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store_schema"), NDEF);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store"), NKEYS);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store_runs"), 1);
}
END_TEST

#define JOB_COLUMNS "tests/data/run/job-columns.xml"

/* A job's declared columns: typed in the table, recorded in T_schema,
 * hashed by name, verified; a job that declares other columns, and a
 * store without T_schema, are refused with nothing written. */
START_TEST(declared_columns)
{
	struct run_result res;
	struct verify_opts vo;
	struct verify_result vr;
	struct rows r;
	struct error err;

	setup();
	error_init(&err);
	{
		/* before the first run: nothing to compare, the run creates it */
		struct job *jc = NULL;
		int exists = -1;

		ck_assert_int_eq(job_load(JOB_COLUMNS, &jc, &err), 0);
		ck_assert_int_eq(store_check(jc, &exists, &err), 0);
		ck_assert_int_eq(exists, 0);
		job_free(jc);
	}
	run_result_init(&res);
	ck_assert_msg(run_file(JOB_COLUMNS, REPORTS, NULL, 0, &res, &err) == 0,
		      "%s", err.msg.buf);
	ck_assert_uint_eq(res.records, NKEYS);
	run_result_release(&res);
	r = query("SELECT format, position, name, type, value FROM "
		  "run_store_schema ORDER BY position");
	ck_assert_uint_eq(r.n, 6);
	ck_assert_str_eq(at(&r, 0, 0), LEDGER_FORMAT);
	ck_assert_str_eq(at(&r, 0, 2), "order");
	ck_assert_str_eq(at(&r, 2, 3), "timestamp");
	ck_assert_str_eq(at(&r, 3, 4), "deal.time");
	rows_free(&r);
	/* the values as stored: a keyword-named column, exact money, a
	 * timestamp and a date of the same time, a count, NULLs where the
	 * order has no deal */
	r = query("SELECT \"order\", amount, closed, closed_day, invoices, "
		  "deal_name FROM run_store WHERE rec_key IN ('O1', 'O4') "
		  "ORDER BY rec_key");
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(at(&r, 0, 0), "O1");
	ck_assert_str_eq(at(&r, 0, 1), "100.00");
	ck_assert_str_eq(at(&r, 0, 2), "2026-01-01 00:00:00");
	ck_assert_str_eq(at(&r, 0, 3), "2026-01-01");
	ck_assert_str_eq(at(&r, 0, 4), "2");
	ck_assert_str_eq(at(&r, 0, 5), "Acme");
	ck_assert_str_eq(at(&r, 1, 4), "0");	/* no ERP: 0 invoices */
	ck_assert_ptr_null(at(&r, 1, 2));	/* no deal: no time */
	rows_free(&r);
	/* verify recomputes every hash from the typed columns */
	memset(&vo, 0, sizeof(vo));
	vo.dsn = "recon_test";
	vo.table = "run_store";
	ck_assert_msg(verify_store(&vo, &vr, &err) == 0, "%s", err.msg.buf);
	ck_assert_uint_eq(vr.versions, NKEYS);
	/* a rerun writes nothing: not a version, not a runs row (it
	 * repeats run 1: run identity, store.h) */
	run_result_init(&res);
	ck_assert_int_eq(run_file(JOB_COLUMNS, REPORTS, NULL, 0, &res, &err), 0);
	ck_assert_uint_eq(res.records, 0);
	ck_assert_int_eq(res.repeated, 1);
	ck_assert_uint_eq(res.seq, 1);
	run_result_release(&res);

	/* the check of `recon check --connect`: the same answer, nothing
	 * read or written beyond the declaration */
	{
		struct job *jc = NULL, *jd = NULL;
		int exists = -1;

		ck_assert_int_eq(job_load(JOB_COLUMNS, &jc, &err), 0);
		ck_assert_int_eq(job_load(JOB, &jd, &err), 0);
		ck_assert_int_eq(store_check(jc, &exists, &err), 0);
		ck_assert_int_eq(exists, 1);
		ck_assert_int_eq(store_check(jd, &exists, &err), -1);
		ck_assert_int_eq(err.code, ERR_STORE);
		ck_assert_ptr_nonnull(strstr(err.msg.buf, "column 1: the job "
					     "declares 'deal_key text"));
		error_clear(&err);
		job_free(jc);
		job_free(jd);
	}
	/* the default columns against this store: refused, nothing written */
	run_result_init(&res);
	ck_assert_int_eq(run_with(REPORTS, NULL, 0, &res, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_msg(strstr(err.msg.buf, "column 1: the job declares "
			     "'deal_key text deal.key', the store has "
			     "'order text order.key'") &&
		      strstr(err.msg.buf, "columns are fixed"), "%s",
		      err.msg.buf);
	run_result_release(&res);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store_runs"), 1);

	/* a store without T_schema (an older recon's): refused */
	ck_assert_int_eq(sql("DROP TABLE run_store_schema"), 0);
	error_clear(&err);
	run_result_init(&res);
	ck_assert_int_eq(run_file(JOB_COLUMNS, REPORTS, NULL, 0, &res, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_msg(strstr(err.msg.buf, "has no run_store_schema"), "%s",
		      err.msg.buf);
	run_result_release(&res);
	ck_assert_int_eq(verify_store(&vo, &vr, &err), -1);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store_runs"), 1);
	error_release(&err);
}
END_TEST

#define JOB_FIELDS "tests/data/run/job-fields.xml"

/* The whole file, NUL-terminated (malloc'd), or NULL. */
static char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/* Site-defined fields as store columns: the deal's and the order's value
 * in the column's type (a timestamp field also as a date), the value
 * common to the ERP documents that set it, NULL where the field is unset,
 * the documents disagree or the part is missing; verify recomputes them and finds a
 * value changed behind the store's back. */
START_TEST(site_field_columns)
{
	char *data;
	struct run_result res;
	struct verify_opts vo;
	struct verify_result vr;
	struct rows r;
	struct error err;

	setup();
	error_init(&err);
	run_result_init(&res);
	ck_assert_msg(run_file(JOB_FIELDS, REPORTS, NULL, 0, &res, &err) == 0,
		      "%s", err.msg.buf);
	ck_assert_uint_eq(res.records, NKEYS);
	run_result_release(&res);
	r = query("SELECT rec_key, region, tax, qty, due, seen_day, seen_at, "
		  "batch, lot FROM run_store WHERE rec_key IN ('O1', 'O4') "
		  "ORDER BY rec_key");
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(at(&r, 0, 7), "B");	/* the one document setting it */
	ck_assert_ptr_null(at(&r, 0, 8));	/* I1 and I2 disagree */
	ck_assert_ptr_null(at(&r, 1, 7));	/* O4: no ERP documents */
	ck_assert_ptr_null(at(&r, 1, 8));
	ck_assert_str_eq(at(&r, 0, 1), "Acme");
	ck_assert_str_eq(at(&r, 0, 2), "1.50");
	ck_assert_str_eq(at(&r, 0, 3), "7");
	ck_assert_str_eq(at(&r, 0, 4), "2026-01-01");
	ck_assert_str_eq(at(&r, 0, 5), "2026-01-02");
	ck_assert_str_eq(at(&r, 0, 6), "2026-01-02 00:00:00");
	ck_assert_ptr_null(at(&r, 1, 1));	/* O4: no deal */
	ck_assert_ptr_null(at(&r, 1, 2));	/* O4: unset */
	ck_assert_ptr_null(at(&r, 1, 3));
	ck_assert_ptr_null(at(&r, 1, 4));
	ck_assert_str_eq(at(&r, 1, 6), "2026-01-02 00:00:00");
	rows_free(&r);
	r = query("SELECT lot FROM run_store WHERE rec_key = 'O3'");
	ck_assert_str_eq(at(&r, 0, 0), "z");
	rows_free(&r);
	/* a boolean field: true/false in a text column, 1/0 in an integer
	 * one, NULL where unset */
	r = query("SELECT rec_key, rush, rush_n FROM run_store WHERE rec_key "
		  "IN ('O1', 'O3', 'O4') ORDER BY rec_key");
	ck_assert_uint_eq(r.n, 3);
	ck_assert_str_eq(at(&r, 0, 1), "true");
	ck_assert_str_eq(at(&r, 0, 2), "1");
	ck_assert_str_eq(at(&r, 1, 1), "false");
	ck_assert_str_eq(at(&r, 1, 2), "0");
	ck_assert_ptr_null(at(&r, 2, 1));
	ck_assert_ptr_null(at(&r, 2, 2));
	rows_free(&r);
	/* the fields the reports show (not tax, due, batch: report="false")
	 * in the exception CSV, in declaration order, then the 5 lifecycle
	 * columns (the store's first run: new, today, 0 days, no note) */
	data = slurp_file(REPORTS "/unit-run-20261126T000000Z.csv");
	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(strstr(data, "\"message\",\"deal.fields.region\","
				     "\"order.fields.qty\",\"order.fields.seen_at\","
				     "\"erp.fields.lot\",\"order.fields.rush\","
				     "\"state\",\"first_as_of\",\"age_days\","
				     "\"note_state\",\"note_text\"\r\n"));
	ck_assert_ptr_nonnull(strstr(data, "\"deal 70.00, order 75.00\",\"y\",7,"
				     "\"2026-01-02 00:00:00\",\"z\",\"false\",\"new\","
				     "\"2026-11-26T00:00:00Z\",0,\"\",\"\"\r\n"));
	/* two documents: each one's value, as erp_keys lists them */
	ck_assert_ptr_nonnull(strstr(data, "\"I1 | I2\",\"\",\"EUR\",100.00,"
				     "100.00,100.00,0.00,\"\",\"Acme\",\"lots_agree\","
				     "\"fields.lua:"));
	ck_assert_ptr_nonnull(strstr(data, "LOT_MISMATCH: documents disagree on "
				     "lot\",\"Acme\",7,\"2026-01-02 00:00:00\","
				     "\"x | y\",\"true\",\"new\",\"2026-11-26T00:00:00Z\",0,"
				     "\"\",\"\"\r\n"));
	ck_assert_ptr_nonnull(strstr(data, "\"an order links to no deal\","
				     "\"\",\"\",\"2026-01-02 00:00:00\",\"\","
				     "\"\",\"new\",\"2026-11-26T00:00:00Z\",0,\"\","
				     "\"\"\r\n"));
	free(data);
	r = query("SELECT value FROM run_store_schema ORDER BY position");
	ck_assert_str_eq(at(&r, 0, 0), "deal.fields.region");
	rows_free(&r);
	memset(&vo, 0, sizeof(vo));
	vo.dsn = "recon_test";
	vo.table = "run_store";
	ck_assert_msg(verify_store(&vo, &vr, &err) == 0, "%s", err.msg.buf);
	ck_assert_uint_eq(vr.versions, NKEYS);

	/* a site value changed behind the store's back */
	ck_assert_int_eq(sql("DROP TRIGGER run_store_no_update"), 0);
	ck_assert_int_eq(sql("UPDATE run_store SET qty = 8 "
			     "WHERE rec_key = 'O1'"), 0);
	ck_assert_int_eq(verify_store(&vo, &vr, &err), -1);
	ck_assert_int_eq(err.code, ERR_VERIFY);
	ck_assert_uint_ge(vr.findings, 1);
	error_release(&err);
	/* and a boolean one */
	ck_assert_int_eq(sql("UPDATE run_store SET qty = 7, rush_n = 0 "
			     "WHERE rec_key = 'O1'"), 0);
	ck_assert_int_eq(verify_store(&vo, &vr, &err), -1);
	ck_assert_int_eq(err.code, ERR_VERIFY);
	ck_assert_uint_ge(vr.findings, 1);
	error_release(&err);
}
END_TEST

/* A store table that is someone else's table (here the orders source's
 * run_orders): the run and the check refuse it before writing anything,
 * saying it is not a store; the table is left as it was. */
START_TEST(store_table_is_a_source_table)
{
	struct job *job = NULL;
	struct store *st = NULL;
	struct error err;
	int exists = -1;
	const char *want = "store table 'run_orders' in DSN 'recon_test' "
			   "exists but is not a recon store (it has no "
			   "run_orders_schema); choose another <store "
			   "table=...>";

	setup();
	error_init(&err);
	ck_assert_int_eq(job_load(JOB, &job, &err), 0);
	mem_free(job->store_table);
	job->store_table = mem_strdup("run_orders");
	ck_assert_ptr_nonnull(job->store_table);
	ck_assert_int_eq(store_open(job, NULL, NULL, &st, &err), -1);
	ck_assert_ptr_null(st);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_str_eq(err.msg.buf, want);
	error_clear(&err);
	ck_assert_int_eq(store_check(job, &exists, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_str_eq(err.msg.buf, want);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM sqlite_master WHERE name "
			       "LIKE 'run_orders_%'"), 0);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_orders"), 3);
	/* a table named like a runs table beside it does not make it one */
	ck_assert_int_eq(sql("CREATE TABLE run_orders_runs (run_id TEXT)"), 0);
	error_clear(&err);
	ck_assert_int_eq(store_open(job, NULL, NULL, &st, &err), -1);
	ck_assert_str_eq(err.msg.buf, want);
	ck_assert_int_eq(sql("DROP TABLE run_orders_runs"), 0);
	job_free(job);
	error_release(&err);
}
END_TEST

START_TEST(guard_refuses_a_shrunk_source)
{
	struct run_result res;
	struct error err;
	const char *accept[] = { "orders" };
	char *before;

	setup();
	run_ok();
	ck_assert_int_eq(sql("DELETE FROM run_orders WHERE id IN ('O3', 'O4')"), 0);
	before = snapshot();
	error_init(&err);
	run_result_init(&res);
	ck_assert_int_eq(run_with(FAULT_REPORTS, NULL, 0, &res, &err), -1);
	ck_assert_int_eq(err.code, ERR_GUARD);
	ck_assert_ptr_nonnull(strstr(err.ctx.buf, "job 'unit-run'"));
	ck_assert_ptr_nonnull(strstr(err.ctx.buf, "source 'orders'"));
	ck_assert_msg(strstr(err.msg.buf, "read 1 rows") &&
		      strstr(err.msg.buf, "the 3 rows") &&
		      strstr(err.msg.buf, "--accept-shrink orders"), "%s",
		      err.msg.buf);
	{
		char *after = snapshot();

		ck_assert_str_eq(before, after);
		free(after);
	}
	ck_assert_int_eq(dir_entries(FAULT_REPORTS), 0);
	run_result_release(&res);
	error_release(&err);
	/* an unknown source name is a usage error */
	error_init(&err);
	run_result_init(&res);
	{
		const char *bad[] = { "nope" };

		ck_assert_int_eq(run_with(FAULT_REPORTS, bad, 1, &res, &err), -1);
		ck_assert_int_eq(err.code, ERR_USAGE);
	}
	run_result_release(&res);
	error_release(&err);
	/* accepted: published, O3 and O4 (now without order) change */
	error_init(&err);
	run_result_init(&res);
	ck_assert_int_eq(run_with(REPORTS, accept, 1, &res, &err), 0);
	ck_assert_uint_gt(res.records, 0);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store_runs"), 2);
	run_result_release(&res);
	error_release(&err);
	free(before);
}
END_TEST

/* A change to publish in the fault loops: one changed key, one removed. */
static void change_data(void)
{
	ck_assert_int_eq(sql("UPDATE run_orders SET amount = '101.00' "
			     "WHERE id = 'O1'"), 0);
	ck_assert_int_eq(sql("DELETE FROM run_docs WHERE id = 'I9'"), 0);
}

START_TEST(odbc_fault_loop_versioned)
{
	char *before;
	/* every call; a sample under valgrind (as odbc_fault_loop) */
	long n, step = getenv("RECON_UNDER_VALGRIND") ? 13 : 1;
	int ok = 0;

	setup();
	run_ok();
	change_data();
	before = snapshot();
	for (n = 0; !ok && n < 5000; n += step) {
		struct run_result res;
		struct error err;
		int rc;

		error_init(&err);
		run_result_init(&res);
		odbc_fault_after(n, "08S01", 4242);
		rc = run_with(FAULT_REPORTS, NULL, 0, &res, &err);
		odbc_api_reset();
		if (rc == 0) {
			ok = 1;
			ck_assert_uint_eq(res.records, 2);
		} else {
			char *after = snapshot();

			ck_assert_msg(strcmp(err.sqlstate, "08S01") == 0,
				      "n=%ld: %s: %s", n, err.ctx.buf, err.msg.buf);
			ck_assert_msg(strcmp(before, after) == 0, "n=%ld", n);
			ck_assert_int_eq(dir_entries(FAULT_REPORTS), 0);
			free(after);
		}
		ck_assert_int_eq(dir_entries(SPILL), 0);
		run_result_release(&res);
		error_release(&err);
	}
	ck_assert_msg(ok, "never succeeded");
	ck_assert_int_gt(n, 20);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store"), NKEYS + 2);
	free(before);
}
END_TEST

START_TEST(alloc_fault_loop_versioned)
{
	long step = getenv("RECON_UNDER_VALGRIND") ? 211 : 7;
	char *before;
	int ok = 0;

	setup();
	run_ok();
	change_data();
	before = snapshot();
	for (long n = 0; !ok && n < 200000; n += step) {
		struct run_result res;
		struct error err;
		int rc;

		error_init(&err);
		run_result_init(&res);
		mem_fault_after(n);
		rc = run_with(FAULT_REPORTS, NULL, 0, &res, &err);
		mem_fault_off();
		if (rc == 0) {
			ok = 1;
			ck_assert_uint_eq(res.records, 2);
		} else {
			char *after = snapshot();

			ck_assert_msg(strcmp(before, after) == 0, "n=%ld: %s",
				      n, err.msg.buf);
			ck_assert_msg(dir_entries(FAULT_REPORTS) == 0,
				      "n=%ld: %s", n, err.msg.buf);
			free(after);
		}
		ck_assert_int_eq(dir_entries(SPILL), 0);
		run_result_release(&res);
		error_release(&err);
	}
	ck_assert(ok);
	free(before);
}
END_TEST

/*
 * Two runs of one job at once: this "run" reads the store's state
 * (store_open), another run publishes, then this one commits. Its seq
 * (and, when both changed a key, its version) collides on a unique
 * index (SQLSTATE class 23): the loser says what happened in words,
 * publishes nothing, and the other run's row stays the last.
 */
static void race(int change)
{
	struct job *job = NULL;
	struct store *s = NULL;
	struct store_run sr;
	struct error err;
	struct sbuf msg = SBUF_INIT(1 << 16);
	int rc = 0;

	setup();
	run_ok();
	error_init(&err);
	ck_assert_int_eq(job_load(JOB, &job, &err), 0);
	ck_assert_msg(store_open(job, NULL, NULL, &s, &err) == 0, "%s", err.msg.buf);
	if (change) {
		static const char *const cols[NDEF] = { NULL };
		struct store_rec rec;

		/* this run changes O1 as well: version 2 of it twice */
		memset(&rec, 0, sizeof(rec));
		rec.kind = "order";
		rec.key = "O1";
		rec.outcome = "MATCHED";
		rec.codes = "MATCHED";
		rec.verdicts = "[]";
		rec.cols = cols;
		rec.sources = "{}";
		ck_assert_int_eq(store_put(s, &rec, "racer", "0", &err), 1);
		change_data();
	}
	/* meanwhile, another run publishes run 2 (of the next day: the
	 * same as-of and data would repeat run 1 and publish nothing) */
	run_as_of = "2026-11-27 00:00:00";
	run_ok();
	run_as_of = NULL;
	memset(&sr, 0, sizeof(sr));
	sr.run_id = "20261126T000000Z-000000000000";
	sr.job = job->name;
	sr.mode = "full";
	sr.as_of = AS_OF;
	sr.window_start = AS_OF;
	sr.started = "2026-11-26T00:00:00Z";
	sr.finished = "2026-11-26T00:00:00Z";
	sr.status = "clean";
	sr.rules_hash = "0";
	sr.totals = "[]";
	rc = store_commit(s, &sr, &err);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	error_context(&err, "job '%s'", job->name);
	error_format(&err, &msg);
	ck_assert_str_eq(msg.buf, "error[STORE]: job 'unit-run': another run of "
			 "this job published run 2 while this run was working; "
			 "nothing was published by this run; run it again to "
			 "reconcile on top of run 2");
	store_free(s);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store_runs"), 2);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM run_store WHERE run_id = 'racer'"), 0);
	sbuf_release(&msg);
	job_free(job);
	error_release(&err);
}

START_TEST(concurrent_run_loses_in_words)
{
	race(0);	/* the seq collides */
	race(1);	/* a version collides first */
}
END_TEST

Suite *suite_store(void);
Suite *suite_store(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, first_run_writes_version_1);
	tcase_add_test(tc, row_fingerprints);
	tcase_add_test(tc, rerun_writes_nothing);
	tcase_add_test(tc, changed_amount_writes_one_version);
	tcase_add_test(tc, removed_key_gets_tombstone_and_comes_back);
	tcase_add_test(tc, current_view_shows_tombstones);
	tcase_add_test(tc, update_and_delete_fail_at_the_database);
	tcase_add_test(tc, declared_columns);
	tcase_add_test(tc, site_field_columns);
	tcase_add_test(tc, store_table_is_a_source_table);
	tcase_add_test(tc, guard_refuses_a_shrunk_source);
	tcase_add_test(tc, odbc_fault_loop_versioned);
	tcase_add_test(tc, alloc_fault_loop_versioned);
	suite_add_tcase(s, tc);
	tc = tcase_create("race");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, concurrent_run_loses_in_words);
	suite_add_tcase(s, tc);
	return s;
}
