/* arena.h - copies of strings that all live until their owner goes.
 *
 * A directory of 100,000 accounts holds 200,000 strings: one malloc() each
 * costs time to make and to free, and scatters them over the heap. An
 * arena hands out copies from large blocks and frees them all at once.
 *
 * The blocks, and other large buffers through mem_prefer_huge_pages(), are
 * offered to the kernel for transparent huge pages: on a VM whose 4 KB page
 * faults cost about 20 us each, faulting in the memory of 100,000 accounts
 * page by page took half of `mail list accounts` (doc/performance.md).
 *
 * Ownership: the arena owns every string it returns; arena_free() releases
 * them all and leaves an empty arena. */
#ifndef WS_ARENA_H
#define WS_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *blocks;
	char *next, *end;	/* free room in the newest block */
};

/* n bytes (aligned for a char *), never NULL (aborts when out of memory). */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

/* Asks for huge pages behind the 2 MB-aligned part of [p, p + n): a hint,
 * ignored where the kernel has none. */
void mem_prefer_huge_pages(void *p, size_t n);

#endif
