/*
 * snapshot.c - the report a run wrote, kept in T_report (see snapshot.h
 * for the table and the hash; docs/STORE.md for the JSON of a line).
 *
 * The JSON is written and read with Jansson. A line is one object: the
 * header a handful of arrays, an exception line one object with a member
 * per report_item field that is not NULL (absent = NULL, so that "" and
 * NULL stay apart and the writers print exactly what they printed).
 * Reading copies every string into the snapshot's arena and frees the
 * parsed line at once: 200,000 lines as Jansson objects would take
 * several hundred MB, as arena strings about what the JSON takes.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "arena.h"
#include "dialect.h"
#include "mem.h"
#include "snapshot.h"
#include "store.h"
#include "text.h"
#include "banned.h"

/* The columns of T_report, in hashing order. */
enum { S_RUN, S_LINE, S_JSON, S_PREV, S_HASH, S__COUNT };
static const char *const col_names[S__COUNT] = {
	"run_id", "line_no", "line", "prev_hash", "hash",
};

struct snapshot_int {
	struct arena a;
};

static int nomem(struct error *err)
{
	return error_set(err, ERR_NOMEM, "out of memory (kept report)");
}

/* A connector's failure on the store is the store's. */
static int store_err(struct error *err, const char *table, const char *what)
{
	if (err->code == ERR_SOURCE || err->code == ERR_DATA)
		err->code = ERR_STORE;
	return error_context(err, "table '%s_report', %s", table, what);
}

/* ---- the table and the hash ------------------------------------------ */

static int create_sql(const struct dialect *d, const char *table, size_t i,
		      struct sbuf *sql)
{
	if (i)
		return 0;
	sbuf_reset(sql);
	sbuf_addstr(sql, "CREATE TABLE ");
	dialect_store_ident(d, sql, table, "_report");
	sbuf_addstr(sql, " (");
	dialect_column(d, sql, "run_id", DT_ID, " NOT NULL, ");
	dialect_column(d, sql, "line_no", DT_INT, " NOT NULL, ");
	dialect_column(d, sql, "line", DT_TEXT, " NOT NULL, ");
	dialect_column(d, sql, "prev_hash", DT_TEXT, " NOT NULL, ");
	dialect_column(d, sql, "hash", DT_TEXT, " NOT NULL, ");
	sbuf_addstr(sql, "PRIMARY KEY (run_id, line_no))");
	sbuf_addstr(sql, d->table_options);
	return sql->failed ? -1 : 1;
}

int snapshot_ensure(struct conn *c, const char *table, int own_tx,
		    struct error *err)
{
	if (store_aux_ensure(c, table, "_report", create_sql,
			     dialect_report_insert_only_sql, own_tx, err) < 0)
		return err->code == ERR_NOMEM ? -1
		       : store_err(err, table, "creating it with its "
				   "insert-only triggers (it needs the CREATE "
				   "and TRIGGER privileges once)");
	return 0;
}

/* The hash of one line (out: LEDGER_HEX bytes). */
static int line_hash(const char *run_id, const char *line_no,
		     const char *line, const char *prev, char *out,
		     struct error *err)
{
	struct sbuf sb = SBUF_INIT((size_t)1 << 30);
	int rc;

	text_add_field(&sb, col_names[S_RUN], run_id);
	text_add_field(&sb, col_names[S_LINE], line_no);
	text_add_field(&sb, col_names[S_JSON], line);
	text_add_field(&sb, col_names[S_PREV], prev);
	rc = sb.failed ? nomem(err)
		       : ledger_sha256_hex(sb.buf, sb.len, out, err);
	sbuf_release(&sb);
	return rc;
}

/* ---- writing --------------------------------------------------------- */

/* Members of an object being built; `bad` is set once anything fails
 * (out of memory, or a text that is not UTF-8: json_string refuses it). */
struct jw {
	int bad;
};

static void put(struct jw *w, json_t *o, const char *k, json_t *v)
{
	if (!v || json_object_set_new(o, k, v) < 0)
		w->bad = 1;
}

static void put_s(struct jw *w, json_t *o, const char *k, const char *v)
{
	if (v)
		put(w, o, k, json_string(v));
}

static void put_u(struct jw *w, json_t *o, const char *k, uint64_t v)
{
	put(w, o, k, json_integer((json_int_t)v));
}

static void append(struct jw *w, json_t *a, json_t *v)
{
	if (!v || json_array_append_new(a, v) < 0)
		w->bad = 1;
}

static json_t *totals_json(struct jw *w, const struct report_total *t,
			   size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		json_t *o = json_object();

		if (o) {
			put_s(w, o, "currency", t[i].currency);
			put_s(w, o, "amount", t[i].amount);
			put_u(w, o, "count", t[i].count);
		}
		append(w, a, o);
	}
	if (!a)
		w->bad = 1;
	return a;
}

static json_t *item_json(struct jw *w, const struct report_item *it,
			 size_t ncolumns)
{
	json_t *o = json_object();

	if (!o) {
		w->bad = 1;
		return NULL;
	}
	put_s(w, o, "outcome", it->outcome);
	put_s(w, o, "severity", it->severity);
	put_s(w, o, "key", it->key);
	put_s(w, o, "deal_key", it->deal_key);
	put_s(w, o, "order_key", it->order_key);
	put_s(w, o, "order_keys", it->order_keys);
	put_s(w, o, "erp_keys", it->erp_keys);
	put_s(w, o, "customer", it->customer);
	put_s(w, o, "currency", it->currency);
	put_s(w, o, "deal_amount", it->deal_amount);
	put_s(w, o, "order_amount", it->order_amount);
	put_s(w, o, "erp_amount", it->erp_amount);
	put_s(w, o, "difference", it->difference);
	put_s(w, o, "tolerance", it->tolerance);
	put_s(w, o, "name", it->name);
	put_s(w, o, "rule", it->rule);
	put_s(w, o, "where", it->where);
	put_s(w, o, "message", it->message);
	if (it->fields) {
		json_t *a = json_array();

		for (size_t i = 0; a && i < ncolumns; i++)
			append(w, a, it->fields[i] ? json_string(it->fields[i])
						   : json_null());
		put(w, o, "fields", a);
	}
	if (it->life) {
		const struct report_life *l = it->life;
		json_t *lo = json_object();

		if (lo) {
			put_s(w, lo, "state", l->state);
			put_s(w, lo, "first_run", l->first_run);
			put_s(w, lo, "first_as_of", l->first_as_of);
			put(w, lo, "age_days", json_integer(l->age_days));
			put_s(w, lo, "note_state", l->note_state);
			put_s(w, lo, "note_text", l->note_text);
			put_s(w, lo, "note_by", l->note_by);
			put_s(w, lo, "note_time", l->note_time);
			put(w, lo, "explained_before",
			    json_boolean(l->explained_before));
		}
		put(w, o, "life", lo);
	}
	return o;
}

static json_t *header_json(struct jw *w, const struct report *r,
			   unsigned formats, const char *basename,
			   uint64_t lines)
{
	json_t *o = json_object(), *a;

	if (!o) {
		w->bad = 1;
		return NULL;
	}
	put_u(w, o, "v", SNAPSHOT_VERSION);
	put_s(w, o, "job", r->job);
	put_s(w, o, "run_id", r->run_id);
	put_s(w, o, "as_of", r->as_of);
	put_s(w, o, "started", r->started);
	put_s(w, o, "finished", r->finished);
	put_s(w, o, "rules_hash", r->rules_hash);
	put_s(w, o, "version", r->version);
	put_s(w, o, "mode", r->mode);
	put_s(w, o, "basename", basename);
	put_u(w, o, "formats", formats);
	put(w, o, "csv_no_bom", json_boolean(r->csv_no_bom));
	put_u(w, o, "csv_columns", (uint64_t)r->csv_columns);
	put_u(w, o, "items", r->nitems);
	put_u(w, o, "resolved", r->nresolved);
	/* the writers tell "no lifecycle" (NULL) from "none resolved" */
	put(w, o, "resolved_known", json_boolean(r->resolved != NULL));
	put_u(w, o, "lines", lines);
	a = json_array();
	for (size_t i = 0; a && i < r->nrule_files; i++) {
		json_t *e = json_object();

		if (e) {
			put_s(w, e, "file", r->rule_files[i].file);
			put_s(w, e, "sha256", r->rule_files[i].sha256);
		}
		append(w, a, e);
	}
	put(w, o, "rule_files", a);
	a = json_array();
	for (size_t i = 0; a && i < r->nsources; i++) {
		const struct report_source *s = &r->sources[i];
		json_t *e = json_object();

		if (e) {
			put_s(w, e, "name", s->name);
			put_s(w, e, "role", s->role);
			put_s(w, e, "dsn", s->dsn);
			put_u(w, e, "rows_read", s->rows_read);
			put_u(w, e, "rows_kept", s->rows_kept);
			put_u(w, e, "rows_skipped", s->rows_skipped);
			put_u(w, e, "rows_failed", s->rows_failed);
			put(w, e, "totals", totals_json(w, s->totals,
							s->ntotals));
		}
		append(w, a, e);
	}
	put(w, o, "sources", a);
	a = json_array();
	for (size_t i = 0; a && i < r->nreferences; i++) {
		const struct report_reference *f = &r->references[i];
		json_t *e = json_object();

		if (e) {
			put_s(w, e, "name", f->name);
			put_s(w, e, "origin", f->origin);
			put_u(w, e, "rows", f->rows);
			put_s(w, e, "rows_hash", f->rows_hash);
		}
		append(w, a, e);
	}
	put(w, o, "references", a);
	a = json_array();
	for (size_t i = 0; a && i < r->noutcomes; i++) {
		const struct report_outcome *f = &r->outcomes[i];
		json_t *e = json_object();

		if (e) {
			put_s(w, e, "code", f->code);
			put_s(w, e, "description", f->description);
			put(w, e, "is_exception", json_boolean(f->is_exception));
			put_u(w, e, "count", f->count);
			put(w, e, "totals", totals_json(w, f->totals,
							f->ntotals));
		}
		append(w, a, e);
	}
	put(w, o, "outcomes", a);
	a = json_array();
	for (size_t i = 0; a && i < r->ncolumns; i++) {
		json_t *e = json_object();

		if (e) {
			put_s(w, e, "name", r->columns[i].name);
			put(w, e, "numeric", json_boolean(r->columns[i].numeric));
			put(w, e, "full_only",
			    json_boolean(r->columns[i].full_only));
		}
		append(w, a, e);
	}
	put(w, o, "columns", a);
	a = json_array();
	for (size_t i = 0; a && i < r->nageing; i++) {
		json_t *e = json_object();

		if (e) {
			put_s(w, e, "bucket", r->ageing[i].bucket);
			put_u(w, e, "count", r->ageing[i].count);
			put(w, e, "totals", totals_json(w, r->ageing[i].totals,
							r->ageing[i].ntotals));
		}
		append(w, a, e);
	}
	put(w, o, "ageing", a);
	a = json_array();
	for (size_t i = 0; a && i < r->ntrend; i++) {
		json_t *e = json_object();

		if (e) {
			put_s(w, e, "run_id", r->trend[i].run_id);
			put_s(w, e, "as_of", r->trend[i].as_of);
			put_u(w, e, "exceptions", r->trend[i].exceptions);
		}
		append(w, a, e);
	}
	put(w, o, "trend", a);
	return o;
}

/* The problem with a line that could not be made: a text that is not
 * UTF-8 (the only thing json_string refuses) or memory. */
static int line_failed(const struct report_item *it, struct error *err)
{
	if (it)
		return error_set(err, ERR_DATA, "the exception line of key "
				 "'%s' (%s) has a text that is not UTF-8; it "
				 "cannot be kept in the store", it->key,
				 it->outcome);
	return error_set(err, ERR_DATA, "the report's header has a text that "
			 "is not UTF-8; it cannot be kept in the store");
}

int snapshot_write(struct conn *c, const char *table, const struct report *r,
		   unsigned formats, const char *basename, char *head,
		   uint64_t *lines, struct error *err)
{
	struct sbuf name = SBUF_INIT(4096);
	struct writer *wr = NULL;
	char prev[LEDGER_HEX] = "", hash[LEDGER_HEX], no[24];
	uint64_t n = 1 + (uint64_t)r->nitems + r->nresolved;
	int rc = -1;

	*lines = 0;
	head[0] = '\0';
	if (dialect_store_name(&name, table, "_report") < 0) {
		nomem(err);
		goto out;
	}
	if (writer_open(c, name.buf, col_names, S__COUNT, 0, &wr, err) < 0)
		goto fail;
	for (uint64_t i = 0; i < n; i++) {
		const struct report_item *it =
			i == 0 ? NULL
			: i <= r->nitems ? &r->items[i - 1]
					 : &r->resolved[i - 1 - r->nitems];
		struct jw w = { 0 };
		json_t *o = it ? item_json(&w, it, r->ncolumns)
			       : header_json(&w, r, formats, basename, n);
		char *text = NULL;
		struct param p[S__COUNT];
		int k;

		if (o && !w.bad)
			text = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (!text) {
			if (w.bad || !o)
				line_failed(it, err);
			else
				nomem(err);
			goto out;
		}
		snprintf(no, sizeof(no), "%llu", (unsigned long long)i);
		if (line_hash(r->run_id, no, text, prev, hash, err) < 0) {
			free(text);
			goto out;
		}
		p[S_RUN] = param_text(r->run_id);
		p[S_LINE] = param_text(no);
		p[S_JSON] = param_text(text);
		p[S_PREV] = param_text(prev);
		p[S_HASH] = param_text(hash);
		k = writer_add(wr, p, err);
		free(text);
		if (k < 0)
			goto fail;
		memcpy(prev, hash, sizeof(prev));
	}
	if (writer_flush(wr, err) < 0)
		goto fail;
	memcpy(head, prev, LEDGER_HEX);
	*lines = n;
	rc = 0;
	goto out;
fail:
	if (err->code != ERR_NOMEM)
		store_err(err, table, "keeping the run's report");
out:
	writer_close(wr);
	sbuf_release(&name);
	return rc;
}

/* ---- reading --------------------------------------------------------- */

/* What a line's JSON lacks or has wrong: the first problem is kept. */
struct jr {
	struct arena *a;
	const char *bad;	/* NULL, or what is wrong */
	int nomem;
	int resolved_known;	/* the header's resolved_known */
};

static const char *get_s(struct jr *r, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	char *s;

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		r->bad = "a member that should be text is not";
		return NULL;
	}
	s = arena_strndup(r->a, json_string_value(v), json_string_length(v));
	if (!s)
		r->nomem = 1;
	return s;
}

static uint64_t get_u(struct jr *r, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		r->bad = "a count is missing or negative";
		return 0;
	}
	return (uint64_t)json_integer_value(v);
}

static int get_b(struct jr *r, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_boolean(v)) {
		r->bad = "a yes/no member is missing";
		return 0;
	}
	return json_is_true(v);
}

/* n elements of size sz from the arena (zeroed), n of array member k. */
static void *get_array(struct jr *r, json_t *o, const char *k, size_t sz,
		       size_t *n, json_t **arr)
{
	json_t *a = json_object_get(o, k);
	void *p;

	*n = 0;
	*arr = a;
	if (!json_is_array(a)) {
		r->bad = "an array member is missing";
		return NULL;
	}
	*n = json_array_size(a);
	if (!*n)
		return NULL;
	p = arena_alloc(r->a, *n * sz);
	if (!p) {
		r->nomem = 1;
		*n = 0;
		return NULL;
	}
	memset(p, 0, *n * sz);
	return p;
}

static const struct report_total *get_totals(struct jr *r, json_t *o,
					     size_t *n)
{
	json_t *a;
	struct report_total *t = get_array(r, o, "totals", sizeof(*t), n, &a);

	for (size_t i = 0; t && i < *n; i++) {
		json_t *e = json_array_get(a, i);

		t[i].currency = get_s(r, e, "currency");
		t[i].amount = get_s(r, e, "amount");
		t[i].count = get_u(r, e, "count");
	}
	return t;
}

static void read_header(struct jr *r, json_t *o, struct snapshot *s)
{
	struct report *p = &s->rep;
	json_t *a;
	size_t n;

	if (get_u(r, o, "v") != SNAPSHOT_VERSION) {
		r->bad = "the header is of another format version";
		return;
	}
	p->job = get_s(r, o, "job");
	p->run_id = get_s(r, o, "run_id");
	p->as_of = get_s(r, o, "as_of");
	p->started = get_s(r, o, "started");
	p->finished = get_s(r, o, "finished");
	p->rules_hash = get_s(r, o, "rules_hash");
	p->version = get_s(r, o, "version");
	p->mode = get_s(r, o, "mode");
	s->basename = get_s(r, o, "basename");
	s->formats = (unsigned)get_u(r, o, "formats");
	p->csv_no_bom = get_b(r, o, "csv_no_bom");
	p->csv_columns = get_u(r, o, "csv_columns") ? REPORT_CSV_FULL
						    : REPORT_CSV_DEFAULT;
	p->nitems = (size_t)get_u(r, o, "items");
	p->nresolved = (size_t)get_u(r, o, "resolved");
	r->resolved_known = get_b(r, o, "resolved_known");
	s->lines = get_u(r, o, "lines");
	{
		struct report_rule_file *v =
			get_array(r, o, "rule_files", sizeof(*v), &n, &a);

		for (size_t i = 0; v && i < n; i++) {
			json_t *e = json_array_get(a, i);

			v[i].file = get_s(r, e, "file");
			v[i].sha256 = get_s(r, e, "sha256");
		}
		p->rule_files = v;
		p->nrule_files = n;
	}
	{
		struct report_source *v =
			get_array(r, o, "sources", sizeof(*v), &n, &a);

		for (size_t i = 0; v && i < n; i++) {
			json_t *e = json_array_get(a, i);

			v[i].name = get_s(r, e, "name");
			v[i].role = get_s(r, e, "role");
			v[i].dsn = get_s(r, e, "dsn");
			v[i].rows_read = get_u(r, e, "rows_read");
			v[i].rows_kept = get_u(r, e, "rows_kept");
			v[i].rows_skipped = get_u(r, e, "rows_skipped");
			v[i].rows_failed = get_u(r, e, "rows_failed");
			v[i].totals = get_totals(r, e, &v[i].ntotals);
		}
		p->sources = v;
		p->nsources = n;
	}
	{
		struct report_reference *v =
			get_array(r, o, "references", sizeof(*v), &n, &a);

		for (size_t i = 0; v && i < n; i++) {
			json_t *e = json_array_get(a, i);

			v[i].name = get_s(r, e, "name");
			v[i].origin = get_s(r, e, "origin");
			v[i].rows = get_u(r, e, "rows");
			v[i].rows_hash = get_s(r, e, "rows_hash");
		}
		p->references = v;
		p->nreferences = n;
	}
	{
		struct report_outcome *v =
			get_array(r, o, "outcomes", sizeof(*v), &n, &a);

		for (size_t i = 0; v && i < n; i++) {
			json_t *e = json_array_get(a, i);

			v[i].code = get_s(r, e, "code");
			v[i].description = get_s(r, e, "description");
			v[i].is_exception = get_b(r, e, "is_exception");
			v[i].count = get_u(r, e, "count");
			v[i].totals = get_totals(r, e, &v[i].ntotals);
		}
		p->outcomes = v;
		p->noutcomes = n;
	}
	{
		struct report_column *v =
			get_array(r, o, "columns", sizeof(*v), &n, &a);

		for (size_t i = 0; v && i < n; i++) {
			json_t *e = json_array_get(a, i);

			v[i].name = get_s(r, e, "name");
			v[i].numeric = get_b(r, e, "numeric");
			v[i].full_only = get_b(r, e, "full_only");
		}
		p->columns = v;
		p->ncolumns = n;
	}
	{
		struct report_ageing *v =
			get_array(r, o, "ageing", sizeof(*v), &n, &a);

		for (size_t i = 0; v && i < n; i++) {
			json_t *e = json_array_get(a, i);

			v[i].bucket = get_s(r, e, "bucket");
			v[i].count = get_u(r, e, "count");
			v[i].totals = get_totals(r, e, &v[i].ntotals);
		}
		p->ageing = v;
		p->nageing = n;
	}
	{
		struct report_trend *v =
			get_array(r, o, "trend", sizeof(*v), &n, &a);

		for (size_t i = 0; v && i < n; i++) {
			json_t *e = json_array_get(a, i);

			v[i].run_id = get_s(r, e, "run_id");
			v[i].as_of = get_s(r, e, "as_of");
			v[i].exceptions = get_u(r, e, "exceptions");
		}
		p->trend = v;
		p->ntrend = n;
	}
	if (!r->bad && (!p->job || !p->run_id || !s->basename ||
			s->lines != 1 + (uint64_t)p->nitems + p->nresolved))
		r->bad = "the header's counts or names do not add up";
}

static void read_item(struct jr *r, json_t *o, size_t ncolumns,
		      struct report_item *it)
{
	json_t *f, *l;

	it->outcome = get_s(r, o, "outcome");
	it->severity = get_s(r, o, "severity");
	it->key = get_s(r, o, "key");
	it->deal_key = get_s(r, o, "deal_key");
	it->order_key = get_s(r, o, "order_key");
	it->order_keys = get_s(r, o, "order_keys");
	it->erp_keys = get_s(r, o, "erp_keys");
	it->customer = get_s(r, o, "customer");
	it->currency = get_s(r, o, "currency");
	it->deal_amount = get_s(r, o, "deal_amount");
	it->order_amount = get_s(r, o, "order_amount");
	it->erp_amount = get_s(r, o, "erp_amount");
	it->difference = get_s(r, o, "difference");
	it->tolerance = get_s(r, o, "tolerance");
	it->name = get_s(r, o, "name");
	it->rule = get_s(r, o, "rule");
	it->where = get_s(r, o, "where");
	it->message = get_s(r, o, "message");
	if (!it->outcome || !it->key)
		r->bad = "an exception line has no outcome or key";
	f = json_object_get(o, "fields");
	if (f) {
		const char **v;

		if (!json_is_array(f) || json_array_size(f) != ncolumns) {
			r->bad = "an exception line's fields are not the "
				 "header's columns";
			return;
		}
		v = arena_alloc(r->a, (ncolumns ? ncolumns : 1) * sizeof(*v));
		if (!v) {
			r->nomem = 1;
			return;
		}
		for (size_t i = 0; i < ncolumns; i++) {
			json_t *e = json_array_get(f, i);

			v[i] = NULL;
			if (json_is_string(e)) {
				v[i] = arena_strndup(r->a, json_string_value(e),
						     json_string_length(e));
				if (!v[i])
					r->nomem = 1;
			} else if (!json_is_null(e)) {
				r->bad = "a field value is neither text nor "
					 "null";
			}
		}
		it->fields = v;
	}
	l = json_object_get(o, "life");
	if (l) {
		struct report_life *lf = arena_alloc(r->a, sizeof(*lf));
		json_t *age = json_object_get(l, "age_days");

		if (!lf) {
			r->nomem = 1;
			return;
		}
		memset(lf, 0, sizeof(*lf));
		lf->state = get_s(r, l, "state");
		lf->first_run = get_s(r, l, "first_run");
		lf->first_as_of = get_s(r, l, "first_as_of");
		if (json_is_integer(age))
			lf->age_days = (int64_t)json_integer_value(age);
		else
			r->bad = "a lifecycle has no age";
		lf->note_state = get_s(r, l, "note_state");
		lf->note_text = get_s(r, l, "note_text");
		lf->note_by = get_s(r, l, "note_by");
		lf->note_time = get_s(r, l, "note_time");
		lf->explained_before = get_b(r, l, "explained_before");
		it->life = lf;
	}
}

static const char *vtext(const struct row *row, size_t i)
{
	return row->vals[i].type == VAL_TEXT ? row->vals[i].s : NULL;
}

/* SELECT the columns of T_report [WHERE run_id = ?] ORDER BY run_id,
 * line_no, line_no as text. */
static int open_lines(struct conn *c, const char *table, const char *run_id,
		      struct cursor **cur, struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct sbuf sql = SBUF_INIT(4096);
	struct param p = param_text(run_id);
	int rc;

	/* aliased: PostgreSQL names an unaliased CAST(line_no ...) after
	 * its column, and ORDER BY line_no would then sort the text */
	sbuf_addstr(&sql, "SELECT run_id, ");
	dialect_cast_text(d, &sql, "line_no", "line_no_text");
	sbuf_addstr(&sql, ", line, prev_hash, hash FROM ");
	dialect_store_ident(d, &sql, table, "_report");
	if (run_id)
		sbuf_addstr(&sql, " WHERE run_id = ?");
	sbuf_addstr(&sql, " ORDER BY run_id, line_no");
	if (sql.failed) {
		sbuf_release(&sql);
		return nomem(err);
	}
	rc = cursor_open(c, sql.buf, run_id ? &p : NULL, run_id ? 1 : 0, 0,
			 cur, err);
	sbuf_release(&sql);
	return rc;
}

void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	if (s->in) {
		arena_release(&s->in->a);
		mem_free(s->in);
	}
	mem_free(s);
}

/* The n-th line as expected: its number, hash and chain. NULL if it is
 * what it should be, else what is wrong with it. */
static const char *check_line(const struct row *row, uint64_t n,
			      const char *prev, char *hash, struct error *err,
			      int *failed)
{
	const char *run = vtext(row, S_RUN), *no = vtext(row, S_LINE);
	const char *line = vtext(row, S_JSON), *ph = vtext(row, S_PREV);
	const char *h = vtext(row, S_HASH);
	char want[24];

	*failed = 0;
	snprintf(want, sizeof(want), "%llu", (unsigned long long)n);
	if (!run || !no || !line || !ph || !h)
		return "a line has an empty column";
	if (strcmp(no, want) != 0)
		return "its lines are not numbered 0, 1, 2... (a line is "
		       "missing or was added)";
	if (strcmp(ph, prev) != 0)
		return "a line's prev_hash is not the previous line's hash";
	if (line_hash(run, no, line, ph, hash, err) < 0) {
		*failed = 1;
		return NULL;
	}
	if (strcmp(hash, h) != 0)
		return "a line's hash does not match its content (the line "
		       "was changed)";
	return NULL;
}

int snapshot_load(struct conn *c, const char *table, const char *run_id,
		  struct snapshot **out, struct error *err)
{
	struct snapshot *s = NULL;
	struct cursor *cur = NULL;
	const struct row *row;
	char prev[LEDGER_HEX] = "", hash[LEDGER_HEX];
	uint64_t n = 0;
	struct jr jr;
	int rc, ex;

	*out = NULL;
	ex = store_aux_exists(c, table, "_report", err);
	if (ex <= 0)
		return ex < 0 ? store_err(err, table, "asking the catalog for "
					  "it") : 1;
	s = mem_calloc(1, sizeof(*s));
	if (s)
		s->in = mem_calloc(1, sizeof(*s->in));
	if (!s || !s->in) {
		snapshot_free(s);
		return nomem(err);
	}
	memset(&jr, 0, sizeof(jr));
	jr.a = &s->in->a;
	if (open_lines(c, table, run_id, &cur, err) < 0) {
		rc = -1;
		goto fail;
	}
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		json_error_t je;
		const char *why;
		json_t *o;
		int failed;

		why = check_line(row, n, prev, hash, err, &failed);
		if (failed) {
			rc = -1;
			break;
		}
		if (why) {
			rc = error_set(err, ERR_VERIFY, "the kept report of run "
				       "'%s', line %llu: %s; run recon verify",
				       run_id, (unsigned long long)n, why);
			break;
		}
		memcpy(prev, hash, sizeof(prev));
		o = json_loads(vtext(row, S_JSON), JSON_REJECT_DUPLICATES, &je);
		if (!json_is_object(o)) {
			json_decref(o);
			rc = error_set(err, ERR_VERIFY, "the kept report of run "
				       "'%s', line %llu: not a JSON object (%s)",
				       run_id, (unsigned long long)n, je.text);
			break;
		}
		if (n == 0) {
			read_header(&jr, o, s);
			if (!jr.bad && !jr.nomem &&
			    strcmp(s->rep.run_id, run_id) != 0)
				jr.bad = "the header names another run";
			if (!jr.bad && !jr.nomem) {
				size_t k = s->rep.nitems + s->rep.nresolved;
				struct report_item *v = NULL;

				if (k > SIZE_MAX / sizeof(*v) ||
				    !(v = arena_alloc(&s->in->a,
						      (k ? k : 1) * sizeof(*v))))
					jr.nomem = 1;
				else
					memset(v, 0, (k ? k : 1) * sizeof(*v));
				s->rep.items = v;
				s->rep.resolved = v && jr.resolved_known
						  ? v + s->rep.nitems : NULL;
			}
		} else if (n < s->lines) {
			struct report_item *it =
				(struct report_item *)(n <= s->rep.nitems
					? &s->rep.items[n - 1]
					: &s->rep.resolved[n - 1 -
							   s->rep.nitems]);

			read_item(&jr, o, s->rep.ncolumns, it);
		} else {
			jr.bad = "there are more lines than its header says";
		}
		json_decref(o);
		if (jr.nomem) {
			rc = nomem(err);
			break;
		}
		if (jr.bad) {
			rc = error_set(err, ERR_VERIFY, "the kept report of run "
				       "'%s', line %llu: %s; run recon verify",
				       run_id, (unsigned long long)n, jr.bad);
			break;
		}
		n++;
	}
	cursor_close(cur);
	if (rc < 0)
		goto fail;
	if (n == 0) {
		snapshot_free(s);
		return 1;
	}
	if (n != s->lines) {
		error_set(err, ERR_VERIFY, "the kept report of run '%s' has %llu "
			  "lines, its header says %llu; run recon verify",
			  run_id, (unsigned long long)n,
			  (unsigned long long)s->lines);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (err->code != ERR_NOMEM && err->code != ERR_VERIFY)
		store_err(err, table, "reading the kept report");
	snapshot_free(s);
	return -1;
}

/* ---- rendering -------------------------------------------------------- */

static const struct {
	const char *name, *suffix;
	unsigned format;
} parts[] = {
	[SNAP_HTML] = { "html", ".html", REPORT_HTML },
	[SNAP_CSV] = { "csv", ".csv", REPORT_CSV },
	[SNAP_SUMMARY] = { "summary", "-summary.csv", REPORT_CSV },
	[SNAP_XML] = { "xml", ".xml", REPORT_XML },
};

int snapshot_part_parse(const char *name, enum snapshot_part *out)
{
	for (size_t i = 0; name && i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strcmp(name, parts[i].name) == 0) {
			*out = (enum snapshot_part)i;
			return 0;
		}
	return -1;
}

/* Remove what report_write put in dir (both CSV files for CSV), then
 * dir itself. */
static void remove_dir(const char *dir, const char *base, unsigned format)
{
	struct sbuf p = SBUF_INIT(1 << 16);

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (parts[i].format != format)
			continue;
		sbuf_reset(&p);
		sbuf_addf(&p, "%s/%s%s", dir, base, parts[i].suffix);
		if (!p.failed)
			(void)unlink(p.buf);
	}
	(void)rmdir(dir);
	sbuf_release(&p);
}

/* Copy the file at path to fp. */
static int copy_out(const char *path, FILE *fp, struct error *err)
{
	char buf[1 << 16];
	FILE *in = fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (!in)
		return error_set(err, ERR_REPORT, "%s: %s", path,
				 strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, fp) != n) {
			rc = error_set(err, ERR_REPORT, "writing the report "
				       "to the output: %s", strerror(errno));
			break;
		}
	if (!rc && ferror(in))
		rc = error_set(err, ERR_REPORT, "%s: %s", path,
			       strerror(errno));
	fclose(in);
	if (!rc && fflush(fp) != 0)
		rc = error_set(err, ERR_REPORT, "writing the report to the "
			       "output: %s", strerror(errno));
	return rc;
}

int snapshot_render(const struct snapshot *s, enum snapshot_part part,
		    const char *path, FILE *fp, const char *tmpdir,
		    struct error *err)
{
	struct sbuf dir = SBUF_INIT(1 << 16), file = SBUF_INIT(1 << 16);
	unsigned format = parts[part].format;
	int rc = -1;

	/* the temporary folder: next to path (so that the rename is
	 * atomic), else under tmpdir */
	if (path) {
		const char *slash = strrchr(path, '/');

		if (slash)
			sbuf_add(&dir, path, (size_t)(slash - path) + 1);
		else
			sbuf_addstr(&dir, "./");
		sbuf_addstr(&dir, ".recon-report.XXXXXX");
	} else {
		if (!tmpdir)
			tmpdir = getenv("TMPDIR");
		sbuf_addf(&dir, "%s/recon-report.XXXXXX",
			  tmpdir && *tmpdir ? tmpdir : "/tmp");
	}
	if (dir.failed) {
		nomem(err);
		goto out;
	}
	if (!mkdtemp(dir.buf)) {
		error_set(err, ERR_REPORT, "%s: cannot create a temporary "
			  "folder there: %s", dir.buf, strerror(errno));
		sbuf_reset(&dir);
		goto out;
	}
	if (report_write(&s->rep, dir.buf, s->basename, format, NULL,
			 err) < 0)
		goto out;
	sbuf_addf(&file, "%s/%s%s", dir.buf, s->basename, parts[part].suffix);
	if (file.failed) {
		nomem(err);
		goto out;
	}
	if (path) {
		if (rename(file.buf, path) < 0) {
			error_set(err, ERR_REPORT, "%s: %s", path,
				  strerror(errno));
			goto out;
		}
	} else if (copy_out(file.buf, fp, err) < 0) {
		goto out;
	}
	rc = 0;
out:
	if (dir.len)
		remove_dir(dir.buf, s->basename, format);
	sbuf_release(&dir);
	sbuf_release(&file);
	return rc;
}

/* ---- verify ---------------------------------------------------------- */

static int run_known(const char *const *runs, size_t n, const char *id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(runs[mid], id);

		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* One run's lines as they stream by. */
struct vrep {
	char run[LEDGER_HEX + 64];
	uint64_t n, lines;	/* lines seen; the header's count */
	char prev[LEDGER_HEX];
	int bad;		/* a finding was reported for this run */
};

static void vrep_end(struct vrep *v, snapshot_finding_fn *fn, void *ctx)
{
	if (v->run[0] && !v->bad && v->n != v->lines)
		fn(ctx, v->run, "the kept report has fewer lines than its "
		   "header says (lines were deleted)");
}

int snapshot_verify(struct conn *c, const char *table,
		    const char *const *runs, size_t nruns,
		    snapshot_finding_fn *fn, void *ctx, uint64_t *reports,
		    uint64_t *lines, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct vrep v;
	int rc, ex;

	*reports = 0;
	*lines = 0;
	ex = store_aux_exists(c, table, "_report", err);
	if (ex <= 0)
		return ex < 0 ? store_err(err, table, "asking the catalog for "
					  "it") : 0;
	if (open_lines(c, table, NULL, &cur, err) < 0)
		return err->code == ERR_NOMEM ? -1
		       : store_err(err, table, "reading it");
	memset(&v, 0, sizeof(v));
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		const char *run = vtext(row, S_RUN), *why;
		char hash[LEDGER_HEX];
		int failed;

		(*lines)++;
		if (!run)
			run = "";
		if (strcmp(run, v.run) != 0 || !v.run[0]) {
			vrep_end(&v, fn, ctx);
			memset(&v, 0, sizeof(v));
			snprintf(v.run, sizeof(v.run), "%s", run);
			(*reports)++;
			if (!run_known(runs, nruns, run)) {
				fn(ctx, run, "a kept report of a run that "
				   "T_runs does not have");
				v.bad = 1;
			}
		}
		if (v.bad)
			continue;
		why = check_line(row, v.n, v.prev, hash, err, &failed);
		if (failed) {
			rc = -1;
			break;
		}
		if (!why && v.n == 0) {
			json_t *o = json_loads(vtext(row, S_JSON), 0, NULL);
			json_t *l = json_object_get(o, "lines");
			json_t *id = json_object_get(o, "run_id");

			if (!json_is_integer(l) || !json_is_string(id) ||
			    strcmp(json_string_value(id), run) != 0)
				why = "its header is not a header of this run";
			else
				v.lines = (uint64_t)json_integer_value(l);
			json_decref(o);
		}
		if (!why && v.n >= v.lines)
			why = "the kept report has more lines than its header "
			      "says (a line was added)";
		if (why) {
			char at[512];

			snprintf(at, sizeof(at), "line %llu: %s",
				 (unsigned long long)v.n, why);
			fn(ctx, run, at);
			v.bad = 1;
			continue;
		}
		memcpy(v.prev, hash, sizeof(v.prev));
		v.n++;
	}
	if (rc == 0)
		vrep_end(&v, fn, ctx);
	cursor_close(cur);
	if (rc < 0)
		return err->code == ERR_NOMEM ? -1
		       : store_err(err, table, "reading it");
	return 0;
}
