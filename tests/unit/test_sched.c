/*
 * test_sched.c - cron expressions (engine/cron.c), their times in a
 * zone across daylight-saving changes, the scheduler's decisions
 * (engine/sched.c: due, busy, catch-up once, skip) and <schedule> /
 * <changed> in job files (engine/job.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/cron.h"
#include "engine/job.h"
#include "engine/sched.h"
#include "engine/tstamp.h"

static int64_t T(const char *s)
{
	int64_t t;

	ck_assert_int_eq(tstamp_parse(s, strlen(s), &t), 0);
	return t;
}

static struct cron C(const char *expr)
{
	struct cron c;
	struct sbuf why = SBUF_INIT(1024);

	ck_assert_msg(cron_parse(expr, &c, &why) == 0, "%s: %s", expr,
		      why.buf ? why.buf : "");
	sbuf_release(&why);
	return c;
}

static int64_t next(const char *expr, const char *zone, const char *after)
{
	struct cron c = C(expr);
	int64_t t;

	ck_assert_int_eq(cron_next(&c, zone, T(after), &t), 0);
	return t;
}

START_TEST(parse_fields)
{
	struct cron c = C("*/15 9-17 * * mon-fri");

	ck_assert_uint_eq(c.minute, (1ull << 0) | (1ull << 15) | (1ull << 30) |
			  (1ull << 45));
	ck_assert_uint_eq(c.hour, ((1u << 18) - 1) & ~((1u << 9) - 1));
	ck_assert_uint_eq(c.dow, 0x3eu);
	ck_assert(c.dom_star && !c.dow_star);
	c = C("5/20 0 1,15 JAN,jul 7");
	ck_assert_uint_eq(c.minute, (1ull << 5) | (1ull << 25) | (1ull << 45));
	ck_assert_uint_eq(c.month, (1u << 1) | (1u << 7));
	ck_assert_uint_eq(c.dom, (1u << 1) | (1u << 15));
	ck_assert_uint_eq(c.dow, 1u);	/* 7 is Sunday, 0 */
	c = C("0 0 * * 1-5/2");
	ck_assert_uint_eq(c.dow, (1u << 1) | (1u << 3) | (1u << 5));
}
END_TEST

static const struct {
	const char *expr, *phrase;
} bad_exprs[] = {
	{ "61 * * * *", "minute field \"61\": 61-61 is outside 0-59" },
	{ "* 24 * * *", "hour field \"24\": 24-24 is outside 0-23" },
	{ "* * 0 * *", "day-of-month field \"0\"" },
	{ "* * * 13 *", "month field \"13\"" },
	{ "* * * * 8", "day-of-week field \"8\"" },
	{ "5-1 * * * *", "or backwards" },
	{ "*/0 * * * *", "minute field \"*/0\": expected *, N, N-M" },
	{ "x * * * *", "minute field \"x\": expected *, N, N-M" },
	{ "* * * foo *", "or jan..dec" },
	{ "* * * * funday", "or sun..sat" },
	{ "1,,2 * * * *", "expected *, N, N-M" },
	{ "* * *", "has three fields: expected five" },
	{ "* * * * * *", "has more than five fields" },
	{ "", "has no fields" },
	{ "@daily", "expected *, N, N-M" },
};

START_TEST(parse_refuses)
{
	struct cron c;
	struct sbuf why = SBUF_INIT(1024);

	ck_assert_int_eq(cron_parse(bad_exprs[_i].expr, &c, &why), -1);
	ck_assert_msg(why.buf && strstr(why.buf, bad_exprs[_i].phrase),
		      "%s: want \"%s\" in \"%s\"", bad_exprs[_i].expr,
		      bad_exprs[_i].phrase, why.buf ? why.buf : "");
	sbuf_release(&why);
}
END_TEST

START_TEST(next_times_utc)
{
	ck_assert_int_eq(next("30 2 * * *", "UTC", "2026-12-03 00:00:00"),
			 T("2026-12-03 02:30:00"));
	/* strictly after */
	ck_assert_int_eq(next("30 2 * * *", "UTC", "2026-12-03 02:30:00"),
			 T("2026-12-04 02:30:00"));
	ck_assert_int_eq(next("*/15 * * * *", "UTC", "2026-12-03 10:07:59"),
			 T("2026-12-03 10:15:00"));
	/* 2026-12-04 is a Friday */
	ck_assert_int_eq(next("0 6 * * fri", "UTC", "2026-12-01 00:00:00"),
			 T("2026-12-04 06:00:00"));
	ck_assert_int_eq(next("0 0 1 jan *", "UTC", "2026-12-03 00:00:00"),
			 T("2027-01-01 00:00:00"));
	ck_assert_int_eq(next("0 0 29 2 *", "UTC", "2026-03-01 00:00:00"),
			 T("2028-02-29 00:00:00"));
	ck_assert_int_eq(next("0 0 31 * *", "UTC", "2026-04-01 00:00:00"),
			 T("2026-05-31 00:00:00"));
}
END_TEST

/* cron's rule: both day fields restricted, either matches; one
 * restricted, only it. 2026-11-13 is a Friday, 2026-12-04 one too. */
START_TEST(day_fields_either)
{
	ck_assert_int_eq(next("0 0 13 * fri", "UTC", "2026-11-14 00:00:00"),
			 T("2026-11-20 00:00:00"));
	ck_assert_int_eq(next("0 0 13 * *", "UTC", "2026-11-14 00:00:00"),
			 T("2026-12-13 00:00:00"));
	ck_assert_int_eq(next("0 0 * * fri", "UTC", "2026-11-21 00:00:00"),
			 T("2026-11-27 00:00:00"));
	/* "*" in the day-of-month with a step still counts as '*' */
	ck_assert_int_eq(next("0 0 */1 * fri", "UTC", "2026-11-21 00:00:00"),
			 T("2026-11-27 00:00:00"));
}
END_TEST

START_TEST(zone_offsets)
{
	/* 02:30 in Berlin is 01:30 UTC in winter, 00:30 in summer */
	ck_assert_int_eq(next("30 2 * * *", "Europe/Berlin",
			      "2026-12-03 00:00:00"), T("2026-12-03 01:30:00"));
	ck_assert_int_eq(next("30 2 * * *", "Europe/Berlin",
			      "2026-07-01 00:00:00"), T("2026-07-01 00:30:00"));
	ck_assert_int_eq(next("0 9 * * *", "America/New_York",
			      "2026-12-03 00:00:00"), T("2026-12-03 14:00:00"));
	/* TZ is put back */
	ck_assert_ptr_null(getenv("TZ"));
	ck_assert(cron_zone_ok("Europe/Berlin"));
	ck_assert(cron_zone_ok("UTC"));
	ck_assert(!cron_zone_ok("Europe/Atlantis"));
	ck_assert(!cron_zone_ok("../../etc/passwd"));
	ck_assert(!cron_zone_ok("/etc/localtime"));
	ck_assert(!cron_zone_ok("Europe"));	/* a folder */
	ck_assert(!cron_zone_ok(""));
}
END_TEST

/* Slots of expr in [from, to): how many, the first in *first. */
static int count_slots(const char *expr, const char *zone, int64_t from,
		       int64_t to, int64_t *first)
{
	struct cron c = C(expr);
	int64_t t = from - 1;
	int n = 0;

	*first = -1;
	while (cron_next(&c, zone, t, &t) == 0 && t < to) {
		if (n++ == 0)
			*first = t;
	}
	return n;
}

/* 2026-03-29: Berlin springs from 02:00 CET to 03:00 CEST; 02:30 does
 * not exist. The daily 02:30 job runs once, at the gap's end. */
START_TEST(dst_spring_forward_once)
{
	int64_t first;

	ck_assert_int_eq(count_slots("30 2 * * *", "Europe/Berlin",
				     T("2026-03-28 23:00:00"),
				     T("2026-03-29 22:00:00"), &first), 1);
	ck_assert_int_eq(first, T("2026-03-29 01:00:00"));	/* 03:00 CEST */
	ck_assert_int_eq(next("30 2 * * *", "Europe/Berlin",
			      "2026-03-29 01:00:00"), T("2026-03-30 00:30:00"));
	/* the gap's four slots and 03:00 are one instant; 03:15.. their own */
	ck_assert_int_eq(count_slots("*/15 2-3 * * *", "Europe/Berlin",
				     T("2026-03-28 23:00:00"),
				     T("2026-03-29 22:00:00"), &first), 4);
	ck_assert_int_eq(first, T("2026-03-29 01:00:00"));
}
END_TEST

/* 2026-10-25: Berlin falls back from 03:00 CEST to 02:00 CET; 02:30
 * happens twice. The job runs once, at the first. */
START_TEST(dst_fall_back_once)
{
	int64_t first;

	ck_assert_int_eq(count_slots("30 2 * * *", "Europe/Berlin",
				     T("2026-10-24 22:00:00"),
				     T("2026-10-25 23:00:00"), &first), 1);
	ck_assert_int_eq(first, T("2026-10-25 00:30:00"));	/* 02:30 CEST */
	ck_assert_int_eq(next("30 2 * * *", "Europe/Berlin",
			      "2026-10-25 00:30:00"), T("2026-10-26 01:30:00"));
	/* asked during the second 02:30 hour: nothing more that day */
	ck_assert_int_eq(next("30 2 * * *", "Europe/Berlin",
			      "2026-10-25 01:10:00"), T("2026-10-26 01:30:00"));
	/* an hourly job: 25 hours that day, 24 slots */
	ck_assert_int_eq(count_slots("30 * * * *", "Europe/Berlin",
				     T("2026-10-24 22:00:00"),
				     T("2026-10-25 23:00:00"), &first), 24);
}
END_TEST

START_TEST(systemd_fields)
{
	struct cron c = C("*/15 9-17 1,2,3,10 * mon-fri");
	struct sbuf sb = SBUF_INIT(1024);

	for (int f = 0; f < 5; f++) {
		ck_assert_int_eq(cron_systemd_field(&c, f, &sb), 0);
		sbuf_addch(&sb, '|');
	}
	ck_assert_str_eq(sb.buf, "00,15,30,45|09..17|1..3,10|*|Mon..Fri|");
	sbuf_reset(&sb);
	c = C("0 0 * * sat,sun,mon");
	ck_assert_int_eq(cron_systemd_field(&c, 4, &sb), 0);
	ck_assert_str_eq(sb.buf, "Mon,Sat..Sun");
	sbuf_release(&sb);
}
END_TEST

/* ---- decisions ------------------------------------------------------- */

START_TEST(decide_wait_and_run)
{
	struct cron c = C("30 2 * * *");
	struct sched_decision d;
	int64_t last = T("2026-12-03 02:30:00");

	sched_decide(&c, "UTC", 1, last, 0, T("2026-12-03 12:00:00"), &d);
	ck_assert_int_eq(d.act, SCHED_WAIT);
	ck_assert_int_eq(d.wake, T("2026-12-04 02:30:00"));
	sched_decide(&c, "UTC", 1, last, 0, T("2026-12-04 02:30:00"), &d);
	ck_assert_int_eq(d.act, SCHED_RUN);
	ck_assert_int_eq(d.slot, T("2026-12-04 02:30:00"));
	ck_assert_int_eq(d.missed, 1);
	/* a little late is still on time, for either policy */
	sched_decide(&c, "UTC", 0, last, 0, T("2026-12-04 02:31:00"), &d);
	ck_assert_int_eq(d.act, SCHED_RUN);
	sched_decide(&c, "UTC", 0, last, 0, T("2026-12-04 02:31:01"), &d);
	ck_assert_int_eq(d.act, SCHED_SKIP);
}
END_TEST

START_TEST(decide_busy)
{
	struct cron c = C("*/10 * * * *");
	struct sched_decision d;

	sched_decide(&c, "UTC", 1, T("2026-12-03 10:00:00"), 1,
		     T("2026-12-03 10:10:00"), &d);
	ck_assert_int_eq(d.act, SCHED_BUSY);
	ck_assert_int_eq(d.slot, T("2026-12-03 10:10:00"));
	/* the run ends at 10:25: the 10:10 and 10:20 slots, once */
	sched_decide(&c, "UTC", 1, T("2026-12-03 10:00:00"), 0,
		     T("2026-12-03 10:25:00"), &d);
	ck_assert_int_eq(d.act, SCHED_CATCH_UP);
	ck_assert_int_eq(d.missed, 2);
	ck_assert_int_eq(d.slot, T("2026-12-03 10:20:00"));
}
END_TEST

/* Down from Monday to Thursday: three nightly slots missed, one run. */
START_TEST(decide_catch_up_once)
{
	struct cron c = C("30 2 * * *");
	struct sched_decision d;
	int64_t last = T("2026-11-30 02:30:00");
	int64_t now = T("2026-12-03 09:00:00");

	sched_decide(&c, "UTC", 1, last, 0, now, &d);
	ck_assert_int_eq(d.act, SCHED_CATCH_UP);
	ck_assert_int_eq(d.missed, 3);
	ck_assert_int_eq(d.slot, T("2026-12-03 02:30:00"));
	/* the caller records the slot: nothing more is due */
	sched_decide(&c, "UTC", 1, d.slot, 0, now, &d);
	ck_assert_int_eq(d.act, SCHED_WAIT);
	ck_assert_int_eq(d.wake, T("2026-12-04 02:30:00"));
	/* catch-up="skip": the three are skipped, none runs */
	sched_decide(&c, "UTC", 0, last, 0, now, &d);
	ck_assert_int_eq(d.act, SCHED_SKIP);
	ck_assert_int_eq(d.missed, 3);
	ck_assert_int_eq(d.slot, T("2026-12-03 02:30:00"));
}
END_TEST

/* Stepping a fake clock minute by minute through both DST days: the
 * 02:30 Berlin job starts once on each. */
START_TEST(decide_dst_days)
{
	static const char *const days[2][2] = {
		{ "2026-03-28 23:00:00", "2026-03-29 22:00:00" },
		{ "2026-10-24 22:00:00", "2026-10-25 23:00:00" },
	};
	struct cron c = C("30 2 * * *");

	for (int i = 0; i < 2; i++) {
		int64_t last = T(days[i][0]), end = T(days[i][1]);
		int runs = 0;

		for (int64_t now = last; now < end; now += 60) {
			struct sched_decision d;

			sched_decide(&c, "Europe/Berlin", 1, last, 0, now, &d);
			ck_assert(d.act == SCHED_WAIT || d.act == SCHED_RUN);
			if (d.act == SCHED_RUN) {
				runs++;
				last = d.slot;
			}
		}
		ck_assert_int_eq(runs, 1);
	}
}
END_TEST

/* ---- job files ------------------------------------------------------- */

static char job_path[] = "/tmp/recon-test-sched-XXXXXX";

/* Write a job with `schedule` (XML) after <limits> and `probe` (XML)
 * at the end of the deal source; load it. */
static int load_job_text(const char *probe, const char *schedule,
			 struct job **job, struct error *e)
{
	char cwd[1024];
	FILE *f;
	int fd;

	strcpy(job_path, "/tmp/recon-test-sched-XXXXXX");
	fd = mkstemp(job_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "<job xmlns=\"urn:recon:job:1\" name=\"s\">\n"
		"<sources>\n"
		"<source name=\"d\" role=\"deal\" dsn=\"d\" translate=\"t\">"
		"<query>SELECT 1</query>%s</source>\n"
		"<source name=\"o\" role=\"order\" dsn=\"o\" translate=\"t\">"
		"<query>SELECT 2</query></source>\n"
		"<source name=\"e\" role=\"erp\" dsn=\"e\" translate=\"t\">"
		"<query>SELECT 3</query></source>\n"
		"</sources>\n"
		"<rules><file>%s/tests/data/jobs/rules/translate.lua</file></rules>\n"
		"<reports dir=\"r\" formats=\"csv\"/>\n"
		"<store dsn=\"s\" table=\"t\"/>\n"
		"<limits partitions=\"4\"/>\n"
		"%s\n"
		"</job>\n", probe, cwd, schedule);
	ck_assert_int_eq(fclose(f), 0);
	error_init(e);
	return job_load(job_path, job, e);
}

START_TEST(job_schedule_loads)
{
	struct job *job = NULL;
	struct error e;

	ck_assert_int_eq(load_job_text(
		"<changed>SELECT max(modified) FROM deals WHERE stage = ?</changed>"
		"<param value=\"won\"/><param name=\"as_of\"/>",
		"<schedule poll=\"5m\" min-gap=\"15m\">\n"
		"<at cron=\"30 2 * * *\" zone=\"Europe/Berlin\"/>\n"
		"<at cron=\"0 */4 * * *\" mode=\"incremental\" catch-up=\"skip\"/>\n"
		"</schedule>", &job, &e), 0);
	ck_assert_uint_eq(job->nslots, 2);
	ck_assert_str_eq(job->slots[0].cron, "30 2 * * *");
	ck_assert_str_eq(job->slots[0].zone, "Europe/Berlin");
	ck_assert_int_eq(job->slots[0].incremental, 0);
	ck_assert_int_eq(job->slots[0].catch_up, 1);
	ck_assert_int_eq(job->slots[0].line, 12);
	ck_assert_str_eq(job->slots[1].zone, "UTC");
	ck_assert_int_eq(job->slots[1].incremental, 1);
	ck_assert_int_eq(job->slots[1].catch_up, 0);
	ck_assert_int_eq(job->poll, 300);
	ck_assert_int_eq(job->min_gap, 900);
	ck_assert(job->has_schedule);
	ck_assert_str_eq(job->sources[0].changed_query,
			 "SELECT max(modified) FROM deals WHERE stage = ?");
	ck_assert_uint_eq(job->sources[0].nchanged_params, 2);
	ck_assert_uint_eq(job->sources[0].nparams, 0);
	ck_assert_int_eq(job->sources[0].changed_params[0].kind, JP_LITERAL);
	ck_assert_int_eq(job->sources[0].changed_params[1].kind, JP_AS_OF);
	ck_assert_ptr_null(job->sources[1].changed_query);
	job_free(job);
	error_release(&e);
	unlink(job_path);
}
END_TEST

static const struct {
	const char *probe, *schedule;
	int line;
	const char *phrase;
} bad_schedules[] = {
	{ "", "<schedule><at cron=\"61 2 * * *\"/></schedule>", 11,
	  "<at cron=\"61 2 * * *\">: minute field \"61\": 61-61 is outside 0-59" },
	{ "", "<schedule><at cron=\"30 2 * *\"/></schedule>", 11,
	  "has four fields: expected five (minute hour day-of-month month day-of-week" },
	{ "", "<schedule><at cron=\"30 2 * * *\" zone=\"Europe/Atlantis\"/></schedule>", 11,
	  "<at zone=\"Europe/Atlantis\">: not a time zone of the tz database (/usr/share/zoneinfo)" },
	{ "", "<schedule><at cron=\"30 2 * * *\" mode=\"partial\"/></schedule>", 11,
	  "'partial' is not an element of the set" },
	{ "", "<schedule/>", 11, "an empty <schedule>: expected <at cron=" },
	{ "", "<schedule poll=\"5m\"><at cron=\"0 * * * *\"/></schedule>", 11,
	  "poll= without a source with a <changed> probe" },
	{ "<changed>SELECT 1</changed>", "<schedule><at cron=\"0 * * * *\"/></schedule>", 11,
	  "1 source has a <changed> probe: the <schedule> needs poll=" },
	{ "<changed>SELECT 1</changed>", "<schedule poll=\"soon\"/>", 11,
	  "poll=\"soon\" is not a duration" },
	{ "<changed>SELECT 1</changed>", "<schedule poll=\"1m\" min-gap=\"x\"/>", 11,
	  "min-gap=\"x\" is not a duration" },
	{ "<changed>SELECT 1</changed><param name=\"watermark\"/>",
	  "<schedule poll=\"1m\"/>", 3, "belongs after an <incremental> query" },
};

START_TEST(job_schedule_refused)
{
	struct job *job = NULL;
	struct error e;
	char where[128];

	ck_assert_int_eq(load_job_text(bad_schedules[_i].probe,
				       bad_schedules[_i].schedule, &job, &e), -1);
	ck_assert_int_eq(e.code, ERR_JOB);
	snprintf(where, sizeof(where), "%s:%d:", job_path,
		 bad_schedules[_i].line);
	ck_assert_msg(strncmp(e.msg.buf, where, strlen(where)) == 0,
		      "want %s..., got %s", where, e.msg.buf);
	ck_assert_msg(strstr(e.msg.buf, bad_schedules[_i].phrase) != NULL,
		      "want \"%s\" in %s", bad_schedules[_i].phrase, e.msg.buf);
	error_release(&e);
	unlink(job_path);
}
END_TEST

Suite *suite_sched(void);
Suite *suite_sched(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("sched");

	tcase_add_test(tc, parse_fields);
	tcase_add_loop_test(tc, parse_refuses, 0,
			    (int)(sizeof(bad_exprs) / sizeof(bad_exprs[0])));
	tcase_add_test(tc, next_times_utc);
	tcase_add_test(tc, day_fields_either);
	tcase_add_test(tc, zone_offsets);
	tcase_add_test(tc, dst_spring_forward_once);
	tcase_add_test(tc, dst_fall_back_once);
	tcase_add_test(tc, systemd_fields);
	tcase_add_test(tc, decide_wait_and_run);
	tcase_add_test(tc, decide_busy);
	tcase_add_test(tc, decide_catch_up_once);
	tcase_add_test(tc, decide_dst_days);
	tcase_add_test(tc, job_schedule_loads);
	tcase_add_loop_test(tc, job_schedule_refused, 0,
			    (int)(sizeof(bad_schedules) / sizeof(bad_schedules[0])));
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
