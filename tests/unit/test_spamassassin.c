/* The spamassassin module against the host mock: the thresholds in
 * webstack.cf and in spamass-milter's options, the units, the directories,
 * when spamd and the milter are started, restarted or reloaded, what
 * disable stops and removes, the option checks and the status items. */
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
#include "../../modules/spam/spamassassin.c"
#include "../../modules/spam/sa_render.c"

#define MILTER_UID 107
#define MILTER_GID 111
#define PF_GID 120

static const struct webstack_mail mail = {.hostname = "mail.example.test"};

struct fx {
	struct host_mock m;
	struct sa *s;
	char root[64];
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *msg = NULL;

	host_mock_init(&f->m);
	host_mock_add_user(&f->m, "spamass-milter", MILTER_UID, MILTER_GID);
	host_mock_add_user(&f->m, "postfix", 110, PF_GID);
	host_mock_add_user(&f->m, "debian-spamd", 108, 112);
	/* an empty root: no socket or directory of the module's exists */
	strcpy(f->root, "/tmp/ws-sa-test.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->m.root = f->root;
	assert_int_equal(spamassassin_init(&f->m.host, NULL, (void **)&f->s, &msg), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	spamassassin_fini(f->s);
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

/* A state for the options in text ("" for the defaults). */
static struct sa *with(struct fx *f, const char *text, cfg_t **cfg_r)
{
	cfg_opt_t top[] = {CFG_SEC("spamassassin", spamassassin_opts, CFGF_NONE),
			   CFG_END()};
	const char *msg = NULL;
	struct sa *s;

	*cfg_r = cfg_init(top, CFGF_NONE);
	assert_int_equal(cfg_parse_buf(*cfg_r, text), CFG_SUCCESS);
	assert_int_equal(spamassassin_init(&f->m.host, cfg_getsec(*cfg_r, "spamassassin"),
					   (void **)&s, &msg), 0);
	return s;
}

static void test_milters(void **state)
{
	struct fx *f = *state;
	const char *const *l = spamassassin_milters(f->s);

	assert_string_equal(l[0], "unix:spamass/spamass.sock");
	assert_null(l[1]);
}

static void test_setup_files(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL, *cf, *unit, *dropin;
	char want[80];

	assert_int_equal(spamassassin_setup(f->s, &mail, &msg), 0);
	cf = staged(f, SA_CF);
	unit = staged(f, SA_MILTER_UNIT);
	dropin = staged(f, SA_SPAMD_DROPIN);
	assert_non_null(strstr(cf, "\nrequired_score 5\n"));
	assert_non_null(strstr(cf, "\nreport_safe 0\n"));
	/* defaults: reject at 10, authenticated senders not scanned */
	assert_non_null(strstr(unit, "\nExecStart=/usr/sbin/spamass-milter -p "
			       "/var/spool/postfix/spamass/spamass.sock -P "
			       "/run/spamass/spamass.pid -f -m -I -r 10 -i 127.0.0.1 "
			       "-- -U /run/spamd/spamd.sock\n"));
	assert_non_null(strstr(unit, "\nUser=spamass-milter\n"));
	assert_non_null(strstr(unit, "\nUMask=0007\n"));
	/* the drop-in resets Debian's ExecStart and pulls in the milter */
	assert_non_null(strstr(dropin, "\nExecStart=\nExecStart=/usr/sbin/spamd "
			       "--pidfile=/run/spamd/spamd.pid "));
	assert_non_null(strstr(dropin, " --socketpath=/run/spamd/spamd.sock "));
	assert_non_null(strstr(dropin, " --socketgroup=spamass-milter "));
	assert_non_null(strstr(dropin, "\nWants=spamass-milter.service\n"));
	snprintf(want, sizeof(want), "mkdir " SA_SOCKET_DIR " 2750 %d:%d",
		 MILTER_UID, PF_GID);
	assert_true(deferred(f, want));
	snprintf(want, sizeof(want), "mkdir " SA_MILTER_RUN " 755 %d:%d",
		 MILTER_UID, MILTER_GID);
	assert_true(deferred(f, want));
	assert_true(deferred(f, "mkdir " SA_SPAMD_RUN " 755 0:0"));
	/* nothing runs: both start, spamd first */
	assert_true(deferred(f, "service spamd start"));
	assert_true(deferred(f, "service spamass-milter start"));
	assert_string_equal(f->m.deferred[f->m.n_deferred - 1],
			    "service spamass-milter start");
}

static char *joined(const char *const *argv)
{
	struct mbuf b = {0};

	for (size_t i = 0; argv[i]; i++)
		mbuf_printf(&b, "%s%s", i ? " " : "", argv[i]);
	return mbuf_steal(&b);
}

/* The start commands without systemd carry the same options. */
static void test_start_argv(void **state)
{
	struct fx *f = *state;
	char *spamd = joined(f->s->spamd.start), *milter = joined(f->s->milter.start);

	assert_non_null(strstr(spamd, "/usr/sbin/spamd -d --pidfile=/run/spamd/spamd.pid "));
	assert_non_null(strstr(milter, "/sbin/start-stop-daemon --start --quiet "
			       "--umask 007 --chuid spamass-milter "));
	assert_non_null(strstr(milter, " --exec /usr/sbin/spamass-milter -- -p "
			       "/var/spool/postfix/spamass/spamass.sock "));
	assert_null(f->s->milter.reload);
	free(spamd);
	free(milter);
}

static void test_thresholds(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;
	cfg_t *cfg;
	struct sa *s = with(f, "spamassassin { tag_score = 4.5\n reject_score = 12\n"
			    " scan_authenticated = true }", &cfg);

	assert_int_equal(spamassassin_setup(s, &mail, &msg), 0);
	assert_non_null(strstr(staged(f, SA_CF), "\nrequired_score 4.5\n"));
	assert_non_null(strstr(staged(f, SA_MILTER_UNIT), " -f -m -r 12 -i 127.0.0.1 "));
	assert_null(strstr(staged(f, SA_MILTER_UNIT), " -I "));
	spamassassin_fini(s);
	cfg_free(cfg);
}

static void test_restart_only_what_changed(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;
	struct sa *again;
	cfg_t *cfg;

	f->m.running = 1;
	assert_int_equal(spamassassin_setup(f->s, &mail, &msg), 0);
	/* running, new options: both restart */
	assert_true(deferred(f, "service spamd restart"));
	assert_true(deferred(f, "service spamass-milter restart"));
	host_mock_commit(&f->m);

	/* the same settings again: only the three mkdirs */
	assert_int_equal(spamassassin_init(&f->m.host, NULL, (void **)&again, &msg), 0);
	assert_int_equal(spamassassin_setup(again, &mail, &msg), 0);
	assert_int_equal(f->m.n_deferred, 3);
	spamassassin_fini(again);
	host_mock_commit(&f->m);

	/* a new tag_score: spamd reloads (SIGHUP re-reads the rules) */
	again = with(f, "spamassassin { tag_score = 6 }", &cfg);
	assert_int_equal(spamassassin_setup(again, &mail, &msg), 0);
	assert_true(deferred(f, "service spamd reload"));
	assert_int_equal(f->m.n_deferred, 4);
	spamassassin_fini(again);
	cfg_free(cfg);
	host_mock_commit(&f->m);

	/* a new reject_score: only the milter restarts */
	again = with(f, "spamassassin { tag_score = 6\n reject_score = 15 }", &cfg);
	assert_int_equal(spamassassin_setup(again, &mail, &msg), 0);
	assert_true(deferred(f, "service spamass-milter restart"));
	assert_int_equal(f->m.n_deferred, 4);
	spamassassin_fini(again);
	cfg_free(cfg);
}

static void mkdir_under(struct fx *f, const char *dir)
{
	char path[256], cmd[300];

	snprintf(path, sizeof(path), "%s%s", f->root, dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/* disable: both stop, the module's files and directories go; Debian's
 * files stay as they are. */
static void test_disable(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;
	char want[256];

	host_mock_put(&f->m, SA_CF, "x");
	host_mock_put(&f->m, SA_MILTER_UNIT, "x");
	host_mock_put(&f->m, "/etc/default/spamd", "x");
	mkdir_under(f, SA_SOCKET_DIR);
	f->m.running = 1;
	assert_int_equal(spamassassin_disable(f->s, &mail, &msg), 0);
	assert_string_equal(f->m.deferred[0], "service spamass-milter stop");
	assert_string_equal(f->m.deferred[1], "service spamd stop");
	assert_true(deferred(f, "remove " SA_CF));
	assert_true(deferred(f, "remove " SA_MILTER_UNIT));
	assert_false(deferred(f, "remove " SA_SPAMD_DROPIN)); /* not there */
	assert_false(deferred(f, "remove /etc/default/spamd"));
	snprintf(want, sizeof(want), "/bin/rmdir --ignore-fail-on-non-empty %s"
		 SA_SOCKET_DIR, f->root);
	assert_true(deferred(f, want));
	/* only what exists */
	assert_int_equal(f->m.n_deferred, 5);
	assert_int_equal(host_mock_n_staged(&f->m), 0);
}

static void test_disable_not_running(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;

	assert_int_equal(spamassassin_disable(f->s, &mail, &msg), 0);
	assert_int_equal(f->m.n_deferred, 0);
}

static void test_missing_user(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;

	f->m.users[0].name = NULL;
	assert_true(spamassassin_setup(f->s, &mail, &msg) < 0);
	assert_non_null(strstr(msg, "apt-get install spamass-milter"));
	f->m.users[0].name = "spamass-milter";
	f->m.users[2].name = NULL;
	assert_true(spamassassin_setup(f->s, &mail, &msg) < 0);
	assert_non_null(strstr(msg, "apt-get install spamd"));
	assert_int_equal(host_mock_n_staged(&f->m), 0);
}

static void test_options(void **state)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
		{"tag_score = 0", "tag_score must be above 0"},
		{"tag_score = -1", "tag_score must be above 0"},
		{"tag_score = 101\nreject_score = 200", "at most 100"},
		{"tag_score = 10\nreject_score = 10", "above tag_score"},
		{"tag_score = 12", "above tag_score"},
		{"reject_score = 1000", "at most 999"},
		{"reject_score = 10.5", "whole number"},
	};
	cfg_opt_t top[] = {CFG_SEC("spamassassin", spamassassin_opts, CFGF_NONE),
			   CFG_END()};
	struct fx *f = *state;
	const char *msg = NULL;
	char text[128];
	cfg_t *cfg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(text, sizeof(text), "spamassassin { %s }", bad[i].text);
		cfg = cfg_init(top, CFGF_NONE);
		assert_int_equal(cfg_parse_buf(cfg, text), CFG_SUCCESS);
		assert_int_equal(spamassassin_conf_check(&f->m.host,
							 cfg_getsec(cfg, "spamassassin"),
							 &msg), -EINVAL);
		assert_non_null(strstr(msg, bad[i].says));
		cfg_free(cfg);
	}
	assert_int_equal(spamassassin_conf_check(&f->m.host, NULL, &msg), 0);
	cfg = cfg_init(top, CFGF_NONE);
	assert_int_equal(cfg_parse_buf(cfg, "spamassassin { tag_score = 0.5\n"
				       "reject_score = 1 }"), CFG_SUCCESS);
	assert_int_equal(spamassassin_conf_check(&f->m.host,
						 cfg_getsec(cfg, "spamassassin"), &msg), 0);
	cfg_free(cfg);
}

struct items {
	struct webstack_report rep;	/* first */
	struct mbuf text;		/* "check|value|ok\n" per item */
};

static void item(struct webstack_report *r, const char *check, const char *value,
		 int ok)
{
	mbuf_printf(&((struct items *)r)->text, "%s|%s|%d\n", check, value, ok);
}

static char *status(struct fx *f)
{
	struct items it = {.rep = {.item = item}};
	const char *msg = NULL;

	assert_int_equal(spamassassin_status(f->s, &mail, &it.rep, &msg), 0);
	return mbuf_steal(&it.text);
}

/* A unix socket at the logical path, as a daemon would leave it. */
static void make_socket(struct fx *f, const char *logical)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s%s", f->root, logical);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
}

static void test_status(void **state)
{
	static const struct mock_reply spamd_down[] = {
		{"/usr/bin/spamc", "-K", "", 69}, {NULL, NULL, NULL, 0}};
	struct fx *f = *state;
	char *s, want[256];

	f->m.running = 1;
	mkdir_under(f, SA_SOCKET_DIR);
	make_socket(f, SA_SOCKET);
	s = status(f);
	assert_string_equal(s, "spamd|answers|1\n"
			    "spamass-milter|running|1\n"
			    "spamass-milter socket|present|1\n");
	free(s);
	snprintf(want, sizeof(want), "/usr/bin/spamc -K -U %s/run/spamd/spamd.sock",
		 f->root);
	assert_string_equal(f->m.runs[0], want);

	/* spamd down: a failure, though the milter still runs (it passes
	 * mail unscanned then) */
	f->m.replies = spamd_down;
	s = status(f);
	assert_string_equal(s, "spamd|does not answer on /run/spamd/spamd.sock: "
			    "spamass-milter passes mail unscanned|0\n"
			    "spamass-milter|running|1\n"
			    "spamass-milter socket|present|1\n");
	free(s);
	f->m.running = 0;
	snprintf(want, sizeof(want), "%s" SA_SOCKET, f->root);
	unlink(want);
	s = status(f);
	assert_non_null(strstr(s, "spamass-milter|not running|0\n"
			       "spamass-milter socket|missing|0\n"));
	free(s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_milters),
		T(test_setup_files),
		T(test_start_argv),
		T(test_thresholds),
		T(test_restart_only_what_changed),
		T(test_disable),
		T(test_disable_not_running),
		T(test_missing_user),
		T(test_options),
		T(test_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
