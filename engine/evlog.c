/*
 * evlog.c - the log's events, formatted and written (evlog.h).
 *
 * Invariants: one event is one line and one write(2) (O_APPEND: lines of
 * several processes in one file do not interleave); a message is cut at
 * EVLOG_MSG_MAX and scrubbed of PWD=/PASSWORD= values before it is
 * formatted, whatever the format; a JSON line is well-formed UTF-8.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evlog.h"
#include "text.h"
#include "tstamp.h"
#include "banned.h"

/* A line: the message's cap, its escapes (at most 6 bytes per byte in
 * JSON) and the fields around it. */
#define EVLOG_LINE_MAX (6 * EVLOG_MSG_MAX + 4096)

static const char *const level_names[] = { "error", "warning", "info" };

const char *evlog_level_name(enum evlog_level level)
{
	return (unsigned)level < 3 ? level_names[level] : "info";
}

int evlog_parse_format(const char *s, enum evlog_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = EVLOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = EVLOG_JSON;
	else
		return -1;
	return 0;
}

int evlog_json_str(struct sbuf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	sbuf_addch(out, '"');
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k = utf8_seq_len(s + i, n - i);

		if (k == 0) {
			sbuf_addstr(out, "\\ufffd");
			i++;
			continue;
		}
		if (k > 1) {
			sbuf_add(out, s + i, k);
			i += k;
			continue;
		}
		i++;
		switch (c) {
		case '"':  sbuf_addstr(out, "\\\""); break;
		case '\\': sbuf_addstr(out, "\\\\"); break;
		case '\n': sbuf_addstr(out, "\\n"); break;
		case '\r': sbuf_addstr(out, "\\r"); break;
		case '\t': sbuf_addstr(out, "\\t"); break;
		case '\b': sbuf_addstr(out, "\\b"); break;
		case '\f': sbuf_addstr(out, "\\f"); break;
		default:
			if (c < 0x20) {
				char u[7] = { '\\', 'u', '0', '0', hex[c >> 4],
					      hex[c & 15], 0 };

				sbuf_addstr(out, u);
			} else {
				sbuf_addch(out, c);
			}
		}
	}
	return sbuf_addch(out, '"');
}

/* Does msg[i..] start a credential key: PWD= or PASSWORD= in any case,
 * not the tail of a longer word? The length of "KEY=", or 0. */
static size_t secret_key(const char *m, size_t len, size_t i)
{
	static const char *const keys[] = { "pwd=", "password=" };

	if (i > 0) {
		unsigned char p = (unsigned char)m[i - 1];

		if ((p >= 'a' && p <= 'z') || (p >= 'A' && p <= 'Z') ||
		    (p >= '0' && p <= '9') || p == '_')
			return 0;
	}
	for (size_t k = 0; k < 2; k++) {
		size_t kl = strlen(keys[k]), j;

		if (len - i < kl)
			continue;
		for (j = 0; j < kl; j++) {
			char c = m[i + j];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != keys[k][j])
				break;
		}
		if (j == kl)
			return kl;
	}
	return 0;
}

void evlog_scrub(struct sbuf *msg)
{
	struct sbuf out = SBUF_INIT(msg->cap);
	size_t i = 0, n = msg->len;
	int changed = 0;

	while (i < n) {
		size_t kl = secret_key(msg->buf, n, i), j;

		if (!kl) {
			sbuf_addch(&out, msg->buf[i++]);
			continue;
		}
		sbuf_add(&out, msg->buf + i, kl);
		j = i + kl;
		if (j < n && msg->buf[j] == '{') {
			/* ODBC's braced value: ';' may be inside it */
			while (j < n && msg->buf[j] != '}')
				j++;
			if (j < n)
				j++;
		} else {
			while (j < n && msg->buf[j] != ';' &&
			       msg->buf[j] != '\'' && msg->buf[j] != '"' &&
			       msg->buf[j] != '}')
				j++;
		}
		sbuf_addstr(&out, "***");
		changed = 1;
		i = j;
	}
	if (changed && !out.failed) {
		sbuf_reset(msg);
		sbuf_add(msg, out.buf, out.len);
	} else if (changed) {
		/* cannot rebuild it: log nothing of it rather than the secret */
		sbuf_reset(msg);
		sbuf_addstr(msg, "(a message holding a password, not logged)");
	}
	sbuf_release(&out);
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
static int add_time(struct sbuf *out, int64_t ms)
{
	struct sbuf t = SBUF_INIT(64);
	int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int rc;

	rc = tstamp_format(s, &t);
	if (rc == 0 && t.len == 20) {	/* ...SSZ */
		sbuf_add(out, t.buf, 19);
		rc = sbuf_addf(out, ".%03dZ", (int)(ms - s * 1000));
	} else {
		rc = sbuf_addstr(out, "?");
	}
	sbuf_release(&t);
	return rc;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

int evlog_format(struct sbuf *out, enum evlog_format fmt, int to_file,
		 int64_t ms, const char *job, const struct evlog_event *ev)
{
	const char *msg = ev->msg ? ev->msg : "";

	if (fmt == EVLOG_JSON) {
		sbuf_addstr(out, "{\"time\":\"");
		add_time(out, ms);
		sbuf_addstr(out, "\",\"level\":\"");
		sbuf_addstr(out, evlog_level_name(ev->level));
		sbuf_addstr(out, "\",\"job\":");
		evlog_json_str(out, job ? job : "", job ? strlen(job) : 0);
		sbuf_addstr(out, ",\"run\":");
		evlog_json_str(out, ev->run ? ev->run : "",
			       ev->run ? strlen(ev->run) : 0);
		sbuf_addstr(out, ",\"phase\":");
		evlog_json_str(out, ev->phase ? ev->phase : "",
			       ev->phase ? strlen(ev->phase) : 0);
		sbuf_addstr(out, ",\"msg\":");
		evlog_json_str(out, msg, strlen(msg));
		return sbuf_addstr(out, "}\n");
	}
	if (to_file) {
		add_time(out, ms);
		sbuf_addf(out, " %s %s %s %s: ", evlog_level_name(ev->level),
			  or_dash(job), or_dash(ev->run), or_dash(ev->phase));
	} else {
		sbuf_addstr(out, "recon: ");
	}
	/* a line for people: no escape sequence reaches the terminal */
	for (const char *p = msg; *p; p++)
		sbuf_addch(out, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	return sbuf_addch(out, '\n');
}

int evlog_open(struct evlog *l, const char *path, enum evlog_format format,
	       int quiet, struct error *err)
{
	memset(l, 0, sizeof(*l));
	l->fd = 2;
	l->format = format;
	l->quiet = quiet;
	l->tty = isatty(2);
	sbuf_init(&l->line, EVLOG_LINE_MAX);
	sbuf_init(&l->msg, EVLOG_MSG_MAX + 256);
	if (!path)
		return 0;
	l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (l->fd < 0) {
		l->fd = 2;
		return error_set(err, ERR_IO, "--log-file '%s': cannot open "
				 "it for appending: %s", path, strerror(errno));
	}
	l->own_fd = 1;
	return 0;
}

void evlog_close(struct evlog *l)
{
	if (l->live_shown && l->tty)
		(void)!write(2, "\n", 1);
	if (l->own_fd)
		close(l->fd);
	l->own_fd = 0;
	l->fd = 2;
	sbuf_release(&l->line);
	sbuf_release(&l->msg);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* a log that cannot be written stops nothing */
		p += w;
		n -= (size_t)w;
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The terminal's live line (progress on a tty): "\r", the line, clear
 * to its end; the phase's last one ends with a newline. */
static void emit_live(struct evlog *l, const struct evlog_event *ev)
{
	sbuf_reset(&l->line);
	sbuf_addstr(&l->line, "\rrecon: ");
	for (const char *p = l->msg.buf; *p; p++)
		sbuf_addch(&l->line, (unsigned char)*p < 0x20 ? '?' : *p);
	sbuf_addstr(&l->line, "\033[K");
	if (ev->done)
		sbuf_addch(&l->line, '\n');
	if (l->line.failed)
		return;
	write_all(2, l->line.buf, l->line.len);
	l->live_shown = !ev->done;
}

void evlog_emit(void *ctx, const struct evlog_event *ev)
{
	struct evlog *l = ctx;
	const char *m = ev->msg ? ev->msg : "";
	struct evlog_event e = *ev;

	if (!l || (l->quiet && ev->level == EVLOG_INFO))
		return;
	if (ev->live && !l->tty)
		return;	/* progress.c sends live lines only to a terminal */
	sbuf_reset(&l->msg);
	text_add_clean(&l->msg, m, strlen(m), EVLOG_MSG_MAX);
	evlog_scrub(&l->msg);
	if (l->msg.failed)
		return;
	if (ev->live) {
		emit_live(l, ev);
		return;
	}
	if (l->live_shown && l->fd == 2) {
		/* the event takes the live line's place; the next redraw
		 * comes below it */
		write_all(2, "\r\033[K", 4);
		l->live_shown = 0;
	}
	e.msg = l->msg.buf;
	sbuf_reset(&l->line);
	if (evlog_format(&l->line, l->format, l->own_fd, now_ms(), l->job,
			 &e) < 0)
		return;
	write_all(l->fd, l->line.buf, l->line.len);
}

void evlog_line(struct evlog *l, const char *phase, const char *run,
		const char *line)
{
	struct evlog_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.level = strncmp(line, "warning: ", 9) == 0 ? EVLOG_WARNING
						      : EVLOG_INFO;
	ev.phase = phase;
	ev.run = run;
	ev.msg = line;
	evlog_emit(l, &ev);
}

void evlog_emitf(struct evlog *l, enum evlog_level level, const char *phase,
		 const char *run, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);	/* cut below, visibly */
	struct evlog_event ev;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof(ev));
	ev.level = level;
	ev.phase = phase;
	ev.run = run;
	ev.msg = sb.failed ? "(message too long)" : sb.buf;
	evlog_emit(l, &ev);
	sbuf_release(&sb);
}
