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

#include "reports/report.h"
#include "reports/report_int.h"
#include "engine/err.h"
#include "engine/mem.h"

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
	  "rules/amount.lua:12", "deal says \"100\", ERP says 99.99", NULL, NULL },
	{ "=HYPERLINK(\"x\")", "warning", "+1", "-2+3", "@SUM(A1)", NULL,
	  "-INV", 	  "\xE6\xA0\xAA\xE5\xBC\x8F\xE4\xBC\x9A\xE7\xA4\xBE", "\tTAB",
	  "1e5", "-1,00", "12.", "a,b", "line1\r\nline2\nline3",
	  "\rCR", "", NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
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
	"currency", "deal_amount", "order_amount", "erp_amount", "name",
	"rule", "where", "message"
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
	struct error err;
	struct csv c;
	char *data;
	size_t n;

	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV, NULL, &err), 0);
	data = slurp(path_in("exceptions.csv"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(csv_parse(data, n, &c), 0);
	ck_assert_uint_eq(c.nrows, 1 + r.nitems);
	ck_assert_uint_eq(c.rows[0].n, 16);
	for (size_t k = 0; k < 16; k++) {
		ck_assert_str_eq(c.rows[0].f[k], item_header[k]);
		ck_assert_int_eq(c.rows[0].quoted[k], 1);
	}
	for (size_t i = 0; i < r.nitems; i++) {
		const struct report_item *it = &r.items[i];
		const char *v[16] = {
			it->outcome, it->severity, it->key, it->deal_key,
			it->order_key, it->order_keys, it->erp_keys,
			it->customer, it->currency,
			it->deal_amount, it->order_amount, it->erp_amount,
			it->name, it->rule, it->where, it->message
		};

		ck_assert_uint_eq(c.rows[i + 1].n, 16);
		for (size_t k = 0; k < 16; k++)
			check_cell(&c.rows[i + 1], k, v[k], k >= 9 && k <= 11);
	}
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
	ck_assert_str_eq(c.rows[2].f[13], "line1\r\nline2\nline3");
	ck_assert_str_eq(c.rows[1].f[15], "deal says \"100\", ERP says 99.99");
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
	{ "order.fields.region", 0 },
	{ "erp.fields.qty", 1 },
	{ "deal.fields.<b>", 0 },
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
		ck_assert_uint_eq(c.rows[i].n, 19);
	ck_assert_str_eq(c.rows[0].f[15], "message");
	ck_assert_str_eq(c.rows[0].f[16], "order.fields.region");
	ck_assert_str_eq(c.rows[0].f[18], "deal.fields.<b>");
	ck_assert_str_eq(c.rows[1].f[16], "'=cmd|' /C calc'!A0");
	ck_assert_str_eq(c.rows[1].f[17], "12");
	ck_assert_int_eq(c.rows[1].quoted[17], 0);
	ck_assert_str_eq(c.rows[1].f[18], SCRIPT);
	ck_assert_str_eq(c.rows[2].f[16], "");
	ck_assert_str_eq(c.rows[2].f[17], "-3");
	ck_assert_int_eq(c.rows[2].quoted[17], 0);
	for (size_t k = 16; k < 19; k++)
		ck_assert_str_eq(c.rows[3].f[k], "");
	csv_free(&c);
	free(data);

	data = slurp(path_in("exceptions.html"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(strstr(data, "<th scope=\"col\">Message</th>"
				     "<th scope=\"col\">order.<wbr>fields.<wbr>region</th>"
				     "<th scope=\"col\">erp.<wbr>fields.<wbr>qty</th>"
				     "<th scope=\"col\">deal.<wbr>fields.<wbr>&lt;b&gt;</th>"
				     "</tr>"));
	ck_assert_ptr_nonnull(strstr(data, "<td>=cmd|&#39; /C calc&#39;!A0</td>"
				     "<td class=\"num\">12</td>"
				     "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr>"));
	ck_assert_ptr_nonnull(strstr(data, "<td></td><td class=\"num\">-3</td>"
				     "<td></td></tr>"));
	ck_assert_ptr_null(strstr(data, "<script"));
	ck_assert_ptr_null(strstr(data, "<b>"));
	free(data);
	error_release(&err);
}
END_TEST

/* No site-defined field to show: the header is the 16 fixed columns, as
 * before the feature (a site that declares none sees no change). */
START_TEST(no_field_columns_unchanged)
{
	struct report r = sample();
	struct error err;
	char *data;
	size_t n;
	const char *want = "\xEF\xBB\xBF\"outcome\",\"severity\",\"key\","
		"\"deal_key\",\"order_key\",\"order_keys\",\"erp_keys\","
		"\"customer\",\"currency\",\"deal_amount\",\"order_amount\","
		"\"erp_amount\",\"name\",\"rule\",\"where\",\"message\"\r\n";

	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_CSV | REPORT_HTML,
				      NULL, &err), 0);
	data = slurp(path_in("exceptions.csv"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert(strncmp(data, want, strlen(want)) == 0);
	free(data);
	data = slurp(path_in("exceptions.html"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(strstr(data, "<th scope=\"col\">Message</th>"
				     "</tr></thead>"));
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

START_TEST(html_page)
{
	struct report r = sample();
	struct error err;
	char *data;
	size_t n;

	error_init(&err);
	ck_assert_int_eq(write_report(&r, tmpdir, REPORT_HTML, NULL, &err), 0);
	data = slurp(path_in("exceptions.html"), &n);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(strlen(data), n);
	ck_assert(strncmp(data, "<!DOCTYPE html>", 15) == 0);
	ck_assert_ptr_nonnull(strstr(data, "<meta charset=\"utf-8\">"));
	ck_assert_ptr_nonnull(strstr(data,
		"<meta http-equiv=\"Content-Security-Policy\" "
		"content=\"default-src 'none'; style-src 'unsafe-inline'\">"));
	/* The deal name: escaped, never raw; and no script at all. */
	ck_assert_ptr_nonnull(strstr(data,
		"&lt;script&gt;alert(1)&lt;/script&gt;"));
	ck_assert_ptr_null(strstr(data, SCRIPT));
	ck_assert(!contains_ci(data, "<script"));
	ck_assert(!contains_ci(data, "http:"));
	ck_assert(!contains_ci(data, "https:"));
	ck_assert(!contains_ci(data, " src="));
	ck_assert(!contains_ci(data, "<link"));
	ck_assert(!contains_ci(data, "url("));
	/* Header values escaped. */
	ck_assert_ptr_nonnull(strstr(data,
		"nightly &lt;&amp;&gt; &#39;q&#39; &quot;dq&quot;"));
	ck_assert_ptr_nonnull(strstr(data, "run-20240501-01"));
	ck_assert_ptr_nonnull(strstr(data, "2024-05-01T02:03:10Z"));
	ck_assert_ptr_nonnull(strstr(data, "sha256:abc123"));
	ck_assert_ptr_nonnull(strstr(data, "recon 0.1"));
	/* Control totals and outcomes. */
	ck_assert_ptr_nonnull(strstr(data, "Control totals by source"));
	ck_assert_ptr_nonnull(strstr(data, "deals &lt;crm&gt;"));
	ck_assert_ptr_nonnull(strstr(data, "crm&amp;co"));
	ck_assert_ptr_nonnull(strstr(data, "<td rowspan=\"2\" class=\"num\">1204</td>"));
	ck_assert_ptr_nonnull(strstr(data, "<td class=\"num\">12345.67</td>"));
	ck_assert_ptr_nonnull(strstr(data, "<td class=\"num\">-42.10</td>"));
	ck_assert_ptr_nonnull(strstr(data, "<td>AMOUNT_MISMATCH</td><td>amounts differ</td><td class=\"num\">7</td>"));
	/* Exceptions, UTF-8 byte-exact, quotes escaped. */
	ck_assert_ptr_nonnull(strstr(data, "M\xC3\xBCller GmbH"));
	ck_assert_ptr_nonnull(strstr(data,
		"\xE6\xA0\xAA\xE5\xBC\x8F\xE4\xBC\x9A\xE7\xA4\xBE"));
	ck_assert_ptr_nonnull(strstr(data, "=HYPERLINK(&quot;x&quot;)"));
	ck_assert_ptr_nonnull(strstr(data, "Exceptions (3)"));
	/* A message without spaces (a rule's 4096-byte cut text) wraps
	 * inside its cell instead of widening the page past the screen. */
	ck_assert_ptr_nonnull(strstr(data, "td.msg{white-space:pre-wrap;"
				     "overflow-wrap:anywhere;"));
	ck_assert(n > 15 && strcmp(data + n - 8, "</html>\n") == 0);
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
	tcase_add_test(t, html_no_exceptions);
	tcase_add_test(t, paths_and_mkdir);
	tcase_add_test(t, bad_arguments);
	tcase_add_test(t, replace_atomically);
	tcase_add_test(t, io_faults_replace);
	tcase_add_test(t, io_faults_fresh);
	tcase_add_test(t, mem_faults);
	suite_add_tcase(s, t);
	return s;
}
