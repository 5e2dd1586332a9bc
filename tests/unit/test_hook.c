/*
 * test_hook.c - the job's hooks (engine/hook.c; <hooks> in engine/job.c).
 *
 * The hooks are small shell scripts written into a temporary folder:
 * one writes its environment, arguments, stdin, open descriptors and a
 * copy of RECON_SUMMARY to files the test then reads; others exit
 * non-zero, hang (with and without ignoring SIGTERM) or print.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/hook.h"
#include "engine/job.h"
#include "engine/mem.h"
#include "engine/run.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/recon-test-hook.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* dir/name with text, mode mode; the path in a static buffer. */
static const char *put(const char *name, const char *text, mode_t mode)
{
	static char path[2][PATH_MAX];
	static int k;
	char *p = path[k++ & 1];
	FILE *f;

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(p, mode), 0);
	return p;
}

/* The whole of dir/name, or NULL if it does not exist; caller frees. */
static char *slurp(const char *name)
{
	char path[PATH_MAX], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* What the hooks log, one line after another. */
static char logged[1 << 16];

static void log_line(void *ctx, const char *line)
{
	size_t n = strlen(logged);

	(void)ctx;
	snprintf(logged + n, sizeof(logged) - n, "%s\n", line);
}

/* A job file in dir with hooks (the XML of <hooks>'s content). */
static const char *job_with(const char *hooks)
{
	char cwd[PATH_MAX], rules[PATH_MAX + 64], text[8192];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(rules, sizeof(rules), "%s/tests/data/jobs/rules/translate.lua",
		 cwd);
	snprintf(text, sizeof(text),
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<job xmlns=\"urn:recon:job:1\" name=\"hooked\">\n"
		 "  <sources>\n"
		 "    <source name=\"d\" role=\"deal\" dsn=\"d\" translate=\"t\"><query>SELECT 1</query></source>\n"
		 "    <source name=\"o\" role=\"order\" dsn=\"o\" translate=\"t\"><query>SELECT 2</query></source>\n"
		 "    <source name=\"e\" role=\"erp\" dsn=\"e\" translate=\"t\"><query>SELECT 3</query></source>\n"
		 "  </sources>\n"
		 "  <rules><file>%s</file></rules>\n"
		 "  <reports dir=\"reports\" formats=\"csv\"/>\n"
		 "  <store dsn=\"store\" table=\"t\"/>\n"
		 "  <hooks>\n%s  </hooks>\n"
		 "</job>\n", rules, hooks);
	return put("job.xml", text, 0644);
}

static const char *const probe =
	"#!/bin/sh\n"
	"# everything the hook was given, for the test to read\n"
	"d=$(dirname \"$0\")\n"
	"env > \"$d/env.txt\"\n"
	"printf '%s\\n' \"$@\" > \"$d/args.txt\"\n"
	"cat > \"$d/stdin.txt\"\n"
	"ls -l /proc/$$/fd/ > \"$d/fds.txt\"\n"
	"cp \"$RECON_SUMMARY\" \"$d/summary.json\"\n"
	"stat -c %a \"$RECON_SUMMARY\" > \"$d/mode.txt\"\n"
	"echo \"$RECON_SUMMARY\" > \"$d/summary-path.txt\"\n"
	"echo 'said on stdout'\n"
	"echo 'said on stderr' >&2\n"
	"exit 0\n";

/* ---- <hooks> in the job file ------------------------------------------ */

START_TEST(job_loads_hooks)
{
	struct job *job = NULL;
	struct error e;

	put("notify.sh", probe, 0755);
	error_init(&e);
	ck_assert_msg(job_load(job_with(
		"    <on-failure program=\"./notify.sh\" timeout=\"30s\">\n"
		"      <arg>--channel</arg><arg>ops room</arg><arg></arg>\n"
		"    </on-failure>\n"
		"    <on-exceptions above=\"100\" program=\"notify.sh\"/>\n"),
		&job, &e) == 0, "%s", e.msg.buf);
	ck_assert_ptr_nonnull(job->on_failure);
	ck_assert_str_eq(job->on_failure->program_name, "notify.sh");
	ck_assert_ptr_nonnull(strstr(job->on_failure->program, "/notify.sh"));
	ck_assert_int_eq(job->on_failure->timeout, 30);
	ck_assert_uint_eq(job->on_failure->nargs, 3);
	ck_assert_str_eq(job->on_failure->args[1], "ops room");
	ck_assert_str_eq(job->on_failure->args[2], "");
	ck_assert_ptr_nonnull(job->on_exceptions);
	ck_assert_uint_eq(job->on_exceptions->above, 100);
	ck_assert_int_eq(job->on_exceptions->above_ppm, -1);
	ck_assert_int_eq(job->on_exceptions->timeout, JOB_DEFAULT_HOOK_TIMEOUT);
	job_free(job);
	job = NULL;
	ck_assert_int_eq(job_load(job_with(
		"    <on-exceptions above-share=\"0.05\" program=\"notify.sh\"/>\n"),
		&job, &e), 0);
	ck_assert_ptr_null(job->on_failure);
	ck_assert_int_eq(job->on_exceptions->above_ppm, 50000);
	job_free(job);
	error_release(&e);
}
END_TEST

/* Each refused with ERR_JOB naming job.xml and the hook's line (12). */
static const struct {
	const char *hooks, *want;
} bad_hooks[] = {
	{ "    <on-failure program=\"missing.sh\"/>\n",
	  "hook program \"missing.sh\"" },
	{ "    <on-failure program=\"plain.txt\"/>\n", "not executable" },
	{ "    <on-failure program=\".\"/>\n", "not a regular file" },
	{ "    <on-failure program=\"notify.sh\" timeout=\"0s\"/>\n",
	  "timeout=\"0s\": expected a duration" },
	{ "    <on-failure program=\"notify.sh\" timeout=\"2h\"/>\n",
	  "timeout=\"2h\"" },
	{ "    <on-exceptions program=\"notify.sh\" above=\"10\" above-share=\"0.1\"/>\n",
	  "not both" },
	{ "    <on-exceptions program=\"notify.sh\" above=\"ten\"/>\n",
	  "above=\"ten\": expected a whole number" },
};

START_TEST(job_refuses_bad_hooks)
{
	struct job *job = NULL;
	struct error e;
	char where[64];

	put("notify.sh", probe, 0755);
	put("plain.txt", "not a program\n", 0644);
	error_init(&e);
	ck_assert_int_eq(job_load(job_with(bad_hooks[_i].hooks), &job, &e), -1);
	ck_assert_ptr_null(job);
	ck_assert_int_eq(e.code, ERR_JOB);
	snprintf(where, sizeof(where), "job.xml:12: ");
	ck_assert_msg(strstr(e.msg.buf, where) &&
		      strstr(e.msg.buf, bad_hooks[_i].want),
		      "got '%s', want '%s' and '%s'", e.msg.buf, where,
		      bad_hooks[_i].want);
	error_release(&e);
}
END_TEST

/* ---- which hook runs ---------------------------------------------------- */

START_TEST(due_by_outcome_and_threshold)
{
	struct job_hook f, x;
	struct job job;
	enum hook_kind k;

	memset(&job, 0, sizeof(job));
	memset(&f, 0, sizeof(f));
	memset(&x, 0, sizeof(x));
	ck_assert_ptr_null(hook_due(&job, 1, 0, 0, &k));
	ck_assert_ptr_null(hook_due(&job, 0, 500, 10, &k));
	job.on_failure = &f;
	job.on_exceptions = &x;
	x.above = 100;
	x.above_ppm = -1;
	ck_assert_ptr_eq(hook_due(&job, 1, 0, 0, &k), &f);
	ck_assert_int_eq(k, HOOK_FAILURE);
	/* a failed run with exceptions is a failure, not an exceptions run */
	ck_assert_ptr_eq(hook_due(&job, 1, 1000, 10, &k), &f);
	ck_assert_ptr_null(hook_due(&job, 0, 100, 1000, &k));	/* not above */
	ck_assert_ptr_eq(hook_due(&job, 0, 101, 1000, &k), &x);
	ck_assert_int_eq(k, HOOK_EXCEPTIONS);
	ck_assert_ptr_null(hook_due(&job, 0, 0, 1000, &k));
	/* a share: more than 5% of the reconciled records */
	x.above_ppm = 50000;
	ck_assert_ptr_null(hook_due(&job, 0, 50, 1000, &k));
	ck_assert_ptr_eq(hook_due(&job, 0, 51, 1000, &k), &x);
	ck_assert_ptr_eq(hook_due(&job, 0, 1, 0, &k), &x);
	/* without <on-exceptions> a success runs nothing */
	job.on_exceptions = NULL;
	ck_assert_ptr_null(hook_due(&job, 0, 1000, 10, &k));
}
END_TEST

/* ---- running one -------------------------------------------------------- */

static struct job_hook hook_at(const char *program, char **args, size_t n)
{
	struct job_hook h;

	memset(&h, 0, sizeof(h));
	h.program = (char *)program;
	h.program_name = (char *)program;
	h.args = args;
	h.nargs = n;
	h.timeout = 10;
	h.above_ppm = -1;
	return h;
}

static struct hook_info failed_run(void)
{
	struct hook_info in;

	memset(&in, 0, sizeof(in));
	in.kind = HOOK_FAILURE;
	in.job = "hooked";
	in.run_id = "20261203T150000Z-0a1b2c3d4e5f";
	in.as_of = "2026-11-26 00:00:00";
	in.mode = "full";
	in.exit_code = 4;
	in.exit_name = "SOURCE";
	in.error = "error[SOURCE]: job 'hooked', source \"crm\": down\n(08001)";
	in.above_ppm = -1;
	return in;
}

static struct hook_spec spec_of(const struct job_hook *h, int64_t timeout_ms,
				int64_t grace_ms)
{
	struct hook_spec s;

	memset(&s, 0, sizeof(s));
	s.hook = h;
	s.name = "on-failure";
	s.timeout_ms = timeout_ms;
	s.grace_ms = grace_ms;
	s.tmpdir = dir;
	return s;
}

START_TEST(env_args_and_summary)
{
	char *args[] = { "--channel", "ops room", "" };
	const char *prog = put("probe.sh", probe, 0755);
	struct job_hook h = hook_at(prog, args, 3);
	struct hook_info in = failed_run();
	struct hook_spec s = spec_of(&h, 10000, 1000);
	struct hook_result r;
	char *env, *json, *argv, *in_text, *mode, *spath, *fds;
	FILE *held;

	logged[0] = '\0';
	setenv("RECON_RECON_CASE_CRM_PWD", "secret-pwd", 1);
	setenv("RECON_RECON_CASE_CRM_UID", "secret-uid", 1);
	setenv("RECON_EXIT_CODE", "99", 1);	/* ours win */
	/* a descriptor the run left open is not the hook's */
	held = fopen(put("held.txt", "a state file, say\n", 0600), "r");
	ck_assert_ptr_nonnull(held);
	ck_assert_int_eq(hook_run(&s, &in, log_line, NULL, &r), 0);
	fclose(held);
	unsetenv("RECON_RECON_CASE_CRM_PWD");
	unsetenv("RECON_RECON_CASE_CRM_UID");
	unsetenv("RECON_EXIT_CODE");
	ck_assert_int_eq(r.status, HOOK_OK);

	env = slurp("env.txt");
	ck_assert_ptr_nonnull(env);
	ck_assert_ptr_nonnull(strstr(env, "RECON_HOOK=failure\n"));
	ck_assert_ptr_nonnull(strstr(env, "RECON_JOB=hooked\n"));
	ck_assert_ptr_nonnull(strstr(env, "RECON_RUN_ID=20261203T150000Z-0a1b2c3d4e5f\n"));
	ck_assert_ptr_nonnull(strstr(env, "RECON_AS_OF=2026-11-26 00:00:00\n"));
	ck_assert_ptr_nonnull(strstr(env, "RECON_MODE=full\n"));
	ck_assert_ptr_nonnull(strstr(env, "RECON_EXIT_CODE=4\n"));
	ck_assert_ptr_null(strstr(env, "RECON_EXIT_CODE=99"));
	ck_assert_ptr_nonnull(strstr(env, "RECON_EXIT_NAME=SOURCE\n"));
	ck_assert_ptr_nonnull(strstr(env, "RECON_EXCEPTIONS=0\n"));
	ck_assert_ptr_nonnull(strstr(env, "RECON_SUMMARY="));
	ck_assert_ptr_nonnull(strstr(env, "PATH="));	/* the parent's */
	ck_assert_ptr_null(strstr(env, "secret-"));	/* no credential */

	argv = slurp("args.txt");
	ck_assert_str_eq(argv, "--channel\nops room\n\n");
	in_text = slurp("stdin.txt");
	ck_assert_str_eq(in_text, "");	/* /dev/null */
	/* the shell's own (its script) and ls's, not ours */
	fds = slurp("fds.txt");
	ck_assert_ptr_nonnull(strstr(fds, " 0 -> /dev/null"));
	ck_assert_msg(!strstr(fds, "held.txt"), "open: %s", fds);
	mode = slurp("mode.txt");
	ck_assert_str_eq(mode, "600\n");

	json = slurp("summary.json");
	ck_assert_ptr_nonnull(json);
	ck_assert_ptr_nonnull(strstr(json, "\"hook\":\"failure\""));
	ck_assert_ptr_nonnull(strstr(json, "\"job\":\"hooked\""));
	ck_assert_ptr_nonnull(strstr(json, "\"exit_code\":4,\"exit_name\":\"SOURCE\""));
	ck_assert_ptr_nonnull(strstr(json, "\"as_of\":\"2026-11-26 00:00:00\""));
	/* the message escaped: quotes and the newline */
	ck_assert_ptr_nonnull(strstr(json, "source \\\"crm\\\": down\\u000a(08001)"));
	ck_assert_ptr_nonnull(strstr(json, "\"published\":false"));
	ck_assert_ptr_nonnull(strstr(json, "\"outcomes\":{}"));
	ck_assert_ptr_nonnull(strstr(json, "\"reports\":[]"));

	/* removed once the hook is over */
	spath = slurp("summary-path.txt");
	spath[strlen(spath) - 1] = '\0';
	ck_assert_ptr_nonnull(strstr(spath, dir));
	ck_assert_int_eq(access(spath, F_OK), -1);

	/* its output logged, prefixed; and how it went */
	ck_assert_ptr_nonnull(strstr(logged, "hook on-failure: said on stdout\n"));
	ck_assert_ptr_nonnull(strstr(logged, "hook on-failure: said on stderr\n"));
	ck_assert_ptr_nonnull(strstr(logged, "exited 0"));
	free(env);
	free(argv);
	free(in_text);
	free(fds);
	free(mode);
	free(json);
	free(spath);
}
END_TEST

START_TEST(summary_of_a_published_run)
{
	struct hook_info in = failed_run();
	struct sbuf sb = SBUF_INIT(1 << 20);

	in.kind = HOOK_EXCEPTIONS;
	in.exit_code = 1;
	in.exit_name = "EXCEPTIONS";
	in.error = NULL;
	in.published = 1;
	in.seq = 7;
	in.exceptions = 120;
	in.reconciled = 1000;
	in.outcomes = "{\"MATCHED\":880,\"AMOUNT_MISMATCH\":120}";
	in.reports = "out/r/a.csv\nout/r/a.html\n";
	in.above = 100;
	ck_assert_int_eq(hook_summary_json(&in, &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"hook\":\"exceptions\""));
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"error\":null"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"published\":true,\"seq\":7,"
				     "\"exceptions\":120,\"reconciled\":1000"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"outcomes\":{\"MATCHED\":880,"
				     "\"AMOUNT_MISMATCH\":120}"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"reports\":[\"out/r/a.csv\","
				     "\"out/r/a.html\"]"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"above\":100}\n"));
	sbuf_reset(&sb);
	in.above_ppm = 50000;
	ck_assert_int_eq(hook_summary_json(&in, &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"above_share\":0.050000}"));
	sbuf_release(&sb);
}
END_TEST

START_TEST(non_zero_exit_is_logged)
{
	const char *prog = put("fails.sh", "#!/bin/sh\necho 'mail: no relay'\n"
			       "exit 3\n", 0755);
	struct job_hook h = hook_at(prog, NULL, 0);
	struct hook_info in = failed_run();
	struct hook_spec s = spec_of(&h, 10000, 1000);
	struct hook_result r;

	logged[0] = '\0';
	ck_assert_int_eq(hook_run(&s, &in, log_line, NULL, &r), -1);
	ck_assert_int_eq(r.status, HOOK_EXIT);
	ck_assert_int_eq(r.code, 3);
	ck_assert_ptr_nonnull(strstr(logged, "hook on-failure: mail: no relay\n"));
	ck_assert_ptr_nonnull(strstr(logged, "exited with status 3"));
	ck_assert_ptr_nonnull(strstr(logged, "the run's exit code stays 4"));
}
END_TEST

START_TEST(cannot_start_is_logged)
{
	const char *prog = put("noexec.sh", "#!/bin/sh\nexit 0\n", 0644);
	struct job_hook h = hook_at(prog, NULL, 0);
	struct hook_info in = failed_run();
	struct hook_spec s = spec_of(&h, 10000, 1000);
	struct hook_result r;

	logged[0] = '\0';
	ck_assert_int_eq(hook_run(&s, &in, log_line, NULL, &r), -1);
	ck_assert_int_eq(r.status, HOOK_NOSTART);
	ck_assert_int_eq(r.err, EACCES);
	ck_assert_ptr_nonnull(strstr(logged, "cannot start"));
	ck_assert_ptr_nonnull(strstr(logged, "Permission denied"));
	/* and a file that is gone by the time the run ends */
	h.program = h.program_name = "/nonexistent/hook";
	logged[0] = '\0';
	ck_assert_int_eq(hook_run(&s, &in, log_line, NULL, &r), -1);
	ck_assert_int_eq(r.status, HOOK_NOSTART);
	ck_assert_int_eq(r.err, ENOENT);
}
END_TEST

START_TEST(hanging_hook_is_stopped_at_its_timeout)
{
	const char *prog = put("hangs.sh", "#!/bin/sh\necho started\n"
			       "exec sleep 1000\n", 0755);
	struct job_hook h = hook_at(prog, NULL, 0);
	struct hook_info in = failed_run();
	struct hook_spec s = spec_of(&h, 300, 5000);
	struct hook_result r;

	logged[0] = '\0';
	ck_assert_int_eq(hook_run(&s, &in, log_line, NULL, &r), -1);
	ck_assert_int_eq(r.status, HOOK_TIMEOUT);
	ck_assert_int_eq(r.sig, SIGTERM);	/* sleep dies of it */
	ck_assert_msg(r.ms >= 300 && r.ms < 2000, "took %lld ms",
		      (long long)r.ms);
	ck_assert_ptr_nonnull(strstr(logged, "hook on-failure: started\n"));
	ck_assert_ptr_nonnull(strstr(logged, "did not finish within its "
				     "timeout of 0.3 s: stopped with SIGTERM"));
}
END_TEST

/* A hook that ignores SIGTERM, with a child of its own: SIGKILL to the
 * whole group after the grace, and the child goes too. */
START_TEST(sigterm_ignored_then_sigkill_to_the_group)
{
	const char *prog = put("stubborn.sh",
			       "#!/bin/sh\ntrap '' TERM\n"
			       "sleep 1000 &\necho $! > \"$(dirname \"$0\")/child.pid\"\n"
			       "while :; do sleep 1; done\n", 0755);
	struct job_hook h = hook_at(prog, NULL, 0);
	struct hook_info in = failed_run();
	struct hook_spec s = spec_of(&h, 300, 300);
	struct hook_result r;
	char *pid_text;
	long child;
	int gone = 0;

	logged[0] = '\0';
	ck_assert_int_eq(hook_run(&s, &in, log_line, NULL, &r), -1);
	ck_assert_int_eq(r.status, HOOK_TIMEOUT);
	ck_assert_int_eq(r.sig, SIGKILL);
	ck_assert_msg(r.ms >= 600 && r.ms < 3000, "took %lld ms",
		      (long long)r.ms);
	ck_assert_ptr_nonnull(strstr(logged, "stopped with SIGKILL"));
	pid_text = slurp("child.pid");
	ck_assert_ptr_nonnull(pid_text);
	child = strtol(pid_text, NULL, 10);
	ck_assert_int_gt(child, 1);
	/* reparented and reaped by init: give it a moment */
	for (int i = 0; i < 100 && !gone; i++) {
		gone = kill((pid_t)child, 0) != 0 && errno == ESRCH;
		if (!gone)
			nanosleep(&(struct timespec){ 0, 20000000L }, NULL);
	}
	ck_assert_msg(gone, "the hook's child %ld outlived it", child);
	free(pid_text);
}
END_TEST

/* hook_after_run: the job's hook by the run's outcome, told the run's
 * exit code; none when the run gives no reason. */
START_TEST(after_run_picks_by_outcome)
{
	const char *prog = put("mark.sh",
			       "#!/bin/sh\nd=$(dirname \"$0\")\n"
			       "echo \"$RECON_HOOK $RECON_EXIT_CODE $RECON_EXIT_NAME "
			       "$RECON_EXCEPTIONS\" >> \"$d/calls.txt\"\n"
			       "exit 5\n", 0755);
	struct job_hook f = hook_at(prog, NULL, 0), x = hook_at(prog, NULL, 0);
	struct job job;
	struct run_result res;
	struct error err;
	char *calls;

	memset(&job, 0, sizeof(job));
	job.name = "hooked";
	job.on_failure = &f;
	job.on_exceptions = &x;
	x.above = 10;
	run_result_init(&res);
	error_init(&err);
	logged[0] = '\0';
	/* clean, and under the threshold: nothing runs */
	ck_assert_int_eq(hook_after_run(&job, &res, &err, 0, dir, log_line,
					NULL), 0);
	res.exceptions = 10;
	ck_assert_int_eq(hook_after_run(&job, &res, &err, 1, dir, log_line,
					NULL), 0);
	ck_assert_ptr_null(slurp("calls.txt"));
	ck_assert_str_eq(logged, "");
	/* above it */
	res.exceptions = 11;
	res.published = 1;
	ck_assert_int_eq(hook_after_run(&job, &res, &err, 1, dir, log_line,
					NULL), -1);
	/* failed */
	error_set(&err, ERR_GUARD, "source 'crm' shrank");
	ck_assert_int_eq(hook_after_run(&job, &res, &err, 8, dir, log_line,
					NULL), -1);
	/* no job (it did not load): nothing */
	ck_assert_int_eq(hook_after_run(NULL, &res, &err, 3, dir, log_line,
					NULL), 0);
	calls = slurp("calls.txt");
	ck_assert_str_eq(calls, "exceptions 1 EXCEPTIONS 11\n"
				"failure 8 GUARD 11\n");
	ck_assert_ptr_nonnull(strstr(logged, "exited with status 5 after"));
	ck_assert_ptr_nonnull(strstr(logged, "the run's exit code stays 8"));
	free(calls);
	run_result_release(&res);
	error_release(&err);
}
END_TEST

Suite *suite_hook(void);
Suite *suite_hook(void)
{
	Suite *s = suite_create("hook");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, job_loads_hooks);
	tcase_add_loop_test(tc, job_refuses_bad_hooks, 0,
			    sizeof(bad_hooks) / sizeof(bad_hooks[0]));
	tcase_add_test(tc, due_by_outcome_and_threshold);
	tcase_add_test(tc, env_args_and_summary);
	tcase_add_test(tc, summary_of_a_published_run);
	tcase_add_test(tc, non_zero_exit_is_logged);
	tcase_add_test(tc, cannot_start_is_logged);
	tcase_add_test(tc, hanging_hook_is_stopped_at_its_timeout);
	tcase_add_test(tc, sigterm_ignored_then_sigkill_to_the_group);
	tcase_add_test(tc, after_run_picks_by_outcome);
	suite_add_tcase(s, tc);
	return s;
}
