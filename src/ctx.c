#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctx.h"
#include "host.h"
#include "log.h"

int ctx_fail(struct ctx *c)
{
	log_msg(WEBSTACK_LOG_ERR, "%s", c->err.msg);
	return c->err.code ? c->err.code : EX_SOFTWARE;
}

/* Module ops return -errno; the admin gets a sysexits code that says what
 * kind of failure it was. */
static int errno_exit(int neg)
{
	switch (-neg) {
	case EINVAL:
		return EX_DATAERR;
	case ENOENT:
		return EX_NOINPUT;
	case EACCES:
	case EPERM:
		return EX_NOPERM;
	case EIO:
		return EX_IOERR;
	case ESRCH:
	case EOPNOTSUPP:
	case ECONNREFUSED:
		return EX_UNAVAILABLE;
	/* the directory role's apply(): what another host did meanwhile */
	case EEXIST:
		return EX_CANTCREAT;
	case ENXIO:
		return EX_NOUSER;
	case ENOTEMPTY:
		return EX_DATAERR;
	case EAGAIN:
		return EX_TEMPFAIL;
	default:
		return EX_SOFTWARE;
	}
}

int ctx_op_result(struct ctx *c, const struct module *m, const char *op, int r,
		  const char *msg)
{
	if (r >= 0)
		return 0;
	return err_set(&c->err, errno_exit(r), "module %s: %s: %s", m->name, op,
		       msg ? msg : "failed without a message");
}

int ctx_retire(struct ctx *c, const char *name, enum webstack_role role)
{
	size_t n = strlen(name);

	if (!n || n >= CTX_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return err_set(&c->err, EX_DATAERR, "'%s' is not a module name", name);
	if (c->n_retired == CTX_MAX_RETIRED)
		return err_set(&c->err, EX_SOFTWARE, "more than %d retired modules",
			       CTX_MAX_RETIRED);
	memcpy(c->retired[c->n_retired].name, name, n + 1);
	c->retired[c->n_retired++].role = role;
	return 0;
}

int ctx_config(struct ctx *c)
{
	if (c->conf_loaded)
		return 0;
	if (!c->config_path)
		c->config_path = c->opt[OPT_CONFIG] ?
			xstrdup(c->opt[OPT_CONFIG]) :
			xasprintf("%s%s/webstack/webstack.conf", c->root, SYSCONFDIR);
	if (config_load(&c->conf, c->config_path, c->opt[OPT_CONFIG] != NULL,
			&c->err) < 0)
		return -1;
	c->conf_loaded = 1;
	return 0;
}

int ctx_loader(struct ctx *c)
{
	const char *dirs[4];
	size_t n = 0;

	if (c->loader_ready)
		return 0;
	if (ctx_config(c) < 0)
		return -1;
	if (c->opt[OPT_MODULE_DIR])
		dirs[n++] = c->opt[OPT_MODULE_DIR];
	if (*c->conf.module_dir)
		dirs[n++] = c->conf.module_dir;
	dirs[n++] = WEBSTACK_MODULEDIR;
	dirs[n] = NULL;
	if (loader_init(&c->loader, dirs, &c->err) < 0)
		return -1;
	c->loader_ready = 1;
	return 0;
}

const struct webstack_host *ctx_host(struct ctx *c, struct module *m)
{
	for (size_t i = 0; i < c->loader.n_mods; i++)
		if (c->loader.mods[i] == m)
			return &c->hosts[i]->host;
	return NULL;
}

static const struct webstack_host *host_for(void *arg, struct module *m)
{
	return ctx_host(arg, m);
}

int ctx_modules(struct ctx *c, int init)
{
	if (c->modules_ready)
		return 0;
	if (ctx_loader(c) < 0 || config_load_modules(&c->conf, &c->loader, &c->err) < 0)
		return -1;
	for (size_t i = 0; i < c->n_retired; i++)
		if (loader_load_retired(&c->loader, c->retired[i].name,
					c->retired[i].role, NULL, &c->err) < 0)
			return -1;
	c->hosts = xmalloc((c->loader.n_mods + 1) * sizeof(*c->hosts));
	for (size_t i = 0; i < c->loader.n_mods; i++) {
		c->hosts[i] = xmalloc(sizeof(struct host_priv));
		host_init(c->hosts[i], c, c->loader.mods[i]->name);
	}
	if (config_parse_modules(&c->conf, &c->loader, host_for, c, &c->err) < 0)
		return -1;
	for (size_t i = 0; init && i < c->loader.n_mods; i++) {
		struct module *m = c->loader.mods[i];
		const char *msg = NULL;

		if (!m->desc->init)
			continue;
		if (m->desc->init(&c->hosts[i]->host,
				  config_module_section(&c->conf, m->name), &m->state,
				  &msg) < 0)
			return err_set(&c->err, EX_CONFIG, "module %s: %s", m->name,
				       msg ? msg : "cannot initialise");
		m->initialized = 1;
	}
	c->modules_ready = 1;
	return 0;
}

int ctx_begin(struct ctx *c)
{
	struct txn_options o = {.root = c->root};

	if (ctx_config(c) < 0)
		return -1;
	o.lock_file = c->conf.lock_file;
	o.lock_timeout = c->conf.lock_timeout;
	return txn_begin(&c->txn, &o, &c->err);
}

int ctx_commit(struct ctx *c)
{
	if (c->opt[OPT_DRY_RUN])
		return txn_diff(c->txn, stdout, &c->err) < 0 ? -1 : 0;
	return txn_commit(c->txn, &c->err);
}

void ctx_end(struct ctx *c)
{
	if (c->txn)
		txn_take_background(c->txn, &c->bg);
	txn_end(c->txn);
	c->txn = NULL;
}

/* Nobody waits for detached work: it waits for the lock longer than a
 * command does, rather than give up and leave its part to the next one. */
#define BACKGROUND_LOCK_TIMEOUT 600

int ctx_run_background(struct ctx *c)
{
	struct txn_options o = {.root = c->root};
	int detach = !c->opt[OPT_WAIT];

	if (c->bg.n == 0)
		return 0;
	o.lock_file = c->conf.lock_file;
	o.lock_timeout = detach && c->conf.lock_timeout < BACKGROUND_LOCK_TIMEOUT ?
			 BACKGROUND_LOCK_TIMEOUT : c->conf.lock_timeout;
	return background_run(&c->bg, &o, detach, &c->err);
}

void ctx_free(struct ctx *c)
{
	txn_end(c->txn);
	background_release(&c->bg);
	if (c->loader_ready)
		loader_free(&c->loader);
	for (size_t i = 0; c->hosts && i < c->loader.n_mods; i++)
		free(c->hosts[i]);
	free(c->hosts);
	if (c->conf_loaded)
		config_free(&c->conf);
	free(c->config_path);
	free(c->root_buf);
}
