/*
 * verify.c - `recon verify`, `recon digest` and `recon history` over a
 * versioned store (see verify.h for what is checked and the memory it
 * takes, docs/LEDGER.md "Verifying" for the user's view).
 *
 * The rows come from the store's readers (engine/storeread.c, the only
 * SQL on the store's tables outside store.c): values that are not text
 * arrive cast to text, so that a tampered value that is not a number is
 * a finding about its row, not a read error that stops the check.
 *
 * Invariants: the stream of T is in (rec_kind, rec_key, version) order,
 * so a key's versions are adjacent and only the previous row is kept;
 * the runs array is in T_runs seq order and by_id indexes it by run_id.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"
#include "dialect.h"
#include "mem.h"
#include "notes.h"
#include "snapshot.h"
#include "store.h"
#include "text.h"
#include "money.h"
#include "../connectors/connector.h"
#include "banned.h"

#define HASH_BIN 32

struct vrun {
	char *run_id;
	char *seq_text;
	int64_t seq;		/* -1 if unreadable */
	char *records_text;
	char *digest;		/* as stored; "" for NULL */
	char *prev_digest;	/* as stored; NULL for NULL */
	char run_hash[LEDGER_HEX];	/* of the runs row as stored */
	uint64_t n;		/* versions seen */
	unsigned char (*h)[HASH_BIN];	/* their recomputed content hashes */
	size_t alloc;
	char chain[LEDGER_HEX];	/* recomputed chain digest */
};

struct vctx {
	const struct verify_opts *o;
	struct verify_result *res;
	struct conn *c;
	struct vrun *runs;
	size_t nruns, runs_alloc;
	size_t *by_id;		/* indexes into runs, sorted by run_id */
	size_t nby_id;		/* entries of by_id (distinct run ids) */
	struct sbuf line, what;
	struct store_schema sch;
	/* T_current, streamed in the same (binary) key order as T and
	 * merged with it: vrc 1 while vrow is a row not yet compared, 0 at
	 * its end or when the view is not checked row by row */
	struct cursor *vcur;
	const struct row *vrow;
	int vrc;
	struct sbuf vname;	/* "T_current" */
};

/* ---- small helpers ---------------------------------------------------- */

/* A positive decimal integer without sign or leading zeros; -1 if not. */
static int64_t parse_pos(const char *s)
{
	int64_t v = 0;

	if (!s || !*s || *s == '0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int is_hex64(const char *s)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < LEDGER_HEX - 1; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

static void hex_to_bin(const char *hex, unsigned char *out)
{
	for (int i = 0; i < HASH_BIN; i++) {
		int hi = hex[2 * i], lo = hex[2 * i + 1];

		hi = hi <= '9' ? hi - '0' : hi - 'a' + 10;
		lo = lo <= '9' ? lo - '0' : lo - 'a' + 10;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
}

/* Append s quoted for a one-line message: control bytes and the quote
 * itself escaped, so a tampered key cannot forge further output lines. */
static void add_quoted(struct sbuf *sb, const char *s)
{
	sbuf_addch(sb, '\'');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f || ch == '\'' || ch == '\\')
			sbuf_addf(sb, "\\x%02x", ch);
		else
			sbuf_addch(sb, ch);
	}
	sbuf_addch(sb, '\'');
}

static const char *val_text(const struct value *v)
{
	return v->type == VAL_NULL ? NULL : v->s;
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = mem_strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

static int nomem(struct error *err)
{
	return error_set(err, ERR_NOMEM, "out of memory (verify)");
}

/* A read failure is the store's: ERR_STORE, naming DSN and table. */
static int store_fail(const struct verify_opts *o, struct error *err)
{
	if (err->code == ERR_SOURCE || err->code == ERR_DATA)
		err->code = ERR_STORE;
	return error_context(err, "store '%s' table '%s'", o->dsn, o->table);
}

/* Report one finding. kind/key NULL: a run finding; seq < 0: none. */
static void found(struct vctx *v, const char *kind, const char *key,
		  int64_t version, const char *run_id, int64_t seq,
		  const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void found(struct vctx *v, const char *kind, const char *key,
		  int64_t version, const char *run_id, int64_t seq,
		  const char *fmt, ...)
{
	struct verify_finding f;
	va_list ap;

	sbuf_reset(&v->what);
	va_start(ap, fmt);
	sbuf_vaddf(&v->what, fmt, ap);
	va_end(ap);
	sbuf_reset(&v->line);
	if (key) {
		sbuf_addf(&v->line, "%s ", kind ? kind : "(null kind)");
		add_quoted(&v->line, key);
		if (version > 0)
			sbuf_addf(&v->line, " version %lld", (long long)version);
		if (run_id) {
			sbuf_addstr(&v->line, " (run ");
			sbuf_addstr(&v->line, run_id);
			sbuf_addch(&v->line, ')');
		}
	} else if (run_id) {
		sbuf_addstr(&v->line, "run ");
		sbuf_addstr(&v->line, run_id);
		if (seq > 0)
			sbuf_addf(&v->line, " (seq %lld)", (long long)seq);
	} else {
		sbuf_addstr(&v->line, "store");
	}
	sbuf_addstr(&v->line, ": ");
	sbuf_add(&v->line, v->what.buf, v->what.len);
	memset(&f, 0, sizeof(f));
	f.kind = key ? kind : NULL;
	f.key = key;
	f.version = version > 0 ? version : 0;
	f.run_id = run_id;
	f.what = v->what.buf;
	f.line = v->line.buf;
	v->res->findings++;
	if (v->o->finding)
		v->o->finding(v->o->ctx, &f);
}

/* ---- T_runs ------------------------------------------------------------ */

static int by_id_cmp_r(const void *a, const void *b, void *ctx)
{
	const struct vrun *runs = ctx;

	return strcmp(runs[*(const size_t *)a].run_id,
		      runs[*(const size_t *)b].run_id);
}

/* Sort by_id by run id: a bottom-up merge sort, because qsort has no
 * context argument (qsort_r is not in C11 or POSIX). */
static int sort_by_id(struct vctx *v, struct error *err)
{
	size_t n = v->nruns, *tmp;

	tmp = mem_calloc(n ? n : 1, sizeof(*tmp));
	if (!tmp)
		return nomem(err);
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				tmp[k++] = by_id_cmp_r(&v->by_id[i], &v->by_id[j],
						       v->runs) <= 0 ?
					   v->by_id[i++] : v->by_id[j++];
			while (i < mid)
				tmp[k++] = v->by_id[i++];
			while (j < hi)
				tmp[k++] = v->by_id[j++];
		}
		memcpy(v->by_id, tmp, n * sizeof(*tmp));
	}
	mem_free(tmp);
	return 0;
}

static struct vrun *run_by_id(struct vctx *v, const char *id)
{
	size_t lo = 0, hi = v->nby_id;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v->runs[v->by_id[mid]].run_id, id);

		if (c == 0)
			return &v->runs[v->by_id[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int load_runs(struct vctx *v, struct error *err)
{
	const struct verify_opts *o = v->o;
	struct cursor *cur = NULL;
	const struct row *row;
	int rc, oom = 0;
	int64_t want_seq = 1;
	const char *prev_digest = "";

	if (store_read_runs(v->c, o->table, &cur, err) < 0)
		return err->code == ERR_NOMEM ? -1 : store_fail(o, err);
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		struct vrun *r;
		struct ledger_run lr;

		if (row->ncols != LR__COUNT + 1) {
			rc = error_set(err, ERR_INTERNAL, "verify: %zu columns "
				       "in %s_runs", row->ncols, o->table);
			break;
		}

		if (v->nruns == v->runs_alloc) {
			size_t na = v->runs_alloc ? 2 * v->runs_alloc : 64, bytes;
			void *p;

			if (mem_mul(na, sizeof(*v->runs), &bytes) < 0 ||
			    !(p = mem_realloc(v->runs, bytes))) {
				oom = 1;
				break;
			}
			v->runs = p;
			v->runs_alloc = na;
		}
		r = &v->runs[v->nruns];
		memset(r, 0, sizeof(*r));
		v->nruns++;
		for (int f = 0; f < LR__COUNT; f++)
			lr.f[f] = val_text(&row->vals[f]);
		r->run_id = mem_strdup(lr.f[LR_RUN_ID] ? lr.f[LR_RUN_ID] : "");
		r->seq_text = dup_or_null(lr.f[LR_SEQ], &oom);
		r->records_text = dup_or_null(lr.f[LR_RECORDS], &oom);
		r->digest = mem_strdup(val_text(&row->vals[LR__COUNT]) ?
				       val_text(&row->vals[LR__COUNT]) : "");
		r->prev_digest = dup_or_null(lr.f[LR_PREV_DIGEST], &oom);
		if (!r->run_id || !r->digest || oom) {
			oom = 1;
			break;
		}
		r->seq = parse_pos(r->seq_text);
		if (!lr.f[LR_SCHEMA_HASH] ||
		    strcmp(lr.f[LR_SCHEMA_HASH], v->sch.hash) != 0)
			found(v, NULL, NULL, 0, r->run_id, r->seq,
			      "schema_hash does not match %s_schema (the "
			      "declared columns were changed)", o->table);
		/* the row as stored, NULLs and all: any edit of it changes
		 * the run hash and so the digest */
		if (ledger_run_hash(&lr, r->run_hash, err) < 0) {
			rc = -1;
			break;
		}
	}
	cursor_close(cur);
	if (oom)
		return nomem(err);
	if (rc < 0)
		return err->code == ERR_NOMEM ? -1 : store_fail(o, err);
	v->res->runs = v->nruns;

	/* by_id: sorted run ids; a duplicate id is a finding (and the
	 * later row is left out of the index). */
	v->by_id = mem_calloc(v->nruns ? v->nruns : 1, sizeof(*v->by_id));
	if (!v->by_id)
		return nomem(err);
	for (size_t i = 0; i < v->nruns; i++)
		v->by_id[i] = i;
	if (sort_by_id(v, err) < 0)
		return -1;
	for (size_t i = 0; i < v->nruns; i++) {
		if (v->nby_id &&
		    strcmp(v->runs[v->by_id[v->nby_id - 1]].run_id,
			   v->runs[v->by_id[i]].run_id) == 0) {
			const struct vrun *r = &v->runs[v->by_id[i]];

			found(v, NULL, NULL, 0, r->run_id, r->seq,
			      "the run appears more than once in %s_runs",
			      o->table);
			continue;
		}
		v->by_id[v->nby_id++] = v->by_id[i];
	}

	/* seq 1..n, and the digest chain as stored. */
	for (size_t i = 0; i < v->nruns; i++) {
		const struct vrun *r = &v->runs[i];

		if (r->seq < 0) {
			found(v, NULL, NULL, 0, r->run_id, -1,
			      "seq '%s' is not a positive integer",
			      r->seq_text ? r->seq_text : "NULL");
		} else if (r->seq < want_seq) {
			found(v, NULL, NULL, 0, r->run_id, r->seq,
			      "seq %lld appears more than once",
			      (long long)r->seq);
		} else if (r->seq > want_seq) {
			if (r->seq == want_seq + 1)
				found(v, NULL, NULL, 0, r->run_id, r->seq,
				      "the run with seq %lld is missing from "
				      "%s_runs", (long long)want_seq, o->table);
			else
				found(v, NULL, NULL, 0, r->run_id, r->seq,
				      "the runs with seq %lld..%lld are missing "
				      "from %s_runs", (long long)want_seq,
				      (long long)r->seq - 1, o->table);
		}
		if (r->seq >= want_seq)
			want_seq = r->seq + 1;
		if (parse_pos(r->records_text) < 0 &&
		    !(r->records_text && strcmp(r->records_text, "0") == 0))
			found(v, NULL, NULL, 0, r->run_id, r->seq,
			      "records '%s' is not a count",
			      r->records_text ? r->records_text : "NULL");
		if (!is_hex64(r->digest))
			found(v, NULL, NULL, 0, r->run_id, r->seq,
			      "digest '%s' is not a SHA-256 hex digest",
			      r->digest);
		/* prev_digest: '' (or NULL) for the first run. */
		if (strcmp(r->prev_digest ? r->prev_digest : "", prev_digest) != 0)
			found(v, NULL, NULL, 0, r->run_id, r->seq,
			      "prev_digest does not equal the digest of the "
			      "previous run (%s)",
			      i ? v->runs[i - 1].run_id : "none: first run");
		prev_digest = r->digest;
	}
	return 0;
}

static int run_add_hash(struct vrun *r, const char *hex)
{
	if (r->n == r->alloc) {
		size_t na = r->alloc ? r->alloc * 2 : 256, bytes;
		void *p;

		if (mem_mul(na, sizeof(*r->h), &bytes) < 0 ||
		    !(p = mem_realloc(r->h, bytes)))
			return -1;
		r->h = p;
		r->alloc = na;
	}
	hex_to_bin(hex, r->h[r->n]);
	r->n++;
	return 0;
}

/* ---- T: the versions --------------------------------------------------- */

/* The previous row of the stream, owned copies. */
struct prev {
	int have;
	struct sbuf kind, key, content_hash, value_hash, run_id;
	int64_t version;	/* -1 if unreadable */
	int has_hash;		/* content_hash was not NULL */
	int has_vh;		/* value_hash was not NULL */
	int has_run;		/* run_id was not NULL */
	const struct vrun *run;	/* NULL if not in T_runs */
	char ch[LEDGER_HEX];	/* its recomputed content hash ("": none) */
};

/* A row's fields into rec (borrowed from the row). */
static void row_rec(const struct row *row, const struct ledger_schema *sch,
		    struct ledger_rec *rec)
{
	rec->schema = sch;
	for (int f = 0; f < LF__COUNT; f++)
		rec->f[f] = val_text(&row->vals[f]);
	for (size_t i = 0; i < sch->n; i++)
		rec->c[i] = val_text(&row->vals[LF__COUNT + i]);
}

/* ---- T_current: the rows readers see ---------------------------------- */

/* A row's kind and key, as check_row names them. */
static void row_kind_key(const struct row *row, const char **kind,
			 const char **key)
{
	*kind = val_text(&row->vals[LF_REC_KIND]);
	*key = val_text(&row->vals[LF_REC_KEY]);
	if (!*kind)
		*kind = "(null kind)";
	if (!*key)
		*key = "";
}

/* (kind, key) order of both streams: byte order, as the ORDER BY ...
 * COLLATE of scan_versions sorts them. */
static int kind_key_cmp(const char *k1, const char *key1, const char *k2,
			const char *key2)
{
	int c = strcmp(k1, k2);

	return c ? c : strcmp(key1, key2);
}

static void view_next(struct vctx *v, struct error *err)
{
	v->vrc = cursor_next(v->vcur, &v->vrow, err);
	if (v->vrc > 0 && v->vrow->ncols != LF__COUNT + v->sch.s.n + 2)
		v->vrc = error_set(err, ERR_INTERNAL, "verify: %zu columns in "
				   "%s", v->vrow->ncols, v->vname.buf);
	if (v->vrc < 0)
		v->vrc = 0;	/* err is set: the scan stops */
}

/* A row of T_current before (or, kind NULL, after) every remaining key of
 * T: no version of T is its key's latest. */
static void view_extra(struct vctx *v, const char *kind, const char *key,
		       struct error *err)
{
	while (v->vrc > 0) {
		const char *vk, *vkey;
		const char *ver = val_text(&v->vrow->vals[LF_VERSION]);

		row_kind_key(v->vrow, &vk, &vkey);
		if (kind && kind_key_cmp(vk, vkey, kind, key) >= 0)
			break;
		found(v, vk, vkey, parse_pos(ver),
		      val_text(&v->vrow->vals[LF_RUN_ID]), -1,
		      "in %s, but %s has no version of this key",
		      v->vname.buf, v->o->table);
		view_next(v, err);
	}
}

/*
 * The stream of T has passed key p (its last row, the latest version):
 * T_current must show exactly that row. Rows of the view that sort
 * before it are extra. Compared: the version, every hashed column
 * (through the content hash recomputed from the view's row, typed values
 * normalised as ledger.c does) and the two stored hashes.
 */
static void view_key_done(struct vctx *v, const struct prev *p,
			  struct error *err)
{
	const char *vk, *vkey, *run_id = p->has_run ? p->run_id.buf : NULL;
	struct ledger_rec rec;
	char ch[LEDGER_HEX];
	struct error e;
	int64_t ver;
	const char *svh, *sch;
	size_t nf = LF__COUNT + v->sch.s.n;

	if (!v->vcur || !p->have)
		return;
	view_extra(v, p->kind.buf, p->key.buf, err);
	if (v->vrc <= 0) {
		found(v, p->kind.buf, p->key.buf, p->version, run_id, -1,
		      "the latest version is missing from %s", v->vname.buf);
		return;
	}
	row_kind_key(v->vrow, &vk, &vkey);
	if (kind_key_cmp(vk, vkey, p->kind.buf, p->key.buf) != 0) {
		found(v, p->kind.buf, p->key.buf, p->version, run_id, -1,
		      "the latest version is missing from %s", v->vname.buf);
		return;
	}
	ver = parse_pos(val_text(&v->vrow->vals[LF_VERSION]));
	svh = val_text(&v->vrow->vals[nf]);
	sch = val_text(&v->vrow->vals[nf + 1]);
	row_rec(v->vrow, &v->sch.s, &rec);
	error_init(&e);
	if (ver != p->version) {
		const char *vt = val_text(&v->vrow->vals[LF_VERSION]);

		found(v, p->kind.buf, p->key.buf, p->version, run_id, -1,
		      "%s shows version %s, not the latest version %lld",
		      v->vname.buf, vt ? vt : "NULL", (long long)p->version);
	} else if (ledger_content_hash(&rec, ch, &e) < 0) {
		if (e.code == ERR_NOMEM)
			nomem(err);
		else
			found(v, p->kind.buf, p->key.buf, p->version, run_id, -1,
			      "%s shows this version with a value that is not "
			      "its type: %s", v->vname.buf, e.msg.buf);
	} else if (!p->ch[0] || strcmp(ch, p->ch) != 0 ||
		   (svh == NULL) != !p->has_vh ||
		   (svh && strcmp(svh, p->value_hash.buf) != 0) ||
		   (sch == NULL) != !p->has_hash ||
		   (sch && strcmp(sch, p->content_hash.buf) != 0)) {
		found(v, p->kind.buf, p->key.buf, p->version, run_id, -1,
		      "%s shows this version with other values than %s holds",
		      v->vname.buf, v->o->table);
	}
	error_release(&e);
	/* the engine's view shows a key twice when T has its latest
	 * version twice (a finding of the scan already); say so, rather
	 * than call the second row a key T does not have */
	for (view_next(v, err); v->vrc > 0; view_next(v, err)) {
		row_kind_key(v->vrow, &vk, &vkey);
		if (kind_key_cmp(vk, vkey, p->kind.buf, p->key.buf) != 0)
			break;
		found(v, p->kind.buf, p->key.buf, p->version, run_id, -1,
		      "%s shows this key more than once", v->vname.buf);
	}
}

static void check_row(struct vctx *v, const struct row *row, struct prev *p,
		      struct error *err)
{
	struct ledger_rec rec;
	const char *kind, *key, *run_id, *stored_v, *stored_c, *prev_hash;
	char vh[LEDGER_HEX], ch[LEDGER_HEX];
	int64_t version;
	int same, have_ch = 0;
	struct vrun *run = NULL;
	struct error e;
	size_t nf = LF__COUNT + v->sch.s.n;

	row_rec(row, &v->sch.s, &rec);
	kind = rec.f[LF_REC_KIND];
	key = rec.f[LF_REC_KEY];
	run_id = rec.f[LF_RUN_ID];
	prev_hash = rec.f[LF_PREV_HASH];
	stored_v = val_text(&row->vals[nf]);
	stored_c = val_text(&row->vals[nf + 1]);
	version = parse_pos(rec.f[LF_VERSION]);
	if (!kind)
		kind = "(null kind)";
	if (!key)
		key = "";
	v->res->versions++;

	if (version < 0)
		found(v, kind, key, 0, run_id, -1,
		      "version '%s' is not a positive integer",
		      rec.f[LF_VERSION] ? rec.f[LF_VERSION] : "NULL");

	/* The hashes. */
	error_init(&e);
	if (ledger_value_hash(&rec, vh, &e) < 0) {
		if (e.code == ERR_NOMEM)
			nomem(err);
		else
			found(v, kind, key, version, run_id, -1, "%s",
			      e.msg.buf);
	} else if (!stored_v || strcmp(vh, stored_v) != 0) {
		found(v, kind, key, version, run_id, -1,
		      "value_hash does not match its fields");
	}
	error_clear(&e);
	if (ledger_content_hash(&rec, ch, &e) == 0) {
		have_ch = 1;
		if (!stored_c || strcmp(ch, stored_c) != 0)
			found(v, kind, key, version, run_id, -1,
			      "content_hash does not match its fields");
	} else if (e.code == ERR_NOMEM) {
		nomem(err);
	}
	error_release(&e);

	/* The run. */
	if (!run_id) {
		found(v, kind, key, version, NULL, -1, "run_id is NULL");
	} else if (!(run = run_by_id(v, run_id))) {
		found(v, kind, key, version, run_id, -1,
		      "the run is not in %s_runs", v->o->table);
	} else if (have_ch && run_add_hash(run, ch) < 0) {
		nomem(err);
	}

	/* The key's chain. */
	same = p->have && strcmp(p->kind.buf, kind) == 0 &&
	       strcmp(p->key.buf, key) == 0;
	if (!same) {
		view_key_done(v, p, err);	/* p was its key's latest */
		v->res->keys++;
		if (version == 2)
			found(v, kind, key, version, run_id, -1,
			      "version 1 is missing");
		else if (version > 2)
			found(v, kind, key, version, run_id, -1,
			      "versions 1..%lld are missing",
			      (long long)version - 1);
		if (version == 1 && prev_hash)
			found(v, kind, key, version, run_id, -1,
			      "version 1 has a prev_hash (it must be NULL)");
	} else if (version > 0 && p->version > 0) {
		if (version == p->version)
			found(v, kind, key, version, run_id, -1,
			      "duplicate version %lld", (long long)version);
		else if (version > p->version + 1)
			found(v, kind, key, version, run_id, -1,
			      "version%s %lld..%lld missing before it",
			      version == p->version + 2 ? "" : "s",
			      (long long)p->version + 1, (long long)version - 1);
		else if (!prev_hash || !p->has_hash ||
			 strcmp(prev_hash, p->content_hash.buf) != 0)
			found(v, kind, key, version, run_id, -1,
			      "prev_hash is not the content_hash of version "
			      "%lld", (long long)p->version);
		if (run && p->run && run->seq > 0 && p->run->seq > 0 &&
		    run->seq <= p->run->seq)
			found(v, kind, key, version, run_id, -1,
			      "out of order: written by run seq %lld, not after "
			      "version %lld's run %s (seq %lld)",
			      (long long)run->seq, (long long)p->version,
			      p->run->run_id, (long long)p->run->seq);
	}

	/* Remember this row. */
	if (!same) {
		sbuf_reset(&p->kind);
		sbuf_addstr(&p->kind, kind);
		sbuf_reset(&p->key);
		sbuf_addstr(&p->key, key);
	}
	sbuf_reset(&p->content_hash);
	p->has_hash = stored_c != NULL;
	if (stored_c)
		sbuf_addstr(&p->content_hash, stored_c);
	sbuf_reset(&p->value_hash);
	p->has_vh = stored_v != NULL;
	if (stored_v)
		sbuf_addstr(&p->value_hash, stored_v);
	sbuf_reset(&p->run_id);
	p->has_run = run_id != NULL;
	if (run_id)
		sbuf_addstr(&p->run_id, run_id);
	memcpy(p->ch, have_ch ? ch : "", have_ch ? LEDGER_HEX : 1);
	p->version = version;
	p->run = run;
	p->have = 1;
	if (p->kind.failed || p->key.failed || p->content_hash.failed ||
	    p->value_hash.failed || p->run_id.failed)
		nomem(err);
}

/*
 * T_current: its definition (a finding if it is not the engine's view),
 * then a cursor on its rows in the order of T's stream, merged with it
 * by view_key_done. A forged view or table without T's columns (its
 * definition already reported) is not read row by row; the engine's own
 * view that cannot be read is a store error.
 */
static int open_view(struct vctx *v, struct error *err)
{
	const char *t = v->o->table;
	struct sbuf why = SBUF_INIT(SBUF_CAP_DEFAULT);
	int def = store_view_check(v->c, t, &why, err);

	if (def >= 1)
		found(v, NULL, NULL, 0, NULL, -1, "%s", why.buf);
	sbuf_release(&why);
	if (def < 0)
		return store_fail(v->o, err);
	if (def == 2)
		return 0;	/* nothing to read */
	sbuf_reset(&v->vname);
	sbuf_addf(&v->vname, "%s_current", t);
	if (v->vname.failed)
		return nomem(err);
	if (def == 1) {
		/* a forged object: read its rows only if it has every column
		 * the query names (a failing query would end the snapshot on
		 * PostgreSQL) */
		const char *cols[LF__COUNT + LEDGER_MAX_COLS + 2];
		size_t n = 0;
		int has;

		for (int f = 0; f < LF__COUNT; f++)
			cols[n++] = ledger_field_names[f];
		for (size_t i = 0; i < v->sch.s.n; i++)
			cols[n++] = v->sch.s.col[i].name;
		cols[n++] = "value_hash";
		cols[n++] = "content_hash";
		has = store_has_columns(v->c, v->vname.buf, cols, n, err);
		if (has < 0)
			return err->code == ERR_NOMEM ? -1 : store_fail(v->o, err);
		if (!has)
			return 0;
	}
	if (store_read_versions(v->c, t, &v->sch.s, 1, &v->vcur, err) < 0) {
		v->vcur = NULL;
		return err->code == ERR_NOMEM ? -1 : store_fail(v->o, err);
	}
	view_next(v, err);
	return err->code == ERR_OK ? 0 : -1;
}

/* 0, 1 if verification cannot go on past a finding, -1 on error. */
static int scan_versions(struct vctx *v, struct error *err)
{
	const struct verify_opts *o = v->o;
	struct cursor *cur = NULL;
	const struct row *row;
	struct prev p;
	int rc;

	if (store_schema_read(v->c, o->table, &v->sch, err) < 0) {
		if (err->code != ERR_VERIFY)
			return store_fail(o, err);
		/* a malformed T_schema is a finding; nothing else can be
		 * read without it */
		found(v, NULL, NULL, 0, NULL, -1, "%s", err->msg.buf);
		error_clear(err);
		return 1;
	}
	memset(&p, 0, sizeof(p));
	sbuf_init(&p.kind, SBUF_CAP_DEFAULT);
	sbuf_init(&p.key, SBUF_CAP_DEFAULT);
	sbuf_init(&p.content_hash, 1024);
	sbuf_init(&p.value_hash, 1024);
	sbuf_init(&p.run_id, SBUF_CAP_DEFAULT);
	if (store_read_versions(v->c, o->table, &v->sch.s, 0, &cur, err) < 0) {
		rc = err->code == ERR_NOMEM ? -1 : store_fail(o, err);
		goto out;
	}
	/* T_runs is read while this statement is open, after its first
	 * fetch: see open_snapshot for why that is one snapshot. */
	rc = cursor_next(cur, &row, err);
	if (rc >= 0 && (load_runs(v, err) < 0 || open_view(v, err) < 0)) {
		cursor_close(cur);
		rc = -1;
		goto out;
	}
	for (; rc > 0; rc = cursor_next(cur, &row, err)) {
		if (row->ncols != LF__COUNT + v->sch.s.n + 2) {
			rc = error_set(err, ERR_INTERNAL, "verify: %zu columns",
				       row->ncols);
			break;
		}
		check_row(v, row, &p, err);
		if (err->code != ERR_OK) {
			rc = -1;
			break;
		}
	}
	if (rc == 0) {
		/* the last key, and what the view has after it */
		view_key_done(v, &p, err);
		view_extra(v, NULL, NULL, err);
		if (err->code != ERR_OK)
			rc = -1;
	}
	cursor_close(v->vcur);
	v->vcur = NULL;
	cursor_close(cur);
	if (rc < 0)
		rc = err->code == ERR_NOMEM ? -1 : store_fail(o, err);
out:
	sbuf_release(&p.kind);
	sbuf_release(&p.key);
	sbuf_release(&p.content_hash);
	sbuf_release(&p.value_hash);
	sbuf_release(&p.run_id);
	return rc < 0 ? -1 : 0;
}

/* ---- run digests --------------------------------------------------------- */

static int run_digest(const struct vrun *r, const char *prev, char *out,
		      struct error *err)
{
	struct ledger_digest *d = ledger_digest_new(prev, err);

	if (!d)
		return -1;
	ledger_digest_set_run(d, r->run_hash);
	for (uint64_t i = 0; i < r->n; i++) {
		if (ledger_digest_add_bin(d, r->h[i]) < 0) {
			ledger_digest_free(d);
			return nomem(err);
		}
	}
	ledger_digest_finish(d, out);
	if (!out[0])
		return error_set(err, ERR_INTERNAL, "run digest: SHA-256 failed");
	return 0;
}

static int check_digests(struct vctx *v, struct error *err)
{
	const char *prev_stored = "", *prev_chain = "";
	char d[LEDGER_HEX];

	for (size_t i = 0; i < v->nruns; i++) {
		struct vrun *r = &v->runs[i];
		int64_t records = parse_pos(r->records_text);

		if (r->records_text && strcmp(r->records_text, "0") == 0)
			records = 0;
		/* As stored: this run's digest from its runs row and its
		 * versions, chained to the previous run's stored digest (so
		 * one tampered run is named once, not with every run after
		 * it). */
		if (run_digest(r, prev_stored, d, err) < 0)
			return -1;
		if (strcmp(d, r->digest) != 0)
			found(v, NULL, NULL, 0, r->run_id, r->seq,
			      "digest does not recompute from its %llu "
			      "versions and its %s_runs row",
			      (unsigned long long)r->n, v->o->table);
		if (records >= 0 && (uint64_t)records != r->n)
			found(v, NULL, NULL, 0, r->run_id, r->seq,
			      "records says %lld versions, the table holds %llu",
			      (long long)records, (unsigned long long)r->n);
		/* Recomputed from nothing but the versions and the runs
		 * rows: what a digest file is compared with. */
		if (run_digest(r, prev_chain, r->chain, err) < 0)
			return -1;
		prev_stored = r->digest;
		prev_chain = r->chain;
		mem_free(r->h);
		r->h = NULL;
	}
	memcpy(v->res->head, prev_chain, strlen(prev_chain) + 1);
	return 0;
}

/* ---- digest files ---------------------------------------------------------- */

/*
 *   recon-digest 1
 *   job NAME
 *   table TABLE
 *   seq N
 *   digest HEX
 *   run RUN_ID
 *   chain SEQ HEX RUN_ID        (one per run, seq 1..N)
 *
 * '#' lines are comments. The last chain line repeats seq/digest/run.
 */
static int check_digest_file(struct vctx *v, struct error *err)
{
	const struct verify_opts *o = v->o;
	const char *p = o->digest, *end = o->digest + o->digest_len;
	int lineno = 0, magic = 0, first_diff = 1;
	int64_t want = 1, nlater = 0;
	struct sbuf l = SBUF_INIT(1 << 16);
	const struct vrun *first_bad = NULL;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *sp, *sp2;

		lineno++;
		sbuf_reset(&l);
		sbuf_add(&l, p, n);
		p += n + (nl ? 1 : 0);
		if (l.failed) {
			sbuf_release(&l);
			return error_set(err, ERR_USAGE,
					 "digest file line %d: too long", lineno);
		}
		if (l.len && l.buf[l.len - 1] == '\r')
			sbuf_setlen(&l, l.len - 1);
		if (!l.len || l.buf[0] == '#')
			continue;
		if (strcmp(l.buf, VERIFY_DIGEST_FORMAT) == 0) {
			magic = 1;
			continue;
		}
		if (!magic)
			break;
		if (strncmp(l.buf, "table ", 6) == 0 &&
		    strcmp(l.buf + 6, o->table) != 0) {
			error_set(err, ERR_USAGE, "the digest file is for table "
				  "'%s', the job's store table is '%s'",
				  l.buf + 6, o->table);
			goto bad;
		}
		if (strncmp(l.buf, "job ", 4) == 0 && o->job &&
		    strcmp(l.buf + 4, o->job) != 0) {
			error_set(err, ERR_USAGE, "the digest file is for job "
				  "'%s', not '%s'", l.buf + 4, o->job);
			goto bad;
		}
		if (strncmp(l.buf, "chain ", 6) != 0)
			continue;
		/* chain SEQ HEX RUN_ID */
		sp = strchr(l.buf + 6, ' ');
		sp2 = sp ? strchr(sp + 1, ' ') : NULL;
		if (!sp || !sp2) {
			error_set(err, ERR_USAGE, "digest file line %d: want "
				  "'chain SEQ DIGEST RUN_ID'", lineno);
			goto bad;
		}
		*sp = *sp2 = '\0';
		if (parse_pos(l.buf + 6) != want || !is_hex64(sp + 1)) {
			error_set(err, ERR_USAGE, "digest file line %d: want "
				  "seq %lld and a 64-digit hex digest", lineno,
				  (long long)want);
			goto bad;
		}
		{
			const struct vrun *r = NULL;
			const char *fid = sp2 + 1, *fdig = sp + 1;

			for (size_t i = 0; i < v->nruns; i++)
				if (v->runs[i].seq == want) {
					r = &v->runs[i];
					break;
				}
			v->res->digest_runs++;
			if (!r) {
				found(v, NULL, NULL, 0, fid, want,
				      "in the digest file but not in %s_runs",
				      o->table);
			} else if (strcmp(r->run_id, fid) != 0) {
				found(v, NULL, NULL, 0, fid, want,
				      "in the digest file, but seq %lld is run "
				      "%s in the store", (long long)want,
				      r->run_id);
			} else if (strcmp(r->chain, fdig) != 0) {
				if (first_diff)
					first_bad = r;
				else
					nlater++;
				first_diff = 0;
			}
		}
		want++;
	}
	sbuf_release(&l);
	if (!magic)
		return error_set(err, ERR_USAGE, "not a recon digest file "
				 "(no '" VERIFY_DIGEST_FORMAT "' line)");
	if (want == 1)
		return error_set(err, ERR_USAGE, "the digest file has no "
				 "chain lines");
	if (first_bad)
		found(v, NULL, NULL, 0, first_bad->run_id, first_bad->seq,
		      "digest differs from the exported digest file: the "
		      "store's versions or runs row of this run are not the "
		      "ones it published%s",
		      nlater ? " (and every later run's digest differs "
			       "with it)" : "");
	return 0;
bad:
	sbuf_release(&l);
	return -1;
}

static int export_digest(struct vctx *v, struct error *err)
{
	const struct verify_opts *o = v->o;
	const struct vrun *r = run_by_id(v, o->export_run);
	struct sbuf *out = o->export_out;

	if (!r || r->seq < 1)
		return error_set(err, ERR_USAGE, "no run '%s' in %s_runs",
				 o->export_run, o->table);
	sbuf_addf(out, "# recon digest: keep this file where the store's "
		  "owners cannot change it;\n# check the store against it "
		  "with: recon verify JOB --digest FILE\n" VERIFY_DIGEST_FORMAT
		  "\n");
	sbuf_addf(out, "job %s\ntable %s\nseq %lld\ndigest %s\nrun %s\n",
		  o->job ? o->job : "", o->table, (long long)r->seq, r->chain,
		  r->run_id);
	for (size_t i = 0; i < v->nruns && v->runs[i].seq <= r->seq; i++)
		sbuf_addf(out, "chain %lld %s %s\n", (long long)v->runs[i].seq,
			  v->runs[i].chain, v->runs[i].run_id);
	return out->failed ? nomem(err) : 0;
}

/* ---- T_notes (notes.h) ---------------------------------------------------- */

/* A note's finding: "note seq N: what" (seq 0: "notes: what"). */
static void note_found(void *ctx, int64_t seq, const char *what)
{
	struct vctx *v = ctx;
	struct verify_finding f;

	sbuf_reset(&v->line);
	if (seq > 0)
		sbuf_addf(&v->line, "note seq %lld: %s", (long long)seq, what);
	else
		sbuf_addf(&v->line, "notes: %s", what);
	memset(&f, 0, sizeof(f));
	f.what = what;
	f.line = v->line.buf;
	v->res->findings++;
	if (v->o->finding)
		v->o->finding(v->o->ctx, &f);
}

static int check_notes(struct vctx *v, struct error *err)
{
	if (notes_verify(v->c, v->o->table, note_found, v, &v->res->notes,
			 err) < 0)
		return err->code == ERR_NOMEM ? -1 : store_fail(v->o, err);
	return 0;
}

/* ---- T_report (snapshot.h) ------------------------------------------------- */

/* A kept report's finding: "report of run ID: what". */
static void report_found(void *ctx, const char *run_id, const char *what)
{
	struct vctx *v = ctx;
	struct verify_finding f;

	sbuf_reset(&v->line);
	sbuf_addf(&v->line, "report of run %s: %s", run_id ? run_id : "?",
		  what);
	memset(&f, 0, sizeof(f));
	f.what = what;
	f.line = v->line.buf;
	v->res->findings++;
	if (v->o->finding)
		v->o->finding(v->o->ctx, &f);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_reports(struct vctx *v, struct error *err)
{
	const char **ids = mem_calloc(v->nruns ? v->nruns : 1, sizeof(*ids));
	int rc;

	if (!ids)
		return nomem(err);
	for (size_t i = 0; i < v->nruns; i++)
		ids[i] = v->runs[i].run_id;
	if (v->nruns > 1)
		qsort(ids, v->nruns, sizeof(*ids), str_cmp);
	rc = snapshot_verify(v->c, v->o->table, ids, v->nruns, report_found,
			     v, &v->res->reports, &v->res->report_lines, err);
	mem_free(ids);
	if (rc < 0)
		return err->code == ERR_NOMEM ? -1 : store_fail(v->o, err);
	return 0;
}

/* ---- the driver ------------------------------------------------------------ */

static void vctx_release(struct vctx *v)
{
	for (size_t i = 0; i < v->nruns; i++) {
		struct vrun *r = &v->runs[i];

		mem_free(r->run_id);
		mem_free(r->seq_text);
		mem_free(r->records_text);
		mem_free(r->digest);
		mem_free(r->prev_digest);
		mem_free(r->h);
	}
	cursor_close(v->vcur);
	sbuf_release(&v->vname);
	mem_free(v->runs);
	mem_free(v->by_id);
	store_schema_release(&v->sch);
	sbuf_release(&v->line);
	sbuf_release(&v->what);
}

/*
 * Open a read-only snapshot of the store; *in_tx is set when a
 * transaction was begun.
 *
 * PostgreSQL, MariaDB (and other DBMS): a transaction begun with the
 * dialect's snapshot statement (REPEATABLE READ, READ ONLY; SQL Server:
 * SNAPSHOT), so that T_runs and T come from one snapshot (READ COMMITTED
 * gives each statement its own).
 *
 * SQLite: no transaction, because sqliteodbc buffers whole result sets
 * inside one (1 GB instead of 130 MB for 1M versions, whether begun
 * through ODBC or with an SQL BEGIN). Instead T_runs is read while the
 * statement streaming T is open: SQLite keeps one read snapshot for a
 * connection while any of its statements is active, so both see the same
 * database (a run committing meanwhile waits for the busy timeout, or is
 * not seen at all under WAL).
 */
static int open_snapshot(const char *dsn, const char *table, const char *job,
			 int view_ref, struct conn **c, int *in_tx,
			 struct error *err)
{
	const struct dialect *d;
	struct verify_opts o;

	memset(&o, 0, sizeof(o));
	o.dsn = dsn;
	o.table = table;
	if (conn_open(dsn, c, err) < 0)
		return store_fail(&o, err);
	/* what is there, said in the store's terms (the messages name DSN
	 * and table themselves), and the reference view of T_current,
	 * before a READ ONLY transaction would refuse to create it */
	if (store_probe(*c, table, job, err) < 0)
		return -1;
	if (view_ref && store_view_ref(*c, table, err) < 0)
		return -1;
	d = conn_dialect(*c);
	if (!d->snapshot_tx)
		return 0;
	if (conn_begin(*c, err) < 0)
		return store_fail(&o, err);
	*in_tx = 1;
	if (d->snapshot && conn_exec(*c, d->snapshot, NULL, 0, err) < 0)
		return store_fail(&o, err);
	return 0;
}

static void close_snapshot(struct conn *c, int in_tx)
{
	if (c && in_tx) {
		struct error e;

		error_init(&e);
		conn_rollback(c, &e);	/* read-only: nothing to keep */
		error_release(&e);
	}
	conn_close(c);
}

int verify_store(const struct verify_opts *o, struct verify_result *res,
		 struct error *err)
{
	struct vctx v;
	int rc = -1, in_tx = 0, stopped;

	memset(res, 0, sizeof(*res));
	if (!text_is_identifier(o->table, 63))
		return error_set(err, ERR_JOB, "store table '%s' is not an "
				 "identifier", o->table ? o->table : "");
	memset(&v, 0, sizeof(v));
	v.o = o;
	v.res = res;
	sbuf_init(&v.line, SBUF_CAP_DEFAULT);
	sbuf_init(&v.what, SBUF_CAP_DEFAULT);
	sbuf_init(&v.vname, 256);
	if (open_snapshot(o->dsn, o->table, o->job, 1, &v.c, &in_tx, err) < 0)
		goto out;
	stopped = scan_versions(&v, err);	/* 1: stopped at a finding */
	if (stopped < 0 || (!stopped && check_digests(&v, err) < 0))
		goto out;
	if (!stopped && o->digest && check_digest_file(&v, err) < 0)
		goto out;
	if (check_notes(&v, err) < 0 || check_reports(&v, err) < 0)
		goto out;
	if (res->findings) {
		error_set(err, ERR_VERIFY, "store '%s' table '%s': %llu "
			  "finding%s", o->dsn, o->table,
			  (unsigned long long)res->findings,
			  res->findings == 1 ? "" : "s");
		goto out;
	}
	if (o->export_run && export_digest(&v, err) < 0)
		goto out;
	rc = 0;
out:
	close_snapshot(v.c, in_tx);
	vctx_release(&v);
	return rc;
}

/* ---- history ----------------------------------------------------------------- */

/* Equal as values of type t (typed values compared normalised: a
 * database may print 12.30 where the writer bound 12.3); t < 0: text. */
static int same_value(int t, const char *a, const char *b)
{
	struct sbuf x = SBUF_INIT(256), y = SBUF_INIT(256);
	struct error e;
	int same;

	if (!a || !b)
		return a == b;
	if (t <= LT_TEXT)
		return strcmp(a, b) == 0;
	error_init(&e);
	if (ledger_normalise((enum ledger_type)t, a, &x, &e) == 0 &&
	    ledger_normalise((enum ledger_type)t, b, &y, &e) == 0)
		same = strcmp(x.buf, y.buf) == 0;
	else
		same = strcmp(a, b) == 0;
	error_release(&e);
	sbuf_release(&x);
	sbuf_release(&y);
	return same;
}

static int is_short(const char *s)
{
	return !s || (strlen(s) <= 40 && !strchr(s, '\n'));
}

static void add_val(struct sbuf *sb, const char *s)
{
	if (s)
		add_quoted(sb, s);
	else
		sbuf_addstr(sb, "NULL");
}

/* Value field i of a version: the fixed outcome, codes, verdicts, then
 * the declared columns. */
static const char *vfield(const struct ledger_rec *r, size_t i)
{
	return i < LEDGER_FIXED_VALUES ? r->f[LF_OUTCOME + i]
				       : r->c[i - LEDGER_FIXED_VALUES];
}

/* Its name and type (-1: text without a declared type). */
static const char *vfield_name(const struct ledger_schema *sch, size_t i,
			       int *type)
{
	if (i < LEDGER_FIXED_VALUES) {
		*type = -1;
		return ledger_field_names[LF_OUTCOME + i];
	}
	*type = (int)sch->col[i - LEDGER_FIXED_VALUES].type;
	return sch->col[i - LEDGER_FIXED_VALUES].name;
}

/* 1 if a version's sources JSON (docs/LEDGER.md, "Provenance") names
 * id as its deal's or order's "key" or among its ERP documents' "keys";
 * -1 out of memory. Inside a JSON string every '"' is escaped, so
 * `"key":` and `"keys":[` only match the engine's own names. */
static int sources_name(const char *json, const char *id, struct sbuf *tmp)
{
	const char *p;
	size_t nl;

	sbuf_reset(tmp);
	sbuf_addstr(tmp, "\"key\":");
	text_add_json(tmp, id);	/* as record.c writes it */
	if (tmp->failed)
		return -1;
	if (strstr(json, tmp->buf))
		return 1;
	p = strstr(json, "\"keys\":[");
	if (!p)
		return 0;
	p += strlen("\"keys\":[");
	nl = tmp->len - strlen("\"key\":");
	while (*p == '"') {
		const char *q = p + 1;

		while (*q && *q != '"') {
			if (*q == '\\' && q[1])
				q++;
			q++;
		}
		if (!*q)
			return 0;
		q++;
		if ((size_t)(q - p) == nl &&
		    memcmp(p, tmp->buf + strlen("\"key\":"), nl) == 0)
			return 1;
		p = *q == ',' ? q + 1 : q;
	}
	return 0;
}

/* The versions of one record (kind, key) to fn, with what changed. */
static int history_of(struct conn *c, const char *table,
		      const struct store_schema *sch, const char *kind,
		      const char *key, verify_version_fn *fn, void *ctx,
		      uint64_t *n, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct sbuf changes = SBUF_INIT(SBUF_CAP_DEFAULT);
	/* the previous version: its kind, then its value fields */
	struct sbuf prev[1 + LEDGER_FIXED_VALUES + LEDGER_MAX_COLS];
	int prev_null[1 + LEDGER_FIXED_VALUES + LEDGER_MAX_COLS], have_prev = 0, rc = -1;
	size_t nv = LEDGER_FIXED_VALUES + sch->s.n, nf = LF__COUNT + sch->s.n;

	for (size_t f = 0; f < sizeof(prev) / sizeof(prev[0]); f++)
		sbuf_init(&prev[f], SBUF_CAP_DEFAULT);
	if (store_read_history(c, table, &sch->s, key, kind, &cur, err) < 0)
		goto out;
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		struct ledger_rec rec;
		struct verify_version vv;

		row_rec(row, &sch->s, &rec);
		if (have_prev && !same_value(-1, rec.f[LF_REC_KIND],
					     prev_null[0] ? NULL : prev[0].buf))
			have_prev = 0;	/* another kind of the same key */
		sbuf_reset(&changes);
		for (size_t i = 0; have_prev && i < nv; i++) {
			const char *old = prev_null[1 + i] ? NULL
							   : prev[1 + i].buf;
			const char *now = vfield(&rec, i);
			int t;
			const char *fname = vfield_name(&sch->s, i, &t);

			if (same_value(t, old, now))
				continue;
			if (changes.len)
				sbuf_addstr(&changes, "; ");
			sbuf_addstr(&changes, fname);
			if (is_short(old) && is_short(now)) {
				sbuf_addstr(&changes, ": ");
				add_val(&changes, old);
				sbuf_addstr(&changes, " -> ");
				add_val(&changes, now);
			} else {
				sbuf_addstr(&changes, " changed");
			}
		}
		if (have_prev && !changes.len)
			sbuf_addstr(&changes, "no value changed");
		memset(&vv, 0, sizeof(vv));
		vv.rec = &rec;
		vv.run_seq = val_text(&row->vals[nf]);
		vv.as_of = val_text(&row->vals[nf + 1]);
		vv.changes = changes.buf;
		(*n)++;
		if (changes.failed) {
			rc = nomem(err);
			break;
		}
		fn(ctx, &vv);
		for (size_t i = 0; i <= nv; i++) {
			const char *s = i ? vfield(&rec, i - 1)
					  : rec.f[LF_REC_KIND];

			sbuf_reset(&prev[i]);
			prev_null[i] = s == NULL;
			if (s && sbuf_addstr(&prev[i], s) < 0)
				rc = nomem(err);
		}
		if (rc < 0)
			break;
		have_prev = 1;
	}
out:
	cursor_close(cur);
	for (size_t f = 0; f < sizeof(prev) / sizeof(prev[0]); f++)
		sbuf_release(&prev[f]);
	sbuf_release(&changes);
	return rc < 0 ? -1 : 0;
}

/* The start of `recon runs` and `recon history`: *o for store_fail, the
 * table name checked, a read snapshot of the store. */
static int open_reader(const char *dsn, const char *table,
		       struct verify_opts *o, struct conn **c, int *in_tx,
		       struct error *err)
{
	memset(o, 0, sizeof(*o));
	o->dsn = dsn;
	o->table = table;
	if (!text_is_identifier(table, 63))
		return error_set(err, ERR_JOB, "store table '%s' is not an "
				 "identifier", table ? table : "");
	return open_snapshot(dsn, table, NULL, 0, c, in_tx, err);
}

int verify_runs(const char *dsn, const char *table, const char *job,
		verify_run_fn *fn, void *ctx, uint64_t *n, struct error *err)
{
	struct verify_opts o;
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	int in_tx = 0, rc = -1;

	*n = 0;
	if (open_reader(dsn, table, &o, &c, &in_tx, err) < 0)
		goto out;
	if (store_read_runs(c, table, &cur, err) < 0) {
		if (err->code != ERR_NOMEM)
			store_fail(&o, err);
		goto out;
	}
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		struct ledger_run lr;

		if (row->ncols != LR__COUNT + 1) {
			rc = error_set(err, ERR_INTERNAL, "runs: %zu columns "
				       "in %s_runs", row->ncols, table);
			break;
		}
		for (int f = 0; f < LR__COUNT; f++)
			lr.f[f] = val_text(&row->vals[f]);
		if (!lr.f[LR_JOB] || strcmp(lr.f[LR_JOB], job) != 0)
			continue;
		(*n)++;
		if (fn(ctx, &lr, err) < 0) {
			rc = -2;	/* the callback's error, as it is */
			break;
		}
	}
	if (rc == -1 && err->code != ERR_NOMEM)
		store_fail(&o, err);
out:
	cursor_close(cur);
	close_snapshot(c, in_tx);
	return rc < 0 ? -1 : 0;
}

int verify_history(const char *dsn, const char *table, const char *key,
		   const char *kind, verify_version_fn *fn, void *ctx,
		   uint64_t *n, struct error *err)
{
	struct verify_opts o;
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	struct sbuf tmp = SBUF_INIT(SBUF_CAP_DEFAULT);
	/* the records found: kind and key, back to back */
	char **found_kk = NULL;
	size_t nfound = 0, afound = 0;
	int in_tx = 0, rc = -1, oom = 0;
	struct store_schema sch;

	memset(&sch, 0, sizeof(sch));
	*n = 0;
	if (open_reader(dsn, table, &o, &c, &in_tx, err) < 0)
		goto out;
	if (store_schema_read(c, table, &sch, err) < 0) {
		store_fail(&o, err);
		goto out;
	}
	/* Which records: the one keyed by the id, and those whose
	 * provenance names it as their deal, order or an ERP document
	 * (a deal's order record, an order's documents). */
	if (store_find_records(c, table, key, kind, &cur, err) < 0) {
		if (err->code != ERR_NOMEM)
			store_fail(&o, err);
		goto out;
	}
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		const char *rk = val_text(&row->vals[0]);
		const char *rkey = val_text(&row->vals[1]);
		const char *src = val_text(&row->vals[2]);
		int hit;

		if (!rk || !rkey)
			continue;
		if (nfound && strcmp(found_kk[2 * nfound - 2], rk) == 0 &&
		    strcmp(found_kk[2 * nfound - 1], rkey) == 0)
			continue;	/* already found by another version */
		hit = strcmp(rkey, key) == 0 ? 1
		      : src ? sources_name(src, key, &tmp) : 0;
		if (hit < 0) {
			rc = nomem(err);
			break;
		}
		if (!hit)
			continue;
		if (nfound == afound) {
			size_t na = afound ? afound * 2 : 8, bytes;
			void *p;

			if (mem_mul(na, 2 * sizeof(*found_kk), &bytes) < 0 ||
			    !(p = mem_realloc(found_kk, bytes))) {
				rc = nomem(err);
				break;
			}
			found_kk = p;
			afound = na;
		}
		found_kk[2 * nfound] = dup_or_null(rk, &oom);
		found_kk[2 * nfound + 1] = dup_or_null(rkey, &oom);
		nfound++;
		if (oom) {
			rc = nomem(err);
			break;
		}
	}
	cursor_close(cur);
	cur = NULL;
	if (rc < 0) {
		if (err->code != ERR_NOMEM)
			store_fail(&o, err);
		goto out;
	}
	for (size_t i = 0; i < nfound && rc >= 0; i++)
		rc = history_of(c, table, &sch, found_kk[2 * i],
				found_kk[2 * i + 1], fn, ctx, n, err);
	if (rc < 0 && err->code != ERR_NOMEM)
		store_fail(&o, err);
out:
	cursor_close(cur);
	close_snapshot(c, in_tx);
	store_schema_release(&sch);
	for (size_t i = 0; i < 2 * nfound; i++)
		mem_free(found_kk[i]);
	mem_free(found_kk);
	sbuf_release(&tmp);
	return rc < 0 ? -1 : 0;
}

int verify_reader_open(const char *dsn, const char *table, const char *job,
		       struct conn **c, int *in_tx, struct error *err)
{
	*c = NULL;
	*in_tx = 0;
	if (!text_is_identifier(table, 63))
		return error_set(err, ERR_JOB, "store table '%s' is not an "
				 "identifier", table ? table : "");
	return open_snapshot(dsn, table, job, 0, c, in_tx, err);
}

void verify_reader_close(struct conn *c, int in_tx)
{
	close_snapshot(c, in_tx);
}
