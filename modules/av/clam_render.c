#include "config.h"

/* The text of every file the clamav module writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clamav.h"

#define HEADER "# Written by webstack(8), module clamav: `webstack mail setup`\n" \
	       "# rewrites it.\n"

void clam_render_clamd(struct mbuf *b)
{
	mbuf_puts(b, HEADER);
	mbuf_puts(b, "LocalSocket " CLAMD_SOCKET "\n"
		  "FixStaleSocket true\n"
		  "LocalSocketGroup " CLAM_USER "\n"
		  "LocalSocketMode 660\n"
		  "User " CLAM_USER "\n"
		  "PidFile " CLAMD_PID "\n"
		  "DatabaseDirectory " CLAM_DB_DIR "\n"
		  "LogSyslog true\n"
		  "LogFacility LOG_MAIL\n"
		  "Foreground false\n");
}

void clam_render_milter(struct mbuf *b, const char *hostname, int on_fail_accept)
{
	mbuf_puts(b, HEADER);
	/* clamav-milter's own daemonizing can hang its parent
	 * (Cisco-Talos/clamav#798): it stays in front and is put in the
	 * background by start-stop-daemon or systemd */
	mbuf_puts(b, "Foreground yes\n"
		  "MilterSocket unix:" MILTER_SOCKET "\n"
		  /* the directory is setgid postfix: Postfix may connect */
		  "MilterSocketMode 660\n"
		  "FixStaleSocket true\n"
		  "User " CLAM_USER "\n"
		  "PidFile " MILTER_PID "\n"
		  "ClamdSocket unix:" CLAMD_SOCKET "\n"
		  "OnClean Accept\n"
		  /* refused in the SMTP dialogue, 550 naming the signature */
		  "OnInfected Reject\n"
		  "RejectMsg Virus found: %v\n");
	mbuf_printf(b, "OnFail %s\n", on_fail_accept ? "Accept" : "Defer");
	mbuf_printf(b, "AddHeader Replace\nReportHostname %s\n", hostname);
	mbuf_puts(b, "LogSyslog true\nLogFacility LOG_MAIL\nLogInfected Basic\n"
		  "ReadTimeout 120\nMaxFileSize 25M\n");
}

void clam_render_dropin(struct mbuf *b)
{
	mbuf_puts(b, HEADER);
	mbuf_puts(b, "# clamd with webstack's configuration; starting it starts the milter.\n"
		  "[Unit]\nWants=webstack-clamav-milter.service\n\n"
		  "[Service]\nExecStart=\n"
		  "ExecStart=/usr/sbin/clamd --foreground=true -c " CLAMD_CONF "\n");
}

void clam_render_unit(struct mbuf *b)
{
	mbuf_puts(b, HEADER);
	mbuf_puts(b, "[Unit]\n"
		  "Description=ClamAV milter for Postfix (webstack)\n"
		  "Documentation=man:clamav-milter(8) man:webstack(8)\n"
		  "After=clamav-daemon.service\n"
		  "PartOf=clamav-daemon.service\n\n"
		  "[Service]\n"
		  "Type=simple\n"
		  "ExecStart=/usr/sbin/clamav-milter -c " MILTER_CONF "\n"
		  "Restart=on-failure\n");
}

int clam_parse_version(const char *reply, unsigned long *db_version, long long *db_time)
{
	const char *p, *q;
	struct tm tm = {0};
	char *end;

	if (strncmp(reply, "ClamAV ", 7) != 0)
		return -1;
	p = strchr(reply, '/');
	if (!p)
		return 0;
	*db_version = strtoul(p + 1, &end, 10);
	q = end;
	if (q == p + 1 || *q != '/')
		return -1;
	/* "Thu Nov 26 04:31:37 2026", UTC (clamd prints the build time) */
	end = strptime(q + 1, "%a %b %d %H:%M:%S %Y", &tm);
	if (!end)
		return -1;
	*db_time = (long long)timegm(&tm);
	return 1;
}
