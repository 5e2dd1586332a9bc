/*
 * stop.c - the SIGTERM/SIGINT flag and its safe-point check (stop.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "stop.h"
#include "banned.h"

/* The signal that asked the run to stop, 0 if none. Written only by the
 * handler (and by install/uninstall while no handler can run). */
static volatile sig_atomic_t stop_sig;

static void stop_handler(int sig)
{
	if (stop_sig) {
		/* a second signal (the other one of the pair: the first
		 * one's handler is already reset): stop at once */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_sig = sig;
}

int stop_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_handler;
	sigemptyset(&sa.sa_mask);
	/* SA_RESETHAND: the same signal a second time takes the default
	 * action (the process ends) */
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	stop_sig = 0;
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0)
		return -1;
	return 0;
}

void stop_uninstall(void)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	stop_sig = 0;
}

int stop_signal(void)
{
	return stop_sig;
}

const char *stop_signal_name(int sig)
{
	switch (sig) {
	case SIGTERM:
		return "SIGTERM";
	case SIGINT:
		return "SIGINT";
	default:
		return "a signal";
	}
}

int stop_check(struct error *err, const char *what)
{
	int sig = stop_sig;

	if (!sig)
		return 0;
	return error_set(err, ERR_INTERRUPTED,
			 "stopped by %s while %s; nothing was published",
			 stop_signal_name(sig), what);
}

void stop_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, old) != 0)
		(void)pthread_sigmask(SIG_BLOCK, NULL, old);	/* as it was */
}

void stop_unblock(const sigset_t *old)
{
	(void)pthread_sigmask(SIG_SETMASK, old, NULL);
}
