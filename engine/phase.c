/*
 * phase.c - CPU and wall time per phase of a run (see phase.h).
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "phase.h"
#include "banned.h"

#define NSLOT (PH__COUNT + 1)	/* the phases, then "other" (no phase) */
#define OTHER PH__COUNT
#define DEPTH 16		/* deeper pushes are counted, not charged */

struct phase_tls {
	int on;
	int wall;		/* the main thread: its wall time counts */
	int depth;
	uint8_t stack[DEPTH];
	int64_t last_wall, last_cpu;
	int64_t span[NSLOT];	/* wall per slot since the last exact boundary */
	int64_t cpu[NSLOT], wallt[NSLOT];
	uint64_t rows[PH__COUNT];
};

static _Thread_local struct phase_tls tls;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int run_on;		/* set before the fetch threads start */
static struct phase_table run_table;
static int64_t run_cpu0, run_wall0;

static const char *const names[PH__COUNT] = {
	"fetch", "translate", "spill", "match", "rules", "hash", "store",
	"report"
};

const char *phase_name(enum phase_id p)
{
	return (unsigned)p < PH__COUNT ? names[p] : "other";
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int top(void)
{
	return tls.depth ? tls.stack[(tls.depth > DEPTH ? DEPTH : tls.depth) - 1]
			 : OTHER;
}

/* The wall time since the last boundary goes to the phase on top. */
static void charge_wall(void)
{
	int64_t now = clock_ns(CLOCK_MONOTONIC), d = now - tls.last_wall;
	int t = top();

	tls.span[t] += d;
	tls.wallt[t] += d;
	tls.last_wall = now;
}

/* The CPU time since the last exact boundary, shared by wall time among
 * the phases that ran since; rounding goes to the phase on top so that
 * the shares add up to the CPU time exactly. */
static void charge_cpu(void)
{
	int64_t now = clock_ns(CLOCK_THREAD_CPUTIME_ID), d = now - tls.last_cpu;
	int64_t sum = 0, given = 0;

	for (int i = 0; i < NSLOT; i++)
		sum += tls.span[i];
	if (d > 0 && sum > 0)
		for (int i = 0; i < NSLOT; i++) {
			int64_t s = (int64_t)((double)d * (double)tls.span[i] /
					      (double)sum);

			tls.cpu[i] += s;
			given += s;
		}
	if (d > given)
		tls.cpu[top()] += d - given;
	memset(tls.span, 0, sizeof(tls.span));
	tls.last_cpu = now;
}

static void push(enum phase_id p)
{
	if (tls.depth < DEPTH)
		tls.stack[tls.depth] = (uint8_t)p;
	tls.depth++;
}

void phase_push(enum phase_id p)
{
	if (!tls.on)
		return;
	charge_wall();
	charge_cpu();
	push(p);
}

void phase_pop(void)
{
	if (!tls.on || !tls.depth)
		return;
	charge_wall();
	charge_cpu();
	tls.depth--;
}

void phase_fpush(enum phase_id p)
{
	if (!tls.on)
		return;
	charge_wall();
	push(p);
}

void phase_fpop(void)
{
	if (!tls.on || !tls.depth)
		return;
	charge_wall();
	tls.depth--;
}

void phase_rows(enum phase_id p, uint64_t n)
{
	if (tls.on && (unsigned)p < PH__COUNT)
		tls.rows[p] += n;
}

static void tls_start(int wall)
{
	memset(&tls, 0, sizeof(tls));
	tls.on = 1;
	tls.wall = wall;
	tls.last_wall = clock_ns(CLOCK_MONOTONIC);
	tls.last_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* This thread's figures into the run's table. */
static void tls_merge(void)
{
	charge_wall();
	charge_cpu();
	pthread_mutex_lock(&lock);
	for (int i = 0; i < PH__COUNT; i++) {
		run_table.cpu_ns[i] += tls.cpu[i];
		if (tls.wall)
			run_table.wall_ns[i] += tls.wallt[i];
		run_table.rows[i] += tls.rows[i];
	}
	pthread_mutex_unlock(&lock);
	tls.on = 0;
}

void phase_run_begin(int on)
{
	pthread_mutex_lock(&lock);
	memset(&run_table, 0, sizeof(run_table));
	run_on = on;
	pthread_mutex_unlock(&lock);
	memset(&tls, 0, sizeof(tls));
	if (!on)
		return;
	run_cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	run_wall0 = clock_ns(CLOCK_MONOTONIC);
	tls_start(1);
}

void phase_run_end(void)
{
	int64_t cpu, wall;

	if (!tls.on)
		return;
	tls_merge();
	cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	wall = clock_ns(CLOCK_MONOTONIC);
	pthread_mutex_lock(&lock);
	run_table.total_cpu_ns = cpu - run_cpu0;
	run_table.total_wall_ns = wall - run_wall0;
	run_on = 0;
	pthread_mutex_unlock(&lock);
}

void phase_thread_begin(void)
{
	int on;

	pthread_mutex_lock(&lock);
	on = run_on;
	pthread_mutex_unlock(&lock);
	memset(&tls, 0, sizeof(tls));
	if (on)
		tls_start(0);
}

void phase_thread_end(void)
{
	if (tls.on)
		tls_merge();
}

void phase_get(struct phase_table *out)
{
	pthread_mutex_lock(&lock);
	*out = run_table;
	pthread_mutex_unlock(&lock);
}

static int line(struct sbuf *out, const char *name, int64_t cpu, int64_t wall,
		const char *rows, uint64_t rows_read)
{
	return sbuf_addf(out, "%-10s %9.3f %9.3f %12s %9.3f\n", name,
			 (double)cpu / 1e9, (double)wall / 1e9, rows,
			 rows_read ? (double)cpu / 1e3 / (double)rows_read : 0.0);
}

int phase_format(const struct phase_table *t, uint64_t rows_read,
		 struct sbuf *out)
{
	int64_t cpu = 0, wall = 0;
	char n[32];

	sbuf_addf(out, "%-10s %9s %9s %12s %9s\n", "phase", "cpu s", "wall s",
		  "rows", "cpu us/row");
	for (int i = 0; i < PH__COUNT; i++) {
		snprintf(n, sizeof(n), "%llu", (unsigned long long)t->rows[i]);
		line(out, names[i], t->cpu_ns[i], t->wall_ns[i], n, rows_read);
		cpu += t->cpu_ns[i];
		wall += t->wall_ns[i];
	}
	/* other: never below zero, whatever the clocks' rounding */
	line(out, "other", t->total_cpu_ns > cpu ? t->total_cpu_ns - cpu : 0,
	     t->total_wall_ns > wall ? t->total_wall_ns - wall : 0, "", rows_read);
	snprintf(n, sizeof(n), "%llu", (unsigned long long)rows_read);
	return line(out, "total", t->total_cpu_ns, t->total_wall_ns, n, rows_read);
}
