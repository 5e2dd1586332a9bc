/*
 * hang_guard.h - a wall-clock guard for tests of code that used to hang
 * (test_rules.c, test_ruletest.c, test_job.c): a regression must fail,
 * not block the suite forever.
 *
 * Check's own timeout only works with CK_FORK=yes, and its SIGALRM
 * handler kills the whole process group (with CK_FORK=no, that is make
 * and the shell). So the guard installs its own handler, which names the
 * hang on stderr and aborts this process only.
 * Header-only (static inline) because the runner links every test_*.c
 * and nothing else.
 */
#ifndef RECON_TEST_HANG_GUARD_H
#define RECON_TEST_HANG_GUARD_H

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static inline void hang_guard_fired(int sig)
{
	static const char m[] = "hang guard: the test ran past its alarm "
				"(a hang); aborting\n";
	ssize_t n;

	(void)sig;
	n = write(2, m, sizeof(m) - 1);
	(void)n;
	abort();
}

/* Abort the process if the test is still running after `seconds`. */
static inline void hang_guard_start(unsigned seconds)
{
	struct sigaction sa;

	sa.sa_handler = hang_guard_fired;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

/* The guarded part is over. The handler stays: with CK_FORK=yes the
 * process ends with the test; with CK_FORK=no Check sets no alarms. */
static inline void hang_guard_stop(void)
{
	alarm(0);
}

#endif
