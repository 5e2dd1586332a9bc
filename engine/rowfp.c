/*
 * rowfp.c - source row fingerprints (see rowfp.h for the format).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "rowfp.h"
#include "banned.h"

void rowfp_init(struct rowfp *f)
{
	f->ctx = NULL;
	sbuf_init(&f->ser, SBUF_CAP_DEFAULT);
}

void rowfp_release(struct rowfp *f)
{
	EVP_MD_CTX_free(f->ctx);
	sbuf_release(&f->ser);
	rowfp_init(f);
}

/* Append the decimal digits of n. */
static void add_u64(struct sbuf *sb, uint64_t n)
{
	char d[24];
	int i = (int)sizeof(d);

	do {
		d[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	sbuf_add(sb, d + i, sizeof(d) - (size_t)i);
}

int rowfp_row(struct rowfp *f, const struct row *row, uint8_t out[32],
	      struct error *err)
{
	struct sbuf *sb = &f->ser;
	unsigned len = 0;

	sbuf_reset(sb);
	for (size_t i = 0; i < row->ncols; i++) {
		const struct value *v = &row->vals[i];
		const char *name = row->names[i];
		char num[24];
		const char *s = v->s;
		size_t n = v->len;

		sbuf_addstr(sb, name);
		if (v->type == VAL_NULL) {
			sbuf_add(sb, ":-\n", 3);
			continue;
		}
		if (v->type == VAL_INT || !s) {
			int k = snprintf(num, sizeof(num), "%lld",
					 (long long)v->i);

			s = num;
			n = (size_t)k;
		}
		sbuf_addch(sb, ':');
		add_u64(sb, n);
		sbuf_addch(sb, ':');
		sbuf_add(sb, s, n);
		sbuf_addch(sb, '\n');
	}
	if (sb->failed)
		return error_set(err, ERR_NOMEM,
				 "out of memory (row fingerprint)");
	if (!f->ctx && !(f->ctx = EVP_MD_CTX_new()))
		return error_set(err, ERR_NOMEM,
				 "out of memory (row fingerprint)");
	if (!EVP_DigestInit_ex(f->ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(f->ctx, sb->buf, sb->len) ||
	    !EVP_DigestFinal_ex(f->ctx, out, &len) || len != 32)
		return error_set(err, ERR_INTERNAL, "SHA-256 failed");
	return 0;
}

void rowfp_sum_add(uint8_t acc[32], const uint8_t fp[32])
{
	unsigned carry = 0;

	for (int i = 31; i >= 0; i--) {
		unsigned s = (unsigned)acc[i] + fp[i] + carry;

		acc[i] = (uint8_t)s;
		carry = s >> 8;
	}
}

void rowfp_hex(const uint8_t b[32], char out[65])
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[64] = '\0';
}
