/*
 * test_lint.c - `recon check`'s lint of the rule files (engine/lint.c,
 * docs/RULES.md "Lint"): each finding kind at its exact file:line with
 * its message, no false alarm on rules that use locals, upvalues,
 * nested functions and other files' globals, none on the demo, and the
 * text and JSON forms.
 *
 * Jobs and rules are in tests/data/lint/; paths are relative to the
 * repository root, where the unit tests run.
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "engine/buf.h"
#include "engine/job.h"
#include "engine/lint.h"

#define DIR "tests/data/lint/"

Suite *suite_lint(void);

struct want {
	const char *file;
	int line;
	const char *kind;
	const char *message;
};

static void lint_path(const char *path, struct lint_report *rep)
{
	struct error err;
	struct job *job = NULL;

	error_init(&err);
	ck_assert_msg(job_load(path, &job, &err) == 0, "%s: %s", path,
		      err.msg.buf);
	lint_report_init(rep);
	ck_assert_msg(lint_job(job, rep, &err) == 0, "%s", err.msg.buf);
	job_free(job);
	error_release(&err);
}

static void expect(const struct lint_report *rep, const struct want *w,
		   size_t n)
{
	for (size_t i = 0; i < rep->n && i < n; i++) {
		ck_assert_str_eq(rep->f[i].file, w[i].file);
		ck_assert_int_eq(rep->f[i].line, w[i].line);
		ck_assert_str_eq(rep->f[i].kind, w[i].kind);
		ck_assert_str_eq(rep->f[i].message, w[i].message);
	}
	ck_assert_uint_eq(rep->n, n);
}

/* Every kind but syntax, in translate.lua, orders.lua and the job. */
START_TEST(every_kind)
{
	static const struct want w[] = {
		{ "translate.lua", 6, "unknown-field",
		  "out.amout: the canonical record has no field 'amout' "
		  "(fields: key, deal_ref, order_ref, customer, currency, "
		  "name, amount, time, status, doc_type, fields); did you "
		  "mean 'amount'?" },
		{ "translate.lua", 8, "unknown-field",
		  "out.fields.qty: field 'qty' is not declared for deal; add "
		  "deal to its roles= in <fields> in the job file "
		  "tests/data/lint/job.xml" },
		{ "translate.lua", 9, "unknown-field",
		  "out.stauts: the canonical record has no field 'stauts' "
		  "(fields: key, deal_ref, order_ref, customer, currency, "
		  "name, amount, time, status, doc_type, fields); did you "
		  "mean 'status'?" },
		{ "translate.lua", 14, "unknown-field",
		  "out.fields.colour: the job declares no site-defined field "
		  "'colour' (fields: region (text), qty (integer)); declare "
		  "it in <fields> in the job file tests/data/lint/job.xml" },
		{ "translate.lua", 15, "undefined-global",
		  "string.fomat: the sandbox's string library has no "
		  "'fomat'; did you mean 'string.format'?" },
		{ "translate.lua", 16, "undefined-global",
		  "'print' is Lua's, but not in the rules' sandbox (rules "
		  "are pure functions of their input: no io, os, print, "
		  "require, load, ...; docs/RULES.md, \"The sandbox\")" },
		{ "orders.lua", 4, "unknown-field",
		  "o.order.amout: a record has no field 'amout' (fields: "
		  "key, deal_ref, order_ref, customer, currency, name, "
		  "amount, time, status, doc_type, fields); did you mean "
		  "'amount'?" },
		{ "orders.lua", 4, "undefined-global",
		  "'withn' is not defined: no rule file sets this global and "
		  "the sandbox has none of that name; did you mean 'within'?" },
		{ "orders.lua", 9, "no-verdict",
		  "rule 'forgets_return' calls fail() but never returns what "
		  "it gives, so the rule never reports anything; write "
		  "return fail(...)" },
		{ "orders.lua", 15, "no-verdict",
		  "rule 'never' can never return a verdict: it has no return "
		  "fail(...) (nor any return of a value), so it never "
		  "reports anything" },
		{ "orders.lua", 22, "code-collision",
		  "fail(\"MATCHED\", ...): MATCHED is one of the engine's own "
		  "outcomes (deal, order and ERP documents agree), not a "
		  "code for a rule: the report could not tell the rule's "
		  "verdict from the engine's; choose a code of your own, "
		  "such as \"MATCHED_RULE\"" },
		{ "orders.lua", 24, "unknown-field",
		  "o.dael: an order group has no field 'dael' (fields: key, "
		  "deal, order, norders, erp, orders); did you mean 'deal'?" },
		{ "orders.lua", 24, "bad-code",
		  "fail(\"lower_case\", ...): a code is 1-64 characters of "
		  "A-Z, 0-9 and _, starting with a letter (e.g. "
		  "\"AMOUNT_MISMATCH\"); this one makes every verdict of the "
		  "rule a RULE_ERROR" },
		{ "orders.lua", 29, "unknown-field",
		  "o.erp.docs[i].fields.qty: field 'qty' is not declared for "
		  "erp; add erp to its roles= in <fields> in the job file "
		  "tests/data/lint/job.xml" },
		{ "orders.lua", 29, "unknown-field",
		  "o.erp.docs[i].staus: a record has no field 'staus' "
		  "(fields: key, deal_ref, order_ref, customer, currency, "
		  "name, amount, time, status, doc_type, fields); did you "
		  "mean 'status'?" },
		{ "orders.lua", 33, "unknown-field",
		  "o.erp.invoics: o.erp has no field 'invoics' (fields: "
		  "docs, ndocs, invoices, credits, sales, drafts, cancelled, "
		  "invoiced, ordered, amount, currency, mixed_currency, unpriced); did "
		  "you mean 'invoices'?" },
		{ "orders.lua", 46, "unknown-field",
		  "o.ordr: an order group has no field 'ordr' (fields: key, "
		  "deal, order, norders, erp, orders); did you mean 'order'?" },
		{ "orders.lua", 51, "unknown-field",
		  "o.deal.custmer: a record has no field 'custmer' (fields: "
		  "key, deal_ref, order_ref, customer, currency, name, "
		  "amount, time, status, doc_type, fields); did you mean "
		  "'customer'?" },
		{ "orders.lua", 58, "undefined-global",
		  "lib.mony: the sandbox's lib library has no 'mony'; did "
		  "you mean 'lib.money'?" },
		{ "orders.lua", 59, "undefined-global",
		  "lib.text.trimm: the sandbox's lib.text library has no "
		  "'trimm'; did you mean 'lib.text.trim'?" },
		{ "tests/data/lint/job.xml", 7, "missing-translate",
		  "job source 'erp': translate function 'erp_documnet' is "
		  "not defined in the rule files (did you mean "
		  "'erp_document'?); define function erp_documnet(row, out) "
		  "in one of them" },
	};
	struct lint_report rep;

	lint_path(DIR "job.xml", &rep);
	expect(&rep, w, sizeof(w) / sizeof(w[0]));
	lint_report_release(&rep);
}
END_TEST

/* A file that does not compile: its line and Lua's message; the globals
 * it would have set are unknown, so nothing is called undefined or
 * missing for want of them (deal_from_crm is not reported). */
START_TEST(syntax_error)
{
	static const struct want w[] = {
		{ "syntax.lua", 8, "syntax",
		  "'end' expected (to close 'function' at line 3) near <eof>" },
		{ "clean.lua", 14, "unknown-field",
		  "out.fields.region: the job declares no site-defined field "
		  "'region' (it declares none); declare it in <fields> in "
		  "the job file tests/data/lint/syntax.xml" },
	};
	struct lint_report rep;

	lint_path(DIR "syntax.xml", &rep);
	expect(&rep, w, sizeof(w) / sizeof(w[0]));
	lint_report_release(&rep);
}
END_TEST

/* A file that is not source text: a finding of kind file, no line;
 * as for a syntax error, its globals are unknown. */
START_TEST(bytecode_file)
{
	static const struct want w[] = {
		{ "clean.lua", 14, "unknown-field",
		  "out.fields.region: the job declares no site-defined field "
		  "'region' (it declares none); declare it in <fields> in "
		  "the job file tests/data/lint/bytecode.xml" },
		{ "bytecode.lua", 0, "file",
		  "tests/data/lint/bytecode.lua: is precompiled Lua bytecode, "
		  "not Lua source; rule files must be source text" },
	};
	struct lint_report rep;

	lint_path(DIR "bytecode.xml", &rep);
	expect(&rep, w, sizeof(w) / sizeof(w[0]));
	lint_report_release(&rep);
}
END_TEST

/* Locals, upvalues, a table of the rule's own with field names like a
 * record's, pairs loops, method calls, library calls, a global another
 * file sets, one set inside a function, a verdict through a helper. */
START_TEST(no_false_alarms)
{
	struct lint_report rep;

	lint_path(DIR "clean.xml", &rep);
	expect(&rep, NULL, 0);
	lint_report_release(&rep);
}
END_TEST

/* The demo must lint clean (make demo runs recon check on it). */
START_TEST(demo_clean)
{
	struct lint_report rep;

	lint_path("jobs/orders-nightly.xml", &rep);
	expect(&rep, NULL, 0);
	lint_report_release(&rep);
}
END_TEST

START_TEST(formats)
{
	struct lint_report rep;
	struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);
	struct error err;
	json_error_t je;
	json_t *doc, *f;
	char *s;

	error_init(&err);
	lint_report_init(&rep);
	ck_assert_int_eq(lint_add(&rep, "rules/x.lua", 12, "syntax",
				  "unexpected symbol near 'end'", &err), 0);
	ck_assert_int_eq(lint_add(&rep, "rules/y.lua", 0, "file",
				  "cannot open rule file rules/y.lua: No "
				  "such file or directory", &err), 0);
	ck_assert_int_eq(lint_format_text(&rep, &sb), 0);
	ck_assert_str_eq(sb.buf, "rules/x.lua:12: syntax: unexpected symbol "
			 "near 'end'\nrules/y.lua: file: cannot open rule "
			 "file rules/y.lua: No such file or directory\n");
	s = lint_format_json(&rep, "nightly");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s[strlen(s) - 1], '\n');
	doc = json_loads(s, 0, &je);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "job")),
			 "nightly");
	ck_assert(json_is_false(json_object_get(doc, "ok")));
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "findings")), 2);
	f = json_array_get(json_object_get(doc, "findings"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(f, "file")),
			 "rules/x.lua");
	ck_assert_int_eq(json_integer_value(json_object_get(f, "line")), 12);
	ck_assert_str_eq(json_string_value(json_object_get(f, "kind")),
			 "syntax");
	ck_assert_str_eq(json_string_value(json_object_get(f, "message")),
			 "unexpected symbol near 'end'");
	json_decref(doc);
	free(s);
	lint_report_release(&rep);
	s = lint_format_json(&rep, "nightly");
	doc = json_loads(s, 0, &je);
	ck_assert(json_is_true(json_object_get(doc, "ok")));
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "findings")), 0);
	json_decref(doc);
	free(s);
	sbuf_release(&sb);
	error_release(&err);
}
END_TEST

Suite *suite_lint(void)
{
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("lint");

	tcase_add_test(tc, every_kind);
	tcase_add_test(tc, syntax_error);
	tcase_add_test(tc, bytecode_file);
	tcase_add_test(tc, no_false_alarms);
	tcase_add_test(tc, demo_clean);
	tcase_add_test(tc, formats);
	suite_add_tcase(s, tc);
	return s;
}
