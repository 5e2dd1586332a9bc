/*
 * arena.c - a bump arena for the strings of one run (see arena.h).
 */
#include <stddef.h>
#include <string.h>

#include "arena.h"
#include "mem.h"
#include "banned.h"

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	_Alignas(max_align_t) char data[];
};

/* n bytes at an offset that is a multiple of align (a power of two):
 * strings take align 1 and stay packed, arrays max_align_t's. */
static char *take(struct arena *a, size_t n, size_t align)
{
	struct arena_block *b = a->head;
	size_t at = 0, end;

	if (b)
		at = (b->used + align - 1) & ~(align - 1);
	if (!b || mem_add(at, n, &end) < 0 || end > b->size) {
		size_t size = n > 65536 ? n : 65536, total;

		if (mem_add(sizeof(*b), size, &total) < 0)
			return NULL;
		b = mem_alloc(total);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->size = size;
		a->head = b;
		at = 0;
	}
	b->used = at + n;
	return b->data + at;
}

void *arena_alloc(struct arena *a, size_t n)
{
	return take(a, n, _Alignof(max_align_t));
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	size_t need;
	char *p;

	if (mem_add(n, 1, &need) < 0 || !(p = take(a, need, 1)))
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void arena_release(struct arena *a)
{
	while (a->head) {
		struct arena_block *b = a->head;

		a->head = b->next;
		mem_free(b);
	}
}
