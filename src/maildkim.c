#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dkimkey.h"
#include "fsutil.h"
#include "log.h"
#include "maildkim.h"

static const char *dkim_dir(const struct mail_session *s)
{
	return cfg_getstr(s->c->conf.core, "dkim_dir");
}

static char *domain_dir(const struct mail_session *s, const char *domain)
{
	return xasprintf("%s/%s", dkim_dir(s), domain);
}

/* One "<selector>.key" file: read, checked, added. 1 when the name is not
 * a key's (skipped), 0 when added, -1 on error. */
static int load_key(struct mail_session *s, int dfd, const char *dir,
		    const char *domain, const char *name)
{
	char selector[DKIM_SELECTOR_MAX], gen[DKIM_GEN_MAX], *pub = NULL, *path;
	size_t n = strlen(name);
	struct buf pem = {0};
	enum dkim_alg alg;
	int r;

	if (n < 5 || n - 4 >= sizeof(selector) || strcmp(name + n - 4, ".key") != 0)
		return 1;
	memcpy(selector, name, n - 4);
	selector[n - 4] = '\0';
	if (dkimkey_parse_selector(selector, gen, &alg) < 0)
		return 1;
	path = xasprintf("%s/%s", dir, name);
	r = fs_read_at(dfd, name, &pem, NULL, &s->c->err);
	if (r == 0)
		r = dkimkey_public(pem.data, pem.len, alg, &pub, &s->c->err);
	if (r == 0)
		dir_add_dkim(&s->dir, domain, selector, alg, path, pub);
	else if (r < 0)
		err_prefix(&s->c->err, "DKIM key %s", path);
	buf_free_secret(&pem);
	free(pub);
	free(path);
	return r < 0 ? -1 : 0;
}

int maildkim_load_domain(struct mail_session *s, const char *domain)
{
	char *dir = domain_dir(s, domain);
	int dfd = fs_open_dir(s->c->root, dir, NULL, &s->c->err), r = 0;
	struct dirent *de;
	DIR *d;

	if (dfd < 0) {
		free(dir);
		return s->c->err.code ? -1 : 0;	/* none yet */
	}
	d = fdopendir(dup(dfd));
	if (!d) {
		err_set(&s->c->err, EX_OSERR, "%s: %s", dir, strerror(errno));
		close(dfd);
		free(dir);
		return -1;
	}
	while (r == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.' && load_key(s, dfd, dir, domain, de->d_name) < 0)
			r = -1;
	closedir(d);
	close(dfd);
	free(dir);
	return r;
}

int maildkim_load(struct mail_session *s)
{
	for (size_t i = 0; i < s->dir.domains.n; i++)
		if (maildkim_load_domain(s, s->dir.domains.v[i]) < 0)
			return -1;
	dir_dkim_mark_signing(&s->dir);
	return 0;
}

/* 0640 root:<dkim_key_group> when the group exists, else 0600 root. */
static void key_owner(const struct mail_session *s, mode_t *file_mode,
		      mode_t *dir_mode, gid_t *gid)
{
	struct group *g = getgrnam(cfg_getstr(s->c->conf.core, "dkim_key_group"));

	*gid = g ? g->gr_gid : 0;
	*file_mode = g ? 0640 : 0600;
	*dir_mode = g ? 0750 : 0700;
}

int maildkim_new_generation(struct mail_session *s, const char *domain)
{
	struct strv gens = {0};
	char gen[DKIM_GEN_MAX], *dir = domain_dir(s, domain);
	mode_t fmode, dmode;
	gid_t gid;
	int r;

	for (size_t i = 0; i < s->dir.n_dkim; i++)
		if (strcmp(s->dir.dkim[i].domain, domain) == 0)
			strv_add(&gens, s->dir.dkim[i].gen);
	r = dkimkey_next_generation((const char *const *)gens.v, gens.n,
				    (long)time(NULL), gen, &s->c->err);
	strv_free(&gens);
	key_owner(s, &fmode, &dmode, &gid);
	if (r == 0)
		r = txn_stage_dir(s->c->txn, dkim_dir(s), 0755, 0, 0, &s->c->err);
	if (r == 0)
		r = txn_stage_dir(s->c->txn, dir, dmode, 0, gid, &s->c->err);
	for (int alg = 0; r == 0 && alg < DKIM_ALGS; alg++) {
		char *selector = xasprintf("%s-%s", gen, dkimkey_alg_name(alg));
		char *path = xasprintf("%s/%s.key", dir, selector), *pub = NULL;
		struct buf pem = {0};

		r = dkimkey_generate(alg, (unsigned)cfg_getint(s->c->conf.core,
							       "dkim_rsa_bits"),
				     &pem, &s->c->err);
		if (r == 0)
			r = dkimkey_public(pem.data, pem.len, alg, &pub, &s->c->err);
		if (r == 0)
			r = txn_stage_file(s->c->txn, &(struct webstack_file){
				.path = path, .data = pem.data, .len = pem.len,
				.mode = fmode, .gid = gid, .flags = WEBSTACK_FILE_SECRET},
				&s->c->err);
		if (r == 0)
			dir_add_dkim(&s->dir, domain, selector, alg, path, pub);
		buf_free_secret(&pem);
		free(pub);
		free(path);
		free(selector);
	}
	free(dir);
	if (r == 0)
		dir_dkim_mark_signing(&s->dir);
	return r;
}

int maildkim_fix_modes(struct mail_session *s)
{
	mode_t fmode, dmode;
	gid_t gid;
	int r = 0;

	key_owner(s, &fmode, &dmode, &gid);
	for (size_t i = 0; r == 0 && i < s->dir.n_dkim; i++) {
		const struct dir_dkim *k = &s->dir.dkim[i];
		char *dir = domain_dir(s, k->domain);
		struct buf pem = {0};
		struct stat st;

		r = txn_stage_dir(s->c->txn, dir, dmode, 0, gid, &s->c->err);
		if (r == 0)
			r = fs_read(s->c->root, k->path, &pem, &st, &s->c->err);
		if (r == 0 && ((st.st_mode & 07777) != fmode || st.st_uid != 0 ||
			       st.st_gid != gid)) {
			log_msg(WEBSTACK_LOG_NOTICE, "DKIM key %s: mode %04o, group %ld "
				"(dkim_key_group)", k->path, (unsigned)fmode, (long)gid);
			r = txn_stage_file(s->c->txn, &(struct webstack_file){
				.path = k->path, .data = pem.data, .len = pem.len,
				.mode = fmode, .gid = gid, .flags = WEBSTACK_FILE_SECRET},
				&s->c->err);
		}
		buf_free_secret(&pem);
		free(dir);
	}
	return r < 0 ? -1 : 0;
}

int maildkim_retire(struct mail_session *s, const char *domain, const char *selector)
{
	struct dir_dkim *k = dir_dkim_find(&s->dir, domain, selector);

	if (!k)
		return err_set(&s->c->err, EX_NOUSER, "domain '%s' has no DKIM "
			       "selector '%s': see `webstack mail dkim show %s`",
			       domain, selector, domain);
	if (k->signing)
		return err_set(&s->c->err, EX_DATAERR, "selector '%s' signs %s's "
			       "mail: rotate first (`webstack mail dkim rotate %s`), "
			       "then retire it once its record may go", selector,
			       domain, domain);
	if (txn_stage_remove(s->c->txn, k->path, &s->c->err) < 0)
		return -1;
	dir_del_dkim(&s->dir, domain, selector);
	return 0;
}
