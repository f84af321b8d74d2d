/* render(): the records as a zone file fragment, as JSON, or as the
 * nsupdate script that makes the same change push makes. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

static void unfilled_comments(const struct dns_records *rec, struct mbuf *out)
{
	for (size_t i = 0; i < rec->n_unfilled; i++)
		mbuf_printf(out, "; not filled in: %s %s: %s\n", rec->unfilled[i].owner,
			    rec->unfilled[i].type, rec->unfilled[i].reason);
}

/* Comment lines: the records that cannot be filled in and the MTA-STS
 * policy, which belongs on a web server, not in DNS. */
static void zone_comments(const struct dns_records *rec, struct mbuf *out)
{
	const char *p = rec->sts_policy;

	unfilled_comments(rec, out);
	mbuf_printf(out, "; MTA-STS policy, to serve at %s:\n", rec->sts_url);
	while (*p) {
		size_t n = strcspn(p, "\n");

		mbuf_printf(out, ";   %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static void render_zone(const struct dns_records *rec, struct mbuf *out)
{
	mbuf_printf(out, "; mail records of %s (webstack)\n", rec->domain);
	for (size_t i = 0; i < ldns_rr_list_rr_count(rec->rrs); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(rec->rrs, i));	/* ends in "\n" */

		mbuf_puts(out, s ? s : "");
		free(s);
	}
	zone_comments(rec, out);
}

static void json_txt_strings(const ldns_rr *rr, struct mbuf *out)
{
	mbuf_puts(out, ",\"strings\":[");
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const uint8_t *d = ldns_rdf_data(ldns_rr_rdf(rr, i));
		char s[256];

		memcpy(s, d + 1, d[0]);
		s[d[0]] = '\0';
		if (i)
			mbuf_puts(out, ",");
		dns_json_str(out, s);
	}
	mbuf_puts(out, "]");
}

static void json_record(const ldns_rr *rr, struct mbuf *out)
{
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
	char *data = dns_rdata_str(rr);

	mbuf_puts(out, "{\"owner\":");
	dns_json_str(out, owner ? owner : "");
	mbuf_printf(out, ",\"ttl\":%u,\"type\":", (unsigned)ldns_rr_ttl(rr));
	dns_json_str(out, type ? type : "");
	mbuf_puts(out, ",\"data\":");
	dns_json_str(out, data ? data : "");
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT)
		json_txt_strings(rr, out);
	mbuf_puts(out, "}");
	free(owner);
	free(type);
	free(data);
}

static void render_json(const struct dns_records *rec, struct mbuf *out)
{
	mbuf_puts(out, "{\"domain\":");
	dns_json_str(out, rec->domain);
	mbuf_puts(out, ",\"records\":[");
	for (size_t i = 0; i < ldns_rr_list_rr_count(rec->rrs); i++) {
		if (i)
			mbuf_puts(out, ",");
		json_record(ldns_rr_list_rr(rec->rrs, i), out);
	}
	mbuf_puts(out, "],\"unfilled\":[");
	for (size_t i = 0; i < rec->n_unfilled; i++) {
		mbuf_puts(out, i ? ",{\"owner\":" : "{\"owner\":");
		dns_json_str(out, rec->unfilled[i].owner);
		mbuf_puts(out, ",\"type\":");
		dns_json_str(out, rec->unfilled[i].type);
		mbuf_puts(out, ",\"reason\":");
		dns_json_str(out, rec->unfilled[i].reason);
		mbuf_puts(out, "}");
	}
	mbuf_puts(out, "],\"mta_sts\":{\"url\":");
	dns_json_str(out, rec->sts_url);
	mbuf_puts(out, ",\"policy\":");
	dns_json_str(out, rec->sts_policy);
	mbuf_puts(out, "}}\n");
}

/* One line of the update per RR: class ANY deletes an RRset, class NONE
 * one RR by value, class IN adds (RFC 2136 2.5). */
static void nsupdate_line(const ldns_rr *rr, struct mbuf *out)
{
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
	char *data = dns_rdata_str(rr);

	switch (ldns_rr_get_class(rr)) {
	case LDNS_RR_CLASS_ANY:
		mbuf_printf(out, "update delete %s %s\n", owner, type);
		break;
	case LDNS_RR_CLASS_NONE:
		mbuf_printf(out, "update delete %s %s %s\n", owner, type, data);
		break;
	default:
		mbuf_printf(out, "update add %s %u IN %s %s\n", owner,
			    (unsigned)ldns_rr_ttl(rr), type, data);
	}
	free(owner);
	free(type);
	free(data);
}

static void render_nsupdate(const struct dns_records *rec, struct mbuf *out)
{
	ldns_rr_list *up = dns_update_rrs(rec, NULL);

	mbuf_printf(out, "; mail records of %s (webstack). Another v=spf1 TXT at "
		    "%s. must be deleted by value first: push does that.\n",
		    rec->domain, rec->domain);
	unfilled_comments(rec, out);
	for (size_t i = 0; i < ldns_rr_list_rr_count(rec->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rec->rrs, i);
		char *name;

		if (dns_in_zone(rec, ldns_rr_owner(rr)) || !dns_rrset_first(rec->rrs, i))
			continue;
		name = dns_rrset_name(rr);
		mbuf_printf(out, "; outside zone %s.: %s\n", rec->domain, name);
		free(name);
	}
	mbuf_printf(out, "zone %s.\n", rec->domain);
	for (size_t i = 0; i < ldns_rr_list_rr_count(up); i++)
		nsupdate_line(ldns_rr_list_rr(up, i), out);
	mbuf_puts(out, "send\n");
	ldns_rr_list_deep_free(up);
}

int dns_render(struct dns_state *st, const struct dns_records *rec,
	       const char *format, struct mbuf *out, const char **err_r)
{
	if (strcmp(format, "zone") == 0)
		render_zone(rec, out);
	else if (strcmp(format, "json") == 0)
		render_json(rec, out);
	else if (strcmp(format, "nsupdate") == 0)
		render_nsupdate(rec, out);
	else
		return dns_fail(st, err_r, EINVAL, "format '%s': use zone, json or "
				"nsupdate", format);
	return mbuf_failed(out) ? dns_fail(st, err_r, ENOMEM, "out of memory") : 0;
}
