/* pg_conn.h - a connection to the directory's database.
 *
 * conninfo is the admin's libpq connection string (webstack.conf); the
 * password, read by the caller from a root-only file, is handed to libpq
 * as a parameter: it never appears in argv, the environment or a message.
 *
 * Ownership: the returned connection is the caller's (PQfinish()); *msg_r
 * is malloc()ed and the caller's to free. */
#ifndef WS_PG_CONN_H
#define WS_PG_CONN_H

#include <libpq-fe.h>

/* Connects; NULL with *msg_r set on failure. password may be NULL. */
PGconn *pg_connect(const char *conninfo, const char *password, char **msg_r);

#endif
