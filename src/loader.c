#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "loader.h"
#include "roles.h"

/* Size of the descriptor up to and including role_ops_size: every module
 * of this major has at least that much. */
#define DESC_MIN_SIZE                                                          \
	(offsetof(struct webstack_module, role_ops_size) + sizeof(uint32_t))

int loader_init(struct loader *ld, const char *const *dirs, struct err *e)
{
	memset(ld, 0, sizeof(*ld));
	if (lt_dlinit() != 0)
		return err_set(e, EX_SOFTWARE, "cannot initialise libltdl: %s",
			       lt_dlerror());
	for (size_t i = 0; dirs && dirs[i]; i++) {
		if (dirs[i][0] != '/')
			return err_set(e, EX_CONFIG,
				       "module directory '%s' is not an absolute path",
				       dirs[i]);
		if (!strv_contains(&ld->dirs, dirs[i]))
			strv_add(&ld->dirs, dirs[i]);
	}
	return 0;
}

static int valid_module_name(const char *name)
{
	if (!(*name >= 'a' && *name <= 'z'))
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return strlen(name) <= 64;
}

/* The file module `name` comes from: the first directory that has it. */
static char *loader_locate(struct loader *ld, const char *name)
{
	for (size_t i = 0; i < ld->dirs.n; i++) {
		char *path = xasprintf("%s/%s.so", ld->dirs.v[i], name);

		if (access(path, F_OK) == 0)
			return path;
		free(path);
	}
	return NULL;
}

static int loader_check_file(const char *path, struct err *e)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return err_set(e, EX_CONFIG, "cannot stat module file '%s': %s",
			       path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(e, EX_CONFIG,
			       "module file '%s' is not a regular file (a symlink or "
			       "device is refused): install the module itself there",
			       path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return err_set(e, EX_CONFIG,
			       "module file '%s' is owned by uid %u, not by root or "
			       "you: refusing to load it (chown root)",
			       path, (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return err_set(e, EX_CONFIG,
			       "module file '%s' is writable by group or others "
			       "(mode %04o): refusing to load it (chmod go-w)",
			       path, (unsigned)(st.st_mode & 07777));
	return 0;
}

static int check_role_ops(const char *name, const struct webstack_module *d,
			  const struct role_info *ri, struct err *e)
{
	if (!d->role_ops)
		return err_set(e, EX_CONFIG,
			       "module '%s' (role %s) has no ops table: rebuild it "
			       "with WEBSTACK_ROLE_OPS()", name, ri->name);
	for (size_t i = 0; i < ri->n_ops; i++) {
		const struct role_op *op = &ri->ops[i];
		void (*fn)(void) = NULL;

		if (!op->required)
			continue;
		if (op->offset + sizeof(fn) <= d->role_ops_size)
			memcpy(&fn, (const char *)d->role_ops + op->offset, sizeof(fn));
		if (!fn)
			return err_set(e, EX_CONFIG,
				       "module '%s' (role %s) lacks the required op "
				       "'%s': implement it and rebuild the module",
				       name, ri->name, op->name);
	}
	return 0;
}

/* Validates a descriptor field by field, ABI fields first. */
static int loader_validate(const char *name, const char *path,
			   const struct webstack_module *d, struct err *e)
{
	const struct role_info *ri;

	if (d->abi_major != WEBSTACK_ABI_MAJOR)
		return err_set(e, EX_CONFIG,
			       "module '%s' (%s) was built for webstack module ABI "
			       "%u.x, this webstack has ABI %u.%u: rebuild the module "
			       "against webstack's ABI %u SDK",
			       name, path, d->abi_major, WEBSTACK_ABI_MAJOR,
			       WEBSTACK_ABI_MINOR, WEBSTACK_ABI_MAJOR);
	if (d->abi_minor > WEBSTACK_ABI_MINOR)
		return err_set(e, EX_CONFIG,
			       "module '%s' (%s) needs module ABI %u.%u, newer than "
			       "this webstack's %u.%u: upgrade webstack or use a "
			       "module built against ABI %u.%u",
			       name, path, d->abi_major, d->abi_minor,
			       WEBSTACK_ABI_MAJOR, WEBSTACK_ABI_MINOR,
			       WEBSTACK_ABI_MAJOR, WEBSTACK_ABI_MINOR);
	if (d->desc_size < DESC_MIN_SIZE)
		return err_set(e, EX_CONFIG,
			       "module '%s' (%s) has a descriptor of %u bytes, too "
			       "small for ABI %u: rebuild it with WEBSTACK_MODULE_DEFINE()",
			       name, path, d->desc_size, WEBSTACK_ABI_MAJOR);
	if (!d->name || strcmp(d->name, name) != 0)
		return err_set(e, EX_CONFIG,
			       "module file '%s' holds a module named '%s', not '%s': "
			       "the name must equal the file name (rename the file "
			       "to %s.so or rebuild it as '%s')",
			       path, d->name ? d->name : "(null)", name,
			       d->name ? d->name : "<name>", name);
	if (!d->version || !d->summary)
		return err_set(e, EX_CONFIG,
			       "module '%s' has no version or summary string: set "
			       ".version and .summary in WEBSTACK_MODULE_DEFINE()",
			       name);
	if (d->flags != 0)
		return err_set(e, EX_CONFIG,
			       "module '%s' sets flags 0x%x that ABI %u.%u does not "
			       "define: rebuild it against this SDK",
			       name, d->flags, WEBSTACK_ABI_MAJOR, WEBSTACK_ABI_MINOR);
	ri = role_get(d->role);
	if (!ri)
		return err_set(e, EX_CONFIG,
			       "module '%s' declares unknown role %d (ABI %u.%u knows "
			       "roles 1 to %d): rebuild it against this SDK",
			       name, (int)d->role, WEBSTACK_ABI_MAJOR,
			       WEBSTACK_ABI_MINOR, WEBSTACK_ROLE_COUNT_ - 1);
	if ((d->init == NULL) != (d->fini == NULL))
		return err_set(e, EX_CONFIG,
			       "module '%s' has init without fini or fini without "
			       "init: provide both or neither", name);
	return check_role_ops(name, d, ri, e);
}

/* A descriptor of ld->linked named name, or NULL. */
static const struct webstack_module *loader_linked(struct loader *ld,
						   const char *name)
{
	for (size_t i = 0; ld->linked && ld->linked[i]; i++)
		if (ld->linked[i]->name && strcmp(ld->linked[i]->name, name) == 0)
			return ld->linked[i];
	return NULL;
}

/* Locates, checks and opens the module file; *d_r gets its descriptor,
 * not yet validated. */
static int loader_dlopen(struct loader *ld, const char *name, struct module *m,
			 const struct webstack_module **d_r, struct err *e)
{
	lt_dladvise advise;

	m->path = loader_locate(ld, name);
	if (!m->path) {
		struct buf where = {0};

		for (size_t i = 0; i < ld->dirs.n; i++)
			buf_printf(&where, "%s%s", i ? ", " : "", ld->dirs.v[i]);
		err_set(e, EX_CONFIG,
			"module '%s' not found: no %s.so in %s (install the "
			"module or fix module_dir / --module-dir)",
			name, name, where.data ? where.data : "(no directory)");
		buf_free(&where);
		return -1;
	}
	if (loader_check_file(m->path, e) < 0)
		return -1;
	if (lt_dladvise_init(&advise) || lt_dladvise_local(&advise)) {
		lt_dladvise_destroy(&advise);
		return err_set(e, EX_SOFTWARE, "libltdl: %s", lt_dlerror());
	}
	m->handle = lt_dlopenadvise(m->path, advise);
	lt_dladvise_destroy(&advise);
	if (!m->handle)
		return err_set(e, EX_CONFIG, "cannot load module '%s' from %s: %s",
			       name, m->path, lt_dlerror());
	*d_r = lt_dlsym(m->handle, "webstack_module");
	if (!*d_r)
		return err_set(e, EX_CONFIG,
			       "'%s' is not a webstack module: it exports no "
			       "%s_LTX_webstack_module (define it with "
			       "WEBSTACK_MODULE_DEFINE)", m->path, name);
	return 0;
}

/* Finds (linked in, else a file: checked and opened) and validates; does
 * not register the module. */
static int loader_open(struct loader *ld, const char *name, struct module *m,
		       struct err *e)
{
	const struct webstack_module *d;

	memset(m, 0, sizeof(*m));
	if (!valid_module_name(name))
		return err_set(e, EX_CONFIG,
			       "'%s' is not a module name (a-z, 0-9 and '_', "
			       "starting with a letter)", name);
	d = loader_linked(ld, name);
	if (d)
		m->path = xstrdup("(linked in)");
	else if (loader_dlopen(ld, name, m, &d, e) < 0)
		return -1;
	if (loader_validate(name, m->path, d, e) < 0)
		return -1;
	m->desc = d;
	m->name = xstrdup(name);
	return 0;
}

static void module_close(struct module *m)
{
	if (m->handle)
		lt_dlclose(m->handle);
	free(m->path);
	free(m->name);
}

struct module *loader_find(struct loader *ld, const char *name)
{
	for (size_t i = 0; i < ld->n_mods; i++)
		if (strcmp(ld->mods[i]->name, name) == 0)
			return ld->mods[i];
	return NULL;
}

struct module *loader_find_role(struct loader *ld, enum webstack_role role)
{
	for (size_t i = 0; i < ld->n_mods; i++)
		if (ld->mods[i]->desc->role == role && !ld->mods[i]->retired)
			return ld->mods[i];
	return NULL;
}

static int load(struct loader *ld, const char *name, enum webstack_role role,
		int retired, struct module **mod_r, struct err *e)
{
	struct module *m = loader_find(ld, name), *other;
	const struct role_info *ri;

	if (!m) {
		m = xmalloc(sizeof(*m));
		if (loader_open(ld, name, m, e) < 0) {
			module_close(m);
			free(m);
			return -1;
		}
		m->retired = retired;
		ri = role_get(m->desc->role);
		other = loader_find_role(ld, m->desc->role);
		if (ri->exclusive && other && !retired) {
			err_set(e, EX_CONFIG,
				"modules '%s' and '%s' both fill the role '%s', "
				"which takes one module: keep one of them in "
				"webstack.conf", other->name, name, ri->name);
			module_close(m);
			free(m);
			return -1;
		}
		ld->mods = xrealloc(ld->mods, (ld->n_mods + 1) * sizeof(*ld->mods));
		ld->mods[ld->n_mods++] = m;
	}
	if (role != WEBSTACK_ROLE_NONE && m->desc->role != role)
		return err_set(e, EX_CONFIG,
			       "module '%s' fills the role '%s', not '%s': name a "
			       "%s module there", name, role_get(m->desc->role)->name,
			       role_get(role)->name, role_get(role)->name);
	if (mod_r)
		*mod_r = m;
	return 0;
}

int loader_load(struct loader *ld, const char *name, enum webstack_role role,
		struct module **mod_r, struct err *e)
{
	return load(ld, name, role, 0, mod_r, e);
}

int loader_load_idle(struct loader *ld, const char *name, enum webstack_role role)
{
	struct module *m = xmalloc(sizeof(*m));
	struct err e = {0};

	if (loader_open(ld, name, m, &e) < 0 || m->desc->role != role) {
		module_close(m);
		free(m);
		return 0;
	}
	m->retired = 1;
	ld->mods = xrealloc(ld->mods, (ld->n_mods + 1) * sizeof(*ld->mods));
	ld->mods[ld->n_mods++] = m;
	return 1;
}

int loader_load_retired(struct loader *ld, const char *name,
			enum webstack_role role, struct module **mod_r,
			struct err *e)
{
	return load(ld, name, role, 1, mod_r, e);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void loader_scan(struct loader *ld,
		 void (*cb)(void *arg, const char *name, const char *path,
			    const struct webstack_module *desc,
			    const struct err *e),
		 void *arg)
{
	struct strv names = {0};

	for (size_t i = 0; i < ld->dirs.n; i++) {
		DIR *dir = opendir(ld->dirs.v[i]);
		struct dirent *de;

		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			size_t len = strlen(de->d_name);
			char *name;

			if (len <= 3 || strcmp(de->d_name + len - 3, ".so") != 0)
				continue;
			name = strndup(de->d_name, len - 3);
			if (name && !strv_contains(&names, name))
				strv_take(&names, name);
			else
				free(name);
		}
		closedir(dir);
	}
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), name_cmp);
	for (size_t i = 0; i < names.n; i++) {
		struct module *loaded = loader_find(ld, names.v[i]);
		struct module m;
		struct err e = {0};

		if (loaded) {
			cb(arg, loaded->name, loaded->path, loaded->desc, NULL);
			continue;
		}
		if (loader_open(ld, names.v[i], &m, &e) == 0)
			cb(arg, names.v[i], m.path, m.desc, NULL);
		else
			cb(arg, names.v[i], m.path, NULL, &e);
		module_close(&m);
	}
	strv_free(&names);
}

void loader_free(struct loader *ld)
{
	for (size_t i = ld->n_mods; i-- > 0;) {
		struct module *m = ld->mods[i];

		if (m->initialized && m->desc->fini)
			m->desc->fini(m->state);
		module_close(m);
		free(m);
	}
	free(ld->mods);
	strv_free(&ld->dirs);
	lt_dlexit();
}
