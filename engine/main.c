/*
 * main.c - the `recon` command line. The only place that prints for
 * people and the only place that exits; everything else returns errors.
 *
 * Subcommands are a table (name, handler, one-line help), Redis-style.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "evlog.h"
#include "explain.h"
#include "file.h"
#include "hook.h"
#include "incr.h"
#include "lock.h"
#include "job.h"
#include "lifecycle.h"
#include "lint.h"
#include "mem.h"
#include "phase.h"
#include "rowfp.h"
#include "rules.h"
#include "ruletest.h"
#include "run.h"
#include "schedule.h"
#include "shadow.h"
#include "stop.h"
#include "store.h"
#include "text.h"
#include "tstamp.h"
#include "verify.h"
#include "notes.h"
#include "snapshot.h"
#include "version.h"
#include "xlate.h"
#include "ref.h"
#include "../connectors/connector.h"
#include "banned.h"

struct cmd {
	const char *name;
	/* config: the --config FILE given before the command, or NULL */
	int (*fn)(const char *config, int argc, char **argv);
	const char *usage;
	const char *help;
};

/* --stats: where the run's time went (engine/phase.h), on stderr after
 * everything else, so stdout and the reports are the same with it. */
static void print_stats(uint64_t rows_read)
{
	struct phase_table t;
	struct sbuf out = SBUF_INIT(1 << 16);

	phase_get(&t);
	phase_format(&t, rows_read, &out);
	if (!out.failed)
		fputs(out.buf, stderr);
	sbuf_release(&out);
}

static int cmd_run(const char *config, int argc, char **argv);
static int cmd_check(const char *config, int argc, char **argv);
static int cmd_exit_codes(const char *config, int argc, char **argv);
static int cmd_test(const char *config, int argc, char **argv);
static int cmd_verify(const char *config, int argc, char **argv);
static int cmd_digest(const char *config, int argc, char **argv);
static int cmd_history(const char *config, int argc, char **argv);
static int cmd_runs(const char *config, int argc, char **argv);
static int cmd_diff(const char *config, int argc, char **argv);
static int cmd_note(const char *config, int argc, char **argv);
static int cmd_notes(const char *config, int argc, char **argv);
static int cmd_schedule(const char *config, int argc, char **argv);
static int cmd_config(const char *config, int argc, char **argv);
static int cmd_report(const char *config, int argc, char **argv);
static int cmd_explain(const char *config, int argc, char **argv);
static int cmd_shadow(const char *config, int argc, char **argv);

static const struct cmd commands[] = {
	{ "run", cmd_run,
	  "run JOB [--as-of 'YYYY-MM-DD HH:MM:SS'] [--report-dir DIR] [--tmpdir DIR]\n"
	  "          [--accept-shrink SOURCE]... [--incremental] [--state-dir DIR] [--stats]\n"
	  "          [--retranslate]\n"
	  "          [--jobs K|auto] [--config FILE] [--lock-wait SECONDS]\n          [--keep-inputs N] [-q]\n"
	  "          [--log-format text|json] [--log-file FILE]",
	  "run the job: read, translate, match, check, publish, report" },
	{ "check", cmd_check, "check JOB [--connect] [--json]",
	  "validate the job file, lint its rule files (file:line for each "
	  "finding; --json: one JSON document for editors) and load them "
	  "without running; exit 3 if a rule file has a finding; "
	  "--connect also opens every DSN and checks that an existing store "
	  "has the job's format and declared columns" },
	{ "test", cmd_test, "test JOB [FILE.lua ...]",
	  "run the rule tests (default: every rules folder's tests/*_test.lua); "
	  "exit 3 if any fails" },
	{ "verify", cmd_verify, "verify JOB [--digest FILE] [-q]",
	  "recompute every hash, chain and run digest of the job's store; "
	  "--digest also checks it against a digest exported earlier; "
	  "exit 9 if anything is wrong" },
	{ "digest", cmd_digest, "digest JOB RUN_ID > FILE",
	  "verify the store, then print the digest chain up to RUN_ID, to keep "
	  "where the store's owners cannot change it" },
	{ "history", cmd_history, "history JOB ID [--kind order|deal|erp]",
	  "every version of a key: run, as-of, outcome and what changed; "
	  "exit 2 if there is no such key" },
	{ "explain", cmd_explain,
	  "explain JOB ID [--run RUN] [--kind order|deal|erp] [--json]\n"
	  "          [--state-dir DIR]",
	  "one record as a run saw it (default: the latest): its version, "
	  "values, source rows' fingerprints (and values, where the run's "
	  "inputs are kept), matching and near misses, "
	  "verdicts with file:line, difference and tolerance, outcome and "
	  "history; exit 2 for an unknown key or run" },
	{ "note", cmd_note,
	  "note JOB KEY --state explained|accepted|investigating --text TEXT\n"
	  "          --by NAME [--kind order|deal|erp]",
	  "append a note on a record (an exception) to the store's "
	  "insert-only, hash-chained notes; prints its seq and hash" },
	{ "notes", cmd_notes, "notes JOB [KEY] [--json]",
	  "the notes on the job's records (or on KEY's), by record, oldest "
	  "first: seq, time, record, state, author and text" },
	{ "runs", cmd_runs, "runs JOB [--json]",
	  "the job's published runs, newest first: seq, run id, as-of, "
	  "mode, status, versions, exceptions, rows read, seconds" },
	{ "diff", cmd_diff, "diff JOB RUN_A RUN_B [--json]",
	  "the exceptions that appeared, disappeared or changed between two "
	  "published runs (seq or run id); exit 2 for an unknown run" },
	{ "report", cmd_report,
	  "report JOB RUN [--format html|csv|summary|xml] [-o FILE]",
	  "write the report of a published run (seq or run id) again, byte "
	  "for byte as the run wrote it, from the store alone (default: its "
	  "HTML, to standard output); exit 9 if the kept report was changed" },
	{ "shadow", cmd_shadow,
	  "shadow JOB [--rules DIR] [--job FILE] [--run RUN] [-o BASE]\n"
	  "          [--state-dir DIR] [--tmpdir DIR] [--config FILE] [-q]",
	  "run candidate rule files (DIR) and job settings (FILE: "
	  "tolerances, links, grace periods) over the very rows a published "
	  "run read, publish nothing, and list every record whose outcome or "
	  "verdicts would change (BASE.csv, BASE.html); exit 1 if any would" },
	{ "schedule", cmd_schedule,
	  "schedule JOB... [--schedule-dir DIR] [--report-dir DIR] [--state-dir DIR]\n"
	  "          [--tmpdir DIR] [--jobs K] [-q]\n"
	  "          [--log-format text|json] [--log-file FILE]\n"
	  "          | --crontab | --systemd | --next N [--from T]",
	  "run in the foreground, starting each job when its <schedule> says; "
	  "or print crontab lines, systemd units, or the next N slots" },
	{ "config", cmd_config, "config [--config FILE] [--json]",
	  "print every engine setting, its effective value and where it came "
	  "from (default, FILE:LINE, env RECON_X, flag --x); exit 2 if the "
	  "configuration is invalid" },
	{ "exit-codes", cmd_exit_codes, "exit-codes",
	  "print the table of exit codes" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: recon [--config FILE] COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  recon %s\n      %s\n", commands[i].usage,
			commands[i].help);
	fprintf(f, "  recon --help | --version\n\n"
		"The engine configuration (recon config): the file --config "
		"FILE names, else\n$RECON_CONFIG, else %s if it exists; "
		"RECON_<SETTING> variables\noverride it and flags override "
		"both. An invalid configuration is exit 2.\n"
		"DSNs come from the odbc.ini that ODBCINI names; credentials "
		"from odbc.ini or\nRECON_<DSN>_UID / RECON_<DSN>_PWD. "
		"See README.md.\n", CONFIG_SYSTEM_FILE);
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

static int usage_errorf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static int usage_errorf(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "recon: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see recon --help)\n");
	return error_exit_code(ERR_USAGE);
}

/*
 * A command's options, git parse-options style: one table per command,
 * one parser, so that every option gets the same three refusals: a
 * value missing (the option last, or followed by another option of the
 * command), an empty value, and a single-valued option given twice.
 */
enum opt_kind {
	OPT_FLAG,	/* no value; *flag = 1 */
	OPT_ONE,	/* one value, at most once; *one (NULL before) */
	OPT_MANY,	/* repeatable; many[(*nmany)++], room for argc */
};

struct opt {
	const char *name;	/* "--as-of" */
	enum opt_kind kind;
	const char *noun;	/* what the value is: "a folder" */
	const char *example;	/* a value, shell-quoted: "'2026-11-26 00:00:00'" */
	int *flag;
	const char **one;
	const char **many;
	size_t *nmany;
};

static const struct opt *find_opt(const struct opt *opts, size_t n,
				  const char *arg)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(opts[i].name, arg) == 0)
			return &opts[i];
	return NULL;
}

/*
 * Parse argv[1..argc-1] of command cmd: options by opts, other words
 * into pos[] (at most maxpos; one more is refused with too_many, a
 * format of cmd and the word). "-" alone is a word. Returns 0, or the
 * usage exit code after printing why.
 */
static int parse_opts(const char *cmd, int argc, char **argv,
		      const struct opt *opts, size_t nopts, const char **pos,
		      size_t maxpos, size_t *npos, const char *too_many)
{
	*npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o = find_opt(opts, nopts, a);

		if (!o) {
			if (a[0] == '-' && a[1])
				return usage_errorf("%s: unknown option '%s'",
						    cmd, a);
			if (*npos == maxpos)
				return usage_errorf(too_many, cmd, a);
			pos[(*npos)++] = a;
			continue;
		}
		if (o->kind == OPT_FLAG) {
			*o->flag = 1;
			continue;
		}
		if (i + 1 >= argc || find_opt(opts, nopts, argv[i + 1]))
			return usage_errorf("%s: option '%s' needs a value, "
					    "e.g. %s %s", cmd, o->name, o->name,
					    o->example);
		a = argv[++i];
		if (!*a)
			return usage_errorf("%s: %s needs %s, got an empty "
					    "value", cmd, o->name, o->noun);
		if (o->kind == OPT_MANY) {
			o->many[(*o->nmany)++] = a;
		} else if (*o->one) {
			return usage_errorf("%s: option '%s' given twice", cmd,
					    o->name);
		} else {
			*o->one = a;
		}
	}
	return 0;
}

#define NOPTS(t) (sizeof(t) / sizeof((t)[0]))
#define ONE_JOB "%s: one job at a time ('%s')"

/* --log-format, --log-file, -q and the progress lines of `recon run`
 * and `recon schedule` (engine/evlog.h, docs/LOGGING.md). */
struct log_cli {
	const char *format, *file;
	int quiet;
};

/* Open the log the options ask for: 0, or the usage/IO exit code; lg
 * is open either way (evlog_close). */
static int log_open(const struct log_cli *lc, const char *cmd,
		    struct evlog *lg)
{
	enum evlog_format f = EVLOG_TEXT;
	struct error err;
	int code = 0;

	int bad = lc->format && evlog_parse_format(lc->format, &f) < 0;

	/* lg is open whatever happens: the caller closes it */
	error_init(&err);
	if (evlog_open(lg, bad ? NULL : lc->file, f, lc->quiet, &err) < 0)
		code = fail(&err);
	else if (bad)
		code = usage_errorf("%s: --log-format is text or json, not "
				    "'%s'", cmd, lc->format);
	error_release(&err);
	return code;
}

/* Seconds between progress lines: RECON_PROGRESS_INTERVAL (for the
 * tests), else off a terminal 5, on one at most 5 redraws a second. */
static double progress_interval(const struct evlog *lg)
{
	const char *s = getenv("RECON_PROGRESS_INTERVAL");
	char *end;
	double d;

	double dflt = lg->tty ? 0.2 : 5;

	if (!s || !*s)
		return dflt;
	d = strtod(s, &end);
	return *end || !(d > 0) || d > 86400 ? dflt : d;
}

/* The error that ended a command, as an error event of phase. */
static int fail_ev(struct evlog *lg, const struct error *err,
		   const char *phase, const char *run)
{
	struct sbuf sb = SBUF_INIT(1 << 20);

	error_format(err, &sb);
	evlog_emitf(lg, EVLOG_ERROR, phase, run, "%s", sb.buf);
	sbuf_release(&sb);
	return error_exit_code(err->code);
}

/* A hook's lines (hook.h) as events of phase "hook". */
struct hook_log {
	struct evlog *lg;
	const char *run;
};

static void log_hook(void *ctx, const char *line)
{
	struct hook_log *h = ctx;

	evlog_line(h->lg, "hook", h->run, line);
}

/* The scheduler's lines (schedule.h): job = the job it is about. */
static void log_schedule(void *ctx, const char *job, const char *line)
{
	struct evlog *lg = ctx;
	const char *keep = lg->job;

	lg->job = job;
	evlog_line(lg, "schedule", NULL, line);
	lg->job = keep;
}

/*
 * The engine configuration for a command (config.h): the file --config
 * names (before the command, or the command's own; not both), else
 * RECON_CONFIG's or the system file; then the RECON_* environment. The
 * caller applies its flags and releases cfg. 0, or the exit code after
 * printing why (ERR_USAGE: FILE:LINE and what was expected).
 */
static int open_config(struct config *cfg, const char *global,
		       const char *own)
{
	struct error err;
	int code = 0;

	config_init(cfg);
	if (global && own)
		return usage_errorf("--config given twice ('%s' before the "
				    "command, '%s' after it)", global, own);
	error_init(&err);
	if (config_load(cfg, own ? own : global, &err) < 0)
		code = fail(&err);
	error_release(&err);
	return code;
}

/* A flag's value v (NULL: not given) into cfg, where it wins over the
 * file and the environment; 0, or the exit code after printing why. */
static int config_flag(struct config *cfg, enum config_id id, const char *v)
{
	struct error err;
	int code = 0;

	if (!v)
		return 0;
	error_init(&err);
	if (config_set_flag(cfg, id, v, &err) < 0)
		code = fail(&err);
	error_release(&err);
	return code;
}

/* job_load() with the configuration's store-dsn, match-memory and
 * rule-memory as the job's defaults (its own file still wins). */
static int load_job(const struct config *cfg, const char *path,
		    struct job **job, struct error *err)
{
	struct job_defaults d;

	config_job_defaults(cfg, &d);
	return job_load_with(path, &d, job, err);
}

/* load_job() for a command without configuration flags of its own:
 * the configuration (config: the --config before the command, or NULL)
 * is read for the job's defaults; its errors are ERR_USAGE in err. */
static int load_job_for(const char *config, const char *path,
			struct job **job, struct error *err)
{
	struct config cfg;
	int rc;

	config_init(&cfg);
	rc = config_load(&cfg, config, err);
	if (rc == 0)
		rc = load_job(&cfg, path, job, err);
	config_release(&cfg);
	return rc;
}

/* The setting jobs (--jobs K, RECON_JOBS, the file): 1..XLATE_MAX_JOBS
 * translators, or auto: one per online CPU but one, which the fetch
 * thread keeps busy: on 2 cores K = 2 was no faster than K = 1 (the
 * fetch thread and the run's thread already fill both) and cost 2 MB
 * more (docs/DEMO.md, "Translators"); a machine that does not say
 * gets 1. */
static unsigned run_jobs(const struct config *cfg)
{
	long n = (long)config_num(cfg, CONFIG_JOBS);

	if (n)
		return (unsigned)n;
	n = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	return n < 1 ? 1 : n > XLATE_MAX_JOBS ? XLATE_MAX_JOBS : (unsigned)n;
}

/*
 * recon run's folders and translators: a flag wins, else the
 * configuration's value (file or environment), else today's defaults
 * (run.h: the job's <reports dir>, JOBDIR/../out/state/JOB, $TMPDIR or
 * /tmp). A configured state-dir is the parent of every job's folder
 * (STATE-DIR/JOB): one folder shared by jobs would mix their state
 * files; --state-dir names the run's folder itself, as before.
 */
static int run_settings(struct config *cfg, const struct job *job,
			struct run_opts *opts, struct sbuf *state)
{
	const struct config_value *sd = &cfg->v[CONFIG_STATE_DIR];

	opts->report_dir = config_get(cfg, CONFIG_REPORT_DIR);
	opts->tmpdir = config_get(cfg, CONFIG_TMPDIR);
	opts->jobs = run_jobs(cfg);
	opts->keep_inputs = (unsigned)config_num(cfg, CONFIG_KEEP_INPUTS);
	if (sd->origin == CONFIG_FROM_FLAG) {
		opts->state_dir = sd->value;
	} else if (sd->value) {
		if (sbuf_addf(state, "%s/%s", sd->value, job->name) < 0) {
			fprintf(stderr, "recon: out of memory\n");
			return error_exit_code(ERR_NOMEM);
		}
		opts->state_dir = state->buf;
	}
	return 0;
}

static int cmd_run(const char *config, int argc, char **argv)
{
	struct run_opts opts;
	struct run_result res;
	struct error err;
	struct config cfg;
	struct sbuf state = SBUF_INIT(1 << 16);
	struct evlog lg;
	struct log_cli lc = { NULL, NULL, 0 };
	struct hook_log hl;
	struct job *job = NULL;
	const char *path = NULL, *own_config = NULL;
	const char *rdir = NULL, *stdir = NULL, *tmpdir = NULL;
	const char **shrink, *jobs = NULL, *lock_wait = NULL, *keep = NULL;
	int incremental = 0, stats = 0, retranslate = 0, code;
	size_t npos, nshrink = 0;

	memset(&opts, 0, sizeof(opts));
	config_init(&cfg);
	/* at most one per argument */
	shrink = mem_calloc((size_t)argc, sizeof(*shrink));
	if (!shrink) {
		fprintf(stderr, "recon: out of memory\n");
		return error_exit_code(ERR_NOMEM);
	}
	{
		const struct opt ro[] = {
			{ "--as-of", OPT_ONE, "a time",
			  "'2026-11-26 00:00:00'", NULL, &opts.as_of, NULL, NULL },
			{ "--report-dir", OPT_ONE, "a folder", "out/reports",
			  NULL, &rdir, NULL, NULL },
			{ "--tmpdir", OPT_ONE, "a folder", "/var/tmp", NULL,
			  &tmpdir, NULL, NULL },
			{ "--incremental", OPT_FLAG, NULL, NULL, &incremental,
			  NULL, NULL, NULL },
			{ "--state-dir", OPT_ONE, "a folder", "out/state/nightly",
			  NULL, &stdir, NULL, NULL },
			{ "--accept-shrink", OPT_MANY, "a source name", "crm",
			  NULL, NULL, shrink, &nshrink },
			{ "--stats", OPT_FLAG, NULL, NULL, &stats, NULL, NULL,
			  NULL },
			{ "--retranslate", OPT_FLAG, NULL, NULL, &retranslate,
			  NULL, NULL, NULL },
			{ "--jobs", OPT_ONE, "a number of translators", "2",
			  NULL, &jobs, NULL, NULL },
			{ "--config", OPT_ONE, "a file", "/etc/recon/recon.conf",
			  NULL, &own_config, NULL, NULL },
			{ "--lock-wait", OPT_ONE, "a number of seconds", "600",
			  NULL, &lock_wait, NULL, NULL },
			{ "--keep-inputs", OPT_ONE, "a number of runs", "7",
			  NULL, &keep, NULL, NULL },
			{ "--log-format", OPT_ONE, "text or json", "json", NULL,
			  &lc.format, NULL, NULL },
			{ "--log-file", OPT_ONE, "a file", "out/log/nightly.log",
			  NULL, &lc.file, NULL, NULL },
			{ "-q", OPT_FLAG, NULL, NULL, &lc.quiet, NULL, NULL, NULL },
		};

		code = parse_opts("run", argc, argv, ro, NOPTS(ro), &path, 1,
				  &npos, ONE_JOB);
	}
	if (!code && !path)
		code = usage_error("run: which job?%s", "");
	/* file < environment < flags (config.h) */
	if (!code)
		code = open_config(&cfg, config, own_config);
	if (!code)
		code = config_flag(&cfg, CONFIG_REPORT_DIR, rdir);
	if (!code)
		code = config_flag(&cfg, CONFIG_STATE_DIR, stdir);
	if (!code)
		code = config_flag(&cfg, CONFIG_TMPDIR, tmpdir);
	if (!code)
		code = config_flag(&cfg, CONFIG_JOBS, jobs);
	if (!code)
		code = config_flag(&cfg, CONFIG_LOCK_WAIT, lock_wait);
	if (!code)
		code = config_flag(&cfg, CONFIG_KEEP_INPUTS, keep);
	if (!code)
		code = config_flag(&cfg, CONFIG_LOG_FORMAT, lc.format);
	if (!code)
		code = config_flag(&cfg, CONFIG_LOG_FILE, lc.file);
	/* the effective values, whichever level set them */
	lc.format = config_get(&cfg, CONFIG_LOG_FORMAT);
	lc.file = config_get(&cfg, CONFIG_LOG_FILE);
	opts.lock_wait = (unsigned)config_num(&cfg, CONFIG_LOCK_WAIT);
	if (code) {
		config_release(&cfg);
		mem_free(shrink);
		return code;
	}
	opts.incremental = incremental;
	opts.stats = stats;
	opts.retranslate = retranslate;
	opts.accept_shrink = shrink;
	opts.naccept_shrink = nshrink;
	code = log_open(&lc, "run", &lg);
	if (code) {
		evlog_close(&lg);
		config_release(&cfg);
		mem_free(shrink);
		return code;
	}
	opts.log = evlog_emit;
	opts.log_ctx = &lg;
	if (!lc.quiet) {
		opts.progress_interval = progress_interval(&lg);
		opts.progress_live = lg.tty;
	}
	error_init(&err);
	run_result_init(&res);
	/* SIGTERM/SIGINT stop the run at its next safe point (stop.h) */
	if (stop_install() < 0)
		evlog_emitf(&lg, EVLOG_WARNING, "start", NULL, "warning: cannot "
			    "catch SIGTERM/SIGINT; a signal ends the run at once");
	if (load_job(&cfg, path, &job, &err) < 0) {
		code = fail_ev(&lg, &err, "start", NULL);
		evlog_emitf(&lg, EVLOG_ERROR, "start", NULL,
			    "nothing was published");
		goto out;
	}
	lg.job = job->name;
	if ((code = run_settings(&cfg, job, &opts, &state)) != 0)
		goto out;
	if (run_job(job, &opts, &res, &err) < 0) {
		const char *ph = res.phase ? res.phase : "start";

		code = fail_ev(&lg, &err, ph, res.run_id.buf);
		if (res.published)
			evlog_emitf(&lg, EVLOG_ERROR, ph, res.run_id.buf,
				    "run %s was published", res.run_id.buf);
		else if (err.code != ERR_INTERRUPTED)	/* its message says so */
			evlog_emitf(&lg, EVLOG_ERROR, ph, res.run_id.buf,
				    "nothing was published");
	} else {
		const char *p = res.report_paths.buf;

		printf("run %s: %llu records, %llu exceptions (%llu rows read)\n",
		       res.run_id.buf, (unsigned long long)res.reconciled,
		       (unsigned long long)res.exceptions,
		       (unsigned long long)res.rows_read);
		if (res.repeated)
			printf("store: nothing new published: this run repeats "
			       "run seq %llu exactly (same as-of, mode, rules, "
			       "source rows and results)\n",
			       (unsigned long long)res.seq);
		else
			printf("store: seq %llu, %llu versions written (%llu "
			       "removed)\n", (unsigned long long)res.seq,
			       (unsigned long long)res.records,
			       (unsigned long long)res.removed);
		while (p && *p) {
			const char *nl = strchr(p, '\n');
			int n = nl ? (int)(nl - p) : (int)strlen(p);

			printf("report: %.*s\n", n, p);
			p = nl ? nl + 1 : NULL;
		}
		printf("store: dsn '%s', table '%s'\n", job->store_dsn,
		       job->store_table);
		code = res.exceptions ? EXIT_EXCEPTIONS : EXIT_CLEAN;
		/* after the commit a signal no longer stops the run: it
		 * finishes, and the exit code says what was published */
		if (stop_signal())
			evlog_emitf(&lg, EVLOG_WARNING, "commit", res.run_id.buf,
				    "job '%s': %s came after the commit; run %s "
				    "was published whole", job->name,
				    stop_signal_name(stop_signal()),
				    res.run_id.buf);
	}
out:
	/* the job's hook, if the run gave it a reason (hook.h): never
	 * changes the exit code */
	hl.lg = &lg;
	hl.run = res.run_id.buf;
	(void)hook_after_run(job, &res, &err, code, opts.tmpdir, log_hook, &hl);
	if (stats && job)
		print_stats(res.rows_read);
	evlog_close(&lg);
	run_result_release(&res);
	job_free(job);
	error_release(&err);
	config_release(&cfg);
	sbuf_release(&state);
	mem_free(shrink);
	return code;
}

static int cmd_check(const char *config, int argc, char **argv)
{
	struct error err;
	struct job *job = NULL;
	struct rules *rules = NULL;
	const char *path = NULL;
	int connect = 0, json = 0, linted = 0, code = 0;
	size_t npos;
	struct lint_report lint;
	FILE *info;
	const struct opt co[] = {
		{ "--connect", OPT_FLAG, NULL, NULL, &connect, NULL, NULL, NULL },
		{ "--json", OPT_FLAG, NULL, NULL, &json, NULL, NULL, NULL },
	};

	code = parse_opts("check", argc, argv, co, NOPTS(co), &path, 1, &npos,
			  ONE_JOB);
	if (code)
		return code;
	if (!path)
		return usage_error("check: which job?%s", "");
	error_init(&err);
	lint_report_init(&lint);
	/* --json: standard output is the JSON document alone */
	info = json ? stderr : stdout;
	if (load_job_for(config, path, &job, &err) < 0) {
		code = fail(&err);
		goto out;
	}
	if (lint_job(job, &lint, &err) < 0) {
		code = fail(&err);
		goto out;
	}
	linted = 1;
	if (!lint.n && rules_open(job, &rules, &err) < 0) {
		/* what the lint cannot see (an error while a file's top
		 * level runs): a finding too, for --json */
		const char *m = err.msg.buf, *file = job->path;
		int line = err.line;

		if (!json || err.code != ERR_RULE) {
			code = fail(&err);
			goto out;
		}
		for (size_t i = 0; i < job->nrule_files; i++) {
			const char *n = job_rule_name(job, i);
			size_t nl = strlen(n);

			if (strncmp(m, n, nl) == 0 && m[nl] == ':') {
				char *end;
				long v = strtol(m + nl + 1, &end, 10);

				file = n;
				if (end != m + nl + 1 && *end == ':' && v > 0 &&
				    v < 100000000) {
					line = (int)v;
					m = end + 1 + (end[1] == ' ');
				}
				break;
			}
		}
		if (lint_add(&lint, file ? file : "job", line, "load", m,
			     &err) < 0) {
			code = fail(&err);
			goto out;
		}
	}
	if (lint.n) {
		struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);
		char *doc = json ? lint_format_json(&lint, job->name) : NULL;

		/* the lines for people, also when the JSON could not be made */
		if (doc)
			fputs(doc, stdout);
		else if (lint_format_text(&lint, &sb) == 0)
			fputs(sb.buf, stderr);
		free(doc);
		linted = 0;	/* printed */
		sbuf_release(&sb);
		fprintf(stderr, "recon: error[RULE]: job '%s': %zu finding%s in "
			"the rule files; fix %s and run recon check again\n",
			job->name, lint.n, lint.n == 1 ? "" : "s",
			lint.n == 1 ? "it" : "them");
		code = error_exit_code(ERR_RULE);
		goto out;
	}
	fprintf(info, "job '%s': %zu sources, %zu rule files, %zu order rules: "
		"ok\n", job->name, job->nsources, job->nrule_files,
		rules_count(rules));
	/* Reference tables: CSV files are read (keys, cap, format) always,
	 * queries with --connect (they are run, as a run would). */
	for (size_t i = 0; i < job->nreferences; i++) {
		const struct job_reference *jr = &job->references[i];
		struct ref_table *t = NULL;

		if (!jr->file && !connect)
			continue;
		if (ref_load(jr, job->reference_rows ? job->reference_rows
				 : JOB_DEFAULT_REFERENCE_ROWS, &t, &err) < 0) {
			error_context(&err, "job '%s'", job->name);
			code = fail(&err);
			goto out;
		}
		fprintf(info, "reference '%s': %llu rows from %s: ok\n", jr->name,
		       (unsigned long long)ref_table_rows(t),
		       jr->file ? jr->file_name : jr->dsn);
		ref_table_free(t);
	}
	if (connect) {
		for (size_t i = 0; i <= job->nsources; i++) {
			const char *dsn = i < job->nsources ? job->sources[i].dsn
							    : job->store_dsn;
			struct conn *c = NULL;

			if ((i < job->nsources ? conn_open_source(dsn, &c, &err)
					       : conn_open(dsn, &c, &err)) < 0) {
				error_context(&err, "job '%s', %s '%s'", job->name,
					      i < job->nsources ? "source" : "store",
					      i < job->nsources ? job->sources[i].name
								: job->store_table);
				code = fail(&err);
				goto out;
			}
			fprintf(info, "dsn '%s': connected (%s)\n", dsn, conn_dbms(c));
			conn_close(c);
		}
		{
			int exists = 0;

			if (store_check(job, &exists, &err) < 0) {
				error_context(&err, "job '%s'", job->name);
				code = fail(&err);
				goto out;
			}
			if (exists)
				fprintf(info, "store '%s': format %s, the job's %zu "
				       "columns: ok\n", job->store_table,
				       LEDGER_FORMAT, job->ncolumns);
			else
				fprintf(info, "store '%s': not created yet (the first "
				       "run creates it with the job's %zu "
				       "columns)\n", job->store_table,
				       job->ncolumns);
		}
	}
out:
	/* --json: the document once the rules were linted, whatever
	 * failed later (a reference, --connect: on stderr, as always) */
	if (json && linted) {
		char *doc = lint_format_json(&lint, job->name);

		if (doc)
			fputs(doc, stdout);
		free(doc);
	}
	lint_report_release(&lint);
	rules_free(rules);
	job_free(job);
	error_release(&err);
	return code;
}

static int cmd_test(const char *config, int argc, char **argv)
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
	if (load_job_for(config, argv[1], &job, &err) < 0 ||
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

/* ---- verify, digest, history (engine/verify.h) ------------------------ */

static void print_finding(void *ctx, const struct verify_finding *f)
{
	FILE *out = ctx;

	fprintf(out, "verify: %s\n", f->line);
}

/* Read a whole (small) file into sb; -1 with err set (ERR_USAGE: it was
 * named on the command line; ERR_NOMEM). A FIFO, a directory or a device
 * is refused before anything is read (file.h): reading one would block
 * or never end. */
static int read_file(const char *path, struct sbuf *sb, struct error *err)
{
	const char *kind;
	FILE *f = file_open_regular(path, &kind);
	char chunk[8192];
	size_t n;

	if (!f && kind)
		return error_set(err, ERR_USAGE, "digest file '%s' is not a "
				 "regular file (%s); give the file `recon "
				 "digest` wrote", path, kind);
	if (!f)
		return error_set(err, ERR_USAGE, "cannot open digest file "
				 "'%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (sbuf_add(sb, chunk, n) < 0)
			break;
	if (sb->failed == SBUF_NOMEM) {
		fclose(f);
		return error_set(err, ERR_NOMEM, "out of memory reading digest "
				 "file '%s'", path);
	}
	if (ferror(f) || sb->failed) {
		fclose(f);
		return error_set(err, ERR_USAGE, "cannot read digest file '%s'%s",
				 path, sb->failed ? " (too large)" : "");
	}
	fclose(f);
	return 0;
}

static int cmd_verify(const char *config, int argc, char **argv)
{
	struct verify_opts o;
	struct verify_result res;
	struct error err;
	struct job *job = NULL;
	struct sbuf file = SBUF_INIT((size_t)16 << 20);
	const char *path = NULL, *digest = NULL;
	int quiet = 0, code = 0;
	size_t npos;
	const struct opt vo[] = {
		{ "--digest", OPT_ONE, "a file", "digest.txt", NULL, &digest,
		  NULL, NULL },
		{ "-q", OPT_FLAG, NULL, NULL, &quiet, NULL, NULL, NULL },
	};

	code = parse_opts("verify", argc, argv, vo, NOPTS(vo), &path, 1, &npos,
			  ONE_JOB);
	if (code) {
		sbuf_release(&file);
		return code;
	}
	if (!path)
		return usage_error("verify: which job?%s", "");
	error_init(&err);
	memset(&o, 0, sizeof(o));
	if (load_job_for(config, path, &job, &err) < 0 ||
	    (digest && read_file(digest, &file, &err) < 0)) {
		code = fail(&err);
		goto out;
	}
	o.dsn = job->store_dsn;
	o.table = job->store_table;
	o.job = job->name;
	o.digest = digest ? file.buf : NULL;
	o.digest_len = file.len;
	o.finding = print_finding;
	o.ctx = stdout;
	if (verify_store(&o, &res, &err) < 0 && err.code != ERR_VERIFY) {
		code = fail(&err);
		goto out;
	}
	if (!quiet || res.findings) {
		printf("verify: store '%s' table '%s': %llu runs, %llu versions "
		       "of %llu keys", job->store_dsn, job->store_table,
		       (unsigned long long)res.runs,
		       (unsigned long long)res.versions,
		       (unsigned long long)res.keys);
		if (res.notes)
			printf(", %llu note%s", (unsigned long long)res.notes,
			       res.notes == 1 ? "" : "s");
		if (res.reports)
			printf(", %llu kept report%s (%llu lines)",
			       (unsigned long long)res.reports,
			       res.reports == 1 ? "" : "s",
			       (unsigned long long)res.report_lines);
		if (digest)
			printf(", %llu runs checked against '%s'",
			       (unsigned long long)res.digest_runs, digest);
		if (res.findings)
			printf(": %llu finding%s\n",
			       (unsigned long long)res.findings,
			       res.findings == 1 ? "" : "s");
		else
			printf(": ok\n");
	}
	code = res.findings ? error_exit_code(ERR_VERIFY) : 0;
out:
	sbuf_release(&file);
	job_free(job);
	error_release(&err);
	return code;
}

static int cmd_digest(const char *config, int argc, char **argv)
{
	struct verify_opts o;
	struct verify_result res;
	struct error err;
	struct job *job = NULL;
	struct sbuf out = SBUF_INIT((size_t)64 << 20);
	int code = 0;

	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			return usage_error("digest: unknown option '%s'", argv[i]);
	if (argc != 3)
		return usage_error("digest: want JOB RUN_ID%s", "");
	error_init(&err);
	memset(&o, 0, sizeof(o));
	if (load_job_for(config, argv[1], &job, &err) < 0) {
		code = fail(&err);
		goto done;
	}
	o.dsn = job->store_dsn;
	o.table = job->store_table;
	o.job = job->name;
	o.export_run = argv[2];
	o.export_out = &out;
	o.finding = print_finding;
	o.ctx = stderr;
	if (verify_store(&o, &res, &err) < 0) {
		if (err.code == ERR_VERIFY)
			fprintf(stderr, "recon: the store does not verify; no "
				"digest exported\n");
		code = fail(&err);
		goto done;
	}
	fwrite(out.buf, 1, out.len, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		error_set(&err, ERR_IO, "cannot write the digest to stdout");
		code = fail(&err);
	}
done:
	sbuf_release(&out);
	job_free(job);
	error_release(&err);
	return code;
}

struct history_print {
	struct sbuf kind;	/* the kind and key whose header was printed */
	struct sbuf key;
	const char *id;		/* what was asked for */
};

static void print_version(void *ctx, const struct verify_version *v)
{
	struct history_print *hp = ctx;
	const char *kind = v->rec->f[LF_REC_KIND] ? v->rec->f[LF_REC_KIND] : "";

	const char *key = v->rec->f[LF_REC_KEY] ? v->rec->f[LF_REC_KEY] : "";

	if (!hp->kind.len || strcmp(hp->kind.buf, kind) != 0 ||
	    strcmp(hp->key.buf, key) != 0) {
		sbuf_reset(&hp->kind);
		sbuf_addstr(&hp->kind, kind);
		sbuf_reset(&hp->key);
		sbuf_addstr(&hp->key, key);
		/* found through its provenance: say what named it */
		if (strcmp(key, hp->id) != 0)
			printf("%s '%s' (its sources name '%s')\n", kind, key,
			       hp->id);
		else
			printf("%s '%s'\n", kind, key);
	}
	printf("  version %s  run %s", v->rec->f[LF_VERSION],
	       v->rec->f[LF_RUN_ID] ? v->rec->f[LF_RUN_ID] : "NULL");
	if (v->run_seq)
		printf(" (seq %s, as of %s)", v->run_seq,
		       v->as_of ? v->as_of : "?");
	else
		printf(" (not in the runs table)");
	printf("  %s\n", v->rec->f[LF_OUTCOME] ? v->rec->f[LF_OUTCOME] : "NULL");
	if (v->changes[0])
		printf("    changed: %s\n", v->changes);
}

static int cmd_history(const char *config, int argc, char **argv)
{
	struct history_print hp;
	struct error err;
	struct job *job = NULL;
	const char *path = NULL, *key = NULL, *kind = NULL, *pos[2] = { NULL, NULL };
	uint64_t n = 0;
	int code = 0;
	size_t npos;
	const struct opt ho[] = {
		{ "--kind", OPT_ONE, "a kind (order, deal or erp)", "order", NULL,
		  &kind, NULL, NULL },
	};

	code = parse_opts("history", argc, argv, ho, NOPTS(ho), pos, 2, &npos,
			  "%s: one key at a time ('%s')");
	if (code)
		return code;
	path = pos[0];
	key = pos[1];
	if (!path || !key)
		return usage_error("history: want JOB KEY%s", "");
	if (kind && strcmp(kind, "order") != 0 && strcmp(kind, "deal") != 0 &&
	    strcmp(kind, "erp") != 0)
		return usage_error("history: --kind is order, deal or erp, not "
				   "'%s'", kind);
	error_init(&err);
	sbuf_init(&hp.kind, 1 << 20);
	sbuf_init(&hp.key, 1 << 20);
	hp.id = key;
	if (load_job_for(config, path, &job, &err) < 0 ||
	    verify_history(job->store_dsn, job->store_table, key, kind,
			   print_version, &hp, &n, &err) < 0) {
		code = fail(&err);
	} else if (n == 0) {
		fprintf(stderr, "recon: history: no such key '%s'%s%s in store "
			"'%s' table '%s'\n", key, kind ? " of kind " : "",
			kind ? kind : "", job->store_dsn, job->store_table);
		code = error_exit_code(ERR_USAGE);
	}
	sbuf_release(&hp.kind);
	sbuf_release(&hp.key);
	job_free(job);
	error_release(&err);
	return code;
}

/* recon note: one note on a record of the job's store (notes.h). */
static int cmd_note(const char *config, int argc, char **argv)
{
	struct note_add a;
	struct error err;
	struct job *job = NULL;
	const char *pos[2] = { NULL, NULL };
	size_t npos;
	int code;
	const struct opt no[] = {
		{ "--state", OPT_ONE, "a state (explained, accepted or "
		  "investigating)", "explained", NULL, &a.state, NULL, NULL },
		{ "--text", OPT_ONE, "the note's text",
		  "'credit note CN-12 posted on 3 Dec'", NULL, &a.text, NULL,
		  NULL },
		{ "--by", OPT_ONE, "who writes the note", "'A. Meyer'", NULL,
		  &a.by, NULL, NULL },
		{ "--kind", OPT_ONE, "a kind (order, deal or erp)", "order",
		  NULL, &a.kind, NULL, NULL },
	};

	memset(&a, 0, sizeof(a));
	code = parse_opts("note", argc, argv, no, NOPTS(no), pos, 2, &npos,
			  "%s: one key at a time ('%s'); quote a text with "
			  "spaces");
	if (code)
		return code;
	if (!pos[0] || !pos[1])
		return usage_error("note: want JOB KEY --state STATE --text "
				   "TEXT --by NAME%s", "");
	if (!a.state)
		return usage_error("note: --state is missing: explained, "
				   "accepted or investigating%s", "");
	if (!a.text)
		return usage_error("note: --text is missing: what was found%s",
				   "");
	if (!a.by)
		return usage_error("note: --by is missing: who writes the "
				   "note%s", "");
	error_init(&err);
	a.key = pos[1];
	if (load_job_for(config, pos[0], &job, &err) < 0) {
		code = fail(&err);
		goto out;
	}
	a.job = job->name;
	if (notes_add(job->store_dsn, job->store_table, &a, &err) < 0) {
		code = fail(&err);
		goto out;
	}
	printf("note %lld on %s '%s' (%s, by %s, %s UTC): hash %s\n",
	       (long long)a.seq, a.kind_found, a.key, a.state, a.by,
	       a.created_out, a.hash);
out:
	job_free(job);
	error_release(&err);
	return code;
}

/* s[0..n) for a terminal: clean UTF-8 (text_add_clean), control
 * characters but the tab as \xNN, so that a note changed in the store
 * cannot send escape sequences. */
static void add_printable(struct sbuf *sb, const char *s, size_t n)
{
	struct sbuf t = SBUF_INIT(1 << 20);

	text_add_clean(&t, s, n, 1 << 16);
	for (size_t i = 0; i < t.len; i++) {
		unsigned char ch = (unsigned char)t.buf[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			sbuf_addf(sb, "\\x%02X", ch);
		else
			sbuf_addch(sb, ch);
	}
	sbuf_release(&t);
}

/* One note of recon notes: text (its lines indented) or a JSON object. */
static void print_note(const struct note *n, int json, int first)
{
	struct sbuf sb = SBUF_INIT(1 << 20);

	if (json) {
		sbuf_addf(&sb, "%s\n{\"seq\":%lld,\"job\":", first ? "" : ",",
			  (long long)n->seq);
		text_add_json(&sb, n->job);
		sbuf_addstr(&sb, ",\"rec_kind\":");
		text_add_json(&sb, n->kind);
		sbuf_addstr(&sb, ",\"rec_key\":");
		text_add_json(&sb, n->key);
		sbuf_addstr(&sb, ",\"state\":");
		text_add_json(&sb, n->state);
		sbuf_addstr(&sb, ",\"text\":");
		text_add_json(&sb, n->text);
		sbuf_addstr(&sb, ",\"by\":");
		text_add_json(&sb, n->by);
		sbuf_addstr(&sb, ",\"created\":");
		text_add_json(&sb, n->created);
		sbuf_addstr(&sb, ",\"hash\":");
		text_add_json(&sb, n->hash);
		sbuf_addch(&sb, '}');
	} else {
		sbuf_addf(&sb, "note %lld  %s UTC  %s '", (long long)n->seq,
			  n->created, n->kind);
		add_printable(&sb, n->key, strlen(n->key));
		sbuf_addf(&sb, "'  %s  by ", n->state);
		add_printable(&sb, n->by, strlen(n->by));
		sbuf_addstr(&sb, "\n  ");
		/* each line of the text indented; nothing else escaped
		 * away but control characters */
		for (const char *t = n->text; *t;) {
			size_t len = strcspn(t, "\n");

			add_printable(&sb, t, len);
			t += len;
			if (*t == '\n') {
				sbuf_addstr(&sb, "\n  ");
				t++;
			}
		}
		sbuf_addch(&sb, '\n');
	}
	if (!sb.failed)
		fputs(sb.buf, stdout);
	sbuf_release(&sb);
}

static int cmd_notes(const char *config, int argc, char **argv)
{
	struct error err;
	struct job *job = NULL;
	struct notes *ns = NULL;
	const char *pos[2] = { NULL, NULL };
	int json = 0, code = 0, first = 1;
	size_t npos, shown = 0;
	const struct opt no[] = {
		{ "--json", OPT_FLAG, NULL, NULL, &json, NULL, NULL, NULL },
	};

	code = parse_opts("notes", argc, argv, no, NOPTS(no), pos, 2, &npos,
			  "%s: one key at a time ('%s')");
	if (code)
		return code;
	if (!pos[0])
		return usage_error("notes: which job?%s", "");
	error_init(&err);
	if (load_job_for(config, pos[0], &job, &err) < 0 ||
	    notes_read(job->store_dsn, job->store_table, job->name, &ns,
		       &err) < 0) {
		code = fail(&err);
		goto out;
	}
	if (json)
		printf("[");
	for (size_t i = 0; i < ns->n; i++) {
		if (pos[1] && strcmp(ns->v[i].key, pos[1]) != 0)
			continue;
		print_note(&ns->v[i], json, first);
		first = 0;
		shown++;
	}
	if (json)
		printf("%s]\n", shown ? "\n" : "");
	else if (!shown)
		fprintf(stderr, "recon: notes: no notes on %s%s%s of job '%s' in "
			"store '%s' table '%s'\n", pos[1] ? "'" : "the records",
			pos[1] ? pos[1] : "", pos[1] ? "'" : "", job->name,
			job->store_dsn, job->store_table);
out:
	notes_free(ns);
	job_free(job);
	error_release(&err);
	return code;
}

/* recon runs: each run's line (text or a JSON object), kept to be
 * printed newest first. */
struct runs_print {
	const struct job *job;
	int json;
	char **line;
	size_t n, alloc;
};

/* Rows the run read, over the job's sources as T_runs.totals holds
 * them; -1 if an entry cannot be read. */
static int64_t run_rows_read(const struct job *job, const char *totals)
{
	struct sbuf why = SBUF_INIT(1 << 16);
	int64_t sum = 0;

	for (size_t i = 0; i < job->nsources && sum >= 0; i++) {
		struct ledger_source_totals t;
		int rc = totals ? ledger_totals_find(totals, job->sources[i].name,
						     &t, &why) : -1;

		if (rc == 1)
			sum += (int64_t)t.read;
		else if (rc < 0)
			sum = -1;
	}
	sbuf_release(&why);
	return sum;
}

/* finished - started in seconds, or -1 if either cannot be read. */
static int64_t run_seconds(const char *started, const char *finished)
{
	int64_t a, b;

	if (!started || !finished ||
	    tstamp_parse(started, strlen(started), &a) < 0 ||
	    tstamp_parse(finished, strlen(finished), &b) < 0 || b < a)
		return -1;
	return b - a;
}

/* A count as the database printed it, for JSON: the digits, or null
 * for NULL or anything else (a runs row edited by hand). */
static const char *json_count(const char *s)
{
	size_t i = 0;

	if (!s || !*s)
		return "null";
	for (; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return "null";
	return s;
}

static int keep_run(void *ctx, const struct ledger_run *lr, struct error *err)
{
	struct runs_print *rp = ctx;
	struct sbuf sb = SBUF_INIT(1 << 16);
	const char *const *f = lr->f;
	int64_t rows = run_rows_read(rp->job, f[LR_TOTALS]);
	int64_t secs = run_seconds(f[LR_STARTED], f[LR_FINISHED]);
	char rows_t[24] = "?", secs_t[24] = "?";
	char *line;

#define F(x) (f[x] ? f[x] : "")
	if (rows >= 0)
		snprintf(rows_t, sizeof(rows_t), "%lld", (long long)rows);
	if (secs >= 0)
		snprintf(secs_t, sizeof(secs_t), "%lld", (long long)secs);
	if (rp->json) {
		sbuf_addf(&sb, "{\"seq\":%s,\"run_id\":",
			  json_count(f[LR_SEQ]));
		text_add_json(&sb, F(LR_RUN_ID));
		sbuf_addstr(&sb, ",\"as_of\":");
		text_add_json(&sb, F(LR_AS_OF));
		sbuf_addstr(&sb, ",\"mode\":");
		text_add_json(&sb, F(LR_MODE));
		sbuf_addstr(&sb, ",\"status\":");
		text_add_json(&sb, F(LR_STATUS));
		sbuf_addf(&sb, ",\"versions\":%s,\"exceptions\":%s,"
			  "\"rows_read\":%s,\"started\":",
			  json_count(f[LR_RECORDS]), json_count(f[LR_EXCEPTIONS]),
			  rows >= 0 ? rows_t : "null");
		text_add_json(&sb, F(LR_STARTED));
		sbuf_addstr(&sb, ",\"finished\":");
		text_add_json(&sb, F(LR_FINISHED));
		sbuf_addf(&sb, ",\"seconds\":%s}", secs >= 0 ? secs_t : "null");
	} else {
		sbuf_addf(&sb, "%6s  %-29s  %-19s  %-11s  %-10s  %9s  %10s  "
			  "%10s  %7s", F(LR_SEQ), F(LR_RUN_ID), F(LR_AS_OF),
			  F(LR_MODE), F(LR_STATUS), F(LR_RECORDS),
			  F(LR_EXCEPTIONS), rows_t, secs_t);
	}
#undef F
	if (rp->n == rp->alloc) {
		size_t na = rp->alloc ? rp->alloc * 2 : 64, bytes;
		void *p;

		if (mem_mul(na, sizeof(*rp->line), &bytes) < 0 ||
		    !(p = mem_realloc(rp->line, bytes))) {
			sbuf_release(&sb);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
		rp->line = p;
		rp->alloc = na;
	}
	line = sb.failed ? NULL : mem_strdup(sb.buf);
	sbuf_release(&sb);
	if (!line)
		return error_set(err, ERR_NOMEM, "out of memory");
	rp->line[rp->n++] = line;
	return 0;
}

/* recon schedule (engine/schedule.h, docs/SCHEDULING.md): loads every
 * job, refuses one without <schedule>, then runs the loop or prints. */
static int cmd_schedule(const char *config, int argc, char **argv)
{
	const char **paths, *next = NULL, *from = NULL, *sdir = NULL;
	const char *rdir = NULL, *stdir = NULL, *tmpdir = NULL, *jobs = NULL;
	const char *lfmt = NULL, *lfile = NULL;
	const char *fwd[16];
	int crontab = 0, systemd = 0, quiet = 0, code = 0;
	size_t npos = 0, nfwd = 0, nloaded = 0;
	struct job **loaded;
	struct error err;
	struct sbuf out = SBUF_INIT((size_t)1 << 24);
	char exe[4096];
	ssize_t xn;

	paths = mem_calloc((size_t)argc + 1, sizeof(*paths));
	loaded = mem_calloc((size_t)argc + 1, sizeof(*loaded));
	if (!paths || !loaded) {
		mem_free(paths);
		mem_free(loaded);
		fprintf(stderr, "recon: out of memory\n");
		return error_exit_code(ERR_NOMEM);
	}
	{
		const struct opt so[] = {
			{ "--crontab", OPT_FLAG, NULL, NULL, &crontab, NULL, NULL, NULL },
			{ "--systemd", OPT_FLAG, NULL, NULL, &systemd, NULL, NULL, NULL },
			{ "--next", OPT_ONE, "a number of slots", "5", NULL,
			  &next, NULL, NULL },
			{ "--from", OPT_ONE, "a time", "'2026-11-26 00:00:00'",
			  NULL, &from, NULL, NULL },
			{ "--schedule-dir", OPT_ONE, "a folder", "out/state/schedule",
			  NULL, &sdir, NULL, NULL },
			{ "--report-dir", OPT_ONE, "a folder", "out/reports",
			  NULL, &rdir, NULL, NULL },
			{ "--state-dir", OPT_ONE, "a folder", "out/state/nightly",
			  NULL, &stdir, NULL, NULL },
			{ "--tmpdir", OPT_ONE, "a folder", "/var/tmp", NULL,
			  &tmpdir, NULL, NULL },
			{ "--jobs", OPT_ONE, "a number of translators", "2",
			  NULL, &jobs, NULL, NULL },
			{ "--log-format", OPT_ONE, "text or json", "json", NULL,
			  &lfmt, NULL, NULL },
			{ "--log-file", OPT_ONE, "a file", "out/log/schedule.log",
			  NULL, &lfile, NULL, NULL },
			{ "-q", OPT_FLAG, NULL, NULL, &quiet, NULL, NULL, NULL },
		};

		code = parse_opts("schedule", argc, argv, so, NOPTS(so), paths,
				  (size_t)argc, &npos, "%s: '%s'");
	}
	error_init(&err);
	if (!code && !npos)
		code = usage_error("schedule: which jobs?%s", "");
	if (!code && crontab + systemd + (next != NULL) > 1)
		code = usage_error("schedule: --crontab, --systemd and --next "
				   "do not go together%s", "");
	for (size_t i = 0; !code && i < npos; i++) {
		if (load_job_for(config, paths[i], &loaded[i], &err) < 0) {
			code = fail(&err);
		} else if (!loaded[i]->has_schedule) {
			error_set(&err, ERR_JOB, "%s: job '%s' has no <schedule> "
				  "(docs/JOBS.md)", paths[i], loaded[i]->name);
			code = fail(&err);
		}
		nloaded = i + 1;
	}
	xn = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (xn <= 0)
		xn = 0;
	exe[xn] = '\0';
	if (code) {
		/* nothing more */
	} else if (crontab || systemd) {
		if ((crontab ? schedule_crontab : schedule_systemd)(
			    loaded, paths, npos, exe, &out, &err) < 0)
			code = fail(&err);
		else
			fputs(out.buf ? out.buf : "", stdout);
	} else if (next) {
		int64_t t = (int64_t)time(NULL);
		char *end;
		long k = strtol(next, &end, 10);

		if (*end || k < 1 || k > 1000)
			code = usage_error("schedule: --next takes a number "
					   "from 1 to 1000, not '%s'", next);
		else if (from && tstamp_parse(from, strlen(from), &t) < 0)
			code = usage_error("schedule: --from takes a time "
					   "'YYYY-MM-DD HH:MM:SS' (UTC), not "
					   "'%s'", from);
		else if (schedule_next(loaded, npos, (int)k, t, &out, &err) < 0)
			code = fail(&err);
		else
			fputs(out.buf ? out.buf : "", stdout);
	} else {
		/* its own lines whatever -q (which the runs get): it logs
		 * little, and what it starts is worth a line */
		struct log_cli lc = { lfmt, lfile, 0 };
		struct schedule_opts so;
		struct evlog lg;

#define FWD(name, v) do { if (v) { fwd[nfwd++] = name; fwd[nfwd++] = v; } } while (0)
		FWD("--report-dir", rdir);
		FWD("--state-dir", stdir);
		FWD("--tmpdir", tmpdir);
		FWD("--jobs", jobs);
		FWD("--config", config);
		FWD("--log-format", lfmt);
		FWD("--log-file", lfile);
#undef FWD
		if (quiet)
			fwd[nfwd++] = "-q";
		memset(&so, 0, sizeof(so));
		so.fwd = fwd;
		so.nfwd = nfwd;
		so.state_dir = sdir ? sdir : "out/state/schedule";
		so.exe = exe;
		so.log = log_schedule;
		so.log_ctx = &lg;
		code = log_open(&lc, "schedule", &lg);
		if (code) {
			/* said why */
		} else if (!xn) {
			error_set(&err, ERR_INTERNAL, "cannot read "
				  "/proc/self/exe: %s", strerror(errno));
			code = fail(&err);
		} else if (stop_install() < 0) {
			error_set(&err, ERR_INTERNAL, "cannot catch SIGTERM/"
				  "SIGINT: %s", strerror(errno));
			code = fail(&err);
		} else if (schedule_loop(loaded, paths, npos, &so, &err) < 0) {
			code = fail_ev(&lg, &err, "schedule", NULL);
		}
		evlog_close(&lg);
	}
	for (size_t i = 0; i < nloaded; i++)
		job_free(loaded[i]);
	mem_free(loaded);
	mem_free(paths);
	sbuf_release(&out);
	error_release(&err);
	return code;
}

static int cmd_runs(const char *config, int argc, char **argv)
{
	struct runs_print rp;
	struct error err;
	struct job *job = NULL;
	const char *path = NULL;
	int json = 0, code = 0;
	uint64_t n = 0;
	size_t npos;
	const struct opt ro[] = {
		{ "--json", OPT_FLAG, NULL, NULL, &json, NULL, NULL, NULL },
	};

	code = parse_opts("runs", argc, argv, ro, NOPTS(ro), &path, 1, &npos,
			  ONE_JOB);
	if (code)
		return code;
	if (!path)
		return usage_error("runs: which job?%s", "");
	memset(&rp, 0, sizeof(rp));
	rp.json = json;
	error_init(&err);
	if (load_job_for(config, path, &job, &err) < 0 ||
	    (rp.job = job,
	     verify_runs(job->store_dsn, job->store_table, job->name, keep_run,
			 &rp, &n, &err) < 0)) {
		code = fail(&err);
	} else if (json) {
		printf("[");
		for (size_t i = rp.n; i > 0; i--)
			printf("%s\n%s", i == rp.n ? "" : ",", rp.line[i - 1]);
		printf("%s]\n", rp.n ? "\n" : "");
	} else if (!rp.n) {
		fprintf(stderr, "recon: runs: job '%s' has no published run in "
			"store '%s' table '%s'\n", job->name, job->store_dsn,
			job->store_table);
	} else {
		printf("%6s  %-29s  %-19s  %-11s  %-10s  %9s  %10s  %10s  %7s\n",
		       "seq", "run", "as-of", "mode", "status", "versions",
		       "exceptions", "rows read", "seconds");
		for (size_t i = rp.n; i > 0; i--)
			printf("%s\n", rp.line[i - 1]);
	}
	for (size_t i = 0; i < rp.n; i++)
		mem_free(rp.line[i]);
	mem_free(rp.line);
	job_free(job);
	error_release(&err);
	return code;
}

/* recon config: the effective configuration, text or JSON (config.h). */
static int cmd_config(const char *config, int argc, char **argv)
{
	struct config cfg;
	struct sbuf out = SBUF_INIT((size_t)1 << 20);
	const char *own = NULL;
	int json = 0, code;
	size_t npos;
	const struct opt co[] = {
		{ "--config", OPT_ONE, "a file", "/etc/recon/recon.conf", NULL,
		  &own, NULL, NULL },
		{ "--json", OPT_FLAG, NULL, NULL, &json, NULL, NULL, NULL },
	};

	code = parse_opts("config", argc, argv, co, NOPTS(co), NULL, 0, &npos,
			  "%s: takes no arguments ('%s')");
	if (code)
		return code;
	code = open_config(&cfg, config, own);
	if (!code && config_format(&cfg, json, &out) < 0) {
		fprintf(stderr, "recon: out of memory\n");
		code = error_exit_code(ERR_NOMEM);
	} else if (!code) {
		fputs(out.buf, stdout);
	}
	config_release(&cfg);
	sbuf_release(&out);
	return code;
}

static int cmd_exit_codes(const char *config, int argc, char **argv)
{
	(void)config;
	(void)argc;
	(void)argv;
	printf("%-4s %-11s %s\n", "code", "name", "meaning");
	printf("%-4d %-11s %s\n", EXIT_CLEAN, "OK", "run succeeded, no exceptions");
	printf("%-4d %-11s %s\n", EXIT_EXCEPTIONS, "EXCEPTIONS",
	       "run succeeded, exceptions reported");
	for (int c = ERR_USAGE; c < ERR__COUNT; c++)
		printf("%-4d %-11s %s\n", error_exit_code((enum err_code)c),
		       error_name((enum err_code)c),
		       error_describe((enum err_code)c));
	return 0;
}

/*
 * recon --version: the release, then every format this binary reads and
 * writes, by the name the file or table itself carries, so that an
 * operator can tell before an upgrade whether a store, a state folder or
 * a kept digest is one this binary takes (docs/STORE.md, "Formats").
 * The scheduler's state file carries no name: it is said so.
 */
static void print_formats(void)
{
	printf("recon %s\n", RECON_VERSION);
	printf("formats (read and written):\n");
	printf("  job files          %-17s the namespace of <job> (etc/job.xsd, "
	       "compiled in)\n", JOB_NS);
	printf("  store and ledger   %-17s T_schema.format: hashes, run digests, "
	       "tables\n", LEDGER_FORMAT);
	printf("  row fingerprints   %-17s hashed into every source row's "
	       "fingerprint\n", ROWFP_FORMAT);
	printf("  incremental state  %-17s the magic of each source's state "
	       "file\n", INCR_FORMAT);
	printf("  digest files       %-17s the first line of recon digest's "
	       "output\n", "'" VERIFY_DIGEST_FORMAT "'");
	printf("  schedule state     %-17s no format name: 'at K T' and "
	       "'start T' lines\n", "(unversioned)");
}

int main(int argc, char **argv)
{
	const char *config = NULL;

#ifdef __GLIBC__
	/* Large, short-lived blocks (the matcher's partitions, a phase's
	 * sort arrays) always from mmap, so that freeing one gives it back.
	 * glibc's default threshold rises to the size of the first large
	 * block freed; the next partitions then come from the heap, which
	 * keeps what they leave in pieces: measured, a first load of the
	 * 200,000-deal demo peaked at 114 MB with the default and 78 MB
	 * with this (docs/MATCHING.md, "Memory"). */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
	/* recon --config FILE COMMAND ...: the configuration for any
	 * command (config.h) */
	if (argc >= 2 && strcmp(argv[1], "--config") == 0) {
		if (argc < 3 || !*argv[2])
			return usage_error("--config needs a file, e.g. "
					   "--config %s", CONFIG_SYSTEM_FILE);
		config = argv[2];
		argc -= 2;
		argv += 2;
	}
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
		print_formats();
		return 0;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(config, argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}

/* recon report: a published run's report again, from T_report
 * (snapshot.h). */
static int cmd_report(const char *config, int argc, char **argv)
{
	struct error err;
	struct job *job = NULL;
	struct conn *c = NULL;
	struct snapshot *snap = NULL;
	struct sbuf run_id = SBUF_INIT(4096);
	const char *pos[2] = { NULL, NULL }, *format = NULL, *outp = NULL;
	enum snapshot_part part = SNAP_HTML;
	uint64_t seq = 0;
	int in_tx = 0, code = 0, k;
	size_t npos;
	const struct opt ro[] = {
		{ "--format", OPT_ONE, "a format (html, csv, summary or xml)",
		  "csv", NULL, &format, NULL, NULL },
		{ "-o", OPT_ONE, "a file to write", "report.html", NULL, &outp,
		  NULL, NULL },
	};

	code = parse_opts("report", argc, argv, ro, NOPTS(ro), pos, 2, &npos,
			  "%s: a job and one run ('%s')");
	if (code)
		return code;
	if (!pos[0] || !pos[1])
		return usage_error("report: want JOB RUN (a seq or a run id: "
				   "recon runs JOB)%s", "");
	if (format && snapshot_part_parse(format, &part) < 0)
		return usage_error("report: --format is html, csv, summary (the "
				   "control totals' CSV) or xml, not '%s'",
				   format);
	error_init(&err);
	if (load_job_for(config, pos[0], &job, &err) < 0 ||
	    verify_reader_open(job->store_dsn, job->store_table, job->name,
			       &c, &in_tx, &err) < 0 ||
	    lifecycle_find_run(c, job->store_table, job->name, pos[1],
			       "report", &run_id, &seq, NULL, &err) < 0) {
		code = fail(&err);
		goto out;
	}
	k = snapshot_load(c, job->store_table, run_id.buf, &snap, &err);
	if (k < 0) {
		error_context(&err, "job '%s', store '%s' table '%s'",
			      job->name, job->store_dsn, job->store_table);
		code = fail(&err);
		goto out;
	}
	if (k == 1) {
		error_set(&err, ERR_USAGE, "report: run %llu (%s) of job '%s' was "
			  "published by a recon that did not keep its report in "
			  "the store (T_report); it cannot be written again. "
			  "Runs published from now on can", (unsigned long long)seq,
			  run_id.buf, job->name);
		code = fail(&err);
		goto out;
	}
	/* unasked, the HTML if the run wrote one, else what it did write */
	if (!format && !(snap->formats & REPORT_HTML))
		part = snap->formats & REPORT_CSV ? SNAP_CSV
		       : snap->formats & REPORT_XML ? SNAP_XML : SNAP_HTML;
	verify_reader_close(c, in_tx);
	c = NULL;
	if (snapshot_render(snap, part, outp, stdout, NULL, &err) < 0) {
		code = fail(&err);
		goto out;
	}
	if (outp)
		printf("report of run %llu (%s): %s\n", (unsigned long long)seq,
		       run_id.buf, outp);
out:
	verify_reader_close(c, in_tx);
	snapshot_free(snap);
	sbuf_release(&run_id);
	job_free(job);
	error_release(&err);
	return code;
}

/* recon diff: the exceptions between two published runs (lifecycle.h,
 * docs/REPORTS.md "Exception lifecycle"); reads the store only. */
static int cmd_diff(const char *config, int argc, char **argv)
{
	struct error err;
	struct job *job = NULL;
	struct sbuf out = SBUF_INIT((size_t)1 << 30);
	const char *pos[3] = { NULL, NULL, NULL };
	int json = 0, code = 0;
	size_t npos;
	const struct opt dopt[] = {
		{ "--json", OPT_FLAG, NULL, NULL, &json, NULL, NULL, NULL },
	};

	code = parse_opts("diff", argc, argv, dopt, NOPTS(dopt), pos, 3, &npos,
			  "%s: a job and two runs ('%s')");
	if (code)
		return code;
	if (!pos[0] || !pos[1] || !pos[2])
		return usage_error("diff: want JOB RUN_A RUN_B (a seq or a run "
				   "id each: recon runs JOB)%s", "");
	error_init(&err);
	if (load_job_for(config, pos[0], &job, &err) < 0 ||
	    lifecycle_diff(job->store_dsn, job->store_table, job->name, pos[1],
			   pos[2], json, &out, &err) < 0)
		code = fail(&err);
	else
		fwrite(out.buf, 1, out.len, stdout);
	sbuf_release(&out);
	job_free(job);
	error_release(&err);
	return code;
}

/* recon explain: one record as one run saw it (explain.h,
 * docs/REPORTS.md "Explaining one key"); reads the store only. */
static int cmd_explain(const char *config, int argc, char **argv)
{
	struct error err;
	struct job *job = NULL;
	struct sbuf out = SBUF_INIT((size_t)1 << 30);
	const char *pos[2] = { NULL, NULL }, *run = NULL, *kind = NULL;
	const char *stdir = NULL;
	struct sbuf idir = SBUF_INIT(8192);
	int json = 0, code = 0;
	size_t npos;
	const struct opt eo[] = {
		{ "--run", OPT_ONE, "a run (a seq or a run id)", "3", NULL, &run,
		  NULL, NULL },
		{ "--kind", OPT_ONE, "a kind (order, deal or erp)", "order", NULL,
		  &kind, NULL, NULL },
		{ "--json", OPT_FLAG, NULL, NULL, &json, NULL, NULL, NULL },
		{ "--state-dir", OPT_ONE, "a folder", "out/state/nightly", NULL,
		  &stdir, NULL, NULL },
	};

	code = parse_opts("explain", argc, argv, eo, NOPTS(eo), pos, 2, &npos,
			  "%s: a job and one key ('%s')");
	if (code)
		return code;
	if (!pos[0] || !pos[1])
		return usage_error("explain: want JOB ID (a record's key, as "
				   "the exception report shows it)%s", "");
	if (kind && strcmp(kind, "order") != 0 && strcmp(kind, "deal") != 0 &&
	    strcmp(kind, "erp") != 0)
		return usage_error("explain: --kind is order, deal or erp, not "
				   "'%s'", kind);
	error_init(&err);
	if (load_job_for(config, pos[0], &job, &err) < 0) {
		code = fail(&err);
		goto out;
	}
	/* the run's kept inputs, where recon run keeps them (keep.c) */
	if (stdir)
		sbuf_addstr(&idir, stdir);
	else
		incr_default_dir(job, &idir);
	sbuf_addstr(&idir, "/inputs");
	if (explain_key(job->store_dsn, job->store_table, job->name, pos[1],
			kind, run, json, idir.failed ? NULL : idir.buf, &out,
			&err) < 0)
		code = fail(&err);
	else
		fwrite(out.buf, 1, out.len, stdout);
out:
	sbuf_release(&out);
	sbuf_release(&idir);
	job_free(job);
	error_release(&err);
	return code;
}

static int cmd_shadow(const char *config, int argc, char **argv)
{
	struct run_opts opts;
	struct shadow_opts so;
	struct shadow_result res;
	struct error err;
	struct config cfg;
	struct sbuf state = SBUF_INIT(1 << 16);
	struct evlog lg;
	struct log_cli lc = { NULL, NULL, 0 };
	struct job *job = NULL, *cjob = NULL;
	const char *path = NULL, *own_config = NULL, *stdir = NULL;
	const char *tmpdir = NULL, *cjob_path = NULL;
	size_t npos;
	int code;

	memset(&opts, 0, sizeof(opts));
	memset(&so, 0, sizeof(so));
	config_init(&cfg);
	{
		const struct opt ro[] = {
			{ "--rules", OPT_ONE, "a folder of candidate rule files",
			  "candidate/", NULL, &so.rules_dir, NULL, NULL },
			{ "--job", OPT_ONE, "a candidate job file",
			  "candidate/orders-nightly.xml", NULL, &cjob_path,
			  NULL, NULL },
			{ "--run", OPT_ONE, "a run (seq or run id)", "3", NULL,
			  &so.run, NULL, NULL },
			{ "-o", OPT_ONE, "a base name for BASE.csv and BASE.html",
			  "out/shadow/try1", NULL, &so.out, NULL, NULL },
			{ "--state-dir", OPT_ONE, "a folder", "out/state/nightly",
			  NULL, &stdir, NULL, NULL },
			{ "--tmpdir", OPT_ONE, "a folder", "/var/tmp", NULL,
			  &tmpdir, NULL, NULL },
			{ "--config", OPT_ONE, "a file", "/etc/recon/recon.conf",
			  NULL, &own_config, NULL, NULL },
			{ "-q", OPT_FLAG, NULL, NULL, &lc.quiet, NULL, NULL, NULL },
		};

		code = parse_opts("shadow", argc, argv, ro, NOPTS(ro), &path, 1,
				  &npos, ONE_JOB);
	}
	if (!code && !path)
		code = usage_error("shadow: which job?%s", "");
	if (!code && !so.rules_dir && !cjob_path)
		code = usage_error("shadow: --rules DIR names the folder of the "
				   "candidate rule files, --job FILE a candidate "
				   "job file (its tolerances, links, grace "
				   "periods); give one or both%s", "");
	if (!code)
		code = open_config(&cfg, config, own_config);
	if (!code)
		code = config_flag(&cfg, CONFIG_STATE_DIR, stdir);
	if (!code)
		code = config_flag(&cfg, CONFIG_TMPDIR, tmpdir);
	if (code) {
		config_release(&cfg);
		return code;
	}
	lc.format = config_get(&cfg, CONFIG_LOG_FORMAT);
	lc.file = config_get(&cfg, CONFIG_LOG_FILE);
	code = log_open(&lc, "shadow", &lg);
	if (code) {
		evlog_close(&lg);
		config_release(&cfg);
		return code;
	}
	opts.log = evlog_emit;
	opts.log_ctx = &lg;
	error_init(&err);
	shadow_result_init(&res);
	if (load_job(&cfg, path, &job, &err) < 0) {
		code = fail_ev(&lg, &err, "start", NULL);
		goto out;
	}
	lg.job = job->name;
	if (cjob_path && load_job(&cfg, cjob_path, &cjob, &err) < 0) {
		error_context(&err, "the candidate job file");
		code = fail_ev(&lg, &err, "start", NULL);
		goto out;
	}
	so.job = cjob;
	if ((code = run_settings(&cfg, job, &opts, &state)) != 0)
		goto out;
	so.state_dir = opts.state_dir;
	so.ropts = &opts;
	if (shadow_run(job, &so, &res, &err) < 0) {
		code = fail_ev(&lg, &err, "start", NULL);
		goto out;
	}
	fputs(res.text.buf, stdout);
	for (const char *p = res.paths.buf; p && *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		printf("report: %.*s\n", n, p);
		p = nl ? nl + 1 : NULL;
	}
	code = res.changes ? EXIT_EXCEPTIONS : EXIT_CLEAN;
out:
	evlog_close(&lg);
	shadow_result_release(&res);
	job_free(cjob);
	job_free(job);
	error_release(&err);
	config_release(&cfg);
	sbuf_release(&state);
	return code;
}
