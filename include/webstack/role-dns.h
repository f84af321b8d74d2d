/*
 * NAME
 *	webstack/role-dns.h - ops of the dns role (exclusive)
 *
 * DESCRIPTION
 *	The records a mail domain needs follow from mail (host name, public
 *	addresses, certificate, enabled services) and dir (the domain, its
 *	DKIM keys). domain is one of dir's domains, already normalised.
 *
 *	render() writes them in format "zone", "json" or "nsupdate" into a
 *	malloc()ed, NUL-terminated buffer *out_r that the caller frees.
 *	Records that cannot be filled in (no public address configured) are
 *	listed as such, never invented.
 *
 *	check() asks server ("ADDR" or "ADDR:PORT", "[v6]:PORT"; NULL: the
 *	system's resolver) for every expected record and reports one item per
 *	record into r: check is "<owner> <TYPE>", value is "match", "missing",
 *	"different: <what the server has>" or "not checked: <why>", ok is 1
 *	for match and not checked.
 *
 *	push() sends the records to server as one RFC 2136 update signed with
 *	the TSIG key (tsig_key: the text of a key file, tsig_len bytes; a
 *	secret, never logged), replacing only the records webstack manages,
 *	and reports one item per record set it replaced.
 *
 *	All three are required. They return 0, or -errno: -EINVAL for a bad
 *	server or key, -EIO when the server did not answer or refused.
 *
 *	Ownership: mail, dir, domain, format, server, tsig_key and r are
 *	borrowed for the call.
 *
 * CHANGELOG
 *	2026-11-25  ABI 1.0  render.
 *	2026-11-26  ABI 1.0  (unreleased, amended) render() gets the
 *	                     directory; check() and push().
 */
#ifndef WEBSTACK_ROLE_DNS_H
#define WEBSTACK_ROLE_DNS_H

#include <webstack/mail.h>

struct webstack_dns_ops {
	int (*render)(void *state, const struct webstack_mail *mail,
		      const struct webstack_directory *dir, const char *domain,
		      const char *format, char **out_r, const char **err_r);
	int (*check)(void *state, const struct webstack_mail *mail,
		     const struct webstack_directory *dir, const char *domain,
		     const char *server, struct webstack_report *r,
		     const char **err_r);
	int (*push)(void *state, const struct webstack_mail *mail,
		    const struct webstack_directory *dir, const char *domain,
		    const char *server, const char *tsig_key, size_t tsig_len,
		    struct webstack_report *r, const char **err_r);
};

#endif
