#include "config.h"

/* The module "opendkim" (role dkim): OpenDKIM from Debian signs the mail
 * of the local domains with each domain's RSA and Ed25519 keys (two
 * processes, see opendkim.h) and verifies inbound signatures, recording
 * the result in an Authentication-Results header. It owns
 * /etc/opendkim.conf, /etc/opendkim/ and the socket directory in Postfix's
 * queue; the keys themselves are the core's (`webstack mail dkim`). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <webstack/module.h>
#include <webstack/role-dkim.h>

#include "modhost.h"
#include "opendkim.h"

#define OPENDKIM "/usr/sbin/opendkim"
#define PKILL "/usr/bin/pkill"
#define PGREP "/usr/bin/pgrep"
/* stops and waits until the process is gone, so a restart cannot race */
#define SSD "/sbin/start-stop-daemon"

/* Without systemd the processes are found through their pid files. */
#define SERVICE(var, svcname, unitname, conf, pid)                             \
	static const char *const var##_start[] = {OPENDKIM, "-x", conf, NULL}; \
	static const char *const var##_reload[] = {PKILL, "-USR1", "-F", pid,  \
						   NULL};                      \
	static const char *const var##_stop[] = {SSD, "--stop", "--quiet",     \
						 "--oknodo", "--retry",        \
						 "TERM/10/KILL/5",             \
						 "--pidfile", pid, NULL};      \
	static const char *const var##_status[] = {PGREP, "-F", pid, NULL};    \
	static const struct webstack_service var = {                           \
		.name = svcname, .unit = unitname, .start = var##_start,       \
		.reload = var##_reload, .stop = var##_stop,                    \
		.status = var##_status}

SERVICE(rsa_svc, "opendkim", "opendkim.service", ODK_RSA_CONF, ODK_RSA_PID);
SERVICE(ed_svc, "opendkim-ed25519", "opendkim-ed25519.service", ODK_ED_CONF,
	ODK_ED_PID);

const struct odk_instance odk_instances[ODK_N_INSTANCES] = {
	{"rsa", "rsa-sha256", 1, ODK_RSA_CONF, ODK_RSA_PID, "rsa.sock",
	 ODK_DIR "/KeyTable.rsa", ODK_DIR "/SigningTable.rsa", &rsa_svc},
	{"ed25519", "ed25519-sha256", 0, ODK_ED_CONF, ODK_ED_PID, "ed25519.sock",
	 ODK_DIR "/KeyTable.ed25519", ODK_DIR "/SigningTable.ed25519", &ed_svc},
};

/* Relative to Postfix's queue directory, for chrooted smtpd and cleanup
 * alike; in the order of odk_instances. */
static const char *const milter_list[] = {"unix:opendkim/rsa.sock",
					  "unix:opendkim/ed25519.sock", NULL};

struct odk {
	const struct webstack_host *h;
	struct odk_settings set;
	/* what this run already queued per instance, so a publish after a
	 * setup does not signal a daemon that is just starting */
	int queued[ODK_N_INSTANCES];
	struct ws_msg msg;
};

/* ---- configuration ------------------------------------------------------ */

static cfg_opt_t opendkim_opts[] = {
	CFG_STR("trust_anchor_file", "/usr/share/dns/root.key", CFGF_NONE),
	CFG_STR_LIST("nameservers", "{}", CFGF_NONE),
	CFG_END(),
};

/* An address, optionally "@port" (libunbound's syntax): no spaces, commas
 * or anything else OpenDKIM's config parser would split on. */
static int nameserver_ok(const char *s)
{
	return *s && strspn(s, "0123456789abcdefABCDEF.:@") == strlen(s) &&
	       strchr("0123456789abcdefABCDEF:", *s);
}

static int opendkim_conf_check(const struct webstack_host *h, cfg_t *sec,
			       const char **err_r)
{
	const char *ta;

	(void)h;
	if (!sec)
		return 0;
	ta = cfg_getstr(sec, "trust_anchor_file");
	if (*ta && (*ta != '/' || strpbrk(ta, " \t\n\r#"))) {
		*err_r = "trust_anchor_file must be an absolute path without "
			 "spaces or '#', or \"\" to skip DNSSEC checks";
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg_size(sec, "nameservers"); i++)
		if (!nameserver_ok(cfg_getnstr(sec, "nameservers", i))) {
			*err_r = "nameservers: each entry must be an IPv4 or IPv6 "
				 "address, optionally with \"@port\"";
			return -EINVAL;
		}
	return 0;
}

static int opendkim_init(const struct webstack_host *h, cfg_t *sec, void **state_r,
			 const char **err_r)
{
	struct odk *o = calloc(1, sizeof(*o));
	size_t n = sec ? cfg_size(sec, "nameservers") : 0;

	if (!o || !(o->set.nameservers = calloc(n + 1, sizeof(char *)))) {
		free(o);
		*err_r = "out of memory";
		return -ENOMEM;
	}
	o->h = h;
	o->set.trust_anchor_file =
		sec ? cfg_getstr(sec, "trust_anchor_file") : "/usr/share/dns/root.key";
	for (size_t i = 0; i < n; i++)
		((const char **)o->set.nameservers)[i] = cfg_getnstr(sec, "nameservers", i);
	o->set.n_nameservers = n;
	*state_r = o;
	return 0;
}

static void opendkim_fini(void *state)
{
	struct odk *o = state;

	free((void *)o->set.nameservers);
	free(o);
}

/* ---- files and daemons -------------------------------------------------- */

static const char *const *opendkim_milters(void *state)
{
	(void)state;
	return milter_list;
}

/* Starts the instance when it is not running, else queues act when
 * something changed; once per run. */
static int queue(struct odk *o, size_t i, int changed,
		 enum webstack_service_action act, const char **err_r)
{
	const struct webstack_service *svc = odk_instances[i].svc;
	int running, r;

	if (o->queued[i])
		return 0;
	r = ws_service_running(o->h, &o->msg, svc, &running, err_r);
	if (r < 0)
		return r;
	if (running && !changed)
		return 0;
	o->queued[i] = 1;
	return ws_defer_service(o->h, &o->msg, svc,
				running ? act : WEBSTACK_SERVICE_START, err_r);
}

static int stage_dirs(struct odk *o, const char **err_r)
{
	const char *msg = NULL;
	uid_t uid;
	gid_t gid;
	int r;

	/* Postfix must never join group opendkim: OpenDKIM would then
	 * distrust the keys (readable by that group) and refuse to sign */
	r = ws_stage_milter_dir(o->h, &o->msg, ODK_SOCKET_DIR, ODK_USER, "opendkim",
				&uid, &gid, err_r);
	if (r < 0)
		return r;
	if ((r = o->h->stage_dir(o->h, ODK_RUN_DIR, 0750, uid, gid, &msg)) < 0 ||
	    (r = o->h->stage_dir(o->h, ODK_DIR, 0755, 0, 0, &msg)) < 0)
		return ws_fail(&o->msg, err_r, r, "%s", msg);
	return 0;
}

static int opendkim_setup(void *state, const struct webstack_mail *mail,
			  const char **err_r)
{
	struct odk *o = state;
	int changed[ODK_N_INSTANCES] = {0}, units = 0, r;
	struct mbuf b = {0};

	r = stage_dirs(o, err_r);
	for (size_t i = 0; r == 0 && i < ODK_N_INSTANCES; i++) {
		odk_render_conf(&b, &odk_instances[i], mail, &o->set);
		r = ws_stage_text(o->h, &o->msg, odk_instances[i].conf, &b,
				  &changed[i], err_r);
	}
	if (r == 0) {
		odk_render_unit(&b);
		r = ws_stage_text(o->h, &o->msg, ODK_ED25519_UNIT, &b, &units, err_r);
	}
	if (r == 0) {
		odk_render_dropin(&b);
		r = ws_stage_text(o->h, &o->msg, ODK_DROPIN, &b, &units, err_r);
	}
	/* Socket, UserID and the like are read only at start: restart */
	for (size_t i = 0; r == 0 && i < ODK_N_INSTANCES; i++)
		r = queue(o, i, changed[i] || units, WEBSTACK_SERVICE_RESTART, err_r);
	return r;
}

/* Both daemons stop and every file of the module's goes, but
 * /etc/opendkim.conf, which is Debian's file (overwritten by setup). */
static int opendkim_disable(void *state, const struct webstack_mail *mail,
			    const char **err_r)
{
	static const char *const files[] = {
		ODK_ED_CONF, ODK_ED25519_UNIT, ODK_DROPIN,
		ODK_DIR "/KeyTable.rsa", ODK_DIR "/SigningTable.rsa",
		ODK_DIR "/KeyTable.ed25519", ODK_DIR "/SigningTable.ed25519"};
	struct odk *o = state;
	int r = 0;

	(void)mail;
	for (size_t i = 0; r == 0 && i < ODK_N_INSTANCES; i++) {
		int running;

		r = ws_service_running(o->h, &o->msg, odk_instances[i].svc, &running,
				       err_r);
		if (r == 0 && running)
			r = ws_defer_service(o->h, &o->msg, odk_instances[i].svc,
					     WEBSTACK_SERVICE_STOP, err_r);
	}
	if (r == 0)
		r = ws_remove_files(o->h, &o->msg, files,
				    sizeof(files) / sizeof(files[0]), err_r);
	return r;
}

static int opendkim_publish(void *state, const struct webstack_mail *mail,
			    const struct webstack_directory *dir, const char **err_r)
{
	struct odk *o = state;
	struct mbuf b = {0};
	int r = 0;

	(void)mail;
	for (size_t i = 0; r == 0 && i < ODK_N_INSTANCES; i++) {
		const struct odk_instance *in = &odk_instances[i];
		int changed = 0;

		odk_render_key_table(&b, in, dir);
		r = ws_stage_text(o->h, &o->msg, in->key_table, &b, &changed,
				  err_r);
		if (r == 0) {
			odk_render_signing_table(&b, in, dir);
			r = ws_stage_text(o->h, &o->msg, in->signing_table, &b,
					  &changed, err_r);
		}
		/* SIGUSR1 re-reads the tables */
		if (r == 0)
			r = queue(o, i, changed, WEBSTACK_SERVICE_RELOAD, err_r);
	}
	return r;
}

static int opendkim_status(void *state, const struct webstack_mail *mail,
			   struct webstack_report *rep, const char **err_r)
{
	struct odk *o = state;
	char check[64], path[128];

	(void)mail;
	(void)err_r;
	for (size_t i = 0; i < ODK_N_INSTANCES; i++) {
		const struct odk_instance *in = &odk_instances[i];

		snprintf(check, sizeof(check), "opendkim %s", in->algorithm);
		ws_report_running(o->h, &o->msg, rep, check, in->svc);
		snprintf(check, sizeof(check), "opendkim %s socket", in->algorithm);
		snprintf(path, sizeof(path), ODK_SOCKET_DIR "/%s", in->socket);
		ws_report_socket(o->h, rep, check, path);
	}
	return 0;
}

static const struct webstack_dkim_ops ops = {
	.milters = opendkim_milters,
	.setup = opendkim_setup,
	.disable = opendkim_disable,
	.publish = opendkim_publish,
	.status = opendkim_status,
};

WEBSTACK_MODULE_DEFINE(opendkim, .version = PACKAGE_VERSION,
		       .summary = "OpenDKIM: signs local mail with RSA and Ed25519 "
				  "keys, verifies inbound signatures",
		       .role = WEBSTACK_ROLE_DKIM, .cfg_opts = opendkim_opts,
		       .conf_check = opendkim_conf_check, .init = opendkim_init,
		       .fini = opendkim_fini, WEBSTACK_ROLE_OPS(&ops));
