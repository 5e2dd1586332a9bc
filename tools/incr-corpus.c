/*
 * incr-corpus.c - write the seed corpus of the incremental state decoder
 * (tests/fuzz/corpus/incr_decode; tests/fuzz/fuzz_incr_decode.c) with the
 * engine's own incr_writer, so the seeds follow the state file format
 * (the magic, struct incr_rec_hdr) whenever it changes. Run it through
 * tools/incr-corpus.sh after a format change and commit what it writes.
 *
 * valid.state holds one kept record (an order with two site-defined
 * fields set, text and money, and a third slot unset), one skipped and
 * one failed entry; entry-*.bin are its entries alone; every other file
 * is valid.state (or an entry) cut short or with a few bytes changed, at
 * places found from the layout, each one a different refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/canon.h"
#include "engine/err.h"
#include "engine/incr.h"

static const char *dir;

static void die(const char *what, const struct error *err)
{
	fprintf(stderr, "incr-corpus: %s: %s\n", what,
		err && err->msg.buf ? err->msg.buf : "failed");
	exit(1);
}

static void put(const char *name, const char *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		die(path, NULL);
}

static uint32_t rd32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The whole file with one change: bytes [at, at + n) replaced. */
static void put_changed(const char *name, const char *all, size_t size,
			size_t at, const void *v, size_t n)
{
	char *b = malloc(size);

	if (!b || at + n > size)
		die(name, NULL);
	memcpy(b, all, size);
	memcpy(b + at, v, n);
	put(name, b, size);
	/* a damaged record must not decode (the fuzz target relies on it) */
	if (strncmp(name, "kept-", 5) == 0) {
		struct incr_entry e;

		if (incr_decode(b + 8, 4 + rd32(b + 8), &e) == 0)
			die(name, NULL);
	}
	free(b);
}

/* Offset of s in the trailer text of all (after `from`). */
static size_t find(const char *all, size_t size, size_t from, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = from; i + n <= size; i++)
		if (memcmp(all + i, s, n) == 0)
			return i;
	die(s, NULL);
	return 0;
}

/* Entries read from DIR/NAME.state: the count, or -1 if it is refused
 * (not valid, or damaged part way). */
static long read_state(const char *name)
{
	struct incr_header h;
	struct incr_reader *r = NULL;
	struct incr_entry e;
	struct sbuf why = SBUF_INIT(1 << 16);
	struct error err;
	long n = 0;
	int rc;

	error_init(&err);
	incr_header_init(&h);
	rc = incr_reader_open(dir, name, &h, &r, &why, &err);
	if (rc < 0)
		die(name, &err);
	if (rc == 0) {
		while ((rc = incr_reader_next(r, &e, &err)) > 0)
			n++;
		if (rc < 0)
			n = -1;
	} else {
		n = -1;
	}
	incr_reader_free(r);
	incr_header_release(&h);
	sbuf_release(&why);
	error_release(&err);
	return n;
}

static const char *const refused[] = {
	"bad-end", "bad-magic", "cut-in-trailer", "cut-last-byte",
	"cut-mid-entry", "cut-tail", "entry-kind-removed",
	"entry-kind-unknown", "entry-len-plus-one", "kept-field-out-of-range",
	"kept-nx-too-many", "kept-xfield-out-of-range",
	"kept-xtab-out-of-range", "magic-only", "trailer-bad-number",
	"trailer-length-too-long", "trailer-missing-field",
	"trailer-offset-into-entry", "trailer-offset-past-end", NULL
};

int main(int argc, char **argv)
{
	struct incr_writer *w = NULL;
	struct incr_header h;
	struct canon c;
	struct error err;
	uint8_t fp[32];
	char path[4096], *all;
	size_t size, e1, e2, e3, tr, hdr, at;
	long sz;
	FILE *f;
	uint32_t v;
	struct incr_entry e;

	if (argc != 2) {
		fprintf(stderr, "usage: incr-corpus DIR\n");
		return 2;
	}
	dir = argv[1];
	error_init(&err);
	memset(fp, 7, sizeof(fp));
	canon_init(&c);
	canon_reset(&c, CANON_ORDER, 1, 5);
	canon_set(&c, CS_KEY, "O1", 2);
	canon_set(&c, CS_DEAL_REF, "D1", 2);
	c.amount = 12345;
	c.present |= CANON_HAS_AMOUNT;
	/* site-defined fields: a job with three, the first two set */
	if (canon_xset(&c, 0, 3, "EU", 2) < 0 ||
	    canon_xset_i64(&c, 1, 3, 125000) < 0)
		die("canon_xset", NULL);
	if (incr_writer_open(dir, "valid", &w, &err) < 0 ||
	    incr_writer_add(w, INCR_KEPT, "id-1", 4, fp, &c, NULL, 0, &err) ||
	    incr_writer_add(w, INCR_SKIPPED, "id-2", 4, fp, NULL, NULL, 0,
			    &err) ||
	    incr_writer_add(w, INCR_FAILED, "id-3", 4, fp, NULL,
			    "x.lua:3: boom", 13, &err))
		die("incr_writer", &err);
	incr_header_init(&h);
	sbuf_addstr(&h.run_id, "run-1");
	sbuf_addstr(&h.fingerprint, "abc");
	sbuf_addstr(&h.watermarks, "{\"src\":1}");
	h.runs = 7;
	incr_wm_parse(&h.wm, WM_TEXT, "2026-11-26", 10);
	if (incr_writer_finish(w, &h, &err) < 0 ||
	    incr_writer_commit(w, &err) < 0)
		die("incr_writer", &err);
	incr_writer_free(w);
	incr_header_release(&h);
	canon_release(&c);

	snprintf(path, sizeof(path), "%s/valid.state", dir);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 24 ||
	    fseek(f, 0, SEEK_SET) != 0)
		die(path, NULL);
	size = (size_t)sz;
	all = malloc(size);
	if (!all || fread(all, 1, size, f) != size)
		die(path, NULL);
	fclose(f);

	/* the entries: u32 n, then n bytes; the trailer's offset before the
	 * last 8 bytes ("RECONEND") */
	e1 = 8;
	e2 = e1 + 4 + rd32(all + e1);
	e3 = e2 + 4 + rd32(all + e2);
	tr = e3 + 4 + rd32(all + e3);
	if (tr + 4 + rd32(all + tr) != size - 16)
		die("layout", NULL);
	/* the kept record's header: after n, kind, id_len, the id, the
	 * fingerprint; its off[0] after status..pad1, present, xpresent,
	 * xtab, nx, pad2, amount, time, rowno */
	hdr = e1 + 12 + rd32(all + e1 + 8) + 32;

	put("entry-kept.bin", all + e1, e2 - e1);
	put("entry-skipped.bin", all + e2, e3 - e2);
	put("entry-failed.bin", all + e3, tr - e3);
	put("entry-trailer.bin", all + tr, size - 16 - tr);
	put("magic-only.state", all, 8);
	put("cut-mid-entry.state", all, e1 + (e2 - e1) / 2);
	put("cut-in-trailer.state", all, tr + (size - 16 - tr) / 2);
	put("cut-tail.state", all, size - 16);
	put("cut-last-byte.state", all, size - 1);
	put_changed("bad-magic.state", all, size, 7, "2", 1);
	put_changed("bad-end.state", all, size, size - 1, "X", 1);
	v = rd32(all + e1) + 1;
	put_changed("entry-len-plus-one.state", all, size, e1, &v, 4);
	v = INCR_REMOVED;
	put_changed("entry-kind-removed.state", all, size, e2 + 4, &v, 4);
	v = 9;
	put_changed("entry-kind-unknown.state", all, size, e2 + 4, &v, 4);
	/* a string field's offset past the record's data */
	at = hdr + 4 + 4 + 16 + 24;
	put_changed("kept-field-out-of-range.state", all, size, at,
		    "\xff\xff", 2);
	{
		char b[4096];

		memcpy(b, all + e1, e2 - e1);
		memcpy(b + (at - e1), "\xff\xff", 2);
		put("kept-field-out-of-range.bin", b, e2 - e1);
	}
	/* the slot table (xtab) past the data; a slot's offset past it;
	 * nx over CANON_XMAX. The decoder finds the data and the table. */
	if (incr_decode(all + e1, e2 - e1, &e) < 0 || e.rec.nx != 3 ||
	    e.rec.xpresent != 3)
		die("decoding the kept entry", NULL);
	v = 0xffff;
	put_changed("kept-xtab-out-of-range.state", all, size, hdr + 12, &v,
		    4);
	at = (size_t)(e.rec.data.buf - all) + e.rec.xtab;
	put_changed("kept-xfield-out-of-range.state", all, size, at,
		    "\xff\xff", 2);
	v = 33;
	put_changed("kept-nx-too-many.state", all, size, hdr + 16, &v, 4);
	/* the trailer's text */
	at = find(all, size, tr, "runs 1:") + 7;
	put_changed("trailer-bad-number.state", all, size, at, "x", 1);
	at = find(all, size, tr, "run_id ") + 7;
	put_changed("trailer-length-too-long.state", all, size, at, "9", 1);
	at = find(all, size, tr, "entries ") + 6;
	put_changed("trailer-missing-field.state", all, size, at, "z", 1);
	v = 9;
	put_changed("trailer-offset-into-entry.state", all, size, size - 16,
		    &v, 4);
	v = 1000;
	put_changed("trailer-offset-past-end.state", all, size, size - 16,
		    &v, 4);
	put("empty", "", 0);
	free(all);

	/* the seeds are what they say: valid.state reads back whole, every
	 * damaged one is refused */
	if (read_state("valid") != 3)
		die("valid.state does not read back", NULL);
	for (size_t i = 0; refused[i]; i++)
		if (read_state(refused[i]) != -1)
			die(refused[i], NULL);
	error_release(&err);
	return 0;
}
