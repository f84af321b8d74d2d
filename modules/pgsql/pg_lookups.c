#include "config.h"

#include <string.h>

#include "pg_lookups.h"

const char *const pg_postfix_maps[4] = {"vdomains", "vmailbox", "virtual",
					"sender_login"};

static const char *postfix_query(const char *map)
{
	if (strcmp(map, "vdomains") == 0)
		return "SELECT 'OK' FROM ws_domains WHERE name = '%s'";
	if (strcmp(map, "vmailbox") == 0)
		return "SELECT domain || '/' || local || '/' FROM ws_accounts "
		       "WHERE address = '%s'";
	if (strcmp(map, "virtual") == 0)
		return "SELECT string_agg(target, ',' ORDER BY target) FROM "
		       "ws_alias_targets WHERE address = '%s' HAVING count(*) > 0";
	/* an account sends as itself; an alias's account targets as it */
	return "SELECT address FROM ws_accounts WHERE address = '%s' UNION ALL "
	       "SELECT string_agg(t.target, ',' ORDER BY t.target) FROM "
	       "ws_alias_targets t JOIN ws_accounts a ON a.address = t.target "
	       "WHERE t.address = '%s' HAVING count(*) > 0";
}

void pg_render_postfix_map(struct mbuf *b, const char *map,
			   const struct pg_lookup_target *t, const char *user,
			   const char *password)
{
	mbuf_printf(b, "# Managed by webstack (module pgsql): %s for Postfix.\n", map);
	if (t->host[0] == '/')
		mbuf_printf(b, "hosts = unix:%s\n", t->host);
	else
		mbuf_printf(b, "hosts = inet:%s:%s\n", t->host, t->port ? t->port : "5432");
	mbuf_printf(b, "dbname = %s\nuser = %s\npassword = %s\nquery = %s\n",
		    t->dbname, user, password, postfix_query(map));
}

void pg_render_dovecot(struct mbuf *b, const struct webstack_mail *mail,
		       const struct pg_lookup_target *t, const char *user,
		       const char *password)
{
	mbuf_printf(b, "# Managed by webstack (module pgsql): Dovecot's passdb "
		    "and userdb.\ndriver = pgsql\n"
		    "connect = host=%s port=%s dbname=%s user=%s password=%s\n"
		    "password_query = SELECT address AS user, password FROM "
		    "ws_accounts WHERE address = '%%Lu'\n"
		    /* the vmail user by name: setup runs before it may exist */
		    "user_query = SELECT '%s/' || domain || '/' || local AS home, "
		    "'%s' AS uid, '%s' AS gid FROM ws_accounts WHERE address = '%%Lu'\n"
		    "iterate_query = SELECT address AS user FROM ws_accounts\n",
		    t->host, t->port ? t->port : "5432", t->dbname, user, password,
		    mail->mail_root, mail->vmail_user, mail->vmail_user);
}
