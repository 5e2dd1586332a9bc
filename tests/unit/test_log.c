/*
 * test_log.c - the log's events (engine/evlog.c): JSON strings, the
 * credential scrub, the three line layouts, -q, and a --log-file
 * appended to and created 0640.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/evlog.h"

static char *json(const char *s, size_t n)
{
	static char out[1024];
	struct sbuf sb = SBUF_INIT(1 << 16);

	ck_assert_int_eq(evlog_json_str(&sb, s, n), 0);
	ck_assert_uint_lt(sb.len, sizeof(out));
	memcpy(out, sb.buf, sb.len + 1);
	sbuf_release(&sb);
	return out;
}

START_TEST(json_escapes)
{
	ck_assert_str_eq(json("", 0), "\"\"");
	ck_assert_str_eq(json("plain text", 10), "\"plain text\"");
	ck_assert_str_eq(json("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	ck_assert_str_eq(json("l1\nl2\r\t\b\f", 9), "\"l1\\nl2\\r\\t\\b\\f\"");
	/* other control characters as \u00XX; DEL is allowed in JSON */
	ck_assert_str_eq(json("\x01\x1b[2J\x1f\x7f", 7),
			 "\"\\u0001\\u001b[2J\\u001f\x7f\"");
	/* a NUL inside the length is escaped, never the string's end */
	ck_assert_str_eq(json("a\0b", 3), "\"a\\u0000b\"");
}
END_TEST

START_TEST(json_utf8)
{
	/* well-formed UTF-8 as it is */
	ck_assert_str_eq(json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14),
			 "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* a lone byte, a cut sequence, an overlong, a surrogate: U+FFFD
	 * for each byte that is not part of a character */
	ck_assert_str_eq(json("a\xff" "b", 3), "\"a\\ufffdb\"");
	ck_assert_str_eq(json("\xe2\x82", 2), "\"\\ufffd\\ufffd\"");
	ck_assert_str_eq(json("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
	ck_assert_str_eq(json("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
}
END_TEST

static char *scrub(const char *s)
{
	static char out[1024];
	struct sbuf sb = SBUF_INIT(1 << 16);

	sbuf_addstr(&sb, s);
	evlog_scrub(&sb);
	ck_assert_uint_lt(sb.len, sizeof(out));
	memcpy(out, sb.buf, sb.len + 1);
	sbuf_release(&sb);
	return out;
}

START_TEST(scrub_credentials)
{
	ck_assert_str_eq(scrub("DSN=crm;UID=app;PWD=s3cret;Port=5432"),
			 "DSN=crm;UID=app;PWD=***;Port=5432");
	ck_assert_str_eq(scrub("driver said: 'Server=x;Password=top secret'"),
			 "driver said: 'Server=x;Password=***'");
	ck_assert_str_eq(scrub("pwd=abc"), "pwd=***");
	ck_assert_str_eq(scrub("PASSWORD={a;b}c};x=1"), "PASSWORD=***c};x=1");
	ck_assert_str_eq(scrub("pwd={a;b};x=1"), "pwd=***;x=1");
	ck_assert_str_eq(scrub("a PWD= b"), "a PWD=***");
	/* not the tail of another word, and nothing else touched */
	ck_assert_str_eq(scrub("OLDPWD=/home;MYPWD=1"), "OLDPWD=/home;MYPWD=1");
	ck_assert_str_eq(scrub("no secret here; pwd is fine"),
			 "no secret here; pwd is fine");
}
END_TEST

static char *fmt(enum evlog_format f, int to_file, const char *job,
		 const struct evlog_event *ev)
{
	static char out[2048];
	struct sbuf sb = SBUF_INIT(1 << 16);

	/* 2026-11-26T02:00:01.042Z */
	ck_assert_int_eq(evlog_format(&sb, f, to_file, 1795658401042LL, job,
				      ev), 0);
	ck_assert_uint_lt(sb.len, sizeof(out));
	memcpy(out, sb.buf, sb.len + 1);
	sbuf_release(&sb);
	return out;
}

START_TEST(format_lines)
{
	struct evlog_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.level = EVLOG_INFO;
	ev.phase = "read";
	ev.run = "20261126T020001Z-0123456789ab";
	ev.msg = "source 'crm': 3 rows read";
	ck_assert_str_eq(fmt(EVLOG_TEXT, 0, "nightly", &ev),
			 "recon: source 'crm': 3 rows read\n");
	ck_assert_str_eq(fmt(EVLOG_TEXT, 1, "nightly", &ev),
			 "2026-11-26T02:00:01.042Z info nightly "
			 "20261126T020001Z-0123456789ab read: source 'crm': 3 "
			 "rows read\n");
	ck_assert_str_eq(fmt(EVLOG_JSON, 0, "nightly", &ev),
			 "{\"time\":\"2026-11-26T02:00:01.042Z\",\"level\":\"info\","
			 "\"job\":\"nightly\",\"run\":\"20261126T020001Z-0123456789ab\","
			 "\"phase\":\"read\",\"msg\":\"source 'crm': 3 rows read\"}\n");
	/* empty fields: "" in JSON, '-' in a text file */
	ev.level = EVLOG_ERROR;
	ev.phase = NULL;
	ev.run = NULL;
	ev.msg = "error[JOB]: a \"quoted\"\tthing";
	ck_assert_str_eq(fmt(EVLOG_JSON, 1, NULL, &ev),
			 "{\"time\":\"2026-11-26T02:00:01.042Z\",\"level\":\"error\","
			 "\"job\":\"\",\"run\":\"\",\"phase\":\"\",\"msg\":"
			 "\"error[JOB]: a \\\"quoted\\\"\\tthing\"}\n");
	ck_assert_str_eq(fmt(EVLOG_TEXT, 1, NULL, &ev),
			 "2026-11-26T02:00:01.042Z error - - -: error[JOB]: a "
			 "\"quoted\"?thing\n");
	ev.level = EVLOG_WARNING;
	ev.msg = "warning: \x1b[31mred";
	ck_assert_str_eq(fmt(EVLOG_TEXT, 0, "j", &ev), "recon: warning: ?[31mred\n");
	ck_assert_str_eq(evlog_level_name(EVLOG_WARNING), "warning");
}
END_TEST

static char path[64];

static char *slurp(void)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(file_sink)
{
	struct evlog lg;
	struct error err;
	struct stat st;
	enum evlog_format f;
	char *text;
	mode_t old = umask(0);
	int fd;

	snprintf(path, sizeof(path), "/tmp/recon-test-log.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(path);
	error_init(&err);
	ck_assert_int_eq(evlog_parse_format("json", &f), 0);
	ck_assert_int_eq(f, EVLOG_JSON);
	ck_assert_int_eq(evlog_parse_format("xml", &f), -1);

	/* -q: info dropped, warnings and errors kept; the file 0640 */
	ck_assert_int_eq(evlog_open(&lg, path, EVLOG_JSON, 1, &err), 0);
	lg.job = "nightly";
	evlog_emitf(&lg, EVLOG_INFO, "read", "R1", "%s", "dropped");
	evlog_line(&lg, "hook", "R1", "warning: hook x: kept");
	evlog_emitf(&lg, EVLOG_ERROR, "store-open", "R1",
		    "cannot connect: DSN=s;PWD=hunter2;UID=u");
	evlog_close(&lg);
	umask(old);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	text = slurp();
	ck_assert_ptr_null(strstr(text, "dropped"));
	ck_assert_ptr_null(strstr(text, "hunter2"));
	ck_assert_ptr_nonnull(strstr(text, "\"level\":\"warning\",\"job\":\"nightly\","
				     "\"run\":\"R1\",\"phase\":\"hook\",\"msg\":"
				     "\"warning: hook x: kept\"}\n"));
	ck_assert_ptr_nonnull(strstr(text, "\"level\":\"error\",\"job\":\"nightly\","
				     "\"run\":\"R1\",\"phase\":\"store-open\","
				     "\"msg\":\"cannot connect: DSN=s;PWD=***;UID=u\"}\n"));

	/* appended to, never truncated; a long message cut visibly */
	ck_assert_int_eq(evlog_open(&lg, path, EVLOG_TEXT, 0, &err), 0);
	{
		char *big = malloc(EVLOG_MSG_MAX * 2 + 1);

		ck_assert_ptr_nonnull(big);
		memset(big, 'x', EVLOG_MSG_MAX * 2);
		big[EVLOG_MSG_MAX * 2] = '\0';
		evlog_emitf(&lg, EVLOG_INFO, "match", NULL, "%s", big);
		free(big);
	}
	evlog_close(&lg);
	{
		FILE *fp = fopen(path, "r");
		char line[EVLOG_MSG_MAX * 3];
		int n = 0;

		ck_assert_ptr_nonnull(fp);
		while (fgets(line, sizeof(line), fp))
			n++;
		fclose(fp);
		ck_assert_int_eq(n, 3);
		ck_assert_ptr_nonnull(strstr(line, " info - - match: xxx"));
		ck_assert_ptr_nonnull(strstr(line, "[... message cut: "));
		ck_assert_uint_lt(strlen(line), EVLOG_MSG_MAX + 200);
	}
	/* a file that cannot be opened: IO, and the sink still usable */
	ck_assert_int_eq(evlog_open(&lg, "/nonexistent-dir/x.log", EVLOG_JSON,
				    0, &err), -1);
	ck_assert_int_eq(err.code, ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "/nonexistent-dir/x.log"));
	evlog_close(&lg);
	error_release(&err);
	unlink(path);
}
END_TEST

Suite *suite_log(void);
Suite *suite_log(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, json_escapes);
	tcase_add_test(tc, json_utf8);
	tcase_add_test(tc, scrub_credentials);
	tcase_add_test(tc, format_lines);
	tcase_add_test(tc, file_sink);
	suite_add_tcase(s, tc);
	return s;
}
