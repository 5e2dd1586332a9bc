/*
 * canon.c - the canonical record.
 */
#include <string.h>

#include "canon.h"
#include "money.h"
#include "tstamp.h"
#include "banned.h"

const char *const canon_field_names[CS__COUNT] = {
	"key", "deal_ref", "order_ref", "customer", "currency", "name",
};

const char *const canon_status_names[CST__COUNT] = {
	NULL, "open", "won", "fulfilled", "cancelled", "draft", "posted",
};

const char *const canon_doctype_names[CDT__COUNT] = {
	NULL, "sales_order", "invoice", "credit_note",
};

const char *const canon_kind_names[CANON__KINDS] = {
	"deal", "order", "erp",
};

const char *const canon_ftype_names[CFT__COUNT] = {
	"text", "money", "integer", "date", "timestamp", "boolean",
};

void canon_init(struct canon *c)
{
	memset(c, 0, sizeof(*c));
	sbuf_init(&c->data,
		  (size_t)(CS__COUNT + CANON_XMAX) * CANON_STR_CAP * 2);
}

void canon_release(struct canon *c)
{
	sbuf_release(&c->data);
	canon_init(c);
}

void canon_reset(struct canon *c, enum canon_kind kind, uint16_t source,
		 uint64_t rowno)
{
	sbuf_reset(&c->data);
	c->kind = (uint8_t)kind;
	c->status = CST_NONE;
	c->doctype = CDT_NONE;
	c->flags = 0;
	c->source = source;
	c->present = 0;
	c->xpresent = 0;
	c->xtab = 0;
	c->nx = 0;
	c->amount = 0;
	c->time = 0;
	c->rowno = rowno;
	memset(c->off, 0, sizeof(c->off));
	memset(c->len, 0, sizeof(c->len));
}

int canon_set(struct canon *c, enum canon_str f, const char *s, size_t n)
{
	size_t off = c->data.len;

	if (n > CANON_STR_CAP)
		return -1;
	if (sbuf_add(&c->data, s, n) < 0)
		return -1;
	c->off[f] = (uint32_t)off;
	c->len[f] = (uint32_t)n;
	c->present |= 1u << f;
	return 0;
}

const char *canon_get(const struct canon *c, enum canon_str f, size_t *n)
{
	if (!(c->present & (1u << f))) {
		*n = 0;
		return NULL;
	}
	*n = c->len[f];
	return c->data.buf + c->off[f];
}

/* The slot table: nx pairs of uint32_t (offset, length), unaligned. */
static void slot_get(const struct canon *c, unsigned i, uint32_t *off,
		     uint32_t *len)
{
	const char *p = c->data.buf + c->xtab + (size_t)i * 8;

	memcpy(off, p, 4);
	memcpy(len, p + 4, 4);
}

int canon_xset(struct canon *c, unsigned i, unsigned nx, const void *v,
	       size_t n)
{
	uint32_t off, len = (uint32_t)n;

	if (n > CANON_STR_CAP || i >= nx || nx > CANON_XMAX ||
	    (c->nx && c->nx != nx))
		return -1;
	if (!c->nx) {
		static const char zero[CANON_XMAX * 8];

		c->xtab = (uint32_t)c->data.len;
		if (sbuf_add(&c->data, zero, (size_t)nx * 8) < 0)
			return -1;
		c->nx = nx;
	}
	off = (uint32_t)c->data.len;
	if (n && sbuf_add(&c->data, v, n) < 0)
		return -1;
	memcpy(c->data.buf + c->xtab + (size_t)i * 8, &off, 4);
	memcpy(c->data.buf + c->xtab + (size_t)i * 8 + 4, &len, 4);
	c->xpresent |= 1u << i;
	return 0;
}

int canon_xset_i64(struct canon *c, unsigned i, unsigned nx, int64_t v)
{
	return canon_xset(c, i, nx, &v, sizeof(v));
}

const char *canon_xget(const struct canon *c, unsigned i, size_t *n)
{
	uint32_t off, len;

	if (i >= c->nx || !(c->xpresent & (1u << i))) {
		*n = 0;
		return NULL;
	}
	slot_get(c, i, &off, &len);
	*n = len;
	return c->data.buf + off;
}

int canon_xget_i64(const struct canon *c, unsigned i, int64_t *v)
{
	size_t n;
	const char *p = canon_xget(c, i, &n);

	if (!p || n != sizeof(*v))
		return 0;
	memcpy(v, p, sizeof(*v));
	return 1;
}

void canon_xclear(struct canon *c, unsigned i)
{
	if (i < CANON_XMAX)
		c->xpresent &= ~(1u << i);
}

int canon_xformat(const struct canon *c, unsigned i, enum canon_ftype t,
		  struct sbuf *out)
{
	size_t n, at = out->len;
	const char *p = canon_xget(c, i, &n);
	int64_t v;
	int rc = 0;

	if (!p)
		return 0;
	switch (t) {
	case CFT_TEXT:
		return sbuf_add(out, p, n) < 0 ? -1 : 1;
	case CFT_BOOLEAN:
		if (n != 1)
			return -1;
		return sbuf_addstr(out, *p ? "true" : "false") < 0 ? -1 : 1;
	default:
		break;
	}
	if (n != sizeof(v))
		return -1;
	memcpy(&v, p, sizeof(v));
	switch (t) {
	case CFT_MONEY:
		rc = money_format(v, 2, out);
		break;
	case CFT_INTEGER:
		rc = sbuf_add_i64(out, v);
		break;
	case CFT_DATE:
		rc = tstamp_format_date(v, out);
		break;
	default:		/* CFT_TIMESTAMP */
		/* "YYYY-MM-DDTHH:MM:SSZ" -> "YYYY-MM-DD HH:MM:SS" */
		rc = tstamp_format(v, out);
		if (rc == 0) {
			out->buf[at + 10] = ' ';
			out->len--;
			out->buf[out->len] = '\0';
		}
		break;
	}
	return rc < 0 ? -1 : 1;
}

int canon_check(const struct canon *c)
{
	size_t dl = c->data.len;

	for (int f = 0; f < CS__COUNT; f++)
		if ((c->present & (1u << f)) &&
		    (c->off[f] > dl || c->len[f] > dl - c->off[f]))
			return -1;
	if (c->nx > CANON_XMAX || (!c->nx && c->xpresent) ||
	    (c->nx < 32 && (c->xpresent >> c->nx) != 0))
		return -1;
	if (c->nx && (c->xtab > dl || (size_t)c->nx * 8 > dl - c->xtab))
		return -1;
	for (unsigned i = 0; i < c->nx; i++) {
		uint32_t off, len;

		if (!(c->xpresent & (1u << i)))
			continue;
		slot_get(c, i, &off, &len);
		if (off > dl || len > dl - off)
			return -1;
	}
	return 0;
}

int canon_lookup(const char *const *names, int count, const char *s, size_t n)
{
	for (int i = 0; i < count; i++)
		if (names[i] && strlen(names[i]) == n &&
		    memcmp(names[i], s, n) == 0)
			return i;
	return -1;
}
