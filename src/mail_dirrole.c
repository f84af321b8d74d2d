#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webstack/role-directory.h>

#include "dirdiff.h"
#include "mail_dirrole.h"

static const struct webstack_directory_ops *ops(const struct mail_session *s)
{
	return s->directory->desc->role_ops;
}

int mail_dirrole_setup(struct mail_session *s)
{
	const char *msg = NULL;
	int r;

	if (s->c->opt[OPT_DRY_RUN]) {
		printf("# would create or migrate the directory's tables and the "
		       "daemons' lookups (module %s)\n", s->directory->name);
		s->setup_skipped = 1;
		return 0;
	}
	r = ops(s)->setup(s->directory->state, &s->mail, &msg);
	return ctx_op_result(s->c, s->directory, "setup", r, msg);
}

int mail_dirrole_load(struct mail_session *s, struct webstack_directory_sink *sink,
		      int accounts)
{
	unsigned flags = (s->read_only ? WEBSTACK_DIR_SCHEMES : 0) |
			 (accounts ? 0 : WEBSTACK_DIR_NO_ACCOUNTS) |
			 (s->setup_skipped ? WEBSTACK_DIR_NOT_SET_UP : 0);
	const char *msg = NULL;
	int r = ops(s)->load(s->directory->state, &s->mail, sink, flags, &msg);

	return ctx_op_result(s->c, s->directory, "load", r, msg);
}

void mail_dirrole_keep(struct mail_session *s)
{
	dir_free(&s->loaded);
	dir_copy(&s->dir, &s->loaded);
}

void mail_dirrole_held(struct mail_session *s, struct directory *held)
{
	dir_free(&s->loaded);
	dir_copy(held, &s->loaded);
}

int mail_dirrole_find_account(struct mail_session *s, const char *address,
			      int *found_r)
{
	const char *msg = NULL;
	int r = ops(s)->find_account(s->directory->state, &s->mail, address, found_r,
				     &msg);

	return ctx_op_result(s->c, s->directory, "find_account", r, msg);
}

void mail_dirrole_add_account(struct mail_session *s, const char *address,
			      size_t local_len, const char *hash)
{
	struct webstack_change ch = {.kind = WEBSTACK_ADD_ACCOUNT, .name = address,
				     .account = &s->added};

	/* one allocation: "local\0domain\0address\0hash" */
	free(s->added_strings);
	s->added_strings = xasprintf("%.*s%c%s%c%s%c%s", (int)local_len, address, 0,
				     address + local_len + 1, 0, address, 0, hash);
	s->added.local = s->added_strings;
	s->added.domain = s->added.local + local_len + 1;
	s->added.address = s->added.domain + strlen(s->added.domain) + 1;
	s->added.password_hash = s->added.address + strlen(s->added.address) + 1;
	ch.name = s->added.address;
	dir_changes_add(&s->changes, &ch);
}

void mail_dirrole_diff(struct mail_session *s, const struct webstack_directory *now)
{
	struct webstack_directory old;

	if (s->changes.n)
		return;		/* an appended account: its change is made */
	dir_view(&s->loaded, &old);
	dir_diff(&old, now, &s->changes);
}

static const char *const change_name[] = {
	[WEBSTACK_ADD_DOMAIN] = "add domain", [WEBSTACK_DEL_DOMAIN] = "delete domain",
	[WEBSTACK_ADD_ACCOUNT] = "add account", [WEBSTACK_DEL_ACCOUNT] = "delete account",
	[WEBSTACK_SET_HASH] = "set the password of", [WEBSTACK_SET_ALIAS] = "set alias",
	[WEBSTACK_DEL_ALIAS] = "delete alias",
};

int mail_dirrole_apply(struct mail_session *s)
{
	const char *msg = NULL;
	int r;

	if (!s->changes.n)
		return 0;
	if (s->c->opt[OPT_DRY_RUN]) {
		for (size_t i = 0; i < s->changes.n; i++)
			printf("# would %s %s in the directory (module %s)\n",
			       change_name[s->changes.v[i].kind], s->changes.v[i].name,
			       s->directory->name);
		return 0;
	}
	r = ops(s)->apply(s->directory->state, &s->mail, s->changes.v, s->changes.n,
			  &msg);
	return ctx_op_result(s->c, s->directory, "apply", r, msg);
}

void mail_dirrole_free(struct mail_session *s)
{
	dir_free(&s->loaded);
	dir_changes_free(&s->changes);
	if (s->added_strings)
		explicit_bzero(s->added_strings, strlen(s->added.password_hash) +
			       (size_t)(s->added.password_hash - s->added_strings));
	free(s->added_strings);
	s->added_strings = NULL;
}
