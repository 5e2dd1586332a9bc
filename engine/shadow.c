/*
 * shadow.c - shadow_: a candidate rule set over a published run's
 * inputs, compared with what the run published (shadow.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include <jansson.h>

#include "shadow.h"
#include "arena.h"
#include "incr.h"
#include "inputs.h"
#include "ledger.h"
#include "lifecycle.h"
#include "mem.h"
#include "snapshot.h"
#include "store.h"
#include "verify.h"
#include "version.h"
#include "../connectors/connector.h"
#include "../reports/shadow.h"
#include "banned.h"

/* One record (or failed row) of either side; strings in the arena. */
struct srec {
	const char *kind, *key, *outcome, *codes, *verdicts;
};

struct side {
	struct srec *v;
	size_t n, a;
};

struct sctx {
	struct arena a;
	struct side old, new, old_rows, new_rows;
	struct shadow_change *ch;
	size_t nch, ach;
	struct shadow_count *cnt;
	size_t ncnt, acnt;
};

static int nomem(struct error *err)
{
	return error_set(err, ERR_NOMEM, "out of memory");
}

static const char *dup(struct sctx *s, const char *p)
{
	return p ? arena_strndup(&s->a, p, strlen(p)) : NULL;
}

static int side_add(struct sctx *s, struct side *sd, const char *kind,
		    const char *key, const char *outcome, const char *codes,
		    const char *verdicts, struct error *err)
{
	struct srec *r;

	if (sd->n == sd->a) {
		size_t na = sd->a ? sd->a * 2 : 1024;
		struct srec *nv = mem_realloc(sd->v, na * sizeof(*nv));

		if (!nv)
			return nomem(err);
		sd->v = nv;
		sd->a = na;
	}
	r = &sd->v[sd->n];
	r->kind = dup(s, kind);
	r->key = dup(s, key);
	r->outcome = dup(s, outcome);
	r->codes = dup(s, codes);
	r->verdicts = dup(s, verdicts);
	if (!r->kind || !r->key || (outcome && !r->outcome) ||
	    (codes && !r->codes) || (verdicts && !r->verdicts))
		return nomem(err);
	sd->n++;
	return 0;
}

static int srec_cmp(const void *x, const void *y)
{
	const struct srec *a = x, *b = y;
	int c = strcmp(a->kind, b->kind);

	return c ? c : strcmp(a->key, b->key);
}

/* run_replay's sinks */
static int put_record(void *ctx, const char *kind, const char *key,
		      const char *outcome, const char *codes,
		      const char *verdicts, struct error *err)
{
	struct sctx *s = ctx;

	return side_add(s, &s->new, kind, key, outcome, codes, verdicts, err);
}

static int put_failed(void *ctx, const char *key, const char *message,
		      struct error *err)
{
	struct sctx *s = ctx;

	return side_add(s, &s->new_rows, "row", key, "RULE_ERROR", "RULE_ERROR",
			message, err);
}

/* A verdicts JSON array as text for people: "rule CODE: message
 * (where)" joined by "; "; the JSON itself if it does not parse. */
static const char *verdict_text(struct sctx *s, const char *json)
{
	struct sbuf b = SBUF_INIT(1 << 20);
	json_t *root;
	const char *out;
	size_t i;
	json_t *v;

	if (!json)
		return NULL;
	root = json_loads(json, 0, NULL);
	if (!json_is_array(root)) {
		json_decref(root);
		return json;
	}
	json_array_foreach(root, i, v) {
		const char *rule = json_string_value(json_object_get(v, "rule"));
		const char *code = json_string_value(json_object_get(v, "code"));
		const char *msg = json_string_value(json_object_get(v, "message"));
		const char *where = json_string_value(json_object_get(v, "where"));

		if (i)
			sbuf_addstr(&b, "; ");
		sbuf_addf(&b, "%s %s: %s (%s)", rule ? rule : "?",
			  code ? code : "?", msg ? msg : "", where ? where : "?");
	}
	json_decref(root);
	out = b.failed ? json : arena_strndup(&s->a, b.buf, b.len);
	sbuf_release(&b);
	return out ? out : json;
}

static int add_count(struct sctx *s, const char *what, struct error *err)
{
	for (size_t i = 0; i < s->ncnt; i++)
		if (strcmp(s->cnt[i].what, what) == 0) {
			s->cnt[i].n++;
			return 0;
		}
	if (s->ncnt == s->acnt) {
		size_t na = s->acnt ? s->acnt * 2 : 16;
		struct shadow_count *nc = mem_realloc(s->cnt, na * sizeof(*nc));

		if (!nc)
			return nomem(err);
		s->cnt = nc;
		s->acnt = na;
	}
	s->cnt[s->ncnt].what = dup(s, what);
	s->cnt[s->ncnt].n = 1;
	if (!s->cnt[s->ncnt].what)
		return nomem(err);
	s->ncnt++;
	return 0;
}

static int add_change(struct sctx *s, const char *change,
		      const struct srec *o, const struct srec *n,
		      struct error *err)
{
	struct shadow_change *c;
	struct sbuf what = SBUF_INIT(4096);
	const struct srec *any = o ? o : n;
	int rc;

	if (s->nch == s->ach) {
		size_t na = s->ach ? s->ach * 2 : 64;
		struct shadow_change *nc = mem_realloc(s->ch, na * sizeof(*nc));

		if (!nc)
			return nomem(err);
		s->ch = nc;
		s->ach = na;
	}
	c = &s->ch[s->nch++];
	memset(c, 0, sizeof(*c));
	c->change = change;
	c->kind = any->kind;
	c->key = any->key;
	if (o) {
		c->old_outcome = o->outcome;
		c->old_codes = o->codes;
		c->old_verdicts = strcmp(o->kind, "row") == 0
				  ? o->verdicts : verdict_text(s, o->verdicts);
	}
	if (n) {
		c->new_outcome = n->outcome;
		c->new_codes = n->codes;
		c->new_verdicts = strcmp(n->kind, "row") == 0
				  ? n->verdicts : verdict_text(s, n->verdicts);
	}
	if (strcmp(any->kind, "row") == 0)
		sbuf_addf(&what, "failed row %s", o && n ? "changed its message"
			  : o ? "no longer fails" : "fails now");
	else if (strcmp(any->kind, "source") == 0)
		sbuf_addstr(&what, "translation totals changed");
	else if (!o)
		sbuf_addf(&what, "new %s record (%s)", n->kind, n->outcome);
	else if (!n)
		sbuf_addf(&what, "%s record gone (was %s)", o->kind, o->outcome);
	else if (strcmp(o->outcome, n->outcome) != 0)
		sbuf_addf(&what, "%s -> %s", o->outcome, n->outcome);
	else
		sbuf_addf(&what, "verdicts changed (%s)", o->outcome);
	rc = what.failed ? nomem(err) : add_count(s, what.buf, err);
	sbuf_release(&what);
	return rc;
}

/* Merge two sorted sides into changes; *same: records equal on both. */
static int compare(struct sctx *s, struct side *o, struct side *n,
		   uint64_t *same, struct error *err)
{
	size_t i = 0, k = 0;

	qsort(o->v, o->n, sizeof(*o->v), srec_cmp);
	qsort(n->v, n->n, sizeof(*n->v), srec_cmp);
	while (i < o->n || k < n->n) {
		int c = i == o->n ? 1 : k == n->n ? -1
			: srec_cmp(&o->v[i], &n->v[k]);
		int rc = 0;

		if (c < 0) {
			rc = add_change(s, "gone", &o->v[i++], NULL, err);
		} else if (c > 0) {
			rc = add_change(s, "new", NULL, &n->v[k++], err);
		} else {
			const struct srec *a = &o->v[i++], *b = &n->v[k++];

			if (strcmp(a->outcome, b->outcome) != 0)
				rc = add_change(s, "outcome", a, b, err);
			else if (strcmp(a->codes ? a->codes : "",
					b->codes ? b->codes : "") != 0 ||
				 strcmp(a->verdicts ? a->verdicts : "",
					b->verdicts ? b->verdicts : "") != 0)
				rc = add_change(s, "verdicts", a, b, err);
			else if (same)
				(*same)++;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static const char *row_text(const struct row *row, size_t i)
{
	return i < row->ncols && row->vals[i].type != VAL_NULL
		       ? row->vals[i].s : NULL;
}

/* The version of every record current at run seq (REMOVED ones are
 * not records then). */
static int read_old(struct sctx *s, struct conn *c, const char *table,
		    const char *job, uint64_t seq, struct error *err)
{
	struct ledger_schema none;
	struct cursor *cur = NULL;
	const struct row *row;
	struct sbuf kind = SBUF_INIT(64), key = SBUF_INIT(1 << 16);
	struct sbuf oc = SBUF_INIT(256), codes = SBUF_INIT(1 << 20);
	struct sbuf vj = SBUF_INIT(SBUF_CAP_DEFAULT);
	int have = 0, rc;

	memset(&none, 0, sizeof(none));
	if (store_read_life(c, table, &none, job, seq, &cur, err) < 0)
		return -1;
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		const char *k = row_text(row, 0), *y = row_text(row, 1);
		const char *o = row_text(row, 6), *cd = row_text(row, 7);
		const char *v = row_text(row, 8);

		if (!k || !y || !o)
			continue;
		if (have && (strcmp(kind.buf, k) || strcmp(key.buf, y))) {
			if (strcmp(oc.buf, STORE_REMOVED) != 0 &&
			    side_add(s, &s->old, kind.buf, key.buf, oc.buf,
				     codes.buf, vj.buf, err) < 0) {
				rc = -1;
				break;
			}
		}
		/* the last version of a key, in version order, wins */
		sbuf_reset(&kind);
		sbuf_reset(&key);
		sbuf_reset(&oc);
		sbuf_reset(&codes);
		sbuf_reset(&vj);
		sbuf_addstr(&kind, k);
		sbuf_addstr(&key, y);
		sbuf_addstr(&oc, o);
		sbuf_addstr(&codes, cd ? cd : "");
		sbuf_addstr(&vj, v ? v : "[]");
		if (kind.failed || key.failed || oc.failed || codes.failed ||
		    vj.failed) {
			rc = nomem(err);
			break;
		}
		have = 1;
	}
	if (rc == 0 && have && strcmp(oc.buf, STORE_REMOVED) != 0)
		rc = side_add(s, &s->old, kind.buf, key.buf, oc.buf, codes.buf,
			      vj.buf, err);
	cursor_close(cur);
	sbuf_release(&kind);
	sbuf_release(&key);
	sbuf_release(&oc);
	sbuf_release(&codes);
	sbuf_release(&vj);
	return rc < 0 ? -1 : 0;
}

/* The run's as-of and totals (T_runs). */
static int read_run(struct sctx *s, struct conn *c, const char *table,
		    uint64_t seq, const char **as_of, const char **totals,
		    struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	int rc;

	*as_of = *totals = NULL;
	if (store_read_runs(c, table, &cur, err) < 0)
		return -1;
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		const char *q = row_text(row, LR_SEQ);

		if (q && strtoull(q, NULL, 10) == seq) {
			*as_of = dup(s, row_text(row, LR_AS_OF));
			*totals = dup(s, row_text(row, LR_TOTALS));
		}
	}
	cursor_close(cur);
	if (rc < 0)
		return -1;
	if (!*as_of || !*totals)
		return error_set(err, ERR_STORE, "run %llu has no as-of or "
				 "totals in the runs table",
				 (unsigned long long)seq);
	return 0;
}

/* The run's failed rows from its kept report: 1 if it kept none. */
static int read_old_rows(struct sctx *s, struct conn *c, const char *table,
			 const char *run_id, struct error *err)
{
	struct snapshot *snap = NULL;
	int k = snapshot_load(c, table, run_id, &snap, err);

	if (k != 0)
		return k;
	for (size_t i = 0; i < snap->rep.nitems; i++) {
		const struct report_item *it = &snap->rep.items[i];

		if (strcmp(it->outcome, "RULE_ERROR") == 0 &&
		    !life_item_kind(it) &&
		    side_add(s, &s->old_rows, "row", it->key, "RULE_ERROR",
			     "RULE_ERROR", it->message, err) < 0) {
			snapshot_free(snap);
			return -1;
		}
	}
	snapshot_free(snap);
	return 0;
}

/* Per source, the run's translation counts against the replay's. */
static int compare_totals(struct sctx *s, const struct job *job,
			  const char *old, const char *new, struct error *err)
{
	struct sbuf why = SBUF_INIT(1 << 16), a = SBUF_INIT(256);
	struct sbuf b = SBUF_INIT(256);
	int rc = 0;

	for (size_t i = 0; i < job->nsources && rc == 0; i++) {
		struct ledger_source_totals to, tn;
		struct srec ro, rn;

		if (ledger_totals_find(old, job->sources[i].name, &to, &why) != 1 ||
		    ledger_totals_find(new, job->sources[i].name, &tn, &why) != 1)
			continue;	/* a source the run did not have */
		if (to.kept == tn.kept && to.skipped == tn.skipped &&
		    to.failed == tn.failed)
			continue;
		sbuf_reset(&a);
		sbuf_reset(&b);
		sbuf_addf(&a, "read %llu, kept %llu, skipped %llu, failed %llu",
			  (unsigned long long)to.read, (unsigned long long)to.kept,
			  (unsigned long long)to.skipped,
			  (unsigned long long)to.failed);
		sbuf_addf(&b, "read %llu, kept %llu, skipped %llu, failed %llu",
			  (unsigned long long)tn.read, (unsigned long long)tn.kept,
			  (unsigned long long)tn.skipped,
			  (unsigned long long)tn.failed);
		ro = (struct srec){ "source", job->sources[i].name, dup(s, a.buf),
				    NULL, NULL };
		rn = (struct srec){ "source", job->sources[i].name, dup(s, b.buf),
				    NULL, NULL };
		if (!ro.outcome || !rn.outcome)
			rc = nomem(err);
		else
			rc = add_change(s, "outcome", &ro, &rn, err);
	}
	sbuf_release(&why);
	sbuf_release(&a);
	sbuf_release(&b);
	return rc;
}

static int is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The same file: the same path, or two paths to one file (a copy of
 * the job file elsewhere names the job's CSV another way). */
static int same_file(const char *a, const char *b)
{
	struct stat x, y;

	if (same_str(a, b))
		return 1;
	return a && b && stat(a, &x) == 0 && stat(b, &y) == 0 &&
	       x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static int same_params(const struct job_param *a, size_t na,
		       const struct job_param *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (a[i].kind != b[i].kind || !same_str(a[i].literal, b[i].literal))
			return 0;
	return 1;
}

/*
 * What a candidate job file (--job) must share with the job: what it
 * reads and where it publishes, and the fields its records carry. The
 * replay feeds it the rows the run read, so another query, source or
 * reference would be judged on rows it never asked for. NULL when they
 * agree, else what differs, in words.
 */
static const char *reads_differently(const struct job *j, const struct job *c,
				     struct sbuf *why)
{
	if (strcmp(j->name, c->name) != 0)
		return "its name is another job's";
	if (!same_str(j->store_dsn, c->store_dsn) ||
	    !same_str(j->store_table, c->store_table))
		return "it publishes to another store";
	if (j->nsources != c->nsources)
		return "it has another number of sources";
	for (size_t i = 0; i < j->nsources; i++) {
		const struct job_source *a = &j->sources[i], *b = &c->sources[i];

		if (strcmp(a->name, b->name) != 0 || a->role != b->role) {
			sbuf_addf(why, "its source %zu is '%s', not '%s'", i + 1,
				  b->name, a->name);
			return why->buf;
		}
		const char *what = !same_str(a->dsn, b->dsn) ? "DSN"
			: !same_str(a->query, b->query) ? "query"
			: !same_params(a->params, a->nparams, b->params,
				       b->nparams) ? "query parameters"
			: !same_str(a->id_column, b->id_column) ? "id column"
			: NULL;

		if (what) {
			sbuf_addf(why, "source '%s' has another %s", a->name,
				  what);
			return why->buf;
		}
	}
	if (j->nreferences != c->nreferences)
		return "it has another number of reference tables";
	for (size_t i = 0; i < j->nreferences; i++) {
		const struct job_reference *a = &j->references[i];
		const struct job_reference *b = &c->references[i];

		const char *what = strcmp(a->name, b->name) ? "name"
			: !same_str(a->dsn, b->dsn) ? "DSN"
			: !same_str(a->query, b->query) ? "query"
			: !same_file(a->file, b->file) ? "file"
			: !same_str(a->key, b->key) ? "key column" : NULL;

		if (what) {
			sbuf_addf(why, "reference table %zu ('%s') has another "
				  "%s", i + 1, a->name, what);
			return why->buf;
		}
	}
	if (j->nfields != c->nfields)
		return "it declares other site-defined fields";
	for (size_t i = 0; i < j->nfields; i++)
		if (strcmp(j->fields[i].name, c->fields[i].name) != 0 ||
		    j->fields[i].type != c->fields[i].type ||
		    j->fields[i].roles != c->fields[i].roles)
			return "it declares other site-defined fields";
	return NULL;
}

/* The candidate job: the job (or the candidate job file cand) with each
 * rule file DIR has taken from there (DIR NULL: none). files[i] says
 * where each came from. */
static int candidate(struct sctx *s, const struct job *job,
		     const struct job *cand, const char *dir, struct job *cj,
		     struct shadow_file *files, struct sbuf *text,
		     struct error *err)
{
	size_t from_dir = 0;
	DIR *d;
	struct dirent *e;

	if (cand) {
		struct sbuf why = SBUF_INIT(1 << 12);
		const char *w = reads_differently(job, cand, &why);

		if (w) {
			error_set(err, ERR_USAGE, "shadow: the candidate job "
				  "file '%s' does not read what job '%s' reads: "
				  "%s. A shadow run replays the rows the run "
				  "read, so only what judges them may differ "
				  "(rule files, tolerances, links, grace "
				  "periods, matching and rule limits)",
				  cand->path, job->name, w);
			sbuf_release(&why);
			return -1;
		}
		sbuf_release(&why);
		sbuf_addf(text, "job settings: from the candidate job file %s "
			  "(tolerances, links, grace periods, limits, rule "
			  "files)\n", cand->path);
	}
	*cj = cand ? *cand : *job;
	cj->rule_files = arena_alloc(&s->a, (cj->nrule_files + 1) *
				     sizeof(*cj->rule_files));
	cj->rule_names = arena_alloc(&s->a, (cj->nrule_files + 1) *
				     sizeof(*cj->rule_names));
	if (!cj->rule_files || !cj->rule_names)
		return nomem(err);
	/* A rule file keeps the job's name for it (verdicts' file:line)
	 * where the candidate job has one of the same file name, so that
	 * moving the job file elsewhere changes no verdict's text. */
	for (size_t i = 0; i < cj->nrule_files; i++) {
		const struct job *src = cand ? cand : job;

		cj->rule_names[i] = (char *)job_rule_name(src, i);
		for (size_t k = 0; cand && k < job->nrule_files; k++)
			if (strcmp(base_name(job->rule_files[k]),
				   base_name(src->rule_files[i])) == 0)
				cj->rule_names[i] = (char *)job_rule_name(job, k);
	}
	if (cand)
		job = cand;
	if (!dir) {
		for (size_t i = 0; i < job->nrule_files; i++) {
			files[i].name = cj->rule_names[i];
			files[i].from = cj->rule_files[i] = job->rule_files[i];
			files[i].candidate = cand != NULL;
			sbuf_addf(text, "rule file %s: %s%s\n", files[i].name,
				  files[i].from, cand ? " (the candidate job's)"
						      : "");
		}
		return 0;
	}
	if (!is_dir(dir))
		return error_set(err, ERR_USAGE, "shadow: --rules '%s' is not a "
				 "folder; give the folder that holds the "
				 "candidate rule files", dir);
	for (size_t i = 0; i < job->nrule_files; i++) {
		struct sbuf p = SBUF_INIT(8192);
		const char *name = cj->rule_names[i];

		sbuf_addf(&p, "%s/%s", dir, base_name(job->rule_files[i]));
		files[i].name = name;
		if (is_regular(p.buf)) {
			cj->rule_files[i] = arena_strndup(&s->a, p.buf, p.len);
			files[i].candidate = 1;
			from_dir++;
		} else {
			cj->rule_files[i] = job->rule_files[i];
		}
		files[i].from = cj->rule_files[i];
		sbuf_release(&p);
		if (!cj->rule_files[i])
			return nomem(err);
		sbuf_addf(text, "rule file %s: %s%s\n", name, files[i].from,
			  files[i].candidate ? " (candidate)"
			  : cand ? " (the candidate job's, not in the folder)"
				 : " (the job's, not in the folder)");
		files[i].candidate |= cand != NULL;
	}
	if (!from_dir) {
		struct sbuf names = SBUF_INIT(1 << 16);

		for (size_t i = 0; i < job->nrule_files; i++)
			sbuf_addf(&names, "%s%s", i ? ", " : "",
				  base_name(job->rule_files[i]));
		error_set(err, ERR_USAGE, "shadow: the folder '%s' holds none of "
			  "the job's rule files (%s); put the changed copies "
			  "there under the same names", dir, names.buf);
		sbuf_release(&names);
		return -1;
	}
	/* a .lua file the job does not load would be silently ignored:
	 * say so */
	if ((d = opendir(dir))) {
		while ((e = readdir(d))) {
			size_t n = strlen(e->d_name);
			int known = 0;

			if (n < 5 || strcmp(e->d_name + n - 4, ".lua") != 0)
				continue;
			for (size_t i = 0; i < job->nrule_files; i++)
				if (strcmp(base_name(job->rule_files[i]),
					   e->d_name) == 0)
					known = 1;
			if (!known)
				sbuf_addf(text, "warning: %s/%s is not one of the "
					  "job's rule files and is not loaded "
					  "(a new rule goes into one of them)\n",
					  dir, e->d_name);
		}
		closedir(d);
	}
	return 0;
}

void shadow_result_init(struct shadow_result *r)
{
	memset(r, 0, sizeof(*r));
	sbuf_init(&r->run_id, 256);
	sbuf_init(&r->text, SBUF_CAP_DEFAULT);
	sbuf_init(&r->paths, 1 << 16);
}

void shadow_result_release(struct shadow_result *r)
{
	sbuf_release(&r->run_id);
	sbuf_release(&r->text);
	sbuf_release(&r->paths);
}

static int count_cmp(const void *x, const void *y)
{
	const struct shadow_count *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->what, b->what);
}

static int change_cmp(const void *x, const void *y)
{
	const struct shadow_change *a = x, *b = y;
	int c = strcmp(a->kind, b->kind);

	return c ? c : strcmp(a->key, b->key);
}

/*
 * The latest run of the job has no inputs file: take the published run
 * of the highest seq whose inputs dir holds (files of runs the store
 * does not know are passed over), and say so in res->text. 1 when one
 * was found (res->run_id, seq and path changed), 0 when none, -1.
 */
static int newest_kept(struct conn *c, const struct job *job,
		       const char *dir, struct shadow_result *res,
		       struct sbuf *path, struct error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct sbuf id = SBUF_INIT(4096), best = SBUF_INIT(4096);
	struct sbuf got = SBUF_INIT(4096);
	uint64_t best_seq = 0, latest = res->seq;
	size_t sl = strlen(INPUTS_SUFFIX);
	int rc = 0;

	if (!d)
		return 0;
	while (rc == 0 && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		uint64_t seq = 0;
		struct error e2;

		if (n <= sl || e->d_name[0] == '.' ||
		    strcmp(e->d_name + n - sl, INPUTS_SUFFIX) != 0)
			continue;
		sbuf_reset(&id);
		sbuf_add(&id, e->d_name, n - sl);
		if (id.failed) {
			rc = nomem(err);
			break;
		}
		error_init(&e2);
		sbuf_reset(&got);
		if (lifecycle_find_run(c, job->store_table, job->name, id.buf,
				       "shadow", &got, &seq, NULL, &e2) == 0 &&
		    seq > best_seq && seq <= latest) {
			best_seq = seq;
			sbuf_reset(&best);
			sbuf_addstr(&best, id.buf);
		}
		error_release(&e2);
	}
	closedir(d);
	if (rc == 0 && best_seq) {
		sbuf_addf(&res->text, "run %llu (%s), the latest, kept no inputs "
			  "(it read a source incrementally, or keep-inputs was "
			  "0); shadowing run %llu, the latest that did\n",
			  (unsigned long long)latest, res->run_id.buf,
			  (unsigned long long)best_seq);
		sbuf_reset(&res->run_id);
		sbuf_addstr(&res->run_id, best.buf);
		res->seq = best_seq;
		sbuf_reset(path);
		if (best.failed || res->run_id.failed ||
		    inputs_path(dir, res->run_id.buf, path) < 0)
			rc = nomem(err);
		else
			rc = 1;
	}
	sbuf_release(&id);
	sbuf_release(&best);
	sbuf_release(&got);
	return rc;
}

int shadow_run(const struct job *job, const struct shadow_opts *o,
	       struct shadow_result *res, struct error *err)
{
	struct sctx s;
	struct job cj;
	struct shadow_file *files = NULL;
	struct conn *c = NULL;
	struct sbuf dir = SBUF_INIT(8192), path = SBUF_INIT(8192);
	struct sbuf newtot = SBUF_INIT((size_t)1 << 26), base = SBUF_INIT(8192);
	const char *as_of = NULL, *totals = NULL;
	struct run_replay rp;
	struct shadow_report rep;
	uint64_t same = 0;
	int in_tx = 0, no_rows = 0, rc = -1, k;

	memset(&s, 0, sizeof(s));
	if (!o->rules_dir && !o->job)
		return error_set(err, ERR_USAGE, "shadow: give --rules DIR (a "
				 "folder of candidate rule files), --job FILE "
				 "(a candidate job file), or both");
	files = mem_calloc((o->job ? o->job : job)->nrule_files + 1,
			   sizeof(*files));
	if (!files)
		return nomem(err);
	if (candidate(&s, job, o->job, o->rules_dir, &cj, files, &res->text,
		      err) < 0)
		goto out;
	/* the old side, in one snapshot of the store */
	if (o->state_dir)
		sbuf_addstr(&dir, o->state_dir);
	else
		incr_default_dir(job, &dir);
	sbuf_addstr(&dir, "/inputs");
	if (dir.failed) {
		nomem(err);
		goto out;
	}
	if (verify_reader_open(job->store_dsn, job->store_table, job->name, &c,
			       &in_tx, err) < 0 ||
	    lifecycle_find_run(c, job->store_table, job->name, o->run, "shadow",
			       &res->run_id, &res->seq, NULL, err) < 0)
		goto out;
	if (inputs_path(dir.buf, res->run_id.buf, &path) < 0) {
		nomem(err);
		goto out;
	}
	/* no run named: the latest that kept its inputs (an intra-day
	 * incremental run keeps none) */
	if (!o->run && !is_regular(path.buf)) {
		k = newest_kept(c, job, dir.buf, res, &path, err);
		if (k < 0)
			goto out;
	}
	if (!is_regular(path.buf)) {
		error_set(err, ERR_USAGE, "shadow: run %llu (%s) of job '%s' kept "
			  "no inputs (there is no %s): a run keeps every row it "
			  "read for recon shadow while keep-inputs is above 0 "
			  "(default 2: the newest two published runs), unless it "
			  "read a source incrementally or another state folder "
			  "(--state-dir) was used; run the job and shadow that "
			  "run, or name the run's folder with --state-dir",
			  (unsigned long long)res->seq, res->run_id.buf,
			  job->name, path.buf);
		goto out;
	}
	if (read_run(&s, c, job->store_table, res->seq, &as_of, &totals,
		     err) < 0 ||
	    read_old(&s, c, job->store_table, job->name, res->seq, err) < 0 ||
	    (k = read_old_rows(&s, c, job->store_table, res->run_id.buf,
			       err)) < 0) {
		if (err->code == ERR_SOURCE || err->code == ERR_DATA)
			err->code = ERR_STORE;
		error_context(err, "store '%s' table '%s'", job->store_dsn,
			      job->store_table);
		goto out;
	}
	no_rows = k == 1;
	verify_reader_close(c, in_tx);
	c = NULL;
	memset(&rp, 0, sizeof(rp));
	rp.inputs = path.buf;
	rp.as_of = as_of;
	rp.totals = totals;
	rp.put = put_record;
	rp.on_failed_row = put_failed;
	rp.ctx = &s;
	rp.totals_out = &newtot;
	if (run_replay(&cj, o->ropts, &rp, err) < 0)
		goto out;
	res->records = s.new.n;
	if (compare(&s, &s.old, &s.new, &same, err) < 0 ||
	    (!no_rows && compare(&s, &s.old_rows, &s.new_rows, NULL, err) < 0) ||
	    compare_totals(&s, job, totals, newtot.buf, err) < 0)
		goto out;
	qsort(s.ch, s.nch, sizeof(*s.ch), change_cmp);
	qsort(s.cnt, s.ncnt, sizeof(*s.cnt), count_cmp);
	res->changes = s.nch;
	/* the reports */
	if (o->out)
		sbuf_addstr(&base, o->out);
	else
		sbuf_addf(&base, "%s/../out/shadow/%s-run-%llu", job->dir,
			  job->name, (unsigned long long)res->seq);
	memset(&rep, 0, sizeof(rep));
	rep.job = job->name;
	rep.run_id = res->run_id.buf;
	rep.as_of = as_of;
	rep.rules_dir = o->rules_dir;
	rep.job_file = o->job ? o->job->path : NULL;
	rep.version = RECON_VERSION;
	rep.seq = res->seq;
	rep.records = s.new.n;
	rep.unchanged = same;
	rep.files = files;
	rep.nfiles = cj.nrule_files;
	rep.counts = s.cnt;
	rep.ncounts = s.ncnt;
	rep.changes = s.ch;
	rep.nchanges = s.nch;
	rep.no_row_baseline = no_rows;
	if (base.failed) {
		nomem(err);
		goto out;
	}
	if (shadow_report_write(&rep, base.buf, &res->paths, err) < 0)
		goto out;
	sbuf_addf(&res->text, "shadow of run %llu (%s, as of %s) with %s%s%s%s%s: "
		  "%llu records, %llu unchanged, %zu change%s\n",
		  (unsigned long long)res->seq, res->run_id.buf, as_of,
		  o->job ? "the candidate job " : "",
		  o->job ? o->job->path : "",
		  o->job && o->rules_dir ? " and " : "",
		  o->rules_dir ? "the rules in " : "",
		  o->rules_dir ? o->rules_dir : "", (unsigned long long)s.new.n,
		  (unsigned long long)same, s.nch, s.nch == 1 ? "" : "s");
	for (size_t i = 0; i < s.ncnt; i++)
		sbuf_addf(&res->text, "  %6llu  %s\n",
			  (unsigned long long)s.cnt[i].n, s.cnt[i].what);
	if (no_rows)
		sbuf_addstr(&res->text, "  (the run kept no report in the "
			    "store: its failed rows are not compared)\n");
	if (res->text.failed) {
		nomem(err);
		goto out;
	}
	rc = 0;
out:
	verify_reader_close(c, in_tx);
	mem_free(s.old.v);
	mem_free(s.new.v);
	mem_free(s.old_rows.v);
	mem_free(s.new_rows.v);
	mem_free(s.ch);
	mem_free(s.cnt);
	arena_release(&s.a);
	mem_free(files);
	sbuf_release(&dir);
	sbuf_release(&path);
	sbuf_release(&newtot);
	sbuf_release(&base);
	return rc;
}
