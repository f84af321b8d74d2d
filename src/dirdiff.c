#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dirdiff.h"

void dir_changes_add(struct dir_changes *c, const struct webstack_change *ch)
{
	struct webstack_change *to;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	to = &c->v[c->n++];
	*to = *ch;
	/* copies: a view's arrays go with the next dir_view() */
	if (ch->account) {
		struct webstack_account *a = xmalloc(sizeof(*a));

		*a = *ch->account;
		to->account = a;
	}
	if (ch->alias) {
		struct webstack_alias *al = xmalloc(sizeof(*al));

		*al = *ch->alias;
		to->alias = al;
	}
}

void dir_changes_free(struct dir_changes *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free((void *)c->v[i].account);
		free((void *)c->v[i].alias);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Domains, accounts and aliases all start with their name. */
static const char *name_at(const void *base, size_t stride, size_t i)
{
	return *(const char *const *)(const void *)((const char *)base + i * stride);
}

/* Calls fn(old, now, arg) for every name of either sorted list, with NULL
 * for the side that lacks it. */
static void merge(const void *a, size_t na, const void *b, size_t nb, size_t stride,
		  void (*fn)(const void *old, const void *now, struct dir_changes *out),
		  struct dir_changes *out)
{
	size_t i = 0, k = 0;

	while (i < na || k < nb) {
		int cmp = i == na ? 1 : k == nb ? -1 :
			  strcmp(name_at(a, stride, i), name_at(b, stride, k));
		const void *old = cmp <= 0 ? (const char *)a + i * stride : NULL;
		const void *now = cmp >= 0 ? (const char *)b + k * stride : NULL;

		fn(old, now, out);
		i += cmp <= 0;
		k += cmp >= 0;
	}
}

static void add(struct dir_changes *out, enum webstack_change_kind kind,
		const char *name, const struct webstack_account *account,
		const struct webstack_alias *alias)
{
	struct webstack_change ch = {.kind = kind, .name = name, .account = account,
				     .alias = alias};

	dir_changes_add(out, &ch);
}

static void domain_added(const void *old, const void *now, struct dir_changes *out)
{
	if (!old)
		add(out, WEBSTACK_ADD_DOMAIN, *(const char *const *)now, NULL, NULL);
}

static void domain_gone(const void *old, const void *now, struct dir_changes *out)
{
	if (!now)
		add(out, WEBSTACK_DEL_DOMAIN, *(const char *const *)old, NULL, NULL);
}

static void alias_gone(const void *old, const void *now, struct dir_changes *out)
{
	if (!now)
		add(out, WEBSTACK_DEL_ALIAS, ((const struct webstack_alias *)old)->address,
		    NULL, NULL);
}

static void account_gone(const void *old, const void *now, struct dir_changes *out)
{
	if (!now)
		add(out, WEBSTACK_DEL_ACCOUNT,
		    ((const struct webstack_account *)old)->address, NULL, NULL);
}

static void account_new(const void *old, const void *now, struct dir_changes *out)
{
	const struct webstack_account *a = old, *b = now;

	if (b && !a)
		add(out, WEBSTACK_ADD_ACCOUNT, b->address, b, NULL);
	else if (a && b && strcmp(a->password_hash, b->password_hash) != 0)
		add(out, WEBSTACK_SET_HASH, b->address, b, NULL);
}

static int same_targets(const struct webstack_alias *a, const struct webstack_alias *b)
{
	if (a->n_targets != b->n_targets)
		return 0;
	for (size_t i = 0; i < a->n_targets; i++)
		if (strcmp(a->targets[i], b->targets[i]) != 0)
			return 0;
	return 1;
}

static void alias_new(const void *old, const void *now, struct dir_changes *out)
{
	const struct webstack_alias *a = old, *b = now;

	if (b && (!a || !same_targets(a, b)))
		add(out, WEBSTACK_SET_ALIAS, b->address, NULL, b);
}

void dir_diff(const struct webstack_directory *old,
	      const struct webstack_directory *now, struct dir_changes *out)
{
	merge(old->domains, old->n_domains, now->domains, now->n_domains,
	      sizeof(*now->domains), domain_added, out);
	merge(old->aliases, old->n_aliases, now->aliases, now->n_aliases,
	      sizeof(*now->aliases), alias_gone, out);
	merge(old->accounts, old->n_accounts, now->accounts, now->n_accounts,
	      sizeof(*now->accounts), account_gone, out);
	merge(old->accounts, old->n_accounts, now->accounts, now->n_accounts,
	      sizeof(*now->accounts), account_new, out);
	merge(old->aliases, old->n_aliases, now->aliases, now->n_aliases,
	      sizeof(*now->aliases), alias_new, out);
	merge(old->domains, old->n_domains, now->domains, now->n_domains,
	      sizeof(*now->domains), domain_gone, out);
}
