/*
 * evlog.h - the log of `recon run` and `recon schedule`: every line
 * recon writes for people is one event (time, level, job, run, phase,
 * message), written as text or as one JSON object per line, to stderr
 * or appended to a file (docs/LOGGING.md).
 *
 * The engine never prints: it hands events to a callback
 * (run_opts.log, struct evlog_event); the command line's sink (struct
 * evlog) stamps the time, scrubs credentials and writes each event with
 * one write(2), so that lines from several processes appending to the
 * same file (the scheduler and its runs) never interleave.
 *
 * Progress lines are events too: on a terminal (live) they redraw one
 * line of stderr; otherwise they are ordinary info events.
 */
#ifndef RECON_EVLOG_H
#define RECON_EVLOG_H

#include <stdint.h>

#include "buf.h"
#include "err.h"

enum evlog_level { EVLOG_ERROR, EVLOG_WARNING, EVLOG_INFO };
enum evlog_format { EVLOG_TEXT, EVLOG_JSON };

/* One event, as the engine hands it over; every string borrowed for
 * the call. */
struct evlog_event {
	enum evlog_level level;
	const char *phase;	/* "read", "match", ... (docs/LOGGING.md); NULL: "" */
	const char *run;	/* the run id; NULL or "": not known (yet) */
	const char *msg;
	/* A progress line (progress.c): live = redraw the terminal's last
	 * line, done = the phase's last redraw (ends the line). */
	int live, done;
};

/* The most bytes of one message that are logged (a longer one is cut
 * visibly, text_add_clean's mark): a driver's diagnostic can be long,
 * a log line should still fit a screen or two. */
#define EVLOG_MSG_MAX (16 << 10)

/* The command line's sink. */
struct evlog {
	int fd;			/* 2, or the --log-file */
	int own_fd;		/* fd is the file's, closed by evlog_close */
	enum evlog_format format;
	int quiet;		/* -q: info events are dropped */
	int tty;		/* stderr is a terminal: live progress there */
	int live_shown;		/* a live line is on the terminal now */
	const char *job;	/* borrowed; NULL or "": none */
	struct sbuf line, msg;
};

/* "text" or "json" into *out: 0, or -1 if s is neither. */
int evlog_parse_format(const char *s, enum evlog_format *out);

/* Open the sink: events to path (NULL: stderr), appended, the file
 * created mode 0640 if it is not there. 0, or -1 with err set
 * (ERR_IO). */
int evlog_open(struct evlog *l, const char *path, enum evlog_format format,
	       int quiet, struct error *err);
void evlog_close(struct evlog *l);

/* Write one event (the callback of run_opts.log, ctx a struct evlog). */
void evlog_emit(void *ctx, const struct evlog_event *ev);
/* An event from a plain line (hooks, the scheduler): level warning if
 * it starts "warning: ", else info. */
void evlog_line(struct evlog *l, const char *phase, const char *run,
		const char *line);
void evlog_emitf(struct evlog *l, enum evlog_level level, const char *phase,
		 const char *run, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ---- the pieces, for the tests ---------------------------------------- */

const char *evlog_level_name(enum evlog_level level);

/* Append s[0..n) as a JSON string (quotes included): '"', '\\' and the
 * control characters escaped (\n \r \t \b \f by name, others \u00XX),
 * each byte that is not part of well-formed UTF-8 replaced by U+FFFD.
 * The result of the last append (see out->failed). */
int evlog_json_str(struct sbuf *out, const char *s, size_t n);

/* Replace the value of every PWD=, PASSWORD= (any case) in msg by ***:
 * up to the next ';', '}' (a braced value: its closing brace), quote or
 * the end. Drivers echo connection strings in their diagnostics. */
void evlog_scrub(struct sbuf *msg);

/* Append one event as a line (with its '\n') in format fmt:
 *   text, stderr:  "recon: MSG"
 *   text, a file:  "TIME LEVEL JOB RUN PHASE: MSG" ('-' for an empty field)
 *   json:          {"time":..,"level":..,"job":..,"run":..,"phase":..,"msg":..}
 * ms is the time in milliseconds since 1970 (UTC), written
 * "YYYY-MM-DDTHH:MM:SS.mmmZ". Control characters in a text line's
 * message become '?'. 0, or -1 (out->failed). */
int evlog_format(struct sbuf *out, enum evlog_format fmt, int to_file,
		 int64_t ms, const char *job, const struct evlog_event *ev);

#endif
