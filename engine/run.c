/*
 * run.c - the run driver (see run.h for the order of work): run_job()
 * calls the phases in order and is the only place that decides to stop
 * a run. The phases live in their own modules, which share struct run
 * through run_int.h: reading (read.c, incremental reading in
 * incmerge.c), the completeness guard (guard.c), the records and report
 * lines per reconciled group (record.c), and the totals, the runs
 * ledger's JSON and the reports (summary.c).
 *
 * What belongs to one run lives in struct run: the Lua state, the store
 * connection and transaction, the matcher's spill files, and an arena for
 * the strings of report lines; run_release() tears all of it down in one
 * call whatever state the run reached.
 *
 * Memory: records stream from the cursor through translation into the
 * matcher's spill files; only exception lines (and per-source control
 * totals) are kept for the report, so memory grows with the number of
 * exceptions, not with the number of rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run_int.h"
#include "ledger.h"
#include "lifecycle.h"
#include "lock.h"
#include "match.h"
#include "mem.h"
#include "phase.h"
#include "rules.h"
#include "xlate.h"
#include "stop.h"
#include "store.h"
#include "tstamp.h"
#include "../reports/report.h"
#include "banned.h"

static int utc_text(int64_t t, struct sbuf *out)
{
	return tstamp_format(t, out);
}

/* "YYYY-MM-DD HH:MM:SS" for binding as a timestamp parameter. */
static int sql_time(int64_t t, struct sbuf *out)
{
	struct sbuf tmp = SBUF_INIT(64);
	int rc;

	rc = tstamp_format(t, &tmp);
	if (rc == 0 && tmp.len == 20) {	/* YYYY-MM-DDTHH:MM:SSZ */
		tmp.buf[10] = ' ';
		rc = sbuf_add(out, tmp.buf, 19);
	} else {
		rc = -1;
	}
	sbuf_release(&tmp);
	return rc;
}

/* ---- driver ---------------------------------------------------------- */

static int make_run_id(struct run *r, struct error *err)
{
	unsigned char rnd[6];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t got = f ? fread(rnd, 1, sizeof(rnd), f) : 0;
	struct sbuf t = SBUF_INIT(64);

	if (f)
		fclose(f);
	if (got != sizeof(rnd))
		return error_set(err, ERR_INTERNAL, "cannot read /dev/urandom");
	/* started time (compact) + random: unique, and sorts by time */
	for (size_t i = 0; i < r->started.len; i++)
		if (r->started.buf[i] != '-' && r->started.buf[i] != ':')
			sbuf_addch(&t, r->started.buf[i]);
	sbuf_addf(&r->run_id, "%s-", t.buf);
	for (size_t i = 0; i < sizeof(rnd); i++)
		sbuf_addf(&r->run_id, "%02x", rnd[i]);
	sbuf_release(&t);
	return r->run_id.failed ? error_set(err, ERR_NOMEM, "out of memory") : 0;
}

void run_result_init(struct run_result *res)
{
	memset(res, 0, sizeof(*res));
	sbuf_init(&res->run_id, 256);
	sbuf_init(&res->report_paths, 1 << 16);
	sbuf_init(&res->as_of, 64);
	sbuf_init(&res->outcomes, 1 << 16);
	res->mode = "full";
}

void run_result_release(struct run_result *res)
{
	sbuf_release(&res->run_id);
	sbuf_release(&res->report_paths);
	sbuf_release(&res->as_of);
	sbuf_release(&res->outcomes);
}

/* store_open's before_tx: the lifecycle's history, with its cost */
static int load_life(struct conn *c, const struct ledger_schema *sch,
		     void *ctx, struct error *err)
{
	struct run *r = ctx;
	double t0 = runlog_now();
	size_t keys, versions, kept, bytes;

	if (lifecycle_load(c, r->job->store_table, sch, r->job->name,
			   &r->life, err) < 0) {
		error_context(err, "the exception lifecycle's history");
		return -1;
	}
	lifecycle_hist_stats(r->life, &keys, &versions, &kept, &bytes);
	runlog_printf(r, "exception history: %zu versions of %zu records "
		      "read, %zu records that had an exception kept (%.1f MB), "
		      "%.2f s", versions, keys, kept, bytes / 1048576.0,
		      runlog_now() - t0);
	return 0;
}

static void run_release(struct run *r)
{
	match_free(r->match);
	store_free(r->store);	/* rolls back if not committed */
	lifecycle_hist_free(r->life);
	if (r->rules)
		rules_set_refs(r->rules, NULL);
	rules_free(r->rules);
	xlate_free(r->xlate);	/* its states point at the refs */
	ref_set_release(&r->refs);
	incmerge_release(r);
	keep_release(r);
	if (r->stats)
		for (size_t i = 0; i < r->job->nsources; i++)
			mem_free(r->stats[i].totals);
	mem_free(r->stats);
	mem_free(r->items);
	arena_release(&r->arena);
	verdict_list_release(&r->verdicts);
	sbuf_release(&r->as_of_text);
	sbuf_release(&r->window_text);
	sbuf_release(&r->run_id);
	sbuf_release(&r->started);
	sbuf_release(&r->codes);
	sbuf_release(&r->vjson);
	sbuf_release(&r->colbuf);
	sbuf_release(&r->line);
	sbuf_release(&r->prog.line);
	sbuf_release(&r->srcjson);
	for (int i = 0; i < OUT__COUNT; i++)
		mem_free(r->ostats[i].totals);
	/* last: the store rolled back, the temporaries gone (lock.h) */
	lock_release(r->lock);
}

/* What a run's hooks are told however it ended (run.h, hook.h): its
 * id, as-of and mode, and a published run's count per outcome. */
static void result_for_hooks(const struct run *r, uint64_t removed,
			     struct run_result *res)
{
	if (!res->run_id.len)
		sbuf_add(&res->run_id, r->run_id.buf, r->run_id.len);
	sbuf_add(&res->as_of, r->as_of_text.buf, r->as_of_text.len);
	res->mode = r->incremental ? "incremental" : "full";
	if (!res->published)
		return;
	sbuf_addch(&res->outcomes, '{');
	for (int i = 0; i < OUT__COUNT; i++)
		if (r->ostats[i].read)
			sbuf_addf(&res->outcomes, "%s\"%s\":%llu",
				  res->outcomes.len > 1 ? "," : "",
				  outcome_table[i].code,
				  (unsigned long long)r->ostats[i].read);
	if (removed)
		sbuf_addf(&res->outcomes, "%s\"%s\":%llu",
			  res->outcomes.len > 1 ? "," : "", STORE_REMOVED,
			  (unsigned long long)removed);
	sbuf_addch(&res->outcomes, '}');
}

/* match_sweep() removed a dead run's spill folder: say so. */
static void on_swept(void *ctx, long pid, const char *path, uint64_t bytes)
{
	runlog_printf(ctx, "removed the spill folder of a dead run (pid %ld): %s, "
		      "%.1f MB", pid, path, (double)bytes / 1e6);
}

/* struct run for job as of as_of (NULL: t_start), started at t_start:
 * its buffers, times, id and per-source counters. run_release() after,
 * whatever it returns. */
static int run_setup(struct run *r, const struct job *job,
		     const struct run_opts *opts, const char *as_of,
		     int64_t t_start, struct error *err)
{
	memset(r, 0, sizeof(*r));
	r->job = job;
	r->opts = opts;
	r->phase = "start";
	sbuf_init(&r->as_of_text, 64);
	sbuf_init(&r->window_text, 64);
	sbuf_init(&r->run_id, 256);
	sbuf_init(&r->started, 64);
	sbuf_init(&r->codes, 1 << 16);
	sbuf_init(&r->vjson, SBUF_CAP_DEFAULT);
	/* the declared columns of one record: at most LEDGER_MAX_COLS
	 * values of at most CANON_STR_CAP bytes */
	sbuf_init(&r->colbuf, LEDGER_MAX_COLS * (CANON_STR_CAP + 1));
	sbuf_init(&r->line, 1 << 16);
	sbuf_init(&r->srcjson, (size_t)1 << 26);
	sbuf_init(&r->inputs_dir, 8192);
	verdict_list_init(&r->verdicts);

	if (as_of) {
		if (tstamp_parse(as_of, strlen(as_of), &r->as_of) < 0)
			return error_set(err, ERR_USAGE,
					 "--as-of '%s' is not a date or "
					 "timestamp (YYYY-MM-DD[ HH:MM:SS])",
					 as_of);
	} else {
		r->as_of = t_start;
	}
	utc_text(t_start, &r->started);
	if (sql_time(r->as_of, &r->as_of_text) < 0 ||
	    sql_time(r->as_of - job->window, &r->window_text) < 0 ||
	    make_run_id(r, err) < 0)
		return error_set(err, ERR_NOMEM, "out of memory");
	r->stats = mem_calloc(job->nsources ? job->nsources : 1,
			      sizeof(*r->stats));
	if (!r->stats)
		return error_set(err, ERR_NOMEM, "out of memory");
	return 0;
}

int run_job(const struct job *job, const struct run_opts *opts,
	    struct run_result *res, struct error *err)
{
	struct run r;
	struct sbuf finished = SBUF_INIT(64), totals = SBUF_INIT(1 << 20);
	struct sbuf outcomes = SBUF_INIT(1 << 20), rules = SBUF_INIT(1 << 20);
	struct sbuf note = SBUF_INIT(1 << 16);
	struct report_pending *pending = NULL;
	struct store_run sr;
	struct store_prior prior;
	long long removed = 0;
	int64_t t_start = (int64_t)time(NULL);
	double t0;
	int rc = -1, k;

	/* before anything else, for the total (--stats; phase.h) */
	phase_run_begin(opts->stats);
	if (run_setup(&r, job, opts, opts->as_of, t_start, err) < 0)
		goto out;
	runlog_phase(&r, "start");
	runlog_printf(&r, "job '%s': run %s, as of %s", job->name, r.run_id.buf,
		      r.as_of_text.buf);
	/* Rules first: a syntax error stops the job before anything is
	 * connected or written. */
	runlog_phase(&r, "rules");
	if (rules_open(job, &r.rules, err) < 0)
		goto out;
	/* One live run per (job, store): before the store is opened, so
	 * a refused run reads and writes nothing (lock.h) */
	runlog_phase(&r, "lock");
	phase_push(PH_STORE);
	k = lock_take(job, r.run_id.buf, opts->lock_wait, &note, &r.lock,
		      err);
	phase_pop();
	if (k < 0)
		goto out;
	if (note.len)		/* it took over a lock left behind */
		runlog_printf(&r, "%s", note.buf);
	runlog_phase(&r, "store-open");
	phase_push(PH_STORE);
	k = store_open(job, load_life, &r, &r.store, err);
	phase_pop();
	if (k < 0 || stop_check(err, "opening the store") < 0)
		goto out;
	if (store_reinstalled(r.store))
		runlog_printf(&r, "store '%s': an unfinished install (a first "
			      "run stopped while it created the tables) held "
			      "no rows and was dropped; the store was created "
			      "again", job->store_table);
	/* Reference tables: read whole before any source row is
	 * translated, so every rule sees the same reference data. */
	runlog_phase(&r, "reference");
	if (keep_open(&r, err) < 0 ||
	    ref_load_all_tee(job, &r.refs, keep_ref_tee(&r), err) < 0 ||
	    keep_refs_end(&r, err) < 0)
		goto out;
	rules_set_refs(r.rules, &r.refs);
	for (size_t i = 0; i < r.refs.n; i++) {
		char hex[65];

		ref_table_hash_hex(r.refs.t[i], hex);
		runlog_printf(&r, "reference '%s': %llu rows, rows_hash %s",
			      ref_table_name(r.refs.t[i]),
			      (unsigned long long)ref_table_rows(r.refs.t[i]),
			      hex);
	}
	/* --jobs K > 1: K states of their own translate (xlate.h); the
	 * run's state keeps the order rules */
	if (opts->jobs > XLATE_MAX_JOBS) {
		error_set(err, ERR_USAGE, "jobs: at most %d translators, not %u",
			  XLATE_MAX_JOBS, opts->jobs);
		goto out;
	}
	if (opts->jobs > 1 &&
	    xlate_open(job, &r.refs, opts->jobs, &r.xlate, err) < 0)
		goto out;
	runlog_phase(&r, "sweep");
	/* what SIGKILLed runs left in the same tmpdir */
	match_sweep(opts->tmpdir, on_swept, &r);
	if (match_new(job, opts->tmpdir, &r.match, err) < 0)
		goto out;
	runlog_phase(&r, "read");
	progress_begin(&r);
	phase_push(PH_TRANSLATE);
	k = read_sources(&r, err);
	phase_pop();
	progress_end(&r);
	if (k < 0)
		goto out;
	for (size_t i = 0; i < job->nsources; i++)
		res->rows_read += r.stats[i].read;
	runlog_phase(&r, "guard");
	if (guard_check(&r, err) < 0)
		goto out;
	runlog_phase(&r, "match");
	progress_begin(&r);
	t0 = runlog_now();
	phase_push(PH_MATCH);
	k = match_run(r.match, r.as_of, record_on_group, record_on_dup, &r, err);
	phase_pop();
	progress_end(&r);
	if (k < 0)
		goto out;
	runlog_phase(&r, "rules-check");
	if (guard_order_rules(&r, err) < 0)
		goto out;
	/* A full run saw every key there is: the others left the sources. */
	runlog_phase(&r, "store-write");
	phase_push(PH_STORE);
	removed = store_remove_unseen(r.store, r.run_id.buf,
				      rules_hash(r.rules), err);
	phase_pop();
	if (removed < 0)
		goto out;
	res->spilled = match_spilled(r.match);
	res->kept = match_kept(r.match);
	runlog_printf(&r, "matched: %llu reconciled records, %llu exception lines "
		      "in %.2f s (order rules %.2f s, store %.2f s; "
		      "spilled %.1f MB, kept in memory %.1f MB, largest "
		      "partition %.1f MB)",
		      (unsigned long long)r.records, (unsigned long long)r.nitems,
		      runlog_now() - t0, r.t_rules, r.t_store,
		      (double)match_spilled(r.match) / 1e6,
		      (double)match_kept(r.match) / 1e6,
		      (double)match_peak_partition(r.match) / 1e6);
	runlog_printf(&r, "store: %llu keys before, %llu versions to write "
		      "(%lld removed keys)",
		      (unsigned long long)store_keys_loaded(r.store),
		      (unsigned long long)store_count(r.store), removed);
	if (stop_check(err, "writing the store") < 0)
		goto out;
	summary_items_finish(&r);
	summary_totals_finish(&r);
	/* the reports' site-field columns (record.c), even with no line */
	if (record_columns(&r, err) < 0)
		goto out;
	utc_text((int64_t)time(NULL), &finished);
	/* the watermarks the runs row and the state files hold */
	if (incmerge_watermarks(&r, err) < 0)
		goto out;
	/* the runs row; a rerun that would repeat the job's latest
	 * published run commits nothing (run identity, store.h) */
	memset(&sr, 0, sizeof(sr));
	summary_totals_json(&r, &totals);
	summary_outcomes_json(&r, (uint64_t)removed, &outcomes);
	summary_rules_json(&r, &rules);
	sr.run_id = r.run_id.buf;
	sr.job = job->name;
	/* incremental runs match the full canonical picture too, so the
	 * REMOVED tombstones above apply to them unchanged */
	sr.mode = r.incremental ? "incremental" : "full";
	sr.as_of = r.as_of_text.buf;
	sr.window_start = r.window_text.buf;
	sr.started = r.started.buf;
	sr.finished = finished.buf;
	sr.status = r.nitems ? "exceptions" : "clean";
	sr.rules_hash = rules_hash(r.rules);
	sr.rules = rules.buf;
	sr.exceptions = r.nitems;
	sr.totals = totals.buf;
	sr.outcomes = outcomes.buf;
	sr.watermarks = r.watermarks.len ? r.watermarks.buf : "{}";
	if (totals.failed || outcomes.failed || rules.failed) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (store_repeats_last(r.store, &sr, &prior)) {
		/* this run is that run again: its reports and state files
		 * are written under its id and times, the reports byte for
		 * byte the ones it wrote; the store is left as it is */
		sbuf_reset(&r.run_id);
		sbuf_addstr(&r.run_id, prior.run_id);
		sbuf_reset(&r.started);
		sbuf_addstr(&r.started, prior.started);
		sbuf_reset(&finished);
		sbuf_addstr(&finished, prior.finished);
		if (r.run_id.failed || r.started.failed || finished.failed) {
			error_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		res->repeated = 1;
		r.repeat = 1;
	}
	/* new state files fsync'ed under temporary names (incremental
	 * reading; a repeat's say what that run's said) */
	if (incmerge_finish(&r, err) < 0 || keep_finish(&r, err) < 0)
		goto out;
	runlog_phase(&r, "report");
	/* Reports to temporary names first: a report that cannot be
	 * written stops the run before the commit. */
	phase_push(PH_REPORT);
	phase_rows(PH_REPORT, r.nitems);
	k = summary_write_reports(&r, finished.buf, &res->report_paths,
				  &pending, err);
	phase_pop();
	if (k < 0)
		goto out;
	if (stop_check(err, "writing the reports") < 0)
		goto out;
	runlog_phase(&r, "commit");
	if (res->repeated) {
		/* nothing to commit: store_free rolls the empty
		 * transaction back; the state files, that run's again
		 * (a --retranslate or lost state file is made good) */
		incmerge_publish(&r);
		keep_publish(&r);
		res->reconciled = r.records;
		res->exceptions = r.nitems;
		res->seq = prior.seq;
		k = report_publish(pending, err);
		pending = NULL;
		if (k < 0)
			goto out;
		runlog_printf(&r, "job '%s': as of %s (%s) this run repeats "
			      "run seq %llu (%s) exactly: same rules, same "
			      "source rows, same results; nothing new was "
			      "published", job->name, r.as_of_text.buf, sr.mode,
			      (unsigned long long)prior.seq, prior.run_id);
		sbuf_add(&res->run_id, r.run_id.buf, r.run_id.len);
		rc = 0;
		goto out;
	}
	t0 = runlog_now();
	if (lock_check(r.lock, err) < 0)
		goto out;
	phase_push(PH_STORE);
	k = store_commit(r.store, &sr, err);
	phase_pop();
	if (k < 0)
		goto out;
	/* Published. The reports follow; from here nothing allocates. */
	res->published = 1;
	incmerge_publish(&r);	/* the new state files take over */
	keep_publish(&r);
	res->records = store_count(r.store);
	res->reconciled = r.records;
	res->removed = (uint64_t)removed;
	res->exceptions = r.nitems;
	res->seq = store_seq(r.store);
	phase_push(PH_REPORT);
	k = report_publish(pending, err);
	phase_pop();
	if (k < 0) {
		/* Still exit 7 (REPORT), but the one case where the run WAS
		 * published: say so first, then why, then what to do. */
		struct sbuf why = SBUF_INIT(1 << 16);

		pending = NULL;
		sbuf_reset(&res->report_paths);
		if (err->ctx.len)
			sbuf_addf(&why, "%s: ", err->ctx.buf);
		sbuf_addstr(&why, err->msg.buf);
		error_clear(err);
		error_set(err, ERR_REPORT, "the run was published (run %llu); "
			  "its report could not be put in place: %s; rerun the "
			  "job for the same as-of to recreate it",
			  (unsigned long long)res->seq,
			  why.failed ? "(reason too long)" : why.buf);
		sbuf_release(&why);
		sbuf_add(&res->run_id, r.run_id.buf, r.run_id.len);
		goto out;
	}
	pending = NULL;
	runlog_printf(&r, "published: run seq %llu, %llu versions, commit %.2f s",
		      (unsigned long long)res->seq,
		      (unsigned long long)res->records, runlog_now() - t0);
	sbuf_add(&res->run_id, r.run_id.buf, r.run_id.len);
	rc = 0;
out:
	progress_end(&r);
	res->phase = r.phase;
	if (rc < 0) {
		/* no report of this run either (published or not) */
		report_abort(pending);
		if (!res->published)
			sbuf_reset(&res->report_paths);
		error_context(err, "job '%s'", job->name);
	}
	result_for_hooks(&r, removed > 0 ? (uint64_t)removed : 0, res);
	run_release(&r);
	phase_run_end();
	sbuf_release(&finished);
	sbuf_release(&totals);
	sbuf_release(&outcomes);
	sbuf_release(&rules);
	sbuf_release(&note);
	return rc;
}


/* ---- a replay (recon shadow) ----------------------------------------- */

int run_replay(const struct job *job, const struct run_opts *opts,
	       const struct run_replay *rp, struct error *err)
{
	struct run r;
	int rc = -1, k;

	phase_run_begin(0);
	if (run_setup(&r, job, opts, rp->as_of, (int64_t)time(NULL), err) < 0)
		goto out;
	r.replay = rp;
	runlog_phase(&r, "start");
	runlog_printf(&r, "job '%s': replaying the inputs %s as of %s", job->name,
		      rp->inputs, r.as_of_text.buf);
	runlog_phase(&r, "rules");
	if (rules_open(job, &r.rules, err) < 0)
		goto out;
	runlog_phase(&r, "sweep");
	match_sweep(opts->tmpdir, on_swept, &r);
	if (match_new(job, opts->tmpdir, &r.match, err) < 0)
		goto out;
	runlog_phase(&r, "read");
	progress_begin(&r);
	k = read_replay(&r, rp->inputs, rp->totals, err);
	progress_end(&r);
	if (k < 0)
		goto out;
	runlog_phase(&r, "match");
	progress_begin(&r);
	k = match_run(r.match, r.as_of, record_on_group, record_on_dup, &r, err);
	progress_end(&r);
	if (k < 0)
		goto out;
	if (rp->totals_out && summary_totals_json(&r, rp->totals_out) < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the rows whose translation failed: report lines without a record */
	for (size_t i = 0; rp->on_failed_row && i < r.nitems; i++) {
		const struct report_item *it = &r.items[i];

		if (strcmp(it->outcome, "RULE_ERROR") == 0 &&
		    !life_item_kind(it) &&
		    rp->on_failed_row(rp->ctx, it->key, it->message, err) < 0)
			goto out;
	}
	runlog_printf(&r, "replayed: %llu reconciled records, %llu exception "
		      "lines", (unsigned long long)r.records,
		      (unsigned long long)r.nitems);
	rc = 0;
out:
	progress_end(&r);
	if (rc < 0)
		error_context(err, "job '%s'", job->name);
	run_release(&r);
	phase_run_end();
	return rc;
}
