/*
 * rowfp.c - source row fingerprints (see rowfp.h for the format).
 */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "rowfp.h"
#include "money.h"
#include "tstamp.h"
#include "banned.h"

void rowfp_init(struct rowfp *f)
{
	f->ctx = NULL;
	sbuf_init(&f->ser, SBUF_CAP_DEFAULT);
	sbuf_init(&f->val, SBUF_CAP_DEFAULT);
}

void rowfp_release(struct rowfp *f)
{
	EVP_MD_CTX_free(f->ctx);
	sbuf_release(&f->ser);
	sbuf_release(&f->val);
	rowfp_init(f);
}

/* Write the decimal digits of n at p; returns the end. */
static char *put_u64(char *p, uint64_t n)
{
	char d[20];
	int i = (int)sizeof(d);

	do {
		d[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	memcpy(p, d + i, sizeof(d) - (size_t)i);
	return p + sizeof(d) - (size_t)i;
}

/*
 * Append NAME TAG LEN ':' BYTES '\n', or NAME ":-\n" for a NULL (tag 0),
 * with one room check for the whole cell (the serialisation is rebuilt for every source row: five sbuf
 * appends per cell, each checking and NUL-terminating, cost more than
 * the copy). 0 or -1 with sb->failed set.
 */
static int add_cell(struct sbuf *sb, const char *name, size_t nn, char tag,
		    const char *s, size_t n)
{
	char *p;

	/* name, tag, at most 20 digits, ':', bytes, '\n' */
	if (n > SIZE_MAX - nn - 23 || sbuf_grow(sb, nn + 23 + n) < 0)
		return -1;
	p = sb->buf + sb->len;
	memcpy(p, name, nn);
	p += nn;
	if (!tag) {
		memcpy(p, ":-", 2);
		p += 2;
	} else {
		*p++ = tag;
		p = put_u64(p, n);
		*p++ = ':';
		if (n)
			memcpy(p, s, n);
		p += n;
	}
	*p++ = '\n';
	*p = '\0';	/* sbuf_grow kept room for it */
	sb->len = (size_t)(p - sb->buf);
	return 0;
}

/*
 * The class tag and the normalised bytes of a non-NULL value (rowfp.h):
 * '#' with the canonical decimal or '@' with the canonical time in
 * f->val, ':' or '?' with the driver's text. 0, or -1 for a time that
 * cannot be formatted (or an sbuf failure, seen by the caller).
 */
static int normalise(struct rowfp *f, const struct value *v, char *tag,
		     const char **s, size_t *n)
{
	struct sbuf *val = &f->val;

	sbuf_reset(val);
	*s = v->s ? v->s : "";
	*n = v->s ? v->len : 0;
	switch (v->type) {
	case VAL_INT:
		*tag = '#';
		sbuf_add_i64(val, v->i);
		break;
	case VAL_DEC:
		if (v->approx) {
			*tag = '?';
			return 0;
		}
		*tag = '#';
		money_format(v->i, 0, val);
		break;
	case VAL_TIME:
		*tag = '@';
		if (tstamp_format_frac(v->i, v->s, v->s ? v->len : 0, val) < 0 &&
		    !val->failed)
			return -1;
		break;
	default:
		if (v->approx) {
			*tag = '?';
			return 0;
		}
		if (!v->dec_text) {
			*tag = ':';
			return 0;
		}
		*tag = '#';
		money_format(v->i, 0, val);
		break;
	}
	*s = val->buf;
	*n = val->len;
	return 0;
}

int rowfp_row(struct rowfp *f, const struct row *row, uint8_t out[32],
	      struct error *err)
{
	struct sbuf *sb = &f->ser;
	unsigned len = 0;

	sbuf_reset(sb);
	sbuf_add(sb, ROWFP_FORMAT "\n", sizeof(ROWFP_FORMAT));
	for (size_t i = 0; i < row->ncols; i++) {
		const struct value *v = &row->vals[i];
		const char *s;
		size_t n;
		char tag;

		if (v->type == VAL_NULL) {
			add_cell(sb, row->names[i], strlen(row->names[i]), 0,
				 NULL, 0);
			continue;
		}
		if (normalise(f, v, &tag, &s, &n) < 0)
			return error_set(err, ERR_DATA, "column '%s': time %lld "
					 "is outside years 1 to 9999",
					 row->names[i], (long long)v->i);
		if (f->val.failed)
			return error_set(err, ERR_NOMEM,
					 "out of memory (row fingerprint)");
		add_cell(sb, row->names[i], strlen(row->names[i]), tag, s, n);
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
