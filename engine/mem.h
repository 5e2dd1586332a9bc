/*
 * mem.h - the one allocation wrapper (after SQLite's sqlite3Malloc).
 *
 * Every allocation in recon, the Lua state's included, goes through these
 * functions so that fault injection covers all of them. Out-of-memory is
 * propagated, never fatal: each function returns NULL and callers turn that
 * into ERR_NOMEM (see err.h).
 *
 * Size arithmetic on values that come from input goes through mem_mul and
 * mem_add, which refuse to overflow.
 */
#ifndef RECON_MEM_H
#define RECON_MEM_H

#include <stddef.h>

/* malloc/calloc/realloc/free with fault injection. mem_realloc(p, 0)
 * frees p and returns NULL. The caller owns what is returned. */
void *mem_alloc(size_t n);
void *mem_calloc(size_t nmemb, size_t size);
void *mem_realloc(void *p, size_t n);
void mem_free(void *p);

/* Copy n bytes of s into a new NUL-terminated string; caller frees. */
char *mem_strndup(const char *s, size_t n);
char *mem_strdup(const char *s);

/* *out = a * b (or a + b); return -1 on overflow, 0 otherwise. */
int mem_mul(size_t a, size_t b, size_t *out);
int mem_add(size_t a, size_t b, size_t *out);

/* Grow the byte buffer *p (*alloc bytes) to hold at least need bytes,
 * doubling from *alloc (or first, for an empty one). 0, or -1 (out of
 * memory or overflow; *p and *alloc unchanged). */
int mem_reserve(char **p, size_t *alloc, size_t need, size_t first);

/*
 * Test hook: after n more successful allocations, every allocation fails
 * until mem_fault_off() is called. This is the only process-wide mutable
 * state in the engine and exists for fault loops (SQLite's faultsim);
 * production code never calls it.
 */
void mem_fault_after(long n);
void mem_fault_off(void);
/* Number of allocations refused since the last mem_fault_after(). */
long mem_fault_hits(void);

#endif
