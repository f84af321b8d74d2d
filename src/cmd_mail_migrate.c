/* `webstack mail migrate --to BACKEND`: moves the domains, accounts and
 * aliases from the backend webstack.conf's `directory` names to another
 * one (files, or a directory module whose section is in webstack.conf),
 * in one run under the lock:
 *
 * - load everything from the old backend (hashes included);
 * - set the new one up and load what it holds: a module must hold nothing
 *   or the same (a migration that stopped, run again), since its database
 *   may be shared; the files are replaced (nothing reads them while a
 *   module holds the directory);
 * - `directory = "BACKEND"` in webstack.conf, then what `mail setup` does
 *   with the directory in the new backend, all in one transaction: the
 *   module's rows go in once the files are prepared (mail_commit());
 * - load the new backend again and compare it with the old one, and ask
 *   the imap role whether its server finds every account as a login would
 *   (check_logins()); print both as a report.
 *
 * The old backend is left as it was: a database other hosts may share
 * keeps its rows; the files stay as a copy nothing reads. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <webstack/role-imap.h>

#include "commands.h"
#include "confedit.h"
#include "dirdiff.h"
#include "log.h"
#include "mail.h"
#include "report.h"
#include "roles.h"

/* The module the directory goes to, NULL for the files. */
static int destination(struct mail_session *s, const char *to, struct module **m_r)
{
	struct module *m;

	*m_r = NULL;
	if (strcmp(to, CONF_DIRECTORY_FILES) == 0)
		return 0;
	m = loader_find(&s->c->loader, to);
	if (!m || m->desc->role != WEBSTACK_ROLE_DIRECTORY)
		return err_set(&s->c->err, EX_CONFIG,
			       "--to %s: no directory module '%s' is configured: add "
			       "its section (%s { ... }) to %s, see webstack.conf(5)",
			       to, to, to, s->c->config_path);
	*m_r = m;
	return 0;
}

static size_t n_changes(struct directory *a, struct directory *b)
{
	struct webstack_directory va, vb;
	struct dir_changes ch = {0};
	size_t n;

	dir_view(a, &va);
	dir_view(b, &vb);
	dir_diff(&va, &vb, &ch);
	n = ch.n;
	dir_changes_free(&ch);
	return n;
}

/* What the new backend holds before the move: nothing, the same, or (the
 * files only) something nobody reads. */
static int check_held(struct mail_session *s, struct directory *held, const char *to)
{
	size_t domains = held->domains.n, accounts = held->n_accounts,
	       aliases = held->n_aliases;

	if (!domains && !accounts && !aliases)
		return 0;
	if (n_changes(held, &s->dir) == 0) {
		log_msg(WEBSTACK_LOG_NOTICE, "%s holds this directory already: "
			"finishing the migration", to);
		return 0;
	}
	if (s->directory)
		return err_set(&s->c->err, EX_CANTCREAT,
			       "%s holds %zu domain(s), %zu account(s) and %zu "
			       "alias(es) already, not the ones of %s: `mail migrate` "
			       "moves into an empty directory", to, domains, accounts,
			       aliases, cfg_getstr(s->c->conf.core, "directory"));
	log_msg(WEBSTACK_LOG_NOTICE, "replacing the %zu domain(s), %zu account(s) "
		"and %zu alias(es) the files held from before (unused while the "
		"directory was in %s)", domains, accounts, aliases,
		cfg_getstr(s->c->conf.core, "directory"));
	return 0;
}

static void count_item(struct report *rep, const char *what, size_t before,
		       size_t after)
{
	char value[64];

	snprintf(value, sizeof(value), "%zu moved, %zu there", before, after);
	report_add(rep, what, value, before == after);
}

/* After the commit: the new backend loaded again against what was moved,
 * and the login check. */
static int verify(struct mail_session *s, struct report *rep)
{
	int (*check)(void *, const struct webstack_mail *,
		     const struct webstack_account *, size_t, struct webstack_report *,
		     size_t *, const char **) =
		OPTIONAL_OP(s->imap, webstack_imap_ops, check_logins);
	struct directory now = {0};
	struct webstack_directory view;
	const char *msg = NULL;
	size_t bad = 0, differ;
	char value[96];
	int r;

	if (mail_load_into(s, &now) < 0)
		return -1;
	count_item(rep, "domains", s->dir.domains.n, now.domains.n);
	count_item(rep, "accounts", s->dir.n_accounts, now.n_accounts);
	count_item(rep, "aliases", s->dir.n_aliases, now.n_aliases);
	differ = n_changes(&s->dir, &now);
	snprintf(value, sizeof(value), differ ? "%zu difference(s)" : "identical",
		 differ);
	report_add(rep, "directory", value, differ == 0);
	dir_free(&now);
	if (!check) {
		report_add(rep, "logins", "not checked: the imap module cannot", 1);
		return 0;
	}
	dir_view(&s->dir, &view);
	r = check(s->imap->state, &s->mail, view.accounts, view.n_accounts, &rep->sink,
		  &bad, &msg);
	if (ctx_op_result(s->c, s->imap, "check_logins", r, msg) < 0)
		return err_prefix(&s->c->err, "the directory is in %s now, but the "
				  "login check failed", s->mail.directory);
	snprintf(value, sizeof(value), "%zu of %zu account(s) found by the imap "
		 "server's passdb", view.n_accounts - bad, view.n_accounts);
	report_add(rep, "logins", value, bad == 0);
	return 0;
}

int cmd_mail_migrate(struct ctx *c, int argc, char **argv)
{
	const char *to = c->opt[OPT_TO];
	struct mail_session s;
	struct directory held = {0};
	struct module *dest = NULL;
	struct report rep;
	int r, all_ok = 1;

	(void)argc;
	(void)argv;
	if (!to) {
		err_set(&c->err, EX_USAGE, "mail migrate needs --to files or --to "
			"MODULE (say, --to pgsql)");
		return ctx_fail(c);
	}
	r = mail_open(&s, c, MAIL_SETUP, NULL);
	if (r == 0 && s.vmail_missing)
		r = err_set(&c->err, EX_CONFIG, "the system user '%s' does not exist: "
			    "run `webstack mail setup` first", s.mail.vmail_user);
	if (r == 0 && strcmp(to, s.mail.directory) == 0) {
		log_msg(WEBSTACK_LOG_NOTICE, "the directory is in %s already "
			"(directory = \"%s\"): nothing to migrate", to, to);
		mail_close(&s);
		return 0;
	}
	if (r == 0)
		r = destination(&s, to, &dest);
	if (r == 0)
		r = mail_switch_directory(&s, dest, &held);
	if (r == 0)
		r = check_held(&s, &held, to);
	dir_free(&held);
	if (r == 0)
		r = conf_stage_option(c, "directory", to);
	if (r == 0)
		r = mail_setup_steps(&s);
	report_init(&rep);
	if (r == 0 && !c->opt[OPT_DRY_RUN]) {
		r = verify(&s, &rep);
		if (r == 0)
			all_ok = report_print(c, &rep);
	}
	report_free(&rep);
	mail_close(&s);
	if (r == 0 && !all_ok)
		r = err_set(&c->err, EX_UNAVAILABLE, "the directory is in %s now, "
			    "but not everything above checks out", to);
	return r < 0 ? ctx_fail(c) : 0;
}
