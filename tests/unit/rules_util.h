/*
 * rules_util.h - helpers the rules suites share (test_rules.c,
 * test_boundary.c): a job built by hand around rule files and translate
 * functions, opening it, running the order rules on a bare key, reading a
 * canonical text field. Header-only (static inline) because the runner
 * links every test_*.c and nothing else.
 */
#ifndef RECON_TEST_RULES_UTIL_H
#define RECON_TEST_RULES_UTIL_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "engine/rules.h"

/* A job with up to 32 sources named after their translate functions. */
struct tjob {
	struct job job;
	struct job_source src[32];
	char *files[8];
	struct job_tolerance tol[2];
};

static inline void tjob_init(struct tjob *t, const char *const *files,
		      const char *const *translates)
{
	memset(t, 0, sizeof(*t));
	t->job.name = (char *)"test";
	for (size_t i = 0; files[i]; i++)
		t->files[t->job.nrule_files++] = (char *)files[i];
	t->job.rule_files = t->files;
	for (size_t i = 0; translates && translates[i]; i++) {
		t->src[i].name = (char *)translates[i];
		t->src[i].translate = (char *)translates[i];
		t->src[i].role = CANON_DEAL;
		t->job.nsources++;
	}
	t->job.sources = t->src;
	t->tol[0].currency = (char *)"EUR";
	t->tol[0].absolute = 100;		/* 0.01 */
	t->tol[1].currency = (char *)"*";
	t->tol[1].absolute = -1;		/* none */
	t->tol[1].rel_ppm = 1000;		/* 0.1 % */
	t->job.tolerances = t->tol;
	t->job.ntolerances = 2;
	t->job.rule_memory = (size_t)4 << 20;
	t->job.rule_instructions = 1000000;
}

static inline struct rules *open_ok(struct tjob *t)
{
	struct error err;
	struct rules *r = NULL;

	error_init(&err);
	if (rules_open(&t->job, &r, &err) < 0)
		ck_abort_msg("rules_open: %s", err.msg.buf);
	error_release(&err);
	return r;
}

/* Open expecting failure; returns the error (caller releases). */
static inline void open_fail(struct tjob *t, struct error *err)
{
	struct rules *r = (struct rules *)1;

	error_init(err);
	ck_assert_int_eq(rules_open(&t->job, &r, err), -1);
	ck_assert_ptr_null(r);
}

/* Run every rule of r on a group with only a key. */
static inline void check_key(struct rules *r, const char *key,
		      struct verdict_list *out)
{
	struct group g = { key, strlen(key), NULL, NULL, 1, NULL, NULL };
	struct error err;

	error_init(&err);
	verdict_list_reset(out);
	ck_assert_int_eq(rules_check(r, &g, out, &err), 0);
	error_release(&err);
}

static inline const char *field(const struct canon *c, enum canon_str f)
{
	static char buf[256];
	size_t n;
	const char *s = canon_get(c, f, &n);

	if (!s)
		return "(unset)";
	snprintf(buf, sizeof(buf), "%.*s", (int)n, s);
	return buf;
}

#endif
