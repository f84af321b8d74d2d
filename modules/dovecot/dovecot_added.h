/* dovecot_added.h - the users file mapped, is an address in it, and the
 * background wait until Dovecot serves an account added by appending.
 *
 * Ownership: dv_added_new() copies its strings; the result belongs to the
 * caller (the host, as a background call's arg) until dv_added_free(). */
#ifndef WS_DOVECOT_ADDED_H
#define WS_DOVECOT_ADDED_H

struct dv_added;

/* The users file at real (a real path) mapped read-only: *data_r is NULL
 * when it is missing or empty; not NUL-terminated. 0 or -errno. */
int dv_users_map(const char *real, const char **data_r, size_t *len_r);
void dv_users_unmap(const char *data, size_t len);

/* *found_r: 1 when the users file at real (a real path) has a line for
 * address. 0, or -errno when it cannot be read (missing is not found). */
int dv_users_file_has(const char *real, const char *address, int *found_r);

/* The wait for address, over the auth-master socket; users is the users
 * file's real path. NULL when out of memory. */
struct dv_added *dv_added_new(const char *socket_path, const char *users,
			      const char *address);
/* For defer_background(): waits until Dovecot serves the account (and
 * flushes what its cache says of it); an account deleted meanwhile leaves
 * nothing to wait for. */
int dv_added_run(void *added, const char **err_r);
void dv_added_free(void *added);

#endif
