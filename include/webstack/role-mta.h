/*
 * NAME
 *	webstack/role-mta.h - ops of the mta role (exclusive)
 *
 * DESCRIPTION
 *	state is what the module's init() returned. All three ops are required.
 *	setup() stages the daemon's configuration from the shared settings and
 *	defers the start or reload it needs; publish() stages the files derived
 *	from the directory (maps, users file) and defers only the reloads that
 *	what changed requires; status() reports into r. Nothing is written
 *	before the core commits.
 *
 *	Ownership: mail, dir and r are borrowed for the call.
 *
 * CHANGELOG
 *	2026-11-25  ABI 1.0  setup, publish, status.
 */
#ifndef WEBSTACK_ROLE_MTA_H
#define WEBSTACK_ROLE_MTA_H

#include <webstack/mail.h>

struct webstack_mta_ops {
	int (*setup)(void *state, const struct webstack_mail *mail,
		     const char **err_r);
	int (*publish)(void *state, const struct webstack_mail *mail,
		       const struct webstack_directory *dir, const char **err_r);
	int (*status)(void *state, const struct webstack_mail *mail,
		      struct webstack_report *r, const char **err_r);
};

#endif
