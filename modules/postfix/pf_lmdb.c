/* pf_lmdb.c - writes changes into a Postfix lmdb map in place, by the
 * conventions of Postfix's own writers (dict_lmdb.c and slmdb.c of Postfix
 * 3.7), so that its daemons read them as if postmap had written them:
 *
 * - The map is the data file <source>.lmdb itself (MDB_NOSUBDIR), with no
 *   lock file (MDB_NOLOCK). Postfix's readers take a shared fcntl() lock
 *   on the whole file around each lookup, its writers an exclusive one
 *   around each change; here the exclusive lock is held for the whole
 *   write transaction, commit included, so no lookup runs while pages it
 *   could be reading are reused.
 * - Keys are folded to lower case (webstack's are ASCII: pf_update.c
 *   leaves anything else to postmap). Keys and values carry one trailing
 *   NUL byte, or none, as the map's first key does (a reader tries both);
 *   an empty map gets the NUL, as Postfix writes unless built with
 *   LMDB_NO_TRAILING_NULL (Debian's postmap writes it).
 * - The memory map is as large as the map's meta page says (the size
 *   Postfix's writer last used, never less than the data). A transaction
 *   that fills it is aborted and done again with a map twice as large; the
 *   commit records the new size and readers follow (MDB_MAP_RESIZED).
 * - A put replaces the value (postmap -i -r); removing a key that is not
 *   there is no error (postmap -d).
 *
 * All the changes go in one write transaction: one commit, one sync, and a
 * reader sees all of them or none. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postfix.h"

/* How often one update may grow the memory map or follow another
 * writer's growth before it gives up: doubling 16 times is far more than
 * 64 entries need. */
#define RETRY_MAX 16

static int map_fail(char *msg, size_t msgsz, const char *path, const char *what, int rc)
{
	snprintf(msg, msgsz, "lmdb map %s: cannot %s: %s", path, what, mdb_strerror(rc));
	return rc > 0 ? -rc : -EIO;
}

/* The key folded as postmap folds it, with the map's trailing NUL. */
static int fold_key(const struct pf_lmdb_change *c, int nul, char *buf, size_t size,
		    MDB_val *k)
{
	if (c->key_len + 1 > size)
		return MDB_BAD_VALSIZE;
	for (size_t i = 0; i < c->key_len; i++)
		buf[i] = c->key[i] >= 'A' && c->key[i] <= 'Z' ? c->key[i] - 'A' + 'a' : c->key[i];
	buf[c->key_len] = '\0';
	*k = (MDB_val){.mv_size = c->key_len + nul, .mv_data = buf};
	return 0;
}

/* Whether the map's keys end in a NUL: as its first key does, or as
 * Debian's postmap writes when it has none. */
static int map_nul(MDB_txn *txn, MDB_dbi dbi, int *nul)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, dbi, &cur);

	if (rc != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	mdb_cursor_close(cur);
	*nul = rc != 0 || (k.mv_size > 0 && ((const char *)k.mv_data)[k.mv_size - 1] == '\0');
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* One attempt: the removals, then the puts (a key both removed and put
 * ends up put), then the commit. Returns an LMDB status; what gets the
 * step that failed. */
static int write_txn(MDB_env *env, const struct pf_lmdb_change *c, size_t n,
		     char *what, size_t whatsz)
{
	char key[512];	/* LMDB's keys hold at most 511 bytes */
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	int rc, nul;

	snprintf(what, whatsz, "begin a write transaction");
	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		return rc;
	snprintf(what, whatsz, "read its first key");
	if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0 ||
	    (rc = map_nul(txn, dbi, &nul)) != 0)
		goto abort;
	for (int put = 0; put < 2; put++)
		for (size_t i = 0; i < n; i++) {
			if (!c[i].value != !put)
				continue;
			snprintf(what, whatsz, "%s key '%.*s'", put ? "store" : "remove",
				 (int)(c[i].key_len < 300 ? c[i].key_len : 300), c[i].key);
			if ((rc = fold_key(&c[i], nul, key, sizeof(key), &k)) != 0)
				goto abort;
			v = (MDB_val){.mv_size = c[i].value_len + nul,
				      .mv_data = (void *)c[i].value};
			rc = put ? mdb_put(txn, dbi, &k, &v, 0) : mdb_del(txn, dbi, &k, NULL);
			if (rc != 0 && !(rc == MDB_NOTFOUND && !put))
				goto abort;
		}
	snprintf(what, whatsz, "commit");
	return mdb_txn_commit(txn);
abort:
	mdb_txn_abort(txn);
	return rc;
}

/* Waits for the exclusive lock on the whole file. An fcntl() lock belongs
 * to the process and goes when any of its descriptors of the file is
 * closed: nothing here opens the map but LMDB, whose two descriptors stay
 * open until mdb_env_close(). */
static int lock_map(int fd)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int r;

	while ((r = fcntl(fd, F_SETLKW, &fl)) < 0 && errno == EINTR)
		;
	return r < 0 ? errno : 0;
}

/* Runs write_txn until it commits: after MDB_MAP_FULL with a memory map
 * twice as large, after MDB_MAP_RESIZED with the size another writer
 * recorded. */
static int write_retrying(MDB_env *env, const struct pf_lmdb_change *c, size_t n,
			  char *what, size_t whatsz)
{
	for (int tries = 0;; tries++) {
		int rc = write_txn(env, c, n, what, whatsz);
		MDB_envinfo info;
		size_t size = 0;

		if ((rc != MDB_MAP_FULL && rc != MDB_MAP_RESIZED) || tries == RETRY_MAX)
			return rc;
		if (rc == MDB_MAP_FULL) {
			if (mdb_env_info(env, &info) != 0 || info.me_mapsize > SIZE_MAX / 2)
				return rc;
			size = info.me_mapsize * 2;
		}
		snprintf(what, whatsz, "set the memory map's size");
		if ((rc = mdb_env_set_mapsize(env, size)) != 0)
			return rc;
	}
}

int pf_lmdb_write(const char *path, const struct pf_lmdb_change *c, size_t n,
		  char *msg, size_t msgsz)
{
	struct stat ls, fs;
	MDB_env *env;
	char what[400];
	int rc, fd;

	/* mdb_env_open() follows symlinks and has no O_NOFOLLOW: refuse
	 * anything but a regular file, and check that the file it opened is
	 * that one. */
	if (lstat(path, &ls) < 0)
		return map_fail(msg, msgsz, path, "open it", errno);
	if (!S_ISREG(ls.st_mode)) {
		snprintf(msg, msgsz, "lmdb map %s: is not a regular file (a symlink?): "
			 "not writing to it", path);
		return -EPERM;
	}
	if ((rc = mdb_env_create(&env)) != 0)
		return map_fail(msg, msgsz, path, "create an LMDB environment", rc);
	snprintf(what, sizeof(what), "open it");
	rc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK, 0644);
	if (rc == 0)
		rc = mdb_env_get_fd(env, &fd);
	if (rc == 0 && fstat(fd, &fs) < 0)
		rc = errno;
	if (rc == 0 && (fs.st_dev != ls.st_dev || fs.st_ino != ls.st_ino)) {
		mdb_env_close(env);
		snprintf(msg, msgsz, "lmdb map %s: was replaced while being opened: "
			 "not writing to it", path);
		return -EAGAIN;
	}
	if (rc == 0) {
		snprintf(what, sizeof(what), "lock it");
		rc = lock_map(fd);
	}
	if (rc == 0)
		rc = write_retrying(env, c, n, what, sizeof(what));
	/* closing the map's descriptors releases the lock */
	mdb_env_close(env);
	return rc != 0 ? map_fail(msg, msgsz, path, what, rc) : 0;
}
