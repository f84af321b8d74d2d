/* `webstack mail status`: each role's own checks plus the directory's
 * counts and the certificate's expiry; exits 69 when anything is wrong. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <webstack/role-imap.h>
#include <webstack/role-mta.h>

#include "commands.h"
#include "fsutil.h"
#include "json.h"
#include "mail.h"
#include "tlscert.h"

/* Certificates that expire sooner than this are reported as a problem. */
#define CERT_WARN_DAYS 14

struct status_item {
	char *check, *value;
	int ok;
};

struct status {
	struct webstack_report report;	/* first */
	struct status_item *items;
	size_t n, cap;
};

static void status_item(struct webstack_report *r, const char *check,
			const char *value, int ok)
{
	struct status *st = (struct status *)r;

	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 16;
		st->items = xrealloc(st->items, st->cap * sizeof(*st->items));
	}
	st->items[st->n++] = (struct status_item){xstrdup(check), xstrdup(value), ok};
}

static void cert_item(struct mail_session *s, struct status *st)
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
	status_item(&st->report, "tls certificate", value, ok);
	buf_free(&pem);
}

static void count_items(struct mail_session *s, struct status *st)
{
	char n[32];

	snprintf(n, sizeof(n), "%zu", s->dir.domains.n);
	status_item(&st->report, "domains", n, 1);
	snprintf(n, sizeof(n), "%zu", s->dir.n_accounts);
	status_item(&st->report, "accounts", n, 1);
	snprintf(n, sizeof(n), "%zu", s->dir.n_aliases);
	status_item(&st->report, "aliases", n, 1);
}

static int print_status(struct ctx *c, const struct status *st)
{
	int all_ok = 1;
	struct json j;

	for (size_t i = 0; i < st->n; i++)
		all_ok &= st->items[i].ok;
	if (c->opt[OPT_JSON]) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_key(&j, "ok");
		json_bool(&j, all_ok);
		json_key(&j, "checks");
		json_arr_begin(&j);
		for (size_t i = 0; i < st->n; i++) {
			json_obj_begin(&j);
			json_key(&j, "check");
			json_str(&j, st->items[i].check);
			json_key(&j, "value");
			json_str(&j, st->items[i].value);
			json_key(&j, "ok");
			json_bool(&j, st->items[i].ok);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		json_done(&j);
	} else {
		for (size_t i = 0; i < st->n; i++)
			printf("%-4s %-18s %s\n", st->items[i].ok ? "ok" : "FAIL",
			       st->items[i].check, st->items[i].value);
	}
	return all_ok ? 0 : EX_UNAVAILABLE;
}

int cmd_mail_status(struct ctx *c, int argc, char **argv)
{
	struct status st = {.report = {.item = status_item}};
	struct mail_session s;
	const char *msg = NULL;
	int r;

	(void)argc;
	(void)argv;
	if (mail_open(&s, c, MAIL_READ, NULL) < 0) {
		mail_close(&s);
		return ctx_fail(c);
	}
	st.report.priv = &st;
	r = ((const struct webstack_mta_ops *)s.mta->desc->role_ops)
		    ->status(s.mta->state, &s.mail, &st.report, &msg);
	if (r < 0)
		status_item(&st.report, s.mta->name, msg ? msg : "status failed", 0);
	r = ((const struct webstack_imap_ops *)s.imap->desc->role_ops)
		    ->status(s.imap->state, &s.mail, &st.report, &msg);
	if (r < 0)
		status_item(&st.report, s.imap->name, msg ? msg : "status failed", 0);
	for (size_t i = 0; i < s.n_filters; i++) {
		const struct mail_filter *f = &s.filters[i];

		if (f->ops.status &&
		    f->ops.status(f->mod->state, &s.mail, &st.report, &msg) < 0)
			status_item(&st.report, f->mod->name,
				    msg ? msg : "status failed", 0);
	}
	count_items(&s, &st);
	cert_item(&s, &st);
	r = print_status(c, &st);
	for (size_t i = 0; i < st.n; i++) {
		free(st.items[i].check);
		free(st.items[i].value);
	}
	free(st.items);
	mail_close(&s);
	return r;
}
