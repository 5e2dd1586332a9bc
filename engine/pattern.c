/*
 * pattern.c - Lua 5.4 patterns that pay for their steps (pattern.h).
 *
 * Written from the reference manual (6.4.1 Patterns; 6.4 string.find,
 * match, gmatch, gsub), checked against the stock library by
 * tests/unit/test_pattern.c (a differential table) and
 * tests/fuzz/fuzz_pattern.c. Results and error messages are the stock
 * library's, and so is *when* a pattern error is raised: items are read
 * as the matcher reaches them, so string.find("abc", "x%") is nil, not
 * "malformed pattern", because no start position gets past the 'x'.
 *
 * The matcher is a backtracking interpreter over the pattern text:
 * match() walks items left to right and recurses only where there is a
 * choice to undo (a capture boundary, '?', and each length tried by '*',
 * '+', '-'). Invariants:
 *
 * - Recursion is bounded: match() nests at most MAXDEPTH deep, else
 *   "pattern too complex" (the stock limit, so rules behave the same).
 * - Work is bounded between two payments: every item tried, every
 *   character a repetition or %b scans, and the bytes of bracket classes,
 *   back-references and replacement strings are counted into `unpaid`,
 *   which is handed to the charge callback every PATTERN_CHARGE_EVERY
 *   steps and at the end of each call. Between two checks the matcher
 *   does at most O(subject + pattern) work, never more.
 * - Nothing is allocated but Lua values (a userdata for gmatch's state, a
 *   luaL_Buffer for gsub), so a Lua error raised anywhere (the callback,
 *   a malformed pattern, a gsub callback, a memory cap) leaks nothing.
 *
 * Speed, measured on the reference 2-core VM against the stock library
 * (`RECON_PATTERN_BENCH=1 CK_RUN_SUITE=pattern` prints the figures: CPU
 * time, best of five, charging into a counter; two runs): 1,000,000
 * ("ORD-000123"):match("^ORD%-(%d+)$") 0.17 s ours vs 0.17-0.18 s
 * stock; 1,000,000 trims ("  ORD-000123  "):gsub("^%s*(.-)%s*$", "%1")
 * 0.57-0.60 s vs 0.52-0.53 s (+10 %); 300,000
 * ("so-001 / 23-x"):gsub("[%s%-/]", "") 0.16-0.18 s vs 0.15-0.20 s.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "pattern.h"
#include "banned.h"

/* The stock matcher's limits (lstrlib.c's MAXCCALLS and LUA_MAXCAPTURES),
 * kept equal so that a rule that works with stock Lua works here: nested
 * backtracking points per match, and captures per pattern. */
#define MAXDEPTH 200
#define MAXCAPTURES 32

#define ESC '%'

/* Bytes compared or copied in bulk (a bracket class tested, a
 * back-reference, a replacement) cost one step per 2^BULK_SHIFT. */
#define BULK_SHIFT 5

/* A capture's len while it is open, and for a position capture "()". */
enum { CAP_OPEN = -1, CAP_POSITION = -2 };

/* Upvalue 1 of every function pattern_open() installs. */
struct pattern_cfg {
	pattern_charge_fn charge;	/* NULL: nothing is charged */
	void *ud;			/* borrowed, see pattern_open() */
};

/* One matching attempt's state; lives on the C stack of one call. */
struct pm {
	lua_State *L;
	const struct pattern_cfg *cfg;
	const char *src, *src_end;	/* the subject (a Lua string) */
	const char *pat_end;		/* end of the pattern text */
	const char *fn;			/* static: "string.find" & co. */
	uint64_t unpaid;		/* steps not yet handed to charge */
	int depth_left;			/* match() nestings still allowed */
	int ncap;			/* captures started */
	struct {
		const char *at;
		ptrdiff_t len;		/* >= 0, CAP_OPEN or CAP_POSITION */
	} cap[MAXCAPTURES];
};

static const char *match(struct pm *m, const char *s, const char *p);

/* ---- paying ---------------------------------------------------------- */

/* Hand the unpaid steps to the callback, which may raise. */
static void pay(struct pm *m)
{
	uint64_t n = m->unpaid;

	m->unpaid = 0;
	if (n && m->cfg->charge)
		m->cfg->charge(m->L, m->cfg->ud, n, m->fn);
}

static inline void tick(struct pm *m, uint64_t n)
{
	m->unpaid += n;
	if (m->unpaid >= PATTERN_CHARGE_EVERY)
		pay(m);
}

static void pm_init(struct pm *m, lua_State *L, const char *fn,
		    const struct pattern_cfg *cfg, const char *s, size_t ls,
		    const char *p, size_t lp)
{
	m->L = L;
	m->fn = fn;
	m->cfg = cfg;
	m->src = s;
	m->src_end = s + ls;
	m->pat_end = p + lp;
	m->unpaid = 0;
}

/* Before each start position: no captures, full depth. */
static void pm_restart(struct pm *m)
{
	m->ncap = 0;
	m->depth_left = MAXDEPTH;
}

/* ---- single-character classes ---------------------------------------- */

static int is_alpha(int c)
{
	return (unsigned)((c | 0x20) - 'a') < 26;
}

static int is_digit(int c)
{
	return (unsigned)(c - '0') < 10;
}

/*
 * Does byte c belong to %cl? The classes of the C locale, by hand: the
 * stock ones go through <ctype.h> and would change with setlocale(). An
 * upper-case class letter is the complement; any other cl stands for
 * itself (%. is '.', %% is '%'). %z is the NUL byte (deprecated in the
 * manual since 5.2, still accepted by the stock library).
 */
static int in_class(int c, int cl)
{
	int r;

	switch (cl | 0x20) {	/* only letters fold onto class letters */
	case 'a': r = is_alpha(c); break;
	case 'c': r = c < 32 || c == 127; break;
	case 'd': r = is_digit(c); break;
	case 'g': r = c > 32 && c < 127; break;
	case 'l': r = c >= 'a' && c <= 'z'; break;
	case 'p': r = c > 32 && c < 127 && !is_alpha(c) && !is_digit(c);
		  break;
	case 's': r = c == ' ' || (c >= '\t' && c <= '\r'); break;
	case 'u': r = c >= 'A' && c <= 'Z'; break;
	case 'w': r = is_alpha(c) || is_digit(c); break;
	case 'x': r = is_digit(c) || (unsigned)((c | 0x20) - 'a') < 6; break;
	case 'z': r = c == 0; break;	/* deprecated since 5.2, still there */
	default: return cl == c;
	}
	return cl >= 'A' && cl <= 'Z' ? !r : r;
}

/*
 * The end of the single-character class that starts at p (p < pat_end):
 * one byte, %x, or a bracket class [...] whose first member may be ']'.
 * Raises on a class cut short by the end of the pattern.
 */
static const char *class_end(struct pm *m, const char *p)
{
	const char *q;

	if (*p == ESC) {
		if (p + 1 == m->pat_end)
			luaL_error(m->L, "malformed pattern (ends with '%%')");
		return p + 2;
	}
	if (*p != '[')
		return p + 1;
	q = p + 1;
	if (q < m->pat_end && *q == '^')
		q++;
	do {	/* the first member is taken even if it is ']' */
		if (q == m->pat_end)
			luaL_error(m->L, "malformed pattern (missing ']')");
		if (*q++ == ESC && q < m->pat_end)
			q++;
	} while (q == m->pat_end || *q != ']');
	return q + 1;
}

/* Is c in the bracket class from p ('[') to close (its ']')? */
static int in_set(int c, const char *p, const char *close)
{
	int want = 1;

	p++;
	if (*p == '^') {
		want = 0;
		p++;
	}
	while (p < close) {
		if (*p == ESC) {
			if (in_class(c, (unsigned char)p[1]))
				return want;
			p += 2;
		} else if (p[1] == '-' && p + 2 < close) {
			if (c >= (unsigned char)p[0] &&
			    c <= (unsigned char)p[2])
				return want;
			p += 3;
		} else {
			if ((unsigned char)*p == c)
				return want;
			p++;
		}
	}
	return !want;
}

/* Does the subject byte at s match the class p..ep? Never past the end. */
static int single(struct pm *m, const char *s, const char *p, const char *ep)
{
	int c;

	if (s >= m->src_end)
		return 0;
	c = (unsigned char)*s;
	switch (*p) {
	case '.':
		return 1;
	case ESC:
		return in_class(c, (unsigned char)p[1]);
	case '[':	/* a long class costs; the caller's tick() checks */
		m->unpaid += (uint64_t)(ep - p) >> BULK_SHIFT;
		return in_set(c, p, ep - 1);
	default:
		return (unsigned char)*p == c;
	}
}

/* ---- items with a choice --------------------------------------------- */

/* p..ep repeated greedily from s ('*'; '+' passes s after the first),
 * then the rest of the pattern: the longest run first, then shorter. */
static const char *rep_greedy(struct pm *m, const char *s, const char *p,
			      const char *ep)
{
	const char *e = s;

	if (*p == '.')
		e = m->src_end;
	else
		while (single(m, e, p, ep)) {
			e++;
			tick(m, 1);	/* checked per byte: see single() */
		}
	if (*p == '.')
		tick(m, (uint64_t)(e - s));
	for (;;) {
		const char *r = match(m, e, ep + 1);

		if (r || e == s)
			return r;
		e--;
	}
}

/* p..ep repeated lazily ('-'): the rest of the pattern first, then one
 * more repetition, until the class stops matching. */
static const char *rep_lazy(struct pm *m, const char *s, const char *p,
			    const char *ep)
{
	for (;;) {
		const char *r = match(m, s, ep + 1);

		if (r)
			return r;
		if (!single(m, s, p, ep))
			return NULL;
		s++;
		tick(m, 1);
	}
}

/* %bxy at s (p points at x): the end of a balanced x...y, or NULL. */
static const char *balance(struct pm *m, const char *s, const char *p)
{
	const char *q;
	int open, close, depth = 1;

	if (p + 1 >= m->pat_end)
		luaL_error(m->L, "malformed pattern (missing arguments to "
			   "'%%b')");
	if (s >= m->src_end || *s != *p)
		return NULL;
	open = *p;
	close = p[1];
	for (q = s + 1; q < m->src_end; q++) {
		if (*q == close) {	/* before open: %bxx closes at x */
			if (--depth == 0) {
				tick(m, (uint64_t)(q - s));
				return q + 1;
			}
		} else if (*q == open) {
			depth++;
		}
	}
	tick(m, (uint64_t)(q - s));
	return NULL;
}

/* %1..%9 at s: the end of a copy of that capture, or NULL. A position
 * capture has no text and never matches. */
static const char *backref(struct pm *m, const char *s, int digit)
{
	int i = digit - '1';
	size_t len;

	if (i < 0 || i >= m->ncap || m->cap[i].len == CAP_OPEN)
		luaL_error(m->L, "invalid capture index %%%d", i + 1);
	if (m->cap[i].len == CAP_POSITION)
		return NULL;
	len = (size_t)m->cap[i].len;
	tick(m, len >> BULK_SHIFT);
	if ((size_t)(m->src_end - s) >= len &&
	    memcmp(m->cap[i].at, s, len) == 0)
		return s + len;
	return NULL;
}

static const char *cap_open(struct pm *m, const char *s, const char *p,
			    ptrdiff_t kind)
{
	const char *r;

	if (m->ncap >= MAXCAPTURES)
		luaL_error(m->L, "too many captures");
	m->cap[m->ncap].at = s;
	m->cap[m->ncap].len = kind;
	m->ncap++;
	r = match(m, s, p);
	if (!r)
		m->ncap--;
	return r;
}

/* ')' closes the innermost capture still open. */
static const char *cap_close(struct pm *m, const char *s, const char *p)
{
	const char *r;
	int i = m->ncap;

	while (--i >= 0 && m->cap[i].len != CAP_OPEN)
		;
	if (i < 0)
		luaL_error(m->L, "invalid pattern capture");
	m->cap[i].len = s - m->cap[i].at;
	r = match(m, s, p);
	if (!r)
		m->cap[i].len = CAP_OPEN;
	return r;
}

/* ---- the matcher ------------------------------------------------------- */

/* Match the pattern from p at subject position s: the end of the match,
 * or NULL. Items without a choice loop here; choices recurse. */
static const char *match(struct pm *m, const char *s, const char *p)
{
	const char *ep, *r;
	int q;

	if (m->depth_left == 0)
		luaL_error(m->L, "pattern too complex");
	m->depth_left--;
	for (;;) {
		tick(m, 1);	/* one item (or the end) at one position */
		if (p == m->pat_end)
			break;
		switch (*p) {
		case '(':
			if (p + 1 < m->pat_end && p[1] == ')')
				s = cap_open(m, s, p + 2, CAP_POSITION);
			else
				s = cap_open(m, s, p + 1, CAP_OPEN);
			goto out;
		case ')':
			s = cap_close(m, s, p + 1);
			goto out;
		case '$':
			if (p + 1 != m->pat_end)
				break;	/* not last: a plain '$' */
			if (s != m->src_end)
				s = NULL;
			goto out;
		case ESC:
			if (p + 1 == m->pat_end)
				break;	/* class_end() says why */
			switch (p[1]) {
			case 'b':
				s = balance(m, s, p + 2);
				if (!s)
					goto out;
				p += 4;
				continue;
			case 'f': {
				int before, at;

				p += 2;
				if (p == m->pat_end || *p != '[')
					luaL_error(m->L, "missing '[' after "
						   "'%%f' in pattern");
				ep = class_end(m, p);
				/* the subject's ends count as '\0' */
				before = s == m->src ? 0 : (unsigned char)s[-1];
				at = s < m->src_end ? (unsigned char)*s : 0;
				if (in_set(before, p, ep - 1) ||
				    !in_set(at, p, ep - 1)) {
					s = NULL;
					goto out;
				}
				p = ep;
				continue;
			}
			case '0': case '1': case '2': case '3': case '4':
			case '5': case '6': case '7': case '8': case '9':
				s = backref(m, s, (unsigned char)p[1]);
				if (!s)
					goto out;
				p += 2;
				continue;
			default:
				break;	/* %x: a class */
			}
			break;
		default:
			break;
		}
		/* A single-character class, maybe with a repetition. */
		ep = class_end(m, p);
		q = ep < m->pat_end ? *ep : 0;
		if (!single(m, s, p, ep)) {
			if (q == '*' || q == '?' || q == '-') {
				p = ep + 1;	/* zero repetitions will do */
				continue;
			}
			s = NULL;
			goto out;
		}
		switch (q) {
		case '?':
			r = match(m, s + 1, ep + 1);
			if (r) {
				s = r;
				goto out;
			}
			p = ep + 1;
			continue;
		case '+':
			s = rep_greedy(m, s + 1, p, ep);
			goto out;
		case '*':
			s = rep_greedy(m, s, p, ep);
			goto out;
		case '-':
			s = rep_lazy(m, s, p, ep);
			goto out;
		default:
			s++;
			p = ep;
			continue;
		}
	}
out:
	m->depth_left++;
	return s;
}

/* ---- results ------------------------------------------------------------ */

/* Push capture i; without captures, i == 0 is the whole match s..e. */
static void push_cap(struct pm *m, int i, const char *s, const char *e)
{
	if (i >= m->ncap) {
		if (i != 0)
			luaL_error(m->L, "invalid capture index %%%d", i + 1);
		lua_pushlstring(m->L, s, (size_t)(e - s));
	} else if (m->cap[i].len == CAP_OPEN) {
		luaL_error(m->L, "unfinished capture");
	} else if (m->cap[i].len == CAP_POSITION) {
		lua_pushinteger(m->L, (lua_Integer)(m->cap[i].at - m->src) + 1);
	} else {
		lua_pushlstring(m->L, m->cap[i].at, (size_t)m->cap[i].len);
	}
}

/* Push every capture (the whole match if none and s is not NULL). */
static int push_caps(struct pm *m, const char *s, const char *e)
{
	int n = m->ncap == 0 && s ? 1 : m->ncap;

	luaL_checkstack(m->L, n, "too many captures");
	for (int i = 0; i < n; i++)
		push_cap(m, i, s, e);
	return n;
}

/* A 1-based, possibly negative start position as a 0-based offset (may
 * be past the end). */
static size_t start_offset(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos - 1;
	if (pos == 0 || pos < -(lua_Integer)len)
		return 0;
	return len - (size_t)-pos;
}

static int has_specials(const char *p, size_t lp)
{
	for (size_t i = 0; i < lp; i++)
		switch (p[i]) {
		case '^': case '$': case '*': case '+': case '?':
		case '.': case '(': case '[': case '%': case '-':
			return 1;
		}
	return 0;
}

/* The first occurrence of p in s, or NULL. Charged per candidate. */
static const char *plain_find(struct pm *m, const char *s, size_t ls,
			      const char *p, size_t lp)
{
	const char *q, *last;

	if (lp == 0)
		return s;
	if (lp > ls)
		return NULL;
	last = s + (ls - lp);
	for (q = s; q <= last; q++) {
		q = memchr(q, *p, (size_t)(last - q) + 1);
		if (!q)
			return NULL;
		tick(m, 1 + (lp >> BULK_SHIFT));
		if (memcmp(q + 1, p + 1, lp - 1) == 0)
			return q;
	}
	return NULL;
}

static const struct pattern_cfg *cfg_of(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* string.find (find = 1) and string.match (find = 0). */
static int find_or_match(lua_State *L, int find)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	size_t init = start_offset(luaL_optinteger(L, 3, 1), ls);
	const char *at;
	int anchor, n;
	struct pm m;

	if (init > ls) {
		lua_pushnil(L);
		return 1;
	}
	pm_init(&m, L, find ? "string.find" : "string.match", cfg_of(L), s,
		ls, p, lp);
	if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
		at = plain_find(&m, s + init, ls - init, p, lp);
		tick(&m, 1);
		pay(&m);
		if (!at) {
			lua_pushnil(L);
			return 1;
		}
		lua_pushinteger(L, (lua_Integer)(at - s) + 1);
		lua_pushinteger(L, (lua_Integer)(at - s + lp));
		return 2;
	}
	anchor = lp > 0 && *p == '^';	/* skipped; pat_end stays */
	for (at = s + init;; at++) {
		const char *e;

		pm_restart(&m);
		e = match(&m, at, p + anchor);
		if (e) {
			if (find) {
				lua_pushinteger(L, (lua_Integer)(at - s) + 1);
				lua_pushinteger(L, (lua_Integer)(e - s));
				n = push_caps(&m, NULL, NULL) + 2;
			} else {
				n = push_caps(&m, at, e);
			}
			pay(&m);
			return n;
		}
		if (anchor || at >= m.src_end)
			break;
	}
	pay(&m);
	lua_pushnil(L);
	return 1;
}

static int l_find(lua_State *L)
{
	return find_or_match(L, 1);
}

static int l_match(lua_State *L)
{
	return find_or_match(L, 0);
}

/* gmatch's iterator state; upvalue 3 (1 and 2 are subject and pattern,
 * which keep the text alive). */
struct gm {
	struct pattern_cfg cfg;
	size_t pos;		/* next start offset; > length: done */
	size_t last;		/* end of the last match, if has_last */
	int has_last;
};

static int gmatch_next(lua_State *L)
{
	size_t ls, lp;
	const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
	const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
	struct gm *g = lua_touserdata(L, lua_upvalueindex(3));
	struct pm m;

	pm_init(&m, L, "string.gmatch", &g->cfg, s, ls, p, lp);
	for (size_t i = g->pos; i <= ls; i++) {
		const char *e;

		pm_restart(&m);
		e = match(&m, s + i, p);
		/* An empty match where the last one ended is no match: it
		 * would give the same position forever. */
		if (e && !(g->has_last && (size_t)(e - s) == g->last)) {
			int n;

			g->pos = g->last = (size_t)(e - s);
			g->has_last = 1;
			n = push_caps(&m, s + i, e);
			pay(&m);
			return n;
		}
	}
	g->pos = ls + 1;
	pay(&m);
	return 0;
}

/* string.gmatch(s, pattern [, init]); '^' is not an anchor here. */
static int l_gmatch(lua_State *L)
{
	const struct pattern_cfg *cfg = cfg_of(L);
	size_t ls, lp, init;
	struct gm *g;

	luaL_checklstring(L, 1, &ls);
	luaL_checklstring(L, 2, &lp);
	init = start_offset(luaL_optinteger(L, 3, 1), ls);
	lua_settop(L, 2);
	g = lua_newuserdatauv(L, sizeof(*g), 0);
	g->cfg = *cfg;
	g->pos = init > ls ? ls + 1 : init;
	g->last = 0;
	g->has_last = 0;
	lua_pushcclosure(L, gmatch_next, 3);
	return 1;
}

/* Append the replacement string (argument 3) for the match s..e. */
static void add_repl_string(struct pm *m, luaL_Buffer *b, const char *s,
			    const char *e)
{
	size_t l;
	const char *r = lua_tolstring(m->L, 3, &l), *end = r + l, *q;

	tick(m, 1 + (l >> BULK_SHIFT));
	while ((q = memchr(r, ESC, (size_t)(end - r))) != NULL) {
		int c = q + 1 < end ? (unsigned char)q[1] : 0;

		luaL_addlstring(b, r, (size_t)(q - r));
		if (c == ESC) {
			luaL_addchar(b, ESC);
		} else if (c == '0') {
			tick(m, (uint64_t)(e - s) >> BULK_SHIFT);
			luaL_addlstring(b, s, (size_t)(e - s));
		} else if (is_digit(c)) {
			size_t n;

			push_cap(m, c - '1', s, e);
			lua_tolstring(m->L, -1, &n);	/* a position: text */
			tick(m, n >> BULK_SHIFT);
			luaL_addvalue(b);
		} else {
			luaL_error(m->L, "invalid use of '%c' in replacement "
				   "string", ESC);
		}
		r = q + 2;
	}
	luaL_addlstring(b, r, (size_t)(end - r));
}

/* Append the replacement for the match s..e; 0 if it kept the match as
 * it was (a table or function gave false or nil). */
static int add_repl(struct pm *m, luaL_Buffer *b, const char *s,
		    const char *e, int type)
{
	lua_State *L = m->L;

	if (type == LUA_TFUNCTION) {
		int n;

		lua_pushvalue(L, 3);
		n = push_caps(m, s, e);
		pay(m);		/* settle before running rule code */
		lua_call(L, n, 1);
	} else if (type == LUA_TTABLE) {
		push_cap(m, 0, s, e);
		lua_gettable(L, 3);
	} else {
		add_repl_string(m, b, s, e);
		return 1;
	}
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		luaL_addlstring(b, s, (size_t)(e - s));
		return 0;
	}
	if (!lua_isstring(L, -1))
		return luaL_error(L, "invalid replacement value (a %s)",
				  luaL_typename(L, -1));
	luaL_addvalue(b);
	return 1;
}

/* string.gsub(s, pattern, repl [, n]). */
static int l_gsub(lua_State *L)
{
	size_t ls, lp;
	const char *src = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	int type = lua_type(L, 3);
	lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1), n = 0;
	int anchor = lp > 0 && *p == '^', changed = 0;
	const char *s = src, *kept = src, *last = NULL;
	struct pm m;
	luaL_Buffer b;

	luaL_argexpected(L, type == LUA_TNUMBER || type == LUA_TSTRING ||
			 type == LUA_TFUNCTION || type == LUA_TTABLE, 3,
			 "string/function/table");
	luaL_buffinit(L, &b);
	pm_init(&m, L, "string.gsub", cfg_of(L), src, ls, p, lp);
	p += anchor;
	while (n < max) {
		const char *e;

		pm_restart(&m);
		e = match(&m, s, p);
		if (e && e != last) {
			/* src[kept, s) is unmatched text, copied in one go */
			luaL_addlstring(&b, kept, (size_t)(s - kept));
			n++;
			changed |= add_repl(&m, &b, s, e, type);
			s = kept = last = e;
		} else if (s < m.src_end) {
			s++;
		} else {
			break;
		}
		if (anchor)
			break;
	}
	if (!changed) {
		lua_pushvalue(L, 1);
	} else {
		luaL_addlstring(&b, kept, (size_t)(m.src_end - kept));
		luaL_pushresult(&b);
	}
	lua_pushinteger(L, n);
	pay(&m);
	return 2;
}

void pattern_open(lua_State *L, int stringlib, pattern_charge_fn charge,
		  void *ud)
{
	static const luaL_Reg fns[] = {
		{ "find", l_find }, { "match", l_match },
		{ "gmatch", l_gmatch }, { "gsub", l_gsub }, { NULL, NULL }
	};
	struct pattern_cfg *cfg;

	lua_pushvalue(L, stringlib);
	cfg = lua_newuserdatauv(L, sizeof(*cfg), 0);
	cfg->charge = charge;
	cfg->ud = ud;
	luaL_setfuncs(L, fns, 1);
	lua_pop(L, 1);
}
