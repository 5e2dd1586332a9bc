/*
 * ref.c - reference tables: loading (a query through the connector, or a
 * CSV file), the key index, the control totals, and the rules' read-only
 * Lua view. See ref.h; for analysts, docs/RULES.md "Reference tables".
 *
 * Storage: one array of values (rows x columns) and one byte buffer for
 * every text (values and key texts, by offset, so growing it moves
 * nothing that is pointed at). The index is open addressing on the key
 * text (FNV-1a), built once all rows are in; a duplicate key is found
 * there and is an error naming it.
 *
 * The Lua views are userdata holding a generation number: ref_lua_set()
 * bumps it, so a view a rule kept (in a global, say) from an earlier set
 * raises rather than reading freed rows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "ref.h"
#include "file.h"
#include "mem.h"
#include "rowfp.h"
#include "text.h"
#include "lval.h"
#include "banned.h"

/* Largest CSV file read: 256 MiB. */
#define REF_FILE_CAP ((size_t)256 << 20)

struct rval {
	enum val_type type;
	int64_t i;		/* VAL_INT, VAL_DEC (scale 4), VAL_TIME */
	size_t off, len;	/* VAL_TEXT: bytes in strs */
};

struct ref_table {
	char *name;
	char **cols;
	size_t ncols, key;	/* key: index of the key column */
	uint64_t cap;

	struct rval *vals;	/* nrows * ncols */
	size_t nrows, arows;
	size_t *koff, *klen;	/* per row: the key text in strs */
	struct sbuf strs;

	size_t *slot;		/* row + 1, 0 empty; nslot a power of two */
	size_t nslot;

	uint8_t rows_sum[32];
	struct rowfp fp;
	struct value *tmp;	/* ncols: a row rebuilt for the fingerprint */
};

const char *ref_table_name(const struct ref_table *t)
{
	return t->name;
}

const char *const *ref_table_columns(const struct ref_table *t, size_t *n)
{
	*n = t->ncols;
	return (const char *const *)t->cols;
}

uint64_t ref_table_rows(const struct ref_table *t)
{
	return t->nrows;
}

void ref_table_hash_hex(const struct ref_table *t, char out[65])
{
	rowfp_hex(t->rows_sum, out);
}

void ref_table_free(struct ref_table *t)
{
	if (!t)
		return;
	mem_free(t->name);
	for (size_t i = 0; t->cols && i < t->ncols; i++)
		mem_free(t->cols[i]);
	mem_free(t->cols);
	mem_free(t->vals);
	mem_free(t->koff);
	mem_free(t->klen);
	sbuf_release(&t->strs);
	mem_free(t->slot);
	rowfp_release(&t->fp);
	mem_free(t->tmp);
	mem_free(t);
}

int ref_table_new(const char *name, const char *const *cols, size_t ncols,
		  const char *key, uint64_t cap, struct ref_table **out,
		  struct error *err)
{
	struct ref_table *t;
	size_t k = ncols;

	*out = NULL;
	for (size_t i = 0; i < ncols; i++) {
		if (strcmp(cols[i], key) == 0)
			k = i;
		for (size_t j = 0; j < i; j++)
			if (strcmp(cols[i], cols[j]) == 0)
				return error_set(err, ERR_DATA, "reference "
						 "'%s': two columns are named "
						 "'%s'", name, cols[i]);
	}
	if (k == ncols) {
		struct sbuf sb = SBUF_INIT(1 << 16);

		for (size_t i = 0; i < ncols; i++)
			sbuf_addf(&sb, "%s%s", i ? ", " : "", cols[i]);
		error_set(err, ERR_DATA, "reference '%s': no key column '%s' "
			  "(columns: %s)", name, key, sb.failed ? "?" : sb.buf);
		sbuf_release(&sb);
		return -1;
	}
	t = mem_calloc(1, sizeof(*t));
	if (!t)
		return error_set(err, ERR_NOMEM, "out of memory");
	sbuf_init(&t->strs, SIZE_MAX / 2);
	rowfp_init(&t->fp);
	t->key = k;
	t->cap = cap;
	t->name = mem_strdup(name);
	t->cols = mem_calloc(ncols ? ncols : 1, sizeof(*t->cols));
	t->tmp = mem_calloc(ncols ? ncols : 1, sizeof(*t->tmp));
	if (!t->name || !t->cols || !t->tmp)
		goto nomem;
	for (size_t i = 0; i < ncols; i++) {
		t->cols[i] = mem_strdup(cols[i]);
		if (!t->cols[i])
			goto nomem;
		t->ncols = i + 1;
	}
	t->ncols = ncols;
	*out = t;
	return 0;
nomem:
	ref_table_free(t);
	return error_set(err, ERR_NOMEM, "out of memory");
}

/* The key of vals as text into sb (reset first); ERR_DATA if it cannot
 * be a key. */
static int key_text(const struct ref_table *t, const struct value *v,
		    struct sbuf *sb, struct error *err)
{
	sbuf_reset(sb);
	switch (v->type) {
	case VAL_NULL:
		return error_set(err, ERR_DATA, "reference '%s': row %zu has "
				 "no key (column '%s' is NULL)", t->name,
				 t->nrows + 1, t->cols[t->key]);
	case VAL_INT:
		sbuf_addf(sb, "%" PRId64, v->i);
		break;
	case VAL_TEXT:
		if (v->approx)
			break;
		if (!v->len)
			return error_set(err, ERR_DATA, "reference '%s': row "
					 "%zu has an empty key (column '%s')",
					 t->name, t->nrows + 1,
					 t->cols[t->key]);
		sbuf_add(sb, v->s, v->len);
		return sb->failed ? error_set(err, ERR_NOMEM, "out of memory")
				  : 0;
	default:
		break;
	}
	if (v->type != VAL_INT)
		return error_set(err, ERR_DATA, "reference '%s': key column "
				 "'%s' must be text or an integer; CAST it in "
				 "the query", t->name, t->cols[t->key]);
	return sb->failed ? error_set(err, ERR_NOMEM, "out of memory") : 0;
}

int ref_table_add(struct ref_table *t, const struct value *vals,
		  struct error *err)
{
	struct sbuf key = SBUF_INIT(1 << 20);
	struct row row;
	uint8_t fp[32];
	struct rval *rv;

	if (t->nrows >= t->cap)
		return error_set(err, ERR_DATA, "reference '%s': more than "
				 "%" PRIu64 " rows, the cap (<limits "
				 "reference-rows>); raise it or narrow the "
				 "reference", t->name, t->cap);
	if (key_text(t, &vals[t->key], &key, err) < 0) {
		sbuf_release(&key);
		return -1;
	}
	for (size_t c = 0; c < t->ncols; c++)
		if (vals[c].approx) {
			sbuf_release(&key);
			return error_set(err, ERR_DATA, "reference '%s': row "
					 "%zu, column '%s' is %s and holds %s, "
					 "not an exact value; CAST it to "
					 "DECIMAL or TEXT in the query",
					 t->name, t->nrows + 1, t->cols[c],
					 vals[c].approx,
					 vals[c].s ? vals[c].s : "?");
		}
	if (t->nrows == t->arows) {
		size_t n = t->arows ? t->arows * 2 : 64, bytes;
		void *p;

		if (mem_mul(n, t->ncols ? t->ncols : 1, &bytes) < 0 ||
		    mem_mul(bytes, sizeof(*t->vals), &bytes) < 0)
			goto nomem;
		if (!(p = mem_realloc(t->vals, bytes)))
			goto nomem;
		t->vals = p;
		if (!(p = mem_realloc(t->koff, n * sizeof(*t->koff))))
			goto nomem;
		t->koff = p;
		if (!(p = mem_realloc(t->klen, n * sizeof(*t->klen))))
			goto nomem;
		t->klen = p;
		t->arows = n;
	}
	/* the fingerprint of the row as the engine sees it */
	row.ncols = t->ncols;
	row.names = (const char *const *)t->cols;
	row.vals = vals;
	row.rowno = t->nrows + 1;
	if (rowfp_row(&t->fp, &row, fp, err) < 0) {
		sbuf_release(&key);
		return -1;
	}
	rv = &t->vals[t->nrows * t->ncols];
	for (size_t c = 0; c < t->ncols; c++) {
		rv[c].type = vals[c].type;
		rv[c].i = vals[c].i;
		rv[c].off = rv[c].len = 0;
		if (vals[c].type == VAL_TEXT) {
			rv[c].off = t->strs.len;
			rv[c].len = vals[c].len;
			sbuf_add(&t->strs, vals[c].s, vals[c].len);
		}
	}
	t->koff[t->nrows] = t->strs.len;
	t->klen[t->nrows] = key.len;
	sbuf_add(&t->strs, key.buf, key.len);
	sbuf_release(&key);
	if (t->strs.failed)
		return error_set(err, ERR_NOMEM, "out of memory");
	rowfp_sum_add(t->rows_sum, fp);
	t->nrows++;
	return 0;
nomem:
	sbuf_release(&key);
	return error_set(err, ERR_NOMEM, "out of memory");
}

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* The slot holding key (row + 1), or the empty slot where it would go. */
static size_t *find_slot(const struct ref_table *t, const char *k, size_t n)
{
	size_t mask = t->nslot - 1, i = (size_t)fnv(k, n) & mask;

	for (;;) {
		size_t *s = &t->slot[i];

		if (!*s || (t->klen[*s - 1] == n &&
			    memcmp(t->strs.buf + t->koff[*s - 1], k, n) == 0))
			return s;
		i = (i + 1) & mask;
	}
}

int ref_table_done(struct ref_table *t, struct error *err)
{
	size_t n = 16;

	while (n < t->nrows * 2 + 1)
		n *= 2;
	mem_free(t->slot);
	t->slot = mem_calloc(n, sizeof(*t->slot));
	if (!t->slot)
		return error_set(err, ERR_NOMEM, "out of memory");
	t->nslot = n;
	for (size_t r = 0; r < t->nrows; r++) {
		const char *k = t->strs.buf + t->koff[r];
		size_t *s = find_slot(t, k, t->klen[r]);

		if (*s)
			return error_set(err, ERR_DATA, "reference '%s': key "
					 "'%.*s' is in rows %zu and %zu; the "
					 "key column '%s' must be unique",
					 t->name, (int)(t->klen[r] > 200 ? 200
							: t->klen[r]),
					 k, *s, r + 1, t->cols[t->key]);
		*s = r + 1;
	}
	return 0;
}

/* The row whose key is k, or -1. */
static long long lookup(const struct ref_table *t, const char *k, size_t n)
{
	size_t *s;

	if (!t->nslot)
		return -1;
	s = find_slot(t, k, n);
	return *s ? (long long)(*s - 1) : -1;
}

/* ---- loading -------------------------------------------------------- */

/* The tee's calls (ref.h); nothing without one. */
static int tee_table(const struct ref_tee *tee, const struct ref_table *t,
		     struct error *err)
{
	return tee ? tee->table(tee->ctx, t->name,
				(const char *const *)t->cols, t->ncols, err)
		   : 0;
}

static int tee_row(const struct ref_tee *tee, const struct ref_table *t,
		   const struct value *vals, struct error *err)
{
	return tee ? tee->row(tee->ctx, vals, t->ncols, err) : 0;
}

static int load_odbc(const struct job_reference *jr, uint64_t cap,
		     const struct ref_tee *tee, struct ref_table **out,
		     struct error *err)
{
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	struct ref_table *t = NULL;
	const struct row *row;
	char *key = NULL;
	int rc;

	*out = NULL;
	if (conn_open_source(jr->dsn, &c, err) < 0)
		return error_context(err, "reference '%s'", jr->name);
	if (cursor_open(c, jr->query, NULL, 0, 0, &cur, err) < 0) {
		error_context(err, "reference '%s'", jr->name);
		goto fail;
	}
	/* the connector lower-cases column labels: so is the key */
	key = mem_strdup(jr->key);
	if (!key) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (char *p = key; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	cursor_id_column(cur, key);
	while ((rc = cursor_next(cur, &row, err)) == 1) {
		if (!t && (ref_table_new(jr->name, row->names, row->ncols,
					 key, cap, &t, err) < 0 ||
			   tee_table(tee, t, err) < 0))
			goto fail;
		if (ref_table_add(t, row->vals, err) < 0 ||
		    tee_row(tee, t, row->vals, err) < 0)
			goto fail;
	}
	if (rc < 0) {
		error_context(err, "reference '%s'", jr->name);
		goto fail;
	}
	if (!t) {
		/* no rows: the table is empty; its columns are unknown, so
		 * every lookup is nil */
		const char *k1 = key;

		if (ref_table_new(jr->name, &k1, 1, key, cap, &t, err) < 0 ||
		    tee_table(tee, t, err) < 0)
			goto fail;
	}
	cursor_close(cur);
	conn_close(c);
	mem_free(key);
	if (ref_table_done(t, err) < 0) {
		ref_table_free(t);
		return -1;
	}
	*out = t;
	return 0;
fail:
	cursor_close(cur);
	conn_close(c);
	ref_table_free(t);
	mem_free(key);
	return -1;
}

/* One CSV field at *p (RFC 4180) into f; *p after it. 1: more fields
 * on this record, 0: the record ended, -1: malformed (why in err). */
static int csv_field(const char **p, const char *end, struct sbuf *f,
		     size_t line, const char *name, struct error *err)
{
	const char *s = *p;

	sbuf_reset(f);
	if (s < end && *s == '"') {
		s++;
		for (;;) {
			if (s >= end)
				return error_set(err, ERR_DATA, "reference "
						 "'%s': line %zu: a quoted "
						 "field is not closed", name,
						 line);
			if (*s == '"') {
				if (s + 1 < end && s[1] == '"') {
					sbuf_addch(f, '"');
					s += 2;
					continue;
				}
				s++;
				break;
			}
			sbuf_addch(f, *s++);
		}
		if (s < end && *s != ',' && *s != '\n' && *s != '\r')
			return error_set(err, ERR_DATA, "reference '%s': line "
					 "%zu: text after a quoted field's "
					 "closing quote", name, line);
	} else {
		while (s < end && *s != ',' && *s != '\n' && *s != '\r') {
			if (*s == '"')
				return error_set(err, ERR_DATA, "reference "
						 "'%s': line %zu: a quote "
						 "inside an unquoted field",
						 name, line);
			sbuf_addch(f, *s++);
		}
	}
	if (f->failed)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (s < end && *s == ',') {
		*p = s + 1;
		return 1;
	}
	if (s < end && *s == '\r')
		s++;
	if (s < end && *s == '\n')
		s++;
	*p = s;
	return 0;
}

/* One record's fields into fields[] (copies in bufs); the count in *n. */
static int csv_record(const char **p, const char *end, struct sbuf *bufs,
		      size_t max, size_t *n, size_t line, const char *name,
		      struct error *err)
{
	struct sbuf f = SBUF_INIT(REF_FILE_CAP);
	int more;

	*n = 0;
	do {
		more = csv_field(p, end, &f, line, name, err);
		if (more < 0)
			break;
		if (*n >= max) {
			more = error_set(err, ERR_DATA, "reference '%s': line "
					 "%zu has more fields than the header",
					 name, line);
			break;
		}
		sbuf_reset(&bufs[*n]);
		if (sbuf_add(&bufs[*n], f.buf, f.len) < 0) {
			more = error_set(err, ERR_NOMEM, "out of memory");
			break;
		}
		(*n)++;
	} while (more);
	sbuf_release(&f);
	return more < 0 ? -1 : 0;
}

/* Most columns of a CSV reference. */
#define CSV_COLS_MAX 256

static int parse_csv(const char *name, const char *text, size_t len,
		     const char *key, uint64_t cap, const struct ref_tee *tee,
		     struct ref_table **out, struct error *err)
{
	const char *p = text, *end = text + len;
	struct sbuf bufs[CSV_COLS_MAX];
	const char *names[CSV_COLS_MAX];
	struct value vals[CSV_COLS_MAX];
	struct ref_table *t = NULL;
	size_t ncols, n, line = 1, bad;
	int rc = -1;

	*out = NULL;
	for (size_t i = 0; i < CSV_COLS_MAX; i++)
		sbuf_init(&bufs[i], REF_FILE_CAP);
	if (!utf8_valid(text, len, &bad)) {
		error_set(err, ERR_DATA, "reference '%s': the file is not "
			  "UTF-8 (byte %zu)", name, bad);
		goto out;
	}
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	if (p >= end) {
		error_set(err, ERR_DATA, "reference '%s': the file is empty; "
			  "it needs a header row naming the columns", name);
		goto out;
	}
	if (csv_record(&p, end, bufs, CSV_COLS_MAX, &ncols, line, name,
		       err) < 0)
		goto out;
	for (size_t i = 0; i < ncols; i++) {
		if (!bufs[i].len) {
			error_set(err, ERR_DATA, "reference '%s': header column "
				  "%zu has no name", name, i + 1);
			goto out;
		}
		names[i] = bufs[i].buf;
	}
	if (ref_table_new(name, names, ncols, key, cap, &t, err) < 0 ||
	    tee_table(tee, t, err) < 0)
		goto out;
	while (p < end) {
		line++;
		if (csv_record(&p, end, bufs, ncols, &n, line, name, err) < 0)
			goto out;
		if (n != ncols) {
			error_set(err, ERR_DATA, "reference '%s': line %zu has "
				  "%zu fields, the header %zu", name, line, n,
				  ncols);
			goto out;
		}
		for (size_t i = 0; i < ncols; i++) {
			memset(&vals[i], 0, sizeof(vals[i]));
			vals[i].type = VAL_TEXT;
			vals[i].s = bufs[i].buf;
			vals[i].len = bufs[i].len;
		}
		if (ref_table_add(t, vals, err) < 0) {
			error_context(err, "line %zu", line);
			goto out;
		}
		if (tee_row(tee, t, vals, err) < 0)
			goto out;
	}
	if (ref_table_done(t, err) < 0)
		goto out;
	*out = t;
	t = NULL;
	rc = 0;
out:
	ref_table_free(t);
	for (size_t i = 0; i < CSV_COLS_MAX; i++)
		sbuf_release(&bufs[i]);
	return rc;
}

int ref_parse_csv(const char *name, const char *text, size_t len,
		  const char *key, uint64_t cap, struct ref_table **out,
		  struct error *err)
{
	return parse_csv(name, text, len, key, cap, NULL, out, err);
}

static int load_csv(const struct job_reference *jr, uint64_t cap,
		    const struct ref_tee *tee, struct ref_table **out,
		    struct error *err)
{
	struct sbuf sb = SBUF_INIT(REF_FILE_CAP);
	const char *kind;
	FILE *f = file_open_regular(jr->file, &kind);
	size_t n;
	int rc;

	*out = NULL;
	if (!f)
		return error_set(err, ERR_DATA, "reference '%s': cannot open "
				 "%s: %s", jr->name, jr->file,
				 kind ? kind : strerror(errno));
	do {
		if (sbuf_grow(&sb, 1 << 16) < 0) {
			fclose(f);
			sbuf_release(&sb);
			if (sb.failed == SBUF_TOOLONG)
				return error_set(err, ERR_DATA, "reference "
						 "'%s': %s is over %zu bytes",
						 jr->name, jr->file,
						 REF_FILE_CAP);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
		n = fread(sb.buf + sb.len, 1, sb.alloc - sb.len - 1, f);
		sb.len += n;
		sb.buf[sb.len] = '\0';
	} while (n > 0);
	if (ferror(f)) {
		fclose(f);
		sbuf_release(&sb);
		return error_set(err, ERR_DATA, "reference '%s': cannot read "
				 "%s", jr->name, jr->file);
	}
	fclose(f);
	rc = parse_csv(jr->name, sb.buf, sb.len, jr->key, cap, tee, out, err);
	sbuf_release(&sb);
	if (rc < 0)
		error_context(err, "%s", jr->file_name ? jr->file_name
						       : jr->file);
	return rc;
}

int ref_load(const struct job_reference *jr, uint64_t cap,
	     struct ref_table **out, struct error *err)
{
	/* the messages of the table and the CSV parser name the reference;
	 * load_odbc names it in the connector's */
	return jr->file ? load_csv(jr, cap, NULL, out, err)
			: load_odbc(jr, cap, NULL, out, err);
}

int ref_load_all(const struct job *job, struct ref_set *set,
		 struct error *err)
{
	return ref_load_all_tee(job, set, NULL, err);
}

int ref_load_all_tee(const struct job *job, struct ref_set *set,
		     const struct ref_tee *tee, struct error *err)
{
	uint64_t cap = job->reference_rows ? job->reference_rows
					   : JOB_DEFAULT_REFERENCE_ROWS;

	set->t = NULL;
	set->n = 0;
	if (!job->nreferences)
		return 0;
	set->t = mem_calloc(job->nreferences, sizeof(*set->t));
	if (!set->t)
		return error_set(err, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < job->nreferences; i++) {
		const struct job_reference *jr = &job->references[i];
		int k = jr->file ? load_csv(jr, cap, tee, &set->t[i], err)
				 : load_odbc(jr, cap, tee, &set->t[i], err);

		if (k < 0) {
			ref_set_release(set);
			return -1;
		}
		set->n = i + 1;
	}
	return 0;
}

void ref_set_release(struct ref_set *set)
{
	for (size_t i = 0; set->t && i < set->n; i++)
		ref_table_free(set->t[i]);
	mem_free(set->t);
	set->t = NULL;
	set->n = 0;
}

/* ---- the Lua view --------------------------------------------------- */

struct ref_view {
	const struct ref_set *set;
	unsigned gen;
};

/* ref.NAME and ref.NAME[key]: which table (and row) of which set. */
struct ref_handle {
	struct ref_view *v;	/* owned by the `ref` userdata, kept alive
				 * as this one's user value */
	unsigned gen;
	size_t t;
	size_t row;
};

static const struct ref_table *handle_table(lua_State *L,
					    const struct ref_handle *h)
{
	if (!h->v->set || h->gen != h->v->gen || h->t >= h->v->set->n)
		luaL_error(L, "this reference view is from an earlier run or "
			   "test; look it up through ref again");
	return h->v->set->t[h->t];
}

static const char *name_of(lua_State *L, int i)
{
	return lua_type(L, i) == LUA_TSTRING ? lua_tostring(L, i)
					     : luaL_typename(L, i);
}

static int readonly(lua_State *L)
{
	return luaL_error(L, "reference tables are read-only (tried to set "
			  "'%s')", name_of(L, 2));
}

/* row.COLUMN */
static int row_index(lua_State *L)
{
	const struct ref_handle *h = lua_touserdata(L, 1);
	const struct ref_table *t = handle_table(L, h);
	const char *k = lua_tostring(L, 2);

	if (lua_type(L, 2) == LUA_TSTRING)
		for (size_t c = 0; c < t->ncols; c++) {
			const struct rval *v;

			if (strcmp(t->cols[c], k) != 0)
				continue;
			v = &t->vals[h->row * t->ncols + c];
			lval_push_value(L, v->type, v->i,
					 v->type == VAL_TEXT ? t->strs.buf + v->off
							     : NULL, v->len);
			return 1;
		}
	lval_push_names(L, (const char *const *)t->cols, t->ncols);
	return luaL_error(L, "reference '%s' has no column '%s' (columns: %s)",
			  t->name, name_of(L, 2), lua_tostring(L, -1));
}

/* ref.NAME[key]: a row view, or nil. */
static int table_index(lua_State *L)
{
	const struct ref_handle *h = lua_touserdata(L, 1);
	const struct ref_table *t = handle_table(L, h);
	struct ref_handle *rh;
	char num[32];
	const char *k;
	size_t n;
	long long row;

	switch (lua_type(L, 2)) {
	case LUA_TNIL:
		lua_pushnil(L);
		return 1;
	case LUA_TSTRING:
		k = lua_tolstring(L, 2, &n);
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, 2)) {
			n = (size_t)snprintf(num, sizeof(num), "%lld",
					     (long long)lua_tointeger(L, 2));
			k = num;
			break;
		}
		/* fall through */
	default:
		return luaL_error(L, "ref.%s[...]: a key is text or an "
				  "integer, not %s", t->name,
				  luaL_typename(L, 2));
	}
	row = lookup(t, k, n);
	if (row < 0) {
		lua_pushnil(L);
		return 1;
	}
	rh = lua_newuserdatauv(L, sizeof(*rh), 1);
	*rh = *h;
	rh->row = (size_t)row;
	lua_getiuservalue(L, 1, 1);	/* keep the `ref` userdata alive */
	lua_setiuservalue(L, -2, 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_setmetatable(L, -2);
	return 1;
}

static int table_len(lua_State *L)
{
	const struct ref_handle *h = lua_touserdata(L, 1);

	lua_pushinteger(L, (lua_Integer)handle_table(L, h)->nrows);
	return 1;
}

/* ref.NAME */
static int ref_index(lua_State *L)
{
	struct ref_view *v = lua_touserdata(L, 1);
	struct ref_handle *h;
	const char *k = lua_tostring(L, 2);
	luaL_Buffer b;

	if (!v->set)
		return luaL_error(L, "ref.%s: reference tables are loaded "
				  "after the rule files are run; use ref "
				  "inside a translate or order rule function",
				  name_of(L, 2));
	/* the table views made for this set, by name (user value 1): one
	 * per table, not one per lookup */
	lua_getiuservalue(L, 1, 1);
	lua_pushvalue(L, 2);
	if (lua_rawget(L, -2) == LUA_TUSERDATA) {
		h = lua_touserdata(L, -1);
		if (h->gen == v->gen)
			return 1;
	}
	lua_pop(L, 1);
	for (size_t i = 0; lua_type(L, 2) == LUA_TSTRING && i < v->set->n;
	     i++) {
		if (strcmp(v->set->t[i]->name, k) != 0)
			continue;
		h = lua_newuserdatauv(L, sizeof(*h), 1);
		h->v = v;
		h->gen = v->gen;
		h->t = i;
		h->row = 0;
		lua_pushvalue(L, 1);
		lua_setiuservalue(L, -2, 1);
		lua_pushvalue(L, lua_upvalueindex(1));
		lua_setmetatable(L, -2);
		lua_pushvalue(L, 2);
		lua_pushvalue(L, -2);
		lua_rawset(L, -4);
		return 1;
	}
	luaL_buffinit(L, &b);
	for (size_t i = 0; i < v->set->n; i++) {
		if (i)
			luaL_addstring(&b, ", ");
		luaL_addstring(&b, v->set->t[i]->name);
	}
	luaL_pushresult(&b);
	return luaL_error(L, "no reference table '%s' in the job "
			  "(references: %s)", name_of(L, 2),
			  v->set->n ? lua_tostring(L, -1) : "none");
}

/* A locked metatable named name with __index idx (upvalue: the value at
 * the top, popped, if up) and __newindex readonly. */
static void push_mt(lua_State *L, const char *name, lua_CFunction idx,
		    int up)
{
	lua_createtable(L, 0, 5);
	if (up)
		lua_insert(L, -2);
	lua_pushcclosure(L, idx, up);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, readonly);
	lua_setfield(L, -2, "__newindex");
	lua_pushstring(L, name);
	lua_setfield(L, -2, "__name");
	lua_pushstring(L, name);
	lua_setfield(L, -2, "__metatable");
}

struct ref_view *ref_lua_open(lua_State *L)
{
	struct ref_view *v;

	v = lua_newuserdatauv(L, sizeof(*v), 1);
	v->set = NULL;
	v->gen = 0;
	lua_createtable(L, 0, 4);
	lua_setiuservalue(L, -2, 1);
	push_mt(L, "reference row", row_index, 0);
	push_mt(L, "reference table", table_index, 1);
	lua_pushcfunction(L, table_len);
	lua_setfield(L, -2, "__len");
	push_mt(L, "ref", ref_index, 1);
	lua_setmetatable(L, -2);
	return v;
}

void ref_lua_set(struct ref_view *v, const struct ref_set *set)
{
	v->set = set;
	v->gen++;
}
