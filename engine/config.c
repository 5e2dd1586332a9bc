/*
 * config.c - the engine configuration (config.h): the settings table,
 * the file parser, the environment and flags, and `recon config`'s
 * listing.
 *
 * Invariant: a value in struct config was checked by check_value() when
 * it was set, and its num is the parsed result; an unset value's default
 * (the table's def) passes the same check, which the unit suite asserts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "file.h"
#include "mem.h"
#include "text.h"
#include "xlate.h"
#include "banned.h"

/* How much of a value goes into a message. */
#define CONFIG_SHOW_MAX 80

const struct config_setting config_settings[CONFIG__COUNT] = {
	[CONFIG_STORE_DSN] = {
		"store-dsn", "RECON_STORE_DSN", NULL, CONFIG_DSN, NULL,
		"each job names <store dsn>", 0,
		"the store's ODBC data source for a job whose <store> has no "
		"dsn= (a job's dsn= wins)" },
	[CONFIG_REPORT_DIR] = {
		"report-dir", "RECON_REPORT_DIR", "--report-dir", CONFIG_PATH,
		NULL, "each job's <reports dir>", 0,
		"the folder every run writes its reports to, instead of the "
		"job's <reports dir>" },
	[CONFIG_STATE_DIR] = {
		"state-dir", "RECON_STATE_DIR", "--state-dir", CONFIG_PATH, NULL,
		"JOBDIR/../out/state/JOB", 0,
		"the folder under which each job keeps its state files, in "
		"STATE-DIR/JOB (--state-dir names one run's folder itself)" },
	[CONFIG_TMPDIR] = {
		"tmpdir", "RECON_TMPDIR", "--tmpdir", CONFIG_PATH, NULL,
		"$TMPDIR, else /tmp", 0,
		"where the matcher's spill files and hook summaries go" },
	[CONFIG_JOBS] = {
		"jobs", "RECON_JOBS", "--jobs", CONFIG_JOBS_K, "auto", NULL, 0,
		"translator threads: auto (one per online CPU but one, at "
		"least 1) or 1..64" },
	[CONFIG_LOG_FORMAT] = {
		"log-format", "RECON_LOG_FORMAT", "--log-format", CONFIG_LOGFMT, "text",
		NULL, 0, "the run log's lines: text or json" },
	[CONFIG_LOG_FILE] = {
		"log-file", "RECON_LOG_FILE", "--log-file", CONFIG_PATH, NULL, "stderr",
		0, "the file the run log is appended to" },
	[CONFIG_LOCK_WAIT] = {
		"lock-wait", "RECON_LOCK_WAIT", "--lock-wait", CONFIG_SECONDS, "0", NULL,
		0, "seconds a run waits for its job's lock before giving up "
		"(0..86400)" },
	[CONFIG_MATCH_MEMORY] = {
		"match-memory", "RECON_MATCH_MEMORY", NULL, CONFIG_SIZE, "64MB",
		NULL, 0, "the default of <limits match-memory>: bytes of "
		"partitions the matcher keeps before spilling (a job's "
		"<limits> wins)" },
	[CONFIG_RULE_MEMORY] = {
		"rule-memory", "RECON_RULE_MEMORY", NULL, CONFIG_SIZE, "64MB",
		NULL, JOB_RULE_MEMORY_MIN, "the default of <limits "
		"rule-memory>: the Lua heap's cap, at least 64KB (a job's "
		"<limits> wins)" },
	[CONFIG_KEEP_INPUTS] = {
		"keep-inputs", "RECON_KEEP_INPUTS", "--keep-inputs", CONFIG_COUNT,
		"2", NULL, 0, "the newest published runs whose inputs (every "
		"row read) stay in STATE-DIR/JOB/inputs for recon shadow "
		"(0..1000; 0: none)" },
};

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->file_how = "none";
}

void config_release(struct config *c)
{
	for (int i = 0; i < CONFIG__COUNT; i++)
		mem_free(c->v[i].value);
	mem_free(c->file);
	config_init(c);
}

int config_lookup(const char *name)
{
	for (int i = 0; i < CONFIG__COUNT; i++)
		if (strcmp(config_settings[i].name, name) == 0)
			return i;
	return -1;
}

/* ---- values ------------------------------------------------------------ */

/* 'value', cleaned and cut for a message, appended to why. */
static void show(struct sbuf *why, const char *v)
{
	sbuf_addch(why, '\'');
	text_add_clean(why, v, strlen(v), CONFIG_SHOW_MAX);
	sbuf_addch(why, '\'');
}

/* Digits only, at most max; 0 or -1. */
static int parse_count(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return -1;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Check value v of setting s; in_file: it comes from a configuration
 * file (paths there must be absolute: the file is read from any working
 * directory). 0 with *num set, or -1 with why ("log-format must be text
 * or json, not 'xml'").
 */
static int check_value(const struct config_setting *s, const char *v,
		       int in_file, uint64_t *num, struct sbuf *why)
{
	size_t size;

	*num = 0;
	switch (s->kind) {
	case CONFIG_DSN:
		/* never echoed: a connection string may hold a password */
		if (strchr(v, '=') || strchr(v, ';'))
			return sbuf_addf(why, "%s must be a DSN name from "
					 "odbc.ini, not a connection string: "
					 "credentials belong in odbc.ini or the "
					 "environment (RECON_<DSN>_UID, "
					 "RECON_<DSN>_PWD)", s->name), -1;
		if (!job_is_dsn(v)) {
			sbuf_addf(why, "%s must be a data source name from "
				  "odbc.ini ([A-Za-z0-9_.-]+), not ", s->name);
			return show(why, v), -1;
		}
		return 0;
	case CONFIG_PATH:
		if (in_file && v[0] != '/') {
			sbuf_addf(why, "%s must be an absolute path in a "
				  "configuration file, not ", s->name);
			return show(why, v), -1;
		}
		return 0;
	case CONFIG_JOBS_K:
		if (strcmp(v, "auto") == 0)
			return 0;
		if (parse_count(v, XLATE_MAX_JOBS, num) == 0 && *num >= 1)
			return 0;
		sbuf_addf(why, "%s must be auto or a number of translators "
			  "from 1 to %d, not ", s->name, XLATE_MAX_JOBS);
		return show(why, v), -1;
	case CONFIG_LOGFMT:
		if (strcmp(v, "text") == 0 || strcmp(v, "json") == 0) {
			*num = v[0] == 'j';
			return 0;
		}
		sbuf_addf(why, "%s must be text or json, not ", s->name);
		return show(why, v), -1;
	case CONFIG_SECONDS:
		if (parse_count(v, CONFIG_LOCK_WAIT_MAX, num) == 0)
			return 0;
		sbuf_addf(why, "%s must be a number of seconds from 0 to %d, "
			  "not ", s->name, CONFIG_LOCK_WAIT_MAX);
		return show(why, v), -1;
	case CONFIG_COUNT:
		if (parse_count(v, CONFIG_COUNT_MAX, num) == 0)
			return 0;
		sbuf_addf(why, "%s must be a number from 0 to %d, not ",
			  s->name, CONFIG_COUNT_MAX);
		return show(why, v), -1;
	case CONFIG_SIZE:
		if (job_parse_size(v, &size) == 0 && size >= s->min) {
			*num = size;
			return 0;
		}
		if (s->min)
			sbuf_addf(why, "%s must be a size of at least %lluKB "
				  "(bytes, or with KB, MB or GB), not ", s->name,
				  (unsigned long long)(s->min >> 10));
		else
			sbuf_addf(why, "%s must be a size (bytes, or with KB, "
				  "MB or GB; 0 to spill everything), not ",
				  s->name);
		return show(why, v), -1;
	}
	return sbuf_addstr(why, "unknown kind of setting"), -1;
}

/* Check v and store it as setting id's value from origin; -1 with why. */
static int set_value(struct config *c, enum config_id id, const char *v,
		     enum config_origin origin, int line, struct sbuf *why)
{
	struct config_value *cv = &c->v[id];
	uint64_t num;
	char *copy;

	if (!*v) {
		sbuf_addf(why, "%s needs a value (leave it out for the "
			  "default)", config_settings[id].name);
		return -1;
	}
	if (check_value(&config_settings[id], v, origin == CONFIG_FROM_FILE,
			&num, why) < 0)
		return -1;
	if (!(copy = mem_strdup(v)))
		return -2;
	mem_free(cv->value);
	cv->value = copy;
	cv->num = num;
	cv->origin = origin;
	cv->line = line;
	return 0;
}

/* ---- did you mean ------------------------------------------------------ */

static int fold(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A' + 'a';
	return ch == '_' ? '-' : ch;
}

/* Edit distance of a and b, case and '_'/'-' folded; names are short
 * (at most CONFIG_NAME_MAX compared). */
#define CONFIG_NAME_MAX 32
static size_t distance(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), row[CONFIG_NAME_MAX + 1];

	if (na > CONFIG_NAME_MAX || nb > CONFIG_NAME_MAX)
		return (size_t)-1;
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j];
			size_t best = diag + (fold(a[i - 1]) != fold(b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nb];
}

/* The setting closest to name, within two edits, or NULL. */
static const char *did_you_mean(const char *name)
{
	const char *best = NULL;
	size_t bd = 3;

	for (int i = 0; i < CONFIG__COUNT; i++) {
		size_t d = distance(name, config_settings[i].name);

		if (d < bd && d < strlen(config_settings[i].name)) {
			bd = d;
			best = config_settings[i].name;
		}
	}
	return best;
}

/* ---- the file ---------------------------------------------------------- */

static int is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

/* ERR_USAGE "NAME:LINE: why" (or ERR_NOMEM); -1. */
static int file_error(struct error *err, const char *name, int line,
		      struct sbuf *why, int rc)
{
	if (rc == -2 || why->failed == SBUF_NOMEM)
		return error_set(err, ERR_NOMEM, "%s:%d: out of memory", name,
				 line);
	return error_set(err, ERR_USAGE, "%s:%d: %s", name, line, why->buf);
}

/* One line s[0..n) (no newline), number line: a comment, blank, or
 * `key = value`. 0, or -1 with err set. */
static int read_line(struct config *c, const char *name, int line,
		     const char *s, size_t n, struct error *err)
{
	struct sbuf why = SBUF_INIT(1 << 12), key = SBUF_INIT(CONFIG_LINE_MAX),
		    val = SBUF_INIT(CONFIG_LINE_MAX);
	const char *eq, *k0, *k1, *v0, *v1;
	int id, rc = 0;

	while (n && (is_blank((unsigned char)s[n - 1]) || s[n - 1] == '\r'))
		n--;
	while (n && is_blank((unsigned char)*s))
		s++, n--;
	if (!n || *s == '#')
		return 0;
	eq = memchr(s, '=', n);
	if (!eq) {
		sbuf_addstr(&why, "expected 'key = value' or a # comment, got ");
		text_add_clean(&why, s, n, CONFIG_SHOW_MAX);
		rc = -1;
		goto out;
	}
	for (k0 = s, k1 = eq; k1 > k0 && is_blank((unsigned char)k1[-1]); k1--)
		;
	for (v0 = eq + 1, v1 = s + n; v0 < v1 && is_blank((unsigned char)*v0);
	     v0++)
		;
	sbuf_add(&key, k0, (size_t)(k1 - k0));
	sbuf_add(&val, v0, (size_t)(v1 - v0));
	if (key.failed || val.failed) {
		rc = -2;
		goto out;
	}
	if (!key.len) {
		sbuf_addstr(&why, "expected a setting's name before '='");
		rc = -1;
		goto out;
	}
	id = config_lookup(key.buf);
	if (id < 0) {
		const char *near = did_you_mean(key.buf);

		sbuf_addstr(&why, "unknown setting ");
		show(&why, key.buf);
		if (near)
			sbuf_addf(&why, " (did you mean '%s'?)", near);
		else
			sbuf_addstr(&why, " (recon config lists the settings)");
		rc = -1;
		goto out;
	}
	if (c->v[id].origin == CONFIG_FROM_FILE) {
		sbuf_addf(&why, "%s is set twice (first on line %d)", key.buf,
			  c->v[id].line);
		rc = -1;
		goto out;
	}
	rc = set_value(c, (enum config_id)id, val.buf, CONFIG_FROM_FILE, line,
		       &why);
out:
	if (rc < 0)
		file_error(err, name, line, &why, rc);
	sbuf_release(&why);
	sbuf_release(&key);
	sbuf_release(&val);
	return rc < 0 ? -1 : 0;
}

int config_read_text(struct config *c, const char *name, const char *text,
		     size_t n, struct error *err)
{
	const char *p = text, *end = text + n;
	size_t bad;
	int line = 1;

	/* the origin of what it sets: FILE:LINE */
	mem_free(c->file);
	if (!(c->file = mem_strdup(name)))
		return error_set(err, ERR_NOMEM, "out of memory");
	if (!utf8_valid(text, n, &bad) || memchr(text, '\0', n)) {
		for (const char *q = text; q < text + bad; q++)
			line += *q == '\n';
		return error_set(err, ERR_USAGE, "%s:%d: not UTF-8 text (a "
				 "configuration file holds key = value lines)",
				 name, line);
	}
	for (; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len > CONFIG_LINE_MAX)
			return error_set(err, ERR_USAGE, "%s:%d: line longer "
					 "than %d characters", name, line,
					 CONFIG_LINE_MAX);
		if (read_line(c, name, line, p, len, err) < 0)
			return -1;
		p += len + (nl != NULL);
	}
	return 0;
}

int config_read_file(struct config *c, const char *path, struct error *err)
{
	struct sbuf text = SBUF_INIT(CONFIG_FILE_MAX);
	const char *kind;
	char chunk[8192];
	FILE *f = file_open_regular(path, &kind);
	size_t n;
	int rc;

	if (!f && kind)
		return error_set(err, ERR_USAGE, "configuration file '%s' is "
				 "not a regular file (%s)", path, kind);
	if (!f)
		return error_set(err, ERR_USAGE, "cannot read configuration "
				 "file '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (sbuf_add(&text, chunk, n) < 0)
			break;
	if (ferror(f) || text.failed) {
		rc = text.failed == SBUF_NOMEM
			? error_set(err, ERR_NOMEM, "out of memory reading "
				    "configuration file '%s'", path)
			: error_set(err, ERR_USAGE, "cannot read configuration "
				    "file '%s'%s", path, text.failed ?
				    " (larger than 1 MB)" : "");
		fclose(f);
		sbuf_release(&text);
		return rc;
	}
	fclose(f);
	rc = config_read_text(c, path, text.buf, text.len, err);
	sbuf_release(&text);
	return rc;
}

/* ---- environment, flags, the whole set-up ------------------------------ */

int config_read_env(struct config *c, struct error *err)
{
	for (int i = 0; i < CONFIG__COUNT; i++) {
		const char *v = getenv(config_settings[i].env);
		struct sbuf why = SBUF_INIT(1 << 12);
		int rc;

		if (!v || !*v)	/* empty is unset, as with TMPDIR */
			continue;
		rc = set_value(c, (enum config_id)i, v, CONFIG_FROM_ENV, 0, &why);
		if (rc == -2 || (rc < 0 && why.failed == SBUF_NOMEM))
			error_set(err, ERR_NOMEM, "out of memory");
		else if (rc < 0)
			error_set(err, ERR_USAGE, "environment %s: %s",
				  config_settings[i].env, why.buf);
		sbuf_release(&why);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int config_set_flag(struct config *c, enum config_id id, const char *value,
		    struct error *err)
{
	struct sbuf why = SBUF_INIT(1 << 12);
	int rc = set_value(c, id, value, CONFIG_FROM_FLAG, 0, &why);

	if (rc == -2 || (rc < 0 && why.failed == SBUF_NOMEM))
		error_set(err, ERR_NOMEM, "out of memory");
	else if (rc < 0)
		error_set(err, ERR_USAGE, "%s: %s", config_settings[id].flag ?
			  config_settings[id].flag : config_settings[id].name,
			  why.buf);
	sbuf_release(&why);
	return rc < 0 ? -1 : 0;
}

void config_locate(const char *cmdline, const char **path, const char **how)
{
	const char *env = getenv("RECON_CONFIG");

	if (cmdline) {
		*path = cmdline;
		*how = "--config";
	} else if (env && *env) {
		*path = env;
		*how = "RECON_CONFIG";
	} else if (env) {
		*path = NULL;
		*how = "none: RECON_CONFIG is empty";
	} else if (access(CONFIG_SYSTEM_FILE, F_OK) == 0) {
		*path = CONFIG_SYSTEM_FILE;
		*how = CONFIG_SYSTEM_FILE;
	} else {
		*path = NULL;
		*how = "none: no --config, no RECON_CONFIG, no "
		       CONFIG_SYSTEM_FILE;
	}
}

int config_load(struct config *c, const char *cmdline, struct error *err)
{
	const char *path, *how;

	config_locate(cmdline, &path, &how);
	c->file_how = how;
	/* the message names the file: no context needed */
	if (path && config_read_file(c, path, err) < 0)
		return -1;
	return config_read_env(c, err);
}

/* ---- reading it -------------------------------------------------------- */

const char *config_get(const struct config *c, enum config_id id)
{
	return c->v[id].value ? c->v[id].value : config_settings[id].def;
}

uint64_t config_num(const struct config *c, enum config_id id)
{
	struct sbuf why = SBUF_INIT(1 << 12);
	uint64_t num = 0;

	if (c->v[id].value) {
		num = c->v[id].num;
	} else if (config_settings[id].def &&
		   check_value(&config_settings[id], config_settings[id].def, 0,
			       &num, &why) < 0) {
		num = 0;	/* the unit suite checks every default */
	}
	sbuf_release(&why);
	return num;
}

int config_origin(const struct config *c, enum config_id id, struct sbuf *out)
{
	switch (c->v[id].origin) {
	case CONFIG_FROM_FILE:
		return sbuf_addf(out, "%s:%d", c->file ? c->file : "?",
				 c->v[id].line);
	case CONFIG_FROM_ENV:
		return sbuf_addf(out, "env %s", config_settings[id].env);
	case CONFIG_FROM_FLAG:
		return sbuf_addf(out, "flag %s", config_settings[id].flag ?
				 config_settings[id].flag : config_settings[id].name);
	case CONFIG_FROM_DEFAULT:
		break;
	}
	return sbuf_addstr(out, "default");
}

void config_job_defaults(const struct config *c, struct job_defaults *d)
{
	job_defaults_init(d);
	d->store_dsn = config_get(c, CONFIG_STORE_DSN);
	d->match_memory = (size_t)config_num(c, CONFIG_MATCH_MEMORY);
	d->rule_memory = (size_t)config_num(c, CONFIG_RULE_MEMORY);
}

/* The value as `recon config` shows it: the text, or "(what unset
 * means)". */
static void add_shown(struct sbuf *out, const struct config *c, int i)
{
	const char *v = config_get(c, (enum config_id)i);

	if (v)
		sbuf_addstr(out, v);
	else
		sbuf_addf(out, "(%s)", config_settings[i].unset);
}

static int format_json(const struct config *c, struct sbuf *out)
{
	struct sbuf o = SBUF_INIT(1 << 16);

	sbuf_addstr(out, "{\n\"file\":");
	if (c->file)
		text_add_json(out, c->file);
	else
		sbuf_addstr(out, "null");
	sbuf_addstr(out, ",\n\"found\":");
	text_add_json(out, c->file_how);
	sbuf_addstr(out, ",\n\"settings\":{");
	for (int i = 0; i < CONFIG__COUNT; i++) {
		const struct config_setting *s = &config_settings[i];
		const char *v = config_get(c, (enum config_id)i);

		sbuf_reset(&o);
		config_origin(c, (enum config_id)i, &o);
		sbuf_addf(out, "%s\n\"%s\":{\"value\":", i ? "," : "", s->name);
		if (v)
			text_add_json(out, v);
		else
			sbuf_addstr(out, "null");
		sbuf_addstr(out, ",\"origin\":");
		text_add_json(out, o.buf);
		sbuf_addf(out, ",\"env\":\"%s\",\"flag\":", s->env);
		if (s->flag)
			text_add_json(out, s->flag);
		else
			sbuf_addstr(out, "null");
		sbuf_addstr(out, ",\"unset\":");
		if (s->unset)
			text_add_json(out, s->unset);
		else
			sbuf_addstr(out, "null");
		sbuf_addstr(out, ",\"help\":");
		text_add_json(out, s->help);
		sbuf_addch(out, '}');
	}
	sbuf_addstr(out, "\n}\n}\n");
	sbuf_release(&o);
	return out->failed ? -1 : 0;
}

int config_format(const struct config *c, int json, struct sbuf *out)
{
	struct sbuf v = SBUF_INIT(1 << 16);
	size_t wname = 0, wval = 0;

	if (json)
		return format_json(c, out);
	for (int i = 0; i < CONFIG__COUNT; i++) {
		size_t n = strlen(config_settings[i].name);

		sbuf_reset(&v);
		add_shown(&v, c, i);
		wname = n > wname ? n : wname;
		wval = v.len > wval ? v.len : wval;
	}
	if (c->file)
		sbuf_addf(out, "# configuration file: %s (%s)\n", c->file,
			  c->file_how);
	else
		sbuf_addf(out, "# configuration file: %s\n", c->file_how);
	for (int i = 0; i < CONFIG__COUNT; i++) {
		sbuf_reset(&v);
		add_shown(&v, c, i);
		sbuf_addf(out, "%-*s  %-*s  ", (int)wname, config_settings[i].name,
			  (int)wval, v.buf);
		config_origin(c, (enum config_id)i, out);
		sbuf_addch(out, '\n');
	}
	sbuf_release(&v);
	return out->failed ? -1 : 0;
}
