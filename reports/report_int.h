/*
 * report_int.h - private to reports/: the output sink the writers stream
 * into, the per-format writers, and the replaceable file-system table
 * (after SQLite's aSyscall[]) through which every open, write, sync,
 * close, link and rename of the forward publishing path goes, so that a
 * test can make the Nth call fail.
 *
 * Invariants: a writer never touches the FILE* directly, only through
 * report_sink_*; the first failure is sticky in the sink (errno kept, or
 * `nomem`), so a writer may append a whole row and check once.
 */
#ifndef RECON_REPORT_INT_H
#define RECON_REPORT_INT_H

#include <stdio.h>
#include <stdint.h>

#include "report.h"

/*
 * The file-system calls report_write() makes on its forward path. Each
 * returns what the C/POSIX call it stands for returns and sets errno on
 * failure. `sync` is fflush + fsync of the stream's descriptor. The
 * rollback after a failed rename and the removal of temporary files call
 * the system directly: they are the recovery, not the path under test.
 */
struct report_io {
	FILE *(*open)(const char *path, const char *mode);
	size_t (*write)(const void *p, size_t size, size_t n, FILE *fp);
	int (*sync)(FILE *fp);
	int (*close)(FILE *fp);
	int (*link)(const char *from, const char *to);
	int (*rename)(const char *from, const char *to);
};

/* The table in use; tests swap it and restore report_io_default. */
extern struct report_io report_io;
extern const struct report_io report_io_default;

/* Where a writer's bytes go: a line buffer flushed to fp through
 * report_io.write. Owns buf; borrows fp and path. */
struct report_sink {
	FILE *fp;
	const char *path;	/* for messages */
	struct sbuf buf;	/* pending bytes, one row or so */
	int err;		/* errno of the first failed write, 0 if none */
	int nomem;		/* the buffer could not grow */
};

/* Write and empty the pending bytes. 0, or -1 with err/nomem set. */
int report_sink_flush(struct report_sink *s);
/* End of a row: check the buffer (-1, nomem set, if an append failed)
 * and flush it, so that only one row is ever held in memory. */
int report_sink_end_row(struct report_sink *s);

/* A format writer: stream the whole file for r into s (flushed on
 * return). 0, or -1 with the sink's error set. */
typedef int report_writer_fn(const struct report *r, struct report_sink *s);

/*
 * Another report's set of files (the shadow run's): each part streams
 * DIR/BASENAME+suffix from ctx into its sink, the way a format writer
 * does. report_write_parts writes them all under temporary names, then
 * publishes them atomically as a set, exactly as report_write does
 * (report.h): a failure leaves no file changed and no temporary behind.
 * At most REPORT_PARTS_MAX parts. Paths as report_write's.
 */
#define REPORT_PARTS_MAX 4
typedef int report_part_fn(const void *ctx, struct report_sink *s);
struct report_part {
	const char *suffix;	/* ".csv" */
	report_part_fn *write;
};
int report_write_parts(const struct report_part *parts, size_t n,
		       const void *ctx, const char *dir, const char *basename,
		       struct sbuf *paths, struct error *err);

/* DIR/BASENAME.csv: one row per report_item (csv.c). */
int report_csv_items(const struct report *r, struct report_sink *s);
/* DIR/BASENAME-summary.csv: control totals and outcome counts (csv.c). */
int report_csv_summary(const struct report *r, struct report_sink *s);
/* DIR/BASENAME.html: the self-contained page (html.c). */
int report_html_page(const struct report *r, struct report_sink *s);

/* DIR/BASENAME.xml: the whole report, etc/report.xsd (xml.c). */
int report_xml_document(const struct report *r, struct report_sink *s);

/* 1 if s is a plain decimal, -?[0-9]+(\.[0-9]+)?, else 0 (csv.c). */
int report_is_plain_decimal(const char *s);

/*
 * The difference a line shows (csv.c): the rule's (it->difference) when
 * its verdict rests on a within(), else order minus deal, else ERP minus
 * order, else ERP minus deal, the first pair that differs (or the first
 * pair there is, when all agree), written into out. NULL when no two
 * amounts are there. html.js computes the same when it is not written.
 */
const char *report_difference(struct sbuf *out, const struct report_item *it);

#endif
