/*
 * NAME
 *	webstack/role-mta.h - ops of the mta role (exclusive)
 *
 * DESCRIPTION
 *	state is what the module's init() returned. setup, load, publish and
 *	status are required; add_account is optional (NULL).
 *	load() reports the domains and aliases that its maps' source files hold,
 *	which are the source of truth: the core merges what the roles report,
 *	applies the command's change and hands the result to publish().
 *	setup() stages the daemon's configuration from the shared settings and
 *	defers the start or reload it needs; publish() stages the files derived
 *	from the directory (maps, users file) and defers only the reloads that
 *	what changed requires; status() reports into r. Nothing is written
 *	before the core commits.
 *
 *	add_account() stages the addition of one account (validated, its
 *	domain a mail domain, no account or alias yet, and no alias forwards
 *	to it) the way publish() would have staged the directory with it
 *	added, by appending (host stage_append()), and defers what the
 *	daemon needs; it returns 1 when it cannot do that here (the core then
 *	drops what was staged, loads the whole directory and calls publish()).
 *
 *	Ownership: mail, dir, sink, account and r are borrowed for the call.
 *
 * CHANGELOG
 *	2026-11-26  ABI 1.0  setup, load, publish, status (before any release).
 *	2026-11-26  ABI 1.0  add_account (still unreleased).
 */
#ifndef WEBSTACK_ROLE_MTA_H
#define WEBSTACK_ROLE_MTA_H

#include <webstack/mail.h>

struct webstack_mta_ops {
	int (*setup)(void *state, const struct webstack_mail *mail,
		     const char **err_r);
	int (*load)(void *state, const struct webstack_mail *mail,
		    struct webstack_directory_sink *sink, const char **err_r);
	int (*publish)(void *state, const struct webstack_mail *mail,
		       const struct webstack_directory *dir, const char **err_r);
	int (*status)(void *state, const struct webstack_mail *mail,
		      struct webstack_report *r, const char **err_r);
	int (*add_account)(void *state, const struct webstack_mail *mail,
			   const struct webstack_account *account,
			   const char **err_r);
};

#endif
