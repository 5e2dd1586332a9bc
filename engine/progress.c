/*
 * progress.c - the progress lines of a run's long phases (run_int.h):
 * reading (rows per source and their rate, the time left estimated from
 * the rows the job's last full run read) and matching (records matched,
 * orders checked by the order rules, versions to write).
 *
 * Cheap by construction: the hot loops call progress_tick(), an inline
 * counter; the clock is read every PROGRESS_EVERY calls and a line is
 * made only when opts->progress_interval has passed. The lines go
 * through the run's log (evlog.h): on a terminal (opts->progress_live)
 * as a live line redrawn in place, ended with a newline when the phase
 * ends; otherwise as ordinary info events, one per interval.
 */
#include <string.h>

#include "run_int.h"
#include "store.h"
#include "banned.h"

/* Rows the last full run read over all the job's sources; 0 if it is
 * not known for every one of them (no estimate then). */
static uint64_t last_full_rows(struct run *r)
{
	struct sbuf why = SBUF_INIT(1 << 16);
	uint64_t sum = 0;

	for (size_t i = 0; r->store && i < r->job->nsources; i++) {
		struct ledger_source_totals t;

		sbuf_reset(&why);
		if (store_last_full_totals(r->store, r->job->sources[i].name,
					   &t, &why) != 1) {
			sum = 0;
			break;
		}
		sum += t.read;
	}
	sbuf_release(&why);
	return sum;
}

void progress_begin(struct run *r)
{
	struct progress *p = &r->prog;

	p->on = r->opts->log && r->opts->progress_interval > 0;
	p->tick = 0;
	p->shown = 0;
	if (!p->on)
		return;
	if (!p->line.cap)
		sbuf_init(&p->line, 1 << 16);
	p->t0 = runlog_now();
	p->next = p->t0 + r->opts->progress_interval;
	p->expect = strcmp(r->phase, "read") == 0 ? last_full_rows(r) : 0;
}

/* "1.2 s" under a minute, "3 min 4 s" above. */
static void add_secs(struct sbuf *sb, double s)
{
	if (s < 60)
		sbuf_addf(sb, "%.1f s", s);
	else
		sbuf_addf(sb, "%lld min %lld s", (long long)s / 60,
			  (long long)s % 60);
}

static void line_read(struct run *r, double el)
{
	struct sbuf *sb = &r->prog.line;
	uint64_t rows = 0;

	for (size_t i = 0; i < r->job->nsources; i++) {
		uint64_t n = r->stats[i].read;

		rows += n;
		sbuf_addf(sb, "%s%s %llu rows (%.0f/s)", i ? ", " : "",
			  r->job->sources[i].name, (unsigned long long)n,
			  el > 0 ? (double)n / el : 0.0);
	}
	sbuf_addstr(sb, "; ");
	add_secs(sb, el);
	sbuf_addstr(sb, " elapsed");
	/* the rate so far over the rows the last full run read */
	if (r->prog.expect > rows && rows > 0) {
		sbuf_addstr(sb, ", about ");
		add_secs(sb, el * (double)(r->prog.expect - rows) / (double)rows);
		sbuf_addstr(sb, " left");
	}
}

static void line_match(struct run *r, double el)
{
	struct sbuf *sb = &r->prog.line;

	sbuf_addf(sb, "%llu records matched (%.0f/s), %llu orders checked by "
		  "the order rules, %llu versions to write; ",
		  (unsigned long long)r->records,
		  el > 0 ? (double)r->records / el : 0.0,
		  (unsigned long long)r->checked,
		  (unsigned long long)(r->store ? store_count(r->store) : 0));
	add_secs(sb, el);
	sbuf_addstr(sb, " elapsed");
}

/* Make the phase's line now and hand it to the log. */
static void emit(struct run *r, double now, int done)
{
	struct progress *p = &r->prog;
	struct evlog_event ev;

	sbuf_reset(&p->line);
	sbuf_addstr(&p->line, "progress: ");
	if (strcmp(r->phase, "read") == 0)
		line_read(r, now - p->t0);
	else
		line_match(r, now - p->t0);
	if (p->line.failed)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.level = EVLOG_INFO;
	ev.msg = p->line.buf;
	ev.live = r->opts->progress_live;
	ev.done = done;
	runlog_event(r, &ev);
	p->shown = 1;
}

void progress_poll(struct run *r)
{
	struct progress *p = &r->prog;
	double now;

	p->tick = 0;
	if (!p->on)
		return;
	now = runlog_now();
	if (now < p->next)
		return;
	p->next = now + r->opts->progress_interval;
	emit(r, now, 0);
}

void progress_end(struct run *r)
{
	struct progress *p = &r->prog;

	/* a live line ends with the phase's last figures and a newline;
	 * off a terminal the phase's own summary line says it */
	if (p->on && p->shown && r->opts->progress_live)
		emit(r, runlog_now(), 1);
	p->on = 0;
}
