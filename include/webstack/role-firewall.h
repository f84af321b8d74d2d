/*
 * NAME
 *	webstack/role-firewall.h - ops of the firewall role (exclusive)
 *
 * DESCRIPTION
 *	open() makes the firewall allow exactly the given TCP ports (IPv4 and
 *	IPv6) in what the module owns, replacing what it opened before; close()
 *	removes everything the module added; status() reports what is open and
 *	any rule of the host that still blocks a port. Touch nothing the module
 *	does not own. All three ops are required.
 *
 *	Ownership: ports and r are borrowed for the call.
 *
 * CHANGELOG
 *	2026-11-25  ABI 1.0  open, close, status.
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
