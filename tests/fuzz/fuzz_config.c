/*
 * fuzz_config.c - config_read_text (engine/config.c) on any bytes:
 * reads or fails with ERR_USAGE/ERR_NOMEM naming "t.conf:LINE" (or the
 * file), never crashes, never leaks; whatever it set reads back.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engine/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct error err;
	struct sbuf out = SBUF_INIT(1 << 20);

	config_init(&c);
	error_init(&err);
	if (config_read_text(&c, "t.conf", (const char *)data, size, &err) == 0) {
		for (int i = 0; i < CONFIG__COUNT; i++)
			(void)config_num(&c, (enum config_id)i);
		if (config_format(&c, 1, &out) < 0 || config_format(&c, 0, &out) < 0)
			abort();
	} else if ((err.code != ERR_USAGE && err.code != ERR_NOMEM) ||
		   strncmp(err.msg.buf, "t.conf:", 7) != 0) {
		abort();
	}
	sbuf_release(&out);
	error_release(&err);
	config_release(&c);
	return 0;
}
