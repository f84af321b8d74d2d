/* log.h - messages to stderr, filtered by -q/-v.
 *
 * Errors and warnings always print ("webstack: ..."); notices print unless
 * -q; info and debug need -v (once, twice). A module's messages carry its
 * name: "webstack: [postfix] ...". */
#ifndef WS_LOG_H
#define WS_LOG_H

#include <stdarg.h>

#include <webstack/host.h>

/* verbosity: -1 quiet, 0 normal, 1 verbose, 2 debug */
void log_set_verbosity(int verbosity);
int log_verbosity(void);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int prio, const char *who, const char *fmt, va_list ap);

#endif
