/* `webstack mail setup`: the vmail user, the host name, the TLS files, the
 * mail root, the DKIM keys' modes, then each role's setup() and publish(),
 * in one transaction. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include <webstack/role-imap.h>
#include <webstack/role-mta.h>

#include "commands.h"
#include "confedit.h"
#include "log.h"
#include "mail.h"
#include "maildkim.h"
#include "run.h"
#include "tlscert.h"

/* What a dry run shows for the uid and gid of a user not yet created. */
#define PLACEHOLDER_ID 65534

/* The one change made outside the transaction: useradd has its own
 * locking and nothing else can create a user. */
static int make_vmail_user(struct mail_session *s)
{
	const char *argv[] = {"/usr/sbin/useradd", "--system", "--user-group",
			      "--home-dir", s->mail.mail_root, "--no-create-home",
			      "--shell", "/usr/sbin/nologin", "--comment",
			      "webstack virtual mail", "--", s->mail.vmail_user, NULL};
	struct passwd *pw;
	int status;

	if (*s->c->root)
		return err_set(&s->c->err, EX_CONFIG, "the system user '%s' does not "
			       "exist, and webstack creates users only on the running "
			       "system: create it in the image under --root first",
			       s->mail.vmail_user);
	if (s->c->opt[OPT_DRY_RUN]) {
		s->mail.vmail_uid = s->mail.vmail_gid = PLACEHOLDER_ID;
		log_msg(WEBSTACK_LOG_NOTICE, "would create the system user '%s' "
			"(uid and gid %d below stand in for the ones it will get)",
			s->mail.vmail_user, PLACEHOLDER_ID);
		return 0;
	}
	if (run_program(argv, NULL, 0, NULL, &status, &s->c->err) < 0)
		return -1;
	pw = getpwnam(s->mail.vmail_user);
	if (status != 0 || !pw)
		return err_set(&s->c->err, EX_CANTCREAT,
			       "cannot create the system user '%s' (useradd exit %d)",
			       s->mail.vmail_user, status);
	s->mail.vmail_uid = pw->pw_uid;
	s->mail.vmail_gid = pw->pw_gid;
	log_msg(WEBSTACK_LOG_NOTICE, "created the system user '%s' (uid %ld)",
		s->mail.vmail_user, (long)pw->pw_uid);
	return 0;
}

/* --hostname is kept in webstack.conf, so later commands use it too. */
static int keep_hostname(struct mail_session *s)
{
	if (strcmp(cfg_getstr(s->c->conf.core, "hostname"), s->hostname) == 0)
		return 0;
	return conf_stage_option(s->c, "hostname", s->hostname);
}

/* A self-signed certificate when webstack.conf names none and none was
 * made before. */
static int ensure_tls(struct mail_session *s)
{
	struct ctx *c = s->c;
	struct buf cert = {0}, key = {0};
	int have_cert, have_key, r;

	have_cert = txn_read(c->txn, s->mail.tls_cert, &cert, &c->err);
	buf_free(&cert);
	have_key = txn_read(c->txn, s->mail.tls_key, &key, &c->err);
	buf_free_secret(&key);
	if (have_cert < 0 || have_key < 0)
		return -1;
	if (have_cert == 0 && have_key == 0)
		return 0;
	if (*cfg_getstr(c->conf.core, "tls_cert") || *cfg_getstr(c->conf.core, "tls_key"))
		return err_set(&c->err, EX_CONFIG, "%s: tls_cert '%s' and tls_key '%s' "
			       "must both exist", c->config_path, s->mail.tls_cert,
			       s->mail.tls_key);
	if (tlscert_make(s->hostname, &cert, &key, &c->err) < 0) {
		buf_free(&cert);
		buf_free_secret(&key);
		return -1;
	}
	r = txn_stage_file(c->txn, &(struct webstack_file){.path = s->mail.tls_key,
			   .data = key.data, .len = key.len, .mode = 0600,
			   .flags = WEBSTACK_FILE_SECRET}, &c->err);
	if (r == 0)
		r = txn_stage_file(c->txn, &(struct webstack_file){
			.path = s->mail.tls_cert, .data = cert.data, .len = cert.len,
			.mode = 0644}, &c->err);
	buf_free(&cert);
	buf_free_secret(&key);
	if (r == 0)
		log_msg(WEBSTACK_LOG_NOTICE, "no TLS certificate configured: %s a "
			"self-signed one for %s in %s (set tls_cert and tls_key in "
			"webstack.conf to use your own)",
			c->opt[OPT_DRY_RUN] ? "would make" : "making",
			s->hostname, s->mail.tls_cert);
	return r;
}

static int role_setups(struct mail_session *s)
{
	const struct webstack_imap_ops *imap = s->imap->desc->role_ops;
	const struct webstack_mta_ops *mta = s->mta->desc->role_ops;
	const char *msg = NULL;
	int r;

	/* the filters first: the MTA's setup names their milters */
	if (mail_filter_setups(s) < 0)
		return -1;
	/* the op runs before msg is read: argument order is unspecified */
	r = imap->setup(s->imap->state, &s->mail, &msg);
	if (ctx_op_result(s->c, s->imap, "setup", r, msg) < 0)
		return -1;
	r = mta->setup(s->mta->state, &s->mail, &msg);
	if (ctx_op_result(s->c, s->mta, "setup", r, msg) < 0)
		return -1;
	return mail_filter_disables(s);
}

int mail_setup_steps(struct mail_session *s)
{
	if (ensure_tls(s) < 0 || mail_stage_store(s) < 0 || maildkim_fix_modes(s) < 0 ||
	    role_setups(s) < 0 || mail_publish(s, 0) < 0)
		return -1;
	return mail_commit(s);
}

int cmd_mail_setup(struct ctx *c, int argc, char **argv)
{
	struct mail_session s;
	int r;

	(void)argc;
	(void)argv;
	r = mail_open(&s, c, MAIL_SETUP, c->opt[OPT_HOSTNAME]);
	if (r == 0 && s.vmail_missing)
		r = make_vmail_user(&s);
	if (r == 0)
		r = keep_hostname(&s);
	if (r == 0)
		r = mail_setup_steps(&s);
	if (r == 0 && !c->opt[OPT_DRY_RUN])
		log_msg(WEBSTACK_LOG_NOTICE, "mail server %s is set up: %zu domain(s), "
			"%zu account(s)", s.hostname, s.dir.domains.n, s.dir.n_accounts);
	mail_close(&s);
	return r < 0 ? ctx_fail(c) : 0;
}
