/* mail.h - one `webstack mail` run: settings, modules, directory, commit.
 *
 * mail_open() loads the configuration and the mta and imap modules, fills
 * the shared settings (struct webstack_mail), and, for a change, takes the
 * lock; then it loads the directory from the modules' files. A command
 * changes s->dir, stages its own files (Maildirs), and calls mail_publish()
 * and mail_commit(); the lock is held until mail_close().
 *
 * Order (so Postfix never accepts mail Dovecot cannot deliver): for an
 * addition the Maildir is staged first, then the imap role's files, then
 * the mta role's, and postmap runs after the commit; for a removal the mta
 * role's files are committed (and compiled) first, in a commit of their
 * own, and the imap role's follow in a second one. If that second commit
 * fails, Postfix already refuses the address and running the command
 * again finishes the job. `mail add account` appends instead when the
 * modules can (mail_append.h); its map entries go in after Dovecot serves
 * the account, in the background.
 *
 * Ownership: the session owns everything it points to; mail_close() frees
 * it. The ctx stays the caller's. */
#ifndef WS_MAIL_H
#define WS_MAIL_H

#include <webstack/mail.h>
#include <webstack/role-dkim.h>

#include "ctx.h"
#include "dirdiff.h"
#include "directory.h"

/* The TLS files used when webstack.conf names none. */
#define MAIL_DEFAULT_CERT "/etc/webstack/tls/cert.pem"
#define MAIL_DEFAULT_KEY "/etc/webstack/tls/key.pem"
/* The filter modules the last `mail setup` configured. */
#define MAIL_FILTER_STATE "/var/lib/webstack/filters"

enum mail_mode {
	MAIL_READ,	/* list, status: no lock */
	MAIL_CHANGE,	/* takes the lock; the vmail user must exist */
	MAIL_SETUP,	/* takes the lock; the vmail user may be missing */
};

/* A loaded filter module (roles av, spam, dkim) and its ops; the three
 * roles share one layout. */
struct mail_filter {
	struct module *mod;		/* owned by the loader */
	struct webstack_dkim_ops ops;	/* a copy; missing ops are NULL */
};

struct mail_session {
	struct ctx *c;			/* borrowed */
	struct module *mta, *imap;	/* owned by the loader */
	struct module *directory;	/* the directory role's, or NULL: the
					   mta and imap modules' files */
	struct module *dns;		/* NULL when no module fills the role */
	struct mail_filter *filters;	/* in role order: av, spam, dkim */
	size_t n_filters;
	struct mail_filter *retired;	/* MAIL_SETUP: filters to disable */
	size_t n_retired;
	struct strv milters;		/* the filters' milters, in order */
	struct strv public_addresses;
	struct webstack_mail mail;	/* strings below or in the config */
	struct directory dir;
	struct strv loaded_domains;	/* the domains as loaded, sorted */
	char *hostname;
	int vmail_missing;		/* MAIL_SETUP: setup creates it */
	int read_only;			/* MAIL_READ: hashes loaded as schemes */
	/* With a directory module (mail_dirrole.h). */
	int setup_skipped;		/* --dry-run: the module's setup() */
	struct directory loaded;	/* as loaded, for the diff */
	struct dir_changes changes;	/* what apply() gets */
	struct webstack_account added;	/* an appended account ... */
	char *added_strings;		/* ... and its strings */
};

int mail_open(struct mail_session *s, struct ctx *c, enum mail_mode mode,
	      const char *hostname);
/* mail_open() for a change that needs no account but the one it asks the
 * imap role about (mail_append.h): s->dir holds the domains and aliases
 * only. */
int mail_open_without_accounts(struct mail_session *s, struct ctx *c);
/* Loads the whole directory again, accounts included, in place of what
 * s->dir holds. */
int mail_reload(struct mail_session *s);

/* Loads the whole directory from the backend into out (the caller's),
 * leaving s->dir alone. */
int mail_load_into(struct mail_session *s, struct directory *out);

/* `mail migrate`: from now on the directory lives in module to (NULL: the
 * mta and imap modules' files). Sets its tables up (a module's) and loads
 * what it holds into held, the caller's; s->dir stays as loaded from the
 * old backend, and publish and commit write it to the new one. */
int mail_switch_directory(struct mail_session *s, struct module *to,
			  struct directory *held);

/* What `mail setup` does after mail_open(), the vmail user and the host
 * name (cmd_mail_setup.c): the TLS files, the store, the DKIM keys' modes,
 * the roles' setup(), publish and commit. `mail migrate` runs it too. */
int mail_setup_steps(struct mail_session *s);

/* Hands the directory to both roles' publish() in the order above, and
 * then to every filter's. */
int mail_publish(struct mail_session *s, int removing);

/* Calls every filter's setup(). */
int mail_filter_setups(struct mail_session *s);

/* Calls disable() of every filter the last setup configured and the config
 * no longer names, and stages MAIL_FILTER_STATE for the next setup. Call
 * it after the MTA's setup, so Postfix drops their milters first. */
int mail_filter_disables(struct mail_session *s);

/* Commits (or, with --dry-run, prints the diff). With a directory module
 * its apply() runs inside the files' commit (txn_set_commit_hook): once
 * they are all prepared, before any target is touched. */
int mail_commit(struct mail_session *s);

void mail_close(struct mail_session *s);

/* Stages the mail root (0755 root; the vmail user's with a directory
 * module), every domain's directory and every account's Maildir, so a run
 * repairs missing ones and wrong modes. */
int mail_stage_store(struct mail_session *s);

/* Stages <mail_root>/<domain> (mode 0700, vmail). */
int mail_stage_domain_dir(struct mail_session *s, const char *domain);
/* Stages the Maildir of an account with new/, cur/ and tmp/ (0700, vmail). */
int mail_stage_maildir(struct mail_session *s, const char *domain,
		       const char *local);

/* Logical path of an account's Maildir; caller frees. */
char *mail_maildir(const struct mail_session *s, const char *domain,
		   const char *local);

#endif
