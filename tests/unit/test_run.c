/*
 * test_run.c - the run driver end to end on SQLite (DSN recon_test): the
 * outcomes of a small planted data set, rerun stability, and the promise
 * that a failed run publishes nothing, checked by failing every ODBC call
 * and every allocation in turn (SQLite faultsim / curl torture style).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/job.h"
#include "engine/mem.h"
#include "engine/run.h"
#include "connectors/connector.h"
#include "connectors/odbc_int.h"
#include "reports/report_int.h"

#define REPORTS "out/test/run-reports"
#define SPILL "out/test/run-tmp"
#define AS_OF "2026-11-26 00:00:00"

static const char *const setup_sql[] = {
	"DROP TABLE IF EXISTS run_deals",
	"DROP TABLE IF EXISTS run_orders",
	"DROP TABLE IF EXISTS run_docs",
	"DROP TABLE IF EXISTS run_store",
	"DROP TABLE IF EXISTS run_store_runs",
	"DROP TABLE IF EXISTS run_store_schema",
	"CREATE TABLE run_deals (id TEXT, amount TEXT, cur TEXT, closed TIMESTAMP, name TEXT)",
	"CREATE TABLE run_orders (id TEXT, deal TEXT, amount TEXT, cur TEXT, created TIMESTAMP)",
	"CREATE TABLE run_docs (id TEXT, ord TEXT, amount TEXT, cur TEXT, kind TEXT, st TEXT, dt TIMESTAMP)",
	"INSERT INTO run_deals VALUES "
	"('D1','100.00','EUR','2026-01-01 00:00:00','Acme'),"
	"('D2','50','EUR','2026-01-01 00:00:00','<script>x</script>'),"
	"('D3','70','EUR','2026-01-01 00:00:00','=HYPERLINK(\"x\")'),"
	"('D5','9','EUR','2026-11-25 20:00:00','recent'),"
	"('D9','1','EUR','2027-01-01 00:00:00','after as-of')",
	"INSERT INTO run_orders VALUES "
	"('O1','d1 ','100.00','EUR','2026-01-02 00:00:00'),"
	"('O3','D3','75','EUR','2026-01-02 00:00:00'),"
	"('O4',NULL,'5','EUR','2026-01-02 00:00:00')",
	"INSERT INTO run_docs VALUES "
	"('I1','O1','60','EUR','INV','P','2026-01-03 00:00:00'),"
	"('I2','O1','40','EUR','INV','P','2026-01-03 00:00:00'),"
	"('I3','O3','75','EUR','INV','P','2026-01-03 00:00:00'),"
	"('I9','O9','1','EUR','INV','P','2026-01-03 00:00:00'),"
	"('BOOM','O1','1','EUR','INV','P','2026-01-03 00:00:00')",
};

static const char *const expected_lines[] = {
	"\"RULE_ERROR\",\"error\",\"erp:BOOM\"",
	"\"DEAL_WITHOUT_ORDER\",\"error\",\"D2\"",
	"\"ORDER_WITHOUT_DEAL\",\"error\",\"O4\"",
	"\"ERP_WITHOUT_ORDER\",\"error\",\"O9\"",
	"\"ORDER_NOT_IN_ERP\",\"error\",\"O4\"",
	"\"AMOUNT_MISMATCH_DEAL_ORDER\",\"error\",\"O3\"",
	"\"RULE_FAILED\",\"warning\",\"O4\"",
};
#define NEXPECTED (sizeof(expected_lines) / sizeof(expected_lines[0]))

static void exec_all(void)
{
	struct conn *c = NULL;
	struct error err;

	error_init(&err);
	ck_assert_msg(conn_open("recon_test", &c, &err) == 0, "%s", err.msg.buf);
	for (size_t i = 0; i < sizeof(setup_sql) / sizeof(setup_sql[0]); i++)
		ck_assert_msg(conn_exec(c, setup_sql[i], NULL, 0, &err) == 0,
			      "%s: %s", setup_sql[i], err.msg.buf);
	conn_close(c);
	error_release(&err);
}

/* Rows in the store table, or 0 if it does not exist yet. */
static long store_rows(const char *table)
{
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	struct error err;
	char sql[128];
	long n = 0;

	error_init(&err);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	ck_assert_int_eq(conn_open("recon_test", &c, &err), 0);
	if (cursor_open(c, sql, NULL, 0, 0, &cur, &err) == 0 &&
	    cursor_next(cur, &row, &err) == 1) {
		if (row->vals[0].type == VAL_INT)
			n = (long)row->vals[0].i;
		else
			n = strtol(row->vals[0].s, NULL, 10);
	}
	cursor_close(cur);
	conn_close(c);
	error_release(&err);
	return n;
}

/* Number of entries in a directory (0 if it does not exist). */
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

static void clear_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		unlink(p);
	}
	closedir(d);
}

static void setup(void)
{
	mkdir("out/test", 0777);
	/* a crashed earlier run may have left spill folders behind */
	ck_assert_int_eq(system("rm -rf " SPILL), 0);
	mkdir(SPILL, 0777);
	clear_dir(REPORTS);
	exec_all();
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_int_eq((long)fread(buf, 1, (size_t)n, f), n);
	fclose(f);
	return buf;
}

static int run_once(const char *jobfile, struct run_result *res,
		    struct error *err)
{
	struct job *job = NULL;
	struct run_opts opts;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.as_of = AS_OF;
	opts.report_dir = REPORTS;
	opts.tmpdir = SPILL;
	rc = job_load(jobfile, &job, err);
	if (rc == 0)
		rc = run_job(job, &opts, res, err);
	job_free(job);
	return rc;
}

START_TEST(planted_outcomes)
{
	struct run_result res;
	struct error err;
	char *csv, *html;

	setup();
	error_init(&err);
	run_result_init(&res);
	ck_assert_msg(run_once("tests/data/run/job.xml", &res, &err) == 0, "%s",
		      err.msg.buf);
	ck_assert_uint_eq(res.exceptions, NEXPECTED);
	ck_assert_uint_eq(res.records, 6);	/* O1 O3 O4 O9 D2 D5 */
	ck_assert_uint_eq(res.rows_read, 4 + 3 + 5);
	ck_assert_int_eq(store_rows("run_store"), 6);
	ck_assert_int_eq(store_rows("run_store_runs"), 1);
	csv = slurp(REPORTS "/unit-run-20261126T000000Z.csv");
	for (size_t i = 0; i < NEXPECTED; i++)
		ck_assert_msg(strstr(csv, expected_lines[i]), "missing %s",
			      expected_lines[i]);
	/* exactly those: header + one line per exception */
	{
		int lines = 0;

		for (const char *p = csv; *p; p++)
			lines += *p == '\n';
		ck_assert_int_eq(lines, (int)NEXPECTED + 1);
	}
	ck_assert_ptr_nonnull(strstr(csv, "\"'=HYPERLINK"));	/* no formula */
	html = slurp(REPORTS "/unit-run-20261126T000000Z.html");
	ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;x&lt;/script&gt;"));
	ck_assert_ptr_null(strstr(html, "<script>x"));
	ck_assert_int_eq(dir_entries(SPILL), 0);	/* spill files gone */
	free(csv);
	free(html);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

START_TEST(rerun_same_result)
{
	struct run_result a, b;
	struct error err;
	char *csv1, *csv2;

	setup();
	error_init(&err);
	run_result_init(&a);
	run_result_init(&b);
	ck_assert_int_eq(run_once("tests/data/run/job.xml", &a, &err), 0);
	csv1 = slurp(REPORTS "/unit-run-20261126T000000Z.csv");
	ck_assert_int_eq(run_once("tests/data/run/job.xml", &b, &err), 0);
	csv2 = slurp(REPORTS "/unit-run-20261126T000000Z.csv");
	ck_assert_str_eq(csv1, csv2);
	ck_assert_str_ne(a.run_id.buf, b.run_id.buf);
	/* same inputs: no new versions, one more run row */
	ck_assert_uint_eq(a.records, 6);
	ck_assert_uint_eq(b.records, 0);
	ck_assert_int_eq(store_rows("run_store"), 6);
	ck_assert_int_eq(store_rows("run_store_runs"), 2);
	ck_assert_int_eq(dir_entries(REPORTS), 3);
	free(csv1);
	free(csv2);
	run_result_release(&a);
	run_result_release(&b);
	error_release(&err);
}
END_TEST

/* The first column of the first row of sql as text (caller frees), or
 * NULL if there is no row. */
static char *query_text(const char *sql)
{
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	struct error err;
	char *r = NULL;

	error_init(&err);
	ck_assert_int_eq(conn_open("recon_test", &c, &err), 0);
	ck_assert_msg(cursor_open(c, sql, NULL, 0, 0, &cur, &err) == 0, "%s: %s",
		      sql, err.msg.buf);
	if (cursor_next(cur, &row, &err) == 1 && row->vals[0].s)
		r = strndup(row->vals[0].s, row->vals[0].len);
	cursor_close(cur);
	conn_close(c);
	error_release(&err);
	return r;
}

/* Run jobfile from the working directory dir (NULL: stay), with absolute
 * report and spill folders; returns the versions the run wrote. */
static uint64_t run_from(const char *root, const char *dir,
			 const char *jobfile)
{
	struct run_result res;
	struct error err;
	struct job *job = NULL;
	struct run_opts opts;
	char reports[8192], spill[8192];
	uint64_t n;

	snprintf(reports, sizeof(reports), "%s/%s", root, REPORTS);
	snprintf(spill, sizeof(spill), "%s/%s", root, SPILL);
	memset(&opts, 0, sizeof(opts));
	opts.as_of = AS_OF;
	opts.report_dir = reports;
	opts.tmpdir = spill;
	error_init(&err);
	run_result_init(&res);
	if (dir)
		ck_assert_int_eq(chdir(dir), 0);
	ck_assert_msg(job_load(jobfile, &job, &err) == 0 &&
		      run_job(job, &opts, &res, &err) == 0, "%s (from %s): %s",
		      jobfile, dir ? dir : ".", err.msg.buf);
	ck_assert_int_eq(chdir(root), 0);
	n = res.records;
	job_free(job);
	run_result_release(&res);
	error_release(&err);
	return n;
}

/* Rule files are identified by their path relative to the job file's
 * folder, so running the same job by a relative path, an absolute path,
 * from another working directory and through a symbolic link gives the
 * same verdicts and rule hashes: the later runs write no new versions. */
START_TEST(rule_identity_independent_of_path)
{
	char root[2048], abs_job[4096], target[4096];
	char *rules, *where;

	setup();
	ck_assert_ptr_nonnull(getcwd(root, sizeof(root)));
	ck_assert_uint_eq(run_from(root, NULL, "tests/data/run/job.xml"), 6);
	snprintf(abs_job, sizeof(abs_job), "%s/tests/data/run/job.xml", root);
	ck_assert_uint_eq(run_from(root, NULL, abs_job), 0);
	ck_assert_uint_eq(run_from(root, "tests/data", "run/job.xml"), 0);
	ck_assert_uint_eq(run_from(root, "tests/data/run", "./job.xml"), 0);
	ck_assert_uint_eq(run_from(root, "/", abs_job + 1), 0);
	snprintf(target, sizeof(target), "%s/tests/data/run", root);
	unlink("out/test/run-link");
	ck_assert_int_eq(symlink(target, "out/test/run-link"), 0);
	ck_assert_uint_eq(run_from(root, NULL, "out/test/run-link/job.xml"), 0);
	ck_assert_uint_eq(run_from(root, NULL,
				   "tests/data/../data/./run/job.xml"), 0);
	unlink("out/test/run-link");

	ck_assert_int_eq(store_rows("run_store"), 6);
	ck_assert_int_eq(store_rows("run_store_runs"), 7);
	rules = query_text("SELECT COUNT(DISTINCT rules) FROM run_store_runs");
	ck_assert_str_eq(rules, "1");
	free(rules);
	rules = query_text("SELECT rules FROM run_store_runs LIMIT 1");
	ck_assert_ptr_nonnull(rules);
	ck_assert_msg(strncmp(rules, "[{\"file\":\"rules.lua\",\"sha256\":\"",
			      31) == 0, "rules: %s", rules);
	free(rules);
	where = query_text("SELECT verdicts FROM run_store WHERE rec_key = 'O4'");
	ck_assert_ptr_nonnull(where);
	ck_assert_msg(strstr(where, "\"where\":\"rules.lua:39\""), "verdicts: %s",
		      where);
	free(where);
}
END_TEST


/* A row id longer than a report line can hold whole is shown cut, with
 * the mark, in its rule error's key (it was an empty "erp:" before). */
START_TEST(long_row_id_is_cut_visibly)
{
	struct run_result res;
	struct error err;
	struct conn *c = NULL;
	char *csv, *want;

	setup();
	error_init(&err);
	ck_assert_int_eq(conn_open("recon_test", &c, &err), 0);
	/* and three good documents, so that rule errors stay under any
	 * rule-error ceiling the test job sets (2 of 9 rows) */
	ck_assert_int_eq(conn_exec(c, "INSERT INTO run_docs VALUES "
				   "(hex(zeroblob(35000)),'O1','1','EUR','INV',"
				   "'P','2026-01-03 00:00:00'),"
				   "('G1','O9','0','EUR','INV','P','2026-01-03 00:00:00'),"
				   "('G2','O9','0','EUR','INV','P','2026-01-03 00:00:00'),"
				   "('G3','O9','0','EUR','INV','P','2026-01-03 00:00:00')",
				   NULL, 0, &err), 0);
	conn_close(c);
	run_result_init(&res);
	ck_assert_msg(run_once("tests/data/run/job.xml", &res, &err) == 0, "%s",
		      err.msg.buf);
	csv = slurp(REPORTS "/unit-run-20261126T000000Z.csv");
	want = calloc(1, 4200);
	strcpy(want, "\"RULE_ERROR\",\"error\",\"erp:");
	memset(want + strlen(want), '0', 4096);
	strcat(want, " [... message cut: 70000 bytes]\"");
	ck_assert_ptr_nonnull(strstr(csv, want));
	free(want);
	free(csv);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

START_TEST(syntax_error_publishes_nothing)
{
	struct run_result res;
	struct error err;

	setup();
	error_init(&err);
	run_result_init(&res);
	ck_assert_int_eq(run_once("tests/data/run/job-syntax.xml", &res, &err), -1);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "syntax.lua:3:"));
	ck_assert_ptr_nonnull(strstr(err.ctx.buf, "job 'unit-run'"));
	ck_assert_int_eq(store_rows("run_store"), 0);
	ck_assert_int_eq(dir_entries(REPORTS), 0);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

START_TEST(empty_source_is_refused)
{
	struct run_result res;
	struct error err;

	setup();
	error_init(&err);
	run_result_init(&res);
	ck_assert_int_eq(run_once("tests/data/run/job-empty.xml", &res, &err), -1);
	ck_assert_int_eq(err.code, ERR_GUARD);
	ck_assert_ptr_nonnull(strstr(err.ctx.buf, "source 'orders'"));
	ck_assert_int_eq(store_rows("run_store"), 0);
	ck_assert_int_eq(dir_entries(REPORTS), 0);
	ck_assert_int_eq(dir_entries(SPILL), 0);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

START_TEST(report_failure_publishes_nothing)
{
	struct run_result res;
	struct error err;
	struct job *job = NULL;
	struct run_opts opts;
	FILE *f;

	setup();
	error_init(&err);
	run_result_init(&res);
	f = fopen("out/test/not-a-dir", "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	memset(&opts, 0, sizeof(opts));
	opts.as_of = AS_OF;
	opts.report_dir = "out/test/not-a-dir";
	opts.tmpdir = SPILL;
	ck_assert_int_eq(job_load("tests/data/run/job.xml", &job, &err), 0);
	ck_assert_int_eq(run_job(job, &opts, &res, &err), -1);
	ck_assert_int_eq(err.code, ERR_REPORT);
	ck_assert_int_eq(store_rows("run_store"), 0);
	ck_assert_int_eq(store_rows("run_store_runs"), 0);
	job_free(job);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

/* An id-column the query does not return is a job error on the first
 * row, naming the columns there are; nothing is published. */
START_TEST(missing_id_column)
{
	struct run_result res;
	struct error err;

	setup();
	error_init(&err);
	run_result_init(&res);
	ck_assert_int_eq(run_once("tests/data/run/job-badid.xml", &res, &err), -1);
	ck_assert_int_eq(err.code, ERR_JOB);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "id-column 'deal_no'"));
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "columns: id, amount"));
	ck_assert_ptr_nonnull(strstr(err.ctx.buf, "source 'crm'"));
	ck_assert_int_eq(store_rows("run_store"), 0);
	ck_assert_int_eq(dir_entries(REPORTS), 0);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

/* A source that cannot be reached: its own error, naming the source and
 * the DSN, and nothing is published. */
START_TEST(source_failure_names_source)
{
	struct run_result res;
	struct error err;

	setup();
	error_init(&err);
	run_result_init(&res);
	ck_assert_int_eq(run_once("tests/data/run/job-baddsn.xml", &res, &err), -1);
	ck_assert_int_eq(err.code, ERR_SOURCE);
	ck_assert_ptr_nonnull(strstr(err.ctx.buf, "source 'orders'"));
	ck_assert_ptr_nonnull(strstr(err.ctx.buf, "recon_no_such_dsn"));
	ck_assert_str_eq(err.sqlstate, "IM002");
	ck_assert_int_eq(store_rows("run_store"), 0);
	ck_assert_int_eq(dir_entries(REPORTS), 0);
	ck_assert_int_eq(dir_entries(SPILL), 0);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

/* Fail each ODBC call of a whole run in turn: every failure is a SOURCE
 * or STORE error carrying the injected SQLSTATE, and leaves no store
 * rows, no report and no spill file behind. */
START_TEST(odbc_fault_loop)
{
	long n;
	int ok = 0;

	setup();
	for (n = 0; !ok && n < 5000; n++) {
		struct run_result res;
		struct error err;
		int rc;

		error_init(&err);
		run_result_init(&res);
		odbc_fault_after(n, "08S01", 4242);
		rc = run_once("tests/data/run/job.xml", &res, &err);
		odbc_api_reset();
		if (rc == 0) {
			ok = 1;
			ck_assert_int_eq(store_rows("run_store"), 6);
		} else {
			ck_assert_msg(err.code == ERR_SOURCE || err.code == ERR_STORE,
				      "n=%ld: code %d: %s", n, err.code, err.msg.buf);
			ck_assert_msg(strcmp(err.sqlstate, "08S01") == 0,
				      "n=%ld: %s: %s", n, err.ctx.buf, err.msg.buf);
			ck_assert_int_eq(err.native, 4242);
			ck_assert_msg(store_rows("run_store") == 0, "n=%ld: %s: %s",
				      n, err.ctx.buf, err.msg.buf);
			ck_assert_int_eq(store_rows("run_store_runs"), 0);
			ck_assert_int_eq(dir_entries(REPORTS), 0);
		}
		ck_assert_int_eq(dir_entries(SPILL), 0);
		run_result_release(&res);
		error_release(&err);
	}
	ck_assert_msg(ok, "never succeeded");
	ck_assert_int_gt(n, 20);
}
END_TEST

/* Fail allocations in turn (every allocation normally; a sample under
 * valgrind, where a run is 30x slower). */
START_TEST(alloc_fault_loop)
{
	long step = getenv("RECON_UNDER_VALGRIND") ? 211 : 7;
	int ok = 0;

	setup();
	for (long n = 0; !ok && n < 200000; n += step) {
		struct run_result res;
		struct error err;
		int rc;

		error_init(&err);
		run_result_init(&res);
		mem_fault_after(n);
		rc = run_once("tests/data/run/job.xml", &res, &err);
		mem_fault_off();
		if (rc == 0) {
			ok = 1;
		} else {
			ck_assert_msg(err.code == ERR_NOMEM || err.code == ERR_RULE ||
				      err.code == ERR_JOB || err.code == ERR_SOURCE ||
				      err.code == ERR_STORE || err.code == ERR_REPORT,
				      "n=%ld: code %d: %s", n, err.code, err.msg.buf);
			ck_assert_int_eq(store_rows("run_store_runs"), 0);
			ck_assert_msg(dir_entries(REPORTS) == 0, "n=%ld: %s: %s",
				      n, err.ctx.buf, err.msg.buf);
		}
		ck_assert_int_eq(dir_entries(SPILL), 0);
		run_result_release(&res);
		error_release(&err);
	}
	ck_assert(ok);
}
END_TEST

/* Temporaries and rollback links of dead processes are removed by the
 * next run; a live process's are left alone. */
START_TEST(stale_report_temporaries_are_removed)
{
	struct run_result res;
	struct error err;
	char dead[256], live[256];
	FILE *f;

	setup();
	mkdir(REPORTS, 0777);
	/* pid 2^22+1 is above Linux's pid_max default: not alive */
	snprintf(dead, sizeof(dead), REPORTS "/.unit-run-20261126T000000Z.csv.tmp.%d",
		 (1 << 22) + 1);
	snprintf(live, sizeof(live), REPORTS "/.unit-run-20261126T000000Z.html.tmp.%d",
		 (int)getppid());
	ck_assert_ptr_nonnull(f = fopen(dead, "w"));
	fclose(f);
	ck_assert_ptr_nonnull(f = fopen(live, "w"));
	fclose(f);
	error_init(&err);
	run_result_init(&res);
	ck_assert_int_eq(run_once("tests/data/run/job.xml", &res, &err), 0);
	ck_assert_int_ne(access(dead, F_OK), 0);
	ck_assert_int_eq(access(live, F_OK), 0);
	unlink(live);
	ck_assert_int_eq(dir_entries(REPORTS), 3);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

static int failing_rename(const char *from, const char *to)
{
	(void)from;
	(void)to;
	errno = EIO;
	return -1;
}

/* A run whose reports cannot be renamed after the commit is published
 * without them (and says so); the rerun writes no versions and puts the
 * reports in place. */
START_TEST(published_without_report_then_rerun)
{
	struct run_result res;
	struct error err;

	setup();
	error_init(&err);
	run_result_init(&res);
	report_io.rename = failing_rename;
	ck_assert_int_eq(run_once("tests/data/run/job.xml", &res, &err), -1);
	report_io = report_io_default;
	ck_assert_int_eq(err.code, ERR_REPORT);
	ck_assert_int_eq(res.published, 1);
	ck_assert_ptr_nonnull(strstr(err.ctx.buf, "was published"));
	ck_assert_int_eq(store_rows("run_store_runs"), 1);
	ck_assert_int_eq(store_rows("run_store"), 6);
	ck_assert_int_eq(dir_entries(REPORTS), 0);	/* no temporaries left */
	run_result_release(&res);
	error_release(&err);
	error_init(&err);
	run_result_init(&res);
	ck_assert_int_eq(run_once("tests/data/run/job.xml", &res, &err), 0);
	ck_assert_uint_eq(res.records, 0);
	ck_assert_int_eq(dir_entries(REPORTS), 3);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

Suite *suite_run(void);
Suite *suite_run(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, planted_outcomes);
	tcase_add_test(tc, rerun_same_result);
	tcase_add_test(tc, rule_identity_independent_of_path);
	tcase_add_test(tc, long_row_id_is_cut_visibly);
	tcase_add_test(tc, syntax_error_publishes_nothing);
	tcase_add_test(tc, empty_source_is_refused);
	tcase_add_test(tc, report_failure_publishes_nothing);
	tcase_add_test(tc, source_failure_names_source);
	tcase_add_test(tc, missing_id_column);
	tcase_add_test(tc, stale_report_temporaries_are_removed);
	tcase_add_test(tc, published_without_report_then_rerun);
	tcase_add_test(tc, odbc_fault_loop);
	tcase_add_test(tc, alloc_fault_loop);
	suite_add_tcase(s, tc);
	return s;
}
