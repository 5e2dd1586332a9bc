/*
 * keynorm.c - the key normaliser (see keynorm.h for the steps).
 *
 * Hot path: called once per source row by most translate functions. One
 * pass over the input writes straight into out's buffer (grown once to
 * the input's length, since the output is never longer), then prefix and
 * zero removal shift the result in place. No allocation beyond out.
 */
#include <stdint.h>
#include <string.h>

#include "keynorm.h"
#include "banned.h"

static int is_ws(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static unsigned char fold(unsigned char c, int lower)
{
	if (lower) {
		if (c >= 'A' && c <= 'Z')
			return (unsigned char)(c + ('a' - 'A'));
	} else if (c >= 'a' && c <= 'z') {
		return (unsigned char)(c - ('a' - 'A'));
	}
	return c;
}

/* Does p[0..pn), case-folded, start d[0..dn)? d is already folded. */
static int has_prefix(const unsigned char *d, size_t dn, const char *p,
		      size_t pn, int lower)
{
	if (pn == 0 || pn > dn)
		return 0;
	for (size_t i = 0; i < pn; i++)
		if (fold((unsigned char)p[i], lower) != d[i])
			return 0;
	return 1;
}

int keynorm_apply(const char *s, size_t n, const struct keynorm_opts *o,
		  struct sbuf *out)
{
	static const struct keynorm_opts defaults = KEYNORM_OPTS_INIT;
	uint64_t strip[2] = { 0, 0 };	/* ASCII bytes to delete, a bitmap */
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	unsigned char *d, *w;
	size_t len, cut;
	int lower, pending = 0;

	if (!o)
		o = &defaults;
	lower = o->lower != 0;
	for (size_t i = 0; i < o->strip_len; i++) {
		unsigned char c = fold((unsigned char)o->strip[i], lower);

		if (c < 128)
			strip[c >> 6] |= UINT64_C(1) << (c & 63);
		if (is_ws(c))	/* whitespace is one space by now */
			strip[0] |= UINT64_C(1) << ' ';
	}
	if (sbuf_grow(out, n) < 0)
		return -1;
	d = w = (unsigned char *)out->buf + out->len;

	/* Steps 1-3 in one pass; `pending` is a collapsed run of whitespace
	 * not yet written (dropped if it turns out to be trailing). */
	while (p < end && is_ws(*p))
		p++;
	for (; p < end; p++) {
		unsigned char c = *p;

		if (is_ws(c)) {
			pending = 1;
			continue;
		}
		c = fold(c, lower);
		if (c < 128 && (strip[c >> 6] & (UINT64_C(1) << (c & 63))))
			continue;
		/* A space is written only between two kept characters, so
		 * stripping cannot expose a leading or doubled space (found
		 * by fuzz_keynorm: "\0\0 23" stripping NULs gave " 23"). */
		if (pending) {
			pending = 0;
			if (w > d && !(strip[0] & (UINT64_C(1) << ' ')))
				*w++ = ' ';
		}
		*w++ = c;
	}
	len = (size_t)(w - d);

	/* Step 4: the first matching prefix, then the blanks it exposed. */
	cut = 0;
	for (size_t i = 0; i < o->nprefix; i++) {
		/* never cut inside a UTF-8 character (found by fuzz_keynorm:
		 * a prefix ending in half of "\xc3\xbc" left invalid UTF-8) */
		if (has_prefix(d, len, o->prefix[i], o->prefix_len[i], lower) &&
		    (o->prefix_len[i] == len ||
		     (d[o->prefix_len[i]] & 0xC0) != 0x80)) {
			cut = o->prefix_len[i];
			while (cut < len && d[cut] == ' ')
				cut++;
			break;
		}
	}
	/* Step 5. */
	if (o->zeros) {
		size_t z = cut;

		/* zeros, and a space they expose ("00 12" -> "12") */
		while (cut < len && (d[cut] == '0' || d[cut] == ' '))
			cut++;
		if (cut == len && cut > z)	/* all zeros: keep one */
			cut--;
	}
	if (cut) {
		memmove(d, d + cut, len - cut);
		len -= cut;
	}
	out->len += len;
	out->buf[out->len] = '\0';
	return 0;
}
