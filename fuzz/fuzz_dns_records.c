/* libFuzzer target: the DNS record builder of the ldns module
 * (dns_records_build: MX, A/AAAA, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, SRV,
 * TLSA) and its three renderings, from fuzzed settings. Input: lines
 *   DOMAIN
 *   HOSTNAME
 *   PUBLIC_ADDRESSES (space-separated)
 *   TTL MX_PRIORITY
 *   DMARC_POLICY
 *   DMARC_RUA
 *   MTA_STS_MODE
 *   TLS_RPT_RUA
 *   SERVICES (one 0/1 a service, in enum order; missing ones are on)
 *   SELECTOR PUBLIC_KEY  (a DKIM key; any number of these lines)
 *   --
 *   the certificate file (the rest; none when empty)
 * Inputs are filtered as the real callers filter them: the domain and
 * host name by validate_domain, the addresses as the config validator
 * does, the options by the module's conf_check, selectors by
 * dkimkey_parse_selector, keys to base64 (dkimkey_public's output).
 * Invariants: the build succeeds unless an owner name would exceed 255
 * octets, and then says why; every record renders as zone-file text that
 * ldns parses back to an equal RR with the configured TTL; TXT strings
 * hold at most 255 bytes and the texts hold the values given in full; the
 * counts of A/AAAA, DKIM, SRV and TLSA records are what the input asks;
 * zone, json and nsupdate rendering succeed. */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <confuse.h>

#include <webstack/module.h>

#include "dkimkey.h"
#include "dns.h"
#include "host_mock.h"
#include "validate.h"

#define CERT_PATH "/etc/webstack/tls/cert.pem"
#define MAX_ITEMS 16
/* Longest owner prefixes: "_submissions._tcp." under the domain,
 * "_25._tcp." under the host name, "<selector>._domainkey." */
#define DOMAIN_PREFIX_MAX 18
#define HOST_PREFIX 9
#define DKIM_SUFFIX 12
#define NAME_TEXT_MAX 253	/* 255 octets on the wire */

extern const struct webstack_module ldns_LTX_webstack_module;

struct input {
	char domain[VALIDATE_DOMAIN_MAX + 1], hostname[VALIDATE_DOMAIN_MAX + 1];
	char *line[9];
	const char *addr[MAX_ITEMS];
	size_t n_addr;
	struct webstack_dkim_key keys[MAX_ITEMS];
	size_t n_keys;
	const char *cert;
	char *text;	/* owns everything the pointers above point into */
};

static char *next_line(char **p)
{
	char *s = *p, *nl;

	if (!s)
		return NULL;
	nl = strchr(s, '\n');
	*p = nl ? nl + 1 : NULL;
	if (nl)
		*nl = '\0';
	return s;
}

static int base64(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789+/=") == strlen(s);
}

/* The DKIM lines up to "--", then the certificate. 0, or -1 for an input
 * the real callers would not pass. */
static int parse_keys(struct input *in, char **p)
{
	char *l;

	while ((l = next_line(p)) && strcmp(l, "--") != 0) {
		struct webstack_dkim_key *k = &in->keys[in->n_keys];
		char gen[DKIM_GEN_MAX], *sp = strchr(l, ' ');
		enum dkim_alg alg;

		if (!sp || in->n_keys == MAX_ITEMS)
			return -1;
		*sp = '\0';
		if (dkimkey_parse_selector(l, gen, &alg) < 0 || !base64(sp + 1))
			return -1;
		for (size_t i = 0; i < in->n_keys; i++)
			if (strcmp(in->keys[i].selector, l) == 0)
				return -1;	/* one file a selector */
		*k = (struct webstack_dkim_key){in->domain, l, dkimkey_alg_name(alg),
						"/key", sp + 1, 1};
		in->n_keys++;
	}
	in->cert = *p ? *p : "";
	return 0;
}

static int parse(struct input *in, const uint8_t *data, size_t size)
{
	struct err e = {0};
	char *p, *a;

	memset(in, 0, sizeof(*in));
	p = in->text = strndup((const char *)data, size);
	for (size_t i = 0; i < 9; i++)
		if (!(in->line[i] = next_line(&p)))
			return -1;
	if (validate_domain(in->line[0], in->domain, sizeof(in->domain), &e) < 0 ||
	    validate_domain(in->line[1], in->hostname, sizeof(in->hostname), &e) < 0)
		return -1;
	for (a = strtok(in->line[2], " "); a; a = strtok(NULL, " ")) {
		unsigned char bin[16];

		if (in->n_addr == MAX_ITEMS || (inet_pton(AF_INET, a, bin) != 1 &&
						inet_pton(AF_INET6, a, bin) != 1))
			return -1;
		in->addr[in->n_addr++] = a;
	}
	return parse_keys(in, &p);
}

/* The module's section as pass 2 would make it; NULL when conf_check
 * refuses the options. */
static cfg_t *options(const struct input *in, const struct webstack_host *h)
{
	const struct webstack_module *d = &ldns_LTX_webstack_module;
	cfg_t *sec = cfg_init(d->cfg_opts, CFGF_NONE);
	const char *msg = NULL;
	char *end, *end2;
	long ttl = strtol(in->line[3], &end, 10), prio = strtol(end, &end2, 10);

	if (!sec || end == in->line[3] || end2 == end || *end2)
		goto refused;
	cfg_setint(sec, "ttl", ttl);
	cfg_setint(sec, "mx_priority", prio);
	cfg_setstr(sec, "dmarc_policy", in->line[4]);
	cfg_setstr(sec, "dmarc_rua", in->line[5]);
	cfg_setstr(sec, "mta_sts_mode", in->line[6]);
	cfg_setstr(sec, "tls_rpt_rua", in->line[7]);
	if (d->conf_check(h, sec, &msg) == 0)
		return sec;
refused:
	if (sec)
		cfg_free(sec);
	return NULL;
}

/* Every owner fits in 255 octets. */
static int names_fit(const struct input *in)
{
	size_t d = strlen(in->domain);

	for (size_t i = 0; i < in->n_keys; i++)
		if (strlen(in->keys[i].selector) + DKIM_SUFFIX + d > NAME_TEXT_MAX)
			return 0;
	return DOMAIN_PREFIX_MAX + d <= NAME_TEXT_MAX &&
	       HOST_PREFIX + strlen(in->hostname) <= NAME_TEXT_MAX;
}

static int ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && strcmp(s + n - m, end) == 0;
}

/* The text ends in "rua=" and the configured URIs or the default. */
static void check_rua(const char *text, const char *rua, const char *dflt,
		      const char *domain)
{
	char *want = NULL;

	if (asprintf(&want, "rua=%s%s", *rua ? rua : dflt, *rua ? "" : domain) < 0)
		abort();
	if (!ends_with(text, want)) {
		fprintf(stderr, "'%s' does not end in '%s'\n", text, want);
		abort();
	}
	free(want);
}

static void check_txt(const ldns_rr *rr, const struct input *in, cfg_t *sec)
{
	char *text = dns_txt_text(rr), *owner = ldns_rdf2str(ldns_rr_owner(rr));

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
		if (ldns_rdf_size(ldns_rr_rdf(rr, i)) > 256)
			abort();	/* a length byte and 255 bytes at most */
	if (!text || !owner)
		abort();
	if (strncmp(text, "v=DMARC1;", 9) == 0)
		check_rua(text, cfg_getstr(sec, "dmarc_rua"), "mailto:postmaster@",
			  in->domain);
	if (strncmp(text, "v=TLSRPTv1;", 11) == 0)
		check_rua(text, cfg_getstr(sec, "tls_rpt_rua"), "mailto:tlsrpt@",
			  in->domain);
	for (size_t i = 0; i < in->n_keys; i++) {
		const struct webstack_dkim_key *k = &in->keys[i];
		size_t n = strlen(k->selector);

		if (strncmp(owner, k->selector, n) == 0 && owner[n] == '.' &&
		    (strncmp(text, "v=DKIM1; k=", 11) != 0 ||
		     !ends_with(text, k->public_key)))
			abort();
	}
	free(text);
	free(owner);
}

/* Each record to zone-file text and back; the counts of each type. */
static void check_records(const struct dns_records *rec, const struct input *in,
			  cfg_t *sec)
{
	size_t mx = 0, addr = 0, txt = 0, srv = 0, tlsa = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(rec->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rec->rrs, i);
		char *text = ldns_rr2str(rr);
		ldns_rr *back = NULL;

		if (!text || ldns_rr_new_frm_str(&back, text, 0, NULL, NULL) !=
				     LDNS_STATUS_OK ||
		    ldns_rr_compare(rr, back) != 0 ||
		    ldns_rr_ttl(back) != (uint32_t)cfg_getint(sec, "ttl")) {
			fprintf(stderr, "does not read back: %s", text ? text : "(null)\n");
			abort();
		}
		switch (ldns_rr_get_type(rr)) {
		case LDNS_RR_TYPE_MX: mx++; break;
		case LDNS_RR_TYPE_A: case LDNS_RR_TYPE_AAAA: addr++; break;
		case LDNS_RR_TYPE_TXT: txt++; check_txt(rr, in, sec); break;
		case LDNS_RR_TYPE_SRV: srv++; break;
		case LDNS_RR_TYPE_TLSA: tlsa++; break;
		default: abort();
		}
		ldns_rr_free(back);
		free(text);
	}
	for (size_t i = 0; i < rec->n_unfilled; i++)
		tlsa += strcmp(rec->unfilled[i].type, "TLSA") == 0;
	/* TXT: SPF, DMARC, MTA-STS, TLS-RPT and one a key */
	if (mx != 1 || addr != in->n_addr || txt != 4 + in->n_keys || srv != 6 ||
	    tlsa != 1)
		abort();
}

static void build(const struct input *in, struct host_mock *host, cfg_t *sec)
{
	static const char *const formats[] = {"zone", "json", "nsupdate"};
	const struct webstack_module *d = &ldns_LTX_webstack_module;
	struct webstack_mail mail = {.hostname = in->hostname, .tls_cert = CERT_PATH,
				     .public_addresses = in->addr,
				     .n_public_addresses = in->n_addr};
	const char *domains[] = {in->domain};
	struct webstack_directory dir = {.domains = domains, .n_domains = 1,
					 .dkim_keys = in->keys,
					 .n_dkim_keys = in->n_keys};
	struct dns_records rec;
	const char *msg = NULL;
	void *state = NULL;

	for (size_t s = 0; s < WEBSTACK_SVC_COUNT_; s++)
		mail.enabled[s] = strlen(in->line[8]) <= s || in->line[8][s] != '0';
	if (*in->cert)
		host_mock_put(host, CERT_PATH, in->cert);
	if (d->init(&host->host, sec, &state, &msg) != 0)
		abort();
	if (dns_records_build(state, &mail, &dir, in->domain, &rec, &msg) != 0) {
		if (names_fit(in) || !msg || !*msg)
			abort();
	} else {
		check_records(&rec, in, sec);
		for (size_t f = 0; f < 3; f++) {
			struct mbuf out = {0};

			if (dns_render(state, &rec, formats[f], &out, &msg) != 0)
				abort();
			mbuf_free(&out);
		}
	}
	dns_records_free(&rec);
	d->fini(state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;
	struct host_mock host;
	cfg_t *sec;

	host_mock_init(&host);
	if (parse(&in, data, size) == 0 && (sec = options(&in, &host.host))) {
		build(&in, &host, sec);
		cfg_free(sec);
	}
	host_mock_free(&host);
	free(in.text);
	return 0;
}
