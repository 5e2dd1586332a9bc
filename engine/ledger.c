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
#include "banned.h"

const char *const ledger_field_names[LF__COUNT] = {
	"rec_kind", "rec_key", "version", "run_id",
	"outcome", "codes", "verdicts", "deal_key", "order_key", "customer",
	"currency", "deal_amount", "order_amount", "erp_amount", "erp_docs",
	"sources", "rules_hash", "prev_hash",
};

const char *const ledger_run_field_names[LR__COUNT] = {
	"run_id", "seq", "job", "mode", "as_of", "window_start", "started",
	"finished", "status", "rules_hash", "rules", "records", "exceptions",
	"totals", "outcomes", "watermarks", "prev_digest",
};

/* The serialiser's per-field arrays hold either kind of row. */
#define MAX_FIELDS LF__COUNT
_Static_assert((int)LR__COUNT <= (int)MAX_FIELDS, "runs row has more fields");

static int is_amount(int f)
{
	return f == LF_DEAL_AMOUNT || f == LF_ORDER_AMOUNT ||
	       f == LF_ERP_AMOUNT;
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
 * Two passes: measure (normalising amounts into small local buffers),
 * grow once, then copy. This runs twice per published record, and
 * appending byte by byte through the capped buffer cost more than the
 * SHA-256 itself. fv/names: a version's fields (amounts: normalise the
 * amount fields) or a runs row's (amounts 0: every value as it is).
 */
static int serialise(const char *const *fv, const char *const *names,
		     int amounts, int first, int last, struct sbuf *sb,
		     struct error *err)
{
	char amt[3][48];
	const char *val[MAX_FIELDS];
	size_t vlen[MAX_FIELDS], nlen[MAX_FIELDS], total = 0;
	char *w;

	for (int f = first; f <= last; f++) {
		const char *v = fv[f];
		const char *name = names[f];

		nlen[f] = strlen(name);
		val[f] = v;
		if (!v) {
			total += nlen[f] + 3;		/* NAME ":-\n" */
			continue;
		}
		vlen[f] = strlen(v);
		if (amounts && is_amount(f)) {
			char *buf = amt[f - LF_DEAL_AMOUNT];
			struct sbuf tmp = SBUF_INIT(sizeof(amt[0]) - 1);
			int64_t a;
			int st = money_parse(v, vlen[f], &a);

			if (st != MONEY_OK)
				return error_set(err, ERR_DATA,
						 "%s '%s': %s", name, v,
						 money_strerror(st));
			/* a 64-bit amount prints in < 48 bytes: format into
			 * the local buffer, no allocation */
			tmp.buf = buf;
			tmp.alloc = sizeof(amt[0]);
			money_format(a, 0, &tmp);
			val[f] = buf;
			vlen[f] = tmp.len;
		}
		total += nlen[f] + 1 + 20 + 1 + vlen[f] + 1;	/* upper bound */
	}
	if (sbuf_grow(sb, total) < 0)
		return error_set(err, ERR_NOMEM, "out of memory (ledger)");
	w = sb->buf + sb->len;
	for (int f = first; f <= last; f++) {
		memcpy(w, names[f], nlen[f]);
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

int ledger_serialise(const struct ledger_rec *r, int first, int last,
		     struct sbuf *sb, struct error *err)
{
	return serialise(r->f, ledger_field_names, 1, first, last, sb, err);
}

int ledger_run_serialise(const struct ledger_run *r, int first, int last,
			 struct sbuf *sb, struct error *err)
{
	return serialise(r->f, ledger_run_field_names, 0, first, last, sb,
			 err);
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

static int sha256_hex(const void *p, size_t n, char *out, struct error *err)
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

static int hash_fields(const char *const *fv, const char *const *names,
		       int amounts, int first, int last, char *out,
		       struct error *err)
{
	int rc;

	sbuf_reset(&scratch);
	rc = serialise(fv, names, amounts, first, last, &scratch, err);
	if (rc == 0)
		rc = sha256_hex(scratch.buf, scratch.len, out, err);
	if (scratch.alloc > ((size_t)1 << 20)) {
		/* do not keep a huge buffer after one huge record */
		sbuf_release(&scratch);
	}
	return rc;
}

int ledger_value_hash(const struct ledger_rec *r, char *out, struct error *err)
{
	return hash_fields(r->f, ledger_field_names, 1, LEDGER_FIRST_VALUE,
			   LEDGER_LAST_VALUE, out, err);
}

int ledger_content_hash(const struct ledger_rec *r, char *out,
			struct error *err)
{
	return hash_fields(r->f, ledger_field_names, 1, 0, LF__COUNT - 1, out,
			   err);
}

int ledger_run_hash(const struct ledger_run *r, char *out, struct error *err)
{
	return hash_fields(r->f, ledger_run_field_names, 0, 0, LR__COUNT - 1,
			   out, err);
}

/* ---- run digest ------------------------------------------------------- */

struct ledger_digest {
	char *prev;		/* owned, "" if none */
	char run[LEDGER_HEX];	/* the run hash; "" until set */
	char (*h)[LEDGER_HEX];	/* content hashes added */
	size_t n, alloc;
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

int ledger_digest_add(struct ledger_digest *d, const char *content_hash)
{
	if (d->n == d->alloc) {
		size_t na = d->alloc ? d->alloc * 2 : 1024, bytes;
		void *p;

		if (mem_mul(na, sizeof(*d->h), &bytes) < 0 ||
		    !(p = mem_realloc(d->h, bytes)))
			return -1;
		d->h = p;
		d->alloc = na;
	}
	memcpy(d->h[d->n], content_hash, LEDGER_HEX - 1);
	d->h[d->n][LEDGER_HEX - 1] = '\0';
	d->n++;
	return 0;
}

static int hex_cmp(const void *a, const void *b)
{
	return memcmp(a, b, LEDGER_HEX - 1);
}

void ledger_digest_finish(struct ledger_digest *d, char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (d->n)	/* a run that wrote nothing has no array */
		qsort(d->h, d->n, sizeof(*d->h), hex_cmp);
	out[0] = '\0';
	/* no run hash: no digest (the runs row must be covered) */
	if (d->run[0] && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		int ok = EVP_DigestUpdate(ctx, "recon-run:", 10) &&
			 EVP_DigestUpdate(ctx, d->prev, strlen(d->prev)) &&
			 EVP_DigestUpdate(ctx, "\n", 1) &&
			 EVP_DigestUpdate(ctx, "run:", 4) &&
			 EVP_DigestUpdate(ctx, d->run, LEDGER_HEX - 1) &&
			 EVP_DigestUpdate(ctx, "\n", 1);

		for (size_t i = 0; ok && i < d->n; i++)
			ok = EVP_DigestUpdate(ctx, d->h[i], LEDGER_HEX - 1) &&
			     EVP_DigestUpdate(ctx, "\n", 1);
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
