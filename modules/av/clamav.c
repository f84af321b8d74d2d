#include "config.h"

/* The module "clamav" (role av): clamd scans every message, clamav-milter
 * refuses an infected one during the SMTP dialogue (550 naming the
 * signature) and, when clamd cannot be asked, defers the mail (or, with
 * on_fail = "accept", lets it through unscanned). Files and why:
 * clamav.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <webstack/module.h>
#include <webstack/role-av.h>

#include "clamav.h"
#include "modhost.h"

#define PKILL "/usr/bin/pkill"
#define PGREP "/usr/bin/pgrep"
#define SSD "/sbin/start-stop-daemon"
/* A database older than this means the updates stopped. */
#define DB_MAX_AGE_DAYS 7

static const char *const clamd_start[] = {"/usr/sbin/clamd", "-c", CLAMD_CONF, NULL};
/* USR2: reload the signature databases */
static const char *const clamd_reload[] = {PKILL, "-USR2", "-F", CLAMD_PID, NULL};
/* waits for the process to end, so a restart's start finds it gone */
static const char *const clamd_stop[] = {SSD, "--stop", "--quiet", "--oknodo",
					 "--retry", "TERM/10/KILL/5", "--pidfile",
					 CLAMD_PID, NULL};
static const char *const clamd_status[] = {PGREP, "-F", CLAMD_PID, NULL};
static const struct webstack_service clamd_svc = {
	.name = "clamd", .unit = "clamav-daemon.service", .start = clamd_start,
	.reload = clamd_reload, .stop = clamd_stop, .status = clamd_status};

static const char *const milter_start[] = {
	SSD, "--start", "--background", "--pidfile", MILTER_PID,
	"--exec", "/usr/sbin/clamav-milter", "--", "-c", MILTER_CONF, NULL};
static const char *const milter_stop[] = {SSD, "--stop", "--quiet", "--oknodo",
					  "--retry", "TERM/10/KILL/5", "--pidfile",
					  MILTER_PID, NULL};
static const char *const milter_status[] = {PGREP, "-F", MILTER_PID, NULL};
/* clamav-milter re-reads nothing on a signal: a reload is a restart */
static const struct webstack_service milter_svc = {
	.name = "clamav-milter", .unit = "webstack-clamav-milter.service",
	.start = milter_start, .stop = milter_stop, .status = milter_status};

static const char *const milter_list[] = {"unix:clamav/clamav-milter.ctl", NULL};

struct clam {
	const struct webstack_host *h;
	int on_fail_accept;
	struct ws_msg msg;
};

/* ---- configuration ------------------------------------------------------ */

static cfg_opt_t clamav_opts[] = {
	CFG_STR("on_fail", "tempfail", CFGF_NONE),
	CFG_END(),
};

static int clamav_conf_check(const struct webstack_host *h, cfg_t *sec,
			     const char **err_r)
{
	const char *v = sec ? cfg_getstr(sec, "on_fail") : "tempfail";

	(void)h;
	if (strcmp(v, "tempfail") != 0 && strcmp(v, "accept") != 0) {
		*err_r = "on_fail must be \"tempfail\" (defer mail while clamd cannot "
			 "scan, the default) or \"accept\" (let it through unscanned)";
		return -EINVAL;
	}
	return 0;
}

static int clamav_init(const struct webstack_host *h, cfg_t *sec, void **state_r,
		       const char **err_r)
{
	struct clam *c = calloc(1, sizeof(*c));

	if (!c) {
		*err_r = "out of memory";
		return -ENOMEM;
	}
	c->h = h;
	c->on_fail_accept = sec && strcmp(cfg_getstr(sec, "on_fail"), "accept") == 0;
	*state_r = c;
	return 0;
}

static void clamav_fini(void *state)
{
	free(state);
}

/* ---- setup and disable ---------------------------------------------------- */

static const char *const *clamav_milters(void *state)
{
	(void)state;
	return milter_list;
}

/* Starts svc when it is not running, else restarts it when changed. */
static int start_or_restart(struct clam *c, const struct webstack_service *svc,
			    int changed, const char **err_r)
{
	int running, r = ws_service_running(c->h, &c->msg, svc, &running, err_r);

	if (r < 0 || (running && !changed))
		return r;
	return ws_defer_service(c->h, &c->msg, svc,
				running ? WEBSTACK_SERVICE_RESTART : WEBSTACK_SERVICE_START,
				err_r);
}

static int clamav_setup(void *state, const struct webstack_mail *mail,
			const char **err_r)
{
	struct clam *c = state;
	int clamd_changed = 0, milter_changed = 0, r;
	const char *msg = NULL;
	struct mbuf b = {0};
	uid_t uid;
	gid_t gid;

	r = ws_stage_milter_dir(c->h, &c->msg, MILTER_DIR, CLAM_USER, "clamav-milter",
				&uid, &gid, err_r);
	if (r == 0 && (r = c->h->stage_dir(c->h, CLAM_RUN_DIR, 0755, uid, gid, &msg)) < 0)
		r = ws_fail(&c->msg, err_r, r, "%s", msg);
	if (r == 0) {
		clam_render_clamd(&b);
		r = ws_stage_text(c->h, &c->msg, CLAMD_CONF, &b, &clamd_changed,
				  err_r);
	}
	if (r == 0) {
		clam_render_dropin(&b);
		r = ws_stage_text(c->h, &c->msg, CLAMD_DROPIN, &b, &clamd_changed,
				  err_r);
	}
	if (r == 0) {
		clam_render_milter(&b, mail->hostname, c->on_fail_accept);
		r = ws_stage_text(c->h, &c->msg, MILTER_CONF, &b, &milter_changed,
				  err_r);
	}
	if (r == 0) {
		clam_render_unit(&b);
		r = ws_stage_text(c->h, &c->msg, MILTER_UNIT, &b, &milter_changed,
				  err_r);
	}
	/* clamd first: the milter asks it for every message */
	if (r == 0)
		r = start_or_restart(c, &clamd_svc, clamd_changed, err_r);
	if (r == 0)
		r = start_or_restart(c, &milter_svc, milter_changed, err_r);
	return r;
}

static int clamav_disable(void *state, const struct webstack_mail *mail,
			  const char **err_r)
{
	static const char *const files[] = {CLAMD_CONF, MILTER_CONF, CLAMD_DROPIN,
					    MILTER_UNIT};
	static const struct webstack_service *const svcs[] = {&milter_svc, &clamd_svc};
	struct clam *c = state;
	int r = 0;

	(void)mail;
	for (size_t i = 0; r == 0 && i < 2; i++) {
		int running;

		r = ws_service_running(c->h, &c->msg, svcs[i], &running, err_r);
		if (r == 0 && running)
			r = ws_defer_service(c->h, &c->msg, svcs[i], WEBSTACK_SERVICE_STOP,
					     err_r);
	}
	if (r == 0)
		r = ws_remove_files(c->h, &c->msg, files,
				    sizeof(files) / sizeof(files[0]), err_r);
	return r;
}

/* ---- status ------------------------------------------------------------- */

/* Asks clamd over its socket (a VERSION command, as clamdscan does):
 * whether a process runs says nothing about whether it can scan. */
static int ask_clamd(struct clam *c, char *reply, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 3};
	char *path = c->h->path(c->h, CLAMD_SOCKET);
	ssize_t n = -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (path && strlen(path) < sizeof(sa.sun_path) && fd >= 0) {
		strcpy(sa.sun_path, path);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    write(fd, "zVERSION", 9) == 9)
			n = read(fd, reply, size - 1);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	if (n <= 0)
		return -1;
	reply[n] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	return 0;
}

static void report_clamd(struct clam *c, struct webstack_report *rep)
{
	char reply[256], value[320];
	unsigned long version = 0;
	long long built = 0, days;
	int r;

	if (ask_clamd(c, reply, sizeof(reply)) < 0) {
		rep->item(rep, "clamd", "not answering on " CLAMD_SOCKET ": mail is "
			  "deferred (or, with on_fail = \"accept\", not scanned)", 0);
		return;
	}
	rep->item(rep, "clamd", reply, 1);
	r = clam_parse_version(reply, &version, &built);
	if (r < 0) {
		rep->item(rep, "signatures", "clamd's VERSION answer makes no sense", 0);
		return;
	}
	if (r == 0) {
		rep->item(rep, "signatures", "no versioned database (main/daily) is "
			  "loaded: has freshclam run?", 0);
		return;
	}
	days = ((long long)time(NULL) - built) / 86400;
	snprintf(value, sizeof(value), "database version %lu, %lld day(s) old%s",
		 version, days > 0 ? days : 0,
		 days > DB_MAX_AGE_DAYS ? ": are the updates (freshclam) working?" : "");
	rep->item(rep, "signatures", value, days <= DB_MAX_AGE_DAYS);
}

static int clamav_status(void *state, const struct webstack_mail *mail,
			 struct webstack_report *rep, const char **err_r)
{
	struct clam *c = state;

	(void)mail;
	(void)err_r;
	report_clamd(c, rep);
	ws_report_running(c->h, &c->msg, rep, "clamav-milter", &milter_svc);
	ws_report_socket(c->h, rep, "clamav-milter socket", MILTER_SOCKET);
	return 0;
}

static const struct webstack_av_ops ops = {
	.milters = clamav_milters,
	.setup = clamav_setup,
	.disable = clamav_disable,
	.status = clamav_status,
};

WEBSTACK_MODULE_DEFINE(clamav, .version = PACKAGE_VERSION,
		       .summary = "ClamAV: refuses infected mail in the SMTP dialogue",
		       .role = WEBSTACK_ROLE_AV, .cfg_opts = clamav_opts,
		       .conf_check = clamav_conf_check, .init = clamav_init,
		       .fini = clamav_fini, WEBSTACK_ROLE_OPS(&ops));
