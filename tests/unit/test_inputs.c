/*
 * test_inputs.c - a run's inputs file (engine/inputs.h): rows written
 * come back exactly (types, NULLs, empty text, source text, approx and
 * dec_text marks, interleaved sections); a changed, truncated or
 * foreign file is refused before any row; pruning keeps the newest.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "engine/inputs.h"
#include "engine/err.h"

static char dir[] = "/tmp/recon-inputs-XXXXXX";

static void setup(void)
{
	strcpy(dir, "/tmp/recon-inputs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *const cols[] = { "id", "amount", "name", "at" };

static void row_vals(struct value *v, int i)
{
	static char text[64];

	memset(v, 0, 4 * sizeof(*v));
	v[0].type = VAL_INT;
	v[0].i = i;
	v[1].type = VAL_DEC;
	v[1].i = 123450 + i;
	v[1].s = "12.345";
	v[1].len = 6;
	if (i == 2)
		v[1].approx = "DOUBLE (approximate)";
	snprintf(text, sizeof(text), "na\xc3\xafve %d", i);
	v[2].type = i == 3 ? VAL_NULL : VAL_TEXT;
	v[2].s = i == 3 ? NULL : i == 4 ? "" : text;
	v[2].len = v[2].s ? strlen(v[2].s) : 0;
	v[2].dec_text = i == 5;
	v[3].type = VAL_TIME;
	v[3].i = 1764115200 + i;
	v[3].s = "2025-11-26 00:00:00.5";
	v[3].len = strlen(v[3].s);
}

/* Two sections, rows interleaved, then their ends. */
static void write_file(const char *run_id, struct sbuf *path)
{
	struct inputs_writer *w = NULL;
	struct error err;
	struct value v[4];

	error_init(&err);
	ck_assert_int_eq(inputs_writer_open(dir, &w, &err), 0);
	ck_assert_int_eq(inputs_writer_section(w, 0, INPUTS_REFERENCE, "ref", cols,
					       4, &err), 0);
	ck_assert_int_eq(inputs_writer_section(w, 1, INPUTS_SOURCE, "crm", cols,
					       4, &err), 0);
	for (int i = 1; i <= 6; i++) {
		row_vals(v, i);
		ck_assert_int_eq(inputs_writer_row(w, (unsigned)(i % 2), v, 4,
						   &err), 0);
	}
	ck_assert_int_eq(inputs_writer_end(w, 0, 3, &err), 0);
	ck_assert_int_eq(inputs_writer_end(w, 1, 3, &err), 0);
	ck_assert_int_eq(inputs_writer_finish(w, &err), 0);
	ck_assert_int_eq(inputs_writer_commit(w, run_id, &err), 0);
	inputs_writer_free(w);
	ck_assert_int_eq(inputs_path(dir, run_id, path), 0);
	error_release(&err);
}

START_TEST(round_trip)
{
	struct sbuf path = SBUF_INIT(4096);
	struct inputs_reader *r = NULL;
	struct inputs_item it;
	struct error err;
	int rows = 0, ends = 0, k;

	error_init(&err);
	write_file("20261201T000000Z-aa", &path);
	ck_assert_int_eq(inputs_reader_open(path.buf, &r, &err), 0);
	while ((k = inputs_reader_next(r, &it, &err)) == 1) {
		struct value want[4];

		if (it.tag == 'S' || it.tag == 'R') {
			ck_assert_str_eq(it.name, it.tag == 'S' ? "crm" : "ref");
			ck_assert_uint_eq(it.ncols, 4);
			ck_assert_str_eq(it.cols[3], "at");
			continue;
		}
		if (it.tag == 'E') {
			ck_assert_uint_eq(it.rows, 3);
			ends++;
			continue;
		}
		ck_assert_int_eq(it.tag, 'W');
		rows++;
		row_vals(want, rows);
		ck_assert_uint_eq(it.sec, (unsigned)(rows % 2));
		for (int c = 0; c < 4; c++) {
			const struct value *g = &it.vals[c], *e = &want[c];

			ck_assert_int_eq(g->type, e->type);
			ck_assert_int_eq(g->i, e->i);
			ck_assert_int_eq(g->dec_text, e->dec_text);
			if (e->s) {
				ck_assert_ptr_nonnull(g->s);
				ck_assert_uint_eq(g->len, e->len);
				ck_assert_str_eq(g->s, e->s);
			} else {
				ck_assert_ptr_null(g->s);
			}
			if (e->approx)
				ck_assert_str_eq(g->approx, e->approx);
			else
				ck_assert_ptr_null(g->approx);
		}
	}
	ck_assert_int_eq(k, 0);
	ck_assert_int_eq(rows, 6);
	ck_assert_int_eq(ends, 2);
	inputs_reader_free(r);
	sbuf_release(&path);
	error_release(&err);
}
END_TEST

/* Flip one byte at off (from the start; negative: from the end) */
static void flip(const char *path, long off)
{
	FILE *f = fopen(path, "r+b");
	int c;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, off, off < 0 ? SEEK_END : SEEK_SET), 0);
	c = fgetc(f);
	ck_assert_int_eq(fseek(f, off, off < 0 ? SEEK_END : SEEK_SET), 0);
	fputc(c ^ 0x01, f);
	fclose(f);
}

START_TEST(damage_is_refused)
{
	static const long offs[] = { 3, 40, -45, -20, -3 };
	static const char *const what[] = {
		"not an inputs file", "SHA-256 differs", "SHA-256 differs",
		"SHA-256 differs", "end marker is missing"
	};
	struct sbuf path = SBUF_INIT(4096);
	struct inputs_reader *r = NULL;
	struct error err;
	char id[64];

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		error_init(&err);
		snprintf(id, sizeof(id), "20261201T00000%zuZ-bb", i);
		write_file(id, &path);
		flip(path.buf, offs[i]);
		ck_assert_int_eq(inputs_reader_open(path.buf, &r, &err), -1);
		ck_assert_int_eq(err.code, ERR_VERIFY);
		ck_assert_msg(strstr(err.msg.buf, what[i]), "%zu: %s", i,
			      err.msg.buf);
		ck_assert_ptr_nonnull(strstr(err.msg.buf, "cannot be replayed"));
		error_release(&err);
	}
	/* truncated by one byte */
	error_init(&err);
	write_file("20261201T000009Z-cc", &path);
	ck_assert_int_eq(truncate(path.buf, 100), 0);
	ck_assert_int_eq(inputs_reader_open(path.buf, &r, &err), -1);
	ck_assert_int_eq(err.code, ERR_VERIFY);
	error_release(&err);
	sbuf_release(&path);
}
END_TEST

START_TEST(prune_keeps_newest)
{
	struct sbuf path = SBUF_INIT(4096);
	struct stat st;
	char id[64];

	for (int i = 1; i <= 4; i++) {
		snprintf(id, sizeof(id), "20261201T00000%dZ-dd", i);
		write_file(id, &path);
	}
	/* a dead process's temporary file goes too */
	snprintf(id, sizeof(id), "%s/.inputs.tmp.999999999.abcdef", dir);
	fclose(fopen(id, "w"));
	ck_assert_uint_eq(inputs_prune(dir, 2), 3);
	ck_assert_int_ne(stat(id, &st), 0);
	for (int i = 1; i <= 4; i++) {
		snprintf(id, sizeof(id), "20261201T00000%dZ-dd", i);
		inputs_path(dir, id, &path);
		ck_assert_int_eq(stat(path.buf, &st) == 0, i >= 3);
	}
	ck_assert_uint_eq(inputs_prune(dir, 2), 0);
	sbuf_release(&path);
}
END_TEST

Suite *suite_inputs(void);
Suite *suite_inputs(void)
{
	Suite *s = suite_create("inputs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, damage_is_refused);
	tcase_add_test(tc, prune_keeps_newest);
	suite_add_tcase(s, tc);
	return s;
}
