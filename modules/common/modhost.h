/* modhost.h - the host calls the in-tree modules all make the same way.
 *
 * Each failure formats its message into a struct ws_msg that the module's
 * state owns and points *err_r at it, so messages stay valid until the
 * module's next call. No other pointers are kept: data, files and
 * services are borrowed for the call; *data_r of ws_read_current() is
 * malloc()ed and the caller's. */
#ifndef WS_MODHOST_H
#define WS_MODHOST_H

#include <stddef.h>

#include <webstack/host.h>
#include <webstack/mail.h>

#include "mbuf.h"

struct ws_msg {
	char text[1024];
};

/* Formats the message into m, sets *err_r, returns code. */
int ws_fail(struct ws_msg *m, const char **err_r, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The content of path as the transaction would leave it; *data_r is NULL
 * (and *len_r 0) when the file does not exist. */
int ws_read_current(const struct webstack_host *h, struct ws_msg *m,
		    const char *path, char **data_r, size_t *len_r,
		    const char **err_r);

/* Stages f unless old (NULL when missing) already holds that content and
 * the file has f's mode and owner; *changed_r says whether the content
 * changed (a mode or owner put right is no change of content). */
int ws_stage_changed(const struct webstack_host *h, struct ws_msg *m,
		     const struct webstack_file *f, const char *old,
		     size_t old_len, int *changed_r, const char **err_r);

/* ws_stage_changed() for a rendered text, mode 0644 root: a failed
 * render is -ENOMEM; b is freed; *changed_r is set when staged, and left
 * alone otherwise (so one flag can collect several files). */
int ws_stage_text(const struct webstack_host *h, struct ws_msg *m,
		  const char *path, struct mbuf *b, int *changed_r,
		  const char **err_r);

/* Stages the removal of each of the n paths that exists (disable()). */
int ws_remove_files(const struct webstack_host *h, struct ws_msg *m,
		    const char *const *paths, size_t n, const char **err_r);

/* *running_r: 1 when svc runs, 0 when it does not. */
int ws_service_running(const struct webstack_host *h, struct ws_msg *m,
		       const struct webstack_service *svc, int *running_r,
		       const char **err_r);

/* Queues act on svc until after the commit. */
int ws_defer_service(const struct webstack_host *h, struct ws_msg *m,
		     const struct webstack_service *svc,
		     enum webstack_service_action act, const char **err_r);

/* Stages dir (in Postfix's queue directory) for a milter's socket: mode
 * 2750, owner user, group postfix. The setgid bit gives the socket
 * Postfix's group, so chrooted smtpd reaches it without Postfix joining
 * the daemon's group. package names what to install when user is
 * missing. *uid_r and *gid_r (may be NULL) get user's ids. */
int ws_stage_milter_dir(const struct webstack_host *h, struct ws_msg *m,
			const char *dir, const char *user, const char *package,
			uid_t *uid_r, gid_t *gid_r, const char **err_r);

/* One report item: svc "running" (ok) or "not running". */
void ws_report_running(const struct webstack_host *h, struct ws_msg *m,
		       struct webstack_report *rep, const char *check,
		       const struct webstack_service *svc);

/* One report item: "present" when the logical path is a socket. */
void ws_report_socket(const struct webstack_host *h, struct webstack_report *rep,
		      const char *check, const char *logical);

#endif
