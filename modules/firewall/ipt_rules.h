/* ipt_rules.h - the text side of the module "iptables": the chain file
 * webstack loads with iptables-restore, its edit of iptables-persistent's
 * rules files, and what `iptables -S` and `nft list ruleset` say.
 *
 * webstack owns one chain, IPT_CHAIN, in the filter table of each family,
 * and one jump to it appended to INPUT. The rule text is written the way
 * iptables-save prints it, so a live chain, a saved file and our own text
 * compare line for line.
 *
 * Ownership: rendered and edited text goes into the caller's mbuf; the
 * inputs are borrowed; struct ipt_live owns its chain buffer
 * (ipt_live_free()). */
#ifndef WS_IPT_RULES_H
#define WS_IPT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "mbuf.h"

#define IPT_CHAIN "WEBSTACK"
#define IPT_JUMP "-A INPUT -j " IPT_CHAIN

/* The chain's rules: one ACCEPT for the ports, in their order; none
 * without ports. */
void ipt_render_rules(struct mbuf *b, const uint16_t *ports, size_t n_ports);
/* The file for `iptables-restore --noflush`: declares the chain (which
 * flushes it) and fills it with rules (ipt_render_rules()'s text). */
void ipt_render_chain(struct mbuf *b, const char *rules);

/* A rules file of iptables-persistent (iptables-save format) with the
 * chain's declaration, the rules and the jump in its *filter section
 * (added when missing), or, with rules NULL, with all three taken out (and
 * the *filter section when nothing else is left in it). Every other line
 * is kept byte for byte. */
void ipt_edit_saved(struct mbuf *out, const char *text, size_t len,
		    const char *rules);

/* What `iptables -S` (the filter table) shows of ours and before ours. */
struct ipt_live {
	int has_chain;		/* -N WEBSTACK */
	unsigned jumps;		/* IPT_JUMP lines */
	int policy_drop;	/* -P INPUT DROP */
	char blocker[128];	/* an unconditional DROP or REJECT in INPUT
				 * before the first jump, or "" */
	struct mbuf rules;	/* the chain's -A lines, each ending in '\n' */
};

/* Returns 0, or -ENOMEM. */
int ipt_parse_live(const char *text, struct ipt_live *l);
void ipt_live_free(struct ipt_live *l);
/* Whether rules (ipt_render_rules()'s format) accept TCP port. */
int ipt_rules_have_port(const char *rules, uint16_t port);

/* Appends "family name" and ", " between them for each table of
 * `nft list ruleset` that has an input hook with policy drop, leaving out
 * iptables-nft's own "ip filter" and "ip6 filter". */
void ipt_nft_drop_tables(struct mbuf *out, const char *ruleset);

#endif
