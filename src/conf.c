#include "config.h"
#include "conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "buf.h"
#include "roles.h"

static const char *const service_names[WEBSTACK_SVC_COUNT_] = {
	[WEBSTACK_SVC_SMTP] = "smtp",
	[WEBSTACK_SVC_SUBMISSIONS] = "submissions",
	[WEBSTACK_SVC_SUBMISSION] = "submission",
	[WEBSTACK_SVC_POP3] = "pop3",
	[WEBSTACK_SVC_POP3S] = "pop3s",
	[WEBSTACK_SVC_IMAP] = "imap",
	[WEBSTACK_SVC_IMAPS] = "imaps",
	[WEBSTACK_SVC_SIEVE] = "sieve",
};

const char *config_service_name(enum webstack_mail_service s)
{
	return service_names[s];
}

unsigned config_service_port(enum webstack_mail_service s)
{
	static const unsigned short ports[WEBSTACK_SVC_COUNT_] = {
		[WEBSTACK_SVC_SMTP] = 25, [WEBSTACK_SVC_SUBMISSIONS] = 465,
		[WEBSTACK_SVC_SUBMISSION] = 587, [WEBSTACK_SVC_POP3] = 110,
		[WEBSTACK_SVC_POP3S] = 995, [WEBSTACK_SVC_IMAP] = 143,
		[WEBSTACK_SVC_IMAPS] = 993, [WEBSTACK_SVC_SIEVE] = 4190,
	};

	return ports[s];
}

/* libconfuse reports through this; messages are collected with file:line
 * (the CLI is single-threaded, so one buffer is enough). */
static struct buf parse_errors;
/* The file being parsed: a section's cfg_t counts its own lines but does
 * not know the file name. */
static const char *parse_file;

static void collect_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	if (parse_errors.len)
		buf_puts(&parse_errors, "\n");
	if (cfg && parse_file)
		buf_printf(&parse_errors, "%s:%d: ", parse_file, cfg->line);
	{
		va_list cp;
		char msg[1024];

		va_copy(cp, ap);
		vsnprintf(msg, sizeof(msg), fmt, cp);
		va_end(cp);
		buf_puts(&parse_errors, msg);
	}
}

static int validate_scheme(cfg_t *cfg, cfg_opt_t *opt)
{
	enum password_scheme s;
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (password_scheme_parse(v, &s) < 0) {
		cfg_error(cfg, "password_scheme '%s' is unknown: use ARGON2ID, "
			  "SHA512-CRYPT or BLF-CRYPT", v);
		return -1;
	}
	return 0;
}

static int validate_range(cfg_t *cfg, cfg_opt_t *opt, long lo, long hi)
{
	long v = cfg_opt_getnint(opt, cfg_opt_size(opt) - 1);

	if (v < lo || v > hi) {
		cfg_error(cfg, "option '%s' is %ld: it must be between %ld and %ld",
			  opt->name, v, lo, hi);
		return -1;
	}
	return 0;
}

#define RANGE_VALIDATOR(fn, lo, hi)                                            \
	static int fn(cfg_t *cfg, cfg_opt_t *opt)                              \
	{                                                                      \
		return validate_range(cfg, opt, lo, hi);                       \
	}
RANGE_VALIDATOR(validate_opslimit, 3, 100)
RANGE_VALIDATOR(validate_memlimit, 8192, 4194304)
RANGE_VALIDATOR(validate_rounds, 1000, 999999999)
RANGE_VALIDATOR(validate_cost, 4, 31)
RANGE_VALIDATOR(validate_lock_timeout, 0, 3600)
RANGE_VALIDATOR(validate_min_length, 1, 72)
RANGE_VALIDATOR(validate_size_limit, 1024, 2147483647)
/* RFC 8301: at least 1024, SHOULD 2048; over 4096 no longer fits DNS well */
RANGE_VALIDATOR(validate_rsa_bits, 2048, 4096)

/* Literal IPv4 or IPv6 addresses: they go into SPF and A/AAAA records. */
static int validate_addresses(cfg_t *cfg, cfg_opt_t *opt)
{
	for (unsigned i = 0; i < cfg_opt_size(opt); i++) {
		const char *v = cfg_opt_getnstr(opt, i);
		unsigned char bin[16];

		if (inet_pton(AF_INET, v, bin) != 1 &&
		    inet_pton(AF_INET6, v, bin) != 1) {
			cfg_error(cfg, "public_addresses: '%s' is not an IPv4 or "
				  "IPv6 address", v);
			return -1;
		}
	}
	return 0;
}

static int validate_service_title(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char *title = cfg_title(sec);

	for (int s = 0; s < WEBSTACK_SVC_COUNT_; s++)
		if (strcmp(title, service_names[s]) == 0)
			return 0;
	cfg_error(cfg, "service '%s' is unknown: use smtp, submissions, "
		  "submission, pop3, pop3s, imap, imaps or sieve", title);
	return -1;
}

static cfg_opt_t service_opts[] = {
	CFG_BOOL("enabled", cfg_true, CFGF_NONE),
	CFG_END(),
};

/* The core options; both passes use this table. */
static cfg_opt_t core_opts[] = {
	CFG_STR("mta", "", CFGF_NONE),
	CFG_STR("imap", "", CFGF_NONE),
	CFG_STR("dns", "", CFGF_NONE),
	CFG_STR("firewall", "", CFGF_NONE),
	CFG_STR("av", "", CFGF_NONE),
	CFG_STR("spam", "", CFGF_NONE),
	CFG_STR("dkim", "", CFGF_NONE),
	/* "files": the mta and imap modules' own files, no module */
	CFG_STR("directory", CONF_DIRECTORY_FILES, CFGF_NONE),
	CFG_STR_LIST("modules", "{}", CFGF_NONE),
	CFG_STR("module_dir", "", CFGF_NONE),
	CFG_STR("hostname", "", CFGF_NONE),
	CFG_STR("mail_root", "/var/mail/vhosts", CFGF_NONE),
	CFG_STR("vmail_user", "vmail", CFGF_NONE),
	CFG_STR("tls_cert", "", CFGF_NONE),
	CFG_STR("tls_key", "", CFGF_NONE),
	CFG_INT("message_size_limit", 10485760, CFGF_NONE),
	CFG_STR_LIST("public_addresses", "{}", CFGF_NONE),
	CFG_STR("dkim_dir", "/etc/postfix/dkim", CFGF_NONE),
	CFG_STR("dkim_key_group", "opendkim", CFGF_NONE),
	CFG_INT("dkim_rsa_bits", 2048, CFGF_NONE),
	CFG_STR("password_scheme", "ARGON2ID", CFGF_NONE),
	CFG_INT("password_min_length", 8, CFGF_NONE),
	CFG_INT("argon2_opslimit", 3, CFGF_NONE),
	CFG_INT("argon2_memlimit_kib", 65536, CFGF_NONE),
	CFG_INT("sha512_rounds", 100000, CFGF_NONE),
	CFG_INT("bcrypt_cost", 12, CFGF_NONE),
	CFG_STR("lock_file", "/var/lib/webstack/lock", CFGF_NONE),
	CFG_INT("lock_timeout", 30, CFGF_NONE),
	CFG_SEC("service", service_opts,
		CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END(),
};

static void set_validators(cfg_t *cfg)
{
	cfg_set_validate_func(cfg, "password_scheme", validate_scheme);
	cfg_set_validate_func(cfg, "argon2_opslimit", validate_opslimit);
	cfg_set_validate_func(cfg, "argon2_memlimit_kib", validate_memlimit);
	cfg_set_validate_func(cfg, "sha512_rounds", validate_rounds);
	cfg_set_validate_func(cfg, "bcrypt_cost", validate_cost);
	cfg_set_validate_func(cfg, "lock_timeout", validate_lock_timeout);
	cfg_set_validate_func(cfg, "password_min_length", validate_min_length);
	cfg_set_validate_func(cfg, "message_size_limit", validate_size_limit);
	cfg_set_validate_func(cfg, "dkim_rsa_bits", validate_rsa_bits);
	cfg_set_validate_func(cfg, "public_addresses", validate_addresses);
	cfg_set_validate_func(cfg, "service", validate_service_title);
}

/* libconfuse 3.3 miscounts lines after a comment and cannot skip unknown
 * sections under CFGF_IGNORE_UNKNOWN, so the core prepares the text itself:
 * comments become blanks, and for pass 1 the top-level sections other than
 * the core's own ("service") become blank lines too. Newlines are kept, so
 * every line number stays that of the file. */
static void blank(char *from, char *to)
{
	for (; from < to; from++)
		if (*from != '\n')
			*from = ' ';
}

/* From the opening quote at p (" or ') to its closing quote, or the final
 * NUL when it has none. */
static char *skip_string(char *p)
{
	char quote = *p, *close;

	for (p++; *p && *p != quote; p++) {
		if (*p == '\\' && p[1])
			p++;
		/* libconfuse's lexer reads "${...}" in a double-quoted string
		 * up to the next '}', wherever it is: a quote before it does
		 * not close the string. */
		else if (quote == '"' && p[0] == '$' && p[1] == '{' &&
			 (close = strchr(p + 2, '}')))
			p = close;
	}
	return p;
}

/* Blanks the comments; returns where a string that is never closed
 * opens, or NULL. */
static char *strip_comments(char *s)
{
	for (char *p = s; *p; p++) {
		if (*p == '"' || *p == '\'') {
			char *end = skip_string(p);

			if (!*end)
				return p;
			p = end;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			char *end = p + strcspn(p, "\n");

			blank(p, end);
			p = end - 1;
		} else if (p[0] == '/' && p[1] == '*') {
			char *end = strstr(p + 2, "*/");

			end = end ? end + 2 : p + strlen(p);
			blank(p, end);
			p = end - 1;
		}
	}
	return NULL;
}

/* Does the '{' at p open a list ("name = {...}")? */
static int after_equals(const char *stmt, const char *p)
{
	while (p > stmt && strchr(" \t\n", p[-1]))
		p--;
	return p > stmt && p[-1] == '=';
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Where the name of the section whose '{' is at brace begins: the word
 * right before it, or before its title (title..title_end, the last string
 * skipped). libconfuse needs no newline between statements, so it is not
 * always the start of the statement ("a = b c {...}" is "a = b", then
 * section c). Never before stmt. */
static char *section_name(char *stmt, char *brace, char *title, char *title_end)
{
	char *p = brace;

	while (p > stmt && strchr(" \t\n", p[-1]))
		p--;
	if (title && p == title_end + 1)
		for (p = title; p > stmt && strchr(" \t\n", p[-1]);)
			p--;
	while (p > stmt && name_char(p[-1]))
		p--;
	return p;
}

/* Blanks every top-level "name [title] { ... }" whose name is not a core
 * section, and adds each such name to names. Runs after strip_comments(). */
static void strip_module_sections(char *s, struct strv *names)
{
	char *stmt = s;	/* where the current top-level statement began */
	char *title = NULL, *title_end = NULL;	/* the last string */
	int depth = 0;

	for (char *p = s; *p; p++) {
		if (*p == '"' || *p == '\'') {
			title = p;
			p = title_end = skip_string(p);
			if (!*p)
				break;
		} else if (*p == '{' && depth++ == 0 && !after_equals(stmt, p) &&
			   !(p > s && p[-1] == '$')) {
			/* not a list, not libconfuse's "${ENV_VAR}": a section */
			char *name = section_name(stmt, p, title, title_end);
			size_t len = strspn(name, "abcdefghijklmnopqrstuvwxyz"
					    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

			if (!(len == 7 && strncmp(name, "service", 7) == 0)) {
				char *q = p + 1;
				int d = 1;

				if (len)
					strv_take(names, xasprintf("%.*s", (int)len, name));

				for (; *q && d; q++) {
					if (*q == '"' || *q == '\'')
						q = skip_string(q);
					if (!*q)
						break;	/* unterminated: pass 2 reports it */
					d += (*q == '{') - (*q == '}');
				}
				blank(name, q);
				depth = 0;
				p = q - 1;
				stmt = q;
			}
		} else if (*p == '}' && --depth == 0) {
			stmt = p + 1;
		} else if (depth == 0 && (*p == '\n' || *p == ';')) {
			/* a newline ends an option but not "name\n{" */
			if (*p == ';' || p[1 + strspn(p + 1, " \t\n")] != '{')
				stmt = p + 1;
		}
	}
}

/* Runs one libconfuse pass over text (the file, prepared as above);
 * returns 0, or -1 with the collected messages. */
static int parse_pass(cfg_t *cfg, const char *path, const char *text, struct err *e)
{
	FILE *fp;
	int r;

	buf_free(&parse_errors);
	cfg_set_error_function(cfg, collect_error);
	set_validators(cfg);
	if (!path)
		return 0;
	fp = fmemopen((void *)text, strlen(text), "r");
	if (!fp)
		return err_set(e, EX_OSERR, "cannot parse %s: %s", path, strerror(errno));
	free(cfg->filename);
	cfg->filename = xstrdup(path);
	cfg->line = 1;
	parse_file = path;
	r = cfg_parse_fp(cfg, fp);
	parse_file = NULL;
	fclose(fp);
	if (r == CFG_SUCCESS)
		return 0;
	err_set(e, EX_CONFIG, "%s", parse_errors.data ? parse_errors.data :
		"syntax error");
	buf_free(&parse_errors);
	return -1;
}

/* The file's text with comments blanked, or NULL with e set. */
static char *read_config(const char *path, struct err *e)
{
	struct buf b = {0};
	FILE *f = fopen(path, "re");
	char chunk[4096], *open;
	size_t n;

	if (!f) {
		err_set(e, EX_CONFIG, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	buf_add(&b, "", 0);
	if (strlen(b.data) != b.len) {
		err_set(e, EX_CONFIG, "%s holds a NUL byte", path);
		buf_free(&b);
		return NULL;
	}
	/* libconfuse 3.3 accepts a string left open where a statement may
	 * start, and its lexer then stays in the string: the next cfg_init()
	 * aborts the process. Refuse it here. */
	open = strip_comments(b.data);
	if (open) {
		int line = 1;

		for (const char *p = b.data; p < open; p++)
			line += *p == '\n';
		err_set(e, EX_CONFIG, "%s:%d: a string opened with %c is never "
			"closed", path, line, *open);
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static void config_read_core(struct config *c)
{
	cfg_t *cfg = c->core;

	for (int r = WEBSTACK_ROLE_NONE + 1; r < WEBSTACK_ROLE_COUNT_; r++)
		c->role_module[r] = cfg_getstr(cfg, role_get(r)->name);
	if (strcmp(c->role_module[WEBSTACK_ROLE_DIRECTORY], CONF_DIRECTORY_FILES) == 0)
		c->role_module[WEBSTACK_ROLE_DIRECTORY] = "";
	c->module_dir = cfg_getstr(cfg, "module_dir");
	c->lock_file = cfg_getstr(cfg, "lock_file");
	c->lock_timeout = (unsigned)cfg_getint(cfg, "lock_timeout");
	c->password_min_length = (size_t)cfg_getint(cfg, "password_min_length");
	password_params_default(&c->password);
	password_scheme_parse(cfg_getstr(cfg, "password_scheme"),
			      &c->password.scheme);
	c->password.argon2_opslimit =
		(unsigned long long)cfg_getint(cfg, "argon2_opslimit");
	c->password.argon2_memlimit =
		(size_t)cfg_getint(cfg, "argon2_memlimit_kib") * 1024;
	c->password.sha512_rounds = (unsigned long)cfg_getint(cfg, "sha512_rounds");
	c->password.bcrypt_cost = (unsigned long)cfg_getint(cfg, "bcrypt_cost");
	memset(c->service_enabled, 1, sizeof(c->service_enabled));
	for (unsigned i = 0; i < cfg_size(cfg, "service"); i++) {
		cfg_t *sec = cfg_getnsec(cfg, "service", i);

		for (int s = 0; s < WEBSTACK_SVC_COUNT_; s++)
			if (strcmp(cfg_title(sec), service_names[s]) == 0)
				c->service_enabled[s] = cfg_getbool(sec, "enabled");
	}
}

int config_load(struct config *c, const char *path, int must_exist,
		struct err *e)
{
	char *core_text;
	int r;

	memset(c, 0, sizeof(*c));
	if (access(path, F_OK) == 0 || must_exist) {
		c->path = xstrdup(path);
		c->text = read_config(path, e);
		if (!c->text)
			goto fail;
	}
	c->core = cfg_init(core_opts, CFGF_NONE);
	if (!c->core) {
		err_set(e, EX_SOFTWARE, "libconfuse: cannot initialise");
		goto fail;
	}
	core_text = xstrdup(c->text ? c->text : "");
	strip_module_sections(core_text, &c->sections);
	r = parse_pass(c->core, c->path, core_text, e);
	free(core_text);
	if (r < 0)
		goto fail;
	config_read_core(c);
	return 0;
fail:
	config_free(c);
	return -1;
}

/* The line of the last top-level "option =" (or "option {" when sep is
 * '{') in the file, or 0. libconfuse keeps no line numbers for values, and
 * a message about a module or its section is only useful with one. */
static int option_line(const char *path, const char *option, char sep)
{
	size_t n = strlen(option);
	int line = 0, found = 0, depth = 0;
	char text[4096];
	FILE *f = path ? fopen(path, "re") : NULL;

	if (!f)
		return 0;
	while (fgets(text, sizeof(text), f)) {
		const char *p = text + strspn(text, " \t");

		line++;
		if (depth == 0 && strncmp(p, option, n) == 0 &&
		    p[n + strspn(p + n, " \t")] == sep)
			found = line;
		for (; *p && *p != '#'; p++)
			depth += (*p == '{') - (*p == '}');
	}
	fclose(f);
	return found;
}

static int module_option_error(struct config *c, const char *option,
			       struct err *e)
{
	return err_prefix(e, "%s:%d: %s", c->path ? c->path : "webstack.conf",
			  option_line(c->path, option, '='), option);
}

int config_load_modules(struct config *c, struct loader *ld, struct err *e)
{
	for (int r = WEBSTACK_ROLE_NONE + 1; r < WEBSTACK_ROLE_COUNT_; r++) {
		const char *name = c->role_module[r];

		if (*name && loader_load(ld, name, (enum webstack_role)r, NULL, e) < 0)
			return module_option_error(c, role_get(r)->name, e);
	}
	for (unsigned i = 0; i < cfg_size(c->core, "modules"); i++) {
		const char *name = cfg_getnstr(c->core, "modules", i);

		if (loader_load(ld, name, WEBSTACK_ROLE_NONE, NULL, e) < 0)
			return module_option_error(c, "modules", e);
	}
	/* A directory module's section may stay while `directory` names
	 * another backend: `mail migrate` goes both ways. Its module is loaded
	 * idle, so the section is checked and the module is at hand. */
	for (size_t i = 0; i < c->sections.n; i++)
		if (!loader_find(ld, c->sections.v[i]))
			loader_load_idle(ld, c->sections.v[i], WEBSTACK_ROLE_DIRECTORY);
	return 0;
}

static cfg_opt_t no_opts[] = {CFG_END()};

/* libconfuse names an unknown section "no such option"; when it is a
 * module we can find but that is not loaded, say so. */
static void explain_unloaded(struct err *e, struct loader *ld)
{
	const char *p = strstr(e->msg, "no such option '");
	char name[80];

	if (!p || sscanf(p, "no such option '%79[a-z0-9_]'", name) != 1)
		return;
	for (size_t i = 0; i < ld->dirs.n; i++) {
		char *so = xasprintf("%s/%s.so", ld->dirs.v[i], name);
		int found = access(so, F_OK) == 0;

		free(so);
		if (found) {
			size_t len = strlen(e->msg);

			snprintf(e->msg + len, sizeof(e->msg) - len,
				 " (a section for module '%s', which is not "
				 "loaded: name it in a role option or in "
				 "modules = {...}, or remove the section)", name);
			return;
		}
	}
}

int config_parse_modules(struct config *c, struct loader *ld,
			 const struct webstack_host *(*host_for)(void *arg,
								 struct module *m),
			 void *arg, struct err *e)
{
	size_t n_core = sizeof(core_opts) / sizeof(core_opts[0]) - 1, k = n_core;

	c->full_opts = xmalloc((n_core + ld->n_mods + 1) * sizeof(cfg_opt_t));
	memcpy(c->full_opts, core_opts, n_core * sizeof(cfg_opt_t));
	for (size_t i = 0; i < ld->n_mods; i++) {
		const struct webstack_module *d = ld->mods[i]->desc;
		cfg_opt_t sec = CFG_SEC(ld->mods[i]->name,
					d->cfg_opts ? d->cfg_opts : no_opts,
					CFGF_NONE);

		c->full_opts[k++] = sec;
	}
	{
		cfg_opt_t end = CFG_END();

		c->full_opts[k] = end;
	}
	c->full = cfg_init(c->full_opts, CFGF_NONE);
	if (!c->full)
		return err_set(e, EX_SOFTWARE, "libconfuse: cannot initialise");
	if (parse_pass(c->full, c->path, c->text, e) < 0) {
		explain_unloaded(e, ld);
		return -1;
	}
	for (size_t i = 0; i < ld->n_mods; i++) {
		struct module *m = ld->mods[i];
		cfg_t *sec = cfg_getsec(c->full, m->name);
		const char *msg = NULL;

		if (m->desc->conf_check &&
		    m->desc->conf_check(host_for(arg, m), sec, &msg) < 0)
			return err_set(e, EX_CONFIG, "%s:%d: section %s: %s",
				       c->path ? c->path : "webstack.conf",
				       option_line(c->path, m->name, '{'), m->name,
				       msg ? msg : "invalid settings");
	}
	return 0;
}

cfg_t *config_module_section(struct config *c, const char *name)
{
	return c->full ? cfg_getsec(c->full, name) : NULL;
}

void config_free(struct config *c)
{
	if (c->full)
		cfg_free(c->full);
	if (c->core)
		cfg_free(c->core);
	free(c->full_opts);
	strv_free(&c->sections);
	free(c->text);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
