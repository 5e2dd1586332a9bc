/*
 * sched.c - scheduling decisions (see sched.h).
 */
#include "sched.h"
#include "banned.h"

void sched_decide(const struct cron *c, const char *zone, int catch_up,
		  int64_t last, int running, int64_t now,
		  struct sched_decision *d)
{
	int64_t next, latest, t;

	d->act = SCHED_WAIT;
	d->slot = -1;
	d->missed = 0;
	d->wake = -1;
	if (cron_next(c, zone, last, &next) < 0)
		return;
	if (next > now) {
		d->wake = next;
		return;
	}
	latest = next;
	d->missed = 1;
	while (d->missed < SCHED_COUNT_MAX && cron_next(c, zone, latest, &t) == 0
	       && t <= now) {
		latest = t;
		d->missed++;
	}
	d->slot = latest;
	if (running)
		d->act = SCHED_BUSY;
	else if (d->missed == 1 && now - next <= SCHED_LATE)
		d->act = SCHED_RUN;
	else
		d->act = catch_up ? SCHED_CATCH_UP : SCHED_SKIP;
}
