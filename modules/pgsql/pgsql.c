#include "config.h"

/* The module "pgsql" (role directory): domains, accounts and aliases in
 * PostgreSQL (doc/pgsql.md). setup() creates or migrates the tables,
 * grants the daemons' lookup roles what they read, and writes their lookup
 * files (pg_lookups.h); the other ops go through pg_dir.h. The module
 * connects as the owner role with the password in a root-only file, once
 * per run, when an op first needs it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <webstack/module.h>
#include <webstack/role-directory.h>

#include "mbuf.h"
#include "modhost.h"
#include "pg_conn.h"
#include "pg_dir.h"
#include "pg_lookups.h"
#include "pg_schema.h"

struct pgsql {
	const struct webstack_host *h;
	struct ws_msg msg;
	char *conninfo, *password_file;
	char *postfix_user, *postfix_password_file;
	char *dovecot_user, *dovecot_password_file;
	PGconn *conn;		/* once connected */
};

static cfg_opt_t pgsql_opts[] = {
	CFG_STR("conninfo", "", CFGF_NONE),
	CFG_STR("password_file", "/etc/webstack/pgsql.password", CFGF_NONE),
	CFG_STR("postfix_user", "ws_postfix", CFGF_NONE),
	CFG_STR("postfix_password_file", "/etc/webstack/pgsql-postfix.password",
		CFGF_NONE),
	CFG_STR("dovecot_user", "ws_dovecot", CFGF_NONE),
	CFG_STR("dovecot_password_file", "/etc/webstack/pgsql-dovecot.password",
		CFGF_NONE),
	CFG_END(),
};

/* A role name: what PostgreSQL takes unquoted. */
static int role_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < 64 && ((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_') &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* The host, port and database the daemons connect to, from conninfo;
 * *opts_r is the caller's (PQconninfoFree()). */
static int lookup_target(const char *conninfo, struct pg_lookup_target *t,
			 PQconninfoOption **opts_r, char **why_r)
{
	PQconninfoOption *o = PQconninfoParse(conninfo, why_r);

	*opts_r = o;
	if (!o)
		return -1;
	memset(t, 0, sizeof(*t));
	for (; o->keyword; o++) {
		if (strcmp(o->keyword, "host") == 0)
			t->host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			t->port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			t->dbname = o->val;
	}
	if (!t->host || !*t->host)
		t->host = "localhost";
	return 0;
}

/* Where a value is written into the daemons' files it must stay one word. */
static int word_ok(const char *s)
{
	return *s && !strpbrk(s, " \t\r\n'\"\\#");
}

static int pgsql_conf_check(const struct webstack_host *h, cfg_t *sec,
			    const char **err_r)
{
	static struct ws_msg msg;
	struct pg_lookup_target t;
	PQconninfoOption *opts = NULL;
	char *why = NULL;
	const char *conninfo = sec ? cfg_getstr(sec, "conninfo") : "";
	int r = 0;

	(void)h;
	if (!*conninfo)
		return ws_fail(&msg, err_r, -EINVAL, "conninfo is not set: "
			       "conninfo = \"host=db.example.net dbname=webstack "
			       "user=webstack\"");
	if (lookup_target(conninfo, &t, &opts, &why) < 0)
		r = ws_fail(&msg, err_r, -EINVAL, "conninfo: %.*s",
			    why ? (int)strcspn(why, "\n") : 13, why ? why : "out of memory");
	else if (!t.dbname || !word_ok(t.dbname) || !word_ok(t.host) ||
		 (t.port && !word_ok(t.port)))
		r = ws_fail(&msg, err_r, -EINVAL, "conninfo must name dbname, "
			    "and its host, port and dbname must be single words");
	else if (!role_ok(cfg_getstr(sec, "postfix_user")) ||
		 !role_ok(cfg_getstr(sec, "dovecot_user")))
		r = ws_fail(&msg, err_r, -EINVAL, "postfix_user and "
			    "dovecot_user may hold only a-z, 0-9 and '_'");
	PQfreemem(why);
	PQconninfoFree(opts);
	return r;
}

static int pgsql_init(const struct webstack_host *h, cfg_t *sec, void **state_r,
		      const char **err_r)
{
	struct pgsql *pg = calloc(1, sizeof(*pg));

	(void)err_r;
	if (!pg)
		return -ENOMEM;
	pg->h = h;
	pg->conninfo = strdup(cfg_getstr(sec, "conninfo"));
	pg->password_file = strdup(cfg_getstr(sec, "password_file"));
	pg->postfix_user = strdup(cfg_getstr(sec, "postfix_user"));
	pg->postfix_password_file = strdup(cfg_getstr(sec, "postfix_password_file"));
	pg->dovecot_user = strdup(cfg_getstr(sec, "dovecot_user"));
	pg->dovecot_password_file = strdup(cfg_getstr(sec, "dovecot_password_file"));
	*state_r = pg;
	return 0;
}

static void pgsql_fini(void *state)
{
	struct pgsql *pg = state;

	PQfinish(pg->conn);
	free(pg->conninfo);
	free(pg->password_file);
	free(pg->postfix_user);
	free(pg->postfix_password_file);
	free(pg->dovecot_user);
	free(pg->dovecot_password_file);
	free(pg);
}

/* The first line of a root-only secret file into *secret_r (the caller
 * wipes and frees it). */
static int read_secret(struct pgsql *pg, const char *path, char **secret_r,
		       const char **err_r)
{
	char *data = NULL;
	size_t len = 0;
	int r = ws_read_current(pg->h, &pg->msg, path, &data, &len, err_r);

	if (r < 0)
		return r;
	if (!data)
		return ws_fail(&pg->msg, err_r, -ENOENT, "%s is missing: put the "
			       "password in it (mode 0600, owner root)", path);
	data[strcspn(data, "\r\n")] = '\0';
	if (!word_ok(data)) {
		explicit_bzero(data, len);
		free(data);
		return ws_fail(&pg->msg, err_r, -EINVAL, "%s: the password must be "
			       "one line without spaces, quotes, '\\\\' or '#'", path);
	}
	*secret_r = data;
	return 0;
}

static void wipe(char *secret)
{
	if (secret)
		explicit_bzero(secret, strlen(secret));
	free(secret);
}

/* EX_* of pg_dir.h as the role's errno values (webstack/role-directory.h). */
static int errno_of(int ex)
{
	switch (ex) {
	case 0:
		return 0;
	case EX_CANTCREAT:
		return -EEXIST;
	case EX_NOUSER:
		return -ENXIO;
	case EX_DATAERR:
		return -EINVAL;
	case EX_TEMPFAIL:
		return -EAGAIN;
	case EX_UNAVAILABLE:
		return -ECONNREFUSED;
	case EX_NOPERM:
		return -EACCES;
	default:
		return -EPROTO;
	}
}

/* pg's message from a malloc()ed one. */
static int failed(struct pgsql *pg, int r, char *msg, const char **err_r)
{
	r = ws_fail(&pg->msg, err_r, r, "%s", msg ? msg : "out of memory");
	free(msg);
	return r;
}

static int connect_owner(struct pgsql *pg, const char **err_r)
{
	char *password = NULL, *msg = NULL;
	int r;

	if (pg->conn)
		return 0;
	r = read_secret(pg, pg->password_file, &password, err_r);
	if (r < 0)
		return r;
	pg->conn = pg_connect(pg->conninfo, password, &msg);
	wipe(password);
	return pg->conn ? 0 : failed(pg, -ECONNREFUSED, msg, err_r);
}

/* GRANTs take no parameters: the role names go in through set_config()
 * as bound values and format('%I') quotes them on the server. */
static const char grant_sql[] =
	"DO $$BEGIN "
	"EXECUTE format('GRANT SELECT ON ws_domains, ws_addresses, ws_alias_targets "
	"TO %I', current_setting('webstack.postfix_role')); "
	"EXECUTE format('GRANT SELECT (address, local, domain) ON ws_accounts TO %I', "
	"current_setting('webstack.postfix_role')); "
	"EXECUTE format('GRANT SELECT ON ws_accounts TO %I', "
	"current_setting('webstack.dovecot_role')); END$$";

static int grant_lookups(struct pgsql *pg, const char **err_r)
{
	const char *names[2] = {pg->postfix_user, pg->dovecot_user};
	PGresult *res = PQexec(pg->conn, "BEGIN");
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	res = ok ? PQexecParams(pg->conn, "SELECT set_config('webstack.postfix_role', "
				"$1, true), set_config('webstack.dovecot_role', $2, "
				"true)", 2, NULL, names, NULL, NULL, 0) : NULL;
	ok = ok && PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	res = ok ? PQexec(pg->conn, grant_sql) : NULL;
	ok = ok && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok) {
		int r = ws_fail(&pg->msg, err_r, -EACCES, "cannot grant the lookup "
				"roles %s and %s what they read (create them with "
				"CREATE ROLE ... LOGIN PASSWORD, the passwords of %s "
				"and %s): %s", pg->postfix_user, pg->dovecot_user,
				pg->postfix_password_file, pg->dovecot_password_file,
				res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));

		PQclear(res);
		PQclear(PQexec(pg->conn, "ROLLBACK"));
		return r;
	}
	PQclear(res);
	res = PQexec(pg->conn, "COMMIT");
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok ? 0 : ws_fail(&pg->msg, err_r, -ECONNREFUSED, "cannot commit the "
				 "grants: %s", PQerrorMessage(pg->conn));
}

/* One lookup file, 0640 root:<group of user>, secret. */
static int stage_lookup(struct pgsql *pg, const char *path, const char *daemon_user,
			struct mbuf *b, const char **err_r)
{
	struct webstack_file f = {.path = path, .mode = 0640,
				  .flags = WEBSTACK_FILE_SECRET};
	uid_t uid;
	int r, changed = 0;
	char *old = NULL;
	size_t old_len = 0;

	if (mbuf_failed(b))
		return ws_fail(&pg->msg, err_r, -ENOMEM, "out of memory");
	r = pg->h->lookup_user(pg->h, daemon_user, &uid, &f.gid, err_r);
	if (r == 0)
		r = ws_read_current(pg->h, &pg->msg, path, &old, &old_len, err_r);
	f.data = b->s;
	f.len = b->len;
	if (r == 0)
		r = ws_stage_changed(pg->h, &pg->msg, &f, old, old_len, &changed, err_r);
	if (old)
		explicit_bzero(old, old_len);
	free(old);
	if (b->s)
		explicit_bzero(b->s, b->len);
	mbuf_free(b);
	return r;
}

static int stage_lookups(struct pgsql *pg, const struct webstack_mail *mail,
			 const char **err_r)
{
	struct pg_lookup_target t;
	PQconninfoOption *opts = NULL;
	char *why = NULL, *pf_pw = NULL, *dv_pw = NULL;
	int r;

	if (lookup_target(pg->conninfo, &t, &opts, &why) < 0) {
		PQfreemem(why);
		return ws_fail(&pg->msg, err_r, -EINVAL, "conninfo does not parse");
	}
	r = read_secret(pg, pg->postfix_password_file, &pf_pw, err_r);
	if (r == 0)
		r = read_secret(pg, pg->dovecot_password_file, &dv_pw, err_r);
	if (r == 0)
		r = pg->h->stage_dir(pg->h, PG_POSTFIX_DIR, 0755, 0, 0, err_r);
	for (size_t i = 0; r == 0 && i < 4; i++) {
		struct mbuf b = {0};
		char path[128];

		snprintf(path, sizeof(path), PG_POSTFIX_DIR "/%s.cf", pg_postfix_maps[i]);
		pg_render_postfix_map(&b, pg_postfix_maps[i], &t, pg->postfix_user, pf_pw);
		r = stage_lookup(pg, path, "postfix", &b, err_r);
	}
	if (r == 0) {
		struct mbuf b = {0};

		pg_render_dovecot(&b, mail, &t, pg->dovecot_user, dv_pw);
		r = stage_lookup(pg, PG_DOVECOT_CONF, "dovecot", &b, err_r);
	}
	wipe(pf_pw);
	wipe(dv_pw);
	PQconninfoFree(opts);
	return r;
}

static int pgsql_setup(void *state, const struct webstack_mail *mail,
		       const char **err_r)
{
	struct pgsql *pg = state;
	char *msg = NULL;
	int from = 0, r = connect_owner(pg, err_r);

	if (r < 0)
		return r;
	switch (pg_schema_migrate(pg->conn, &from, &msg)) {
	case PG_SCHEMA_OK:
		free(msg);
		if (from != PG_SCHEMA_VERSION)
			pg->h->log(pg->h, WEBSTACK_LOG_NOTICE, "pgsql: the directory's "
				   "tables are at schema version %d (were %d)",
				   PG_SCHEMA_VERSION, from);
		break;
	case PG_SCHEMA_NEWER:
		return failed(pg, -EINVAL, msg, err_r);
	default:
		return failed(pg, -EPROTO, msg, err_r);
	}
	r = grant_lookups(pg, err_r);
	return r < 0 ? r : stage_lookups(pg, mail, err_r);
}

static int pgsql_load(void *state, const struct webstack_mail *mail,
		      struct webstack_directory_sink *sink, unsigned flags,
		      const char **err_r)
{
	struct pgsql *pg = state;
	char *msg = NULL;
	int r = connect_owner(pg, err_r), version;

	(void)mail;
	if (r < 0)
		return r;
	if (pg_schema_version(pg->conn, &version, &msg) < 0)
		return failed(pg, -EIO, msg, err_r);
	if (version == 0 && (flags & WEBSTACK_DIR_NOT_SET_UP))
		return 0;
	if (version == 0)
		return ws_fail(&pg->msg, err_r, -ENOENT, "the database has no webstack "
			       "tables yet: run `webstack mail setup`");
	r = pg_dir_load(pg->conn, sink, !(flags & WEBSTACK_DIR_NO_ACCOUNTS), &msg);
	return r ? failed(pg, errno_of(r), msg, err_r) : 0;
}

static int pgsql_find_account(void *state, const struct webstack_mail *mail,
			      const char *address, int *found_r, const char **err_r)
{
	struct pgsql *pg = state;
	char *msg = NULL;
	int r = connect_owner(pg, err_r);

	(void)mail;
	if (r < 0)
		return r;
	r = pg_dir_find_account(pg->conn, address, found_r, &msg);
	return r ? failed(pg, errno_of(r), msg, err_r) : 0;
}

static int pgsql_apply(void *state, const struct webstack_mail *mail,
		       const struct webstack_change *changes, size_t n,
		       const char **err_r)
{
	static const enum pg_change_kind kinds[] = {
		[WEBSTACK_ADD_DOMAIN] = PG_ADD_DOMAIN, [WEBSTACK_DEL_DOMAIN] = PG_DEL_DOMAIN,
		[WEBSTACK_ADD_ACCOUNT] = PG_ADD_ACCOUNT, [WEBSTACK_DEL_ACCOUNT] = PG_DEL_ACCOUNT,
		[WEBSTACK_SET_HASH] = PG_SET_HASH, [WEBSTACK_SET_ALIAS] = PG_SET_ALIAS,
		[WEBSTACK_DEL_ALIAS] = PG_DEL_ALIAS,
	};
	struct pgsql *pg = state;
	struct pg_change *ch;
	char *msg = NULL;
	int r = connect_owner(pg, err_r);

	(void)mail;
	if (r < 0)
		return r;
	ch = calloc(n ? n : 1, sizeof(*ch));
	if (!ch)
		return ws_fail(&pg->msg, err_r, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct webstack_change *c = &changes[i];

		ch[i] = (struct pg_change){.kind = kinds[c->kind], .name = c->name};
		if (c->account) {
			ch[i].local_len = strlen(c->account->local);
			ch[i].hash = c->account->password_hash;
		}
		if (c->alias) {
			ch[i].targets = c->alias->targets;
			ch[i].n_targets = c->alias->n_targets;
		}
	}
	r = pg_dir_apply(pg->conn, ch, n, &msg);
	free(ch);
	return r ? failed(pg, errno_of(r), msg, err_r) : 0;
}

static int count(PGconn *c, const char *sql, char *out, size_t outsz)
{
	PGresult *res = PQexec(c, sql);
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;

	snprintf(out, outsz, "%s", ok ? PQgetvalue(res, 0, 0) : "?");
	PQclear(res);
	return ok;
}

static int pgsql_status(void *state, const struct webstack_mail *mail,
			struct webstack_report *rep, const char **err_r)
{
	static const struct {
		const char *check, *sql;
	} items[] = {
		{"schema version", "SELECT max(version) FROM ws_schema"},
		{"domains", "SELECT count(*) FROM ws_domains"},
		{"accounts", "SELECT count(*) FROM ws_accounts"},
		{"aliases", "SELECT count(DISTINCT address) FROM ws_alias_targets"},
	};
	struct pgsql *pg = state;
	char value[64];

	(void)mail;
	if (connect_owner(pg, err_r) < 0) {
		rep->item(rep, "pgsql", *err_r, 0);
		return 0;
	}
	snprintf(value, sizeof(value), "PostgreSQL %d", PQserverVersion(pg->conn));
	rep->item(rep, "pgsql server", value, 1);
	for (size_t i = 0; i < sizeof(items) / sizeof(*items); i++) {
		int ok = count(pg->conn, items[i].sql, value, sizeof(value));

		rep->item(rep, items[i].check, value, ok);
	}
	return 0;
}

static const struct webstack_directory_ops ops = {
	.setup = pgsql_setup,
	.load = pgsql_load,
	.find_account = pgsql_find_account,
	.apply = pgsql_apply,
	.status = pgsql_status,
};

WEBSTACK_MODULE_DEFINE(pgsql, .version = PACKAGE_VERSION,
		       .summary = "the directory in PostgreSQL: domains, accounts "
				  "and aliases shared by several mail hosts",
		       .role = WEBSTACK_ROLE_DIRECTORY, .cfg_opts = pgsql_opts,
		       .conf_check = pgsql_conf_check, .init = pgsql_init,
		       .fini = pgsql_fini, WEBSTACK_ROLE_OPS(&ops));
