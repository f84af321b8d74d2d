/* The directory: what the sink accepts from the modules' files (normal
 * names only, no duplicates, {SCHEME}hash passwords), and the changes the
 * commands make (deleting a domain takes its accounts and aliases). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "directory.h"
#include "dkimkey.h"

static void test_sink_accepts_normal_names(void **state)
{
	struct directory d = {0};
	struct dir_sink s;
	const char *msg = NULL;
	const char *t[] = {"a@example.com", "x@remote.test"};
	struct webstack_directory v;

	(void)state;
	dir_sink_init(&s, &d);
	assert_int_equal(s.sink.domain(&s.sink, "example.com", &msg), 0);
	assert_int_equal(s.sink.domain(&s.sink, "b.example", &msg), 0);
	assert_int_equal(s.sink.account(&s.sink, "b@example.com", "{ARGON2ID}$argon2id$v=19$x", &msg), 0);
	assert_int_equal(s.sink.account(&s.sink, "a@example.com", "{SHA512-CRYPT}$6$x", &msg), 0);
	assert_int_equal(s.sink.alias(&s.sink, "al@example.com", t, 2, &msg), 0);
	dir_view(&d, &v);
	assert_int_equal(v.n_domains, 2);
	assert_string_equal(v.domains[0], "b.example");
	assert_int_equal(v.n_accounts, 2);
	assert_string_equal(v.accounts[0].address, "a@example.com");
	assert_string_equal(v.accounts[0].local, "a");
	assert_string_equal(v.accounts[0].domain, "example.com");
	assert_int_equal(v.aliases[0].n_targets, 2);
	assert_int_equal(dir_domain_accounts(&d, "example.com"), 2);
	assert_int_equal(dir_domain_aliases(&d, "example.com"), 1);
	dir_free(&d);
}

static void expect_refused(int r, const char *msg, const char *want)
{
	assert_int_not_equal(r, 0);
	assert_non_null(msg);
	if (!strstr(msg, want))
		fail_msg("message '%s' lacks '%s'", msg, want);
}

/* The call runs before msg is read (argument order is unspecified). */
#define REFUSED(call, want)                                                    \
	do {                                                                   \
		int r_;                                                        \
		msg = NULL;                                                    \
		r_ = (call);                                                   \
		expect_refused(r_, msg, want);                                 \
	} while (0)

static void test_sink_refuses(void **state)
{
	struct directory d = {0};
	struct dir_sink s;
	const char *msg = NULL;
	const char *bad_target[] = {"x@remote.test", "a:b@example.com"};

	(void)state;
	dir_sink_init(&s, &d);
	assert_int_equal(s.sink.domain(&s.sink, "example.com", &msg), 0);
	REFUSED(s.sink.domain(&s.sink, "Example.COM", &msg), "not in normal form: write 'example.com'");
	REFUSED(s.sink.domain(&s.sink, "example.com", &msg), "listed twice");
	REFUSED(s.sink.domain(&s.sink, "..", &msg), "..");
	REFUSED(s.sink.account(&s.sink, "a@example.com", "plain", &msg), "not a {SCHEME}hash");
	REFUSED(s.sink.account(&s.sink, "a@example.com", "{PLAIN}a:b", &msg), "not a {SCHEME}hash");
	REFUSED(s.sink.account(&s.sink, "a@example.com", "{PLAIN}a b", &msg), "not a {SCHEME}hash");
	/* a bad byte in each of the eight places of a word, and in the tail */
	for (size_t at = 3; at < 31; at++) {
		static const char bad[] = {' ', ':', 0x7f, '\t', 0x01};
		char h[32];

		memset(h, 'x', sizeof(h));
		memcpy(h, "{X}", 3);
		h[sizeof(h) - 1] = '\0';
		h[at] = bad[at % sizeof(bad)];
		REFUSED(s.sink.account(&s.sink, "a@example.com", h, &msg), "not a {SCHEME}hash");
	}
	/* non-ASCII bytes are not control bytes */
	assert_int_equal(s.sink.account(&s.sink, "u8@example.com",
					"{X}\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9!", &msg), 0);
	REFUSED(s.sink.account(&s.sink, "a\n@example.com", "{X}y", &msg), "not '\\x0a'");
	assert_int_equal(s.sink.account(&s.sink, "b@example.com", "{X}y", &msg), 0);
	assert_int_equal(s.sink.account(&s.sink, "a@example.com", "{X}y", &msg), 0);
	assert_int_equal(dir_check_accounts(&d, &s.e), 0);
	REFUSED(s.sink.alias(&s.sink, "al@example.com", bad_target, 2, &msg), "a:b@example.com");
	REFUSED(s.sink.alias(&s.sink, "al@example.com", bad_target, 0, &msg), "no target");
	assert_int_equal(d.n_aliases, 0);
	assert_int_equal(d.n_accounts, 3);	/* u8, b, a */
	/* an account twice: found after the load, out of order too */
	assert_int_equal(s.sink.account(&s.sink, "b@example.com", "{X}z", &msg), 0);
	assert_int_equal(dir_check_accounts(&d, &s.e), -1);
	assert_non_null(strstr(s.e.msg, "account 'b@example.com' is listed twice"));
	assert_string_equal(d.accounts[0].address, "a@example.com");	/* sorted */
	dir_free(&d);
}

static void test_changes(void **state)
{
	struct directory d = {0};
	const char *t1[] = {"a@example.com"}, *t2[] = {"a@example.com", "b@x.test"};

	(void)state;
	dir_add_domain(&d, "example.com");
	dir_add_domain(&d, "example.org");
	dir_add_account(&d, "a@example.com", "{X}1");
	dir_add_account(&d, "a@example.org", "{X}2");
	dir_add_alias_targets(&d, "al@example.com", t1, 1);
	dir_add_alias_targets(&d, "al@example.com", t2, 2);
	assert_int_equal(dir_alias(&d, "al@example.com")->targets.n, 2);
	dir_set_hash(&d, dir_account(&d, "a@example.org"), "{X}3");
	assert_string_equal(dir_account(&d, "a@example.org")->hash, "{X}3");
	dir_add_dkim(&d, "example.com", "ws20261126-rsa", DKIM_RSA, "/k1", "AAAA");
	dir_add_dkim(&d, "example.org", "ws20261126-rsa", DKIM_RSA, "/k2", "BBBB");
	dir_del_domain(&d, "example.com");
	assert_false(dir_has_domain(&d, "example.com"));
	/* its keys leave the directory (not the disk) */
	assert_null(dir_dkim_find(&d, "example.com", "ws20261126-rsa"));
	assert_non_null(dir_dkim_find(&d, "example.org", "ws20261126-rsa"));
	assert_null(dir_account(&d, "a@example.com"));
	assert_null(dir_alias(&d, "al@example.com"));
	assert_non_null(dir_account(&d, "a@example.org"));
	dir_del_account(&d, "a@example.org");
	assert_int_equal(d.n_accounts, 0);
	dir_free(&d);
}

/* The view is sorted, whatever order the entries came in: a load in order
 * with a few appended (moved into place), or far out of order (qsorted);
 * deleting one keeps the rest in order; local and domain are the
 * address's parts. */
static void test_view_order(void **state)
{
	static const char *const loaded[] = {"b@example.com", "d@example.com",
					     "f@example.com", "h@example.com"};
	static const char *const appended[] = {"g@example.com", "a@example.com",
					       "e@example.com"};
	static const char *const sorted[] = {"a@example.com", "b@example.com",
					     "d@example.com", "e@example.com",
					     "f@example.com", "g@example.com",
					     "h@example.com"};
	struct directory d = {0};
	struct webstack_directory v;
	char name[32];

	(void)state;
	for (size_t i = 0; i < 4; i++)
		dir_add_account(&d, loaded[i], "{X}h");
	for (size_t i = 0; i < 3; i++)
		dir_add_account(&d, appended[i], "{X}h");
	dir_view(&d, &v);
	assert_int_equal(v.n_accounts, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_string_equal(v.accounts[i].address, sorted[i]);
		assert_string_equal(v.accounts[i].domain, "example.com");
		assert_int_equal(v.accounts[i].local[0], sorted[i][0]);
		assert_int_equal(v.accounts[i].local[1], '\0');
		/* the lookups see the new positions */
		assert_ptr_equal(dir_account(&d, sorted[i]), &d.accounts[i]);
	}
	dir_del_account(&d, "d@example.com");
	dir_view(&d, &v);
	assert_int_equal(v.n_accounts, 6);
	for (size_t i = 0, k = 0; i < 7; i++)
		if (strcmp(sorted[i], "d@example.com") != 0)
			assert_string_equal(v.accounts[k++].address, sorted[i]);
	assert_null(dir_account(&d, "d@example.com"));
	assert_non_null(dir_account(&d, "h@example.com"));
	dir_free(&d);

	/* more stragglers than are moved one by one: a qsort */
	for (int i = 99; i >= 0; i--) {
		snprintf(name, sizeof(name), "u%02d@example.org", i);
		dir_add_account(&d, name, "{X}h");
	}
	dir_view(&d, &v);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "u%02d@example.org", i);
		assert_string_equal(v.accounts[i].address, name);
	}
	dir_free(&d);
}

static int n_notes;

static void count_note(const char *alias, const char *target)
{
	(void)alias;
	(void)target;
	n_notes++;
}

/* Deleting an address takes it (and its +extensions) out of every alias;
 * an alias left empty goes, and so does it as a target elsewhere. */
static void test_prune_targets(void **state)
{
	struct directory d = {0};
	const char *ta[] = {"x@example.com", "y+tag@example.com", "r@remote.test"};
	const char *tb[] = {"a@example.com"};
	const char *tc[] = {"x@example.com"};
	struct dir_alias *a;

	(void)state;
	dir_add_alias_targets(&d, "a@example.com", ta, 3);
	dir_add_alias_targets(&d, "b@example.com", tb, 1);
	dir_add_alias_targets(&d, "c@example.com", tc, 1);
	assert_true(dir_target_is("y+tag@example.com", "y@example.com"));
	assert_false(dir_target_is("yy@example.com", "y@example.com"));
	assert_false(dir_target_is("y@example.org", "y@example.com"));

	dir_prune_targets(&d, dir_target_is, "x@example.com", count_note);
	assert_int_equal(n_notes, 2);
	assert_null(dir_alias(&d, "c@example.com"));
	a = dir_alias(&d, "a@example.com");
	assert_non_null(a);
	assert_int_equal(a->targets.n, 2);

	dir_prune_targets(&d, dir_target_is, "y@example.com", NULL);
	assert_int_equal(dir_alias(&d, "a@example.com")->targets.n, 1);

	/* a loses its last target, goes, and takes b's only target along */
	dir_prune_targets(&d, dir_target_in, "remote.test", NULL);
	assert_null(dir_alias(&d, "a@example.com"));
	assert_null(dir_alias(&d, "b@example.com"));
	assert_int_equal(d.n_aliases, 0);
	dir_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sink_accepts_normal_names),
		cmocka_unit_test(test_sink_refuses),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_view_order),
		cmocka_unit_test(test_prune_targets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
