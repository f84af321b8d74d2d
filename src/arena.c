#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arena.h"
#include "buf.h"

#define HUGE_PAGE ((size_t)2 << 20)
#define BLOCK_SIZE HUGE_PAGE

struct arena_block {
	struct arena_block *prev;
	char data[];
};

void mem_prefer_huge_pages(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	uintptr_t start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1),
		  end = ((uintptr_t)p + n) & ~(uintptr_t)(HUGE_PAGE - 1);

	if (end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

static struct arena_block *new_block(size_t size)
{
	void *p;

	if (posix_memalign(&p, HUGE_PAGE, size) != 0)
		xoom();
	mem_prefer_huge_pages(p, size);
	return p;
}

void *arena_alloc(struct arena *a, size_t n)
{
	size_t align = sizeof(char *);
	struct arena_block *b;
	void *p;

	n = (n + align - 1) & ~(align - 1);
	if (n + sizeof(*b) > BLOCK_SIZE) {
		/* A piece larger than a block gets one of its own, linked
		 * behind the current block, whose room stays in use. */
		b = new_block(n + sizeof(*b));
		if (a->blocks) {
			b->prev = a->blocks->prev;
			a->blocks->prev = b;
		} else {
			b->prev = NULL;
			a->blocks = b;
		}
		return b->data;
	}
	if ((size_t)(a->end - a->next) < n) {
		b = new_block(BLOCK_SIZE);
		b->prev = a->blocks;
		a->blocks = b;
		a->next = b->data;
		a->end = (char *)b + BLOCK_SIZE;
	}
	p = a->next;
	a->next += n;
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(arena_alloc(a, n), s, n);
}

void arena_free(struct arena *a)
{
	while (a->blocks) {
		struct arena_block *b = a->blocks;

		a->blocks = b->prev;
		free(b);
	}
	a->next = a->end = NULL;
}
