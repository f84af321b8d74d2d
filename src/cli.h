/* cli.h - the command table and the parser it drives.
 *
 * Every command is one row of commands[] (commands.c). Parsing, `--help`,
 * `webstack help`, bash completion (`webstack __complete`) and the COMMANDS
 * section of webstack(8) (`webstack __man`) are all generated from it. */
#ifndef WS_CLI_H
#define WS_CLI_H

#include <stdio.h>

#include "ctx.h"

/* Command flags: which optional global behaviours a command supports. */
#define CMD_JSON 0x1u		/* --json */
#define CMD_DRY_RUN 0x2u	/* --dry-run */
#define CMD_PASSWORD 0x4u	/* last argument may be a password */
#define CMD_HIDDEN 0x8u		/* internal: not in help or the man page */

struct cli_option {
	enum opt_id id;
	const char *long_name;	/* without "--" */
	char short_name;	/* 0 for none */
	const char *arg;	/* metavariable when it takes a value, else NULL */
	const char *help;
};

struct cli_command {
	const char *words;	/* "validate domain" */
	const char *args;	/* usage of the arguments: "NAME..." */
	int min_args, max_args;	/* max -1: no limit */
	unsigned flags;
	const enum opt_id *options;	/* command options, OPT_COUNT_-terminated */
	const char *summary;
	const char *help;
	int (*run)(struct ctx *c, int argc, char **argv);
};

extern const struct cli_command commands[];
extern const struct cli_option options[];

/* Parses argv and runs the command; returns the exit status. */
int cli_main(struct ctx *c, int argc, char **argv);

/* Help for one command, or the overview when cmd is NULL. */
void cli_help(FILE *out, const struct cli_command *cmd);

/* Command handlers that live in cli.c: they are about the table. */
int cmd_help(struct ctx *c, int argc, char **argv);
int cmd_complete(struct ctx *c, int argc, char **argv);
int cmd_man(struct ctx *c, int argc, char **argv);

#endif
