/*
 * mem.c - allocation wrapper with a fault-injection countdown.
 */
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stdatomic.h>

#include "mem.h"
#include "banned.h"

/* Countdown for fault injection: < 0 means off. Process-wide on purpose,
 * see mem.h; atomic because source readers allocate in parallel. */
static _Atomic long fault_countdown = -1;
static _Atomic long fault_hits;

static int should_fail(void)
{
	long c = atomic_load_explicit(&fault_countdown, memory_order_relaxed);

	while (c >= 0) {
		if (c == 0) {
			atomic_fetch_add(&fault_hits, 1);
			return 1;
		}
		if (atomic_compare_exchange_weak(&fault_countdown, &c, c - 1))
			return 0;
	}
	return 0;
}

void mem_fault_after(long n)
{
	atomic_store(&fault_hits, 0);
	atomic_store(&fault_countdown, n);
}

void mem_fault_off(void)
{
	atomic_store(&fault_countdown, -1);
}

long mem_fault_hits(void)
{
	return atomic_load(&fault_hits);
}

void *mem_alloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *mem_calloc(size_t nmemb, size_t size)
{
	size_t total;

	if (mem_mul(nmemb, size, &total) < 0 || should_fail())
		return NULL;
	return calloc(1, total ? total : 1);
}

void *mem_realloc(void *p, size_t n)
{
	if (n == 0) {
		free(p);
		return NULL;
	}
	if (should_fail())
		return NULL;
	return realloc(p, n);
}

void mem_free(void *p)
{
	free(p);
}

char *mem_strndup(const char *s, size_t n)
{
	char *d;
	size_t sz;

	if (mem_add(n, 1, &sz) < 0)
		return NULL;
	d = mem_alloc(sz);
	if (!d)
		return NULL;
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *mem_strdup(const char *s)
{
	return mem_strndup(s, strlen(s));
}

int mem_mul(size_t a, size_t b, size_t *out)
{
	if (__builtin_mul_overflow(a, b, out))
		return -1;
	return 0;
}

int mem_add(size_t a, size_t b, size_t *out)
{
	if (__builtin_add_overflow(a, b, out))
		return -1;
	return 0;
}

int mem_reserve(char **p, size_t *alloc, size_t need, size_t first)
{
	size_t na = *alloc ? *alloc : first;
	char *q;

	if (need <= *alloc)
		return 0;
	while (na < need)
		if (mem_mul(na, 2, &na) < 0)
			return -1;
	q = mem_realloc(*p, na);
	if (!q)
		return -1;
	*p = q;
	*alloc = na;
	return 0;
}
