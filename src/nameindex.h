/* nameindex.h - a hash index over an array whose elements start with a
 * name (a char * as their first member: a struct dir_account, a struct
 * dir_alias, or a plain char * of a strv), so a lookup in 100,000 accounts
 * costs one hash instead of a scan.
 *
 * The index stores positions, so it is tied to the order of the array: an
 * append keeps it current (name_index_added()), anything that moves or
 * removes elements must call name_index_stale(), and the next lookup
 * rebuilds it in one pass.
 *
 * Ownership: the index owns only its slot table; it borrows the array and
 * its names for the duration of each call. */
#ifndef WS_NAMEINDEX_H
#define WS_NAMEINDEX_H

#include <stddef.h>

struct name_index {
	size_t *slot;	/* position + 1; 0 is an empty slot */
	size_t cap;	/* a power of two, at least twice n */
	size_t n;	/* elements indexed */
	int current;	/* indexes the first n elements as they are now */
};

#define NAME_INDEX_NONE ((size_t)-1)

/* The position of the element named name in the n elements of size stride
 * at base, or NAME_INDEX_NONE. */
size_t name_index_find(struct name_index *ix, const void *base, size_t stride,
		       size_t n, const char *name);
/* The element at position n - 1 was just appended. */
void name_index_added(struct name_index *ix, const void *base, size_t stride,
		      size_t n);
void name_index_stale(struct name_index *ix);
void name_index_free(struct name_index *ix);

#endif
