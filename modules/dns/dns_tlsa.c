/* The TLSA "3 1 1" digest: SHA-256 of the certificate's DER
 * SubjectPublicKeyInfo. Computed here rather than with
 * ldns_dane_create_tlsa_rr(), which leaks a key per call in ldns 1.8.3. */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dns.h"

int dns_spki_sha256(const char *pem, size_t len, char hex_r[65], const char **why)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int n = cert ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der) : -1;
	int ok = n > 0 && EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL);

	OPENSSL_free(der);
	X509_free(cert);
	BIO_free(bio);
	if (!ok) {
		*why = cert ? "cannot hash its public key" : "not a PEM certificate";
		return -EINVAL;
	}
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(hex_r + 2 * i, "%02x", md[i]);
	return 0;
}
