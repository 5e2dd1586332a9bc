/*
 * lock.h - one live run per (job, store).
 *
 * Every `recon run` takes the lock of its job on its store before it
 * opens the store, and holds it until after the commit. A second run of
 * the same job on the same store (from this host or another sharing the
 * store) is refused with ERR_LOCKED (exit 14), naming the holder (pid,
 * host, run id, start time), or waits up to wait_s seconds for it.
 *
 * Who decides: a lock the DBMS (or, for SQLite, the kernel) releases by
 * itself when the holder's session or process ends, so a run killed by
 * SIGKILL, a crash or a lost host never leaves a lock anyone has to
 * break by hand, and no lease can expire under a live but slow run:
 *   PostgreSQL  pg_try_advisory_lock(K), a session lock, on a connection
 *               of its own (K: 63 bits of SHA-256 of store table + job);
 *   MariaDB     GET_LOCK('recon:<hex>', 0) on a connection of its own;
 *   SQLite      an open-file-description write lock (F_OFD_SETLK) on
 *               the file DBFILE-recon-<hex>.lock beside the database
 *               (the store file is local, or on a file system whose
 *               locks reach every host: NFS with lockd).
 * Who holds it: the row of the job in T_lock (T the store table; a
 * plain mutable table, which verify does not read), written by the
 * holder once it has the lock and deleted when it lets go. A run that
 * gets the lock and finds a row left there took over from a run that
 * ended without letting go: it logs that run's pid, host and start,
 * adding whether that pid still runs when the host is its own.
 *
 * RECON_TEST_HOST_ID (tests) replaces the host name, so two processes
 * on one machine stand for two hosts.
 */
#ifndef RECON_LOCK_H
#define RECON_LOCK_H

#include "err.h"
#include "job.h"

struct lock;

/* The longest wait_s takes (a day). */
#define LOCK_WAIT_MAX 86400u

/* Take the lock of job on its store, trying once a second for up to
 * wait_s seconds. run_id names this run in the row. note is reset and,
 * if this run took over a lock left behind, gets the line saying so,
 * for the caller's log. 0 with *out (lock_release it), or -1 with err:
 * ERR_LOCKED if another run holds it, ERR_STORE if the store cannot be
 * reached, ERR_INTERRUPTED on SIGTERM/SIGINT while waiting. */
struct sbuf;
int lock_take(const struct job *job, const char *run_id, unsigned wait_s,
	      struct sbuf *note, struct lock **out, struct error *err);

/* Just before the commit: 0 if the lock is still ours, else -1 with
 * ERR_LOCKED (its connection was lost, so the DBMS may have let it go). */
int lock_check(struct lock *l, struct error *err);

/* Delete the row, let go, close; NULL is fine. Never fails the run: a
 * row that cannot be deleted is taken over by the next run. */
void lock_release(struct lock *l);

#endif
