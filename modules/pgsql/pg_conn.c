#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_conn.h"

PGconn *pg_connect(const char *conninfo, const char *password, char **msg_r)
{
	/* dbname with expand_dbname: conninfo is a whole connection string;
	 * the keywords after it win over what it says */
	const char *keys[5], *values[5];
	size_t n = 0;
	PGconn *c;

	*msg_r = NULL;
	keys[n] = "dbname";
	values[n++] = conninfo;
	if (password) {
		keys[n] = "password";
		values[n++] = password;
	}
	keys[n] = "connect_timeout";
	values[n++] = "10";
	keys[n] = "application_name";
	values[n++] = "webstack";
	keys[n] = NULL;
	values[n] = NULL;
	c = PQconnectdbParams(keys, values, 1);
	if (c && PQstatus(c) == CONNECTION_OK)
		return c;
	if (asprintf(msg_r, "cannot connect to the directory's database: %s",
		     c ? PQerrorMessage(c) : "out of memory") < 0)
		*msg_r = NULL;
	/* libpq's message ends with a newline */
	if (*msg_r && (*msg_r)[0] && (*msg_r)[strlen(*msg_r) - 1] == '\n')
		(*msg_r)[strlen(*msg_r) - 1] = '\0';
	PQfinish(c);
	return NULL;
}
