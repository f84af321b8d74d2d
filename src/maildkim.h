/* maildkim.h - the DKIM keys of the mail domains, on disk and in the
 * directory (the key format and names: dkimkey.h).
 *
 * Keys live in <dkim_dir>/<domain>/<selector>.key, mode 0640 root and group
 * dkim_key_group (the signer's, "opendkim") when that group exists, else
 * 0600 root; the domain directory is 0750 (or 0700) likewise. Loading reads
 * every key back and derives its public key; a key file that does not parse
 * stops the command with its path. */
#ifndef WS_MAILDKIM_H
#define WS_MAILDKIM_H

#include "mail.h"

/* Adds the keys on disk of every domain in s->dir, marks the signing ones. */
int maildkim_load(struct mail_session *s);

/* Adds the keys on disk of one domain (say, one added again). */
int maildkim_load_domain(struct mail_session *s, const char *domain);

/* Stages a new generation (an RSA and an Ed25519 key) for domain and adds
 * it to s->dir; its selectors sign from the commit on. */
int maildkim_new_generation(struct mail_session *s, const char *domain);

/* Stages every key and domain directory whose mode or group is not (or
 * no longer) the one above: say, keys made before the signer's group
 * existed. */
int maildkim_fix_modes(struct mail_session *s);

/* Stages the removal of one key. */
int maildkim_retire(struct mail_session *s, const char *domain, const char *selector);

#endif
