/* DKIM keys: selector names, generations, and public keys checked against
 * the openssl command (an independent encoder) for both algorithms. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dkimkey.h"

#define DAY_20261126 1795651200L	/* 2026-11-26 00:00:00 UTC */

static void test_selectors(void **state)
{
	char gen[DKIM_GEN_MAX];
	enum dkim_alg alg;

	(void)state;
	assert_int_equal(dkimkey_parse_selector("ws20261126-rsa", gen, &alg), 0);
	assert_string_equal(gen, "ws20261126");
	assert_int_equal(alg, DKIM_RSA);
	assert_int_equal(dkimkey_parse_selector("ws20261126c-ed25519", gen, &alg), 0);
	assert_string_equal(gen, "ws20261126c");
	assert_int_equal(alg, DKIM_ED25519);
	assert_int_equal(dkimkey_parse_selector("ws20261126a-rsa", gen, &alg), -1);
	assert_int_equal(dkimkey_parse_selector("ws2026112-rsa", gen, &alg), -1);
	assert_int_equal(dkimkey_parse_selector("xx20261126-rsa", gen, &alg), -1);
	assert_int_equal(dkimkey_parse_selector("ws20261126-dsa", gen, &alg), -1);
	assert_int_equal(dkimkey_parse_selector("ws20261126", gen, &alg), -1);
	assert_int_equal(dkimkey_parse_selector("../x-rsa", gen, &alg), -1);
}

static void test_generations(void **state)
{
	const char *one[] = {"ws20261126"}, *two[] = {"ws20261126b", "ws20261126"};
	const char *later[] = {"ws20261127"}, *older[] = {"ws20251231"};
	char gen[DKIM_GEN_MAX];
	struct err e = {0};

	(void)state;
	assert_int_equal(dkimkey_next_generation(NULL, 0, DAY_20261126 + 5, gen, &e), 0);
	assert_string_equal(gen, "ws20261126");
	assert_int_equal(dkimkey_next_generation(one, 1, DAY_20261126, gen, &e), 0);
	assert_string_equal(gen, "ws20261126b");
	assert_int_equal(dkimkey_next_generation(two, 2, DAY_20261126, gen, &e), 0);
	assert_string_equal(gen, "ws20261126c");
	assert_int_equal(dkimkey_next_generation(older, 1, DAY_20261126, gen, &e), 0);
	assert_string_equal(gen, "ws20261126");
	/* never behind an existing generation, even with the clock set back */
	assert_int_equal(dkimkey_next_generation(later, 1, DAY_20261126, gen, &e), -1);
	assert_int_equal(e.code, EX_TEMPFAIL);
}

/* The p= value openssl's own encoder gives for the key in pem. */
static char *openssl_public(const char *pem, int raw_ed25519)
{
	char path[] = "/tmp/ws-dkim-XXXXXX", cmd[256], out[1024] = "";
	int fd = mkstemp(path);
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, pem, strlen(pem)), (ssize_t)strlen(pem));
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "openssl pkey -in %s -pubout -outform DER | %s | base64 -w0", path,
		 raw_ed25519 ? "tail -c 32" : "cat");
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof(out), p));
	pclose(p);
	unlink(path);
	return strdup(out);
}

static void check_key(enum dkim_alg alg)
{
	struct buf pem = {0};
	struct err e = {0};
	char *mine = NULL, *theirs, *wrong = NULL;

	assert_int_equal(dkimkey_generate(alg, 2048, &pem, &e), 0);
	assert_non_null(strstr(pem.data, "-----BEGIN PRIVATE KEY-----"));
	assert_int_equal(dkimkey_public(pem.data, pem.len, alg, &mine, &e), 0);
	theirs = openssl_public(pem.data, alg == DKIM_ED25519);
	assert_string_equal(mine, theirs);
	if (alg == DKIM_ED25519)
		assert_int_equal(strlen(mine), 44);	/* 32 bytes */
	else
		assert_int_equal(strlen(mine), 392);	/* RSA-2048 SPKI */
	/* a key of the other algorithm is refused */
	assert_int_equal(dkimkey_public(pem.data, pem.len,
					alg == DKIM_RSA ? DKIM_ED25519 : DKIM_RSA,
					&wrong, &e), -1);
	assert_null(wrong);
	free(mine);
	free(theirs);
	buf_free_secret(&pem);
}

static void test_rsa(void **state)
{
	(void)state;
	check_key(DKIM_RSA);
}

static void test_ed25519(void **state)
{
	(void)state;
	check_key(DKIM_ED25519);
}

static void test_garbage(void **state)
{
	struct err e = {0};
	char *out = NULL;

	(void)state;
	assert_int_equal(dkimkey_public("not a key", 9, DKIM_RSA, &out, &e), -1);
	assert_int_equal(e.code, EX_DATAERR);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
