#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "log.h"
#include "purge.h"

/* Empties and removes directory `name` in dfd; never follows a symlink
 * (unlinkat removes the link itself) and never leaves the file system of
 * the Maildir (a mount inside it is refused, not emptied). */
static int remove_tree(int dfd, const char *name, dev_t dev, int depth)
{
	int fd, r = 0;
	DIR *d;
	struct dirent *de;
	struct stat self;

	if (depth > 64)
		return errno = ELOOP, -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &self) < 0 || self.st_dev != dev) {
		close(fd);
		return errno = EXDEV, -1;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while (r == 0 && (de = readdir(d))) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = -1;
		else if (S_ISDIR(st.st_mode))
			r = remove_tree(fd, de->d_name, dev, depth + 1);
		else
			r = unlinkat(fd, de->d_name, 0);
	}
	closedir(d);
	return r < 0 ? -1 : unlinkat(dfd, name, AT_REMOVEDIR);
}

int purge_maildir(struct mail_session *s, const char *address, size_t local_len)
{
	const char *domain = address + local_len + 1;
	char *dir = xasprintf("%s/%s", s->mail.mail_root, domain);
	char *local = strndup(address, local_len), *hidden;
	struct err *e = &s->c->err;
	struct stat st;
	int dfd = fs_open_dir(s->c->root, dir, NULL, e), r = -1;

	if (dfd < 0) {
		if (e->code == 0)	/* no domain directory: nothing to purge */
			r = 0;
		goto out;
	}
	if (fstatat(dfd, local, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = errno == ENOENT ? 0 : err_set(e, EX_IOERR, "%s/%s: %s", dir, local,
						   strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != s->mail.vmail_uid ||
	    st.st_gid != s->mail.vmail_gid) {
		err_set(e, EX_NOPERM, "the account is deleted, but %s/%s is not a "
			"directory owned by %s and its group: not removed", dir, local,
			s->mail.vmail_user);
		goto out;
	}
	hidden = xasprintf(".purge.%s.%ld", local, (long)getpid());
	if (renameat(dfd, local, dfd, hidden) < 0 || remove_tree(dfd, hidden, st.st_dev, 0) < 0)
		err_set(e, EX_IOERR, "the account is deleted, but removing its Maildir "
			"%s/%s failed: %s", dir, local, strerror(errno));
	else
		r = 0;
	free(hidden);
	if (r == 0) {
		fsync(dfd);
		log_msg(WEBSTACK_LOG_NOTICE, "removed the Maildir %s/%s", dir, local);
	}
out:
	if (dfd >= 0)
		close(dfd);
	free(dir);
	free(local);
	return r;
}
