/* nft_rules.h - the text of the nftables module: what `nft -a list
 * ruleset` says, and the scripts and files the module writes.
 *
 * webstack owns the table "inet webstack" (a set of the open ports and a
 * base input chain that accepts them) and, in every other table's base
 * input chain whose policy is drop, one rule that accepts the same ports,
 * marked with comment "webstack": an accept in one table cannot override
 * a drop in another, so that rule is what opens the ports there.
 *
 * Ownership: a struct nft_ruleset owns its arrays (nft_ruleset_free());
 * rendered text goes into the caller's mbuf; ports are borrowed. */
#ifndef WS_NFT_RULES_H
#define WS_NFT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "mbuf.h"

#define NFT_TABLE "webstack"
#define NFT_COMMENT "webstack"
#define NFT_MAX_PORTS 64
#define NFT_MAX_RULES 8

struct nft_chain {
	char family[8], table[64], name[64];
	int policy_drop;	/* a base input chain with policy drop */
	int iptables;		/* made by iptables-nft ("ip filter INPUT"):
				 * native rules there break iptables-save */
	int blocks;		/* an unconditional drop or reject before ours */
	unsigned long ours[NFT_MAX_RULES];	/* handles of our rules */
	size_t n_ours;
	uint16_t ports[NFT_MAX_PORTS];		/* what our first rule opens */
	size_t n_ports;
};

struct nft_ruleset {
	struct nft_chain *chains;	/* base input chains, ours excluded */
	size_t n_chains;
	int have_table;			/* inet webstack exists */
	uint16_t ports[NFT_MAX_PORTS];	/* the elements of its set */
	size_t n_ports;
};

/* Parses the output of `nft -a list ruleset`; -1 when it makes no sense. */
int nft_parse(const char *text, struct nft_ruleset *rs);
void nft_ruleset_free(struct nft_ruleset *rs);

/* The argument of one `nft` run (statements one per line) that makes
 * exactly ports open (open) or removes all that is webstack's (close;
 * empty when there is nothing). */
void nft_open_script(struct mbuf *b, const struct nft_ruleset *rs,
		     const uint16_t *ports, size_t n);
void nft_close_script(struct mbuf *b, const struct nft_ruleset *rs);

/* The file /etc/nftables.conf includes, for the next boot. */
void nft_boot_file(struct mbuf *b, const struct nft_ruleset *rs,
		   const uint16_t *ports, size_t n);

/* /etc/nftables.conf with (add 1) or without (add 0) the include of path;
 * every other line stays as it is. */
void nft_edit_conf(struct mbuf *b, const char *text, size_t len,
		   const char *path, int add);

/* 1 when the (sorted) port lists hold the same ports. */
int nft_same_ports(const uint16_t *a, size_t na, const uint16_t *b, size_t nb);

#endif
