/* host_mock.h - a struct webstack_host for module unit tests.
 *
 * Files live in memory: host_mock_put() sets what read_file() serves (as
 * the disk), stage_file() records the staged content (which read_file()
 * then serves, as the real host does); stage_append() stages the file
 * with the data at its end. run() answers from a table of
 * canned replies keyed by argv[0] and argv[1] (and records what each run
 * got on stdin); every run, deferred run and
 * deferred service action is recorded as one string ("argv0 argv1 ..."), a
 * deferred call as "call <what>" (a background one as "background <what>"
 * or "background locked <what>"), kept until host_mock_run_calls() runs it
 * (host_mock_free() releases those never run).
 * path() maps a logical path under root (a directory the test may create
 * files in, for modules that stat()).
 *
 * Ownership: the mock owns every string it records or returns through
 * *_r (except output_r, which the module frees, as with the real host). */
#ifndef WS_HOST_MOCK_H
#define WS_HOST_MOCK_H

#include <stddef.h>
#include <sys/types.h>

#include <webstack/host.h>

#define MOCK_MAX 64

struct mock_file {
	char *path;
	char *data;
	size_t len;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	unsigned flags;
	int staged;	/* 0: as on disk (host_mock_put) */
};

struct mock_reply {
	const char *argv0, *argv1;	/* argv1 NULL: any */
	const char *output;
	int status;
};

struct host_mock {
	struct webstack_host host;	/* first */
	const char *root;		/* "" when unset */
	struct mock_file files[MOCK_MAX];
	size_t n_files;
	char *runs[MOCK_MAX], *deferred[MOCK_MAX];
	char *inputs[MOCK_MAX];		/* each run's stdin, as text */
	size_t n_runs, n_deferred, n_inputs;
	struct {
		int (*fn)(void *arg, const char **err_r);
		void *arg;
		void (*release)(void *arg);
	} calls[MOCK_MAX];
	size_t n_calls;
	const struct mock_reply *replies;	/* NULL-argv0-terminated */
	int running;		/* service(STATUS) answer */
	struct { const char *name; uid_t uid; gid_t gid; } users[4];
	char err[256];
};

void host_mock_init(struct host_mock *m);
void host_mock_free(struct host_mock *m);

/* A file as it is "on disk" before the op. */
void host_mock_put(struct host_mock *m, const char *path, const char *data);
/* The staged version of path, or NULL. */
const struct mock_file *host_mock_staged(const struct host_mock *m, const char *path);
size_t host_mock_n_staged(const struct host_mock *m);
/* A user lookup_user() knows (at most 4). */
void host_mock_add_user(struct host_mock *m, const char *name, uid_t uid, gid_t gid);
/* The staged content of path, or NULL. */
const char *host_mock_text(const struct host_mock *m, const char *path);
/* 1 when s was recorded as a deferred action (or a staged mkdir/remove). */
int host_mock_deferred(const struct host_mock *m, const char *s);
/* Runs the deferred calls in order, as the core does after a commit, and
 * releases them; stops at the first that fails (its message in *err_r). */
int host_mock_run_calls(struct host_mock *m, const char **err_r);
/* Forgets staged state and records: the staged content becomes the disk. */
void host_mock_commit(struct host_mock *m);

#endif
