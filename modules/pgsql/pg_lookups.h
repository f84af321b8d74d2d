/* pg_lookups.h - the daemons' lookups into the directory's tables: one
 * pgsql: table per Postfix map under /etc/postfix/pgsql/ and Dovecot's sql
 * passdb and userdb settings, each file 0640 root:<the daemon's group>
 * since it holds the lookup role's password.
 *
 * The queries are constants; Postfix quotes the key it puts for %s, and
 * Dovecot the user name for %Lu, themselves.
 *
 * Ownership: every pointer is borrowed for the call; text is rendered into
 * the caller's mbuf. */
#ifndef WS_PG_LOOKUPS_H
#define WS_PG_LOOKUPS_H

#include <webstack/mail.h>

#include "mbuf.h"

#define PG_POSTFIX_DIR "/etc/postfix/pgsql"
#define PG_DOVECOT_CONF "/etc/dovecot/dovecot-pgsql.conf.ext"

/* Where the daemons connect: from the module's conninfo. */
struct pg_lookup_target {
	const char *host;	/* a name, an address, or a socket directory */
	const char *port;
	const char *dbname;
};

/* The Postfix maps, in the order of the files backend's (pf_maps.c). */
extern const char *const pg_postfix_maps[4];

/* One map's table file. */
void pg_render_postfix_map(struct mbuf *b, const char *map,
			   const struct pg_lookup_target *t, const char *user,
			   const char *password);
/* Dovecot's passdb and userdb settings. */
void pg_render_dovecot(struct mbuf *b, const struct webstack_mail *mail,
		       const struct pg_lookup_target *t, const char *user,
		       const char *password);

#endif
