#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbuf.h"

static int mbuf_reserve(struct mbuf *b, size_t more)
{
	char *s;
	size_t cap;

	if (b->failed)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s) {
		b->failed = 1;
		return -1;
	}
	b->s = s;
	b->cap = cap;
	return 0;
}

void mbuf_add(struct mbuf *b, const char *data, size_t len)
{
	if (mbuf_reserve(b, len) < 0)
		return;
	memcpy(b->s + b->len, data, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void mbuf_puts(struct mbuf *b, const char *s)
{
	mbuf_add(b, s, strlen(s));
}

void mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (mbuf_reserve(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

int mbuf_failed(const struct mbuf *b)
{
	return b->failed;
}

char *mbuf_steal(struct mbuf *b)
{
	char *s = b->s;

	if (!s && !b->failed)
		s = calloc(1, 1);
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void mbuf_free(struct mbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

int mbuf_each_line(const char *text, size_t len,
		   int (*fn)(void *arg, const char *line, size_t n, unsigned lineno),
		   void *arg)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int r = fn(arg, p, n, ++lineno);

		if (r)
			return r;
		p += n + (nl != NULL);
	}
	return 0;
}
