/*
 * csv.c - the CSV writers: exception lines (one row per report_item) and
 * the summary (control totals by source, outcome counts).
 *
 * Format (docs/REPORTS.md): RFC 4180 with CRLF line ends, UTF-8 with a
 * byte-order mark so that Excel does not read it as the local code page.
 * Every field is quoted and embedded quotes are doubled, so a comma, a
 * quote or a line break in a value never shifts a column. A text field
 * that starts with = + - @ TAB or CR gets a leading single quote so that
 * Excel and LibreOffice show it as text instead of evaluating it (OWASP
 * "CSV injection"). Numeric columns (amounts, counts) are written bare,
 * so that spreadsheets sum them, only when they are a plain decimal
 * number; anything else in them is treated as text.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report_int.h"
#include "engine/money.h"
#include "engine/banned.h"

#define CSV_BOM "\xEF\xBB\xBF"
#define CSV_EOL "\r\n"

int report_is_plain_decimal(const char *s)
{
	const char *p = s;

	if (!p)
		return 0;
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

int report_csv_field(struct sbuf *out, const char *s, int numeric)
{
	const char *p, *q;

	if (numeric && report_is_plain_decimal(s))
		return sbuf_addstr(out, s);
	sbuf_addch(out, '"');
	if (s) {
		if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
		    s[0] == '\t' || s[0] == '\r')
			sbuf_addch(out, '\'');
		/* Copy runs between quotes, doubling each quote. */
		for (p = s; (q = strchr(p, '"')) != NULL; p = q + 1) {
			sbuf_add(out, p, (size_t)(q - p + 1));
			sbuf_addch(out, '"');
		}
		sbuf_addstr(out, p);
	}
	sbuf_addch(out, '"');
	return out->failed ? -1 : 0;
}

/* Append "sep field" for a text (numeric=0) or number column. */
static void cell(struct sbuf *b, int first, const char *s, int numeric)
{
	if (!first)
		sbuf_addch(b, ',');
	report_csv_field(b, s, numeric);
}

static void cell_u64(struct sbuf *b, uint64_t v)
{
	sbuf_addf(b, ",%" PRIu64, v);
}

static int row_end(struct report_sink *s)
{
	sbuf_addstr(&s->buf, CSV_EOL);
	return report_sink_end_row(s);
}

/* The header row from a NULL-terminated list of names, then the n names
 * of extra (the job's site-defined fields). */
static int header_extra(struct report_sink *s, const char *const *names,
			const struct report_column *extra, size_t n)
{
	for (size_t i = 0; names[i]; i++)
		cell(&s->buf, i == 0, names[i], 0);
	for (size_t c = 0; c < n; c++)
		cell(&s->buf, 0, extra[c].name, 0);
	return row_end(s);
}

static int header(struct report_sink *s, const char *const *names)
{
	return header_extra(s, names, NULL, 0);
}

static const char *const items_cols[] = {
	"outcome", "severity", "key", "deal_key", "order_key", "order_keys",
	"erp_keys", "customer",
	"currency", "deal_amount", "order_amount", "erp_amount",
	"difference", "tolerance", "name",
	"rule", "where", "message", NULL
};

/* The lifecycle columns, after the site-defined fields: the default set
 * ends with the first five, the full set (REPORT_CSV_FULL) has them all
 * (docs/REPORTS.md). Empty cells when the report has no lifecycle. */
static const char *const life_cols[] = {
	"state", "first_as_of", "age_days", "note_state", "note_text",
	"first_run", "note_by", "note_time", "explained_before", NULL
};
#define LIFE_DEFAULT 5

static size_t life_ncols(const struct report *r)
{
	return r->csv_columns == REPORT_CSV_FULL ?
	       sizeof(life_cols) / sizeof(life_cols[0]) - 1 : LIFE_DEFAULT;
}

static void life_cells(struct sbuf *b, const struct report_life *l,
		       size_t n)
{
	char age[32];
	const char *v[9] = { NULL };

	if (l) {
		snprintf(age, sizeof(age), "%" PRId64, l->age_days);
		v[0] = l->state;
		v[1] = l->first_as_of;
		v[2] = age;
		v[3] = l->note_state;
		v[4] = l->note_text;
		v[5] = l->first_run;
		v[6] = l->note_by;
		v[7] = l->note_time;
		v[8] = l->explained_before ? "yes" : "no";
	}
	for (size_t i = 0; i < n; i++)
		cell(b, 0, v[i], i == 2);
}

static void bom(const struct report *r, struct sbuf *b)
{
	if (!r->csv_no_bom)
		sbuf_addstr(b, CSV_BOM);
}

int report_csv_items(const struct report *r, struct report_sink *s)
{
	struct sbuf diff = SBUF_INIT(256);
	size_t nlife = life_ncols(r);
	int full = r->csv_columns == REPORT_CSV_FULL;
	int rc = -1;

	bom(r, &s->buf);
	for (size_t i = 0; items_cols[i]; i++)
		cell(&s->buf, i == 0, items_cols[i], 0);
	for (size_t c = 0; c < r->ncolumns; c++)
		if (!r->columns[c].full_only)
			cell(&s->buf, 0, r->columns[c].name, 0);
	for (size_t i = 0; i < nlife; i++)
		cell(&s->buf, 0, life_cols[i], 0);
	for (size_t c = 0; full && c < r->ncolumns; c++)
		if (r->columns[c].full_only)
			cell(&s->buf, 0, r->columns[c].name, 0);
	if (row_end(s) < 0)
		return -1;
	for (size_t i = 0; i < r->nitems; i++) {
		const struct report_item *it = &r->items[i];
		struct sbuf *b = &s->buf;

		cell(b, 1, it->outcome, 0);
		cell(b, 0, it->severity, 0);
		cell(b, 0, it->key, 0);
		cell(b, 0, it->deal_key, 0);
		cell(b, 0, it->order_key, 0);
		cell(b, 0, it->order_keys, 0);
		cell(b, 0, it->erp_keys, 0);
		cell(b, 0, it->customer, 0);
		cell(b, 0, it->currency, 0);
		cell(b, 0, it->deal_amount, 1);
		cell(b, 0, it->order_amount, 1);
		cell(b, 0, it->erp_amount, 1);
		cell(b, 0, report_difference(&diff, it), 1);
		cell(b, 0, it->tolerance, 1);
		cell(b, 0, it->name, 0);
		cell(b, 0, it->rule, 0);
		cell(b, 0, it->where, 0);
		cell(b, 0, it->message, 0);
		for (size_t c = 0; c < r->ncolumns; c++)
			if (!r->columns[c].full_only)
				cell(b, 0, it->fields ? it->fields[c] : NULL,
				     r->columns[c].numeric);
		life_cells(b, it->life, nlife);
		for (size_t c = 0; full && c < r->ncolumns; c++)
			if (r->columns[c].full_only)
				cell(b, 0, it->fields ? it->fields[c] : NULL,
				     r->columns[c].numeric);
		if (row_end(s) < 0)
			goto out;
	}
	rc = report_sink_flush(s);
out:
	sbuf_release(&diff);
	return rc;
}

/*
 * One table, the section column first so that an Excel filter picks a
 * part: "source" rows carry the row counts of a source, "total" rows one
 * currency's amount total of a source (counts left empty so that summing
 * a column never counts a source twice), "outcome" rows the outcome
 * counts.
 */
static const char *const summary_cols[] = {
	"section", "source", "role", "dsn", "rows_read", "rows_kept",
	"rows_skipped", "rows_failed", "currency", "amount", "records",
	"outcome", "description", "exception", "count", NULL
};

int report_csv_summary(const struct report *r, struct report_sink *s)
{
	struct sbuf *b = &s->buf;

	bom(r, b);
	if (header(s, summary_cols) < 0)
		return -1;
	for (size_t i = 0; i < r->nsources; i++) {
		const struct report_source *src = &r->sources[i];

		cell(b, 1, "source", 0);
		cell(b, 0, src->name, 0);
		cell(b, 0, src->role, 0);
		cell(b, 0, src->dsn, 0);
		cell_u64(b, src->rows_read);
		cell_u64(b, src->rows_kept);
		cell_u64(b, src->rows_skipped);
		cell_u64(b, src->rows_failed);
		for (int k = 0; k < 7; k++)
			cell(b, 0, NULL, 0);
		if (row_end(s) < 0)
			return -1;
		for (size_t j = 0; j < src->ntotals; j++) {
			const struct report_total *t = &src->totals[j];

			cell(b, 1, "total", 0);
			cell(b, 0, src->name, 0);
			cell(b, 0, src->role, 0);
			cell(b, 0, src->dsn, 0);
			for (int k = 0; k < 4; k++)
				cell(b, 0, NULL, 0);
			cell(b, 0, t->currency, 0);
			cell(b, 0, t->amount, 1);
			cell_u64(b, t->count);
			for (int k = 0; k < 4; k++)
				cell(b, 0, NULL, 0);
			if (row_end(s) < 0)
				return -1;
		}
	}
	/* "reference" rows: a reference table's rows and rows_hash */
	for (size_t i = 0; i < r->nreferences; i++) {
		const struct report_reference *x = &r->references[i];

		cell(b, 1, "reference", 0);
		cell(b, 0, x->name, 0);
		cell(b, 0, "reference", 0);
		cell(b, 0, x->origin, 0);
		cell_u64(b, x->rows);
		for (int k = 0; k < 7; k++)
			cell(b, 0, NULL, 0);
		cell(b, 0, x->rows_hash, 0);
		for (int k = 0; k < 2; k++)
			cell(b, 0, NULL, 0);
		if (row_end(s) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->noutcomes; i++) {
		const struct report_outcome *o = &r->outcomes[i];

		cell(b, 1, "outcome", 0);
		for (int k = 0; k < 10; k++)
			cell(b, 0, NULL, 0);
		cell(b, 0, o->code, 0);
		cell(b, 0, o->description, 0);
		cell(b, 0, o->is_exception ? "yes" : "no", 0);
		cell_u64(b, o->count);
		if (row_end(s) < 0)
			return -1;
	}
	return report_sink_flush(s);
}

/* ---- the difference a line shows (report_int.h) ---- */

static int frac_digits(const char *s)
{
	const char *dot = strchr(s, '.');
	int n = 0;

	if (!dot)
		return 0;
	for (dot++; *dot >= '0' && *dot <= '9'; dot++)
		n++;
	return n;
}

/* b - a, exactly, with the decimals of the more precise; 0 if either
 * is not an amount. */
static int amount_diff(const char *a, const char *b, int64_t *d, int *dec)
{
	int64_t x, y;

	if (!a || !b || !report_is_plain_decimal(a) ||
	    !report_is_plain_decimal(b) || frac_digits(a) > MONEY_SCALE ||
	    frac_digits(b) > MONEY_SCALE)
		return 0;
	if (money_parse(a, strlen(a), &x) != MONEY_OK ||
	    money_parse(b, strlen(b), &y) != MONEY_OK ||
	    money_sub(y, x, d) != MONEY_OK)
		return 0;
	*dec = frac_digits(a) > frac_digits(b) ? frac_digits(a) :
	       frac_digits(b);
	return 1;
}

const char *report_difference(struct sbuf *out, const struct report_item *it)
{
	const char *pair[3][2] = {
		{ it->deal_amount, it->order_amount },
		{ it->order_amount, it->erp_amount },
		{ it->deal_amount, it->erp_amount },
	};
	int64_t d, first = 0;
	int dec, first_dec = 0, have = 0;

	if (it->difference)
		return it->difference;
	for (int i = 0; i < 3; i++) {
		if (!amount_diff(pair[i][0], pair[i][1], &d, &dec))
			continue;
		if (!have || (d != 0 && first == 0)) {
			first = d;
			first_dec = dec;
			have = 1;
		}
		if (d != 0)
			break;
	}
	if (!have)
		return NULL;
	sbuf_reset(out);
	money_format(first, first_dec, out);
	return out->failed ? NULL : out->buf;
}
