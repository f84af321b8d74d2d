/* clamav.h - the module "clamav" (role av): what it writes and where.
 *
 * clamd (Debian's clamav-daemon) scans; clamav-milter (Debian's
 * clamav-milter) connects Postfix to it and refuses infected mail during
 * the SMTP dialogue. Both run with webstack's own configuration files in
 * /etc/webstack/clamav, so Debian's /etc/clamav stays as the packages
 * left it. Signatures are the distribution's business (freshclam):
 * webstack never downloads any.
 *
 * Ownership: rendered text goes into the caller's mbuf; strings passed in
 * are borrowed. */
#ifndef WS_CLAMAV_H
#define WS_CLAMAV_H

#include "mbuf.h"

#define CLAM_USER "clamav"
#define CLAM_CONF_DIR "/etc/webstack/clamav"
#define CLAMD_CONF CLAM_CONF_DIR "/clamd.conf"
#define MILTER_CONF CLAM_CONF_DIR "/clamav-milter.conf"
#define CLAM_RUN_DIR "/run/clamav"
#define CLAMD_SOCKET CLAM_RUN_DIR "/clamd.ctl"
#define CLAMD_PID CLAM_RUN_DIR "/clamd.pid"
#define MILTER_PID CLAM_RUN_DIR "/webstack-clamav-milter.pid"
/* In Postfix's queue directory, so chrooted smtpd reaches it. */
#define MILTER_DIR "/var/spool/postfix/clamav"
#define MILTER_SOCKET MILTER_DIR "/clamav-milter.ctl"
#define CLAM_DB_DIR "/var/lib/clamav"
/* systemd: Debian's clamav-daemon.service runs clamd with our file; the
 * milter, for which Debian ships no unit, gets one of webstack's. */
#define CLAMD_DROPIN "/etc/systemd/system/clamav-daemon.service.d/webstack.conf"
#define MILTER_UNIT "/etc/systemd/system/webstack-clamav-milter.service"

void clam_render_clamd(struct mbuf *b);
/* on_fail_accept: when clamd cannot be asked, accept (else defer). */
void clam_render_milter(struct mbuf *b, const char *hostname, int on_fail_accept);
void clam_render_dropin(struct mbuf *b);
void clam_render_unit(struct mbuf *b);

/* What clamd's VERSION answers: "ClamAV 1.4.6/27000/Thu Nov 26 04:31:37
 * 2026" when a versioned database is loaded, else "ClamAV 1.4.6".
 * Returns 1 and fills *db_version and *db_time (UTC) for the first, 0 for
 * the second, -1 when the text is no VERSION answer. */
int clam_parse_version(const char *reply, unsigned long *db_version, long long *db_time);

#endif
