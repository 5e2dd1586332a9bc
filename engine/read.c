/*
 * read.c - reading the sources (run_int.h): each source's query streamed
 * through its translation rule, fingerprinting each row, into feed_row()
 * (feed.c), the one sink of translated rows, which feeds the matcher and
 * the per-source counters and control totals. A source with an
 * <incremental> query that can be read incrementally goes through
 * incmerge_read() instead, into the same sink.
 */
#include <string.h>
#include <unistd.h>

#include "run_int.h"
#include "canon.h"
#include "incr.h"
#include "ledger.h"
#include "match.h"
#include "mem.h"
#include "prefetch.h"
#include "rowfp.h"
#include "rules.h"
#include "stop.h"
#include "text.h"
#include "xlate.h"
#include "../connectors/connector.h"
#include "banned.h"

/* One source being read: its connection, cursor and fetch thread, and
 * what reading a row needs. */
struct rsrc {
	size_t si;
	const struct job_source *src;
	struct source_stats *st;
	struct conn *conn;
	struct cursor *cur;
	struct prefetch *pf;
	struct param *params;
	struct canon rec;
	struct rowfp fpr;
	struct sbuf fail, id, key;
	double t0;
	enum { RS_OPEN, RS_DONE, RS_FAILED } state;
	struct error err;	/* its failure when sources are read at once */
};

static void rsrc_init(struct run *r, struct rsrc *rs, size_t si)
{
	memset(rs, 0, sizeof(*rs));
	rs->si = si;
	rs->src = &r->job->sources[si];
	rs->st = &r->stats[si];
	canon_init(&rs->rec);
	rowfp_init(&rs->fpr);
	sbuf_init(&rs->fail, 65536);
	sbuf_init(&rs->id, 65536);
	sbuf_init(&rs->key, 65536);
	error_init(&rs->err);
	rs->t0 = runlog_now();
}

static void rsrc_release(struct rsrc *rs)
{
	prefetch_free(rs->pf);	/* before the cursor it reads */
	cursor_close(rs->cur);
	conn_close(rs->conn);
	mem_free(rs->params);
	canon_release(&rs->rec);
	rowfp_release(&rs->fpr);
	sbuf_release(&rs->fail);
	sbuf_release(&rs->id);
	sbuf_release(&rs->key);
	error_release(&rs->err);
}

/* Connect and run the source's query. */
static int rsrc_open(struct run *r, struct rsrc *rs, struct error *err)
{
	rs->params = feed_params(r, rs->src->params, rs->src->nparams, NULL, 0,
				 err);
	if (!rs->params)
		return -1;
	if (conn_open_source(rs->src->dsn, &rs->conn, err) < 0 ||
	    cursor_open(rs->conn, rs->src->query, rs->params,
			rs->src->nparams, 0, &rs->cur, err) < 0)
		return -1;
	cursor_id_column(rs->cur, rs->src->id_column);	/* DATA errors name the row */
	return 0;
}

/* One fetched row: its fingerprint, its translation (or the previous
 * state's, incmerge_reuse), its state entry, into feed_row(). */
static int rsrc_row(struct run *r, struct rules *rules, struct rsrc *rs,
		    const struct row *row, struct error *err)
{
	const struct job_source *src = rs->src;
	size_t si = rs->si;
	uint8_t fp[32];
	enum incr_kind k;
	int t;

	if (rs->st->read == 0 && feed_check_columns(src, row, err) < 0)
		return -1;
	if (keep_row(r, si, row, err) < 0)
		goto row_error;
	if (rowfp_row(&rs->fpr, row, fp, err) < 0)
		return -1;
	sbuf_reset(&rs->key);
	sbuf_reset(&rs->fail);
	if (rs->st->reuse) {
		/* the previous state's translation of this row */
		struct incr_entry e;
		int u = incmerge_reuse(r, si, row, fp, &e, err);

		if (u < 0)
			goto row_error;
		if (u == 1) {
			if (e.kind == INCR_FAILED) {
				feed_row_id(src, row, &rs->id);
				sbuf_addf(&rs->key, "%s:%s", src->name,
					  rs->id.buf);
				sbuf_add(&rs->fail, e.msg, e.msg_len);
			}
			if (feed_row(r, si, e.kind, fp, &e.rec, &rs->key,
				     &rs->fail, err) < 0) {
				if (e.kind == INCR_KEPT)
					goto row_error;
				return -1;
			}
			return 0;
		}
	}
	canon_reset(&rs->rec, src->role, (uint16_t)si, row->rowno);
	memcpy(rs->rec.fp, fp, sizeof(rs->rec.fp));
	t = rules_translate(rules, si, row, &rs->rec, &rs->fail, err);
	if (t == -1)
		goto row_error;
	if (incmerge_state_row(r, si, row, fp, t, &rs->rec, &rs->fail, err) < 0)
		goto row_error;
	k = t == 1 ? INCR_KEPT : t == 0 ? INCR_SKIPPED : INCR_FAILED;
	if (k == INCR_FAILED) {
		feed_row_id(src, row, &rs->id);
		sbuf_addf(&rs->key, "%s:%s", src->name, rs->id.buf);
	}
	if (feed_row(r, si, k, fp, &rs->rec, &rs->key, &rs->fail, err) < 0) {
		if (k == INCR_KEPT)
			goto row_error;
		return -1;
	}
	return 0;
row_error:
	feed_row_id(src, row, &rs->id);
	error_context(err, "row '%s'", rs->id.buf);
	return -1;
}

/* The end of a source's reading: rc 0, or -1 (err set). The empty-result
 * guard, the context of an error, the log lines. */
static int rsrc_end(struct run *r, struct rsrc *rs, int rc, struct error *err)
{
	const struct job_source *src = rs->src;
	struct source_stats *st = rs->st;

	if (rc == 0 && st->read == 0 && !src->allow_empty) {
		rc = -1;
		error_set(err, ERR_GUARD,
			  "the query returned no rows; refusing to publish a "
			  "reconciliation that would call everything missing "
			  "(check the source, or the as-of and window; "
			  "allow-empty=\"true\" on the source if this is normal)");
	}
	st->seconds = runlog_now() - rs->t0;
	if (rc == 0 && keep_source_end(r, rs->si, err) < 0)
		rc = -1;
	if (rc < 0) {
		error_context(err, "source '%s'", src->name);
		return -1;
	}
	runlog_printf(r, "source '%s': %llu rows read, %llu kept, %llu skipped, "
		      "%llu rule errors (%.2f s)", src->name,
		      (unsigned long long)st->read,
		      (unsigned long long)st->kept,
		      (unsigned long long)st->skipped,
		      (unsigned long long)st->failed, st->seconds);
	if (st->reuse && !st->incremental)
		runlog_printf(r, "source '%s': %llu of %llu rows unchanged since "
			      "the last run, their translations reused "
			      "(--retranslate translates every row)", src->name,
			      (unsigned long long)st->reused,
			      (unsigned long long)st->read);
	return 0;
}

/* Read source si alone: incrementally if it can (incmerge_read), else in
 * full with its own fetch thread. 1: it is to be read in full with the
 * others instead (only when asked: at_once), 0, -1. */
static int read_source(struct run *r, struct rules *rules, size_t si,
		       int at_once, struct error *err)
{
	struct rsrc rs;
	int rc = -1;

	rsrc_init(r, &rs, si);
	if (rs.st->incremental) {
		rc = incmerge_read(r, rules, si, err);
		if (rc <= 0)
			goto end;
		rc = -1;	/* read in full after all */
	}
	if (at_once) {
		rsrc_release(&rs);
		return 1;
	}
	if (rsrc_open(r, &rs, err) < 0)
		goto end;
	if (r->xlate) {
		/* --jobs K > 1: the same rows, translated in K states */
		if (prefetch_start_n(rs.cur, xlate_batches(r->xlate), &rs.pf,
				     err) < 0 ||
		    xlate_source(r, r->xlate, si, rs.pf, err) < 0)
			goto end;
		rc = 0;
		goto end;
	}
	if (prefetch_start(rs.cur, &rs.pf, err) < 0)
		goto end;
	for (;;) {
		const struct row *row;
		int n = prefetch_next(rs.pf, &row, err);

		/* a safe point per row (stop.h): fetching, the translation
		 * rule and the matcher's spill files are all behind it */
		if (n < 0 || stop_check(err, "reading") < 0)
			goto end;
		if (n == 0)
			break;
		if (rsrc_row(r, rules, &rs, row, err) < 0)
			goto end;
	}
	rc = 0;
end:
	rc = rsrc_end(r, &rs, rc, err);
	rsrc_release(&rs);
	return rc;
}

/* ---- several sources at once ----------------------------------------- */

/*
 * The sources to be read in full (idx, n, in job order) at once, each
 * with its own connection and fetch thread, so that reading takes about
 * as long as the slowest source's fetch rather than the sum of all
 * (docs/CONNECTORS.md, "Reading sources at once"). This thread takes
 * rows from whichever source has some, a batch at a time, and sleeps on
 * one bell when none has.
 *
 * Nothing depends on the order rows of different sources arrive in: the
 * matcher orders each partition by content (match.c), every counter and
 * state file is per source, and a source's own rows come in its order.
 * Errors keep the order of reading one source after another: sources
 * are opened in job order, the first that cannot be opened fails the
 * run; when a source fails while reading, the sources after it are
 * stopped and those before it read to their end, and the run fails with
 * the error of the first source in job order that failed.
 */
static int read_at_once(struct run *r, const size_t *idx, size_t n,
			struct error *err)
{
	struct prefetch_bell bell;
	struct rsrc *rs = mem_calloc(n, sizeof(*rs));
	size_t open = 0, first_failed = n;
	int rc = -1;

	if (!rs)
		return error_set(err, ERR_NOMEM, "out of memory");
	prefetch_bell_init(&bell);
	for (; open < n; open++) {
		rsrc_init(r, &rs[open], idx[open]);
		if (rsrc_open(r, &rs[open], err) < 0 ||
		    prefetch_start_bell(rs[open].cur, &bell, &rs[open].pf,
					err) < 0) {
			open++;
			rsrc_end(r, &rs[open - 1], -1, err);
			goto out;
		}
	}
	for (;;) {
		uint64_t seen = prefetch_bell_rings(&bell);
		int moved = 0, reading = 0;

		for (size_t i = 0; i < n && i < first_failed; i++) {
			struct rsrc *s = &rs[i];

			if (s->state != RS_OPEN)
				continue;
			reading = 1;
			for (size_t k = 0; k < PREFETCH_ROWS; k++) {
				const struct row *row;
				int got = prefetch_poll(s->pf, &row, &s->err);

				if (got == 2)
					break;
				moved = 1;
				if (got < 0 || (got == 1 &&
				    (stop_check(&s->err, "reading") < 0 ||
				     rsrc_row(r, r->rules, s, row, &s->err) < 0))) {
					rsrc_end(r, s, -1, &s->err);
					s->state = RS_FAILED;
					first_failed = i;
					break;
				}
				if (got == 0) {
					s->state = rsrc_end(r, s, 0, &s->err) < 0
						   ? RS_FAILED : RS_DONE;
					if (s->state == RS_FAILED)
						first_failed = i;
					break;
				}
			}
		}
		if (!reading)
			break;
		if (!moved)
			prefetch_bell_wait(&bell, seen);
	}
	if (first_failed < n) {
		error_copy(err, &rs[first_failed].err);
		goto out;
	}
	rc = 0;
out:
	/* the fetch threads stop before the bell goes */
	for (size_t i = 0; i < open; i++)
		rsrc_release(&rs[i]);
	prefetch_bell_destroy(&bell);
	mem_free(rs);
	return rc;
}

/* ---- reading every source ------------------------------------------- */

/*
 * Sources read incrementally are read one after another (their state
 * merge is serial), then the sources read in full: at once
 * (read_at_once) with read-sources="parallel", or with "auto" (the
 * default) when the machine has a core for every fetch thread and one
 * for this thread; else one after another. Measured on 2 cores with 3
 * SQLite sources (docs/CONNECTORS.md): at once, the fetch threads' CPU
 * rose from 3.1 to 4.25 s (contention) and the run was no faster.
 * Never with --jobs K > 1: the translators take whole batches of one
 * source.
 */
int read_sources(struct run *r, struct error *err)
{
	size_t *full, nfull = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int mode = r->job->read_at_once, rc = -1;
	int at_once = !r->xlate && r->job->nsources > 1 &&
		      (mode > 0 ||
		       (mode < 0 && cpus > (long)r->job->nsources));

	if (incmerge_prepare(r, err) < 0)
		return -1;
	for (size_t i = 0; i < r->job->nsources; i++)
		if (r->stats[i].incremental)
			keep_drop(r, "source '%s' is read incrementally",
				  r->job->sources[i].name);
	full = mem_calloc(r->job->nsources, sizeof(*full));
	if (!full)
		return error_set(err, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < r->job->nsources; i++) {
		int o = read_source(r, r->rules, i, at_once, err);

		if (o < 0)
			goto out;
		if (o == 1)
			full[nfull++] = i;
	}
	if (nfull && read_at_once(r, full, nfull, err) < 0)
		goto out;
	rc = 0;
out:
	mem_free(full);
	return rc;
}

/* ---- a replay: the rows of a run's inputs file ------------------------ */

/* Which source or reference section sec of the file is: rs index
 * (source) or ref index, by name; -1 if the job has no such one. */
struct rsec_map {
	char kind;	/* 'S', 'R', 0: not declared */
	size_t idx;
	uint64_t rows;
};

static long find_source(const struct job *job, const char *name)
{
	for (size_t i = 0; i < job->nsources; i++)
		if (strcmp(job->sources[i].name, name) == 0)
			return (long)i;
	return -1;
}

static long find_reference(const struct job *job, const char *name)
{
	for (size_t i = 0; i < job->nreferences; i++)
		if (strcmp(job->references[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* The lower-cased key column of reference jr (the connector lower-cases
 * a query's labels; a CSV's header is taken as written). */
static char *ref_key(const struct job_reference *jr)
{
	char *k = mem_strdup(jr->key);

	for (char *p = k; p && *p && !jr->file; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return k;
}

/* Every section's rows_hash against the run's totals. */
static int replay_hashes(struct run *r, const char *totals, struct error *err)
{
	struct sbuf hash = SBUF_INIT(256), why = SBUF_INIT(1 << 16);
	struct ledger_source_totals t;
	int rc = -1;

	for (size_t i = 0; i < r->job->nsources; i++) {
		const char *name = r->job->sources[i].name;
		char hex[65];
		int k = ledger_source_hash(totals, name, &t, &hash, &why);

		if (k != 1 || !hash.len) {
			error_set(err, ERR_VERIFY, "source '%s': the run's totals "
				  "have no rows_hash for it%s%s; it cannot be "
				  "replayed", name, why.len ? ": " : "",
				  why.buf);
			goto out;
		}
		rowfp_hex(r->stats[i].rows_sum, hex);
		if (strcmp(hex, hash.buf) != 0 || t.read != r->stats[i].read) {
			error_set(err, ERR_VERIFY, "source '%s': the kept rows "
				  "are not the rows the run read (%llu rows, "
				  "rows_hash %s; the run: %llu rows, rows_hash "
				  "%s); the inputs file does not belong to this "
				  "run or store", name,
				  (unsigned long long)r->stats[i].read, hex,
				  (unsigned long long)t.read, hash.buf);
			goto out;
		}
	}
	for (size_t i = 0; i < r->refs.n; i++) {
		const char *name = ref_table_name(r->refs.t[i]);
		uint64_t rows;
		char hex[65];
		int k = ledger_reference_find(totals, name, &rows, &hash, &why);

		ref_table_hash_hex(r->refs.t[i], hex);
		if (k != 1 || strcmp(hex, hash.buf) != 0 ||
		    rows != ref_table_rows(r->refs.t[i])) {
			error_set(err, ERR_VERIFY, "reference '%s': the kept "
				  "rows are not the rows the run loaded "
				  "(rows_hash %s; the run: %s)", name, hex,
				  k == 1 ? hash.buf : "none");
			goto out;
		}
	}
	rc = 0;
out:
	sbuf_release(&hash);
	sbuf_release(&why);
	return rc;
}

int read_replay(struct run *r, const char *path, const char *totals,
		struct error *err)
{
	const struct job *job = r->job;
	uint64_t cap = job->reference_rows ? job->reference_rows
					   : JOB_DEFAULT_REFERENCE_ROWS;
	struct inputs_reader *in = NULL;
	struct rsrc *rs = mem_calloc(job->nsources ? job->nsources : 1,
				     sizeof(*rs));
	struct rsec_map *map = NULL;
	size_t nmap = 0, nrs = 0;
	int refs_done = 0, rc = -1, k;
	struct inputs_item it;

	if (!rs)
		return error_set(err, ERR_NOMEM, "out of memory");
	r->refs.t = mem_calloc(job->nreferences ? job->nreferences : 1,
			       sizeof(*r->refs.t));
	if (!r->refs.t) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (; nrs < job->nsources; nrs++)
		rsrc_init(r, &rs[nrs], nrs);
	if (inputs_reader_open(path, &in, err) < 0)
		goto out;
	while ((k = inputs_reader_next(in, &it, err)) == 1) {
		struct rsec_map *m;

		if (it.sec >= nmap) {
			struct rsec_map *nm = mem_realloc(map, (it.sec + 1) *
							  sizeof(*nm));

			if (!nm) {
				error_set(err, ERR_NOMEM, "out of memory");
				goto out;
			}
			memset(nm + nmap, 0, (it.sec + 1 - nmap) * sizeof(*nm));
			map = nm;
			nmap = it.sec + 1;
		}
		m = &map[it.sec];
		if (it.tag == 'R') {
			long ri = find_reference(job, it.name);
			char *key;

			if (ri < 0 || refs_done || r->refs.t[ri]) {
				error_set(err, ERR_VERIFY, "the inputs file holds "
					  "reference '%s', %s", it.name, ri < 0
					  ? "which the job does not declare"
					  : "out of place");
				goto out;
			}
			key = ref_key(&job->references[ri]);
			k = key ? ref_table_new(it.name, it.cols, it.ncols, key,
						cap, &r->refs.t[ri], err)
				: error_set(err, ERR_NOMEM, "out of memory");
			mem_free(key);
			if (k < 0)
				goto out;
			m->kind = 'R';
			m->idx = (size_t)ri;
			continue;
		}
		if (it.tag == 'S') {
			long si = find_source(job, it.name);

			if (si < 0) {
				error_set(err, ERR_VERIFY, "the inputs file holds "
					  "source '%s', which the job does not "
					  "declare", it.name);
				goto out;
			}
			if (!refs_done) {
				/* every reference precedes the sources */
				for (size_t i = 0; i < job->nreferences; i++)
					if (!r->refs.t[i]) {
						error_set(err, ERR_VERIFY,
							  "the inputs file lacks "
							  "reference '%s'",
							  job->references[i].name);
						goto out;
					}
				r->refs.n = job->nreferences;
				rules_set_refs(r->rules, &r->refs);
				refs_done = 1;
			}
			m->kind = 'S';
			m->idx = (size_t)si;
			continue;
		}
		if (!m->kind) {
			error_set(err, ERR_VERIFY, "the inputs file %s has a row "
				  "of an undeclared section", path);
			goto out;
		}
		if (it.tag == 'W' && m->kind == 'R') {
			if (ref_table_add(r->refs.t[m->idx], it.vals, err) < 0)
				goto out;
		} else if (it.tag == 'W') {
			struct rsrc *s = &rs[m->idx];
			struct row row;

			row.ncols = it.ncols;
			row.names = it.cols;
			row.vals = it.vals;
			row.rowno = ++m->rows;
			if (stop_check(err, "reading") < 0 ||
			    rsrc_row(r, r->rules, s, &row, err) < 0) {
				error_context(err, "source '%s'", s->src->name);
				goto out;
			}
			progress_tick(r);
		} else if (it.tag == 'E' && m->kind == 'R') {
			if (ref_table_done(r->refs.t[m->idx], err) < 0)
				goto out;
		} else if (it.tag == 'E') {
			struct rsrc *s = &rs[m->idx];

			if (s->state != RS_OPEN) {
				error_set(err, ERR_VERIFY, "the inputs file ends "
					  "source '%s' twice", s->src->name);
				goto out;
			}
			s->state = RS_DONE;
			if (rsrc_end(r, s, 0, err) < 0)
				goto out;
		}
	}
	if (k < 0)
		goto out;
	for (size_t i = 0; i < job->nsources; i++)
		if (rs[i].state != RS_DONE) {
			error_set(err, ERR_VERIFY, "the inputs file %s lacks "
				  "source '%s' (the run did not keep it whole)",
				  path, job->sources[i].name);
			goto out;
		}
	if (!refs_done && job->nreferences) {
		error_set(err, ERR_VERIFY, "the inputs file %s lacks the "
			  "sources", path);
		goto out;
	}
	rc = replay_hashes(r, totals, err);
out:
	for (size_t i = 0; i < nrs; i++)
		rsrc_release(&rs[i]);
	mem_free(rs);
	mem_free(map);
	inputs_reader_free(in);
	if (!refs_done) {
		/* the tables built so far (refs.n counts them only once
		 * they are all there) */
		for (size_t i = 0; r->refs.t && i < job->nreferences; i++)
			ref_table_free(r->refs.t[i]);
		mem_free(r->refs.t);
		r->refs.t = NULL;
		r->refs.n = 0;
	}
	return rc;
}
