#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_schema.h"

/* webstack's advisory lock key: "webstack" as eight bytes. */
#define PG_SCHEMA_LOCK "8603390911174501227"

static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Runs sql (no parameters); 0, or -1 with the server's message. */
static int run(PGconn *c, const char *sql, const char *what, char **msg_r)
{
	PGresult *res = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(res);
	int r = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;

	if (r < 0)
		*msg_r = fmt("%s: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	return r;
}

static int applied_version(PGconn *c, int *version_r, char **msg_r)
{
	PGresult *res = PQexec(c, "SELECT coalesce(max(version), 0) FROM ws_schema");
	int r = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		*version_r = atoi(PQgetvalue(res, 0, 0));
		r = 0;
	} else {
		*msg_r = fmt("cannot read the schema version: %s",
			     PQresultErrorMessage(res));
	}
	PQclear(res);
	return r;
}

static int record_version(PGconn *c, int version, char **msg_r)
{
	char v[16];
	const char *params[1] = {v};
	PGresult *res;
	int r;

	snprintf(v, sizeof(v), "%d", version);
	res = PQexecParams(c, "INSERT INTO ws_schema (version) VALUES ($1::integer)",
			   1, NULL, params, NULL, NULL, 0);
	r = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	if (r < 0)
		*msg_r = fmt("cannot record schema version %d: %s", version,
			     PQresultErrorMessage(res));
	PQclear(res);
	return r;
}

int pg_schema_version(PGconn *c, int *version_r, char **msg_r)
{
	PGresult *res = PQexec(c, "SELECT to_regclass('ws_schema') IS NOT NULL");
	int r = -1;

	*msg_r = NULL;
	*version_r = 0;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		r = 0;
	else
		*msg_r = fmt("cannot look for the schema: %s", PQresultErrorMessage(res));
	if (r == 0 && strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		r = applied_version(c, version_r, msg_r);
	PQclear(res);
	return r;
}

enum pg_schema_result pg_schema_migrate(PGconn *c, int *from_r, char **msg_r)
{
	enum pg_schema_result r = PG_SCHEMA_FAILED;
	int have = 0;

	*msg_r = NULL;
	if (run(c, "BEGIN", "cannot begin a transaction", msg_r) < 0)
		return PG_SCHEMA_FAILED;
	/* (the server's NOTICE that ws_schema exists would reach stderr);
	 * the lock is held to the end of the transaction: a second host
	 * waits here, then finds the tables made */
	if (run(c, "SET LOCAL client_min_messages = warning",
		"cannot set client_min_messages", msg_r) < 0 ||
	    run(c, "SELECT pg_advisory_xact_lock(" PG_SCHEMA_LOCK ")",
		"cannot take webstack's schema lock", msg_r) < 0 ||
	    run(c, "CREATE TABLE IF NOT EXISTS ws_schema ("
		   "version integer PRIMARY KEY, "
		   "applied timestamptz NOT NULL DEFAULT now())",
		"cannot create ws_schema", msg_r) < 0 ||
	    applied_version(c, &have, msg_r) < 0)
		goto rollback;
	*from_r = have;
	if (have > PG_SCHEMA_VERSION) {
		*msg_r = fmt("the database's schema is version %d, newer than this "
			     "webstack knows (%d): upgrade webstack on this host",
			     have, PG_SCHEMA_VERSION);
		r = PG_SCHEMA_NEWER;
		goto rollback;
	}
	for (int v = have + 1; v <= PG_SCHEMA_VERSION; v++) {
		char *what = fmt("schema version %d", v);
		int failed = run(c, pg_schema_sql[v - 1], what ? what : "schema",
				 msg_r) < 0;

		free(what);
		if (failed || record_version(c, v, msg_r) < 0)
			goto rollback;
	}
	if (run(c, "COMMIT", "cannot commit the schema", msg_r) < 0)
		return PG_SCHEMA_FAILED;
	return PG_SCHEMA_OK;
rollback:
	PQclear(PQexec(c, "ROLLBACK"));
	return r;
}
