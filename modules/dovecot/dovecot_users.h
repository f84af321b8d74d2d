/* dovecot_users.h - the passwd-file /etc/dovecot/users: parse, render, diff.
 *
 * Each line is address:{SCHEME}hash:uid:gid::home:: (passwd-file fields
 * user:password:uid:gid:gecos:home:shell:extra). Dovecot splits on ':' and
 * starts a record at each line break, and never unquotes anything, so a
 * field holding one of those is refused, never escaped.
 *
 * Ownership: text, accounts and mail are borrowed for the call. The
 * struct dv_user_line handed to a callback points into scratch storage
 * valid during that call only. The array dv_users_read() returns is owned
 * by the caller (free()); its entries point into text, which must outlive
 * them. The entries dv_users_changed() returns point into its two arrays. */
#ifndef WS_DOVECOT_USERS_H
#define WS_DOVECOT_USERS_H

#include <stddef.h>

#include <webstack/mail.h>

#include "mbuf.h"

#define DV_USER_FIELDS 8

struct dv_user_line {
	const char *field[DV_USER_FIELDS]; /* NUL-terminated, [0] the address */
	const char *rest;		   /* the line after "address:" */
	size_t rest_len;
};

typedef int dv_user_fn(void *arg, const struct dv_user_line *u, const char **err_r);

/* Calls fn for each entry of text, skipping empty lines and '#' comments.
 * Stops at a malformed line (-EINVAL: not 8 fields, an empty address or
 * password, a NUL byte) or at the first non-zero return of fn, and returns
 * that; *lineno_r then names the line and *err_r says what is wrong (a
 * static string, or fn's message). */
int dv_users_parse(const char *text, size_t len, dv_user_fn *fn, void *arg,
		   unsigned *lineno_r, const char **err_r);

/* One parsed entry, for comparing two versions of the file: the user and
 * everything after "user:", as slices of the text (not NUL-terminated). */
struct dv_entry {
	const char *user, *rest;
	size_t user_len, rest_len;
};

/* Parses text into entries sorted by user; errors as dv_users_parse(). */
int dv_users_read(const char *text, size_t len, struct dv_entry **v_r,
		  size_t *n_r, unsigned *lineno_r, const char **err_r);
/* The same for text webstack rendered itself, checked only for a ':' on
 * every line (-EINVAL naming the line otherwise): a third of the work. */
int dv_users_split(const char *text, size_t len, struct dv_entry **v_r,
		   size_t *n_r, unsigned *lineno_r, const char **err_r);

/* Stores into out (room for na + nb) the users, sorted and each once, that
 * are only in a, only in b, or in both with different lines; returns their
 * number. *probe_r gets the first that is only in one of them
 * (*probe_added_r: only in b), or NULL. a and b must be sorted by user. */
size_t dv_users_changed(const struct dv_entry *a, size_t na,
			const struct dv_entry *b, size_t nb,
			const struct dv_entry **out, const struct dv_entry **probe_r,
			int *probe_added_r);

/* NULL when a can be written as a line, else what is wrong with it. */
const char *dv_account_problem(const struct webstack_account *a);

/* The part every line has between the hash and the domain,
 * ":uid:gid::<mail_root>/", into buf; -1 when it does not fit. */
int dv_users_middle(char *buf, size_t size, const struct webstack_mail *mail);

/* Appends the line of a (checked with dv_account_problem()) to b, with
 * middle from dv_users_middle(). */
void dv_users_line(struct mbuf *b, const struct webstack_account *a,
		   const char *middle);

#endif
