/* directory.h - the domains, accounts and aliases webstack administers.
 *
 * The directory is loaded from the modules' own files (the mta role reports
 * domains and aliases, the imap role accounts) through a sink that checks
 * every entry with validate.c, so a hand-edited file with a bad name stops
 * webstack with file:line instead of reaching another file. Commands change
 * it in memory; dir_view() hands the result to the modules' publish().
 *
 * Ownership: the directory owns every string in it; a view borrows from the
 * directory and is valid until the directory changes or is freed. */
#ifndef WS_DIRECTORY_H
#define WS_DIRECTORY_H

#include <stddef.h>

#include <webstack/mail.h>

#include "arena.h"
#include "dkimkey.h"
#include "err.h"
#include "nameindex.h"
#include "strv.h"

/* The address comes first in both: nameindex.h indexes by it. An
 * account's strings live in the directory's arena; local and domain point
 * into the address's piece of it. */
struct dir_account {
	char *address, *local, *domain, *hash;
};

struct dir_alias {
	char *address;
	struct strv targets;	/* normalised addresses, unique, in order */
};

struct dir_dkim {
	char *domain, *selector, *path, *pub;
	char gen[DKIM_GEN_MAX];	/* the selector's generation (dkimkey.h) */
	int alg;		/* enum dkim_alg */
	int signing;
};

struct directory {
	struct strv domains;
	struct dir_account *accounts;
	size_t n_accounts, cap_accounts;
	struct dir_alias *aliases;
	size_t n_aliases, cap_aliases;
	struct dir_dkim *dkim;
	size_t n_dkim, cap_dkim;

	/* The view handed to modules (rebuilt by dir_view()). */
	struct webstack_account *v_accounts;
	struct webstack_alias *v_aliases;
	struct webstack_dkim_key *v_dkim;

	/* Lookups by name (private to directory.c). */
	struct name_index ix_domains, ix_accounts, ix_aliases;
	struct arena strings;	/* the accounts' strings */
};

/* A sink that fills dir; e receives the reason an entry was refused. */
struct dir_sink {
	struct webstack_directory_sink sink;	/* first */
	struct directory *dir;
	struct err e;
	/* Keep only the "{SCHEME}" of each hash: a load to read (list,
	 * status) needs no more, and 100,000 hashes are 12 MB. */
	int schemes_only;
};
void dir_sink_init(struct dir_sink *s, struct directory *dir);

int dir_has_domain(const struct directory *d, const char *domain);
struct dir_account *dir_account(const struct directory *d, const char *address);
struct dir_alias *dir_alias(const struct directory *d, const char *address);
/* 1 when an alias forwards to address. */
int dir_is_target(const struct directory *d, const char *address);
/* Number of accounts (and of aliases) in domain. */
size_t dir_domain_accounts(const struct directory *d, const char *domain);
size_t dir_domain_aliases(const struct directory *d, const char *domain);

/* Adders take normalised names and copy them; they do not check for
 * duplicates or conflicts (the commands do, with messages for the admin). */
void dir_add_domain(struct directory *d, const char *domain);
void dir_add_account(struct directory *d, const char *address, const char *hash);
void dir_add_alias_targets(struct directory *d, const char *address,
			   const char *const *targets, size_t n);
void dir_del_domain(struct directory *d, const char *domain);
void dir_del_account(struct directory *d, const char *address);
void dir_del_alias(struct directory *d, const char *address);
/* Removes from every alias each target for which drop(target, arg) is
 * true, calling note(alias, target) for each (note may be NULL). An alias
 * left without targets is deleted, and then removed as a target from the
 * other aliases in turn. */
void dir_prune_targets(struct directory *d,
		       int (*drop)(const char *target, const void *arg),
		       const void *arg,
		       void (*note)(const char *alias, const char *target));
/* For dir_prune_targets(): target is the address arg, after Postfix strips
 * a "+extension"; target is in the domain arg. */
int dir_target_is(const char *target, const void *address);
int dir_target_in(const char *target, const void *domain);

/* Replaces the hash of an existing account of d (the old one is wiped). */
void dir_set_hash(struct directory *d, struct dir_account *a, const char *hash);

/* DKIM keys (dkimkey.h): adding copies the strings, the selector must be
 * one dkimkey_parse_selector() takes; the signing flags are set per domain
 * by dir_dkim_mark_signing() (the newest generation). */
void dir_add_dkim(struct directory *d, const char *domain, const char *selector,
		  int alg, const char *path, const char *pub);
void dir_del_dkim(struct directory *d, const char *domain, const char *selector);
struct dir_dkim *dir_dkim_find(const struct directory *d, const char *domain,
			       const char *selector);
void dir_dkim_mark_signing(struct directory *d);

/* After a load: sorts the accounts and refuses one listed twice (the
 * sink takes accounts without looking for them). */
int dir_check_accounts(struct directory *d, struct err *e);
/* Sorts everything by name and fills view for the modules. */
void dir_view(struct directory *d, struct webstack_directory *view);
/* Sorts every list as dir_view() hands it out, without the view. */
void dir_sort(struct directory *d);

/* Adds from's domains, accounts and aliases (not its DKIM keys) to to. */
void dir_copy(const struct directory *from, struct directory *to);

void dir_free(struct directory *d);

#endif
