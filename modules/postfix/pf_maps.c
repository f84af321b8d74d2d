#include "config.h"

/* The map sources: vdomains and virtual hold what webstack administers
 * (load() reads them back), vmailbox and sender_login are derived from the
 * accounts and aliases. Each source is replaced atomically by the core and
 * compiled with postmap after the commit. A whole lmdb map is compiled in
 * one LMDB transaction; when few entries change, only those are written
 * (pf_update.c). Hash maps are built beside the live one and renamed over
 * it, so a reader never sees a half-built map. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "postfix.h"

enum { MAP_VDOMAINS, MAP_VMAILBOX, MAP_VIRTUAL, MAP_SENDER_LOGIN, MAP_COUNT };

static const char *const map_names[MAP_COUNT] = {
	"vdomains", "vmailbox", "virtual", "sender_login",
};

static const char *const map_headers[MAP_COUNT] = {
	"# Mail domains (virtual_mailbox_domains).",
	"# Accounts (virtual_mailbox_maps); derived from /etc/dovecot/users.",
	"# Aliases (virtual_alias_maps).",
	"# Who may send as an address (smtpd_sender_login_maps on 465/587).",
};

#define MANAGED "# Managed by webstack: change it with `webstack mail ...`.\n"

/* ---- rendering --------------------------------------------------------- */

static int account_key_cmp(const void *key, const void *account)
{
	return strcmp(key, ((const struct webstack_account *)account)->address);
}

/* The host hands the accounts sorted by address (webstack/mail.h). */
static int is_account(const struct webstack_directory *dir, const char *address)
{
	return bsearch(address, dir->accounts, dir->n_accounts, sizeof(*dir->accounts),
		       account_key_cmp) != NULL;
}

/* "key value\n" */
static void put_line(struct mbuf *b, const char *key, const char *value)
{
	mbuf_puts(b, key);
	mbuf_add(b, " ", 1);
	mbuf_puts(b, value);
	mbuf_add(b, "\n", 1);
}

/* An account's line in vmailbox or sender_login (an account sends as
 * itself). */
static void account_line(int which, const struct webstack_account *a, struct mbuf *b)
{
	mbuf_puts(b, a->address);
	mbuf_add(b, " ", 1);
	if (which == MAP_SENDER_LOGIN) {
		mbuf_puts(b, a->address);
		mbuf_add(b, "\n", 1);
		return;
	}
	mbuf_puts(b, a->domain);
	mbuf_add(b, "/", 1);
	mbuf_puts(b, a->local);
	mbuf_add(b, "/\n", 2);
}

static void render(int which, const struct webstack_directory *dir, struct mbuf *b)
{
	mbuf_puts(b, map_headers[which]);
	mbuf_puts(b, "\n" MANAGED);
	switch (which) {
	case MAP_VDOMAINS:
		for (size_t i = 0; i < dir->n_domains; i++)
			put_line(b, dir->domains[i], "OK");
		break;
	case MAP_VMAILBOX:
		for (size_t i = 0; i < dir->n_accounts; i++)
			account_line(which, &dir->accounts[i], b);
		break;
	case MAP_VIRTUAL:
		for (size_t i = 0; i < dir->n_aliases; i++) {
			mbuf_puts(b, dir->aliases[i].address);
			for (size_t k = 0; k < dir->aliases[i].n_targets; k++) {
				mbuf_add(b, k ? "," : " ", 1);
				mbuf_puts(b, dir->aliases[i].targets[k]);
			}
			mbuf_add(b, "\n", 1);
		}
		break;
	case MAP_SENDER_LOGIN:
		/* An alias's local account targets may send as the alias. */
		for (size_t i = 0; i < dir->n_accounts; i++)
			account_line(which, &dir->accounts[i], b);
		for (size_t i = 0; i < dir->n_aliases; i++) {
			const struct webstack_alias *al = &dir->aliases[i];
			int first = 1;

			for (size_t k = 0; k < al->n_targets; k++) {
				if (!is_account(dir, al->targets[k]))
					continue;
				if (first)
					mbuf_puts(b, al->address);
				mbuf_add(b, first ? " " : ",", 1);
				mbuf_puts(b, al->targets[k]);
				first = 0;
			}
			if (!first)
				mbuf_add(b, "\n", 1);
		}
		break;
	}
}

/* ---- compiling ---------------------------------------------------------- */

static char *source_path(int which)
{
	char *p = NULL;

	return asprintf(&p, PF_DIR "/%s", map_names[which]) < 0 ? NULL : p;
}

/* The compiled map is missing, older than its source (say, a crash
 * between the commit and postmap), marked as being updated entry by
 * entry (pf_update.c: an update that did not finish), or has pending
 * entries (pf_pending.c): compile it again. With pending_ok, fresh
 * pending entries are an update under way, not staleness: the map is in
 * step with its source less those (whatever the mtimes say). */
static int map_stale(struct pf_state *st, const char *source, int pending_ok)
{
	char *src = st->h->path(st->h, source), *db = NULL;
	int lmdb = strcmp(st->map_type, "lmdb") == 0;
	int pending = lmdb ? pf_pending_state(st, source) : PF_PENDING_NONE;
	struct stat s, d;
	int stale = 1;

	if (src && asprintf(&db, "%s.%s", src, lmdb ? "lmdb" : "db") >= 0 &&
	    stat(src, &s) == 0 && stat(db, &d) == 0)
		stale = (pending == PF_PENDING_NONE &&
			 (d.st_mtim.tv_sec < s.st_mtim.tv_sec ||
			  (d.st_mtim.tv_sec == s.st_mtim.tv_sec &&
			   d.st_mtim.tv_nsec < s.st_mtim.tv_nsec))) ||
			pending == PF_PENDING_OLD ||
			(pending == PF_PENDING_FRESH && !pending_ok) ||
			(lmdb && pf_update_marked(st, source));
	free(src);
	free(db);
	return stale;
}

static int defer(struct pf_state *st, const char **err_r, const char *const *argv)
{
	return st->h->defer_run(st->h, argv, err_r);
}

/* lmdb: postmap is one LMDB transaction. hash: build <source>.new.db from
 * a copy and rename it over <source>.db (DATABASE_README). */
static int compile(struct pf_state *st, const char *source, const char **err_r)
{
	char *real = st->h->path(st->h, source), *spec = NULL, *tmp = NULL,
	     *tmpdb = NULL, *db = NULL;
	int r;

	if (!real)
		return pf_fail(st, err_r, ENOMEM, "out of memory");
	if (strcmp(st->map_type, "hash") != 0) {
		r = asprintf(&spec, "%s:%s", st->map_type, real) < 0 ? -ENOMEM :
		    defer(st, err_r, (const char *[]){PF_POSTMAP, "--", spec, NULL});
		/* a whole map: an unfinished update's mark and the pending
		 * entries can go */
		if (r == 0)
			r = pf_update_unmark(st, source, err_r);
		if (r == 0)
			r = pf_pending_clear(st, source, err_r);
	} else if (asprintf(&tmp, "%s.new", real) < 0 ||
		   asprintf(&spec, "hash:%s", tmp) < 0 ||
		   asprintf(&tmpdb, "%s.new.db", real) < 0 ||
		   asprintf(&db, "%s.db", real) < 0) {
		r = -ENOMEM;
	} else {
		r = defer(st, err_r, (const char *[]){"/bin/cp", "--", real, tmp, NULL});
		if (r == 0)
			r = defer(st, err_r, (const char *[]){PF_POSTMAP, "--", spec, NULL});
		if (r == 0)
			r = defer(st, err_r, (const char *[]){"/bin/mv", "-f", "--", tmpdb,
							       db, NULL});
		if (r == 0)
			r = defer(st, err_r, (const char *[]){"/bin/rm", "-f", "--", tmp,
							       NULL});
	}
	if (r == -ENOMEM)
		pf_fail(st, err_r, ENOMEM, "out of memory");
	free(real);
	free(spec);
	free(tmp);
	free(tmpdb);
	free(db);
	return r;
}

int pf_maps_publish(struct pf_state *st, const struct webstack_mail *m,
		    const struct webstack_directory *dir, const char **err_r)
{
	(void)m;
	for (int i = 0; i < MAP_COUNT; i++) {
		char *path = source_path(i), *old = NULL;
		size_t oldlen = 0;
		struct mbuf b = {0};
		int r, changed, stale;

		if (!path)
			return pf_fail(st, err_r, ENOMEM, "out of memory");
		render(i, dir, &b);
		r = st->h->read_file(st->h, path, &old, &oldlen, err_r);
		if (r < 0 && r != -ENOENT) {
			free(path);
			mbuf_free(&b);
			return r;
		}
		changed = r == -ENOENT || oldlen != b.len ||
			  memcmp(old, b.s, b.len) != 0;
		r = mbuf_failed(&b) ? pf_fail(st, err_r, ENOMEM, "out of memory") : 0;
		if (r == 0 && changed)
			r = st->h->stage_file(st->h, &(struct webstack_file){
				.path = path, .data = b.s, .len = b.len, .mode = 0644,
				.flags = WEBSTACK_FILE_UNORDERED}, err_r);
		stale = r == 0 && map_stale(st, path, 0);
		/* A map in step with the old source takes just the changes
		 * (hash maps are always built beside the live one). */
		if (r == 0 && changed && old && !stale && strcmp(st->map_type, "lmdb") == 0)
			r = pf_update_queue(st, path, old, oldlen, b.s, b.len, err_r);
		else if (r == 0 && (changed || stale))
			r = 1;
		if (r == 1)
			r = compile(st, path, err_r);
		free(old);
		free(path);
		mbuf_free(&b);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The account's line at the end of vmailbox and sender_login, and into
 * their lmdb maps after the command (pf_pending.c); 1 (publish() instead)
 * for hash maps and maps not in step with their source. */
int pf_maps_add_account(struct pf_state *st, const struct webstack_account *a,
			const char **err_r)
{
	static const int maps[] = {MAP_VMAILBOX, MAP_SENDER_LOGIN};
	int r = strcmp(st->map_type, "lmdb") != 0;

	for (size_t i = 0; r == 0 && i < 2; i++) {
		char *path = source_path(maps[i]);
		struct mbuf line = {0};
		const char *msg;

		account_line(maps[i], a, &line);
		if (!path || mbuf_failed(&line))
			r = pf_fail(st, err_r, ENOMEM, "out of memory");
		else if (map_stale(st, path, 1))
			r = 1;
		else if ((r = st->h->stage_append(st->h, &(struct webstack_file){
				  .path = path, .data = line.s, .len = line.len,
				  .flags = WEBSTACK_FILE_UNORDERED}, &msg)) < 0)
			r = pf_fail(st, err_r, -r, "%s", msg);
		else
			r = pf_pending_add(st, path, line.s, line.len, err_r);
		free(path);
		mbuf_free(&line);
	}
	return r;
}

/* ---- loading ------------------------------------------------------------ */

struct load {
	struct pf_state *st;
	struct webstack_directory_sink *sink;
	int which;
	const char *path;
	const char *msg;
};

/* "key value" with the value split at commas (and blanks after them). */
static int load_line(void *arg, const char *line, size_t n, unsigned lineno)
{
	struct load *ld = arg;
	char *copy, *key, *val, *save = NULL, *targets[256];
	size_t nt = 0;
	int r = 0;

	if (n == 0 || line[0] == '#' || strspn(line, " \t\r") == n)
		return 0;
	copy = strndup(line, n);
	if (!copy)
		return pf_fail(ld->st, &ld->msg, ENOMEM, "out of memory");
	key = strtok_r(copy, " \t", &save);
	val = strtok_r(NULL, "", &save);
	if (ld->which == MAP_VDOMAINS) {
		r = ld->sink->domain(ld->sink, key, &ld->msg);
	} else {
		for (char *t = val ? strtok_r(val, ", \t", &save) : NULL; t;
		     t = strtok_r(NULL, ", \t", &save)) {
			if (nt == sizeof(targets) / sizeof(targets[0])) {
				ld->msg = "more than 256 targets";
				r = -1;
				break;
			}
			targets[nt++] = t;
		}
		if (r == 0)
			r = ld->sink->alias(ld->sink, key,
					    (const char *const *)targets, nt, &ld->msg);
	}
	if (r != 0)
		r = pf_fail(ld->st, &ld->msg, EINVAL, "%s:%u: %s", ld->path, lineno,
			    ld->msg);
	free(copy);
	return r;
}

int pf_maps_load(struct pf_state *st, struct webstack_directory_sink *sink,
		 const char **err_r)
{
	static const int loaded[] = {MAP_VDOMAINS, MAP_VIRTUAL};

	for (size_t i = 0; i < 2; i++) {
		struct load ld = {st, sink, loaded[i], NULL, NULL};
		char *path = source_path(loaded[i]), *text = NULL;
		size_t len = 0;
		int r;

		if (!path)
			return pf_fail(st, err_r, ENOMEM, "out of memory");
		ld.path = path;
		r = st->h->read_file(st->h, path, &text, &len, err_r);
		if (r == 0)
			r = mbuf_each_line(text, len, load_line, &ld);
		else if (r == -ENOENT)
			r = 0;
		if (r < 0 && ld.msg)
			*err_r = ld.msg;
		free(text);
		free(path);
		if (r < 0)
			return r;
	}
	return 0;
}

void pf_maps_status(struct pf_state *st, struct webstack_report *r)
{
	for (int i = 0; i < MAP_COUNT; i++) {
		char *path = source_path(i);
		char check[64];

		if (!path)
			return;
		int stale = map_stale(st, path, 1);

		snprintf(check, sizeof(check), "map %s", map_names[i]);
		r->item(r, check, stale ? "missing, older than its source or not "
			"fully updated: run `webstack mail setup`" : "compiled", !stale);
		free(path);
	}
}
