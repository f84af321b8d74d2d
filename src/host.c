#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctx.h"
#include "fsutil.h"
#include "host.h"
#include "log.h"
#include "run.h"
#include "service.h"

#define PRIV(h) ((struct host_priv *)(h)->priv)

/* Converts a core error into the host convention: -errno and *err_r. */
static int host_fail(const struct webstack_host *h, const char **err_r, int errnum)
{
	*err_r = PRIV(h)->err.msg;
	return -errnum;
}

static void host_log(const struct webstack_host *h, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, PRIV(h)->who, fmt, ap);
	va_end(ap);
}

static int host_run(const struct webstack_host *h, const char *const argv[],
		    const void *input, size_t input_len, char **output_r,
		    int *status_r, const char **err_r)
{
	if (run_program(argv, input, input_len, output_r, status_r,
			&PRIV(h)->err) < 0)
		return host_fail(h, err_r, PRIV(h)->err.code == EX_UNAVAILABLE ?
					   ENOENT : EIO);
	return 0;
}

static char *host_path(const struct webstack_host *h, const char *logical)
{
	return fs_real(PRIV(h)->ctx->root, logical);
}

static struct txn *host_txn(const struct webstack_host *h, const char **err_r)
{
	struct txn *t = PRIV(h)->ctx->txn;

	if (!t) {
		err_set(&PRIV(h)->err, EX_SOFTWARE,
			"module %s staged a change outside a transaction",
			PRIV(h)->who);
		*err_r = PRIV(h)->err.msg;
	}
	return t;
}

static int host_read_file(const struct webstack_host *h, const char *path,
			  char **data_r, size_t *len_r, const char **err_r)
{
	struct txn *t = PRIV(h)->ctx->txn;
	struct buf b = {0};
	int r;

	r = t ? txn_read(t, path, &b, &PRIV(h)->err) :
		fs_read(PRIV(h)->ctx->root, path, &b, NULL, &PRIV(h)->err);
	if (r != 0) {
		buf_free(&b);
		if (r > 0) {
			err_set(&PRIV(h)->err, EX_NOINPUT, "%s does not exist", path);
			return host_fail(h, err_r, ENOENT);
		}
		return host_fail(h, err_r, EIO);
	}
	*len_r = b.len;
	*data_r = buf_steal(&b);
	return 0;
}

static int host_stage_file(const struct webstack_host *h,
			   const struct webstack_file *f, const char **err_r)
{
	struct txn *t = host_txn(h, err_r);

	if (!t)
		return -EINVAL;
	return txn_stage_file(t, f, &PRIV(h)->err) < 0 ? host_fail(h, err_r, EINVAL) : 0;
}

static int host_stage_dir(const struct webstack_host *h, const char *path,
			  mode_t mode, uid_t uid, gid_t gid, const char **err_r)
{
	struct txn *t = host_txn(h, err_r);

	if (!t)
		return -EINVAL;
	return txn_stage_dir(t, path, mode, uid, gid, &PRIV(h)->err) < 0 ?
		       host_fail(h, err_r, EINVAL) : 0;
}

static int host_stage_remove(const struct webstack_host *h, const char *path,
			     const char **err_r)
{
	struct txn *t = host_txn(h, err_r);

	if (!t)
		return -EINVAL;
	return txn_stage_remove(t, path, &PRIV(h)->err) < 0 ?
		       host_fail(h, err_r, EINVAL) : 0;
}

static int host_stage_append(const struct webstack_host *h,
			     const struct webstack_file *f, const char **err_r)
{
	struct txn *t = host_txn(h, err_r);

	if (!t)
		return -EINVAL;
	return txn_stage_append(t, f, &PRIV(h)->err) < 0 ?
		       host_fail(h, err_r, EINVAL) : 0;
}

/* bg: -1 for a call after the commit, else a background call, locked
 * when 1. */
static int defer(const struct webstack_host *h, const struct txn_call *call, int bg,
		 const char **err_r)
{
	struct txn *t = host_txn(h, err_r);

	if (!t) {
		if (call->release)
			call->release(call->arg);
		return -EINVAL;
	}
	if (bg < 0)
		txn_defer_call(t, call);
	else
		txn_defer_background(t, call, bg);
	return 0;
}

static int host_defer_call(const struct webstack_host *h, const char *what,
			   int (*fn)(void *arg, const char **err_r), void *arg,
			   void (*release)(void *arg), const char **err_r)
{
	return defer(h, &(struct txn_call){.what = what, .fn = fn, .arg = arg,
					   .release = release}, -1, err_r);
}

static int host_defer_background(const struct webstack_host *h, const char *what,
				 int (*fn)(void *arg, const char **err_r), void *arg,
				 void (*release)(void *arg), unsigned flags,
				 const char **err_r)
{
	return defer(h, &(struct txn_call){.what = what, .fn = fn, .arg = arg,
					   .release = release},
		     (flags & WEBSTACK_BG_LOCKED) != 0, err_r);
}

static int host_defer_run(const struct webstack_host *h, const char *const argv[],
			  const char **err_r)
{
	struct txn *t = host_txn(h, err_r);

	if (!t)
		return -EINVAL;
	txn_defer_run(t, argv);
	return 0;
}

static int host_defer_service(const struct webstack_host *h,
			      const struct webstack_service *svc,
			      enum webstack_service_action act, const char **err_r)
{
	struct txn *t = host_txn(h, err_r);

	if (!t)
		return -EINVAL;
	txn_defer_service(t, svc, act);
	return 0;
}


static int host_service(const struct webstack_host *h,
			const struct webstack_service *svc,
			enum webstack_service_action act, const char **err_r)
{
	int r = service_control(svc, act, &PRIV(h)->err);

	if (r < 0)
		return host_fail(h, err_r, EIO);
	if (r == 1) {
		err_set(&PRIV(h)->err, EX_UNAVAILABLE, "%s is not running", svc->name);
		return host_fail(h, err_r, ESRCH);
	}
	return 0;
}

static int host_lookup_user(const struct webstack_host *h, const char *name,
			    uid_t *uid_r, gid_t *gid_r, const char **err_r)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		err_set(&PRIV(h)->err, EX_NOUSER, "no system user '%s'", name);
		return host_fail(h, err_r, ENOENT);
	}
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return 0;
}

void host_init(struct host_priv *hp, struct ctx *ctx, const char *who)
{
	memset(hp, 0, sizeof(*hp));
	hp->ctx = ctx;
	hp->who = who;
	hp->host = (struct webstack_host){
		.size = sizeof(struct webstack_host),
		.priv = hp,
		.log = host_log,
		.run = host_run,
		.path = host_path,
		.read_file = host_read_file,
		.stage_file = host_stage_file,
		.stage_dir = host_stage_dir,
		.stage_remove = host_stage_remove,
		.defer_run = host_defer_run,
		.defer_service = host_defer_service,
		.service = host_service,
		.lookup_user = host_lookup_user,
		.defer_call = host_defer_call,
		.stage_append = host_stage_append,
		.defer_background = host_defer_background,
	};
}
