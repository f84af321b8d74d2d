#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "pg_dir.h"

static int fail(char **msg_r, int code, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	if (vasprintf(msg_r, f, ap) < 0)
		*msg_r = NULL;
	va_end(ap);
	return code;
}

static int is(const char *field, const char *want)
{
	return field && strcmp(field, want) == 0;
}

/* The EX_* code and message for a statement of change ch that failed:
 * what the constraints say another host did, in the files backend's
 * words where it has them. */
static int refused(PGresult *res, const struct pg_change *ch, char **msg_r)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	const char *why = PQresultErrorMessage(res);

	if (!state)
		return fail(msg_r, EX_UNAVAILABLE, "the directory's database: %s", why);
	if (is(state, "23505") && is(constraint, "ws_addresses_pkey"))
		return fail(msg_r, EX_CANTCREAT, "'%s' is an account or an alias "
			    "already (another host may have just added it)", ch->name);
	if (is(state, "23505") && is(constraint, "ws_domains_pkey"))
		return fail(msg_r, EX_CANTCREAT, "'%s' is a mail domain already "
			    "(another host may have just added it)", ch->name);
	if (is(state, "23505") && is(constraint, "ws_alias_targets_pkey"))
		return fail(msg_r, EX_DATAERR, "alias '%s' lists a target twice",
			    ch->name);
	if (is(state, "23503") && ch->kind == PG_DEL_DOMAIN)
		return fail(msg_r, EX_DATAERR, "domain '%s' still has accounts or "
			    "aliases in the directory's database", ch->name);
	if (is(state, "23503"))
		return fail(msg_r, EX_NOUSER, "the domain of '%s' is not a mail domain "
			    "(another host may have just deleted it)", ch->name);
	if (is(state, "23514"))
		return fail(msg_r, EX_DATAERR, "'%s': the directory's database "
			    "refuses it: %s", ch->name, why);
	if (is(state, "40001") || is(state, "40P01"))
		return fail(msg_r, EX_TEMPFAIL, "another host changed the same "
			    "entries at the same time; try again");
	if (is(state, "42501"))
		return fail(msg_r, EX_NOPERM, "the directory's database: %s", why);
	return fail(msg_r, EX_SOFTWARE, "the directory's database: %s", why);
}

/* Runs sql with params for change ch. Returns 0 with *rows_r (may be
 * NULL) the rows it affected or returned, or an EX_* code. */
static int run(PGconn *c, const struct pg_change *ch, const char *sql, int n,
	       const char *const *params, long *rows_r, char **msg_r)
{
	PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	int r = 0;

	if (st == PGRES_TUPLES_OK && rows_r)
		*rows_r = PQntuples(res);
	else if (st == PGRES_COMMAND_OK && rows_r)
		*rows_r = atol(PQcmdTuples(res));
	else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		r = refused(res, ch, msg_r);
	PQclear(res);
	return r;
}

/* One change, its statements in order. */
static int apply_one(PGconn *c, const struct pg_change *ch, char **msg_r)
{
	const char *at = strrchr(ch->name, '@');
	const char *domain = at ? at + 1 : ch->name;
	long rows = 0;
	int r;

	switch (ch->kind) {
	case PG_ADD_DOMAIN:
		return run(c, ch, "INSERT INTO ws_domains (name) VALUES ($1)", 1,
			   (const char *[]){ch->name}, NULL, msg_r);
	case PG_DEL_DOMAIN:
		r = run(c, ch, "DELETE FROM ws_domains WHERE name = $1", 1,
			(const char *[]){ch->name}, &rows, msg_r);
		return r ? r : rows ? 0 : fail(msg_r, EX_NOUSER, "'%s' is not a mail "
						 "domain", ch->name);
	case PG_ADD_ACCOUNT: {
		char *local = strndup(ch->name, ch->local_len);

		if (!local)
			return fail(msg_r, EX_OSERR, "out of memory");
		r = run(c, ch, "INSERT INTO ws_addresses (address, domain, kind) "
			"VALUES ($1, $2, 'a')", 2, (const char *[]){ch->name, domain},
			NULL, msg_r);
		if (r == 0)
			r = run(c, ch, "INSERT INTO ws_accounts (address, local, domain, "
				"password) VALUES ($1, $2, $3, $4)", 4,
				(const char *[]){ch->name, local, domain, ch->hash}, NULL,
				msg_r);
		free(local);
		return r;
	}
	case PG_DEL_ACCOUNT:
	case PG_SET_HASH:
		r = ch->kind == PG_DEL_ACCOUNT ?
			run(c, ch, "DELETE FROM ws_addresses WHERE address = $1 AND "
			    "kind = 'a'", 1, (const char *[]){ch->name}, &rows, msg_r) :
			run(c, ch, "UPDATE ws_accounts SET password = $2 WHERE "
			    "address = $1", 2, (const char *[]){ch->name, ch->hash},
			    &rows, msg_r);
		return r ? r : rows ? 0 : fail(msg_r, EX_NOUSER, "there is no account "
						 "'%s'", ch->name);
	case PG_SET_ALIAS:
		/* the row if new; an account's row stays one and says so */
		r = run(c, ch, "INSERT INTO ws_addresses (address, domain, kind) "
			"VALUES ($1, $2, 'l') ON CONFLICT (address) DO NOTHING", 2,
			(const char *[]){ch->name, domain}, NULL, msg_r);
		if (r == 0)
			r = run(c, ch, "SELECT 1 FROM ws_addresses WHERE address = $1 "
				"AND kind = 'a'", 1, (const char *[]){ch->name}, &rows, msg_r);
		if (r == 0 && rows)
			return fail(msg_r, EX_CANTCREAT, "'%s' is an account; an alias "
				    "needs an address of its own", ch->name);
		if (r == 0)
			r = run(c, ch, "DELETE FROM ws_alias_targets WHERE address = $1",
				1, (const char *[]){ch->name}, NULL, msg_r);
		for (size_t i = 0; r == 0 && i < ch->n_targets; i++)
			r = run(c, ch, "INSERT INTO ws_alias_targets (address, target) "
				"VALUES ($1, $2)", 2,
				(const char *[]){ch->name, ch->targets[i]}, NULL, msg_r);
		return r;
	case PG_DEL_ALIAS:
		r = run(c, ch, "DELETE FROM ws_addresses WHERE address = $1 AND "
			"kind = 'l'", 1, (const char *[]){ch->name}, &rows, msg_r);
		return r ? r : rows ? 0 : fail(msg_r, EX_NOUSER, "there is no alias "
						 "'%s'", ch->name);
	}
	return fail(msg_r, EX_SOFTWARE, "unknown change %d", (int)ch->kind);
}

static int simple(PGconn *c, const char *sql, char **msg_r)
{
	PGresult *res = PQexec(c, sql);
	int r = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 :
		fail(msg_r, EX_UNAVAILABLE, "the directory's database: %s",
		     PQresultErrorMessage(res));

	PQclear(res);
	return r;
}

int pg_dir_apply(PGconn *c, const struct pg_change *ch, size_t n, char **msg_r)
{
	int r;

	*msg_r = NULL;
	r = simple(c, "BEGIN", msg_r);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = apply_one(c, &ch[i], msg_r);
	if (r == 0)
		return simple(c, "COMMIT", msg_r);
	PQclear(PQexec(c, "ROLLBACK"));
	return r;
}

/* ---- loading ------------------------------------------------------------ */

static int sink_refused(const char *err, char **msg_r)
{
	return fail(msg_r, EX_DATAERR, "the directory's database: %s",
		    err ? err : "refused");
}

static int load_domains(PGresult *res, struct webstack_directory_sink *sink,
			char **msg_r)
{
	const char *err = NULL;

	for (int i = 0; i < PQntuples(res); i++)
		if (sink->domain(sink, PQgetvalue(res, i, 0), &err) != 0)
			return sink_refused(err, msg_r);
	return 0;
}

static int load_accounts(PGresult *res, struct webstack_directory_sink *sink,
			 char **msg_r)
{
	const char *err = NULL;

	for (int i = 0; i < PQntuples(res); i++)
		if (sink->account(sink, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
				  &err) != 0)
			return sink_refused(err, msg_r);
	return 0;
}

/* Each alias with its targets (rows sorted by address, then target). */
static int load_aliases(PGresult *res, struct webstack_directory_sink *sink,
			char **msg_r)
{
	int rows = PQntuples(res);
	const char **targets = malloc((size_t)(rows ? rows : 1) * sizeof(*targets));
	int r = 0;

	if (!targets)
		return fail(msg_r, EX_OSERR, "out of memory");
	for (int i = 0; r == 0 && i < rows;) {
		const char *address = PQgetvalue(res, i, 0), *err = NULL;
		size_t n = 0;

		for (; i < rows && strcmp(PQgetvalue(res, i, 0), address) == 0; i++)
			targets[n++] = PQgetvalue(res, i, 1);
		if (sink->alias(sink, address, targets, n, &err) != 0)
			r = sink_refused(err, msg_r);
	}
	free(targets);
	return r;
}

/* In the core's order: strcmp, whatever the database's collation. The
 * whole result is in memory; a million accounts want single-row mode. */
static const struct {
	const char *sql;
	int (*fn)(PGresult *res, struct webstack_directory_sink *sink, char **msg_r);
} lists[] = {
	{"SELECT name FROM ws_domains ORDER BY name COLLATE \"C\"", load_domains},
	{"SELECT address, password FROM ws_accounts ORDER BY address COLLATE \"C\"",
	 load_accounts},
	{"SELECT address, target FROM ws_alias_targets ORDER BY address COLLATE \"C\", "
	 "target COLLATE \"C\"", load_aliases},
};

int pg_dir_find_account(PGconn *c, const char *address, int *found_r, char **msg_r)
{
	struct pg_change ch = {.kind = PG_ADD_ACCOUNT, .name = address};
	long rows = 0;
	int r;

	*msg_r = NULL;
	r = run(c, &ch, "SELECT 1 FROM ws_accounts WHERE address = $1", 1,
		(const char *[]){address}, &rows, msg_r);
	*found_r = rows > 0;
	return r;
}

int pg_dir_load(PGconn *c, struct webstack_directory_sink *sink, int accounts,
		char **msg_r)
{
	int r;

	*msg_r = NULL;
	/* one snapshot for the three lists */
	r = simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", msg_r);
	for (size_t i = 0; r == 0 && i < sizeof(lists) / sizeof(*lists); i++) {
		PGresult *res;

		if (!accounts && lists[i].fn == load_accounts)
			continue;
		res = PQexec(c, lists[i].sql);

		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			r = lists[i].fn(res, sink, msg_r);
		else
			r = fail(msg_r, EX_UNAVAILABLE, "the directory's database: %s",
				 PQresultErrorMessage(res));
		PQclear(res);
	}
	PQclear(PQexec(c, r == 0 ? "COMMIT" : "ROLLBACK"));
	return r;
}
