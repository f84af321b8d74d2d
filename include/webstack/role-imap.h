/*
 * NAME
 *	webstack/role-imap.h - ops of the imap role (exclusive)
 *
 * DESCRIPTION
 *	state is what the module's init() returned. setup, load, publish and
 *	status are required; find_account and add_account are optional (NULL).
 *	load() reports the accounts (address and password hash) that its users file hold,
 *	which are the source of truth: the core merges what the roles report,
 *	applies the command's change and hands the result to publish().
 *	setup() stages the daemon's configuration from the shared settings and
 *	defers the start or reload it needs; publish() stages the files derived
 *	from the directory (maps, users file) and defers only the reloads that
 *	what changed requires; status() reports into r. Nothing is written
 *	before the core commits.
 *
 *	find_account() sets *found_r to 1 when address is an account of its
 *	files, else 0, without loading the rest: `mail add account` asks it
 *	instead of loading every account. add_account() stages the addition
 *	of one account (validated, its domain a mail domain, no account or
 *	alias yet) the way publish() would have staged the directory with
 *	it added, by appending (host stage_append()), and defers what the
 *	daemon needs; it returns 1 when it cannot do that here (the core then
 *	drops what was staged, loads the whole directory and calls publish()).
 *
 *	check_logins() (optional, ABI 1.1) runs after a commit: it asks the
 *	running server's password database for each of the n accounts as a
 *	login would, and sets *bad_r to how many it does not find, each
 *	reported into r (ok 0). `mail migrate` checks this way that every
 *	account can log in on the new backend, without knowing a password
 *	(that the hashes are the same it checks in the directory). The core
 *	calls it only when role_ops_size covers it.
 *
 *	Ownership: mail, dir, sink, account(s) and r are borrowed for the call.
 *
 * CHANGELOG
 *	2026-11-26  ABI 1.0  setup, load, publish, status (before any release).
 *	2026-11-26  ABI 1.0  find_account, add_account (still unreleased).
 *	2026-11-27  ABI 1.1  check_logins.
 */
#ifndef WEBSTACK_ROLE_IMAP_H
#define WEBSTACK_ROLE_IMAP_H

#include <webstack/mail.h>

struct webstack_imap_ops {
	int (*setup)(void *state, const struct webstack_mail *mail,
		     const char **err_r);
	int (*load)(void *state, const struct webstack_mail *mail,
		    struct webstack_directory_sink *sink, const char **err_r);
	int (*publish)(void *state, const struct webstack_mail *mail,
		       const struct webstack_directory *dir, const char **err_r);
	int (*status)(void *state, const struct webstack_mail *mail,
		      struct webstack_report *r, const char **err_r);
	int (*find_account)(void *state, const struct webstack_mail *mail,
			    const char *address, int *found_r, const char **err_r);
	int (*add_account)(void *state, const struct webstack_mail *mail,
			   const struct webstack_account *account,
			   const char **err_r);
	int (*check_logins)(void *state, const struct webstack_mail *mail,
			    const struct webstack_account *accounts, size_t n,
			    struct webstack_report *r, size_t *bad_r,
			    const char **err_r);
};

#endif
