/*
 * test_rules.c - the Lua rules engine: loading, the sandbox, resource
 * limits, money and helpers, translation into struct canon, order rules.
 *
 * Jobs, rows and groups are built by hand (no job file, no database).
 * Rule files live in tests/data/rules/; paths are relative to the
 * repository root, where the unit tests run.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/rules.h"
#include "engine/mem.h"
#include "engine/money.h"
#include "hang_guard.h"
#include "rules_util.h"
#include "rule_msgs.h"

#define DIR "tests/data/rules/"

Suite *suite_rules(void);

/* ---- loading ---- */

START_TEST(load_good)
{
	static const char *const files[] = { DIR "translate.lua",
					     DIR "orders.lua", NULL };
	static const char *const tr[] = { "crm", "strings", NULL };
	struct tjob t;
	struct rules *r;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	tjob_init(&t, files, tr);
	r = open_ok(&t);
	ck_assert_uint_eq(rules_count(r), 12);

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (int i = 0; files[i]; i++) {
		char buf[4096];
		size_t n;
		FILE *f = fopen(files[i], "rb");

		ck_assert_ptr_nonnull(f);
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			EVP_DigestUpdate(md, buf, n);
		fclose(f);
	}
	EVP_DigestFinal_ex(md, dig, &dlen);
	EVP_MD_CTX_free(md);
	for (unsigned i = 0; i < dlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", dig[i]);
	ck_assert_uint_eq(strlen(rules_hash(r)), 64);
	ck_assert_str_eq(rules_hash(r), hex);
	rules_free(r);
}
END_TEST

/* Lua's own words for tests/data/rules/syntax.lua and loaderr.lua. */
#define SYNTAX_LUA "')' expected near '\"y\"'"
#define LOADERR_LUA "attempt to perform arithmetic on a nil value"

START_TEST(load_syntax_error)
{
	static const char *const files[] = { DIR "orders.lua",
					     DIR "syntax.lua", NULL };
	struct tjob t;
	struct error err;

	tjob_init(&t, files, NULL);
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_int_eq(err.line, 3);
	ck_assert_str_eq(err.msg.buf, DIR "syntax.lua:3: syntax error: "
			 SYNTAX_LUA "; fix the rule file (recon check lists "
			 "every problem in the rule files)");
	error_release(&err);
}
END_TEST

START_TEST(load_runtime_error)
{
	static const char *const files[] = { DIR "loaderr.lua", NULL };
	struct tjob t;
	struct error err;

	tjob_init(&t, files, NULL);
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_int_eq(err.line, 2);
	ck_assert_str_eq(err.msg.buf, DIR "loaderr.lua:2: " LOADERR_LUA
			 NIL_HINT);
	error_release(&err);
}
END_TEST

START_TEST(load_endless)
{
	static const char *const files[] = { DIR "loadloop.lua", NULL };
	struct tjob t;
	struct error err;

	tjob_init(&t, files, NULL);
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_int_eq(err.line, 2);
	ck_assert_str_eq(err.msg.buf, DIR "loadloop.lua:2: "
			 BUDGET(100000000));
	error_release(&err);
}
END_TEST

START_TEST(load_duplicate_rule)
{
	static const char *const files[] = { DIR "duprule.lua", NULL };
	struct tjob t;
	struct error err;

	tjob_init(&t, files, NULL);
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_int_eq(err.line, 2);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "already registered at "
				     DIR "duprule.lua:1"));
	error_release(&err);
}
END_TEST

START_TEST(load_missing_file)
{
	static const char *const files[] = { DIR "no-such-file.lua", NULL };
	struct tjob t;
	struct error err;

	tjob_init(&t, files, NULL);
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "no-such-file.lua"));
	error_release(&err);
}
END_TEST

/* A temporary folder for files made by a test; removed by tmp_clean. */
struct tmpdir {
	char dir[64];
	char path[4][128];
	int n;
};

static const char *tmp_path(struct tmpdir *d, const char *name)
{
	char dir[sizeof(d->dir)];

	if (!d->dir[0]) {
		snprintf(d->dir, sizeof(d->dir), "/tmp/recon-test-rules-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(d->dir));
	}
	ck_assert_int_lt(d->n, 4);
	memcpy(dir, d->dir, sizeof(dir));	/* not overlapping path[] */
	snprintf(d->path[d->n], sizeof(d->path[0]), "%s/%s", dir, name);
	return d->path[d->n++];
}

static void tmp_clean(struct tmpdir *d)
{
	while (d->n > 0)
		if (remove(d->path[--d->n]) != 0)
			ck_abort_msg("cannot remove %s", d->path[d->n]);
	if (d->dir[0])
		ck_assert_int_eq(rmdir(d->dir), 0);
}

/* Open a job of the one rule file path, expecting ERR_RULE and msg. */
static void open_fails_with(const char *path, const char *msg)
{
	const char *files[] = { path, NULL };
	struct tjob t;
	struct error err;

	tjob_init(&t, files, NULL);
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_int_eq(error_exit_code(err.code), 3);
	ck_assert_str_eq(err.msg.buf, msg);
	error_release(&err);
}

/* A FIFO or a folder as a rule file is refused before a byte is read
 * (opening the FIFO used to block until a writer came). */
START_TEST(load_not_regular)
{
	struct tmpdir d = { "", { "" }, 0 };
	const char *fifo = tmp_path(&d, "fifo.lua"), *dir = tmp_path(&d, "d");
	char want[256];

	hang_guard_start(20);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	snprintf(want, sizeof(want), "%s: not a regular file (a FIFO); give "
		 "the path of a rule file", fifo);
	open_fails_with(fifo, want);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(want, sizeof(want), "%s: not a regular file (a directory); "
		 "give the path of a rule file", dir);
	open_fails_with(dir, want);
	hang_guard_stop();
	tmp_clean(&d);
}
END_TEST

static int dump_to_file(lua_State *L, const void *p, size_t n, void *ud)
{
	(void)L;
	return fwrite(p, 1, n, ud) != n;
}

/* Real Lua bytecode (lua_dump) as a rule file: said so, not Lua's
 * "attempt to load a binary chunk". */
START_TEST(load_bytecode)
{
	struct tmpdir d = { "", { "" }, 0 };
	const char *path = tmp_path(&d, "compiled.lua");
	lua_State *L = luaL_newstate();
	FILE *f = fopen(path, "wb");
	char want[256];

	ck_assert_ptr_nonnull(L);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(luaL_loadstring(L, "function t(row, out) end"),
			 LUA_OK);
	ck_assert_int_eq(lua_dump(L, dump_to_file, f, 1), 0);
	ck_assert_int_eq(fclose(f), 0);
	lua_close(L);
	snprintf(want, sizeof(want), "%s: is precompiled Lua bytecode, not "
		 "Lua source; rule files must be source text", path);
	open_fails_with(path, want);
	tmp_clean(&d);
}
END_TEST

START_TEST(load_missing_translate)
{
	static const char *const files[] = { DIR "translate.lua", NULL };
	static const char *const tr[] = { "crm", "no_such_fn", NULL };
	struct tjob t;
	struct error err;

	tjob_init(&t, files, tr);
	t.src[1].name = (char *)"erp";
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_msg(strstr(err.msg.buf, "job source 'erp'") &&
		      strstr(err.msg.buf, "'no_such_fn' is not defined"),
		      "message: %s", err.msg.buf);
	error_release(&err);
}
END_TEST

START_TEST(load_translate_not_function)
{
	static const char *const files[] = { DIR "notfunc.lua", NULL };
	static const char *const tr[] = { "crm", NULL };
	struct tjob t;
	struct error err;

	tjob_init(&t, files, tr);
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_msg(strstr(err.msg.buf, "is a number, not a function"),
		      "message: %s", err.msg.buf);
	error_release(&err);
}
END_TEST

START_TEST(load_tiny_memory)
{
	static const char *const files[] = { DIR "orders.lua", NULL };
	struct tjob t;
	struct error err;

	tjob_init(&t, files, NULL);
	t.job.rule_memory = 2000;
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_NOMEM);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "limit"));
	error_release(&err);
}
END_TEST

/* Fail the n-th allocation, for every n, until rules_open succeeds: no
 * crash, no leak (ASan, valgrind), and the right error. */
START_TEST(open_fault_loop)
{
	static const char *const files[] = { DIR "translate.lua",
					     DIR "orders.lua", NULL };
	static const char *const tr[] = { "crm", "stash", NULL };
	struct tjob t;
	long n;

	tjob_init(&t, files, tr);
	for (n = 0; n < 100000; n++) {
		struct error err;
		struct rules *r = NULL;
		int rc;

		error_init(&err);
		mem_fault_after(n);
		rc = rules_open(&t.job, &r, &err);
		mem_fault_off();
		if (rc == 0) {
			ck_assert_uint_eq(rules_count(r), 12);
			rules_free(r);
			error_release(&err);
			break;
		}
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_null(r);
		ck_assert_msg(err.code == ERR_NOMEM || err.code == ERR_RULE,
			      "n=%ld code %d: %s", n, err.code, err.msg.buf);
		error_release(&err);
	}
	ck_assert_int_gt(n, 10);
	ck_assert_int_lt(n, 100000);
}
END_TEST

/* ---- order rules ---- */

static const struct verdict *vfind(const struct verdict_list *l,
				   const char *rule)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].rule, rule) == 0)
			return &l->v[i];
	return NULL;
}

/* What a rule reaching outside the sandbox is told: the whole message,
 * naming what is not available, why, and what to use instead. */
#define NO_FILES "a rule cannot open files or run programs; it sees only " \
	"its row (or order) and the job's reference tables: select what it " \
	"needs in the source's <query>, or add a <reference> table (ref.NAME)"
#define NO_REQUIRE "list every rule file in the job's <rules>: they share " \
	"one set of globals, and lib has the helpers (rules/README.md)"
#define NO_LOAD "a rule cannot compile code while it runs; write the code " \
	"in a rule file"
#define NO_RANDOM "rules are deterministic (the same data gives the same " \
	"verdicts); derive what you need from the record"
#define REFUSED(name, why) "'" name "' is not available in rules: " why

START_TEST(sandbox)
{
	static const char *const files[] = { DIR "sandbox.lua", NULL };
	/* rule, line, the exact message (1) or a piece of it (0) */
	static const struct {
		const char *rule;
		int line, exact;
		const char *msg;
	} expect[] = {
		{ "io", 3, 1, REFUSED("io", NO_FILES) },
		{ "os", 4, 1, REFUSED("os", "a rule cannot run programs or "
			"read the clock or the environment, so that the same "
			"data gives the same verdicts; use the row's columns, "
			"date() and lib.dates for times, and a <reference> "
			"table (ref.NAME) for other data") },
		{ "require", 5, 1, REFUSED("require", NO_REQUIRE) },
		{ "load", 6, 1, REFUSED("load", NO_LOAD) },
		{ "loadstring", 7, 1, REFUSED("loadstring", NO_LOAD) },
		{ "loadfile", 8, 1, REFUSED("loadfile", NO_FILES) },
		{ "dofile", 9, 1, REFUSED("dofile", NO_FILES) },
		{ "debug", 10, 1, REFUSED("debug", "rules cannot look into the "
			"engine or other functions") },
		{ "dump", 11, 1, REFUSED("string.dump", "rules cannot turn "
			"functions into bytecode") },
		{ "collectgarbage", 12, 1, REFUSED("collectgarbage", "the "
			"engine manages memory (rule-memory in the job's "
			"<limits>)") },
		{ "package", 13, 1, REFUSED("package", NO_REQUIRE) },
		{ "print", 14, 1, REFUSED("print", "a rule has nowhere to print "
			"to; report with fail(code, message), or look at "
			"values in a rule test (recon test, docs/RULES.md "
			"\"Testing your rules\")") },
		{ "coroutine", 15, 1, REFUSED("coroutine", "rules run as plain "
			"functions; use a loop or a helper function") },
		{ "random", 16, 1, REFUSED("math.random", NO_RANDOM) },
		{ "meta_rep", 17, 0, "index a boolean value" },
		{ "rep_bomb", 18, 0, "string.rep: result over the limit" },
		{ "rep_sep_bomb", 19, 0, "string.rep: result over the limit" },
		{ "rep_empty_bomb", 20, 0, "string.rep: result over the limit" },
		{ "move_bomb", 21, 0, "table.move: more than 1048576 elements" },
		{ "gc_finaliser", 22, 0, "__gc is not available" },
		{ "late_rule", 23, 0,
		  "only be registered while the rule files load" },
		{ "money_meta", 24, 0, "index a string value" },
	};
	struct tjob t;
	struct rules *r;
	struct verdict_list l;
	const struct verdict *v;
	char where[128];

	tjob_init(&t, files, NULL);
	r = open_ok(&t);
	verdict_list_init(&l);
	check_key(r, "K1", &l);
	ck_assert_uint_eq(l.n, rules_count(r));
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		v = vfind(&l, expect[i].rule);
		ck_assert_msg(v != NULL, "no verdict for %s", expect[i].rule);
		ck_assert_msg(v->is_error, "%s did not raise", expect[i].rule);
		ck_assert_str_eq(v->code, "RULE_ERROR");
		if (expect[i].exact)
			ck_assert_str_eq(v->message, expect[i].msg);
		else
			ck_assert_msg(strstr(v->message, expect[i].msg) != NULL,
				      "%s: %s", expect[i].rule, v->message);
		snprintf(where, sizeof(where), DIR "sandbox.lua:%d",
			 expect[i].line);
		ck_assert_str_eq(v->where, where);
	}
	v = vfind(&l, "control");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->is_error, 0);
	ck_assert_str_eq(v->message, "ABC1000money4");
	verdict_list_release(&l);
	rules_free(r);

}
END_TEST

START_TEST(exprs)
{
	static const char *const files[] = { DIR "exprs.lua", NULL };
	/* rule, expected value (OK) or NULL and a piece of the error */
	static const char *const expect[][3] = {
		{ "add_exact", "true", NULL },
		{ "tostring", "1234.50", NULL },
		{ "tostring4", "-0.0001", NULL },
		{ "sub", "9.99", NULL },
		{ "mul_int", "59.97", NULL },
		{ "mul_int_left", "2.50", NULL },
		{ "unm", "-2.50", NULL },
		{ "lt", "true", NULL },
		{ "le", "true", NULL },
		{ "eq_number", "false", NULL },
		{ "abs", "3.00", NULL },
		{ "is_zero", "true", NULL },
		{ "minor", "1234", NULL },
		{ "money_int", "12.00", NULL },
		{ "money_copy", "7.50", NULL },
		{ "concat", "total 5.00", NULL },
		{ "mul_float", NULL, "money * 1.5 is not exact" },
		{ "mul_money", NULL, "money * money" },
		{ "div", NULL, "cannot be divided" },
		{ "overflow", NULL, "overflow" },
		{ "overflow_mul", NULL, "overflow" },
		{ "overflow_int", NULL, "out of range" },
		{ "cmp_number", NULL, "cannot compare money with a number" },
		{ "add_number", NULL, "a number is not money" },
		{ "minor_inexact", NULL, "12.345 has more than 2 decimals" },
		{ "money_float", NULL, "a float is not exact" },
		{ "money_bad", NULL, "money(\"12,50\"): not a decimal number" },
		{ "money_precision", NULL, "more than 4 decimal places" },
		{ "no_method", NULL, "money has no method 'round'" },
		{ "within_eur", "true", NULL },
		{ "within_eur_out", "false", NULL },
		{ "within_default", "true", NULL },
		{ "within_default_out", "false", NULL },
		{ "within_float", NULL, "is not exact" },
		{ "key_default", "SO-001 23", NULL },
		{ "key_opts", "123", NULL },
		{ "key_lower", "abc", NULL },
		{ "key_utf8", "M\xc3\xbcLLER GMBH", NULL },
		{ "key_nil", "nil", NULL },
		{ "key_int", "123", NULL },
		{ "key_badopt", NULL, "unknown option 'zero'" },
		{ "date", "1709164800", NULL },
		{ "date_time", "1704067201", NULL },
		{ "date_bad", NULL, "not a date" },
		{ "fail_severity", NULL, "severity must be" },
	};
	struct tjob t;
	struct rules *r;
	struct verdict_list l;

	tjob_init(&t, files, NULL);
	r = open_ok(&t);
	verdict_list_init(&l);
	check_key(r, "K", &l);
	ck_assert_uint_eq(l.n, rules_count(r));
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		const struct verdict *v = vfind(&l, expect[i][0]);

		ck_assert_msg(v != NULL, "no verdict for %s", expect[i][0]);
		if (expect[i][1]) {
			ck_assert_msg(!v->is_error, "%s raised: %s",
				      expect[i][0], v->message);
			ck_assert_str_eq(v->code, "OK");
			ck_assert_msg(strcmp(v->message, expect[i][1]) == 0,
				      "%s: got '%s', want '%s'", expect[i][0],
				      v->message, expect[i][1]);
		} else {
			ck_assert_msg(v->is_error, "%s did not raise: %s",
				      expect[i][0], v->message);
			ck_assert_msg(strstr(v->message, expect[i][2]) != NULL,
				      "%s: %s", expect[i][0], v->message);
		}
	}
	verdict_list_release(&l);
	rules_free(r);
}
END_TEST

START_TEST(within_exact_without_tolerance)
{
	static const char *const files[] = { DIR "exprs.lua", NULL };
	struct tjob t;
	struct rules *r;
	struct verdict_list l;
	const struct verdict *v;

	tjob_init(&t, files, NULL);
	t.job.ntolerances = 0;
	r = open_ok(&t);
	verdict_list_init(&l);
	check_key(r, "K", &l);
	v = vfind(&l, "within_eur");
	ck_assert_str_eq(v->message, "false");
	v = vfind(&l, "within_default");
	ck_assert_str_eq(v->message, "false");
	verdict_list_release(&l);
	rules_free(r);
}
END_TEST

/* The comparison a verdict rests on (struct verdict has_cmp): the last
 * within() of the rule's call that returned false before its fail(),
 * a - b and the largest difference the tolerance allowed there. */
START_TEST(verdict_comparison)
{
	static const char *const files[] = { DIR "compare.lua", NULL };
	static const struct {
		const char *rule;
		int has;
		int64_t diff, tolerance;
	} want[] = {
		{ "abs_out", 1, -200, 100 },		/* -0.02, 0.01 */
		{ "rel_out", 1, -20000, 10020 },	/* -2, 0.1 % of 1002 */
		{ "no_within", 0, 0, 0 },
		{ "within_passed", 0, 0, 0 },
		{ "last_false", 1, -30000, 100 },	/* 10 - 13 */
		{ "after_quiet", 0, 0, 0 },
		{ "rel_negative", 1, 100000, 5100 },	/* 10, 0.1 % of 510 */
	};
	struct tjob t;
	struct rules *r;
	struct verdict_list l;

	tjob_init(&t, files, NULL);
	r = open_ok(&t);
	verdict_list_init(&l);
	check_key(r, "K", &l);
	ck_assert_ptr_null(vfind(&l, "quiet_compare"));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct verdict *v = vfind(&l, want[i].rule);

		ck_assert_msg(v != NULL, "no verdict for %s", want[i].rule);
		ck_assert_msg(!v->is_error, "%s: %s", want[i].rule, v->message);
		ck_assert_msg(v->has_cmp == want[i].has, "%s: has_cmp %d",
			      want[i].rule, v->has_cmp);
		ck_assert_msg(v->diff == want[i].diff &&
			      v->tolerance == want[i].tolerance,
			      "%s: diff %lld tolerance %lld", want[i].rule,
			      (long long)v->diff, (long long)v->tolerance);
	}
	/* the same rules again: nothing of the first call carried over */
	verdict_list_reset(&l);
	check_key(r, "K2", &l);
	ck_assert_int_eq(vfind(&l, "after_quiet")->has_cmp, 0);
	ck_assert_int_eq(vfind(&l, "abs_out")->diff, -200);
	verdict_list_release(&l);
	rules_free(r);
}
END_TEST

static void canon_with(struct canon *c, enum canon_kind kind, const char *key,
		       const char *amount, const char *currency)
{
	int64_t a;

	canon_init(c);
	canon_reset(c, kind, 0, 1);
	canon_set(c, CS_KEY, key, strlen(key));
	if (amount) {
		ck_assert_int_eq(money_parse(amount, strlen(amount), &a), 0);
		c->amount = a;
		c->present |= CANON_HAS_AMOUNT;
	}
	if (currency)
		canon_set(c, CS_CURRENCY, currency, strlen(currency));
}

START_TEST(order_rules)
{
	static const char *const files[] = { DIR "translate.lua",
					     DIR "orders.lua", NULL };
	static const char *const tr[] = { "crm", NULL };
	struct tjob t;
	struct rules *r;
	struct verdict_list l;
	const struct verdict *v;
	struct canon deal, order;
	struct erp_agg erp;
	struct group g;
	struct error err;

	tjob_init(&t, files, tr);
	r = open_ok(&t);
	verdict_list_init(&l);
	error_init(&err);
	canon_with(&deal, CANON_DEAL, "D1", "100.00", "EUR");
	canon_with(&order, CANON_ORDER, "O1", "100.50", "EUR");
	memset(&erp, 0, sizeof(erp));
	erp.ndocs = 2;
	erp.ninvoices = 1;
	erp.invoiced = 1000000;	/* 100.00 */
	erp.currency = "EUR";
	erp.currency_len = 3;

	/* Two verdicts from two rules, the rest pass. */
	g = (struct group){ "D1", 2, &deal, &order, 2, &erp, NULL };
	ck_assert_int_eq(rules_check(r, &g, &l, &err), 0);
	ck_assert_uint_eq(l.n, 3);
	v = vfind(&l, "amount");
	ck_assert_str_eq(v->code, "AMOUNT_MISMATCH_DEAL_ORDER");
	ck_assert_str_eq(v->message, "deal 100.00 vs order 100.50");
	ck_assert_int_eq(v->severity, VERDICT_ERROR);
	ck_assert_int_eq(v->is_error, 0);
	ck_assert_str_eq(v->where, DIR "orders.lua:2");
	v = vfind(&l, "erp");
	ck_assert_str_eq(v->code, "AMOUNT_MISMATCH_ORDER_ERP");
	ck_assert_int_eq(v->severity, VERDICT_WARNING);
	v = vfind(&l, "duplicates");
	ck_assert_str_eq(v->message, "D1 has 2 orders");
	ck_assert_int_eq(v->severity, VERDICT_INFO);

	/* Nothing but a key: everything passes. */
	check_key(r, "K", &l);
	ck_assert_uint_eq(l.n, 0);

	/* A rule that raises: is_error with file:line, others still run. */
	verdict_list_reset(&l);
	g = (struct group){ "RAISE", 5, &deal, &order, 2, NULL, NULL };
	ck_assert_int_eq(rules_check(r, &g, &l, &err), 0);
	ck_assert_uint_eq(l.n, 3);
	v = vfind(&l, "raises");
	ck_assert_int_eq(v->is_error, 1);
	ck_assert_str_eq(v->code, "RULE_ERROR");
	ck_assert_str_eq(v->where, DIR "orders.lua:21");
	ck_assert_msg(strstr(v->message, "o has no field 'nope'") != NULL,
		      "%s", v->message);
	ck_assert_ptr_nonnull(vfind(&l, "amount"));
	ck_assert_ptr_nonnull(vfind(&l, "duplicates"));

	check_key(r, "BADCODE", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].is_error, 1);
	ck_assert_ptr_nonnull(strstr(l.v[0].message, "code \"bad code\""));

	check_key(r, "BADRET", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].is_error, 1);
	ck_assert_ptr_nonnull(strstr(l.v[0].message,
				     "rule 'bad_return' returned a number"));

	/* Memory cap and budget inside an order rule; then all is well. */
	check_key(r, "MEM", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].is_error, 1);
	ck_assert_str_eq(l.v[0].rule, "resources");
	ck_assert_str_eq(l.v[0].where, DIR "orders.lua:67");
	ck_assert_str_eq(l.v[0].message, MEMORY(4194304));
	check_key(r, "LOOP", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].is_error, 1);
	ck_assert_str_eq(l.v[0].message, BUDGET(1000000));
	ck_assert_str_eq(l.v[0].where, DIR "orders.lua:72");
	check_key(r, "K", &l);
	ck_assert_uint_eq(l.n, 0);

	verdict_list_reset(&l);
	g = (struct group){ "RO", 2, &deal, NULL, 1, NULL, NULL };
	ck_assert_int_eq(rules_check(r, &g, &l, &err), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_ptr_nonnull(strstr(l.v[0].message, "read-only"));

	/* All the ERP and record fields. */
	verdict_list_reset(&l);
	order.doctype = CDT_SALES_ORDER;
	order.time = 86400;
	order.present |= CANON_HAS_TIME;
	deal.status = CST_WON;
	erp.ncredits = 1;
	erp.nsales = 3;
	erp.ndrafts = 4;
	erp.ncancelled = 5;
	erp.ordered = 20000;
	erp.mixed_currency = 1;
	g = (struct group){ "ERP", 3, &deal, &order, 1, &erp, NULL };
	ck_assert_int_eq(rules_check(r, &g, &l, &err), 0);
	v = vfind(&l, "erp_fields");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->message, "2 1 1 3 4 5 100.00 2.00 100.00 EUR "
			 "true won sales_order 86400");

	verdict_list_release(&l);
	error_release(&err);
	canon_release(&deal);
	canon_release(&order);
	rules_free(r);
}
END_TEST


/* o.erp.docs and o.orders: read-only lists of record views, in the
 * group's order; unknown fields, non-integer keys, writes and a view
 * kept past its call are errors. */
START_TEST(order_rule_lists)
{
	static const char *const files[] = { DIR "translate.lua",
					     DIR "orders.lua", NULL };
	static const char *const tr[] = { "crm", NULL };
	static const struct { const char *key, *msg; } bad[] = {
		{ "LISTFIELD", "a record has no field 'custmer'" },
		{ "LISTNAME", "o.erp.docs is a list (index it 1..#o.erp.docs, "
			      "or use ipairs); it has no field 'first'" },
		{ "LISTSET", "are read-only (tried to set 'customer')" },
		{ "LISTPUT", "o.orders is read-only" },
		{ "STALEDOC", "this record is only valid during its call" },
	};
	struct tjob t;
	struct rules *r;
	struct verdict_list l;
	const struct verdict *v;
	struct canon deal, o1, o2, d1, d2;
	const struct canon *docs[2] = { &d1, &d2 }, *orders[2] = { &o1, &o2 };
	struct erp_agg erp;
	struct group g;
	struct error err;

	tjob_init(&t, files, tr);
	r = open_ok(&t);
	verdict_list_init(&l);
	error_init(&err);
	canon_with(&deal, CANON_DEAL, "D1", "100.00", "EUR");
	canon_with(&o1, CANON_ORDER, "O1", "100.00", "EUR");
	canon_with(&o2, CANON_ORDER, "O2", "100.00", "EUR");
	canon_with(&d1, CANON_ERP, "INV-1", "60.00", "EUR");
	canon_with(&d2, CANON_ERP, "SO-1", "100.00", "EUR");
	canon_set(&d1, CS_CUSTOMER, "C1", 2);
	canon_set(&d2, CS_CUSTOMER, "C2", 2);
	d1.status = CST_POSTED;
	d1.doctype = CDT_INVOICE;
	d2.status = CST_DRAFT;
	d2.doctype = CDT_SALES_ORDER;
	memset(&erp, 0, sizeof(erp));
	erp.ndocs = 2;
	erp.docs = docs;

	g = (struct group){ "LISTS", 5, &deal, &o1, 2, &erp, orders };
	ck_assert_int_eq(rules_check(r, &g, &l, &err), 0);
	v = vfind(&l, "lists");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->message, "2 2 2 INV-1:C1:posted:invoice:60.00 "
			 "SO-1:C2:draft:sales_order:100.00 O1 O2 nil nil");

	/* No orders array: o.orders is {o.order}; no documents: {}. */
	verdict_list_reset(&l);
	erp.docs = NULL;
	g = (struct group){ "ONE", 3, &deal, &o2, 1, &erp, NULL };
	ck_assert_int_eq(rules_check(r, &g, &l, &err), 0);
	v = vfind(&l, "lists");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->message, "1 O2 0");
	erp.docs = docs;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		verdict_list_reset(&l);
		g = (struct group){ bad[i].key, strlen(bad[i].key), &deal, &o1,
				    2, &erp, orders };
		ck_assert_int_eq(rules_check(r, &g, &l, &err), 0);
		v = vfind(&l, "lists");
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(v->is_error, 1);
		ck_assert_msg(strstr(v->message, bad[i].msg) != NULL,
			      "%s: %s", bad[i].key, v->message);
	}

	verdict_list_release(&l);
	error_release(&err);
	canon_release(&deal);
	canon_release(&o1);
	canon_release(&o2);
	canon_release(&d1);
	canon_release(&d2);
	rules_free(r);
}
END_TEST

/* ---- translation ---- */

static const char *const deal_cols[] = {
	"id", "customer", "currency", "amount", "closed", "stage", "name",
	"deleted",
};

struct trow {
	struct value v[8];
	struct row row;
};

static void trow_init(struct trow *t, const char *id, const char *amount,
		      int deleted)
{
	memset(t, 0, sizeof(*t));
	t->v[0] = (struct value){ VAL_TEXT, 0, id, strlen(id), NULL, 0 };
	t->v[1] = (struct value){ VAL_TEXT, 0, " acme  corp ", 12, NULL, 0 };
	t->v[2] = (struct value){ VAL_TEXT, 0, "EUR", 3, NULL, 0 };
	t->v[3] = (struct value){ VAL_DEC, 0, amount, strlen(amount), NULL, 0 };
	ck_assert_int_eq(money_parse(amount, strlen(amount), &t->v[3].i), 0);
	t->v[4] = (struct value){ VAL_TIME, 1704067200, "2024-01-01", 10, NULL, 0 };
	t->v[5] = (struct value){ VAL_TEXT, 0, "W", 1, NULL, 0 };
	t->v[6] = (struct value){ VAL_NULL, 0, NULL, 0, NULL, 0 };
	t->v[7] = (struct value){ VAL_INT, deleted, NULL, 0, NULL, 0 };
	t->row.ncols = 8;
	t->row.names = deal_cols;
	t->row.vals = t->v;
	t->row.rowno = 1;
}

static const char *const translate_fns[] = {
	"crm", "bad_status", "bad_field", "bad_column", "no_key", "write_row",
	"bad_return", "strings", "float_amount", "stash", "nil_arith", NULL
};

static size_t src_of(const char *fn)
{
	for (size_t i = 0; translate_fns[i]; i++)
		if (strcmp(translate_fns[i], fn) == 0)
			return i;
	ck_abort_msg("no source %s", fn);
	return 0;
}

/* Translate one row with fn; returns the rc, message in fail. */
static int translate(struct rules *r, const char *fn, const struct row *row,
		     struct canon *c, struct sbuf *fail)
{
	struct error err;
	int rc;

	error_init(&err);
	sbuf_reset(fail);
	canon_reset(c, CANON_DEAL, (uint16_t)src_of(fn), row->rowno);
	rc = rules_translate(r, src_of(fn), row, c, fail, &err);
	ck_assert_msg(rc != -1, "fatal: %s", err.msg.buf);
	error_release(&err);
	return rc;
}

START_TEST(translate_rows)
{
	static const char *const files[] = { DIR "translate.lua",
					     DIR "orders.lua", NULL };
	struct tjob t;
	struct rules *r;
	struct trow row;
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 20);
	struct verdict_list l;

	tjob_init(&t, files, translate_fns);
	r = open_ok(&t);
	canon_init(&c);
	verdict_list_init(&l);

	trow_init(&row, " d-000123 ", "1999.90", 0);
	ck_assert_int_eq(translate(r, "crm", &row.row, &c, &fail), 1);
	ck_assert_str_eq(field(&c, CS_KEY), "123");
	ck_assert_str_eq(field(&c, CS_CUSTOMER), "ACME CORP");
	ck_assert_str_eq(field(&c, CS_CURRENCY), "EUR");
	ck_assert_str_eq(field(&c, CS_NAME), "(unset)");
	ck_assert(c.present & CANON_HAS_AMOUNT);
	ck_assert(c.amount == 19999000);
	ck_assert(c.present & CANON_HAS_TIME);
	ck_assert(c.time == 1704067200);
	ck_assert_int_eq(c.status, CST_WON);

	/* Skip a soft-deleted row. */
	trow_init(&row, "D-7", "1", 1);
	ck_assert_int_eq(translate(r, "crm", &row.row, &c, &fail), 0);

	/* Many rows through the same views. */
	for (int i = 0; i < 1000; i++) {
		char id[32];

		snprintf(id, sizeof(id), "DEAL-%05d", i);
		trow_init(&row, id, "0.01", 0);
		ck_assert_int_eq(translate(r, "crm", &row.row, &c, &fail), 1);
		snprintf(id, sizeof(id), "%d", i);
		ck_assert_str_eq(field(&c, CS_KEY), id);
	}

	ck_assert_int_eq(translate(r, "bad_status", &row.row, &c, &fail), -2);
	ck_assert_msg(strstr(fail.buf, DIR "translate.lua:22: out.status = "
			     "\"shipped\": not one of open, won, fulfilled, "
			     "cancelled, draft, posted") != NULL, "%s",
		      fail.buf);

	ck_assert_int_eq(translate(r, "bad_field", &row.row, &c, &fail), -2);
	ck_assert_msg(strstr(fail.buf, DIR "translate.lua:27: out has no "
			     "field 'colour' (fields: key,") != NULL, "%s",
		      fail.buf);

	ck_assert_int_eq(translate(r, "bad_column", &row.row, &c, &fail), -2);
	ck_assert_msg(strstr(fail.buf, DIR "translate.lua:31: no column "
			     "'nope' in source 'bad_column' (columns: id, "
			     "customer, currency, amount, closed, stage, "
			     "name, deleted)") != NULL, "%s", fail.buf);

	ck_assert_int_eq(translate(r, "no_key", &row.row, &c, &fail), -2);
	ck_assert_msg(strstr(fail.buf, DIR "translate.lua:34: translate "
			     "function 'no_key' kept a record without "
			     "out.key") != NULL, "%s", fail.buf);

	ck_assert_int_eq(translate(r, "write_row", &row.row, &c, &fail), -2);
	ck_assert_ptr_nonnull(strstr(fail.buf, "row is read-only"));

	ck_assert_int_eq(translate(r, "bad_return", &row.row, &c, &fail), -2);
	ck_assert_ptr_nonnull(strstr(fail.buf, "returned a string"));

	/* A value the connector could not prove exact: reading it raises,
	 * a rule error at the line that reads it. */
	trow_init(&row, "D-8", "0", 0);
	row.v[3].s = "0.30000000000000004";
	row.v[3].len = strlen(row.v[3].s);
	row.v[3].approx = "DOUBLE (approximate)";
	ck_assert_int_eq(translate(r, "crm", &row.row, &c, &fail), -2);
	ck_assert_msg(strstr(fail.buf, DIR "translate.lua:12: row.amount: "
			     "column amount is DOUBLE (approximate) and holds "
			     "0.30000000000000004, which is not an exact "
			     "decimal; CAST it to DECIMAL or TEXT in the "
			     "query") != NULL, "%s", fail.buf);
	row.v[3].type = VAL_TEXT;
	row.v[3].s = "1234567890123.46";
	row.v[3].len = strlen(row.v[3].s);
	row.v[3].approx = "DECIMAL, stored by SQLite as a double,";
	ck_assert_int_eq(translate(r, "crm", &row.row, &c, &fail), -2);
	ck_assert_msg(strstr(fail.buf, "row.amount: column amount is DECIMAL, "
			     "stored by SQLite as a double, and holds "
			     "1234567890123.46, which is not an exact decimal")
		      != NULL, "%s", fail.buf);
	trow_init(&row, "D-8", "0", 0);

	ck_assert_int_eq(translate(r, "float_amount", &row.row, &c, &fail),
			 -2);
	ck_assert_ptr_nonnull(strstr(fail.buf, "out.amount: a number is not "
				     "money"));

	ck_assert_int_eq(translate(r, "strings", &row.row, &c, &fail), 1);
	ck_assert(c.amount == 125000);
	ck_assert(c.time == 1704153600);
	ck_assert_int_eq(c.doctype, CDT_INVOICE);
	ck_assert_int_eq(c.status, CST_POSTED);
	ck_assert_str_eq(field(&c, CS_DEAL_REF), "42");
	ck_assert_str_eq(field(&c, CS_NAME), "(unset)");

	/* A view kept past its call cannot be read. */
	ck_assert_int_eq(translate(r, "stash", &row.row, &c, &fail), 1);
	check_key(r, "STALE", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_ptr_nonnull(strstr(l.v[0].message, "row is only valid "
				     "during its translate call"));

	/* And the state still works. */
	trow_init(&row, "D-5", "5", 0);
	ck_assert_int_eq(translate(r, "crm", &row.row, &c, &fail), 1);
	ck_assert_str_eq(field(&c, CS_KEY), "5");

	verdict_list_release(&l);
	sbuf_release(&fail);
	canon_release(&c);
	rules_free(r);
}
END_TEST

/* A runtime error on nil, whole: Lua's message at the rule's line and
 * the engine's hint; in a translate function (the row's failure) and in
 * an order rule (the verdict's where and message). */
START_TEST(runtime_nil)
{
	static const char *const files[] = { DIR "translate.lua",
					     DIR "orders.lua", NULL };
	struct tjob t;
	struct rules *r;
	struct trow row;
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 20);
	struct verdict_list l;
	const struct verdict *v;

	tjob_init(&t, files, translate_fns);
	r = open_ok(&t);
	canon_init(&c);
	verdict_list_init(&l);
	trow_init(&row, "1", "1", 0);
	ck_assert_int_eq(translate(r, "nil_arith", &row.row, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, DIR "translate.lua:73: attempt to perform "
			 "arithmetic on a nil value (field 'name')" NIL_HINT);
	check_key(r, "NILARITH", &l);
	ck_assert_uint_eq(l.n, 1);
	v = &l.v[0];
	ck_assert_str_eq(v->rule, "nil_arith");
	ck_assert_str_eq(v->code, "RULE_ERROR");
	ck_assert_int_eq(v->is_error, 1);
	ck_assert_str_eq(v->where, DIR "orders.lua:110");
	ck_assert_str_eq(v->message, "attempt to perform arithmetic on a nil "
			 "value (local 'total')" NIL_HINT);
	verdict_list_release(&l);
	sbuf_release(&fail);
	canon_release(&c);
	rules_free(r);
}
END_TEST

/* A translate function reaching outside the sandbox: the row's failure
 * message, whole; a global that is merely unset is still nil. */
START_TEST(sandbox_translate)
{
	static const char *const sfiles[] = { DIR "sandbox.lua", NULL };
	static const char *const tr[] = { "sandbox_translate", NULL };
	struct tjob t;
	struct rules *r;
	struct trow row;
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 16);
	struct error err;

	tjob_init(&t, sfiles, tr);
	r = open_ok(&t);
	canon_init(&c);
	error_init(&err);
	trow_init(&row, "1", "1", 0);
	canon_reset(&c, CANON_DEAL, 0, 1);
	ck_assert_int_eq(rules_translate(r, 0, &row.row, &c, &fail, &err), -2);
	ck_assert_str_eq(fail.buf, DIR "sandbox.lua:34: "
			 REFUSED("io", NO_FILES));
	trow_init(&row, "2", "1", 0);
	sbuf_reset(&fail);
	canon_reset(&c, CANON_DEAL, 0, 2);
	ck_assert_int_eq(rules_translate(r, 0, &row.row, &c, &fail, &err), 1);
	ck_assert_str_eq(field(&c, CS_KEY), "K2 nil");
	sbuf_release(&fail);
	error_release(&err);
	canon_release(&c);
	rules_free(r);
}
END_TEST

/* A backtracking pattern inside a rule: stopped by the instruction
 * budget inside string.match & co. (pattern.c), as a RULE_ERROR at the
 * rule's line, even behind pcall; the next record runs normally. */
START_TEST(pattern_budget)
{
	static const char *const files[] = { DIR "pattern.lua", NULL };
	static const char *const tr[] = { "bt_translate", NULL };
	static const struct {
		const char *key;
		const char *where;
		const char *message;
	} expect[] = {
		{ "MATCH", DIR "pattern.lua:17",
		  PATTERN_BUDGET(1000000, "string.match") },
		{ "METHOD", DIR "pattern.lua:19",
		  PATTERN_BUDGET(1000000, "string.find") },
		{ "GMATCH", DIR "pattern.lua:21",
		  PATTERN_BUDGET(1000000, "string.gmatch") },
		{ "GSUB", DIR "pattern.lua:23",
		  PATTERN_BUDGET(1000000, "string.gsub") },
		/* pcall caught the first stop; the next instruction's names
		 * the pattern function that spent the budget all the same */
		{ "PCALL", DIR "pattern.lua:26",
		  PATTERN_BUDGET(1000000, "string.match") },
		{ "PCALL_LOOP", DIR "pattern.lua:28",
		  PATTERN_BUDGET(1000000, "string.find") },
		/* the pathological patterns: a lazy repetition over
		 * 30,000 a's (n^2) and four of them over 100,000 (n^5) */
		{ "LAZY_STAR", DIR "pattern.lua:30",
		  PATTERN_BUDGET(1000000, "string.match") },
		{ "LAZY_CHAIN", DIR "pattern.lua:32",
		  PATTERN_BUDGET(1000000, "string.find") },
	};
	double limit = getenv("RECON_UNDER_VALGRIND") ? 60.0 : 2.0;
	struct tjob t;
	struct rules *r;
	struct verdict_list l;
	struct trow row;
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 20);
	struct error err;
	struct timespec t0, t1;

	tjob_init(&t, files, tr);
	r = open_ok(&t);
	verdict_list_init(&l);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		check_key(r, expect[i].key, &l);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ck_assert_msg((double)(t1.tv_sec - t0.tv_sec) +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 < limit,
			      "%s: too slow", expect[i].key);
		ck_assert_msg(l.n == 1, "%s: %zu verdicts", expect[i].key, l.n);
		ck_assert_str_eq(l.v[0].rule, "backtrack");
		ck_assert_str_eq(l.v[0].code, "RULE_ERROR");
		ck_assert_int_eq(l.v[0].is_error, 1);
		ck_assert_str_eq(l.v[0].message, expect[i].message);
		ck_assert_str_eq(l.v[0].where, expect[i].where);
		/* The next order: both rules run normally. */
		check_key(r, "K7", &l);
		ck_assert_uint_eq(l.n, 1);
		ck_assert_str_eq(l.v[0].rule, "simple");
		ck_assert_str_eq(l.v[0].code, "NUMBER");
		ck_assert_str_eq(l.v[0].message, "7 x");
	}

	/* A translate function: the row fails, the next row works. */
	canon_init(&c);
	error_init(&err);
	trow_init(&row, "1", "1", 0);
	canon_reset(&c, CANON_DEAL, 0, 1);
	ck_assert_int_eq(rules_translate(r, 0, &row.row, &c, &fail, &err), -2);
	ck_assert_str_eq(fail.buf, DIR "pattern.lua:11: "
			 PATTERN_BUDGET(1000000, "string.match"));
	trow_init(&row, "2", "1", 0);
	sbuf_reset(&fail);
	canon_reset(&c, CANON_DEAL, 0, 2);
	ck_assert_int_eq(rules_translate(r, 0, &row.row, &c, &fail, &err), 1);
	ck_assert_str_eq(field(&c, CS_KEY), "K2");

	error_release(&err);
	sbuf_release(&fail);
	canon_release(&c);
	verdict_list_release(&l);
	rules_free(r);
}
END_TEST

/* ---- resource limits ---- */

static const char *const bomb_fns[] = {
	"ok", "membomb", "strbomb", "loop", "pcall_loop", "pcall_nested",
	"recurse", "error_table", "error_level0", NULL
};

START_TEST(bombs)
{
	static const char *const files[] = { DIR "bombs.lua", NULL };
	static const char *const expect[][2] = {
		{ "membomb", "rule memory limit of 4194304 bytes exceeded"
		  MEMORY_HINT },
		{ "strbomb", "rule memory limit of 4194304 bytes exceeded"
		  MEMORY_HINT },
		{ "loop", "instruction budget of 1000000 exhausted" LOOP_HINT },
		{ "pcall_loop", "instruction budget of 1000000 exhausted"
		  LOOP_HINT },
		{ "pcall_nested", "instruction budget of 1000000 exhausted"
		  LOOP_HINT },
		{ "recurse", "" },
		{ "error_table", "bombs.lua:36: error object is a table value" },
		{ "error_level0", "bombs.lua:40: no position" },
	};
	struct tjob t;
	struct rules *r;
	struct trow row;
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 20);
	struct error err;

	tjob_init(&t, files, bomb_fns);
	r = open_ok(&t);
	canon_init(&c);
	error_init(&err);
	trow_init(&row, "1", "1", 0);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		size_t src = 0;

		while (strcmp(bomb_fns[src], expect[i][0]))
			src++;
		sbuf_reset(&fail);
		canon_reset(&c, CANON_DEAL, (uint16_t)src, 1);
		ck_assert_int_eq(rules_translate(r, src, &row.row, &c, &fail,
						 &err), -2);
		ck_assert_msg(strstr(fail.buf, expect[i][1]) != NULL,
			      "%s: %s", expect[i][0], fail.buf);
		ck_assert_msg(strncmp(fail.buf, DIR "bombs.lua:",
				      strlen(DIR "bombs.lua:")) == 0,
			      "%s: %s", expect[i][0], fail.buf);
		/* The next record works. */
		sbuf_reset(&fail);
		canon_reset(&c, CANON_DEAL, 0, 2);
		ck_assert_int_eq(rules_translate(r, 0, &row.row, &c, &fail,
						 &err), 1);
		ck_assert_str_eq(field(&c, CS_KEY), "K1");
	}
	error_release(&err);
	sbuf_release(&fail);
	canon_release(&c);
	rules_free(r);
}
END_TEST

/* A UTF-8 byte order mark is skipped; line numbers stay right. */
START_TEST(load_bom)
{
	static const char *const files[] = { DIR "bom.lua", NULL };
	static const char *const tr[] = { "bom_ok", "bom_line", NULL };
	struct tjob t;
	struct rules *r;
	struct trow row;
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 20);
	struct error err;

	tjob_init(&t, files, tr);
	r = open_ok(&t);
	canon_init(&c);
	error_init(&err);
	trow_init(&row, "1", "1", 0);
	canon_reset(&c, CANON_DEAL, 0, 1);
	ck_assert_int_eq(rules_translate(r, 0, &row.row, &c, &fail, &err), 1);
	ck_assert_str_eq(field(&c, CS_KEY), "K1");
	canon_reset(&c, CANON_DEAL, 1, 1);
	ck_assert_int_eq(rules_translate(r, 1, &row.row, &c, &fail, &err), -2);
	ck_assert_str_eq(fail.buf, DIR "bom.lua:7: raised on line 7");
	error_release(&err);
	sbuf_release(&fail);
	canon_release(&c);
	rules_free(r);
}
END_TEST

/* ---- paths where Lua could run unhooked or uncharged ---- */

static const char *const hang_fns[] = {
	"ok", "xpcall_error", "xpcall_both", "xpcall_tostring",
	"xpcall_in_pcall", "xpcall_nested", "close_normal", "close_error",
	"close_budget", "close_xpcall", "error_object", "gsub_fn", "sort_cmp",
	"index_mm", "eq_mm", "lt_mm", "concat_mm", "tostring_mm", "pairs_mm",
	"gc_late", "xpcall_results", NULL
};

#define HANG_BUDGET 100000	/* small: a stopped loop ends at once */
#define HANG_ALARM 60		/* seconds (hang_guard.h): a hang fails */
#define SPENT(line) DIR "hangs.lua:" #line ": " BUDGET(100000)

/*
 * Each function of hangs.lua is stopped by the budget (or finishes), with
 * the exact message, and the next record works. Before the sandbox had
 * its own xpcall, the xpcall cases hung: Lua called the handler inside
 * the count hook, where no hook fires.
 */
START_TEST(hang_paths)
{
	static const char *const files[] = { DIR "hangs.lua", NULL };
	static const char *const expect[][2] = {
		{ "xpcall_error", SPENT(13) },
		{ "xpcall_both", SPENT(16) },
		{ "xpcall_tostring", SPENT(21) },
		{ "xpcall_in_pcall", SPENT(24) },
		{ "xpcall_nested", SPENT(27) },
		{ "close_normal", SPENT(4) },
		{ "close_error", SPENT(4) },
		{ "close_budget", SPENT(4) },
		{ "close_xpcall", SPENT(43) },
		{ "error_object", DIR "hangs.lua:48: error object is a table "
				  "value" },
		{ "gsub_fn", SPENT(4) },
		{ "sort_cmp", SPENT(4) },
		{ "index_mm", SPENT(4) },
		{ "eq_mm", SPENT(4) },
		{ "lt_mm", SPENT(4) },
		{ "concat_mm", SPENT(4) },
		{ "tostring_mm", SPENT(4) },
		{ "pairs_mm", SPENT(4) },
		{ "gc_late", DIR "hangs.lua:77: " MEMORY(4194304) },
	};
	struct tjob t;
	struct rules *r;
	struct trow row;
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 20), bad = SBUF_INIT(1 << 20);
	struct error err;

	hang_guard_start(HANG_ALARM);
	tjob_init(&t, files, hang_fns);
	t.job.rule_instructions = HANG_BUDGET;
	r = open_ok(&t);
	canon_init(&c);
	error_init(&err);
	trow_init(&row, "1", "1", 0);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		size_t src = 0;
		int rc;

		while (strcmp(hang_fns[src], expect[i][0]))
			src++;
		sbuf_reset(&fail);
		canon_reset(&c, CANON_DEAL, (uint16_t)src, 1);
		rc = rules_translate(r, src, &row.row, &c, &fail, &err);
		if (rc != -2 || strcmp(fail.buf, expect[i][1]) != 0)
			sbuf_addf(&bad, "\n%s: rc %d, message \"%s\"",
				  expect[i][0], rc, fail.buf);
		/* The next record works. */
		sbuf_reset(&fail);
		canon_reset(&c, CANON_DEAL, 0, 2);
		ck_assert_int_eq(rules_translate(r, 0, &row.row, &c, &fail,
						 &err), 1);
		ck_assert_str_eq(field(&c, CS_KEY), "K1");
	}
	ck_assert_msg(bad.len == 0, "unexpected results:%s", bad.buf);

	/* xpcall's results, as Lua's: f's results; the handler's first
	 * result; the handler's own error; no handler: an error. */
	sbuf_reset(&fail);
	canon_reset(&c, CANON_DEAL, 20, 1);
	ck_assert_int_eq(rules_translate(r, 20, &row.row, &c, &fail, &err), 1);
	ck_assert_str_eq(field(&c, CS_KEY), "true 3 two|false handled e1|"
			 "false again|false table|false bad argument #2 to "
			 "'xpcall' (function expected, got no value)|true "
			 "false");
	hang_guard_stop();
	error_release(&err);
	sbuf_release(&fail);
	sbuf_release(&bad);
	canon_release(&c);
	rules_free(r);
}
END_TEST

/* Allocation faults inside the sandbox's xpcall (f, handler, results):
 * no crash, no leak, a clean result every time, until it succeeds. */
START_TEST(xpcall_fault_loop)
{
	static const char *const files[] = { DIR "hangs.lua", NULL };
	struct tjob t;
	struct trow row;
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 20);
	long n;

	tjob_init(&t, files, hang_fns);
	t.job.rule_instructions = HANG_BUDGET;
	trow_init(&row, "1", "1", 0);
	canon_init(&c);
	for (n = 0; n < 100000; n++) {
		struct rules *r = open_ok(&t);
		struct error err;
		int rc;

		error_init(&err);
		sbuf_reset(&fail);
		canon_reset(&c, CANON_DEAL, 20, 1);
		mem_fault_after(n);
		rc = rules_translate(r, 20, &row.row, &c, &fail, &err);
		mem_fault_off();
		if (rc == 1 && strncmp(field(&c, CS_KEY), "true 3 two|", 11) == 0 &&
		    strstr(field(&c, CS_KEY), "memory") == NULL) {
			rules_free(r);
			error_release(&err);
			break;
		}
		ck_assert_msg(rc == 1 || rc == -2 ||
			      (rc == -1 && err.code == ERR_NOMEM),
			      "n=%ld rc %d: %s %s", n, rc, err.msg.buf, fail.buf);
		rules_free(r);
		error_release(&err);
	}
	ck_assert_int_gt(n, 10);	/* the call allocates: faults were hit */
	ck_assert_int_lt(n, 100000);
	sbuf_release(&fail);
	canon_release(&c);
}
END_TEST

/* The same in order rules: a RULE_ERROR verdict each, at once. */
START_TEST(hang_rules)
{
	static const char *const files[] = { DIR "hangs.lua", NULL };
	struct tjob t;
	struct rules *r;
	struct verdict_list l;
	const struct verdict *v;

	hang_guard_start(HANG_ALARM);
	tjob_init(&t, files, hang_fns);
	t.job.rule_instructions = HANG_BUDGET;
	r = open_ok(&t);
	verdict_list_init(&l);
	for (int round = 0; round < 3; round++) {
		check_key(r, "K1", &l);
		ck_assert_uint_eq(l.n, 2);
		v = vfind(&l, "xpcall_loop");
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(v->is_error, 1);
		ck_assert_str_eq(v->where, DIR "hangs.lua:107");
		ck_assert_str_eq(v->message, BUDGET(100000));
		v = vfind(&l, "close_loop");
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(v->is_error, 1);
		ck_assert_str_eq(v->where, DIR "hangs.lua:4");
		ck_assert_str_eq(v->message, BUDGET(100000));
	}
	hang_guard_stop();
	verdict_list_release(&l);
	rules_free(r);
}
END_TEST

/* At a rule file's top level (what `recon check` loads): ERR_RULE with
 * file:line, at once, whether the handler or f and handler loop. */
START_TEST(hang_top_level)
{
	static const char *const one[] = { DIR "xpcall_top.lua", NULL };
	static const char *const two[] = { DIR "xpcall_top2.lua", NULL };
	struct tjob t;
	struct error err;

	hang_guard_start(HANG_ALARM);
	tjob_init(&t, one, NULL);
	t.job.rule_instructions = 10000;	/* 1,000,000 to load */
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_str_eq(err.msg.buf, DIR "xpcall_top.lua:2: "
			 BUDGET(1000000));
	ck_assert_int_eq(err.line, 2);
	error_release(&err);

	tjob_init(&t, two, NULL);
	t.job.rule_instructions = 10000;
	open_fail(&t, &err);
	ck_assert_int_eq(err.code, ERR_RULE);
	ck_assert_str_eq(err.msg.buf, DIR "xpcall_top2.lua:2: "
			 BUDGET(1000000));
	error_release(&err);
	hang_guard_stop();
}
END_TEST

/* ---- site-defined fields ---- */

#define FL DIR "fields.lua:"

/* The job's fields for fields.lua: every role but erp_ref's. */
static struct job_field xfields[] = {
	{ (char *)"region", CFT_TEXT, 1u << CANON_DEAL | 1u << CANON_ORDER, 1, 1 },
	{ (char *)"tax", CFT_MONEY, 7, 1, 2 },
	{ (char *)"qty", CFT_INTEGER, 7, 1, 3 },
	{ (char *)"due", CFT_DATE, 7, 1, 4 },
	{ (char *)"seen", CFT_TIMESTAMP, 7, 1, 5 },
	{ (char *)"flag", CFT_BOOLEAN, 7, 1, 6 },
	{ (char *)"erp_ref", CFT_TEXT, 1u << CANON_ERP, 1, 7 },
};
enum { XF_REGION, XF_TAX, XF_QTY, XF_DUE, XF_SEEN, XF_FLAG, XF_ERPREF };

static const char *const xfield_fns[] = {
	"xset", "fields_table", "undeclared", "other_role", "read_back",
	"use_kept", "many_sets", NULL
};

static struct rules *open_fields(struct tjob *t)
{
	static const char *const files[] = { DIR "fields.lua", NULL };

	tjob_init(t, files, xfield_fns);
	for (size_t i = 0; xfield_fns[i]; i++)
		t->src[i].role = CANON_ORDER;
	t->job.fields = xfields;
	t->job.nfields = sizeof(xfields) / sizeof(xfields[0]);
	return open_ok(t);
}

/* Translate a row whose only column, id, is the integer id, with source
 * fn of open_fields' job: the rc, the message in fail. */
static int xtranslate(struct rules *r, const char *fn, int64_t id,
		      struct canon *c, struct sbuf *fail)
{
	static const char *const cols[] = { "id" };
	struct value v = { VAL_INT, id, NULL, 0, NULL, 0 };
	struct row row = { 1, cols, &v, 1 };
	struct error err;
	size_t si = 0;
	int rc;

	while (strcmp(xfield_fns[si], fn) != 0)
		si++;
	error_init(&err);
	sbuf_reset(fail);
	canon_reset(c, CANON_ORDER, (uint16_t)si, 1);
	rc = rules_translate(r, si, &row, c, fail, &err);
	ck_assert_msg(rc != -1, "fatal: %s", err.msg.buf);
	error_release(&err);
	return rc;
}

/*
 * Each type's accepted values and each refusal, exactly as a run reports
 * it: fields.lua's CASES[id] set by xset. ok: the stored value (text,
 * or an int64: money scaled, epoch seconds, a boolean 0/1).
 */
#define XL FL "39: out.fields."
static const struct {
	int field;
	const char *text;	/* text: the bytes; else NULL */
	int64_t i;
	const char *msg;	/* refused: the whole message */
} xcases[] = {
	/* 1.. text */
	{ XF_REGION, "EU", 0, NULL },
	{ XF_REGION, "42", 0, NULL },
	{ XF_REGION, "", 0, NULL },
	{ XF_REGION, NULL, 0, XL "region = 2.5: a text field takes a string "
	  "or a whole number; turn this number into text in the rule "
	  "(string.format(\"%.2f\", x))" },
	{ XF_REGION, NULL, 0, XL "region = true: a text field takes a string "
	  "(or a whole number)" },
	{ XF_REGION, NULL, 0, XL "region = a table: a text field takes a "
	  "string (or a whole number)" },
	{ XF_REGION, NULL, 0, XL "region: text with a NUL byte (at position 2) "
	  "cannot be kept; remove it, e.g. value:gsub(\"\\0\", \"\")" },
	{ XF_REGION, NULL, 0, XL "region: text is not valid UTF-8 (byte 0xFF "
	  "at position 1); convert the value to UTF-8 or drop the bad "
	  "bytes" },
	{ XF_REGION, NULL, 0, XL "region: the text is 4097 bytes long; a "
	  "field holds at most 4096 bytes" },
	/* 10.. money */
	{ XF_TAX, NULL, 125000, NULL },
	{ XF_TAX, NULL, 125000, NULL },
	{ XF_TAX, NULL, -1, NULL },
	{ XF_TAX, NULL, 0, XL "tax = \"12,50\": not an amount of money (not a "
	  "decimal number); write it like \"1234.56\"" },
	{ XF_TAX, NULL, 0, XL "tax = \"1.00001\": not an amount of money "
	  "(more than 4 decimal places); write it like \"1234.56\"" },
	{ XF_TAX, NULL, 0, XL "tax = \"99999999999999999\": not an amount of "
	  "money (amount out of range); write it like \"1234.56\"" },
	{ XF_TAX, NULL, 0, XL "tax = 12: a plain number is not money (whole "
	  "units or cents?); write money(\"12.50\") or a decimal string "
	  "such as \"12.50\"" },
	{ XF_TAX, NULL, 0, XL "tax = 12.5: a plain number is not money (whole "
	  "units or cents?); write money(\"12.50\") or a decimal string "
	  "such as \"12.50\"" },
	{ XF_TAX, NULL, 0, XL "tax = false: a money field takes money(...) or "
	  "a decimal string such as \"12.50\"" },
	/* 19.. integer */
	{ XF_QTY, NULL, 3, NULL },
	{ XF_QTY, NULL, -42, NULL },
	{ XF_QTY, NULL, 7, NULL },
	{ XF_QTY, NULL, 5, NULL },
	{ XF_QTY, NULL, INT64_MAX, NULL },
	{ XF_QTY, NULL, INT64_MIN, NULL },
	{ XF_QTY, NULL, 0, XL "qty = \"9223372036854775808\": too large for "
	  "an integer field (at most 9223372036854775807, at least "
	  "-9223372036854775808)" },
	{ XF_QTY, NULL, 0, XL "qty = \"3.5\": not a whole number (write digits "
	  "only, with an optional - or + in front)" },
	{ XF_QTY, NULL, 0, XL "qty = \" 3\": not a whole number (write digits "
	  "only, with an optional - or + in front)" },
	{ XF_QTY, NULL, 0, XL "qty = money(\"2.50\"): an integer field takes "
	  "whole numbers, and this amount has a fraction" },
	{ XF_QTY, NULL, 0, XL "qty = 3.0: an integer field takes whole "
	  "numbers; this number has a decimal point (convert it with "
	  "math.tointeger(x), or round it with math.floor(x))" },
	{ XF_QTY, NULL, 0, XL "qty = true: an integer field takes a whole "
	  "number or a string of digits" },
	/* 31.. date */
	{ XF_DUE, NULL, 1793491200, NULL },
	{ XF_DUE, NULL, 1793491200, NULL },
	{ XF_DUE, NULL, 0, XL "due = \"2026-11-01 10:00\": a date field has "
	  "no time of day, and this value is at 10:00:00 UTC; declare the "
	  "field as a timestamp, or drop the time in the rule" },
	{ XF_DUE, NULL, 0, XL "due = 1793491201: a date field has no time of "
	  "day, and this value is at 00:00:01 UTC; declare the field as a "
	  "timestamp, or drop the time in the rule" },
	{ XF_DUE, NULL, 0, XL "due = \"2026-02-30\": not a date (write "
	  "YYYY-MM-DD, such as \"2026-11-01\")" },
	{ XF_DUE, NULL, 0, XL "due = \"01.11.2026\": not a date (write "
	  "YYYY-MM-DD, such as \"2026-11-01\")" },
	{ XF_DUE, NULL, 0, XL "due = 253402300800: outside the years 0001 to "
	  "9999 (epoch seconds -62135596800 to 253402300799)" },
	{ XF_DUE, NULL, 0, XL "due = 1.5: a date field takes a date "
	  "\"YYYY-MM-DD\" or epoch seconds (a whole number)" },
	{ XF_DUE, NULL, 0, XL "due = a table: a date field takes a date "
	  "\"YYYY-MM-DD\" or epoch seconds (a whole number)" },
	/* 40.. timestamp */
	{ XF_SEEN, NULL, 1793529000, NULL },
	{ XF_SEEN, NULL, 1793529015, NULL },
	{ XF_SEEN, NULL, 1793529000, NULL },
	{ XF_SEEN, NULL, 1793491200, NULL },
	{ XF_SEEN, NULL, 0, XL "seen = \"10:30\": not a timestamp (write "
	  "YYYY-MM-DD HH:MM:SS, such as \"2026-11-01 14:30:00\"; the "
	  "seconds may be left out)" },
	{ XF_SEEN, NULL, 0, XL "seen = -62135596801: outside the years 0001 "
	  "to 9999 (epoch seconds -62135596800 to 253402300799)" },
	{ XF_SEEN, NULL, 0, XL "seen = true: a timestamp field takes a "
	  "timestamp \"YYYY-MM-DD HH:MM:SS\" or epoch seconds (a whole "
	  "number)" },
	/* 47.. boolean */
	{ XF_FLAG, NULL, 1, NULL },
	{ XF_FLAG, NULL, 0, NULL },
	{ XF_FLAG, NULL, 1, NULL },
	{ XF_FLAG, NULL, 0, NULL },
	{ XF_FLAG, NULL, 1, NULL },
	{ XF_FLAG, NULL, 0, NULL },
	{ XF_FLAG, NULL, 1, NULL },
	{ XF_FLAG, NULL, 0, NULL },
	{ XF_FLAG, NULL, 0, XL "flag = 2: a boolean field takes true, false, "
	  "1 or 0 (or the strings \"true\", \"false\", \"1\", \"0\")" },
	{ XF_FLAG, NULL, 0, XL "flag = \"yes\": a boolean field takes true, "
	  "false, 1 or 0 (or the strings \"true\", \"false\", \"1\", \"0\")" },
	{ XF_FLAG, NULL, 0, XL "flag = 1.0: a boolean field takes true, false, "
	  "1 or 0 (or the strings \"true\", \"false\", \"1\", \"0\")" },
	{ XF_FLAG, NULL, 0, XL "flag = a table: a boolean field takes true, "
	  "false, 1 or 0 (or the strings \"true\", \"false\", \"1\", "
	  "\"0\")" },
};

START_TEST(site_field_values)
{
	struct tjob t;
	struct rules *r = open_fields(&t);
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 20);
	const int f = xcases[_i].field;
	int rc;
	size_t n;
	const char *p;
	int64_t v;

	canon_init(&c);
	rc = xtranslate(r, "xset", _i + 1, &c, &fail);
	if (xcases[_i].msg) {
		/* a RULE_ERROR for this row: the rule's file:line first */
		ck_assert_msg(rc == -2, "case %d: rc %d", _i + 1, rc);
		ck_assert_str_eq(fail.buf, xcases[_i].msg);
		ck_assert_uint_eq(c.xpresent, 0);
	} else {
		ck_assert_msg(rc == 1, "case %d: %s", _i + 1, fail.buf);
		ck_assert_uint_eq(c.xpresent, 1u << f);
		p = canon_xget(&c, (unsigned)f, &n);
		ck_assert_ptr_nonnull(p);
		if (xcases[_i].text) {
			ck_assert_uint_eq(n, strlen(xcases[_i].text));
			ck_assert(memcmp(p, xcases[_i].text, n) == 0);
		} else if (xfields[f].type == CFT_BOOLEAN) {
			ck_assert_uint_eq(n, 1);
			ck_assert_int_eq(p[0], (int)xcases[_i].i);
		} else {
			ck_assert_int_eq(canon_xget_i64(&c, (unsigned)f, &v),
					 1);
			ck_assert_msg(v == xcases[_i].i, "case %d: %lld",
				      _i + 1, (long long)v);
		}
	}
	canon_release(&c);
	sbuf_release(&fail);
	rules_free(r);
}
END_TEST

static const char *xtext(const struct canon *c, unsigned f)
{
	static char buf[64];
	size_t n;
	const char *p = canon_xget(c, f, &n);

	if (!p)
		return "(unset)";
	snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
	return buf;
}

/*
 * Setting fields in translation: an undeclared field and a field of
 * another role are a RULE_ERROR for that row only (the next row
 * translates), naming the rule's file:line; out.fields = {...} sets
 * exactly those fields, = nil clears them; out.fields reads back typed;
 * out.fields kept in a global is the next call's (out is one view).
 */
START_TEST(site_field_translate)
{
	struct tjob t;
	struct rules *r = open_fields(&t);
	struct canon c;
	struct sbuf fail = SBUF_INIT(1 << 20);
	int64_t v;

	t.job.path = (char *)"jobs/site.xml";
	canon_init(&c);
	ck_assert_int_eq(xtranslate(r, "undeclared", 1, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, FL "62: out.fields.colour: no site-defined "
			 "field 'colour' for role order (order fields: region "
			 "(text), tax (money), qty (integer), due (date), seen "
			 "(timestamp), flag (boolean)); declare it in <fields> "
			 "in the job file jobs/site.xml");
	ck_assert_int_eq(xtranslate(r, "xset", 1, &c, &fail), 1);
	ck_assert_str_eq(xtext(&c, XF_REGION), "EU");

	ck_assert_int_eq(xtranslate(r, "other_role", 1, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, FL "67: out.fields.erp_ref: field 'erp_ref' "
			 "is declared for erp, not for order; add order to its "
			 "roles= in <fields>");

	/* = {...}: exactly those; = nil: none; a field = nil: that one */
	ck_assert_int_eq(xtranslate(r, "fields_table", 1, &c, &fail), 1);
	ck_assert_uint_eq(c.xpresent, 1u << XF_TAX | 1u << XF_FLAG);
	ck_assert_int_eq(canon_xget_i64(&c, XF_TAX, &v), 1);
	ck_assert(v == 15000);
	ck_assert_str_eq(xtext(&c, XF_FLAG), "\001");
	ck_assert_int_eq(xtranslate(r, "fields_table", 2, &c, &fail), 1);
	ck_assert_uint_eq(c.xpresent, 0);
	ck_assert_int_eq(xtranslate(r, "fields_table", 4, &c, &fail), 1);
	ck_assert_uint_eq(c.xpresent, 1u << XF_QTY);
	ck_assert_str_eq(xtext(&c, XF_REGION), "(unset)");
	ck_assert_int_eq(xtranslate(r, "fields_table", 3, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, FL "52: out.fields can be set to a table "
			 "of fields or nil, not a string; or set one field: "
			 "out.fields.NAME = value");
	ck_assert_int_eq(xtranslate(r, "fields_table", 5, &c, &fail), -2);
	ck_assert_msg(strncmp(fail.buf, FL "56: out.fields.colour: no "
			      "site-defined field 'colour' for role order",
			      strlen(FL "56: out.fields.colour: no "
				     "site-defined field 'colour' for role "
				     "order")) == 0, "%s", fail.buf);

	ck_assert_int_eq(xtranslate(r, "many_sets", 1, &c, &fail), -2);
	ck_assert_str_eq(fail.buf, FL "75: out.fields.region: too much text "
			 "set on one record (each assignment keeps its text "
			 "until the next row; set each field once)");

	/* read back typed; the view kept in a global is dead next call */
	ck_assert_int_eq(xtranslate(r, "read_back", 1, &c, &fail), 1);
	ck_assert_str_eq(field(&c, CS_NAME), "2.00 1793491200 nil");
	ck_assert_int_eq(xtranslate(r, "use_kept", 1, &c, &fail), 1);
	ck_assert_str_eq(field(&c, CS_NAME), "3.00");

	canon_release(&c);
	sbuf_release(&fail);
	rules_free(r);
}
END_TEST

static void xset_i64(struct canon *c, unsigned f, int64_t v)
{
	ck_assert_int_eq(canon_xset_i64(c, f, (unsigned)(sizeof(xfields) /
			 sizeof(xfields[0])), v), 0);
}

static void xset_text(struct canon *c, unsigned f, const char *s)
{
	ck_assert_int_eq(canon_xset(c, f, (unsigned)(sizeof(xfields) /
			 sizeof(xfields[0])), s, strlen(s)), 0);
}

/*
 * Reading fields in order rules: o.deal, o.order, o.orders[i] and
 * o.erp.docs[i] give them typed (unset: nil); they are read-only; an
 * unknown field or one of another role raises; a view kept past its
 * call raises. Each error is the rule's RULE_ERROR verdict.
 */
START_TEST(site_field_order_rules)
{
	static const struct { const char *key, *msg; } bad[] = {
		{ "KEPT", "this record is only valid during its call" },
		{ "KEPTOUT", "this record is only valid during its call" },
		{ "SET", "the fields of o.deal, o.order, o.orders[i] and "
		  "o.erp.docs[i] are read-only (tried to set 'region'); fields "
		  "are set in translation (out.fields.region = ...)" },
		{ "SETDOC", "the fields of o.deal, o.order, o.orders[i] and "
		  "o.erp.docs[i] are read-only (tried to set 'tax'); fields "
		  "are set in translation (out.fields.tax = ...)" },
		{ "UNKNOWN", "deal.fields.colour: no site-defined field 'colour' "
		  "for role deal (deal fields: region (text), tax (money), qty "
		  "(integer), due (date), seen (timestamp), flag (boolean)); "
		  "declare it in <fields> in the job file" },
		{ "ROLE", "deal.fields.erp_ref: field 'erp_ref' is declared for "
		  "erp, not for deal; add deal to its roles= in <fields>" },
	};
	struct tjob t;
	struct rules *r = open_fields(&t);
	struct verdict_list l;
	const struct verdict *v;
	struct canon deal, o1, o2, d1, d2;
	const struct canon *docs[2] = { &d1, &d2 }, *orders[2] = { &o1, &o2 };
	struct erp_agg erp;
	struct group g;
	struct error err;

	verdict_list_init(&l);
	error_init(&err);
	canon_with(&deal, CANON_DEAL, "D1", NULL, NULL);
	canon_with(&o1, CANON_ORDER, "O1", NULL, NULL);
	canon_with(&o2, CANON_ORDER, "O2", NULL, NULL);
	canon_with(&d1, CANON_ERP, "E1", NULL, NULL);
	canon_with(&d2, CANON_ERP, "E2", NULL, NULL);
	xset_text(&deal, XF_REGION, "EU");
	xset_i64(&o1, XF_QTY, -3);
	xset_text(&o1, XF_FLAG, "\001");
	xset_text(&o2, XF_REGION, "US");
	xset_i64(&d1, XF_TAX, 12345);
	xset_i64(&d1, XF_DUE, 1793491200);
	xset_i64(&d1, XF_SEEN, 1793529000);
	xset_text(&d1, XF_ERPREF, "R1");
	memset(&erp, 0, sizeof(erp));
	erp.ndocs = 2;
	erp.docs = docs;

	/* out.fields, kept by a translate function for the order rules */
	{
		struct canon c;
		struct sbuf fail = SBUF_INIT(1 << 20);

		canon_init(&c);
		ck_assert_int_eq(xtranslate(r, "read_back", 1, &c, &fail), 1);
		canon_release(&c);
		sbuf_release(&fail);
	}
	g = (struct group){ "READ", 4, &deal, &o1, 2, &erp, orders };
	ck_assert_int_eq(rules_check(r, &g, &l, &err), 0);
	v = vfind(&l, "fields");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->is_error, 0);
	ck_assert_str_eq(v->message, "EU:string -3:integer true:boolean "
			 "1.2345:userdata/1793491200:integer/1793529000:integer"
			 "/R1:string nil:nil/nil:nil/nil:nil/nil:nil "
			 "nil:nil US:string");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		verdict_list_reset(&l);
		g = (struct group){ bad[i].key, strlen(bad[i].key), &deal, &o1,
				    2, &erp, orders };
		ck_assert_int_eq(rules_check(r, &g, &l, &err), 0);
		v = vfind(&l, "fields");
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(v->is_error, 1);
		ck_assert_str_eq(v->code, "RULE_ERROR");
		ck_assert_msg(strstr(v->message, bad[i].msg) != NULL,
			      "%s: %s", bad[i].key, v->message);
	}

	verdict_list_release(&l);
	error_release(&err);
	canon_release(&deal);
	canon_release(&o1);
	canon_release(&o2);
	canon_release(&d1);
	canon_release(&d2);
	rules_free(r);
}
END_TEST

Suite *suite_rules(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, load_good);
	tcase_add_test(tc, load_syntax_error);
	tcase_add_test(tc, load_runtime_error);
	tcase_add_test(tc, load_endless);
	tcase_add_test(tc, load_duplicate_rule);
	tcase_add_test(tc, load_missing_file);
	tcase_add_test(tc, load_not_regular);
	tcase_add_test(tc, load_bytecode);
	tcase_add_test(tc, load_missing_translate);
	tcase_add_test(tc, load_translate_not_function);
	tcase_add_test(tc, load_tiny_memory);
	tcase_add_test(tc, open_fault_loop);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("lua");
	tcase_add_test(tc, sandbox);
	tcase_add_test(tc, sandbox_translate);
	tcase_add_test(tc, runtime_nil);
	tcase_add_test(tc, exprs);
	tcase_add_test(tc, within_exact_without_tolerance);
	tcase_add_test(tc, verdict_comparison);
	tcase_add_test(tc, order_rules);
	tcase_add_test(tc, order_rule_lists);
	tcase_add_test(tc, translate_rows);
	tcase_add_loop_test(tc, site_field_values, 0,
			    (int)(sizeof(xcases) / sizeof(xcases[0])));
	tcase_add_test(tc, site_field_translate);
	tcase_add_test(tc, site_field_order_rules);
	tcase_add_test(tc, pattern_budget);
	tcase_add_test(tc, bombs);
	tcase_add_test(tc, load_bom);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("hangs");
	tcase_add_test(tc, hang_paths);
	tcase_add_test(tc, hang_rules);
	tcase_add_test(tc, hang_top_level);
	tcase_add_test(tc, xpcall_fault_loop);
	tcase_set_timeout(tc, 2 * HANG_ALARM);
	suite_add_tcase(s, tc);
	return s;
}
