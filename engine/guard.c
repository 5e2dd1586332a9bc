/*
 * guard.c - the completeness guard (docs/LEDGER.md): before anything is
 * matched or written, per source the rule-error ceiling and the
 * kept-nothing check, then rows read and kept against the job's last
 * published full run (min-rows-ratio, --accept-shrink); after matching,
 * the order rules' rule-error ceiling. Each refusal is ERR_GUARD with a
 * message that says what to do.
 */
#include <string.h>

#include "run_int.h"
#include "ledger.h"
#include "store.h"
#include "banned.h"

static int shrink_accepted(const struct run_opts *o, const char *name)
{
	for (size_t i = 0; i < o->naccept_shrink; i++)
		if (strcmp(o->accept_shrink[i], name) == 0)
			return 1;
	return 0;
}

/* "1,234,567": a count as the guard's messages print it. */
static void add_count(struct sbuf *out, uint64_t v)
{
	char d[24];
	int n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n--) {
		sbuf_addch(out, d[n]);
		if (n && n % 3 == 0)
			sbuf_addch(out, ',');
	}
}

/* A fixed-point value v / 10^scale, trailing zeros dropped: "41.2". */
static void add_fixed(struct sbuf *out, uint64_t v, unsigned scale)
{
	uint64_t div = 1;
	char frac[24];
	unsigned n;

	for (unsigned i = 0; i < scale; i++)
		div *= 10;
	sbuf_addf(out, "%llu", (unsigned long long)(v / div));
	v %= div;
	for (n = scale; n > 0 && v % 10 == 0; n--)
		v /= 10;
	if (!n)
		return;
	for (unsigned i = n; i > 0; i--) {
		frac[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	sbuf_addch(out, '.');
	sbuf_add(out, frac, n);
}

/* a / b as a percentage to three decimals (truncated): "41.2". */
static void add_share(struct sbuf *out, uint64_t a, uint64_t b)
{
	uint64_t v;

	if (!b || __builtin_mul_overflow(a, (uint64_t)100000, &v))
		v = b ? (uint64_t)((long double)a * 100000.0L / (long double)b)
		      : 0;
	else
		v /= b;
	add_fixed(out, v, 3);
}

/* Is a / b below ppm millionths (a x 10^6 < ppm x b), exactly? */
static int below_ppm(uint64_t a, uint64_t b, int64_t ppm)
{
	uint64_t l, r;

	if (ppm <= 0)
		return 0;
	if (__builtin_mul_overflow(a, (uint64_t)1000000, &l) ||
	    __builtin_mul_overflow(b, (uint64_t)ppm, &r))
		return (long double)a * 1e6L < (long double)ppm * (long double)b;
	return l < r;
}

/* Is a / b above ppm millionths (a x 10^6 > ppm x b), exactly? */
static int above_ppm(uint64_t a, uint64_t b, int64_t ppm)
{
	uint64_t l, r;

	if (ppm < 0)
		return 1;
	if (__builtin_mul_overflow(a, (uint64_t)1000000, &l) ||
	    __builtin_mul_overflow(b, (uint64_t)ppm, &r))
		return (long double)a * 1e6L > (long double)ppm * (long double)b;
	return l > r;
}

/* The first line of a rule failure, for a one-line guard message. */
static void add_first_line(struct sbuf *out, const char *msg)
{
	const char *nl = msg ? strchr(msg, '\n') : NULL;

	if (!msg)
		return;
	sbuf_add(out, msg, nl ? (size_t)(nl - msg) : strlen(msg));
}

/* ERR_GUARD with the text of sb (NOMEM if it could not be built). */
static int guard_fail(struct sbuf *sb, const char *source, struct error *err)
{
	if (sb->failed)
		error_set(err, ERR_NOMEM, "out of memory");
	else
		error_set(err, ERR_GUARD, "%s", sb->buf);
	return error_context(err, "source '%s'", source);
}

/*
 * The rule-error ceiling and the kept-nothing check of one source: they
 * need no earlier run. A source whose rows more than its
 * max-rule-error-ratio fail translation (schema drift, a NULL every row
 * needs, a broken rule), or which read rows but kept none, would publish
 * every one of its records as gone.
 */
static int guard_translation(struct run *r, size_t i, struct error *err)
{
	const struct job_source *src = &r->job->sources[i];
	const struct source_stats *st = &r->stats[i];
	struct sbuf m = SBUF_INIT(1 << 16);
	int rc = 0;

	if (st->failed && src->max_rule_errors_ppm < 1000000 &&
	    above_ppm(st->failed, st->read, src->max_rule_errors_ppm)) {
		add_count(&m, st->failed);
		sbuf_addstr(&m, " of ");
		add_count(&m, st->read);
		sbuf_addstr(&m, " rows (");
		add_share(&m, st->failed, st->read);
		sbuf_addstr(&m, "%) failed translation, above the job's "
			    "ceiling of ");
		add_fixed(&m, (uint64_t)src->max_rule_errors_ppm, 4);
		sbuf_addstr(&m, "% (max-rule-error-ratio); first: ");
		add_first_line(&m, st->first_fail);
		sbuf_addstr(&m, "; nothing was published. Fix the rule or the "
			    "query (a column dropped or renamed, a NULL the "
			    "rule does not expect), or raise "
			    "max-rule-error-ratio on the source if such "
			    "failures are normal");
		rc = guard_fail(&m, src->name, err);
	}
	if (rc == 0 && st->read && !st->kept && !src->allow_empty) {
		sbuf_addstr(&m, "the query returned ");
		add_count(&m, st->read);
		sbuf_addstr(&m, " rows but translation kept none (");
		add_count(&m, st->skipped);
		sbuf_addstr(&m, " skipped by the rules, ");
		add_count(&m, st->failed);
		sbuf_addstr(&m, " failed); nothing was published: the "
			    "reconciliation would call every record of the "
			    "source missing. Check the translate function "
			    "and the query (allow-empty=\"true\" on the "
			    "source if this is normal)");
		rc = guard_fail(&m, src->name, err);
	}
	sbuf_release(&m);
	return rc;
}

/*
 * The rule-error ceiling of the order rules, after matching and before
 * anything is published: an order rule that raises on more than the
 * job's max-rule-error-ratio (<limits>) of the orders it checked (a field
 * the rule reads that translation no longer sets, a bug in a new rule)
 * would publish every such order as RULE_ERROR in place of its real
 * outcome.
 */
int guard_order_rules(struct run *r, struct error *err)
{
	int64_t ppm = r->job->max_rule_errors_ppm;
	struct sbuf m = SBUF_INIT(1 << 16);

	if (!r->check_failed || ppm >= 1000000 ||
	    !above_ppm(r->check_failed, r->checked, ppm))
		return 0;
	sbuf_addstr(&m, "the order rules raised an error on ");
	add_count(&m, r->check_failed);
	sbuf_addstr(&m, " of ");
	add_count(&m, r->checked);
	sbuf_addstr(&m, " orders (");
	add_share(&m, r->check_failed, r->checked);
	sbuf_addstr(&m, "%), above the job's ceiling of ");
	add_fixed(&m, (uint64_t)ppm, 4);
	sbuf_addstr(&m, "% (max-rule-error-ratio in <limits>); first: ");
	add_first_line(&m, r->first_check_fail);
	sbuf_addstr(&m, "; nothing was published. Fix the rule (or the "
		    "translation that should set what it reads), or raise "
		    "<limits max-rule-error-ratio> if such failures are "
		    "normal");
	if (m.failed)
		error_set(err, ERR_NOMEM, "out of memory");
	else
		error_set(err, ERR_GUARD, "%s", m.buf);
	sbuf_release(&m);
	return -1;
}

/*
 * One count (rows read, or rows kept) against the same count of the last
 * full run: below min-rows-ratio is ERR_GUARD unless --accept-shrink
 * names the source.
 */
static int guard_ratio(struct run *r, const struct job_source *src,
		       const char *what, uint64_t now, uint64_t last,
		       const char *last_id, struct error *err)
{
	struct sbuf m = SBUF_INIT(1 << 16);
	int rc;

	if (!src->min_rows_ppm || !last ||
	    !below_ppm(now, last, src->min_rows_ppm))
		return 0;
	if (shrink_accepted(r->opts, src->name)) {
		runlog_printf(r, "source '%s': %s %llu rows, fewer than %.2f x the "
			      "%llu of run %s; accepted (--accept-shrink)",
			      src->name, what, (unsigned long long)now,
			      src->min_rows_ppm / 1e6, (unsigned long long)last,
			      last_id);
		return 0;
	}
	sbuf_addf(&m, "%s ", what);
	add_count(&m, now);
	sbuf_addf(&m, " rows, fewer than min-rows-ratio %.2f x the ",
		  src->min_rows_ppm / 1e6);
	add_count(&m, last);
	sbuf_addf(&m, " rows it %s in the last full run %s; refusing to "
		  "publish a reconciliation that would call the difference "
		  "missing; nothing was published. If the source really "
		  "shrank, rerun with --accept-shrink %s (or lower "
		  "min-rows-ratio on the source)",
		  what, last_id, src->name);
	rc = guard_fail(&m, src->name, err);
	sbuf_release(&m);
	return rc;
}

/*
 * The completeness guard, before anything is matched or written: per
 * source the rule-error ceiling and kept-nothing check, then rows read
 * and rows kept against the job's last published full run
 * (min-rows-ratio; --accept-shrink SOURCE accepts both). The last run's
 * T_runs.totals are read strictly: an entry that cannot be read stops
 * the run (ERR_STORE) instead of passing the guard.
 */
int guard_check(struct run *r, struct error *err)
{
	const char *last_id;
	struct sbuf why = SBUF_INIT(1 << 16);

	for (size_t i = 0; i < r->opts->naccept_shrink; i++) {
		size_t k;

		for (k = 0; k < r->job->nsources; k++)
			if (strcmp(r->job->sources[k].name,
				   r->opts->accept_shrink[i]) == 0)
				break;
		if (k == r->job->nsources)
			return error_set(err, ERR_USAGE,
					 "--accept-shrink '%s': the job has no "
					 "such source", r->opts->accept_shrink[i]);
	}
	for (size_t i = 0; i < r->job->nsources; i++)
		if (guard_translation(r, i, err) < 0)
			return -1;
	if (!store_last_full(r->store, &last_id))
		return 0;
	for (size_t i = 0; i < r->job->nsources; i++) {
		const struct job_source *src = &r->job->sources[i];
		const struct source_stats *st = &r->stats[i];
		struct ledger_source_totals last;
		int f;

		sbuf_reset(&why);
		f = store_last_full_totals(r->store, src->name, &last, &why);
		if (f == -2) {
			sbuf_release(&why);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
		if (f < 0) {
			error_set(err, ERR_STORE, "the control totals of the "
				  "last full run %s (T_runs.totals) cannot be "
				  "read: %s; the completeness guard cannot "
				  "compare this run with it, so nothing was "
				  "published (run recon verify)", last_id,
				  why.failed ? "?" : why.buf);
			sbuf_release(&why);
			return error_context(err, "source '%s'", src->name);
		}
		/* Fail closed: a source the last full run has no totals for
		 * cannot be compared, and a renamed or lost entry must not
		 * pass for a new source. The operator says it is new. */
		if (f == 0 && shrink_accepted(r->opts, src->name)) {
			runlog_printf(r, "source '%s': not in the totals of run "
				      "%s; accepted as a new source "
				      "(--accept-shrink %s)", src->name,
				      last_id, src->name);
			continue;
		}
		if (f == 0) {
			sbuf_release(&why);
			error_set(err, ERR_GUARD, "the last full run %s has no "
				  "control totals for this source, so the "
				  "completeness guard cannot compare this run's "
				  "%llu rows with it; nothing was published. If "
				  "the source is new (or renamed) since that "
				  "run, rerun with --accept-shrink %s",
				  last_id, (unsigned long long)st->read,
				  src->name);
			return error_context(err, "source '%s'", src->name);
		}
		if (guard_ratio(r, src, "read", st->read, last.read, last_id,
				err) < 0 ||
		    guard_ratio(r, src, "kept", st->kept, last.kept, last_id,
				err) < 0) {
			sbuf_release(&why);
			return -1;
		}
	}
	sbuf_release(&why);
	return 0;
}
