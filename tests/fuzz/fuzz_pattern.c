/*
 * fuzz_pattern.c - our string.find/match/gmatch/gsub (engine/pattern.c)
 * against the stock Lua 5.4 library on any subject and pattern bytes.
 *
 * Input: byte 0 picks the start position (init), bytes 1-2 the
 * pattern's length (little-endian, modulo what is left), then the
 * pattern, then the subject. Both
 * states run the same Lua driver, which calls every function in pcall
 * and serialises results and error messages; they must be equal. Ours
 * runs first under a step cap: if the cap stopped it, the stock library
 * (which has no cap) could run for hours on the same input, so the
 * input is not compared. Aborts on any difference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "fuzz.h"
#include "engine/pattern.h"

#define STEP_CAP 200000

struct meter {
	unsigned long long steps;
};

static void meter_charge(lua_State *L, void *ud, uint64_t n,
			 const char *fn)
{
	struct meter *mt = ud;

	(void)fn;

	mt->steps += n;
	if (mt->steps >= STEP_CAP)
		luaL_error(L, "step cap reached");
}

static const char driver[] =
	"local find, match, gmatch, gsub = string.find, string.match, "
	"string.gmatch, string.gsub\n"
	"local fmt, concat, pack, unpack = string.format, table.concat, "
	"table.pack, table.unpack\n"
	"local function ser(...)\n"
	"  local t, o = pack(...), {}\n"
	"  for i = 1, t.n do\n"
	"    local v = t[i]\n"
	"    if type(v) == 'string' then o[i] = fmt('%q', v)\n"
	"    elseif type(v) == 'number' then o[i] = math.type(v) .. ' ' .. "
	"tostring(v)\n"
	"    else o[i] = tostring(v) end\n"
	"  end\n"
	"  return t.n .. '(' .. concat(o, ', ') .. ')'\n"
	"end\n"
	"local function try(f) return ser(pcall(f)) end\n"
	"local function gm(s, p, init)\n"
	"  local it, o = gmatch(s, p, init), {}\n"
	"  for k = 1, 20 do\n"
	"    local r = pack(it())\n"
	"    o[k] = ser(unpack(r, 1, r.n))\n"
	"    if r.n == 0 then break end\n"
	"  end\n"
	"  return concat(o, ' ')\n"
	"end\n"
	"local T = { a = 'A', [''] = 'E', b = false, [1] = 'one' }\n"
	"local function F(...) local t, o = pack(...), {}\n"
	"  for i = 1, t.n do o[i] = math.type(t[i]) or t[i] end\n"
	"  return concat(o, '|') end\n"
	"return function(s, p, init)\n"
	"  return concat({\n"
	"    try(function() return find(s, p, init) end),\n"
	"    try(function() return find(s, p, init, true) end),\n"
	"    try(function() return match(s, p, init) end),\n"
	"    try(function() return gm(s, p, init) end),\n"
	"    try(function() return gsub(s, p, '<%0>') end),\n"
	"    try(function() return gsub(s, p, '%1%%') end),\n"
	"    try(function() return gsub(s, p, T) end),\n"
	"    try(function() return gsub(s, p, F, 3) end),\n"
	"  }, '\\n')\n"
	"end\n";

/* A state with the driver function on top; ours if mt is not NULL. */
static lua_State *state_new(struct meter *mt)
{
	lua_State *L = luaL_newstate();

	if (!L)
		abort();
	luaL_openlibs(L);
	if (mt) {
		lua_getglobal(L, "string");
		pattern_open(L, -1, meter_charge, mt);
		lua_pop(L, 1);
	}
	if (luaL_loadbuffer(L, driver, sizeof(driver) - 1, "=driver") !=
	    LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
		fprintf(stderr, "driver: %s\n", lua_tostring(L, -1));
		abort();
	}
	return L;
}

/* Run the driver on L; returns its result (on L's stack). */
static const char *run(lua_State *L, const char *s, size_t sn,
		       const char *p, size_t pn, int init_kind, size_t *len)
{
	static const lua_Integer inits[] = { 1, 2, 0, -1, -3, 5, 100 };

	lua_pushvalue(L, -1);
	lua_pushlstring(L, s, sn);
	lua_pushlstring(L, p, pn);
	if (init_kind == 0)
		lua_pushnil(L);
	else if (init_kind == 1)
		lua_pushinteger(L, (lua_Integer)sn + 1);
	else
		lua_pushinteger(L, inits[(init_kind - 2) % 7]);
	if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
		fprintf(stderr, "run: %s\n", lua_tostring(L, -1));
		abort();
	}
	return lua_tolstring(L, -1, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meter mt = { 0 };
	lua_State *ours, *stock;
	const char *s, *p, *a, *b;
	size_t sn, pn, an, bn;
	int init_kind;

	if (size < 3)
		return 0;
	init_kind = data[0] % 9;
	pn = ((size_t)data[1] | (size_t)data[2] << 8) % (size - 2);
	p = (const char *)data + 3;
	s = p + pn;
	sn = size - 3 - pn;

	ours = state_new(&mt);
	a = run(ours, s, sn, p, pn, init_kind, &an);
	if (mt.steps < STEP_CAP) {
		stock = state_new(NULL);
		b = run(stock, s, sn, p, pn, init_kind, &bn);
		if (an != bn || memcmp(a, b, an) != 0) {
			fprintf(stderr, "fuzz_pattern: ours and stock differ\n"
				"--- ours:\n%s\n--- stock:\n%s\n", a, b);
			abort();
		}
		lua_close(stock);
	}
	lua_close(ours);
	return 0;
}
