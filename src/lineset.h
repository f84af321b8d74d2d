/* lineset.h - a text as a set of lines, for files whose line order carries
 * no meaning (a passwd-file, a postmap source): such a file that a command
 * appended to is not out of step with the same lines rendered sorted.
 *
 * Ownership: the texts are borrowed; out is the caller's buffer. */
#ifndef WS_LINESET_H
#define WS_LINESET_H

#include <stddef.h>

#include "buf.h"

/* Appends text's lines to out sorted bytewise, each ending in '\n' (a last
 * line without one gains it). */
void lineset_sorted(const char *text, size_t len, struct buf *out);

/* 1 when a and b hold the same lines, repeats counted, in any order. */
int lineset_equal(const char *a, size_t a_len, const char *b, size_t b_len);

#endif
