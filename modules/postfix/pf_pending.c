/* pf_pending.c - the map entries of an added account, put in after the
 * command returns.
 *
 * `mail add account` appends the account to vmailbox and sender_login and,
 * in the same commit, writes the lines for their maps to a pending file
 * beside each map (<map>.lmdb.ws-pending-<random>). After the command has
 * returned, a background call that holds webstack's lock again puts the
 * lines into the map (pf_update_put_now()) and removes the file. It runs
 * after the dovecot module's background wait, so Postfix accepts mail for
 * the address only once Dovecot can deliver it.
 *
 * Until then the map is the source less the pending lines. Another
 * `mail add account` takes that as it is (a pending file younger than
 * PF_PENDING_MAX_AGE: its background run is under way); anything else
 * that publishes the maps compiles the map whole and removes the pending
 * files, and a background call that finds its file gone has nothing left
 * to do. An older pending file is a background run that failed: the map
 * counts as stale. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "postfix.h"

#define PENDING ".lmdb.ws-pending-"

struct pending {
	struct pf_state *st;
	char *source;	/* logical */
	char *real;	/* the pending file */
	char *lines;
	size_t len;
};

static void pending_free(void *arg)
{
	struct pending *p = arg;

	free(p->source);
	free(p->real);
	free(p->lines);
	free(p);
}

static int pending_run(void *arg, const char **err_r)
{
	struct pending *p = arg;
	struct stat s;
	int r;

	if (lstat(p->real, &s) < 0)	/* a whole compile took it in */
		return errno == ENOENT ? 0 : pf_fail(p->st, err_r, errno, "%s: %s",
						     p->real, strerror(errno));
	r = pf_update_put_now(p->st, p->source, p->lines, p->len, err_r);
	if (r == 0 && unlink(p->real) < 0 && errno != ENOENT)
		r = pf_fail(p->st, err_r, errno, "cannot remove %s: %s", p->real,
			    strerror(errno));
	return r;
}

int pf_pending_add(struct pf_state *st, const char *source, const char *lines,
		   size_t len, const char **err_r)
{
	struct pending *p = calloc(1, sizeof(*p));
	unsigned char rnd[6];
	char *logical = NULL, what[300];
	const char *msg;
	int r;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));	/* the stage says if it clashes */
	if (!p || asprintf(&logical, "%s" PENDING "%02x%02x%02x%02x%02x%02x", source,
			   rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]) < 0 ||
	    !(p->source = strdup(source)) || !(p->real = st->h->path(st->h, logical)) ||
	    !(p->lines = malloc(len))) {
		if (p)
			pending_free(p);
		free(logical);
		return pf_fail(st, err_r, ENOMEM, "out of memory");
	}
	p->st = st;
	memcpy(p->lines, lines, len);
	p->len = len;
	r = st->h->stage_file(st->h, &(struct webstack_file){
		.path = logical, .data = lines, .len = len, .mode = 0600}, &msg);
	free(logical);
	if (r < 0) {
		pending_free(p);
		return pf_fail(st, err_r, -r, "%s", msg);
	}
	snprintf(what, sizeof(what), "put the new entries into the map of %s", source);
	r = st->h->defer_background(st->h, what, pending_run, p, pending_free,
				    WEBSTACK_BG_LOCKED, &msg);
	return r < 0 ? pf_fail(st, err_r, -r, "cannot queue the map update: %s", msg) : 0;
}

/* Calls fn with the real path of each pending file of source's map and
 * its age in seconds; stops at fn's first non-zero return, which it
 * returns. */
static int each_pending(struct pf_state *st, const char *source,
			int (*fn)(void *arg, const char *path, double age), void *arg)
{
	char *real = st->h->path(st->h, source), *slash, *base;
	size_t base_len;
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (!real || !(slash = strrchr(real, '/'))) {
		free(real);
		return -ENOMEM;
	}
	*slash = '\0';
	base = slash + 1;
	base_len = strlen(base);
	d = opendir(*real ? real : "/");
	while (d && r == 0 && (de = readdir(d))) {
		char *path = NULL;
		struct stat s;

		if (strncmp(de->d_name, base, base_len) != 0 ||
		    strncmp(de->d_name + base_len, PENDING, strlen(PENDING)) != 0)
			continue;
		if (asprintf(&path, "%s/%s", real, de->d_name) < 0)
			r = -ENOMEM;
		else if (lstat(path, &s) == 0)
			r = fn(arg, path, difftime(time(NULL), s.st_mtime));
		free(path);
	}
	if (d)
		closedir(d);
	free(real);
	return r;
}

/* The state so far into *arg; an old file settles it. */
static int worse_state(void *arg, const char *path, double age)
{
	int *state = arg;

	(void)path;
	*state = age > PF_PENDING_MAX_AGE ? PF_PENDING_OLD : PF_PENDING_FRESH;
	return *state == PF_PENDING_OLD;
}

int pf_pending_state(struct pf_state *st, const char *source)
{
	int state = PF_PENDING_NONE;

	each_pending(st, source, worse_state, &state);
	return state;
}

struct clear {
	struct pf_state *st;
	const char **err_r;
};

static int queue_removal(void *arg, const char *path, double age)
{
	struct clear *c = arg;
	const char *msg;
	int r;

	(void)age;
	r = c->st->h->defer_run(c->st->h, (const char *[]){"/bin/rm", "-f", "--", path,
							  NULL}, &msg);
	return r < 0 ? pf_fail(c->st, c->err_r, -r, "%s", msg) : 0;
}

int pf_pending_clear(struct pf_state *st, const char *source, const char **err_r)
{
	struct clear c = {st, err_r};
	int r = each_pending(st, source, queue_removal, &c);

	return r == -ENOMEM ? pf_fail(st, err_r, ENOMEM, "out of memory") : r;
}
