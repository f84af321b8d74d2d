/* Transactions: staging, read-your-writes, dry-run diffs, owner and mode,
 * the mtime bump for Dovecot, rollback of a failed commit, the lock. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "fsutil.h"
#include "strv.h"
#include "txn.h"

struct fx {
	char root[32];
	struct txn_options o;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->root, "/tmp/ws-txn-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->o.root = f->root;
	f->o.lock_file = "/var/lib/webstack/lock";
	f->o.lock_timeout = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->root);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

static void put(struct fx *f, const char *logical, const char *text, mode_t mode)
{
	char *real = fs_real(f->root, logical), *cmd;
	FILE *fp;

	cmd = xasprintf("mkdir -p \"$(dirname '%s')\"", real);
	assert_int_equal(system(cmd), 0);
	fp = fopen(real, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(real, mode), 0);
	free(cmd);
	free(real);
}

static char *get(struct fx *f, const char *logical)
{
	struct buf b = {0};
	struct err e = {0};

	if (fs_read(f->root, logical, &b, NULL, &e) != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Stages text for path with fn (txn_stage_file or txn_stage_append). */
static int stage_with(int (*fn)(struct txn *, const struct webstack_file *, struct err *),
		      struct txn *t, const char *path, const char *text, mode_t mode,
		      unsigned flags)
{
	struct webstack_file wf = {.path = path, .data = text, .len = strlen(text),
				   .mode = mode, .flags = flags};
	struct err e = {0};

	return fn(t, &wf, &e);
}

static int stage(struct txn *t, const char *path, const char *text, mode_t mode,
		 unsigned flags)
{
	return stage_with(txn_stage_file, t, path, text, mode, flags);
}

static void test_commit_and_read_back(void **state)
{
	struct fx *f = *state;
	struct txn *t;
	struct err e = {0};
	struct buf b = {0};
	struct stat st;
	char *real, *s;

	put(f, "/etc/a", "old\n", 0644);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(stage(t, "/etc/a", "new\n", 0640, 0), 0);
	assert_int_equal(stage(t, "/etc/sub/dir/b", "bee\n", 0600, 0), 0);
	assert_int_equal(txn_read(t, "/etc/a", &b, &e), 0);	/* staged content */
	assert_string_equal(b.data, "new\n");
	assert_int_equal(txn_pending(t, &e), 2);
	assert_int_equal(txn_commit(t, &e), 0);
	txn_end(t);
	s = get(f, "/etc/a");
	assert_string_equal(s, "new\n");
	free(s);
	s = get(f, "/etc/sub/dir/b");
	assert_string_equal(s, "bee\n");
	free(s);
	real = fs_real(f->root, "/etc/a");
	assert_int_equal(stat(real, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	free(real);
	buf_free(&b);
}

static void test_dry_run_diff_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct txn *t;
	struct err e = {0};
	char *out = NULL, *s;
	size_t len;
	FILE *mem = open_memstream(&out, &len);

	put(f, "/etc/a", "one\ntwo\nthree\n", 0644);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(stage(t, "/etc/a", "one\n2\nthree\n", 0644, 0), 0);
	assert_int_equal(stage(t, "/etc/key", "PRIVATE KEY\n", 0600, WEBSTACK_FILE_SECRET), 0);
	assert_int_equal(stage(t, "/etc/same", "x\n", 0644, 0), 0);
	put(f, "/etc/same", "x\n", 0644);
	assert_int_equal(txn_diff(t, mem, &e), 2);
	fclose(mem);
	txn_end(t);
	assert_non_null(strstr(out, "--- /etc/a\n+++ /etc/a\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n"));
	assert_non_null(strstr(out, "# /etc/key: new file, mode 0600"));
	assert_non_null(strstr(out, "secret content (12 bytes) not shown"));
	assert_null(strstr(out, "PRIVATE"));
	assert_null(strstr(out, "/etc/same"));
	s = get(f, "/etc/a");
	assert_string_equal(s, "one\ntwo\nthree\n");
	free(s);
	assert_null(get(f, "/etc/key"));
	free(out);
}

static void test_same_size_same_second_bumps_mtime(void **state)
{
	struct fx *f = *state;
	struct txn *t;
	struct err e = {0};
	struct stat before, after;
	char *real = fs_real(f->root, "/etc/users");

	put(f, "/etc/users", "alice:AAAA\n", 0640);
	assert_int_equal(stat(real, &before), 0);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(stage(t, "/etc/users", "alice:BBBB\n", 0640,
			       WEBSTACK_FILE_STAT_WATCHED), 0);
	assert_int_equal(txn_commit(t, &e), 0);
	txn_end(t);
	assert_int_equal(stat(real, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	/* Either a new second began anyway, or webstack moved the mtime on. */
	assert_true(after.st_mtim.tv_sec != before.st_mtim.tv_sec);
	free(real);
}

/* Three same-size changes within one second: each one's mtime second
 * differs from the one before, so the third must not fall back to the
 * clock's second, which the first change already had. */
static void test_mtime_never_goes_back(void **state)
{
	static const char *const v[] = {"alice:CCCC\n", "alice:DDDD\n", "alice:EEEE\n"};
	struct fx *f = *state;
	char *real = fs_real(f->root, "/etc/users");
	struct stat st;
	time_t prev;

	put(f, "/etc/users", "alice:AAAA\n", 0640);
	assert_int_equal(stat(real, &st), 0);
	prev = st.st_mtim.tv_sec;
	for (size_t i = 0; i < 3; i++) {
		struct txn *t;
		struct err e = {0};

		assert_int_equal(txn_begin(&t, &f->o, &e), 0);
		assert_int_equal(stage(t, "/etc/users", v[i], 0640,
				       WEBSTACK_FILE_STAT_WATCHED), 0);
		assert_int_equal(txn_commit(t, &e), 0);
		txn_end(t);
		assert_int_equal(stat(real, &st), 0);
		assert_true(st.st_mtim.tv_sec > prev);
		prev = st.st_mtim.tv_sec;
	}
	free(real);
}

static int append(struct txn *t, const char *path, const char *text, unsigned flags);

/* An append, then a rewrite back to the old size, within one second: the
 * rewrite must not look like the version before the append (same size,
 * same mtime second), which Dovecot may have read last. */
static void test_watched_append_then_old_size(void **state)
{
	struct fx *f = *state;
	char *real = fs_real(f->root, "/etc/users");
	struct stat v0, v1, v2;
	struct txn *t;
	struct err e = {0};

	put(f, "/etc/users", "a:1\n", 0640);
	assert_int_equal(stat(real, &v0), 0);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(append(t, "/etc/users", "b:2\n", WEBSTACK_FILE_STAT_WATCHED), 0);
	assert_int_equal(txn_commit(t, &e), 0);
	txn_end(t);
	assert_int_equal(stat(real, &v1), 0);
	assert_true(v1.st_mtim.tv_sec > v0.st_mtim.tv_sec);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(stage(t, "/etc/users", "c:3\n", 0640, WEBSTACK_FILE_STAT_WATCHED), 0);
	assert_int_equal(txn_commit(t, &e), 0);
	txn_end(t);
	assert_int_equal(stat(real, &v2), 0);
	assert_int_equal(v2.st_size, v0.st_size);
	assert_true(v2.st_mtim.tv_sec > v1.st_mtim.tv_sec);
	free(real);
}

static void test_failed_commit_rolls_back(void **state)
{
	struct fx *f = *state;
	struct txn *t;
	struct err e = {0};
	char *s;

	put(f, "/etc/a", "old a\n", 0644);
	put(f, "/etc/blocker", "a file where a directory must go\n", 0644);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(stage(t, "/etc/a", "new a\n", 0644, 0), 0);
	assert_int_equal(stage(t, "/etc/blocker/b", "cannot be\n", 0644, 0), 0);
	assert_int_equal(txn_commit(t, &e), -1);
	assert_non_null(strstr(e.msg, "nothing was changed"));
	txn_end(t);
	s = get(f, "/etc/a");
	assert_string_equal(s, "old a\n");
	free(s);
	s = xasprintf("find '%s/etc' -name '.*ws-*' | grep -q .", f->root);
	assert_int_not_equal(system(s), 0);	/* no temp or backup left */
	free(s);
}

/* The commit hook (a directory in a database): what it saw when called. */
struct hook_seen {
	struct fx *f;
	int calls;
	char *a;		/* /etc/a's content then */
	int fail;		/* fail with EX_CANTCREAT */
	int sabotage;		/* put a directory where /etc/a goes */
};

static int hook(void *arg, struct err *e)
{
	struct hook_seen *h = arg;

	h->calls++;
	free(h->a);
	h->a = get(h->f, "/etc/a");
	if (h->sabotage) {
		char *real = fs_real(h->f->root, "/etc/a"), *cmd;

		cmd = xasprintf("rm -f '%s' && mkdir -p '%s/x'", real, real);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		free(real);
	}
	return h->fail ? err_set(e, EX_CANTCREAT, "'x' is taken") : 0;
}

static void commit_with_hook(struct fx *f, struct hook_seen *h, const char *a_text,
			     const char *b_path, int want)
{
	struct txn_hook th = {.fn = hook, .arg = h, .partial = "the hook's change is made"};
	struct txn *t;
	struct err e = {0};

	h->f = f;
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(stage(t, "/etc/a", a_text, 0644, 0), 0);
	if (b_path)
		assert_int_equal(stage(t, b_path, "bee\n", 0644, 0), 0);
	txn_set_commit_hook(t, &th);
	assert_int_equal(txn_commit(t, &e), want);
	if (want < 0 && h->fail) {
		assert_int_equal(e.code, EX_CANTCREAT);
		assert_string_equal(e.msg, "nothing was changed: 'x' is taken");
	} else if (want < 0 && h->sabotage) {
		assert_non_null(strstr(e.msg, "the hook's change is made: "));
	} else if (want < 0) {
		assert_non_null(strstr(e.msg, "nothing was changed"));
	}
	if (want == 0)	/* made by one commit only */
		assert_int_equal(txn_commit(t, &e), 0);
	txn_end(t);
}

/* The hook runs once every file is prepared and before any is in place. */
static void test_commit_hook_between_prepare_and_apply(void **state)
{
	struct fx *f = *state;
	struct hook_seen h = {0};
	char *s, *cmd;

	put(f, "/etc/a", "old a\n", 0644);
	commit_with_hook(f, &h, "new a\n", "/etc/new/b", 0);
	assert_int_equal(h.calls, 1);
	assert_string_equal(h.a, "old a\n");
	s = get(f, "/etc/a");
	assert_string_equal(s, "new a\n");
	free(s);
	free(h.a);
	/* no file to change: the hook still runs */
	h = (struct hook_seen){0};
	commit_with_hook(f, &h, "new a\n", NULL, 0);
	assert_int_equal(h.calls, 1);
	free(h.a);
	cmd = xasprintf("find '%s/etc' -name '.*ws-*' | grep -q .", f->root);
	assert_int_not_equal(system(cmd), 0);
	free(cmd);
}

/* A hook that fails changes nothing; a prepare that fails (a file where a
 * directory must go, as a full disk would) never calls it. */
static void test_commit_hook_fails_or_never_runs(void **state)
{
	struct fx *f = *state;
	struct hook_seen h = {.fail = 1};
	char *s, *cmd;

	put(f, "/etc/a", "old a\n", 0644);
	commit_with_hook(f, &h, "new a\n", "/etc/new/b", -1);
	assert_int_equal(h.calls, 1);
	s = get(f, "/etc/a");
	assert_string_equal(s, "old a\n");
	free(s);
	assert_null(get(f, "/etc/new/b"));
	free(h.a);
	h = (struct hook_seen){0};
	put(f, "/etc/blocker", "a file where a directory must go\n", 0644);
	commit_with_hook(f, &h, "new a\n", "/etc/blocker/b", -1);
	assert_int_equal(h.calls, 0);
	s = get(f, "/etc/a");
	assert_string_equal(s, "old a\n");
	free(s);
	cmd = xasprintf("find '%s/etc' -name '.*ws-*' | grep -q .", f->root);
	assert_int_not_equal(system(cmd), 0);
	free(cmd);
}

/* Files that cannot be put in place after the hook made its change: the
 * error says so (its partial message, not "nothing was changed"). */
static void test_commit_hook_then_apply_fails(void **state)
{
	struct fx *f = *state;
	struct hook_seen h = {.sabotage = 1};

	put(f, "/etc/a", "old a\n", 0644);
	commit_with_hook(f, &h, "new a\n", NULL, -1);
	assert_int_equal(h.calls, 1);
	free(h.a);
}

static void test_remove_and_dir(void **state)
{
	struct fx *f = *state;
	struct txn *t;
	struct err e = {0};
	struct stat st;
	char *real = fs_real(f->root, "/var/mail/box");

	put(f, "/etc/gone", "bye\n", 0644);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(txn_stage_remove(t, "/etc/gone", &e), 0);
	assert_int_equal(txn_stage_dir(t, "/var/mail/box", 0700, 8, 8, &e), 0);
	assert_int_equal(txn_commit(t, &e), 0);
	txn_end(t);
	assert_null(get(f, "/etc/gone"));
	assert_int_equal(lstat(real, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, 8);
	free(real);
}

/* The walk keeps the directories of its last path open: the next walk
 * reuses the shared prefix, a missing component stops it with the walk
 * holding those that exist, and what it returns is the directory asked. */
static void test_walk_reuses_prefix(void **state)
{
	struct fx *f = *state;
	struct fs_walk w;
	struct strv made = {0};
	struct err e = {0};
	struct stat a, b;
	char *real = fs_real(f->root, "/m/d/u2");
	int fd;

	fs_walk_init(&w, f->root);
	fd = fs_walk_dir(&w, "/m/d/u1", &made, 0, &e);
	assert_true(fd >= 0);
	assert_int_equal(made.n, 3);
	assert_string_equal(made.v[0], "/m");
	assert_string_equal(made.v[2], "/m/d/u1");
	strv_free(&made);
	assert_true(fs_walk_dir(&w, "/m/d/u2", &made, 0, &e) >= 0);
	assert_int_equal(made.n, 1);	/* only u2 was missing */
	assert_string_equal(made.v[0], "/m/d/u2");
	strv_free(&made);
	fd = fs_walk_dir(&w, "/m/d/u2", NULL, 0, &e);	/* all cached */
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(real, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	assert_int_equal(w.depth, 3);
	assert_int_equal(fs_walk_dir(&w, "/m/x/y", NULL, 0, &e), -1);
	assert_int_equal(e.code, 0);	/* missing: no message */
	assert_int_equal(w.depth, 1);	/* /m exists */
	assert_int_equal(fs_walk_sync(&w, "/m/d", &e), 0);
	assert_int_equal(fs_walk_sync(&w, "/m/gone", &e), -1);
	assert_non_null(strstr(e.msg, "it is gone"));
	fs_walk_forget(&w);
	assert_int_equal(w.depth, 0);
	free(real);
}

/* Maildir-like trees under a parent that exists, one that does not, and
 * beside a file: each missing directory is made once, with the mode and
 * owner staged for it. */
static void test_dirs_under_partial_parents(void **state)
{
	static const char *const dirs[] = {
		"/var/mail/vhosts/a.org/u1", "/var/mail/vhosts/a.org/u1/new",
		"/var/mail/vhosts/b.org/u2", "/var/mail/vhosts/b.org/u2/new",
		"/var/mail/vhosts/a.org/u3", "/var/mail/vhosts/a.org/u3/cur",
	};
	struct fx *f = *state;
	struct txn *t;
	struct err e = {0};

	put(f, "/var/mail/vhosts/a.org/keep", "x\n", 0644);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(stage(t, "/etc/users", "u\n", 0640, 0), 0);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
		assert_int_equal(txn_stage_dir(t, dirs[i], 0700, 8, 8, &e), 0);
	assert_int_equal(txn_commit(t, &e), 0);
	txn_end(t);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
		char *real = fs_real(f->root, dirs[i]);
		struct stat st;

		assert_int_equal(lstat(real, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0700);
		assert_int_equal(st.st_uid, 8);
		free(real);
	}
	{
		char *u = get(f, "/etc/users");

		assert_string_equal(u, "u\n");
		free(u);
	}
}

static void test_symlinked_dir_not_followed(void **state)
{
	struct fx *f = *state;
	struct txn *t;
	struct err e = {0};
	char *victim = fs_real(f->root, "/victim"), *box = fs_real(f->root, "/box");
	char *link = fs_real(f->root, "/box/evil"), *cmd;

	cmd = xasprintf("mkdir -p '%s' '%s' && chown 1000 '%s' && chmod 0755 '%s'",
			victim, box, box, box);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(symlink(victim, link), 0);	/* planted by uid 1000 */
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(stage(t, "/box/evil/file", "x\n", 0644, 0), 0);
	assert_int_equal(txn_commit(t, &e), -1);
	assert_non_null(strstr(e.msg, "symlink webstack will not follow"));
	txn_end(t);
	assert_null(get(f, "/victim/file"));
	free(victim);
	free(box);
	free(link);
}

static int append(struct txn *t, const char *path, const char *text, unsigned flags)
{
	return stage_with(txn_stage_append, t, path, text, 0777, flags);	/* mode ignored */
}

static void test_append_keeps_mode_and_reads_back(void **state)
{
	struct fx *f = *state;
	struct txn *t;
	struct err e = {0};
	struct buf b = {0};
	struct stat st;
	char *real, *s;

	put(f, "/etc/users", "a:1\n", 0640);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(append(t, "/etc/users", "c:3\n", 0), 0);
	assert_int_equal(append(t, "/etc/users", "b:2\n", 0), 0);
	assert_int_equal(txn_read(t, "/etc/users", &b, &e), 0);
	assert_string_equal(b.data, "a:1\nc:3\nb:2\n");
	s = get(f, "/etc/users");
	assert_string_equal(s, "a:1\n");	/* nothing before the commit */
	free(s);
	assert_int_equal(txn_commit(t, &e), 0);
	txn_end(t);
	s = get(f, "/etc/users");
	assert_string_equal(s, "a:1\nc:3\nb:2\n");
	free(s);
	real = fs_real(f->root, "/etc/users");
	assert_int_equal(stat(real, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	free(real);
	buf_free(&b);
}

static void test_append_to_missing_file_fails(void **state)
{
	struct fx *f = *state;
	struct txn *t;
	struct err e = {0};

	put(f, "/etc/other", "x\n", 0644);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(append(t, "/etc/missing", "line\n", 0), 0);
	assert_int_equal(txn_commit(t, &e), -1);
	assert_non_null(strstr(e.msg, "/etc/missing"));
	txn_end(t);
	assert_null(get(f, "/etc/missing"));
}

/* A crash after the append, before the commit point: the next txn_begin()
 * truncates the file back. Steps: journal P 1, prepare 2, journal A 3,
 * the append 4. */
static void test_append_killed_before_done_is_truncated(void **state)
{
	struct fx *f = *state;
	struct txn *t;
	struct err e = {0};
	pid_t pid;
	int st;
	char *s;

	put(f, "/etc/users", "a:1\n", 0640);
	pid = fork();
	if (pid == 0) {
		setenv("WEBSTACK_FAULT_KILL_AT", "4", 1);
		if (txn_begin(&t, &f->o, &e) == 0 && append(t, "/etc/users", "b:2\n", 0) == 0)
			txn_commit(t, &e);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	s = get(f, "/etc/users");
	assert_string_equal(s, "a:1\nb:2\n");	/* appended when killed */
	free(s);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);	/* recovers */
	txn_end(t);
	s = get(f, "/etc/users");
	assert_string_equal(s, "a:1\n");
	free(s);
}

static void test_unordered_same_lines_unchanged(void **state)
{
	struct fx *f = *state;
	struct txn *t;
	struct err e = {0};
	char *out = NULL, *s;
	size_t len;
	FILE *mem;

	put(f, "/etc/set", "# head\na 1\nc 3\nb 2\n", 0644);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	assert_int_equal(stage(t, "/etc/set", "# head\na 1\nb 2\nc 3\n", 0644,
			       WEBSTACK_FILE_UNORDERED), 0);
	assert_int_equal(txn_pending(t, &e), 0);	/* the same lines */
	assert_int_equal(stage(t, "/etc/set", "# head\na 1\nb 2\nc 3\n", 0644, 0), 0);
	assert_int_equal(txn_pending(t, &e), 1);	/* without the flag: a change */
	assert_int_equal(stage(t, "/etc/set", "# head\na 1\nb 2\nd 4\n", 0644,
			       WEBSTACK_FILE_UNORDERED), 0);
	assert_int_equal(txn_pending(t, &e), 1);
	mem = open_memstream(&out, &len);
	assert_int_equal(txn_diff(t, mem, &e), 1);
	fclose(mem);
	/* against the lines sorted: only c goes and d comes */
	assert_non_null(strstr(out, " b 2\n-c 3\n+d 4\n"));
	assert_int_equal(txn_commit(t, &e), 0);
	txn_end(t);
	s = get(f, "/etc/set");
	assert_string_equal(s, "# head\na 1\nb 2\nd 4\n");
	free(s);
	free(out);
}

static void test_lock_busy(void **state)
{
	struct fx *f = *state;
	struct txn *t, *t2;
	struct err e = {0};
	pid_t pid;
	int st;

	assert_int_equal(txn_begin(&t, &f->o, &e), 0);
	pid = fork();
	if (pid == 0) {
		struct err e2 = {0};
		int r = txn_begin(&t2, &f->o, &e2);

		_exit(r == -1 && e2.code == EX_TEMPFAIL &&
		      strstr(e2.msg, "another webstack") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	txn_end(t);
	assert_int_equal(txn_begin(&t, &f->o, &e), 0);	/* free again */
	txn_end(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_and_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_diff_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_size_same_second_bumps_mtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtime_never_goes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watched_append_then_old_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_hook_between_prepare_and_apply, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_commit_hook_fails_or_never_runs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_commit_hook_then_apply_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_and_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_reuses_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirs_under_partial_parents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_dir_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_keeps_mode_and_reads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_to_missing_file_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_killed_before_done_is_truncated,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unordered_same_lines_unchanged, setup, teardown),
	};

	return cmocka_run_group_tests_name("txn", tests, NULL, NULL);
}
