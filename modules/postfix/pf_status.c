#include "config.h"

/* `webstack mail status` for Postfix: the daemon, `postfix check`, the
 * listening ports, the compiled maps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port.h"
#include "postfix.h"

static void port_item(struct webstack_report *r, const char *name, unsigned port)
{
	char check[32];
	int l = ws_port_listening(port);

	snprintf(check, sizeof(check), "%s %u", name, port);
	r->item(r, check, l > 0 ? "listening" : l == 0 ? "not listening" :
		"cannot read /proc/net/tcp", l > 0);
}

/* The first line of `postfix check`'s output (warnings included): it
 * prints nothing when all is well. */
static void check_item(struct pf_state *st, struct webstack_report *r)
{
	const char *argv[] = {PF_POSTFIX, "check", NULL};
	const char *msg = NULL;
	char *out = NULL;
	int status = 0;

	if (st->h->run(st->h, argv, NULL, 0, &out, &status, &msg) < 0) {
		r->item(r, "postfix check", msg, 0);
		return;
	}
	if (out && *out)
		out[strcspn(out, "\n")] = '\0';
	r->item(r, "postfix check", out && *out ? out : "no problems",
		status == 0 && !(out && *out));
	free(out);
}

int pf_status(struct pf_state *st, const struct webstack_mail *m,
	      struct webstack_report *r, const char **err_r)
{
	const char *msg = NULL;
	int running = st->h->service(st->h, &pf_service, WEBSTACK_SERVICE_STATUS,
				     &msg) == 0;

	(void)err_r;
	r->item(r, "postfix", running ? "running" : "not running", running);
	check_item(st, r);
	if (m->enabled[WEBSTACK_SVC_SMTP])
		port_item(r, "smtp", 25);
	if (m->enabled[WEBSTACK_SVC_SUBMISSIONS])
		port_item(r, "submissions", 465);
	if (m->enabled[WEBSTACK_SVC_SUBMISSION])
		port_item(r, "submission", 587);
	/* with the directory in a database there are no maps to compile */
	if (!m->directory || strcmp(m->directory, "files") == 0)
		pf_maps_status(st, r);
	return 0;
}
