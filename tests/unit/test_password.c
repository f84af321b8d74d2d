#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "password.h"
#include "validate.h"

#define DOVEADM "/usr/bin/doveadm"

static const char *const scheme_names[] = { "ARGON2ID", "SHA512-CRYPT", "BLF-CRYPT" };
static const char *const hash_prefixes[] = {
	"{ARGON2ID}$argon2id$v=19$m=8,t=3,p=1$",
	"{SHA512-CRYPT}$6$rounds=1000$",
	"{BLF-CRYPT}$2y$04$",
};

/* The cheapest parameters each scheme accepts, to keep most tests fast. */
static struct password_params fast(enum password_scheme s)
{
	struct password_params p;

	password_params_default(&p);
	p.scheme = s;
	p.argon2_memlimit = 8192;
	p.sha512_rounds = 1000;
	p.bcrypt_cost = 4;
	return p;
}

static void hash_ok(const struct password_params *p, const char *pw, char *out)
{
	struct err e = {0};

	if (password_hash(p, pw, strlen(pw), out, PASSWORD_HASH_MAX, &e) < 0)
		fail_msg("password_hash(%s): %s", password_scheme_name(p->scheme), e.msg);
	assert_int_equal(e.code, 0);
}

static int verify(const char *stored, const char *pw)
{
	struct err e = {0};
	int r = password_verify(stored, pw, strlen(pw), &e);

	if (r < 0)
		fail_msg("password_verify(%s): %s", stored, e.msg);
	return r;
}

/* The salt of a hash made by password_hash(), for comparison. */
static void salt_of(const char *stored, enum password_scheme s, char *salt, size_t sz)
{
	/* '$'-separated field holding the salt: $argon2id$v$params$SALT$hash,
	 * $6$rounds=N$SALT$hash, $2y$NN$SALT(22)HASH(31). */
	static const int field[] = { 4, 3, 3 };
	const char *p = strchr(stored, '}');
	size_t n;

	assert_non_null(p);
	for (int i = 0; i < field[s]; i++) {
		p = strchr(p + 1, '$');
		assert_non_null(p);
	}
	p++;
	n = s == PASSWORD_BLF_CRYPT ? 22 : strcspn(p, "$");
	assert_true(n > 8 && n < sz);
	memcpy(salt, p, n);
	salt[n] = '\0';
}

/* ---- names and parameters --------------------------------------------- */

static void test_defaults(void **state)
{
	struct password_params p;

	(void)state;
	memset(&p, 0xa5, sizeof(p));
	password_params_default(&p);
	assert_int_equal(p.scheme, PASSWORD_ARGON2ID);
	assert_int_equal(p.argon2_opslimit, 3);
	assert_int_equal(p.argon2_memlimit, 64 * 1024 * 1024);
	assert_int_equal(p.sha512_rounds, 100000);
	assert_int_equal(p.bcrypt_cost, 12);
}

static void test_scheme_names(void **state)
{
	static const char *const other_case[] = { "argon2id", "Sha512-Crypt", "blf-crypt" };
	static const char *const bad[] = {
		"", "ARGON2", "ARGON2I", "SHA512", "SHA512-CRYPT ", "{BLF-CRYPT}",
		"MD5-CRYPT", "PLAIN", "BLF_CRYPT",
	};
	enum password_scheme s;

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(password_scheme_parse(scheme_names[i], &s), 0);
		assert_int_equal(s, i);
		assert_string_equal(password_scheme_name(s), scheme_names[i]);
		s = (enum password_scheme)-1;
		assert_int_equal(password_scheme_parse(other_case[i], &s), 0);
		assert_int_equal(s, i);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = PASSWORD_BLF_CRYPT;
		assert_int_equal(password_scheme_parse(bad[i], &s), -1);
		assert_int_equal(s, PASSWORD_BLF_CRYPT);
	}
	assert_null(password_scheme_name((enum password_scheme)3));
}

static void test_max_len(void **state)
{
	(void)state;
	assert_int_equal(password_scheme_max_len(PASSWORD_ARGON2ID), VALIDATE_PASSWORD_MAX);
	assert_int_equal(password_scheme_max_len(PASSWORD_SHA512_CRYPT), 511);
	assert_int_equal(password_scheme_max_len(PASSWORD_BLF_CRYPT), 72);
}

static void expect_param_error(struct password_params p, const char *what)
{
	char out[PASSWORD_HASH_MAX];
	struct err e = {0};

	assert_int_equal(password_hash(&p, "secret99", 8, out, sizeof(out), &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
	if (!strstr(e.msg, what))
		fail_msg("message '%s' does not name '%s'", e.msg, what);
}

static void test_bad_params(void **state)
{
	struct password_params p;
	char out[PASSWORD_HASH_MAX];
	struct err e = {0};

	(void)state;
	p = fast(PASSWORD_ARGON2ID);
	p.argon2_opslimit = 2;
	expect_param_error(p, "opslimit");
	p = fast(PASSWORD_ARGON2ID);
	p.argon2_memlimit = 4096;
	expect_param_error(p, "memlimit");
	p = fast(PASSWORD_SHA512_CRYPT);
	p.sha512_rounds = 999;
	expect_param_error(p, "rounds");
	p.sha512_rounds = 1000000000;
	expect_param_error(p, "rounds");
	p = fast(PASSWORD_BLF_CRYPT);
	p.bcrypt_cost = 3;
	expect_param_error(p, "cost");
	p.bcrypt_cost = 32;
	expect_param_error(p, "cost");
	p = fast(PASSWORD_BLF_CRYPT);
	p.scheme = (enum password_scheme)7;
	expect_param_error(p, "scheme");

	p = fast(PASSWORD_SHA512_CRYPT);
	assert_int_equal(password_hash(&p, "secret99", 8, out, PASSWORD_HASH_MAX - 1, &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
	e.code = 0;
	assert_int_equal(password_hash(&p, "secr\0t99", 8, out, sizeof(out), &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
}

/* ---- hashing and verifying ---------------------------------------------- */

static void check_scheme(enum password_scheme s)
{
	struct password_params p = fast(s);
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
	char salt1[64], salt2[64];
	const char *pw = "correct horse battery staple";

	hash_ok(&p, pw, h1);
	hash_ok(&p, pw, h2);
	if (strncmp(h1, hash_prefixes[s], strlen(hash_prefixes[s])) != 0)
		fail_msg("'%s' does not start with '%s'", h1, hash_prefixes[s]);
	for (const char *c = h1; *c; c++)
		assert_true(*c > ' ' && *c <= '~' && *c != ':');
	assert_int_equal(verify(h1, pw), 1);
	assert_int_equal(verify(h2, pw), 1);
	assert_int_equal(verify(h1, "correct horse battery stapl"), 0);
	assert_int_equal(verify(h1, "correct horse battery staple "), 0);
	assert_int_equal(verify(h1, "Correct horse battery staple"), 0);
	assert_int_equal(verify(h1, ""), 0);
	/* Same password, different salt: different hashes. */
	salt_of(h1, s, salt1, sizeof(salt1));
	salt_of(h2, s, salt2, sizeof(salt2));
	assert_string_not_equal(salt1, salt2);
	assert_string_not_equal(h1, h2);
}

static void test_argon2id(void **state)
{
	(void)state;
	check_scheme(PASSWORD_ARGON2ID);
}

static void test_sha512_crypt(void **state)
{
	(void)state;
	check_scheme(PASSWORD_SHA512_CRYPT);
}

static void test_blf_crypt(void **state)
{
	(void)state;
	check_scheme(PASSWORD_BLF_CRYPT);
}

static void test_default_params_encoded(void **state)
{
	struct password_params p;
	char h[PASSWORD_HASH_MAX];

	(void)state;
	password_params_default(&p);
	hash_ok(&p, "secret99", h);
	assert_true(strncmp(h, "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$", 41) == 0);
	p.scheme = PASSWORD_SHA512_CRYPT;
	hash_ok(&p, "secret99", h);
	assert_true(strncmp(h, "{SHA512-CRYPT}$6$rounds=100000$", 31) == 0);
	p.scheme = PASSWORD_BLF_CRYPT;
	hash_ok(&p, "secret99", h);
	assert_true(strncmp(h, "{BLF-CRYPT}$2y$12$", 18) == 0);
}

static void test_bcrypt_72(void **state)
{
	struct password_params p = fast(PASSWORD_BLF_CRYPT);
	char pw[80], h[PASSWORD_HASH_MAX];
	struct err e = {0};

	(void)state;
	memset(pw, 'a', 73);
	pw[72] = '\0';
	hash_ok(&p, pw, h);
	assert_int_equal(verify(h, pw), 1);
	pw[71] = '\0';
	assert_int_equal(verify(h, pw), 0);
	pw[71] = 'a';
	/* bcrypt itself would accept this one: only its first 72 bytes count. */
	pw[72] = 'a';
	pw[73] = '\0';
	assert_int_equal(verify(h, pw), 0);
	assert_int_equal(password_hash(&p, pw, 73, h, sizeof(h), &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
}

static void test_sha512_511(void **state)
{
	struct password_params p = fast(PASSWORD_SHA512_CRYPT);
	char pw[520], h[PASSWORD_HASH_MAX];
	struct err e = {0};

	(void)state;
	memset(pw, 'b', sizeof(pw));
	pw[511] = '\0';
	hash_ok(&p, pw, h);
	assert_int_equal(verify(h, pw), 1);
	pw[511] = 'b';
	pw[512] = '\0';
	assert_int_equal(verify(h, pw), 0);
	assert_int_equal(password_hash(&p, pw, 512, h, sizeof(h), &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
}

static void test_argon2id_long(void **state)
{
	struct password_params p = fast(PASSWORD_ARGON2ID);
	char pw[VALIDATE_PASSWORD_MAX + 1], h[PASSWORD_HASH_MAX];

	(void)state;
	memset(pw, 'c', VALIDATE_PASSWORD_MAX);
	pw[VALIDATE_PASSWORD_MAX] = '\0';
	hash_ok(&p, pw, h);
	assert_int_equal(verify(h, pw), 1);
	pw[VALIDATE_PASSWORD_MAX - 1] = 'd';
	assert_int_equal(verify(h, pw), 0);
}

static void test_verify_embedded_nul(void **state)
{
	struct password_params p;
	char h[PASSWORD_HASH_MAX];
	struct err e = {0};

	(void)state;
	for (int s = 0; s < 3; s++) {
		p = fast((enum password_scheme)s);
		hash_ok(&p, "ab", h);
		/* A C-string comparison would see "ab" here. */
		assert_int_equal(password_verify(h, "ab\0cd", 5, &e), 0);
		assert_int_equal(password_verify(h, "ab", 2, &e), 1);
	}
}

static void test_verify_case_insensitive_scheme(void **state)
{
	struct password_params p = fast(PASSWORD_SHA512_CRYPT);
	char h[PASSWORD_HASH_MAX], lower[PASSWORD_HASH_MAX + 8];

	(void)state;
	hash_ok(&p, "secret99", h);
	snprintf(lower, sizeof(lower), "{sha512-crypt}%s", strchr(h, '}') + 1);
	assert_int_equal(verify(lower, "secret99"), 1);
}

static void test_verify_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"$6$rounds=1000$abcdefgh$xyz",
		"{SHA512-CRYPT",
		"{MD5-CRYPT}$1$abcdefgh$xyz",
		"{PLAIN}secret99",
		"{}secret99",
		"{ARGON2ID}secret99",
		"{ARGON2ID}$argon2id$garbage",
		"{ARGON2ID}$argon2i$v=19$m=8,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"{SHA512-CRYPT}$2y$04$abcdefghijklmnopqrstuuFh3AyHZ4B1Eq2SN1aJbUyUYHTSGGlIq",
		"{SHA512-CRYPT}$6$a b$xyz",
		"{BLF-CRYPT}$2y$99$abcdefghijklmnopqrstuuFh3AyHZ4B1Eq2SN1aJbUyUYHTSGGlIq",
		"{BLF-CRYPT}$2y$04$short",
		"{BLF-CRYPT}$6$rounds=1000$abcdefgh$xyz",
	};
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.code = 0;
		if (password_verify(bad[i], "secret99", 8, &e) != -1)
			fail_msg("'%s' was not rejected", bad[i]);
		assert_int_equal(e.code, EX_DATAERR);
	}
}

/* ---- Dovecot agrees ------------------------------------------------------ */

/* Runs `doveadm pw -t HASH -p PW`; returns its exit status and puts its
 * output in out. */
static int doveadm_verify(const char *hash, const char *pw, char *out, size_t outsz)
{
	const char *argv[] = { DOVEADM, "pw", "-t", hash, "-p", pw, NULL };
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL };
	int fds[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (access(DOVEADM, X_OK) != 0)
		fail_msg("%s not found: dovecot-core is needed to check that "
			 "Dovecot accepts the hashes (apt-get install dovecot-core)",
			 DOVEADM);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execve(DOVEADM, (char *const *)argv, envp);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + len, outsz - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void check_doveadm(const struct password_params *p)
{
	char h[PASSWORD_HASH_MAX], out[4096];
	const char *pw = "Tr0ub4dor&3 with spaces";
	int st;

	hash_ok(p, pw, h);
	st = doveadm_verify(h, pw, out, sizeof(out));
	if (st != 0)
		fail_msg("doveadm rejected %s (exit %d): %s", h, st, out);
	assert_non_null(strstr(out, "(verified)"));
	st = doveadm_verify(h, "Tr0ub4dor&3 with spaceS", out, sizeof(out));
	if (st == 0)
		fail_msg("doveadm accepted a wrong password for %s: %s", h, out);
}

static void test_doveadm_fast(void **state)
{
	(void)state;
	for (int s = 0; s < 3; s++) {
		struct password_params p = fast((enum password_scheme)s);

		check_doveadm(&p);
	}
}

static void test_doveadm_defaults(void **state)
{
	struct password_params p;

	(void)state;
	password_params_default(&p);
	for (int s = 0; s < 3; s++) {
		p.scheme = (enum password_scheme)s;
		check_doveadm(&p);
	}
}

/* ---- reading from a descriptor ------------------------------------------ */

/* A pipe holding data, its write end closed. */
static int pipe_with(const void *data, size_t len)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], data, len), (ssize_t)len);
	close(fds[1]);
	return fds[0];
}

static void test_read_line(void **state)
{
	char buf[VALIDATE_PASSWORD_MAX + 2], rest[16];
	struct err e = {0};
	int fd;

	(void)state;
	fd = pipe_with("s3cret pw\nnext line\n", 20);
	assert_int_equal(password_read(fd, NULL, 0, buf, sizeof(buf), &e), 9);
	assert_string_equal(buf, "s3cret pw");
	/* Nothing after the line was consumed. */
	assert_int_equal(read(fd, rest, sizeof(rest)), 10);
	assert_memory_equal(rest, "next line\n", 10);
	close(fd);

	fd = pipe_with("no newline", 10);
	assert_int_equal(password_read(fd, NULL, 0, buf, sizeof(buf), &e), 10);
	assert_string_equal(buf, "no newline");
	close(fd);

	/* CR stays for validate_password() to reject. */
	fd = pipe_with("crlf\r\n", 6);
	assert_int_equal(password_read(fd, NULL, 0, buf, sizeof(buf), &e), 5);
	assert_string_equal(buf, "crlf\r");
	close(fd);

	fd = pipe_with("\n", 1);
	assert_int_equal(password_read(fd, NULL, 0, buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "");
	close(fd);
	assert_int_equal(e.code, 0);
}

static void expect_read_error(const void *data, size_t len, int code,
			      const char *msg)
{
	char buf[VALIDATE_PASSWORD_MAX + 2];
	struct err e = {0};
	int fd = pipe_with(data, len);

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(password_read(fd, NULL, 0, buf, sizeof(buf), &e), -1);
	close(fd);
	assert_int_equal(e.code, code);
	if (!strstr(e.msg, msg))
		fail_msg("message '%s' does not say '%s'", e.msg, msg);
	/* Whatever was read is gone. */
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
}

static void test_read_limits(void **state)
{
	char line[VALIDATE_PASSWORD_MAX + 3], buf[VALIDATE_PASSWORD_MAX + 2];
	struct err e = {0};
	int fd;

	(void)state;
	memset(line, 'p', sizeof(line));
	line[VALIDATE_PASSWORD_MAX] = '\n';
	fd = pipe_with(line, VALIDATE_PASSWORD_MAX + 1);
	assert_int_equal(password_read(fd, NULL, 0, buf, sizeof(buf), &e),
			 VALIDATE_PASSWORD_MAX);
	assert_int_equal(strlen(buf), VALIDATE_PASSWORD_MAX);
	close(fd);

	line[VALIDATE_PASSWORD_MAX] = 'p';
	line[VALIDATE_PASSWORD_MAX + 1] = '\n';
	expect_read_error(line, VALIDATE_PASSWORD_MAX + 2, EX_DATAERR,
			  "longer than 1024 bytes");
	/* Also without a newline at all. */
	expect_read_error(line, VALIDATE_PASSWORD_MAX + 1, EX_DATAERR,
			  "longer than 1024 bytes");
	expect_read_error("secret\0pw\n", 10, EX_DATAERR, "NUL");
	expect_read_error("", 0, EX_DATAERR, "no password");

	fd = pipe_with("secret\n", 7);
	assert_int_equal(password_read(fd, NULL, 0, buf, VALIDATE_PASSWORD_MAX + 1, &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
	close(fd);
}

static void test_read_error_hides_password(void **state)
{
	char buf[VALIDATE_PASSWORD_MAX + 2];
	struct err e = {0};
	int fd = pipe_with("hunter2\0x\n", 10);

	(void)state;
	assert_int_equal(password_read(fd, NULL, 0, buf, sizeof(buf), &e), -1);
	close(fd);
	assert_null(strstr(e.msg, "hunter2"));
}

static void test_read_bad_fd(void **state)
{
	char buf[VALIDATE_PASSWORD_MAX + 2];
	struct err e = {0};
	int fd = open("/dev/null", O_WRONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(password_read(fd, NULL, 0, buf, sizeof(buf), &e), -1);
	close(fd);
	assert_int_equal(e.code, EX_IOERR);
}

/* ---- reading from the terminal ------------------------------------------- */

/* In a child without a controlling terminal: the documented message. */
static void test_read_no_tty(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[VALIDATE_PASSWORD_MAX + 2];
		struct err e = {0};

		setsid();
		if (password_read(-1, NULL, 1, buf, sizeof(buf), &e) != -1)
			_exit(1);
		if (e.code != EX_USAGE || !strstr(e.msg, "--password-stdin"))
			_exit(2);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

struct pty_child {
	int master;
	pid_t pid;
	int result[2];	/* the child reports length and buffer here */
};

/* Forks a child whose controlling terminal is a new pty and which calls
 * password_read(-1, "Password: ", confirm, ...). It writes the return
 * value, the error code, the buffer and whether echo is back on to
 * result[1]. */
static void pty_start(struct pty_child *c, int confirm)
{
	assert_int_equal(pipe(c->result), 0);
	c->master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(c->master >= 0);
	assert_int_equal(grantpt(c->master), 0);
	assert_int_equal(unlockpt(c->master), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		char buf[VALIDATE_PASSWORD_MAX + 2];
		struct err e = {0};
		struct termios t;
		int n, slave, echo;

		close(c->result[0]);
		/* A shell without job control starts background commands (make -j
		 * does) with SIGINT ignored, and password_read() rightly leaves an
		 * ignored signal alone; ^C must kill this child whatever. */
		signal(SIGINT, SIG_DFL);
		setsid();
		slave = open(ptsname(c->master), O_RDWR); /* becomes the ctty */
		close(c->master);
		if (slave < 0)
			_exit(3);
		memset(buf, 0, sizeof(buf));
		n = password_read(-1, "Password: ", confirm, buf, sizeof(buf), &e);
		echo = tcgetattr(slave, &t) == 0 && (t.c_lflag & ECHO);
		if (write(c->result[1], &n, sizeof(n)) != sizeof(n) ||
		    write(c->result[1], &e.code, sizeof(e.code)) != sizeof(e.code) ||
		    write(c->result[1], &echo, sizeof(echo)) != sizeof(echo) ||
		    write(c->result[1], buf, sizeof(buf)) != sizeof(buf))
			_exit(4);
		_exit(0);
	}
	close(c->result[1]);
}

/* Reads what the child wrote to the terminal until it ends with want. */
static void pty_expect(struct pty_child *c, const char *want, char *seen, size_t seensz)
{
	size_t len = strlen(seen);
	struct pollfd pfd = { .fd = c->master, .events = POLLIN };
	ssize_t n;

	while (len < strlen(want) || strcmp(seen + len - strlen(want), want) != 0) {
		if (poll(&pfd, 1, 10000) != 1)
			fail_msg("timed out waiting for '%s', got '%s'", want, seen);
		n = read(c->master, seen + len, seensz - 1 - len);
		assert_true(n > 0);
		len += (size_t)n;
		seen[len] = '\0';
	}
}

static void pty_send(struct pty_child *c, const char *s)
{
	assert_int_equal(write(c->master, s, strlen(s)), (ssize_t)strlen(s));
}

/* Waits at most 10 s for the child to end; a hung child is killed, so a
 * broken password_read() fails the test instead of hanging it. */
static void pty_wait(struct pty_child *c, int *status)
{
	for (int i = 0; i < 1000; i++) {
		pid_t r = waitpid(c->pid, status, WNOHANG);

		assert_true(r >= 0);
		if (r == c->pid)
			return;
		usleep(10000);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, status, 0);
	fail_msg("the child reading the password did not finish");
}

static void pty_finish(struct pty_child *c, int *n, int *code, int *echo, char *buf)
{
	int status;

	pty_wait(c, &status);
	assert_int_equal(read(c->result[0], n, sizeof(*n)), sizeof(*n));
	assert_int_equal(read(c->result[0], code, sizeof(*code)), sizeof(*code));
	assert_int_equal(read(c->result[0], echo, sizeof(*echo)), sizeof(*echo));
	assert_int_equal(read(c->result[0], buf, VALIDATE_PASSWORD_MAX + 2),
			 VALIDATE_PASSWORD_MAX + 2);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(c->result[0]);
	close(c->master);
}

static void test_read_tty(void **state)
{
	char seen[4096] = "", buf[VALIDATE_PASSWORD_MAX + 2];
	struct pty_child c;
	int n, code, echo;

	(void)state;
	pty_start(&c, 1);
	pty_expect(&c, "Password: ", seen, sizeof(seen));
	pty_send(&c, "hunter2 x\n");
	pty_expect(&c, "Retype password: ", seen, sizeof(seen));
	pty_send(&c, "hunter2 x\n");
	/* The newline after the answer (the pty makes it "\r\n"), and no
	 * echo of what was typed. */
	pty_expect(&c, "Retype password: \r\n", seen, sizeof(seen));
	assert_string_equal(seen, "Password: \r\nRetype password: \r\n");
	pty_finish(&c, &n, &code, &echo, buf);
	assert_int_equal(n, 9);
	assert_string_equal(buf, "hunter2 x");
	assert_int_equal(code, 0);
	assert_int_equal(echo, 1);
}

static void test_read_tty_mismatch(void **state)
{
	char seen[4096] = "", buf[VALIDATE_PASSWORD_MAX + 2];
	struct pty_child c;
	int n, code, echo;

	(void)state;
	pty_start(&c, 1);
	pty_expect(&c, "Password: ", seen, sizeof(seen));
	pty_send(&c, "hunter2\n");
	pty_expect(&c, "Retype password: ", seen, sizeof(seen));
	pty_send(&c, "hunter3\n");
	pty_finish(&c, &n, &code, &echo, buf);
	assert_int_equal(n, -1);
	assert_int_equal(code, EX_DATAERR);
	assert_int_equal(echo, 1);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
}

/* ^C at the prompt: the child dies of SIGINT, with echo back on. */
static void test_read_tty_interrupt(void **state)
{
	char seen[4096] = "";
	struct pty_child c;
	struct termios t;
	int status;

	(void)state;
	pty_start(&c, 0);
	pty_expect(&c, "Password: ", seen, sizeof(seen));
	pty_send(&c, "half");
	assert_int_equal(tcgetattr(c.master, &t), 0);
	assert_int_equal(t.c_lflag & ECHO, 0);
	pty_send(&c, "\003"); /* VINTR */
	pty_wait(&c, &status);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGINT);
	assert_int_equal(tcgetattr(c.master, &t), 0);
	assert_int_not_equal(t.c_lflag & ECHO, 0);
	close(c.result[0]);
	close(c.master);
}

/* ^C as soon as the prompt shows, when the child may not be in read()
 * yet: the signal must not be lost in between. Repeated, as the window
 * is narrow. */
static void test_read_tty_interrupt_early(void **state)
{
	(void)state;
	for (int i = 0; i < 100; i++) {
		char seen[4096] = "";
		struct pty_child c;
		int status;

		pty_start(&c, 0);
		pty_expect(&c, "Password: ", seen, sizeof(seen));
		pty_send(&c, "\003");
		pty_wait(&c, &status);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGINT);
		close(c.result[0]);
		close(c.master);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_scheme_names),
		cmocka_unit_test(test_max_len),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_argon2id),
		cmocka_unit_test(test_sha512_crypt),
		cmocka_unit_test(test_blf_crypt),
		cmocka_unit_test(test_default_params_encoded),
		cmocka_unit_test(test_bcrypt_72),
		cmocka_unit_test(test_sha512_511),
		cmocka_unit_test(test_argon2id_long),
		cmocka_unit_test(test_verify_embedded_nul),
		cmocka_unit_test(test_verify_case_insensitive_scheme),
		cmocka_unit_test(test_verify_malformed),
		cmocka_unit_test(test_doveadm_fast),
		cmocka_unit_test(test_doveadm_defaults),
		cmocka_unit_test(test_read_line),
		cmocka_unit_test(test_read_limits),
		cmocka_unit_test(test_read_error_hides_password),
		cmocka_unit_test(test_read_bad_fd),
		cmocka_unit_test(test_read_no_tty),
		cmocka_unit_test(test_read_tty),
		cmocka_unit_test(test_read_tty_mismatch),
		cmocka_unit_test(test_read_tty_interrupt),
		cmocka_unit_test(test_read_tty_interrupt_early),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
