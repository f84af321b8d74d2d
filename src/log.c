#include "config.h"

#include <stdio.h>

#include "log.h"

static int verbosity;

void log_set_verbosity(int v)
{
	verbosity = v;
}

int log_verbosity(void)
{
	return verbosity;
}

static int log_wanted(int prio)
{
	if (prio <= WEBSTACK_LOG_WARNING)
		return 1;
	if (prio == WEBSTACK_LOG_NOTICE)
		return verbosity >= 0;
	if (prio == WEBSTACK_LOG_INFO)
		return verbosity >= 1;
	return verbosity >= 2;
}

void log_vmsg(int prio, const char *who, const char *fmt, va_list ap)
{
	if (!log_wanted(prio))
		return;
	fputs("webstack: ", stderr);
	if (who)
		fprintf(stderr, "[%s] ", who);
	if (prio == WEBSTACK_LOG_WARNING)
		fputs("warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, NULL, fmt, ap);
	va_end(ap);
}
