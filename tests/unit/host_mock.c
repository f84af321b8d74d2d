#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_mock.h"

#define MOCK(h) ((struct host_mock *)(h))

static struct mock_file *find(struct host_mock *m, const char *path)
{
	for (size_t i = 0; i < m->n_files; i++)
		if (strcmp(m->files[i].path, path) == 0)
			return &m->files[i];
	return NULL;
}

static struct mock_file *slot(struct host_mock *m, const char *path)
{
	struct mock_file *f = find(m, path);

	if (f) {
		free(f->data);
		return f;
	}
	if (m->n_files == MOCK_MAX)
		abort();
	f = &m->files[m->n_files++];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	return f;
}

static char *join(const char *const argv[])
{
	size_t n = 1;
	char *s;

	for (size_t i = 0; argv[i]; i++)
		n += strlen(argv[i]) + 1;
	s = calloc(1, n);
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static void record(char **list, size_t *n, char *s)
{
	if (*n == MOCK_MAX)
		abort();
	list[(*n)++] = s;
}

static void mock_log(const struct webstack_host *h, int prio, const char *fmt, ...)
{
	(void)h;
	(void)prio;
	(void)fmt;
}

static int mock_run(const struct webstack_host *h, const char *const argv[],
		    const void *input, size_t input_len, char **output_r,
		    int *status_r, const char **err_r)
{
	struct host_mock *m = MOCK(h);

	char *in = strndup(input ? input : "", input ? input_len : 0);

	(void)err_r;
	if (!in)
		abort();
	record(m->runs, &m->n_runs, join(argv));
	record(m->inputs, &m->n_inputs, in);
	*status_r = 0;
	if (output_r)
		*output_r = strdup("");
	for (const struct mock_reply *r = m->replies; r && r->argv0; r++) {
		if (strcmp(r->argv0, argv[0]) != 0 ||
		    (r->argv1 && (!argv[1] || strcmp(r->argv1, argv[1]) != 0)))
			continue;
		*status_r = r->status;
		if (output_r) {
			free(*output_r);
			*output_r = strdup(r->output ? r->output : "");
		}
		break;
	}
	return 0;
}

static char *mock_path(const struct webstack_host *h, const char *logical)
{
	char *s = NULL;

	if (asprintf(&s, "%s%s", MOCK(h)->root, logical) < 0)
		return NULL;
	return s;
}

static int mock_read_file(const struct webstack_host *h, const char *path,
			  char **data_r, size_t *len_r, const char **err_r)
{
	struct mock_file *f = find(MOCK(h), path);

	if (!f) {
		*err_r = "no such file";
		return -ENOENT;
	}
	*data_r = malloc(f->len + 1);
	memcpy(*data_r, f->data, f->len);
	(*data_r)[f->len] = '\0';
	*len_r = f->len;
	return 0;
}

static int mock_stage_file(const struct webstack_host *h,
			   const struct webstack_file *wf, const char **err_r)
{
	struct mock_file *f = slot(MOCK(h), wf->path);

	(void)err_r;
	f->data = malloc(wf->len + 1);
	memcpy(f->data, wf->data, wf->len);
	f->data[wf->len] = '\0';
	f->len = wf->len;
	f->mode = wf->mode;
	f->uid = wf->uid;
	f->gid = wf->gid;
	f->flags = wf->flags;
	f->staged = 1;
	return 0;
}

/* The file as the transaction leaves it, with wf->data at its end; the
 * file must exist. */
static int mock_stage_append(const struct webstack_host *h,
			     const struct webstack_file *wf, const char **err_r)
{
	struct mock_file *f = find(MOCK(h), wf->path);
	char *data;

	if (!f) {
		*err_r = "cannot append: no such file";
		return -ENOENT;
	}
	data = malloc(f->len + wf->len + 1);
	memcpy(data, f->data, f->len);
	memcpy(data + f->len, wf->data, wf->len);
	data[f->len + wf->len] = '\0';
	free(f->data);
	f->data = data;
	f->len += wf->len;
	f->flags |= wf->flags;
	f->staged = 1;
	return 0;
}

static int mock_stage_dir(const struct webstack_host *h, const char *path,
			  mode_t mode, uid_t uid, gid_t gid, const char **err_r)
{
	char *s = NULL;

	(void)err_r;
	if (asprintf(&s, "mkdir %s %o %d:%d", path, (unsigned)mode, (int)uid,
		     (int)gid) < 0)
		abort();
	record(MOCK(h)->deferred, &MOCK(h)->n_deferred, s);
	return 0;
}

static int mock_stage_remove(const struct webstack_host *h, const char *path,
			     const char **err_r)
{
	char *s = NULL;

	(void)err_r;
	if (asprintf(&s, "remove %s", path) < 0)
		abort();
	record(MOCK(h)->deferred, &MOCK(h)->n_deferred, s);
	return 0;
}

static int mock_defer_run(const struct webstack_host *h, const char *const argv[],
			  const char **err_r)
{
	(void)err_r;
	record(MOCK(h)->deferred, &MOCK(h)->n_deferred, join(argv));
	return 0;
}

/* kind: "call", "background" or "background locked". */
static int queue_call(struct host_mock *m, const char *kind, const char *what,
		      int (*fn)(void *arg, const char **err_r), void *arg,
		      void (*release)(void *arg))
{
	char *s = NULL;

	if (m->n_calls == MOCK_MAX || asprintf(&s, "%s %s", kind, what) < 0)
		abort();
	record(m->deferred, &m->n_deferred, s);
	m->calls[m->n_calls].fn = fn;
	m->calls[m->n_calls].arg = arg;
	m->calls[m->n_calls].release = release;
	m->n_calls++;
	return 0;
}

static int mock_defer_call(const struct webstack_host *h, const char *what,
			   int (*fn)(void *arg, const char **err_r), void *arg,
			   void (*release)(void *arg), const char **err_r)
{
	(void)err_r;
	return queue_call(MOCK(h), "call", what, fn, arg, release);
}

static int mock_defer_background(const struct webstack_host *h, const char *what,
				 int (*fn)(void *arg, const char **err_r), void *arg,
				 void (*release)(void *arg), unsigned flags,
				 const char **err_r)
{
	(void)err_r;
	return queue_call(MOCK(h), flags & WEBSTACK_BG_LOCKED ? "background locked" :
			  "background", what, fn, arg, release);
}

static void release_calls(struct host_mock *m, size_t from)
{
	for (size_t i = from; i < m->n_calls; i++)
		if (m->calls[i].release)
			m->calls[i].release(m->calls[i].arg);
	m->n_calls = 0;
}

int host_mock_run_calls(struct host_mock *m, const char **err_r)
{
	for (size_t i = 0; i < m->n_calls; i++) {
		int r = m->calls[i].fn(m->calls[i].arg, err_r);

		if (r != 0) {
			/* the message may live in arg: keep it for the caller */
			snprintf(m->err, sizeof(m->err), "%s", *err_r ? *err_r : "");
			*err_r = m->err;
			release_calls(m, i);
			return r;
		}
		if (m->calls[i].release)
			m->calls[i].release(m->calls[i].arg);
	}
	m->n_calls = 0;
	return 0;
}

static const char *action_name(enum webstack_service_action act)
{
	static const char *const names[] = {"start", "reload", "restart", "stop",
					    "status"};

	return names[act];
}

static int mock_defer_service(const struct webstack_host *h,
			      const struct webstack_service *svc,
			      enum webstack_service_action act, const char **err_r)
{
	char *s = NULL;

	(void)err_r;
	if (asprintf(&s, "service %s %s", svc->name, action_name(act)) < 0)
		abort();
	record(MOCK(h)->deferred, &MOCK(h)->n_deferred, s);
	return 0;
}

static int mock_service(const struct webstack_host *h,
			const struct webstack_service *svc,
			enum webstack_service_action act, const char **err_r)
{
	(void)svc;
	if (act == WEBSTACK_SERVICE_STATUS && !MOCK(h)->running) {
		*err_r = "not running";
		return -ESRCH;
	}
	return 0;
}

static int mock_lookup_user(const struct webstack_host *h, const char *name,
			    uid_t *uid_r, gid_t *gid_r, const char **err_r)
{
	for (size_t i = 0; i < 4 && MOCK(h)->users[i].name; i++) {
		if (strcmp(MOCK(h)->users[i].name, name) != 0)
			continue;
		*uid_r = MOCK(h)->users[i].uid;
		*gid_r = MOCK(h)->users[i].gid;
		return 0;
	}
	*err_r = "no such user";
	return -ENOENT;
}

void host_mock_init(struct host_mock *m)
{
	memset(m, 0, sizeof(*m));
	m->root = "";
	m->host = (struct webstack_host){
		.size = sizeof(struct webstack_host),
		.priv = m,
		.log = mock_log,
		.run = mock_run,
		.path = mock_path,
		.read_file = mock_read_file,
		.stage_file = mock_stage_file,
		.stage_append = mock_stage_append,
		.stage_dir = mock_stage_dir,
		.stage_remove = mock_stage_remove,
		.defer_run = mock_defer_run,
		.defer_service = mock_defer_service,
		.service = mock_service,
		.lookup_user = mock_lookup_user,
		.defer_call = mock_defer_call,
		.defer_background = mock_defer_background,
	};
}

void host_mock_put(struct host_mock *m, const char *path, const char *data)
{
	struct mock_file *f = slot(m, path);

	f->len = strlen(data);
	f->data = strdup(data);
	f->staged = 0;
	f->mode = 0644;
}

const struct mock_file *host_mock_staged(const struct host_mock *m, const char *path)
{
	for (size_t i = 0; i < m->n_files; i++)
		if (m->files[i].staged && strcmp(m->files[i].path, path) == 0)
			return &m->files[i];
	return NULL;
}

size_t host_mock_n_staged(const struct host_mock *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_files; i++)
		n += m->files[i].staged;
	return n;
}

static void free_list(char **list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(list[i]);
	*n = 0;
}

void host_mock_commit(struct host_mock *m)
{
	for (size_t i = 0; i < m->n_files; i++)
		m->files[i].staged = 0;
	free_list(m->runs, &m->n_runs);
	free_list(m->inputs, &m->n_inputs);
	free_list(m->deferred, &m->n_deferred);
	release_calls(m, 0);
}

void host_mock_free(struct host_mock *m)
{
	for (size_t i = 0; i < m->n_files; i++) {
		free(m->files[i].path);
		free(m->files[i].data);
	}
	free_list(m->runs, &m->n_runs);
	free_list(m->inputs, &m->n_inputs);
	free_list(m->deferred, &m->n_deferred);
	release_calls(m, 0);
	m->n_files = 0;
}

const char *host_mock_text(const struct host_mock *m, const char *path)
{
	const struct mock_file *f = host_mock_staged(m, path);

	return f ? f->data : NULL;
}

int host_mock_deferred(const struct host_mock *m, const char *s)
{
	for (size_t i = 0; i < m->n_deferred; i++)
		if (strcmp(m->deferred[i], s) == 0)
			return 1;
	return 0;
}

void host_mock_add_user(struct host_mock *m, const char *name, uid_t uid, gid_t gid)
{
	size_t i = 0;

	while (i < 4 && m->users[i].name)
		i++;
	if (i == 4)
		abort();
	m->users[i].name = name;
	m->users[i].uid = uid;
	m->users[i].gid = gid;
}
