/*
 * lval.h - the values rule code sees, below every Lua view: exact money
 * (a userdata with its metatable), the check on text the engine keeps,
 * values as messages show them, source values pushed as rules see them,
 * and the out-of-memory raise that makes a call fatal.
 *
 * rules.c (the views and the sandbox), ref.c (reference tables),
 * xfield.c (site-defined fields) and ruletest.c (`recon test`) all use
 * it, so that each value has one Lua form. Its state is a struct
 * lval_ctx that must be the first member of whatever the Lua state's
 * extra space points at (struct rules): lval_ctx(L) reads it there.
 */
#ifndef RECON_LVAL_H
#define RECON_LVAL_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "buf.h"

struct lval_ctx {
	const void *money_mt;	/* identity of money's metatable */
	int money_mt_ref;	/* ... and its registry ref */
	int fatal;		/* a C-side allocation failed during a call */
	struct sbuf tmp;	/* scratch for messages and tostring(money) */
};

/* The context of state L (its extra space points at it). */
static inline struct lval_ctx *lval_ctx(lua_State *L)
{
	return *(struct lval_ctx **)lua_getextraspace(L);
}

/* Create money's metatable and the global money(). In a protected call
 * (it allocates). */
void lval_money_open(lua_State *L);

/* The value at index i if it is money (else NULL); push money v. */
int64_t *lval_money_test(lua_State *L, int i);
void lval_money_push(lua_State *L, int64_t v);
/* Money operand i of operator `op`, or a Lua error saying why not. */
int64_t lval_money_operand(lua_State *L, int i, const char *op);
/* Push the text of money v (at least 2 decimals). */
void lval_money_pushtext(lua_State *L, int64_t v);

/* Raise unless s[0..n) is text the engine can keep (no NUL byte, valid
 * UTF-8); the message starts with `what` ("out.customer"). */
void lval_check_text(lua_State *L, const char *what, const char *s,
		     size_t n);
/* Push s[0..n) as messages show it: at most 256 bytes, NUL and bytes that
 * are not UTF-8 made visible. Returns the pushed string. */
const char *lval_shown(lua_State *L, const char *s, size_t n);

/* Push one column value as rules see it: nil, an integer (times as
 * epoch seconds), money (exact decimals) or a string. type is an enum
 * val_type (connectors/connector.h); s and len are read for VAL_TEXT
 * only. The caller has refused approximate values before. */
void lval_push_value(lua_State *L, int type, int64_t i, const char *s,
		     size_t len);
/* Push "a, b, c": the n names, for an error that lists what there is. */
void lval_push_names(lua_State *L, const char *const *names, size_t n);

/* Raise "out of memory" from a C function and make the call fatal. */
int lval_raise_nomem(lua_State *L);

#endif
