/*
 * xfield.c - site-defined fields between Lua and records (xfield.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>

#include "xfield.h"
#include "money.h"
#include "tstamp.h"
#include "lval.h"
#include "banned.h"

#define DAY INT64_C(86400)

/* A decimal integer with an optional sign, nothing else: 0 and *v; -1
 * (not one); -2 (digits, but out of range). */
static int parse_int(const char *s, size_t n, int64_t *v)
{
	uint64_t acc = 0, lim;
	size_t i = 0;
	int neg = 0, over = 0;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return -1;
		if (over || acc > (lim - d) / 10)
			over = 1;
		else
			acc = acc * 10 + d;
	}
	if (over)
		return -2;
	*v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 0;
}

/*
 * Push the value at idx as the errors show it, the way a rule would
 * write it: "EU" (quoted, cleaned, cut), 12 or 2.5, true, money("1.50");
 * anything else by its kind ("a table"). Every refusal below reads
 * "out.fields.NAME = VALUE: why; what to write instead", so an analyst
 * sees which value of the row was refused without reading the rule.
 */
static const char *push_shown(lua_State *L, int idx)
{
	const char *s;
	size_t n;

	if (lval_money_test(L, idx)) {
		luaL_tolstring(L, idx, NULL);
		s = lua_pushfstring(L, "money(\"%s\")", lua_tostring(L, -1));
		lua_remove(L, -2);
		return s;
	}
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &n);
		lval_shown(L, s, n);
		s = lua_pushfstring(L, "\"%s\"", lua_tostring(L, -1));
		lua_remove(L, -2);
		return s;
	case LUA_TNUMBER:
	case LUA_TBOOLEAN:
		return luaL_tolstring(L, idx, NULL);
	default:
		return lua_pushfstring(L, "a %s", luaL_typename(L, idx));
	}
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
			luaL_error(L, "%s = %s: not an amount of money (%s); "
				   "write it like \"1234.56\"", what,
				   push_shown(L, idx), money_strerror(st));
		return v;
	}
	if (lua_type(L, idx) == LUA_TNUMBER)
		luaL_error(L, "%s = %s: a plain number is not money (whole "
			   "units or cents?); write money(\"12.50\") or a "
			   "decimal string such as \"12.50\"", what,
			   push_shown(L, idx));
	luaL_error(L, "%s = %s: a money field takes money(...) or a decimal "
		   "string such as \"12.50\"", what, push_shown(L, idx));
	return 0;
}

static int64_t to_integer(lua_State *L, int idx, const char *what)
{
	int64_t *m = lval_money_test(L, idx), v = 0;
	const char *s;
	size_t n;
	int rc;

	if (lua_isinteger(L, idx))
		return (int64_t)lua_tointeger(L, idx);
	if (m) {
		if (*m % MONEY_ONE != 0)
			luaL_error(L, "%s = %s: an integer field takes whole "
				   "numbers, and this amount has a fraction",
				   what, push_shown(L, idx));
		return *m / MONEY_ONE;
	}
	if (lua_type(L, idx) == LUA_TSTRING) {
		s = lua_tolstring(L, idx, &n);
		rc = parse_int(s, n, &v);
		if (rc == -2)
			luaL_error(L, "%s = %s: too large for an integer field "
				   "(at most 9223372036854775807, at least "
				   "-9223372036854775808)", what,
				   push_shown(L, idx));
		if (rc < 0)
			luaL_error(L, "%s = %s: not a whole number (write "
				   "digits only, with an optional - or + in "
				   "front)", what, push_shown(L, idx));
		return v;
	}
	if (lua_type(L, idx) == LUA_TNUMBER)
		luaL_error(L, "%s = %s: an integer field takes whole numbers; "
			   "this number has a decimal point (convert it with "
			   "math.tointeger(x), or round it with "
			   "math.floor(x))", what, push_shown(L, idx));
	luaL_error(L, "%s = %s: an integer field takes a whole number or a "
		   "string of digits", what, push_shown(L, idx));
	return 0;
}

static int64_t to_time(lua_State *L, int idx, const char *what, int date)
{
	const char *s;
	size_t n;
	int64_t v, tod;
	char hms[16];

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
			luaL_error(L, "%s = %s: not a %s (write %s)", what,
				   push_shown(L, idx),
				   date ? "date" : "timestamp",
				   date ? "YYYY-MM-DD, such as \"2026-11-01\""
				   : "YYYY-MM-DD HH:MM:SS, such as "
				   "\"2026-11-01 14:30:00\"; the seconds may "
				   "be left out");
	} else {
		luaL_error(L, "%s = %s: a %s field takes %s or epoch seconds "
			   "(a whole number)", what, push_shown(L, idx),
			   date ? "date" : "timestamp",
			   date ? "a date \"YYYY-MM-DD\""
			   : "a timestamp \"YYYY-MM-DD HH:MM:SS\"");
		return 0;
	}
	/* a date is a day: a time of day in it would be lost when it is
	 * published or compared as a date, so it is refused, not cut */
	tod = ((v % DAY) + DAY) % DAY;
	if (date && tod != 0) {
		snprintf(hms, sizeof(hms), "%02d:%02d:%02d", (int)(tod / 3600),
			 (int)(tod / 60 % 60), (int)(tod % 60));
		luaL_error(L, "%s = %s: a date field has no time of day, and "
			   "this value is at %s UTC; declare the field as a "
			   "timestamp, or drop the time in the rule", what,
			   push_shown(L, idx), hms);
	}
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
		break;
	}
	luaL_error(L, "%s = %s: a boolean field takes true, false, 1 or 0 (or "
		   "the strings \"true\", \"false\", \"1\", \"0\")", what,
		   push_shown(L, idx));
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

		/* a fraction's digits depend on how Lua prints it, so a
		 * rule must say how to write it */
		if (t == LUA_TNUMBER && !lua_isinteger(L, idx))
			luaL_error(L, "%s = %s: a text field takes a string "
				   "or a whole number; turn this number into "
				   "text in the rule (string.format(\"%%.2f\", "
				   "x))", what, push_shown(L, idx));
		if (t != LUA_TSTRING && t != LUA_TNUMBER)
			luaL_error(L, "%s = %s: a text field takes a string "
				   "(or a whole number)", what,
				   push_shown(L, idx));
		lua_pushvalue(L, idx);	/* tolstring converts a copy */
		s = lua_tolstring(L, -1, &n);
		if (n > CANON_STR_CAP)
			luaL_error(L, "%s: the text is %I bytes long; a field "
				   "holds at most %I bytes", what,
				   (lua_Integer)n, (lua_Integer)CANON_STR_CAP);
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
			luaL_error(L, "%s: too much text set on one record "
				   "(each assignment keeps its text until the "
				   "next row; set each field once)", what);
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
