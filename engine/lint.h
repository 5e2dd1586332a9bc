/*
 * lint.h - `recon check`'s look at the analysts' rule files beyond
 * "does it load" (docs/RULES.md, "Lint").
 *
 * Each rule file is compiled (never run) in the rules' own sandbox and
 * its bytecode read back (lua_dump), so scopes and lines are Lua's own:
 * a global is what Lua compiles as a global. The findings: syntax
 * errors, globals no rule file sets and the sandbox does not have,
 * members the sandbox's libraries do not have (string.fomat), fields
 * the views do not have (o.deal.amout, out.amout, out.fields.X the job
 * does not declare for the role), translate functions the job names and
 * no rule file defines, order rules that never return a value, and
 * literal fail() codes that are the engine's own outcomes or malformed.
 */
#ifndef RECON_LINT_H
#define RECON_LINT_H

#include <stddef.h>

#include "err.h"
#include "job.h"

struct lint_finding {
	char *file;	/* the rule file as the job names it, or the job file */
	int line;	/* 1-based; 0 if none */
	char *kind;	/* "undefined-global", "unknown-field", ... */
	char *message;	/* for people: what is wrong and what to do */
};

struct lint_report {
	struct lint_finding *f;
	size_t n, alloc;
};

void lint_report_init(struct lint_report *rep);
void lint_report_release(struct lint_report *rep);

/* Append one finding (strings copied). Returns 0, or -1 if out of
 * memory (ERR_NOMEM in err). */
int lint_add(struct lint_report *rep, const char *file, int line,
	     const char *kind, const char *message, struct error *err);

/*
 * Lint the job's rule files into rep, in file order, by line. Returns 0
 * (rep->n == 0: nothing found), or -1 on a fatal error in err
 * (ERR_NOMEM, ERR_INTERNAL); what is wrong with the rules is a finding,
 * never an error.
 */
int lint_job(const struct job *job, struct lint_report *rep,
	     struct error *err);

/* "FILE:LINE: KIND: message\n" per finding (no ":LINE" for line 0). */
int lint_format_text(const struct lint_report *rep, struct sbuf *out);

/* The findings as one JSON document, {"job": NAME, "ok": BOOL,
 * "findings": [{"file", "line", "kind", "message"}, ...]}, with a
 * newline; NULL if out of memory. Free with free(). */
char *lint_format_json(const struct lint_report *rep, const char *job_name);

#endif
