/* msort.h - ordering helpers for the in-tree modules.
 *
 * The files webstack writes are sorted, so what a module reads back
 * usually is: checking costs n comparisons where qsort would still make
 * n log n. Lines are compared as slices of the text they were read from.
 *
 * Ownership: nothing is kept; everything is the caller's. */
#ifndef WS_MSORT_H
#define WS_MSORT_H

#include <stddef.h>

/* strcmp's order for two strings given as pointer and length (not
 * NUL-terminated): a prefix sorts first. */
int msort_slice_cmp(const char *a, size_t na, const char *b, size_t nb);

/* qsort(base, n, size, cmp) unless base already is in order. */
void msort_unless_sorted(void *base, size_t n, size_t size,
			 int (*cmp)(const void *, const void *));

#endif
