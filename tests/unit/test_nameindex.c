#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "nameindex.h"

/* An element as the index sees it: the name first, then anything. */
struct elem {
	char *name;
	int payload;
};

struct arr {
	struct elem *v;
	size_t n;
	struct name_index ix;
};

static void push(struct arr *a, const char *name)
{
	a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
	a->v[a->n].name = xstrdup(name);
	a->v[a->n].payload = (int)a->n;
	a->n++;
	name_index_added(&a->ix, a->v, sizeof(*a->v), a->n);
}

static size_t find(struct arr *a, const char *name)
{
	return name_index_find(&a->ix, a->v, sizeof(*a->v), a->n, name);
}

static void arr_free(struct arr *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].name);
	free(a->v);
	name_index_free(&a->ix);
}

static void test_empty(void **state)
{
	struct arr a = {0};

	(void)state;
	assert_int_equal(find(&a, "x@example.org"), NAME_INDEX_NONE);
	arr_free(&a);
}

/* Appends keep the index current through its growth; every name is found
 * at its position and near misses are not. */
static void test_appends(void **state)
{
	struct arr a = {0};
	char name[64];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "user%d@example.org", i);
		push(&a, name);
		if (i % 997 == 0)
			assert_int_equal(find(&a, name), (size_t)i);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "user%d@example.org", i);
		assert_int_equal(find(&a, name), (size_t)i);
		snprintf(name, sizeof(name), "user%d@example.org.", i);
		assert_int_equal(find(&a, name), NAME_INDEX_NONE);
	}
	assert_int_equal(find(&a, "user@example.org"), NAME_INDEX_NONE);
	arr_free(&a);
}

/* After the array is reordered and shrunk behind its back, a stale index
 * is rebuilt by the next lookup. */
static void test_stale(void **state)
{
	struct arr a = {0};
	struct elem tmp;

	(void)state;
	push(&a, "a@x");
	push(&a, "b@x");
	push(&a, "c@x");
	assert_int_equal(find(&a, "c@x"), 2);
	tmp = a.v[0];
	a.v[0] = a.v[2];
	a.v[2] = tmp;
	name_index_stale(&a.ix);
	assert_int_equal(find(&a, "c@x"), 0);
	assert_int_equal(find(&a, "a@x"), 2);
	free(a.v[2].name);
	a.n--;
	name_index_stale(&a.ix);
	assert_int_equal(find(&a, "a@x"), NAME_INDEX_NONE);
	assert_int_equal(find(&a, "b@x"), 1);
	/* an append to a stale index leaves it stale, and it still answers */
	name_index_stale(&a.ix);
	push(&a, "d@x");
	assert_int_equal(find(&a, "d@x"), 2);
	assert_int_equal(find(&a, "c@x"), 0);
	arr_free(&a);
}

/* The same index type over a plain array of strings (a strv). */
static void test_strings(void **state)
{
	char *v[] = {"example.org", "example.net", "xn--bcher-kva.example"};
	struct name_index ix = {0};

	(void)state;
	assert_int_equal(name_index_find(&ix, v, sizeof(char *), 3, "example.net"), 1);
	assert_int_equal(name_index_find(&ix, v, sizeof(char *), 3,
					 "xn--bcher-kva.example"), 2);
	assert_int_equal(name_index_find(&ix, v, sizeof(char *), 3, "example.com"),
			 NAME_INDEX_NONE);
	name_index_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
