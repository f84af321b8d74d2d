/* The nftables module: parsing `nft -a list ruleset` (wrapped set
 * elements, webstack's rules by handle, iptables-nft's chains, a drop
 * before ours), the batches for open and close (add, keep, replace,
 * delete), the boot file and the include line, and the ops against the
 * host mock (checked before staging; a missing nft stages nothing). */
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
#include "../../modules/firewall/nftables.c"
#include "../../modules/firewall/nft_rules.c"

static const char listing[] =
	"table inet filter { # handle 1\n"
	"\tchain input { # handle 1\n"
	"\t\ttype filter hook input priority filter; policy drop;\n"
	"\t\tct state established,related accept # handle 2\n"
	"\t\ttcp dport { 25, 465 } accept comment \"webstack\" # handle 7\n"
	"\t}\n"
	"\tchain output { # handle 3\n"
	"\t\ttype filter hook output priority filter; policy accept;\n"
	"\t}\n"
	"}\n"
	"table ip filter { # handle 2\n"
	"\tchain INPUT { # handle 1\n"
	"\t\ttype filter hook input priority filter; policy drop;\n"
	"\t}\n"
	"}\n"
	"table ip6 other { # handle 5\n"
	"\tchain in { # handle 1\n"
	"\t\ttype filter hook input priority 10; policy drop;\n"
	"\t\tdrop # handle 2\n"
	"\t}\n"
	"\tchain plain { # handle 3\n"
	"\t\tcomment \"not a base chain\" accept # handle 4\n"
	"\t}\n"
	"}\n"
	"table inet webstack { # handle 3\n"
	"\tset mail_tcp { # handle 2\n"
	"\t\ttype inet_service\n"
	"\t\telements = { 25, 110, 143, 465, 587,\n"
	"\t\t\t     993, 995, 4190 }\n"
	"\t}\n"
	"\n"
	"\tchain input { # handle 1\n"
	"\t\ttype filter hook input priority filter - 1; policy accept;\n"
	"\t\ttcp dport @mail_tcp counter packets 3 bytes 180 accept # handle 3\n"
	"\t}\n"
	"}\n";

static const uint16_t two[] = {465, 25};
static const uint16_t three[] = {25, 465, 587};

static void test_parse(void **state)
{
	struct nft_ruleset rs;

	(void)state;
	assert_int_equal(nft_parse(listing, &rs), 0);
	assert_true(rs.have_table);
	assert_int_equal(rs.n_ports, 8);
	assert_int_equal(rs.ports[7], 4190);
	/* base input chains only: inet filter input, ip filter INPUT, ip6 other in */
	assert_int_equal(rs.n_chains, 3);
	assert_string_equal(rs.chains[0].table, "filter");
	assert_true(rs.chains[0].policy_drop);
	assert_int_equal(rs.chains[0].n_ours, 1);
	assert_int_equal(rs.chains[0].ours[0], 7);
	assert_true(nft_same_ports(rs.chains[0].ports, rs.chains[0].n_ports, two, 2));
	assert_false(rs.chains[0].blocks);
	assert_true(rs.chains[1].iptables);
	assert_true(rs.chains[2].blocks);
	assert_false(rs.chains[2].iptables);
	nft_ruleset_free(&rs);
	assert_int_equal(nft_parse("table inet x {\n", &rs), -1);
	assert_int_equal(nft_parse("", &rs), 0);
	assert_false(rs.have_table);
	nft_ruleset_free(&rs);
}

static char *script(const char *text, const uint16_t *ports, size_t n, int open)
{
	struct nft_ruleset rs;
	struct mbuf b = {0};

	assert_int_equal(nft_parse(text, &rs), 0);
	if (open)
		nft_open_script(&b, &rs, ports, n);
	else
		nft_close_script(&b, &rs);
	nft_ruleset_free(&rs);
	return b.s ? b.s : strdup("");
}

static void test_open_script(void **state)
{
	char *s;

	(void)state;
	/* same ports: the rule stays; iptables' INPUT gets nothing; the
	 * blocked ip6 chain gets its rule (the drop before it is reported) */
	s = script(listing, two, 2, 1);
	assert_int_equal(strncmp(s, "add table inet webstack\ndelete table inet webstack\n"
				 "table inet webstack {\n\tset mail_tcp {\n\t\ttype "
				 "inet_service\n\t\telements = { 465, 25 }\n", 99), 0);
	assert_null(strstr(s, "inet filter input"));
	assert_null(strstr(s, "ip filter INPUT"));
	assert_non_null(strstr(s, "\nadd rule ip6 other in tcp dport { 465, 25 } accept "
			       "comment \"webstack\"\n"));
	free(s);
	/* other ports: delete by handle, add the new rule */
	s = script(listing, three, 3, 1);
	assert_non_null(strstr(s, "\ndelete rule inet filter input handle 7\nadd rule inet "
			       "filter input tcp dport { 25, 465, 587 } accept comment "
			       "\"webstack\"\n"));
	free(s);
	/* no ports: our rules go, the table stays with an empty set */
	s = script(listing, NULL, 0, 1);
	assert_non_null(strstr(s, "\t\ttype inet_service\n\t}\n"));
	assert_null(strstr(s, "elements"));
	assert_non_null(strstr(s, "delete rule inet filter input handle 7"));
	assert_null(strstr(s, "add rule"));
	free(s);
}

static void test_close_script(void **state)
{
	char *s;

	(void)state;
	s = script(listing, NULL, 0, 0);
	assert_string_equal(s, "delete rule inet filter input handle 7\n"
			    "delete table inet webstack\n");
	free(s);
	s = script("table inet filter { # handle 1\n}\n", NULL, 0, 0);
	assert_string_equal(s, "");
	free(s);
}

static void test_boot_file(void **state)
{
	struct nft_ruleset rs;
	struct mbuf b = {0};

	(void)state;
	assert_int_equal(nft_parse(listing, &rs), 0);
	nft_boot_file(&b, &rs, three, 3);
	assert_non_null(strstr(b.s, "\t\telements = { 25, 465, 587 }\n"));
	assert_non_null(strstr(b.s, "add table inet filter\nadd chain inet filter input\n"
			       "add rule inet filter input tcp dport { 25, 465, 587 } "
			       "accept comment \"webstack\"\n"));
	assert_null(strstr(b.s, "ip filter INPUT"));
	nft_ruleset_free(&rs);
	mbuf_free(&b);
}

static char *edit(const char *text, int add)
{
	struct mbuf b = {0};

	nft_edit_conf(&b, text, strlen(text), "/etc/webstack/firewall.nft", add);
	return b.s ? b.s : strdup("");
}

static void test_edit_conf(void **state)
{
	static const char debian[] = "#!/usr/sbin/nft -f\n\nflush ruleset\n\n"
				     "table inet filter {\n}\n";
	char *added, *again, *removed, *unterminated;

	(void)state;
	added = edit(debian, 1);
	assert_int_equal(strncmp(added, debian, strlen(debian)), 0);
	assert_string_equal(added + strlen(debian),
			    "# webstack: the mail ports (webstack mail firewall open)\n"
			    "include \"/etc/webstack/firewall.nft\"\n");
	again = edit(added, 1);
	assert_string_equal(again, added);
	removed = edit(added, 0);
	assert_string_equal(removed, debian);
	unterminated = edit("flush ruleset", 1);
	assert_int_equal(strncmp(unterminated, "flush ruleset\n# webstack", 24), 0);
	free(added);
	free(again);
	free(removed);
	free(unterminated);
}

/* ---- the ops against the host mock ------------------------------------------ */

struct fx {
	struct host_mock m;
	struct nftm *n;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *msg = NULL;

	host_mock_init(&f->m);
	assert_int_equal(nftables_init(&f->m.host, NULL, (void **)&f->n, &msg), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	nftables_fini(f->n);
	host_mock_free(&f->m);
	free(f);
	return 0;
}

static const struct mock_reply listing_reply[] = {
	{NFT, "-a", listing, 0},
	{NULL, NULL, NULL, 0},
};

static void test_open_op(void **state)
{
	struct fx *f = *state;
	const char *msg = NULL;

	f->m.replies = listing_reply;
	host_mock_put(&f->m, NFT_CONF, "flush ruleset\n");
	assert_int_equal(nftables_open(f->n, three, 3, &msg), 0);
	/* nft -c first, then the files, then the deferred batch */
	assert_int_equal(f->m.n_runs, 2);
	assert_int_equal(strncmp(f->m.runs[1], NFT " -c add table inet webstack\n", 36), 0);
	assert_non_null(host_mock_staged(&f->m, BOOT_FILE));
	assert_non_null(strstr(host_mock_staged(&f->m, NFT_CONF)->data,
			       "include \"" BOOT_FILE "\""));
	assert_int_equal(f->m.n_deferred, 1);
	assert_int_equal(strncmp(f->m.deferred[0], NFT " add table inet webstack\n", 33), 0);
}

static void test_no_nft(void **state)
{
	static const struct mock_reply missing[] = {{NFT, NULL, "", 127}, {NULL, NULL, NULL, 0}};
	struct fx *f = *state;
	const char *msg = NULL;

	f->m.replies = missing;
	host_mock_put(&f->m, NFT_CONF, "flush ruleset\n");
	assert_int_equal(nftables_open(f->n, three, 3, &msg), -EOPNOTSUPP);
	assert_non_null(strstr(msg, "apt-get install nftables"));
	assert_int_equal(host_mock_n_staged(&f->m), 0);
	assert_int_equal(f->m.n_deferred, 0);
	assert_int_equal(nftables_close(f->n, &msg), -EOPNOTSUPP);
}

static void test_close_op_nothing(void **state)
{
	static const struct mock_reply empty[] = {{NFT, "-a", "", 0}, {NULL, NULL, NULL, 0}};
	struct fx *f = *state;
	const char *msg = NULL;

	f->m.replies = empty;
	assert_int_equal(nftables_close(f->n, &msg), 0);
	assert_int_equal(f->m.n_deferred, 0);
	assert_int_equal(host_mock_n_staged(&f->m), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_open_script),
		cmocka_unit_test(test_close_script),
		cmocka_unit_test(test_boot_file),
		cmocka_unit_test(test_edit_conf),
		T(test_open_op),
		T(test_no_nft),
		T(test_close_op_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
