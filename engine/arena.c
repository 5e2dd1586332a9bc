/*
 * arena.c - a bump arena for the strings of one run (see arena.h).
 */
#include <string.h>

#include "arena.h"
#include "mem.h"
#include "banned.h"

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	char data[];
};

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	struct arena_block *b = a->head;
	size_t need;
	char *p;

	if (mem_add(n, 1, &need) < 0)
		return NULL;
	if (!b || b->size - b->used < need) {
		size_t size = need > 65536 ? need : 65536, total;

		if (mem_add(sizeof(*b), size, &total) < 0)
			return NULL;
		b = mem_alloc(total);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->size = size;
		a->head = b;
	}
	p = b->data + b->used;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	b->used += need;
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
