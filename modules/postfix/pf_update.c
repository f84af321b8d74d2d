/* pf_update.c - brings an lmdb map from its old source to its new one with
 * postmap -d and postmap -i -r when few entries change.
 *
 * A full postmap rewrites the whole map: at 100,000 entries that is 140 ms
 * of CPU and a 16 MB file, where an incremental update of one entry takes
 * under 20 ms. Both run after the commit. postmap -i and -d write each
 * entry in an LMDB transaction of its own (and move the map's mtime with
 * the first), so the map is first marked (<map>.lmdb.ws-updating, made
 * durable) and unmarked when every entry is in: an update that fails or is
 * killed leaves the mark, the map counts as stale, and the next command
 * (or `mail check --repair`) compiles it whole, which removes the mark. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msort.h"
#include "postfix.h"

/* Past this many changed entries (or a sixteenth of the map, if more), a
 * full postmap is cheaper than feeding postmap the changes. */
#define PF_UPDATE_MIN 64

/* One entry of a source: the key and the whole line, slices of the text. */
struct entry {
	const char *key, *line;
	size_t key_len, len;
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return msort_slice_cmp(x->key, x->key_len, y->key, y->key_len);
}

static int add_entry(void *arg, const char *line, size_t n, unsigned lineno)
{
	struct entries *es = arg;
	size_t k = 0;

	(void)lineno;
	if (n == 0 || line[0] == '#')
		return 0;
	while (k < n && line[k] != ' ' && line[k] != '\t')
		k++;
	if (es->n == es->cap) {
		size_t cap = es->cap ? 2 * es->cap : 256;
		struct entry *v = realloc(es->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		es->v = v;
		es->cap = cap;
	}
	es->v[es->n++] = (struct entry){.key = line, .key_len = k, .line = line, .len = n};
	return 0;
}

/* The entries of text sorted by key (the sources are written sorted, but
 * for sender_login's accounts and then aliases). */
static int read_entries(const char *text, size_t len, struct entries *es)
{
	int r = mbuf_each_line(text, len, add_entry, es);

	if (r < 0)
		return r;
	msort_unless_sorted(es->v, es->n, sizeof(*es->v), entry_cmp);
	return 0;
}

static int has_duplicate(const struct entries *es)
{
	for (size_t i = 1; i < es->n; i++)
		if (entry_cmp(&es->v[i - 1], &es->v[i]) == 0)
			return 1;
	return 0;
}

/* The keys only in a into del ("key\n"), the lines new or changed in b
 * into put; returns how many entries differ. */
static size_t diff_entries(const struct entries *a, const struct entries *b,
			   struct mbuf *del, struct mbuf *put)
{
	size_t i = 0, j = 0, n = 0;

	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : entry_cmp(&a->v[i], &b->v[j]);

		if (c < 0) {
			mbuf_add(del, a->v[i].key, a->v[i].key_len);
			mbuf_add(del, "\n", 1);
			i++;
			n++;
		} else if (c > 0 || msort_slice_cmp(a->v[i].line, a->v[i].len, b->v[j].line,
					      b->v[j].len) != 0) {
			mbuf_add(put, b->v[j].line, b->v[j].len);
			mbuf_add(put, "\n", 1);
			i += c == 0;
			j++;
			n++;
		} else {
			i++;
			j++;
		}
	}
	return n;
}

/* One postmap run fed on stdin, queued with defer_call. */
struct job {
	const struct webstack_host *h;
	const char *argv[7];
	char *spec;
	char *input;
	size_t len;
	int deleting;
	char msg[512];
};

static void job_free(void *arg)
{
	struct job *j = arg;

	free(j->spec);
	free(j->input);
	free(j);
}

static int job_run(void *arg, const char **err_r)
{
	struct job *j = arg;
	char *out = NULL;
	int status = 0, r;

	r = j->h->run(j->h, j->argv, j->input, j->len, &out, &status, err_r);
	/* postmap -d exits 1, silently, when no key was there to delete. */
	if (r == 0 && status != 0 && !(j->deleting && status == 1 && out && !*out)) {
		snprintf(j->msg, sizeof(j->msg), "postmap %s %s failed (exit %d): %.300s",
			 j->argv[1], j->spec, status, out ? out : "");
		*err_r = j->msg;
		r = -EIO;
	}
	free(out);
	return r;
}

/* The run for input (its buffer is taken), or NULL when out of memory. */
static struct job *job_new(struct pf_state *st, const char *real, struct mbuf *input,
			   int deleting)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j || asprintf(&j->spec, "%s:%s", st->map_type, real) < 0) {
		free(j);
		return NULL;
	}
	j->h = st->h;
	j->deleting = deleting;
	j->len = input->len;
	j->input = mbuf_steal(input);
	memcpy(j->argv, deleting ?
	       (const char *[]){PF_POSTMAP, "-d", "-", "--", j->spec, NULL} :
	       (const char *[]){PF_POSTMAP, "-i", "-r", "--", j->spec, NULL},
	       6 * sizeof(*j->argv));
	return j;
}

static int queue(struct pf_state *st, const char *real, struct mbuf *input,
		 int deleting, const char **err_r)
{
	struct job *j = job_new(st, real, input, deleting);
	const char *msg;
	char what[256];
	int r;

	if (!j)
		return pf_fail(st, err_r, ENOMEM, "out of memory");
	snprintf(what, sizeof(what), deleting ? "remove the dropped entries from %s" :
		 "add the new and changed entries to %s", j->spec);
	r = st->h->defer_call(st->h, what, job_run, j, job_free, &msg);
	return r < 0 ? pf_fail(st, err_r, -r, "cannot queue postmap: %s", msg) : 0;
}

/* The mark of an unfinished update, made or removed after the commit. */
struct mark {
	char *path;	/* <map>.lmdb.ws-updating */
	int make;
	char msg[512];
};

static void mark_free(void *arg)
{
	struct mark *m = arg;

	free(m->path);
	free(m);
}

static int fail_errno(struct mark *m, const char *what, const char **err_r)
{
	int r = -errno;

	snprintf(m->msg, sizeof(m->msg), "cannot %s %s: %s", what, m->path,
		 strerror(-r));
	*err_r = m->msg;
	return r;
}

/* Making it is durable before postmap writes the first entry; removing it
 * needs no sync: a mark that comes back only costs a whole compile. */
static int mark_run(void *arg, const char **err_r)
{
	struct mark *m = arg;
	char *slash = strrchr(m->path, '/');
	int fd;

	if (!m->make)
		return unlink(m->path) < 0 && errno != ENOENT ?
			fail_errno(m, "remove", err_r) : 0;
	fd = open(m->path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_errno(m, "create", err_r);
	close(fd);
	*slash = '\0';
	fd = open(*m->path ? m->path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*slash = '/';
	if (fd < 0 || fsync(fd) < 0) {
		if (fd >= 0)
			close(fd);
		return fail_errno(m, "sync the directory of", err_r);
	}
	close(fd);
	return 0;
}

static int queue_mark(struct pf_state *st, const char *source, int make,
		      const char **err_r)
{
	struct mark *m = calloc(1, sizeof(*m));
	char what[256];
	const char *msg;
	int r;

	if (!m || !(m->path = pf_update_mark_path(st, source))) {
		free(m);
		return pf_fail(st, err_r, ENOMEM, "out of memory");
	}
	m->make = make;
	snprintf(what, sizeof(what), make ? "mark %s as being updated" :
		 "clear the being-updated mark of %s", m->path);
	r = st->h->defer_call(st->h, what, mark_run, m, mark_free, &msg);
	return r < 0 ? pf_fail(st, err_r, -r, "cannot queue the map's mark: %s", msg) : 0;
}

char *pf_update_mark_path(struct pf_state *st, const char *source)
{
	char *real = st->h->path(st->h, source), *mark = NULL;

	if (real && asprintf(&mark, "%s.lmdb" PF_UPDATING, real) < 0)
		mark = NULL;
	free(real);
	return mark;
}

int pf_update_put_now(struct pf_state *st, const char *source, const char *lines,
		      size_t len, const char **err_r)
{
	struct mark m = {.path = pf_update_mark_path(st, source), .make = 1};
	char *real = st->h->path(st->h, source);
	struct mbuf put = {0};
	struct job *j = NULL;
	int r;

	mbuf_add(&put, lines, len);
	if (!m.path || !real || mbuf_failed(&put) ||
	    !(j = job_new(st, real, &put, 0))) {
		r = pf_fail(st, err_r, ENOMEM, "out of memory");
		goto out;
	}
	r = mark_run(&m, err_r);
	if (r == 0)
		r = job_run(j, err_r);
	if (r == 0) {
		m.make = 0;
		r = mark_run(&m, err_r);
	}
	if (r < 0)	/* the message lives in m or j, which go now */
		r = pf_fail(st, err_r, -r, "%s", *err_r);
out:
	if (j)
		job_free(j);
	free(m.path);
	free(real);
	mbuf_free(&put);
	return r;
}

int pf_update_marked(struct pf_state *st, const char *source)
{
	char *mark = pf_update_mark_path(st, source);
	struct stat s;
	int there = mark && lstat(mark, &s) == 0;

	free(mark);
	return there;
}

int pf_update_unmark(struct pf_state *st, const char *source, const char **err_r)
{
	return pf_update_marked(st, source) ? queue_mark(st, source, 0, err_r) : 0;
}

/* The map's mark, the runs, and the mark's removal. */
static int queue_marked(struct pf_state *st, const char *source, struct mbuf *del,
			struct mbuf *put, const char **err_r)
{
	char *real = st->h->path(st->h, source);
	int r;

	if (!real)
		return pf_fail(st, err_r, ENOMEM, "out of memory");
	/* Deletions first: a key moved from one line to another is a put. */
	r = queue_mark(st, source, 1, err_r);
	if (r == 0 && del->len)
		r = queue(st, real, del, 1, err_r);
	if (r == 0 && put->len)
		r = queue(st, real, put, 0, err_r);
	if (r == 0)
		r = queue_mark(st, source, 0, err_r);
	free(real);
	return r;
}

/* 1 when both texts have the same comment lines, in the same order. */
static int same_comments(const char *a, size_t a_len, const char *b, size_t b_len)
{
	const char *ea = a + a_len, *eb = b + b_len;

	for (;;) {
		while (a < ea && *a != '#')
			a = (a = memchr(a, '\n', (size_t)(ea - a))) ? a + 1 : ea;
		while (b < eb && *b != '#')
			b = (b = memchr(b, '\n', (size_t)(eb - b))) ? b + 1 : eb;
		if (a == ea || b == eb)
			return a == ea && b == eb;
		do
			if (*a++ != *b++)
				return 0;
		while (a < ea && b < eb && a[-1] != '\n');
	}
}

int pf_update_queue(struct pf_state *st, const char *source, const char *old,
		    size_t old_len, const char *new, size_t new_len,
		    const char **err_r)
{
	struct entries a = {0}, b = {0};
	struct mbuf del = {0}, put = {0};
	size_t n;
	int r;

	if (read_entries(old, old_len, &a) < 0 || read_entries(new, new_len, &b) < 0) {
		r = pf_fail(st, err_r, ENOMEM, "out of memory");
		goto out;
	}
	/* A key twice (a hand edit) would pair the wrong lines; a source
	 * changed outside its entries (its header) needs a new map date. */
	if (has_duplicate(&a) || has_duplicate(&b)) {
		r = 1;
		goto out;
	}
	n = diff_entries(&a, &b, &del, &put);
	/* The same entries in another order (a source appended to) leave
	 * the map as it is, and the core the source (it is unordered). */
	if (n == 0 && same_comments(old, old_len, new, new_len)) {
		r = 0;
		goto out;
	}
	if (n == 0 || (n > PF_UPDATE_MIN && n > b.n / 16)) {
		r = 1;
		goto out;
	}
	r = mbuf_failed(&del) || mbuf_failed(&put) ?
		pf_fail(st, err_r, ENOMEM, "out of memory") :
		queue_marked(st, source, &del, &put, err_r);
out:
	free(a.v);
	free(b.v);
	mbuf_free(&del);
	mbuf_free(&put);
	return r;
}
