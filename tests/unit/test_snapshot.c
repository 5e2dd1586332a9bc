/*
 * test_snapshot.c - a run's kept report (engine/snapshot.c) on SQLite
 * (DSN recon_test): a report with every part filled (lifecycle, notes,
 * site-defined fields, references, ageing, trend, resolved lines, the
 * CSV options) kept in T_report and read back gives the same bytes from
 * every writer; a report without a lifecycle keeps "no lifecycle" apart
 * from "nothing resolved"; a run without kept lines is told apart from a
 * damaged one; T_report refuses UPDATE and DELETE; a changed, removed or
 * added line is found by snapshot_load and snapshot_verify.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "engine/ledger.h"
#include "engine/snapshot.h"

#define DSN "recon_test"
#define T "snp"
#define ALL (REPORT_CSV | REPORT_HTML | REPORT_XML)

static char tmp[256];

static void setup(void)
{
	mkdir("out", 0755);
	mkdir("out/test", 0755);
	snprintf(tmp, sizeof(tmp), "out/test/snapshot.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[1024];

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_dir(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void teardown(void)
{
	rm_dir(tmp);
}

static void exec_ok(struct conn *c, const char *sql)
{
	struct error err;

	error_init(&err);
	ck_assert_msg(conn_exec(c, sql, NULL, 0, &err) == 0, "%s: %s", sql,
		      err.msg.buf);
	error_release(&err);
}

/* A store connection with a fresh, empty snp_report. */
static struct conn *fresh(void)
{
	struct error err;
	struct conn *c = NULL;

	error_init(&err);
	ck_assert_msg(conn_open(DSN, &c, &err) == 0, "conn_open: %s",
		      err.msg.buf);
	exec_ok(c, "DROP TABLE IF EXISTS snp_report");
	ck_assert_msg(snapshot_ensure(c, T, 1, &err) == 0, "ensure: %s",
		      err.msg.buf);
	/* a second time: there already, nothing done */
	ck_assert_msg(snapshot_ensure(c, T, 1, &err) == 0, "ensure: %s",
		      err.msg.buf);
	error_release(&err);
	return c;
}

static void keep(struct conn *c, const struct report *r, unsigned formats,
		 const char *basename, uint64_t want_lines)
{
	struct error err;
	char head[LEDGER_HEX];
	uint64_t lines = 0;

	error_init(&err);
	ck_assert_msg(conn_begin(c, &err) == 0, "%s", err.msg.buf);
	ck_assert_msg(snapshot_write(c, T, r, formats, basename, head, &lines,
				     &err) == 0, "write: %s", err.msg.buf);
	ck_assert_msg(conn_commit(c, &err) == 0, "%s", err.msg.buf);
	ck_assert_uint_eq(lines, want_lines);
	ck_assert_uint_eq(strlen(head), LEDGER_HEX - 1);
	error_release(&err);
}

static struct snapshot *load_ok(struct conn *c, const char *run_id)
{
	struct error err;
	struct snapshot *s = NULL;

	error_init(&err);
	ck_assert_msg(snapshot_load(c, T, run_id, &s, &err) == 0, "load: %s",
		      err.msg.buf);
	error_release(&err);
	ck_assert_ptr_nonnull(s);
	return s;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long len;

	ck_assert_msg(fp != NULL, "%s: cannot open", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	ck_assert_int_ge(len, 0);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = 0;
	fclose(fp);
	*n = (size_t)len;
	return buf;
}

static const char *const suffixes[] = {
	".csv", "-summary.csv", ".html", ".xml",
};

/* DIR1/BASE* and DIR2/BASE* are the same bytes, for every file. */
static void same_files(const char *d1, const char *d2, const char *base)
{
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
		char p1[512], p2[512];
		size_t n1, n2;
		char *a, *b;

		snprintf(p1, sizeof(p1), "%s/%s%s", d1, base, suffixes[i]);
		snprintf(p2, sizeof(p2), "%s/%s%s", d2, base, suffixes[i]);
		a = slurp(p1, &n1);
		b = slurp(p2, &n2);
		ck_assert_msg(n1 == n2 && memcmp(a, b, n1) == 0,
			      "%s and %s differ (%zu and %zu bytes)", p1, p2, n1,
			      n2);
		free(a);
		free(b);
	}
}

/* r written directly and from its kept lines: the same four files. */
static void roundtrip(struct conn *c, const struct report *r,
		      const char *tag)
{
	struct error err;
	struct snapshot *s;
	char d1[300], d2[300];

	snprintf(d1, sizeof(d1), "%s/%s-direct", tmp, tag);
	snprintf(d2, sizeof(d2), "%s/%s-kept", tmp, tag);
	error_init(&err);
	ck_assert_msg(report_write(r, d1, "base", ALL, NULL, &err) == 0,
		      "%s", err.msg.buf);
	s = load_ok(c, r->run_id);
	ck_assert_uint_eq(s->formats, ALL);
	ck_assert_str_eq(s->basename, "base");
	ck_assert_uint_eq(s->lines, 1 + r->nitems + r->nresolved);
	ck_assert_uint_eq(s->rep.nitems, r->nitems);
	ck_assert_uint_eq(s->rep.nresolved, r->nresolved);
	ck_assert_int_eq(s->rep.resolved == NULL, r->resolved == NULL);
	ck_assert_msg(report_write(&s->rep, d2, "base", ALL, NULL, &err) == 0,
		      "%s", err.msg.buf);
	same_files(d1, d2, "base");
	snapshot_free(s);
	error_release(&err);
}

static const struct report_total eur[] = { { "EUR", "1200.00", 2 } };
static const struct report_total two[] = {
	{ "EUR", "12345.67", 1198 }, { "USD", "-42.10", 3 },
};
static const struct report_source sources[] = {
	{ "erp", "erp", "recon_erp", 1204, 1201, 2, 1, two, 2 },
	{ "deals <crm>", "deal", "crm&co", 10, 10, 0, 0, NULL, 0 },
};
static const struct report_reference refs[] = {
	{ "blocked", "rules/blocked.csv", 3,
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
};
static const struct report_outcome outcomes[] = {
	{ "MATCHED", "order matches deal and ERP", 0, 1100, NULL, 0 },
	{ "AMOUNT_MISMATCH", "amounts differ", 1, 2, eur, 1 },
};
static const struct report_rule_file rule_files[] = {
	{ "rules/orders.lua",
	  "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210" },
};
static const struct report_column columns[] = {
	{ "delivery_date", 0, 0 }, { "weight", 1, 0 }, { "internal", 0, 1 },
};
static const char *const fields1[] = { "2024-05-02", "12.5", "x=1" };
static const char *const fields2[] = { NULL, "-3", NULL };
static const struct report_life life[] = {
	{ "new", "run-9", "2024-05-01T00:00:00Z", 0, NULL, NULL, NULL, NULL,
	  0 },
	{ "reopened", "run-7", "2024-04-20T00:00:00Z", 11, "explained",
	  "credit note </script> follows\nline 2", "A. M\xC3\xBCller",
	  "2024-04-30T10:00:00Z", 1 },
	{ "resolved", "run-3", "2024-04-01T00:00:00Z", 29, NULL, NULL, NULL,
	  NULL, 0 },
};
static const struct report_ageing ageing[REPORT_AGEING_BUCKETS] = {
	{ "0-1", 1, eur, 1 }, { "2-7", 0, NULL, 0 },
	{ "8-30", 1, NULL, 0 }, { "31+", 0, NULL, 0 },
};
static const struct report_trend trend[] = {
	{ "run-7", "2024-04-29T00:00:00Z", 5 },
	{ "run-9", "2024-05-01T00:00:00Z", 2 },
};

static void rich(struct report *r, struct report_item items[2],
		 struct report_item resolved[1])
{
	static const struct report_item a = {
		"AMOUNT_MISMATCH", "error", "K1", "D1", "O1", "O1 | O2",
		"INV-1 | =CN-1", "M\xC3\xBCller GmbH", "EUR", "-12.50", "100",
		"99.99", "<script>alert(1)</script>", "amount_check",
		"rules/amount.lua:12", "deal says \"100\", ERP says 99.99",
		fields1, &life[0], "-0.01", "0.00",
	};
	static const struct report_item b = {
		"=HYPERLINK(\"x\")", "warning", "+1", NULL, "@SUM(A1)", NULL,
		"-INV", "\xE6\xA0\xAA\xE5\xBC\x8F", "\tTAB", NULL, "-1.00", "0.01",
		"a,b", NULL, "\rCR", "line1\r\nline2", fields2, &life[1], NULL,
		NULL,
	};

	memset(r, 0, sizeof(*r));
	r->job = "nightly <&> 'q' \"dq\"";
	r->run_id = "run-10";
	r->as_of = "2024-05-01";
	r->started = "2024-05-01T02:00:00Z";
	r->finished = "2024-05-01T02:03:10Z";
	r->rules_hash = "sha256:abc123";
	r->version = "recon 0.9";
	r->rule_files = rule_files;
	r->nrule_files = 1;
	r->sources = sources;
	r->nsources = 2;
	r->references = refs;
	r->nreferences = 1;
	r->outcomes = outcomes;
	r->noutcomes = 2;
	r->columns = columns;
	r->ncolumns = 3;
	items[0] = a;
	items[1] = b;
	r->items = items;
	r->nitems = 2;
	resolved[0] = a;
	resolved[0].key = "K-RESOLVED";
	resolved[0].fields = NULL;
	resolved[0].life = &life[2];
	r->mode = "incremental";
	r->resolved = resolved;
	r->nresolved = 1;
	r->ageing = ageing;
	r->nageing = REPORT_AGEING_BUCKETS;
	r->trend = trend;
	r->ntrend = 2;
	r->csv_no_bom = 1;
	r->csv_columns = REPORT_CSV_FULL;
}

START_TEST(every_part_roundtrips)
{
	struct report r;
	struct report_item items[2], resolved[1];
	struct conn *c = fresh();

	rich(&r, items, resolved);
	keep(c, &r, ALL, "base", 4);
	roundtrip(c, &r, "rich");
	conn_close(c);
}
END_TEST

/* No lifecycle (resolved NULL), no columns, the default CSV options; and
 * a lifecycle with nothing resolved (resolved non-NULL, 0 of them): the
 * writers tell the two apart, so the kept lines must. Two runs in one
 * table, each read back on its own. */
START_TEST(bare_and_empty_resolved)
{
	struct report r1, r2;
	struct report_item items[2], resolved[1];
	struct conn *c = fresh();

	rich(&r1, items, resolved);
	r1.run_id = "run-1";
	r1.mode = NULL;
	r1.columns = NULL;
	r1.ncolumns = 0;
	items[0].fields = items[1].fields = NULL;
	items[0].life = items[1].life = NULL;
	r1.resolved = NULL;
	r1.nresolved = 0;
	r1.ageing = NULL;
	r1.nageing = 0;
	r1.trend = NULL;
	r1.ntrend = 0;
	r1.references = NULL;
	r1.nreferences = 0;
	r1.csv_no_bom = 0;
	r1.csv_columns = REPORT_CSV_DEFAULT;
	keep(c, &r1, ALL, "base", 3);

	r2 = r1;
	r2.run_id = "run-2";
	r2.mode = "full";
	r2.resolved = resolved;
	r2.nresolved = 0;
	r2.items = NULL;
	r2.nitems = 0;
	keep(c, &r2, ALL, "base", 1);

	roundtrip(c, &r1, "bare");
	roundtrip(c, &r2, "empty");
	conn_close(c);
}
END_TEST

START_TEST(render_to_file_and_stream)
{
	struct report r;
	struct report_item items[2], resolved[1];
	struct conn *c = fresh();
	struct error err;
	struct snapshot *s;
	char direct[300], p[400], q[400];
	enum snapshot_part part;
	struct stat st;
	size_t n1, n2;
	char *a, *b;
	FILE *fp;

	rich(&r, items, resolved);
	keep(c, &r, REPORT_HTML | REPORT_CSV, "job-20240501T000000Z", 4);
	s = load_ok(c, "run-10");
	ck_assert_uint_eq(s->formats, REPORT_HTML | REPORT_CSV);
	snprintf(direct, sizeof(direct), "%s/direct", tmp);
	error_init(&err);
	ck_assert_int_eq(report_write(&r, direct, "job-20240501T000000Z",
				      REPORT_HTML | REPORT_CSV, NULL, &err), 0);

	/* -o FILE: the summary, mode 0640, nothing else left there */
	ck_assert_int_eq(snapshot_part_parse("summary", &part), 0);
	snprintf(p, sizeof(p), "%s/copy.csv", tmp);
	ck_assert_msg(snapshot_render(s, part, p, NULL, NULL, &err) == 0, "%s",
		      err.msg.buf);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
	snprintf(q, sizeof(q), "%s/job-20240501T000000Z-summary.csv", direct);
	a = slurp(p, &n1);
	b = slurp(q, &n2);
	ck_assert(n1 == n2 && memcmp(a, b, n1) == 0);
	free(a);
	free(b);

	/* standard output: the HTML, through a temporary folder removed
	 * again */
	snprintf(p, sizeof(p), "%s/stream.html", tmp);
	fp = fopen(p, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_msg(snapshot_render(s, SNAP_HTML, NULL, fp, tmp, &err) == 0,
		      "%s", err.msg.buf);
	fclose(fp);
	snprintf(q, sizeof(q), "%s/job-20240501T000000Z.html", direct);
	a = slurp(p, &n1);
	b = slurp(q, &n2);
	ck_assert(n1 == n2 && memcmp(a, b, n1) == 0);
	free(a);
	free(b);

	ck_assert_int_eq(snapshot_part_parse("pdf", &part), -1);
	snapshot_free(s);
	error_release(&err);
	conn_close(c);
}
END_TEST

START_TEST(no_kept_report)
{
	struct conn *c = fresh();
	struct error err;
	struct snapshot *s = (struct snapshot *)1;

	error_init(&err);
	ck_assert_int_eq(snapshot_load(c, T, "run-none", &s, &err), 1);
	ck_assert_ptr_null(s);
	/* no table at all: the same answer */
	exec_ok(c, "DROP TABLE snp_report");
	s = (struct snapshot *)1;
	ck_assert_int_eq(snapshot_load(c, T, "run-none", &s, &err), 1);
	ck_assert_ptr_null(s);
	error_release(&err);
	conn_close(c);
}
END_TEST

static void exec_refused(struct conn *c, const char *sql)
{
	struct error err;

	error_init(&err);
	ck_assert_int_eq(conn_exec(c, sql, NULL, 0, &err), -1);
	ck_assert_msg(strstr(err.msg.buf, "recon: snp_report is insert-only"),
		      "%s: %s", sql, err.msg.buf);
	error_release(&err);
}

START_TEST(insert_only)
{
	struct report r;
	struct report_item items[2], resolved[1];
	struct conn *c = fresh();

	rich(&r, items, resolved);
	keep(c, &r, ALL, "base", 4);
	exec_refused(c, "UPDATE snp_report SET line = '{}' WHERE line_no = 1");
	exec_refused(c, "DELETE FROM snp_report WHERE line_no = 3");
	roundtrip(c, &r, "after");
	conn_close(c);
}
END_TEST

struct found {
	unsigned n;
	char first[512];
};

static void on_finding(void *ctx, const char *run_id, const char *what)
{
	struct found *f = ctx;

	if (!f->n++)
		snprintf(f->first, sizeof(f->first), "%s: %s",
			 run_id ? run_id : "?", what);
}

static void verify(struct conn *c, const char *const *runs, size_t nruns,
		   struct found *f, uint64_t want_reports)
{
	struct error err;
	uint64_t reports = 0, lines = 0;

	memset(f, 0, sizeof(*f));
	error_init(&err);
	ck_assert_msg(snapshot_verify(c, T, runs, nruns, on_finding, f,
				      &reports, &lines, &err) == 0, "%s",
		      err.msg.buf);
	ck_assert_uint_eq(reports, want_reports);
	error_release(&err);
}

static void load_refused(struct conn *c, const char *run_id,
			 const char *want)
{
	struct error err;
	struct snapshot *s = NULL;

	error_init(&err);
	ck_assert_int_eq(snapshot_load(c, T, run_id, &s, &err), -1);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(err.code, ERR_VERIFY);
	ck_assert_msg(strstr(err.msg.buf, want), "want '%s' in '%s'", want,
		      err.msg.buf);
	error_release(&err);
}

START_TEST(tampering_found)
{
	static const char *const runs[] = { "run-1", "run-10" };
	struct report r, r1;
	struct report_item items[2], resolved[1];
	struct conn *c = fresh();
	struct found f;

	rich(&r, items, resolved);
	keep(c, &r, ALL, "base", 4);
	r1 = r;
	r1.run_id = "run-1";
	keep(c, &r1, ALL, "base", 4);
	verify(c, runs, 2, &f, 2);
	ck_assert_uint_eq(f.n, 0);

	/* a run T_runs does not have */
	verify(c, runs, 1, &f, 2);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_msg(strstr(f.first, "run-10"), "%s", f.first);

	/* behind the triggers' back: an amount changed */
	exec_ok(c, "DROP TRIGGER snp_report_no_update");
	exec_ok(c, "DROP TRIGGER snp_report_no_delete");
	exec_ok(c, "UPDATE snp_report SET line = replace(line, '99.99', "
		   "'89.99') WHERE run_id = 'run-10' AND line_no = 1");
	load_refused(c, "run-10", "the kept report of run 'run-10', line 1: ");
	verify(c, runs, 2, &f, 2);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_msg(strstr(f.first, "run-10") && strstr(f.first, "line 1"),
		      "%s", f.first);
	/* the other run is still whole */
	snapshot_free(load_ok(c, "run-1"));

	/* a line removed: the next one no longer links */
	exec_ok(c, "DELETE FROM snp_report WHERE run_id = 'run-1' AND "
		   "line_no = 2");
	load_refused(c, "run-1", "the kept report of run 'run-1', line 2: ");
	verify(c, runs, 2, &f, 2);
	ck_assert_uint_eq(f.n, 2);

	/* the last line removed: fewer lines than the header says */
	exec_ok(c, "DELETE FROM snp_report WHERE run_id = 'run-10'");
	r.run_id = "run-10";
	keep(c, &r, ALL, "base", 4);
	exec_ok(c, "DELETE FROM snp_report WHERE run_id = 'run-10' AND "
		   "line_no = 3");
	load_refused(c, "run-10", "has 3 lines, its header says 4");
	conn_close(c);
}
END_TEST

Suite *suite_snapshot(void);
Suite *suite_snapshot(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("kept report");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_part_roundtrips);
	tcase_add_test(tc, bare_and_empty_resolved);
	tcase_add_test(tc, render_to_file_and_stream);
	tcase_add_test(tc, no_kept_report);
	tcase_add_test(tc, insert_only);
	tcase_add_test(tc, tampering_found);
	suite_add_tcase(s, tc);
	return s;
}
