/* conf.h - webstack.conf, parsed with libconfuse in two passes.
 *
 * Pass 1 reads the core options (which module fills each role, paths,
 * password scheme...) and skips the module sections. The core then loads the
 * modules those options name. Pass 2 parses the whole file again, strictly:
 * the core options plus one section per loaded module with that module's own
 * options. Unknown options, a section for a module that is not loaded, wrong
 * types and duplicate titled sections are errors with file:line (EX_CONFIG).
 * Finally each module's conf_check() runs.
 *
 * Ownership: struct config owns both cfg_t trees and every string it hands
 * out; they stay valid until config_free(). */
#ifndef WS_CONF_H
#define WS_CONF_H

#include <confuse.h>

#include <webstack/mail.h>
#include <webstack/module.h>

#include "err.h"
#include "loader.h"
#include "password.h"
#include "strv.h"

/* directory = "files" (the default): no module fills the directory role;
 * the mta and imap modules' own files are the directory. */
#define CONF_DIRECTORY_FILES "files"

struct config {
	char *path;		/* the file read, or NULL when none exists */
	char *text;		/* its text, comments blanked */
	cfg_t *core;		/* pass 1 */
	cfg_t *full;		/* pass 2, NULL until config_parse_modules() */
	cfg_opt_t *full_opts;	/* option table of pass 2 */

	/* Values of pass 1, borrowed from `core`. */
	const char *role_module[WEBSTACK_ROLE_COUNT_]; /* "" when unfilled */
	const char *module_dir;	/* "" when unset */
	const char *lock_file;
	unsigned lock_timeout;
	size_t password_min_length;
	struct password_params password;
	unsigned char service_enabled[WEBSTACK_SVC_COUNT_];
	struct strv sections;	/* names of the top-level module sections */
};

/* Service names as used in `service "NAME" { enabled = false }`. */
const char *config_service_name(enum webstack_mail_service s);
/* The TCP port a mail service listens on (25, 465, ...). */
unsigned config_service_port(enum webstack_mail_service s);

/* Pass 1. path is the file to read; when must_exist is 0 and it does not
 * exist, all defaults apply. */
int config_load(struct config *c, const char *path, int must_exist,
		struct err *e);

/* Loads the module of every filled role and every name in `modules`. */
int config_load_modules(struct config *c, struct loader *ld, struct err *e);

/* Pass 2 over the loaded modules, then each module's conf_check(). */
int config_parse_modules(struct config *c, struct loader *ld,
			 const struct webstack_host *(*host_for)(void *arg,
								 struct module *m),
			 void *arg, struct err *e);

/* A loaded module's section of pass 2 (NULL before pass 2). */
cfg_t *config_module_section(struct config *c, const char *name);

void config_free(struct config *c);

#endif
