/*
 * NAME
 *	webstack/host.h - the services the core gives every module
 *
 * SYNOPSIS
 *	#include <webstack/host.h>
 *
 * DESCRIPTION
 *	Modules never print, exit, run a shell or write a system file
 *	themselves. Everything that touches the system goes through this table,
 *	which the core passes to conf_check(), init() and every role op (unit
 *	tests pass a mock instead).
 *
 *	Paths are logical absolute paths ("/etc/dovecot/users"); the core maps
 *	them under --root. Writes are staged in the current transaction and
 *	reach the disk only at commit, atomically, in the order they were staged;
 *	with --dry-run they are shown as a diff instead.
 *
 *	Ownership: every pointer passed in is borrowed for the duration of the
 *	call; the core copies what it keeps (staged data included). Buffers the
 *	host returns through *_r (output_r, data_r, path()) are malloc()ed and
 *	owned by the caller, who free()s them. Messages returned through err_r
 *	are owned by the host and valid until the next call on the same host.
 *
 * DIAGNOSTICS
 *	Functions return 0 or a negative errno value with *err_r set to a
 *	message that names the file or program. read_file() returns -ENOENT for
 *	a missing file; service() with WEBSTACK_SERVICE_STATUS returns -ESRCH
 *	when the service is not running.
 *
 * SEE ALSO
 *	webstack/module.h, webstack-module(3)
 */
#ifndef WEBSTACK_HOST_H
#define WEBSTACK_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Log priorities, as syslog's. */
#define WEBSTACK_LOG_ERR 3
#define WEBSTACK_LOG_WARNING 4
#define WEBSTACK_LOG_NOTICE 5
#define WEBSTACK_LOG_INFO 6
#define WEBSTACK_LOG_DEBUG 7

/* File flags. */
#define WEBSTACK_FILE_SECRET 0x1u /* content never shown in diffs or logs */
/* The file is a set of lines whose order carries no meaning (a passwd-file,
 * a postmap source): the same lines in another order count as unchanged,
 * and diffs show it against its lines sorted. */
#define WEBSTACK_FILE_UNORDERED 0x2u
/* A daemon notices a change of the file by its size and mtime second only
 * (Dovecot's passwd-file): every change, an append too, gets an mtime
 * second past the last one's, so that no version has the size and mtime
 * of an earlier one the daemon may have read. */
#define WEBSTACK_FILE_STAT_WATCHED 0x4u

/* Owner value meaning "keep root" for uid and gid. */
#define WEBSTACK_ROOT_ID 0

struct webstack_file {
	const char *path;  /* logical absolute path */
	const void *data;  /* the complete new content */
	size_t len;
	mode_t mode;	   /* permission bits, set before any content is written */
	uid_t uid;
	gid_t gid;
	unsigned flags;	   /* WEBSTACK_FILE_* */
};

/* A daemon: its systemd unit, and the commands used where systemd is not
 * running (containers, chroots). Each argv is NULL-terminated; a NULL argv
 * means the action is not supported without systemd. */
struct webstack_service {
	const char *name;		/* for messages: "postfix" */
	const char *unit;		/* "postfix.service" */
	const char *const *start;
	const char *const *reload;
	const char *const *stop;
	const char *const *status;	/* exits 0 when running */
};

enum webstack_service_action {
	WEBSTACK_SERVICE_START,
	WEBSTACK_SERVICE_RELOAD,	/* starts it when not running */
	WEBSTACK_SERVICE_RESTART,
	WEBSTACK_SERVICE_STOP,
	WEBSTACK_SERVICE_STATUS,
};

struct webstack_host {
	uint32_t size; /* sizeof(struct webstack_host) of the core */
	void *priv;    /* core-private */

	void (*log)(const struct webstack_host *h, int prio, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/* Runs argv[0] (an absolute path) with argv, no shell, a clean
	 * environment and none of webstack's descriptors. input (may be NULL)
	 * is written to its stdin; that is the only way secrets reach a child.
	 * stdout and stderr are collected into *output_r (NUL-terminated) when
	 * output_r is not NULL. *status_r gets the exit status, or -1 when the
	 * child was killed by a signal. A non-zero exit is not an error of
	 * run() itself. */
	int (*run)(const struct webstack_host *h, const char *const argv[],
		   const void *input, size_t input_len, char **output_r,
		   int *status_r, const char **err_r);

	/* The real path of a logical one (under --root); caller frees. */
	char *(*path)(const struct webstack_host *h, const char *logical);

	/* The content of a file as the current transaction would leave it:
	 * staged content when staged, else the file on disk. NUL-terminated. */
	int (*read_file)(const struct webstack_host *h, const char *path,
			 char **data_r, size_t *len_r, const char **err_r);

	int (*stage_file)(const struct webstack_host *h,
			  const struct webstack_file *f, const char **err_r);
	/* Creates the directory and any missing parents (mode, uid, gid apply
	 * to the last component; parents get 0755 root) without following
	 * symlinks. */
	int (*stage_dir)(const struct webstack_host *h, const char *path,
			 mode_t mode, uid_t uid, gid_t gid, const char **err_r);
	/* Removes a file (kept for rollback until the commit succeeds). */
	int (*stage_remove)(const struct webstack_host *h, const char *path,
			    const char **err_r);

	/* Queued until after a successful commit; skipped by --dry-run. */
	int (*defer_run)(const struct webstack_host *h, const char *const argv[],
			 const char **err_r);
	int (*defer_service)(const struct webstack_host *h,
			     const struct webstack_service *svc,
			     enum webstack_service_action act, const char **err_r);

	/* Immediate service control (systemctl when systemd runs, else the
	 * service's own commands). */
	int (*service)(const struct webstack_host *h,
		       const struct webstack_service *svc,
		       enum webstack_service_action act, const char **err_r);

	int (*lookup_user)(const struct webstack_host *h, const char *name,
			   uid_t *uid_r, gid_t *gid_r, const char **err_r);

	/* Queued like defer_run: after a successful commit, in order with
	 * the other deferred actions, the core calls fn(arg, &msg); a
	 * non-zero return fails the command with "the change is committed,
	 * but <what>: <msg>" (msg may point into arg: the core copies it
	 * first). Then, or when fn will never run (--dry-run, a failed
	 * commit, an earlier action failed, or this call fails), the core
	 * calls release(arg) (may be NULL), exactly once. what describes the
	 * call for --dry-run and the log ("wait until ..."); it is copied. arg
	 * stays the module's: the core only hands it back. */
	int (*defer_call)(const struct webstack_host *h, const char *what,
			  int (*fn)(void *arg, const char **err_r), void *arg,
			  void (*release)(void *arg), const char **err_r);

	/* Adds f->data (whole lines) at the end of the existing
	 * file f->path in place, at commit, in order with the other staged
	 * changes; the file keeps its owner and mode (f->mode, uid and gid
	 * are ignored) and only f->flags count. A crash or a failed commit
	 * truncates it back. For a big file that gains a few lines. */
	int (*stage_append)(const struct webstack_host *h,
			    const struct webstack_file *f, const char **err_r);

	/* Queued like defer_call(), but run after the command has returned
	 * and released webstack's lock, in a process of its own detached
	 * from it, in queue order (with --wait the command runs them itself
	 * before it returns). With WEBSTACK_BG_LOCKED, fn runs holding the
	 * lock again, serialised with every other webstack: state the
	 * command left (a pending file) may have been dealt with meanwhile,
	 * and fn must check. A failure is logged to syslog; later calls
	 * still run. For work the command need not wait for (Dovecot picking
	 * up a new account before Postfix's map takes it). */
	int (*defer_background)(const struct webstack_host *h, const char *what,
				int (*fn)(void *arg, const char **err_r), void *arg,
				void (*release)(void *arg), unsigned flags,
				const char **err_r);
};

#define WEBSTACK_BG_LOCKED 0x1u

#endif
