/* purge.h - remove a deleted account's Maildir (`del account --purge`).
 *
 * Runs after the commit, under the lock. The Maildir is reached with
 * O_NOFOLLOW from the mail root, must be a directory owned by the vmail
 * user, is first renamed to a hidden name in its domain directory (so a
 * half-done removal never looks like a mailbox) and then removed without
 * following any symlink inside it. */
#ifndef WS_PURGE_H
#define WS_PURGE_H

#include <stddef.h>

#include "mail.h"

/* address is normalised; its first local_len bytes are the local part. */
int purge_maildir(struct mail_session *s, const char *address, size_t local_len);

#endif
