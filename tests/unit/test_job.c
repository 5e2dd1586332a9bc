/*
 * test_job.c - loading and validating job files (engine/job.c).
 *
 * Fixtures live in tests/data/jobs/ (the tests run from the repo root):
 * good.xml and minimal.xml load; every file in bad/ fails with ERR_JOB
 * and a message naming the file, the line and what is wrong; every file
 * in fuzz/ loads or fails cleanly.
 */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/globals.h>
#include <libxml/xmlerror.h>

#include "engine/job.h"
#include "engine/mem.h"
#include "engine/money.h"
#include "engine/pubval.h"
#include "hang_guard.h"

#define DATA "tests/data/jobs/"

/* Load path, expecting failure with code; the error is left in *e (the
 * caller releases it). */
static void load_fails(const char *path, enum err_code code, struct error *e)
{
	struct job *job = (struct job *)1;

	error_init(e);
	ck_assert_int_eq(job_load(path, &job, e), -1);
	ck_assert_ptr_null(job);
	ck_assert_msg(e->code == code, "%s: code %s, want %s: %s", path,
		      error_name(e->code), error_name(code), e->msg.buf);
}

static struct job *load_ok(const char *path)
{
	struct error e;
	struct job *job = NULL;
	int rc;

	error_init(&e);
	rc = job_load(path, &job, &e);
	ck_assert_msg(rc == 0, "%s: %s", path, e.msg.buf);
	ck_assert_ptr_nonnull(job);
	ck_assert_int_eq(e.code, ERR_OK);
	error_release(&e);
	return job;
}

START_TEST(good_job_loads)
{
	struct job *job = load_ok(DATA "good.xml");
	const struct job_source *s;

	ck_assert_str_eq(job->path, DATA "good.xml");
	ck_assert_str_eq(job->dir, "tests/data/jobs");
	ck_assert_str_eq(job->name, "orders-nightly");
	ck_assert(job->window == 400 * 86400);

	ck_assert_uint_eq(job->nrule_files, 2);
	ck_assert_str_eq(job->rule_files[0], DATA "rules/translate.lua");
	ck_assert_str_eq(job->rule_files[1], DATA "rules/orders.lua");
	/* the published names: as written, tidied, relative to the job */
	ck_assert_str_eq(job_rule_name(job, 0), "rules/translate.lua");
	ck_assert_str_eq(job_rule_name(job, 1), "rules/orders.lua");

	ck_assert_uint_eq(job->nreferences, 2);
	ck_assert_str_eq(job->references[0].name, "currencies");
	ck_assert_str_eq(job->references[0].key, "code");
	ck_assert_str_eq(job->references[0].file,
			 DATA "rules/currencies.csv");
	ck_assert_str_eq(job->references[0].file_name, "rules/currencies.csv");
	ck_assert_ptr_null(job->references[0].dsn);
	ck_assert_str_eq(job->references[1].name, "customers");
	ck_assert_str_eq(job->references[1].dsn, "recon_demo_crm");
	ck_assert_str_eq(job->references[1].query,
			 "SELECT erp_code, account FROM crm_customer");
	ck_assert_ptr_null(job->references[1].file);
	ck_assert_int_eq(job->references[1].line, 50);
	ck_assert_uint_eq(job->reference_rows, 5000);

	ck_assert_uint_eq(job->nsources, 4);
	s = &job->sources[0];
	ck_assert_str_eq(s->name, "crm");
	ck_assert_int_eq(s->role, CANON_DEAL);
	ck_assert_str_eq(s->dsn, "recon_demo_crm");
	ck_assert_str_eq(s->translate, "deal_from_crm");
	ck_assert_str_eq(s->id_column, "deal_id");
	ck_assert_int_eq(s->line, 11);
	/* trimmed, entities decoded, inner layout kept */
	ck_assert_str_eq(s->query,
			 "SELECT deal_id, amount FROM crm_deal\n"
			 "        WHERE closed_at <= ? AND closed_at >= ? "
			 "AND stage = ?");
	ck_assert_uint_eq(s->nparams, 3);
	ck_assert_int_eq(s->params[0].kind, JP_AS_OF);
	ck_assert_ptr_null(s->params[0].literal);
	ck_assert_int_eq(s->params[1].kind, JP_WINDOW_START);
	ck_assert_int_eq(s->params[2].kind, JP_LITERAL);
	ck_assert_str_eq(s->params[2].literal, "WON");

	s = &job->sources[1];
	ck_assert_str_eq(s->name, "orders");
	ck_assert_int_eq(s->role, CANON_ORDER);
	ck_assert_ptr_null(s->id_column);
	ck_assert_str_eq(s->query,
			 "SELECT * FROM orders WHERE created_at <= ?");
	ck_assert_uint_eq(s->nparams, 3);
	ck_assert_int_eq(s->params[1].kind, JP_LITERAL);
	ck_assert_str_eq(s->params[1].literal, "a&b&c<\xe2\x82\xac\"");
	ck_assert_str_eq(s->params[2].literal, "");
	ck_assert_int_eq(job->sources[2].role, CANON_ERP);
	ck_assert_int_eq(job->sources[3].role, CANON_ERP);
	ck_assert_str_eq(job->sources[3].name, "erp-invoices");
	ck_assert_int_eq(job->sources[0].allow_empty, 0);
	ck_assert_int_eq(job->sources[3].allow_empty, 1);
	ck_assert_uint_eq(job->sources[3].nparams, 0);
	/* the rule-error ceiling: the source's own, else <limits>' */
	ck_assert(job->max_rule_errors_ppm == 25000);
	ck_assert(job->sources[3].max_rule_errors_ppm == 100000);
	ck_assert(job->sources[0].max_rule_errors_ppm == 25000);

	ck_assert_int_eq(job->erp_many, 0);
	ck_assert_int_eq(job->deal_link, CS_NAME);
	ck_assert_int_eq(job->order_deal_link, CS_CUSTOMER);
	ck_assert_int_eq(job->order_erp_link, CS_DEAL_REF);
	ck_assert_int_eq(job->erp_link, CS_KEY);
	ck_assert(job->grace_deal == 24 * 3600);
	ck_assert(job->grace_erp == 3 * 86400);

	ck_assert_uint_eq(job->ntolerances, 3);
	ck_assert_str_eq(job->tolerances[0].currency, "*");
	ck_assert(job->tolerances[0].absolute == 100);	/* 0.01 at scale 4 */
	ck_assert(job->tolerances[0].rel_ppm == 0);
	ck_assert_str_eq(job->tolerances[1].currency, "JPY");
	ck_assert(job->tolerances[1].absolute == MONEY_ONE);
	ck_assert_str_eq(job->tolerances[2].currency, "EUR");
	ck_assert(job->tolerances[2].absolute == 0);
	ck_assert(job->tolerances[2].rel_ppm == 1000);

	ck_assert_str_eq(job->store_dsn, "recon_demo_store");
	ck_assert_str_eq(job->store_table, "reconciled_orders");
	ck_assert_uint_eq(job->ncolumns, 3);
	ck_assert_str_eq(job->columns[0].name, "order");
	ck_assert_int_eq(job->columns[0].type, LT_TEXT);
	ck_assert_str_eq(job->columns[1].value, "deal.time");
	ck_assert_int_eq(job->columns[1].type, LT_DATE);
	ck_assert_str_eq(job->columns[2].name, "invoiced");
	ck_assert_int_eq(job->columns[2].type, LT_MONEY);
	ck_assert_int_eq(job->columns[2].line, 46);
	/* "tests/data/jobs/../out/reports", tidied */
	ck_assert_str_eq(job->report_dir, "tests/data/out/reports");
	ck_assert_uint_eq(job->report_formats, JOB_REPORT_HTML);
	ck_assert_uint_eq(job->rule_memory, 512 * 1024);
	ck_assert(job->rule_instructions == 5000);
	ck_assert_uint_eq(job->partitions, 16);
	ck_assert_uint_eq(job->match_memory, (size_t)2 << 20);
	ck_assert_int_eq(job->read_at_once, 0);
	job_free(job);
}
END_TEST

/* <fields>: each type, roles= given (any spacing) or all roles, report=
 * true by default; 32 fields and a 32-character name are accepted. */
START_TEST(site_fields_load)
{
	struct job *job = load_ok(DATA "fields.xml");
	const struct job_field *f = job->fields;
	const unsigned all = 1u << CANON_DEAL | 1u << CANON_ORDER |
			     1u << CANON_ERP;

	ck_assert_uint_eq(job->nfields, CANON_XMAX);
	ck_assert_str_eq(f[0].name, "region");
	ck_assert_int_eq(f[0].type, CFT_TEXT);
	ck_assert_uint_eq(f[0].roles, 1u << CANON_DEAL | 1u << CANON_ORDER);
	ck_assert_int_eq(f[0].report, 1);
	ck_assert_int_eq(f[0].line, 13);
	ck_assert_int_eq(f[1].type, CFT_MONEY);
	ck_assert_uint_eq(f[1].roles, 1u << CANON_ORDER | 1u << CANON_ERP);
	ck_assert_int_eq(f[1].report, 0);
	ck_assert_int_eq(f[2].type, CFT_INTEGER);
	ck_assert_uint_eq(f[2].roles, 1u << CANON_ORDER);
	ck_assert_int_eq(f[2].report, 1);
	ck_assert_int_eq(f[3].type, CFT_DATE);
	ck_assert_uint_eq(f[3].roles, all);
	ck_assert_int_eq(f[4].type, CFT_TIMESTAMP);
	ck_assert_str_eq(f[4].name, "seen_at");
	ck_assert_uint_eq(f[4].roles, 1u << CANON_ERP);
	ck_assert_int_eq(f[5].type, CFT_BOOLEAN);
	ck_assert_str_eq(f[5].name, "_flag");
	ck_assert_uint_eq(f[5].roles, 1u << CANON_DEAL);
	ck_assert_str_eq(f[31].name, "a_field_name_of_thirty_two_chars");
	ck_assert_int_eq(job_field_lookup(job, "due", 3), 3);
	ck_assert_int_eq(job_field_lookup(job, "duex", 3), 3);
	ck_assert_int_eq(job_field_lookup(job, "du", 2), -1);
	ck_assert_int_eq(job_field_lookup(job, "Due", 3), -1);
	job_free(job);

	/* no <fields>: none */
	job = load_ok(DATA "minimal.xml");
	ck_assert_uint_eq(job->nfields, 0);
	ck_assert_int_eq(job_field_lookup(job, "region", 6), -1);
	job_free(job);
}
END_TEST

/* <column value="deal.fields.NAME">: a site field of <fields>, which
 * may come after <store>; a timestamp field may fill a date column. */
START_TEST(site_field_columns_load)
{
	struct job *job = load_ok(DATA "field-columns.xml");
	const struct job_column *c = job->columns;

	ck_assert_uint_eq(job->ncolumns, 7);
	ck_assert_int_eq(c[6].pv, pubval_site(CANON_ERP, 3));
	ck_assert_int_eq(c[0].pv, pubval_site(CANON_DEAL, 0));
	ck_assert_int_eq(c[0].type, LT_TEXT);
	ck_assert_int_eq(c[1].pv, pubval_site(CANON_ORDER, 1));
	ck_assert_int_eq(c[1].type, LT_MONEY);
	ck_assert_int_eq(c[2].pv, pubval_site(CANON_ORDER, 2));
	ck_assert_int_eq(c[3].pv, pubval_site(CANON_DEAL, 3));
	ck_assert_int_eq(c[3].type, LT_DATE);
	ck_assert_int_eq(c[4].pv, pubval_site(CANON_ORDER, 4));
	ck_assert_int_eq(c[4].type, LT_DATE);
	ck_assert_int_eq(c[5].type, LT_TIMESTAMP);
	ck_assert_str_eq(c[5].value, "order.fields.seen_at");
	ck_assert(pubval_is_site(c[5].pv));
	ck_assert(!pubval_is_site(pubval_lookup("erp.cancelled")));
	job_free(job);
	{
		/* the message for an unknown value names the site paths */
		struct sbuf all = SBUF_INIT(4096);

		ck_assert_int_eq(pubval_list(&all), 0);
		ck_assert_ptr_nonnull(strstr(all.buf, " erp.cancelled "
					     "deal.fields.NAME "
					     "order.fields.NAME "
					     "erp.fields.NAME"));
		sbuf_release(&all);
	}
}
END_TEST

START_TEST(minimal_job_takes_defaults)
{
	struct job *job = load_ok(DATA "minimal.xml");

	ck_assert_str_eq(job->name, "minimal");
	/* a leading ".." stays in the name, not in the path to open */
	ck_assert_str_eq(job->rule_files[0], DATA "rules/translate.lua");
	ck_assert_str_eq(job_rule_name(job, 0), "../jobs/rules/translate.lua");
	ck_assert(job->window == 0);
	ck_assert_uint_eq(job->nsources, 3);
	ck_assert_uint_eq(job->sources[0].nparams, 0);
	ck_assert_int_eq(job->erp_many, 1);
	ck_assert_int_eq(job->deal_link, CS_KEY);
	ck_assert_int_eq(job->order_deal_link, CS_DEAL_REF);
	ck_assert_int_eq(job->order_erp_link, CS_KEY);
	ck_assert_int_eq(job->erp_link, CS_ORDER_REF);
	ck_assert(job->grace_deal == 0);
	ck_assert(job->grace_erp == 0);
	ck_assert_uint_eq(job->ntolerances, 0);
	ck_assert_ptr_null(job_tolerance_for(job, "EUR", 3));
	ck_assert_str_eq(job->report_dir, DATA "reports");
	ck_assert_uint_eq(job->report_formats,
			  JOB_REPORT_CSV | JOB_REPORT_HTML);
	ck_assert_uint_eq(job->rule_memory, (size_t)64 << 20);
	ck_assert(job->rule_instructions == 1000000);
	ck_assert_uint_eq(job->partitions, 64);
	ck_assert_uint_eq(job->match_memory, (size_t)64 << 20);
	ck_assert_int_eq(job->read_at_once, -1);	/* auto */
	ck_assert_uint_eq(job->nreferences, 0);
	ck_assert(job->reference_rows == JOB_DEFAULT_REFERENCE_ROWS);
	/* the guard's defaults: 0.5 of the rows, at most 1% rule errors */
	for (size_t i = 0; i < job->nsources; i++) {
		ck_assert(job->sources[i].min_rows_ppm == 500000);
		ck_assert(job->sources[i].max_rule_errors_ppm == 10000);
	}
	/* no <column>: the default columns */
	ck_assert_uint_eq(job->ncolumns, 8);
	ck_assert_str_eq(job->columns[0].name, "deal_key");
	ck_assert_str_eq(job->columns[0].value, "deal.key");
	ck_assert_str_eq(job->columns[7].name, "erp_docs");
	ck_assert_int_eq(job->columns[7].type, LT_INTEGER);
	ck_assert_int_eq(job->columns[7].line, 0);
	job_free(job);
}
END_TEST

START_TEST(tolerance_lookup)
{
	struct job *job = load_ok(DATA "good.xml");
	const struct job_tolerance *t;

	t = job_tolerance_for(job, "JPY", 3);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->currency, "JPY");
	t = job_tolerance_for(job, "EURO", 3);	/* length counts */
	ck_assert_str_eq(t->currency, "EUR");
	t = job_tolerance_for(job, "USD", 3);
	ck_assert_str_eq(t->currency, "*");
	t = job_tolerance_for(job, "JP", 2);
	ck_assert_str_eq(t->currency, "*");
	t = job_tolerance_for(job, NULL, 0);
	ck_assert_str_eq(t->currency, "*");
	job_free(job);
}
END_TEST

START_TEST(durations)
{
	int64_t v = -7;

	ck_assert_int_eq(job_parse_duration("90s", &v), 0);
	ck_assert(v == 90);
	ck_assert_int_eq(job_parse_duration("15m", &v), 0);
	ck_assert(v == 900);
	ck_assert_int_eq(job_parse_duration("24h", &v), 0);
	ck_assert(v == 86400);
	ck_assert_int_eq(job_parse_duration("3d", &v), 0);
	ck_assert(v == 259200);
	ck_assert_int_eq(job_parse_duration("3600", &v), 0);
	ck_assert(v == 3600);
	ck_assert_int_eq(job_parse_duration("0", &v), 0);
	ck_assert(v == 0);
	ck_assert_int_eq(job_parse_duration("0007s", &v), 0);
	ck_assert(v == 7);
	ck_assert_int_eq(job_parse_duration("36500d", &v), 0);
	ck_assert(v == INT64_C(3153600000));

	v = -7;
	ck_assert_int_eq(job_parse_duration("36501d", &v), -1);
	ck_assert_int_eq(job_parse_duration("", &v), -1);
	ck_assert_int_eq(job_parse_duration("s", &v), -1);
	ck_assert_int_eq(job_parse_duration("-1s", &v), -1);
	ck_assert_int_eq(job_parse_duration("+1s", &v), -1);
	ck_assert_int_eq(job_parse_duration(" 1s", &v), -1);
	ck_assert_int_eq(job_parse_duration("1s ", &v), -1);
	ck_assert_int_eq(job_parse_duration("1.5h", &v), -1);
	ck_assert_int_eq(job_parse_duration("1H", &v), -1);
	ck_assert_int_eq(job_parse_duration("1w", &v), -1);
	ck_assert_int_eq(job_parse_duration("1dd", &v), -1);
	ck_assert_int_eq(job_parse_duration("18446744073709551616", &v), -1);
	ck_assert_int_eq(job_parse_duration("9223372036854775807", &v), -1);
	ck_assert_int_eq(job_parse_duration("106751991167301d", &v), -1);
	ck_assert_int_eq(job_parse_duration(NULL, &v), -1);
	ck_assert(v == -7);	/* untouched on failure */
}
END_TEST

/* Each bad fixture: its line and a phrase of the message. */
static const struct {
	const char *file;
	int line;
	const char *phrase;
} bad_jobs[] = {
	{ "ref-duplicate.xml", 11, "duplicate reference name \"c\" (lines 10 and 11)" },
	{ "ref-both.xml", 10, "reference \"c\": give either dsn= and query= or file=, not both" },
	{ "ref-neither.xml", 10, "reference \"c\": needs dsn= and query=" },
	{ "ref-missing-file.xml", 10, "No such file" },
	{ "ref-keyword.xml", 10, "reference \"end\": the name must be a Lua name" },
	{ "ref-rows.xml", 14, "reference-rows=\"0\": expected a positive whole number" },
	{ "malformed.xml", 11, "tag mismatch" },
	{ "wrong-root.xml", 2, "root element must be <job" },
	{ "wrong-namespace.xml", 2, "not in namespace \"urn:recon:job:2\"" },
	{ "unknown-element.xml", 11, "timetable': This element is not expected" },
	{ "missing-attribute.xml", 6, "'dsn' is required" },
	{ "bad-role.xml", 7, "'invoice' is not an element of the set" },
	{ "duplicate-source.xml", 8, "duplicate source name \"o\" (lines 6 and 8)" },
	{ "missing-role.xml", 4, "no source with role=\"erp\"" },
	{ "bad-duration.xml", 2, "window=\"3x\" is not a duration" },
	{ "duration-overflow.xml", 2, "is not a duration" },
	{ "tolerance-decimals.xml", 12, "absolute=\"0.00001\": more than 4 decimal" },
	{ "relative-decimals.xml", 12, "too many decimals" },
	{ "relative-over-one.xml", 12, "must be between 0 and 1" },
	{ "duplicate-currency.xml", 14, "duplicate tolerance for currency \"EUR\" (lines 12 and 14)" },
	{ "bad-currency.xml", 12, "ISO 4217" },
	{ "bad-table.xml", 9, "'orders; DROP TABLE x' is not accepted by the pattern" },
	{ "long-table.xml", 9, "store table \"reconciled_orders_of_the_northern_region_sales_ledger_2026ab\" is 60 characters long; at most 44 (the engine names its triggers T_schema_insert_only and the like, and PostgreSQL allows 63 characters)" },
	{ "billion-laughs.xml", 2, "job files may not have a DOCTYPE" },
	{ "external-entity.xml", 2, "job files may not have a DOCTYPE" },
	{ "password-in-query.xml", 6, "credentials belong in odbc.ini or the environment" },
	{ "password-attribute.xml", 9, "attribute 'password' is not allowed" },
	{ "missing-rule-file.xml", 5, "\"../rules/missing.lua\" (\"tests/data/jobs/rules/missing.lua\"): No such file" },
	{ "bad-link.xml", 12, "<link deal=\"id\">: not a canonical field" },
	{ "bad-link-pair.xml", 12, "a <link> joins deal to order" },
	{ "window-start-without-window.xml", 5, "needs a window= attribute" },
	{ "bad-param.xml", 7, "not both" },
	{ "bad-partitions.xml", 11, "partitions=\"300\": expected a whole number from 1 to 256" },
	{ "bad-rule-memory.xml", 11, "rule-memory=\"64 MB\"" },
	{ "bad-match-memory.xml", 11, "match-memory=\"half\": expected a size (bytes, or with KB, MB or GB; 0 to spill everything)" },
	{ "bad-format.xml", 10, "'pdf' is not an element of the set" },
	{ "bad-translate.xml", 6, "translate \"end\" is not a Lua function name" },
	{ "empty-query.xml", 6, "<query> is empty" },
	{ "column-name.xml", 12, "column name \"Deal_Key\" is not a column name ([a-z_][a-z0-9_]*, lower case" },
	{ "column-reserved.xml", 12, "column name \"content_hash\" is one of the store's own columns" },
	{ "column-duplicate.xml", 13, "duplicate column \"k\" (lines 12 and 13)" },
	{ "column-value.xml", 12, "column amount: value \"deal.amnt\" is not a published value; known: key customer" },
	{ "column-type-mismatch.xml", 12, "column amount: value deal.amount is money, so the column's type must be money, not text" },
	{ "column-type.xml", 12, "'float' is not an element of the set" },
	{ "column-field-unknown.xml", 12, "column r: value \"deal.fields.regio\": no field \"regio\" in <fields>; declared: region due flag" },
	{ "column-field-role.xml", 12, "column r: value deal.fields.region: field region is not declared for the deal (roles: order, line 15)" },
	{ "column-field-type.xml", 12, "column r: value deal.fields.due is timestamp, so the column's type must be timestamp or date, not integer" },
	{ "column-field-boolean.xml", 12, "column f: value deal.fields.flag is boolean, so the column's type must be text (true/false) or integer (1/0), not money" },
	{ "column-field-erp.xml", 12, "column r: value erp.fields.region: field region is not declared for the erp (roles: order, line 15)" },
	{ "field-name.xml", 14, "field name \"Tax_Code\" is not a field name ([a-z_][a-z0-9_]*, lower case, at most 32 characters, not a Lua keyword)" },
	{ "field-long.xml", 14, "field name \"a_field_name_of_thirty_three_chrs\" is not a field name ([a-z_][a-z0-9_]*, lower case, at most 32 characters, not a Lua keyword)" },
	{ "field-keyword.xml", 14, "field name \"end\" is not a field name ([a-z_][a-z0-9_]*, lower case, at most 32 characters, not a Lua keyword)" },
	{ "field-duplicate.xml", 14, "duplicate field name \"region\" (lines 13 and 14); one field may serve several roles (roles=\"deal order\")" },
	{ "field-type.xml", 14, "attribute 'type': [facet 'enumeration'] The value 'decimal' is not an element of the set {'text', 'money', 'integer', 'date', 'timestamp', 'boolean'}" },
	{ "field-roles.xml", 14, "field tax: roles=\"order invoice\": 'invoice' is not a role (expected deal, order and/or erp, separated by spaces)" },
	{ "field-roles-twice.xml", 14, "field tax: roles=\"order erp order\" names order twice" },
	{ "field-roles-empty.xml", 14, "field tax: roles= names no role (deal, order, erp)" },
	{ "field-report.xml", 14, "field tax: report=\"1\": expected true or false" },
	{ "field-report-yes.xml", 14, "attribute 'report': 'yes' is not a valid value of the atomic type 'xs:boolean'" },
	{ "field-many.xml", 12, "<fields> declares 33 fields; at most 32" },
};

START_TEST(bad_job_fails)
{
	struct error e;
	char path[256], where[300];

	snprintf(path, sizeof(path), DATA "bad/%s", bad_jobs[_i].file);
	snprintf(where, sizeof(where), "%s:%d:", path, bad_jobs[_i].line);
	load_fails(path, ERR_JOB, &e);
	ck_assert_msg(strncmp(e.msg.buf, where, strlen(where)) == 0,
		      "want %s..., got %s", where, e.msg.buf);
	ck_assert_msg(strstr(e.msg.buf, bad_jobs[_i].phrase) != NULL,
		      "want \"%s\" in %s", bad_jobs[_i].phrase, e.msg.buf);
	ck_assert_int_eq(e.line, bad_jobs[_i].line);
	ck_assert_ptr_null(strchr(e.msg.buf, '\n'));
	error_release(&e);
}
END_TEST

/* Every fixture in bad/ must be in the table above, so none goes
 * untested. */
START_TEST(bad_fixtures_all_listed)
{
	DIR *d = opendir(DATA "bad");
	struct dirent *de;
	size_t seen = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		int found = 0;

		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < sizeof(bad_jobs) / sizeof(bad_jobs[0]);
		     i++)
			if (strcmp(de->d_name, bad_jobs[i].file) == 0)
				found = 1;
		ck_assert_msg(found, "bad/%s is not in bad_jobs[]", de->d_name);
		seen++;
	}
	closedir(d);
	ck_assert_uint_eq(seen, sizeof(bad_jobs) / sizeof(bad_jobs[0]));
}
END_TEST

START_TEST(missing_job_file)
{
	struct error e;

	load_fails(DATA "no-such-job.xml", ERR_JOB, &e);
	ck_assert_ptr_nonnull(strstr(e.msg.buf, DATA "no-such-job.xml: "));
	ck_assert_ptr_nonnull(strstr(e.msg.buf, "No such file"));
	error_release(&e);

	load_fails(DATA "rules", ERR_JOB, &e);	/* a directory */
	ck_assert_ptr_nonnull(strstr(e.msg.buf, DATA "rules: "));
	error_release(&e);
}
END_TEST

/*
 * A FIFO as the job file, or as a rule file it names, is refused before
 * anything is read (opening it used to block until a writer came, so
 * `recon check` hung). The alarm turns a regression into a failure.
 */
START_TEST(fifo_job_and_rule_file)
{
	char dir[] = "/tmp/recon-test-fifo-XXXXXX";
	char job[64], rule[64], want[256];
	struct error e;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(job, sizeof(job), "%s/job.xml", dir);
	snprintf(rule, sizeof(rule), "%s/rules.lua", dir);
	hang_guard_start(20);

	ck_assert_int_eq(mkfifo(job, 0600), 0);
	load_fails(job, ERR_JOB, &e);
	snprintf(want, sizeof(want), "%s: not a regular file (a FIFO); give "
		 "the path of a job file", job);
	ck_assert_str_eq(e.msg.buf, want);
	error_release(&e);
	ck_assert_int_eq(unlink(job), 0);

	/* A well-formed job whose rule file is a FIFO. */
	f = fopen(job, "w");
	ck_assert_ptr_nonnull(f);
	fputs("<job xmlns=\"urn:recon:job:1\" name=\"fifo\">\n<sources>\n"
	      "<source name=\"d\" role=\"deal\" dsn=\"a\" translate=\"t\">"
	      "<query>SELECT 1</query></source>\n"
	      "<source name=\"o\" role=\"order\" dsn=\"b\" translate=\"t\">"
	      "<query>SELECT 2</query></source>\n"
	      "<source name=\"e\" role=\"erp\" dsn=\"c\" translate=\"t\">"
	      "<query>SELECT 3</query></source>\n</sources>\n"
	      "<rules><file>rules.lua</file></rules>\n"
	      "<reports dir=\"r\" formats=\"csv\"/>\n<store dsn=\"s\" table=\"t\"/>\n</job>\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(mkfifo(rule, 0600), 0);
	load_fails(job, ERR_JOB, &e);
	snprintf(want, sizeof(want), "%s:7: rule file \"rules.lua\" (\"%s\"): "
		 "not a regular file (a FIFO); give the path of a rule file",
		 job, rule);
	ck_assert_str_eq(e.msg.buf, want);
	error_release(&e);

	/* A directory is named as one. */
	ck_assert_int_eq(unlink(rule), 0);
	ck_assert_int_eq(mkdir(rule, 0700), 0);
	load_fails(job, ERR_JOB, &e);
	ck_assert_ptr_nonnull(strstr(e.msg.buf, "not a regular file (a "
				     "directory)"));
	error_release(&e);
	hang_guard_stop();
	ck_assert_int_eq(rmdir(rule), 0);
	ck_assert_int_eq(unlink(job), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The store table is folded to lower case at load: the store names its
 * objects so on every DBMS (docs/STORE.md). */
START_TEST(store_table_folded)
{
	char dir[] = "/tmp/recon-test-fold-XXXXXX";
	char path[64], rule[64];
	struct job *job;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/job.xml", dir);
	snprintf(rule, sizeof(rule), "%s/rules.lua", dir);
	f = fopen(rule, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fclose(f), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("<job xmlns=\"urn:recon:job:1\" name=\"fold\">\n<sources>\n"
	      "<source name=\"d\" role=\"deal\" dsn=\"a\" translate=\"t\">"
	      "<query>SELECT 1</query></source>\n"
	      "<source name=\"o\" role=\"order\" dsn=\"b\" translate=\"t\">"
	      "<query>SELECT 2</query></source>\n"
	      "<source name=\"e\" role=\"erp\" dsn=\"c\" translate=\"t\">"
	      "<query>SELECT 3</query></source>\n</sources>\n"
	      "<rules><file>rules.lua</file></rules>\n"
	      "<reports dir=\"r\" formats=\"csv\"/>\n"
	      "<store dsn=\"s\" table=\"Recon_Orders_2\"/>\n</job>\n", f);
	ck_assert_int_eq(fclose(f), 0);
	job = load_ok(path);
	ck_assert_str_eq(job->store_table, "recon_orders_2");
	job_free(job);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(unlink(rule), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* <reports>: formats="xml", csv-bom and csv-columns; their defaults;
 * a wrong value refused naming it. */
static void write_reports_job(const char *path, const char *reports)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "<job xmlns=\"urn:recon:job:1\" name=\"rep\">\n<sources>\n"
		"<source name=\"d\" role=\"deal\" dsn=\"a\" translate=\"t\">"
		"<query>SELECT 1</query></source>\n"
		"<source name=\"o\" role=\"order\" dsn=\"b\" translate=\"t\">"
		"<query>SELECT 2</query></source>\n"
		"<source name=\"e\" role=\"erp\" dsn=\"c\" translate=\"t\">"
		"<query>SELECT 3</query></source>\n</sources>\n"
		"<rules><file>rules.lua</file></rules>\n"
		"<reports dir=\"r\" %s/>\n"
		"<store dsn=\"s\" table=\"t\"/>\n</job>\n", reports);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(report_options_load)
{
	char dir[] = "/tmp/recon-test-rep-XXXXXX";
	char path[64], rule[64];
	struct job *job;
	struct error e;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/job.xml", dir);
	snprintf(rule, sizeof(rule), "%s/rules.lua", dir);
	f = fopen(rule, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fclose(f), 0);

	write_reports_job(path, "formats=\"xml csv\" csv-bom=\"false\" "
			  "csv-columns=\"full\"");
	job = load_ok(path);
	ck_assert_uint_eq(job->report_formats, JOB_REPORT_XML | JOB_REPORT_CSV);
	ck_assert_int_eq(job->report_csv_no_bom, 1);
	ck_assert_int_eq(job->report_csv_full, 1);
	job_free(job);

	write_reports_job(path, "formats=\"csv\" csv-bom=\"true\" "
			  "csv-columns=\"default\"");
	job = load_ok(path);
	ck_assert_uint_eq(job->report_formats, JOB_REPORT_CSV);
	ck_assert_int_eq(job->report_csv_no_bom, 0);
	ck_assert_int_eq(job->report_csv_full, 0);
	job_free(job);

	write_reports_job(path, "formats=\"html\"");
	job = load_ok(path);
	ck_assert_int_eq(job->report_csv_no_bom, 0);	/* BOM by default */
	ck_assert_int_eq(job->report_csv_full, 0);
	job_free(job);

	write_reports_job(path, "formats=\"csv\" csv-columns=\"all\"");
	load_fails(path, ERR_JOB, &e);
	ck_assert_msg(strstr(e.msg.buf, "csv-columns") != NULL, "%s", e.msg.buf);
	error_release(&e);
	write_reports_job(path, "formats=\"csv\" csv-bom=\"no\"");
	load_fails(path, ERR_JOB, &e);
	ck_assert_msg(strstr(e.msg.buf, "csv-bom") != NULL, "%s", e.msg.buf);
	error_release(&e);
	write_reports_job(path, "formats=\"pdf\"");
	load_fails(path, ERR_JOB, &e);
	error_release(&e);

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(unlink(rule), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A file over the size cap is refused before parsing. */
START_TEST(oversized_job_file)
{
	char path[] = "/tmp/recon-test-job-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	struct error e;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs("<job xmlns=\"urn:recon:job:1\" name=\"", f);
	for (int i = 0; i < (1 << 20); i++)
		fputc('a', f);
	fputs("\"/>\n", f);
	ck_assert_int_eq(fclose(f), 0);
	load_fails(path, ERR_JOB, &e);
	ck_assert_ptr_nonnull(strstr(e.msg.buf, "larger than"));
	error_release(&e);
	unlink(path);
}
END_TEST

/*
 * Load text from a temporary file; it must fail with ERR_JOB and the
 * message "PATH:LINE:COL: want" (the column is libxml2's; the rest is
 * exact).
 */
static void xml_fails(const char *text, size_t len, int line,
		      const char *want)
{
	char path[] = "/tmp/recon-test-job-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	struct error e;
	const char *p;
	char prefix[64];

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	load_fails(path, ERR_JOB, &e);
	snprintf(prefix, sizeof(prefix), "%s:%d:", path, line);
	ck_assert_msg(strncmp(e.msg.buf, prefix, strlen(prefix)) == 0,
		      "%s: want prefix %s", e.msg.buf, prefix);
	p = strstr(e.msg.buf + strlen(prefix), ": ");
	ck_assert_msg(p != NULL, "%s", e.msg.buf);
	ck_assert_str_eq(p + 2, want);
	ck_assert_int_eq(e.line, line);
	error_release(&e);
	unlink(path);
}

static void xml_fails_s(const char *text, int line, const char *want)
{
	xml_fails(text, strlen(text), line, want);
}

#define JOB_OPEN "<job xmlns=\"urn:recon:job:1\">\n"

/* libxml2 messages naming its options, functions or grammar terms are
 * said in the job author's terms, with the limit reached. */
START_TEST(xml_messages_in_user_terms)
{
	struct sbuf big = SBUF_INIT((size_t)1 << 20);

	/* depth: libxml2 says "use XML_PARSE_HUGE option" */
	sbuf_addstr(&big, JOB_OPEN);
	for (int i = 0; i < 300; i++)
		sbuf_addstr(&big, "<a>");
	for (int i = 0; i < 300; i++)
		sbuf_addstr(&big, "</a>");
	sbuf_addstr(&big, "</job>\n");
	xml_fails(big.buf, big.len, 2, "elements are nested more than 256 "
		  "deep (the limit for job files)");
	/* a name over 50,000 bytes: "Name too long: NCName" */
	sbuf_reset(&big);
	sbuf_addstr(&big, JOB_OPEN "<");
	for (int i = 0; i < 60000; i++)
		sbuf_addch(&big, 'n');
	sbuf_addstr(&big, "/></job>\n");
	xml_fails(big.buf, big.len, 2, "a name (of an element, attribute or "
		  "prefix) is longer than 50000 characters (the limit for job "
		  "files)");
	sbuf_release(&big);
	/* "xmlParseCharRef: invalid xmlChar value 0" and "... out of bounds" */
	xml_fails_s(JOB_OPEN "\n&#0;</job>\n", 3, "a character reference "
		    "&#...; stands for character 0, which XML does not allow");
	xml_fails_s(JOB_OPEN "&#x110000;</job>\n", 2, "a character reference "
		    "&#...; stands for character 1114112, which XML does not "
		    "allow");
	/* "CharRef: invalid hexadecimal value" */
	xml_fails_s(JOB_OPEN "&#xZZ;</job>\n", 2, "a character reference "
		    "&#x...; is not a hexadecimal number");
	/* "xmlParseComment: invalid xmlChar value 1", "PCDATA invalid Char
	 * value 1" */
	xml_fails_s(JOB_OPEN "<!-- a\001b --></job>\n", 2, "a character XML "
		    "does not allow (a control character) is here; remove it");
	xml_fails_s(JOB_OPEN "a\001b</job>\n", 2, "a character XML does not "
		    "allow (a control character) is here; remove it");
	/* "Input is not proper UTF-8, indicate encoding !" */
	xml_fails_s(JOB_OPEN "\n\n\377\376</job>\n", 4, "the file is not "
		    "valid UTF-8 here (job files are UTF-8: save it as UTF-8)");
	/* "Unregistered error message" */
	xml_fails_s(JOB_OPEN "<![CDATA[a\001]]></job>\n", 2, "a <![CDATA[ "
		    "section is not closed with ]]> or holds a character XML "
		    "does not allow");
	/* "ParsePI: PI pi never end ..." */
	xml_fails_s(JOB_OPEN "<?pi a\001b?></job>\n", 2, "a processing "
		    "instruction <?...?> is not closed with ?> or holds a "
		    "character XML does not allow");
	/* messages in plain words are kept as libxml2 says them */
	xml_fails_s(JOB_OPEN "<a></job>\n", 2, "Opening and ending tag "
		    "mismatch: a line 2 and job");
}
END_TEST

/* The first error wins: a struct error already set is left alone. */
START_TEST(first_error_wins)
{
	struct error e;
	struct job *job;

	error_init(&e);
	error_set(&e, ERR_SOURCE, "earlier");
	ck_assert_int_eq(job_load(DATA "bad/malformed.xml", &job, &e), -1);
	ck_assert_int_eq(e.code, ERR_SOURCE);
	ck_assert_str_eq(e.msg.buf, "earlier");
	error_release(&e);
}
END_TEST

/* libxml2 prints nothing, and its handlers are restored afterwards. */
START_TEST(quiet_and_restores_handlers)
{
	static const char *const files[] = {
		"bad/malformed.xml", "bad/bad-role.xml",
		"bad/billion-laughs.xml", "fuzz/bad-utf8.xml",
		"fuzz/binary-junk.bin", "fuzz/doctype-external.xml",
	};
	char tmpl[] = "/tmp/recon-test-stderr-XXXXXX";
	int fd = mkstemp(tmpl), saved;
	xmlStructuredErrorFunc before = xmlStructuredError;
	void *before_ctx = xmlStructuredErrorContext;
	xmlGenericErrorFunc gbefore = xmlGenericError;
	off_t size;

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, 2), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[256];
		struct error e;
		struct job *job;

		snprintf(path, sizeof(path), DATA "%s", files[i]);
		error_init(&e);
		job_load(path, &job, &e);
		error_release(&e);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	size = lseek(fd, 0, SEEK_END);
	close(fd);
	unlink(tmpl);
	ck_assert_msg(size == 0, "%ld bytes written to stderr", (long)size);
	ck_assert(xmlStructuredError == before);
	ck_assert(xmlStructuredErrorContext == before_ctx);
	ck_assert(xmlGenericError == gbefore);
}
END_TEST

/*
 * Fail each allocation in turn: every failure is -1 with ERR_NOMEM (or
 * ERR_JOB, when the failure hit while composing a message), nothing is
 * returned, and nothing leaks (ASan and valgrind runs check that).
 */
START_TEST(allocation_faults)
{
	const char *files[] = { DATA "good.xml", DATA "bad/duplicate-source.xml",
				DATA "fields.xml", DATA "bad/field-duplicate.xml" };

	for (size_t f = 0; f < 4; f++) {
		long n;

		for (n = 0; n < 10000; n++) {
			struct error e;
			struct job *job = (struct job *)1;
			int rc;

			error_init(&e);
			mem_fault_after(n);
			rc = job_load(files[f], &job, &e);
			mem_fault_off();
			if (rc == 0) {
				ck_assert_ptr_nonnull(job);
				ck_assert_int_eq(f % 2, 0);
				job_free(job);
				error_release(&e);
				break;
			}
			ck_assert_int_eq(rc, -1);
			ck_assert_ptr_null(job);
			ck_assert_msg(e.code == ERR_NOMEM || e.code == ERR_JOB,
				      "n=%ld: %s %s", n, error_name(e.code),
				      e.msg.buf);
			if (mem_fault_hits() == 0) {
				/* ran to its own end: the genuine error */
				ck_assert_int_eq(f % 2, 1);
				ck_assert_int_eq(e.code, ERR_JOB);
				error_release(&e);
				break;
			}
			error_release(&e);
		}
		ck_assert_int_lt(n, 10000);
		ck_assert_int_gt(n, 5);
	}
}
END_TEST

/* Replay the fuzz corpus: each file loads, or fails with ERR_JOB and a
 * message that starts with its name. */
START_TEST(fuzz_corpus_replay)
{
	DIR *d = opendir(DATA "fuzz");
	struct dirent *de;
	int files = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char path[512];
		struct error e;
		struct job *job = NULL;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), DATA "fuzz/%s", de->d_name);
		error_init(&e);
		if (job_load(path, &job, &e) == 0) {
			ck_assert_ptr_nonnull(job);
			ck_assert_uint_ge(job->nsources, 3);
			job_free(job);
		} else {
			ck_assert_ptr_null(job);
			ck_assert_msg(e.code == ERR_JOB, "%s: %s %s", path,
				      error_name(e.code), e.msg.buf);
			ck_assert_msg(strncmp(e.msg.buf, path,
					      strlen(path)) == 0,
				      "%s: message %s", path, e.msg.buf);
			ck_assert_ptr_null(strchr(e.msg.buf, '\n'));
		}
		error_release(&e);
		files++;
	}
	closedir(d);
	ck_assert_int_ge(files, 5);
}
END_TEST

Suite *suite_job(void);
Suite *suite_job(void)
{
	Suite *s = suite_create("job");
	TCase *tc = tcase_create("load");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, good_job_loads);
	tcase_add_test(tc, minimal_job_takes_defaults);
	tcase_add_test(tc, site_fields_load);
	tcase_add_test(tc, site_field_columns_load);
	tcase_add_test(tc, tolerance_lookup);
	tcase_add_test(tc, durations);
	tcase_add_loop_test(tc, bad_job_fails, 0,
			    (int)(sizeof(bad_jobs) / sizeof(bad_jobs[0])));
	tcase_add_test(tc, bad_fixtures_all_listed);
	tcase_add_test(tc, missing_job_file);
	tcase_add_test(tc, fifo_job_and_rule_file);
	tcase_add_test(tc, oversized_job_file);
	tcase_add_test(tc, store_table_folded);
	tcase_add_test(tc, report_options_load);
	tcase_add_test(tc, first_error_wins);
	tcase_add_test(tc, quiet_and_restores_handlers);
	tcase_add_test(tc, xml_messages_in_user_terms);
	tcase_add_test(tc, allocation_faults);
	tcase_add_test(tc, fuzz_corpus_replay);
	suite_add_tcase(s, tc);
	return s;
}
