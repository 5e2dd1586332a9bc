/*
 * buf.c - struct sbuf, see buf.h for the invariants.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "mem.h"
#include "banned.h"

char sbuf_empty[1];

void sbuf_init(struct sbuf *sb, size_t cap)
{
	sb->buf = sbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
	sb->cap = cap;
	sb->failed = SBUF_OK;
}

void sbuf_release(struct sbuf *sb)
{
	if (sb->alloc)
		mem_free(sb->buf);
	sbuf_init(sb, sb->cap);
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
	sb->failed = SBUF_OK;
}

int sbuf_grow(struct sbuf *sb, size_t extra)
{
	size_t need, nalloc;
	char *p;

	if (sb->failed)
		return -1;
	if (mem_add(sb->len, extra, &need) < 0 || need > sb->cap) {
		sb->failed = SBUF_TOOLONG;
		return -1;
	}
	need++; /* the NUL */
	if (need <= sb->alloc)
		return 0;
	nalloc = sb->alloc ? sb->alloc : 32;
	while (nalloc < need) {
		if (mem_mul(nalloc, 2, &nalloc) < 0) {
			nalloc = need;
			break;
		}
	}
	p = mem_realloc(sb->alloc ? sb->buf : NULL, nalloc);
	if (!p) {
		sb->failed = SBUF_NOMEM;
		return -1;
	}
	if (!sb->alloc)
		p[0] = '\0';
	sb->buf = p;
	sb->alloc = nalloc;
	return 0;
}

int sbuf_add(struct sbuf *sb, const void *data, size_t n)
{
	if (sbuf_grow(sb, n) < 0)
		return -1;
	if (n)
		memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int sbuf_addstr(struct sbuf *sb, const char *s)
{
	return sbuf_add(sb, s, strlen(s));
}

int sbuf_addch(struct sbuf *sb, int c)
{
	char ch = (char)c;

	return sbuf_add(sb, &ch, 1);
}

int sbuf_add_i64(struct sbuf *sb, int64_t v)
{
	char d[21];	/* "-9223372036854775808" and room to spare */
	int i = (int)sizeof(d);
	/* the magnitude in unsigned arithmetic: -INT64_MIN overflows */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		d[--i] = '-';
	return sbuf_add(sb, d + i, sizeof(d) - (size_t)i);
}

int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (sb->failed)
		return -1;
	va_copy(cp, ap);
	n = vsnprintf(sb->alloc ? sb->buf + sb->len : NULL,
		      sb->alloc ? sb->alloc - sb->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		sb->failed = SBUF_NOMEM;
		return -1;
	}
	if (sb->alloc && (size_t)n < sb->alloc - sb->len) {
		if (sb->len + (size_t)n > sb->cap) {
			sb->buf[sb->len] = '\0';
			sb->failed = SBUF_TOOLONG;
			return -1;
		}
		sb->len += (size_t)n;
		return 0;
	}
	if (sbuf_grow(sb, (size_t)n) < 0)
		return -1;
	vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

void sbuf_setlen(struct sbuf *sb, size_t n)
{
	if (n > sb->len)
		n = sb->len;
	sb->len = n;
	if (sb->alloc)
		sb->buf[n] = '\0';
}

char *sbuf_detach(struct sbuf *sb, size_t *len)
{
	char *r;

	if (len)
		*len = sb->len;
	if (!sb->alloc) {
		r = mem_strndup("", 0);
	} else {
		r = sb->buf;
	}
	sbuf_init(sb, sb->cap);
	return r;
}
