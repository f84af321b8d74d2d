/* pf_update.c - brings an lmdb map from its old source to its new one in
 * place when few entries change.
 *
 * A full postmap rewrites the whole map: at 100,000 entries that is 140 ms
 * of CPU and a 16 MB file. The changed entries alone are written with
 * liblmdb (pf_lmdb.c) in one LMDB transaction, without the postmap
 * process whose start-up alone costs 17-19 ms. Both run after the commit.
 * A transaction killed before its commit leaves the map's entries as they
 * were, but may have written pages, which moves the file's mtime past its
 * source's: the map would look in step. So the map is first marked
 * (<map>.lmdb.ws-updating, made durable) and unmarked once the
 * transaction is committed: an update that fails or is killed leaves the
 * mark, the map counts as stale, and the next command (or `mail check
 * --repair`) compiles it whole with postmap, which removes the mark. */
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

/* Past this many changed entries (or a sixteenth of the map, if more),
 * postmap compiles the map whole instead: that leaves it compact, and a
 * big import's changes need not be listed. */
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

/* v, an array of n of its *cap elements of size used, with room for one
 * more; NULL when out of memory (v is still the caller's). */
static void *room(void *v, size_t n, size_t *cap, size_t size)
{
	size_t more = *cap ? 2 * *cap : 16;

	if (n < *cap)
		return v;
	if ((v = realloc(v, more * size)))
		*cap = more;
	return v;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return msort_slice_cmp(x->key, x->key_len, y->key, y->key_len);
}

static int add_entry(void *arg, const char *line, size_t n, unsigned lineno)
{
	struct entries *es = arg;
	struct entry *v;
	size_t k = 0;

	(void)lineno;
	if (n == 0 || line[0] == '#')
		return 0;
	while (k < n && line[k] != ' ' && line[k] != '\t')
		k++;
	if (!(v = room(es->v, es->n, &es->cap, sizeof(*v))))
		return -ENOMEM;
	es->v = v;
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

/* A line postmap reads as this file does: printable ASCII and tabs, with
 * a key at its start. postmap folds other keys by Unicode rules, skips
 * lines that are not UTF-8 and joins a line that starts with a blank to
 * the one before: a changed line of that kind is left to a whole
 * compile. */
static int plain(const struct entry *e)
{
	if (e->key_len == 0)
		return 0;
	for (size_t i = 0; i < e->len; i++)
		if (((unsigned char)e->line[i] < 0x20 && e->line[i] != '\t') ||
		    (unsigned char)e->line[i] > 0x7e)
			return 0;
	return 1;
}

struct changes {
	struct pf_lmdb_change *v;
	size_t n, cap;
	size_t bytes;	/* of the keys and values, with a NUL each */
};

/* The key of e to remove or, with put, to set to the value postmap
 * stores for its line: after the blanks that follow the key, without
 * trailing blanks. A line with no value postmap skips, so a whole compile
 * leaves its key out: it is removed. */
static int add_change(struct changes *ch, const struct entry *e, int put)
{
	const char *v = e->line + e->key_len, *end = e->line + e->len;
	struct pf_lmdb_change *c;

	if (!plain(e))
		return 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	put = put && v < end;
	if (!(c = room(ch->v, ch->n, &ch->cap, sizeof(*c))))
		return -ENOMEM;
	ch->v = c;
	ch->v[ch->n++] = (struct pf_lmdb_change){
		.key = e->key, .key_len = e->key_len,
		.value = put ? v : NULL, .value_len = put ? end - v : 0};
	ch->bytes += e->key_len + 1 + (put ? end - v + 1 : 0);
	return 0;
}

/* The keys only in a, to remove, and the lines new or changed in b, to
 * put, into ch (pointing into a's and b's text). Returns 0, 1 when a
 * changed line is not plain, or -ENOMEM. */
static int diff_entries(const struct entries *a, const struct entries *b,
			struct changes *ch)
{
	size_t i = 0, j = 0;
	int r = 0;

	while (r == 0 && (i < a->n || j < b->n)) {
		int c = i == a->n ? 1 : j == b->n ? -1 : entry_cmp(&a->v[i], &b->v[j]);

		if (c < 0) {
			r = add_change(ch, &a->v[i++], 0);
		} else if (c > 0 || msort_slice_cmp(a->v[i].line, a->v[i].len, b->v[j].line,
					      b->v[j].len) != 0) {
			r = add_change(ch, &b->v[j++], 1);
			i += c == 0;
		} else {
			i++;
			j++;
		}
	}
	return r;
}

/* Copies what the changes point into (the sources, gone after the call)
 * into one buffer, each key and value followed by a NUL; NULL when out of
 * memory. */
static char *own_changes(struct changes *ch)
{
	char *text = malloc(ch->bytes + 1), *p = text;

	for (size_t i = 0; text && i < ch->n; i++) {
		struct pf_lmdb_change *c = &ch->v[i];

		memcpy(p, c->key, c->key_len);
		p[c->key_len] = '\0';
		c->key = p;
		p += c->key_len + 1;
		if (c->value) {
			memcpy(p, c->value, c->value_len);
			p[c->value_len] = '\0';
			c->value = p;
			p += c->value_len + 1;
		}
	}
	return text;
}

/* A map's update in place, queued with defer_call: make the mark durable,
 * write the changes, remove the mark. With no changes (after a whole
 * compile) only the mark is removed. */
struct job {
	char *map;	/* <source>.lmdb */
	char *mark;	/* <source>.lmdb.ws-updating */
	struct pf_lmdb_change *v;
	size_t n;
	char *text;	/* what v points into */
	char msg[512];
};

static void job_free(void *arg)
{
	struct job *j = arg;

	free(j->map);
	free(j->mark);
	free(j->v);
	free(j->text);
	free(j);
}

static int fail_errno(struct job *j, const char *what)
{
	int r = -errno;

	snprintf(j->msg, sizeof(j->msg), "cannot %s %s: %s", what, j->mark, strerror(-r));
	return r;
}

/* Made durable before the first page of the map is written; removing it
 * needs no sync: a mark that comes back only costs a whole compile. */
static int mark_make(struct job *j)
{
	char *slash = strrchr(j->mark, '/');
	int fd = open(j->mark, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return fail_errno(j, "create");
	close(fd);
	*slash = '\0';
	fd = open(*j->mark ? j->mark : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*slash = '/';
	if (fd < 0 || fsync(fd) < 0) {
		int r = fail_errno(j, "sync the directory of");

		if (fd >= 0)
			close(fd);
		return r;
	}
	close(fd);
	return 0;
}

static int job_run(void *arg, const char **err_r)
{
	struct job *j = arg;
	int r = 0;

	if (j->n && (r = mark_make(j)) == 0)
		r = pf_lmdb_write(j->map, j->v, j->n, j->msg, sizeof(j->msg));
	if (r == 0 && unlink(j->mark) < 0 && errno != ENOENT)
		r = fail_errno(j, "remove");
	if (r < 0)
		*err_r = j->msg;
	return r;
}

/* The job for source's map; takes ch's changes (NULL: only the mark's
 * removal). NULL when out of memory. */
static struct job *job_new(struct pf_state *st, const char *source, struct changes *ch)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j && (j->mark = pf_update_mark_path(st, source)))
		j->map = strndup(j->mark, strlen(j->mark) - strlen(PF_UPDATING));
	if (!j || !j->map || (ch && !(j->text = own_changes(ch)))) {
		if (j)
			job_free(j);
		return NULL;
	}
	if (ch) {
		j->v = ch->v;
		j->n = ch->n;
		ch->v = NULL;
	}
	return j;
}

static int queue_job(struct pf_state *st, const char *source, struct changes *ch,
		     const char **err_r)
{
	struct job *j = job_new(st, source, ch);
	const char *msg;
	char what[300];
	int r;

	if (!j)
		return pf_fail(st, err_r, ENOMEM, "out of memory");
	if (ch)
		snprintf(what, sizeof(what), "update %s in place (%zu change%s)", j->map,
			 j->n, j->n == 1 ? "" : "s");
	else
		snprintf(what, sizeof(what), "clear the being-updated mark of %s", j->mark);
	r = st->h->defer_call(st->h, what, job_run, j, job_free, &msg);
	return r < 0 ? pf_fail(st, err_r, -r, "cannot queue the map's update: %s", msg) : 0;
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

char *pf_update_mark_path(struct pf_state *st, const char *source)
{
	char *real = st->h->path(st->h, source), *mark = NULL;

	if (real && asprintf(&mark, "%s.lmdb" PF_UPDATING, real) < 0)
		mark = NULL;
	free(real);
	return mark;
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
	return pf_update_marked(st, source) ? queue_job(st, source, NULL, err_r) : 0;
}

int pf_update_queue(struct pf_state *st, const char *source, const char *old,
		    size_t old_len, const char *new, size_t new_len,
		    const char **err_r)
{
	struct entries a = {0}, b = {0};
	struct changes ch = {0};
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
	r = diff_entries(&a, &b, &ch);
	/* The same entries in another order (a source appended to) leave
	 * the map as it is, and the core the source (it is unordered). */
	if (r == 0 && ch.n == 0 && same_comments(old, old_len, new, new_len))
		goto out;
	if (r == 0 && (ch.n == 0 || (ch.n > PF_UPDATE_MIN && ch.n > b.n / 16)))
		r = 1;
	if (r == 0)
		r = queue_job(st, source, &ch, err_r);
	else if (r < 0)
		r = pf_fail(st, err_r, ENOMEM, "out of memory");
out:
	free(a.v);
	free(b.v);
	free(ch.v);
	return r;
}

int pf_update_put_now(struct pf_state *st, const char *source, const char *lines,
		      size_t len, const char **err_r)
{
	struct entries none = {0}, put = {0};
	struct changes ch = {0};
	struct job *j = NULL;
	int r = read_entries(lines, len, &put);

	if (r == 0)
		r = diff_entries(&none, &put, &ch);
	if (r == 0 && !(j = job_new(st, source, &ch)))
		r = -ENOMEM;
	if (r == 0 && job_run(j, err_r) < 0)
		r = pf_fail(st, err_r, EIO, "%s", j->msg);
	else if (r == 1)	/* the next command compiles the map whole */
		r = pf_fail(st, err_r, EINVAL, "%s: entries postmap would read "
			    "otherwise cannot be put in place", source);
	else if (r < 0)
		r = pf_fail(st, err_r, ENOMEM, "out of memory");
	if (j)
		job_free(j);
	free(put.v);
	free(ch.v);
	return r;
}
