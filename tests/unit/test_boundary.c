/*
 * test_boundary.c - the rule boundary: what crosses from Lua rules into
 * the engine must be kept exactly or refused as a per-record failure
 * naming file:line and the field (NUL bytes, invalid UTF-8, times outside
 * years 1..9999), fail() messages are capped at a character boundary
 * with the mark, and translate= must name a function of the rule files
 * (docs/RULES.md, "What the engine keeps").
 *
 * Jobs, rows and groups are built by hand, as in test_rules.c; rule files
 * live in tests/data/rules/.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/rules.h"
#include "engine/tstamp.h"
#include "rules_util.h"

#define DIR "tests/data/rules/"

Suite *suite_boundary(void);

#define BDIR DIR "boundary.lua"

static const char *const boundary_fns[] = {
	"set_field", "nul_key", "bad_utf8", "set_time", "time_extremes",
	"raise_dirty", "raise_dirty_nolevel", NULL
};

static const char *const bcols[] = { "field", "value", "t", "which" };

struct brow {
	struct value v[4];
	struct row row;
};

/* Values by field name: struct value may grow fields (left zero). */
static struct value val_text(const char *s, size_t n)
{
	return (struct value){ .type = VAL_TEXT, .s = s, .len = n };
}

static struct value val_int(int64_t i)
{
	return (struct value){ .type = VAL_INT, .i = i };
}

/* A row: field name, text value (n bytes, may hold NULs), integer t. */
static void brow_init(struct brow *b, const char *field_name,
		      const char *val, size_t n, int64_t t, const char *which)
{
	memset(b, 0, sizeof(*b));
	b->v[0] = val_text(field_name, strlen(field_name));
	b->v[1] = val_text(val, n);
	b->v[2] = val_int(t);
	b->v[3] = val_text(which, strlen(which));
	b->row.ncols = 4;
	b->row.names = bcols;
	b->row.vals = b->v;
	b->row.rowno = 1;
}

static int btranslate(struct rules *r, const char *fn, const struct row *row,
		      struct canon *c, struct sbuf *fail)
{
	struct error err;
	size_t si = 0;
	int rc;

	while (strcmp(boundary_fns[si], fn) != 0)
		si++;
	error_init(&err);
	sbuf_reset(fail);
	canon_reset(c, CANON_DEAL, (uint16_t)si, row->rowno);
	rc = rules_translate(r, si, row, c, fail, &err);
	ck_assert_msg(rc != -1, "fatal: %s", err.msg.buf);
	error_release(&err);
	return rc;
}

/* NUL bytes and invalid UTF-8 in any canonical text field, from the
 * source or made in Lua: a per-record failure naming file:line and the
 * field, never a truncated or invalid value in the record. */
START_TEST(boundary_text)
{
	static const char *const files[] = { BDIR, NULL };
	struct tjob t;
	struct rules *r;
	struct brow b;
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 20), want = SBUF_INIT(4096);

	tjob_init(&t, files, boundary_fns);
	r = open_ok(&t);
	canon_init(&c);
	for (int f = 0; f < CS__COUNT; f++) {
		sbuf_reset(&want);
		sbuf_addf(&want, BDIR ":8: out.%s: text with a NUL byte (at "
			  "position 2) cannot be kept; remove it, e.g. "
			  "value:gsub(\"\\0\", \"\")", canon_field_names[f]);
		brow_init(&b, canon_field_names[f], "A\0B", 3, 0, "");
		ck_assert_int_eq(btranslate(r, "set_field", &b.row, &c, &fail),
				 -2);
		ck_assert_str_eq(fail.buf, want.buf);

		sbuf_reset(&want);
		sbuf_addf(&want, BDIR ":8: out.%s: text is not valid UTF-8 "
			  "(byte 0xC3 at position 3); convert the value to "
			  "UTF-8 or drop the bad bytes", canon_field_names[f]);
		brow_init(&b, canon_field_names[f], "ab\xc3(", 4, 0, "");
		ck_assert_int_eq(btranslate(r, "set_field", &b.row, &c, &fail),
				 -2);
		ck_assert_str_eq(fail.buf, want.buf);

		/* well-formed text is kept byte for byte */
		brow_init(&b, canon_field_names[f], "M\xc3\xbcller \xf0\x9f\x98\x80",
			  12, 0, "");
		ck_assert_int_eq(btranslate(r, "set_field", &b.row, &c, &fail),
				 1);
		ck_assert_str_eq(field(&c, (enum canon_str)f),
				 "M\xc3\xbcller \xf0\x9f\x98\x80");
	}
	/* a refused value is shown whole in its message, not cut at a NUL */
	brow_init(&b, "status", "won\0x", 5, 0, "");
	ck_assert_int_eq(btranslate(r, "set_field", &b.row, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, BDIR ":8: out.status = \"won\\0x\": not one "
			 "of open, won, fulfilled, cancelled, draft, posted");
	brow_init(&b, "amount", "12\0.50", 6, 0, "");
	ck_assert_int_eq(btranslate(r, "set_field", &b.row, &c, &fail), -2);
	ck_assert_msg(strncmp(fail.buf, BDIR ":8: out.amount = \"12\\0.50\": ",
			      strlen(BDIR ":8: out.amount = \"12\\0.50\": ")) == 0,
		      "%s", fail.buf);
	brow_init(&b, "time", "2026-01-01\xff", 11, 0, "");
	ck_assert_int_eq(btranslate(r, "set_field", &b.row, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, BDIR ":8: out.time = \"2026-01-01\\xFF\": not "
			 "a date (expected YYYY-MM-DD, optionally with "
			 "HH:MM[:SS])");
	brow_init(&b, "key", "", 0, 0, "");
	ck_assert_int_eq(btranslate(r, "nul_key", &b.row, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, BDIR ":13: out.key: text with a NUL byte "
			 "(at position 2) cannot be kept; remove it, e.g. "
			 "value:gsub(\"\\0\", \"\")");
	ck_assert_int_eq(btranslate(r, "bad_utf8", &b.row, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, BDIR ":18: out.name: text is not valid "
			 "UTF-8 (byte 0xE9 at position 4); convert the value "
			 "to UTF-8 or drop the bad bytes");
	/* a rule error's own text: NUL and bad bytes made visible */
	ck_assert_int_eq(btranslate(r, "raise_dirty", &b.row, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, BDIR ":38: bad \\0 value \\xFF here");
	/* error(msg, 0): the position comes from the message handler, which
	 * must not cut the message at its NUL */
	ck_assert_int_eq(btranslate(r, "raise_dirty_nolevel", &b.row, &c,
				    &fail), -2);
	ck_assert_str_eq(fail.buf, BDIR ":59: bad \\0 value");
	canon_release(&c);
	sbuf_release(&fail);
	sbuf_release(&want);
	rules_free(r);
}
END_TEST

/* out.time outside years 1..9999 is a per-record failure (it was
 * undefined behaviour in tstamp_format and then exit 5 for the run). */
START_TEST(boundary_time)
{
	static const char *const files[] = { BDIR, NULL };
	static const int64_t bad[] = { TSTAMP_MIN - 1, TSTAMP_MAX + 1 };
	struct tjob t;
	struct rules *r;
	struct brow b;
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 20), want = SBUF_INIT(4096);

	tjob_init(&t, files, boundary_fns);
	r = open_ok(&t);
	canon_init(&c);
	for (size_t i = 0; i < 2; i++) {
		brow_init(&b, "key", "", 0, bad[i], "");
		ck_assert_int_eq(btranslate(r, "set_time", &b.row, &c, &fail),
				 -2);
		sbuf_reset(&want);
		sbuf_addf(&want, BDIR ":24: out.time = %lld: outside the years "
			  "0001 to 9999 (epoch seconds -62135596800 to "
			  "253402300799)", (long long)bad[i]);
		ck_assert_str_eq(fail.buf, want.buf);
	}
	brow_init(&b, "key", "", 0, 0, "min");
	ck_assert_int_eq(btranslate(r, "time_extremes", &b.row, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, BDIR ":30: out.time = -9223372036854775808: "
			 "outside the years 0001 to 9999 (epoch seconds "
			 "-62135596800 to 253402300799)");
	brow_init(&b, "key", "", 0, 0, "max");
	ck_assert_int_eq(btranslate(r, "time_extremes", &b.row, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, BDIR ":32: out.time = 9223372036854775807: "
			 "outside the years 0001 to 9999 (epoch seconds "
			 "-62135596800 to 253402300799)");
	brow_init(&b, "key", "", 0, TSTAMP_MIN, "");
	ck_assert_int_eq(btranslate(r, "set_time", &b.row, &c, &fail), 1);
	ck_assert(c.time == TSTAMP_MIN);
	brow_init(&b, "key", "", 0, TSTAMP_MAX, "");
	ck_assert_int_eq(btranslate(r, "set_time", &b.row, &c, &fail), 1);
	ck_assert(c.time == TSTAMP_MAX);
	canon_release(&c);
	sbuf_release(&fail);
	sbuf_release(&want);
	rules_free(r);
}
END_TEST

/* fail(): a message with a NUL or bad UTF-8 is a RULE_ERROR; a long one
 * is cut at a character boundary with the marker; an error()'s text is
 * cleaned and capped the same way. */
START_TEST(boundary_fail)
{
	static const char *const files[] = { BDIR, NULL };
	struct tjob t;
	struct rules *r;
	struct verdict_list l;
	struct sbuf want = SBUF_INIT(1 << 20);

	tjob_init(&t, files, boundary_fns);
	r = open_ok(&t);
	verdict_list_init(&l);

	check_key(r, "NUL", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].is_error, 1);
	ck_assert_str_eq(l.v[0].code, "RULE_ERROR");
	ck_assert_str_eq(l.v[0].where, BDIR ":43");
	ck_assert_str_eq(l.v[0].message, "fail(\"X_NUL\", message): text with "
			 "a NUL byte (at position 2) cannot be kept; remove "
			 "it, e.g. value:gsub(\"\\0\", \"\")");

	check_key(r, "BAD", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].is_error, 1);
	ck_assert_str_eq(l.v[0].where, BDIR ":45");
	ck_assert_str_eq(l.v[0].message, "fail(\"X_BAD\", message): text is "
			 "not valid UTF-8 (byte 0xC3 at position 4); convert "
			 "the value to UTF-8 or drop the bad bytes");

	/* 70001 bytes: "a" and 35000 two-byte characters; 4095 fit */
	check_key(r, "LONG", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].is_error, 0);
	ck_assert_str_eq(l.v[0].code, "X_LONG");
	sbuf_addch(&want, 'a');
	for (int i = 0; i < 2047; i++)
		sbuf_addstr(&want, "\xc3\xa9");
	sbuf_addstr(&want, " [... message cut: 70001 bytes]");
	ck_assert_uint_eq(strlen(l.v[0].message), 4095 + 31);
	ck_assert_str_eq(l.v[0].message, want.buf);

	/* exactly the cap: kept whole */
	check_key(r, "EXACT", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(strlen(l.v[0].message), 4096);
	ck_assert_ptr_null(strstr(l.v[0].message, "cut"));

	/* error("x" .. 3000 NULs): each NUL is 2 characters "\0"; the mark
	 * counts the whole text, its "file:line: " (34 bytes) included */
	check_key(r, "ERR", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].is_error, 1);
	ck_assert_str_eq(l.v[0].where, BDIR ":51");
	ck_assert_ptr_nonnull(strstr(l.v[0].message,
				     " [... message cut: 3035 bytes]"));
	ck_assert_uint_le(strlen(BDIR ":51: ") + strlen(l.v[0].message),
			  4096 + 30);
	ck_assert(strncmp(l.v[0].message, "x\\0\\0", 5) == 0);

	verdict_list_release(&l);
	sbuf_release(&want);
	rules_free(r);
}
END_TEST

/* A rule name the engine could not keep is refused while loading. */
START_TEST(boundary_rule_name)
{
	static const char *const files[] = { DIR "badname.lua", NULL };
	struct tjob t;
	struct error err;

	tjob_init(&t, files, NULL);
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_int_eq(err.line, 2);
	ck_assert_str_eq(err.msg.buf, DIR "badname.lua:2: rule() name: text "
			 "with a NUL byte (at position 3) cannot be kept; "
			 "remove it, e.g. value:gsub(\"\\0\", \"\")");
	error_release(&err);
}
END_TEST

/* translate= naming a built-in (by its own name or through an alias in a
 * rule file) is refused at load, naming the job file line. */
START_TEST(boundary_translate_builtin)
{
	static const char *const files[] = { DIR "builtin.lua", NULL };
	static const char *const names[] = { "tostring", "type", "pairs",
					     "my_translate" };
	struct tjob t;
	struct error err;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		static const char *tr[] = { "real", NULL, NULL };
		struct sbuf want = SBUF_INIT(4096);

		tr[1] = names[i];
		tjob_init(&t, files, tr);
		t.src[1].name = (char *)"crm";
		t.src[1].line = 17;
		t.job.path = (char *)"jobs/site.xml";
		open_fail(&t, &err);
		ck_assert_int_eq(err.code, ERR_RULE);
		ck_assert_int_eq(err.line, 17);
		sbuf_addf(&want, "jobs/site.xml:17: job source 'crm': translate "
			  "'%s' is a Lua built-in, not a function of the rule "
			  "files; define function %s_crm(row, out) in a rule "
			  "file and name that", names[i], names[i]);
		ck_assert_str_eq(err.msg.buf, want.buf);
		sbuf_release(&want);
		error_release(&err);
	}
	/* and a real one still loads */
	{
		static const char *const tr[] = { "real", NULL };

		tjob_init(&t, files, tr);
		rules_free(open_ok(&t));
	}
}
END_TEST

Suite *suite_boundary(void)
{
	Suite *s = suite_create("boundary");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, boundary_text);
	tcase_add_test(tc, boundary_time);
	tcase_add_test(tc, boundary_fail);
	tcase_add_test(tc, boundary_rule_name);
	tcase_add_test(tc, boundary_translate_builtin);
	suite_add_tcase(s, tc);
	return s;
}
