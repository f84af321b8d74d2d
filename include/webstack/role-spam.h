/*
 * NAME
 *	webstack/role-spam.h - ops of the spam role (a filter: a milter for the MTA)
 *
 * DESCRIPTION
 *	state is what the module's init() returned. milter() returns the
 *	endpoint the MTA must call ("unix:/path" or "inet:host:port"), owned by
 *	the module state. setup() stages the daemon's configuration and defers
 *	its start or reload; disable() stages the removal of everything setup()
 *	added; status() reports into r. milter, setup and disable are required,
 *	publish and status are optional (NULL).
 *
 *	Ownership: mail, dir and r are borrowed for the call.
 *
 * CHANGELOG
 *	2026-11-25  ABI 1.0  milter, setup, disable, publish, status.
 */
#ifndef WEBSTACK_ROLE_SPAM_H
#define WEBSTACK_ROLE_SPAM_H

#include <webstack/mail.h>

struct webstack_spam_ops {
	const char *(*milter)(void *state);
	int (*setup)(void *state, const struct webstack_mail *mail,
		     const char **err_r);
	int (*disable)(void *state, const char **err_r);
	int (*publish)(void *state, const struct webstack_mail *mail,
		       const struct webstack_directory *dir, const char **err_r);
	int (*status)(void *state, const struct webstack_mail *mail,
		      struct webstack_report *r, const char **err_r);
};

#endif
