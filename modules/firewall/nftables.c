#include "config.h"

/* The module "nftables" (role firewall): opens the mail ports with nft(8).
 * What it owns and why: nft_rules.h. The running kernel gets one `nft`
 * batch, applied atomically after the commit; the next boot gets
 * /etc/webstack/firewall.nft through an include line in /etc/nftables.conf
 * (loaded by Debian's nftables.service when it is enabled). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <webstack/module.h>
#include <webstack/role-firewall.h>

#include "modhost.h"
#include "nft_rules.h"

#define NFT "/usr/sbin/nft"
#define BOOT_FILE "/etc/webstack/firewall.nft"
#define NFT_CONF "/etc/nftables.conf"
#define NFT_SERVICE_LINK "/etc/systemd/system/sysinit.target.wants/nftables.service"

struct nftm {
	const struct webstack_host *h;
	struct ws_msg msg;
};

/* Runs nft with args; a missing nft or a failure is -EOPNOTSUPP naming
 * what to do, having changed nothing. */
static int nft_run(struct nftm *m, const char *const argv[], char **out_r,
		   const char **err_r)
{
	const char *msg = NULL;
	char *out = NULL;
	int status = -1, r = m->h->run(m->h, argv, NULL, 0, &out, &status, &msg);

	if (r < 0 || status == 126 || status == 127) {
		free(out);
		return ws_fail(&m->msg, err_r, -EOPNOTSUPP, "cannot run " NFT ": %s: "
			       "is nftables installed (Debian: apt-get install nftables)?",
			       r < 0 ? msg : "not found");
	}
	if (status != 0) {
		r = ws_fail(&m->msg, err_r, -EOPNOTSUPP, NFT " %s failed (exit %d): %s"
			    "; does this kernel have nf_tables?", argv[1], status,
			    out ? out : "");
		free(out);
		return r;
	}
	if (out_r)
		*out_r = out;
	else
		free(out);
	return 0;
}

static int list_ruleset(struct nftm *m, struct nft_ruleset *rs, const char **err_r)
{
	static const char *const argv[] = {NFT, "-a", "list", "ruleset", NULL};
	char *out = NULL;
	int r = nft_run(m, argv, &out, err_r);

	if (r == 0 && nft_parse(out, rs) < 0)
		r = ws_fail(&m->msg, err_r, -EIO, "cannot make sense of `nft -a list "
			    "ruleset`: is this nft 0.9 or newer?");
	free(out);
	return r;
}

/* nft -c: the kernel checks the batch and applies nothing. */
static int check_script(struct nftm *m, const char *script, const char **err_r)
{
	const char *argv[] = {NFT, "-c", script, NULL};

	return nft_run(m, argv, NULL, err_r);
}

/* The mode and owner path has on disk, so an edit keeps them (Debian's
 * nftables.conf is an executable script, 0755). */
static void keep_mode(struct nftm *m, struct webstack_file *f)
{
	char *real = m->h->path(m->h, f->path);
	struct stat st;

	if (real && stat(real, &st) == 0) {
		f->mode = st.st_mode & 07777;
		f->uid = st.st_uid;
		f->gid = st.st_gid;
	}
	free(real);
}

/* The boot file and the include line: both written (add), or both gone. */
static int persist(struct nftm *m, const struct nft_ruleset *rs,
		   const uint16_t *ports, size_t n, int add, const char **err_r)
{
	struct webstack_file f = {.path = NFT_CONF, .mode = 0644};
	struct mbuf b = {0};
	char *conf = NULL, *old = NULL;
	size_t conf_len = 0, old_len = 0;
	int changed, r;

	r = ws_read_current(m->h, &m->msg, NFT_CONF, &conf, &conf_len, err_r);
	if (r == 0)
		r = ws_read_current(m->h, &m->msg, BOOT_FILE, &old, &old_len, err_r);
	if (r == 0 && add && conf) {
		nft_boot_file(&b, rs, ports, n);
		r = mbuf_failed(&b) ? ws_fail(&m->msg, err_r, -ENOMEM, "out of memory")
				    : ws_stage_changed(m->h, &m->msg, &(struct webstack_file){
					      .path = BOOT_FILE, .data = b.s, .len = b.len,
					      .mode = 0644}, old, old_len, &changed, err_r);
		mbuf_free(&b);
	} else if (r == 0 && !add && old) {
		const char *msg = NULL;

		r = m->h->stage_remove(m->h, BOOT_FILE, &msg);
		if (r < 0)
			r = ws_fail(&m->msg, err_r, r, "%s", msg);
	}
	if (r == 0 && conf) {
		keep_mode(m, &f);
		nft_edit_conf(&b, conf, conf_len, BOOT_FILE, add);
		f.data = b.s;
		f.len = b.len;
		r = mbuf_failed(&b) ? ws_fail(&m->msg, err_r, -ENOMEM, "out of memory")
				    : ws_stage_changed(m->h, &m->msg, &f, conf, conf_len,
						       &changed, err_r);
	}
	mbuf_free(&b);
	free(conf);
	free(old);
	return r;
}

/* Checks the batch, stages the files, defers the batch. */
static int apply(struct nftm *m, const struct nft_ruleset *rs, struct mbuf *script,
		 const uint16_t *ports, size_t n, int add, const char **err_r)
{
	const char *msg = NULL;
	int r;

	if (mbuf_failed(script))
		return ws_fail(&m->msg, err_r, -ENOMEM, "out of memory");
	r = script->len ? check_script(m, script->s, err_r) : 0;
	if (r == 0)
		r = persist(m, rs, ports, n, add, err_r);
	if (r == 0 && script->len) {
		const char *argv[] = {NFT, script->s, NULL};

		r = m->h->defer_run(m->h, argv, &msg);
		if (r < 0)
			r = ws_fail(&m->msg, err_r, r, "%s", msg);
	}
	return r;
}

static int nftables_open(void *state, const uint16_t *ports, size_t n,
			 const char **err_r)
{
	struct nftm *m = state;
	struct nft_ruleset rs;
	struct mbuf script = {0};
	int r;

	if (n > NFT_MAX_PORTS)
		return ws_fail(&m->msg, err_r, -EINVAL, "%zu ports: at most %d", n,
			       NFT_MAX_PORTS);
	r = list_ruleset(m, &rs, err_r);
	if (r < 0)
		return r;
	nft_open_script(&script, &rs, ports, n);
	r = apply(m, &rs, &script, ports, n, 1, err_r);
	mbuf_free(&script);
	nft_ruleset_free(&rs);
	return r;
}

static int nftables_close(void *state, const char **err_r)
{
	struct nftm *m = state;
	struct nft_ruleset rs;
	struct mbuf script = {0};
	int r = list_ruleset(m, &rs, err_r);

	if (r < 0)
		return r;
	nft_close_script(&script, &rs);
	r = apply(m, &rs, &script, NULL, 0, 0, err_r);
	mbuf_free(&script);
	nft_ruleset_free(&rs);
	return r;
}

/* ---- status --------------------------------------------------------------- */

static int has_port(const uint16_t *ports, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

static void report_ports(const struct nft_ruleset *rs, const uint16_t *ports,
			 size_t n, struct webstack_report *rep)
{
	char check[64];

	for (size_t i = 0; i < n; i++) {
		int open = rs->have_table && has_port(rs->ports, rs->n_ports, ports[i]);

		snprintf(check, sizeof(check), "tcp/%u", (unsigned)ports[i]);
		rep->item(rep, check, open ? "open (IPv4 and IPv6, table inet webstack)"
				       : "not open: run `webstack mail firewall open`",
			  open);
	}
}

static void report_chains(const struct nft_ruleset *rs, const uint16_t *ports,
			  size_t n, struct webstack_report *rep)
{
	char check[200], value[256];

	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct nft_chain *c = &rs->chains[i];
		int opened = c->n_ours && nft_same_ports(c->ports, c->n_ports, ports, n);

		snprintf(check, sizeof(check), "%s %s %s", c->family, c->table, c->name);
		if (c->iptables && c->policy_drop)
			rep->item(rep, check, "iptables' INPUT chain drops by default, and "
				  "webstack's nftables rules cannot open ports there: set "
				  "firewall = \"iptables\"", 0);
		else if (c->blocks)
			rep->item(rep, check, "drops or rejects everything before webstack's "
				  "rule: the mail ports stay blocked there", 0);
		else if (c->policy_drop)
			rep->item(rep, check, opened ? "drops by default; webstack's rule "
				  "accepts the mail ports" : "drops by default and has no "
				  "webstack rule: run `webstack mail firewall open`", opened);
		else if (c->n_ours) {
			snprintf(value, sizeof(value), "accepts by default; holds a "
				 "webstack rule no longer needed (open removes it)");
			rep->item(rep, check, value, 1);
		}
	}
}

static void report_boot(struct nftm *m, int have_table, struct webstack_report *rep)
{
	char *conf = NULL, *link = m->h->path(m->h, NFT_SERVICE_LINK);
	size_t len = 0;
	const char *msg = NULL;
	struct stat st;
	int included = 0;

	if (ws_read_current(m->h, &m->msg, NFT_CONF, &conf, &len, &msg) == 0 && conf)
		included = strstr(conf, "include \"" BOOT_FILE "\"") != NULL;
	if (!have_table)
		rep->item(rep, "at boot", "nothing to load", 1);
	else if (!included)
		rep->item(rep, "at boot", "not loaded: " NFT_CONF " is missing or does "
			  "not include " BOOT_FILE, 0);
	else if (!link || lstat(link, &st) < 0)
		rep->item(rep, "at boot", NFT_CONF " includes the rules, but "
			  "nftables.service is not enabled: `systemctl enable "
			  "nftables`, or they are lost at reboot", 1);
	else
		rep->item(rep, "at boot", "loaded by nftables.service", 1);
	free(conf);
	free(link);
}

static int nftables_status(void *state, const uint16_t *ports, size_t n,
			   struct webstack_report *rep, const char **err_r)
{
	struct nftm *m = state;
	struct nft_ruleset rs;
	int r = list_ruleset(m, &rs, err_r);

	if (r < 0)
		return r;
	report_ports(&rs, ports, n, rep);
	report_chains(&rs, ports, n, rep);
	report_boot(m, rs.have_table, rep);
	nft_ruleset_free(&rs);
	return 0;
}

/* ---- the module ------------------------------------------------------------- */

static int nftables_init(const struct webstack_host *h, cfg_t *sec, void **state_r,
			 const char **err_r)
{
	struct nftm *m = calloc(1, sizeof(*m));

	(void)sec;
	if (!m) {
		*err_r = "out of memory";
		return -ENOMEM;
	}
	m->h = h;
	*state_r = m;
	return 0;
}

static void nftables_fini(void *state)
{
	free(state);
}

static const struct webstack_firewall_ops ops = {
	.open = nftables_open,
	.close = nftables_close,
	.status = nftables_status,
};

WEBSTACK_MODULE_DEFINE(nftables, .version = PACKAGE_VERSION,
		       .summary = "nftables: opens the mail ports in a table of its "
				  "own, atomically",
		       .role = WEBSTACK_ROLE_FIREWALL, .init = nftables_init,
		       .fini = nftables_fini, WEBSTACK_ROLE_OPS(&ops));
