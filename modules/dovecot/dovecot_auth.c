#include "config.h"

/* The auth-master protocol of Dovecot 2.3 (lib-auth/auth-master.c): the
 * client says "VERSION\t1\t0", the server greets with VERSION and SPID
 * lines; then "CACHE-FLUSH\t<id>[\t<user>...]" answers "OK\t<id>\t<count>"
 * and "PASS\t<id>\t<user>\tservice=..." answers "PASS\t<id>\t..." (found),
 * "NOTFOUND\t<id>" or "FAIL\t<id>\t...". */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dovecot_auth.h"

#define PROBE_INTERVAL_MS 10

struct dv_sync {
	char *socket_path;
	char **users;
	size_t n;
	char *probe;
	int probe_added;
	/* while running */
	int fd;
	unsigned id;
	long long deadline;	/* CLOCK_MONOTONIC ms: for the new file */
	long long reply_by;	/* CLOCK_MONOTONIC ms: for the next answer */
	char in[4096];
	size_t in_len;
	size_t consumed;	/* of in: the line read_line() handed out last */
	char msg[512];
};

static long long now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int sync_fail(struct dv_sync *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int sync_fail(struct dv_sync *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int send_line(struct dv_sync *s, const char *line, size_t len)
{
	s->reply_by = now_ms(CLOCK_MONOTONIC) + DV_SYNC_TIMEOUT_MS;
	while (len > 0) {
		ssize_t w = send(s->fd, line, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return sync_fail(s, "cannot write to %s: %s", s->socket_path,
				    strerror(errno));
		line += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The next line from the server, without its '\n', in s->in (valid until
 * the next call). */
static int read_line(struct dv_sync *s, const char **line_r)
{
	if (s->consumed) {
		memmove(s->in, s->in + s->consumed, s->in_len - s->consumed);
		s->in_len -= s->consumed;
		s->consumed = 0;
	}
	for (;;) {
		char *nl = memchr(s->in, '\n', s->in_len);
		long long left = s->reply_by - now_ms(CLOCK_MONOTONIC);
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		ssize_t r;

		if (nl) {
			*nl = '\0';
			s->consumed = (size_t)(nl - s->in) + 1;
			*line_r = s->in;
			return 0;
		}
		if (s->in_len == sizeof(s->in))
			return sync_fail(s, "%s sent a line too long", s->socket_path);
		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return sync_fail(s, "no answer from %s within %d ms",
				    s->socket_path, DV_SYNC_TIMEOUT_MS);
		r = recv(s->fd, s->in + s->in_len, sizeof(s->in) - s->in_len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return sync_fail(s, "%s closed the connection%s%s", s->socket_path,
				    r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
		s->in_len += (size_t)r;
	}
}

/* Connects and reads the greeting; 1 when no Dovecot listens. */
static int dv_connect(struct dv_sync *s)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	const char *line;

	if (strlen(s->socket_path) >= sizeof(a.sun_path))
		return sync_fail(s, "socket path too long: %s", s->socket_path);
	strcpy(a.sun_path, s->socket_path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return sync_fail(s, "socket: %s", strerror(errno));
	if (connect(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			return 1;
		return sync_fail(s, "cannot connect to %s: %s", s->socket_path,
			    strerror(errno));
	}
	if (send_line(s, "VERSION\t1\t0\n", 12) < 0)
		return -1;
	do {
		if (read_line(s, &line) < 0)
			return -1;
		if (strncmp(line, "VERSION\t", 8) == 0 && strncmp(line, "VERSION\t1\t", 10))
			return sync_fail(s, "%s speaks another protocol: %s",
				    s->socket_path, line);
	} while (strncmp(line, "SPID\t", 5) != 0);
	return 0;
}

/* Sends a command (tab-joined words, the id after the first) and returns
 * the answer's first word in *reply_r: "OK", "PASS", "NOTFOUND", ... */
static int command(struct dv_sync *s, const char *cmd, char *const *args,
		   size_t n, char reply_r[16])
{
	char id[16], *out;
	const char *line, *tab;
	size_t len, pos, idlen;
	int r;

	idlen = (size_t)snprintf(id, sizeof(id), "%u", ++s->id);
	len = strlen(cmd) + 1 + idlen + 2;
	for (size_t i = 0; i < n; i++)
		len += strlen(args[i]) + 1;
	out = malloc(len);
	if (!out)
		return sync_fail(s, "out of memory");
	pos = (size_t)sprintf(out, "%s\t%s", cmd, id);
	for (size_t i = 0; i < n; i++)
		pos += (size_t)sprintf(out + pos, "\t%s", args[i]);
	out[pos++] = '\n';
	r = send_line(s, out, pos);
	free(out);
	if (r < 0)
		return -1;
	if (read_line(s, &line) < 0)
		return -1;
	tab = strchr(line, '\t');
	if (!tab || tab - line >= 16 || strncmp(tab + 1, id, idlen) != 0 ||
	    (tab[1 + idlen] != '\t' && tab[1 + idlen] != '\0'))
		return sync_fail(s, "unexpected answer from %s: %.80s", s->socket_path,
			    line);
	snprintf(reply_r, 16, "%.*s", (int)(tab - line), line);
	if (strcmp(reply_r, "FAIL") == 0)
		return sync_fail(s, "Dovecot's auth process failed %s: %.80s", cmd,
			    tab + 1 + idlen);
	return 0;
}

static int flush(struct dv_sync *s)
{
	char reply[16];
	size_t n = s->n > DV_FLUSH_MAX_USERS ? 0 : s->n;	/* 0: all */

	if (command(s, "CACHE-FLUSH", s->users, n, reply) < 0)
		return -1;
	return strcmp(reply, "OK") == 0 ? 0 :
	       sync_fail(s, "unexpected answer %s to CACHE-FLUSH", reply);
}

/* 1 when Dovecot answers the probe from the new file. */
static int probe_new(struct dv_sync *s)
{
	char *args[] = {s->probe, "service=webstack"}, reply[16];

	if (command(s, "PASS", args, 2, reply) < 0)
		return -1;
	if (strcmp(reply, "PASS") != 0 && strcmp(reply, "NOTFOUND") != 0)
		return sync_fail(s, "unexpected answer %s to PASS", reply);
	return (strcmp(reply, "PASS") == 0) == s->probe_added;
}

static void wait_next_second(void)
{
	long long start = now_ms(CLOCK_REALTIME) / 1000;

	while (now_ms(CLOCK_REALTIME) / 1000 == start)
		sleep_ms(1000 - now_ms(CLOCK_REALTIME) % 1000);
}

int dv_sync_run(void *arg, const char **err_r)
{
	struct dv_sync *s = arg;
	int r;

	s->deadline = now_ms(CLOCK_MONOTONIC) + DV_SYNC_TIMEOUT_MS;
	r = dv_connect(s);
	if (r > 0)
		return 0;	/* Dovecot is not running: no cache, no old file */
	if (r == 0 && !s->probe) {
		wait_next_second();
		r = flush(s);
	}
	while (r == 0 && s->probe) {
		r = flush(s);
		if (r == 0)
			r = probe_new(s);
		if (r == 1) {
			r = flush(s);
			break;
		}
		if (r == 0 && now_ms(CLOCK_MONOTONIC) >= s->deadline)
			r = sync_fail(s, "Dovecot still serves the old users file after "
				 "%d ms", DV_SYNC_TIMEOUT_MS);
		if (r == 0)
			sleep_ms(PROBE_INTERVAL_MS);
	}
	close(s->fd);
	s->fd = -1;
	*err_r = s->msg;
	return r < 0 ? -1 : 0;
}

struct dv_sync *dv_sync_new(const char *socket_path, const char *const *users,
			    size_t n, const char *probe, int probe_added)
{
	struct dv_sync *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = -1;
	s->n = n;
	s->probe_added = probe_added;
	s->socket_path = strdup(socket_path);
	s->users = calloc(n + 1, sizeof(*s->users));
	s->probe = probe ? strdup(probe) : NULL;
	for (size_t i = 0; s->users && i < n; i++)
		if (!(s->users[i] = strdup(users[i])))
			s->n = i;
	if (!s->socket_path || !s->users || s->n != n || (probe && !s->probe)) {
		dv_sync_free(s);
		return NULL;
	}
	return s;
}

void dv_sync_free(void *arg)
{
	struct dv_sync *s = arg;

	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; s->users && i < s->n; i++)
		free(s->users[i]);
	free(s->users);
	free(s->probe);
	free(s->socket_path);
	free(s);
}

/* ---- the login check ---------------------------------------------------- */

/* One user: NULL when the passdb finds it, else why not. */
static const char *check_one(struct dv_sync *s, const char *user, int *failed_r)
{
	char *args[] = {(char *)user, "service=webstack"}, reply[16] = "";

	*failed_r = command(s, "PASS", args, 2, reply) < 0;
	if (*failed_r && strcmp(reply, "FAIL") == 0) {
		*failed_r = 0;	/* an answer: the connection is fine */
		return "Dovecot's passdb fails it (its log says why)";
	}
	if (*failed_r)
		return s->msg;
	if (strcmp(reply, "NOTFOUND") == 0)
		return "Dovecot's passdb does not find it";
	return strcmp(reply, "PASS") == 0 ? NULL : "an unexpected answer";
}

int dv_check_logins(const char *socket_path, const char *const *users, size_t n,
		    void (*bad)(void *arg, size_t i, const char *why), void *arg,
		    size_t *bad_r, char *msg, size_t msg_size)
{
	struct dv_sync *s = dv_sync_new(socket_path, NULL, 0, NULL, 0);
	size_t *pending = malloc((n + 1) * sizeof(*pending)), n_pending = n;
	const char **why = calloc(n + 1, sizeof(*why));
	long long settle_by = -1;
	int r = 0;

	*bad_r = 0;
	if (!s || !pending || !why) {
		snprintf(msg, msg_size, "out of memory");
		r = -1;
	}
	for (size_t i = 0; r == 0 && i < n; i++)
		pending[i] = i;
	/* A reload may still be settling: what fails is asked again, on a new
	 * connection after an error, until DV_SYNC_TIMEOUT_MS after the first
	 * round. */
	while (r == 0 && n_pending) {
		size_t kept = 0, i = 0;

		if (s->fd < 0 && (r = dv_connect(s)) != 0) {
			if (r > 0)
				sync_fail(s, "Dovecot does not answer on %s", socket_path);
			if (s->fd >= 0)
				close(s->fd);
			s->fd = -1;
			if (settle_by >= 0 && now_ms(CLOCK_MONOTONIC) >= settle_by)
				break;
			r = 0;
			settle_by = settle_by < 0 ? now_ms(CLOCK_MONOTONIC) +
				    DV_SYNC_TIMEOUT_MS : settle_by;
			sleep_ms(PROBE_INTERVAL_MS * 10);
			continue;
		}
		for (; i < n_pending; i++) {
			int failed;
			size_t k = pending[i];

			why[k] = check_one(s, users[k], &failed);
			if (why[k])
				pending[kept++] = k;
			if (failed) {
				close(s->fd);
				s->fd = -1;
				break;
			}
		}
		for (i += i < n_pending; i < n_pending; i++)
			pending[kept++] = pending[i];
		n_pending = kept;
		if (settle_by < 0)
			settle_by = now_ms(CLOCK_MONOTONIC) + DV_SYNC_TIMEOUT_MS;
		if (!n_pending || now_ms(CLOCK_MONOTONIC) >= settle_by)
			break;
		sleep_ms(PROBE_INTERVAL_MS * 10);
	}
	if (r != 0)
		r = -1;	/* no connection within the time: s->msg says why */
	for (size_t i = 0; r == 0 && i < n_pending; i++)
		bad(arg, pending[i], why[pending[i]]);
	*bad_r = r == 0 ? n_pending : 0;
	if (r < 0 && s)
		snprintf(msg, msg_size, "%s", s->msg);
	free(pending);
	free(why);
	dv_sync_free(s);
	return r;
}
