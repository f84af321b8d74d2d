/* opendkim.h - the module "opendkim" (role dkim): what it writes and how.
 *
 * Debian 12's OpenDKIM signs with one algorithm per process, so the module
 * runs two: the RSA one (Debian's opendkim.service, /etc/opendkim.conf),
 * which signs and verifies, and an Ed25519 one (a unit of webstack's own)
 * that only signs. Each has its own key and signing tables.
 *
 * Ownership: the instance table is static; rendered text goes into the
 * caller's mbuf; mail and dir are borrowed. */
#ifndef WS_OPENDKIM_H
#define WS_OPENDKIM_H

#include <webstack/host.h>
#include <webstack/mail.h>

#include "mbuf.h"

/* Postfix's queue directory holds the sockets, so the chrooted smtpd
 * reaches them as "opendkim/<name>.sock". */
#define ODK_SOCKET_DIR "/var/spool/postfix/opendkim"
#define ODK_RUN_DIR "/run/opendkim"
#define ODK_DIR "/etc/opendkim"
#define ODK_UNIT_DIR "/etc/systemd/system"
#define ODK_USER "opendkim"
/* The RSA signer is Debian's own opendkim.service, with its file names. */
#define ODK_RSA_CONF "/etc/opendkim.conf"
#define ODK_RSA_PID ODK_RUN_DIR "/opendkim.pid"
#define ODK_ED_CONF ODK_DIR "/ed25519.conf"
#define ODK_ED_PID ODK_RUN_DIR "/ed25519.pid"

struct odk_instance {
	const char *algorithm;	/* the keys it signs with (k=): "rsa" */
	const char *signature;	/* SignatureAlgorithm: "rsa-sha256" */
	int verifies;		/* Mode sv, else s */
	const char *conf;	/* its configuration file */
	const char *pid_file;
	const char *socket;	/* file name in ODK_SOCKET_DIR */
	const char *key_table;
	const char *signing_table;
	const struct webstack_service *svc;
};

#define ODK_N_INSTANCES 2
extern const struct odk_instance odk_instances[ODK_N_INSTANCES];

/* The unit of the Ed25519 signer and the drop-in that makes Debian's
 * opendkim.service pull it in (systemd hosts only). */
#define ODK_ED25519_UNIT ODK_UNIT_DIR "/opendkim-ed25519.service"
#define ODK_DROPIN ODK_UNIT_DIR "/opendkim.service.d/webstack.conf"

struct odk_settings {
	const char *trust_anchor_file;	/* "" when DNSSEC is not checked */
	const char *const *nameservers;	/* none: OpenDKIM resolves itself */
	size_t n_nameservers;
};

void odk_render_conf(struct mbuf *b, const struct odk_instance *in,
		     const struct webstack_mail *mail, const struct odk_settings *s);
/* The lines of the instance's keys that sign (the newest generation). */
void odk_render_key_table(struct mbuf *b, const struct odk_instance *in,
			  const struct webstack_directory *dir);
void odk_render_signing_table(struct mbuf *b, const struct odk_instance *in,
			      const struct webstack_directory *dir);
void odk_render_unit(struct mbuf *b);
void odk_render_dropin(struct mbuf *b);

#endif
