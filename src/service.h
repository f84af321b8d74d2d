/* service.h - start, reload, stop a daemon with or without systemd.
 *
 * With systemd running (/run/systemd/system exists) the unit is driven with
 * systemctl; otherwise the service's own commands are run (postfix start,
 * doveadm reload, ...), so webstack works on hosts and in containers. */
#ifndef WS_SERVICE_H
#define WS_SERVICE_H

#include <webstack/host.h>

#include "err.h"

/* 0 on success. For WEBSTACK_SERVICE_STATUS: 0 running, 1 not running.
 * A failed action gives EX_UNAVAILABLE with the program's own output. */
int service_control(const struct webstack_service *svc,
		    enum webstack_service_action act, struct err *e);

const char *service_action_name(enum webstack_service_action act);

#endif
