#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "run.h"

static char *const clean_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"LANG=C",
	NULL,
};

char *run_argv_string(const char *const argv[])
{
	struct buf b = {0};

	for (size_t i = 0; argv[i]; i++)
		buf_printf(&b, "%s%s", i ? " " : "", argv[i]);
	return buf_steal(&b);
}

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("webstack-io", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (len && fs_write_all(fd, data, len) < 0) {
		close(fd);
		return -1;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* In the child: wire stdio, close the rest, exec. Never returns. */
static void run_child(const char *const argv[], int in_fd, int out_fd)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	execve(argv[0], (char *const *)argv, clean_env);
	_exit(errno == ENOENT ? 127 : 126);
}

static int run_collect(int out_fd, char **output_r)
{
	struct buf b = {0};
	char chunk[8192];
	ssize_t n;

	if (lseek(out_fd, 0, SEEK_SET) < 0)
		return -1;
	while ((n = read(out_fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	if (n < 0) {
		buf_free(&b);
		return -1;
	}
	*output_r = buf_steal(&b);
	return 0;
}

int run_program(const char *const argv[], const void *input, size_t input_len,
		char **output_r, int *status_r, struct err *e)
{
	int in_fd, out_fd, st;
	pid_t pid;

	if (argv[0][0] != '/')
		return err_set(e, EX_SOFTWARE, "program '%s' is not an absolute path",
			       argv[0]);
	if (access(argv[0], X_OK) < 0)
		return err_set(e, EX_UNAVAILABLE, "cannot run %s: %s", argv[0],
			       strerror(errno));
	in_fd = input ? memfd_with(input, input_len) :
			open("/dev/null", O_RDONLY | O_CLOEXEC);
	out_fd = output_r ? memfd_with(NULL, 0) :
			    open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (in_fd < 0 || out_fd < 0) {
		err_set(e, EX_OSERR, "cannot set up I/O for %s: %s", argv[0],
			strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		err_set(e, EX_OSERR, "cannot fork for %s: %s", argv[0],
			strerror(errno));
		goto fail;
	}
	if (pid == 0)
		run_child(argv, in_fd, out_fd);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			err_set(e, EX_OSERR, "waiting for %s: %s", argv[0],
				strerror(errno));
			goto fail;
		}
	}
	*status_r = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (output_r && run_collect(out_fd, output_r) < 0) {
		err_set(e, EX_IOERR, "cannot read the output of %s", argv[0]);
		goto fail;
	}
	close(in_fd);
	close(out_fd);
	return 0;
fail:
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	return -1;
}
