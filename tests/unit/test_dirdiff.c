/* dir_diff: the changes that turn the directory as loaded into the one a
 * command left, in the order the directory role applies them. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "dirdiff.h"
#include "directory.h"

static const char *const kind_name[] = {
	[WEBSTACK_ADD_DOMAIN] = "add-domain", [WEBSTACK_DEL_DOMAIN] = "del-domain",
	[WEBSTACK_ADD_ACCOUNT] = "add-account", [WEBSTACK_DEL_ACCOUNT] = "del-account",
	[WEBSTACK_SET_HASH] = "set-hash", [WEBSTACK_SET_ALIAS] = "set-alias",
	[WEBSTACK_DEL_ALIAS] = "del-alias",
};

/* The changes as "kind name[ detail]" lines. */
static char *render(const struct dir_changes *c)
{
	struct buf b = {0};

	for (size_t i = 0; i < c->n; i++) {
		const struct webstack_change *ch = &c->v[i];

		buf_printf(&b, "%s %s", kind_name[ch->kind], ch->name);
		if (ch->account)
			buf_printf(&b, " %s", ch->account->password_hash);
		for (size_t k = 0; ch->alias && k < ch->alias->n_targets; k++)
			buf_printf(&b, "%c%s", k ? ',' : ' ', ch->alias->targets[k]);
		buf_add(&b, "\n", 1);
	}
	buf_add(&b, "", 0);
	return buf_steal(&b);
}

static void fill(struct directory *d, const char *const *domains,
		 const char *const (*accounts)[2], const char *const (*aliases)[3])
{
	for (; *domains; domains++)
		dir_add_domain(d, *domains);
	for (; (*accounts)[0]; accounts++)
		dir_add_account(d, (*accounts)[0], (*accounts)[1]);
	for (; (*aliases)[0]; aliases++)
		dir_add_alias_targets(d, (*aliases)[0], &(*aliases)[1],
				      (*aliases)[2] ? 2 : 1);
}

static void test_every_kind_in_order(void **state)
{
	static const char *const old_domains[] = {"b.org", "a.org", "gone.org", NULL};
	static const char *const new_domains[] = {"a.org", "b.org", "new.org", NULL};
	static const char *const old_accounts[][2] = {
		{"x@a.org", "{X}1"}, {"y@a.org", "{X}2"}, {"z@b.org", "{X}3"}, {NULL, NULL}};
	static const char *const new_accounts[][2] = {
		{"x@a.org", "{X}1"}, {"y@a.org", "{X}9"}, {"n@new.org", "{X}4"}, {NULL, NULL}};
	static const char *const old_aliases[][3] = {
		{"al@a.org", "x@a.org", NULL}, {"old@b.org", "z@b.org", NULL},
		{"same@a.org", "x@a.org", "y@a.org"}, {NULL, NULL, NULL}};
	static const char *const new_aliases[][3] = {
		{"al@a.org", "x@a.org", "y@a.org"}, {"fresh@new.org", "n@new.org", NULL},
		{"same@a.org", "x@a.org", "y@a.org"}, {NULL, NULL, NULL}};
	struct directory old = {0}, now = {0};
	struct webstack_directory vo, vn;
	struct dir_changes c = {0};
	char *text;

	(void)state;
	fill(&old, old_domains, old_accounts, old_aliases);
	fill(&now, new_domains, new_accounts, new_aliases);
	dir_view(&old, &vo);
	dir_view(&now, &vn);
	dir_diff(&vo, &vn, &c);
	text = render(&c);
	assert_string_equal(text,
			    "add-domain new.org\n"
			    "del-alias old@b.org\n"
			    "del-account z@b.org\n"
			    "add-account n@new.org {X}4\n"
			    "set-hash y@a.org {X}9\n"
			    "set-alias al@a.org x@a.org,y@a.org\n"
			    "set-alias fresh@new.org n@new.org\n"
			    "del-domain gone.org\n");
	free(text);
	/* the views again (the old arrays freed): the changes still hold */
	dir_view(&old, &vo);
	dir_view(&now, &vn);
	text = render(&c);
	assert_non_null(strstr(text, "set-alias al@a.org x@a.org,y@a.org\n"));
	assert_non_null(strstr(text, "set-hash y@a.org {X}9\n"));
	free(text);
	dir_changes_free(&c);
	dir_diff(&vn, &vn, &c);	/* nothing changed */
	assert_int_equal(c.n, 0);
	dir_changes_free(&c);
	dir_free(&old);
	dir_free(&now);
}

static void test_from_and_to_empty(void **state)
{
	static const char *const domains[] = {"a.org", NULL};
	static const char *const accounts[][2] = {{"x@a.org", "{X}1"}, {NULL, NULL}};
	static const char *const aliases[][3] = {{"al@a.org", "x@a.org", NULL},
						 {NULL, NULL, NULL}};
	static const char *const none[] = {NULL};
	static const char *const no_accounts[][2] = {{NULL, NULL}};
	static const char *const no_aliases[][3] = {{NULL, NULL, NULL}};
	struct directory empty = {0}, full = {0};
	struct webstack_directory ve, vf;
	struct dir_changes c = {0};
	char *text;

	(void)state;
	fill(&empty, none, no_accounts, no_aliases);
	fill(&full, domains, accounts, aliases);
	dir_view(&empty, &ve);
	dir_view(&full, &vf);
	dir_diff(&ve, &vf, &c);
	text = render(&c);
	assert_string_equal(text, "add-domain a.org\nadd-account x@a.org {X}1\n"
				  "set-alias al@a.org x@a.org\n");
	free(text);
	dir_changes_free(&c);
	dir_diff(&vf, &ve, &c);
	text = render(&c);
	assert_string_equal(text, "del-alias al@a.org\ndel-account x@a.org\n"
				  "del-domain a.org\n");
	free(text);
	dir_changes_free(&c);
	dir_free(&empty);
	dir_free(&full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_in_order),
		cmocka_unit_test(test_from_and_to_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
