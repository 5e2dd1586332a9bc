/*
 * rules.c - the analysts' Lua rules in one sandboxed Lua 5.4 state.
 *
 * What rules see is documented for analysts in docs/RULES.md; this file
 * keeps that surface and the engine's guarantees:
 *
 * - The heap is capped: the state's allocator (rules_alloc) routes every
 *   byte through mem.h, so fault injection covers Lua too, and refuses to
 *   grow past job->rule_memory. A cap hit inside a record is a per-record
 *   failure; a full GC runs before the next call.
 * - Each call has an instruction budget. A count hook adds up steps; once
 *   the budget is spent it switches to firing on every instruction and
 *   raises every time, until budget_reset() before the next call, so a
 *   rule's own pcall cannot swallow the stop.
 * - No rule code runs where the hook cannot fire. Lua runs no hook inside
 *   a hook, and calls the active message handler from inside the count
 *   hook when the error is the budget's: so the sandbox's xpcall
 *   (l_xpcall) calls its handler only after unwinding, and msgh, which
 *   may run inside the hook, runs no Lua (no __tostring or __name of the
 *   error object). __close handlers run after unwinding, hooks back on;
 *   __gc is refused (l_setmetatable); there is no coroutine library, so
 *   the only threads are the main one and the rule tests' (ruletest.c),
 *   each given the hook before it runs.
 * - What the sandbox takes away (io, os, print, math.random, ...) is not
 *   just nil: _G, string and math have an __index (l_refused) that raises
 *   a message saying what to use instead; other missing names stay nil.
 *   Every message to analysts says where, what and what to do (the
 *   *_HINT texts; docs/RULES.md shows them).
 * - Rule files are read only if they are regular files (file.h: a FIFO
 *   would block the open forever); a UTF-8 byte order mark is skipped,
 *   Lua bytecode refused (rules_source_text).
 * - Every entry is a lua_pcall with msgh() as handler. Nothing that can
 *   allocate on the Lua side runs outside a protected call (an unprotected
 *   memory error would reach the panic function).
 * - C functions called from Lua hold nothing a Lua error would leak: any
 *   C allocation is owned by struct rules before the next call that may
 *   raise.
 *
 * Hot path (one translate call per source row, one check call per rule
 * and group): the row, out and group views are userdata created once and
 * repointed at the borrowed C structs for the duration of one call (the
 * pointers are NULL between calls, so a view kept in a global cannot read
 * freed memory). Field names map to small integers through Lua tables
 * held as upvalues; column names through one table per source, built the
 * first time that source's column array is seen. Functions are registry
 * refs. Per record, the C side allocates nothing.
 *
 * String patterns (string.find, match, gmatch, gsub) are pattern.c's, not
 * the stock library's: the stock matcher is a C loop no count hook can
 * stop, and a backtracking pattern ran for hours inside one call. Ours
 * count their matching steps into the same per-call budget
 * (pattern_charge), so such a pattern ends as "instruction budget ...
 * exhausted in string.match ..." like a Lua loop ends as "instruction
 * budget ... exhausted ...". What is left unhooked are library calls
 * whose work the heap cap bounds (table.sort or table.concat over a few
 * million elements: seconds, not hours); see docs/RULES.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <openssl/evp.h>

#include "rules.h"
#include "rules_int.h"
#include "phase.h"
#include "file.h"
#include "keynorm.h"
#include "lval.h"
#include "mem.h"
#include "money.h"
#include "pattern.h"
#include "ref.h"
#include "rlib.h"
#include "tstamp.h"
#include "text.h"
#include "xfield.h"
#include "banned.h"

#define LOAD_BUDGET_FACTOR 100	/* a file's top level may do setup work */
#define HOOK_EVERY 1000		/* instructions between budget checks */
#define REP_CAP ((size_t)1 << 20)	/* string.rep result and count limit */
#define MOVE_CAP ((lua_Integer)1 << 20)	/* table.move element limit */
#define RULE_FILE_CAP ((size_t)16 << 20)
#define CODE_CAP 64		/* longest fail() code */

/* Fixed stack slots of the main thread between calls. */
enum { SLOT_ROW = 1, SLOT_OUT, SLOT_GROUP, SLOT_TOP = SLOT_GROUP };
_Static_assert(SLOT_TOP == RULES_SLOT_TOP, "rules_int.h: RULES_SLOT_TOP");

/* Field ids of a canonical record view (0..CS__COUNT-1 are the strings). */
enum { F_AMOUNT = CS__COUNT, F_TIME, F_STATUS, F_DOCTYPE, F_FIELDS,
       F__COUNT };
static const char *const extra_field_names[] = {
	"amount", "time", "status", "doc_type", "fields",
};
#define CANON_FIELD_LIST "key, deal_ref, order_ref, customer, currency, " \
	"name, amount, time, status, doc_type, fields"

enum { G_KEY, G_DEAL, G_ORDER, G_NORDERS, G_ERP, G_ORDERS, G__COUNT };
static const char *const group_field_names[G__COUNT] = {
	"key", "deal", "order", "norders", "erp", "orders",
};
#define GROUP_FIELD_LIST "key, deal, order, norders, erp, orders"

enum {
	E_DOCS, E_NDOCS, E_INVOICES, E_CREDITS, E_SALES, E_DRAFTS, E_CANCELLED,
	E_INVOICED, E_ORDERED, E_AMOUNT, E_CURRENCY, E_MIXED, E_UNPRICED,
	E__COUNT
};
static const char *const erp_field_names[E__COUNT] = {
	"docs", "ndocs", "invoices", "credits", "sales", "drafts", "cancelled",
	"invoiced", "ordered", "amount", "currency", "mixed_currency",
	"unpriced",
};
#define ERP_FIELD_LIST "docs, ndocs, invoices, credits, sales, drafts, " \
	"cancelled, invoiced, ordered, amount, currency, mixed_currency, " \
	"unpriced"

/* The list views o.erp.docs and o.orders (their userdata's payload). */
enum { L_DOCS, L_ORDERS };

/* The base functions rules keep; everything else in _G goes. */
static const char *const base_allowed[] = {
	"assert", "error", "ipairs", "next", "pairs", "pcall", "select",
	"tonumber", "tostring", "type", "xpcall", "rawequal", "rawget",
	"rawlen", "rawset", "setmetatable", "getmetatable", "_G", "_VERSION",
	"string", "table", "math", "utf8", NULL
};

struct rsource {
	int fn_ref;		/* the translate function */
	char *where;		/* owned: "file:line" where it is defined */
	int colmap_ref;		/* column name -> 0-based index */
	const char *const *names;	/* the column array colmap is for */
	size_t ncols;
};

struct rrule {
	char *name;		/* owned */
	char *where;		/* owned: "file:line" of its function */
	int ref;
};

/* A canonical record view: out (writable) or o.deal / o.order, or an
 * element of o.erp.docs / o.orders. */
struct cview {
	struct canon *c;	/* borrowed for one call; NULL between calls */
	/* 0 for the fixed views (c is cleared after each call); a list
	 * element's is the rules_check() call it was made in (rules.gen),
	 * so one kept past its call raises instead of reading freed
	 * memory */
	uint64_t gen;
};

/* The site-defined fields of a record view (out.fields, o.deal.fields,
 * ...): its user value 1 is the record view, which keeps it alive in
 * turn as its own user value 1 (made on first use). */
struct fview {
	struct cview *cv;
};

struct rules {
	/* First: the state's extra space points at r, and lval.c reads
	 * its context there (lval.h). */
	struct lval_ctx lv;
	lua_State *L;
	const struct job *job;	/* borrowed: must outlive r */

	size_t mem_used, mem_cap;
	int mem_capped;		/* the cap refused an allocation */
	int mem_failed;		/* mem_realloc refused: really out of memory */

	uint64_t call_budget, budget, steps;
	int hook_every;
	int exhausted;
	/* static: the string function that spent the budget ("string.match"),
	 * NULL if Lua code did; the stop message names it (budget_hint) */
	const char *spent_in;
	int loading;		/* rule() allowed */

	struct rsource *src;
	size_t nsrc;
	struct rrule *rule;
	size_t nrules, alloc_rules;

	/* The views; the userdata live in the stack slots. */
	struct cview *outv, *dealv, *orderv;
	const struct row *cur_row;
	size_t cur_src;
	size_t row_src;		/* source whose colmap the row view holds */
	const struct group *cur_group;
	uint64_t gen;		/* rules_check() calls, +1 at each end */
	int record_mt_ref;	/* the read-only record views' metatable */
	int fields_out_mt_ref;	/* out.fields' metatable */
	int fields_ro_mt_ref;	/* the read-only records' .fields */
	struct ref_view *refv;	/* the global `ref` (ref.c) */

	const void *verdict_mt;	/* identity of the verdicts' metatable */
	int verdict_mt_ref;
	/* the last within() of the running rule that returned false: what
	 * its fail() verdict carries (struct verdict's has_cmp) */
	struct rcmp {
		int set;
		int64_t diff, tolerance;
	} cmp;

	const char **pfx;	/* scratch for key()'s prefix list */
	size_t *pfx_len;
	size_t pfx_alloc;

	char hash[EVP_MAX_MD_SIZE * 2 + 1];
	char (*file_hash)[65];	/* per rule file, load order */
};

static struct rules *R(lua_State *L)
{
	return *(struct rules **)lua_getextraspace(L);
}

/* ---- verdict lists -------------------------------------------------- */

void verdict_list_init(struct verdict_list *l)
{
	l->v = NULL;
	l->n = l->alloc = 0;
}

static void verdict_free(struct verdict *v)
{
	mem_free(v->rule);
	mem_free(v->code);
	mem_free(v->message);
	mem_free(v->where);
}

void verdict_list_reset(struct verdict_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		verdict_free(&l->v[i]);
	l->n = 0;
}

void verdict_list_release(struct verdict_list *l)
{
	verdict_list_reset(l);
	mem_free(l->v);
	verdict_list_init(l);
}

static int verdict_push(struct verdict_list *l, const char *rule,
			const char *code, size_t code_len, const char *msg,
			size_t msg_len, const char *where, size_t where_len,
			int severity, int is_error)
{
	struct verdict *v;

	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 8, bytes;
		struct verdict *nv;

		if (mem_mul(na, sizeof(*nv), &bytes) < 0)
			return -1;
		nv = mem_realloc(l->v, bytes);
		if (!nv)
			return -1;
		l->v = nv;
		l->alloc = na;
	}
	v = &l->v[l->n];
	v->rule = mem_strdup(rule);
	v->code = mem_strndup(code, code_len);
	v->message = mem_strndup(msg, msg_len);
	v->where = mem_strndup(where, where_len);
	v->severity = severity;
	v->is_error = is_error;
	v->has_cmp = 0;
	v->diff = v->tolerance = 0;
	if (!v->rule || !v->code || !v->message || !v->where) {
		verdict_free(v);
		return -1;
	}
	l->n++;
	return 0;
}

/* ---- allocator, budget, message handler ----------------------------- */

/* Lua's allocator: mem.h underneath, with the job's cap on top. */
static void *rules_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct rules *r = ud;
	size_t old = ptr ? osize : 0;	/* without ptr, osize is a type tag */
	void *p;

	if (nsize == 0) {
		mem_free(ptr);
		r->mem_used -= old;
		return NULL;
	}
	if (nsize > old && nsize - old > r->mem_cap - r->mem_used) {
		r->mem_capped = 1;
		return NULL;
	}
	p = mem_realloc(ptr, nsize);
	if (!p) {
		if (ptr && nsize <= old) {
			/* A shrink that failed: the old block still serves. */
			r->mem_used = r->mem_used - old + nsize;
			return ptr;
		}
		r->mem_failed = 1;
		return NULL;
	}
	r->mem_used = r->mem_used - old + nsize;
	return p;
}

/* What the budget's stop message says after "instruction budget of N
 * exhausted", for an analyst: why, and what to do. One line. */
#define BUDGET_HINT_LOOP " (an endless loop, or too much work for one " \
	"call); fix the rule, or raise rule-instructions in the job's <limits>"
#define BUDGET_HINT_PATTERN " (the pattern backtracks: it tries too many " \
	"ways to match); anchor it (^...$), match runs with a class such as " \
	"[^,]* in place of .- or .*, or raise rule-instructions in the job's " \
	"<limits>"

#define MEMORY_HINT " (a table or string that keeps growing?); keep " \
	"less per call, or raise rule-memory in the job's <limits>"

/* Push the budget's stop message, "[WHERE: ]instruction budget of N
 * exhausted ..." (WHERE empty: no position). Runs inside the count hook
 * too: C formatting only. */
static void push_budget_message(lua_State *L, const struct rules *r,
				const char *where)
{
	if (r->spent_in)
		lua_pushfstring(L, "%sinstruction budget of %I exhausted in "
				"%s" BUDGET_HINT_PATTERN, where,
				(lua_Integer)r->budget, r->spent_in);
	else
		lua_pushfstring(L, "%sinstruction budget of %I exhausted"
				BUDGET_HINT_LOOP, where,
				(lua_Integer)r->budget);
}

static void hook(lua_State *L, lua_Debug *ar)
{
	struct rules *r = R(L);

	if (!r->exhausted) {
		r->steps += (uint64_t)r->hook_every;
		if (r->steps < r->budget)
			return;
		/* From now on every instruction raises: a pcall inside the
		 * rule catches one error, the next instruction raises again. */
		r->exhausted = 1;
		r->hook_every = 1;
		lua_sethook(L, hook, LUA_MASKCOUNT, 1);
	}
	if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
		lua_pushfstring(L, "%s:%d: ", ar->short_src, ar->currentline);
		push_budget_message(L, r, lua_tostring(L, -1));
	} else {
		push_budget_message(L, r, "");
	}
	lua_error(L);
}

static void budget_reset(struct rules *r, uint64_t budget)
{
	int every = budget < HOOK_EVERY ? (int)budget : HOOK_EVERY;

	if (every < 1)
		every = 1;
	r->steps = 0;
	r->budget = budget;
	r->spent_in = NULL;
	r->mem_capped = r->mem_failed = r->lv.fatal = 0;
	if (r->exhausted || r->hook_every != every) {
		r->exhausted = 0;
		r->hook_every = every;
		lua_sethook(r->L, hook, LUA_MASKCOUNT, every);
	}
}

/* The charge callback of lib's helpers (rlib.h) and, through
 * pattern_charge below, of string patterns: work done in C counts
 * against the call's instruction budget like VM instructions. Once the
 * budget is spent it raises on every charge, as hook() raises on every
 * instruction, until budget_reset(); so a pcall around string.match
 * catches one error and the next instruction or match raises again.
 * luaL_error's position is the Lua line that called the C function. */
static void budget_charge(lua_State *L, void *ud, uint64_t steps)
{
	struct rules *r = ud;

	if (!r->exhausted) {
		r->steps += steps;
		if (r->steps < r->budget)
			return;
		r->exhausted = 1;
		r->hook_every = 1;
		lua_sethook(L, hook, LUA_MASKCOUNT, 1);
	}
	luaL_where(L, 1);
	push_budget_message(L, r, lua_tostring(L, -1));
	lua_error(L);
}

/* String patterns' charge callback (pattern.h): budget_charge, and the
 * budget's message names the pattern function that spent it, even when
 * a pcall swallowed the first stop and the next instruction raises. */
static void pattern_charge(lua_State *L, void *ud, uint64_t steps,
			   const char *fn)
{
	struct rules *r = ud;

	if (!r->exhausted && r->steps + steps >= r->budget)
		r->spent_in = fn;
	budget_charge(L, ud, steps);
}

/*
 * Find "PLACE:LINE: " at the start of m's first line. Returns the length
 * of "PLACE:LINE" (0 if there is none) and sets *line and *rest (the text
 * after ": ").
 */
static size_t parse_location(const char *m, int *line, const char **rest)
{
	for (const char *p = m; *p && *p != '\n'; p++) {
		const char *q = p + 1;
		long n = 0;

		if (*p != ':' || p == m || *q < '0' || *q > '9')
			continue;
		while (*q >= '0' && *q <= '9' && n < 100000000)
			n = n * 10 + (*q++ - '0');
		if (*q == ':') {
			*line = (int)n;
			*rest = q[1] == ' ' ? q + 2 : q + 1;
			return (size_t)(q - m);
		}
	}
	*line = 0;
	*rest = m;
	return 0;
}

#define NIL_HINT " (a value here is nil: an SQL NULL, a field that is " \
	"not set, or a misspelt name; guard it, e.g. `x and x.y`, " \
	"`(x or 0) + 1`)"

/* Is m Lua's message for an operation on nil, with no hint yet? */
static int needs_nil_hint(const char *m)
{
	const char *a = strstr(m, "attempt to ");

	return a && (strstr(a, "a nil value") || strstr(a, "compare nil ") ||
		     strstr(a, " with nil")) && !strstr(m, NIL_HINT);
}

/* The message on top of the stack, with NIL_HINT added if it needs one. */
static void add_nil_hint(lua_State *L)
{
	const char *m = lua_tostring(L, -1);

	if (m && needs_nil_hint(m)) {
		lua_pushliteral(L, NIL_HINT);
		lua_concat(L, 2);
	}
}

/* The message handler of every entry: keep "file:line: message" (adding
 * the innermost Lua position if the error has none, and NIL_HINT to
 * Lua's messages about nil), no traceback. It may run inside the count
 * hook, where no hook fires, so it must never run Lua code: no
 * __tostring or __name of the error object (luaL_typename is the raw
 * type name), nothing but raw reads and C-string formatting. */
static int msgh(lua_State *L)
{
	const char *m = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1)
						      : NULL;
	const char *rest;
	lua_Debug ar;
	int line;

	if (m && parse_location(m, &line, &rest) > 0) {
		lua_settop(L, 1);
		add_nil_hint(L);
		return 1;
	}
	for (int lv = 1; lua_getstack(L, lv, &ar); lv++) {
		const char *src;

		if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
			continue;
		/* the whole chunk name, as function_where() gives it */
		src = ar.source[0] == '@' ? ar.source + 1 : ar.short_src;
		if (m) {
			/* the message is concatenated, not formatted: "%s"
			 * would cut it at a NUL byte (error("a\0b", 0)) */
			lua_pushfstring(L, "%s:%d: ", src, ar.currentline);
			lua_pushvalue(L, 1);
			lua_concat(L, 2);
			add_nil_hint(L);
		} else {
			lua_pushfstring(L, "%s:%d: error object is a %s value",
					src, ar.currentline,
					luaL_typename(L, 1));
		}
		return 1;
	}
	if (!m)
		lua_pushfstring(L, "error object is a %s value",
				luaL_typename(L, 1));
	else
		add_nil_hint(L);
	return 1;
}

/* "file:line" of the function on top of the stack (popped); owned by the
 * caller, NULL when out of memory. The file is the whole chunk name (a
 * rule file's published name), not Lua's short_src, which shortens
 * names over LUA_IDSIZE with "...": a verdict's `where` is published. */
static char *function_where(lua_State *L)
{
	struct sbuf sb = SBUF_INIT(4096);
	lua_Debug ar;

	lua_getinfo(L, ">S", &ar);
	if (sbuf_addf(&sb, "%s:%d", ar.source[0] == '@' ? ar.source + 1
				    : ar.short_src, ar.linedefined) < 0) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb, NULL);
}

/* ---- helpers for rules: within, key, date, fail, rule --------------- */

/* Keep a - b and the largest difference t allowed between them (the
 * absolute tolerance or the relative one of |b|, whichever is larger,
 * as money_within passes them; NULL: exact, 0) for the rule's verdict.
 * A difference beyond int64 (two amounts near the ends of the range)
 * is not kept. */
static void note_cmp(struct rules *r, int64_t a, int64_t b,
		     const struct job_tolerance *t)
{
	__int128 d = (__int128)a - (__int128)b, base = b, allowed = 0;

	r->cmp.set = 0;
	if (d > INT64_MAX || d < INT64_MIN)
		return;
	if (base < 0)
		base = -base;
	if (t && t->absolute > 0)
		allowed = t->absolute;
	if (t && t->rel_ppm > 0 && base * t->rel_ppm / 1000000 > allowed)
		allowed = base * t->rel_ppm / 1000000;
	if (allowed > INT64_MAX)
		return;
	r->cmp.set = 1;
	r->cmp.diff = (int64_t)d;
	r->cmp.tolerance = (int64_t)allowed;
}

void rules_note_comparison(lua_State *L, int64_t a, int64_t b,
			   int64_t tolerance)
{
	struct job_tolerance t;

	memset(&t, 0, sizeof(t));
	t.absolute = tolerance;
	note_cmp(R(L), a, b, &t);
}

static int l_within(lua_State *L)
{
	int64_t a = lval_money_operand(L, 1, "within"), b = lval_money_operand(L, 2,
								      "within");
	const struct job_tolerance *t;
	const char *cur = NULL;
	size_t n = 0;
	int ok;

	if (!lua_isnoneornil(L, 3)) {
		if (lua_type(L, 3) != LUA_TSTRING)
			return luaL_error(L, "within(a, b, currency): currency "
					  "must be a string, not a %s",
					  luaL_typename(L, 3));
		cur = lua_tolstring(L, 3, &n);
	}
	t = job_tolerance_for(R(L)->job, cur, n);
	ok = t ? money_within(a, b, t->absolute, t->rel_ppm) : a == b;
	if (!ok)
		note_cmp(R(L), a, b, t);
	lua_pushboolean(L, ok);
	return 1;
}

/* Read key()'s option table at index i into o (strings stay owned by the
 * table, which is on the stack for the whole call). */
static void key_opts(lua_State *L, int i, struct keynorm_opts *o)
{
	struct rules *r = R(L);
	int t;

	lua_pushnil(L);
	while (lua_next(L, i)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING
			? lua_tostring(L, -2) : NULL;

		if (!k || (strcmp(k, "strip") && strcmp(k, "prefix") &&
			   strcmp(k, "zeros") && strcmp(k, "lower")))
			luaL_error(L, "key(): unknown option '%s' (options: "
				   "strip, prefix, zeros, lower)",
				   k ? k : luaL_typename(L, -2));
		lua_pop(L, 1);
	}
	t = lua_getfield(L, i, "strip");
	if (t == LUA_TSTRING) {
		o->strip = lua_tolstring(L, -1, &o->strip_len);
		for (size_t j = 0; j < o->strip_len; j++)
			if ((unsigned char)o->strip[j] >= 128)
				luaL_error(L, "key(): strip takes ASCII "
					   "characters only");
	} else if (t != LUA_TNIL) {
		luaL_error(L, "key(): strip must be a string of characters");
	}
	lua_pop(L, 1);

	t = lua_getfield(L, i, "prefix");
	if (t == LUA_TSTRING || t == LUA_TTABLE) {
		size_t n = t == LUA_TSTRING ? 1 : (size_t)lua_rawlen(L, -1);

		if (n > r->pfx_alloc) {
			size_t bytes, lbytes;
			const char **np;
			size_t *nl;

			if (mem_mul(n, sizeof(*r->pfx), &bytes) < 0 ||
			    mem_mul(n, sizeof(*r->pfx_len), &lbytes) < 0)
				luaL_error(L, "key(): too many prefixes");
			np = mem_realloc(r->pfx, bytes);
			if (!np)
				lval_raise_nomem(L);
			r->pfx = np;
			nl = mem_realloc(r->pfx_len, lbytes);
			if (!nl)
				lval_raise_nomem(L);
			r->pfx_len = nl;
			r->pfx_alloc = n;
		}
		if (t == LUA_TSTRING) {
			r->pfx[0] = lua_tolstring(L, -1, &r->pfx_len[0]);
		} else {
			for (size_t j = 0; j < n; j++) {
				if (lua_rawgeti(L, -1, (lua_Integer)j + 1) !=
				    LUA_TSTRING)
					luaL_error(L, "key(): prefix list "
						   "item %I is not a string",
						   (lua_Integer)j + 1);
				/* Anchored by the prefix table. */
				r->pfx[j] = lua_tolstring(L, -1,
							  &r->pfx_len[j]);
				lua_pop(L, 1);
			}
		}
		o->prefix = r->pfx;
		o->prefix_len = r->pfx_len;
		o->nprefix = n;
	} else if (t != LUA_TNIL) {
		luaL_error(L, "key(): prefix must be a string or a list of "
			   "strings");
	}
	/* The prefix value stays on the stack: it anchors the strings. */

	t = lua_getfield(L, i, "zeros");
	if (t != LUA_TNIL && t != LUA_TBOOLEAN)
		luaL_error(L, "key(): zeros must be true or false");
	o->zeros = lua_toboolean(L, -1);
	lua_pop(L, 1);
	t = lua_getfield(L, i, "lower");
	if (t != LUA_TNIL && t != LUA_TBOOLEAN)
		luaL_error(L, "key(): lower must be true or false");
	o->lower = lua_toboolean(L, -1);
	lua_pop(L, 1);
}

static int l_key(lua_State *L)
{
	struct rules *r = R(L);
	struct keynorm_opts o = KEYNORM_OPTS_INIT;
	const char *s;
	size_t n;

	switch (lua_type(L, 1)) {
	case LUA_TNIL:
	case LUA_TNONE:
		lua_pushnil(L);
		return 1;
	case LUA_TNUMBER:
		if (!lua_isinteger(L, 1))
			return luaL_error(L, "key(%f): a float is not a key",
					  lua_tonumber(L, 1));
		break;
	case LUA_TSTRING:
		break;
	default:
		return luaL_error(L, "key() wants a string, not a %s",
				  luaL_typename(L, 1));
	}
	s = lua_tolstring(L, 1, &n);
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		key_opts(L, 2, &o);
	}
	sbuf_reset(&r->lv.tmp);
	if (keynorm_apply(s, n, &o, &r->lv.tmp) < 0) {
		if (r->lv.tmp.failed == SBUF_TOOLONG)
			return luaL_error(L, "key(): value too long");
		return lval_raise_nomem(L);
	}
	lua_pushlstring(L, r->lv.tmp.buf, r->lv.tmp.len);
	return 1;
}

static int l_date(lua_State *L)
{
	const char *s;
	size_t n;
	int64_t t;

	if (lua_isinteger(L, 1)) {	/* already epoch seconds */
		lua_settop(L, 1);
		return 1;
	}
	if (lua_type(L, 1) != LUA_TSTRING)
		return luaL_error(L, "date() wants a date string, not a %s",
				  luaL_typename(L, 1));
	s = lua_tolstring(L, 1, &n);
	if (tstamp_parse(s, n, &t) < 0)
		return luaL_error(L, "date(\"%s\"): not a date (expected "
				  "YYYY-MM-DD, optionally with HH:MM[:SS] "
				  "and Z or +HH:MM)", lval_shown(L, s, n));
	lua_pushinteger(L, (lua_Integer)t);
	return 1;
}

static int severity_of(const char *s)
{
	if (strcmp(s, "error") == 0)
		return VERDICT_ERROR;
	if (strcmp(s, "warning") == 0)
		return VERDICT_WARNING;
	if (strcmp(s, "info") == 0)
		return VERDICT_INFO;
	return -1;
}

/* fail(code, message [, severity]) -> a verdict userdata holding the
 * severity, with code and message as user values 1 and 2. */
/* A verdict fail() made: its severity and the comparison it rests on;
 * the code and the message are its user values 1 and 2. */
struct rverdict {
	int sev;
	struct rcmp cmp;
};

static int l_fail(lua_State *L)
{
	size_t n;
	const char *code = luaL_checklstring(L, 1, &n);
	int sev = VERDICT_ERROR;
	struct rverdict *p;

	if (n == 0 || n > CODE_CAP || code[0] < 'A' || code[0] > 'Z')
		goto bad_code;
	for (size_t i = 1; i < n; i++) {
		char c = code[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			goto bad_code;
	}
	if (lua_type(L, 2) != LUA_TSTRING && lua_type(L, 2) != LUA_TNUMBER)
		return luaL_error(L, "fail(\"%s\", message): message must be a "
				  "string, not a %s", code,
				  luaL_typename(L, 2));
	if (!lua_isnoneornil(L, 3)) {
		const char *s = lua_type(L, 3) == LUA_TSTRING
			? lua_tostring(L, 3) : "";

		sev = severity_of(s);
		if (sev < 0)
			return luaL_error(L, "fail(): severity must be "
					  "\"error\", \"warning\" or \"info\"");
	}
	{
		struct rules *r = R(L);
		const char *m = luaL_tolstring(L, 2, &n);

		lua_pushfstring(L, "fail(\"%s\", message)", code);
		lval_check_text(L, lua_tostring(L, -1), m, n);
		lua_pop(L, 1);
		if (n > RULES_MESSAGE_CAP) {
			sbuf_reset(&r->lv.tmp);
			if (text_add_clean(&r->lv.tmp, m, n, RULES_MESSAGE_CAP) < 0)
				return lval_raise_nomem(L);
			lua_pop(L, 1);
			lua_pushlstring(L, r->lv.tmp.buf, r->lv.tmp.len);
		}
	}
	p = lua_newuserdatauv(L, sizeof(*p), 2);
	p->sev = sev;
	p->cmp = R(L)->cmp;
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 1);
	lua_pushvalue(L, -2);
	lua_setiuservalue(L, -2, 2);
	lua_rawgeti(L, LUA_REGISTRYINDEX, R(L)->verdict_mt_ref);
	lua_setmetatable(L, -2);
	return 1;
bad_code:
	return luaL_error(L, "fail(): code \"%s\" must be 1-%d characters of "
			  "A-Z, 0-9 and _, starting with a letter "
			  "(e.g. \"AMOUNT_MISMATCH\")", code, CODE_CAP);
}

static int l_rule(lua_State *L)
{
	struct rules *r = R(L);
	size_t n;
	const char *name = luaL_checklstring(L, 1, &n);
	struct rrule *nr;
	char *dname, *where;
	int ref;

	if (!r->loading)
		return luaL_error(L, "rule(\"%s\"): rules can only be "
				  "registered while the rule files load", name);
	if (n == 0)
		return luaL_error(L, "rule(): the name must not be empty");
	if (n > RULES_NAME_CAP)
		return luaL_error(L, "rule(): a name of %I bytes is over the "
				  "limit of %I", (lua_Integer)n,
				  (lua_Integer)RULES_NAME_CAP);
	lval_check_text(L, "rule() name", name, n);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	for (size_t i = 0; i < r->nrules; i++)
		if (strcmp(r->rule[i].name, name) == 0)
			return luaL_error(L, "rule(\"%s\"): a rule of that name "
					  "is already registered at %s", name,
					  r->rule[i].where);
	if (r->nrules == r->alloc_rules) {
		size_t na = r->alloc_rules ? r->alloc_rules * 2 : 16, bytes;

		if (mem_mul(na, sizeof(*nr), &bytes) < 0)
			return lval_raise_nomem(L);
		nr = mem_realloc(r->rule, bytes);
		if (!nr)
			return lval_raise_nomem(L);
		r->rule = nr;
		r->alloc_rules = na;
	}
	lua_pushvalue(L, 2);
	ref = luaL_ref(L, LUA_REGISTRYINDEX);	/* may raise: nothing held */
	lua_pushvalue(L, 2);
	where = function_where(L);
	dname = mem_strndup(name, n);
	if (!where || !dname) {
		mem_free(where);
		mem_free(dname);
		luaL_unref(L, LUA_REGISTRYINDEX, ref);
		return lval_raise_nomem(L);
	}
	r->rule[r->nrules].name = dname;
	r->rule[r->nrules].where = where;
	r->rule[r->nrules].ref = ref;
	r->nrules++;
	return 0;
}

/* string.rep with a cap on the result. */
static int l_rep(lua_State *L)
{
	size_t l, lsep, total;
	lua_Integer n;

	luaL_checklstring(L, 1, &l);
	n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n > 0) {
		size_t seps;

		/* The count too: rep("", 1 << 62) is an empty result after
		 * 2^62 iterations of a C loop no hook can stop. */
		if ((size_t)n > REP_CAP || mem_mul(l, (size_t)n, &total) < 0 ||
		    mem_mul(lsep, (size_t)(n - 1), &seps) < 0 ||
		    mem_add(total, seps, &total) < 0 || total > REP_CAP)
			return luaL_error(L, "string.rep: result over the "
					  "limit of %I bytes",
					  (lua_Integer)REP_CAP);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

/* table.move with a cap on the count: moving nils between empty tables
 * is a C loop that allocates nothing and that no hook can stop. */
static int l_move(lua_State *L)
{
	lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);

	if (e >= f && (lua_Unsigned)e - (lua_Unsigned)f >=
		      (lua_Unsigned)MOVE_CAP)
		return luaL_error(L, "table.move: more than %I elements",
				  MOVE_CAP);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

/* setmetatable that refuses __gc: a finaliser would run rule code at an
 * arbitrary later point, outside the call that owns the budget. */
static int l_setmetatable(lua_State *L)
{
	int t = lua_type(L, 2);

	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
	if (t == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "setmetatable(): __gc is not "
					  "available to rules");
		lua_pop(L, 1);
	}
	if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
		return luaL_error(L, "cannot change a protected metatable");
	lua_settop(L, 2);
	lua_setmetatable(L, 1);
	return 1;
}

/*
 * xpcall(f, handler, ...) for rules, in place of Lua's. Lua's own calls
 * the handler at the point of the error, before unwinding. When the error
 * is the instruction budget's, that point is inside the count hook, where
 * Lua runs no hooks (ldo.c: luaD_hook clears L->allowhook and
 * luaG_errormsg calls the handler from there), so a handler that loops
 * would never be stopped. This one runs f as pcall does (no handler while
 * f runs) and, once f's frames are gone, calls the handler as an
 * ordinary call, counted like any other code. The handler gets the error
 * value and its first result is xpcall's second; if the handler itself
 * raises, that error is. Memory errors skip the handler, as in Lua.
 * Continuations keep both calls yieldable, as Lua's xpcall is (rule tests
 * call translate() and check(), which yield, from inside it).
 * Stack: f, handler, true, then f's results or the error.
 */
static int xpcall_handled(lua_State *L, int status, lua_KContext ctx)
{
	(void)status;	/* the result or the handler's error: either way */
	(void)ctx;
	lua_pushboolean(L, 0);
	lua_replace(L, 3);
	return 2;
}

static int xpcall_done(lua_State *L, int status, lua_KContext ctx)
{
	(void)ctx;
	if (status == LUA_OK || status == LUA_YIELD)	/* YIELD: resumed, ok */
		return lua_gettop(L) - 2;
	if (status == LUA_ERRMEM)
		return xpcall_handled(L, status, 0);
	lua_pushvalue(L, 2);
	lua_insert(L, -2);
	status = lua_pcallk(L, 1, 1, 0, 0, xpcall_handled);
	return xpcall_handled(L, status, 0);
}

static int l_xpcall(lua_State *L)
{
	int n = lua_gettop(L);

	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushboolean(L, 1);
	lua_pushvalue(L, 1);
	lua_rotate(L, 3, 2);	/* f, handler, true, f, args... */
	return xpcall_done(L, lua_pcallk(L, n - 2, LUA_MULTRET, 0, 0,
					 xpcall_done), 0);
}

/* ---- views ---------------------------------------------------------- */

/* The small integer a field name maps to in the table at upvalue 1, or
 * -1. The key is at index 2 (as in __index and __newindex). */
static int field_id(lua_State *L)
{
	lua_Integer id;
	int ok;

	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1));
	id = lua_tointegerx(L, -1, &ok);
	lua_pop(L, 1);
	return ok ? (int)id : -1;
}

static const char *key_text(lua_State *L)
{
	return lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2)
					      : luaL_typename(L, 2);
}

/* A source value the connector could not prove exact (value.approx):
 * raise, naming the column, its type and the driver's text. */
static int approx_error(lua_State *L, const char *name, const struct value *v)
{
	return luaL_error(L, "row.%s: column %s is %s and holds %s, which is "
			  "not an exact decimal; CAST it to DECIMAL or TEXT in "
			  "the query", name, name, v->approx, v->s ? v->s : "?");
}

static int row_index(lua_State *L)
{
	struct rules *r = R(L);
	const struct row *row = r->cur_row;
	const struct value *v;
	lua_Integer i;
	int ok;

	if (!row)
		return luaL_error(L, "row is only valid during its translate "
				  "call");
	lua_getiuservalue(L, 1, 1);
	lua_pushvalue(L, 2);
	lua_rawget(L, -2);
	i = lua_tointegerx(L, -1, &ok);
	if (ok && i >= 0 && (size_t)i < row->ncols) {
		v = &row->vals[i];
		/* an approximate column's value that is not provably the
		 * decimal it shows: refuse it rather than round
		 * (docs/CONNECTORS.md, "Approximate columns") */
		if (v->approx && (v->type == VAL_DEC || v->type == VAL_TEXT))
			return approx_error(L, row->names[i], v);
		lval_push_value(L, v->type, v->i, v->s, v->len);
		return 1;
	}
	lval_push_names(L, row->names, row->ncols);
	return luaL_error(L, "no column '%s' in source '%s' (columns: %s)",
			  key_text(L), r->job->sources[r->cur_src].name,
			  lua_tostring(L, -1));
}

static int row_newindex(lua_State *L)
{
	return luaL_error(L, "row is read-only (tried to set '%s'); set "
			  "fields on out instead", key_text(L));
}

static int push_canon_field(lua_State *L, const struct canon *c, int id)
{
	size_t n;
	const char *s;

	if (id < CS__COUNT) {
		s = canon_get(c, (enum canon_str)id, &n);
		if (s)
			lua_pushlstring(L, s, n);
		else
			lua_pushnil(L);
		return 1;
	}
	switch (id) {
	case F_AMOUNT:
		if (c->present & CANON_HAS_AMOUNT)
			lval_money_push(L, c->amount);
		else
			lua_pushnil(L);
		break;
	case F_TIME:
		if (c->present & CANON_HAS_TIME)
			lua_pushinteger(L, (lua_Integer)c->time);
		else
			lua_pushnil(L);
		break;
	case F_STATUS:
		if (c->status > CST_NONE && c->status < CST__COUNT)
			lua_pushstring(L, canon_status_names[c->status]);
		else
			lua_pushnil(L);
		break;
	default:
		if (c->doctype > CDT_NONE && c->doctype < CDT__COUNT)
			lua_pushstring(L, canon_doctype_names[c->doctype]);
		else
			lua_pushnil(L);
		break;
	}
	return 1;
}

/* Push record view v's fields view (its user value 1, made on first
 * use); v is at index 1. */
static int push_fields_view(lua_State *L, struct cview *v)
{
	struct rules *r = R(L);
	struct fview *fv;

	if (lua_getiuservalue(L, 1, 1) == LUA_TUSERDATA)
		return 1;
	lua_pop(L, 1);
	fv = lua_newuserdatauv(L, sizeof(*fv), 1);
	fv->cv = v;
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 1);
	lua_rawgeti(L, LUA_REGISTRYINDEX, v == r->outv ? r->fields_out_mt_ref
						       : r->fields_ro_mt_ref);
	lua_setmetatable(L, -2);
	lua_pushvalue(L, -1);
	lua_setiuservalue(L, 1, 1);
	return 1;
}

/* The record a fields view (index 1) stands for; raises between calls. */
static struct canon *fields_record(lua_State *L)
{
	struct fview *fv = lua_touserdata(L, 1);
	struct cview *v = fv->cv;

	if (!v->c || (v->gen && v->gen != R(L)->gen))
		luaL_error(L, "this record is only valid during its call");
	return v->c;
}

/* The field the key at index 2 names, checked against the record's role;
 * raises with the fields there are, naming the record "out.fields" (out)
 * or by its role ("order.fields"): built only then, as reads are hot. */
static unsigned fields_id(lua_State *L, const struct canon *c, int out)
{
	const struct job *job = R(L)->job;
	int id = field_id(L);
	unsigned k = c->kind < CANON__KINDS ? c->kind : 0;
	const char *what;

	if (id >= 0 && (job->fields[id].roles & (1u << k)))
		return (unsigned)id;
	what = out ? "out.fields"
		   : lua_pushfstring(L, "%s.fields", canon_kind_names[k]);
	/* "for role erp", not "for a erp": the roles by the names the job
	 * file gives them */
	if (id < 0) {
		xfield_push_names(L, job, k);
		luaL_error(L, "%s.%s: no site-defined field '%s' for role %s "
			   "(%s fields: %s); declare it in <fields> in the "
			   "job file%s%s", what, key_text(L), key_text(L),
			   canon_kind_names[k], canon_kind_names[k],
			   lua_tostring(L, -1), job->path ? " " : "",
			   job->path ? job->path : "");
	}
	xfield_push_roles(L, &job->fields[id]);
	luaL_error(L, "%s.%s: field '%s' is declared for %s, not for %s; add "
		   "%s to its roles= in <fields>", what, job->fields[id].name,
		   job->fields[id].name, lua_tostring(L, -1),
		   canon_kind_names[k], canon_kind_names[k]);
	return 0;
}

static int fields_index(lua_State *L)
{
	const struct canon *c = fields_record(L);
	const struct fview *fv = lua_touserdata(L, 1);
	unsigned id = fields_id(L, c, fv->cv == R(L)->outv);

	xfield_push(L, c, &R(L)->job->fields[id], id);
	return 1;
}

static int fields_newindex(lua_State *L)
{
	static const char pre[] = "out.fields.";
	struct canon *c = fields_record(L);
	unsigned id = fields_id(L, c, 1);
	const char *name = R(L)->job->fields[id].name;
	size_t n = strlen(name);
	/* the name errors give the field, built on the C stack: a Lua
	 * string (lua_pushfstring) made and interned on every write cost
	 * 0.2 s of the bench's 4.5 s of reading with 8 fields at 200,000
	 * deals (docs/DEMO.md); names are at most 32 characters (job.c) */
	char what[sizeof(pre) + 32];

	if (n > 32)
		n = 32;
	memcpy(what, pre, sizeof(pre) - 1);
	memcpy(what + sizeof(pre) - 1, name, n);
	what[sizeof(pre) - 1 + n] = '\0';
	xfield_set(L, R(L)->job, c, id, 3, what);
	return 0;
}

static int fields_ro_newindex(lua_State *L)
{
	return luaL_error(L, "the fields of o.deal, o.order, o.orders[i] and "
			  "o.erp.docs[i] are read-only (tried to set '%s'); "
			  "fields are set in translation (out.fields.%s = "
			  "...)", key_text(L), key_text(L));
}

/* out.fields = { name = value, ... } sets exactly those fields; nil
 * unsets every field. */
static int out_set_fields(lua_State *L, struct canon *c)
{
	int t = lua_type(L, 3);

	if (t != LUA_TNIL && t != LUA_TTABLE)
		return luaL_error(L, "out.fields can be set to a table of "
				  "fields or nil, not a %s; or set one field: "
				  "out.fields.NAME = value",
				  luaL_typename(L, 3));
	c->xpresent = 0;
	if (t == LUA_TNIL)
		return 0;
	/* the fields view's __newindex does the checks: out.fields[k] = v */
	lua_settop(L, 3);
	lua_pushvalue(L, 1);
	lua_pushliteral(L, "fields");
	lua_gettable(L, -2);	/* 5: the fields view */
	lua_pushnil(L);
	while (lua_next(L, 3)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);	/* key, key, value */
		lua_settable(L, 5);
	}
	return 0;
}

/* __index of out and of the read-only record views o.deal / o.order. */
static int canon_index(lua_State *L)
{
	struct cview *v = lua_touserdata(L, 1);
	int id = field_id(L);

	if (!v->c || (v->gen && v->gen != R(L)->gen))
		return luaL_error(L, "this record is only valid during its "
				  "call");
	if (id < 0)
		return luaL_error(L, "a record has no field '%s' (fields: "
				  CANON_FIELD_LIST ")", key_text(L));
	if (id == F_FIELDS)
		return push_fields_view(L, v);
	return push_canon_field(L, v->c, id);
}

static int record_newindex(lua_State *L)
{
	return luaL_error(L, "o.deal, o.order, o.orders[i] and o.erp.docs[i] "
			  "are read-only (tried to set '%s')", key_text(L));
}

static void push_names(lua_State *L, const char *const *names, int count)
{
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (int i = 1; i < count; i++) {
		if (i > 1)
			luaL_addstring(&b, ", ");
		luaL_addstring(&b, names[i]);
	}
	luaL_pushresult(&b);
}

static int out_newindex(lua_State *L)
{
	struct cview *v = lua_touserdata(L, 1);
	struct canon *c = v->c;
	int id = field_id(L), t = lua_type(L, 3), k;
	const char *s;
	size_t n;
	int64_t x;

	if (!c)
		return luaL_error(L, "out is only valid during its translate "
				  "call");
	if (id < 0)
		return luaL_error(L, "out has no field '%s' (fields: "
				  CANON_FIELD_LIST ")", key_text(L));
	if (id == F_FIELDS)
		return out_set_fields(L, c);
	if (id < CS__COUNT) {
		const char *f = canon_field_names[id];

		if (t == LUA_TNIL) {
			c->present &= ~(1u << id);
			return 0;
		}
		if (t == LUA_TNUMBER && !lua_isinteger(L, 3))
			return luaL_error(L, "out.%s: a float is not text; "
					  "use a string", f);
		if (t != LUA_TSTRING && t != LUA_TNUMBER)
			return luaL_error(L, "out.%s must be a string (or nil), "
					  "not a %s", f, luaL_typename(L, 3));
		s = lua_tolstring(L, 3, &n);
		if (n > CANON_STR_CAP)
			return luaL_error(L, "out.%s: %I bytes is over the limit "
					  "of %I", f, (lua_Integer)n,
					  (lua_Integer)CANON_STR_CAP);
		lua_pushfstring(L, "out.%s", f);
		lval_check_text(L, lua_tostring(L, -1), s, n);
		lua_pop(L, 1);
		if (canon_set(c, (enum canon_str)id, s, n) < 0) {
			if (c->data.failed == SBUF_TOOLONG)
				return luaL_error(L, "out.%s: too much text set "
						  "on one record (each "
						  "assignment keeps its text "
						  "until the next row; set "
						  "each field once)", f);
			return lval_raise_nomem(L);
		}
		return 0;
	}
	switch (id) {
	case F_AMOUNT:
		if (t == LUA_TNIL) {
			c->present &= ~CANON_HAS_AMOUNT;
			return 0;
		}
		if (t == LUA_TSTRING) {
			int st;

			s = lua_tolstring(L, 3, &n);
			st = money_parse(s, n, &x);
			if (st != MONEY_OK)
				return luaL_error(L, "out.amount = \"%s\": %s",
						  lval_shown(L, s, n),
						  money_strerror(st));
		} else if (lval_money_test(L, 3)) {
			x = *lval_money_test(L, 3);
		} else if (t == LUA_TNUMBER) {
			return luaL_error(L, "out.amount: a number is not money "
					  "(whole units or minor units?); "
					  "write money(...) or a decimal "
					  "string");
		} else {
			return luaL_error(L, "out.amount must be money, a "
					  "decimal string or nil, not a %s",
					  luaL_typename(L, 3));
		}
		c->amount = x;
		c->present |= CANON_HAS_AMOUNT;
		return 0;
	case F_TIME:
		if (t == LUA_TNIL) {
			c->present &= ~CANON_HAS_TIME;
			return 0;
		}
		if (lua_isinteger(L, 3)) {
			x = (int64_t)lua_tointeger(L, 3);
			/* what cannot be formatted as a date cannot be
			 * published, compared or read back */
			if (x < TSTAMP_MIN || x > TSTAMP_MAX)
				return luaL_error(L, "out.time = %I: outside the "
						  "years 0001 to 9999 (epoch "
						  "seconds %I to %I)",
						  (lua_Integer)x,
						  (lua_Integer)TSTAMP_MIN,
						  (lua_Integer)TSTAMP_MAX);
		} else if (t == LUA_TSTRING) {
			s = lua_tolstring(L, 3, &n);
			if (tstamp_parse(s, n, &x) < 0)
				return luaL_error(L, "out.time = \"%s\": not a "
						  "date (expected YYYY-MM-DD, "
						  "optionally with HH:MM[:SS])",
						  lval_shown(L, s, n));
		} else {
			return luaL_error(L, "out.time must be epoch seconds "
					  "(an integer), a date string or "
					  "nil, not a %s", luaL_typename(L, 3));
		}
		c->time = x;
		c->present |= CANON_HAS_TIME;
		return 0;
	case F_STATUS:
	case F_DOCTYPE: {
		const char *const *names = id == F_STATUS ? canon_status_names
							   : canon_doctype_names;
		int count = id == F_STATUS ? CST__COUNT : CDT__COUNT;
		const char *f = id == F_STATUS ? "status" : "doc_type";

		if (t == LUA_TNIL) {
			k = 0;
		} else {
			k = -1;
			if (t == LUA_TSTRING) {
				s = lua_tolstring(L, 3, &n);
				k = canon_lookup(names, count, s, n);
			}
			if (k <= 0) {
				const char *val = t == LUA_TSTRING
					? lval_shown(L, s, n) : luaL_typename(L, 3);

				push_names(L, names, count);
				return luaL_error(L, "out.%s = %s%s%s: not one "
						  "of %s", f,
						  t == LUA_TSTRING ? "\"" : "", val,
						  t == LUA_TSTRING ? "\"" : "",
						  lua_tostring(L, -1));
			}
		}
		if (id == F_STATUS)
			c->status = (uint8_t)k;
		else
			c->doctype = (uint8_t)k;
		return 0;
	}
	}
	return 0;
}

static int group_index(lua_State *L)
{
	const struct group *g = R(L)->cur_group;
	int id = field_id(L);

	if (!g)
		return luaL_error(L, "o is only valid during its rule call");
	switch (id) {
	case G_KEY:
		lua_pushlstring(L, g->key, g->key_len);
		return 1;
	case G_DEAL:
		if (!g->deal)
			break;
		lua_getiuservalue(L, 1, 1);
		return 1;
	case G_ORDER:
		if (!g->order)
			break;
		lua_getiuservalue(L, 1, 2);
		return 1;
	case G_NORDERS:
		lua_pushinteger(L, (lua_Integer)g->norders);
		return 1;
	case G_ERP:
		if (!g->erp)
			break;
		lua_getiuservalue(L, 1, 3);
		return 1;
	case G_ORDERS:
		lua_getiuservalue(L, 1, 4);
		return 1;
	default:
		return luaL_error(L, "o has no field '%s' (fields: "
				  GROUP_FIELD_LIST ")", key_text(L));
	}
	lua_pushnil(L);
	return 1;
}

static int group_newindex(lua_State *L)
{
	return luaL_error(L, "o is read-only (tried to set '%s')",
			  key_text(L));
}

static int erp_index(lua_State *L)
{
	const struct group *g = R(L)->cur_group;
	const struct erp_agg *e = g ? g->erp : NULL;
	int id = field_id(L);

	if (!e)
		return luaL_error(L, "o.erp is only valid during its rule "
				  "call");
	if (id < 0)
		return luaL_error(L, "o.erp has no field '%s' (fields: "
				  ERP_FIELD_LIST ")", key_text(L));
	if ((id == E_INVOICED || id == E_ORDERED || id == E_AMOUNT) &&
	    e->amount_overflow)
		return luaL_error(L, "o.erp.%s: the ERP amounts of this order "
				  "do not fit (overflow)", erp_field_names[id]);
	switch (id) {
	case E_DOCS: lua_getiuservalue(L, 1, 1); break;
	case E_NDOCS: lua_pushinteger(L, e->ndocs); break;
	case E_INVOICES: lua_pushinteger(L, e->ninvoices); break;
	case E_CREDITS: lua_pushinteger(L, e->ncredits); break;
	case E_SALES: lua_pushinteger(L, e->nsales); break;
	case E_DRAFTS: lua_pushinteger(L, e->ndrafts); break;
	case E_CANCELLED: lua_pushinteger(L, e->ncancelled); break;
	/* a sum with a posted document of no amount is unknown: nil */
	case E_INVOICED:
		if (e->unpriced_inv)
			lua_pushnil(L);
		else
			lval_money_push(L, e->invoiced);
		break;
	case E_ORDERED:
		if (e->unpriced_sales)
			lua_pushnil(L);
		else
			lval_money_push(L, e->ordered);
		break;
	case E_AMOUNT: {
		int64_t a;

		if (erp_agg_amount(e, &a))
			lval_money_push(L, a);
		else
			lua_pushnil(L);
		break;
	}
	case E_UNPRICED:
		lua_pushinteger(L, (lua_Integer)e->unpriced_inv + e->unpriced_sales);
		break;
	case E_CURRENCY:
		if (e->currency)
			lua_pushlstring(L, e->currency, e->currency_len);
		else
			lua_pushnil(L);
		break;
	default:
		lua_pushboolean(L, e->mixed_currency);
		break;
	}
	return 1;
}

static int erp_newindex(lua_State *L)
{
	return luaL_error(L, "o.erp is read-only (tried to set '%s')",
			  key_text(L));
}

static const char *const list_names[] = { "o.erp.docs", "o.orders" };

/* The records of list view `which` of the current group: *n of them,
 * from the array (or the single record one). NULL if no call runs. */
static const struct canon *const *list_of(lua_State *L, int which,
					  size_t *n, const struct canon **one)
{
	const struct group *g = R(L)->cur_group;

	*n = 0;
	*one = NULL;
	if (!g)
		luaL_error(L, "%s is only valid during its rule call",
			   list_names[which]);
	if (which == L_DOCS) {
		if (!g->erp || !g->erp->docs)
			return NULL;
		*n = g->erp->ndocs;
		return g->erp->docs;
	}
	if (g->orders) {
		*n = g->norders;
		return g->orders;
	}
	if (g->order) {
		*n = 1;
		*one = g->order;
	}
	return NULL;
}

/* __index of a list view: list[i] for 1 <= i <= #list is a read-only
 * record view, any other integer nil (so ipairs stops); anything else is
 * an error, as an unknown field is everywhere else. */
static int list_index(lua_State *L)
{
	int which = *(int *)lua_touserdata(L, 1);
	const struct canon *one;
	const struct canon *const *a;
	lua_Integer i;
	size_t n;
	int isint;
	struct cview *v;

	a = list_of(L, which, &n, &one);
	i = lua_tointegerx(L, 2, &isint);
	if (!isint || lua_type(L, 2) != LUA_TNUMBER)
		return luaL_error(L, "%s is a list (index it 1..#%s, or use "
				  "ipairs); it has no field '%s'",
				  list_names[which], list_names[which],
				  key_text(L));
	if (i < 1 || (uint64_t)i > n) {
		lua_pushnil(L);
		return 1;
	}
	v = lua_newuserdatauv(L, sizeof(*v), 1);
	v->c = (struct canon *)(a ? a[i - 1] : one);	/* read-only metatable */
	v->gen = R(L)->gen;
	lua_rawgeti(L, LUA_REGISTRYINDEX, R(L)->record_mt_ref);
	lua_setmetatable(L, -2);
	return 1;
}

static int list_len(lua_State *L)
{
	int which = *(int *)lua_touserdata(L, 1);
	const struct canon *one;
	size_t n;

	(void)list_of(L, which, &n, &one);
	lua_pushinteger(L, (lua_Integer)n);
	return 1;
}

static int list_newindex(lua_State *L)
{
	int which = *(int *)lua_touserdata(L, 1);

	return luaL_error(L, "%s is read-only", list_names[which]);
}

/* Push a list view (userdata) for which, with its metatable. */
static void push_list(lua_State *L, int which)
{
	int *w = lua_newuserdatauv(L, sizeof(int), 0);

	*w = which;
	lua_createtable(L, 0, 5);
	lua_pushcfunction(L, list_index);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, list_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, list_len);
	lua_setfield(L, -2, "__len");
	lua_pushstring(L, list_names[which]);
	lua_setfield(L, -2, "__name");
	lua_pushstring(L, "list");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
}

/* ---- state set-up (protected) --------------------------------------- */

/* Push a table mapping names[i] -> first + i. */
static void push_field_table(lua_State *L, const char *const *names,
			     int count, int first)
{
	lua_createtable(L, 0, count);
	for (int i = 0; i < count; i++) {
		lua_pushinteger(L, first + i);
		lua_setfield(L, -2, names[i]);
	}
}

static void push_canon_fields(lua_State *L)
{
	push_field_table(L, canon_field_names, CS__COUNT, 0);
	for (int i = 0; i < F__COUNT - CS__COUNT; i++) {
		lua_pushinteger(L, CS__COUNT + i);
		lua_setfield(L, -2, extra_field_names[i]);
	}
}

/* Push a metatable for a view: __index and __newindex closures over the
 * field table on top of the stack (popped), locked against getmetatable. */
static void push_view_mt(lua_State *L, const char *name, lua_CFunction idx,
			 lua_CFunction newidx)
{
	lua_createtable(L, 0, 4);
	lua_pushvalue(L, -2);
	lua_pushcclosure(L, idx, 1);
	lua_setfield(L, -2, "__index");
	lua_pushvalue(L, -2);
	lua_pushcclosure(L, newidx, 1);
	lua_setfield(L, -2, "__newindex");
	lua_pushstring(L, name);
	lua_setfield(L, -2, "__name");
	lua_pushstring(L, name);
	lua_setfield(L, -2, "__metatable");
	lua_remove(L, -2);
}

/* Remove from the table at the top every string key not in keep. */
static void prune(lua_State *L, const char *const *keep)
{
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		int ok = 0;

		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING) {
			const char *k = lua_tostring(L, -1);

			for (size_t i = 0; keep[i] && !ok; i++)
				ok = strcmp(keep[i], k) == 0;
		}
		if (!ok) {	/* clearing a field during next() is allowed */
			lua_pushvalue(L, -1);
			lua_pushnil(L);
			lua_rawset(L, -4);
		}
	}
}

static struct cview *new_cview(lua_State *L)
{
	struct cview *v = lua_newuserdatauv(L, sizeof(*v), 1);

	v->c = NULL;
	v->gen = 0;
	return v;
}

/* What the sandbox took away, and what to say when a rule reaches for it
 * (docs/RULES.md, "What Lua you get"): "NAME is not available in rules:
 * WHY; WHAT TO DO". Names are globals, or "string.dump" and the like for
 * library members. */
static const char *const refused[][2] = {
#define NO_FILES "a rule cannot open files or run programs; it sees " \
	"only its row (or order) and the job's reference tables: select " \
	"what it needs in the source's <query>, or add a <reference> table " \
	"(ref.NAME)"
	{ "io", NO_FILES },
	{ "os", "a rule cannot run programs or read the clock or the "
		"environment, so that the same data gives the same verdicts; "
		"use the row's columns, date() and lib.dates for times, and a "
		"<reference> table (ref.NAME) for other data" },
	{ "dofile", NO_FILES },
	{ "loadfile", NO_FILES },
	{ "require", "list every rule file in the job's <rules>: they share "
		"one set of globals, and lib has the helpers (rules/README.md)" },
	{ "package", "list every rule file in the job's <rules>: they share "
		"one set of globals, and lib has the helpers (rules/README.md)" },
	{ "load", "a rule cannot compile code while it runs; write the code "
		"in a rule file" },
	{ "loadstring", "a rule cannot compile code while it runs; write the "
		"code in a rule file" },
	{ "print", "a rule has nowhere to print to; report with "
		"fail(code, message), or look at values in a rule test "
		"(recon test, docs/RULES.md \"Testing your rules\")" },
	{ "debug", "rules cannot look into the engine or other functions" },
	{ "collectgarbage", "the engine manages memory (rule-memory in the "
		"job's <limits>)" },
	{ "coroutine", "rules run as plain functions; use a loop or a helper "
		"function" },
	{ "math.random", "rules are deterministic (the same data gives the "
		"same verdicts); derive what you need from the record" },
	{ "math.randomseed", "rules are deterministic (the same data gives "
		"the same verdicts); derive what you need from the record" },
	{ "string.dump", "rules cannot turn functions into bytecode" },
#undef NO_FILES
};

/* __index of _G, string and math (upvalue 1: "" for _G, else "string."
 * or "math."): a refused name raises refused[]'s message at the rule's
 * line; any other name is nil, as without the metatable. */
static int l_refused(lua_State *L)
{
	const char *prefix = lua_tostring(L, lua_upvalueindex(1));
	size_t pl = strlen(prefix);
	const char *k;

	if (lua_type(L, 2) != LUA_TSTRING)
		return 0;
	k = lua_tostring(L, 2);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *n = refused[i][0];

		if (strncmp(n, prefix, pl) == 0 && strcmp(n + pl, k) == 0)
			return luaL_error(L, "'%s' is not available in rules: "
					  "%s", n, refused[i][1]);
	}
	return 0;
}

/* Give the table on top of the stack a metatable whose __index is
 * l_refused for names starting with prefix. */
static void set_refused_index(lua_State *L, const char *prefix)
{
	lua_createtable(L, 0, 1);
	lua_pushstring(L, prefix);
	lua_pushcclosure(L, l_refused, 1);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
}

/* Build the sandbox and the views. Returns the row, out and group views,
 * which stay in the stack slots for the life of the state. */
static int setup(lua_State *L)
{
	struct rules *r = R(L);
	static const luaL_Reg globals[] = {
		{ "rule", l_rule }, { "fail", l_fail },
		{ "within", l_within }, { "key", l_key }, { "date", l_date },
		{ "setmetatable", l_setmetatable }, { "xpcall", l_xpcall },
		{ NULL, NULL }
	};
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base }, { LUA_STRLIBNAME, luaopen_string },
		{ LUA_TABLIBNAME, luaopen_table }, { LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 }, { NULL, NULL }
	};
	struct cview *v;

	for (const luaL_Reg *l = libs; l->name; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	lua_pushglobaltable(L);
	prune(L, base_allowed);
	luaL_setfuncs(L, globals, 0);

	lua_getfield(L, -1, LUA_STRLIBNAME);
	lua_getfield(L, -1, "rep");
	lua_pushcclosure(L, l_rep, 1);
	lua_setfield(L, -2, "rep");
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	pattern_open(L, -1, pattern_charge, r);
	set_refused_index(L, "string.");
	lua_pop(L, 1);
	lua_getfield(L, -1, LUA_TABLIBNAME);
	lua_getfield(L, -1, "move");
	lua_pushcclosure(L, l_move, 1);
	lua_setfield(L, -2, "move");
	lua_pop(L, 1);
	lua_getfield(L, -1, LUA_MATHLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "random");
	lua_pushnil(L);
	lua_setfield(L, -2, "randomseed");
	set_refused_index(L, "math.");
	lua_pop(L, 1);
	set_refused_index(L, "");
	lua_pop(L, 1);

	/* The string metatable: hidden from getmetatable(""). */
	lua_pushliteral(L, "");
	if (lua_getmetatable(L, -1)) {
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
		lua_pop(L, 1);
	}
	lua_pop(L, 1);

	lval_money_open(L);

	/* Verdicts (what fail() returns). */
	lua_createtable(L, 0, 2);
	lua_pushliteral(L, "verdict");
	lua_setfield(L, -2, "__name");
	lua_pushliteral(L, "verdict");
	lua_setfield(L, -2, "__metatable");
	r->verdict_mt = lua_topointer(L, -1);
	r->verdict_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);

	/* The row view: user value 1 is the current source's column map. */
	lua_newuserdatauv(L, 1, 1);
	lua_createtable(L, 0, 0);
	push_view_mt(L, "row", row_index, row_newindex);
	lua_setmetatable(L, -2);

	/* The fields views' metatables, over the job's field names. */
	lua_createtable(L, 0, (int)r->job->nfields);
	for (size_t i = 0; i < r->job->nfields; i++) {
		lua_pushinteger(L, (lua_Integer)i);
		lua_setfield(L, -2, r->job->fields[i].name);
	}
	lua_pushvalue(L, -1);
	push_view_mt(L, "fields", fields_index, fields_newindex);
	r->fields_out_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	push_view_mt(L, "fields", fields_index, fields_ro_newindex);
	r->fields_ro_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);

	/* out. */
	v = new_cview(L);
	r->outv = v;
	push_canon_fields(L);
	push_view_mt(L, "out", canon_index, out_newindex);
	lua_setmetatable(L, -2);

	/* The group view o, holding o.deal, o.order, o.erp and o.orders. */
	lua_newuserdatauv(L, 1, 4);
	push_field_table(L, group_field_names, G__COUNT, 0);
	push_view_mt(L, "order group", group_index, group_newindex);
	lua_setmetatable(L, -2);
	push_canon_fields(L);
	push_view_mt(L, "record", canon_index, record_newindex);
	for (int i = 1; i <= 2; i++) {
		v = new_cview(L);
		if (i == 1)
			r->dealv = v;
		else
			r->orderv = v;
		lua_pushvalue(L, -2);
		lua_setmetatable(L, -2);
		lua_setiuservalue(L, -3, i);
	}
	r->record_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newuserdatauv(L, 1, 1);
	push_field_table(L, erp_field_names, E__COUNT, 0);
	push_view_mt(L, "erp", erp_index, erp_newindex);
	lua_setmetatable(L, -2);
	push_list(L, L_DOCS);
	lua_setiuservalue(L, -2, 1);
	lua_setiuservalue(L, -2, 3);
	push_list(L, L_ORDERS);
	lua_setiuservalue(L, -2, 4);

	/* ref: the reference tables (ref.c), pointed at them later */
	r->refv = ref_lua_open(L);
	/* lib: the analysts' helper library (rlib.c, rules/README.md) */
	lua_getglobal(L, "key");
	rlib_open(L, -2, -1, budget_charge, r);
	lua_pop(L, 1);
	lua_setglobal(L, "ref");
	return 3;
}

/* "JOBFILE:LINE: " of source s, for messages about what the job file
 * names (pushed; empty if the job was not read from a file). */
static const char *push_job_where(lua_State *L, const struct job *job,
				  const struct job_source *s)
{
	if (job->path && s->line > 0)
		return lua_pushfstring(L, "%s:%d: ", job->path, s->line);
	lua_pushliteral(L, "");
	return lua_tostring(L, -1);
}

/* After loading: find every source's translate function, which must be
 * one the rule files define: a built-in (tostring, type, ...) passes the
 * "is a function" test and then misbehaves on every row. Raises with a
 * message naming the job file line, the source and the function. */
static int find_translates(lua_State *L)
{
	struct rules *r = R(L);

	for (size_t i = 0; i < r->nsrc; i++) {
		const struct job_source *s = &r->job->sources[i];
		const char *jw;
		int t;

		jw = push_job_where(L, r->job, s);
		if (!s->translate || !s->translate[0])
			return luaL_error(L, "%sjob source '%s' names no "
					  "translate function", jw, s->name);
		/* raw: a refused name (print) is "not defined", not the
		 * sandbox's message for rules */
		lua_pushglobaltable(L);
		lua_pushstring(L, s->translate);
		t = lua_rawget(L, -2);
		lua_remove(L, -2);
		if (t != LUA_TFUNCTION)
			return luaL_error(L, "%sjob source '%s': translate "
					  "function '%s' is %s in the rule "
					  "files", jw, s->name, s->translate,
					  t == LUA_TNIL ? "not defined"
					  : lua_pushfstring(L, "a %s, not a "
							    "function",
							    luaL_typename(L,
									  -1)));
		/* Rule files cannot load code other than their own, so a
		 * Lua function is theirs; a C function is a built-in, under
		 * its own name or another. */
		if (lua_iscfunction(L, -1))
			return luaL_error(L, "%sjob source '%s': translate '%s' "
					  "is a Lua built-in, not a function "
					  "of the rule files; define function "
					  "%s_%s(row, out) in a rule file and "
					  "name that", jw, s->name,
					  s->translate, s->translate,
					  text_is_identifier(s->name, 64)
					  ? s->name : "x");
		lua_pushvalue(L, -1);
		r->src[i].where = function_where(L);
		if (!r->src[i].where)
			return lval_raise_nomem(L);
		r->src[i].fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		lua_pop(L, 1);
	}
	return 0;
}

/* Build the column map of source r->cur_src from r->cur_row. */
static int build_colmap(lua_State *L)
{
	struct rules *r = R(L);
	const struct row *row = r->cur_row;
	struct rsource *s = &r->src[r->cur_src];
	int ref;

	lua_createtable(L, 0, (int)row->ncols);
	for (size_t i = row->ncols; i-- > 0;) {	/* the first name wins */
		lua_pushinteger(L, (lua_Integer)i);
		lua_setfield(L, -2, row->names[i]);
	}
	ref = luaL_ref(L, LUA_REGISTRYINDEX);
	luaL_unref(L, LUA_REGISTRYINDEX, s->colmap_ref);
	s->colmap_ref = ref;
	s->names = row->names;
	s->ncols = row->ncols;
	return 0;
}

/* ---- open / free ---------------------------------------------------- */

/* Turn a failed protected call (or load) into err. ERR_NOMEM for memory,
 * else `code` with the message and its line. */
static int call_failed(struct rules *r, int st, const char *what,
		       enum err_code code, struct error *err)
{
	const char *m, *rest;
	int line = 0;

	if (r->lv.fatal || st == LUA_ERRMEM) {
		if (r->mem_capped && !r->mem_failed && !r->lv.fatal)
			return error_set(err, ERR_NOMEM, "%s: rule memory limit "
					 "of %zu bytes exceeded" MEMORY_HINT,
					 what, r->mem_cap);
		return error_set(err, ERR_NOMEM, "%s: out of memory", what);
	}
	m = lua_type(r->L, -1) == LUA_TSTRING ? lua_tostring(r->L, -1)
					       : "(no message)";
	parse_location(m, &line, &rest);
	if (err && err->code == ERR_OK)
		err->line = line;
	return error_set(err, code, "%s", m);
}

int rules_read_file(const char *path, const char *what, struct sbuf *sb,
		    struct error *err)
{
	const char *kind;
	FILE *f = file_open_regular(path, &kind);
	size_t n;

	if (!f && kind)
		return error_set(err, ERR_RULE, "%s: not a regular file (%s); "
				 "give the path of a %s", path, kind, what);
	if (!f)
		return error_set(err, ERR_RULE, "cannot open %s %s: %s", what,
				 path, strerror(errno));
	do {
		if (sbuf_grow(sb, 16384) < 0) {
			fclose(f);
			if (sb->failed == SBUF_TOOLONG)
				return error_set(err, ERR_RULE, "%s %s is over "
						 "%zu bytes", what, path,
						 sb->cap);
			return error_set(err, ERR_NOMEM, "reading %s: out of "
					 "memory", path);
		}
		n = fread(sb->buf + sb->len, 1, sb->alloc - sb->len - 1, f);
		sb->len += n;
		sb->buf[sb->len] = '\0';
	} while (n > 0);
	if (ferror(f)) {
		fclose(f);
		return error_set(err, ERR_RULE, "cannot read %s %s", what,
				 path);
	}
	fclose(f);
	return 0;
}

int rules_source_text(const char *path, const char *what, struct sbuf *text,
		      struct error *err)
{
	static const char bom[] = "\xEF\xBB\xBF";

	/* Some editors (Windows Notepad, for one) save UTF-8 with a byte
	 * order mark; Lua's loadfile skips it, loading a buffer does not. It
	 * holds no newline, so line numbers stay right. The file's SHA-256
	 * is of the bytes as read, mark included. */
	if (text->len >= 3 && memcmp(text->buf, bom, 3) == 0) {
		memmove(text->buf, text->buf + 3, text->len - 3);
		sbuf_setlen(text, text->len - 3);
	}
	/* What Lua's loader looks at to tell bytecode ("\x1bLua"). */
	if (text->len > 0 && text->buf[0] == LUA_SIGNATURE[0])
		return error_set(err, ERR_RULE, "%s: is precompiled Lua "
				 "bytecode, not Lua source; %ss must be "
				 "source text", path, what);
	return 0;
}

static int syntax_format(lua_State *L)
{
	lua_pushfstring(L, "%s%ssyntax error: %s; fix the rule file (recon "
			"check lists every problem in the rule files)",
			lua_tostring(L, 1), lua_rawlen(L, 1) ? ": " : "",
			lua_tostring(L, 2));
	return 1;
}

/* Lua's syntax error on top of the stack, "FILE:LINE: unexpected symbol
 * near '='", said for an analyst: "FILE:LINE: syntax error: unexpected
 * symbol near '='; fix ...". Returns the status to go on with: still
 * LUA_ERRSYNTAX, or LUA_ERRMEM if the text could not be built. */
static int syntax_message(lua_State *L)
{
	const char *m = lua_tostring(L, -1), *rest;
	size_t wl;
	int line;

	if (!m)
		return LUA_ERRSYNTAX;
	wl = parse_location(m, &line, &rest);
	lua_pushcfunction(L, syntax_format);
	lua_pushlstring(L, m, wl);
	lua_pushstring(L, rest);
	if (lua_pcall(L, 2, 1, 0) != LUA_OK)
		return LUA_ERRMEM;
	lua_remove(L, -2);
	return LUA_ERRSYNTAX;
}

static int load_files(struct rules *r, struct error *err)
{
	lua_State *L = r->L;
	struct sbuf text = SBUF_INIT(RULE_FILE_CAP);
	struct sbuf name = SBUF_INIT(SBUF_CAP_DEFAULT);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int rc = -1, st;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		error_set(err, ERR_NOMEM, "cannot set up SHA-256");
		goto out;
	}
	r->file_hash = mem_calloc(r->job->nrule_files ? r->job->nrule_files : 1,
				  sizeof(*r->file_hash));
	if (!r->file_hash) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	r->loading = 1;
	for (size_t i = 0; i < r->job->nrule_files; i++) {
		const char *path = r->job->rule_files[i];
		unsigned char fdig[EVP_MAX_MD_SIZE];
		unsigned int flen = 0;

		sbuf_reset(&text);
		sbuf_reset(&name);
		if (rules_read_file(path, "rule file", &text, err) < 0)
			goto out;
		if (!EVP_DigestUpdate(md, text.buf, text.len) ||
		    !EVP_Digest(text.buf, text.len, fdig, &flen, EVP_sha256(),
				NULL) || flen != 32) {
			error_set(err, ERR_NOMEM, "SHA-256 of %s failed", path);
			goto out;
		}
		for (unsigned k = 0; k < flen; k++) {
			static const char hex[] = "0123456789abcdef";

			r->file_hash[i][2 * k] = hex[fdig[k] >> 4];
			r->file_hash[i][2 * k + 1] = hex[fdig[k] & 15];
		}
		r->file_hash[i][64] = '\0';
		/* the chunk name is the file's published name (relative to
		 * the job's folder), so messages and verdicts' `where` do
		 * not depend on how the job was reached */
		if (sbuf_addf(&name, "@%s", job_rule_name(r->job, i)) < 0) {
			error_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		budget_reset(r, r->call_budget > UINT64_MAX / LOAD_BUDGET_FACTOR
			     ? UINT64_MAX : r->call_budget * LOAD_BUDGET_FACTOR);
		if (rules_source_text(path, "rule file", &text, err) < 0)
			goto out;
		lua_pushcfunction(L, msgh);
		/* "t": text only; binary chunks could crash the VM. */
		st = luaL_loadbufferx(L, text.buf, text.len, name.buf, "t");
		if (st == LUA_ERRSYNTAX)
			st = syntax_message(L);
		else if (st == LUA_OK)
			st = lua_pcall(L, 0, 0, SLOT_TOP + 1);
		if (st != LUA_OK) {
			call_failed(r, st, path, ERR_RULE, err);
			goto out;
		}
		lua_settop(L, SLOT_TOP);
	}
	r->loading = 0;
	budget_reset(r, r->call_budget);
	lua_pushcfunction(L, msgh);
	lua_pushcfunction(L, find_translates);
	st = lua_pcall(L, 0, 0, SLOT_TOP + 1);
	if (st != LUA_OK) {
		call_failed(r, st, "rules", ERR_RULE, err);
		goto out;
	}
	if (!EVP_DigestFinal_ex(md, dig, &dlen)) {
		error_set(err, ERR_NOMEM, "SHA-256 failed");
		goto out;
	}
	for (unsigned i = 0; i < dlen; i++) {
		static const char hex[] = "0123456789abcdef";

		r->hash[2 * i] = hex[dig[i] >> 4];
		r->hash[2 * i + 1] = hex[dig[i] & 15];
	}
	r->hash[2 * dlen] = '\0';
	rc = 0;
out:
	r->loading = 0;
	lua_settop(L, SLOT_TOP);
	EVP_MD_CTX_free(md);
	sbuf_release(&text);
	sbuf_release(&name);
	return rc;
}

/* A state with the sandbox and the views, no rule file loaded. */
static int open_state(const struct job *job, struct rules **out,
		      struct error *err)
{
	struct rules *r;
	int st;

	*out = NULL;
	r = mem_calloc(1, sizeof(*r));
	if (!r)
		return error_set(err, ERR_NOMEM, "rules: out of memory");
	r->job = job;
	r->mem_cap = job->rule_memory ? job->rule_memory
				       : JOB_DEFAULT_RULE_MEMORY;
	r->call_budget = job->rule_instructions ? job->rule_instructions
						: JOB_DEFAULT_RULE_INSTRUCTIONS;
	r->row_src = SIZE_MAX;
	sbuf_init(&r->lv.tmp, SBUF_CAP_DEFAULT);
	r->lv.money_mt_ref = r->verdict_mt_ref = LUA_NOREF;
	if (job->nsources) {
		r->src = mem_calloc(job->nsources, sizeof(*r->src));
		if (!r->src) {
			rules_free(r);
			return error_set(err, ERR_NOMEM, "rules: out of memory");
		}
		for (size_t i = 0; i < job->nsources; i++)
			r->src[i].fn_ref = r->src[i].colmap_ref = LUA_NOREF;
	}
	r->nsrc = job->nsources;

	r->L = lua_newstate(rules_alloc, r);
	if (!r->L) {
		int capped = r->mem_capped;

		rules_free(r);
		if (capped)
			return error_set(err, ERR_NOMEM, "rules: rule memory "
					 "limit too small for a Lua state");
		return error_set(err, ERR_NOMEM, "rules: out of memory "
				 "creating the Lua state");
	}
	*(struct rules **)lua_getextraspace(r->L) = r;
	lua_pushcfunction(r->L, setup);
	st = lua_pcall(r->L, 0, 3, 0);
	if (st != LUA_OK) {
		call_failed(r, st, "rules: setting up Lua", ERR_INTERNAL, err);
		rules_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

int rules_open(const struct job *job, struct rules **out, struct error *err)
{
	if (open_state(job, out, err) < 0)
		return -1;
	if (load_files(*out, err) < 0) {
		rules_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int rules_open_sandbox(const struct job *job, struct rules **out,
		       struct error *err)
{
	return open_state(job, out, err);
}

const char *rules_view_field(enum rules_view v, size_t i)
{
	switch (v) {
	case RULES_VIEW_RECORD:
		if (i < CS__COUNT)
			return canon_field_names[i];
		i -= CS__COUNT;
		return i < F__COUNT - CS__COUNT ? extra_field_names[i] : NULL;
	case RULES_VIEW_GROUP:
		return i < G__COUNT ? group_field_names[i] : NULL;
	case RULES_VIEW_ERP:
		return i < E__COUNT ? erp_field_names[i] : NULL;
	}
	return NULL;
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	if (r->L)
		lua_close(r->L);
	for (size_t i = 0; i < r->nsrc; i++)
		mem_free(r->src[i].where);
	mem_free(r->src);
	for (size_t i = 0; i < r->nrules; i++) {
		mem_free(r->rule[i].name);
		mem_free(r->rule[i].where);
	}
	mem_free(r->rule);
	mem_free(r->pfx);
	mem_free(r->pfx_len);
	mem_free(r->file_hash);
	sbuf_release(&r->lv.tmp);
	mem_free(r);
}

void rules_set_refs(struct rules *r, const struct ref_set *set)
{
	ref_lua_set(r->refv, set);
}

size_t rules_count(const struct rules *r)
{
	return r->nrules;
}

const char *rules_hash(const struct rules *r)
{
	return r->hash;
}

const char *rules_file_hash(const struct rules *r, size_t i)
{
	return r->file_hash && i < r->job->nrule_files ? r->file_hash[i] : "";
}

/* ---- calls ---------------------------------------------------------- */

/*
 * After a failed call: is it a per-record failure (0, message in *msg,
 * borrowed from the Lua stack or static) or fatal (-1, err set)? `where`
 * locates memory-cap failures, which carry no position of their own.
 */
int rules_record_failure(struct rules *r, lua_State *L, int st,
			 const char *where, struct sbuf *msg,
			 struct error *err)
{
	if (r->lv.fatal || (st == LUA_ERRMEM && r->mem_failed) ||
	    (st == LUA_ERRMEM && !r->mem_capped))
		return error_set(err, ERR_NOMEM, "rules: out of memory");
	if (st == LUA_ERRMEM) {
		if (sbuf_addf(msg, "%s: rule memory limit of %zu bytes "
			      "exceeded" MEMORY_HINT, where, r->mem_cap) < 0)
			return error_set(err, ERR_NOMEM, "rules: out of memory");
	} else {
		const char *m = "(no message)";
		size_t n = strlen(m);

		if (lua_type(L, -1) == LUA_TSTRING)
			m = lua_tolstring(L, -1, &n);

		/* error(...) text is the rule's own: kept visible, whole
		 * characters, capped, never cut at a NUL */
		if (text_add_clean(msg, m, n, RULES_MESSAGE_CAP) < 0)
			return error_set(err, ERR_NOMEM, "rules: out of memory");
	}
	return 0;
}

static int record_failure(struct rules *r, int st, const char *where,
			  struct sbuf *msg, struct error *err)
{
	return rules_record_failure(r, r->L, st, where, msg, err);
}

/* Give back what a record's garbage holds after it hit the memory cap. */
static void after_call(struct rules *r)
{
	if (r->mem_capped)
		lua_gc(r->L, LUA_GCCOLLECT);
	lua_settop(r->L, SLOT_TOP);
}

int rules_translate(struct rules *r, size_t si, const struct row *row,
		    struct canon *rec, struct sbuf *fail, struct error *err)
{
	lua_State *L = r->L;
	struct rsource *s;
	int st, rc;

	if (si >= r->nsrc)
		return error_set(err, ERR_INTERNAL, "rules: no source %zu", si);
	s = &r->src[si];
	r->cur_src = si;
	r->cur_row = row;
	if (s->names != row->names || s->ncols != row->ncols) {
		budget_reset(r, r->call_budget);
		lua_pushcfunction(L, build_colmap);
		st = lua_pcall(L, 0, 0, 0);
		if (st != LUA_OK) {
			r->cur_row = NULL;
			call_failed(r, st, "rules: column map", ERR_NOMEM, err);
			after_call(r);
			return -1;
		}
		r->row_src = SIZE_MAX;
	}
	if (r->row_src != si) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, s->colmap_ref);
		lua_setiuservalue(L, SLOT_ROW, 1);
		r->row_src = si;
	}
	r->outv->c = rec;
	budget_reset(r, r->call_budget);
	lua_pushcfunction(L, msgh);
	lua_rawgeti(L, LUA_REGISTRYINDEX, s->fn_ref);
	lua_pushvalue(L, SLOT_ROW);
	lua_pushvalue(L, SLOT_OUT);
	st = lua_pcall(L, 2, 1, SLOT_TOP + 1);
	r->cur_row = NULL;
	r->outv->c = NULL;
	if (st != LUA_OK) {
		rc = record_failure(r, st, s->where, fail, err) < 0 ? -1 : -2;
	} else if (r->lv.fatal) {
		rc = error_set(err, ERR_NOMEM, "rules: out of memory");
	} else if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TBOOLEAN &&
					lua_toboolean(L, -1))) {
		rc = 1;
		if (!(rec->present & (1u << CS_KEY))) {
			rc = -2;
			if (sbuf_addf(fail, "%s: translate function '%s' kept a "
				      "record without out.key", s->where,
				      r->job->sources[si].translate) < 0)
				rc = error_set(err, ERR_NOMEM, "rules: out of "
					       "memory");
		}
	} else if (lua_type(L, -1) == LUA_TBOOLEAN) {
		rc = 0;
	} else {
		rc = -2;
		if (sbuf_addf(fail, "%s: translate function '%s' returned a "
			      "%s; return nothing, true (keep) or false (skip)",
			      s->where, r->job->sources[si].translate,
			      luaL_typename(L, -1)) < 0)
			rc = error_set(err, ERR_NOMEM, "rules: out of memory");
	}
	after_call(r);
	return rc;
}

/* Append an is_error verdict for rule ru from the message m. */
static int error_verdict(const struct rrule *ru, const char *m, size_t mlen,
			 struct verdict_list *out)
{
	const char *rest;
	int line;
	size_t wl = parse_location(m, &line, &rest);

	if (wl == 0)
		return verdict_push(out, ru->name, "RULE_ERROR", 10, m, mlen,
				    ru->where, strlen(ru->where),
				    VERDICT_ERROR, 1);
	return verdict_push(out, ru->name, "RULE_ERROR", 10, rest,
			    mlen - (size_t)(rest - m), m, wl, VERDICT_ERROR, 1);
}

static int verdict_test(struct rules *r, int i)
{
	if (lua_type(r->L, i) != LUA_TUSERDATA || !lua_getmetatable(r->L, i))
		return 0;
	i = lua_topointer(r->L, -1) == r->verdict_mt;
	lua_pop(r->L, 1);
	return i;
}

static int check_one(struct rules *r, const struct group *g,
		     struct verdict_list *out, struct error *err)
{
	lua_State *L = r->L;
	struct sbuf msg = SBUF_INIT(SBUF_CAP_DEFAULT);
	int rc = 0, st;

	r->cur_group = g;
	r->gen++;
	r->dealv->c = (struct canon *)g->deal;	/* read-only metatable */
	r->orderv->c = (struct canon *)g->order;
	for (size_t i = 0; i < r->nrules && rc == 0; i++) {
		const struct rrule *ru = &r->rule[i];

		budget_reset(r, r->call_budget);
		r->cmp.set = 0;
		lua_pushcfunction(L, msgh);
		lua_rawgeti(L, LUA_REGISTRYINDEX, ru->ref);
		lua_pushvalue(L, SLOT_GROUP);
		st = lua_pcall(L, 1, 1, SLOT_TOP + 1);
		if (st != LUA_OK) {
			sbuf_reset(&msg);
			if (record_failure(r, st, ru->where, &msg, err) < 0)
				rc = -1;
			else if (error_verdict(ru, msg.buf, msg.len, out) < 0)
				rc = error_set(err, ERR_NOMEM, "rules: out of "
					       "memory");
		} else if (r->lv.fatal) {
			rc = error_set(err, ERR_NOMEM, "rules: out of memory");
		} else if (verdict_test(r, -1)) {
			const char *code, *m;
			size_t cl, ml;
			const struct rverdict *rv = lua_touserdata(L, -1);

			lua_getiuservalue(L, -1, 1);
			lua_getiuservalue(L, -2, 2);
			code = lua_tolstring(L, -2, &cl);
			m = lua_tolstring(L, -1, &ml);
			if (verdict_push(out, ru->name, code, cl, m, ml,
					 ru->where, strlen(ru->where), rv->sev,
					 0) < 0) {
				rc = error_set(err, ERR_NOMEM, "rules: out of "
					       "memory");
			} else if (rv->cmp.set) {
				struct verdict *v = &out->v[out->n - 1];

				v->has_cmp = 1;
				v->diff = rv->cmp.diff;
				v->tolerance = rv->cmp.tolerance;
			}
		} else if (!lua_isnil(L, -1)) {
			sbuf_reset(&msg);
			if (sbuf_addf(&msg, "%s: rule '%s' returned a %s; an "
				      "order rule returns nil (pass) or "
				      "fail(...)", ru->where, ru->name,
				      luaL_typename(L, -1)) < 0 ||
			    error_verdict(ru, msg.buf, msg.len, out) < 0)
				rc = error_set(err, ERR_NOMEM, "rules: out of "
					       "memory");
		}
		after_call(r);
	}
	r->cur_group = NULL;
	r->gen++;	/* list elements made during the call are stale now */
	r->dealv->c = r->orderv->c = NULL;
	sbuf_release(&msg);
	return rc;
}

/* Timed per group (phase.h), so by the wall clock only. */
int rules_check(struct rules *r, const struct group *g,
		struct verdict_list *out, struct error *err)
{
	int rc;

	phase_fpush(PH_RULES);
	phase_rows(PH_RULES, 1);
	rc = check_one(r, g, out, err);
	phase_fpop();
	return rc;
}

/* ---- for the rule-test harness (rules_int.h) ------------------------ */

lua_State *rules_lua(struct rules *r)
{
	return r->L;
}

uint64_t rules_call_budget(const struct rules *r)
{
	return r->call_budget;
}

uint64_t rules_load_budget(const struct rules *r)
{
	return r->call_budget > UINT64_MAX / LOAD_BUDGET_FACTOR
		? UINT64_MAX : r->call_budget * LOAD_BUDGET_FACTOR;
}

void rules_budget_save(const struct rules *r, struct rules_budget *b)
{
	b->budget = r->budget;
	b->steps = r->steps;
	b->exhausted = r->exhausted;
	b->spent_in = r->spent_in;
}

void rules_budget_restore(struct rules *r, const struct rules_budget *b)
{
	int every = b->budget < HOOK_EVERY ? (int)b->budget : HOOK_EVERY;

	if (every < 1 || b->exhausted)
		every = 1;
	r->budget = b->budget;
	r->steps = b->steps;
	r->exhausted = b->exhausted;
	r->spent_in = b->spent_in;
	r->hook_every = every;
}

void rules_budget_apply(struct rules *r, lua_State *L,
			const struct rules_budget *b)
{
	rules_budget_restore(r, b);
	lua_sethook(L, hook, LUA_MASKCOUNT, r->hook_every);
}

void rules_mem_clear(struct rules *r)
{
	r->mem_capped = r->mem_failed = r->lv.fatal = 0;
}

void rules_after_call(struct rules *r)
{
	after_call(r);
}

void rules_forget_columns(struct rules *r)
{
	for (size_t i = 0; i < r->nsrc; i++) {
		r->src[i].names = NULL;
		r->src[i].ncols = 0;
	}
	r->row_src = SIZE_MAX;
}

int rules_msgh(lua_State *L)
{
	return msgh(L);
}

size_t rules_parse_location(const char *m, int *line, const char **rest)
{
	return parse_location(m, line, rest);
}
