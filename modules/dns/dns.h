/* dns.h - the ldns module's parts (module-internal).
 *
 * ldns.c         descriptor, options, state, the role ops
 * dns_records.c  the records a mail domain needs (ldns RRs + unfilled ones)
 * dns_tlsa.c     SHA-256 of a certificate's public key (OpenSSL)
 * dns_render.c   zone, json and nsupdate output
 * dns_json.c     JSON string escaping
 * dns_server.c   "ADDR[:PORT]" parsing and the resolver to ask
 * dns_tsig.c     TSIG key files (one-line, Knot YAML, BIND)
 * dns_update.c   the RFC 2136 update push sends and nsupdate prints
 * dns_check.c    query the server and compare per RRset
 *
 * Static helpers never start with "ldns_": that is the library's
 * namespace.
 *
 * Ownership: the state owns err (messages handed out through err_r stay
 * valid until the next op on the state). A struct dns_records owns
 * everything it points to (dns_records_free). Everything else passed in is
 * borrowed for the call. */
#ifndef WS_DNS_H
#define WS_DNS_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include <webstack/host.h>
#include <webstack/mail.h>

#include "mbuf.h"

struct dns_options {
	uint32_t ttl;
	uint16_t mx_priority;
	const char *dmarc_policy;	/* none|quarantine|reject */
	const char *dmarc_rua;		/* "" = mailto:postmaster@<domain> */
	const char *mta_sts_mode;	/* enforce|testing|none */
	const char *tls_rpt_rua;	/* "" = mailto:tlsrpt@<domain> */
	unsigned timeout;		/* seconds per query */
};

struct dns_state {
	const struct webstack_host *h;
	struct dns_options opt;	/* strings point into the config section */
	char err[1024];
};

/* Sets st->err from fmt and *err_r to it; returns -errnum. The arguments
 * must not point into st->err. */
int dns_fail(struct dns_state *st, const char **err_r, int errnum,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- dns_records.c ---- */

/* A record webstack cannot fill in, and why. */
struct dns_unfilled {
	char *owner;	/* absolute, with the trailing dot */
	const char *type;	/* static: "A", "AAAA", "TLSA" */
	char *reason;
};

struct dns_records {
	char *domain;		/* "example.com" */
	ldns_rdf *apex;		/* "example.com." */
	ldns_rr_list *rrs;	/* in output order; an RRset's RRs adjacent */
	struct dns_unfilled *unfilled;
	size_t n_unfilled;
	char *sts_policy;	/* the MTA-STS policy text */
	char *sts_url;		/* where it must be served */
};

int dns_records_build(struct dns_state *st, const struct webstack_mail *mail,
		      const struct webstack_directory *dir, const char *domain,
		      struct dns_records *rec, const char **err_r);
void dns_records_free(struct dns_records *rec);

/* Reports each unfilled record as "<owner> <TYPE>" with the value
 * "<prefix>: <reason>". */
void dns_report_unfilled(const struct dns_records *rec, struct webstack_report *r,
			 const char *prefix, int ok);

/* 1 when rr is the apex TXT that holds the SPF record: that RRset is shared
 * with other TXT (site verifications), so only "v=spf1" RRs are ours. */
int dns_is_apex_txt(const struct dns_records *rec, const ldns_rr *rr);
/* 1 when a TXT RR's text starts with the SPF version "v=spf1". */
int dns_is_spf(const ldns_rr *rr);
/* 1 when owner is the apex or below it. */
int dns_in_zone(const struct dns_records *rec, const ldns_rdf *owner);
/* 1 when rrs[i] is the first RR of its owner/type in rrs. */
int dns_rrset_first(const ldns_rr_list *rrs, size_t i);
/* Clones of the RRs of rrs with rr's owner and type. */
ldns_rr_list *dns_rrset_of(const ldns_rr_list *rrs, const ldns_rr *rr);
/* "<owner> <TYPE>" for reports; caller frees. */
char *dns_rrset_name(const ldns_rr *rr);
/* The rdata in presentation format, fields separated by one space; caller
 * frees. */
char *dns_rdata_str(const ldns_rr *rr);
/* The text of a TXT RR, its character-strings concatenated; caller frees. */
char *dns_txt_text(const ldns_rr *rr);

/* ---- dns_tlsa.c ---- */

/* hex_r (65 bytes) gets the SHA-256 of the first certificate's
 * SubjectPublicKeyInfo in pem. Returns 0 or -EINVAL with *why set (a
 * static string). */
int dns_spki_sha256(const char *pem, size_t len, char hex_r[65], const char **why);

/* ---- dns_json.c ---- */

/* Appends s as a JSON string literal (RFC 8259), quotes included. */
void dns_json_str(struct mbuf *b, const char *s);

/* ---- dns_render.c ---- */

/* Appends rec in format ("zone", "json", "nsupdate"); -EINVAL for an
 * unknown format. */
int dns_render(struct dns_state *st, const struct dns_records *rec,
	       const char *format, struct mbuf *out, const char **err_r);

/* ---- dns_server.c ---- */

/* Parses "ADDR", "ADDR:PORT" or "[V6]:PORT" (port default 53). addr_r gets
 * the address literal. Returns 0 or -EINVAL with *why set (static). */
int dns_server_parse(const char *server, char addr_r[64], uint16_t *port_r,
		     const char **why);
/* A resolver asking server (non-recursive) or, when server is NULL, the
 * system's resolvers (/etc/resolv.conf). Caller frees with
 * ldns_resolver_deep_free(). */
int dns_resolver(struct dns_state *st, const char *server, ldns_resolver **res_r,
		 const char **err_r);
/* Asks res (server, NULL: the system's resolvers, for messages) for
 * owner/type; *got_r gets the answer's RRs of that owner and type (maybe
 * empty; caller frees). -EIO when no answer or a server error other than
 * NXDOMAIN. */
int dns_query(struct dns_state *st, ldns_resolver *res, const char *server,
	      const ldns_rdf *owner, ldns_rr_type type, ldns_rr_list **got_r,
	      const char **err_r);

/* ---- dns_tsig.c ---- */

struct dns_tsig {
	char name[256];		/* "ws-update." */
	char algorithm[32];	/* ldns's name: "hmac-sha256." */
	char secret[512];	/* base64 */
};

/* Parses the text of a key file: "[# ][hmac-]ALG:NAME:SECRET" (first line),
 * Knot's YAML key block or BIND's key statement. Returns 0 or -EINVAL with
 * *why set (static, never holding the secret). */
int dns_tsig_parse(const char *text, size_t len, struct dns_tsig *k,
		   const char **why);
/* Overwrites the key, also where the compiler would skip a memset. */
void dns_tsig_wipe(struct dns_tsig *k);

/* ---- dns_update.c ---- */

/* The update for rec: per managed RRset inside the zone a delete of the
 * RRset (class ANY) and then the adds; for the apex TXT only the "v=spf1"
 * RRs of apex_txt (what the server has; NULL: unknown, then our own SPF
 * value) are deleted by value (class NONE). RRsets outside the zone are
 * left out. Caller frees the list. */
ldns_rr_list *dns_update_rrs(const struct dns_records *rec,
			     const ldns_rr_list *apex_txt);

/* Sends rec to server as one TSIG-signed update over TCP and reports each
 * RRset. */
int dns_push(struct dns_state *st, const struct dns_records *rec,
	     const char *server, const struct dns_tsig *key,
	     struct webstack_report *r, const char **err_r);

/* ---- dns_check.c ---- */

int dns_check(struct dns_state *st, const struct dns_records *rec,
	      const char *server, struct webstack_report *r, const char **err_r);

#endif
