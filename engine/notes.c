/*
 * notes.c - finance's notes on exceptions (see notes.h for the table,
 * the hash and the API).
 *
 * Like lock.c, this module creates its own table (T_notes) on the
 * store's connection when the first note is written, rather than with
 * the store: a store that never gets a note has no T_notes, and
 * `recon verify` checks the notes only where the table exists.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "dialect.h"
#include "mem.h"
#include "notes.h"
#include "store.h"
#include "text.h"
#include "tstamp.h"
#include "banned.h"

#define NOTES_RETRIES 5

static const char *const states[] = { "explained", "accepted",
				      "investigating" };
static const char *const kinds[] = { "order", "deal", "erp" };

/* The columns of T_notes, in hashing order. */
enum { N_SEQ, N_JOB, N_KIND, N_KEY, N_STATE, N_TEXT, N_BY, N_CREATED,
       N_PREV, N_HASH, N__COUNT };
static const char *const col_names[N__COUNT] = {
	"seq", "job", "rec_kind", "rec_key", "state", "text", "by_name",
	"created", "prev_hash", "hash",
};

static int nomem(struct error *err)
{
	return error_set(err, ERR_NOMEM, "out of memory (notes)");
}

/* A connector's failure on the store is the store's. */
static int store_err(struct error *err, const char *table, const char *what)
{
	if (err->code == ERR_SOURCE || err->code == ERR_DATA)
		err->code = ERR_STORE;
	return error_context(err, "table '%s_notes', %s", table, what);
}

int notes_state_ok(const char *state)
{
	for (size_t i = 0; state && i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(state, states[i]) == 0)
			return 1;
	return 0;
}

/* ---- the hash ------------------------------------------------------- */

int notes_serialise(const struct note *n, struct sbuf *sb, struct error *err)
{
	const char *v[N_HASH];
	char seq[24];

	snprintf(seq, sizeof(seq), "%lld", (long long)n->seq);
	v[N_SEQ] = seq;
	v[N_JOB] = n->job;
	v[N_KIND] = n->kind;
	v[N_KEY] = n->key;
	v[N_STATE] = n->state;
	v[N_TEXT] = n->text;
	v[N_BY] = n->by;
	v[N_CREATED] = n->created;
	v[N_PREV] = n->prev_hash;
	for (int i = 0; i < N_HASH; i++)
		text_add_field(sb, col_names[i], v[i]);
	return sb->failed ? nomem(err) : 0;
}

int notes_hash(const struct note *n, char *out, struct error *err)
{
	struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);
	int rc;

	out[0] = '\0';
	rc = notes_serialise(n, &sb, err);
	if (rc == 0)
		rc = ledger_sha256_hex(sb.buf, sb.len, out, err);
	sbuf_release(&sb);
	return rc;
}

/* ---- what a finance user typed -------------------------------------- */

/* Characters of valid UTF-8 s. */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A text field: UTF-8, not blank, at most max characters, no control
 * characters (but line breaks and tabs where lines is set). */
static int check_text(const char *what, const char *opt, const char *s,
		      size_t max, int lines, struct error *err)
{
	size_t bad, n;
	int blank = 1;

	if (!s || !*s)
		return error_set(err, ERR_USAGE, "the note's %s is empty: give "
				 "%s", what, opt);
	n = strlen(s);
	if (!utf8_valid(s, n, &bad))
		return error_set(err, ERR_USAGE, "the note's %s is not valid "
				 "UTF-8 (at byte %zu): type it again, or save "
				 "it as UTF-8 if it comes from a file", what,
				 bad + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && !(lines && (ch == '\n' || ch == '\t'))) ||
		    ch == 0x7f)
			return error_set(err, ERR_USAGE, "the note's %s has a "
					 "control character (byte %zu)%s", what,
					 i + 1, lines ? "; only line breaks "
					 "and tabs may be in it" : "");
		if (ch != ' ' && ch != '\n' && ch != '\t')
			blank = 0;
	}
	if (blank)
		return error_set(err, ERR_USAGE, "the note's %s is only blanks: "
				 "give %s", what, opt);
	if (chars(s) > max)
		return error_set(err, ERR_USAGE, "the note's %s is %zu "
				 "characters long; it may have at most %zu%s",
				 what, chars(s), max, lines ? " (write two "
				 "notes)" : "");
	return 0;
}

static int check_input(const struct note_add *a, struct error *err)
{
	if (!a->key || !*a->key)
		return error_set(err, ERR_USAGE, "which record? give its key "
				 "as the exception report shows it");
	if (a->kind && strcmp(a->kind, "order") != 0 &&
	    strcmp(a->kind, "deal") != 0 && strcmp(a->kind, "erp") != 0)
		return error_set(err, ERR_USAGE, "--kind is order, deal or "
				 "erp, not '%s'", a->kind);
	if (!notes_state_ok(a->state))
		return error_set(err, ERR_USAGE, "the state is explained, "
				 "accepted or investigating, not '%s'",
				 a->state ? a->state : "");
	if (check_text("text", "what was found, e.g. --text 'credit note "
		       "CN-12 posted on 3 Dec'", a->text, NOTES_TEXT_MAX, 1,
		       err) < 0 ||
	    check_text("author", "who writes it, e.g. --by 'A. Meyer'", a->by,
		       NOTES_BY_MAX, 0, err) < 0)
		return -1;
	if (a->created) {
		int64_t t;

		if (strlen(a->created) != 19 || a->created[10] != ' ' ||
		    tstamp_parse(a->created, 19, &t) < 0)
			return error_set(err, ERR_USAGE, "a note's time is "
					 "'YYYY-MM-DD HH:MM:SS' (UTC), not "
					 "'%s'", a->created);
	}
	return 0;
}

/* "an order", "a deal", "an erp record" for messages. */
static const char *kind_phrase(const char *k)
{
	return strcmp(k, "order") == 0 ? "an order"
	       : strcmp(k, "deal") == 0 ? "a deal (without order)"
	       : "ERP documents without an order (erp)";
}

/* Which record a->key is: the kinds T has it under, one of which
 * a->kind names (or the only one). */
static int resolve_kind(struct conn *c, const struct dialect *d,
			const char *table, struct note_add *a,
			struct error *err)
{
	struct sbuf sql = SBUF_INIT(4096), list = SBUF_INIT(4096);
	struct cursor *cur = NULL;
	const struct row *row;
	struct param p = param_text(a->key);
	int have[3] = { 0, 0, 0 }, nkinds = 0, rc;

	sbuf_addstr(&sql, "SELECT DISTINCT rec_kind FROM ");
	dialect_store_ident(d, &sql, table, NULL);
	sbuf_addstr(&sql, " WHERE rec_key = ?");
	if (sql.failed) {
		sbuf_release(&sql);
		return nomem(err);
	}
	rc = cursor_open(c, sql.buf, &p, 1, 0, &cur, err);
	sbuf_release(&sql);
	if (rc < 0)
		return store_err(err, table, "looking up the record");
	while ((rc = cursor_next(cur, &row, err)) > 0)
		for (int k = 0; k < 3; k++)
			if (row->vals[0].type == VAL_TEXT &&
			    strcmp(row->vals[0].s, kinds[k]) == 0 && !have[k]) {
				have[k] = 1;
				nkinds++;
			}
	cursor_close(cur);
	if (rc < 0)
		return store_err(err, table, "looking up the record");
	for (int k = 0; k < 3; k++)
		if (have[k])
			sbuf_addf(&list, "%s%s", list.len ? " and " : "",
				  kind_phrase(kinds[k]));
	if (list.failed) {
		sbuf_release(&list);
		return nomem(err);
	}
	rc = 0;
	if (!nkinds) {
		rc = error_set(err, ERR_USAGE, "the store of job '%s' has no "
			       "record '%s'; give the key as the exception "
			       "report shows it (the order key, or for a deal "
			       "without order the deal key)", a->job, a->key);
	} else if (a->kind) {
		int k = strcmp(a->kind, "order") == 0 ? 0
			: strcmp(a->kind, "deal") == 0 ? 1 : 2;

		if (!have[k])
			rc = error_set(err, ERR_USAGE, "record '%s' of job "
				       "'%s' is not %s; the store has it as "
				       "%s", a->key, a->job,
				       kind_phrase(a->kind), list.buf);
		else
			snprintf(a->kind_found, sizeof(a->kind_found), "%s",
				 a->kind);
	} else if (nkinds > 1) {
		rc = error_set(err, ERR_USAGE, "key '%s' names %d records of "
			       "job '%s': %s; say which with --kind (order, "
			       "deal or erp)", a->key, nkinds, a->job,
			       list.buf);
	} else {
		for (int k = 0; k < 3; k++)
			if (have[k])
				snprintf(a->kind_found, sizeof(a->kind_found),
					 "%s", kinds[k]);
	}
	sbuf_release(&list);
	return rc;
}

/* ---- the table ------------------------------------------------------- */

int notes_exist(struct conn *c, const char *table, struct error *err)
{
	int rc = store_aux_exists(c, table, "_notes", err);

	if (rc < 0)
		return store_err(err, table, "asking the catalog for it");
	return rc;
}

/* CREATE TABLE T_notes. */
static int create_sql(const struct dialect *d, const char *table, size_t i,
		      struct sbuf *sql)
{
	if (i)
		return 0;
	sbuf_reset(sql);
	sbuf_addstr(sql, "CREATE TABLE ");
	dialect_store_ident(d, sql, table, "_notes");
	sbuf_addstr(sql, " (");
	dialect_column(d, sql, "seq", DT_INT, " NOT NULL UNIQUE, ");
	dialect_column(d, sql, "job", DT_ID, " NOT NULL, ");
	dialect_column(d, sql, "rec_kind", DT_KIND, " NOT NULL, ");
	dialect_column(d, sql, "rec_key", DT_KEY, " NOT NULL, ");
	dialect_column(d, sql, "state", DT_KIND, " NOT NULL, ");
	dialect_column(d, sql, "text", DT_TEXT, " NOT NULL, ");
	dialect_column(d, sql, "by_name", DT_TEXT, " NOT NULL, ");
	/* text, not the DBMS's timestamp: hashed as written, and
	 * 'YYYY-MM-DD HH:MM:SS' sorts as the time */
	dialect_column(d, sql, "created", DT_TEXT, " NOT NULL, ");
	dialect_column(d, sql, "prev_hash", DT_TEXT, " NOT NULL, ");
	dialect_column(d, sql, "hash", DT_TEXT, " NOT NULL)");
	sbuf_addstr(sql, d->table_options);
	return sql->failed ? -1 : 1;
}

/* Create T_notes and its triggers if it is missing (store_aux_ensure). */
static int ensure_table(struct conn *c, const char *table, struct error *err)
{
	if (store_aux_ensure(c, table, "_notes", create_sql,
			     dialect_notes_insert_only_sql, 1, err) < 0)
		return err->code == ERR_NOMEM ? -1
		       : store_err(err, table, "creating it with its "
				   "insert-only triggers (it needs the CREATE "
				   "and TRIGGER privileges once)");
	return 0;
}

/* The last note: seq and hash (0 and "" if none), in the transaction. */
static int read_last(struct conn *c, const struct dialect *d,
		     const char *table, int64_t *seq, struct sbuf *hash,
		     struct error *err)
{
	struct sbuf sql = SBUF_INIT(4096);
	struct cursor *cur = NULL;
	const struct row *row;
	int rc;

	*seq = 0;
	sbuf_reset(hash);
	sbuf_addf(&sql, "SELECT %s", d->first_head);
	dialect_cast_text(d, &sql, "seq", NULL);
	sbuf_addstr(&sql, ", hash FROM ");
	dialect_store_ident(d, &sql, table, "_notes");
	sbuf_addf(&sql, " ORDER BY seq DESC%s", d->first_tail);
	if (sql.failed) {
		sbuf_release(&sql);
		return nomem(err);
	}
	rc = cursor_open(c, sql.buf, NULL, 0, 0, &cur, err);
	sbuf_release(&sql);
	if (rc == 0 && (rc = cursor_next(cur, &row, err)) == 1) {
		char *end;
		const char *s = row->vals[0].type == VAL_TEXT ? row->vals[0].s
							      : "";

		*seq = strtoll(s, &end, 10);
		if (*end || *seq < 1)
			rc = error_set(err, ERR_STORE, "the last note's seq "
				       "'%s' is not a number: run recon "
				       "verify", s);
		if (row->vals[1].type == VAL_TEXT)
			sbuf_addstr(hash, row->vals[1].s);
		rc = rc < 0 ? -1 : 0;
	}
	cursor_close(cur);
	if (rc < 0)
		return err->code == ERR_NOMEM ? -1
		       : store_err(err, table, "reading the last note");
	return hash->failed ? nomem(err) : 0;
}

static void utc_now(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, n, "1970-01-01 00:00:00");
}

/* One try: read the last note, insert the next, commit. */
static int append_once(struct conn *c, const struct dialect *d,
		       const char *table, struct note_add *a,
		       struct error *err)
{
	struct sbuf sql = SBUF_INIT(4096), prev = SBUF_INIT(256);
	struct note n;
	struct param p[N__COUNT];
	char seq[24];
	int64_t last;

	/* the write lock first: it reads the last note, then writes */
	if (conn_begin_write(c, err) < 0) {
		store_err(err, table, "beginning the note's transaction");
		goto fail;
	}
	if (read_last(c, d, table, &last, &prev, err) < 0)
		goto fail;
	memset(&n, 0, sizeof(n));
	n.seq = last + 1;
	n.job = a->job;
	n.kind = a->kind_found;
	n.key = a->key;
	n.state = a->state;
	n.text = a->text;
	n.by = a->by;
	n.created = a->created_out;
	n.prev_hash = prev.buf;
	if (notes_hash(&n, a->hash, err) < 0)
		goto fail;
	snprintf(seq, sizeof(seq), "%lld", (long long)n.seq);
	sbuf_addstr(&sql, "INSERT INTO ");
	dialect_store_ident(d, &sql, table, "_notes");
	sbuf_addstr(&sql, " (");
	for (int i = 0; i < N__COUNT; i++) {
		sbuf_addstr(&sql, i ? ", " : "");
		dialect_quote(d, &sql, col_names[i]);
	}
	sbuf_addstr(&sql, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (sql.failed) {
		nomem(err);
		goto fail;
	}
	p[N_SEQ] = param_text(seq);
	p[N_JOB] = param_text(n.job);
	p[N_KIND] = param_text(n.kind);
	p[N_KEY] = param_text(n.key);
	p[N_STATE] = param_text(n.state);
	p[N_TEXT] = param_text(n.text);
	p[N_BY] = param_text(n.by);
	p[N_CREATED] = param_text(n.created);
	p[N_PREV] = param_text(n.prev_hash);
	p[N_HASH] = param_text(a->hash);
	if (conn_exec(c, sql.buf, p, N__COUNT, err) < 0 ||
	    conn_commit(c, err) < 0)
		goto fail;
	a->seq = n.seq;
	sbuf_release(&sql);
	sbuf_release(&prev);
	return 0;
fail:
	store_rollback_quiet(c);
	sbuf_release(&sql);
	sbuf_release(&prev);
	return -1;
}

/* Before try i + 1: 20 ms per try lost, and a few by the pid, so that
 * writers that collided do not collide again in step. */
static void backoff(int i)
{
	struct timespec ts = { 0, (long)(20 * i + getpid() % 13) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * 1 if the try failed only because another note was written at the same
 * time, so that trying again on top of it can succeed: the seq taken
 * (a unique violation), a deadlock or serialization failure (SQLSTATE
 * class 40: InnoDB's duplicate-key deadlock of three inserts of one
 * seq), or on SQLite SQLITE_BUSY (5), which a deferred transaction gets
 * at once, without the busy timeout, when two of them read and then
 * both want to write.
 */
static int lost_race(const struct dialect *d, const struct error *err)
{
	if (dialect_unique_violation(d, err->sqlstate, err->native))
		return 1;
	if (err->sqlstate[0] == '4' && err->sqlstate[1] == '0')
		return 1;
	return d->id == DIALECT_SQLITE && (err->native & 0xff) == 5;
}

int notes_append(struct conn *c, const char *table, struct note_add *a,
		 struct error *err)
{
	const struct dialect *d = conn_dialect(c);

	a->seq = 0;
	a->kind_found[0] = a->hash[0] = '\0';
	if (check_input(a, err) < 0)
		return -1;
	if (a->created)
		snprintf(a->created_out, sizeof(a->created_out), "%s",
			 a->created);
	else
		utc_now(a->created_out, sizeof(a->created_out));
	/* the kind's lookup is retried too: on SQLite a read meeting four
	 * notes' commits can get SQLITE_BUSY as well (seen under load) */
	for (int i = 1;; i++) {
		if (resolve_kind(c, d, table, a, err) == 0)
			break;
		if (i == NOTES_RETRIES || err->code == ERR_NOMEM ||
		    err->code == ERR_USAGE || !lost_race(d, err))
			return -1;
		error_clear(err);
		backoff(i);
	}
	if (ensure_table(c, table, err) < 0)
		return -1;
	for (int i = 1;; i++) {
		if (append_once(c, d, table, a, err) == 0)
			return 0;
		/* another note took the seq: read the new last one */
		if (i == NOTES_RETRIES || err->code == ERR_NOMEM ||
		    !lost_race(d, err))
			break;
		error_clear(err);
		backoff(i);
	}
	if (err->code == ERR_SOURCE || err->code == ERR_DATA)
		err->code = ERR_STORE;
	return error_context(err, "table '%s_notes', writing note of %s '%s'",
			     table, a->kind_found, a->key);
}

int notes_add(const char *dsn, const char *table, struct note_add *a,
	      struct error *err)
{
	struct conn *c = NULL;
	const struct dialect *d;
	int rc = -1;

	if (!text_is_identifier(table, 63))
		return error_set(err, ERR_JOB, "store table '%s' is not an "
				 "identifier", table ? table : "");
	/* what was typed first: a usage error needs no store */
	if (check_input(a, err) < 0)
		return -1;
	if (conn_open(dsn, &c, err) < 0)
		goto out;
	d = conn_dialect(c);
	if (dialect_store_ok(d, conn_dbms(c), err) < 0)
		goto out;
	if (d->store_session &&
	    conn_exec(c, d->store_session, NULL, 0, err) < 0)
		goto out;
	if (store_probe(c, table, a->job, err) < 0)
		goto out;
	rc = notes_append(c, table, a, err);
out:
	conn_close(c);
	if (rc < 0 && err->code != ERR_USAGE) {
		if (err->code == ERR_SOURCE || err->code == ERR_DATA)
			err->code = ERR_STORE;
		error_context(err, "store '%s' table '%s'", dsn, table);
	}
	return rc;
}

/* ---- reading -------------------------------------------------------- */

/* SELECT every column as text FROM T_notes ORDER BY seq. */
static int open_notes(struct conn *c, const struct dialect *d,
		      const char *table, struct cursor **cur,
		      struct error *err)
{
	struct sbuf sql = SBUF_INIT(4096);
	int rc;

	sbuf_addstr(&sql, "SELECT ");
	dialect_cast_text(d, &sql, "seq", NULL);
	for (int i = 1; i < N__COUNT; i++) {
		sbuf_addstr(&sql, ", ");
		dialect_quote(d, &sql, col_names[i]);
	}
	sbuf_addstr(&sql, " FROM ");
	dialect_store_ident(d, &sql, table, "_notes");
	sbuf_addstr(&sql, " ORDER BY seq");
	if (sql.failed) {
		sbuf_release(&sql);
		return nomem(err);
	}
	rc = cursor_open(c, sql.buf, NULL, 0, 0, cur, err);
	sbuf_release(&sql);
	return rc < 0 ? store_err(err, table, "reading the notes") : 0;
}

static const char *vtext(const struct row *row, int i)
{
	return (size_t)i < row->ncols && row->vals[i].type != VAL_NULL
		       ? row->vals[i].s
		       : NULL;
}

/* A positive decimal without sign or leading zero; -1 if not. */
static int64_t parse_seq(const char *s)
{
	int64_t v = 0;

	if (!s || !*s || *s == '0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int note_cmp(const void *a, const void *b)
{
	const struct note *x = a, *y = b;
	int c = strcmp(x->kind, y->kind);

	if (!c)
		c = strcmp(x->key, y->key);
	if (!c)
		c = strcmp(x->created, y->created);
	if (!c)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

void notes_free(struct notes *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		struct note *x = &n->v[i];

		mem_free((char *)x->job);
		mem_free((char *)x->kind);
		mem_free((char *)x->key);
		mem_free((char *)x->state);
		mem_free((char *)x->text);
		mem_free((char *)x->by);
		mem_free((char *)x->created);
		mem_free((char *)x->prev_hash);
		mem_free((char *)x->hash);
	}
	mem_free(n->v);
	mem_free(n);
}

static char *dup_s(const char *s, int *oom)
{
	char *d = mem_strdup(s ? s : "");

	if (!d)
		*oom = 1;
	return d;
}

int notes_load(struct conn *c, const struct dialect *d, const char *table,
	       const char *job, struct notes **out, struct error *err)
{
	struct notes *n;
	struct cursor *cur = NULL;
	const struct row *row;
	size_t alloc = 0;
	int rc, oom = 0;

	*out = NULL;
	if (!d)
		d = conn_dialect(c);
	n = mem_calloc(1, sizeof(*n));
	if (!n)
		return nomem(err);
	rc = notes_exist(c, table, err);
	if (rc <= 0) {
		if (rc == 0)
			*out = n;
		else
			notes_free(n);
		return rc;
	}
	if (open_notes(c, d, table, &cur, err) < 0) {
		notes_free(n);
		return -1;
	}
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		struct note *x;
		const char *j = vtext(row, N_JOB);

		if (!j || strcmp(j, job) != 0 || !vtext(row, N_KIND) ||
		    !vtext(row, N_KEY))
			continue;
		if (n->n == alloc) {
			size_t na = alloc ? 2 * alloc : 64, bytes;
			void *p;

			if (mem_mul(na, sizeof(*n->v), &bytes) < 0 ||
			    !(p = mem_realloc(n->v, bytes))) {
				oom = 1;
				break;
			}
			n->v = p;
			alloc = na;
		}
		x = &n->v[n->n++];
		memset(x, 0, sizeof(*x));
		x->seq = parse_seq(vtext(row, N_SEQ));
		x->job = dup_s(j, &oom);
		x->kind = dup_s(vtext(row, N_KIND), &oom);
		x->key = dup_s(vtext(row, N_KEY), &oom);
		x->state = dup_s(vtext(row, N_STATE), &oom);
		x->text = dup_s(vtext(row, N_TEXT), &oom);
		x->by = dup_s(vtext(row, N_BY), &oom);
		x->created = dup_s(vtext(row, N_CREATED), &oom);
		x->prev_hash = dup_s(vtext(row, N_PREV), &oom);
		x->hash = dup_s(vtext(row, N_HASH), &oom);
		if (oom)
			break;
	}
	cursor_close(cur);
	if (oom || rc < 0) {
		notes_free(n);
		return oom ? nomem(err) : store_err(err, table, "reading the "
						    "notes");
	}
	if (n->n)
		qsort(n->v, n->n, sizeof(*n->v), note_cmp);
	*out = n;
	return 0;
}

int notes_read(const char *dsn, const char *table, const char *job,
	       struct notes **out, struct error *err)
{
	struct conn *c = NULL;
	int rc = -1;

	*out = NULL;
	if (!text_is_identifier(table, 63))
		return error_set(err, ERR_JOB, "store table '%s' is not an "
				 "identifier", table ? table : "");
	if (conn_open(dsn, &c, err) == 0 &&
	    store_probe(c, table, job, err) == 0)
		rc = notes_load(c, NULL, table, job, out, err);
	conn_close(c);
	if (rc < 0) {
		if (err->code == ERR_SOURCE || err->code == ERR_DATA)
			err->code = ERR_STORE;
		error_context(err, "store '%s' table '%s'", dsn, table);
	}
	return rc;
}

/* The first note of (kind, key) or later: lower bound. */
static size_t lower(const struct notes *n, const char *kind, const char *key)
{
	size_t lo = 0, hi = n->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(n->v[mid].kind, kind);

		if (!c)
			c = strcmp(n->v[mid].key, key);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct note *notes_of(const struct notes *n, const char *kind,
			    const char *key, size_t *count)
{
	size_t i, j;

	*count = 0;
	if (!n || !n->n || !kind || !key)
		return NULL;
	i = lower(n, kind, key);
	for (j = i; j < n->n && strcmp(n->v[j].kind, kind) == 0 &&
		    strcmp(n->v[j].key, key) == 0;)
		j++;
	*count = j - i;
	return j > i ? &n->v[i] : NULL;
}

const struct note *notes_latest(const struct notes *n, const char *kind,
				const char *key, const char *time)
{
	size_t cnt, lo = 0, hi;
	const struct note *v = notes_of(n, kind, key, &cnt);

	if (!v)
		return NULL;
	if (!time)
		return &v[cnt - 1];
	/* the first created after time; the one before it is the answer */
	hi = cnt;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid].created, time) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &v[lo - 1] : NULL;
}

/* ---- verify ---------------------------------------------------------- */

static void report(notes_finding_fn *fn, void *ctx, struct sbuf *what,
		   int64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void report(notes_finding_fn *fn, void *ctx, struct sbuf *what,
		   int64_t seq, const char *fmt, ...)
{
	va_list ap;

	sbuf_reset(what);
	va_start(ap, fmt);
	sbuf_vaddf(what, fmt, ap);
	va_end(ap);
	if (fn && !what->failed)
		fn(ctx, seq, what->buf);
}

int notes_verify(struct conn *c, const char *table, notes_finding_fn *fn,
		 void *ctx, uint64_t *count, struct error *err)
{
	const struct dialect *d = conn_dialect(c);
	struct cursor *cur = NULL;
	const struct row *row;
	struct sbuf prev = SBUF_INIT(256), what = SBUF_INIT(4096);
	int64_t want = 1, prev_seq = 0;
	int rc;

	*count = 0;
	rc = notes_exist(c, table, err);
	if (rc <= 0)
		return rc;
	if (open_notes(c, d, table, &cur, err) < 0)
		return -1;
	while ((rc = cursor_next(cur, &row, err)) > 0) {
		struct note x;
		char h[LEDGER_HEX];
		const char *stored = vtext(row, N_HASH);
		const char *sp = vtext(row, N_PREV);
		const char *st = vtext(row, N_SEQ);

		(*count)++;
		memset(&x, 0, sizeof(x));
		x.seq = parse_seq(st);
		if (x.seq < 0) {
			report(fn, ctx, &what, 0, "a note's seq '%s' is not a positive integer",
			       st ? st : "NULL");
			continue;
		}
		if (x.seq < want)
			report(fn, ctx, &what, x.seq, "seq %lld appears more than once",
			       (long long)x.seq);
		else if (x.seq == want + 1)
			report(fn, ctx, &what, x.seq, "note %lld is missing before it",
			       (long long)want);
		else if (x.seq > want)
			report(fn, ctx, &what, x.seq, "notes %lld..%lld are missing before it",
			       (long long)want, (long long)x.seq - 1);
		if (x.seq >= want)
			want = x.seq + 1;
		if (strcmp(sp ? sp : "", prev.buf ? prev.buf : "") != 0) {
			if (prev_seq)
				report(fn, ctx, &what, x.seq, "prev_hash is not the hash of "
				       "note %lld", (long long)prev_seq);
			else
				report(fn, ctx, &what, x.seq, "prev_hash is not '' (the first "
				       "note has none)");
		}
		x.job = vtext(row, N_JOB);
		x.kind = vtext(row, N_KIND);
		x.key = vtext(row, N_KEY);
		x.state = vtext(row, N_STATE);
		x.text = vtext(row, N_TEXT);
		x.by = vtext(row, N_BY);
		x.created = vtext(row, N_CREATED);
		x.prev_hash = sp;
		if (notes_hash(&x, h, err) < 0) {
			rc = -1;
			break;
		}
		if (!stored || strcmp(stored, h) != 0)
			report(fn, ctx, &what, x.seq, "hash does not recompute from its fields "
			       "(job, rec_kind, rec_key, state, text, by_name, "
			       "created, prev_hash): the note was changed");
		if (!notes_state_ok(x.state))
			report(fn, ctx, &what, x.seq, "state '%s' is not explained, accepted "
			       "or investigating", x.state ? x.state : "NULL");
		sbuf_reset(&prev);
		sbuf_addstr(&prev, stored ? stored : "");
		prev_seq = x.seq;
		if (prev.failed) {
			rc = nomem(err);
			break;
		}
	}
	cursor_close(cur);
	sbuf_release(&prev);
	sbuf_release(&what);
	if (rc < 0)
		return err->code == ERR_NOMEM || err->code == ERR_INTERNAL
			       ? -1
			       : store_err(err, table, "reading the notes");
	return 0;
}
