#include "config.h"

/* The module "dovecot" (role imap): Dovecot 2.3 serves IMAP, POP3 and
 * ManageSieve, delivers over LMTP and authenticates for Postfix, with the
 * virtual accounts of the passwd-file /etc/dovecot/users as its only users.
 * webstack owns /etc/dovecot/dovecot.conf and /etc/dovecot/users whole. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <webstack/module.h>
#include <webstack/role-imap.h>

#include "dovecot_added.h"
#include "dovecot_auth.h"
#include "dovecot_conf.h"
#include "dovecot_users.h"
#include "mbuf.h"
#include "modhost.h"
#include "msort.h"
#include "port.h"

#define DOVEADM "/usr/bin/doveadm"
#define DOVECONF "/usr/bin/doveconf"

/* Dovecot's base_dir is /run/dovecot; root may use this socket. */
#define DV_AUTH_MASTER "/run/dovecot/auth-master"
/* The users file holds hashes, its lines are a set (appends go at the
 * end, publish() renders them sorted), and Dovecot notices a change by its
 * size and mtime second. */
#define DV_USERS_FLAGS (WEBSTACK_FILE_SECRET | WEBSTACK_FILE_UNORDERED | \
			WEBSTACK_FILE_STAT_WATCHED)

struct dovecot {
	const struct webstack_host *h;
	struct ws_msg msg; /* the message *err_r points to after a failure */
};

static const char *const start_argv[] = {"/usr/sbin/dovecot", NULL};
static const char *const reload_argv[] = {DOVEADM, "reload", NULL};
static const char *const stop_argv[] = {DOVEADM, "stop", NULL};
/* Asks the master process over its socket: exits 0 only when a master
 * answers, 75 when none runs (a pid file can be stale). */
static const char *const status_argv[] = {DOVEADM, "service", "status", NULL};

static const struct webstack_service dovecot_service = {
	.name = "dovecot",
	.unit = "dovecot.service",
	.start = start_argv,
	.reload = reload_argv,
	.stop = stop_argv,
	.status = status_argv,
};


static int oom(struct dovecot *d, const char **err_r)
{
	return ws_fail(&d->msg, err_r, -ENOMEM, "out of memory");
}

/* Non-empty, only letters, digits and the characters of extra. */
static int word_ok(const char *s, const char *extra)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr(extra, *s))
			return 0;
	return 1;
}

/* The settings go into dovecot.conf and the users file as they are; a
 * whitelist keeps out line breaks, Dovecot's %variables and ':'. */
static int check_mail(struct dovecot *d, const struct webstack_mail *mail,
		      const char **err_r)
{
	static const char path_chars[] = "/._-+@";
	const struct {
		const char *name, *value, *allowed;
	} s[] = {
		{"hostname", mail->hostname, ".-"},
		{"vmail_user", mail->vmail_user, "._-"},
		{"mail_root", mail->mail_root, path_chars},
		{"tls_cert", mail->tls_cert, path_chars},
		{"tls_key", mail->tls_key, path_chars},
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		int path = s[i].allowed == path_chars;

		if (path && (!s[i].value || s[i].value[0] != '/'))
			return ws_fail(&d->msg, err_r, -EINVAL, "setting "
					 "%s must be an absolute path: set it in "
					 "webstack.conf", s[i].name);
		if (!word_ok(s[i].value, s[i].allowed))
			return ws_fail(&d->msg, err_r, -EINVAL, "setting "
					 "%s '%s' may hold only letters, digits and "
					 "'%s': fix it in webstack.conf", s[i].name,
					 s[i].value ? s[i].value : "", s[i].allowed);
	}
	if (mail->vmail_uid == 0 || mail->vmail_gid == 0)
		return ws_fail(&d->msg, err_r, -EINVAL, "vmail_user "
				 "'%s' has uid or gid 0, which Dovecot refuses for "
				 "mail: use a dedicated user such as 'vmail'",
				 mail->vmail_user);
	return 0;
}

static int dovecot_setup(void *state, const struct webstack_mail *mail,
			 const char **err_r)
{
	struct dovecot *d = state;
	struct webstack_file f = {.path = DV_CONF_PATH, .mode = 0644};
	struct mbuf b = {0};
	char *old = NULL;
	size_t old_len;
	int changed = 0, running, r;

	r = check_mail(d, mail, err_r);
	if (r < 0)
		return r;
	dv_conf_render(&b, mail);
	if (mbuf_failed(&b))
		return oom(d, err_r);
	r = ws_read_current(d->h, &d->msg, f.path, &old, &old_len, err_r);
	if (r == 0) {
		f.data = b.s;
		f.len = b.len;
		r = ws_stage_changed(d->h, &d->msg, &f, old, old_len, &changed, err_r);
	}
	free(old);
	mbuf_free(&b);
	if (r == 0)
		r = ws_service_running(d->h, &d->msg, &dovecot_service, &running, err_r);
	if (r < 0)
		return r;
	if (!running)
		return ws_defer_service(d->h, &d->msg, &dovecot_service,
					WEBSTACK_SERVICE_START, err_r);
	return changed ? ws_defer_service(d->h, &d->msg, &dovecot_service,
					  WEBSTACK_SERVICE_RELOAD, err_r)
		       : 0;
}

static int users_error(struct dovecot *d, const char **err_r, int r,
		       unsigned lineno, const char *msg)
{
	return ws_fail(&d->msg, err_r, r < 0 ? r : -EINVAL, "%s:%u: %s", DV_USERS_PATH,
			 lineno, msg);
}

static int load_entry(void *arg, const struct dv_user_line *u, const char **err_r)
{
	struct webstack_directory_sink *sink = arg;

	return sink->account(sink, u->field[0], u->field[1], err_r);
}

/* The core loads before anything is staged: the file on disk is what the
 * transaction would leave, and mapping it is cheaper than reading it. */
static int dovecot_load(void *state, const struct webstack_mail *mail,
			struct webstack_directory_sink *sink, const char **err_r)
{
	struct dovecot *d = state;
	const char *msg = NULL, *text;
	char *real = d->h->path(d->h, DV_USERS_PATH);
	unsigned lineno = 0;
	size_t len;
	int r;

	(void)mail;
	if (!real)
		return oom(d, err_r);
	r = dv_users_map(real, &text, &len);
	free(real);
	if (r < 0)
		return ws_fail(&d->msg, err_r, r, "cannot read %s: %s", DV_USERS_PATH,
			       strerror(-r));
	if (!text)
		return 0;
	r = dv_users_parse(text, len, load_entry, sink, &lineno, &msg);
	if (r != 0)
		r = users_error(d, err_r, r, lineno, msg ? msg : "refused");
	dv_users_unmap(text, len);
	return r;
}

static int account_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct webstack_account *const *)a)->address,
		      (*(const struct webstack_account *const *)b)->address);
}

/* The users file for dir, one line per account sorted by address, into b. */
static int render_users(struct dovecot *d, const struct webstack_mail *mail,
			const struct webstack_directory *dir, struct mbuf *b,
			const char **err_r)
{
	const struct webstack_account **v;
	char middle[PATH_MAX + 64];
	int r = 0;

	if (dv_users_middle(middle, sizeof(middle), mail) < 0)
		return ws_fail(&d->msg, err_r, -EINVAL, "mail_root is too long for %s",
				 DV_USERS_PATH);
	v = malloc((dir->n_accounts ? dir->n_accounts : 1) * sizeof(*v));
	if (!v)
		return oom(d, err_r);
	for (size_t i = 0; i < dir->n_accounts; i++)
		v[i] = &dir->accounts[i];
	/* The host hands them sorted (webstack/mail.h); sort otherwise. */
	msort_unless_sorted(v, dir->n_accounts, sizeof(*v), account_cmp);
	for (size_t i = 0; i < dir->n_accounts && r == 0; i++) {
		const char *problem = dv_account_problem(v[i]);

		if (!problem && i > 0 && strcmp(v[i - 1]->address, v[i]->address) == 0)
			problem = "the account is listed twice";
		if (problem)
			r = ws_fail(&d->msg, err_r, -EINVAL, "account '%s': %s; %s "
				      "not written", v[i]->address, problem,
				      DV_USERS_PATH);
		else
			dv_users_line(b, v[i], middle);
	}
	free(v);
	if (r == 0 && mbuf_failed(b))
		r = oom(d, err_r);
	return r;
}

/* Defers the wait until Dovecot serves the change to users
 * (dovecot_auth.h) until after the commit. */
static int queue_sync(struct dovecot *d, const char *const *users, size_t n,
		      const char *probe, int added, const char **err_r)
{
	char *socket_path = d->h->path(d->h, DV_AUTH_MASTER);
	struct dv_sync *sync = socket_path ?
		dv_sync_new(socket_path, users, n, probe, added) : NULL;
	const char *msg;
	int r;

	free(socket_path);
	if (!sync)
		return oom(d, err_r);
	r = d->h->defer_call(d->h, "wait until Dovecot serves the new "
			     DV_USERS_PATH " and flush its auth cache",
			     dv_sync_run, sync, dv_sync_free, &msg);
	return r < 0 ? ws_fail(&d->msg, err_r, r, "cannot queue the wait for "
			       "Dovecot: %s", msg) : 0;
}

static int queue_added(struct dovecot *d, const char *address, const char **err_r)
{
	char *socket_path = d->h->path(d->h, DV_AUTH_MASTER);
	char *users = d->h->path(d->h, DV_USERS_PATH);
	struct dv_added *a = socket_path && users ?
		dv_added_new(socket_path, users, address) : NULL;
	const char *msg;
	int r;

	free(socket_path);
	free(users);
	if (!a)
		return oom(d, err_r);
	r = d->h->defer_background(d->h, "wait until Dovecot serves the new "
				   DV_USERS_PATH, dv_added_run, a, dv_added_free, 0, &msg);
	return r < 0 ? ws_fail(&d->msg, err_r, r, "cannot queue the wait for "
			       "Dovecot: %s", msg) : 0;
}

/* After the commit, waits until Dovecot serves the new file and flushes
 * its auth cache of the users that differ between the two versions
 * (dovecot_auth.h). */
static int sync_changed(struct dovecot *d, const char *old, size_t old_len,
			const struct webstack_file *f, const char **err_r)
{
	struct dv_entry *a = NULL, *b = NULL;
	size_t na = 0, nb = 0, n = 0;
	const struct dv_entry **changed = NULL, *probe;
	char **users = NULL, *probe_name = NULL;
	const char *msg;
	unsigned lineno = 0;
	int added = 0, r;

	r = dv_users_read(old ? old : "", old_len, &a, &na, &lineno, &msg);
	if (r != 0)
		return users_error(d, err_r, r, lineno, msg);
	r = dv_users_split(f->data, f->len, &b, &nb, &lineno, &msg);
	if (r != 0) {
		r = ws_fail(&d->msg, err_r, r, "rendered an unreadable %s, "
			      "line %u: %s", DV_USERS_PATH, lineno, msg);
		goto out;
	}
	changed = malloc((na + nb + 1) * sizeof(*changed));
	if (!changed) {
		r = oom(d, err_r);
		goto out;
	}
	n = dv_users_changed(a, na, b, nb, changed, &probe, &added);
	if (n == 0)
		goto out;
	users = calloc(n, sizeof(*users));
	if (!users || (probe && !(probe_name = strndup(probe->user, probe->user_len)))) {
		r = oom(d, err_r);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!(users[i] = strndup(changed[i]->user, changed[i]->user_len))) {
			r = oom(d, err_r);
			goto out;
		}
	r = queue_sync(d, (const char *const *)users, n, probe_name, added, err_r);
out:
	for (size_t i = 0; users && i < n; i++)
		free(users[i]);
	free(users);
	free(changed);
	free(probe_name);
	free(a);
	free(b);
	return r;
}

/* Nothing is staged yet when the core asks, so the disk is what counts. */
static int dovecot_find_account(void *state, const struct webstack_mail *mail,
				const char *address, int *found_r, const char **err_r)
{
	struct dovecot *d = state;
	char *real = d->h->path(d->h, DV_USERS_PATH);
	int r;

	(void)mail;
	if (!real)
		return oom(d, err_r);
	r = dv_users_file_has(real, address, found_r);
	free(real);
	return r < 0 ? ws_fail(&d->msg, err_r, r, "cannot read %s: %s", DV_USERS_PATH,
			       strerror(-r)) : 0;
}

/* One line at the end of the users file; the core checked that the
 * address is new. After the command has returned, a background call waits
 * until Dovecot serves it (the postfix module's background call puts the
 * address into Postfix's maps after that). */
static int dovecot_add_account(void *state, const struct webstack_mail *mail,
			       const struct webstack_account *a, const char **err_r)
{
	struct dovecot *d = state;
	char middle[PATH_MAX + 64];
	const char *problem = dv_account_problem(a), *msg;
	struct mbuf line = {0};
	int r = check_mail(d, mail, err_r);

	if (r < 0)
		return r;
	if (problem)
		return ws_fail(&d->msg, err_r, -EINVAL, "account '%s': %s; %s not "
				 "written", a->address, problem, DV_USERS_PATH);
	if (dv_users_middle(middle, sizeof(middle), mail) < 0)
		return ws_fail(&d->msg, err_r, -EINVAL, "mail_root is too long for %s",
				 DV_USERS_PATH);
	dv_users_line(&line, a, middle);
	if (mbuf_failed(&line))
		return oom(d, err_r);
	r = d->h->stage_append(d->h, &(struct webstack_file){
		.path = DV_USERS_PATH, .data = line.s, .len = line.len,
		.flags = DV_USERS_FLAGS}, &msg);
	mbuf_free(&line);
	if (r < 0)
		return ws_fail(&d->msg, err_r, r, "%s", msg);
	return queue_added(d, a->address, err_r);
}

static int dovecot_publish(void *state, const struct webstack_mail *mail,
			   const struct webstack_directory *dir, const char **err_r)
{
	struct dovecot *d = state;
	struct webstack_file f = {.path = DV_USERS_PATH, .mode = 0640,
				  .flags = DV_USERS_FLAGS};
	struct mbuf b = {0};
	const char *msg;
	char *old = NULL;
	size_t old_len;
	uid_t uid;
	int changed = 0, r;

	r = check_mail(d, mail, err_r);
	if (r < 0)
		return r;
	r = d->h->lookup_user(d->h, "dovecot", &uid, &f.gid, &msg);
	if (r < 0)
		return ws_fail(&d->msg, err_r, r, "%s needs the group of user "
				 "'dovecot': %s (is dovecot-core installed?)",
				 DV_USERS_PATH, msg);
	r = render_users(d, mail, dir, &b, err_r);
	if (r == 0)
		r = ws_read_current(d->h, &d->msg, f.path, &old, &old_len, err_r);
	if (r == 0) {
		f.data = b.s ? b.s : "";
		f.len = b.len;
		r = ws_stage_changed(d->h, &d->msg, &f, old, old_len, &changed, err_r);
	}
	if (r == 0 && changed)
		r = sync_changed(d, old, old_len, &f, err_r);
	free(old);
	mbuf_free(&b);
	return r;
}

/* The line of out that says why doveconf failed: its first fatal error,
 * else its first error (a child's failure can be logged before the fatal
 * error that caused it), else its first line. */
static void first_error(const char *out, char *line, size_t size)
{
	const char *p = strstr(out, "Fatal: ");

	if (!p)
		p = strstr(out, "Error: ");
	if (p)
		while (p > out && p[-1] != '\n')
			p--;
	else
		p = out;
	snprintf(line, size, "%.*s", (int)strcspn(p, "\n"), p);
}

/* Checks the file on disk; the config doveconf prints is never shown. */
static void report_doveconf(struct dovecot *d, struct webstack_report *rep)
{
	char *path = d->h->path(d->h, DV_CONF_PATH);
	const char *argv[] = {DOVECONF, "-c", path, "-n", NULL};
	const char *msg;
	char *out = NULL;
	char line[512];
	int status;

	if (!path) {
		rep->item(rep, "doveconf", "out of memory", 0);
		return;
	}
	if (d->h->run(d->h, argv, NULL, 0, &out, &status, &msg) < 0) {
		rep->item(rep, "doveconf", msg, 0);
	} else if (status == 0) {
		rep->item(rep, "doveconf", "ok", 1);
	} else {
		first_error(out ? out : "", line, sizeof(line));
		if (!line[0])
			snprintf(line, sizeof(line), "failed with exit status %d", status);
		rep->item(rep, "doveconf", line, 0);
	}
	free(out);
	free(path);
}

static void report_ports(const struct webstack_mail *mail,
			 struct webstack_report *rep)
{
	for (size_t i = 0; i < dv_n_listeners; i++) {
		const struct dv_listener *l = &dv_listeners[i];
		char check[64], value[128];
		int r;

		if (!mail->enabled[l->svc])
			continue;
		snprintf(check, sizeof(check), "%s %u", l->name, l->port);
		r = ws_port_listening(l->port);
		if (r < 0)
			snprintf(value, sizeof(value),
				 "unknown: cannot read /proc/net/tcp: %s", strerror(-r));
		rep->item(rep, check, r < 0 ? value : r ? "listening" : "not listening",
			  r > 0);
	}
}

static int dovecot_status(void *state, const struct webstack_mail *mail,
			  struct webstack_report *r, const char **err_r)
{
	struct dovecot *d = state;

	(void)err_r;
	ws_report_running(d->h, &d->msg, r, "dovecot", &dovecot_service);
	report_doveconf(d, r);
	report_ports(mail, r);
	ws_report_socket(d->h, r, "lmtp socket", DV_LMTP_SOCKET);
	ws_report_socket(d->h, r, "auth socket", DV_AUTH_SOCKET);
	return 0;
}

static int dovecot_init(const struct webstack_host *h, cfg_t *sec, void **state_r,
			const char **err_r)
{
	struct dovecot *d = calloc(1, sizeof(*d));

	(void)sec;
	if (!d) {
		*err_r = "out of memory";
		return -ENOMEM;
	}
	d->h = h;
	*state_r = d;
	return 0;
}

static void dovecot_fini(void *state)
{
	free(state);
}

/* At most this many accounts that fail the login check are named. */
#define DV_CHECK_NAMED 20

struct check_report {
	const struct webstack_account *accounts;
	struct webstack_report *r;
	size_t named;
};

static void report_bad(void *arg, size_t i, const char *why)
{
	struct check_report *c = arg;
	char line[512];

	if (c->named++ >= DV_CHECK_NAMED)
		return;
	snprintf(line, sizeof(line), "%s: %s", c->accounts[i].address, why);
	c->r->item(c->r, "login", line, 0);
}

static int dovecot_check_logins(void *state, const struct webstack_mail *mail,
				const struct webstack_account *accounts, size_t n,
				struct webstack_report *r, size_t *bad_r,
				const char **err_r)
{
	struct dovecot *d = state;
	struct check_report c = {.accounts = accounts, .r = r};
	const char **users = malloc((n + 1) * sizeof(*users));
	char *socket_path = d->h->path(d->h, DV_AUTH_MASTER), msg[512];
	int ret = -1;

	(void)mail;
	if (users && socket_path) {
		for (size_t i = 0; i < n; i++)
			users[i] = accounts[i].address;
		ret = dv_check_logins(socket_path, users, n, report_bad, &c, bad_r, msg,
				      sizeof(msg));
	} else {
		snprintf(msg, sizeof(msg), "out of memory");
	}
	if (ret == 0 && *bad_r > DV_CHECK_NAMED) {
		snprintf(msg, sizeof(msg), "and %zu more", *bad_r - DV_CHECK_NAMED);
		r->item(r, "login", msg, 0);
	}
	free(users);
	free(socket_path);
	return ret < 0 ? ws_fail(&d->msg, err_r, -ECONNREFUSED, "Dovecot's auth "
				 "process does not answer (%s): its log says why", msg) : 0;
}

static const struct webstack_imap_ops ops = {
	.setup = dovecot_setup,
	.load = dovecot_load,
	.publish = dovecot_publish,
	.status = dovecot_status,
	.find_account = dovecot_find_account,
	.add_account = dovecot_add_account,
	.check_logins = dovecot_check_logins,
};

WEBSTACK_MODULE_DEFINE(dovecot, .version = PACKAGE_VERSION,
		       .summary = "Dovecot 2.3: IMAP, POP3, ManageSieve, LMTP and SASL "
				  "for virtual accounts",
		       .role = WEBSTACK_ROLE_IMAP, .init = dovecot_init,
		       .fini = dovecot_fini, WEBSTACK_ROLE_OPS(&ops));
