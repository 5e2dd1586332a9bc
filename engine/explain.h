/*
 * explain.h - `recon explain JOB ID`: one record of a job's store, as
 * one run saw it (docs/REPORTS.md, "Explaining one key"), from the store
 * alone: the version current at the run and who published it, its
 * declared values, the source rows' fingerprints, how matching grouped
 * it (and, for an unmatched record, a near miss among the records
 * current at that run), each verdict with its file:line and the
 * difference and tolerance of its comparison (from the run's kept
 * report, T_report), the outcome, the report line's lifecycle state and
 * the key's history.
 *
 * Cost: the runs of the job, the key's versions, the run's kept report
 * (snapshot_load) and, for an unmatched record only, one pass over the
 * job's versions up to the run (a cursor; memory: the near misses).
 *
 * Library code: nothing is printed; the text or JSON goes into an sbuf.
 */
#ifndef RECON_EXPLAIN_H
#define RECON_EXPLAIN_H

#include "buf.h"
#include "err.h"

/* How two keys differ that a near miss tolerates, as bits: each step of
 * the normaliser (explain_norm) in the order it applies them. */
enum {
	EXPLAIN_PADDING = 1u << 0,	/* blanks (spaces, tabs) anywhere */
	EXPLAIN_CASE = 1u << 1,		/* ASCII letter case */
	EXPLAIN_SEPARATORS = 1u << 2,	/* - _ . / : # */
	EXPLAIN_ZEROS = 1u << 3,	/* leading zeros of a digit run */
	EXPLAIN_PREFIX = 1u << 4,	/* 1 to 3 letters before the first digit */
	EXPLAIN_ALL = (1u << 5) - 1
};

/* Append s normalised by the steps in mask (EXPLAIN_* bits) to out:
 * blanks dropped, letters upper-cased, separators dropped, each run of
 * digits without its leading zeros ("007" -> "7", "000" -> "0"), then a
 * leading 1..3 letters dropped when a digit follows them. -1 if out
 * failed. */
int explain_norm(const char *s, unsigned mask, struct sbuf *out);

/* 0 when a and b are equal or not near; else the EXPLAIN_* steps that
 * are needed for them to be equal (each one: without it they differ). */
unsigned explain_near(const char *a, const char *b);

/* The steps of bits in words ("padding and case"), appended to out. */
void explain_near_words(unsigned bits, struct sbuf *out);

/*
 * Explain record id (its key; of kind "order", "deal" or "erp", or NULL:
 * every kind the key has) of job's store (dsn, table) at run (a seq or
 * a run id; NULL: the latest published run), as text, or as one JSON
 * document when json, into out. ERR_USAGE for an unknown run or a key
 * that has no version at that run (the message names the job, the key
 * and the run, and what to do), ERR_STORE, ERR_VERIFY (a kept report
 * line that no longer matches its hash), ERR_NOMEM.
 */
int explain_key(const char *dsn, const char *table, const char *job,
		const char *id, const char *kind, const char *run, int json,
		const char *inputs_dir, struct sbuf *out, struct error *err);

#endif
