/* `webstack mail status`: each role's own checks plus the directory's
 * counts (a directory module reports its own) and the certificate's
 * expiry; exits 69 when anything is wrong. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <webstack/role-directory.h>
#include <webstack/role-imap.h>
#include <webstack/role-mta.h>

#include "commands.h"
#include "fsutil.h"
#include "mail.h"
#include "report.h"
#include "tlscert.h"

/* Certificates that expire sooner than this are reported as a problem. */
#define CERT_WARN_DAYS 14

static void cert_item(struct mail_session *s, struct report *rep)
{
	struct buf pem = {0};
	struct err e = {0};
	char value[1200];
	time_t t;
	int ok = 0;

	if (fs_read(s->c->root, s->mail.tls_cert, &pem, NULL, &e) != 0) {
		snprintf(value, sizeof(value), "%s: missing", s->mail.tls_cert);
	} else if (tlscert_not_after(pem.data, pem.len, &t, &e) < 0) {
		snprintf(value, sizeof(value), "%s: %s", s->mail.tls_cert, e.msg);
	} else {
		long days = (long)((t - time(NULL)) / 86400);
		char date[32];

		strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&t));
		snprintf(value, sizeof(value), "%s on %s (%ld days)",
			 days < 0 ? "expired" : "expires", date, days);
		ok = days >= CERT_WARN_DAYS;
	}
	report_add(rep, "tls certificate", value, ok);
	buf_free(&pem);
}

static void count_items(struct mail_session *s, struct report *rep)
{
	char n[32];

	snprintf(n, sizeof(n), "%zu", s->dir.domains.n);
	report_add(rep, "domains", n, 1);
	snprintf(n, sizeof(n), "%zu", s->dir.n_accounts);
	report_add(rep, "accounts", n, 1);
	snprintf(n, sizeof(n), "%zu", s->dir.n_aliases);
	report_add(rep, "aliases", n, 1);
}

int cmd_mail_status(struct ctx *c, int argc, char **argv)
{
	struct report rep;
	struct mail_session s;
	const char *msg = NULL;
	int r;

	(void)argc;
	(void)argv;
	if (mail_open(&s, c, MAIL_READ, NULL) < 0) {
		mail_close(&s);
		return ctx_fail(c);
	}
	report_init(&rep);
	r = ((const struct webstack_mta_ops *)s.mta->desc->role_ops)
		    ->status(s.mta->state, &s.mail, &rep.sink, &msg);
	if (r < 0)
		report_add(&rep, s.mta->name, msg ? msg : "status failed", 0);
	r = ((const struct webstack_imap_ops *)s.imap->desc->role_ops)
		    ->status(s.imap->state, &s.mail, &rep.sink, &msg);
	if (r < 0)
		report_add(&rep, s.imap->name, msg ? msg : "status failed", 0);
	if (s.directory &&
	    ((const struct webstack_directory_ops *)s.directory->desc->role_ops)
		    ->status(s.directory->state, &s.mail, &rep.sink, &msg) < 0)
		report_add(&rep, s.directory->name, msg ? msg : "status failed", 0);
	for (size_t i = 0; i < s.n_filters; i++) {
		const struct mail_filter *f = &s.filters[i];

		if (f->ops.status &&
		    f->ops.status(f->mod->state, &s.mail, &rep.sink, &msg) < 0)
			report_add(&rep, f->mod->name, msg ? msg : "status failed", 0);
	}
	if (!s.directory)	/* a directory module's status() counts */
		count_items(&s, &rep);
	cert_item(&s, &rep);
	r = report_print(c, &rep) ? 0 : EX_UNAVAILABLE;
	report_free(&rep);
	mail_close(&s);
	return r;
}
