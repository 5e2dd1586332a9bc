/*
 * text.h - UTF-8 validation, clean text for messages, identifiers.
 */
#ifndef RECON_TEXT_H
#define RECON_TEXT_H

#include <stddef.h>

#include "buf.h"

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, nothing
 * above U+10FFFF); else 0 with *bad set to the offset of the first bad
 * byte (if bad is not NULL). */
int utf8_valid(const char *s, size_t n, size_t *bad);

/* Bytes of the well-formed UTF-8 character at s[0..n) (1..4), or 0 if
 * the bytes there are not one (or n is 0). */
size_t utf8_seq_len(const char *s, size_t n);

/* What text_add_clean() appends when it cuts; %zu is the length of the
 * whole original text in bytes. */
#define TEXT_CUT_MARK " [... message cut: %zu bytes]"

/*
 * Append s[0..n) to out as well-formed UTF-8 without NUL bytes, so that
 * the store, the CSV and the HTML report all hold the same text: a NUL
 * becomes the two characters \0, a byte that is not UTF-8 the four
 * characters \xNN (upper-case hex). If the result would pass cap bytes
 * it stops at the last whole character that fits and appends
 * TEXT_CUT_MARK (so at most cap + the mark's length are appended). Text
 * that is already clean and within cap is appended byte for byte.
 * Returns 0, or -1 (sbuf full or out of memory; see out->failed).
 */
int text_add_clean(struct sbuf *out, const char *s, size_t n, size_t cap);

/* 1 if s is an SQL identifier we accept to paste into SQL text (table
 * and column names cannot be bound): [A-Za-z_][A-Za-z0-9_]*, at most max
 * bytes. The one place this rule lives; values are always bound. */
int text_is_identifier(const char *s, size_t max);

/* 1 if s is a declared store column name: a text_is_identifier() of at
 * most 63 bytes in lower case only ([a-z_][a-z0-9_]*), so that it names
 * the same column quoted or not on every DBMS. */
int text_is_column_name(const char *s);

/* Append s (NULL: "") as a JSON string: quotes, backslashes and control
 * characters escaped, other bytes as they are (s is valid UTF-8 where
 * the engine writes it). The result of the last append. */
int text_add_json(struct sbuf *sb, const char *s);
/* A hashed field as T_notes and T_report serialise one: NAME ":" LENGTH
 * ":" BYTES "\n" (v NULL: ""). 0 or -1 (sbuf). */
int text_add_field(struct sbuf *sb, const char *name, const char *v);

#endif
