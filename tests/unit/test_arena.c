#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"

/* Copies stay intact and aligned across many blocks, whatever came
 * after them. */
static void test_many_strings(void **state)
{
	struct arena a = {0};
	static char *copies[100000];
	char name[32];

	(void)state;
	for (size_t i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "u%06zu@example.org", i);
		copies[i] = arena_strdup(&a, name + (i % 3));
		assert_int_equal((uintptr_t)copies[i] % sizeof(char *), 0);
	}
	for (size_t i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "u%06zu@example.org", i);
		assert_string_equal(copies[i], name + (i % 3));
	}
	arena_free(&a);
	assert_null(a.blocks);
	/* an emptied arena is usable again */
	assert_string_equal(arena_strdup(&a, "again"), "again");
	arena_free(&a);
}

/* A string larger than a block gets a block of its own, and the room left
 * in the current block is still used afterwards. */
static void test_oversized(void **state)
{
	struct arena a = {0};
	size_t big = (size_t)5 << 20;
	char *s = malloc(big + 1), *small, *huge, *next;

	(void)state;
	assert_non_null(s);
	memset(s, 'x', big);
	s[big] = '\0';
	small = arena_strdup(&a, "small");
	huge = arena_strdup(&a, s);
	next = arena_strdup(&a, "next");
	assert_int_equal(strlen(huge), big);
	assert_memory_equal(huge, s, big);
	assert_string_equal(small, "small");
	assert_string_equal(next, "next");
	/* "small\0" took 8 bytes of the current block; "next" follows it */
	assert_ptr_equal(next, small + 8);
	arena_free(&a);
	/* an oversized piece as the first one, then small ones */
	huge = arena_strdup(&a, s);
	small = arena_strdup(&a, "small");
	assert_memory_equal(huge, s, big);
	assert_string_equal(small, "small");
	free(s);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_strings),
		cmocka_unit_test(test_oversized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
