/*
 * reports/shadow.h - the report of a shadow run (engine/shadow.h): CSV
 * and HTML of what a candidate rule set would change in a published
 * run. Every cell is escaped as in the exception reports (HTML text,
 * CSV fields quoted and guarded against formulas).
 */
#ifndef RECON_REPORTS_SHADOW_H
#define RECON_REPORTS_SHADOW_H

#include <stddef.h>
#include <stdint.h>

#include "../engine/buf.h"
#include "../engine/err.h"

/* One change: of a record (kind order/deal/erp), of a failed source row
 * (kind "row", key SOURCE:ID), or of a source's translation totals
 * (kind "source", key the source's name; old/new outcome hold the
 * counts as "read R, kept K, skipped S, failed F"). */
struct shadow_change {
	const char *change;	/* "outcome", "verdicts", "new", "gone" */
	const char *kind, *key;
	const char *old_outcome, *new_outcome;	/* NULL: none */
	const char *old_codes, *new_codes;
	const char *old_verdicts, *new_verdicts;	/* as text */
};

/* A count per kind of change: "MATCHED -> AMOUNT_MISMATCH_ERP_ORDER",
 * "verdicts changed (MATCHED)", "new record", ... */
struct shadow_count {
	const char *what;
	uint64_t n;
};

struct shadow_file {
	const char *name;	/* the job's name of a rule file */
	const char *from;	/* the path it was read from */
	int candidate;		/* 1: from the candidate folder */
};

struct shadow_report {
	const char *job, *run_id, *as_of, *version;
	const char *rules_dir, *job_file;	/* the candidates; NULL: none */
	uint64_t seq, records, unchanged;
	const struct shadow_file *files;
	size_t nfiles;
	const struct shadow_count *counts;
	size_t ncounts;
	const struct shadow_change *changes;
	size_t nchanges;
	/* the run kept no report (T_report): its failed rows are not
	 * compared */
	int no_row_baseline;
};

/* BASE.csv and BASE.html, published as a set the way the exception
 * reports are (report.h, report_write): both or neither, the folder
 * created if missing; their paths appended to paths, '\n'-separated.
 * ERR_REPORT naming the file (or a BASE ending in '/'), ERR_NOMEM. */
int shadow_report_write(const struct shadow_report *r, const char *base,
			struct sbuf *paths, struct error *err);

#endif
