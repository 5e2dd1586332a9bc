/*
 * buf.h - the growable byte buffer with a cap (after git's strbuf and
 * curl's dynbuf).
 *
 * Invariants: buf is always NUL-terminated (it points at a static "" until
 * the first growth), len < alloc once allocated, len <= cap. Growing past
 * cap, or an allocation failure, fails the call and sets the sticky
 * `failed` flag (SBUF_NOMEM or SBUF_TOOLONG); later appends are then
 * refused until sbuf_reset(). Nothing is ever silently truncated: a value
 * over its cap is an error the caller reports.
 */
#ifndef RECON_BUF_H
#define RECON_BUF_H

#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

enum { SBUF_OK = 0, SBUF_NOMEM = 1, SBUF_TOOLONG = 2 };

/* A generous default cap for messages and single values: 64 MiB. */
#define SBUF_CAP_DEFAULT ((size_t)64 << 20)

struct sbuf {
	char *buf;     /* owned once alloc > 0; else the static "" */
	size_t len;    /* bytes in use, not counting the NUL */
	size_t alloc;  /* bytes allocated, 0 when buf is the static "" */
	size_t cap;    /* the most len may become */
	int failed;    /* sticky: SBUF_NOMEM or SBUF_TOOLONG */
};

extern char sbuf_empty[];
#define SBUF_INIT(c) { sbuf_empty, 0, 0, (c), 0 }

/* Initialise with a cap; allocates nothing. */
void sbuf_init(struct sbuf *sb, size_t cap);
/* Free the contents; sb is left initialised (with the same cap). */
void sbuf_release(struct sbuf *sb);
/* Empty the buffer, keep its memory, clear the failed flag. */
void sbuf_reset(struct sbuf *sb);
/* Make sure `extra` more bytes fit; 0 or -1 (and failed set). */
int sbuf_grow(struct sbuf *sb, size_t extra);
/* Append; all return 0, or -1 with sb->failed set. */
int sbuf_add(struct sbuf *sb, const void *data, size_t n);
int sbuf_addstr(struct sbuf *sb, const char *s);
int sbuf_addch(struct sbuf *sb, int c);
/* The decimal digits of v, as "%lld" writes them, without printf (hot
 * paths: row fingerprints, canonical values). */
int sbuf_add_i64(struct sbuf *sb, int64_t v);
int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Shorten to n bytes (n <= len). */
void sbuf_setlen(struct sbuf *sb, size_t n);
/* Hand the buffer to the caller (who frees it with mem_free); sb is left
 * empty. Returns NULL when nothing could be allocated. */
char *sbuf_detach(struct sbuf *sb, size_t *len);

#endif
