/*
 * fuzz_money.c - money_parse on any bytes: never crashes, and whatever it
 * accepts formats back to a string that parses to the same value.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "engine/money.h"
#include "engine/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t v, w;
	struct sbuf sb = SBUF_INIT(64);

	if (money_parse((const char *)data, size, &v) == MONEY_OK) {
		if (money_format(v, 0, &sb) < 0 ||
		    money_parse(sb.buf, sb.len, &w) != MONEY_OK || v != w)
			abort();
	}
	sbuf_release(&sb);
	return 0;
}
