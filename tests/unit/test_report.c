/*
 * test_report.c - the report writers: CSV escaping and injection guard
 * (parsed back), HTML escaping and self-containment, the summary totals,
 * and atomic publication under a fault loop over every file-system call
 * and every allocation.
 *
 * Each test writes under its own out/test/report-XXXXXX and removes it.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "reports/report.h"
#include "reports/report_int.h"
#include "reports/shadow.h"
#include "engine/err.h"
#include "engine/mem.h"

#include <openssl/evp.h>

Suite *suite_report(void);

/* ---- fixture: a temp dir, the io table restored ---- */

static char tmpdir[256];

static void setup(void)
{
	mkdir("out", 0777);
	mkdir("out/test", 0777);
	snprintf(tmpdir, sizeof(tmpdir), "out/test/report-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	d = opendir(path);
	if (d) {
		while ((e = readdir(d)) != NULL) {
			char sub[1024];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			rm_rf(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

static void teardown(void)
{
	report_io = report_io_default;
	mem_fault_off();
	rm_rf(tmpdir);
}

/* ---- helpers ---- */

static char *path_in(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

/* The whole file, NUL-terminated; *n its length. NULL if missing. */
static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
	} while (got > 0);
	fclose(f);
	buf[len] = '\0';
	if (n)
		*n = len;
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (dot files included), sorted, '\n'-joined. */
static char *listing(const char *dir)
{
	char *names[64];
	size_t n = 0, len = 1;
	char *out;
	DIR *d = opendir(dir);
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		ck_assert_uint_lt(n, 64);
		names[n] = strdup(e->d_name);
		len += strlen(names[n]) + 1;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	out = calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, "\n");
		strcat(out, names[i]);
		free(names[i]);
	}
	return out;
}

/* ---- a small RFC 4180 reader, strict about CRLF ---- */

struct csv_row {
	size_t n;
	char *f[32];
	int quoted[32];
};

struct csv {
	size_t nrows;
	struct csv_row rows[64];
};

/* Parse data (after the BOM, which must be there). 0 or -1 on a
 * malformed file: bare CR or LF outside quotes, text after a closing
 * quote, an unterminated quote. */
static int csv_parse(const char *data, size_t n, struct csv *c)
{
	size_t i = 3;
	char *cell = malloc(n + 1);
	size_t clen;

	memset(c, 0, sizeof(*c));
	if (n < 3 || memcmp(data, "\xEF\xBB\xBF", 3) != 0) {
		free(cell);
		return -1;
	}
	while (i < n) {
		struct csv_row *row = &c->rows[c->nrows++];

		ck_assert_uint_le(c->nrows, 64);
		for (;;) {
			int q = 0;

			clen = 0;
			if (data[i] == '"') {
				q = 1;
				i++;
				for (;;) {
					if (i >= n)
						goto bad;
					if (data[i] == '"') {
						if (i + 1 < n && data[i + 1] == '"') {
							cell[clen++] = '"';
							i += 2;
							continue;
						}
						i++;
						break;
					}
					cell[clen++] = data[i++];
				}
			} else {
				while (i < n && data[i] != ',' &&
				       data[i] != '\r' && data[i] != '\n') {
					if (data[i] == '"')
						goto bad;
					cell[clen++] = data[i++];
				}
			}
			ck_assert_uint_lt(row->n, 32);
			row->f[row->n] = strndup(cell, clen);
			row->quoted[row->n] = q;
			row->n++;
			if (i < n && data[i] == ',') {
				i++;
				continue;
			}
			if (i + 1 < n && data[i] == '\r' && data[i + 1] == '\n') {
				i += 2;
				break;
			}
			goto bad; /* also: no CRLF after the last row */
		}
	}
	free(cell);
	return 0;
bad:
	free(cell);
	return -1;
}

static void csv_free(struct csv *c)
{
	for (size_t r = 0; r < c->nrows; r++)
		for (size_t k = 0; k < c->rows[r].n; k++)
			free(c->rows[r].f[k]);
}

/* ---- the sample run ---- */

static const struct report_total erp_totals[] = {
	{ "EUR", "12345.67", 1198 },
	{ "USD", "-42.10", 3 },
};

static const struct report_source sample_sources[] = {
	{ "erp", "erp", "recon_erp", 1204, 1201, 2, 1, erp_totals, 2 },
	{ "deals <crm>", "deal", "crm&co", 10, 10, 0, 0, NULL, 0 },
};

static const struct report_outcome sample_outcomes[] = {
	{ "MATCHED", "order matches deal and ERP", 0, 1100, NULL, 0 },
	{ "AMOUNT_MISMATCH", "amounts differ", 1, 7, NULL, 0 },
};

#define SCRIPT "<script>alert(1)</script>"

static const struct report_item sample_items[] = {
	{ "AMOUNT_MISMATCH", "error", "K1", "D1", "O1", "O1 | O2",
	  "INV-1 | =CN-1", "M\xC3\xBCller GmbH",
	  "EUR", "-12.50", "100", "99.99", SCRIPT, "amount_check",
	  "rules/amount.lua:12", "deal says \"100\", ERP says 99.99", NULL, NULL,
	  NULL, NULL },
	{ "=HYPERLINK(\"x\")", "warning", "+1", "-2+3", "@SUM(A1)", NULL,
	  "-INV", 	  "\xE6\xA0\xAA\xE5\xBC\x8F\xE4\xBC\x9A\xE7\xA4\xBE", "\tTAB",
	  "1e5", "-1,00", "12.", "a,b", "line1\r\nline2\nline3",
	  "\rCR", "", NULL, NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static struct report sample(void)
{
	struct report r = {
		.job = "nightly <&> 'q' \"dq\"",
		.run_id = "run-20240501-01",
		.as_of = "2024-05-01",
		.started = "2024-05-01T02:00:00Z",
		.finished = "2024-05-01T02:03:10Z",
		.rules_hash = "sha256:abc123",
		.version = "recon 0.1",
		.sources = sample_sources,
		.nsources = 2,
		.outcomes = sample_outcomes,
		.noutcomes = 2,
		.items = sample_items,
		.nitems = 3,
	};
	return r;
}

static int write_report(const struct report *r, const char *dir,
			unsigned formats, struct sbuf *paths,
			struct error *err)
{
	return report_write(r, dir, "exceptions", formats, paths, err);
}

/* ---- escapers ---- */

static void check_field(const char *in, int numeric, const char *want)
{
	struct sbuf b = SBUF_INIT(1 << 20);

	ck_assert_int_eq(report_csv_field(&b, in, numeric), 0);
	ck_assert_str_eq(b.buf, want);
	sbuf_release(&b);
}

START_TEST(csv_field_rules)
{
	check_field("plain", 0, "\"plain\"");
	check_field("a\"b", 0, "\"a\"\"b\"");
	check_field("=HYPERLINK(\"x\")", 0, "\"'=HYPERLINK(\"\"x\"\")\"");
	check_field("+1", 0, "\"'+1\"");
	check_field("-2+3", 0, "\"'-2+3\"");
	check_field("@SUM(A1)", 0, "\"'@SUM(A1)\"");
	check_field("\tx", 0, "\"'\tx\"");
	check_field("\rx", 0, "\"'\rx\"");
	check_field("x=1", 0, "\"x=1\"");
	check_field(NULL, 0, "\"\"");
	check_field("", 0, "\"\"");
	/* Amounts: bare only when plain decimal. */
	check_field("-12.50", 1, "-12.50");
	check_field("0", 1, "0");
	check_field("12345.6789", 1, "12345.6789");
	check_field("-12.50", 0, "\"'-12.50\"");
	check_field("12.", 1, "\"12.\"");
	check_field(".5", 1, "\".5\"");
	check_field("1e5", 1, "\"1e5\"");
	check_field("-1e5", 1, "\"'-1e5\"");
	check_field("+5", 1, "\"'+5\"");
	check_field("1,5", 1, "\"1,5\"");
	check_field(" 5", 1, "\" 5\"");
	check_field("-", 1, "\"'-\"");
	check_field("=1+1", 1, "\"'=1+1\"");
	check_field(NULL, 1, "\"\"");
	check_field("", 1, "\"\"");
}
END_TEST

START_TEST(html_escape_rules)
{
	struct sbuf b = SBUF_INIT(1 << 20);

	ck_assert_int_eq(report_html_escape(&b, SCRIPT), 0);
	ck_assert_str_eq(b.buf, "&lt;script&gt;alert(1)&lt;/script&gt;");
	sbuf_reset(&b);
	ck_assert_int_eq(report_html_escape(&b, "a&b\"c'd<>"), 0);
	ck_assert_str_eq(b.buf, "a&amp;b&quot;c&#39;d&lt;&gt;");
	sbuf_reset(&b);
	ck_assert_int_eq(report_html_escape(&b, NULL), 0);
	ck_assert_str_eq(b.buf, "");
	ck_assert_int_eq(report_html_escape(&b, "M\xC3\xBCller"), 0);
	ck_assert_str_eq(b.buf, "M\xC3\xBCller");
	sbuf_release(&b);
}
END_TEST

/* ---- CSV files parsed back ---- */

static const char *const item_header[] = {
	"outcome", "severity", "key", "deal_key", "order_key", "order_keys",
	"erp_keys", "customer",
	"currency", "deal_amount", "order_amount", "erp_amount",
	"difference", "tolerance", "name", "rule", "where", "message"
};

/* What a cell must read back as: the value, quote-prefixed if it starts
 * with a formula character (unless a bare plain-decimal amount). */
static void check_cell(const struct csv_row *row, size_t k, const char *in,
		       int numeric)
{
	char want[512];

	if (!in) {
		ck_assert_str_eq(row->f[k], "");
		return;
	}
	if (numeric && report_is_plain_decimal(in)) {
		ck_assert_int_eq(row->quoted[k], 0);
		ck_assert_str_eq(row->f[k], in);
		return;
	}
	ck_assert_int_eq(row->quoted[k], 1);
	if (strchr("=+-@\t\r", in[0]) && in[0])
		snprintf(want, sizeof(want), "'%s", in);
	else
		snprintf(want, sizeof(want), "%s", in);
	ck_assert_str_eq(row->f[k], want);
}

START_TEST(csv_items_roundtrip)
{
	struct report r = sample();
	struct report_item items[3];
	struct error err;
	struct csv c;
	char *data;
	size_t n;

	/* the second line's rule compared with within(): its difference
	 * and tolerance; the first shows order minus deal */
	memcpy(items, sample_items, sizeof(items));
	items[1].difference = "-0.01";
	items[1].tolerance = "0.00";
	r.items = items;
	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV, NULL, &err), 0);
	data = slurp(path_in("exceptions.csv"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(csv_parse(data, n, &c), 0);
	ck_assert_uint_eq(c.nrows, 1 + r.nitems);
	ck_assert_uint_eq(c.rows[0].n, 23);
	for (size_t k = 0; k < 18; k++) {
		ck_assert_str_eq(c.rows[0].f[k], item_header[k]);
		ck_assert_int_eq(c.rows[0].quoted[k], 1);
	}
	for (size_t i = 0; i < r.nitems; i++) {
		const struct report_item *it = &r.items[i];
		const char *v[18] = {
			it->outcome, it->severity, it->key, it->deal_key,
			it->order_key, it->order_keys, it->erp_keys,
			it->customer, it->currency,
			it->deal_amount, it->order_amount, it->erp_amount,
			i == 0 ? "112.50" : it->difference, it->tolerance,
			it->name, it->rule, it->where, it->message
		};

		ck_assert_uint_eq(c.rows[i + 1].n, 23);
		for (size_t k = 0; k < 18; k++)
			check_cell(&c.rows[i + 1], k, v[k], k >= 9 && k <= 13);
		/* no lifecycle in this report: empty lifecycle cells */
		for (size_t k = 18; k < 23; k++)
			ck_assert_str_eq(c.rows[i + 1].f[k], "");
	}
	ck_assert_str_eq(c.rows[1].f[13], "");
	ck_assert_str_eq(c.rows[2].f[12], "-0.01");
	ck_assert_str_eq(c.rows[2].f[13], "0.00");
	/* Spot checks, byte for byte. */
	ck_assert_str_eq(c.rows[1].f[5], "O1 | O2");
	ck_assert_str_eq(c.rows[1].f[6], "INV-1 | =CN-1");
	ck_assert_str_eq(c.rows[2].f[6], "'-INV");
	ck_assert_str_eq(c.rows[1].f[7], "M\xC3\xBCller GmbH");
	ck_assert_str_eq(c.rows[2].f[7],
			 "\xE6\xA0\xAA\xE5\xBC\x8F\xE4\xBC\x9A\xE7\xA4\xBE");
	ck_assert_str_eq(c.rows[1].f[9], "-12.50");
	ck_assert_int_eq(c.rows[1].quoted[9], 0);
	ck_assert_str_eq(c.rows[2].f[0], "'=HYPERLINK(\"x\")");
	ck_assert_str_eq(c.rows[2].f[15], "line1\r\nline2\nline3");
	ck_assert_str_eq(c.rows[1].f[17], "deal says \"100\", ERP says 99.99");
	ck_assert_ptr_nonnull(strstr(data, "\"'=HYPERLINK(\"\"x\"\")\""));
	ck_assert_ptr_nonnull(strstr(data, ",-12.50,"));
	csv_free(&c);
	free(data);
	error_release(&err);
}
END_TEST

/* Site-defined fields: their columns after the fixed ones, in both
 * formats, escaped like every other cell; a line with none has empty
 * cells; numbers bare in the CSV and right-aligned in the HTML. */
static const struct report_column field_cols[] = {
	{ "order.fields.region", 0, 0 },
	{ "erp.fields.qty", 1, 0 },
	{ "deal.fields.<b>", 0, 0 },
};

static const char *const field_vals[][3] = {
	{ "=cmd|' /C calc'!A0", "12", SCRIPT },
	{ NULL, "-3", "" },
};

START_TEST(site_field_columns)
{
	struct report r = sample();
	struct report_item items[3];
	struct error err;
	struct csv c;
	char *data;
	size_t n;

	memcpy(items, sample_items, sizeof(items));
	items[0].fields = field_vals[0];
	items[1].fields = field_vals[1];
	/* items[2].fields NULL: no record behind the line */
	r.items = items;
	r.columns = field_cols;
	r.ncolumns = 3;
	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV | REPORT_HTML,
				      NULL, &err), 0);
	data = slurp(path_in("exceptions.csv"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(csv_parse(data, n, &c), 0);
	ck_assert_uint_eq(c.nrows, 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(c.rows[i].n, 26);
	ck_assert_str_eq(c.rows[0].f[21], "state");
	ck_assert_str_eq(c.rows[0].f[17], "message");
	ck_assert_str_eq(c.rows[0].f[18], "order.fields.region");
	ck_assert_str_eq(c.rows[0].f[20], "deal.fields.<b>");
	ck_assert_str_eq(c.rows[1].f[18], "'=cmd|' /C calc'!A0");
	ck_assert_str_eq(c.rows[1].f[19], "12");
	ck_assert_int_eq(c.rows[1].quoted[19], 0);
	ck_assert_str_eq(c.rows[1].f[20], SCRIPT);
	ck_assert_str_eq(c.rows[2].f[18], "");
	ck_assert_str_eq(c.rows[2].f[19], "-3");
	ck_assert_int_eq(c.rows[2].quoted[19], 0);
	for (size_t k = 18; k < 21; k++)
		ck_assert_str_eq(c.rows[3].f[k], "");
	csv_free(&c);
	free(data);

	data = slurp(path_in("exceptions.html"), &n);
	ck_assert_ptr_nonnull(data);
	/* the field names in the page's column list, the values in its
	 * data, JSON-escaped, never raw */
	ck_assert_ptr_nonnull(strstr(data, "<script type=\"application/json\" "
		"id=\"columns\">{\"fields\":[\"order.fields.region\","
		"\"erp.fields.qty\",\"deal.fields.\\u003cb\\u003e\"]}</script>"));
	ck_assert_ptr_nonnull(strstr(data, "\"=cmd|' /C calc'!A0\""));
	ck_assert_ptr_nonnull(strstr(data,
		"\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\""));
	ck_assert_ptr_null(strstr(data, SCRIPT));
	ck_assert_ptr_null(strstr(data, "<b>"));
	free(data);
	error_release(&err);
}
END_TEST

/* No site-defined field to show: the header is the 18 fixed columns,
 * then the 5 lifecycle ones (a site that declares none sees no field
 * column). */
START_TEST(no_field_columns_unchanged)
{
	struct report r = sample();
	struct error err;
	char *data;
	size_t n;
	const char *want = "\xEF\xBB\xBF\"outcome\",\"severity\",\"key\","
		"\"deal_key\",\"order_key\",\"order_keys\",\"erp_keys\","
		"\"customer\",\"currency\",\"deal_amount\",\"order_amount\","
		"\"erp_amount\",\"difference\",\"tolerance\",\"name\","
		"\"rule\",\"where\",\"message\",\"state\",\"first_as_of\",\"age_days\",\"note_state\","
		"\"note_text\"\r\n";

	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV | REPORT_HTML,
				      NULL, &err), 0);
	data = slurp(path_in("exceptions.csv"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert(strncmp(data, want, strlen(want)) == 0);
	free(data);
	data = slurp(path_in("exceptions.html"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(strstr(data, "id=\"columns\">{\"fields\":[]}"));
	ck_assert_ptr_null(strstr(data, ".fields."));
	free(data);
	error_release(&err);
}
END_TEST

START_TEST(csv_summary_totals)
{
	struct report r = sample();
	struct error err;
	struct csv c;
	char *data;
	size_t n;
	const struct csv_row *row;

	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV, NULL, &err), 0);
	data = slurp(path_in("exceptions-summary.csv"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(csv_parse(data, n, &c), 0);
	/* header, erp, 2 totals, crm, 2 outcomes */
	ck_assert_uint_eq(c.nrows, 7);
	for (size_t i = 0; i < c.nrows; i++)
		ck_assert_uint_eq(c.rows[i].n, 15);
	ck_assert_str_eq(c.rows[0].f[0], "section");

	row = &c.rows[1];
	ck_assert_str_eq(row->f[0], "source");
	ck_assert_str_eq(row->f[1], "erp");
	ck_assert_str_eq(row->f[3], "recon_erp");
	ck_assert_str_eq(row->f[4], "1204");
	ck_assert_int_eq(row->quoted[4], 0);
	ck_assert_str_eq(row->f[5], "1201");
	ck_assert_str_eq(row->f[6], "2");
	ck_assert_str_eq(row->f[7], "1");
	ck_assert_str_eq(row->f[9], "");

	row = &c.rows[2];
	ck_assert_str_eq(row->f[0], "total");
	ck_assert_str_eq(row->f[1], "erp");
	ck_assert_str_eq(row->f[4], ""); /* counts not repeated */
	ck_assert_str_eq(row->f[8], "EUR");
	ck_assert_str_eq(row->f[9], "12345.67");
	ck_assert_int_eq(row->quoted[9], 0);
	ck_assert_str_eq(row->f[10], "1198");

	row = &c.rows[3];
	ck_assert_str_eq(row->f[8], "USD");
	ck_assert_str_eq(row->f[9], "-42.10");
	ck_assert_int_eq(row->quoted[9], 0);
	ck_assert_str_eq(row->f[10], "3");

	row = &c.rows[4];
	ck_assert_str_eq(row->f[0], "source");
	ck_assert_str_eq(row->f[1], "deals <crm>");
	ck_assert_str_eq(row->f[4], "10");

	row = &c.rows[5];
	ck_assert_str_eq(row->f[0], "outcome");
	ck_assert_str_eq(row->f[11], "MATCHED");
	ck_assert_str_eq(row->f[13], "no");
	ck_assert_str_eq(row->f[14], "1100");
	row = &c.rows[6];
	ck_assert_str_eq(row->f[11], "AMOUNT_MISMATCH");
	ck_assert_str_eq(row->f[12], "amounts differ");
	ck_assert_str_eq(row->f[13], "yes");
	ck_assert_str_eq(row->f[14], "7");
	csv_free(&c);
	free(data);
	error_release(&err);
}
END_TEST

/* Reference tables: a "reference" row each in the summary CSV (after
 * the sources, before the outcomes) and a line each in the HTML header,
 * escaped. */
START_TEST(references_shown)
{
	static const struct report_reference refs[] = {
		{ "customers", "rules/<c>.csv", 12, "ab12" },
		{ "fx", "recon_erp", 1, "00" },
	};
	struct report r = sample();
	struct error err;
	struct csv c;
	char *data;
	size_t n;

	r.references = refs;
	r.nreferences = 2;
	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV | REPORT_HTML,
				      NULL, &err), 0);
	data = slurp(path_in("exceptions-summary.csv"), &n);
	ck_assert_int_eq(csv_parse(data, n, &c), 0);
	ck_assert_uint_eq(c.nrows, 9);
	for (size_t i = 0; i < c.nrows; i++)
		ck_assert_uint_eq(c.rows[i].n, 15);
	ck_assert_str_eq(c.rows[5].f[0], "reference");
	ck_assert_str_eq(c.rows[5].f[1], "customers");
	ck_assert_str_eq(c.rows[5].f[2], "reference");
	ck_assert_str_eq(c.rows[5].f[3], "rules/<c>.csv");
	ck_assert_str_eq(c.rows[5].f[4], "12");
	ck_assert_str_eq(c.rows[5].f[12], "ab12");
	ck_assert_str_eq(c.rows[6].f[1], "fx");
	ck_assert_str_eq(c.rows[6].f[4], "1");
	ck_assert_str_eq(c.rows[7].f[0], "outcome");
	csv_free(&c);
	free(data);
	data = slurp(path_in("exceptions.html"), &n);
	ck_assert_ptr_nonnull(strstr(data, "<dt>Reference customers</dt><dd>12 "
				     "rows from rules/&lt;c&gt;.csv, rows_hash "
				     "ab12</dd>"));
	ck_assert_ptr_nonnull(strstr(data, "<dt>Reference fx</dt><dd>1 row "
				     "from recon_erp, rows_hash 00</dd>"));
	free(data);
	error_release(&err);
}
END_TEST

/* ---- HTML ---- */

static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

/* The text of the first element that starts with `open` (its content,
 * up to `close`), malloc'd; NULL if none. */
static char *element_text(const char *page, const char *open,
			  const char *close)
{
	const char *p = strstr(page, open), *e;
	char *s;

	if (!p)
		return NULL;
	p += strlen(open);
	e = strstr(p, close);
	if (!e)
		return NULL;
	s = malloc((size_t)(e - p) + 1);
	memcpy(s, p, (size_t)(e - p));
	s[e - p] = '\0';
	return s;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* 'sha256-BASE64' of s, computed here, independently of html.c. */
static void sha256_source(const char *s, char *out, size_t cap)
{
	unsigned char md[32], b64[64];
	unsigned int n = 0;

	ck_assert(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL));
	ck_assert_uint_eq(n, 32);
	EVP_EncodeBlock(b64, md, 32);
	snprintf(out, cap, "'sha256-%s'", (const char *)b64);
}

START_TEST(html_page)
{
	struct report r = sample();
	struct error err;
	char *data, *js, *css, want[256], csp[1024];
	size_t n;

	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_HTML, NULL, &err), 0);
	data = slurp(path_in("exceptions.html"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(strlen(data), n);
	ck_assert(strncmp(data, "<!DOCTYPE html>", 15) == 0);
	ck_assert_ptr_nonnull(strstr(data, "<meta charset=\"utf-8\">"));
	/* The CSP: nothing but the page's own script and style, by the
	 * SHA-256 of the text the page holds (hashed here again). */
	js = element_text(data, "<script>", "</script>");
	css = element_text(data, "<style>", "</style>");
	ck_assert_ptr_nonnull(js);
	ck_assert_ptr_nonnull(css);
	ck_assert(strlen(js) > 1000);
	snprintf(csp, sizeof(csp), "<meta http-equiv=\"Content-Security-Policy\" "
		 "content=\"default-src 'none'; script-src ");
	sha256_source(js, want, sizeof(want));
	strncat(csp, want, sizeof(csp) - strlen(csp) - 1);
	strncat(csp, "; style-src ", sizeof(csp) - strlen(csp) - 1);
	sha256_source(css, want, sizeof(want));
	strncat(csp, want, sizeof(csp) - strlen(csp) - 1);
	strncat(csp, "; base-uri 'none'; form-action 'none'\">",
		sizeof(csp) - strlen(csp) - 1);
	ck_assert_ptr_nonnull(strstr(data, csp));
	/* One script that runs, the rest data; no handler attributes, no
	 * style attributes (the CSP would refuse them). */
	ck_assert_uint_eq(count_of(data, "<script>"), 1);
	ck_assert_uint_eq(count_of(data, "<script"),
			  1 + count_of(data, "<script type=\"application/json\""));
	ck_assert_uint_eq(count_of(data, "<script"), count_of(data, "</script>"));
	ck_assert(!contains_ci(data, " onclick="));
	ck_assert(!contains_ci(data, " onload="));
	ck_assert(!contains_ci(data, " style="));
	/* The deal name: JSON-escaped in the data, never raw. */
	ck_assert_ptr_nonnull(strstr(data,
		"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"));
	ck_assert_ptr_null(strstr(data, SCRIPT));
	/* Nothing loaded from anywhere. */
	ck_assert(!contains_ci(data, "http:"));
	ck_assert(!contains_ci(data, "https:"));
	ck_assert(!contains_ci(data, " src="));
	ck_assert(!contains_ci(data, "<link"));
	ck_assert(!contains_ci(data, "url("));
	ck_assert(!contains_ci(data, "fetch("));
	ck_assert(!contains_ci(data, "XMLHttpRequest"));
	/* Header values escaped. */
	ck_assert_ptr_nonnull(strstr(data,
		"nightly &lt;&amp;&gt; &#39;q&#39; &quot;dq&quot;"));
	ck_assert_ptr_nonnull(strstr(data, "run-20240501-01"));
	ck_assert_ptr_nonnull(strstr(data, "2024-05-01T02:03:10Z"));
	ck_assert_ptr_nonnull(strstr(data, "sha256:abc123"));
	ck_assert_ptr_nonnull(strstr(data, "recon 0.1"));
	/* Control totals, outcomes, the cards: static HTML. */
	ck_assert_ptr_nonnull(strstr(data, "Control totals by source"));
	ck_assert_ptr_nonnull(strstr(data, "deals &lt;crm&gt;"));
	ck_assert_ptr_nonnull(strstr(data, "crm&amp;co"));
	ck_assert_ptr_nonnull(strstr(data, "<td rowspan=\"2\" class=\"num\">1204</td>"));
	ck_assert_ptr_nonnull(strstr(data, "<td class=\"num\">12345.67</td>"));
	ck_assert_ptr_nonnull(strstr(data, "<td class=\"num\">-42.10</td>"));
	ck_assert_ptr_nonnull(strstr(data, "<td>AMOUNT_MISMATCH</td><td>amounts differ</td><td class=\"flag\">yes</td><td class=\"num\">7</td>"));
	ck_assert_ptr_nonnull(strstr(data, "<div class=\"v\">1100</div><div class=\"l\">matched"));
	ck_assert_ptr_nonnull(strstr(data, "<div class=\"v\">7</div><div class=\"l\">exceptions (3 lines)"));
	/* The charts: inline SVG with text labels. */
	ck_assert_ptr_nonnull(strstr(data, "<figcaption>Matched versus exceptions</figcaption>"));
	ck_assert_ptr_nonnull(strstr(data, "<figcaption>Exceptions by outcome</figcaption>"));
	ck_assert_ptr_nonnull(strstr(data, ">AMOUNT_MISMATCH</text>"));
	/* No lifecycle in this report: no ageing, trend, resolved. */
	ck_assert_ptr_null(strstr(data, "Ageing of the open exceptions"));
	ck_assert_ptr_null(strstr(data, "Trend of the open exceptions"));
	ck_assert_ptr_null(strstr(data, "Resolved since"));
	/* Exceptions: data, UTF-8 byte-exact, and a noscript fallback. */
	ck_assert_ptr_nonnull(strstr(data, "Exceptions (3)"));
	ck_assert_ptr_nonnull(strstr(data, "<noscript>"));
	ck_assert_ptr_nonnull(strstr(data, "data-rows=\"rows-exceptions\""));
	ck_assert_ptr_nonnull(strstr(data, "M\xC3\xBCller GmbH"));
	ck_assert_ptr_nonnull(strstr(data,
		"\xE6\xA0\xAA\xE5\xBC\x8F\xE4\xBC\x9A\xE7\xA4\xBE"));
	ck_assert_ptr_nonnull(strstr(data, "\"=HYPERLINK(\\\"x\\\")\""));
	/* The message with the line's own values as a template: "100" is
	 * the order amount (cell 9, 'J'), 99.99 the ERP amount (10, 'K'). */
	ck_assert_ptr_nonnull(strstr(data,
		"\"deal says \\\"\\u0001J\\\", ERP says \\u0001K\""));
	/* the first line: its outcome and severity as one pair */
	ck_assert_ptr_nonnull(strstr(data, "[\"AMOUNT_MISMATCH\",\"error\"]"));
	/* print CSS */
	ck_assert_ptr_nonnull(strstr(data, "@media print{"));
	ck_assert(n > 15 && strcmp(data + n - 8, "</html>\n") == 0);
	free(js);
	free(css);
	free(data);
	error_release(&err);
}
END_TEST

static void check_json(const char *in, const char *want)
{
	struct sbuf b = SBUF_INIT(1 << 20);

	ck_assert_int_eq(report_json_string(&b, in), 0);
	ck_assert_str_eq(b.buf, want);
	sbuf_release(&b);
}

/* Inside <script>: nothing may end the element, open a comment or end
 * a JavaScript line; JSON's own escapes; UTF-8 copied. */
START_TEST(json_escape_rules)
{
	check_json("plain", "\"plain\"");
	check_json(NULL, "\"\"");
	check_json("", "\"\"");
	check_json(SCRIPT, "\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\"");
	check_json("</SCRIPT >", "\"\\u003c/SCRIPT \\u003e\"");
	check_json("<!-- x -->", "\"\\u003c!-- x --\\u003e\"");
	check_json("a&b", "\"a\\u0026b\"");
	check_json("q\"b\\s", "\"q\\\"b\\\\s\"");
	check_json("l1\nl2\r\tx", "\"l1\\nl2\\r\\tx\"");
	check_json("\x01\x1f", "\"\\u0001\\u001f\"");
	check_json("a\xE2\x80\xA8" "b\xE2\x80\xA9" "c", "\"a\\u2028b\\u2029c\"");
	/* other three-byte characters that start with E2 80 are kept */
	check_json("\xE2\x80\x94", "\"\xE2\x80\x94\"");
	check_json("M\xC3\xBCller", "\"M\xC3\xBCller\"");
}
END_TEST

START_TEST(csp_hash_known)
{
	struct sbuf b = SBUF_INIT(1 << 10);

	/* echo -n abc | openssl dgst -sha256 -binary | base64 */
	ck_assert_int_eq(report_csp_hash(&b, "abc", 3), 0);
	ck_assert_str_eq(b.buf,
		"'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='");
	sbuf_release(&b);
}
END_TEST

/* A report with the lifecycle (as the ledger fills it): states,
 * first seen, age, notes, a reopened line explained before, resolved
 * lines, ageing and trend. */
START_TEST(html_lifecycle)
{
	static const struct report_life life[] = {
		{ "new", "run-9", "2024-05-01T00:00:00Z", 0, NULL, NULL,
		  NULL, NULL, 0 },
		{ "reopened", "run-7", "2024-04-20T00:00:00Z", 11,
		  "explained", "credit note </script> follows", "a.meier",
		  "2024-04-30T10:00:00Z", 1 },
		{ "resolved", "run-3", "2024-04-01T00:00:00Z", 29, NULL,
		  NULL, NULL, NULL, 0 },
	};
	struct report_item items[2], resolved[1];
	static const struct report_total eur[] = { { "EUR", "1200.00", 2 } };
	struct report_ageing ageing[REPORT_AGEING_BUCKETS] = {
		{ "0-1", 1, eur, 1 }, { "2-7", 0, NULL, 0 },
		{ "8-30", 1, NULL, 0 }, { "31+", 0, NULL, 0 },
	};
	struct report_trend trend[] = {
		{ "run-7", "2024-04-29T00:00:00Z", 5 },
		{ "run-8", "2024-04-30T00:00:00Z", 3 },
		{ "run-9", "2024-05-01T00:00:00Z", 2 },
	};
	struct report r = sample();
	struct error err;
	char *data;

	memcpy(items, sample_items, sizeof(items));
	items[0].life = &life[0];
	items[1].life = &life[1];
	resolved[0] = sample_items[0];
	resolved[0].key = "K-RESOLVED";
	resolved[0].life = &life[2];
	r.items = items;
	r.nitems = 2;
	r.mode = "incremental";
	r.resolved = resolved;
	r.nresolved = 1;
	r.ageing = ageing;
	r.nageing = REPORT_AGEING_BUCKETS;
	r.trend = trend;
	r.ntrend = 3;
	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_HTML, NULL, &err), 0);
	data = slurp(path_in("exceptions.html"), NULL);
	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(strstr(data, "<dt>Mode</dt><dd>incremental</dd>"));
	/* the cards by state, the reopened one explained before */
	ck_assert_ptr_nonnull(strstr(data, "<div class=\"v\">1</div><div class=\"l\">new</div>"));
	ck_assert_ptr_nonnull(strstr(data, "<div class=\"v\">0</div><div class=\"l\">open</div>"));
	ck_assert_ptr_nonnull(strstr(data, "<div class=\"v\">1</div><div class=\"l\">reopened</div>"));
	ck_assert_ptr_nonnull(strstr(data, "<div class=\"v\">1</div><div class=\"l\">reopened, explained before</div>"));
	ck_assert_ptr_nonnull(strstr(data, "<div class=\"v\">1</div><div class=\"l\">resolved since the previous run</div>"));
	/* ageing and trend: table and chart */
	ck_assert_ptr_nonnull(strstr(data, "Ageing of the open exceptions"));
	ck_assert_ptr_nonnull(strstr(data, "<tr><td>0-1</td><td class=\"num\">1</td><td>EUR</td><td class=\"num\">1200.00</td></tr>"));
	ck_assert_ptr_nonnull(strstr(data, "<figcaption>Open exceptions by age (days)</figcaption>"));
	ck_assert_ptr_nonnull(strstr(data, "Trend of the open exceptions"));
	ck_assert_ptr_nonnull(strstr(data, "<td class=\"id\">run-8</td><td class=\"id\">2024-04-30T00:00:00Z</td><td class=\"num\">3</td>"));
	ck_assert_ptr_nonnull(strstr(data, "<polyline class=\"trendline\""));
	ck_assert_ptr_nonnull(strstr(data, ">2024-04-29</text>"));
	/* the resolved section: its own data block */
	ck_assert_ptr_nonnull(strstr(data, "Resolved since the previous run (1)"));
	ck_assert_ptr_nonnull(strstr(data, "data-rows=\"rows-resolved\""));
	ck_assert_ptr_nonnull(strstr(data, "\"K-RESOLVED\""));
	/* the lifecycle in the data: first seen as a pair, age, the note
	 * (escaped), explained_before last */
	ck_assert_ptr_nonnull(strstr(data, "[\"run-7\",\"2024-04-20T00:00:00Z\"]"));
	ck_assert_ptr_nonnull(strstr(data, "\"credit note \\u003c/script\\u003e follows\""));
	ck_assert_ptr_nonnull(strstr(data, "\"reopened\""));
	ck_assert_ptr_nonnull(strstr(data, ",11,"));
	ck_assert_ptr_nonnull(strstr(data, ",\"2024-04-30T10:00:00Z\",1]"));
	ck_assert_ptr_null(strstr(data, "credit note </script>"));
	ck_assert_uint_eq(count_of(data, "<script"), count_of(data, "</script>"));
	free(data);
	error_release(&err);
}
END_TEST

START_TEST(html_no_exceptions)
{
	struct report r = sample();
	struct error err;
	char *data;

	r.nitems = 0;
	r.items = NULL;
	r.nsources = 0;
	r.noutcomes = 0;
	r.job = NULL;
	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_HTML, NULL, &err), 0);
	data = slurp(path_in("exceptions.html"), NULL);
	ck_assert_ptr_nonnull(strstr(data, "No exceptions."));
	free(data);
	error_release(&err);
}
END_TEST

/* ---- paths, directories, arguments ---- */

START_TEST(paths_and_mkdir)
{
	struct report r = sample();
	struct error err;
	struct sbuf paths = SBUF_INIT(1 << 20);
	char dir[512], want[2048], *ls;

	error_init(&err);
	snprintf(dir, sizeof(dir), "%s/a/b//c/", tmpdir);
	ck_assert_int_eq(write_report(&r, dir, REPORT_CSV | REPORT_HTML,
				      &paths, &err), 0);
	snprintf(want, sizeof(want),
		 "%s/exceptions.csv\n%s/exceptions-summary.csv\n"
		 "%s/exceptions.html", dir, dir, dir);
	ck_assert_str_eq(paths.buf, want);
	ls = listing(dir);
	ck_assert_str_eq(ls, "exceptions-summary.csv\nexceptions.csv\n"
			 "exceptions.html");
	free(ls);

	/* Appends to what is there; HTML only. */
	sbuf_reset(&paths);
	sbuf_addstr(&paths, "before");
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_HTML, &paths, &err),
			 0);
	snprintf(want, sizeof(want), "before\n%s/exceptions.html", tmpdir);
	ck_assert_str_eq(paths.buf, want);
	sbuf_release(&paths);
	error_release(&err);
}
END_TEST

START_TEST(bad_arguments)
{
	struct report r = sample();
	struct error err;
	char *ls;

	error_init(&err);
	ck_assert_int_eq(report_write(&r, tmpdir, "a/b", REPORT_CSV, NULL,
				      &err), -1);
	ck_assert_int_eq(err.code, ERR_REPORT);
	error_clear(&err);
	ck_assert_int_eq(report_write(&r, tmpdir, "", REPORT_CSV, NULL,
				      &err), -1);
	ck_assert_int_eq(err.code, ERR_REPORT);
	error_clear(&err);
	ck_assert_int_eq(report_write(&r, tmpdir, "x", 0, NULL, &err), 0);
	ck_assert_int_eq(report_write(&r, tmpdir, "x", 1u << 7, NULL, &err),
			 -1);
	ck_assert_int_eq(err.code, ERR_INTERNAL);
	error_clear(&err);
	ls = listing(tmpdir);
	ck_assert_str_eq(ls, "");
	free(ls);

	/* DIR is an existing file. */
	fclose(fopen(path_in("file"), "w"));
	ck_assert_int_eq(report_write(&r, path_in("file"), "x", REPORT_CSV,
				      NULL, &err), -1);
	ck_assert_int_eq(err.code, ERR_REPORT);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "file"));
	ck_assert_ptr_nonnull(strstr(err.msg.buf, strerror(ENOTDIR)));
	error_release(&err);
}
END_TEST

/* ---- atomic replacement and the fault loops ---- */

static long io_left = -1;	/* calls to let through; < 0: no faults */
static const char *io_hit;	/* the kind of the first refused call */
static int io_errno;

static int io_fail(const char *kind, int e)
{
	if (io_left < 0)
		return 0;
	if (io_left == 0) {
		if (!io_hit) {
			io_hit = kind;
			io_errno = e;
		}
		errno = e;
		return 1;
	}
	io_left--;
	return 0;
}

static FILE *f_open(const char *p, const char *m)
{
	return io_fail("open", EMFILE) ? NULL : fopen(p, m);
}

static size_t f_write(const void *p, size_t s, size_t n, FILE *f)
{
	return io_fail("write", ENOSPC) ? 0 : fwrite(p, s, n, f);
}

static int f_sync(FILE *f)
{
	return io_fail("sync", EIO) ? -1 : report_io_default.sync(f);
}

static int f_close(FILE *f)
{
	int rc = fclose(f);	/* always really closed: no leak */

	return io_fail("close", EDQUOT) ? EOF : rc;
}

static int f_link(const char *a, const char *b)
{
	return io_fail("link", EPERM) ? -1 : link(a, b);
}

static int f_rename(const char *a, const char *b)
{
	return io_fail("rename", EXDEV) ? -1 : rename(a, b);
}

static const struct report_io faulty_io = {
	f_open, f_write, f_sync, f_close, f_link, f_rename
};

struct snapshot {
	char *ls;
	char *csv, *summary, *html;
};

static void snap(struct snapshot *s, const char *dir)
{
	char p[512];

	s->ls = listing(dir);
	snprintf(p, sizeof(p), "%s/exceptions.csv", dir);
	s->csv = slurp(p, NULL);
	snprintf(p, sizeof(p), "%s/exceptions-summary.csv", dir);
	s->summary = slurp(p, NULL);
	snprintf(p, sizeof(p), "%s/exceptions.html", dir);
	s->html = slurp(p, NULL);
}

static void snap_free(struct snapshot *s)
{
	free(s->ls);
	free(s->csv);
	free(s->summary);
	free(s->html);
}

static void same_str(const char *a, const char *b)
{
	if (!a || !b)
		ck_assert_ptr_eq(a, b);
	else
		ck_assert_str_eq(a, b);
}

static void snap_eq(const struct snapshot *a, const struct snapshot *b)
{
	ck_assert_str_eq(a->ls, b->ls);
	same_str(a->csv, b->csv);
	same_str(a->summary, b->summary);
	same_str(a->html, b->html);
}

START_TEST(replace_atomically)
{
	struct report a = sample(), b = sample();
	struct error err;
	struct snapshot s1, s2;

	error_init(&err);
	ck_assert_int_eq(write_report(&a, tmpdir, REPORT_CSV | REPORT_HTML,
				      NULL, &err), 0);
	snap(&s1, tmpdir);
	b.nitems = 1;
	b.run_id = "run-2";
	ck_assert_int_eq(write_report(&b, tmpdir, REPORT_CSV | REPORT_HTML,
				      NULL, &err), 0);
	snap(&s2, tmpdir);
	ck_assert_str_eq(s2.ls, "exceptions-summary.csv\nexceptions.csv\n"
			 "exceptions.html");
	ck_assert_str_ne(s1.csv, s2.csv);
	ck_assert_str_ne(s1.html, s2.html);
	ck_assert_ptr_nonnull(strstr(s2.html, "run-2"));
	snap_free(&s1);
	snap_free(&s2);
	error_release(&err);
}
END_TEST

/* Fail the Nth file-system call for every N until the write succeeds;
 * each failure must leave the directory exactly as it was. */
static void io_fault_loop(int with_old)
{
	struct report a = sample(), b = sample();
	struct error err;
	struct sbuf paths = SBUF_INIT(1 << 20);
	struct snapshot before, after;
	const char *kinds[] = { "open", "write", "sync", "close", "link",
				"rename" };
	int seen[6] = { 0 };
	long n;

	error_init(&err);
	if (with_old)
		ck_assert_int_eq(write_report(&a, tmpdir,
					      REPORT_CSV | REPORT_HTML, NULL,
					      &err), 0);
	snap(&before, tmpdir);
	b.run_id = "run-new";
	b.nitems = 2;
	for (n = 0; n < 10000; n++) {
		int rc;

		io_left = n;
		io_hit = NULL;
		report_io = faulty_io;
		sbuf_reset(&paths);
		sbuf_addstr(&paths, "keep");
		rc = write_report(&b, tmpdir, REPORT_CSV | REPORT_HTML,
				  &paths, &err);
		report_io = report_io_default;
		io_left = -1;
		if (rc == 0) {
			ck_assert_ptr_null(io_hit);
			break;
		}
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_nonnull(io_hit);
		ck_assert_int_eq(err.code, ERR_REPORT);
		ck_assert_ptr_nonnull(strstr(err.msg.buf, tmpdir));
		ck_assert_ptr_nonnull(strstr(err.msg.buf,
					     strerror(io_errno)));
		ck_assert_str_eq(paths.buf, "keep");
		snap(&after, tmpdir);
		snap_eq(&before, &after);
		snap_free(&after);
		for (int k = 0; k < 6; k++)
			if (!strcmp(io_hit, kinds[k]))
				seen[k] = 1;
		error_clear(&err);
	}
	ck_assert_int_lt(n, 10000);
	ck_assert_int_gt(n, 12);
	/* Every kind of call failed at least once (link only when there
	 * was something to keep). */
	for (int k = 0; k < 6; k++)
		if (k != 4 || with_old)
			ck_assert_msg(seen[k], "no fault in %s", kinds[k]);
	snap(&after, tmpdir);
	ck_assert_str_eq(after.ls, "exceptions-summary.csv\nexceptions.csv\n"
			 "exceptions.html");
	ck_assert_ptr_nonnull(strstr(after.html, "run-new"));
	snap_free(&after);
	snap_free(&before);
	sbuf_release(&paths);
	error_release(&err);
}

START_TEST(io_faults_replace)
{
	io_fault_loop(1);
}
END_TEST

START_TEST(io_faults_fresh)
{
	io_fault_loop(0);
}
END_TEST

/* ---- the shadow run's report: the same set-wise publishing ---- */

static struct shadow_report shadow_sample(const char *run_id)
{
	static const struct shadow_change ch[] = {
		{ "outcome", "order", "=SUM(A1)", "MATCHED", "AMOUNT_MISMATCH",
		  "MATCHED", "AMOUNT_MISMATCH", "[]", "[\"amount\"]" },
		{ "new", "deal", "<script>x</script>", NULL, "UNMATCHED_DEAL",
		  NULL, "UNMATCHED_DEAL", NULL, "[]" },
	};
	static const struct shadow_count cnt[] = {
		{ "MATCHED -> AMOUNT_MISMATCH", 1 }, { "new record", 1 },
	};
	static const struct shadow_file f[] = {
		{ "order-rules", "cand/order.lua", 1 },
	};
	struct shadow_report r;

	memset(&r, 0, sizeof(r));
	r.job = "unit <job>";
	r.run_id = run_id;
	r.as_of = "2026-12-01 00:00:00";
	r.rules_dir = "cand";
	r.version = "test";
	r.seq = 3;
	r.records = 10;
	r.unchanged = 8;
	r.files = f;
	r.nfiles = 1;
	r.counts = cnt;
	r.ncounts = 2;
	r.changes = ch;
	r.nchanges = 2;
	return r;
}

/* Both files or neither: every file-system call failed in turn leaves
 * the folder exactly as the last shadow run left it. */
START_TEST(shadow_set_faults)
{
	struct shadow_report a = shadow_sample("run-a"), b = shadow_sample("run-b");
	struct error err;
	struct sbuf paths = SBUF_INIT(1 << 16), base = SBUF_INIT(512);
	char *ls0, *csv0, *html0, p[600];
	int seen_rename = 0;
	long n;

	error_init(&err);
	sbuf_addf(&base, "%s/shadow-x", tmpdir);
	ck_assert_int_eq(shadow_report_write(&a, base.buf, &paths, &err), 0);
	snprintf(p, sizeof(p), "%s/shadow-x.csv\n%s/shadow-x.html", tmpdir,
		 tmpdir);
	ck_assert_str_eq(paths.buf, p);
	ls0 = listing(tmpdir);
	ck_assert_str_eq(ls0, "shadow-x.csv\nshadow-x.html");
	snprintf(p, sizeof(p), "%s/shadow-x.csv", tmpdir);
	csv0 = slurp(p, NULL);
	/* the cells as text: no formula, no markup */
	ck_assert_ptr_nonnull(strstr(csv0, "\"'=SUM(A1)\""));
	snprintf(p, sizeof(p), "%s/shadow-x.html", tmpdir);
	html0 = slurp(p, NULL);
	ck_assert_ptr_null(strstr(html0, "<script>"));
	ck_assert_ptr_nonnull(strstr(html0, "&lt;script&gt;x&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(html0, "run-a"));
	for (n = 0; n < 1000; n++) {
		char *ls, *csv, *html;
		int rc;

		io_left = n;
		io_hit = NULL;
		report_io = faulty_io;
		sbuf_reset(&paths);
		sbuf_addstr(&paths, "keep");
		rc = shadow_report_write(&b, base.buf, &paths, &err);
		report_io = report_io_default;
		io_left = -1;
		if (rc == 0) {
			ck_assert_ptr_null(io_hit);
			break;
		}
		ck_assert_int_eq(err.code, ERR_REPORT);
		ck_assert_ptr_nonnull(strstr(err.msg.buf, strerror(io_errno)));
		ck_assert_str_eq(paths.buf, "keep");
		seen_rename |= !strcmp(io_hit, "rename");
		ls = listing(tmpdir);
		ck_assert_str_eq(ls, ls0);
		snprintf(p, sizeof(p), "%s/shadow-x.csv", tmpdir);
		csv = slurp(p, NULL);
		ck_assert_str_eq(csv, csv0);
		snprintf(p, sizeof(p), "%s/shadow-x.html", tmpdir);
		html = slurp(p, NULL);
		ck_assert_str_eq(html, html0);
		free(ls);
		free(csv);
		free(html);
		error_clear(&err);
	}
	ck_assert_int_lt(n, 1000);
	ck_assert_int_gt(n, 6);
	ck_assert(seen_rename);
	snprintf(p, sizeof(p), "%s/shadow-x.html", tmpdir);
	free(html0);
	html0 = slurp(p, NULL);
	ck_assert_ptr_nonnull(strstr(html0, "run-b"));
	/* a name that is a folder is refused in words */
	sbuf_reset(&base);
	sbuf_addf(&base, "%s/", tmpdir);
	ck_assert_int_eq(shadow_report_write(&b, base.buf, &paths, &err), -1);
	ck_assert_int_eq(err.code, ERR_REPORT);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, "a plain file name is needed"));
	free(ls0);
	free(csv0);
	free(html0);
	sbuf_release(&paths);
	sbuf_release(&base);
	error_release(&err);
}
END_TEST

START_TEST(mem_faults)
{
	struct report a = sample(), b = sample();
	struct error err;
	struct sbuf paths = SBUF_INIT(1 << 20);
	struct snapshot before, after;
	long n;

	error_init(&err);
	ck_assert_int_eq(write_report(&a, tmpdir, REPORT_CSV | REPORT_HTML,
				      NULL, &err), 0);
	snap(&before, tmpdir);
	b.run_id = "run-new";
	for (n = 0; n < 10000; n++) {
		int rc;

		sbuf_release(&paths);
		sbuf_addstr(&paths, "keep");
		mem_fault_after(n);
		rc = write_report(&b, tmpdir, REPORT_CSV | REPORT_HTML,
				  &paths, &err);
		mem_fault_off();
		if (rc == 0)
			break;
		ck_assert_int_eq(err.code, ERR_NOMEM);
		ck_assert_str_eq(paths.buf, "keep");
		snap(&after, tmpdir);
		snap_eq(&before, &after);
		snap_free(&after);
		error_release(&err);
	}
	ck_assert_int_lt(n, 10000);
	ck_assert_int_gt(n, 3);
	snap(&after, tmpdir);
	ck_assert_ptr_nonnull(strstr(after.html, "run-new"));
	snap_free(&after);
	snap_free(&before);
	sbuf_release(&paths);
	error_release(&err);
}
END_TEST

/* ---- XML (etc/report.xsd) ---- */

#define HEX64 "0123456789abcdef0123456789abcdef" \
	      "0123456789abcdef0123456789abcdef"
/* C0 controls XML 1.0 refuses, U+FFFE, a CDATA end, markup, CR */
#define NASTY "a\x01" "b\x0B" "c\x1F" "d\xEF\xBF\xBE" "e]]>&<>\"'\r\n\t" \
	      "\xF0\x9F\x98\x80"

static const struct report_total xml_totals[] = {
	{ "EUR", "-12.50", 2 },
	{ "", "0", 1 },
};

static const struct report_source xml_sources[] = {
	{ "erp", "erp", "recon_erp", 4, 2, 1, 1, xml_totals, 2 },
	{ "deals " NASTY, "deal", NULL, 0, 0, 0, 0, NULL, 0 },
};

static const struct report_outcome xml_outcomes[] = {
	{ "MATCHED", "matches", 0, 3, NULL, 0 },
	{ "AMOUNT_MISMATCH_ORDER_ERP", NASTY, 1, 2, xml_totals, 2 },
};

static const struct report_reference xml_refs[] = {
	{ "fx", "refs/fx.csv", 12, HEX64 },
};

static const struct report_rule_file xml_rules[] = {
	{ "../rules/demo/translate.lua", HEX64 },
	{ "rules/" NASTY ".lua", HEX64 },
};

static const struct report_life xml_life[] = {
	{ "reopened", "run-7", "2026-11-20T00:00:00Z", 6, "investigating",
	  "=cmd|' /C calc'!A0 " NASTY, "j.doe", "2026-11-21T09:30:00Z", 1 },
	{ "new", NULL, NULL, 0, NULL, NULL, NULL, NULL, 0 },
	{ "resolved", "run-5", "2026-11-18T00:00:00Z", 8, NULL, NULL, NULL,
	  NULL, 0 },
};

static const char *const xml_field_vals[] = { "=1+1", NULL, NASTY };

static const struct report_item xml_items[] = {
	{ "AMOUNT_MISMATCH_ORDER_ERP", "error", "K1", "D1", "O1", "O1 | O2",
	  "INV-1 | =CN-1", "M\xC3\xBCller " NASTY, "EUR", "-12.50", "100",
	  "99.99", SCRIPT, "amount_check", "rules/amount.lua:12", NASTY,
	  xml_field_vals, &xml_life[0], "-0.01", "0.00" },
	{ "DUPLICATE_KEY", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &xml_life[1], NULL,
	  NULL },
	{ "ORDER_NOT_IN_ERP", "warning", "K3", NULL, "O3", NULL, NULL, NULL,
	  "USD", NULL, "-0.01", NULL, NULL, NULL, NULL, "", NULL, NULL, NULL,
	  NULL },
};

static const struct report_item xml_resolved[] = {
	{ "AMOUNT_MISMATCH_ORDER_ERP", "error", "K9", "D9", "O9", NULL, NULL,
	  NULL, "EUR", "1.00", "2.00", NULL, NULL, NULL, NULL, NULL, NULL,
	  &xml_life[2], NULL, NULL },
};

static const struct report_ageing xml_ageing[REPORT_AGEING_BUCKETS] = {
	{ "0-1", 1, NULL, 0 },
	{ "2-7", 1, xml_totals, 1 },
	{ "8-30", 0, NULL, 0 },
	{ "31+", 0, NULL, 0 },
};

static const struct report_trend xml_trend[] = {
	{ "run-6", "2026-11-25T00:00:00Z", 4 },
	{ "run-7", "2026-11-26T00:00:00Z", 2 },
};

static const struct report_column xml_cols[] = {
	{ "order.fields.formula", 0, 0 },
	{ "erp.fields.qty", 1, 0 },
	{ "deal.fields.<b>", 0, 0 },
};

/* Every part of the model filled, with strings XML cannot carry as
 * they are. */
static struct report xml_sample(void)
{
	struct report r = {
		.job = "nightly <&> " NASTY,
		.run_id = "run-8",
		.as_of = "2026-11-26T00:00:00Z",
		.started = "2026-11-26T02:00:00Z",
		.finished = "2026-11-26T02:03:10.5Z",
		.rules_hash = HEX64,
		.version = "0.1.0",
		.rule_files = xml_rules,
		.nrule_files = 2,
		.sources = xml_sources,
		.nsources = 2,
		.references = xml_refs,
		.nreferences = 1,
		.outcomes = xml_outcomes,
		.noutcomes = 2,
		.columns = xml_cols,
		.ncolumns = 3,
		.items = xml_items,
		.nitems = 3,
		.mode = "incremental",
		.resolved = xml_resolved,
		.nresolved = 1,
		.ageing = xml_ageing,
		.nageing = REPORT_AGEING_BUCKETS,
		.trend = xml_trend,
		.ntrend = 2,
	};
	return r;
}

static void on_schema_msg(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

/* 0 if the file is well-formed and valid against etc/report.xsd; the
 * first error's message in msg otherwise. */
static int xml_validate(const char *path, char *msg, size_t cap)
{
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt("etc/report.xsd");
	xmlSchemaPtr schema;
	xmlSchemaValidCtxtPtr vc;
	xmlDocPtr doc;
	int rc;

	ck_assert_ptr_nonnull(pc);
	xmlSchemaSetParserErrors(pc, on_schema_msg, on_schema_msg, NULL);
	schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	ck_assert_msg(schema != NULL, "etc/report.xsd does not parse");
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
			  XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();

		snprintf(msg, cap, "not well-formed: %s",
			 e && e->message ? e->message : "?");
		xmlSchemaFree(schema);
		return -1;
	}
	vc = xmlSchemaNewValidCtxt(schema);
	ck_assert_ptr_nonnull(vc);
	xmlSchemaSetValidErrors(vc, on_schema_msg, on_schema_msg, NULL);
	rc = xmlSchemaValidateDoc(vc, doc);
	if (rc != 0) {
		const xmlError *e = xmlGetLastError();

		snprintf(msg, cap, "invalid (%d): %s", rc,
			 e && e->message ? e->message : "?");
	}
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeDoc(doc);
	xmlSchemaFree(schema);
	return rc == 0 ? 0 : -1;
}

/* The whole model, nasty strings and all, gives a document valid
 * against etc/report.xsd; markup is escaped, controls replaced. */
START_TEST(xml_valid_full)
{
	struct report r = xml_sample();
	struct error err;
	char msg[1024] = "";
	char *data;
	size_t n;

	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_XML, NULL, &err), 0);
	ck_assert_msg(xml_validate(path_in("exceptions.xml"), msg,
				   sizeof(msg)) == 0, "%s", msg);
	data = slurp(path_in("exceptions.xml"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(strstr(data, "<report xmlns=\"urn:recon:report:1\">"));
	/* no raw control character, no U+FFFE, no raw markup from values */
	for (size_t i = 0; i < n; i++)
		ck_assert_msg((unsigned char)data[i] >= 0x20 || data[i] == '\n' ||
			      data[i] == '\t', "byte 0x%02x at %zu",
			      (unsigned char)data[i], i);
	ck_assert_ptr_null(strstr(data, "\xEF\xBF\xBE"));
	ck_assert_ptr_null(strstr(data, "<script"));
	ck_assert_ptr_null(strstr(data, "]]>"));
	ck_assert_ptr_nonnull(strstr(data, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c"
				     "\xEF\xBF\xBD" "d\xEF\xBF\xBD" "e]]&gt;&amp;&lt;&gt;"));
	ck_assert_ptr_nonnull(strstr(data, "\xF0\x9F\x98\x80"));
	ck_assert_ptr_nonnull(strstr(data, "&#13;"));	/* the CR kept */
	/* exact decimals, the lifecycle, the resolved one */
	ck_assert_ptr_nonnull(strstr(data, "<deal-amount>-12.50</deal-amount>"));
	ck_assert_ptr_nonnull(strstr(data, "<total currency=\"EUR\" records=\"2\">-12.50</total>"));
	ck_assert_ptr_nonnull(strstr(data, "<state>reopened</state>"));
	ck_assert_ptr_nonnull(strstr(data, "<age-days>6</age-days>"));
	ck_assert_ptr_nonnull(strstr(data, "<by>j.doe</by>"));
	ck_assert_ptr_nonnull(strstr(data, "<explained-before>true</explained-before>"));
	ck_assert_ptr_nonnull(strstr(data, "<resolved count=\"1\">"));
	ck_assert_ptr_nonnull(strstr(data, "<key>K9</key>"));
	ck_assert_ptr_nonnull(strstr(data, "<bucket days=\"31+\" count=\"0\"/>"));
	ck_assert_ptr_nonnull(strstr(data, "<run run-id=\"run-7\" as-of=\"2026-11-26T00:00:00Z\" exceptions=\"2\"/>"));
	ck_assert_ptr_nonnull(strstr(data, "<field name=\"order.fields.formula\">=1+1</field>"));
	ck_assert_ptr_nonnull(strstr(data, "<field name=\"deal.fields.&lt;b&gt;\">"));
	ck_assert_ptr_nonnull(strstr(data, "<rule-file sha256=\"" HEX64 "\">../rules/demo/translate.lua</rule-file>"));
	ck_assert_ptr_nonnull(strstr(data, "<mode>incremental</mode>"));
	free(data);
	error_release(&err);
}
END_TEST

/* The smallest report (no lifecycle, no exceptions) is valid too, and
 * an empty report's optional parts are left out. */
START_TEST(xml_valid_minimal)
{
	struct report r = xml_sample();
	struct error err;
	char msg[1024] = "";
	char *data;

	r.mode = NULL;
	r.nitems = 0;
	r.nresolved = 0;
	r.nageing = 0;
	r.ntrend = 0;
	r.nreferences = 0;
	r.nrule_files = 0;
	r.nsources = 0;
	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_XML, NULL, &err), 0);
	ck_assert_msg(xml_validate(path_in("exceptions.xml"), msg,
				   sizeof(msg)) == 0, "%s", msg);
	data = slurp(path_in("exceptions.xml"), NULL);
	ck_assert_ptr_null(strstr(data, "<ageing"));
	ck_assert_ptr_null(strstr(data, "<mode"));
	ck_assert_ptr_nonnull(strstr(data, "<exceptions count=\"0\"/>"));
	free(data);
	error_release(&err);
}
END_TEST

/* The schema is not a rubber stamp: a document with an amount that is
 * not a decimal, or a wrong state, fails validation. */
START_TEST(xml_schema_refuses)
{
	struct report r = xml_sample();
	struct error err;
	char msg[1024] = "";
	char *data, *p;
	FILE *f;

	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_XML, NULL, &err), 0);
	data = slurp(path_in("exceptions.xml"), NULL);
	p = strstr(data, "<state>reopened</state>");
	ck_assert_ptr_nonnull(p);
	memcpy(p + 7, "REOPENED", 8);
	f = fopen(path_in("bad.xml"), "wb");
	fputs(data, f);
	fclose(f);
	ck_assert_int_eq(xml_validate(path_in("bad.xml"), msg, sizeof(msg)), -1);
	free(data);

	/* the writer refuses an amount the schema would refuse */
	r.items = sample_items;	/* "1e5" as a deal amount */
	r.nitems = 2;
	ck_assert_int_eq(write_report(&r, path_in("sub"), REPORT_XML, NULL,
				      &err), -1);
	ck_assert_int_eq(err.code, ERR_REPORT);
	ck_assert_ptr_nonnull(strstr(err.msg.buf, strerror(EINVAL)));
	data = listing(path_in("sub"));
	ck_assert_str_eq(data, "");
	free(data);
	error_release(&err);
}
END_TEST

/* Every report file is 0640 whatever the umask (docs/REPORTS.md). */
START_TEST(file_mode_0640)
{
	struct report r = xml_sample();
	struct error err;
	const char *names[] = { "exceptions.csv", "exceptions-summary.csv",
				"exceptions.html", "exceptions.xml" };
	mode_t old = umask(0);
	struct stat st;

	error_init(&err);
	for (int pass = 0; pass < 2; pass++) {
		/* a permissive umask, then a replace under a strict one */
		umask(pass ? 077 : 0);
		ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV |
					      REPORT_HTML | REPORT_XML, NULL,
					      &err), 0);
		for (size_t i = 0; i < 4; i++) {
			ck_assert_int_eq(stat(path_in(names[i]), &st), 0);
			ck_assert_msg((st.st_mode & 07777) == 0640,
				      "%s: mode %o", names[i],
				      (unsigned)(st.st_mode & 07777));
		}
	}
	umask(old);
	error_release(&err);
}
END_TEST

/* CSV options: no BOM on request; the lifecycle cells; the full column
 * set keeps the default columns first and adds the rest of the
 * lifecycle. */
START_TEST(csv_options)
{
	struct report r = xml_sample();
	struct error err;
	struct csv c;
	char *data, *bomd;
	size_t n;

	error_init(&err);
	r.csv_columns = REPORT_CSV_FULL;
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV, NULL, &err), 0);
	data = slurp(path_in("exceptions.csv"), &n);
	ck_assert_int_eq(csv_parse(data, n, &c), 0);
	ck_assert_uint_eq(c.nrows, 4);
	ck_assert_uint_eq(c.rows[0].n, 18 + 3 + 9);
	ck_assert_str_eq(c.rows[0].f[21], "state");
	ck_assert_str_eq(c.rows[0].f[25], "note_text");
	ck_assert_str_eq(c.rows[0].f[26], "first_run");
	ck_assert_str_eq(c.rows[0].f[29], "explained_before");
	ck_assert_str_eq(c.rows[1].f[21], "reopened");
	ck_assert_str_eq(c.rows[1].f[22], "2026-11-20T00:00:00Z");
	ck_assert_str_eq(c.rows[1].f[23], "6");
	ck_assert_int_eq(c.rows[1].quoted[23], 0);
	ck_assert_str_eq(c.rows[1].f[24], "investigating");
	/* a note is text: its formula is neutralised */
	ck_assert(strncmp(c.rows[1].f[25], "'=cmd|", 6) == 0);
	ck_assert_str_eq(c.rows[1].f[26], "run-7");
	ck_assert_str_eq(c.rows[1].f[27], "j.doe");
	ck_assert_str_eq(c.rows[1].f[28], "2026-11-21T09:30:00Z");
	ck_assert_str_eq(c.rows[1].f[29], "yes");
	ck_assert_str_eq(c.rows[2].f[21], "new");
	ck_assert_str_eq(c.rows[2].f[29], "no");
	ck_assert_str_eq(c.rows[3].f[21], "");	/* no lifecycle */
	ck_assert_str_eq(c.rows[3].f[29], "");
	/* the control characters stay byte for byte in the CSV */
	ck_assert_ptr_nonnull(strstr(c.rows[1].f[17], "a\x01" "b\x0B"));
	csv_free(&c);
	free(data);

	r.csv_no_bom = 1;
	r.csv_columns = REPORT_CSV_DEFAULT;
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV, NULL, &err), 0);
	data = slurp(path_in("exceptions.csv"), &n);
	ck_assert(strncmp(data, "\"outcome\",", 10) == 0);
	/* the same bytes as with the BOM, less the BOM */
	bomd = malloc(n + 4);
	memcpy(bomd, "\xEF\xBB\xBF", 3);
	memcpy(bomd + 3, data, n + 1);
	ck_assert_int_eq(csv_parse(bomd, n + 3, &c), 0);
	ck_assert_uint_eq(c.rows[0].n, 18 + 3 + 5);
	ck_assert_str_eq(c.rows[0].f[25], "note_text");
	csv_free(&c);
	free(bomd);
	free(data);
	data = slurp(path_in("exceptions-summary.csv"), &n);
	ck_assert(strncmp(data, "\"section\",", 10) == 0);
	free(data);
	error_release(&err);
}
END_TEST

/* A report="false" field (full_only): in the full CSV set only, after
 * every other column; never in the default CSV, the HTML or the XML. */
static const struct report_column hidden_cols[] = {
	{ "order.fields.secret_ref", 0, 1 },
	{ "order.fields.region", 0, 0 },
	{ "erp.fields.cost", 1, 1 },
};

static const char *const hidden_vals[] = { "=SECRET-1", "north", "-7.25" };

START_TEST(full_only_columns)
{
	struct report r = xml_sample();
	struct report_item items[3];
	struct error err;
	struct csv c;
	char msg[1024] = "";
	char *data;
	size_t n;

	memcpy(items, xml_items, sizeof(items));
	items[0].fields = hidden_vals;
	items[2].fields = NULL;
	r.items = items;
	r.columns = hidden_cols;
	r.ncolumns = 3;
	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV | REPORT_HTML |
				      REPORT_XML, NULL, &err), 0);
	data = slurp(path_in("exceptions.csv"), &n);
	ck_assert_int_eq(csv_parse(data, n, &c), 0);
	ck_assert_uint_eq(c.rows[0].n, 18 + 1 + 5);
	ck_assert_str_eq(c.rows[0].f[18], "order.fields.region");
	ck_assert_str_eq(c.rows[1].f[18], "north");
	csv_free(&c);
	ck_assert_ptr_null(strstr(data, "SECRET"));
	ck_assert_ptr_null(strstr(data, "cost"));
	free(data);
	data = slurp(path_in("exceptions.html"), NULL);
	ck_assert_ptr_null(strstr(data, "SECRET"));
	ck_assert_ptr_null(strstr(data, "secret_ref"));
	ck_assert_ptr_nonnull(strstr(data, "north"));
	free(data);
	data = slurp(path_in("exceptions.xml"), NULL);
	ck_assert_ptr_null(strstr(data, "SECRET"));
	ck_assert_ptr_nonnull(strstr(data, ">north</field>"));
	free(data);
	ck_assert_msg(xml_validate(path_in("exceptions.xml"), msg,
				   sizeof(msg)) == 0, "%s", msg);

	r.csv_columns = REPORT_CSV_FULL;
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV, NULL, &err), 0);
	data = slurp(path_in("exceptions.csv"), &n);
	ck_assert_int_eq(csv_parse(data, n, &c), 0);
	ck_assert_uint_eq(c.rows[0].n, 18 + 1 + 9 + 2);
	ck_assert_str_eq(c.rows[0].f[18], "order.fields.region");
	ck_assert_str_eq(c.rows[0].f[28], "order.fields.secret_ref");
	ck_assert_str_eq(c.rows[0].f[29], "erp.fields.cost");
	ck_assert_str_eq(c.rows[1].f[28], "'=SECRET-1");	/* neutralised */
	ck_assert_str_eq(c.rows[1].f[29], "-7.25");
	ck_assert_int_eq(c.rows[1].quoted[29], 0);		/* a number */
	ck_assert_str_eq(c.rows[3].f[28], "");
	csv_free(&c);
	free(data);
	error_release(&err);
}
END_TEST

/* The XML writer under the fault loops: every write libxml2 makes goes
 * through report_io.write, every buffer of ours through mem; each
 * failure is the right error and leaves nothing behind, and the run
 * that gets through writes a valid document. */
START_TEST(xml_faults)
{
	struct report r = xml_sample();
	struct error err;
	char msg[1024] = "";
	char *ls;
	long n;
	int writes = 0;

	error_init(&err);
	for (n = 0; n < 10000; n++) {
		int rc;

		io_left = n;
		io_hit = NULL;
		report_io = faulty_io;
		rc = write_report(&r, tmpdir, REPORT_XML, NULL, &err);
		report_io = report_io_default;
		io_left = -1;
		if (rc == 0)
			break;
		ck_assert_int_eq(err.code, ERR_REPORT);
		ck_assert_ptr_nonnull(strstr(err.msg.buf, strerror(io_errno)));
		writes += io_hit && !strcmp(io_hit, "write");
		ls = listing(tmpdir);
		ck_assert_str_eq(ls, "");
		free(ls);
		error_clear(&err);
	}
	ck_assert_int_lt(n, 10000);
	ck_assert_int_gt(writes, 1);	/* libxml2 wrote in several pieces */
	ck_assert_msg(xml_validate(path_in("exceptions.xml"), msg,
				   sizeof(msg)) == 0, "%s", msg);
	ck_assert_int_eq(unlink(path_in("exceptions.xml")), 0);

	for (n = 0; n < 10000; n++) {
		int rc;

		mem_fault_after(n);
		rc = write_report(&r, tmpdir, REPORT_XML, NULL, &err);
		mem_fault_off();
		if (rc == 0)
			break;
		ck_assert_int_eq(err.code, ERR_NOMEM);
		ls = listing(tmpdir);
		ck_assert_str_eq(ls, "");
		free(ls);
		error_release(&err);
	}
	ck_assert_int_lt(n, 10000);
	ck_assert_int_gt(n, 2);
	ck_assert_msg(xml_validate(path_in("exceptions.xml"), msg,
				   sizeof(msg)) == 0, "%s", msg);
	error_release(&err);
}
END_TEST

Suite *suite_report(void)
{
	Suite *s = suite_create("report");
	TCase *t = tcase_create("report");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, csv_field_rules);
	tcase_add_test(t, html_escape_rules);
	tcase_add_test(t, csv_items_roundtrip);
	tcase_add_test(t, site_field_columns);
	tcase_add_test(t, no_field_columns_unchanged);
	tcase_add_test(t, csv_summary_totals);
	tcase_add_test(t, references_shown);
	tcase_add_test(t, html_page);
	tcase_add_test(t, json_escape_rules);
	tcase_add_test(t, csp_hash_known);
	tcase_add_test(t, html_lifecycle);
	tcase_add_test(t, html_no_exceptions);
	tcase_add_test(t, paths_and_mkdir);
	tcase_add_test(t, bad_arguments);
	tcase_add_test(t, replace_atomically);
	tcase_add_test(t, io_faults_replace);
	tcase_add_test(t, io_faults_fresh);
	tcase_add_test(t, mem_faults);
	tcase_add_test(t, xml_valid_full);
	tcase_add_test(t, xml_valid_minimal);
	tcase_add_test(t, xml_schema_refuses);
	tcase_add_test(t, file_mode_0640);
	tcase_add_test(t, csv_options);
	tcase_add_test(t, xml_faults);
	tcase_add_test(t, full_only_columns);
	tcase_add_test(t, shadow_set_faults);
	suite_add_tcase(s, t);
	return s;
}
