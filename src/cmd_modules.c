#include "config.h"

#include <string.h>

#include "commands.h"
#include "json.h"
#include "log.h"
#include "roles.h"

struct listing {
	struct ctx *c;
	struct json j;
	int json;
};

static void list_one(void *arg, const char *name, const char *path,
		     const struct webstack_module *d, const struct err *e)
{
	struct listing *l = arg;
	int loaded = loader_find(&l->c->loader, name) != NULL;
	const char *role = d ? role_get(d->role)->name : "-";

	if (!l->json) {
		if (d)
			printf("%-16s %-9s %-8s %-7s %s\n", name, role, d->version,
			       loaded ? "loaded" : "-", d->summary);
		else
			printf("%-16s %-9s %-8s %-7s unusable: %s\n", name, role, "-",
			       "-", e->msg);
		return;
	}
	json_obj_begin(&l->j);
	json_key(&l->j, "name");
	json_str(&l->j, name);
	json_key(&l->j, "path");
	json_str(&l->j, path);
	json_key(&l->j, "role");
	json_str(&l->j, d ? role : NULL);
	json_key(&l->j, "version");
	json_str(&l->j, d ? d->version : NULL);
	json_key(&l->j, "summary");
	json_str(&l->j, d ? d->summary : NULL);
	json_key(&l->j, "loaded");
	json_bool(&l->j, loaded);
	json_key(&l->j, "error");
	json_str(&l->j, d ? NULL : e->msg);
	json_obj_end(&l->j);
}

int cmd_modules(struct ctx *c, int argc, char **argv)
{
	struct listing l = {.c = c, .json = c->opt[OPT_JSON] != NULL};
	int config_ok;

	(void)argc;
	(void)argv;
	if (ctx_loader(c) < 0)
		return ctx_fail(c);
	/* A broken config must not hide what is installed: list anyway. */
	config_ok = config_load_modules(&c->conf, &c->loader, &c->err) == 0;
	if (!config_ok)
		log_msg(WEBSTACK_LOG_WARNING, "%s", c->err.msg);
	if (l.json) {
		json_init(&l.j, stdout);
		json_arr_begin(&l.j);
	} else {
		printf("%-16s %-9s %-8s %-7s %s\n", "MODULE", "ROLE", "VERSION",
		       "STATE", "SUMMARY");
	}
	loader_scan(&c->loader, list_one, &l);
	if (l.json) {
		json_arr_end(&l.j);
		json_done(&l.j);
	}
	return config_ok ? 0 : c->err.code;
}
