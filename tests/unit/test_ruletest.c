/*
 * test_ruletest.c - `recon test`, the analysts' rule tests (ruletest.c):
 * discovery, passing and failing tests and their messages, rule errors,
 * runaway tests, the memory cap, load errors, the test-only globals staying
 * out of the rules, and an allocation fault loop.
 *
 * The job is built by hand (no job file); fixtures live in
 * tests/data/ruletest/ and paths are relative to the repository root,
 * where the unit tests run.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lua.h>

#include "engine/ruletest.h"
#include "engine/rules.h"
#include "engine/mem.h"
#include "hang_guard.h"
#include "rule_msgs.h"

#define DIR "tests/data/ruletest/"

Suite *suite_ruletest(void);

struct tjob {
	struct job job;
	struct job_source src[2];
	char *files[1];
};

static void tjob_init(struct tjob *t, const char *rule_file)
{
	memset(t, 0, sizeof(*t));
	t->job.name = (char *)"ruletest";
	t->files[0] = (char *)rule_file;
	t->job.rule_files = t->files;
	t->job.nrule_files = 1;
	t->src[0].name = (char *)"src";
	t->src[0].translate = (char *)"t_src";
	t->src[0].role = CANON_ORDER;
	t->src[1].name = (char *)"vis";
	t->src[1].translate = (char *)"t_vis";
	t->src[1].role = CANON_DEAL;
	t->job.sources = t->src;
	t->job.nsources = 2;
	t->job.rule_memory = (size_t)4 << 20;
	t->job.rule_instructions = 200000;
}

static const struct ruletest_result *find(const struct ruletest_report *rep,
					  const char *name)
{
	for (size_t i = 0; i < rep->n; i++)
		if (strcmp(rep->r[i].name, name) == 0)
			return &rep->r[i];
	ck_abort_msg("no test '%s' in the report", name);
	return NULL;
}

/* The test failed and its message contains each of the fragments. */
static void failed_with(const struct ruletest_report *rep, const char *name,
			const char *const *frags)
{
	const struct ruletest_result *t = find(rep, name);

	ck_assert_msg(t->message != NULL, "test '%s' passed", name);
	for (size_t i = 0; frags[i]; i++)
		ck_assert_msg(strstr(t->message, frags[i]) != NULL,
			      "test '%s': '%s' not in '%s'", name, frags[i],
			      t->message);
}

static void passed(const struct ruletest_report *rep, const char *name)
{
	const struct ruletest_result *t = find(rep, name);

	ck_assert_msg(t->message == NULL, "test '%s' failed: %s", name,
		      t->message);
}

START_TEST(discover_and_run)
{
	struct tjob t;
	struct ruletest_report rep;
	struct error err;

	tjob_init(&t, DIR "rules.lua");
	error_init(&err);
	ruletest_report_init(&rep);
	ck_assert_msg(ruletest_run(&t.job, NULL, 0, &rep, &err) == 0, "%s",
		      err.msg.buf);
	/* tests/fail_test.lua before tests/pass_test.lua; notes.lua never. */
	ck_assert_uint_eq(rep.n, 12);
	ck_assert_uint_eq(rep.failed, 8);
	ck_assert_uint_eq(rep.passed, 4);
	ck_assert_str_eq(rep.r[0].name, "wrong value");
	ck_assert_str_eq(rep.r[0].where, DIR "tests/fail_test.lua:2");
	ck_assert_str_eq(rep.r[8].name, "key normalised");
	ck_assert_str_eq(rep.r[8].where, DIR "tests/pass_test.lua:2");

	passed(&rep, "key normalised");
	passed(&rep, "skips deleted");
	passed(&rep, "verdicts");
	passed(&rep, "rules stay blind to test globals");

	failed_with(&rep, "wrong value", (const char *const[]){
		DIR "tests/fail_test.lua:5: status: expected \"open\", "
		"got \"fulfilled\"", NULL });
	/* A rule's error names the rule file and line, as in a run. */
	failed_with(&rep, "rule raises in translate", (const char *const[]){
		DIR "rules.lua:11: unknown status Q", NULL });
	failed_with(&rep, "unknown column", (const char *const[]){
		DIR "rules.lua:7: no column 'st' in source 'src' "
		"(columns: id)", NULL });
	failed_with(&rep, "rule raises in check", (const char *const[]){
		DIR "tests/fail_test.lua:17: expected codes {}, got "
		"{RULE_ERROR (" DIR "rules.lua:35: ", "field 'nope'", NULL });
	/* Runaway tests stop at the budget, whether they loop in Lua or
	 * through translate() (the count carries on across yields). */
	failed_with(&rep, "runaway", (const char *const[]){
		DIR "tests/fail_test.lua:22: " BUDGET(200000), NULL });
	failed_with(&rep, "runaway through translate", (const char *const[]){
		DIR "tests/fail_test.lua:26: instruction budget", NULL });
	failed_with(&rep, "memory", (const char *const[]){
		DIR "tests/fail_test.lua:29: " MEMORY(4194304), NULL });
	failed_with(&rep, "expect", (const char *const[]){
		DIR "tests/fail_test.lua:35: expectation failed: one is not "
		"two", NULL });

	ruletest_report_release(&rep);
	error_release(&err);
}
END_TEST


/* check() builds o.erp.docs (the aggregate worked out from them, as in
 * a run) and o.orders from lists; mixing them with counts is refused. */
START_TEST(lists)
{
	static const char *const files[] = { DIR "lists_test.lua" };
	struct tjob t;
	struct ruletest_report rep;
	struct error err;

	tjob_init(&t, DIR "rules.lua");
	error_init(&err);
	ruletest_report_init(&rep);
	ck_assert_msg(ruletest_run(&t.job, files, 1, &rep, &err) == 0, "%s",
		      err.msg.buf);
	ck_assert_uint_eq(rep.n, 4);
	passed(&rep, "docs and orders");
	failed_with(&rep, "erp.docs with a count", (const char *const[]){
		"check(): erp.invoices is worked out from erp.docs, as in a "
		"run; give one or the other", NULL });
	failed_with(&rep, "norders against orders", (const char *const[]){
		"check(): norders = 2, but orders lists 1", NULL });
	failed_with(&rep, "a document's unknown field", (const char *const[]){
		"check(): erp.docs[1] has no field 'custmer'", NULL });
	ruletest_report_release(&rep);
	error_release(&err);
}
END_TEST

/* The site-defined fields of fields/rules.lua's job (the hand-built job
 * plus a <fields> of each type). */
static struct job_field test_fields[] = {
	{ (char *)"region", CFT_TEXT, 1u << CANON_DEAL | 1u << CANON_ORDER, 1, 1 },
	{ (char *)"tax", CFT_MONEY, 1u << CANON_ORDER | 1u << CANON_ERP, 1, 2 },
	{ (char *)"qty", CFT_INTEGER, 1u << CANON_ORDER, 1, 3 },
	{ (char *)"due", CFT_DATE, 1u << CANON_ORDER | 1u << CANON_ERP, 1, 4 },
	{ (char *)"seen", CFT_TIMESTAMP, 1u << CANON_ERP, 1, 5 },
	{ (char *)"flag", CFT_BOOLEAN, 7, 1, 6 },
};

/* translate() shows the fields a rule set (typed, as xfield_push gives
 * them) and check{} builds them from fields = {...} in each record
 * table, with the run's conversions and refusals. */
START_TEST(site_fields)
{
	static const char *const files[] = { DIR "fields/fields_test.lua" };
	struct tjob t;
	struct ruletest_report rep;
	struct error err;

	tjob_init(&t, DIR "fields/rules.lua");
	t.job.fields = test_fields;
	t.job.nfields = sizeof(test_fields) / sizeof(test_fields[0]);
	error_init(&err);
	ruletest_report_init(&rep);
	ck_assert_msg(ruletest_run(&t.job, files, 1, &rep, &err) == 0, "%s",
		      err.msg.buf);
	ck_assert_uint_eq(rep.n, 11);
	passed(&rep, "translate shows the set fields, typed");
	passed(&rep, "no field set: no fields key");
	passed(&rep, "check reads the fields");
	failed_with(&rep, "nested tables are compared", (const char *const[]){
		DIR "fields/fields_test.lua:24: expected {fields = {qty = 8}, "
		"key = \"O3\"}, got {fields = {qty = 7}, key = \"O3\"}", NULL });
	failed_with(&rep, "translate: a bad value", (const char *const[]){
		DIR "fields/rules.lua:16: out.fields.qty = \"7x\": not a whole "
		"number", NULL });
	failed_with(&rep, "translate: undeclared field", (const char *const[]){
		DIR "fields/rules.lua:12: out.fields.colour: no site-defined "
		"field 'colour' for role order (order fields: region (text), "
		"tax (money), qty (integer), due (date), flag (boolean))",
		NULL });
	failed_with(&rep, "translate: field of another role",
		    (const char *const[]){ DIR "fields/rules.lua:14: "
		    "out.fields.seen: field 'seen' is declared for erp, not for "
		    "order; add order to its roles= in <fields>", NULL });
	failed_with(&rep, "check: unknown field", (const char *const[]){
		DIR "fields/fields_test.lua:55: check(): deal.fields.colour: "
		"job 'ruletest' has no site-defined field 'colour' for role "
		"deal (deal fields: region (text), flag (boolean))", NULL });
	failed_with(&rep, "check: field of another role", (const char *const[]){
		DIR "fields/fields_test.lua:59: check(): erp.docs[1].fields.qty: "
		"field 'qty' is declared for order, not for erp; add erp to "
		"its roles= in <fields>", NULL });
	failed_with(&rep, "check: a bad value", (const char *const[]){
		DIR "fields/fields_test.lua:63: check(): orders[1].fields.due = "
		"\"2026-11-01 10:00\": a date field has no time of day", NULL });
	failed_with(&rep, "check: fields not a table", (const char *const[]){
		DIR "fields/fields_test.lua:67: check(): order.fields must be "
		"a table of site-defined fields ({NAME = value, ...}), not a "
		"string", NULL });
	ruletest_report_release(&rep);
	error_release(&err);
}
END_TEST

/* reference(): a test gives the reference rows the rules see, for that
 * test only; key errors raise as in a run. */
START_TEST(reference_rows)
{
	static const char *const files[] = { DIR "ref/ref_test.lua" };
	struct tjob t;
	struct ruletest_report rep;
	struct error err;

	tjob_init(&t, DIR "ref/rules.lua");
	error_init(&err);
	ruletest_report_init(&rep);
	ck_assert_msg(ruletest_run(&t.job, files, 1, &rep, &err) == 0, "%s",
		      err.msg.buf);
	ck_assert_uint_eq(rep.n, 5);
	passed(&rep, "mapped");
	passed(&rep, "integer keys and replacing");
	failed_with(&rep, "each test starts without reference tables",
		    (const char *const[]){ DIR "ref/rules.lua:5: no reference "
		    "table 'customers' in the job (references: none)", NULL });
	failed_with(&rep, "duplicate key", (const char *const[]){
		DIR "ref/ref_test.lua:18: reference 'customers': key 'C1' is "
		"in rows 1 and 2", NULL });
	failed_with(&rep, "columns differ", (const char *const[]){
		DIR "ref/ref_test.lua:22: reference(\"customers\"): row 2 "
		"names other columns than row 1", NULL });
	ruletest_report_release(&rep);

	/* the job's CSV references are loaded for every test */
	{
		static const char *const csv[] = { DIR "ref/csv_test.lua" };
		struct job_reference jr;

		memset(&jr, 0, sizeof(jr));
		jr.name = (char *)"customers";
		jr.key = (char *)"code";
		jr.file = (char *)DIR "ref/customers.csv";
		t.job.references = &jr;
		t.job.nreferences = 1;
		ruletest_report_init(&rep);
		ck_assert_msg(ruletest_run(&t.job, csv, 1, &rep, &err) == 0,
			      "%s", err.msg.buf);
		ck_assert_uint_eq(rep.n, 3);
		ck_assert_uint_eq(rep.passed, 3);
		ruletest_report_release(&rep);
	}
	error_release(&err);
}
END_TEST

START_TEST(given_files)
{
	static const char *const files[] = { DIR "tests/pass_test.lua",
					     DIR "late_test.lua" };
	struct tjob t;
	struct ruletest_report rep;
	struct error err;

	tjob_init(&t, DIR "rules.lua");
	error_init(&err);
	ruletest_report_init(&rep);
	ck_assert_msg(ruletest_run(&t.job, files, 2, &rep, &err) == 0, "%s",
		      err.msg.buf);
	ck_assert_uint_eq(rep.n, 5);
	ck_assert_uint_eq(rep.passed, 4);
	ck_assert_str_eq(rep.r[4].where, DIR "late_test.lua:2");
	failed_with(&rep, "late", (const char *const[]){
		DIR "late_test.lua:3: test(\"later\"): tests can only be "
		"registered while the test files load", NULL });
	ruletest_report_release(&rep);
	error_release(&err);
}
END_TEST

/* A test's own backtracking pattern is stopped by its budget, inside
 * string.match (engine/pattern.c), even behind pcall; the next test runs. */
START_TEST(pattern_budget)
{
	static const char *const files[] = { DIR "pattern_test.lua" };
	struct tjob t;
	struct ruletest_report rep;
	struct error err;

	tjob_init(&t, DIR "rules.lua");
	error_init(&err);
	ruletest_report_init(&rep);
	ck_assert_msg(ruletest_run(&t.job, files, 1, &rep, &err) == 0, "%s",
		      err.msg.buf);
	ck_assert_uint_eq(rep.n, 3);
	ck_assert_uint_eq(rep.failed, 2);
	ck_assert_str_eq(find(&rep, "runaway pattern")->message,
			 DIR "pattern_test.lua:7: "
			 PATTERN_BUDGET(200000, "string.match"));
	ck_assert_str_eq(find(&rep, "runaway pattern behind pcall")->message,
			 DIR "pattern_test.lua:11: "
			 PATTERN_BUDGET(200000, "string.find"));
	passed(&rep, "patterns still work");
	ruletest_report_release(&rep);
	error_release(&err);
}
END_TEST

/* A test file that does not load stops everything: ERR_RULE, file:line. */
static void load_fails(const char *file, const char *want, int line)
{
	const char *const files[] = { file };
	struct tjob t;
	struct ruletest_report rep;
	struct error err;

	tjob_init(&t, DIR "rules.lua");
	error_init(&err);
	ruletest_report_init(&rep);
	ck_assert_int_eq(ruletest_run(&t.job, files, 1, &rep, &err), -1);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_msg(strstr(err.msg.buf, want) != NULL, "'%s' not in '%s'",
		      want, err.msg.buf);
	ck_assert_int_eq(err.line, line);
	ck_assert_uint_eq(rep.n, 0);
	ruletest_report_release(&rep);
	error_release(&err);
}

START_TEST(load_errors)
{
	load_fails(DIR "syntax_test.lua", DIR "syntax_test.lua:4: "
		   "unexpected symbol near ','", 4);
	load_fails(DIR "toplevel_test.lua", DIR "toplevel_test.lua:3: "
		   "attempt to index a nil value", 3);
	load_fails(DIR "dup_test.lua", DIR "dup_test.lua:2: test(\"same\"): "
		   "a test of that name is already registered at "
		   DIR "dup_test.lua:1", 2);
	load_fails(DIR "missing_test.lua", "cannot open test file "
		   DIR "missing_test.lua", 0);
	load_fails(DIR "ref_toplevel_test.lua", DIR "ref_toplevel_test.lua:3: "
		   "reference(\"customers\"): call it inside a test", 3);
}
END_TEST

/* What used to hang stops at the budget, with file:line; xpcall keeps
 * translate() and check() callable (they yield) in f and in the handler. */
START_TEST(hangs)
{
	static const char *const files[] = { DIR "hangs_test.lua" };
	struct tjob t;
	struct ruletest_report rep;
	struct error err;

	hang_guard_start(60);
	tjob_init(&t, DIR "rules.lua");
	error_init(&err);
	ruletest_report_init(&rep);
	ck_assert_msg(ruletest_run(&t.job, files, 1, &rep, &err) == 0, "%s",
		      err.msg.buf);
	ck_assert_uint_eq(rep.n, 7);
	ck_assert_str_eq(find(&rep, "xpcall handler loops")->message,
			 DIR "hangs_test.lua:7: " BUDGET(200000));
	ck_assert_str_eq(find(&rep, "xpcall f and handler loop")->message,
			 DIR "hangs_test.lua:11: " BUDGET(200000));
	ck_assert_str_eq(find(&rep, "close handler loops")->message,
			 DIR "hangs_test.lua:18: " BUDGET(200000));
	ck_assert_str_eq(find(&rep, "close in a failed test")->message,
			 DIR "hangs_test.lua:24: boom");
	passed(&rep, "xpcall around translate");
	passed(&rep, "handler calls check");
	passed(&rep, "no coroutines");
	hang_guard_stop();
	ruletest_report_release(&rep);
	error_release(&err);
}
END_TEST

/* Run with the one test file path: ERR_RULE (exit 3) and exactly msg. */
static void test_file_fails(const char *path, const char *msg)
{
	const char *const files[] = { path };
	struct tjob t;
	struct ruletest_report rep;
	struct error err;

	tjob_init(&t, DIR "rules.lua");
	error_init(&err);
	ruletest_report_init(&rep);
	ck_assert_int_eq(ruletest_run(&t.job, files, 1, &rep, &err), -1);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_int_eq(error_exit_code(err.code), 3);
	ck_assert_str_eq(err.msg.buf, msg);
	ruletest_report_release(&rep);
	error_release(&err);
}

/* A FIFO as a test file is refused before it is read (it used to block);
 * so is Lua bytecode. A byte order mark is skipped, lines stay right. */
START_TEST(test_file_kinds)
{
	char dir[] = "/tmp/recon-test-ruletest-XXXXXX";
	char fifo[64], bc[64], want[256];
	static const char *const bom[] = { DIR "bom_test.lua" };
	struct tjob t;
	struct ruletest_report rep;
	struct error err;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo_test.lua", dir);
	snprintf(bc, sizeof(bc), "%s/bc_test.lua", dir);
	hang_guard_start(20);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	snprintf(want, sizeof(want), "%s: not a regular file (a FIFO); give "
		 "the path of a test file", fifo);
	test_file_fails(fifo, want);
	hang_guard_stop();

	f = fopen(bc, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(LUA_SIGNATURE "T", f);	/* what Lua's loader looks at */
	ck_assert_int_eq(fclose(f), 0);
	snprintf(want, sizeof(want), "%s: is precompiled Lua bytecode, not "
		 "Lua source; test files must be source text", bc);
	test_file_fails(bc, want);
	ck_assert_int_eq(unlink(fifo), 0);
	ck_assert_int_eq(unlink(bc), 0);
	ck_assert_int_eq(rmdir(dir), 0);

	tjob_init(&t, DIR "rules.lua");
	error_init(&err);
	ruletest_report_init(&rep);
	ck_assert_msg(ruletest_run(&t.job, bom, 1, &rep, &err) == 0, "%s",
		      err.msg.buf);
	ck_assert_uint_eq(rep.n, 1);
	ck_assert_str_eq(rep.r[0].where, DIR "bom_test.lua:2");
	ck_assert_str_eq(rep.r[0].message, DIR "bom_test.lua:3: expectation "
			 "failed: line 3");
	ruletest_report_release(&rep);
	error_release(&err);
}
END_TEST

START_TEST(no_tests)
{
	struct tjob t;
	struct ruletest_report rep;
	struct error err;

	tjob_init(&t, DIR "empty/rules.lua");
	t.job.nsources = 1;
	error_init(&err);
	ruletest_report_init(&rep);
	ck_assert_int_eq(ruletest_run(&t.job, NULL, 0, &rep, &err), -1);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_str_eq(err.msg.buf, "no rule tests: no *_test.lua file in "
			 DIR "empty/tests");
	ruletest_report_release(&rep);
	error_release(&err);
}
END_TEST

/* In a run, translate/check/test/expect/at/null do not exist. */
START_TEST(globals_not_in_production)
{
	static const char *const names[] = { "x" };
	struct tjob t;
	struct rules *r = NULL;
	struct error err;
	struct canon rec;
	struct sbuf fail = SBUF_INIT(SBUF_CAP_DEFAULT);
	struct value v = { VAL_TEXT, 0, "y", 1, NULL, 0 };
	struct row row = { 1, names, &v, 1 };
	size_t n;
	const char *s;

	tjob_init(&t, DIR "rules.lua");
	error_init(&err);
	canon_init(&rec);
	ck_assert_int_eq(rules_open(&t.job, &r, &err), 0);
	canon_reset(&rec, CANON_DEAL, 1, 1);
	ck_assert_int_eq(rules_translate(r, 1, &row, &rec, &fail, &err), 1);
	s = canon_get(&rec, CS_NAME, &n);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "nil,nil,nil,nil,nil,nil,nil");
	rules_free(r);
	canon_release(&rec);
	sbuf_release(&fail);
	error_release(&err);
}
END_TEST

START_TEST(fault_loop)
{
	static const char *const files[] = { DIR "tests/pass_test.lua" };
	long step = getenv("RECON_UNDER_VALGRIND") ? 97 : 1;
	struct tjob t;
	long n;

	tjob_init(&t, DIR "rules.lua");
	for (n = 0; n < 1000000; n += step) {
		struct ruletest_report rep;
		struct error err;
		int rc;

		error_init(&err);
		ruletest_report_init(&rep);
		mem_fault_after(n);
		rc = ruletest_run(&t.job, files, 1, &rep, &err);
		mem_fault_off();
		if (rc == 0) {
			ck_assert_uint_eq(rep.passed, 4);
			ck_assert_uint_eq(rep.failed, 0);
			ruletest_report_release(&rep);
			error_release(&err);
			break;
		}
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(err.code == ERR_NOMEM || err.code == ERR_RULE,
			      "n=%ld code %d: %s", n, err.code, err.msg.buf);
		ruletest_report_release(&rep);
		error_release(&err);
	}
	ck_assert_int_gt(n, 10);
	ck_assert_int_lt(n, 1000000);
}
END_TEST

/* The same over the site-defined fields' tests: check{}'s fields and
 * translate()'s fields table allocate (records, the result tables). */
START_TEST(fault_loop_fields)
{
	static const char *const files[] = { DIR "fields/fields_test.lua" };
	long step = getenv("RECON_UNDER_VALGRIND") ? 97 : 1;
	struct tjob t;
	long n;

	tjob_init(&t, DIR "fields/rules.lua");
	t.job.fields = test_fields;
	t.job.nfields = sizeof(test_fields) / sizeof(test_fields[0]);
	for (n = 0; n < 1000000; n += step) {
		struct ruletest_report rep;
		struct error err;
		int rc;

		error_init(&err);
		ruletest_report_init(&rep);
		mem_fault_after(n);
		rc = ruletest_run(&t.job, files, 1, &rep, &err);
		mem_fault_off();
		if (rc == 0) {
			ck_assert_uint_eq(rep.passed, 3);
			ck_assert_uint_eq(rep.failed, 8);
			ruletest_report_release(&rep);
			error_release(&err);
			break;
		}
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(err.code == ERR_NOMEM || err.code == ERR_RULE,
			      "n=%ld code %d: %s", n, err.code, err.msg.buf);
		ruletest_report_release(&rep);
		error_release(&err);
	}
	ck_assert_int_gt(n, 10);
	ck_assert_int_lt(n, 1000000);
}
END_TEST

Suite *suite_ruletest(void)
{
	Suite *s = suite_create("ruletest");
	TCase *tc = tcase_create("ruletest");

	tcase_add_test(tc, discover_and_run);
	tcase_add_test(tc, given_files);
	tcase_add_test(tc, lists);
	tcase_add_test(tc, site_fields);
	tcase_add_test(tc, reference_rows);
	tcase_add_test(tc, pattern_budget);
	tcase_add_test(tc, load_errors);
	tcase_add_test(tc, no_tests);
	tcase_add_test(tc, hangs);
	tcase_add_test(tc, test_file_kinds);
	tcase_add_test(tc, globals_not_in_production);
	tcase_add_test(tc, fault_loop);
	tcase_add_test(tc, fault_loop_fields);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return s;
}
