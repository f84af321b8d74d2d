/* dovecot_auth.h - after a commit, waits until Dovecot's auth process
 * serves the new /etc/dovecot/users and drops what its cache remembers of
 * the users that changed.
 *
 * Dovecot looks at a passwd-file at most once a wall-clock second and
 * caches answers, negative ones included, for auth_cache_ttl: a lookup in
 * the second of the commit can be answered from the old file, and that
 * answer cached. So, over the auth-master socket: flush the changed users
 * and look up a user whose existence the change flips (the probe) until
 * the answer comes from the new file; then flush once more, dropping what
 * lookups made meanwhile cached from the old file. A change that only
 * replaces hashes cannot be told apart from outside: then wait for the
 * next second (every later lookup re-reads the file: the core moves its
 * mtime second on) and flush. When no Dovecot listens there is nothing to
 * wait for.
 *
 * This replaces a wait for the next second after every change: an added
 * account is usable when `mail add account` returns, without the wait.
 *
 * Ownership: dv_sync_new() copies the socket path and the names; the
 * result belongs to the caller until dv_sync_free(). *err_r of
 * dv_sync_run() points into the sync and is valid until it is freed. */
#ifndef WS_DOVECOT_AUTH_H
#define WS_DOVECOT_AUTH_H

#include <stddef.h>

/* Up to this many users are flushed by name, more flush the whole cache. */
#define DV_FLUSH_MAX_USERS 64
/* How long Dovecot may take to serve the new file (it re-reads a changed
 * passwd-file within a second). */
#ifndef DV_SYNC_TIMEOUT_MS
#define DV_SYNC_TIMEOUT_MS 5000
/* The login check of `mail migrate`: asks the passdb for each of the n
 * users as a login would (PASS), and calls bad() for each it does not
 * find, with why in words; *bad_r counts them. (The auth-master protocol
 * never hands out a password: that the hashes moved byte for byte the
 * core checks in the directory itself.) What fails is asked again until
 * DV_SYNC_TIMEOUT_MS after the first round, on a new connection after an
 * error: a reload may still be settling. Returns 0, or -1 with msg when
 * Dovecot does not answer at all. */
int dv_check_logins(const char *socket_path, const char *const *users, size_t n,
		    void (*bad)(void *arg, size_t i, const char *why), void *arg,
		    size_t *bad_r, char *msg, size_t msg_size);

#endif

struct dv_sync;

/* users: the n changed users. probe: one of them that the change adds
 * (probe_added) or removes, or NULL when only hashes changed. */
struct dv_sync *dv_sync_new(const char *socket_path, const char *const *users,
			    size_t n, const char *probe, int probe_added);
/* For defer_call(): 0 when done (or no Dovecot runs), -1 with *err_r. */
int dv_sync_run(void *sync, const char **err_r);
void dv_sync_free(void *sync);

/* The login check of `mail migrate`: asks the passdb for each of the n
 * users as a login would (PASS), and calls bad() for each it does not
 * find, with why in words; *bad_r counts them. (The auth-master protocol
 * never hands out a password: that the hashes moved byte for byte the
 * core checks in the directory itself.) What fails is asked again until
 * DV_SYNC_TIMEOUT_MS after the first round, on a new connection after an
 * error: a reload may still be settling. Returns 0, or -1 with msg when
 * Dovecot does not answer at all. */
int dv_check_logins(const char *socket_path, const char *const *users, size_t n,
		    void (*bad)(void *arg, size_t i, const char *why), void *arg,
		    size_t *bad_r, char *msg, size_t msg_size);

#endif
