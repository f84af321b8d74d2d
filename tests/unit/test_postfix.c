/* The postfix module against the host mock: main.cf and master.cf edits
 * (kept, replaced, deduplicated, appended, idempotent), service control,
 * loading the maps with file:line errors, rendering and compiling them,
 * and updating lmdb maps in place (read back with liblmdb). */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "host_mock.h"
/* The module's sources, so the tests reach its static functions. */
#include "../../modules/postfix/postfix.c"
#include "../../modules/postfix/pf_edit.c"
#include "../../modules/postfix/pf_main.c"
#include "../../modules/postfix/pf_maps.c"
#include "../../modules/postfix/pf_status.c"
#include "../../modules/postfix/pf_update.c"
#include "../../modules/postfix/pf_pending.c"
#include "../../modules/postfix/pf_lmdb.c"

/* ---- fixtures --------------------------------------------------------- */

static const char debian_main_cf[] =
	"# See /usr/share/postfix/main.cf.dist for a commented, more complete version\n"
	"smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)\n"
	"biff = no\n"
	"\n"
	"# TLS parameters\n"
	"smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem\n"
	"smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated\n"
	"    defer_unauth_destination\n"
	"myhostname = vm\n"
	"alias_maps = hash:/etc/aliases\n"
	"mydestination = $myhostname, vm, localhost\n"
	"mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n"
	"myhostname = later.example\n";

static const char debian_master_cf[] =
	"# service type  private unpriv  chroot  wakeup  maxproc command + args\n"
	"smtp      inet  n       -       y       -       -       smtpd\n"
	"#submission inet n       -       y       -       -       smtpd\n"
	"#  -o syslog_name=postfix/submission\n"
	"submissions inet n      -       y       -       -       smtpd\n"
	"  -o smtpd_tls_wrappermode=yes\n"
	"  -o smtpd_sasl_auth_enable=yes\n"
	"pickup    unix  n       -       y       60      1       pickup\n"
	"relay     unix  -       -       y       -       -       smtp\n"
	"        -o syslog_name=postfix/$service_name\n";

static struct webstack_mail mail_settings(void)
{
	struct webstack_mail m = {
		.hostname = "mail.example.test",
		.mail_root = "/var/mail/vhosts",
		.vmail_user = "vmail",
		.vmail_uid = 5000,
		.vmail_gid = 5000,
		.tls_cert = "/etc/webstack/tls/cert.pem",
		.tls_key = "/etc/webstack/tls/key.pem",
		.message_size_limit = 1234567,
	};

	memset(m.enabled, 1, sizeof(m.enabled));
	return m;
}

struct fx {
	struct host_mock m;
	struct pf_state *st;
	char root[32];
};

static const struct mock_reply replies[] = {
	{PF_POSTCONF, "-d", "smtpd_forbid_bare_newline = no\n", 0},
	{NULL, NULL, NULL, 0},
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *msg = NULL;
	void *st = NULL;

	host_mock_init(&f->m);
	f->m.replies = replies;
	strcpy(f->root, "/tmp/ws-pf-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->m.root = f->root;
	assert_int_equal(postfix_init(&f->m.host, NULL, &st, &msg), 0);
	f->st = st;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[64];

	postfix_fini(f->st);
	host_mock_free(&f->m);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int deferred(const struct host_mock *m, const char *s)
{
	return host_mock_deferred(m, s);
}

/* ---- main.cf ------------------------------------------------------------ */

static char *edit_main_text(const char *text, int bare_newline)
{
	struct pf_state st = {.map_type = "lmdb"};
	struct webstack_mail m = mail_settings();
	size_t n = 0;
	struct pf_param *p = pf_main_params(&st, &m, bare_newline, &n);
	struct mbuf b = {0};

	assert_non_null(p);
	pf_edit_main(text, strlen(text), p, n, &b);
	pf_params_free(p, n);
	free(p);
	assert_false(mbuf_failed(&b));
	return mbuf_steal(&b);
}

static void test_main_cf_edit(void **state)
{
	char *once = edit_main_text(debian_main_cf, 0), *twice;

	(void)state;
	/* replaced in place, the later duplicate gone (Postfix uses the last) */
	assert_int_equal(count(once, "\nmyhostname = "), 1);
	assert_non_null(strstr(once, "\nmyhostname = mail.example.test\n"));
	assert_null(strstr(once, "later.example"));
	/* a continued value is replaced with its continuation line */
	assert_null(strstr(once, "defer_unauth_destination"));
	assert_non_null(strstr(once, "smtpd_relay_restrictions = permit_mynetworks, "
				     "permit_sasl_authenticated, reject_unauth_destination\n"));
	/* "name=value" without blanks is recognised too */
	assert_null(strstr(once, "snakeoil"));
	/* the admin's own settings and comments stay */
	assert_non_null(strstr(once, "alias_maps = hash:/etc/aliases\n"));
	assert_non_null(strstr(once, "# TLS parameters\n"));
	/* missing ones are appended once, after a header */
	assert_int_equal(count(once, "# Set by webstack"), 1);
	assert_non_null(strstr(once, "virtual_mailbox_maps = lmdb:/etc/postfix/vmailbox\n"));
	assert_non_null(strstr(once, "message_size_limit = 1234567\n"));
	assert_non_null(strstr(once, "smtpd_tls_auth_only = yes\n"));
	assert_null(strstr(once, "smtpd_forbid_bare_newline"));
	/* a second run changes nothing */
	twice = edit_main_text(once, 0);
	assert_string_equal(once, twice);
	free(twice);
	twice = edit_main_text(once, 1);
	assert_non_null(strstr(twice, "smtpd_forbid_bare_newline = normalize\n"));
	free(twice);
	free(once);
}

/* ---- master.cf ---------------------------------------------------------- */

static char *edit_master_text(const char *text, struct webstack_mail *m)
{
	struct pf_state st = {.map_type = "lmdb"};
	size_t n = 0;
	struct pf_service_entry *s = pf_master_services(&st, m, &n);
	struct mbuf b = {0};

	assert_non_null(s);
	pf_edit_master(text, strlen(text), s, n, &b);
	pf_services_free(s, n);
	assert_false(mbuf_failed(&b));
	return mbuf_steal(&b);
}

static void test_master_cf_edit(void **state)
{
	struct webstack_mail m = mail_settings();
	char *once = edit_master_text(debian_master_cf, &m), *twice;

	(void)state;
	/* the existing "submissions" entry is the 465 one: replaced, with
	 * its old -o lines, by webstack's "smtps" entry */
	assert_null(strstr(once, "submissions inet"));
	assert_int_equal(count(once, "\nsmtps     inet"), 1);
	assert_int_equal(count(once, "\nsubmission inet"), 1);
	assert_int_equal(count(once, "smtpd_tls_wrappermode=yes"), 1);
	assert_int_equal(count(once, "smtpd_sender_restrictions=reject_sender_login_mismatch"), 2);
	assert_int_equal(count(once, "smtpd_sender_login_maps=lmdb:/etc/postfix/sender_login"), 2);
	/* comments and other services stay, continuation lines included */
	assert_non_null(strstr(once, "#submission inet n"));
	assert_non_null(strstr(once, "relay     unix  -       -       y       -       -       smtp\n"
				     "        -o syslog_name=postfix/$service_name\n"));
	twice = edit_master_text(once, &m);
	assert_string_equal(once, twice);
	free(twice);
	/* a service switched off is removed */
	m.enabled[WEBSTACK_SVC_SUBMISSION] = 0;
	twice = edit_master_text(once, &m);
	assert_null(strstr(twice, "\nsubmission inet"));
	assert_non_null(strstr(twice, "\nsmtps     inet"));
	free(twice);
	free(once);
}

/* ---- setup through the op ------------------------------------------------ */

static void test_setup_starts_then_converges(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	const char *msg = NULL;

	host_mock_put(&f->m, PF_MAIN_CF, debian_main_cf);
	host_mock_put(&f->m, PF_MASTER_CF, debian_master_cf);
	assert_int_equal(postfix_setup(f->st, &m, &msg), 0);
	assert_non_null(host_mock_staged(&f->m, PF_MAIN_CF));
	assert_non_null(host_mock_staged(&f->m, PF_MASTER_CF));
	assert_true(deferred(&f->m, "service postfix start"));
	host_mock_commit(&f->m);

	f->m.running = 1;
	assert_int_equal(postfix_setup(f->st, &m, &msg), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 0);
	assert_int_equal(f->m.n_deferred, 0);

	m.message_size_limit = 42;	/* a change reloads */
	assert_int_equal(postfix_setup(f->st, &m, &msg), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 1);
	assert_true(deferred(&f->m, "service postfix reload"));
}

static void test_setup_needs_postfix(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	const char *msg = NULL;

	assert_int_equal(postfix_setup(f->st, &m, &msg), -ENOENT);
	assert_non_null(strstr(msg, "/etc/postfix/main.cf is missing"));
}

/* ---- load ---------------------------------------------------------------- */

struct rec_sink {
	struct webstack_directory_sink sink;
	char log[1024];
	const char *refuse;	/* a name the sink refuses */
};

static int rec_domain(struct webstack_directory_sink *s, const char *name,
		      const char **err_r)
{
	struct rec_sink *r = (struct rec_sink *)s;

	if (r->refuse && strcmp(name, r->refuse) == 0) {
		*err_r = "refused";
		return -1;
	}
	strcat(r->log, "D ");
	strcat(r->log, name);
	strcat(r->log, "\n");
	return 0;
}

static int rec_alias(struct webstack_directory_sink *s, const char *address,
		     const char *const *t, size_t n, const char **err_r)
{
	struct rec_sink *r = (struct rec_sink *)s;

	(void)err_r;
	strcat(r->log, "A ");
	strcat(r->log, address);
	for (size_t i = 0; i < n; i++) {
		strcat(r->log, i ? "," : " ");
		strcat(r->log, t[i]);
	}
	strcat(r->log, "\n");
	return 0;
}

static void test_load(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	struct rec_sink r = {.sink = {.domain = rec_domain, .alias = rec_alias}};
	const char *msg = NULL;

	host_mock_put(&f->m, PF_DIR "/vdomains",
		      "# comment\n\nexample.com OK\n  \nexample.org\tOK\n");
	host_mock_put(&f->m, PF_DIR "/virtual",
		      "al@example.com a@example.com, b@example.org,c@remote.test\n");
	assert_int_equal(postfix_load(f->st, &m, &r.sink, &msg), 0);
	assert_string_equal(r.log, "D example.com\nD example.org\n"
				   "A al@example.com a@example.com,b@example.org,c@remote.test\n");

	r.log[0] = '\0';
	r.refuse = "example.org";
	assert_int_equal(postfix_load(f->st, &m, &r.sink, &msg), -EINVAL);
	assert_string_equal(msg, "/etc/postfix/vdomains:5: refused");
}

/* ---- publish --------------------------------------------------------------- */

static const struct webstack_account accounts[] = {
	{"a@example.com", "a", "example.com", "{X}a"},
	{"b@example.com", "b", "example.com", "{X}b"},
};
static const char *const al_targets[] = {"a@example.com", "x@remote.test",
					 "b@example.com"};
static const char *const remote_only[] = {"y@remote.test"};
static const struct webstack_alias aliases[] = {
	{"al@example.com", al_targets, 3},
	{"fwd@example.com", remote_only, 1},
};
static const char *const domains[] = {"example.com"};
static const struct webstack_directory dir = {domains, 1, accounts, 2, aliases, 2, NULL, 0};

static void test_publish(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	const struct mock_file *vm, *sl, *va;
	const char *msg = NULL;
	char want[256];

	assert_int_equal(postfix_publish(f->st, &m, &dir, &msg), 0);
	vm = host_mock_staged(&f->m, PF_DIR "/vmailbox");
	sl = host_mock_staged(&f->m, PF_DIR "/sender_login");
	va = host_mock_staged(&f->m, PF_DIR "/virtual");
	assert_non_null(vm);
	assert_non_null(sl);
	assert_non_null(va);
	assert_int_equal(vm->mode, 0644);
	assert_non_null(strstr(vm->data, "\na@example.com example.com/a/\n"
					 "b@example.com example.com/b/\n"));
	assert_non_null(strstr(va->data, "\nal@example.com a@example.com,x@remote.test,"
					 "b@example.com\nfwd@example.com y@remote.test\n"));
	/* accounts own themselves; the alias's local accounts own it; an
	 * alias with only remote targets has no owner */
	assert_non_null(strstr(sl->data, "\na@example.com a@example.com\n"
					 "b@example.com b@example.com\n"
					 "al@example.com a@example.com,b@example.com\n"));
	assert_null(strstr(sl->data, "fwd@"));
	snprintf(want, sizeof(want), "/usr/sbin/postmap -- lmdb:%s/etc/postfix/vmailbox",
		 f->root);
	assert_true(deferred(&f->m, want));
	assert_int_equal(f->m.n_deferred, 4);
}

/* dir published and committed, as the mock's disk; on the real disk,
 * empty map sources dated long ago, each with a compiled map (.lmdb or .db)
 * made now: every map in step with its source. */
static void fresh_maps(struct fx *f, const char *ext)
{
	static const char *const names[] = {"vdomains", "vmailbox", "virtual",
					    "sender_login"};
	struct timespec old[2] = {{1000, 0}, {1000, 0}};
	struct webstack_mail m = mail_settings();
	const char *msg = NULL;
	char path[128];

	assert_int_equal(postfix_publish(f->st, &m, &dir, &msg), 0);
	host_mock_commit(&f->m);

	snprintf(path, sizeof(path), "%s/etc", f->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/postfix", f->root);
	assert_int_equal(mkdir(path, 0755), 0);
	for (size_t i = 0; i < 4; i++) {
		FILE *fp;

		snprintf(path, sizeof(path), "%s/etc/postfix/%s", f->root, names[i]);
		assert_non_null(fp = fopen(path, "w"));
		fclose(fp);
		assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
		strcat(path, ".");
		strcat(path, ext);
		assert_non_null(fp = fopen(path, "w"));
		fclose(fp);
	}
}

/* Unchanged sources with fresh compiled maps compile nothing; a compiled
 * map older than its source is rebuilt. */
static void test_publish_unchanged(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	const char *msg = NULL;
	char path[128], want[160];
	struct timespec old[2] = {{1000, 0}, {1000, 0}};

	fresh_maps(f, "lmdb");
	assert_int_equal(postfix_publish(f->st, &m, &dir, &msg), 0);
	assert_int_equal(host_mock_n_staged(&f->m), 0);
	assert_int_equal(f->m.n_deferred, 0);

	snprintf(path, sizeof(path), "%s/etc/postfix/virtual.lmdb", f->root);
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	snprintf(path, sizeof(path), "%s/etc/postfix/virtual", f->root);
	assert_int_equal(utimensat(AT_FDCWD, path, NULL, 0), 0);
	assert_int_equal(postfix_publish(f->st, &m, &dir, &msg), 0);
	assert_int_equal(f->m.n_deferred, 1);
	snprintf(want, sizeof(want), "/usr/sbin/postmap -- lmdb:%s/etc/postfix/virtual",
		 f->root);
	assert_true(deferred(&f->m, want));
}

/* ---- lmdb maps, seeded and read with liblmdb itself -------------------- */

static void map_path(const struct fx *f, const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/etc/postfix/%s.lmdb", f->root, name);
}

/* Makes the map at path hold the n pairs of kv, each key and value with a
 * trailing NUL or none, in a memory map of mapsize bytes. */
static void seed_map(const char *path, int nul, size_t mapsize, const char *const *kv,
		     size_t n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_mapsize(env, mapsize), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK, 0644), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	for (size_t i = 0; i < n; i++) {
		MDB_val k = {strlen(kv[2 * i]) + nul, (void *)kv[2 * i]};
		MDB_val v = {strlen(kv[2 * i + 1]) + nul, (void *)kv[2 * i + 1]};

		assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void add_shown(struct mbuf *b, const MDB_val *v)
{
	for (size_t i = 0; i < v->mv_size; i++)
		if (((const char *)v->mv_data)[i])
			mbuf_add(b, (const char *)v->mv_data + i, 1);
		else
			mbuf_puts(b, "\\0");
}

/* The map's entries as "key=value\n" lines in its order, a NUL shown as
 * "\0"; *mapsize_r (may be NULL) gets the size its meta page records. */
static char *dump_map(const char *path, size_t *mapsize_r)
{
	struct mbuf b = {0};
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_envinfo info;
	MDB_val k, v;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK | MDB_RDONLY,
				      0644), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
	mbuf_puts(&b, "");
	for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT) {
		add_shown(&b, &k);
		mbuf_add(&b, "=", 1);
		add_shown(&b, &v);
		mbuf_add(&b, "\n", 1);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	assert_int_equal(mdb_env_info(env, &info), 0);
	if (mapsize_r)
		*mapsize_r = info.me_mapsize;
	mdb_env_close(env);
	assert_false(mbuf_failed(&b));
	return mbuf_steal(&b);
}

static void assert_map(const char *path, const char *want)
{
	char *got = dump_map(path, NULL);

	assert_string_equal(got, want);
	free(got);
}

/* With fresh compiled maps, a few changed entries are written into them
 * in place, one job per map and no postmap: a key removed, one added, a
 * line changed, each with a trailing NUL or none as the map has it. */
static void test_publish_incremental(void **state)
{
	static const struct webstack_account changed_accounts[] = {
		{"a@example.com", "a", "example.com", "{X}a"},
		{"c@example.com", "c", "example.com", "{X}c"},
	};
	static const struct webstack_directory changed = {domains, 1, changed_accounts,
							  2, aliases, 2, NULL, 0};
	static const char *const vm_kv[] = {"a@example.com", "example.com/a/",
					    "b@example.com", "example.com/b/"};
	static const char *const sl_kv[] = {"a@example.com", "a@example.com",
					    "b@example.com", "b@example.com",
					    "al@example.com", "a@example.com,b@example.com"};
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	const char *msg = NULL;
	char want[200], marker[200], vm[128], sl[128], other[128];
	struct stat st;

	fresh_maps(f, "lmdb");
	map_path(f, "vmailbox", vm, sizeof(vm));
	map_path(f, "sender_login", sl, sizeof(sl));
	seed_map(vm, 1, 1 << 20, vm_kv, 2);
	seed_map(sl, 0, 1 << 20, sl_kv, 3);
	assert_int_equal(postfix_publish(f->st, &m, &changed, &msg), 0);
	assert_int_equal(f->m.n_calls, 2);
	snprintf(want, sizeof(want), "call update %s in place (2 changes)", vm);
	assert_true(deferred(&f->m, want));
	assert_int_equal(host_mock_run_calls(&f->m, &msg), 0);
	assert_int_equal(f->m.n_runs, 0);
	assert_map(vm, "a@example.com\\0=example.com/a/\\0\n"
		       "c@example.com\\0=example.com/c/\\0\n");
	/* the alias loses its local owner b: a changed line, not a removal */
	assert_map(sl, "a@example.com=a@example.com\n"
		       "al@example.com=a@example.com\n"
		       "c@example.com=c@example.com\n");
	snprintf(marker, sizeof(marker), "%s" PF_UPDATING, vm);
	assert_int_not_equal(lstat(marker, &st), 0);

	/* A map that cannot be written (a symlink, never followed: the map
	 * it points to stays as it was) keeps its mark: the map counts as
	 * stale... */
	host_mock_commit(&f->m);
	snprintf(other, sizeof(other), "%s/other.lmdb", f->root);
	assert_int_equal(rename(vm, other), 0);
	assert_int_equal(symlink(other, vm), 0);
	assert_int_equal(postfix_publish(f->st, &m, &dir, &msg), 0);
	assert_int_not_equal(host_mock_run_calls(&f->m, &msg), 0);
	assert_non_null(strstr(msg, "vmailbox.lmdb: is not a regular file"));
	assert_int_equal(lstat(marker, &st), 0);
	assert_map(other, "a@example.com\\0=example.com/a/\\0\n"
			  "c@example.com\\0=example.com/c/\\0\n");
	/* ...and the next change compiles it whole, which clears the mark */
	host_mock_commit(&f->m);
	assert_int_equal(postfix_publish(f->st, &m, &changed, &msg), 0);
	snprintf(want, sizeof(want), "/usr/sbin/postmap -- lmdb:%s/etc/postfix/vmailbox",
		 f->root);
	assert_true(deferred(&f->m, want));
	assert_int_equal(host_mock_run_calls(&f->m, &msg), 0);
	assert_int_not_equal(lstat(marker, &st), 0);
}

/* The staged pending file of map (a logical path prefix), or NULL. */
static const struct mock_file *pending_file(const struct fx *f, const char *map)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "/etc/postfix/%s.lmdb.ws-pending-", map);
	for (size_t i = 0; i < f->m.n_files; i++)
		if (f->m.files[i].staged &&
		    strncmp(f->m.files[i].path, prefix, strlen(prefix)) == 0)
			return &f->m.files[i];
	return NULL;
}

/* An added account: its line appended to vmailbox and sender_login, a
 * pending file per map, and a background call (holding the lock) that
 * puts the entries into the map and removes the file; 1 instead for a
 * stale map, one with an old pending file, or hash maps. */
static void test_add_account(void **state)
{
	static const struct webstack_account c = {"c@example.com", "c", "example.com", "{X}c"};
	static const char *const vm_kv[] = {"a@example.com", "example.com/a/",
					    "b@example.com", "example.com/b/"};
	static const char *const sl_kv[] = {"a@example.com", "a@example.com"};
	struct fx *f = *state;
	const struct mock_file *vm, *pend;
	struct timespec old[2] = {{1000, 0}, {1000, 0}}, older[2] = {{500, 0}, {500, 0}};
	const char *msg = NULL;
	char vmap[128], smap[128], real[200];
	struct stat st;
	FILE *fp;

	fresh_maps(f, "lmdb");
	map_path(f, "vmailbox", vmap, sizeof(vmap));
	map_path(f, "sender_login", smap, sizeof(smap));
	seed_map(vmap, 1, 1 << 20, vm_kv, 2);
	seed_map(smap, 1, 1 << 20, sl_kv, 1);
	assert_int_equal(postfix_add_account(f->st, NULL, &c, &msg), 0);
	vm = host_mock_staged(&f->m, "/etc/postfix/vmailbox");
	assert_non_null(vm);
	assert_int_equal(vm->flags, WEBSTACK_FILE_UNORDERED);
	assert_true(count(vm->data, "\nc@example.com example.com/c/\n") == 1);
	assert_non_null(strstr(host_mock_text(&f->m, "/etc/postfix/sender_login"),
			       "\nc@example.com c@example.com\n"));
	pend = pending_file(f, "vmailbox");
	assert_non_null(pend);
	assert_string_equal(pend->data, "c@example.com example.com/c/\n");
	assert_int_equal(pend->mode, 0600);
	assert_true(deferred(&f->m, "background locked put the new entries into the map "
				    "of /etc/postfix/vmailbox"));
	assert_true(deferred(&f->m, "background locked put the new entries into the map "
				    "of /etc/postfix/sender_login"));
	assert_int_equal(f->m.n_runs, 0);

	/* the commit writes the pending files; the background calls put
	 * the entries in and remove them */
	for (const char *name = "vmailbox"; name; name = strcmp(name, "vmailbox") ? NULL :
	     "sender_login") {
		pend = pending_file(f, name);
		snprintf(real, sizeof(real), "%s%s", f->root, pend->path);
		assert_non_null(fp = fopen(real, "w"));
		fputs(pend->data, fp);
		fclose(fp);
	}
	snprintf(real, sizeof(real), "%s%s", f->root, pending_file(f, "vmailbox")->path);
	assert_int_equal(host_mock_run_calls(&f->m, &msg), 0);
	assert_map(vmap, "a@example.com\\0=example.com/a/\\0\n"
			 "b@example.com\\0=example.com/b/\\0\n"
			 "c@example.com\\0=example.com/c/\\0\n");
	assert_map(smap, "a@example.com\\0=a@example.com\\0\n"
			 "c@example.com\\0=c@example.com\\0\n");
	assert_int_not_equal(lstat(real, &st), 0);

	/* a pending file a background call left a minute ago: stale */
	host_mock_commit(&f->m);
	assert_non_null(fp = fopen(real, "w"));
	fclose(fp);
	assert_int_equal(utimensat(AT_FDCWD, real, old, 0), 0);
	assert_int_equal(postfix_add_account(f->st, NULL, &c, &msg), 1);
	assert_int_equal(unlink(real), 0);
	/* a source newer than its map: stale */
	assert_int_equal(utimensat(AT_FDCWD, vmap, older, 0), 0);
	host_mock_commit(&f->m);
	assert_int_equal(postfix_add_account(f->st, NULL, &c, &msg), 1);
	/* hash maps are never updated in place */
	f->st->map_type = "hash";
	assert_int_equal(postfix_add_account(f->st, NULL, &c, &msg), 1);
}

/* The value is what postmap stores for the line (the blanks around it
 * dropped), the key folded; a line left without a value loses its key,
 * as a whole compile would skip it. A changed line postmap reads by other
 * rules (non-ASCII, a continuation) is left to a whole compile. */
static void test_update_lines(void **state)
{
	static const char *const kv[] = {"x@a.test", "t1", "y@a.test", "t2"};
	static const char old[] = "# h\nx@a.test t1\ny@a.test t2\n";
	static const char new[] = "# h\nx@a.test \t t1,t3 \t\ny@a.test\nZ@a.test\tt4\n";
	static const char utf8[] = "# h\nx@a.test t1\ny@a.test t2\n\xc3\xbc@a.test t5\n";
	static const char joined[] = "# h\nx@a.test t1\n t9\ny@a.test t2\n";
	struct fx *f = *state;
	const char *msg = NULL;
	char path[128];

	fresh_maps(f, "lmdb");
	map_path(f, "virtual", path, sizeof(path));
	seed_map(path, 1, 1 << 20, kv, 2);
	assert_int_equal(pf_update_queue(f->st, PF_DIR "/virtual", old, strlen(old), new,
					 strlen(new), &msg), 0);
	assert_int_equal(host_mock_run_calls(&f->m, &msg), 0);
	assert_map(path, "x@a.test\\0=t1,t3\\0\nz@a.test\\0=t4\\0\n");
	assert_int_equal(pf_update_queue(f->st, PF_DIR "/virtual", old, strlen(old), utf8,
					 strlen(utf8), &msg), 1);
	assert_int_equal(pf_update_queue(f->st, PF_DIR "/virtual", old, strlen(old), joined,
					 strlen(joined), &msg), 1);
	assert_int_equal(f->m.n_calls, 0);
}

/* A batch that fills the memory map is done again in a larger one, which
 * the map records; removing a key that is not there is no error. */
static void test_lmdb_grows(void **state)
{
	static const char *const kv[] = {"k", "v"};
	static char keys[64][8], value[3001];
	struct pf_lmdb_change c[65];
	struct fx *f = *state;
	char path[128], msg[512], *dump;
	size_t mapsize, lines = 0;

	snprintf(path, sizeof(path), "%s/grow.lmdb", f->root);
	seed_map(path, 1, 64 << 10, kv, 1);
	memset(value, 'v', sizeof(value) - 1);
	for (size_t i = 0; i < 64; i++) {
		snprintf(keys[i], sizeof(keys[i]), "key%02zu", i);
		c[i] = (struct pf_lmdb_change){keys[i], value, strlen(keys[i]),
					       sizeof(value) - 1};
	}
	c[64] = (struct pf_lmdb_change){"missing", NULL, 7, 0};
	assert_int_equal(pf_lmdb_write(path, c, 65, msg, sizeof(msg)), 0);
	dump = dump_map(path, &mapsize);
	for (const char *p = dump; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 65);
	assert_non_null(strstr(dump, "key63\\0=vvv"));
	assert_true(mapsize >= 256 << 10);
	free(dump);
}

/* A source that changed outside its entries (its header) gets a new map. */
static void test_publish_header_only(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	const char *msg = NULL;
	char want[200];

	fresh_maps(f, "lmdb");
	host_mock_put(&f->m, PF_DIR "/vdomains", "# an older header\nexample.com OK\n");
	assert_int_equal(postfix_publish(f->st, &m, &dir, &msg), 0);
	snprintf(want, sizeof(want), "/usr/sbin/postmap -- lmdb:%s/etc/postfix/vdomains",
		 f->root);
	assert_true(deferred(&f->m, want));
	assert_int_equal(f->m.n_calls, 0);
}

/* hash maps are never updated in place, however few entries change. */
static void test_publish_hash_few_changes(void **state)
{
	static const struct webstack_account one[] = {
		{"a@example.com", "a", "example.com", "{X}a"},
	};
	static const struct webstack_directory fewer = {domains, 1, one, 1, aliases, 2,
							NULL, 0};
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	const char *msg = NULL;
	char want[200];

	f->st->map_type = "hash";
	fresh_maps(f, "db");
	assert_int_equal(postfix_publish(f->st, &m, &fewer, &msg), 0);
	snprintf(want, sizeof(want), "/usr/sbin/postmap -- hash:%s/etc/postfix/vmailbox.new",
		 f->root);
	assert_true(deferred(&f->m, want));
	assert_int_equal(f->m.n_calls, 0);
}

/* Past the limit of changed entries, the whole map is compiled. */
static void test_publish_many_changes(void **state)
{
	static struct webstack_account many[100];
	static char names[100][32];
	struct webstack_directory big = {domains, 1, many, 100, NULL, 0, NULL, 0};
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	const char *msg = NULL;
	char want[200];

	for (size_t i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), "u%03zu@example.com", i);
		many[i] = (struct webstack_account){names[i], "u", "example.com", "{X}u"};
	}
	fresh_maps(f, "lmdb");
	assert_int_equal(postfix_publish(f->st, &m, &big, &msg), 0);
	snprintf(want, sizeof(want), "/usr/sbin/postmap -- lmdb:%s/etc/postfix/vmailbox",
		 f->root);
	assert_true(deferred(&f->m, want));
	/* virtual loses its two aliases: few enough to update in place (its
	 * only job) */
	snprintf(want, sizeof(want), "call update %s/etc/postfix/virtual.lmdb in place "
		 "(2 changes)", f->root);
	assert_true(deferred(&f->m, want));
	assert_int_equal(f->m.n_calls, 1);
}

/* hash: built beside the live map and renamed over it. */
static void test_publish_hash(void **state)
{
	struct fx *f = *state;
	struct webstack_mail m = mail_settings();
	const char *msg = NULL;
	char want[4][200];

	f->st->map_type = "hash";
	assert_int_equal(postfix_publish(f->st, &m, &dir, &msg), 0);
	assert_int_equal(f->m.n_deferred, 16);
	snprintf(want[0], 200, "/bin/cp -- %s/etc/postfix/vdomains %s/etc/postfix/vdomains.new",
		 f->root, f->root);
	snprintf(want[1], 200, "/usr/sbin/postmap -- hash:%s/etc/postfix/vdomains.new",
		 f->root);
	snprintf(want[2], 200, "/bin/mv -f -- %s/etc/postfix/vdomains.new.db "
		 "%s/etc/postfix/vdomains.db", f->root, f->root);
	snprintf(want[3], 200, "/bin/rm -f -- %s/etc/postfix/vdomains.new", f->root);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(f->m.deferred[i], want[i]);
}

static void test_conf_check(void **state)
{
	cfg_t *cfg;
	const char *msg = NULL;

	(void)state;
	cfg = cfg_init(postfix_opts, CFGF_NONE);
	assert_int_equal(cfg_parse_buf(cfg, "map_type = \"cdb\""), CFG_SUCCESS);
	assert_int_equal(postfix_conf_check(NULL, cfg, &msg), -EINVAL);
	assert_non_null(strstr(msg, "map_type"));
	assert_int_equal(cfg_parse_buf(cfg, "map_type = \"hash\""), CFG_SUCCESS);
	assert_int_equal(postfix_conf_check(NULL, cfg, &msg), 0);
	cfg_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_cf_edit),
		cmocka_unit_test(test_master_cf_edit),
		cmocka_unit_test_setup_teardown(test_setup_starts_then_converges,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_setup_needs_postfix, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_load, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_publish, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_publish_unchanged, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_publish_incremental, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_add_account, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_update_lines, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lmdb_grows, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_publish_many_changes, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_publish_header_only, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_publish_hash_few_changes, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_publish_hash, fx_setup,
						fx_teardown),
		cmocka_unit_test(test_conf_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
