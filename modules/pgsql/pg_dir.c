#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "pg_dir.h"

#define WS_STR_(x) #x
#define WS_STR(x) WS_STR_(x)

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

/* Rows come through a cursor, LOAD_BATCH at a time: a million accounts
 * never sit in one PGresult beside the directory the sink builds from
 * them. */
#define LOAD_BATCH 10000

struct loader {
	struct webstack_directory_sink *sink;
	/* The alias being gathered, whose rows may span two fetches: copies
	 * of its address and its targets, one after the other with their
	 * NULs, in text; targets points into it for the sink. */
	char *text;
	size_t len, cap, n_targets, cap_targets;
	const char **targets;
};

static int sink_refused(const char *err, char **msg_r)
{
	return fail(msg_r, EX_DATAERR, "the directory's database: %s",
		    err ? err : "refused");
}

static int load_domains(struct loader *ld, PGresult *res, char **msg_r)
{
	const char *err = NULL;

	for (int i = 0; i < PQntuples(res); i++)
		if (ld->sink->domain(ld->sink, PQgetvalue(res, i, 0), &err) != 0)
			return sink_refused(err, msg_r);
	return 0;
}

static int load_accounts(struct loader *ld, PGresult *res, char **msg_r)
{
	const char *err = NULL;

	for (int i = 0; i < PQntuples(res); i++)
		if (ld->sink->account(ld->sink, PQgetvalue(res, i, 0),
				      PQgetvalue(res, i, 1), &err) != 0)
			return sink_refused(err, msg_r);
	return 0;
}

/* s with its NUL at the end of ld->text. */
static int gather(struct loader *ld, const char *s, char **msg_r)
{
	size_t n = strlen(s) + 1;

	if (ld->len + n > ld->cap) {
		size_t cap = ld->cap ? ld->cap : 4096;
		char *t;

		while (cap < ld->len + n)
			cap *= 2;
		if (!(t = realloc(ld->text, cap)))
			return fail(msg_r, EX_OSERR, "out of memory");
		ld->text = t;
		ld->cap = cap;
	}
	memcpy(ld->text + ld->len, s, n);
	ld->len += n;
	return 0;
}

/* The alias gathered so far, with its targets, into the sink. */
static int alias_flush(struct loader *ld, char **msg_r)
{
	const char *err = NULL, *p;
	int r = 0;

	if (!ld->len)
		return 0;
	if (ld->n_targets > ld->cap_targets) {
		const char **t = realloc(ld->targets, ld->n_targets * sizeof(*t));

		if (!t)
			return fail(msg_r, EX_OSERR, "out of memory");
		ld->targets = t;
		ld->cap_targets = ld->n_targets;
	}
	p = ld->text + strlen(ld->text) + 1;
	for (size_t i = 0; i < ld->n_targets; i++, p += strlen(p) + 1)
		ld->targets[i] = p;
	if (ld->sink->alias(ld->sink, ld->text, ld->targets, ld->n_targets, &err) != 0)
		r = sink_refused(err, msg_r);
	ld->len = ld->n_targets = 0;
	return r;
}

/* Each alias with its targets (rows sorted by address, then target). */
static int load_aliases(struct loader *ld, PGresult *res, char **msg_r)
{
	int r = 0;

	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		const char *address = PQgetvalue(res, i, 0);

		if (ld->len && strcmp(ld->text, address) != 0)
			r = alias_flush(ld, msg_r);
		if (r == 0 && !ld->len)
			r = gather(ld, address, msg_r);
		if (r == 0 && (r = gather(ld, PQgetvalue(res, i, 1), msg_r)) == 0)
			ld->n_targets++;
	}
	return r;
}

/* In the core's order: strcmp, whatever the database's collation. */
static const struct {
	const char *sql;
	int (*fn)(struct loader *ld, PGresult *res, char **msg_r);
} lists[] = {
	{"SELECT name FROM ws_domains ORDER BY name COLLATE \"C\"", load_domains},
	{"SELECT address, password FROM ws_accounts ORDER BY address COLLATE \"C\"",
	 load_accounts},
	{"SELECT address, target FROM ws_alias_targets ORDER BY address COLLATE \"C\", "
	 "target COLLATE \"C\"", load_aliases},
};

/* One list through the cursor ws_load, batch by batch, into fn. */
static int load_list(PGconn *c, struct loader *ld, const char *sql,
		     int (*fn)(struct loader *ld, PGresult *res, char **msg_r),
		     char **msg_r)
{
	char *declare;
	int r;

	if (asprintf(&declare, "DECLARE ws_load NO SCROLL CURSOR FOR %s", sql) < 0)
		return fail(msg_r, EX_OSERR, "out of memory");
	r = simple(c, declare, msg_r);
	free(declare);
	for (int rows = LOAD_BATCH; r == 0 && rows == LOAD_BATCH;) {
		PGresult *res = PQexec(c, "FETCH FORWARD " WS_STR(LOAD_BATCH)
				       " FROM ws_load");

		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			rows = PQntuples(res);
			r = fn(ld, res, msg_r);
		} else {
			r = fail(msg_r, EX_UNAVAILABLE, "the directory's database: %s",
				 PQresultErrorMessage(res));
		}
		PQclear(res);
	}
	if (r == 0 && fn == load_aliases)
		r = alias_flush(ld, msg_r);
	return r ? r : simple(c, "CLOSE ws_load", msg_r);
}

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
	struct loader ld = {.sink = sink};
	int r;

	*msg_r = NULL;
	/* one snapshot for the three lists */
	r = simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", msg_r);
	for (size_t i = 0; r == 0 && i < sizeof(lists) / sizeof(*lists); i++)
		if (accounts || lists[i].fn != load_accounts)
			r = load_list(c, &ld, lists[i].sql, lists[i].fn, msg_r);
	free(ld.text);
	free(ld.targets);
	PQclear(PQexec(c, r == 0 ? "COMMIT" : "ROLLBACK"));
	return r;
}
