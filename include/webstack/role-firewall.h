/*
 * NAME
 *	webstack/role-firewall.h - ops of the firewall role (exclusive)
 *
 * DESCRIPTION
 *	open() makes the firewall allow exactly the given TCP ports (IPv4 and
 *	IPv6) in what the module owns, replacing what it opened before: it
 *	stages its files (the rules loaded at boot) and defers applying the
 *	rules to the running kernel, in one atomic step where the tool allows.
 *	Opening twice gives the same ruleset. Before staging anything it
 *	checks that the tool is there and the kernel takes the rules, and
 *	returns -EOPNOTSUPP (exit 69) when not. close() does the same for
 *	removing everything the module added, and nothing when nothing is
 *	there. status() reports, per port and address family, whether it is
 *	open, and any policy or rule of the host that still blocks it (ok 0).
 *	Touch nothing the module does not own. All three ops are required.
 *
 *	Ownership: ports and r are borrowed for the call.
 *
 * CHANGELOG
 *	2026-11-25  ABI 1.0  open, close, status.
 *	2026-11-26  ABI 1.0  (unreleased) the contract above made precise:
 *	                     staged files, deferred apply, -EOPNOTSUPP.
 */
#ifndef WEBSTACK_ROLE_FIREWALL_H
#define WEBSTACK_ROLE_FIREWALL_H

#include <stddef.h>
#include <stdint.h>
#include <webstack/mail.h>

struct webstack_firewall_ops {
	int (*open)(void *state, const uint16_t *ports, size_t n_ports,
		    const char **err_r);
	int (*close)(void *state, const char **err_r);
	int (*status)(void *state, const uint16_t *ports, size_t n_ports,
		      struct webstack_report *r, const char **err_r);
};

#endif
