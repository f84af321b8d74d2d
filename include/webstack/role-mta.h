/*
 * NAME
 *	webstack/role-mta.h - ops of the mta role (exclusive)
 *
 * DESCRIPTION
 *	state is what the module's init() returned. All four ops are required.
 *	load() reports the domains and aliases that its maps' source files hold,
 *	which are the source of truth: the core merges what the roles report,
 *	applies the command's change and hands the result to publish().
 *	setup() stages the daemon's configuration from the shared settings and
 *	defers the start or reload it needs; publish() stages the files derived
 *	from the directory (maps, users file) and defers only the reloads that
 *	what changed requires; status() reports into r. Nothing is written
 *	before the core commits.
 *
 *	Ownership: mail, dir, sink and r are borrowed for the call.
 *
 * CHANGELOG
 *	2026-11-26  ABI 1.0  setup, load, publish, status (before any release).
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
};

#endif
