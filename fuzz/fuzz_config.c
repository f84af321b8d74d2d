/* libFuzzer target: the config loader on arbitrary text, written to a
 * temporary file as webstack.conf would be read. Pass 1 (config_load, the
 * core's options); when it accepts, the modules it names are loaded
 * (config_load_modules) and pass 2 runs (config_parse_modules: their
 * sections and conf_check). The in-tree modules are linked in and handed to
 * the loader as `linked` descriptors: nothing is dlopen()ed.
 * Invariants: a refusal carries an error code and a message; when both
 * passes accept, every core option reads the same in pass 1 as in pass 2,
 * and every loaded module's conf_check and init accept its section. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "host_mock.h"

/* Every in-tree module (modules/<dir>/<name>.c): add a new one here. */
extern const struct webstack_module clamav_LTX_webstack_module,
	dovecot_LTX_webstack_module, iptables_LTX_webstack_module,
	ldns_LTX_webstack_module, nftables_LTX_webstack_module,
	opendkim_LTX_webstack_module, postfix_LTX_webstack_module,
	rspamd_LTX_webstack_module, spamassassin_LTX_webstack_module;

static const struct webstack_module *const linked[] = {
	&clamav_LTX_webstack_module, &dovecot_LTX_webstack_module,
	&iptables_LTX_webstack_module, &ldns_LTX_webstack_module,
	&nftables_LTX_webstack_module, &opendkim_LTX_webstack_module,
	&postfix_LTX_webstack_module, &rspamd_LTX_webstack_module,
	&spamassassin_LTX_webstack_module, NULL,
};

#define N_LINKED (sizeof(linked) / sizeof(linked[0]) - 1)

/* One host per loaded module, as the core gives each its own. */
static struct host_mock hosts[N_LINKED];

static const struct webstack_host *host_for(void *arg, struct module *m)
{
	struct loader *ld = arg;

	for (size_t i = 0; i < ld->n_mods; i++)
		if (ld->mods[i] == m)
			return &hosts[i].host;
	abort();
}

static void refused(const struct err *e)
{
	if (e->code == 0 || e->msg[0] == '\0')
		abort();	/* a failure must say why */
}

/* The option as libconfuse prints it; caller frees. */
static char *opt_text(cfg_opt_t *opt)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (!f || !opt || cfg_opt_print(opt, f) != 0)
		abort();
	fclose(f);
	return s;
}

/* Pass 1 blanks the module sections out of the text itself: what it then
 * reads must be what pass 2 reads with the sections parsed. */
static void same_core_values(struct config *c)
{
	for (cfg_opt_t *o = c->core->opts; o->name; o++) {
		char *one = opt_text(o), *two = opt_text(cfg_getopt(c->full, o->name));

		if (strcmp(one, two) != 0) {
			fprintf(stderr, "pass 1: %spass 2: %s", one, two);
			abort();
		}
		free(one);
		free(two);
	}
}

static void modules_accept(struct config *c, struct loader *ld)
{
	for (size_t i = 0; i < ld->n_mods; i++) {
		const struct webstack_module *d = ld->mods[i]->desc;
		cfg_t *sec = config_module_section(c, ld->mods[i]->name);
		const char *msg = NULL;
		void *state = NULL;

		if (d->conf_check && d->conf_check(&hosts[i].host, sec, &msg) != 0)
			abort();
		if (d->init && d->init(&hosts[i].host, sec, &state, &msg) != 0) {
			fprintf(stderr, "%s: init refused: %s\n", d->name, msg);
			abort();
		}
		if (d->fini)
			d->fini(state);
	}
}

static void passes(const char *path)
{
	struct config c;
	struct loader ld;
	struct err e = {0};

	if (config_load(&c, path, 1, &e) < 0) {
		refused(&e);
		return;
	}
	if (loader_init(&ld, NULL, &e) < 0)
		abort();
	ld.linked = linked;
	for (size_t i = 0; i < N_LINKED; i++)
		host_mock_init(&hosts[i]);
	if (config_load_modules(&c, &ld, &e) < 0 ||
	    config_parse_modules(&c, &ld, host_for, &ld, &e) < 0) {
		refused(&e);
	} else {
		same_core_values(&c);
		modules_accept(&c, &ld);
	}
	for (size_t i = 0; i < N_LINKED; i++)
		host_mock_free(&hosts[i]);
	loader_free(&ld);
	config_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_config.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	passes(path);
	unlink(path);
	return 0;
}
