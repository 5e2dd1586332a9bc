/*
 * report.h - exception reports for finance (CSV for Excel, HTML for a
 * browser) and other systems (XML, etc/report.xsd), written from one
 * in-memory description of a run.
 *
 * The engine fills struct report (all strings borrowed, amounts already
 * formatted exactly by money_format) and calls report_write(), which
 * writes every requested format to a temporary name in `dir` and renames
 * them into place only when all were written: a failed write leaves
 * nothing new behind (git's lockfile pattern).
 *
 * Escaping is the writers' job and is total: HTML escapes & < > " ' in
 * every cell; CSV quotes every field per RFC 4180 and prefixes a cell
 * that starts with = + - @ TAB or CR with a single quote so that Excel
 * does not take it for a formula (OWASP CSV injection). Amount columns
 * are exempt from the prefix only when they are a plain decimal number.
 */
#ifndef RECON_REPORT_H
#define RECON_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "../engine/err.h"

/* An amount total in one currency (formatted). */
struct report_total {
	const char *currency;
	const char *amount;
	uint64_t count;
};

/* Control totals of one source: what was read, for tying back. */
struct report_source {
	const char *name;
	const char *role;	/* deal / order / erp */
	const char *dsn;
	uint64_t rows_read;	/* rows fetched */
	uint64_t rows_kept;	/* turned into canonical records */
	uint64_t rows_skipped;	/* translation returned false */
	uint64_t rows_failed;	/* translation raised (RULE_ERROR) */
	const struct report_total *totals;	/* of kept records' amounts */
	size_t ntotals;
};

/* A reference table the run's rules used (docs/JOBS.md): its control
 * totals, so an auditor can see which reference data a run used. */
struct report_reference {
	const char *name;
	const char *origin;	/* the DSN, or the CSV file as the job names it */
	uint64_t rows;
	const char *rows_hash;	/* 64 hex digits, order-independent */
};

/* One outcome code, how often it occurred and its amounts per
 * currency (T_runs.outcomes; ntotals 0 when not known). */
struct report_outcome {
	const char *code;
	const char *description;
	int is_exception;
	uint64_t count;
	const struct report_total *totals;
	size_t ntotals;
};

/*
 * An exception's life against the job's earlier published runs
 * (docs/REPORTS.md, "Exception lifecycle"). Its identity is (record
 * kind, key, outcome): state "new" (not an exception of that outcome in
 * the previous published run of the job, nor ever before), "open" (it
 * was in the previous run), "reopened" (not in the previous run, but in
 * an earlier one), "resolved" (in the previous run, not in this one:
 * report.resolved only). first_run/first_as_of: the run where the
 * current streak began; age_days = this run's as-of minus that, whole
 * days. The latest note (recon note) on the key made before this run
 * finished, while the exception is open (NULL fields: none);
 * explained_before: a reopened one had a note in an earlier streak.
 */
struct report_life {
	const char *state;
	const char *first_run;
	const char *first_as_of;
	int64_t age_days;
	const char *note_state;		/* explained / accepted / investigating */
	const char *note_text;
	const char *note_by;
	const char *note_time;		/* ISO 8601 UTC */
	int explained_before;
};

/* Ageing of the open exceptions (0-1 day, 2-7, 8-30, over 30): count
 * and amounts per currency (of the record's deal, else order, else ERP
 * amount). */
#define REPORT_AGEING_BUCKETS 4
struct report_ageing {
	const char *bucket;		/* "0-1", "2-7", "8-30", "31+" */
	uint64_t count;
	const struct report_total *totals;
	size_t ntotals;
};

/* Open exceptions of one of the job's last runs, oldest first, this run
 * last (the trend chart). */
struct report_trend {
	const char *run_id;
	const char *as_of;		/* ISO 8601 */
	uint64_t exceptions;
};

/* What joins the keys of order_keys and erp_keys. */
#define REPORT_KEY_SEP " | "

/* A column of the job's site-defined fields (docs/REPORTS.md), after
 * the fixed columns of the exception lines: "order.fields.NAME". */
struct report_column {
	const char *name;
	int numeric;	/* money or integer of one record: a number cell */
	/* a report="false" field: only in the full CSV column set
	 * (REPORT_CSV_FULL), after every other column; the engine gives
	 * such columns only to a job that asks for that set */
	int full_only;
};

/* One exception line. NULL fields print as empty cells. */
struct report_item {
	const char *outcome;
	const char *severity;	/* error / warning / info */
	const char *key;	/* the reconciled order's key */
	const char *deal_key;
	const char *order_key;
	/* every order of the record's deal and every ERP document of the
	 * record, keys joined by REPORT_KEY_SEP (docs/REPORTS.md) */
	const char *order_keys;
	const char *erp_keys;
	const char *customer;
	const char *currency;
	const char *deal_amount;
	const char *order_amount;
	const char *erp_amount;
	const char *name;	/* deal name or description */
	const char *rule;	/* rule that gave the verdict */
	const char *where;	/* rule file:line */
	const char *message;
	/* the report's ncolumns site-defined field values (NULL: empty),
	 * or NULL when the line has none at all */
	const char *const *fields;
	/* its lifecycle; NULL when the report has none (a writer prints
	 * empty cells then) */
	const struct report_life *life;
	/* The comparison the rule's verdict rests on (docs/REPORTS.md,
	 * "Difference and tolerance"): the difference a - b of its failed
	 * within(a, b, currency) and the largest difference the job's
	 * tolerance allowed there ("0.00": exact); both NULL when the
	 * verdict rests on no within(). The writers show report_difference()
	 * as the difference. */
	const char *difference;
	const char *tolerance;
};

/* A rules file of the run, in load order (T_runs.rules). */
struct report_rule_file {
	const char *file;	/* as the job names it */
	const char *sha256;	/* 64 hex digits */
};

/* The column sets of BASENAME.csv (docs/REPORTS.md): the default one,
 * or every field of a report_item and of its lifecycle. */
enum report_csv_columns { REPORT_CSV_DEFAULT = 0, REPORT_CSV_FULL = 1 };

struct report {
	const char *job;
	const char *run_id;
	const char *as_of;
	const char *started;
	const char *finished;
	const char *rules_hash;
	const char *version;
	const struct report_rule_file *rule_files;	/* for the XML header */
	size_t nrule_files;
	const struct report_source *sources;
	size_t nsources;
	const struct report_reference *references;
	size_t nreferences;
	const struct report_outcome *outcomes;
	size_t noutcomes;
	const struct report_column *columns;	/* site-defined fields */
	size_t ncolumns;
	const struct report_item *items;	/* in the order to print */
	size_t nitems;
	/* The lifecycle (docs/REPORTS.md): mode "full"/"incremental" (NULL:
	 * not known), the exceptions of the previous published run that
	 * this one no longer has (life->state "resolved"), the ageing of
	 * this run's exceptions (nageing 0 or REPORT_AGEING_BUCKETS) and
	 * the trend (ntrend 0: none). */
	const char *mode;
	const struct report_item *resolved;
	size_t nresolved;
	const struct report_ageing *ageing;
	size_t nageing;
	const struct report_trend *trend;
	size_t ntrend;
	/* CSV options (docs/REPORTS.md): csv_no_bom 1 drops the byte-order
	 * mark (0, the default, writes it); csv_columns a REPORT_CSV_* set. */
	int csv_no_bom;
	enum report_csv_columns csv_columns;
};

/* The mode of every report file (not world-readable; docs/REPORTS.md). */
#define REPORT_FILE_MODE 0640

/* Report formats, a registry: name, file suffix, writer. */
enum { REPORT_CSV = 1u << 0, REPORT_HTML = 1u << 1, REPORT_XML = 1u << 2 };

/* The namespace of BASENAME.xml (etc/report.xsd). */
#define REPORT_XML_NS "urn:recon:report:1"

/*
 * Write the formats in `formats` (REPORT_* bits) as DIR/BASENAME.csv,
 * DIR/BASENAME-summary.csv, DIR/BASENAME.html and DIR/BASENAME.xml,
 * atomically as a set, each mode REPORT_FILE_MODE whatever the umask.
 * DIR is created if missing.
 * Fills `paths` (if not NULL) with the final paths, '\n'-separated.
 * Errors: ERR_REPORT naming the file and errno text; ERR_NOMEM.
 */
int report_write(const struct report *r, const char *dir, const char *basename,
		 unsigned formats, struct sbuf *paths, struct error *err);

/*
 * The same in two steps, for a caller that publishes something else
 * between them (the run driver commits the store in between):
 * report_prepare() writes, syncs and closes every temporary
 * (DIR/.NAME.tmp.PID) and fills `paths` with the final names; nothing
 * under a final name changes. It first removes temporaries and rollback
 * links of this basename that dead processes left behind. *out (NULL
 * when formats is 0) is then passed to exactly one of
 * report_publish() (rename the set into place, atomically as a set as
 * above; allocates nothing; frees p) or report_abort() (remove the
 * temporaries; frees p; NULL is fine).
 */
struct report_pending;
int report_prepare(const struct report *r, const char *dir,
		   const char *basename, unsigned formats, struct sbuf *paths,
		   struct report_pending **out, struct error *err);
int report_publish(struct report_pending *p, struct error *err);
void report_abort(struct report_pending *p);

/* Escapers, exposed for tests and fuzzing. Return 0 or -1 (sbuf). */
int report_csv_field(struct sbuf *out, const char *s, int numeric);
int report_html_escape(struct sbuf *out, const char *s);
/* A JSON string (quoted) safe inside <script>: < > & U+2028 U+2029 as
 * \u escapes too. */
int report_json_string(struct sbuf *out, const char *s);
/* The CSP source 'sha256-BASE64' of n bytes of an inline element. */
int report_csp_hash(struct sbuf *out, const char *text, size_t n);

#endif
