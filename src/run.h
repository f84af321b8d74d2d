/* run.h - run a program: argv, no shell, clean environment, no leaked fds.
 *
 * The child gets input (may be NULL) on stdin through an anonymous memory
 * file, so secrets never appear in argv or the environment, and a child
 * that does not read its input cannot block webstack. stdout and stderr go
 * to another memory file that is read after the child exits, so a daemon
 * that keeps it open cannot hang webstack either. Every other descriptor is
 * closed in the child. The environment is PATH, LANG=C and nothing else. */
#ifndef WS_RUN_H
#define WS_RUN_H

#include <stddef.h>

#include "err.h"

/* Returns 0 when the program ran (*status_r = exit status, or -1 when a
 * signal killed it) or -1 when it could not be started (EX_UNAVAILABLE for
 * a missing program, EX_OSERR otherwise). *output_r (when output_r is not
 * NULL) is malloc()ed and NUL-terminated; the caller frees it. */
int run_program(const char *const argv[], const void *input, size_t input_len,
		char **output_r, int *status_r, struct err *e);

/* "a b c" rendering of argv for messages. Caller frees. */
char *run_argv_string(const char *const argv[]);

#endif
