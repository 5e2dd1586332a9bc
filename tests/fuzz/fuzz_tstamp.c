/*
 * fuzz_tstamp.c - tstamp_parse on any bytes: never crashes; an accepted
 * value formats to a timestamp that parses back to itself, with its
 * fraction of a second too (tstamp_format_frac, row fingerprints).
 */
#include <stdlib.h>

#include "fuzz.h"
#include "engine/tstamp.h"
#include "engine/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t t, u;
	struct sbuf sb = SBUF_INIT(64), fr = SBUF_INIT(SIZE_MAX / 2);

	if (tstamp_parse((const char *)data, size, &t) == 0) {
		if (tstamp_format(t, &sb) < 0 ||
		    tstamp_parse(sb.buf, sb.len, &u) != 0 || t != u)
			abort();
		if (tstamp_format_frac(t, (const char *)data, size, &fr) < 0 ||
		    tstamp_parse(fr.buf, fr.len, &u) != 0 || t != u ||
		    fr.buf[fr.len - 1] != 'Z' ||
		    (fr.len > 20 && fr.buf[fr.len - 2] == '0'))
			abort();
	}
	sbuf_release(&sb);
	sbuf_release(&fr);
	return 0;
}
