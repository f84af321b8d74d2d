/* test_validate_corpus.c - validate.c against tests/data/hostile-names.txt
 * (all must be rejected) and tests/data/valid-names.txt (all must give the
 * expected normalised form).
 *
 * Lines are KIND<TAB>INPUT[<TAB>EXPECTED] with the escapes \n \r \t \0 \xNN
 * and \\; '#' starts a comment line. The directory is $WS_TEST_DATA, else
 * "tests/data". The C API takes NUL-terminated names, so an input with \0
 * is seen up to its first NUL: the hostile file only has NULs after bytes
 * that are already invalid. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* Decodes the escapes of s in place. Returns 0, or -1 on a bad escape. */
static int decode(char *s)
{
	char *o = s;

	while (*s) {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		switch (s[1]) {
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case '0': *o++ = '\0'; break;
		case '\\': *o++ = '\\'; break;
		case 'x':
			if (!isxdigit((unsigned char)s[2]) ||
			    !isxdigit((unsigned char)s[3]))
				return -1;
			*o++ = (char)strtol((char[]){ s[2], s[3], '\0' }, NULL,
					    16);
			s += 2;
			break;
		default:
			return -1;
		}
		s += 2;
	}
	*o = '\0';
	return 0;
}

static int is_printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

static int run(int address, const char *in, char *out, size_t *local_len,
	       struct err *e)
{
	return address ?
		validate_address(in, out, VALIDATE_ADDRESS_MAX + 1, local_len, e) :
		validate_domain(in, out, VALIDATE_DOMAIN_MAX + 1, e);
}

/* Checks one line; prints what is wrong and returns -1, else 0. */
static int check_line(const char *where, char *line, int valid)
{
	char out[VALIDATE_ADDRESS_MAX + 1], again[VALIDATE_ADDRESS_MAX + 1];
	char *in, *expected = NULL;
	struct err e = { 0 };
	size_t local_len = 0;
	int address, rc;

	in = strchr(line, '\t');
	if (!in)
		goto malformed;
	*in++ = '\0';
	if (strcmp(line, "domain") != 0 && strcmp(line, "address") != 0)
		goto malformed;
	address = line[0] == 'a';
	expected = strchr(in, '\t');
	if (!expected != !valid)
		goto malformed;
	if (expected) {
		*expected++ = '\0';
		if (strchr(expected, '\t') || decode(expected) < 0)
			goto malformed;
	}
	if (decode(in) < 0)
		goto malformed;

	rc = run(address, in, out, &local_len, &e);
	if (!valid) {
		if (rc == 0) {
			print_error("%s: %s accepted as '%s'\n", where, line, out);
			return -1;
		}
		if (e.code != EX_DATAERR || !is_printable(e.msg)) {
			print_error("%s: code %d, message '%s'\n", where, e.code,
				    e.msg);
			return -1;
		}
		return 0;
	}
	if (rc != 0) {
		print_error("%s: rejected: %s\n", where, e.msg);
		return -1;
	}
	if (strcmp(out, expected) != 0) {
		print_error("%s: gave '%s', expected '%s'\n", where, out,
			    expected);
		return -1;
	}
	if (address && local_len != (size_t)(strchr(out, '@') - out)) {
		print_error("%s: local part length %zu\n", where, local_len);
		return -1;
	}
	/* Normalising twice changes nothing. */
	if (run(address, out, again, NULL, &e) != 0 || strcmp(out, again)) {
		print_error("%s: '%s' is not stable\n", where, out);
		return -1;
	}
	return 0;

malformed:
	print_error("%s: malformed line\n", where);
	return -1;
}

static void check_file(const char *name, int valid)
{
	const char *dir = getenv("WS_TEST_DATA");
	char path[4096], where[4200];
	unsigned int lineno = 0, cases = 0, failed = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (set WS_TEST_DATA)", path);
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		cases++;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (check_line(where, line, valid) < 0)
			failed++;
	}
	free(line);
	fclose(f);
	print_message("%s: %u %s cases checked, %u failed\n", name, cases,
		      valid ? "valid" : "hostile", failed);
	assert_true(cases > 0);
	assert_int_equal(failed, 0);
}

static void test_hostile(void **state)
{
	(void)state;
	check_file("hostile-names.txt", 0);
}

static void test_valid(void **state)
{
	(void)state;
	check_file("valid-names.txt", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_valid),
	};

	return cmocka_run_group_tests_name("validate_corpus", tests, NULL,
					   NULL);
}
