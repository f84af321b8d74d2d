/* conf_find_option: the line of webstack.conf that `mail setup --hostname`
 * and `mail migrate` rewrite is a top-level one, never an option of the
 * same name inside a section, in a comment or in a string. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "confedit.h"

/* The line found, up to its newline, or "" for none. */
static const char *found(const char *text, const char *key)
{
	static char line[256];
	const char *p = conf_find_option(text, key);
	size_t len = p ? strcspn(p, "\n") : 0;

	memcpy(line, p ? p : "", len);
	line[len] = '\0';
	return line;
}

static void test_top_level(void **state)
{
	(void)state;
	assert_string_equal(found("mta = \"postfix\"\ndirectory = \"files\"\n", "directory"),
			    "directory = \"files\"");
	assert_string_equal(found("  directory=\"files\"", "directory"), "  directory=\"files\"");
	assert_string_equal(found("directory\t= \"x\"\ndirectory = \"y\"\n", "directory"),
			    "directory\t= \"x\"");
	assert_string_equal(found("mta = \"postfix\"\n", "directory"), "");
	/* a longer name that starts with the key is another option */
	assert_string_equal(found("directory_x = 1\n", "directory"), "");
	assert_string_equal(found("", "directory"), "");
}

static void test_not_in_sections(void **state)
{
	(void)state;
	assert_string_equal(found("pgsql {\n  directory = \"a\"\n}\ndirectory = \"b\"\n",
				  "directory"), "directory = \"b\"");
	assert_string_equal(found("a {\n b {\n  hostname = \"x\"\n }\n hostname = \"y\"\n}\n",
				  "hostname"), "");
	assert_string_equal(found("service \"imap\" { enabled = false }\nhostname = \"h\"\n",
				  "hostname"), "hostname = \"h\"");
}

static void test_not_in_comments_or_strings(void **state)
{
	(void)state;
	/* braces in a comment or a string open no section */
	assert_string_equal(found("# a { in a comment\ndirectory = \"files\"\n", "directory"),
			    "directory = \"files\"");
	assert_string_equal(found("x = \"{\"\ndirectory = \"files\"\n", "directory"),
			    "directory = \"files\"");
	assert_string_equal(found("x = \"a\\\"{\"\nhostname = \"h\"\n", "hostname"),
			    "hostname = \"h\"");
	assert_string_equal(found("#directory = \"pgsql\"\n", "directory"), "");
	assert_string_equal(found("#\n#\ndirectory = \"files\"", "directory"),
			    "directory = \"files\"");
	/* a string that never closes: nothing after it counts */
	assert_string_equal(found("x = \"open\ndirectory = \"files\"\n", "directory"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_level),
		cmocka_unit_test(test_not_in_sections),
		cmocka_unit_test(test_not_in_comments_or_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
