/*
 * ref.h - reference tables (docs/JOBS.md "Reference tables", docs/RULES.md
 * "Reference tables"): rows the rules look codes up in, read once per run
 * before translation and held in memory, read-only, for the whole run.
 *
 * A reference comes from a query on a DSN (block fetch through the ODBC
 * connector, exact types as for sources) or from a CSV file (RFC 4180,
 * UTF-8, a header row naming the columns; every value text). Its key
 * column's values must be unique and not NULL (nor empty in a CSV); the
 * rows are indexed by the key's text (an integer key by its decimal).
 *
 * Control totals: the row count and rows_hash, the sum modulo 2^256 of
 * the rows' fingerprints (rowfp.h; a CSV row is fingerprinted as a row of
 * text columns named by the header), so the hash does not depend on the
 * order rows arrive in.
 *
 * The Lua view (installed by rules.c, see rules_set_refs): the global
 * `ref` is userdata; ref.NAME is the table view, ref.NAME[key] a row view
 * or nil, row.COLUMN the value. Every view is read-only, a misspelt name
 * raises naming it, nothing is copied into Lua.
 */
#ifndef RECON_REF_H
#define RECON_REF_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "buf.h"
#include "err.h"
#include "job.h"
#include "../connectors/connector.h"

struct ref_table;

/* Every reference of a job, in declaration order. */
struct ref_set {
	struct ref_table **t;
	size_t n;
};

/* A table built by hand (tests, `recon test`): columns named, the key
 * one of them. Rows are added with ref_table_add(), then ref_table_done().
 * 0 or -1 (err). */
int ref_table_new(const char *name, const char *const *cols, size_t ncols,
		  const char *key, uint64_t cap, struct ref_table **out,
		  struct error *err);
/* Add one row of ncols values (copied). Errors (ERR_DATA): a NULL or
 * empty key, a duplicate key (named), more rows than the cap, an
 * approximate number. */
int ref_table_add(struct ref_table *t, const struct value *vals,
		  struct error *err);
/* Build the index: 0 or -1 (ERR_NOMEM). */
int ref_table_done(struct ref_table *t, struct error *err);
void ref_table_free(struct ref_table *t);

/* Load one reference of the job (its DSN or its file), at most cap rows.
 * Errors name the reference; the caller adds the job. */
int ref_load(const struct job_reference *jr, uint64_t cap,
	     struct ref_table **out, struct error *err);
/* Load every reference of the job into set (ref_set_release after). */
int ref_load_all(const struct job *job, struct ref_set *set,
		 struct error *err);
void ref_set_release(struct ref_set *set);
/* The same, handing every table's columns (when it is made) and every
 * row (as it is added, values as the connector or the CSV gave them)
 * to tee: a run keeps its inputs so (inputs.h). A tee's error stops
 * the load. */
struct ref_tee {
	int (*table)(void *ctx, const char *name, const char *const *cols,
		     size_t ncols, struct error *err);
	int (*row)(void *ctx, const struct value *vals, size_t ncols,
		   struct error *err);
	void *ctx;
};
int ref_load_all_tee(const struct job *job, struct ref_set *set,
		     const struct ref_tee *tee, struct error *err);

/* Parse a CSV file's text into t's columns and rows (exposed for tests):
 * the header names the columns; key must be one. */
int ref_parse_csv(const char *name, const char *text, size_t len,
		  const char *key, uint64_t cap, struct ref_table **out,
		  struct error *err);

const char *ref_table_name(const struct ref_table *t);
/* The column names, in order; *n their count. */
const char *const *ref_table_columns(const struct ref_table *t, size_t *n);
uint64_t ref_table_rows(const struct ref_table *t);
/* rows_hash as 64 hex digits. */
void ref_table_hash_hex(const struct ref_table *t, char out[65]);

/* The Lua side. ref_lua_open pushes the `ref` view (no references yet)
 * and returns its handle; ref_lua_set points it at a set (NULL: none). */
struct ref_view;
struct ref_view *ref_lua_open(lua_State *L);
void ref_lua_set(struct ref_view *v, const struct ref_set *set);

#endif
