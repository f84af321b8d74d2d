/* err.h - an error with its sysexits code and a message for the admin.
 *
 * Core functions that can fail take a struct err * and return -1 after
 * err_set(); the caller either passes it up or prints it and exits with
 * e->code. The message names the thing and says what to do. */
#ifndef WS_ERR_H
#define WS_ERR_H

#include <sysexits.h>

struct err {
	int code;	/* EX_* from sysexits.h; 0 while no error is set */
	char msg[1024];
};

/* Sets code and message (printf format) and returns -1. */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the current message with "<prefix>: ", keeps the code; returns -1. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
