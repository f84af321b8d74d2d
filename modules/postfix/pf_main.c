#include "config.h"

/* What webstack sets in main.cf and master.cf, and why. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postfix.h"

/* Mozilla "intermediate" minus DHE (no DH parameters to manage): ECDHE
 * with AEAD only. Used on 465 and 587 through the "high" grade. */
#define CIPHERS                                                                \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* A map, or with the directory in a database the module's lookup table
 * of the same name (/etc/postfix/pgsql/vmailbox.cf, written by it). */
static char *map(struct pf_state *st, const char *name)
{
	char *s = NULL;
	int r = st->directory[0] ?
		asprintf(&s, "%s:" PF_DIR "/%s/%s.cf", st->directory, st->directory, name) :
		asprintf(&s, "%s:" PF_DIR "/%s", st->map_type, name);

	return r < 0 ? NULL : s;
}

/* "a, b": the filters' milters in order, for smtpd and for mail that
 * enters through sendmail (non_smtpd_milters), so local mail is signed
 * too. An empty list switches filtering off. */
static char *milter_list(const struct webstack_mail *m)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < m->n_milters; i++)
		len += strlen(m->milters[i]) + 2;
	s = malloc(len);
	if (!s)
		return NULL;
	*s = '\0';
	for (size_t i = 0; i < m->n_milters; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, m->milters[i]);
	}
	return s;
}

static char *str(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

struct pf_param *pf_main_params(struct pf_state *st, const struct webstack_mail *m,
				int bare_newline, size_t *n_r)
{
	struct pf_param p[] = {
		{"myhostname", str("%s", m->hostname)},
		/* Virtual domains must never be in mydestination
		 * (VIRTUAL_README); only the host's own local names are. */
		{"mydestination", str("localhost")},
		/* Never wider than the host itself: relaying is for
		 * authenticated users only. */
		{"mynetworks", str("127.0.0.0/8 [::1]/128")},
		{"inet_interfaces", str("all")},
		{"smtpd_banner", str("$myhostname ESMTP")},
		{"biff", str("no")},
		{"append_dot_mydomain", str("no")},
		{"virtual_mailbox_domains", map(st, "vdomains")},
		{"virtual_mailbox_maps", map(st, "vmailbox")},
		{"virtual_alias_maps", map(st, "virtual")},
		{"virtual_mailbox_base", str("%s", m->mail_root)},
		{"virtual_transport", str("lmtp:unix:private/dovecot-lmtp")},
		{"recipient_delimiter", str("+")},
		{"message_size_limit", str("%llu", (unsigned long long)m->message_size_limit)},
		{"mailbox_size_limit", str("0")},
		/* SASL through Dovecot, switched on only on 465 and 587. */
		{"smtpd_sasl_type", str("dovecot")},
		{"smtpd_sasl_path", str("private/auth")},
		{"smtpd_sasl_auth_enable", str("no")},
		{"smtpd_sasl_security_options", str("noanonymous")},
		{"smtpd_sasl_tls_security_options", str("noanonymous")},
		{"smtpd_tls_auth_only", str("yes")},
		{"smtpd_tls_cert_file", str("%s", m->tls_cert)},
		{"smtpd_tls_key_file", str("%s", m->tls_key)},
		{"smtpd_tls_security_level", str("may")},
		{"smtpd_tls_protocols", str(">=TLSv1.2")},
		{"smtpd_tls_mandatory_protocols", str(">=TLSv1.2")},
		{"smtpd_tls_mandatory_ciphers", str("high")},
		{"tls_high_cipherlist", str(CIPHERS)},
		{"tls_preempt_cipherlist", str("no")},
		{"tls_ssl_options", str("NO_RENEGOTIATION")},
		{"smtpd_tls_received_header", str("yes")},
		/* No open relay: unauthenticated clients reach local domains
		 * only; routing tricks are off. */
		{"smtpd_relay_restrictions",
		 str("permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination")},
		{"smtpd_recipient_restrictions", str("reject_non_fqdn_recipient")},
		{"allow_percent_hack", str("no")},
		{"swap_bangpath", str("no")},
		{"smtpd_helo_required", str("yes")},
		{"disable_vrfy_command", str("yes")},
		{"smtputf8_enable", str("no")},
		{"smtpd_milters", milter_list(m)},
		{"non_smtpd_milters", str("$smtpd_milters")},
		/* A filter that does not answer defers mail; it is never
		 * passed on unsigned or unscanned. */
		{"milter_default_action", str("tempfail")},
		/* SMTP smuggling (CVE-2023-51764), where this Postfix has it. */
		{"smtpd_forbid_bare_newline", bare_newline ? str("normalize") : NULL},
	};
	size_t n = sizeof(p) / sizeof(p[0]) - !bare_newline;
	struct pf_param *out = malloc(sizeof(p));
	int ok = out != NULL;

	for (size_t i = 0; i < n; i++)
		ok &= p[i].value != NULL;
	if (!ok) {
		pf_params_free(p, n);
		free(out);
		return NULL;
	}
	memcpy(out, p, n * sizeof(*p));
	*n_r = n;
	return out;
}

void pf_params_free(struct pf_param *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].value);
}

/* The three smtpd services. Submission (587) and submissions (465) share
 * every option but the TLS mode. */
static char *smtpd_entry(struct pf_state *st, const char *name, int wrapper)
{
	char *login, *e;

	if (!name)
		return str("smtp      inet  n       -       y       -       -       smtpd\n");
	login = map(st, "sender_login");
	if (!login)
		return NULL;
	e = str("%-9s inet  n       -       y       -       -       smtpd\n"
		"  -o syslog_name=postfix/%s\n"
		"  -o smtpd_tls_wrappermode=%s\n"
		"  -o smtpd_tls_security_level=encrypt\n"
		"  -o smtpd_sasl_auth_enable=yes\n"
		"  -o smtpd_tls_auth_only=yes\n"
		"  -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n"
		"  -o smtpd_sender_login_maps=%s\n"
		"  -o smtpd_sender_restrictions=reject_sender_login_mismatch\n"
		"  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
		"  -o smtpd_recipient_restrictions=\n"
		"  -o milter_macro_daemon_name=ORIGINATING\n",
		name, name, wrapper ? "yes" : "no", login);
	free(login);
	return e;
}

struct pf_service_entry *pf_master_services(struct pf_state *st,
					    const struct webstack_mail *m,
					    size_t *n_r)
{
	static const char *const smtp[] = {"smtp", "25", NULL};
	static const char *const submission[] = {"submission", "587", NULL};
	static const char *const smtps[] = {"smtps", "submissions", "465", NULL};
	struct pf_service_entry *s = calloc(3, sizeof(*s));
	int ok;

	if (!s)
		return NULL;
	s[0] = (struct pf_service_entry){smtp, "inet",
		m->enabled[WEBSTACK_SVC_SMTP] ? smtpd_entry(st, NULL, 0) : NULL};
	s[1] = (struct pf_service_entry){submission, "inet",
		m->enabled[WEBSTACK_SVC_SUBMISSION] ? smtpd_entry(st, "submission", 0) : NULL};
	s[2] = (struct pf_service_entry){smtps, "inet",
		m->enabled[WEBSTACK_SVC_SUBMISSIONS] ? smtpd_entry(st, "smtps", 1) : NULL};
	ok = (!m->enabled[WEBSTACK_SVC_SMTP] || s[0].entry) &&
	     (!m->enabled[WEBSTACK_SVC_SUBMISSION] || s[1].entry) &&
	     (!m->enabled[WEBSTACK_SVC_SUBMISSIONS] || s[2].entry);
	if (!ok) {
		pf_services_free(s, 3);
		return NULL;
	}
	*n_r = 3;
	return s;
}

void pf_services_free(struct pf_service_entry *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i].entry);
	free(s);
}
