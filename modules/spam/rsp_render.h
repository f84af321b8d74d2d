/* rsp_render.h - the module "rspamd" (role spam): what it writes and how.
 *
 * rspamd's proxy worker is the milter and scans by itself (self_scan), so
 * no normal worker runs. The module writes only files of its own names
 * into /etc/rspamd/local.d (merged over Debian's config) and
 * override.d/options.inc (hs_cache_dir, replacing Debian's value), each
 * starting with RSP_HEADER; a file of one of those names without the
 * header is the admin's, and setup refuses to overwrite it.
 *
 * Ownership: the file table is static; rendered text goes into the
 * caller's mbuf. */
#ifndef WS_RSP_RENDER_H
#define WS_RSP_RENDER_H

#include "mbuf.h"

/* In Postfix's queue directory: smtpd reaches it as "rspamd/milter.sock". */
#define RSP_SOCKET_DIR "/var/spool/postfix/rspamd"
#define RSP_SOCKET RSP_SOCKET_DIR "/milter.sock"
#define RSP_RUN_DIR "/run/rspamd"
#define RSP_LOG_DIR "/var/log/rspamd"
#define RSP_PID RSP_RUN_DIR "/rspamd.pid"
#define RSP_CONF "/etc/rspamd/rspamd.conf"
#define RSP_LOCAL "/etc/rspamd/local.d"
#define RSP_OVERRIDE "/etc/rspamd/override.d"
#define RSP_USER "_rspamd"

#define RSP_HEADER "# Written by webstack(8), module rspamd"

struct rsp_settings {
	double tag_score;	/* add_header action */
	double reject_score;	/* reject action */
	int scan_authenticated;
	const char *hs_cache_dir;	/* "": rspamd's default */
};

/* One file of the module's. render() puts its text into b and returns 1,
 * or returns 0 when the settings want no such file. */
struct rsp_file {
	const char *path;
	int (*render)(struct mbuf *b, const struct rsp_settings *s);
};

#define RSP_N_FILES 8
extern const struct rsp_file rsp_files[RSP_N_FILES];

#endif
