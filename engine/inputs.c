/*
 * inputs.c - a published run's inputs file (inputs.h): the rows each
 * source and reference table gave the run, for `recon shadow`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "inputs.h"
#include "file.h"
#include "incr.h"
#include "mem.h"
#include "banned.h"

#define END "RECONEND"
/* The largest record: a row of at most 1 MiB per value is the
 * connector's cap (cursor_open's max_value); a row's record is capped
 * at 256 MiB so that a damaged length cannot make the reader allocate
 * without bound. */
#define RECORD_MAX ((uint32_t)256 << 20)
#define NO_TEXT 0xffffffffu

struct inputs_writer {
	FILE *f;
	EVP_MD_CTX *md;
	struct sbuf tmp, dir, rec;
	uint64_t bytes;
	int made, committed;
};

static int w_fail(struct inputs_writer *w, struct error *err)
{
	return error_set(err, ERR_IO, "cannot write the run's inputs file %s: %s",
			 w->tmp.buf, strerror(errno ? errno : EIO));
}

static int w_put(struct inputs_writer *w, const void *p, size_t n,
		 struct error *err)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		return w_fail(w, err);
	if (EVP_DigestUpdate(w->md, p, n) != 1)
		return error_set(err, ERR_INTERNAL, "SHA-256 failed");
	w->bytes += n;
	return 0;
}

static void put_u32(struct sbuf *b, uint32_t v)
{
	sbuf_add(b, &v, 4);
}

static void put_str(struct sbuf *b, const char *s, size_t n)
{
	put_u32(b, (uint32_t)n);
	sbuf_add(b, s, n);
}

/* rec holds tag, section and payload after a 4-byte hole: fill the
 * length in and write it. */
static int w_record(struct inputs_writer *w, struct error *err)
{
	uint32_t n;

	if (w->rec.failed)
		return error_set(err, w->rec.failed == SBUF_NOMEM ? ERR_NOMEM
								 : ERR_DATA,
				 "a row too large for the run's inputs file");
	n = (uint32_t)(w->rec.len - 4);
	memcpy(w->rec.buf, &n, 4);
	return w_put(w, w->rec.buf, w->rec.len, err);
}

static void rec_begin(struct inputs_writer *w, char tag, unsigned sec)
{
	uint16_t s = (uint16_t)sec;

	sbuf_reset(&w->rec);
	put_u32(&w->rec, 0);
	sbuf_addch(&w->rec, tag);
	sbuf_add(&w->rec, &s, 2);
}

int inputs_path(const char *dir, const char *run_id, struct sbuf *out)
{
	sbuf_reset(out);
	return sbuf_addf(out, "%s/%s%s", dir, run_id, INPUTS_SUFFIX);
}

int inputs_writer_open(const char *dir, struct inputs_writer **out,
		       struct error *err)
{
	struct inputs_writer *w = mem_calloc(1, sizeof(*w));
	int fd;

	if (!w)
		return error_set(err, ERR_NOMEM, "out of memory");
	sbuf_init(&w->tmp, 8192);
	sbuf_init(&w->dir, 8192);
	sbuf_init(&w->rec, RECORD_MAX);
	w->md = EVP_MD_CTX_new();
	if (!w->md || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
		inputs_writer_free(w);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	if (incr_mkdirs(dir, err) < 0) {
		inputs_writer_free(w);
		return -1;
	}
	/* .inputs.tmp.PID.XXXXXX: inputs_prune() removes a killed run's */
	if (sbuf_addstr(&w->dir, dir) < 0 ||
	    sbuf_addf(&w->tmp, "%s/.inputs.tmp.%ld.XXXXXX", dir,
		      (long)getpid()) < 0) {
		inputs_writer_free(w);
		return error_set(err, ERR_NOMEM, "inputs folder name too long");
	}
	fd = mkstemp(w->tmp.buf);
	if (fd >= 0) {
		w->made = 1;
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		w->f = fdopen(fd, "wb");
		if (!w->f)
			close(fd);
	}
	if (!w->f) {
		error_set(err, ERR_IO, "cannot create the run's inputs file "
			  "%s: %s", w->tmp.buf, strerror(errno));
		inputs_writer_free(w);
		return -1;
	}
	if (w_put(w, INPUTS_MAGIC, 8, err) < 0) {
		inputs_writer_free(w);
		return -1;
	}
	*out = w;
	return 0;
}

int inputs_writer_section(struct inputs_writer *w, unsigned sec,
			  enum inputs_kind kind, const char *name,
			  const char *const *cols, size_t ncols,
			  struct error *err)
{
	rec_begin(w, (char)kind, sec);
	put_str(&w->rec, name, strlen(name));
	put_u32(&w->rec, (uint32_t)ncols);
	for (size_t i = 0; i < ncols; i++)
		put_str(&w->rec, cols[i], strlen(cols[i]));
	return w_record(w, err);
}

int inputs_writer_row(struct inputs_writer *w, unsigned sec,
		      const struct value *vals, size_t ncols,
		      struct error *err)
{
	rec_begin(w, 'W', sec);
	for (size_t i = 0; i < ncols; i++) {
		const struct value *v = &vals[i];
		unsigned char tb[2] = { (unsigned char)v->type, v->dec_text };

		sbuf_add(&w->rec, tb, 2);
		sbuf_add(&w->rec, &v->i, 8);
		if (v->s)
			put_str(&w->rec, v->s, v->len);
		else
			put_u32(&w->rec, NO_TEXT);
		if (v->approx)
			put_str(&w->rec, v->approx, strlen(v->approx));
		else
			put_u32(&w->rec, 0);
	}
	return w_record(w, err);
}

int inputs_writer_end(struct inputs_writer *w, unsigned sec, uint64_t rows,
		      struct error *err)
{
	rec_begin(w, 'E', sec);
	sbuf_add(&w->rec, &rows, 8);
	return w_record(w, err);
}

int inputs_writer_finish(struct inputs_writer *w, struct error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (EVP_DigestFinal_ex(w->md, md, &mdlen) != 1 || mdlen != 32)
		return error_set(err, ERR_INTERNAL, "SHA-256 failed");
	if (fwrite(md, 1, 32, w->f) != 32 || fwrite(END, 1, 8, w->f) != 8 ||
	    fflush(w->f) != 0 || fsync(fileno(w->f)) != 0)
		return w_fail(w, err);
	w->bytes += 40;
	return 0;
}

int inputs_writer_commit(struct inputs_writer *w, const char *run_id,
			 struct error *err)
{
	struct sbuf final = SBUF_INIT(8192);
	int fd, rc = -1;

	if (fclose(w->f) != 0) {
		w->f = NULL;
		return w_fail(w, err);
	}
	w->f = NULL;
	if (inputs_path(w->dir.buf, run_id, &final) < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (rename(w->tmp.buf, final.buf) != 0) {
		error_set(err, ERR_IO, "cannot rename %s to %s: %s",
			  w->tmp.buf, final.buf, strerror(errno));
		goto out;
	}
	w->committed = 1;
	fd = open(w->dir.buf, O_RDONLY);	/* the rename, durable */
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	rc = 0;
out:
	sbuf_release(&final);
	return rc;
}

uint64_t inputs_writer_bytes(const struct inputs_writer *w)
{
	return w->bytes;
}

void inputs_writer_free(struct inputs_writer *w)
{
	if (!w)
		return;
	if (w->f)
		fclose(w->f);
	if (w->made && !w->committed)
		unlink(w->tmp.buf);
	EVP_MD_CTX_free(w->md);
	sbuf_release(&w->tmp);
	sbuf_release(&w->dir);
	sbuf_release(&w->rec);
	mem_free(w);
}

/* ---- pruning ---------------------------------------------------------- */

/* A kept file and when it was put in place. */
struct kept {
	char *name;
	struct timespec t;
};

/* Oldest first: by modification time (runs of a job publish one after
 * another under its lock; two started in the same second have run ids
 * that do not sort by time), then by name. */
static int by_age(const void *x, const void *y)
{
	const struct kept *a = x, *b = y;

	if (a->t.tv_sec != b->t.tv_sec)
		return a->t.tv_sec < b->t.tv_sec ? -1 : 1;
	if (a->t.tv_nsec != b->t.tv_nsec)
		return a->t.tv_nsec < b->t.tv_nsec ? -1 : 1;
	return strcmp(a->name, b->name);
}

unsigned inputs_prune(const char *dir, unsigned keep)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct kept *files = NULL;
	size_t n = 0, a = 0, sl = strlen(INPUTS_SUFFIX);
	unsigned removed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		long pid = file_tmp_pid(e->d_name, "", ".inputs.tmp.");
		struct stat st;

		if (pid > 0) {
			/* a dead run's: never a live one's */
			if (file_pid_gone(pid) &&
			    unlinkat(dirfd(d), e->d_name, 0) == 0)
				removed++;
			continue;
		}
		if (len <= sl || e->d_name[0] == '.' ||
		    strcmp(e->d_name + len - sl, INPUTS_SUFFIX) != 0 ||
		    fstatat(dirfd(d), e->d_name, &st, 0) != 0)
			continue;
		if (n == a) {
			size_t na = a ? a * 2 : 16;
			struct kept *nf = mem_realloc(files, na * sizeof(*nf));

			if (!nf)
				break;	/* prune what we listed */
			files = nf;
			a = na;
		}
		files[n].name = mem_strdup(e->d_name);
		files[n].t = st.st_mtim;
		if (files[n].name)
			n++;
	}
	if (n > keep) {
		qsort(files, n, sizeof(*files), by_age);
		for (size_t i = 0; i < n - keep; i++)
			if (unlinkat(dirfd(d), files[i].name, 0) == 0)
				removed++;
	}
	for (size_t i = 0; i < n; i++)
		mem_free(files[i].name);
	mem_free(files);
	closedir(d);
	return removed;
}

/* ---- reading ---------------------------------------------------------- */

struct rsec {
	char *name;
	char **cols;
	size_t ncols;
};

struct inputs_reader {
	FILE *f;
	struct sbuf path;
	uint64_t pos, end;	/* records lie in [8, end) */
	char *buf;
	size_t alloc;
	struct rsec *secs;	/* by section number */
	size_t nsecs;
	struct value *vals;
	size_t avals;
};

void inputs_reader_free(struct inputs_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	for (size_t i = 0; i < r->nsecs; i++) {
		mem_free(r->secs[i].name);
		for (size_t k = 0; k < r->secs[i].ncols; k++)
			mem_free(r->secs[i].cols[k]);
		mem_free(r->secs[i].cols);
	}
	mem_free(r->secs);
	mem_free(r->buf);
	mem_free(r->vals);
	sbuf_release(&r->path);
	mem_free(r);
}

static int bad(struct inputs_reader *r, struct error *err, const char *what)
{
	return error_set(err, ERR_VERIFY, "the inputs file %s does not check: "
			 "%s; it cannot be replayed", r->path.buf, what);
}

int inputs_reader_open(const char *path, struct inputs_reader **out,
		       struct error *err)
{
	struct inputs_reader *r = mem_calloc(1, sizeof(*r));
	EVP_MD_CTX *md = NULL;
	unsigned char want[32], got[EVP_MAX_MD_SIZE], tail[40], magic[8];
	unsigned glen = 0;
	char chunk[65536];
	uint64_t left;
	struct stat st;
	int rc = -1;

	if (!r)
		return error_set(err, ERR_NOMEM, "out of memory");
	sbuf_init(&r->path, 8192);
	sbuf_addstr(&r->path, path);
	r->f = fopen(path, "rb");
	if (!r->f) {
		error_set(err, ERR_IO, "cannot read the inputs file %s: %s",
			  path, strerror(errno));
		goto out;
	}
	if (fstat(fileno(r->f), &st) != 0 || !S_ISREG(st.st_mode)) {
		error_set(err, ERR_IO, "cannot read the inputs file %s: not a "
			  "regular file", path);
		goto out;
	}
	if (st.st_size < 48) {
		bad(r, err, "it is truncated");
		goto out;
	}
	r->end = (uint64_t)st.st_size - 40;
	if (fread(magic, 1, 8, r->f) != 8 || memcmp(magic, INPUTS_MAGIC, 8)) {
		bad(r, err, "it is not an inputs file of this version "
		    "(magic " INPUTS_MAGIC ")");
		goto out;
	}
	if (fseeko(r->f, (off_t)r->end, SEEK_SET) != 0 ||
	    fread(tail, 1, 40, r->f) != 40 || memcmp(tail + 32, END, 8)) {
		bad(r, err, "its end marker is missing (a run that stopped "
		    "while writing it?)");
		goto out;
	}
	memcpy(want, tail, 32);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	rewind(r->f);
	for (left = r->end; left;) {
		size_t n = left < sizeof(chunk) ? (size_t)left : sizeof(chunk);

		if (fread(chunk, 1, n, r->f) != n) {
			error_set(err, ERR_IO, "cannot read the inputs file %s: "
				  "%s", path, strerror(errno ? errno : EIO));
			goto out;
		}
		EVP_DigestUpdate(md, chunk, n);
		left -= n;
	}
	if (EVP_DigestFinal_ex(md, got, &glen) != 1 || glen != 32 ||
	    memcmp(got, want, 32) != 0) {
		bad(r, err, "its SHA-256 differs from the one it was written "
		    "with (the file was changed or damaged)");
		goto out;
	}
	if (fseeko(r->f, 8, SEEK_SET) != 0) {
		error_set(err, ERR_IO, "cannot read the inputs file %s", path);
		goto out;
	}
	r->pos = 8;
	*out = r;
	r = NULL;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	inputs_reader_free(r);
	return rc;
}

/* A cursor over one record's payload. */
struct cur {
	const char *p;
	size_t n;
	int bad;
};

static uint32_t get_u32(struct cur *c)
{
	uint32_t v = 0;

	if (c->n < 4) {
		c->bad = 1;
		return 0;
	}
	memcpy(&v, c->p, 4);
	c->p += 4;
	c->n -= 4;
	return v;
}

static const char *get_bytes(struct cur *c, size_t n)
{
	const char *p = c->p;

	if (c->n < n) {
		c->bad = 1;
		return NULL;
	}
	c->p += n;
	c->n -= n;
	return p;
}

static char *get_strdup(struct cur *c)
{
	uint32_t n = get_u32(c);
	const char *p = c->bad ? NULL : get_bytes(c, n);
	char *s;

	if (!p)
		return NULL;
	s = mem_calloc((size_t)n + 1, 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static int read_section(struct inputs_reader *r, struct cur *c, unsigned sec,
			struct inputs_item *it, struct error *err)
{
	struct rsec s = { 0 };
	uint32_t n;

	if (sec < r->nsecs && r->secs[sec].name)
		return bad(r, err, "a section is declared twice");
	if (sec >= r->nsecs) {
		struct rsec *ns = mem_realloc(r->secs, (sec + 1) * sizeof(*ns));

		if (!ns)
			return error_set(err, ERR_NOMEM, "out of memory");
		memset(ns + r->nsecs, 0, (sec + 1 - r->nsecs) * sizeof(*ns));
		r->secs = ns;
		r->nsecs = sec + 1;
	}
	s.name = get_strdup(c);
	n = get_u32(c);
	if (c->bad || !s.name || n > c->n / 4) {
		mem_free(s.name);
		return bad(r, err, "a section header does not decode");
	}
	s.cols = mem_calloc(n ? n : 1, sizeof(*s.cols));
	if (!s.cols) {
		mem_free(s.name);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	r->secs[sec] = s;	/* freed with the reader from here on */
	for (uint32_t i = 0; i < n; i++) {
		r->secs[sec].cols[i] = get_strdup(c);
		if (!r->secs[sec].cols[i])
			return bad(r, err, "a column label does not decode");
		r->secs[sec].ncols = i + 1;
	}
	it->name = r->secs[sec].name;
	it->cols = (const char *const *)r->secs[sec].cols;
	it->ncols = n;
	return 1;
}

/* A row of section sec; its texts are copied, NUL-terminated, to q (the
 * space after the record in r->buf: the connector's contract is
 * NUL-terminated text). */
static int read_row(struct inputs_reader *r, struct cur *c, unsigned sec,
		    char *q, struct inputs_item *it, struct error *err)
{
	const struct rsec *s;

	if (sec >= r->nsecs || !r->secs[sec].name)
		return bad(r, err, "a row of an undeclared section");
	s = &r->secs[sec];
	if (s->ncols > r->avals) {
		struct value *nv = mem_realloc(r->vals, s->ncols * sizeof(*nv));

		if (!nv)
			return error_set(err, ERR_NOMEM, "out of memory");
		r->vals = nv;
		r->avals = s->ncols;
	}
	for (size_t i = 0; i < s->ncols; i++) {
		struct value *v = &r->vals[i];
		const char *tb = get_bytes(c, 2), *ib = get_bytes(c, 8), *p;
		uint32_t tl, al;

		if (!tb || !ib || (unsigned char)tb[0] > VAL_TIME)
			return bad(r, err, "a row does not decode");
		memset(v, 0, sizeof(*v));
		v->type = (enum val_type)(unsigned char)tb[0];
		v->dec_text = (unsigned char)tb[1];
		memcpy(&v->i, ib, 8);
		tl = get_u32(c);
		if (!c->bad && tl != NO_TEXT) {
			if (!(p = get_bytes(c, tl)))
				return bad(r, err, "a row does not decode");
			memcpy(q, p, tl);
			q[tl] = '\0';
			v->s = q;
			v->len = tl;
			q += tl + 1;
		}
		al = get_u32(c);
		if (c->bad)
			return bad(r, err, "a row does not decode");
		if (al) {
			if (!(p = get_bytes(c, al)))
				return bad(r, err, "a row does not decode");
			memcpy(q, p, al);
			q[al] = '\0';
			v->approx = q;
			q += al + 1;
		}
	}
	if (c->n)
		return bad(r, err, "a row has bytes left over");
	it->cols = (const char *const *)s->cols;
	it->ncols = s->ncols;
	it->vals = r->vals;
	return 1;
}

int inputs_reader_next(struct inputs_reader *r, struct inputs_item *it,
		       struct error *err)
{
	uint32_t n;
	uint16_t sec;
	struct cur c;

	memset(it, 0, sizeof(*it));
	if (r->pos == r->end)
		return 0;
	if (r->end - r->pos < 7 || fread(&n, 1, 4, r->f) != 4 || n < 3 ||
	    n > RECORD_MAX || n > r->end - r->pos - 4)
		return bad(r, err, "a record's length is out of range");
	/* room for the record and, per text, a NUL after it (the texts
	 * are terminated in a copy: 2 * n covers any number of them) */
	if ((size_t)n * 2 + 1 > r->alloc) {
		size_t na = (size_t)n * 2 + 1;
		char *nb = mem_realloc(r->buf, na);

		if (!nb)
			return error_set(err, ERR_NOMEM, "out of memory");
		r->buf = nb;
		r->alloc = na;
	}
	if (fread(r->buf, 1, n, r->f) != n)
		return error_set(err, ERR_IO, "cannot read the inputs file %s",
				 r->path.buf);
	r->pos += 4 + (uint64_t)n;
	it->tag = r->buf[0];
	memcpy(&sec, r->buf + 1, 2);
	it->sec = sec;
	c.p = r->buf + 3;
	c.n = n - 3;
	c.bad = 0;
	switch (it->tag) {
	case 'S':
	case 'R':
		return read_section(r, &c, sec, it, err);
	case 'W':
		return read_row(r, &c, sec, r->buf + n, it, err);
	case 'E': {
		const char *p = get_bytes(&c, 8);

		if (!p || c.n)
			return bad(r, err, "a section's end does not decode");
		memcpy(&it->rows, p, 8);
		return 1;
	}
	default:
		return bad(r, err, "a record of an unknown kind");
	}
}
