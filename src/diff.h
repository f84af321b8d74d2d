/* diff.h - unified diffs of two buffers, for --dry-run.
 *
 * Output matches `diff -u` hunks (3 lines of context, "@@ -a,b +c,d @@"
 * headers, "\ No newline at end of file" markers) with the given labels on
 * the ---/+++ lines and no timestamps. Lines are compared byte for byte. */
#ifndef WS_DIFF_H
#define WS_DIFF_H

#include <stddef.h>
#include <stdio.h>

/* Writes the diff from old to new to out; writes nothing when they are
 * equal. old or new may be NULL (file absent or removed: the caller passes
 * "/dev/null" as its label); a NULL buffer is empty. Returns 1 when a diff was written, 0 when
 * equal, -1 on allocation failure. */
int diff_unified(FILE *out, const char *old_label, const char *old,
		 size_t old_len, const char *new_label, const char *new,
		 size_t new_len);

#endif
