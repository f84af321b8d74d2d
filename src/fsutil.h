/* fsutil.h - careful file system access under a root directory.
 *
 * Logical paths are absolute ("/etc/dovecot/users"); root is the --root
 * prefix ("" for none). Directories are walked one component at a time with
 * O_NOFOLLOW: a symlink is followed only when the directory holding it is
 * owned by root and writable by nobody else, so a user who owns a directory
 * on the way (a Maildir, say) cannot redirect root's writes. */
#ifndef WS_FSUTIL_H
#define WS_FSUTIL_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"
#include "strv.h"

/* Opens directory `logical` (O_DIRECTORY|O_CLOEXEC). With created != NULL,
 * missing components are made (0755 root:root) and their logical paths
 * appended to *created, outermost first; without, a missing component gives
 * -1 with errno ENOENT and e->code 0 (no message). Returns the fd or -1. */
int fs_open_dir(const char *root, const char *logical, struct strv *created,
		struct err *e);
/* The same with created, but the directories the made components went
 * into are not synced: the caller syncs them (fs_sync_dir()), once each,
 * before anything depends on their durability. */
int fs_make_dirs(const char *root, const char *logical, struct strv *created,
		 struct err *e);
/* fsync()s the directory logical under root (not following symlinks). */
int fs_sync_dir(const char *root, const char *logical, struct err *e);

/* The directories of the last walk, kept open, so that a walk to a path
 * sharing a prefix with it opens only the components after the prefix: an
 * import's Maildirs are one openat() each, not seven. The walk owns its
 * fds and names; an fd fs_walk_dir() returns is borrowed, valid until the
 * next call on the walk. Nothing on a cached path may be renamed or
 * removed while the walk is in use: forget it first. */
struct fs_walk {
	const char *root;	/* borrowed: the --root prefix, "" or NULL for none */
	int top;		/* the root directory, or -1 */
	struct fs_walk_dir {
		char *name;	/* one path component */
		int fd;
	} *dirs;		/* the last walk, outermost first */
	size_t depth, cap;
};

void fs_walk_init(struct fs_walk *w, const char *root);
/* Closes and frees what the walk holds; it can be used again. */
void fs_walk_forget(struct fs_walk *w);
/* fs_open_dir() (sync) or fs_make_dirs() (!sync) through the walk; the fd
 * is borrowed. After a failure the walk holds the components that exist. */
int fs_walk_dir(struct fs_walk *w, const char *logical, struct strv *created,
		int sync, struct err *e);
/* fs_sync_dir() through the walk. */
int fs_walk_sync(struct fs_walk *w, const char *logical, struct err *e);

/* Splits "/a/b/c" into dir "/a/b" and base "c" (both malloc()ed). The path
 * must be absolute, without "." or ".." components or a trailing '/'. */
int fs_split(const char *logical, char **dir_r, char **base_r, struct err *e);

/* Reads name in dirfd (not following a symlink) into out. Returns 0, or 1
 * when it does not exist, or -1. st_r (may be NULL) gets its stat. */
int fs_read_at(int dirfd, const char *name, struct buf *out,
	       struct stat *st_r, struct err *e);

/* Reads a whole logical file under root; same returns as fs_read_at. */
int fs_read(const char *root, const char *logical, struct buf *out,
	    struct stat *st_r, struct err *e);

/* write(2) until done; returns 0 or -1 with errno. */
int fs_write_all(int fd, const void *data, size_t len);

/* root + logical, malloc()ed. */
char *fs_real(const char *root, const char *logical);

#endif
