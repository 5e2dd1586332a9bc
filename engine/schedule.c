/*
 * schedule.c - the `recon schedule` loop and its crontab/systemd
 * output (see schedule.h, docs/SCHEDULING.md).
 *
 * State: one file per job, STATE_DIR/JOBNAME.schedule, lines "at I
 * EPOCH" (the last slot entry I handled) and "start EPOCH" (the job's
 * last start, for min-gap), rewritten through a temporary name and
 * rename() after every change. No file: the first start, and the
 * entries count from then (nothing is caught up that the scheduler
 * never knew of).
 *
 * The clock is time() or, with RECON_TEST_SCHEDULE_CLOCK=FILE, the
 * time the test writes into FILE ("YYYY-MM-DD HH:MM:SS", UTC): the
 * loop then advances to each event it waits for as soon as FILE says
 * that time has come, and after handling everything up to the file's
 * time writes that time to FILE.seen, so a test drives days in seconds.
 */
#define _XOPEN_SOURCE 700	/* realpath() */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schedule.h"
#include "cron.h"
#include "mem.h"
#include "sched.h"
#include "stop.h"
#include "text.h"
#include "tstamp.h"
#include "../connectors/connector.h"
#include "banned.h"

/* Real time between looks at the children, the stop flag and the
 * test clock's file. */
#define SCHEDULE_TICK_NS 50000000L
#define SCHEDULE_ENTRIES_MAX 64

struct entry {
	struct cron cron;
	int64_t last;		/* last slot handled */
	int64_t busy_logged;	/* the slot a "still running" line named */
};

struct sjob {
	struct job *job;
	const char *path;
	struct entry e[SCHEDULE_ENTRIES_MAX];
	pid_t pid;		/* running child, 0 if none */
	int64_t last_start;	/* -1: none known */
	/* probes */
	struct sbuf *probe;	/* per source: the last value polled */
	int *have;		/* per source: a baseline was taken */
	int64_t next_poll;
	int pending;		/* a probe moved; a start is owed */
};

struct loop {
	const struct schedule_opts *o;
	struct sjob *jobs;
	size_t n;
	const char *clock_file;	/* test clock, or NULL */
	int64_t now;
	struct sbuf line;
};

/* A line of the scheduler's log, about job (NULL: the scheduler). */
static void logf_(struct loop *l, const char *job, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void logf_(struct loop *l, const char *job, const char *fmt, ...)
{
	va_list ap;

	if (!l->o->log)
		return;
	sbuf_reset(&l->line);
	sbuf_addstr(&l->line, "schedule: ");
	va_start(ap, fmt);
	sbuf_vaddf(&l->line, fmt, ap);
	va_end(ap);
	if (!l->line.failed)
		l->o->log(l->o->log_ctx, job, l->line.buf);
}

/* "2026-03-29 01:00:00" for as-of and messages (UTC). */
static const char *utc(int64_t t, struct sbuf *sb)
{
	sbuf_reset(sb);
	if (tstamp_format(t, sb) < 0 || sb->len < 19)
		return "(time)";
	sb->buf[10] = ' ';
	sbuf_setlen(sb, 19);
	return sb->buf;
}

static const char *exit_name(int code)
{
	if (code == 1)
		return "EXCEPTIONS";
	for (int c = 0; c < ERR__COUNT; c++)
		if (error_exit_code((enum err_code)c) == code && c != ERR_RULE)
			return error_name((enum err_code)c);
	return "unknown";
}

/* ---- the clock ------------------------------------------------------- */

static int read_clock_file(const char *path, int64_t *t)
{
	char buf[64];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return tstamp_parse(buf, n, t);
}

static void write_seen(struct loop *l)
{
	struct sbuf p = SBUF_INIT(PATH_MAX), tmp = SBUF_INIT(PATH_MAX);
	struct sbuf t = SBUF_INIT(64);
	FILE *f;

	sbuf_addf(&p, "%s.seen", l->clock_file);
	sbuf_addf(&tmp, "%s.seen.tmp", l->clock_file);
	if (!p.failed && !tmp.failed && (f = fopen(tmp.buf, "w"))) {
		fprintf(f, "%s\n", utc(l->now, &t));
		if (fclose(f) == 0)
			rename(tmp.buf, p.buf);
	}
	sbuf_release(&p);
	sbuf_release(&tmp);
	sbuf_release(&t);
}

static int any_child_exited(struct loop *l)
{
	for (size_t i = 0; i < l->n; i++) {
		siginfo_t si;

		if (l->jobs[i].pid <= 0)
			continue;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)l->jobs[i].pid, &si,
			   WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid != 0)
			return 1;
	}
	return 0;
}

/* Wait until `wake` (-1: no event), a child's exit or a signal; l->now
 * is then the time. */
static void wait_until(struct loop *l, int64_t wake)
{
	struct timespec tick = { 0, SCHEDULE_TICK_NS };

	for (;;) {
		if (stop_signal() || any_child_exited(l))
			return;
		if (l->clock_file) {
			int64_t ft;

			if (read_clock_file(l->clock_file, &ft) == 0) {
				if (wake >= 0 && ft >= wake) {
					l->now = wake > l->now ? wake : l->now;
					return;
				}
				if (ft > l->now) {
					l->now = ft;
					return;
				}
			}
			write_seen(l);
		} else {
			int64_t t = (int64_t)time(NULL);

			if (wake >= 0 && t >= wake) {
				l->now = t;
				return;
			}
		}
		nanosleep(&tick, NULL);
		if (!l->clock_file)
			l->now = (int64_t)time(NULL);
	}
}

/* ---- state ----------------------------------------------------------- */

static void state_path(struct loop *l, const struct sjob *j, struct sbuf *p)
{
	sbuf_reset(p);
	sbuf_addf(p, "%s/%s.schedule", l->o->state_dir, j->job->name);
}

static void state_load(struct loop *l, struct sjob *j)
{
	struct sbuf p = SBUF_INIT(PATH_MAX);
	char buf[128];
	FILE *f;
	int known = 0;

	for (size_t k = 0; k < j->job->nslots; k++) {
		j->e[k].last = -1;
		j->e[k].busy_logged = -1;
	}
	j->last_start = -1;
	state_path(l, j, &p);
	f = p.failed ? NULL : fopen(p.buf, "r");
	while (f && fgets(buf, sizeof(buf), f)) {
		long long a, b;

		if (sscanf(buf, "at %lld %lld", &a, &b) == 2 && a >= 0 &&
		    (size_t)a < j->job->nslots) {
			j->e[a].last = b;
			known = 1;
		} else if (sscanf(buf, "start %lld", &a) == 1) {
			j->last_start = a;
		}
	}
	if (f)
		fclose(f);
	for (size_t k = 0; k < j->job->nslots; k++)
		if (j->e[k].last < 0)
			j->e[k].last = l->now;
	if (!known && j->job->nslots)
		logf_(l, j->job->name,
		      "job '%s': no record of earlier slots (%s): counting "
		      "from now", j->job->name, p.buf);
	sbuf_release(&p);
}

static int mkdirs(const char *dir)
{
	struct sbuf p = SBUF_INIT(PATH_MAX);
	int rc = 0;

	sbuf_addstr(&p, dir);
	for (size_t i = 1; !p.failed && i <= p.len; i++) {
		if (p.buf[i] != '/' && p.buf[i] != '\0')
			continue;
		p.buf[i] = '\0';
		if (mkdir(p.buf, 0777) < 0 && errno != EEXIST)
			rc = -1;
		if (i < p.len)
			p.buf[i] = '/';
	}
	sbuf_release(&p);
	return p.failed ? -1 : rc;
}

static int state_save(struct loop *l, const struct sjob *j, struct error *err)
{
	struct sbuf p = SBUF_INIT(PATH_MAX), tmp = SBUF_INIT(PATH_MAX);
	FILE *f = NULL;
	int rc = -1;

	state_path(l, j, &p);
	sbuf_addf(&tmp, "%s.tmp.%ld", p.buf, (long)getpid());
	if (p.failed || tmp.failed || mkdirs(l->o->state_dir) < 0 ||
	    !(f = fopen(tmp.buf, "w")))
		goto out;
	for (size_t k = 0; k < j->job->nslots; k++)
		fprintf(f, "at %zu %lld\n", k, (long long)j->e[k].last);
	if (j->last_start >= 0)
		fprintf(f, "start %lld\n", (long long)j->last_start);
	if (fclose(f) == 0 && rename(tmp.buf, p.buf) == 0)
		rc = 0;
	f = NULL;
out:
	if (rc < 0) {
		error_set(err, ERR_IO, "job '%s': cannot write the scheduler's "
			  "state file %s: %s", j->job->name, p.buf,
			  strerror(errno));
		unlink(tmp.buf);
	}
	sbuf_release(&p);
	sbuf_release(&tmp);
	return rc;
}

/* ---- children -------------------------------------------------------- */

static int start_run(struct loop *l, struct sjob *j, int64_t asof,
		     int incremental, const char *why, struct error *err)
{
	struct sbuf t = SBUF_INIT(64);
	const char **argv;
	size_t a = 0;
	pid_t pid;

	argv = mem_calloc(l->o->nfwd + 8, sizeof(*argv));
	if (!argv)
		return error_set(err, ERR_NOMEM, "out of memory");
	argv[a++] = "recon";
	argv[a++] = "run";
	argv[a++] = j->path;
	argv[a++] = "--as-of";
	argv[a++] = utc(asof, &t);
	if (incremental)
		argv[a++] = "--incremental";
	for (size_t i = 0; i < l->o->nfwd; i++)
		argv[a++] = l->o->fwd[i];
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		execv(l->o->exe, (char *const *)argv);
		fprintf(stderr, "recon: schedule: cannot run %s: %s\n",
			l->o->exe, strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		error_set(err, ERR_INTERNAL, "job '%s': cannot start a run: %s",
			  j->job->name, strerror(errno));
		mem_free(argv);
		sbuf_release(&t);
		return -1;
	}
	j->pid = pid;
	j->last_start = l->now;
	logf_(l, j->job->name,
	      "job '%s': start%s (%s): recon run %s --as-of '%s'%s, pid %ld",
	      j->job->name, incremental ? " incremental" : "", why, j->path,
	      t.buf, incremental ? " --incremental" : "", (long)pid);
	mem_free(argv);
	sbuf_release(&t);
	return state_save(l, j, err);
}

static void reap(struct loop *l, int block)
{
	for (size_t i = 0; i < l->n; i++) {
		struct sjob *j = &l->jobs[i];
		int st;
		pid_t r;

		if (j->pid <= 0)
			continue;
		do
			r = waitpid(j->pid, &st, block ? 0 : WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			continue;
		if (r > 0 && WIFEXITED(st))
			logf_(l, j->job->name,
			      "job '%s': pid %ld exited %d (%s)",
			      j->job->name, (long)j->pid, WEXITSTATUS(st),
			      exit_name(WEXITSTATUS(st)));
		else if (r > 0 && WIFSIGNALED(st))
			logf_(l, j->job->name,
			      "job '%s': pid %ld killed by signal %d",
			      j->job->name, (long)j->pid, WTERMSIG(st));
		j->pid = 0;
	}
}

/* ---- probes ---------------------------------------------------------- */

/* The first value of source si's <changed> query, as text ("NULL" for
 * NULL, "" for no row), into *v. */
static int probe_one(struct loop *l, const struct job_source *src,
		     struct sbuf *v, struct error *err)
{
	struct sbuf asof = SBUF_INIT(64), ws = SBUF_INIT(64);
	struct param *p;
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	int rc = -1, got;

	p = mem_calloc(src->nchanged_params + 1, sizeof(*p));
	if (!p)
		return error_set(err, ERR_NOMEM, "out of memory");
	utc(l->now, &asof);
	utc(l->now - 0, &ws);
	for (size_t i = 0; i < src->nchanged_params; i++) {
		const struct job_param *jp = &src->changed_params[i];

		if (jp->kind == JP_LITERAL) {
			p[i].s = jp->literal;
			p[i].len = strlen(jp->literal);
		} else {
			struct sbuf *sb = jp->kind == JP_AS_OF ? &asof : &ws;

			p[i].s = sb->buf;
			p[i].len = sb->len;
			p[i].type = PARAM_TIMESTAMP;
		}
	}
	sbuf_reset(v);
	if (conn_open_source(src->dsn, &c, err) < 0 ||
	    cursor_open(c, src->changed_query, p, src->nchanged_params, 1,
			&cur, err) < 0)
		goto out;
	got = cursor_next(cur, &row, err);
	if (got < 0)
		goto out;
	if (got == 1 && row->ncols > 0) {
		const struct value *x = &row->vals[0];

		if (x->type == VAL_NULL)
			sbuf_addstr(v, "NULL");
		else if (x->type == VAL_INT)
			sbuf_add_i64(v, x->i);
		else
			sbuf_add(v, x->s, x->len);
	}
	rc = 0;
out:
	cursor_close(cur);
	conn_close(c);
	mem_free(p);
	sbuf_release(&asof);
	sbuf_release(&ws);
	return rc;
}

static void poll_probes(struct loop *l, struct sjob *j)
{
	struct sbuf v = SBUF_INIT(4096);

	for (size_t si = 0; si < j->job->nsources; si++) {
		const struct job_source *src = &j->job->sources[si];
		struct error e;

		if (!src->changed_query)
			continue;
		error_init(&e);
		if (probe_one(l, src, &v, &e) < 0) {
			struct sbuf m = SBUF_INIT(1 << 16);

			error_format(&e, &m);
			logf_(l, j->job->name,
			      "job '%s': source '%s': the <changed> probe "
			      "failed (polled again in %llds): %s",
			      j->job->name, src->name,
			      (long long)j->job->poll, m.buf ? m.buf : "");
			sbuf_release(&m);
		} else if (!j->have[si]) {
			j->have[si] = 1;
			sbuf_reset(&j->probe[si]);
			sbuf_add(&j->probe[si], v.buf ? v.buf : "", v.len);
			logf_(l, j->job->name,
			      "job '%s': source '%s': probe baseline '%s'",
			      j->job->name, src->name, v.buf ? v.buf : "");
		} else if (v.len != j->probe[si].len ||
			   memcmp(v.buf ? v.buf : "", j->probe[si].buf
				  ? j->probe[si].buf : "", v.len) != 0) {
			logf_(l, j->job->name,
			      "job '%s': source '%s': probe moved from "
			      "'%s' to '%s'", j->job->name, src->name,
			      j->probe[si].buf ? j->probe[si].buf : "",
			      v.buf ? v.buf : "");
			sbuf_reset(&j->probe[si]);
			sbuf_add(&j->probe[si], v.buf ? v.buf : "", v.len);
			j->pending = 1;
		}
		error_release(&e);
	}
	sbuf_release(&v);
}

/* ---- the loop -------------------------------------------------------- */

static int64_t earliest(int64_t a, int64_t b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* Everything due at l->now for job j; *wake lowered to its next event. */
static int step_job(struct loop *l, struct sjob *j, int64_t *wake,
		    struct error *err)
{
	struct sbuf t = SBUF_INIT(64), loc = SBUF_INIT(96);
	int rc = 0;

	for (size_t k = 0; k < j->job->nslots && rc == 0; k++) {
		const struct job_slot *s = &j->job->slots[k];
		struct entry *e = &j->e[k];
		struct sched_decision d;
		char why[160];

		sched_decide(&e->cron, s->zone, s->catch_up, e->last,
			     j->pid > 0, l->now, &d);
		sbuf_reset(&loc);
		if (d.slot >= 0)
			cron_format_local(s->zone, d.slot, &loc);
		switch (d.act) {
		case SCHED_WAIT:
			*wake = earliest(*wake, d.wake);
			break;
		case SCHED_BUSY:
			if (e->busy_logged != d.slot)
				logf_(l, j->job->name,
				      "job '%s': skip: slot %s (\"%s\" %s) "
				      "is due but pid %ld still runs",
				      j->job->name, loc.buf, s->cron, s->zone,
				      (long)j->pid);
			e->busy_logged = d.slot;
			break;
		case SCHED_SKIP:
			logf_(l, j->job->name,
			      "job '%s': skip: %lld missed slot%s up to %s "
			      "(\"%s\" %s, catch-up=\"skip\")", j->job->name,
			      (long long)d.missed, d.missed == 1 ? "" : "s",
			      loc.buf, s->cron, s->zone);
			e->last = d.slot;
			rc = state_save(l, j, err);
			break;
		case SCHED_RUN:
		case SCHED_CATCH_UP:
			if (d.act == SCHED_CATCH_UP)
				logf_(l, j->job->name,
				      "job '%s': catch-up: %lld missed "
				      "slot%s, running once as of the latest, "
				      "%s", j->job->name, (long long)d.missed,
				      d.missed == 1 ? "" : "s", loc.buf);
			snprintf(why, sizeof(why), "slot %s, \"%s\" %s",
				 loc.buf ? loc.buf : "", s->cron, s->zone);
			e->last = d.slot;
			rc = start_run(l, j, d.slot, s->incremental, why, err);
			break;
		}
	}
	if (rc == 0 && j->job->poll > 0) {
		if (l->now >= j->next_poll) {
			poll_probes(l, j);
			j->next_poll = l->now + j->job->poll;
		}
		*wake = earliest(*wake, j->next_poll);
		if (j->pending && j->pid <= 0) {
			int64_t at = j->last_start < 0 ? l->now
				     : j->last_start + j->job->min_gap;

			if (l->now >= at) {
				j->pending = 0;
				rc = start_run(l, j, l->now, 1, "a probe moved",
					       err);
			} else {
				logf_(l, j->job->name,
				      "job '%s': a probe moved; waiting for "
				      "min-gap until %s", j->job->name,
				      utc(at, &t));
				*wake = earliest(*wake, at);
			}
		}
	}
	sbuf_release(&t);
	sbuf_release(&loc);
	return rc;
}

static void stop_children(struct loop *l, int sig)
{
	size_t running = 0;

	for (size_t i = 0; i < l->n; i++)
		running += l->jobs[i].pid > 0;
	logf_(l, NULL,
	      "stopping on %s: no more starts; passing it to %zu running "
	      "run%s", stop_signal_name(sig), running, running == 1 ? "" : "s");
	for (size_t i = 0; i < l->n; i++)
		if (l->jobs[i].pid > 0)
			kill(l->jobs[i].pid, sig);
	reap(l, 1);
	logf_(l, NULL, "stopped");
}

int schedule_loop(struct job *const *jobs, const char *const *paths,
		  size_t n, const struct schedule_opts *o, struct error *err)
{
	struct loop l;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	l.o = o;
	l.n = n;
	sbuf_init(&l.line, 1 << 16);
	l.clock_file = getenv(SCHEDULE_TEST_CLOCK);
	if (l.clock_file && !*l.clock_file)
		l.clock_file = NULL;
	l.now = (int64_t)time(NULL);
	if (l.clock_file && read_clock_file(l.clock_file, &l.now) < 0) {
		sbuf_release(&l.line);
		return error_set(err, ERR_USAGE, "%s=%s: the file must hold "
				 "a time 'YYYY-MM-DD HH:MM:SS'",
				 SCHEDULE_TEST_CLOCK, l.clock_file);
	}
	l.jobs = mem_calloc(n ? n : 1, sizeof(*l.jobs));
	if (!l.jobs) {
		sbuf_release(&l.line);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct sjob *j = &l.jobs[i];
		struct sbuf why = SBUF_INIT(1024);

		j->job = jobs[i];
		j->path = paths[i];
		for (size_t k = 0; k < j->job->nslots; k++)
			if (cron_parse(j->job->slots[k].cron, &j->e[k].cron,
				       &why) < 0)
				rc = error_set(err, ERR_INTERNAL, "job '%s': "
					       "%s", j->job->name, why.buf);
		sbuf_release(&why);
		j->probe = mem_calloc(j->job->nsources, sizeof(*j->probe));
		j->have = mem_calloc(j->job->nsources, sizeof(*j->have));
		if (!j->probe || !j->have)
			rc = error_set(err, ERR_NOMEM, "out of memory");
		for (size_t s = 0; j->probe && s < j->job->nsources; s++)
			sbuf_init(&j->probe[s], 1 << 20);
		j->next_poll = l.now;
		state_load(&l, j);
	}
	logf_(&l, NULL, "started: %zu job%s%s", n, n == 1 ? "" : "s",
	      l.clock_file ? " (test clock " SCHEDULE_TEST_CLOCK ")" : "");
	while (rc == 0) {
		int64_t wake = -1;
		int sig;

		reap(&l, 0);
		if ((sig = stop_signal())) {
			stop_children(&l, sig);
			break;
		}
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = step_job(&l, &l.jobs[i], &wake, err);
		if (rc == 0)
			wait_until(&l, wake);
	}
	if (rc < 0)
		stop_children(&l, SIGTERM);
	for (size_t i = 0; i < n; i++) {
		for (size_t s = 0; l.jobs[i].probe && s < jobs[i]->nsources; s++)
			sbuf_release(&l.jobs[i].probe[s]);
		mem_free(l.jobs[i].probe);
		mem_free(l.jobs[i].have);
	}
	mem_free(l.jobs);
	sbuf_release(&l.line);
	return rc;
}

/* ---- other schedulers ------------------------------------------------ */

/* The absolute path of p (a job file), else p. */
static void abs_path(const char *p, struct sbuf *out)
{
	char *r = realpath(p, NULL);

	sbuf_reset(out);
	sbuf_addstr(out, r ? r : p);
	free(r);	/* realpath's malloc, not ours */
}

static int is_utc(const char *zone)
{
	return strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0 ||
	       strcmp(zone, "Etc/UCT") == 0 || strcmp(zone, "UCT") == 0 ||
	       strcmp(zone, "Zulu") == 0 || strcmp(zone, "Etc/Zulu") == 0;
}

/* The fields of a cron expression, one space apart. */
static void cron_words(const char *expr, struct sbuf *out)
{
	int sp = 0;

	for (const char *s = expr; *s; s++) {
		if (*s == ' ' || *s == '\t') {
			sp = out->len > 0;
			continue;
		}
		if (sp)
			sbuf_addch(out, ' ');
		sp = 0;
		sbuf_addch(out, *s);
	}
}

/* cron takes % in a command as a newline: escape it. */
static void cron_cmd_word(const char *w, struct sbuf *out)
{
	sbuf_addch(out, '\'');
	for (; *w; w++) {
		if (*w == '\'')
			sbuf_addstr(out, "'\\''");
		else if (*w == '%')
			sbuf_addstr(out, "\\%");
		else
			sbuf_addch(out, *w);
	}
	sbuf_addch(out, '\'');
}

int schedule_crontab(struct job *const *jobs, const char *const *paths,
		     size_t n, const char *exe, struct sbuf *out,
		     struct error *err)
{
	struct sbuf p = SBUF_INIT(PATH_MAX);
	const char *ini = getenv("ODBCINI"), *sysini = getenv("ODBCSYSINI");

	sbuf_addstr(out, "# recon schedule --crontab: Debian's cron runs "
		    "every line in its own zone and has\n# no CRON_TZ, so "
		    "only UTC entries are given (run cron with TZ=UTC).\n");
	if (ini)
		sbuf_addf(out, "ODBCINI=%s\n", ini);
	if (sysini)
		sbuf_addf(out, "ODBCSYSINI=%s\n", sysini);
	for (size_t i = 0; i < n; i++) {
		const struct job *job = jobs[i];

		abs_path(paths[i], &p);
		for (size_t k = 0; k < job->nslots; k++) {
			const struct job_slot *s = &job->slots[k];

			if (!is_utc(s->zone)) {
				sbuf_release(&p);
				return error_set(err, ERR_JOB, "%s:%d: job '%s': "
						 "<at zone=\"%s\">: Debian's cron "
						 "has no CRON_TZ and runs every "
						 "line in the daemon's zone, so "
						 "this entry has no crontab line; "
						 "use `recon schedule --systemd` "
						 "(OnCalendar= takes the zone) or "
						 "`recon schedule`, or write the "
						 "entry in UTC", paths[i], s->line,
						 job->name, s->zone);
			}
			sbuf_addf(out, "# job '%s' (%s:%d)\n", job->name,
				  paths[i], s->line);
			cron_words(s->cron, out);
			sbuf_addch(out, ' ');
			cron_cmd_word(exe, out);
			sbuf_addstr(out, " run ");
			cron_cmd_word(p.buf, out);
			if (s->incremental)
				sbuf_addstr(out, " --incremental");
			sbuf_addstr(out, " -q\n");
		}
	}
	sbuf_release(&p);
	return out->failed ? error_set(err, ERR_NOMEM, "out of memory") : 0;
}

/* OnCalendar= lines for s: two when both day fields are restricted
 * (cron takes either, systemd both). */
static void on_calendar(const struct job_slot *s, struct sbuf *out)
{
	struct cron c;
	struct sbuf why = SBUF_INIT(1024);

	if (cron_parse(s->cron, &c, &why) < 0) {
		sbuf_release(&why);
		return;	/* job_load parsed it */
	}
	sbuf_release(&why);
	for (int pass = 0; pass < 2; pass++) {
		struct cron x = c;

		if (!c.dom_star && !c.dow_star)
			pass == 0 ? (void)(x.dow_star = 1) : (void)(x.dom_star = 1);
		else if (pass == 1)
			break;
		sbuf_addstr(out, "OnCalendar=");
		if (!x.dow_star) {
			cron_systemd_field(&x, 4, out);
			sbuf_addch(out, ' ');
		}
		sbuf_addstr(out, "*-");
		cron_systemd_field(&x, 3, out);
		sbuf_addch(out, '-');
		cron_systemd_field(&x, 2, out);
		sbuf_addch(out, ' ');
		cron_systemd_field(&x, 1, out);
		sbuf_addch(out, ':');
		cron_systemd_field(&x, 0, out);
		sbuf_addf(out, ":00 %s\n", s->zone);
	}
}

int schedule_systemd(struct job *const *jobs, const char *const *paths,
		     size_t n, const char *exe, struct sbuf *out,
		     struct error *err)
{
	struct sbuf p = SBUF_INIT(PATH_MAX), unit = SBUF_INIT(256);
	const char *ini = getenv("ODBCINI"), *sysini = getenv("ODBCSYSINI");

	for (size_t i = 0; i < n; i++) {
		const struct job *job = jobs[i];

		abs_path(paths[i], &p);
		for (size_t k = 0; k < job->nslots; k++) {
			const struct job_slot *s = &job->slots[k];

			sbuf_reset(&unit);
			sbuf_addf(&unit, "recon-%s", job->name);
			if (job->nslots > 1)
				sbuf_addf(&unit, "-%zu", k + 1);
			sbuf_addf(out, "# file: %s.service\n[Unit]\n"
				  "Description=recon job %s (%s:%d)\n\n"
				  "[Service]\nType=oneshot\n", unit.buf,
				  job->name, p.buf, s->line);
			if (ini)
				sbuf_addf(out, "Environment=\"ODBCINI=%s\"\n", ini);
			if (sysini)
				sbuf_addf(out, "Environment=\"ODBCSYSINI=%s\"\n",
					  sysini);
			sbuf_addf(out, "ExecStart=\"%s\" run \"%s\"%s -q\n"
				  "# exit 1: published, with exceptions\n"
				  "SuccessExitStatus=1\n\n", exe, p.buf,
				  s->incremental ? " --incremental" : "");
			sbuf_addf(out, "# file: %s.timer\n[Unit]\n"
				  "Description=recon job %s: %s (%s)\n\n"
				  "[Timer]\n", unit.buf, job->name, s->cron,
				  s->zone);
			on_calendar(s, out);
			sbuf_addf(out, "# catch-up=\"%s\"\nPersistent=%s\n"
				  "Unit=%s.service\n\n[Install]\n"
				  "WantedBy=timers.target\n\n",
				  s->catch_up ? "once" : "skip",
				  s->catch_up ? "true" : "false", unit.buf);
		}
	}
	sbuf_release(&p);
	sbuf_release(&unit);
	return out->failed ? error_set(err, ERR_NOMEM, "out of memory") : 0;
}

int schedule_next(struct job *const *jobs, size_t n, int count,
		  int64_t from, struct sbuf *out, struct error *err)
{
	struct sbuf t = SBUF_INIT(64), why = SBUF_INIT(1024);

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < jobs[i]->nslots; k++) {
			const struct job_slot *s = &jobs[i]->slots[k];
			struct cron c;
			int64_t at = from;

			if (cron_parse(s->cron, &c, &why) < 0)
				continue;
			for (int m = 0; m < count; m++) {
				if (cron_next(&c, s->zone, at, &at) < 0)
					break;
				sbuf_addf(out, "%s %zu %s UTC (", jobs[i]->name,
					  k + 1, utc(at, &t));
				cron_format_local(s->zone, at, out);
				sbuf_addstr(out, ")\n");
			}
		}
	}
	sbuf_release(&t);
	sbuf_release(&why);
	return out->failed ? error_set(err, ERR_NOMEM, "out of memory") : 0;
}
