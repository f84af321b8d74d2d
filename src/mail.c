#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <webstack/role-imap.h>
#include <webstack/role-mta.h>

#include "buf.h"
#include "fsutil.h"
#include "log.h"
#include "mail.h"
#include "mail_dirrole.h"
#include "maildkim.h"
#include "roles.h"
#include "validate.h"

static const struct webstack_mta_ops *mta_ops(const struct mail_session *s)
{
	return s->mta->desc->role_ops;
}

static const struct webstack_imap_ops *imap_ops(const struct mail_session *s)
{
	return s->imap->desc->role_ops;
}

static void *state(const struct module *m)
{
	return m->state;
}

/* ---- settings ---------------------------------------------------------- */

static int find_roles(struct mail_session *s)
{
	static const struct {
		enum webstack_role role;
		const char *example;
	} need[] = {{WEBSTACK_ROLE_MTA, "postfix"}, {WEBSTACK_ROLE_IMAP, "dovecot"}};

	for (size_t i = 0; i < 2; i++) {
		struct module *m = loader_find_role(&s->c->loader, need[i].role);

		if (!m)
			return err_set(&s->c->err, EX_CONFIG,
				       "%s: no module fills the %s role: set %s = \"%s\"",
				       s->c->config_path,
				       role_get(need[i].role)->name, role_get(need[i].role)->name,
				       need[i].example);
		if (need[i].role == WEBSTACK_ROLE_MTA)
			s->mta = m;
		else
			s->imap = m;
	}
	s->directory = loader_find_role(&s->c->loader, WEBSTACK_ROLE_DIRECTORY);
	s->mail.directory = s->directory ? s->directory->name : CONF_DIRECTORY_FILES;
	return 0;
}

/* The filter roles, in the order the MTA calls their milters: mail is
 * checked for viruses and spam before it is signed. */
static const enum webstack_role filter_roles[] = {
	WEBSTACK_ROLE_AV, WEBSTACK_ROLE_SPAM, WEBSTACK_ROLE_DKIM};

static struct mail_filter *filter_array(size_t n)
{
	struct mail_filter *f = xmalloc((n + 1) * sizeof(*f));

	memset(f, 0, (n + 1) * sizeof(*f));
	return f;
}

static void add_filter(struct mail_filter *f, struct module *m)
{
	size_t n = m->desc->role_ops_size;

	f->mod = m;
	/* fields past the module's recorded size count as NULL */
	memcpy(&f->ops, m->desc->role_ops, n < sizeof(f->ops) ? n : sizeof(f->ops));
}

/* The filters in role order, their milters, and the retired ones apart. */
static void find_filters(struct mail_session *s)
{
	struct loader *ld = &s->c->loader;

	s->dns = loader_find_role(ld, WEBSTACK_ROLE_DNS);
	s->filters = filter_array(ld->n_mods);
	s->retired = filter_array(ld->n_mods);
	for (size_t r = 0; r < sizeof(filter_roles) / sizeof(filter_roles[0]); r++)
		for (size_t i = 0; i < ld->n_mods; i++) {
			struct module *m = ld->mods[i];
			const char *const *list;

			if (m->desc->role != filter_roles[r])
				continue;
			if (m->retired) {
				add_filter(&s->retired[s->n_retired++], m);
				continue;
			}
			add_filter(&s->filters[s->n_filters], m);
			list = s->filters[s->n_filters++].ops.milters(m->state);
			for (; list && *list; list++)
				strv_add(&s->milters, *list);
		}
	s->mail.milters = (const char *const *)s->milters.v;
	s->mail.n_milters = s->milters.n;
}

/* MAIL_SETUP: the filters the last setup configured ("<role> <module>"
 * lines in FILTER_STATE) are loaded too; those the config no longer names
 * come out retired, so that setup can disable them. */
static int retire_old_filters(struct mail_session *s)
{
	struct buf b = {0};
	int r = txn_read(s->c->txn, MAIL_FILTER_STATE, &b, &s->c->err);

	for (char *line = b.data, *next; r == 0 && line && *line; line = next) {
		char role[16], name[CTX_NAME_MAX];
		enum webstack_role rv;

		next = line + strcspn(line, "\n");
		next += *next == '\n';
		if (sscanf(line, "%15s %63s", role, name) != 2 ||
		    ((rv = role_by_name(role)) != WEBSTACK_ROLE_AV &&
		     rv != WEBSTACK_ROLE_SPAM && rv != WEBSTACK_ROLE_DKIM)) {
			log_msg(WEBSTACK_LOG_WARNING, "%s: a line that names no filter "
				"module: ignored", MAIL_FILTER_STATE);
			continue;
		}
		r = ctx_retire(s->c, name, rv);
	}
	buf_free(&b);
	return r < 0 ? -1 : 0;
}

/* --hostname, else hostname of webstack.conf, else the system's name when
 * it is a fully qualified one. */
static int pick_hostname(struct mail_session *s, const char *given)
{
	const char *conf = cfg_getstr(s->c->conf.core, "hostname");
	char sys[256] = "", out[VALIDATE_DOMAIN_MAX + 1];
	const char *name = given && *given ? given : conf;

	if (!*name) {
		if (gethostname(sys, sizeof(sys) - 1) < 0 || !strchr(sys, '.'))
			return err_set(&s->c->err, EX_CONFIG,
				       "this host's name '%s' is not fully qualified: "
				       "give one with `webstack mail setup --hostname "
				       "mail.example.com`", sys);
		name = sys;
	}
	if (validate_domain(name, out, sizeof(out), &s->c->err) < 0)
		return err_prefix(&s->c->err, "host name");
	s->hostname = xstrdup(out);
	return 0;
}

static int pick_vmail(struct mail_session *s, enum mail_mode mode)
{
	const char *user = cfg_getstr(s->c->conf.core, "vmail_user");
	struct passwd *pw = getpwnam(user);

	s->mail.vmail_user = user;
	if (pw) {
		if (pw->pw_uid == 0 || pw->pw_gid == 0)
			return err_set(&s->c->err, EX_CONFIG,
				       "vmail_user '%s' has uid or gid 0: Dovecot refuses "
				       "root; name an unprivileged user", user);
		s->mail.vmail_uid = pw->pw_uid;
		s->mail.vmail_gid = pw->pw_gid;
		return 0;
	}
	if (mode != MAIL_SETUP)
		return err_set(&s->c->err, EX_CONFIG,
			       "the system user '%s' does not exist: run `webstack "
			       "mail setup` first", user);
	s->vmail_missing = 1;
	return 0;
}

static int path_setting(struct mail_session *s, const char *name, const char *dflt,
			const char **out)
{
	const char *v = cfg_getstr(s->c->conf.core, name);
	char *dir = NULL, *base = NULL;
	struct err e = {0};

	if (!*v && dflt)
		v = dflt;
	if (!*v || fs_split(v, &dir, &base, &e) < 0)
		return err_set(&s->c->err, EX_CONFIG, "%s: %s '%s': an absolute path "
			       "without '.' or '..' is needed", s->c->config_path, name, v);
	free(dir);
	free(base);
	*out = v;
	return 0;
}

static int fill_settings(struct mail_session *s, enum mail_mode mode,
			 const char *hostname)
{
	struct webstack_mail *m = &s->mail;

	if (pick_hostname(s, hostname) < 0 || pick_vmail(s, mode) < 0 ||
	    path_setting(s, "mail_root", NULL, &m->mail_root) < 0 ||
	    path_setting(s, "tls_cert", MAIL_DEFAULT_CERT, &m->tls_cert) < 0 ||
	    path_setting(s, "tls_key", MAIL_DEFAULT_KEY, &m->tls_key) < 0)
		return -1;
	m->hostname = s->hostname;
	for (unsigned i = 0; i < cfg_size(s->c->conf.core, "public_addresses"); i++)
		strv_add(&s->public_addresses,
			 cfg_getnstr(s->c->conf.core, "public_addresses", i));
	m->public_addresses = (const char *const *)s->public_addresses.v;
	m->n_public_addresses = s->public_addresses.n;
	m->message_size_limit =
		(uint64_t)cfg_getint(s->c->conf.core, "message_size_limit");
	memcpy(m->enabled, s->c->conf.service_enabled, sizeof(m->enabled));
	return 0;
}

/* ---- the directory ------------------------------------------------------ */

/* From the directory module, or the mta and imap modules' files, into d. */
static int load_from_backend(struct mail_session *s, struct directory *d, int accounts)
{
	struct dir_sink sink;
	const char *msg = NULL;
	int r;

	dir_sink_init(&sink, d);
	sink.schemes_only = s->read_only;
	if (s->directory) {
		if (mail_dirrole_load(s, &sink.sink, accounts) < 0)
			return -1;
	} else {
		r = mta_ops(s)->load(state(s->mta), &s->mail, &sink.sink, &msg);
		if (ctx_op_result(s->c, s->mta, "load", r, msg) < 0)
			return -1;
		r = accounts ? imap_ops(s)->load(state(s->imap), &s->mail, &sink.sink,
						 &msg) : 0;
		if (ctx_op_result(s->c, s->imap, "load", r, msg) < 0)
			return -1;
	}
	if (dir_check_accounts(d, &s->c->err) < 0)
		return err_prefix(&s->c->err, "module %s: load",
				  (s->directory ? s->directory : s->imap)->name);
	return 0;
}

/* The whole directory, or with accounts 0 the domains and aliases only. */
static int load_directory(struct mail_session *s, int accounts)
{
	if (load_from_backend(s, &s->dir, accounts) < 0)
		return -1;
	if (accounts && maildkim_load(s) < 0)
		return -1;
	for (size_t i = 0; i < s->dir.domains.n; i++)
		strv_add(&s->loaded_domains, s->dir.domains.v[i]);
	strv_sort(&s->loaded_domains);
	for (size_t i = 0; i < s->dir.n_accounts; i++)
		if (!dir_has_domain(&s->dir, s->dir.accounts[i].domain))
			log_msg(WEBSTACK_LOG_WARNING,
				"account %s: its domain is not a mail domain; "
				"add it with `webstack mail add domain %s`",
				s->dir.accounts[i].address, s->dir.accounts[i].domain);
	if (s->directory && !s->read_only)
		mail_dirrole_keep(s);
	return 0;
}

static int open_session(struct mail_session *s, struct ctx *c, enum mail_mode mode,
			const char *hostname)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->read_only = mode == MAIL_READ;
	if (mode != MAIL_READ && ctx_begin(c) < 0)
		return -1;
	if (mode == MAIL_SETUP && retire_old_filters(s) < 0)
		return -1;
	if (ctx_modules(c, 1) < 0 || find_roles(s) < 0 ||
	    fill_settings(s, mode, hostname) < 0)
		return -1;
	find_filters(s);
	return 0;
}

int mail_open(struct mail_session *s, struct ctx *c, enum mail_mode mode,
	      const char *hostname)
{
	if (open_session(s, c, mode, hostname) < 0)
		return -1;
	/* the tables must be there before the load */
	if (mode == MAIL_SETUP && s->directory && mail_dirrole_setup(s) < 0)
		return -1;
	return load_directory(s, 1);
}

int mail_open_without_accounts(struct mail_session *s, struct ctx *c)
{
	return open_session(s, c, MAIL_CHANGE, NULL) < 0 ? -1 : load_directory(s, 0);
}

int mail_load_into(struct mail_session *s, struct directory *out)
{
	return load_from_backend(s, out, 1);
}

int mail_switch_directory(struct mail_session *s, struct module *to,
			  struct directory *held)
{
	s->directory = to;
	s->mail.directory = to ? to->name : CONF_DIRECTORY_FILES;
	if (to && mail_dirrole_setup(s) < 0)
		return -1;
	if (mail_load_into(s, held) < 0)
		return -1;
	if (to)
		mail_dirrole_held(s, held);
	return 0;
}

int mail_reload(struct mail_session *s)
{
	dir_free(&s->dir);
	strv_free(&s->loaded_domains);
	return load_directory(s, 1);
}

static int publish_filters(struct mail_session *s,
			   const struct webstack_directory *view)
{
	const char *msg = NULL;

	for (size_t i = 0; i < s->n_filters; i++) {
		struct mail_filter *f = &s->filters[i];
		int r;

		if (!f->ops.publish)
			continue;
		r = f->ops.publish(state(f->mod), &s->mail, view, &msg);
		if (ctx_op_result(s->c, f->mod, "publish", r, msg) < 0)
			return -1;
	}
	return 0;
}

int mail_publish(struct mail_session *s, int removing)
{
	struct webstack_directory view;
	const char *msg = NULL;
	int r;

	if (s->directory) {
		/* the daemons look the directory up: no maps, no users file */
		dir_view(&s->dir, &view);
		mail_dirrole_diff(s, &view);
		return publish_filters(s, &view);
	}
	dir_view(&s->dir, &view);
	if (removing) {
		/* Postfix reads the compiled maps, which postmap writes after a
		 * commit: commit the mta role's part first, so Postfix refuses
		 * the address at RCPT time before Dovecot forgets it. It keeps
		 * every domain it had until the second commit: a kill between
		 * the two leaves no account in a domain that is gone, only maps
		 * that `mail check --repair` rebuilds, and the command run again
		 * finishes the job. */
		struct webstack_directory first = view;

		first.domains = (const char *const *)s->loaded_domains.v;
		first.n_domains = s->loaded_domains.n;
		r = mta_ops(s)->publish(state(s->mta), &s->mail, &first, &msg);
		if (ctx_op_result(s->c, s->mta, "publish", r, msg) < 0)
			return -1;
		if (!s->c->opt[OPT_DRY_RUN]) {
			if (ctx_commit(s->c) < 0)
				return -1;
			txn_clear(s->c->txn);
		}
	}
	r = imap_ops(s)->publish(state(s->imap), &s->mail, &view, &msg);
	if (ctx_op_result(s->c, s->imap, "publish", r, msg) < 0)
		return -1;
	r = mta_ops(s)->publish(state(s->mta), &s->mail, &view, &msg);
	if (ctx_op_result(s->c, s->mta, "publish", r, msg) < 0)
		return -1;
	return publish_filters(s, &view);
}

int mail_filter_disables(struct mail_session *s)
{
	const char *msg = NULL;
	struct buf list = {0};
	int r = 0;

	for (size_t i = 0; r == 0 && i < s->n_retired; i++) {
		struct mail_filter *f = &s->retired[i];

		log_msg(WEBSTACK_LOG_NOTICE, "%s filter %s: webstack.conf no longer "
			"names it", s->c->opt[OPT_DRY_RUN] ? "would disable" :
			"disabling", f->mod->name);
		r = f->ops.disable(state(f->mod), &s->mail, &msg);
		r = ctx_op_result(s->c, f->mod, "disable", r, msg);
	}
	for (size_t i = 0; i < s->n_filters; i++)
		buf_printf(&list, "%s %s\n", role_get(s->filters[i].mod->desc->role)->name,
			   s->filters[i].mod->name);
	if (r == 0)
		r = txn_stage_file(s->c->txn, &(struct webstack_file){
			.path = MAIL_FILTER_STATE, .data = list.data ? list.data : "",
			.len = list.len, .mode = 0644}, &s->c->err);
	buf_free(&list);
	return r;
}

int mail_filter_setups(struct mail_session *s)
{
	const char *msg = NULL;

	for (size_t i = 0; i < s->n_filters; i++) {
		struct mail_filter *f = &s->filters[i];
		int r = f->ops.setup(state(f->mod), &s->mail, &msg);

		if (ctx_op_result(s->c, f->mod, "setup", r, msg) < 0)
			return -1;
	}
	return 0;
}

/* The hook in the files' commit: ctx_commit() hands txn_commit()
 * s->c->err, where mail_dirrole_apply() puts its error. */
static int apply_at_commit_point(void *arg, struct err *e)
{
	struct mail_session *s = arg;

	(void)e;
	return mail_dirrole_apply(s);
}

int mail_commit(struct mail_session *s)
{
	if (s->directory && s->c->opt[OPT_DRY_RUN]) {
		if (mail_dirrole_apply(s) < 0)	/* prints what it would do */
			return -1;
	} else if (s->directory) {
		/* the database's change once the files are prepared: a full
		 * disk fails their commit before the database is asked */
		struct txn_hook h = {
			.fn = apply_at_commit_point, .arg = s,
			.partial = "the directory's database has the change, but its "
				   "files were left as they were (`webstack mail check "
				   "--repair` makes them)"};

		txn_set_commit_hook(s->c->txn, &h);
	}
	return ctx_commit(s->c);
}

void mail_close(struct mail_session *s)
{
	if (s->c)
		ctx_end(s->c);
	dir_free(&s->dir);
	mail_dirrole_free(s);
	free(s->filters);
	free(s->retired);
	strv_free(&s->milters);
	strv_free(&s->public_addresses);
	strv_free(&s->loaded_domains);
	free(s->hostname);
	memset(s, 0, sizeof(*s));
}

/* ---- the mail store ----------------------------------------------------- */

char *mail_maildir(const struct mail_session *s, const char *domain,
		   const char *local)
{
	return xasprintf("%s/%s/%s", s->mail.mail_root, domain, local);
}

int mail_stage_domain_dir(struct mail_session *s, const char *domain)
{
	char *p = xasprintf("%s/%s", s->mail.mail_root, domain);
	int r = txn_stage_dir(s->c->txn, p, 0700, s->mail.vmail_uid,
			      s->mail.vmail_gid, &s->c->err);

	free(p);
	return r;
}

int mail_stage_store(struct mail_session *s)
{
	/* A directory module's domains may come from another host, which
	 * made their directories there, not here: Dovecot (the vmail user)
	 * makes one at its first delivery or login, in the mail root. */
	int shared = s->directory != NULL;

	if (txn_stage_dir(s->c->txn, s->mail.mail_root, 0755,
			  shared ? s->mail.vmail_uid : 0,
			  shared ? s->mail.vmail_gid : 0, &s->c->err) < 0)
		return -1;
	for (size_t i = 0; i < s->dir.domains.n; i++)
		if (mail_stage_domain_dir(s, s->dir.domains.v[i]) < 0)
			return -1;
	for (size_t i = 0; i < s->dir.n_accounts; i++)
		if (dir_has_domain(&s->dir, s->dir.accounts[i].domain) &&
		    mail_stage_maildir(s, s->dir.accounts[i].domain,
				       s->dir.accounts[i].local) < 0)
			return -1;
	return 0;
}

int mail_stage_maildir(struct mail_session *s, const char *domain,
		       const char *local)
{
	static const char *const subdirs[] = {"", "/new", "/cur", "/tmp"};
	char *md = mail_maildir(s, domain, local);
	int r = mail_stage_domain_dir(s, domain);

	for (size_t i = 0; r == 0 && i < 4; i++) {
		char *p = xasprintf("%s%s", md, subdirs[i]);

		r = txn_stage_dir(s->c->txn, p, 0700, s->mail.vmail_uid,
				  s->mail.vmail_gid, &s->c->err);
		free(p);
	}
	free(md);
	return r;
}
