/* ctx.h - the state of one webstack run, shared by the command handlers.
 *
 * main() fills the options from the command line; the ctx_* functions load
 * the configuration and the modules on demand and run the transaction.
 * Ownership: the ctx owns everything it points to except the option strings,
 * which point into argv. */
#ifndef WS_CTX_H
#define WS_CTX_H

#include <stdio.h>

#include "background.h"
#include "conf.h"
#include "err.h"
#include "loader.h"
#include "txn.h"

struct host_priv;

#define CTX_NAME_MAX 64		/* a module name */
#define CTX_MAX_RETIRED 8

enum opt_id {
	OPT_CONFIG, OPT_ROOT, OPT_MODULE_DIR, OPT_DRY_RUN, OPT_JSON, OPT_QUIET,
	OPT_VERBOSE, OPT_VERSION, OPT_HELP,
	OPT_PASSWORD_STDIN, OPT_SCHEME, OPT_MAN, OPT_HOSTNAME, OPT_FORCE, OPT_PURGE,
	OPT_REPAIR, OPT_WAIT,
	OPT_FORMAT, OPT_SERVER, OPT_TSIG_KEY, OPT_TO,
	OPT_COUNT_
};

struct ctx {
	const char *opt[OPT_COUNT_];	/* value, or "1" for a flag, or NULL */
	int verbosity;			/* -q -1, -v +1 each */
	const char *root;		/* "" when no --root */
	char *root_buf;			/* what root points to when it is owned */
	char *config_path;

	struct config conf;
	int conf_loaded;
	struct loader loader;
	int loader_ready, modules_ready;
	struct host_priv **hosts;	/* one per loaded module */
	struct txn *txn;
	struct background bg;		/* taken from the committed txn */
	struct err err;
	/* Modules to load besides the config's, retired from a role
	 * (loader_load_retired()); added by ctx_retire(). */
	struct ctx_retired {
		char name[CTX_NAME_MAX];
		enum webstack_role role;
	} retired[CTX_MAX_RETIRED];
	size_t n_retired;
};

/* Reads webstack.conf (pass 1) once. */
int ctx_config(struct ctx *c);
/* Sets up the loader's search path (after ctx_config). */
int ctx_loader(struct ctx *c);
/* Loads the configured modules, runs pass 2 and conf_check; with init,
 * also calls each module's init(). */
int ctx_modules(struct ctx *c, int init);
/* The transaction: begin takes the lock; commit commits or (dry run)
 * prints the diff, and keeps the lock; end releases it. */
int ctx_begin(struct ctx *c);
int ctx_commit(struct ctx *c);
void ctx_end(struct ctx *c);
/* After the command: runs the background work its committed changes left
 * (background.h), detached unless --wait. -1 with c->err set. */
int ctx_run_background(struct ctx *c);
/* The host table handed to module m. */
const struct webstack_host *ctx_host(struct ctx *c, struct module *m);
void ctx_free(struct ctx *c);

/* The password for a command (cmd_pw.c): argument, stdin or terminal,
 * validated for a scheme that uses at most max_len bytes. */
int ctx_password(struct ctx *c, const char *arg, size_t max_len, char *buf,
		 size_t bufsz);

/* Before ctx_modules(): load module name too, retired from role, so its
 * ops can undo what it did (a backend or filter the config no longer
 * names). Names that are not module names are refused (EX_DATAERR). */
int ctx_retire(struct ctx *c, const char *name, enum webstack_role role);

/* Prints c->err and returns its exit code. */
int ctx_fail(struct ctx *c);

/* 0 when r (a module op's return) is not negative; else -1 with an error
 * naming the module and op, and the sysexits code for -r (EINVAL: 65,
 * ENOENT: 66, EACCES: 77, EIO: 74, ESRCH and EOPNOTSUPP: 69, else 70). */
int ctx_op_result(struct ctx *c, const struct module *m, const char *op, int r,
		  const char *msg);

#endif
