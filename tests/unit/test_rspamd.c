/* The rspamd module against the host mock: the files it writes (thresholds
 * into actions, the proxy's self_scan upstream and socket, the settings
 * rule for authenticated users, the cache directory), when rspamd is
 * started or reloaded, what disable stops and removes (its own files
 * only), the option checks and the status items. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "host_mock.h"
/* The module's sources, so the tests reach its static functions. */
#include "../../modules/spam/rspamd.c"
#include "../../modules/spam/rsp_render.c"

#define RSP_UID 108
#define RSP_GID 112
#define PF_GID 120
#define PROXY RSP_LOCAL "/worker-proxy.inc"
#define ACTIONS RSP_LOCAL "/actions.conf"
#define SETTINGS RSP_LOCAL "/settings.conf"
#define OPTIONS RSP_OVERRIDE "/options.inc"

static const struct webstack_mail mail = {.hostname = "mail.example.test"};

struct fx {
	struct host_mock m;
	struct rsp *o;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *msg = NULL;

	host_mock_init(&f->m);
	host_mock_add_user(&f->m, "_rspamd", RSP_UID, RSP_GID);
	host_mock_add_user(&f->m, "postfix", 110, PF_GID);
	assert_int_equal(rspamd_init(&f->m.host, NULL, (void **)&f->o, &msg), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	rspamd_fini(f->o);
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

/* The module's section parsed from text, checked and turned into a state. */
static int with_config(struct fx *f, const char *text, struct rsp **o_r,
		       const char **msg_r)
{
	cfg_opt_t top[] = {CFG_SEC("rspamd", rspamd_opts, CFGF_NONE), CFG_END()};
	cfg_t *cfg = cfg_init(top, CFGF_NONE);
	int r;

	assert_int_equal(cfg_parse_buf(cfg, text), CFG_SUCCESS);
	r = rspamd_conf_check(&f->m.host, cfg_getsec(cfg, "rspamd"), msg_r);
	if (r == 0 && o_r) {
		assert_int_equal(rspamd_init(&f->m.host, cfg_getsec(cfg, "rspamd"),
					     (void **)o_r, msg_r), 0);
		/* hs_cache_dir points into cfg: copy the settings to keep */
		(*o_r)->set.hs_cache_dir = strdup((*o_r)->set.hs_cache_dir);
	}
	cfg_free(cfg);
	return r;
}

static void test_milters(void **state)
{
	struct fx *f = *state;
	const char *const *l = rspamd_milters(f->o);

	assert_string_equal(l[0], "unix:rspamd/milter.sock");
	assert_null(l[1]);
}

static void test_setup_files(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL, *proxy;
	char want[80];

	assert_int_equal(rspamd_setup(f->o, &mail, &msg), 0);
	proxy = staged(f, PROXY);
	assert_non_null(proxy);
	assert_non_null(strstr(proxy, "\nbind_socket = \"/var/spool/postfix/rspamd/"
				      "milter.sock mode=0660 owner=_rspamd group=postfix\";\n"));
	assert_non_null(strstr(proxy, "\nmilter = yes;\n"));
	assert_non_null(strstr(proxy, "\nupstream \"local\" {\n  default = yes;\n"
				      "  self_scan = yes;\n}\n"));
	assert_non_null(strstr(staged(f, ACTIONS), "\nadd_header = 5;\nreject = 10;\n"
						   "greylist = null;\n"));
	assert_non_null(strstr(staged(f, SETTINGS), "authenticated = yes;\n"
						    "  want_spam = yes;\n"));
	assert_non_null(strstr(staged(f, RSP_LOCAL "/worker-normal.inc"),
			       "\nenabled = false;\n"));
	assert_non_null(strstr(staged(f, RSP_LOCAL "/fuzzy_check.conf"),
			       "\nenabled = false;\n"));
	assert_non_null(strstr(staged(f, RSP_LOCAL "/rspamd_update.conf"),
			       "\nenabled = false;\n"));
	assert_null(staged(f, OPTIONS)); /* no hs_cache_dir: rspamd's own */
	for (size_t i = 0; i < RSP_N_FILES; i++) {
		const char *t = staged(f, rsp_files[i].path);

		assert_true(!t || strncmp(t, RSP_HEADER, strlen(RSP_HEADER)) == 0);
	}
	snprintf(want, sizeof(want), "mkdir " RSP_SOCKET_DIR " 2750 %d:%d", RSP_UID,
		 PF_GID);
	assert_true(deferred(f, want));
	snprintf(want, sizeof(want), "mkdir " RSP_RUN_DIR " 755 %d:%d", RSP_UID,
		 RSP_GID);
	assert_true(deferred(f, want));
	assert_true(deferred(f, "service rspamd start"));
	assert_false(deferred(f, "service rspamd reload"));
}

static void test_options_render(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;
	struct rsp *o;

	assert_int_equal(with_config(f, "rspamd { tag_score = 4.5\n reject_score = 12\n"
				     " scan_authenticated = true\n"
				     " hs_cache_dir = \"/var/tmp/ws-cache\" }", &o, &msg), 0);
	assert_int_equal(rspamd_setup(o, &mail, &msg), 0);
	assert_non_null(strstr(staged(f, ACTIONS), "\nadd_header = 4.5;\nreject = 12;\n"));
	assert_null(staged(f, SETTINGS));
	assert_non_null(strstr(staged(f, OPTIONS), "\nhs_cache_dir = \"/var/tmp/ws-cache\";\n"));
	assert_true(deferred(f, "mkdir /var/tmp/ws-cache 755 108:112"));
	free((char *)o->set.hs_cache_dir);
	rspamd_fini(o);
}

/* Running: a changed file reloads (SIGHUP), nothing changed does nothing;
 * a settings file that is no longer wanted is removed and reloads. */
static void test_reload_only_when_changed(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;
	struct rsp *o;

	f->m.running = 1;
	assert_int_equal(rspamd_setup(f->o, &mail, &msg), 0);
	assert_true(deferred(f, "service rspamd reload"));
	host_mock_commit(&f->m);
	assert_int_equal(rspamd_setup(f->o, &mail, &msg), 0);
	assert_int_equal(f->m.n_deferred, 3); /* the three mkdirs, nothing else */
	assert_int_equal(host_mock_n_staged(&f->m), 0);
	host_mock_commit(&f->m);
	assert_int_equal(with_config(f, "rspamd { scan_authenticated = true }", &o,
				     &msg), 0);
	assert_int_equal(rspamd_setup(o, &mail, &msg), 0);
	assert_true(deferred(f, "remove " SETTINGS));
	assert_true(deferred(f, "service rspamd reload"));
	free((char *)o->set.hs_cache_dir);
	rspamd_fini(o);
}

/* A file of the admin's under one of the module's names is neither
 * overwritten by setup nor removed by disable. */
static void test_foreign_file(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;

	host_mock_put(&f->m, ACTIONS, "reject = 20;\n");
	assert_int_equal(rspamd_setup(f->o, &mail, &msg), -EEXIST);
	assert_non_null(strstr(msg, ACTIONS " exists and was not written by webstack"));
	assert_null(staged(f, ACTIONS));
	assert_false(deferred(f, "service rspamd start"));
	assert_int_equal(rspamd_disable(f->o, &mail, &msg), 0);
	assert_false(deferred(f, "remove " ACTIONS));
}

static void test_disable(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;

	host_mock_put(&f->m, PROXY, RSP_HEADER ": x\n");
	host_mock_put(&f->m, OPTIONS, RSP_HEADER ": x\n");
	host_mock_put(&f->m, RSP_LOCAL "/multimap.conf", "# the admin's\n");
	f->m.running = 1;
	assert_int_equal(rspamd_disable(f->o, &mail, &msg), 0);
	assert_true(deferred(f, "service rspamd stop"));
	assert_true(deferred(f, "remove " PROXY));
	assert_true(deferred(f, "remove " OPTIONS));
	assert_false(deferred(f, "remove " ACTIONS)); /* not there */
	assert_false(deferred(f, "remove " RSP_LOCAL "/multimap.conf"));
	host_mock_free(&f->m);
	host_mock_init(&f->m);
	assert_int_equal(rspamd_disable(f->o, &mail, &msg), 0);
	assert_false(deferred(f, "service rspamd stop")); /* not running */
}

static void test_missing_user(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;

	f->m.users[0].name = NULL;
	assert_true(rspamd_setup(f->o, &mail, &msg) < 0);
	assert_non_null(strstr(msg, "apt-get install rspamd"));
	assert_int_equal(host_mock_n_staged(&f->m), 0);
}

static void test_conf_check(void **state)
{
	static const char *const bad[] = {
		"rspamd { tag_score = 0 }",
		"rspamd { tag_score = -1 }",
		"rspamd { tag_score = 10 }",	/* not below reject_score 10 */
		"rspamd { tag_score = 6\n reject_score = 5 }",
		"rspamd { reject_score = 1001 }",
		"rspamd { hs_cache_dir = \"var/tmp/x\" }",
		"rspamd { hs_cache_dir = \"/var/tmp/a b\" }",
		"rspamd { hs_cache_dir = \"/var/tmp/$DBDIR\" }",
		"rspamd { hs_cache_dir = \"/var/tmp/../etc\" }",
		"rspamd { hs_cache_dir = \"/\" }",
	};
	struct fx *f = *state;
	const char *msg = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		msg = NULL;
		assert_int_equal(with_config(f, bad[i], NULL, &msg), -EINVAL);
		assert_non_null(strstr(msg, "rspamd: "));
	}
	assert_int_equal(with_config(f, "rspamd { tag_score = 0.5\n reject_score = 1000\n"
				     " hs_cache_dir = \"/var/tmp/webstack-rspamd-cache\" }",
				     NULL, &msg), 0);
	assert_int_equal(rspamd_conf_check(&f->m.host, NULL, &msg), 0);
}

struct items {
	struct webstack_report rep;
	char text[512];
};

static void item(struct webstack_report *r, const char *check, const char *value,
		 int good)
{
	struct items *it = (struct items *)r;
	size_t n = strlen(it->text);

	snprintf(it->text + n, sizeof(it->text) - n, "%s=%s:%d\n", check, value, good);
}

/* The status items: the daemon (pid file) and the milter socket. */
static void test_status(void **state)
{
	struct fx *f = *state;
	struct items it = {.rep = {.item = item}};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char root[] = "/tmp/test_rspamd.XXXXXX", dir[64];
	const char *msg = NULL;
	int fd;

	assert_non_null(mkdtemp(root));
	f->m.root = root;
	assert_int_equal(rspamd_status(f->o, &mail, &it.rep, &msg), 0);
	assert_string_equal(it.text, "rspamd=not running:0\n"
				     "rspamd milter socket=missing:0\n");
	snprintf(dir, sizeof(dir), "%s/var/spool/postfix/rspamd", root);
	for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0700);
		*p = '/';
	}
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/milter.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	f->m.running = 1;
	it.text[0] = '\0';
	assert_int_equal(rspamd_status(f->o, &mail, &it.rep, &msg), 0);
	assert_string_equal(it.text, "rspamd=running:1\n"
				     "rspamd milter socket=present:1\n");
	close(fd);
	unlink(sa.sun_path);
	for (char *p; strlen(dir) > strlen(root); *p = '\0') {
		rmdir(dir);
		p = strrchr(dir, '/');
	}
	rmdir(root);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_milters),
		T(test_setup_files),
		T(test_options_render),
		T(test_reload_only_when_changed),
		T(test_foreign_file),
		T(test_disable),
		T(test_missing_user),
		T(test_conf_check),
		T(test_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
