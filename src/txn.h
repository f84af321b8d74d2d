/* txn.h - one lock, staged writes, atomic commit, rollback, recovery.
 *
 * A transaction holds an exclusive flock on a lock file that is never
 * renamed, from txn_begin() to txn_end(), so concurrent webstack processes
 * serialise. Changes are staged in memory (files, directories, removals)
 * and reach the disk only in txn_commit():
 *
 *   1. a journal listing every step is written (tmp, fsync, rename, fsync);
 *   2. missing directories are made; each new file goes to a temp file in
 *      its target directory, created 0600 and given its final owner and
 *      mode before any content, then written and fsynced; each existing
 *      target gets a hard-link backup;
 *   3. the journal is marked "applying"; files are renamed into place,
 *      directories given their owner and mode, removals done, appends
 *      written at the old end of their file and fsynced, in staging order;
 *   4. the journal is marked "done" (the commit point); backups go.
 *
 * Every directory whose entries a phase changed is fsynced once, before
 * the journal's next mark, so all of a phase is durable before the next
 * one begins (within a phase, recovery copes with any subset).
 *
 * A failure in 2 or 3 undoes every step already done. A crash leaves the
 * journal behind and the next txn_begin() on the same lock file finishes
 * the job: before the commit point everything is rolled back, after it the
 * backups are removed (an append is undone by truncating its file to the
 * size the journal recorded). Each file is thus always old or new, and a whole
 * transaction is all old or all new once recovered.
 *
 * A file staged WEBSTACK_FILE_STAT_WATCHED (Dovecot's passwd-file reader
 * only notices a change of size or mtime second) that changes within the
 * second of its last change gets mtime = old + 1 s, an append too: the
 * mtime second only grows, so a version never repeats the size and mtime
 * of one Dovecot may have read (an append, then a rewrite back to the
 * old size, in one second, would otherwise look unchanged).
 *
 * Deferred actions (programs, service reloads) run after the commit.
 *
 * Ownership: txn_begin() allocates the txn; txn_end() releases the lock
 * and frees it. Everything staged is copied. */
#ifndef WS_TXN_H
#define WS_TXN_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <webstack/host.h>

#include "background.h"
#include "buf.h"
#include "err.h"

struct txn;

struct txn_options {
	const char *root;	/* --root prefix, "" for none */
	const char *lock_file;	/* logical path, e.g. "/var/lib/webstack/lock" */
	unsigned lock_timeout;	/* seconds to wait for the lock; 0 = fail at once */
};

/* Takes the lock (EX_TEMPFAIL when busy past the timeout) and recovers an
 * interrupted transaction if its journal is there. */
int txn_begin(struct txn **t_r, const struct txn_options *o, struct err *e);

int txn_stage_file(struct txn *t, const struct webstack_file *f, struct err *e);
int txn_stage_dir(struct txn *t, const char *path, mode_t mode, uid_t uid,
		  gid_t gid, struct err *e);
int txn_stage_remove(struct txn *t, const char *path, struct err *e);
/* Adds f->data at the end of the existing file f->path, which keeps its
 * owner and mode (f->mode, uid and gid are ignored); appended to the staged
 * content when the path is staged as a file already. */
int txn_stage_append(struct txn *t, const struct webstack_file *f, struct err *e);

/* Content of path as the transaction would leave it: 0 and a copy in out,
 * 1 when absent (or staged for removal), -1 on error. */
int txn_read(struct txn *t, const char *path, struct buf *out, struct err *e);

/* A program to run after commit: argv is copied. */
void txn_defer_run(struct txn *t, const char *const argv[]);
void txn_defer_service(struct txn *t, const struct webstack_service *svc,
		       enum webstack_service_action act);

/* A function to call after commit, in order with the other deferred
 * actions: fn(arg, &msg) returns 0 or fails the command with msg ("the
 * change is committed, but <what>: <msg>"). release(arg) (may be NULL) is
 * called once fn has run, or when it never will (--dry-run, a failed
 * commit or action, txn_clear()). what describes the call for --dry-run
 * and the log ("wait until ..."); it is copied, arg is owned by the caller
 * until release. */
struct txn_call {
	const char *what;
	int (*fn)(void *arg, const char **err_r);
	void *arg;
	void (*release)(void *arg);
};
void txn_defer_call(struct txn *t, const struct txn_call *call);

/* A call for after the command has returned, once the commit succeeded
 * (background.h); locked: it runs holding the lock again. Released like a
 * deferred call when the commit fails or never happens. */
void txn_defer_background(struct txn *t, const struct txn_call *call, int locked);
/* Moves the background calls of a committed transaction to *out (whose
 * own list must be empty); releases them when nothing was committed. */
void txn_take_background(struct txn *t, struct background *out);

/* A change kept outside the files (the directory in a database), made by
 * txn_commit() between steps 2 and 3 above: once every changed file and
 * directory is prepared, so that a full disk or a bad path has failed the
 * commit already, and before any target is touched; made too when no file
 * changes. fn(arg, e) returns 0, or fails the commit with its error set
 * in e, and then nothing was changed. If step 3 fails after fn succeeded,
 * the error is prefixed with partial instead of "nothing was changed"; a
 * crash there leaves fn's change made and the files rolled back. Made by
 * the next txn_commit() only; txn_clear() forgets it. */
struct txn_hook {
	int (*fn)(void *arg, struct err *e);
	void *arg;
	const char *partial;
};
void txn_set_commit_hook(struct txn *t, const struct txn_hook *hook);

/* Writes the unified diff of every staged change that differs from the
 * disk (secret files as a one-line note). Returns the number of files that
 * would change. */
int txn_diff(struct txn *t, FILE *out, struct err *e);

/* Writes one "# would ..." line per deferred action (a program to run, a
 * service to start or reload, a call, a background call); returns how
 * many. */
size_t txn_print_actions(struct txn *t, FILE *out);

/* Number of staged items that differ from the disk. */
int txn_pending(struct txn *t, struct err *e);

/* Commits what differs from the disk (see above), then runs the deferred
 * actions. Skips actions when nothing changed and no action was forced. */
int txn_commit(struct txn *t, struct err *e);

/* Forgets everything staged or committed and the deferred actions, and
 * keeps the lock: for a change made as two commits in a row. */
void txn_clear(struct txn *t);

/* Releases the lock; discards anything not committed. NULL is fine. */
void txn_end(struct txn *t);

/* The directory-of-lock-file journal name, for tests and docs. */
#define TXN_JOURNAL_SUFFIX ".journal"

#endif
