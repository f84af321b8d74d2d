/* pg_schema.h - the directory's tables in PostgreSQL, by version.
 *
 * Each version is one schema-N.sql file, compiled in (sql2c.sh); a
 * released version is never edited, a change is a new one. The table
 * ws_schema records the versions applied. pg_schema_migrate() applies the
 * missing ones in one transaction, holding an advisory lock, so that hosts
 * migrating one database at once do it once; it refuses a database newer
 * than this build.
 *
 * Ownership: the connection is the caller's; *msg_r is malloc()ed and the
 * caller's to free. */
#ifndef WS_PG_SCHEMA_H
#define WS_PG_SCHEMA_H

#include <libpq-fe.h>

#define PG_SCHEMA_VERSION 1

/* The SQL of version i + 1 at [i] (pg_schema_sql.c, generated). */
extern const char *const pg_schema_sql[PG_SCHEMA_VERSION];

enum pg_schema_result {
	PG_SCHEMA_OK = 0,
	PG_SCHEMA_NEWER = -1,	/* the database is newer than this build */
	PG_SCHEMA_FAILED = -2,	/* the server refused a statement */
};

/* The version the database on c is at, 0 when it has no tables yet. */
int pg_schema_version(PGconn *c, int *version_r, char **msg_r);

/* Brings the database on c to PG_SCHEMA_VERSION. *from_r gets the version
 * it had (0: none). On failure nothing changed and *msg_r says why. */
enum pg_schema_result pg_schema_migrate(PGconn *c, int *from_r, char **msg_r);

#endif
