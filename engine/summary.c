/*
 * summary.c - what a run adds up to: the control totals per source and
 * per outcome (in currency order), the report lines sorted, the runs
 * ledger's JSON (T_runs.totals, outcomes, rules), and the reports
 * written to temporary names.
 */
#include <stdlib.h>
#include <string.h>

#include "run_int.h"
#include "text.h"
#include "canon.h"
#include "lifecycle.h"
#include "mem.h"
#include "money.h"
#include "outcome.h"
#include "rowfp.h"
#include "rules.h"
#include "snapshot.h"
#include "store.h"
#include "tstamp.h"
#include "version.h"
#include "../reports/report.h"
#include "banned.h"

char *summary_amount(struct run *r, int has, int64_t v)
{
	struct sbuf sb = SBUF_INIT(64);
	char *p = NULL;

	if (!has)
		return NULL;
	if (money_format(v, 2, &sb) == 0)
		p = arena_strndup(&r->arena, sb.buf, sb.len);
	sbuf_release(&sb);
	return p;
}

int summary_add_total(struct run *r, struct source_stats *st,
		      const struct canon *c, struct error *err)
{
	size_t n;
	const char *cur = canon_get(c, CS_CURRENCY, &n);
	struct total *t = NULL;

	if (!(c->present & CANON_HAS_AMOUNT))
		return 0;
	if (!cur) {
		cur = "";
		n = 0;
	}
	for (size_t i = 0; i < st->ntotals; i++)
		if (strlen(st->totals[i].currency) == n &&
		    memcmp(st->totals[i].currency, cur, n) == 0) {
			t = &st->totals[i];
			break;
		}
	if (!t) {
		struct total *nt;

		if (st->ntotals >= 10000)
			return error_set(err, ERR_DATA,
					 "more than 10000 distinct currencies");
		nt = mem_realloc(st->totals, (st->ntotals + 1) * sizeof(*nt));
		if (!nt)
			return error_set(err, ERR_NOMEM, "out of memory");
		st->totals = nt;
		t = &st->totals[st->ntotals++];
		t->currency = arena_strndup(&r->arena, cur, n);
		t->sum = 0;
		t->count = 0;
		if (!t->currency)
			return error_set(err, ERR_NOMEM, "out of memory");
	}
	if (money_add(t->sum, c->amount, &t->sum) != MONEY_OK)
		return error_set(err, ERR_DATA,
				 "control total of currency '%s' overflows at row %llu",
				 t->currency, (unsigned long long)c->rowno);
	t->count++;
	return 0;
}

static int item_cmp(const void *a, const void *b)
{
	const struct report_item *x = a, *y = b;
	int ox = outcome_lookup(x->outcome, strlen(x->outcome));
	int oy = outcome_lookup(y->outcome, strlen(y->outcome));
	int c;

	if (ox != oy)
		return ox < oy ? -1 : 1;
	c = strcmp(x->key, y->key);
	if (c)
		return c;
	c = strcmp(x->rule ? x->rule : "", y->rule ? y->rule : "");
	if (c)
		return c;
	c = strcmp(x->message ? x->message : "", y->message ? y->message : "");
	if (c)
		return c;
	/* a total order: lines equal so far still come out the same way
	 * whatever order they were found in */
	{
		const char *const *fx[] = { &x->severity, &x->where, &x->deal_key,
					    &x->order_key, &x->order_keys,
					    &x->erp_keys, &x->customer,
					    &x->currency, &x->name,
					    &x->deal_amount, &x->order_amount,
					    &x->erp_amount };
		const char *const *fy[] = { &y->severity, &y->where, &y->deal_key,
					    &y->order_key, &y->order_keys,
					    &y->erp_keys, &y->customer,
					    &y->currency, &y->name,
					    &y->deal_amount, &y->order_amount,
					    &y->erp_amount };

		for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
			if (!*fx[i] != !*fy[i])
				return *fx[i] ? 1 : -1;
			if (*fx[i] && (c = strcmp(*fx[i], *fy[i])))
				return c;
		}
	}
	return 0;
}

static int total_cmp(const void *a, const void *b)
{
	const struct total *x = a, *y = b;

	return strcmp(x->currency, y->currency);
}

/* Control totals per currency in currency order, not in the order the
 * currencies first appeared in (T_runs.totals, outcomes, the report). */
void summary_totals_finish(struct run *r)
{
	for (size_t i = 0; i < r->job->nsources; i++)
		if (r->stats[i].ntotals > 1)
			qsort(r->stats[i].totals, r->stats[i].ntotals,
			      sizeof(struct total), total_cmp);
	for (int i = 0; i < OUT__COUNT; i++)
		if (r->ostats[i].ntotals > 1)
			qsort(r->ostats[i].totals, r->ostats[i].ntotals,
			      sizeof(struct total), total_cmp);
}

/* Sort the lines; one DUPLICATE_KEY line per key however often it
 * repeats. */
void summary_items_finish(struct run *r)
{
	size_t w = 0;

	if (!r->nitems)
		return;	/* qsort must not see a NULL array (UBSan) */
	qsort(r->items, r->nitems, sizeof(*r->items), item_cmp);
	for (size_t i = 0; i < r->nitems; i++) {
		if (w && strcmp(r->items[i].outcome, "DUPLICATE_KEY") == 0 &&
		    strcmp(r->items[w - 1].outcome, "DUPLICATE_KEY") == 0 &&
		    strcmp(r->items[w - 1].key, r->items[i].key) == 0) {
			r->counts[OUT_DUPLICATE_KEY]--;
			continue;
		}
		r->items[w++] = r->items[i];
	}
	r->nitems = w;
}

/* "CUR":"amount",... of a stats' currency totals. */
static void amounts_json(const struct source_stats *st, struct sbuf *out)
{
	for (size_t t = 0; t < st->ntotals; t++) {
		if (t)
			sbuf_addch(out, ',');
		text_add_json(out, st->totals[t].currency);
		sbuf_addch(out, ':');
		sbuf_addch(out, '"');
		money_format(st->totals[t].sum, 2, out);
		sbuf_addch(out, '"');
	}
}

int summary_totals_json(struct run *r, struct sbuf *out)
{
	sbuf_addch(out, '[');
	for (size_t i = 0; i < r->job->nsources; i++) {
		const struct source_stats *st = &r->stats[i];

		if (i)
			sbuf_addch(out, ',');
		sbuf_addstr(out, "{\"source\":");
		text_add_json(out, r->job->sources[i].name);
		sbuf_addf(out, ",\"read\":%llu,\"kept\":%llu,\"skipped\":%llu,"
			  "\"failed\":%llu,\"amounts\":{",
			  (unsigned long long)st->read,
			  (unsigned long long)st->kept,
			  (unsigned long long)st->skipped,
			  (unsigned long long)st->failed);
		amounts_json(st, out);
		{
			char hex[65];

			rowfp_hex(st->rows_sum, hex);
			sbuf_addf(out, "},\"rows_hash\":\"%s\"}", hex);
		}
	}
	/* the reference tables the rules used (docs/LEDGER.md) */
	for (size_t i = 0; i < r->refs.n; i++) {
		char hex[65];

		if (i || r->job->nsources)
			sbuf_addch(out, ',');
		sbuf_addstr(out, "{\"reference\":");
		text_add_json(out, ref_table_name(r->refs.t[i]));
		ref_table_hash_hex(r->refs.t[i], hex);
		sbuf_addf(out, ",\"read\":%llu,\"rows_hash\":\"%s\"}",
			  (unsigned long long)ref_table_rows(r->refs.t[i]),
			  hex);
	}
	return sbuf_addch(out, ']');
}

/* T_runs.outcomes: {"CODE":{"count":N,"amounts":{"EUR":"1.00"}},...} for
 * every outcome of a reconciled record this run, and REMOVED for the
 * tombstones it wrote. */
int summary_outcomes_json(struct run *r, uint64_t removed, struct sbuf *out)
{
	int first = 1;

	sbuf_addch(out, '{');
	for (int i = 0; i < OUT__COUNT; i++) {
		const struct source_stats *st = &r->ostats[i];

		if (!st->read)
			continue;
		if (!first)
			sbuf_addch(out, ',');
		first = 0;
		text_add_json(out, outcome_table[i].code);
		sbuf_addf(out, ":{\"count\":%llu,\"amounts\":{",
			  (unsigned long long)st->read);
		amounts_json(st, out);
		sbuf_addstr(out, "}}");
	}
	if (removed)
		sbuf_addf(out, "%s\"%s\":{\"count\":%llu,\"amounts\":{}}",
			  first ? "" : ",", STORE_REMOVED,
			  (unsigned long long)removed);
	return sbuf_addch(out, '}');
}

/* T_runs.rules: [{"file":..,"sha256":..}] in load order. */
int summary_rules_json(struct run *r, struct sbuf *out)
{
	sbuf_addch(out, '[');
	for (size_t i = 0; i < r->job->nrule_files; i++) {
		if (i)
			sbuf_addch(out, ',');
		sbuf_addstr(out, "{\"file\":");
		text_add_json(out, job_rule_name(r->job, i));
		sbuf_addf(out, ",\"sha256\":\"%s\"}",
			  rules_file_hash(r->rules, i));
	}
	return sbuf_addch(out, ']');
}

/* Write the reports to temporary names (report_prepare); *pending is
 * published after the store commit or aborted. */
int summary_write_reports(struct run *r, const char *finished,
			 struct sbuf *paths, struct report_pending **pending,
			 struct error *err)
{
	struct report rep;
	struct report_source *rs = NULL;
	struct report_outcome ro[OUT__COUNT] = { { 0 } };
	struct report_reference *rr = NULL;
	struct report_rule_file *rf = NULL;
	struct life_calc *life = NULL;
	char notes_before[20];
	struct report_total *otot[OUT__COUNT] = { NULL };
	char (*rhex)[65] = NULL;
	struct sbuf base = SBUF_INIT(4096), asof_iso = SBUF_INIT(64);
	const char *dir = r->opts->report_dir ? r->opts->report_dir
					      : r->job->report_dir;
	unsigned formats = 0;
	double t0;
	int rc = -1;

	rs = mem_calloc(r->job->nsources, sizeof(*rs));
	rr = mem_calloc(r->refs.n ? r->refs.n : 1, sizeof(*rr));
	rhex = mem_calloc(r->refs.n ? r->refs.n : 1, sizeof(*rhex));
	rf = mem_calloc(r->job->nrule_files ? r->job->nrule_files : 1,
			sizeof(*rf));
	if (!rs || !rr || !rhex || !rf) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r->refs.n; i++) {
		const struct job_reference *jr = &r->job->references[i];

		ref_table_hash_hex(r->refs.t[i], rhex[i]);
		rr[i].name = ref_table_name(r->refs.t[i]);
		rr[i].origin = jr->dsn ? jr->dsn : jr->file_name ? jr->file_name
								 : jr->file;
		rr[i].rows = ref_table_rows(r->refs.t[i]);
		rr[i].rows_hash = rhex[i];
	}
	for (size_t i = 0; i < r->job->nrule_files; i++) {
		rf[i].file = job_rule_name(r->job, i);
		rf[i].sha256 = rules_file_hash(r->rules, i);
	}
	for (size_t i = 0; i < r->job->nsources; i++) {
		struct source_stats *st = &r->stats[i];

		st->rtotals = mem_calloc(st->ntotals ? st->ntotals : 1,
					 sizeof(*st->rtotals));
		if (!st->rtotals) {
			error_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t t = 0; t < st->ntotals; t++) {
			st->rtotals[t].currency = st->totals[t].currency;
			st->rtotals[t].amount = summary_amount(r, 1, st->totals[t].sum);
			st->rtotals[t].count = st->totals[t].count;
		}
		rs[i].name = r->job->sources[i].name;
		rs[i].role = canon_kind_names[r->job->sources[i].role];
		rs[i].dsn = r->job->sources[i].dsn;
		rs[i].rows_read = st->read;
		rs[i].rows_kept = st->kept;
		rs[i].rows_skipped = st->skipped;
		rs[i].rows_failed = st->failed;
		rs[i].totals = st->rtotals;
		rs[i].ntotals = st->ntotals;
	}
	for (int i = 0; i < OUT__COUNT; i++) {
		ro[i].code = outcome_table[i].code;
		ro[i].description = outcome_table[i].description;
		ro[i].is_exception = outcome_table[i].is_exception;
		ro[i].count = r->counts[i];
		/* amounts per currency of the records of this primary
		 * outcome (T_runs.outcomes) */
		if (r->ostats[i].ntotals) {
			otot[i] = mem_calloc(r->ostats[i].ntotals, sizeof(*otot[i]));
			if (!otot[i]) {
				error_set(err, ERR_NOMEM, "out of memory");
				goto out;
			}
			for (size_t t = 0; t < r->ostats[i].ntotals; t++) {
				otot[i][t].currency = r->ostats[i].totals[t].currency;
				otot[i][t].amount = summary_amount(r, 1, r->ostats[i].totals[t].sum);
				otot[i][t].count = r->ostats[i].totals[t].count;
			}
		}
		ro[i].totals = otot[i];
		ro[i].ntotals = r->ostats[i].ntotals;
	}
	tstamp_format(r->as_of, &asof_iso);
	memset(&rep, 0, sizeof(rep));
	rep.job = r->job->name;
	rep.run_id = r->run_id.buf;
	rep.as_of = asof_iso.buf;
	rep.started = r->started.buf;
	rep.finished = finished;
	rep.rules_hash = rules_hash(r->rules);
	rep.version = RECON_VERSION;
	rep.rule_files = rf;
	rep.nrule_files = r->job->nrule_files;
	rep.csv_no_bom = r->job->report_csv_no_bom;
	rep.csv_columns = r->job->report_csv_full ? REPORT_CSV_FULL
						  : REPORT_CSV_DEFAULT;
	rep.sources = rs;
	rep.nsources = r->job->nsources;
	rep.references = rr;
	rep.nreferences = r->refs.n;
	rep.outcomes = ro;
	rep.noutcomes = OUT__COUNT;
	rep.items = r->items;
	rep.nitems = r->nitems;
	rep.columns = r->rcols;	/* record_columns(), called by run.c */
	rep.ncolumns = r->nrcols;
	rep.mode = r->incremental ? "incremental" : "full";
	/* each exception line's life against the job's previous
	 * published run (a repeat: against the run before the one it
	 * repeats, so that it has that run's lifecycle) */
	/* the notes a report shows: those made by the time the run
	 * finished ('YYYY-MM-DDTHH:MM:SSZ' -> T_notes.created's form) */
	snprintf(notes_before, sizeof(notes_before), "%.10s %.8s", finished,
		 finished + 11);
	t0 = runlog_now();
	if (lifecycle_fill(r->life, store_conn(r->store), r->job->store_table,
			   r->job->name, r->repeat,
			   r->items, r->nitems, r->as_of, r->run_id.buf,
			   notes_before, &r->arena, &rep, &life, err) < 0) {
		error_context(err, "store '%s' table '%s': the exception "
			      "lifecycle", r->job->store_dsn, r->job->store_table);
		goto out;
	}
	runlog_printf(r, "exception lifecycle: %zu lines, %zu resolved, "
		      "%.2f s", r->nitems, rep.nresolved, runlog_now() - t0);
	/* one file name per job and as-of: a rerun replaces its own report */
	sbuf_addf(&base, "%s-", r->job->name);
	for (size_t i = 0; i < asof_iso.len; i++)
		if (asof_iso.buf[i] != '-' && asof_iso.buf[i] != ':')
			sbuf_addch(&base, asof_iso.buf[i]);
	if (r->job->report_formats & JOB_REPORT_CSV)
		formats |= REPORT_CSV;
	if (r->job->report_formats & JOB_REPORT_HTML)
		formats |= REPORT_HTML;
	if (r->job->report_formats & JOB_REPORT_XML)
		formats |= REPORT_XML;
	if (base.failed || asof_iso.failed) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the report as given to the writers, kept in the store with the
	 * run (`recon report`); a repeat's is the run's it repeats */
	if (!r->repeat) {
		char head[LEDGER_HEX];
		uint64_t lines;

		t0 = runlog_now();
		if (snapshot_write(store_conn(r->store), r->job->store_table,
				   &rep, formats, base.buf, head, &lines,
				   err) < 0) {
			error_context(err, "store '%s' table '%s'",
				      r->job->store_dsn, r->job->store_table);
			goto out;
		}
		runlog_printf(r, "report kept in the store: %llu lines, head "
			      "hash %s, %.2f s", (unsigned long long)lines, head,
			      runlog_now() - t0);
	}
	rc = report_prepare(&rep, dir, base.buf, formats, paths, pending, err);
out:
	for (size_t i = 0; i < r->job->nsources; i++) {
		mem_free(r->stats[i].rtotals);
		r->stats[i].rtotals = NULL;
	}
	life_calc_release(life);
	for (int i = 0; i < OUT__COUNT; i++)
		mem_free(otot[i]);
	mem_free(rs);
	mem_free(rr);
	mem_free(rf);
	mem_free(rhex);
	sbuf_release(&base);
	sbuf_release(&asof_iso);
	return rc;
}
