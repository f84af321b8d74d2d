/*
 * NAME
 *	webstack/role-av.h - ops of the av role (a filter: a milter for the MTA)
 *
 * DESCRIPTION
 *	state is what the module's init() returned. milters() returns the
 *	endpoints the MTA must call, in order, as a NULL-terminated list
 *	("unix:opendkim/rsa.sock": a relative unix path is relative to the
 *	MTA's queue directory; "inet:127.0.0.1:8891"), owned by the module
 *	state. setup() stages the daemon's configuration and defers its start
 *	or reload; publish() stages what depends on the directory's domains
 *	and DKIM keys (per-domain tables) and defers the reload it needs (an
 *	added account alone does not call it); status() reports into r.
 *	disable() undoes setup(): it defers stopping the daemon and stages the
 *	removal of the files setup() and publish() wrote. `webstack mail
 *	setup` calls it, on the module loaded retired, once webstack.conf no
 *	longer names the module, after the MTA's setup took its milters out of
 *	the MTA's list. milters, setup and disable are required, publish and
 *	status are optional (NULL).
 *
 *	Ownership: mail, dir and r are borrowed for the call.
 *
 * CHANGELOG
 *	2026-11-25  ABI 1.0  milter, setup, disable, publish, status.
 *	2026-11-26  ABI 1.0  (unreleased, amended) milter() becomes milters(),
 *	                     a list: OpenDKIM needs one process per algorithm;
 *	                     disable() takes the settings and is called by
 *	                     `mail setup` for a filter taken out of the config.
 */
#ifndef WEBSTACK_ROLE_AV_H
#define WEBSTACK_ROLE_AV_H

#include <webstack/mail.h>

struct webstack_av_ops {
	const char *const *(*milters)(void *state);
	int (*setup)(void *state, const struct webstack_mail *mail,
		     const char **err_r);
	int (*disable)(void *state, const struct webstack_mail *mail,
		       const char **err_r);
	int (*publish)(void *state, const struct webstack_mail *mail,
		       const struct webstack_directory *dir, const char **err_r);
	int (*status)(void *state, const struct webstack_mail *mail,
		      struct webstack_report *r, const char **err_r);
};

#endif
