#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "nameindex.h"

static const char *name_at(const void *base, size_t stride, size_t i)
{
	return *(char *const *)(const void *)((const char *)base + i * stride);
}

/* FNV-1a: short keys, no adversary that could not also edit the files. */
static size_t hash_name(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static void insert(struct name_index *ix, const void *base, size_t stride,
		   size_t pos)
{
	size_t mask = ix->cap - 1, i = hash_name(name_at(base, stride, pos)) & mask;

	while (ix->slot[i])
		i = (i + 1) & mask;
	ix->slot[i] = pos + 1;
}

static void rebuild(struct name_index *ix, const void *base, size_t stride,
		    size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	if (cap != ix->cap) {
		free(ix->slot);
		ix->slot = xmalloc(cap * sizeof(*ix->slot));
		ix->cap = cap;
	}
	memset(ix->slot, 0, cap * sizeof(*ix->slot));
	for (size_t i = 0; i < n; i++)
		insert(ix, base, stride, i);
	ix->n = n;
	ix->current = 1;
}

size_t name_index_find(struct name_index *ix, const void *base, size_t stride,
		       size_t n, const char *name)
{
	size_t mask, i;

	if (!ix->current || ix->n != n)
		rebuild(ix, base, stride, n);
	mask = ix->cap - 1;
	for (i = hash_name(name) & mask; ix->slot[i]; i = (i + 1) & mask)
		if (strcmp(name_at(base, stride, ix->slot[i] - 1), name) == 0)
			return ix->slot[i] - 1;
	return NAME_INDEX_NONE;
}

void name_index_added(struct name_index *ix, const void *base, size_t stride,
		      size_t n)
{
	if (!ix->current || ix->n != n - 1)
		return;		/* rebuilt by the next lookup */
	if (2 * n > ix->cap) {
		rebuild(ix, base, stride, n);
		return;
	}
	insert(ix, base, stride, n - 1);
	ix->n = n;
}

void name_index_stale(struct name_index *ix)
{
	ix->current = 0;
}

void name_index_free(struct name_index *ix)
{
	free(ix->slot);
	memset(ix, 0, sizeof(*ix));
}
