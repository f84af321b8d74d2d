/* txn-tool - drives the core's transactions for the shell tests.
 *
 *   txn-tool [--dry-run] ROOT add KEY   one multi-file transaction under ROOT:
 *       /data/a.txt       append "KEY" unless present (read-modify-write)
 *       /data/b.txt       the same, a secret file with mode 0600
 *       /data/new/KEY.txt created, in a directory that may not exist yet
 *       /data/box/KEY     a directory, mode 0700
 *       /data/remove-me   removed
 *   txn-tool ROOT recover              take the lock: finishes a journal left
 *                                      by a crash, changes nothing else
 *
 * Exit status: 0, or the sysexits code of the error. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "txn.h"

/* Is `key` one of the lines of text? */
static int has_line(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, key, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

static int append_key(struct txn *t, const char *path, const char *key,
		      mode_t mode, unsigned flags, struct err *e)
{
	struct buf b = {0};
	struct webstack_file f = {.path = path, .mode = mode, .flags = flags};
	int r = txn_read(t, path, &b, e);

	if (r < 0)
		return -1;
	if (!has_line(b.data, key))
		buf_printf(&b, "%s\n", key);
	f.data = b.data;
	f.len = b.len;
	r = txn_stage_file(t, &f, e);
	buf_free(&b);
	return r;
}

static int add(struct txn *t, const char *key, struct err *e)
{
	char path[256];
	struct webstack_file f = {.mode = 0640};

	if (append_key(t, "/data/a.txt", key, 0644, 0, e) < 0 ||
	    append_key(t, "/data/b.txt", key, 0600, WEBSTACK_FILE_SECRET, e) < 0)
		return -1;
	snprintf(path, sizeof(path), "/data/new/%s.txt", key);
	f.path = path;
	f.data = key;
	f.len = strlen(key);
	if (txn_stage_file(t, &f, e) < 0)
		return -1;
	snprintf(path, sizeof(path), "/data/box/%s", key);
	if (txn_stage_dir(t, path, 0700, 0, 0, e) < 0)
		return -1;
	return txn_stage_remove(t, "/data/remove-me", e);
}

int main(int argc, char **argv)
{
	struct txn_options o = {.lock_file = "/var/lib/webstack/lock", .lock_timeout = 120};
	struct err e = {0};
	struct txn *t = NULL;
	int dry = argc > 1 && strcmp(argv[1], "--dry-run") == 0;
	int r;

	argv += dry;
	argc -= dry;
	if (argc < 3 || (strcmp(argv[2], "add") == 0 && argc != 4)) {
		fprintf(stderr, "usage: txn-tool [--dry-run] ROOT add KEY | ROOT recover\n");
		return EX_USAGE;
	}
	o.root = argv[1];
	r = txn_begin(&t, &o, &e);
	if (r == 0 && strcmp(argv[2], "add") == 0) {
		r = add(t, argv[3], &e);
		if (r == 0)
			r = dry ? (txn_diff(t, stdout, &e) < 0 ? -1 : 0) :
				  txn_commit(t, &e);
	}
	txn_end(t);
	if (r < 0) {
		fprintf(stderr, "txn-tool: %s\n", e.msg);
		return e.code;
	}
	return 0;
}
