/*
 * NAME
 *	webstack/mail.h - the mail model the core hands to role ops
 *
 * DESCRIPTION
 *	struct webstack_mail carries the settings every mail role shares (from
 *	webstack.conf and `webstack mail setup`); struct webstack_directory is
 *	the complete set of domains, accounts and aliases after the change the
 *	current command makes. Modules render their files from these.
 *
 *	Ownership: everything reachable from these structs is owned by the core
 *	and borrowed for the duration of the op; modules copy what they keep.
 *	Names are already validated and normalised (lowercase, A-labels).
 *
 * SEE ALSO
 *	webstack/module.h, webstack/role-*.h
 */
#ifndef WEBSTACK_MAIL_H
#define WEBSTACK_MAIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The mail services a host may offer; a config section can switch any off. */
enum webstack_mail_service {
	WEBSTACK_SVC_SMTP,	  /* 25 */
	WEBSTACK_SVC_SUBMISSIONS, /* 465 */
	WEBSTACK_SVC_SUBMISSION,  /* 587 */
	WEBSTACK_SVC_POP3,	  /* 110 */
	WEBSTACK_SVC_POP3S,	  /* 995 */
	WEBSTACK_SVC_IMAP,	  /* 143 */
	WEBSTACK_SVC_IMAPS,	  /* 993 */
	WEBSTACK_SVC_SIEVE,	  /* 4190 */
	WEBSTACK_SVC_COUNT_
};

struct webstack_mail {
	const char *hostname;	   /* FQDN of this mail host */
	const char *mail_root;	   /* "/var/mail/vhosts" */
	const char *vmail_user;	   /* owner of the Maildirs */
	uid_t vmail_uid;
	gid_t vmail_gid;
	const char *tls_cert;	   /* PEM chain */
	const char *tls_key;	   /* PEM key */
	uint64_t message_size_limit; /* bytes */
	/* enabled[s] is non-zero when service s is on. */
	unsigned char enabled[WEBSTACK_SVC_COUNT_];
	/* Milter endpoints ("unix:/run/x.sock", "inet:127.0.0.1:8891") the
	 * filter modules asked for, in role order. */
	const char *const *milters;
	size_t n_milters;
	/* The addresses the world reaches this host at (IPv4 and IPv6
	 * literals, as configured; none when the config names none). */
	const char *const *public_addresses;
	size_t n_public_addresses;
	/* ABI 1.1: the module that holds the directory, or "files" when the
	 * mta and imap modules' own files do; with a module, they configure
	 * their daemons' lookups into it (its name says which kind) and write
	 * no maps or users file. */
	const char *directory;
};

struct webstack_account {
	const char *address;	   /* "alice@example.com" */
	const char *local;	   /* "alice" */
	const char *domain;	   /* "example.com" */
	const char *password_hash; /* "{ARGON2ID}$argon2id$..." */
};

struct webstack_alias {
	const char *address;
	const char *const *targets;
	size_t n_targets;
};

/* A domain's DKIM signing key. Every key on disk is published in DNS; the
 * keys of the newest generation sign. */
struct webstack_dkim_key {
	const char *domain;
	const char *selector;	/* "ws20261126-rsa", "ws20261126-ed25519" */
	const char *algorithm;	/* the record's k=: "rsa" or "ed25519" */
	const char *key_path;	/* PEM private key (logical path) */
	const char *public_key;	/* the record's p= (base64) */
	int signing;		/* 1: signs new mail */
};

/* Every list is sorted by name (strcmp: domain, address), each name once. */
struct webstack_directory {
	const char *const *domains;
	size_t n_domains;
	const struct webstack_account *accounts;
	size_t n_accounts;
	const struct webstack_alias *aliases;
	size_t n_aliases;
	const struct webstack_dkim_key *dkim_keys;	/* sorted by domain, selector */
	size_t n_dkim_keys;
};

/* What a module's load() reports: the entries its own files hold (the mta
 * role: domains and aliases; the imap role: accounts with their hashes).
 * The core validates and copies each entry; it returns 0, or -EINVAL with
 * a message (owned by the core) that the module should prefix with the
 * file and line it read the entry from. */
struct webstack_directory_sink {
	int (*domain)(struct webstack_directory_sink *s, const char *name,
		      const char **err_r);
	int (*account)(struct webstack_directory_sink *s, const char *address,
		       const char *password_hash, const char **err_r);
	int (*alias)(struct webstack_directory_sink *s, const char *address,
		     const char *const *targets, size_t n_targets,
		     const char **err_r);
	void *priv;
};

/* A sink for status lines: name of the check, its value, and whether it is
 * healthy. Owned by the core; the strings are copied by the sink. */
struct webstack_report {
	void (*item)(struct webstack_report *r, const char *check,
		     const char *value, int ok);
	void *priv;
};

#endif
