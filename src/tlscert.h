/* tlscert.h - the self-signed certificate setup makes when none is given.
 *
 * An ECDSA P-256 key and a certificate for one host name (CN and
 * subjectAltName), valid for a year, made with OpenSSL in-process. The key
 * PEM is secret: the caller stages it with WEBSTACK_FILE_SECRET and mode
 * 0600 so it is never on disk with a wider mode, and wipes it after.
 *
 * Ownership: *cert_r and *key_r are malloc()ed and owned by the caller. */
#ifndef WS_TLSCERT_H
#define WS_TLSCERT_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

int tlscert_make(const char *hostname, struct buf *cert, struct buf *key,
		 struct err *e);

/* The expiry time of the first certificate in a PEM text. */
int tlscert_not_after(const char *pem, size_t len, time_t *t_r, struct err *e);

#endif
