/* The `webstack mail add|del|passwd` commands: each validates its
 * arguments before anything else, changes the directory under the lock,
 * stages the Maildir when one is needed, and lets the modules publish. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dkimkey.h"
#include "log.h"
#include "maildkim.h"
#include "mail.h"
#include "mail_append.h"
#include "password.h"
#include "purge.h"
#include "validate.h"

struct change {
	int removing;		/* publish order: mta first */
	int (*apply)(struct mail_session *s, struct change *ch);
	/* Without the accounts loaded, by appending (mail_append.h): 0 when
	 * staged, 1 when apply() must do it after all, -1 on error. */
	int (*append)(struct mail_session *s, struct change *ch);
	const char *name;	/* normalised DOMAIN or ADDRESS */
	size_t local_len;
	const char *hash;	/* add account, passwd */
	struct strv targets;	/* add alias */
	const char *done;	/* notice after the commit */
	int noop;		/* nothing to change: say so, exit 0 */
	int appended;		/* staged by append(): no publish */
	int purge;		/* del account --purge */
	const char *selector;	/* dkim retire */
};

/* The change by appending, when it can be: 0 done (staged), 1 not done,
 * -1 on error. --dry-run shows the change as the whole files render it. */
static int run_append(struct ctx *c, struct mail_session *s, struct change *ch)
{
	int r = mail_open_without_accounts(s, c);

	if (r == 0)
		r = ch->append(s, ch);
	if (r != 1)
		return r;
	txn_clear(c->txn);	/* what a role staged before another said no */
	return mail_reload(s) < 0 ? -1 : 1;
}

static int run_change(struct ctx *c, struct change *ch)
{
	struct mail_session s;
	int r;

	if (ch->append && !c->opt[OPT_DRY_RUN])
		r = run_append(c, &s, ch);
	else
		r = mail_open(&s, c, MAIL_CHANGE, NULL) < 0 ? -1 : 1;
	if (r == 1)
		r = ch->apply(&s, ch);
	if (r == 0 && !ch->noop && !ch->appended)
		r = mail_publish(&s, ch->removing);
	if (r == 0 && !ch->noop)
		r = mail_commit(&s);
	if (r == 0 && ch->purge && c->opt[OPT_DRY_RUN])
		log_msg(WEBSTACK_LOG_NOTICE, "would remove the Maildir of %s", ch->name);
	else if (r == 0 && ch->purge)	/* still under the lock */
		r = purge_maildir(&s, ch->name, ch->local_len);
	mail_close(&s);
	if (r < 0)
		return ctx_fail(c);
	if (ch->noop)
		log_msg(WEBSTACK_LOG_NOTICE, "%s: %s; nothing changed", ch->name, ch->done);
	else if (!c->opt[OPT_DRY_RUN])
		log_msg(WEBSTACK_LOG_NOTICE, "%s %s", ch->done, ch->name);
	return 0;
}

static int no_domain(struct mail_session *s, const char *domain)
{
	return err_set(&s->c->err, EX_NOUSER,
		       "'%s' is not a mail domain: add it with `webstack mail add "
		       "domain %s`", domain, domain);
}

static void pruned(const char *alias, const char *target)
{
	log_msg(WEBSTACK_LOG_NOTICE, "alias %s no longer forwards to %s", alias,
		target);
}

/* ---- domains -------------------------------------------------------- */

static int apply_add_domain(struct mail_session *s, struct change *ch)
{
	if (dir_has_domain(&s->dir, ch->name)) {
		ch->noop = 1;
		ch->done = "already a mail domain";
		return 0;
	}
	if (strcmp(ch->name, s->hostname) == 0)
		return err_set(&s->c->err, EX_DATAERR,
			       "'%s' is this host's own name (myhostname), which "
			       "Postfix uses for its own mail; use another name for "
			       "mail domains",
			       ch->name);
	dir_add_domain(&s->dir, ch->name);
	if (mail_stage_domain_dir(s, ch->name) < 0)
		return -1;
	/* keys kept from an earlier life of the domain sign again */
	if (maildkim_load_domain(s, ch->name) < 0)
		return -1;
	dir_dkim_mark_signing(&s->dir);
	for (size_t i = 0; i < s->dir.n_dkim; i++)
		if (strcmp(s->dir.dkim[i].domain, ch->name) == 0)
			return 0;
	return maildkim_new_generation(s, ch->name);
}

static int apply_del_domain(struct mail_session *s, struct change *ch)
{
	size_t accounts = dir_domain_accounts(&s->dir, ch->name);
	size_t aliases = dir_domain_aliases(&s->dir, ch->name);

	if (!dir_has_domain(&s->dir, ch->name))
		return no_domain(s, ch->name);
	if ((accounts || aliases) && !s->c->opt[OPT_FORCE])
		return err_set(&s->c->err, EX_DATAERR,
			       "domain '%s' still has %zu account(s) and %zu alias(es): "
			       "delete them first, or add --force to delete them too "
			       "(their Maildirs are kept)", ch->name, accounts, aliases);
	dir_del_domain(&s->dir, ch->name);
	/* its addresses are no longer local: Postfix would send mail for
	 * them to the domain's MX */
	dir_prune_targets(&s->dir, dir_target_in, ch->name, pruned);
	return 0;
}

static int domain_arg(struct ctx *c, const char *arg, char *out)
{
	if (validate_domain(arg, out, VALIDATE_DOMAIN_MAX + 1, &c->err) < 0)
		return ctx_fail(c);
	return 0;
}

int cmd_mail_add_domain(struct ctx *c, int argc, char **argv)
{
	char name[VALIDATE_DOMAIN_MAX + 1];
	struct change ch = {.apply = apply_add_domain, .name = name,
			    .done = "added domain"};
	(void)argc;
	return domain_arg(c, argv[0], name) ? c->err.code : run_change(c, &ch);
}

int cmd_mail_del_domain(struct ctx *c, int argc, char **argv)
{
	char name[VALIDATE_DOMAIN_MAX + 1];
	struct change ch = {.apply = apply_del_domain, .name = name, .removing = 1,
			    .done = "deleted domain"};
	(void)argc;
	return domain_arg(c, argv[0], name) ? c->err.code : run_change(c, &ch);
}

/* ---- accounts ------------------------------------------------------- */

static int address_arg(struct ctx *c, const char *arg, char *out, size_t *local_len)
{
	if (validate_address(arg, out, VALIDATE_ADDRESS_MAX + 1, local_len, &c->err) < 0)
		return ctx_fail(c);
	return 0;
}

/* An account can be added when its domain is a mail domain and the
 * address is neither an account (is_account) nor an alias. */
static int check_new_account(struct mail_session *s, struct change *ch,
			     int is_account)
{
	const char *domain = ch->name + ch->local_len + 1;

	if (!dir_has_domain(&s->dir, domain))
		return no_domain(s, domain);
	if (is_account)
		return err_set(&s->c->err, EX_CANTCREAT,
			       "account '%s' already exists: change its password "
			       "with `webstack mail passwd %s`", ch->name, ch->name);
	if (dir_alias(&s->dir, ch->name))
		return err_set(&s->c->err, EX_CANTCREAT,
			       "'%s' is an alias: delete it first with `webstack "
			       "mail del alias %s`", ch->name, ch->name);
	return 0;
}

static int stage_maildir(struct mail_session *s, struct change *ch)
{
	char local[VALIDATE_LOCAL_MAX + 1];

	memcpy(local, ch->name, ch->local_len);
	local[ch->local_len] = '\0';
	return mail_stage_maildir(s, ch->name + ch->local_len + 1, local);
}

static int apply_add_account(struct mail_session *s, struct change *ch)
{
	if (check_new_account(s, ch, dir_account(&s->dir, ch->name) != NULL) < 0)
		return -1;
	dir_add_account(&s->dir, ch->name, ch->hash);
	return stage_maildir(s, ch);
}

/* An alias that forwards to the address gains it as an owner in the
 * MTA's sender map: that takes the whole directory. */
static int append_add_account(struct mail_session *s, struct change *ch)
{
	int found = 0, r = mail_find_account(s, ch->name, &found);

	if (r != 0)
		return r;
	if (check_new_account(s, ch, found) < 0)
		return -1;
	if (dir_is_target(&s->dir, ch->name))
		return 1;
	r = stage_maildir(s, ch);
	if (r == 0)
		r = mail_append_account(s, ch->name, ch->local_len, ch->hash);
	ch->appended = r == 0;
	return r;
}

static int no_account(struct mail_session *s, const char *address)
{
	return err_set(&s->c->err, EX_NOUSER, "there is no account '%s'", address);
}

/* The account goes from every alias too, so no alias points to an address
 * that no longer takes mail; an alias left without targets goes. */
static int apply_del_account(struct mail_session *s, struct change *ch)
{
	if (!dir_account(&s->dir, ch->name))
		return no_account(s, ch->name);
	dir_del_account(&s->dir, ch->name);
	dir_prune_targets(&s->dir, dir_target_is, ch->name, pruned);
	return 0;
}

static int apply_passwd(struct mail_session *s, struct change *ch)
{
	struct dir_account *a = dir_account(&s->dir, ch->name);

	if (!a)
		return no_account(s, ch->name);
	dir_set_hash(&s->dir, a, ch->hash);
	return 0;
}

/* Hashes the password given as args[0], on stdin or at the terminal. */
static int hash_password(struct ctx *c, const char *arg, char *hash, size_t hashsz)
{
	char pw[VALIDATE_PASSWORD_MAX + 2];
	int len;

	if (ctx_config(c) < 0)
		return ctx_fail(c);
	len = ctx_password(c, arg, password_scheme_max_len(c->conf.password.scheme),
			   pw, sizeof(pw));
	if (len < 0)
		return ctx_fail(c);
	len = password_hash(&c->conf.password, pw, (size_t)len, hash, hashsz, &c->err);
	explicit_bzero(pw, sizeof(pw));
	return len < 0 ? ctx_fail(c) : 0;
}

static int account_change(struct ctx *c, int argc, char **argv, struct change *ch)
{
	char name[VALIDATE_ADDRESS_MAX + 1], hash[PASSWORD_HASH_MAX];
	int r;

	ch->name = name;
	if (address_arg(c, argv[0], name, &ch->local_len))
		return c->err.code;
	if (ch->apply != apply_del_account) {
		if (hash_password(c, argc > 1 ? argv[1] : NULL, hash, sizeof(hash)))
			return c->err.code;
		ch->hash = hash;
	}
	r = run_change(c, ch);
	explicit_bzero(hash, sizeof(hash));
	return r;
}

int cmd_mail_add_account(struct ctx *c, int argc, char **argv)
{
	struct change ch = {.apply = apply_add_account, .append = append_add_account,
			    .done = "added account"};

	return account_change(c, argc, argv, &ch);
}

int cmd_mail_del_account(struct ctx *c, int argc, char **argv)
{
	struct change ch = {.apply = apply_del_account, .removing = 1,
			    .done = "deleted account",
			    .purge = c->opt[OPT_PURGE] != NULL};

	return account_change(c, argc, argv, &ch);
}

int cmd_mail_passwd(struct ctx *c, int argc, char **argv)
{
	struct change ch = {.apply = apply_passwd, .done = "changed the password of"};

	return account_change(c, argc, argv, &ch);
}

/* ---- aliases -------------------------------------------------------- */

/* A target in a local domain must take mail: an account or an alias,
 * after Postfix strips a "+extension" (recipient_delimiter). */
static int local_target_exists(struct mail_session *s, const char *t)
{
	const char *at = strrchr(t, '@'), *plus = strchr(t, '+');
	char base[VALIDATE_ADDRESS_MAX + 1];

	if (!dir_has_domain(&s->dir, at + 1))
		return 1;
	if (plus && plus < at)
		snprintf(base, sizeof(base), "%.*s%s", (int)(plus - t), t, at);
	else
		snprintf(base, sizeof(base), "%s", t);
	return dir_account(&s->dir, base) || dir_alias(&s->dir, base);
}

static int apply_add_alias(struct mail_session *s, struct change *ch)
{
	const char *domain = ch->name + ch->local_len + 1;
	struct dir_alias *al = dir_alias(&s->dir, ch->name);
	size_t fresh = 0;

	if (!dir_has_domain(&s->dir, domain))
		return no_domain(s, domain);
	if (dir_account(&s->dir, ch->name))
		return err_set(&s->c->err, EX_CANTCREAT,
			       "'%s' is an account; an alias needs an address of its own",
			       ch->name);
	for (size_t i = 0; i < ch->targets.n; i++) {
		const char *t = ch->targets.v[i];

		if (!local_target_exists(s, t))
			return err_set(&s->c->err, EX_NOUSER,
				       "target '%s' is in a local domain but is neither "
				       "an account nor an alias", t);
		fresh += !al || !strv_contains(&al->targets, t);
	}
	if (!fresh) {
		ch->noop = 1;
		ch->done = "the alias already forwards to every target given";
		return 0;
	}
	dir_add_alias_targets(&s->dir, ch->name, (const char *const *)ch->targets.v,
			      ch->targets.n);
	return 0;
}

static int apply_del_alias(struct mail_session *s, struct change *ch)
{
	if (!dir_alias(&s->dir, ch->name))
		return err_set(&s->c->err, EX_NOUSER, "there is no alias '%s'", ch->name);
	dir_del_alias(&s->dir, ch->name);
	dir_prune_targets(&s->dir, dir_target_is, ch->name, pruned);
	return 0;
}

/* TARGET[,TARGET...], possibly over several arguments. */
static int parse_targets(struct ctx *c, int argc, char **argv, const char *alias,
			 struct strv *out)
{
	char t[VALIDATE_ADDRESS_MAX + 1];

	for (int i = 0; i < argc; i++) {
		const char *p = argv[i];

		do {
			size_t n = strcspn(p, ",");
			char *one = strndup(p, n);
			int r = validate_target(one, t, sizeof(t), &c->err);

			free(one);
			if (r < 0)
				return err_prefix(&c->err, "target");
			if (strcmp(t, alias) == 0)
				return err_set(&c->err, EX_DATAERR,
					       "alias '%s' cannot forward to itself", alias);
			if (!strv_contains(out, t))
				strv_add(out, t);
			p += n;
		} while (*p++ == ',');
	}
	return 0;
}

int cmd_mail_add_alias(struct ctx *c, int argc, char **argv)
{
	char name[VALIDATE_ADDRESS_MAX + 1];
	struct change ch = {.apply = apply_add_alias, .name = name,
			    .done = "added alias"};
	int r;

	if (address_arg(c, argv[0], name, &ch.local_len))
		return c->err.code;
	if (parse_targets(c, argc - 1, argv + 1, name, &ch.targets) < 0) {
		strv_free(&ch.targets);
		return ctx_fail(c);
	}
	r = run_change(c, &ch);
	strv_free(&ch.targets);
	return r;
}

int cmd_mail_del_alias(struct ctx *c, int argc, char **argv)
{
	char name[VALIDATE_ADDRESS_MAX + 1];
	struct change ch = {.apply = apply_del_alias, .name = name, .removing = 1,
			    .done = "deleted alias"};
	(void)argc;
	if (address_arg(c, argv[0], name, &ch.local_len))
		return c->err.code;
	return run_change(c, &ch);
}

/* ---- DKIM keys ------------------------------------------------------ */

static int apply_dkim_rotate(struct mail_session *s, struct change *ch)
{
	if (!dir_has_domain(&s->dir, ch->name))
		return no_domain(s, ch->name);
	return maildkim_new_generation(s, ch->name);
}

static int apply_dkim_retire(struct mail_session *s, struct change *ch)
{
	if (!dir_has_domain(&s->dir, ch->name))
		return no_domain(s, ch->name);
	return maildkim_retire(s, ch->name, ch->selector);
}

int cmd_mail_dkim_rotate(struct ctx *c, int argc, char **argv)
{
	char name[VALIDATE_DOMAIN_MAX + 1];
	struct change ch = {.apply = apply_dkim_rotate, .name = name,
			    .done = "new DKIM keys sign for"};
	(void)argc;
	return domain_arg(c, argv[0], name) ? c->err.code : run_change(c, &ch);
}

int cmd_mail_dkim_retire(struct ctx *c, int argc, char **argv)
{
	char name[VALIDATE_DOMAIN_MAX + 1];
	struct change ch = {.apply = apply_dkim_retire, .name = name,
			    .selector = argv[1], .removing = 1,
			    .done = "retired a DKIM key of"};
	char gen[DKIM_GEN_MAX];
	enum dkim_alg alg;

	(void)argc;
	if (domain_arg(c, argv[0], name))
		return c->err.code;
	if (dkimkey_parse_selector(argv[1], gen, &alg) < 0) {
		err_set(&c->err, EX_DATAERR, "'%s' is not a DKIM selector webstack "
			"made (like ws20261126-rsa): see `webstack mail dkim show %s`",
			argv[1], name);
		return ctx_fail(c);
	}
	return run_change(c, &ch);
}
