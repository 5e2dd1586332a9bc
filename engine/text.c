/*
 * text.c - UTF-8 validation (RFC 3629 table 3-7 ranges) and clean text
 * for messages.
 */
#include <stdint.h>
#include <string.h>

#include "text.h"
#include "banned.h"

size_t utf8_seq_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c, lo = 0x80, hi = 0xBF;
	size_t need;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n <= need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k <= need; k++)
		if (s[k] < 0x80 || s[k] > 0xBF)
			return 0;
	return need + 1;
}

int utf8_valid(const char *s, size_t n, size_t *bad)
{
	size_t i = 0;

	while (i < n) {
		size_t k;

		/* Most cells are ASCII: eight bytes at a time until one has
		 * its high bit set (memcpy: no alignment assumed). */
		while (n - i >= 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (w & UINT64_C(0x8080808080808080))
				break;
			i += 8;
		}
		while (i < n && (unsigned char)s[i] < 0x80)
			i++;
		if (i == n)
			break;
		k = utf8_seq_len(s + i, n - i);

		if (k == 0) {
			if (bad)
				*bad = i;
			return 0;
		}
		i += k;
	}
	return 1;
}

int text_add_clean(struct sbuf *out, const char *s, size_t n, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, start = out->len;

	while (i < n) {
		size_t k = utf8_seq_len(s + i, n - i);
		char esc[4];
		const char *p = s + i;
		size_t w = k;

		if (k == 0 || s[i] == '\0') {
			/* "\0" for a NUL, "\xNN" for a byte that is not
			 * UTF-8: visible, and never a C string's end */
			unsigned char c = (unsigned char)s[i];

			esc[0] = '\\';
			if (c == 0) {
				esc[1] = '0';
				w = 2;
			} else {
				esc[1] = 'x';
				esc[2] = hex[c >> 4];
				esc[3] = hex[c & 15];
				w = 4;
			}
			p = esc;
			k = 1;
		}
		if (out->len - start + w > cap)
			return sbuf_addf(out, TEXT_CUT_MARK, n);
		if (sbuf_add(out, p, w) < 0)
			return -1;
		i += k;
	}
	return 0;
}

int text_is_identifier(const char *s, size_t max)
{
	size_t i;

	if (!s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    *s == '_'))
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i <= max;
}

int text_is_column_name(const char *s)
{
	if (!text_is_identifier(s, 63))
		return 0;
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return 0;
	return 1;
}

int text_add_field(struct sbuf *sb, const char *name, const char *v)
{
	if (!v)
		v = "";
	sbuf_addf(sb, "%s:%zu:", name, strlen(v));
	sbuf_addstr(sb, v);
	return sbuf_addch(sb, '\n');
}

int text_add_json(struct sbuf *sb, const char *s)
{
	sbuf_addch(sb, '"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			sbuf_addf(sb, "\\%c", c);
		else if (c < 0x20)
			sbuf_addf(sb, "\\u%04x", c);
		else
			sbuf_addch(sb, c);
	}
	return sbuf_addch(sb, '"');
}
