/*
 * lifecycle.h - each exception's life across the job's published runs,
 * read from the store's history (docs/REPORTS.md, "Exception
 * lifecycle"): no workflow database of its own.
 *
 * An exception's identity is (record kind, key, outcome). Its state in
 * a run is decided against the job's previous published run P:
 * "open" (the version of the record current at P had that outcome
 * among its codes), "reopened" (not at P, but some earlier version
 * had it), "new" (never before); "resolved": at P, not in this run.
 * The streak of an open one began at the earliest of the consecutive
 * versions, up to P's, that all have the outcome (a version without it,
 * a REMOVED tombstone among them, ends a streak): first_run and
 * first_as_of are that version's run.
 *
 * Cost: one pass over the versions of T that the job's runs published
 * (a cursor, in key order: the unique index), before the run's
 * transaction; memory grows with the records that ever had an
 * exception (lifecycle_load), this run's exception lines and the
 * resolved ones, not with the store.
 */
#ifndef RECON_LIFECYCLE_H
#define RECON_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "../reports/report.h"

/* The values of a version the lifecycle shows, from the declared
 * columns by their value= (docs/STORE.md): NULL when not declared. */
enum life_val {
	LV_DEAL_KEY, LV_ORDER_KEY, LV_CUSTOMER, LV_CURRENCY, LV_NAME,
	LV_DEAL_AMOUNT, LV_ORDER_AMOUNT, LV_ERP_AMOUNT, LV__COUNT
};

/* One version of a record, as the history holds it (strings borrowed). */
struct life_ver {
	int64_t version;
	uint64_t seq;		/* the publishing run's */
	int64_t as_of;		/* its as-of, epoch seconds */
	const char *run_id, *outcome, *codes, *verdicts;
	const char *val[LV__COUNT];
};

enum life_state { LIFE_NEW = 0, LIFE_OPEN, LIFE_REOPENED };
extern const char *const life_state_names[3];

/* 1 if the space-separated codes hold code. */
int life_has_code(const char *codes, const char *code);

/* The index of the version of v[0..n) (version order) current at run
 * seq: the last with v[i].seq <= seq; -1 if none. */
long life_at(const struct life_ver *v, size_t n, uint64_t seq);

/* The state of identity (.., code) against run prev, given the record's
 * versions v[0..n) of runs up to prev at least: *first (LIFE_OPEN only)
 * the index of the version that began the streak. */
enum life_state life_state(const struct life_ver *v, size_t n, uint64_t prev,
			   const char *code, size_t *first);

/* The record kind of an exception line ("order", "deal", "erp"), or
 * NULL for a line without a store record (a failed source row, a
 * duplicate key). */
const char *life_item_kind(const struct report_item *it);

/*
 * Filling a report's lifecycle. life_calc_init: this run's lines (their
 * life pointers are set by life_calc_finish), its as-of and run id,
 * the previous run's seq and as-of (prev 0: none, every line is new).
 * life_calc_key: one record's history (v[0..n), every version up to
 * prev), in any key order. life_calc_runs: the trend's earlier runs,
 * oldest first. life_calc_finish: every line's life, rep->resolved,
 * ageing and trend (strings in arena a, arrays owned by the calc until
 * life_calc_release).
 */
struct life_calc;
int life_calc_init(struct life_calc **out, struct report_item *items,
		   size_t nitems, int64_t as_of, const char *run_id,
		   uint64_t prev, struct arena *a, struct error *err);
int life_calc_key(struct life_calc *lc, const char *kind, const char *key,
		  const struct life_ver *v, size_t n, struct error *err);
int life_calc_run(struct life_calc *lc, const char *run_id, int64_t as_of,
		  uint64_t exceptions, struct error *err);
int life_calc_finish(struct life_calc *lc, struct report *rep,
		     struct error *err);
void life_calc_release(struct life_calc *lc);

/* The map from declared columns to life_val: map[i] for column i of
 * the n values, or -1. */
void life_map_columns(const char *const *values, size_t n, int *map);

/*
 * A run's lifecycle in two steps. lifecycle_load, over the store
 * connection c before the run's transaction begins (inside one,
 * sqliteodbc would hold the whole history in memory): the job's
 * published runs and the history of every record that had an exception
 * in some version (the others add nothing: a line of theirs is new),
 * compactly: their versions' numbers and codes, the values and verdicts
 * of the versions with an exception. Memory grows with those records'
 * versions, not with the store (lifecycle_hist_stats: the keys and
 * versions read, the keys kept, the bytes held).
 *
 * lifecycle_fill, inside the transaction: the previous run from h's
 * runs (exclude_last: the run repeats the latest, which is then not
 * "previous"; h NULL: a new store, every line new), the kept history,
 * then life_calc_finish into rep. Then each open line's latest note
 * made at or before notes_before ('YYYY-MM-DD HH:MM:SS' UTC: the run's
 * finish), read through c, as attach_notes says.
 */
struct conn;
struct ledger_schema;
struct life_hist;
int lifecycle_load(struct conn *c, const char *table,
		   const struct ledger_schema *sch, const char *job,
		   struct life_hist **out, struct error *err);
void lifecycle_hist_stats(const struct life_hist *h, size_t *keys,
			  size_t *versions, size_t *kept, size_t *bytes);
void lifecycle_hist_free(struct life_hist *h);
int lifecycle_fill(struct life_hist *h, struct conn *c, const char *table,
		   const char *job, int exclude_last,
		   struct report_item *items, size_t nitems, int64_t as_of,
		   const char *run_id, const char *notes_before,
		   struct arena *a, struct report *rep, struct life_calc **keep,
		   struct error *err);

/* The published run of job that spec names (a seq or a run id; NULL:
 * the latest), read through c: its run id into run_id, its seq, and its
 * as-of as the store prints it into as_of (may be NULL). ERR_USAGE (the
 * message begins "CMD: " and lists the seqs there are), ERR_STORE,
 * ERR_NOMEM. */
int lifecycle_find_run(struct conn *c, const char *table, const char *job,
		       const char *spec, const char *cmd, struct sbuf *run_id,
		       uint64_t *seq, struct sbuf *as_of, struct error *err);

/* `recon diff`: the exceptions that appeared, disappeared or changed
 * between runs a and b (seq or run id) of job, as aligned text or
 * JSON into out. ERR_USAGE for an unknown run. */
int lifecycle_diff(const char *dsn, const char *table, const char *job,
		   const char *a, const char *b, int json, struct sbuf *out,
		   struct error *err);

#endif
