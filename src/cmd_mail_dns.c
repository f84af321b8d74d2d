/* `webstack mail dns show|check|push DOMAIN`: the DNS records a mail
 * domain needs, from the module that fills the dns role. None of them
 * changes a file, so none takes the lock. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <webstack/role-dns.h>

#include "buf.h"
#include "commands.h"
#include "log.h"
#include "mail.h"
#include "report.h"
#include "validate.h"

/* A TSIG key file is a few lines; anything much larger is not one. */
#define TSIG_FILE_MAX 65536

struct dns_cmd {
	struct mail_session s;
	struct webstack_directory view;
	char domain[VALIDATE_DOMAIN_MAX + 1];
	int opened;
};

static const struct webstack_dns_ops *dns_ops(const struct dns_cmd *d)
{
	return d->s.dns->desc->role_ops;
}

/* Validates DOMAIN, opens the session and finds the dns module. */
static int dns_open(struct ctx *c, const char *arg, struct dns_cmd *d)
{
	if (validate_domain(arg, d->domain, sizeof(d->domain), &c->err) < 0)
		return -1;
	d->opened = 1;
	if (mail_open(&d->s, c, MAIL_READ, NULL) < 0)
		return -1;
	if (!dir_has_domain(&d->s.dir, d->domain))
		return err_set(&c->err, EX_NOUSER, "'%s' is not a mail domain", d->domain);
	if (!d->s.dns)
		return err_set(&c->err, EX_CONFIG, "%s: no module fills the dns role: "
			       "set dns = \"ldns\"", c->config_path);
	dir_view(&d->s.dir, &d->view);
	return 0;
}

static int dns_close(struct ctx *c, struct dns_cmd *d, int status)
{
	if (d->opened)
		mail_close(&d->s);
	return status < 0 ? ctx_fail(c) : status;
}

int cmd_mail_dns_show(struct ctx *c, int argc, char **argv)
{
	const char *format = c->opt[OPT_FORMAT];
	struct dns_cmd d = {0};
	const char *msg = NULL;
	char *out = NULL;
	int r;

	(void)argc;
	if (!format)
		format = c->opt[OPT_JSON] ? "json" : "zone";
	if (strcmp(format, "zone") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "nsupdate") != 0) {
		err_set(&c->err, EX_USAGE, "--format '%s': use zone, json or nsupdate",
			format);
		return ctx_fail(c);
	}
	r = dns_open(c, argv[0], &d);
	if (r == 0) {
		r = dns_ops(&d)->render(d.s.dns->state, &d.s.mail, &d.view, d.domain,
					format, &out, &msg);
		r = ctx_op_result(c, d.s.dns, "render", r, msg);
	}
	if (r == 0)
		fputs(out, stdout);
	free(out);
	return dns_close(c, &d, r);
}

/* 0 when every record matches, 1 when one does not. */
int cmd_mail_dns_check(struct ctx *c, int argc, char **argv)
{
	struct dns_cmd d = {0};
	struct report rep;
	const char *msg = NULL;
	int r;

	(void)argc;
	report_init(&rep);
	r = dns_open(c, argv[0], &d);
	if (r == 0) {
		r = dns_ops(&d)->check(d.s.dns->state, &d.s.mail, &d.view, d.domain,
				       c->opt[OPT_SERVER], &rep.sink, &msg);
		r = ctx_op_result(c, d.s.dns, "check", r, msg);
	}
	if (r == 0)
		r = report_print(c, &rep) ? 0 : 1;
	report_free(&rep);
	return dns_close(c, &d, r);
}

/* Reads the TSIG key file: a regular file; one that others may read is
 * used, with a warning, since the secret may already have leaked. */
static int read_key(struct ctx *c, const char *path, struct buf *key)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char chunk[4096];
	ssize_t n;

	if (fd < 0)
		return err_set(&c->err, errno == ENOENT ? EX_NOINPUT : EX_NOPERM,
			       "--tsig-key %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > TSIG_FILE_MAX) {
		close(fd);
		return err_set(&c->err, EX_DATAERR, "--tsig-key %s: not a key file "
			       "(a regular file of at most %d bytes)", path, TSIG_FILE_MAX);
	}
	if (st.st_mode & 077)
		log_msg(WEBSTACK_LOG_WARNING, "--tsig-key %s: readable or writable by others "
			"than its owner: chmod 600 it, and make a new key if others "
			"may have read it", path);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && key->len <= TSIG_FILE_MAX)
		buf_add(key, chunk, (size_t)n);
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	if (n < 0)
		return err_set(&c->err, EX_IOERR, "--tsig-key %s: %s", path,
			       strerror(errno));
	return 0;
}

/* 0 when the server applied the update. */
int cmd_mail_dns_push(struct ctx *c, int argc, char **argv)
{
	struct dns_cmd d = {0};
	struct buf key = {0};
	struct report rep;
	const char *msg = NULL;
	int r;

	(void)argc;
	if (!c->opt[OPT_SERVER] || !c->opt[OPT_TSIG_KEY]) {
		err_set(&c->err, EX_USAGE, "push needs --server ADDR[:PORT] and "
			"--tsig-key FILE (see 'webstack help mail dns push')");
		return ctx_fail(c);
	}
	report_init(&rep);
	r = read_key(c, c->opt[OPT_TSIG_KEY], &key);
	if (r == 0)
		r = dns_open(c, argv[0], &d);
	if (r == 0) {
		r = dns_ops(&d)->push(d.s.dns->state, &d.s.mail, &d.view, d.domain,
				      c->opt[OPT_SERVER], key.data ? key.data : "", key.len,
				      &rep.sink, &msg);
		r = ctx_op_result(c, d.s.dns, "push", r, msg);
	}
	buf_free_secret(&key);
	if (r == 0)
		report_print(c, &rep);
	report_free(&rep);
	return dns_close(c, &d, r);
}
