/*
 * runlog.c - the run's log events (run_opts.log; evlog.h), the phase they
 * belong to, and the clock their timings are measured with; shared by
 * every phase (run_int.h).
 */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "run_int.h"
#include "banned.h"

void runlog_event(struct run *r, const struct evlog_event *ev)
{
	struct evlog_event e = *ev;

	if (!r->opts->log)
		return;
	if (!e.phase)
		e.phase = r->phase;
	if (!e.run)
		e.run = r->run_id.buf;
	r->opts->log(r->opts->log_ctx, &e);
}

void runlog_printf(struct run *r, const char *fmt, ...)
{
	struct evlog_event ev;
	va_list ap;

	if (!r->opts->log)
		return;
	sbuf_reset(&r->line);
	va_start(ap, fmt);
	sbuf_vaddf(&r->line, fmt, ap);
	va_end(ap);
	if (r->line.failed)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.level = strncmp(r->line.buf, "warning: ", 9) == 0 ? EVLOG_WARNING
							     : EVLOG_INFO;
	ev.msg = r->line.buf;
	runlog_event(r, &ev);
}

void runlog_phase(struct run *r, const char *phase)
{
	r->phase = phase;
}

double runlog_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
