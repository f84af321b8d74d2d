#include "config.h"

#include <stddef.h>
#include <string.h>

#include <webstack/role-imap.h>
#include <webstack/role-mta.h>

#include "mail_append.h"
#include "mail_dirrole.h"
#include "roles.h"
#include "validate.h"

int mail_find_account(struct mail_session *s, const char *address, int *found_r)
{
	int (*find)(void *, const struct webstack_mail *, const char *, int *,
		    const char **) = OPTIONAL_OP(s->imap, webstack_imap_ops, find_account);
	const char *msg = NULL;
	int r;

	if (s->directory)
		return mail_dirrole_find_account(s, address, found_r) < 0 ? -1 : 0;
	if (!find)
		return 1;
	r = find(s->imap->state, &s->mail, address, found_r, &msg);
	return ctx_op_result(s->c, s->imap, "find_account", r, msg) < 0 ? -1 : 0;
}

/* 0 when staged, 1 when the role cannot, -1 on error. */
static int add_to(struct mail_session *s, struct module *m,
		  int (*add)(void *, const struct webstack_mail *,
			     const struct webstack_account *, const char **),
		  const struct webstack_account *a)
{
	const char *msg = NULL;
	int r;

	if (!add)
		return 1;
	r = add(m->state, &s->mail, a, &msg);
	if (r == 1)
		return 1;
	return ctx_op_result(s->c, m, "add_account", r, msg) < 0 ? -1 : 0;
}

int mail_append_account(struct mail_session *s, const char *address,
			size_t local_len, const char *hash)
{
	char local[VALIDATE_LOCAL_MAX + 1];
	struct webstack_account a = {.address = address,
				     .domain = address + local_len + 1,
				     .password_hash = hash, .local = local};
	int r;

	if (s->directory) {
		mail_dirrole_add_account(s, address, local_len, hash);
		return 0;
	}
	memcpy(local, address, local_len);
	local[local_len] = '\0';
	r = add_to(s, s->imap, OPTIONAL_OP(s->imap, webstack_imap_ops, add_account), &a);
	if (r == 0)
		r = add_to(s, s->mta, OPTIONAL_OP(s->mta, webstack_mta_ops, add_account), &a);
	return r;
}
