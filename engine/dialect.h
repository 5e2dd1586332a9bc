/*
 * dialect.h - what differs between the DBMSs the engine talks to.
 *
 * One struct dialect per DBMS: SQLite, PostgreSQL, MySQL/MariaDB,
 * Microsoft SQL Server, and an ANSI default for any other. The connector
 * chooses one once, from SQL_DBMS_NAME, when a connection opens
 * (conn_dialect()); nothing else in the engine looks at the DBMS's name.
 * Everything the engine writes as SQL that is not the same on all of
 * them comes from here: identifier quoting, type names, the catalog
 * queries, the insert-only triggers, the cast to text, parameter and row
 * limits, the identifier length limit, and how verify takes a snapshot.
 *
 * Only the four named DBMSs can hold a store (dialect_store_ok); an
 * unknown DBMS works as a source with the ANSI defaults (double-quoted
 * identifiers, conservative limits, no read-only session statement).
 *
 * The tables are static and read-only: a dialect pointer is valid for the
 * life of the process and may be shared between threads.
 */
#ifndef RECON_DIALECT_H
#define RECON_DIALECT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

enum dialect_id {
	DIALECT_ANSI = 0,	/* unknown DBMS: a source only */
	DIALECT_SQLITE,
	DIALECT_PG,
	DIALECT_MARIADB,	/* MariaDB and MySQL */
	DIALECT_MSSQL,
	DIALECT__COUNT
};

/* The column types the store declares (docs/STORE.md). */
enum dialect_type {
	DT_TEXT = 0,	/* any text: JSON, codes, declared text columns */
	DT_MONEY,	/* exact, 4 decimals */
	DT_INT,		/* 64-bit */
	DT_DATE,
	DT_TIMESTAMP,	/* seconds, no time zone */
	DT_KIND,	/* rec_kind: short, indexed */
	DT_KEY,		/* rec_key: indexed (key_max characters at most) */
	DT_ID,		/* run_id: short, primary key */
	DT__COUNT
};

/* How verify tells the engine's T_current from another definition. */
enum dialect_viewcheck {
	/* the catalog keeps the CREATE statement's text (SQLite, SQL
	 * Server): what follows its first " AS " must be the engine's query */
	VIEWCHECK_TEXT = 0,
	/* the catalog deparses (PostgreSQL): compare with the deparse of a
	 * temporary view of the engine's query */
	VIEWCHECK_DEPARSE,
	/* neither (MariaDB: VIEW_DEFINITION is deparsed and there are no
	 * temporary views): a view with exactly T's columns, in order */
	VIEWCHECK_COLUMNS,
};

struct dialect {
	enum dialect_id id;
	const char *name;		/* for messages: "PostgreSQL" */
	int store;			/* can hold a store */
	char qopen, qclose;		/* identifier quotes */
	size_t ident_max;		/* longest identifier; 0: no limit */
	size_t params_max;		/* bound parameters per statement */
	size_t rows_max;		/* rows per multi-row VALUES; 0: any */
	size_t key_max;			/* characters of a rec_key; 0: any */
	/* DDL is part of the transaction (else each statement commits) */
	int ddl_transactional;
	const char *types[DT__COUNT];
	const char *table_options;	/* after CREATE TABLE t (...); "" */
	const char *text_cast;		/* CAST(x AS text_cast) */
	const char *collate_binary;	/* sorts text by code point */
	/* the first row only: SELECT <head>... ORDER BY ...<tail> */
	const char *first_head, *first_tail;
	/* catalog queries, one parameter (an object name as the store
	 * names it, dialect_store_name): table_exists returns one row, a
	 * count of base tables; columns one row per column, in order;
	 * relation one row (kind: "view", "table", ...; definition or
	 * NULL) or none; temp_relation the same for the temporary view of
	 * VIEWCHECK_DEPARSE */
	const char *sql_table_exists;
	const char *sql_columns;
	const char *sql_relation;
	const char *sql_temp_relation;
	const char *temp_prefix;	/* of the temporary view's name */
	enum dialect_viewcheck viewcheck;
	/* run once on a store connection before anything else; NULL */
	const char *store_session;
	/* a source's read-only session, and the statement lifting it for
	 * the engine's own write (NULL: none) */
	const char *ro_on, *ro_off;
	/* conn_begin_write's transaction: begun with this statement,
	 * autocommit left on, and ended with COMMIT / ROLLBACK statements
	 * (NULL: as conn_begin's, the ODBC autocommit attribute and
	 * SQLEndTran). SQLite: "BEGIN IMMEDIATE", which takes the write
	 * lock at once (connectors/odbc.c says why). */
	const char *begin_sql;
	/* verify's snapshot: read inside a transaction (snapshot_tx), with
	 * this statement first (NULL: none) */
	int snapshot_tx;
	const char *snapshot;
	/* the driver renders approximate values with 15 significant
	 * digits (sqliteodbc) */
	int real15;
	/* results stream only without bound parameters (sqliteodbc):
	 * the connector moves them into a temporary table */
	int param_rewrite;
	/* long values are completed by re-executing the query even if the
	 * driver advertises SQL_GD_BLOCK (odbc-mariadb: SQLSetPos then
	 * SQLGetData on a block cursor reads another row's value) */
	int no_positioned_getdata;
	/* a unique-index violation reported only by the native code's
	 * low byte (sqliteodbc: HY000, SQLITE_CONSTRAINT 19); 0: SQLSTATE
	 * class 23 is enough */
	int unique_native;
};

/* The longest suffix the engine appends to a store table's name (the
 * trigger T_schema_insert_only / T_schema_no_truncate). */
#define DIALECT_SUFFIX_MAX 19

/* The dialect of a DBMS by its SQL_DBMS_NAME (NULL: ANSI); never NULL. */
const struct dialect *dialect_of(const char *dbms);
const struct dialect *dialect_by_id(enum dialect_id id);

/* 0 if d can hold a store, else -1 with ERR_STORE naming dbms and the
 * supported DBMSs. */
int dialect_store_ok(const struct dialect *d, const char *dbms,
		     struct error *err);

/* The longest store table name d allows: its identifier limit less the
 * longest suffix (0: no limit). */
size_t dialect_table_max(const struct dialect *d);
/* The same for every DBMS that can hold a store (the smallest). */
size_t dialect_table_max_portable(void);

/* Append ident quoted (the quote character doubled inside). */
int dialect_quote(const struct dialect *d, struct sbuf *sb,
		  const char *ident);
/* The name of a store object: table + suffix, in lower case (the name
 * PostgreSQL gives an unquoted identifier, so one spelling works in
 * every DBMS and in readers' unquoted SQL). dialect_store_name appends
 * it plain (a catalog parameter), dialect_store_ident quoted. */
int dialect_store_name(struct sbuf *sb, const char *table,
		       const char *suffix);
int dialect_store_ident(const struct dialect *d, struct sbuf *sb,
			const char *table, const char *suffix);

/* Append a column definition: name quoted, d's type for t, then tail
 * (" NOT NULL, ", ...). */
void dialect_column(const struct dialect *d, struct sbuf *sql,
		    const char *name, enum dialect_type t, const char *tail);

/* Append CAST(expr AS <text>) AS alias (alias quoted; NULL: none). */
int dialect_cast_text(const struct dialect *d, struct sbuf *sb,
		      const char *expr, const char *alias);

/* Statement i (0, 1, ...) that makes the store's tables T, T_runs and
 * T_schema refuse UPDATE and DELETE (and TRUNCATE where a trigger can):
 * 1 with it in out (reset first), 0 past the last, -1 out of memory. */
int dialect_insert_only_sql(const struct dialect *d, const char *table,
			    size_t i, struct sbuf *out);
/* The same for T_notes (engine/notes.h: created with the first note),
 * the triggers only, named and worded as those of the other tables
 * (T_notes_no_update, ...); on PostgreSQL they call the store's
 * T_insert_only(), which dialect_insert_only_sql created. */
int dialect_notes_insert_only_sql(const struct dialect *d, const char *table,
				  size_t i, struct sbuf *out);

/* The same for T_report (engine/snapshot.h), as for T_notes. */
int dialect_report_insert_only_sql(const struct dialect *d, const char *table,
				   size_t i, struct sbuf *out);

/* 1 if an error with this SQLSTATE and native code is a unique-index
 * violation on d. */
int dialect_unique_violation(const struct dialect *d, const char *sqlstate,
			     long native);

#endif
