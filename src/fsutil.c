#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

char *fs_real(const char *root, const char *logical)
{
	return xasprintf("%s%s", root ? root : "", logical);
}

int fs_split(const char *logical, char **dir_r, char **base_r, struct err *e)
{
	const char *slash = strrchr(logical, '/');

	if (logical[0] != '/' || strstr(logical, "/./") || strstr(logical, "/../") ||
	    strstr(logical, "//") || !slash[1] || strcmp(slash, "/.") == 0 ||
	    strcmp(slash, "/..") == 0)
		return err_set(e, EX_SOFTWARE, "'%s' is not a plain absolute path",
			       logical);
	*dir_r = slash == logical ? xstrdup("/") :
		 strndup(logical, (size_t)(slash - logical));
	if (!*dir_r)
		return err_set(e, EX_OSERR, "out of memory");
	*base_r = xstrdup(slash + 1);
	return 0;
}

/* May the symlink `name` in dirfd be followed? Only where nobody but root
 * could have put it there. */
static int fs_link_trusted(int dirfd)
{
	struct stat st;

	return fstat(dirfd, &st) == 0 && st.st_uid == 0 &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

static int fs_step(int dirfd, const char *comp, const char *logical,
		   struct strv *created, int *made_r, struct err *e)
{
	int fd;

	*made_r = 0;
	fd = openat(dirfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ELOOP || errno == ENOTDIR) {
		struct stat st;

		if (fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode) && fs_link_trusted(dirfd)) {
			fd = openat(dirfd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0)
				return fd;
		}
		return err_set(e, EX_CANTCREAT,
			       "'%s' is not a directory or is a symlink webstack "
			       "will not follow: replace it with a directory",
			       logical);
	}
	if (errno != ENOENT)
		return err_set(e, EX_CANTCREAT, "cannot open directory '%s': %s",
			       logical, strerror(errno));
	if (!created) {
		e->code = 0;
		errno = ENOENT;
		return -1;
	}
	if (mkdirat(dirfd, comp, 0755) < 0 && errno != EEXIST)
		return err_set(e, EX_CANTCREAT, "cannot create directory '%s': %s",
			       logical, strerror(errno));
	*made_r = 1;
	fd = openat(dirfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, EX_CANTCREAT, "cannot open directory '%s': %s",
			       logical, strerror(errno));
	return fd;
}

void fs_walk_init(struct fs_walk *w, const char *root)
{
	memset(w, 0, sizeof(*w));
	w->root = root;
	w->top = -1;
}

/* Closes the cached directories from depth keep on. */
static void walk_truncate(struct fs_walk *w, size_t keep)
{
	while (w->depth > keep) {
		w->depth--;
		close(w->dirs[w->depth].fd);
		free(w->dirs[w->depth].name);
	}
}

void fs_walk_forget(struct fs_walk *w)
{
	walk_truncate(w, 0);
	free(w->dirs);
	if (w->top >= 0)
		close(w->top);
	fs_walk_init(w, w->root);
}

static void walk_push(struct fs_walk *w, const char *name, size_t len, int fd)
{
	if (w->depth == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 8;
		w->dirs = xrealloc(w->dirs, w->cap * sizeof(*w->dirs));
	}
	w->dirs[w->depth].name = xasprintf("%.*s", (int)len, name);
	w->dirs[w->depth++].fd = fd;
}

int fs_walk_dir(struct fs_walk *w, const char *logical, struct strv *created,
		int sync, struct err *e)
{
	const char *top = w->root && *w->root ? w->root : "/";
	const char *p = logical + strspn(logical, "/");
	size_t k = 0;
	int fd;

	if (w->top < 0) {
		w->top = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (w->top < 0)
			return err_set(e, EX_CANTCREAT, "cannot open root directory "
				       "'%s': %s", top, strerror(errno));
	}
	/* the cached prefix */
	for (size_t len; *p && k < w->depth; k++, p += len + strspn(p + len, "/")) {
		len = strcspn(p, "/");
		if (strlen(w->dirs[k].name) != len || memcmp(w->dirs[k].name, p, len) != 0)
			break;
	}
	walk_truncate(w, k);
	fd = k ? w->dirs[k - 1].fd : w->top;
	for (size_t len; *p; p += len + strspn(p + len, "/")) {
		char *comp, *walked;
		int next, made;

		len = strcspn(p, "/");
		comp = xasprintf("%.*s", (int)len, p);
		walked = xasprintf("%.*s", (int)(p - logical + (ptrdiff_t)len), logical);
		next = fs_step(fd, comp, walked, created, &made, e);
		if (next >= 0 && made && sync && fsync(fd) < 0) {
			err_set(e, EX_IOERR, "cannot sync directory of '%s': %s",
				walked, strerror(errno));
			close(next);
			next = -1;
		}
		if (next >= 0 && made)
			strv_add(created, walked);
		free(walked);
		free(comp);
		if (next < 0)
			return -1;
		walk_push(w, p, len, next);
		fd = next;
	}
	return fd;
}

/* A walk of its own, whose last directory the caller gets. */
static int open_dir(const char *root, const char *logical, struct strv *created,
		    int sync, struct err *e)
{
	struct fs_walk w;
	int fd;

	fs_walk_init(&w, root);
	fd = fs_walk_dir(&w, logical, created, sync, e);
	if (fd >= 0 && w.depth)
		free(w.dirs[--w.depth].name);	/* its fd is the caller's */
	else if (fd >= 0)
		w.top = -1;
	fs_walk_forget(&w);
	return fd;
}

int fs_open_dir(const char *root, const char *logical, struct strv *created,
		struct err *e)
{
	return open_dir(root, logical, created, 1, e);
}

int fs_make_dirs(const char *root, const char *logical, struct strv *created,
		 struct err *e)
{
	return open_dir(root, logical, created, 0, e);
}

int fs_sync_dir(const char *root, const char *logical, struct err *e)
{
	struct fs_walk w;
	int r;

	fs_walk_init(&w, root);
	r = fs_walk_sync(&w, logical, e);
	fs_walk_forget(&w);
	return r;
}

int fs_walk_sync(struct fs_walk *w, const char *logical, struct err *e)
{
	int fd = fs_walk_dir(w, logical, NULL, 0, e);

	if (fd < 0)	/* e names the reason, but for a missing component */
		return e->code ? -1 : err_set(e, EX_IOERR, "cannot sync directory "
					      "'%s': it is gone", logical);
	if (fsync(fd) < 0)
		return err_set(e, EX_IOERR, "cannot sync directory '%s': %s", logical,
			       strerror(errno));
	return 0;
}

int fs_read_at(int dirfd, const char *name, struct buf *out, struct stat *st_r,
	       struct err *e)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return err_set(e, EX_NOINPUT, "cannot open '%s': %s", name,
			       strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, EX_NOINPUT, "'%s' is not a regular file", name);
	}
	/* Straight into a buffer of the file's size: a users file of 100,000
	 * accounts is 19 MB, and growing a buffer chunk by chunk copies it. */
	buf_reserve(out, (size_t)st.st_size + 1);	/* +1: room to see EOF */
	for (;;) {
		if (out->cap - out->len < 2)
			buf_reserve(out, 65536);	/* it grew meanwhile */
		n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return err_set(e, EX_IOERR, "cannot read '%s': %s", name,
				       strerror(errno));
		}
		out->len += (size_t)n;
	}
	buf_add(out, "", 0);	/* NUL-terminate even when empty */
	close(fd);
	if (st_r)
		*st_r = st;
	return 0;
}

int fs_read(const char *root, const char *logical, struct buf *out,
	    struct stat *st_r, struct err *e)
{
	char *dir, *base;
	int dfd, r;

	if (fs_split(logical, &dir, &base, e) < 0)
		return -1;
	dfd = fs_open_dir(root, dir, NULL, e);
	if (dfd < 0) {
		r = e->code == 0 ? 1 : -1;
	} else {
		r = fs_read_at(dfd, base, out, st_r, e);
		close(dfd);
	}
	if (r < 0)
		err_prefix(e, "%s", logical);
	free(dir);
	free(base);
	return r;
}

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
