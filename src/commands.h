/* commands.h - handlers of the commands in the table (commands.c). */
#ifndef WS_COMMANDS_H
#define WS_COMMANDS_H

#include "ctx.h"

int cmd_version(struct ctx *c, int argc, char **argv);
int cmd_modules(struct ctx *c, int argc, char **argv);
int cmd_check_config(struct ctx *c, int argc, char **argv);
int cmd_validate_domain(struct ctx *c, int argc, char **argv);
int cmd_validate_address(struct ctx *c, int argc, char **argv);
int cmd_pw(struct ctx *c, int argc, char **argv);

#endif
