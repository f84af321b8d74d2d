#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "service.h"

#define SYSTEMCTL "/bin/systemctl"

const char *service_action_name(enum webstack_service_action act)
{
	static const char *const names[] = {
		[WEBSTACK_SERVICE_START] = "start",
		[WEBSTACK_SERVICE_RELOAD] = "reload",
		[WEBSTACK_SERVICE_RESTART] = "restart",
		[WEBSTACK_SERVICE_STOP] = "stop",
		[WEBSTACK_SERVICE_STATUS] = "status",
	};

	return names[act];
}

/* sd_booted(3) tests the same directory. */
static int systemd_running(void)
{
	return access("/run/systemd/system/", F_OK) == 0;
}

static int service_exec(const struct webstack_service *svc,
			const char *const argv[], int *status_r, struct err *e)
{
	char *out = NULL;
	int r = run_program(argv, NULL, 0, &out, status_r, e);

	if (r == 0 && *status_r != 0 && out) {
		size_t n = strlen(out);

		while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
			out[--n] = '\0';
		err_set(e, EX_UNAVAILABLE, "%s: '%s' failed (exit %d)%s%s", svc->name,
			argv[0], *status_r, n ? ": " : "", out);
	}
	free(out);
	return r;
}

/* A module may have just written the unit or a drop-in for it: systemd
 * uses changed unit files only after a daemon-reload. */
static int systemd_catch_up(const struct webstack_service *svc, struct err *e)
{
	const char *show[] = {SYSTEMCTL, "show", "--property=NeedDaemonReload",
			      "--value", "--", svc->unit, NULL};
	const char *reload[] = {SYSTEMCTL, "daemon-reload", NULL};
	char *out = NULL;
	int status, r, stale;

	r = run_program(show, NULL, 0, &out, &status, e);
	stale = r == 0 && status == 0 && out && strncmp(out, "yes", 3) == 0;
	free(out);
	if (r < 0 || !stale)
		return r;
	return service_exec(svc, reload, &status, e) < 0 || status ? -1 : 0;
}

static int service_systemctl(const struct webstack_service *svc,
			     enum webstack_service_action act, struct err *e)
{
	static const char *const verbs[] = {
		[WEBSTACK_SERVICE_START] = "start",
		[WEBSTACK_SERVICE_RELOAD] = "reload-or-restart",
		[WEBSTACK_SERVICE_RESTART] = "restart",
		[WEBSTACK_SERVICE_STOP] = "stop",
		[WEBSTACK_SERVICE_STATUS] = "is-active",
	};
	const char *argv[] = {SYSTEMCTL, verbs[act], "--quiet", "--", svc->unit,
			      NULL};
	int status;

	if (act != WEBSTACK_SERVICE_STATUS)
		argv[2] = "--no-ask-password";
	if (act == WEBSTACK_SERVICE_STATUS) {
		if (run_program(argv, NULL, 0, NULL, &status, e) < 0)
			return -1;
		return status == 0 ? 0 : 1;
	}
	if (systemd_catch_up(svc, e) < 0 || service_exec(svc, argv, &status, e) < 0)
		return -1;
	return status == 0 ? 0 : -1;
}

static int service_direct(const struct webstack_service *svc,
			  enum webstack_service_action act, struct err *e)
{
	const char *const *argv = NULL;
	int status, running;

	switch (act) {
	case WEBSTACK_SERVICE_STATUS:
		if (!svc->status)
			return err_set(e, EX_SOFTWARE, "%s: no status command",
				       svc->name);
		if (run_program(svc->status, NULL, 0, NULL, &status, e) < 0)
			return -1;
		return status == 0 ? 0 : 1;
	case WEBSTACK_SERVICE_START:
		argv = svc->start;
		break;
	case WEBSTACK_SERVICE_STOP:
		argv = svc->stop;
		break;
	case WEBSTACK_SERVICE_RELOAD:
	case WEBSTACK_SERVICE_RESTART:
		running = service_direct(svc, WEBSTACK_SERVICE_STATUS, e);
		if (running < 0)
			return -1;
		if (running == 1)
			return service_direct(svc, WEBSTACK_SERVICE_START, e);
		if (act == WEBSTACK_SERVICE_RESTART) {
			if (service_direct(svc, WEBSTACK_SERVICE_STOP, e) < 0)
				return -1;
			return service_direct(svc, WEBSTACK_SERVICE_START, e);
		}
		argv = svc->reload;
		break;
	}
	if (!argv)
		return err_set(e, EX_UNAVAILABLE,
			       "%s: cannot %s it without systemd", svc->name,
			       service_action_name(act));
	if (service_exec(svc, argv, &status, e) < 0)
		return -1;
	return status == 0 ? 0 : -1;
}

int service_control(const struct webstack_service *svc,
		    enum webstack_service_action act, struct err *e)
{
	if (systemd_running() && svc->unit)
		return service_systemctl(svc, act, e);
	return service_direct(svc, act, e);
}
