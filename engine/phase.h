/*
 * phase.h - where a run's time goes: CPU and wall seconds, and a count of
 * what was handled, per phase (`recon run --stats`; docs/DEMO.md, "Where
 * the time goes").
 *
 * A thread keeps a stack of the phases it is in; time is charged to the
 * top one only, so nested phases (fetch inside reading a source, the
 * store's hashing inside a store write) are exclusive and the phases sum
 * to at most the run's total. What no phase claims is "other".
 *
 * Two kinds of boundary, because the clocks do not cost the same (about
 * 20 ns for CLOCK_MONOTONIC through the vDSO, about 200 ns for a CPU
 * clock, a system call):
 *   phase_push/phase_pop    read both clocks: for boundaries crossed once
 *                           per batch, partition or stage, never per row;
 *   phase_fpush/phase_fpop  read the wall clock only: for boundaries
 *                           crossed per row or per group. The CPU time
 *                           between two exact boundaries is shared among
 *                           the phases that ran in between by their wall
 *                           time, which is right while they do not wait
 *                           (the engine's main thread computes; its one
 *                           wait, for the fetch thread, is an exact
 *                           boundary).
 *
 * CPU is CLOCK_THREAD_CPUTIME_ID, per thread: the fetch thread
 * (prefetch.c) and the store's writer thread (connectors/odbc.c) run
 * beside the main one, and a process clock would charge their work to
 * whatever the main thread was doing; each thread's figures
 * are added up when it ends (phase_thread_end). The run's total CPU is
 * CLOCK_PROCESS_CPUTIME_ID, every thread together. Wall time is the main
 * thread's only: a phase's wall is how long the run spent in it (fetch:
 * waiting for rows), so the wall column sums to the elapsed time.
 *
 * Off unless phase_run_begin(1): then every call returns after one test.
 * State is per thread (_Thread_local) plus one table for the run under a
 * mutex; one run at a time per process.
 */
#ifndef RECON_PHASE_H
#define RECON_PHASE_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"

enum phase_id {
	PH_FETCH,	/* the connector's block fetch; the wait for it */
	PH_TRANSLATE,	/* reading a source: translation, fingerprints */
	PH_SPILL,	/* the matcher's spill files, written and read back */
	PH_MATCH,	/* matching and building records */
	PH_RULES,	/* order rules */
	PH_HASH,	/* the ledger's content and value hashes */
	PH_STORE,	/* loading the store, its SQL writes, the commit */
	PH_REPORT,	/* the report writers */
	PH__COUNT
};

struct phase_table {
	int64_t cpu_ns[PH__COUNT];
	int64_t wall_ns[PH__COUNT];
	uint64_t rows[PH__COUNT];	/* what the phase handled (see
					 * phase_format for the units) */
	int64_t total_cpu_ns;		/* the process, phase_run_begin..end */
	int64_t total_wall_ns;
};

/* The name in the table: "fetch", "translate", ... */
const char *phase_name(enum phase_id p);

/* Start (on=1: accounting; 0: off) and end a run's accounting, on the
 * run's main thread. */
void phase_run_begin(int on);
void phase_run_end(void);
/* A thread other than the main one (the fetch thread): begin counts CPU
 * and rows, never wall; end adds them to the run's table. */
void phase_thread_begin(void);
void phase_thread_end(void);

void phase_push(enum phase_id p);
void phase_pop(void);
void phase_fpush(enum phase_id p);
void phase_fpop(void);
void phase_rows(enum phase_id p, uint64_t n);

/* The last run's table (after phase_run_end). */
void phase_get(struct phase_table *out);
/* The table as text, one line per phase, then other and total;
 * rows_read is the run's source rows (the µs/row column). */
int phase_format(const struct phase_table *t, uint64_t rows_read,
		 struct sbuf *out);

#endif
