#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diff.h"
#include "fsutil.h"
#include "lineset.h"
#include "log.h"
#include "nameindex.h"
#include "run.h"
#include "service.h"
#include "strv.h"
#include "txn.h"

/* ITEM_APPEND adds data at the end of an existing file in place: a users
 * file of 100,000 accounts is 19 MB, and an added account one line. */
enum item_kind { ITEM_FILE, ITEM_DIR, ITEM_REMOVE, ITEM_APPEND };

struct item {
	char *path;		/* logical; first, for nameindex.h */
	enum item_kind kind;
	char *dir, *base;	/* split of path */
	struct buf data;	/* ITEM_FILE content, ITEM_APPEND addition */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	unsigned flags;
	/* Set while committing. */
	int changed;		/* differs from the disk */
	int existed;		/* target was there before */
	struct stat old;	/* its stat, when existed */
	char *tmp;		/* temp file name in dir (ITEM_FILE) */
	char *bak;		/* hard-link backup name in dir, when existed */
};

struct action {
	char **argv;				/* a program, or NULL */
	const struct webstack_service *svc;	/* else a service */
	enum webstack_service_action act;
	struct txn_call call;			/* else a call (call.fn) */
};

struct txn {
	char *root;
	char *journal;		/* logical path of the journal */
	int lock_fd;
	struct item *items;
	size_t n_items, cap_items;
	struct action *actions;
	size_t n_actions, cap_actions;
	struct background bg;
	struct txn_hook hook;	/* fn NULL: none */
	int committed;		/* the last txn_commit() succeeded */
	struct strv mkdirs;	/* logical dirs the commit creates, outermost first */
	struct strv unsynced;	/* dirs changed since the last sync point */
	struct name_index ix_items, ix_mkdirs, ix_unsynced;	/* by path */
	struct fs_walk walk;	/* during a commit's or a diff's pass */
	long kill_at;		/* fault injection: SIGKILL at this step */
	long step;
};

/* Fault injection for the crash tests (like Postfix's fault_injection_code):
 * WEBSTACK_FAULT_KILL_AT=N kills the process after the N-th step of a
 * commit (each file, directory or removal of a phase; the phase is durable
 * as a whole at its end). Steps are numbered from 1 in each process. */
static void txn_crashpoint(struct txn *t)
{
	if (t->kill_at > 0 && ++t->step == t->kill_at)
		kill(getpid(), SIGKILL);
}

static volatile sig_atomic_t lock_alarm;

static void on_alarm(int sig)
{
	(void)sig;
	lock_alarm = 1;
}

/* flock with a timeout: SIGALRM without SA_RESTART interrupts the wait. */
static int lock_wait(int fd, unsigned timeout)
{
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	int r;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK || timeout == 0)
		return -1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	lock_alarm = 0;
	alarm(timeout);
	do
		r = flock(fd, LOCK_EX);
	while (r < 0 && errno == EINTR && !lock_alarm);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (r < 0 && lock_alarm)
		errno = EWOULDBLOCK;
	return r;
}

static int txn_lock(struct txn *t, const struct txn_options *o, struct err *e)
{
	char *dir, *base;
	int dfd;

	if (fs_split(o->lock_file, &dir, &base, e) < 0)
		return -1;
	{
		struct strv made = {0};

		dfd = fs_open_dir(t->root, dir, &made, e);
		strv_free(&made);
	}
	if (dfd >= 0) {
		t->lock_fd = openat(dfd, base,
				    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (t->lock_fd < 0)
			err_set(e, EX_CANTCREAT, "cannot open lock file '%s': %s",
				o->lock_file, strerror(errno));
		close(dfd);
	}
	free(dir);
	free(base);
	if (t->lock_fd < 0)
		return -1;
	if (lock_wait(t->lock_fd, o->lock_timeout) < 0) {
		if (errno == EWOULDBLOCK)
			return err_set(e, EX_TEMPFAIL,
				       "another webstack is changing this host "
				       "(lock '%s' still held after %u s); try again",
				       o->lock_file, o->lock_timeout);
		return err_set(e, EX_OSERR, "cannot lock '%s': %s", o->lock_file,
			       strerror(errno));
	}
	return 0;
}

/* ---- the journal ------------------------------------------------------ */

/* One line per fact, tab-separated; staged paths never hold tab or newline
 * (txn_check_path), so no quoting is needed. The fields of an item: kind,
 * dir, base, temp file, backup, and the old mode, uid and gid; an append
 * has no temp file and records the file's old size in place of a backup. */
static void journal_render(struct txn *t, char state, struct buf *b)
{
	buf_printf(b, "webstack-journal 1\nstate %c\n", state);
	for (size_t i = 0; i < t->mkdirs.n; i++)
		buf_printf(b, "mkdir\t%s\n", t->mkdirs.v[i]);
	for (size_t i = 0; i < t->n_items; i++) {
		struct item *it = &t->items[i];

		if (!it->changed)
			continue;
		char size[32];

		snprintf(size, sizeof(size), "%jd", (intmax_t)it->old.st_size);
		buf_printf(b, "%s\t%s\t%s\t%s\t%s\t%o\t%u\t%u\n",
			   it->kind == ITEM_FILE ? "file" :
			   it->kind == ITEM_DIR ? "dir" :
			   it->kind == ITEM_APPEND ? "append" : "remove",
			   it->dir, it->base, it->tmp ? it->tmp : "-",
			   it->kind == ITEM_APPEND ? size : it->bak ? it->bak : "-",
			   (unsigned)(it->existed ? it->old.st_mode & 07777 : 0),
			   (unsigned)(it->existed ? it->old.st_uid : 0),
			   (unsigned)(it->existed ? it->old.st_gid : 0));
	}
}

/* The journal's temp file, beside it: ".<base>.tmp". */
static char *journal_tmp(const char *base)
{
	return xasprintf(".%s.tmp", base);
}

/* Atomically replaces the journal with content (or removes it when NULL). */
static int journal_write(struct txn *t, const struct buf *content, struct err *e)
{
	char *dir, *base, *tmp;
	int dfd, fd, r = -1;

	if (fs_split(t->journal, &dir, &base, e) < 0)
		return -1;
	tmp = journal_tmp(base);
	dfd = fs_open_dir(t->root, dir, NULL, e);
	if (dfd < 0) {
		err_set(e, EX_IOERR, "cannot open the journal directory '%s'", dir);
		goto out;
	}
	if (!content) {
		/* a process killed before its rename left the temp file */
		unlinkat(dfd, tmp, 0);
		if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT)
			goto ioerr;
	} else {
		unlinkat(dfd, tmp, 0);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0)
			goto ioerr;
		if (fs_write_all(fd, content->data, content->len) < 0 || fsync(fd) < 0) {
			close(fd);
			unlinkat(dfd, tmp, 0);
			goto ioerr;
		}
		close(fd);
		if (renameat(dfd, tmp, dfd, base) < 0)
			goto ioerr;
	}
	if (fsync(dfd) < 0)
		goto ioerr;
	r = 0;
	goto out;
ioerr:
	err_set(e, EX_IOERR, "cannot write the journal '%s': %s", t->journal,
		strerror(errno));
out:
	if (dfd >= 0)
		close(dfd);
	free(dir);
	free(base);
	free(tmp);
	if (r == 0)
		txn_crashpoint(t);
	return r;
}

static int journal_state(struct txn *t, char state, struct err *e)
{
	struct buf b = {0};
	int r;

	journal_render(t, state, &b);
	r = journal_write(t, &b, e);
	buf_free(&b);
	return r;
}

/* ---- undo and cleanup, shared by rollback and crash recovery ---------- */

struct undo_entry {
	enum item_kind kind;
	const char *dir, *base, *tmp, *bak;	/* tmp, bak NULL when "-" */
	off_t size;				/* ITEM_APPEND: the old size */
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

static int undo_open(struct txn *t, const char *dir)
{
	struct err ignore;

	return fs_open_dir(t->root, dir, NULL, &ignore);
}

/* Undoes one entry. applying: the target may already be the new version.
 * Errors are ignored on purpose: each step is retried by the next
 * recovery, and ENOENT only means that step never happened. */
static void undo_entry(struct txn *t, const struct undo_entry *u, int applying)
{
	int dfd = undo_open(t, u->dir);

	if (dfd < 0)
		return;
	if (u->tmp)
		unlinkat(dfd, u->tmp, 0);
	if (u->kind == ITEM_APPEND) {
		int fd = applying ? openat(dfd, u->base,
					   O_WRONLY | O_NOFOLLOW | O_CLOEXEC) : -1;

		if (fd >= 0) {
			if (ftruncate(fd, u->size) == 0)
				fsync(fd);
			close(fd);
		}
	} else if (u->kind == ITEM_DIR) {
		if (applying && u->bak) {	/* bak "old": restore mode, owner */
			int fd = openat(dfd, u->base,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (fd >= 0) {
				if (fchown(fd, u->uid, u->gid) == 0)
					fchmod(fd, u->mode);
				close(fd);
			}
		}
	} else if (u->bak) {
		/* rename over a hard link to the same inode is a no-op, so the
		 * backup is unlinked afterwards in every case */
		renameat(dfd, u->bak, dfd, u->base);
		unlinkat(dfd, u->bak, 0);
	} else if (applying && u->kind == ITEM_FILE) {
		unlinkat(dfd, u->base, 0);	/* it did not exist before */
	}
	fsync(dfd);
	close(dfd);
}

static void undo_mkdirs(struct txn *t, char *const *dirs, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		char *parent, *base;
		struct err ignore;
		int dfd;

		if (fs_split(dirs[i], &parent, &base, &ignore) < 0)
			continue;
		dfd = undo_open(t, parent);
		if (dfd >= 0) {
			unlinkat(dfd, base, AT_REMOVEDIR);
			fsync(dfd);
			close(dfd);
		}
		free(parent);
		free(base);
	}
}

static void cleanup_backup(struct txn *t, const char *dir, const char *bak)
{
	int dfd = undo_open(t, dir);

	if (dfd < 0)
		return;
	unlinkat(dfd, bak, 0);
	close(dfd);
}

static const char *field_or_null(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

/* Removes the journal's temp file a process killed before its first
 * rename left behind (no journal: nothing had changed yet). */
static void journal_drop_tmp(struct txn *t)
{
	char *dir, *base, *tmp;
	struct err ignore;
	int dfd;

	if (fs_split(t->journal, &dir, &base, &ignore) < 0)
		return;
	tmp = journal_tmp(base);
	dfd = undo_open(t, dir);
	if (dfd >= 0) {
		unlinkat(dfd, tmp, 0);
		close(dfd);
	}
	free(dir);
	free(base);
	free(tmp);
}

/* Reads the journal of an interrupted commit and finishes it: before the
 * commit point roll back, after it drop the backups. */
static int txn_recover(struct txn *t, struct err *e)
{
	struct buf j = {0};
	struct strv dirs = {0};
	char *line, *save = NULL, state = 0;
	int r = fs_read(t->root, t->journal, &j, NULL, e);

	if (r != 0) {
		buf_free(&j);
		if (r > 0)
			journal_drop_tmp(t);
		return r < 0 ? -1 : 0;
	}
	log_msg(WEBSTACK_LOG_WARNING,
		"finishing a transaction an earlier webstack left behind (%s)",
		t->journal);
	for (line = strtok_r(j.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[8] = {0}, *p = line, *s2 = NULL;
		struct undo_entry u = {0};
		int n = 0;

		if (strncmp(line, "state ", 6) == 0) {
			state = line[6];
			continue;
		}
		for (char *tok = strtok_r(p, "\t", &s2); tok && n < 8;
		     tok = strtok_r(NULL, "\t", &s2))
			f[n++] = tok;
		if (n == 2 && strcmp(f[0], "mkdir") == 0) {
			strv_add(&dirs, f[1]);
			continue;
		}
		if (n != 8)
			continue;
		u.kind = strcmp(f[0], "file") == 0 ? ITEM_FILE :
			 strcmp(f[0], "dir") == 0 ? ITEM_DIR :
			 strcmp(f[0], "append") == 0 ? ITEM_APPEND : ITEM_REMOVE;
		u.dir = f[1];
		u.base = f[2];
		u.tmp = field_or_null(f[3]);
		if (u.kind == ITEM_APPEND)
			u.size = (off_t)strtoll(f[4], NULL, 10);
		else
			u.bak = field_or_null(f[4]);
		u.mode = (mode_t)strtoul(f[5], NULL, 8);
		u.uid = (uid_t)strtoul(f[6], NULL, 10);
		u.gid = (gid_t)strtoul(f[7], NULL, 10);
		if (state == 'D') {
			if (u.bak && u.kind != ITEM_DIR)
				cleanup_backup(t, u.dir, u.bak);
		} else {
			undo_entry(t, &u, state == 'A');
		}
	}
	if (state != 'D')
		undo_mkdirs(t, dirs.v, dirs.n);
	strv_free(&dirs);
	buf_free(&j);
	return journal_write(t, NULL, e);
}

/* ---- begin, stage, read ----------------------------------------------- */

int txn_begin(struct txn **t_r, const struct txn_options *o, struct err *e)
{
	struct txn *t = xmalloc(sizeof(*t));
	const char *kill_at = getenv("WEBSTACK_FAULT_KILL_AT");

	memset(t, 0, sizeof(*t));
	t->lock_fd = -1;
	t->root = xstrdup(o->root ? o->root : "");
	fs_walk_init(&t->walk, t->root);
	t->journal = xasprintf("%s%s", o->lock_file, TXN_JOURNAL_SUFFIX);
	t->kill_at = kill_at ? strtol(kill_at, NULL, 10) : 0;
	if (txn_lock(t, o, e) < 0 || txn_recover(t, e) < 0) {
		txn_end(t);
		return -1;
	}
	*t_r = t;
	return 0;
}

static int txn_check_path(const char *path, struct err *e)
{
	char *dir, *base;

	if (strpbrk(path, "\t\n\r"))
		return err_set(e, EX_SOFTWARE, "path '%s' holds a control character",
			       path);
	if (fs_split(path, &dir, &base, e) < 0)
		return -1;
	free(dir);
	free(base);
	return 0;
}

static struct item *txn_find(struct txn *t, const char *path)
{
	size_t i = name_index_find(&t->ix_items, t->items, sizeof(*t->items),
				   t->n_items, path);

	return i == NAME_INDEX_NONE ? NULL : &t->items[i];
}

/* The item for path: the one staged before (its place in the order is
 * kept, its content replaced) or a new one at the end. */
static struct item *txn_item(struct txn *t, const char *path, enum item_kind kind,
			     struct err *e)
{
	struct item *it;

	if (txn_check_path(path, e) < 0)
		return NULL;
	it = txn_find(t, path);
	if (it) {
		if (it->flags & WEBSTACK_FILE_SECRET)
			buf_free_secret(&it->data);
		else
			buf_free(&it->data);
		it->kind = kind;
		return it;
	}
	if (t->n_items == t->cap_items) {
		t->cap_items = t->cap_items ? t->cap_items * 2 : 16;
		t->items = xrealloc(t->items, t->cap_items * sizeof(*t->items));
	}
	it = &t->items[t->n_items++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->path = xstrdup(path);
	fs_split(path, &it->dir, &it->base, e);
	name_index_added(&t->ix_items, t->items, sizeof(*t->items), t->n_items);
	return it;
}

int txn_stage_file(struct txn *t, const struct webstack_file *f, struct err *e)
{
	struct item *it = txn_item(t, f->path, ITEM_FILE, e);

	if (!it)
		return -1;
	buf_add(&it->data, f->data, f->len);
	it->mode = f->mode & 07777;
	it->uid = f->uid;
	it->gid = f->gid;
	it->flags = f->flags;
	return 0;
}

int txn_stage_dir(struct txn *t, const char *path, mode_t mode, uid_t uid,
		  gid_t gid, struct err *e)
{
	struct item *it = txn_item(t, path, ITEM_DIR, e);

	if (!it)
		return -1;
	it->mode = mode & 07777;
	it->uid = uid;
	it->gid = gid;
	return 0;
}

int txn_stage_remove(struct txn *t, const char *path, struct err *e)
{
	return txn_item(t, path, ITEM_REMOVE, e) ? 0 : -1;
}

int txn_stage_append(struct txn *t, const struct webstack_file *f, struct err *e)
{
	struct item *it = txn_find(t, f->path);

	if (it && it->kind != ITEM_FILE && it->kind != ITEM_APPEND)
		return err_set(e, EX_SOFTWARE, "'%s' is staged as a directory or a "
			       "removal: nothing can be appended to it", f->path);
	if (!it) {
		it = txn_item(t, f->path, ITEM_APPEND, e);
		if (!it)
			return -1;
	}
	buf_add(&it->data, f->data, f->len);
	it->flags |= f->flags;
	return 0;
}

int txn_read(struct txn *t, const char *path, struct buf *out, struct err *e)
{
	struct item *it = txn_find(t, path);

	int r;

	if (it && it->kind == ITEM_FILE) {
		buf_add(out, it->data.data ? it->data.data : "", it->data.len);
		return 0;
	}
	if (it && it->kind == ITEM_REMOVE)
		return 1;
	r = fs_read(t->root, path, out, NULL, e);
	if (r == 0 && it && it->kind == ITEM_APPEND)
		buf_add(out, it->data.data, it->data.len);
	return r;
}

static struct action *new_action(struct txn *t)
{
	struct action *a;

	if (t->n_actions == t->cap_actions) {
		t->cap_actions = t->cap_actions ? t->cap_actions * 2 : 8;
		t->actions = xrealloc(t->actions, t->cap_actions * sizeof(*t->actions));
	}
	a = &t->actions[t->n_actions++];
	memset(a, 0, sizeof(*a));
	return a;
}

void txn_defer_run(struct txn *t, const char *const argv[])
{
	struct strv copy = {0};

	for (size_t i = 0; argv[i]; i++)
		strv_add(&copy, argv[i]);
	new_action(t)->argv = copy.v;
}

void txn_defer_service(struct txn *t, const struct webstack_service *svc,
		       enum webstack_service_action act)
{
	struct action *a;

	for (size_t i = 0; i < t->n_actions; i++)
		if (t->actions[i].svc == svc && t->actions[i].act == act)
			return;	/* one reload per service is enough */
	a = new_action(t);
	a->svc = svc;
	a->act = act;
}

void txn_defer_call(struct txn *t, const struct txn_call *call)
{
	struct action *a = new_action(t);

	a->call = *call;
	a->call.what = xstrdup(call->what);
}

void txn_defer_background(struct txn *t, const struct txn_call *call, int locked)
{
	background_add(&t->bg, call, locked);
}

void txn_take_background(struct txn *t, struct background *out)
{
	if (t->committed) {
		*out = t->bg;
		memset(&t->bg, 0, sizeof(t->bg));
	}
	background_release(&t->bg);
}

/* Gives a call's argument back to its owner, once. */
static void release_call(struct txn_call *c)
{
	if (c->release)
		c->release(c->arg);
	c->release = NULL;
	c->arg = NULL;
}

/* ---- comparing with the disk ------------------------------------------ */

/* Whether the staged content of a file equals cur, its content on disk. */
static int same_content(const struct item *it, const struct buf *cur)
{
	if (cur->len == it->data.len &&
	    (!cur->len || memcmp(cur->data, it->data.data, cur->len) == 0))
		return 1;
	return (it->flags & WEBSTACK_FILE_UNORDERED) &&
	       lineset_equal(cur->data, cur->len, it->data.data, it->data.len);
}

/* Fills it->existed, it->old and it->changed; ondisk (may be NULL) gets the
 * current content of a file target (of an appended one too). */
static int item_probe(struct txn *t, struct item *it, struct buf *ondisk,
		      struct err *e)
{
	struct buf cur = {0};
	int dfd, r;

	it->existed = 0;
	it->changed = 1;
	dfd = fs_walk_dir(&t->walk, it->dir, NULL, 1, e);
	if (dfd < 0) {
		if (e->code != 0)
			return err_prefix(e, "%s", it->path);
		return 0;	/* parent missing: target absent */
	}
	if (it->kind == ITEM_DIR) {
		r = fstatat(dfd, it->base, &it->old, AT_SYMLINK_NOFOLLOW);
		if (r < 0 && errno != ENOENT)
			return err_set(e, EX_IOERR, "%s: %s", it->path, strerror(errno));
		if (r == 0 && !S_ISDIR(it->old.st_mode))
			return err_set(e, EX_CANTCREAT,
				       "'%s' exists and is not a directory", it->path);
		it->existed = r == 0;
		it->changed = !it->existed || (it->old.st_mode & 07777) != it->mode ||
			      it->old.st_uid != it->uid || it->old.st_gid != it->gid;
		return 0;
	}
	if (it->kind == ITEM_APPEND && !ondisk) {
		/* its size is all a commit needs: the file keeps its owner,
		 * mode and content up to there */
		r = fstatat(dfd, it->base, &it->old, AT_SYMLINK_NOFOLLOW);
		if (r < 0 || !S_ISREG(it->old.st_mode))
			return err_set(e, EX_SOFTWARE, "cannot append to '%s': %s",
				       it->path, r < 0 ? strerror(errno) :
				       "not a regular file");
		it->existed = 1;
		it->changed = it->data.len > 0;
		return 0;
	}
	r = fs_read_at(dfd, it->base, &cur, &it->old, e);
	if (r < 0) {
		buf_free(&cur);
		return err_prefix(e, "%s", it->path);
	}
	it->existed = r == 0;
	if (it->kind == ITEM_APPEND && !it->existed)
		r = err_set(e, EX_SOFTWARE, "cannot append to '%s': it does not exist",
			    it->path);
	else if (it->kind == ITEM_APPEND)
		it->changed = it->data.len > 0;
	else if (it->kind == ITEM_REMOVE)
		it->changed = it->existed;
	else
		it->changed = !it->existed || !same_content(it, &cur) ||
			      (it->old.st_mode & 07777) != it->mode ||
			      it->old.st_uid != it->uid || it->old.st_gid != it->gid;
	if (ondisk)
		*ondisk = cur;
	else
		buf_free(&cur);
	return r < 0 ? -1 : 0;
}

static int probe_all(struct txn *t, struct err *e)
{
	int n = 0;

	for (size_t i = 0; i < t->n_items; i++) {
		if (item_probe(t, &t->items[i], NULL, e) < 0)
			return -1;
		n += t->items[i].changed;
	}
	return n;
}

int txn_pending(struct txn *t, struct err *e)
{
	int n = probe_all(t, e);

	fs_walk_forget(&t->walk);
	return n;
}

static void diff_meta(FILE *out, const struct item *it)
{
	if (!it->existed)
		fprintf(out, "# %s: new %s, mode %04o, owner %u:%u\n", it->path,
			it->kind == ITEM_DIR ? "directory" : "file",
			(unsigned)it->mode, (unsigned)it->uid, (unsigned)it->gid);
	else if ((it->old.st_mode & 07777) != it->mode || it->old.st_uid != it->uid ||
		 it->old.st_gid != it->gid)
		fprintf(out, "# %s: mode %04o -> %04o, owner %u:%u -> %u:%u\n",
			it->path, (unsigned)(it->old.st_mode & 07777),
			(unsigned)it->mode, (unsigned)it->old.st_uid,
			(unsigned)it->old.st_gid, (unsigned)it->uid,
			(unsigned)it->gid);
}

static void diff_append(FILE *out, const struct item *it, const struct buf *cur)
{
	struct buf now = {0};

	if (it->flags & WEBSTACK_FILE_SECRET) {
		fprintf(out, "# %s: %zu bytes of secret content appended, not shown\n",
			it->path, it->data.len);
		return;
	}
	buf_add(&now, cur->data, cur->len);
	buf_add(&now, it->data.data, it->data.len);
	diff_unified(out, it->path, cur->data, cur->len, it->path, now.data, now.len);
	buf_free(&now);
}

/* A file whose line order carries no meaning is shown against its lines
 * sorted, as it is rendered: lines appended earlier do not show as moved. */
static void diff_file(FILE *out, const struct item *it, const struct buf *cur)
{
	struct buf sorted = {0};
	const struct buf *old = cur;

	if (it->existed && (it->flags & WEBSTACK_FILE_UNORDERED)) {
		lineset_sorted(cur->data, cur->len, &sorted);
		old = &sorted;
	}
	diff_unified(out, it->existed ? it->path : "/dev/null",
		     it->existed ? old->data : NULL, old->len,
		     it->path, it->data.data, it->data.len);
	buf_free(&sorted);
}

int txn_diff(struct txn *t, FILE *out, struct err *e)
{
	int n = 0;

	for (size_t i = 0; i < t->n_items; i++) {
		struct item *it = &t->items[i];
		struct buf cur = {0};

		if (item_probe(t, it, &cur, e) < 0) {
			fs_walk_forget(&t->walk);
			return -1;
		}
		if (!it->changed) {
			buf_free(&cur);
			continue;
		}
		n++;
		if (it->kind == ITEM_REMOVE) {
			fprintf(out, "# %s: removed\n", it->path);
			if (!(it->flags & WEBSTACK_FILE_SECRET))
				diff_unified(out, it->path, cur.data, cur.len,
					     "/dev/null", NULL, 0);
		} else if (it->kind == ITEM_APPEND) {
			diff_append(out, it, &cur);
		} else {
			diff_meta(out, it);
			if (it->kind == ITEM_DIR)
				;
			else if (it->flags & WEBSTACK_FILE_SECRET)
				fprintf(out, "# %s: secret content (%zu bytes) not shown\n",
					it->path, it->data.len);
			else
				diff_file(out, it, &cur);
		}
		buf_free(&cur);
	}
	fs_walk_forget(&t->walk);
	fflush(out);
	return n;
}

/* ---- commit ----------------------------------------------------------- */

static char *random_name(const char *base, const char *what)
{
	unsigned char r[6];
	char hex[13];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));	/* O_EXCL still catches a clash */
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	return xasprintf(".%s.ws-%s-%s", base, what, hex);
}

/* Adds a copy of path to the set v (indexed by ix) unless it is there. */
static void add_once(struct strv *v, struct name_index *ix, const char *path)
{
	if (name_index_find(ix, v->v, sizeof(char *), v->n, path) != NAME_INDEX_NONE)
		return;
	strv_add(v, path);
	name_index_added(ix, v->v, sizeof(char *), v->n);
}

/* Plans the directories missing on the way to each changed target: a
 * walk to it stops at the first missing component (the walk then holds
 * those that exist), and that one and those after it are planned. A
 * component that is not a directory is left for the prepare step to
 * report. */
static void plan_mkdirs(struct txn *t)
{
	for (size_t i = 0; i < t->n_items; i++) {
		struct item *it = &t->items[i];
		const char *target = it->kind == ITEM_DIR ? it->path : it->dir;
		struct err e = {0};
		size_t exist;
		char *p;

		if (!it->changed || it->kind == ITEM_REMOVE ||
		    fs_walk_dir(&t->walk, target, NULL, 0, &e) >= 0 || e.code)
			continue;
		exist = t->walk.depth;
		p = xstrdup(target);
		for (char *c = p + 1; *c; c++) {
			if (*c != '/')
				continue;
			if (exist > 0) {
				exist--;
				continue;
			}
			*c = '\0';
			add_once(&t->mkdirs, &t->ix_mkdirs, p);
			*c = '/';
		}
		add_once(&t->mkdirs, &t->ix_mkdirs, p);
		free(p);
	}
}

/* Dovecot re-reads a file whose size or mtime second differ from what it
 * read last: a watched file's mtime second moves on at every change, and
 * never back (two changes in one second leave the first at +1). */
static int next_mtime(const struct item *it, int fd)
{
	struct stat now;
	struct timespec ts[2] = {
		{.tv_nsec = UTIME_OMIT},
		{.tv_sec = it->old.st_mtim.tv_sec + 1},
	};

	if (!(it->flags & WEBSTACK_FILE_STAT_WATCHED) || fstat(fd, &now) < 0 ||
	    now.st_mtim.tv_sec > it->old.st_mtim.tv_sec)
		return 0;
	return futimens(fd, ts);
}

/* A write to fd failed (errno): a full disk is EX_CANTCREAT. */
static int write_failed(const struct item *it, int fd, const char *what, struct err *e)
{
	err_set(e, errno == ENOSPC || errno == EDQUOT ? EX_CANTCREAT : EX_IOERR,
		"cannot %s '%s': %s", what, it->path, strerror(errno));
	close(fd);
	return -1;
}

static int item_prepare_file(struct txn *t, struct item *it, int dfd,
			     struct err *e)
{
	int fd;

	fd = openat(dfd, it->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return err_set(e, EX_CANTCREAT, "cannot create a temp file for '%s': %s",
			       it->path, strerror(errno));
	/* final owner and mode before any byte of content */
	if (fchown(fd, it->uid, it->gid) < 0 || fchmod(fd, it->mode) < 0)
		goto fail;
	if (fs_write_all(fd, it->data.data ? it->data.data : "", it->data.len) < 0)
		goto fail;
	if (it->existed && next_mtime(it, fd) < 0)
		goto fail;
	if (fsync(fd) < 0)
		goto fail;
	close(fd);
	txn_crashpoint(t);
	return 0;
fail:
	return write_failed(it, fd, "write", e);
}

/* A directory whose entries changed: synced at the next sync point. */
static void sync_later(struct txn *t, const char *dir)
{
	add_once(&t->unsynced, &t->ix_unsynced, dir);
}

/* The sync point before each journal state: every directory changed since
 * the last one is fsynced once. Within a phase the order of the steps does
 * not matter to recovery, only that all are durable before the journal
 * says the next phase began (an import of 100,000 accounts made 800,000
 * fsyncs when each step synced its directory, 200,000 like this). */
static int sync_dirs(struct txn *t, struct err *e)
{
	int r = 0;

	for (size_t i = 0; i < t->unsynced.n && r == 0; i++)
		r = fs_walk_sync(&t->walk, t->unsynced.v[i], e);
	strv_free(&t->unsynced);
	name_index_free(&t->ix_unsynced);
	return r;
}

/* Runs step on every changed item (but directories when skip_dirs) with
 * its directory open (kept open for the next item in the same one): one
 * step each (a crash point). The directories are synced at the end. */
static int txn_each_changed(struct txn *t, int skip_dirs,
			    int (*step)(struct txn *t, struct item *it, int dfd,
					struct err *e),
			    struct err *e)
{
	int r = 0;

	for (size_t i = 0; i < t->n_items && r == 0; i++) {
		struct item *it = &t->items[i];
		int dfd;

		if (!it->changed || (skip_dirs && it->kind == ITEM_DIR))
			continue;
		dfd = fs_walk_dir(&t->walk, it->dir, NULL, 1, e);
		if (dfd < 0)
			return err_set(e, EX_CANTCREAT, "cannot open directory of '%s'",
				       it->path);
		r = step(t, it, dfd, e);
		if (r == 0) {
			sync_later(t, it->dir);
			txn_crashpoint(t);
		}
	}
	return r < 0 ? -1 : sync_dirs(t, e);
}

/* Prepare step: the temp file of a new content, the backup of a target. */
static int item_prepare(struct txn *t, struct item *it, int dfd, struct err *e)
{
	if (it->kind == ITEM_FILE && item_prepare_file(t, it, dfd, e) < 0)
		return -1;
	if (it->bak && linkat(dfd, it->base, dfd, it->bak, 0) < 0)
		return err_set(e, EX_CANTCREAT, "cannot back up '%s': %s", it->path,
			       strerror(errno));
	return 0;
}

/* Creates the planned directories, the temp files and the backups. */
static int txn_prepare(struct txn *t, struct err *e)
{
	for (size_t i = 0; i < t->mkdirs.n; i++) {
		struct strv made = {0};
		int fd = fs_walk_dir(&t->walk, t->mkdirs.v[i], &made, 0, e);

		/* synced with the prepare steps' directories, at their end */
		for (size_t k = 0; k < made.n; k++) {
			*strrchr(made.v[k], '/') = '\0';
			sync_later(t, *made.v[k] ? made.v[k] : "/");
		}
		strv_free(&made);
		if (fd < 0)
			return -1;
		txn_crashpoint(t);
	}
	return txn_each_changed(t, 1, item_prepare, e);
}

/* Writes an append at the old end of its file and makes it durable; a
 * crash before the commit point is undone by truncating to the old size.
 * A reader between two of its pages sees part of the new last line
 * (architecture.md says what that means for Dovecot). */
static int item_append(struct item *it, int dfd, struct err *e)
{
	int fd = openat(dfd, it->base, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat now;
	size_t done = 0;

	if (fd < 0)
		return err_set(e, EX_IOERR, "cannot open '%s' to append: %s", it->path,
			       strerror(errno));
	if (fstat(fd, &now) < 0 || now.st_size != it->old.st_size ||
	    now.st_ino != it->old.st_ino) {
		close(fd);
		return err_set(e, EX_TEMPFAIL, "'%s' changed while webstack was "
			       "changing it (edited by hand?); try again", it->path);
	}
	while (done < it->data.len) {
		ssize_t n = pwrite(fd, it->data.data + done, it->data.len - done,
				   it->old.st_size + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (size_t)n;
	}
	if (next_mtime(it, fd) < 0 || fsync(fd) < 0)
		goto fail;
	close(fd);
	return 0;
fail:
	return write_failed(it, fd, "append to", e);
}

/* Apply step: puts one change in place. */
static int item_apply(struct txn *t, struct item *it, int dfd, struct err *e)
{
	int fd;

	(void)t;
	switch (it->kind) {
	case ITEM_FILE:
		if (renameat(dfd, it->tmp, dfd, it->base) < 0)
			return err_set(e, EX_IOERR, "cannot replace '%s': %s",
				       it->path, strerror(errno));
		free(it->tmp);
		it->tmp = NULL;
		return 0;
	case ITEM_REMOVE:
		if (unlinkat(dfd, it->base, 0) < 0 && errno != ENOENT)
			return err_set(e, EX_IOERR, "cannot remove '%s': %s",
				       it->path, strerror(errno));
		return 0;
	case ITEM_APPEND:
		return item_append(it, dfd, e);
	case ITEM_DIR:
		fd = openat(dfd, it->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchown(fd, it->uid, it->gid) < 0 ||
		    fchmod(fd, it->mode) < 0) {
			err_set(e, EX_CANTCREAT, "cannot set owner and mode of '%s': %s",
				it->path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
		return 0;
	}
	return 0;
}

static void txn_rollback(struct txn *t, int applying)
{
	fs_walk_forget(&t->walk);	/* the undo removes directories */
	for (size_t i = t->n_items; i-- > 0;) {
		struct item *it = &t->items[i];
		struct undo_entry u = {
			.kind = it->kind, .dir = it->dir, .base = it->base,
			.tmp = it->tmp, .bak = it->bak, .size = it->old.st_size,
			.mode = it->old.st_mode & 07777,
			.uid = it->old.st_uid, .gid = it->old.st_gid,
		};

		if (it->changed)
			undo_entry(t, &u, applying);
	}
	undo_mkdirs(t, t->mkdirs.v, t->mkdirs.n);
}

static void txn_drop_backups(struct txn *t)
{
	for (size_t i = 0; i < t->n_items; i++) {
		struct item *it = &t->items[i];

		if (it->changed && it->bak && it->kind != ITEM_DIR)
			cleanup_backup(t, it->dir, it->bak);
	}
}

/* Runs a deferred call; its message is copied before the release. */
static int run_call(struct txn_call *c, struct err *e)
{
	const char *msg = NULL;
	int r;

	log_msg(WEBSTACK_LOG_INFO, "%s", c->what);
	r = c->fn(c->arg, &msg);
	if (r != 0)
		err_set(e, EX_UNAVAILABLE, "%s: %s", c->what, msg ? msg : "failed");
	release_call(c);
	return r != 0 ? err_prefix(e, "the change is committed, but") : 0;
}

static int txn_run_actions(struct txn *t, struct err *e)
{
	for (size_t i = 0; i < t->n_actions; i++) {
		struct action *a = &t->actions[i];
		int status = 0;

		if (a->call.fn) {
			if (run_call(&a->call, e) < 0)
				return -1;
			continue;
		}
		if (a->svc) {
			log_msg(WEBSTACK_LOG_INFO, "%s %s",
				service_action_name(a->act), a->svc->name);
			if (service_control(a->svc, a->act, e) < 0)
				return err_prefix(e, "the change is committed, but");
			continue;
		}
		if (run_program((const char *const *)a->argv, NULL, 0, NULL, &status,
				e) < 0 || status != 0) {
			char *cmd = run_argv_string((const char *const *)a->argv);

			if (status != 0)
				err_set(e, EX_UNAVAILABLE, "'%s' failed (exit %d)", cmd,
					status);
			err_prefix(e, "the change is committed, but");
			free(cmd);
			return -1;
		}
	}
	return 0;
}

void txn_set_commit_hook(struct txn *t, const struct txn_hook *hook)
{
	t->hook = *hook;
}

/* The commit hook, once: 0 when there is none. */
static int run_hook(struct txn *t, struct err *e)
{
	struct txn_hook h = t->hook;

	t->hook.fn = NULL;
	return h.fn ? h.fn(h.arg, e) : 0;
}

static int commit(struct txn *t, struct err *e);

int txn_commit(struct txn *t, struct err *e)
{
	int r = commit(t, e);

	t->hook.fn = NULL;
	fs_walk_forget(&t->walk);

	t->committed = r == 0;
	return r;
}

static int commit(struct txn *t, struct err *e)
{
	int changed = probe_all(t, e);
	const char *partial = NULL;	/* set once the hook's change is made */

	if (changed < 0)
		return err_prefix(e, "nothing was changed");
	if (changed == 0) {
		if (run_hook(t, e) < 0)
			return err_prefix(e, "nothing was changed");
		fs_walk_forget(&t->walk);	/* the actions may change directories */
		return t->n_actions ? txn_run_actions(t, e) : 0;
	}
	for (size_t i = 0; i < t->n_items; i++) {
		struct item *it = &t->items[i];

		if (!it->changed)
			continue;
		if (it->kind == ITEM_FILE)
			it->tmp = random_name(it->base, "tmp");
		if (it->existed && it->kind != ITEM_DIR && it->kind != ITEM_APPEND)
			it->bak = random_name(it->base, "bak");
		if (it->existed && it->kind == ITEM_DIR)
			it->bak = xstrdup("old");	/* marks "restore mode" */
	}
	plan_mkdirs(t);
	if (journal_state(t, 'P', e) < 0)
		return -1;
	if (txn_prepare(t, e) < 0)
		goto rollback_prepared;
	partial = t->hook.fn ? t->hook.partial : NULL;
	if (run_hook(t, e) < 0) {
		partial = NULL;
		goto rollback_prepared;
	}
	if (journal_state(t, 'A', e) < 0)
		goto rollback_prepared;
	if (txn_each_changed(t, 0, item_apply, e) < 0)
		goto rollback_applying;
	if (journal_state(t, 'D', e) < 0)
		goto rollback_applying;
	txn_drop_backups(t);
	if (journal_write(t, NULL, e) < 0)
		return -1;
	fs_walk_forget(&t->walk);	/* the actions may change directories */
	return txn_run_actions(t, e);

rollback_applying:
	txn_rollback(t, 1);
	goto rolled_back;
rollback_prepared:
	txn_rollback(t, 0);
rolled_back:
	strv_free(&t->unsynced);	/* the rollback synced what it undid */
	name_index_free(&t->ix_unsynced);
	{
		struct err ignore;

		journal_write(t, NULL, &ignore);
	}
	return err_prefix(e, "%s", partial ? partial : "nothing was changed");
}

size_t txn_print_actions(struct txn *t, FILE *out)
{
	for (size_t i = 0; i < t->n_actions; i++) {
		const struct action *a = &t->actions[i];

		if (a->call.fn) {
			fprintf(out, "# would %s\n", a->call.what);
			continue;
		}
		if (!a->argv) {
			fprintf(out, "# would %s %s\n", service_action_name(a->act),
				a->svc->name);
			continue;
		}
		fputs("# would run:", out);
		for (char **p = a->argv; *p; p++)
			fprintf(out, " %s", *p);
		fputc('\n', out);
	}
	return t->n_actions + background_print(&t->bg, out);
}

void txn_clear(struct txn *t)
{
	for (size_t i = 0; i < t->n_items; i++) {
		struct item *it = &t->items[i];

		free(it->path);
		free(it->dir);
		free(it->base);
		free(it->tmp);
		free(it->bak);
		if (it->flags & WEBSTACK_FILE_SECRET)
			buf_free_secret(&it->data);
		else
			buf_free(&it->data);
	}
	free(t->items);
	for (size_t i = 0; i < t->n_actions; i++) {
		struct strv sv = {.v = t->actions[i].argv};

		for (sv.n = 0; sv.v && sv.v[sv.n]; sv.n++)
			;
		strv_free(&sv);
		release_call(&t->actions[i].call);
		free((char *)t->actions[i].call.what);	/* the copy */
	}
	free(t->actions);
	background_release(&t->bg);
	t->committed = 0;
	t->items = NULL;
	t->actions = NULL;
	t->n_items = t->cap_items = t->n_actions = t->cap_actions = 0;
	strv_free(&t->mkdirs);
	strv_free(&t->unsynced);
	name_index_free(&t->ix_items);
	name_index_free(&t->ix_mkdirs);
	name_index_free(&t->ix_unsynced);
	fs_walk_forget(&t->walk);
	t->hook.fn = NULL;
}

void txn_end(struct txn *t)
{
	if (!t)
		return;
	txn_clear(t);
	if (t->lock_fd >= 0)
		close(t->lock_fd);	/* releases the flock */
	free(t->root);
	free(t->journal);
	free(t);
}
