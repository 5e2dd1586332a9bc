/*
 * reports/shadow.c - the shadow run's CSV and HTML (reports/shadow.h).
 * The cells go through the exception reports' escapers
 * (report_csv_field, report_html_escape); the page has no script and
 * its Content-Security-Policy allows only its own inline style.
 */
#include <string.h>

#include "shadow.h"
#include "report.h"
#include "report_int.h"
#include "../engine/banned.h"

extern const char recon_html_css[];
extern const unsigned long recon_html_css_len;

static const char *const cols[] = {
	"change", "kind", "key", "old_outcome", "new_outcome", "old_codes",
	"new_codes", "old_verdicts", "new_verdicts", NULL
};

static void cell(struct sbuf *b, int first, const char *s)
{
	if (!first)
		sbuf_addch(b, ',');
	report_csv_field(b, s, 0);
}

/* BASE.csv, one change per row (the sink holds one row at a time). */
static int csv(const void *ctx, struct report_sink *s)
{
	const struct shadow_report *r = ctx;
	struct sbuf *b = &s->buf;

	sbuf_addstr(b, "\xEF\xBB\xBF");	/* Excel reads UTF-8 so */
	for (size_t i = 0; cols[i]; i++)
		cell(b, i == 0, cols[i]);
	sbuf_addstr(b, "\r\n");
	if (report_sink_end_row(s) < 0)
		return -1;
	for (size_t i = 0; i < r->nchanges; i++) {
		const struct shadow_change *c = &r->changes[i];

		cell(b, 1, c->change);
		cell(b, 0, c->kind);
		cell(b, 0, c->key);
		cell(b, 0, c->old_outcome);
		cell(b, 0, c->new_outcome);
		cell(b, 0, c->old_codes);
		cell(b, 0, c->new_codes);
		cell(b, 0, c->old_verdicts);
		cell(b, 0, c->new_verdicts);
		sbuf_addstr(b, "\r\n");
		if (report_sink_end_row(s) < 0)
			return -1;
	}
	return 0;
}

static void esc(struct sbuf *b, const char *s)
{
	report_html_escape(b, s ? s : "");
}

static void td_class(struct sbuf *b, const char *cls, const char *s)
{
	sbuf_addf(b, "<td class=\"%s\">", cls);
	esc(b, s);
	sbuf_addstr(b, "</td>");
}

static void td(struct sbuf *b, const char *s)
{
	sbuf_addstr(b, "<td>");
	esc(b, s);
	sbuf_addstr(b, "</td>");
}

/* One side of a change, old or new, in one cell: the outcome, the
 * codes where they say more than it, then the verdicts (none: the
 * record is not on that side). */
static void side(struct sbuf *b, const char *outcome, const char *codes,
		 const char *verdicts)
{
	sbuf_addstr(b, "<td class=\"side\">");
	if (!outcome) {
		sbuf_addstr(b, "<span class=\"none\">no record</span></td>");
		return;
	}
	sbuf_addstr(b, "<strong>");
	esc(b, outcome);
	sbuf_addstr(b, "</strong>");
	if (codes && *codes && strcmp(codes, outcome) != 0) {
		sbuf_addstr(b, "<br>codes: ");
		esc(b, codes);
	}
	if (verdicts && *verdicts) {
		sbuf_addstr(b, "<div class=\"verdicts\">");
		esc(b, verdicts);
		sbuf_addstr(b, "</div>");
	}
	sbuf_addstr(b, "</td>");
}

/* BASE.html: a page without script, its own style only. */
static int html(const void *ctx, struct report_sink *s)
{
	const struct shadow_report *r = ctx;
	struct sbuf *b = &s->buf;

	sbuf_addstr(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		       "<meta charset=\"utf-8\">\n"
		       "<meta http-equiv=\"Content-Security-Policy\" "
		       "content=\"default-src 'none'; style-src ");
	report_csp_hash(b, recon_html_css, recon_html_css_len);
	sbuf_addstr(b, "; base-uri 'none'; form-action 'none'\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, "
		       "initial-scale=1\">\n<title>recon shadow run: ");
	esc(b, r->job);
	sbuf_addf(b, " run %llu</title>\n<style>", (unsigned long long)r->seq);
	sbuf_add(b, recon_html_css, recon_html_css_len);
	sbuf_addstr(b, "</style>\n</head>\n<body>\n<h1>Shadow run: ");
	esc(b, r->job);
	sbuf_addstr(b, "</h1>\n<p>What the candidate rules would change in "
		       "this published run, on the very rows it read. Nothing "
		       "was published.</p>\n<dl class=\"meta\">\n");
	sbuf_addstr(b, "<dt>Job</dt><dd>");
	esc(b, r->job);
	sbuf_addf(b, "</dd>\n<dt>Run</dt><dd>%llu (", (unsigned long long)r->seq);
	esc(b, r->run_id);
	sbuf_addstr(b, ")</dd>\n<dt>As of</dt><dd>");
	esc(b, r->as_of);
	sbuf_addstr(b, "</dd>\n");
	if (r->job_file) {
		sbuf_addstr(b, "<dt>Candidate job file</dt><dd>");
		esc(b, r->job_file);
		sbuf_addstr(b, "</dd>\n");
	}
	if (r->rules_dir) {
		sbuf_addstr(b, "<dt>Candidate folder</dt><dd>");
		esc(b, r->rules_dir);
		sbuf_addstr(b, "</dd>\n");
	}
	for (size_t i = 0; i < r->nfiles; i++) {
		sbuf_addstr(b, "<dt>Rule file</dt><dd>");
		esc(b, r->files[i].name);
		sbuf_addstr(b, r->files[i].candidate ? ": candidate " : ": the job's ");
		esc(b, r->files[i].from);
		sbuf_addstr(b, "</dd>\n");
	}
	sbuf_addf(b, "<dt>Records</dt><dd>%llu, %llu unchanged</dd>\n"
		  "<dt>Changes</dt><dd>%zu</dd>\n<dt>Version</dt><dd>recon ",
		  (unsigned long long)r->records,
		  (unsigned long long)r->unchanged, r->nchanges);
	esc(b, r->version);
	sbuf_addstr(b, "</dd>\n</dl>\n");
	if (r->no_row_baseline)
		sbuf_addstr(b, "<p>The run kept no report in the store: its "
			       "failed rows are not compared.</p>\n");
	sbuf_addstr(b, "<h2>Changes by kind</h2>\n");
	if (!r->ncounts)
		sbuf_addstr(b, "<p>None: the candidate rules give every record "
			       "the outcome and verdicts the run published.</p>\n");
	else {
		sbuf_addstr(b, "<table>\n<thead><tr><th>Change</th>"
			       "<th class=\"num\">Count</th></tr></thead>\n"
			       "<tbody>\n");
		for (size_t i = 0; i < r->ncounts; i++) {
			sbuf_addstr(b, "<tr>");
			td(b, r->counts[i].what);
			sbuf_addf(b, "<td class=\"num\">%llu</td></tr>\n",
				  (unsigned long long)r->counts[i].n);
		}
		sbuf_addstr(b, "</tbody>\n</table>\n");
	}
	if (r->nchanges) {
		sbuf_addstr(b, "<h2>Every change</h2>\n<div class=\"scroll\">"
			       "<table class=\"items changes\">\n<thead><tr>"
			       "<th>Change</th><th>Kind</th><th>Key</th>"
			       "<th>Published</th><th>Candidate</th>"
			       "</tr></thead>\n<tbody>\n");
		for (size_t i = 0; i < r->nchanges; i++) {
			const struct shadow_change *c = &r->changes[i];

			sbuf_addstr(b, "<tr>");
			td_class(b, "id", c->change);
			td_class(b, "id", c->kind);
			td_class(b, "id", c->key);
			side(b, c->old_outcome, c->old_codes, c->old_verdicts);
			side(b, c->new_outcome, c->new_codes, c->new_verdicts);
			sbuf_addstr(b, "</tr>\n");
			if (report_sink_end_row(s) < 0)
				return -1;
		}
		sbuf_addstr(b, "</tbody>\n</table>\n</div>\n");
	}
	sbuf_addstr(b, "</body>\n</html>\n");
	return report_sink_end_row(s);
}

int shadow_report_write(const struct shadow_report *r, const char *base,
			struct sbuf *paths, struct error *err)
{
	static const struct report_part parts[] = {
		{ ".csv", csv }, { ".html", html },
	};
	struct sbuf dir = SBUF_INIT(8192);
	const char *slash = strrchr(base, '/'), *name = slash ? slash + 1 : base;
	int rc;

	if (slash == base)
		sbuf_addch(&dir, '/');
	else if (slash)
		sbuf_add(&dir, base, (size_t)(slash - base));
	else
		sbuf_addch(&dir, '.');
	if (dir.failed)
		rc = error_set(err, ERR_NOMEM, "out of memory (shadow report)");
	else
		rc = report_write_parts(parts, sizeof(parts) / sizeof(parts[0]),
					r, dir.buf, name, paths, err);
	sbuf_release(&dir);
	return rc;
}
