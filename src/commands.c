#include "config.h"

#include "cli.h"
#include "commands.h"

const struct cli_option options[] = {
	{OPT_CONFIG, "config", 'c', "FILE",
	 "read FILE instead of " SYSCONFDIR "/webstack/webstack.conf"},
	{OPT_ROOT, "root", 0, "DIR", "prefix every path webstack reads or writes with DIR"},
	{OPT_MODULE_DIR, "module-dir", 0, "DIR", "look for modules in DIR first"},
	{OPT_DRY_RUN, "dry-run", 'n', NULL,
	 "print the diff of every file that would change; change nothing"},
	{OPT_JSON, "json", 0, NULL, "print JSON instead of text"},
	{OPT_QUIET, "quiet", 'q', NULL, "print only errors and warnings"},
	{OPT_VERBOSE, "verbose", 'v', NULL, "say more (twice: debug)"},
	{OPT_VERSION, "version", 'V', NULL, "print the version and exit"},
	{OPT_HELP, "help", 'h', NULL, "describe the command"},
	{OPT_PASSWORD_STDIN, "password-stdin", 0, NULL,
	 "read the password from the first line of standard input"},
	{OPT_SCHEME, "scheme", 's', "SCHEME",
	 "ARGON2ID, SHA512-CRYPT or BLF-CRYPT (default: password_scheme of the config)"},
	{OPT_COUNT_, NULL, 0, NULL, NULL},
};

static const enum opt_id pw_opts[] = {OPT_SCHEME, OPT_COUNT_};

const struct cli_command commands[] = {
	{"help", "[COMMAND...]", 0, -1, 0, NULL,
	 "Describe webstack's commands", NULL, cmd_help},
	{"version", NULL, 0, 0, 0, NULL,
	 "Print the version and the module ABI", NULL, cmd_version},
	{"modules", NULL, 0, 0, CMD_JSON, NULL,
	 "List the available and the loaded modules",
	 "Every module file in the search path (--module-dir, module_dir of "
	 "webstack.conf, then " WEBSTACK_MODULEDIR ") is checked and shown with "
	 "its role, version and summary, and whether webstack.conf loads it; a "
	 "module that cannot be loaded is shown with the reason.",
	 cmd_modules},
	{"check-config", NULL, 0, 0, 0, NULL,
	 "Load the configuration and every module it names, check everything",
	 "Reads webstack.conf in both passes, loads the modules, runs each "
	 "module's own checks and changes nothing. Exits 0 when all is well and "
	 "78 with file:line messages when not.",
	 cmd_check_config},
	{"validate domain", "NAME...", 1, -1, CMD_JSON, NULL,
	 "Check mail domain names and print them normalised",
	 "Prints each NAME as webstack stores it: lowercase, international names "
	 "as A-labels (IDNA2008). Exits 65 naming the rule a NAME breaks.",
	 cmd_validate_domain},
	{"validate address", "ADDRESS...", 1, -1, CMD_JSON, NULL,
	 "Check mailbox addresses and print them normalised",
	 "Local parts may hold a-z, 0-9, '.', '_' and '-', start and end with a "
	 "letter or digit and have no '..'; the domain follows the domain rules. "
	 "Exits 65 naming the rule an ADDRESS breaks.",
	 cmd_validate_address},
	{"pw", "[PASSWORD]", 0, 1, CMD_PASSWORD, pw_opts,
	 "Hash a password the way webstack stores it",
	 "Prints {SCHEME}hash for Dovecot. Without PASSWORD it is asked for on "
	 "the terminal (twice, without echo) or read from standard input with "
	 "--password-stdin. A PASSWORD given as an argument is wiped from the "
	 "process's command line at once, but stays in your shell history: "
	 "prefer the prompt.",
	 cmd_pw},
	{"__complete", "WORDS...", 0, -1, CMD_HIDDEN, NULL,
	 "Print the words that may follow WORDS (for bash completion)", NULL,
	 cmd_complete},
	{"__man", NULL, 0, 0, CMD_HIDDEN, NULL,
	 "Print the COMMANDS section of webstack(8)", NULL, cmd_man},
	{NULL, NULL, 0, 0, 0, NULL, NULL, NULL, NULL},
};
