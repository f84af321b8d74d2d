#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "confedit.h"
#include "log.h"

const char *conf_find_option(const char *text, const char *key)
{
	size_t klen = strlen(key);
	int depth = 0, line_start = 1;

	for (const char *p = text; *p; p++) {
		if (line_start && depth == 0) {
			const char *q = p + strspn(p, " \t");

			if (strncmp(q, key, klen) == 0 && q[klen] && strchr(" \t=", q[klen]))
				return p;
		}
		if (*p == '#') {
			p += strcspn(p, "\n");
			if (!*p)
				return NULL;
		} else if (*p == '"' || *p == '\'') {
			char quote = *p;

			for (p++; *p && *p != quote; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p)
				return NULL;
		} else if (*p == '{') {
			depth++;
		} else if (*p == '}' && depth > 0) {
			depth--;
		}
		line_start = *p == '\n';
	}
	return NULL;
}

int conf_stage_option(struct ctx *c, const char *key, const char *value)
{
	size_t rootlen = strlen(c->root);
	const char *logical = c->config_path, *line;
	struct buf text = {0}, out = {0};
	struct stat st = {.st_mode = 0644};
	int r;

	if (rootlen && strncmp(logical, c->root, rootlen) == 0)
		logical += rootlen;
	else if (rootlen)
		logical = "";
	if (logical[0] != '/') {
		log_msg(WEBSTACK_LOG_WARNING, "%s is not an absolute path under the "
			"root: %s = \"%s\" is used but not kept there", c->config_path,
			key, value);
		return 0;
	}
	if (stat(c->config_path, &st) < 0 && errno != ENOENT)
		return err_set(&c->err, EX_IOERR, "%s: %s", c->config_path,
			       strerror(errno));
	if (txn_read(c->txn, logical, &text, &c->err) < 0)
		return -1;
	line = conf_find_option(text.data ? text.data : "", key);
	if (line) {
		buf_add(&out, text.data, (size_t)(line - text.data));
		buf_printf(&out, "%s = \"%s\"", key, value);
		buf_puts(&out, line + strcspn(line, "\n"));
	} else {
		buf_add(&out, text.data ? text.data : "", text.len);
		if (out.len && out.data[out.len - 1] != '\n')
			buf_puts(&out, "\n");
		buf_printf(&out, "%s = \"%s\"\n", key, value);
	}
	/* the file keeps its mode and owner: it may be private */
	r = txn_stage_file(c->txn, &(struct webstack_file){.path = logical,
			   .data = out.data, .len = out.len, .mode = st.st_mode & 07777,
			   .uid = st.st_uid, .gid = st.st_gid}, &c->err);
	buf_free(&text);
	buf_free(&out);
	return r;
}
