/* dovecot_conf.h - renders /etc/dovecot/dovecot.conf (Dovecot 2.3 syntax).
 *
 * Ownership: mail is borrowed for the call; the text is appended to the
 * caller's buffer. The listener table is static and read-only. */
#ifndef WS_DOVECOT_CONF_H
#define WS_DOVECOT_CONF_H

#include <webstack/mail.h>

#include "mbuf.h"

#define DV_CONF_PATH "/etc/dovecot/dovecot.conf"
#define DV_LOCAL_CONF_PATH "/etc/dovecot/local.conf"
#define DV_USERS_PATH "/etc/dovecot/users"
#define DV_LMTP_SOCKET "/var/spool/postfix/private/dovecot-lmtp"
#define DV_AUTH_SOCKET "/var/spool/postfix/private/auth"

/* One inet_listener of a login service; entries of one service are
 * adjacent. */
struct dv_listener {
	const char *service;	/* "imap-login" */
	const char *protocol;	/* its entry in `protocols`: "imap" */
	const char *name;	/* the listener: "imaps" */
	unsigned port;
	int ssl;		/* implicit TLS */
	enum webstack_mail_service svc;
};

extern const struct dv_listener dv_listeners[];
extern const size_t dv_n_listeners;

/* Appends the whole file. The strings of mail must have been checked: they
 * are written as they are. */
void dv_conf_render(struct mbuf *b, const struct webstack_mail *mail);

#endif
