/*
 * test_config.c - the engine configuration (engine/config.c): the file's
 * syntax and every error message (FILE:LINE), the precedence default <
 * file < environment < flag with each value's origin, did-you-mean,
 * where the file is found, `recon config`'s listing, and the job
 * loader's defaults from it (<store dsn>, <limits match-memory
 * rule-memory>).
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/job.h"
#include "engine/mem.h"

/* Every RECON_<SETTING> unset, so that the caller's environment does not
 * reach the tests. */
static void clear_env(void)
{
	for (int i = 0; i < CONFIG__COUNT; i++)
		unsetenv(config_settings[i].env);
	unsetenv("RECON_CONFIG");
}

/* Read text as "t.conf" into a fresh c; the return of config_read_text. */
static int read_text(struct config *c, struct error *err, const char *text)
{
	config_init(c);
	error_init(err);
	return config_read_text(c, "t.conf", text, strlen(text), err);
}

/* The origin of setting id as text, in a static buffer. */
static const char *origin(const struct config *c, enum config_id id)
{
	static char buf[256];
	struct sbuf o = SBUF_INIT(256);

	config_origin(c, id, &o);
	snprintf(buf, sizeof(buf), "%s", o.buf);
	sbuf_release(&o);
	return buf;
}

START_TEST(parses_file)
{
	struct config c;
	struct error err;
	const char *text =
		"# the engine configuration\n"
		"\n"
		"   report-dir =   /srv/recon/reports  \n"
		"\tjobs=3\r\n"
		"log-format = json\n"
		"# store-dsn = commented\n"
		"lock-wait = 120\n"
		"match-memory = 512KB\n"
		"rule-memory = 1GB\n"
		"store-dsn = site_store.1\n"
		"tmpdir = /var/tmp/with # not a comment\n";

	clear_env();
	ck_assert_int_eq(read_text(&c, &err, text), 0);
	ck_assert_str_eq(config_get(&c, CONFIG_REPORT_DIR), "/srv/recon/reports");
	ck_assert_str_eq(origin(&c, CONFIG_REPORT_DIR), "t.conf:3");
	ck_assert_str_eq(config_get(&c, CONFIG_JOBS), "3");
	ck_assert_uint_eq(config_num(&c, CONFIG_JOBS), 3);
	ck_assert_uint_eq(config_num(&c, CONFIG_LOG_FORMAT), 1);
	ck_assert_uint_eq(config_num(&c, CONFIG_LOCK_WAIT), 120);
	ck_assert_uint_eq(config_num(&c, CONFIG_MATCH_MEMORY), 512 << 10);
	ck_assert_uint_eq(config_num(&c, CONFIG_RULE_MEMORY), (uint64_t)1 << 30);
	ck_assert_str_eq(config_get(&c, CONFIG_STORE_DSN), "site_store.1");
	ck_assert_str_eq(config_get(&c, CONFIG_TMPDIR),
			 "/var/tmp/with # not a comment");
	/* untouched: the defaults */
	ck_assert_ptr_null(config_get(&c, CONFIG_STATE_DIR));
	ck_assert_ptr_null(config_get(&c, CONFIG_LOG_FILE));
	ck_assert_str_eq(origin(&c, CONFIG_STATE_DIR), "default");
	config_release(&c);
	error_release(&err);
}
END_TEST

/* Every default passes its own check, and the memory defaults are the
 * job loader's. */
START_TEST(defaults_are_valid)
{
	struct config c;
	struct error err;
	struct job_defaults d;
	char line[256];

	clear_env();
	for (int i = 0; i < CONFIG__COUNT; i++) {
		const struct config_setting *s = &config_settings[i];

		ck_assert_msg((s->def == NULL) != (s->unset == NULL),
			      "%s: a default or what unset means", s->name);
		ck_assert_int_eq(strncmp(s->env, "RECON_", 6), 0);
		if (!s->def)
			continue;
		snprintf(line, sizeof(line), "%s = %s\n", s->name, s->def);
		ck_assert_msg(read_text(&c, &err, line) == 0, "%s: %s", s->name,
			      err.msg.buf);
		config_release(&c);
		error_release(&err);
	}
	config_init(&c);
	config_job_defaults(&c, &d);
	ck_assert_ptr_null(d.store_dsn);
	ck_assert_uint_eq(d.match_memory, JOB_DEFAULT_MATCH_MEMORY);
	ck_assert_uint_eq(d.rule_memory, JOB_DEFAULT_RULE_MEMORY);
	ck_assert_uint_eq(config_num(&c, CONFIG_JOBS), 0);	/* auto */
	ck_assert_uint_eq(config_num(&c, CONFIG_LOCK_WAIT), 0);
	ck_assert_str_eq(config_get(&c, CONFIG_LOG_FORMAT), "text");
	config_release(&c);
}
END_TEST

static const struct {
	const char *text;
	const char *msg;
} bad_files[] = {
	{ "log-format = xml\n",
	  "t.conf:1: log-format must be text or json, not 'xml'" },
	{ "\n# x\nreport_dir = /srv/r\n",
	  "t.conf:3: unknown setting 'report_dir' (did you mean 'report-dir'?)" },
	{ "lockwait = 5\n",
	  "t.conf:1: unknown setting 'lockwait' (did you mean 'lock-wait'?)" },
	{ "LOG_FORMAT = json\n",
	  "t.conf:1: unknown setting 'LOG_FORMAT' (did you mean 'log-format'?)" },
	{ "colour = red\n",
	  "t.conf:1: unknown setting 'colour' (recon config lists the settings)" },
	{ "jobs = 4\n\njobs = 5\n",
	  "t.conf:3: jobs is set twice (first on line 1)" },
	{ "report-dir /srv/r\n",
	  "t.conf:1: expected 'key = value' or a # comment, got report-dir /srv/r" },
	{ "= 3\n", "t.conf:1: expected a setting's name before '='" },
	{ "tmpdir =  \t\n",
	  "t.conf:1: tmpdir needs a value (leave it out for the default)" },
	{ "report-dir = out/reports\n",
	  "t.conf:1: report-dir must be an absolute path in a configuration "
	  "file, not 'out/reports'" },
	{ "jobs = 0\n", "t.conf:1: jobs must be auto or a number of "
	  "translators from 1 to 64, not '0'" },
	{ "jobs = 65\n", "t.conf:1: jobs must be auto or a number of "
	  "translators from 1 to 64, not '65'" },
	{ "jobs = two\n", "t.conf:1: jobs must be auto or a number of "
	  "translators from 1 to 64, not 'two'" },
	{ "lock-wait = 86401\n", "t.conf:1: lock-wait must be a number of "
	  "seconds from 0 to 86400, not '86401'" },
	{ "lock-wait = -1\n", "t.conf:1: lock-wait must be a number of "
	  "seconds from 0 to 86400, not '-1'" },
	{ "match-memory = 64 MB\n", "t.conf:1: match-memory must be a size "
	  "(bytes, or with KB, MB or GB; 0 to spill everything), not '64 MB'" },
	{ "rule-memory = 1KB\n", "t.conf:1: rule-memory must be a size of at "
	  "least 64KB (bytes, or with KB, MB or GB), not '1KB'" },
	{ "store-dsn = DSN=store;UID=u;PWD=secret\n", "t.conf:1: store-dsn "
	  "must be a DSN name from odbc.ini, not a connection string: "
	  "credentials belong in odbc.ini or the environment "
	  "(RECON_<DSN>_UID, RECON_<DSN>_PWD)" },
	{ "store-dsn = a;b\n", "t.conf:1: store-dsn must be a DSN name from "
	  "odbc.ini, not a connection string: credentials belong in odbc.ini "
	  "or the environment (RECON_<DSN>_UID, RECON_<DSN>_PWD)" },
	{ "store-dsn = my store\n", "t.conf:1: store-dsn must be a data "
	  "source name from odbc.ini ([A-Za-z0-9_.-]+), not 'my store'" },
	{ "jobs = 2\nlog-file = \xff\n",
	  "t.conf:2: not UTF-8 text (a configuration file holds key = value "
	  "lines)" },
};

START_TEST(file_errors)
{
	struct config c;
	struct error err;

	clear_env();
	ck_assert_int_eq(read_text(&c, &err, bad_files[_i].text), -1);
	ck_assert_int_eq(err.code, ERR_USAGE);
	ck_assert_str_eq(err.msg.buf, bad_files[_i].msg);
	ck_assert_ptr_null(strstr(err.msg.buf, "secret"));
	config_release(&c);
	error_release(&err);
}
END_TEST

START_TEST(long_line)
{
	struct config c;
	struct error err;
	char *text = mem_alloc(CONFIG_LINE_MAX + 64);

	ck_assert_ptr_nonnull(text);
	memcpy(text, "jobs = 2\ntmpdir = /", 19);
	memset(text + 19, 'a', CONFIG_LINE_MAX);
	text[19 + CONFIG_LINE_MAX] = '\0';
	clear_env();
	ck_assert_int_eq(read_text(&c, &err, text), -1);
	ck_assert_str_eq(err.msg.buf, "t.conf:2: line longer than 4096 characters");
	config_release(&c);
	error_release(&err);
	mem_free(text);
}
END_TEST

/* default < file < environment < flag, each remembering its origin */
START_TEST(precedence)
{
	struct config c;
	struct error err;

	clear_env();
	ck_assert_int_eq(read_text(&c, &err,
				   "report-dir = /file/reports\njobs = 2\n"), 0);
	ck_assert_int_eq(config_read_env(&c, &err), 0);
	ck_assert_str_eq(config_get(&c, CONFIG_REPORT_DIR), "/file/reports");
	ck_assert_str_eq(origin(&c, CONFIG_REPORT_DIR), "t.conf:1");
	ck_assert_str_eq(origin(&c, CONFIG_TMPDIR), "default");

	setenv("RECON_REPORT_DIR", "env/reports", 1);	/* relative: fine */
	setenv("RECON_TMPDIR", "/env/tmp", 1);
	setenv("RECON_JOBS", "", 1);			/* empty: unset */
	ck_assert_int_eq(config_read_env(&c, &err), 0);
	ck_assert_str_eq(config_get(&c, CONFIG_REPORT_DIR), "env/reports");
	ck_assert_str_eq(origin(&c, CONFIG_REPORT_DIR), "env RECON_REPORT_DIR");
	ck_assert_str_eq(origin(&c, CONFIG_TMPDIR), "env RECON_TMPDIR");
	ck_assert_str_eq(config_get(&c, CONFIG_JOBS), "2");
	ck_assert_str_eq(origin(&c, CONFIG_JOBS), "t.conf:2");

	ck_assert_int_eq(config_set_flag(&c, CONFIG_REPORT_DIR, "flag/reports",
					 &err), 0);
	ck_assert_str_eq(config_get(&c, CONFIG_REPORT_DIR), "flag/reports");
	ck_assert_str_eq(origin(&c, CONFIG_REPORT_DIR), "flag --report-dir");
	ck_assert_str_eq(origin(&c, CONFIG_TMPDIR), "env RECON_TMPDIR");
	ck_assert_int_eq(config_set_flag(&c, CONFIG_JOBS, "auto", &err), 0);
	ck_assert_uint_eq(config_num(&c, CONFIG_JOBS), 0);
	ck_assert_str_eq(origin(&c, CONFIG_JOBS), "flag --jobs");

	/* bad values name where they came from */
	ck_assert_int_eq(config_set_flag(&c, CONFIG_JOBS, "0", &err), -1);
	ck_assert_str_eq(err.msg.buf, "--jobs: jobs must be auto or a number of "
			 "translators from 1 to 64, not '0'");
	error_clear(&err);
	setenv("RECON_LOG_FORMAT", "xml", 1);
	ck_assert_int_eq(config_read_env(&c, &err), -1);
	ck_assert_int_eq(err.code, ERR_USAGE);
	ck_assert_str_eq(err.msg.buf, "environment RECON_LOG_FORMAT: log-format "
			 "must be text or json, not 'xml'");
	clear_env();
	config_release(&c);
	error_release(&err);
}
END_TEST

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/recon-test-config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	clear_env();
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	clear_env();
}

/* dir/name with text; the path in a static buffer (two in turn). */
static const char *put(const char *name, const char *text)
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
	return p;
}

/* --config beats RECON_CONFIG; RECON_CONFIG set and empty: no file. */
START_TEST(locate_and_load)
{
	struct config c;
	struct error err;
	const char *a = put("a.conf", "jobs = 2\n");
	const char *b = put("b.conf", "# line 1\njobs = 5\n");
	const char *path, *how;
	char want[PATH_MAX + 64];

	config_locate(a, &path, &how);
	ck_assert_str_eq(path, a);
	ck_assert_str_eq(how, "--config");
	setenv("RECON_CONFIG", b, 1);
	config_locate(NULL, &path, &how);
	ck_assert_str_eq(path, b);
	ck_assert_str_eq(how, "RECON_CONFIG");
	config_locate(a, &path, &how);
	ck_assert_str_eq(path, a);
	setenv("RECON_CONFIG", "", 1);
	config_locate(NULL, &path, &how);
	ck_assert_ptr_null(path);
	ck_assert_str_eq(how, "none: RECON_CONFIG is empty");

	setenv("RECON_CONFIG", b, 1);
	config_init(&c);
	error_init(&err);
	ck_assert_int_eq(config_load(&c, NULL, &err), 0);
	ck_assert_uint_eq(config_num(&c, CONFIG_JOBS), 5);
	snprintf(want, sizeof(want), "%s:2", b);
	ck_assert_str_eq(origin(&c, CONFIG_JOBS), want);
	setenv("RECON_JOBS", "7", 1);
	config_release(&c);
	config_init(&c);
	ck_assert_int_eq(config_load(&c, a, &err), 0);
	ck_assert_uint_eq(config_num(&c, CONFIG_JOBS), 7);
	ck_assert_str_eq(origin(&c, CONFIG_JOBS), "env RECON_JOBS");
	config_release(&c);

	/* a file that is named must be there */
	snprintf(want, sizeof(want), "%s/none.conf", dir);
	config_init(&c);
	ck_assert_int_eq(config_load(&c, want, &err), -1);
	ck_assert_int_eq(err.code, ERR_USAGE);
	ck_assert_str_eq(err.msg.buf + strlen(err.msg.buf) -
			 strlen("none.conf': No such file or directory"),
			 "none.conf': No such file or directory");
	ck_assert_int_eq(strncmp(err.msg.buf, "cannot read configuration file '",
				 32), 0);
	config_release(&c);
	error_clear(&err);
	config_init(&c);
	ck_assert_int_eq(config_load(&c, dir, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "is not a regular file"));
	config_release(&c);
	error_clear(&err);

	/* errors in a file name it and the line */
	b = put("bad.conf", "jobs = 2\n\nlog-format = xml\n");
	config_init(&c);
	ck_assert_int_eq(config_load(&c, b, &err), -1);
	snprintf(want, sizeof(want), "%s:3: log-format must be text or json, "
		 "not 'xml'", b);
	ck_assert_str_eq(err.msg.buf, want);
	config_release(&c);
	error_release(&err);
}
END_TEST

START_TEST(listing)
{
	struct config c;
	struct error err;
	struct sbuf out = SBUF_INIT(1 << 16);
	const char *f = put("l.conf", "report-dir = /srv/r\nlog-format = json\n");

	setenv("RECON_LOCK_WAIT", "30", 1);
	config_init(&c);
	error_init(&err);
	ck_assert_int_eq(config_load(&c, f, &err), 0);
	ck_assert_int_eq(config_set_flag(&c, CONFIG_TMPDIR, "/t", &err), 0);
	ck_assert_int_eq(config_format(&c, 0, &out), 0);
	/* names and values aligned: the widest name is match-memory (12) */
	ck_assert_ptr_nonnull(strstr(out.buf, "\nlock-wait     30  "));
	ck_assert_ptr_nonnull(strstr(out.buf, "  env RECON_LOCK_WAIT\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "  flag --tmpdir\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "(each job names <store dsn>)"));
	ck_assert_ptr_nonnull(strstr(out.buf, "l.conf:1\n"));
	ck_assert_int_eq(strncmp(out.buf, "# configuration file: ", 22), 0);
	sbuf_reset(&out);
	ck_assert_int_eq(config_format(&c, 1, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.buf, "\n\"lock-wait\":{\"value\":\"30\","
				     "\"origin\":\"env RECON_LOCK_WAIT\","));
	ck_assert_ptr_nonnull(strstr(out.buf, "\n\"tmpdir\":{\"value\":\"/t\","
				     "\"origin\":\"flag --tmpdir\","));
	ck_assert_ptr_nonnull(strstr(out.buf, "\n\"store-dsn\":{\"value\":null,"
				     "\"origin\":\"default\","));
	ck_assert_ptr_nonnull(strstr(out.buf, "\"found\":\"--config\""));
	sbuf_release(&out);
	config_release(&c);
	error_release(&err);
}
END_TEST

/* A job file in dir: store (the <store> element) and limits (an
 * element or ""). */
static const char *job_file(const char *store, const char *limits)
{
	char cwd[PATH_MAX], text[8192];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(text, sizeof(text),
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<job xmlns=\"urn:recon:job:1\" name=\"conf\">\n"
		 "  <sources>\n"
		 "    <source name=\"d\" role=\"deal\" dsn=\"d\" translate=\"t\"><query>SELECT 1</query></source>\n"
		 "    <source name=\"o\" role=\"order\" dsn=\"o\" translate=\"t\"><query>SELECT 2</query></source>\n"
		 "    <source name=\"e\" role=\"erp\" dsn=\"e\" translate=\"t\"><query>SELECT 3</query></source>\n"
		 "  </sources>\n"
		 "  <rules><file>%s/tests/data/jobs/rules/translate.lua</file></rules>\n"
		 "  <reports dir=\"reports\" formats=\"csv\"/>\n"
		 "  %s\n  %s\n"
		 "</job>\n", cwd, store, limits);
	return put("job.xml", text);
}

/* The job's <store dsn> and <limits> win over the configuration's
 * store-dsn, match-memory and rule-memory, which win over the built-in
 * defaults. */
START_TEST(job_defaults)
{
	struct config c;
	struct error err;
	struct job_defaults d;
	struct job *job = NULL;
	const char *path;

	ck_assert_int_eq(read_text(&c, &err, "store-dsn = site_store\n"
				   "match-memory = 1MB\nrule-memory = 128KB\n"), 0);
	config_job_defaults(&c, &d);

	/* no dsn=: the configuration's; no <limits>: its sizes */
	path = job_file("<store table=\"t\"/>", "");
	ck_assert_msg(job_load_with(path, &d, &job, &err) == 0, "%s", err.msg.buf);
	ck_assert_str_eq(job->store_dsn, "site_store");
	ck_assert_uint_eq(job->match_memory, (size_t)1 << 20);
	ck_assert_uint_eq(job->rule_memory, (size_t)128 << 10);
	job_free(job);

	/* the job's own win */
	path = job_file("<store dsn=\"own\" table=\"t\"/>",
			"<limits match-memory=\"2MB\" rule-memory=\"256KB\"/>");
	ck_assert_int_eq(job_load_with(path, &d, &job, &err), 0);
	ck_assert_str_eq(job->store_dsn, "own");
	ck_assert_uint_eq(job->match_memory, (size_t)2 << 20);
	ck_assert_uint_eq(job->rule_memory, (size_t)256 << 10);
	job_free(job);
	/* one <limits> attribute leaves the other at the configuration's */
	path = job_file("<store dsn=\"own\" table=\"t\"/>",
			"<limits match-memory=\"0\"/>");
	ck_assert_int_eq(job_load_with(path, &d, &job, &err), 0);
	ck_assert_uint_eq(job->match_memory, 0);
	ck_assert_uint_eq(job->rule_memory, (size_t)128 << 10);
	job_free(job);

	/* without a configuration: the built-in defaults, and dsn= needed */
	path = job_file("<store dsn=\"own\" table=\"t\"/>", "");
	ck_assert_int_eq(job_load(path, &job, &err), 0);
	ck_assert_uint_eq(job->match_memory, JOB_DEFAULT_MATCH_MEMORY);
	ck_assert_uint_eq(job->rule_memory, JOB_DEFAULT_RULE_MEMORY);
	job_free(job);
	job = NULL;
	path = job_file("<store table=\"t\"/>", "");
	ck_assert_int_eq(job_load(path, &job, &err), -1);
	ck_assert_ptr_null(job);
	ck_assert_int_eq(err.code, ERR_JOB);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "job.xml:10: <store> needs "
				     "dsn= (or store-dsn in the engine "
				     "configuration"));
	config_release(&c);
	error_release(&err);
}
END_TEST

/* The shipped sample changes nothing; with its settings uncommented it
 * is valid and sets each of them (so it names every setting). */
START_TEST(sample_file)
{
	struct config c;
	struct error err;
	FILE *f = fopen("etc/recon.conf", "r");
	char line[1024], text[1 << 14] = "";

	ck_assert_ptr_nonnull(f);
	config_init(&c);
	error_init(&err);
	ck_assert_int_eq(config_read_file(&c, "etc/recon.conf", &err), 0);
	for (int i = 0; i < CONFIG__COUNT; i++)
		ck_assert_int_eq(c.v[i].origin, CONFIG_FROM_DEFAULT);
	config_release(&c);
	while (fgets(line, sizeof(line), f))
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' &&
		    strstr(line, " = "))
			strncat(text, line + 1, sizeof(text) - strlen(text) - 1);
	fclose(f);
	ck_assert_msg(read_text(&c, &err, text) == 0, "%s", err.msg.buf);
	for (int i = 0; i < CONFIG__COUNT; i++) {
		ck_assert_msg(c.v[i].origin == CONFIG_FROM_FILE, "%s not in the "
			      "sample", config_settings[i].name);
		if (config_settings[i].def)
			ck_assert_str_eq(c.v[i].value, config_settings[i].def);
	}
	config_release(&c);
	error_release(&err);
}
END_TEST

Suite *suite_config(void);
Suite *suite_config(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, parses_file);
	tcase_add_test(tc, defaults_are_valid);
	tcase_add_loop_test(tc, file_errors, 0,
			    (int)(sizeof(bad_files) / sizeof(bad_files[0])));
	tcase_add_test(tc, long_line);
	tcase_add_test(tc, precedence);
	tcase_add_test(tc, locate_and_load);
	tcase_add_test(tc, listing);
	tcase_add_test(tc, job_defaults);
	tcase_add_test(tc, sample_file);
	suite_add_tcase(s, tc);
	return s;
}
