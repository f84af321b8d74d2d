#include "config.h"

/* The module "rspamd" (role spam): rspamd from Debian as Postfix's spam
 * milter. Mail scoring tag_score or more gets X-Spam headers, mail scoring
 * reject_score or more is refused at SMTP time; mail of authenticated
 * users is not scanned unless scan_authenticated. It owns its files in
 * /etc/rspamd (rsp_render.h) and the socket directory in Postfix's queue. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <webstack/module.h>
#include <webstack/role-spam.h>

#include "modhost.h"
#include "rsp_render.h"

#define RSPAMD "/usr/bin/rspamd"
#define PKILL "/usr/bin/pkill"
#define PGREP "/usr/bin/pgrep"
#define SSD "/sbin/start-stop-daemon"

/* Without systemd: rspamd daemonizes itself (the host gives it /dev/null
 * or a file, never a pipe it would keep open). Stopping waits until it is
 * gone (about 1 s), so a restart does not meet the old socket. SIGHUP
 * re-reads the config and forks new workers; the main pid stays. */
static const char *const start_argv[] = {RSPAMD, "-c", RSP_CONF, "-u", RSP_USER,
					  "-g", RSP_USER, NULL};
static const char *const reload_argv[] = {PKILL, "-HUP", "-F", RSP_PID, NULL};
static const char *const stop_argv[] = {SSD, "--stop", "--quiet", "--oknodo",
					"--pidfile", RSP_PID, "--retry",
					"TERM/15/KILL/5", NULL};
static const char *const status_argv[] = {PGREP, "-F", RSP_PID, NULL};
static const struct webstack_service svc = {
	.name = "rspamd", .unit = "rspamd.service", .start = start_argv,
	.reload = reload_argv, .stop = stop_argv, .status = status_argv};

static const char *const milter_list[] = {"unix:rspamd/milter.sock", NULL};

struct rsp {
	const struct webstack_host *h;
	struct rsp_settings set;
	struct ws_msg msg;
};

/* ---- configuration ------------------------------------------------------ */

static cfg_opt_t rspamd_opts[] = {
	CFG_FLOAT("tag_score", 5.0, CFGF_NONE),
	CFG_FLOAT("reject_score", 10.0, CFGF_NONE),
	CFG_BOOL("scan_authenticated", cfg_false, CFGF_NONE),
	CFG_STR("hs_cache_dir", "", CFGF_NONE),
	CFG_END(),
};

/* Scores above this mean "never": rspamd's GTUBE alone is what is left. */
#define MAX_SCORE 1000.0

/* An absolute path rspamd's config parser takes as it is: no quotes,
 * spaces, '$' variables or "..". */
static int cache_dir_ok(const char *s)
{
	return s[0] == '/' && s[1] && !strstr(s, "..") &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789/._+-") == strlen(s);
}

static int rspamd_conf_check(const struct webstack_host *h, cfg_t *sec,
			     const char **err_r)
{
	double tag, reject;
	const char *dir;

	(void)h;
	if (!sec)
		return 0;
	tag = cfg_getfloat(sec, "tag_score");
	reject = cfg_getfloat(sec, "reject_score");
	dir = cfg_getstr(sec, "hs_cache_dir");
	if (!(tag > 0 && tag < reject && reject <= MAX_SCORE)) {
		*err_r = "rspamd: need 0 < tag_score < reject_score <= 1000 "
			 "(defaults 5 and 10)";
		return -EINVAL;
	}
	if (*dir && !cache_dir_ok(dir)) {
		*err_r = "rspamd: hs_cache_dir must be an absolute path of letters, "
			 "digits and /._+- (no spaces, quotes or \"..\"), or \"\" "
			 "for rspamd's default";
		return -EINVAL;
	}
	return 0;
}

static int rspamd_init(const struct webstack_host *h, cfg_t *sec, void **state_r,
		       const char **err_r)
{
	struct rsp *o = calloc(1, sizeof(*o));

	if (!o) {
		*err_r = "out of memory";
		return -ENOMEM;
	}
	o->h = h;
	o->set = (struct rsp_settings){5.0, 10.0, 0, ""};
	if (sec) {
		o->set.tag_score = cfg_getfloat(sec, "tag_score");
		o->set.reject_score = cfg_getfloat(sec, "reject_score");
		o->set.scan_authenticated = cfg_getbool(sec, "scan_authenticated");
		o->set.hs_cache_dir = cfg_getstr(sec, "hs_cache_dir");
	}
	*state_r = o;
	return 0;
}

static void rspamd_fini(void *state)
{
	free(state);
}

/* ---- files and the daemon ------------------------------------------------ */

static const char *const *rspamd_milters(void *state)
{
	(void)state;
	return milter_list;
}

/* The current content of one of the module's file names: *old_r is NULL
 * when there is none, or when it is not the module's (no RSP_HEADER: the
 * admin's), which *foreign_r then says. */
static int read_own(struct rsp *o, const char *path, char **old_r, size_t *len_r,
		    int *foreign_r, const char **err_r)
{
	int r = ws_read_current(o->h, &o->msg, path, old_r, len_r, err_r);

	*foreign_r = r == 0 && *old_r &&
		     strncmp(*old_r, RSP_HEADER, strlen(RSP_HEADER)) != 0;
	if (*foreign_r) {
		free(*old_r);
		*old_r = NULL;
	}
	return r;
}

static int remove_file(struct rsp *o, const char *path, const char **err_r)
{
	const char *msg = NULL;
	int r = o->h->stage_remove(o->h, path, &msg);

	return r < 0 ? ws_fail(&o->msg, err_r, r, "%s", msg) : 0;
}

/* Stages or removes one file as the settings want; *changed_r |= 1 when
 * it does. */
static int sync_file(struct rsp *o, const struct rsp_file *rf, int *changed_r,
		     const char **err_r)
{
	struct webstack_file f = {.path = rf->path, .mode = 0644};
	struct mbuf b = {0};
	char *old = NULL;
	size_t old_len = 0;
	int want, foreign, changed = 0, r;

	r = read_own(o, rf->path, &old, &old_len, &foreign, err_r);
	if (r == 0 && foreign)
		r = ws_fail(&o->msg, err_r, -EEXIST,
			    "%s exists and was not written by webstack: move it "
			    "aside (merge what you need into a file of another "
			    "name) and run the setup again", rf->path);
	want = r == 0 && rf->render(&b, &o->set);
	if (r == 0 && mbuf_failed(&b))
		r = ws_fail(&o->msg, err_r, -ENOMEM, "out of memory");
	else if (r == 0 && want) {
		f.data = b.s;
		f.len = b.len;
		r = ws_stage_changed(o->h, &o->msg, &f, old, old_len, &changed, err_r);
	} else if (r == 0 && old) {
		changed = 1;
		r = remove_file(o, rf->path, err_r);
	}
	free(old);
	mbuf_free(&b);
	*changed_r |= changed;
	return r;
}

static int stage_dirs(struct rsp *o, const char **err_r)
{
	const char *dirs[] = {RSP_RUN_DIR, RSP_LOG_DIR, o->set.hs_cache_dir};
	const char *msg = NULL;
	uid_t uid;
	gid_t gid;
	int r;

	r = ws_stage_milter_dir(o->h, &o->msg, RSP_SOCKET_DIR, RSP_USER, "rspamd",
				&uid, &gid, err_r);
	for (size_t i = 0; r == 0 && i < sizeof(dirs) / sizeof(*dirs); i++)
		if (*dirs[i] &&
		    (r = o->h->stage_dir(o->h, dirs[i], 0755, uid, gid, &msg)) < 0)
			r = ws_fail(&o->msg, err_r, r, "%s", msg);
	return r;
}

static int rspamd_setup(void *state, const struct webstack_mail *mail,
			const char **err_r)
{
	struct rsp *o = state;
	int changed = 0, running, r;

	(void)mail;
	r = stage_dirs(o, err_r);
	for (size_t i = 0; r == 0 && i < RSP_N_FILES; i++)
		r = sync_file(o, &rsp_files[i], &changed, err_r);
	if (r == 0)
		r = ws_service_running(o->h, &o->msg, &svc, &running, err_r);
	if (r < 0 || (running && !changed))
		return r;
	return ws_defer_service(o->h, &o->msg, &svc,
				running ? WEBSTACK_SERVICE_RELOAD : WEBSTACK_SERVICE_START,
				err_r);
}

/* rspamd stops and the module's files go; the socket and cache
 * directories stay (the socket goes with the daemon). */
static int rspamd_disable(void *state, const struct webstack_mail *mail,
			  const char **err_r)
{
	struct rsp *o = state;
	int running, r;

	(void)mail;
	r = ws_service_running(o->h, &o->msg, &svc, &running, err_r);
	if (r == 0 && running)
		r = ws_defer_service(o->h, &o->msg, &svc, WEBSTACK_SERVICE_STOP, err_r);
	for (size_t i = 0; r == 0 && i < RSP_N_FILES; i++) {
		char *old = NULL;
		size_t len = 0;
		int foreign;

		/* a file of the admin's under one of these names stays */
		r = read_own(o, rsp_files[i].path, &old, &len, &foreign, err_r);
		if (r == 0 && old)
			r = remove_file(o, rsp_files[i].path, err_r);
		free(old);
	}
	return r;
}

/* "rspamd": the main process of the pid file runs; "rspamd milter
 * socket": the proxy's socket exists. Whether it scans shows in mail. */
static int rspamd_status(void *state, const struct webstack_mail *mail,
			 struct webstack_report *rep, const char **err_r)
{
	struct rsp *o = state;

	(void)mail;
	(void)err_r;
	ws_report_running(o->h, &o->msg, rep, "rspamd", &svc);
	ws_report_socket(o->h, rep, "rspamd milter socket", RSP_SOCKET);
	return 0;
}

static const struct webstack_spam_ops ops = {
	.milters = rspamd_milters,
	.setup = rspamd_setup,
	.disable = rspamd_disable,
	.status = rspamd_status,
};

WEBSTACK_MODULE_DEFINE(rspamd, .version = PACKAGE_VERSION,
		       .summary = "rspamd: scores mail as a Postfix milter, tags "
				  "or rejects spam",
		       .role = WEBSTACK_ROLE_SPAM, .cfg_opts = rspamd_opts,
		       .conf_check = rspamd_conf_check, .init = rspamd_init,
		       .fini = rspamd_fini, WEBSTACK_ROLE_OPS(&ops));
