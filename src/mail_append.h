/* mail_append.h - `mail add account` by appending to the roles' files.
 *
 * At 100,000 accounts, loading every account, rendering every file and
 * replacing them takes most of a second, for one line more in each of
 * three files. When both roles offer the optional ops (find_account of
 * the imap role, add_account of both), the session is opened without the
 * accounts (mail_open_without_accounts()), the imap role is asked whether
 * the address is an account, and each role stages appends to its files:
 * the imap role first, then the mta role, as mail_publish() orders an
 * addition.
 *
 * Ownership: the session stays the caller's; the strings are borrowed. */
#ifndef WS_MAIL_APPEND_H
#define WS_MAIL_APPEND_H

#include "mail.h"

/* *found_r: 1 when address is an account. Returns 0, 1 when the imap role
 * cannot answer without loading everything, or -1 with the error set. */
int mail_find_account(struct mail_session *s, const char *address, int *found_r);

/* Stages the roles' appends for a new account (after its Maildir).
 * Returns 0, 1 when a role cannot append it (the caller drops what was
 * staged and publishes the whole directory), or -1 with the error set. */
int mail_append_account(struct mail_session *s, const char *address,
			size_t local_len, const char *hash);

#endif
