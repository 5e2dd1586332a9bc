/*
 * outcome.h - the stable outcome codes of a reconciliation, in one table.
 *
 * An outcome is data, never an error (STYLE.md practice 9): a missing
 * order or an amount mismatch is what the engine is for. Codes are stable
 * strings (reports, the store and downstream systems key on them); the
 * enum order is the precedence used to pick a record's primary outcome
 * (lower wins).
 */
#ifndef RECON_OUTCOME_H
#define RECON_OUTCOME_H

#include <stddef.h>

enum outcome {
	OUT_RULE_ERROR = 0,		/* a rule raised or ran out of budget */
	OUT_DUPLICATE_KEY,		/* one key twice in one role */
	OUT_DUPLICATE_ORDERS,		/* more than one order for one deal */
	OUT_DUPLICATE_ERP_DOCS,		/* >1 posted ERP document, job says one-to-one */
	OUT_DEAL_WITHOUT_ORDER,		/* past grace */
	OUT_ORDER_WITHOUT_DEAL,
	OUT_ERP_WITHOUT_ORDER,
	OUT_ORDER_NOT_IN_ERP,		/* past grace */
	OUT_CANCELLED_INVOICED,		/* rule */
	OUT_MISSING_AMOUNT,		/* rule */
	OUT_CURRENCY_MISMATCH,		/* rule */
	OUT_AMOUNT_MISMATCH_DEAL_ORDER,	/* rule */
	OUT_AMOUNT_MISMATCH_ORDER_ERP,	/* rule */
	OUT_CUSTOMER_MISMATCH,		/* rule */
	OUT_RULE_FAILED,		/* a rule verdict with a site-defined code */
	OUT_PENDING_ORDER,		/* deal within grace: not an exception */
	OUT_PENDING_ERP,		/* order within grace: not an exception */
	OUT_MATCHED,
	OUT__COUNT
};

struct outcome_info {
	const char *code;
	int is_exception;
	const char *description;
};

extern const struct outcome_info outcome_table[OUT__COUNT];

/* The outcome for a code string, or -1 if the engine does not know it
 * (a rule's own code: reported as RULE_FAILED with the code kept). */
int outcome_lookup(const char *code, size_t n);

#endif
