/*
 * incr.c - watermarks, state files, the changed-rows map and the last
 * published run (see incr.h for the file format and the contract).
 *
 * Invariants: a state file under its final name was fsync'ed before the
 * rename and ends in a valid trailer; a reader validates every length
 * before using it (the file is input, not a trusted spill); the changed
 * map holds each id at most once.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "incr.h"
#include "file.h"
#include "match.h"
#include "mem.h"
#include "tstamp.h"
#include "banned.h"

static const char MAGIC[8] = INCR_FORMAT;	/* no NUL: 8 bytes */
static const char END[8] = { 'R', 'E', 'C', 'O', 'N', 'E', 'N', 'D' };

/* Largest encoded entry we accept: six capped strings, an id and a
 * message with room to spare. */
#define INCR_ENTRY_CAP ((size_t)8 << 20)

/* The fixed part of a kept record. */
struct incr_rec_hdr {
	uint8_t status, doctype, pad0, pad1;
	uint32_t present;
	uint32_t xpresent, xtab, nx, pad2;	/* site-defined fields */
	int64_t amount;
	int64_t time;
	uint64_t rowno;
	uint32_t off[CS__COUNT];
	uint32_t len[CS__COUNT];
	uint32_t data_len;
	uint32_t kind;
};

/* ---- watermarks ------------------------------------------------------ */

void incr_wm_init(struct incr_wm *w)
{
	w->type = WM_NONE;
	w->i = 0;
	sbuf_init(&w->s, CANON_STR_CAP);
}

void incr_wm_release(struct incr_wm *w)
{
	sbuf_release(&w->s);
	w->type = WM_NONE;
}

int incr_wm_see(struct incr_wm *w, const struct value *v, struct error *err)
{
	int type;

	switch (v->type) {
	case VAL_NULL:
		return 0;
	case VAL_TIME:
		type = WM_TIME;
		break;
	case VAL_INT:
		type = WM_INT;
		break;
	default:
		type = WM_TEXT;
		break;
	}
	if (w->type != WM_NONE && w->type != type)
		return error_set(err, ERR_DATA,
				 "watermark column changed type between rows "
				 "or runs (%c, now %c)", w->type, type);
	if (type != WM_TEXT) {
		if (w->type == WM_NONE || v->i > w->i)
			w->i = v->i;
	} else {
		size_t n = w->s.len < v->len ? w->s.len : v->len;
		int c = w->type == WM_NONE ? -1 : memcmp(w->s.buf, v->s, n);
		const char *z = v->len ? memchr(v->s, '\0', v->len) : NULL;

		/* the watermark is published in T_runs and bound as text
		 * next run: both would cut it at a NUL */
		if (z)
			return error_set(err, ERR_DATA, "watermark value holds "
					 "a NUL byte (at position %zu); a text "
					 "watermark column must not",
					 (size_t)(z - v->s) + 1);
		if (c < 0 || (c == 0 && w->s.len < v->len)) {
			sbuf_reset(&w->s);
			if (sbuf_add(&w->s, v->s, v->len) < 0)
				return error_set(err, w->s.failed == SBUF_TOOLONG
							      ? ERR_DATA : ERR_NOMEM,
						 "watermark value too long (%zu bytes)",
						 v->len);
		}
	}
	w->type = type;
	return 0;
}

int incr_wm_text(const struct incr_wm *w, struct sbuf *out)
{
	struct sbuf tmp = SBUF_INIT(64);
	int rc = 0;

	switch (w->type) {
	case WM_TIME:
		/* tstamp_format gives YYYY-MM-DDTHH:MM:SSZ */
		if (tstamp_format(w->i, &tmp) < 0 || tmp.len != 20) {
			rc = -1;
			break;
		}
		tmp.buf[10] = ' ';
		rc = sbuf_add(out, tmp.buf, 19);
		break;
	case WM_INT:
		rc = sbuf_addf(out, "%lld", (long long)w->i);
		break;
	case WM_TEXT:
		rc = sbuf_add(out, w->s.buf, w->s.len);
		break;
	default:
		break;
	}
	sbuf_release(&tmp);
	return rc;
}

int incr_wm_parse(struct incr_wm *w, int type, const char *s, size_t n)
{
	sbuf_reset(&w->s);
	w->i = 0;
	switch (type) {
	case WM_NONE:
		w->type = WM_NONE;
		return 0;
	case WM_TIME:
		if (tstamp_parse(s, n, &w->i) < 0)
			return -1;
		break;
	case WM_INT: {
		int64_t v = 0;
		size_t i = 0;
		int neg = 0;

		if (n && s[0] == '-') {
			neg = 1;
			i = 1;
		}
		if (i == n || n > 20)
			return -1;
		for (; i < n; i++) {
			if (s[i] < '0' || s[i] > '9' ||
			    v > (INT64_MAX - (s[i] - '0')) / 10)
				return -1;
			v = v * 10 + (s[i] - '0');
		}
		w->i = neg ? -v : v;
		break;
	}
	case WM_TEXT:
		if (sbuf_add(&w->s, s, n) < 0)
			return -1;
		break;
	default:
		return -1;
	}
	w->type = type;
	return 0;
}

/* ---- headers ----------------------------------------------------------- */

void incr_header_init(struct incr_header *h)
{
	sbuf_init(&h->run_id, 256);
	sbuf_init(&h->fingerprint, 128);
	sbuf_init(&h->watermarks, SBUF_CAP_DEFAULT);
	incr_wm_init(&h->wm);
	h->runs = 0;
	h->entries = 0;
}

void incr_header_release(struct incr_header *h)
{
	sbuf_release(&h->run_id);
	sbuf_release(&h->fingerprint);
	sbuf_release(&h->watermarks);
	incr_wm_release(&h->wm);
}

static void fp_field(EVP_MD_CTX *ctx, const char *name, const char *v)
{
	char len[32];

	EVP_DigestUpdate(ctx, name, strlen(name));
	if (!v) {
		EVP_DigestUpdate(ctx, ":-\n", 3);
		return;
	}
	snprintf(len, sizeof(len), ":%zu:", strlen(v));
	EVP_DigestUpdate(ctx, len, strlen(len));
	EVP_DigestUpdate(ctx, v, strlen(v));
	EVP_DigestUpdate(ctx, "\n", 1);
}

static void fp_params(EVP_MD_CTX *ctx, const struct job_param *p, size_t n)
{
	static const char *const kinds[] = { "as_of", "window_start",
					     "literal", "watermark" };

	for (size_t i = 0; i < n; i++) {
		fp_field(ctx, "param", kinds[p[i].kind]);
		fp_field(ctx, "value", p[i].literal);
	}
}

int incr_source_fingerprint(const struct job *job,
			    const struct job_source *src,
			    const char *rules_hash, struct sbuf *out,
			    struct error *err)
{
	static const char hx[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return error_set(err, ERR_NOMEM, "out of memory (SHA-256)");
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	fp_field(ctx, "state", "1");
	fp_field(ctx, "name", src->name);
	fp_field(ctx, "role", canon_kind_names[src->role]);
	fp_field(ctx, "query", src->query);
	fp_params(ctx, src->params, src->nparams);
	fp_field(ctx, "incremental", src->inc_query);
	fp_params(ctx, src->inc_params, src->ninc_params);
	fp_field(ctx, "translate", src->translate);
	fp_field(ctx, "id-column", src->id_column);
	fp_field(ctx, "watermark", src->watermark);
	fp_field(ctx, "scope-column", src->scope_column);
	for (size_t i = 0; i < job->nfields; i++) {
		const struct job_field *f = &job->fields[i];
		char roles[8];

		fp_field(ctx, "field", f->name);
		fp_field(ctx, "type", canon_ftype_names[f->type]);
		snprintf(roles, sizeof(roles), "%u", f->roles);
		fp_field(ctx, "roles", roles);
	}
	fp_field(ctx, "rules", rules_hash);
	{
		/* a row the rule budget stopped is a rule error that a
		 * larger budget may not give */
		char lim[64];

		snprintf(lim, sizeof(lim), "%zu/%llu", job->rule_memory,
			 (unsigned long long)job->rule_instructions);
		fp_field(ctx, "rule-limits", lim);
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return error_set(err, ERR_INTERNAL, "SHA-256 failed");
	sbuf_reset(out);
	for (unsigned i = 0; i < mdlen; i++) {
		sbuf_addch(out, hx[md[i] >> 4]);
		sbuf_addch(out, hx[md[i] & 15]);
	}
	return out->failed ? error_set(err, ERR_NOMEM, "out of memory") : 0;
}

/* ---- encoding ---------------------------------------------------------- */

static const uint8_t zero_fp[32];

static int encode(struct sbuf *sb, enum incr_kind kind, const char *id,
		  size_t id_len, const uint8_t *fp, const struct canon *rec,
		  const char *msg, size_t msg_len)
{
	uint32_t n = 0, k = (uint32_t)kind, il = (uint32_t)id_len;
	size_t start = sb->len, total;

	if (id_len > CANON_STR_CAP * 16 || msg_len > INCR_ENTRY_CAP / 2)
		return -1;
	sbuf_add(sb, &n, 4);
	sbuf_add(sb, &k, 4);
	sbuf_add(sb, &il, 4);
	sbuf_add(sb, id, id_len);
	sbuf_add(sb, fp ? fp : zero_fp, 32);
	if (kind == INCR_KEPT) {
		struct incr_rec_hdr h;

		memset(&h, 0, sizeof(h));
		h.status = rec->status;
		h.doctype = rec->doctype;
		h.present = rec->present;
		h.xpresent = rec->xpresent;
		h.xtab = rec->xtab;
		h.nx = rec->nx;
		h.amount = rec->amount;
		h.time = rec->time;
		h.rowno = rec->rowno;
		memcpy(h.off, rec->off, sizeof(h.off));
		memcpy(h.len, rec->len, sizeof(h.len));
		h.data_len = (uint32_t)rec->data.len;
		h.kind = rec->kind;
		sbuf_add(sb, &h, sizeof(h));
		sbuf_add(sb, rec->data.buf, rec->data.len);
	} else if (kind == INCR_FAILED || kind == INCR_TRAILER) {
		uint32_t ml = (uint32_t)msg_len;

		sbuf_add(sb, &ml, 4);
		sbuf_add(sb, msg, msg_len);
	}
	if (sb->failed)
		return -1;
	total = sb->len - start - 4;
	if (total > INCR_ENTRY_CAP)
		return -1;
	n = (uint32_t)total;
	memcpy(sb->buf + start, &n, 4);
	return 0;
}

static uint32_t rd32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

int incr_decode(const char *p, size_t n, struct incr_entry *e)
{
	uint32_t total, kind, il;
	size_t pos = 12;

	memset(e, 0, sizeof(*e));
	if (n < 12 || (total = rd32(p)) != n - 4)
		return -1;
	kind = rd32(p + 4);
	il = rd32(p + 8);
	if (kind < INCR_KEPT || kind > INCR_TRAILER || il > n - pos ||
	    n - pos - il < 32)
		return -1;
	e->kind = (enum incr_kind)kind;
	e->id = p + pos;
	e->id_len = il;
	pos += il;
	memcpy(e->fp, p + pos, 32);
	pos += 32;
	e->raw = p;
	e->raw_len = n;
	if (kind == INCR_KEPT) {
		struct incr_rec_hdr h;
		struct canon *c = &e->rec;

		if (n - pos < sizeof(h))
			return -1;
		memcpy(&h, p + pos, sizeof(h));
		pos += sizeof(h);
		if (h.data_len != n - pos || h.kind >= CANON__KINDS)
			return -1;
		for (int f = 0; f < CS__COUNT; f++)
			if (h.off[f] > h.data_len ||
			    h.len[f] > h.data_len - h.off[f])
				return -1;
		c->kind = (uint8_t)h.kind;
		c->xpresent = h.xpresent;
		c->xtab = h.xtab;
		c->nx = h.nx;
		c->status = h.status;
		c->doctype = h.doctype;
		c->present = h.present;
		c->amount = h.amount;
		c->time = h.time;
		c->rowno = h.rowno;
		memcpy(c->fp, e->fp, sizeof(c->fp));
		memcpy(c->off, h.off, sizeof(c->off));
		memcpy(c->len, h.len, sizeof(c->len));
		/* a view: alloc 0 means nothing to free */
		c->data.buf = (char *)(uintptr_t)(p + pos);
		c->data.len = h.data_len;
		c->data.alloc = 0;
		c->data.cap = h.data_len;
		return canon_check(c);
	}
	if (kind == INCR_FAILED || kind == INCR_TRAILER) {
		uint32_t ml;

		if (n - pos < 4)
			return -1;
		ml = rd32(p + pos);
		pos += 4;
		if (ml != n - pos)
			return -1;
		e->msg = p + pos;
		e->msg_len = ml;
		return 0;
	}
	return pos == n ? 0 : -1;
}

/* ---- trailer ---------------------------------------------------------- */

/* "key len:value\n" lines: lengths make any byte safe in a value. */
static void tr_field(struct sbuf *sb, const char *key, const char *v, size_t n)
{
	sbuf_addf(sb, "%s %zu:", key, n);
	sbuf_add(sb, v, n);
	sbuf_addch(sb, '\n');
}

static int tr_encode(const struct incr_header *h, struct sbuf *out)
{
	struct sbuf wm = SBUF_INIT(CANON_STR_CAP + 64), num = SBUF_INIT(64);
	char t = (char)(h->wm.type ? h->wm.type : '-');

	incr_wm_text(&h->wm, &wm);
	tr_field(out, "run_id", h->run_id.buf, h->run_id.len);
	tr_field(out, "fingerprint", h->fingerprint.buf, h->fingerprint.len);
	tr_field(out, "watermarks", h->watermarks.buf, h->watermarks.len);
	tr_field(out, "wm_type", &t, 1);
	tr_field(out, "wm", wm.buf, wm.len);
	sbuf_addf(&num, "%llu", (unsigned long long)h->runs);
	tr_field(out, "runs", num.buf, num.len);
	sbuf_reset(&num);
	sbuf_addf(&num, "%llu", (unsigned long long)h->entries);
	tr_field(out, "entries", num.buf, num.len);
	sbuf_release(&wm);
	sbuf_release(&num);
	return out->failed || wm.failed ? -1 : 0;
}

static int tr_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (!n || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int tr_decode(const char *p, size_t n, struct incr_header *h)
{
	size_t pos = 0;
	int type = -1, have = 0;
	const char *wm = NULL;
	size_t wmlen = 0;

	while (pos < n) {
		const char *key = p + pos, *sp = memchr(key, ' ', n - pos), *colon;
		size_t klen, vlen = 0;

		if (!sp)
			return -1;
		klen = (size_t)(sp - key);
		colon = memchr(sp, ':', n - (size_t)(sp - p));
		if (!colon || colon - sp > 21)
			return -1;
		for (const char *d = sp + 1; d < colon; d++) {
			if (*d < '0' || *d > '9')
				return -1;
			vlen = vlen * 10 + (size_t)(*d - '0');
		}
		pos = (size_t)(colon + 1 - p);
		if (vlen > n - pos || n - pos - vlen < 1 || p[pos + vlen] != '\n')
			return -1;
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
		if (KEY("run_id"))
			have |= 1, sbuf_add(&h->run_id, p + pos, vlen);
		else if (KEY("fingerprint"))
			have |= 2, sbuf_add(&h->fingerprint, p + pos, vlen);
		else if (KEY("watermarks"))
			have |= 4, sbuf_add(&h->watermarks, p + pos, vlen);
		else if (KEY("wm_type") && vlen == 1)
			have |= 8, type = p[pos] == '-' ? WM_NONE : p[pos];
		else if (KEY("wm"))
			have |= 16, wm = p + pos, wmlen = vlen;
		else if (KEY("runs"))
			have |= tr_u64(p + pos, vlen, &h->runs) == 0 ? 32 : 0;
		else if (KEY("entries"))
			have |= tr_u64(p + pos, vlen, &h->entries) == 0 ? 64 : 0;
#undef KEY
		pos += vlen + 1;
	}
	if (have != 127 || h->run_id.failed || h->fingerprint.failed ||
	    h->watermarks.failed)
		return -1;
	return incr_wm_parse(&h->wm, type, wm, wmlen);
}

/* ---- writer ------------------------------------------------------------ */

struct incr_writer {
	FILE *f;
	struct sbuf tmp, final, scratch;
	uint64_t count;
	uint64_t pos;
	int made;		/* tmp was created (by mkostemp) */
	int committed;
};

static int path_of(struct sbuf *sb, const char *dir, const char *source,
		   const char *suffix)
{
	sbuf_reset(sb);
	return sbuf_addf(sb, "%s/%s.state%s", dir, source, suffix);
}

int incr_writer_open(const char *dir, const char *source,
		     struct incr_writer **out, struct error *err)
{
	struct incr_writer *w = mem_calloc(1, sizeof(*w));
	int fd;

	if (!w)
		return error_set(err, ERR_NOMEM, "out of memory");
	sbuf_init(&w->tmp, 8192);
	sbuf_init(&w->final, 8192);
	sbuf_init(&w->scratch, INCR_ENTRY_CAP + 64);
	/* SOURCE.state.tmp.PID.XXXXXX: two runs writing one state
	 * directory (two stores, or two processes of one job) never write
	 * the same file; the pid lets incr_sweep_dead() find a killed
	 * run's file */
	if (path_of(&w->tmp, dir, source, ".tmp.") < 0 ||
	    sbuf_addf(&w->tmp, "%ld.XXXXXX", (long)getpid()) < 0 ||
	    path_of(&w->final, dir, source, "") < 0) {
		incr_writer_free(w);
		return error_set(err, ERR_NOMEM, "state file name too long");
	}
	/* (mkostemp is a GNU extension; POSIX mkstemp, then close-on-exec
	 * so that a hook the run starts never inherits the file) */
	fd = mkstemp(w->tmp.buf);
	if (fd >= 0) {
		w->made = 1;
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	w->f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!w->f) {
		error_set(err, ERR_IO, "cannot create state file %s: %s",
			  w->tmp.buf, strerror(errno));
		if (fd >= 0 && !w->f)
			close(fd);
		incr_writer_free(w);
		return -1;
	}
	if (fwrite(MAGIC, 1, 8, w->f) != 8) {
		error_set(err, ERR_IO, "cannot write state file %s: %s",
			  w->tmp.buf, strerror(errno));
		incr_writer_free(w);
		return -1;
	}
	w->pos = 8;
	*out = w;
	return 0;
}

static int put(struct incr_writer *w, const char *p, size_t n,
	       struct error *err)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		return error_set(err, ERR_IO, "cannot write state file %s: %s",
				 w->tmp.buf, strerror(errno));
	w->pos += n;
	return 0;
}

int incr_writer_add(struct incr_writer *w, enum incr_kind kind,
		    const char *id, size_t id_len, const uint8_t *fp,
		    const struct canon *rec,
		    const char *msg, size_t msg_len, struct error *err)
{
	sbuf_reset(&w->scratch);
	if (encode(&w->scratch, kind, id, id_len, fp, rec, msg, msg_len) < 0)
		return error_set(err, w->scratch.failed == SBUF_NOMEM
					      ? ERR_NOMEM : ERR_DATA,
				 "state entry of row '%.*s' too large",
				 (int)(id_len > 200 ? 200 : id_len), id);
	if (put(w, w->scratch.buf, w->scratch.len, err) < 0)
		return -1;
	w->count++;
	return 0;
}

int incr_writer_add_raw(struct incr_writer *w, const char *raw, size_t n,
			struct error *err)
{
	if (put(w, raw, n, err) < 0)
		return -1;
	w->count++;
	return 0;
}

int incr_writer_finish(struct incr_writer *w, const struct incr_header *h,
		       struct error *err)
{
	struct sbuf tr = SBUF_INIT(SBUF_CAP_DEFAULT);
	struct incr_header hh = *h;
	uint64_t at = w->pos;
	int rc = -1;

	hh.entries = w->count;
	if (tr_encode(&hh, &tr) < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	sbuf_reset(&w->scratch);
	if (encode(&w->scratch, INCR_TRAILER, "", 0, NULL, NULL, tr.buf,
		   tr.len) < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (put(w, w->scratch.buf, w->scratch.len, err) < 0 ||
	    put(w, (const char *)&at, 8, err) < 0 || put(w, END, 8, err) < 0)
		goto out;
	if (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0) {
		error_set(err, ERR_IO, "cannot write state file %s: %s",
			  w->tmp.buf, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	sbuf_release(&tr);
	return rc;
}

int incr_writer_commit(struct incr_writer *w, struct error *err)
{
	struct sbuf dir = SBUF_INIT(8192);
	char *slash;
	int fd;

	if (fclose(w->f) != 0) {
		w->f = NULL;
		return error_set(err, ERR_IO, "cannot write state file %s: %s",
				 w->tmp.buf, strerror(errno));
	}
	w->f = NULL;
	if (rename(w->tmp.buf, w->final.buf) != 0)
		return error_set(err, ERR_IO, "cannot rename %s to %s: %s",
				 w->tmp.buf, w->final.buf, strerror(errno));
	w->committed = 1;
	/* make the rename itself durable (best effort) */
	sbuf_addstr(&dir, w->final.buf);
	slash = dir.failed ? NULL : strrchr(dir.buf, '/');
	if (slash) {
		*slash = '\0';
		fd = open(dir.buf, O_RDONLY);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	sbuf_release(&dir);
	return 0;
}

void incr_writer_free(struct incr_writer *w)
{
	if (!w)
		return;
	if (w->f)
		fclose(w->f);
	if (w->made && !w->committed)
		unlink(w->tmp.buf);
	sbuf_release(&w->tmp);
	sbuf_release(&w->final);
	sbuf_release(&w->scratch);
	mem_free(w);
}

unsigned incr_sweep_dead(const char *dir, const char *source)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned removed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		long pid = file_tmp_pid(e->d_name, source, ".state.tmp.");

		if (!file_pid_gone(pid))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

/* ---- reader ------------------------------------------------------------ */

struct incr_reader {
	FILE *f;
	struct sbuf path;
	char *buf;
	size_t alloc;
	uint64_t end;	/* offset of the trailer */
	uint64_t pos;
};

void incr_reader_free(struct incr_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	sbuf_release(&r->path);
	mem_free(r->buf);
	mem_free(r);
}

/* Read the entry at r->pos into r->buf. 1, or 0 if it does not fit
 * before limit, -1 ERR_NOMEM/ERR_IO. */
static int read_entry(struct incr_reader *r, uint64_t limit, size_t *n,
		      struct error *err)
{
	char lb[4];
	uint32_t len;
	size_t need;

	if (limit - r->pos < 4 || fread(lb, 1, 4, r->f) != 4)
		return 0;
	len = rd32(lb);
	if (len > INCR_ENTRY_CAP || len > limit - r->pos - 4)
		return 0;
	need = (size_t)len + 4;
	if (need > r->alloc) {
		char *nb = mem_realloc(r->buf, need);

		if (!nb)
			return error_set(err, ERR_NOMEM, "out of memory");
		r->buf = nb;
		r->alloc = need;
	}
	memcpy(r->buf, lb, 4);
	if (len && fread(r->buf + 4, 1, len, r->f) != len)
		return 0;
	r->pos += need;
	*n = need;
	return 1;
}

int incr_reader_open(const char *dir, const char *source,
		     struct incr_header *h, struct incr_reader **out,
		     struct sbuf *why, struct error *err)
{
	struct incr_reader *r = mem_calloc(1, sizeof(*r));
	struct incr_entry e;
	char tail[16], magic[8];
	long size;
	uint64_t at;
	size_t n;
	int rc;

	*out = NULL;
	if (!r)
		return error_set(err, ERR_NOMEM, "out of memory");
	sbuf_init(&r->path, 8192);
	if (path_of(&r->path, dir, source, "") < 0) {
		incr_reader_free(r);
		return error_set(err, ERR_NOMEM, "state file name too long");
	}
	r->f = fopen(r->path.buf, "rb");
	if (!r->f) {
		sbuf_addf(why, "no state file %s (%s)", r->path.buf,
			  strerror(errno));
		incr_reader_free(r);
		return 1;
	}
	if (fseek(r->f, 0, SEEK_END) != 0 || (size = ftell(r->f)) < 32 ||
	    fseek(r->f, size - 16, SEEK_SET) != 0 ||
	    fread(tail, 1, 16, r->f) != 16 || memcmp(tail + 8, END, 8) != 0 ||
	    fseek(r->f, 0, SEEK_SET) != 0 || fread(magic, 1, 8, r->f) != 8 ||
	    memcmp(magic, MAGIC, 8) != 0)
		goto invalid;
	memcpy(&at, tail, 8);
	if (at < 8 || at > (uint64_t)size - 16 ||
	    fseek(r->f, (long)at, SEEK_SET) != 0)
		goto invalid;
	r->pos = at;
	rc = read_entry(r, (uint64_t)size - 16, &n, err);
	if (rc < 0) {
		incr_reader_free(r);
		return -1;
	}
	if (rc == 0 || r->pos != (uint64_t)size - 16 ||
	    incr_decode(r->buf, n, &e) < 0 || e.kind != INCR_TRAILER ||
	    tr_decode(e.msg, e.msg_len, h) < 0)
		goto invalid;
	r->end = at;
	if (incr_reader_rewind(r, err) < 0) {
		incr_reader_free(r);
		return -1;
	}
	*out = r;
	return 0;
invalid:
	sbuf_addf(why, "state file %s is damaged or of another version",
		  r->path.buf);
	incr_reader_free(r);
	return 1;
}

int incr_reader_rewind(struct incr_reader *r, struct error *err)
{
	if (fseek(r->f, 8, SEEK_SET) != 0)
		return error_set(err, ERR_IO, "cannot read state file %s: %s",
				 r->path.buf, strerror(errno));
	r->pos = 8;
	return 0;
}

int incr_reader_next(struct incr_reader *r, struct incr_entry *e,
		     struct error *err)
{
	size_t n;
	int rc;

	if (r->pos == r->end)
		return 0;
	rc = read_entry(r, r->end, &n, err);
	if (rc < 0)
		return -1;
	if (rc == 0 || incr_decode(r->buf, n, e) < 0 ||
	    e->kind == INCR_TRAILER || e->kind == INCR_REMOVED)
		return error_set(err, ERR_IO, "state file %s is damaged near "
				 "byte %llu (remove it: the next run reads "
				 "in full)", r->path.buf,
				 (unsigned long long)r->pos);
	return 1;
}

/* ---- changed rows ------------------------------------------------------ */

struct change {
	char *raw;		/* owned: the encoded entry */
	size_t raw_len;
	unsigned seen;
};

/* ---- the ids of a <keys> query ----------------------------------------- */

struct incr_ids {
	char *bytes;		/* the ids back to back */
	size_t nbytes, abytes;
	uint64_t *off;		/* id i: bytes[off[i] .. off[i + 1]) */
	uint8_t *marked;
	size_t n, alloc;
	uint32_t *slots;	/* index + 1; 0 empty; at most half full */
	size_t mask;
};

int incr_ids_new(struct incr_ids **out, struct error *err)
{
	struct incr_ids *s = mem_calloc(1, sizeof(*s));

	if (!s)
		return error_set(err, ERR_NOMEM, "out of memory");
	*out = s;
	return 0;
}

void incr_ids_free(struct incr_ids *s)
{
	if (!s)
		return;
	mem_free(s->bytes);
	mem_free(s->off);
	mem_free(s->marked);
	mem_free(s->slots);
	mem_free(s);
}

const char *incr_ids_get(const struct incr_ids *s, size_t i, size_t *n)
{
	*n = (size_t)(s->off[i + 1] - s->off[i]);
	return s->bytes + s->off[i];
}

static size_t ids_slot(const struct incr_ids *s, const char *id, size_t n,
		       long *found)
{
	size_t h = (size_t)match_hash(id, n) & s->mask;

	*found = -1;
	for (;; h = (h + 1) & s->mask) {
		uint32_t e = s->slots[h];
		size_t len;
		const char *p;

		if (!e)
			return h;
		p = incr_ids_get(s, e - 1, &len);
		if (len == n && memcmp(p, id, n) == 0) {
			*found = (long)(e - 1);
			return h;
		}
	}
}

long incr_ids_find(const struct incr_ids *s, const char *id, size_t n)
{
	long found;

	if (!s->slots)
		return -1;
	(void)ids_slot(s, id, n, &found);
	return found;
}

static int ids_rehash(struct incr_ids *s, size_t cap)
{
	uint32_t *slots = mem_calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	mem_free(s->slots);
	s->slots = slots;
	s->mask = cap - 1;
	for (size_t i = 0; i < s->n; i++) {
		size_t n;
		const char *p = incr_ids_get(s, i, &n);
		long found;

		s->slots[ids_slot(s, p, n, &found)] = (uint32_t)(i + 1);
	}
	return 0;
}

int incr_ids_add(struct incr_ids *s, const char *id, size_t n,
		 struct error *err)
{
	long found;
	size_t slot, need;

	if (s->n >= UINT32_MAX - 1)
		return error_set(err, ERR_DATA, "more than 4e9 keys");
	if (!s->slots || (s->n + 1) * 2 > s->mask + 1) {
		if (ids_rehash(s, s->slots ? (s->mask + 1) * 2 : 1024) < 0)
			goto nomem;
	}
	slot = ids_slot(s, id, n, &found);
	if (found >= 0)
		return 1;
	if (s->n + 2 > s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 1024, b1, b2;
		void *p1, *p2;

		if (mem_mul(na, sizeof(*s->off), &b1) < 0 ||
		    mem_mul(na, sizeof(*s->marked), &b2) < 0 ||
		    !(p1 = mem_realloc(s->off, b1)))
			goto nomem;
		s->off = p1;
		if (!(p2 = mem_realloc(s->marked, b2)))
			goto nomem;
		s->marked = p2;
		s->alloc = na;
	}
	if (mem_add(s->nbytes, n, &need) < 0 ||
	    mem_reserve(&s->bytes, &s->abytes, need, 65536) < 0)
		goto nomem;
	if (n)
		memcpy(s->bytes + s->nbytes, id, n);
	if (s->n == 0)
		s->off[0] = 0;
	s->nbytes += n;
	s->off[s->n + 1] = s->nbytes;
	s->marked[s->n] = 0;
	s->slots[slot] = (uint32_t)(s->n + 1);
	s->n++;
	return 0;
nomem:
	return error_set(err, ERR_NOMEM, "out of memory (%zu keys)", s->n);
}

size_t incr_ids_count(const struct incr_ids *s)
{
	return s->n;
}

void incr_ids_mark(struct incr_ids *s, size_t i)
{
	s->marked[i] = 1;
}

int incr_ids_marked(const struct incr_ids *s, size_t i)
{
	return s->marked[i];
}

struct incr_changes {
	struct change *v;
	size_t n, alloc;
	uint32_t *slots;	/* index + 1; 0 empty */
	size_t mask;
	struct sbuf scratch;
};

int incr_changes_new(struct incr_changes **out, struct error *err)
{
	struct incr_changes *c = mem_calloc(1, sizeof(*c));

	if (!c)
		return error_set(err, ERR_NOMEM, "out of memory");
	sbuf_init(&c->scratch, INCR_ENTRY_CAP + 64);
	*out = c;
	return 0;
}

void incr_changes_free(struct incr_changes *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		mem_free(c->v[i].raw);
	mem_free(c->v);
	mem_free(c->slots);
	sbuf_release(&c->scratch);
	mem_free(c);
}

static const char *change_id(const struct change *ch, size_t *n)
{
	*n = rd32(ch->raw + 8);
	return ch->raw + 12;
}

static long lookup(const struct incr_changes *c, const char *id, size_t n,
		   size_t *slot)
{
	size_t i;

	if (!c->slots)
		return -1;
	i = (size_t)match_hash(id, n) & c->mask;
	for (;; i = (i + 1) & c->mask) {
		uint32_t s = c->slots[i];
		size_t kn;
		const char *k;

		if (!s) {
			if (slot)
				*slot = i;
			return -1;
		}
		k = change_id(&c->v[s - 1], &kn);
		if (kn == n && memcmp(k, id, n) == 0)
			return (long)(s - 1);
	}
}

static int rehash(struct incr_changes *c, size_t cap, struct error *err)
{
	uint32_t *ns = mem_calloc(cap, sizeof(*ns));

	if (!ns)
		return error_set(err, ERR_NOMEM, "out of memory (changed rows)");
	mem_free(c->slots);
	c->slots = ns;
	c->mask = cap - 1;
	for (size_t i = 0; i < c->n; i++) {
		size_t kn, s;
		const char *k = change_id(&c->v[i], &kn);

		lookup(c, k, kn, &s);
		c->slots[s] = (uint32_t)(i + 1);
	}
	return 0;
}

int incr_changes_put(struct incr_changes *c, enum incr_kind kind,
		     const char *id, size_t id_len, const uint8_t *fp,
		     const struct canon *rec,
		     const char *msg, size_t msg_len, struct error *err)
{
	size_t slot;
	struct change *ch;

	if (lookup(c, id, id_len, NULL) >= 0)
		return 1;
	if (c->n >= UINT32_MAX - 1)
		return error_set(err, ERR_NOMEM, "too many changed rows");
	if (c->n == c->alloc) {
		size_t na = c->alloc ? c->alloc * 2 : 1024, bytes;
		void *p;

		if (mem_mul(na, sizeof(*c->v), &bytes) < 0 ||
		    !(p = mem_realloc(c->v, bytes)))
			return error_set(err, ERR_NOMEM,
					 "out of memory (changed rows)");
		c->v = p;
		c->alloc = na;
	}
	if (!c->slots || (c->n + 1) * 2 > c->mask + 1)
		if (rehash(c, c->slots ? (c->mask + 1) * 2 : 2048, err) < 0)
			return -1;
	sbuf_reset(&c->scratch);
	if (encode(&c->scratch, kind, id, id_len, fp, rec, msg, msg_len) < 0)
		return error_set(err, c->scratch.failed == SBUF_NOMEM
					      ? ERR_NOMEM : ERR_DATA,
				 "changed row '%.*s' too large",
				 (int)(id_len > 200 ? 200 : id_len), id);
	ch = &c->v[c->n];
	ch->raw = mem_alloc(c->scratch.len);
	if (!ch->raw)
		return error_set(err, ERR_NOMEM, "out of memory (changed rows)");
	memcpy(ch->raw, c->scratch.buf, c->scratch.len);
	ch->raw_len = c->scratch.len;
	ch->seen = 0;
	lookup(c, id, id_len, &slot);
	c->slots[slot] = (uint32_t)(c->n + 1);
	c->n++;
	return 0;
}

long incr_changes_find(const struct incr_changes *c, const char *id,
		       size_t id_len)
{
	return lookup(c, id, id_len, NULL);
}

size_t incr_changes_count(const struct incr_changes *c)
{
	return c->n;
}

void incr_changes_get(const struct incr_changes *c, size_t i,
		      struct incr_entry *e)
{
	/* encoded by us a moment ago: decoding cannot fail */
	if (incr_decode(c->v[i].raw, c->v[i].raw_len, e) < 0)
		abort();
}

unsigned incr_changes_seen(const struct incr_changes *c, size_t i)
{
	return c->v[i].seen;
}

void incr_changes_mark(struct incr_changes *c, size_t i)
{
	c->v[i].seen++;
}

void incr_changes_clear_marks(struct incr_changes *c)
{
	for (size_t i = 0; i < c->n; i++)
		c->v[i].seen = 0;
}

/* ---- directories ------------------------------------------------------- */

int incr_default_dir(const struct job *job, struct sbuf *out)
{
	return sbuf_addf(out, "%s/../out/state/%s", job->dir, job->name);
}

int incr_mkdirs(const char *path, struct error *err)
{
	struct sbuf p = SBUF_INIT(8192);
	int rc = 0;

	if (sbuf_addstr(&p, path) < 0) {
		sbuf_release(&p);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	for (size_t i = 1; i <= p.len && rc == 0; i++) {
		if (i < p.len && p.buf[i] != '/')
			continue;
		p.buf[i] = '\0';
		if (mkdir(p.buf, 0777) != 0 && errno != EEXIST)
			rc = error_set(err, ERR_IO, "cannot create state "
				       "directory %s: %s", p.buf,
				       strerror(errno));
		if (i < p.len)
			p.buf[i] = '/';
	}
	sbuf_release(&p);
	return rc;
}
