/*
 * test_stop.c - SIGTERM/SIGINT as a stop request (engine/stop.h): the
 * handler records the signal, stop_check() turns it into
 * ERR_INTERRUPTED with the message operators see, a second signal ends
 * the process at once, and helper threads started under stop_block()
 * never take the signal.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "engine/err.h"
#include "engine/stop.h"

START_TEST(no_signal_no_stop)
{
	struct error err;

	error_init(&err);
	ck_assert_int_eq(stop_install(), 0);
	ck_assert_int_eq(stop_signal(), 0);
	ck_assert_int_eq(stop_check(&err, "matching"), 0);
	ck_assert_int_eq(err.code, ERR_OK);
	stop_uninstall();
	error_release(&err);
}
END_TEST

START_TEST(sigterm_is_recorded)
{
	struct error err;
	struct sbuf out = SBUF_INIT(4096);

	error_init(&err);
	ck_assert_int_eq(stop_install(), 0);
	ck_assert_int_eq(raise(SIGTERM), 0);	/* the process goes on */
	ck_assert_int_eq(stop_signal(), SIGTERM);
	ck_assert_int_eq(stop_check(&err, "matching"), -1);
	ck_assert_int_eq(err.code, ERR_INTERRUPTED);
	error_context(&err, "job 'x'");
	error_format(&err, &out);
	ck_assert_str_eq(out.buf, "error[INTERRUPTED]: job 'x': stopped by "
			 "SIGTERM while matching; nothing was published");
	ck_assert_int_eq(error_exit_code(ERR_INTERRUPTED), 13);
	ck_assert_str_eq(error_name(ERR_INTERRUPTED), "INTERRUPTED");
	/* installing again forgets it */
	ck_assert_int_eq(stop_install(), 0);
	ck_assert_int_eq(stop_signal(), 0);
	stop_uninstall();
	sbuf_release(&out);
	error_release(&err);
}
END_TEST

START_TEST(sigint_is_recorded)
{
	struct error err;

	error_init(&err);
	ck_assert_int_eq(stop_install(), 0);
	ck_assert_int_eq(raise(SIGINT), 0);
	ck_assert_int_eq(stop_signal(), SIGINT);
	ck_assert_int_eq(stop_check(&err, "reading"), -1);
	ck_assert_str_eq(err.msg.buf, "stopped by SIGINT while reading; "
			 "nothing was published");
	stop_uninstall();
	error_release(&err);
}
END_TEST

/* The second signal takes the default action: this test's process ends
 * by it (Check expects the signal; fork mode only). */
START_TEST(second_sigterm_ends_at_once)
{
	ck_assert_int_eq(stop_install(), 0);
	raise(SIGTERM);
	ck_assert_int_eq(stop_signal(), SIGTERM);
	raise(SIGTERM);
	ck_abort_msg("still running after a second SIGTERM");
}
END_TEST

START_TEST(sigint_after_sigterm_ends_at_once)
{
	ck_assert_int_eq(stop_install(), 0);
	raise(SIGTERM);
	raise(SIGINT);
	ck_abort_msg("still running after SIGINT following SIGTERM");
}
END_TEST

static void *mask_of_thread(void *arg)
{
	sigset_t *set = arg;

	pthread_sigmask(SIG_BLOCK, NULL, set);
	return NULL;
}

/* A thread started between stop_block() and stop_unblock() has SIGTERM
 * and SIGINT blocked; the starting thread's mask is as before. */
START_TEST(helper_threads_block_the_signals)
{
	sigset_t old, now, in_thread;
	pthread_t t;

	stop_block(&old);
	ck_assert_int_eq(pthread_create(&t, NULL, mask_of_thread, &in_thread), 0);
	stop_unblock(&old);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(sigismember(&in_thread, SIGTERM), 1);
	ck_assert_int_eq(sigismember(&in_thread, SIGINT), 1);
	pthread_sigmask(SIG_BLOCK, NULL, &now);
	ck_assert_int_eq(sigismember(&now, SIGTERM), sigismember(&old, SIGTERM));
	ck_assert_int_eq(sigismember(&now, SIGINT), 0);
}
END_TEST

Suite *suite_stop(void);
Suite *suite_stop(void)
{
	Suite *s = suite_create("stop");
	TCase *tc = tcase_create("core");
	const char *fork = getenv("CK_FORK");

	tcase_add_test(tc, no_signal_no_stop);
	tcase_add_test(tc, sigterm_is_recorded);
	tcase_add_test(tc, sigint_is_recorded);
	tcase_add_test(tc, helper_threads_block_the_signals);
	/* a test that ends its process needs a process of its own */
	if (!fork || strcmp(fork, "no") != 0) {
		tcase_add_test_raise_signal(tc, second_sigterm_ends_at_once,
					    SIGTERM);
		tcase_add_test_raise_signal(tc, sigint_after_sigterm_ends_at_once,
					    SIGINT);
	}
	suite_add_tcase(s, tc);
	return s;
}
