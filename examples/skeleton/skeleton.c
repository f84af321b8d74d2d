/*
 * skeleton - a template for an out-of-tree webstack module.
 *
 * It fills the firewall role the simplest possible way: instead of talking to
 * a packet filter it writes the ports it was asked to open to a text file
 * (option rules_file), through the host's transaction, so --dry-run shows
 * the diff and a crash can never leave the file half-written. To start a
 * module of your own: copy this directory, rename skeleton everywhere
 * (file name = module name = config section = symbol prefix), pick a role
 * from <webstack/module.h> and implement its ops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webstack/module.h>
#include <webstack/role-firewall.h>

struct skeleton {
	const struct webstack_host *host;	/* borrowed from the core */
	char *rules_file;			/* owned */
};

static cfg_opt_t skeleton_opts[] = {
	CFG_STR("rules_file", "/etc/webstack/skeleton.rules", CFGF_NONE),
	CFG_END(),
};

/* Cross-option checks run by `webstack check-config` too. */
static int skeleton_conf_check(const struct webstack_host *h, cfg_t *sec,
			       const char **err_r)
{
	(void)h;
	if (sec && cfg_getstr(sec, "rules_file")[0] != '/') {
		*err_r = "rules_file must be an absolute path";
		return -EINVAL;
	}
	return 0;
}

static int skeleton_init(const struct webstack_host *h, cfg_t *sec, void **state_r,
			 const char **err_r)
{
	struct skeleton *s = calloc(1, sizeof(*s));

	if (!s || !(s->rules_file = strdup(sec ? cfg_getstr(sec, "rules_file") :
					   "/etc/webstack/skeleton.rules"))) {
		free(s);
		*err_r = "out of memory";
		return -ENOMEM;
	}
	s->host = h;
	*state_r = s;
	return 0;
}

static void skeleton_fini(void *state)
{
	struct skeleton *s = state;

	free(s->rules_file);
	free(s);
}

static int skeleton_write(struct skeleton *s, const uint16_t *ports, size_t n,
			  const char **err_r)
{
	char text[8 * 1024] = "# ports opened by webstack (skeleton module)\n";
	size_t len = strlen(text);
	struct webstack_file f = {
		.path = s->rules_file, .data = text, .mode = 0644,
	};

	for (size_t i = 0; i < n && len + 8 < sizeof(text); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "tcp %u\n",
					ports[i]);
	f.len = len;
	return s->host->stage_file(s->host, &f, err_r);
}

static int skeleton_open(void *state, const uint16_t *ports, size_t n,
			 const char **err_r)
{
	return skeleton_write(state, ports, n, err_r);
}

static int skeleton_close(void *state, const char **err_r)
{
	return skeleton_write(state, NULL, 0, err_r);
}

static int skeleton_status(void *state, const uint16_t *ports, size_t n,
			   struct webstack_report *r, const char **err_r)
{
	struct skeleton *s = state;
	char *text = NULL;
	size_t len;
	int rc = s->host->read_file(s->host, s->rules_file, &text, &len, err_r);

	if (rc < 0 && rc != -ENOENT)
		return rc;
	for (size_t i = 0; i < n; i++) {
		char line[16], name[16];

		snprintf(line, sizeof(line), "tcp %u\n", ports[i]);
		snprintf(name, sizeof(name), "port %u", ports[i]);
		r->item(r, name, text && strstr(text, line) ? "open" : "closed",
			text && strstr(text, line) != NULL);
	}
	free(text);
	return 0;
}

static const struct webstack_firewall_ops skeleton_ops = {
	.open = skeleton_open,
	.close = skeleton_close,
	.status = skeleton_status,
};

WEBSTACK_MODULE_DEFINE(skeleton,
	.version = "1.0",
	.summary = "example module: writes the open ports to a file",
	.role = WEBSTACK_ROLE_FIREWALL,
	.cfg_opts = skeleton_opts,
	.conf_check = skeleton_conf_check,
	.init = skeleton_init,
	.fini = skeleton_fini,
	WEBSTACK_ROLE_OPS(&skeleton_ops));
