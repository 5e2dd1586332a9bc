/*
 * sched.h - when a scheduled job is due: a pure function of the
 * schedule entry, the clock and the last slot handled, so that every
 * decision `recon schedule` makes is unit-tested without a clock.
 *
 * "Handled" means started, or skipped by catch-up="skip". After
 * downtime (or while the previous run still ran) several slots may be
 * due at once: catch-up="once" runs the job once, as of the latest of
 * them, never once per missed slot; catch-up="skip" skips them all and
 * waits for the next. A slot seen within SCHED_LATE seconds of its time
 * is on time, not missed.
 */
#ifndef RECON_SCHED_H
#define RECON_SCHED_H

#include <stdint.h>

#include "cron.h"

/* A slot seen this late is still on time (the loop wakes at a slot's
 * second; a busy machine may be a little late). */
#define SCHED_LATE 60
/* Most missed slots counted (a minutely job down for a year). */
#define SCHED_COUNT_MAX 1000000

enum sched_act {
	SCHED_WAIT,	/* nothing due; wake at .wake (-1: never) */
	SCHED_RUN,	/* start as of .slot */
	SCHED_CATCH_UP,	/* .missed slots were missed: start once as of .slot */
	SCHED_SKIP,	/* .missed slots were missed and are skipped up to .slot */
	SCHED_BUSY	/* due, but the previous run still runs: start nothing */
};

struct sched_decision {
	enum sched_act act;
	int64_t slot;	/* the slot to start as of, or the last one skipped */
	int64_t missed;	/* slots due at once (1 for an on-time start) */
	int64_t wake;	/* SCHED_WAIT: the next slot */
};

/*
 * Decide for entry (c, zone, catch_up) at now, the last slot handled
 * being `last` (epoch seconds; the caller starts from its first "now"
 * when it knows of none) and `running` whether its previous run still
 * runs. The caller records .slot as handled after RUN, CATCH_UP and
 * SKIP, and nothing after BUSY (the slot stays due).
 */
void sched_decide(const struct cron *c, const char *zone, int catch_up,
		  int64_t last, int running, int64_t now,
		  struct sched_decision *d);

#endif
