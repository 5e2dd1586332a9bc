/*
 * test_run.c - the run driver end to end on SQLite (DSN recon_test): the
 * outcomes of a small planted data set, rerun stability, and the promise
 * that a failed run publishes nothing, checked by failing every ODBC call
 * and every allocation in turn (SQLite faultsim / curl torture style).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine/buf.h"
#include "engine/job.h"
#include "engine/mem.h"
#include "engine/phase.h"
#include "engine/prefetch.h"
#include "engine/run.h"
#include "engine/stop.h"
#include "engine/xlate.h"
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
	"DROP VIEW IF EXISTS run_store_current",
	"DROP TABLE IF EXISTS run_store",
	"DROP TABLE IF EXISTS run_store_runs",
	"DROP TABLE IF EXISTS run_store_schema",
	"DROP TABLE IF EXISTS run_store_report",
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

static char *formatted(const struct error *err);
static char *expand(const char *want, const char *run);

/* run_opts.jobs of run_once() and guard_run(): 0, the serial path,
 * unless a jobs_* test sets it */
static unsigned test_jobs;

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
	opts.jobs = test_jobs;
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
	/* the deal name in the page's data, JSON-escaped (reports/html.c) */
	ck_assert_ptr_nonnull(strstr(html, "\\u003cscript\\u003ex\\u003c/script\\u003e"));
	ck_assert_ptr_null(strstr(html, "<script>x"));
	ck_assert_int_eq(dir_entries(SPILL), 0);	/* spill files gone */
	free(csv);
	free(html);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

/* --stats (engine/phase.h): every phase in the table, the rows fetched
 * and translated are the rows read, and no figure is negative or more
 * than the run's total. Never a figure of speed. */
START_TEST(phase_table_accounts_the_run)
{
	struct run_result res;
	struct error err;
	struct job *job = NULL;
	struct run_opts opts;
	struct phase_table t;
	struct sbuf text = SBUF_INIT(1 << 16);
	int64_t cpu = 0, wall = 0;

	setup();
	error_init(&err);
	run_result_init(&res);
	memset(&opts, 0, sizeof(opts));
	opts.as_of = AS_OF;
	opts.report_dir = REPORTS;
	opts.tmpdir = SPILL;
	opts.stats = 1;
	ck_assert_int_eq(job_load("tests/data/run/job.xml", &job, &err), 0);
	ck_assert_msg(run_job(job, &opts, &res, &err) == 0, "%s", err.msg.buf);
	ck_assert_uint_eq(res.records, 6);	/* the same run as without */
	phase_get(&t);
	ck_assert_uint_eq(t.rows[PH_FETCH], res.rows_read);
	ck_assert_uint_eq(t.rows[PH_TRANSLATE], res.rows_read);
	ck_assert_uint_gt(t.rows[PH_SPILL], 0);
	ck_assert_uint_gt(t.rows[PH_MATCH], 0);
	ck_assert_uint_gt(t.rows[PH_RULES], 0);
	ck_assert_uint_ge(t.rows[PH_HASH], res.records);
	ck_assert_uint_ge(t.rows[PH_STORE], res.records);
	ck_assert_uint_eq(t.rows[PH_REPORT], res.exceptions);
	for (int i = 0; i < PH__COUNT; i++) {
		ck_assert_int_ge(t.cpu_ns[i], 0);
		ck_assert_int_ge(t.wall_ns[i], 0);
		cpu += t.cpu_ns[i];
		wall += t.wall_ns[i];
	}
	ck_assert_int_gt(t.total_wall_ns, 0);
	ck_assert_int_le(cpu, t.total_cpu_ns);
	ck_assert_int_le(wall, t.total_wall_ns);
	ck_assert_int_eq(phase_format(&t, res.rows_read, &text), 0);
	for (int i = 0; i < PH__COUNT; i++) {
		char want[32];

		snprintf(want, sizeof(want), "\n%s ", phase_name(i));
		ck_assert_msg(strstr(text.buf, want), "no %s in:\n%s",
			      phase_name(i), text.buf);
	}
	ck_assert_ptr_nonnull(strstr(text.buf, "\nother "));
	ck_assert_ptr_nonnull(strstr(text.buf, "\ntotal "));
	job_free(job);
	run_result_release(&res);

	/* without --stats nothing is counted */
	run_result_init(&res);
	ck_assert_int_eq(run_once("tests/data/run/job.xml", &res, &err), 0);
	phase_get(&t);
	for (int i = 0; i < PH__COUNT; i++)
		ck_assert_uint_eq(t.rows[i], 0);
	ck_assert_int_eq(t.total_wall_ns, 0);
	sbuf_release(&text);
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
	/* same as-of, same inputs: it repeats run 1 (run identity):
	 * no new version, no runs row, run 1's id and reports */
	ck_assert_str_eq(a.run_id.buf, b.run_id.buf);
	ck_assert_int_eq(a.repeated, 0);
	ck_assert_int_eq(b.repeated, 1);
	ck_assert_int_eq(b.published, 0);
	ck_assert_uint_eq(b.seq, 1);
	ck_assert_uint_eq(a.records, 6);
	ck_assert_uint_eq(b.records, 0);
	ck_assert_int_eq(store_rows("run_store"), 6);
	ck_assert_int_eq(store_rows("run_store_runs"), 1);
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
 * same verdicts and rule hashes: the later runs repeat the first (write
 * no version, no runs row). */
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
	/* every later run repeated the first exactly (its rules hash and
	 * its rules' names and hashes included: store_repeats_last) */
	ck_assert_int_eq(store_rows("run_store_runs"), 1);
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

/* The fetch thread cannot be started: for want of memory (EAGAIN,
 * ENOMEM) that is NOMEM (exit 10), otherwise INTERNAL; nothing is
 * published either way. */
START_TEST(fetch_thread_fails)
{
	static const struct {
		int errnum;
		enum err_code code;
	} cases[] = { { EAGAIN, ERR_NOMEM }, { ENOMEM, ERR_NOMEM },
		      { EPERM, ERR_INTERNAL } };

	setup();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_result res;
		struct error err;
		char want[256];

		error_init(&err);
		run_result_init(&res);
		prefetch_thread_fault = cases[i].errnum;
		ck_assert_int_eq(run_once("tests/data/run/job.xml", &res, &err),
				 -1);
		prefetch_thread_fault = 0;
		ck_assert_int_eq(err.code, cases[i].code);
		snprintf(want, sizeof(want), "%scannot start the fetch thread "
			 "(%s)", cases[i].code == ERR_NOMEM ?
			 "out of memory: " : "", strerror(cases[i].errnum));
		ck_assert_str_eq(err.msg.buf, want);
		ck_assert_ptr_nonnull(strstr(err.ctx.buf, "source '"));
		if (cases[i].code == ERR_NOMEM)
			ck_assert_int_eq(error_exit_code(err.code), 10);
		ck_assert_int_eq(store_rows("run_store"), 0);
		ck_assert_int_eq(dir_entries(REPORTS), 0);
		ck_assert_int_eq(dir_entries(SPILL), 0);
		run_result_release(&res);
		error_release(&err);
	}
}
END_TEST

/* Fail each ODBC call of a whole run in turn: every failure is a SOURCE
 * or STORE error carrying the injected SQLSTATE, and leaves no store
 * rows, no report and no spill file behind. */
START_TEST(odbc_fault_loop)
{
	/* every call; a sample under valgrind, where a run is 30x slower
	 * (the ASan+UBSan run of `make check` takes every call) */
	long n, step = getenv("RECON_UNDER_VALGRIND") ? 13 : 1;
	int ok = 0;

	setup();
	for (n = 0; !ok && n < 5000; n += step) {
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
static void alloc_faults(unsigned jobs, long step)
{
	int ok = 0;

	setup();
	test_jobs = jobs;
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
			/* memory failed, so the run says so: not SOURCE,
			 * STORE or INTERNAL (measured: every n of the loop,
			 * step 1, gives NOMEM) */
			ck_assert_msg(err.code == ERR_NOMEM, "n=%ld: code %d: %s: %s",
				      n, err.code, err.ctx.buf, err.msg.buf);
			ck_assert_int_eq(store_rows("run_store_runs"), 0);
			ck_assert_msg(dir_entries(REPORTS) == 0, "n=%ld: %s: %s",
				      n, err.ctx.buf, err.msg.buf);
		}
		ck_assert_int_eq(dir_entries(SPILL), 0);
		run_result_release(&res);
		error_release(&err);
	}
	test_jobs = 0;
	ck_assert(ok);
}

START_TEST(alloc_fault_loop)
{
	alloc_faults(0, getenv("RECON_UNDER_VALGRIND") ? 211 : 7);
}
END_TEST

/* The same through two translators (xlate.h): a failure in a
 * translator's state, its batch or its thread is NOMEM too, and leaves
 * nothing behind. */
START_TEST(jobs_alloc_fault_loop)
{
	alloc_faults(2, getenv("RECON_UNDER_VALGRIND") ? 421 : 11);
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
	ck_assert_int_eq(error_exit_code(err.code), 7);
	ck_assert_int_eq(res.published, 1);
	{
		char *got = formatted(&err);
		char *want = expand("error[REPORT]: job 'unit-run': the run was "
				    "published (run 1); its report could not be "
				    "put in place: cannot rename into place "
				    "'out/test/run-reports/unit-run-20261126T000000Z.csv': "
				    "Input/output error; rerun the job for the "
				    "same as-of to recreate it", NULL);

		ck_assert_str_eq(got, want);
		free(got);
		free(want);
	}
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


/* ---- the completeness guard: rows kept and rule errors ---------------- */

#define GUARD_JOB "out/test/run-guard.xml"

/*
 * Write GUARD_JOB: the run job (same name, store and data) with the
 * orders source's translate function, query and extra attributes
 * replaced; rules.lua and guard.lua by absolute path.
 */
/* extra <limits> attributes of guard_job's job ("" by default), and
 * its erp source's query (NULL: the default) */
static const char *guard_limits = "";
static const char *guard_erp_query;

static void guard_job(const char *translate, const char *query,
		      const char *attrs)
{
	char cwd[4096];
	FILE *f;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	mkdir("out/test", 0777);
	f = fopen(GUARD_JOB, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<job xmlns=\"urn:recon:job:1\" name=\"unit-run\" window=\"400d\">\n"
		"  <rules><file>%s/tests/data/run/rules.lua</file>"
		"<file>%s/tests/data/run/guard.lua</file></rules>\n"
		"  <sources>\n"
		"    <source name=\"crm\" role=\"deal\" dsn=\"recon_test\" translate=\"deal\" id-column=\"id\">\n"
		"      <query>SELECT id, amount, cur, closed, name FROM run_deals WHERE closed &lt;= ? ORDER BY id</query>\n"
		"      <param name=\"as_of\"/>\n"
		"    </source>\n"
		"    <source name=\"orders\" role=\"order\" dsn=\"recon_test\" translate=\"%s\" id-column=\"id\" %s>\n"
		"      <query>%s</query>\n"
		"    </source>\n"
		"    <source name=\"erp\" role=\"erp\" dsn=\"recon_test\" translate=\"doc\" id-column=\"id\" max-rule-error-ratio=\"0.25\">\n"
		"      <query>%s</query>\n"
		"    </source>\n"
		"  </sources>\n"
		"  <matching><grace deal-without-order=\"24h\" order-not-in-erp=\"3d\"/></matching>\n"
		"  <store dsn=\"recon_test\" table=\"run_store\"/>\n"
		"  <reports dir=\"%s/out/test/run-reports\" formats=\"csv html\"/>\n"
		"  <limits partitions=\"3\" %s/>\n"
		"</job>\n",
		cwd, cwd, translate, attrs ? attrs : "", query,
		guard_erp_query ? guard_erp_query
				: "SELECT id, ord, amount, cur, kind, st, dt "
				  "FROM run_docs ORDER BY id",
		cwd, guard_limits);
	ck_assert_int_eq(fclose(f), 0);
}

#define ORDERS_QUERY "SELECT id, deal, amount, cur, created FROM run_orders ORDER BY id"

static void sql(const char *text)
{
	struct conn *c = NULL;
	struct error err;

	error_init(&err);
	ck_assert_msg(conn_open("recon_test", &c, &err) == 0, "%s", err.msg.buf);
	ck_assert_msg(conn_exec(c, text, NULL, 0, &err) == 0, "%s: %s", text,
		      err.msg.buf);
	conn_close(c);
	error_release(&err);
}

/* Run GUARD_JOB (accepting the shrink of `accept`, if not NULL). */
static struct run_result guard_res;	/* the last guard_run's */

static int guard_run(const char *accept, struct error *err)
{
	struct job *job = NULL;
	struct run_opts opts;
	struct run_result res;
	const char *acc[1] = { accept };
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.as_of = AS_OF;
	opts.report_dir = REPORTS;
	opts.tmpdir = SPILL;
	opts.jobs = test_jobs;
	if (accept) {
		opts.accept_shrink = acc;
		opts.naccept_shrink = 1;
	}
	run_result_init(&res);
	rc = job_load(GUARD_JOB, &job, err);
	if (rc == 0)
		rc = run_job(job, &opts, &res, err);
	job_free(job);
	guard_res = res;
	memset(&guard_res.run_id, 0, sizeof(guard_res.run_id));
	memset(&guard_res.report_paths, 0, sizeof(guard_res.report_paths));
	run_result_release(&res);
	return rc;
}

/* "error[GUARD]: job ..., source ...: message" of err. */
static char *formatted(const struct error *err)
{
	struct sbuf sb = SBUF_INIT(1 << 16);
	char *s;

	error_format(err, &sb);
	s = strdup(sb.buf);
	sbuf_release(&sb);
	return s;
}

/* want with @CWD@ replaced by the current directory and @RUN@ by run. */
static char *expand(const char *want, const char *run)
{
	struct sbuf sb = SBUF_INIT(1 << 16);
	char cwd[4096];
	char *s;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	for (const char *p = want; *p; p++) {
		if (strncmp(p, "@CWD@", 5) == 0) {
			sbuf_addstr(&sb, cwd);
			p += 4;
		} else if (run && strncmp(p, "@RUN@", 5) == 0) {
			sbuf_addstr(&sb, run);
			p += 4;
		} else {
			sbuf_addch(&sb, *p);
		}
	}
	s = strdup(sb.buf);
	sbuf_release(&sb);
	return s;
}

/* The run id of the store's run seq (static buffer). */
static const char *run_id_of(int seq)
{
	static char id[256];
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	struct error err;
	char q[128];

	error_init(&err);
	snprintf(q, sizeof(q), "SELECT run_id FROM run_store_runs WHERE seq = %d",
		 seq);
	ck_assert_int_eq(conn_open("recon_test", &c, &err), 0);
	ck_assert_int_eq(cursor_open(c, q, NULL, 0, 0, &cur, &err), 0);
	ck_assert_int_eq(cursor_next(cur, &row, &err), 1);
	snprintf(id, sizeof(id), "%.*s", (int)row->vals[0].len, row->vals[0].s);
	cursor_close(cur);
	conn_close(c);
	error_release(&err);
	return id;
}

/* A refused run: exit 8 (GUARD), the exact message, nothing published. */
static void assert_refused(const struct error *err, const char *want_,
			   long runs_before)
{
	char *got = formatted(err);
	char *want = expand(want_, runs_before ? run_id_of(1) : NULL);

	ck_assert_int_eq(err->code, ERR_GUARD);
	ck_assert_int_eq(error_exit_code(err->code), 8);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(store_rows("run_store_runs"), runs_before);
	ck_assert_int_eq(dir_entries(REPORTS), runs_before ? 3 : 0);
	ck_assert_int_eq(dir_entries(SPILL), 0);
	free(got);
	free(want);
}

/* A column dropped from the query: the rule reads it on every row, every
 * row fails translation. */
START_TEST(guard_column_dropped)
{
	struct error err;

	setup();
	error_init(&err);
	guard_job("ord", "SELECT id, deal, cur, created FROM run_orders ORDER BY id",
		  NULL);
	ck_assert_int_eq(guard_run(NULL, &err), -1);
	assert_refused(&err, "error[GUARD]: job 'unit-run', source 'orders': "
		       "3 of 3 rows (100%) failed translation, above the job's "
		       "ceiling of 1% (max-rule-error-ratio); first: "
		       "row 'orders:O1': "
		       "@CWD@/tests/data/run/rules.lua:14: no column 'amount' "
		       "in source 'orders' (columns: id, deal, cur, created); "
		       "nothing was published. Fix the rule or the "
		       "query (a column dropped or renamed, a NULL the rule "
		       "does not expect), or raise max-rule-error-ratio on the "
		       "source if such failures are normal", 0);
	error_release(&err);
}
END_TEST

/* The translate function skips every row (`return false`): nothing kept
 * is refused like nothing read, even without an earlier run. */
START_TEST(guard_all_skipped)
{
	struct error err;

	setup();
	error_init(&err);
	guard_job("ord_skip_all", ORDERS_QUERY, NULL);
	ck_assert_int_eq(guard_run(NULL, &err), -1);
	assert_refused(&err, "error[GUARD]: job 'unit-run', source 'orders': "
		       "the query returned 3 rows but translation kept none "
		       "(3 skipped by the rules, 0 failed); nothing was "
		       "published: the reconciliation would call every record "
		       "of the source missing. Check the translate function and "
		       "the query (allow-empty=\"true\" on the source if this is "
		       "normal)", 0);
	error_release(&err);
}
END_TEST

/* A NULL in a field the rule needs on every row. */
START_TEST(guard_null_required_field)
{
	struct error err;

	setup();
	error_init(&err);
	sql("UPDATE run_orders SET amount = NULL");
	guard_job("ord_strict", ORDERS_QUERY, NULL);
	ck_assert_int_eq(guard_run(NULL, &err), -1);
	assert_refused(&err, "error[GUARD]: job 'unit-run', source 'orders': "
		       "3 of 3 rows (100%) failed translation, above the job's "
		       "ceiling of 1% (max-rule-error-ratio); first: "
		       "row 'orders:O1': "
		       "@CWD@/tests/data/run/guard.lua:24: money() wants a decimal "
		       "string, an integer or money, not a nil; nothing was "
		       "published. Fix the rule or the "
		       "query (a column dropped or renamed, a NULL the rule "
		       "does not expect), or raise max-rule-error-ratio on the "
		       "source if such failures are normal", 0);
	error_release(&err);
}
END_TEST

/* The rule-error share at the default ceiling (1%) passes, just over it
 * is refused, and a source's own ceiling above that share passes. */
START_TEST(guard_rule_error_ceiling)
{
	struct error err;

	setup();
	error_init(&err);
	/* 3 + 96 good orders and X1: 1 of 100 rows fails, exactly 1% */
	sql("INSERT INTO run_orders WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 96) SELECT 'P' || i, NULL, '1', "
	    "'EUR', '2026-01-02 00:00:00' FROM n");
	sql("INSERT INTO run_orders VALUES ('X1', NULL, '1', 'EUR', "
	    "'2026-01-02 00:00:00')");
	guard_job("ord_boom_x", ORDERS_QUERY, NULL);
	ck_assert_msg(guard_run(NULL, &err) == 0, "%s", err.msg.buf);
	ck_assert_int_eq(store_rows("run_store_runs"), 1);
	error_release(&err);
	/* 2 of 101: 1.98%, over */
	error_init(&err);
	sql("INSERT INTO run_orders VALUES ('X2', NULL, '1', 'EUR', "
	    "'2026-01-02 00:00:00')");
	ck_assert_int_eq(guard_run(NULL, &err), -1);
	assert_refused(&err, "error[GUARD]: job 'unit-run', source 'orders': "
		       "2 of 101 rows (1.98%) failed translation, above the job's "
		       "ceiling of 1% (max-rule-error-ratio); first: "
		       "row 'orders:X1': "
		       "@CWD@/tests/data/run/guard.lua:17: planted failure on X1; "
		       "nothing was published. Fix the rule or the "
		       "query (a column dropped or renamed, a NULL the rule "
		       "does not expect), or raise max-rule-error-ratio on the "
		       "source if such failures are normal", 1);
	error_release(&err);
	/* the source's own ceiling of 2% lets 1.98% through */
	error_init(&err);
	guard_job("ord_boom_x", ORDERS_QUERY, "max-rule-error-ratio=\"0.02\"");
	ck_assert_msg(guard_run(NULL, &err) == 0, "%s", err.msg.buf);
	ck_assert_int_eq(store_rows("run_store_runs"), 2);
	error_release(&err);
}
END_TEST

/* The order rules' ceiling (<limits max-rule-error-ratio>, default 1%):
 * a rule raising on 1 of 100 orders passes (exactly at it), on 2 of 101
 * the run is refused after matching, before anything is published. */
START_TEST(guard_order_rule_ceiling)
{
	struct error err;

	setup();
	error_init(&err);
	/* O1..O3, P1..P96 and Y1: the rule raises on 1 of 100 */
	sql("INSERT INTO run_orders WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 96) SELECT 'P' || i, NULL, '1', "
	    "'EUR', '2026-01-02 00:00:00' FROM n");
	sql("INSERT INTO run_orders VALUES ('Y1', NULL, '1', 'EUR', "
	    "'2026-01-02 00:00:00')");
	guard_job("ord", ORDERS_QUERY, NULL);
	ck_assert_msg(guard_run(NULL, &err) == 0, "%s", err.msg.buf);
	ck_assert_int_eq(store_rows("run_store_runs"), 1);
	error_release(&err);
	error_init(&err);
	sql("INSERT INTO run_orders VALUES ('Y2', NULL, '1', 'EUR', "
	    "'2026-01-02 00:00:00')");
	ck_assert_int_eq(guard_run(NULL, &err), -1);
	assert_refused(&err, "error[GUARD]: job 'unit-run': the order rules "
		       "raised an error on 2 of 101 orders (1.98%), above the "
		       "job's ceiling of 1% (max-rule-error-ratio in <limits>); "
		       "first: order 'Y1': @CWD@/tests/data/run/guard.lua:30: "
		       "planted order failure on Y1; nothing was published. "
		       "Fix the rule (or the translation that should set what "
		       "it reads), or raise <limits max-rule-error-ratio> if "
		       "such failures are normal", 1);
	error_release(&err);
}
END_TEST

/* Rows kept against the last full run's: the rules now skip 2 of the 3
 * orders the query still returns. Below min-rows-ratio (0.5) it is
 * refused; --accept-shrink orders publishes it. */
START_TEST(guard_kept_ratio)
{
	struct error err;

	setup();
	error_init(&err);
	guard_job("ord", ORDERS_QUERY, NULL);
	ck_assert_msg(guard_run(NULL, &err) == 0, "%s", err.msg.buf);
	error_release(&err);
	error_init(&err);
	guard_job("ord_keep_o3", ORDERS_QUERY, NULL);
	ck_assert_int_eq(guard_run(NULL, &err), -1);
	assert_refused(&err, "error[GUARD]: job 'unit-run', source 'orders': "
		       "kept 1 rows, fewer than min-rows-ratio 0.50 x the 3 rows "
		       "it kept in the last full run @RUN@; refusing to publish "
		       "a reconciliation that would call the difference missing; "
		       "nothing was published. If the source really shrank, "
		       "rerun with --accept-shrink orders (or lower "
		       "min-rows-ratio on the source)", 1);
	error_release(&err);
	error_init(&err);
	ck_assert_msg(guard_run("orders", &err) == 0, "%s", err.msg.buf);
	ck_assert_int_eq(store_rows("run_store_runs"), 2);
	error_release(&err);
}
END_TEST

/* The last run's totals cannot be read (an entry without its kept
 * count): the guard fails closed, ERR_STORE, nothing published. */
START_TEST(guard_unreadable_totals)
{
	struct error err;
	char *got, *want;

	setup();
	error_init(&err);
	guard_job("ord", ORDERS_QUERY, NULL);
	ck_assert_msg(guard_run(NULL, &err) == 0, "%s", err.msg.buf);
	error_release(&err);
	sql("DROP TRIGGER run_store_runs_no_update");
	sql("UPDATE run_store_runs SET totals = "
	    "'[{\"source\":\"crm\",\"read\":4,\"kept\":4,\"skipped\":0,\"failed\":0},"
	    "{\"source\":\"orders\",\"read\":3,\"skipped\":0,\"failed\":0}]'");
	error_init(&err);
	ck_assert_int_eq(guard_run(NULL, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	got = formatted(&err);
	want = expand("error[STORE]: job 'unit-run', source 'orders': the "
		      "control totals of the last full run @RUN@ "
		      "(T_runs.totals) cannot be read: the entry of source "
		      "'orders' has no \"kept\" count; the completeness guard "
		      "cannot compare this run with it, so nothing was "
		      "published (run recon verify)", run_id_of(1));
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(store_rows("run_store_runs"), 1);
	free(got);
	free(want);
	error_release(&err);
}
END_TEST

/* A source the last full run has no totals for (renamed, or the entry
 * lost) fails closed: refused until the operator accepts it as new. */
START_TEST(guard_source_not_in_totals)
{
	struct error err;
	char *got, *want;

	setup();
	error_init(&err);
	guard_job("ord", ORDERS_QUERY, NULL);
	ck_assert_msg(guard_run(NULL, &err) == 0, "%s", err.msg.buf);
	error_release(&err);
	sql("DROP TRIGGER run_store_runs_no_update");
	sql("UPDATE run_store_runs SET totals = replace(totals, "
	    "'\"source\":\"orders\"', '\"source\":\"orders_old\"')");
	error_init(&err);
	ck_assert_int_eq(guard_run(NULL, &err), -1);
	ck_assert_int_eq(err.code, ERR_GUARD);
	got = formatted(&err);
	want = expand("error[GUARD]: job 'unit-run', source 'orders': the last "
		      "full run @RUN@ has no control totals for this source, "
		      "so the completeness guard cannot compare this run's 3 "
		      "rows with it; nothing was published. If the source is "
		      "new (or renamed) since that run, rerun with "
		      "--accept-shrink orders", run_id_of(1));
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(store_rows("run_store_runs"), 1);
	free(got);
	free(want);
	error_release(&err);
	error_init(&err);
	ck_assert_msg(guard_run("orders", &err) == 0, "%s", err.msg.buf);
	ck_assert_int_eq(store_rows("run_store_runs"), 2);
	error_release(&err);
}
END_TEST

/* The store's published values, provenance and the run's totals as one
 * text (run ids, and so content hashes, differ from run to run). */
static char *published(void)
{
	static const char *const queries[] = {
		"SELECT rec_kind, rec_key, version, outcome, codes, verdicts, "
		"sources, value_hash FROM run_store "
		"ORDER BY rec_kind, rec_key, version",
		"SELECT totals, outcomes, exceptions, records FROM run_store_runs",
	};
	struct sbuf sb = SBUF_INIT(1 << 24);
	struct conn *c = NULL;
	struct error err;
	char *out;

	error_init(&err);
	ck_assert_int_eq(conn_open("recon_test", &c, &err), 0);
	for (size_t q = 0; q < 2; q++) {
		struct cursor *cur = NULL;
		const struct row *row;

		ck_assert_msg(cursor_open(c, queries[q], NULL, 0, 0, &cur, &err) == 0,
			      "%s", err.msg.buf);
		while (cursor_next(cur, &row, &err) == 1) {
			for (size_t i = 0; i < row->ncols; i++) {
				if (row->vals[i].type == VAL_INT)
					sbuf_addf(&sb, "%lld|", (long long)row->vals[i].i);
				else if (row->vals[i].s)
					sbuf_addf(&sb, "%.*s|", (int)row->vals[i].len,
						  row->vals[i].s);
				else
					sbuf_addstr(&sb, "NULL|");
			}
			sbuf_addch(&sb, '\n');
		}
		cursor_close(cur);
	}
	conn_close(c);
	error_release(&err);
	ck_assert(!sb.failed);
	out = strdup(sb.buf);
	sbuf_release(&sb);
	return out;
}

/* The same order rows in other physical orders (the query has no ORDER
 * BY): a duplicated order key whose rows differ (amount 100 EUR vs 90
 * USD), amounts in two currencies. The report, the store's values, their
 * provenance (`sources`) and the run's totals are byte-identical every
 * time. */
/* The report and published records of the run just done: kept in *csv0
 * and *pub0 the first time (1: the caller checks what they hold), and
 * compared with those byte for byte afterwards (0). */
static int same_as_first(char **csv0, char **pub0)
{
	char *csv = slurp(REPORTS "/unit-run-20261126T000000Z.csv");
	char *pub = published();

	if (!*csv0) {
		*csv0 = csv;
		*pub0 = pub;
		return 1;
	}
	ck_assert_str_eq(csv, *csv0);
	ck_assert_str_eq(pub, *pub0);
	free(csv);
	free(pub);
	return 0;
}

START_TEST(shuffled_rows_same_result)
{
	static const char *const rows[] = {
		"('O1','d1 ','100.00','EUR','2026-01-02 00:00:00')",
		"('O1','D1','90.00','USD','2026-01-02 00:00:00')",
		"('O3','D3','75','EUR','2026-01-02 00:00:00')",
		"('O4',NULL,'5','USD','2026-01-02 00:00:00')",
		"('O5','D5','9','EUR','2026-01-02 00:00:00')",
	};
	static const int orders[][5] = {
		{ 0, 1, 2, 3, 4 }, { 1, 0, 2, 3, 4 }, { 4, 3, 2, 1, 0 },
		{ 2, 4, 1, 3, 0 }, { 3, 1, 4, 0, 2 },
	};
	char *csv0 = NULL, *pub0 = NULL;

	for (size_t k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
		struct error err;

		setup();
		sql("DELETE FROM run_orders");
		for (int i = 0; i < 5; i++) {
			char q[256];

			snprintf(q, sizeof(q), "INSERT INTO run_orders VALUES %s",
				 rows[orders[k][i]]);
			sql(q);
		}
		error_init(&err);
		guard_job("ord", "SELECT id, deal, amount, cur, created FROM "
			  "run_orders", NULL);
		ck_assert_msg(guard_run(NULL, &err) == 0, "%s", err.msg.buf);
		error_release(&err);
		/* the 90 USD row has the smaller fingerprint here */
		if (same_as_first(&csv0, &pub0))
			ck_assert_ptr_nonnull(strstr(csv0, "\"DUPLICATE_KEY\""));
	}
	free(csv0);
	free(pub0);
}
END_TEST

/* --jobs K (engine/xlate.h): 3,500 orders (four fetch batches, so that
 * several are in flight at once), every fail_every-th failing its
 * translation and every 7th skipped, through K = 1, 2 and 3 states.
 * K = 1 is the serial path; the others must give byte-identical
 * reports, store rows, value hashes and run totals (row counts, control
 * totals, rows_hash, the first failure's message), or the same refusal
 * word for word. */
static void jobs_data(int fail_every)
{
	char q[1024];

	setup();
	snprintf(q, sizeof(q),
		 "INSERT INTO run_orders WITH RECURSIVE n(i) AS (SELECT 1 "
		 "UNION ALL SELECT i + 1 FROM n WHERE i < 3500) SELECT "
		 "CASE WHEN i %% %d = 0 THEN 'X' WHEN i %% 7 = 0 THEN 'S' "
		 "ELSE 'P' END || i, CASE WHEN i %% 3 = 0 THEN 'D1' END, "
		 "i || '.25', 'EUR', '2026-01-02 00:00:00' FROM n",
		 fail_every);
	sql(q);
}

START_TEST(jobs_same_result)
{
	char *csv0 = NULL, *pub0 = NULL;
	static const unsigned ks[] = { 1, 2, 3 };

	for (size_t k = 0; k < sizeof(ks) / sizeof(ks[0]); k++) {
		struct error err;

		jobs_data(500);
		guard_job("ord_mixed", ORDERS_QUERY,
			  "max-rule-error-ratio=\"1\"");
		error_init(&err);
		test_jobs = ks[k];
		ck_assert_msg(guard_run(NULL, &err) == 0, "%s", err.msg.buf);
		test_jobs = 0;
		error_release(&err);
		ck_assert_int_eq(dir_entries(SPILL), 0);
		if (same_as_first(&csv0, &pub0)) {
			/* what the comparison is over: failed and kept rows,
			 * and the run's totals of all three kinds */
			ck_assert_ptr_nonnull(strstr(csv0, "\"orders:X3500\""));
			ck_assert_ptr_nonnull(strstr(csv0, "\"P3499\""));
			ck_assert_ptr_nonnull(strstr(csv0, "planted failure on X1000"));
			ck_assert_ptr_nonnull(strstr(pub0, "\"read\":3503,\"kept\":2997,"
						     "\"skipped\":499,\"failed\":7,"));
		}
	}
	free(csv0);
	free(pub0);
}
END_TEST

/*
 * Results do not depend on the matcher's memory budget nor on the
 * number of translators: every partition in memory, about half of the
 * bytes spilled, everything spilled, each with one and with several
 * Lua states, give the same report and the same published runs ledger.
 */
START_TEST(budget_same_result)
{
	static const struct {
		int budget;	/* 0 all spilled, 1 half, 2 all in memory */
		unsigned jobs;
	} cf[] = { { 2, 1 }, { 0, 1 }, { 1, 1 }, { 1, 3 }, { 0, 2 }, { 2, 3 } };
	char *csv0 = NULL, *pub0 = NULL, lim[64];
	uint64_t bytes = 0;

	for (size_t i = 0; i < sizeof(cf) / sizeof(cf[0]); i++) {
		struct error err;

		jobs_data(500);
		snprintf(lim, sizeof(lim), "match-memory=\"%llu\"",
			 (unsigned long long)(cf[i].budget == 2 ? 1u << 30
					      : cf[i].budget == 1 ? bytes / 2
					      : 0));
		guard_limits = lim;
		guard_job("ord_mixed", ORDERS_QUERY,
			  "max-rule-error-ratio=\"1\"");
		guard_limits = "";
		error_init(&err);
		test_jobs = cf[i].jobs;
		ck_assert_msg(guard_run(NULL, &err) == 0, "%s", err.msg.buf);
		test_jobs = 0;
		error_release(&err);
		ck_assert_int_eq(dir_entries(SPILL), 0);
		switch (cf[i].budget) {
		case 2:
			ck_assert_uint_eq(guard_res.spilled, 0);
			ck_assert_uint_gt(guard_res.kept, 0);
			bytes = guard_res.kept;
			break;
		case 1:	/* both, adding up to the same bytes (the budget
			 * counts buffers' capacities, which double) */
			ck_assert_uint_gt(guard_res.spilled, bytes / 8);
			ck_assert_uint_gt(guard_res.kept, bytes / 8);
			ck_assert_uint_eq(guard_res.spilled + guard_res.kept,
					  bytes);
			break;
		default:
			ck_assert_uint_eq(guard_res.kept, 0);
			ck_assert_uint_eq(guard_res.spilled, bytes);
		}
		if (same_as_first(&csv0, &pub0)) {
			ck_assert_ptr_nonnull(strstr(csv0, "\"orders:X3500\""));
			ck_assert_ptr_nonnull(strstr(pub0, "\"read\":3503,"));
		}
	}
	free(csv0);
	free(pub0);
}
END_TEST

/*
 * Sources read at once (the default) and one after another give the
 * same report and records, and the same error when two sources fail
 * while reading: the first source in job order that fails (orders, row
 * X500, its last), although the erp source fails on its first rows, long before.
 */
START_TEST(at_once_same_errors)
{
	static const char *const modes[] = { "read-sources=\"parallel\"",
					     "read-sources=\"serial\"" };
	char *csv[2], *pub[2], *got[2];

	for (int m = 0; m < 2; m++) {
		struct error err;

		jobs_data(500);
		guard_limits = modes[m];
		guard_job("ord_mixed", ORDERS_QUERY,
			  "max-rule-error-ratio=\"1\"");
		error_init(&err);
		ck_assert_msg(guard_run(NULL, &err) == 0, "%s", err.msg.buf);
		error_release(&err);
		csv[m] = slurp(REPORTS "/unit-run-20261126T000000Z.csv");
		pub[m] = published();
		/* both fail */
		guard_erp_query = "SELECT id, ord, amount, cur, kind, st, dt, "
				  "CASE WHEN id &gt; 'I0' THEN CAST(X'C328' AS TEXT) "
				  "END AS bad FROM run_docs ORDER BY id";
		guard_job("ord_mixed", "SELECT id, deal, amount, cur, created, "
			  "CASE WHEN id = 'X500' THEN CAST(X'C328' AS TEXT) END "
			  "AS bad FROM run_orders ORDER BY id",
			  "max-rule-error-ratio=\"1\"");
		guard_erp_query = NULL;
		guard_limits = "";
		jobs_data(500);
		error_init(&err);
		ck_assert_int_eq(guard_run(NULL, &err), -1);
		got[m] = formatted(&err);
		ck_assert_int_eq(err.code, ERR_DATA);
		ck_assert_msg(strstr(got[m], "source 'orders'") &&
			      strstr(got[m], "'X500'"), "%s", got[m]);
		ck_assert_int_eq(store_rows("run_store_runs"), 0);
		ck_assert_int_eq(dir_entries(SPILL), 0);
		error_release(&err);
	}
	ck_assert_str_eq(csv[0], csv[1]);
	ck_assert_str_eq(pub[0], pub[1]);
	ck_assert_str_eq(got[0], got[1]);
	for (int m = 0; m < 2; m++) {
		free(csv[m]);
		free(pub[m]);
		free(got[m]);
	}
}
END_TEST

START_TEST(jobs_same_refusal)
{
	char *want = NULL;

	for (unsigned k = 1; k <= 3; k++) {
		struct error err;
		char *got;

		jobs_data(50);	/* 70 of 3,503 rows: 2%, over the 1% */
		guard_job("ord_mixed", ORDERS_QUERY, NULL);
		error_init(&err);
		test_jobs = k;
		ck_assert_int_eq(guard_run(NULL, &err), -1);
		test_jobs = 0;
		got = formatted(&err);
		ck_assert_msg(err.code == ERR_GUARD, "%s", got);
		ck_assert_msg(strstr(got, "70 of 3,503 rows"), "%s", got);
		ck_assert_ptr_nonnull(strstr(got, "planted failure on X100;"));
		ck_assert_int_eq(store_rows("run_store_runs"), 0);
		error_release(&err);
		if (!want) {
			want = got;
			continue;
		}
		ck_assert_str_eq(got, want);
		free(got);
	}
	free(want);
}
END_TEST

/* A fatal error on a row of a later batch (here the first row's check
 * of the id column, and a source that cannot be read) is the same with
 * translators as without. */
START_TEST(jobs_same_errors)
{
	for (unsigned k = 1; k <= 3; k++) {
		struct run_result res;
		struct error err;

		setup();
		error_init(&err);
		run_result_init(&res);
		test_jobs = k;
		ck_assert_int_eq(run_once("tests/data/run/job-badid.xml", &res,
					  &err), -1);
		test_jobs = 0;
		ck_assert_int_eq(err.code, ERR_JOB);
		ck_assert_ptr_nonnull(strstr(err.msg.buf, "id-column 'deal_no'"));
		ck_assert_ptr_nonnull(strstr(err.ctx.buf, "source 'crm'"));
		ck_assert_int_eq(store_rows("run_store"), 0);
		run_result_release(&res);
		error_release(&err);
		/* a source with no row at all: the guard's refusal */
		error_init(&err);
		run_result_init(&res);
		test_jobs = k;
		ck_assert_int_eq(run_once("tests/data/run/job-empty.xml", &res,
					  &err), -1);
		test_jobs = 0;
		ck_assert_int_eq(err.code, ERR_GUARD);
		ck_assert_ptr_nonnull(strstr(err.ctx.buf, "source 'orders'"));
		ck_assert_int_eq(dir_entries(SPILL), 0);
		run_result_release(&res);
		error_release(&err);
	}
}
END_TEST

/* A translator thread cannot be started (the second of three here,
 * the first already running): NOMEM for want of memory, else INTERNAL,
 * as for the fetch thread; nothing is published. */
START_TEST(jobs_thread_fails)
{
	static const struct {
		int errnum;
		enum err_code code;
	} cases[] = { { EAGAIN, ERR_NOMEM }, { EPERM, ERR_INTERNAL } };

	setup();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_result res;
		struct error err;
		char want[256];

		error_init(&err);
		run_result_init(&res);
		xlate_thread_fault = cases[i].errnum;
		test_jobs = 3;
		ck_assert_int_eq(run_once("tests/data/run/job.xml", &res, &err),
				 -1);
		test_jobs = 0;
		xlate_thread_fault = 0;
		ck_assert_int_eq(err.code, cases[i].code);
		snprintf(want, sizeof(want), "%scannot start a translator "
			 "thread (%s)", cases[i].code == ERR_NOMEM ?
			 "out of memory: " : "", strerror(cases[i].errnum));
		ck_assert_str_eq(err.msg.buf, want);
		ck_assert_ptr_nonnull(strstr(err.ctx.buf, "source 'crm'"));
		ck_assert_int_eq(store_rows("run_store_runs"), 0);
		ck_assert_int_eq(dir_entries(REPORTS), 0);
		ck_assert_int_eq(dir_entries(SPILL), 0);
		run_result_release(&res);
		error_release(&err);
	}
}
END_TEST

/* The first ODBC calls of a run over four batches of orders failing in
 * turn, up to and through reading the sources (the fetch thread's block
 * fetches mid-source included): the same error, word for word, with two
 * translators as without, and nothing published. The translators make
 * no ODBC call, so call n is the same call for both. (The store's
 * thousands of later calls are odbc_fault_loop's.) */
START_TEST(jobs_odbc_faults_same_errors)
{
	/* a sample under valgrind, where a run is 30x slower */
	long step = getenv("RECON_UNDER_VALGRIND") ? 23 : 4;
	int in_orders = 0;

	/* the translators read one source after another; so must K = 1,
	 * for call n to be the same call (reading at once opens every
	 * source first: at_once_same_errors) */
	guard_limits = "read-sources=\"serial\"";
	guard_job("ord_mixed", ORDERS_QUERY, "max-rule-error-ratio=\"1\"");
	guard_limits = "";
	for (long n = 0; n < 400; n += step) {
		char *got[2];
		int rc[2];

		for (unsigned k = 1; k <= 2; k++) {
			struct error err;

			jobs_data(500);
			error_init(&err);
			test_jobs = k;
			odbc_fault_after(n, "08S01", 4242);
			rc[k - 1] = guard_run(NULL, &err);
			odbc_api_reset();
			test_jobs = 0;
			got[k - 1] = formatted(&err);
			in_orders += rc[k - 1] < 0 && k == 1 &&
				     strstr(err.ctx.buf, "source 'orders'");
			if (rc[k - 1] < 0)
				ck_assert_int_eq(store_rows("run_store_runs"), 0);
			ck_assert_int_eq(dir_entries(SPILL), 0);
			error_release(&err);
		}
		ck_assert_int_eq(rc[0], rc[1]);
		ck_assert_msg(strcmp(got[0], got[1]) == 0, "n=%ld:\n%s\n%s", n,
			      got[0], got[1]);
		free(got[0]);
		free(got[1]);
	}
	/* the orders source failed at several calls, its fetches among them */
	ck_assert_int_gt(in_orders, step > 4 ? 0 : 3);
}
END_TEST

/* A spill folder a SIGKILLed run left in the run's tmpdir is removed at
 * the start of the next run, which says so; a live run's stays. */
static void log_keep(void *ctx, const struct evlog_event *ev)
{
	struct sbuf *sb = ctx;

	sbuf_addstr(sb, ev->msg);
	sbuf_addch(sb, '\n');
}

START_TEST(stale_spill_folder_is_removed)
{
	struct run_result res;
	struct run_opts opts;
	struct job *job = NULL;
	struct error err;
	struct utsname u;
	struct sbuf log = SBUF_INIT(1 << 20);
	char path[512], want[1024];
	FILE *f;

	setup();
	ck_assert_int_eq(uname(&u), 0);
	/* pid 2^22+1: above Linux's default pid_max, not alive */
	ck_assert_int_eq(mkdir(SPILL "/recon-spill-4194305-aB3xY9", 0700), 0);
	ck_assert_ptr_nonnull(f = fopen(SPILL "/recon-spill-4194305-aB3xY9/owner", "w"));
	fprintf(f, "recon spill folder\npid 4194305\nhost %s\n", u.nodename);
	{
		char ns[256];
		ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);

		if (n > 0)
			fprintf(f, "pidns %.*s\n", (int)n, ns);
	}
	fclose(f);
	ck_assert_ptr_nonnull(f = fopen(SPILL "/recon-spill-4194305-aB3xY9/order.2", "w"));
	for (int i = 0; i < 250000; i++)
		fputc('x', f);
	fclose(f);
	/* the test's own process: alive */
	snprintf(path, sizeof(path), SPILL "/recon-spill-%ld-live01", (long)getpid());
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), SPILL "/recon-spill-%ld-live01/owner", (long)getpid());
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "recon spill folder\npid %ld\nhost %s\n", (long)getpid(), u.nodename);
	fclose(f);
	ck_assert_int_eq(mkdir(SPILL "/unrelated", 0700), 0);

	error_init(&err);
	run_result_init(&res);
	memset(&opts, 0, sizeof(opts));
	opts.as_of = AS_OF;
	opts.report_dir = REPORTS;
	opts.tmpdir = SPILL;
	opts.log = log_keep;
	opts.log_ctx = &log;
	ck_assert_int_eq(job_load("tests/data/run/job.xml", &job, &err), 0);
	ck_assert_int_eq(run_job(job, &opts, &res, &err), 0);
	snprintf(want, sizeof(want), "removed the spill folder of a dead run "
		 "(pid 4194305): " SPILL "/recon-spill-4194305-aB3xY9, 0.3 MB\n");
	ck_assert_msg(strstr(log.buf, want), "%s", log.buf);
	ck_assert_int_ne(access(SPILL "/recon-spill-4194305-aB3xY9", F_OK), 0);
	snprintf(path, sizeof(path), SPILL "/recon-spill-%ld-live01/owner", (long)getpid());
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(access(SPILL "/unrelated", F_OK), 0);
	/* and the run's own folder is gone */
	ck_assert_int_eq(dir_entries(SPILL), 2);
	job_free(job);
	sbuf_release(&log);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

/*
 * SIGTERM at every ODBC call of a run in turn (the signal is sent just
 * before the call reaches the driver): the run either stops at its next
 * safe point with ERR_INTERRUPTED, publishing nothing and leaving no
 * report, temporary or spill file, or (a signal at the commit itself)
 * is published whole, reports included. A loop like odbc_fault_loop,
 * with kill() where that one fails the call.
 */
static struct odbc_api sig_inner;
static long sig_countdown = -1;

static void sig_tick(void)
{
	if (sig_countdown >= 0 && sig_countdown-- == 0)
		kill(getpid(), SIGTERM);
}

static SQLRETURN s_driver_connect(SQLHDBC d, SQLHWND w, SQLCHAR *in,
				  SQLSMALLINT il, SQLCHAR *out, SQLSMALLINT om,
				  SQLSMALLINT *ol, SQLUSMALLINT c)
{
	sig_tick();
	return sig_inner.driver_connect(d, w, in, il, out, om, ol, c);
}

static SQLRETURN s_exec_direct(SQLHSTMT st, SQLCHAR *q, SQLINTEGER l)
{
	sig_tick();
	return sig_inner.exec_direct(st, q, l);
}

static SQLRETURN s_prepare(SQLHSTMT st, SQLCHAR *q, SQLINTEGER l)
{
	sig_tick();
	return sig_inner.prepare(st, q, l);
}

static SQLRETURN s_execute(SQLHSTMT st)
{
	sig_tick();
	return sig_inner.execute(st);
}

static SQLRETURN s_fetch(SQLHSTMT st)
{
	sig_tick();
	return sig_inner.fetch(st);
}

static SQLRETURN s_end_tran(SQLSMALLINT t, SQLHANDLE h, SQLSMALLINT c)
{
	sig_tick();
	return sig_inner.end_tran(t, h, c);
}

START_TEST(sigterm_loop)
{
	/* the last: the exception lifecycle's reads of the store, before
	 * the reports are written (engine/lifecycle.c) */
	static const char *const phases[] = {
		"opening the store", "reading", "writing the store",
		"writing the reports",
		/* a signal raised on the fetch thread's last call reaches
		 * the run one phase later when it is handled on another
		 * thread (seen under valgrind): still nothing published;
		 * not required below */
		"matching",
	};
	int seen[5] = { 0 }, published = 0, done = 0;
	long n;

	/* batches run on this thread when handed off: kill() reaches the
	 * signal handler before the call it precedes */
	odbc_writer_sync = 1;
	for (n = 0; !done && n < 5000; n++) {
		struct run_result res;
		struct error err;
		int rc, sig;

		setup();
		error_init(&err);
		run_result_init(&res);
		ck_assert_int_eq(stop_install(), 0);
		sig_inner = odbc_api;
		odbc_api.driver_connect = s_driver_connect;
		odbc_api.exec_direct = s_exec_direct;
		odbc_api.prepare = s_prepare;
		odbc_api.execute = s_execute;
		odbc_api.fetch = s_fetch;
		odbc_api.end_tran = s_end_tran;
		sig_countdown = n;
		rc = run_once("tests/data/run/job.xml", &res, &err);
		done = sig_countdown >= 0;	/* the run made fewer calls */
		sig_countdown = -1;
		odbc_api_reset();
		sig = stop_signal();
		stop_uninstall();
		ck_assert_int_eq(sig, done ? 0 : SIGTERM);
		if (rc < 0) {
			size_t k;

			ck_assert_msg(err.code == ERR_INTERRUPTED, "n=%ld: code %d: "
				      "%s: %s", n, err.code, err.ctx.buf, err.msg.buf);
			ck_assert_int_eq(res.published, 0);
			ck_assert_ptr_nonnull(strstr(err.ctx.buf, "job 'unit-run'"));
			for (k = 0; k < 5; k++) {
				char want[128];

				snprintf(want, sizeof(want), "stopped by SIGTERM while "
					 "%s; nothing was published", phases[k]);
				if (strcmp(err.msg.buf, want) == 0)
					break;
			}
			ck_assert_msg(k < 5, "n=%ld: %s", n, err.msg.buf);
			seen[k]++;
			ck_assert_int_eq(store_rows("run_store"), 0);
			ck_assert_int_eq(store_rows("run_store_runs"), 0);
			ck_assert_int_eq(dir_entries(REPORTS), 0);
		} else {
			/* a signal at the commit: published whole */
			ck_assert_msg(rc == 0, "n=%ld: %s", n, err.msg.buf);
			ck_assert_int_eq(res.published, 1);
			ck_assert_int_eq(store_rows("run_store_runs"), 1);
			ck_assert_int_eq(store_rows("run_store"), 6);
			ck_assert_int_eq(dir_entries(REPORTS), 3);
			if (!done)
				published++;
		}
		ck_assert_int_eq(dir_entries(SPILL), 0);
		run_result_release(&res);
		error_release(&err);
	}
	odbc_writer_sync = 0;
	ck_assert_msg(done, "the run never finished before the signal");
	for (size_t k = 0; k < 4; k++)
		ck_assert_msg(seen[k] > 0, "never stopped while %s", phases[k]);
	/* only the commit's own call (SQLEndTran) and the calls after
	 * it publish despite the signal: those of lock_release, which
	 * deletes the lock's row (lock.h; prepare and execute) */
	ck_assert_int_ge(published, 1);
	ck_assert_int_le(published, 3);
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
	tcase_add_test(tc, phase_table_accounts_the_run);
	tcase_add_test(tc, rule_identity_independent_of_path);
	tcase_add_test(tc, long_row_id_is_cut_visibly);
	tcase_add_test(tc, syntax_error_publishes_nothing);
	tcase_add_test(tc, empty_source_is_refused);
	tcase_add_test(tc, report_failure_publishes_nothing);
	tcase_add_test(tc, source_failure_names_source);
	tcase_add_test(tc, missing_id_column);
	tcase_add_test(tc, stale_report_temporaries_are_removed);
	tcase_add_test(tc, published_without_report_then_rerun);
	tcase_add_test(tc, fetch_thread_fails);
	tcase_add_test(tc, stale_spill_folder_is_removed);
	tcase_add_test(tc, sigterm_loop);
	tcase_add_test(tc, odbc_fault_loop);
	tcase_add_test(tc, alloc_fault_loop);
	tcase_add_test(tc, jobs_alloc_fault_loop);
	suite_add_tcase(s, tc);
	/* the completeness guard and run-order independence: a case of
	 * their own, CK_RUN_CASE=guard runs them without the fault loops */
	tc = tcase_create("guard");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, guard_column_dropped);
	tcase_add_test(tc, guard_all_skipped);
	tcase_add_test(tc, guard_null_required_field);
	tcase_add_test(tc, guard_rule_error_ceiling);
	tcase_add_test(tc, guard_order_rule_ceiling);
	tcase_add_test(tc, guard_kept_ratio);
	tcase_add_test(tc, guard_unreadable_totals);
	tcase_add_test(tc, guard_source_not_in_totals);
	tcase_add_test(tc, shuffled_rows_same_result);
	tcase_add_test(tc, jobs_same_result);
	tcase_add_test(tc, budget_same_result);
	tcase_add_test(tc, at_once_same_errors);
	tcase_add_test(tc, jobs_same_refusal);
	tcase_add_test(tc, jobs_same_errors);
	tcase_add_test(tc, jobs_odbc_faults_same_errors);
	tcase_add_test(tc, jobs_thread_fails);
	suite_add_tcase(s, tc);
	return s;
}
