/*
 * fuzz_keynorm.c - keynorm_apply on any bytes, with options taken from
 * the first bytes: never crashes, never grows the key, keeps valid UTF-8
 * valid, and is idempotent (normalising twice changes nothing).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engine/keynorm.h"
#include "engine/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keynorm_opts o = KEYNORM_OPTS_INIT;
	struct sbuf a = SBUF_INIT(1 << 20), b = SBUF_INIT(1 << 20);
	const char *prefixes[1];
	size_t plen[1];
	const char *s;
	size_t n;

	if (size < 4)
		return 0;
	o.zeros = data[0] & 1;
	o.lower = (data[0] >> 1) & 1;
	o.strip = (const char *)data + 4;
	o.strip_len = data[1] % 4 < size - 4 ? data[1] % 4 : 0;
	plen[0] = data[2] % 4 < size - 4 ? data[2] % 4 : 0;
	prefixes[0] = (const char *)data + 4;
	o.prefix = prefixes;
	o.prefix_len = plen;
	o.nprefix = plen[0] ? 1 : 0;
	s = (const char *)data + 4;
	n = size - 4;
	if (keynorm_apply(s, n, &o, &a) < 0)
		abort();
	if (a.len > n)
		abort();
	if (utf8_valid(s, n, NULL) && !utf8_valid(a.buf, a.len, NULL))
		abort();
	/* idempotent without prefix removal (a prefix can re-appear) */
	if (!o.nprefix) {
		if (keynorm_apply(a.buf, a.len, &o, &b) < 0)
			abort();
		if (a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0)
			abort();
	}
	sbuf_release(&a);
	sbuf_release(&b);
	return 0;
}
