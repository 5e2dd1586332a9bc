/*
 * text.h - UTF-8 validation and the key normaliser.
 */
#ifndef RECON_TEXT_H
#define RECON_TEXT_H

#include <stddef.h>

#include "buf.h"

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, nothing
 * above U+10FFFF); else 0 with *bad set to the offset of the first bad
 * byte (if bad is not NULL). */
int utf8_valid(const char *s, size_t n, size_t *bad);

/* 1 if s is an SQL identifier we accept to paste into SQL text (table
 * and column names cannot be bound): [A-Za-z_][A-Za-z0-9_]*, at most max
 * bytes. The one place this rule lives; values are always bound. */
int text_is_identifier(const char *s, size_t max);

/* 1 if s is a declared store column name: a text_is_identifier() of at
 * most 63 bytes in lower case only ([a-z_][a-z0-9_]*), so that it names
 * the same column quoted or not on every DBMS. */
int text_is_column_name(const char *s);

#endif
