#include <errno.h>
#include <stdio.h>

#include "port.h"

#define TCP_LISTEN 0x0A /* st column: TCP_LISTEN in include/net/tcp_states.h */

/* 1 when the table at path lists port in state LISTEN, 0 when not, -errno
 * when it cannot be read. Lines look like
 * "   0: 0100007F:0CEA 00000000:0000 0A ..." (tcp6: 32 hex digits). */
static int table_listening(const char *path, unsigned port)
{
	char line[512];
	unsigned lport, state;
	int found = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x",
			   &lport, &state) == 2)
			found = lport == port && state == TCP_LISTEN;
	fclose(f);
	return found;
}

int ws_port_listening(unsigned port)
{
	int v4 = table_listening("/proc/net/tcp", port);
	int v6;

	if (v4 > 0)
		return 1;
	v6 = table_listening("/proc/net/tcp6", port);
	if (v6 >= 0)
		return v6;
	/* A kernel without IPv6 has no tcp6 table: the IPv4 answer stands. */
	return v4;
}
