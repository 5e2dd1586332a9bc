/*
 * fuzz_tstamp.c - tstamp_parse on any bytes: never crashes; an accepted
 * value formats to a timestamp that parses back to itself.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "engine/tstamp.h"
#include "engine/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t t, u;
	struct sbuf sb = SBUF_INIT(64);

	if (tstamp_parse((const char *)data, size, &t) == 0) {
		if (tstamp_format(t, &sb) < 0 ||
		    tstamp_parse(sb.buf, sb.len, &u) != 0 || t != u)
			abort();
	}
	sbuf_release(&sb);
	return 0;
}
