#include "config.h"

/* The text of every file the opendkim module writes. */
#include <string.h>

#include "opendkim.h"

#define HEADER "# Written by webstack(8), module opendkim: `webstack mail setup`\n" \
	       "# and every domain change rewrite it.\n"

void odk_render_conf(struct mbuf *b, const struct odk_instance *in,
		     const struct webstack_mail *mail, const struct odk_settings *s)
{
	mbuf_puts(b, HEADER);
	mbuf_printf(b, "# This instance signs with %s keys%s.\n", in->algorithm,
		    in->verifies ? " and verifies inbound mail" : " only");
	mbuf_puts(b, "Syslog\t\t\tyes\nSyslogSuccess\t\tyes\n");
	mbuf_puts(b, "UserID\t\t\t" ODK_USER "\n");
	/* the socket directory is setgid postfix: the socket gets group
	 * postfix and mode 0770, and nobody else can ask for a signature */
	mbuf_puts(b, "UMask\t\t\t007\n");
	mbuf_printf(b, "Socket\t\t\tlocal:" ODK_SOCKET_DIR "/%s\n", in->socket);
	mbuf_printf(b, "PidFile\t\t\t%s\n", in->pid_file);
	mbuf_printf(b, "Mode\t\t\t%s\n", in->verifies ? "sv" : "s");
	mbuf_printf(b, "SignatureAlgorithm\t%s\n", in->signature);
	mbuf_puts(b, "Canonicalization\trelaxed/simple\n");
	/* a From: added on the way cannot slip in under the signature */
	mbuf_puts(b, "OversignHeaders\t\tFrom\n");
	mbuf_printf(b, "KeyTable\t\tfile:%s\n", in->key_table);
	mbuf_printf(b, "SigningTable\t\trefile:%s\n", in->signing_table);
	/* Signed: mail from authenticated clients (Postfix passes
	 * {auth_type}), from the submission services (their
	 * milter_macro_daemon_name), and from this host (sendmail). */
	mbuf_puts(b, "InternalHosts\t\t127.0.0.1, ::1\n");
	mbuf_puts(b, "MTA\t\t\tORIGINATING\n");
	mbuf_printf(b, "AuthservID\t\t%s\n", mail->hostname);
	if (in->verifies)
		mbuf_puts(b, "AlwaysAddARHeader\tyes\n");
	if (*s->trust_anchor_file)
		mbuf_printf(b, "TrustAnchorFile\t\t%s\n", s->trust_anchor_file);
	if (s->n_nameservers) {
		mbuf_puts(b, "Nameservers\t\t");
		for (size_t i = 0; i < s->n_nameservers; i++)
			mbuf_printf(b, "%s%s", i ? "," : "", s->nameservers[i]);
		mbuf_puts(b, "\n");
	}
}

static int signs_for(const struct odk_instance *in, const struct webstack_dkim_key *k)
{
	return k->signing && strcmp(k->algorithm, in->algorithm) == 0;
}

void odk_render_key_table(struct mbuf *b, const struct odk_instance *in,
			  const struct webstack_directory *dir)
{
	mbuf_puts(b, HEADER);
	for (size_t i = 0; i < dir->n_dkim_keys; i++) {
		const struct webstack_dkim_key *k = &dir->dkim_keys[i];

		if (signs_for(in, k))
			mbuf_printf(b, "%s._domainkey.%s %s:%s:%s\n", k->selector,
				    k->domain, k->domain, k->selector, k->key_path);
	}
}

void odk_render_signing_table(struct mbuf *b, const struct odk_instance *in,
			      const struct webstack_directory *dir)
{
	mbuf_puts(b, HEADER);
	/* refile: patterns matched against the From: address */
	for (size_t i = 0; i < dir->n_dkim_keys; i++) {
		const struct webstack_dkim_key *k = &dir->dkim_keys[i];

		if (signs_for(in, k))
			mbuf_printf(b, "*@%s %s._domainkey.%s\n", k->domain,
				    k->selector, k->domain);
	}
}

void odk_render_unit(struct mbuf *b)
{
	const struct odk_instance *in = &odk_instances[1];

	mbuf_puts(b, HEADER);
	mbuf_puts(b, "# Debian 12's OpenDKIM signs with one algorithm per process;\n"
		  "# opendkim.service runs the RSA signer, this one the Ed25519 one.\n"
		  "[Unit]\n"
		  "Description=OpenDKIM Milter (Ed25519 signer of webstack)\n"
		  "Documentation=man:opendkim(8) man:webstack(8)\n"
		  "After=network-online.target nss-lookup.target\n"
		  "Wants=network-online.target\n"
		  "PartOf=opendkim.service\n\n"
		  "[Service]\n"
		  "Type=forking\n");
	mbuf_printf(b, "PIDFile=%s\n", in->pid_file);
	mbuf_printf(b, "ExecStart=/usr/sbin/opendkim -x %s\n", in->conf);
	mbuf_puts(b, "ExecReload=/bin/kill -USR1 $MAINPID\n"
		  "Restart=on-failure\n");
}

void odk_render_dropin(struct mbuf *b)
{
	mbuf_puts(b, HEADER);
	mbuf_puts(b, "# Starting OpenDKIM starts both signers (at boot too).\n"
		  "[Unit]\n"
		  "Wants=opendkim-ed25519.service\n");
}
