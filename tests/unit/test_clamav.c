/* The clamav module against the host mock: the clamd and clamav-milter
 * files (socket, OnFail from on_fail, the signature in the reply), the
 * systemd drop-in and unit, start/restart decisions, disable, the option
 * check, and reading clamd's VERSION answer. */
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
#include "../../modules/av/clamav.c"
#include "../../modules/av/clam_render.c"

static const struct webstack_mail mail = {.hostname = "mail.example.test"};

struct fx {
	struct host_mock m;
	struct clam *c;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *msg = NULL;

	host_mock_init(&f->m);
	host_mock_add_user(&f->m, "clamav", 110, 115);
	host_mock_add_user(&f->m, "postfix", 111, 120);
	assert_int_equal(clamav_init(&f->m.host, NULL, (void **)&f->c, &msg), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	clamav_fini(f->c);
	host_mock_free(&f->m);
	free(f);
	return 0;
}

static int deferred(const struct fx *f, const char *s)
{
	return host_mock_deferred(&f->m, s);
}

static const char *staged(struct fx *f, const char *path)
{
	return host_mock_text(&f->m, path);
}

static void test_setup(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL, *milter;

	assert_string_equal(clamav_milters(f->c)[0], "unix:clamav/clamav-milter.ctl");
	assert_int_equal(clamav_setup(f->c, &mail, &msg), 0);
	milter = staged(f, MILTER_CONF);
	assert_non_null(strstr(milter, "\nMilterSocket unix:/var/spool/postfix/clamav/"
			       "clamav-milter.ctl\n"));
	assert_non_null(strstr(milter, "\nOnInfected Reject\nRejectMsg Virus found: %v\n"));
	assert_non_null(strstr(milter, "\nOnFail Defer\n"));
	assert_non_null(strstr(milter, "\nForeground yes\n"));
	assert_non_null(strstr(staged(f, CLAMD_CONF), "\nLocalSocket /run/clamav/clamd.ctl\n"));
	assert_non_null(strstr(staged(f, CLAMD_DROPIN), "ExecStart=\nExecStart=/usr/sbin/"
			       "clamd --foreground=true -c /etc/webstack/clamav/clamd.conf\n"));
	assert_non_null(strstr(staged(f, MILTER_UNIT), "ExecStart=/usr/sbin/clamav-milter "
			       "-c /etc/webstack/clamav/clamav-milter.conf\n"));
	assert_true(deferred(f, "mkdir /var/spool/postfix/clamav 2750 110:120"));
	/* not running: clamd starts before the milter */
	assert_true(deferred(f, "service clamd start"));
	assert_true(deferred(f, "service clamav-milter start"));
	host_mock_commit(&f->m);
	/* running and unchanged: nothing; running, on_fail changed: restart */
	f->m.running = 1;
	assert_int_equal(clamav_setup(f->c, &mail, &msg), 0);
	assert_false(deferred(f, "service clamav-milter restart"));
	f->c->on_fail_accept = 1;
	assert_int_equal(clamav_setup(f->c, &mail, &msg), 0);
	assert_non_null(strstr(staged(f, MILTER_CONF), "\nOnFail Accept\n"));
	assert_true(deferred(f, "service clamav-milter restart"));
	assert_false(deferred(f, "service clamd restart"));
}

static void test_disable(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;

	host_mock_put(&f->m, CLAMD_CONF, "x");
	host_mock_put(&f->m, MILTER_UNIT, "x");
	f->m.running = 1;
	assert_int_equal(clamav_disable(f->c, &mail, &msg), 0);
	assert_true(deferred(f, "service clamav-milter stop"));
	assert_true(deferred(f, "service clamd stop"));
	assert_true(deferred(f, "remove " CLAMD_CONF));
	assert_true(deferred(f, "remove " MILTER_UNIT));
	assert_false(deferred(f, "remove " MILTER_CONF)); /* not there */
}

static void test_missing_package(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;

	f->m.users[0].name = NULL;
	f->m.users[1].name = NULL;
	assert_true(clamav_setup(f->c, &mail, &msg) < 0);
	assert_non_null(strstr(msg, "apt-get install clamav-milter"));
	assert_int_equal(host_mock_n_staged(&f->m), 0);
}

static void test_option(void **state)
{
	cfg_opt_t top[] = {CFG_SEC("clamav", clamav_opts, CFGF_NONE), CFG_END()};
	struct fx *f = *state;
	const char *msg = NULL;
	cfg_t *cfg = cfg_init(top, CFGF_NONE);

	assert_int_equal(cfg_parse_buf(cfg, "clamav { on_fail = \"reject\" }"), CFG_SUCCESS);
	assert_int_equal(clamav_conf_check(&f->m.host, cfg_getsec(cfg, "clamav"), &msg),
			 -EINVAL);
	assert_non_null(strstr(msg, "\"tempfail\""));
	cfg_free(cfg);
	assert_int_equal(clamav_conf_check(&f->m.host, NULL, &msg), 0);
}

static void test_parse_version(void **state)
{
	unsigned long v = 0;
	long long t = 0;

	(void)state;
	assert_int_equal(clam_parse_version("ClamAV 1.4.6/27000/Thu Nov 26 04:31:37 2026",
					    &v, &t), 1);
	assert_int_equal(v, 27000);
	assert_int_equal(t, 1795667497LL);
	assert_int_equal(clam_parse_version("ClamAV 1.4.6", &v, &t), 0);
	assert_int_equal(clam_parse_version("UNKNOWN COMMAND", &v, &t), -1);
	assert_int_equal(clam_parse_version("ClamAV 1.4.6/x/y", &v, &t), -1);
	assert_int_equal(clam_parse_version("ClamAV 1.4.6/27000/not a date", &v, &t), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_setup),
		T(test_disable),
		T(test_missing_package),
		T(test_option),
		cmocka_unit_test(test_parse_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
