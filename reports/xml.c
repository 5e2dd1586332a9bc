/*
 * xml.c - BASENAME.xml: the whole report for other systems, in the
 * namespace REPORT_XML_NS and described by etc/report.xsd
 * (docs/REPORTS.md, "XML").
 *
 * Written with libxml2's xmlTextWriter, whose output buffer is a pair
 * of callbacks into the report sink: every byte goes through
 * report_io.write like the other formats, so the fault loops of the
 * unit tests cover this file too, and we hold one buffer of bytes at a
 * time, not the document.
 *
 * Invariants: values are UTF-8 (the engine validates its input), but
 * XML 1.0 cannot carry every UTF-8 character: the C0 controls other
 * than TAB, LF and CR, and U+FFFE/U+FFFF, are each replaced by U+FFFD
 * (the CSV keeps them byte for byte). Amounts are xs:decimal: an amount
 * that is not a plain decimal (the engine formats them with
 * money_format, so only a broken caller passes one) makes the write
 * fail with EINVAL rather than produce a document the schema refuses.
 * The first failure is sticky (struct xw), so a writer function may
 * emit a whole element and check once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "report_int.h"
#include "engine/banned.h"

/* A document being written: the writer, our sink, scratch for cleaned
 * text, and whether anything failed. */
struct xw {
	xmlTextWriterPtr w;
	struct report_sink *s;
	struct sbuf text;
	int failed;
};

/* ---- the output buffer: libxml2's bytes into the sink ---- */

static int out_write(void *ctx, const char *buf, int len)
{
	struct report_sink *s = ctx;

	if (len <= 0)
		return 0;
	if (sbuf_add(&s->buf, buf, (size_t)len) < 0) {
		s->nomem = 1;
		return -1;
	}
	return report_sink_flush(s) < 0 ? -1 : len;
}

/* libxml2 reports a failed write on its error handlers (stderr by
 * default); ours is already in the sink, and library code never
 * prints. */
static void quiet(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

static void quiet_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static int out_close(void *ctx)
{
	(void)ctx;	/* the sink is closed by report.c */
	return 0;
}

/* ---- text ---- */

/* 1 if the UTF-8 sequence at p (n bytes) is a character XML 1.0
 * allows (the input is valid UTF-8: only these two cases remain). */
static int xml_char_ok(const unsigned char *p, size_t n)
{
	if (n == 1)
		return p[0] >= 0x20 || p[0] == '\t' || p[0] == '\n' ||
		       p[0] == '\r';
	/* U+FFFE, U+FFFF: EF BF BE, EF BF BF */
	return !(n == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE);
}

static size_t utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xF0)
		return 4;
	if (c >= 0xE0)
		return 3;
	return 2;
}

/* s with every character XML 1.0 does not allow replaced by U+FFFD, in
 * x->text (NULL: out of memory). */
static const char *clean(struct xw *x, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	sbuf_reset(&x->text);
	while (*p) {
		size_t n = utf8_len(*p);

		for (size_t i = 1; i < n; i++)
			if (!p[i])
				n = i;	/* not UTF-8 after all: stop at NUL */
		if (xml_char_ok(p, n))
			sbuf_add(&x->text, p, n);
		else
			sbuf_addstr(&x->text, "\xEF\xBF\xBD");
		p += n;
	}
	if (sbuf_addch(&x->text, '\0') < 0 || x->text.failed)
		return NULL;
	return x->text.buf;
}

static void check(struct xw *x, int rc)
{
	if (rc < 0)
		x->failed = 1;
}

static void start(struct xw *x, const char *name)
{
	if (!x->failed)
		check(x, xmlTextWriterStartElement(x->w, BAD_CAST name));
}

static void end(struct xw *x)
{
	if (!x->failed)
		check(x, xmlTextWriterEndElement(x->w));
}

static void text(struct xw *x, const char *s)
{
	const char *c;

	if (x->failed)
		return;
	c = clean(x, s);
	if (!c) {
		x->s->nomem = 1;
		x->failed = 1;
		return;
	}
	check(x, xmlTextWriterWriteString(x->w, BAD_CAST c));
}

static void attr(struct xw *x, const char *name, const char *v)
{
	const char *c;

	if (x->failed || !v)
		return;
	c = clean(x, v);
	if (!c) {
		x->s->nomem = 1;
		x->failed = 1;
		return;
	}
	check(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST c));
}

static void attr_u64(struct xw *x, const char *name, uint64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	attr(x, name, num);
}

/* <name>s</name>, nothing for NULL (the schema makes it optional). */
static void elem(struct xw *x, const char *name, const char *s)
{
	if (!s)
		return;
	start(x, name);
	text(x, s);
	end(x);
}

/* An xs:decimal element; a value that is not one fails the write. */
static void elem_amount(struct xw *x, const char *name, const char *s)
{
	if (!s || x->failed)
		return;
	if (!report_is_plain_decimal(s)) {
		x->s->err = EINVAL;
		x->failed = 1;
		return;
	}
	elem(x, name, s);
}

static void elem_i64(struct xw *x, const char *name, int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64, v);
	elem(x, name, num);
}

/* <total currency="EUR" records="N">AMOUNT</total> for each of t. */
static void totals(struct xw *x, const struct report_total *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!t[i].amount || !report_is_plain_decimal(t[i].amount)) {
			if (!x->failed)
				x->s->err = EINVAL;
			x->failed = 1;
			return;
		}
		start(x, "total");
		attr(x, "currency", t[i].currency ? t[i].currency : "");
		attr_u64(x, "records", t[i].count);
		text(x, t[i].amount);
		end(x);
	}
}

/* ---- the parts, in the order of etc/report.xsd ---- */

static void header(struct xw *x, const struct report *r)
{
	start(x, "header");
	elem(x, "job", r->job);
	elem(x, "run-id", r->run_id);
	elem(x, "as-of", r->as_of);
	elem(x, "mode", r->mode);
	elem(x, "started", r->started);
	elem(x, "finished", r->finished);
	elem(x, "rules-hash", r->rules_hash);
	elem(x, "recon-version", r->version);
	start(x, "rule-files");
	for (size_t i = 0; i < r->nrule_files; i++) {
		start(x, "rule-file");
		attr(x, "sha256", r->rule_files[i].sha256);
		text(x, r->rule_files[i].file);
		end(x);
	}
	end(x);
	start(x, "references");
	for (size_t i = 0; i < r->nreferences; i++) {
		const struct report_reference *f = &r->references[i];

		start(x, "reference");
		attr(x, "name", f->name);
		attr(x, "origin", f->origin);
		attr_u64(x, "rows", f->rows);
		attr(x, "rows-hash", f->rows_hash);
		end(x);
	}
	end(x);
	end(x);
}

static void sources(struct xw *x, const struct report *r)
{
	start(x, "sources");
	for (size_t i = 0; i < r->nsources; i++) {
		const struct report_source *s = &r->sources[i];

		start(x, "source");
		attr(x, "name", s->name);
		attr(x, "role", s->role);
		attr(x, "dsn", s->dsn);
		attr_u64(x, "rows-read", s->rows_read);
		attr_u64(x, "rows-kept", s->rows_kept);
		attr_u64(x, "rows-skipped", s->rows_skipped);
		attr_u64(x, "rows-failed", s->rows_failed);
		totals(x, s->totals, s->ntotals);
		end(x);
	}
	end(x);
}

static void outcomes(struct xw *x, const struct report *r)
{
	start(x, "outcomes");
	for (size_t i = 0; i < r->noutcomes; i++) {
		const struct report_outcome *o = &r->outcomes[i];

		start(x, "outcome");
		attr(x, "code", o->code);
		attr(x, "exception", o->is_exception ? "true" : "false");
		attr_u64(x, "count", o->count);
		elem(x, "description", o->description);
		totals(x, o->totals, o->ntotals);
		end(x);
	}
	end(x);
}

static void ageing(struct xw *x, const struct report *r)
{
	if (!r->nageing)
		return;
	start(x, "ageing");
	for (size_t i = 0; i < r->nageing; i++) {
		start(x, "bucket");
		attr(x, "days", r->ageing[i].bucket);
		attr_u64(x, "count", r->ageing[i].count);
		totals(x, r->ageing[i].totals, r->ageing[i].ntotals);
		end(x);
	}
	end(x);
}

static void trend(struct xw *x, const struct report *r)
{
	if (!r->ntrend)
		return;
	start(x, "trend");
	for (size_t i = 0; i < r->ntrend; i++) {
		start(x, "run");
		attr(x, "run-id", r->trend[i].run_id);
		attr(x, "as-of", r->trend[i].as_of);
		attr_u64(x, "exceptions", r->trend[i].exceptions);
		end(x);
	}
	end(x);
}

static void life(struct xw *x, const struct report_life *l)
{
	if (!l)
		return;
	start(x, "life");
	elem(x, "state", l->state);
	elem(x, "first-run", l->first_run);
	elem(x, "first-as-of", l->first_as_of);
	elem_i64(x, "age-days", l->age_days);
	if (l->note_state || l->note_text || l->note_by || l->note_time) {
		start(x, "note");
		elem(x, "state", l->note_state);
		elem(x, "text", l->note_text);
		elem(x, "by", l->note_by);
		elem(x, "time", l->note_time);
		end(x);
	}
	elem(x, "explained-before", l->explained_before ? "true" : "false");
	end(x);
}

static void item(struct xw *x, const struct report *r,
		 const struct report_item *it)
{
	start(x, "exception");
	elem(x, "outcome", it->outcome);
	elem(x, "severity", it->severity);
	elem(x, "key", it->key);
	elem(x, "deal-key", it->deal_key);
	elem(x, "order-key", it->order_key);
	elem(x, "order-keys", it->order_keys);
	elem(x, "erp-keys", it->erp_keys);
	elem(x, "customer", it->customer);
	elem(x, "currency", it->currency);
	elem_amount(x, "deal-amount", it->deal_amount);
	elem_amount(x, "order-amount", it->order_amount);
	elem_amount(x, "erp-amount", it->erp_amount);
	{
		struct sbuf d = SBUF_INIT(256);

		elem_amount(x, "difference", report_difference(&d, it));
		sbuf_release(&d);
	}
	elem_amount(x, "tolerance", it->tolerance);
	elem(x, "name", it->name);
	elem(x, "rule", it->rule);
	elem(x, "where", it->where);
	elem(x, "message", it->message);
	if (it->fields && r->ncolumns) {
		start(x, "fields");
		for (size_t c = 0; c < r->ncolumns; c++) {
			if (!it->fields[c] || r->columns[c].full_only)
				continue;
			start(x, "field");
			attr(x, "name", r->columns[c].name);
			text(x, it->fields[c]);
			end(x);
		}
		end(x);
	}
	life(x, it->life);
	end(x);
}

/* One exception per element, each flushed: the memory held is one
 * element's, however many there are. */
static void items(struct xw *x, const struct report *r, const char *name,
		  const struct report_item *v, size_t n)
{
	start(x, name);
	attr_u64(x, "count", n);
	for (size_t i = 0; i < n && !x->failed; i++) {
		item(x, r, &v[i]);
		if (!x->failed)
			check(x, xmlTextWriterFlush(x->w));
	}
	end(x);
}

static int write_document(const struct report *r, struct report_sink *s);

int report_xml_document(const struct report *r, struct report_sink *s)
{
	/* the handlers are per thread in libxml2: put back the caller's */
	xmlGenericErrorFunc old_generic = xmlGenericError;
	void *old_generic_ctx = xmlGenericErrorContext;
	xmlStructuredErrorFunc old_structured = xmlStructuredError;
	void *old_structured_ctx = xmlStructuredErrorContext;
	int rc;

	xmlSetGenericErrorFunc(NULL, quiet);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
	rc = write_document(r, s);
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
	xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
	return rc;
}

static int write_document(const struct report *r, struct report_sink *s)
{
	struct xw x;
	xmlOutputBufferPtr ob;

	x.s = s;
	x.failed = 0;
	sbuf_init(&x.text, SBUF_CAP_DEFAULT);
	ob = xmlOutputBufferCreateIO(out_write, out_close, s, NULL);
	if (!ob) {
		s->nomem = 1;
		sbuf_release(&x.text);
		return -1;
	}
	x.w = xmlNewTextWriter(ob);	/* owns ob from here on */
	if (!x.w) {
		xmlOutputBufferClose(ob);
		s->nomem = 1;
		sbuf_release(&x.text);
		return -1;
	}
	check(&x, xmlTextWriterSetIndent(x.w, 1));
	if (!x.failed)
		check(&x, xmlTextWriterSetIndentString(x.w, BAD_CAST "  "));
	if (!x.failed)
		check(&x, xmlTextWriterStartDocument(x.w, "1.0", "UTF-8", NULL));
	if (!x.failed)
		check(&x, xmlTextWriterStartElementNS(x.w, NULL,
				BAD_CAST "report", BAD_CAST REPORT_XML_NS));
	header(&x, r);
	sources(&x, r);
	outcomes(&x, r);
	ageing(&x, r);
	trend(&x, r);
	items(&x, r, "exceptions", r->items, r->nitems);
	items(&x, r, "resolved", r->resolved, r->nresolved);
	end(&x);
	if (!x.failed)
		check(&x, xmlTextWriterEndDocument(x.w));
	if (!x.failed)
		check(&x, xmlTextWriterFlush(x.w));
	xmlFreeTextWriter(x.w);
	sbuf_release(&x.text);
	if (x.failed) {
		/* libxml2's own failure (memory) when the sink had none */
		if (!s->err && !s->nomem)
			s->nomem = 1;
		return -1;
	}
	return report_sink_flush(s);
}
