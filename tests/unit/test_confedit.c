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

struct find_case {
	const char *text, *key;
	const char *want;	/* the line found, without its newline; "" for none */
};

static void run_cases(const struct find_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = conf_find_option(c[i].text, c[i].key);
		size_t len = p ? strcspn(p, "\n") : 0;

		if (len != strlen(c[i].want) || (p && strncmp(p, c[i].want, len) != 0))
			fail_msg("case %zu: %s in \"%s\": found \"%.*s\", want \"%s\"", i,
				 c[i].key, c[i].text, (int)len, p ? p : "", c[i].want);
	}
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

static void test_top_level(void **state)
{
	static const struct find_case cases[] = {
		{"mta = \"postfix\"\ndirectory = \"files\"\n", "directory",
		 "directory = \"files\""},
		{"  directory=\"files\"", "directory", "  directory=\"files\""},
		{"directory\t= \"x\"\ndirectory = \"y\"\n", "directory", "directory\t= \"x\""},
		{"mta = \"postfix\"\n", "directory", ""},
		/* a longer name that starts with the key is another option */
		{"directory_x = 1\n", "directory", ""},
		{"", "directory", ""},
	};

	(void)state;
	RUN(cases);
}

static void test_not_in_sections(void **state)
{
	static const struct find_case cases[] = {
		{"pgsql {\n  directory = \"a\"\n}\ndirectory = \"b\"\n", "directory",
		 "directory = \"b\""},
		{"a {\n b {\n  hostname = \"x\"\n }\n hostname = \"y\"\n}\n", "hostname", ""},
		{"service \"imap\" { enabled = false }\nhostname = \"h\"\n", "hostname",
		 "hostname = \"h\""},
	};

	(void)state;
	RUN(cases);
}

static void test_not_in_comments_or_strings(void **state)
{
	static const struct find_case cases[] = {
		/* braces in a comment or a string open no section */
		{"# a { in a comment\ndirectory = \"files\"\n", "directory",
		 "directory = \"files\""},
		{"x = \"{\"\ndirectory = \"files\"\n", "directory", "directory = \"files\""},
		{"x = \"a\\\"{\"\nhostname = \"h\"\n", "hostname", "hostname = \"h\""},
		{"#directory = \"pgsql\"\n", "directory", ""},
		{"#\n#\ndirectory = \"files\"", "directory", "directory = \"files\""},
		/* a string that never closes: nothing after it counts */
		{"x = \"open\ndirectory = \"files\"\n", "directory", ""},
	};

	(void)state;
	RUN(cases);
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
