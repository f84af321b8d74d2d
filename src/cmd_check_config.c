#include "config.h"

#include "commands.h"

int cmd_check_config(struct ctx *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (ctx_modules(c, 1) < 0)
		return ctx_fail(c);
	printf("%s: OK", c->conf.path ? c->conf.path : "(no config file, defaults)");
	if (c->loader.n_mods) {
		printf(", modules:");
		for (size_t i = 0; i < c->loader.n_mods; i++)
			printf(" %s", c->loader.mods[i]->name);
	}
	printf("\n");
	return 0;
}
