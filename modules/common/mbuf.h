/* mbuf.h - a growable string buffer for modules.
 *
 * Modules are separate shared objects and cannot use the core's helpers, so
 * the in-tree modules link this small convenience library instead. An
 * allocation failure is sticky: later calls do nothing and mbuf_failed()
 * says so, so a renderer checks once at the end.
 *
 * Ownership: the buffer owns s; mbuf_free() releases it, mbuf_steal() hands
 * it to the caller (who free()s it). s is always NUL-terminated when not
 * NULL. */
#ifndef WS_MBUF_H
#define WS_MBUF_H

#include <stdarg.h>
#include <stddef.h>

struct mbuf {
	char *s;
	size_t len, cap;
	int failed;
};

void mbuf_add(struct mbuf *b, const char *data, size_t len);
void mbuf_puts(struct mbuf *b, const char *s);
void mbuf_printf(struct mbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int mbuf_failed(const struct mbuf *b);
char *mbuf_steal(struct mbuf *b);
void mbuf_free(struct mbuf *b);

/* Calls fn for each line of text (without its '\n'); a line is passed as a
 * pointer and a length, and lineno counts from 1. Stops at the first
 * non-zero return and returns it. */
int mbuf_each_line(const char *text, size_t len,
		   int (*fn)(void *arg, const char *line, size_t n, unsigned lineno),
		   void *arg);

#endif
