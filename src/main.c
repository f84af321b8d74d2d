#include "config.h"

#include <signal.h>
#include <string.h>

#include "cli.h"
#include "ctx.h"

int main(int argc, char **argv)
{
	struct ctx c;
	int r;

	memset(&c, 0, sizeof(c));
	c.root = "";
	/* A closed pipe must not kill webstack between two renames; write()
	 * errors are handled where they happen. */
	signal(SIGPIPE, SIG_IGN);
	r = cli_main(&c, argc, argv);
	ctx_free(&c);
	if (fflush(stdout) != 0 && r == 0)
		r = EX_IOERR;
	return r;
}
