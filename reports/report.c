/*
 * report.c - report_write(): the registry of formats and the atomic
 * publication of a set of report files (git's lockfile pattern, for a
 * set).
 *
 * For each requested file: write DIR/.NAME.tmp.PID through the sink,
 * fsync, fclose, each result checked. Only when every file of the set is
 * complete are the old finals hard-linked aside (DIR/.NAME.old.PID) and
 * the temporaries renamed into place; if a rename fails, the files already
 * renamed are put back from those links (or removed if they are new), so
 * a failed call leaves the finals as they were and no temporary behind.
 *
 * Invariants: nothing under a final name changes before every temporary
 * has been written, synced and closed; every path out of report_write()
 * after a temporary was created removes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "report_int.h"
#include "engine/mem.h"
#include "engine/banned.h"

#define PATH_CAP ((size_t)64 << 10)

/* ---- the default file-system table ---- */

static int io_sync(FILE *fp)
{
	if (fflush(fp) == EOF)
		return -1;
	return fsync(fileno(fp));
}

const struct report_io report_io_default = {
	.open = fopen,
	.write = fwrite,
	.sync = io_sync,
	.close = fclose,
	.link = link,
	.rename = rename,
};

struct report_io report_io = {
	.open = fopen,
	.write = fwrite,
	.sync = io_sync,
	.close = fclose,
	.link = link,
	.rename = rename,
};

/* ---- the registry: adding a format is one line ---- */

static const struct {
	const char *name;
	unsigned bit;
	const char *suffix;	/* appended to BASENAME */
	report_writer_fn *write;
} formats_table[] = {
	{ "csv",         REPORT_CSV,  ".csv",         report_csv_items },
	{ "csv-summary", REPORT_CSV,  "-summary.csv", report_csv_summary },
	{ "html",        REPORT_HTML, ".html",        report_html_page },
	{ "xml",         REPORT_XML,  ".xml",         report_xml_document },
};

#define NFORMATS (sizeof(formats_table) / sizeof(formats_table[0]))

/* ---- the sink ---- */

int report_sink_flush(struct report_sink *s)
{
	size_t n;

	if (s->err || s->nomem)
		return -1;
	if (s->buf.failed) {
		s->nomem = 1;
		return -1;
	}
	if (!s->buf.len)
		return 0;
	errno = 0;
	n = report_io.write(s->buf.buf, 1, s->buf.len, s->fp);
	if (n != s->buf.len) {
		s->err = errno ? errno : EIO;
		return -1;
	}
	sbuf_reset(&s->buf);
	return 0;
}

/* One write per row: stdio buffers underneath, and the memory we hold
 * is one row however long the report. */
int report_sink_end_row(struct report_sink *s)
{
	return report_sink_flush(s);
}

/* ---- one file of the set ---- */

/* A file's writer: formats_table's or a report_part's
 * (report_write_parts). */
struct target {
	report_writer_fn *fmt;	/* formats_table's, of r; or NULL */
	const struct report *r;
	report_part_fn *part;	/* else a report_part's, of ctx */
	const void *ctx;
	struct sbuf final;	/* DIR/BASENAME.suffix */
	struct sbuf tmp;	/* DIR/.BASENAME.suffix.tmp.PID */
	struct sbuf old;	/* DIR/.BASENAME.suffix.old.PID */
	int tmp_exists;		/* we created tmp and have not renamed it */
	int old_exists;		/* we linked final to old */
	int renamed;		/* tmp is now final */
};

static void target_init(struct target *t)
{
	t->fmt = NULL;
	t->r = NULL;
	t->part = NULL;
	t->ctx = NULL;
	sbuf_init(&t->final, PATH_CAP);
	sbuf_init(&t->tmp, PATH_CAP);
	sbuf_init(&t->old, PATH_CAP);
	t->tmp_exists = 0;
	t->old_exists = 0;
	t->renamed = 0;
}

static void target_release(struct target *t)
{
	sbuf_release(&t->final);
	sbuf_release(&t->tmp);
	sbuf_release(&t->old);
}

static int fail_errno(struct error *err, const char *what, const char *path,
		      int e)
{
	return error_set(err, ERR_REPORT, "cannot %s '%s': %s", what, path,
			 strerror(e));
}

static int fail_nomem(struct error *err, const char *path)
{
	return error_set(err, ERR_NOMEM, "out of memory writing report '%s'",
			 path);
}

/* mkdir -p: create each missing component of dir. */
static int make_dirs(const char *dir, struct error *err)
{
	struct sbuf p = SBUF_INIT(PATH_CAP);
	struct stat st;
	size_t n = strlen(dir);
	int rc = 0;

	if (sbuf_add(&p, dir, n) < 0) {
		sbuf_release(&p);
		return fail_nomem(err, dir);
	}
	for (size_t i = 1; i <= n && rc == 0; i++) {
		if (i < n && p.buf[i] != '/')
			continue;
		if (i < n && p.buf[i - 1] == '/')
			continue; /* "a//b" */
		p.buf[i] = '\0';
		if (mkdir(p.buf, 0777) < 0) {
			int e = errno;

			/* EEXIST may be a file: stat says. EACCES on an
			 * existing parent we may not write is fine too. */
			if (stat(p.buf, &st) < 0 || !S_ISDIR(st.st_mode)) {
				if (e == EEXIST)
					e = ENOTDIR;
				rc = fail_errno(err, "create directory",
						p.buf, e);
			}
		}
		if (i < n)
			p.buf[i] = '/';
	}
	sbuf_release(&p);
	return rc;
}

/* Write, sync and close t's temporary file. */
static int write_one(struct target *t, struct error *err)
{
	struct report_sink s;
	int rc;

	s.path = t->tmp.buf;
	s.err = 0;
	s.nomem = 0;
	sbuf_init(&s.buf, SBUF_CAP_DEFAULT);

	/* A leftover from a crashed run with our pid; O_EXCL below. */
	(void)unlink(t->tmp.buf);
	errno = 0;
	s.fp = report_io.open(t->tmp.buf, "wbx");
	if (!s.fp) {
		sbuf_release(&s.buf);
		return fail_errno(err, "create report", t->tmp.buf,
				  errno ? errno : EIO);
	}
	t->tmp_exists = 1;
	/* Not world-readable whatever the umask: the report names
	 * customers and amounts. rename() keeps the mode. */
	if (fchmod(fileno(s.fp), REPORT_FILE_MODE) < 0) {
		int e = errno;

		sbuf_release(&s.buf);
		(void)report_io.close(s.fp);
		return fail_errno(err, "set the mode of report", t->tmp.buf, e);
	}

	rc = t->fmt ? t->fmt(t->r, &s) : t->part(t->ctx, &s);
	if (rc == 0)
		rc = report_sink_flush(&s);
	sbuf_release(&s.buf);
	if (rc < 0) {
		(void)report_io.close(s.fp);
		if (s.nomem)
			return fail_nomem(err, t->final.buf);
		return fail_errno(err, "write report", t->final.buf, s.err);
	}
	errno = 0;
	if (report_io.sync(s.fp) != 0) {
		int e = errno ? errno : EIO;

		(void)report_io.close(s.fp);
		return fail_errno(err, "sync report", t->final.buf, e);
	}
	errno = 0;
	if (report_io.close(s.fp) != 0)
		return fail_errno(err, "close report", t->final.buf,
				  errno ? errno : EIO);
	return 0;
}

/* Undo: put back what was renamed, drop temporaries and old links.
 * System calls directly; failures here cannot be reported better than
 * the error that brought us here. */
static void rollback(struct target *t, size_t nt)
{
	for (size_t i = 0; i < nt; i++) {
		if (t[i].renamed) {
			if (t[i].old_exists) {
				if (rename(t[i].old.buf, t[i].final.buf) == 0)
					t[i].old_exists = 0;
			} else {
				(void)unlink(t[i].final.buf);
			}
		}
		if (t[i].tmp_exists)
			(void)unlink(t[i].tmp.buf);
		if (t[i].old_exists)
			(void)unlink(t[i].old.buf);
	}
}

/* Best effort: make the renames durable. The files are in place either
 * way, so a failure here is not an error. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd >= 0) {
		(void)fsync(fd);
		(void)close(fd);
	}
}

static int valid_basename(const char *b)
{
	return b[0] && !strchr(b, '/') && strcmp(b, ".") != 0 &&
	       strcmp(b, "..") != 0;
}

/* A prepared set: temporaries written, waiting for publish or abort. */
#define NTARGETS (NFORMATS > REPORT_PARTS_MAX ? NFORMATS : REPORT_PARTS_MAX)

struct report_pending {
	struct target t[NTARGETS];
	size_t nt;
	char *dir;		/* owned, for the directory sync */
};

static void pending_free(struct report_pending *p)
{
	for (size_t i = 0; i < p->nt; i++)
		target_release(&p->t[i]);
	mem_free(p->dir);
	mem_free(p);
}

/*
 * Remove what dead runs left in dir for this basename: DIR/.NAME.tmp.PID
 * and DIR/.NAME.old.PID whose PID is not a live process (a kill -9 between
 * writing and publishing). Best effort: a file we cannot remove is left.
 */
static void remove_stale(const char *dir, const char *basename)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct sbuf path = SBUF_INIT(PATH_CAP);
	size_t bn = strlen(basename);
	long self = (long)getpid();

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *n = e->d_name, *tag;
		char *end;
		long pid;

		if (n[0] != '.' || strncmp(n + 1, basename, bn) != 0)
			continue;
		tag = strstr(n + 1 + bn, ".tmp.");
		if (!tag)
			tag = strstr(n + 1 + bn, ".old.");
		if (!tag || !tag[5])
			continue;
		pid = strtol(tag + 5, &end, 10);
		if (*end || pid <= 0 || pid == self)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;	/* alive, or not ours to judge */
		sbuf_reset(&path);
		if (sbuf_addf(&path, "%s/%s", dir, n) == 0)
			(void)unlink(path.buf);
	}
	closedir(d);
	sbuf_release(&path);
}

/* A new pending set in dir (created), stale leftovers of basename
 * removed; NULL with err set. */
static struct report_pending *pending_new(const char *dir,
					  const char *basename,
					  struct error *err)
{
	struct report_pending *p;

	if (make_dirs(dir, err) < 0)
		return NULL;
	remove_stale(dir, basename);
	p = mem_calloc(1, sizeof(*p));
	if (!p) {
		fail_nomem(err, dir);
		return NULL;
	}
	p->dir = mem_strdup(dir);
	if (!p->dir) {
		pending_free(p);
		fail_nomem(err, dir);
		return NULL;
	}
	return p;
}

/* The next target of p, named DIR/BASENAME+suffix (temporary and
 * rollback names with our pid); NULL on out of memory. */
static struct target *pending_add(struct report_pending *p,
				  const char *basename, const char *suffix,
				  struct error *err)
{
	struct target *x = &p->t[p->nt++];
	long pid = (long)getpid();

	target_init(x);
	sbuf_addf(&x->final, "%s/%s%s", p->dir, basename, suffix);
	sbuf_addf(&x->tmp, "%s/.%s%s.tmp.%ld", p->dir, basename, suffix, pid);
	sbuf_addf(&x->old, "%s/.%s%s.old.%ld", p->dir, basename, suffix, pid);
	if (x->final.failed || x->tmp.failed || x->old.failed) {
		fail_nomem(err, p->dir);
		return NULL;
	}
	return x;
}

/* Write every temporary of p and append the final names to paths; on
 * failure nothing is left and p is freed. */
static int pending_write(struct report_pending *p, struct sbuf *paths,
			 struct report_pending **out, struct error *err)
{
	size_t paths_len = paths ? paths->len : 0;

	for (size_t i = 0; i < p->nt; i++)
		if (write_one(&p->t[i], err) < 0)
			goto fail;

	/* The names for the caller, before anything is published, so that
	 * running out of memory here changes nothing on disk. */
	if (paths) {
		for (size_t i = 0; i < p->nt; i++) {
			if (paths->len)
				sbuf_addch(paths, '\n');
			sbuf_add(paths, p->t[i].final.buf, p->t[i].final.len);
		}
		if (paths->failed) {
			paths->failed = SBUF_OK;
			fail_nomem(err, p->dir);
			goto fail;
		}
	}
	*out = p;
	return 0;
fail:
	rollback(p->t, p->nt);
	if (paths)
		sbuf_setlen(paths, paths_len);
	pending_free(p);
	return -1;
}

/* report_publish(p); on failure paths back to paths_len bytes. */
static int publish_set(struct report_pending *p, struct sbuf *paths,
		       size_t paths_len, struct error *err)
{
	if (report_publish(p, err) < 0) {
		if (paths)
			sbuf_setlen(paths, paths_len);
		return -1;
	}
	return 0;
}

int report_prepare(const struct report *r, const char *dir,
		   const char *basename, unsigned formats, struct sbuf *paths,
		   struct report_pending **out, struct error *err)
{
	struct report_pending *p;
	unsigned known = 0;

	*out = NULL;
	if (!r || !dir || !basename || !dir[0])
		return error_set(err, ERR_INTERNAL,
				 "report_prepare: missing argument");
	if (!valid_basename(basename))
		return error_set(err, ERR_REPORT,
				 "invalid report name '%s': a plain file "
				 "name is needed", basename);
	for (size_t i = 0; i < NFORMATS; i++)
		known |= formats_table[i].bit;
	if (formats & ~known)
		return error_set(err, ERR_INTERNAL,
				 "report_prepare: unknown format bits 0x%x",
				 formats & ~known);
	if (!formats)
		return 0;
	p = pending_new(dir, basename, err);
	if (!p)
		return -1;
	for (unsigned i = 0; i < NFORMATS; i++) {
		struct target *x;

		if (!(formats & formats_table[i].bit))
			continue;
		x = pending_add(p, basename, formats_table[i].suffix, err);
		if (!x) {
			pending_free(p);
			return -1;
		}
		x->fmt = formats_table[i].write;
		x->r = r;
	}
	return pending_write(p, paths, out, err);
}

int report_write_parts(const struct report_part *parts, size_t n,
		       const void *ctx, const char *dir, const char *basename,
		       struct sbuf *paths, struct error *err)
{
	struct report_pending *p = NULL;
	size_t paths_len = paths ? paths->len : 0;

	if (!parts || !n || n > REPORT_PARTS_MAX || !dir || !dir[0] ||
	    !basename)
		return error_set(err, ERR_INTERNAL,
				 "report_write_parts: bad arguments");
	if (!valid_basename(basename))
		return error_set(err, ERR_REPORT,
				 "invalid report name '%s': a plain file "
				 "name is needed", basename);
	p = pending_new(dir, basename, err);
	if (!p)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct target *x = pending_add(p, basename, parts[i].suffix,
					       err);

		if (!x) {
			pending_free(p);
			return -1;
		}
		x->part = parts[i].write;
		x->ctx = ctx;
	}
	if (pending_write(p, paths, &p, err) < 0)
		return -1;
	return publish_set(p, paths, paths_len, err);
}

int report_publish(struct report_pending *p, struct error *err)
{
	struct target *t;
	size_t nt;
	int rc = -1;

	if (!p)
		return 0;
	t = p->t;
	nt = p->nt;
	/* Keep the old finals reachable until the whole set is in place. */
	for (size_t i = 0; i < nt; i++) {
		(void)unlink(t[i].old.buf);
		errno = 0;
		if (report_io.link(t[i].final.buf, t[i].old.buf) == 0) {
			t[i].old_exists = 1;
		} else if (errno != ENOENT) {
			fail_errno(err, "keep a rollback link of",
				   t[i].final.buf, errno ? errno : EIO);
			goto out;
		}
	}

	for (size_t i = 0; i < nt; i++) {
		errno = 0;
		if (report_io.rename(t[i].tmp.buf, t[i].final.buf) != 0) {
			fail_errno(err, "rename into place",
				   t[i].final.buf, errno ? errno : EIO);
			goto out;
		}
		t[i].tmp_exists = 0;
		t[i].renamed = 1;
	}
	for (size_t i = 0; i < nt; i++) {
		t[i].renamed = 0; /* published: rollback keeps it */
		if (t[i].old_exists && unlink(t[i].old.buf) == 0)
			t[i].old_exists = 0;
	}
	sync_dir(p->dir);
	rc = 0;
out:
	/* On success only old links that would not go remain to drop. */
	rollback(t, nt);
	pending_free(p);
	return rc;
}

void report_abort(struct report_pending *p)
{
	if (!p)
		return;
	rollback(p->t, p->nt);
	pending_free(p);
}

int report_write(const struct report *r, const char *dir, const char *basename,
		 unsigned formats, struct sbuf *paths, struct error *err)
{
	struct report_pending *p = NULL;
	size_t paths_len = paths ? paths->len : 0;

	if (report_prepare(r, dir, basename, formats, paths, &p, err) < 0)
		return -1;
	return publish_set(p, paths, paths_len, err);
}
