/* `webstack mail check [--repair]`: are Postfix's maps and their sources,
 * Dovecot's users file, the Maildirs and the keys in step?
 *
 * Everything `mail setup` derives from the directory is staged exactly as
 * setup would stage it (the mail store, the modules' published files and
 * maps, the DKIM keys' modes); whatever would change, and every action
 * that would run (a stale map to compile, a daemon to start), is what is
 * out of step. Without --repair it is printed and nothing is written;
 * with --repair it is committed, in one transaction. What cannot be
 * derived is only reported: an account whose domain is not a mail domain,
 * and Maildirs or domain directories that belong to nothing (orphans,
 * which may hold mail, so they are never removed). */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "mail.h"
#include "maildkim.h"

/* Names of the subdirectories of dir (not hidden ones), sorted. */
static void subdirs(struct ctx *c, const char *dir, struct strv *out)
{
	char *real = xasprintf("%s%s", c->root, dir);
	DIR *d = opendir(real);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && de->d_type == DT_DIR)
			strv_add(out, de->d_name);
	if (d)
		closedir(d);
	free(real);
}

static int has_account(const struct directory *dir, const char *domain,
		       const char *local)
{
	char *address = xasprintf("%s@%s", local, domain);
	int found = dir_account(dir, address) != NULL;

	free(address);
	return found;
}

/* What cannot be repaired; returns how many. */
static size_t report_underivable(struct mail_session *s)
{
	struct strv domains = {0};
	size_t n = 0;

	for (size_t i = 0; i < s->dir.n_accounts; i++)
		if (!dir_has_domain(&s->dir, s->dir.accounts[i].domain)) {
			printf("# account %s: its domain is not a mail domain (add it, "
			       "or delete the account)\n", s->dir.accounts[i].address);
			n++;
		}
	subdirs(s->c, s->mail.mail_root, &domains);
	for (size_t i = 0; i < domains.n; i++) {
		struct strv users = {0};
		char *dir;

		if (!dir_has_domain(&s->dir, domains.v[i])) {
			printf("# orphan: %s/%s belongs to no mail domain (kept)\n",
			       s->mail.mail_root, domains.v[i]);
			n++;
			continue;
		}
		dir = xasprintf("%s/%s", s->mail.mail_root, domains.v[i]);
		subdirs(s->c, dir, &users);
		for (size_t k = 0; k < users.n; k++)
			if (!has_account(&s->dir, domains.v[i], users.v[k])) {
				printf("# orphan: %s/%s is the Maildir of no account "
				       "(kept)\n", dir, users.v[k]);
				n++;
			}
		strv_free(&users);
		free(dir);
	}
	strv_free(&domains);
	return n;
}

int cmd_mail_check(struct ctx *c, int argc, char **argv)
{
	int repair = c->opt[OPT_REPAIR] != NULL;
	struct mail_session s;
	size_t out_of_step = 0, underivable = 0;
	int r;

	(void)argc;
	(void)argv;
	r = mail_open(&s, c, MAIL_CHANGE, NULL);
	if (r == 0)
		r = mail_stage_store(&s);
	if (r == 0)
		r = maildkim_fix_modes(&s);
	if (r == 0)
		r = mail_publish(&s, 0);
	if (r == 0 && (!repair || c->opt[OPT_DRY_RUN])) {
		int files = txn_diff(c->txn, stdout, &c->err);

		r = files < 0 ? -1 : 0;
		out_of_step = (files > 0 ? (size_t)files : 0) +
			      txn_print_actions(c->txn, stdout);
	} else if (r == 0) {
		r = mail_commit(&s);
	}
	if (r == 0)
		underivable = report_underivable(&s);
	if (r == 0 && !c->opt[OPT_QUIET])
		log_msg(WEBSTACK_LOG_NOTICE, "%s; %zu thing(s) only a person can sort out",
			repair && !c->opt[OPT_DRY_RUN] ? "repaired what was out of step" :
			out_of_step ? "out of step (see above): `webstack mail check "
				      "--repair` fixes it" : "everything derived is in step",
			underivable);
	mail_close(&s);
	if (r < 0)
		return ctx_fail(c);
	return out_of_step || underivable ? 1 : 0;
}
