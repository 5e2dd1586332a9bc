/*
 * html.c - the HTML report: one self-contained HTML5 page a browser opens
 * from a file share or a mail attachment.
 *
 * Invariants: every value from the run goes through report_html_escape
 * (& < > " ' become entities), in text and attribute position alike; the
 * page loads nothing (inline CSS only, no script, no external resource)
 * and says so to the browser with a Content-Security-Policy meta that
 * forbids everything but inline style, so a value that escaped escaping
 * still could not run or fetch anything.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report_int.h"
#include "engine/banned.h"

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

static const char page_head[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" "
	"content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, "
	"initial-scale=1\">\n";

static const char page_style[] =
	"<style>\n"
	"body{font-family:system-ui,-apple-system,\"Segoe UI\",sans-serif;"
	"margin:1.5em;color:#111}\n"
	"h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.8em}\n"
	"table{border-collapse:collapse;font-size:.9em}\n"
	"th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;"
	"vertical-align:top}\n"
	"th{background:#eee}\n"
	"td.num{text-align:right;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}\n"
	"td.msg{white-space:pre-wrap;overflow-wrap:anywhere;min-width:20em}\n"
	"td.id{white-space:nowrap}\n"
	"tr.exc td.flag{color:#a00;font-weight:bold}\n"
	"tr.sev-error td:first-child{border-left:4px solid #c00}\n"
	"tr.sev-warning td:first-child{border-left:4px solid #d90}\n"
	"dl.meta{display:grid;grid-template-columns:max-content auto;"
	"gap:.2em 1em}\n"
	"dl.meta dt{font-weight:bold}dl.meta dd{margin:0}\n"
	"</style>\n";

static void esc(struct sbuf *b, const char *s)
{
	report_html_escape(b, s);
}

/* <td class="cls">escaped s</td>; cls may be NULL. */
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

/* The header row: our own names, then (escaped) the n names of extra,
 * the job's site-defined fields. */
static void th_row_extra(struct sbuf *b, const char *const *names,
			 const struct report_column *extra, size_t n)
{
	sbuf_addstr(b, "<thead><tr>");
	for (size_t i = 0; names[i]; i++)
		sbuf_addf(b, "<th scope=\"col\">%s</th>", names[i]);
	for (size_t c = 0; c < n; c++) {
		const char *p = extra[c].name, *dot;

		if (extra[c].full_only)
			continue;	/* report="false": the full CSV only */
		/* "order.fields.delivery_date" may break after its dots, so
		 * the column is no wider than its values */
		sbuf_addstr(b, "<th scope=\"col\">");
		while ((dot = strchr(p, '.'))) {
			struct sbuf part = SBUF_INIT(256);

			sbuf_add(&part, p, (size_t)(dot - p) + 1);
			esc(b, part.buf);
			sbuf_release(&part);
			sbuf_addstr(b, "<wbr>");
			p = dot + 1;
		}
		esc(b, p);
		sbuf_addstr(b, "</th>");
	}
	sbuf_addstr(b, "</tr></thead>\n<tbody>\n");
}

static void th_row(struct sbuf *b, const char *const *names)
{
	th_row_extra(b, names, NULL, 0);
}

static void meta_item(struct sbuf *b, const char *label, const char *v)
{
	sbuf_addf(b, "<dt>%s</dt><dd>", label);
	esc(b, v);
	sbuf_addstr(b, "</dd>\n");
}

static int head(const struct report *r, struct report_sink *s)
{
	struct sbuf *b = &s->buf;

	sbuf_addstr(b, page_head);
	sbuf_addstr(b, "<title>recon exceptions: ");
	esc(b, r->job);
	sbuf_addstr(b, " ");
	esc(b, r->run_id);
	sbuf_addstr(b, "</title>\n");
	sbuf_addstr(b, page_style);
	sbuf_addstr(b, "</head>\n<body>\n<h1>Reconciliation exceptions: ");
	esc(b, r->job);
	sbuf_addstr(b, "</h1>\n<dl class=\"meta\">\n");
	meta_item(b, "Job", r->job);
	meta_item(b, "Run id", r->run_id);
	meta_item(b, "As of", r->as_of);
	meta_item(b, "Started", r->started);
	meta_item(b, "Finished", r->finished);
	meta_item(b, "Rules hash", r->rules_hash);
	meta_item(b, "Version", r->version);
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

static const char *const source_cols[] = {
	"Source", "Role", "DSN", "Rows read", "Kept", "Skipped", "Failed",
	"Currency", "Amount total", "Records", NULL
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
	th_row(b, source_cols);
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

static const char *const outcome_cols[] = {
	"Code", "Description", "Count", "Exception", NULL
};

static int outcomes(const struct report *r, struct report_sink *s)
{
	struct sbuf *b = &s->buf;

	sbuf_addstr(b, "<h2>Outcomes</h2>\n<table>\n");
	th_row(b, outcome_cols);
	for (size_t i = 0; i < r->noutcomes; i++) {
		const struct report_outcome *o = &r->outcomes[i];

		sbuf_addstr(b, o->is_exception ? "<tr class=\"exc\">" :
			       "<tr>");
		td(b, NULL, o->code);
		td(b, NULL, o->description);
		td_u64(b, o->count);
		td(b, "flag", o->is_exception ? "yes" : "no");
		sbuf_addstr(b, "</tr>\n");
		if (report_sink_end_row(s) < 0)
			return -1;
	}
	sbuf_addstr(b, "</tbody>\n</table>\n");
	return report_sink_end_row(s);
}

static const char *const item_cols[] = {
	"Outcome", "Severity", "Key", "Deal key", "Order key", "Order keys",
	"ERP documents", "Customer",
	"Currency", "Deal amount", "Order amount", "ERP amount", "Name",
	"Rule", "Where", "Message", NULL
};

/* A CSS class token for a severity: only known words, so that a value
 * never lands in the class attribute unchecked. */
static const char *sev_class(const char *sev)
{
	if (!sev)
		return NULL;
	if (strcmp(sev, "error") == 0)
		return "sev-error";
	if (strcmp(sev, "warning") == 0)
		return "sev-warning";
	if (strcmp(sev, "info") == 0)
		return "sev-info";
	return NULL;
}

static int items(const struct report *r, struct report_sink *s)
{
	struct sbuf *b = &s->buf;

	sbuf_addf(b, "<h2>Exceptions (%zu)</h2>\n", r->nitems);
	if (!r->nitems) {
		sbuf_addstr(b, "<p>No exceptions.</p>\n");
		return report_sink_end_row(s);
	}
	sbuf_addstr(b, "<table>\n");
	th_row_extra(b, item_cols, r->columns, r->ncolumns);
	for (size_t i = 0; i < r->nitems; i++) {
		const struct report_item *it = &r->items[i];
		const char *cls = sev_class(it->severity);

		if (cls)
			sbuf_addf(b, "<tr class=\"%s\">", cls);
		else
			sbuf_addstr(b, "<tr>");
		/* codes and keys never wrap: "SO-\n99000014" misreads */
		td(b, "id", it->outcome);
		td(b, NULL, it->severity);
		td(b, "id", it->key);
		td(b, "id", it->deal_key);
		td(b, "id", it->order_key);
		td(b, NULL, it->order_keys);
		td(b, NULL, it->erp_keys);
		td(b, NULL, it->customer);
		td(b, NULL, it->currency);
		td(b, "num", it->deal_amount);
		td(b, "num", it->order_amount);
		td(b, "num", it->erp_amount);
		td(b, NULL, it->name);
		td(b, NULL, it->rule);
		td(b, "id", it->where);
		td(b, "msg", it->message);
		for (size_t c = 0; c < r->ncolumns; c++)
			if (!r->columns[c].full_only)
				td(b, r->columns[c].numeric ? "num" : NULL,
				   it->fields ? it->fields[c] : NULL);
		sbuf_addstr(b, "</tr>\n");
		if (report_sink_end_row(s) < 0)
			return -1;
	}
	sbuf_addstr(b, "</tbody>\n</table>\n");
	return report_sink_end_row(s);
}

int report_html_page(const struct report *r, struct report_sink *s)
{
	if (head(r, s) < 0 || sources(r, s) < 0 || outcomes(r, s) < 0 ||
	    items(r, s) < 0)
		return -1;
	sbuf_addstr(&s->buf, "</body>\n</html>\n");
	if (report_sink_end_row(s) < 0)
		return -1;
	return report_sink_flush(s);
}
