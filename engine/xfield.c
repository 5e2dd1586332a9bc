/*
 * xfield.c - site-defined fields between Lua and records (xfield.h).
 */
#include <string.h>
#include <strings.h>

#include <lauxlib.h>

#include "xfield.h"
#include "money.h"
#include "tstamp.h"
#include "lval.h"
#include "banned.h"

#define DAY INT64_C(86400)

/* A decimal integer with an optional sign, nothing else: 0 and *v, or
 * -1 (not one, or out of range). */
static int parse_int(const char *s, size_t n, int64_t *v)
{
	uint64_t acc = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || acc > (lim - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	*v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 0;
}

static int64_t to_money(lua_State *L, int idx, const char *what)
{
	int64_t *m = lval_money_test(L, idx), v = 0;
	const char *s;
	size_t n;
	int st;

	if (m)
		return *m;
	if (lua_type(L, idx) == LUA_TSTRING) {
		s = lua_tolstring(L, idx, &n);
		st = money_parse(s, n, &v);
		if (st != MONEY_OK)
			luaL_error(L, "%s = \"%s\": %s", what,
				   lval_shown(L, s, n), money_strerror(st));
		return v;
	}
	if (lua_type(L, idx) == LUA_TNUMBER)
		luaL_error(L, "%s: a number is not money (whole units or "
			   "minor units?); write money(...) or a decimal "
			   "string", what);
	luaL_error(L, "%s is a money field: give money, a decimal string or "
		   "nil, not a %s", what, luaL_typename(L, idx));
	return 0;
}

static int64_t to_integer(lua_State *L, int idx, const char *what)
{
	int64_t *m = lval_money_test(L, idx), v = 0;
	const char *s;
	size_t n;

	if (lua_isinteger(L, idx))
		return (int64_t)lua_tointeger(L, idx);
	if (m) {
		if (*m % MONEY_ONE != 0)
			luaL_error(L, "%s is an integer field: money with a "
				   "fraction is not an integer", what);
		return *m / MONEY_ONE;
	}
	if (lua_type(L, idx) == LUA_TSTRING) {
		s = lua_tolstring(L, idx, &n);
		if (parse_int(s, n, &v) < 0)
			luaL_error(L, "%s = \"%s\": not a whole number (digits "
				   "with an optional sign, at most 19)", what,
				   lval_shown(L, s, n));
		return v;
	}
	if (lua_type(L, idx) == LUA_TNUMBER)
		luaL_error(L, "%s is an integer field: %s is a float; use "
			   "math.tointeger(x) or a whole number", what,
			   lua_tostring(L, idx));
	luaL_error(L, "%s is an integer field: give an integer, a string of "
		   "digits or nil, not a %s", what, luaL_typename(L, idx));
	return 0;
}

static int64_t to_time(lua_State *L, int idx, const char *what, int date)
{
	const char *s;
	size_t n;
	int64_t v;

	if (lua_isinteger(L, idx)) {
		v = (int64_t)lua_tointeger(L, idx);
		if (v < TSTAMP_MIN || v > TSTAMP_MAX)
			luaL_error(L, "%s = %I: outside the years 0001 to 9999 "
				   "(epoch seconds %I to %I)", what,
				   (lua_Integer)v, (lua_Integer)TSTAMP_MIN,
				   (lua_Integer)TSTAMP_MAX);
	} else if (lua_type(L, idx) == LUA_TSTRING) {
		s = lua_tolstring(L, idx, &n);
		if (tstamp_parse(s, n, &v) < 0)
			luaL_error(L, "%s = \"%s\": not a %s (expected "
				   "YYYY-MM-DD%s)", what, lval_shown(L, s, n),
				   date ? "date" : "timestamp",
				   date ? "" : ", optionally with HH:MM[:SS]");
	} else {
		luaL_error(L, "%s is a %s field: give %s, epoch seconds (an "
			   "integer) or nil, not a %s", what,
			   date ? "date" : "timestamp",
			   date ? "\"YYYY-MM-DD\"" : "a date string",
			   luaL_typename(L, idx));
		return 0;
	}
	/* a date is a day: a time of day in it would be lost when it is
	 * published or compared as a date, so it is refused, not cut */
	if (date && ((v % DAY) + DAY) % DAY != 0)
		luaL_error(L, "%s is a date field: the value has a time of day "
			   "(%I seconds past midnight UTC); declare the field "
			   "as a timestamp, or cut the time off in the rule",
			   what, (lua_Integer)(((v % DAY) + DAY) % DAY));
	return v;
}

static int to_boolean(lua_State *L, int idx, const char *what)
{
	const char *s;
	size_t n;

	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN:
		return lua_toboolean(L, idx);
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx) && (lua_tointeger(L, idx) == 0 ||
					      lua_tointeger(L, idx) == 1))
			return (int)lua_tointeger(L, idx);
		break;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &n);
		if ((n == 1 && s[0] == '1') ||
		    (n == 4 && strncasecmp(s, "true", 4) == 0))
			return 1;
		if ((n == 1 && s[0] == '0') ||
		    (n == 5 && strncasecmp(s, "false", 5) == 0))
			return 0;
		luaL_error(L, "%s = \"%s\": not a boolean (true, false, 1 or "
			   "0)", what, lval_shown(L, s, n));
		return 0;
	}
	lua_pushvalue(L, idx);
	luaL_error(L, "%s is a boolean field: give true, false, 0, 1 or nil, "
		   "not %s", what, lua_type(L, idx) == LUA_TNUMBER
		   ? lua_tostring(L, -1) : luaL_typename(L, idx));
	return 0;
}

void xfield_set(lua_State *L, const struct job *job, struct canon *c,
		unsigned fi, int idx, const char *what)
{
	const struct job_field *f = &job->fields[fi];
	unsigned nx = (unsigned)job->nfields;
	const char *s;
	size_t n;
	int rc;

	idx = lua_absindex(L, idx);
	if (lua_isnil(L, idx)) {
		canon_xclear(c, fi);
		return;
	}
	switch (f->type) {
	case CFT_TEXT: {
		int t = lua_type(L, idx);

		if (t == LUA_TNUMBER && !lua_isinteger(L, idx))
			luaL_error(L, "%s is a text field: a float is not "
				   "text; use a string", what);
		if (t != LUA_TSTRING && t != LUA_TNUMBER)
			luaL_error(L, "%s is a text field: give a string or "
				   "nil, not a %s", what,
				   luaL_typename(L, idx));
		lua_pushvalue(L, idx);	/* tolstring converts a copy */
		s = lua_tolstring(L, -1, &n);
		if (n > CANON_STR_CAP)
			luaL_error(L, "%s: %I bytes is over the limit of %I",
				   what, (lua_Integer)n,
				   (lua_Integer)CANON_STR_CAP);
		lval_check_text(L, what, s, n);
		rc = canon_xset(c, fi, nx, s, n);
		lua_pop(L, 1);
		break;
	}
	case CFT_MONEY:
		rc = canon_xset_i64(c, fi, nx, to_money(L, idx, what));
		break;
	case CFT_INTEGER:
		rc = canon_xset_i64(c, fi, nx, to_integer(L, idx, what));
		break;
	case CFT_DATE:
	case CFT_TIMESTAMP:
		rc = canon_xset_i64(c, fi, nx,
				    to_time(L, idx, what, f->type == CFT_DATE));
		break;
	default: {
		char b = (char)to_boolean(L, idx, what);

		rc = canon_xset(c, fi, nx, &b, 1);
		break;
	}
	}
	if (rc < 0) {
		if (c->data.failed == SBUF_TOOLONG)
			luaL_error(L, "%s: too much text set on one record",
				   what);
		lval_raise_nomem(L);
	}
}

void xfield_push(lua_State *L, const struct canon *c,
		 const struct job_field *f, unsigned fi)
{
	size_t n;
	const char *p = canon_xget(c, fi, &n);
	int64_t v;

	if (!p) {
		lua_pushnil(L);
		return;
	}
	switch (f->type) {
	case CFT_TEXT:
		lua_pushlstring(L, p, n);
		return;
	case CFT_BOOLEAN:
		lua_pushboolean(L, n == 1 && p[0] != 0);
		return;
	default:
		if (n != sizeof(v)) {
			lua_pushnil(L);
			return;
		}
		memcpy(&v, p, sizeof(v));
		if (f->type == CFT_MONEY)
			lval_money_push(L, v);
		else
			lua_pushinteger(L, (lua_Integer)v);
		return;
	}
}

void xfield_push_names(lua_State *L, const struct job *job, unsigned role)
{
	luaL_Buffer b;
	int any = 0;

	luaL_buffinit(L, &b);
	for (size_t i = 0; i < job->nfields; i++) {
		const struct job_field *f = &job->fields[i];

		if (!(f->roles & (1u << role)))
			continue;
		if (any++)
			luaL_addstring(&b, ", ");
		luaL_addstring(&b, f->name);
		luaL_addstring(&b, " (");
		luaL_addstring(&b, canon_ftype_names[f->type]);
		luaL_addchar(&b, ')');
	}
	if (!any)
		luaL_addstring(&b, "none");
	luaL_pushresult(&b);
}

void xfield_push_roles(lua_State *L, const struct job_field *f)
{
	luaL_Buffer b;
	int any = 0;

	luaL_buffinit(L, &b);
	for (unsigned k = 0; k < CANON__KINDS; k++) {
		if (!(f->roles & (1u << k)))
			continue;
		if (any++)
			luaL_addstring(&b, ", ");
		luaL_addstring(&b, canon_kind_names[k]);
	}
	luaL_pushresult(&b);
}
