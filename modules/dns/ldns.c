#include "config.h"

/* The ldns module: fills the dns role with NLnet Labs' ldns. It renders
 * the records a mail domain needs (MX, A/AAAA, SPF, DKIM, DMARC, MTA-STS,
 * TLS-RPT, SRV, TLSA), checks them against a server and pushes them as one
 * TSIG-signed RFC 2136 update. It writes no file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webstack/module.h>
#include <webstack/role-dns.h>

#include "dns.h"

int dns_fail(struct dns_state *st, const char **err_r, int errnum,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	*err_r = st->err;
	return -errnum;
}

/* ---- configuration ------------------------------------------------------ */

static cfg_opt_t dns_opts[] = {
	CFG_INT("ttl", 3600, CFGF_NONE),
	CFG_INT("mx_priority", 10, CFGF_NONE),
	CFG_STR("dmarc_policy", "quarantine", CFGF_NONE),
	CFG_STR("dmarc_rua", "", CFGF_NONE),
	CFG_STR("mta_sts_mode", "testing", CFGF_NONE),
	CFG_STR("tls_rpt_rua", "", CFGF_NONE),
	CFG_INT("timeout", 5, CFGF_NONE),
	CFG_END(),
};

static int one_of(const char *v, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(v, *allowed) == 0)
			return 1;
	return 0;
}

/* "" or a comma-separated list of mailto: or https: URIs, with nothing
 * that would end the tag (';') or need quoting. */
static int report_uris_ok(const char *v)
{
	const char *p = v;

	if (!*v)
		return 1;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (strncmp(p, "mailto:", 7) != 0 && strncmp(p, "https:", 6) != 0)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (p[i] <= ' ' || p[i] == ';' || p[i] == '"' || p[i] == '\\' ||
			    p[i] == 0x7f)
				return 0;
		p += n + (p[n] == ',');
	}
	return 1;
}

static long get_int(cfg_t *sec, const char *name, long dflt)
{
	return sec ? cfg_getint(sec, name) : dflt;
}

static const char *get_str(cfg_t *sec, const char *name, const char *dflt)
{
	return sec ? cfg_getstr(sec, name) : dflt;
}

static void read_options(cfg_t *sec, struct dns_options *o)
{
	o->ttl = (uint32_t)get_int(sec, "ttl", 3600);
	o->mx_priority = (uint16_t)get_int(sec, "mx_priority", 10);
	o->dmarc_policy = get_str(sec, "dmarc_policy", "quarantine");
	o->dmarc_rua = get_str(sec, "dmarc_rua", "");
	o->mta_sts_mode = get_str(sec, "mta_sts_mode", "testing");
	o->tls_rpt_rua = get_str(sec, "tls_rpt_rua", "");
	o->timeout = (unsigned)get_int(sec, "timeout", 5);
}

static int dns_conf_check(const struct webstack_host *h, cfg_t *sec,
			  const char **err_r)
{
	static const char *const policies[] = {"none", "quarantine", "reject", NULL};
	static const char *const modes[] = {"enforce", "testing", "none", NULL};
	long ttl = get_int(sec, "ttl", 3600), prio = get_int(sec, "mx_priority", 10);
	long timeout = get_int(sec, "timeout", 5);

	(void)h;
	if (ttl < 60 || ttl > 604800)
		*err_r = "ldns: ttl must be 60 to 604800 seconds (default 3600)";
	else if (prio < 0 || prio > 65535)
		*err_r = "ldns: mx_priority must be 0 to 65535 (default 10)";
	else if (timeout < 1 || timeout > 60)
		*err_r = "ldns: timeout must be 1 to 60 seconds (default 5)";
	else if (!one_of(get_str(sec, "dmarc_policy", "quarantine"), policies))
		*err_r = "ldns: dmarc_policy must be \"none\", \"quarantine\" "
			 "(the default) or \"reject\"";
	else if (!one_of(get_str(sec, "mta_sts_mode", "testing"), modes))
		*err_r = "ldns: mta_sts_mode must be \"enforce\", \"testing\" "
			 "(the default) or \"none\"";
	else if (!report_uris_ok(get_str(sec, "dmarc_rua", "")))
		*err_r = "ldns: dmarc_rua must be \"\" (mailto:postmaster@<domain>) or "
			 "comma-separated mailto: or https: URIs without spaces or ';'";
	else if (!report_uris_ok(get_str(sec, "tls_rpt_rua", "")))
		*err_r = "ldns: tls_rpt_rua must be \"\" (mailto:tlsrpt@<domain>) or "
			 "comma-separated mailto: or https: URIs without spaces or ';'";
	else
		return 0;
	return -EINVAL;
}

static int dns_init(const struct webstack_host *h, cfg_t *sec, void **state_r,
		    const char **err_r)
{
	struct dns_state *st = calloc(1, sizeof(*st));

	if (!st) {
		*err_r = "out of memory";
		return -ENOMEM;
	}
	st->h = h;
	read_options(sec, &st->opt);
	*state_r = st;
	return 0;
}

static void dns_fini(void *state)
{
	free(state);
}

/* ---- the role ----------------------------------------------------------- */

static int dns_op_render(void *state, const struct webstack_mail *mail,
			 const struct webstack_directory *dir, const char *domain,
			 const char *format, char **out_r, const char **err_r)
{
	struct dns_state *st = state;
	struct dns_records rec;
	struct mbuf out = {0};
	int r = dns_records_build(st, mail, dir, domain, &rec, err_r);

	if (r == 0)
		r = dns_render(st, &rec, format, &out, err_r);
	if (r == 0)
		*out_r = mbuf_steal(&out);
	mbuf_free(&out);
	dns_records_free(&rec);
	return r;
}

static int dns_op_check(void *state, const struct webstack_mail *mail,
			const struct webstack_directory *dir, const char *domain,
			const char *server, struct webstack_report *r,
			const char **err_r)
{
	struct dns_state *st = state;
	struct dns_records rec;
	int ret = dns_records_build(st, mail, dir, domain, &rec, err_r);

	if (ret == 0)
		ret = dns_check(st, &rec, server, r, err_r);
	dns_records_free(&rec);
	return ret;
}

static int dns_op_push(void *state, const struct webstack_mail *mail,
		       const struct webstack_directory *dir, const char *domain,
		       const char *server, const char *tsig_key, size_t tsig_len,
		       struct webstack_report *r, const char **err_r)
{
	struct dns_state *st = state;
	struct dns_records rec;
	struct dns_tsig key;
	const char *why = NULL;
	int ret = dns_tsig_parse(tsig_key, tsig_len, &key, &why);

	if (ret < 0)
		return dns_fail(st, err_r, EINVAL, "the TSIG key file: %s", why);
	ret = dns_records_build(st, mail, dir, domain, &rec, err_r);
	if (ret == 0)
		ret = dns_push(st, &rec, server, &key, r, err_r);
	dns_tsig_wipe(&key);
	dns_records_free(&rec);
	return ret;
}

static const struct webstack_dns_ops dns_ops = {
	.render = dns_op_render,
	.check = dns_op_check,
	.push = dns_op_push,
};

WEBSTACK_MODULE_DEFINE(ldns,
	.version = PACKAGE_VERSION,
	.summary = "DNS records with ldns: show, check, push (RFC 2136 + TSIG)",
	.role = WEBSTACK_ROLE_DNS,
	.cfg_opts = dns_opts,
	.conf_check = dns_conf_check,
	.init = dns_init,
	.fini = dns_fini,
	WEBSTACK_ROLE_OPS(&dns_ops));
