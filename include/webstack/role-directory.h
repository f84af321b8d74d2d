/*
 * NAME
 *	webstack/role-directory.h - ops of the directory role (exclusive,
 *	optional)
 *
 * DESCRIPTION
 *	Where domains, accounts and aliases live when it is not the mta and
 *	imap modules' own files. Without a module in the role the core reads
 *	the directory from the mta and imap modules' load() and writes it with
 *	their publish(), as in ABI 1.0. With one, load() and apply() are the
 *	only way to the directory, and struct webstack_mail's directory field
 *	tells the mta and imap modules to configure lookups into it instead
 *	of writing maps and users files.
 *
 *	setup() connects, creates or migrates the schema and grants the
 *	daemons' lookup users what they need. load() reports the entries
 *	into sink, as flags (WEBSTACK_DIR_*) ask, each list sorted by name.
 *	find_account() sets *found_r. apply() makes the n changes the command
 *	made, in order, all or nothing, and returns 0 or a negative errno
 *	with *err_r: -EEXIST for an address or domain taken meanwhile (the
 *	core exits EX_CANTCREAT), -ENXIO for one gone (EX_NOUSER),
 *	-ENOTEMPTY for a domain still in use (EX_DATAERR), -EAGAIN for a
 *	conflict worth retrying (EX_TEMPFAIL), -ECONNREFUSED when the
 *	database cannot be reached (EX_UNAVAILABLE). The core calls apply()
 *	inside the commit of the change's files (a new Maildir): once they
 *	are all prepared (directories made, temp files written), before any
 *	is put in place. A change apply() refuses, or files that cannot be
 *	prepared (a full disk), leave nothing behind; files that cannot be put
 *	in place after apply() leave the change made without them, which
 *	`mail check --repair` makes, as Dovecot makes a missing Maildir.
 *	status() reports the server, the schema version and the counts.
 *
 *	Ownership: mail, sink, changes and r are borrowed for the call;
 *	*err_r points into module-owned memory valid until the next op.
 *
 * CHANGELOG
 *	2026-11-27  ABI 1.1  First version.
 */
#ifndef WEBSTACK_ROLE_DIRECTORY_H
#define WEBSTACK_ROLE_DIRECTORY_H

#include <webstack/mail.h>

/* load() flags */
#define WEBSTACK_DIR_SCHEMES 0x1u	/* a hash's {SCHEME} is enough */
#define WEBSTACK_DIR_NO_ACCOUNTS 0x2u	/* domains and aliases only */
/* setup() was skipped (--dry-run): a database without the tables yet
 * loads as an empty directory instead of failing */
#define WEBSTACK_DIR_NOT_SET_UP 0x4u

enum webstack_change_kind {
	WEBSTACK_ADD_DOMAIN,
	WEBSTACK_DEL_DOMAIN,
	WEBSTACK_ADD_ACCOUNT,	/* account */
	WEBSTACK_DEL_ACCOUNT,
	WEBSTACK_SET_HASH,	/* account (address, password_hash) */
	WEBSTACK_SET_ALIAS,	/* alias: added, or its targets replaced */
	WEBSTACK_DEL_ALIAS,
};

struct webstack_change {
	enum webstack_change_kind kind;
	const char *name;			/* the domain or address */
	const struct webstack_account *account;	/* ADD_ACCOUNT, SET_HASH */
	const struct webstack_alias *alias;	/* SET_ALIAS */
};

struct webstack_directory_ops {
	int (*setup)(void *state, const struct webstack_mail *mail,
		     const char **err_r);
	int (*load)(void *state, const struct webstack_mail *mail,
		    struct webstack_directory_sink *sink, unsigned flags,
		    const char **err_r);
	int (*find_account)(void *state, const struct webstack_mail *mail,
			    const char *address, int *found_r, const char **err_r);
	int (*apply)(void *state, const struct webstack_mail *mail,
		     const struct webstack_change *changes, size_t n,
		     const char **err_r);
	int (*status)(void *state, const struct webstack_mail *mail,
		      struct webstack_report *r, const char **err_r);
};

#endif
