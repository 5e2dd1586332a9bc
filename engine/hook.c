/*
 * hook.c - running the job's hooks (see hook.h and docs/JOBS.md,
 * "Hooks").
 *
 * fork + execve: the program is never given to a shell, so nothing in
 * the job, the run or the environment is ever parsed as shell text. The
 * child is a process group of its own so that the timeout reaches what
 * it started too (a script's `mail`, `curl`), and so that a Ctrl-C on
 * recon's terminal does not: recon alone decides when a hook is over.
 */
#define _GNU_SOURCE	/* close_range, pipe2, mkostemps */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"
#include "mem.h"
#include "text.h"
#include "banned.h"

extern char **environ;

const char *hook_kind_name(enum hook_kind kind)
{
	return kind == HOOK_FAILURE ? "failure" : "exceptions";
}

const char *hook_element_name(enum hook_kind kind)
{
	return kind == HOOK_FAILURE ? "on-failure" : "on-exceptions";
}

const struct job_hook *hook_due(const struct job *job, int failed,
				uint64_t exceptions, uint64_t reconciled,
				enum hook_kind *kind)
{
	const struct job_hook *h = job->on_exceptions;

	if (failed) {
		*kind = HOOK_FAILURE;
		return job->on_failure;
	}
	*kind = HOOK_EXCEPTIONS;
	if (!h || exceptions == 0)
		return NULL;
	if (h->above_ppm >= 0) {
		/* exceptions / reconciled > ppm / 1e6, in integers (a
		 * count fits 2^44 many times over before this overflows) */
		unsigned __int128 l = (unsigned __int128)exceptions * 1000000u;
		unsigned __int128 r = (unsigned __int128)reconciled *
				      (uint64_t)h->above_ppm;

		return l > r ? h : NULL;
	}
	return exceptions > h->above ? h : NULL;
}

/* ---- the summary ------------------------------------------------------ */

int hook_summary_json(const struct hook_info *in, struct sbuf *out)
{
	const char *p = in->reports;
	int first = 1;

	sbuf_addstr(out, "{\"hook\":");
	text_add_json(out, hook_kind_name(in->kind));
	sbuf_addstr(out, ",\"job\":");
	text_add_json(out, in->job);
	sbuf_addstr(out, ",\"run_id\":");
	text_add_json(out, in->run_id);
	sbuf_addstr(out, ",\"as_of\":");
	text_add_json(out, in->as_of);
	sbuf_addstr(out, ",\"mode\":");
	text_add_json(out, in->mode);
	sbuf_addf(out, ",\"exit_code\":%d,\"exit_name\":", in->exit_code);
	text_add_json(out, in->exit_name);
	sbuf_addstr(out, ",\"error\":");
	if (in->error)
		text_add_json(out, in->error);
	else
		sbuf_addstr(out, "null");
	sbuf_addf(out, ",\"published\":%s,\"seq\":%llu,\"exceptions\":%llu,"
		  "\"reconciled\":%llu,\"versions\":%llu,\"removed\":%llu,"
		  "\"rows_read\":%llu,\"outcomes\":%s,\"reports\":[",
		  in->published ? "true" : "false",
		  (unsigned long long)in->seq,
		  (unsigned long long)in->exceptions,
		  (unsigned long long)in->reconciled,
		  (unsigned long long)in->records,
		  (unsigned long long)in->removed,
		  (unsigned long long)in->rows_read,
		  in->outcomes && *in->outcomes ? in->outcomes : "{}");
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *one = n ? mem_strndup(p, n) : NULL;

		if (n && !one)
			return -1;
		if (one) {
			if (!first)
				sbuf_addch(out, ',');
			first = 0;
			text_add_json(out, one);
			mem_free(one);
		}
		p = nl ? nl + 1 : NULL;
	}
	sbuf_addch(out, ']');
	if (in->kind == HOOK_EXCEPTIONS) {
		if (in->above_ppm >= 0)
			sbuf_addf(out, ",\"above_share\":%lld.%06lld",
				  (long long)(in->above_ppm / 1000000),
				  (long long)(in->above_ppm % 1000000));
		else
			sbuf_addf(out, ",\"above\":%llu",
				  (unsigned long long)in->above);
	}
	sbuf_addstr(out, "}\n");
	return out->failed ? -1 : 0;
}

/* Write the summary to a new 0600 file in tmpdir; its path into *path
 * (reset first). 0, or -1 with errno set. */
static int write_summary(const char *tmpdir, const struct hook_info *in,
			 struct sbuf *path)
{
	struct sbuf json = SBUF_INIT((size_t)16 << 20);
	size_t off = 0;
	int fd, e = 0;

	if (!tmpdir || !*tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	sbuf_reset(path);
	sbuf_addf(path, "%s/recon-hook-%ld-XXXXXX.json", tmpdir, (long)getpid());
	if (path->failed || hook_summary_json(in, &json) < 0) {
		sbuf_release(&json);
		errno = ENOMEM;
		return -1;
	}
	/* mkostemps creates it 0600: the summary names the run's error,
	 * which may quote a source's message */
	fd = mkostemps(path->buf, 5, O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		sbuf_release(&json);
		errno = e;
		return -1;
	}
	while (off < json.len) {
		ssize_t w = write(fd, json.buf + off, json.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 && !e)
		e = errno;
	sbuf_release(&json);
	if (e) {
		unlink(path->buf);
		errno = e;
		return -1;
	}
	return 0;
}

/* ---- the environment ---------------------------------------------------- */

/* The variables a hook is given, in make_env()'s order. */
#define HOOK_NVARS 9
static const char *const hook_vars[HOOK_NVARS] = {
	"RECON_HOOK", "RECON_JOB", "RECON_RUN_ID", "RECON_AS_OF",
	"RECON_MODE", "RECON_EXIT_CODE", "RECON_EXIT_NAME",
	"RECON_EXCEPTIONS", "RECON_SUMMARY",
};

/* 1 for a variable the hook must not inherit: one of ours (set anew)
 * or a credential (RECON_<DSN>_UID, RECON_<DSN>_PWD): a notification
 * program has no business with the sources' passwords. */
static int env_dropped(const char *v)
{
	const char *eq = strchr(v, '=');
	size_t n = eq ? (size_t)(eq - v) : strlen(v);

	if (n < 6 || memcmp(v, "RECON_", 6) != 0)
		return 0;
	if (n > 10 && (memcmp(v + n - 4, "_UID", 4) == 0 ||
		       memcmp(v + n - 4, "_PWD", 4) == 0))
		return 1;
	for (size_t i = 0; i < HOOK_NVARS; i++)
		if (strlen(hook_vars[i]) == n && memcmp(v, hook_vars[i], n) == 0)
			return 1;
	return 0;
}

/* envp for the hook: environ's kept entries (borrowed) and ours (in
 * *mine, which owns them; HOOK_NVARS of them). NULL on out of memory. */
static char **make_env(const struct hook_info *in, const char *summary,
		       char **mine)
{
	size_t n = 0, k = 0;
	char **envp;
	struct sbuf sb = SBUF_INIT(1 << 20);
	char code[24], exc[24];
	const char *val[HOOK_NVARS];

	snprintf(code, sizeof(code), "%d", in->exit_code);
	snprintf(exc, sizeof(exc), "%llu", (unsigned long long)in->exceptions);
	val[0] = hook_kind_name(in->kind);
	val[1] = in->job;
	val[2] = in->run_id;
	val[3] = in->as_of;
	val[4] = in->mode;
	val[5] = code;
	val[6] = in->exit_name;
	val[7] = exc;
	val[8] = summary;
	while (environ && environ[n])
		n++;
	envp = mem_calloc(n + HOOK_NVARS + 1, sizeof(*envp));
	if (!envp)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!env_dropped(environ[i]))
			envp[k++] = environ[i];
	for (size_t i = 0; i < HOOK_NVARS; i++) {
		sbuf_reset(&sb);
		sbuf_addf(&sb, "%s=%s", hook_vars[i], val[i] ? val[i] : "");
		mine[i] = sb.failed ? NULL : mem_strdup(sb.buf);
		if (!mine[i]) {
			for (size_t j = 0; j < i; j++)
				mem_free(mine[j]);
			mem_free(envp);
			sbuf_release(&sb);
			return NULL;
		}
		envp[k++] = mine[i];
	}
	sbuf_release(&sb);
	return envp;
}

/* ---- the child ---------------------------------------------------------- */

/* After fork, before execve: only async-signal-safe calls. Never
 * returns. */
static void child(const char *prog, char **argv, char **envp, int devnull,
		  int out, int errp)
{
	struct sigaction sa;
	sigset_t none;
	int e;

	setpgid(0, 0);
	/* recon's SIGTERM/SIGINT handlers and blocked signals are not the
	 * hook's: default actions, nothing blocked (ignored signals would
	 * survive execve) */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int s = 1; s < NSIG; s++)
		(void)sigaction(s, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		goto fail;
	/* Everything else recon has open (the store's and sources' sockets
	 * if a driver kept any, state and spill files, the lock) closes at
	 * execve; errp is close-on-exec already and tells the parent that
	 * execve worked by closing. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
		struct rlimit rl;
		int max = 65536;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 65536)
			max = (int)rl.rlim_cur;
		for (int fd = 3; fd < max; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	execve(prog, argv, envp);
fail:
	e = errno;
	while (write(errp, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* ---- the parent ---------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The hook's output, split into lines for the log. */
struct hook_out {
	const char *name;	/* "on-failure" */
	void (*log)(void *ctx, const char *line);
	void *ctx;
	struct sbuf line;	/* the unfinished line */
	size_t total;		/* bytes read */
	int dropped;		/* the "further output dropped" line logged */
};

static void out_emit(struct hook_out *o)
{
	struct sbuf sb = SBUF_INIT(HOOK_LINE_MAX + 256);

	if (o->log && o->total <= HOOK_OUTPUT_MAX) {
		sbuf_addf(&sb, "hook %s: ", o->name);
		text_add_clean(&sb, o->line.buf, o->line.len, HOOK_LINE_MAX);
		if (!sb.failed)
			o->log(o->ctx, sb.buf);
	}
	sbuf_release(&sb);
	sbuf_reset(&o->line);
}

static void out_add(struct hook_out *o, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		o->total++;
		if (o->total > HOOK_OUTPUT_MAX) {
			if (!o->dropped && o->log) {
				struct sbuf sb = SBUF_INIT(1 << 10);

				sbuf_addf(&sb, "hook %s: (output over %zu KB: "
					  "the rest is not logged)", o->name,
					  HOOK_OUTPUT_MAX >> 10);
				o->log(o->ctx, sb.buf);
				sbuf_release(&sb);
			}
			o->dropped = 1;
			return;
		}
		if (p[i] == '\n') {
			out_emit(o);
		} else if (o->line.len < HOOK_LINE_MAX) {
			sbuf_addch(&o->line, p[i]);
		}
	}
}

/* Read what the pipe has within wait_ms; 1 at end of file (or error). */
static int out_read(struct hook_out *o, int fd, int wait_ms)
{
	struct pollfd pf = { fd, POLLIN, 0 };
	char buf[4096];
	int k = poll(&pf, 1, wait_ms);
	ssize_t n;

	if (k <= 0)
		return 0;	/* nothing yet, or EINTR: the caller loops */
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (n == 0)
		return 1;
	out_add(o, buf, (size_t)n);
	return 0;
}

/* Wait for the child, reading its output, until it exits or the clock
 * passes deadline (then 0; 1 once it exited, with *status). */
static int wait_until(pid_t pid, int fd, int *eof, int64_t deadline,
		      struct hook_out *o, int *status)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid) {
			/* what it wrote before it exited; not what a
			 * process it left behind writes later */
			while (!*eof && out_read(o, fd, 0) == 0) {
				struct pollfd pf = { fd, POLLIN, 0 };

				if (poll(&pf, 1, 0) <= 0)
					break;
			}
			return 1;
		}
		if (left <= 0)
			return 0;
		if (*eof) {
			struct timespec ts = { 0, 20 * 1000000L };

			nanosleep(&ts, NULL);
		} else if (out_read(o, fd, left < 50 ? (int)left : 50)) {
			*eof = 1;
		}
	}
}

static void log_f(void (*log)(void *, const char *), void *ctx,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void log_f(void (*log)(void *, const char *), void *ctx,
		  const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT(1 << 16);
	va_list ap;

	if (!log)
		return;
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (!sb.failed)
		log(ctx, sb.buf);
	sbuf_release(&sb);
}

/* Start the child; its pid, or -1 with res filled (HOOK_NOSTART). */
static pid_t start(const struct hook_spec *spec, char **argv, char **envp,
		   int *outfd, struct hook_result *res)
{
	int out[2], errp[2], devnull, e = 0;
	pid_t pid;
	ssize_t n;

	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0) {
		res->err = errno;
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) != 0) {
		res->err = errno;
		close(devnull);
		return -1;
	}
	if (pipe2(errp, O_CLOEXEC) != 0) {
		res->err = errno;
		close(devnull);
		close(out[0]);
		close(out[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0)
		child(spec->hook->program, argv, envp, devnull, out[1], errp[1]);
	e = errno;
	close(devnull);
	close(out[1]);
	close(errp[1]);
	if (pid < 0) {
		res->err = e;
		close(out[0]);
		close(errp[0]);
		return -1;
	}
	/* both sides, so the group exists before either relies on it */
	(void)setpgid(pid, pid);
	/* execve worked when the close-on-exec pipe closes unwritten */
	do
		n = read(errp[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	if (n == (ssize_t)sizeof(e)) {
		int st;

		res->err = e;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		close(out[0]);
		return -1;
	}
	*outfd = out[0];
	return pid;
}

int hook_run(const struct hook_spec *spec, const struct hook_info *info,
	     void (*log)(void *ctx, const char *line), void *ctx,
	     struct hook_result *res)
{
	const struct job_hook *h = spec->hook;
	struct hook_out o;
	struct sbuf summary = SBUF_INIT(1 << 16);
	char *mine[HOOK_NVARS] = { NULL };
	char **argv = NULL, **envp = NULL;
	int64_t t0 = now_ms();
	int fd = -1, eof = 0, status = 0, have_summary, rc = -1;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->status = HOOK_NOSTART;
	memset(&o, 0, sizeof(o));
	o.name = spec->name;
	o.log = log;
	o.ctx = ctx;
	sbuf_init(&o.line, HOOK_LINE_MAX + 1);

	have_summary = write_summary(spec->tmpdir, info, &summary) == 0;
	if (!have_summary)
		log_f(log, ctx, "warning: hook %s: cannot write its summary "
		      "file %s: %s; RECON_SUMMARY is empty", spec->name,
		      summary.len ? summary.buf : "(tmpdir)", strerror(errno));
	envp = make_env(info, have_summary ? summary.buf : "", mine);
	argv = mem_calloc(h->nargs + 2, sizeof(*argv));
	if (!envp || !argv) {
		res->err = ENOMEM;
		goto report;
	}
	argv[0] = h->program;
	for (size_t i = 0; i < h->nargs; i++)
		argv[i + 1] = h->args[i];
	pid = start(spec, argv, envp, &fd, res);
	if (pid < 0)
		goto report;
	if (wait_until(pid, fd, &eof, t0 + spec->timeout_ms, &o, &status)) {
		res->status = WIFEXITED(status) ? (WEXITSTATUS(status) ? HOOK_EXIT
								 : HOOK_OK)
						: HOOK_SIGNALED;
		res->code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
		res->sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	} else {
		/* the whole group: what the program started goes too */
		res->status = HOOK_TIMEOUT;
		res->sig = SIGTERM;
		if (kill(-pid, SIGTERM) != 0)
			(void)kill(pid, SIGTERM);
		if (!wait_until(pid, fd, &eof, now_ms() + spec->grace_ms, &o,
				&status)) {
			res->sig = SIGKILL;
			if (kill(-pid, SIGKILL) != 0)
				(void)kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
		}
	}
	/* what is left of the group (the program exited, its children
	 * not) after a timeout: SIGKILL, so nothing outlives the bound */
	if (res->status == HOOK_TIMEOUT)
		(void)kill(-pid, SIGKILL);
	if (o.line.len)
		out_emit(&o);
	close(fd);
report:
	res->ms = now_ms() - t0;
	switch (res->status) {
	case HOOK_OK:
		log_f(log, ctx, "hook %s (%s): exited 0 in %.1f s", spec->name,
		      h->program_name, (double)res->ms / 1000);
		rc = 0;
		break;
	case HOOK_EXIT:
		log_f(log, ctx, "warning: hook %s (%s) exited with status %d "
		      "after %.1f s; the run's exit code stays %d", spec->name,
		      h->program_name, res->code, (double)res->ms / 1000,
		      info->exit_code);
		break;
	case HOOK_SIGNALED:
		log_f(log, ctx, "warning: hook %s (%s) died of signal %d (%s) "
		      "after %.1f s; the run's exit code stays %d", spec->name,
		      h->program_name, res->sig, strsignal(res->sig),
		      (double)res->ms / 1000, info->exit_code);
		break;
	case HOOK_TIMEOUT:
		log_f(log, ctx, "warning: hook %s (%s) did not finish within its "
		      "timeout of %.1f s: stopped with %s%s; the run's exit "
		      "code stays %d", spec->name, h->program_name,
		      (double)spec->timeout_ms / 1000,
		      res->sig == SIGKILL ? "SIGKILL" : "SIGTERM",
		      res->sig == SIGKILL ? " (it outlived SIGTERM's grace)" : "",
		      info->exit_code);
		break;
	case HOOK_NOSTART:
		log_f(log, ctx, "warning: hook %s (%s): cannot start %s: %s; the "
		      "run's exit code stays %d", spec->name, h->program_name,
		      h->program, strerror(res->err), info->exit_code);
		break;
	}
	if (have_summary)
		unlink(summary.buf);
	for (size_t i = 0; i < HOOK_NVARS; i++)
		mem_free(mine[i]);
	mem_free(envp);
	mem_free(argv);
	sbuf_release(&o.line);
	sbuf_release(&summary);
	return rc;
}

int hook_after_run(const struct job *job, const struct run_result *res,
		   const struct error *err, int exit_code, const char *tmpdir,
		   void (*log)(void *ctx, const char *line), void *ctx)
{
	struct hook_info in;
	struct hook_spec spec;
	struct hook_result hr;
	struct sbuf msg = SBUF_INIT(1 << 20);
	const struct job_hook *h;
	enum hook_kind kind;
	int failed = err->code != ERR_OK, rc;

	if (!job || !(h = hook_due(job, failed, res->exceptions,
				   res->reconciled, &kind)))
		return 0;
	memset(&in, 0, sizeof(in));
	in.kind = kind;
	in.job = job->name;
	in.run_id = res->run_id.buf;
	in.as_of = res->as_of.buf;
	in.mode = res->mode ? res->mode : "full";
	in.exit_code = exit_code;
	in.exit_name = failed ? error_name(err->code)
			      : res->exceptions ? "EXCEPTIONS" : "OK";
	if (failed) {
		error_format(err, &msg);
		in.error = msg.failed ? "(message lost: out of memory)" : msg.buf;
	}
	in.published = res->published;
	in.exceptions = res->exceptions;
	in.reconciled = res->reconciled;
	in.records = res->records;
	in.removed = res->removed;
	in.rows_read = res->rows_read;
	in.seq = res->seq;
	in.outcomes = res->outcomes.buf;
	in.reports = res->report_paths.buf;
	in.above = h->above;
	in.above_ppm = h->above_ppm;
	memset(&spec, 0, sizeof(spec));
	spec.hook = h;
	spec.name = hook_element_name(kind);
	spec.timeout_ms = h->timeout * 1000;
	spec.grace_ms = HOOK_GRACE_MS;
	spec.tmpdir = tmpdir;
	rc = hook_run(&spec, &in, log, ctx, &hr);
	sbuf_release(&msg);
	return rc;
}
