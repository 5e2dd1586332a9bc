/*
 * err.h - the error struct and the one table of codes, names and exit
 * codes (after curl's Curl_failf and git's strbuf *err).
 *
 * Library code never prints and never exits: it fills a struct error and
 * returns -1. The first error wins; later error_set() calls on a set error
 * are ignored, so the root cause is what the user sees. Outer layers add
 * context ("job 'nightly', source 'erp', row 18234") with
 * error_context(), innermost first, so the message reads outside-in.
 *
 * A reconciliation break (a missing order, an amount mismatch) is data,
 * never an error: it travels as an outcome, not through this struct.
 */
#ifndef RECON_ERR_H
#define RECON_ERR_H

#include "buf.h"

/* Keep in step with the table in err.c and the exit-code table in
 * README.md. */
enum err_code {
	ERR_OK = 0,
	ERR_USAGE,	/* bad command line */
	ERR_JOB,	/* job file unreadable or invalid */
	ERR_RULE,	/* rule file unreadable, syntax error, bad registration */
	ERR_SOURCE,	/* a source cannot be reached, queried or fetched */
	ERR_DATA,	/* a source value the engine cannot take exactly */
	ERR_STORE,	/* the output store failed */
	ERR_REPORT,	/* a report could not be written */
	ERR_GUARD,	/* a completeness guard refused to publish */
	ERR_VERIFY,	/* verification found tampering */
	ERR_NOMEM,	/* out of memory or over a memory cap */
	ERR_INTERNAL,	/* a bug: please report */
	ERR_IO,		/* a local file (spill, temp) could not be written */
	ERR_INTERRUPTED,	/* SIGTERM or SIGINT stopped the run (stop.h) */
	ERR_LOCKED,	/* another run of the job holds its lock (lock.h) */
	ERR__COUNT
};

/* Exit codes that are not errors. */
#define EXIT_CLEAN 0		/* run succeeded, no exceptions */
#define EXIT_EXCEPTIONS 1	/* run succeeded, exceptions reported */

struct error {
	enum err_code code;	/* ERR_OK until the first error_set() */
	char sqlstate[6];	/* ODBC SQLSTATE (5 chars + NUL), "" if none */
	long native;		/* driver-native error code, 0 if none */
	int line;		/* file line (job XML, rule file), 0 if none */
	struct sbuf msg;	/* what went wrong */
	struct sbuf ctx;	/* where: "job 'x', source 'y'" */
};

void error_init(struct error *e);
void error_release(struct error *e);
/* Forget the error so the struct can be reused. */
void error_clear(struct error *e);

/* Record an error unless one is already recorded. Always returns -1 so
 * callers can `return error_set(...)`. */
int error_set(struct error *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copy error src (another thread's, another source's) into the clear
 * error dst: code, message, line, diagnostics, context. Returns -1. */
int error_copy(struct error *dst, const struct error *src);
/* Attach ODBC diagnostics to the (first) error. */
void error_sqlstate(struct error *e, const char *sqlstate, long native);
/* Prepend a context element: error_context(e, "source '%s'", name).
 * Returns -1. Adding context to a clear error does nothing. */
int error_context(struct error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The stable name of a code ("SOURCE"), and its process exit code. */
const char *error_name(enum err_code code);
int error_exit_code(enum err_code code);
/* One-line description of the code for --help and docs. */
const char *error_describe(enum err_code code);

/* "error[SOURCE]: job 'x', source 'y': message (SQLSTATE 08001, native 3)"
 * appended to out. */
void error_format(const struct error *e, struct sbuf *out);

#endif
