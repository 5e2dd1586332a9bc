/*
 * canon.h - the canonical order model: what translation rules produce and
 * what the matcher, the order rules and the store consume.
 *
 * This is the engine's own vocabulary and the only schema the C code
 * knows. Source tables, columns, status codes and id formats live in the
 * job file's queries and the Lua translation rules, which map them onto
 * these fields.
 *
 * A struct canon keeps its strings back to back in `data` (owned), each
 * field addressed by offset and length, so a record serialises as one
 * blob for the matcher's partition files.
 */
#ifndef RECON_CANON_H
#define RECON_CANON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Which side of the three-way match a source feeds. */
enum canon_kind { CANON_DEAL = 0, CANON_ORDER = 1, CANON_ERP = 2, CANON__KINDS };

/* String fields. Keep canon_field_names in canon.c in step. */
enum canon_str {
	CS_KEY = 0,	/* the record's own key (deal id, order id, ERP doc id) */
	CS_DEAL_REF,	/* order: the deal it belongs to */
	CS_ORDER_REF,	/* ERP document: the order it belongs to */
	CS_CUSTOMER,	/* canonical customer code */
	CS_CURRENCY,	/* ISO 4217 code */
	CS_NAME,	/* free text for people (deal name, description) */
	CS__COUNT
};

/* Canonical status: the translation rules map vendor codes onto these. */
enum canon_status {
	CST_NONE = 0,
	CST_OPEN,	/* "open" */
	CST_WON,	/* "won" (deals) */
	CST_FULFILLED,	/* "fulfilled" (orders) */
	CST_CANCELLED,	/* "cancelled" */
	CST_DRAFT,	/* "draft" (ERP documents) */
	CST_POSTED,	/* "posted" (ERP documents) */
	CST__COUNT
};

/* Canonical ERP document types. */
enum canon_doctype {
	CDT_NONE = 0,
	CDT_SALES_ORDER,	/* "sales_order": counted only if nothing is invoiced */
	CDT_INVOICE,		/* "invoice": adds */
	CDT_CREDIT_NOTE,	/* "credit_note": subtracts */
	CDT__COUNT
};

/*
 * Site-defined fields (docs/JOBS.md, "<fields>"): a job declares up to
 * CANON_XMAX extra typed fields, each for one or more roles; field i of
 * the job is slot i of every record. Their values live in `data` like the
 * strings: the first set allocates a table of nx (offset, length) pairs
 * (uint32_t each) at the end of data, and each value is appended after it.
 * Text is its bytes; money, integer, date and timestamp an int64_t in the
 * machine's byte order (money scaled as money.h, dates and timestamps
 * epoch seconds, a date at 00:00:00 UTC); boolean one byte, 0 or 1.
 */
enum canon_ftype {
	CFT_TEXT = 0, CFT_MONEY, CFT_INTEGER, CFT_DATE, CFT_TIMESTAMP,
	CFT_BOOLEAN, CFT__COUNT
};
#define CANON_XMAX 32

/* struct canon.flags */
#define CANON_F_DUPLICATED 1u	/* its key appeared again later in its role */

/* Bits of struct canon.present beyond the string fields (1u << CS_x). */
#define CANON_HAS_AMOUNT (1u << 16)
#define CANON_HAS_TIME	 (1u << 17)

struct canon {
	uint8_t kind;		/* enum canon_kind */
	uint8_t status;		/* enum canon_status */
	uint8_t doctype;	/* enum canon_doctype */
	uint8_t flags;		/* CANON_F_*: set by the matcher */
	uint16_t source;	/* index into job->sources */
	uint32_t present;	/* 1u << CS_x for set strings, CANON_HAS_* */
	uint32_t xpresent;	/* 1u << i: site-defined field i is set */
	uint32_t xtab;		/* offset in data of the slot table, if nx */
	uint32_t nx;		/* slots in that table (0: no field set yet) */
	int64_t amount;		/* money (money.h), valid if CANON_HAS_AMOUNT */
	int64_t time;		/* event time, epoch seconds (tstamp.h) */
	uint64_t rowno;		/* 1-based row number within its source */
	/* SHA-256 of the source row it was translated from (binary; see
	 * docs/LEDGER.md "source fingerprints"), set by the run driver. */
	uint8_t fp[32];
	uint32_t off[CS__COUNT];
	uint32_t len[CS__COUNT];
	struct sbuf data;	/* owned: the strings, back to back */
};

/*
 * What the ERP side of one order adds up to. Drafts and cancelled
 * documents are counted in ndrafts/ncancelled but in no amount.
 */
struct erp_agg {
	uint32_t ndocs;		/* documents linked, any status */
	uint32_t ninvoices;	/* posted invoices */
	uint32_t ncredits;	/* posted credit notes */
	uint32_t nsales;	/* posted sales-order documents */
	uint32_t ndrafts;	/* draft documents (any type) */
	uint32_t ncancelled;	/* cancelled documents (any type) */
	int64_t invoiced;	/* posted invoices minus posted credit notes */
	int64_t ordered;	/* posted sales-order documents */
	const char *currency;	/* of the counted documents; NULL if none */
	uint32_t currency_len;
	int mixed_currency;	/* counted documents in more than one currency */
	int amount_overflow;	/* a sum did not fit (reported, never wrapped) */
	/* Posted documents counted without an amount (NULL in the source):
	 * invoices and credit notes, sales-order documents. A sum with one
	 * of them is unknown, never taken as if it were 0: the rules see
	 * it as nil, the store and the reports as NULL. */
	uint32_t unpriced_inv, unpriced_sales;
	/* SHA-256 over the hex fingerprints of the ndocs documents, each
	 * followed by "\n", in ascending order (binary). */
	uint8_t docs_fp[32];
	/* The ndocs documents themselves (the ones counted above, any
	 * status), in document order: by key, then by the source row's
	 * fingerprint (docs/MATCHING.md). NULL when ndocs is 0; may be NULL
	 * for an aggregate built by hand (the rule tests' check() without
	 * docs). */
	const struct canon *const *docs;
};

/* The aggregate's amount as the rules see it (invoiced if any invoice or
 * credit note was posted, else ordered) in *out; 1 if it is known, 0 if
 * a posted document it adds up has no amount. */
static inline int erp_agg_amount(const struct erp_agg *g, int64_t *out)
{
	int inv = g->ninvoices + g->ncredits > 0;

	*out = inv ? g->invoiced : g->ordered;
	return inv ? g->unpriced_inv == 0 : g->unpriced_sales == 0;
}

/*
 * One reconciled order as the order rules see it: the key it is published
 * under, the deal, the order (first of norders), the ERP aggregate. Any of
 * deal, order and erp may be NULL. All borrowed for the duration of one
 * rules_check() call.
 */
struct group {
	const char *key;
	size_t key_len;
	const struct canon *deal;
	const struct canon *order;
	uint32_t norders;	/* orders linked to the deal (>1: duplicates) */
	const struct erp_agg *erp;
	/* The norders orders linked to the deal, by key (then fingerprint),
	 * `order` among them; NULL means just `order` (or none). */
	const struct canon *const *orders;
};

/* Field names as rules and the store see them ("key", "deal_ref", ...). */
extern const char *const canon_field_names[CS__COUNT];
extern const char *const canon_status_names[CST__COUNT];   /* [0] = NULL */
extern const char *const canon_doctype_names[CDT__COUNT];  /* [0] = NULL */
extern const char *const canon_kind_names[CANON__KINDS];   /* "deal", ... */
extern const char *const canon_ftype_names[CFT__COUNT];    /* "text", ... */

/* Largest string field we accept (a value over it is an error). */
#define CANON_STR_CAP ((size_t)4096)

/* Initialise; allocates nothing. */
void canon_init(struct canon *c);
/* Free the strings; c is left initialised. */
void canon_release(struct canon *c);
/* Forget every field (keep memory) for the next record. */
void canon_reset(struct canon *c, enum canon_kind kind, uint16_t source,
		 uint64_t rowno);
/* Set string field f; a second set of the same field replaces it (the old
 * bytes stay in data until reset). Returns 0, or -1 if over CANON_STR_CAP
 * or out of memory. */
int canon_set(struct canon *c, enum canon_str f, const char *s, size_t n);
/* The field, or NULL (with *n = 0) if not set. Borrowed until the next
 * canon_set/reset/release. */
const char *canon_get(const struct canon *c, enum canon_str f, size_t *n);

/* Set site-defined field i (< nx <= CANON_XMAX; nx the job's field count,
 * the same on every call for one record) to the n bytes at v. Returns 0,
 * or -1 if over CANON_STR_CAP or out of memory. */
int canon_xset(struct canon *c, unsigned i, unsigned nx, const void *v,
	       size_t n);
int canon_xset_i64(struct canon *c, unsigned i, unsigned nx, int64_t v);
/* Field i's bytes, or NULL (with *n = 0) if not set. */
const char *canon_xget(const struct canon *c, unsigned i, size_t *n);
/* Field i as an int64_t (money, integer, date, timestamp): 1 and *v, or
 * 0 if not set (or not 8 bytes). */
int canon_xget_i64(const struct canon *c, unsigned i, int64_t *v);
/* Unset field i. */
void canon_xclear(struct canon *c, unsigned i);
/*
 * Append field i, declared of type t, as text: text as it is, money with
 * at least two decimals (money_format), integers in decimal, dates
 * "YYYY-MM-DD", timestamps "YYYY-MM-DD HH:MM:SS" (UTC), booleans "true" or
 * "false". The one textual form of a site-defined field, for the store's
 * columns and the reports alike. Returns 1 (appended), 0 (not set; nothing
 * appended) or -1 (out of memory, or a stored value that does not decode).
 */
int canon_xformat(const struct canon *c, unsigned i, enum canon_ftype t,
		  struct sbuf *out);

/* 0 if every offset and length of c lies inside c->data, -1 if not: for a
 * record read back from a file (a spill or a state file). */
int canon_check(const struct canon *c);

/* Look a name up in a NULL-padded name table; -1 if not there. */
int canon_lookup(const char *const *names, int count, const char *s,
		 size_t n);

#endif
