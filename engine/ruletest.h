/*
 * ruletest.h - `recon test`: run the analysts' tests of their rules.
 *
 * A rule-test file is Lua run in the job's own sandboxed rules state
 * (same rule files, same helpers and lookup tables, same memory cap),
 * with a few extra globals that exist only for test files: test(),
 * translate(), check(), expect(), expect_eq(), expect_codes(), at() and
 * null (see docs/RULES.md, "Testing your rules"). Rules never see them:
 * test files run with their own environment table that falls back to the
 * rules' globals, and a job run never creates it.
 *
 * Each test runs in a coroutine of its own with the production per-call
 * instruction budget; translate() and check() hand their fake row or
 * group to the main thread, which calls rules_translate()/rules_check()
 * exactly as a run does (with a fresh budget of their own), then the test
 * resumes. A failing expectation, a rule error, an exhausted budget or
 * the memory cap fails that test only; the next test still runs.
 */
#ifndef RECON_RULETEST_H
#define RECON_RULETEST_H

#include <stddef.h>

#include "err.h"
#include "job.h"

/* One test's outcome. Strings owned by the report. */
struct ruletest_result {
	char *where;	/* "FILE:LINE" of the test() call */
	char *name;	/* the test's name */
	char *message;	/* NULL if it passed; else "file:line: why" */
};

struct ruletest_report {
	struct ruletest_result *r;	/* in registration order */
	size_t n, alloc;
	size_t passed, failed;
};

void ruletest_report_init(struct ruletest_report *rep);
void ruletest_report_release(struct ruletest_report *rep);

/*
 * Load the job's rules (rules_open) and the test files, then run every
 * test, appending one result per test to rep (which the caller has
 * initialised and releases).
 *
 * files[0..nfiles-1] are the test files to load, in that order; with
 * nfiles == 0 they are every "*_test.lua" in a "tests" folder inside the
 * folder of each rule file, sorted by name (folders in rule-file order,
 * each once).
 *
 * Returns 0 when the tests ran, whatever they found (see rep->failed).
 * Returns -1 with err set when they could not run: ERR_RULE for a rule or
 * test file that does not load (syntax error or top-level error, with
 * file:line), a duplicate test name, or no test files at all; ERR_NOMEM.
 */
int ruletest_run(const struct job *job, const char *const *files,
		 size_t nfiles, struct ruletest_report *rep,
		 struct error *err);

#endif
