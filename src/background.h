/* background.h - the work a command leaves for after it returns.
 *
 * A module queues such a call (host defer_background()) for what may
 * take a while but need not hold the command up: `mail add account` lets
 * Dovecot pick up the new users file (up to a second, and a re-read of
 * the whole file) and only then puts the address into Postfix's map, so
 * Postfix never accepts mail that Dovecot cannot deliver yet.
 *
 * After a successful commit, once the command has released its lock, the
 * calls run in queue order in a grandchild of the command: its own
 * session, standard streams on /dev/null, failures to syslog (facility
 * mail). A call queued as locked runs holding webstack's lock again (the
 * child takes it, and so finishes an interrupted transaction first), so
 * it is serialised with every other webstack. With --wait the command
 * runs them itself before it returns, and reports the first failure.
 * A failed call does not stop the later ones: each leaves things that
 * the next command or `mail check --repair` puts right. Detached, the
 * calls wait up to 600 s for the lock (ctx.c): nobody waits for them.
 *
 * Ownership: the list copies each call's `what`; the arg stays the
 * module's until its release(), which runs once, in every process that
 * holds the list (both the command and the child release their copies). */
#ifndef WS_BACKGROUND_H
#define WS_BACKGROUND_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct txn_call;
struct txn_options;

struct background {
	struct bg_call *v;
	size_t n, cap;
};

void background_add(struct background *b, const struct txn_call *call, int locked);

/* Writes "# would then ..." for each call; returns how many. */
size_t background_print(const struct background *b, FILE *out);

/* Runs the calls and releases them: detached (the caller goes on at
 * once; -1 only when no child could be made) or here (-1 with the first
 * failure in e). lock says how to take the lock for locked calls. */
int background_run(struct background *b, const struct txn_options *lock,
		   int detach, struct err *e);

/* Releases every call without running it and frees the list. */
void background_release(struct background *b);

#endif
