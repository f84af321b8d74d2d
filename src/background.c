#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "background.h"
#include "buf.h"
#include "log.h"
#include "txn.h"

struct bg_call {
	struct txn_call call;	/* call.what is a copy */
	int locked;
};

void background_add(struct background *b, const struct txn_call *call, int locked)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 4;
		b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
	}
	b->v[b->n].call = *call;
	b->v[b->n].call.what = xstrdup(call->what);
	b->v[b->n++].locked = locked;
}

size_t background_print(const struct background *b, FILE *out)
{
	for (size_t i = 0; i < b->n; i++)
		fprintf(out, "# would then, in the background, %s\n", b->v[i].call.what);
	return b->n;
}

static void release_one(struct txn_call *c)
{
	if (c->release)
		c->release(c->arg);
	free((char *)c->what);
	memset(c, 0, sizeof(*c));
}

void background_release(struct background *b)
{
	for (size_t i = 0; i < b->n; i++)
		release_one(&b->v[i].call);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

/* Runs every call in order; the first failure goes into e, or to syslog
 * when detached (then every failure does). */
static int run_calls(struct background *b, const struct txn_options *lock,
		     int detached, struct err *e)
{
	struct txn *t = NULL;
	int failed = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct txn_call *c = &b->v[i].call;
		struct err le = {0};
		const char *msg = NULL;
		int r = 0;

		if (b->v[i].locked && !t && txn_begin(&t, lock, &le) < 0) {
			t = NULL;
			msg = le.msg;
			r = -1;
		}
		if (r == 0) {
			log_msg(WEBSTACK_LOG_INFO, "%s", c->what);
			r = c->fn(c->arg, &msg);
		}
		if (r != 0 && detached)
			syslog(LOG_ERR, "after a change, cannot %s: %s", c->what,
			       msg ? msg : "failed");
		else if (r != 0 && !failed)
			err_set(e, EX_UNAVAILABLE, "the change is committed, but "
				"cannot %s: %s", c->what, msg ? msg : "failed");
		failed |= r != 0;
		release_one(c);
	}
	txn_end(t);
	background_release(b);
	return failed ? -1 : 0;
}

/* The grandchild: no terminal, no inherited output that a caller (a
 * script reading the command's output) would wait on. */
static void detach_and_run(struct background *b, const struct txn_options *lock)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct err ignore = {0};

	setsid();
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	openlog("webstack", LOG_PID, LOG_MAIL);
	run_calls(b, lock, 1, &ignore);
	closelog();
}

int background_run(struct background *b, const struct txn_options *lock,
		   int detach, struct err *e)
{
	pid_t pid;
	int status;

	if (b->n == 0)
		return 0;
	if (!detach)
		return run_calls(b, lock, 0, e);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		background_release(b);
		return err_set(e, EX_OSERR, "the change is committed, but no process "
			       "could be started to finish it (%s): run `webstack "
			       "mail check --repair`", strerror(errno));
	}
	if (pid == 0) {
		if (fork() == 0)
			detach_and_run(b, lock);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	background_release(b);	/* the child runs its own copies */
	return 0;
}
