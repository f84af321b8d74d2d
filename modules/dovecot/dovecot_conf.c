#include <string.h>

#include "dovecot_conf.h"

const struct dv_listener dv_listeners[] = {
	{"imap-login", "imap", "imap", 143, 0, WEBSTACK_SVC_IMAP},
	{"imap-login", "imap", "imaps", 993, 1, WEBSTACK_SVC_IMAPS},
	{"pop3-login", "pop3", "pop3", 110, 0, WEBSTACK_SVC_POP3},
	{"pop3-login", "pop3", "pop3s", 995, 1, WEBSTACK_SVC_POP3S},
	{"managesieve-login", "sieve", "sieve", 4190, 0, WEBSTACK_SVC_SIEVE},
};
const size_t dv_n_listeners = sizeof(dv_listeners) / sizeof(dv_listeners[0]);

/* Mozilla "intermediate" without the DHE suites, so no ssl_dh is needed. */
#define CIPHERS                                                              \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"        \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"        \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static int same_service(size_t i, size_t j)
{
	return strcmp(dv_listeners[i].service, dv_listeners[j].service) == 0;
}

static int starts_service(size_t i)
{
	return i == 0 || !same_service(i, i - 1);
}

/* A protocol is on when any listener of its login service is. */
static int protocol_enabled(const struct webstack_mail *mail, size_t first)
{
	for (size_t i = first; i < dv_n_listeners && same_service(i, first); i++)
		if (mail->enabled[dv_listeners[i].svc])
			return 1;
	return 0;
}

static void render_protocols(struct mbuf *b, const struct webstack_mail *mail)
{
	mbuf_puts(b, "protocols = lmtp");
	for (size_t i = 0; i < dv_n_listeners; i++)
		if (starts_service(i) && protocol_enabled(mail, i))
			mbuf_printf(b, " %s", dv_listeners[i].protocol);
	mbuf_puts(b, "\n");
}

static void render_header(struct mbuf *b, const struct webstack_mail *mail)
{
	mbuf_puts(b, "# Managed by webstack, which rewrites this file: put local additions into "
		     DV_LOCAL_CONF_PATH "\n");
	render_protocols(b, mail);
	mbuf_printf(b, "listen = *, ::\n"
		       "hostname = %s\n\n", mail->hostname);
}

static void render_tls(struct mbuf *b, const struct webstack_mail *mail)
{
	mbuf_printf(b, "ssl = required\n"
		       "ssl_cert = <%s\n"
		       "ssl_key = <%s\n"
		       "ssl_min_protocol = TLSv1.2\n"
		       "ssl_prefer_server_ciphers = no\n"
		       "ssl_cipher_list = " CIPHERS "\n\n",
		    mail->tls_cert, mail->tls_key);
}

/* passwd-file is the only passdb: no pam or passwd driver, so system
 * accounts can never log in. With the directory in a database (a module
 * of the directory role) its sql lookups take the place of the file, and
 * nothing is cached: another host may add or delete an account at any
 * time, and nobody flushes this host's cache then. */
static void render_auth(struct mbuf *b, const struct webstack_mail *mail)
{
	mbuf_puts(b, "disable_plaintext_auth = yes\n"
		     "auth_mechanisms = plain login\n");
	if (mail->directory && strcmp(mail->directory, "files") != 0) {
		mbuf_printf(b, "auth_cache_size = 0\n"
			       "passdb {\n"
			       "  driver = sql\n"
			       "  args = /etc/dovecot/dovecot-%s.conf.ext\n"
			       "}\n"
			       "userdb {\n"
			       "  driver = sql\n"
			       "  args = /etc/dovecot/dovecot-%s.conf.ext\n"
			       "}\n\n", mail->directory, mail->directory);
		return;
	}
	mbuf_puts(b, "auth_cache_size = 10M\n"
		     "auth_cache_ttl = 1 hour\n"
		     "auth_cache_negative_ttl = 1 hour\n"
		     "passdb {\n"
		     "  driver = passwd-file\n"
		     "  args = username_format=%Lu " DV_USERS_PATH "\n"
		     "}\n"
		     "userdb {\n"
		     "  driver = passwd-file\n"
		     "  args = username_format=%Lu " DV_USERS_PATH "\n"
		     "}\n\n");
}

/* Only the vmail user may own mail: a passwd-file entry with another uid
 * cannot reach anyone else's files. */
static void render_mail(struct mbuf *b, const struct webstack_mail *mail)
{
	static const char *const special[] = {"Drafts", "Junk", "Sent", "Trash"};

	mbuf_printf(b, "mail_location = maildir:%s/%%d/%%n\n"
		       "first_valid_uid = %lu\n"
		       "last_valid_uid = %lu\n"
		       "first_valid_gid = %lu\n"
		       "last_valid_gid = %lu\n"
		       "mail_privileged_group =\n"
		       "namespace inbox {\n"
		       "  inbox = yes\n",
		    mail->mail_root, (unsigned long)mail->vmail_uid,
		    (unsigned long)mail->vmail_uid, (unsigned long)mail->vmail_gid,
		    (unsigned long)mail->vmail_gid);
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		mbuf_printf(b, "  mailbox %s {\n"
			       "    special_use = \\%s\n"
			       "    auto = subscribe\n"
			       "  }\n", special[i], special[i]);
	mbuf_puts(b, "}\n\n");
}

/* A disabled listener stays in its block with port 0, so the file always
 * has the same shape. */
static void render_listeners(struct mbuf *b, const struct webstack_mail *mail)
{
	for (size_t i = 0; i < dv_n_listeners; i++) {
		const struct dv_listener *l = &dv_listeners[i];

		if (starts_service(i))
			mbuf_printf(b, "service %s {\n", l->service);
		mbuf_printf(b, "  inet_listener %s {\n"
			       "    port = %u\n%s"
			       "  }\n", l->name, mail->enabled[l->svc] ? l->port : 0,
			    l->ssl ? "    ssl = yes\n" : "");
		if (i + 1 == dv_n_listeners || starts_service(i + 1))
			mbuf_puts(b, "}\n");
	}
}

/* The sockets Postfix uses, inside its chroot's private/ directory. */
static void render_sockets(struct mbuf *b, const struct webstack_mail *mail)
{
	mbuf_printf(b, "service lmtp {\n"
		       "  unix_listener " DV_LMTP_SOCKET " {\n"
		       "    mode = 0600\n"
		       "    user = postfix\n"
		       "    group = postfix\n"
		       "  }\n"
		       "}\n"
		       "service auth {\n"
		       "  unix_listener " DV_AUTH_SOCKET " {\n"
		       "    mode = 0660\n"
		       "    user = postfix\n"
		       "    group = postfix\n"
		       "  }\n"
		       "  unix_listener auth-userdb {\n"
		       "    mode = 0600\n"
		       "    user = %s\n"
		       "  }\n"
		       "  # one ARGON2ID verification takes 64 MiB\n"
		       "  vsz_limit = 1G\n"
		       "}\n\n", mail->vmail_user);
}

static void render_delivery(struct mbuf *b, const struct webstack_mail *mail)
{
	mbuf_printf(b, "protocol lmtp {\n"
		       "  mail_plugins = $mail_plugins sieve\n"
		       "  postmaster_address = postmaster@%s\n"
		       "}\n"
		       /* home is the Maildir root, where a name starting
			* with '.' is a Maildir++ folder: no dot here */
		       "plugin {\n"
		       "  sieve = file:~/sieve;active=~/dovecot.sieve\n"
		       "}\n\n", mail->hostname);
}

void dv_conf_render(struct mbuf *b, const struct webstack_mail *mail)
{
	render_header(b, mail);
	render_tls(b, mail);
	render_auth(b, mail);
	render_mail(b, mail);
	render_listeners(b, mail);
	render_sockets(b, mail);
	render_delivery(b, mail);
	mbuf_puts(b, "!include_try " DV_LOCAL_CONF_PATH "\n");
}
