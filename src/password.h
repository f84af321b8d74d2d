/* password.h - password hashes Dovecot verifies, made in-process.
 *
 * The result is "{SCHEME}hash", e.g. "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$...",
 * ready for Dovecot's passwd-file. Nothing here logs, and no password ever
 * reaches a child process. */
#ifndef WS_PASSWORD_H
#define WS_PASSWORD_H

#include <stddef.h>

#include "err.h"

enum password_scheme {
	PASSWORD_ARGON2ID,	/* libsodium crypto_pwhash_str_alg, ARGON2ID13 */
	PASSWORD_SHA512_CRYPT,	/* libcrypt $6$rounds=N$ */
	PASSWORD_BLF_CRYPT,	/* libcrypt $2y$NN$ (bcrypt, 72-byte limit) */
};

struct password_params {
	enum password_scheme scheme;
	unsigned long long argon2_opslimit; /* >= 3 (Dovecot forces >= 3) */
	size_t argon2_memlimit;		    /* bytes, default 64 MiB */
	unsigned long sha512_rounds;	    /* 1000..999999999, default 100000 */
	unsigned long bcrypt_cost;	    /* 4..31, default 12 */
};

#define PASSWORD_HASH_MAX 256

/* Fills p with the defaults above for ARGON2ID. */
void password_params_default(struct password_params *p);

/* "ARGON2ID", "SHA512-CRYPT", "BLF-CRYPT" (case-insensitive) -> scheme. */
int password_scheme_parse(const char *name, enum password_scheme *s_r);
const char *password_scheme_name(enum password_scheme s);

/* Longest password the scheme takes: 72 for bcrypt, 511 for SHA512-CRYPT
 * (libxcrypt's limit), else VALIDATE_PASSWORD_MAX. */
size_t password_scheme_max_len(enum password_scheme s);

/* Hashes pw (len bytes, already validated) into out (outsz >=
 * PASSWORD_HASH_MAX). Returns -1 with EX_SOFTWARE/EX_OSERR on failure. */
int password_hash(const struct password_params *p, const char *pw, size_t len,
		  char *out, size_t outsz, struct err *e);

/* Verifies pw against a "{SCHEME}hash" made by password_hash():
 * 1 = match, 0 = no match, -1 = error (unknown scheme, malformed hash). */
int password_verify(const char *stored, const char *pw, size_t len,
		    struct err *e);

/* Reads a password: from fd (one line, "\n" stripped) when fd >= 0, else
 * from the controlling terminal without echo, asking twice when confirm.
 * The buffer (bufsz >= VALIDATE_PASSWORD_MAX + 2) is the caller's; wipe it
 * with explicit_bzero() after use. Returns the length or -1. */
int password_read(int fd, const char *prompt, int confirm, char *buf,
		  size_t bufsz, struct err *e);

#endif
