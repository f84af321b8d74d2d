#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "import.h"
#include "nameindex.h"
#include "validate.h"

static int read_all(int fd, struct buf *b, struct err *e, const char *name)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(b, chunk, (size_t)n);
	explicit_bzero(chunk, sizeof(chunk));
	if (n < 0)
		return err_set(e, EX_IOERR, "%s: cannot read it", name);
	buf_add(b, "", 0);
	return 0;
}

/* One line (NUL-terminated, no '\n'): address and password into entry. */
static int parse_line(char *line, const char *name, unsigned lineno, size_t min_len,
		      size_t max_len, struct import_entry *en, struct err *e)
{
	size_t n = strlen(line), alen = strcspn(line, " \t,");
	char address[VALIDATE_ADDRESS_MAX + 1];
	char *pw;

	if (n && line[n - 1] == '\r')
		line[--n] = '\0';
	if (!line[alen])
		return err_set(e, EX_DATAERR, "%s:%u: no password after the address "
			       "(\"address password\" or \"address,password\")",
			       name, lineno);
	pw = line + alen + 1;
	if (line[alen] != ',')
		pw += strspn(pw, " \t");
	line[alen] = '\0';
	if (validate_address(line, address, sizeof(address), &en->local_len, e) < 0 ||
	    validate_password(pw, strlen(pw), min_len, max_len, e) < 0)
		return err_prefix(e, "%s:%u", name, lineno);
	en->address = xstrdup(address);
	en->password_len = strlen(pw);
	en->password = xmalloc(en->password_len + 1);
	memcpy(en->password, pw, en->password_len + 1);
	en->line = lineno;
	return 0;
}

/* The entry just appended, if an earlier line has its address: one hash
 * lookup, so reading 100,000 lines is linear (a scan made it quadratic:
 * 5e9 comparisons, a minute before the first hash). */
static int duplicate(struct import_batch *b, struct name_index *ix,
		     const char *name, struct err *e)
{
	const struct import_entry *last = &b->v[b->n - 1];
	size_t at = name_index_find(ix, b->v, sizeof(*b->v), b->n - 1, last->address);

	if (at != NAME_INDEX_NONE)
		return err_set(e, EX_DATAERR, "%s:%u: %s is on line %u already",
			       name, last->line, last->address, b->v[at].line);
	name_index_added(ix, b->v, sizeof(*b->v), b->n);
	return 0;
}

int import_read(int fd, const char *name, size_t min_len, size_t max_len,
		struct import_batch *b, struct err *e)
{
	struct buf text = {0};
	struct name_index ix = {0};
	unsigned lineno = 0;
	int r = read_all(fd, &text, e, name);

	for (char *p = text.data, *next; r == 0 && p && *p; p = next) {
		struct import_entry en = {0};

		next = p + strcspn(p, "\n");
		if (*next)
			*next++ = '\0';
		lineno++;
		if (!*p || *p == '#' || (*p == '\r' && !p[1]))
			continue;
		r = parse_line(p, name, lineno, min_len, max_len, &en, e);
		if (r < 0)
			break;
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 64;
			b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
		}
		b->v[b->n++] = en;
		r = duplicate(b, &ix, name, e);
	}
	name_index_free(&ix);
	if (r == 0 && b->n == 0)
		r = err_set(e, EX_DATAERR, "%s: no accounts in it", name);
	buf_free_secret(&text);
	return r;
}

struct pool {
	struct import_batch *b;
	const struct password_params *p;
	atomic_size_t next, done;
	atomic_int failed;
	struct err err;		/* the first failure */
	pthread_mutex_t lock;
};

static void *worker(void *arg)
{
	struct pool *pl = arg;
	size_t i;

	while (!atomic_load(&pl->failed) &&
	       (i = atomic_fetch_add(&pl->next, 1)) < pl->b->n) {
		struct import_entry *en = &pl->b->v[i];
		struct err e = {0};

		if (password_hash(pl->p, en->password, en->password_len, en->hash,
				  sizeof(en->hash), &e) < 0) {
			pthread_mutex_lock(&pl->lock);
			if (!atomic_exchange(&pl->failed, 1))
				pl->err = e;
			pthread_mutex_unlock(&pl->lock);
		}
		explicit_bzero(en->password, en->password_len);
		atomic_fetch_add(&pl->done, 1);
	}
	return NULL;
}

int import_hash(struct import_batch *b, const struct password_params *p,
		unsigned threads, void (*progress)(size_t done, size_t total),
		struct err *e)
{
	struct pool pl = {.b = b, .p = p};
	pthread_t *t = xmalloc(threads * sizeof(*t));
	unsigned started = 0;

	pthread_mutex_init(&pl.lock, NULL);
	/* the first one here: the libraries initialise themselves once */
	if (b->n) {
		atomic_store(&pl.next, 1);
		if (password_hash(p, b->v[0].password, b->v[0].password_len,
				  b->v[0].hash, sizeof(b->v[0].hash), e) < 0) {
			free(t);
			return -1;
		}
		explicit_bzero(b->v[0].password, b->v[0].password_len);
		atomic_store(&pl.done, 1);
	}
	while (started < threads && pthread_create(&t[started], NULL, worker, &pl) == 0)
		started++;
	if (!started)
		worker(&pl);
	while (progress && atomic_load(&pl.done) < b->n && !atomic_load(&pl.failed)) {
		progress(atomic_load(&pl.done), b->n);
		nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	if (progress)
		progress(atomic_load(&pl.done), b->n);
	free(t);
	pthread_mutex_destroy(&pl.lock);
	if (atomic_load(&pl.failed)) {
		*e = pl.err;
		return -1;
	}
	return 0;
}

void import_free(struct import_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		explicit_bzero(b->v[i].password, b->v[i].password_len);
		explicit_bzero(b->v[i].hash, sizeof(b->v[i].hash));
		free(b->v[i].password);
		free(b->v[i].address);
	}
	free(b->v);
	memset(b, 0, sizeof(*b));
}
