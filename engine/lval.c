/*
 * lval.c - the values rule code sees (lval.h): money, kept text, shown
 * values, source values.
 */
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>

#include "lval.h"
#include "../connectors/connector.h"
#include "money.h"
#include "text.h"
#include "banned.h"

/* A C-side allocation failed inside a call: remember it (the engine turns
 * it into ERR_NOMEM) and unwind. */
int lval_raise_nomem(lua_State *L)
{
	lval_ctx(L)->fatal = 1;
	return luaL_error(L, "out of memory");
}

/* A rule's value as messages show it (pushed; borrowed from the stack):
 * NUL bytes and bytes that are not UTF-8 made visible, so that the
 * message names the value it refuses and not a prefix of it, and at most
 * SHOWN_CAP bytes of it (text_add_clean()). Built in r->tmp: nothing to
 * leak when the caller raises. */
#define SHOWN_CAP ((size_t)256)
const char *lval_shown(lua_State *L, const char *s, size_t n)
{
	struct lval_ctx *r = lval_ctx(L);

	sbuf_reset(&r->tmp);
	if (text_add_clean(&r->tmp, s, n, SHOWN_CAP) < 0)
		lval_raise_nomem(L);
	lua_pushlstring(L, r->tmp.buf, r->tmp.len);
	return lua_tostring(L, -1);
}

/* ---- money ---------------------------------------------------------- */

int64_t *lval_money_test(lua_State *L, int i)
{
	void *p = lua_touserdata(L, i);

	if (p && lua_getmetatable(L, i)) {
		const void *mt = lua_topointer(L, -1);

		lua_pop(L, 1);
		if (mt == lval_ctx(L)->money_mt)
			return p;
	}
	return NULL;
}

void lval_money_push(lua_State *L, int64_t v)
{
	int64_t *p = lua_newuserdatauv(L, sizeof(*p), 0);

	*p = v;
	lua_rawgeti(L, LUA_REGISTRYINDEX, lval_ctx(L)->money_mt_ref);
	lua_setmetatable(L, -2);
}

/* Money operand i of `op`, or a Lua error saying why it is not. */
int64_t lval_money_operand(lua_State *L, int i, const char *op)
{
	int64_t *m = lval_money_test(L, i);

	if (m)
		return *m;
	if (lua_isinteger(L, i))
		luaL_error(L, "money %s %I: a number is not money; write "
			   "money(%I) for whole units", op,
			   lua_tointeger(L, i), lua_tointeger(L, i));
	else if (lua_type(L, i) == LUA_TNUMBER)
		luaL_error(L, "money %s %f is not exact: floats are never "
			   "money; write money(\"...\") with the decimal text",
			   op, lua_tonumber(L, i));
	else
		luaL_error(L, "money %s %s: both sides must be money", op,
			   luaL_typename(L, i));
	return 0;
}

/* Push the result of an arithmetic helper (status first: it wrote *v). */
static int money_result(lua_State *L, int status, const int64_t *v,
			const char *op)
{
	if (status != MONEY_OK)
		return luaL_error(L, "money %s: result out of range "
				  "(overflow)", op);
	lval_money_push(L, *v);
	return 1;
}

static int l_money(lua_State *L)
{
	int64_t v, *m;
	int st;

	switch (lua_type(L, 1)) {
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, 1, &n);

		st = money_parse(s, n, &v);
		if (st != MONEY_OK)
			return luaL_error(L, "money(\"%s\"): %s",
					  lval_shown(L, s, n), money_strerror(st));
		break;
	}
	case LUA_TNUMBER:
		if (!lua_isinteger(L, 1))
			return luaL_error(L, "money(%f): a float is not exact; "
					  "write money(\"...\") with the "
					  "decimal text", lua_tonumber(L, 1));
		if (money_mul_int(MONEY_ONE, lua_tointeger(L, 1), &v) != MONEY_OK)
			return luaL_error(L, "money(%I): out of range",
					  lua_tointeger(L, 1));
		break;
	case LUA_TUSERDATA:
		if ((m = lval_money_test(L, 1)) != NULL) {
			v = *m;
			break;
		}
		/* fall through */
	default:
		return luaL_error(L, "money() wants a decimal string, an "
				  "integer or money, not a %s",
				  luaL_typename(L, 1));
	}
	lval_money_push(L, v);
	return 1;
}

static int money_add_mm(lua_State *L)
{
	int64_t a = lval_money_operand(L, 1, "+"), b = lval_money_operand(L, 2, "+"), v;

	return money_result(L, money_add(a, b, &v), &v, "+");
}

static int money_sub_mm(lua_State *L)
{
	int64_t a = lval_money_operand(L, 1, "-"), b = lval_money_operand(L, 2, "-"), v;

	return money_result(L, money_sub(a, b, &v), &v, "-");
}

static int money_unm_mm(lua_State *L)
{
	int64_t a = lval_money_operand(L, 1, "-"), v;

	return money_result(L, money_sub(0, a, &v), &v, "unary -");
}

static int money_mul_mm(lua_State *L)
{
	int64_t *a = lval_money_test(L, 1), *b = lval_money_test(L, 2), v;
	int k = a ? 2 : 1;	/* the factor's position */

	if (a && b)
		return luaL_error(L, "money * money has no meaning; multiply "
				  "money by an integer");
	if (lua_type(L, k) == LUA_TNUMBER && !lua_isinteger(L, k))
		return luaL_error(L, "money * %f is not exact; multiply by an "
				  "integer, or compare with within() and a "
				  "tolerance", lua_tonumber(L, k));
	if (!lua_isinteger(L, k))
		return luaL_error(L, "money * %s: the factor must be an "
				  "integer", luaL_typename(L, k));
	return money_result(L, money_mul_int(a ? *a : *b, lua_tointeger(L, k),
					     &v), &v, "*");
}

static int money_div_mm(lua_State *L)
{
	return luaL_error(L, "money cannot be divided exactly; use "
			  "m:minor(decimals) for an integer of minor units, or "
			  "within() to compare with a tolerance");
}

static int money_eq_mm(lua_State *L)
{
	int64_t *a = lval_money_test(L, 1), *b = lval_money_test(L, 2);

	lua_pushboolean(L, a && b && *a == *b);
	return 1;
}

static int money_compare(lua_State *L, const char *op)
{
	int64_t *a = lval_money_test(L, 1), *b = lval_money_test(L, 2);

	if (!a || !b) {
		int other = a ? 2 : 1;

		if (lua_type(L, other) == LUA_TNUMBER)
			return luaL_error(L, "cannot compare money with a "
					  "number (%s): a number has no scale; "
					  "write money(...) on both sides", op);
		return luaL_error(L, "cannot compare money with a %s (%s)",
				  luaL_typename(L, other), op);
	}
	return *a < *b ? -1 : *a > *b;
}

static int money_lt_mm(lua_State *L)
{
	lua_pushboolean(L, money_compare(L, "<") < 0);
	return 1;
}

static int money_le_mm(lua_State *L)
{
	lua_pushboolean(L, money_compare(L, "<=") <= 0);
	return 1;
}

/* Push the text of money v (money_format, 2 decimals at least). */
void lval_money_pushtext(lua_State *L, int64_t v)
{
	struct lval_ctx *r = lval_ctx(L);

	sbuf_reset(&r->tmp);
	if (money_format(v, 2, &r->tmp) < 0)
		lval_raise_nomem(L);
	lua_pushlstring(L, r->tmp.buf, r->tmp.len);
}

static int money_tostring_mm(lua_State *L)
{
	int64_t *m = lval_money_test(L, 1);

	if (!m)
		return luaL_error(L, "not money");
	lval_money_pushtext(L, *m);
	return 1;
}

static int money_concat_mm(lua_State *L)
{
	for (int i = 1; i <= 2; i++) {
		int64_t *m = lval_money_test(L, i);

		if (m)
			lval_money_pushtext(L, *m);
		else if (lua_type(L, i) == LUA_TSTRING ||
			 lua_type(L, i) == LUA_TNUMBER)
			luaL_tolstring(L, i, NULL);
		else
			return luaL_error(L, "attempt to concatenate a %s "
					  "value", luaL_typename(L, i));
	}
	lua_concat(L, 2);
	return 1;
}

static int money_m_abs(lua_State *L)
{
	int64_t a = lval_money_operand(L, 1, "abs"), v;

	return money_result(L, money_abs(a, &v), &v, "abs");
}

static int money_m_is_zero(lua_State *L)
{
	lua_pushboolean(L, lval_money_operand(L, 1, "is_zero") == 0);
	return 1;
}

static int money_m_minor(lua_State *L)
{
	int64_t v = lval_money_operand(L, 1, "minor"), div = 1;
	lua_Integer d = luaL_checkinteger(L, 2);

	if (d < 0 || d > MONEY_SCALE)
		return luaL_error(L, "m:minor(%I): decimals must be 0..%d", d,
				  MONEY_SCALE);
	for (lua_Integer i = d; i < MONEY_SCALE; i++)
		div *= 10;
	if (v % div != 0) {
		lval_money_pushtext(L, v);
		return luaL_error(L, "m:minor(%I): %s has more than %I "
				  "decimals", d, lua_tostring(L, -1), d);
	}
	lua_pushinteger(L, (lua_Integer)(v / div));
	return 1;
}

static int money_index_mm(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL)
		return luaL_error(L, "money has no method '%s' (methods: abs, "
				  "is_zero, minor)", lua_type(L, 2) == LUA_TSTRING
				  ? lua_tostring(L, 2) : luaL_typename(L, 2));
	return 1;
}

/* ---- the rule boundary: text the engine keeps ----------------------- */

/*
 * Raise unless s[0..n) is text the engine can keep exactly: no NUL byte
 * (the store binds C strings and would cut the text there, so two values
 * would become one stored key) and well-formed UTF-8 (the reports are
 * UTF-8 and PostgreSQL refuses anything else). `what` names the value
 * ("out.customer"); positions are 1-based, as in string.sub.
 */
void lval_check_text(lua_State *L, const char *what, const char *s,
		       size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *z = memchr(s, '\0', n);
	size_t bad;

	if (z)
		luaL_error(L, "%s: text with a NUL byte (at position %I) cannot "
			   "be kept; remove it, e.g. value:gsub(\"\\0\", \"\")",
			   what, (lua_Integer)(z - s) + 1);
	if (!utf8_valid(s, n, &bad)) {
		unsigned char c = (unsigned char)s[bad];
		char b[3] = { hex[c >> 4], hex[c & 15], '\0' };

		luaL_error(L, "%s: text is not valid UTF-8 (byte 0x%s at "
			   "position %I); convert the value to UTF-8 or drop "
			   "the bad bytes", what, b, (lua_Integer)bad + 1);
	}
}

void lval_push_value(lua_State *L, int type, int64_t i, const char *s,
		      size_t len)
{
	switch (type) {
	case VAL_INT:
	case VAL_TIME:
		lua_pushinteger(L, (lua_Integer)i);
		break;
	case VAL_DEC:
		lval_money_push(L, i);
		break;
	case VAL_TEXT:
		lua_pushlstring(L, s, len);
		break;
	default:
		lua_pushnil(L);
		break;
	}
}

void lval_push_names(lua_State *L, const char *const *names, size_t n)
{
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (size_t c = 0; c < n; c++) {
		if (c)
			luaL_addstring(&b, ", ");
		luaL_addstring(&b, names[c]);
	}
	luaL_pushresult(&b);
}

void lval_money_open(lua_State *L)
{
	struct lval_ctx *r = lval_ctx(L);
	static const luaL_Reg money_meta[] = {
		{ "__add", money_add_mm }, { "__sub", money_sub_mm },
		{ "__unm", money_unm_mm }, { "__mul", money_mul_mm },
		{ "__div", money_div_mm }, { "__idiv", money_div_mm },
		{ "__mod", money_div_mm }, { "__pow", money_div_mm },
		{ "__eq", money_eq_mm }, { "__lt", money_lt_mm },
		{ "__le", money_le_mm }, { "__tostring", money_tostring_mm },
		{ "__concat", money_concat_mm }, { NULL, NULL }
	};
	static const luaL_Reg money_methods[] = {
		{ "abs", money_m_abs }, { "is_zero", money_m_is_zero },
		{ "minor", money_m_minor }, { NULL, NULL }
	};
	lua_createtable(L, 0, 16);
	luaL_setfuncs(L, money_meta, 0);
	lua_createtable(L, 0, 3);
	luaL_setfuncs(L, money_methods, 0);
	lua_pushcclosure(L, money_index_mm, 1);
	lua_setfield(L, -2, "__index");
	lua_pushliteral(L, "money");
	lua_setfield(L, -2, "__name");
	lua_pushliteral(L, "money");
	lua_setfield(L, -2, "__metatable");
	r->money_mt = lua_topointer(L, -1);
	r->money_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);

	lua_pushcfunction(L, l_money);
	lua_setglobal(L, "money");
}
