#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "arena.h"
#include "buf.h"

/* Buffers this large are offered huge pages (arena.h). */
#define BUF_HUGE ((size_t)4 << 20)

void xoom(void)
{
	fputs("webstack: out of memory\n", stderr);
	exit(EX_OSERR);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		xoom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		xoom();
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		xoom();
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		xoom();
	va_end(ap);
	return s;
}

void buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 64;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
	b->data[b->len] = '\0';	/* an empty buffer is "" too */
	if (b->cap >= BUF_HUGE)
		mem_prefer_huge_pages(b->data, b->cap);
}

void buf_add(struct buf *b, const void *data, size_t len)
{
	buf_reserve(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *buf_steal(struct buf *b)
{
	char *d;

	buf_reserve(b, 0);
	d = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* A buffer only grows, and realloc() moves what it holds, so nothing past
 * len + 1 was ever written: wiping the whole capacity would only fault in
 * untouched pages (13 MB of them for the users file at 100,000 accounts). */
void buf_free_secret(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->len + 1);
	buf_free(b);
}
