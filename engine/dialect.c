/*
 * dialect.c - the per-DBMS tables (see dialect.h).
 *
 * Sources of the figures: SQLite's SQLITE_MAX_VARIABLE_NUMBER default
 * (32766 since 3.32); PostgreSQL's wire protocol (a 16-bit parameter
 * count: 65535) and NAMEDATALEN - 1 (63); MariaDB's prepared-statement
 * placeholder limit (65535) and identifier length (64); SQL Server's
 * 2100 parameters per request, 1000 rows per table value constructor and
 * 128-character identifiers. The index key budgets: InnoDB's 3072 bytes
 * (utf8mb4: 4 bytes a character, so rec_kind VARCHAR(16) + rec_key
 * VARCHAR(700) + BIGINT = 2872), SQL Server's 1700 bytes for a
 * nonclustered index (NVARCHAR: 2 bytes a character, 16 + 800 + 8 bytes
 * = 1640).
 */
#include <stdint.h>
#include <string.h>

#include "dialect.h"
#include "banned.h"

static const struct dialect dialects[DIALECT__COUNT] = {
	[DIALECT_ANSI] = {
		.id = DIALECT_ANSI,
		.name = "ANSI SQL (unknown DBMS)",
		.store = 0,
		.qopen = '"', .qclose = '"',
		.ident_max = 128,
		.params_max = 2100,
		.rows_max = 1000,
		.ddl_transactional = 0,
		.types = { "VARCHAR(4000)", "DECIMAL(24,4)", "BIGINT", "DATE",
			   "TIMESTAMP(0)", "VARCHAR(16)", "VARCHAR(700)",
			   "VARCHAR(255)" },
		.table_options = "",
		.text_cast = "VARCHAR(4000)",
		.collate_binary = "",
		.first_head = "", .first_tail = " FETCH FIRST 1 ROWS ONLY",
		.sql_table_exists =
			"SELECT COUNT(*) FROM information_schema.tables "
			"WHERE table_name = ? AND table_type = 'BASE TABLE'",
		.sql_columns =
			"SELECT column_name FROM information_schema.columns "
			"WHERE table_name = ? ORDER BY ordinal_position",
		.sql_relation =
			"SELECT lower(table_type), NULL FROM "
			"information_schema.tables WHERE table_name = ?",
		.viewcheck = VIEWCHECK_COLUMNS,
		.snapshot_tx = 1,
	},
	[DIALECT_SQLITE] = {
		.id = DIALECT_SQLITE,
		.name = "SQLite",
		.store = 1,
		.qopen = '"', .qclose = '"',
		.ident_max = 0,
		.params_max = 32766,
		.rows_max = 0,
		.ddl_transactional = 1,
		/* exact text for money, dates and times (no REAL) */
		.types = { "TEXT", "TEXT", "BIGINT", "TEXT", "TEXT", "TEXT",
			   "TEXT", "TEXT" },
		.table_options = "",
		.text_cast = "TEXT",
		.collate_binary = " COLLATE BINARY",
		.first_head = "", .first_tail = " LIMIT 1",
		.sql_table_exists =
			"SELECT COUNT(*) FROM sqlite_master "
			"WHERE type = 'table' AND lower(name) = lower(?)",
		.sql_columns = "SELECT name FROM pragma_table_info(?)",
		.sql_relation = "SELECT type, sql FROM sqlite_master "
				"WHERE lower(name) = lower(?)",
		.viewcheck = VIEWCHECK_TEXT,
		.ro_on = "PRAGMA query_only = 1",
		.ro_off = "PRAGMA query_only = 0",
		.begin_sql = "BEGIN IMMEDIATE",
		/* sqliteodbc buffers whole results inside a transaction;
		 * verify reads T_runs while T's statement is open instead
		 * (verify.c, open_snapshot) */
		.snapshot_tx = 0,
		.real15 = 1,
		.param_rewrite = 1,
		.unique_native = 19,
	},
	[DIALECT_PG] = {
		.id = DIALECT_PG,
		.name = "PostgreSQL",
		.store = 1,
		.qopen = '"', .qclose = '"',
		.ident_max = 63,
		.params_max = 65535,
		.rows_max = 0,
		.ddl_transactional = 1,
		.types = { "TEXT", "NUMERIC(24,4)", "BIGINT", "DATE",
			   "TIMESTAMP(0)", "TEXT", "TEXT", "TEXT" },
		.table_options = "",
		.text_cast = "TEXT",
		.collate_binary = " COLLATE \"C\"",
		.first_head = "", .first_tail = " LIMIT 1",
		.sql_table_exists =
			"SELECT COUNT(*) FROM pg_catalog.pg_tables "
			"WHERE schemaname = current_schema() AND tablename = ?",
		.sql_columns =
			"SELECT attname FROM pg_catalog.pg_attribute "
			"WHERE attrelid = to_regclass(?) AND attnum > 0 "
			"AND NOT attisdropped ORDER BY attnum",
		.sql_relation =
			"SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'r' "
			"THEN 'table' WHEN 'm' THEN 'materialized view' ELSE "
			"CAST(c.relkind AS TEXT) END, CASE c.relkind WHEN 'v' "
			"THEN pg_catalog.pg_get_viewdef(c.oid) END "
			"FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(?)",
		.temp_prefix = "pg_temp.",
		.viewcheck = VIEWCHECK_DEPARSE,
		.ro_on = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
		.snapshot_tx = 1,
		.snapshot = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, "
			    "READ ONLY",
	},
	[DIALECT_MARIADB] = {
		.id = DIALECT_MARIADB,
		.name = "MariaDB/MySQL",
		.store = 1,
		/* backticks: double quotes are identifiers only under
		 * ANSI_QUOTES, which a store must not depend on */
		.qopen = '`', .qclose = '`',
		.ident_max = 64,
		.params_max = 65535,
		.rows_max = 0,
		.key_max = 700,
		/* DDL commits implicitly (store.c installs a MariaDB store
		 * before the run's transaction) */
		.ddl_transactional = 0,
		/* TEXT holds 64 KiB: LONGTEXT for JSON and values; indexed
		 * text needs a length; DATETIME, not TIMESTAMP (which
		 * converts to the session's time zone) */
		.types = { "LONGTEXT", "DECIMAL(24,4)", "BIGINT", "DATE",
			   "DATETIME", "VARCHAR(16)", "VARCHAR(700)",
			   "VARCHAR(255)" },
		/* utf8mb4 for every character; a binary NO PAD collation so
		 * that comparisons (the unique index) are exact and trailing
		 * spaces count */
		.table_options = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
				 "COLLATE=utf8mb4_nopad_bin",
		.text_cast = "CHAR",
		.collate_binary = " COLLATE utf8mb4_nopad_bin",
		.first_head = "", .first_tail = " LIMIT 1",
		.sql_table_exists =
			"SELECT COUNT(*) FROM information_schema.tables "
			"WHERE table_schema = DATABASE() AND table_name = ? "
			"AND table_type = 'BASE TABLE'",
		.sql_columns =
			"SELECT column_name FROM information_schema.columns "
			"WHERE table_schema = DATABASE() AND table_name = ? "
			"ORDER BY ordinal_position",
		.sql_relation =
			"SELECT CASE table_type WHEN 'VIEW' THEN 'view' "
			"WHEN 'BASE TABLE' THEN 'table' ELSE lower(table_type) "
			"END, NULL FROM information_schema.tables "
			"WHERE table_schema = DATABASE() AND table_name = ?",
		.viewcheck = VIEWCHECK_COLUMNS,
		/* strict: a value that does not fit is an error, never
		 * truncated or zeroed; the whole mode is set so that a
		 * DSN's InitStmt cannot change what the store does */
		.store_session = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,"
				 "NO_ZERO_IN_DATE,NO_ZERO_DATE,"
				 "ERROR_FOR_DIVISION_BY_ZERO,"
				 "NO_ENGINE_SUBSTITUTION'",
		.ro_on = "SET SESSION TRANSACTION READ ONLY",
		.no_positioned_getdata = 1,
		.snapshot_tx = 1,
		.snapshot = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, "
			    "READ ONLY",
	},
	[DIALECT_MSSQL] = {
		.id = DIALECT_MSSQL,
		.name = "Microsoft SQL Server",
		.store = 1,
		.qopen = '[', .qclose = ']',
		.ident_max = 128,
		.params_max = 2100,
		.rows_max = 1000,
		.key_max = 800,
		.ddl_transactional = 1,
		.types = { "NVARCHAR(MAX)", "DECIMAL(24,4)", "BIGINT", "DATE",
			   "DATETIME2(0)",
			   "NVARCHAR(16) COLLATE Latin1_General_100_BIN2",
			   "NVARCHAR(800) COLLATE Latin1_General_100_BIN2",
			   "NVARCHAR(255) COLLATE Latin1_General_100_BIN2" },
		.table_options = "",
		.text_cast = "NVARCHAR(MAX)",
		.collate_binary = " COLLATE Latin1_General_100_BIN2",
		.first_head = "TOP 1 ", .first_tail = "",
		.sql_table_exists =
			"SELECT COUNT(*) FROM sys.tables "
			"WHERE schema_id = SCHEMA_ID() AND name = ?",
		.sql_columns =
			"SELECT c.name FROM sys.columns c JOIN sys.objects o "
			"ON o.object_id = c.object_id WHERE o.schema_id = "
			"SCHEMA_ID() AND o.name = ? ORDER BY c.column_id",
		.sql_relation =
			"SELECT CASE type WHEN 'V' THEN 'view' WHEN 'U' THEN "
			"'table' ELSE lower(type_desc) END, "
			"OBJECT_DEFINITION(object_id) FROM sys.objects "
			"WHERE schema_id = SCHEMA_ID() AND name = ?",
		.viewcheck = VIEWCHECK_TEXT,
		.snapshot_tx = 1,
		/* needs ALLOW_SNAPSHOT_ISOLATION ON (docs/STORE.md) */
		.snapshot = "SET TRANSACTION ISOLATION LEVEL SNAPSHOT",
	},
};

const struct dialect *dialect_by_id(enum dialect_id id)
{
	return &dialects[(unsigned)id < DIALECT__COUNT ? id : DIALECT_ANSI];
}

const struct dialect *dialect_of(const char *dbms)
{
	if (!dbms)
		return &dialects[DIALECT_ANSI];
	if (strcmp(dbms, "SQLite") == 0)
		return &dialects[DIALECT_SQLITE];
	if (strcmp(dbms, "PostgreSQL") == 0)
		return &dialects[DIALECT_PG];
	if (strcmp(dbms, "MariaDB") == 0 || strcmp(dbms, "MySQL") == 0)
		return &dialects[DIALECT_MARIADB];
	if (strcmp(dbms, "Microsoft SQL Server") == 0)
		return &dialects[DIALECT_MSSQL];
	return &dialects[DIALECT_ANSI];
}

int dialect_store_ok(const struct dialect *d, const char *dbms,
		     struct error *err)
{
	if (d->store)
		return 0;
	return error_set(err, ERR_STORE, "the DBMS '%s' cannot hold a recon "
			 "store: supported are SQLite, PostgreSQL, MariaDB or "
			 "MySQL, and Microsoft SQL Server (docs/STORE.md)",
			 dbms ? dbms : "");
}

size_t dialect_table_max(const struct dialect *d)
{
	return d->ident_max ? d->ident_max - DIALECT_SUFFIX_MAX : 0;
}

size_t dialect_table_max_portable(void)
{
	size_t m = 0;

	for (int i = 0; i < DIALECT__COUNT; i++) {
		size_t t = dialect_table_max(&dialects[i]);

		if (dialects[i].store && t && (!m || t < m))
			m = t;
	}
	return m;
}

int dialect_quote(const struct dialect *d, struct sbuf *sb,
		  const char *ident)
{
	sbuf_addch(sb, d->qopen);
	for (; *ident; ident++) {
		if (*ident == d->qclose)
			sbuf_addch(sb, d->qclose);
		sbuf_addch(sb, *ident);
	}
	return sbuf_addch(sb, d->qclose);
}

int dialect_store_name(struct sbuf *sb, const char *table, const char *suffix)
{
	for (; *table; table++)
		sbuf_addch(sb, *table >= 'A' && *table <= 'Z' ? *table + 32
							      : *table);
	return sbuf_addstr(sb, suffix ? suffix : "");
}

int dialect_store_ident(const struct dialect *d, struct sbuf *sb,
			const char *table, const char *suffix)
{
	struct sbuf n = SBUF_INIT(4096);
	int rc;

	dialect_store_name(&n, table, suffix);
	if (n.failed) {
		sbuf_release(&n);
		sb->failed = SBUF_NOMEM;
		return -1;
	}
	rc = dialect_quote(d, sb, n.buf);
	sbuf_release(&n);
	return rc;
}

int dialect_cast_text(const struct dialect *d, struct sbuf *sb,
		      const char *expr, const char *alias)
{
	sbuf_addf(sb, "CAST(%s AS %s)", expr, d->text_cast);
	if (!alias)
		return sb->failed ? -1 : 0;
	sbuf_addstr(sb, " AS ");
	return dialect_quote(d, sb, alias);
}

/* The tables the triggers guard, by suffix: the three a store is
 * created with, then T_notes, created with the first note (notes.h),
 * and T_report, created with the first run of this version that keeps
 * its report (snapshot.h). */
static const char *const guarded[5] = { "", "_runs", "_schema", "_notes",
					"_report" };

/* "TABLE+SUFFIX+what" quoted. */
static void add_name(const struct dialect *d, struct sbuf *sb,
		     const char *t, const char *suffix, const char *what)
{
	struct sbuf s = SBUF_INIT(256);

	sbuf_addstr(&s, suffix);
	sbuf_addstr(&s, what);
	if (s.failed)
		sb->failed = SBUF_NOMEM;
	else
		dialect_store_ident(d, sb, t, s.buf);
	sbuf_release(&s);
}

/* Triggers per guarded table on d (the PostgreSQL function apart). */
static size_t per_table(const struct dialect *d)
{
	switch (d->id) {
	case DIALECT_SQLITE:
	case DIALECT_PG:
	case DIALECT_MARIADB:
		return 2;
	case DIALECT_MSSQL:
		return 1;
	default:
		return 0;
	}
}

/* Trigger k (0 .. per_table - 1) of table T + sfx into out; lt is T in
 * lower case (for the messages). */
static void guard_sql(const struct dialect *d, const char *t, const char *lt,
		      const char *sfx, int k, struct sbuf *out)
{
	switch (d->id) {
	case DIALECT_SQLITE:
		/* per table: no update, no delete */
		sbuf_addstr(out, "CREATE TRIGGER ");
		add_name(d, out, t, sfx, k ? "_no_delete" : "_no_update");
		sbuf_addf(out, " BEFORE %s ON ", k ? "DELETE" : "UPDATE");
		dialect_store_ident(d, out, t, sfx);
		sbuf_addf(out, " BEGIN SELECT RAISE(ABORT, 'recon: %s%s is "
			  "insert-only'); END", lt, sfx);
		break;
	case DIALECT_PG:
		/* per table: rows, and TRUNCATE (the function T_insert_only
		 * is statement 0 of dialect_insert_only_sql) */
		sbuf_addstr(out, "CREATE TRIGGER ");
		add_name(d, out, t, sfx, k ? "_no_truncate" : "_insert_only");
		sbuf_addstr(out, k ? " BEFORE TRUNCATE ON "
				   : " BEFORE UPDATE OR DELETE ON ");
		dialect_store_ident(d, out, t, sfx);
		sbuf_addf(out, " FOR EACH %s EXECUTE FUNCTION ",
			  k ? "STATEMENT" : "ROW");
		add_name(d, out, t, "", "_insert_only");
		sbuf_addstr(out, "()");
		break;
	case DIALECT_MARIADB:
		/* per table: no update, no delete (no TRUNCATE triggers:
		 * TRUNCATE needs the DROP privilege) */
		sbuf_addstr(out, "CREATE TRIGGER ");
		add_name(d, out, t, sfx, k ? "_no_delete" : "_no_update");
		sbuf_addf(out, " BEFORE %s ON ", k ? "DELETE" : "UPDATE");
		dialect_store_ident(d, out, t, sfx);
		sbuf_addf(out, " FOR EACH ROW SIGNAL SQLSTATE '45000' SET "
			  "MESSAGE_TEXT = 'recon: %s%s is insert-only'",
			  lt, sfx);
		break;
	case DIALECT_MSSQL:
		/* per table, one INSTEAD OF trigger for both (TRUNCATE
		 * fires none: it needs ALTER on the table) */
		sbuf_addstr(out, "CREATE TRIGGER ");
		add_name(d, out, t, sfx, "_insert_only");
		sbuf_addstr(out, " ON ");
		dialect_store_ident(d, out, t, sfx);
		sbuf_addf(out, " INSTEAD OF UPDATE, DELETE AS BEGIN THROW "
			  "50000, 'recon: %s%s is insert-only', 1; END",
			  lt, sfx);
		break;
	default:
		break;
	}
}

/* Statement i of the triggers of guarded tables [first, last). */
static int guards_sql(const struct dialect *d, const char *t, size_t first,
		      size_t last, int with_function, size_t i,
		      struct sbuf *out)
{
	struct sbuf lt = SBUF_INIT(256);
	size_t per = per_table(d);

	sbuf_reset(out);
	dialect_store_name(&lt, t, NULL);
	if (lt.failed) {
		sbuf_release(&lt);
		return -1;
	}
	if (with_function && d->id == DIALECT_PG) {
		/* one function for every table's triggers */
		if (i == 0) {
			sbuf_addstr(out, "CREATE OR REPLACE FUNCTION ");
			add_name(d, out, t, "", "_insert_only");
			sbuf_addstr(out, "() RETURNS trigger LANGUAGE plpgsql AS "
				    "'BEGIN RAISE EXCEPTION ''recon: % is "
				    "insert-only'', TG_TABLE_NAME USING ERRCODE "
				    "= ''42501''; END'");
			i = SIZE_MAX;
		} else {
			i--;
		}
	}
	if (i != SIZE_MAX && per && i < per * (last - first))
		guard_sql(d, t, lt.buf, guarded[first + i / per],
			  (int)(i % per), out);
	sbuf_release(&lt);
	if (out->failed)
		return -1;
	return out->len > 0;
}

int dialect_insert_only_sql(const struct dialect *d, const char *t, size_t i,
			    struct sbuf *out)
{
	return guards_sql(d, t, 0, 3, 1, i, out);
}

int dialect_notes_insert_only_sql(const struct dialect *d, const char *t,
				  size_t i, struct sbuf *out)
{
	/* PostgreSQL: the store's function T_insert_only() is there since
	 * its first run; replacing it would need its owner */
	return guards_sql(d, t, 3, 4, 0, i, out);
}

int dialect_report_insert_only_sql(const struct dialect *d, const char *t,
				   size_t i, struct sbuf *out)
{
	return guards_sql(d, t, 4, 5, 0, i, out);
}

int dialect_unique_violation(const struct dialect *d, const char *sqlstate,
			     long native)
{
	if (sqlstate[0] == '2' && sqlstate[1] == '3')
		return 1;
	return d->unique_native && (native & 0xff) == d->unique_native;
}

void dialect_column(const struct dialect *d, struct sbuf *sql,
		    const char *name, enum dialect_type t, const char *tail)
{
	dialect_quote(d, sql, name);
	sbuf_addf(sql, " %s%s", d->types[t], tail);
}
