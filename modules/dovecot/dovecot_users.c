#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dovecot_users.h"
#include "msort.h"

struct parse {
	dv_user_fn *fn;
	void *arg;
	unsigned *lineno_r;
	const char **err_r;
};

/* Splits copy (a NUL-terminated line whose colons are at colon[]) in
 * place. */
static void split_fields(char *copy, const size_t *colon, struct dv_user_line *u)
{
	size_t from = 0;

	for (size_t i = 0; i < DV_USER_FIELDS; i++) {
		u->field[i] = copy + from;
		if (i < DV_USER_FIELDS - 1) {
			copy[colon[i]] = '\0';
			from = colon[i] + 1;
		}
	}
}

/* What is wrong with the line, or NULL with its colons' positions in
 * colon[] (found once: they split it too). */
static const char *line_problem(const char *line, size_t n, size_t *colon)
{
	const char *s = line, *end = line + n;
	size_t k = 0;

	if (memchr(line, '\0', n))
		return "the line holds a NUL byte";
	for (; (s = memchr(s, ':', (size_t)(end - s))); s++)
		if (k++ < DV_USER_FIELDS - 1)
			colon[k - 1] = (size_t)(s - line);
	if (k != DV_USER_FIELDS - 1)
		return "expected 8 fields separated by ':' "
		       "(address:{SCHEME}hash:uid:gid:gecos:home:shell:extra)";
	if (line[0] == ':')
		return "the address is empty";
	if (line[colon[0] + 1] == ':')
		return "the password is empty";
	return NULL;
}

static int parse_line(void *arg, const char *line, size_t n, unsigned lineno)
{
	struct parse *p = arg;
	struct dv_user_line u;
	const char *problem;
	char line_buf[512], *copy = line_buf;
	size_t colon[DV_USER_FIELDS - 1];
	int r;

	/* Dovecot skips these too; a line starting with ':' it also skips is
	 * reported instead, as webstack never writes one. */
	if (n == 0 || line[0] == '#')
		return 0;
	*p->lineno_r = lineno;
	problem = line_problem(line, n, colon);
	if (problem) {
		*p->err_r = problem;
		return -EINVAL;
	}
	if (n >= sizeof(line_buf) && !(copy = malloc(n + 1))) {
		*p->err_r = "out of memory";
		return -ENOMEM;
	}
	memcpy(copy, line, n);
	copy[n] = '\0';
	split_fields(copy, colon, &u);
	u.rest = line + colon[0] + 1;
	u.rest_len = n - colon[0] - 1;
	r = p->fn(p->arg, &u, p->err_r);
	if (copy != line_buf)
		free(copy);
	return r;
}

int dv_users_parse(const char *text, size_t len, dv_user_fn *fn, void *arg,
		   unsigned *lineno_r, const char **err_r)
{
	struct parse p = {fn, arg, lineno_r, err_r};

	return mbuf_each_line(text, len, parse_line, &p);
}

struct collect {
	struct dv_entry *v;
	size_t n, cap;
	unsigned *lineno_r;
	const char **err_r;
};

/* Only the split at the first ':' (lineno is 0 for a line dv_users_parse()
 * already checked). */
static int collect_line(void *arg, const char *line, size_t n, unsigned lineno)
{
	struct collect *c = arg;
	const char *colon;

	if (n == 0 || line[0] == '#')
		return 0;
	colon = memchr(line, ':', n);
	if (!colon) {
		*c->lineno_r = lineno;
		*c->err_r = "the line has no ':'";
		return -EINVAL;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct dv_entry *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			*c->err_r = "out of memory";
			return -ENOMEM;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (struct dv_entry){.user = line, .user_len = (size_t)(colon - line),
					 .rest = colon + 1,
					 .rest_len = n - (size_t)(colon - line) - 1};
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct dv_entry *x = a, *y = b;

	return msort_slice_cmp(x->user, x->user_len, y->user, y->user_len);
}

/* A checked line, for dv_users_read(): the same split as collect_line(). */
static int collect_checked(void *arg, const struct dv_user_line *u, const char **err_r)
{
	size_t ulen = strlen(u->field[0]);

	(void)err_r;
	return collect_line(arg, u->rest - ulen - 1, ulen + 1 + u->rest_len, 0);
}

static int finish(struct collect *c, int r, struct dv_entry **v_r, size_t *n_r)
{
	if (r != 0) {
		free(c->v);
		return r;
	}
	msort_unless_sorted(c->v, c->n, sizeof(*c->v), entry_cmp);
	*v_r = c->v;
	*n_r = c->n;
	return 0;
}

int dv_users_read(const char *text, size_t len, struct dv_entry **v_r,
		  size_t *n_r, unsigned *lineno_r, const char **err_r)
{
	struct collect c = {.lineno_r = lineno_r, .err_r = err_r};

	return finish(&c, dv_users_parse(text, len, collect_checked, &c, lineno_r, err_r),
		      v_r, n_r);
}

int dv_users_split(const char *text, size_t len, struct dv_entry **v_r,
		   size_t *n_r, unsigned *lineno_r, const char **err_r)
{
	struct collect c = {.lineno_r = lineno_r, .err_r = err_r};

	return finish(&c, mbuf_each_line(text, len, collect_line, &c), v_r, n_r);
}

static void add_name(const struct dv_entry **out, size_t *n, const struct dv_entry *e)
{
	if (*n == 0 || entry_cmp(out[*n - 1], e) != 0)
		out[(*n)++] = e;
}

size_t dv_users_changed(const struct dv_entry *a, size_t na,
			const struct dv_entry *b, size_t nb,
			const struct dv_entry **out, const struct dv_entry **probe_r,
			int *probe_added_r)
{
	size_t i = 0, j = 0, n = 0;

	*probe_r = NULL;
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : entry_cmp(&a[i], &b[j]);

		if (c != 0 && !*probe_r) {
			*probe_r = c < 0 ? &a[i] : &b[j];
			*probe_added_r = c > 0;
		}
		if (c < 0) {
			add_name(out, &n, &a[i++]);
		} else if (c > 0) {
			add_name(out, &n, &b[j++]);
		} else {
			if (msort_slice_cmp(a[i].rest, a[i].rest_len, b[j].rest,
					    b[j].rest_len) != 0)
				add_name(out, &n, &a[i]);
			i++;
			j++;
		}
	}
	return n;
}

/* Control characters cover the line breaks; ':' separates the fields. */
static const unsigned char field_stop[256] = {
	[1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [6] = 1, [7] = 1, [8] = 1,
	[9] = 1, [10] = 1, [11] = 1, [12] = 1, [13] = 1, [14] = 1, [15] = 1,
	[16] = 1, [17] = 1, [18] = 1, [19] = 1, [20] = 1, [21] = 1, [22] = 1,
	[23] = 1, [24] = 1, [25] = 1, [26] = 1, [27] = 1, [28] = 1, [29] = 1,
	[30] = 1, [31] = 1,
	[0x7f] = 1, [':'] = 1,
};

static int field_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p && !field_stop[*p])
		p++;
	return *p == '\0';
}

/* local and domain become directories of the home path. */
static int path_part_ok(const char *s)
{
	return *s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && !strchr(s, '/');
}

const char *dv_account_problem(const struct webstack_account *a)
{
	size_t nl = strlen(a->local);

	if (!field_ok(a->address) || !field_ok(a->local) ||
	    !field_ok(a->domain) || !field_ok(a->password_hash))
		return "a field holds ':', a line break or another control character";
	if (a->password_hash[0] != '{')
		return "the password hash does not start with {SCHEME}";
	if (!path_part_ok(a->local) || !path_part_ok(a->domain))
		return "the local part and the domain must not be empty, '.' or '..', "
		       "nor hold '/'";
	if (strncmp(a->address, a->local, nl) != 0 || a->address[nl] != '@' ||
	    strcmp(a->address + nl + 1, a->domain) != 0)
		return "the address is not <local part>@<domain>";
	return NULL;
}

int dv_users_middle(char *buf, size_t size, const struct webstack_mail *mail)
{
	int n = snprintf(buf, size, ":%lu:%lu::%s/", (unsigned long)mail->vmail_uid,
			 (unsigned long)mail->vmail_gid, mail->mail_root);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

void dv_users_line(struct mbuf *b, const struct webstack_account *a,
		   const char *middle)
{
	mbuf_puts(b, a->address);
	mbuf_add(b, ":", 1);
	mbuf_puts(b, a->password_hash);
	mbuf_puts(b, middle);
	mbuf_puts(b, a->domain);
	mbuf_add(b, "/", 1);
	mbuf_puts(b, a->local);
	mbuf_add(b, "::\n", 3);
}
