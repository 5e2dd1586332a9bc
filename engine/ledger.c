/*
 * ledger.c - canonical serialisation and hashes of record versions (see
 * ledger.h for the format).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ledger.h"
#include "mem.h"
#include "money.h"
#include "tstamp.h"
#include "banned.h"

const char *const ledger_field_names[LF__COUNT] = {
	"rec_kind", "rec_key", "version", "run_id",
	"outcome", "codes", "verdicts",
	"sources", "rules_hash", "prev_hash",
};

const char *const ledger_type_names[LT__COUNT] = {
	"text", "money", "integer", "date", "timestamp",
};

int ledger_type_lookup(const char *name)
{
	for (int t = 0; name && t < LT__COUNT; t++)
		if (strcmp(name, ledger_type_names[t]) == 0)
			return t;
	return -1;
}

const char *const ledger_run_field_names[LR__COUNT] = {
	"run_id", "seq", "job", "mode", "as_of", "window_start", "started",
	"finished", "status", "rules_hash", "rules", "records", "exceptions",
	"totals", "outcomes", "watermarks", "schema_hash", "prev_digest",
};

/* Fields of one serialisation: a version's (fixed and declared) or a
 * runs row's. */
#define MAX_FIELDS (LF__COUNT + LEDGER_MAX_COLS)
_Static_assert((int)LR__COUNT <= (int)MAX_FIELDS, "runs row has more fields");

/* A field to serialise: type < 0 is taken as it is. */
struct sfield {
	const char *name;
	const char *v;
	int type;
};

/* A normalised value is short: a 64-bit integer or amount, a timestamp. */
#define NORM_CAP 48

/*
 * The normalised form of v (type t) into buf[NORM_CAP]; its length, or -1
 * with err set. Formats into the caller's buffer: no allocation.
 */
static long normalise(int t, const char *name, const char *v, size_t n,
		      char *buf, struct error *err)
{
	struct sbuf tmp = SBUF_INIT(NORM_CAP - 1);
	int64_t x;
	int st;

	tmp.buf = buf;
	tmp.alloc = NORM_CAP;
	switch (t) {
	case LT_MONEY:
		st = money_parse(v, n, &x);
		if (st != MONEY_OK)
			return error_set(err, ERR_DATA, "%s '%s': %s", name, v,
					 money_strerror(st));
		money_format(x, 0, &tmp);
		break;
	case LT_INTEGER: {
		/* [-]digits, within int64; "007" is 7 and "-0" is 0 */
		int neg = n && v[0] == '-';
		size_t i = (size_t)neg;
		uint64_t u = 0, lim = neg ? UINT64_C(9223372036854775808)
					  : (uint64_t)INT64_MAX;

		if (i == n)
			goto bad;
		for (; i < n; i++) {
			unsigned d = (unsigned)(v[i] - '0');

			if (v[i] < '0' || v[i] > '9' || u > (lim - d) / 10)
				goto bad;
			u = u * 10 + d;
		}
		/* u is at most 2^63 with neg, INT64_MAX without */
		sbuf_add_i64(&tmp, neg && u ? -(int64_t)(u - 1) - 1
				    : (int64_t)u);
		break;
	}
	case LT_DATE:
	case LT_TIMESTAMP:
		if (tstamp_parse(v, n, &x) < 0)
			goto bad;
		if (t == LT_DATE)
			tstamp_format_date(x, &tmp);
		else
			tstamp_format(x, &tmp);
		break;
	default:
		return error_set(err, ERR_INTERNAL, "%s: type %d", name, t);
	}
	if (tmp.failed)
		goto bad;
	return (long)tmp.len;
bad:
	return error_set(err, ERR_DATA, "%s '%.*s' is not %s %s", name,
			 (int)(n > 64 ? 64 : n), v,
			 t == LT_INTEGER ? "an" : "a",
			 t >= 0 && t < LT__COUNT ? ledger_type_names[t] : "value");
}

/* Decimal digits of n into the end of tmp[24]; returns the start. */
static char *size_digits(size_t n, char tmp[24])
{
	char *p = tmp + 24;

	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	return p;
}

/*
 * Two passes: measure (normalising typed values into small local
 * buffers), grow once, then copy. This runs twice per published record,
 * and appending byte by byte through the capped buffer cost more than
 * the SHA-256 itself.
 */
static int serialise(const struct sfield *fs, size_t nf, struct sbuf *sb,
		     struct error *err)
{
	char norm[MAX_FIELDS][NORM_CAP];
	const char *val[MAX_FIELDS];
	size_t vlen[MAX_FIELDS], nlen[MAX_FIELDS], total = 0;
	char *w;

	for (size_t f = 0; f < nf; f++) {
		const char *v = fs[f].v;

		nlen[f] = strlen(fs[f].name);
		val[f] = v;
		if (!v) {
			total += nlen[f] + 3;		/* NAME ":-\n" */
			continue;
		}
		vlen[f] = strlen(v);
		if (fs[f].type > LT_TEXT) {
			long n = normalise(fs[f].type, fs[f].name, v, vlen[f],
					   norm[f], err);

			if (n < 0)
				return -1;
			val[f] = norm[f];
			vlen[f] = (size_t)n;
		}
		total += nlen[f] + 1 + 20 + 1 + vlen[f] + 1;	/* upper bound */
	}
	if (sbuf_grow(sb, total) < 0)
		return error_set(err, ERR_NOMEM, "out of memory (ledger)");
	w = sb->buf + sb->len;
	for (size_t f = 0; f < nf; f++) {
		memcpy(w, fs[f].name, nlen[f]);
		w += nlen[f];
		if (!val[f]) {
			memcpy(w, ":-\n", 3);
			w += 3;
			continue;
		}
		{
			char tmp[24], *d = size_digits(vlen[f], tmp);
			size_t dn = (size_t)(tmp + 24 - d);

			*w++ = ':';
			memcpy(w, d, dn);
			w += dn;
			*w++ = ':';
		}
		memcpy(w, val[f], vlen[f]);
		w += vlen[f];
		*w++ = '\n';
	}
	sb->len = (size_t)(w - sb->buf);
	sb->buf[sb->len] = '\0';
	return 0;
}

/* A version's fields in serialisation order: values only or all. */
static size_t rec_fields(const struct ledger_rec *r, int all,
			 struct sfield *fs)
{
	size_t n = 0, nc = r->schema ? r->schema->n : 0;

#define FIXED(F) (fs[n++] = (struct sfield){ ledger_field_names[F], r->f[F], -1 })
	if (all) {
		FIXED(LF_REC_KIND);
		FIXED(LF_REC_KEY);
		fs[n++] = (struct sfield){ ledger_field_names[LF_VERSION],
					   r->f[LF_VERSION], LT_INTEGER };
		FIXED(LF_RUN_ID);
	}
	FIXED(LF_OUTCOME);
	FIXED(LF_CODES);
	FIXED(LF_VERDICTS);
	for (size_t i = 0; i < nc && i < LEDGER_MAX_COLS; i++)
		fs[n++] = (struct sfield){ r->schema->col[i].name, r->c[i],
					   (int)r->schema->col[i].type };
	if (all) {
		FIXED(LF_SOURCES);
		FIXED(LF_RULES_HASH);
		FIXED(LF_PREV_HASH);
	}
#undef FIXED
	return n;
}

int ledger_serialise(const struct ledger_rec *r, int all, struct sbuf *sb,
		     struct error *err)
{
	struct sfield fs[MAX_FIELDS];

	return serialise(fs, rec_fields(r, all, fs), sb, err);
}

int ledger_normalise(enum ledger_type t, const char *v, struct sbuf *sb,
		     struct error *err)
{
	char buf[NORM_CAP];
	long n;

	if (t == LT_TEXT)
		return sbuf_addstr(sb, v) < 0
		       ? error_set(err, ERR_NOMEM, "out of memory") : 0;
	n = normalise((int)t, "value", v, strlen(v), buf, err);
	if (n < 0)
		return -1;
	if (sbuf_add(sb, buf, (size_t)n) < 0)
		return error_set(err, ERR_NOMEM, "out of memory");
	return 0;
}

/* The runs row's fields, as they are. */
static size_t run_fields(const struct ledger_run *r, struct sfield *fs)
{
	for (int i = 0; i < LR__COUNT; i++)
		fs[i] = (struct sfield){ ledger_run_field_names[i], r->f[i], -1 };
	return LR__COUNT;
}

int ledger_run_serialise(const struct ledger_run *r, int first, int last,
			 struct sbuf *sb, struct error *err)
{
	struct sfield fs[MAX_FIELDS];

	(void)run_fields(r, fs);
	if (first < 0 || last >= LR__COUNT || first > last)
		return error_set(err, ERR_INTERNAL, "runs fields %d..%d", first,
				 last);
	return serialise(fs + first, (size_t)(last - first + 1), sb, err);
}

/* The schema as fields; the "column" values are built in cols. */
static int schema_fields(const struct ledger_schema *s, struct sfield *fs,
			 struct sbuf *cols, size_t *nf, struct error *err)
{
	size_t off[LEDGER_MAX_COLS];

	if (s->n > LEDGER_MAX_COLS)
		return error_set(err, ERR_INTERNAL, "%zu columns", s->n);
	fs[0] = (struct sfield){ "format", LEDGER_FORMAT, -1 };
	for (size_t i = 0; i < s->n; i++) {
		const struct ledger_col *c = &s->col[i];

		off[i] = cols->len;
		sbuf_addf(cols, "%s %s %s", c->name,
			  c->type < LT__COUNT ? ledger_type_names[c->type] : "?",
			  c->value ? c->value : "");
		sbuf_addch(cols, '\0');
	}
	if (cols->failed)
		return error_set(err, ERR_NOMEM, "out of memory (schema)");
	for (size_t i = 0; i < s->n; i++)
		fs[1 + i] = (struct sfield){ "column", cols->buf + off[i], -1 };
	*nf = 1 + s->n;
	return 0;
}

int ledger_schema_serialise(const struct ledger_schema *s, struct sbuf *sb,
			    struct error *err)
{
	struct sfield fs[1 + LEDGER_MAX_COLS];
	struct sbuf cols = SBUF_INIT(SBUF_CAP_DEFAULT);
	size_t nf = 0;
	int rc = schema_fields(s, fs, &cols, &nf, err);

	if (rc == 0)
		rc = serialise(fs, nf, sb, err);
	sbuf_release(&cols);
	return rc;
}

static void to_hex(const unsigned char *d, unsigned n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * Per-thread scratch: one serialisation buffer and one digest context,
 * reused for every record (a fresh context and buffer per call cost more
 * than the hashing itself: ~8.7 us per record at a million records).
 * They live as long as the thread; at exit they are still reachable.
 */
static _Thread_local struct sbuf scratch = SBUF_INIT(SBUF_CAP_DEFAULT);
static _Thread_local EVP_MD_CTX *md_ctx;

int ledger_sha256_hex(const void *p, size_t n, char *out, struct error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (!md_ctx && !(md_ctx = EVP_MD_CTX_new()))
		return error_set(err, ERR_NOMEM, "out of memory (SHA-256)");
	if (!EVP_DigestInit_ex(md_ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md_ctx, p, n) ||
	    !EVP_DigestFinal_ex(md_ctx, md, &len))
		return error_set(err, ERR_INTERNAL, "SHA-256 failed");
	to_hex(md, len, out);
	return 0;
}

static int hash_fields(const struct sfield *fs, size_t nf, char *out,
		       struct error *err)
{
	int rc;

	sbuf_reset(&scratch);
	rc = serialise(fs, nf, &scratch, err);
	if (rc == 0)
		rc = ledger_sha256_hex(scratch.buf, scratch.len, out, err);
	if (scratch.alloc > ((size_t)1 << 20)) {
		/* do not keep a huge buffer after one huge record */
		sbuf_release(&scratch);
	}
	return rc;
}

int ledger_value_hash(const struct ledger_rec *r, char *out, struct error *err)
{
	struct sfield fs[MAX_FIELDS];

	return hash_fields(fs, rec_fields(r, 0, fs), out, err);
}

int ledger_content_hash(const struct ledger_rec *r, char *out,
			struct error *err)
{
	struct sfield fs[MAX_FIELDS];

	return hash_fields(fs, rec_fields(r, 1, fs), out, err);
}

int ledger_run_hash(const struct ledger_run *r, char *out, struct error *err)
{
	struct sfield fs[MAX_FIELDS];

	return hash_fields(fs, run_fields(r, fs), out, err);
}

int ledger_schema_hash(const struct ledger_schema *s, char *out,
		       struct error *err)
{
	struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);
	int rc = ledger_schema_serialise(s, &sb, err);

	if (rc == 0)
		rc = ledger_sha256_hex(sb.buf, sb.len, out, err);
	sbuf_release(&sb);
	return rc;
}

/* ---- run digest ------------------------------------------------------- */

/* The content hashes are kept as their 32 bytes, not their 65-byte hex
 * text: a first load of 8 million records held 1.1 GB of hex (with the
 * array's doubling) only to sort it. Ascending byte order of lowercase
 * hex is ascending order of the bytes, so sorting the bytes and writing
 * them back as hex hashes what the text would have. */
struct ledger_digest {
	char *prev;		/* owned, "" if none */
	char run[LEDGER_HEX];	/* the run hash; "" until set */
	uint8_t (*h)[32];	/* content hashes added */
	size_t n, alloc;
	int bad;		/* a hash that was not 64 lowercase hex digits */
};

struct ledger_digest *ledger_digest_new(const char *prev, struct error *err)
{
	struct ledger_digest *d = mem_calloc(1, sizeof(*d));

	if (!d || !(d->prev = mem_strdup(prev ? prev : ""))) {
		mem_free(d);
		error_set(err, ERR_NOMEM, "out of memory (digest)");
		return NULL;
	}
	return d;
}

void ledger_digest_set_run(struct ledger_digest *d, const char *run_hash)
{
	memcpy(d->run, run_hash, LEDGER_HEX - 1);
	d->run[LEDGER_HEX - 1] = '\0';
}

int ledger_digest_add_bin(struct ledger_digest *d, const uint8_t *hash)
{
	if (d->n == d->alloc) {
		/* a quarter more each time past a million: the array is the
		 * run's largest, and large blocks come from mmap, where
		 * realloc moves no bytes (main.c) */
		size_t na = d->alloc < 1024 ? 1024 : d->alloc < (1u << 20)
			    ? d->alloc * 2 : d->alloc + d->alloc / 4, bytes;
		void *p;

		if (mem_mul(na, sizeof(*d->h), &bytes) < 0 ||
		    !(p = mem_realloc(d->h, bytes)))
			return -1;
		d->h = p;
		d->alloc = na;
	}
	memcpy(d->h[d->n++], hash, 32);
	return 0;
}

static int lowhex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f'
	       ? c - 'a' + 10 : -1;
}

int ledger_digest_add(struct ledger_digest *d, const char *content_hash)
{
	uint8_t b[32];

	for (int i = 0; i < 32; i++) {
		int hi = lowhex((unsigned char)content_hash[2 * i]);
		int lo = hi < 0 ? -1 : lowhex((unsigned char)content_hash[2 * i + 1]);

		if (lo < 0) {
			d->bad = 1;	/* finish gives no digest */
			return 0;
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return ledger_digest_add_bin(d, b);
}

static int bin_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

void ledger_digest_finish(struct ledger_digest *d, char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (d->n)	/* a run that wrote nothing has no array */
		qsort(d->h, d->n, sizeof(*d->h), bin_cmp);
	out[0] = '\0';
	/* no run hash: no digest (the runs row must be covered) */
	if (d->run[0] && !d->bad && ctx &&
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		int ok = EVP_DigestUpdate(ctx, "recon-run:", 10) &&
			 EVP_DigestUpdate(ctx, d->prev, strlen(d->prev)) &&
			 EVP_DigestUpdate(ctx, "\n", 1) &&
			 EVP_DigestUpdate(ctx, "run:", 4) &&
			 EVP_DigestUpdate(ctx, d->run, LEDGER_HEX - 1) &&
			 EVP_DigestUpdate(ctx, "\n", 1);

		for (size_t i = 0; ok && i < d->n; i++) {
			char hex[LEDGER_HEX];

			to_hex(d->h[i], 32, hex);
			hex[LEDGER_HEX - 1] = '\n';	/* over its NUL */
			ok = EVP_DigestUpdate(ctx, hex, LEDGER_HEX);
		}
		if (ok && EVP_DigestFinal_ex(ctx, md, &len))
			to_hex(md, len, out);
	}
	EVP_MD_CTX_free(ctx);
	ledger_digest_free(d);
}

void ledger_digest_free(struct ledger_digest *d)
{
	if (!d)
		return;
	mem_free(d->prev);
	mem_free(d->h);
	mem_free(d);
}

/* ---- reading T_runs.totals ------------------------------------------- */

/*
 * A scanner for the JSON the run driver writes into T_runs.totals: only
 * what json_str and totals_json produce is accepted (strings with \",
 * \\ and \u00XX escapes, unsigned integers, objects, arrays), so that
 * a hand-edited or truncated entry is an error rather than a guess.
 */
struct jscan {
	const char *p;
	struct sbuf *why;
	int depth;
};

/* The most nesting the totals have (array > object > amounts object),
 * with room to spare; deeper is not ours. */
#define JSCAN_MAX_DEPTH 8

static void js_ws(struct jscan *j)
{
	while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' ||
	       *j->p == '\r')
		j->p++;
}

static int js_fail(struct jscan *j, const char *what)
{
	if (j->why)
		sbuf_addstr(j->why, what);
	return -1;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A string into out (NULL: skip it). */
static int js_string(struct jscan *j, struct sbuf *out)
{
	js_ws(j);
	if (*j->p != '"')
		return js_fail(j, "a string was expected");
	for (j->p++; *j->p != '"'; j->p++) {
		unsigned char c = (unsigned char)*j->p;

		if (c == '\0' || c < 0x20)
			return js_fail(j, "a string is not terminated");
		if (c == '\\') {
			j->p++;
			if (*j->p == '"' || *j->p == '\\' || *j->p == '/') {
				c = (unsigned char)*j->p;
			} else if (*j->p == 'u') {
				int v = 0;

				for (int k = 1; k <= 4; k++) {
					int h = hexval(j->p[k]);

					if (h < 0)
						return js_fail(j, "a bad \\u "
							       "escape");
					v = v * 16 + h;
				}
				if (v >= 0x20)
					return js_fail(j, "an escape the run "
						       "driver does not write");
				c = (unsigned char)v;
				j->p += 4;
			} else {
				return js_fail(j, "a bad escape");
			}
		}
		if (out && sbuf_addch(out, (char)c) < 0)
			return js_fail(j, "a string is too long");
	}
	j->p++;
	return 0;
}

static int js_uint(struct jscan *j, uint64_t *v)
{
	uint64_t n = 0;

	js_ws(j);
	if (*j->p < '0' || *j->p > '9')
		return js_fail(j, "a count is not a whole number");
	for (; *j->p >= '0' && *j->p <= '9'; j->p++) {
		if (n > (UINT64_MAX - 9) / 10)
			return js_fail(j, "a count is too large");
		n = n * 10 + (uint64_t)(*j->p - '0');
	}
	*v = n;
	return 0;
}

static int js_skip(struct jscan *j);

/* Skip an object or array body after its opening bracket. */
static int js_skip_seq(struct jscan *j, char close, int keyed)
{
	if (++j->depth > JSCAN_MAX_DEPTH)
		return js_fail(j, "nested too deep");
	js_ws(j);
	if (*j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		if (keyed) {
			if (js_string(j, NULL) < 0)
				return -1;
			js_ws(j);
			if (*j->p++ != ':')
				return js_fail(j, "a ':' is missing");
		}
		if (js_skip(j) < 0)
			return -1;
		js_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != close)
			return js_fail(j, "a ',' or a closing bracket is "
				       "missing");
		j->depth--;
		return 0;
	}
}

static int js_skip(struct jscan *j)
{
	uint64_t v;

	js_ws(j);
	switch (*j->p) {
	case '"':
		return js_string(j, NULL);
	case '{':
		j->p++;
		return js_skip_seq(j, '}', 1);
	case '[':
		j->p++;
		return js_skip_seq(j, ']', 0);
	default:
		return js_uint(j, &v);
	}
}

/* The entry of source (or, with is_ref, reference) name; with hash, its
 * rows_hash too (a reference's entry must have one). */
static int totals_find(const char *json, const char *name, int is_ref,
		       struct ledger_source_totals *out, struct sbuf *hash,
		       struct sbuf *why)
{
	static const char *const counts[4] = { "read", "kept", "skipped",
					       "failed" };
	struct jscan j = { json ? json : "", why, 1 };
	struct sbuf key = SBUF_INIT(1 << 16), src = SBUF_INIT(1 << 16);
	struct sbuf hb = SBUF_INIT(256);
	int found = 0, rc = -1;

	memset(out, 0, sizeof(*out));
	js_ws(&j);
	if (*j.p++ != '[') {
		js_fail(&j, "it is not a JSON array");
		goto out;
	}
	js_ws(&j);
	if (*j.p == ']') {
		j.p++;
		goto end;
	}
	for (;;) {
		struct ledger_source_totals t;
		unsigned have = 0;
		int named = 0, ref = 0, hashed = 0;

		memset(&t, 0, sizeof(t));
		js_ws(&j);
		if (*j.p++ != '{') {
			js_fail(&j, "an entry is not an object");
			goto out;
		}
		sbuf_reset(&src);
		js_ws(&j);
		while (*j.p != '}') {
			int k;

			sbuf_reset(&key);
			if (js_string(&j, &key) < 0)
				goto out;
			js_ws(&j);
			if (*j.p++ != ':') {
				js_fail(&j, "a ':' is missing");
				goto out;
			}
			for (k = 0; k < 4; k++)
				if (strcmp(key.buf, counts[k]) == 0)
					break;
			if (strcmp(key.buf, "source") == 0 ||
			    strcmp(key.buf, "reference") == 0) {
				ref = key.buf[0] == 'r';
				if (named || js_string(&j, &src) < 0) {
					if (named)
						js_fail(&j, "an entry names "
							"two sources");
					goto out;
				}
				named = 1;
			} else if (k < 4) {
				uint64_t *v = k == 0 ? &t.read : k == 1 ? &t.kept
					      : k == 2 ? &t.skipped : &t.failed;

				if ((have & (1u << k)) || js_uint(&j, v) < 0) {
					if (have & (1u << k))
						js_fail(&j, "an entry has a "
							"count twice");
					goto out;
				}
				have |= 1u << k;
			} else if (hash && strcmp(key.buf, "rows_hash") == 0) {
				if (hashed) {
					js_fail(&j, "an entry has two "
						"rows_hash");
					goto out;
				}
				sbuf_reset(&hb);
				if (js_string(&j, &hb) < 0)
					goto out;
				hashed = 1;
			} else if (js_skip(&j) < 0) {
				goto out;
			}
			js_ws(&j);
			if (*j.p == ',') {
				j.p++;
				js_ws(&j);
			} else if (*j.p != '}') {
				js_fail(&j, "a ',' or '}' is missing");
				goto out;
			}
		}
		j.p++;
		if (!named) {
			js_fail(&j, "an entry has no \"source\"");
			goto out;
		}
		if (ref == is_ref && strcmp(src.buf, name) == 0) {
			if (found) {
				sbuf_addf(why, "%s '%s' has two entries",
					  is_ref ? "reference" : "source", name);
				goto out;
			}
			if (is_ref && (!(have & 1u) || !hashed)) {
				sbuf_addf(why, "the entry of reference '%s' "
					  "lacks \"read\" or \"rows_hash\"",
					  name);
				goto out;
			}
			if (hash && hashed)
				sbuf_add(hash, hb.buf, hb.len);
			for (int k = 0; !is_ref && k < 4; k++)
				if (!(have & (1u << k))) {
					sbuf_addf(why, "the entry of source "
						  "'%s' has no \"%s\" count",
						  name, counts[k]);
					goto out;
				}
			*out = t;
			found = 1;
		}
		js_ws(&j);
		if (*j.p == ',') {
			j.p++;
			continue;
		}
		if (*j.p++ != ']') {
			js_fail(&j, "a ',' or ']' is missing");
			goto out;
		}
		break;
	}
end:
	js_ws(&j);
	if (*j.p) {
		js_fail(&j, "text follows the array");
		goto out;
	}
	rc = found;
out:
	/* a string that could not be copied for want of memory is not a
	 * damaged entry: the caller reports it as out of memory */
	if (rc < 0 && (key.failed == SBUF_NOMEM || src.failed == SBUF_NOMEM ||
		       (why && why->failed == SBUF_NOMEM)))
		rc = -2;
	if (rc < 0 && !found)
		memset(out, 0, sizeof(*out));
	sbuf_release(&hb);
	sbuf_release(&key);
	sbuf_release(&src);
	return rc;
}

int ledger_totals_find(const char *json, const char *name,
		       struct ledger_source_totals *out, struct sbuf *why)
{
	return totals_find(json, name, 0, out, NULL, why);
}

int ledger_source_hash(const char *json, const char *name,
		       struct ledger_source_totals *out, struct sbuf *hash,
		       struct sbuf *why)
{
	int rc;

	sbuf_reset(hash);
	rc = totals_find(json, name, 0, out, hash, why);
	if (rc == 1 && hash->failed)
		rc = -2;
	return rc;
}

int ledger_reference_find(const char *json, const char *name,
			  uint64_t *rows, struct sbuf *hash, struct sbuf *why)
{
	struct ledger_source_totals t;
	int rc;

	sbuf_reset(hash);
	rc = totals_find(json, name, 1, &t, hash, why);
	*rows = rc == 1 ? t.read : 0;
	if (rc == 1 && hash->failed)
		rc = -2;
	return rc;
}
