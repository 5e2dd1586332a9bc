/*
 * test_verify.c - `recon verify`, `recon digest` and `recon history`
 * against a small ledger built here with ledger.c (SQLite, DSN recon_test,
 * tables vfy and vfy_runs), and every kind of tampering a database owner
 * can do: the tables get BEFORE UPDATE/DELETE triggers like the engine's,
 * and each tamper drops them first, as an owner would.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "connectors/connector.h"
#include "engine/ledger.h"
#include "engine/mem.h"
#include "engine/verify.h"

#define DSN "recon_test"
#define T "vfy"

/* The ledger: 3 keys, 2 runs; SO-1 and D-1 change in R2. */
struct tv {
	const char *kind, *key, *version, *run, *outcome, *amount;
};

static const struct tv clean[] = {
	{ "deal", "D-1", "1", "R1", "DEAL_WITHOUT_ORDER", "50" },
	{ "deal", "D-1", "2", "R2", "PENDING_ORDER", "50" },
	{ "order", "SO-1", "1", "R1", "MATCHED", "100.00" },
	{ "order", "SO-1", "2", "R2", "AMOUNT_MISMATCH_ORDER_ERP", "120.00" },
	{ "order", "SO-2", "1", "R1", "MATCHED", "7.5" },
};
#define NCLEAN (sizeof(clean) / sizeof(clean[0]))
static const char *const runs[] = { "R1", "R2" };
#define NRUNS 2

/* What the callbacks saw. */
struct seen {
	struct sbuf lines;	/* findings, '\n'-separated */
	unsigned n;
};

static void on_finding(void *ctx, const struct verify_finding *f)
{
	struct seen *s = ctx;

	sbuf_addstr(&s->lines, f->line);
	sbuf_addch(&s->lines, '\n');
	s->n++;
}

static struct conn *open_ok(void)
{
	struct error err;
	struct conn *c = NULL;

	error_init(&err);
	mkdir("out", 0755);
	mkdir("out/test", 0755);
	ck_assert_msg(conn_open(DSN, &c, &err) == 0, "conn_open: %s", err.msg.buf);
	error_release(&err);
	return c;
}

static void exec_p(struct conn *c, const char *sql, const char *const *p,
		   size_t n)
{
	struct error err;
	struct param pr[24];

	ck_assert(n <= 24);
	memset(pr, 0, sizeof(pr));
	for (size_t i = 0; i < n; i++) {
		pr[i].s = p[i];
		pr[i].len = p[i] ? strlen(p[i]) : 0;
	}
	error_init(&err);
	ck_assert_msg(conn_exec(c, sql, pr, n, &err) == 0, "%s: %s", sql,
		      err.msg.buf);
	error_release(&err);
}

static void exec_ok(struct conn *c, const char *sql)
{
	exec_p(c, sql, NULL, 0);
}

/* The declared columns (the engine's defaults); index into r->c[]. */
enum { C_DEAL_KEY, C_ORDER_KEY, C_CUSTOMER, C_CURRENCY, C_DEAL_AMOUNT,
       C_ORDER_AMOUNT, C_ERP_AMOUNT, C_ERP_DOCS, NCOL };
static const struct ledger_schema schema = {
	NCOL, {
		{ "deal_key", "deal.key", LT_TEXT },
		{ "order_key", "order.key", LT_TEXT },
		{ "customer", "customer", LT_TEXT },
		{ "currency", "currency", LT_TEXT },
		{ "deal_amount", "deal.amount", LT_MONEY },
		{ "order_amount", "order.amount", LT_MONEY },
		{ "erp_amount", "erp.amount", LT_MONEY },
		{ "erp_docs", "erp.documents", LT_INTEGER },
	}
};

static void fill(const struct tv *v, const char *prev, struct ledger_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->schema = &schema;
	r->f[LF_REC_KIND] = v->kind;
	r->f[LF_REC_KEY] = v->key;
	r->f[LF_VERSION] = v->version;
	r->f[LF_RUN_ID] = v->run;
	r->f[LF_OUTCOME] = v->outcome;
	r->f[LF_CODES] = v->outcome;
	r->f[LF_VERDICTS] = "[]";
	if (strcmp(v->kind, "deal") == 0) {
		r->c[C_DEAL_KEY] = v->key;
		r->c[C_DEAL_AMOUNT] = v->amount;
	} else {
		r->c[C_ORDER_KEY] = v->key;
		r->c[C_ORDER_AMOUNT] = v->amount;
	}
	r->c[C_CUSTOMER] = "C1";
	r->c[C_CURRENCY] = "EUR";
	r->c[C_ERP_DOCS] = "1";
	r->f[LF_SOURCES] = "[]";
	r->f[LF_RULES_HASH] = "rules-1";
	r->f[LF_PREV_HASH] = prev;
}

/* The row hashes of spec, chained per key (versions of a key in order). */
static void hash_spec(const struct tv *spec, size_t n, char (*vh)[LEDGER_HEX],
		      char (*ch)[LEDGER_HEX])
{
	struct error err;

	error_init(&err);
	for (size_t i = 0; i < n; i++) {
		const char *prev = NULL;
		struct ledger_rec r;

		for (size_t j = 0; j < i; j++)
			if (strcmp(spec[j].kind, spec[i].kind) == 0 &&
			    strcmp(spec[j].key, spec[i].key) == 0)
				prev = ch[j];
		fill(&spec[i], prev, &r);
		ck_assert_int_eq(ledger_value_hash(&r, vh[i], &err), 0);
		ck_assert_int_eq(ledger_content_hash(&r, ch[i], &err), 0);
	}
	error_release(&err);
}

/* The engine's current view (store.c, add_view_query), as install()
 * creates it on SQLite. */
#define VIEW_QUERY "SELECT v.* FROM " T " v WHERE NOT EXISTS (SELECT 1 " \
	"FROM " T " w WHERE w.rec_kind = v.rec_kind AND w.rec_key = " \
	"v.rec_key AND w.version > v.version)"
#define VIEW_DDL "CREATE  VIEW IF NOT EXISTS " T "_current AS " VIEW_QUERY

/* Fixed fields in enum order, the columns, the hashes. */
static const char *ins_sql =
	"INSERT INTO " T " (rec_kind, rec_key, version, run_id, outcome, codes, "
	"verdicts, sources, rules_hash, prev_hash, deal_key, order_key, "
	"customer, currency, deal_amount, order_amount, erp_amount, erp_docs, "
	"value_hash, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	"?, ?, ?, ?, ?, ?, ?, ?)";

static void insert_version(struct conn *c, const struct tv *v,
			   const char *prev, const char *vh, const char *ch)
{
	struct ledger_rec r;
	const char *p[LF__COUNT + NCOL + 2];

	fill(v, prev, &r);
	for (int f = 0; f < LF__COUNT; f++)
		p[f] = r.f[f];
	for (int i = 0; i < NCOL; i++)
		p[LF__COUNT + i] = r.c[i];
	p[LF__COUNT + NCOL] = vh;
	p[LF__COUNT + NCOL + 1] = ch;
	exec_p(c, ins_sql, p, LF__COUNT + NCOL + 2);
}

/* The runs rows' totals; an attacker who recomputes everything may
 * write other ones (build_totals). */
static const char *const run_totals[NRUNS] = {
	"[{\"source\":\"orders\",\"read\":3}]",
	"[{\"source\":\"orders\",\"read\":2}]",
};

static void build_totals(const struct tv *spec, size_t n,
			 const char *const *totals);

/* (Re)create the tables and write the ledger of spec, with its hashes
 * and run digests all consistent: what the writer does, or what an
 * attacker who recomputes everything does. */
static void build(const struct tv *spec, size_t n)
{
	build_totals(spec, n, run_totals);
}

static void build_totals(const struct tv *spec, size_t n,
			 const char *const *totals)
{
	struct conn *c = open_ok();
	char vh[16][LEDGER_HEX], ch[16][LEDGER_HEX], dig[NRUNS][LEDGER_HEX];
	char schema_hex[LEDGER_HEX];
	struct error err;

	ck_assert(n <= 16);
	error_init(&err);
	exec_ok(c, "DROP VIEW IF EXISTS " T "_current");
	exec_ok(c, "DROP TABLE IF EXISTS " T "_current");
	exec_ok(c, "DROP TABLE IF EXISTS " T);
	exec_ok(c, "DROP TABLE IF EXISTS " T "_runs");
	exec_ok(c, "DROP TABLE IF EXISTS " T "_schema");
	exec_ok(c, "DROP TABLE IF EXISTS " T "_report");
	exec_ok(c, "CREATE TABLE " T " (rec_kind TEXT, rec_key TEXT, "
		"version BIGINT, run_id TEXT, outcome TEXT, codes TEXT, "
		"verdicts TEXT, deal_key TEXT, order_key TEXT, customer TEXT, "
		"currency TEXT, deal_amount TEXT, order_amount TEXT, "
		"erp_amount TEXT, erp_docs BIGINT, sources TEXT, "
		"rules_hash TEXT, prev_hash TEXT, value_hash TEXT, "
		"content_hash TEXT)");
	exec_ok(c, VIEW_DDL);
	exec_ok(c, "CREATE TABLE " T "_schema (format TEXT, position BIGINT, "
		"name TEXT, type TEXT, value TEXT)");
	for (int i = 0; i < NCOL; i++) {
		char pos[16];
		const char *p[5];

		snprintf(pos, sizeof(pos), "%d", i);
		p[0] = LEDGER_FORMAT;
		p[1] = pos;
		p[2] = schema.col[i].name;
		p[3] = ledger_type_names[schema.col[i].type];
		p[4] = schema.col[i].value;
		exec_p(c, "INSERT INTO " T "_schema VALUES (?, ?, ?, ?, ?)", p, 5);
	}
	ck_assert_int_eq(ledger_schema_hash(&schema, schema_hex, &err), 0);
	/* the engine's columns and types (store.c install) */
	exec_ok(c, "CREATE TABLE " T "_runs (run_id TEXT, seq BIGINT, "
		"job TEXT, mode TEXT, as_of TEXT, window_start TEXT, "
		"started TEXT, finished TEXT, status TEXT, rules_hash TEXT, "
		"rules TEXT, records BIGINT, exceptions BIGINT, totals TEXT, "
		"outcomes TEXT, watermarks TEXT, schema_hash TEXT, digest TEXT, "
		"prev_digest TEXT)");
	hash_spec(spec, n, vh, ch);
	for (size_t i = 0; i < n; i++) {
		const char *prev = NULL;

		for (size_t j = 0; j < i; j++)
			if (strcmp(spec[j].kind, spec[i].kind) == 0 &&
			    strcmp(spec[j].key, spec[i].key) == 0)
				prev = ch[j];
		insert_version(c, &spec[i], prev, vh[i], ch[i]);
	}
	for (int k = 0; k < NRUNS; k++) {
		struct ledger_digest *d = ledger_digest_new(k ? dig[k - 1] : NULL,
							    &err);
		char seq[16], recs[16], asof[32], started[32], rh[LEDGER_HEX];
		struct ledger_run lr;
		const char *p[LR__COUNT + 1];
		unsigned nrec = 0;

		ck_assert_ptr_nonnull(d);
		for (size_t i = 0; i < n; i++)
			if (strcmp(spec[i].run, runs[k]) == 0) {
				ck_assert_int_eq(ledger_digest_add(d, ch[i]), 0);
				nrec++;
			}
		snprintf(seq, sizeof(seq), "%d", k + 1);
		snprintf(recs, sizeof(recs), "%u", nrec);
		snprintf(asof, sizeof(asof), "2026-11-2%d 00:00:00", 5 + k);
		snprintf(started, sizeof(started), "2026-11-2%dT00:00:01Z", 5 + k);
		memset(&lr, 0, sizeof(lr));
		lr.f[LR_RUN_ID] = runs[k];
		lr.f[LR_SEQ] = seq;
		lr.f[LR_JOB] = "nightly";
		lr.f[LR_MODE] = "full";
		lr.f[LR_AS_OF] = asof;
		lr.f[LR_WINDOW_START] = "";
		lr.f[LR_STARTED] = started;
		lr.f[LR_FINISHED] = started;
		lr.f[LR_STATUS] = "exceptions";
		lr.f[LR_RULES_HASH] = "rules-1";
		lr.f[LR_RULES] = "[]";
		lr.f[LR_RECORDS] = recs;
		lr.f[LR_EXCEPTIONS] = "1";
		lr.f[LR_TOTALS] = totals[k];
		lr.f[LR_OUTCOMES] = "{}";
		lr.f[LR_WATERMARKS] = "{}";
		lr.f[LR_SCHEMA_HASH] = schema_hex;
		lr.f[LR_PREV_DIGEST] = k ? dig[k - 1] : "";
		ck_assert_int_eq(ledger_run_hash(&lr, rh, &err), 0);
		ledger_digest_set_run(d, rh);
		ledger_digest_finish(d, dig[k]);
		ck_assert_uint_eq(strlen(dig[k]), 64);
		for (int f = 0; f < LR__COUNT; f++)
			p[f] = lr.f[f];
		p[LR__COUNT] = dig[k];
		exec_p(c, "INSERT INTO " T "_runs (run_id, seq, job, mode, "
		       "as_of, window_start, started, finished, status, "
		       "rules_hash, rules, records, exceptions, totals, outcomes, "
		       "watermarks, schema_hash, prev_digest, digest) VALUES (?, "
		       "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", p,
		       LR__COUNT + 1);
	}
	/* The engine's refusal of UPDATE and DELETE. */
	exec_ok(c, "CREATE TRIGGER vfy_no_update BEFORE UPDATE ON " T
		" BEGIN SELECT RAISE(ABORT, 'insert-only'); END");
	exec_ok(c, "CREATE TRIGGER vfy_no_delete BEFORE DELETE ON " T
		" BEGIN SELECT RAISE(ABORT, 'insert-only'); END");
	exec_ok(c, "CREATE TRIGGER vfy_runs_no_update BEFORE UPDATE ON " T
		"_runs BEGIN SELECT RAISE(ABORT, 'insert-only'); END");
	exec_ok(c, "CREATE TRIGGER vfy_runs_no_delete BEFORE DELETE ON " T
		"_runs BEGIN SELECT RAISE(ABORT, 'insert-only'); END");
	error_release(&err);
	conn_close(c);
}

/* Tamper as the database owner: drop the triggers, run the SQL. */
static void tamper(const char *sql)
{
	struct conn *c = open_ok();

	exec_ok(c, "DROP TRIGGER IF EXISTS vfy_no_update");
	exec_ok(c, "DROP TRIGGER IF EXISTS vfy_no_delete");
	exec_ok(c, "DROP TRIGGER IF EXISTS vfy_runs_no_update");
	exec_ok(c, "DROP TRIGGER IF EXISTS vfy_runs_no_delete");
	exec_ok(c, sql);
	conn_close(c);
}

/* Verify; returns the error code (ERR_OK if clean). */
static int verify(struct seen *s, struct verify_result *res,
		  const char *digest, const char *export_run,
		  struct sbuf *export_out)
{
	struct verify_opts o;
	struct error err;
	int code;

	memset(&o, 0, sizeof(o));
	o.dsn = DSN;
	o.table = T;
	o.job = "nightly";
	o.digest = digest;
	o.digest_len = digest ? strlen(digest) : 0;
	o.export_run = export_run;
	o.export_out = export_out;
	o.finding = on_finding;
	o.ctx = s;
	sbuf_init(&s->lines, SBUF_CAP_DEFAULT);
	s->n = 0;
	error_init(&err);
	if (verify_store(&o, res, &err) < 0) {
		code = err.code;
		ck_assert_int_ne(code, ERR_OK);
		if (code != ERR_VERIFY)
			sbuf_addf(&s->lines, "error: %s\n", err.msg.buf);
	} else {
		code = ERR_OK;
	}
	error_release(&err);
	return code;
}

static void assert_has(const struct seen *s, const char *want)
{
	ck_assert_msg(strstr(s->lines.buf, want) != NULL,
		      "no finding '%s' in:\n%s", want, s->lines.buf);
}

/* Verify must fail (ERR_VERIFY) with a finding containing want. */
static void expect_finding(const char *want)
{
	struct seen s;
	struct verify_result res;

	ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_VERIFY);
	ck_assert_uint_eq(res.findings, s.n);
	ck_assert_uint_gt(s.n, 0);
	assert_has(&s, want);
	sbuf_release(&s.lines);
}

START_TEST(clean_ledger)
{
	struct seen s;
	struct verify_result res;

	build(clean, NCLEAN);
	ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_OK);
	ck_assert_str_eq(s.lines.buf, "");
	ck_assert_uint_eq(res.versions, 5);
	ck_assert_uint_eq(res.keys, 3);
	ck_assert_uint_eq(res.runs, 2);
	ck_assert_uint_eq(res.findings, 0);
	ck_assert_uint_eq(strlen(res.head), 64);
	sbuf_release(&s.lines);
}
END_TEST

/* The triggers are real: without dropping them the owner cannot. */
START_TEST(triggers_refuse)
{
	struct conn *c;
	struct error err;

	build(clean, NCLEAN);
	c = open_ok();
	error_init(&err);
	ck_assert_int_eq(conn_exec(c, "UPDATE " T " SET outcome = 'X'", NULL, 0,
				   &err), -1);
	error_release(&err);
	conn_close(c);
}
END_TEST

START_TEST(updated_row)
{
	build(clean, NCLEAN);
	tamper("UPDATE " T " SET order_amount = '101.00' "
	       "WHERE rec_key = 'SO-1' AND version = 1");
	expect_finding("order 'SO-1' version 1 (run R1): value_hash does not "
		       "match its fields");
	expect_finding("order 'SO-1' version 1 (run R1): content_hash does not "
		       "match its fields");
	expect_finding("run R1 (seq 1): digest does not recompute from its 3 "
		       "versions");
}
END_TEST

/* Any column of a version, changed alone, shows. */
START_TEST(updated_any_column)
{
	static const char *const extra[] = { "value_hash", "content_hash" };

	for (int f = 0; f < LF__COUNT + NCOL + 2; f++) {
		const char *col = f < LF__COUNT ? ledger_field_names[f]
				  : f < LF__COUNT + NCOL
				  ? schema.col[f - LF__COUNT].name
				  : extra[f - LF__COUNT - NCOL];
		char sql[256];
		struct seen s;
		struct verify_result res;

		build(clean, NCLEAN);
		snprintf(sql, sizeof(sql), "UPDATE " T " SET %s = CASE WHEN %s "
			 "IS NULL THEN '1' ELSE %s || '1' END WHERE "
			 "rec_key = 'SO-1' AND version = 2", col, col, col);
		tamper(sql);
		ck_assert_msg(verify(&s, &res, NULL, NULL, NULL) == ERR_VERIFY,
			      "column %s: not detected", col);
		/* named by key (unless the key itself moved) */
		if (f != LF_REC_KEY && f != LF_REC_KIND)
			ck_assert_msg(strstr(s.lines.buf, "'SO-1' version 2") ||
				      strstr(s.lines.buf, "'SO-1' version 21"),
				      "column %s: %s", col, s.lines.buf);
		sbuf_release(&s.lines);
	}
}
END_TEST

START_TEST(deleted_row)
{
	build(clean, NCLEAN);
	tamper("DELETE FROM " T " WHERE rec_key = 'SO-1' AND version = 1");
	expect_finding("order 'SO-1' version 2 (run R2): version 1 is missing");
	expect_finding("run R1 (seq 1): records says 3 versions, the table "
		       "holds 2");
	/* the last version of a key: the run's digest and count show it */
	build(clean, NCLEAN);
	tamper("DELETE FROM " T " WHERE rec_key = 'SO-1' AND version = 2");
	expect_finding("run R2 (seq 2): digest does not recompute from its 1 "
		       "versions");
	expect_finding("run R2 (seq 2): records says 2 versions");
}
END_TEST

START_TEST(inserted_row)
{
	/* a duplicate of an existing version */
	build(clean, NCLEAN);
	tamper("INSERT INTO " T " SELECT * FROM " T
	       " WHERE rec_key = 'SO-2' AND version = 1");
	expect_finding("order 'SO-2' version 1 (run R1): duplicate version 1");
	/* the engine's view then shows the key twice: said as such */
	expect_finding("order 'SO-2' version 1 (run R1): vfy_current shows "
		       "this key more than once");
	/* a forged version 2 whose own hashes and link are right: only the
	 * run's digest and count can show it */
	{
		static const struct tv forged[] = {
			{ "order", "SO-2", "1", "R1", "MATCHED", "7.5" },
			{ "order", "SO-2", "2", "R2", "MATCHED", "8" },
		};
		char vh[2][LEDGER_HEX], ch[2][LEDGER_HEX];
		struct conn *c;

		build(clean, NCLEAN);
		hash_spec(forged, 2, vh, ch);
		c = open_ok();
		insert_version(c, &forged[1], ch[0], vh[1], ch[1]);
		conn_close(c);
		expect_finding("run R2 (seq 2): digest does not recompute from "
			       "its 3 versions");
		expect_finding("run R2 (seq 2): records says 2 versions, the "
			       "table holds 3");
	}
	/* a version of a run that does not exist */
	build(clean, NCLEAN);
	tamper("INSERT INTO " T " (rec_kind, rec_key, version, run_id, outcome, "
	       "codes, verdicts, deal_key, order_key, customer, currency, "
	       "deal_amount, order_amount, erp_amount, erp_docs, sources, "
	       "rules_hash, prev_hash, value_hash, content_hash) SELECT "
	       "rec_kind, rec_key, 3, 'R9', outcome, "
	       "codes, verdicts, deal_key, order_key, customer, currency, "
	       "deal_amount, order_amount, erp_amount, erp_docs, sources, "
	       "rules_hash, content_hash, value_hash, content_hash FROM " T
	       " WHERE rec_key = 'SO-1' AND version = 2");
	expect_finding("order 'SO-1' version 3 (run R9): the run is not in "
		       "vfy_runs");
}
END_TEST

/* T_schema: the declared columns cannot be changed, removed or made to
 * say something else without it showing. */
START_TEST(schema_tampered)
{
	struct seen s;
	struct verify_result res;

	/* retyped: every run's schema_hash, and the hashes that type
	 * normalised ("100.00" as money hashes as "100") */
	build(clean, NCLEAN);
	tamper("UPDATE " T "_schema SET type = 'text' WHERE name = 'deal_amount'");
	expect_finding("run R1 (seq 1): schema_hash does not match vfy_schema");
	expect_finding("run R2 (seq 2): schema_hash does not match vfy_schema");
	/* another value path: not in any record hash, still in the schema's */
	build(clean, NCLEAN);
	tamper("UPDATE " T "_schema SET value = 'order.amount' WHERE "
	       "name = 'deal_amount'");
	expect_finding("run R1 (seq 1): schema_hash does not match vfy_schema");
	/* a column dropped from the declaration */
	build(clean, NCLEAN);
	tamper("DELETE FROM " T "_schema WHERE position = 7");
	expect_finding("run R2 (seq 2): schema_hash does not match vfy_schema");
	expect_finding("order 'SO-1' version 1 (run R1): value_hash does not "
		       "match its fields");
	/* a name that would be pasted into SQL: refused before any query */
	build(clean, NCLEAN);
	tamper("UPDATE " T "_schema SET name = 'x; DROP TABLE vfy' WHERE "
	       "position = 0");
	ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_VERIFY);
	ck_assert_int_eq(res.versions, 0);
	sbuf_release(&s.lines);
	/* another format, or none: not readable, said so */
	build(clean, NCLEAN);
	tamper("UPDATE " T "_schema SET format = 'recon-ledger/9'");
	ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_STORE);
	assert_has(&s, "format 'recon-ledger/9'; this recon reads recon-ledger/2");
	sbuf_release(&s.lines);
	tamper("DROP TABLE " T "_schema");
	ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_STORE);
	assert_has(&s, "vfy_schema");
	sbuf_release(&s.lines);
}
END_TEST

START_TEST(reordered_history)
{
	/* versions swapped between runs, every hash recomputed */
	static const struct tv swapped[] = {
		{ "deal", "D-1", "1", "R1", "DEAL_WITHOUT_ORDER", "50" },
		{ "deal", "D-1", "2", "R2", "PENDING_ORDER", "50" },
		{ "order", "SO-1", "1", "R2", "MATCHED", "100.00" },
		{ "order", "SO-1", "2", "R1", "AMOUNT_MISMATCH_ORDER_ERP", "120.00" },
		{ "order", "SO-2", "1", "R1", "MATCHED", "7.5" },
	};
	struct seen s;
	struct verify_result res;

	build(swapped, NCLEAN);
	expect_finding("order 'SO-1' version 2 (run R1): out of order: written "
		       "by run seq 1, not after version 1's run R2 (seq 2)");
	/* prev_hash rewired to another key's version */
	build(clean, NCLEAN);
	tamper("UPDATE " T " SET prev_hash = (SELECT content_hash FROM " T
	       " WHERE rec_key = 'SO-2') WHERE rec_key = 'SO-1' AND version = 2");
	expect_finding("order 'SO-1' version 2 (run R2): prev_hash is not the "
		       "content_hash of version 1");
	/* a clean ledger has neither */
	build(clean, NCLEAN);
	ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_OK);
	sbuf_release(&s.lines);
}
END_TEST

START_TEST(runs_row)
{
	build(clean, NCLEAN);
	tamper("DELETE FROM " T "_runs WHERE run_id = 'R1'");
	expect_finding("order 'SO-2' version 1 (run R1): the run is not in "
		       "vfy_runs");
	expect_finding("run R2 (seq 2): the run with seq 1 is missing");
	expect_finding("run R2 (seq 2): prev_digest does not equal the digest "
		       "of the previous run");
	build(clean, NCLEAN);
	tamper("DELETE FROM " T "_runs WHERE run_id = 'R2'");
	expect_finding("order 'SO-1' version 2 (run R2): the run is not in "
		       "vfy_runs");
	build(clean, NCLEAN);
	tamper("UPDATE " T "_runs SET records = 4 WHERE run_id = 'R1'");
	expect_finding("run R1 (seq 1): records says 4 versions, the table "
		       "holds 3");
	build(clean, NCLEAN);
	tamper("UPDATE " T "_runs SET digest = prev_digest || 'x' WHERE "
	       "run_id = 'R1'");
	expect_finding("run R1 (seq 1): digest '");
	expect_finding("run R2 (seq 2): prev_digest does not equal");
	build(clean, NCLEAN);
	tamper("UPDATE " T "_runs SET seq = 3 WHERE run_id = 'R2'");
	expect_finding("run R2 (seq 3): the run with seq 2 is missing");
	build(clean, NCLEAN);
	tamper("INSERT INTO " T "_runs SELECT * FROM " T "_runs WHERE "
	       "run_id = 'R2'");
	expect_finding("run R2 (seq 2): the run appears more than once");
}
END_TEST

/* Any column of a runs row but the digest, changed alone, shows as that
 * run's digest (and only that run's). */
START_TEST(runs_row_any_column)
{
	for (int f = 0; f < LR__COUNT; f++) {
		const char *col = ledger_run_field_names[f];
		char sql[256];
		struct seen s;
		struct verify_result res;

		build(clean, NCLEAN);
		snprintf(sql, sizeof(sql), "UPDATE " T "_runs SET %s = %s || "
			 "'1' WHERE run_id = 'R1'", col, col);
		tamper(sql);
		ck_assert_msg(verify(&s, &res, NULL, NULL, NULL) == ERR_VERIFY,
			      "column %s: not detected", col);
		if (f != LR_RUN_ID && f != LR_SEQ)
			ck_assert_msg(strstr(s.lines.buf, "run R1 (seq 1): "
					     "digest does not recompute from "
					     "its 3 versions and its vfy_runs "
					     "row") != NULL,
				      "column %s: %s", col, s.lines.buf);
		sbuf_release(&s.lines);
	}
	/* what an owner would change: the totals, the status, the as-of */
	build(clean, NCLEAN);
	tamper("UPDATE " T "_runs SET totals = '[]' WHERE run_id = 'R2'");
	expect_finding("run R2 (seq 2): digest does not recompute from its 2 "
		       "versions and its vfy_runs row");
	build(clean, NCLEAN);
	tamper("UPDATE " T "_runs SET status = 'clean' WHERE run_id = 'R2'");
	expect_finding("run R2 (seq 2): digest does not recompute");
	build(clean, NCLEAN);
	tamper("UPDATE " T "_runs SET as_of = '2026-11-20 00:00:00' WHERE "
	       "run_id = 'R1'");
	expect_finding("run R1 (seq 1): digest does not recompute");
	/* a NULL where there was a value */
	build(clean, NCLEAN);
	tamper("UPDATE " T "_runs SET watermarks = NULL WHERE run_id = 'R1'");
	expect_finding("run R1 (seq 1): digest does not recompute");
}
END_TEST

/* The attacker recomputes every hash and digest: verify alone cannot
 * tell, a digest exported before can. */
START_TEST(digest_file)
{
	static const struct tv forged[] = {
		{ "deal", "D-1", "1", "R1", "DEAL_WITHOUT_ORDER", "50" },
		{ "deal", "D-1", "2", "R2", "PENDING_ORDER", "50" },
		{ "order", "SO-1", "1", "R1", "MATCHED", "100.00" },
		{ "order", "SO-1", "2", "R2", "AMOUNT_MISMATCH_ORDER_ERP", "120.00" },
		{ "order", "SO-2", "1", "R1", "MATCHED", "9.5" },	/* was 7.5 */
	};
	struct sbuf file = SBUF_INIT(1 << 20), file1 = SBUF_INIT(1 << 20);
	struct seen s;
	struct verify_result res;

	build(clean, NCLEAN);
	ck_assert_int_eq(verify(&s, &res, NULL, "R2", &file), ERR_OK);
	sbuf_release(&s.lines);
	ck_assert_ptr_nonnull(strstr(file.buf, "recon-digest 1\n"));
	ck_assert_ptr_nonnull(strstr(file.buf, "\nseq 2\n"));
	ck_assert_ptr_nonnull(strstr(file.buf, "\nchain 1 "));
	ck_assert_ptr_nonnull(strstr(file.buf, "\nchain 2 "));
	ck_assert_ptr_nonnull(strstr(file.buf, res.head));
	ck_assert_int_eq(verify(&s, &res, NULL, "R1", &file1), ERR_OK);
	sbuf_release(&s.lines);
	ck_assert_ptr_null(strstr(file1.buf, "\nchain 2 "));

	/* against itself: clean */
	ck_assert_int_eq(verify(&s, &res, file.buf, NULL, NULL), ERR_OK);
	ck_assert_uint_eq(res.digest_runs, 2);
	sbuf_release(&s.lines);

	/* tampered and recomputed: verify alone passes ... */
	build(forged, NCLEAN);
	ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_OK);
	sbuf_release(&s.lines);
	/* ... the exported digest does not */
	ck_assert_int_eq(verify(&s, &res, file.buf, NULL, NULL), ERR_VERIFY);
	assert_has(&s, "run R1 (seq 1): digest differs from the exported "
		   "digest file");
	ck_assert_uint_eq(s.n, 1);
	sbuf_release(&s.lines);
	ck_assert_int_eq(verify(&s, &res, file1.buf, NULL, NULL), ERR_VERIFY);
	assert_has(&s, "run R1 (seq 1): digest differs");
	sbuf_release(&s.lines);
	/* a runs row changed and every digest recomputed: the same */
	{
		static const char *const totals[NRUNS] = {
			"[{\"source\":\"orders\",\"read\":3}]",
			"[{\"source\":\"orders\",\"read\":9}]",
		};

		build_totals(clean, NCLEAN, totals);
		ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_OK);
		sbuf_release(&s.lines);
		ck_assert_int_eq(verify(&s, &res, file.buf, NULL, NULL),
				 ERR_VERIFY);
		assert_has(&s, "run R2 (seq 2): digest differs from the "
			   "exported digest file");
		ck_assert_uint_eq(s.n, 1);
		sbuf_release(&s.lines);
	}
	/* an export refuses a store that does not verify */
	build(clean, NCLEAN);
	tamper("UPDATE " T " SET customer = 'C2' WHERE rec_key = 'SO-2'");
	sbuf_reset(&file1);
	ck_assert_int_eq(verify(&s, &res, NULL, "R2", &file1), ERR_VERIFY);
	ck_assert_str_eq(file1.buf, "");
	sbuf_release(&s.lines);
	/* a deleted run the file knows of */
	build(clean, NCLEAN);
	tamper("DELETE FROM " T "_runs WHERE run_id = 'R2'");
	tamper("DELETE FROM " T " WHERE run_id = 'R2'");
	ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_OK);
	sbuf_release(&s.lines);
	ck_assert_int_eq(verify(&s, &res, file.buf, NULL, NULL), ERR_VERIFY);
	assert_has(&s, "run R2 (seq 2): in the digest file but not in vfy_runs");
	sbuf_release(&s.lines);
	sbuf_release(&file);
	sbuf_release(&file1);
}
END_TEST

START_TEST(usage_and_store_errors)
{
	struct seen s;
	struct verify_result res;
	struct sbuf out = SBUF_INIT(1 << 20);

	build(clean, NCLEAN);
	ck_assert_int_eq(verify(&s, &res, "hello\n", NULL, NULL), ERR_USAGE);
	sbuf_release(&s.lines);
	ck_assert_int_eq(verify(&s, &res, "recon-digest 1\ntable other\n", NULL,
				NULL), ERR_USAGE);
	sbuf_release(&s.lines);
	ck_assert_int_eq(verify(&s, &res, "recon-digest 1\nchain 2 ab R1\n",
				NULL, NULL), ERR_USAGE);
	sbuf_release(&s.lines);
	ck_assert_int_eq(verify(&s, &res, NULL, "R7", &out), ERR_USAGE);
	assert_has(&s, "no run 'R7'");
	sbuf_release(&s.lines);
	tamper("DROP TABLE " T "_runs");
	ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_STORE);
	assert_has(&s, "error: ");
	sbuf_release(&s.lines);
	sbuf_release(&out);
}
END_TEST

/* Verify must fail with exactly these findings (in this order). */
static void expect_findings(const char *digest, const char *want)
{
	struct seen s;
	struct verify_result res;

	ck_assert_int_eq(verify(&s, &res, digest, NULL, NULL), ERR_VERIFY);
	ck_assert_str_eq(s.lines.buf, want);
	sbuf_release(&s.lines);
}

/* The digest of the clean ledger up to R2, exported before tampering. */
static void export_clean(struct sbuf *out)
{
	struct seen s;
	struct verify_result res;

	ck_assert_int_eq(verify(&s, &res, NULL, "R2", out), ERR_OK);
	sbuf_release(&s.lines);
}

/* T_current redefined to hide a key: its definition and the missing key,
 * with and without a digest file (the digest covers T and T_runs only). */
START_TEST(view_hides_key)
{
	struct sbuf dig = SBUF_INIT(1 << 20);
	const char *want =
		"store: the definition of the view vfy_current is not the "
		"engine's (latest version of each key of vfy): readers may be "
		"shown other rows\n"
		"order 'SO-2' version 1 (run R1): the latest version is missing "
		"from vfy_current\n";

	build(clean, NCLEAN);
	export_clean(&dig);
	tamper("DROP VIEW " T "_current");
	tamper("CREATE VIEW " T "_current AS " VIEW_QUERY
	       " AND v.rec_key <> 'SO-2'");
	expect_findings(NULL, want);
	expect_findings(dig.buf, want);
	sbuf_release(&dig);
}
END_TEST

/* T_current redefined to show an older version of every key. */
START_TEST(view_shows_older)
{
	build(clean, NCLEAN);
	tamper("DROP VIEW " T "_current");
	tamper("CREATE VIEW " T "_current AS SELECT * FROM " T
	       " WHERE version = 1");
	expect_findings(NULL,
		"store: the definition of the view vfy_current is not the "
		"engine's (latest version of each key of vfy): readers may be "
		"shown other rows\n"
		"deal 'D-1' version 2 (run R2): vfy_current shows version 1, "
		"not the latest version 2\n"
		"order 'SO-1' version 2 (run R2): vfy_current shows version 1, "
		"not the latest version 2\n");
}
END_TEST

/* T_current replaced by a table of forged rows: a changed outcome, a key
 * that T does not have; and the view dropped. */
START_TEST(view_is_forged_table)
{
	build(clean, NCLEAN);
	tamper("DROP VIEW " T "_current");
	tamper("CREATE TABLE " T "_current AS " VIEW_QUERY);
	tamper("UPDATE " T "_current SET outcome = 'MATCHED' "
	       "WHERE rec_key = 'SO-1'");
	tamper("INSERT INTO " T "_current SELECT * FROM " T "_current "
	       "WHERE rec_key = 'SO-2'");
	tamper("UPDATE " T "_current SET rec_key = 'SO-9' WHERE rowid = "
	       "(SELECT max(rowid) FROM " T "_current)");
	expect_findings(NULL,
		"store: vfy_current is a table, not the engine's view: what "
		"readers see is not computed from vfy\n"
		"order 'SO-1' version 2 (run R2): vfy_current shows this "
		"version with other values than vfy holds\n"
		"order 'SO-9' version 1 (run R1): in vfy_current, but vfy has "
		"no version of this key\n");
	tamper("DROP TABLE " T "_current");
	expect_findings(NULL, "store: vfy_current is missing (readers of the "
			"store get an error)\n");
	/* a view without T's columns: its definition, its rows unread, the
	 * rest of the store still checked */
	tamper("CREATE VIEW " T "_current AS SELECT rec_kind, rec_key FROM " T);
	{
		struct seen s;
		struct verify_result res;

		ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_VERIFY);
		ck_assert_str_eq(s.lines.buf, "store: the definition of the view "
				 "vfy_current is not the engine's (latest "
				 "version of each key of vfy): readers may be "
				 "shown other rows\n");
		ck_assert_uint_eq(res.versions, 5);
		ck_assert_uint_eq(res.runs, 2);
		sbuf_release(&s.lines);
	}
}
END_TEST

/* The engine's definition with other spacing and case is the same view:
 * no finding. */
START_TEST(view_same_definition)
{
	struct seen s;
	struct verify_result res;

	build(clean, NCLEAN);
	tamper("DROP VIEW " T "_current");
	tamper("CREATE VIEW " T "_current as\n  " VIEW_QUERY);
	ck_assert_int_eq(verify(&s, &res, NULL, NULL, NULL), ERR_OK);
	ck_assert_str_eq(s.lines.buf, "");
	sbuf_release(&s.lines);
}
END_TEST

/* Verify of a table that is no store, or not there at all. */
static void expect_store_error(const char *table, const char *want)
{
	struct verify_opts o;
	struct verify_result res;
	struct error err;

	memset(&o, 0, sizeof(o));
	o.dsn = DSN;
	o.table = table;
	o.job = "nightly";
	error_init(&err);
	ck_assert_int_eq(verify_store(&o, &res, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_str_eq(err.msg.buf, want);
	ck_assert_str_eq(err.ctx.buf, "");
	error_release(&err);
}

START_TEST(not_a_store)
{
	struct conn *c = open_ok();

	exec_ok(c, "DROP TABLE IF EXISTS nostore");
	exec_ok(c, "DROP TABLE IF EXISTS src_orders");
	exec_ok(c, "CREATE TABLE src_orders (order_no TEXT, amount TEXT)");
	conn_close(c);
	expect_store_error("nostore", "store table 'nostore' does not exist in "
			   "DSN 'recon_test': no run of job 'nightly' has been "
			   "published yet");
	expect_store_error("src_orders", "store table 'src_orders' in DSN "
			   "'recon_test' exists but is not a recon store (it "
			   "has no src_orders_schema); choose another <store "
			   "table=...>");
	/* a source table next to a table named like a runs table: still
	 * not a store (it has none of a store's columns) */
	c = open_ok();
	exec_ok(c, "DROP TABLE IF EXISTS src_orders_runs");
	exec_ok(c, "CREATE TABLE src_orders_runs (run_id TEXT)");
	conn_close(c);
	expect_store_error("src_orders", "store table 'src_orders' in DSN "
			   "'recon_test' exists but is not a recon store (it "
			   "has no src_orders_schema); choose another <store "
			   "table=...>");
	build(clean, NCLEAN);
	tamper("DROP TABLE " T "_schema");
	expect_store_error(T, "table 'vfy' has no vfy_schema: it was created "
			   "by a recon older than format recon-ledger/2 "
			   "(docs/STORE.md); verify it with the recon that "
			   "wrote it");
}
END_TEST

struct hist {
	struct sbuf out;
};

static void on_version(void *ctx, const struct verify_version *v)
{
	struct hist *h = ctx;

	sbuf_addf(&h->out, "%s %s v%s %s seq=%s as_of=%s %s [%s]\n",
		  v->rec->f[LF_REC_KIND], v->rec->f[LF_REC_KEY],
		  v->rec->f[LF_VERSION], v->rec->f[LF_RUN_ID],
		  v->run_seq ? v->run_seq : "-", v->as_of ? v->as_of : "-",
		  v->rec->f[LF_OUTCOME], v->changes);
}

START_TEST(history)
{
	struct hist h;
	struct error err;
	uint64_t n;

	build(clean, NCLEAN);
	sbuf_init(&h.out, 1 << 20);
	error_init(&err);
	ck_assert_int_eq(verify_history(DSN, T, "SO-1", NULL, on_version, &h,
					&n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(h.out.buf,
		"order SO-1 v1 R1 seq=1 as_of=2026-11-25 00:00:00 MATCHED []\n"
		"order SO-1 v2 R2 seq=2 as_of=2026-11-26 00:00:00 "
		"AMOUNT_MISMATCH_ORDER_ERP [outcome: 'MATCHED' -> "
		"'AMOUNT_MISMATCH_ORDER_ERP'; codes: 'MATCHED' -> "
		"'AMOUNT_MISMATCH_ORDER_ERP'; order_amount: '100.00' -> "
		"'120.00']\n");
	sbuf_reset(&h.out);
	ck_assert_int_eq(verify_history(DSN, T, "D-1", "order", on_version, &h,
					&n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(verify_history(DSN, T, "D-1", "deal", on_version, &h,
					&n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(verify_history(DSN, T, "nope", NULL, on_version, &h,
					&n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(verify_history(DSN, "no_such_table", "SO-1", NULL,
					on_version, &h, &n, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_str_eq(err.msg.buf, "store table 'no_such_table' does not "
			 "exist in DSN 'recon_test': no run has been published "
			 "to it yet");
	sbuf_release(&h.out);
	error_release(&err);
}
END_TEST

/* Every allocation of a verification fails in turn: no crash, no leak,
 * ERR_NOMEM (or a store error from the driver layer), never a false
 * "clean" or a false finding. */
START_TEST(alloc_faults)
{
	long step = getenv("RECON_UNDER_VALGRIND") ? 37 : 1;
	int done = 0;

	build(clean, NCLEAN);
	for (long n = 0; !done && n < 100000; n += step) {
		struct seen s;
		struct verify_result res;
		int code;

		mem_fault_after(n);
		code = verify(&s, &res, NULL, NULL, NULL);
		mem_fault_off();
		if (code == ERR_OK && mem_fault_hits() == 0)
			done = 1;
		else
			ck_assert_msg(code == ERR_NOMEM || code == ERR_STORE,
				      "fault after %ld: code %d: %s", n, code,
				      s.lines.buf);
		sbuf_release(&s.lines);
	}
	ck_assert(done);
}
END_TEST

Suite *suite_verify(void);
Suite *suite_verify(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, clean_ledger);
	tcase_add_test(tc, triggers_refuse);
	tcase_add_test(tc, updated_row);
	tcase_add_test(tc, updated_any_column);
	tcase_add_test(tc, deleted_row);
	tcase_add_test(tc, inserted_row);
	tcase_add_test(tc, schema_tampered);
	tcase_add_test(tc, reordered_history);
	tcase_add_test(tc, runs_row);
	tcase_add_test(tc, runs_row_any_column);
	tcase_add_test(tc, digest_file);
	tcase_add_test(tc, usage_and_store_errors);
	tcase_add_test(tc, view_hides_key);
	tcase_add_test(tc, view_shows_older);
	tcase_add_test(tc, view_is_forged_table);
	tcase_add_test(tc, view_same_definition);
	tcase_add_test(tc, not_a_store);
	tcase_add_test(tc, history);
	tcase_add_test(tc, alloc_faults);
	suite_add_tcase(s, tc);
	return s;
}
