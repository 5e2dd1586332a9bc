/*
 * fuzz_incr_decode.c - the incremental state decoder (engine/incr.c) on
 * any bytes: a damaged, truncated or forged state file is refused
 * cleanly (no crash, no read outside the input, no leak), never taken
 * for a previous state.
 *
 * Each input is decoded twice:
 *   - as one entry (incr_decode): refused, or every part it points at
 *     (id, record bytes and their fields, message) lies inside the
 *     input, and every strict prefix of it is refused;
 *   - as a whole state file DIR/fz.state (incr_reader_open, then
 *     incr_reader_next to the trailer): "not valid" (1), or opened and
 *     every entry read or the file called damaged (ERR_IO); a file that
 *     opens is refused once its last byte is cut off.
 * The seed corpus (tests/fuzz/corpus/incr_decode) holds a state file
 * written by incr_writer (one kept record with site-defined fields, one
 * skipped, one failed entry) and truncations and corruptions of it;
 * tools/incr-corpus.sh rewrites it after a change of the file format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "engine/err.h"
#include "engine/incr.h"

static char dir[] = "/tmp/recon-fuzz-incr-XXXXXX";
static char path[sizeof(dir) + 16];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static int inside(const char *p, size_t n, const char *q, size_t m)
{
	return m == 0 || (q >= p && q <= p + n && m <= (size_t)(p + n - q));
}

static void check_entry(const char *p, size_t n)
{
	struct incr_entry e;

	if (incr_decode(p, n, &e) < 0)
		return;
	if (e.kind < INCR_KEPT || e.kind > INCR_TRAILER ||
	    !inside(p, n, e.id, e.id_len) || e.raw != p || e.raw_len != n)
		abort();
	if (e.kind == INCR_KEPT) {
		if (!inside(p, n, e.rec.data.buf, e.rec.data.len) ||
		    e.rec.data.alloc != 0)
			abort();
		for (int f = 0; f < CS__COUNT; f++)
			if (e.rec.off[f] > e.rec.data.len ||
			    e.rec.len[f] > e.rec.data.len - e.rec.off[f])
				abort();
		/* each site-defined field set lies inside the record */
		if (e.rec.nx > CANON_XMAX)
			abort();
		for (unsigned i = 0; i < e.rec.nx; i++) {
			size_t m;
			const char *q = canon_xget(&e.rec, i, &m);

			int set = (e.rec.xpresent >> i) & 1;

			if (set ? !q || !inside(e.rec.data.buf,
						 e.rec.data.len, q, m)
				: q != NULL)
				abort();
		}
	}
	if ((e.kind == INCR_FAILED || e.kind == INCR_TRAILER) &&
	    !inside(p, n, e.msg, e.msg_len))
		abort();
	for (size_t k = 0; k < n; k++) {
		struct incr_entry t;

		if (incr_decode(p, k, &t) == 0)
			abort();	/* a truncated entry taken as one */
	}
}

/* 1 if the file opened (and was read to its end or called damaged). */
static int check_file(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	struct incr_header h;
	struct incr_reader *r = NULL;
	struct incr_entry e;
	struct sbuf why = SBUF_INIT(1 << 16);
	struct error err;
	int rc, opened;

	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
	error_init(&err);
	incr_header_init(&h);
	rc = incr_reader_open(dir, "fz", &h, &r, &why, &err);
	if (rc < 0 && err.code != ERR_NOMEM)
		abort();
	if (rc == 1 && (r || !why.len))
		abort();	/* refused without saying why */
	opened = rc == 0;
	if (opened) {
		while ((rc = incr_reader_next(r, &e, &err)) > 0)
			if (e.kind != INCR_KEPT && e.kind != INCR_SKIPPED &&
			    e.kind != INCR_FAILED)
				abort();
		if (rc < 0 && err.code != ERR_IO && err.code != ERR_NOMEM)
			abort();
	}
	incr_reader_free(r);
	incr_header_release(&h);
	sbuf_release(&why);
	error_release(&err);
	return opened;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/fz.state", dir);
		atexit(cleanup);
	}
	check_entry((const char *)data, size);
	/* the file cut by one byte loses its "RECONEND" tail: refused */
	if (check_file(data, size) && size && check_file(data, size - 1))
		abort();
	return 0;
}
