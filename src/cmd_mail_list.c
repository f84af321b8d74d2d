/* `webstack mail list domains|accounts|aliases`: reads the modules' files
 * without taking the lock (each file is replaced atomically, so a reader
 * sees it old or new). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dkimkey.h"
#include "json.h"
#include "mail.h"
#include "validate.h"

static int in_domain(const char *address, const char *domain)
{
	return !domain || strcmp(strrchr(address, '@') + 1, domain) == 0;
}

static void print_domains(struct mail_session *s, struct json *j, const char *unused)
{
	const struct directory *d = &s->dir;

	(void)unused;
	for (size_t i = 0; i < d->domains.n; i++) {
		const char *name = d->domains.v[i];

		if (!j) {
			printf("%s\n", name);
			continue;
		}
		json_obj_begin(j);
		json_key(j, "domain");
		json_str(j, name);
		json_key(j, "accounts");
		json_int(j, (long long)dir_domain_accounts(d, name));
		json_key(j, "aliases");
		json_int(j, (long long)dir_domain_aliases(d, name));
		json_obj_end(j);
	}
}

static void print_accounts(struct mail_session *s, struct json *j,
			   const char *domain)
{
	for (size_t i = 0; i < s->dir.n_accounts; i++) {
		const struct dir_account *a = &s->dir.accounts[i];
		char scheme[32] = "";
		char *md;

		if (!in_domain(a->address, domain))
			continue;
		if (!j) {
			printf("%s\n", a->address);
			continue;
		}
		/* hashes are "{SCHEME}..." (checked when loaded) */
		snprintf(scheme, sizeof(scheme), "%.*s",
			 (int)(strchr(a->hash, '}') - a->hash - 1), a->hash + 1);
		md = mail_maildir(s, a->domain, a->local);
		json_obj_begin(j);
		json_key(j, "address");
		json_str(j, a->address);
		json_key(j, "maildir");
		json_str(j, md);
		json_key(j, "scheme");
		json_str(j, scheme);
		json_obj_end(j);
		free(md);
	}
}

static void print_aliases(struct mail_session *s, struct json *j, const char *domain)
{
	for (size_t i = 0; i < s->dir.n_aliases; i++) {
		const struct dir_alias *al = &s->dir.aliases[i];

		if (!in_domain(al->address, domain))
			continue;
		if (!j) {
			printf("%s ->", al->address);
			for (size_t k = 0; k < al->targets.n; k++)
				printf("%s%s", k ? ", " : " ", al->targets.v[k]);
			printf("\n");
			continue;
		}
		json_obj_begin(j);
		json_key(j, "address");
		json_str(j, al->address);
		json_key(j, "targets");
		json_arr_begin(j);
		for (size_t k = 0; k < al->targets.n; k++)
			json_str(j, al->targets.v[k]);
		json_arr_end(j);
		json_obj_end(j);
	}
}

/* The DKIM keys of one domain with the TXT record each needs. */
static void print_dkim(struct mail_session *s, struct json *j, const char *domain)
{
	for (size_t i = 0; i < s->dir.n_dkim; i++) {
		const struct dir_dkim *k = &s->dir.dkim[i];
		const char *alg = dkimkey_alg_name((enum dkim_alg)k->alg);
		char *name, *record;

		if (strcmp(k->domain, domain) != 0)
			continue;
		name = xasprintf("%s._domainkey.%s", k->selector, k->domain);
		record = xasprintf("v=DKIM1; k=%s; p=%s", alg, k->pub);
		if (j) {
			json_obj_begin(j);
			json_key(j, "selector");
			json_str(j, k->selector);
			json_key(j, "algorithm");
			json_str(j, alg);
			json_key(j, "signing");
			json_bool(j, k->signing);
			json_key(j, "key");
			json_str(j, k->path);
			json_key(j, "name");
			json_str(j, name);
			json_key(j, "txt");
			json_str(j, record);
			json_obj_end(j);
		} else {
			printf("%s %s %s\n  %s TXT \"%s\"\n", k->selector, alg,
			       k->signing ? "signing" : "published", name, record);
		}
		free(name);
		free(record);
	}
}

typedef void print_fn(struct mail_session *s, struct json *j, const char *domain);

static int list(struct ctx *c, int argc, char **argv, print_fn *print)
{
	char domain[VALIDATE_DOMAIN_MAX + 1];
	struct mail_session s;
	struct json j;

	if (argc && validate_domain(argv[0], domain, sizeof(domain), &c->err) < 0)
		return ctx_fail(c);
	if (mail_open(&s, c, MAIL_READ, NULL) < 0) {
		mail_close(&s);
		return ctx_fail(c);
	}
	if (argc && !dir_has_domain(&s.dir, domain)) {
		err_set(&c->err, EX_NOUSER, "'%s' is not a mail domain", domain);
		mail_close(&s);
		return ctx_fail(c);
	}
	dir_sort(&s.dir);
	if (c->opt[OPT_JSON]) {
		json_init(&j, stdout);
		json_arr_begin(&j);
	}
	print(&s, c->opt[OPT_JSON] ? &j : NULL, argc ? domain : NULL);
	if (c->opt[OPT_JSON]) {
		json_arr_end(&j);
		json_done(&j);
	}
	mail_close(&s);
	return 0;
}

int cmd_mail_dkim_show(struct ctx *c, int argc, char **argv)
{
	return list(c, argc, argv, print_dkim);
}

int cmd_mail_list_domains(struct ctx *c, int argc, char **argv)
{
	return list(c, argc, argv, print_domains);
}

int cmd_mail_list_accounts(struct ctx *c, int argc, char **argv)
{
	return list(c, argc, argv, print_accounts);
}

int cmd_mail_list_aliases(struct ctx *c, int argc, char **argv)
{
	return list(c, argc, argv, print_aliases);
}
