/*
 * job.h - a job definition, loaded from jobs/NAME.xml and validated
 * against etc/job.xsd (compiled into the binary).
 *
 * Loading never touches a database. Relative paths in the job (rule
 * files, report directory) are resolved against the job file's directory.
 * Every error is ERR_JOB with file:line:col and what was expected.
 * XML is read with network access and entity substitution off, and a
 * document with a DOCTYPE is refused.
 */
#ifndef RECON_JOB_H
#define RECON_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "canon.h"
#include "err.h"
#include "ledger.h"

/* The namespace of job files (etc/job.xsd): their format. A job file in
 * another namespace is refused, never read as this one. */
#define JOB_NS "urn:recon:job:1"

/* A query parameter, bound as text in the order given. */
enum job_param_kind {
	JP_AS_OF,	  /* the run's as-of time, "YYYY-MM-DD HH:MM:SS" */
	JP_WINDOW_START,  /* as-of minus the job's window, same format */
	JP_LITERAL,	  /* a fixed value from the job file */
	JP_WATERMARK	  /* <incremental> only: the source's watermark from
			   * the last successful run (docs/INCREMENTAL.md) */
};

struct job_param {
	enum job_param_kind kind;
	char *literal;	/* JP_LITERAL only; owned */
};

struct job_source {
	char *name;		/* unique within the job */
	enum canon_kind role;	/* deal, order or erp */
	char *dsn;
	char *query;
	struct job_param *params;
	size_t nparams;
	char *translate;	/* Lua function name in the rule files */
	char *id_column;	/* optional: column naming a row in messages */
	int allow_empty;	/* 1: zero rows is normal (else ERR_GUARD) */
	/* Completeness guard: fewer rows than this many millionths of the
	 * rows read in the job's last full run is ERR_GUARD (0: off). */
	int64_t min_rows_ppm;
	/* Rule-error ceiling: more than this many millionths of the rows
	 * read failing translation is ERR_GUARD (1000000: off). */
	int64_t max_rule_errors_ppm;
	int line;		/* where it was declared */

	/* Incremental reading (docs/INCREMENTAL.md): all NULL/0 unless the
	 * source has watermark= and an <incremental> query; then id_column
	 * is set too (job_load requires it). */
	char *watermark;	/* column whose largest value is the watermark */
	char *inc_query;	/* the changed-rows query */
	struct job_param *inc_params;	/* its parameters (JP_WATERMARK too) */
	size_t ninc_params;
	char *scope_column;	/* optional: 0/false/NULL means "row left" */
	/* Optional <keys>: the id-column values of every row of the full
	 * query's result, so that an incremental run sees rows that left
	 * it without a change (hard deletes, time-based scope). */
	char *keys_query;
	struct job_param *keys_params;
	size_t nkeys_params;
	/* Optional <changed> probe (docs/JOBS.md, "<schedule>"): a cheap
	 * query whose first value `recon schedule` polls; a change starts
	 * an incremental run. NULL if none. */
	char *changed_query;
	struct job_param *changed_params;
	size_t nchanged_params;
};

/* One <schedule><at/> entry (docs/JOBS.md, docs/SCHEDULING.md). */
struct job_slot {
	char *cron;		/* the expression as written; parsed by cron.h */
	char *zone;		/* tz database name, default "UTC" */
	int incremental;	/* mode="incremental" */
	int catch_up;		/* catch-up="once" (default) 1, "skip" 0 */
	int line;
};

/* A reference table (<references><reference/>; docs/JOBS.md): rows the
 * rules look codes up in, read once per run before translation, either
 * from a query on a DSN or from a CSV file (exactly one of the two). */
struct job_reference {
	char *name;		/* unique; the rules' ref.NAME */
	char *dsn;		/* with query, or NULL */
	char *query;
	char *file;		/* resolved CSV path, or NULL */
	char *file_name;	/* the path as the job writes it, tidied */
	char *key;		/* the key column (its values unique, not NULL) */
	int line;		/* where it was declared */
};

/* A typed column of the store (<store><column/>; docs/STORE.md). */
/* A site-defined field (<fields><field>; docs/JOBS.md): slot i of every
 * record is job->fields[i]. */
struct job_field {
	char *name;		/* [a-z_][a-z0-9_]*, at most 32 characters */
	enum canon_ftype type;
	unsigned roles;		/* 1u << CANON_DEAL | ...: who may set it */
	int report;		/* 1: a column of the exception reports */
	int line;		/* where it was declared */
};

struct job_column {
	char *name;		/* [a-z_][a-z0-9_]*, not a fixed column */
	char *value;		/* the value path ("deal.amount"; pubval.h) */
	int pv;			/* its pubval index */
	enum ledger_type type;
	int line;		/* where it was declared (0: a default) */
};

struct job_tolerance {
	char *currency;		/* ISO code, or "*" for the default */
	int64_t absolute;	/* money, scale 4 */
	int64_t rel_ppm;	/* parts per million of the reference amount */
};

enum job_report_format { JOB_REPORT_CSV = 1u << 0, JOB_REPORT_HTML = 1u << 1,
			 JOB_REPORT_XML = 1u << 2 };

/* A program run after a run (<hooks>; docs/JOBS.md "Hooks", hook.h):
 * <on-failure> after a run that failed, <on-exceptions> after one that
 * published more exceptions than its threshold. */
struct job_hook {
	char *program;		/* resolved path: to execute */
	char *program_name;	/* the path as the job writes it, tidied */
	char **args;		/* its fixed <arg>s, in order; owned */
	size_t nargs;
	int64_t timeout;	/* seconds before SIGTERM to its group */
	/* <on-exceptions> only: it runs when the run published more
	 * exception lines than `above`, or (above_ppm >= 0) more than
	 * this many millionths of its reconciled records. */
	uint64_t above;
	int64_t above_ppm;
	int line;		/* where it was declared */
};

/* <hooks timeout> when the job sets none, and the longest it may set. */
#define JOB_DEFAULT_HOOK_TIMEOUT 60
#define JOB_HOOK_TIMEOUT_MAX 3600
/* Most <arg>s of one hook (the schema's limit too). */
#define JOB_HOOK_ARGS_MAX 64

struct job {
	char *path;		/* the job file as given */
	char *dir;		/* its directory */
	char *name;

	char **rule_files;	/* resolved paths, in load order: to open */
	/* What identifies each rule file in everything published and in
	 * messages (verdicts' `where`, T_runs.rules, Lua chunk names): the
	 * path as the job file writes it, tidied ("./" and "a/.." gone),
	 * so relative to the job file's folder ("rules/x.lua",
	 * "../lib/x.lua") and the same whatever the working directory or
	 * the path the job was given by. May be NULL (jobs built by hand):
	 * then rule_files is used; see job_rule_name(). */
	char **rule_names;
	size_t nrule_files;

	struct job_source *sources;
	size_t nsources;

	/* Links: which canonical fields join deal to order and order to
	 * ERP documents (defaults: deal.key = order.deal_ref, order.key =
	 * erp.order_ref). */
	enum canon_str deal_link;	  /* field of the deal */
	enum canon_str order_deal_link;	  /* field of the order */
	enum canon_str order_erp_link;	  /* field of the order */
	enum canon_str erp_link;	  /* field of the ERP document */
	int erp_many;		/* 1: one order to many ERP docs (summed) */
	/* <matching erp-without-order>: which documents without an order
	 * make an ERP_WITHOUT_ORDER group (docs/MATCHING.md) */
	enum { JOB_ORPHANS_ANY = 0, JOB_ORPHANS_POSTED } erp_orphans;

	int64_t grace_deal;	/* seconds a deal may wait for its order */
	int64_t grace_erp;	/* seconds an order may wait for the ERP */
	int64_t window;		/* seconds before as-of for JP_WINDOW_START */

	struct job_tolerance *tolerances;
	size_t ntolerances;

	struct job_reference *references;
	size_t nreferences;

	/* Site-defined fields, in declaration order (0..CANON_XMAX). */
	struct job_field *fields;
	size_t nfields;

	char *store_dsn;
	char *store_table;	/* validated identifier [a-z_][a-z0-9_]*: the job's,
				 * folded to lower case */
	/* The store's value columns, in declaration order (the defaults of
	 * pubval.h when the job declares none): 1..LEDGER_MAX_COLS. */
	struct job_column *columns;
	size_t ncolumns;

	char *report_dir;	/* resolved */
	unsigned report_formats;	/* JOB_REPORT_* bits */
	int report_csv_no_bom;		/* <reports csv-bom="false"> */
	int report_csv_full;		/* <reports csv-columns="full"> */

	size_t rule_memory;	/* bytes for the Lua heap */
	uint64_t rule_instructions;	/* VM instructions per record */
	unsigned partitions;	/* matcher partitions, 1..JOB_PARTITIONS_MAX */
	int read_at_once;	/* <limits read-sources>: 1 parallel, 0 serial,
				 * -1 auto (default; read.c) */
	size_t match_memory;	/* <limits match-memory>: bytes of partitions
				 * the matcher keeps in memory before it
				 * writes them to spill files (0: all) */
	int64_t min_rows_ppm;	/* <limits min-rows-ratio>: sources' default */
	int64_t max_rule_errors_ppm;	/* <limits max-rule-error-ratio> */
	uint64_t reference_rows;	/* <limits reference-rows>: most rows
					 * of one reference table */
	/* <hooks>: NULL when the job names none */
	struct job_hook *on_failure;
	struct job_hook *on_exceptions;

	/* <schedule>: its entries, the change probes' poll interval and
	 * the least seconds between two starts (0: no <schedule>, no poll). */
	struct job_slot *slots;
	size_t nslots;
	int has_schedule;
	int64_t poll;
	int64_t min_gap;
};

/* Most matcher partitions: the matcher keeps a file open per partition
 * and spill set, so this also bounds its open files (4 x 256). */
#define JOB_PARTITIONS_MAX 256u
/* The default <limits match-memory>: docs/JOBS.md, docs/MATCHING.md. */
#define JOB_DEFAULT_MATCH_MEMORY ((size_t)64 << 20)

/* The smallest <limits rule-memory> (and engine rule-memory) accepted:
 * the smallest Lua heap worth starting. */
#define JOB_RULE_MEMORY_MIN ((size_t)64 << 10)

/*
 * What a job gets where its file says nothing: the engine
 * configuration's store-dsn, match-memory and rule-memory (config.h,
 * README.md "Configuration"). A job's <store dsn> and <limits
 * match-memory rule-memory> override them.
 */
struct job_defaults {
	const char *store_dsn;	/* <store dsn> when absent; NULL: required;
				 * borrowed for the job_load_with() call */
	size_t match_memory;	/* JOB_DEFAULT_MATCH_MEMORY unless set */
	size_t rule_memory;	/* JOB_DEFAULT_RULE_MEMORY unless set */
};

/* The built-in defaults: no store DSN, 64 MB and 64 MB. */
void job_defaults_init(struct job_defaults *d);

/*
 * Load and validate the job file at path. On success *out is a new job
 * the caller frees with job_free(). On failure returns -1 with err set
 * (ERR_JOB, "FILE:LINE:COL: ..."), or ERR_NOMEM.
 */
int job_load(const char *path, struct job **out, struct error *err);
/* job_load() with the engine's defaults d (NULL: job_defaults_init's). */
int job_load_with(const char *path, const struct job_defaults *d,
		  struct job **out, struct error *err);
/* "64MB", "512KB", "1GB" (binary multiples) or bytes: the sizes of
 * <limits> and of the engine configuration. 0, or -1. */
int job_parse_size(const char *s, size_t *out);
/* 1 if s is a DSN name as job files and the configuration take them:
 * [A-Za-z0-9_.-]+ (no '=' or ';', so never a connection string with
 * credentials), else 0. */
int job_is_dsn(const char *s);
void job_free(struct job *job);

/* The published name of rule file i (job->rule_names[i], else
 * job->rule_files[i]); borrowed from job. */
/* The index of site-defined field name[0..n) in job->fields, or -1. */
int job_field_lookup(const struct job *job, const char *name, size_t n);

const char *job_rule_name(const struct job *job, size_t i);

/* The tolerance for a currency: its own entry, else the "*" entry, else
 * NULL (meaning exact). */
const struct job_tolerance *job_tolerance_for(const struct job *job,
					      const char *currency, size_t n);

/* Parse "90s", "15m", "24h", "3d", or a bare number of seconds.
 * 0 or -1. Exposed for tests and fuzzing. */
int job_parse_duration(const char *s, int64_t *out);

/* min-rows-ratio when neither the source nor <limits> sets one: 0.5. */
#define JOB_DEFAULT_MIN_ROWS_PPM 500000
/* max-rule-error-ratio when neither the source nor <limits> sets one:
 * 0.01 (more than 1% of a source's rows failing translation). */
#define JOB_DEFAULT_MAX_RULE_ERRORS_PPM 10000
/* <limits rule-memory> and rule-instructions when the job sets neither;
 * rules_open() uses the same for a job struct that leaves them 0. */
#define JOB_DEFAULT_RULE_MEMORY ((size_t)64 << 20)
#define JOB_DEFAULT_RULE_INSTRUCTIONS UINT64_C(1000000)
/* <limits reference-rows> when the job sets none: 100,000 rows per
 * reference table (they are held in memory for the whole run). */
#define JOB_DEFAULT_REFERENCE_ROWS UINT64_C(100000)
#endif
