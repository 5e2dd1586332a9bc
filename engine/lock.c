/*
 * lock.c - one live run per (job, store): see lock.h for the design.
 *
 * The DBMS-specific statements live here rather than in dialect.c:
 * nothing else uses them, and each needs code around it (a file lock
 * for SQLite) that a table of strings cannot hold.
 */
#define _GNU_SOURCE		/* F_OFD_SETLK (Linux 3.15+) */

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "dialect.h"
#include "lock.h"
#include "mem.h"
#include "stop.h"
#include "banned.h"

struct lock {
	const struct job *job;
	struct conn *c;
	const struct dialect *d;
	struct sbuf table;	/* T_lock, quoted */
	char key_hex[65];	/* SHA-256 of store table "\n" job */
	int fd;			/* SQLite: the lock file; else -1 */
	int row;		/* our row is in T_lock */
	const char *run_id;
};

static void make_key(struct lock *l)
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	memset(md, 0, sizeof(md));
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(ctx, l->job->store_table,
				 strlen(l->job->store_table));
		EVP_DigestUpdate(ctx, "\n", 1);
		EVP_DigestUpdate(ctx, l->job->name, strlen(l->job->name));
		EVP_DigestFinal_ex(ctx, md, &n);
	}
	EVP_MD_CTX_free(ctx);
	for (size_t i = 0; i < 32; i++)
		snprintf(l->key_hex + 2 * i, 3, "%02x", md[i]);
}

/* This host as the lock row names it: RECON_TEST_HOST_ID, else the host
 * name. */
static void host_id(char *buf, size_t n)
{
	const char *t = getenv("RECON_TEST_HOST_ID");

	if (t && *t) {
		snprintf(buf, n, "%s", t);
		return;
	}
	if (gethostname(buf, n) < 0)
		snprintf(buf, n, "unknown");
	buf[n - 1] = '\0';
}

static void utc_now(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, n, "(unknown)");
}

static int create_table(struct lock *l, struct error *err)
{
	struct sbuf sql = SBUF_INIT(4096);
	const char *id = l->d->types[DT_ID];
	int rc;

	if (l->d->id == DIALECT_MSSQL) {
		sbuf_addstr(&sql, "IF OBJECT_ID(N'");
		dialect_store_name(&sql, l->job->store_table, "_lock");
		sbuf_addstr(&sql, "', N'U') IS NULL CREATE TABLE ");
	} else {
		sbuf_addstr(&sql, "CREATE TABLE IF NOT EXISTS ");
	}
	sbuf_add(&sql, l->table.buf, l->table.len);
	sbuf_addf(&sql, " (job %s NOT NULL PRIMARY KEY, run_id %s, pid %s, "
		  "host %s, started %s)%s", id, id, id, id, id,
		  l->d->table_options);
	if (sql.failed) {
		sbuf_release(&sql);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	rc = conn_exec(l->c, sql.buf, NULL, 0, err);
	sbuf_release(&sql);
	if (rc < 0)
		error_context(err, "creating the lock table '%s_lock'",
			      l->job->store_table);
	return rc;
}

/* SQLite: the database file's path, from PRAGMA database_list. */
static int sqlite_file(struct lock *l, struct sbuf *path, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	int rc;

	if (cursor_open(l->c, "PRAGMA database_list", NULL, 0, 0, &cur,
			err) < 0)
		return -1;
	while ((rc = cursor_next(cur, &row, err)) == 1) {
		if (row->ncols >= 3 && row->vals[1].type == VAL_TEXT &&
		    strcmp(row->vals[1].s, "main") == 0 &&
		    row->vals[2].type == VAL_TEXT) {
			sbuf_add(path, row->vals[2].s, row->vals[2].len);
			break;
		}
	}
	cursor_close(cur);
	if (rc < 0)
		return -1;
	if (path->failed)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (!path->len)
		return error_set(err, ERR_STORE, "the store database has no "
				 "file (an in-memory database?): it cannot be "
				 "locked, and a run in it would publish to "
				 "nobody");
	return 0;
}

/* Try the arbiter once: 1 taken, 0 held by someone else, -1 error. */
static int try_arbiter(struct lock *l, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct sbuf sql = SBUF_INIT(1024), arg = SBUF_INIT(128);
	struct param p;
	int rc, got = -1;

	switch (l->d->id) {
	case DIALECT_SQLITE: {
		struct flock fl;

		if (l->fd < 0) {
			if (sqlite_file(l, &sql, err) < 0)
				goto out;
			sbuf_addf(&sql, "-recon-%.16s.lock", l->key_hex);
			if (sql.failed) {
				error_set(err, ERR_NOMEM, "out of memory");
				goto out;
			}
			l->fd = open(sql.buf, O_RDWR | O_CREAT | O_CLOEXEC,
				     0640);
			if (l->fd < 0) {
				error_set(err, ERR_STORE, "cannot open the lock "
					  "file %s: %s", sql.buf,
					  strerror(errno));
				goto out;
			}
		}
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;	/* l_start = l_len = 0: the file */
		if (fcntl(l->fd, F_OFD_SETLK, &fl) == 0) {
			got = 1;
		} else if (errno == EAGAIN || errno == EACCES) {
			got = 0;
		} else {
			error_set(err, ERR_STORE, "cannot lock the lock file "
				  "of the store: %s", strerror(errno));
		}
		goto out;
	}
	case DIALECT_PG: {
		/* 63 bits, so the bigint is never negative */
		char hex[17];
		unsigned long long k;

		memcpy(hex, l->key_hex, 16);
		hex[16] = '\0';
		k = strtoull(hex, NULL, 16) & 0x7fffffffffffffffULL;
		sbuf_addf(&arg, "%llu", k);
		sbuf_addstr(&sql, "SELECT CASE WHEN pg_try_advisory_lock("
			    "CAST(? AS BIGINT)) THEN 1 ELSE 0 END");
		break;
	}
	case DIALECT_MARIADB:
		sbuf_addf(&arg, "recon:%.40s", l->key_hex);
		sbuf_addstr(&sql, "SELECT GET_LOCK(?, 0)");
		break;
	case DIALECT_MSSQL:
		sbuf_addf(&arg, "recon:%.40s", l->key_hex);
		sbuf_addstr(&sql, "DECLARE @r INT; EXEC @r = sp_getapplock "
			    "@Resource = ?, @LockMode = 'Exclusive', "
			    "@LockOwner = 'Session', @LockTimeout = 0; "
			    "SELECT CASE WHEN @r >= 0 THEN 1 ELSE 0 END");
		break;
	default:
		error_set(err, ERR_STORE, "%s cannot hold a store", l->d->name);
		goto out;
	}
	if (sql.failed || arg.failed) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	p = param_text(arg.buf);
	if (cursor_open(l->c, sql.buf, &p, 1, 0, &cur, err) < 0)
		goto out;
	rc = cursor_next(cur, &row, err);
	if (rc == 1 && row->ncols == 1 && row->vals[0].type == VAL_INT)
		got = row->vals[0].i == 1;
	else if (rc == 1)
		error_set(err, ERR_STORE, "the %s lock function returned no "
			  "number", l->d->name);
	else if (rc == 0)
		error_set(err, ERR_STORE, "the %s lock function returned no "
			  "row", l->d->name);
	cursor_close(cur);
out:
	sbuf_release(&sql);
	sbuf_release(&arg);
	return got;
}

/* The holder's row, as "pid P on host H, run R, started S UTC"; *pid
 * and host (which must hold 256 bytes) for the takeover line. 1 found,
 * 0 none, -1 error. */
static int read_row(struct lock *l, struct sbuf *who, long *pid, char *host,
		    struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	struct sbuf sql = SBUF_INIT(1024);
	struct param p = param_text(l->job->name);
	int rc;

	sbuf_addstr(&sql, "SELECT pid, host, run_id, started FROM ");
	sbuf_add(&sql, l->table.buf, l->table.len);
	sbuf_addstr(&sql, " WHERE job = ?");
	if (sql.failed) {
		sbuf_release(&sql);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	rc = cursor_open(l->c, sql.buf, &p, 1, 0, &cur, err);
	sbuf_release(&sql);
	if (rc < 0)
		return -1;
	rc = cursor_next(cur, &row, err);
	if (rc == 1) {
		const char *v[4];

		for (int i = 0; i < 4; i++)
			v[i] = row->ncols > (size_t)i &&
				       row->vals[i].type == VAL_TEXT
				       ? row->vals[i].s
				       : "?";
		sbuf_addf(who, "pid %s on host %s, run %s, started %s UTC",
			  v[0], v[1], v[2], v[3]);
		*pid = strtol(v[0], NULL, 10);
		snprintf(host, 256, "%s", v[1]);
	}
	cursor_close(cur);
	return rc;
}

static int row_exec(struct lock *l, const char *verb, struct error *err)
{
	struct sbuf sql = SBUF_INIT(1024);
	char pid[32], host[256], started[32];
	struct param p[5];
	int rc;

	if (strcmp(verb, "insert") == 0) {
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		host_id(host, sizeof(host));
		utc_now(started, sizeof(started));
		sbuf_addstr(&sql, "INSERT INTO ");
		sbuf_add(&sql, l->table.buf, l->table.len);
		sbuf_addstr(&sql, " (job, run_id, pid, host, started) "
			    "VALUES (?, ?, ?, ?, ?)");
		p[0] = param_text(l->job->name);
		p[1] = param_text(l->run_id);
		p[2] = param_text(pid);
		p[3] = param_text(host);
		p[4] = param_text(started);
	} else {	/* "delete": only the arbiter's holder calls it */
		sbuf_addstr(&sql, "DELETE FROM ");
		sbuf_add(&sql, l->table.buf, l->table.len);
		sbuf_addstr(&sql, " WHERE job = ?");
		p[0] = param_text(l->job->name);
	}
	if (sql.failed) {
		sbuf_release(&sql);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	rc = conn_exec(l->c, sql.buf, p, strcmp(verb, "insert") == 0 ? 5 : 1,
		       err);
	sbuf_release(&sql);
	return rc;
}

static void sleep_1s(void)
{
	struct timespec ts = { 1, 0 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop_signal())
		;
}

static void lock_free(struct lock *l)
{
	if (!l)
		return;
	conn_close(l->c);	/* lets the DBMS's session lock go */
	if (l->fd >= 0)
		close(l->fd);	/* and the kernel's file lock */
	sbuf_release(&l->table);
	mem_free(l);
}

int lock_take(const struct job *job, const char *run_id, unsigned wait_s,
	      struct sbuf *note, struct lock **out, struct error *err)
{
	struct lock *l;
	struct sbuf who = SBUF_INIT(4096);
	char host[256], me[256];
	long pid = 0;
	time_t deadline;
	int got, found;

	*out = NULL;
	sbuf_reset(note);
	if (wait_s > LOCK_WAIT_MAX)
		return error_set(err, ERR_USAGE, "the lock wait is at most %u "
				 "seconds, not %u", LOCK_WAIT_MAX, wait_s);
	l = mem_calloc(1, sizeof(*l));
	if (!l)
		return error_set(err, ERR_NOMEM, "out of memory");
	l->job = job;
	l->fd = -1;
	l->run_id = run_id;
	sbuf_init(&l->table, 1024);
	make_key(l);
	if (conn_open(job->store_dsn, &l->c, err) < 0)
		goto fail;
	l->d = conn_dialect(l->c);
	if (dialect_store_ok(l->d, conn_dbms(l->c), err) < 0)
		goto fail;
	if (dialect_store_ident(l->d, &l->table, job->store_table, "_lock") < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (create_table(l, err) < 0)
		goto fail;
	deadline = time(NULL) + (time_t)wait_s;
	for (;;) {
		got = try_arbiter(l, err);
		if (got < 0)
			goto fail;
		if (got)
			break;
		if (time(NULL) >= deadline) {
			sbuf_reset(&who);
			found = read_row(l, &who, &pid, host, err);
			if (found < 0)
				goto fail;
			error_set(err, ERR_LOCKED, "another run of this job holds "
				  "its lock on store '%s' (%s); this run did "
				  "nothing and published nothing%s",
				  job->store_table,
				  found ? who.buf : "a run that has not yet "
				  "written who it is",
				  wait_s ? "" : ". It lets go when it ends; "
				  "--lock-wait SECONDS waits for it");
			if (wait_s)
				error_context(err, "waited %u s", wait_s);
			goto fail;
		}
		sleep_1s();
		if (stop_check(err, "waiting for the job's lock") < 0)
			goto fail;
	}
	/* Ours. A row still there was left by a run that ended without
	 * letting go (killed, crashed, its host or connection lost). */
	found = read_row(l, &who, &pid, host, err);
	if (found < 0)
		goto fail;
	if (found) {
		const char *state = "";

		host_id(me, sizeof(me));
		if (strcmp(host, me) == 0 && pid > 0)
			state = kill((pid_t)pid, 0) < 0 && errno == ESRCH
					? "; that pid no longer runs"
					: "; that pid runs but no longer holds "
					  "the lock";
		sbuf_addf(note, "job '%s': took over the lock of store '%s' "
			  "left by %s, which ended without letting go%s",
			  job->name, job->store_table, who.buf, state);
		if (row_exec(l, "delete", err) < 0)
			goto fail;
	}
	if (row_exec(l, "insert", err) < 0)
		goto fail;
	l->row = 1;
	sbuf_release(&who);
	*out = l;
	return 0;
fail:
	sbuf_release(&who);
	/* the store's connection is the store's failure, as store.c says */
	if (err->code == ERR_SOURCE)
		err->code = ERR_STORE;
	if (err->code != ERR_LOCKED && err->code != ERR_INTERRUPTED &&
	    err->code != ERR_USAGE)
		error_context(err, "store '%s' table '%s', taking the job's lock",
			      job->store_dsn, job->store_table);
	lock_free(l);
	return -1;
}

int lock_check(struct lock *l, struct error *err)
{
	struct cursor *cur = NULL;
	const struct row *row;
	int rc;

	if (!l || l->d->id == DIALECT_SQLITE)	/* a file lock stays */
		return 0;
	/* a round trip: if the lock's session was lost, the DBMS let the
	 * lock go and another run may have it */
	if (cursor_open(l->c, "SELECT 1", NULL, 0, 0, &cur, err) < 0 ||
	    (rc = cursor_next(cur, &row, err)) < 0) {
		cursor_close(cur);
		error_clear(err);
		return error_set(err, ERR_LOCKED, "the connection that holds "
				 "the job's lock on store '%s' was lost, so "
				 "another run may hold it now; this run "
				 "published nothing", l->job->store_table);
	}
	cursor_close(cur);
	return 0;
}

void lock_release(struct lock *l)
{
	struct error err;

	if (!l)
		return;
	error_init(&err);
	if (l->row)
		(void)row_exec(l, "delete", &err);
	error_release(&err);
	lock_free(l);
}
