/*
 * match.h - the three-way matcher: deals to orders to ERP documents.
 *
 * Memory is bounded by partitioning (a Grace hash join). match_add()
 * appends each canonical record to one of `partitions` spill files by a
 * hash of its join field; match_run() then works one partition at a time:
 *
 *   phase 1  orders and ERP documents of partition p, joined on the
 *            order/ERP link: ERP amounts are summed per order (posted
 *            invoices minus posted credit notes; sales orders; drafts and
 *            cancelled documents counted but not summed). Each order,
 *            with its ERP aggregate, is spilled again by its deal link.
 *            ERP documents whose order does not exist become groups.
 *   phase 2  deals and order+ERP records of partition q, joined on the
 *            deal link; every order becomes a group (with its deal, or
 *            none), then every deal without an order.
 *
 * Partitions stay in memory while they fit in the job's match-memory
 * budget; only what does not fit is spilled (match.c). Peak memory is
 * about that budget plus (largest partition's bytes) x 2 plus the hash
 * tables. The job's `partitions` limit trades memory for files; see
 * docs/MATCHING.md.
 *
 * Spill files live in a private directory under tmpdir,
 * TMPDIR/recon-spill-PID-XXXXXX, removed by match_free() whatever
 * happened. A file "owner" in it names the process (pid, host, boot id,
 * start time), so that the folder of a run killed with SIGKILL can be
 * told from a live run's and removed by the next run (match_sweep).
 */
#ifndef RECON_MATCH_H
#define RECON_MATCH_H

#include <stdint.h>

#include "canon.h"
#include "err.h"
#include "job.h"

/* Structural findings of a group (bits). */
enum {
	MF_NO_DEAL	 = 1u << 0,	/* order links to no deal */
	MF_NO_ORDER	 = 1u << 1,	/* deal without order, past grace */
	MF_DEAL_PENDING	 = 1u << 2,	/* deal without order, within grace */
	MF_NO_ERP	 = 1u << 3,	/* order without posted ERP docs, past grace */
	MF_ERP_PENDING	 = 1u << 4,	/* ... within grace */
	MF_ERP_ORPHAN	 = 1u << 5,	/* ERP documents without order */
	MF_DUP_ORDERS	 = 1u << 6,	/* the deal has more than one order */
	MF_DUP_ERP	 = 1u << 7,	/* >1 posted ERP doc, job says one-to-one */
	MF_DUP_KEY	 = 1u << 8,	/* the group's own key was duplicated */
};

/* Called once per group; g and everything it points at are borrowed for
 * the call. Return 0, or -1 with err set to stop the run. */
typedef int (*match_group_fn)(void *ctx, const struct group *g,
			      unsigned flags, struct error *err);
/* Called for each record whose join key was already seen in its role
 * (the later record is ignored for matching). */
typedef int (*match_dup_fn)(void *ctx, const struct canon *rec,
			    const char *key, size_t key_len,
			    struct error *err);

struct match;

/* A matcher for job's links, grace periods and partitions, spilling under
 * tmpdir (NULL: $TMPDIR or /tmp). *out owned by the caller. */
int match_new(const struct job *job, const char *tmpdir, struct match **out,
	      struct error *err);
/* Spill one record (copied). Errors: ERR_IO (a spill file cannot be
 * written, with the errno text), ERR_NOMEM. */
int match_add(struct match *m, const struct canon *rec, struct error *err);
/* Match everything added, calling on_group / on_dup. as_of (epoch
 * seconds) decides grace periods. May be called once. */
int match_run(struct match *m, int64_t as_of, match_group_fn on_group,
	      match_dup_fn on_dup, void *ctx, struct error *err);
/* Remove the spill files and free. NULL is fine. */
void match_free(struct match *m);

/* Told about each folder match_sweep() removed: the dead owner's pid,
 * the folder's path (borrowed for the call) and the bytes it held. */
typedef void (*match_swept_fn)(void *ctx, long pid, const char *path,
			       uint64_t bytes);
/* Remove the spill folders in tmpdir (NULL: as match_new) whose owner
 * process is provably dead: same host, and its pid gone, or now another
 * process (another start time), or from before the last reboot. Only
 * directories (never a symlink) named recon-spill-PID-XXXXXX, of this
 * user, with a complete owner file naming that PID, holding nothing but
 * spill files; anything else is left alone. Best effort: never fails,
 * returns the number removed, calling fn (may be NULL) for each. */
unsigned match_sweep(const char *tmpdir, match_swept_fn fn, void *ctx);

/* Bytes written to spill files so far (for the run summary). */
uint64_t match_spilled(const struct match *m);
/* Bytes of partitions that match_run took from memory, never written
 * (<limits match-memory>). */
uint64_t match_kept(const struct match *m);
/* Largest partition loaded at once by match_run, in bytes. */
uint64_t match_peak_partition(const struct match *m);

/* Count one ERP document into an aggregate as the matcher does (ndocs,
 * the status and type counts, the sums, the currency, which borrows d's
 * bytes); docs and docs_fp are the caller's. For the rule tests'
 * check(). */
void match_agg_add(struct erp_agg *g, const struct canon *d);

/* The hash used for partitions and tables (FNV-1a 64), for tests. */
uint64_t match_hash(const char *s, size_t n);

#endif
