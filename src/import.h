/* import.h - the accounts of `webstack mail import FILE`: read, checked,
 * hashed on all cores.
 *
 * A line is "address password" (the password is the rest of the line
 * after the blanks that follow the address) or "address,password"; blank
 * lines and lines starting with '#' are skipped, a trailing '\r' is
 * dropped. Every address is validated and normalised and every password
 * checked (length for the scheme) before anything is hashed.
 *
 * Ownership: the batch owns every string; import_free() wipes the
 * passwords and hashes and frees it. */
#ifndef WS_IMPORT_H
#define WS_IMPORT_H

#include <stddef.h>

#include "err.h"
#include "password.h"

struct import_entry {
	char *address;		/* normalised; first, for a name_index */
	size_t local_len;
	char *password;		/* wiped once hashed */
	size_t password_len;
	char hash[PASSWORD_HASH_MAX];
	unsigned line;
};

struct import_batch {
	struct import_entry *v;
	size_t n, cap;
};

/* Reads and checks fd's lines; name is for messages ("FILE:LINE: ...").
 * The first bad line stops it with EX_DATAERR. */
int import_read(int fd, const char *name, size_t min_len, size_t max_len,
		struct import_batch *b, struct err *e);

/* Hashes every password with threads threads; progress (may be NULL) is
 * called from the calling thread about ten times a second with the count
 * done so far. */
int import_hash(struct import_batch *b, const struct password_params *p,
		unsigned threads, void (*progress)(size_t done, size_t total),
		struct err *e);

void import_free(struct import_batch *b);

#endif
