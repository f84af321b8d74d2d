#include "config.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string.h>

#include "tlscert.h"

#define VALID_DAYS 365

static int ssl_fail(struct err *e, const char *what)
{
	return err_set(e, EX_SOFTWARE, "cannot make the TLS certificate: %s failed",
		       what);
}

static int add_ext(X509 *crt, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, crt, crt, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(crt, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int bio_to_buf(BIO *bio, struct buf *out)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0)
		return 0;
	buf_add(out, data, (size_t)n);
	return 1;
}

static int fill_cert(X509 *crt, EVP_PKEY *pkey, const char *hostname)
{
	unsigned char serial[16];
	BIGNUM *bn;
	X509_NAME *name;
	char san[300];
	int ok;

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return 0;
	serial[0] &= 0x7f;	/* positive */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(crt));
	BN_free(bn);
	if (!ok || !X509_set_version(crt, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(crt), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(crt), 60L * 60 * 24 * VALID_DAYS) ||
	    !X509_set_pubkey(crt, pkey))
		return 0;
	/* X.509 limits a CN to 64 characters; the subjectAltName, which is
	 * what clients check, carries the name in any case. */
	name = X509_get_subject_name(crt);
	if (strlen(hostname) <= 64 &&
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)hostname, -1, -1, 0))
		return 0;
	if (!X509_set_issuer_name(crt, name))
		return 0;
	snprintf(san, sizeof(san), "DNS:%s", hostname);
	return add_ext(crt, NID_basic_constraints, "critical,CA:FALSE") &&
	       add_ext(crt, NID_key_usage, "critical,digitalSignature") &&
	       add_ext(crt, NID_ext_key_usage, "serverAuth") &&
	       add_ext(crt, NID_subject_alt_name, san) &&
	       X509_sign(crt, pkey, EVP_sha256()) > 0;
}

int tlscert_make(const char *hostname, struct buf *cert, struct buf *key,
		 struct err *e)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *crt = X509_new();
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_secmem());
	int r = -1;

	if (!pkey || !crt || !cb || !kb) {
		ssl_fail(e, "key generation");
		goto out;
	}
	if (!fill_cert(crt, pkey, hostname)) {
		ssl_fail(e, "signing");
		goto out;
	}
	if (!PEM_write_bio_X509(cb, crt) ||
	    !PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) ||
	    !bio_to_buf(cb, cert) || !bio_to_buf(kb, key)) {
		ssl_fail(e, "PEM encoding");
		goto out;
	}
	r = 0;
out:
	BIO_free(cb);
	BIO_free(kb);	/* secure heap: wiped on free */
	X509_free(crt);
	EVP_PKEY_free(pkey);
	return r;
}

int tlscert_not_after(const char *pem, size_t len, time_t *t_r, struct err *e)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *crt = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	struct tm tm;
	int r = -1;

	if (crt && ASN1_TIME_to_tm(X509_get0_notAfter(crt), &tm) == 1) {
		*t_r = timegm(&tm);
		r = 0;
	} else {
		err_set(e, EX_DATAERR, "not a PEM certificate");
	}
	X509_free(crt);
	BIO_free(b);
	return r;
}
