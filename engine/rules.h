/*
 * rules.h - the analysts' Lua rules, sandboxed (Lua 5.4).
 *
 * One struct rules is one Lua state holding every rule file of a job.
 * Rules see a tiny surface (see docs/RULES.md): read-only row views,
 * a write-only canonical-record view, exact money, a few helpers, and
 * the standard string/table/math/utf8 libraries minus anything that
 * reaches outside (no io, os, require, load, loadstring, dofile,
 * loadfile, debug, collectgarbage, string.dump). The heap is capped through
 * the allocator (routed through mem.h); each call has an instruction
 * budget enforced by a count hook that keeps raising until the engine
 * resets it, so a rule's own pcall cannot swallow it.
 *
 * A syntax or load error in any rule file is fatal (ERR_RULE with
 * file:line). A runtime error or an exhausted budget inside one record's
 * rule is not: it is returned as a per-record failure with file:line and
 * the engine turns it into a RULE_ERROR outcome.
 */
#ifndef RECON_RULES_H
#define RECON_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "canon.h"
#include "err.h"
#include "job.h"
#include "../connectors/connector.h"

struct rules;

/*
 * Longest message the engine keeps from a rule (fail()'s message, a rule
 * error's text), in bytes. A longer one is cut at a UTF-8 character
 * boundary at or below the cap and ends in TEXT_CUT_MARK (text.h), so
 * the store, the CSV and the HTML report hold the same text
 * (docs/RULES.md, "What the engine keeps").
 */
#define RULES_MESSAGE_CAP ((size_t)4096)
/* Longest rule name rule() accepts, in bytes. */
#define RULES_NAME_CAP ((size_t)256)

/* One verdict of an order rule. Strings owned by the verdict list. */
struct verdict {
	char *rule;	/* rule name as registered */
	char *code;	/* stable code, e.g. "AMOUNT_MISMATCH_ORDER_ERP" */
	char *message;	/* for people */
	char *where;	/* "rules/x.lua:42" of the rule (or of the error) */
	int severity;	/* VERDICT_ERROR / _WARNING / _INFO */
	int is_error;	/* 1: the rule raised an error (RULE_ERROR) */
	/* The comparison the verdict rests on: the last within(a, b, cur)
	 * of the rule's call that returned false before its fail() (none:
	 * has_cmp 0). diff = a - b, tolerance = the largest difference
	 * the job's tolerance for cur allowed there (0: exact); money,
	 * scale MONEY_SCALE. docs/RULES.md, "within". */
	int has_cmp;
	int64_t diff, tolerance;
};

enum { VERDICT_ERROR = 0, VERDICT_WARNING = 1, VERDICT_INFO = 2 };

struct verdict_list {
	struct verdict *v;
	size_t n, alloc;
};

void verdict_list_init(struct verdict_list *l);
void verdict_list_reset(struct verdict_list *l);	/* free entries, keep array */
void verdict_list_release(struct verdict_list *l);

/*
 * Create the state and load job->rule_files in order. Checks that every
 * source's translate function exists. *out is owned by the caller.
 * Errors: ERR_RULE ("rules/x.lua:12: unexpected symbol near 'end'"),
 * ERR_NOMEM.
 */
int rules_open(const struct job *job, struct rules **out, struct error *err);
void rules_free(struct rules *r);

/*
 * Translate one source row with the source's translate function
 * fn(row, out). The function sets fields on `out` (see docs/RULES.md) and
 * returns nothing/true to keep the record or false to skip it.
 * Returns 1 (record in *rec), 0 (skipped), or -2 for a per-record rule
 * failure with the message ("file:line: ...") in *fail; -1 is a fatal
 * error in err (ERR_NOMEM). rec is reset by the caller first.
 */
int rules_translate(struct rules *r, size_t source_idx, const struct row *row,
		    struct canon *rec, struct sbuf *fail, struct error *err);

/*
 * Run every registered order rule on the group, in registration order,
 * appending their verdicts to out. A rule that raises or runs out of
 * budget appends a verdict with is_error set and goes no further for that
 * rule; the other rules still run. Returns 0, or -1 on a fatal error
 * (ERR_NOMEM) in err.
 */
int rules_check(struct rules *r, const struct group *g,
		struct verdict_list *out, struct error *err);

/*
 * Point the rules' global `ref` at the job's reference tables (ref.h),
 * loaded after rules_open(); NULL: none (ref.NAME then raises). set must
 * outlive its use; set NULL before freeing it.
 */
struct ref_set;
void rules_set_refs(struct rules *r, const struct ref_set *set);

/* Number of order rules registered. */
size_t rules_count(const struct rules *r);

/* SHA-256 (hex) over the rule files' bytes, in load order: "the rules in
 * force". Owned by r. */
const char *rules_hash(const struct rules *r);
/* SHA-256 (hex) of rule file i (job->rule_files[i]); owned by r. */
const char *rules_file_hash(const struct rules *r, size_t i);

#endif
