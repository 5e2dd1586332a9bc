/*
 * stop.h - stopping a run on SIGTERM or SIGINT at the next safe point.
 *
 * The handler only records the signal in a sig_atomic_t (and, for the
 * first signal, puts the default action back, so a second SIGTERM or
 * SIGINT ends the process at once). The run driver and its long loops
 * (each fetched row, each matched group, each partition, each store key)
 * call stop_check() at points where returning an error is safe: it
 * turns a recorded signal into ERR_INTERRUPTED, which travels up like
 * any other error, so the store transaction is rolled back and the
 * temporaries are removed by the ordinary teardown, and only main()
 * exits. Once the store commit has been made no check runs any more:
 * a signal after the commit point cannot unpublish (see run.h).
 *
 * The recorded signal is the one piece of process-wide mutable state
 * besides the test hooks: a signal handler can reach nothing else.
 * Library code never installs the handlers; only the CLI (and tests) do.
 */
#ifndef RECON_STOP_H
#define RECON_STOP_H

#include <signal.h>

#include "err.h"

/* Install the SIGTERM and SIGINT handlers (SA_RESTART, so interrupted
 * system calls in the drivers resume) and forget any signal recorded
 * before. 0, or -1 with errno set. */
int stop_install(void);
/* Put the default actions back and forget the recorded signal (tests,
 * which install the handlers in a process that runs on). */
void stop_uninstall(void);

/* The signal recorded since stop_install(), 0 if none. */
int stop_signal(void);
/* "SIGTERM", "SIGINT", or "a signal" for any other. */
const char *stop_signal_name(int sig);

/* A safe point: 0 if no signal was recorded, else -1 with err set to
 * ERR_INTERRUPTED: "stopped by SIGTERM while WHAT; nothing was
 * published". WHAT names the work ("matching", "reading"). */
int stop_check(struct error *err, const char *what);

/* Block SIGTERM and SIGINT in the calling thread, saving its mask in
 * *old, around pthread_create(): the helper threads (the fetch thread,
 * the store writer's thread) inherit the blocked mask, so the signal is
 * delivered to the thread that checks for it and the drivers' calls on
 * the helper threads never see EINTR. stop_unblock() restores *old. */
void stop_block(sigset_t *old);
void stop_unblock(const sigset_t *old);

#endif
