/* The records a mail domain needs, as ldns RRs: MX, the host's A/AAAA,
 * SPF, DKIM, DMARC, MTA-STS, TLS-RPT, the mail SRVs (RFC 6186, RFC 8314)
 * and TLSA. What cannot be filled in is listed, never invented. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "dns.h"

/* TXT character-strings hold at most 255 bytes (RFC 1035 3.3). */
#define TXT_STRING_MAX 255
#define STS_MAX_AGE 604800

struct srv_rule {
	const char *owner;	/* relative to the domain */
	unsigned port;
	enum webstack_mail_service svc;
	unsigned priority;	/* implicit TLS first (RFC 8314 5.1) */
};

static const struct srv_rule srv_rules[] = {
	{"_submissions._tcp", 465, WEBSTACK_SVC_SUBMISSIONS, 0},
	{"_submission._tcp", 587, WEBSTACK_SVC_SUBMISSION, 10},
	{"_imaps._tcp", 993, WEBSTACK_SVC_IMAPS, 0},
	{"_imap._tcp", 143, WEBSTACK_SVC_IMAP, 10},
	{"_pop3s._tcp", 995, WEBSTACK_SVC_POP3S, 0},
	{"_pop3._tcp", 110, WEBSTACK_SVC_POP3, 10},
};

/* One RR from presentation format; names must be absolute. */
static int add_str(struct dns_state *st, struct dns_records *rec,
		   const char **err_r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int add_str(struct dns_state *st, struct dns_records *rec,
		   const char **err_r, const char *fmt, ...)
{
	char text[1024];
	ldns_rr *rr = NULL;
	ldns_status s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	s = ldns_rr_new_frm_str(&rr, text, st->opt.ttl, NULL, NULL);
	if (s != LDNS_STATUS_OK)
		return dns_fail(st, err_r, EINVAL, "record '%s': %s", text,
				ldns_get_errorstr_by_id(s));
	ldns_rr_list_push_rr(rec->rrs, rr);
	return 0;
}

/* A TXT RR built from STR rdfs of at most 255 bytes each, so no quoting or
 * escaping is involved. */
static int add_txt(struct dns_state *st, struct dns_records *rec,
		   const char *owner, const char *text, const char **err_r)
{
	ldns_rdf *name = ldns_dname_new_frm_str(owner);
	size_t len = strlen(text), off = 0;
	ldns_rr *rr;

	if (!name)
		return dns_fail(st, err_r, EINVAL, "'%s' is not a DNS name", owner);
	rr = ldns_rr_new();
	ldns_rr_set_owner(rr, name);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, st->opt.ttl);
	do {
		size_t n = len - off > TXT_STRING_MAX ? TXT_STRING_MAX : len - off;
		uint8_t buf[TXT_STRING_MAX + 1];

		buf[0] = (uint8_t)n;	/* an STR rdf: length byte, then the bytes */
		memcpy(buf + 1, text + off, n);
		ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, buf));
		off += n;
	} while (off < len);
	ldns_rr_list_push_rr(rec->rrs, rr);
	return 0;
}

static void unfilled(struct dns_records *rec, const char *owner, const char *type,
		     const char *reason)
{
	struct dns_unfilled *u = realloc(rec->unfilled,
					 (rec->n_unfilled + 1) * sizeof(*u));

	if (!u)
		return;
	rec->unfilled = u;
	u[rec->n_unfilled++] = (struct dns_unfilled){strdup(owner), type, strdup(reason)};
}

/* A and AAAA of the mail host from the configured public addresses. */
static int add_host_addresses(struct dns_state *st, struct dns_records *rec,
			      const struct webstack_mail *mail, const char **err_r)
{
	int n4 = 0, n6 = 0, r = 0;
	char owner[300];

	snprintf(owner, sizeof(owner), "%s.", mail->hostname);
	for (size_t i = 0; r == 0 && i < mail->n_public_addresses; i++) {
		const char *a = mail->public_addresses[i];
		int v6 = strchr(a, ':') != NULL;

		r = add_str(st, rec, err_r, "%s %s %s", owner, v6 ? "AAAA" : "A", a);
		*(v6 ? &n6 : &n4) += 1;
	}
	if (r == 0 && !mail->n_public_addresses) {
		unfilled(rec, owner, "A", "no public_addresses in webstack.conf");
		unfilled(rec, owner, "AAAA", "no public_addresses in webstack.conf");
	} else if (r == 0 && !n4) {
		unfilled(rec, owner, "A", "no IPv4 address in public_addresses");
	} else if (r == 0 && !n6) {
		unfilled(rec, owner, "AAAA", "no IPv6 address in public_addresses");
	}
	return r;
}

static int add_spf(struct dns_state *st, struct dns_records *rec,
		   const struct webstack_mail *mail, const char *apex,
		   const char **err_r)
{
	struct mbuf b = {0};
	int r;

	mbuf_puts(&b, "v=spf1 mx");
	for (size_t i = 0; i < mail->n_public_addresses; i++) {
		const char *a = mail->public_addresses[i];

		mbuf_printf(&b, " %s:%s", strchr(a, ':') ? "ip6" : "ip4", a);
	}
	mbuf_puts(&b, " -all");
	r = mbuf_failed(&b) ? dns_fail(st, err_r, ENOMEM, "out of memory")
			    : add_txt(st, rec, apex, b.s, err_r);
	mbuf_free(&b);
	return r;
}

/* Every key of the domain, signing or not: an old selector stays
 * published until it is retired, so mail it signed still verifies. */
static int add_dkim(struct dns_state *st, struct dns_records *rec,
		    const struct webstack_directory *dir, const char *domain,
		    const char **err_r)
{
	for (size_t i = 0; i < dir->n_dkim_keys; i++) {
		const struct webstack_dkim_key *k = &dir->dkim_keys[i];
		char owner[600];
		char *text;
		int r;

		if (strcmp(k->domain, domain) != 0)
			continue;
		snprintf(owner, sizeof(owner), "%s._domainkey.%s.", k->selector, domain);
		if (asprintf(&text, "v=DKIM1; k=%s; p=%s", k->algorithm, k->public_key) < 0)
			return dns_fail(st, err_r, ENOMEM, "out of memory");
		r = add_txt(st, rec, owner, text, err_r);
		free(text);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The MTA-STS policy text, its URL and the TXT whose id changes exactly
 * when the policy does (the first 20 hex digits of its SHA-256). */
static int add_mta_sts(struct dns_state *st, struct dns_records *rec,
		       const struct webstack_mail *mail, const char *domain,
		       const char **err_r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char owner[300], text[64];

	if (asprintf(&rec->sts_policy, "version: STSv1\nmode: %s\nmx: %s\nmax_age: %d\n",
		     st->opt.mta_sts_mode, mail->hostname, STS_MAX_AGE) < 0 ||
	    asprintf(&rec->sts_url, "https://mta-sts.%s/.well-known/mta-sts.txt",
		     domain) < 0) {
		rec->sts_policy = rec->sts_url = NULL;
		return dns_fail(st, err_r, ENOMEM, "out of memory");
	}
	if (!EVP_Digest(rec->sts_policy, strlen(rec->sts_policy), md, &mdlen,
			EVP_sha256(), NULL))
		return dns_fail(st, err_r, EIO, "SHA-256 failed (OpenSSL)");
	strcpy(text, "v=STSv1; id=");
	for (unsigned i = 0; i < 10; i++)
		sprintf(text + strlen(text), "%02x", md[i]);
	snprintf(owner, sizeof(owner), "_mta-sts.%s.", domain);
	return add_txt(st, rec, owner, text, err_r);
}

/* A TXT "<prefix><report URIs>": the configured ones (a list of any
 * length, so the text is allocated), else mailto:<local>@<domain>. */
static int add_report_txt(struct dns_state *st, struct dns_records *rec,
			  const char *owner, const char *prefix, const char *uris,
			  const char *local, const char *domain, const char **err_r)
{
	char *text;
	int r = *uris ? asprintf(&text, "%s%s", prefix, uris)
		      : asprintf(&text, "%smailto:%s@%s", prefix, local, domain);

	if (r < 0)
		return dns_fail(st, err_r, ENOMEM, "out of memory");
	r = add_txt(st, rec, owner, text, err_r);
	free(text);
	return r;
}

static int add_policies(struct dns_state *st, struct dns_records *rec,
			const struct webstack_mail *mail, const char *domain,
			const char **err_r)
{
	char owner[300], prefix[64];
	int r;

	snprintf(owner, sizeof(owner), "_dmarc.%s.", domain);
	snprintf(prefix, sizeof(prefix), "v=DMARC1; p=%s; rua=", st->opt.dmarc_policy);
	r = add_report_txt(st, rec, owner, prefix, st->opt.dmarc_rua, "postmaster",
			   domain, err_r);
	if (r == 0)
		r = add_mta_sts(st, rec, mail, domain, err_r);
	if (r < 0)
		return r;
	snprintf(owner, sizeof(owner), "_smtp._tls.%s.", domain);
	return add_report_txt(st, rec, owner, "v=TLSRPTv1; rua=", st->opt.tls_rpt_rua,
			      "tlsrpt", domain, err_r);
}

/* A service switched off gets "0 0 0 .": decidedly not available
 * (RFC 2782, RFC 6186 3.4), so clients do not guess a port. */
static int add_srv(struct dns_state *st, struct dns_records *rec,
		   const struct webstack_mail *mail, const char *domain,
		   const char **err_r)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(srv_rules) / sizeof(srv_rules[0]); i++) {
		const struct srv_rule *s = &srv_rules[i];

		if (mail->enabled[s->svc])
			r = add_str(st, rec, err_r, "%s.%s. SRV %u 1 %u %s.", s->owner,
				    domain, s->priority, s->port, mail->hostname);
		else
			r = add_str(st, rec, err_r, "%s.%s. SRV 0 0 0 .", s->owner, domain);
	}
	return r;
}

/* DANE-EE, SPKI, SHA-256 (RFC 7672): survives a renewal that keeps the key. */
static int add_tlsa(struct dns_state *st, struct dns_records *rec,
		    const struct webstack_mail *mail, const char **err_r)
{
	char owner[300], hex[65], reason[600];
	const char *why = NULL;
	char *pem = NULL;
	size_t len = 0;
	int r;

	snprintf(owner, sizeof(owner), "_25._tcp.%s.", mail->hostname);
	r = st->h->read_file(st->h, mail->tls_cert, &pem, &len, &why);
	if (r == 0)
		r = dns_spki_sha256(pem, len, hex, &why);
	free(pem);
	if (r < 0) {
		snprintf(reason, sizeof(reason), "certificate %s: %s", mail->tls_cert,
			 why ? why : "cannot be read");
		unfilled(rec, owner, "TLSA", reason);
		return 0;
	}
	return add_str(st, rec, err_r, "%s TLSA 3 1 1 %s", owner, hex);
}

int dns_records_build(struct dns_state *st, const struct webstack_mail *mail,
		      const struct webstack_directory *dir, const char *domain,
		      struct dns_records *rec, const char **err_r)
{
	char apex[300];
	int r;

	memset(rec, 0, sizeof(*rec));
	if (!mail->hostname || !*mail->hostname)
		return dns_fail(st, err_r, EINVAL, "no mail host name: run "
				"`webstack mail setup --hostname FQDN` first");
	snprintf(apex, sizeof(apex), "%s.", domain);
	rec->domain = strdup(domain);
	rec->apex = ldns_dname_new_frm_str(apex);
	rec->rrs = ldns_rr_list_new();
	if (!rec->domain || !rec->apex || !rec->rrs)
		return dns_fail(st, err_r, EINVAL, "domain '%s' is not a DNS name", domain);
	r = add_str(st, rec, err_r, "%s MX %u %s.", apex, st->opt.mx_priority,
		    mail->hostname);
	if (r == 0)
		r = add_host_addresses(st, rec, mail, err_r);
	if (r == 0)
		r = add_spf(st, rec, mail, apex, err_r);
	if (r == 0)
		r = add_dkim(st, rec, dir, domain, err_r);
	if (r == 0)
		r = add_policies(st, rec, mail, domain, err_r);
	if (r == 0)
		r = add_srv(st, rec, mail, domain, err_r);
	if (r == 0)
		r = add_tlsa(st, rec, mail, err_r);
	return r;
}

void dns_records_free(struct dns_records *rec)
{
	for (size_t i = 0; i < rec->n_unfilled; i++) {
		free(rec->unfilled[i].owner);
		free(rec->unfilled[i].reason);
	}
	free(rec->unfilled);
	if (rec->rrs)
		ldns_rr_list_deep_free(rec->rrs);
	if (rec->apex)
		ldns_rdf_deep_free(rec->apex);
	free(rec->domain);
	free(rec->sts_policy);
	free(rec->sts_url);
	memset(rec, 0, sizeof(*rec));
}

void dns_report_unfilled(const struct dns_records *rec, struct webstack_report *r,
			 const char *prefix, int ok)
{
	for (size_t i = 0; i < rec->n_unfilled; i++) {
		char name[400], why[600];

		snprintf(name, sizeof(name), "%s %s", rec->unfilled[i].owner,
			 rec->unfilled[i].type);
		snprintf(why, sizeof(why), "%s: %s", prefix, rec->unfilled[i].reason);
		r->item(r, name, why, ok);
	}
}

/* ---- RRsets and their text ------------------------------------------------ */

int dns_in_zone(const struct dns_records *rec, const ldns_rdf *owner)
{
	return ldns_dname_compare(owner, rec->apex) == 0 ||
	       ldns_dname_is_subdomain(owner, rec->apex);
}

int dns_is_apex_txt(const struct dns_records *rec, const ldns_rr *rr)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT &&
	       ldns_dname_compare(ldns_rr_owner(rr), rec->apex) == 0;
}

int dns_is_spf(const ldns_rr *rr)
{
	char *text = dns_txt_text(rr);
	int spf = text && strncasecmp(text, "v=spf1", 6) == 0 &&
		  (text[6] == '\0' || text[6] == ' ');

	free(text);
	return spf;
}

int dns_rrset_first(const ldns_rr_list *rrs, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (ldns_rr_compare_no_rdata(ldns_rr_list_rr(rrs, i),
					     ldns_rr_list_rr(rrs, j)) == 0)
			return 0;
	return 1;
}

ldns_rr_list *dns_rrset_of(const ldns_rr_list *rrs, const ldns_rr *rr)
{
	ldns_rr_list *set = ldns_rr_list_new();

	for (size_t j = 0; j < ldns_rr_list_rr_count(rrs); j++)
		if (ldns_rr_compare_no_rdata(rr, ldns_rr_list_rr(rrs, j)) == 0)
			ldns_rr_list_push_rr(set, ldns_rr_clone(ldns_rr_list_rr(rrs, j)));
	return set;
}

char *dns_rrset_name(const ldns_rr *rr)
{
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
	char *s = NULL;

	if (owner && type && asprintf(&s, "%s %s", owner, type) < 0)
		s = NULL;
	free(owner);
	free(type);
	return s;
}

char *dns_rdata_str(const ldns_rr *rr)
{
	struct mbuf b = {0};

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		char *f = ldns_rdf2str(ldns_rr_rdf(rr, i));

		mbuf_printf(&b, "%s%s", i ? " " : "", f ? f : "");
		free(f);
	}
	return mbuf_steal(&b);
}

char *dns_txt_text(const ldns_rr *rr)
{
	struct mbuf b = {0};

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		const uint8_t *d = ldns_rdf_data(f);

		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_STR && ldns_rdf_size(f) >= 1)
			mbuf_add(&b, (const char *)d + 1, d[0]);
	}
	return mbuf_steal(&b);
}
