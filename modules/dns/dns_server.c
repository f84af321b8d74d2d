/* Which DNS server to ask: "ADDR", "ADDR:PORT", "[V6]:PORT" (asked
 * without recursion, as an authority), or the system's resolvers. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

static int parse_port(const char *s, uint16_t *port_r)
{
	char *end;
	unsigned long p;

	if (*s < '0' || *s > '9')
		return -1;
	p = strtoul(s, &end, 10);
	if (*end || p == 0 || p > 65535)
		return -1;
	*port_r = (uint16_t)p;
	return 0;
}

int dns_server_parse(const char *server, char addr_r[64], uint16_t *port_r,
		     const char **why)
{
	static const char usage[] = "expected ADDR, ADDR:PORT or [IPV6]:PORT "
		"with an IP address literal and a port 1-65535";
	const char *colon = strchr(server, ':'), *addr = server, *port = NULL;
	unsigned char bin[16];
	size_t n = strlen(server);

	*port_r = 53;
	if (server[0] == '[') {	/* [v6] or [v6]:port */
		const char *close = strchr(server, ']');

		if (!close || (close[1] && close[1] != ':'))
			return *why = usage, -EINVAL;
		addr = server + 1;
		n = (size_t)(close - addr);
		port = close[1] ? close + 2 : NULL;
	} else if (colon && !strchr(colon + 1, ':')) {	/* v4:port */
		n = (size_t)(colon - server);
		port = colon + 1;
	}
	if (n == 0 || n >= 64)
		return *why = usage, -EINVAL;
	memcpy(addr_r, addr, n);
	addr_r[n] = '\0';
	if (inet_pton(strchr(addr_r, ':') ? AF_INET6 : AF_INET, addr_r, bin) != 1 ||
	    (port && parse_port(port, port_r) < 0))
		return *why = usage, -EINVAL;
	return 0;
}

int dns_resolver(struct dns_state *st, const char *server, ldns_resolver **res_r,
		 const char **err_r)
{
	ldns_resolver *res = NULL;
	char addr[64];
	const char *why = NULL;
	uint16_t port;

	if (!server) {
		ldns_status s = ldns_resolver_new_frm_file(&res, NULL);

		if (s != LDNS_STATUS_OK)
			return dns_fail(st, err_r, EIO, "the system's resolvers "
					"(/etc/resolv.conf): %s; name one with --server",
					ldns_get_errorstr_by_id(s));
	} else {
		ldns_rdf *ns;

		if (dns_server_parse(server, addr, &port, &why) < 0)
			return dns_fail(st, err_r, EINVAL, "server '%s': %s", server, why);
		ns = ldns_rdf_new_frm_str(strchr(addr, ':') ? LDNS_RDF_TYPE_AAAA
							    : LDNS_RDF_TYPE_A, addr);
		res = ldns_resolver_new();
		if (!ns || !res) {
			ldns_rdf_deep_free(ns);
			ldns_resolver_free(res);
			return dns_fail(st, err_r, ENOMEM, "out of memory");
		}
		ldns_resolver_push_nameserver(res, ns);	/* copies */
		ldns_rdf_deep_free(ns);
		ldns_resolver_set_port(res, port);
		ldns_resolver_set_recursive(res, false);	/* ask the authority */
	}
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_timeout(res, (struct timeval){.tv_sec = st->opt.timeout});
	*res_r = res;
	return 0;
}

int dns_query(struct dns_state *st, ldns_resolver *res, const char *server,
	      const ldns_rdf *owner, ldns_rr_type type, ldns_rr_list **got_r,
	      const char **err_r)
{
	const char *who = server ? server : "the system's resolvers";
	ldns_pkt *p = ldns_resolver_query(res, owner, type, LDNS_RR_CLASS_IN, 0);
	ldns_pkt_rcode rc;
	ldns_rr_list *got;

	if (!p) {
		char *name = ldns_rdf2str(owner);

		dns_fail(st, err_r, EIO, "%s: no answer for %s within %u s: is the "
			 "server running and reachable?", who, name ? name : "?",
			 st->opt.timeout);
		free(name);
		return -EIO;
	}
	rc = ldns_pkt_get_rcode(p);
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, rc);

		ldns_pkt_free(p);
		return dns_fail(st, err_r, EIO, "%s answered %s: is it "
				"authoritative for the domain?", who, t ? t->name : "an error");
	}
	got = ldns_pkt_rr_list_by_name_and_type(p, owner, type, LDNS_SECTION_ANSWER);
	ldns_pkt_free(p);
	*got_r = got ? got : ldns_rr_list_new();
	return 0;
}
