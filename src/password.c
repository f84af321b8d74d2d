#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "password.h"
#include "validate.h"

#define ARGON2_OPSLIMIT_MIN 3ULL
#define SHA512_ROUNDS_MIN 1000UL
#define SHA512_ROUNDS_MAX 999999999UL
#define BCRYPT_COST_MIN 4UL
#define BCRYPT_COST_MAX 31UL

/* bcrypt keys its cipher with at most 72 bytes and silently ignores the
 * rest, so a longer password would be accepted by any string sharing its
 * first 72 bytes. */
#define BCRYPT_MAX_LEN 72

static const struct scheme_info {
	const char *name;
	const char *hash_prefix; /* what the hash after "{NAME}" starts with */
	size_t max_len;
} schemes[] = {
	[PASSWORD_ARGON2ID] = { "ARGON2ID", "$argon2id$", VALIDATE_PASSWORD_MAX },
	/* libxcrypt refuses passphrases of CRYPT_MAX_PASSPHRASE_SIZE bytes or
	 * more (ERANGE), and Dovecot verifies with the same library. */
	[PASSWORD_SHA512_CRYPT] = { "SHA512-CRYPT", "$6$",
				    CRYPT_MAX_PASSPHRASE_SIZE - 1 },
	[PASSWORD_BLF_CRYPT] = { "BLF-CRYPT", "$2y$", BCRYPT_MAX_LEN },
};

#define N_SCHEMES (sizeof(schemes) / sizeof(schemes[0]))

/* ---- schemes and parameters ------------------------------------------ */

void password_params_default(struct password_params *p)
{
	p->scheme = PASSWORD_ARGON2ID;
	p->argon2_opslimit = 3;
	p->argon2_memlimit = (size_t)64 << 20;
	p->sha512_rounds = 100000;
	p->bcrypt_cost = 12;
}

int password_scheme_parse(const char *name, enum password_scheme *s_r)
{
	for (size_t i = 0; i < N_SCHEMES; i++) {
		if (strcasecmp(name, schemes[i].name) == 0) {
			*s_r = (enum password_scheme)i;
			return 0;
		}
	}
	return -1;
}

const char *password_scheme_name(enum password_scheme s)
{
	return (size_t)s < N_SCHEMES ? schemes[s].name : NULL;
}

size_t password_scheme_max_len(enum password_scheme s)
{
	return (size_t)s < N_SCHEMES ? schemes[s].max_len : 0;
}

static int check_params(const struct password_params *p, struct err *e)
{
	switch (p->scheme) {
	case PASSWORD_ARGON2ID:
		if (p->argon2_opslimit < ARGON2_OPSLIMIT_MIN ||
		    p->argon2_opslimit > crypto_pwhash_OPSLIMIT_MAX)
			return err_set(e, EX_SOFTWARE,
				       "argon2 opslimit %llu is out of range (%llu..%llu)",
				       p->argon2_opslimit, ARGON2_OPSLIMIT_MIN,
				       (unsigned long long)crypto_pwhash_OPSLIMIT_MAX);
		if (p->argon2_memlimit < crypto_pwhash_MEMLIMIT_MIN ||
		    p->argon2_memlimit > crypto_pwhash_MEMLIMIT_MAX)
			return err_set(e, EX_SOFTWARE,
				       "argon2 memlimit %zu is out of range (%zu..%zu bytes)",
				       p->argon2_memlimit,
				       (size_t)crypto_pwhash_MEMLIMIT_MIN,
				       (size_t)crypto_pwhash_MEMLIMIT_MAX);
		return 0;
	case PASSWORD_SHA512_CRYPT:
		if (p->sha512_rounds < SHA512_ROUNDS_MIN ||
		    p->sha512_rounds > SHA512_ROUNDS_MAX)
			return err_set(e, EX_SOFTWARE,
				       "SHA512-CRYPT rounds %lu are out of range (%lu..%lu)",
				       p->sha512_rounds, SHA512_ROUNDS_MIN,
				       SHA512_ROUNDS_MAX);
		return 0;
	case PASSWORD_BLF_CRYPT:
		if (p->bcrypt_cost < BCRYPT_COST_MIN ||
		    p->bcrypt_cost > BCRYPT_COST_MAX)
			return err_set(e, EX_SOFTWARE,
				       "BLF-CRYPT cost %lu is out of range (%lu..%lu)",
				       p->bcrypt_cost, BCRYPT_COST_MIN,
				       BCRYPT_COST_MAX);
		return 0;
	}
	return err_set(e, EX_SOFTWARE, "unknown password scheme %d", (int)p->scheme);
}

/* ---- hashing ---------------------------------------------------------- */

static int sodium_ready(struct err *e)
{
	static int ready;

	if (!ready) {
		if (sodium_init() < 0)
			return err_set(e, EX_OSERR, "cannot initialise libsodium");
		ready = 1;
	}
	return 0;
}

/* The hash goes into Dovecot's passwd-file, where ':' separates fields
 * and whitespace would end up in a line of its own; every scheme here
 * should only ever produce printable ASCII without ':', and anything else
 * means a library does not do what we think. */
static int hash_is_safe(const char *h)
{
	for (; *h; h++) {
		if (*h <= ' ' || *h > '~' || *h == ':')
			return 0;
	}
	return 1;
}

static int put_hash(enum password_scheme s, const char *h, char *out,
		    size_t outsz, struct err *e)
{
	int n;

	if (!hash_is_safe(h))
		return err_set(e, EX_SOFTWARE,
			       "the %s hash contains a character unsafe in a "
			       "passwd-file", schemes[s].name);
	n = snprintf(out, outsz, "{%s}%s", schemes[s].name, h);
	if (n < 0 || (size_t)n >= outsz)
		return err_set(e, EX_SOFTWARE, "the %s hash is longer than %zu bytes",
			       schemes[s].name, outsz - 1);
	return 0;
}

static int hash_argon2id(const struct password_params *p, const char *pw,
			 size_t len, char *out, size_t outsz, struct err *e)
{
	char h[crypto_pwhash_STRBYTES];

	if (sodium_ready(e) < 0)
		return -1;
	if (crypto_pwhash_str_alg(h, pw, len, p->argon2_opslimit,
				  p->argon2_memlimit,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return err_set(e, EX_OSERR,
			       "ARGON2ID hashing failed (memlimit %zu bytes): %s",
			       p->argon2_memlimit, strerror(errno));
	return put_hash(PASSWORD_ARGON2ID, h, out, outsz, e);
}

/* crypt_rn() wants a C string; phrase must hold len + 1 bytes. */
static void to_phrase(char *phrase, const char *pw, size_t len)
{
	memcpy(phrase, pw, len);
	phrase[len] = '\0';
}

static int hash_crypt(enum password_scheme s, unsigned long count,
		      const char *pw, size_t len, char *out, size_t outsz,
		      struct err *e)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char phrase[VALIDATE_PASSWORD_MAX + 1];
	struct crypt_data cd;
	const char *h;
	int r;

	/* NULL random bytes: libxcrypt reads the salt from the kernel. */
	if (!crypt_gensalt_rn(schemes[s].hash_prefix, count, NULL, 0, setting,
			      sizeof(setting)))
		return err_set(e, EX_OSERR, "cannot make a %s salt: %s",
			       schemes[s].name, strerror(errno));
	to_phrase(phrase, pw, len);
	memset(&cd, 0, sizeof(cd));
	h = crypt_rn(phrase, setting, &cd, sizeof(cd));
	if (!h || h[0] == '*')
		r = err_set(e, EX_SOFTWARE, "%s hashing failed: %s",
			    schemes[s].name, strerror(errno));
	else
		r = put_hash(s, h, out, outsz, e);
	/* cd keeps a copy of the passphrase and intermediate state. */
	explicit_bzero(&cd, sizeof(cd));
	explicit_bzero(phrase, sizeof(phrase));
	return r;
}

int password_hash(const struct password_params *p, const char *pw, size_t len,
		  char *out, size_t outsz, struct err *e)
{
	if (check_params(p, e) < 0)
		return -1;
	if (outsz < PASSWORD_HASH_MAX)
		return err_set(e, EX_SOFTWARE, "password hash buffer too small");
	/* Callers validate first; these would silently hash something other
	 * than what the user typed. */
	if (len > schemes[p->scheme].max_len)
		return err_set(e, EX_SOFTWARE,
			       "the password is longer than %zu bytes, the most %s uses",
			       schemes[p->scheme].max_len, schemes[p->scheme].name);
	if (memchr(pw, '\0', len))
		return err_set(e, EX_SOFTWARE, "the password contains a NUL byte");
	if (p->scheme == PASSWORD_ARGON2ID)
		return hash_argon2id(p, pw, len, out, outsz, e);
	return hash_crypt(p->scheme,
			  p->scheme == PASSWORD_SHA512_CRYPT ? p->sha512_rounds
							     : p->bcrypt_cost,
			  pw, len, out, outsz, e);
}

/* ---- verifying -------------------------------------------------------- */

/* Splits "{SCHEME}hash"; the hash is not secret, so it may be quoted. */
static int split_stored(const char *stored, enum password_scheme *s_r,
			const char **hash_r, struct err *e)
{
	const char *end = stored[0] == '{' ? strchr(stored, '}') : NULL;
	char name[32];
	size_t n;

	if (!end)
		return err_set(e, EX_DATAERR,
			       "the stored password hash has no {SCHEME} prefix");
	n = (size_t)(end - stored - 1);
	if (n >= sizeof(name))
		return err_set(e, EX_DATAERR, "unknown password scheme in '%.40s'",
			       stored);
	memcpy(name, stored + 1, n);
	name[n] = '\0';
	if (password_scheme_parse(name, s_r) < 0)
		return err_set(e, EX_DATAERR, "unknown password scheme '%s'", name);
	*hash_r = end + 1;
	if (strncmp(*hash_r, schemes[*s_r].hash_prefix,
		    strlen(schemes[*s_r].hash_prefix)) != 0 ||
	    strlen(*hash_r) >= PASSWORD_HASH_MAX || !hash_is_safe(*hash_r))
		return err_set(e, EX_DATAERR, "malformed %s hash", name);
	return 0;
}

static int verify_argon2id(const char *hash, const char *pw, size_t len,
			   struct err *e)
{
	char h[crypto_pwhash_STRBYTES];

	if (sodium_ready(e) < 0)
		return -1;
	if (strlen(hash) >= sizeof(h))
		return err_set(e, EX_DATAERR, "malformed ARGON2ID hash");
	strcpy(h, hash);
	/* str_verify() says -1 both for a mismatch and for a string it cannot
	 * parse; needs_rehash() tells the second apart. */
	if (crypto_pwhash_str_needs_rehash(h, ARGON2_OPSLIMIT_MIN,
					   crypto_pwhash_MEMLIMIT_MIN) < 0)
		return err_set(e, EX_DATAERR, "malformed ARGON2ID hash");
	return crypto_pwhash_str_verify(h, pw, len) == 0;
}

static int verify_crypt(enum password_scheme s, const char *hash,
			const char *pw, size_t len, struct err *e)
{
	char phrase[VALIDATE_PASSWORD_MAX + 1];
	struct crypt_data cd;
	const char *h;
	int r;

	/* password_hash() never hashed such a password; bcrypt would match
	 * one longer than 72 bytes on its prefix alone. */
	if (len > schemes[s].max_len || memchr(pw, '\0', len))
		return 0;
	to_phrase(phrase, pw, len);
	memset(&cd, 0, sizeof(cd));
	h = crypt_rn(phrase, hash, &cd, sizeof(cd));
	if (!h || h[0] == '*')
		r = err_set(e, EX_DATAERR, "malformed %s hash", schemes[s].name);
	else
		r = strlen(h) == strlen(hash) &&
		    sodium_memcmp(h, hash, strlen(hash)) == 0;
	explicit_bzero(&cd, sizeof(cd));
	explicit_bzero(phrase, sizeof(phrase));
	return r;
}

int password_verify(const char *stored, const char *pw, size_t len,
		    struct err *e)
{
	enum password_scheme s = PASSWORD_ARGON2ID;
	const char *hash = NULL;

	if (split_stored(stored, &s, &hash, e) < 0)
		return -1;
	if (s == PASSWORD_ARGON2ID)
		return verify_argon2id(hash, pw, len, e);
	return verify_crypt(s, hash, pw, len, e);
}

/* ---- reading ---------------------------------------------------------- */

#define RETYPE_PROMPT "Retype password: "

/* The signal that interrupted a terminal read, so the terminal gets its
 * echo back before the signal takes its usual effect. */
static volatile sig_atomic_t caught_signal;

static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

#define N_TTY_SIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

static void note_signal(int sig)
{
	caught_signal = sig;
}

/* Waits until fd can be read. While the terminal is quiet the signals
 * above are blocked except inside ppoll(), so none can arrive between
 * looking at caught_signal and sleeping in read() and be missed. */
static int wait_readable(int fd, const sigset_t *unblocked)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (!caught_signal) {
		if (ppoll(&pfd, 1, NULL, unblocked) >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
	errno = EINTR;
	return -1;
}

/* Reads one line a byte at a time, so nothing after it is taken from a
 * pipe. unblocked is the signal mask to wait with on the terminal, NULL
 * for a plain descriptor. Returns the length without the "\n"; buf is
 * wiped on failure. */
static int read_line(int fd, char *buf, size_t bufsz,
		     const sigset_t *unblocked, struct err *e)
{
	size_t n = 0;
	char c = 0;
	ssize_t r;
	int ret;

	if (bufsz < VALIDATE_PASSWORD_MAX + 2)
		return err_set(e, EX_SOFTWARE, "password buffer too small");
	for (;;) {
		if (unblocked && wait_readable(fd, unblocked) < 0) {
			r = -1;
			break;
		}
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR && !caught_signal)
			continue;
		if (r <= 0 || c == '\n' || c == '\0' || n == VALIDATE_PASSWORD_MAX)
			break;
		buf[n++] = c;
	}
	if (r < 0 && caught_signal)
		ret = err_set(e, EX_TEMPFAIL, "interrupted while reading the password");
	else if (r < 0)
		ret = err_set(e, EX_IOERR, "cannot read the password: %s",
			      strerror(errno));
	else if (r == 0 && n == 0)
		ret = err_set(e, EX_DATAERR,
			      "no password: the input ended before one was given");
	else if (r > 0 && c == '\0')
		ret = err_set(e, EX_DATAERR, "the password contains a NUL byte");
	else if (r > 0 && c != '\n')
		ret = err_set(e, EX_DATAERR, "the password is longer than %d bytes",
			      VALIDATE_PASSWORD_MAX);
	else
		ret = (int)n;
	explicit_bzero(&c, sizeof(c));
	if (ret < 0)
		explicit_bzero(buf, bufsz);
	else
		buf[n] = '\0';
	return ret;
}

static int tty_write(int fd, const char *s, struct err *e)
{
	size_t len = strlen(s);
	ssize_t n;

	while (len) {
		n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(e, EX_IOERR, "cannot write to the terminal: %s",
				       strerror(errno));
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Prompts and reads one line with echo off. The Enter (or ^C) that ended
 * it was not echoed either, so a newline is written whatever happened;
 * when the read failed, its error is the one reported. */
static int ask(int fd, const char *prompt, char *buf, size_t bufsz,
	       const sigset_t *unblocked, struct err *e)
{
	struct err ignored;
	int n;

	if (tty_write(fd, prompt, e) < 0)
		return -1;
	n = read_line(fd, buf, bufsz, unblocked, e);
	if (tty_write(fd, "\n", n < 0 ? &ignored : e) < 0 && n >= 0) {
		explicit_bzero(buf, bufsz);
		return -1;
	}
	return n;
}

static int ask_twice(int fd, const char *prompt, int confirm, char *buf,
		     size_t bufsz, const sigset_t *unblocked, struct err *e)
{
	char again[VALIDATE_PASSWORD_MAX + 2];
	int n, m;

	n = ask(fd, prompt, buf, bufsz, unblocked, e);
	if (n < 0 || !confirm)
		return n;
	m = ask(fd, RETYPE_PROMPT, again, sizeof(again), unblocked, e);
	if (m >= 0 && (m != n || memcmp(again, buf, (size_t)n) != 0))
		m = err_set(e, EX_DATAERR, "passwords do not match");
	explicit_bzero(again, sizeof(again));
	if (m < 0) {
		explicit_bzero(buf, bufsz);
		return -1;
	}
	return n;
}

/* Blocks the signals that would otherwise leave the terminal without
 * echo and notes them instead, except those the process ignores; *unblocked
 * gets the mask to wait with. */
static void catch_signals(struct sigaction old[N_TTY_SIGNALS],
			  sigset_t *unblocked)
{
	struct sigaction sa;
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < N_TTY_SIGNALS; i++)
		sigaddset(&block, tty_signals[i]);
	sigprocmask(SIG_BLOCK, &block, unblocked);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = note_signal;
	sigemptyset(&sa.sa_mask);
	caught_signal = 0;
	for (size_t i = 0; i < N_TTY_SIGNALS; i++) {
		sigaction(tty_signals[i], &sa, &old[i]);
		if (old[i].sa_handler == SIG_IGN)
			sigaction(tty_signals[i], &old[i], NULL);
	}
}

/* Puts the caller's handlers and mask back: a signal still pending now
 * takes its usual effect, and one that was caught is raised again. */
static void restore_signals(const struct sigaction old[N_TTY_SIGNALS],
			    const sigset_t *unblocked)
{
	int sig = caught_signal;

	for (size_t i = 0; i < N_TTY_SIGNALS; i++)
		sigaction(tty_signals[i], &old[i], NULL);
	sigprocmask(SIG_SETMASK, unblocked, NULL);
	caught_signal = 0;
	if (sig)
		raise(sig);
}

static int read_tty(const char *prompt, int confirm, char *buf, size_t bufsz,
		    struct err *e)
{
	struct sigaction old[N_TTY_SIGNALS];
	struct termios saved, quiet;
	sigset_t unblocked;
	int fd, n;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set(e, EX_USAGE, "no terminal to ask for the password: "
			       "pass it on stdin with --password-stdin");
	if (tcgetattr(fd, &saved) < 0) {
		n = err_set(e, EX_OSERR, "cannot read the terminal settings: %s",
			    strerror(errno));
		close(fd);
		return n;
	}
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	catch_signals(old, &unblocked);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0)
		n = err_set(e, EX_OSERR, "cannot turn off the terminal echo: %s",
			    strerror(errno));
	else
		n = ask_twice(fd, prompt ? prompt : "Password: ", confirm, buf,
			      bufsz, &unblocked, e);
	tcsetattr(fd, TCSANOW, &saved);
	close(fd);
	restore_signals(old, &unblocked);
	return n;
}

int password_read(int fd, const char *prompt, int confirm, char *buf,
		  size_t bufsz, struct err *e)
{
	if (fd >= 0)
		return read_line(fd, buf, bufsz, NULL, e);
	return read_tty(prompt, confirm, buf, bufsz, e);
}
