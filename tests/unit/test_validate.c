/* test_validate.c - each rule of validate.c, its normalisation and limits.
 *
 * The bulk corpus (tests/data/hostile-names.txt and valid-names.txt) is
 * test_validate_corpus.c; here every case also pins the words of the
 * message, so a rule cannot silently start rejecting for another reason. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "validate.h"

struct name_case {
	const char *in;
	const char *out;	/* normalised form, or NULL: must be rejected */
	const char *msg;	/* when rejected: part of the message */
};

static void check_msg_printable(const struct err *e)
{
	for (const char *p = e->msg; *p; p++)
		assert_true(*p >= 0x20 && *p <= 0x7e);
}

static void check_domain(const struct name_case *c)
{
	char out[VALIDATE_DOMAIN_MAX + 1];
	struct err e = { 0 };
	int rc = validate_domain(c->in, out, sizeof(out), &e);

	if (c->out) {
		if (rc != 0)
			fail_msg("domain '%s' rejected: %s", c->in, e.msg);
		assert_string_equal(out, c->out);
		return;
	}
	if (rc == 0)
		fail_msg("domain '%s' accepted as '%s'", c->in, out);
	assert_int_equal(e.code, EX_DATAERR);
	if (!strstr(e.msg, c->msg))
		fail_msg("domain '%s': message '%s' lacks '%s'", c->in, e.msg,
			 c->msg);
	check_msg_printable(&e);
}

static void check_address(const struct name_case *c)
{
	char out[VALIDATE_ADDRESS_MAX + 1];
	struct err e = { 0 };
	size_t local_len = 0;
	int rc = validate_address(c->in, out, sizeof(out), &local_len, &e);

	if (c->out) {
		if (rc != 0)
			fail_msg("address '%s' rejected: %s", c->in, e.msg);
		assert_string_equal(out, c->out);
		assert_int_equal(local_len, strchr(c->out, '@') - c->out);
		return;
	}
	if (rc == 0)
		fail_msg("address '%s' accepted as '%s'", c->in, out);
	assert_int_equal(e.code, EX_DATAERR);
	if (!strstr(e.msg, c->msg))
		fail_msg("address '%s': message '%s' lacks '%s'", c->in, e.msg,
			 c->msg);
	check_msg_printable(&e);
}

#define CHECK_ALL(fn, table)                                                   \
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)          \
		fn(&table[i])

static void test_domain_normalise(void **state)
{
	static const struct name_case cases[] = {
		{ "example.com", "example.com", NULL },
		{ "EXAMPLE.COM", "example.com", NULL },
		{ "Mail.Example.Co.UK", "mail.example.co.uk", NULL },
		{ "XN--BCHER-KVA.example", "xn--bcher-kva.example", NULL },
		{ "bücher.example", "xn--bcher-kva.example", NULL },
		{ "Bücher.Example", "xn--bcher-kva.example", NULL },
		{ "ÉXAMPLE.de", "xn--xample-9ua.de", NULL },
		{ "MÜNCHEN.DE", "xn--mnchen-3ya.de", NULL },
		/* NFC: u + COMBINING DIAERESIS is ü */
		{ "mu\xcc\x88nchen.de", "xn--mnchen-3ya.de", NULL },
		/* non-transitional: ß stays ß, not "ss" */
		{ "faß.de", "xn--fa-hia.de", NULL },
		{ "пример.рф", "xn--e1afmkfd.xn--p1ai", NULL },
		{ "例え.テスト", "xn--r8jz45g.xn--zckzah", NULL },
		{ "mail.bücher.example", "mail.xn--bcher-kva.example", NULL },
		/* UTS 46 maps full-width forms and drops U+00AD (SOFT HYPHEN);
		 * pinned so a change of mind is a visible one. */
		{ "ｅｘａｍｐｌｅ．ｃｏｍ", "example.com", NULL },
		{ "exa\xc2\xadmple.com", "example.com", NULL },
		/* allowed on purpose */
		{ "3com.com", "3com.com", NULL },
		{ "123.example", "123.example", NULL },
		{ "a--b.example", "a--b.example", NULL },
		{ "localhost.example", "localhost.example", NULL },
		{ "x.y", "x.y", NULL },
	};

	(void)state;
	CHECK_ALL(check_domain, cases);
}

static void test_domain_rules(void **state)
{
	static const struct name_case cases[] = {
		{ "", NULL, "domain '': is empty" },
		{ ".", NULL, "is a directory name" },
		{ "..", NULL, "is a directory name" },
		{ "[192.0.2.1]", NULL, "address literals are not accepted" },
		{ "[IPv6:::1]", NULL, "address literals are not accepted" },
		{ "exa mple.com", NULL, "domain 'exa mple.com': a label may "
		  "hold only a-z, 0-9 and '-', not ' '" },
		{ "exa_mple.com", NULL, "not '_'" },
		{ "example.com:", NULL, "not ':'" },
		{ "ex/ample.com", NULL, "not '/'" },
		{ "a@example.com", NULL, "not '@'" },
		{ "example.com\n", NULL, "not '\\x0a'" },
		{ "\texample.com", NULL, "not '\\x09'" },
		/* FULLWIDTH SOLIDUS maps to '/' */
		{ "ex\xef\xbc\x8f" "ample.com", NULL, "not '/'" },
		{ "example.com.", NULL, "ends with a dot" },
		{ "bücher.example.", NULL, "ends with a dot" },
		{ "example.com\xe3\x80\x82", NULL, "ends with a dot" },
		{ "a..b.com", NULL, "has an empty label" },
		{ ".example.com", NULL, "has an empty label" },
		{ "\xc2\xad", NULL, "has an empty label" },
		{ "-a.com", NULL, "may not start or end with '-'" },
		{ "a-.com", NULL, "may not start or end with '-'" },
		{ "example.com-", NULL, "may not start or end with '-'" },
		{ "ab--cd.com", NULL, "label 'ab--cd': '--' in positions 3-4 "
		  "is reserved" },
		{ "xn--zz.com", NULL, "label 'xn--zz' is not a valid IDNA "
		  "A-label" },
		/* decodes to U+2488, which IDNA2008 disallows */
		{ "xn--a-ecp.ru", NULL, "label 'xn--a-ecp' is not a valid" },
		/* decodes to an uppercase U-label */
		{ "xn--tca.de", NULL, "label 'xn--tca' is not a valid" },
		/* decodes to U+0080, a control character */
		{ "xn--a.com", NULL, "label 'xn--a' is not a valid" },
		{ "com", NULL, "needs at least two labels" },
		{ "localhost", NULL, "needs at least two labels" },
		{ "bücher", NULL, "needs at least two labels" },
		{ "example.123", NULL, "the last label may not be all digits" },
		{ "192.0.2.1", NULL, "the last label may not be all digits" },
		{ "a.localhost", NULL, "localhost is this host" },
		{ "MAIL.LOCALHOST", NULL, "localhost is this host" },
		{ "\xff.com", NULL, "is not a valid internationalised name" },
		{ "\xe2\x99\xa5.example", NULL,
		  "is not a valid internationalised name" },
		/* Latin and Arabic in one label break the bidi rule */
		{ "a\xd8\xa7.com", NULL, "is not a valid internationalised name" },
	};

	(void)state;
	CHECK_ALL(check_domain, cases);
}

/* A domain of exactly len bytes: labels of 63 letters, a shorter last one. */
static char *make_domain(char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = i % 64 == 63 ? '.' : 'a' + i / 64;
	buf[len] = '\0';
	return buf;
}

static void test_domain_lengths(void **state)
{
	char in[1100], out[VALIDATE_DOMAIN_MAX + 1];
	struct err e = { 0 };

	(void)state;
	memset(in, 'a', 63);
	strcpy(in + 63, ".com");
	assert_int_equal(validate_domain(in, out, sizeof(out), &e), 0);
	assert_string_equal(out, in);
	memset(in, 'a', 64);
	strcpy(in + 64, ".com");
	assert_int_equal(validate_domain(in, out, sizeof(out), &e), -1);
	assert_non_null(strstr(e.msg, "a label is 64 bytes long, the limit "
			       "is 63"));
	memset(in, 'a', 65);
	strcpy(in + 65, ".com");
	assert_int_equal(validate_domain(in, out, sizeof(out), &e), -1);
	assert_non_null(strstr(e.msg, "a label is 65 bytes long"));

	assert_int_equal(validate_domain(make_domain(in, 253), out,
					 sizeof(out), &e), 0);
	assert_string_equal(out, in);
	assert_int_equal(validate_domain(make_domain(in, 254), out,
					 sizeof(out), &e), -1);
	assert_non_null(strstr(e.msg, "is 254 bytes long, the limit is 253"));

	/* The A-label form counts: 191 + ".xn--" + 53 + "-lqf" = 253. */
	make_domain(in, 191);
	strcpy(in + 191, ".\xc3\xbc");
	memset(in + 194, 'd', 53);
	in[247] = '\0';
	assert_int_equal(validate_domain(in, out, sizeof(out), &e), 0);
	assert_int_equal(strlen(out), 253);
	strcpy(in + 247, "d");
	assert_int_equal(validate_domain(in, out, sizeof(out), &e), -1);
	assert_non_null(strstr(e.msg, "longer than 253 bytes as A-labels"));

	/* 58 x ü is a 64-byte A-label. */
	in[0] = '\0';
	for (int i = 0; i < 58; i++)
		strcat(in, "\xc3\xbc");
	strcat(in, ".com");
	assert_int_equal(validate_domain(in, out, sizeof(out), &e), -1);
	assert_non_null(strstr(e.msg, "a label is longer than 63 bytes as an "
			       "A-label"));

	/* Non-ASCII input too long to be worth converting. */
	in[0] = '\0';
	for (int i = 0; i < 340; i++)
		strcat(in, "\xc3\xbc.");
	strcat(in, "com");
	assert_int_equal(validate_domain(in, out, sizeof(out), &e), -1);
	assert_non_null(strstr(e.msg, "is 1023 bytes long, the limit is 253"));
}

static void test_address_normalise(void **state)
{
	static const struct name_case cases[] = {
		{ "user@example.com", "user@example.com", NULL },
		{ "User@Example.COM", "user@example.com", NULL },
		{ "JOHN.DOE@EXAMPLE.ORG", "john.doe@example.org", NULL },
		{ "a@example.com", "a@example.com", NULL },
		{ "0@example.com", "0@example.com", NULL },
		{ "first_last@example.com", "first_last@example.com", NULL },
		{ "first-last@example.com", "first-last@example.com", NULL },
		/* the pattern forbids only "..", not other runs */
		{ "a._-b@example.com", "a._-b@example.com", NULL },
		{ "info@bücher.example", "info@xn--bcher-kva.example", NULL },
		{ "Info@ÉXAMPLE.de", "info@xn--xample-9ua.de", NULL },
	};

	(void)state;
	CHECK_ALL(check_address, cases);
}

/* Alias targets may carry an extension or VERP ('+', '='), nothing else
 * more than account addresses. */
static void test_targets(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"Bob+Lists@Example.COM", "bob+lists@example.com"},
		{"a=b@example.org", "a=b@example.org"},
		{"+a@example.org", NULL},
		{"a+@example.org", NULL},
		{"a,b@example.org", NULL},
		{"a b@example.org", NULL},
		{"a:b@example.org", NULL},
		{"a\n@example.org", NULL},
		{"a+b@exa mple.org", NULL},
	};
	char out[VALIDATE_ADDRESS_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = {0};
		int r = validate_target(cases[i].in, out, sizeof(out), &e);

		if (cases[i].want) {
			assert_int_equal(r, 0);
			assert_string_equal(out, cases[i].want);
		} else {
			assert_int_equal(r, -1);
			assert_int_equal(e.code, EX_DATAERR);
		}
	}
}

static void test_address_rules(void **state)
{
	static const struct name_case cases[] = {
		{ "", NULL, "address '': is empty" },
		{ "a+b@example.com", NULL, "address 'a+b@example.com': the "
		  "local part may hold only a-z, 0-9, '.', '_' and '-', "
		  "not '+'" },
		{ "a%b@example.com", NULL, "not '%'" },
		{ "a/b@example.com", NULL, "not '/'" },
		{ "a:b@example.com", NULL, "not ':'" },
		{ "a!b@example.com", NULL, "not '!'" },
		{ "a b@example.com", NULL, "not ' '" },
		{ " a@example.com", NULL, "not ' '" },
		{ "\"a\"@example.com", NULL, "not '\"'" },
		{ "a'b@example.com", NULL, "not '\\x27'" },
		{ "a\\b@example.com", NULL, "not '\\x5c'" },
		{ "a\r@example.com", NULL, "not '\\x0d'" },
		{ "a\n@example.com", NULL, "not '\\x0a'" },
		{ "a\t@example.com", NULL, "not '\\x09'" },
		{ "j\xc3\xb6hn@example.com", NULL, "not '\\xc3'" },
		{ "%{home}@example.com", NULL, "not '%'" },
		{ "example.com", NULL, "has no '@'" },
		{ "a@b@example.com", NULL, "has more than one '@'" },
		{ "a@example.com@", NULL, "has more than one '@'" },
		{ "@example.com", NULL, "the local part before '@' is empty" },
		{ "@", NULL, "the local part before '@' is empty" },
		{ ".a@example.com", NULL, "must start and end with a letter or "
		  "digit" },
		{ "a.@example.com", NULL, "must start and end" },
		{ "-a@example.com", NULL, "must start and end" },
		{ "_a@example.com", NULL, "must start and end" },
		{ "..@example.com", NULL, "must start and end" },
		{ "a..b@example.com", NULL, "the local part may not contain "
		  "'..'" },
		{ "a@", NULL, "address 'a@': domain '': is empty" },
		{ "a@example", NULL, "domain 'example': needs at least two "
		  "labels" },
		{ "a@example.com:{PLAIN}pw:5000:5000::/var/mail/vhosts/x/y::",
		  NULL, "not ':'" },
		{ "a@example.com\n", NULL, "not '\\x0a'" },
		{ "a@example.com.", NULL, "ends with a dot" },
		{ "a@[192.0.2.1]", NULL, "address literals" },
		{ "root@localhost", NULL, "needs at least two labels" },
	};

	(void)state;
	CHECK_ALL(check_address, cases);
}

static void test_address_lengths(void **state)
{
	char in[600], out[VALIDATE_ADDRESS_MAX + 1];
	struct err e = { 0 };
	size_t local_len = 0;

	(void)state;
	memset(in, 'a', 64);
	strcpy(in + 64, "@example.com");
	assert_int_equal(validate_address(in, out, sizeof(out), &local_len,
					  &e), 0);
	assert_string_equal(out, in);
	assert_int_equal(local_len, 64);
	memset(in, 'a', 65);
	strcpy(in + 65, "@example.com");
	assert_int_equal(validate_address(in, out, sizeof(out), &local_len,
					  &e), -1);
	assert_non_null(strstr(e.msg, "the local part is 65 bytes long, the "
			       "limit is 64"));

	/* 64 + '@' + 189 = 254 */
	memset(in, 'x', 64);
	in[64] = '@';
	make_domain(in + 65, 189);
	assert_int_equal(validate_address(in, out, sizeof(out), NULL, &e), 0);
	assert_string_equal(out, in);
	make_domain(in + 65, 190);
	assert_int_equal(validate_address(in, out, sizeof(out), NULL, &e), -1);
	assert_non_null(strstr(e.msg, "is 255 bytes long, the limit is 254"));
}

static void test_messages(void **state)
{
	char in[400], out[VALIDATE_ADDRESS_MAX + 1];
	struct err e = { 0 };

	(void)state;
	/* terminal escapes and line breaks are shown, not sent */
	assert_int_equal(validate_domain("a\x1b[2Jb\r\n.com", out, sizeof(out),
					 &e), -1);
	assert_non_null(strstr(e.msg, "'a\\x1b[2Jb\\x0d\\x0a.com'"));
	check_msg_printable(&e);
	/* the quote cannot end the quoting early */
	assert_int_equal(validate_domain("a'b", out, sizeof(out), &e), -1);
	assert_non_null(strstr(e.msg, "'a\\x27b'"));
	/* long input is cut */
	memset(in, 'a', 300);
	strcpy(in + 300, ".com");
	assert_int_equal(validate_domain(in, out, sizeof(out), &e), -1);
	assert_non_null(strstr(e.msg, "aaa...': is 304 bytes long"));
	assert_true(strlen(e.msg) < 160);
	/* a domain error inside an address names both */
	assert_int_equal(validate_address("a@b c.com", out, sizeof(out), NULL,
					  &e), -1);
	assert_string_equal(e.msg, "address 'a@b c.com': domain 'b c.com': a "
			    "label may hold only a-z, 0-9 and '-', not ' '");
	assert_int_equal(e.code, EX_DATAERR);
}

static void test_buffer_size(void **state)
{
	char out[VALIDATE_ADDRESS_MAX];
	struct err e = { 0 };

	(void)state;
	assert_int_equal(validate_domain("example.com", out,
					 VALIDATE_DOMAIN_MAX, &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
	assert_int_equal(validate_address("a@example.com", out, sizeof(out),
					  NULL, &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
}

struct pw_case {
	const char *pw;
	size_t len, min_len, max_len;
	const char *msg;	/* NULL: accepted */
};

static void test_password(void **state)
{
	static char p1024[1025], p1025[1026], p72[73], p73[74];
	static const char secret[] = "Tr0ub4dor&3";
	const struct pw_case cases[] = {
		{ "correct horse battery", 21, 8, 1024, NULL },
		{ "any bytes: \t\"'\\:%{}[13]", 23, 8, 1024, NULL },
		{ p72, 72, 8, 72, NULL },
		{ p1024, 1024, 8, 1024, NULL },
		{ p1024, 1024, 8, 4096, NULL },
		{ "12345678", 8, 8, 72, NULL },
		{ "", 0, 0, 1024, "the password is empty" },
		{ "1234567", 7, 8, 72, "shorter than 8 bytes" },
		{ p73, 73, 8, 72, "longer than 72 bytes" },
		{ p1025, 1025, 8, 1024, "longer than 1024 bytes" },
		{ p1025, 1025, 8, 4096, "longer than 1024 bytes" },
		{ "Tr0ub4dor&3\0", 12, 8, 72, "NUL, CR or LF" },
		{ "Tr0ub4dor&3\n", 12, 8, 72, "NUL, CR or LF" },
		{ "Tr0ub4dor&3\r", 12, 8, 72, "NUL, CR or LF" },
		{ "\0Tr0ub4dor&3", 12, 8, 72, "NUL, CR or LF" },
		{ "Tr0ub4dor&3", 11, 12, 72, "shorter than 12 bytes" },
	};

	(void)state;
	memset(p1024, 'x', 1024);
	memset(p1025, 'x', 1025);
	memset(p72, 'x', 72);
	memset(p73, 'x', 73);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pw_case *c = &cases[i];
		struct err e = { 0 };
		int rc = validate_password(c->pw, c->len, c->min_len,
					   c->max_len, &e);

		if (!c->msg) {
			if (rc != 0)
				fail_msg("case %zu rejected: %s", i, e.msg);
			continue;
		}
		assert_int_equal(rc, -1);
		assert_int_equal(e.code, EX_DATAERR);
		if (!strstr(e.msg, c->msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, c->msg);
		assert_null(strstr(e.msg, secret));
		assert_null(strstr(e.msg, "xxxxxxxx"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_normalise),
		cmocka_unit_test(test_domain_rules),
		cmocka_unit_test(test_domain_lengths),
		cmocka_unit_test(test_address_normalise),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_address_rules),
		cmocka_unit_test(test_address_lengths),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_buffer_size),
		cmocka_unit_test(test_password),
	};

	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
