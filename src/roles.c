#include "config.h"

#include <stddef.h>
#include <string.h>

#include <webstack/role-av.h>
#include <webstack/role-directory.h>
#include <webstack/role-dkim.h>
#include <webstack/role-dns.h>
#include <webstack/role-firewall.h>
#include <webstack/role-imap.h>
#include <webstack/role-mta.h>
#include <webstack/role-spam.h>

#include "roles.h"

#define OP(type, field, req) {#field, offsetof(struct type, field), req}
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct role_op mta_ops[] = {
	OP(webstack_mta_ops, setup, 1),
	OP(webstack_mta_ops, load, 1),
	OP(webstack_mta_ops, publish, 1),
	OP(webstack_mta_ops, status, 1),
	OP(webstack_mta_ops, add_account, 0),
};
static const struct role_op imap_ops[] = {
	OP(webstack_imap_ops, setup, 1),
	OP(webstack_imap_ops, load, 1),
	OP(webstack_imap_ops, publish, 1),
	OP(webstack_imap_ops, status, 1),
	OP(webstack_imap_ops, find_account, 0),
	OP(webstack_imap_ops, add_account, 0),
	OP(webstack_imap_ops, check_logins, 0),
};
static const struct role_op dns_ops[] = {
	OP(webstack_dns_ops, render, 1),
	OP(webstack_dns_ops, check, 1),
	OP(webstack_dns_ops, push, 1),
};
static const struct role_op firewall_ops[] = {
	OP(webstack_firewall_ops, open, 1),
	OP(webstack_firewall_ops, close, 1),
	OP(webstack_firewall_ops, status, 1),
};
static const struct role_op directory_ops[] = {
	OP(webstack_directory_ops, setup, 1),
	OP(webstack_directory_ops, load, 1),
	OP(webstack_directory_ops, find_account, 1),
	OP(webstack_directory_ops, apply, 1),
	OP(webstack_directory_ops, status, 1),
};
/* The three filter roles share one ops layout. */
#define FILTER_OPS(type)                                                       \
	{                                                                      \
		OP(type, milters, 1), OP(type, setup, 1), OP(type, disable, 1), \
		OP(type, publish, 0), OP(type, status, 0),                     \
	}
static const struct role_op av_ops[] = FILTER_OPS(webstack_av_ops);
static const struct role_op spam_ops[] = FILTER_OPS(webstack_spam_ops);
static const struct role_op dkim_ops[] = FILTER_OPS(webstack_dkim_ops);

static const struct role_info roles[WEBSTACK_ROLE_COUNT_] = {
	[WEBSTACK_ROLE_MTA] = {"mta", 1, sizeof(struct webstack_mta_ops),
			       mta_ops, N(mta_ops)},
	[WEBSTACK_ROLE_IMAP] = {"imap", 1, sizeof(struct webstack_imap_ops),
				imap_ops, N(imap_ops)},
	[WEBSTACK_ROLE_DNS] = {"dns", 1, sizeof(struct webstack_dns_ops),
			       dns_ops, N(dns_ops)},
	[WEBSTACK_ROLE_FIREWALL] = {"firewall", 1,
				    sizeof(struct webstack_firewall_ops),
				    firewall_ops, N(firewall_ops)},
	[WEBSTACK_ROLE_AV] = {"av", 0, sizeof(struct webstack_av_ops), av_ops,
			      N(av_ops)},
	[WEBSTACK_ROLE_SPAM] = {"spam", 0, sizeof(struct webstack_spam_ops),
				spam_ops, N(spam_ops)},
	[WEBSTACK_ROLE_DKIM] = {"dkim", 0, sizeof(struct webstack_dkim_ops),
				dkim_ops, N(dkim_ops)},
	[WEBSTACK_ROLE_DIRECTORY] = {"directory", 1,
				     sizeof(struct webstack_directory_ops),
				     directory_ops, N(directory_ops)},
};

const struct role_info *role_get(int role)
{
	if (role <= WEBSTACK_ROLE_NONE || role >= WEBSTACK_ROLE_COUNT_)
		return NULL;
	return &roles[role];
}

enum webstack_role role_by_name(const char *name)
{
	for (int r = WEBSTACK_ROLE_NONE + 1; r < WEBSTACK_ROLE_COUNT_; r++)
		if (strcmp(roles[r].name, name) == 0)
			return (enum webstack_role)r;
	return WEBSTACK_ROLE_NONE;
}
