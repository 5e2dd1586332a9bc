/*
 * lint.c - the rule files' lint (lint.h, docs/RULES.md "Lint").
 *
 * Each file is compiled in the rules' sandbox state (never run) and
 * dumped with lua_dump(); the dump is read back here (the format of
 * Lua 5.4's ldump.c) into its function prototypes: instructions, line
 * of each, constants, upvalue names, nested functions, local variables.
 * A global is an access through the upvalue named _ENV, exactly as Lua
 * compiled it, so scopes never need guessing.
 *
 * Then each function is walked once, in instruction order, keeping what
 * each register holds as far as that is known: the group `o` of an
 * order rule and what is read from it (o.deal, o.erp, o.erp.docs, the
 * elements of an ipairs loop over a list), `out` of a translate
 * function, a library table, a string constant, a closure. At a jump
 * target, registers above the active local variables are forgotten (a
 * value might come from another path); locals keep their last value.
 * That is a heuristic (docs/RULES.md lists what it misses) with few
 * false alarms: a field is only checked when the register's origin is
 * certain on the straight path.
 */
#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "canon.h"
#include "lint.h"
#include "mem.h"
#include "outcome.h"
#include "rules.h"
#include "rules_int.h"
#include "text.h"
#include "banned.h"

#if LUA_VERSION_NUM != 504
#error "lint.c reads Lua 5.4 bytecode"
#endif

/* The opcodes of Lua 5.4 (lopcodes.h), in their order. */
enum {
	OP_MOVE, OP_LOADI, OP_LOADF, OP_LOADK, OP_LOADKX, OP_LOADFALSE,
	OP_LFALSESKIP, OP_LOADTRUE, OP_LOADNIL, OP_GETUPVAL, OP_SETUPVAL,
	OP_GETTABUP, OP_GETTABLE, OP_GETI, OP_GETFIELD, OP_SETTABUP,
	OP_SETTABLE, OP_SETI, OP_SETFIELD, OP_NEWTABLE, OP_SELF, OP_ADDI,
	OP_ADDK, OP_SUBK, OP_MULK, OP_MODK, OP_POWK, OP_DIVK, OP_IDIVK,
	OP_BANDK, OP_BORK, OP_BXORK, OP_SHRI, OP_SHLI, OP_ADD, OP_SUB,
	OP_MUL, OP_MOD, OP_POW, OP_DIV, OP_IDIV, OP_BAND, OP_BOR, OP_BXOR,
	OP_SHL, OP_SHR, OP_MMBIN, OP_MMBINI, OP_MMBINK, OP_UNM, OP_BNOT,
	OP_NOT, OP_LEN, OP_CONCAT, OP_CLOSE, OP_TBC, OP_JMP, OP_EQ, OP_LT,
	OP_LE, OP_EQK, OP_EQI, OP_LTI, OP_LEI, OP_GTI, OP_GEI, OP_TEST,
	OP_TESTSET, OP_CALL, OP_TAILCALL, OP_RETURN, OP_RETURN0,
	OP_RETURN1, OP_FORLOOP, OP_FORPREP, OP_TFORPREP, OP_TFORCALL,
	OP_TFORLOOP, OP_SETLIST, OP_CLOSURE, OP_VARARG, OP_VARARGPREP,
	OP_EXTRAARG, OP__COUNT
};

#define I_OP(i) ((int)((i) & 0x7F))
#define I_A(i) ((int)(((i) >> 7) & 0xFF))
#define I_K(i) ((int)(((i) >> 15) & 1))
#define I_B(i) ((int)(((i) >> 16) & 0xFF))
#define I_C(i) ((int)(((i) >> 24) & 0xFF))
#define I_BX(i) ((int)((i) >> 15))
#define I_SJ(i) ((int)((i) >> 7) - 16777215)
#define NREGS 260		/* 255 registers and a few past A+5 */
#define LEV_MAX 2		/* "did you mean": at most this many edits */

struct kval {
	const char *s;		/* a string constant, else NULL */
};

struct upv {
	int instack, idx;
	const char *name;
};

struct locv {
	int startpc, endpc;
};

struct proto {
	int linedefined, numparams, ncode, nk, nup, np, nloc;
	uint32_t *code;
	int *line;		/* line of each instruction */
	struct kval *k;
	struct upv *up;
	struct proto **p;
	struct locv *loc;
};

/* What a register holds, as far as known. */
enum vk {
	V_NONE = 0, V_CONST, V_KSTR, V_GLOBAL, V_LIB, V_CLOSURE, V_GROUP,
	V_REC, V_ERP, V_LIST, V_FIELDS, V_OUT, V_ROW, V_IPAIRS
};

struct val {
	enum vk k;
	unsigned roles;		/* V_REC, V_LIST, V_FIELDS, V_OUT, V_IPAIRS */
	int n;			/* V_CLOSURE: child index; V_FIELDS: writable */
	const char *s;		/* V_KSTR, V_GLOBAL, V_LIB: the string */
	const char *path;	/* how the rule reached it: "o.deal" */
};

/* What a function is to the engine. */
enum role_kind { R_NONE, R_RULE, R_TRANSLATE };
struct role {
	enum role_kind kind;
	const char *name;	/* the rule's name or the global's */
	unsigned roles;		/* R_TRANSLATE: its sources' roles */
};

struct names {
	const char **v;
	size_t n, alloc;
};

struct pend {
	size_t file;		/* rule file index; nrule_files: the job file */
	int line;
	size_t seq;
	const char *kind;
	const char *msg;
};

struct gread {
	const char *name;
	size_t file;
	int line;
};

struct lib {
	const char *name;
	struct names m;
};

struct lint {
	const struct job *job;
	struct error *err;
	struct arena a;
	lua_State *L;
	int nomem;

	struct names globals;	/* the sandbox's _G */
	struct names stock;	/* stock Lua's _G (what the sandbox took away) */
	struct lib *libs;	/* the sandbox's libraries and their members */
	size_t nlibs;
	struct names record, group, erp, sfields;
	const char *record_list, *group_list, *erp_list, *sfields_list;

	struct names writes;	/* globals any rule file sets */
	struct gread *reads;
	size_t nreads, areads;
	struct pend *pend;
	size_t npend, apend;
	int syntax_bad;		/* a file did not compile: its globals are unknown */

	size_t file;		/* the file being walked */
	const char *fname;
};

/* ---- small helpers ---------------------------------------------------- */

static void *lalloc(struct lint *l, size_t n)
{
	void *p = arena_alloc(&l->a, n ? n : 1);

	if (!p)
		l->nomem = 1;
	else
		memset(p, 0, n ? n : 1);
	return p;
}

static const char *lstr(struct lint *l, const char *s, size_t n)
{
	char *p = arena_strndup(&l->a, s, n);

	if (!p)
		l->nomem = 1;
	return p ? p : "";
}

static const char *lfmt(struct lint *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *lfmt(struct lint *l, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);
	const char *s;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	s = rc < 0 ? "" : lstr(l, sb.buf, sb.len);
	if (rc < 0)
		l->nomem = 1;
	sbuf_release(&sb);
	return s;
}

static void names_add(struct lint *l, struct names *ns, const char *s)
{
	if (ns->n == ns->alloc) {
		size_t na = ns->alloc ? ns->alloc * 2 : 32;
		const char **v = lalloc(l, na * sizeof(*v));

		if (!v)
			return;
		if (ns->n)
			memcpy(v, ns->v, ns->n * sizeof(*v));
		ns->v = v;
		ns->alloc = na;
	}
	ns->v[ns->n++] = s;
}

static int names_has(const struct names *ns, const char *s)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], s) == 0)
			return 1;
	return 0;
}

static const char *names_join(struct lint *l, const struct names *ns)
{
	struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);
	const char *s;

	for (size_t i = 0; i < ns->n; i++)
		if (sbuf_addstr(&sb, i ? ", " : "") < 0 ||
		    sbuf_addstr(&sb, ns->v[i]) < 0)
			l->nomem = 1;
	s = lstr(l, sb.buf, sb.len);
	sbuf_release(&sb);
	return s;
}

/* Edit distance of a and b (insert, delete, replace, swap of two
 * neighbours), or LEV_MAX + 1 if more than LEV_MAX. */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int d[3][66];

	if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > LEV_MAX)
		return LEV_MAX + 1;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int *cur = d[i % 3], *prev = d[(i - 1) % 3];
		int *prev2 = d[(i + 1) % 3];

		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int c = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < c)
				c = prev[j] + 1;
			if (cur[j - 1] + 1 < c)
				c = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < c)
				c = prev2[j - 2] + 1;
			cur[j] = c;
		}
	}
	return d[la % 3][lb] > LEV_MAX ? LEV_MAX + 1 : d[la % 3][lb];
}

/* The nearest of the names to s (at most LEV_MAX edits), or NULL. */
static const char *nearest(const char *s, const struct names *a,
			   const struct names *b)
{
	const char *best = NULL;
	int bd = LEV_MAX + 1;

	for (int w = 0; w < 2; w++) {
		const struct names *ns = w ? b : a;

		for (size_t i = 0; ns && i < ns->n; i++) {
			int d = distance(s, ns->v[i]);

			if (d < bd && strcmp(s, ns->v[i]) != 0) {
				bd = d;
				best = ns->v[i];
			}
		}
	}
	return best;
}

static const char *did_you_mean(struct lint *l, const char *prefix,
				const char *near)
{
	return near ? lfmt(l, "; did you mean '%s%s'?", prefix, near) : "";
}

static void finding_at(struct lint *l, size_t file, int line,
		       const char *kind, const char *msg)
{
	if (l->npend == l->apend) {
		size_t na = l->apend ? l->apend * 2 : 16;
		struct pend *p = lalloc(l, na * sizeof(*p));

		if (!p)
			return;
		if (l->npend)
			memcpy(p, l->pend, l->npend * sizeof(*p));
		l->pend = p;
		l->apend = na;
	}
	l->pend[l->npend] = (struct pend){ file, line, l->npend, kind, msg };
	l->npend++;
}

static void finding(struct lint *l, int line, const char *kind,
		    const char *msg)
{
	finding_at(l, l->file, line, kind, msg);
}

/* ---- reading a dump (Lua 5.4's ldump.c) ------------------------------- */

struct rd {
	const unsigned char *b;
	size_t n, pos;
	int bad;
};

static unsigned rd_byte(struct rd *r)
{
	if (r->pos >= r->n) {
		r->bad = 1;
		return 0;
	}
	return r->b[r->pos++];
}

static size_t rd_size(struct rd *r)
{
	size_t x = 0;
	unsigned b;

	do {
		if (x > (SIZE_MAX >> 8)) {
			r->bad = 1;
			return 0;
		}
		b = rd_byte(r);
		x = (x << 7) | (b & 0x7F);
	} while (!r->bad && !(b & 0x80));
	return x;
}

static int rd_int(struct rd *r)
{
	size_t x = rd_size(r);

	if (x > 0x7FFFFFFF)
		r->bad = 1;
	return r->bad ? 0 : (int)x;
}

static const void *rd_block(struct rd *r, size_t n)
{
	const void *p;

	if (r->bad || n > r->n - r->pos) {
		r->bad = 1;
		return NULL;
	}
	p = r->b + r->pos;
	r->pos += n;
	return p;
}

/* A string, copied; NULL for the dump's "no string". */
static const char *rd_str(struct lint *l, struct rd *r)
{
	size_t n = rd_size(r);
	const char *p;

	if (n == 0 || r->bad)
		return NULL;
	p = rd_block(r, n - 1);
	return p ? lstr(l, p, n - 1) : NULL;
}

static struct proto *rd_function(struct lint *l, struct rd *r, int depth)
{
	struct proto *f = lalloc(l, sizeof(*f));
	const signed char *li;
	int nli, nabs, line;
	int *abspc, *absline;

	if (!f || depth > 200) {
		r->bad = 1;
		return NULL;
	}
	(void)rd_str(l, r);		/* source */
	f->linedefined = rd_int(r);
	(void)rd_int(r);		/* lastlinedefined */
	f->numparams = (int)rd_byte(r);
	(void)rd_byte(r);		/* is_vararg */
	(void)rd_byte(r);		/* maxstacksize */
	f->ncode = rd_int(r);
	{
		const unsigned char *c = rd_block(r, (size_t)f->ncode * 4);

		f->code = lalloc(l, (size_t)f->ncode * sizeof(*f->code));
		if (!c || !f->code)
			return r->bad = 1, NULL;
		memcpy(f->code, c, (size_t)f->ncode * 4);
	}
	f->nk = rd_int(r);
	f->k = lalloc(l, (size_t)f->nk * sizeof(*f->k));
	for (int i = 0; f->k && i < f->nk && !r->bad; i++) {
		unsigned tag = rd_byte(r);

		switch (tag) {
		case 0: case 1: case 17:	/* nil, false, true */
			break;
		case 3: case 19:		/* integer, float */
			(void)rd_block(r, 8);
			break;
		case 4: case 20:		/* short, long string */
			f->k[i].s = rd_str(l, r);
			if (!f->k[i].s)
				f->k[i].s = "";
			break;
		default:
			r->bad = 1;
		}
	}
	f->nup = rd_int(r);
	f->up = lalloc(l, (size_t)f->nup * sizeof(*f->up));
	for (int i = 0; f->up && i < f->nup && !r->bad; i++) {
		f->up[i].instack = (int)rd_byte(r);
		f->up[i].idx = (int)rd_byte(r);
		(void)rd_byte(r);	/* kind */
	}
	f->np = rd_int(r);
	f->p = lalloc(l, (size_t)f->np * sizeof(*f->p));
	for (int i = 0; f->p && i < f->np && !r->bad; i++)
		f->p[i] = rd_function(l, r, depth + 1);
	nli = rd_int(r);
	li = rd_block(r, (size_t)nli);
	nabs = rd_int(r);
	abspc = lalloc(l, (size_t)nabs * sizeof(int));
	absline = lalloc(l, (size_t)nabs * sizeof(int));
	for (int i = 0; abspc && absline && i < nabs && !r->bad; i++) {
		abspc[i] = rd_int(r);
		absline[i] = rd_int(r);
	}
	f->nloc = rd_int(r);
	f->loc = lalloc(l, (size_t)f->nloc * sizeof(*f->loc));
	for (int i = 0; f->loc && i < f->nloc && !r->bad; i++) {
		(void)rd_str(l, r);
		f->loc[i].startpc = rd_int(r);
		f->loc[i].endpc = rd_int(r);
	}
	if (rd_int(r) != f->nup)
		r->bad = 1;
	for (int i = 0; f->up && i < f->nup && !r->bad; i++)
		f->up[i].name = rd_str(l, r);
	if (r->bad || l->nomem || nli != f->ncode || !f->k || !f->up ||
	    !f->p || !f->loc || !abspc || !absline)
		return r->bad = 1, NULL;
	/* the line of each instruction, as luaG_getfuncline works it out */
	f->line = lalloc(l, (size_t)f->ncode * sizeof(int));
	if (!f->line)
		return r->bad = 1, NULL;
	line = f->linedefined;
	for (int pc = 0, a = 0; pc < f->ncode; pc++) {
		if (li[pc] == -0x80) {
			while (a < nabs && abspc[a] < pc)
				a++;
			if (a < nabs && abspc[a] == pc)
				line = absline[a];
		} else {
			line += li[pc];
		}
		f->line[pc] = line;
	}
	return f;
}

static struct proto *read_dump(struct lint *l, const char *b, size_t n)
{
	static const char data[] = "\x19\x93\r\n\x1a\n";
	struct rd r = { (const unsigned char *)b, n, 0, 0 };
	struct proto *f;

	if (n < 32 || memcmp(b, LUA_SIGNATURE, 4) != 0 || b[4] != 0x54 ||
	    b[5] != 0 || memcmp(b + 6, data, 6) != 0 || b[12] != 4 ||
	    b[13] != 8 || b[14] != 8)
		return NULL;
	r.pos = 31;
	(void)rd_byte(&r);	/* the main function's upvalue count */
	f = rd_function(l, &r, 0);
	return r.bad || r.pos != r.n ? NULL : f;
}

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	(void)L;
	return sbuf_add(ud, p, sz) < 0;
}

/* ---- the views and what reading them gives ---------------------------- */

static int site_field(const struct lint *l, const char *key)
{
	return job_field_lookup(l->job, key, strlen(key));
}

static int is_lib(const struct lint *l, const char *name);

static struct val field_of(struct lint *l, const struct val *b,
			   const char *key, int line)
{
	struct val v = { V_NONE, 0, 0, NULL, NULL };
	const char *path = b->path ? b->path : "?";

	switch (b->k) {
	case V_GROUP:
		if (!names_has(&l->group, key)) {
			finding(l, line, "unknown-field", lfmt(l,
				"%s.%s: an order group has no field '%s' "
				"(fields: %s)%s", path, key, key,
				l->group_list, did_you_mean(l, "", nearest(key,
				&l->group, NULL))));
			return v;
		}
		if (strcmp(key, "deal") == 0 || strcmp(key, "order") == 0) {
			v.k = V_REC;
			v.roles = 1u << (key[0] == 'd' ? CANON_DEAL : CANON_ORDER);
		} else if (strcmp(key, "erp") == 0) {
			v.k = V_ERP;
		} else if (strcmp(key, "orders") == 0) {
			v.k = V_LIST;
			v.roles = 1u << CANON_ORDER;
		}
		break;
	case V_ERP:
		if (!names_has(&l->erp, key)) {
			finding(l, line, "unknown-field", lfmt(l,
				"%s.%s: o.erp has no field '%s' (fields: %s)%s",
				path, key, key, l->erp_list, did_you_mean(l, "",
				nearest(key, &l->erp, NULL))));
			return v;
		}
		if (strcmp(key, "docs") == 0) {
			v.k = V_LIST;
			v.roles = 1u << CANON_ERP;
		}
		break;
	case V_REC:
	case V_OUT:
		if (!names_has(&l->record, key)) {
			finding(l, line, "unknown-field", lfmt(l,
				"%s.%s: %s has no field '%s' (fields: %s)%s",
				path, key, b->k == V_OUT ? "the canonical record"
				: "a record", key, l->record_list,
				did_you_mean(l, "", nearest(key, &l->record,
							    NULL))));
			return v;
		}
		if (strcmp(key, "fields") == 0) {
			v.k = V_FIELDS;
			v.roles = b->roles;
			v.n = b->k == V_OUT;
		}
		break;
	case V_FIELDS: {
		int i = site_field(l, key);

		if (i < 0) {
			finding(l, line, "unknown-field", lfmt(l,
				"%s.%s: the job declares no site-defined field "
				"'%s' (%s%s)%s; declare it in <fields> in the "
				"job file %s", path, key, key, l->job->nfields
				? "fields: " : "it declares none",
				l->sfields_list, did_you_mean(l, "",
				nearest(key, &l->sfields, NULL)),
				l->job->path ? l->job->path : "?"));
			return v;
		}
		/* a translate function of sources of several roles may set
		 * a field for some of them only, behind an if: only a field
		 * of none of its roles is certain to raise */
		if (b->roles & l->job->fields[i].roles &&
		    (b->roles & (b->roles - 1)))
			return v;
		for (int r = 0; r < CANON__KINDS; r++)
			if ((b->roles & (1u << r)) &&
			    !(l->job->fields[i].roles & (1u << r))) {
				finding(l, line, "unknown-field", lfmt(l,
					"%s.%s: field '%s' is not declared for "
					"%s; add %s to its roles= in <fields> "
					"in the job file %s", path, key, key,
					canon_kind_names[r],
					canon_kind_names[r], l->job->path
					? l->job->path : "?"));
				break;
			}
		return v;
	}
	case V_LIB:
		for (size_t i = 0; i < l->nlibs; i++) {
			const struct lib *lb = &l->libs[i];

			if (strcmp(lb->name, b->s) != 0)
				continue;
			if (names_has(&lb->m, key)) {
				/* a part of a library that is one itself */
				const char *sub = lfmt(l, "%s.%s", b->s, key);

				if (sub && is_lib(l, sub)) {
					v.k = V_LIB;
					v.s = sub;
				}
				return v;
			}
			finding(l, line, "undefined-global", lfmt(l,
				"%s.%s: the sandbox's %s library has no "
				"'%s'%s", b->s, key, b->s, key,
				did_you_mean(l, lfmt(l, "%s.", b->s),
					     nearest(key, &lb->m, NULL))));
		}
		return v;
	default:
		return v;
	}
	v.path = lfmt(l, "%s.%s", path, key);
	return v;
}

/* ---- fail() codes ----------------------------------------------------- */

static void check_code(struct lint *l, const char *code, int line)
{
	size_t n = strlen(code);
	int ok = n > 0 && n <= 64 && code[0] >= 'A' && code[0] <= 'Z';
	int oc;

	for (size_t i = 1; ok && i < n; i++)
		ok = (code[i] >= 'A' && code[i] <= 'Z') ||
		     (code[i] >= '0' && code[i] <= '9') || code[i] == '_';
	if (!ok) {
		finding(l, line, "bad-code", lfmt(l,
			"fail(\"%s\", ...): a code is 1-64 characters of A-Z, "
			"0-9 and _, starting with a letter (e.g. "
			"\"AMOUNT_MISMATCH\"); this one makes every verdict of "
			"the rule a RULE_ERROR", code));
		return;
	}
	oc = outcome_lookup(code, n);
	if (oc >= 0 && (oc < OUT_CANCELLED_INVOICED ||
			oc > OUT_CUSTOMER_MISMATCH))
		finding(l, line, "code-collision", lfmt(l,
			"fail(\"%s\", ...): %s is one of the engine's own "
			"outcomes (%s), not a code for a rule: the report "
			"could not tell the rule's verdict from the engine's; "
			"choose a code of your own, such as \"%s_RULE\"",
			code, code, outcome_table[oc].description, code));
}

/* ---- walking a function ----------------------------------------------- */

static int nactive(const struct proto *f, int pc)
{
	int n = 0;

	for (int i = 0; i < f->nloc; i++)
		if (f->loc[i].startpc <= pc && pc < f->loc[i].endpc)
			n++;
	return n;
}

static unsigned translate_roles(const struct lint *l, const char *name)
{
	unsigned roles = 0;

	for (size_t i = 0; i < l->job->nsources; i++)
		if (l->job->sources[i].translate &&
		    strcmp(l->job->sources[i].translate, name) == 0)
			roles |= 1u << l->job->sources[i].role;
	return roles;
}

static void global_read(struct lint *l, const char *name, int line)
{
	if (l->nreads == l->areads) {
		size_t na = l->areads ? l->areads * 2 : 64;
		struct gread *g = lalloc(l, na * sizeof(*g));

		if (!g)
			return;
		if (l->nreads)
			memcpy(g, l->reads, l->nreads * sizeof(*g));
		l->reads = g;
		l->areads = na;
	}
	l->reads[l->nreads++] = (struct gread){ name, l->file, line };
}

static int is_lib(const struct lint *l, const char *name)
{
	for (size_t i = 0; i < l->nlibs; i++)
		if (strcmp(l->libs[i].name, name) == 0)
			return 1;
	return 0;
}

static const char *kstr(const struct proto *f, int i)
{
	return i >= 0 && i < f->nk ? f->k[i].s : NULL;
}

static int is_env(const struct proto *f, int up)
{
	return up >= 0 && up < f->nup && f->up[up].name &&
	       strcmp(f->up[up].name, "_ENV") == 0;
}

static void walk(struct lint *l, const struct proto *f, const struct role *ro,
		 const struct val *ups, int depth)
{
	struct val *R = lalloc(l, NREGS * sizeof(*R));
	struct role *cro = lalloc(l, (size_t)f->np * sizeof(*cro) + 1);
	struct val **cups = lalloc(l, (size_t)f->np * sizeof(*cups) + 1);
	unsigned char *target = lalloc(l, (size_t)f->ncode + 2);
	int returns_value = 0, calls_fail = 0;

	if (!R || !cro || !cups || !target || depth > 200)
		return;
	for (int pc = 0; pc < f->ncode; pc++) {
		uint32_t i = f->code[pc];
		long t = -1;

		switch (I_OP(i)) {
		case OP_JMP: t = (long)pc + 1 + I_SJ(i); break;
		case OP_FORPREP: t = (long)pc + I_BX(i) + 2; break;
		case OP_TFORPREP: t = (long)pc + I_BX(i) + 1; break;
		case OP_FORLOOP: case OP_TFORLOOP: t = (long)pc - I_BX(i); break;
		case OP_EQ: case OP_LT: case OP_LE: case OP_EQK: case OP_EQI:
		case OP_LTI: case OP_LEI: case OP_GTI: case OP_GEI:
		case OP_TEST: case OP_TESTSET: case OP_LFALSESKIP:
			t = (long)pc + 2;
			break;
		default:
			break;
		}
		if (t >= 0 && t < f->ncode)
			target[t] = 1;
	}
	if (ro->kind == R_RULE && f->numparams >= 1)
		R[0] = (struct val){ V_GROUP, 0, 0, NULL, "o" };
	if (ro->kind == R_TRANSLATE && f->numparams >= 1)
		R[0] = (struct val){ V_ROW, 0, 0, NULL, "row" };
	if (ro->kind == R_TRANSLATE && f->numparams >= 2)
		R[1] = (struct val){ V_OUT, ro->roles, 0, NULL, "out" };

	for (int pc = 0; pc < f->ncode && !l->nomem; pc++) {
		uint32_t i = f->code[pc];
		int a = I_A(i), b = I_B(i), c = I_C(i), line = f->line[pc];
		const struct val none = { V_NONE, 0, 0, NULL, NULL };
		const char *s;

		if (target[pc])
			for (int r = nactive(f, pc); r < NREGS; r++)
				R[r] = none;
		switch (I_OP(i)) {
		case OP_MOVE:
			R[a] = R[b];
			break;
		case OP_LOADK:
			s = kstr(f, I_BX(i));
			R[a] = (struct val){ s ? V_KSTR : V_CONST, 0, 0, s, NULL };
			break;
		case OP_LOADI: case OP_LOADF: case OP_LOADFALSE:
		case OP_LFALSESKIP: case OP_LOADTRUE:
			R[a] = (struct val){ V_CONST, 0, 0, NULL, NULL };
			break;
		case OP_LOADNIL:
			for (int r = a; r <= a + b && r < NREGS; r++)
				R[r] = (struct val){ V_CONST, 0, 0, NULL, NULL };
			break;
		case OP_GETUPVAL:
			R[a] = ups && b < f->nup ? ups[b] : none;
			break;
		case OP_GETTABUP:
			s = kstr(f, c);
			R[a] = none;
			if (!s)
				break;
			if (!is_env(f, b)) {	/* upvalue.name: o.deal in a closure */
				if (ups && b < f->nup)
					R[a] = field_of(l, &ups[b], s, line);
				break;
			}
			global_read(l, s, line);
			if (strcmp(s, "fail") == 0)
				calls_fail = 1;
			R[a] = (struct val){ is_lib(l, s) ? V_LIB : V_GLOBAL, 0,
					     0, s, NULL };
			break;
		case OP_GETFIELD:
			s = kstr(f, c);
			R[a] = s ? field_of(l, &R[b], s, line) : none;
			break;
		case OP_GETTABLE:
		case OP_GETI:
			if (R[b].k == V_LIST)
				R[a] = (struct val){ V_REC, R[b].roles, 0, NULL,
					lfmt(l, "%s[i]", R[b].path) };
			else if (I_OP(i) == OP_GETTABLE && R[c].k == V_KSTR)
				R[a] = field_of(l, &R[b], R[c].s, line);
			else
				R[a] = none;
			break;
		case OP_SETTABUP:
			s = kstr(f, b);
			if (!is_env(f, a) || !s)
				break;
			names_add(l, &l->writes, s);
			if (!I_K(i) && R[c].k == V_CLOSURE &&
			    R[c].n < f->np && translate_roles(l, s))
				cro[R[c].n] = (struct role){ R_TRANSLATE, s,
					translate_roles(l, s) };
			break;
		case OP_SETFIELD:
			s = kstr(f, b);
			if (s && (R[a].k == V_OUT || (R[a].k == V_FIELDS &&
						      R[a].n)))
				(void)field_of(l, &R[a], s, line);
			break;
		case OP_SELF:
			R[a + 1] = R[b];
			R[a] = none;
			break;
		case OP_CLOSURE: {
			int p = I_BX(i);
			const struct proto *cf = p < f->np ? f->p[p] : NULL;

			R[a] = (struct val){ V_CLOSURE, 0, p, NULL, NULL };
			if (!cf)
				break;
			cups[p] = lalloc(l, (size_t)cf->nup * sizeof(struct val) + 1);
			for (int u = 0; cups[p] && u < cf->nup; u++) {
				const struct upv *uv = &cf->up[u];
				struct val v = uv->instack
					? (uv->idx < NREGS ? R[uv->idx] : none)
					: (ups && uv->idx < f->nup ? ups[uv->idx]
					   : none);

				/* a closure index means nothing one level down */
				cups[p][u] = v.k == V_CLOSURE ? none : v;
			}
			break;
		}
		case OP_TAILCALL:	/* return f(...): a call too */
			returns_value = 1;
			/* fall through */
		case OP_CALL: {
			const struct val fn = R[a];
			int nargs = b ? b - 1 : NREGS - a - 1;
			struct val res = none;

			if (fn.k == V_GLOBAL && strcmp(fn.s, "rule") == 0 &&
			    nargs >= 2 && R[a + 2].k == V_CLOSURE &&
			    R[a + 2].n < f->np)
				cro[R[a + 2].n] = (struct role){ R_RULE,
					R[a + 1].k == V_KSTR ? R[a + 1].s
					: "?", 0 };
			if (fn.k == V_GLOBAL && strcmp(fn.s, "fail") == 0 &&
			    nargs >= 1 && R[a + 1].k == V_KSTR)
				check_code(l, R[a + 1].s, line);
			if (fn.k == V_GLOBAL && strcmp(fn.s, "ipairs") == 0 &&
			    nargs >= 1 && R[a + 1].k == V_LIST)
				res = (struct val){ V_IPAIRS, R[a + 1].roles, 0,
						    NULL, R[a + 1].path };
			for (int r = a; r < NREGS; r++)
				R[r] = none;
			R[a] = res;
			break;
		}
		case OP_TFORPREP:
			if (R[a].k == V_IPAIRS && a + 5 < NREGS) {
				R[a + 4] = none;
				R[a + 5] = (struct val){ V_REC, R[a].roles, 0,
					NULL, lfmt(l, "%s[i]", R[a].path) };
			}
			break;
		case OP_RETURN:
		case OP_RETURN1:
			/* a constant returned as such (return nil, return
			 * true) is no verdict; a local may hold one from
			 * another path, whatever was written last */
			if ((I_OP(i) == OP_RETURN && b == 0) ||
			    ((I_OP(i) == OP_RETURN1 || b >= 2) &&
			     ((R[a].k != V_CONST && R[a].k != V_KSTR) ||
			      a < nactive(f, pc))))
				returns_value = 1;
			break;
		case OP_VARARG:
		case OP_FORPREP:
			for (int r = a; r < NREGS && r <= a + 3; r++)
				R[r] = none;
			break;
		case OP_SETTABLE: case OP_SETI: case OP_SETUPVAL:
		case OP_CLOSE: case OP_TBC: case OP_JMP: case OP_EQ:
		case OP_LT: case OP_LE: case OP_EQK: case OP_EQI: case OP_LTI:
		case OP_LEI: case OP_GTI: case OP_GEI: case OP_TEST:
		case OP_RETURN0: case OP_MMBIN: case OP_MMBINI: case OP_MMBINK:
		case OP_SETLIST: case OP_VARARGPREP: case OP_EXTRAARG:
		case OP_FORLOOP: case OP_TFORLOOP: case OP_TFORCALL:
			break;
		default:	/* everything else writes R[A] */
			R[a] = none;
			break;
		}
	}
	if (ro->kind == R_RULE && !returns_value)
		finding(l, f->linedefined, "no-verdict", calls_fail
			? lfmt(l, "rule '%s' calls fail() but never returns "
			       "what it gives, so the rule never reports "
			       "anything; write return fail(...)", ro->name)
			: lfmt(l, "rule '%s' can never return a verdict: it "
			       "has no return fail(...) (nor any return of a "
			       "value), so it never reports anything",
			       ro->name));
	for (int p = 0; p < f->np; p++)
		if (f->p[p])
			walk(l, f->p[p], &cro[p], cups[p], depth + 1);
}

/* ---- the sandbox's names ---------------------------------------------- */

/* The table of members of the value on top of L: a table itself, or the
 * __index table of a userdata's metatable (the helper library `lib`
 * and its parts are read-only userdata: engine/rlib.c). Pushes it and
 * returns 1, or pushes nothing and returns 0. */
static int members_of(lua_State *L)
{
	if (lua_type(L, -1) == LUA_TTABLE) {
		lua_pushvalue(L, -1);
		return 1;
	}
	if (lua_type(L, -1) != LUA_TUSERDATA || !lua_getmetatable(L, -1))
		return 0;
	if (lua_getfield(L, -1, "__index") != LUA_TTABLE) {
		lua_pop(L, 2);
		return 0;
	}
	lua_remove(L, -2);
	return 1;
}

/* The library on top of L named name: its members, and each member that
 * is a library itself as "name.member" (depth: at most one level more,
 * lib.money.parse). */
static void add_lib(struct lint *l, lua_State *L, const char *name, int depth)
{
	struct lib *nl;
	size_t at;

	if (!members_of(L))
		return;
	nl = lalloc(l, (l->nlibs + 1) * sizeof(*nl));
	if (!nl) {
		lua_pop(L, 1);
		return;
	}
	if (l->nlibs)
		memcpy(nl, l->libs, l->nlibs * sizeof(*nl));
	l->libs = nl;
	at = l->nlibs++;
	memset(&nl[at], 0, sizeof(nl[at]));
	nl[at].name = name;
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		if (lua_type(L, -2) == LUA_TSTRING) {
			const char *k = lstr(l, lua_tostring(L, -2),
					     lua_rawlen(L, -2));

			names_add(l, &l->libs[at].m, k);
			if (depth > 0 && k && lua_type(L, -1) == LUA_TUSERDATA)
				add_lib(l, L, lfmt(l, "%s.%s", name, k),
					depth - 1);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

static void list_globals(struct lint *l, lua_State *L, struct names *g,
			 int libs)
{
	lua_pushglobaltable(L);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		if (lua_type(L, -2) == LUA_TSTRING) {
			const char *k = lstr(l, lua_tostring(L, -2),
					     lua_rawlen(L, -2));

			names_add(l, g, k);
			if (libs && k && strcmp(k, "_G") != 0 &&
			    (lua_type(L, -1) == LUA_TTABLE ||
			     lua_type(L, -1) == LUA_TUSERDATA))
				add_lib(l, L, k, 1);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

static int setup_names(struct lint *l)
{
	lua_State *S;
	const char *s;

	list_globals(l, l->L, &l->globals, 1);
	S = luaL_newstate();	/* stock Lua: what the sandbox took away */
	if (!S)
		return l->nomem = 1, -1;
	luaL_openlibs(S);
	list_globals(l, S, &l->stock, 0);
	lua_close(S);
	for (size_t i = 0; (s = rules_view_field(RULES_VIEW_RECORD, i)); i++)
		names_add(l, &l->record, s);
	for (size_t i = 0; (s = rules_view_field(RULES_VIEW_GROUP, i)); i++)
		names_add(l, &l->group, s);
	for (size_t i = 0; (s = rules_view_field(RULES_VIEW_ERP, i)); i++)
		names_add(l, &l->erp, s);
	for (size_t i = 0; i < l->job->nfields; i++)
		names_add(l, &l->sfields, l->job->fields[i].name);
	l->record_list = names_join(l, &l->record);
	l->group_list = names_join(l, &l->group);
	l->erp_list = names_join(l, &l->erp);
	{
		struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);

		for (size_t i = 0; i < l->job->nfields; i++)
			if (sbuf_addf(&sb, "%s%s (%s)", i ? ", " : "",
				      l->job->fields[i].name,
				      canon_ftype_names[l->job->fields[i].type]) < 0)
				l->nomem = 1;
		l->sfields_list = lstr(l, sb.buf, sb.len);
		sbuf_release(&sb);
	}
	return l->nomem ? -1 : 0;
}

/* ---- one file ---------------------------------------------------------- */

/* "name:LINE: rest" -> LINE and rest; else 0 and the whole message. */
static int split_where(const char *m, const char *name, const char **rest)
{
	size_t n = strlen(name);
	long line = 0;
	const char *p;

	*rest = m;
	if (strncmp(m, name, n) != 0 || m[n] != ':')
		return 0;
	p = m + n + 1;
	while (*p >= '0' && *p <= '9' && line < 100000000)
		line = line * 10 + (*p++ - '0');
	if (p == m + n + 1 || p[0] != ':' || p[1] != ' ')
		return 0;
	*rest = p + 2;
	return (int)line;
}

static int lint_file(struct lint *l, size_t fi)
{
	const char *path = l->job->rule_files[fi];
	const char *name = job_rule_name(l->job, fi);
	struct sbuf text = SBUF_INIT((size_t)16 << 20);
	struct sbuf dump = SBUF_INIT(SBUF_CAP_DEFAULT);
	struct sbuf chunk = SBUF_INIT(SBUF_CAP_DEFAULT);
	struct error e;
	struct proto *f;
	int rc = 0, st;

	l->file = fi;
	l->fname = name;
	error_init(&e);
	if (rules_read_file(path, "rule file", &text, &e) < 0 ||
	    rules_source_text(path, "rule file", &text, &e) < 0) {
		if (e.code == ERR_NOMEM) {
			rc = error_copy(l->err, &e);
		} else {
			finding(l, 0, "file", lstr(l, e.msg.buf, e.msg.len));
			l->syntax_bad = 1;
		}
		goto out;
	}
	if (sbuf_addf(&chunk, "@%s", name) < 0) {
		rc = error_set(l->err, ERR_NOMEM, "lint: out of memory");
		goto out;
	}
	st = luaL_loadbufferx(l->L, text.buf, text.len, chunk.buf, "t");
	if (st != LUA_OK) {
		const char *m = lua_tostring(l->L, -1), *rest;
		int line;

		if (st == LUA_ERRMEM || !m) {
			lua_settop(l->L, RULES_SLOT_TOP);
			rc = error_set(l->err, ERR_NOMEM, "lint: %s: out of rule "
				       "memory compiling it", name);
			goto out;
		}
		line = split_where(m, name, &rest);
		finding(l, line, "syntax", lstr(l, rest, strlen(rest)));
		l->syntax_bad = 1;
		lua_settop(l->L, RULES_SLOT_TOP);
		goto out;
	}
	st = lua_dump(l->L, dump_writer, &dump, 0);
	lua_settop(l->L, RULES_SLOT_TOP);
	if (st || dump.failed) {
		rc = error_set(l->err, ERR_NOMEM, "lint: %s: out of memory",
			       name);
		goto out;
	}
	f = read_dump(l, dump.buf, dump.len);
	if (!f) {
		rc = l->nomem ? error_set(l->err, ERR_NOMEM, "lint: out of "
					  "memory")
			: error_set(l->err, ERR_INTERNAL, "lint: %s: cannot read "
				    "the Lua bytecode of this Lua (%s)", name,
				    LUA_RELEASE);
		goto out;
	}
	{
		const struct role top = { R_NONE, NULL, 0 };

		walk(l, f, &top, NULL, 0);
	}
out:
	error_release(&e);
	sbuf_release(&text);
	sbuf_release(&dump);
	sbuf_release(&chunk);
	return rc;
}

/* ---- the job ------------------------------------------------------------ */

static void check_globals(struct lint *l)
{
	for (size_t i = 0; i < l->nreads; i++) {
		const struct gread *g = &l->reads[i];
		const char *near;

		if (names_has(&l->globals, g->name) ||
		    names_has(&l->writes, g->name))
			continue;
		/* one finding per name and line */
		{
			int dup = 0;

			for (size_t j = 0; j < i && !dup; j++)
				dup = l->reads[j].file == g->file &&
				      l->reads[j].line == g->line &&
				      strcmp(l->reads[j].name, g->name) == 0;
			if (dup)
				continue;
		}
		if (names_has(&l->stock, g->name)) {
			finding_at(l, g->file, g->line, "undefined-global", lfmt(l,
				"'%s' is Lua's, but not in the rules' sandbox "
				"(rules are pure functions of their input: no "
				"io, os, print, require, load, ...; docs/RULES.md, "
				"\"The sandbox\")", g->name));
			continue;
		}
		near = nearest(g->name, &l->globals, &l->writes);
		finding_at(l, g->file, g->line, "undefined-global", lfmt(l,
			"'%s' is not defined: no rule file sets this global and "
			"the sandbox has none of that name%s", g->name,
			near ? did_you_mean(l, "", near)
			: "; set it in a rule file, or make it a local"));
	}
}

static void check_translates(struct lint *l)
{
	const struct job *job = l->job;

	for (size_t i = 0; i < job->nsources; i++) {
		const struct job_source *s = &job->sources[i];
		const char *near;

		if (!s->translate || !s->translate[0] ||
		    names_has(&l->writes, s->translate))
			continue;
		near = nearest(s->translate, &l->writes, NULL);
		finding_at(l, job->nrule_files, s->line, "missing-translate",
			   names_has(&l->globals, s->translate)
			   ? lfmt(l, "job source '%s': translate '%s' is a Lua "
				  "built-in, not a function of the rule files; "
				  "define function %s_%s(row, out) in a rule "
				  "file and name that", s->name, s->translate,
				  s->translate, s->name)
			   : lfmt(l, "job source '%s': translate function '%s' "
				  "is not defined in the rule files%s%s%s; "
				  "define function %s(row, out) in one of them",
				  s->name, s->translate, near ? " (did you mean '"
				  : "", near ? near : "", near ? "'?)" : "",
				  s->translate));
	}
}

static int pend_cmp(const void *x, const void *y)
{
	const struct pend *a = x, *b = y;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int lint_job(const struct job *job, struct lint_report *rep,
	     struct error *err)
{
	struct lint l;
	struct rules *sb = NULL;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.job = job;
	l.err = err;
	if (rules_open_sandbox(job, &sb, err) < 0)
		return -1;
	l.L = rules_lua(sb);
	if (setup_names(&l) < 0) {
		error_set(err, ERR_NOMEM, "lint: out of memory");
		goto out;
	}
	for (size_t i = 0; i < job->nrule_files; i++)
		if (lint_file(&l, i) < 0)
			goto out;
	/* a file that does not compile sets globals nobody can see */
	if (!l.syntax_bad) {
		check_globals(&l);
		check_translates(&l);
	}
	if (l.nomem) {
		error_set(err, ERR_NOMEM, "lint: out of memory");
		goto out;
	}
	if (l.npend)
		qsort(l.pend, l.npend, sizeof(*l.pend), pend_cmp);
	for (size_t i = 0; i < l.npend; i++) {
		const struct pend *p = &l.pend[i];

		if (lint_add(rep, p->file < job->nrule_files
			     ? job_rule_name(job, p->file)
			     : (job->path ? job->path : "job"),
			     p->line, p->kind, p->msg, err) < 0)
			goto out;
	}
	rc = 0;
out:
	arena_release(&l.a);
	rules_free(sb);
	return rc;
}

/* ---- the report --------------------------------------------------------- */

void lint_report_init(struct lint_report *rep)
{
	memset(rep, 0, sizeof(*rep));
}

void lint_report_release(struct lint_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		mem_free(rep->f[i].file);
		mem_free(rep->f[i].kind);
		mem_free(rep->f[i].message);
	}
	mem_free(rep->f);
	lint_report_init(rep);
}

int lint_add(struct lint_report *rep, const char *file, int line,
	     const char *kind, const char *message, struct error *err)
{
	struct lint_finding *f;

	if (rep->n == rep->alloc) {
		size_t na = rep->alloc ? rep->alloc * 2 : 16;
		struct lint_finding *nf = mem_realloc(rep->f, na * sizeof(*nf));

		if (!nf)
			return error_set(err, ERR_NOMEM, "lint: out of memory");
		rep->f = nf;
		rep->alloc = na;
	}
	f = &rep->f[rep->n];
	/* kept as text JSON can hold: a Lua message may quote any byte of
	 * the file (NUL as \0, bytes that are not UTF-8 as \xNN) */
	{
		struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);

		f->message = text_add_clean(&sb, message, strlen(message),
					    RULES_MESSAGE_CAP) < 0 ? NULL
			: sbuf_detach(&sb, NULL);
		sbuf_release(&sb);
	}
	f->file = mem_strdup(file);
	f->kind = mem_strdup(kind);
	f->line = line;
	if (!f->file || !f->kind || !f->message) {
		mem_free(f->file);
		mem_free(f->kind);
		mem_free(f->message);
		return error_set(err, ERR_NOMEM, "lint: out of memory");
	}
	rep->n++;
	return 0;
}

int lint_format_text(const struct lint_report *rep, struct sbuf *out)
{
	for (size_t i = 0; i < rep->n; i++) {
		const struct lint_finding *f = &rep->f[i];

		if ((f->line > 0 ? sbuf_addf(out, "%s:%d: %s: %s\n", f->file,
					     f->line, f->kind, f->message)
		     : sbuf_addf(out, "%s: %s: %s\n", f->file, f->kind,
				 f->message)) < 0)
			return -1;
	}
	return 0;
}

char *lint_format_json(const struct lint_report *rep, const char *job_name)
{
	json_t *root = json_object(), *a = json_array();
	char *s = NULL;
	int bad = !root || !a;

	for (size_t i = 0; !bad && i < rep->n; i++) {
		const struct lint_finding *f = &rep->f[i];
		json_t *o = json_pack("{s:s, s:i, s:s, s:s}", "file", f->file,
				      "line", f->line, "kind", f->kind,
				      "message", f->message);

		bad = !o || json_array_append_new(a, o) < 0;
	}
	if (!bad)
		bad = json_object_set_new(root, "job", json_string(job_name)) < 0 ||
		      json_object_set_new(root, "ok", json_boolean(rep->n == 0)) < 0 ||
		      json_object_set(root, "findings", a) < 0;
	if (!bad) {
		char *t = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (t) {
			size_t n = strlen(t);

			s = malloc(n + 2);
			if (s) {
				memcpy(s, t, n);
				s[n] = '\n';
				s[n + 1] = '\0';
			}
			free(t);
		}
	}
	json_decref(a);
	json_decref(root);
	return s;
}
