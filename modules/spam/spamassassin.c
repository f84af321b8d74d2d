#include "config.h"

/* The module "spamassassin" (role spam): spamd scores each message that
 * spamass-milter hands it from Postfix. At or above tag_score the message
 * gets X-Spam-* headers (X-Spam-Flag: YES) and is delivered; at or above
 * reject_score Postfix refuses it at SMTP time. It owns
 * /etc/spamassassin/webstack.cf, a drop-in for spamd.service, the unit of
 * spamass-milter and the socket directory in Postfix's queue (see
 * spamassassin.h). spamass-milter passes mail unscanned when spamd is
 * down, so status() asks spamd itself. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <webstack/module.h>
#include <webstack/role-spam.h>

#include "modhost.h"
#include "spamassassin.h"

#define PKILL "/usr/bin/pkill"
#define PGREP "/usr/bin/pgrep"
#define SPAMC "/usr/bin/spamc"
#define SSD "/sbin/start-stop-daemon"
#define RMDIR "/bin/rmdir"
#define MAX_ARGV 32

/* Without systemd the processes are found through their pid files;
 * start-stop-daemon --retry waits until a stopped daemon is gone, so a
 * restart does not race the old one for its socket. */
static const char *const spamd_reload[] = {PKILL, "-HUP", "-F", SA_SPAMD_PID, NULL};
static const char *const spamd_stop[] = {SSD, "--stop", "--quiet", "--oknodo",
					 "--retry", "TERM/10/KILL/5", "--pidfile",
					 SA_SPAMD_PID, NULL};
static const char *const spamd_status[] = {PGREP, "-F", SA_SPAMD_PID, NULL};
static const char *const milter_stop[] = {SSD, "--stop", "--quiet", "--oknodo",
					  "--retry", "TERM/10/KILL/5", "--pidfile",
					  SA_MILTER_PID, "--exec", SA_MILTER, NULL};
static const char *const milter_status[] = {PGREP, "-F", SA_MILTER_PID, NULL};
static const char *const spamd_head[] = {SA_SPAMD, "-d", NULL};
static const char *const milter_head[] = {
	SSD, "--start", "--quiet", "--umask", "007", "--chuid", SA_MILTER_USER,
	"--pidfile", SA_MILTER_PID, "--exec", SA_MILTER, "--", NULL};

static const char *const milter_list[] = {SA_MILTER_ENDPOINT, NULL};

struct sa {
	const struct webstack_host *h;
	struct sa_settings set;
	const char *milter_args[SA_MILTER_MAX_ARGS + 1];
	/* the start commands depend on the settings, so the services live
	 * here: the host keeps pointers to them until the commit */
	const char *spamd_start[MAX_ARGV], *milter_start[MAX_ARGV];
	struct webstack_service spamd, milter;
	struct ws_msg msg;
};

/* ---- configuration ------------------------------------------------------ */

static cfg_opt_t spamassassin_opts[] = {
	CFG_FLOAT("tag_score", 5.0, CFGF_NONE),
	CFG_FLOAT("reject_score", 10.0, CFGF_NONE),
	CFG_BOOL("scan_authenticated", cfg_false, CFGF_NONE),
	CFG_END(),
};

static void read_settings(cfg_t *sec, struct sa_settings *s)
{
	s->tag_score = sec ? cfg_getfloat(sec, "tag_score") : 5.0;
	s->reject_score = sec ? cfg_getfloat(sec, "reject_score") : 10.0;
	s->scan_authenticated = sec ? cfg_getbool(sec, "scan_authenticated") : 0;
}

static int spamassassin_conf_check(const struct webstack_host *h, cfg_t *sec,
				   const char **err_r)
{
	struct sa_settings s;

	(void)h;
	read_settings(sec, &s);
	if (!(s.tag_score > 0 && s.tag_score <= 100)) {
		*err_r = "tag_score must be above 0 and at most 100 (SpamAssassin's "
			 "default is 5.0)";
		return -EINVAL;
	}
	/* GTUBE scores 1000: it must stay above any reject threshold */
	if (!(s.reject_score > s.tag_score && s.reject_score <= 999)) {
		*err_r = "reject_score must be above tag_score and at most 999";
		return -EINVAL;
	}
	if (s.reject_score != (double)(long)s.reject_score) {
		*err_r = "reject_score must be a whole number: spamass-milter "
			 "compares whole points (e.g. 10, not 10.5)";
		return -EINVAL;
	}
	return 0;
}

/* out = head followed by tail, NULL-terminated. */
static void join_argv(const char **out, const char *const *head,
		      const char *const *tail)
{
	size_t n = 0;

	for (size_t i = 0; head[i]; i++)
		out[n++] = head[i];
	for (size_t i = 0; tail[i]; i++)
		out[n++] = tail[i];
	out[n] = NULL;
}

static int spamassassin_init(const struct webstack_host *h, cfg_t *sec,
			     void **state_r, const char **err_r)
{
	struct sa *s = calloc(1, sizeof(*s));

	if (!s) {
		*err_r = "out of memory";
		return -ENOMEM;
	}
	s->h = h;
	read_settings(sec, &s->set);
	sa_milter_args(&s->set, s->milter_args);
	join_argv(s->spamd_start, spamd_head, sa_spamd_args);
	join_argv(s->milter_start, milter_head, s->milter_args);
	s->spamd = (struct webstack_service){
		.name = "spamd", .unit = "spamd.service", .start = s->spamd_start,
		.reload = spamd_reload, .stop = spamd_stop, .status = spamd_status};
	/* no reload: spamass-milter reads its options only at start */
	s->milter = (struct webstack_service){
		.name = "spamass-milter", .unit = "spamass-milter.service",
		.start = s->milter_start, .stop = milter_stop,
		.status = milter_status};
	*state_r = s;
	return 0;
}

static void spamassassin_fini(void *state)
{
	free(state);
}

/* ---- files and daemons -------------------------------------------------- */

static const char *const *spamassassin_milters(void *state)
{
	(void)state;
	return milter_list;
}

/* Starts svc when it is not running, else queues act when changed. */
static int queue(struct sa *s, const struct webstack_service *svc, int changed,
		 enum webstack_service_action act, const char **err_r)
{
	int running, r;

	r = ws_service_running(s->h, &s->msg, svc, &running, err_r);
	if (r < 0 || (running && !changed))
		return r;
	return ws_defer_service(s->h, &s->msg, svc,
				running ? act : WEBSTACK_SERVICE_START, err_r);
}

static int stage_dirs(struct sa *s, const char **err_r)
{
	const char *msg = NULL;
	uid_t uid, spamd_uid;
	gid_t gid, spamd_gid;
	int r;

	r = ws_stage_milter_dir(s->h, &s->msg, SA_SOCKET_DIR, SA_MILTER_USER,
				"spamass-milter", &uid, &gid, err_r);
	if (r < 0)
		return r;
	r = s->h->lookup_user(s->h, SA_SPAMD_USER, &spamd_uid, &spamd_gid, &msg);
	if (r < 0)
		return ws_fail(&s->msg, err_r, r, "%s: is spamd installed (Debian: "
			       "apt-get install spamd)?", msg);
	/* spamd's socket itself is 0660 debian-spamd:spamass-milter */
	if ((r = s->h->stage_dir(s->h, SA_SPAMD_RUN, 0755, 0, 0, &msg)) < 0 ||
	    (r = s->h->stage_dir(s->h, SA_MILTER_RUN, 0755, uid, gid, &msg)) < 0)
		return ws_fail(&s->msg, err_r, r, "%s", msg);
	return 0;
}

static int spamassassin_setup(void *state, const struct webstack_mail *mail,
			      const char **err_r)
{
	struct sa *s = state;
	int cf = 0, dropin = 0, unit = 0, r;
	struct mbuf b = {0};

	(void)mail;
	r = stage_dirs(s, err_r);
	if (r == 0) {
		sa_render_cf(&b, &s->set);
		r = ws_stage_text(s->h, &s->msg, SA_CF, &b, &cf, err_r);
	}
	if (r == 0) {
		sa_render_spamd_dropin(&b);
		r = ws_stage_text(s->h, &s->msg, SA_SPAMD_DROPIN, &b, &dropin, err_r);
	}
	if (r == 0) {
		sa_render_milter_unit(&b, s->milter_args);
		r = ws_stage_text(s->h, &s->msg, SA_MILTER_UNIT, &b, &unit, err_r);
	}
	/* spamd re-reads the rules on SIGHUP; its own options and the
	 * milter's are read only at start. spamd first: the milter is no
	 * use before it. */
	if (r == 0)
		r = queue(s, &s->spamd, cf || dropin,
			  dropin ? WEBSTACK_SERVICE_RESTART : WEBSTACK_SERVICE_RELOAD,
			  err_r);
	if (r == 0)
		r = queue(s, &s->milter, unit, WEBSTACK_SERVICE_RESTART, err_r);
	return r;
}

static int stop(struct sa *s, const struct webstack_service *svc, const char **err_r)
{
	int running, r;

	r = ws_service_running(s->h, &s->msg, svc, &running, err_r);
	if (r == 0 && running)
		r = ws_defer_service(s->h, &s->msg, svc, WEBSTACK_SERVICE_STOP, err_r);
	return r;
}

/* Queues the removal of dir, after the daemons stopped, when it exists
 * (systemd removes the runtime directories itself). */
static int remove_dir_later(struct sa *s, const char *dir, const char **err_r)
{
	char *path = s->h->path(s->h, dir);
	const char *msg = NULL;
	struct stat st;
	int r = 0;

	if (!path)
		return ws_fail(&s->msg, err_r, -ENOMEM, "out of memory");
	if (stat(path, &st) == 0) {
		const char *argv[] = {RMDIR, "--ignore-fail-on-non-empty", path, NULL};

		if ((r = s->h->defer_run(s->h, argv, &msg)) < 0)
			r = ws_fail(&s->msg, err_r, r, "%s", msg);
	}
	free(path);
	return r;
}

/* Both daemons stop and every file and directory of the module's goes;
 * Debian's own files (/etc/default/spamd, local.cf) were never touched. */
static int spamassassin_disable(void *state, const struct webstack_mail *mail,
				const char **err_r)
{
	static const char *const files[] = {SA_CF, SA_SPAMD_DROPIN, SA_MILTER_UNIT};
	static const char *const dirs[] = {SA_SOCKET_DIR, SA_MILTER_RUN, SA_SPAMD_RUN};
	struct sa *s = state;
	int r;

	(void)mail;
	r = stop(s, &s->milter, err_r);
	if (r == 0)
		r = stop(s, &s->spamd, err_r);
	if (r == 0)
		r = ws_remove_files(s->h, &s->msg, files, sizeof(files) / sizeof(files[0]),
				    err_r);
	for (size_t i = 0; r == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		r = remove_dir_later(s, dirs[i], err_r);
	return r;
}

/* spamd answers spamc's PING; a pid alone says nothing about that. */
static void report_spamd(struct sa *s, struct webstack_report *rep)
{
	static const char check[] = "spamd";
	char *sock = s->h->path(s->h, SA_SPAMD_SOCK), *out = NULL;
	const char *argv[] = {SPAMC, "-K", "-U", sock, NULL}, *msg = NULL;
	int status = -1;

	if (!sock)
		rep->item(rep, check, "out of memory", 0);
	else if (s->h->run(s->h, argv, NULL, 0, &out, &status, &msg) < 0)
		rep->item(rep, check, msg, 0);
	else if (status == 0)
		rep->item(rep, check, "answers", 1);
	else
		rep->item(rep, check, "does not answer on " SA_SPAMD_SOCK
			  ": spamass-milter passes mail unscanned", 0);
	free(out);
	free(sock);
}

static int spamassassin_status(void *state, const struct webstack_mail *mail,
			       struct webstack_report *rep, const char **err_r)
{
	struct sa *s = state;

	(void)mail;
	(void)err_r;
	report_spamd(s, rep);
	ws_report_running(s->h, &s->msg, rep, "spamass-milter", &s->milter);
	ws_report_socket(s->h, rep, "spamass-milter socket", SA_SOCKET);
	return 0;
}

static const struct webstack_spam_ops ops = {
	.milters = spamassassin_milters,
	.setup = spamassassin_setup,
	.disable = spamassassin_disable,
	.status = spamassassin_status,
};

WEBSTACK_MODULE_DEFINE(spamassassin, .version = PACKAGE_VERSION,
		       .summary = "SpamAssassin: spamd scores mail through "
				  "spamass-milter; tags or refuses spam",
		       .role = WEBSTACK_ROLE_SPAM, .cfg_opts = spamassassin_opts,
		       .conf_check = spamassassin_conf_check,
		       .init = spamassassin_init, .fini = spamassassin_fini,
		       WEBSTACK_ROLE_OPS(&ops));
