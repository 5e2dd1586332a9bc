/*
 * arena.h - a bump arena: many small strings that live as long as one
 * run (report lines, currency names, first failure messages), freed in
 * one call.
 *
 *     struct arena a = ARENA_INIT;
 *     char *s = arena_strndup(&a, text, len);   NULL when out of memory
 *     arena_release(&a);
 */
#ifndef RECON_ARENA_H
#define RECON_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
};

#define ARENA_INIT { NULL }

/* A NUL-terminated copy of s[0..n) (s may hold NULs), valid until
 * arena_release(); NULL if out of memory. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* n bytes aligned for any type, uninitialised, valid until release;
 * NULL if out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Free every block; the arena is empty and usable again. */
void arena_release(struct arena *a);

#endif
