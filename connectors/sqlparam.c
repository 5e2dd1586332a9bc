/*
 * sqlparam.c - SQLite sources stream only without ODBC parameters
 * (see odbc_int.h, odbc_sqlite_params).
 *
 * sqliteodbc executes a SELECT step by step (StepAPI=1) only when the
 * statement has no parameters and no transaction is open; with any
 * parameter it reads the whole result into memory first (the engine's
 * peak memory: 743-863 MB for the demo ERP query at a million deals,
 * docs/CONNECTORS.md). So on SQLite, outside a transaction, the values
 * are written into a temporary table by an INSERT whose values are bound
 * parameters, and each `?` of the query becomes a scalar subquery reading
 * its value back. Values are still never pasted into SQL; only the
 * engine's own integers (the set and position numbers) are.
 *
 * The rewriter skips `?` inside string literals, quoted identifiers
 * ("x", [x], `x`) and comments, exactly as SQLite's tokenizer does. It
 * declines (returns 0) for numbered or named parameters (?1, :x, @x, $x)
 * or a count that does not match: the query then runs with bound
 * parameters as before.
 */
#include <string.h>

#include "odbc_int.h"
#include "../engine/banned.h"

/* The subquery that replaces the k-th `?` (1-based) of set g. */
#define SUBQ "(SELECT v FROM temp.recon_param WHERE g = %llu AND i = %zu)"

int odbc_sqlite_rewrite(const char *sql, size_t nparams, unsigned long long g,
			struct sbuf *out)
{
	size_t i = 0, k = 0, n = strlen(sql);

	while (i < n) {
		char ch = sql[i];
		size_t start = i;

		if (ch == '\'' || ch == '"' || ch == '`' || ch == '[') {
			char close = ch == '[' ? ']' : ch;

			/* to the closing quote; a doubled quote is one
			 * character ('it''s'), except in [ ] */
			for (i++; i < n; i++)
				if (sql[i] == close) {
					if (close != ']' && i + 1 < n &&
					    sql[i + 1] == close)
						i++;
					else
						break;
				}
			if (i == n)
				return 0;	/* unterminated: let SQLite say */
			i++;
		} else if (ch == '-' && i + 1 < n && sql[i + 1] == '-') {
			while (i < n && sql[i] != '\n')
				i++;
		} else if (ch == '/' && i + 1 < n && sql[i + 1] == '*') {
			const char *e = strstr(sql + i + 2, "*/");

			i = e ? (size_t)(e - sql) + 2 : n;
		} else if (ch == '?') {
			if (i + 1 < n && sql[i + 1] >= '0' && sql[i + 1] <= '9')
				return 0;	/* ?NNN */
			if (++k > nparams)
				return 0;
			sbuf_addf(out, SUBQ, g, k);
			i++;
			continue;
		} else if (ch == ':' || ch == '@' || ch == '$') {
			if (i + 1 < n && (sql[i + 1] == '_' ||
					  (sql[i + 1] >= 'A' && sql[i + 1] <= 'Z') ||
					  (sql[i + 1] >= 'a' && sql[i + 1] <= 'z')))
				return 0;	/* a named parameter */
			i++;
		} else {
			i++;
		}
		sbuf_add(out, sql + start, i - start);
	}
	if (k != nparams)
		return 0;
	return out->failed ? -1 : 1;
}

/*
 * The first keyword of a query, for the read-only check of sources
 * (odbc_int.h): leading blanks, comments (-- to the end of the line,
 * a slash-star comment to its end) and opening parentheses are skipped,
 * then the letters, digits and underscores that follow are the keyword.
 * An unterminated comment leaves nothing: the keyword is empty.
 */
void odbc_first_keyword(const char *sql, const char **kw, size_t *len)
{
	const char *p = sql;

	for (;;) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f' || *p == '\v' || *p == '(') {
			p++;
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");

			p = e ? e + 2 : p + strlen(p);
		} else {
			break;
		}
	}
	*kw = p;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	       (*p >= '0' && *p <= '9') || *p == '_')
		p++;
	*len = (size_t)(p - *kw);
}

int odbc_is_query(const char *sql, const char **kw, size_t *len)
{
	static const char *const ok[] = { "SELECT", "WITH", "VALUES", "TABLE" };

	odbc_first_keyword(sql, kw, len);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t n = strlen(ok[i]), k;

		if (*len != n)
			continue;
		for (k = 0; k < n; k++) {
			char ch = (*kw)[k];

			if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');
			if (ch != ok[i][k])
				break;
		}
		if (k == n)
			return 1;
	}
	return 0;
}
