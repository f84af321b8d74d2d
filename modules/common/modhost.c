#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "modhost.h"

int ws_fail(struct ws_msg *m, const char **err_r, int code, const char *fmt, ...)
{
	char tmp[sizeof(m->text)];
	va_list ap;

	/* the arguments may point into m->text */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(m->text, tmp, sizeof(tmp));
	*err_r = m->text;
	return code;
}

int ws_read_current(const struct webstack_host *h, struct ws_msg *m,
		    const char *path, char **data_r, size_t *len_r,
		    const char **err_r)
{
	const char *msg = NULL;
	int r = h->read_file(h, path, data_r, len_r, &msg);

	if (r == -ENOENT) {
		*data_r = NULL;
		*len_r = 0;
		return 0;
	}
	if (r < 0)
		return ws_fail(m, err_r, r, "cannot read %s: %s", path, msg);
	return 0;
}

/* 1 when the file on disk has another mode or owner than f asks for. */
static int attrs_differ(const struct webstack_host *h, const struct webstack_file *f)
{
	char *real = h->path(h, f->path);
	struct stat st;
	int differ = real && stat(real, &st) == 0 &&
		     ((st.st_mode & 07777) != f->mode || st.st_uid != f->uid ||
		      st.st_gid != f->gid);

	free(real);
	return differ;
}

int ws_stage_changed(const struct webstack_host *h, struct ws_msg *m,
		     const struct webstack_file *f, const char *old,
		     size_t old_len, int *changed_r, const char **err_r)
{
	const char *msg = NULL;
	int r;

	*changed_r = !old || old_len != f->len || memcmp(old, f->data, f->len) != 0;
	/* a mode or owner gone astray is put right, but is no change of
	 * content that a daemon would need to know about */
	if (!*changed_r && !attrs_differ(h, f))
		return 0;
	r = h->stage_file(h, f, &msg);
	if (r < 0)
		return ws_fail(m, err_r, r, "cannot stage %s: %s", f->path, msg);
	return 0;
}

int ws_stage_text(const struct webstack_host *h, struct ws_msg *m,
		  const char *path, struct mbuf *b, int *changed_r,
		  const char **err_r)
{
	char *old = NULL;
	size_t old_len = 0;
	int changed = 0, r;

	if (mbuf_failed(b))
		r = ws_fail(m, err_r, -ENOMEM, "out of memory");
	else
		r = ws_read_current(h, m, path, &old, &old_len, err_r);
	if (r == 0)
		r = ws_stage_changed(h, m, &(struct webstack_file){
			.path = path, .data = b->s, .len = b->len, .mode = 0644},
			old, old_len, &changed, err_r);
	free(old);
	mbuf_free(b);
	*changed_r |= changed;
	return r;
}

int ws_remove_files(const struct webstack_host *h, struct ws_msg *m,
		    const char *const *paths, size_t n, const char **err_r)
{
	const char *msg = NULL;
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		char *old = NULL;
		size_t len = 0;

		r = ws_read_current(h, m, paths[i], &old, &len, err_r);
		if (r == 0 && old && (r = h->stage_remove(h, paths[i], &msg)) < 0)
			r = ws_fail(m, err_r, r, "%s", msg);
		free(old);
	}
	return r;
}

int ws_service_running(const struct webstack_host *h, struct ws_msg *m,
		       const struct webstack_service *svc, int *running_r,
		       const char **err_r)
{
	const char *msg = NULL;
	int r = h->service(h, svc, WEBSTACK_SERVICE_STATUS, &msg);

	if (r == 0 || r == -ESRCH) {
		*running_r = r == 0;
		return 0;
	}
	return ws_fail(m, err_r, r < 0 ? r : -EIO,
		       "cannot tell whether %s is running: %s", svc->name, msg);
}

int ws_defer_service(const struct webstack_host *h, struct ws_msg *m,
		     const struct webstack_service *svc,
		     enum webstack_service_action act, const char **err_r)
{
	static const char *const verbs[] = {
		[WEBSTACK_SERVICE_START] = "start", [WEBSTACK_SERVICE_RELOAD] = "reload",
		[WEBSTACK_SERVICE_RESTART] = "restart", [WEBSTACK_SERVICE_STOP] = "stop",
		[WEBSTACK_SERVICE_STATUS] = "status check"};
	const char *msg = NULL;
	int r = h->defer_service(h, svc, act, &msg);

	if (r < 0)
		return ws_fail(m, err_r, r, "cannot queue the %s of %s: %s",
			       verbs[act], svc->name, msg);
	return 0;
}

int ws_stage_milter_dir(const struct webstack_host *h, struct ws_msg *m,
			const char *dir, const char *user, const char *package,
			uid_t *uid_r, gid_t *gid_r, const char **err_r)
{
	const char *msg = NULL;
	uid_t uid, pf_uid;
	gid_t gid, pf_gid;
	int r;

	r = h->lookup_user(h, user, &uid, &gid, &msg);
	if (r < 0)
		return ws_fail(m, err_r, r, "%s: is %s installed (Debian: apt-get "
			       "install %s)?", msg, package, package);
	r = h->lookup_user(h, "postfix", &pf_uid, &pf_gid, &msg);
	if (r < 0)
		return ws_fail(m, err_r, r, "%s: is Postfix installed?", msg);
	r = h->stage_dir(h, dir, 02750, uid, pf_gid, &msg);
	if (r < 0)
		return ws_fail(m, err_r, r, "%s", msg);
	if (uid_r)
		*uid_r = uid;
	if (gid_r)
		*gid_r = gid;
	return 0;
}

void ws_report_running(const struct webstack_host *h, struct ws_msg *m,
		       struct webstack_report *rep, const char *check,
		       const struct webstack_service *svc)
{
	const char *msg = NULL;
	int running = 0;

	if (ws_service_running(h, m, svc, &running, &msg) < 0)
		rep->item(rep, check, msg, 0);
	else
		rep->item(rep, check, running ? "running" : "not running", running);
}

void ws_report_socket(const struct webstack_host *h, struct webstack_report *rep,
		      const char *check, const char *logical)
{
	char *path = h->path(h, logical);
	struct stat st;

	if (!path)
		rep->item(rep, check, "out of memory", 0);
	else if (stat(path, &st) < 0)
		rep->item(rep, check, errno == ENOENT ? "missing" : strerror(errno), 0);
	else
		rep->item(rep, check, S_ISSOCK(st.st_mode) ? "present" : "not a socket",
			  S_ISSOCK(st.st_mode));
	free(path);
}
