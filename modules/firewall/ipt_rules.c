#include "config.h"

/* The text functions of the iptables module (see ipt_rules.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipt_rules.h"

#define DECL ":" IPT_CHAIN " - [0:0]\n"
#define RULE_PREFIX "-A " IPT_CHAIN " "

/* Lines compare without trailing blanks or '\r'. */
static size_t trimmed(const char *line, size_t n)
{
	while (n && strchr(" \t\r", line[n - 1]))
		n--;
	return n;
}

static int line_is(const char *line, size_t n, const char *s)
{
	n = trimmed(line, n);
	return n == strlen(s) && memcmp(line, s, n) == 0;
}

static int line_starts(const char *line, size_t n, const char *prefix)
{
	return n >= strlen(prefix) && memcmp(line, prefix, strlen(prefix)) == 0;
}

void ipt_render_rules(struct mbuf *b, const uint16_t *ports, size_t n_ports)
{
	if (!n_ports)
		return;
	mbuf_puts(b, RULE_PREFIX "-p tcp -m multiport --dports ");
	for (size_t i = 0; i < n_ports; i++)
		mbuf_printf(b, "%s%u", i ? "," : "", (unsigned)ports[i]);
	mbuf_puts(b, " -m comment --comment webstack -j ACCEPT\n");
}

void ipt_render_chain(struct mbuf *b, const char *rules)
{
	mbuf_puts(b, "*filter\n" DECL);
	mbuf_puts(b, rules);
	mbuf_puts(b, "COMMIT\n");
}

/* ---- iptables-persistent's files ---------------------------------------- */

/* What the first pass finds in the *filter section (lines start..end, the
 * COMMIT line, numbered from 1), and what the second pass has emitted. */
struct edit {
	const char *text, *end;
	const char *rules;	/* NULL: take ours out */
	struct mbuf *out;
	unsigned start, commit;
	unsigned last_decl;	/* the last other ':' line, else start */
	unsigned last_input;	/* the last other -A INPUT line, else 0 */
	unsigned first_rule;	/* the first -A WEBSTACK line, else 0 */
	int has_decl, has_jump;
	unsigned ours, others;	/* lines inside the section */
	int decl_done, jump_done, rules_done;
};

enum kind { OTHER, DECLARATION, JUMP, RULE };

static enum kind kind_of(const char *line, size_t n)
{
	if (line_is(line, n, ":" IPT_CHAIN) || line_starts(line, n, ":" IPT_CHAIN " "))
		return DECLARATION;
	if (line_is(line, n, IPT_JUMP))
		return JUMP;
	if (line_starts(line, n, RULE_PREFIX))
		return RULE;
	return OTHER;
}

static int find_section(void *arg, const char *line, size_t n, unsigned lineno)
{
	struct edit *e = arg;

	if (!e->start) {
		if (line_is(line, n, "*filter"))
			e->start = e->last_decl = lineno;
		return 0;
	}
	if (line_is(line, n, "COMMIT")) {
		e->commit = lineno;
		return 1;
	}
	switch (kind_of(line, n)) {
	case DECLARATION:
		e->has_decl = 1;
		break;
	case JUMP:
		e->has_jump = 1;
		break;
	case RULE:
		if (!e->first_rule)
			e->first_rule = lineno;
		break;
	case OTHER:
		e->others++;
		if (*line == ':')
			e->last_decl = lineno;
		else if (line_starts(line, n, "-A INPUT "))
			e->last_input = lineno;
		return 0;
	}
	e->ours++;
	return 0;
}

/* Our line of kind k at lineno: kept (the first declaration and jump),
 * replaced by the rules (the first rule) or dropped. */
static void emit_ours(struct edit *e, enum kind k, const char *line, size_t n,
		      unsigned lineno)
{
	if (!e->rules)
		return;
	if ((k == DECLARATION && !e->decl_done) || (k == JUMP && !e->jump_done)) {
		mbuf_add(e->out, line, n);
		mbuf_puts(e->out, "\n");
		*(k == JUMP ? &e->jump_done : &e->decl_done) = 1;
	} else if (k == RULE && lineno == e->first_rule) {
		mbuf_puts(e->out, e->rules);
		e->rules_done = 1;
	}
}

static int emit_line(void *arg, const char *line, size_t n, unsigned lineno)
{
	struct edit *e = arg;
	int inside = lineno > e->start && lineno < e->commit;
	int has_nl = line + n < e->end;

	/* taking ours out left the section empty: drop it */
	if (!e->rules && e->ours && !e->others && lineno >= e->start &&
	    lineno <= e->commit)
		return 0;
	if (inside && kind_of(line, n) != OTHER) {
		emit_ours(e, kind_of(line, n), line, n, lineno);
		return 0;
	}
	if (e->rules && lineno == e->commit && !e->rules_done)
		mbuf_puts(e->out, e->rules);
	mbuf_add(e->out, line, n + has_nl);
	if (!e->rules)
		return 0;
	if (lineno == e->last_decl && !e->has_decl)
		mbuf_puts(e->out, DECL);
	if (lineno == (e->last_input ? e->last_input : e->last_decl) && !e->has_jump)
		mbuf_puts(e->out, IPT_JUMP "\n");
	return 0;
}

void ipt_edit_saved(struct mbuf *out, const char *text, size_t len,
		    const char *rules)
{
	struct edit e = {.text = text, .end = text + len, .rules = rules, .out = out};
	struct mbuf with = {0};

	mbuf_each_line(text, len, find_section, &e);
	if (!e.commit) {
		if (!rules) {
			mbuf_add(out, text, len);
			return;
		}
		/* no *filter section: edit the file with an empty one added */
		mbuf_add(&with, text, len);
		if (len && text[len - 1] != '\n')
			mbuf_puts(&with, "\n");
		mbuf_puts(&with, "*filter\nCOMMIT\n");
		if (mbuf_failed(&with))
			out->failed = 1;
		else
			ipt_edit_saved(out, with.s, with.len, rules);
		mbuf_free(&with);
		return;
	}
	mbuf_each_line(text, len, emit_line, &e);
}

/* ---- the live rules ----------------------------------------------------- */

static int catches_all(const char *line, size_t n)
{
	return line_is(line, n, "-A INPUT -j DROP") ||
	       line_is(line, n, "-A INPUT -j REJECT") ||
	       line_starts(line, n, "-A INPUT -j REJECT --reject-with ");
}

static int parse_live_line(void *arg, const char *line, size_t n, unsigned lineno)
{
	struct ipt_live *l = arg;

	(void)lineno;
	n = trimmed(line, n);
	if (line_is(line, n, "-P INPUT DROP")) {
		l->policy_drop = 1;
	} else if (line_is(line, n, "-N " IPT_CHAIN)) {
		l->has_chain = 1;
	} else if (line_is(line, n, IPT_JUMP)) {
		l->jumps++;
	} else if (line_starts(line, n, RULE_PREFIX)) {
		mbuf_add(&l->rules, line, n);
		mbuf_puts(&l->rules, "\n");
	} else if (!l->jumps && !*l->blocker && catches_all(line, n)) {
		n = n < sizeof(l->blocker) ? n : sizeof(l->blocker) - 1;
		memcpy(l->blocker, line, n);
		l->blocker[n] = '\0';
	}
	return 0;
}

int ipt_parse_live(const char *text, struct ipt_live *l)
{
	memset(l, 0, sizeof(*l));
	mbuf_each_line(text, strlen(text), parse_live_line, l);
	mbuf_puts(&l->rules, "");	/* never NULL */
	return mbuf_failed(&l->rules) ? -ENOMEM : 0;
}

void ipt_live_free(struct ipt_live *l)
{
	mbuf_free(&l->rules);
}

static int port_in_line(void *arg, const char *line, size_t n, unsigned lineno)
{
	const uint16_t *port = arg;
	const char *key = " --dports ", *p, *end = line + n;

	(void)lineno;
	p = memmem(line, n, key, strlen(key));
	if (!p || !memmem(line, n, " -j ACCEPT", strlen(" -j ACCEPT")))
		return 0;
	for (p += strlen(key); p < end && *p != ' ';) {
		char *next;
		unsigned long v = strtoul(p, &next, 10);

		if (next == p)
			return 0;
		if (v == *port)
			return 1;
		p = next + (*next == ',');
	}
	return 0;
}

int ipt_rules_have_port(const char *rules, uint16_t port)
{
	return mbuf_each_line(rules, strlen(rules), port_in_line, &port);
}

/* ---- nftables ----------------------------------------------------------- */

struct nft_scan {
	struct mbuf *out;
	char table[128];	/* "inet fw", "" inside iptables-nft's tables */
	int reported;
};

static int nft_line(void *arg, const char *line, size_t n, unsigned lineno)
{
	struct nft_scan *s = arg;

	(void)lineno;
	if (line_starts(line, n, "table ")) {
		const char *name = line + 6;
		size_t len = trimmed(name, n - 6);

		if (len && name[len - 1] == '{')
			len = trimmed(name, len - 1);
		s->reported = 0;
		s->table[0] = '\0';
		if (len >= sizeof(s->table) || line_is(name, len, "ip filter") ||
		    line_is(name, len, "ip6 filter"))
			return 0;
		memcpy(s->table, name, len);
		s->table[len] = '\0';
	} else if (*s->table && !s->reported &&
		   memmem(line, n, "hook input", 10) &&
		   memmem(line, n, "policy drop", 11)) {
		mbuf_printf(s->out, "%s%s", s->out->len ? ", " : "", s->table);
		s->reported = 1;
	}
	return 0;
}

void ipt_nft_drop_tables(struct mbuf *out, const char *ruleset)
{
	struct nft_scan s = {.out = out};

	mbuf_each_line(ruleset, strlen(ruleset), nft_line, &s);
}
