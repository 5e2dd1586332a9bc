/*
 * fuzz_rules_out.c - the Lua rule boundary: what a translate function
 * assigns to `out` and what an order rule hands fail().
 *
 * The input is decoded into up to MAX_OPS assignments. Each names a
 * field of `out` (or the message of a fail() the order rule then
 * returns, or a field that does not exist), a value built in C and
 * handed to Lua as a row column (text of any bytes and size, integers
 * including the extremes, money, NULL), and a conversion the fixed rule
 * chunk applies in Lua first (none, to a float, to a boolean, into a
 * table). A C model of the boundary (docs/RULES.md) predicts for each
 * assignment "kept exactly" or "refused"; the target asserts that the
 * engine agrees: a kept record holds exactly the values assigned, a
 * refused one is a per-record failure (rules_translate() -2) whose
 * message is clean text within the cap, a fail() message is kept
 * exactly or cut exactly as documented, and nothing crashes or leaks.
 *
 * Input: [nops] then per op [field] [conversion] [type] and the value
 * (field byte % 12: 0..5 key, deal_ref, order_ref, customer, currency,
 * name; 6 amount, 7 time, 8 status, 9 doc_type, 10 no such field, 11 the
 * fail() message; conversion byte % 4: none, float, boolean, table):
 *   type 0 text: [len] [rep] then len bytes, repeated (rep < 250 ?
 *          rep + 1 : (rep - 249) * 1000) times;
 *   type 1 integer: [s], s < 16 picks an extreme, else 8 bytes LE;
 *   type 2 money: 8 bytes LE (scaled units, see money.h);
 *   type 3 NULL.
 * Missing bytes read as 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "engine/canon.h"
#include "engine/money.h"
#include "engine/rules.h"
#include "engine/text.h"
#include "engine/tstamp.h"

#define MAX_OPS 16
#define DATA_CAP ((size_t)(CS__COUNT + CANON_XMAX) * CANON_STR_CAP * 2)
#define NCOLS (1 + 3 * MAX_OPS)

/* Field numbers as the chunk's `names` (1-based): 1..6 the text fields
 * in canon_str order, then amount ... colour; 12 is the message. */
enum { F_TEXT_LAST = 6, F_AMOUNT, F_TIME, F_STATUS, F_DOCTYPE, F_UNKNOWN,
       F_MESSAGE, F__N };

/* Conversions the chunk applies. */
enum { K_NONE, K_FLOAT, K_BOOL, K_TABLE, K__N };

static const char chunk[] =
	"local names = { 'key', 'deal_ref', 'order_ref', 'customer',\n"
	"  'currency', 'name', 'amount', 'time', 'status', 'doc_type',\n"
	"  'colour' }\n"
	"local msg\n"
	"function t(row, out)\n"
	"  msg = nil\n"
	"  for i = 1, row.n do\n"
	"    local f, k, v = row['f' .. i], row['k' .. i], row['v' .. i]\n"
	"    if k == 1 and type(v) == 'number' then v = v + 0.5\n"
	"    elseif k == 2 then v = v ~= nil\n"
	"    elseif k == 3 then v = { v }\n"
	"    end\n"
	"    if f == 12 then msg = v else out[names[f]] = v end\n"
	"  end\n"
	"end\n"
	"rule('fuzz', function(o)\n"
	"  if msg ~= nil then return fail('FUZZ', msg) end\n"
	"end)\n";

static const int64_t extremes[16] = {
	INT64_MIN, INT64_MAX, TSTAMP_MIN, TSTAMP_MAX, TSTAMP_MIN - 1,
	TSTAMP_MAX + 1, 0, -1, 1, 1795651200, INT64_MIN + 1, INT64_MAX - 1,
	(int64_t)1 << 53, -((int64_t)1 << 53), 4096, 999999999999,
};

struct reader {
	const uint8_t *p;
	size_t n;
};

static unsigned byte(struct reader *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static int64_t int64_le(struct reader *r)
{
	uint64_t u = 0;

	for (int i = 0; i < 8; i++)
		u |= (uint64_t)byte(r) << (8 * i);
	return (int64_t)u;
}

struct op {
	int field;		/* 1..F__N-1 as in the chunk */
	int conv;		/* K_* */
	struct value v;		/* what the row column holds */
	char *text;		/* owned text of v */
};

/* What the model expects of one record. */
struct model {
	uint32_t present;
	size_t off[CS__COUNT], len[CS__COUNT];
	char *data;		/* every string set, back to back (canon.c) */
	size_t used;
	int64_t amount, time;
	int status, doctype;
	const struct op *msg;	/* the fail() message's op, or NULL */
	int msg_conv;
};

static void die(const char *what)
{
	fprintf(stderr, "fuzz_rules_out: %s\n", what);
	abort();
}

/* Lua's tostring of a float, as lua_Number2str does it ("%.14g", and
 * ".0" when that looks like an integer). */
static void float_text(double d, char *buf, size_t size)
{
	snprintf(buf, size, "%.14g", d);
	if (buf[strspn(buf, "-0123456789")] == '\0') {
		size_t n = strlen(buf);

		snprintf(buf + n, size - n, ".0");
	}
}

static int clean_text(const char *s, size_t n)
{
	return !memchr(s, '\0', n) && utf8_valid(s, n, NULL);
}

/* Apply op to the model: 1 kept, 0 refused (the rule raises). */
static int model_apply(struct model *m, const struct op *o)
{
	int type = o->v.type;

	if (o->field == F_MESSAGE) {
		/* the chunk makes a float of integers only */
		int conv = o->conv == K_FLOAT && type != VAL_INT ? K_NONE
								  : o->conv;

		m->msg = conv == K_NONE && type == VAL_NULL ? NULL : o;
		m->msg_conv = conv;
		return 1;
	}
	/* the chunk's conversion: floats, booleans and tables are never
	 * kept by any field of out */
	if (o->conv == K_BOOL || o->conv == K_TABLE ||
	    (o->conv == K_FLOAT && type == VAL_INT))
		return 0;
	if (o->field == F_UNKNOWN)
		return 0;
	if (o->field <= F_TEXT_LAST) {
		int f = o->field - 1;
		char num[32];
		const char *s = o->v.s;
		size_t n = o->v.len;

		if (type == VAL_NULL) {
			m->present &= ~(1u << f);
			return 1;
		}
		if (type == VAL_DEC)
			return 0;
		if (type == VAL_INT) {
			snprintf(num, sizeof(num), "%lld", (long long)o->v.i);
			s = num;
			n = strlen(num);
		}
		if (n > CANON_STR_CAP || !clean_text(s, n))
			return 0;
		/* the record's text cap (canon.c): room for every string and
		 * site-defined field twice over */
		if (m->used + n > DATA_CAP)
			return 0;
		memcpy(m->data + m->used, s, n);
		m->off[f] = m->used;
		m->len[f] = n;
		m->used += n;
		m->present |= 1u << f;
		return 1;
	}
	switch (o->field) {
	case F_AMOUNT:
		if (type == VAL_NULL) {
			m->present &= ~CANON_HAS_AMOUNT;
			return 1;
		}
		if (type == VAL_DEC) {
			m->amount = o->v.i;
		} else if (type == VAL_TEXT) {
			if (money_parse(o->v.s, o->v.len, &m->amount) != MONEY_OK)
				return 0;
		} else {
			return 0;
		}
		m->present |= CANON_HAS_AMOUNT;
		return 1;
	case F_TIME:
		if (type == VAL_NULL) {
			m->present &= ~CANON_HAS_TIME;
			return 1;
		}
		if (type == VAL_INT) {
			if (o->v.i < TSTAMP_MIN || o->v.i > TSTAMP_MAX)
				return 0;
			m->time = o->v.i;
		} else if (type == VAL_TEXT) {
			if (tstamp_parse(o->v.s, o->v.len, &m->time) < 0)
				return 0;
		} else {
			return 0;
		}
		m->present |= CANON_HAS_TIME;
		return 1;
	default: {		/* status, doc_type */
		const char *const *names = o->field == F_STATUS
			? canon_status_names : canon_doctype_names;
		int count = o->field == F_STATUS ? CST__COUNT : CDT__COUNT, k;

		if (type == VAL_NULL) {
			k = 0;
		} else if (type == VAL_TEXT) {
			k = canon_lookup(names, count, o->v.s, o->v.len);
			if (k <= 0)
				return 0;
		} else {
			return 0;
		}
		if (o->field == F_STATUS)
			m->status = k;
		else
			m->doctype = k;
		return 1;
	}
	}
}

/* A failure's message: clean text within the cap (and its mark). */
static void check_failure_text(const char *s, size_t n)
{
	if (!clean_text(s, n))
		die("a failure message is not clean text");
	if (n > RULES_MESSAGE_CAP + 64)
		die("a failure message is over the cap");
}

static void check_record(const struct model *m, const struct canon *c)
{
	uint32_t mask = (1u << CS__COUNT) - 1;

	if ((c->present & mask) != (m->present & mask))
		die("string fields present differ");
	for (int f = 0; f < CS__COUNT; f++) {
		size_t n;
		const char *s = canon_get(c, (enum canon_str)f, &n);

		if (!(m->present & (1u << f)))
			continue;
		if (n != m->len[f] || memcmp(s, m->data + m->off[f], n) != 0)
			die("a string field is not the value assigned");
	}
	if ((c->present & CANON_HAS_AMOUNT) != (m->present & CANON_HAS_AMOUNT) ||
	    ((m->present & CANON_HAS_AMOUNT) && c->amount != m->amount))
		die("amount differs");
	if ((c->present & CANON_HAS_TIME) != (m->present & CANON_HAS_TIME) ||
	    ((m->present & CANON_HAS_TIME) && c->time != m->time))
		die("time differs");
	if (c->status != m->status || c->doctype != m->doctype)
		die("status or doc_type differs");
}

/* The order rule's verdict for the model's message. */
static void check_verdict(const struct model *m, const struct verdict_list *l)
{
	const struct op *o = m->msg;
	char num[64];
	const char *s = NULL;
	size_t n = 0;
	int refused = 0;

	if (!o) {
		if (l->n != 0)
			die("a verdict without a message");
		return;
	}
	if (l->n != 1)
		die("not one verdict");
	for (size_t i = 0; i < 4; i++) {
		const char *t = i == 0 ? l->v[0].rule : i == 1 ? l->v[0].code
			: i == 2 ? l->v[0].message : l->v[0].where;

		if (!utf8_valid(t, strlen(t), NULL))
			die("a verdict's text is not UTF-8");
	}
	if (m->msg_conv == K_BOOL || m->msg_conv == K_TABLE)
		refused = 1;
	else if (m->msg_conv == K_FLOAT) {	/* only on integers */
		float_text((double)o->v.i + 0.5, num, sizeof(num));
		s = num;
		n = strlen(num);
	} else if (o->v.type == VAL_INT) {
		snprintf(num, sizeof(num), "%lld", (long long)o->v.i);
		s = num;
		n = strlen(num);
	} else if (o->v.type == VAL_TEXT) {
		s = o->v.s;
		n = o->v.len;
		refused = !clean_text(s, n);
	} else {
		refused = 1;	/* money is not a message */
	}
	if (refused) {
		if (!l->v[0].is_error || strcmp(l->v[0].code, "RULE_ERROR"))
			die("a bad fail() message was not a RULE_ERROR");
		check_failure_text(l->v[0].message, strlen(l->v[0].message));
		return;
	}
	if (l->v[0].is_error || strcmp(l->v[0].code, "FUZZ") != 0)
		die("a good fail() message was refused");
	if (n <= RULES_MESSAGE_CAP) {
		if (strlen(l->v[0].message) != n ||
		    memcmp(l->v[0].message, s, n) != 0)
			die("a fail() message was not kept exactly");
	} else {
		size_t cut = RULES_MESSAGE_CAP;
		char mark[64];
		const char *got = l->v[0].message;

		while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
		snprintf(mark, sizeof(mark), " [... message cut: %zu bytes]", n);
		if (strlen(got) != cut + strlen(mark) ||
		    memcmp(got, s, cut) != 0 || strcmp(got + cut, mark) != 0)
			die("a long fail() message was not cut as documented");
	}
}

static char rule_path[64];

static void write_chunk(void)
{
	int fd;

	if (rule_path[0])
		return;
	snprintf(rule_path, sizeof(rule_path), "/tmp/recon-fuzz-rules-XXXXXX");
	fd = mkstemp(rule_path);
	if (fd < 0 || write(fd, chunk, sizeof(chunk) - 1) !=
		      (ssize_t)(sizeof(chunk) - 1))
		die("cannot write the rule chunk");
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[NCOLS];
	static char namebuf[NCOLS][8];
	struct reader rd = { data, size };
	struct op ops[MAX_OPS];
	struct value vals[NCOLS];
	struct job job;
	struct job_source src;
	char *files[1];
	struct rules *r = NULL;
	struct error err;
	struct canon rec;
	struct sbuf fail = SBUF_INIT(1 << 16);
	struct verdict_list vl;
	struct model m;
	size_t nops = byte(&rd) % (MAX_OPS + 1), i;
	int kept = 1, rc;

	write_chunk();
	if (!names[0]) {
		names[0] = "n";
		for (i = 0; i < MAX_OPS; i++)
			for (int k = 0; k < 3; k++) {
				snprintf(namebuf[1 + 3 * i + k], 8, "%c%zu",
					 "fkv"[k], i + 1);
				names[1 + 3 * i + k] = namebuf[1 + 3 * i + k];
			}
	}
	memset(ops, 0, sizeof(ops));
	memset(vals, 0, sizeof(vals));
	memset(&m, 0, sizeof(m));
	m.data = malloc(DATA_CAP + 1);
	if (!m.data)
		die("out of memory");
	vals[0] = (struct value){ .type = VAL_INT, .i = (int64_t)nops };
	for (i = 0; i < nops; i++) {
		struct op *o = &ops[i];
		unsigned t;

		o->field = (int)(byte(&rd) % (F__N - 1)) + 1;
		o->conv = (int)(byte(&rd) % K__N);
		t = byte(&rd) % 4;
		if (t == 0) {
			size_t len = byte(&rd), rep = byte(&rd), n;

			rep = rep < 250 ? rep + 1 : (rep - 249) * 1000;
			n = len * rep;
			o->text = malloc(n + 1);
			if (!o->text)
				die("out of memory");
			for (size_t j = 0; j < len; j++)
				o->text[j] = (char)byte(&rd);
			for (size_t j = len; j < n; j++)
				o->text[j] = o->text[j % len];
			o->text[n] = '\0';
			o->v = (struct value){ .type = VAL_TEXT, .s = o->text,
					       .len = n };
		} else if (t == 1) {
			unsigned s = byte(&rd);

			o->v = (struct value){ .type = VAL_INT,
					       .i = s < 16 ? extremes[s]
							   : int64_le(&rd) };
		} else if (t == 2) {
			o->v = (struct value){ .type = VAL_DEC,
					       .i = int64_le(&rd) };
		} else {
			o->v = (struct value){ .type = VAL_NULL };
		}
		vals[1 + 3 * i] = (struct value){ .type = VAL_INT,
						   .i = o->field };
		vals[2 + 3 * i] = (struct value){ .type = VAL_INT,
						   .i = o->conv };
		vals[3 + 3 * i] = o->v;
		if (kept)
			kept = model_apply(&m, o);
	}
	if (kept && !(m.present & (1u << CS_KEY)))
		kept = 0;	/* "kept a record without out.key" */

	memset(&job, 0, sizeof(job));
	memset(&src, 0, sizeof(src));
	src.name = (char *)"fuzz";
	src.translate = (char *)"t";
	src.role = CANON_ORDER;
	files[0] = rule_path;
	job.name = (char *)"fuzz";
	job.rule_files = files;
	job.nrule_files = 1;
	job.sources = &src;
	job.nsources = 1;
	error_init(&err);
	if (rules_open(&job, &r, &err) < 0)
		die(err.msg.buf);
	canon_init(&rec);
	verdict_list_init(&vl);
	{
		struct row row = { .ncols = 1 + 3 * nops, .names = names,
				   .vals = vals, .rowno = 1 };

		canon_reset(&rec, CANON_ORDER, 0, 1);
		rc = rules_translate(r, 0, &row, &rec, &fail, &err);
	}
	if (rc == -1)
		die(err.msg.buf);
	if (rc == 0)
		die("the chunk never skips a row");
	if (kept != (rc == 1)) {
		fprintf(stderr, "model %s, engine %d: %s\n",
			kept ? "keeps" : "refuses", rc, fail.buf);
		die("the engine and the model disagree");
	}
	if (rc == -2) {
		check_failure_text(fail.buf, fail.len);
	} else {
		size_t kn;
		const char *key = canon_get(&rec, CS_KEY, &kn);
		struct group g = { key, kn, NULL, &rec, 1, NULL, NULL };

		check_record(&m, &rec);
		if (rules_check(r, &g, &vl, &err) < 0)
			die(err.msg.buf);
		check_verdict(&m, &vl);
	}
	verdict_list_release(&vl);
	canon_release(&rec);
	sbuf_release(&fail);
	error_release(&err);
	rules_free(r);
	for (i = 0; i < nops; i++)
		free(ops[i].text);
	free(m.data);
	return 0;
}
