/* check(): ask for every expected RRset and compare, ignoring TTLs. TXT
 * records compare by their text, so a record published with another split
 * into character-strings still matches. At the apex only the "v=spf1" TXT
 * is ours; other TXT there are left out of the comparison. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

/* What identifies an RR's data: a TXT's text, else its canonical rdata
 * (names lowercased). */
static char *rr_value(const ldns_rr *rr)
{
	ldns_rr *c;
	char *s;

	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT)
		return dns_txt_text(rr);
	c = ldns_rr_clone(rr);
	ldns_rr2canonical(c);
	s = dns_rdata_str(c);
	ldns_rr_free(c);
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted values of set; caller frees each and the array. */
static char **values(const ldns_rr_list *set)
{
	size_t n = ldns_rr_list_rr_count(set);
	char **v = calloc(n + 1, sizeof(*v));

	for (size_t i = 0; v && i < n; i++)
		v[i] = rr_value(ldns_rr_list_rr(set, i));
	if (v)
		qsort(v, n, sizeof(*v), cmp_str);
	return v;
}

static void free_values(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int same(const ldns_rr_list *want, const ldns_rr_list *got)
{
	size_t n = ldns_rr_list_rr_count(want);
	char **a, **b;
	int eq = n == ldns_rr_list_rr_count(got);

	if (!eq)
		return 0;
	a = values(want);
	b = values(got);
	for (size_t i = 0; eq && i < n; i++)
		eq = a && b && a[i] && b[i] && strcmp(a[i], b[i]) == 0;
	free_values(a);
	free_values(b);
	return eq;
}

/* "different: <data> | <data>" with what the server has. */
static void report_different(struct webstack_report *r, const char *name,
			     const ldns_rr_list *got)
{
	struct mbuf b = {0};

	mbuf_puts(&b, "different: ");
	for (size_t i = 0; i < ldns_rr_list_rr_count(got); i++) {
		char *d = dns_rdata_str(ldns_rr_list_rr(got, i));

		mbuf_printf(&b, "%s%s", i ? " | " : "", d ? d : "");
		free(d);
	}
	r->item(r, name, mbuf_failed(&b) ? "different" : b.s, 0);
	mbuf_free(&b);
}

/* Only the SPF RRs of the shared apex TXT RRset. */
static ldns_rr_list *only_spf(ldns_rr_list *got)
{
	ldns_rr_list *mine = ldns_rr_list_new();

	for (size_t i = 0; i < ldns_rr_list_rr_count(got); i++)
		if (dns_is_spf(ldns_rr_list_rr(got, i)))
			ldns_rr_list_push_rr(mine, ldns_rr_clone(ldns_rr_list_rr(got, i)));
	ldns_rr_list_deep_free(got);
	return mine;
}

static int check_rrset(struct dns_state *st, const struct dns_records *rec,
		       ldns_resolver *res, const char *server, const ldns_rr *rr,
		       struct webstack_report *r, const char **err_r)
{
	ldns_rr_list *want = dns_rrset_of(rec->rrs, rr), *got = NULL;
	char *name = dns_rrset_name(rr);
	int ret = dns_query(st, res, server, ldns_rr_owner(rr), ldns_rr_get_type(rr),
			    &got, err_r);

	if (ret == 0) {
		if (dns_is_apex_txt(rec, rr))
			got = only_spf(got);
		if (ldns_rr_list_rr_count(got) == 0)
			r->item(r, name ? name : "?", "missing", 0);
		else if (same(want, got))
			r->item(r, name ? name : "?", "match", 1);
		else
			report_different(r, name ? name : "?", got);
	}
	if (got)
		ldns_rr_list_deep_free(got);
	ldns_rr_list_deep_free(want);
	free(name);
	return ret;
}

int dns_check(struct dns_state *st, const struct dns_records *rec,
	      const char *server, struct webstack_report *r, const char **err_r)
{
	ldns_resolver *res = NULL;
	int ret = dns_resolver(st, server, &res, err_r);

	for (size_t i = 0; ret == 0 && i < ldns_rr_list_rr_count(rec->rrs); i++)
		if (dns_rrset_first(rec->rrs, i))
			ret = check_rrset(st, rec, res, server,
					  ldns_rr_list_rr(rec->rrs, i), r, err_r);
	if (ret == 0)
		dns_report_unfilled(rec, r, "not checked", 1);
	if (res)
		ldns_resolver_deep_free(res);
	return ret;
}
