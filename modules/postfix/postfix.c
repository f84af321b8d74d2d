#include "config.h"

/* The postfix module: fills the mta role with Postfix 3.x. It edits the
 * parameters and services it needs in main.cf and master.cf, owns the map
 * sources in /etc/postfix (vdomains, vmailbox, virtual, sender_login) and
 * compiles them with postmap. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webstack/module.h>
#include <webstack/role-mta.h>

#include "postfix.h"

static const char *const start_argv[] = {PF_POSTFIX, "start", NULL};
static const char *const reload_argv[] = {PF_POSTFIX, "reload", NULL};
static const char *const stop_argv[] = {PF_POSTFIX, "stop", NULL};
static const char *const status_argv[] = {PF_POSTFIX, "status", NULL};

const struct webstack_service pf_service = {
	.name = "postfix",
	.unit = "postfix.service",
	.start = start_argv,
	.reload = reload_argv,
	.stop = stop_argv,
	.status = status_argv,
};

int pf_fail(struct pf_state *st, const char **err_r, int errnum, const char *fmt, ...)
{
	char tmp[sizeof(st->err)];
	va_list ap;

	/* fmt's arguments may point into st->err */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(st->err, tmp, sizeof(tmp));
	*err_r = st->err;
	return -errnum;
}

/* ---- configuration ------------------------------------------------------ */

static cfg_opt_t postfix_opts[] = {
	CFG_STR("map_type", "lmdb", CFGF_NONE),
	CFG_END(),
};

static int postfix_conf_check(const struct webstack_host *h, cfg_t *sec,
			      const char **err_r)
{
	const char *t = sec ? cfg_getstr(sec, "map_type") : "lmdb";

	(void)h;
	if (strcmp(t, "lmdb") != 0 && strcmp(t, "hash") != 0) {
		*err_r = "map_type must be \"lmdb\" (the default) or \"hash\"";
		return -EINVAL;
	}
	return 0;
}

static int postfix_init(const struct webstack_host *h, cfg_t *sec, void **state_r,
			const char **err_r)
{
	struct pf_state *st = calloc(1, sizeof(*st));

	if (!st) {
		*err_r = "out of memory";
		return -ENOMEM;
	}
	st->h = h;
	st->map_type = sec ? cfg_getstr(sec, "map_type") : "lmdb";
	*state_r = st;
	return 0;
}

static void postfix_fini(void *state)
{
	free(state);
}

/* ---- setup -------------------------------------------------------------- */

/* smtpd_forbid_bare_newline exists in Postfix >= 3.9 and in the patch
 * releases that backported it (Debian 12's 3.7.11 has it). */
static int has_bare_newline(struct pf_state *st)
{
	const char *argv[] = {PF_POSTCONF, "-d", "smtpd_forbid_bare_newline", NULL};
	const char *msg = NULL;
	char *out = NULL;
	int status = 1, has;

	if (st->h->run(st->h, argv, NULL, 0, &out, &status, &msg) < 0)
		return 0;
	has = status == 0 && out && strncmp(out, "smtpd_forbid_bare_newline =", 27) == 0;
	free(out);
	return has;
}

/* Stages path with the edited text when it differs; *changed_r says so. */
static int stage_edit(struct pf_state *st, const char *path, struct mbuf *b,
		      const char *old, size_t oldlen, int *changed_r,
		      const char **err_r)
{
	if (mbuf_failed(b))
		return pf_fail(st, err_r, ENOMEM, "out of memory");
	if (b->len == oldlen && memcmp(b->s, old, oldlen) == 0)
		return 0;
	*changed_r = 1;
	return st->h->stage_file(st->h, &(struct webstack_file){
		.path = path, .data = b->s, .len = b->len, .mode = 0644}, err_r);
}

static int read_cf(struct pf_state *st, const char *path, char **text, size_t *len,
		   const char **err_r)
{
	int r = st->h->read_file(st->h, path, text, len, err_r);

	if (r == -ENOENT)
		return pf_fail(st, err_r, ENOENT, "%s is missing: is Postfix installed "
			       "(Debian: apt-get install postfix postfix-lmdb)?", path);
	return r;
}

/* Adapters so one function reads, edits and stages both files. */
typedef void cf_editor(const char *text, size_t len, const void *items, size_t n,
		       struct mbuf *out);

static void edit_main_cf(const char *text, size_t len, const void *items, size_t n,
			 struct mbuf *out)
{
	pf_edit_main(text, len, items, n, out);
}

static void edit_master_cf(const char *text, size_t len, const void *items,
			   size_t n, struct mbuf *out)
{
	pf_edit_master(text, len, items, n, out);
}

static int edit_cf(struct pf_state *st, const char *path, cf_editor *edit,
		   const void *items, size_t n, int *changed, const char **err_r)
{
	struct mbuf b = {0};
	char *text = NULL;
	size_t len = 0;
	int r = read_cf(st, path, &text, &len, err_r);

	if (r == 0) {
		edit(text, len, items, n, &b);
		r = stage_edit(st, path, &b, text, len, changed, err_r);
	}
	free(text);
	mbuf_free(&b);
	return r;
}

static int edit_both(struct pf_state *st, const struct webstack_mail *m,
		     int *changed, const char **err_r)
{
	size_t np = 0, ns = 0;
	struct pf_param *p = pf_main_params(st, m, has_bare_newline(st), &np);
	struct pf_service_entry *s = pf_master_services(st, m, &ns);
	int r;

	if (!p || !s)
		r = pf_fail(st, err_r, ENOMEM, "out of memory");
	else
		r = edit_cf(st, PF_MAIN_CF, edit_main_cf, p, np, changed, err_r);
	if (r == 0)
		r = edit_cf(st, PF_MASTER_CF, edit_master_cf, s, ns, changed, err_r);
	if (p)
		pf_params_free(p, np);
	free(p);
	pf_services_free(s, ns);
	return r;
}

static int postfix_setup(void *state, const struct webstack_mail *m,
			 const char **err_r)
{
	struct pf_state *st = state;
	const char *msg = NULL;
	int changed = 0, running, r;

	snprintf(st->directory, sizeof(st->directory), "%s",
		 m->directory && strcmp(m->directory, "files") != 0 ? m->directory : "");
	r = edit_both(st, m, &changed, err_r);
	if (r < 0)
		return r;
	running = st->h->service(st->h, &pf_service, WEBSTACK_SERVICE_STATUS, &msg) == 0;
	if (!running)
		return st->h->defer_service(st->h, &pf_service, WEBSTACK_SERVICE_START,
					    err_r);
	if (changed)
		return st->h->defer_service(st->h, &pf_service, WEBSTACK_SERVICE_RELOAD,
					    err_r);
	return 0;
}

/* ---- the role ----------------------------------------------------------- */

static int postfix_load(void *state, const struct webstack_mail *m,
			struct webstack_directory_sink *sink, const char **err_r)
{
	(void)m;
	return pf_maps_load(state, sink, err_r);
}

static int postfix_publish(void *state, const struct webstack_mail *m,
			   const struct webstack_directory *dir, const char **err_r)
{
	return pf_maps_publish(state, m, dir, err_r);
}

static int postfix_add_account(void *state, const struct webstack_mail *m,
			       const struct webstack_account *a, const char **err_r)
{
	(void)m;
	return pf_maps_add_account(state, a, err_r);
}

static int postfix_status(void *state, const struct webstack_mail *m,
			  struct webstack_report *r, const char **err_r)
{
	return pf_status(state, m, r, err_r);
}

static const struct webstack_mta_ops postfix_ops = {
	.setup = postfix_setup,
	.load = postfix_load,
	.publish = postfix_publish,
	.status = postfix_status,
	.add_account = postfix_add_account,
};

WEBSTACK_MODULE_DEFINE(postfix,
	.version = PACKAGE_VERSION,
	.summary = "Postfix: SMTP 25, submission 587 and 465, lmdb maps",
	.role = WEBSTACK_ROLE_MTA,
	.cfg_opts = postfix_opts,
	.conf_check = postfix_conf_check,
	.init = postfix_init,
	.fini = postfix_fini,
	WEBSTACK_ROLE_OPS(&postfix_ops));
