/*
 * NAME
 *	webstack/role-dns.h - ops of the dns role (exclusive)
 *
 * DESCRIPTION
 *	render() writes the records a mail domain needs in the requested format
 *	("zone", "json" or "nsupdate") into a malloc()ed, NUL-terminated buffer
 *	*out_r that the caller frees. Records that cannot be filled in are
 *	listed in the output as such, never invented. Required.
 *
 *	Ownership: mail, domain and format are borrowed for the call.
 *
 * CHANGELOG
 *	2026-11-25  ABI 1.0  render.
 */
#ifndef WEBSTACK_ROLE_DNS_H
#define WEBSTACK_ROLE_DNS_H

#include <webstack/mail.h>

struct webstack_dns_ops {
	int (*render)(void *state, const struct webstack_mail *mail,
		      const char *domain, const char *format, char **out_r,
		      const char **err_r);
};

#endif
