/*
 * store.c - the versioned, insert-only store (see store.h).
 *
 * The table name comes from the job and was validated as an identifier
 * there (it cannot be bound as a parameter); every value is bound.
 *
 * The current-state map: one struct cur per key (rec_kind, rec_key) in an
 * array, the key bytes in one growable arena, and an open-addressing
 * index of uint32 slots (entry + 1, 0 = empty) at most half full. About
 * 88 bytes per entry, 8-16 per index slot, plus the key: docs/STORE.md
 * says ~120 bytes per key.
 *
 * Invariants: the map always describes the latest version of every key
 * as this transaction sees it (store_put updates it after each write, so
 * a key put twice in one run chains correctly); every version written is
 * added to the run digest exactly once; nothing here issues UPDATE or
 * DELETE.
 */
#include <stdio.h>
#include <string.h>

#include "snapshot.h"
#include "store.h"
#include "dialect.h"
#include "ledger.h"
#include "match.h"
#include "mem.h"
#include "phase.h"
#include "stop.h"
#include "text.h"
#include "../connectors/connector.h"
#include "banned.h"

/* Record kinds, as stored in rec_kind. */
static const char *const kind_names[] = { "order", "deal", "erp" };
#define NKINDS 3

struct cur {
	uint64_t version;
	uint64_t key_off;	/* into store.keys */
	uint32_t key_len;
	uint8_t kind;		/* index into kind_names */
	uint8_t seen;		/* put by this run */
	uint8_t removed;	/* the current version is a tombstone */
	uint8_t vh[32];		/* value_hash */
	uint8_t ch[32];		/* content_hash */
};

struct store {
	const struct job *job;
	struct conn *conn;
	struct writer *w;
	struct sbuf sql;
	int in_tx;
	int reinstalled;	/* an unfinished install was dropped */
	const struct dialect *d;	/* the store DBMS's */
	char *table;		/* the store's name for T: lower case */

	/* current state */
	struct cur *cur;
	size_t ncur, acur;
	char *keys;
	size_t nkeys, akeys;
	uint32_t *index;
	size_t index_mask;	/* capacity - 1; 0 before the first insert */
	uint64_t loaded;

	/* the run */
	uint64_t last_seq;
	struct sbuf prev_digest;
	struct sbuf last_full_id, last_full_totals;
	struct sbuf last_totals;	/* T_runs.totals of the last run */
	int has_last_full;
	uint64_t job_runs;	/* the job's published runs */
	struct sbuf job_last_id, job_last_wm;	/* its latest one's */
	/* and the rest of that row that tells a rerun which repeats it
	 * (store_repeats_last): JL_* */
	uint64_t job_last_seq;
	struct sbuf job_last[7];	/* JL__COUNT (below) */
	struct sbuf job_last_tot, job_last_out;	/* its totals, outcomes */
	struct ledger_digest *digest;
	uint64_t written;
	uint64_t seq;
	char digest_hex[LEDGER_HEX];

	/* the declared columns (names borrowed from the job) */
	struct ledger_schema schema;
	char schema_hex[LEDGER_HEX];
	const char **cols;	/* T's columns in insert order (ncols) */
	size_t ncols;

	/* scratch for one version */
	struct sbuf version_txt;
	struct param *vals;	/* ncols */
};

/*
 * The columns of T, in insert order: the fixed fields up to verdicts, the
 * declared columns, sources .. prev_hash, then the two hashes (the
 * order write_version binds them in).
 */
#define NFIXED_HEAD (LF_VERDICTS + 1)	/* rec_kind .. verdicts */
_Static_assert(LF_VERDICTS + 1 == LF_SOURCES, "the columns go between");
_Static_assert(LR_PREV_DIGEST + 1 == LR__COUNT, "T_runs ends in prev_digest");

static int build_cols(struct store *s, struct error *err)
{
	size_t n = s->schema.n, k = 0;

	s->ncols = LF__COUNT + n + 2;
	s->cols = mem_calloc(s->ncols, sizeof(*s->cols));
	s->vals = mem_calloc(s->ncols, sizeof(*s->vals));
	if (!s->cols || !s->vals)
		return error_set(err, ERR_NOMEM, "out of memory");
	for (int f = 0; f < NFIXED_HEAD; f++)
		s->cols[k++] = ledger_field_names[f];
	for (size_t i = 0; i < n; i++)
		s->cols[k++] = s->schema.col[i].name;
	for (int f = NFIXED_HEAD; f < LF__COUNT; f++)
		s->cols[k++] = ledger_field_names[f];
	s->cols[k++] = "value_hash";
	s->cols[k++] = "content_hash";
	return 0;
}

static void to_hex(const uint8_t *b, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[64] = '\0';
}

/* Lower-case hex digit values plus one, 0 for anything else (only what
 * to_hex and ledger_value_hash write is read back): two table loads per
 * byte instead of six compares, twice per stored record. */
static const unsigned char hex_plus1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16,
};

static int from_hex(const char *s, size_t n, uint8_t *out)
{
	if (n != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = hex_plus1[(unsigned char)s[2 * i]];
		int lo = hex_plus1[(unsigned char)s[2 * i + 1]];

		if (!hi || !lo)
			return -1;
		out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return 0;
}

/* Run one statement built in s->sql (check its allocation first). */
static int exec_sql(struct store *s, const struct param *p, size_t n,
		    struct error *err)
{
	if (s->sql.failed)
		return error_set(err, ERR_NOMEM, "out of memory");
	return conn_exec(s->conn, s->sql.buf, p, n, err);
}

/* ---- installation ---------------------------------------------------- */

/* Append the quoted name of T + suffix. */
static int qname(struct store *s, struct sbuf *sb, const char *suffix)
{
	return dialect_store_ident(s->d, sb, s->job->store_table, suffix);
}

int store_aux_exists(struct conn *c, const char *table, const char *suffix,
		     struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct sbuf name = SBUF_INIT(4096);
	struct param p;
	int rc;

	if (dialect_store_name(&name, table, suffix) < 0) {
		sbuf_release(&name);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	p = param_text(name.buf);
	rc = cursor_open(c, conn_dialect(c)->sql_table_exists, &p, 1, 0, &cur,
			 err);
	sbuf_release(&name);
	if (rc < 0)
		return -1;
	rc = cursor_next(cur, &row, err);
	if (rc == 1)
		rc = row->vals[0].type == VAL_INT ? row->vals[0].i != 0
		     : row->vals[0].s && strcmp(row->vals[0].s, "0") != 0;
	else if (rc == 0)
		rc = error_set(err, ERR_STORE, "catalog query returned no row");
	cursor_close(cur);
	return rc;
}

void store_rollback_quiet(struct conn *c)
{
	struct error e;

	error_init(&e);
	(void)conn_rollback(c, &e);
	error_release(&e);
}

int store_aux_ensure(struct conn *c, const char *table, const char *suffix,
		     store_aux_sql_fn *create_sql, store_aux_sql_fn *guard_sql,
		     int own_tx, struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct sbuf sql = SBUF_INIT(8192);
	int ex, rc, created = 0, tx = own_tx && d->ddl_transactional;

	ex = store_aux_exists(c, table, suffix, err);
	if (ex != 0)
		return ex < 0 ? -1 : 0;
	if (tx && conn_begin(c, err) < 0)
		goto fail;
	if (create_sql(d, table, 0, &sql) != 1) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (conn_exec(c, sql.buf, NULL, 0, err) < 0)
		goto fail;
	created = 1;
	for (size_t i = 0; (rc = guard_sql(d, table, i, &sql)) == 1; i++)
		if (conn_exec(c, sql.buf, NULL, 0, err) < 0)
			goto fail;
	if (rc < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (tx && conn_commit(c, err) < 0)
		goto fail;
	sbuf_release(&sql);
	return 0;
fail:
	if (tx) {
		store_rollback_quiet(c);
	} else if (created && !d->ddl_transactional) {
		struct error e;

		error_init(&e);
		sbuf_reset(&sql);
		sbuf_addstr(&sql, "DROP TABLE ");
		dialect_store_ident(d, &sql, table, suffix);
		if (!sql.failed)
			(void)conn_exec(c, sql.buf, NULL, 0, &e);
		error_release(&e);
	}
	sbuf_release(&sql);
	if (err->code != ERR_NOMEM && (tx || !d->ddl_transactional)) {
		struct error e;

		/* another connection created it meanwhile */
		error_init(&e);
		ex = store_aux_exists(c, table, suffix, &e);
		error_release(&e);
		if (ex == 1 && !created) {
			error_clear(err);
			return 0;
		}
	}
	return -1;
}

/* 1 if table T + suffix exists, 0 if not, -1 on error. */
static int table_exists(struct store *s, const char *suffix,
			struct error *err)
{
	return store_aux_exists(s->conn, s->job->store_table, suffix, err);
}

/* The error for a table T that exists without T_schema and T_runs: not
 * a store (a source table named in <store table=...>, say); writing to
 * it would fail on a missing column or, worse, add to someone's table. */
static int not_a_store(const char *dsn, const char *t, struct error *err)
{
	return error_set(err, ERR_STORE, "store table '%s' in DSN '%s' exists "
			 "but is not a recon store (it has no %s_schema); "
			 "choose another <store table=...>", t, dsn, t);
}

/* 1 if table t has the columns of a store's T (a query naming them
 * compiles), 0 if not: then it is someone else's table. */
static int has_store_columns(struct conn *c, const char *t)
{
	struct sbuf sql = SBUF_INIT(4096);
	struct cursor *cur = NULL;
	struct error e;
	int ok;

	sbuf_addstr(&sql, "SELECT rec_kind, rec_key, version, run_id, "
		    "value_hash, content_hash FROM ");
	dialect_store_ident(conn_dialect(c), &sql, t, NULL);
	sbuf_addstr(&sql, " WHERE 1 = 0");
	error_init(&e);
	ok = !sql.failed && cursor_open(c, sql.buf, NULL, 0, 0, &cur, &e) == 0;
	cursor_close(cur);
	error_release(&e);
	sbuf_release(&sql);
	return ok;
}

/*
 * The current view's query: for each (rec_kind, rec_key) the row with
 * the highest version. The one definition of it: install() creates
 * T_current from it, and `recon verify` compares the catalog's
 * definition of T_current with it.
 */
static int add_view_query(const struct dialect *d, struct sbuf *sql,
			  const char *t)
{
	sbuf_addstr(sql, "SELECT v.* FROM ");
	dialect_store_ident(d, sql, t, NULL);
	sbuf_addstr(sql, " v WHERE NOT EXISTS (SELECT 1 FROM ");
	dialect_store_ident(d, sql, t, NULL);
	return sbuf_addstr(sql, " w WHERE w.rec_kind = v.rec_kind AND "
			   "w.rec_key = v.rec_key AND w.version > v.version)");
}

/* The dialect's type of a declared column. */
static const char *sql_type(const struct dialect *d, enum ledger_type t)
{
	static const enum dialect_type map[LT__COUNT] = {
		[LT_TEXT] = DT_TEXT, [LT_MONEY] = DT_MONEY,
		[LT_INTEGER] = DT_INT, [LT_DATE] = DT_DATE,
		[LT_TIMESTAMP] = DT_TIMESTAMP,
	};

	return d->types[map[t]];
}

/* The types of T_runs' columns (DT_TEXT = 0 unless said). */
static const enum dialect_type run_types[LR__COUNT] = {
	[LR_RUN_ID] = DT_ID, [LR_SEQ] = DT_INT, [LR_RECORDS] = DT_INT,
	[LR_EXCEPTIONS] = DT_INT,
};

int store_ddl(const struct dialect *d, const char *t,
	      const struct ledger_schema *sch, size_t i, struct sbuf *sql)
{
	sbuf_reset(sql);
	switch (i) {
	case 0:		/* T */
		sbuf_addstr(sql, "CREATE TABLE ");
		dialect_store_ident(d, sql, t, NULL);
		sbuf_addstr(sql, " (");
		dialect_column(d, sql, "rec_kind", DT_KIND, " NOT NULL, ");
		dialect_column(d, sql, "rec_key", DT_KEY, " NOT NULL, ");
		dialect_column(d, sql, "version", DT_INT, " NOT NULL, ");
		dialect_column(d, sql, "run_id", DT_ID, " NOT NULL, ");
		dialect_column(d, sql, "outcome", DT_TEXT, " NOT NULL, ");
		dialect_column(d, sql, "codes", DT_TEXT, " NOT NULL, ");
		dialect_column(d, sql, "verdicts", DT_TEXT, " NOT NULL, ");
		for (size_t k = 0; k < sch->n; k++) {
			dialect_quote(d, sql, sch->col[k].name);
			sbuf_addf(sql, " %s, ", sql_type(d, sch->col[k].type));
		}
		dialect_column(d, sql, "sources", DT_TEXT, " NOT NULL, ");
		dialect_column(d, sql, "rules_hash", DT_TEXT, " NOT NULL, ");
		dialect_column(d, sql, "prev_hash", DT_TEXT, ", ");
		dialect_column(d, sql, "value_hash", DT_TEXT, " NOT NULL, ");
		dialect_column(d, sql, "content_hash", DT_TEXT, " NOT NULL)");
		sbuf_addstr(sql, d->table_options);
		break;
	case 1:		/* the current view's lookups need it; it also
			 * refuses a second version N of a key (two runs
			 * racing) */
		sbuf_addstr(sql, "CREATE UNIQUE INDEX ");
		dialect_store_ident(d, sql, t, "_version");
		sbuf_addstr(sql, " ON ");
		dialect_store_ident(d, sql, t, NULL);
		sbuf_addstr(sql, " (rec_kind, rec_key, version)");
		break;
	case 2:
		sbuf_addstr(sql, "CREATE VIEW ");
		dialect_store_ident(d, sql, t, "_current");
		sbuf_addstr(sql, " AS ");
		add_view_query(d, sql, t);
		break;
	case 3:
		sbuf_addstr(sql, "CREATE TABLE ");
		dialect_store_ident(d, sql, t, "_runs");
		sbuf_addstr(sql, " (");
		/* the ledger's run fields with digest before prev_digest
		 * (the order of the first stores) */
		for (int f = 0; f < LR_PREV_DIGEST; f++)
			dialect_column(d, sql, ledger_run_field_names[f],
				run_types[f], f == LR_RUN_ID
				? " NOT NULL PRIMARY KEY, "
				: f == LR_SEQ ? " NOT NULL UNIQUE, "
				: " NOT NULL, ");
		dialect_column(d, sql, "digest", DT_TEXT, " NOT NULL, ");
		dialect_column(d, sql, ledger_run_field_names[LR_PREV_DIGEST], DT_TEXT,
			" NOT NULL)");
		sbuf_addstr(sql, d->table_options);
		break;
	case 4:
		sbuf_addstr(sql, "CREATE TABLE ");
		dialect_store_ident(d, sql, t, "_schema");
		sbuf_addstr(sql, " (");
		dialect_column(d, sql, "format", DT_TEXT, " NOT NULL, ");
		dialect_column(d, sql, "position", DT_INT, " NOT NULL UNIQUE, ");
		dialect_column(d, sql, "name", DT_TEXT, " NOT NULL, ");
		dialect_column(d, sql, "type", DT_TEXT, " NOT NULL, ");
		dialect_column(d, sql, "value", DT_TEXT, " NOT NULL)");
		sbuf_addstr(sql, d->table_options);
		break;
	default: {
		int rc = dialect_insert_only_sql(d, t, i - 5, sql);

		if (rc <= 0)
			return rc;
		break;
	}
	}
	return sql->failed ? -1 : 1;
}

int store_ddl_undo(const struct dialect *d, const char *t, size_t i,
		   struct sbuf *sql)
{
	static const char *const what[5] = {
		"TABLE", NULL, "VIEW", "TABLE", "TABLE",
	};
	static const char *const suffix[5] = {
		"", NULL, "_current", "_runs", "_schema",
	};

	sbuf_reset(sql);
	/* the index and the triggers go with their tables */
	if (i >= 5 || !what[i])
		return 0;
	sbuf_addf(sql, "DROP %s ", what[i]);
	dialect_store_ident(d, sql, t, suffix[i]);
	return sql->failed ? -1 : 1;
}

static int has_rows(struct conn *c, const char *table, const char *suffix,
		    struct error *err);

/* T_schema's rows: the format and the declared columns, one row each. */
static int install_schema(struct store *s, struct error *err)
{
	sbuf_reset(&s->sql);
	sbuf_addstr(&s->sql, "INSERT INTO ");
	qname(s, &s->sql, "_schema");
	sbuf_addstr(&s->sql, " (format, position, name, type, value) "
		    "VALUES (?, ?, ?, ?, ?)");
	for (size_t i = 0; i < s->schema.n; i++) {
		const struct ledger_col *c = &s->schema.col[i];
		char pos[24];
		struct param p[5];

		snprintf(pos, sizeof(pos), "%zu", i);
		p[0] = param_text(LEDGER_FORMAT);
		p[1] = param_text(pos);
		p[2] = param_text(c->name);
		p[3] = param_text(ledger_type_names[c->type]);
		p[4] = param_text(c->value);
		if (exec_sql(s, p, 5, err) < 0)
			return -1;
	}
	return 0;
}

/* Drop, newest first, the objects statements 0..n-1 of store_ddl
 * created: best effort, the error being reported is the one that made
 * the install fail. */
static void install_undo(struct store *s, size_t n)
{
	struct error e;

	error_init(&e);
	while (n-- > 0) {
		if (store_ddl_undo(s->d, s->job->store_table, n, &s->sql) == 1)
			(void)conn_exec(s->conn, s->sql.buf, NULL, 0, &e);
		error_clear(&e);
	}
	error_release(&e);
}

/*
 * Create T, its unique index, the current view, T_runs, T_schema and the
 * insert-only triggers (store_ddl), then T_schema's rows.
 *
 * Where DDL is transactional (SQLite, PostgreSQL, SQL Server) this runs
 * in the first run's transaction: a first run that fails leaves no
 * tables, and one that commits leaves all of them. Where it is not
 * (MariaDB/MySQL: each DDL statement commits), store_open calls this
 * before the transaction begins; what it created is dropped again if a
 * statement fails, and a first run that fails later leaves an empty
 * store (its readers say no run has been published yet).
 */
static int install(struct store *s, struct error *err)
{
	const char *t = s->job->store_table;
	size_t i;
	int ex, rc;

	/* T_runs is missing; a T_schema without it is half a store that
	 * someone dropped tables from: say so rather than add to it */
	ex = table_exists(s, "_schema", err);
	if (ex != 0)
		return ex < 0 ? -1 : error_set(err, ERR_STORE, "table '%s_schema' "
					  "exists but '%s_runs' does not: a "
					  "store whose tables were dropped by "
					  "hand; drop the rest or use another "
					  "table", t, t);
	/* and T itself already there is someone else's table */
	ex = table_exists(s, NULL, err);
	if (ex != 0)
		return ex < 0 ? -1 : not_a_store(s->job->store_dsn, t, err);
	for (i = 0; (rc = store_ddl(s->d, t, &s->schema, i, &s->sql)) == 1; i++)
		if (conn_exec(s->conn, s->sql.buf, NULL, 0, err) < 0)
			goto fail;
	if (rc < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	/* where each statement commits by itself, T_schema's rows still go
	 * in together: an install killed half way through them must look
	 * unfinished (no rows), not like a store of fewer columns */
	if (!s->d->ddl_transactional && conn_begin(s->conn, err) < 0) {
		i = SIZE_MAX;
		goto fail;
	}
	if (install_schema(s, err) < 0 ||
	    (!s->d->ddl_transactional && conn_commit(s->conn, err) < 0)) {
		if (!s->d->ddl_transactional) {
			struct error e;

			error_init(&e);
			(void)conn_rollback(s->conn, &e);
			error_release(&e);
		}
		i = SIZE_MAX;
		goto fail;
	}
	return 0;
fail:
	if (!s->d->ddl_transactional)
		install_undo(s, i == SIZE_MAX ? 5 : i);
	return -1;
}

/*
 * Where DDL commits statement by statement (MariaDB/MySQL), a first run
 * killed while install() runs leaves part of a store: T (with its index
 * and view) without T_runs, or T_runs without T_schema's rows (they are
 * inserted last, in one transaction). Such a leftover is recognised as
 * the engine's own unfinished install, and dropped so that install()
 * starts again, only if nothing in it could be anyone's data: T, T_runs
 * and T_schema, where they exist, hold no row, and T has a store's
 * columns. Anything else is left to the checks that refuse it in words.
 * 1 with *exists set to 0 if it was redone, 0 if there was nothing to
 * redo, -1 on error.
 */
static int redo_unfinished_install(struct store *s, int *exists,
				   struct error *err)
{
	const char *t = s->job->store_table;
	int has_t, has_schema, rows;

	if (s->d->ddl_transactional)
		return 0;
	if ((has_t = table_exists(s, NULL, err)) < 0 ||
	    (has_schema = table_exists(s, "_schema", err)) < 0)
		return -1;
	if (!has_t && !has_schema && !*exists)
		return 0;		/* a new store */
	if (has_schema) {
		if ((rows = has_rows(s->conn, t, "_schema", err)) < 0)
			return -1;
		if (rows)
			return 0;	/* installed (or not ours) */
	}
	if (*exists) {
		if ((rows = has_rows(s->conn, t, "_runs", err)) < 0)
			return -1;
		if (rows)
			return 0;
	}
	if (has_t) {
		if (!has_store_columns(s->conn, t))
			return 0;	/* someone else's table */
		if ((rows = has_rows(s->conn, t, NULL, err)) < 0)
			return -1;
		if (rows)
			return 0;
	}
	install_undo(s, 5);
	if ((has_t = table_exists(s, NULL, err)) < 0 ||
	    (has_schema = table_exists(s, "_schema", err)) < 0 ||
	    (*exists = table_exists(s, "_runs", err)) < 0)
		return -1;
	if (has_t || has_schema || *exists)
		return error_set(err, ERR_STORE, "an unfinished install of the "
				 "store (a first run stopped while it created "
				 "the tables) could not be dropped; drop '%s', "
				 "'%s_current', '%s_runs' and '%s_schema' by "
				 "hand (they hold no rows)", t, t, t, t);
	s->reinstalled = 1;
	return 1;
}

/* ---- the current-state map ------------------------------------------- */

static uint64_t key_hash(unsigned kind, const char *key, size_t n)
{
	return match_hash(key, n) ^ ((uint64_t)kind * UINT64_C(0x9e3779b97f4a7c15));
}

static struct cur *map_find(struct store *s, unsigned kind, const char *key,
			    size_t n, size_t *slot)
{
	size_t i;

	if (!s->index)
		return NULL;
	i = (size_t)key_hash(kind, key, n) & s->index_mask;
	for (;; i = (i + 1) & s->index_mask) {
		uint32_t e = s->index[i];
		struct cur *c;

		if (!e) {
			if (slot)
				*slot = i;
			return NULL;
		}
		c = &s->cur[e - 1];
		if (c->kind == kind && c->key_len == n &&
		    memcmp(s->keys + c->key_off, key, n) == 0)
			return c;
	}
}

static int map_rehash(struct store *s, size_t cap)
{
	uint32_t *idx = mem_calloc(cap, sizeof(*idx));

	if (!idx)
		return -1;
	for (size_t e = 0; e < s->ncur; e++) {
		const struct cur *c = &s->cur[e];
		size_t i = (size_t)key_hash(c->kind, s->keys + c->key_off,
					    c->key_len) & (cap - 1);

		while (idx[i])
			i = (i + 1) & (cap - 1);
		idx[i] = (uint32_t)(e + 1);
	}
	mem_free(s->index);
	s->index = idx;
	s->index_mask = cap - 1;
	return 0;
}

/* Add a key (not present). Returns the entry or NULL (ERR_NOMEM). */
static struct cur *map_add(struct store *s, unsigned kind, const char *key,
			   size_t n, struct error *err)
{
	size_t slot = 0, need;
	struct cur *c;

	if (s->ncur >= UINT32_MAX - 1)
		return error_set(err, ERR_STORE, "more than 4e9 keys"), NULL;
	if (s->ncur == s->acur) {
		size_t na = s->acur ? s->acur * 2 : 1024, bytes;
		void *p;

		if (mem_mul(na, sizeof(*s->cur), &bytes) < 0 ||
		    !(p = mem_realloc(s->cur, bytes)))
			goto nomem;
		s->cur = p;
		s->acur = na;
	}
	if (mem_add(s->nkeys, n, &need) < 0 ||
	    mem_reserve(&s->keys, &s->akeys, need, 65536) < 0)
		goto nomem;
	/* at most half full */
	if ((s->ncur + 1) * 2 > s->index_mask + 1 || !s->index) {
		size_t cap = s->index ? (s->index_mask + 1) * 2 : 2048;

		if (map_rehash(s, cap) < 0)
			goto nomem;
	}
	(void)map_find(s, kind, key, n, &slot);
	c = &s->cur[s->ncur];
	memset(c, 0, sizeof(*c));
	c->kind = (uint8_t)kind;
	c->key_off = s->nkeys;
	c->key_len = (uint32_t)n;
	if (n)
		memcpy(s->keys + s->nkeys, key, n);
	s->nkeys += n;
	s->index[slot] = (uint32_t)(s->ncur + 1);
	s->ncur++;
	return c;
nomem:
	error_set(err, ERR_NOMEM, "out of memory (current state of %zu keys)",
		  s->ncur);
	return NULL;
}

static int kind_of(const char *s, size_t n)
{
	for (int k = 0; k < NKINDS; k++)
		if (strlen(kind_names[k]) == n && memcmp(kind_names[k], s, n) == 0)
			return k;
	return -1;
}

static const char *text_of(const struct value *v, size_t *n)
{
	*n = v->s ? v->len : 0;
	return v->type == VAL_NULL ? NULL : v->s;
}

static int load_current(struct store *s, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	int rc;

	sbuf_reset(&s->sql);
	sbuf_addstr(&s->sql, "SELECT rec_kind, rec_key, version, outcome, "
		    "value_hash, content_hash FROM ");
	qname(s, &s->sql, "_current");
	if (s->sql.failed)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (cursor_open(s->conn, s->sql.buf, NULL, 0, 0, &cur, err) < 0)
		return -1;
	while ((rc = cursor_next(cur, &row, err)) == 1) {
		size_t kn, n, on, vn, cn;
		const char *k = text_of(&row->vals[0], &kn);
		const char *key = text_of(&row->vals[1], &n);
		const char *oc = text_of(&row->vals[3], &on);
		const char *vh = text_of(&row->vals[4], &vn);
		const char *ch = text_of(&row->vals[5], &cn);
		int kind = k ? kind_of(k, kn) : -1;
		struct cur *c;
		uint8_t v[32], h[32];

		if (stop_check(err, "loading the store") < 0) {
			rc = -1;
			break;
		}
		if (kind < 0 || !key || row->vals[2].type != VAL_INT ||
		    row->vals[2].i < 1 || !vh || from_hex(vh, vn, v) < 0 ||
		    !ch || from_hex(ch, cn, h) < 0) {
			rc = error_set(err, ERR_STORE,
				       "current version of key '%.*s' (kind "
				       "'%.*s') is malformed (run recon verify)",
				       (int)n, key ? key : "", (int)kn,
				       k ? k : "");
			break;
		}
		if (map_find(s, (unsigned)kind, key, n, NULL)) {
			rc = error_set(err, ERR_STORE,
				       "key '%.*s' (kind '%s') has two current "
				       "versions (run recon verify)", (int)n,
				       key, kind_names[kind]);
			break;
		}
		c = map_add(s, (unsigned)kind, key, n, err);
		if (!c) {
			rc = -1;
			break;
		}
		c->version = (uint64_t)row->vals[2].i;
		c->removed = oc && on == strlen(STORE_REMOVED) &&
			     memcmp(oc, STORE_REMOVED, on) == 0;
		memcpy(c->vh, v, 32);
		memcpy(c->ch, h, 32);
		s->loaded++;
	}
	cursor_close(cur);
	return rc < 0 ? -1 : 0;
}

/*
 * The job's published runs for incremental runs: how many, and the
 * latest one's run id and watermarks (a state file is trusted only if
 * the run that wrote it is that run, with those watermarks). Every row
 * of the job is counted here rather than with COUNT(*) so that one
 * ordered scan gives both; a job has one row per run.
 */
/* store.job_last[]: the job's latest run's fields a repeat compares */
enum { JL_MODE, JL_AS_OF, JL_STARTED, JL_FINISHED, JL_RULES_HASH,
       JL_SCHEMA_HASH, JL_RULES, JL__COUNT };
_Static_assert(sizeof(((struct store *)0)->job_last) / sizeof(struct sbuf) ==
	       JL__COUNT, "store.job_last holds one sbuf per JL_ field");

static int load_job_runs(struct store *s, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct param p = param_text(s->job->name);
	int rc;

	sbuf_reset(&s->sql);
	sbuf_addstr(&s->sql, "SELECT run_id, watermarks, mode, as_of, started, "
		    "finished, rules_hash, schema_hash, rules, seq, totals, "
		    "outcomes FROM ");
	qname(s, &s->sql, "_runs");
	sbuf_addstr(&s->sql, " WHERE job = ? ORDER BY seq DESC");
	if (s->sql.failed)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (cursor_open(s->conn, s->sql.buf, &p, 1, 0, &cur, err) < 0)
		return -1;
	while ((rc = cursor_next(cur, &row, err)) == 1) {
		size_t in, wn;
		const char *id = text_of(&row->vals[0], &in);
		const char *wm = text_of(&row->vals[1], &wn);

		if (s->job_runs++ > 0)
			continue;
		if (!id || !wm) {
			rc = error_set(err, ERR_STORE, "the last run row of job "
				       "'%s' has no run_id or watermarks (run "
				       "recon verify)", s->job->name);
			break;
		}
		if (sbuf_add(&s->job_last_id, id, in) < 0 ||
		    sbuf_add(&s->job_last_wm, wm, wn) < 0) {
			rc = error_set(err, ERR_NOMEM, "out of memory");
			break;
		}
		for (int f = 0; f < JL__COUNT; f++) {
			size_t n;
			const char *v = text_of(&row->vals[2 + f], &n);

			sbuf_add(&s->job_last[f], v ? v : "", v ? n : 0);
		}
		{
			size_t tn, on;
			const char *t = text_of(&row->vals[10], &tn);
			const char *o = text_of(&row->vals[11], &on);

			sbuf_add(&s->job_last_tot, t ? t : "", t ? tn : 0);
			sbuf_add(&s->job_last_out, o ? o : "", o ? on : 0);
		}
		if (row->vals[9].type == VAL_INT && row->vals[9].i > 0)
			s->job_last_seq = (uint64_t)row->vals[9].i;
	}
	cursor_close(cur);
	return rc < 0 ? -1 : 0;
}

/* The last run (seq, digest) and the job's last full run (id, totals). */
static int load_runs(struct store *s, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct param p = param_text(s->job->name);
	int rc;

	sbuf_reset(&s->sql);
	sbuf_addf(&s->sql, "SELECT %sseq, digest, totals FROM ",
		  s->d->first_head);
	qname(s, &s->sql, "_runs");
	sbuf_addf(&s->sql, " ORDER BY seq DESC%s", s->d->first_tail);
	if (s->sql.failed)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (cursor_open(s->conn, s->sql.buf, NULL, 0, 0, &cur, err) < 0) {
		error_context(err, "table '%s_runs' has no seq/digest column: "
			      "a store of an older recon? Move it aside",
			      s->job->store_table);
		return -1;
	}
	rc = cursor_next(cur, &row, err);
	if (rc == 1) {
		size_t n;
		const char *d = text_of(&row->vals[1], &n);

		if (row->vals[0].type != VAL_INT || row->vals[0].i < 1 || !d) {
			rc = error_set(err, ERR_STORE, "last run row is malformed "
				       "(run recon verify)");
		} else {
			size_t tn;
			const char *tot = text_of(&row->vals[2], &tn);

			s->last_seq = (uint64_t)row->vals[0].i;
			if (sbuf_add(&s->prev_digest, d, n) < 0 ||
			    sbuf_add(&s->last_totals, tot ? tot : "", tn) < 0)
				rc = error_set(err, ERR_NOMEM, "out of memory");
		}
	}
	cursor_close(cur);
	if (rc < 0)
		return -1;
	sbuf_reset(&s->sql);
	sbuf_addf(&s->sql, "SELECT %srun_id, totals FROM ", s->d->first_head);
	qname(s, &s->sql, "_runs");
	sbuf_addf(&s->sql, " WHERE job = ? AND mode = 'full' ORDER BY seq "
		  "DESC%s", s->d->first_tail);
	if (s->sql.failed)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (cursor_open(s->conn, s->sql.buf, &p, 1, 0, &cur, err) < 0)
		return -1;
	rc = cursor_next(cur, &row, err);
	if (rc == 1) {
		size_t in, tn;
		const char *id = text_of(&row->vals[0], &in);
		const char *tot = text_of(&row->vals[1], &tn);

		if (sbuf_add(&s->last_full_id, id ? id : "", in) < 0 ||
		    sbuf_add(&s->last_full_totals, tot ? tot : "", tn) < 0)
			rc = error_set(err, ERR_NOMEM, "out of memory");
		else
			s->has_last_full = 1;
	}
	cursor_close(cur);
	if (rc < 0)
		return -1;
	return load_job_runs(s, err);
}

/* ---- T_schema --------------------------------------------------------- */

void store_schema_release(struct store_schema *ss)
{
	for (size_t i = 0; i < 2 * LEDGER_MAX_COLS; i++)
		mem_free(ss->str[i]);
	memset(ss, 0, sizeof(*ss));
}

/* A text value (NULL for SQL NULL), NUL-terminated by the connector. */
static const char *val_or_null(const struct value *v)
{
	return v->type == VAL_NULL ? NULL : v->s;
}

int store_schema_read(struct conn *c, const char *table,
		      struct store_schema *ss, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct sbuf sql = SBUF_INIT(4096);
	int rc;

	memset(ss, 0, sizeof(*ss));
	/* the cast has an alias of its own: PostgreSQL would name it
	 * "position", and ORDER BY position would sort the text */
	sbuf_addstr(&sql, "SELECT format, ");
	dialect_cast_text(conn_dialect(c), &sql, "position", "position_text");
	sbuf_addstr(&sql, ", name, type, value FROM ");
	dialect_store_ident(conn_dialect(c), &sql, table, "_schema");
	sbuf_addstr(&sql, " ORDER BY position");
	if (sql.failed) {
		sbuf_release(&sql);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	rc = cursor_open(c, sql.buf, NULL, 0, 0, &cur, err);
	sbuf_release(&sql);
	if (rc < 0) {
		if (err->code == ERR_SOURCE)
			err->code = ERR_STORE;
		return error_context(err, "reading %s_schema (a store of "
				     "format %s has one; older stores are not "
				     "readable by this recon)", table,
				     LEDGER_FORMAT);
	}
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		const char *f = val_or_null(&row->vals[0]);
		const char *pos = val_or_null(&row->vals[1]);
		const char *name = val_or_null(&row->vals[2]);
		const char *type = val_or_null(&row->vals[3]);
		const char *value = val_or_null(&row->vals[4]);
		size_t i = ss->s.n;
		char want[24];
		int t = ledger_type_lookup(type);

		if (!f || strcmp(f, LEDGER_FORMAT) != 0) {
			rc = error_set(err, ERR_STORE, "%s_schema says format "
				       "'%s'; this recon reads %s", table,
				       f ? f : "NULL", LEDGER_FORMAT);
			break;
		}
		if (i == LEDGER_MAX_COLS) {
			rc = error_set(err, ERR_VERIFY, "%s_schema has more "
				       "than %d columns", table,
				       LEDGER_MAX_COLS);
			break;
		}
		snprintf(want, sizeof(want), "%zu", i);
		if (!pos || strcmp(pos, want) != 0 || !name ||
		    !text_is_column_name(name) || t < 0 || !value) {
			rc = error_set(err, ERR_VERIFY, "%s_schema row %zu "
				       "(position %s, name %s, type %s) is "
				       "malformed: positions must be 0..n-1, "
				       "names lower-case identifiers, types "
				       "one of text money integer date "
				       "timestamp", table, i + 1,
				       pos ? pos : "NULL", name ? name : "NULL",
				       type ? type : "NULL");
			break;
		}
		ss->str[2 * i] = mem_strdup(name);
		ss->str[2 * i + 1] = mem_strdup(value);
		if (!ss->str[2 * i] || !ss->str[2 * i + 1]) {
			rc = error_set(err, ERR_NOMEM, "out of memory");
			break;
		}
		ss->s.col[i].name = ss->str[2 * i];
		ss->s.col[i].value = ss->str[2 * i + 1];
		ss->s.col[i].type = (enum ledger_type)t;
		ss->s.n++;
	}
	cursor_close(cur);
	if (rc == 0 && ss->s.n == 0)
		rc = error_set(err, ERR_VERIFY, "%s_schema is empty (every "
			       "store declares at least one column)", table);
	if (rc == 0 && ledger_schema_hash(&ss->s, ss->hash, err) < 0)
		rc = -1;
	return rc < 0 ? -1 : 0;
}

/*
 * An existing store: its T_schema must be this format and exactly the
 * job's columns. Columns are fixed for the life of a store: a version's
 * hashes cover its columns by name, so adding or retyping one would
 * either rewrite history or leave two meanings of one hash.
 */
static int check_schema(struct store *s, struct error *err)
{
	const char *t = s->job->store_table;
	struct store_schema ss;
	size_t i, n;
	int ex, rc = 0;

	ex = table_exists(s, "_schema", err);
	if (ex < 0)
		return -1;
	if (ex == 0 && !has_store_columns(s->conn, t))
		return not_a_store(s->job->store_dsn, t, err);
	if (ex == 0)
		return error_set(err, ERR_STORE, "table '%s' has no %s_schema: "
				 "it was created by a recon older than format "
				 "%s (docs/STORE.md); publish to a new table",
				 t, t, LEDGER_FORMAT);
	if (store_schema_read(s->conn, t, &ss, err) < 0) {
		store_schema_release(&ss);
		if (err->code == ERR_VERIFY) {
			err->code = ERR_STORE;
			sbuf_addstr(&err->msg, " (run recon verify)");
		}
		return -1;
	}
	n = ss.s.n < s->schema.n ? ss.s.n : s->schema.n;
	for (i = 0; i < n; i++) {
		const struct ledger_col *c = &s->schema.col[i], *h = &ss.s.col[i];

		if (strcmp(c->name, h->name) != 0 || c->type != h->type ||
		    strcmp(c->value, h->value) != 0) {
			rc = error_set(err, ERR_STORE, "column %zu: the job "
				       "declares '%s %s %s', the store has "
				       "'%s %s %s'", i + 1, c->name,
				       ledger_type_names[c->type], c->value,
				       h->name, ledger_type_names[h->type],
				       h->value);
			break;
		}
	}
	if (rc == 0 && ss.s.n > s->schema.n)
		rc = error_set(err, ERR_STORE, "the store has column '%s' (%zu) "
			       "that the job does not declare",
			       ss.s.col[n].name, n + 1);
	else if (rc == 0 && ss.s.n < s->schema.n)
		rc = error_set(err, ERR_STORE, "the job declares column '%s' "
			       "(%zu) that the store does not have",
			       s->schema.col[n].name, n + 1);
	if (rc < 0)
		sbuf_addstr(&err->msg, "; a store's columns are fixed when it "
			    "is created (docs/STORE.md, \"Declared columns\"): "
			    "keep the job's <column> list as it was, or "
			    "publish to a new table");
	store_schema_release(&ss);
	return rc;
}

/* ---- for the store's readers ------------------------------------------- */

/* 1 if table T + suffix has a row, 0 if it is empty, -1 (ERR_STORE) on
 * error. */
static int has_rows(struct conn *c, const char *table, const char *suffix,
		    struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct sbuf sql = SBUF_INIT(4096);
	struct cursor *cur = NULL;
	const struct row *row;
	int rc;

	sbuf_addf(&sql, "SELECT %s1 FROM ", d->first_head);
	dialect_store_ident(d, &sql, table, suffix);
	sbuf_addstr(&sql, d->first_tail);
	if (sql.failed) {
		sbuf_release(&sql);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	rc = cursor_open(c, sql.buf, NULL, 0, 0, &cur, err);
	sbuf_release(&sql);
	if (rc == 0)
		rc = cursor_next(cur, &row, err);
	cursor_close(cur);
	if (rc < 0 && err->code == ERR_SOURCE)
		err->code = ERR_STORE;
	return rc;
}

int store_probe(struct conn *c, const char *table, const char *job,
		struct error *err)
{
	const char *dsn = conn_dsn(c);
	int has[3], runs;
	static const char *const suffixes[3] = { "", "_schema", "_runs" };

	for (int i = 0; i < 3; i++) {
		has[i] = store_aux_exists(c, table, suffixes[i], err);
		if (has[i] < 0) {
			if (err->code == ERR_SOURCE)
				err->code = ERR_STORE;
			return -1;
		}
	}
	if (!has[0] && !has[1] && !has[2] && job)
		return error_set(err, ERR_STORE, "store table '%s' does not exist "
				 "in DSN '%s': no run of job '%s' has been "
				 "published yet", table, dsn, job);
	if (!has[0] && !has[1] && !has[2])
		return error_set(err, ERR_STORE, "store table '%s' does not exist "
				 "in DSN '%s': no run has been published to it "
				 "yet", table, dsn);
	/* T without T_schema: someone else's table, unless T_runs is there
	 * too and T has a store's columns (an older recon's store) */
	if (has[0] && !has[1] && (!has[2] || !has_store_columns(c, table)))
		return not_a_store(dsn, table, err);
	if (!has[1])
		return error_set(err, ERR_STORE, "table '%s' has no %s_schema: "
				 "it was created by a recon older than format "
				 "%s (docs/STORE.md); verify it with the recon "
				 "that wrote it", table, table, LEDGER_FORMAT);
	if (!has[0] || !has[2])
		return error_set(err, ERR_STORE, "store table '%s' in DSN '%s' "
				 "has %s_schema but no %s%s: its tables were "
				 "dropped by hand", table, dsn, table, table,
				 has[0] ? "_runs" : "");
	/* all three and no run: a first run that failed where DDL is not
	 * transactional (MariaDB), after it had created them */
	runs = has_rows(c, table, "_runs", err);
	if (runs < 0)
		return -1;
	if (runs == 0 && job)
		return error_set(err, ERR_STORE, "store table '%s' in DSN '%s' "
				 "has no run: no run of job '%s' has been "
				 "published yet", table, dsn, job);
	if (runs == 0)
		return error_set(err, ERR_STORE, "store table '%s' in DSN '%s' "
				 "has no run: no run has been published to it "
				 "yet", table, dsn);
	return 0;
}

/* The temporary view verify compares T_current with (per connection;
 * VIEWCHECK_DEPARSE only). */
#define VIEW_REF "recon_verify_current"

int store_view_ref(struct conn *c, const char *table, struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct sbuf sql = SBUF_INIT(4096);
	int rc;

	if (d->viewcheck != VIEWCHECK_DEPARSE)
		return 0;
	sbuf_addstr(&sql, "CREATE TEMP VIEW ");
	dialect_quote(d, &sql, VIEW_REF);
	sbuf_addstr(&sql, " AS ");
	add_view_query(d, &sql, table);
	if (sql.failed) {
		sbuf_release(&sql);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	rc = conn_exec(c, sql.buf, NULL, 0, err);
	sbuf_release(&sql);
	if (rc < 0) {
		if (err->code == ERR_SOURCE)
			err->code = ERR_STORE;
		return error_context(err, "creating the temporary view %s to "
				     "check %s_current against (verify needs "
				     "the TEMP privilege on PostgreSQL)",
				     VIEW_REF, table);
	}
	return 0;
}

/* Append src to def with whitespace runs collapsed to one space and
 * none at the ends; from_as: only what follows the first " AS " (the
 * query of a CREATE VIEW statement's text). */
static void add_collapsed(struct sbuf *def, const char *src, int from_as)
{
	int sp = 0;

	if (from_as) {
		const char *as = src;

		for (; *as; as++)
			if ((as[0] == ' ' || as[0] == '\n' || as[0] == '\t') &&
			    (as[1] == 'A' || as[1] == 'a') &&
			    (as[2] == 'S' || as[2] == 's') &&
			    (as[3] == ' ' || as[3] == '\n' || as[3] == '\t'))
				break;
		src = *as ? as + 4 : "";
	}
	for (; *src; src++) {
		if (*src == ' ' || *src == '\n' || *src == '\t' || *src == '\r') {
			sp = def->len > 0;
			continue;
		}
		if (sp)
			sbuf_addch(def, ' ');
		sp = 0;
		sbuf_addch(def, *src);
	}
}

/*
 * An object's kind and definition in the catalog: *kind "view", "table"
 * (or another kind), empty if there is no such object; def its
 * definition, whitespace runs collapsed (VIEWCHECK_TEXT: the CREATE
 * statement's text after its first " AS "; VIEWCHECK_DEPARSE: the
 * DBMS's deparse; VIEWCHECK_COLUMNS: empty). temp: the temporary
 * view VIEW_REF.
 */
static int view_def(struct conn *c, const char *name, int temp,
		    struct sbuf *kind, struct sbuf *def, struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct cursor *cur = NULL;
	const struct row *row;
	struct sbuf q = SBUF_INIT(4096);
	struct param p;
	int rc;

	if (temp)
		sbuf_addstr(&q, d->temp_prefix ? d->temp_prefix : "");
	dialect_store_name(&q, name, NULL);
	if (q.failed) {
		sbuf_release(&q);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	p = param_text(q.buf);
	rc = cursor_open(c, temp && d->sql_temp_relation ? d->sql_temp_relation
			 : d->sql_relation, &p, 1, 0, &cur, err);
	sbuf_release(&q);
	if (rc < 0)
		return -1;
	sbuf_reset(kind);
	sbuf_reset(def);
	rc = cursor_next(cur, &row, err);
	if (rc == 1) {
		const char *k = val_or_null(&row->vals[0]);
		const char *v = val_or_null(&row->vals[1]);

		sbuf_addstr(kind, k ? k : "?");
		if (v)
			add_collapsed(def, v, d->viewcheck == VIEWCHECK_TEXT);
	}
	cursor_close(cur);
	if (rc < 0)
		return -1;
	if (kind->failed || def->failed)
		return error_set(err, ERR_NOMEM, "out of memory");
	return 0;
}

/* ASCII case-insensitive equality of n bytes (catalogs may fold
 * names). */
static int name_eq_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
		int y = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];

		if (x != y)
			return 0;
	}
	return 1;
}

/* The columns of relation rel, in the catalog's order, lower-cased and
 * comma-separated, into list. */
static int rel_columns(struct conn *c, const char *rel, struct sbuf *list,
		       struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct sbuf name = SBUF_INIT(4096);
	struct param p;
	int rc;

	sbuf_reset(list);
	if (dialect_store_name(&name, rel, NULL) < 0) {
		sbuf_release(&name);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	p = param_text(name.buf);
	rc = cursor_open(c, conn_dialect(c)->sql_columns, &p, 1, 0, &cur, err);
	sbuf_release(&name);
	if (rc < 0)
		goto out;
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		const char *n = val_or_null(&row->vals[0]);

		if (list->len)
			sbuf_addch(list, ',');
		dialect_store_name(list, n ? n : "", NULL);
	}
	cursor_close(cur);
	if (rc == 0 && list->failed)
		rc = error_set(err, ERR_NOMEM, "out of memory");
out:
	if (rc < 0 && err->code == ERR_SOURCE)
		err->code = ERR_STORE;
	return rc < 0 ? -1 : 0;
}

int store_has_columns(struct conn *c, const char *rel,
		      const char *const *names, size_t n, struct error *err)
{
	struct sbuf list = SBUF_INIT(SBUF_CAP_DEFAULT);
	size_t have = 0;

	if (rel_columns(c, rel, &list, err) < 0) {
		sbuf_release(&list);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *p = list.buf;

		while (*p) {
			const char *e = strchr(p, ',');
			size_t len = e ? (size_t)(e - p) : strlen(p);

			if (len == strlen(names[i]) &&
			    name_eq_n(p, names[i], len)) {
				have++;
				break;
			}
			p += len + (e != NULL);
		}
	}
	sbuf_release(&list);
	return have == n;
}

int store_view_check(struct conn *c, const char *table, struct sbuf *why,
		     struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct sbuf name = SBUF_INIT(256), kind = SBUF_INIT(256),
		    rkind = SBUF_INIT(256), def = SBUF_INIT(1 << 20),
		    ref = SBUF_INIT(1 << 20);
	int rc = -1;

	if (dialect_store_name(&name, table, "_current") < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (view_def(c, name.buf, 0, &kind, &def, err) < 0)
		goto out;
	if (kind.len && strcmp(kind.buf, "view") == 0) {
		/* the reference: the engine's own definition */
		if (d->viewcheck == VIEWCHECK_DEPARSE) {
			if (view_def(c, VIEW_REF, 1, &rkind, &ref, err) < 0)
				goto out;
		} else if (d->viewcheck == VIEWCHECK_TEXT) {
			struct sbuf q = SBUF_INIT(1 << 20);

			add_view_query(d, &q, table);
			add_collapsed(&ref, q.buf, 0);
			/* the text before the engine quoted identifiers
			 * (same format, recon-ledger/2): also the engine's */
			sbuf_reset(&q);
			sbuf_addf(&q, "SELECT v.* FROM %s v WHERE NOT EXISTS "
				  "(SELECT 1 FROM %s w WHERE w.rec_kind = "
				  "v.rec_kind AND w.rec_key = v.rec_key AND "
				  "w.version > v.version)", table, table);
			if (!q.failed && strcmp(def.buf, q.buf) == 0) {
				sbuf_reset(&ref);
				sbuf_addstr(&ref, q.buf);
			}
			if (q.failed)
				ref.failed = SBUF_NOMEM;
			sbuf_release(&q);
		} else if (rel_columns(c, name.buf, &def, err) < 0 ||
			   rel_columns(c, table, &ref, err) < 0) {
			goto out;
		}
		if (ref.failed || def.failed) {
			error_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		if (!ref.len) {
			error_set(err, ERR_INTERNAL, "the engine's definition "
				  "of %s has no text in the catalog", name.buf);
			goto out;
		}
	}
	rc = 1;
	sbuf_reset(why);
	if (!kind.len) {
		rc = 2;
		sbuf_addf(why, "%s_current is missing (readers of the store get "
			  "an error)", table);
	}
	else if (strcmp(kind.buf, "view") != 0)
		sbuf_addf(why, "%s_current is a %s, not the engine's view: what "
			  "readers see is not computed from %s", table,
			  kind.buf, table);
	else if (strcmp(def.buf, ref.buf) != 0 &&
		 d->viewcheck == VIEWCHECK_COLUMNS)
		sbuf_addf(why, "the view %s_current does not have the columns "
			  "of %s: readers may be shown other rows", table,
			  table);
	else if (strcmp(def.buf, ref.buf) != 0)
		sbuf_addf(why, "the definition of the view %s_current is not "
			  "the engine's (latest version of each key of %s): "
			  "readers may be shown other rows", table, table);
	else
		rc = 0;
	if (why->failed)
		rc = error_set(err, ERR_NOMEM, "out of memory");
out:
	if (rc < 0 && err->code == ERR_SOURCE)
		err->code = ERR_STORE;
	sbuf_release(&name);
	sbuf_release(&kind);
	sbuf_release(&rkind);
	sbuf_release(&def);
	sbuf_release(&ref);
	return rc;
}

/* ---- open ------------------------------------------------------------ */

static int fail_ctx(struct store *s, const struct job *job, struct error *err)
{
	(void)s;
	if (err->code == ERR_SOURCE)
		err->code = ERR_STORE;
	return error_context(err, "store '%s' table '%s'", job->store_dsn,
			     job->store_table);
}

/* A store connected to job's DSN, with the job's columns, nothing read
 * yet; *exists says whether T_runs is there. NULL on error (context
 * added). */
static struct store *store_connect(const struct job *job, int *exists,
				   struct error *err)
{
	struct store *s;
	const char *dbms;
	struct sbuf name = SBUF_INIT(4096);
	size_t tmax;

	if (!text_is_identifier(job->store_table, 63)) {
		error_set(err, ERR_JOB, "store table '%s' is not an identifier",
			  job->store_table);
		return NULL;
	}
	if (job->ncolumns > LEDGER_MAX_COLS) {
		error_set(err, ERR_INTERNAL, "%zu columns", job->ncolumns);
		return NULL;
	}
	s = mem_calloc(1, sizeof(*s));
	if (!s) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->job = job;
	s->schema.n = job->ncolumns;
	for (size_t i = 0; i < job->ncolumns; i++) {
		s->schema.col[i].name = job->columns[i].name;
		s->schema.col[i].value = job->columns[i].value;
		s->schema.col[i].type = job->columns[i].type;
	}
	sbuf_init(&s->sql, 8192);
	sbuf_init(&s->prev_digest, 256);
	sbuf_init(&s->last_full_id, 4096);
	sbuf_init(&s->last_full_totals, SBUF_CAP_DEFAULT);
	sbuf_init(&s->last_totals, SBUF_CAP_DEFAULT);
	sbuf_init(&s->job_last_id, 256);
	sbuf_init(&s->job_last_wm, SBUF_CAP_DEFAULT);
	for (int f = 0; f < JL__COUNT; f++)
		sbuf_init(&s->job_last[f], 4096);
	sbuf_init(&s->job_last_tot, SBUF_CAP_DEFAULT);
	sbuf_init(&s->job_last_out, SBUF_CAP_DEFAULT);
	sbuf_init(&s->version_txt, 64);
	if (build_cols(s, err) < 0 ||
	    ledger_schema_hash(&s->schema, s->schema_hex, err) < 0)
		goto fail;
	if (conn_open(job->store_dsn, &s->conn, err) < 0)
		goto fail;
	dbms = conn_dbms(s->conn);
	s->d = conn_dialect(s->conn);
	if (dialect_store_ok(s->d, dbms, err) < 0)
		goto fail;
	/* the job loader checked the portable limit; this is the DBMS's
	 * own (the longest name derived from T must fit, or the DBMS would
	 * cut or refuse it) */
	tmax = dialect_table_max(s->d);
	if (tmax && strlen(job->store_table) > tmax) {
		error_set(err, ERR_STORE, "store table name '%s' is %zu "
			  "characters long; on %s it may have at most %zu (the "
			  "longest name derived from it, %s_schema_insert_only, "
			  "must fit in %zu)", job->store_table,
			  strlen(job->store_table), s->d->name, tmax,
			  job->store_table, s->d->ident_max);
		goto fail;
	}
	if (dialect_store_name(&name, job->store_table, NULL) < 0 ||
	    !(s->table = mem_strdup(name.buf))) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (s->d->store_session &&
	    conn_exec(s->conn, s->d->store_session, NULL, 0, err) < 0)
		goto fail;
	*exists = table_exists(s, "_runs", err);
	if (*exists < 0)
		goto fail;
	sbuf_release(&name);
	return s;
fail:
	sbuf_release(&name);
	fail_ctx(s, job, err);
	store_free(s);
	return NULL;
}

int store_open(const struct job *job, store_before_tx_fn *before_tx,
	       void *ctx, struct store **out, struct error *err)
{
	struct store *s;
	int ex;

	s = store_connect(job, &ex, err);
	if (!s)
		return -1;
	if (redo_unfinished_install(s, &ex, err) < 0)
		goto fail;
	/*
	 * The current state is read before the transaction begins: inside
	 * one, sqliteodbc buffers a whole result set (about 1 GB for a
	 * million keys instead of a streamed cursor). A run that commits in
	 * between cannot be overwritten: its versions and its seq collide
	 * with ours on the unique indexes, and this run fails with nothing
	 * published.
	 */
	if (ex == 1 && (check_schema(s, err) < 0 || load_runs(s, err) < 0 ||
			load_current(s, err) < 0 ||
			(before_tx && before_tx(s->conn, store_schema(s), ctx,
						err) < 0)))
		goto fail;
	/* DDL that commits by itself runs before the transaction; so does
	 * creating T_report (snapshot.h) in a store made before it was */
	if (ex == 0 && !s->d->ddl_transactional && install(s, err) < 0)
		goto fail;
	if ((ex == 1 || !s->d->ddl_transactional) &&
	    snapshot_ensure(s->conn, s->job->store_table, 1, err) < 0)
		goto fail;
	if (conn_begin(s->conn, err) < 0)
		goto fail;
	s->in_tx = 1;
	if (ex == 0 && s->d->ddl_transactional &&
	    (install(s, err) < 0 ||
	     snapshot_ensure(s->conn, s->job->store_table, 0, err) < 0))
		goto fail;
	s->digest = ledger_digest_new(s->prev_digest.buf, err);
	if (!s->digest)
		goto fail;
	if (writer_open(s->conn, s->table, s->cols, s->ncols, 0,
			&s->w, err) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	fail_ctx(s, job, err);
	store_free(s);
	return -1;
}

int store_check(const struct job *job, int *exists, struct error *err)
{
	struct store *s = store_connect(job, exists, err);
	int rc;

	if (!s)
		return -1;
	rc = *exists ? check_schema(s, err) : 0;
	if (rc == 0 && !*exists) {
		/* T without T_runs: not a store the first run could create */
		rc = table_exists(s, NULL, err);
		if (rc > 0)
			rc = not_a_store(job->store_dsn, job->store_table, err);
	}
	if (rc < 0)
		fail_ctx(s, job, err);
	store_free(s);
	return rc;
}

/* ---- writing versions ------------------------------------------------ */

/* The ledger's hashes of a record, timed as hashing (phase.h): per
 * record, so by the wall clock only. */
static int value_hash(const struct ledger_rec *lr, char *hex,
		      struct error *err)
{
	int rc;

	phase_fpush(PH_HASH);
	phase_rows(PH_HASH, 1);
	rc = ledger_value_hash(lr, hex, err);
	phase_fpop();
	return rc;
}

static int content_hash(const struct ledger_rec *lr, char *hex,
			struct error *err)
{
	int rc;

	phase_fpush(PH_HASH);
	phase_rows(PH_HASH, 1);
	rc = ledger_content_hash(lr, hex, err);
	phase_fpop();
	return rc;
}

/* Write one version of entry c (NULL: a new key) with fields f[]; update
 * or create the map entry. */
static int write_version(struct store *s, struct cur *c, unsigned kind,
			 struct ledger_rec *lr, const uint8_t vh[32],
			 struct error *err)
{
	char prev[LEDGER_HEX], vhex[LEDGER_HEX], chex[LEDGER_HEX];
	struct param *v = s->vals;
	size_t k = 0;
	uint64_t version = c ? c->version + 1 : 1;

	sbuf_reset(&s->version_txt);
	if (sbuf_addf(&s->version_txt, "%llu", (unsigned long long)version) < 0)
		return error_set(err, ERR_NOMEM, "out of memory");
	lr->f[LF_VERSION] = s->version_txt.buf;
	if (c) {
		to_hex(c->ch, prev);
		lr->f[LF_PREV_HASH] = prev;
	} else {
		lr->f[LF_PREV_HASH] = NULL;
	}
	if (content_hash(lr, chex, err) < 0)
		return -1;
	to_hex(vh, vhex);
	for (int f = 0; f < NFIXED_HEAD; f++)
		v[k++] = param_text(lr->f[f]);
	for (size_t i = 0; i < s->schema.n; i++)
		v[k++] = param_text(lr->c[i]);
	for (int f = NFIXED_HEAD; f < LF__COUNT; f++)
		v[k++] = param_text(lr->f[f]);
	v[k++] = param_text(vhex);
	v[k++] = param_text(chex);
	if (writer_add(s->w, v, err) < 0)
		return -1;
	if (ledger_digest_add(s->digest, chex) < 0)
		return error_set(err, ERR_NOMEM, "out of memory (digest)");
	if (!c) {
		c = map_add(s, kind, lr->f[LF_REC_KEY],
			    strlen(lr->f[LF_REC_KEY]), err);
		if (!c)
			return -1;
	}
	c->version = version;
	memcpy(c->vh, vh, 32);
	(void)from_hex(chex, 64, c->ch);
	c->seen = 1;
	c->removed = 0;
	s->written++;
	return 0;
}

/*
 * Did an insert fail on a unique index? PostgreSQL says so with SQLSTATE
 * class 23 (integrity constraint violation, 23505); sqliteodbc reports
 * every SQLite error as HY000 with SQLite's result code as the native
 * code, SQLITE_CONSTRAINT (19) or an extended code of it (2067 UNIQUE,
 * 1555 PRIMARY KEY), hence the low byte.
 */
static int integrity_violation(const struct store *s, const struct error *err)
{
	return dialect_unique_violation(s->d, err->sqlstate, err->native);
}

/*
 * After an integrity violation: if another run published since this one
 * read the store's state (T_runs' last seq grew), replace the driver's
 * message with what happened, in words. The transaction is rolled back
 * first (PostgreSQL refuses any statement in a failed one). Returns 1
 * if it replaced the error, 0 if the violation has another cause.
 */
static int concurrent_publish(struct store *s, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct error e;
	struct sbuf job = SBUF_INIT(4096);
	uint64_t seq = 0;

	error_init(&e);
	if (s->in_tx) {
		conn_rollback(s->conn, &e);	/* disconnect rolls back too */
		s->in_tx = 0;
		error_clear(&e);
	}
	sbuf_reset(&s->sql);
	sbuf_addf(&s->sql, "SELECT %sseq, job FROM ", s->d->first_head);
	qname(s, &s->sql, "_runs");
	sbuf_addf(&s->sql, " ORDER BY seq DESC%s", s->d->first_tail);
	if (!s->sql.failed &&
	    cursor_open(s->conn, s->sql.buf, NULL, 0, 0, &cur, &e) == 0 &&
	    cursor_next(cur, &row, &e) == 1 && row->vals[0].type == VAL_INT &&
	    row->vals[0].i > 0) {
		size_t n;
		const char *j = text_of(&row->vals[1], &n);

		seq = (uint64_t)row->vals[0].i;
		if (j)
			sbuf_add(&job, j, n);
	}
	cursor_close(cur);
	error_release(&e);
	if (seq <= s->last_seq || job.failed) {
		sbuf_release(&job);
		return 0;
	}
	error_clear(err);
	if (strcmp(job.buf, s->job->name) == 0)
		error_set(err, ERR_STORE, "another run of this job published run "
			  "%llu while this run was working; nothing was "
			  "published by this run; run it again to reconcile on "
			  "top of run %llu", (unsigned long long)seq,
			  (unsigned long long)seq);
	else
		error_set(err, ERR_STORE, "a run of job '%s' published run %llu "
			  "to the same store table while this run was working; "
			  "nothing was published by this run; run it again to "
			  "reconcile on top of run %llu", job.buf,
			  (unsigned long long)seq, (unsigned long long)seq);
	sbuf_release(&job);
	return 1;
}

static int put_fail(struct store *s, struct error *err)
{
	if (err->code == ERR_SOURCE)
		err->code = ERR_STORE;
	/* two runs at once: the message says it all (no store context) */
	if (integrity_violation(s, err) && concurrent_publish(s, err))
		return -1;
	return error_context(err, "store '%s' table '%s'", s->job->store_dsn,
			     s->job->store_table);
}

/* The characters (UTF-8 sequence starts) of s[0..n); with max given:
 * the bytes of the first max characters. */
static size_t utf8_chars(const char *s, size_t n, size_t max)
{
	size_t k = 0, i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && k++ == max)
			return i;
	return max == SIZE_MAX ? k : n;
}

static int put_one(struct store *s, const struct store_rec *r,
		   const char *run_id, const char *rules_hash,
		   struct error *err)
{
	struct ledger_rec lr;
	char vhex[LEDGER_HEX];
	uint8_t vh[32];
	int kind = kind_of(r->kind, strlen(r->kind));
	size_t kn = strlen(r->key);
	struct cur *c;

	if (kind < 0)
		return error_set(err, ERR_INTERNAL, "record kind '%s'", r->kind);
	/* an indexed key column has a length on some DBMSs: say so rather
	 * than let a lenient server cut the key */
	if (s->d->key_max && utf8_chars(r->key, kn, SIZE_MAX) > s->d->key_max) {
		error_set(err, ERR_STORE, "key '%.*s...' (kind '%s') is %zu "
			  "characters long; a store on %s holds keys of at most "
			  "%zu characters", (int)utf8_chars(r->key, kn, 40),
			  r->key, r->kind, utf8_chars(r->key, kn, SIZE_MAX),
			  s->d->name, s->d->key_max);
		return put_fail(s, err);
	}
	lr.schema = &s->schema;
	memset(lr.f, 0, sizeof(lr.f));
	lr.f[LF_REC_KIND] = kind_names[kind];
	lr.f[LF_REC_KEY] = r->key;
	lr.f[LF_RUN_ID] = run_id;
	lr.f[LF_OUTCOME] = r->outcome;
	lr.f[LF_CODES] = r->codes;
	lr.f[LF_VERDICTS] = r->verdicts;
	for (size_t i = 0; i < s->schema.n; i++)
		lr.c[i] = r->cols[i];
	lr.f[LF_SOURCES] = r->sources ? r->sources : "{}";
	lr.f[LF_RULES_HASH] = rules_hash;
	if (value_hash(&lr, vhex, err) < 0)
		return put_fail(s, err);
	(void)from_hex(vhex, 64, vh);
	c = map_find(s, (unsigned)kind, r->key, kn, NULL);
	if (c && memcmp(c->vh, vh, 32) == 0) {
		c->seen = 1;
		return 0;
	}
	if (write_version(s, c, (unsigned)kind, &lr, vh, err) < 0)
		return put_fail(s, err);
	return 1;
}

int store_put(struct store *s, const struct store_rec *r, const char *run_id,
	      const char *rules_hash, struct error *err)
{
	int rc;

	phase_fpush(PH_STORE);
	phase_rows(PH_STORE, 1);
	rc = put_one(s, r, run_id, rules_hash, err);
	phase_fpop();
	return rc;
}

long long store_remove_unseen(struct store *s, const char *run_id,
			      const char *rules_hash, struct error *err)
{
	long long n = 0;
	struct sbuf key = SBUF_INIT(SBUF_CAP_DEFAULT);
	struct ledger_rec lr;
	char vhex[LEDGER_HEX];
	uint8_t vh[32];

	/* every tombstone has the same values: no columns (all NULL) */
	memset(&lr, 0, sizeof(lr));
	lr.schema = &s->schema;
	lr.f[LF_OUTCOME] = STORE_REMOVED;
	lr.f[LF_CODES] = STORE_REMOVED;
	lr.f[LF_VERDICTS] = "[]";
	lr.f[LF_SOURCES] = "{}";
	lr.f[LF_RULES_HASH] = rules_hash;
	lr.f[LF_RUN_ID] = run_id;
	if (ledger_value_hash(&lr, vhex, err) < 0)
		goto fail;
	(void)from_hex(vhex, 64, vh);
	/* s->ncur does not grow below: tombstones are for existing keys */
	for (size_t e = 0; e < s->ncur; e++) {
		struct cur *c = &s->cur[e];

		if (c->seen || c->removed)
			continue;
		if (stop_check(err, "writing the store") < 0)
			goto fail;
		sbuf_reset(&key);
		if (sbuf_add(&key, s->keys + c->key_off, c->key_len) < 0) {
			error_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
		lr.f[LF_REC_KIND] = kind_names[c->kind];
		lr.f[LF_REC_KEY] = key.buf;
		if (write_version(s, c, c->kind, &lr, vh, err) < 0)
			goto fail;
		c->removed = 1;
		n++;
	}
	sbuf_release(&key);
	return n;
fail:
	sbuf_release(&key);
	return put_fail(s, err);
}

int store_commit(struct store *s, const struct store_run *run,
		 struct error *err)
{
	char recs[24], excs[24], seq[24], run_hash[LEDGER_HEX];
	struct param v[LR__COUNT + 1];
	struct ledger_run lr;

	if (writer_flush(s->w, err) < 0)
		goto fail;
	s->seq = s->last_seq + 1;
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)s->seq);
	snprintf(recs, sizeof(recs), "%llu", (unsigned long long)s->written);
	snprintf(excs, sizeof(excs), "%llu", (unsigned long long)run->exceptions);
	/* The columns in ledger_run_field order, then digest: the run hash
	 * covers exactly the text bound into the row. */
	sbuf_reset(&s->sql);
	sbuf_addstr(&s->sql, "INSERT INTO ");
	qname(s, &s->sql, "_runs");
	sbuf_addstr(&s->sql, " (");
	for (int i = 0; i < LR__COUNT; i++)
		sbuf_addf(&s->sql, "%s, ", ledger_run_field_names[i]);
	sbuf_addstr(&s->sql, "digest) VALUES (");
	for (int i = 0; i < LR__COUNT; i++)
		sbuf_addstr(&s->sql, "?, ");
	sbuf_addstr(&s->sql, "?)");
	v[LR_RUN_ID] = param_text(run->run_id);
	v[LR_SEQ] = param_text(seq);
	v[LR_JOB] = param_text(run->job);
	v[LR_MODE] = param_text(run->mode ? run->mode : "full");
	v[LR_AS_OF] = param_text(run->as_of);
	v[LR_WINDOW_START] = param_text(run->window_start);
	v[LR_STARTED] = param_text(run->started);
	v[LR_FINISHED] = param_text(run->finished);
	v[LR_STATUS] = param_text(run->status);
	v[LR_RULES_HASH] = param_text(run->rules_hash);
	v[LR_RULES] = param_text(run->rules ? run->rules : "[]");
	v[LR_RECORDS] = param_text(recs);
	v[LR_EXCEPTIONS] = param_text(excs);
	v[LR_TOTALS] = param_text(run->totals);
	v[LR_OUTCOMES] = param_text(run->outcomes ? run->outcomes : "{}");
	v[LR_WATERMARKS] = param_text(run->watermarks ? run->watermarks : "{}");
	v[LR_SCHEMA_HASH] = param_text(s->schema_hex);
	v[LR_PREV_DIGEST] = param_text(s->prev_digest.buf);
	for (int i = 0; i < LR__COUNT; i++)
		lr.f[i] = v[i].s;
	if (ledger_run_hash(&lr, run_hash, err) < 0)
		goto fail;
	ledger_digest_set_run(s->digest, run_hash);
	ledger_digest_finish(s->digest, s->digest_hex);
	s->digest = NULL;
	if (!s->digest_hex[0]) {
		error_set(err, ERR_INTERNAL, "run digest: SHA-256 failed");
		goto fail;
	}
	v[LR__COUNT] = param_text(s->digest_hex);
	if (exec_sql(s, v, LR__COUNT + 1, err) < 0)
		goto fail;
	/* the last safe point (stop.h): past it the run is published */
	if (stop_check(err, "writing the store") < 0 ||
	    conn_commit(s->conn, err) < 0)
		goto fail;
	s->in_tx = 0;
	return 0;
fail:
	return put_fail(s, err);
}

uint64_t store_count(const struct store *s)
{
	return s->written;
}

uint64_t store_keys_loaded(const struct store *s)
{
	return s->loaded;
}

int store_reinstalled(const struct store *s)
{
	return s->reinstalled;
}

uint64_t store_seq(const struct store *s)
{
	return s->seq;
}

int store_last_full(const struct store *s, const char **run_id)
{
	if (!s->has_last_full)
		return 0;
	*run_id = s->last_full_id.buf;
	return 1;
}

const char *store_last_totals(const struct store *s)
{
	return s->last_seq ? s->last_totals.buf : NULL;
}

int store_last_full_totals(const struct store *s, const char *source,
			   struct ledger_source_totals *out, struct sbuf *why)
{
	if (!s->has_last_full)
		return 0;
	return ledger_totals_find(s->last_full_totals.buf, source, out, why);
}

uint64_t store_job_runs(const struct store *s, const char **last_id,
			const char **watermarks)
{
	*last_id = s->job_last_id.buf;
	*watermarks = s->job_last_wm.buf;
	return s->job_runs;
}

static int same(const struct sbuf *a, const char *b)
{
	return b && !a->failed && strcmp(a->buf, b) == 0;
}

int store_repeats_last(const struct store *s, const struct store_run *run,
		       struct store_prior *out)
{
	memset(out, 0, sizeof(*out));
	if (!s->job_runs || s->written || !s->job_last_seq ||
	    !same(&s->job_last[JL_MODE], run->mode ? run->mode : "full") ||
	    !same(&s->job_last[JL_AS_OF], run->as_of) ||
	    !same(&s->job_last[JL_RULES_HASH], run->rules_hash) ||
	    !same(&s->job_last[JL_RULES], run->rules ? run->rules : "[]") ||
	    !same(&s->job_last[JL_SCHEMA_HASH], s->schema_hex) ||
	    !same(&s->job_last_tot, run->totals) ||
	    !same(&s->job_last_out, run->outcomes ? run->outcomes : "{}") ||
	    !same(&s->job_last_wm, run->watermarks ? run->watermarks : "{}"))
		return 0;
	out->seq = s->job_last_seq;
	out->run_id = s->job_last_id.buf;
	out->started = s->job_last[JL_STARTED].buf;
	out->finished = s->job_last[JL_FINISHED].buf;
	return 1;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	writer_close(s->w);
	if (s->in_tx && s->conn) {
		struct error e;

		error_init(&e);
		conn_rollback(s->conn, &e);	/* best effort: disconnect
						 * rolls back too */
		error_release(&e);
	}
	conn_close(s->conn);
	ledger_digest_free(s->digest);
	mem_free(s->cur);
	mem_free(s->keys);
	mem_free(s->index);
	sbuf_release(&s->sql);
	sbuf_release(&s->prev_digest);
	sbuf_release(&s->last_full_id);
	sbuf_release(&s->last_full_totals);
	sbuf_release(&s->last_totals);
	sbuf_release(&s->job_last_id);
	sbuf_release(&s->job_last_wm);
	for (int f = 0; f < JL__COUNT; f++)
		sbuf_release(&s->job_last[f]);
	sbuf_release(&s->job_last_tot);
	sbuf_release(&s->job_last_out);
	sbuf_release(&s->version_txt);
	mem_free(s->cols);
	mem_free(s->vals);
	mem_free(s->table);
	mem_free(s);
}

struct conn *store_conn(struct store *s)
{
	return s->conn;
}

const struct ledger_schema *store_schema(const struct store *s)
{
	return &s->schema;
}
