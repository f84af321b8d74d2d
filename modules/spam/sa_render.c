#include "config.h"

/* The text of every file the spamassassin module writes, and the daemons'
 * options (one list each, for the unit and for hosts without systemd). */
#include <stdio.h>

#include "spamassassin.h"

#define HEADER "# Written by webstack(8), module spamassassin: `webstack mail setup`\n" \
	       "# rewrites it; it goes when webstack.conf no longer names the module.\n"

/* -x: no per-user preferences (virtual users have no home directory). */
const char *const sa_spamd_args[] = {
	"--pidfile=" SA_SPAMD_PID, "--syslog=mail",
	"--username=" SA_SPAMD_USER, "--groupname=" SA_SPAMD_USER,
	"--nouser-config", "--max-children=5", "--min-children=1",
	"--socketpath=" SA_SPAMD_SOCK, "--socketowner=" SA_SPAMD_USER,
	"--socketgroup=" SA_MILTER_USER, "--socketmode=0660",
	"--helper-home-dir=/var/lib/spamassassin", NULL};

void sa_milter_args(struct sa_settings *s, const char **argv)
{
	size_t n = 0;

	/* spamass-milter reads -r with strtol and compares whole points */
	snprintf(s->reject_arg, sizeof(s->reject_arg), "%.0f", s->reject_score);
	argv[n++] = "-p";
	argv[n++] = SA_SOCKET;
	argv[n++] = "-P";
	argv[n++] = SA_MILTER_PID;
	argv[n++] = "-f";
	argv[n++] = "-m";	/* headers only: Subject and body stay */
	if (!s->scan_authenticated)
		argv[n++] = "-I";
	argv[n++] = "-r";
	argv[n++] = s->reject_arg;
	argv[n++] = "-i";	/* this host's own (loopback) clients */
	argv[n++] = "127.0.0.1";
	argv[n++] = "--";	/* spamc's options follow */
	argv[n++] = "-U";
	argv[n++] = SA_SPAMD_SOCK;
	argv[n] = NULL;
}

void sa_render_cf(struct mbuf *b, const struct sa_settings *s)
{
	mbuf_puts(b, HEADER);
	mbuf_puts(b, "# X-Spam-Flag: YES at or above required_score (tag_score); the\n"
		  "# reject threshold is spamass-milter's -r (reject_score).\n");
	mbuf_printf(b, "required_score %g\n", s->tag_score);
	/* headers only; the milter (-m) would not pass a rewritten body on */
	mbuf_puts(b, "report_safe 0\n");
	mbuf_puts(b, "add_header all Status _YESNO_, score=_SCORE_ required=_REQD_ "
		  "tests=_TESTS_ autolearn=_AUTOLEARN_ version=_VERSION_\n");
}

static void exec_line(struct mbuf *b, const char *prog, const char *const *args)
{
	mbuf_printf(b, "ExecStart=%s", prog);
	for (size_t i = 0; args[i]; i++)
		mbuf_printf(b, " %s", args[i]);
	mbuf_puts(b, "\n");
}

void sa_render_spamd_dropin(struct mbuf *b)
{
	mbuf_puts(b, HEADER);
	mbuf_puts(b, "# spamd on a unix socket only, for spamass-milter; starting spamd\n"
		  "# starts the milter (at boot too).\n"
		  "[Unit]\n"
		  "Wants=spamass-milter.service\n\n"
		  "[Service]\n"
		  "PIDFile=" SA_SPAMD_PID "\n"
		  "RuntimeDirectory=spamd\n"
		  "ExecStart=\n");
	exec_line(b, SA_SPAMD, sa_spamd_args);
}

void sa_render_milter_unit(struct mbuf *b, const char *const *args)
{
	mbuf_puts(b, HEADER);
	mbuf_puts(b, "# Debian ships only a SysV script for spamass-milter; this unit\n"
		  "# replaces it while the module is enabled.\n"
		  "[Unit]\n"
		  "Description=SpamAssassin milter (webstack)\n"
		  "Documentation=man:spamass-milter(1) man:webstack(8)\n"
		  "After=spamd.service\n\n"
		  "[Service]\n"
		  "Type=forking\n"
		  "User=" SA_MILTER_USER "\n"
		  "Group=" SA_MILTER_USER "\n"
		  /* the socket directory is setgid postfix: 0770 gives Postfix,
		   * and only Postfix, the socket */
		  "UMask=0007\n"
		  "RuntimeDirectory=spamass\n"
		  "PIDFile=" SA_MILTER_PID "\n");
	exec_line(b, SA_MILTER, args);
	mbuf_puts(b, "Restart=on-failure\n");
}
