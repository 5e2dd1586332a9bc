/*
 * rules_int.h - the parts of rules.c that the rule-test harness
 * (ruletest.c, `recon test`) and the linter (lint.c, `recon check`)
 * need and nothing else may use. (The values
 * rules see, money first, are lval.h's, below rules.c.)
 *
 * The harness runs analysts' test files in the rules' own Lua state, in
 * a coroutine per test, and calls rules_translate()/rules_check() on the
 * main thread between the coroutine's steps. For that it needs the state,
 * the budget (so a test gets the production per-call budget of its own,
 * paused while the rule it calls runs), the message handler and location
 * parser, money values, and the memory classification of a failed call.
 *
 * Invariant kept by every user: between calls the main thread's stack
 * holds exactly RULES_SLOT_TOP values (the views) and nothing else.
 */
#ifndef RECON_RULES_INT_H
#define RECON_RULES_INT_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "rules.h"

/* Stack slots the views occupy on the main thread between calls. */
#define RULES_SLOT_TOP 3

/* A paused instruction budget (see rules_budget_save/_apply). */
struct rules_budget {
	uint64_t budget;	/* instructions allowed */
	uint64_t steps;		/* instructions counted so far */
	int exhausted;		/* the budget ran out: every instruction raises */
	const char *spent_in;	/* static: the string function that spent it,
				 * or NULL */
};

/*
 * The sandbox alone: a state set up exactly as rules_open() sets one up
 * (same globals, libraries, limits), with no rule file loaded, for the
 * linter (lint.c), which lists what rules can see. rules_free() it.
 */
int rules_open_sandbox(const struct job *job, struct rules **out,
		       struct error *err);

/* The fields of the views rules read (docs/RULES.md): a record (out,
 * o.deal, o.order, list elements), the group o, o.erp. Name i, or NULL
 * past the last. */
enum rules_view { RULES_VIEW_RECORD, RULES_VIEW_GROUP, RULES_VIEW_ERP };
const char *rules_view_field(enum rules_view v, size_t i);

/* The Lua state (main thread); borrowed, owned by r. */
lua_State *rules_lua(struct rules *r);

/* The per-call budget, and the budget of a file's top level. */
uint64_t rules_call_budget(const struct rules *r);
uint64_t rules_load_budget(const struct rules *r);

/* Save the running budget; apply one to thread L (the count hook is set
 * on L unconditionally, so whichever thread runs next is consistent). */
void rules_budget_save(const struct rules *r, struct rules_budget *b);
void rules_budget_apply(struct rules *r, lua_State *L,
			const struct rules_budget *b);
/* Put back a saved budget's numbers without touching any hook: for a
 * thread that still carries the hook rules_budget_apply() set for b (its
 * instruction count carries on). */
void rules_budget_restore(struct rules *r, const struct rules_budget *b);
/* Forget the memory-cap flags of the last call. */
void rules_mem_clear(struct rules *r);

/*
 * After a failed call on thread L (status st, message on L's top): a
 * per-call failure (0, message appended to msg; `where` locates a
 * memory-cap failure) or fatal (-1, ERR_NOMEM in err).
 */
int rules_record_failure(struct rules *r, lua_State *L, int st,
			 const char *where, struct sbuf *msg,
			 struct error *err);
/* After a call on the main thread: give back what a capped call left and
 * reset the stack to RULES_SLOT_TOP. */
void rules_after_call(struct rules *r);

/* Drop the cached column maps: the next rules_translate() builds the map
 * from its row's names even if the names array is at the same address. */
void rules_forget_columns(struct rules *r);

/* The message handler of every entry ("file:line: message"). */
int rules_msgh(lua_State *L);

/* For a helper that compares amounts with a tolerance of its own
 * (lib.money.within, engine/rlib.c): keep a - b and the tolerance as the
 * comparison a fail() of the running rule carries, as within() does
 * (struct verdict's has_cmp). L is a rules state. */
void rules_note_comparison(lua_State *L, int64_t a, int64_t b,
			   int64_t tolerance);
/* Length of "PLACE:LINE" at the start of m (0 if none); see rules.c. */
size_t rules_parse_location(const char *m, int *line, const char **rest);

/* Read a whole file (capped like a rule file) into sb; `what` names it in
 * errors ("rule file", "test file"). ERR_RULE or ERR_NOMEM. */
int rules_read_file(const char *path, const char *what, struct sbuf *sb,
		    struct error *err);

/* Make the bytes of a rule or test file (read by rules_read_file) ready
 * to load: a leading UTF-8 byte order mark is removed from text; Lua
 * bytecode is refused (ERR_RULE, "PATH: is precompiled Lua bytecode, not
 * Lua source; WHATs must be source text"). */
int rules_source_text(const char *path, const char *what, struct sbuf *text,
		      struct error *err);

#endif
