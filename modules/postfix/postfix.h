/* postfix.h - the postfix module's parts (module-internal).
 *
 * postfix.c    descriptor, state, the role ops
 * pf_edit.c    edits main.cf parameters and master.cf services in place
 * pf_main.c    which parameters and services webstack sets
 * pf_maps.c    the map sources: render, load, postmap
 * pf_update.c  updates an lmdb map in place when few entries change
 * pf_pending.c an added account's map entries, put in after the command
 * pf_lmdb.c    writes changes into an lmdb map as Postfix's writers do
 * pf_status.c  the status checks
 *
 * Ownership: the state owns err (messages handed out through err_r stay
 * valid until the next op). Everything else is borrowed for the call. */
#ifndef WS_POSTFIX_H
#define WS_POSTFIX_H

#include <stddef.h>

#include <webstack/host.h>
#include <webstack/mail.h>

#include "mbuf.h"

#define PF_DIR "/etc/postfix"
#define PF_MAIN_CF PF_DIR "/main.cf"
#define PF_MASTER_CF PF_DIR "/master.cf"
#define PF_POSTMAP "/usr/sbin/postmap"
#define PF_POSTCONF "/usr/sbin/postconf"
#define PF_POSTFIX "/usr/sbin/postfix"

struct pf_state {
	const struct webstack_host *h;
	const char *map_type;	/* "lmdb" or "hash" */
	/* The directory role's module (webstack_mail.directory) while setup
	 * runs, "" for the files: its lookup tables take the maps' place. */
	char directory[32];
	char err[1024];
};

extern const struct webstack_service pf_service;

/* Sets st->err and *err_r; returns -errnum. */
int pf_fail(struct pf_state *st, const char **err_r, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- pf_edit.c ---- */

struct pf_param {
	const char *name;
	char *value;	/* owned by the array (pf_params_free) */
};

/* Sets each parameter in main.cf text: the first definition is replaced,
 * later ones (Postfix uses the last) are removed, missing ones appended. */
void pf_edit_main(const char *text, size_t len, const struct pf_param *p,
		  size_t n, struct mbuf *out);

/* A master.cf service: its names (any of them matches, e.g. "smtps",
 * "submissions", "465"), type, and the complete entry text to write, or
 * NULL to remove it. */
struct pf_service_entry {
	const char *const *names;
	const char *type;
	char *entry;	/* owned; "name type ... command\n  -o ...\n" */
};
void pf_edit_master(const char *text, size_t len,
		    const struct pf_service_entry *s, size_t n, struct mbuf *out);

/* ---- pf_main.c ---- */

/* The parameters and services for mail; *n_r gets the count. Returns
 * NULL on allocation failure. The caller frees with pf_*_free. */
struct pf_param *pf_main_params(struct pf_state *st, const struct webstack_mail *m,
				int bare_newline, size_t *n_r);
void pf_params_free(struct pf_param *p, size_t n);
struct pf_service_entry *pf_master_services(struct pf_state *st,
					    const struct webstack_mail *m,
					    size_t *n_r);
void pf_services_free(struct pf_service_entry *s, size_t n);

/* ---- pf_maps.c ---- */

int pf_maps_load(struct pf_state *st, struct webstack_directory_sink *sink,
		 const char **err_r);
int pf_maps_publish(struct pf_state *st, const struct webstack_mail *m,
		    const struct webstack_directory *dir, const char **err_r);
int pf_maps_add_account(struct pf_state *st, const struct webstack_account *a,
			const char **err_r);
/* Reports each map: compiled and not older than its source. */
void pf_maps_status(struct pf_state *st, struct webstack_report *r);

/* ---- pf_update.c ---- */
/* Beside <map>.lmdb while an update in place is unfinished. */
#define PF_UPDATING ".ws-updating"

/* Queues, for after the commit, the update in place (pf_lmdb_write) that
 * brings the lmdb map of source (a logical path) from the old source text
 * to the new one, under the map's mark. Returns 1, queueing nothing, when
 * the caller should compile the whole map instead (many entries change,
 * none does but a comment, a key is there twice, or a changed line is not
 * plain ASCII); 0 when queued or when only the order of the lines changed;
 * a negative errno on failure. */
int pf_update_queue(struct pf_state *st, const char *source, const char *old,
		    size_t old_len, const char *new, size_t new_len,
		    const char **err_r);
/* Puts the lines into source's map now, under its mark (for a call that
 * runs after the command, holding the lock). */
int pf_update_put_now(struct pf_state *st, const char *source, const char *lines,
		      size_t len, const char **err_r);
/* The mark's path for source (a logical path), or NULL; caller frees. */
char *pf_update_mark_path(struct pf_state *st, const char *source);
/* 1 when source's map is marked (an update did not finish). */
int pf_update_marked(struct pf_state *st, const char *source);
/* After a whole compile: queues the removal of source's mark, if any. */
int pf_update_unmark(struct pf_state *st, const char *source, const char **err_r);

/* ---- pf_pending.c ---- */
/* A pending file older than this is a background run that failed. */
#define PF_PENDING_MAX_AGE 60.0
enum { PF_PENDING_NONE, PF_PENDING_FRESH, PF_PENDING_OLD };

/* Stages a pending file with lines (new entries of source's map) and
 * queues the background call that puts them in. */
int pf_pending_add(struct pf_state *st, const char *source, const char *lines,
		   size_t len, const char **err_r);
/* The worst of source's pending files: none, fresh or old. */
int pf_pending_state(struct pf_state *st, const char *source);
/* After a whole compile: queues the removal of source's pending files. */
int pf_pending_clear(struct pf_state *st, const char *source, const char **err_r);

/* ---- pf_lmdb.c ---- */
/* One change of an lmdb map: key (as in the source) gets value, or is
 * removed when value is NULL. Each is key_len or value_len bytes followed
 * by a NUL. */
struct pf_lmdb_change {
	const char *key, *value;
	size_t key_len, value_len;
};

/* Writes the n changes into the lmdb map at path (the .lmdb file, which
 * must exist and not be a symlink) in one LMDB write transaction, the way
 * Postfix's writers do. Returns 0, or a negative errno with the reason,
 * naming the map, in msg. */
int pf_lmdb_write(const char *path, const struct pf_lmdb_change *c, size_t n,
		  char *msg, size_t msgsz);

/* ---- pf_status.c ---- */

int pf_status(struct pf_state *st, const struct webstack_mail *m,
	      struct webstack_report *r, const char **err_r);

#endif
