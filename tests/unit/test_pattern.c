/*
 * test_pattern.c - our string.find/match/gmatch/gsub (engine/pattern.c)
 * against the stock Lua 5.4 string library, and their step budget.
 *
 * The differential tests run the same Lua driver in two plain states
 * (luaL_openlibs): "ours" with pattern_open() over the string table,
 * "stock" untouched. The driver calls each function on a case, in
 * pcall, and serialises every result and error message (with its
 * "driver:LINE:" position) into one string; the two strings must be
 * equal byte for byte. Cases are a cross product of subjects, patterns
 * and start positions, plus API cases written as Lua expressions.
 *
 * The pathological tests run only ours (the stock library would not
 * come back) with a small step cap: each must stop with the cap's error
 * having charged about the cap, quickly. A regression hangs into the
 * test case's timeout and fails.
 *
 * RECON_PATTERN_BENCH=1 makes the `bench` test print ours vs stock CPU
 * times of three simple patterns (figures in engine/pattern.c), and fail
 * if ours is 1.5 times slower or more.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "engine/pattern.h"

Suite *suite_pattern(void);

/* ---- states ---- */

struct meter {
	uint64_t steps;		/* charged so far */
	uint64_t cap;		/* raise once steps reach this */
	uint64_t max_batch;	/* largest single charge */
	unsigned long calls;
	unsigned long zero_charges;	/* must stay 0: charges are > 0 */
};

static void meter_charge(lua_State *L, void *ud, uint64_t n,
			 const char *fn)
{
	struct meter *mt = ud;

	(void)fn;

	/* No ck_assert here: each one writes to Check's pipe (a syscall),
	 * which would swamp the timings. */
	if (n == 0)
		mt->zero_charges++;
	mt->steps += n;
	mt->calls++;
	if (n > mt->max_batch)
		mt->max_batch = n;
	if (mt->steps >= mt->cap)
		luaL_error(L, "step cap of %I reached", (lua_Integer)mt->cap);
}

/* Loaded in both states after the string library (so its locals are
 * ours in the "ours" state). Errors carry "driver:LINE:". */
static const char driver[] =
	"local find, match, gmatch, gsub = string.find, string.match, "
	"string.gmatch, string.gsub\n"
	"local fmt, concat, pack, unpack = string.format, table.concat, "
	"table.pack, table.unpack\n"
	"function ser(...)\n"
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
	"  for k = 1, 60 do\n"
	"    local r = pack(it())\n"
	"    o[k] = ser(unpack(r, 1, r.n))\n"
	"    if r.n == 0 then o[k + 1] = ser(it()) break end\n"
	"  end\n"
	"  return concat(o, ' ')\n"
	"end\n"
	"function run_find(s, p, init)\n"
	"  return concat({\n"
	"    try(function() return find(s, p, init) end),\n"
	"    try(function() return find(s, p, init, true) end),\n"
	"    try(function() return find(s, p, init, false) end),\n"
	"    try(function() return match(s, p, init) end),\n"
	"    try(function() return s:match(p, init) end),\n"
	"    try(function() return gm(s, p, init) end),\n"
	"  }, '\\n')\n"
	"end\n"
	"T = { a = 'A', ab = '<ab>', [''] = 'E', b = false, c = 17, "
	"['1'] = 'one', x = {}, [1] = 'int1', [2] = 2.5 }\n"
	"local reps = {\n"
	"  '<%0>', '%1', '[%2]', '%%', 'x%', '%a', '', '%9', '%1%1', "
	"'a%0b%0', '%', '%\\0', 7, 2.5, T,\n"
	"  function(...) local t, o = pack(...), {}\n"
	"    for i = 1, t.n do o[i] = math.type(t[i]) or t[i] end\n"
	"    return '{' .. concat(o, '|') .. '}' end,\n"
	"  function() return nil end,\n"
	"  function() return false end,\n"
	"  function(x) if x == 'a' then return {} end return x end,\n"
	"  function(...) return select('#', ...) end,\n"
	"  function(x) return x == 'b' end,\n"
	"}\n"
	"function run_gsub(s, p)\n"
	"  local o = {}\n"
	"  for _, r in ipairs(reps) do\n"
	"    o[#o + 1] = try(function() return gsub(s, p, r) end)\n"
	"  end\n"
	"  for _, n in ipairs({ 0, 1, 2, -1, 3.0, 1.5, '2' }) do\n"
	"    o[#o + 1] = try(function() return gsub(s, p, '<%0>', n) end)\n"
	"  end\n"
	"  return concat(o, '\\n')\n"
	"end\n";

static lua_State *state_new(struct meter *mt)
{
	lua_State *L = luaL_newstate();

	ck_assert_ptr_nonnull(L);
	luaL_openlibs(L);
	if (mt) {
		lua_getglobal(L, "string");
		pattern_open(L, -1, meter_charge, mt);
		lua_pop(L, 1);
	}
	if (luaL_loadbuffer(L, driver, sizeof(driver) - 1, "=driver") !=
	    LUA_OK || lua_pcall(L, 0, 0, 0) != LUA_OK)
		ck_abort_msg("driver: %s", lua_tostring(L, -1));
	return L;
}

/* Printable form of n bytes for failure messages (static, truncated). */
static const char *show(const char *s, size_t n)
{
	static char buf[2][512];
	static int which;
	char *b = buf[which ^= 1];
	size_t k = 0;

	for (size_t i = 0; i < n && k + 5 < sizeof(buf[0]); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 32 && c < 127 && c != '\\')
			b[k++] = (char)c;
		else
			k += (size_t)snprintf(b + k, 5, "\\x%02x", c);
	}
	b[k] = '\0';
	return b;
}

struct diff {
	lua_State *ours, *stock;
	struct meter meter;
	unsigned long compared;
};

static void diff_open(struct diff *d)
{
	memset(d, 0, sizeof(*d));
	d->meter.cap = UINT64_C(100000000);
	d->ours = state_new(&d->meter);
	d->stock = state_new(NULL);
}

static void diff_close(struct diff *d)
{
	/* Our functions did the work: they charged steps. */
	ck_assert_uint_gt(d->meter.steps, 0);
	ck_assert_uint_eq(d->meter.zero_charges, 0);
	lua_close(d->ours);
	lua_close(d->stock);
}

/* Call global fn(s, p[, init]) in L; returns its string (kept on L's
 * stack until the caller pops it). */
static const char *call(lua_State *L, const char *fn, const char *s,
			size_t sn, const char *p, size_t pn, int has_init,
			lua_Integer init, size_t *len)
{
	lua_getglobal(L, fn);
	lua_pushlstring(L, s, sn);
	lua_pushlstring(L, p, pn);
	if (has_init)
		lua_pushinteger(L, init);
	else
		lua_pushnil(L);
	if (lua_pcall(L, 3, 1, 0) != LUA_OK)
		ck_abort_msg("%s: %s", fn, lua_tostring(L, -1));
	return lua_tolstring(L, -1, len);
}

static void same(struct diff *d, const char *fn, const char *s, size_t sn,
		 const char *p, size_t pn, int has_init, lua_Integer init)
{
	size_t lo, ls;
	const char *o = call(d->ours, fn, s, sn, p, pn, has_init, init, &lo);
	const char *k = call(d->stock, fn, s, sn, p, pn, has_init, init, &ls);

	if (lo != ls || memcmp(o, k, lo) != 0)
		ck_abort_msg("%s(\"%s\", \"%s\", %s%lld) differs\n--- ours:\n"
			     "%s\n--- stock:\n%s", fn, show(s, sn),
			     show(p, pn), has_init ? "" : "nil/",
			     (long long)init, o, k);
	lua_pop(d->ours, 1);
	lua_pop(d->stock, 1);
	d->compared++;
}

/* ---- the differential table ---- */

struct bytes {
	const char *s;
	size_t n;
};
#define B(lit) { lit, sizeof(lit) - 1 }

static const struct bytes subjects[] = {
	B(""), B("a"), B("aaa"), B("ab"), B("abc"), B("aXb"), B("abab"),
	B("aaaab"), B("hello world"), B("  ORD-000123  "), B("ORD-000123"),
	B("x(a(b)c)y"), B("((a)"), B("''a''b'"), B("f(a)(b)"), B("a\0b\0"),
	B("\0"), B("\xff\xfe\x80"), B("m\xc3\xbcller GmbH"), B("12-345"),
	B("THE (quick) fox."), B("a.b%c"), B("]]-^$"), B("xyx yxy"),
	B("\t\n\v\f\r \x7f\x1f"), B("key=val, k2=v2"), B("[[x]]"),
	B("AbC-dEf_09"),
};

static const struct bytes patterns[] = {
	/* literals, anchors, any */
	B(""), B("a"), B("ab"), B("^a"), B("a$"), B("^$"), B("$"), B("^"),
	B("."), B(".."), B("^.$"), B("a^b"), B("a$b"), B("$a"), B("^^"),
	B("^$$"), B("b$"), B("^ab"),
	/* repetitions */
	B("a*"), B("a+"), B("a-"), B("a?"), B(".-"), B(".*"), B(".+"),
	B("a*b"), B("a-b"), B("a?b"), B("^a*"), B("(.-)b"), B(".-$"),
	B("a**"), B("a+?"), B("*"), B("+"), B("?"), B("-"), B("^*"),
	B(".+$"), B("a-b-"), B("x*"), B("[ab]*$"), B("a?a?a?aaa"),
	/* classes */
	B("%a+"), B("%A+"), B("%d+"), B("%D"), B("%l+"), B("%L"), B("%u+"),
	B("%U"), B("%w+"), B("%W"), B("%s*"), B("%S+"), B("%p"), B("%P+"),
	B("%c"), B("%C+"), B("%x+"), B("%X"), B("%g+"), B("%G"), B("%z"),
	B("%."), B("%%"), B("%]"), B("%-"), B("%q"), B("%\0"), B("%\xff"),
	/* sets */
	B("[abc]"), B("[^abc]+"), B("[a-c]+"), B("[%a_][%w_]*"), B("[]]"),
	B("[^]]+"), B("[a-]"), B("[-a]+"), B("[%]]"), B("[^%d%s]+"),
	B("[a%-z]"), B("[%w%.]+"), B("[z-a]"), B("[\0-\x1f]+"),
	B("[\x80-\xff]+"), B("[^\x80-\xff]+"), B("[%]%[]+"), B("[^%a]"),
	B("[.]"), B("[%%]"), B("[a-c-e]+"), B("[]"), B("[^]"), B("[a"),
	B("[^"), B("["), B("[%"), B("[%]"), B("[]a"), B("x[a"),
	/* captures */
	B("()"), B("()a()"), B("(a)(b)"), B("(a*(.)%w(%s*))"), B("(a)"),
	B("((a)(b))"), B("(h)(e)(l)(l)(o)"), B("(%d+)-(%d+)"),
	B("^ORD%-(%d+)$"), B("^%s*(.-)%s*$"), B("(%w+)=(%w+)"),
	B("()(.)()"), B("(.)$"), B("$()"), B("(a"), B("((a)"), B("a("),
	B("("), B("(()"), B(")"), B("a)"), B("(a))"), B("()()()()()"),
	/* back-references */
	B("(a)%1"), B("(%w+) %1"), B("((a)%2)"), B("(%a)(%a)%2%1"),
	B("()%1"), B("%1"), B("(a%1)"), B("%0"), B("(.)%1"), B("(x*)%1"),
	B("(a)%2"), B("(.)(.)%1%2"),
	/* balance, frontier */
	B("%bxy"), B("%b()"), B("%b''"), B("%b()%b()"), B("%b(("),
	B("%b"), B("%ba"), B("x%b"), B("%f[%w]%w+"), B("%f[%W]"),
	B("%f[%a]"), B("%f[\0]"), B("%f[^\0]"), B("%f[%z]"), B("%f"),
	B("%fa"), B("%f[a"), B("%f[]]"), B("%f[%s]."), B("a%f[b]b"),
	B("%f[a-c]"), B("%f[^a]"),
	/* malformed, reached or not */
	B("%"), B("a%"), B("x%"), B("%b%"), B("(%"), B("ab%f"),
	/* bytes >= 0x80 and NUL */
	B("\0"), B("a\0"), B("\xff"), B("\xc3\xbc"), B(".\0"), B("\0*"),
	B("[\0]"), B("%c+"),
};

static const lua_Integer init_offsets[] = { 1, 2, 0, -1, -2, -100 };

START_TEST(diff_table)
{
	/* Under valgrind every 7th pair (each pattern still meets several
	 * subjects): the whole table takes minutes there. */
	size_t stride = getenv("RECON_UNDER_VALGRIND") ? 7 : 1, pair = 0;
	struct diff d;

	diff_open(&d);
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		const struct bytes *s = &subjects[i];

		for (size_t j = 0; j < sizeof(patterns) / sizeof(patterns[0]);
		     j++) {
			const struct bytes *p = &patterns[j];
			lua_Integer n = (lua_Integer)s->n;

			if (pair++ % stride)
				continue;

			same(&d, "run_find", s->s, s->n, p->s, p->n, 0, 0);
			for (size_t k = 0; k < sizeof(init_offsets) /
			     sizeof(init_offsets[0]); k++)
				same(&d, "run_find", s->s, s->n, p->s, p->n, 1,
				     init_offsets[k]);
			same(&d, "run_find", s->s, s->n, p->s, p->n, 1, n);
			same(&d, "run_find", s->s, s->n, p->s, p->n, 1, n + 1);
			same(&d, "run_find", s->s, s->n, p->s, p->n, 1, n + 2);
			same(&d, "run_gsub", s->s, s->n, p->s, p->n, 0, 0);
		}
	}
	ck_assert_uint_gt(d.compared, 30000 / stride);
	diff_close(&d);
}
END_TEST

/* Generated patterns: deep nesting, limits, long texts. */
START_TEST(diff_generated)
{
	struct diff d;
	char s[400], p[1200];
	size_t k;

	diff_open(&d);
	/* Captures: 32 are fine, 33 are "too many captures". */
	for (size_t ncap = 30; ncap <= 34; ncap++) {
		memset(s, 'a', 40);
		for (k = 0; k < ncap; k++)
			memcpy(p + 3 * k, "(a)", 3);
		same(&d, "run_find", s, 40, p, 3 * ncap, 0, 0);
		same(&d, "run_gsub", s, 40, p, 3 * ncap, 0, 0);
		for (k = 0; k < ncap; k++)
			p[k] = '(';
		p[ncap] = 'a';
		for (k = 0; k < ncap; k++)
			p[ncap + 1 + k] = ')';
		same(&d, "run_find", s, 40, p, 2 * ncap + 1, 0, 0);
	}
	/* Depth: around the limit of 200 nested choices. */
	for (size_t n = 195; n <= 205; n++) {
		memset(s, 'a', n);
		for (k = 0; k < n; k++)
			memcpy(p + 2 * k, "a?", 2);
		same(&d, "run_find", s, n, p, 2 * n, 0, 0);
		same(&d, "run_gsub", s, n, p, 2 * n, 0, 0);
		for (k = 0; k < n; k++)
			memcpy(p + 2 * k, ".-", 2);
		same(&d, "run_find", s, 1, p, 2 * n, 0, 0);
		for (k = 0; k < n; k++)
			memcpy(p + 3 * k, "a*b", 3);
		same(&d, "run_find", "ab", 2, p, 3 * n, 0, 0);
	}
	/* Long subject, long pattern, long set, nested balance. */
	memset(s, 'x', sizeof(s));
	s[sizeof(s) - 1] = 'y';
	memset(p, 'x', 300);
	same(&d, "run_find", s, sizeof(s), p, 300, 0, 0);
	p[0] = '[';
	memset(p + 1, 'q', 500);
	memcpy(p + 501, "x]+y", 4);
	same(&d, "run_find", s, sizeof(s), p, 505, 0, 0);
	same(&d, "run_gsub", s, sizeof(s), p, 505, 0, 0);
	for (k = 0; k < 100; k++) {
		s[k] = '(';
		s[199 - k] = ')';
	}
	same(&d, "run_find", s, 200, "%b()", 4, 0, 0);
	same(&d, "run_gsub", s, 199, "%b()", 4, 0, 0);
	diff_close(&d);
}
END_TEST

/* Argument handling and special cases, as Lua expressions. */
static const char *const api_cases[] = {
	"find('abc', 'b', 1.0)", "find('abc', 'b', 1.5)",
	"find('abc', 'b', '2')", "find('abc', 'b', 'x')", "find(nil, 'b')",
	"find('a')", "find({}, 'a')", "find('a', {})", "find(12345, 34)",
	"find(12.5, '.', 3)", "match(12345, '%d%d')", "match('a', 'a', {})",
	"find('a+b', '+', 1, true)", "find('a+b', 'a+b', 1, true)",
	"find('a.b', '.', 2, true)", "find('a.b', '.', 2, 0)",
	"find('a.b', '.', 2, nil)", "find('a%b', '%', 1, 1)",
	"find('abc', '', 10)", "find('abc', '', 4)", "find('abc', '', 3)",
	"find('', '')", "find('', '', 1)", "find('', '', 2)",
	"find('abc', 'c', -1)", "find('abc', 'a', -10)",
	"find('abc', 'a', math.mininteger)", "find('abc', 'a', math.maxinteger)",
	"find('abc', '', math.maxinteger)", "find('abc', 'bc', -2, true)",
	"find('aaab', 'aab', 1, true)", "find('ab\\0cd', '\\0c', 1, true)",
	"find('ab\\0cd', 'b\\0c')", "match('', '')", "match('', '()')",
	"gsub('', '', 'x')", "gsub('', 'x*', '-')", "gsub('abc', '', '-')",
	"gsub('abc', 'b')", "gsub('abc', 'b', true)", "gsub('abc', 'b', nil)",
	"gsub('abc', 'b', 'x', 'y')", "gsub('abc', 'b', nil, 'y')",
	"gsub(nil, 'b', 'x')", "gsub('abc', nil, 'x')", "gsub('abc', 'b', 'x', 1.5)",
	"gsub('abc', '.', 'x', math.maxinteger)",
	"gsub('abc', '.', 'x', math.mininteger)",
	"gsub('hello world', '(%w+)', '%1 %1')",
	"gsub('hello world', '%w+', '%0 %0', 1)",
	"gsub('abc', '.', {a = 1, b = true})",
	"gsub('abc', '(b)', setmetatable({}, {__index = function(t, k) "
	"return k:upper() end}))",
	"gsub('abc', 'b', function(x) return match(x, '(b)') .. "
	"gsub(x, 'b', 'B') end)",
	"gsub('abc', 'b', function() error('boom') end)",
	"gsub('abc', 'b', function() error('boom', 0) end)",
	"gsub('abc', '%w', function(c) return find('xbx', c, 1, true) end)",
	"gsub('aaa', 'a*', '-')", "gsub('aaa', 'a-', '-')",
	"gsub('abc', '^', '>')", "gsub('abc', '$', '<')", "gsub('abc', '^a', '')",
	"gsub('aaa', '^a', '')", "gsub('abc', '%f[%w]', '|')",
	"gsub('abc', '()', '%1')", "gsub('abc', '()', {[1] = 'one'})",
	"gsub('abc', '', '%1')", "gsub('abc', 'b', '%2')", "gsub('abc', '(b)', '%2')",
	"gsub('abc', '(b', 'x')", "gsub('abc', '(b', '%1')", "gsub('abc', '(b', {})",
	"gsub('abc', '(b', print)", "gsub(12345, 3, 9)", "gsub('a', 'a', 1e100)",
	"gsub('a b c', ' ', '%%%%')", "gsub('abc', '.', '%0', 0)",
	"gsub(string.rep('ab', 50), 'b', '%0%0%0')",
	"gmatch('abc')", "gmatch('abc', '.', 'x')", "gmatch('abc', '.', 1.5)",
	"select('#', gmatch('abc', '.')())", "gmatch(nil, '.')",
	"(function() local it = gmatch('abab', 'ab') return it(), it(), it(), "
	"it() end)()",
	"(function() local it = gmatch('abc', '()') return it(), it(), it(), "
	"it(), it(), it() end)()",
	"(function() local it = gmatch('abc', '.', 10) return it(), it() end)()",
	"(function() local it = gmatch('abc', '^a') return it(), it() end)()",
	"(function() local it = gmatch('a^a', '^a') return it(), it() end)()",
	"(function() local it = gmatch('abc', '%', 2) return pcall(it) end)()",
	"(function() local it = gmatch('abc', 'a*', -1) return it(), it() end)()",
	"(function() local t = {} for k, v in gmatch('a=1, b=2', "
	"'(%w+)=(%w+)') do t[#t+1] = k .. v end return table.concat(t) end)()",
	"('abc'):find('b')", "('abc'):gsub('b', 'x')", "('x'):rep(3):match('x+')",
	"('abc'):match('(a)(b)(c)')", "(5):type()",
	"match(string.rep('a', 32), string.rep('(a)', 32))",
	"match(string.rep('a', 33), string.rep('(a)', 33))",
	"match('x', string.rep('.-', 300))",
	"match(string.rep('a', 300), string.rep('a?', 300))",
	"gsub(string.rep('a', 300), string.rep('a?', 250), '')",
	"find('abc', '[a')", "find('abc', 'b[a')", "find('abc', 'x[a')",
	"find('abc', 'a%')", "find('abc', 'c%')", "find('abc', 'c%b')",
	"find('abc', 'c%f')", "match('abc', '(a)(b)%3')", "match('abc', '%1(a)')",
};

START_TEST(diff_api)
{
	struct diff d;
	char src[512];

	diff_open(&d);
	for (size_t i = 0; i < sizeof(api_cases) / sizeof(api_cases[0]); i++) {
		lua_State *L[2] = { d.ours, d.stock };
		const char *out[2];
		size_t len[2];

		snprintf(src, sizeof(src), "local find, match, gmatch, "
			 "gsub = string.find, string.match, string.gmatch, "
			 "string.gsub\nreturn ser(pcall(function() return %s "
			 "end))", api_cases[i]);
		for (int k = 0; k < 2; k++) {
			if (luaL_loadbuffer(L[k], src, strlen(src),
					    "=expr") != LUA_OK ||
			    lua_pcall(L[k], 0, 1, 0) != LUA_OK)
				ck_abort_msg("%s: %s", api_cases[i],
					     lua_tostring(L[k], -1));
			out[k] = lua_tolstring(L[k], -1, &len[k]);
		}
		if (len[0] != len[1] || memcmp(out[0], out[1], len[0]) != 0)
			ck_abort_msg("%s differs\n--- ours:\n%s\n--- stock:\n%s",
				     api_cases[i], out[0], out[1]);
		lua_pop(d.ours, 1);
		lua_pop(d.stock, 1);
	}
	diff_close(&d);
}
END_TEST

/* ---- the budget ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pathological calls, run only on ours. Each must end with the cap's
 * error after charging the cap plus at most one batch (and one scan). */
static const char *const bombs[] = {
	/* the case: 2^40 ways to place the optional a's */
	"match(rep('a', 40), rep('a?', 40) .. rep('a', 40))",
	"find(rep('a', 40), rep('a?', 40) .. rep('a', 40))",
	"(function() for x in gmatch(rep('a', 40), rep('a?', 40) .. "
	"rep('a', 40)) do end end)()",
	"gsub(rep('a', 40), rep('a?', 40) .. rep('a', 40), 'x')",
	"gsub(rep('a', 40), rep('a?', 40) .. rep('a', 40), function() end)",
	"('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'):match(rep('a?', 40) .. "
	"rep('a', 40))",
	/* other exponential shapes */
	"match(rep('a', 60), rep('.-', 30) .. 'x')",
	"match(rep('a', 60), rep('a*', 30) .. 'b')",
	"match(rep('ab', 30), rep('(.-)', 20) .. '%1x')",
	/* quadratic on a long subject: each item, scan and class pays */
	"match(rep('a', 200000), '.-b')",
	"match(rep('a', 200000), 'a*b')",
	"find(rep('(', 200000), '%b()')",
	"match(rep('a', 100000), rep('a', 100000) .. 'b')",
	"match(rep('a', 100000), '[' .. rep('b', 100000) .. 'a]*c')",
	"find(rep('a', 1000000), rep('a', 5000) .. 'b', 1, true)",
	"match(rep('a', 100000), '(' .. rep('a', 1000) .. ')%1%1b')",
	"gsub(rep('a', 200000), '.-b', '')",
};

START_TEST(bombs_stop)
{
	static const char prelude[] = "local find, match, gmatch, gsub, rep = "
		"string.find, string.match, string.gmatch, string.gsub, "
		"string.rep;\n";
	const uint64_t cap = 2000000;
	double limit = getenv("RECON_UNDER_VALGRIND") ? 60.0 : 3.0;

	for (size_t i = 0; i < sizeof(bombs) / sizeof(bombs[0]); i++) {
		struct meter mt = { 0, cap, 0, 0, 0 };
		lua_State *L = state_new(&mt);
		char src[1024];
		double t0;
		const char *msg;
		int st;

		snprintf(src, sizeof(src), "%s%s", prelude, bombs[i]);
		ck_assert_int_eq(luaL_loadbuffer(L, src, strlen(src), "=bomb"),
				 LUA_OK);
		mt.steps = 0;	/* loading the driver charged nothing real */
		t0 = now();
		st = lua_pcall(L, 0, 0, 0);
		msg = lua_tostring(L, -1);
		ck_assert_msg(st == LUA_ERRRUN, "%s: status %d", bombs[i], st);
		ck_assert_msg(strcmp(msg, "bomb:2: step cap of 2000000 reached")
			      == 0, "%s: %s", bombs[i], msg);
		ck_assert_msg(now() - t0 < limit, "%s: %.2f s", bombs[i],
			      now() - t0);
		/* Stopped in time: the cap plus one batch, and no single
		 * charge larger than a batch plus one scan of the subject. */
		ck_assert_uint_ge(mt.steps, cap);
		ck_assert_msg(mt.steps < cap + 2 * PATTERN_CHARGE_EVERY +
			      1000000, "%s: %llu steps", bombs[i],
			      (unsigned long long)mt.steps);
		lua_close(L);
	}
}
END_TEST

/* Simple calls charge little, and every call settles its steps. */
START_TEST(charges_small)
{
	struct meter mt = { 0, UINT64_MAX, 0, 0, 0 };
	lua_State *L = state_new(&mt);
	static const char src[] =
		"local n = 0\n"
		"n = n + select('#', string.find('ORD-000123', '^ORD%-(%d+)$'))\n"
		"n = n + select('#', ('  x  '):gsub('^%s*(.-)%s*$', '%1'))\n"
		"for w in ('a b c'):gmatch('%a') do n = n + 1 end\n"
		"return n";

	mt.steps = mt.calls = 0;
	ck_assert_int_eq(luaL_loadbuffer(L, src, sizeof(src) - 1, "=c"), LUA_OK);
	ck_assert_int_eq(lua_pcall(L, 0, 1, 0), LUA_OK);
	ck_assert_int_eq(lua_tointeger(L, -1), 3 + 2 + 3);
	/* find, gsub, gmatch's four iterator calls: each paid once. */
	ck_assert_uint_eq(mt.calls, 6);
	ck_assert_uint_gt(mt.steps, 10);
	ck_assert_uint_lt(mt.steps, 200);
	lua_close(L);
}
END_TEST

/* ---- speed (prints only when asked) ---- */

/* CPU seconds, not wall: the shared VM's load would swamp the figures. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double bench_one(lua_State *L, const char *code)
{
	double t0;

	ck_assert_int_eq(luaL_loadbuffer(L, code, strlen(code), "=bench"),
			 LUA_OK);
	t0 = cpu_now();
	ck_assert_int_eq(lua_pcall(L, 0, 0, 0), LUA_OK);
	return cpu_now() - t0;
}

START_TEST(bench)
{
	static const char *const codes[][2] = {
		{ "match", "local s = 'ORD-000123' for i = 1, 1000000 do "
		  "local x = s:match('^ORD%-(%d+)$') end" },
		{ "gsub trim", "local s = '  ORD-000123  ' for i = 1, 1000000 "
		  "do local x = s:gsub('^%s*(.-)%s*$', '%1') end" },
		{ "gsub all", "local s = 'so-001 / 23-x' for i = 1, 300000 do "
		  "local x = s:gsub('[%s%-/]', '') end" },
	};
	struct meter mt = { 0, UINT64_MAX, 0, 0, 0 };
	lua_State *ours, *stock;

	if (!getenv("RECON_PATTERN_BENCH"))
		return;
	ours = state_new(&mt);
	stock = state_new(NULL);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		double o = 1e9, k = 1e9;

		for (int rep = 0; rep < 5; rep++) {	/* best of five */
			double a = bench_one(ours, codes[i][1]);
			double b = bench_one(stock, codes[i][1]);

			o = a < o ? a : o;
			k = b < k ? b : k;
		}
		fprintf(stderr, "pattern bench %-10s ours %.3f s, stock %.3f s "
			"(%+.0f %%)\n", codes[i][0], o, k, (o / k - 1) * 100);
		/* Counting must not make simple patterns much slower. */
		ck_assert_msg(o < 1.5 * k, "%s: ours %.3f s, stock %.3f s",
			      codes[i][0], o, k);
	}
	lua_close(ours);
	lua_close(stock);
}
END_TEST

Suite *suite_pattern(void)
{
	Suite *s = suite_create("pattern");
	TCase *tc = tcase_create("differential");

	tcase_add_test(tc, diff_table);
	tcase_add_test(tc, diff_generated);
	tcase_add_test(tc, diff_api);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);

	tc = tcase_create("budget");
	tcase_add_test(tc, bombs_stop);
	tcase_add_test(tc, charges_small);
	tcase_add_test(tc, bench);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
