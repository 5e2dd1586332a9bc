/*
 * test_notes.c - finance's notes (engine/notes.c) on SQLite (DSN
 * recon_test): the hash of a fixed note (the vector docs/STORE.md
 * restates with sha256sum), appending and chaining, the lookups the
 * report lifecycle makes, what is refused and how it is said, the
 * insert-only triggers, and notes_verify on tampered notes.
 *
 * The store table "nts" has only the columns notes.c reads of a store
 * (rec_kind, rec_key): the key lookup.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "connectors/connector.h"
#include "engine/dialect.h"
#include "engine/mem.h"
#include "engine/notes.h"

#define DSN "recon_test"
#define T "nts"
#define JOB "orders-nightly"

static struct conn *open_ok(void)
{
	struct error err;
	struct conn *c = NULL;

	error_init(&err);
	mkdir("out", 0755);
	mkdir("out/test", 0755);
	ck_assert_msg(conn_open(DSN, &c, &err) == 0, "conn_open: %s",
		      err.msg.buf);
	error_release(&err);
	return c;
}

static void exec_ok(struct conn *c, const char *sql)
{
	struct error err;

	error_init(&err);
	ck_assert_msg(conn_exec(c, sql, NULL, 0, &err) == 0, "%s: %s", sql,
		      err.msg.buf);
	error_release(&err);
}

/* Fresh tables: the store's records SO-1 (order), SO-2 (order and
 * deal), D-1 (deal); no nts_notes. */
static struct conn *fresh(void)
{
	struct conn *c = open_ok();

	exec_ok(c, "DROP TABLE IF EXISTS nts_notes");
	exec_ok(c, "DROP TABLE IF EXISTS nts");
	exec_ok(c, "CREATE TABLE nts (rec_kind TEXT, rec_key TEXT)");
	exec_ok(c, "INSERT INTO nts VALUES ('order', 'SO-1'), ('order', "
		   "'SO-1'), ('order', 'SO-2'), ('deal', 'SO-2'), "
		   "('deal', 'D-1')");
	return c;
}

static void add(struct note_add *a, const char *kind, const char *key,
		const char *state, const char *text, const char *created)
{
	memset(a, 0, sizeof(*a));
	a->job = JOB;
	a->kind = kind;
	a->key = key;
	a->state = state;
	a->text = text;
	a->by = "A. Meyer";
	a->created = created;
}

static void append_ok(struct conn *c, struct note_add *a)
{
	struct error err;

	error_init(&err);
	ck_assert_msg(notes_append(c, T, a, &err) == 0, "append: %s",
		      err.msg.buf);
	error_release(&err);
}

START_TEST(hash_vector)
{
	struct note n;
	struct error err;
	struct sbuf sb = SBUF_INIT(4096);
	char h[LEDGER_HEX];

	memset(&n, 0, sizeof(n));
	n.seq = 1;
	n.job = JOB;
	n.kind = "order";
	n.key = "SO-99000029";
	n.state = "explained";
	n.text = "credit note CN-12 posted 3 Dec";
	n.by = "A. Meyer";
	n.created = "2026-12-04 10:00:00";
	n.prev_hash = "";
	error_init(&err);
	ck_assert_int_eq(notes_serialise(&n, &sb, &err), 0);
	ck_assert_str_eq(sb.buf, "seq:1:1\njob:14:orders-nightly\n"
			 "rec_kind:5:order\nrec_key:11:SO-99000029\n"
			 "state:9:explained\n"
			 "text:30:credit note CN-12 posted 3 Dec\n"
			 "by_name:8:A. Meyer\ncreated:19:2026-12-04 10:00:00\n"
			 "prev_hash:0:\n");
	ck_assert_int_eq(notes_hash(&n, h, &err), 0);
	/* printf '<the lines above>' | sha256sum */
	ck_assert_str_eq(h, "dd4deb151f84cfb98d740e7abab65f0384b00f603ddedb363c1"
			 "36e326f7f0d69");
	/* NULL prev_hash is "" */
	n.prev_hash = NULL;
	ck_assert_int_eq(notes_hash(&n, h, &err), 0);
	ck_assert_str_eq(h, "dd4deb151f84cfb98d740e7abab65f0384b00f603ddedb363c1"
			 "36e326f7f0d69");
	sbuf_release(&sb);
	error_release(&err);
}
END_TEST

START_TEST(append_and_chain)
{
	struct conn *c = fresh();
	struct note_add a1, a2, a3;
	struct notes *ns = NULL;
	struct error err;
	char h[LEDGER_HEX];

	add(&a1, NULL, "SO-1", "investigating", "asked the ERP team",
	    "2026-12-04 10:00:00");
	append_ok(c, &a1);
	ck_assert_int_eq(a1.seq, 1);
	ck_assert_str_eq(a1.kind_found, "order");
	ck_assert_str_eq(a1.created_out, "2026-12-04 10:00:00");
	add(&a2, "deal", "SO-2", "accepted", "deal booked twice; ok\n(CFO)",
	    "2026-12-04 11:00:00");
	append_ok(c, &a2);
	ck_assert_int_eq(a2.seq, 2);
	ck_assert_str_eq(a2.kind_found, "deal");
	add(&a3, NULL, "SO-1", "explained", "credit note CN-12 posted",
	    NULL);	/* now */
	append_ok(c, &a3);
	ck_assert_int_eq(a3.seq, 3);
	ck_assert_int_eq((int)strlen(a3.created_out), 19);

	error_init(&err);
	ck_assert_int_eq(notes_load(c, NULL, T, JOB, &ns, &err), 0);
	ck_assert_uint_eq(ns->n, 3);
	/* sorted by kind, key, time: deal SO-2, order SO-1 x2 */
	ck_assert_str_eq(ns->v[0].kind, "deal");
	ck_assert_int_eq(ns->v[0].seq, 2);
	ck_assert_int_eq(ns->v[1].seq, 1);
	ck_assert_int_eq(ns->v[2].seq, 3);
	ck_assert_str_eq(ns->v[1].prev_hash, "");
	ck_assert_str_eq(ns->v[1].hash, a1.hash);
	ck_assert_str_eq(ns->v[0].prev_hash, a1.hash);
	ck_assert_str_eq(ns->v[2].prev_hash, a2.hash);
	ck_assert_str_eq(ns->v[0].text, "deal booked twice; ok\n(CFO)");
	ck_assert_str_eq(ns->v[0].by, "A. Meyer");
	for (size_t i = 0; i < ns->n; i++) {
		ck_assert_int_eq(notes_hash(&ns->v[i], h, &err), 0);
		ck_assert_str_eq(h, ns->v[i].hash);
	}
	notes_free(ns);
	/* another job's notes are not this job's */
	ck_assert_int_eq(notes_load(c, NULL, T, "other", &ns, &err), 0);
	ck_assert_uint_eq(ns->n, 0);
	notes_free(ns);
	error_release(&err);
	conn_close(c);
}
END_TEST

START_TEST(latest_before_time)
{
	struct conn *c = fresh();
	struct note_add a;
	struct notes *ns = NULL;
	struct error err;
	const struct note *n;
	size_t cnt;

	add(&a, NULL, "SO-1", "investigating", "one", "2026-12-04 10:00:00");
	append_ok(c, &a);
	add(&a, NULL, "D-1", "accepted", "two", "2026-12-04 10:30:00");
	append_ok(c, &a);
	add(&a, NULL, "SO-1", "explained", "three", "2026-12-04 12:00:00");
	append_ok(c, &a);
	/* the same second: the higher seq is the later */
	add(&a, NULL, "SO-1", "accepted", "four", "2026-12-04 12:00:00");
	append_ok(c, &a);
	error_init(&err);
	ck_assert_int_eq(notes_load(c, NULL, T, JOB, &ns, &err), 0);

	n = notes_of(ns, "order", "SO-1", &cnt);
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(cnt, 3);
	ck_assert_str_eq(n[0].text, "one");
	ck_assert_ptr_null(notes_of(ns, "order", "SO-2", &cnt));
	ck_assert_uint_eq(cnt, 0);
	ck_assert_ptr_null(notes_of(ns, "deal", "SO-1", &cnt));

	ck_assert_ptr_null(notes_latest(ns, "order", "SO-1",
					"2026-12-04 09:59:59"));
	n = notes_latest(ns, "order", "SO-1", "2026-12-04 10:00:00");
	ck_assert_str_eq(n->text, "one");
	n = notes_latest(ns, "order", "SO-1", "2026-12-04 11:59:59");
	ck_assert_str_eq(n->state, "investigating");
	n = notes_latest(ns, "order", "SO-1", "2026-12-04 12:00:00");
	ck_assert_str_eq(n->text, "four");
	n = notes_latest(ns, "order", "SO-1", NULL);
	ck_assert_int_eq(n->seq, 4);
	n = notes_latest(ns, "deal", "D-1", "2026-12-05 00:00:00");
	ck_assert_str_eq(n->state, "accepted");
	ck_assert_ptr_null(notes_latest(ns, "deal", "D-2", NULL));
	notes_free(ns);

	/* no notes table: no notes */
	exec_ok(c, "DROP TABLE nts_notes");
	ck_assert_int_eq(notes_load(c, NULL, T, JOB, &ns, &err), 0);
	ck_assert_uint_eq(ns->n, 0);
	ck_assert_ptr_null(notes_latest(ns, "order", "SO-1", NULL));
	notes_free(ns);
	error_release(&err);
	conn_close(c);
}
END_TEST

/* notes_append refuses a with ERR_USAGE and exactly msg. */
static void refused(struct conn *c, struct note_add *a, const char *msg)
{
	struct error err;

	error_init(&err);
	ck_assert_int_eq(notes_append(c, T, a, &err), -1);
	ck_assert_int_eq(err.code, ERR_USAGE);
	ck_assert_str_eq(err.msg.buf, msg);
	error_release(&err);
}

START_TEST(refusals)
{
	struct conn *c = fresh();
	struct note_add a;
	char *big;

	add(&a, NULL, "SO-9", "explained", "x", NULL);
	refused(c, &a, "the store of job 'orders-nightly' has no record "
		"'SO-9'; give the key as the exception report shows it (the "
		"order key, or for a deal without order the deal key)");
	add(&a, NULL, "SO-2", "explained", "x", NULL);
	refused(c, &a, "key 'SO-2' names 2 records of job 'orders-nightly': "
		"an order and a deal (without order); say which with --kind "
		"(order, deal or erp)");
	add(&a, "erp", "SO-1", "explained", "x", NULL);
	refused(c, &a, "record 'SO-1' of job 'orders-nightly' is not ERP "
		"documents without an order (erp); the store has it as an "
		"order");
	add(&a, "invoice", "SO-1", "explained", "x", NULL);
	refused(c, &a, "--kind is order, deal or erp, not 'invoice'");
	add(&a, NULL, "SO-1", "done", "x", NULL);
	refused(c, &a, "the state is explained, accepted or investigating, "
		"not 'done'");
	add(&a, NULL, "SO-1", "explained", "", NULL);
	refused(c, &a, "the note's text is empty: give what was found, e.g. "
		"--text 'credit note CN-12 posted on 3 Dec'");
	add(&a, NULL, "SO-1", "explained", "  \n ", NULL);
	refused(c, &a, "the note's text is only blanks: give what was found, "
		"e.g. --text 'credit note CN-12 posted on 3 Dec'");
	add(&a, NULL, "SO-1", "explained", "caf\xc3 ok", NULL);
	refused(c, &a, "the note's text is not valid UTF-8 (at byte 4): type "
		"it again, or save it as UTF-8 if it comes from a file");
	add(&a, NULL, "SO-1", "explained", "bell\a", NULL);
	refused(c, &a, "the note's text has a control character (byte 5); "
		"only line breaks and tabs may be in it");
	big = mem_calloc(1, 2 * NOTES_TEXT_MAX + 8);
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < NOTES_TEXT_MAX; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);	/* é: 4000 chars */
	add(&a, NULL, "SO-1", "explained", big, "2026-12-04 10:00:00");
	append_ok(c, &a);	/* at the limit */
	strcat(big, "e");
	add(&a, NULL, "SO-1", "explained", big, NULL);
	refused(c, &a, "the note's text is 4001 characters long; it may have "
		"at most 4000 (write two notes)");
	mem_free(big);
	add(&a, NULL, "SO-1", "explained", "x", NULL);
	a.by = NULL;
	refused(c, &a, "the note's author is empty: give who writes it, e.g. "
		"--by 'A. Meyer'");
	a.by = "A.\nMeyer";
	refused(c, &a, "the note's author has a control character (byte 3)");
	add(&a, NULL, "SO-1", "explained", "x", "2026-12-04");
	refused(c, &a, "a note's time is 'YYYY-MM-DD HH:MM:SS' (UTC), not "
		"'2026-12-04'");
	conn_close(c);
}
END_TEST

/* The statement fails with a message containing want. */
static void exec_refused(struct conn *c, const char *sql, const char *want)
{
	struct error err;

	error_init(&err);
	ck_assert_int_eq(conn_exec(c, sql, NULL, 0, &err), -1);
	ck_assert_msg(strstr(err.msg.buf, want) != NULL, "%s: %s", sql,
		      err.msg.buf);
	error_release(&err);
}

START_TEST(insert_only)
{
	struct conn *c = fresh();
	struct note_add a;
	struct sbuf sb = SBUF_INIT(4096);
	const struct dialect *d = dialect_by_id(DIALECT_SQLITE);

	/* the statements, named and worded as the store's own */
	ck_assert_int_eq(dialect_notes_insert_only_sql(d, "Nts", 0, &sb), 1);
	ck_assert_str_eq(sb.buf, "CREATE TRIGGER \"nts_notes_no_update\" "
			 "BEFORE UPDATE ON \"nts_notes\" BEGIN SELECT "
			 "RAISE(ABORT, 'recon: nts_notes is insert-only'); END");
	ck_assert_int_eq(dialect_notes_insert_only_sql(d, "Nts", 1, &sb), 1);
	ck_assert_int_eq(dialect_notes_insert_only_sql(d, "Nts", 2, &sb), 0);
	d = dialect_by_id(DIALECT_PG);
	ck_assert_int_eq(dialect_notes_insert_only_sql(d, "nts", 0, &sb), 1);
	ck_assert_str_eq(sb.buf, "CREATE TRIGGER \"nts_notes_insert_only\" "
			 "BEFORE UPDATE OR DELETE ON \"nts_notes\" FOR EACH ROW "
			 "EXECUTE FUNCTION \"nts_insert_only\"()");
	ck_assert_int_eq(dialect_notes_insert_only_sql(d, "nts", 1, &sb), 1);
	ck_assert_str_eq(sb.buf, "CREATE TRIGGER \"nts_notes_no_truncate\" "
			 "BEFORE TRUNCATE ON \"nts_notes\" FOR EACH STATEMENT "
			 "EXECUTE FUNCTION \"nts_insert_only\"()");
	ck_assert_int_eq(dialect_notes_insert_only_sql(d, "nts", 2, &sb), 0);
	d = dialect_by_id(DIALECT_MARIADB);
	ck_assert_int_eq(dialect_notes_insert_only_sql(d, "nts", 1, &sb), 1);
	ck_assert_str_eq(sb.buf, "CREATE TRIGGER `nts_notes_no_delete` BEFORE "
			 "DELETE ON `nts_notes` FOR EACH ROW SIGNAL SQLSTATE "
			 "'45000' SET MESSAGE_TEXT = 'recon: nts_notes is "
			 "insert-only'");
	d = dialect_by_id(DIALECT_MSSQL);
	ck_assert_int_eq(dialect_notes_insert_only_sql(d, "nts", 0, &sb), 1);
	ck_assert_str_eq(sb.buf, "CREATE TRIGGER [nts_notes_insert_only] ON "
			 "[nts_notes] INSTEAD OF UPDATE, DELETE AS BEGIN THROW "
			 "50000, 'recon: nts_notes is insert-only', 1; END");
	ck_assert_int_eq(dialect_notes_insert_only_sql(d, "nts", 1, &sb), 0);
	sbuf_release(&sb);

	add(&a, NULL, "SO-1", "explained", "x", NULL);
	append_ok(c, &a);
	exec_refused(c, "UPDATE nts_notes SET text = 'y'",
		     "recon: nts_notes is insert-only");
	exec_refused(c, "DELETE FROM nts_notes",
		     "recon: nts_notes is insert-only");
	conn_close(c);
}
END_TEST

/* What notes_verify found, '\n'-separated "seq: what". */
struct seen {
	struct sbuf lines;
	unsigned n;
};

static void on_finding(void *ctx, int64_t seq, const char *what)
{
	struct seen *s = ctx;

	sbuf_addf(&s->lines, "%lld: %s\n", (long long)seq, what);
	s->n++;
}

static unsigned verify(struct conn *c, struct seen *s, uint64_t *n)
{
	struct error err;

	error_init(&err);
	sbuf_reset(&s->lines);
	s->n = 0;
	ck_assert_msg(notes_verify(c, T, on_finding, s, n, &err) == 0, "%s",
		      err.msg.buf);
	error_release(&err);
	return s->n;
}

START_TEST(verify_tampered)
{
	struct conn *c = fresh();
	struct note_add a;
	struct seen s;
	uint64_t n = 99;

	sbuf_init(&s.lines, 1 << 20);
	/* no table: nothing to check */
	ck_assert_uint_eq(verify(c, &s, &n), 0);
	ck_assert_uint_eq(n, 0);
	for (int i = 0; i < 4; i++) {
		add(&a, NULL, "SO-1", "investigating", "n", NULL);
		append_ok(c, &a);
	}
	ck_assert_uint_eq(verify(c, &s, &n), 0);
	ck_assert_uint_eq(n, 4);

	/* the owner drops the triggers and edits note 2's text */
	exec_ok(c, "DROP TRIGGER nts_notes_no_update");
	exec_ok(c, "DROP TRIGGER nts_notes_no_delete");
	exec_ok(c, "UPDATE nts_notes SET text = 'forged' WHERE seq = 2");
	ck_assert_uint_eq(verify(c, &s, &n), 1);
	ck_assert_str_eq(s.lines.buf, "2: hash does not recompute from its "
			 "fields (job, rec_kind, rec_key, state, text, by_name, "
			 "created, prev_hash): the note was changed\n");
	/* and then deletes note 3 */
	exec_ok(c, "DELETE FROM nts_notes WHERE seq = 3");
	ck_assert_uint_eq(verify(c, &s, &n), 3);
	ck_assert_str_eq(s.lines.buf, "2: hash does not recompute from its "
			 "fields (job, rec_kind, rec_key, state, text, by_name, "
			 "created, prev_hash): the note was changed\n"
			 "4: note 3 is missing before it\n"
			 "4: prev_hash is not the hash of note 2\n");
	/* a state no note can have */
	exec_ok(c, "UPDATE nts_notes SET state = 'closed' WHERE seq = 1");
	ck_assert_uint_eq(verify(c, &s, &n), 5);
	ck_assert_ptr_nonnull(strstr(s.lines.buf, "1: state 'closed' is not "
				     "explained, accepted or investigating"));
	sbuf_release(&s.lines);
	conn_close(c);
}
END_TEST

Suite *suite_notes(void);
Suite *suite_notes(void)
{
	Suite *s = suite_create("notes");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hash_vector);
	tcase_add_test(tc, append_and_chain);
	tcase_add_test(tc, latest_before_time);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, insert_only);
	tcase_add_test(tc, verify_tampered);
	suite_add_tcase(s, tc);
	return s;
}
