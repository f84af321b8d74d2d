/* The loader against the fixture modules (tests/fixtures/mods): each broken
 * one is refused with its own message, good ones load, and the file checks
 * (mode, owner, symlink) refuse a module before it is opened; a linked
 * descriptor is found without a file and validated all the same. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "loader.h"

static const char *mods_dir(void)
{
	const char *d = getenv("WS_FIXTURE_MODS");

	return d ? d : "tests/fixtures/mods/.libs";
}

/* Loads name from dirs and returns the error message ("" on success). */
static char *load_msg(const char *dir, const char *name, enum webstack_role role)
{
	const char *dirs[] = {dir, NULL};
	struct loader ld;
	struct err e = {0};
	char *msg;

	assert_int_equal(loader_init(&ld, dirs, &e), 0);
	if (loader_load(&ld, name, role, NULL, &e) == 0) {
		msg = xstrdup("");
	} else {
		assert_int_equal(e.code, EX_CONFIG);
		msg = xstrdup(e.msg);
	}
	loader_free(&ld);
	return msg;
}

static void expect_refused(const char *name, const char *needle)
{
	char *msg = load_msg(mods_dir(), name, WEBSTACK_ROLE_NONE);

	if (!strstr(msg, needle))
		fail_msg("module %s: expected '%s' in '%s'", name, needle, msg);
	free(msg);
}

static void test_good_loads(void **state)
{
	char *msg = load_msg(mods_dir(), "good_mta", WEBSTACK_ROLE_MTA);

	(void)state;
	assert_string_equal(msg, "");
	free(msg);
}

static void test_wrong_abi_major(void **state)
{
	(void)state;
	expect_refused("bad_abi", "was built for webstack module ABI 2.x");
}

static void test_newer_minor(void **state)
{
	(void)state;
	expect_refused("newer_minor", "newer than this webstack's");
}

static void test_name_mismatch(void **state)
{
	(void)state;
	expect_refused("wrong_name", "holds a module named 'other_name', not 'wrong_name'");
}

static void test_unknown_role(void **state)
{
	(void)state;
	expect_refused("unknown_role", "declares unknown role 42");
}

static void test_missing_op(void **state)
{
	(void)state;
	expect_refused("missing_op", "lacks the required op 'publish'");
}

static void test_not_found(void **state)
{
	(void)state;
	expect_refused("no_such_module", "module 'no_such_module' not found");
}

static void test_bad_name(void **state)
{
	(void)state;
	expect_refused("../good_mta", "is not a module name");
}

static void test_wrong_role(void **state)
{
	char *msg = load_msg(mods_dir(), "good_filter", WEBSTACK_ROLE_MTA);

	(void)state;
	assert_non_null(strstr(msg, "fills the role 'av', not 'mta'"));
	free(msg);
}

static void test_duplicate_exclusive_role(void **state)
{
	const char *dirs[] = {mods_dir(), NULL};
	struct loader ld;
	struct err e = {0};

	(void)state;
	assert_int_equal(loader_init(&ld, dirs, &e), 0);
	assert_int_equal(loader_load(&ld, "good_mta", WEBSTACK_ROLE_MTA, NULL, &e), 0);
	assert_int_equal(loader_load(&ld, "good_filter", WEBSTACK_ROLE_AV, NULL, &e), 0);
	assert_int_equal(loader_load(&ld, "good_mta2", WEBSTACK_ROLE_NONE, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "'good_mta' and 'good_mta2' both fill the role 'mta'"));
	assert_int_equal(ld.n_mods, 2);
	loader_free(&ld);
}

/* A module retired from an exclusive role loads beside the one that fills
 * it, and never counts as filling it; a configured module asked for as
 * retired stays what it is. */
static void test_retired(void **state)
{
	const char *dirs[] = {mods_dir(), NULL};
	struct loader ld;
	struct module *m = NULL;
	struct err e = {0};

	(void)state;
	assert_int_equal(loader_init(&ld, dirs, &e), 0);
	assert_int_equal(loader_load(&ld, "good_mta", WEBSTACK_ROLE_MTA, NULL, &e), 0);
	assert_int_equal(loader_load_retired(&ld, "good_mta2", WEBSTACK_ROLE_MTA, &m, &e), 0);
	assert_true(m->retired);
	assert_string_equal(loader_find_role(&ld, WEBSTACK_ROLE_MTA)->name, "good_mta");
	assert_int_equal(loader_load_retired(&ld, "good_mta", WEBSTACK_ROLE_MTA, &m, &e), 0);
	assert_false(m->retired);
	assert_int_equal(loader_load_retired(&ld, "good_filter", WEBSTACK_ROLE_MTA, &m, &e), -1);
	assert_non_null(strstr(e.msg, "fills the role 'av', not 'mta'"));
	loader_free(&ld);
}

/* A copy of good_mta.so in a fresh directory, for the file checks. */
static char *copy_good(char *dir_template)
{
	char *src = xasprintf("%s/good_mta.so", mods_dir());
	char *dst, *cmd;

	assert_non_null(mkdtemp(dir_template));
	dst = xasprintf("%s/good_mta.so", dir_template);
	cmd = xasprintf("cp '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(src);
	return dst;
}

static void remove_tree(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_world_writable(void **state)
{
	char dir[] = "/tmp/ws-loader-XXXXXX";
	char *so = copy_good(dir), *msg;

	(void)state;
	assert_int_equal(chmod(so, 0666), 0);
	msg = load_msg(dir, "good_mta", WEBSTACK_ROLE_NONE);
	assert_non_null(strstr(msg, "is writable by group or others (mode 0666)"));
	free(msg);
	assert_int_equal(chmod(so, 0644), 0);
	msg = load_msg(dir, "good_mta", WEBSTACK_ROLE_NONE);
	assert_string_equal(msg, "");	/* the same file is fine once fixed */
	free(msg);
	free(so);
	remove_tree(dir);
}

static void test_foreign_owner(void **state)
{
	char dir[] = "/tmp/ws-loader-XXXXXX";
	char *so = copy_good(dir), *msg;

	(void)state;
	if (geteuid() != 0) {
		free(so);
		remove_tree(dir);
		skip();
	}
	assert_int_equal(chown(so, 4242, 4242), 0);
	msg = load_msg(dir, "good_mta", WEBSTACK_ROLE_NONE);
	assert_non_null(strstr(msg, "is owned by uid 4242, not by root or you"));
	free(msg);
	free(so);
	remove_tree(dir);
}

static void test_symlink(void **state)
{
	char dir[] = "/tmp/ws-loader-XXXXXX";
	char *so = copy_good(dir), *link, *real, *msg;

	(void)state;
	link = xasprintf("%s/good_mta.so", dir);
	real = xasprintf("%s/real.so", dir);
	assert_int_equal(rename(so, real), 0);
	assert_int_equal(symlink("real.so", link), 0);
	msg = load_msg(dir, "good_mta", WEBSTACK_ROLE_NONE);
	assert_non_null(strstr(msg, "is not a regular file"));
	free(msg);
	free(link);
	free(real);
	free(so);
	remove_tree(dir);
}

static void test_search_order(void **state)
{
	char dir[] = "/tmp/ws-loader-XXXXXX";
	char *so = copy_good(dir);
	const char *dirs[] = {dir, mods_dir(), NULL};
	struct loader ld;
	struct module *m;
	struct err e = {0};

	(void)state;
	assert_int_equal(loader_init(&ld, dirs, &e), 0);
	assert_int_equal(loader_load(&ld, "good_mta", WEBSTACK_ROLE_NONE, &m, &e), 0);
	assert_string_equal(m->path, so);	/* the first directory wins */
	loader_free(&ld);
	free(so);
	remove_tree(dir);
}

/* A linked descriptor (here good_mta's, borrowed from a loaded copy) is
 * found without a search directory and validated like a file's. */
static void test_linked(void **state)
{
	const char *dirs[] = {mods_dir(), NULL};
	struct loader disk, ld;
	struct module *m, *lm;
	struct webstack_module broken;
	const struct webstack_module *linked[2] = {NULL, NULL};
	struct err e = {0};

	(void)state;
	assert_int_equal(loader_init(&disk, dirs, &e), 0);
	assert_int_equal(loader_load(&disk, "good_mta", WEBSTACK_ROLE_MTA, &m, &e), 0);
	assert_int_equal(loader_init(&ld, NULL, &e), 0);
	linked[0] = m->desc;
	ld.linked = linked;
	assert_int_equal(loader_load(&ld, "good_mta", WEBSTACK_ROLE_MTA, &lm, &e), 0);
	assert_ptr_equal(lm->desc, m->desc);
	assert_string_equal(lm->path, "(linked in)");
	loader_free(&ld);

	broken = *m->desc;
	broken.abi_major = WEBSTACK_ABI_MAJOR + 1;
	linked[0] = &broken;
	assert_int_equal(loader_init(&ld, NULL, &e), 0);
	ld.linked = linked;
	assert_int_equal(loader_load(&ld, "good_mta", WEBSTACK_ROLE_MTA, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "was built for webstack module ABI"));
	loader_free(&ld);
	loader_free(&disk);
}

static void test_relative_dir_refused(void **state)
{
	const char *dirs[] = {"tests/fixtures", NULL};
	struct loader ld;
	struct err e = {0};

	(void)state;
	assert_int_equal(loader_init(&ld, dirs, &e), -1);
	assert_non_null(strstr(e.msg, "is not an absolute path"));
	loader_free(&ld);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_loads),
		cmocka_unit_test(test_wrong_abi_major),
		cmocka_unit_test(test_newer_minor),
		cmocka_unit_test(test_name_mismatch),
		cmocka_unit_test(test_unknown_role),
		cmocka_unit_test(test_missing_op),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_bad_name),
		cmocka_unit_test(test_wrong_role),
		cmocka_unit_test(test_duplicate_exclusive_role),
		cmocka_unit_test(test_retired),
		cmocka_unit_test(test_world_writable),
		cmocka_unit_test(test_foreign_owner),
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_search_order),
		cmocka_unit_test(test_linked),
		cmocka_unit_test(test_relative_dir_refused),
	};

	return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
