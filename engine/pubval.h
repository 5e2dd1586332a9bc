/*
 * pubval.h - the values a job may publish as typed store columns
 * (<store><column name= type= value=/> in the job file; docs/STORE.md,
 * "Declared columns").
 *
 * A value is a path into one reconciled order (struct group): the
 * order's own fields ("customer", "currency"), the deal's and the
 * order's canonical fields ("deal.amount", "order.time"), and the ERP
 * aggregate ("erp.amount", "erp.invoices"). Each has one type; a column
 * declares the same type (a time may be published as a date or a
 * timestamp), so a job that declares `deal.amount` as text is refused at
 * load time rather than published in a form nobody asked for.
 */
#ifndef RECON_PUBVAL_H
#define RECON_PUBVAL_H

#include "buf.h"
#include "canon.h"
#include "ledger.h"

/* Number of known values (indexes 0..PUBVAL_COUNT-1). */
extern const int PUBVAL_COUNT;

/* The index of a value path, or -1 if unknown. */
int pubval_lookup(const char *path);

/*
 * A site-defined field published as a column ("deal.fields.region",
 * "order.fields.due", "erp.fields.batch": the value common to the ERP
 * documents that set it, NULL if they disagree or none does): index
 * PUBVAL_COUNT + role * CANON_XMAX + slot, slot the field's index in the job's
 * <fields>. job.c resolves the path against the job's fields; the type
 * check is the job's (pubval_type knows only the built-in values).
 */
int pubval_site(enum canon_kind role, unsigned slot);
/* The same for a boolean field (index PUBVAL_COUNT + 3 * CANON_XMAX + ...):
 * published as "true"/"false" in a text column or 1/0 in an integer one,
 * there being no boolean type common to every store DBMS. */
int pubval_site_bool(enum canon_kind role, unsigned slot);
/* 1 if v is a site-field index. */
int pubval_is_site(int v);

/* Its natural type (built-in values only: v < PUBVAL_COUNT). */
enum ledger_type pubval_type(int v);

/* 1 if a column of type t may publish value v. */
int pubval_accepts(int v, enum ledger_type t);

/* Append every path, space-separated, for messages ("key customer ...
 * erp.cancelled deal.fields.NAME order.fields.NAME erp.fields.NAME").
 * 0 or -1 (out of memory). */
int pubval_list(struct sbuf *out);

/*
 * Append value v of group g, formatted for a column of type t, to out:
 * text as it is, money with at least two decimals, integers in decimal,
 * dates "YYYY-MM-DD", timestamps "YYYY-MM-DD HH:MM:SS" (UTC). Returns 1
 * (a value), 0 (NULL: the part is missing or has no such field; nothing
 * appended) or -1 (out of memory).
 */
int pubval_format(int v, enum ledger_type t, const struct group *g,
		  struct sbuf *out);

/* The columns a job publishes when it declares none: deal_key order_key
 * customer currency deal_amount order_amount erp_amount erp_docs. */
struct pubval_default {
	const char *name;
	const char *path;
	enum ledger_type type;
};
extern const struct pubval_default pubval_defaults[];
extern const int PUBVAL_NDEFAULTS;

#endif
