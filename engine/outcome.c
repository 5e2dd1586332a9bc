/*
 * outcome.c - the outcome table.
 */
#include <string.h>

#include "outcome.h"
#include "banned.h"

const struct outcome_info outcome_table[OUT__COUNT] = {
	[OUT_RULE_ERROR] = { "RULE_ERROR", 1,
		"a rule raised an error or ran out of its budget on this record" },
	[OUT_DUPLICATE_KEY] = { "DUPLICATE_KEY", 1,
		"the same key appears more than once in one source role" },
	[OUT_DUPLICATE_ORDERS] = { "DUPLICATE_ORDERS", 1,
		"more than one order is linked to one deal" },
	[OUT_DUPLICATE_ERP_DOCS] = { "DUPLICATE_ERP_DOCS", 1,
		"more than one posted ERP document where the job allows one" },
	[OUT_DEAL_WITHOUT_ORDER] = { "DEAL_WITHOUT_ORDER", 1,
		"a won deal has no order, past the grace period" },
	[OUT_ORDER_WITHOUT_DEAL] = { "ORDER_WITHOUT_DEAL", 1,
		"an order links to no deal" },
	[OUT_ERP_WITHOUT_ORDER] = { "ERP_WITHOUT_ORDER", 1,
		"ERP documents reference an order that does not exist" },
	[OUT_ORDER_NOT_IN_ERP] = { "ORDER_NOT_IN_ERP", 1,
		"an order has no posted ERP document (drafts and cancelled "
		"ones do not count), past the grace period" },
	[OUT_CANCELLED_INVOICED] = { "CANCELLED_INVOICED", 1,
		"a cancelled order has posted invoices" },
	[OUT_MISSING_AMOUNT] = { "MISSING_AMOUNT", 1,
		"an amount needed for reconciliation is missing" },
	[OUT_CURRENCY_MISMATCH] = { "CURRENCY_MISMATCH", 1,
		"deal, order and ERP documents disagree on the currency" },
	[OUT_AMOUNT_MISMATCH_DEAL_ORDER] = { "AMOUNT_MISMATCH_DEAL_ORDER", 1,
		"deal and order amounts differ beyond tolerance" },
	[OUT_AMOUNT_MISMATCH_ORDER_ERP] = { "AMOUNT_MISMATCH_ORDER_ERP", 1,
		"order amount and ERP net amount differ beyond tolerance" },
	[OUT_CUSTOMER_MISMATCH] = { "CUSTOMER_MISMATCH", 1,
		"deal, order and ERP documents disagree on the customer" },
	[OUT_RULE_FAILED] = { "RULE_FAILED", 1,
		"a site-defined order rule failed" },
	[OUT_PENDING_ORDER] = { "PENDING_ORDER", 0,
		"a deal without order, still within the grace period" },
	[OUT_PENDING_ERP] = { "PENDING_ERP", 0,
		"an order not yet in the ERP, still within the grace period" },
	[OUT_MATCHED] = { "MATCHED", 0,
		"deal, order and ERP documents agree" },
};

int outcome_lookup(const char *code, size_t n)
{
	for (int i = 0; i < OUT__COUNT; i++)
		if (strlen(outcome_table[i].code) == n &&
		    memcmp(outcome_table[i].code, code, n) == 0)
			return i;
	return -1;
}
