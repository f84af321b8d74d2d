/* dirdiff.h - what a command changed in the directory, as the changes the
 * directory role applies (webstack/role-directory.h): the directory as it
 * was loaded against the directory as the command left it, both as the
 * sorted views dir_view() makes.
 *
 * The changes come in an order a database with the schema's constraints
 * takes: new domains; aliases and accounts that went; new accounts and
 * new hashes; new aliases and new targets; domains that went.
 *
 * Ownership: struct dir_changes owns its array and a copy of each change's
 * account and alias; their strings are the two directories', which must
 * outlive the changes (a view may go: dir_view() again frees it). */
#ifndef WS_DIRDIFF_H
#define WS_DIRDIFF_H

#include <stddef.h>

#include <webstack/mail.h>
#include <webstack/role-directory.h>

struct dir_changes {
	struct webstack_change *v;
	size_t n, cap;
};

/* Appends to out what turns old into now. */
void dir_diff(const struct webstack_directory *old,
	      const struct webstack_directory *now, struct dir_changes *out);
void dir_changes_add(struct dir_changes *c, const struct webstack_change *ch);
void dir_changes_free(struct dir_changes *c);

#endif
