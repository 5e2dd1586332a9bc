/*
 * fuzz_utf8.c - utf8_valid on any bytes: never reads past the end, and a
 * reported bad offset lies inside the input.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "engine/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t bad = 0;

	if (!utf8_valid((const char *)data, size, &bad) && bad >= size)
		abort();
	return 0;
}
