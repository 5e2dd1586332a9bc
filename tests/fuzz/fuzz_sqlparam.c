/*
 * fuzz_sqlparam.c - the SQLite parameter rewriter (connectors/sqlparam.c)
 * and the read-only keyword check on any bytes.
 *
 * Input: the first byte is the number of parameters (mod 16), the rest is
 * the query. The query is copied into a buffer of exactly its length
 * plus the NUL, so ASan catches any read beyond it. Asserted:
 *  - the rewriter never reads out of bounds (ASan) and returns 0, 1 or -1;
 *  - when it accepts (1), the output has no `?` outside string literals,
 *    quoted identifiers and comments (checked by a separate scanner
 *    below, not the rewriter's own loop), and is exactly the input with
 *    nparams `?` replaced by the subquery text, so its length is known;
 *  - odbc_first_keyword stays within the query and returns a keyword of
 *    letters, digits and underscores.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "connectors/odbc_int.h"
#include "engine/buf.h"

#define SET 7ULL

/* `?` outside quotes and comments in s (SQLite's lexical rules: '..'
 * "..", `..` with doubled quotes, [..] without, -- to the end of the
 * line, slash-star to star-slash or the end). */
static int bare_marks(const char *s, size_t n)
{
	enum { CODE, QUOTED, LINE, BLOCK } state = CODE;
	char close = 0;
	int marks = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		switch (state) {
		case CODE:
			if (ch == '\'' || ch == '"' || ch == '`' || ch == '[') {
				close = ch == '[' ? ']' : ch;
				state = QUOTED;
			} else if (ch == '-' && i + 1 < n && s[i + 1] == '-') {
				state = LINE;
				i++;
			} else if (ch == '/' && i + 1 < n && s[i + 1] == '*') {
				state = BLOCK;
				i++;	/* the star: "/" "*" "/" is not closed */
				if (i + 1 < n && s[i + 1] == '/')
					i++;	/* never a closing star-slash */
			} else if (ch == '?') {
				marks++;
			}
			break;
		case QUOTED:
			if (ch == close) {
				if (close != ']' && i + 1 < n && s[i + 1] == close)
					i++;
				else
					state = CODE;
			}
			break;
		case LINE:
			if (ch == '\n')
				state = CODE;
			break;
		case BLOCK:
			if (ch == '*' && i + 1 < n && s[i + 1] == '/') {
				state = CODE;
				i++;
			}
			break;
		}
	}
	return marks;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf out = SBUF_INIT((size_t)16 << 20);
	size_t nparams, len, want, kwlen;
	const char *kw;
	char *sql;
	int rc;

	if (size == 0)
		return 0;
	nparams = data[0] % 16;
	sql = malloc(size);	/* size - 1 bytes of query and the NUL */
	if (!sql)
		return 0;
	memcpy(sql, data + 1, size - 1);
	sql[size - 1] = '\0';
	len = strlen(sql);	/* an embedded NUL ends the query */

	rc = odbc_sqlite_rewrite(sql, nparams, SET, &out);
	if (rc < -1 || rc > 1)
		abort();
	if (rc == 1) {
		want = len;
		for (size_t k = 1; k <= nparams; k++) {
			char sub[128];
			int m = snprintf(sub, sizeof(sub), "(SELECT v FROM "
					 "temp.recon_param WHERE g = %llu AND "
					 "i = %zu)", SET, k);

			want += (size_t)m - 1;
		}
		if (out.len != want || bare_marks(out.buf, out.len) != 0 ||
		    bare_marks(sql, len) != (int)nparams)
			abort();
	}

	odbc_is_query(sql, &kw, &kwlen);
	if (kw < sql || kw + kwlen > sql + len)
		abort();
	for (size_t i = 0; i < kwlen; i++) {
		char ch = kw[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '_'))
			abort();
	}
	sbuf_release(&out);
	free(sql);
	return 0;
}
