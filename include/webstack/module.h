/*
 * NAME
 *	webstack/module.h - the module descriptor and the ABI contract
 *
 * SYNOPSIS
 *	#include <webstack/module.h>
 *
 *	WEBSTACK_MODULE_DEFINE(mymod,
 *		.version = "1.0", .summary = "one line", .role = WEBSTACK_ROLE_FIREWALL,
 *		.cfg_opts = mymod_opts, .init = mymod_init, .fini = mymod_fini,
 *		WEBSTACK_ROLE_OPS(&mymod_firewall_ops));
 *
 * DESCRIPTION
 *	A module is one shared object that exports exactly one symbol, the const
 *	descriptor <name>_LTX_webstack_module, written by WEBSTACK_MODULE_DEFINE().
 *	Everything else in a module is static. The name must equal the file name
 *	(<name>.so), the config section and the symbol prefix; it may hold only
 *	a-z, 0-9 and '_' and must start with a letter.
 *
 *	Ownership: the descriptor, its strings, its option table and its ops table
 *	are static storage of the module and are never written by the core
 *	(libconfuse copies the option table). The state returned by init() belongs
 *	to the module and is released by fini(). The cfg_t section handed to
 *	conf_check() and init() belongs to the core and stays valid until fini()
 *	returns; modules copy what they need longer and never free it.
 *
 * ABI POLICY
 *	The descriptor starts with abi_major, abi_minor and desc_size; the core
 *	reads these three before anything else and never reads past desc_size.
 *	- WEBSTACK_ABI_MAJOR changes when anything in a public struct or function
 *	  signature is removed, reordered or changes type. A module is loaded only
 *	  when its major equals the core's.
 *	- WEBSTACK_ABI_MINOR changes when something is appended at the end of a
 *	  public struct (descriptor, host table, a role's ops table) or a new role
 *	  is added. A module is loaded only when its minor is <= the core's: a
 *	  module built against a newer SDK may use what this core lacks.
 *	The core tells which trailing fields exist from desc_size, role_ops_size
 *	and webstack_host.size; fields past the recorded size count as NULL.
 *	Modules install into $(pkglibdir)/modules-<ABI major>, so a core of
 *	another major never sees them.
 *
 * CHANGELOG
 *	2026-11-25  1.0  First version: descriptor, host table, the roles mta,
 *	                 imap, dns, firewall, av, spam and dkim.
 *	2026-11-26  1.0  Still unreleased, so amended: the mta and imap roles
 *	                 gain load() and the directory sink; the directory
 *	                 carries the domains' DKIM keys.
 *	2026-11-26  1.0  Still unreleased, amended again: filters return a
 *	                 list of milters, and disable() takes the settings and
 *	                 is called for a filter taken out of the config (the
 *	                 core loads it retired); the dns role gets
 *	                 the directory, check() and push(); struct
 *	                 webstack_mail carries the public addresses.
 *	2026-11-26  1.0  Still unreleased, amended again: the host gains
 *	                 defer_call(), a module function run after the commit
 *	                 (the dovecot module waits there until Dovecot serves
 *	                 the new users file).
 *	2026-11-26  1.0  Still unreleased, amended again: the host gains
 *	                 stage_append(), defer_background(),
 *	                 WEBSTACK_FILE_UNORDERED and
 *	                 WEBSTACK_FILE_STAT_WATCHED; the imap
 *	                 role gains the optional find_account(), and both the
 *	                 imap and mta roles the optional add_account(), so an
 *	                 added account costs an append, not a rewrite of
 *	                 every file.
 *	2026-11-27  1.1  The directory role (webstack/role-directory.h):
 *	                 the directory in a database instead of the mta and
 *	                 imap modules' files; struct webstack_mail gains
 *	                 directory, the module that fills the role; the
 *	                 imap role gains the optional check_logins() that
 *	                 `mail migrate` asks after the move.
 *
 * SEE ALSO
 *	webstack/host.h, webstack/role-*.h, webstack-module(3)
 */
#ifndef WEBSTACK_MODULE_H
#define WEBSTACK_MODULE_H

#include <stdint.h>
#include <confuse.h>

#include <webstack/host.h>

#define WEBSTACK_ABI_MAJOR 1
#define WEBSTACK_ABI_MINOR 1

enum webstack_role {
	WEBSTACK_ROLE_NONE = 0,
	WEBSTACK_ROLE_MTA,	/* exclusive: the mail transfer agent */
	WEBSTACK_ROLE_IMAP,	/* exclusive: IMAP/POP3/LMTP/SASL */
	WEBSTACK_ROLE_DNS,	/* exclusive: DNS records */
	WEBSTACK_ROLE_FIREWALL,	/* exclusive: packet filter */
	WEBSTACK_ROLE_AV,	/* filter: antivirus milter */
	WEBSTACK_ROLE_SPAM,	/* filter: spam milter */
	WEBSTACK_ROLE_DKIM,	/* filter: DKIM signing milter */
	WEBSTACK_ROLE_DIRECTORY, /* exclusive, optional: where the directory
				    lives (ABI 1.1) */
	WEBSTACK_ROLE_COUNT_	/* not a role; one past the last */
};

struct webstack_module {
	/* ABI fields: first, forever. */
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t desc_size;

	const char *name;	/* equals the file name without ".so" */
	const char *version;	/* the module's own release string */
	const char *summary;	/* one line for `webstack modules` */
	enum webstack_role role;
	uint32_t flags;		/* reserved, must be 0 in ABI 1.0 */

	/* Options of the module's section "<name> { ... }", or NULL. */
	cfg_opt_t *cfg_opts;
	/* Cross-option checks, run by check-config too; sec may be NULL when
	 * the config has no section. Returns 0 or -errno with *err_r set. */
	int (*conf_check)(const struct webstack_host *h, cfg_t *sec,
			  const char **err_r);
	/* Allocates the module state. Must not touch the system. */
	int (*init)(const struct webstack_host *h, cfg_t *sec, void **state_r,
		    const char **err_r);
	void (*fini)(void *state);

	/* Points to the const ops table of the role, e.g. webstack_mta_ops. */
	const void *role_ops;
	uint32_t role_ops_size;
};

#if defined(__GNUC__)
#define WEBSTACK_EXPORT __attribute__((visibility("default")))
#else
#define WEBSTACK_EXPORT
#endif

#define WEBSTACK_PASTE_(a, b) a##b
#define WEBSTACK_PASTE(a, b) WEBSTACK_PASTE_(a, b)

/* Fills role_ops and role_ops_size from one pointer to a const ops table. */
#define WEBSTACK_ROLE_OPS(ops) .role_ops = (ops), .role_ops_size = sizeof(*(ops))

/* The one macro a module needs: defines and exports the descriptor of module
 * `modname` (an identifier equal to the file name) with the ABI fields set. */
#define WEBSTACK_MODULE_DEFINE(modname, ...)                                   \
	WEBSTACK_EXPORT extern const struct webstack_module                    \
		WEBSTACK_PASTE(modname, _LTX_webstack_module);                 \
	WEBSTACK_EXPORT const struct webstack_module                           \
		WEBSTACK_PASTE(modname, _LTX_webstack_module) = {              \
			.abi_major = WEBSTACK_ABI_MAJOR,                       \
			.abi_minor = WEBSTACK_ABI_MINOR,                       \
			.desc_size = sizeof(struct webstack_module),           \
			.name = #modname,                                      \
			__VA_ARGS__}

#endif
