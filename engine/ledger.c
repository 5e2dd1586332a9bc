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

static int is_amount(int f)
{
	return f == LF_DEAL_AMOUNT || f == LF_ORDER_AMOUNT ||
	       f == LF_ERP_AMOUNT;
}

int ledger_serialise(const struct ledger_rec *r, int first, int last,
		     struct sbuf *sb, struct error *err)
{
	struct sbuf num = SBUF_INIT(64);

	for (int f = first; f <= last; f++) {
		const char *v = r->f[f];
		size_t n;

		if (!v) {
			sbuf_addf(sb, "%s:-\n", ledger_field_names[f]);
			continue;
		}
		n = strlen(v);
		if (is_amount(f)) {
			int64_t a;
			int st = money_parse(v, n, &a);

			if (st != MONEY_OK) {
				sbuf_release(&num);
				return error_set(err, ERR_DATA,
						 "%s '%s': %s",
						 ledger_field_names[f], v,
						 money_strerror(st));
			}
			sbuf_reset(&num);
			money_format(a, 0, &num);
			v = num.buf;
			n = num.len;
		}
		sbuf_addf(sb, "%s:%zu:", ledger_field_names[f], n);
		sbuf_add(sb, v, n);
		sbuf_addch(sb, '\n');
	}
	sbuf_release(&num);
	if (sb->failed)
		return error_set(err, ERR_NOMEM, "out of memory (ledger)");
	return 0;
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

static int sha256_hex(const void *p, size_t n, char *out, struct error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (!EVP_Digest(p, n, md, &len, EVP_sha256(), NULL))
		return error_set(err, ERR_INTERNAL, "SHA-256 failed");
	to_hex(md, len, out);
	return 0;
}

static int hash_fields(const struct ledger_rec *r, int first, int last,
		       char *out, struct error *err)
{
	struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);
	int rc = ledger_serialise(r, first, last, &sb, err);

	if (rc == 0)
		rc = sha256_hex(sb.buf, sb.len, out, err);
	sbuf_release(&sb);
	return rc;
}

int ledger_value_hash(const struct ledger_rec *r, char *out, struct error *err)
{
	return hash_fields(r, LEDGER_FIRST_VALUE, LEDGER_LAST_VALUE, out, err);
}

int ledger_content_hash(const struct ledger_rec *r, char *out,
			struct error *err)
{
	return hash_fields(r, 0, LF__COUNT - 1, out, err);
}

/* ---- run digest ------------------------------------------------------- */

struct ledger_digest {
	char *prev;		/* owned, "" if none */
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
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		int ok = EVP_DigestUpdate(ctx, "recon-run:", 10) &&
			 EVP_DigestUpdate(ctx, d->prev, strlen(d->prev)) &&
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
