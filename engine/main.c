/*
 * main.c - the `recon` command line. The only place that prints for
 * people and the only place that exits; everything else returns errors.
 *
 * Subcommands are a table (name, handler, one-line help), Redis-style.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "job.h"
#include "mem.h"
#include "rules.h"
#include "ruletest.h"
#include "run.h"
#include "../connectors/connector.h"
#include "banned.h"

#define RECON_VERSION "0.1.0"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static int cmd_run(int argc, char **argv);
static int cmd_check(int argc, char **argv);
static int cmd_exit_codes(int argc, char **argv);
static int cmd_test(int argc, char **argv);

static const struct cmd commands[] = {
	{ "run", cmd_run,
	  "run JOB [--as-of 'YYYY-MM-DD HH:MM:SS'] [--report-dir DIR] [--tmpdir DIR] [-q]",
	  "run the job: read, translate, match, check, publish, report" },
	{ "check", cmd_check, "check JOB [--connect]",
	  "validate the job file and load its rules without running; "
	  "--connect also opens every DSN" },
	{ "test", cmd_test, "test JOB [FILE.lua ...]",
	  "run the rule tests (default: every rules folder's tests/*_test.lua); "
	  "exit 3 if any fails" },
	{ "exit-codes", cmd_exit_codes, "exit-codes",
	  "print the table of exit codes" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: recon COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  recon %s\n      %s\n", commands[i].usage,
			commands[i].help);
	fprintf(f, "  recon --help | --version\n\n"
		"DSNs come from the odbc.ini that ODBCINI names; credentials "
		"from odbc.ini or\nRECON_<DSN>_UID / RECON_<DSN>_PWD. "
		"See README.md.\n");
}

static int fail(const struct error *err)
{
	struct sbuf sb = SBUF_INIT(1 << 20);

	error_format(err, &sb);
	fprintf(stderr, "recon: %s\n", sb.buf);
	sbuf_release(&sb);
	return error_exit_code(err->code);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "recon: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see recon --help)\n");
	return error_exit_code(ERR_USAGE);
}

static void log_stderr(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "recon: %s\n", line);
}

static int cmd_run(int argc, char **argv)
{
	struct run_opts opts;
	struct run_result res;
	struct error err;
	struct job *job = NULL;
	const char *path = NULL;
	int quiet = 0, code;

	memset(&opts, 0, sizeof(opts));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--as-of") == 0 && i + 1 < argc)
			opts.as_of = argv[++i];
		else if (strcmp(argv[i], "--report-dir") == 0 && i + 1 < argc)
			opts.report_dir = argv[++i];
		else if (strcmp(argv[i], "--tmpdir") == 0 && i + 1 < argc)
			opts.tmpdir = argv[++i];
		else if (strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else if (argv[i][0] == '-')
			return usage_error("run: unknown option '%s'", argv[i]);
		else if (!path)
			path = argv[i];
		else
			return usage_error("run: one job at a time ('%s')", argv[i]);
	}
	if (!path)
		return usage_error("run: which job?%s", "");
	if (!quiet)
		opts.log = log_stderr;
	error_init(&err);
	run_result_init(&res);
	if (job_load(path, &job, &err) < 0 ||
	    run_job(job, &opts, &res, &err) < 0) {
		code = fail(&err);
		fprintf(stderr, "recon: nothing was published\n");
	} else {
		const char *p = res.report_paths.buf;

		printf("run %s: %llu records, %llu exceptions (%llu rows read)\n",
		       res.run_id.buf, (unsigned long long)res.records,
		       (unsigned long long)res.exceptions,
		       (unsigned long long)res.rows_read);
		while (p && *p) {
			const char *nl = strchr(p, '\n');
			int n = nl ? (int)(nl - p) : (int)strlen(p);

			printf("report: %.*s\n", n, p);
			p = nl ? nl + 1 : NULL;
		}
		printf("store: dsn '%s', table '%s'\n", job->store_dsn,
		       job->store_table);
		code = res.exceptions ? EXIT_EXCEPTIONS : EXIT_CLEAN;
	}
	run_result_release(&res);
	job_free(job);
	error_release(&err);
	return code;
}

static int cmd_check(int argc, char **argv)
{
	struct error err;
	struct job *job = NULL;
	struct rules *rules = NULL;
	const char *path = NULL;
	int connect = 0, code = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--connect") == 0)
			connect = 1;
		else if (argv[i][0] == '-')
			return usage_error("check: unknown option '%s'", argv[i]);
		else if (!path)
			path = argv[i];
		else
			return usage_error("check: one job at a time ('%s')", argv[i]);
	}
	if (!path)
		return usage_error("check: which job?%s", "");
	error_init(&err);
	if (job_load(path, &job, &err) < 0 ||
	    rules_open(job, &rules, &err) < 0) {
		code = fail(&err);
		goto out;
	}
	printf("job '%s': %zu sources, %zu rule files, %zu order rules: ok\n",
	       job->name, job->nsources, job->nrule_files, rules_count(rules));
	if (connect) {
		for (size_t i = 0; i <= job->nsources; i++) {
			const char *dsn = i < job->nsources ? job->sources[i].dsn
							    : job->store_dsn;
			struct conn *c = NULL;

			if (conn_open(dsn, &c, &err) < 0) {
				error_context(&err, "job '%s', %s '%s'", job->name,
					      i < job->nsources ? "source" : "store",
					      i < job->nsources ? job->sources[i].name
								: job->store_table);
				code = fail(&err);
				goto out;
			}
			printf("dsn '%s': connected (%s)\n", dsn, conn_dbms(c));
			conn_close(c);
		}
	}
out:
	rules_free(rules);
	job_free(job);
	error_release(&err);
	return code;
}

static int cmd_test(int argc, char **argv)
{
	struct ruletest_report rep;
	struct error err;
	struct job *job = NULL;
	int code;

	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			return usage_error("test: unknown option '%s'", argv[i]);
	if (argc < 2)
		return usage_error("test: which job?%s", "");
	error_init(&err);
	ruletest_report_init(&rep);
	if (job_load(argv[1], &job, &err) < 0 ||
	    ruletest_run(job, (const char *const *)argv + 2, (size_t)argc - 2,
			 &rep, &err) < 0) {
		code = fail(&err);
	} else {
		for (size_t i = 0; i < rep.n; i++) {
			const struct ruletest_result *t = &rep.r[i];

			if (t->message)
				printf("FAIL %s %s: %s\n", t->where, t->name,
				       t->message);
			else
				printf("ok   %s %s\n", t->where, t->name);
		}
		printf("rules: %zu passed, %zu failed\n", rep.passed, rep.failed);
		code = rep.failed ? error_exit_code(ERR_RULE) : 0;
	}
	ruletest_report_release(&rep);
	job_free(job);
	error_release(&err);
	return code;
}

static int cmd_exit_codes(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("%-4s %-10s %s\n", "code", "name", "meaning");
	printf("%-4d %-10s %s\n", EXIT_CLEAN, "OK", "run succeeded, no exceptions");
	printf("%-4d %-10s %s\n", EXIT_EXCEPTIONS, "EXCEPTIONS",
	       "run succeeded, exceptions reported");
	for (int c = ERR_USAGE; c < ERR__COUNT; c++)
		printf("%-4d %-10s %s\n", error_exit_code((enum err_code)c),
		       error_name((enum err_code)c),
		       error_describe((enum err_code)c));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return error_exit_code(ERR_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("recon %s\n", RECON_VERSION);
		return 0;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
