/*
 * storeread.c - the store's readers: the SELECTs `recon verify`,
 * `recon digest` and `recon history` run on T, T_current and T_runs.
 *
 * Part of the store module (store.h): store.c creates and writes the
 * tables, this file reads them for the commands that check and show
 * them, so that no other code holds SQL of the store's tables. What the
 * readers do with the rows (recompute hashes, walk the chain) stays in
 * verify.c.
 *
 * Values that are not text are read cast to text (the dialect's cast):
 * a tampered value that is not a number (SQLite keeps what it is given)
 * is then a finding about that row, not a read error that stops the
 * check, and amounts and integers arrive exactly as the database prints
 * them (the ledger normalises amounts before hashing). Every cast gets
 * an alias of its own: PostgreSQL names CAST(version AS TEXT) "version",
 * and ORDER BY version would then sort the text ("10" before "2").
 */
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "dialect.h"
#include "ledger.h"
#include "../connectors/connector.h"
#include "banned.h"

static int nomem(struct error *err)
{
	return error_set(err, ERR_NOMEM, "out of memory");
}

/* The SELECT list of a version: the fixed fields in enum order, then the
 * declared columns (quoted: they may be keywords). */
static int add_select(const struct dialect *d, struct sbuf *sql,
		      const char *prefix, const struct ledger_schema *sch)
{
	struct sbuf e = SBUF_INIT(4096), a = SBUF_INIT(4096);

	for (int f = 0; f < LF__COUNT; f++) {
		const char *n = ledger_field_names[f];

		if (f)
			sbuf_addstr(sql, ", ");
		if (f == LF_VERSION) {
			sbuf_reset(&e);
			sbuf_reset(&a);
			sbuf_addf(&e, "%s%s", prefix, n);
			sbuf_addf(&a, "%s_text", n);
			dialect_cast_text(d, sql, e.buf, a.buf);
		} else {
			sbuf_addf(sql, "%s%s", prefix, n);
		}
	}
	for (size_t i = 0; i < sch->n; i++) {
		sbuf_reset(&e);
		sbuf_addstr(&e, prefix);
		dialect_quote(d, &e, sch->col[i].name);
		sbuf_addstr(sql, ", ");
		if (sch->col[i].type == LT_TEXT) {
			sbuf_addstr(sql, e.buf);
		} else {
			sbuf_reset(&a);
			sbuf_addf(&a, "%s_text", sch->col[i].name);
			dialect_cast_text(d, sql, e.buf, a.buf);
		}
	}
	if (e.failed || a.failed)
		sql->failed = SBUF_NOMEM;
	sbuf_release(&e);
	sbuf_release(&a);
	return sql->failed ? -1 : 0;
}

static int open_sql(struct conn *c, struct sbuf *sql, const struct param *p,
		    size_t np, struct cursor **cur, struct error *err)
{
	int rc;

	*cur = NULL;
	if (sql->failed) {
		sbuf_release(sql);
		return nomem(err);
	}
	rc = cursor_open(c, sql->buf, p, np, 0, cur, err);
	if (rc < 0)
		*cur = NULL;
	sbuf_release(sql);
	return rc < 0 ? -1 : 0;
}

int store_read_runs(struct conn *c, const char *table, struct cursor **cur,
		    struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct sbuf sql = SBUF_INIT(1 << 16);

	sbuf_addstr(&sql, "SELECT ");
	for (int f = 0; f < LR__COUNT; f++) {
		const char *n = ledger_run_field_names[f];

		if (f == LR_SEQ || f == LR_RECORDS || f == LR_EXCEPTIONS) {
			char alias[64];

			snprintf(alias, sizeof(alias), "%s_text", n);
			dialect_cast_text(d, &sql, n, alias);
			sbuf_addstr(&sql, ", ");
		} else {
			sbuf_addf(&sql, "%s, ", n);
		}
	}
	sbuf_addstr(&sql, "digest FROM ");
	dialect_store_ident(d, &sql, table, "_runs");
	sbuf_addstr(&sql, " ORDER BY seq");
	return open_sql(c, &sql, NULL, 0, cur, err);
}

int store_read_versions(struct conn *c, const char *table,
			const struct ledger_schema *sch, int current,
			struct cursor **cur, struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct sbuf sql = SBUF_INIT(1 << 16);

	sbuf_addstr(&sql, "SELECT ");
	add_select(d, &sql, "", sch);
	sbuf_addstr(&sql, ", value_hash, content_hash FROM ");
	dialect_store_ident(d, &sql, table, current ? "_current" : NULL);
	/* byte order of the keys, so that the two streams (sorted the same
	 * way) merge by strcmp */
	sbuf_addf(&sql, " ORDER BY rec_kind%s, rec_key%s%s", d->collate_binary,
		  d->collate_binary, current ? "" : ", version");
	return open_sql(c, &sql, NULL, 0, cur, err);
}

int store_find_records(struct conn *c, const char *table, const char *id,
		       const char *kind, struct cursor **cur,
		       struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct sbuf sql = SBUF_INIT(1 << 16);
	struct sbuf pat = SBUF_INIT((size_t)1 << 20);
	struct param pr[3];
	int rc;

	/* LIKE '%"ID"%' over the JSON text of sources: the id as the
	 * engine writes a JSON string (record.c), with LIKE's own
	 * characters escaped by '!' ('[' too: SQL Server's set syntax).
	 * A prefilter only: SQLite and MariaDB compare LIKE ignoring case,
	 * and the id may occur elsewhere in the text, so the caller checks
	 * each row exactly. */
	sbuf_addstr(&pat, "%\"");
	for (const char *s = id; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			sbuf_addf(&pat, "\\%c", ch);
		else if (ch < 0x20)
			sbuf_addf(&pat, "\\u%04x", ch);
		else if (ch == '%' || ch == '_' || ch == '!' || ch == '[')
			sbuf_addf(&pat, "!%c", ch);
		else
			sbuf_addch(&pat, (char)ch);
	}
	sbuf_addstr(&pat, "\"%");
	if (pat.failed) {
		sbuf_release(&pat);
		return nomem(err);
	}
	memset(pr, 0, sizeof(pr));
	pr[0].s = id;
	pr[0].len = strlen(id);
	pr[1].s = pat.buf;
	pr[1].len = pat.len;
	if (kind) {
		pr[2].s = kind;
		pr[2].len = strlen(kind);
	}
	sbuf_addstr(&sql, "SELECT rec_kind, rec_key, sources FROM ");
	dialect_store_ident(d, &sql, table, NULL);
	sbuf_addf(&sql, " WHERE (rec_key = ? OR sources LIKE ? ESCAPE '!')%s "
		  "ORDER BY rec_kind%s, rec_key%s, version",
		  kind ? " AND rec_kind = ?" : "", d->collate_binary,
		  d->collate_binary);
	rc = open_sql(c, &sql, pr, kind ? 3 : 2, cur, err);
	sbuf_release(&pat);
	return rc;
}

int store_read_history(struct conn *c, const char *table,
		       const struct ledger_schema *sch, const char *key,
		       const char *kind, struct cursor **cur, struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct sbuf sql = SBUF_INIT(1 << 16);
	struct param pr[2];

	memset(pr, 0, sizeof(pr));
	pr[0].s = key;
	pr[0].len = strlen(key);
	if (kind) {
		pr[1].s = kind;
		pr[1].len = strlen(kind);
	}
	sbuf_addstr(&sql, "SELECT ");
	add_select(d, &sql, "t.", sch);
	sbuf_addstr(&sql, ", ");
	dialect_cast_text(d, &sql, "r.seq", NULL);
	sbuf_addstr(&sql, ", ");
	dialect_cast_text(d, &sql, "r.as_of", NULL);
	sbuf_addstr(&sql, " FROM ");
	dialect_store_ident(d, &sql, table, NULL);
	sbuf_addstr(&sql, " t LEFT JOIN ");
	dialect_store_ident(d, &sql, table, "_runs");
	sbuf_addf(&sql, " r ON r.run_id = t.run_id WHERE t.rec_key = ?%s "
		  "ORDER BY t.rec_kind, t.version",
		  kind ? " AND t.rec_kind = ?" : "");
	return open_sql(c, &sql, pr, kind ? 2 : 1, cur, err);
}

int store_read_life_runs(struct conn *c, const char *table, const char *job,
			 struct cursor **cur, struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct sbuf sql = SBUF_INIT(1 << 12);
	struct param pr[1];

	memset(pr, 0, sizeof(pr));
	pr[0].s = job;
	pr[0].len = strlen(job);
	sbuf_addstr(&sql, "SELECT ");
	dialect_cast_text(d, &sql, "seq", "seq_text");
	sbuf_addstr(&sql, ", run_id, ");
	dialect_cast_text(d, &sql, "as_of", "as_of_text");
	sbuf_addstr(&sql, ", ");
	dialect_cast_text(d, &sql, "exceptions", "exceptions_text");
	sbuf_addstr(&sql, " FROM ");
	dialect_store_ident(d, &sql, table, "_runs");
	sbuf_addstr(&sql, " WHERE job = ? ORDER BY seq");
	return open_sql(c, &sql, pr, 1, cur, err);
}

int store_read_life(struct conn *c, const char *table,
		    const struct ledger_schema *sch, const char *job,
		    uint64_t max_seq, struct cursor **cur, struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct sbuf sql = SBUF_INIT(1 << 16), e = SBUF_INIT(256);
	struct sbuf a = SBUF_INIT(256);
	struct param pr[1];

	memset(pr, 0, sizeof(pr));
	pr[0].s = job;
	pr[0].len = strlen(job);
	sbuf_addstr(&sql, "SELECT t.rec_kind, t.rec_key, ");
	dialect_cast_text(d, &sql, "t.version", "version_text");
	sbuf_addstr(&sql, ", ");
	dialect_cast_text(d, &sql, "r.seq", "seq_text");
	sbuf_addstr(&sql, ", ");
	dialect_cast_text(d, &sql, "r.as_of", "as_of_text");
	sbuf_addstr(&sql, ", t.run_id, t.outcome, t.codes, t.verdicts");
	for (size_t i = 0; i < sch->n; i++) {
		sbuf_reset(&e);
		sbuf_addstr(&e, "t.");
		dialect_quote(d, &e, sch->col[i].name);
		sbuf_reset(&a);
		sbuf_addf(&a, "c%zu_text", i);
		sbuf_addstr(&sql, ", ");
		dialect_cast_text(d, &sql, e.buf, a.buf);
	}
	sbuf_addstr(&sql, " FROM ");
	dialect_store_ident(d, &sql, table, NULL);
	sbuf_addstr(&sql, " t JOIN ");
	dialect_store_ident(d, &sql, table, "_runs");
	/* max_seq is the engine's own number, not input: inlined, so no
	 * driver has to guess a text parameter's type against BIGINT */
	sbuf_addf(&sql, " r ON r.run_id = t.run_id WHERE r.job = ? AND "
		  "r.seq <= %llu ORDER BY t.rec_kind, t.rec_key, t.version",
		  (unsigned long long)max_seq);
	if (e.failed || a.failed)
		sql.failed = SBUF_NOMEM;
	sbuf_release(&e);
	sbuf_release(&a);
	return open_sql(c, &sql, pr, 1, cur, err);
}
