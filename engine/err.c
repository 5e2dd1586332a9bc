/*
 * err.c - struct error and the code table.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "banned.h"

#define ERR_MSG_CAP ((size_t)64 << 10)

/* The one table of codes: name, exit code, description. */
static const struct {
	const char *name;
	int exit_code;
	const char *what;
} err_table[ERR__COUNT] = {
	[ERR_OK]       = { "OK",       0,  "success, no exceptions found" },
	[ERR_USAGE]    = { "USAGE",    2,  "bad command line, or an invalid engine configuration (recon config)" },
	[ERR_JOB]      = { "JOB",      3,  "job file unreadable or invalid" },
	[ERR_RULE]     = { "RULE",     3,  "rule file unreadable or invalid (syntax error, bad registration)" },
	[ERR_SOURCE]   = { "SOURCE",   4,  "a source could not be connected, queried or fetched" },
	[ERR_DATA]     = { "DATA",     5,  "a source value cannot be taken exactly (bad UTF-8, amount overflow, bad date)" },
	[ERR_STORE]    = { "STORE",    6,  "the output store failed; nothing was published" },
	[ERR_REPORT]   = { "REPORT",   7,  "a report could not be written; nothing was published, unless the message says the run was published (its report could not be put in place after the commit: rerun for the same as-of)" },
	[ERR_GUARD]    = { "GUARD",    8,  "a completeness guard refused to publish" },
	[ERR_VERIFY]   = { "VERIFY",   9,  "verification found a record or chain that does not check" },
	[ERR_NOMEM]    = { "NOMEM",    10, "out of memory or over a memory cap" },
	[ERR_INTERNAL] = { "INTERNAL", 11, "internal error (a bug)" },
	[ERR_IO]       = { "IO",       12, "a local work file could not be written (disk full?)" },
	[ERR_INTERRUPTED] = { "INTERRUPTED", 13, "stopped by SIGTERM or SIGINT before the commit; nothing was published" },
	[ERR_LOCKED]   = { "LOCKED",   14, "another run of the job holds its lock on the store (the message names it); nothing was done" },
};

void error_init(struct error *e)
{
	e->code = ERR_OK;
	e->sqlstate[0] = '\0';
	e->native = 0;
	e->line = 0;
	sbuf_init(&e->msg, ERR_MSG_CAP);
	sbuf_init(&e->ctx, ERR_MSG_CAP);
}

void error_release(struct error *e)
{
	sbuf_release(&e->msg);
	sbuf_release(&e->ctx);
	error_init(e);
}

void error_clear(struct error *e)
{
	e->code = ERR_OK;
	e->sqlstate[0] = '\0';
	e->native = 0;
	e->line = 0;
	sbuf_reset(&e->msg);
	sbuf_reset(&e->ctx);
}

int error_set(struct error *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->code != ERR_OK)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	sbuf_vaddf(&e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int error_copy(struct error *dst, const struct error *src)
{
	error_set(dst, src->code, "%s", src->msg.buf);
	dst->line = src->line;
	if (src->sqlstate[0])
		error_sqlstate(dst, src->sqlstate, src->native);
	if (src->ctx.len)
		sbuf_add(&dst->ctx, src->ctx.buf, src->ctx.len);
	return -1;
}

void error_sqlstate(struct error *e, const char *sqlstate, long native)
{
	size_t n;

	if (!e)
		return;
	n = strlen(sqlstate);
	if (n > 5)
		n = 5;
	memcpy(e->sqlstate, sqlstate, n);
	e->sqlstate[n] = '\0';
	e->native = native;
}

int error_context(struct error *e, const char *fmt, ...)
{
	struct sbuf tmp = SBUF_INIT(ERR_MSG_CAP);
	va_list ap;

	if (!e || e->code == ERR_OK)
		return -1;
	va_start(ap, fmt);
	sbuf_vaddf(&tmp, fmt, ap);
	va_end(ap);
	if (e->ctx.len) {
		sbuf_addstr(&tmp, ", ");
		sbuf_add(&tmp, e->ctx.buf, e->ctx.len);
	}
	sbuf_release(&e->ctx);
	e->ctx = tmp;
	return -1;
}

const char *error_name(enum err_code code)
{
	if ((unsigned)code >= ERR__COUNT)
		return "INTERNAL";
	return err_table[code].name;
}

int error_exit_code(enum err_code code)
{
	if ((unsigned)code >= ERR__COUNT)
		return err_table[ERR_INTERNAL].exit_code;
	return err_table[code].exit_code;
}

const char *error_describe(enum err_code code)
{
	if ((unsigned)code >= ERR__COUNT)
		return err_table[ERR_INTERNAL].what;
	return err_table[code].what;
}

void error_format(const struct error *e, struct sbuf *out)
{
	sbuf_addf(out, "error[%s]: ", error_name(e->code));
	if (e->ctx.len)
		sbuf_addf(out, "%s: ", e->ctx.buf);
	if (e->msg.len)
		sbuf_add(out, e->msg.buf, e->msg.len);
	else if (e->msg.failed)
		sbuf_addstr(out, "(message lost: out of memory)");
	if (e->sqlstate[0])
		sbuf_addf(out, " (SQLSTATE %s, native %ld)", e->sqlstate,
			  e->native);
}
