/* `webstack mail import FILE`: many accounts in one transaction. The file
 * ("-": standard input) is read and checked whole, every password hashed
 * on all cores, and only then is the lock taken: every account is checked
 * against the directory (its domain a mail domain, the address not yet an
 * account or an alias), and the Maildirs, the users file and the maps are
 * written in one commit. A bad line stops it with its line number and
 * nothing added. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "import.h"
#include "log.h"
#include "mail.h"

static void progress(size_t done, size_t total)
{
	fprintf(stderr, "\rhashing passwords: %zu/%zu (%zu%%)", done, total,
		total ? done * 100 / total : 100);
	if (done == total)
		fputc('\n', stderr);
}

static int add_all(struct mail_session *s, const struct import_batch *b,
		   const char *name)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct import_entry *en = &b->v[i];
		const char *domain = en->address + en->local_len + 1;
		char *local;
		int r;

		if (!dir_has_domain(&s->dir, domain))
			return err_set(&s->c->err, EX_NOUSER, "%s:%u: '%s' is not a mail "
				       "domain: add it with `webstack mail add domain %s`",
				       name, en->line, domain, domain);
		if (dir_account(&s->dir, en->address) || dir_alias(&s->dir, en->address))
			return err_set(&s->c->err, EX_CANTCREAT, "%s:%u: '%s' is an "
				       "account or an alias already", name, en->line,
				       en->address);
		dir_add_account(&s->dir, en->address, en->hash);
		local = xasprintf("%.*s", (int)en->local_len, en->address);
		r = mail_stage_maildir(s, domain, local);
		free(local);
		if (r < 0)
			return -1;
	}
	return 0;
}

int cmd_mail_import(struct ctx *c, int argc, char **argv)
{
	const char *file = argv[0];
	int fd = strcmp(file, "-") == 0 ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
	struct import_batch b = {0};
	struct mail_session s = {0};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int r, opened = 0;

	(void)argc;
	if (fd < 0) {
		err_set(&c->err, errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "%s: %s", file,
			strerror(errno));
		return ctx_fail(c);
	}
	r = ctx_config(c);
	if (r == 0)
		r = import_read(fd, file, c->conf.password_min_length,
				password_scheme_max_len(c->conf.password.scheme), &b,
				&c->err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (r == 0)
		r = import_hash(&b, &c->conf.password, cores > 0 ? (unsigned)cores : 1,
				isatty(STDERR_FILENO) && !c->opt[OPT_QUIET] ? progress : NULL,
				&c->err);
	if (r == 0) {
		opened = 1;
		r = mail_open(&s, c, MAIL_CHANGE, NULL);
	}
	if (r == 0)
		r = add_all(&s, &b, file);
	if (r == 0)
		r = mail_publish(&s, 0);
	if (r == 0)
		r = mail_commit(&s);
	if (r == 0 && !c->opt[OPT_DRY_RUN])
		log_msg(WEBSTACK_LOG_NOTICE, "imported %zu account(s)", b.n);
	if (opened)
		mail_close(&s);
	import_free(&b);
	return r < 0 ? ctx_fail(c) : 0;
}
