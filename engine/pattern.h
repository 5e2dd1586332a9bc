/*
 * pattern.h - Lua 5.4 string patterns (string.find, match, gmatch, gsub)
 * whose every matching step is paid for.
 *
 * Lua's own matcher is a backtracking C loop: one string.match call can
 * run for hours ("a?" 40 times then "a" 40 times on 40 a's) and no count
 * hook fires inside a C function. This is our own implementation of the
 * reference manual's patterns (section 6.4.1) and of the four functions
 * (6.4), with the same results and the same error messages as the stock
 * library, except that it counts what it does and hands the count to a
 * callback that may stop the call.
 *
 * Differences from the stock library, on purpose:
 * - character classes (%a, %d, %s, ...) are those of the C locale, always
 *   (the stock ones follow setlocale(); recon never sets one, so in
 *   practice they agree);
 * - the matching steps are charged (below).
 */
#ifndef RECON_PATTERN_H
#define RECON_PATTERN_H

#include <stdint.h>

#include <lua.h>

/* Steps are handed to the callback in batches of at least this many (and
 * once more, with the rest, when a call ends). */
#define PATTERN_CHARGE_EVERY 1000

/*
 * Called with the steps done since the last call (> 0) by the state L
 * that does them. It may raise a Lua error (luaL_error: level 1 is the
 * Lua function that called string.find & co., so the message carries its
 * file:line) to stop the call; the matcher holds nothing that the error
 * would leak. ud is what pattern_open() was given; fn names the function
 * that does the work ("string.find", "string.match", "string.gmatch",
 * "string.gsub"; static), for the caller's messages.
 *
 * A step is one elementary unit of work: one pattern item tried at one
 * subject position, one character scanned by a repetition or by %b, 32
 * bytes of a bracket class, a back-reference or a replacement string
 * copied, one candidate position of a plain find. Costs are of the order
 * of a Lua VM instruction, so one budget can cover both.
 */
typedef void (*pattern_charge_fn)(lua_State *L, void *ud, uint64_t steps,
				  const char *fn);

/*
 * Replace find, match, gmatch and gsub in the table at stack index
 * `stringlib` (the string library; the string metatable's __index is the
 * same table, so s:match() gets ours too). charge may be NULL (nothing is
 * counted). ud is borrowed: it must outlive every function installed.
 * Raises a Lua error if out of memory (call it inside a protected call).
 */
void pattern_open(lua_State *L, int stringlib, pattern_charge_fn charge,
		  void *ud);

#endif
