#include "config.h"

/* The text of every file the rspamd module writes. */
#include "rsp_render.h"

static void header(struct mbuf *b)
{
	mbuf_puts(b, RSP_HEADER ": `webstack mail setup` rewrites it,\n"
		     "# and removes it once webstack.conf no longer names the module.\n");
}

static int worker_proxy(struct mbuf *b, const struct rsp_settings *s)
{
	(void)s;
	header(b);
	/* owner= also sets the group, so the setgid directory cannot give
	 * the socket Postfix's group: name it */
	mbuf_puts(b, "bind_socket = \"" RSP_SOCKET " mode=0660 owner=" RSP_USER
		     " group=postfix\";\n"
		     "milter = yes;\ntimeout = 120s;\ncount = 1;\n");
	/* self_scan belongs to the upstream: a top-level one is ignored and
	 * the proxy then asks the normal worker, which does not run */
	mbuf_puts(b, "upstream \"local\" {\n  default = yes;\n  self_scan = yes;\n}\n"
		     "reject_message = \"Spam message rejected\";\n");
	return 1;
}

/* Workers and modules that are not wanted; the offline ones would reach
 * rspamd.com (fuzzy hashes over UDP, rule updates over https). */
static int disabled(struct mbuf *b, const struct rsp_settings *s)
{
	(void)s;
	header(b);
	mbuf_puts(b, "enabled = false;\n");
	return 1;
}

static int actions(struct mbuf *b, const struct rsp_settings *s)
{
	header(b);
	mbuf_printf(b, "add_header = %g;\nreject = %g;\n", s->tag_score,
		    s->reject_score);
	/* the stock greylist action (4xx at 4 points) needs redis */
	mbuf_puts(b, "greylist = null;\n");
	return 1;
}

static int milter_headers(struct mbuf *b, const struct rsp_settings *s)
{
	(void)s;
	header(b);
	/* the proxy itself adds "X-Spam: Yes" for add_header */
	mbuf_puts(b, "use = [\"x-spam-status\", \"x-spam-level\", \"x-spamd-bar\"];\n");
	return 1;
}

/* Mail of SMTP-AUTH users is not scanned (GTUBE still rejects it). */
static int settings(struct mbuf *b, const struct rsp_settings *s)
{
	if (s->scan_authenticated)
		return 0;
	header(b);
	mbuf_puts(b, "authenticated {\n  priority = high;\n  authenticated = yes;\n"
		     "  want_spam = yes;\n}\n");
	return 1;
}

static int options(struct mbuf *b, const struct rsp_settings *s)
{
	if (!*s->hs_cache_dir)
		return 0;
	header(b);
	/* the compiled TLD and hyperscan databases: 15-20 s at a cold start */
	mbuf_printf(b, "hs_cache_dir = \"%s\";\n", s->hs_cache_dir);
	return 1;
}

const struct rsp_file rsp_files[RSP_N_FILES] = {
	{RSP_LOCAL "/worker-proxy.inc", worker_proxy},
	{RSP_LOCAL "/worker-normal.inc", disabled},
	{RSP_LOCAL "/actions.conf", actions},
	{RSP_LOCAL "/milter_headers.conf", milter_headers},
	{RSP_LOCAL "/settings.conf", settings},
	{RSP_LOCAL "/fuzzy_check.conf", disabled},
	{RSP_LOCAL "/rspamd_update.conf", disabled},
	{RSP_OVERRIDE "/options.inc", options},
};
