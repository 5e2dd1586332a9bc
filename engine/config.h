/*
 * config.h - the engine configuration: one table of settings, each with
 * its default, its environment variable and (for some) the command-line
 * flag that overrides it (README.md, "Configuration"; etc/recon.conf).
 *
 * Precedence, lowest first: the built-in default, the configuration
 * file, the environment (RECON_NAME_UPPER), the command line. Each value
 * remembers where it came from, which `recon config` prints.
 *
 * The file holds `key = value` lines, `#` comment lines and blank
 * lines; nothing else. Every error names FILE:LINE (or the environment
 * variable, or the flag) and what was expected; an unknown key is an
 * error, with a did-you-mean when a setting's name is close.
 *
 * Values are checked when they are set, so config_get()/config_num()
 * never fail. Nothing here reads a job or opens a database; library code
 * never prints.
 */
#ifndef RECON_CONFIG_H
#define RECON_CONFIG_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "job.h"

/* One entry per setting of config_settings[], in its order. */
enum config_id {
	CONFIG_STORE_DSN,
	CONFIG_REPORT_DIR,
	CONFIG_STATE_DIR,
	CONFIG_TMPDIR,
	CONFIG_JOBS,
	CONFIG_LOG_FORMAT,
	CONFIG_LOG_FILE,
	CONFIG_LOCK_WAIT,
	CONFIG_MATCH_MEMORY,
	CONFIG_RULE_MEMORY,
	CONFIG_KEEP_INPUTS,
	CONFIG__COUNT
};

/* What kind of value a setting takes: its checker and what num holds. */
enum config_kind {
	CONFIG_DSN,	/* a DSN name, no credentials; num unused */
	CONFIG_PATH,	/* a path (absolute in a file); num unused */
	CONFIG_JOBS_K,	/* "auto" (num 0) or 1..XLATE_MAX_JOBS */
	CONFIG_LOGFMT,	/* text (num 0) or json (num 1) */
	CONFIG_SECONDS,	/* 0..CONFIG_LOCK_WAIT_MAX */
	CONFIG_SIZE,	/* job_parse_size(), at least `min` bytes */
	CONFIG_COUNT,	/* 0..CONFIG_COUNT_MAX */
};

struct config_setting {
	const char *name;	/* "report-dir": the file's key */
	const char *env;	/* "RECON_REPORT_DIR" */
	const char *flag;	/* "--report-dir", or NULL: no flag */
	enum config_kind kind;
	const char *def;	/* the default as text, or NULL: unset */
	const char *unset;	/* what unset means ("the job's <reports dir>") */
	uint64_t min;		/* CONFIG_SIZE: the least accepted */
	const char *help;	/* one line for `recon config` and the docs */
};

/* The one table, indexed by enum config_id. */
extern const struct config_setting config_settings[CONFIG__COUNT];

/* The longest lock-wait: a day. */
#define CONFIG_LOCK_WAIT_MAX 86400
/* The most runs' inputs kept (keep-inputs). */
#define CONFIG_COUNT_MAX 1000
/* A configuration file's largest size and longest line: it is a few
 * dozen lines; anything bigger is not one. */
#define CONFIG_FILE_MAX ((size_t)1 << 20)
#define CONFIG_LINE_MAX 4096
/* The file read when neither --config nor RECON_CONFIG names one, if it
 * exists. */
#define CONFIG_SYSTEM_FILE "/etc/recon/recon.conf"

enum config_origin {
	CONFIG_FROM_DEFAULT = 0,
	CONFIG_FROM_FILE,
	CONFIG_FROM_ENV,
	CONFIG_FROM_FLAG,
};

struct config_value {
	char *value;		/* owned; NULL: not set, the default holds */
	uint64_t num;		/* the parsed value (kinds above) */
	enum config_origin origin;
	int line;		/* CONFIG_FROM_FILE: its line */
};

struct config {
	char *file;		/* the file read (owned), or NULL: none */
	const char *file_how;	/* static: "--config", "RECON_CONFIG",
				 * CONFIG_SYSTEM_FILE, or why none */
	struct config_value v[CONFIG__COUNT];
};

/* Every setting at its default; allocates nothing. */
void config_init(struct config *c);
void config_release(struct config *c);

/* The id of the setting named name ("report-dir"), or -1. */
int config_lookup(const char *name);

/*
 * Which file to read: cmdline (--config FILE) if not NULL, else
 * $RECON_CONFIG if set (set and empty: no file at all), else
 * CONFIG_SYSTEM_FILE if it exists, else none. *path is borrowed (from
 * cmdline or the environment) or NULL; *how says which (static text).
 */
void config_locate(const char *cmdline, const char **path, const char **how);

/*
 * Read the file at path and apply it (origin FILE:LINE). -1 with err
 * set: ERR_USAGE "PATH:LINE: what was expected" (a setting given twice,
 * an unknown key, a bad value, a line that is not `key = value`, a file
 * that cannot be read), or ERR_NOMEM.
 */
int config_read_file(struct config *c, const char *path, struct error *err);
/* As config_read_file, over text[0..n) as if it were the file name. */
int config_read_text(struct config *c, const char *name, const char *text,
		     size_t n, struct error *err);

/* Apply every RECON_NAME variable that is set and not empty (origin env).
 * -1 with ERR_USAGE "environment RECON_X: ..." or ERR_NOMEM. */
int config_read_env(struct config *c, struct error *err);

/* Set setting id from its command-line flag (origin flag); -1 with
 * ERR_USAGE "--flag: ..." or ERR_NOMEM. */
int config_set_flag(struct config *c, enum config_id id, const char *value,
		    struct error *err);

/*
 * config_locate + config_read_file + config_read_env: the whole set-up
 * short of the command line. -1 with err set (a file named by --config
 * or RECON_CONFIG that cannot be read is an error).
 */
int config_load(struct config *c, const char *cmdline, struct error *err);

/* The effective value of setting id as text, or NULL (unset: see its
 * `unset`). Borrowed from c or the table. */
const char *config_get(const struct config *c, enum config_id id);
/* Its parsed number (kinds CONFIG_JOBS_K, LOGFMT, SECONDS, SIZE). */
uint64_t config_num(const struct config *c, enum config_id id);
/* Where it came from: "default", "FILE:LINE", "env RECON_X" or
 * "flag --x", appended to out. */
int config_origin(const struct config *c, enum config_id id, struct sbuf *out);

/* The job loader's defaults from c: store-dsn (borrowed from c), match-
 * and rule-memory. */
void config_job_defaults(const struct config *c, struct job_defaults *d);

/* Every setting, its value and origin: aligned text lines, or (json) one
 * JSON object. 0, or -1 (out full or out of memory). */
int config_format(const struct config *c, int json, struct sbuf *out);

#endif
