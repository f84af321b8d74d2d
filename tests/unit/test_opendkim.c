/* The opendkim module against the host mock: the two instances' config
 * files, the key and signing tables (signing keys of the instance's
 * algorithm only), the socket directory's owner and mode, when a daemon is
 * started, restarted or reloaded, and the option checks. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host_mock.h"
/* The module's sources, so the tests reach its static functions. */
#include "../../modules/dkim/opendkim.c"
#include "../../modules/dkim/odk_render.c"

#define ODK_UID 105
#define ODK_GID 109
#define PF_GID 120

static const struct webstack_dkim_key keys[] = {
	{"example.com", "ws20261125-ed25519", "ed25519", "/k/c-old-ed.key", "AAA=", 0},
	{"example.com", "ws20261125-rsa", "rsa", "/k/c-old-rsa.key", "BBB=", 0},
	{"example.com", "ws20261126-ed25519", "ed25519", "/k/c-ed.key", "CCC=", 1},
	{"example.com", "ws20261126-rsa", "rsa", "/k/c-rsa.key", "DDD=", 1},
	{"example.net", "ws20261126-rsa", "rsa", "/k/n-rsa.key", "EEE=", 1},
};
static const char *const domains[] = {"example.com", "example.net"};
static const struct webstack_directory dir = {
	.domains = domains, .n_domains = 2, .dkim_keys = keys, .n_dkim_keys = 5};
static const struct webstack_mail mail = {.hostname = "mail.example.test"};

struct fx {
	struct host_mock m;
	struct odk *o;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *msg = NULL;

	host_mock_init(&f->m);
	host_mock_add_user(&f->m, "opendkim", ODK_UID, ODK_GID);
	host_mock_add_user(&f->m, "postfix", 110, PF_GID);
	assert_int_equal(opendkim_init(&f->m.host, NULL, (void **)&f->o, &msg), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	opendkim_fini(f->o);
	host_mock_free(&f->m);
	free(f);
	return 0;
}

static const char *staged(struct fx *f, const char *path)
{
	return host_mock_text(&f->m, path);
}

static int deferred(const struct fx *f, const char *s)
{
	return host_mock_deferred(&f->m, s);
}

/* Lines of text that are not comments, joined by '\n'. */
static char *entries(const char *text)
{
	char *out = calloc(1, strlen(text) + 1), *o = out;

	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		if (*p != '#') {
			memcpy(o, p, n + (p[n] == '\n'));
			o += n + (p[n] == '\n');
		}
		p += n + (p[n] == '\n');
	}
	return out;
}

static void test_milters(void **state)
{
	struct fx *f = *state;
	const char *const *l = opendkim_milters(f->o);

	assert_string_equal(l[0], "unix:opendkim/rsa.sock");
	assert_string_equal(l[1], "unix:opendkim/ed25519.sock");
	assert_null(l[2]);
}

static void test_setup_files(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;
	const char *rsa, *ed;
	char want[64];

	assert_int_equal(opendkim_setup(f->o, &mail, &msg), 0);
	rsa = staged(f, "/etc/opendkim.conf");
	ed = staged(f, "/etc/opendkim/ed25519.conf");
	assert_non_null(rsa);
	assert_non_null(ed);
	assert_non_null(strstr(rsa, "\nSocket\t\t\tlocal:/var/spool/postfix/opendkim/rsa.sock\n"));
	assert_non_null(strstr(rsa, "\nMode\t\t\tsv\n"));
	assert_non_null(strstr(rsa, "\nSignatureAlgorithm\trsa-sha256\n"));
	assert_non_null(strstr(rsa, "\nPidFile\t\t\t/run/opendkim/opendkim.pid\n"));
	assert_non_null(strstr(rsa, "\nAuthservID\t\tmail.example.test\n"));
	assert_non_null(strstr(rsa, "\nTrustAnchorFile\t\t/usr/share/dns/root.key\n"));
	assert_non_null(strstr(rsa, "\nAlwaysAddARHeader\tyes\n"));
	assert_non_null(strstr(rsa, "\nUMask\t\t\t007\n"));
	assert_null(strstr(rsa, "Nameservers"));
	assert_non_null(strstr(ed, "\nSocket\t\t\tlocal:/var/spool/postfix/opendkim/ed25519.sock\n"));
	assert_non_null(strstr(ed, "\nMode\t\t\ts\n"));
	assert_non_null(strstr(ed, "\nSignatureAlgorithm\ted25519-sha256\n"));
	assert_non_null(strstr(ed, "\nKeyTable\t\tfile:/etc/opendkim/KeyTable.ed25519\n"));
	assert_null(strstr(ed, "AlwaysAddARHeader"));
	/* the socket directory: setgid, group postfix */
	snprintf(want, sizeof(want), "mkdir /var/spool/postfix/opendkim 2750 %d:%d",
		 ODK_UID, PF_GID);
	assert_true(deferred(f, want));
	assert_non_null(strstr(staged(f, ODK_ED25519_UNIT),
			       "ExecStart=/usr/sbin/opendkim -x /etc/opendkim/ed25519.conf\n"));
	assert_non_null(strstr(staged(f, ODK_DROPIN), "Wants=opendkim-ed25519.service\n"));
	/* not running: both start, once, even after publish */
	assert_int_equal(opendkim_publish(f->o, &mail, &dir, &msg), 0);
	assert_true(deferred(f, "service opendkim start"));
	assert_true(deferred(f, "service opendkim-ed25519 start"));
	assert_false(deferred(f, "service opendkim reload"));
}

static void test_tables(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;
	char *kt, *st;

	assert_int_equal(opendkim_publish(f->o, &mail, &dir, &msg), 0);
	kt = entries(staged(f, "/etc/opendkim/KeyTable.rsa"));
	st = entries(staged(f, "/etc/opendkim/SigningTable.rsa"));
	/* only the newest generation signs; old selectors stay out */
	assert_string_equal(kt,
		"ws20261126-rsa._domainkey.example.com example.com:ws20261126-rsa:/k/c-rsa.key\n"
		"ws20261126-rsa._domainkey.example.net example.net:ws20261126-rsa:/k/n-rsa.key\n");
	assert_string_equal(st,
		"*@example.com ws20261126-rsa._domainkey.example.com\n"
		"*@example.net ws20261126-rsa._domainkey.example.net\n");
	free(kt);
	free(st);
	kt = entries(staged(f, "/etc/opendkim/KeyTable.ed25519"));
	assert_string_equal(kt, "ws20261126-ed25519._domainkey.example.com "
			    "example.com:ws20261126-ed25519:/k/c-ed.key\n");
	free(kt);
}

static void test_reload_only_what_changed(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;
	struct odk *again;

	f->m.running = 1;
	assert_int_equal(opendkim_setup(f->o, &mail, &msg), 0);
	assert_int_equal(opendkim_publish(f->o, &mail, &dir, &msg), 0);
	/* running, new config: restart (Socket and UserID need it) */
	assert_true(deferred(f, "service opendkim restart"));
	assert_true(deferred(f, "service opendkim-ed25519 restart"));
	host_mock_commit(&f->m);

	/* a later run with one more domain: the tables change, a reload */
	assert_int_equal(opendkim_init(&f->m.host, NULL, (void **)&again, &msg), 0);
	assert_int_equal(opendkim_setup(again, &mail, &msg), 0);
	assert_int_equal(f->m.n_deferred, 3); /* the three mkdirs, nothing else */
	{
		struct webstack_directory less = dir;

		less.n_dkim_keys = 4; /* example.net goes */
		assert_int_equal(opendkim_publish(again, &mail, &less, &msg), 0);
	}
	assert_true(deferred(f, "service opendkim reload"));
	assert_false(deferred(f, "service opendkim-ed25519 reload"));
	opendkim_fini(again);
}

/* disable: both daemons stop, the module's files go, Debian's
 * /etc/opendkim.conf stays. */
static void test_disable(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;

	host_mock_put(&f->m, ODK_ED_CONF, "x");
	host_mock_put(&f->m, ODK_DIR "/KeyTable.rsa", "x");
	host_mock_put(&f->m, ODK_RSA_CONF, "x");
	f->m.running = 1;
	assert_int_equal(opendkim_disable(f->o, &mail, &msg), 0);
	assert_true(deferred(f, "service opendkim stop"));
	assert_true(deferred(f, "service opendkim-ed25519 stop"));
	assert_true(deferred(f, "remove " ODK_ED_CONF));
	assert_true(deferred(f, "remove " ODK_DIR "/KeyTable.rsa"));
	assert_false(deferred(f, "remove " ODK_RSA_CONF));
	assert_false(deferred(f, "remove " ODK_DIR "/SigningTable.rsa")); /* not there */
}

static void test_missing_user(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;

	f->m.users[0].name = NULL;
	f->m.users[1].name = NULL;
	assert_true(opendkim_setup(f->o, &mail, &msg) < 0);
	assert_non_null(strstr(msg, "apt-get install opendkim"));
	assert_int_equal(host_mock_n_staged(&f->m), 0);
}

static void test_options(void **state)
{
	static const char *const bad_ns[] = {"127.0.0.1 53", "8.8.8.8,1.1.1.1",
					     "", "@53", "host.example"};
	cfg_t *cfg;
	cfg_opt_t top[] = {CFG_SEC("opendkim", opendkim_opts, CFGF_NONE), CFG_END()};
	const char *msg = NULL;
	char text[256];
	struct fx *f = *state;
	struct odk *o;

	for (size_t i = 0; i < sizeof(bad_ns) / sizeof(*bad_ns); i++) {
		snprintf(text, sizeof(text), "opendkim { nameservers = {\"%s\"} }",
			 bad_ns[i]);
		cfg = cfg_init(top, CFGF_NONE);
		assert_int_equal(cfg_parse_buf(cfg, text), CFG_SUCCESS);
		assert_int_equal(opendkim_conf_check(&f->m.host,
						     cfg_getsec(cfg, "opendkim"), &msg),
				 -EINVAL);
		cfg_free(cfg);
	}
	cfg = cfg_init(top, CFGF_NONE);
	assert_int_equal(cfg_parse_buf(cfg, "opendkim { trust_anchor_file = \"x y\" }"),
			 CFG_SUCCESS);
	assert_int_equal(opendkim_conf_check(&f->m.host, cfg_getsec(cfg, "opendkim"),
					     &msg), -EINVAL);
	cfg_free(cfg);
	cfg = cfg_init(top, CFGF_NONE);
	assert_int_equal(cfg_parse_buf(cfg, "opendkim { trust_anchor_file = \"\"\n"
				       "nameservers = {\"127.0.0.1@5353\", \"::1\"} }"),
			 CFG_SUCCESS);
	assert_int_equal(opendkim_conf_check(&f->m.host, cfg_getsec(cfg, "opendkim"),
					     &msg), 0);
	assert_int_equal(opendkim_init(&f->m.host, cfg_getsec(cfg, "opendkim"),
				       (void **)&o, &msg), 0);
	assert_int_equal(opendkim_setup(o, &mail, &msg), 0);
	assert_non_null(strstr(staged(f, "/etc/opendkim.conf"),
			       "\nNameservers\t\t127.0.0.1@5353,::1\n"));
	assert_null(strstr(staged(f, "/etc/opendkim.conf"), "TrustAnchorFile"));
	opendkim_fini(o);
	cfg_free(cfg);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_milters),
		T(test_setup_files),
		T(test_tables),
		T(test_reload_only_what_changed),
		T(test_disable),
		T(test_missing_user),
		T(test_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
