/*
 * html.c - the HTML report: one self-contained HTML5 page a browser opens
 * from a file share or a mail attachment, offline, at any volume.
 *
 * The page is two halves. The summary (header, control totals, outcome
 * counts and amounts, ageing, trend, with inline SVG charts) is static
 * HTML computed here once, readable without JavaScript and in print. The
 * exception lines are data: one compact JSON array per line inside
 * <script type="application/json">, repeated values (outcome, currency,
 * rule, file:line, state...) as indexes into one string table, and the
 * page's own script (reports/html.js, embedded at build time) shows one
 * page of them at a time, sortable and filterable. At 200,000 lines the
 * DOM still holds a hundred rows.
 *
 * Invariants: every value from the run is escaped for where it lands:
 * report_html_escape in text and attributes, report_json_string inside
 * the data blocks (which also escapes < > & and U+2028/2029, so no value
 * can end the <script> element or open a comment). The page loads
 * nothing; its Content-Security-Policy allows no source at all except
 * the one inline script and the one inline style, by their SHA-256, so a
 * value that escaped escaping still could not run or fetch anything.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "report_int.h"
#include "engine/mem.h"
#include "engine/money.h"
#include "engine/banned.h"

/* reports/html.js and reports/html.css (tools/embed.sh) */
extern const char recon_html_js[];
extern const unsigned long recon_html_js_len;
extern const char recon_html_css[];
extern const unsigned long recon_html_css_len;

int report_html_escape(struct sbuf *out, const char *s)
{
	const char *p, *run;

	if (!s)
		return out->failed ? -1 : 0;
	for (p = run = s; *p; p++) {
		const char *ent;

		switch (*p) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		sbuf_add(out, run, (size_t)(p - run));
		sbuf_addstr(out, ent);
		run = p + 1;
	}
	sbuf_add(out, run, (size_t)(p - run));
	return out->failed ? -1 : 0;
}

/*
 * A JSON string for a data block inside <script>: quotes, backslash and
 * control characters as JSON wants, and < > & as \u003c \u003e \u0026 so
 * that neither "</script" nor "<!--" can occur, and U+2028/2029 as
 * escapes (they end a line in older JavaScript). Bytes >= 0x80 are
 * copied: the page is UTF-8.
 */
int report_json_string(struct sbuf *out, const char *s)
{
	const unsigned char *p, *run;

	sbuf_addch(out, '"');
	for (p = run = (const unsigned char *)s; p && *p; p++) {
		const char *rep = NULL;
		char u[8];

		switch (*p) {
		case '"': rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '\t': rep = "\\t"; break;
		case '\r': rep = "\\r"; break;
		case '<': rep = "\\u003c"; break;
		case '>': rep = "\\u003e"; break;
		case '&': rep = "\\u0026"; break;
		case 0xE2:
			if (p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
				sbuf_add(out, run, (size_t)(p - run));
				sbuf_addstr(out, p[2] == 0xA8 ? "\\u2028" :
					    "\\u2029");
				p += 2;
				run = p + 1;
			}
			continue;
		default:
			if (*p >= 0x20)
				continue;
			snprintf(u, sizeof(u), "\\u%04x", *p);
			rep = u;
		}
		sbuf_add(out, run, (size_t)(p - run));
		sbuf_addstr(out, rep);
		run = p + 1;
	}
	if (p)
		sbuf_add(out, run, (size_t)(p - run));
	sbuf_addch(out, '"');
	return out->failed ? -1 : 0;
}

/* 'sha256-BASE64' of n bytes, the CSP source for an inline element. */
int report_csp_hash(struct sbuf *out, const char *text, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned int mdlen = 0;

	if (!EVP_Digest(text, n, md, &mdlen, EVP_sha256(), NULL))
		return -1;
	EVP_EncodeBlock(b64, md, (int)mdlen);
	sbuf_addf(out, "'sha256-%s'", (const char *)b64);
	return out->failed ? -1 : 0;
}

static void esc(struct sbuf *b, const char *s)
{
	report_html_escape(b, s);
}

/* ---- the string table of the data blocks ---- */

/* Values of the repeated columns, interned by content: id 1.. in order
 * of first use (0 is "no value"). An entry is the JSON text of the
 * value (a string, or a pair ["a","b"]), copied: the table writes it
 * as it is, and a message template is made per line. Past STRTAB_MAX distinct values the rest are written out
 * literally, so a column of unique values costs no more than without. */
#define STRTAB_MAX ((size_t)1 << 18)

struct strtab {
	const char **slot;	/* open addressing, cap entries */
	uint32_t *slot_id;
	size_t cap;
	const char **byid;	/* byid[id - 1] */
	size_t n;
	int nomem;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

static void strtab_release(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		mem_free((char *)t->byid[i]);
	mem_free(t->slot);
	mem_free(t->slot_id);
	mem_free(t->byid);
}

static int strtab_grow(struct strtab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256;
	const char **slot = mem_calloc(cap, sizeof(*slot));
	uint32_t *ids = mem_calloc(cap, sizeof(*ids));
	const char **byid = mem_realloc(t->byid, (cap / 2) * sizeof(*byid));

	if (byid)
		t->byid = byid;
	if (!slot || !ids || !byid) {
		mem_free(slot);
		mem_free(ids);
		t->nomem = 1;
		return -1;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t j = (size_t)str_hash(t->byid[i]) & (cap - 1);

		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = t->byid[i];
		ids[j] = (uint32_t)(i + 1);
	}
	mem_free(t->slot);
	mem_free(t->slot_id);
	t->slot = slot;
	t->slot_id = ids;
	t->cap = cap;
	return 0;
}

/* The id of s, adding it; 0 when the table is full (write s literally)
 * or out of memory (t->nomem). */
static uint32_t strtab_id(struct strtab *t, const char *s)
{
	size_t j;

	if (t->n * 2 >= t->cap) {
		if (t->n >= STRTAB_MAX)
			goto lookup_only;
		if (strtab_grow(t) < 0)
			return 0;
	}
lookup_only:
	j = (size_t)str_hash(s) & (t->cap - 1);
	while (t->slot[j]) {
		if (strcmp(t->slot[j], s) == 0)
			return t->slot_id[j];
		j = (j + 1) & (t->cap - 1);
	}
	if (t->n >= STRTAB_MAX)
		return 0;
	s = mem_strdup(s);
	if (!s) {
		t->nomem = 1;
		return 0;
	}
	t->slot[j] = s;
	t->slot_id[j] = (uint32_t)(t->n + 1);
	t->byid[t->n++] = s;
	return (uint32_t)t->n;
}

/* ---- data cells ---- */

/* The cells of a line, in the layout of html.js: the fixed ones, then
 * the site-defined fields, then the latest note and explained_before
 * (last, so that most lines end early). The difference (C_DIFF) is
 * written only with the tolerance, as [difference, tolerance], when the
 * rule's verdict rests on a within(); else 0: html.js computes it as
 * report_difference does. A message template may refer to it. */
enum {
	C_OUTCOME, C_KEY, C_DEAL_KEY, C_ORDER_KEY, C_ORDER_KEYS,
	C_ERP_KEYS, C_CUSTOMER, C_CURRENCY, C_DEAL_AMT, C_ORDER_AMT,
	C_ERP_AMT, C_DIFF, C_NAME, C_RULE, C_WHERE, C_MESSAGE, C_STATE,
	C_FIRST, C_AGE, C_FIELDS
};

/* Columns whose values repeat from line to line: string-table ids. */
static int repeated(int c)
{
	return c == C_OUTCOME || c == C_CUSTOMER || c == C_CURRENCY ||
	       c == C_NAME || c == C_RULE || c == C_WHERE ||
	       c == C_MESSAGE || c == C_STATE || c == C_FIRST ||
	       c >= C_FIELDS;
}

/* What a page's lines share while they are written. */
struct rows {
	struct strtab tab;
	struct sbuf diff;	/* the line's difference */
	struct sbuf tmpl;	/* its message as a template */
	struct sbuf key;	/* a string-table entry: its JSON text */
};

/* The cells a message template may refer to: values rules echo. */
static const int echoed[] = {
	C_KEY, C_DEAL_KEY, C_ORDER_KEY, C_ERP_KEYS, C_CUSTOMER, C_CURRENCY,
	C_DEAL_AMT, C_ORDER_AMT, C_ERP_AMT, C_DIFF, C_NAME
};
#define NECHOED (sizeof(echoed) / sizeof(echoed[0]))

/*
 * The message with every occurrence of one of the line's own values
 * ("deal 400.00 EUR, order 450.00 EUR") replaced by \x01 and a letter,
 * 'A' + the cell's index, longest value first: the template repeats
 * from line to line and goes into the string table once; html.js puts
 * the values back. NULL (write the message as it is) when it holds a
 * \x01 itself.
 */
static const char *line_template(struct sbuf *out, const char *msg,
				 const char *const *v)
{
	int order[NECHOED];
	size_t n = 0;

	if (strchr(msg, '\x01'))
		return NULL;
	for (size_t i = 0; i < NECHOED; i++) {
		const char *s = v[echoed[i]];
		size_t k;

		if (!s || strlen(s) < 3)
			continue;
		/* insertion by length, longest first */
		for (k = n; k > 0 && strlen(v[order[k - 1]]) < strlen(s); k--)
			order[k] = order[k - 1];
		order[k] = echoed[i];
		n++;
	}
	sbuf_reset(out);
	for (const char *p = msg; *p;) {
		size_t k;

		for (k = 0; k < n; k++) {
			size_t len = strlen(v[order[k]]);

			if (strncmp(p, v[order[k]], len) == 0) {
				sbuf_addch(out, '\x01');
				sbuf_addch(out, 'A' + order[k]);
				p += len;
				break;
			}
		}
		if (k == n)
			sbuf_addch(out, *p++);
	}
	return out->failed ? NULL : out->buf;
}

/* The string-table id of the JSON text in rw->key; 0 when the table is
 * full (or out of memory: tab.nomem). */
static uint32_t key_id(struct rows *rw)
{
	return rw->key.failed ? 0 : strtab_id(&rw->tab, rw->key.buf);
}

/* rw->key, the id of it or (table full) the JSON text itself. */
static void cell_key(struct sbuf *b, struct rows *rw)
{
	uint32_t id = key_id(rw);

	if (id)
		sbuf_addf(b, "%" PRIu32 ",", id);
	else
		sbuf_add(b, rw->key.buf, rw->key.len);
	if (!id)
		sbuf_addch(b, ',');
}

/* A pair cell ["a","b"] through the string table (outcome and
 * severity; first-seen run and as-of); 0 when both are NULL. */
static void cell_pair(struct sbuf *b, struct rows *rw, const char *a,
		      const char *x)
{
	if (!a && !x) {
		sbuf_addstr(b, "0,");
		return;
	}
	sbuf_reset(&rw->key);
	sbuf_addch(&rw->key, '[');
	if (a)
		report_json_string(&rw->key, a);
	else
		sbuf_addstr(&rw->key, "null");
	sbuf_addch(&rw->key, ',');
	if (x)
		report_json_string(&rw->key, x);
	else
		sbuf_addstr(&rw->key, "null");
	sbuf_addch(&rw->key, ']');
	cell_key(b, rw);
}

/* One string cell: 0 for none; -J when it equals the line's literal
 * cell J (an order key that is the line's key); a string-table id for
 * a repeated column; else the JSON string. c -1: literal, no back
 * reference. */
static void cell(struct sbuf *b, struct rows *rw, const char *const *v,
		 int c, const char *s)
{
	if (!s) {
		sbuf_addstr(b, "0,");
		return;
	}
	if (c >= 0 && repeated(c)) {
		sbuf_reset(&rw->key);
		report_json_string(&rw->key, s);
		cell_key(b, rw);
		return;
	}
	for (int j = C_KEY; j < c && j <= C_DIFF; j++) {
		if (!repeated(j) && v[j] && strcmp(v[j], s) == 0) {
			sbuf_addf(b, "-%d,", j);
			return;
		}
	}
	report_json_string(b, s);
	sbuf_addch(b, ',');
}

/* One line: [outcome+severity, key, ...], trailing empty cells dropped. */
static void data_row(struct sbuf *b, struct rows *rw, const struct report *r,
		     const struct report_item *it)
{
	const struct report_life *l = it->life;
	const char *v[C_FIELDS];
	const char *msg;
	size_t keep = 0;

	memset(v, 0, sizeof(v));
	v[C_OUTCOME] = it->outcome;
	v[C_KEY] = it->key;
	v[C_DEAL_KEY] = it->deal_key;
	v[C_ORDER_KEY] = it->order_key;
	v[C_ORDER_KEYS] = it->order_keys;
	v[C_ERP_KEYS] = it->erp_keys;
	v[C_CUSTOMER] = it->customer;
	v[C_CURRENCY] = it->currency;
	v[C_DEAL_AMT] = it->deal_amount;
	v[C_ORDER_AMT] = it->order_amount;
	v[C_ERP_AMT] = it->erp_amount;
	v[C_DIFF] = report_difference(&rw->diff, it);
	v[C_NAME] = it->name;
	v[C_RULE] = it->rule;
	v[C_WHERE] = it->where;
	v[C_STATE] = l ? l->state : NULL;
	msg = it->message ? line_template(&rw->tmpl, it->message, v) : NULL;

	sbuf_addch(b, '[');
	cell_pair(b, rw, it->outcome, it->severity);
	for (int c = C_KEY; c <= C_STATE; c++) {
		uint32_t id;

		if (c == C_DIFF && it->tolerance && v[C_DIFF]) {
			/* the rule's comparison: its difference and the
			 * tolerance applied */
			sbuf_addch(b, '[');
			report_json_string(b, v[C_DIFF]);
			sbuf_addch(b, ',');
			report_json_string(b, it->tolerance);
			sbuf_addstr(b, "],");
		} else if (c == C_DIFF) {
			/* html.js computes it */
			sbuf_addstr(b, "0,");
		} else if (c == C_MESSAGE && msg) {
			/* a template only by its id (html.js fills it in) */
			sbuf_reset(&rw->key);
			report_json_string(&rw->key, msg);
			if ((id = key_id(rw)) != 0)
				sbuf_addf(b, "%" PRIu32 ",", id);
			else
				cell(b, rw, v, -1, it->message);
		} else if (c == C_MESSAGE && it->message &&
			   strchr(it->message, '\x01')) {
			/* a \x01 of its own: never from the table */
			cell(b, rw, v, -1, it->message);
		} else {
			cell(b, rw, v, c, v[c]);
		}
		if (c == C_MESSAGE)
			keep = b->len;
	}
	if (l) {
		cell_pair(b, rw, l->first_run, l->first_as_of);
		sbuf_addf(b, "%" PRId64 ",", l->age_days);
		keep = b->len;
	} else {
		sbuf_addstr(b, "0,null,");
	}
	for (size_t c = 0; c < r->ncolumns; c++) {
		const char *f = it->fields ? it->fields[c] : NULL;

		if (r->columns[c].full_only)
			continue;	/* report="false": the full CSV only */
		cell(b, rw, v, C_FIELDS, f);
		if (f)
			keep = b->len;
	}
	if (l && (l->note_state || l->note_text)) {
		cell(b, rw, v, C_FIELDS, l->note_state);
		cell(b, rw, v, -1, l->note_text);
		cell(b, rw, v, C_FIELDS, l->note_by);
		cell(b, rw, v, -1, l->note_time);
		keep = b->len;
	}
	if (l && l->explained_before) {
		if (!l->note_state && !l->note_text)
			sbuf_addstr(b, "0,0,0,0,");
		sbuf_addstr(b, "1,");
		keep = b->len;
	}
	if (rw->tab.nomem || rw->key.failed)
		b->failed = rw->key.failed ? rw->key.failed : SBUF_NOMEM;
	/* drop the trailing empties after the last value, and its comma */
	if (!b->failed) {
		sbuf_setlen(b, keep - 1);
		sbuf_addch(b, ']');
	}
}

/* <script type="application/json" id=ID>[rows]</script>, one row a
 * line, flushed a row at a time. */
static int data_block(const struct report *r, struct report_sink *s,
		      struct rows *rw, const char *id,
		      const struct report_item *items, size_t n)
{
	struct sbuf *b = &s->buf;

	sbuf_addf(b, "<script type=\"application/json\" id=\"%s\">[", id);
	for (size_t i = 0; i < n; i++) {
		sbuf_addstr(b, i ? ",\n" : "\n");
		data_row(b, rw, r, &items[i]);
		if (rw->tab.nomem)
			s->nomem = 1;
		if (report_sink_end_row(s) < 0)
			return -1;
	}
	sbuf_addstr(b, "\n]</script>\n");
	return report_sink_end_row(s);
}

static int string_block(struct report_sink *s, const struct strtab *t)
{
	struct sbuf *b = &s->buf;

	sbuf_addstr(b, "<script type=\"application/json\" id=\"strings\">[\"\"");
	for (size_t i = 0; i < t->n; i++) {
		sbuf_addch(b, ',');
		sbuf_addstr(b, t->byid[i]);	/* JSON already */
		if (b->len > 65536 && report_sink_end_row(s) < 0)
			return -1;
	}
	sbuf_addstr(b, "]</script>\n");
	return report_sink_end_row(s);
}

static int columns_block(const struct report *r, struct report_sink *s)
{
	struct sbuf *b = &s->buf;

	sbuf_addstr(b, "<script type=\"application/json\" id=\"columns\">"
		       "{\"fields\":[");
	for (size_t c = 0, n = 0; c < r->ncolumns; c++) {
		if (r->columns[c].full_only)
			continue;	/* as in the lines' data */
		if (n++)
			sbuf_addch(b, ',');
		report_json_string(b, r->columns[c].name);
	}
	sbuf_addstr(b, "]}</script>\n");
	return report_sink_end_row(s);
}

/* ---- static HTML ---- */

static void td(struct sbuf *b, const char *cls, const char *s)
{
	if (cls)
		sbuf_addf(b, "<td class=\"%s\">", cls);
	else
		sbuf_addstr(b, "<td>");
	esc(b, s);
	sbuf_addstr(b, "</td>");
}

static void td_u64(struct sbuf *b, uint64_t v)
{
	sbuf_addf(b, "<td class=\"num\">%" PRIu64 "</td>", v);
}

static void thead(struct sbuf *b, const char *const *names)
{
	sbuf_addstr(b, "<thead><tr>");
	for (size_t i = 0; names[i]; i++) {
		/* a leading '#' marks a number column */
		if (names[i][0] == '#')
			sbuf_addf(b, "<th scope=\"col\" class=\"num\">%s</th>",
				  names[i] + 1);
		else
			sbuf_addf(b, "<th scope=\"col\">%s</th>", names[i]);
	}
	sbuf_addstr(b, "</tr></thead>\n<tbody>\n");
}

static void meta_item(struct sbuf *b, const char *label, const char *v)
{
	if (!v)
		return;
	sbuf_addf(b, "<dt>%s</dt><dd>", label);
	esc(b, v);
	sbuf_addstr(b, "</dd>\n");
}

static int head(const struct report *r, struct report_sink *s)
{
	struct sbuf *b = &s->buf;

	sbuf_addstr(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		       "<meta charset=\"utf-8\">\n"
		       "<meta http-equiv=\"Content-Security-Policy\" "
		       "content=\"default-src 'none'; script-src ");
	if (report_csp_hash(b, recon_html_js, recon_html_js_len) < 0) {
		s->nomem = 1;
		return -1;
	}
	sbuf_addstr(b, "; style-src ");
	if (report_csp_hash(b, recon_html_css, recon_html_css_len) < 0) {
		s->nomem = 1;
		return -1;
	}
	sbuf_addstr(b, "; base-uri 'none'; form-action 'none'\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, "
		       "initial-scale=1\">\n<title>recon exceptions: ");
	esc(b, r->job);
	sbuf_addstr(b, " ");
	esc(b, r->run_id);
	sbuf_addstr(b, "</title>\n<style>");
	sbuf_add(b, recon_html_css, recon_html_css_len);
	sbuf_addstr(b, "</style>\n</head>\n<body>\n"
		       "<h1>Reconciliation exceptions: ");
	esc(b, r->job);
	sbuf_addstr(b, "</h1>\n<dl class=\"meta\">\n");
	meta_item(b, "Job", r->job);
	meta_item(b, "Run id", r->run_id);
	meta_item(b, "As of", r->as_of);
	meta_item(b, "Mode", r->mode);
	meta_item(b, "Started", r->started);
	meta_item(b, "Finished", r->finished);
	meta_item(b, "Rules hash", r->rules_hash);
	meta_item(b, "Version", r->version);
	/* each rule file and its SHA-256, as T_runs.rules holds them */
	for (size_t i = 0; i < r->nrule_files; i++) {
		sbuf_addstr(b, "<dt>Rule file</dt><dd>");
		esc(b, r->rule_files[i].file);
		sbuf_addstr(b, ", sha256 ");
		esc(b, r->rule_files[i].sha256);
		sbuf_addstr(b, "</dd>\n");
	}
	for (size_t i = 0; i < r->nreferences; i++) {
		const struct report_reference *x = &r->references[i];

		sbuf_addstr(b, "<dt>Reference ");
		esc(b, x->name);
		sbuf_addf(b, "</dt><dd>%" PRIu64 " row%s from ", x->rows,
			  x->rows == 1 ? "" : "s");
		esc(b, x->origin);
		sbuf_addstr(b, ", rows_hash ");
		esc(b, x->rows_hash);
		sbuf_addstr(b, "</dd>\n");
	}
	sbuf_addstr(b, "</dl>\n");
	return report_sink_end_row(s);
}

/* ---- charts: inline SVG, text labels, no script ---- */

#define CHART_W 620

/* One bar of a chart. */
struct bar {
	const char *label;
	uint64_t value;
	const char *cls;	/* fixed words only */
};

static uint64_t bars_max(const struct bar *v, size_t n)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i].value > m)
			m = v[i].value;
	return m ? m : 1;
}

/* Horizontal bars: label, bar, count; one row each. */
static void chart_hbars(struct sbuf *b, const char *caption,
			const struct bar *v, size_t n)
{
	const int label_w = 230, row_h = 22, bar_w = CHART_W - label_w - 60;
	uint64_t max = bars_max(v, n);
	int h = (int)n * row_h + 8;

	sbuf_addf(b, "<figure><figcaption>%s</figcaption>\n"
		  "<svg width=\"%d\" "
		  "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		  "aria-label=\"%s\">\n", caption, CHART_W, h, CHART_W, h,
		  caption);
	for (size_t i = 0; i < n; i++) {
		int y = (int)i * row_h + 4;
		int w = (int)((double)v[i].value / (double)max * bar_w + 0.5);

		if (v[i].value && w < 2)
			w = 2;
		sbuf_addf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
			  label_w - 8, y + 16);
		esc(b, v[i].label);
		sbuf_addf(b, "</text><rect class=\"%s\" x=\"%d\" y=\"%d\" "
			  "width=\"%d\" height=\"%d\"/><text x=\"%d\" y=\"%d\">"
			  "%" PRIu64 "</text>\n", v[i].cls, label_w, y + 3, w,
			  row_h - 6, label_w + w + 6, y + 16, v[i].value);
	}
	sbuf_addstr(b, "</svg></figure>\n");
}

/* Vertical bars with a line over their tops (the trend): value above,
 * label below. */
static void chart_vbars(struct sbuf *b, const char *caption,
			const struct bar *v, size_t n, int line)
{
	const int top = 20, plot_h = 150, bottom = 36;
	int h = top + plot_h + bottom, slot = n ? (CHART_W - 70) / (int)n : 1;
	int bw;
	uint64_t max = bars_max(v, n);

	if (slot > 90)
		slot = 90;
	bw = slot > 60 ? 40 : slot * 2 / 3;
	sbuf_addf(b, "<figure><figcaption>%s</figcaption>\n"
		  "<svg width=\"%d\" "
		  "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		  "aria-label=\"%s\">\n<line class=\"axis\" x1=\"10\" y1=\"%d\" "
		  "x2=\"%d\" y2=\"%d\"/>\n", caption, CHART_W, h, CHART_W, h,
		  caption, top + plot_h, CHART_W - 10, top + plot_h);
	for (size_t i = 0; i < n; i++) {
		int bh = (int)((double)v[i].value / (double)max * plot_h + 0.5);
		int x = 40 + (int)i * slot + (slot - bw) / 2;

		/* labels only where there is room: every k-th, and the last */
		int every = (80 + slot - 1) / slot, vevery = (40 + slot - 1) / slot;

		sbuf_addf(b, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" "
			  "height=\"%d\"/>", v[i].cls, x, top + plot_h - bh, bw,
			  bh);
		if ((i % (size_t)vevery == 0 && n - 1 - i >= (size_t)vevery) ||
		    i + 1 == n)
			sbuf_addf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
				  "%" PRIu64 "</text>", x + bw / 2,
				  top + plot_h - bh - 4, v[i].value);
		if ((i % (size_t)every == 0 && (i + (size_t)every < n ||
		     n - 1 - i >= (size_t)every)) || i + 1 == n) {
			sbuf_addf(b, "<text x=\"%d\" y=\"%d\" "
				  "text-anchor=\"middle\">", x + bw / 2,
				  top + plot_h + 16);
			esc(b, v[i].label);
			sbuf_addstr(b, "</text>");
		}
		sbuf_addch(b, '\n');
	}
	if (line && n > 1) {
		sbuf_addstr(b, "<polyline class=\"trendline\" points=\"");
		for (size_t i = 0; i < n; i++) {
			int bh = (int)((double)v[i].value / (double)max *
				       plot_h + 0.5);
			int x = 40 + (int)i * slot + slot / 2;

			sbuf_addf(b, "%s%d,%d", i ? " " : "", x,
				  top + plot_h - bh);
		}
		sbuf_addstr(b, "\"/>\n");
	}
	sbuf_addstr(b, "</svg></figure>\n");
}

/* ---- summary ---- */

static void total_rows(struct sbuf *b, const struct report_total *t,
		       size_t n)
{
	if (!n) {
		sbuf_addstr(b, "<td></td><td class=\"num\"></td>");
		return;
	}
	td(b, NULL, t[0].currency);
	td(b, "num", t[0].amount);
}

/* The cards: what was reconciled, matched, exceptions, by state. */
static void cards(const struct report *r, struct sbuf *b)
{
	uint64_t all = 0, exc = 0, matched = 0, st[3] = { 0, 0, 0 }, before = 0;
	static const char *const states[3] = { "new", "open", "reopened" };
	int life = 0;

	for (size_t i = 0; i < r->noutcomes; i++) {
		all += r->outcomes[i].count;
		if (r->outcomes[i].is_exception)
			exc += r->outcomes[i].count;
		else if (r->outcomes[i].code &&
			 strcmp(r->outcomes[i].code, "MATCHED") == 0)
			matched += r->outcomes[i].count;
	}
	for (size_t i = 0; i < r->nitems; i++) {
		const struct report_life *l = r->items[i].life;

		if (!l || !l->state)
			continue;
		life = 1;
		for (int k = 0; k < 3; k++)
			if (strcmp(l->state, states[k]) == 0)
				st[k]++;
		if (l->explained_before)
			before++;
	}
	sbuf_addstr(b, "<div class=\"cards\">\n");
	sbuf_addf(b, "<div class=\"card\"><div class=\"v\">%" PRIu64
		  "</div><div class=\"l\">outcomes given</div></div>\n", all);
	sbuf_addf(b, "<div class=\"card ok\"><div class=\"v\">%" PRIu64
		  "</div><div class=\"l\">matched</div></div>\n", matched);
	/* not exceptions, not matched either: waiting within a grace
	 * period (PENDING_ORDER, PENDING_ERP) */
	if (all - exc - matched)
		sbuf_addf(b, "<div class=\"card\"><div class=\"v\">%" PRIu64
			  "</div><div class=\"l\">pending (within the grace "
			  "period)</div></div>\n", all - exc - matched);
	sbuf_addf(b, "<div class=\"card exc\"><div class=\"v\">%" PRIu64
		  "</div><div class=\"l\">exceptions (%zu line%s)</div>"
		  "</div>\n", exc, r->nitems, r->nitems == 1 ? "" : "s");
	if (life) {
		for (int k = 0; k < 3; k++)
			sbuf_addf(b, "<div class=\"card\"><div class=\"v\">%"
				  PRIu64 "</div><div class=\"l\">%s</div>"
				  "</div>\n", st[k], states[k]);
		if (before)
			sbuf_addf(b, "<div class=\"card\"><div class=\"v\">%"
				  PRIu64 "</div><div class=\"l\">reopened, "
				  "explained before</div></div>\n", before);
	}
	if (r->resolved || r->nresolved)
		sbuf_addf(b, "<div class=\"card ok\"><div class=\"v\">%zu</div>"
			  "<div class=\"l\">resolved since the previous run"
			  "</div></div>\n", r->nresolved);
	sbuf_addstr(b, "</div>\n");
}

static const char *const outcome_cols[] = {
	"Code", "Description", "Exception", "#Count", "Currency", "#Amount",
	NULL
};
static const char *const outcome_cols_counts[] = {
	"Code", "Description", "Exception", "#Count", NULL
};

static int outcomes(const struct report *r, struct report_sink *s)
{
	struct sbuf *b = &s->buf;
	int amounts = 0;

	for (size_t i = 0; i < r->noutcomes; i++)
		if (r->outcomes[i].ntotals)
			amounts = 1;

	sbuf_addstr(b, "<h2>Summary</h2>\n");
	cards(r, b);
	sbuf_addstr(b, "<h3>Outcomes</h3>\n<table class=\"outcomes\">\n");
	/* no amount columns when the run has no outcome amounts */
	thead(b, amounts ? outcome_cols : outcome_cols_counts);

	for (size_t i = 0; i < r->noutcomes; i++) {
		const struct report_outcome *o = &r->outcomes[i];
		size_t span = o->ntotals ? o->ntotals : 1;

		sbuf_addstr(b, o->is_exception ? "<tr class=\"exc\">" :
			       "<tr>");
		if (span > 1) {
			sbuf_addf(b, "<td rowspan=\"%zu\">", span);
			esc(b, o->code);
			sbuf_addf(b, "</td><td rowspan=\"%zu\">", span);
			esc(b, o->description);
			sbuf_addf(b, "</td><td rowspan=\"%zu\" class=\"flag\">"
				  "%s</td><td rowspan=\"%zu\" class=\"num\">%"
				  PRIu64 "</td>", span,
				  o->is_exception ? "yes" : "no", span,
				  o->count);
		} else {
			td(b, NULL, o->code);
			td(b, NULL, o->description);
			td(b, "flag", o->is_exception ? "yes" : "no");
			td_u64(b, o->count);
		}
		if (amounts)
			total_rows(b, o->totals, o->ntotals);
		sbuf_addstr(b, "</tr>\n");
		for (size_t j = 1; j < o->ntotals; j++) {
			sbuf_addstr(b, o->is_exception ? "<tr class=\"exc\">" :
				       "<tr>");
			total_rows(b, &o->totals[j], 1);
			sbuf_addstr(b, "</tr>\n");
		}
		if (report_sink_end_row(s) < 0)
			return -1;
	}
	sbuf_addstr(b, "</tbody>\n</table>\n");
	return report_sink_end_row(s);
}

static const char *const ageing_cols[] = {
	"Age (days)", "#Open exceptions", "Currency", "#Amount", NULL
};
static const char *const ageing_cols_counts[] = {
	"Age (days)", "#Open exceptions", NULL
};
static const char *const trend_cols[] = {
	"Run", "As of", "#Open exceptions", NULL
};

static int charts(const struct report *r, struct report_sink *s)
{
	struct sbuf *b = &s->buf;
	struct bar v[64];
	size_t n;
	uint64_t ok = 0, exc = 0;

	if (!r->noutcomes && !r->nageing && !r->ntrend)
		return 0;
	sbuf_addstr(b, "<div class=\"charts\">\n");
	/* matched against exceptions, then the exception outcomes that
	 * occurred on a scale of their own (907 matched would flatten them) */
	n = 0;
	for (size_t i = 0; i < r->noutcomes; i++) {
		if (r->outcomes[i].is_exception)
			exc += r->outcomes[i].count;
		else
			ok += r->outcomes[i].count;
	}
	if (r->noutcomes) {
		v[0].label = "matched or pending";
		v[0].value = ok;
		v[0].cls = "bar-ok";
		v[1].label = "exceptions";
		v[1].value = exc;
		v[1].cls = "bar-exc";
		chart_hbars(b, "Matched versus exceptions", v, 2);
	}
	for (size_t i = 0; i < r->noutcomes && n < 64; i++) {
		if (!r->outcomes[i].is_exception || !r->outcomes[i].count)
			continue;
		v[n].label = r->outcomes[i].code;
		v[n].value = r->outcomes[i].count;
		v[n].cls = "bar-exc";
		n++;
	}
	if (n)
		chart_hbars(b, "Exceptions by outcome", v, n);
	for (n = 0; n < r->nageing && n < 64; n++) {
		v[n].label = r->ageing[n].bucket;
		v[n].value = r->ageing[n].count;
		v[n].cls = "bar-age";
	}
	if (n)
		chart_vbars(b, "Open exceptions by age (days)", v, n, 0);
	/* the last 60 runs at most: a chart, not a ledger */
	{
		size_t from = r->ntrend > 60 ? r->ntrend - 60 : 0;
		char dates[60][11];

		for (n = 0; from + n < r->ntrend; n++) {
			const char *a = r->trend[from + n].as_of;

			snprintf(dates[n], sizeof(dates[n]), "%.10s",
				 a ? a : "");
			v[n].label = dates[n];
			v[n].value = r->trend[from + n].exceptions;
			v[n].cls = "bar-trend";
		}
		if (n)
			chart_vbars(b, "Open exceptions, last runs", v, n, 1);
	}
	sbuf_addstr(b, "</div>\n");
	if (report_sink_end_row(s) < 0)
		return -1;

	if (r->nageing) {
		int amounts = 0;

		for (size_t i = 0; i < r->nageing; i++)
			if (r->ageing[i].ntotals)
				amounts = 1;
		sbuf_addstr(b, "<h3>Ageing of the open exceptions</h3>\n"
			       "<table>\n");
		thead(b, amounts ? ageing_cols : ageing_cols_counts);
		for (size_t i = 0; i < r->nageing; i++) {
			const struct report_ageing *a = &r->ageing[i];

			sbuf_addstr(b, "<tr>");
			td(b, NULL, a->bucket);
			td_u64(b, a->count);
			if (amounts)
				total_rows(b, a->totals, a->ntotals);
			sbuf_addstr(b, "</tr>\n");
			for (size_t j = 1; j < a->ntotals; j++) {
				sbuf_addstr(b, "<tr><td></td><td></td>");
				total_rows(b, &a->totals[j], 1);
				sbuf_addstr(b, "</tr>\n");
			}
		}
		sbuf_addstr(b, "</tbody>\n</table>\n");
	}
	if (r->ntrend) {
		sbuf_addstr(b, "<h3>Trend of the open exceptions</h3>\n"
			       "<table>\n");
		thead(b, trend_cols);
		for (size_t i = 0; i < r->ntrend; i++) {
			sbuf_addstr(b, "<tr>");
			td(b, "id", r->trend[i].run_id);
			td(b, "id", r->trend[i].as_of);
			td_u64(b, r->trend[i].exceptions);
			sbuf_addstr(b, "</tr>\n");
			if (report_sink_end_row(s) < 0)
				return -1;
		}
		sbuf_addstr(b, "</tbody>\n</table>\n");
	}
	return report_sink_end_row(s);
}

static const char *const source_cols[] = {
	"Source", "Role", "DSN", "#Rows read", "#Kept", "#Skipped", "#Failed",
	"Currency", "#Amount total", "#Records", NULL
};

/* "<td rowspan=N class=num>" for a source's cell spanning its totals. */
static void td_open(struct sbuf *b, size_t span, int num)
{
	sbuf_addstr(b, "<td");
	if (span > 1)
		sbuf_addf(b, " rowspan=\"%zu\"", span);
	if (num)
		sbuf_addstr(b, " class=\"num\"");
	sbuf_addch(b, '>');
}

static void td_span(struct sbuf *b, size_t span, const char *s)
{
	td_open(b, span, 0);
	esc(b, s);
	sbuf_addstr(b, "</td>");
}

static void td_span_u64(struct sbuf *b, size_t span, uint64_t v)
{
	td_open(b, span, 1);
	sbuf_addf(b, "%" PRIu64 "</td>", v);
}

/* One row per source and currency; the source's cells span its
 * currencies, so each number appears once. */
static int sources(const struct report *r, struct report_sink *s)
{
	struct sbuf *b = &s->buf;

	sbuf_addstr(b, "<h2>Control totals by source</h2>\n<table>\n");
	thead(b, source_cols);
	for (size_t i = 0; i < r->nsources; i++) {
		const struct report_source *src = &r->sources[i];
		size_t span = src->ntotals ? src->ntotals : 1;

		sbuf_addstr(b, "<tr>");
		td_span(b, span, src->name);
		td_span(b, span, src->role);
		td_span(b, span, src->dsn);
		td_span_u64(b, span, src->rows_read);
		td_span_u64(b, span, src->rows_kept);
		td_span_u64(b, span, src->rows_skipped);
		td_span_u64(b, span, src->rows_failed);
		if (!src->ntotals)
			sbuf_addstr(b, "<td></td><td class=\"num\"></td>"
				       "<td class=\"num\"></td></tr>\n");
		for (size_t j = 0; j < src->ntotals; j++) {
			const struct report_total *t = &src->totals[j];

			if (j > 0)
				sbuf_addstr(b, "<tr>");
			td(b, NULL, t->currency);
			td(b, "num", t->amount);
			td_u64(b, t->count);
			sbuf_addstr(b, "</tr>\n");
		}
		if (report_sink_end_row(s) < 0)
			return -1;
	}
	sbuf_addstr(b, "</tbody>\n</table>\n");
	return report_sink_end_row(s);
}

static const char noscript[] =
	"<noscript><p class=\"noscript\">The exception table needs "
	"JavaScript, which this viewer has turned off. The summary above is "
	"complete; every line is also in the CSV report of this run."
	"</p></noscript>\n";

/* A section of lines: heading, the table's mount point, its data. */
static int lines(const struct report *r, struct report_sink *s,
		 struct rows *rw, const char *id, const char *title,
		 const char *blurb, const struct report_item *items, size_t n)
{
	struct sbuf *b = &s->buf;

	sbuf_addf(b, "<h2>%s (%zu)</h2>\n", title, n);
	if (!n) {
		sbuf_addf(b, "<p>No %s.</p>\n", id[0] == 'r' ?
			  "resolved exceptions" : "exceptions");
		return report_sink_end_row(s);
	}
	if (blurb)
		sbuf_addf(b, "<p class=\"note\">%s</p>\n", blurb);
	sbuf_addstr(b, noscript);
	sbuf_addf(b, "<div id=\"%s\" class=\"lines\" data-rows=\"rows-%s\">"
		  "</div>\n", id, id);
	{
		struct sbuf bid = SBUF_INIT(64);
		int rc;

		sbuf_addf(&bid, "rows-%s", id);
		if (bid.failed) {
			s->nomem = 1;
			return -1;
		}
		rc = data_block(r, s, rw, bid.buf, items, n);
		sbuf_release(&bid);
		return rc;
	}
}

int report_html_page(const struct report *r, struct report_sink *s)
{
	struct rows rw;
	int rc = -1;

	memset(&rw.tab, 0, sizeof(rw.tab));
	sbuf_init(&rw.diff, 4096);
	sbuf_init(&rw.tmpl, SBUF_CAP_DEFAULT);
	sbuf_init(&rw.key, SBUF_CAP_DEFAULT);
	if (head(r, s) < 0 || outcomes(r, s) < 0 || charts(r, s) < 0 ||
	    sources(r, s) < 0)
		goto out;
	if (lines(r, s, &rw, "exceptions", "Exceptions",
		  "Click a line for the full record; click a heading to sort. "
		  "The counts and amounts above are the run's own totals.",
		  r->items, r->nitems) < 0)
		goto out;
	if ((r->resolved || r->nresolved) &&
	    lines(r, s, &rw, "resolved", "Resolved since the previous run",
		  "Exceptions of the previous published run that this run no "
		  "longer has.", r->resolved, r->nresolved) < 0)
		goto out;
	if (string_block(s, &rw.tab) < 0 || columns_block(r, s) < 0)
		goto out;
	sbuf_addstr(&s->buf, "<pre id=\"test-out\"></pre><pre id=\"js-errors\">"
		       "</pre>\n<script>");
	sbuf_add(&s->buf, recon_html_js, recon_html_js_len);
	sbuf_addstr(&s->buf, "</script>\n</body>\n</html>\n");
	if (report_sink_end_row(s) < 0)
		goto out;
	rc = report_sink_flush(s);
out:
	strtab_release(&rw.tab);
	sbuf_release(&rw.diff);
	sbuf_release(&rw.tmpl);
	sbuf_release(&rw.key);
	return rc;
}
