/* The dovecot module against the host mock: the rendered dovecot.conf (and,
 * when doveconf is installed, its syntax), the users file (load, publish,
 * injection refused, the wait for Dovecot against a fake auth-master
 * socket: probe, flushes of exactly the changed users, timeout), the
 * login check of `mail migrate` against the same socket, service
 * control, status, and the port helper of modules/common. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "host_mock.h"
/* Short, for the test where Dovecot never serves the new file. */
#define DV_SYNC_TIMEOUT_MS 300
/* The module's sources, so the tests reach its static functions. */
#include "dovecot.c"
#include "dovecot_auth.c"
#include "dovecot_conf.c"
#include "dovecot_users.c"
#include "dovecot_added.c"

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* What publish() defers when the users file changes. */
#define SYNC_CALL "call wait until Dovecot serves the new /etc/dovecot/users " \
		  "and flush its auth cache"
#define DOVECOT_GID 105

/* Per test: the host mock and the module's state. */
struct fx {
	struct host_mock m;
	void *st;
	struct webstack_mail mail;
	char root[64];
};

static const struct webstack_imap_ops *imap(void)
{
	return dovecot_LTX_webstack_module.role_ops;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *err = NULL;

	host_mock_init(&f->m);
	host_mock_add_user(&f->m, "dovecot", 102, DOVECOT_GID);
	f->mail = (struct webstack_mail){
		.hostname = "mail.example.com",
		.mail_root = "/var/mail/vhosts",
		.vmail_user = "vmail",
		.vmail_uid = 5000,
		.vmail_gid = 5001,
		.tls_cert = "/etc/ssl/mail.example.com.pem",
		.tls_key = "/etc/ssl/private/mail.example.com.key",
	};
	memset(f->mail.enabled, 1, sizeof(f->mail.enabled));
	assert_int_equal(dovecot_LTX_webstack_module.init(&f->m.host, NULL, &f->st, &err), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	dovecot_LTX_webstack_module.fini(f->st);
	host_mock_free(&f->m);
	if (f->root[0]) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
		assert_int_equal(system(cmd), 0);
	}
	free(f);
	return 0;
}

/* ---- helpers ---- */

/* How many lines of text are exactly line. */
static size_t count_line(const char *text, const char *line)
{
	size_t n = 0, len = strlen(line);

	for (const char *p = text; *p;) {
		size_t l = strcspn(p, "\n");

		n += l == len && strncmp(p, line, len) == 0;
		p += l + (p[l] == '\n');
	}
	return n;
}

static void expect_line(const char *text, const char *line)
{
	if (count_line(text, line) != 1)
		fail_msg("expected the line '%s' once in:\n%s", line, text);
}

static void expect_text(const char *text, const char *part)
{
	if (!text || !strstr(text, part))
		fail_msg("expected '%s' in:\n%s", part, text ? text : "(no text)");
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

static const char *staged_conf(struct fx *f)
{
	const struct mock_file *c = host_mock_staged(&f->m, DV_CONF_PATH);

	assert_non_null(c);
	return c->data;
}

/* The deferred actions are exactly the NULL-terminated arguments. */
static void expect_deferred(const struct host_mock *m, ...)
{
	const char *want;
	size_t n = 0;
	va_list ap;

	va_start(ap, m);
	while ((want = va_arg(ap, const char *))) {
		if (n >= m->n_deferred || strcmp(m->deferred[n], want) != 0)
			fail_msg("deferred #%zu: expected '%s', got '%s'", n, want,
				 n < m->n_deferred ? m->deferred[n] : "nothing");
		n++;
	}
	va_end(ap);
	if (n != m->n_deferred)
		fail_msg("unexpected deferred action '%s'", m->deferred[n]);
}

static int setup_op(struct fx *f, const char **err)
{
	*err = NULL;
	return imap()->setup(f->st, &f->mail, err);
}

/* ---- descriptor ---- */

static void test_descriptor(void **state)
{
	/* A host with no functions: init() must not call any. */
	const struct webstack_host bare = {.size = sizeof(bare)};
	const char *err = NULL;
	void *st = NULL;

	(void)state;
	assert_int_equal(dovecot_LTX_webstack_module.init(&bare, NULL, &st, &err), 0);
	assert_non_null(st);
	dovecot_LTX_webstack_module.fini(st);
	assert_string_equal(dovecot_LTX_webstack_module.name, "dovecot");
	assert_int_equal(dovecot_LTX_webstack_module.role, WEBSTACK_ROLE_IMAP);
	assert_int_equal(dovecot_LTX_webstack_module.role_ops_size,
			 sizeof(struct webstack_imap_ops));
	assert_non_null(imap()->setup);
	assert_non_null(imap()->load);
	assert_non_null(imap()->publish);
	assert_non_null(imap()->status);
}

/* ---- setup ---- */

#define FIRST_LINE                                                                 \
	"# Managed by webstack, which rewrites this file: put local additions into " \
	"/etc/dovecot/local.conf"

static void test_setup_renders(void **state)
{
	struct fx *f = *state;
	const char *err, *c;
	const struct mock_file *file;

	assert_int_equal(setup_op(f, &err), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 1);
	file = host_mock_staged(&f->m, DV_CONF_PATH);
	assert_non_null(file);
	assert_int_equal(file->mode, 0644);
	assert_int_equal(file->uid, 0);
	assert_int_equal(file->gid, 0);
	assert_int_equal(file->flags, 0);
	c = file->data;
	assert_true(strncmp(c, FIRST_LINE "\n", strlen(FIRST_LINE) + 1) == 0);
	assert_true(ends_with(c, "\n}\n\n!include_try /etc/dovecot/local.conf\n"));

	expect_line(c, "protocols = lmtp imap pop3 sieve");
	expect_line(c, "listen = *, ::");
	expect_line(c, "hostname = mail.example.com");
	expect_line(c, "ssl = required");
	expect_line(c, "ssl_cert = </etc/ssl/mail.example.com.pem");
	expect_line(c, "ssl_key = </etc/ssl/private/mail.example.com.key");
	expect_line(c, "ssl_min_protocol = TLSv1.2");
	expect_line(c, "ssl_prefer_server_ciphers = no");
	expect_line(c, "ssl_cipher_list = ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
		       "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
		       "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
	expect_line(c, "disable_plaintext_auth = yes");
	expect_line(c, "auth_mechanisms = plain login");
	expect_line(c, "auth_cache_size = 10M");
	expect_line(c, "auth_cache_ttl = 1 hour");
	expect_line(c, "auth_cache_negative_ttl = 1 hour");
	expect_line(c, "mail_location = maildir:/var/mail/vhosts/%d/%n");
	expect_line(c, "first_valid_uid = 5000");
	expect_line(c, "last_valid_uid = 5000");
	expect_line(c, "first_valid_gid = 5001");
	expect_line(c, "last_valid_gid = 5001");
	expect_line(c, "mail_privileged_group =");
	expect_line(c, "  postmaster_address = postmaster@mail.example.com");
	expect_line(c, "  mail_plugins = $mail_plugins sieve");
	expect_line(c, "  sieve = file:~/sieve;active=~/dovecot.sieve");
	expect_line(c, "  vsz_limit = 1G");

	/* passwd-file is the only passdb and userdb: no pam, no passwd. */
	assert_int_equal(count_line(c, "passdb {"), 1);
	assert_int_equal(count_line(c, "userdb {"), 1);
	assert_int_equal(count_line(c, "  driver = passwd-file"), 2);
	assert_int_equal(count_line(c, "  args = username_format=%Lu /etc/dovecot/users"), 2);
	expect_text(c, "passdb {\n  driver = passwd-file\n  args = username_format=%Lu "
		       "/etc/dovecot/users\n}\n");
	expect_text(c, "userdb {\n  driver = passwd-file\n  args = username_format=%Lu "
		       "/etc/dovecot/users\n}\n");
	assert_null(strstr(c, "pam"));
	assert_null(strstr(c, "driver = passwd\n"));

	expect_text(c, "service imap-login {\n"
		       "  inet_listener imap {\n    port = 143\n  }\n"
		       "  inet_listener imaps {\n    port = 993\n    ssl = yes\n  }\n}\n");
	expect_text(c, "service pop3-login {\n"
		       "  inet_listener pop3 {\n    port = 110\n  }\n"
		       "  inet_listener pop3s {\n    port = 995\n    ssl = yes\n  }\n}\n");
	expect_text(c, "service managesieve-login {\n"
		       "  inet_listener sieve {\n    port = 4190\n  }\n}\n");
	expect_text(c, "service lmtp {\n"
		       "  unix_listener /var/spool/postfix/private/dovecot-lmtp {\n"
		       "    mode = 0600\n    user = postfix\n    group = postfix\n  }\n}\n");
	expect_text(c, "  unix_listener /var/spool/postfix/private/auth {\n"
		       "    mode = 0660\n    user = postfix\n    group = postfix\n  }\n");
	expect_text(c, "  unix_listener auth-userdb {\n    mode = 0600\n    user = vmail\n  }\n");
	expect_text(c, "namespace inbox {\n  inbox = yes\n");
	expect_text(c, "  mailbox Trash {\n    special_use = \\Trash\n    auto = subscribe\n  }\n");
	expect_text(c, "  mailbox Sent {\n    special_use = \\Sent\n");
	expect_text(c, "  mailbox Junk {\n    special_use = \\Junk\n");
	expect_text(c, "  mailbox Drafts {\n    special_use = \\Drafts\n");

	/* Stopped: one start, no reload. */
	expect_deferred(&f->m, "service dovecot start", NULL);
}

static void test_setup_disabled_services(void **state)
{
	struct fx *f = *state;
	const char *err, *c;

	f->mail.enabled[WEBSTACK_SVC_POP3] = 0;
	f->mail.enabled[WEBSTACK_SVC_POP3S] = 0;
	f->mail.enabled[WEBSTACK_SVC_SIEVE] = 0;
	f->mail.enabled[WEBSTACK_SVC_IMAPS] = 0;
	assert_int_equal(setup_op(f, &err), 0);
	c = staged_conf(f);
	expect_line(c, "protocols = lmtp imap");
	expect_text(c, "  inet_listener imap {\n    port = 143\n  }\n");
	expect_text(c, "  inet_listener imaps {\n    port = 0\n    ssl = yes\n  }\n");
	expect_text(c, "  inet_listener pop3 {\n    port = 0\n  }\n");
	expect_text(c, "  inet_listener pop3s {\n    port = 0\n    ssl = yes\n  }\n");
	expect_text(c, "  inet_listener sieve {\n    port = 0\n  }\n");
	assert_int_equal(count_line(c, "    port = 0"), 4);
	assert_null(strstr(c, "port = 110"));
	assert_null(strstr(c, "port = 4190"));
}

static void test_setup_only_pop3s(void **state)
{
	struct fx *f = *state;
	const char *err;

	memset(f->mail.enabled, 0, sizeof(f->mail.enabled));
	f->mail.enabled[WEBSTACK_SVC_POP3S] = 1;
	assert_int_equal(setup_op(f, &err), 0);
	expect_line(staged_conf(f), "protocols = lmtp pop3");
	assert_int_equal(count_line(staged_conf(f), "    port = 0"), 4);
	expect_line(staged_conf(f), "    port = 995");
}

static void test_setup_idempotent(void **state)
{
	struct fx *f = *state;
	const char *err;

	f->m.running = 1;
	assert_int_equal(setup_op(f, &err), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 1);
	expect_deferred(&f->m, "service dovecot reload", NULL);
	host_mock_commit(&f->m);

	/* The file on disk is current: nothing to stage, nothing to reload. */
	assert_int_equal(setup_op(f, &err), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 0);
	expect_deferred(&f->m, NULL);

	/* Current but stopped: only a start. */
	f->m.running = 0;
	assert_int_equal(setup_op(f, &err), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 0);
	expect_deferred(&f->m, "service dovecot start", NULL);

	/* A changed setting: staged again and reloaded. */
	host_mock_commit(&f->m);
	f->m.running = 1;
	f->mail.hostname = "mx.example.com";
	assert_int_equal(setup_op(f, &err), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 1);
	expect_line(staged_conf(f), "hostname = mx.example.com");
	expect_deferred(&f->m, "service dovecot reload", NULL);
}

static void test_setup_replaces_foreign_file(void **state)
{
	struct fx *f = *state;
	const char *err;

	host_mock_put(&f->m, DV_CONF_PATH, "!include conf.d/*.conf\n");
	f->m.running = 1;
	assert_int_equal(setup_op(f, &err), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 1);
	assert_null(strstr(staged_conf(f), "conf.d"));
	expect_deferred(&f->m, "service dovecot reload", NULL);
}

static void expect_setup_refused(struct fx *f, const char *needle)
{
	const char *err;

	assert_int_equal(setup_op(f, &err), -EINVAL);
	assert_non_null(err);
	if (!strstr(err, needle))
		fail_msg("expected '%s' in '%s'", needle, err);
	assert_int_equal(host_mock_n_staged(&f->m), 0);
	expect_deferred(&f->m, NULL);
}

static void test_setup_refuses_bad_settings(void **state)
{
	struct fx *f = *state;
	struct webstack_mail good = f->mail;

	f->mail.hostname = "mail.example.com\nssl = no";
	expect_setup_refused(f, "setting hostname");
	f->mail = good;
	f->mail.mail_root = "/var/mail/%u";
	expect_setup_refused(f, "setting mail_root");
	f->mail = good;
	f->mail.mail_root = "var/mail";
	expect_setup_refused(f, "mail_root must be an absolute path");
	f->mail = good;
	f->mail.tls_key = "/etc/ssl/key pem";
	expect_setup_refused(f, "setting tls_key");
	f->mail = good;
	f->mail.tls_cert = NULL;
	expect_setup_refused(f, "setting tls_cert");
	f->mail = good;
	f->mail.vmail_user = "vmail\n}";
	expect_setup_refused(f, "setting vmail_user");
	f->mail = good;
	f->mail.vmail_uid = 0;
	expect_setup_refused(f, "uid or gid 0");
}

static int status_fails(const struct webstack_host *h,
			const struct webstack_service *svc,
			enum webstack_service_action act, const char **err_r)
{
	(void)h;
	assert_string_equal(svc->name, "dovecot");
	assert_int_equal(act, WEBSTACK_SERVICE_STATUS);
	*err_r = "cannot run /usr/bin/doveadm";
	return -EIO;
}

static void test_setup_status_unknown(void **state)
{
	struct fx *f = *state;
	const char *err;

	f->m.host.service = status_fails;
	assert_int_equal(setup_op(f, &err), -EIO);
	expect_text(err, "cannot tell whether dovecot is running: cannot run /usr/bin/doveadm");
	expect_deferred(&f->m, NULL);
}

/* ---- load ---- */

#define HASH_A "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
#define HASH_B "{SHA512-CRYPT}$6$rounds=100000$salt$hash"

struct sink_rec {
	struct webstack_directory_sink s; /* first */
	char *addr[8], *hash[8];
	size_t n;
	size_t refuse_at; /* 1-based entry to refuse, 0: none */
	char msg[64];
};

static int sink_account(struct webstack_directory_sink *s, const char *address,
			const char *password_hash, const char **err_r)
{
	struct sink_rec *r = (struct sink_rec *)s;

	if (r->n + 1 == r->refuse_at) {
		snprintf(r->msg, sizeof(r->msg), "address '%s' is not valid", address);
		*err_r = r->msg;
		return -EINVAL;
	}
	assert_true(r->n < N(r->addr));
	r->addr[r->n] = strdup(address);
	r->hash[r->n++] = strdup(password_hash);
	return 0;
}

static void sink_free(struct sink_rec *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->addr[i]);
		free(r->hash[i]);
	}
}

static void make_dirs(const char *root, const char *sub);
static void write_file(const char *root, const char *logical, const char *text);

/* load() maps the users file on disk (nothing is staged when the core
 * loads): text goes there, under a root of the test's own. */
static void users_on_disk(struct fx *f, const char *text)
{
	if (!f->root[0]) {
		strcpy(f->root, "/tmp/ws-dv-XXXXXX");
		assert_non_null(mkdtemp(f->root));
		f->m.root = f->root;
		make_dirs(f->root, "/etc/dovecot");
	}
	write_file(f->root, DV_USERS_PATH, text);
}

static int load_text(struct fx *f, const char *text, struct sink_rec *r, const char **err)
{
	memset(r, 0, sizeof(*r));
	r->s.account = sink_account;
	if (text)
		users_on_disk(f, text);
	*err = NULL;
	return imap()->load(f->st, &f->mail, &r->s, err);
}

static void test_load_sample(void **state)
{
	struct fx *f = *state;
	struct sink_rec r;
	const char *err;

	assert_int_equal(load_text(f, "# users\n\n"
				      "test@test.local:{PLAIN}illegall:8:8::"
				      "/var/mail/vhosts/test.local/test::\n"
				      "b@x.org:" HASH_A ":5000:5000::/var/mail/vhosts/x.org/b::",
				   &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.addr[0], "test@test.local");
	assert_string_equal(r.hash[0], "{PLAIN}illegall");
	assert_string_equal(r.addr[1], "b@x.org");
	assert_string_equal(r.hash[1], HASH_A);
	assert_int_equal(host_mock_n_staged(&f->m) + f->m.n_runs + f->m.n_deferred, 0);
	sink_free(&r);
}

static void test_load_missing(void **state)
{
	struct fx *f = *state;
	struct sink_rec r;
	const char *err;

	assert_int_equal(load_text(f, NULL, &r, &err), 0);
	assert_int_equal(r.n, 0);
}

static void test_load_malformed(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"a@x.org:{PLAIN}p:8:8::/h::\nb@x.org:{PLAIN}p:8:8::/h\n",
		 "/etc/dovecot/users:2: expected 8 fields"},
		{"# c\na@x.org:{PLAIN}p:8:8::/h:::\n", "/etc/dovecot/users:2: expected 8 fields"},
		{"\n\n# c\na@x.org::8:8::/h::\n", "/etc/dovecot/users:4: the password is empty"},
		{":{PLAIN}p:8:8::/h::\n", "/etc/dovecot/users:1: the address is empty"},
		{"a@x.org\n", "/etc/dovecot/users:1: expected 8 fields"},
	};
	struct fx *f = *state;

	for (size_t i = 0; i < N(cases); i++) {
		struct sink_rec r;
		const char *err;

		assert_int_equal(load_text(f, cases[i].text, &r, &err), -EINVAL);
		if (!err || strncmp(err, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("case %zu: expected '%s...', got '%s'", i, cases[i].msg,
				 err ? err : "(null)");
		sink_free(&r);
	}
}

static void test_load_sink_refuses(void **state)
{
	struct fx *f = *state;
	struct sink_rec r;
	const char *err;

	memset(&r, 0, sizeof(r));
	r.s.account = sink_account;
	r.refuse_at = 2;
	users_on_disk(f, "# header\n"
			 "a@x.org:{PLAIN}p:8:8::/h::\n"
			 "\n"
			 "b@x.org:{PLAIN}p:8:8::/h::\n");
	assert_int_equal(imap()->load(f->st, &f->mail, &r.s, &err), -EINVAL);
	/* The sink's buffer is reused: the module kept its own copy. */
	memset(r.msg, 'X', sizeof(r.msg) - 1);
	assert_string_equal(err, "/etc/dovecot/users:4: address 'b@x.org' is not valid");
	assert_int_equal(r.n, 1);
	sink_free(&r);
}

/* ---- publish ---- */

static int publish(struct fx *f, const struct webstack_account *a, size_t n,
		   const char **err)
{
	struct webstack_directory dir = {.accounts = a, .n_accounts = n};

	*err = NULL;
	return imap()->publish(f->st, &f->mail, &dir, err);
}

static const struct webstack_account two[] = {
	{"bob@example.org", "bob", "example.org", HASH_B},
	{"alice@example.com", "alice", "example.com", HASH_A},
};

static const char two_file[] =
	"alice@example.com:" HASH_A ":5000:5001::/var/mail/vhosts/example.com/alice::\n"
	"bob@example.org:" HASH_B ":5000:5001::/var/mail/vhosts/example.org/bob::\n";

static void test_publish_exact(void **state)
{
	struct fx *f = *state;
	const struct mock_file *u;
	const char *err;

	assert_int_equal(publish(f, two, N(two), &err), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 1);
	u = host_mock_staged(&f->m, DV_USERS_PATH);
	assert_non_null(u);
	assert_string_equal(u->data, two_file);
	assert_int_equal(u->len, strlen(two_file));
	assert_int_equal(u->mode, 0640);
	assert_int_equal(u->uid, 0);
	assert_int_equal(u->gid, DOVECOT_GID);
	assert_true(u->flags & WEBSTACK_FILE_SECRET);
	expect_deferred(&f->m, SYNC_CALL, NULL);
}

static void test_publish_roundtrip(void **state)
{
	struct fx *f = *state;
	struct sink_rec r;
	const char *err;

	assert_int_equal(publish(f, two, N(two), &err), 0);
	assert_int_equal(load_text(f, host_mock_text(&f->m, DV_USERS_PATH), &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.addr[0], "alice@example.com");
	assert_string_equal(r.hash[0], HASH_A);
	assert_string_equal(r.addr[1], "bob@example.org");
	assert_string_equal(r.hash[1], HASH_B);
	sink_free(&r);
}

static void test_publish_refuses_injection(void **state)
{
	static const struct {
		struct webstack_account a;
		const char *msg;
	} cases[] = {
		{{"a:b@x.org", "a:b", "x.org", HASH_A}, "holds ':'"},
		{{"a@x.org", "a", "x.org", "{PLAIN}pw:0:0::/root::"}, "holds ':'"},
		{{"a@x.org", "a", "x.org", HASH_A "\nevil@x.org:{PLAIN}pw"}, "a line break"},
		{{"a@x.org", "a", "x.org", HASH_A "\r"}, "a line break"},
		{{"a\n@x.org", "a\n", "x.org", HASH_A}, "a line break"},
		{{"a@x.org", "a", "x.org", "$6$salt$hash"}, "does not start with {SCHEME}"},
		{{"..@x.org", "..", "x.org", HASH_A}, "'.' or '..'"},
		{{".@x.org", ".", "x.org", HASH_A}, "'.' or '..'"},
		{{"a@..", "a", "..", HASH_A}, "'.' or '..'"},
		{{"a/b@x.org", "a/b", "x.org", HASH_A}, "hold '/'"},
		{{"a@x.org", "a", "y.org", HASH_A}, "not <local part>@<domain>"},
	};
	struct fx *f = *state;

	for (size_t i = 0; i < N(cases); i++) {
		const struct webstack_account v[] = {two[0], cases[i].a};
		const char *err;

		assert_int_equal(publish(f, v, N(v), &err), -EINVAL);
		if (!err || !strstr(err, cases[i].msg) || !strstr(err, "account '"))
			fail_msg("case %zu: expected '%s' in '%s'", i, cases[i].msg,
				 err ? err : "(null)");
		assert_int_equal(host_mock_n_staged(&f->m), 0);
	}
}

static void test_publish_refuses_duplicate(void **state)
{
	struct fx *f = *state;
	const struct webstack_account v[] = {two[0], two[1], two[0]};
	const char *err;

	assert_int_equal(publish(f, v, N(v), &err), -EINVAL);
	expect_text(err, "account 'bob@example.org': the account is listed twice");
	assert_int_equal(host_mock_n_staged(&f->m), 0);
}

static void test_publish_unchanged(void **state)
{
	struct fx *f = *state;
	const char *err;

	host_mock_put(&f->m, DV_USERS_PATH, two_file);
	f->m.running = 1;
	assert_int_equal(publish(f, two, N(two), &err), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 0);
	expect_deferred(&f->m, NULL);
}

static const char three_file[] =
	"alice@example.com:" HASH_A ":5000:5001::/var/mail/vhosts/example.com/alice::\n"
	"bob@example.org:" HASH_A ":5000:5001::/var/mail/vhosts/example.org/bob::\n"
	"carol@example.org:" HASH_A ":5000:5001::/var/mail/vhosts/example.org/carol::\n";

/* alice unchanged, bob's hash changed, carol removed, dave added. */
static const struct webstack_account changed[] = {
	{"dave@example.net", "dave", "example.net", HASH_B},
	{"bob@example.org", "bob", "example.org", HASH_B},
	{"alice@example.com", "alice", "example.com", HASH_A},
};

static void make_dirs(const char *root, const char *sub);
static int unix_socket_at(const char *path);

/* A fake auth-master socket under the test's root: one connection, the
 * greeting, "OK" to every CACHE-FLUSH, and to the PASS lookups the old
 * file's answer stale times, then the new file's. Everything the client
 * sent goes into log. */
struct fake_auth {
	int listen_fd;
	int stale;		/* PASS answers from the old file */
	int found_new;		/* the new file holds the probe */
	char log[4096];
	pthread_t thread;
};

static void *fake_auth_serve(void *arg)
{
	struct fake_auth *fa = arg;
	char buf[4096], *line, *nl;
	size_t len = 0, logged = 0;
	int fd = accept(fa->listen_fd, NULL, NULL);
	FILE *out;

	if (fd < 0)
		return NULL;
	out = fdopen(dup(fd), "w");
	fprintf(out, "VERSION\t1\t1\nSPID\t42\n");
	fflush(out);
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			char cmd[32] = "", id[16] = "";

			*nl = '\0';
			line = buf;
			logged += (size_t)snprintf(fa->log + logged, sizeof(fa->log) - logged,
						   "%s\n", line);
			sscanf(line, "%31[^\t]\t%15[^\t]", cmd, id);
			if (strcmp(cmd, "CACHE-FLUSH") == 0)
				fprintf(out, "OK\t%s\t1\n", id);
			else if (strcmp(cmd, "PASS") == 0)
				fprintf(out, (fa->stale-- > 0) != fa->found_new ?
					"PASS\t%s\tuser=x\n" : "NOTFOUND\t%s\n", id);
			fflush(out);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
	}
	fclose(out);
	close(fd);
	return NULL;
}

static void fake_auth_start(struct fx *f, struct fake_auth *fa, int stale,
			    int found_new)
{
	char path[256];

	/* the client may hang up while the server writes (the timeout) */
	signal(SIGPIPE, SIG_IGN);
	memset(fa, 0, sizeof(*fa));
	fa->stale = stale;
	fa->found_new = found_new;
	strcpy(f->root, "/tmp/ws-dv-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->m.root = f->root;
	make_dirs(f->root, "/run/dovecot");
	snprintf(path, sizeof(path), "%s%s", f->root, DV_AUTH_MASTER);
	fa->listen_fd = unix_socket_at(path);
	assert_int_equal(listen(fa->listen_fd, 1), 0);
	assert_int_equal(pthread_create(&fa->thread, NULL, fake_auth_serve, fa), 0);
}

static void fake_auth_stop(struct fx *f, struct fake_auth *fa)
{
	char cmd[128];

	pthread_join(fa->thread, NULL);
	close(fa->listen_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
}

/* carol is removed: the probe. Dovecot answers twice from the old file;
 * every try flushes first, and a last flush follows the answer from the
 * new file. */
static void test_publish_sync_removed(void **state)
{
	struct fx *f = *state;
	struct fake_auth fa;
	const char *err;
	const char *flush = "\tbob@example.org\tcarol@example.org\tdave@example.net\n";
	char want[1024];

	fake_auth_start(f, &fa, 2, 0);
	host_mock_put(&f->m, DV_USERS_PATH, three_file);
	assert_int_equal(publish(f, changed, N(changed), &err), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 1);
	expect_deferred(&f->m, SYNC_CALL, NULL);
	assert_int_equal(host_mock_run_calls(&f->m, &err), 0);
	fake_auth_stop(f, &fa);
	snprintf(want, sizeof(want),
		 "VERSION\t1\t0\n"
		 "CACHE-FLUSH\t1%s" "PASS\t2\tcarol@example.org\tservice=webstack\n"
		 "CACHE-FLUSH\t3%s" "PASS\t4\tcarol@example.org\tservice=webstack\n"
		 "CACHE-FLUSH\t5%s" "PASS\t6\tcarol@example.org\tservice=webstack\n"
		 "CACHE-FLUSH\t7%s", flush, flush, flush, flush);
	assert_string_equal(fa.log, want);
}

/* An added account is the probe: found means the new file. */
static void test_publish_sync_added(void **state)
{
	struct fx *f = *state;
	struct fake_auth fa;
	const char *err;

	fake_auth_start(f, &fa, 0, 1);
	host_mock_put(&f->m, DV_USERS_PATH, two_file);
	assert_int_equal(publish(f, changed, N(changed), &err), 0);
	assert_int_equal(host_mock_run_calls(&f->m, &err), 0);
	fake_auth_stop(f, &fa);
	assert_string_equal(fa.log,
			    "VERSION\t1\t0\n"
			    "CACHE-FLUSH\t1\tdave@example.net\n"
			    "PASS\t2\tdave@example.net\tservice=webstack\n"
			    "CACHE-FLUSH\t3\tdave@example.net\n");
}

/* Only a hash changed: nothing to probe; one flush, in the next second. */
static void test_publish_sync_hash_only(void **state)
{
	struct fx *f = *state;
	const struct webstack_account v[] = {two[1], {"bob@example.org", "bob",
						      "example.org", HASH_A}};
	struct fake_auth fa;
	const char *err;
	struct timespec before, after;

	fake_auth_start(f, &fa, 0, 0);
	host_mock_put(&f->m, DV_USERS_PATH, two_file);
	assert_int_equal(publish(f, v, N(v), &err), 0);
	clock_gettime(CLOCK_REALTIME, &before);
	assert_int_equal(host_mock_run_calls(&f->m, &err), 0);
	clock_gettime(CLOCK_REALTIME, &after);
	assert_true(after.tv_sec > before.tv_sec);
	fake_auth_stop(f, &fa);
	assert_string_equal(fa.log, "VERSION\t1\t0\nCACHE-FLUSH\t1\tbob@example.org\n");
}

/* No Dovecot listening: nothing to wait for. */
static void test_publish_sync_stopped(void **state)
{
	struct fx *f = *state;
	const char *err;

	f->m.root = "/nonexistent";
	host_mock_put(&f->m, DV_USERS_PATH, three_file);
	assert_int_equal(publish(f, changed, N(changed), &err), 0);
	expect_deferred(&f->m, SYNC_CALL, NULL);
	assert_int_equal(host_mock_run_calls(&f->m, &err), 0);
}

/* Dovecot never serves the new file: the call fails, naming the wait. */
static void test_publish_sync_timeout(void **state)
{
	struct fx *f = *state;
	struct fake_auth fa;
	const char *err;

	fake_auth_start(f, &fa, 1000000, 1);
	host_mock_put(&f->m, DV_USERS_PATH, two_file);
	assert_int_equal(publish(f, changed, N(changed), &err), 0);
	assert_int_equal(host_mock_run_calls(&f->m, &err), -1);
	expect_text(err, "still serves the old users file");
	fake_auth_stop(f, &fa);
}

/* ---- the login check of `mail migrate` ---- */

/* A report that keeps its items. */
struct report_rec {
	struct webstack_report r; /* first */
	char *check[16], *value[16];
	int ok[16];
	size_t n;
};

static void report_item(struct webstack_report *r, const char *check,
			const char *value, int ok)
{
	struct report_rec *rec = (struct report_rec *)r;

	assert_true(rec->n < N(rec->check));
	rec->check[rec->n] = strdup(check);
	rec->value[rec->n] = strdup(value);
	rec->ok[rec->n++] = ok;
}

static void report_free(struct report_rec *rec)
{
	for (size_t i = 0; i < rec->n; i++) {
		free(rec->check[i]);
		free(rec->value[i]);
	}
}

static int check_logins(struct fx *f, struct report_rec *rec, size_t *bad,
			const char **err)
{
	memset(rec, 0, sizeof(*rec));
	rec->r.item = report_item;
	*err = NULL;
	return imap()->check_logins(f->st, &f->mail, changed, N(changed), &rec->r, bad, err);
}

/* stale answers NOTFOUND first (from before a reload), then every account
 * is found: nothing reported, and the socket saw want_log. */
static void check_all_found(struct fx *f, int stale, const char *want_log)
{
	struct fake_auth fa;
	struct report_rec rec;
	size_t bad = 99;
	const char *err;

	fake_auth_start(f, &fa, stale, 1);
	assert_int_equal(check_logins(f, &rec, &bad, &err), 0);
	fake_auth_stop(f, &fa);
	assert_int_equal(bad, 0);
	assert_int_equal(rec.n, 0);
	assert_string_equal(fa.log, want_log);
}

#define PASS_LINE(id, user) "PASS\t" #id "\t" user "\tservice=webstack\n"

/* Every account found at once: one PASS each. */
static void test_check_logins_found(void **state)
{
	check_all_found(*state, 0, "VERSION\t1\t0\n" PASS_LINE(1, "dave@example.net")
			PASS_LINE(2, "bob@example.org") PASS_LINE(3, "alice@example.com"));
}

/* The first two answers come from before a reload: those two are asked
 * again, and then found. */
static void test_check_logins_settling(void **state)
{
	check_all_found(*state, 2, "VERSION\t1\t0\n" PASS_LINE(1, "dave@example.net")
			PASS_LINE(2, "bob@example.org") PASS_LINE(3, "alice@example.com")
			PASS_LINE(4, "dave@example.net") PASS_LINE(5, "bob@example.org"));
}

/* Never found: each is reported, and counted. */
static void test_check_logins_missing(void **state)
{
	struct fx *f = *state;
	struct fake_auth fa;
	struct report_rec rec;
	size_t bad = 0;
	const char *err;

	fake_auth_start(f, &fa, 1000000, 1);
	assert_int_equal(check_logins(f, &rec, &bad, &err), 0);
	fake_auth_stop(f, &fa);
	assert_int_equal(bad, 3);
	assert_int_equal(rec.n, 3);
	for (size_t i = 0; i < 3; i++) {
		char want[128];

		snprintf(want, sizeof(want), "%s: Dovecot's passdb does not find it",
			 changed[i].address);
		assert_string_equal(rec.check[i], "login");
		assert_string_equal(rec.value[i], want);
		assert_int_equal(rec.ok[i], 0);
	}
	report_free(&rec);
}

/* No Dovecot at all: an error that says so, nothing counted. */
static void test_check_logins_no_dovecot(void **state)
{
	struct fx *f = *state;
	struct report_rec rec;
	size_t bad = 99;
	const char *err;

	f->m.root = "/nonexistent";
	assert_int_equal(check_logins(f, &rec, &bad, &err), -ECONNREFUSED);
	expect_text(err, "Dovecot's auth process does not answer");
	expect_text(err, "/nonexistent/run/dovecot/auth-master");
	assert_int_equal(bad, 0);
	assert_int_equal(rec.n, 0);
}

/* ---- adding one account by appending ---- */

static void write_file(const char *root, const char *logical, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s%s", root, logical);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int find(struct fx *f, const char *address)
{
	const char *err = NULL;
	int found = -1;

	assert_int_equal(imap()->find_account(f->st, &f->mail, address, &found, &err), 0);
	return found;
}

/* Found at the start of the file and after a newline; a longer or
 * shorter address with the same letters is not; no file, no account. */
static void test_find_account(void **state)
{
	struct fx *f = *state;

	strcpy(f->root, "/tmp/ws-dv-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->m.root = f->root;
	assert_int_equal(find(f, "alice@example.com"), 0);
	make_dirs(f->root, "/etc/dovecot");
	write_file(f->root, DV_USERS_PATH, three_file);
	assert_int_equal(find(f, "alice@example.com"), 1);
	assert_int_equal(find(f, "carol@example.org"), 1);
	assert_int_equal(find(f, "arol@example.org"), 0);
	assert_int_equal(find(f, "carol@example.or"), 0);
	assert_int_equal(find(f, "dave@example.net"), 0);
}

static void test_add_account_appends(void **state)
{
	struct fx *f = *state;
	const struct mock_file *users;
	const char *err = NULL;

	host_mock_put(&f->m, DV_USERS_PATH, two_file);
	assert_int_equal(imap()->add_account(f->st, &f->mail, &changed[0], &err), 0);
	users = host_mock_staged(&f->m, DV_USERS_PATH);
	assert_non_null(users);
	assert_string_equal(users->data, "alice@example.com:" HASH_A
			    ":5000:5001::/var/mail/vhosts/example.com/alice::\n"
			    "bob@example.org:" HASH_B ":5000:5001::/var/mail/vhosts/example.org/bob::\n"
			    "dave@example.net:" HASH_B ":5000:5001::/var/mail/vhosts/example.net/dave::\n");
	assert_int_equal(users->flags, WEBSTACK_FILE_SECRET | WEBSTACK_FILE_UNORDERED |
					WEBSTACK_FILE_STAT_WATCHED);
	assert_int_equal(host_mock_n_staged(&f->m), 1);
	expect_deferred(&f->m, "background wait until Dovecot serves the new /etc/dovecot/users",
			NULL);
}

static void test_add_account_refuses_injection(void **state)
{
	struct fx *f = *state;
	const struct webstack_account bad = {"eve@example.com", "eve", "example.com",
					      "{PLAIN}x:0:0::/root::"};
	const char *err = NULL;

	host_mock_put(&f->m, DV_USERS_PATH, two_file);
	assert_int_equal(imap()->add_account(f->st, &f->mail, &bad, &err), -EINVAL);
	expect_text(err, "holds ':'");
	assert_int_equal(host_mock_n_staged(&f->m), 0);
}

/* The background wait for address, against a fake Dovecot that never
 * serves the new file, with two_file as the users file, in a root of its
 * own; *err_r is copied out before the wait is freed. */
static int run_added(struct fx *f, const char *address, const char **err_r)
{
	static char msg[256];
	struct fake_auth fa;
	struct dv_added *a;
	char users[256], sock[256];
	int r;

	fake_auth_start(f, &fa, 1000000, 1);
	make_dirs(f->root, "/etc/dovecot");
	write_file(f->root, DV_USERS_PATH, two_file);
	snprintf(users, sizeof(users), "%s%s", f->root, DV_USERS_PATH);
	snprintf(sock, sizeof(sock), "%s%s", f->root, DV_AUTH_MASTER);
	a = dv_added_new(sock, users, address);
	assert_non_null(a);
	r = dv_added_run(a, err_r);
	snprintf(msg, sizeof(msg), "%s", r && *err_r ? *err_r : "");
	*err_r = msg;
	dv_added_free(a);
	fake_auth_stop(f, &fa);
	return r;
}

/* Dovecot never serves the new file (every lookup of the added account
 * answers "not found"): the background wait for an account deleted
 * meanwhile ends without an error; for one still in the file it fails. */
static void test_added_wait_deleted_meanwhile(void **state)
{
	struct fx *f = *state;
	const char *err = NULL;

	assert_int_equal(run_added(f, "dave@example.net", &err), 0);
	assert_int_equal(run_added(f, "bob@example.org", &err), -1);
	expect_text(err, "still serves the old users file");
}

/* A changed home (a new mail_root) also changes what the userdb cache holds. */
static void test_publish_sync_home(void **state)
{
	struct fx *f = *state;
	struct fake_auth fa;
	const char *err;

	fake_auth_start(f, &fa, 0, 0);
	host_mock_put(&f->m, DV_USERS_PATH, two_file);
	f->mail.mail_root = "/srv/mail";
	assert_int_equal(publish(f, two, N(two), &err), 0);
	assert_int_equal(host_mock_run_calls(&f->m, &err), 0);
	fake_auth_stop(f, &fa);
	assert_string_equal(fa.log, "VERSION\t1\t0\n"
			    "CACHE-FLUSH\t1\talice@example.com\tbob@example.org\n");
}

/* Above DV_FLUSH_MAX_USERS the whole cache is flushed. */
static void test_publish_sync_all(void **state)
{
	struct fx *f = *state;
	enum { COUNT = DV_FLUSH_MAX_USERS + 1 };
	struct webstack_account *v = calloc(COUNT, sizeof(*v));
	char (*names)[2][16] = calloc(COUNT, sizeof(*names));
	struct fake_auth fa;
	const char *err;

	for (size_t i = 0; i < COUNT; i++) {
		snprintf(names[i][0], sizeof(names[i][0]), "u%zu", i);
		snprintf(names[i][1], sizeof(names[i][1]), "u%zu@x.org", i);
		v[i] = (struct webstack_account){names[i][1], names[i][0], "x.org", HASH_A};
	}
	fake_auth_start(f, &fa, 0, 1);
	assert_int_equal(publish(f, v, COUNT, &err), 0);
	assert_int_equal(host_mock_run_calls(&f->m, &err), 0);
	fake_auth_stop(f, &fa);
	assert_string_equal(fa.log, "VERSION\t1\t0\nCACHE-FLUSH\t1\n"
			    "PASS\t2\tu0@x.org\tservice=webstack\nCACHE-FLUSH\t3\n");
	free(v);
	free(names);
}

static void test_publish_empty(void **state)
{
	struct fx *f = *state;
	const char *err;

	host_mock_put(&f->m, DV_USERS_PATH, two_file);
	assert_int_equal(publish(f, NULL, 0, &err), 0);
	assert_string_equal(host_mock_staged(&f->m, DV_USERS_PATH)->data, "");
	expect_deferred(&f->m, SYNC_CALL, NULL);
}

static void test_publish_bad_current_file(void **state)
{
	struct fx *f = *state;
	const char *err;

	host_mock_put(&f->m, DV_USERS_PATH, "alice@example.com:x\n");
	assert_int_equal(publish(f, two, N(two), &err), -EINVAL);
	expect_text(err, "/etc/dovecot/users:1: expected 8 fields");
}

static void test_publish_no_dovecot_user(void **state)
{
	struct fx *f = *state;
	const char *err;

	f->m.users[0].name = NULL;
	assert_int_equal(publish(f, two, N(two), &err), -ENOENT);
	expect_text(err, "/etc/dovecot/users needs the group of user 'dovecot': "
			 "no such user");
	assert_int_equal(host_mock_n_staged(&f->m), 0);
}

/* ---- status ---- */

static size_t report_find(const struct report_rec *rec, const char *check)
{
	for (size_t i = 0; i < rec->n; i++)
		if (strcmp(rec->check[i], check) == 0)
			return i;
	fail_msg("no status item '%s'", check);
	return 0;
}

static void make_dirs(const char *root, const char *sub)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s", root, sub);
	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

static int unix_socket_at(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void test_status(void **state)
{
	struct fx *f = *state;
	struct report_rec rec = {.r.item = report_item};
	struct mock_reply fatal[] = {
		{"/usr/bin/doveconf", NULL,
		 "doveconf: Warning: something harmless\n"
		 "doveconf: Error: managesieve-login: dump-capability process returned 89\n"
		 "doveconf: Fatal: Error in configuration file "
		 "/etc/dovecot/dovecot.conf line 3: Unknown setting: foo\n"
		 "ssl_key = # hidden\n", 89},
		{NULL, NULL, NULL, 0},
	};
	struct mock_reply good[] = {
		{"/usr/bin/doveconf", NULL, "# 2.3.19.1\nssl_key = # hidden, 1 lines\n", 0},
		{NULL, NULL, NULL, 0},
	};
	char path[256], expect[256];
	const char *err = NULL;
	size_t i;
	FILE *fp;
	int fd;

	strcpy(f->root, "/tmp/ws-dv-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->m.root = f->root;
	make_dirs(f->root, "/var/spool/postfix/private");
	snprintf(path, sizeof(path), "%s%s", f->root, DV_LMTP_SOCKET);
	fd = unix_socket_at(path);
	snprintf(path, sizeof(path), "%s%s", f->root, DV_AUTH_SOCKET);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);

	f->m.running = 1;
	f->m.replies = fatal;
	f->mail.enabled[WEBSTACK_SVC_POP3] = 0;
	assert_int_equal(imap()->status(f->st, &f->mail, &rec.r, &err), 0);

	assert_string_equal(rec.check[0], "dovecot");
	assert_string_equal(rec.value[0], "running");
	assert_int_equal(rec.ok[0], 1);
	i = report_find(&rec, "doveconf");
	assert_string_equal(rec.value[i], "doveconf: Fatal: Error in configuration file "
					  "/etc/dovecot/dovecot.conf line 3: Unknown setting: foo");
	assert_int_equal(rec.ok[i], 0);
	snprintf(expect, sizeof(expect), "/usr/bin/doveconf -c %s/etc/dovecot/dovecot.conf -n",
		 f->root);
	assert_int_equal(f->m.n_runs, 1);
	assert_string_equal(f->m.runs[0], expect);

	/* Each enabled port once, the disabled one not at all. */
	for (size_t k = 0; k < rec.n; k++)
		assert_string_not_equal(rec.check[k], "pop3 110");
	report_find(&rec, "imaps 993");
	report_find(&rec, "pop3s 995");
	report_find(&rec, "sieve 4190");
	i = report_find(&rec, "imap 143");
	assert_int_equal(rec.ok[i], ws_port_listening(143) == 1);

	i = report_find(&rec, "lmtp socket");
	assert_string_equal(rec.value[i], "present");
	assert_int_equal(rec.ok[i], 1);
	i = report_find(&rec, "auth socket");
	assert_string_equal(rec.value[i], "not a socket");
	assert_int_equal(rec.ok[i], 0);
	assert_int_equal(rec.n, 8);
	/* status changes nothing. */
	assert_int_equal(host_mock_n_staged(&f->m) + f->m.n_deferred, 0);
	report_free(&rec);

	/* Stopped, doveconf happy, sockets gone. */
	close(fd);
	snprintf(path, sizeof(path), "%s%s", f->root, DV_LMTP_SOCKET);
	unlink(path);
	snprintf(path, sizeof(path), "%s%s", f->root, DV_AUTH_SOCKET);
	unlink(path);
	memset(&rec, 0, sizeof(rec));
	rec.r.item = report_item;
	f->m.running = 0;
	f->m.replies = good;
	assert_int_equal(imap()->status(f->st, &f->mail, &rec.r, &err), 0);
	assert_string_equal(rec.value[0], "not running");
	assert_int_equal(rec.ok[0], 0);
	i = report_find(&rec, "doveconf");
	assert_string_equal(rec.value[i], "ok");
	assert_int_equal(rec.ok[i], 1);
	i = report_find(&rec, "lmtp socket");
	assert_string_equal(rec.value[i], "missing");
	assert_int_equal(rec.ok[i], 0);
	report_free(&rec);

	snprintf(path, sizeof(path), "rm -rf '%s'", f->root);
	assert_int_equal(system(path), 0);
}

/* ---- the port helper ---- */

static void test_port_listening(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	/* Bound but not listening. */
	assert_int_equal(ws_port_listening(port), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(ws_port_listening(port), 1);
	close(fd);
	assert_int_equal(ws_port_listening(port), 0);
}

static void test_port_listening_v6(void **state)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	int one = 1;

	(void)state;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		skip();
	}
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(ws_port_listening(ntohs(sa.sin6_port)), 1);
	close(fd);
}

/* ---- the rendered file against the real doveconf ---- */

static int run_quiet(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Renders with f->mail into dir/name and runs doveconf on it; 0 when it
 * accepts the file, else its output is shown on stderr. */
static int doveconf_check(struct fx *f, const char *dir, const char *name)
{
	char path[128], cmd[512];
	const char *err;
	FILE *fp;
	int r;

	host_mock_free(&f->m);
	assert_int_equal(setup_op(f, &err), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(staged_conf(f), fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "/usr/bin/doveconf -c %s -n >%s.out 2>&1", path, path);
	r = run_quiet(cmd);
	if (r != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s.out >&2", path);
		run_quiet(cmd);
	}
	return r;
}

static void test_doveconf_accepts(void **state)
{
	struct fx *f = *state;
	char dir[] = "/tmp/ws-dv-conf-XXXXXX", cert[64], key[64], cmd[512];
	struct passwd *pw = getpwnam("nobody");
	int all, some;

	if (access("/usr/bin/doveconf", X_OK) != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		 "-nodes -days 1 -subj /CN=mail.example.com -keyout %s -out %s "
		 ">/dev/null 2>&1", key, cert);
	assert_int_equal(run_quiet(cmd), 0);
	/* doveconf reads the certificate and key. */
	f->mail.tls_cert = cert;
	f->mail.tls_key = key;
	if (pw) {
		f->mail.vmail_user = pw->pw_name;
		f->mail.vmail_uid = pw->pw_uid;
		f->mail.vmail_gid = pw->pw_gid;
	}
	all = doveconf_check(f, dir, "all.conf");
	f->mail.enabled[WEBSTACK_SVC_POP3] = 0;
	f->mail.enabled[WEBSTACK_SVC_POP3S] = 0;
	f->mail.enabled[WEBSTACK_SVC_SIEVE] = 0;
	some = doveconf_check(f, dir, "some.conf");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(run_quiet(cmd), 0);
	assert_int_equal(all, 0);
	assert_int_equal(some, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptor),
		T(test_setup_renders),
		T(test_setup_disabled_services),
		T(test_setup_only_pop3s),
		T(test_setup_idempotent),
		T(test_setup_replaces_foreign_file),
		T(test_setup_refuses_bad_settings),
		T(test_setup_status_unknown),
		T(test_load_sample),
		T(test_load_missing),
		T(test_load_malformed),
		T(test_load_sink_refuses),
		T(test_publish_exact),
		T(test_publish_roundtrip),
		T(test_publish_refuses_injection),
		T(test_publish_refuses_duplicate),
		T(test_publish_unchanged),
		T(test_publish_sync_removed),
		T(test_publish_sync_added),
		T(test_publish_sync_hash_only),
		T(test_publish_sync_stopped),
		T(test_publish_sync_timeout),
		T(test_check_logins_found),
		T(test_check_logins_settling),
		T(test_check_logins_missing),
		T(test_check_logins_no_dovecot),
		T(test_find_account),
		T(test_add_account_appends),
		T(test_add_account_refuses_injection),
		T(test_added_wait_deleted_meanwhile),
		T(test_publish_sync_home),
		T(test_publish_sync_all),
		T(test_publish_empty),
		T(test_publish_bad_current_file),
		T(test_publish_no_dovecot_user),
		T(test_status),
		cmocka_unit_test(test_port_listening),
		cmocka_unit_test(test_port_listening_v6),
		T(test_doveconf_accepts),
	};

	return cmocka_run_group_tests_name("dovecot", tests, NULL, NULL);
}
