/*
 * test_dialect.c - the SQL each dialect generates (engine/dialect.c and
 * store.c's store_ddl), asserted exactly: the dialect chosen from
 * SQL_DBMS_NAME, identifier quoting (also of a name holding the quote
 * character), the store's tables, index, view and insert-only triggers,
 * the catalog queries, casts, batch limits of the writer, the table name
 * limits, and the refusal of an unknown DBMS as a store. SQL Server runs
 * nowhere here: these strings are what its support is tested on.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/odbc_int.h"
#include "connectors/connector.h"
#include "engine/buf.h"
#include "engine/dialect.h"
#include "engine/job.h"
#include "engine/ledger.h"
#include "engine/store.h"

Suite *suite_dialect(void);

#define D(id) dialect_by_id(DIALECT_##id)

/* Statement i of the store's DDL for table "Rec" with a text column
 * named like a keyword and a money column. */
static const char *ddl(const struct dialect *d, size_t i, struct sbuf *sb)
{
	struct ledger_schema sch;

	memset(&sch, 0, sizeof(sch));
	sch.n = 2;
	sch.col[0].name = "order";
	sch.col[0].type = LT_TEXT;
	sch.col[0].value = "order.key";
	sch.col[1].name = "amount";
	sch.col[1].type = LT_MONEY;
	sch.col[1].value = "order.amount";
	if (store_ddl(d, "Rec", &sch, i, sb) != 1)
		return NULL;
	return sb->buf;
}

/* How many statements the DDL has. */
static size_t ddl_count(const struct dialect *d)
{
	struct sbuf sb = SBUF_INIT(1 << 20);
	size_t n = 0;

	while (ddl(d, n, &sb))
		n++;
	sbuf_release(&sb);
	return n;
}

START_TEST(chosen_by_dbms_name)
{
	ck_assert_int_eq(dialect_of("SQLite")->id, DIALECT_SQLITE);
	ck_assert_int_eq(dialect_of("PostgreSQL")->id, DIALECT_PG);
	ck_assert_int_eq(dialect_of("MariaDB")->id, DIALECT_MARIADB);
	ck_assert_int_eq(dialect_of("MySQL")->id, DIALECT_MARIADB);
	ck_assert_int_eq(dialect_of("Microsoft SQL Server")->id, DIALECT_MSSQL);
	ck_assert_int_eq(dialect_of("Oracle")->id, DIALECT_ANSI);
	ck_assert_int_eq(dialect_of("sqlite")->id, DIALECT_ANSI);
	ck_assert_int_eq(dialect_of("")->id, DIALECT_ANSI);
	ck_assert_int_eq(dialect_of(NULL)->id, DIALECT_ANSI);
	for (int i = 0; i < DIALECT__COUNT; i++)
		ck_assert_int_eq(dialect_by_id((enum dialect_id)i)->id, i);
}
END_TEST

START_TEST(quoting)
{
	struct sbuf sb = SBUF_INIT(4096);
	static const char *const want[DIALECT__COUNT][2] = {
		[DIALECT_ANSI] = { "\"order\"", "\"a\"\"b`c]d\"" },
		[DIALECT_SQLITE] = { "\"order\"", "\"a\"\"b`c]d\"" },
		[DIALECT_PG] = { "\"order\"", "\"a\"\"b`c]d\"" },
		[DIALECT_MARIADB] = { "`order`", "`a\"b``c]d`" },
		[DIALECT_MSSQL] = { "[order]", "[a\"b`c]]d]" },
	};

	for (int i = 0; i < DIALECT__COUNT; i++) {
		const struct dialect *d = dialect_by_id((enum dialect_id)i);

		sbuf_reset(&sb);
		ck_assert_int_eq(dialect_quote(d, &sb, "order"), 0);
		ck_assert_str_eq(sb.buf, want[i][0]);
		sbuf_reset(&sb);
		ck_assert_int_eq(dialect_quote(d, &sb, "a\"b`c]d"), 0);
		ck_assert_str_eq(sb.buf, want[i][1]);
	}
	/* store names are the job's in lower case */
	sbuf_reset(&sb);
	dialect_store_ident(D(MARIADB), &sb, "Recon_Orders", "_runs");
	ck_assert_str_eq(sb.buf, "`recon_orders_runs`");
	sbuf_reset(&sb);
	dialect_store_name(&sb, "Recon_Orders", "_current");
	ck_assert_str_eq(sb.buf, "recon_orders_current");
	sbuf_reset(&sb);
	dialect_cast_text(D(MARIADB), &sb, "t.version", "version_text");
	ck_assert_str_eq(sb.buf, "CAST(t.version AS CHAR) AS `version_text`");
	sbuf_reset(&sb);
	dialect_cast_text(D(MSSQL), &sb, "seq", NULL);
	ck_assert_str_eq(sb.buf, "CAST(seq AS NVARCHAR(MAX))");
	sbuf_reset(&sb);
	dialect_cast_text(D(PG), &sb, "seq", "seq_text");
	ck_assert_str_eq(sb.buf, "CAST(seq AS TEXT) AS \"seq_text\"");
	sbuf_release(&sb);
}
END_TEST

START_TEST(sqlite_ddl)
{
	const struct dialect *d = D(SQLITE);
	struct sbuf sb = SBUF_INIT(1 << 20);

	ck_assert_str_eq(ddl(d, 0, &sb), "CREATE TABLE \"rec\" (\"rec_kind\" "
		"TEXT NOT NULL, \"rec_key\" TEXT NOT NULL, \"version\" BIGINT "
		"NOT NULL, \"run_id\" TEXT NOT NULL, \"outcome\" TEXT NOT NULL, "
		"\"codes\" TEXT NOT NULL, \"verdicts\" TEXT NOT NULL, \"order\" "
		"TEXT, \"amount\" TEXT, \"sources\" TEXT NOT NULL, "
		"\"rules_hash\" TEXT NOT NULL, \"prev_hash\" TEXT, "
		"\"value_hash\" TEXT NOT NULL, \"content_hash\" TEXT NOT NULL)");
	ck_assert_str_eq(ddl(d, 1, &sb), "CREATE UNIQUE INDEX \"rec_version\" "
		"ON \"rec\" (rec_kind, rec_key, version)");
	ck_assert_str_eq(ddl(d, 2, &sb), "CREATE VIEW \"rec_current\" AS "
		"SELECT v.* FROM \"rec\" v WHERE NOT EXISTS (SELECT 1 FROM "
		"\"rec\" w WHERE w.rec_kind = v.rec_kind AND w.rec_key = "
		"v.rec_key AND w.version > v.version)");
	ck_assert_str_eq(ddl(d, 4, &sb), "CREATE TABLE \"rec_schema\" "
		"(\"format\" TEXT NOT NULL, \"position\" BIGINT NOT NULL UNIQUE, "
		"\"name\" TEXT NOT NULL, \"type\" TEXT NOT NULL, \"value\" TEXT "
		"NOT NULL)");
	ck_assert_str_eq(ddl(d, 5, &sb), "CREATE TRIGGER \"rec_no_update\" "
		"BEFORE UPDATE ON \"rec\" BEGIN SELECT RAISE(ABORT, 'recon: rec "
		"is insert-only'); END");
	ck_assert_str_eq(ddl(d, 10, &sb), "CREATE TRIGGER "
		"\"rec_schema_no_delete\" BEFORE DELETE ON \"rec_schema\" BEGIN "
		"SELECT RAISE(ABORT, 'recon: rec_schema is insert-only'); END");
	ck_assert_uint_eq(ddl_count(d), 11);
	sbuf_release(&sb);
}
END_TEST

START_TEST(pg_ddl)
{
	const struct dialect *d = D(PG);
	struct sbuf sb = SBUF_INIT(1 << 20);

	ck_assert_str_eq(ddl(d, 0, &sb), "CREATE TABLE \"rec\" (\"rec_kind\" "
		"TEXT NOT NULL, \"rec_key\" TEXT NOT NULL, \"version\" BIGINT "
		"NOT NULL, \"run_id\" TEXT NOT NULL, \"outcome\" TEXT NOT NULL, "
		"\"codes\" TEXT NOT NULL, \"verdicts\" TEXT NOT NULL, \"order\" "
		"TEXT, \"amount\" NUMERIC(24,4), \"sources\" TEXT NOT NULL, "
		"\"rules_hash\" TEXT NOT NULL, \"prev_hash\" TEXT, "
		"\"value_hash\" TEXT NOT NULL, \"content_hash\" TEXT NOT NULL)");
	ck_assert_str_eq(ddl(d, 3, &sb), "CREATE TABLE \"rec_runs\" (\"run_id\" "
		"TEXT NOT NULL PRIMARY KEY, \"seq\" BIGINT NOT NULL UNIQUE, "
		"\"job\" TEXT NOT NULL, \"mode\" TEXT NOT NULL, \"as_of\" TEXT "
		"NOT NULL, \"window_start\" TEXT NOT NULL, \"started\" TEXT NOT "
		"NULL, \"finished\" TEXT NOT NULL, \"status\" TEXT NOT NULL, "
		"\"rules_hash\" TEXT NOT NULL, \"rules\" TEXT NOT NULL, "
		"\"records\" BIGINT NOT NULL, \"exceptions\" BIGINT NOT NULL, "
		"\"totals\" TEXT NOT NULL, \"outcomes\" TEXT NOT NULL, "
		"\"watermarks\" TEXT NOT NULL, \"schema_hash\" TEXT NOT NULL, "
		"\"digest\" TEXT NOT NULL, \"prev_digest\" TEXT NOT NULL)");
	ck_assert_str_eq(ddl(d, 5, &sb), "CREATE OR REPLACE FUNCTION "
		"\"rec_insert_only\"() RETURNS trigger LANGUAGE plpgsql AS "
		"'BEGIN RAISE EXCEPTION ''recon: % is insert-only'', "
		"TG_TABLE_NAME USING ERRCODE = ''42501''; END'");
	ck_assert_str_eq(ddl(d, 6, &sb), "CREATE TRIGGER \"rec_insert_only\" "
		"BEFORE UPDATE OR DELETE ON \"rec\" FOR EACH ROW EXECUTE "
		"FUNCTION \"rec_insert_only\"()");
	ck_assert_str_eq(ddl(d, 11, &sb), "CREATE TRIGGER "
		"\"rec_schema_no_truncate\" BEFORE TRUNCATE ON \"rec_schema\" "
		"FOR EACH STATEMENT EXECUTE FUNCTION \"rec_insert_only\"()");
	ck_assert_uint_eq(ddl_count(d), 12);
	sbuf_release(&sb);
}
END_TEST

START_TEST(mariadb_ddl)
{
	const struct dialect *d = D(MARIADB);
	struct sbuf sb = SBUF_INIT(1 << 20);

	ck_assert_str_eq(ddl(d, 0, &sb), "CREATE TABLE `rec` (`rec_kind` "
		"VARCHAR(16) NOT NULL, `rec_key` VARCHAR(700) NOT NULL, "
		"`version` BIGINT NOT NULL, `run_id` VARCHAR(255) NOT NULL, "
		"`outcome` LONGTEXT NOT NULL, `codes` LONGTEXT NOT NULL, "
		"`verdicts` LONGTEXT NOT NULL, `order` LONGTEXT, `amount` "
		"DECIMAL(24,4), `sources` LONGTEXT NOT NULL, `rules_hash` "
		"LONGTEXT NOT NULL, `prev_hash` LONGTEXT, `value_hash` LONGTEXT "
		"NOT NULL, `content_hash` LONGTEXT NOT NULL) ENGINE=InnoDB "
		"DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin");
	ck_assert_str_eq(ddl(d, 1, &sb), "CREATE UNIQUE INDEX `rec_version` ON "
		"`rec` (rec_kind, rec_key, version)");
	ck_assert_str_eq(ddl(d, 2, &sb), "CREATE VIEW `rec_current` AS SELECT "
		"v.* FROM `rec` v WHERE NOT EXISTS (SELECT 1 FROM `rec` w WHERE "
		"w.rec_kind = v.rec_kind AND w.rec_key = v.rec_key AND "
		"w.version > v.version)");
	ck_assert_str_eq(ddl(d, 3, &sb), "CREATE TABLE `rec_runs` (`run_id` "
		"VARCHAR(255) NOT NULL PRIMARY KEY, `seq` BIGINT NOT NULL "
		"UNIQUE, `job` LONGTEXT NOT NULL, `mode` LONGTEXT NOT NULL, "
		"`as_of` LONGTEXT NOT NULL, `window_start` LONGTEXT NOT NULL, "
		"`started` LONGTEXT NOT NULL, `finished` LONGTEXT NOT NULL, "
		"`status` LONGTEXT NOT NULL, `rules_hash` LONGTEXT NOT NULL, "
		"`rules` LONGTEXT NOT NULL, `records` BIGINT NOT NULL, "
		"`exceptions` BIGINT NOT NULL, `totals` LONGTEXT NOT NULL, "
		"`outcomes` LONGTEXT NOT NULL, `watermarks` LONGTEXT NOT NULL, "
		"`schema_hash` LONGTEXT NOT NULL, `digest` LONGTEXT NOT NULL, "
		"`prev_digest` LONGTEXT NOT NULL) ENGINE=InnoDB DEFAULT "
		"CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin");
	ck_assert_str_eq(ddl(d, 4, &sb), "CREATE TABLE `rec_schema` (`format` "
		"LONGTEXT NOT NULL, `position` BIGINT NOT NULL UNIQUE, `name` "
		"LONGTEXT NOT NULL, `type` LONGTEXT NOT NULL, `value` LONGTEXT "
		"NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
		"COLLATE=utf8mb4_nopad_bin");
	ck_assert_str_eq(ddl(d, 5, &sb), "CREATE TRIGGER `rec_no_update` BEFORE "
		"UPDATE ON `rec` FOR EACH ROW SIGNAL SQLSTATE '45000' SET "
		"MESSAGE_TEXT = 'recon: rec is insert-only'");
	ck_assert_str_eq(ddl(d, 8, &sb), "CREATE TRIGGER `rec_runs_no_delete` "
		"BEFORE DELETE ON `rec_runs` FOR EACH ROW SIGNAL SQLSTATE '45000' "
		"SET MESSAGE_TEXT = 'recon: rec_runs is insert-only'");
	ck_assert_str_eq(ddl(d, 10, &sb), "CREATE TRIGGER "
		"`rec_schema_no_delete` BEFORE DELETE ON `rec_schema` FOR EACH "
		"ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'recon: "
		"rec_schema is insert-only'");
	ck_assert_uint_eq(ddl_count(d), 11);
	/* DDL commits by itself: what a failed install undoes, newest
	 * first (the index and triggers go with their tables) */
	ck_assert_int_eq(d->ddl_transactional, 0);
	ck_assert_int_eq(store_ddl_undo(d, "Rec", 4, &sb), 1);
	ck_assert_str_eq(sb.buf, "DROP TABLE `rec_schema`");
	ck_assert_int_eq(store_ddl_undo(d, "Rec", 2, &sb), 1);
	ck_assert_str_eq(sb.buf, "DROP VIEW `rec_current`");
	ck_assert_int_eq(store_ddl_undo(d, "Rec", 1, &sb), 0);
	ck_assert_int_eq(store_ddl_undo(d, "Rec", 0, &sb), 1);
	ck_assert_str_eq(sb.buf, "DROP TABLE `rec`");
	ck_assert_int_eq(store_ddl_undo(d, "Rec", 5, &sb), 0);
	ck_assert_str_eq(d->store_session, "SET SESSION sql_mode = "
		"'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
		"ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
	sbuf_release(&sb);
}
END_TEST

START_TEST(mssql_ddl)
{
	const struct dialect *d = D(MSSQL);
	struct sbuf sb = SBUF_INIT(1 << 20);

	ck_assert_str_eq(ddl(d, 0, &sb), "CREATE TABLE [rec] ([rec_kind] "
		"NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL, "
		"[rec_key] NVARCHAR(800) COLLATE Latin1_General_100_BIN2 NOT "
		"NULL, [version] BIGINT NOT NULL, [run_id] NVARCHAR(255) "
		"COLLATE Latin1_General_100_BIN2 NOT NULL, [outcome] "
		"NVARCHAR(MAX) NOT NULL, [codes] NVARCHAR(MAX) NOT NULL, "
		"[verdicts] NVARCHAR(MAX) NOT NULL, [order] NVARCHAR(MAX), "
		"[amount] DECIMAL(24,4), [sources] NVARCHAR(MAX) NOT NULL, "
		"[rules_hash] NVARCHAR(MAX) NOT NULL, [prev_hash] NVARCHAR(MAX), "
		"[value_hash] NVARCHAR(MAX) NOT NULL, [content_hash] "
		"NVARCHAR(MAX) NOT NULL)");
	ck_assert_str_eq(ddl(d, 1, &sb), "CREATE UNIQUE INDEX [rec_version] ON "
		"[rec] (rec_kind, rec_key, version)");
	ck_assert_str_eq(ddl(d, 2, &sb), "CREATE VIEW [rec_current] AS SELECT "
		"v.* FROM [rec] v WHERE NOT EXISTS (SELECT 1 FROM [rec] w WHERE "
		"w.rec_kind = v.rec_kind AND w.rec_key = v.rec_key AND "
		"w.version > v.version)");
	ck_assert_str_eq(ddl(d, 3, &sb), "CREATE TABLE [rec_runs] ([run_id] "
		"NVARCHAR(255) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY "
		"KEY, [seq] BIGINT NOT NULL UNIQUE, [job] NVARCHAR(MAX) NOT "
		"NULL, [mode] NVARCHAR(MAX) NOT NULL, [as_of] NVARCHAR(MAX) NOT "
		"NULL, [window_start] NVARCHAR(MAX) NOT NULL, [started] "
		"NVARCHAR(MAX) NOT NULL, [finished] NVARCHAR(MAX) NOT NULL, "
		"[status] NVARCHAR(MAX) NOT NULL, [rules_hash] NVARCHAR(MAX) NOT "
		"NULL, [rules] NVARCHAR(MAX) NOT NULL, [records] BIGINT NOT "
		"NULL, [exceptions] BIGINT NOT NULL, [totals] NVARCHAR(MAX) NOT "
		"NULL, [outcomes] NVARCHAR(MAX) NOT NULL, [watermarks] "
		"NVARCHAR(MAX) NOT NULL, [schema_hash] NVARCHAR(MAX) NOT NULL, "
		"[digest] NVARCHAR(MAX) NOT NULL, [prev_digest] NVARCHAR(MAX) "
		"NOT NULL)");
	ck_assert_str_eq(ddl(d, 4, &sb), "CREATE TABLE [rec_schema] ([format] "
		"NVARCHAR(MAX) NOT NULL, [position] BIGINT NOT NULL UNIQUE, "
		"[name] NVARCHAR(MAX) NOT NULL, [type] NVARCHAR(MAX) NOT NULL, "
		"[value] NVARCHAR(MAX) NOT NULL)");
	ck_assert_str_eq(ddl(d, 5, &sb), "CREATE TRIGGER [rec_insert_only] ON "
		"[rec] INSTEAD OF UPDATE, DELETE AS BEGIN THROW 50000, 'recon: "
		"rec is insert-only', 1; END");
	ck_assert_str_eq(ddl(d, 6, &sb), "CREATE TRIGGER [rec_runs_insert_only] "
		"ON [rec_runs] INSTEAD OF UPDATE, DELETE AS BEGIN THROW 50000, "
		"'recon: rec_runs is insert-only', 1; END");
	ck_assert_str_eq(ddl(d, 7, &sb), "CREATE TRIGGER "
		"[rec_schema_insert_only] ON [rec_schema] INSTEAD OF UPDATE, "
		"DELETE AS BEGIN THROW 50000, 'recon: rec_schema is "
		"insert-only', 1; END");
	ck_assert_uint_eq(ddl_count(d), 8);
	ck_assert_int_eq(d->ddl_transactional, 1);
	/* the first row: TOP, not LIMIT */
	ck_assert_str_eq(d->first_head, "TOP 1 ");
	ck_assert_str_eq(d->first_tail, "");
	ck_assert_str_eq(d->snapshot, "SET TRANSACTION ISOLATION LEVEL "
			 "SNAPSHOT");
	ck_assert_str_eq(d->collate_binary, " COLLATE Latin1_General_100_BIN2");
	sbuf_release(&sb);
}
END_TEST

START_TEST(catalog_queries)
{
	ck_assert_str_eq(D(SQLITE)->sql_table_exists, "SELECT COUNT(*) FROM "
		"sqlite_master WHERE type = 'table' AND lower(name) = lower(?)");
	ck_assert_str_eq(D(PG)->sql_table_exists, "SELECT COUNT(*) FROM "
		"pg_catalog.pg_tables WHERE schemaname = current_schema() AND "
		"tablename = ?");
	ck_assert_str_eq(D(MARIADB)->sql_table_exists, "SELECT COUNT(*) FROM "
		"information_schema.tables WHERE table_schema = DATABASE() AND "
		"table_name = ? AND table_type = 'BASE TABLE'");
	ck_assert_str_eq(D(MSSQL)->sql_table_exists, "SELECT COUNT(*) FROM "
		"sys.tables WHERE schema_id = SCHEMA_ID() AND name = ?");
	ck_assert_str_eq(D(MARIADB)->sql_columns, "SELECT column_name FROM "
		"information_schema.columns WHERE table_schema = DATABASE() "
		"AND table_name = ? ORDER BY ordinal_position");
	ck_assert_str_eq(D(MSSQL)->sql_columns, "SELECT c.name FROM sys.columns "
		"c JOIN sys.objects o ON o.object_id = c.object_id WHERE "
		"o.schema_id = SCHEMA_ID() AND o.name = ? ORDER BY c.column_id");
	ck_assert_str_eq(D(MARIADB)->sql_relation, "SELECT CASE table_type "
		"WHEN 'VIEW' THEN 'view' WHEN 'BASE TABLE' THEN 'table' ELSE "
		"lower(table_type) END, NULL FROM information_schema.tables "
		"WHERE table_schema = DATABASE() AND table_name = ?");
	ck_assert_str_eq(D(MSSQL)->sql_relation, "SELECT CASE type WHEN 'V' "
		"THEN 'view' WHEN 'U' THEN 'table' ELSE lower(type_desc) END, "
		"OBJECT_DEFINITION(object_id) FROM sys.objects WHERE schema_id "
		"= SCHEMA_ID() AND name = ?");
	/* how each tells the engine's current view from another */
	ck_assert_int_eq(D(SQLITE)->viewcheck, VIEWCHECK_TEXT);
	ck_assert_int_eq(D(PG)->viewcheck, VIEWCHECK_DEPARSE);
	ck_assert_int_eq(D(MARIADB)->viewcheck, VIEWCHECK_COLUMNS);
	ck_assert_int_eq(D(MSSQL)->viewcheck, VIEWCHECK_TEXT);
}
END_TEST

START_TEST(batch_limits)
{
	/* 20 columns, the default batch of 100 rows: 2000 parameters */
	ck_assert_uint_eq(odbc_batch_rows(D(SQLITE), 20, 0), 100);
	ck_assert_uint_eq(odbc_batch_rows(D(PG), 20, 0), 100);
	ck_assert_uint_eq(odbc_batch_rows(D(MARIADB), 20, 0), 100);
	ck_assert_uint_eq(odbc_batch_rows(D(MSSQL), 20, 0), 100);
	/* 1000 rows asked: the parameter limits decide */
	ck_assert_uint_eq(odbc_batch_rows(D(SQLITE), 20, 5000), 1638);
	ck_assert_uint_eq(odbc_batch_rows(D(PG), 20, 5000), 1638);
	ck_assert_uint_eq(odbc_batch_rows(D(MSSQL), 20, 1000), 105);
	ck_assert_uint_eq(odbc_batch_rows(D(MSSQL), 3, 5000), 700);
	/* SQL Server's 1000 rows per VALUES */
	ck_assert_uint_eq(odbc_batch_rows(D(MSSQL), 1, 5000), 1000);
	ck_assert_uint_eq(odbc_batch_rows(D(MARIADB), 1, 5000), 5000);
	/* never 0, even where one row is over the limit */
	ck_assert_uint_eq(odbc_batch_rows(D(MSSQL), 3000, 10), 1);
	ck_assert_uint_eq(D(SQLITE)->params_max, 32766);
	ck_assert_uint_eq(D(PG)->params_max, 65535);
	ck_assert_uint_eq(D(MARIADB)->params_max, 65535);
	ck_assert_uint_eq(D(MSSQL)->params_max, 2100);
	ck_assert_uint_eq(D(MSSQL)->rows_max, 1000);
}
END_TEST

START_TEST(name_limits)
{
	ck_assert_uint_eq(strlen("_schema_insert_only"), DIALECT_SUFFIX_MAX);
	ck_assert_uint_eq(strlen("_schema_no_truncate"), DIALECT_SUFFIX_MAX);
	ck_assert_uint_eq(dialect_table_max(D(SQLITE)), 0);
	ck_assert_uint_eq(dialect_table_max(D(PG)), 63 - 19);
	ck_assert_uint_eq(dialect_table_max(D(MARIADB)), 64 - 19);
	ck_assert_uint_eq(dialect_table_max(D(MSSQL)), 128 - 19);
	ck_assert_uint_eq(dialect_table_max_portable(), 44);
	/* MariaDB and SQL Server index key budgets (dialect.c) */
	ck_assert_uint_eq(D(MARIADB)->key_max, 700);
	ck_assert_uint_eq(D(MSSQL)->key_max, 800);
	ck_assert_uint_eq(D(SQLITE)->key_max, 0);
	ck_assert_uint_eq(D(PG)->key_max, 0);
}
END_TEST

START_TEST(unknown_dbms_is_no_store)
{
	struct error err;

	error_init(&err);
	for (int i = DIALECT_SQLITE; i < DIALECT__COUNT; i++)
		ck_assert_int_eq(dialect_store_ok(dialect_by_id(
			(enum dialect_id)i), "x", &err), 0);
	ck_assert_int_eq(dialect_store_ok(dialect_of("Oracle"), "Oracle", &err),
			 -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_str_eq(err.msg.buf, "the DBMS 'Oracle' cannot hold a recon "
			 "store: supported are SQLite, PostgreSQL, MariaDB or "
			 "MySQL, and Microsoft SQL Server (docs/STORE.md)");
	error_release(&err);
	/* as a source it has the ANSI defaults */
	ck_assert_int_eq(dialect_of("Oracle")->qopen, '"');
	ck_assert_ptr_null(dialect_of("Oracle")->ro_on);
}
END_TEST

START_TEST(unique_violations)
{
	/* SQLSTATE class 23 everywhere; sqliteodbc's HY000 with
	 * SQLITE_CONSTRAINT (19) or an extended code of it */
	ck_assert_int_eq(dialect_unique_violation(D(PG), "23505", 7), 1);
	ck_assert_int_eq(dialect_unique_violation(D(MARIADB), "23000", 1062), 1);
	ck_assert_int_eq(dialect_unique_violation(D(SQLITE), "HY000", 2067), 1);
	ck_assert_int_eq(dialect_unique_violation(D(SQLITE), "HY000", 1), 0);
	ck_assert_int_eq(dialect_unique_violation(D(PG), "HY000", 2067), 0);
	ck_assert_int_eq(dialect_unique_violation(D(MSSQL), "HY000", 19), 0);
}
END_TEST

/* The driver says it is "FakeDB 9" (SQL_DBMS_NAME); all else is real. */
static SQLRETURN fake_get_info(SQLHDBC dbc, SQLUSMALLINT what, SQLPOINTER v,
			       SQLSMALLINT max, SQLSMALLINT *len)
{
	static const char name[] = "FakeDB 9";

	if (what != SQL_DBMS_NAME)
		return odbc_api_real.get_info(dbc, what, v, max, len);
	if (max < (SQLSMALLINT)sizeof(name))
		return SQL_ERROR;
	memcpy(v, name, sizeof(name));
	*len = (SQLSMALLINT)(sizeof(name) - 1);
	return SQL_SUCCESS;
}

/* A store on a DBMS the engine does not know is refused naming it; a
 * source on it is read with the ANSI defaults. */
START_TEST(unknown_dbms_store_refused_source_read)
{
	struct job *job = NULL;
	struct conn *c = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	struct error err;
	int exists = -1;

	error_init(&err);
	ck_assert_int_eq(job_load("tests/data/run/job.xml", &job, &err), 0);
	odbc_api.get_info = fake_get_info;
	ck_assert_int_eq(store_check(job, &exists, &err), -1);
	ck_assert_int_eq(err.code, ERR_STORE);
	ck_assert_msg(strstr(err.msg.buf, "the DBMS 'FakeDB 9' cannot hold a "
			     "recon store: supported are SQLite, PostgreSQL, "
			     "MariaDB or MySQL, and Microsoft SQL Server"),
		      "%s", err.msg.buf);
	error_clear(&err);
	ck_assert_int_eq(conn_open_source("recon_test", &c, &err), 0);
	ck_assert_str_eq(conn_dbms(c), "FakeDB 9");
	ck_assert_int_eq(conn_dialect(c)->id, DIALECT_ANSI);
	ck_assert_int_eq(cursor_open(c, "SELECT 41 + 1", NULL, 0, 0, &cur,
				     &err), 0);
	ck_assert_int_eq(cursor_next(cur, &row, &err), 1);
	ck_assert_int_eq(row->vals[0].type == VAL_INT ? row->vals[0].i :
			 strtol(row->vals[0].s, NULL, 10), 42);
	cursor_close(cur);
	conn_close(c);
	odbc_api_reset();
	job_free(job);
	error_release(&err);
}
END_TEST

Suite *suite_dialect(void)
{
	Suite *s = suite_create("dialect");
	TCase *tc = tcase_create("sql");

	tcase_add_test(tc, chosen_by_dbms_name);
	tcase_add_test(tc, quoting);
	tcase_add_test(tc, sqlite_ddl);
	tcase_add_test(tc, pg_ddl);
	tcase_add_test(tc, mariadb_ddl);
	tcase_add_test(tc, mssql_ddl);
	tcase_add_test(tc, catalog_queries);
	tcase_add_test(tc, batch_limits);
	tcase_add_test(tc, name_limits);
	tcase_add_test(tc, unknown_dbms_is_no_store);
	tcase_add_test(tc, unique_violations);
	suite_add_tcase(s, tc);
	tc = tcase_create("connect");
	tcase_add_test(tc, unknown_dbms_store_refused_source_read);
	suite_add_tcase(s, tc);
	return s;
}
