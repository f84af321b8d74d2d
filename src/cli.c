#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "log.h"

/* Options every command takes. */
static const enum opt_id global_opts[] = {
	OPT_CONFIG, OPT_ROOT, OPT_MODULE_DIR, OPT_QUIET, OPT_VERBOSE,
	OPT_VERSION, OPT_HELP, OPT_COUNT_,
};

static const struct cli_option *option_by_id(enum opt_id id)
{
	for (const struct cli_option *o = options; o->long_name; o++)
		if (o->id == id)
			return o;
	return NULL;
}

static int cmd_allows(const struct cli_command *cmd, enum opt_id id)
{
	for (const enum opt_id *g = global_opts; *g != OPT_COUNT_; g++)
		if (*g == id)
			return 1;
	if (id == OPT_JSON)
		return (cmd->flags & CMD_JSON) != 0;
	if (id == OPT_DRY_RUN)
		return (cmd->flags & CMD_DRY_RUN) != 0;
	if (id == OPT_PASSWORD_STDIN)
		return (cmd->flags & CMD_PASSWORD) != 0;
	for (const enum opt_id *o = cmd->options; o && *o != OPT_COUNT_; o++)
		if (*o == id)
			return 1;
	return 0;
}

/* ---- help ------------------------------------------------------------- */

static void option_usage(FILE *out, const struct cli_option *o)
{
	char left[64];

	if (o->short_name)
		snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
			 o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
	else
		snprintf(left, sizeof(left), "    --%s%s%s", o->long_name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
	fprintf(out, "  %-26s %s\n", left, o->help);
}

void cli_help(FILE *out, const struct cli_command *cmd)
{
	if (!cmd) {
		fprintf(out, "Usage: webstack [OPTIONS] COMMAND [ARGS]\n\n"
			     "Set up and administer a virtual-domain mail server.\n\n"
			     "Commands:\n");
		for (const struct cli_command *k = commands; k->words; k++)
			if (!(k->flags & CMD_HIDDEN))
				fprintf(out, "  %-28s %s\n", k->words, k->summary);
		fprintf(out, "\nOptions:\n");
		for (const enum opt_id *g = global_opts; *g != OPT_COUNT_; g++)
			option_usage(out, option_by_id(*g));
		fprintf(out, "\n'webstack COMMAND --help' describes a command; "
			     "webstack(8) has the details.\n");
		return;
	}
	fprintf(out, "Usage: webstack [OPTIONS] %s%s%s\n\n%s.\n", cmd->words,
		cmd->args ? " " : "", cmd->args ? cmd->args : "", cmd->summary);
	if (cmd->help)
		fprintf(out, "\n%s\n", cmd->help);
	fprintf(out, "\nOptions:\n");
	for (const struct cli_option *o = options; o->long_name; o++)
		if (cmd_allows(cmd, o->id) && o->help)
			option_usage(out, o);
}

/* ---- parsing ---------------------------------------------------------- */

static const struct cli_option *option_by_name(const char *name, size_t len)
{
	for (const struct cli_option *o = options; o->long_name; o++)
		if (strlen(o->long_name) == len && strncmp(o->long_name, name, len) == 0)
			return o;
	return NULL;
}

static const struct cli_option *option_by_short(char c)
{
	for (const struct cli_option *o = options; o->long_name; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

static void next_words(char *const *words, int n, struct strv *out);

/* No command matches the words: name the words that may follow the
 * longest prefix that some command starts with ("mail" -> "setup, ..."). */
static int unknown_command(char **argv, const int *pos, int n_pos)
{
	char **words = xmalloc((size_t)n_pos * sizeof(*words));
	struct strv next = {0};
	int n = n_pos;

	for (int i = 0; i < n_pos; i++)
		words[i] = argv[pos[i]];
	for (; n > 0; n--) {
		next_words(words, n, &next);
		if (next.n)
			break;
	}
	if (next.n) {
		fprintf(stderr, "webstack: '");
		for (int i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? " " : "", words[i]);
		fprintf(stderr, "' needs one of:");
		for (size_t i = 0; i < next.n; i++)
			fprintf(stderr, " %s", next.v[i]);
		fprintf(stderr, " (see 'webstack help')\n");
	} else {
		fprintf(stderr, "webstack: unknown command '%s' (see 'webstack --help')\n",
			words[0]);
	}
	strv_free(&next);
	free(words);
	return EX_USAGE;
}

/* Prints "webstack: <what> '<arg>' (see ...)" and returns EX_USAGE. */
static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "webstack: %s '%s' (see 'webstack --help')\n", what, arg);
	return EX_USAGE;
}

static void set_option(struct ctx *c, const struct cli_option *o, const char *v)
{
	if (o->id == OPT_QUIET)
		c->verbosity = -1;
	else if (o->id == OPT_VERBOSE)
		c->verbosity++;
	c->opt[o->id] = v ? v : "1";
}

/* Splits argv into options (stored in c) and positional words (indexes into
 * argv, in pos). Returns 0 or an exit status. */
static int parse_args(struct ctx *c, int argc, char **argv, int *pos, int *n_pos)
{
	int dashdash = 0;

	*n_pos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct cli_option *o;

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			pos[(*n_pos)++] = i;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');

			o = option_by_name(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
			if (!o)
				return usage_error("unknown option", a);
			if (!o->arg && eq)
				return usage_error("this option takes no value:", a);
			if (o->arg && !eq && i + 1 >= argc)
				return usage_error("this option needs a value:", a);
			set_option(c, o, o->arg ? (eq ? eq + 1 : argv[++i]) : NULL);
			continue;
		}
		for (const char *s = a + 1; *s; s++) {
			o = option_by_short(*s);
			if (!o) {
				char bad[3] = {'-', *s, '\0'};

				return usage_error("unknown option", bad);
			}
			if (o->arg) {	/* the rest of the word, or the next one */
				if (s[1])
					set_option(c, o, s + 1);
				else if (i + 1 < argc)
					set_option(c, o, argv[++i]);
				else
					return usage_error("this option needs a value:", a);
				break;
			}
			set_option(c, o, NULL);
		}
	}
	return 0;
}

/* Number of leading positional words that spell cmd, or 0. */
static int match_words(const struct cli_command *cmd, char **argv, const int *pos,
		       int n_pos)
{
	const char *w = cmd->words;
	int n = 0;

	while (*w) {
		size_t len = strcspn(w, " ");

		if (n >= n_pos || strlen(argv[pos[n]]) != len ||
		    strncmp(argv[pos[n]], w, len) != 0)
			return 0;
		n++;
		w += len;
		w += *w == ' ';
	}
	return n;
}

static const struct cli_command *find_command(char **argv, const int *pos,
					      int n_pos, int *used)
{
	const struct cli_command *best = NULL;

	*used = 0;
	for (const struct cli_command *k = commands; k->words; k++) {
		int n = match_words(k, argv, pos, n_pos);

		if (n > *used) {
			*used = n;
			best = k;
		}
	}
	return best;
}

static int check_root(struct ctx *c)
{
	struct stat st;
	const char *r = c->opt[OPT_ROOT];

	c->root = "";
	if (!r)
		return 0;
	if (r[0] != '/' || stat(r, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "webstack: --root '%s' is not an absolute path of a "
				"directory\n", r);
		return EX_USAGE;
	}
	/* "/" means the real root; otherwise strip trailing slashes */
	if (strcmp(r, "/") != 0) {
		size_t n = strlen(r);

		while (n > 1 && r[n - 1] == '/')
			n--;
		c->root = c->root_buf = xasprintf("%.*s", (int)n, r);
	}
	return 0;
}

/* Copies the arguments of the command, and wipes a password argument from
 * the process's own argv so /proc/PID/cmdline no longer shows it. */
static char **take_args(const struct cli_command *cmd, char **argv, const int *pos,
			int n_args)
{
	char **args = xmalloc(((size_t)n_args + 1) * sizeof(*args));

	for (int i = 0; i < n_args; i++)
		args[i] = xstrdup(argv[pos[i]]);
	args[n_args] = NULL;
	if ((cmd->flags & CMD_PASSWORD) && n_args == cmd->max_args && n_args > 0)
		explicit_bzero(argv[pos[n_args - 1]], strlen(argv[pos[n_args - 1]]));
	return args;
}

static void free_args(char **args, int n)
{
	for (int i = 0; i < n; i++) {
		explicit_bzero(args[i], strlen(args[i]));
		free(args[i]);
	}
	free(args);
}

int cli_main(struct ctx *c, int argc, char **argv)
{
	const struct cli_command *cmd;
	int *pos = xmalloc((size_t)argc * sizeof(int));
	int n_pos, used, n_args, r;
	char **args;

	r = parse_args(c, argc, argv, pos, &n_pos);
	if (r == 0 && c->opt[OPT_VERSION] && n_pos == 0) {
		free(pos);
		return cmd_version(c, 0, NULL);
	}
	if (r == 0 && n_pos == 0) {
		cli_help(c->opt[OPT_HELP] ? stdout : stderr, NULL);
		free(pos);
		return c->opt[OPT_HELP] ? 0 : EX_USAGE;
	}
	cmd = r == 0 ? find_command(argv, pos, n_pos, &used) : NULL;
	if (r == 0 && !cmd)
		r = unknown_command(argv, pos, n_pos);
	if (r != 0) {
		free(pos);
		return r;
	}
	if (c->opt[OPT_HELP]) {
		cli_help(stdout, cmd);
		free(pos);
		return 0;
	}
	for (int id = 0; id < OPT_COUNT_; id++)
		if (c->opt[id] && !cmd_allows(cmd, (enum opt_id)id)) {
			fprintf(stderr, "webstack: '%s' does not take --%s (see "
				"'webstack %s --help')\n", cmd->words,
				option_by_id((enum opt_id)id)->long_name, cmd->words);
			free(pos);
			return EX_USAGE;
		}
	n_args = n_pos - used;
	if (n_args < cmd->min_args || (cmd->max_args >= 0 && n_args > cmd->max_args)) {
		fprintf(stderr, "webstack: %s: wrong number of arguments\n"
				"Usage: webstack %s%s%s\n",
			cmd->words, cmd->words, cmd->args ? " " : "",
			cmd->args ? cmd->args : "");
		free(pos);
		return EX_USAGE;
	}
	r = check_root(c);
	if (r != 0) {
		free(pos);
		return r;
	}
	log_set_verbosity(c->verbosity);
	args = take_args(cmd, argv, pos + used, n_args);
	free(pos);
	r = cmd->run(c, n_args, args);
	if (r == 0 && ctx_run_background(c) < 0)
		r = ctx_fail(c);
	free_args(args, n_args);
	return r;
}

/* ---- help, completion and man page from the table --------------------- */

int cmd_help(struct ctx *c, int argc, char **argv)
{
	int pos[64], used = 0;
	const struct cli_command *cmd = NULL;

	(void)c;
	if (argc > 64)
		argc = 64;
	/* find_command() takes argv indexes; here the words are argv itself */
	for (int i = 0; i < argc; i++)
		pos[i] = i;
	if (argc > 0) {
		cmd = find_command(argv, pos, argc, &used);
		if (!cmd || used != argc)
			return usage_error("no command", argv[0]);
	}
	cli_help(stdout, cmd);
	return 0;
}

/* How many leading words of cmd's name words[0..n-1] spell; *rest_r points
 * to the rest of its name. */
static int words_prefix(const struct cli_command *k, char *const *words, int n,
			const char **rest_r)
{
	const char *w = k->words;
	int i = 0;

	for (; i < n && *w; i++) {
		size_t len = strcspn(w, " ");

		if (strlen(words[i]) != len || strncmp(words[i], w, len) != 0)
			break;
		w += len;
		w += *w == ' ';
	}
	*rest_r = w;
	return i;
}

/* The distinct words that may follow words[0..n-1], in table order. */
static void next_words(char *const *words, int n, struct strv *out)
{
	for (const struct cli_command *k = commands; k->words; k++) {
		const char *rest;

		if (!(k->flags & CMD_HIDDEN) && words_prefix(k, words, n, &rest) == n &&
		    *rest) {
			char *next = strndup(rest, strcspn(rest, " "));

			if (next && !strv_contains(out, next))
				strv_take(out, next);
			else
				free(next);
		}
	}
}

int cmd_complete(struct ctx *c, int argc, char **argv)
{
	struct strv next = {0};
	int n = 0;

	(void)c;
	for (int i = 0; i < argc; i++)	/* option words do not choose a command */
		if (argv[i][0] != '-')
			argv[n++] = argv[i];
	next_words(argv, n, &next);
	for (size_t i = 0; i < next.n; i++)
		printf("%s\n", next.v[i]);
	for (const struct cli_command *k = commands; k->words; k++) {
		const char *rest;

		if (!(k->flags & CMD_HIDDEN) && words_prefix(k, argv, n, &rest) == n &&
		    !*rest)	/* a whole command: its options */
			for (const struct cli_option *o = options; o->long_name; o++)
				if (cmd_allows(k, o->id) && o->help)
					printf("--%s\n", o->long_name);
	}
	strv_free(&next);
	return 0;
}

static void man_escape(const char *s)
{
	for (; *s; s++) {
		if (*s == '-' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
}

/* The COMMANDS section of webstack(8), in troff. */
int cmd_man(struct ctx *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	for (const struct cli_command *k = commands; k->words; k++) {
		if (k->flags & CMD_HIDDEN)
			continue;
		printf(".TP\n.B webstack ");
		man_escape(k->words);
		if (k->args) {
			printf(" \\fI");
			man_escape(k->args);
			printf("\\fR");
		}
		printf("\n");
		man_escape(k->summary);
		printf(".\n");
		if (k->help) {
			printf(".IP\n");
			man_escape(k->help);
			printf("\n");
		}
		for (const struct cli_option *o = options; o->long_name; o++) {
			if (!o->help)
				continue;
			for (const enum opt_id *id = k->options; id && *id != OPT_COUNT_; id++)
				if (*id == o->id) {
					printf(".IP\n\\fB\\-\\-");
					man_escape(o->long_name);
					printf("\\fR%s", o->arg ? " \\fI" : "");
					if (o->arg) {
						man_escape(o->arg);
						printf("\\fR");
					}
					printf(": ");
					man_escape(o->help);
					printf("\n");
				}
		}
	}
	return 0;
}
