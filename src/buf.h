/* buf.h - a growable byte buffer, always NUL-terminated.
 *
 * The buffer owns data; buf_free() releases it, buf_steal() hands it to the
 * caller (who free()s it). Appends abort on allocation failure: a CLI that
 * cannot allocate a few kilobytes has nothing sensible left to do. */
#ifndef WS_BUF_H
#define WS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_add(struct buf *b, const void *data, size_t len);
/* Makes room for extra more bytes and the NUL after them. */
void buf_reserve(struct buf *b, size_t extra);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

/* Wipes the content before freeing: for buffers that held secrets. */
void buf_free_secret(struct buf *b);

/* Out-of-memory: prints and exits EX_OSERR. */
void xoom(void) __attribute__((noreturn));
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
