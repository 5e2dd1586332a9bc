/*
 * keynorm.h - the key normaliser behind the rules' key() helper.
 *
 * Keys from different systems name the same order differently
 * ("so-00123 ", "SO 123", "123"). keynorm_apply() maps them onto one
 * spelling, in this fixed order:
 *
 *   1. trim ASCII whitespace at both ends and collapse every inner run of
 *      ASCII whitespace (space, \t, \n, \v, \f, \r) to one space;
 *   2. upper-case ASCII letters (or lower-case them if o->lower);
 *   3. delete every byte that is in o->strip (compared after step 2, so
 *      stripping "x" also strips "X"; a space in strip removes all
 *      whitespace);
 *   4. remove the first prefix of o->prefix that matches (compared after
 *      step 2, case-folded the same way), then trim leading spaces left by
 *      the removal;
 *   5. if o->zeros, remove leading '0's, keeping one '0' if nothing else
 *      is left.
 *
 * Bytes >= 0x80 (the parts of non-ASCII UTF-8 characters) are copied as
 * they are and never match strip, so valid UTF-8 stays valid. The output
 * is never longer than the input.
 */
#ifndef RECON_KEYNORM_H
#define RECON_KEYNORM_H

#include <stddef.h>

#include "buf.h"

struct keynorm_opts {
	const char *strip;	/* bytes to delete; NULL or "" for none */
	size_t strip_len;
	const char *const *prefix;	/* prefixes to remove (first match) */
	const size_t *prefix_len;	/* their lengths */
	size_t nprefix;
	int zeros;		/* 1: drop leading zeros */
	int lower;		/* 1: lower-case instead of upper-case */
};

#define KEYNORM_OPTS_INIT { NULL, 0, NULL, NULL, 0, 0, 0 }

/*
 * Append the normalised form of s[0..n) to out (o may be NULL for the
 * defaults). Borrowed arguments only; nothing is kept. Returns 0, or -1
 * if out could not grow (out->failed says why).
 */
int keynorm_apply(const char *s, size_t n, const struct keynorm_opts *o,
		  struct sbuf *out);

#endif
