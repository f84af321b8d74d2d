/* pg-tool - drives the pgsql module's schema code for tests/e2e/pgschema.
 *
 *   pg-tool migrate    connect (conninfo in WS_PG_CONNINFO, the password
 *                      on stdin, one line) and bring the schema up to date;
 *                      prints "schema FROM -> TO"
 *
 * Exit status: 0; 65 (EX_DATAERR) for a database newer than this build;
 * 69 (EX_UNAVAILABLE) when it cannot connect; 70 (EX_SOFTWARE) when the
 * server refused a statement; 64 for a bad command line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "pg_conn.h"
#include "pg_schema.h"

int main(int argc, char **argv)
{
	const char *conninfo = getenv("WS_PG_CONNINFO");
	char password[1024], *msg = NULL;
	enum pg_schema_result r;
	PGconn *c;
	int from = 0;

	if (argc != 2 || strcmp(argv[1], "migrate") != 0 || !conninfo) {
		fprintf(stderr, "usage: WS_PG_CONNINFO=... pg-tool migrate < password\n");
		return EX_USAGE;
	}
	if (!fgets(password, sizeof(password), stdin))
		password[0] = '\0';
	password[strcspn(password, "\n")] = '\0';
	c = pg_connect(conninfo, password[0] ? password : NULL, &msg);
	explicit_bzero(password, sizeof(password));
	if (!c) {
		fprintf(stderr, "pg-tool: %s\n", msg ? msg : "out of memory");
		free(msg);
		return EX_UNAVAILABLE;
	}
	r = pg_schema_migrate(c, &from, &msg);
	PQfinish(c);
	if (r != PG_SCHEMA_OK) {
		fprintf(stderr, "pg-tool: %s\n", msg ? msg : "out of memory");
		free(msg);
		return r == PG_SCHEMA_NEWER ? EX_DATAERR : EX_SOFTWARE;
	}
	printf("schema %d -> %d\n", from, PG_SCHEMA_VERSION);
	return 0;
}
