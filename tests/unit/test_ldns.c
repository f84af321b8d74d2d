/* The ldns module against the host mock: every record type rendered in the
 * zone, json and nsupdate formats, DKIM strings of at most 255 bytes,
 * report URI lists of any length, unfilled A/AAAA and TLSA, disabled
 * services, the TSIG key parser, the server parser and the option checks. check() and push() need a server:
 * tests/e2e/dns.py runs them against Knot. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host_mock.h"
/* The module's sources, so the tests reach its static functions. */
#include "../../modules/dns/ldns.c"
#include "../../modules/dns/dns_records.c"
#include "../../modules/dns/dns_tlsa.c"
#include "../../modules/dns/dns_render.c"
#include "../../modules/dns/dns_json.c"
#include "../../modules/dns/dns_server.c"
#include "../../modules/dns/dns_tsig.c"
#include "../../modules/dns/dns_update.c"
#include "../../modules/dns/dns_check.c"

/* ---- fixtures --------------------------------------------------------- */

#define CERT_PATH "/etc/webstack/tls/cert.pem"

/* A self-signed Ed25519 certificate for mail.example.com, and the SHA-256
 * of its public key (openssl x509 -pubkey | openssl pkey -pubin -outform
 * DER | sha256sum). */
static const char cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBTDCB/6ADAgECAhQclolYaby3ieOgY6XgDCNc0hE2qDAFBgMrZXAwGzEZMBcG\n"
	"A1UEAwwQbWFpbC5leGFtcGxlLmNvbTAgFw0yNjExMjYwNDAzMTNaGA8yMTI2MTEw\n"
	"MjA0MDMxM1owGzEZMBcGA1UEAwwQbWFpbC5leGFtcGxlLmNvbTAqMAUGAytlcAMh\n"
	"AL2Wi8bt3vXNe1V/hqG9jLopyq3/YzNuAXyQ6MeOapoAo1MwUTAdBgNVHQ4EFgQU\n"
	"cMkr5YajDUoA20H6pIFr+LBPWYEwHwYDVR0jBBgwFoAUcMkr5YajDUoA20H6pIFr\n"
	"+LBPWYEwDwYDVR0TAQH/BAUwAwEB/zAFBgMrZXADQQDKp8c1TTElAOEoHJ6FiD2V\n"
	"8lDMJ2bOW1whB6VcWpPImewf9mEGAC72R9hIBkP1jtch8un95T8e4ghF+mAYa3kP\n"
	"-----END CERTIFICATE-----\n";
static const char cert_spki_sha256[] =
	"066bd1a6bc571447f83598eafed3ac0d4f850f96db07f840f295a95b6952b20a";

static const char rsa_p[] =
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAs+kVCFQoaURhYUYKjZ1EhqJuE+aB"
	"FCYjsMcl19mxDv8TvtEeXzhfospML4JxXHy42mMpmjuMnSsK37IFI39pEb8yH0gjW8uggXFC"
	"i/Lm9ValmUQx7ksXeE9Uvj4Xx2Oi809d3dgntQm6bZ4TvPsEDJRvximOKe+8MJFFt8X9n+ai"
	"wsaTs6zkSrWtWj8uMFPpD0aOPDjqAiKkaGc+srmvlZ6LnrygBky4vBlwbX1Qldw/UVDOik+b"
	"XIypiaMpEfQ9dJeK1NyMwrr2Zl/H5vMt3O2hwQ2Fs+tcFYkAMopI0JRWiy9v9DA4t2QEFJOE"
	"+ISPXbI/xw0QIgK+I8+p26rzwQIDAQAB";
static const char ed_p[] = "jnwwR+C2zSFOhSi37uYr33o0PBhSA5osvISan+EdFv4=";

static const char *const both_addresses[] = {"192.0.2.1", "2001:db8::1"};
static const char *const v4_only[] = {"192.0.2.1"};
static const char *const domains[] = {"example.com", "example.net"};

static const struct webstack_dkim_key dkim_keys[] = {
	{"example.com", "ws20261126-ed25519", "ed25519", "/k1", ed_p, 1},
	{"example.com", "ws20261126-rsa", "rsa", "/k2", rsa_p, 1},
	{"example.com", "ws20250101-rsa", "rsa", "/k3", rsa_p, 0},
	{"example.net", "ws20261126-rsa", "rsa", "/k4", "OTHER", 1},
};

static const struct webstack_directory directory = {
	.domains = domains,
	.n_domains = 2,
	.dkim_keys = dkim_keys,
	.n_dkim_keys = 4,
};

static struct webstack_mail mail_settings(void)
{
	struct webstack_mail m = {
		.hostname = "mail.example.com",
		.tls_cert = CERT_PATH,
		.public_addresses = both_addresses,
		.n_public_addresses = 2,
	};

	memset(m.enabled, 1, sizeof(m.enabled));
	return m;
}

struct fx {
	struct host_mock m;
	struct dns_state *st;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *msg = NULL;
	void *st = NULL;

	host_mock_init(&f->m);
	host_mock_put(&f->m, CERT_PATH, cert_pem);
	assert_int_equal(dns_init(&f->m.host, NULL, &st, &msg), 0);
	f->st = st;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	dns_fini(f->st);
	host_mock_free(&f->m);
	free(f);
	return 0;
}

/* render() in format, asserted to succeed; caller frees. */
static char *render(struct fx *f, const struct webstack_mail *m, const char *format)
{
	const char *msg = NULL;
	char *out = NULL;
	int r = dns_op_render(f->st, m, &directory, "example.com", format, &out, &msg);

	if (r != 0)
		fail_msg("render %s: %s", format, msg);
	return out;
}

static void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("missing: %s\nin:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("unexpected: %s\nin:\n%s", needle, hay);
}

/* ---- records ------------------------------------------------------------- */

static void test_zone_records(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	char *z = render(f, &m, "zone");
	char tlsa[200];

	assert_has(z, "example.com.\t3600\tIN\tMX\t10 mail.example.com.\n");
	assert_has(z, "mail.example.com.\t3600\tIN\tA\t192.0.2.1\n");
	assert_has(z, "mail.example.com.\t3600\tIN\tAAAA\t2001:db8::1\n");
	assert_has(z, "example.com.\t3600\tIN\tTXT\t\"v=spf1 mx ip4:192.0.2.1 "
		      "ip6:2001:db8::1 -all\"\n");
	assert_has(z, "_dmarc.example.com.\t3600\tIN\tTXT\t\"v=DMARC1; p=quarantine; "
		      "rua=mailto:postmaster@example.com\"\n");
	assert_has(z, "_smtp._tls.example.com.\t3600\tIN\tTXT\t\"v=TLSRPTv1; "
		      "rua=mailto:tlsrpt@example.com\"\n");
	assert_has(z, "_submissions._tcp.example.com.\t3600\tIN\tSRV\t0 1 465 mail.example.com.\n");
	assert_has(z, "_submission._tcp.example.com.\t3600\tIN\tSRV\t10 1 587 mail.example.com.\n");
	assert_has(z, "_imaps._tcp.example.com.\t3600\tIN\tSRV\t0 1 993 mail.example.com.\n");
	assert_has(z, "_imap._tcp.example.com.\t3600\tIN\tSRV\t10 1 143 mail.example.com.\n");
	assert_has(z, "_pop3s._tcp.example.com.\t3600\tIN\tSRV\t0 1 995 mail.example.com.\n");
	assert_has(z, "_pop3._tcp.example.com.\t3600\tIN\tSRV\t10 1 110 mail.example.com.\n");
	snprintf(tlsa, sizeof(tlsa), "_25._tcp.mail.example.com.\t3600\tIN\tTLSA\t3 1 1 %s\n",
		 cert_spki_sha256);
	assert_has(z, tlsa);
	assert_has(z, "ws20261126-ed25519._domainkey.example.com.\t3600\tIN\tTXT\t"
		      "\"v=DKIM1; k=ed25519; p=jnwwR+C2zSFOhSi37uYr33o0PBhSA5osvISan+EdFv4=\"\n");
	/* the non-signing key too; another domain's key not */
	assert_has(z, "ws20250101-rsa._domainkey.example.com.");
	assert_lacks(z, "OTHER");
	assert_has(z, "; MTA-STS policy, to serve at "
		      "https://mta-sts.example.com/.well-known/mta-sts.txt:\n"
		      ";   version: STSv1\n;   mode: testing\n;   mx: mail.example.com\n"
		      ";   max_age: 604800\n");
	assert_lacks(z, "not filled in");
	free(z);
}

/* The MTA-STS id is the first 20 hex digits of the policy's SHA-256. */
static void test_mta_sts_id(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	static const char policy[] = "version: STSv1\nmode: testing\n"
				     "mx: mail.example.com\nmax_age: 604800\n";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	char want[100] = "_mta-sts.example.com.\t3600\tIN\tTXT\t\"v=STSv1; id=";
	char *z = render(f, &m, "zone"), *again;

	EVP_Digest(policy, strlen(policy), md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 10; i++)
		sprintf(want + strlen(want), "%02x", md[i]);
	strcat(want, "\"\n");
	assert_has(z, want);
	again = render(f, &m, "zone");
	assert_string_equal(z, again);
	free(again);
	free(z);
}

static void test_dkim_strings(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	struct dns_records rec;
	const char *msg = NULL;
	char want[600];
	int seen = 0;

	assert_int_equal(dns_records_build(f->st, &m, &directory, "example.com", &rec, &msg), 0);
	snprintf(want, sizeof(want), "v=DKIM1; k=rsa; p=%s", rsa_p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(rec.rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rec.rrs, i);
		char *owner = ldns_rdf2str(ldns_rr_owner(rr)), *text;

		if (strcmp(owner, "ws20261126-rsa._domainkey.example.com.") == 0) {
			assert_int_equal(ldns_rr_rd_count(rr), 2);
			for (size_t j = 0; j < ldns_rr_rd_count(rr); j++)
				assert_true(ldns_rdf_data(ldns_rr_rdf(rr, j))[0] <= 255);
			text = dns_txt_text(rr);
			assert_string_equal(text, want);
			free(text);
			seen = 1;
		}
		free(owner);
	}
	assert_true(seen);
	dns_records_free(&rec);
}

static void test_unfilled(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	char *z;

	m.n_public_addresses = 0;
	z = render(f, &m, "zone");
	assert_has(z, "; not filled in: mail.example.com. A: no public_addresses in "
		      "webstack.conf\n");
	assert_has(z, "; not filled in: mail.example.com. AAAA: no public_addresses");
	assert_lacks(z, "\tA\t");
	assert_lacks(z, "\tAAAA\t");
	assert_has(z, "\"v=spf1 mx -all\"");
	free(z);

	m.public_addresses = v4_only;
	m.n_public_addresses = 1;
	z = render(f, &m, "zone");
	assert_has(z, "\tA\t192.0.2.1\n");
	assert_has(z, "; not filled in: mail.example.com. AAAA: no IPv6 address");
	free(z);

	host_mock_free(&f->m);	/* no certificate */
	host_mock_init(&f->m);
	z = render(f, &m, "zone");
	assert_has(z, "; not filled in: _25._tcp.mail.example.com. TLSA: certificate "
		      CERT_PATH ": no such file\n");
	assert_lacks(z, "\tTLSA\t");
	free(z);
}

static void test_disabled_service(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	char *z;

	m.enabled[WEBSTACK_SVC_IMAP] = 0;
	m.enabled[WEBSTACK_SVC_POP3S] = 0;
	z = render(f, &m, "zone");
	assert_has(z, "_imap._tcp.example.com.\t3600\tIN\tSRV\t0 0 0 .\n");
	assert_has(z, "_pop3s._tcp.example.com.\t3600\tIN\tSRV\t0 0 0 .\n");
	assert_has(z, "_imaps._tcp.example.com.\t3600\tIN\tSRV\t0 1 993 mail.example.com.\n");
	free(z);
}

static void test_options(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	char *z;

	f->st->opt.ttl = 300;
	f->st->opt.mx_priority = 5;
	f->st->opt.dmarc_policy = "reject";
	f->st->opt.dmarc_rua = "mailto:dmarc@example.org";
	f->st->opt.mta_sts_mode = "enforce";
	f->st->opt.tls_rpt_rua = "https://reports.example.org/tls";
	z = render(f, &m, "zone");
	assert_has(z, "example.com.\t300\tIN\tMX\t5 mail.example.com.\n");
	assert_has(z, "\"v=DMARC1; p=reject; rua=mailto:dmarc@example.org\"");
	assert_has(z, "\"v=TLSRPTv1; rua=https://reports.example.org/tls\"");
	assert_has(z, ";   mode: enforce\n");
	free(z);
}

/* Report URI lists have no length limit: the records hold them in full
 * (the texts were cut at 1199 bytes). */
static void test_long_report_uris(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	struct dns_records rec;
	const char *msg = NULL;
	char uris[1500];
	size_t found = 0;

	memset(uris, 'a', sizeof(uris) - 1);
	memcpy(uris, "mailto:", 7);
	memcpy(uris + sizeof(uris) - 13, "@example.org", 13);
	f->st->opt.dmarc_rua = uris;
	f->st->opt.tls_rpt_rua = uris;
	assert_int_equal(dns_records_build(f->st, &m, &directory, "example.com", &rec,
					   &msg), 0);
	for (size_t i = 0; i < ldns_rr_list_rr_count(rec.rrs); i++) {
		char *text = dns_txt_text(ldns_rr_list_rr(rec.rrs, i));
		char *rua = text ? strstr(text, "rua=") : NULL;

		if (rua) {
			assert_string_equal(rua + 4, uris);
			found++;
		}
		free(text);
	}
	assert_int_equal(found, 2);
	dns_records_free(&rec);
}

/* ---- json ------------------------------------------------------------------ */

/* A minimal JSON syntax check: returns the end of the value at p, or NULL. */
static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && !*++p)
			return NULL;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_list(const char *p, char close, int keyed)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keyed) {
			p = json_string(json_ws(p));
			if (!p || *(p = json_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = json_value(json_ws(p));
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{')
		return json_list(p, '}', 1);
	if (*p == '[')
		return json_list(p, ']', 0);
	if (*p == '"')
		return json_string(p);
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		while (*p == '-' || (*p >= '0' && *p <= '9'))
			p++;
		return p;
	}
	return NULL;
}

static void test_json(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	char *j, want[700];
	const char *end;

	m.n_public_addresses = 0;
	j = render(f, &m, "json");
	end = json_value(j);
	if (!end || *json_ws(end))
		fail_msg("not JSON:\n%s", j);
	assert_has(j, "{\"domain\":\"example.com\",\"records\":[{\"owner\":\"example.com.\","
		      "\"ttl\":3600,\"type\":\"MX\",\"data\":\"10 mail.example.com.\"}");
	assert_has(j, "{\"owner\":\"example.com.\",\"ttl\":3600,\"type\":\"TXT\","
		      "\"data\":\"\\\"v=spf1 mx -all\\\"\",\"strings\":[\"v=spf1 mx -all\"]}");
	snprintf(want, sizeof(want), "\"strings\":[\"v=DKIM1; k=rsa; p=%.237s\",\"%s\"]",
		 rsa_p, rsa_p + 237);
	assert_has(j, want);
	assert_has(j, "\"unfilled\":[{\"owner\":\"mail.example.com.\",\"type\":\"A\","
		      "\"reason\":\"no public_addresses in webstack.conf\"},");
	assert_has(j, "\"mta_sts\":{\"url\":\"https://mta-sts.example.com/.well-known/"
		      "mta-sts.txt\",\"policy\":\"version: STSv1\\nmode: testing\\n"
		      "mx: mail.example.com\\nmax_age: 604800\\n\"}}\n");
	free(j);
}

static void test_json_escape(void **state)
{
	struct mbuf b = {0};

	(void)state;
	dns_json_str(&b, "a\"b\\c\nd\x01");
	assert_string_equal(b.s, "\"a\\\"b\\\\c\\nd\\u0001\"");
	mbuf_free(&b);
}

/* ---- nsupdate -------------------------------------------------------------- */

static void test_nsupdate(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	char *u = render(f, &m, "nsupdate");

	assert_has(u, "zone example.com.\n");
	assert_has(u, "update delete example.com. MX\n");
	assert_has(u, "update delete example.com. TXT \"v=spf1 mx ip4:192.0.2.1 "
		      "ip6:2001:db8::1 -all\"\n");
	assert_lacks(u, "update delete example.com. TXT\n");	/* never the whole set */
	assert_has(u, "update delete _dmarc.example.com. TXT\n");
	assert_has(u, "update delete _imap._tcp.example.com. SRV\n");
	assert_has(u, "update delete mail.example.com. A\n");
	assert_has(u, "update delete _25._tcp.mail.example.com. TLSA\n");
	assert_has(u, "update add example.com. 3600 IN MX 10 mail.example.com.\n");
	assert_has(u, "update add mail.example.com. 3600 IN AAAA 2001:db8::1\n");
	/* all deletes before the first add */
	assert_true(strstr(u, "update delete _25._tcp") < strstr(u, "update add"));
	assert_string_equal(u + strlen(u) - 5, "send\n");
	free(u);

	m.hostname = "mx.example.net";	/* outside the zone */
	u = render(f, &m, "nsupdate");
	assert_has(u, "; outside zone example.com.: mx.example.net. A\n");
	assert_has(u, "; outside zone example.com.: _25._tcp.mx.example.net. TLSA\n");
	assert_lacks(u, "update add mx.example.net.");
	assert_has(u, "update add example.com. 3600 IN MX 10 mx.example.net.\n");
	free(u);
}

static void test_bad_format(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	const char *msg = NULL;
	char *out = NULL;

	assert_int_equal(dns_op_render(f->st, &m, &directory, "example.com", "xml",
				       &out, &msg), -EINVAL);
	assert_string_equal(msg, "format 'xml': use zone, json or nsupdate");
	assert_null(out);
	m.hostname = NULL;
	assert_int_equal(dns_op_render(f->st, &m, &directory, "example.com", "zone",
				       &out, &msg), -EINVAL);
	assert_has(msg, "mail setup --hostname");
}

/* ---- TSIG keys --------------------------------------------------------------- */

#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0MTI="

static void assert_key(const char *text, const char *name, const char *alg)
{
	struct dns_tsig k;
	const char *why = NULL;

	if (dns_tsig_parse(text, strlen(text), &k, &why) != 0)
		fail_msg("%s: %s", text, why);
	assert_string_equal(k.name, name);
	assert_string_equal(k.algorithm, alg);
	assert_string_equal(k.secret, SECRET);
	dns_tsig_wipe(&k);
	assert_int_equal(k.secret[0], 0);
}

static void assert_bad_key(const char *text, const char *want_why)
{
	struct dns_tsig k;
	const char *why = NULL;

	assert_int_equal(dns_tsig_parse(text, strlen(text), &k, &why), -EINVAL);
	assert_has(why, want_why);
	assert_lacks(why, "c2VjcmV0");
}

static void test_tsig(void **state)
{
	(void)state;
	assert_key("hmac-sha256:ws-update:" SECRET "\n", "ws-update.", "hmac-sha256.");
	assert_key("sha512:ws-update.:" SECRET, "ws-update.", "hmac-sha512.");
	/* keymgr -t ws-update hmac-sha256 */
	assert_key("# hmac-sha256:ws-update:" SECRET "\nkey:\n  - id: ws-update\n"
		   "    algorithm: hmac-sha256\n    secret: " SECRET "\n",
		   "ws-update.", "hmac-sha256.");
	assert_key("server:\n    listen: 127.0.0.1\nkey:\n  - id: \"k1\"\n"
		   "    algorithm: hmac-sha1\n    secret: " SECRET "\n  - id: k2\n",
		   "k1.", "hmac-sha1.");
	assert_key("key \"ws-update\" {\n\talgorithm hmac-sha384;\n\tsecret \""
		   SECRET "\";\n};\n", "ws-update.", "hmac-sha384.");
	assert_key("key ws-update { algorithm hmac-md5; secret " SECRET "; };",
		   "ws-update.", "hmac-md5.sig-alg.reg.int.");

	assert_bad_key("hmac-sha999:ws-update:" SECRET, "no algorithm of");
	assert_bad_key("hmac-sha256:ws-update:not*base64", "not base64");
	assert_bad_key("hmac-sha256:ws-update:c2VjcmV0LXNlY3JldC1zZWNyZXQ",
		       "not base64");
	assert_bad_key("hmac-sha256::" SECRET, "no valid key name");
	assert_bad_key("key:\n  - id: a\n    secret: " SECRET "\n", "no algorithm");
	assert_bad_key("key \"a\" { algorithm hmac-sha256; };", "secret is missing");
	assert_bad_key("hello\n", "not a key");
	assert_bad_key("", "not a key");
}

/* ---- servers ------------------------------------------------------------------ */

static void assert_server(const char *s, const char *addr, unsigned port)
{
	char a[64];
	uint16_t p = 0;
	const char *why = NULL;

	if (dns_server_parse(s, a, &p, &why) != 0)
		fail_msg("%s: %s", s, why);
	assert_string_equal(a, addr);
	assert_int_equal(p, port);
}

static void test_server(void **state)
{
	static const char *const bad[] = {
		"", "nonsense", "1.2.3", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536",
		"1.2.3.4:53x", "[::1", "[::1]x", "[::1]:", "[1.2.3.4]:53x",
		"::1:53:x", "[]:53", "ns.example.com",
	};
	char a[64];
	uint16_t p;
	const char *why = NULL;

	(void)state;
	assert_server("127.0.0.1", "127.0.0.1", 53);
	assert_server("127.0.0.1:5353", "127.0.0.1", 5353);
	assert_server("::1", "::1", 53);
	assert_server("2001:db8::1", "2001:db8::1", 53);
	assert_server("[2001:db8::1]:5353", "2001:db8::1", 5353);
	assert_server("[::1]", "::1", 53);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dns_server_parse(bad[i], a, &p, &why) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_has(why, "expected ADDR");
	}
}

/* ---- options ------------------------------------------------------------------- */

static int conf_check_text(const char *text, const char **msg)
{
	cfg_opt_t top[] = {CFG_SEC("ldns", dns_opts, CFGF_NONE), CFG_END()};
	cfg_t *cfg = cfg_init(top, CFGF_NONE);
	int r;

	assert_int_equal(cfg_parse_buf(cfg, text), CFG_SUCCESS);
	r = dns_conf_check(NULL, cfg_getsec(cfg, "ldns"), msg);
	cfg_free(cfg);
	return r;
}

static void test_conf_check(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"ldns { ttl = 10 }", "ttl must be"},
		{"ldns { mx_priority = 70000 }", "mx_priority must be"},
		{"ldns { timeout = 0 }", "timeout must be"},
		{"ldns { dmarc_policy = \"strict\" }", "dmarc_policy must be"},
		{"ldns { mta_sts_mode = \"on\" }", "mta_sts_mode must be"},
		{"ldns { dmarc_rua = \"postmaster@example.com\" }", "dmarc_rua must be"},
		{"ldns { dmarc_rua = \"mailto:a@b; p=none\" }", "dmarc_rua must be"},
		{"ldns { tls_rpt_rua = \"mailto:a@b,ftp://x\" }", "tls_rpt_rua must be"},
	};
	const char *msg = NULL;

	(void)state;
	assert_int_equal(dns_conf_check(NULL, NULL, &msg), 0);
	assert_int_equal(conf_check_text("ldns { }", &msg), 0);
	assert_int_equal(conf_check_text("ldns { ttl = 300 dmarc_policy = \"reject\" "
					 "dmarc_rua = \"mailto:a@example.org,https://r.example/x\" "
					 "mta_sts_mode = \"none\" }", &msg), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg = NULL;
		assert_int_equal(conf_check_text(bad[i].text, &msg), -EINVAL);
		assert_has(msg, bad[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_zone_records, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_mta_sts_id, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dkim_strings, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unfilled, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_disabled_service, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_options, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_long_report_uris, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_json, fx_setup, fx_teardown),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test_setup_teardown(test_nsupdate, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_format, fx_setup, fx_teardown),
		cmocka_unit_test(test_tsig),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_conf_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
