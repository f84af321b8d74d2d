/* loader.h - find, check and open modules with libltdl.
 *
 * The search path is explicit: the directories given by the caller, in
 * order (--module-dir, then module_dir from webstack.conf, then the
 * compiled-in moduledir); never the current directory, never environment
 * variables. A module "name" is the file <dir>/<name>.so of the first
 * directory that has one. Before it is opened the file must be a regular
 * file owned by root or the caller and writable by nobody else; it is
 * opened with local binding, and every descriptor field is validated before
 * the module is used.
 *
 * Ownership: the loader owns every struct module and the libltdl handles;
 * descriptors point into the loaded objects, which stay mapped until
 * loader_free() (modules are never unloaded before the process ends, except
 * by loader_free()).
 *
 * Linked descriptors: a program may set `linked` to descriptors linked into
 * it; a name found there is used before the search path, validated like a
 * module file's descriptor, and nothing is opened for it (path "(linked
 * in)"; loader_scan() does not list them). webstack itself links none: the
 * fuzz targets use it to run the config passes over the in-tree modules
 * without dlopen(). */
#ifndef WS_LOADER_H
#define WS_LOADER_H

#include <ltdl.h>

#include <webstack/module.h>

#include "err.h"
#include "strv.h"

struct module {
	char *name;
	char *path;				/* the .so that was opened */
	const struct webstack_module *desc;	/* validated */
	lt_dlhandle handle;
	void *state;				/* from init(), until fini() */
	int initialized;
	int retired;	/* loaded to undo what it did, or idle (loader_load_idle()),
			   not to fill its role */
};

struct loader {
	struct strv dirs;
	struct module **mods;	/* loaded, in load order */
	size_t n_mods;
	/* NULL-terminated, borrowed; set after loader_init(). Usually NULL. */
	const struct webstack_module *const *linked;
};

/* Initialises libltdl and records the search directories (copied). */
int loader_init(struct loader *ld, const char *const *dirs, struct err *e);

/* Loads module `name` and validates it. When role is not NONE, the module
 * must fill that role. Loading a module twice returns the first one. A
 * second module for an exclusive role is refused. On success *mod_r (may be
 * NULL) points to the module, owned by the loader. Failures: EX_CONFIG. */
int loader_load(struct loader *ld, const char *name, enum webstack_role role,
		struct module **mod_r, struct err *e);

/* Loads module name idle, like a retired one, when it exists and fills
 * role; returns 1 then, else 0 (the caller's later checks report a name
 * that is no such module). */
int loader_load_idle(struct loader *ld, const char *name, enum webstack_role role);

/* Loads a module that filled role before the config named another one
 * (say, the firewall backend that opened the ports), so the core can undo
 * its work. It never counts as filling the role. A module already loaded
 * is returned as it is. */
int loader_load_retired(struct loader *ld, const char *name,
			enum webstack_role role, struct module **mod_r,
			struct err *e);

/* The loaded module filling role (never a retired one), or NULL. */
struct module *loader_find_role(struct loader *ld, enum webstack_role role);
struct module *loader_find(struct loader *ld, const char *name);

/* Calls cb for every "<name>.so" in the search path (first directory wins
 * for a name), in name order, with either a validated descriptor or the
 * error that keeps it from loading. Does not count as loading it. */
void loader_scan(struct loader *ld,
		 void (*cb)(void *arg, const char *name, const char *path,
			    const struct webstack_module *desc,
			    const struct err *e),
		 void *arg);

/* Calls fini() of initialised modules in reverse order, closes all. */
void loader_free(struct loader *ld);

#endif
