/*
 * runlog.c - the run's progress lines (run_opts.log) and the clock their
 * timings are measured with; shared by every phase (run_int.h).
 */
#include <stdarg.h>
#include <time.h>

#include "run_int.h"
#include "banned.h"

void runlog_printf(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->opts->log)
		return;
	sbuf_reset(&r->line);
	va_start(ap, fmt);
	sbuf_vaddf(&r->line, fmt, ap);
	va_end(ap);
	if (!r->line.failed)
		r->opts->log(r->opts->log_ctx, r->line.buf);
}

double runlog_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
