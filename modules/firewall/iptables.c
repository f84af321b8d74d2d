#include "config.h"

/* The module "iptables" (role firewall): opens the mail ports with
 * iptables and ip6tables. It owns the chain WEBSTACK in the filter table of
 * each family, one jump to it appended to INPUT (so the admin's earlier
 * INPUT rules, blocklists, still apply first), the chain files
 * /etc/webstack/firewall.v4 and .v6, and its lines in iptables-persistent's
 * /etc/iptables/rules.v4 and .v6 when those exist. Every call passes -w:
 * without it, a call that meets another's xtables lock fails. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webstack/module.h>
#include <webstack/role-firewall.h>

#include "ipt_rules.h"
#include "modhost.h"

#define NFT "/usr/sbin/nft"
#define OPEN_HINT "run `webstack mail firewall open`"

struct family {
	const char *name;	/* for status: "ipv4" */
	const char *tool;
	const char *restore;
	const char *chain_file;	/* ours: loaded with --noflush */
	const char *saved;	/* iptables-persistent's, loaded at boot */
};

#define N_FAMILIES 2
static const struct family families[N_FAMILIES] = {
	{"ipv4", "/usr/sbin/iptables", "/usr/sbin/iptables-restore",
	 "/etc/webstack/firewall.v4", "/etc/iptables/rules.v4"},
	{"ipv6", "/usr/sbin/ip6tables", "/usr/sbin/ip6tables-restore",
	 "/etc/webstack/firewall.v6", "/etc/iptables/rules.v6"},
};

struct ipt {
	const struct webstack_host *h;
	struct ws_msg msg;
};

static int iptables_init(const struct webstack_host *h, cfg_t *sec,
			 void **state_r, const char **err_r)
{
	struct ipt *t = calloc(1, sizeof(*t));

	(void)sec;
	if (!t) {
		*err_r = "out of memory";
		return -ENOMEM;
	}
	t->h = h;
	*state_r = t;
	return 0;
}

static void iptables_fini(void *state)
{
	free(state);
}

/* ---- running the tools -------------------------------------------------- */

/* Runs argv now with input on stdin; *out_r gets the output. Any failure
 * is -EOPNOTSUPP: without the tool or the kernel's netfilter this module
 * can do nothing. */
static int run_tool(struct ipt *t, const char *const argv[], const char *input,
		    char **out_r, const char **err_r)
{
	const char *msg = NULL, *first;
	char *out = NULL;
	char why[512];
	int status = 0;
	int r = t->h->run(t->h, argv, input, input ? strlen(input) : 0, &out,
			  &status, &msg);

	if (r == 0 && status == 0) {
		*out_r = out;
		return 0;
	}
	first = out ? out + strspn(out, " \t\n") : "";
	if (r < 0)
		snprintf(why, sizeof(why), "%s", msg);
	else if (status == 127)
		snprintf(why, sizeof(why), "not found");
	else if (*first)
		snprintf(why, sizeof(why), "%.*s", (int)strcspn(first, "\n"), first);
	else
		snprintf(why, sizeof(why), "exit status %d", status);
	free(out);
	return ws_fail(&t->msg, err_r, -EOPNOTSUPP,
		       "%s failed: %s; is the iptables package installed and the "
		       "kernel's netfilter available?", argv[0], why);
}

/* The family's filter table as it runs now. */
static int list_live(struct ipt *t, const struct family *fam,
		     struct ipt_live *l, const char **err_r)
{
	const char *const argv[] = {fam->tool, "-w", "-S", NULL};
	char *out = NULL;
	int r = run_tool(t, argv, NULL, &out, err_r);

	if (r == 0 && ipt_parse_live(out, l) < 0) {
		ipt_live_free(l);
		r = ws_fail(&t->msg, err_r, -ENOMEM, "out of memory");
	}
	free(out);
	return r;
}

/* Whether the kernel takes the chain file, before anything is staged. */
static int test_restore(struct ipt *t, const struct family *fam,
			const char *chain, const char **err_r)
{
	const char *const argv[] = {fam->restore, "-w", "--test", "--noflush", NULL};
	char *out = NULL;
	int r = run_tool(t, argv, chain, &out, err_r);

	free(out);
	return r;
}

static int defer(struct ipt *t, const char *const argv[], const char **err_r)
{
	const char *msg = NULL;
	int r = t->h->defer_run(t->h, argv, &msg);

	if (r < 0)
		return ws_fail(&t->msg, err_r, r, "cannot queue %s: %s", argv[0], msg);
	return 0;
}

/* Queues the load of the chain file (the real path: under --root too). */
static int defer_restore(struct ipt *t, const struct family *fam,
			 const char **err_r)
{
	char *file = t->h->path(t->h, fam->chain_file);
	int r;

	if (!file)
		return ws_fail(&t->msg, err_r, -ENOMEM, "out of memory");
	r = defer(t, (const char *const[]){fam->restore, "-w", "--noflush", file,
					   NULL}, err_r);
	free(file);
	return r;
}

/* Queues n deletions of the jump (each takes out the first one). */
static int defer_unjumps(struct ipt *t, const struct family *fam, unsigned n,
			 const char **err_r)
{
	const char *const unjump[] = {fam->tool, "-w", "-D", "INPUT", "-j",
				      IPT_CHAIN, NULL};
	int r = 0;

	for (unsigned i = 0; r == 0 && i < n; i++)
		r = defer(t, unjump, err_r);
	return r;
}

/* Queues what makes the live table hold exactly our chain with rules and
 * one jump to it: nothing when it does already. */
static int apply(struct ipt *t, const struct family *fam,
		 const struct ipt_live *l, const char *rules, const char **err_r)
{
	const char *const jump[] = {fam->tool, "-w", "-A", "INPUT", "-j",
				    IPT_CHAIN, NULL};
	int r = 0;

	if (!l->has_chain || strcmp(l->rules.s, rules) != 0)
		r = defer_restore(t, fam, err_r);
	if (r == 0 && !l->jumps)
		r = defer(t, jump, err_r);
	if (r == 0 && l->jumps > 1)
		r = defer_unjumps(t, fam, l->jumps - 1, err_r);
	return r;
}

/* Queues the removal of every jump and of the chain, where they exist. */
static int unapply(struct ipt *t, const struct family *fam,
		   const struct ipt_live *l, const char **err_r)
{
	const char *const flush[] = {fam->tool, "-w", "-F", IPT_CHAIN, NULL};
	const char *const drop[] = {fam->tool, "-w", "-X", IPT_CHAIN, NULL};
	int r = defer_unjumps(t, fam, l->jumps, err_r);

	if (r == 0 && l->has_chain)
		r = defer(t, flush, err_r);
	if (r == 0 && l->has_chain)
		r = defer(t, drop, err_r);
	return r;
}

/* ---- files -------------------------------------------------------------- */

static int stage_text(struct ipt *t, const char *path, mode_t mode,
		      const char *text, const char *old, size_t old_len,
		      const char **err_r)
{
	struct webstack_file f = {.path = path, .data = text, .len = strlen(text),
				  .mode = mode};
	int changed;

	return ws_stage_changed(t->h, &t->msg, &f, old, old_len, &changed, err_r);
}

static int stage_chain_file(struct ipt *t, const struct family *fam,
			    const char *chain, const char **err_r)
{
	char *old = NULL;
	size_t len = 0;
	int r = ws_read_current(t->h, &t->msg, fam->chain_file, &old, &len, err_r);

	if (r == 0)
		r = stage_text(t, fam->chain_file, 0644, chain, old, len, err_r);
	free(old);
	return r;
}

static int remove_chain_file(struct ipt *t, const struct family *fam,
			     const char **err_r)
{
	const char *msg = NULL;
	char *old = NULL;
	size_t len = 0;
	int r = ws_read_current(t->h, &t->msg, fam->chain_file, &old, &len, err_r);

	if (r == 0 && old && (r = t->h->stage_remove(t->h, fam->chain_file, &msg)) < 0)
		r = ws_fail(&t->msg, err_r, r, "cannot remove %s: %s",
			    fam->chain_file, msg);
	free(old);
	return r;
}

/* The saved rules of iptables-persistent (*saved_r NULL when the file
 * does not exist), and in *edited_r the text with rules put in (rules
 * NULL: taken out). */
static int edit_saved(struct ipt *t, const struct family *fam, const char *rules,
		      char **saved_r, size_t *len_r, struct mbuf *edited,
		      const char **err_r)
{
	int r = ws_read_current(t->h, &t->msg, fam->saved, saved_r, len_r, err_r);

	if (r < 0 || !*saved_r)
		return r;
	ipt_edit_saved(edited, *saved_r, *len_r, rules);
	mbuf_puts(edited, "");	/* never NULL */
	if (mbuf_failed(edited))
		return ws_fail(&t->msg, err_r, -ENOMEM, "out of memory");
	return 0;
}

/* netfilter-persistent saves its files 0640 (and chmods them so on every
 * save), so that is the mode they keep. */
static int stage_saved(struct ipt *t, const struct family *fam,
		       const char *rules, const char **err_r)
{
	struct mbuf edited = {0};
	char *saved = NULL;
	size_t len = 0;
	int r = edit_saved(t, fam, rules, &saved, &len, &edited, err_r);

	if (r == 0 && saved)
		r = stage_text(t, fam->saved, 0640, edited.s, saved, len, err_r);
	free(saved);
	mbuf_free(&edited);
	return r;
}

/* ---- the ops ------------------------------------------------------------ */

static int render_rules(struct ipt *t, const uint16_t *ports, size_t n_ports,
			struct mbuf *rules, const char **err_r)
{
	ipt_render_rules(rules, ports, n_ports);
	mbuf_puts(rules, "");	/* never NULL */
	if (mbuf_failed(rules))
		return ws_fail(&t->msg, err_r, -ENOMEM, "out of memory");
	return 0;
}

static int iptables_open(void *state, const uint16_t *ports, size_t n_ports,
			 const char **err_r)
{
	struct ipt *t = state;
	struct mbuf rules = {0}, chain = {0};
	struct ipt_live live[N_FAMILIES] = {0};
	int r = render_rules(t, ports, n_ports, &rules, err_r);

	if (r == 0) {
		ipt_render_chain(&chain, rules.s);
		if (mbuf_failed(&chain))
			r = ws_fail(&t->msg, err_r, -ENOMEM, "out of memory");
	}
	/* everything that can fail for want of the tools, before any change */
	for (size_t i = 0; r == 0 && i < N_FAMILIES; i++) {
		r = test_restore(t, &families[i], chain.s, err_r);
		if (r == 0)
			r = list_live(t, &families[i], &live[i], err_r);
	}
	for (size_t i = 0; r == 0 && i < N_FAMILIES; i++) {
		r = stage_chain_file(t, &families[i], chain.s, err_r);
		if (r == 0)
			r = apply(t, &families[i], &live[i], rules.s, err_r);
		if (r == 0)
			r = stage_saved(t, &families[i], rules.s, err_r);
	}
	for (size_t i = 0; i < N_FAMILIES; i++)
		ipt_live_free(&live[i]);
	mbuf_free(&rules);
	mbuf_free(&chain);
	return r;
}

static int iptables_close(void *state, const char **err_r)
{
	struct ipt *t = state;
	struct ipt_live live[N_FAMILIES] = {0};
	int r = 0;

	for (size_t i = 0; r == 0 && i < N_FAMILIES; i++)
		r = list_live(t, &families[i], &live[i], err_r);
	for (size_t i = 0; r == 0 && i < N_FAMILIES; i++) {
		r = unapply(t, &families[i], &live[i], err_r);
		if (r == 0)
			r = remove_chain_file(t, &families[i], err_r);
		if (r == 0)
			r = stage_saved(t, &families[i], NULL, err_r);
	}
	for (size_t i = 0; i < N_FAMILIES; i++)
		ipt_live_free(&live[i]);
	return r;
}

static void report_ports(const struct family *fam, const struct ipt_live *l,
			 const uint16_t *ports, size_t n_ports,
			 struct webstack_report *rep)
{
	char check[64], value[256];

	for (size_t i = 0; i < n_ports; i++) {
		int open = l->jumps && ipt_rules_have_port(l->rules.s, ports[i]);

		snprintf(check, sizeof(check), "%s tcp/%u", fam->name,
			 (unsigned)ports[i]);
		snprintf(value, sizeof(value), "not open%s (" OPEN_HINT ")",
			 l->policy_drop ? ", and the INPUT policy drops it" : "");
		rep->item(rep, check, open ? "open" : value, open);
	}
	if (*l->blocker) {
		snprintf(check, sizeof(check), "%s INPUT", fam->name);
		snprintf(value, sizeof(value), "`%s` comes before the jump to "
			 IPT_CHAIN " and blocks every port", l->blocker);
		rep->item(rep, check, value, 0);
	}
}

static void report_saved(struct ipt *t, const struct family *fam,
			 const char *rules, struct webstack_report *rep)
{
	struct mbuf edited = {0};
	char check[64], value[256];
	const char *msg = NULL;
	char *saved = NULL;
	size_t len = 0;
	int ok = 1;

	snprintf(check, sizeof(check), "%s persistence", fam->name);
	if (edit_saved(t, fam, rules, &saved, &len, &edited, &msg) < 0) {
		snprintf(value, sizeof(value), "%s", msg);
		ok = 0;
	} else if (!saved) {
		snprintf(value, sizeof(value), "not persistent: install "
			 "iptables-persistent");
	} else if (edited.len == len && memcmp(edited.s, saved, len) == 0) {
		snprintf(value, sizeof(value), "saved in %s", fam->saved);
	} else {
		snprintf(value, sizeof(value), "%s lacks webstack's rules: "
			 OPEN_HINT, fam->saved);
		ok = 0;
	}
	rep->item(rep, check, value, ok);
	free(saved);
	mbuf_free(&edited);
}

/* Native nftables tables drop what iptables accepts when their own input
 * chain's policy is drop; without nft there are none to find. */
static void report_nft(struct ipt *t, struct webstack_report *rep)
{
	const char *const argv[] = {NFT, "list", "ruleset", NULL};
	struct mbuf tables = {0};
	const char *msg = NULL;
	char *out = NULL, *value = NULL;
	int status = 0;

	if (t->h->run(t->h, argv, NULL, 0, &out, &status, &msg) == 0 && status == 0)
		ipt_nft_drop_tables(&tables, out);
	if (tables.len && asprintf(&value, "table %s drops input by policy; the "
				   "iptables backend does not manage it and its "
				   "rules may block the mail ports", tables.s) >= 0)
		rep->item(rep, "nftables", value, 0);
	free(value);
	free(out);
	mbuf_free(&tables);
}

static int iptables_status(void *state, const uint16_t *ports, size_t n_ports,
			   struct webstack_report *rep, const char **err_r)
{
	struct ipt *t = state;
	struct mbuf rules = {0};
	int r = render_rules(t, ports, n_ports, &rules, err_r);

	for (size_t i = 0; r == 0 && i < N_FAMILIES; i++) {
		struct ipt_live l;

		r = list_live(t, &families[i], &l, err_r);
		if (r < 0)
			break;
		report_ports(&families[i], &l, ports, n_ports, rep);
		report_saved(t, &families[i], rules.s, rep);
		ipt_live_free(&l);
	}
	if (r == 0)
		report_nft(t, rep);
	mbuf_free(&rules);
	return r;
}

static const struct webstack_firewall_ops ops = {
	.open = iptables_open,
	.close = iptables_close,
	.status = iptables_status,
};

WEBSTACK_MODULE_DEFINE(iptables, .version = PACKAGE_VERSION,
		       .summary = "iptables and ip6tables: the mail ports in "
				  "chain WEBSTACK, saved for iptables-persistent",
		       .role = WEBSTACK_ROLE_FIREWALL, .init = iptables_init,
		       .fini = iptables_fini, WEBSTACK_ROLE_OPS(&ops));
