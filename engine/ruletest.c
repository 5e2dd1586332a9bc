/*
 * ruletest.c - `recon test`: the analysts' rule tests (ruletest.h).
 *
 * How a test runs:
 *
 * - Test files load into the rules' Lua state with an environment table
 *   of their own (_ENV = env, env's __index = the rules' globals), which
 *   holds the test-only globals. Rule functions keep the real globals as
 *   their _ENV, so they never see test(), translate() or check(), exactly
 *   as in a run, and a site global called `check` is not clobbered for
 *   the rules.
 * - Each test function runs in a new coroutine under the production
 *   per-call budget (the count hook is per thread, so it is set on the
 *   coroutine before every resume). translate() and check() build their
 *   fake row or group in C memory owned by struct ruletest, record the
 *   request and yield; the driver, on the main thread with the stack at
 *   RULES_SLOT_TOP, calls rules_translate()/rules_check() exactly as a run
 *   does (fresh budget, the test's budget paused), then resumes the test,
 *   whose continuation turns the answer into Lua values. So a rule behaves
 *   in a test as it does in production, errors and limits included.
 * - Nothing that allocates on the Lua side runs outside a protected call
 *   or a resume; C allocations made from Lua are owned by struct ruletest
 *   before anything may raise.
 * - The expect functions are a small Lua prelude (PRELUDE below): their
 *   messages are formatting, and error(msg, 2) gives them the test's
 *   file:line.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "ruletest.h"
#include "canon.h"
#include "match.h"
#include "mem.h"
#include "money.h"
#include "ref.h"
#include "rules_int.h"
#include "tstamp.h"
#include "lval.h"
#include "xfield.h"
#include "banned.h"

#define ROW_TEXT_CAP ((size_t)16 << 20)	/* text of one fake row or group */

enum { REQ_NONE = 0, REQ_TRANSLATE, REQ_CHECK };

/* A registered test. */
struct rtcase {
	char *name;	/* owned */
	char *where;	/* owned: "FILE:LINE" of the test() call */
	int fn_ref;	/* the test function (registry) */
};

/* One column of a fake row while it is built. */
struct tcol {
	const char *name;
	size_t name_off, s_off;
	struct value v;
};

struct ruletest {
	const struct job *job;	/* borrowed */
	struct rules *r;	/* owned */
	lua_State *L;		/* r's main thread */
	int env_ref;		/* the test files' _ENV */
	int null_ref;		/* the null sentinel, anchored */
	const void *null_id;
	int time_mt_ref;	/* metatable of at() values */
	const void *time_mt;
	int loading;		/* test() allowed */

	struct rtcase *cases;
	size_t ncases, alloc_cases;

	/* What a test asked for before it yielded, and the answer. */
	int req;
	size_t req_src;
	int rc;

	/* translate(): the fake row and what the rule made of it. */
	struct tcol *cols;
	const char **names;
	struct value *vals;
	size_t alloc_cols;
	struct row row;
	struct sbuf text;
	struct canon rec;
	struct sbuf fail;

	/* check(): the fake group and its verdicts. */
	struct canon deal, order;
	struct erp_agg erp;
	/* erp.docs and orders: records (initialised up to a*) and the
	 * pointer lists the group's views read */
	struct canon *edocs, *xorders;
	const struct canon **edocp, **xorderp;
	size_t aedocs, axorders;
	struct group group;
	struct sbuf gtext;
	struct verdict_list verdicts;

	struct sbuf tmp;	/* scratch for tostring(at(...)) */

	/* Reference tables: the job's CSV ones (base, owned), loaded once;
	 * each test starts with those (refs) and reference() adds or
	 * replaces tables of its own (owned[i] set) for that test. Rules
	 * see refs through rules_set_refs. */
	struct ref_set base;
	struct ref_set refs;
	unsigned char *owned;
	size_t alloc_refs;
	struct error rerr;
};

static struct ruletest *RT(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* ---- the report ----------------------------------------------------- */

void ruletest_report_init(struct ruletest_report *rep)
{
	rep->r = NULL;
	rep->n = rep->alloc = 0;
	rep->passed = rep->failed = 0;
}

void ruletest_report_release(struct ruletest_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		mem_free(rep->r[i].where);
		mem_free(rep->r[i].name);
		mem_free(rep->r[i].message);
	}
	mem_free(rep->r);
	ruletest_report_init(rep);
}

static int report_add(struct ruletest_report *rep, const struct rtcase *c,
		      const char *message, struct error *err)
{
	struct ruletest_result *x;

	if (rep->n == rep->alloc) {
		size_t na = rep->alloc ? rep->alloc * 2 : 16, bytes;

		if (mem_mul(na, sizeof(*x), &bytes) < 0 ||
		    !(x = mem_realloc(rep->r, bytes)))
			return error_set(err, ERR_NOMEM, "rule tests: out of "
					 "memory");
		rep->r = x;
		rep->alloc = na;
	}
	x = &rep->r[rep->n];
	x->where = mem_strdup(c->where);
	x->name = mem_strdup(c->name);
	x->message = message ? mem_strdup(message) : NULL;
	if (!x->where || !x->name || (message && !x->message)) {
		mem_free(x->where);
		mem_free(x->name);
		mem_free(x->message);
		return error_set(err, ERR_NOMEM, "rule tests: out of memory");
	}
	rep->n++;
	if (message)
		rep->failed++;
	else
		rep->passed++;
	return 0;
}

/* ---- values only tests have: at() and null --------------------------- */

static int64_t *time_test(lua_State *L, struct ruletest *rt, int i)
{
	void *p = lua_touserdata(L, i);

	if (p && lua_getmetatable(L, i)) {
		const void *mt = lua_topointer(L, -1);

		lua_pop(L, 1);
		if (mt == rt->time_mt)
			return p;
	}
	return NULL;
}

static int is_null(lua_State *L, struct ruletest *rt, int i)
{
	return lua_type(L, i) == LUA_TUSERDATA &&
	       lua_topointer(L, i) == rt->null_id;
}

/* at("2026-11-01 10:00:00") or at(epoch seconds): a timestamp value. */
static int l_at(lua_State *L)
{
	struct ruletest *rt = RT(L);
	int64_t t, *p;

	if (lua_isinteger(L, 1)) {
		t = (int64_t)lua_tointeger(L, 1);
		if (t < TSTAMP_MIN || t > TSTAMP_MAX)
			return luaL_error(L, "at(%I): outside years 1..9999",
					  (lua_Integer)t);
	} else if (lua_type(L, 1) == LUA_TSTRING) {
		size_t n;
		const char *s = lua_tolstring(L, 1, &n);

		if (tstamp_parse(s, n, &t) < 0)
			return luaL_error(L, "at(\"%s\"): not a date (expected "
					  "YYYY-MM-DD, optionally with "
					  "HH:MM[:SS] and Z or +HH:MM)", s);
	} else {
		return luaL_error(L, "at() wants a date string, not a %s",
				  luaL_typename(L, 1));
	}
	p = lua_newuserdatauv(L, sizeof(*p), 0);
	*p = t;
	lua_rawgeti(L, LUA_REGISTRYINDEX, rt->time_mt_ref);
	lua_setmetatable(L, -2);
	return 1;
}

static int time_tostring_mm(lua_State *L)
{
	struct ruletest *rt = RT(L);
	int64_t *t = time_test(L, rt, 1);

	if (!t)
		return luaL_error(L, "not a time");
	sbuf_reset(&rt->tmp);
	if (tstamp_format(*t, &rt->tmp) < 0)
		return lval_raise_nomem(L);
	lua_pushlstring(L, rt->tmp.buf, rt->tmp.len);
	return 1;
}

static int time_eq_mm(lua_State *L)
{
	struct ruletest *rt = RT(L);
	int64_t *a = time_test(L, rt, 1), *b = time_test(L, rt, 2);

	lua_pushboolean(L, a && b && *a == *b);
	return 1;
}

/* For the prelude: the epoch seconds of an at() value, else the value. */
static int l_epoch_of(lua_State *L)
{
	int64_t *t = time_test(L, RT(L), 1);

	if (t)
		lua_pushinteger(L, (lua_Integer)*t);
	else
		lua_settop(L, 1);
	return 1;
}

static int null_tostring_mm(lua_State *L)
{
	lua_pushliteral(L, "null");
	return 1;
}

/* ---- test(name, fn) -------------------------------------------------- */

static int l_test(lua_State *L)
{
	struct ruletest *rt = RT(L);
	size_t n;
	const char *name = luaL_checklstring(L, 1, &n);
	struct sbuf where = SBUF_INIT(SBUF_CAP_DEFAULT);
	struct rtcase *c;
	lua_Debug ar;
	int line = 0, ref;
	const char *file = "?";

	luaL_checktype(L, 2, LUA_TFUNCTION);
	if (!rt->loading)
		return luaL_error(L, "test(\"%s\"): tests can only be "
				  "registered while the test files load", name);
	if (n == 0)
		return luaL_error(L, "test(): the name must not be empty");
	for (size_t i = 0; i < rt->ncases; i++)
		if (strcmp(rt->cases[i].name, name) == 0)
			return luaL_error(L, "test(\"%s\"): a test of that name "
					  "is already registered at %s", name,
					  rt->cases[i].where);
	if (rt->ncases == rt->alloc_cases) {
		size_t na = rt->alloc_cases ? rt->alloc_cases * 2 : 16, bytes;

		if (mem_mul(na, sizeof(*c), &bytes) < 0 ||
		    !(c = mem_realloc(rt->cases, bytes)))
			return lval_raise_nomem(L);
		rt->cases = c;
		rt->alloc_cases = na;
	}
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
		/* The full path from "@path", not Lua's shortened one. */
		file = ar.source[0] == '@' ? ar.source + 1 : ar.short_src;
		line = ar.currentline;
	}
	lua_pushvalue(L, 2);
	ref = luaL_ref(L, LUA_REGISTRYINDEX);	/* may raise: nothing held */
	c = &rt->cases[rt->ncases];
	c->name = mem_strndup(name, n);
	if (sbuf_addf(&where, "%s:%d", file, line) < 0 || !c->name) {
		mem_free(c->name);
		sbuf_release(&where);
		luaL_unref(L, LUA_REGISTRYINDEX, ref);
		return lval_raise_nomem(L);
	}
	c->where = sbuf_detach(&where, NULL);
	if (!c->where) {
		mem_free(c->name);
		luaL_unref(L, LUA_REGISTRYINDEX, ref);
		return lval_raise_nomem(L);
	}
	c->fn_ref = ref;
	rt->ncases++;
	return 0;
}

/* ---- translate(source, row) ------------------------------------------ */

static int col_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tcol *)a)->name,
		      ((const struct tcol *)b)->name);
}

/* Make room for `need` columns (at least one, so names is never NULL). */
static void grow_cols(lua_State *L, struct ruletest *rt, size_t need)
{
	size_t na, b1, b2, b3;
	void *p;

	if (need <= rt->alloc_cols && rt->alloc_cols)
		return;
	na = rt->alloc_cols ? rt->alloc_cols * 2 : 16;
	if (na < need)
		na = need;
	if (mem_mul(na, sizeof(*rt->cols), &b1) < 0 ||
	    mem_mul(na, sizeof(*rt->names), &b2) < 0 ||
	    mem_mul(na, sizeof(*rt->vals), &b3) < 0)
		lval_raise_nomem(L);
	if (!(p = mem_realloc(rt->cols, b1)))
		lval_raise_nomem(L);
	rt->cols = p;
	if (!(p = mem_realloc((void *)rt->names, b2)))
		lval_raise_nomem(L);
	rt->names = p;
	if (!(p = mem_realloc(rt->vals, b3)))
		lval_raise_nomem(L);
	rt->vals = p;
	rt->alloc_cols = na;
}

static void text_failed(lua_State *L, struct sbuf *sb, const char *what)
{
	if (sb->failed == SBUF_TOOLONG)
		luaL_error(L, "%s: over %I bytes of text", what,
			   (lua_Integer)sb->cap);
	lval_raise_nomem(L);
}

/* Append s (and a NUL) to rt->text; its offset. */
static size_t text_add(lua_State *L, struct ruletest *rt, const char *s,
		       size_t n)
{
	size_t off = rt->text.len;

	if (sbuf_add(&rt->text, s, n) < 0 || sbuf_addch(&rt->text, 0) < 0)
		text_failed(L, &rt->text, "translate(): the row");
	return off;
}

/* Build rt->row from the table at index t. */
/* what: the caller, for messages ("translate()", "reference()"). */
static void build_row(lua_State *L, struct ruletest *rt, int t,
		      const char *what)
{
	size_t n = 0;

	sbuf_reset(&rt->text);
	grow_cols(L, rt, 1);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		struct tcol *c;
		const char *name;
		size_t nl;
		int64_t *m;

		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "%s: the row's keys must be column "
				   "names (strings), not a %s", what,
				   luaL_typename(L, -2));
		name = lua_tolstring(L, -2, &nl);
		if (nl == 0 || memchr(name, '\0', nl))
			luaL_error(L, "%s: \"%s\" is not a column name",
				   what, name);
		grow_cols(L, rt, n + 1);
		c = &rt->cols[n];
		memset(c, 0, sizeof(*c));
		c->name_off = text_add(L, rt, name, nl);
		switch (lua_type(L, -1)) {
		case LUA_TSTRING: {
			const char *s = lua_tolstring(L, -1, &c->v.len);

			c->v.type = VAL_TEXT;
			c->s_off = text_add(L, rt, s, c->v.len);
			break;
		}
		case LUA_TNUMBER:
			if (!lua_isinteger(L, -1))
				luaL_error(L, "%s: column '%s' = %f: a "
					   "float is no column value; write an "
					   "integer, money(\"...\") for a "
					   "DECIMAL or a string", what,
					   name, lua_tonumber(L, -1));
			c->v.type = VAL_INT;
			c->v.i = (int64_t)lua_tointeger(L, -1);
			c->s_off = text_add(L, rt, "", 0);
			break;
		default:
			if ((m = lval_money_test(L, -1)) != NULL) {
				c->v.type = VAL_DEC;
				c->v.i = *m;
				c->s_off = rt->text.len;
				if (money_format(*m, 2, &rt->text) < 0)
					text_failed(L, &rt->text, what);
				c->v.len = rt->text.len - c->s_off;
				if (sbuf_addch(&rt->text, 0) < 0)
					text_failed(L, &rt->text, what);
			} else if ((m = time_test(L, rt, -1)) != NULL) {
				size_t at = rt->text.len;

				c->v.type = VAL_TIME;
				c->v.i = *m;
				c->s_off = at;
				if (tstamp_format(*m, &rt->text) < 0)
					text_failed(L, &rt->text, what);
				c->v.len = rt->text.len - at;
				if (sbuf_addch(&rt->text, 0) < 0)
					text_failed(L, &rt->text, what);
			} else if (is_null(L, rt, -1)) {
				c->v.type = VAL_NULL;
				c->s_off = text_add(L, rt, "", 0);
			} else {
				luaL_error(L, "%s: column '%s': a %s is "
					   "no column value (a string, an "
					   "integer, money(...), at(...) or "
					   "null)", what, name,
					   luaL_typename(L, -1));
			}
			break;
		}
		lua_pop(L, 1);
		n++;
	}
	/* The text is complete: now its addresses are final. */
	for (size_t i = 0; i < n; i++) {
		rt->cols[i].name = rt->text.buf + rt->cols[i].name_off;
		rt->cols[i].v.s = rt->text.buf + rt->cols[i].s_off;
	}
	if (n > 1)
		qsort(rt->cols, n, sizeof(*rt->cols), col_cmp);
	for (size_t i = 0; i < n; i++) {
		rt->names[i] = rt->cols[i].name;
		rt->vals[i] = rt->cols[i].v;
	}
	rt->row.ncols = n;
	rt->row.names = rt->names;
	rt->row.vals = rt->vals;
	rt->row.rowno = 1;
}

/* The set site-defined fields of c, typed as rules read them, into a
 * table at its key "fields" (the table at -1); none set: no key, so a
 * test of a job without fields, or of a rule that sets none, compares
 * the result as before. */
static void push_record_fields(lua_State *L, const struct job *job,
			       const struct canon *c)
{
	if (!c->xpresent)
		return;
	lua_createtable(L, 0, (int)job->nfields);
	for (size_t i = 0; i < job->nfields; i++) {
		if (!(c->xpresent & (1u << i)))
			continue;
		xfield_push(L, c, &job->fields[i], (unsigned)i);
		lua_setfield(L, -2, job->fields[i].name);
	}
	lua_setfield(L, -2, "fields");
}

static void push_record(lua_State *L, const struct job *job,
			const struct canon *c)
{
	lua_createtable(L, 0, 11);
	for (int f = 0; f < CS__COUNT; f++) {
		size_t n;
		const char *s = canon_get(c, (enum canon_str)f, &n);

		if (s) {
			lua_pushlstring(L, s, n);
			lua_setfield(L, -2, canon_field_names[f]);
		}
	}
	if (c->present & CANON_HAS_AMOUNT) {
		lval_money_push(L, c->amount);
		lua_setfield(L, -2, "amount");
	}
	if (c->present & CANON_HAS_TIME) {
		lua_pushinteger(L, (lua_Integer)c->time);
		lua_setfield(L, -2, "time");
	}
	if (c->status > CST_NONE && c->status < CST__COUNT) {
		lua_pushstring(L, canon_status_names[c->status]);
		lua_setfield(L, -2, "status");
	}
	if (c->doctype > CDT_NONE && c->doctype < CDT__COUNT) {
		lua_pushstring(L, canon_doctype_names[c->doctype]);
		lua_setfield(L, -2, "doc_type");
	}
	push_record_fields(L, job, c);
}

/* After the driver ran the translate function: the test's answer. */
static int translate_k(lua_State *L, int status, lua_KContext ctx)
{
	struct ruletest *rt = RT(L);

	(void)status;
	(void)ctx;
	if (rt->rc == -2) {
		/* The rule's own "file:line: message", as a run reports it. */
		lua_pushlstring(L, rt->fail.buf, rt->fail.len);
		return lua_error(L);
	}
	if (rt->rc == 0) {
		lua_pushboolean(L, 0);
		return 1;
	}
	push_record(L, rt->job, &rt->rec);
	return 1;
}

static int l_translate(lua_State *L)
{
	struct ruletest *rt = RT(L);
	const char *src = luaL_checkstring(L, 1);
	const struct job *job = rt->job;
	size_t si;
	luaL_Buffer b;

	luaL_checktype(L, 2, LUA_TTABLE);
	for (si = 0; si < job->nsources; si++)
		if (strcmp(job->sources[si].name, src) == 0)
			break;
	if (si == job->nsources) {
		luaL_buffinit(L, &b);
		for (size_t i = 0; i < job->nsources; i++) {
			if (i)
				luaL_addstring(&b, ", ");
			luaL_addstring(&b, job->sources[i].name);
		}
		luaL_pushresult(&b);
		return luaL_error(L, "translate(\"%s\", row): job '%s' has no "
				  "source of that name (sources: %s)", src,
				  job->name, lua_tostring(L, -1));
	}
	build_row(L, rt, 2, "translate()");
	rt->req = REQ_TRANSLATE;
	rt->req_src = si;
	return lua_yieldk(L, 0, 0, translate_k);
}

/* ---- reference(name, key, rows) ---------------------------------------- */

/* Drop the test's reference table i (its views then raise as stale). */
static void drop_ref(struct ruletest *rt, size_t i)
{
	if (rt->owned[i])
		ref_table_free(rt->refs.t[i]);
	memmove(&rt->refs.t[i], &rt->refs.t[i + 1],
		(rt->refs.n - i - 1) * sizeof(*rt->refs.t));
	memmove(&rt->owned[i], &rt->owned[i + 1], rt->refs.n - i - 1);
	rt->refs.n--;
	rules_set_refs(rt->r, &rt->refs);
}

/* Room for one more table in refs: 0, or -1 out of memory. */
static int grow_refs(struct ruletest *rt)
{
	size_t na;
	void *p;

	if (rt->refs.n < rt->alloc_refs)
		return 0;
	na = rt->alloc_refs ? rt->alloc_refs * 2 : 4;
	if (!(p = mem_realloc(rt->refs.t, na * sizeof(*rt->refs.t))))
		return -1;
	rt->refs.t = p;
	if (!(p = mem_realloc(rt->owned, na)))
		return -1;
	rt->owned = p;
	rt->alloc_refs = na;
	return 0;
}

/* Back to the job's CSV references alone: 0, or -1 out of memory. */
static int clear_refs(struct ruletest *rt)
{
	while (rt->refs.n)
		drop_ref(rt, rt->refs.n - 1);
	for (size_t i = 0; i < rt->base.n; i++) {
		if (grow_refs(rt) < 0)
			return -1;
		rt->refs.t[rt->refs.n] = rt->base.t[i];
		rt->owned[rt->refs.n++] = 0;
	}
	rules_set_refs(rt->r, &rt->refs);
	return 0;
}

/*
 * reference(name, key, rows): the rules' ref.NAME for the rest of this
 * test, rows a list of tables naming the same columns (null for NULL),
 * values as translate()'s rows take them. Replaces a table of the same
 * name. Key errors (duplicate, NULL, empty) raise as in a run.
 */
static int l_reference(lua_State *L)
{
	struct ruletest *rt = RT(L);
	const char *name = luaL_checkstring(L, 1);
	const char *key = luaL_checkstring(L, 2);
	lua_Integer n;
	struct ref_table *t = NULL;
	size_t slot;

	luaL_checktype(L, 3, LUA_TTABLE);
	if (rt->loading)	/* each test starts afresh: it would be lost */
		return luaL_error(L, "reference(\"%s\"): call it inside a "
				  "test; every test starts with the job's CSV "
				  "references only", name);
	n = (lua_Integer)lua_rawlen(L, 3);
	for (size_t i = 0; i < rt->refs.n; i++)
		if (strcmp(ref_table_name(rt->refs.t[i]), name) == 0) {
			drop_ref(rt, i);
			break;
		}
	if (grow_refs(rt) < 0)
		return lval_raise_nomem(L);
	slot = rt->refs.n;
	error_clear(&rt->rerr);
	for (lua_Integer i = 1; i <= n || (n == 0 && !t); i++) {
		size_t nc = 0;
		const char *const *cols = NULL;

		if (n > 0) {
			if (lua_rawgeti(L, 3, i) != LUA_TTABLE)
				return luaL_error(L, "reference(\"%s\"): row "
						  "%I is a %s, not a table",
						  name, i,
						  luaL_typename(L, -1));
			build_row(L, rt, lua_gettop(L), "reference()");
			lua_pop(L, 1);
		} else {
			/* no rows: a table of the key column alone */
			grow_cols(L, rt, 1);
			rt->names[0] = key;
			rt->row.ncols = 1;
			rt->row.names = rt->names;
		}
		if (!t) {
			if (ref_table_new(name, rt->row.names, rt->row.ncols,
					  key, UINT64_MAX, &t, &rt->rerr) < 0)
				goto fail;
			rt->refs.t[slot] = t;	/* owned from here */
			rt->owned[slot] = 1;
			rt->refs.n++;
		}
		cols = ref_table_columns(t, &nc);
		if (n == 0)
			break;
		for (size_t c = 0; c < nc || c < rt->row.ncols; c++)
			if (c >= nc || c >= rt->row.ncols ||
			    strcmp(cols[c], rt->row.names[c]) != 0) {
				drop_ref(rt, slot);
				return luaL_error(L, "reference(\"%s\"): row "
						  "%I names other columns than "
						  "row 1 (give every column, "
						  "null for NULL)", name, i);
			}
		if (ref_table_add(t, rt->row.vals, &rt->rerr) < 0)
			goto fail;
	}
	if (ref_table_done(t, &rt->rerr) < 0)
		goto fail;
	rules_set_refs(rt->r, &rt->refs);
	return 0;
fail:
	if (t)
		drop_ref(rt, slot);
	if (rt->rerr.code == ERR_NOMEM)
		return lval_raise_nomem(L);
	/* the message names the reference */
	return luaL_error(L, "%s", rt->rerr.msg.buf);
}

/* ---- check(group) ---------------------------------------------------- */

/* Which field of a record the key at -2 names: 0..CS__COUNT-1 for the
 * strings, then amount, time, status, doc_type; -1 if none. */
enum { XF_AMOUNT = CS__COUNT, XF_TIME, XF_STATUS, XF_DOCTYPE };

static int record_field(const char *k)
{
	static const char *const extra[] = { "amount", "time", "status",
					     "doc_type" };

	for (int i = 0; i < CS__COUNT; i++)
		if (strcmp(k, canon_field_names[i]) == 0)
			return i;
	for (int i = 0; i < 4; i++)
		if (strcmp(k, extra[i]) == 0)
			return CS__COUNT + i;
	return -1;
}

/* Money from money or decimal text at index i; raises naming `what`. */
static int64_t money_arg(lua_State *L, int i, const char *what)
{
	int64_t *m = lval_money_test(L, i), v;

	if (m)
		return *m;
	if (lua_type(L, i) == LUA_TSTRING) {
		size_t n;
		const char *s = lua_tolstring(L, i, &n);
		int st = money_parse(s, n, &v);

		if (st != MONEY_OK)
			luaL_error(L, "check(): %s = \"%s\": %s", what, s,
				   money_strerror(st));
		return v;
	}
	luaL_error(L, "check(): %s must be money or a decimal string, not a "
		   "%s", what, luaL_typename(L, i));
	return 0;
}

static void push_name_list(lua_State *L, const char *const *names, int count)
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

/*
 * The record table's fields = {NAME = value, ...} (at index t, absolute)
 * into c, as a translate rule's out.fields would set them: the same
 * conversions and refusals (xfield_set), the same checks of name and
 * role, the messages naming the record ("check(): deal.fields.tax").
 * null leaves a field unset; at(...) is epoch seconds for a date or a
 * timestamp field.
 */
static void build_fields(lua_State *L, struct ruletest *rt, int t,
			 struct canon *c, enum canon_kind kind,
			 const char *what)
{
	const struct job *job = rt->job;

	if (!lua_istable(L, t))
		luaL_error(L, "check(): %s.fields must be a table of "
			   "site-defined fields ({NAME = value, ...}), not a "
			   "%s", what, luaL_typename(L, t));
	lua_pushnil(L);
	while (lua_next(L, t)) {
		const char *k;
		const struct job_field *f;
		size_t n;
		int id;
		int64_t *tm;

		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "check(): %s.fields: the keys are field "
				   "names, not a %s", what,
				   luaL_typename(L, -2));
		k = lua_tolstring(L, -2, &n);
		id = job_field_lookup(job, k, n);
		if (id < 0) {
			xfield_push_names(L, job, kind);
			luaL_error(L, "check(): %s.fields.%s: job '%s' has no "
				   "site-defined field '%s' for role %s (%s "
				   "fields: %s)", what, k, job->name, k,
				   canon_kind_names[kind],
				   canon_kind_names[kind], lua_tostring(L, -1));
		}
		f = &job->fields[id];
		if (!(f->roles & (1u << kind))) {
			xfield_push_roles(L, f);
			luaL_error(L, "check(): %s.fields.%s: field '%s' is "
				   "declared for %s, not for %s; add %s to its "
				   "roles= in <fields>", what, k, k,
				   lua_tostring(L, -1), canon_kind_names[kind],
				   canon_kind_names[kind]);
		}
		if (is_null(L, rt, -1)) {
			lua_pop(L, 1);
			continue;
		}
		if ((f->type == CFT_DATE || f->type == CFT_TIMESTAMP) &&
		    (tm = time_test(L, rt, -1)) != NULL) {
			lua_pop(L, 1);
			lua_pushinteger(L, (lua_Integer)*tm);
		}
		lua_pushfstring(L, "check(): %s.fields.%s", what, k);
		xfield_set(L, job, c, (unsigned)id, -2, lua_tostring(L, -1));
		lua_pop(L, 2);
	}
}

/* Fill c from the record table at index t (absolute). */
static void build_record(lua_State *L, struct ruletest *rt, int t,
			 struct canon *c, enum canon_kind kind,
			 const char *what)
{
	canon_reset(c, kind, 0, 1);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING
			? lua_tostring(L, -2) : NULL;
		int id = k ? record_field(k) : -1, ty = lua_type(L, -1), v;
		const char *s;
		size_t n;
		int64_t *tm;

		if ((id >= 0 || (k && strcmp(k, "fields") == 0)) &&
		    is_null(L, rt, -1)) {	/* null: not set */
			lua_pop(L, 1);
			continue;
		}
		if (id < 0 && k && strcmp(k, "fields") == 0) {
			build_fields(L, rt, lua_absindex(L, -1), c, kind, what);
			lua_pop(L, 1);
			continue;
		}
		if (id < 0)
			luaL_error(L, "check(): %s has no field '%s' (fields: "
				   "key, deal_ref, order_ref, customer, "
				   "currency, name, amount, time, status, "
				   "doc_type, fields)", what,
				   k ? k : luaL_typename(L, -2));
		if (id < CS__COUNT) {
			if (ty != LUA_TSTRING && !lua_isinteger(L, -1))
				luaL_error(L, "check(): %s.%s must be a string, "
					   "not a %s", what, k,
					   luaL_typename(L, -1));
			lua_pushvalue(L, -1);	/* tolstring converts */
			s = lua_tolstring(L, -1, &n);
			if (canon_set(c, (enum canon_str)id, s, n) < 0) {
				if (n > CANON_STR_CAP ||
				    c->data.failed == SBUF_TOOLONG)
					luaL_error(L, "check(): %s.%s: over "
						   "%I bytes", what, k,
						   (lua_Integer)CANON_STR_CAP);
				lval_raise_nomem(L);
			}
			lua_pop(L, 1);
		} else if (id == XF_AMOUNT) {
			lua_pushfstring(L, "%s.amount", what);
			c->amount = money_arg(L, -2, lua_tostring(L, -1));
			c->present |= CANON_HAS_AMOUNT;
			lua_pop(L, 1);
		} else if (id == XF_TIME) {
			if (lua_isinteger(L, -1)) {
				c->time = (int64_t)lua_tointeger(L, -1);
			} else if ((tm = time_test(L, rt, -1)) != NULL) {
				c->time = *tm;
			} else if (ty == LUA_TSTRING) {
				s = lua_tolstring(L, -1, &n);
				if (tstamp_parse(s, n, &c->time) < 0)
					luaL_error(L, "check(): %s.time = "
						   "\"%s\": not a date", what,
						   s);
			} else {
				luaL_error(L, "check(): %s.time must be epoch "
					   "seconds, a date string or at(...), "
					   "not a %s", what,
					   luaL_typename(L, -1));
			}
			c->present |= CANON_HAS_TIME;
		} else {
			const char *const *names = id == XF_STATUS
				? canon_status_names : canon_doctype_names;
			int count = id == XF_STATUS ? CST__COUNT : CDT__COUNT;

			v = -1;
			if (ty == LUA_TSTRING) {
				s = lua_tolstring(L, -1, &n);
				v = canon_lookup(names, count, s, n);
			}
			if (v <= 0) {
				push_name_list(L, names, count);
				luaL_error(L, "check(): %s.%s = %s: not one of "
					   "%s", what, k, ty == LUA_TSTRING
					   ? lua_tostring(L, -2)
					   : luaL_typename(L, -2),
					   lua_tostring(L, -1));
			}
			if (id == XF_STATUS)
				c->status = (uint8_t)v;
			else
				c->doctype = (uint8_t)v;
		}
		lua_pop(L, 1);
	}
}

/* A count of o.erp (or norders): a non-negative integer. */
static uint32_t count_arg(lua_State *L, int i, const char *what)
{
	lua_Integer v;

	if (!lua_isinteger(L, i))
		luaL_error(L, "check(): %s must be an integer, not a %s", what,
			   luaL_typename(L, i));
	v = lua_tointeger(L, i);
	if (v < 0 || v > (lua_Integer)UINT32_MAX)
		luaL_error(L, "check(): %s = %I is out of range", what, v);
	return (uint32_t)v;
}

/* Records from the list at index t (absolute) into *recs (grown, each
 * initialised once) and the pointer list *ptrs: their number. `what`
 * names the list in errors ("erp.docs", "orders"). */
static size_t build_list(lua_State *L, struct ruletest *rt, int t,
			 struct canon **recs, const struct canon ***ptrs,
			 size_t *alloc, enum canon_kind kind, const char *what)
{
	size_t n;

	if (!lua_istable(L, t))
		luaL_error(L, "check(): %s must be a list of records, not a %s",
			   what, luaL_typename(L, t));
	n = (size_t)lua_rawlen(L, t);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_Integer i = lua_isinteger(L, -2) ? lua_tointeger(L, -2) : 0;

		if (i < 1 || (size_t)i > n)
			luaL_error(L, "check(): %s must be a list (keys 1..n), "
				   "not a table with the key %s", what,
				   luaL_tolstring(L, -2, NULL));
		lua_pop(L, 1);
	}
	if (n > UINT32_MAX / 2)
		luaL_error(L, "check(): %s is too long", what);
	if (n > *alloc) {
		size_t bytes;
		void *p, *q;

		if (mem_mul(n, sizeof(**recs), &bytes) < 0 ||
		    !(p = mem_realloc(*recs, bytes)))
			lval_raise_nomem(L);
		*recs = p;
		for (size_t i = *alloc; i < n; i++)
			canon_init(&(*recs)[i]);
		*alloc = n;
		if (mem_mul(n, sizeof(**ptrs), &bytes) < 0 ||
		    !(q = mem_realloc((void *)*ptrs, bytes)))
			lval_raise_nomem(L);
		*ptrs = q;
	}
	for (size_t i = 0; i < n; i++) {
		lua_rawgeti(L, t, (lua_Integer)i + 1);
		lua_pushfstring(L, "%s[%d]", what, (int)(i + 1));
		if (!lua_istable(L, -2))
			luaL_error(L, "check(): %s must be a table, not a %s",
				   lua_tostring(L, -1), luaL_typename(L, -2));
		build_record(L, rt, lua_absindex(L, -2), &(*recs)[i], kind,
			     lua_tostring(L, -1));
		(*ptrs)[i] = &(*recs)[i];
		lua_pop(L, 2);
	}
	return n;
}

/* Fill rt->erp from the table at index t (absolute); the currency goes
 * to rt->gtext at *cur_off (SIZE_MAX: none). With erp.docs the
 * aggregate is worked out from the documents as a run does. */
static void build_erp(lua_State *L, struct ruletest *rt, int t,
		      size_t *cur_off)
{
	static const char *const fields[] = {
		"ndocs", "invoices", "credits", "sales", "drafts", "cancelled",
		"invoiced", "ordered", "currency", "mixed_currency", "docs", NULL
	};
	struct erp_agg *e = &rt->erp;
	int have_docs = 0;

	memset(e, 0, sizeof(*e));
	*cur_off = SIZE_MAX;
	if (lua_getfield(L, t, "docs") != LUA_TNIL && !is_null(L, rt, -1)) {
		size_t n = build_list(L, rt, lua_absindex(L, -1), &rt->edocs,
				      &rt->edocp, &rt->aedocs, CANON_ERP,
				      "erp.docs");

		lua_pop(L, 1);
		lua_pushnil(L);
		while (lua_next(L, t)) {
			const char *k = lua_type(L, -2) == LUA_TSTRING
				? lua_tostring(L, -2) : "";

			if (strcmp(k, "docs") != 0)
				luaL_error(L, "check(): erp.%s is worked out "
					   "from erp.docs, as in a run; give "
					   "one or the other", k);
			lua_pop(L, 1);
		}
		for (size_t i = 0; i < n; i++)
			match_agg_add(e, rt->edocp[i]);
		e->docs = n ? rt->edocp : NULL;
		return;
	}
	lua_pop(L, 1);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING
			? lua_tostring(L, -2) : NULL;
		int id = -1;

		for (int i = 0; k && fields[i]; i++)
			if (strcmp(k, fields[i]) == 0)
				id = i;
		if (k && strcmp(k, "amount") == 0)
			luaL_error(L, "check(): erp.amount is worked out as "
				   "the engine does (invoiced if there are "
				   "invoices or credits, else ordered); set "
				   "those instead");
		if (id < 0)
			luaL_error(L, "check(): erp has no field '%s' (fields: "
				   "docs, ndocs, invoices, credits, sales, "
				   "drafts, cancelled, invoiced, ordered, "
				   "currency, mixed_currency)",
				   k ? k : luaL_typename(L, -2));
		if (is_null(L, rt, -1) || id == 10) {	/* null: 0 / none */
			lua_pop(L, 1);
			continue;
		}
		lua_pushfstring(L, "erp.%s", k);
		switch (id) {
		case 0: e->ndocs = count_arg(L, -2, lua_tostring(L, -1));
			have_docs = 1;
			break;
		case 1: e->ninvoices = count_arg(L, -2, lua_tostring(L, -1));
			break;
		case 2: e->ncredits = count_arg(L, -2, lua_tostring(L, -1));
			break;
		case 3: e->nsales = count_arg(L, -2, lua_tostring(L, -1));
			break;
		case 4: e->ndrafts = count_arg(L, -2, lua_tostring(L, -1));
			break;
		case 5: e->ncancelled = count_arg(L, -2, lua_tostring(L, -1));
			break;
		case 6: e->invoiced = money_arg(L, -2, lua_tostring(L, -1));
			break;
		case 7: e->ordered = money_arg(L, -2, lua_tostring(L, -1));
			break;
		case 8: {
			size_t n;
			const char *s;

			if (lua_type(L, -2) != LUA_TSTRING)
				luaL_error(L, "check(): erp.currency must be a "
					   "string, not a %s",
					   luaL_typename(L, -2));
			s = lua_tolstring(L, -2, &n);
			if (n > CANON_STR_CAP)
				luaL_error(L, "check(): erp.currency is too "
					   "long");
			*cur_off = rt->gtext.len;
			if (sbuf_add(&rt->gtext, s, n) < 0 ||
			    sbuf_addch(&rt->gtext, 0) < 0)
				text_failed(L, &rt->gtext, "check()");
			e->currency_len = (uint32_t)n;
			break;
		}
		default:
			if (lua_type(L, -2) != LUA_TBOOLEAN)
				luaL_error(L, "check(): erp.mixed_currency must "
					   "be true or false, not a %s",
					   luaL_typename(L, -2));
			e->mixed_currency = lua_toboolean(L, -2);
			break;
		}
		lua_pop(L, 2);
	}
	if (!have_docs)
		e->ndocs = e->ninvoices + e->ncredits + e->nsales +
			   e->ndrafts + e->ncancelled;
}

static void build_group(lua_State *L, struct ruletest *rt, int t)
{
	static const char *const fields[] = { "key", "deal", "order",
					      "norders", "erp", "orders",
					      NULL };
	struct group *g = &rt->group;
	size_t key_off = SIZE_MAX, key_len = 0, cur_off = SIZE_MAX;
	int have_norders = 0;

	memset(g, 0, sizeof(*g));
	sbuf_reset(&rt->gtext);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING
			? lua_tostring(L, -2) : NULL;
		int id = -1;

		for (int i = 0; k && fields[i]; i++)
			if (strcmp(k, fields[i]) == 0)
				id = i;
		if (id < 0)
			luaL_error(L, "check(): a group has no field '%s' "
				   "(fields: key, deal, order, norders, erp, "
				   "orders)",
				   k ? k : luaL_typename(L, -2));
		lua_pop(L, 1);
	}
	if (lua_getfield(L, t, "deal") != LUA_TNIL) {
		if (!lua_istable(L, -1))
			luaL_error(L, "check(): deal must be a table, not a %s",
				   luaL_typename(L, -1));
		build_record(L, rt, lua_absindex(L, -1), &rt->deal, CANON_DEAL,
			     "deal");
		g->deal = &rt->deal;
	}
	lua_pop(L, 1);
	if (lua_getfield(L, t, "order") != LUA_TNIL) {
		if (!lua_istable(L, -1))
			luaL_error(L, "check(): order must be a table, not a "
				   "%s", luaL_typename(L, -1));
		build_record(L, rt, lua_absindex(L, -1), &rt->order,
			     CANON_ORDER, "order");
		g->order = &rt->order;
	}
	lua_pop(L, 1);
	if (lua_getfield(L, t, "erp") != LUA_TNIL) {
		if (!lua_istable(L, -1))
			luaL_error(L, "check(): erp must be a table, not a %s",
				   luaL_typename(L, -1));
		build_erp(L, rt, lua_absindex(L, -1), &cur_off);
		g->erp = &rt->erp;
	}
	lua_pop(L, 1);
	if (lua_getfield(L, t, "orders") != LUA_TNIL && !is_null(L, rt, -1)) {
		size_t n = build_list(L, rt, lua_absindex(L, -1), &rt->xorders,
				      &rt->xorderp, &rt->axorders,
				      CANON_ORDER, "orders");

		/* o.orders as given; o.order defaults to its first */
		g->orders = n ? rt->xorderp : NULL;
		g->norders = (uint32_t)n;
		if (!g->order && n)
			g->order = rt->xorderp[0];
		have_norders = 1;
	}
	lua_pop(L, 1);
	if (lua_getfield(L, t, "norders") != LUA_TNIL) {
		uint32_t n = count_arg(L, -1, "norders");

		if (g->orders && n != g->norders)
			luaL_error(L, "check(): norders = %d, but orders lists "
				   "%d: o.norders is #o.orders when orders is "
				   "given", (int)n, (int)g->norders);
		g->norders = n;
		have_norders = 1;
	}
	lua_pop(L, 1);
	if (!have_norders)
		g->norders = g->order ? 1 : 0;

	/* The key: as given, else the order's, else the deal's. */
	if (lua_getfield(L, t, "key") != LUA_TNIL) {
		const char *s;

		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "check(): key must be a string, not a %s",
				   luaL_typename(L, -1));
		s = lua_tolstring(L, -1, &key_len);
		key_off = rt->gtext.len;
		if (sbuf_add(&rt->gtext, s, key_len) < 0 ||
		    sbuf_addch(&rt->gtext, 0) < 0)
			text_failed(L, &rt->gtext, "check()");
	} else {
		const char *s = NULL;

		if (g->order)
			s = canon_get(g->order, CS_KEY, &key_len);
		if (!s && g->deal)
			s = canon_get(g->deal, CS_KEY, &key_len);
		if (!s) {
			s = "";
			key_len = 0;
		}
		key_off = rt->gtext.len;
		if (sbuf_add(&rt->gtext, s, key_len) < 0 ||
		    sbuf_addch(&rt->gtext, 0) < 0)
			text_failed(L, &rt->gtext, "check()");
	}
	lua_pop(L, 1);
	g->key = rt->gtext.buf + key_off;
	g->key_len = key_len;
	if (cur_off != SIZE_MAX)
		rt->erp.currency = rt->gtext.buf + cur_off;
}

static int check_k(lua_State *L, int status, lua_KContext ctx)
{
	static const char *const sev[] = { "error", "warning", "info" };
	struct ruletest *rt = RT(L);
	const struct verdict_list *l = &rt->verdicts;

	(void)status;
	(void)ctx;
	lua_createtable(L, (int)l->n, 0);
	for (size_t i = 0; i < l->n; i++) {
		const struct verdict *v = &l->v[i];

		lua_createtable(L, 0, 8);
		lua_pushstring(L, v->rule);
		lua_setfield(L, -2, "rule");
		lua_pushstring(L, v->code);
		lua_setfield(L, -2, "code");
		lua_pushstring(L, v->severity >= 0 && v->severity <= 2
			       ? sev[v->severity] : "error");
		lua_setfield(L, -2, "severity");
		lua_pushstring(L, v->message);
		lua_setfield(L, -2, "message");
		lua_pushstring(L, v->where);
		lua_setfield(L, -2, "where");
		lua_pushboolean(L, v->is_error);
		lua_setfield(L, -2, "error");
		if (v->has_cmp) {
			lval_money_push(L, v->diff);
			lua_setfield(L, -2, "difference");
			lval_money_push(L, v->tolerance);
			lua_setfield(L, -2, "tolerance");
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

static int l_check(lua_State *L)
{
	struct ruletest *rt = RT(L);

	luaL_checktype(L, 1, LUA_TTABLE);
	build_group(L, rt, 1);
	rt->req = REQ_CHECK;
	return lua_yieldk(L, 0, 0, check_k);
}

/* ---- the expect functions (Lua) -------------------------------------- */

static const char PRELUDE[] =
"local epoch_of = ...\n"
"local type, tostring, pairs, ipairs, error, getmetatable, pcall =\n"
"      type, tostring, pairs, ipairs, error, getmetatable, pcall\n"
"local sort, concat, format, mtype = table.sort, table.concat,\n"
"      string.format, math.type\n"
"local money = money\n"
"\n"
"local function kind(v)\n"
"  if type(v) == 'userdata' then\n"
"    local mt = getmetatable(v)\n"
"    if type(mt) == 'string' then return mt end\n"
"  end\n"
"  return type(v)\n"
"end\n"
"\n"
"local function same(a, b)\n"
"  if type(a) == 'table' and type(b) == 'table' then\n"
"    for k, v in pairs(a) do\n"
"      if not same(v, b[k]) then return false end\n"
"    end\n"
"    for k in pairs(b) do\n"
"      if a[k] == nil then return false end\n"
"    end\n"
"    return true\n"
"  end\n"
"  a, b = epoch_of(a), epoch_of(b)\n"
"  local ka, kb = kind(a), kind(b)\n"
"  if ka == 'money' or kb == 'money' then\n"
"    if ka == 'string' then\n"
"      local ok, m = pcall(money, a); if not ok then return false end; a = m\n"
"    elseif kb == 'string' then\n"
"      local ok, m = pcall(money, b); if not ok then return false end; b = m\n"
"    end\n"
"    return kind(a) == 'money' and kind(b) == 'money' and a == b\n"
"  end\n"
"  return a == b\n"
"end\n"
"\n"
"local function keyorder(x, y)\n"
"  local tx, ty = type(x), type(y)\n"
"  if tx ~= ty then return tx < ty end\n"
"  if tx == 'number' or tx == 'string' then return x < y end\n"
"  return tostring(x) < tostring(y)\n"
"end\n"
"\n"
"local function show(v, depth)\n"
"  local k = kind(v)\n"
"  depth = depth or 0\n"
"  if k == 'string' then return format('%q', v) end\n"
"  if k == 'money' then return 'money(\"' .. tostring(v) .. '\")' end\n"
"  if k == 'time' then return 'at(\"' .. tostring(v) .. '\")' end\n"
"  if k ~= 'table' then return tostring(v) end\n"
"  if depth >= 2 then return '{...}' end\n"
"  local keys, parts, n = {}, {}, #v\n"
"  for key in pairs(v) do keys[#keys + 1] = key end\n"
"  sort(keys, keyorder)\n"
"  for _, key in ipairs(keys) do\n"
"    local s = show(v[key], depth + 1)\n"
"    if mtype(key) == 'integer' and key >= 1 and key <= n then\n"
"      parts[#parts + 1] = s\n"
"    elseif type(key) == 'string' and key:match('^[%a_][%w_]*$') then\n"
"      parts[#parts + 1] = key .. ' = ' .. s\n"
"    else\n"
"      parts[#parts + 1] = '[' .. show(key, 2) .. '] = ' .. s\n"
"    end\n"
"  end\n"
"  return '{' .. concat(parts, ', ') .. '}'\n"
"end\n"
"\n"
"local function prefix(msg)\n"
"  if msg == nil then return '' end\n"
"  return tostring(msg) .. ': '\n"
"end\n"
"\n"
"local function expect(cond, msg)\n"
"  if not cond then\n"
"    error(msg == nil and 'expectation failed'\n"
"          or 'expectation failed: ' .. tostring(msg), 2)\n"
"  end\n"
"  return cond\n"
"end\n"
"\n"
"local function expect_eq(actual, expected, msg)\n"
"  local ok = true\n"
"  if type(actual) == 'table' and type(expected) == 'table' then\n"
"    for k, v in pairs(actual) do\n"
"      if not same(v, expected[k]) then ok = false; break end\n"
"    end\n"
"    for k in pairs(expected) do\n"
"      if actual[k] == nil then ok = false; break end\n"
"    end\n"
"  else\n"
"    ok = same(actual, expected)\n"
"  end\n"
"  if not ok then\n"
"    error(prefix(msg) .. 'expected ' .. show(expected) .. ', got ' ..\n"
"          show(actual), 2)\n"
"  end\n"
"end\n"
"\n"
"local function expect_codes(verdicts, codes, msg)\n"
"  if type(verdicts) ~= 'table' then\n"
"    error('expect_codes(verdicts, codes): verdicts must be what check() '\n"
"          .. 'returned, not a ' .. type(verdicts), 2)\n"
"  end\n"
"  if type(codes) ~= 'table' then\n"
"    error('expect_codes(verdicts, codes): codes must be a list of codes, '\n"
"          .. 'not a ' .. type(codes), 2)\n"
"  end\n"
"  local want, got, ok = {}, {}, true\n"
"  for _, c in ipairs(codes) do want[c] = true end\n"
"  for _, v in ipairs(verdicts) do\n"
"    if v.code ~= nil then got[v.code] = true end\n"
"  end\n"
"  for c in pairs(want) do if not got[c] then ok = false end end\n"
"  for c in pairs(got) do if not want[c] then ok = false end end\n"
"  if ok then return end\n"
"  local w, g = {}, {}\n"
"  for c in pairs(want) do w[#w + 1] = tostring(c) end\n"
"  sort(w)\n"
"  for _, v in ipairs(verdicts) do\n"
"    g[#g + 1] = tostring(v.code) .. ' (' .. tostring(v.where) .. ': ' ..\n"
"                tostring(v.message) .. ')'\n"
"  end\n"
"  error(prefix(msg) .. 'expected codes {' .. concat(w, ', ') ..\n"
"        '}, got {' .. concat(g, '; ') .. '}', 2)\n"
"end\n"
"\n"
"return { expect = expect, expect_eq = expect_eq,\n"
"         expect_codes = expect_codes }\n";

/* ---- set-up (protected) ---------------------------------------------- */

static void push_closure(lua_State *L, struct ruletest *rt, lua_CFunction f)
{
	lua_pushlightuserdata(L, rt);
	lua_pushcclosure(L, f, 1);
}

/* Build the test files' environment. Argument: rt. */
static int setup_env(lua_State *L)
{
	struct ruletest *rt = lua_touserdata(L, 1);
	static const struct {
		const char *name;
		lua_CFunction fn;
	} fns[] = {
		{ "test", l_test }, { "translate", l_translate },
		{ "check", l_check }, { "at", l_at },
		{ "reference", l_reference },
	};
	int env;

	/* at() values. */
	lua_createtable(L, 0, 4);
	push_closure(L, rt, time_tostring_mm);
	lua_setfield(L, -2, "__tostring");
	push_closure(L, rt, time_eq_mm);
	lua_setfield(L, -2, "__eq");
	lua_pushliteral(L, "time");
	lua_setfield(L, -2, "__name");
	lua_pushliteral(L, "time");
	lua_setfield(L, -2, "__metatable");
	rt->time_mt = lua_topointer(L, -1);
	rt->time_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);

	lua_createtable(L, 0, 16);
	env = lua_gettop(L);
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		push_closure(L, rt, fns[i].fn);
		lua_setfield(L, env, fns[i].name);
	}

	/* null: a unique value, anchored in the registry. */
	lua_newuserdatauv(L, 1, 0);
	lua_createtable(L, 0, 3);
	lua_pushcfunction(L, null_tostring_mm);
	lua_setfield(L, -2, "__tostring");
	lua_pushliteral(L, "null");
	lua_setfield(L, -2, "__name");
	lua_pushliteral(L, "null");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	rt->null_id = lua_topointer(L, -1);
	lua_pushvalue(L, -1);
	rt->null_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_setfield(L, env, "null");

	/* Everything else comes from the rules' globals. */
	lua_createtable(L, 0, 2);
	lua_pushglobaltable(L);
	lua_setfield(L, -2, "__index");
	lua_pushliteral(L, "test environment");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, env);

	/* The expect functions. */
	if (luaL_loadbufferx(L, PRELUDE, sizeof(PRELUDE) - 1, "=(recon test)",
			     "t") != LUA_OK)
		return lua_error(L);
	lua_pushvalue(L, env);
	lua_setupvalue(L, -2, 1);
	push_closure(L, rt, l_epoch_of);
	lua_call(L, 1, 1);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, env);
	}
	lua_pop(L, 1);

	rt->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

/* Start test i: a new coroutine holding its function, anchored in the
 * registry under rt's address (replacing the last test's). Arguments: rt,
 * i. Returns the thread. */
static int start_test(lua_State *L)
{
	struct ruletest *rt = lua_touserdata(L, 1);
	size_t i = (size_t)lua_tointeger(L, 2);
	lua_State *co = lua_newthread(L);

	lua_rawgeti(L, LUA_REGISTRYINDEX, rt->cases[i].fn_ref);
	lua_xmove(L, co, 1);
	lua_pushvalue(L, -1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, rt);
	return 1;
}

/* A failed load or set-up on the main thread into err. */
static int main_failed(struct ruletest *rt, int st, const char *what,
		       struct error *err)
{
	struct sbuf msg = SBUF_INIT(SBUF_CAP_DEFAULT);
	const char *m, *rest;
	int line = 0, rc;

	if (rules_record_failure(rt->r, rt->L, st, what, &msg, err) < 0) {
		rc = -1;
	} else if (st == LUA_ERRMEM) {
		rc = error_set(err, ERR_NOMEM, "%s", msg.buf);
	} else {
		m = msg.buf;
		rules_parse_location(m, &line, &rest);
		if (err && err->code == ERR_OK)
			err->line = line;
		rc = error_set(err, ERR_RULE, "%s", m);
	}
	sbuf_release(&msg);
	rules_after_call(rt->r);
	return rc;
}

static int load_test_file(struct ruletest *rt, const char *path,
			  struct error *err)
{
	lua_State *L = rt->L;
	struct sbuf text = SBUF_INIT((size_t)16 << 20);
	struct sbuf name = SBUF_INIT(SBUF_CAP_DEFAULT);
	struct rules_budget b = { rules_load_budget(rt->r), 0, 0, NULL };
	int st, rc = 0;

	if (rules_read_file(path, "test file", &text, err) < 0 ||
	    rules_source_text(path, "test file", &text, err) < 0) {
		rc = -1;
		goto out;
	}
	if (sbuf_addf(&name, "@%s", path) < 0) {
		rc = error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	rules_mem_clear(rt->r);
	rules_budget_apply(rt->r, L, &b);
	lua_pushcfunction(L, rules_msgh);
	/* "t": text only; binary chunks could crash the VM. */
	st = luaL_loadbufferx(L, text.buf, text.len, name.buf, "t");
	if (st == LUA_OK) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, rt->env_ref);
		lua_setupvalue(L, -2, 1);	/* a main chunk's _ENV */
		rt->loading = 1;
		st = lua_pcall(L, 0, 0, RULES_SLOT_TOP + 1);
		rt->loading = 0;
	}
	if (st != LUA_OK)
		rc = main_failed(rt, st, path, err);
	rules_after_call(rt->r);
out:
	sbuf_release(&text);
	sbuf_release(&name);
	return rc;
}

/* ---- running ---------------------------------------------------------- */

/* Serve the request the test yielded with, on the main thread. */
static int serve(struct ruletest *rt, struct error *err)
{
	struct rules_budget fresh = { rules_call_budget(rt->r), 0, 0, NULL };
	int req = rt->req;

	rt->req = REQ_NONE;
	rules_budget_apply(rt->r, rt->L, &fresh);
	if (req == REQ_TRANSLATE) {
		const struct job_source *s = &rt->job->sources[rt->req_src];

		/* Every fake row has new names in the same arrays. */
		rules_forget_columns(rt->r);
		canon_reset(&rt->rec, s->role, (uint16_t)rt->req_src, 1);
		sbuf_reset(&rt->fail);
		rt->rc = rules_translate(rt->r, rt->req_src, &rt->row,
					 &rt->rec, &rt->fail, err);
		return rt->rc == -1 ? -1 : 0;
	}
	verdict_list_reset(&rt->verdicts);
	return rules_check(rt->r, &rt->group, &rt->verdicts, err);
}

/* The message of a test that failed in coroutine co (status st). */
static int test_message(struct ruletest *rt, lua_State *co, int st,
			const struct rtcase *c, struct sbuf *msg,
			struct error *err)
{
	const char *m = NULL, *rest;
	lua_Debug ar;
	int line, r = 0;

	if (st == LUA_YIELD)
		return sbuf_addf(msg, "%s: the test yielded outside translate() "
				 "and check()", c->where) < 0
			? error_set(err, ERR_NOMEM, "out of memory") : 0;
	/* Memory (the cap, or fatal) is classified as for a rule call. */
	if (rules_record_failure(rt->r, co, st, c->where, msg, err) < 0)
		return -1;
	if (st == LUA_ERRMEM)
		return 0;
	sbuf_reset(msg);
	if (lua_type(co, -1) == LUA_TSTRING)
		m = lua_tostring(co, -1);
	if (m && rules_parse_location(m, &line, &rest) > 0)
		return sbuf_addstr(msg, m) < 0
			? error_set(err, ERR_NOMEM, "out of memory") : 0;
	/* No position: the innermost Lua frame of the dead coroutine. */
	for (int lv = 0; lua_getstack(co, lv, &ar); lv++) {
		if (lua_getinfo(co, "Sl", &ar) && ar.currentline > 0) {
			r = sbuf_addf(msg, "%s:%d: ", ar.short_src,
				      ar.currentline);
			break;
		}
	}
	if (m)
		r |= sbuf_addstr(msg, m);
	else
		r |= sbuf_addf(msg, "error object is a %s value",
			       luaL_typename(co, -1));
	return r < 0 ? error_set(err, ERR_NOMEM, "out of memory") : 0;
}

static int run_case(struct ruletest *rt, size_t i,
		    struct ruletest_report *rep, struct error *err)
{
	lua_State *L = rt->L, *co;
	const struct rtcase *c = &rt->cases[i];
	struct rules_budget tb = { rules_call_budget(rt->r), 0, 0, NULL };
	struct sbuf msg = SBUF_INIT(SBUF_CAP_DEFAULT);
	int st, nres, rc = -1, anchored = 0;

	/* each test starts with the job's CSV references alone */
	if (clear_refs(rt) < 0)
		return error_set(err, ERR_NOMEM, "rule tests: out of memory");
	rules_mem_clear(rt->r);
	rules_budget_apply(rt->r, L, &tb);
	lua_pushcfunction(L, rules_msgh);
	lua_pushcfunction(L, start_test);
	lua_pushlightuserdata(L, rt);
	lua_pushinteger(L, (lua_Integer)i);
	st = lua_pcall(L, 2, 1, RULES_SLOT_TOP + 1);
	if (st != LUA_OK) {
		main_failed(rt, st, "rule tests", err);
		goto out;
	}
	co = lua_tothread(L, -1);
	anchored = 1;
	rules_after_call(rt->r);	/* co stays anchored in the registry */

	/* The hook is set on the coroutine once: its count then carries on
	 * across yields, so a test looping over translate() still runs out.
	 * After a request only the budget's numbers come back. */
	rt->req = REQ_NONE;
	rules_budget_apply(rt->r, co, &tb);
	for (;;) {
		st = lua_resume(co, L, 0, &nres);
		if (st != LUA_YIELD || rt->req == REQ_NONE)
			break;
		lua_pop(co, nres);
		rules_budget_save(rt->r, &tb);
		if (serve(rt, err) < 0)
			goto out;
		rules_after_call(rt->r);
		rules_budget_restore(rt->r, &tb);
	}
	if (st != LUA_OK && test_message(rt, co, st, c, &msg, err) < 0)
		goto out;
	rc = report_add(rep, c, st == LUA_OK ? NULL : msg.buf, err);
out:
	/* Let the coroutine go before collecting what a capped test left.
	 * Clearing an existing key allocates nothing. A test that failed
	 * leaves its coroutine dead with its to-be-closed variables open:
	 * never lua_closethread() it, since one that died from the budget
	 * died inside the count hook and keeps hooks off, so its __close
	 * handlers would run unhooked. Collecting a thread closes none. */
	if (anchored) {
		lua_pushnil(L);
		lua_rawsetp(L, LUA_REGISTRYINDEX, rt);
	}
	rules_after_call(rt->r);
	sbuf_release(&msg);
	return rc;
}

/* ---- finding test files ---------------------------------------------- */

struct strlist {
	char **v;
	size_t n, alloc;
};

static void strlist_release(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		mem_free(l->v[i]);
	mem_free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

/* Append s (taking ownership; NULL means an allocation failed). */
static int strlist_take(struct strlist *l, char *s)
{
	if (!s)
		return -1;
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 16, bytes;
		char **nv;

		if (mem_mul(na, sizeof(*nv), &bytes) < 0 ||
		    !(nv = mem_realloc(l->v, bytes))) {
			mem_free(s);
			return -1;
		}
		l->v = nv;
		l->alloc = na;
	}
	l->v[l->n++] = s;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_test_name(const char *n)
{
	static const char sfx[] = "_test.lua";
	size_t len = strlen(n), sl = sizeof(sfx) - 1;

	return n[0] != '.' && len >= sl && strcmp(n + len - sl, sfx) == 0;
}

/* Every *_test.lua of DIR/tests for the folder DIR of each rule file. */
static int discover(const struct job *job, struct strlist *files,
		    struct sbuf *looked, struct error *err)
{
	struct strlist dirs = { NULL, 0, 0 }, names = { NULL, 0, 0 };
	struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);
	int rc = -1;

	for (size_t i = 0; i < job->nrule_files; i++) {
		const char *p = job->rule_files[i], *slash = strrchr(p, '/');
		int seen = 0;
		DIR *d;
		struct dirent *e;

		sbuf_reset(&sb);
		if (slash)
			sbuf_add(&sb, p, (size_t)(slash - p + 1));
		sbuf_addstr(&sb, "tests");
		if (sb.failed)
			goto nomem;
		for (size_t j = 0; j < dirs.n && !seen; j++)
			seen = strcmp(dirs.v[j], sb.buf) == 0;
		if (seen)
			continue;
		if (strlist_take(&dirs, mem_strdup(sb.buf)) < 0)
			goto nomem;
		if ((looked->len && sbuf_addstr(looked, ", ") < 0) ||
		    sbuf_addstr(looked, sb.buf) < 0)
			goto nomem;
		d = opendir(sb.buf);
		if (!d) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			error_set(err, ERR_RULE, "cannot read the test folder "
				  "%s: %s", sb.buf, strerror(errno));
			goto out;
		}
		errno = 0;
		while ((e = readdir(d)) != NULL) {
			if (is_test_name(e->d_name) &&
			    strlist_take(&names, mem_strdup(e->d_name)) < 0) {
				closedir(d);
				goto nomem;
			}
		}
		closedir(d);
		if (names.n > 1)
			qsort(names.v, names.n, sizeof(*names.v), str_cmp);
		for (size_t j = 0; j < names.n; j++) {
			struct sbuf full = SBUF_INIT(SBUF_CAP_DEFAULT);

			if (sbuf_addf(&full, "%s/%s", sb.buf, names.v[j]) < 0 ||
			    strlist_take(files, sbuf_detach(&full, NULL)) < 0) {
				sbuf_release(&full);
				goto nomem;
			}
		}
		strlist_release(&names);
	}
	rc = 0;
	goto out;
nomem:
	error_set(err, ERR_NOMEM, "rule tests: out of memory");
out:
	strlist_release(&dirs);
	strlist_release(&names);
	sbuf_release(&sb);
	return rc;
}

/* ---- the entry point -------------------------------------------------- */

int ruletest_run(const struct job *job, const char *const *files,
		 size_t nfiles, struct ruletest_report *rep,
		 struct error *err)
{
	struct ruletest rt;
	struct strlist found = { NULL, 0, 0 };
	struct sbuf looked = SBUF_INIT(SBUF_CAP_DEFAULT);
	const char *const *list = files;
	int rc = -1, st;

	memset(&rt, 0, sizeof(rt));
	rt.job = job;
	rt.env_ref = rt.null_ref = rt.time_mt_ref = LUA_NOREF;
	sbuf_init(&rt.text, ROW_TEXT_CAP);
	sbuf_init(&rt.gtext, ROW_TEXT_CAP);
	sbuf_init(&rt.fail, SBUF_CAP_DEFAULT);
	sbuf_init(&rt.tmp, SBUF_CAP_DEFAULT);
	canon_init(&rt.rec);
	canon_init(&rt.deal);
	canon_init(&rt.order);
	verdict_list_init(&rt.verdicts);
	error_init(&rt.rerr);

	if (nfiles == 0) {
		if (discover(job, &found, &looked, err) < 0)
			goto out;
		if (found.n == 0) {
			error_set(err, ERR_RULE, "no rule tests: no *_test.lua "
				  "file in %s", looked.len ? looked.buf
				  : "(the job has no rule files)");
			goto out;
		}
		list = (const char *const *)found.v;
		nfiles = found.n;
	}
	if (rules_open(job, &rt.r, err) < 0)
		goto out;
	rt.L = rules_lua(rt.r);
	/* The job's CSV references (files kept with the rules); those on a
	 * DSN are not read: tests give their rows with reference(). */
	rt.base.t = mem_calloc(job->nreferences ? job->nreferences : 1,
			       sizeof(*rt.base.t));
	if (!rt.base.t) {
		error_set(err, ERR_NOMEM, "rule tests: out of memory");
		goto out;
	}
	for (size_t i = 0; i < job->nreferences; i++) {
		uint64_t cap = job->reference_rows ? job->reference_rows
						   : JOB_DEFAULT_REFERENCE_ROWS;

		if (!job->references[i].file)
			continue;
		if (ref_load(&job->references[i], cap,
			     &rt.base.t[rt.base.n], err) < 0)
			goto out;
		rt.base.n++;
	}

	{
		struct rules_budget b = { rules_load_budget(rt.r), 0, 0, NULL };

		rules_mem_clear(rt.r);
		rules_budget_apply(rt.r, rt.L, &b);
	}
	lua_pushcfunction(rt.L, rules_msgh);
	lua_pushcfunction(rt.L, setup_env);
	lua_pushlightuserdata(rt.L, &rt);
	st = lua_pcall(rt.L, 1, 0, RULES_SLOT_TOP + 1);
	if (st != LUA_OK) {
		main_failed(&rt, st, "rule tests: setting up", err);
		goto out;
	}
	rules_after_call(rt.r);

	for (size_t i = 0; i < nfiles; i++)
		if (load_test_file(&rt, list[i], err) < 0)
			goto out;
	for (size_t i = 0; i < rt.ncases; i++)
		if (run_case(&rt, i, rep, err) < 0)
			goto out;
	rc = 0;
out:
	if (rt.r) {
		while (rt.refs.n)
			drop_ref(&rt, rt.refs.n - 1);
		rules_set_refs(rt.r, NULL);
	}
	rules_free(rt.r);
	mem_free(rt.refs.t);
	mem_free(rt.owned);
	ref_set_release(&rt.base);
	error_release(&rt.rerr);
	for (size_t i = 0; i < rt.ncases; i++) {
		mem_free(rt.cases[i].name);
		mem_free(rt.cases[i].where);
	}
	mem_free(rt.cases);
	mem_free(rt.cols);
	mem_free((void *)rt.names);
	mem_free(rt.vals);
	sbuf_release(&rt.text);
	sbuf_release(&rt.gtext);
	sbuf_release(&rt.fail);
	sbuf_release(&rt.tmp);
	canon_release(&rt.rec);
	canon_release(&rt.deal);
	canon_release(&rt.order);
	for (size_t i = 0; i < rt.aedocs; i++)
		canon_release(&rt.edocs[i]);
	for (size_t i = 0; i < rt.axorders; i++)
		canon_release(&rt.xorders[i]);
	mem_free(rt.edocs);
	mem_free(rt.xorders);
	mem_free((void *)rt.edocp);
	mem_free((void *)rt.xorderp);
	verdict_list_release(&rt.verdicts);
	strlist_release(&found);
	sbuf_release(&looked);
	return rc;
}
