/*
 * test_ref.c - reference tables (engine/ref.c): CSV parsing, keys and
 * caps, the control totals, and the rules' read-only `ref` view.
 *
 * Tables are parsed from CSV text in memory or built by hand; the rules
 * come from tests/data/rules/ref.lua (paths relative to the repository
 * root, where the unit tests run).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/ref.h"
#include "engine/rules.h"
#include "engine/rules_int.h"
#include "engine/mem.h"
#include "rules_util.h"

Suite *suite_ref(void);

static struct ref_table *csv_ok(const char *text, const char *key)
{
	struct error err;
	struct ref_table *t = NULL;

	error_init(&err);
	if (ref_parse_csv("fx", text, strlen(text), key, 1000, &t, &err) < 0)
		ck_abort_msg("ref_parse_csv: %s", err.msg.buf);
	error_release(&err);
	return t;
}

/* Parse expecting failure; the message must hold want. */
static void csv_fails(const char *text, const char *key, uint64_t cap,
		      const char *want)
{
	struct error err;
	struct ref_table *t = (struct ref_table *)1;
	struct sbuf full = SBUF_INIT(1 << 16);

	error_init(&err);
	ck_assert_int_eq(ref_parse_csv("fx", text, strlen(text), key, cap, &t,
				       &err), -1);
	ck_assert_ptr_null(t);
	error_format(&err, &full);
	ck_assert_msg(strstr(full.buf, want) != NULL, "want \"%s\" in %s",
		      want, full.buf);
	sbuf_release(&full);
	error_release(&err);
}

START_TEST(csv_parse)
{
	struct ref_table *t;

	/* BOM, CRLF, quotes with a comma, a doubled quote and a newline,
	 * an empty value, no final newline */
	t = csv_ok("\xEF\xBB\xBF" "code,iso,name\r\n"
		   "E1,EUR,\"Euro, the\"\r\n"
		   "\"U\"\"S\",USD,\"two\nlines\"\r\n"
		   "7,JPY,", "code");
	ck_assert_uint_eq(ref_table_rows(t), 3);
	ck_assert_str_eq(ref_table_name(t), "fx");
	ref_table_free(t);

	t = csv_ok("code\n", "code");	/* header only */
	ck_assert_uint_eq(ref_table_rows(t), 0);
	ref_table_free(t);
}
END_TEST

START_TEST(csv_errors)
{
	csv_fails("code,iso\nE1,EUR\nE2,USD\nE1,GBP\n", "code", 100,
		  "key 'E1' is in rows 1 and 3; the key column 'code' must "
		  "be unique");
	csv_fails("code,iso\nE1,EUR\n,USD\n", "code", 100,
		  "row 2 has an empty key (column 'code')");
	csv_fails("code,iso\nE1\n", "code", 100,
		  "line 2 has 1 fields, the header 2");
	csv_fails("code,iso\nE1,EUR,x\n", "code", 100,
		  "line 2 has more fields than the header");
	csv_fails("code,iso\nE1,\"EUR\n", "code", 100,
		  "line 2: a quoted field is not closed");
	csv_fails("code,iso\nE1,\"EUR\"x\n", "code", 100,
		  "text after a quoted field's closing quote");
	csv_fails("code,iso\nE1,EU\"R\n", "code", 100,
		  "a quote inside an unquoted field");
	csv_fails("code,iso\nE1,\xff\n", "code", 100, "not UTF-8");
	csv_fails("", "code", 100, "the file is empty");
	csv_fails("code,,iso\n", "code", 100, "header column 2 has no name");
	csv_fails("code,iso,code\n", "code", 100,
		  "two columns are named 'code'");
	csv_fails("id,iso\nE1,EUR\n", "code", 100,
		  "no key column 'code' (columns: id, iso)");
	csv_fails("code,iso\nE1,EUR\nE2,USD\nE3,GBP\n", "code", 2,
		  "reference 'fx': more than 2 rows, the cap (<limits "
		  "reference-rows>)");
}
END_TEST

START_TEST(hand_built)
{
	static const char *const cols[] = { "id", "rate" };
	struct ref_table *t;
	struct value v[2];
	struct error err;

	error_init(&err);
	ck_assert_int_eq(ref_table_new("r", cols, 2, "id", 10, &t, &err), 0);
	memset(v, 0, sizeof(v));
	v[0].type = VAL_NULL;
	v[1].type = VAL_DEC;
	ck_assert_int_eq(ref_table_add(t, v, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "row 1 has no key (column "
				     "'id' is NULL)"));
	error_clear(&err);
	v[0].type = VAL_DEC;
	ck_assert_int_eq(ref_table_add(t, v, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "key column 'id' must be "
				     "text or an integer"));
	error_clear(&err);
	v[0].type = VAL_INT;
	v[0].i = 7;
	v[1].approx = "DOUBLE (approximate)";
	v[1].s = "0.1";
	ck_assert_int_eq(ref_table_add(t, v, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "column 'rate' is DOUBLE "
				     "(approximate) and holds 0.1"));
	error_clear(&err);
	v[1].approx = NULL;
	ck_assert_int_eq(ref_table_add(t, v, &err), 0);
	ck_assert_int_eq(ref_table_add(t, v, &err), 0);
	ck_assert_int_eq(ref_table_done(t, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "key '7' is in rows 1 and "
				     "2"));
	error_release(&err);
	ref_table_free(t);
}
END_TEST

/* The hash is of the rows, not their order; any changed byte changes it. */
START_TEST(totals)
{
	struct ref_table *a = csv_ok("code,iso\nE1,EUR\nU1,USD\nJ1,JPY\n",
				     "code");
	struct ref_table *b = csv_ok("code,iso\r\nJ1,JPY\r\nE1,EUR\r\n"
				     "\"U1\",USD", "code");
	struct ref_table *c = csv_ok("code,iso\nE1,EUR\nU1,USd\nJ1,JPY\n",
				     "code");
	char ha[65], hb[65], hc[65];

	ref_table_hash_hex(a, ha);
	ref_table_hash_hex(b, hb);
	ref_table_hash_hex(c, hc);
	ck_assert_str_eq(ha, hb);
	ck_assert_str_ne(ha, hc);
	ck_assert_uint_eq(ref_table_rows(a), 3);
	ref_table_free(a);
	ref_table_free(b);
	ref_table_free(c);
}
END_TEST

static int translate(struct rules *r, size_t si, const char *code,
		     struct canon *c, struct sbuf *fail)
{
	static const char *const names[] = { "code" };
	struct value v = { VAL_TEXT, 0, code, strlen(code), NULL, 0 };
	struct row row = { 1, names, &v, 1 };
	struct error err;
	int rc;

	error_init(&err);
	sbuf_reset(fail);
	canon_reset(c, CANON_DEAL, (uint16_t)si, 1);
	rc = rules_translate(r, si, &row, c, fail, &err);
	ck_assert_msg(rc != -1, "fatal: %s", err.msg.buf);
	error_release(&err);
	return rc;
}

static const char *const view_fns[] = {
	"ref_iso", "ref_count", "ref_int_key", "ref_bad_column",
	"ref_bad_table", "ref_write", "ref_write_table", "ref_bad_key",
	"ref_keep", "ref_kept", NULL
};

static size_t fn(const char *name)
{
	for (size_t i = 0; view_fns[i]; i++)
		if (strcmp(view_fns[i], name) == 0)
			return i;
	ck_abort_msg("no %s", name);
	return 0;
}

static void fails_with(struct rules *r, const char *f, const char *want)
{
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 16);

	canon_init(&c);
	ck_assert_int_eq(translate(r, fn(f), "E1", &c, &fail), -2);
	ck_assert_msg(strstr(fail.buf, want) != NULL, "want \"%s\" in %s",
		      want, fail.buf);
	sbuf_release(&fail);
	canon_release(&c);
}

START_TEST(lua_view)
{
	static const char *const files[] = { "tests/data/rules/ref.lua",
					     NULL };
	struct tjob t;
	struct rules *r;
	struct ref_set set, other;
	struct ref_table *tabs[1], *tabs2[1];
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 16);
	struct verdict_list l;
	lua_State *L;

	tjob_init(&t, files, view_fns);
	r = open_ok(&t);
	canon_init(&c);
	verdict_list_init(&l);

	/* before any set: ref raises (the top level ran with none) */
	fails_with(r, "ref_iso", "ref.fx: reference tables are loaded after "
		   "the rule files are run");

	tabs[0] = csv_ok("code,iso,name\nE1,EUR,Euro\nU1,USD,\n7,JPY,Yen\n",
			 "code");
	set.t = tabs;
	set.n = 1;
	rules_set_refs(r, &set);

	ck_assert_int_eq(translate(r, fn("ref_iso"), "E1", &c, &fail), 1);
	ck_assert_str_eq(field(&c, CS_CURRENCY), "EUR");
	ck_assert_str_eq(field(&c, CS_NAME), "Euro");
	ck_assert_int_eq(translate(r, fn("ref_iso"), "U1", &c, &fail), 1);
	ck_assert_str_eq(field(&c, CS_CURRENCY), "USD");
	ck_assert_str_eq(field(&c, CS_NAME), "");
	/* a missing code is nil */
	ck_assert_int_eq(translate(r, fn("ref_iso"), "XX", &c, &fail), 1);
	ck_assert_str_eq(field(&c, CS_CURRENCY), "NONE");
	ck_assert_int_eq(translate(r, fn("ref_count"), "E1", &c, &fail), 1);
	ck_assert_str_eq(field(&c, CS_KEY), "3");
	/* an integer looks up its decimal text */
	ck_assert_int_eq(translate(r, fn("ref_int_key"), "E1", &c, &fail), 1);
	ck_assert_str_eq(field(&c, CS_KEY), "JPY");

	fails_with(r, "ref_bad_column", "ref.lua:24: reference 'fx' has no "
		   "column 'colour' (columns: code, iso, name)");
	fails_with(r, "ref_bad_table", "ref.lua:28: no reference table 'fxx' "
		   "in the job (references: fx)");
	fails_with(r, "ref_write", "ref.lua:32: reference tables are "
		   "read-only (tried to set 'iso')");
	fails_with(r, "ref_write_table", "ref.lua:36: reference tables are "
		   "read-only (tried to set 'NEW')");
	fails_with(r, "ref_bad_key", "ref.lua:40: ref.fx[...]: a key is text "
		   "or an integer, not table");

	/* order rules see it too */
	check_key(r, "U1", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].code, "FX");
	ck_assert_str_eq(l.v[0].message, "USD");
	check_key(r, "nope", &l);
	ck_assert_uint_eq(l.n, 0);

	/* a view kept from one set raises once another is in place */
	ck_assert_int_eq(translate(r, fn("ref_keep"), "E1", &c, &fail), 1);
	ck_assert_int_eq(translate(r, fn("ref_kept"), "E1", &c, &fail), 1);
	ck_assert_str_eq(field(&c, CS_KEY), "EUR");
	tabs2[0] = csv_ok("code,iso,name\nE1,GBP,Pound\n", "code");
	other.t = tabs2;
	other.n = 1;
	rules_set_refs(r, &other);
	fails_with(r, "ref_kept", "this reference view is from an earlier "
		   "run or test");
	ck_assert_int_eq(translate(r, fn("ref_iso"), "E1", &c, &fail), 1);
	ck_assert_str_eq(field(&c, CS_CURRENCY), "GBP");

	/* the file's top level ran before any reference was loaded */
	L = rules_lua(r);
	lua_getglobal(L, "top_level_error");
	ck_assert_ptr_nonnull(lua_tostring(L, -1));
	ck_assert_msg(strstr(lua_tostring(L, -1), "ref.fx: reference tables "
			     "are loaded after the rule files are run") != NULL,
		      "%s", lua_tostring(L, -1));
	lua_pop(L, 1);

	rules_set_refs(r, NULL);
	rules_free(r);
	ref_table_free(tabs[0]);
	ref_table_free(tabs2[0]);
	verdict_list_release(&l);
	canon_release(&c);
	sbuf_release(&fail);
}
END_TEST

/* Every allocation of a CSV parse failing in turn: ERR_NOMEM each time,
 * never a half table, then success. */
START_TEST(csv_fault_loop)
{
	static const char text[] = "code,iso,name\nE1,EUR,\"Euro, the\"\n"
				   "U1,USD,Dollar\n7,JPY,Yen\n";
	int done = 0;

	for (long n = 0; !done && n < 10000; n++) {
		struct error err;
		struct ref_table *t = NULL;
		int rc;

		error_init(&err);
		mem_fault_after(n);
		rc = ref_parse_csv("fx", text, strlen(text), "code", 100, &t,
				   &err);
		mem_fault_off();
		if (rc == 0) {
			ck_assert_uint_eq(ref_table_rows(t), 3);
			ref_table_free(t);
			done = 1;
		} else {
			ck_assert_ptr_null(t);
			ck_assert_msg(err.code == ERR_NOMEM, "after %ld: %s", n,
				      err.msg.buf);
		}
		error_release(&err);
	}
	ck_assert(done);
}
END_TEST

Suite *suite_ref(void)
{
	Suite *s = suite_create("ref");
	TCase *tc = tcase_create("ref");

	tcase_add_test(tc, csv_parse);
	tcase_add_test(tc, csv_errors);
	tcase_add_test(tc, hand_built);
	tcase_add_test(tc, totals);
	tcase_add_test(tc, lua_view);
	tcase_add_test(tc, csv_fault_loop);
	suite_add_tcase(s, tc);
	return s;
}
