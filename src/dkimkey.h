/* dkimkey.h - DKIM signing keys: making them and their DNS public keys.
 *
 * Every mail domain gets two keys per generation (RSA-2048 and Ed25519,
 * RFC 8301 and RFC 8463), stored as PEM (PKCS#8) files
 * <dkim_dir>/<domain>/<selector>.key. A selector is "<generation>-rsa" or
 * "<generation>-ed25519"; a generation is "ws" and the date, with a letter
 * when a domain gets a second one the same day ("ws20261126",
 * "ws20261126b"). The newest generation signs; every key on disk is
 * published. See doc/mail-files.md.
 *
 * Ownership: *_r strings and buffers are malloc()ed and owned by the caller;
 * PEM buffers hold secrets and are freed with buf_free_secret(). */
#ifndef WS_DKIMKEY_H
#define WS_DKIMKEY_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

enum dkim_alg { DKIM_RSA, DKIM_ED25519 };

#define DKIM_ALGS 2
#define DKIM_GEN_MAX 16		/* "ws20261126" + a letter + NUL */
#define DKIM_SELECTOR_MAX 32

/* "rsa" or "ed25519": the selector suffix and the k= tag of the record. */
const char *dkimkey_alg_name(enum dkim_alg alg);

/* Parses "<gen>-rsa" / "<gen>-ed25519" (gen as above): 0 and the parts,
 * or -1 for anything else. */
int dkimkey_parse_selector(const char *selector, char gen[DKIM_GEN_MAX],
			   enum dkim_alg *alg_r);

/* The generation after every one in gens (may be empty) for the day of
 * now: "ws<YYYYMMDD>", else with the next free letter b..z. -1 when the
 * day has used them all. */
int dkimkey_next_generation(const char *const *gens, size_t n, long now,
			    char gen[DKIM_GEN_MAX], struct err *e);

/* A new private key as PEM (PKCS#8, unencrypted). */
int dkimkey_generate(enum dkim_alg alg, unsigned rsa_bits, struct buf *pem,
		     struct err *e);

/* The p= value of the key's DKIM record: base64 of the DER
 * SubjectPublicKeyInfo for RSA, of the raw 32-byte key for Ed25519
 * (RFC 8463). Fails when the PEM is not a private key of alg. */
int dkimkey_public(const char *pem, size_t len, enum dkim_alg alg, char **b64_r,
		   struct err *e);

#endif
