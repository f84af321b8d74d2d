#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_rules.h"

#define INCLUDE_COMMENT "# webstack: the mail ports (webstack mail firewall open)"

/* ---- parsing `nft -a list ruleset` ------------------------------------- */

struct parser {
	struct nft_ruleset *rs;
	int depth;
	char family[8], table[64];
	int in_chain, in_set, in_elements;
	struct nft_chain chain;	/* the one being read */
	int base_input;
};

static int ours(const struct parser *p)
{
	return strcmp(p->family, "inet") == 0 && strcmp(p->table, NFT_TABLE) == 0;
}

/* The numbers in s (up to end), appended to ports. */
static void numbers(const char *s, const char *end, uint16_t *ports, size_t *n)
{
	while (s < end) {
		if (*s >= '0' && *s <= '9') {
			unsigned long v = strtoul(s, (char **)&s, 10);

			if (v <= 65535 && *n < NFT_MAX_PORTS)
				ports[(*n)++] = (uint16_t)v;
		} else {
			s++;
		}
	}
}

static void braces(const char *s, size_t n, int *open, int *close)
{
	int quoted = 0;

	*open = *close = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '{')
			(*open)++;
		else if (!quoted && s[i] == '}')
			(*close)++;
	}
}

static int starts(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	return n >= w && memcmp(s, word, w) == 0;
}

static const char *last(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	const char *found = NULL, *p = s;

	while ((p = memmem(p, n - (size_t)(p - s), needle, k))) {
		found = p;
		p++;
	}
	return found;
}

/* One rule line of a chain: "<rule> # handle N". */
static void rule_line(struct parser *p, const char *s, size_t n)
{
	static const char mark[] = "comment \"" NFT_COMMENT "\"";
	const char *h = last(s, n, " # handle "), *open, *close;
	size_t body;

	if (!h)
		return;
	body = (size_t)(h - s);
	if (memmem(s, body, mark, sizeof(mark) - 1)) {
		if (p->chain.n_ours == NFT_MAX_RULES)
			return;
		open = memchr(s, '{', body);
		close = open ? memchr(open, '}', body - (size_t)(open - s)) : NULL;
		if (!p->chain.n_ours && close)
			numbers(open, close, p->chain.ports, &p->chain.n_ports);
		p->chain.ours[p->chain.n_ours++] = strtoul(h + 10, NULL, 10);
		return;
	}
	if (!p->chain.n_ours &&
	    ((body == 4 && memcmp(s, "drop", 4) == 0) ||
	     (body == 6 && memcmp(s, "reject", 6) == 0) || starts(s, body, "reject with ")))
		p->chain.blocks = 1;
}

static void end_chain(struct parser *p)
{
	struct nft_ruleset *rs = p->rs;

	if (p->base_input && !ours(p) &&
	    (!strcmp(p->family, "inet") || !strcmp(p->family, "ip") ||
	     !strcmp(p->family, "ip6"))) {
		p->chain.iptables = strcmp(p->family, "inet") != 0 &&
				    !strcmp(p->table, "filter") &&
				    !strcmp(p->chain.name, "INPUT");
		rs->chains = realloc(rs->chains, (rs->n_chains + 1) * sizeof(*rs->chains));
		if (rs->chains)
			rs->chains[rs->n_chains++] = p->chain;
		else
			rs->n_chains = 0;
	}
	p->in_chain = 0;
}

static int parse_line(void *arg, const char *line, size_t n, unsigned lineno)
{
	struct parser *p = arg;
	int open, close;

	(void)lineno;
	while (n && (*line == ' ' || *line == '\t'))
		line++, n--;
	braces(line, n, &open, &close);
	if (p->in_elements) {
		numbers(line, line + n, p->rs->ports, &p->rs->n_ports);
		p->in_elements = !close;
	} else if (p->depth == 0 && starts(line, n, "table ")) {
		if (sscanf(line, "table %7s %63s", p->family, p->table) != 2)
			return -1;
	} else if (p->depth == 1 && starts(line, n, "chain ")) {
		memset(&p->chain, 0, sizeof(p->chain));
		strcpy(p->chain.family, p->family);
		strcpy(p->chain.table, p->table);
		if (sscanf(line, "chain %63s", p->chain.name) != 1)
			return -1;
		p->in_chain = 1;
		p->base_input = 0;
	} else if (p->depth == 1 && starts(line, n, "set mail_tcp ") && ours(p)) {
		p->in_set = 1;
		p->rs->have_table = 1;
	} else if (p->depth == 2 && p->in_set && starts(line, n, "elements = {")) {
		numbers(line + 12, line + n, p->rs->ports, &p->rs->n_ports);
		p->in_elements = !close;
	} else if (p->depth == 2 && p->in_chain && starts(line, n, "type ")) {
		p->base_input = memmem(line, n, " hook input ", 12) != NULL;
		p->chain.policy_drop = memmem(line, n, "policy drop;", 12) != NULL;
	} else if (p->depth == 2 && p->in_chain && n) {
		rule_line(p, line, n);
	}
	if (ours(p))
		p->rs->have_table = 1;
	p->depth += open - close;
	if (p->depth < 0)
		return -1;
	if (p->depth == 1 && close > open) {
		if (p->in_chain)
			end_chain(p);
		p->in_set = 0;
	}
	return 0;
}

int nft_parse(const char *text, struct nft_ruleset *rs)
{
	struct parser p = {.rs = rs};

	memset(rs, 0, sizeof(*rs));
	if (mbuf_each_line(text, strlen(text), parse_line, &p) != 0 || p.depth != 0) {
		nft_ruleset_free(rs);
		return -1;
	}
	return 0;
}

void nft_ruleset_free(struct nft_ruleset *rs)
{
	free(rs->chains);
	memset(rs, 0, sizeof(*rs));
}

/* ---- what the module writes ----------------------------------------------- */

static void port_list(struct mbuf *b, const uint16_t *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mbuf_printf(b, "%s%u", i ? ", " : "", (unsigned)ports[i]);
}

static void host_rule(struct mbuf *b, const uint16_t *ports, size_t n)
{
	mbuf_puts(b, "tcp dport { ");
	port_list(b, ports, n);
	mbuf_puts(b, " } accept comment \"" NFT_COMMENT "\"");
}

/* The table, replaced whole ("add" first, so that "delete" never fails):
 * nft takes the same text from a file and as one argument. */
static void table_text(struct mbuf *b, const uint16_t *ports, size_t n)
{
	mbuf_puts(b, "add table inet " NFT_TABLE "\ndelete table inet " NFT_TABLE "\n"
		  "table inet " NFT_TABLE " {\n\tset mail_tcp {\n\t\ttype inet_service\n");
	if (n) {
		mbuf_puts(b, "\t\telements = { ");
		port_list(b, ports, n);
		mbuf_puts(b, " }\n");
	}
	mbuf_puts(b, "\t}\n\tchain input {\n"
		  "\t\ttype filter hook input priority filter - 1; policy accept;\n"
		  "\t\ttcp dport @mail_tcp counter accept\n\t}\n}\n");
}

static int cmp_port(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

int nft_same_ports(const uint16_t *a, size_t na, const uint16_t *b, size_t nb)
{
	uint16_t x[NFT_MAX_PORTS], y[NFT_MAX_PORTS];

	if (na != nb || na > NFT_MAX_PORTS)
		return 0;
	memcpy(x, a, na * sizeof(*a));
	memcpy(y, b, nb * sizeof(*b));
	qsort(x, na, sizeof(*x), cmp_port);
	qsort(y, nb, sizeof(*y), cmp_port);
	return memcmp(x, y, na * sizeof(*x)) == 0;
}

static void chain_ref(struct mbuf *b, const char *verb, const struct nft_chain *c)
{
	mbuf_printf(b, "%s rule %s %s %s", verb, c->family, c->table, c->name);
}

void nft_open_script(struct mbuf *b, const struct nft_ruleset *rs,
		     const uint16_t *ports, size_t n)
{
	table_text(b, ports, n);
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct nft_chain *c = &rs->chains[i];
		int hook = c->policy_drop && !c->iptables && n;
		size_t keep = hook && c->n_ours &&
			      nft_same_ports(c->ports, c->n_ports, ports, n);

		for (size_t k = keep; k < c->n_ours; k++) {
			chain_ref(b, "delete", c);
			mbuf_printf(b, " handle %lu\n", c->ours[k]);
		}
		if (hook && !keep) {
			chain_ref(b, "add", c);
			mbuf_puts(b, " ");
			host_rule(b, ports, n);
			mbuf_puts(b, "\n");
		}
	}
}

void nft_close_script(struct mbuf *b, const struct nft_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_chains; i++)
		for (size_t k = 0; k < rs->chains[i].n_ours; k++) {
			chain_ref(b, "delete", &rs->chains[i]);
			mbuf_printf(b, " handle %lu\n", rs->chains[i].ours[k]);
		}
	if (rs->have_table)
		mbuf_puts(b, "delete table inet " NFT_TABLE "\n");
}

void nft_boot_file(struct mbuf *b, const struct nft_ruleset *rs,
		   const uint16_t *ports, size_t n)
{
	mbuf_puts(b, "# Written by webstack(8), module nftables: the mail ports that\n"
		  "# `webstack mail firewall open` opened. /etc/nftables.conf includes it.\n");
	table_text(b, ports, n);
	if (!n)
		return;
	/* "add" of a missing table or chain makes an empty one, so a chain
	 * that is gone at boot cannot make the whole file fail */
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct nft_chain *c = &rs->chains[i];

		if (!c->policy_drop || c->iptables)
			continue;
		mbuf_printf(b, "# %s %s %s drops by default: an accept in our table "
			    "cannot lift that\n", c->family, c->table, c->name);
		mbuf_printf(b, "add table %s %s\nadd chain %s %s %s\nadd rule %s %s %s ",
			    c->family, c->table, c->family, c->table, c->name,
			    c->family, c->table, c->name);
		host_rule(b, ports, n);
		mbuf_puts(b, "\n");
	}
}

static int is_line(const char *line, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(line, want, n) == 0;
}

void nft_edit_conf(struct mbuf *b, const char *text, size_t len,
		   const char *path, int add)
{
	char include[512];
	const char *p = text, *end = text + len;
	int found = 0;

	snprintf(include, sizeof(include), "include \"%s\"", path);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (is_line(p, n, include))
			found = 1;
		if (add || (!is_line(p, n, include) && !is_line(p, n, INCLUDE_COMMENT)))
			mbuf_add(b, p, n + (nl != NULL));
		p += n + (nl != NULL);
	}
	if (add && !found) {
		if (len && text[len - 1] != '\n')
			mbuf_puts(b, "\n");
		mbuf_printf(b, INCLUDE_COMMENT "\n%s\n", include);
	}
}
