/* push(): one RFC 2136 update, signed with TSIG, sent over TCP (it is
 * larger than 512 bytes). One packet, so the server applies all of it or
 * nothing. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

static ldns_rr *delete_rr(const ldns_rr *like, ldns_rr_class class)
{
	ldns_rr *del;

	if (class == LDNS_RR_CLASS_NONE) {	/* one RR by value (2.5.4) */
		del = ldns_rr_clone(like);
	} else {			/* the RRset: no rdata (2.5.2) */
		del = ldns_rr_new();
		ldns_rr_set_owner(del, ldns_rdf_clone(ldns_rr_owner(like)));
		ldns_rr_set_type(del, ldns_rr_get_type(like));
	}
	ldns_rr_set_class(del, class);
	ldns_rr_set_ttl(del, 0);
	return del;
}

/* The apex TXT RRset is shared: delete only the SPF RRs, by value. */
static void delete_spf(const ldns_rr *ours, const ldns_rr_list *apex_txt,
		       ldns_rr_list *up)
{
	if (!apex_txt) {
		ldns_rr_list_push_rr(up, delete_rr(ours, LDNS_RR_CLASS_NONE));
		return;
	}
	for (size_t k = 0; k < ldns_rr_list_rr_count(apex_txt); k++)
		if (dns_is_spf(ldns_rr_list_rr(apex_txt, k)))
			ldns_rr_list_push_rr(up, delete_rr(ldns_rr_list_rr(apex_txt, k),
							   LDNS_RR_CLASS_NONE));
}

ldns_rr_list *dns_update_rrs(const struct dns_records *rec,
			     const ldns_rr_list *apex_txt)
{
	ldns_rr_list *up = ldns_rr_list_new();
	size_t n = ldns_rr_list_rr_count(rec->rrs);

	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rec->rrs, i);

		if (!dns_in_zone(rec, ldns_rr_owner(rr)) || !dns_rrset_first(rec->rrs, i))
			continue;
		if (dns_is_apex_txt(rec, rr))
			delete_spf(rr, apex_txt, up);
		else
			ldns_rr_list_push_rr(up, delete_rr(rr, LDNS_RR_CLASS_ANY));
	}
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rec->rrs, i);

		if (dns_in_zone(rec, ldns_rr_owner(rr)))
			ldns_rr_list_push_rr(up, ldns_rr_clone(rr));
	}
	return up;
}

/* One item per RRset: replaced, or why it was not pushed. */
static void report(const struct dns_records *rec, struct webstack_report *r)
{
	char why[400];

	for (size_t i = 0; i < ldns_rr_list_rr_count(rec->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rec->rrs, i);
		char *name;
		int inside = dns_in_zone(rec, ldns_rr_owner(rr));

		if (!dns_rrset_first(rec->rrs, i))
			continue;
		name = dns_rrset_name(rr);
		snprintf(why, sizeof(why), "not pushed: outside zone %s.: publish it "
			 "in its own zone", rec->domain);
		r->item(r, name ? name : "?", inside ? "replaced" : why, inside);
		free(name);
	}
	dns_report_unfilled(rec, r, "not pushed", 0);
}

/* Signs with the key (the resolver keeps a copy of the secret, wiped in
 * release()), sends over TCP and checks the answer and its signature. */
static int send_update(struct dns_state *st, ldns_resolver *res, ldns_pkt *pkt,
		       const char *server, const struct dns_tsig *key,
		       const char **err_r)
{
	ldns_pkt *answer = NULL;
	ldns_status s;
	ldns_lookup_table *rc;

	ldns_resolver_set_tsig_keyname(res, key->name);
	ldns_resolver_set_tsig_algorithm(res, key->algorithm);
	ldns_resolver_set_tsig_keydata(res, key->secret);
	s = ldns_update_pkt_tsig_add(pkt, res);
	if (s != LDNS_STATUS_OK)
		return dns_fail(st, err_r, EINVAL, "TSIG key %s: %s", key->name,
				ldns_get_errorstr_by_id(s));
	ldns_resolver_set_usevc(res, true);
	s = ldns_send(&answer, res, pkt);
	rc = answer ? ldns_lookup_by_id(ldns_rcodes, ldns_pkt_get_rcode(answer)) : NULL;
	if (answer && ldns_pkt_get_rcode(answer) != LDNS_RCODE_NOERROR)
		dns_fail(st, err_r, EIO, "server %s refused the update: %s%s",
			 server, rc ? rc->name : "error",
			 ldns_pkt_get_rcode(answer) == LDNS_RCODE_NOTAUTH
				 ? " (wrong TSIG key, or the key may not update the zone)"
				 : "");
	else if (s != LDNS_STATUS_OK)
		dns_fail(st, err_r, EIO, "server %s: %s", server, ldns_get_errorstr_by_id(s));
	ldns_pkt_free(answer);
	return s == LDNS_STATUS_OK && rc && rc->id == LDNS_RCODE_NOERROR ? 0 : -EIO;
}

static void release(ldns_resolver *res)
{
	const char *secret = ldns_resolver_tsig_keydata(res);

	if (secret)
		explicit_bzero((char *)secret, strlen(secret));
	ldns_resolver_deep_free(res);
}

int dns_push(struct dns_state *st, const struct dns_records *rec,
	     const char *server, const struct dns_tsig *key,
	     struct webstack_report *r, const char **err_r)
{
	ldns_resolver *res = NULL;
	ldns_rr_list *apex_txt = NULL, *up = NULL;
	ldns_pkt *pkt = NULL;
	int ret;

	if (!server)
		return dns_fail(st, err_r, EINVAL, "push needs the server to update");
	ret = dns_resolver(st, server, &res, err_r);
	if (ret == 0)
		ret = dns_query(st, res, server, rec->apex, LDNS_RR_TYPE_TXT, &apex_txt,
				err_r);
	if (ret == 0) {
		up = dns_update_rrs(rec, apex_txt);
		pkt = ldns_update_pkt_new(ldns_rdf_clone(rec->apex), LDNS_RR_CLASS_IN,
					  NULL, up, NULL);	/* clones the lists */
		ldns_pkt_set_random_id(pkt);
		ldns_pkt_set_rd(pkt, false);	/* ldns_update_pkt_new sets RD */
		ret = send_update(st, res, pkt, server, key, err_r);
	}
	if (ret == 0)
		report(rec, r);
	if (pkt)
		ldns_pkt_free(pkt);
	if (up)
		ldns_rr_list_deep_free(up);
	if (apex_txt)
		ldns_rr_list_deep_free(apex_txt);
	if (res)
		release(res);
	return ret;
}
