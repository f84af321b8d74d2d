/* validate.h - names that reach files: domains, mailbox addresses, passwords.
 *
 * Every check rejects rather than escapes: a name that passes is safe in a
 * Postfix map source, Dovecot's passwd-file, a filesystem path and argv.
 * Normalised output is written into the caller's buffer (out, outsz); on
 * failure the functions return -1 with e->code = EX_DATAERR and a message
 * that quotes the input (made printable) and names the rule it breaks. */
#ifndef WS_VALIDATE_H
#define WS_VALIDATE_H

#include <stddef.h>

#include "err.h"

/* Longest normalised domain (RFC 1035 text form) and address, plus NUL. */
#define VALIDATE_DOMAIN_MAX 253
#define VALIDATE_LOCAL_MAX 64
#define VALIDATE_ADDRESS_MAX 254
#define VALIDATE_PASSWORD_MAX 1024

/* Lowercases, converts U-labels to A-labels (IDNA2008, non-transitional,
 * checked to round-trip), drops nothing silently: a trailing dot, an address
 * literal, a single label, an all-numeric TLD, '.', '..', bad labels and
 * names over 253 bytes are errors. outsz >= VALIDATE_DOMAIN_MAX + 1. */
int validate_domain(const char *in, char *out, size_t outsz, struct err *e);

/* local@domain. The local part is lowercased and must match
 * [a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])? with no "..": nothing of ':' CR LF
 * NUL '/' '%' '+' whitespace or quotes; the domain as validate_domain();
 * the whole address at most 254 bytes. outsz >= VALIDATE_ADDRESS_MAX + 1.
 * local_len_r (may be NULL) gets the length of the local part in out. */
int validate_address(const char *in, char *out, size_t outsz,
		     size_t *local_len_r, struct err *e);

/* An alias target: an address as above whose local part may also hold
 * '+' and '=' (address extensions, VERP); safe in a Postfix map value. */
int validate_target(const char *in, char *out, size_t outsz, struct err *e);
/* A password: 1..VALIDATE_PASSWORD_MAX bytes (max_len when smaller, e.g. 72
 * for bcrypt), at least min_len bytes, no NUL, CR or LF (len is given so an
 * embedded NUL is seen). The message never contains the password. */
int validate_password(const char *pw, size_t len, size_t min_len,
		      size_t max_len, struct err *e);

#endif
