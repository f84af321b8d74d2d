#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "directory.h"
#include "dkimkey.h"
#include "nameindex.h"
#include "validate.h"

#define GROW(arr, n, cap)                                                      \
	do {                                                                   \
		if ((n) == (cap)) {                                            \
			(cap) = (cap) ? (cap) * 2 : 16;                        \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));       \
		}                                                              \
	} while (0)

/* ---- lookups ----------------------------------------------------------- */

/* The indexes are a cache: a lookup in a const directory may rebuild them. */
#define INDEX(d, member) (&((struct directory *)(d))->member)

int dir_has_domain(const struct directory *d, const char *domain)
{
	return name_index_find(INDEX(d, ix_domains), d->domains.v, sizeof(char *),
			       d->domains.n, domain) != NAME_INDEX_NONE;
}

struct dir_account *dir_account(const struct directory *d, const char *address)
{
	size_t i = name_index_find(INDEX(d, ix_accounts), d->accounts,
				   sizeof(*d->accounts), d->n_accounts, address);

	return i == NAME_INDEX_NONE ? NULL : &d->accounts[i];
}

struct dir_alias *dir_alias(const struct directory *d, const char *address)
{
	size_t i = name_index_find(INDEX(d, ix_aliases), d->aliases,
				   sizeof(*d->aliases), d->n_aliases, address);

	return i == NAME_INDEX_NONE ? NULL : &d->aliases[i];
}

int dir_is_target(const struct directory *d, const char *address)
{
	for (size_t i = 0; i < d->n_aliases; i++)
		if (strv_contains(&d->aliases[i].targets, address))
			return 1;
	return 0;
}

/* After anything that moves or removes elements. */
static void dir_reordered(struct directory *d)
{
	name_index_stale(&d->ix_domains);
	name_index_stale(&d->ix_accounts);
	name_index_stale(&d->ix_aliases);
}

static const char *domain_of(const char *address)
{
	const char *at = strrchr(address, '@');

	return at ? at + 1 : "";
}

size_t dir_domain_accounts(const struct directory *d, const char *domain)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_accounts; i++)
		n += strcmp(d->accounts[i].domain, domain) == 0;
	return n;
}

size_t dir_domain_aliases(const struct directory *d, const char *domain)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_aliases; i++)
		n += strcmp(domain_of(d->aliases[i].address), domain) == 0;
	return n;
}

/* ---- changes ----------------------------------------------------------- */

void dir_add_domain(struct directory *d, const char *domain)
{
	strv_add(&d->domains, domain);
	name_index_added(&d->ix_domains, d->domains.v, sizeof(char *), d->domains.n);
}

void dir_add_account(struct directory *d, const char *address, const char *hash)
{
	struct dir_account *a;
	const char *at = strrchr(address, '@');

	size_t len = strlen(address);

	GROW(d->accounts, d->n_accounts, d->cap_accounts);
	a = &d->accounts[d->n_accounts++];
	/* "address\0local\0" in one piece: the domain is the address's tail. */
	a->address = arena_alloc(&d->strings, 2 * len + 2);
	memcpy(a->address, address, len + 1);
	a->local = a->address + len + 1;
	memcpy(a->local, address, (size_t)(at - address));
	a->local[at - address] = '\0';
	a->domain = a->address + (at - address) + 1;
	a->hash = arena_strdup(&d->strings, hash);
	name_index_added(&d->ix_accounts, d->accounts, sizeof(*d->accounts),
			 d->n_accounts);
}

void dir_set_hash(struct directory *d, struct dir_account *a, const char *hash)
{
	explicit_bzero(a->hash, strlen(a->hash));
	a->hash = arena_strdup(&d->strings, hash);
}

void dir_add_alias_targets(struct directory *d, const char *address,
			   const char *const *targets, size_t n)
{
	struct dir_alias *al = dir_alias(d, address);

	if (!al) {
		GROW(d->aliases, d->n_aliases, d->cap_aliases);
		al = &d->aliases[d->n_aliases++];
		memset(al, 0, sizeof(*al));
		al->address = xstrdup(address);
		name_index_added(&d->ix_aliases, d->aliases, sizeof(*d->aliases),
				 d->n_aliases);
	}
	for (size_t i = 0; i < n; i++)
		if (!strv_contains(&al->targets, targets[i]))
			strv_add(&al->targets, targets[i]);
}

/* The strings stay in the arena until dir_free(); the hash is wiped now. */
static void account_free(struct dir_account *a)
{
	explicit_bzero(a->hash, strlen(a->hash));
}

static void alias_free(struct dir_alias *al)
{
	free(al->address);
	strv_free(&al->targets);
}

static void dkim_free(struct dir_dkim *k)
{
	free(k->domain);
	free(k->selector);
	free(k->path);
	free(k->pub);
}

void dir_del_domain(struct directory *d, const char *domain)
{
	size_t j = 0;

	dir_reordered(d);
	for (size_t i = 0; i < d->domains.n; i++) {
		if (strcmp(d->domains.v[i], domain) == 0)
			free(d->domains.v[i]);
		else
			d->domains.v[j++] = d->domains.v[i];
	}
	d->domains.n = j;
	if (d->domains.v)
		d->domains.v[j] = NULL;
	/* An address of a deleted domain can no longer be an account or an
	 * alias: Postfix would not accept it. */
	j = 0;
	for (size_t i = 0; i < d->n_accounts; i++) {
		if (strcmp(d->accounts[i].domain, domain) == 0)
			account_free(&d->accounts[i]);
		else
			d->accounts[j++] = d->accounts[i];
	}
	d->n_accounts = j;
	j = 0;
	for (size_t i = 0; i < d->n_aliases; i++) {
		if (strcmp(domain_of(d->aliases[i].address), domain) == 0)
			alias_free(&d->aliases[i]);
		else
			d->aliases[j++] = d->aliases[i];
	}
	d->n_aliases = j;
	/* Its keys stay on disk (a re-added domain signs with them again) but
	 * leave the directory: nothing signs for or publishes the domain. */
	j = 0;
	for (size_t i = 0; i < d->n_dkim; i++) {
		if (strcmp(d->dkim[i].domain, domain) == 0)
			dkim_free(&d->dkim[i]);
		else
			d->dkim[j++] = d->dkim[i];
	}
	d->n_dkim = j;
}

void dir_del_account(struct directory *d, const char *address)
{
	struct dir_account *a = dir_account(d, address);

	if (!a)
		return;
	account_free(a);
	/* Kept in order: dir_view() then need not sort. */
	memmove(a, a + 1, (size_t)(d->accounts + --d->n_accounts - a) * sizeof(*a));
	dir_reordered(d);
}

void dir_del_alias(struct directory *d, const char *address)
{
	struct dir_alias *al = dir_alias(d, address);

	if (!al)
		return;
	alias_free(al);
	memmove(al, al + 1, (size_t)(d->aliases + --d->n_aliases - al) * sizeof(*al));
	dir_reordered(d);
}

int dir_target_is(const char *target, const void *address)
{
	const char *at = strrchr(target, '@'), *plus = strchr(target, '+');
	size_t local = (size_t)((plus && plus < at ? plus : at) - target);
	const char *a = address;

	return strncmp(target, a, local) == 0 && a[local] == '@' &&
	       strcmp(at + 1, a + local + 1) == 0;
}

int dir_target_in(const char *target, const void *domain)
{
	return strcmp(strrchr(target, '@') + 1, domain) == 0;
}

/* Prunes one alias; returns 1 when it has no target left. */
static int prune_alias(struct dir_alias *al,
		       int (*drop)(const char *target, const void *arg),
		       const void *arg,
		       void (*note)(const char *alias, const char *target))
{
	size_t j = 0;

	for (size_t k = 0; k < al->targets.n; k++) {
		if (!drop(al->targets.v[k], arg)) {
			al->targets.v[j++] = al->targets.v[k];
			continue;
		}
		if (note)
			note(al->address, al->targets.v[k]);
		free(al->targets.v[k]);
	}
	al->targets.n = j;
	if (al->targets.v)
		al->targets.v[j] = NULL;
	return j == 0;
}

void dir_prune_targets(struct directory *d,
		       int (*drop)(const char *target, const void *arg),
		       const void *arg,
		       void (*note)(const char *alias, const char *target))
{
	struct strv emptied = {0};

	for (size_t i = d->n_aliases; i-- > 0;) {
		if (!prune_alias(&d->aliases[i], drop, arg, note))
			continue;
		strv_add(&emptied, d->aliases[i].address);
		dir_del_alias(d, d->aliases[i].address);
	}
	/* an alias that went is no target any more either */
	for (size_t i = 0; i < emptied.n; i++)
		dir_prune_targets(d, dir_target_is, emptied.v[i], note);
	strv_free(&emptied);
}

/* ---- DKIM keys ---------------------------------------------------------- */

void dir_add_dkim(struct directory *d, const char *domain, const char *selector,
		  int alg, const char *path, const char *pub)
{
	struct dir_dkim *k;
	enum dkim_alg parsed;

	GROW(d->dkim, d->n_dkim, d->cap_dkim);
	k = &d->dkim[d->n_dkim++];
	*k = (struct dir_dkim){.domain = xstrdup(domain), .selector = xstrdup(selector),
			       .path = xstrdup(path), .pub = xstrdup(pub), .alg = alg};
	dkimkey_parse_selector(selector, k->gen, &parsed);
}

struct dir_dkim *dir_dkim_find(const struct directory *d, const char *domain,
			       const char *selector)
{
	for (size_t i = 0; i < d->n_dkim; i++)
		if (strcmp(d->dkim[i].domain, domain) == 0 &&
		    strcmp(d->dkim[i].selector, selector) == 0)
			return &d->dkim[i];
	return NULL;
}

void dir_del_dkim(struct directory *d, const char *domain, const char *selector)
{
	struct dir_dkim *k = dir_dkim_find(d, domain, selector);

	if (!k)
		return;
	dkim_free(k);
	*k = d->dkim[--d->n_dkim];
}

void dir_dkim_mark_signing(struct directory *d)
{
	for (size_t i = 0; i < d->n_dkim; i++) {
		d->dkim[i].signing = 1;
		for (size_t j = 0; j < d->n_dkim && d->dkim[i].signing; j++)
			if (strcmp(d->dkim[j].domain, d->dkim[i].domain) == 0 &&
			    strcmp(d->dkim[j].gen, d->dkim[i].gen) > 0)
				d->dkim[i].signing = 0;
	}
}

/* ---- the view for modules ---------------------------------------------- */

static int cmp_account(const void *a, const void *b)
{
	return strcmp(((const struct dir_account *)a)->address,
		      ((const struct dir_account *)b)->address);
}

static int cmp_dkim(const void *a, const void *b)
{
	const struct dir_dkim *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	return c ? c : strcmp(x->selector, y->selector);
}

static int cmp_alias(const void *a, const void *b)
{
	return strcmp(((const struct dir_alias *)a)->address,
		      ((const struct dir_alias *)b)->address);
}

/* The files are written sorted, so what a load fills usually is, but for
 * the lines commands appended since (`mail add account`): checking costs n
 * comparisons; then only that tail is sorted and merged in from the back,
 * in n moves, where a qsort of everything costs n log n (and the indexes
 * would need a rebuild anyway). Returns 1 when anything moved. */
static int sort_unless_sorted(void *base, size_t n, size_t size,
			      int (*cmp)(const void *, const void *))
{
	char *p = base, *tail;
	size_t head = 1, i, j, k;

	while (head < n && cmp(p + (head - 1) * size, p + head * size) <= 0)
		head++;
	if (head >= n)
		return 0;
	qsort(p + head * size, n - head, size, cmp);
	tail = xmalloc((n - head) * size);
	memcpy(tail, p + head * size, (n - head) * size);
	for (i = head, j = n - head, k = n; j > 0; k--) {
		if (i > 0 && cmp(p + (i - 1) * size, tail + (j - 1) * size) > 0) {
			memcpy(p + (k - 1) * size, p + (i - 1) * size, size);
			i--;
		} else {
			memcpy(p + (k - 1) * size, tail + (j - 1) * size, size);
			j--;
		}
	}
	free(tail);
	return 1;
}

int dir_check_accounts(struct directory *d, struct err *e)
{
	if (sort_unless_sorted(d->accounts, d->n_accounts, sizeof(*d->accounts),
			       cmp_account))
		name_index_stale(&d->ix_accounts);
	for (size_t i = 1; i < d->n_accounts; i++)
		if (strcmp(d->accounts[i - 1].address, d->accounts[i].address) == 0)
			return err_set(e, EX_DATAERR, "account '%s' is listed twice",
				       d->accounts[i].address);
	return 0;
}

void dir_sort(struct directory *d)
{
	strv_sort(&d->domains);
	name_index_stale(&d->ix_domains);
	if (sort_unless_sorted(d->accounts, d->n_accounts, sizeof(*d->accounts),
			       cmp_account))
		name_index_stale(&d->ix_accounts);
	if (sort_unless_sorted(d->aliases, d->n_aliases, sizeof(*d->aliases), cmp_alias))
		name_index_stale(&d->ix_aliases);
	sort_unless_sorted(d->dkim, d->n_dkim, sizeof(*d->dkim), cmp_dkim);
}

void dir_view(struct directory *d, struct webstack_directory *view)
{
	dir_sort(d);
	free(d->v_accounts);
	free(d->v_aliases);
	free(d->v_dkim);
	d->v_dkim = xmalloc((d->n_dkim + 1) * sizeof(*d->v_dkim));
	for (size_t i = 0; i < d->n_dkim; i++)
		d->v_dkim[i] = (struct webstack_dkim_key){
			.domain = d->dkim[i].domain,
			.selector = d->dkim[i].selector,
			.algorithm = dkimkey_alg_name((enum dkim_alg)d->dkim[i].alg),
			.key_path = d->dkim[i].path,
			.public_key = d->dkim[i].pub,
			.signing = d->dkim[i].signing,
		};
	d->v_accounts = xmalloc((d->n_accounts + 1) * sizeof(*d->v_accounts));
	d->v_aliases = xmalloc((d->n_aliases + 1) * sizeof(*d->v_aliases));
	for (size_t i = 0; i < d->n_accounts; i++)
		d->v_accounts[i] = (struct webstack_account){
			.address = d->accounts[i].address,
			.local = d->accounts[i].local,
			.domain = d->accounts[i].domain,
			.password_hash = d->accounts[i].hash,
		};
	for (size_t i = 0; i < d->n_aliases; i++)
		d->v_aliases[i] = (struct webstack_alias){
			.address = d->aliases[i].address,
			.targets = (const char *const *)d->aliases[i].targets.v,
			.n_targets = d->aliases[i].targets.n,
		};
	*view = (struct webstack_directory){
		.domains = (const char *const *)d->domains.v,
		.n_domains = d->domains.n,
		.accounts = d->v_accounts,
		.n_accounts = d->n_accounts,
		.aliases = d->v_aliases,
		.n_aliases = d->n_aliases,
		.dkim_keys = d->v_dkim,
		.n_dkim_keys = d->n_dkim,
	};
}

void dir_copy(const struct directory *from, struct directory *to)
{
	for (size_t i = 0; i < from->domains.n; i++)
		dir_add_domain(to, from->domains.v[i]);
	for (size_t i = 0; i < from->n_accounts; i++)
		dir_add_account(to, from->accounts[i].address, from->accounts[i].hash);
	for (size_t i = 0; i < from->n_aliases; i++)
		dir_add_alias_targets(to, from->aliases[i].address,
				      (const char *const *)from->aliases[i].targets.v,
				      from->aliases[i].targets.n);
}

void dir_free(struct directory *d)
{
	strv_free(&d->domains);
	for (size_t i = 0; i < d->n_accounts; i++)
		account_free(&d->accounts[i]);
	free(d->accounts);
	for (size_t i = 0; i < d->n_aliases; i++)
		alias_free(&d->aliases[i]);
	free(d->aliases);
	for (size_t i = 0; i < d->n_dkim; i++)
		dkim_free(&d->dkim[i]);
	free(d->dkim);
	free(d->v_accounts);
	free(d->v_aliases);
	free(d->v_dkim);
	name_index_free(&d->ix_domains);
	name_index_free(&d->ix_accounts);
	name_index_free(&d->ix_aliases);
	arena_free(&d->strings);
	memset(d, 0, sizeof(*d));
}

/* ---- the sink: what the modules' files hold, checked ------------------- */

#define SINK(s) ((struct dir_sink *)(s))

static int sink_fail(struct webstack_directory_sink *s, const char **err_r)
{
	*err_r = SINK(s)->e.msg;
	return -EINVAL;
}

/* Files hold names as webstack writes them; anything else was edited by
 * hand and is refused rather than guessed at. */
enum name_kind { DOMAIN, ADDRESS, TARGET };

static int check_normal(struct webstack_directory_sink *s, const char *in,
			enum name_kind kind, char *out, const char **err_r)
{
	struct err *e = &SINK(s)->e;
	int r = kind == DOMAIN ? validate_domain(in, out, VALIDATE_DOMAIN_MAX + 1, e) :
		kind == ADDRESS ?
			validate_address(in, out, VALIDATE_ADDRESS_MAX + 1, NULL, e) :
			validate_target(in, out, VALIDATE_ADDRESS_MAX + 1, e);

	if (r < 0)
		return sink_fail(s, err_r);
	if (strcmp(in, out) != 0) {
		err_set(e, EX_DATAERR, "'%s' is not in normal form: write '%s'", in, out);
		return sink_fail(s, err_r);
	}
	return 0;
}

static int sink_domain(struct webstack_directory_sink *s, const char *name,
		       const char **err_r)
{
	char out[VALIDATE_DOMAIN_MAX + 1];

	if (check_normal(s, name, DOMAIN, out, err_r) < 0)
		return -1;
	if (dir_has_domain(SINK(s)->dir, name)) {
		err_set(&SINK(s)->e, EX_DATAERR, "domain '%s' is listed twice", name);
		return sink_fail(s, err_r);
	}
	dir_add_domain(SINK(s)->dir, name);
	return 0;
}

/* Does the word hold a byte that is <= ' ', ':' or DEL? Eight bytes at a
 * time ("Bit Twiddling Hacks": hasless and haszero, exact as a yes/no): a
 * byte loop over the hashes of 100,000 accounts was a sixth of `list`. */
#define BYTES(c) (0x0101010101010101ULL * (c))
static int word_bad(uint64_t x)
{
	uint64_t colon = x ^ BYTES(':'), del = x ^ BYTES(0x7f);

	return (((x - BYTES(0x21)) & ~x) | ((colon - BYTES(1)) & ~colon) |
		((del - BYTES(1)) & ~del)) & BYTES(0x80) ? 1 : 0;
}

/* "{SCHEME}hash" with nothing that could split a passwd-file line. */
static int hash_ok(const char *h)
{
	size_t n = strlen(h), i = 0;

	if (h[0] != '{' || !memchr(h, '}', n))
		return 0;
	for (uint64_t x; i + 8 <= n; i += 8) {
		memcpy(&x, h + i, 8);
		if (word_bad(x))
			return 0;
	}
	for (; i < n; i++)
		if ((unsigned char)h[i] <= ' ' || h[i] == ':' || h[i] == 0x7f)
			return 0;
	return 1;
}

static int sink_account(struct webstack_directory_sink *s, const char *address,
			const char *hash, const char **err_r)
{
	char out[VALIDATE_ADDRESS_MAX + 1];

	if (check_normal(s, address, ADDRESS, out, err_r) < 0)
		return -1;
	if (!hash_ok(hash)) {
		err_set(&SINK(s)->e, EX_DATAERR,
			"account '%s': the password field is not a {SCHEME}hash; "
			"set a new one with `webstack mail passwd %s`", address, address);
		return sink_fail(s, err_r);
	}
	/* twice: dir_check_accounts() after the load, which needs no index
	 * of 100,000 names built one insert at a time */
	if (SINK(s)->schemes_only) {
		char scheme[64];
		size_t len = (size_t)(strchr(hash, '}') - hash + 1);

		if (len >= sizeof(scheme))
			len = sizeof(scheme) - 1;
		memcpy(scheme, hash, len);
		scheme[len] = '\0';
		dir_add_account(SINK(s)->dir, address, scheme);
	} else {
		dir_add_account(SINK(s)->dir, address, hash);
	}
	return 0;
}

static int sink_alias(struct webstack_directory_sink *s, const char *address,
		      const char *const *targets, size_t n, const char **err_r)
{
	char out[VALIDATE_ADDRESS_MAX + 1];

	if (check_normal(s, address, ADDRESS, out, err_r) < 0)
		return -1;
	if (n == 0) {
		err_set(&SINK(s)->e, EX_DATAERR, "alias '%s' has no target", address);
		return sink_fail(s, err_r);
	}
	for (size_t i = 0; i < n; i++)
		if (check_normal(s, targets[i], TARGET, out, err_r) < 0)
			return -1;
	if (dir_alias(SINK(s)->dir, address)) {
		err_set(&SINK(s)->e, EX_DATAERR, "alias '%s' is listed twice", address);
		return sink_fail(s, err_r);
	}
	dir_add_alias_targets(SINK(s)->dir, address, targets, n);
	return 0;
}

void dir_sink_init(struct dir_sink *s, struct directory *dir)
{
	memset(s, 0, sizeof(*s));
	s->sink = (struct webstack_directory_sink){
		.domain = sink_domain,
		.account = sink_account,
		.alias = sink_alias,
		.priv = s,
	};
	s->dir = dir;
}
