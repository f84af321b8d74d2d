/* mail_dirrole.h - a session's directory in a module of the directory role
 * (webstack/role-directory.h) instead of the mta and imap modules' files.
 *
 * The load comes from the module; a change session keeps a copy of what
 * it loaded, and at publish time the difference (dirdiff.h) becomes the
 * changes that mail_commit() hands to the module's apply() inside the
 * commit of the files (a Maildir), once they are prepared: a change the
 * database refuses, or a full disk, leaves nothing behind. `mail add account` skips the whole load: it asks the
 * module whether the address is an account and adds one change.
 *
 * Ownership: everything lives in the session; mail_dirrole_free() frees
 * it. */
#ifndef WS_MAIL_DIRROLE_H
#define WS_MAIL_DIRROLE_H

#include "mail.h"

/* `mail setup`, before the load: the module's tables and the daemons'
 * lookup files (with --dry-run, says so only: a database is no file). */
int mail_dirrole_setup(struct mail_session *s);
/* Loads into sink (accounts 0: domains and aliases only). */
int mail_dirrole_load(struct mail_session *s, struct webstack_directory_sink *sink,
		      int accounts);
/* After the load: keeps what was loaded, for mail_dirrole_diff(). */
void mail_dirrole_keep(struct mail_session *s);
/* `mail migrate`: what the module held before (a copy of held) is where
 * mail_dirrole_diff() starts. */
void mail_dirrole_held(struct mail_session *s, struct directory *held);
int mail_dirrole_find_account(struct mail_session *s, const char *address,
			      int *found_r);
/* The one change of an appended account. */
void mail_dirrole_add_account(struct mail_session *s, const char *address,
			      size_t local_len, const char *hash);
/* The changes from what was loaded to now, the view of s->dir (unless an
 * add was recorded). */
void mail_dirrole_diff(struct mail_session *s, const struct webstack_directory *now);
/* Applies the changes, or prints them with --dry-run. */
int mail_dirrole_apply(struct mail_session *s);
void mail_dirrole_free(struct mail_session *s);

#endif
