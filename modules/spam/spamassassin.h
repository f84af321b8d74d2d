/* spamassassin.h - the module "spamassassin" (role spam): what it writes
 * and how.
 *
 * Two daemons: spamd (Debian's spamd.service, its options replaced by a
 * drop-in of webstack's) scores the mail, and spamass-milter (Debian ships
 * only a SysV script; webstack writes a unit of its own) hands each
 * message from Postfix to spamd through spamc and applies the reject
 * threshold. The header threshold is SpamAssassin's required_score, in a
 * site config file of webstack's own; Debian's local.cf is not touched.
 *
 * Ownership: the strings are static; rendered text goes into the caller's
 * mbuf; an argv filled by sa_milter_args() points into the caller's
 * struct sa_settings and static storage. */
#ifndef WS_SPAMASSASSIN_H
#define WS_SPAMASSASSIN_H

#include "mbuf.h"

#define SA_SPAMD "/usr/sbin/spamd"
#define SA_MILTER "/usr/sbin/spamass-milter"
#define SA_SPAMD_USER "debian-spamd"
#define SA_MILTER_USER "spamass-milter"

#define SA_CF "/etc/spamassassin/webstack.cf"
#define SA_UNIT_DIR "/etc/systemd/system"
#define SA_SPAMD_DROPIN SA_UNIT_DIR "/spamd.service.d/webstack.conf"
#define SA_MILTER_UNIT SA_UNIT_DIR "/spamass-milter.service"

/* spamd listens only on a unix socket that the milter's group may use. */
#define SA_SPAMD_RUN "/run/spamd"
#define SA_SPAMD_PID SA_SPAMD_RUN "/spamd.pid"
#define SA_SPAMD_SOCK SA_SPAMD_RUN "/spamd.sock"
#define SA_MILTER_RUN "/run/spamass"
#define SA_MILTER_PID SA_MILTER_RUN "/spamass.pid"
/* In Postfix's queue directory, for chrooted smtpd and cleanup alike. */
#define SA_SOCKET_DIR "/var/spool/postfix/spamass"
#define SA_SOCKET SA_SOCKET_DIR "/spamass.sock"
#define SA_MILTER_ENDPOINT "unix:spamass/spamass.sock"

struct sa_settings {
	double tag_score;	/* X-Spam-Flag: YES at or above */
	double reject_score;	/* refused at SMTP time at or above; whole */
	int scan_authenticated;	/* SASL-authenticated senders are scanned */
	char reject_arg[16];	/* reject_score as spamass-milter's -r wants it */
};

/* spamd's options, without -d (the unit runs it in front). */
extern const char *const sa_spamd_args[];

/* Fills argv (room for SA_MILTER_MAX_ARGS + 1) with spamass-milter's
 * options after the program name, NULL-terminated. */
#define SA_MILTER_MAX_ARGS 16
void sa_milter_args(struct sa_settings *s, const char **argv);

void sa_render_cf(struct mbuf *b, const struct sa_settings *s);
void sa_render_spamd_dropin(struct mbuf *b);
/* args: what sa_milter_args() filled in. */
void sa_render_milter_unit(struct mbuf *b, const char *const *args);

#endif
