#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dovecot_users.h"

struct parse {
	dv_user_fn *fn;
	void *arg;
	unsigned *lineno_r;
	const char **err_r;
};

static size_t count_char(const char *s, size_t n, char c)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

/* Splits copy (a NUL-terminated line with DV_USER_FIELDS - 1 colons) in
 * place. */
static void split_fields(char *copy, struct dv_user_line *u)
{
	char *s = copy;

	for (size_t i = 0; i < DV_USER_FIELDS; i++) {
		u->field[i] = s;
		s = strchr(s, ':');
		if (s)
			*s++ = '\0';
	}
}

static const char *line_problem(const char *line, size_t n)
{
	if (memchr(line, '\0', n))
		return "the line holds a NUL byte";
	if (count_char(line, n, ':') != DV_USER_FIELDS - 1)
		return "expected 8 fields separated by ':' "
		       "(address:{SCHEME}hash:uid:gid:gecos:home:shell:extra)";
	if (line[0] == ':')
		return "the address is empty";
	if (((const char *)memchr(line, ':', n))[1] == ':')
		return "the password is empty";
	return NULL;
}

static int parse_line(void *arg, const char *line, size_t n, unsigned lineno)
{
	struct parse *p = arg;
	struct dv_user_line u;
	const char *problem;
	char *copy;
	size_t ulen;
	int r;

	/* Dovecot skips these too; a line starting with ':' it also skips is
	 * reported instead, as webstack never writes one. */
	if (n == 0 || line[0] == '#')
		return 0;
	*p->lineno_r = lineno;
	problem = line_problem(line, n);
	if (problem) {
		*p->err_r = problem;
		return -EINVAL;
	}
	copy = strndup(line, n);
	if (!copy) {
		*p->err_r = "out of memory";
		return -ENOMEM;
	}
	split_fields(copy, &u);
	ulen = strlen(u.field[0]);
	u.rest = line + ulen + 1;
	u.rest_len = n - ulen - 1;
	r = p->fn(p->arg, &u, p->err_r);
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
};

static int collect_entry(void *arg, const struct dv_user_line *u, const char **err_r)
{
	struct collect *c = arg;
	struct dv_entry *e;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct dv_entry *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			goto oom;
		c->v = v;
		c->cap = cap;
	}
	e = &c->v[c->n];
	e->user = strdup(u->field[0]);
	e->rest = strndup(u->rest, u->rest_len);
	if (!e->user || !e->rest) {
		free(e->user);
		free(e->rest);
		goto oom;
	}
	c->n++;
	return 0;
oom:
	*err_r = "out of memory";
	return -ENOMEM;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dv_entry *)a)->user,
		      ((const struct dv_entry *)b)->user);
}

int dv_users_read(const char *text, size_t len, struct dv_entry **v_r,
		  size_t *n_r, unsigned *lineno_r, const char **err_r)
{
	struct collect c = {0};
	int r = dv_users_parse(text, len, collect_entry, &c, lineno_r, err_r);

	if (r != 0) {
		dv_entries_free(c.v, c.n);
		return r;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), entry_cmp);
	*v_r = c.v;
	*n_r = c.n;
	return 0;
}

void dv_entries_free(struct dv_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].user);
		free(v[i].rest);
	}
	free(v);
}

static void add_name(const char **out, size_t *n, const char *user)
{
	if (*n == 0 || strcmp(out[*n - 1], user) != 0)
		out[(*n)++] = user;
}

size_t dv_users_changed(const struct dv_entry *a, size_t na,
			const struct dv_entry *b, size_t nb, const char **out,
			const char **probe_r, int *probe_added_r)
{
	size_t i = 0, j = 0, n = 0;

	*probe_r = NULL;
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i].user, b[j].user);

		if (c != 0 && !*probe_r) {
			*probe_r = c < 0 ? a[i].user : b[j].user;
			*probe_added_r = c > 0;
		}
		if (c < 0) {
			add_name(out, &n, a[i++].user);
		} else if (c > 0) {
			add_name(out, &n, b[j++].user);
		} else {
			if (strcmp(a[i].rest, b[j].rest) != 0)
				add_name(out, &n, a[i].user);
			i++;
			j++;
		}
	}
	return n;
}

/* Control characters cover the line breaks; ':' separates the fields. */
static int field_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ':')
			return 0;
	return 1;
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

void dv_users_line(struct mbuf *b, const struct webstack_account *a,
		   const struct webstack_mail *mail)
{
	mbuf_printf(b, "%s:%s:%lu:%lu::%s/%s/%s::\n", a->address, a->password_hash,
		    (unsigned long)mail->vmail_uid, (unsigned long)mail->vmail_gid,
		    mail->mail_root, a->domain, a->local);
}
