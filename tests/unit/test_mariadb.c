/*
 * test_mariadb.c - a store on a real MariaDB (or MySQL), when the
 * environment names one: RECON_TEST_MARIA_DSN is a DSN of odbc.ini
 * (ODBCINI) on an empty database the tests may create and drop tables
 * in. Without it the suite has no tests (make check sets it up).
 *
 * The sources are SQLite (recon_test); the job is written here with the
 * MariaDB store DSN. Checked: the tables' types (exact DECIMAL, DATETIME,
 * VARCHAR keys with a binary NO PAD collation), UPDATE and DELETE
 * refused by the triggers, the version chain, the same value hashes as
 * a SQLite store of the same runs, long values read back whole, verify
 * clean and then finding a tampered row and a forged view, a key over
 * the index's length refused, a failed first run leaving an empty store
 * that readers call unpublished, and a failed install dropping what it
 * created (MariaDB's DDL is not transactional).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "engine/job.h"
#include "engine/ledger.h"
#include "engine/run.h"
#include "engine/store.h"
#include "engine/verify.h"

Suite *suite_mariadb(void);

#define LITE "recon_test"
#define JOB_MARIA "out/test/mariadb-job.xml"
#define JOB_LITE "out/test/mariadb-lite-job.xml"
#define REPORTS "out/test/mariadb-reports"
#define SPILL "out/test/mariadb-tmp"
#define AS_OF "2026-11-26 00:00:00"
#define T "Maria_Store"		/* the engine names it maria_store */

static const char *maria(void)
{
	return getenv("RECON_TEST_MARIA_DSN");
}

/* Run q on dsn: 0, or -1 with the message in *msg (if given; freed by
 * the caller). */
static int exec_on(const char *dsn, const char *q, char **msg)
{
	struct conn *c = NULL;
	struct error err;
	int rc;

	error_init(&err);
	ck_assert_msg(conn_open(dsn, &c, &err) == 0, "%s", err.msg.buf);
	rc = conn_exec(c, q, NULL, 0, &err);
	if (msg)
		*msg = rc < 0 ? strdup(err.msg.buf) : NULL;
	conn_close(c);
	error_release(&err);
	return rc;
}

static void exec_must(const char *dsn, const char *q)
{
	char *m = NULL;

	ck_assert_msg(exec_on(dsn, q, &m) == 0, "%s: %s", q, m ? m : "");
	free(m);
}

/* The first column of q's rows on dsn, as text, '|'-separated. */
static char *column(const char *dsn, const char *q)
{
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	struct error err;
	size_t len = 0;
	char *out = calloc(1, 1);
	int rc;

	error_init(&err);
	ck_assert_int_eq(conn_open(dsn, &c, &err), 0);
	ck_assert_msg(cursor_open(c, q, NULL, 0, 0, &cur, &err) == 0, "%s: %s",
		      q, err.msg.buf);
	while ((rc = cursor_next(cur, &row, &err)) == 1) {
		char num[32];
		const char *s = num;
		size_t n;

		if (row->vals[0].type == VAL_NULL)
			s = "NULL";
		else if (row->vals[0].type == VAL_INT)
			snprintf(num, sizeof(num), "%lld",
				 (long long)row->vals[0].i);
		else
			s = row->vals[0].s;
		n = strlen(s);
		out = realloc(out, len + n + 2);
		if (len)
			out[len++] = '|';
		memcpy(out + len, s, n + 1);
		len += n;
	}
	ck_assert_msg(rc == 0, "%s", err.msg.buf);
	cursor_close(cur);
	conn_close(c);
	error_release(&err);
	return out;
}

static void column_is(const char *dsn, const char *q, const char *want)
{
	char *got = column(dsn, q);

	ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s', want '%s'", q, got,
		      want);
	free(got);
}

/* The job of test_store.c's declared columns, on tables mdb_*, with the
 * store on dsn. */
static void write_job(const char *path, const char *dsn, const char *table)
{
	char cwd[4096], rules[4200];
	FILE *f;

	/* the job is written elsewhere: its rule file by absolute path */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(rules, sizeof(rules), "%s/tests/data/run/rules.lua", cwd);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<job xmlns=\"urn:recon:job:1\" name=\"unit-run\" window=\"400d\">\n"
		"  <rules><file>%s</file></rules>\n"
		"  <sources>\n"
		"    <source name=\"crm\" role=\"deal\" dsn=\"" LITE "\" translate=\"deal\" id-column=\"id\">\n"
		"      <query>SELECT id, amount, cur, closed, name FROM mdb_deals WHERE closed &lt;= ? ORDER BY id</query>\n"
		"      <param name=\"as_of\"/>\n"
		"    </source>\n"
		"    <source name=\"orders\" role=\"order\" dsn=\"" LITE "\" translate=\"ord\" id-column=\"id\">\n"
		"      <query>SELECT id, deal, amount, cur, created FROM mdb_orders ORDER BY id</query>\n"
		"    </source>\n"
		"    <source name=\"erp\" role=\"erp\" dsn=\"" LITE "\" translate=\"doc\" id-column=\"id\" max-rule-error-ratio=\"0.25\">\n"
		"      <query>SELECT id, ord, amount, cur, kind, st, dt FROM mdb_docs ORDER BY id</query>\n"
		"    </source>\n"
		"  </sources>\n"
		"  <matching><grace deal-without-order=\"24h\" order-not-in-erp=\"3d\"/></matching>\n"
		"  <store dsn=\"%s\" table=\"%s\">\n"
		"    <column name=\"order\" type=\"text\" value=\"order.key\"/>\n"
		"    <column name=\"amount\" type=\"money\" value=\"order.amount\"/>\n"
		"    <column name=\"closed\" type=\"timestamp\" value=\"deal.time\"/>\n"
		"    <column name=\"closed_day\" type=\"date\" value=\"deal.time\"/>\n"
		"    <column name=\"invoices\" type=\"integer\" value=\"erp.invoices\"/>\n"
		"    <column name=\"deal_name\" type=\"text\" value=\"deal.name\"/>\n"
		"  </store>\n"
		"  <reports dir=\"%s\" formats=\"csv\"/>\n"
		"</job>\n", rules, dsn, table, REPORTS);
	ck_assert_int_eq(fclose(f), 0);
}

static const char *const lite_setup[] = {
	"DROP TABLE IF EXISTS mdb_deals",
	"DROP TABLE IF EXISTS mdb_orders",
	"DROP TABLE IF EXISTS mdb_docs",
	"DROP VIEW IF EXISTS mdb_lite_current",
	"DROP TABLE IF EXISTS mdb_lite",
	"DROP TABLE IF EXISTS mdb_lite_runs",
	"DROP TABLE IF EXISTS mdb_lite_schema",
	"DROP TABLE IF EXISTS mdb_lite_report",
	"CREATE TABLE mdb_deals (id TEXT, amount TEXT, cur TEXT, closed TIMESTAMP, name TEXT)",
	"CREATE TABLE mdb_orders (id TEXT, deal TEXT, amount TEXT, cur TEXT, created TIMESTAMP)",
	"CREATE TABLE mdb_docs (id TEXT, ord TEXT, amount TEXT, cur TEXT, kind TEXT, st TEXT, dt TIMESTAMP)",
	"INSERT INTO mdb_deals VALUES "
	"('D1','100.00','EUR','2026-01-01 00:00:00','Acme \xc3\x9cml\xc3\xa4ut'),"
	"('D2','50','EUR','2026-01-01 00:00:00','x'),"
	"('D3','70','EUR','2026-01-01 00:00:00','y'),"
	"('D5','9','EUR','2026-11-25 20:00:00','recent')",
	"INSERT INTO mdb_orders VALUES "
	"('O1','D1','100.00','EUR','2026-01-02 00:00:00'),"
	"('O3','D3','75','EUR','2026-01-02 00:00:00'),"
	"('O4',NULL,'5','EUR','2026-01-02 00:00:00')",
	"INSERT INTO mdb_docs VALUES "
	"('I1','O1','60','EUR','INV','P','2026-01-03 00:00:00'),"
	"('I2','O1','40','EUR','INV','P','2026-01-03 00:00:00'),"
	"('I3','O3','75','EUR','INV','P','2026-01-03 00:00:00'),"
	"('I9','O9','1','EUR','INV','P','2026-01-03 00:00:00')",
};
#define NKEYS 6		/* O1 O3 O4 O9 D2 D5 */

static const char *const maria_drop[] = {
	"DROP VIEW IF EXISTS maria_store_current",
	"DROP TABLE IF EXISTS maria_store",
	"DROP TABLE IF EXISTS maria_store_runs",
	"DROP TABLE IF EXISTS maria_store_schema",
	"DROP TABLE IF EXISTS maria_store_report",
	"DROP TABLE IF EXISTS mdb_other",
};

static void setup(void)
{
	mkdir("out/test", 0777);
	ck_assert_int_eq(system("rm -rf " SPILL " " REPORTS), 0);
	mkdir(SPILL, 0777);
	for (size_t i = 0; i < sizeof(lite_setup) / sizeof(lite_setup[0]); i++)
		exec_must(LITE, lite_setup[i]);
	for (size_t i = 0; i < sizeof(maria_drop) / sizeof(maria_drop[0]); i++)
		exec_must(maria(), maria_drop[i]);
	write_job(JOB_MARIA, maria(), T);
	write_job(JOB_LITE, LITE, "mdb_lite");
}

/* Run a job file: 0 with *versions, or -1 with err. */
static int run_file(const char *path, uint64_t *versions, struct error *err)
{
	struct job *job = NULL;
	struct run_opts opts;
	struct run_result res;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.as_of = AS_OF;
	opts.report_dir = REPORTS;
	opts.tmpdir = SPILL;
	run_result_init(&res);
	rc = job_load(path, &job, err);
	if (rc == 0)
		rc = run_job(job, &opts, &res, err);
	if (versions)
		*versions = res.records;
	run_result_release(&res);
	job_free(job);
	return rc;
}

static uint64_t run_ok(const char *path)
{
	struct error err;
	uint64_t n = 0;

	error_init(&err);
	ck_assert_msg(run_file(path, &n, &err) == 0, "%s: %s: %s", path,
		      err.ctx.buf, err.msg.buf);
	error_release(&err);
	return n;
}

static int verify(struct verify_result *vr, struct error *err)
{
	struct verify_opts vo;

	memset(&vo, 0, sizeof(vo));
	vo.dsn = maria();
	vo.table = T;
	return verify_store(&vo, vr, err);
}

START_TEST(store_versions_triggers_verify)
{
	struct verify_result vr;
	struct error err;
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	char *m = NULL, *a, *b;

	setup();
	error_init(&err);
	ck_assert_uint_eq(run_ok(JOB_MARIA), NKEYS);
	ck_assert_uint_eq(run_ok(JOB_LITE), NKEYS);

	/* the tables as MariaDB has them */
	column_is(maria(), "SELECT CONCAT(column_name, ' ', column_type, ' ', "
		  "COALESCE(collation_name, '-')) FROM information_schema.columns "
		  "WHERE table_schema = DATABASE() AND table_name = 'maria_store' "
		  "AND column_name IN ('rec_key', 'amount', 'closed', "
		  "'closed_day', 'invoices', 'order') ORDER BY ordinal_position",
		  "rec_key varchar(700) utf8mb4_nopad_bin|order longtext "
		  "utf8mb4_nopad_bin|amount decimal(24,4) -|closed datetime -|"
		  "closed_day date -|invoices bigint(20) -");
	/* exact DECIMAL, through the connector as money */
	ck_assert_int_eq(conn_open(maria(), &c, &err), 0);
	ck_assert_int_eq(cursor_open(c, "SELECT amount, closed, deal_name FROM "
				     "maria_store WHERE rec_key = 'O1'", NULL, 0,
				     0, &cur, &err), 0);
	ck_assert_int_eq(cursor_next(cur, &row, &err), 1);
	ck_assert_int_eq(row->vals[0].type, VAL_DEC);
	ck_assert_int_eq(row->vals[0].i, 1000000);	/* 100.0000 */
	ck_assert_str_eq(row->vals[0].s, "100.0000");
	ck_assert_int_eq(row->vals[1].type, VAL_TIME);
	ck_assert_str_eq(row->vals[1].s, "2026-01-01 00:00:00");
	ck_assert_str_eq(row->vals[2].s, "Acme \xc3\x9cml\xc3\xa4ut");
	cursor_close(cur);
	conn_close(c);

	/* the same values, the same value hashes as on SQLite; and values
	 * longer than a bound buffer (sources: ~300 bytes) read back whole */
	a = column(maria(), "SELECT value_hash FROM maria_store ORDER BY "
		   "rec_kind, rec_key");
	b = column(LITE, "SELECT value_hash FROM mdb_lite ORDER BY rec_kind, "
		   "rec_key");
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	a = column(maria(), "SELECT sources FROM maria_store ORDER BY "
		   "rec_kind, rec_key");
	b = column(LITE, "SELECT sources FROM mdb_lite ORDER BY rec_kind, "
		   "rec_key");
	ck_assert_str_eq(a, b);
	ck_assert_uint_gt(strlen(a), 1000);	/* O1, O3: 298 bytes each */
	free(a);
	free(b);

	/* insert-only at the database */
	ck_assert_int_eq(exec_on(maria(), "UPDATE maria_store SET outcome = 'x'",
				 &m), -1);
	ck_assert_ptr_nonnull(strstr(m, "recon: maria_store is insert-only"));
	free(m);
	ck_assert_int_eq(exec_on(maria(), "DELETE FROM maria_store", &m), -1);
	free(m);
	ck_assert_int_eq(exec_on(maria(), "DELETE FROM maria_store_runs", &m), -1);
	ck_assert_ptr_nonnull(strstr(m, "recon: maria_store_runs is insert-only"));
	free(m);
	ck_assert_int_eq(exec_on(maria(), "UPDATE maria_store_schema SET "
				 "value = 'x'", &m), -1);
	ck_assert_ptr_nonnull(strstr(m, "recon: maria_store_schema is "
				     "insert-only"));
	free(m);

	/* rerun: nothing (not even a runs row: it repeats run 1); a
	 * changed amount: one version chained to the old */
	ck_assert_uint_eq(run_ok(JOB_MARIA), 0);
	exec_must(LITE, "UPDATE mdb_orders SET amount = '90.5' WHERE id = 'O1'");
	ck_assert_uint_eq(run_ok(JOB_MARIA), 1);
	column_is(maria(), "SELECT CONCAT(version, ' ', amount) FROM maria_store "
		  "WHERE rec_key = 'O1' ORDER BY version",
		  "1 100.0000|2 90.5000");
	column_is(maria(), "SELECT COUNT(*) FROM maria_store n JOIN maria_store "
		  "o ON o.rec_key = n.rec_key AND o.version = 1 WHERE n.version "
		  "= 2 AND n.prev_hash = o.content_hash", "1");
	column_is(maria(), "SELECT CONCAT(rec_key, ' ', version) FROM "
		  "maria_store_current WHERE rec_key = 'O1'", "O1 2");
	column_is(maria(), "SELECT GROUP_CONCAT(seq ORDER BY seq) FROM "
		  "maria_store_runs", "1,2");

	/* verify: clean, then a tampered amount, then a forged view */
	ck_assert_msg(verify(&vr, &err) == 0, "%s", err.msg.buf);
	ck_assert_uint_eq(vr.versions, NKEYS + 1);
	ck_assert_uint_eq(vr.runs, 2);
	ck_assert_uint_eq(vr.findings, 0);
	exec_must(maria(), "DROP TRIGGER maria_store_no_update");
	exec_must(maria(), "UPDATE maria_store SET amount = 91 WHERE "
		  "rec_key = 'O1' AND version = 2");
	ck_assert_int_eq(verify(&vr, &err), -1);
	ck_assert_int_eq(err.code, ERR_VERIFY);
	ck_assert_uint_ge(vr.findings, 2);	/* its hashes, the digest */
	error_clear(&err);
	exec_must(maria(), "UPDATE maria_store SET amount = 90.5 WHERE "
		  "rec_key = 'O1' AND version = 2");
	ck_assert_msg(verify(&vr, &err) == 0, "%s", err.msg.buf);
	/* a view without T's columns is a finding, not an SQL error */
	exec_must(maria(), "CREATE OR REPLACE VIEW maria_store_current AS "
		  "SELECT rec_kind, rec_key FROM maria_store");
	ck_assert_int_eq(verify(&vr, &err), -1);
	ck_assert_int_eq(err.code, ERR_VERIFY);
	ck_assert_uint_eq(vr.findings, 1);
	error_clear(&err);
	/* one with T's columns that hides a key: found row by row */
	exec_must(maria(), "CREATE OR REPLACE VIEW maria_store_current AS "
		  "SELECT v.* FROM maria_store v WHERE v.rec_key <> 'O3' AND "
		  "NOT EXISTS (SELECT 1 FROM maria_store w WHERE w.rec_kind = "
		  "v.rec_kind AND w.rec_key = v.rec_key AND w.version > "
		  "v.version)");
	ck_assert_int_eq(verify(&vr, &err), -1);
	ck_assert_int_eq(err.code, ERR_VERIFY);
	ck_assert_uint_eq(vr.findings, 1);
	error_release(&err);
}
END_TEST

START_TEST(failed_first_run_leaves_an_unpublished_store)
{
	struct error err;
	struct conn *c = NULL;
	char big[800], q[1024];
	uint64_t n;

	setup();
	error_init(&err);
	/* a key over VARCHAR(700): refused in words, after the tables were
	 * created (DDL commits by itself) */
	memset(big, 'K', 701);
	big[701] = '\0';
	snprintf(q, sizeof(q), "INSERT INTO mdb_orders VALUES ('%s', NULL, "
		 "'1', 'EUR', '2026-01-02 00:00:00')", big);
	exec_must(LITE, q);
	ck_assert_int_eq(run_file(JOB_MARIA, &n, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_msg(strstr(err.msg.buf, "is 701 characters long; a store on "
			     "MariaDB/MySQL holds keys of at most 700 "
			     "characters"), "%s", err.msg.buf);
	error_clear(&err);
	column_is(maria(), "SELECT COUNT(*) FROM maria_store_runs", "0");
	column_is(maria(), "SELECT COUNT(*) FROM maria_store", "0");
	/* what readers say of it */
	ck_assert_int_eq(conn_open(maria(), &c, &err), 0);
	ck_assert_int_eq(store_probe(c, T, "unit-run", &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_msg(strstr(err.msg.buf, "has no run: no run of job 'unit-run' "
			     "has been published yet"), "%s", err.msg.buf);
	conn_close(c);
	error_clear(&err);
	/* the next run publishes to it */
	exec_must(LITE, "DELETE FROM mdb_orders WHERE deal IS NULL AND "
		  "amount = '1'");
	ck_assert_uint_eq(run_ok(JOB_MARIA), NKEYS);
	column_is(maria(), "SELECT COUNT(*) FROM maria_store_runs", "1");
	error_release(&err);
}
END_TEST

START_TEST(failed_install_drops_what_it_created)
{
	struct error err;
	uint64_t n;

	setup();
	error_init(&err);
	/* trigger names are per schema: the store's last one is taken */
	exec_must(maria(), "CREATE TABLE mdb_other (x INT)");
	exec_must(maria(), "CREATE TRIGGER maria_store_schema_no_delete BEFORE "
		  "DELETE ON mdb_other FOR EACH ROW SET @x = 1");
	ck_assert_int_eq(run_file(JOB_MARIA, &n, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	/* (maria_store_lock is the job's lock's, made before the install
	 * and kept: engine/lock.h) */
	column_is(maria(), "SELECT COUNT(*) FROM information_schema.tables "
		  "WHERE table_schema = DATABASE() AND table_name LIKE "
		  "'maria\\_store%' AND table_name <> 'maria_store_lock'", "0");
	column_is(maria(), "SELECT COUNT(*) FROM information_schema.tables "
		  "WHERE table_schema = DATABASE() AND table_name = 'mdb_other'",
		  "1");
	error_release(&err);
}
END_TEST

/* A first run that fails after the install: the store's tables are
 * there, empty (DDL commits by itself on MariaDB). */
static void installed_empty(void)
{
	struct error err;
	char big[800], q[1024];
	uint64_t n;

	error_init(&err);
	memset(big, 'K', 701);
	big[701] = '\0';
	snprintf(q, sizeof(q), "INSERT INTO mdb_orders VALUES ('%s', NULL, "
		 "'1', 'EUR', '2026-01-02 00:00:00')", big);
	exec_must(LITE, q);
	ck_assert_int_eq(run_file(JOB_MARIA, &n, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	exec_must(LITE, "DELETE FROM mdb_orders WHERE deal IS NULL AND "
		  "amount = '1'");
	error_release(&err);
}

START_TEST(killed_install_is_redone)
{
	struct error err;
	uint64_t n;

	setup();
	error_init(&err);
	/* killed before T_runs was created: T, its index and view only */
	installed_empty();
	exec_must(maria(), "DROP TABLE maria_store_schema");
	exec_must(maria(), "DROP TABLE maria_store_runs");
	ck_assert_uint_eq(run_ok(JOB_MARIA), NKEYS);
	column_is(maria(), "SELECT COUNT(*) FROM maria_store_runs", "1");
	column_is(maria(), "SELECT COUNT(*) FROM maria_store_schema", "6");

	/* killed before T_schema's rows were committed: every table there,
	 * T_schema empty */
	setup();
	installed_empty();
	exec_must(maria(), "DROP TABLE maria_store_schema");
	exec_must(maria(), "CREATE TABLE maria_store_schema (format TEXT, "
		  "position BIGINT, name TEXT, type TEXT, value TEXT)");
	ck_assert_uint_eq(run_ok(JOB_MARIA), NKEYS);
	column_is(maria(), "SELECT COUNT(*) FROM maria_store_runs", "1");

	/* a T without T_runs that holds a row is not dropped: someone's
	 * data, refused in words */
	setup();
	installed_empty();
	exec_must(maria(), "DROP TABLE maria_store_schema");
	exec_must(maria(), "DROP TABLE maria_store_runs");
	exec_must(maria(), "INSERT INTO maria_store (rec_kind, rec_key, "
		  "version, run_id, outcome, codes, verdicts, sources, "
		  "rules_hash, value_hash, content_hash) VALUES ('order', 'X', "
		  "1, 'r', 'MATCHED', '', '[]', '{}', 'h', 'v', 'c')");
	ck_assert_int_eq(run_file(JOB_MARIA, &n, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_msg(strstr(err.msg.buf, "exists but is not a recon store"),
		      "%s", err.msg.buf);
	column_is(maria(), "SELECT COUNT(*) FROM maria_store", "1");
	error_release(&err);
}
END_TEST

Suite *suite_mariadb(void)
{
	Suite *s = suite_create("mariadb");
	TCase *tc = tcase_create("store");

	tcase_set_timeout(tc, 600);
	if (maria()) {
		tcase_add_test(tc, store_versions_triggers_verify);
		tcase_add_test(tc, failed_first_run_leaves_an_unpublished_store);
		tcase_add_test(tc, failed_install_drops_what_it_created);
		tcase_add_test(tc, killed_install_is_redone);
	}
	suite_add_tcase(s, tc);
	return s;
}
