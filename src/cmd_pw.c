#include "config.h"

#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "password.h"
#include "validate.h"

/* The password of a command: its last argument (already wiped from the
 * process's argv by the parser), standard input with --password-stdin, or
 * the terminal. Returns the length, or -1 with c->err set. */
int ctx_password(struct ctx *c, const char *arg, size_t max_len, char *buf,
		 size_t bufsz)
{
	int len;

	if (arg && c->opt[OPT_PASSWORD_STDIN])
		return err_set(&c->err, EX_USAGE,
			       "give the password either as an argument or with "
			       "--password-stdin, not both");
	if (arg) {
		len = (int)strlen(arg);
		if ((size_t)len >= bufsz)
			return err_set(&c->err, EX_DATAERR,
				       "the password is longer than %d bytes",
				       VALIDATE_PASSWORD_MAX);
		memcpy(buf, arg, (size_t)len + 1);
	} else {
		len = password_read(c->opt[OPT_PASSWORD_STDIN] ? STDIN_FILENO : -1,
				    "Password: ", 1, buf, bufsz, &c->err);
		if (len < 0)
			return -1;
	}
	if (validate_password(buf, (size_t)len, c->conf.password_min_length,
			      max_len, &c->err) < 0) {
		explicit_bzero(buf, bufsz);
		return -1;
	}
	return len;
}

int cmd_pw(struct ctx *c, int argc, char **argv)
{
	char pw[VALIDATE_PASSWORD_MAX + 2], hash[PASSWORD_HASH_MAX];
	struct password_params p;
	int len;

	if (ctx_config(c) < 0)
		return ctx_fail(c);
	p = c->conf.password;
	if (c->opt[OPT_SCHEME] && password_scheme_parse(c->opt[OPT_SCHEME], &p.scheme) < 0) {
		err_set(&c->err, EX_USAGE, "unknown scheme '%s': use ARGON2ID, "
			"SHA512-CRYPT or BLF-CRYPT", c->opt[OPT_SCHEME]);
		return ctx_fail(c);
	}
	len = ctx_password(c, argc ? argv[0] : NULL, password_scheme_max_len(p.scheme),
			   pw, sizeof(pw));
	if (len < 0)
		return ctx_fail(c);
	if (password_hash(&p, pw, (size_t)len, hash, sizeof(hash), &c->err) < 0) {
		explicit_bzero(pw, sizeof(pw));
		return ctx_fail(c);
	}
	explicit_bzero(pw, sizeof(pw));
	printf("%s\n", hash);
	return 0;
}
