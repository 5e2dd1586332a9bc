/*
 * canon.c - the canonical record.
 */
#include <string.h>

#include "canon.h"
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

void canon_init(struct canon *c)
{
	memset(c, 0, sizeof(*c));
	sbuf_init(&c->data, (size_t)CS__COUNT * CANON_STR_CAP * 2);
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

int canon_lookup(const char *const *names, int count, const char *s, size_t n)
{
	for (int i = 0; i < count; i++)
		if (names[i] && strlen(names[i]) == n &&
		    memcmp(names[i], s, n) == 0)
			return i;
	return -1;
}
