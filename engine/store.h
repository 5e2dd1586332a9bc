/*
 * store.h - the output store: reconciled order records and the run ledger,
 * written through ODBC, insert-only.
 *
 * The engine creates its tables when missing (types chosen per DBMS:
 * amounts are exact NUMERIC(24,4) on PostgreSQL and exact decimal TEXT on
 * SQLite, which has no exact decimal type) and never issues UPDATE or
 * DELETE on them. Everything a run writes happens in one transaction that
 * store_commit() ends; a run that fails or dies before it publishes
 * nothing. The table layout is the integration contract documented in
 * docs/STORE.md.
 */
#ifndef RECON_STORE_H
#define RECON_STORE_H

#include <stdint.h>

#include "err.h"
#include "job.h"

/* One reconciled order record. Strings borrowed for the call; NULL is
 * SQL NULL. Amounts are formatted exact decimals. */
struct store_rec {
	const char *kind;	/* "order", "deal" (no order) or "erp" (no order) */
	const char *key;
	const char *outcome;	/* primary outcome code */
	const char *codes;	/* every outcome code, space-separated */
	const char *verdicts;	/* JSON array of rule verdicts */
	const char *deal_key;
	const char *order_key;
	const char *customer;
	const char *currency;
	const char *deal_amount;
	const char *order_amount;
	const char *erp_amount;
	uint32_t erp_docs;
};

/* One row of the run ledger. */
struct store_run {
	const char *run_id;
	const char *job;
	const char *as_of;
	const char *started;
	const char *finished;
	const char *status;
	const char *rules_hash;
	uint64_t records;
	uint64_t exceptions;
	const char *totals;	/* JSON: per source control totals */
};

struct store;

/* Connect to job->store_dsn, create the tables if missing, begin the
 * run's transaction. *out owned by the caller (store_free). ERR_STORE. */
int store_open(const struct job *job, struct store **out, struct error *err);
/* Buffer/insert one record (in the open transaction). */
int store_add(struct store *s, const struct store_rec *r, const char *run_id,
	      struct error *err);
/* Insert the run row and commit everything. */
int store_commit(struct store *s, const struct store_run *run,
		 struct error *err);
/* Records written so far. */
uint64_t store_count(const struct store *s);
/* Roll back anything uncommitted, disconnect, free. NULL is fine. */
void store_free(struct store *s);

#endif
