#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lineset.h"

struct line {
	const char *s;
	size_t n;	/* without the '\n' */
};

static int line_cmp(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* The lines of text, sorted; *n_r gets their count. */
static struct line *split_sorted(const char *text, size_t len, size_t *n_r)
{
	size_t n = 0, cap = 64, sorted = 1;
	struct line *v = xmalloc(cap * sizeof(*v));

	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;

		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		v[n] = (struct line){text + at, end - at};
		if (n > 0 && sorted && line_cmp(&v[n - 1], &v[n]) > 0)
			sorted = 0;
		n++;
		at = end + 1;
	}
	if (!sorted)
		qsort(v, n, sizeof(*v), line_cmp);
	*n_r = n;
	return v;
}

void lineset_sorted(const char *text, size_t len, struct buf *out)
{
	size_t n;
	struct line *v = split_sorted(text, len, &n);

	buf_reserve(out, len + 1);
	for (size_t i = 0; i < n; i++) {
		buf_add(out, v[i].s, v[i].n);
		buf_add(out, "\n", 1);
	}
	free(v);
}

int lineset_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
	size_t na, nb;
	struct line *va, *vb;
	int same;

	if (a_len != b_len && a_len + 1 != b_len && b_len + 1 != a_len)
		return 0;	/* only a missing last '\n' may differ in size */
	va = split_sorted(a, a_len, &na);
	vb = split_sorted(b, b_len, &nb);
	same = na == nb;
	for (size_t i = 0; same && i < na; i++)
		same = line_cmp(&va[i], &vb[i]) == 0;
	free(va);
	free(vb);
	return same;
}
