/* host.h - the core's implementation of struct webstack_host.
 *
 * Each module gets its own table (its name prefixes its log lines); all of
 * them write through the one transaction of the run. */
#ifndef WS_HOST_H
#define WS_HOST_H

#include <webstack/host.h>

struct ctx;

struct host_priv {
	struct webstack_host host;	/* first: host.priv points back here */
	struct ctx *ctx;		/* borrowed */
	const char *who;		/* module name, borrowed */
	struct err err;			/* storage for err_r messages */
};

/* Fills hp for module `who` of run ctx. */
void host_init(struct host_priv *hp, struct ctx *ctx, const char *who);

#endif
