/* `webstack mail firewall open|close|status`: the TCP ports of the enabled
 * mail services, opened through the module that fills the firewall role.
 *
 * FIREWALL_STATE names the module that opened them. When webstack.conf
 * names another one since (a switch of backend), open and close first have
 * the old module remove its rules, so no backend's rules are left behind. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <webstack/role-firewall.h>

#include "commands.h"
#include "fsutil.h"
#include "log.h"
#include "report.h"

#define FIREWALL_STATE "/var/lib/webstack/firewall"

struct fw {
	struct module *now;		/* the configured module, or NULL */
	struct module *before;		/* the one that opened, if another */
	char opened_by[CTX_NAME_MAX]; /* "" when nothing is open */
	uint16_t ports[WEBSTACK_SVC_COUNT_];
	size_t n_ports;
};

static const struct webstack_firewall_ops *ops(const struct module *m)
{
	return m->desc->role_ops;
}

static void enabled_ports(struct ctx *c, struct fw *f)
{
	for (int s = 0; s < WEBSTACK_SVC_COUNT_; s++)
		if (c->conf.service_enabled[s])
			f->ports[f->n_ports++] =
				(uint16_t)config_service_port((enum webstack_mail_service)s);
}

/* The module named in FIREWALL_STATE, as the transaction (or, without one,
 * the disk) has it; a file that names no module is ignored with a warning. */
static int read_opened_by(struct ctx *c, struct fw *f)
{
	struct buf b = {0};
	struct err e = {0};
	size_t n;
	int r = c->txn ? txn_read(c->txn, FIREWALL_STATE, &b, &c->err)
		       : fs_read(c->root, FIREWALL_STATE, &b, NULL, &e);

	if (r < 0 && c->txn)
		return -1;
	if (r != 0) {
		buf_free(&b);
		return 0;
	}
	n = strcspn(b.data, "\n");
	if (n && n < sizeof(f->opened_by) &&
	    strspn(b.data, "abcdefghijklmnopqrstuvwxyz0123456789_") == n) {
		memcpy(f->opened_by, b.data, n);
		f->opened_by[n] = '\0';
	} else {
		log_msg(WEBSTACK_LOG_WARNING, "%s names no module: ignored",
			FIREWALL_STATE);
	}
	buf_free(&b);
	return 0;
}

/* What a command needs: the configured module always (open, status), or
 * only when no other module opened the ports (close). */
enum need { NEED_NOW, NEED_ANY };

/* Loads the configured module and, with load_before, the one that opened
 * the ports when that is another one (retired). */
static int find_modules(struct ctx *c, struct fw *f, enum need need,
			int load_before)
{
	const char *name = c->conf.role_module[WEBSTACK_ROLE_FIREWALL];

	int retire = load_before && *f->opened_by && strcmp(f->opened_by, name) != 0;

	if (retire && ctx_retire(c, f->opened_by, WEBSTACK_ROLE_FIREWALL) < 0)
		return -1;
	if (ctx_modules(c, 1) < 0)
		return -1;
	f->now = loader_find_role(&c->loader, WEBSTACK_ROLE_FIREWALL);
	if (retire)
		f->before = loader_find(&c->loader, f->opened_by);
	if (!f->now && (need == NEED_NOW || !f->before))
		return err_set(&c->err, EX_CONFIG, "%s: no module fills the firewall "
			       "role: set firewall = \"nftables\" or \"iptables\"",
			       c->config_path);
	return 0;
}

/* Takes the lock, then reads what is open and loads the modules. */
static int begin(struct ctx *c, struct fw *f, enum need need)
{
	if (ctx_config(c) < 0 || ctx_begin(c) < 0 || read_opened_by(c, f) < 0)
		return -1;
	enabled_ports(c, f);
	return find_modules(c, f, need, 1);
}

/* Each op runs before its msg is read: the order in which a call's
 * arguments are evaluated is unspecified. */
static int close_before(struct ctx *c, struct fw *f)
{
	const char *msg = NULL;
	int r;

	if (!f->before)
		return 0;
	log_msg(WEBSTACK_LOG_NOTICE, "the mail ports were opened by module %s: "
		"%s its rules", f->before->name,
		c->opt[OPT_DRY_RUN] ? "would remove" : "removing");
	r = ops(f->before)->close(f->before->state, &msg);
	return ctx_op_result(c, f->before, "close", r, msg);
}

static int finish(struct ctx *c, int r)
{
	if (r == 0)
		r = ctx_commit(c);
	ctx_end(c);
	return r < 0 ? ctx_fail(c) : 0;
}

int cmd_mail_firewall_open(struct ctx *c, int argc, char **argv)
{
	struct fw f = {0};
	const char *msg = NULL;
	char *state;
	int r;

	(void)argc;
	(void)argv;
	r = begin(c, &f, NEED_NOW);
	if (r == 0)
		r = close_before(c, &f);
	if (r == 0) {
		r = ops(f.now)->open(f.now->state, f.ports, f.n_ports, &msg);
		r = ctx_op_result(c, f.now, "open", r, msg);
	}
	if (r == 0) {
		state = xasprintf("%s\n", f.now->name);
		r = txn_stage_file(c->txn, &(struct webstack_file){
			.path = FIREWALL_STATE, .data = state, .len = strlen(state),
			.mode = 0644}, &c->err);
		free(state);
	}
	return finish(c, r);
}

int cmd_mail_firewall_close(struct ctx *c, int argc, char **argv)
{
	struct fw f = {0};
	const char *msg = NULL;
	int r;

	(void)argc;
	(void)argv;
	r = begin(c, &f, NEED_ANY);
	if (r == 0)
		r = close_before(c, &f);
	if (r == 0 && f.now) {
		r = ops(f.now)->close(f.now->state, &msg);
		r = ctx_op_result(c, f.now, "close", r, msg);
	}
	if (r == 0 && *f.opened_by)
		r = txn_stage_remove(c->txn, FIREWALL_STATE, &c->err);
	return finish(c, r);
}

int cmd_mail_firewall_status(struct ctx *c, int argc, char **argv)
{
	struct fw f = {0};
	struct report rep;
	const char *msg = NULL;
	int r;

	(void)argc;
	(void)argv;
	report_init(&rep);
	r = ctx_config(c) < 0 || read_opened_by(c, &f) < 0 ? -1 : 0;
	if (r == 0) {
		enabled_ports(c, &f);
		r = find_modules(c, &f, NEED_NOW, 0);
	}
	if (r == 0 && *f.opened_by && strcmp(f.opened_by, f.now->name) != 0) {
		char *v = xasprintf("the rules in place are module %s's, not %s's: "
				    "run `webstack mail firewall open`",
				    f.opened_by, f.now->name);

		report_add(&rep, "backend", v, 0);
		free(v);
	}
	if (r == 0) {
		r = ops(f.now)->status(f.now->state, f.ports, f.n_ports, &rep.sink,
				       &msg);
		r = ctx_op_result(c, f.now, "status", r, msg);
	}
	if (r == 0)
		r = report_print(c, &rep) ? 0 : EX_UNAVAILABLE;
	report_free(&rep);
	return r < 0 ? ctx_fail(c) : r;
}
