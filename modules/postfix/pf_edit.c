#include "config.h"

/* In-place edits of main.cf and master.cf that keep everything webstack
 * does not own: comments, order, the admin's other settings.
 *
 * Both files are made of logical lines: a line that starts with a
 * non-blank, non-'#' character begins one, and following lines that start
 * with whitespace continue it (postconf(5), master(5)). */
#include <stdlib.h>
#include <string.h>

#include "postfix.h"

struct span {
	const char *start;	/* first line */
	size_t len;		/* through the newline of its last line */
	int entry;		/* a logical line (else comment or blank) */
};

static size_t line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
}

static int blank_line(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
	return 1;
}

/* The span that starts at p: a logical line with its continuations, or one
 * comment or blank line. */
static struct span next_span(const char *p, const char *end)
{
	struct span s = {p, line_len(p, end), 0};

	if (*p == '#' || *p == ' ' || *p == '\t' || blank_line(p, s.len))
		return s;
	s.entry = 1;
	while (p + s.len < end) {
		const char *q = p + s.len;
		size_t n = line_len(q, end);

		if ((*q != ' ' && *q != '\t') || blank_line(q, n))
			break;
		s.len += n;
	}
	return s;
}

/* The first word of a logical line and its length ('=' ends it too). */
static size_t word(const char *p, size_t max, const char **w)
{
	size_t n = 0;

	while (max && (*p == ' ' || *p == '\t')) {
		p++;
		max--;
	}
	*w = p;
	while (n < max && !strchr(" \t=\n", p[n]))
		n++;
	return n;
}

static void add_line(struct mbuf *out, const char *p, size_t n)
{
	mbuf_add(out, p, n);
	if (n == 0 || p[n - 1] != '\n')
		mbuf_puts(out, "\n");
}

void pf_edit_main(const char *text, size_t len, const struct pf_param *p,
		  size_t n, struct mbuf *out)
{
	const char *cur = text, *end = text + len;
	unsigned char *done = calloc(n ? n : 1, 1);
	int header = 0;

	if (!done) {
		out->failed = 1;
		return;
	}
	while (cur < end) {
		struct span s = next_span(cur, end);
		const char *w;
		size_t wl = s.entry ? word(s.start, s.len, &w) : 0;
		size_t i = n;

		for (size_t k = 0; wl && k < n; k++)
			if (strlen(p[k].name) == wl && strncmp(p[k].name, w, wl) == 0)
				i = k;
		if (i == n)
			add_line(out, s.start, s.len);
		else if (!done[i])
			mbuf_printf(out, "%s = %s\n", p[i].name, p[i].value);
		if (i < n)
			done[i] = 1;
		cur += s.len;
	}
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		if (!header++)
			mbuf_puts(out, "\n# Set by webstack (`webstack mail setup` keeps "
				       "these values; see webstack(8)).\n");
		mbuf_printf(out, "%s = %s\n", p[i].name, p[i].value);
	}
	free(done);
}

static int service_matches(const struct pf_service_entry *e, const char *w1,
			   size_t l1, const char *w2, size_t l2)
{
	if (strlen(e->type) != l2 || strncmp(e->type, w2, l2) != 0)
		return 0;
	for (const char *const *nm = e->names; *nm; nm++)
		if (strlen(*nm) == l1 && strncmp(*nm, w1, l1) == 0)
			return 1;
	return 0;
}

void pf_edit_master(const char *text, size_t len,
		    const struct pf_service_entry *s, size_t n, struct mbuf *out)
{
	const char *cur = text, *end = text + len;
	unsigned char *done = calloc(n ? n : 1, 1);

	if (!done) {
		out->failed = 1;
		return;
	}
	while (cur < end) {
		struct span sp = next_span(cur, end);
		const char *w1, *w2;
		size_t l1 = sp.entry ? word(sp.start, sp.len, &w1) : 0;
		size_t l2 = l1 ? word(w1 + l1, sp.len - (size_t)(w1 + l1 - sp.start), &w2) : 0;
		size_t i = n;

		for (size_t k = 0; l2 && k < n; k++)
			if (service_matches(&s[k], w1, l1, w2, l2))
				i = k;
		if (i == n)
			add_line(out, sp.start, sp.len);
		else if (!done[i] && s[i].entry)
			mbuf_puts(out, s[i].entry);
		if (i < n)
			done[i] = 1;
		cur += sp.len;
	}
	for (size_t i = 0; i < n; i++)
		if (!done[i] && s[i].entry)
			mbuf_puts(out, s[i].entry);
	free(done);
}
