/*
 * match.c - partitioned three-way matcher (see match.h for the phases).
 *
 * Spill record format (native byte order: the files never leave this
 * process): a struct spill_hdr, the record's string bytes, and for phase-2
 * order records a struct spill_agg, the aggregate's currency bytes and
 * its ndocs documents, each a struct spill_hdr and its string bytes, in
 * document order (the order rules see them: o.erp.docs).
 * Loaded partitions are read whole into one buffer; the struct canon
 * views built over it borrow their strings from that buffer (their sbuf
 * has alloc == 0, so releasing one frees nothing).
 *
 * A hybrid of memory and files: each set/partition collects its records
 * in a memory buffer first, and all buffers together may hold up to the
 * job's <limits match-memory>. When a buffer would grow past that, the
 * largest buffer is written to its spill file and freed, and that
 * partition goes on in the file; a partition still in memory is handed
 * to the phase that reads it without a copy. The bytes of a partition
 * are the same either way (buffer, or file: earlier bytes first), so
 * the results do not depend on the budget (test_run pins it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "match.h"
#include "file.h"
#include "mem.h"
#include "money.h"
#include "phase.h"
#include "stop.h"
#include "banned.h"

/* Spill file sets. */
enum { SP_DEAL, SP_ORDER, SP_ERP, SP_OE, SP__COUNT };
static const char *const spill_names[SP__COUNT] = { "deal", "order", "erp",
						     "oe" };

struct spill_hdr {
	uint32_t total;		/* bytes after this header */
	uint8_t kind, status, doctype, has_agg;
	uint16_t source;
	uint16_t flags;
	uint32_t present;
	uint32_t data_len;
	uint32_t xpresent, xtab, nx, pad;	/* site-defined fields */
	int64_t amount;
	int64_t time;
	uint64_t rowno;
	uint8_t fp[32];
	uint32_t off[CS__COUNT];
	uint32_t len[CS__COUNT];
};

struct spill_agg {
	uint32_t ndocs, ninvoices, ncredits, nsales, ndrafts, ncancelled;
	int64_t invoiced, ordered;
	uint32_t currency_len;	/* bytes following; 0 and has_currency 0 */
	int32_t has_currency;
	int32_t mixed_currency, amount_overflow;
	uint32_t unpriced_inv, unpriced_sales;
	uint8_t docs_fp[32];
};

struct match {
	const struct job *job;
	unsigned nparts;
	struct sbuf dir;		/* spill directory */
	struct sbuf owner;		/* its owner file, "" until named */
	FILE **files[SP__COUNT];	/* [set][partition], NULL until used */
	struct membuf *mem[SP__COUNT];	/* [set][partition], before files */
	size_t budget;			/* job->match_memory */
	size_t inmem;			/* the buffers' capacities, summed */
	uint64_t kept;			/* bytes handed over from memory */
	uint64_t spilled;
	uint64_t peak;
	struct sbuf scratch;		/* path building */
	int ran;
};

/* A set/partition's records while they fit in the budget. */
struct membuf {
	char *buf;
	size_t len, cap;
};

/* A loaded partition: the file bytes and canon views over them. */
struct part {
	char *buf;
	size_t size;
	struct canon *recs;
	struct erp_agg *aggs;	/* for SP_OE: one per record */
	size_t n, alloc;
	/* for SP_OE: where each record's documents start in buf (their
	 * views are made one group at a time: docs_views) */
	size_t *doff;
};

/* Views of one SP_OE record's documents, reused from group to group:
 * building them for a whole partition at once would cost a struct
 * canon per document on top of the bytes. */
struct docviews {
	struct canon *c;
	const struct canon **p;
	size_t alloc;
};

/* Open-addressing table from a key (borrowed bytes) to an index. */
struct slot {
	const char *key;
	uint32_t len;
	uint32_t idx;
	uint64_t hash;
};

struct table {
	struct slot *slots;
	size_t mask;		/* capacity - 1, capacity a power of two */
	size_t used;
};

uint64_t match_hash(const char *s, size_t n)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(1099511628211);
	}
	/* final avalanche so that low bits (table index) and high bits
	 * (partition) are both well mixed */
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return h;
}

static int table_init(struct table *t, size_t n, struct error *err)
{
	size_t cap = 16;

	while (cap < n * 2)
		cap *= 2;
	t->slots = mem_calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return error_set(err, ERR_NOMEM, "out of memory (match table)");
	t->mask = cap - 1;
	t->used = 0;
	return 0;
}

static void table_release(struct table *t)
{
	mem_free(t->slots);
	t->slots = NULL;
}

/* Find key; if absent insert it with idx. Returns the stored index (equal
 * to idx when it was inserted). The table never fills: callers size it
 * for the number of inserts. */
static uint32_t table_put(struct table *t, const char *key, size_t len,
			  uint32_t idx)
{
	uint64_t h = match_hash(key, len);
	size_t i = (size_t)h & t->mask;

	for (;;) {
		struct slot *s = &t->slots[i];

		if (!s->key) {
			s->key = key;
			s->len = (uint32_t)len;
			s->idx = idx;
			s->hash = h;
			t->used++;
			return idx;
		}
		if (s->hash == h && s->len == len &&
		    memcmp(s->key, key, len) == 0)
			return s->idx;
		i = (i + 1) & t->mask;
	}
}

static int table_get(const struct table *t, const char *key, size_t len,
		     uint32_t *idx)
{
	uint64_t h = match_hash(key, len);
	size_t i = (size_t)h & t->mask;

	for (;;) {
		const struct slot *s = &t->slots[i];

		if (!s->key)
			return 0;
		if (s->hash == h && s->len == len &&
		    memcmp(s->key, key, len) == 0) {
			*idx = s->idx;
			return 1;
		}
		i = (i + 1) & t->mask;
	}
}

/* ---- spill folders and their owners ----------------------------------
 *
 * A run's spill folder is TMPDIR/recon-spill-PID-XXXXXX and holds, besides
 * the spill files, a file "owner" naming the process that made it: its
 * pid, host name, pid namespace, the kernel's boot id and the process's
 * start time (in clock ticks since boot, /proc/PID/stat field 22).
 * match_free() removes the folder; a run killed with SIGKILL cannot, so
 * match_sweep() removes the folders whose owner is provably dead. A pid alone would not do: it
 * is reused, so a live process with the owner's pid but another start
 * time (or a boot id that changed: the machine rebooted) does not own the
 * folder any more. A folder on another host's behalf (a tmpdir shared
 * over the network), or made in another pid namespace (a container
 * sharing the tmpdir and the host name, where the pid means another
 * process), is never judged.
 */

#define SPILL_PREFIX "recon-spill-"
#define OWNER_FILE "owner"
#define OWNER_TMP "owner.tmp"
#define OWNER_MAGIC "recon spill folder"
/* The owner file is a few short lines; anything longer is not ours. */
#define OWNER_CAP 1024
/* Field lengths in struct owner (host names are at most 64 bytes on
 * Linux, boot ids 36). */
#define OWNER_FIELD_CAP 256

struct owner {
	long pid;
	char host[OWNER_FIELD_CAP];	/* "" if unknown */
	char pidns[OWNER_FIELD_CAP];	/* "pid:[N]", "" if unknown */
	char boot[OWNER_FIELD_CAP];	/* "" if unknown */
	unsigned long long start;	/* 0 if unknown */
};

static const char *tmpdir_of(const char *tmpdir)
{
	if (!tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	return tmpdir;
}

/* Read a small file whole into buf (NUL-terminated, at most cap - 1
 * bytes), relative to dfd, not following a symlink. Bytes read, or -1. */
static long read_small(int dfd, const char *name, char *buf, size_t cap)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < cap - 1) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (long)got;
}

/* The start time of process pid (clock ticks after boot), 0 if unknown. */
static unsigned long long proc_start(long pid)
{
	char path[64], buf[OWNER_CAP];
	const char *p;
	unsigned long long v = 0;
	int field = 2;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (read_small(AT_FDCWD, path, buf, sizeof(buf)) <= 0)
		return 0;
	/* "pid (comm) state ...": comm may hold spaces and parentheses,
	 * so count fields from the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	for (; *p >= '0' && *p <= '9' && v < UINT64_MAX / 10; p++)
		v = v * 10 + (unsigned long long)(*p - '0');
	return v;
}

/* Copy the first line of s (at most cap - 1 bytes) into out. */
static void first_line(const char *s, char *out, size_t cap)
{
	size_t n = strcspn(s, "\n");

	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* This process as an owner. */
static void owner_self(struct owner *o)
{
	struct utsname u;
	char buf[OWNER_FIELD_CAP];
	ssize_t n;

	memset(o, 0, sizeof(*o));
	o->pid = (long)getpid();
	if (uname(&u) == 0)
		first_line(u.nodename, o->host, sizeof(o->host));
	n = readlink("/proc/self/ns/pid", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		first_line(buf, o->pidns, sizeof(o->pidns));
	}
	if (read_small(AT_FDCWD, "/proc/sys/kernel/random/boot_id", buf,
		       sizeof(buf)) > 0)
		first_line(buf, o->boot, sizeof(o->boot));
	o->start = proc_start(o->pid);
}

/* Parse an owner file: 0, or -1 if it is not one. */
static int owner_parse(const char *s, struct owner *o)
{
	size_t ml = strlen(OWNER_MAGIC);

	memset(o, 0, sizeof(*o));
	if (strncmp(s, OWNER_MAGIC "\n", ml + 1) != 0)
		return -1;
	s += ml + 1;
	while (*s) {
		const char *nl = strchr(s, '\n');
		char *end;

		if (!nl)
			return -1;	/* an unfinished file */
		if (strncmp(s, "pid ", 4) == 0) {
			o->pid = strtol(s + 4, &end, 10);
			if (end != nl || o->pid <= 0)
				return -1;
		} else if (strncmp(s, "host ", 5) == 0) {
			first_line(s + 5, o->host, sizeof(o->host));
		} else if (strncmp(s, "pidns ", 6) == 0) {
			first_line(s + 6, o->pidns, sizeof(o->pidns));
		} else if (strncmp(s, "boot ", 5) == 0) {
			first_line(s + 5, o->boot, sizeof(o->boot));
		} else if (strncmp(s, "start ", 6) == 0) {
			o->start = strtoull(s + 6, &end, 10);
			if (end != nl)
				return -1;
		}
		s = nl + 1;
	}
	return o->pid > 0 && o->host[0] ? 0 : -1;
}

/* 1 if the owner o is provably dead, judged from this process (self). */
static int owner_dead(const struct owner *o, const struct owner *self)
{
	if (!self->host[0] || strcmp(o->host, self->host) != 0)
		return 0;	/* another host's: not ours to judge */
	if (strcmp(o->pidns, self->pidns) != 0)
		return 0;	/* its pids are not ours (both unknown is equal) */
	if (o->boot[0] && self->boot[0] && strcmp(o->boot, self->boot) != 0)
		return 1;	/* made before the last reboot */
	if (o->pid == self->pid && (!o->start || o->start == self->start))
		return 0;	/* this very process */
	if (kill((pid_t)o->pid, 0) != 0)
		return errno == ESRCH;	/* EPERM: alive, someone else's */
	/* the pid is alive: the same process only if it started when the
	 * owner did */
	if (o->start) {
		unsigned long long now = proc_start(o->pid);

		return now && now != o->start;
	}
	return 0;
}

/* Write the owner file of m's fresh folder (to a temporary name first,
 * so an owner file that exists is complete). */
static int owner_write(struct match *m, struct error *err)
{
	struct owner self;
	struct sbuf text = SBUF_INIT(OWNER_CAP), tmp = SBUF_INIT(4096);
	FILE *f = NULL;
	int rc = -1;

	owner_self(&self);
	sbuf_addf(&text, OWNER_MAGIC "\npid %ld\nhost %s\n", self.pid,
		  self.host);
	if (self.pidns[0])
		sbuf_addf(&text, "pidns %s\n", self.pidns);
	if (self.boot[0])
		sbuf_addf(&text, "boot %s\n", self.boot);
	if (self.start)
		sbuf_addf(&text, "start %llu\n", self.start);
	sbuf_addf(&tmp, "%s/" OWNER_TMP, m->dir.buf);
	/* named before it exists: match_free() removes it whatever
	 * memory is left then */
	sbuf_addf(&m->owner, "%s/" OWNER_FILE, m->dir.buf);
	if (text.failed || tmp.failed || m->owner.failed) {
		sbuf_reset(&m->owner);
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	f = fopen(tmp.buf, "wb");
	if (!f || fwrite(text.buf, 1, text.len, f) != text.len) {
		error_set(err, ERR_IO, "cannot write %s: %s", tmp.buf,
			  strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		error_set(err, ERR_IO, "cannot write %s: %s", tmp.buf,
			  strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp.buf, m->owner.buf) != 0) {
		error_set(err, ERR_IO, "cannot rename %s: %s", tmp.buf,
			  strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	if (rc < 0)
		unlink(tmp.buf);
	sbuf_release(&text);
	sbuf_release(&tmp);
	return rc;
}

/* The pid in a spill folder's name "recon-spill-PID-XXXXXX", or 0 if the
 * name is not one. */
static long spill_dir_pid(const char *name)
{
	size_t pl = strlen(SPILL_PREFIX);
	const char *p;
	char *end;
	long pid;

	if (strncmp(name, SPILL_PREFIX, pl) != 0 || name[pl] < '1' ||
	    name[pl] > '9')
		return 0;
	pid = strtol(name + pl, &end, 10);
	if (*end != '-' || pid <= 0)
		return 0;
	p = end + 1;
	if (strlen(p) != 6)	/* mkdtemp's six characters */
		return 0;
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')))
			return 0;
	return pid;
}

/* 1 if name is a file a spill folder holds: SET.N or the owner file. */
static int spill_file_name(const char *name)
{
	if (strcmp(name, OWNER_FILE) == 0 || strcmp(name, OWNER_TMP) == 0)
		return 1;
	for (int s = 0; s < SP__COUNT; s++) {
		size_t n = strlen(spill_names[s]);
		const char *p = name + n + 1;

		if (strncmp(name, spill_names[s], n) != 0 || name[n] != '.' ||
		    !*p)
			continue;
		for (; *p >= '0' && *p <= '9'; p++)
			;
		if (!*p)
			return 1;
	}
	return 0;
}

/* Remove the dead run's folder `name` in the directory dfd, if it holds
 * only spill files (regular files, never followed): 1 and *bytes (the
 * size of what was removed), or 0 if it was left alone. */
static int sweep_one(int dfd, const char *name, uint64_t *bytes)
{
	int sfd, ok = 1;
	DIR *d;
	struct dirent *e;
	uint64_t total = 0;

	sfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (sfd < 0)
		return 0;
	d = fdopendir(sfd);
	if (!d) {
		close(sfd);
		return 0;
	}
	/* first look: everything must be a spill file */
	while (ok && (e = readdir(d))) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!spill_file_name(e->d_name) ||
		    fstatat(sfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			ok = 0;
		else
			total += (uint64_t)st.st_size;
	}
	if (ok) {
		rewinddir(d);
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0)
				(void)unlinkat(sfd, e->d_name, 0);
	}
	closedir(d);		/* closes sfd */
	if (!ok || unlinkat(dfd, name, AT_REMOVEDIR) != 0)
		return 0;
	*bytes = total;
	return 1;
}

/*
 * 1 if the spill folder open as sfd has no owner file and holds nothing
 * but perhaps the owner file's temporary: a run killed between
 * mkdtemp() and the rename of its owner file (match_new), which wrote
 * no spill data. Such a folder is judged by the pid in its name.
 */
static int unowned_and_empty(int sfd)
{
	int fd = dup(sfd), empty = 1;
	DIR *d;
	struct dirent *e;

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while (empty && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, OWNER_TMP))
			empty = 0;
	closedir(d);
	return empty;
}

unsigned match_sweep(const char *tmpdir, match_swept_fn fn, void *ctx)
{
	struct owner self;
	DIR *d;
	struct dirent *e;
	unsigned removed = 0;
	int dfd;
	struct sbuf path = SBUF_INIT(8192);

	tmpdir = tmpdir_of(tmpdir);
	d = opendir(tmpdir);
	if (!d)
		return 0;
	dfd = dirfd(d);
	owner_self(&self);
	while ((e = readdir(d))) {
		long pid = spill_dir_pid(e->d_name);
		struct owner o;
		struct stat st;
		char buf[OWNER_CAP];
		uint64_t bytes = 0;
		int sfd;

		if (!pid ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		sfd = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (sfd < 0)
			continue;
		if (read_small(sfd, OWNER_FILE, buf, sizeof(buf)) <= 0) {
			/* no owner yet: only a folder that holds nothing, of
			 * a pid that is gone (a data-less folder: wrongly
			 * judged, nothing is lost) */
			if (!unowned_and_empty(sfd) || !file_pid_gone(pid)) {
				close(sfd);
				continue;
			}
		} else if (owner_parse(buf, &o) < 0 || o.pid != pid ||
			   !owner_dead(&o, &self)) {
			close(sfd);
			continue;
		}
		close(sfd);
		if (!sweep_one(dfd, e->d_name, &bytes))
			continue;
		removed++;
		sbuf_reset(&path);
		sbuf_addf(&path, "%s/%s", tmpdir, e->d_name);
		if (fn && !path.failed)
			fn(ctx, pid, path.buf, bytes);
	}
	closedir(d);
	sbuf_release(&path);
	return removed;
}

int match_new(const struct job *job, const char *tmpdir, struct match **out,
	      struct error *err)
{
	struct match *m;
	char *made;

	if (job->partitions < 1 || job->partitions > JOB_PARTITIONS_MAX)
		return error_set(err, ERR_JOB,
				 "partitions must be 1..%u, not %u",
				 JOB_PARTITIONS_MAX, job->partitions);
	m = mem_calloc(1, sizeof(*m));
	if (!m)
		return error_set(err, ERR_NOMEM, "out of memory");
	m->job = job;
	m->nparts = job->partitions;
	sbuf_init(&m->dir, 4096);
	sbuf_init(&m->owner, 4096);
	sbuf_init(&m->scratch, 4096);
	tmpdir = tmpdir_of(tmpdir);
	m->budget = job->match_memory;
	for (int s = 0; s < SP__COUNT; s++) {
		m->files[s] = mem_calloc(m->nparts, sizeof(FILE *));
		m->mem[s] = mem_calloc(m->nparts, sizeof(struct membuf));
		if (!m->files[s] || !m->mem[s]) {
			match_free(m);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
	}
	/* "XXXXXX" is mkdtemp()'s template, replaced by a unique name */
	if (sbuf_addf(&m->dir, "%s/" SPILL_PREFIX "%ld-XXXXXX", tmpdir,
		      (long)getpid()) < 0) {
		match_free(m);
		return error_set(err, ERR_NOMEM, "spill directory name too long");
	}
	made = mkdtemp(m->dir.buf);
	if (!made) {
		int e = errno;

		sbuf_reset(&m->dir);
		match_free(m);
		return error_set(err, ERR_IO, "cannot create a spill directory in %s: %s",
				 tmpdir, strerror(e));
	}
	if (owner_write(m, err) < 0) {
		match_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

static const char *spill_path(struct match *m, int set, unsigned p)
{
	sbuf_reset(&m->scratch);
	if (sbuf_addf(&m->scratch, "%s/%s.%u", m->dir.buf, spill_names[set],
		      p) < 0)
		return NULL;
	return m->scratch.buf;
}

static FILE *spill_file(struct match *m, int set, unsigned p,
			struct error *err)
{
	const char *path;
	FILE *f;

	if (m->files[set][p])
		return m->files[set][p];
	path = spill_path(m, set, p);
	if (!path) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	f = fopen(path, "w+b");
	if (!f) {
		error_set(err, ERR_IO, "cannot create spill file %s: %s", path,
			  strerror(errno));
		return NULL;
	}
	m->files[set][p] = f;
	return f;
}

static int write_all(struct match *m, FILE *f, const void *p, size_t n,
		     struct error *err)
{
	if (n && fwrite(p, 1, n, f) != n)
		return error_set(err, ERR_IO, "cannot write spill file in %s: %s",
				 m->dir.buf, strerror(errno));
	m->spilled += n;
	return 0;
}

/* Write set/partition's buffer to its spill file, which it goes on in. */
static int evict(struct match *m, int set, unsigned p, struct error *err)
{
	struct membuf *b = &m->mem[set][p];
	FILE *f = spill_file(m, set, p, err);

	if (!f || write_all(m, f, b->buf, b->len, err) < 0)
		return -1;
	mem_free(b->buf);
	m->inmem -= b->cap;
	memset(b, 0, sizeof(*b));
	return 0;
}

/* Where one record of need bytes goes: *dst in set/partition's buffer
 * (room made), or *f, its spill file, when it does not fit in the budget
 * (the largest buffers are written out first: they free the most). */
static int room(struct match *m, int set, unsigned p, size_t need,
		char **dst, FILE **f, struct error *err)
{
	struct membuf *b = &m->mem[set][p];
	size_t cap;
	char *nb;

	*dst = NULL;
	*f = m->files[set][p];
	if (*f)
		return 0;
	if (b->cap - b->len >= need) {
		*dst = b->buf + b->len;
		b->len += need;
		return 0;
	}
	cap = b->cap ? b->cap : (size_t)4 << 10;
	while (cap - b->len < need)
		if (mem_mul(cap, 2, &cap) < 0)
			return error_set(err, ERR_NOMEM, "out of memory");
	while (m->inmem - b->cap + cap > m->budget) {
		int vs = set;
		unsigned vp = p;

		for (int s = 0; s < SP__COUNT; s++)
			for (unsigned q = 0; q < m->nparts; q++)
				if (m->mem[s][q].cap > m->mem[vs][vp].cap) {
					vs = s;
					vp = q;
				}
		if (evict(m, vs, vp, err) < 0)
			return -1;
		if (vs == set && vp == p) {
			*f = m->files[set][p];
			return 0;
		}
	}
	nb = mem_realloc(b->buf, cap);
	if (!nb)
		return error_set(err, ERR_NOMEM, "out of memory keeping a "
				 "partition in memory (lower <limits "
				 "match-memory=...>)");
	m->inmem += cap - b->cap;
	b->buf = nb;
	b->cap = cap;
	*dst = b->buf + b->len;
	b->len += need;
	return 0;
}

/* Append n bytes at *dst (memory) or to f. */
static int put(struct match *m, char **dst, FILE *f, const void *p, size_t n,
	       struct error *err)
{
	if (f)
		return write_all(m, f, p, n, err);
	if (n)
		memcpy(*dst, p, n);
	*dst += n;
	return 0;
}

static void hdr_fill(struct spill_hdr *hp, const struct canon *c)
{
	struct spill_hdr h;

	memset(&h, 0, sizeof(h));
	h.kind = c->kind;
	h.status = c->status;
	h.doctype = c->doctype;
	h.source = c->source;
	h.flags = c->flags;
	h.present = c->present;
	h.xpresent = c->xpresent;
	h.xtab = c->xtab;
	h.nx = c->nx;
	h.data_len = (uint32_t)c->data.len;
	h.amount = c->amount;
	h.time = c->time;
	h.rowno = c->rowno;
	memcpy(h.fp, c->fp, sizeof(h.fp));
	memcpy(h.off, c->off, sizeof(h.off));
	memcpy(h.len, c->len, sizeof(h.len));
	h.total = h.data_len;
	*hp = h;
}

/* Write one record (and optionally its ERP aggregate with its documents)
 * to set/partition. */
static int spill_one(struct match *m, int set, unsigned p,
		     const struct canon *c, const struct erp_agg *agg,
		     struct error *err)
{
	struct spill_hdr h;
	struct spill_agg a;
	FILE *f;
	char *d;

	phase_rows(PH_SPILL, 1);
	hdr_fill(&h, c);
	h.has_agg = agg != NULL;
	if (agg) {
		memset(&a, 0, sizeof(a));
		a.ndocs = agg->ndocs;
		a.ninvoices = agg->ninvoices;
		a.ncredits = agg->ncredits;
		a.nsales = agg->nsales;
		a.ndrafts = agg->ndrafts;
		a.ncancelled = agg->ncancelled;
		a.invoiced = agg->invoiced;
		a.ordered = agg->ordered;
		a.has_currency = agg->currency != NULL;
		a.currency_len = agg->currency ? agg->currency_len : 0;
		a.mixed_currency = agg->mixed_currency;
		a.amount_overflow = agg->amount_overflow;
		a.unpriced_inv = agg->unpriced_inv;
		a.unpriced_sales = agg->unpriced_sales;
		memcpy(a.docs_fp, agg->docs_fp, sizeof(a.docs_fp));
		h.total += (uint32_t)sizeof(a) + a.currency_len;
		for (uint32_t i = 0; agg->docs && i < agg->ndocs; i++)
			h.total += (uint32_t)(sizeof(h) + agg->docs[i]->data.len);
	}
	if (room(m, set, p, sizeof(h) + h.total, &d, &f, err) < 0 ||
	    put(m, &d, f, &h, sizeof(h), err) < 0 ||
	    put(m, &d, f, c->data.buf, c->data.len, err) < 0)
		return -1;
	if (agg && (put(m, &d, f, &a, sizeof(a), err) < 0 ||
		    put(m, &d, f, agg->currency, a.currency_len, err) < 0))
		return -1;
	for (uint32_t i = 0; agg && agg->docs && i < agg->ndocs; i++) {
		const struct canon *doc = agg->docs[i];
		struct spill_hdr dh;

		hdr_fill(&dh, doc);
		if (put(m, &d, f, &dh, sizeof(dh), err) < 0 ||
		    put(m, &d, f, doc->data.buf, doc->data.len, err) < 0)
			return -1;
	}
	return 0;
}

/* Timed per record (phase.h), so by the wall clock only. */
static int spill(struct match *m, int set, unsigned p, const struct canon *c,
		 const struct erp_agg *agg, struct error *err)
{
	int rc;

	phase_fpush(PH_SPILL);
	rc = spill_one(m, set, p, c, agg, err);
	phase_fpop();
	return rc;
}

static unsigned part_of(const struct match *m, const char *s, size_t n)
{
	return (unsigned)((match_hash(s, n) >> 32) % m->nparts);
}

/* The join field a record is partitioned by in phase 1. */
static enum canon_str first_link(const struct job *job, enum canon_kind k)
{
	switch (k) {
	case CANON_DEAL:
		return job->deal_link;
	case CANON_ORDER:
		return job->order_erp_link;
	default:
		return job->erp_link;
	}
}

int match_add(struct match *m, const struct canon *rec, struct error *err)
{
	const char *k;
	size_t n;
	int set;

	if (rec->kind >= CANON__KINDS)
		return error_set(err, ERR_INTERNAL, "record of unknown kind %u",
				 rec->kind);
	set = rec->kind == CANON_DEAL ? SP_DEAL
	      : rec->kind == CANON_ORDER ? SP_ORDER : SP_ERP;
	k = canon_get(rec, first_link(m->job, (enum canon_kind)rec->kind), &n);
	/* A record without its link field (an ERP document without an order
	 * reference) can only be an orphan: partition 0, where phase 1 turns
	 * it into its own group. */
	return spill(m, set, k ? part_of(m, k, n) : 0, rec, NULL, err);
}

static void part_release(struct part *pt)
{
	mem_free(pt->buf);
	mem_free(pt->recs);
	mem_free(pt->aggs);
	mem_free(pt->doff);
	memset(pt, 0, sizeof(*pt));
}

/* A canon view of a spilled record: its strings borrowed from data. */
static void view_of(struct canon *c, const struct spill_hdr *h, char *data)
{
	memset(c, 0, sizeof(*c));
	c->kind = h->kind;
	c->status = h->status;
	c->doctype = h->doctype;
	c->source = h->source;
	c->flags = (uint8_t)h->flags;
	c->present = h->present;
	c->xpresent = h->xpresent;
	c->xtab = h->xtab;
	c->nx = h->nx;
	c->amount = h->amount;
	c->time = h->time;
	c->rowno = h->rowno;
	memcpy(c->fp, h->fp, sizeof(c->fp));
	memcpy(c->off, h->off, sizeof(h->off));
	memcpy(c->len, h->len, sizeof(h->len));
	/* borrowed view: alloc 0 means nothing to free */
	c->data.buf = data;
	c->data.len = h->data_len;
	c->data.alloc = 0;
	c->data.cap = h->data_len;
}

/* Check that ndocs spilled documents fit in buf[pos..end). */
static int docs_check(const struct part *pt, size_t pos, size_t end,
		      uint32_t ndocs, struct error *err)
{
	if (pos > end)
		return error_set(err, ERR_INTERNAL, "spill file truncated");
	for (uint32_t i = 0; i < ndocs; i++) {
		struct spill_hdr h;

		if (end - pos < sizeof(h))
			return error_set(err, ERR_INTERNAL, "spill file truncated");
		memcpy(&h, pt->buf + pos, sizeof(h));
		pos += sizeof(h);
		if (end - pos < h.data_len)
			return error_set(err, ERR_INTERNAL, "spill file truncated");
		pos += h.data_len;
	}
	return 0;
}

/* Point g->docs at views of its n documents, spilled at buf + pos
 * (checked by docs_check when loaded). */
static int docs_views(struct docviews *dv, char *buf, size_t pos,
		      struct erp_agg *g, struct error *err)
{
	if (!g->ndocs) {
		g->docs = NULL;
		return 0;
	}
	if (g->ndocs > dv->alloc) {
		size_t na = g->ndocs, bytes;
		void *p;

		if (mem_mul(na, sizeof(*dv->c), &bytes) < 0 ||
		    !(p = mem_realloc(dv->c, bytes)))
			return error_set(err, ERR_NOMEM, "out of memory");
		dv->c = p;
		if (mem_mul(na, sizeof(*dv->p), &bytes) < 0 ||
		    !(p = mem_realloc(dv->p, bytes)))
			return error_set(err, ERR_NOMEM, "out of memory");
		dv->p = p;
		dv->alloc = na;
	}
	for (uint32_t i = 0; i < g->ndocs; i++) {
		struct spill_hdr h;

		memcpy(&h, buf + pos, sizeof(h));
		pos += sizeof(h);
		view_of(&dv->c[i], &h, buf + pos);
		dv->p[i] = &dv->c[i];
		pos += h.data_len;
	}
	g->docs = dv->p;
	return 0;
}

/* Read set/partition whole and build the views. A partition never written
 * is empty. */
static int part_read(struct match *m, int set, unsigned p, struct part *pt,
		     struct error *err)
{
	FILE *f = m->files[set][p];
	struct membuf *b = &m->mem[set][p];
	long size;
	size_t pos = 0;

	memset(pt, 0, sizeof(*pt));
	if (!f && b->buf) {
		/* still in memory: the buffer becomes the partition's */
		pt->buf = b->buf;
		pt->size = b->len;
		m->kept += b->len;
		m->inmem -= b->cap;
		memset(b, 0, sizeof(*b));
		goto parse;
	}
	if (!f)
		return 0;
	if (fflush(f) != 0 || fseek(f, 0, SEEK_END) != 0 ||
	    (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return error_set(err, ERR_IO, "cannot read back spill file %s: %s",
				 spill_path(m, set, p), strerror(errno));
	pt->size = (size_t)size;
	pt->buf = mem_alloc(pt->size);
	if (!pt->buf)
		return error_set(err, ERR_NOMEM,
				 "out of memory loading a partition of %zu bytes "
				 "(raise <limits partitions=...>)", pt->size);
	if (pt->size && fread(pt->buf, 1, pt->size, f) != pt->size)
		return error_set(err, ERR_IO, "cannot read back spill file %s: %s",
				 spill_path(m, set, p), strerror(errno));
parse:
	if (pt->size > m->peak)
		m->peak = pt->size;
	while (pos < pt->size) {
		struct spill_hdr h;
		struct canon *c;

		if (pt->size - pos < sizeof(h))
			return error_set(err, ERR_INTERNAL, "spill file truncated");
		memcpy(&h, pt->buf + pos, sizeof(h));
		pos += sizeof(h);
		if (pt->size - pos < h.total)
			return error_set(err, ERR_INTERNAL, "spill file truncated");
		if (pt->n == pt->alloc) {
			size_t na = pt->alloc ? pt->alloc * 2 : 1024, bytes;
			void *nr;

			if (mem_mul(na, sizeof(*pt->recs), &bytes) < 0 ||
			    !(nr = mem_realloc(pt->recs, bytes)))
				return error_set(err, ERR_NOMEM, "out of memory");
			pt->recs = nr;
			if (set == SP_OE) {
				if (mem_mul(na, sizeof(*pt->aggs), &bytes) < 0 ||
				    !(nr = mem_realloc(pt->aggs, bytes)))
					return error_set(err, ERR_NOMEM,
							 "out of memory");
				pt->aggs = nr;
				if (mem_mul(na, sizeof(*pt->doff), &bytes) < 0 ||
				    !(nr = mem_realloc(pt->doff, bytes)))
					return error_set(err, ERR_NOMEM,
							 "out of memory");
				pt->doff = nr;
			}
			pt->alloc = na;
		}
		c = &pt->recs[pt->n];
		view_of(c, &h, pt->buf + pos);
		if (set == SP_OE) {
			struct erp_agg *g = &pt->aggs[pt->n];
			struct spill_agg a;
			size_t apos = pos + h.data_len;

			memset(g, 0, sizeof(*g));
			pt->doff[pt->n] = 0;
			if (h.has_agg) {
				memcpy(&a, pt->buf + apos, sizeof(a));
				g->ndocs = a.ndocs;
				g->ninvoices = a.ninvoices;
				g->ncredits = a.ncredits;
				g->nsales = a.nsales;
				g->ndrafts = a.ndrafts;
				g->ncancelled = a.ncancelled;
				g->invoiced = a.invoiced;
				g->ordered = a.ordered;
				g->currency = a.has_currency
					      ? pt->buf + apos + sizeof(a) : NULL;
				g->currency_len = a.currency_len;
				g->mixed_currency = a.mixed_currency;
				g->amount_overflow = a.amount_overflow;
				g->unpriced_inv = a.unpriced_inv;
				g->unpriced_sales = a.unpriced_sales;
				memcpy(g->docs_fp, a.docs_fp,
				       sizeof(g->docs_fp));
				pt->doff[pt->n] = apos + sizeof(a) +
						  a.currency_len;
				if (docs_check(pt, pt->doff[pt->n],
					       pos + h.total, a.ndocs, err) < 0)
					return -1;
			}
		}
		pos += h.total;
		pt->n++;
	}
	/* the file is no longer needed: free its disk space now */
	if (f) {
		fclose(f);
		m->files[set][p] = NULL;
		unlink(spill_path(m, set, p));
	}
	return 0;
}

/* Reading a partition back is spill time, once per partition. */
static int part_load(struct match *m, int set, unsigned p, struct part *pt,
		     struct error *err)
{
	int rc;

	phase_push(PH_SPILL);
	rc = part_read(m, set, p, pt, err);
	phase_pop();
	return rc;
}

/*
 * Row order independence. A partition's records are put in an order that
 * is a function of their content alone, before anything looks at them:
 * by the field the phase joins or deduplicates on, then by the source
 * row's fingerprint, then by the rest of the record. So the first record
 * of a duplicated key - the one matched, the others ignored - is the one
 * with the smallest fingerprint, and groups are emitted in the same
 * order whatever order the drivers returned the rows in. Only rowno (the
 * row's position in its source, kept for provenance) is left out.
 */
struct sortent {
	const char *key;	/* NULL: the record has no such field */
	size_t len;
	const struct canon *c;
	uint32_t idx;
};

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int content_cmp(const struct canon *a, const struct canon *b)
{
	int c = memcmp(a->fp, b->fp, sizeof(a->fp));
	size_t n;

	if (c)
		return c;
	if ((c = cmp_u64(a->source, b->source)) ||
	    (c = cmp_u64(a->kind, b->kind)) ||
	    (c = cmp_u64(a->status, b->status)) ||
	    (c = cmp_u64(a->doctype, b->doctype)) ||
	    (c = cmp_u64(a->present, b->present)) ||
	    (c = cmp_u64((uint64_t)a->amount, (uint64_t)b->amount)) ||
	    (c = cmp_u64((uint64_t)a->time, (uint64_t)b->time)))
		return c;
	for (int f = 0; f < CS__COUNT; f++)
		if ((c = cmp_u64(a->len[f], b->len[f])))
			return c;
	/* same lengths: the same bytes in the same layout, or not */
	n = a->data.len < b->data.len ? a->data.len : b->data.len;
	if (n && (c = memcmp(a->data.buf, b->data.buf, n)))
		return c;
	return cmp_u64(a->data.len, b->data.len);
}

static int sortent_cmp(const void *x, const void *y)
{
	const struct sortent *a = x, *b = y;
	size_t n;
	int c;

	if (!a->key || !b->key) {
		if (a->key || b->key)
			return a->key ? 1 : -1;
	} else {
		n = a->len < b->len ? a->len : b->len;
		c = n ? memcmp(a->key, b->key, n) : 0;
		if (c)
			return c;
		if (a->len != b->len)
			return a->len < b->len ? -1 : 1;
	}
	return content_cmp(a->c, b->c);
}

/* Reorder pt's records (and aggregates) by field, then content. */
static int part_order(struct part *pt, enum canon_str field, struct error *err)
{
	struct sortent *e;
	uint32_t *perm;

	if (pt->n < 2)
		return 0;
	e = mem_calloc(pt->n, sizeof(*e));
	perm = mem_calloc(pt->n, sizeof(*perm));
	if (!e || !perm) {
		mem_free(e);
		mem_free(perm);
		return error_set(err, ERR_NOMEM, "out of memory (sorting a "
				 "partition of %zu records)", pt->n);
	}
	for (size_t i = 0; i < pt->n; i++) {
		e[i].key = canon_get(&pt->recs[i], field, &e[i].len);
		e[i].c = &pt->recs[i];
		e[i].idx = (uint32_t)i;
	}
	qsort(e, pt->n, sizeof(*e), sortent_cmp);
	for (size_t i = 0; i < pt->n; i++)
		perm[i] = e[i].idx;
	mem_free(e);
	/* in place: position j takes the record at perm[j], cycle by cycle */
	for (uint32_t i = 0; i < (uint32_t)pt->n; i++) {
		struct canon tmp;
		struct erp_agg tmpa = { 0 };
		size_t tmpo = 0;
		uint32_t j = i;

		if (perm[i] == i)
			continue;
		tmp = pt->recs[i];
		if (pt->aggs) {
			tmpa = pt->aggs[i];
			tmpo = pt->doff[i];
		}
		while (perm[j] != i) {
			uint32_t k = perm[j];

			pt->recs[j] = pt->recs[k];
			if (pt->aggs) {
				pt->aggs[j] = pt->aggs[k];
				pt->doff[j] = pt->doff[k];
			}
			perm[j] = j;
			j = k;
		}
		pt->recs[j] = tmp;
		if (pt->aggs) {
			pt->aggs[j] = tmpa;
			pt->doff[j] = tmpo;
		}
		perm[j] = j;
	}
	mem_free(perm);
	return 0;
}

void match_agg_add(struct erp_agg *g, const struct canon *d)
{
	const char *cur;
	size_t cn;
	int64_t amt;

	g->ndocs++;
	if (d->status == CST_DRAFT) {
		g->ndrafts++;
		return;
	}
	if (d->status == CST_CANCELLED) {
		g->ncancelled++;
		return;
	}
	if (d->status != CST_POSTED)
		return;
	cur = canon_get(d, CS_CURRENCY, &cn);
	if (cur) {
		if (!g->currency) {
			g->currency = cur;
			g->currency_len = (uint32_t)cn;
		} else if (g->currency_len != cn ||
			   memcmp(g->currency, cur, cn) != 0) {
			g->mixed_currency = 1;
		}
	}
	amt = (d->present & CANON_HAS_AMOUNT) ? d->amount : 0;
	if (!(d->present & CANON_HAS_AMOUNT)) {
		if (d->doctype == CDT_INVOICE || d->doctype == CDT_CREDIT_NOTE)
			g->unpriced_inv++;
		else if (d->doctype == CDT_SALES_ORDER)
			g->unpriced_sales++;
	}
	switch (d->doctype) {
	case CDT_INVOICE:
		g->ninvoices++;
		if (money_add(g->invoiced, amt, &g->invoiced) != MONEY_OK)
			g->amount_overflow = 1;
		break;
	case CDT_CREDIT_NOTE:
		/* Credit notes net against invoices whatever sign the ERP
		 * stores them with. */
		g->ncredits++;
		if (money_abs(amt, &amt) != MONEY_OK ||
		    money_sub(g->invoiced, amt, &g->invoiced) != MONEY_OK)
			g->amount_overflow = 1;
		break;
	case CDT_SALES_ORDER:
		g->nsales++;
		if (money_add(g->ordered, amt, &g->ordered) != MONEY_OK)
			g->amount_overflow = 1;
		break;
	default:
		break;
	}
}

static int posted_docs(const struct erp_agg *g)
{
	return g && (g->ninvoices + g->ncredits + g->nsales) > 0;
}

/* ERP findings of an order. */
static unsigned erp_flags(const struct match *m, const struct canon *order,
			  const struct erp_agg *g, int64_t as_of)
{
	unsigned f = 0;

	if (!posted_docs(g)) {
		if (order->status == CST_CANCELLED)
			return 0;	/* nothing to invoice */
		if ((order->present & CANON_HAS_TIME) &&
		    order->time > as_of - m->job->grace_erp)
			f |= MF_ERP_PENDING;
		else
			f |= MF_NO_ERP;
	} else if (!m->job->erp_many &&
		   g->ninvoices + g->ncredits + g->nsales > 1) {
		f |= MF_DUP_ERP;
	}
	return f;
}

static int emit(match_group_fn fn, void *ctx, const char *key, size_t klen,
		const struct canon *deal, const struct canon *order,
		uint32_t norders, const struct canon *const *orders,
		const struct erp_agg *agg, unsigned flags, struct error *err)
{
	struct group g;

	g.key = key;
	g.key_len = klen;
	g.deal = deal;
	g.order = order;
	g.norders = norders;
	g.orders = orders;
	g.erp = agg && agg->ndocs ? agg : NULL;
	phase_rows(PH_MATCH, 1);
	return fn(ctx, &g, flags, err);
}

/* A document counted into aggregate `owner` (orders first, then orphan
 * groups), for the aggregates' document fingerprints. */
struct owned_doc {
	uint32_t owner;
	uint8_t fp[32];
};

static int owned_cmp(const void *a, const void *b)
{
	const struct owned_doc *x = a, *y = b;

	if (x->owner != y->owner)
		return x->owner < y->owner ? -1 : 1;
	return memcmp(x->fp, y->fp, sizeof(x->fp));
}

/* docs_fp of every aggregate: SHA-256 over its documents' hex
 * fingerprints, each followed by "\n", in ascending order (so that
 * `sort | sha256sum` over the hex values reproduces it). Aggregates
 * without documents keep zeros. */
static int docs_fingerprints(struct owned_doc *od, size_t n,
			     struct erp_agg *aggs, size_t norders,
			     struct erp_agg *oaggs, struct error *err)
{
	static const char hx[] = "0123456789abcdef";
	EVP_MD_CTX *ctx;
	int rc = 0;

	if (!n)
		return 0;
	qsort(od, n, sizeof(*od), owned_cmp);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return error_set(err, ERR_NOMEM, "out of memory (SHA-256)");
	for (size_t i = 0; i < n && rc == 0;) {
		uint32_t owner = od[i].owner;
		struct erp_agg *g = owner < norders ? &aggs[owner]
						    : &oaggs[owner - norders];
		unsigned len = 0;

		if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
			rc = -1;
		for (; rc == 0 && i < n && od[i].owner == owner; i++) {
			const uint8_t *fp = od[i].fp;
			char line[65];

			for (int k = 0; k < 32; k++) {
				line[2 * k] = hx[fp[k] >> 4];
				line[2 * k + 1] = hx[fp[k] & 15];
			}
			line[64] = '\n';
			if (!EVP_DigestUpdate(ctx, line, sizeof(line)))
				rc = -1;
		}
		if (rc == 0 && !EVP_DigestFinal_ex(ctx, g->docs_fp, &len))
			rc = -1;
	}
	EVP_MD_CTX_free(ctx);
	if (rc < 0)
		return error_set(err, ERR_INTERNAL, "SHA-256 failed");
	return 0;
}

#define NO_OWNER UINT32_MAX

/* Every aggregate's document list (erp_agg.docs): the documents counted
 * into it, in the partition's order (by document key, then content), so
 * rules see them in an order that does not depend on row order. */
static int docs_lists(const struct part *docs, const uint32_t *downer,
		      uint32_t nowners, struct erp_agg *aggs, size_t norders,
		      struct erp_agg *oaggs, uint32_t **startp,
		      const struct canon ***dptrp, struct error *err)
{
	uint32_t *start, *fill;
	const struct canon **dptr;

	start = mem_calloc((size_t)nowners + 1, sizeof(*start));
	fill = mem_calloc(nowners ? nowners : 1, sizeof(*fill));
	dptr = mem_calloc(docs->n ? docs->n : 1, sizeof(*dptr));
	*startp = start;
	*dptrp = dptr;
	if (!start || !fill || !dptr) {
		mem_free(fill);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < docs->n; i++)
		if (downer[i] != NO_OWNER)
			start[downer[i] + 1]++;
	for (uint32_t o = 0; o < nowners; o++)
		start[o + 1] += start[o];
	for (size_t i = 0; i < docs->n; i++) {
		uint32_t o = downer[i];

		if (o != NO_OWNER)
			dptr[start[o] + fill[o]++] = &docs->recs[i];
	}
	for (uint32_t o = 0; o < nowners; o++) {
		struct erp_agg *g = o < norders ? &aggs[o] : &oaggs[o - norders];

		g->docs = g->ndocs ? dptr + start[o] : NULL;
	}
	mem_free(fill);
	return 0;
}

/* Phase 1 for partition p: orders + ERP documents. */
static int phase1(struct match *m, unsigned p, int64_t as_of,
		  match_group_fn on_group, match_dup_fn on_dup, void *ctx,
		  struct error *err)
{
	const struct job *job = m->job;
	struct part orders, docs;
	struct table otab = { 0 }, orphan = { 0 }, seen = { 0 };
	struct erp_agg *aggs = NULL, *oaggs = NULL;
	struct owned_doc *od = NULL;
	size_t nod = 0;
	uint32_t *ofirst = NULL, norphan = 0;
	/* each counted document's owner (orders first, then orphan groups;
	 * NO_OWNER if not counted), and the owners' document lists */
	uint32_t *downer = NULL, *dstart = NULL;
	const struct canon **dptr = NULL;
	unsigned char *dup = NULL;
	int rc = -1;

	memset(&docs, 0, sizeof(docs));
	if (part_load(m, SP_ORDER, p, &orders, err) < 0 ||
	    part_load(m, SP_ERP, p, &docs, err) < 0 ||
	    part_order(&orders, job->order_erp_link, err) < 0 ||
	    part_order(&docs, CS_KEY, err) < 0)
		goto out;
	if (table_init(&otab, orders.n, err) < 0 ||
	    table_init(&orphan, docs.n, err) < 0 ||
	    table_init(&seen, docs.n, err) < 0)
		goto out;
	aggs = mem_calloc(orders.n ? orders.n : 1, sizeof(*aggs));
	dup = mem_calloc(orders.n ? orders.n : 1, 1);
	oaggs = mem_calloc(docs.n ? docs.n : 1, sizeof(*oaggs));
	ofirst = mem_calloc(docs.n ? docs.n : 1, sizeof(*ofirst));
	od = mem_calloc(docs.n ? docs.n : 1, sizeof(*od));
	downer = mem_alloc((docs.n ? docs.n : 1) * sizeof(*downer));
	if (!aggs || !dup || !oaggs || !ofirst || !od || !downer) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < orders.n; i++) {
		size_t n;
		const char *k = canon_get(&orders.recs[i], job->order_erp_link, &n);
		uint32_t first;

		if (!k)
			continue;	/* cannot be linked to ERP */
		first = table_put(&otab, k, n, (uint32_t)i);
		if (first != i) {
			dup[i] = 1;
			orders.recs[first].flags |= CANON_F_DUPLICATED;
			if (on_dup(ctx, &orders.recs[i], k, n, err) < 0)
				goto out;
		}
	}
	for (size_t i = 0; i < docs.n; i++) {
		const struct canon *d = &docs.recs[i];
		size_t n, kn;
		const char *k = canon_get(d, job->erp_link, &n);
		const char *dk = canon_get(d, CS_KEY, &kn);
		uint32_t oi;

		downer[i] = NO_OWNER;
		if (dk && table_put(&seen, dk, kn, (uint32_t)i) != i) {
			if (on_dup(ctx, d, dk, kn, err) < 0)
				goto out;
			continue;	/* never count a document twice */
		}
		if (!k) {
			k = dk;
			n = kn;
		}
		if (k && table_get(&otab, k, n, &oi)) {
			match_agg_add(&aggs[oi], d);
			downer[i] = oi;
			od[nod].owner = oi;
			memcpy(od[nod++].fp, d->fp, sizeof(d->fp));
		} else if (k) {
			uint32_t slot = table_put(&orphan, k, n, norphan);

			if (slot == norphan)
				ofirst[norphan++] = (uint32_t)i;
			match_agg_add(&oaggs[slot], d);
			downer[i] = (uint32_t)orders.n + slot;
			od[nod].owner = (uint32_t)orders.n + slot;
			memcpy(od[nod++].fp, d->fp, sizeof(d->fp));
		}
	}
	if (docs_fingerprints(od, nod, aggs, orders.n, oaggs, err) < 0 ||
	    docs_lists(&docs, downer, (uint32_t)orders.n + norphan, aggs,
		       orders.n, oaggs, &dstart, &dptr, err) < 0)
		goto out;
	/* Orders: straight to a group if they cannot reach a deal, else on
	 * to phase 2 keyed by their deal link. */
	for (size_t i = 0; i < orders.n; i++) {
		const struct canon *o = &orders.recs[i];
		size_t n, kn;
		const char *dl = canon_get(o, job->order_deal_link, &n);
		const char *ok = canon_get(o, CS_KEY, &kn);

		if (dup[i])
			continue;
		if (!dl) {
			unsigned f = MF_NO_DEAL | erp_flags(m, o, &aggs[i], as_of);

			if (o->flags & CANON_F_DUPLICATED)
				f |= MF_DUP_KEY;

			if (emit(on_group, ctx, ok, kn, NULL, o, 1, NULL,
				 &aggs[i], f, err) < 0)
				goto out;
			continue;
		}
		if (spill(m, SP_OE, part_of(m, dl, n), o, &aggs[i], err) < 0)
			goto out;
	}
	for (uint32_t j = 0; j < norphan; j++) {
		const struct canon *d = &docs.recs[ofirst[j]];
		size_t n;
		const char *k = canon_get(d, job->erp_link, &n);

		if (!k)
			k = canon_get(d, CS_KEY, &n);
		/* the job's erp-without-order: documents without an order
		 * are judged by status as linked ones are (an order whose
		 * documents are all drafts or cancelled has nothing in the
		 * ERP); "posted" leaves such a group out altogether */
		if (job->erp_orphans == JOB_ORPHANS_POSTED &&
		    !posted_docs(&oaggs[j]))
			continue;
		if (emit(on_group, ctx, k, n, NULL, NULL, 0, NULL, &oaggs[j],
			 MF_ERP_ORPHAN, err) < 0)
			goto out;
	}
	rc = 0;
out:
	table_release(&otab);
	table_release(&orphan);
	table_release(&seen);
	mem_free(aggs);
	mem_free(oaggs);
	mem_free(ofirst);
	mem_free(od);
	mem_free(downer);
	mem_free(dstart);
	mem_free(dptr);
	mem_free(dup);
	part_release(&orders);
	part_release(&docs);
	return rc;
}

/* Phase 2 for partition q: deals + orders (with their ERP aggregates). */
static int phase2(struct match *m, unsigned q, int64_t as_of,
		  match_group_fn on_group, match_dup_fn on_dup, void *ctx,
		  struct error *err)
{
	const struct job *job = m->job;
	struct part deals, oes;
	struct table dtab = { 0 };
	uint32_t *norders = NULL, *ostart = NULL, *ofill = NULL;
	const struct canon **optr = NULL;
	struct docviews dv = { NULL, NULL, 0 };
	unsigned char *dup = NULL;
	int rc = -1;

	memset(&oes, 0, sizeof(oes));
	if (part_load(m, SP_DEAL, q, &deals, err) < 0 ||
	    part_load(m, SP_OE, q, &oes, err) < 0 ||
	    part_order(&deals, job->deal_link, err) < 0 ||
	    part_order(&oes, CS_KEY, err) < 0)
		goto out;
	if (table_init(&dtab, deals.n, err) < 0)
		goto out;
	norders = mem_calloc(deals.n ? deals.n : 1, sizeof(*norders));
	dup = mem_calloc(deals.n ? deals.n : 1, 1);
	if (!norders || !dup) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < deals.n; i++) {
		size_t n;
		const char *k = canon_get(&deals.recs[i], job->deal_link, &n);
		uint32_t first;

		if (!k) {
			dup[i] = 2;	/* unlinkable deal: a group of its own */
			continue;
		}
		first = table_put(&dtab, k, n, (uint32_t)i);
		if (first != i) {
			dup[i] = 1;
			deals.recs[first].flags |= CANON_F_DUPLICATED;
			if (on_dup(ctx, &deals.recs[i], k, n, err) < 0)
				goto out;
		}
	}
	for (size_t i = 0; i < oes.n; i++) {
		size_t n;
		const char *k = canon_get(&oes.recs[i], job->order_deal_link, &n);
		uint32_t di;

		if (table_get(&dtab, k, n, &di))
			norders[di]++;
	}
	/* each deal's orders, in the partition's (key) order: o.orders */
	ostart = mem_calloc(deals.n + 1, sizeof(*ostart));
	ofill = mem_calloc(deals.n ? deals.n : 1, sizeof(*ofill));
	optr = mem_calloc(oes.n ? oes.n : 1, sizeof(*optr));
	if (!ostart || !ofill || !optr) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < deals.n; i++)
		ostart[i + 1] = ostart[i] + norders[i];
	for (size_t i = 0; i < oes.n; i++) {
		size_t n;
		const char *k = canon_get(&oes.recs[i], job->order_deal_link, &n);
		uint32_t di;

		if (table_get(&dtab, k, n, &di))
			optr[ostart[di] + ofill[di]++] = &oes.recs[i];
	}
	for (size_t i = 0; i < oes.n; i++) {
		const struct canon *o = &oes.recs[i];
		const struct canon *d = NULL;
		size_t n, kn;
		const char *k = canon_get(o, job->order_deal_link, &n);
		const char *ok = canon_get(o, CS_KEY, &kn);
		uint32_t di, cnt = 1;
		unsigned f = erp_flags(m, o, &oes.aggs[i], as_of);

		if (o->flags & CANON_F_DUPLICATED)
			f |= MF_DUP_KEY;
		if (table_get(&dtab, k, n, &di)) {
			d = &deals.recs[di];
			cnt = norders[di];
			if (cnt > 1)
				f |= MF_DUP_ORDERS;
		} else {
			f |= MF_NO_DEAL;
		}
		if (docs_views(&dv, oes.buf, oes.doff[i], &oes.aggs[i],
			       err) < 0 ||
		    emit(on_group, ctx, ok, kn, d, o, cnt,
			 d ? optr + ostart[di] : NULL, &oes.aggs[i], f,
			 err) < 0)
			goto out;
	}
	for (size_t i = 0; i < deals.n; i++) {
		const struct canon *d = &deals.recs[i];
		size_t kn;
		const char *dk = canon_get(d, CS_KEY, &kn);
		unsigned f;

		if (dup[i] == 1 || norders[i])
			continue;
		if ((d->present & CANON_HAS_TIME) &&
		    d->time > as_of - job->grace_deal)
			f = MF_DEAL_PENDING;
		else
			f = MF_NO_ORDER;
		if (d->flags & CANON_F_DUPLICATED)
			f |= MF_DUP_KEY;
		if (emit(on_group, ctx, dk, kn, d, NULL, 0, NULL, NULL, f,
			 err) < 0)
			goto out;
	}
	rc = 0;
out:
	table_release(&dtab);
	mem_free(norders);
	mem_free(ostart);
	mem_free(ofill);
	mem_free(optr);
	mem_free(dv.c);
	mem_free(dv.p);
	mem_free(dup);
	part_release(&deals);
	part_release(&oes);
	return rc;
}

int match_run(struct match *m, int64_t as_of, match_group_fn on_group,
	      match_dup_fn on_dup, void *ctx, struct error *err)
{
	if (m->ran)
		return error_set(err, ERR_INTERNAL, "match_run called twice");
	m->ran = 1;
	/* a safe point before each partition (stop.h); the caller's
	 * on_group checks once per group as well */
	for (unsigned p = 0; p < m->nparts; p++)
		if (stop_check(err, "matching") < 0 ||
		    phase1(m, p, as_of, on_group, on_dup, ctx, err) < 0)
			return -1;
	for (unsigned q = 0; q < m->nparts; q++)
		if (stop_check(err, "matching") < 0 ||
		    phase2(m, q, as_of, on_group, on_dup, ctx, err) < 0)
			return -1;
	return 0;
}

void match_free(struct match *m)
{
	if (!m)
		return;
	for (int s = 0; s < SP__COUNT; s++) {
		if (!m->files[s])
			continue;
		for (unsigned p = 0; p < m->nparts; p++) {
			if (!m->files[s][p])
				continue;
			fclose(m->files[s][p]);
			if (m->dir.len) {
				const char *path = spill_path(m, s, p);

				if (path)
					unlink(path);
			}
		}
		mem_free(m->files[s]);
	}
	for (int s = 0; s < SP__COUNT; s++) {
		for (unsigned p = 0; m->mem[s] && p < m->nparts; p++)
			mem_free(m->mem[s][p].buf);
		mem_free(m->mem[s]);
	}
	if (m->owner.len)
		unlink(m->owner.buf);
	if (m->dir.len)
		rmdir(m->dir.buf);
	sbuf_release(&m->dir);
	sbuf_release(&m->owner);
	sbuf_release(&m->scratch);
	mem_free(m);
}

uint64_t match_spilled(const struct match *m)
{
	return m->spilled;
}

uint64_t match_kept(const struct match *m)
{
	return m->kept;
}

uint64_t match_peak_partition(const struct match *m)
{
	return m->peak;
}
