/* pg_dir.h - the directory's rows: loading them, and changing them in one
 * transaction with parameterised statements only.
 *
 * A change names what the core decided (it validated and normalised every
 * name); the database's constraints decide what another host did
 * meanwhile: an address taken, a domain gone. Those come back as the
 * sysexits code and message the files backend gives for the same case.
 *
 * Ownership: the connection, the changes and the sink are the caller's;
 * *msg_r is malloc()ed and the caller's to free. */
#ifndef WS_PG_DIR_H
#define WS_PG_DIR_H

#include <stddef.h>

#include <libpq-fe.h>
#include <webstack/mail.h>

enum pg_change_kind {
	PG_ADD_DOMAIN,
	PG_DEL_DOMAIN,		/* its addresses must be gone (changes before it) */
	PG_ADD_ACCOUNT,		/* name, local_len, hash */
	PG_DEL_ACCOUNT,
	PG_SET_HASH,		/* name, hash */
	PG_SET_ALIAS,		/* name, targets: adds the alias or replaces its targets */
	PG_DEL_ALIAS,
};

struct pg_change {
	enum pg_change_kind kind;
	const char *name;		/* domain or address */
	size_t local_len;		/* PG_ADD_ACCOUNT: the local part's length */
	const char *hash;		/* "{SCHEME}..." */
	const char *const *targets;
	size_t n_targets;
};

/* Applies the n changes in one transaction, in order: all or nothing.
 * Returns 0, or an EX_* code with *msg_r. */
int pg_dir_apply(PGconn *c, const struct pg_change *ch, size_t n, char **msg_r);

/* Reports every domain, account (unless accounts is 0) and alias into
 * sink, each list sorted by name (the core's order). Returns 0, or an
 * EX_* code with *msg_r (a sink's refusal included). */
int pg_dir_load(PGconn *c, struct webstack_directory_sink *sink, int accounts,
		char **msg_r);

/* *found_r: 1 when address is an account. Returns 0 or an EX_* code. */
int pg_dir_find_account(PGconn *c, const char *address, int *found_r, char **msg_r);

#endif
