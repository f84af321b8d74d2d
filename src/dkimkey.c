#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkimkey.h"

const char *dkimkey_alg_name(enum dkim_alg alg)
{
	return alg == DKIM_RSA ? "rsa" : "ed25519";
}

static int gen_ok(const char *g, size_t n)
{
	if (n != 10 && n != 11)
		return 0;
	if (strncmp(g, "ws", 2) != 0)
		return 0;
	for (size_t i = 2; i < 10; i++)
		if (g[i] < '0' || g[i] > '9')
			return 0;
	return n == 10 || (g[10] >= 'b' && g[10] <= 'z');
}

int dkimkey_parse_selector(const char *selector, char gen[DKIM_GEN_MAX],
			   enum dkim_alg *alg_r)
{
	const char *dash = strchr(selector, '-');

	if (!dash || !gen_ok(selector, (size_t)(dash - selector)))
		return -1;
	if (strcmp(dash + 1, "rsa") == 0)
		*alg_r = DKIM_RSA;
	else if (strcmp(dash + 1, "ed25519") == 0)
		*alg_r = DKIM_ED25519;
	else
		return -1;
	memcpy(gen, selector, (size_t)(dash - selector));
	gen[dash - selector] = '\0';
	return 0;
}

int dkimkey_next_generation(const char *const *gens, size_t n, long now,
			    char gen[DKIM_GEN_MAX], struct err *e)
{
	time_t t = (time_t)now;
	struct tm tm;
	char day[12];	/* "ws" YYYYMMDD */

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "ws%Y%m%d", &tm);
	for (char letter = 'a'; letter <= 'z'; letter++) {
		int taken = 0;

		if (letter == 'a')
			snprintf(gen, DKIM_GEN_MAX, "%s", day);
		else
			snprintf(gen, DKIM_GEN_MAX, "%s%c", day, letter);
		/* also never older than an existing one (a clock set back) */
		for (size_t i = 0; i < n && !taken; i++)
			taken = strcmp(gens[i], gen) >= 0;
		if (!taken)
			return 0;
	}
	return err_set(e, EX_TEMPFAIL, "no DKIM generation is left for today (%s, "
		       "b..z are taken, or a later one exists): try tomorrow", day);
}

static int ssl_fail(struct err *e, const char *what)
{
	return err_set(e, EX_SOFTWARE, "DKIM key: %s failed", what);
}

static int pem_out(EVP_PKEY *k, struct buf *pem, struct err *e)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *data;
	long n;
	int r = -1;

	if (b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) &&
	    (n = BIO_get_mem_data(b, &data)) > 0) {
		buf_add(pem, data, (size_t)n);
		r = 0;
	} else {
		ssl_fail(e, "PEM encoding");
	}
	BIO_free(b);	/* secure heap: wiped */
	return r;
}

int dkimkey_generate(enum dkim_alg alg, unsigned rsa_bits, struct buf *pem,
		     struct err *e)
{
	EVP_PKEY *k = alg == DKIM_RSA ? EVP_RSA_gen(rsa_bits) :
					EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	int r;

	if (!k)
		return ssl_fail(e, alg == DKIM_RSA ? "RSA key generation" :
						     "Ed25519 key generation");
	r = pem_out(k, pem, e);
	EVP_PKEY_free(k);
	return r;
}

static char *base64(const unsigned char *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

int dkimkey_public(const char *pem, size_t len, enum dkim_alg alg, char **b64_r,
		   struct err *e)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	unsigned char raw[32], *der = NULL;
	size_t rawlen = sizeof(raw);
	int derlen, want = alg == DKIM_RSA ? EVP_PKEY_RSA : EVP_PKEY_ED25519;
	int r = -1;

	*b64_r = NULL;
	if (!k || EVP_PKEY_get_base_id(k) != want) {
		err_set(e, EX_DATAERR, "not a PEM %s private key",
			alg == DKIM_RSA ? "RSA" : "Ed25519");
	} else if (alg == DKIM_RSA) {
		derlen = i2d_PUBKEY(k, &der);
		if (derlen > 0 && (*b64_r = base64(der, (size_t)derlen)))
			r = 0;
		else
			ssl_fail(e, "public key encoding");
	} else if (EVP_PKEY_get_raw_public_key(k, raw, &rawlen) == 1 && rawlen == 32 &&
		   (*b64_r = base64(raw, rawlen))) {
		r = 0;
	} else {
		ssl_fail(e, "public key encoding");
	}
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	BIO_free(b);
	return r;
}
