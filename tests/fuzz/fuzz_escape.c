/*
 * fuzz_escape.c - the report escapers (reports/) on any text: what they
 * promise the reader of a report.
 *
 * The input up to its first NUL is the value (the escapers take C
 * strings); its first byte's low bit picks a numeric or a text CSV
 * column. Asserted, else abort():
 *   HTML  no < > " ' in the output; every & begins one of the five
 *         entities; decoding them gives back the input exactly.
 *   CSV   a bare value only in a numeric column and only if it is a plain
 *         decimal (then it is the input); anything else is one RFC 4180
 *         quoted field: starts and ends with ", every " inside doubled,
 *         and unquoting gives the input, after a ' that the escaper adds
 *         when the value starts with = + - @ TAB or CR (so a spreadsheet
 *         shows it as text, never evaluates it).
 *   JSON  (report_json_string) quoted, no < > & or control byte or raw
 *         U+2028/2029 inside; unescaping gives back the input.
 *   all   valid UTF-8 in gives valid UTF-8 out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engine/buf.h"
#include "engine/text.h"
#include "reports/report.h"
#include "reports/report_int.h"

static const char *const entities[][2] = {
	{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
	{ "&quot;", "\"" }, { "&#39;", "'" },
};

static void check_html(const char *in, size_t n, int utf8)
{
	struct sbuf out = SBUF_INIT((size_t)8 << 20), back = SBUF_INIT((size_t)8 << 20);

	if (report_html_escape(&out, in) < 0)
		abort();
	for (size_t i = 0; i < out.len; i++) {
		char c = out.buf[i];
		size_t k;

		if (c == '<' || c == '>' || c == '"' || c == '\'')
			abort();
		if (c != '&') {
			sbuf_addch(&back, c);
			continue;
		}
		for (k = 0; k < sizeof(entities) / sizeof(entities[0]); k++)
			if (strncmp(out.buf + i, entities[k][0],
				    strlen(entities[k][0])) == 0)
				break;
		if (k == sizeof(entities) / sizeof(entities[0]))
			abort();
		sbuf_addstr(&back, entities[k][1]);
		i += strlen(entities[k][0]) - 1;
	}
	if (back.failed || back.len != n || memcmp(back.buf, in, n) != 0)
		abort();
	if (utf8 && !utf8_valid(out.buf, out.len, NULL))
		abort();
	sbuf_release(&out);
	sbuf_release(&back);
}

/* JSON inside <script>: quoted; no < > & (so no <\/script, no <!--), no
 * control byte, no raw U+2028/2029; unescaping gives the input. */
static void check_json(const char *in, size_t n, int utf8)
{
	struct sbuf out = SBUF_INIT((size_t)8 << 20), back = SBUF_INIT((size_t)8 << 20);

	if (report_json_string(&out, in) < 0 || out.len < 2 ||
	    out.buf[0] != '"' || out.buf[out.len - 1] != '"')
		abort();
	for (size_t i = 1; i + 1 < out.len; i++) {
		unsigned char c = (unsigned char)out.buf[i];
		unsigned v;

		if (c == '<' || c == '>' || c == '&' || c == '"' || c < 0x20)
			abort();
		if (c == 0xE2 && i + 3 < out.len && (unsigned char)out.buf[i + 1] == 0x80 &&
		    ((unsigned char)out.buf[i + 2] == 0xA8 || (unsigned char)out.buf[i + 2] == 0xA9))
			abort();
		if (c != '\\') {
			sbuf_addch(&back, c);
			continue;
		}
		c = (unsigned char)out.buf[++i];
		switch (c) {
		case '"': case '\\': sbuf_addch(&back, c); break;
		case 'n': sbuf_addch(&back, '\n'); break;
		case 'r': sbuf_addch(&back, '\r'); break;
		case 't': sbuf_addch(&back, '\t'); break;
		case 'u':
			if (i + 4 >= out.len || sscanf(out.buf + i + 1, "%4x", &v) != 1)
				abort();
			if (v == 0x2028 || v == 0x2029) {
				sbuf_addch(&back, 0xE2);
				sbuf_addch(&back, 0x80);
				sbuf_addch(&back, v == 0x2028 ? 0xA8 : 0xA9);
			} else if (v < 0x80) {
				sbuf_addch(&back, (int)v);
			} else {
				abort();
			}
			i += 4;
			break;
		default:
			abort();
		}
	}
	if (back.failed || back.len != n || memcmp(back.buf, in, n) != 0)
		abort();
	if (utf8 && !utf8_valid(out.buf, out.len, NULL))
		abort();
	sbuf_release(&out);
	sbuf_release(&back);
}

static void check_csv(const char *in, size_t n, int numeric, int utf8)
{
	struct sbuf out = SBUF_INIT((size_t)8 << 20), cell = SBUF_INIT((size_t)8 << 20);
	size_t i;
	int neutral = n && strchr("=+-@\t\r", in[0]) != NULL;

	if (report_csv_field(&out, in, numeric) < 0)
		abort();
	if (utf8 && !utf8_valid(out.buf, out.len, NULL))
		abort();
	if (out.len == 0 || out.buf[0] != '"') {
		/* bare: a number in a number column, exactly the input */
		if (!numeric || !report_is_plain_decimal(in) || out.len != n ||
		    memcmp(out.buf, in, n) != 0)
			abort();
		goto done;
	}
	if (out.len < 2 || out.buf[out.len - 1] != '"')
		abort();
	for (i = 1; i < out.len - 1; i++) {
		if (out.buf[i] == '"') {
			if (i + 1 >= out.len - 1 || out.buf[i + 1] != '"')
				abort();	/* a lone quote inside */
			i++;
		}
		sbuf_addch(&cell, out.buf[i]);
	}
	if (cell.failed || cell.len != n + (size_t)neutral ||
	    (neutral && cell.buf[0] != '\'') ||
	    memcmp(cell.buf + neutral, in, n) != 0)
		abort();
	/* the cell a spreadsheet sees never starts a formula */
	if (cell.len && strchr("=+-@\t\r", cell.buf[0]) != NULL)
		abort();
done:
	sbuf_release(&out);
	sbuf_release(&cell);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t n;
	int numeric, utf8;

	if (size == 0)
		return 0;
	numeric = data[0] & 1;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	n = strlen(s);
	utf8 = utf8_valid(s, n, NULL);
	check_html(s, n, utf8);
	check_json(s, n, utf8);
	check_csv(s, n, numeric, utf8);
	free(s);
	return 0;
}
