#include "config.h"

#include <stdio.h>

#include "commands.h"

int cmd_version(struct ctx *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	printf("webstack %s (module ABI %d.%d)\n", PACKAGE_VERSION, WEBSTACK_ABI_MAJOR,
	       WEBSTACK_ABI_MINOR);
	return 0;
}
