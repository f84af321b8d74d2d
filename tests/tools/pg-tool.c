/* pg-tool - drives the pgsql code for tests/e2e/pgschema. The connection
 * string is in WS_PG_CONNINFO, the password on the first line of stdin.
 *
 *   pg-tool migrate   bring the schema up to date; prints "schema FROM -> TO"
 *   pg-tool apply     the changes on the following lines of stdin, in one
 *                     transaction: "add-domain D", "del-domain D",
 *                     "add-account A HASH", "del-account A", "passwd A HASH",
 *                     "alias A TARGET...", "del-alias A"
 *   pg-tool dump      the directory: "domain D", "account A HASH",
 *                     "alias A T1,T2", as loaded
 *
 * Exit status: 0, or the sysexits code the pgsql code gave (69 when it
 * cannot connect); 64 for a bad command line or change line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "pg_conn.h"
#include "pg_dir.h"
#include "pg_schema.h"

#define MAX_CHANGES 256
#define MAX_WORDS 16

static int migrate(PGconn *c, char **msg_r)
{
	int from = 0;
	enum pg_schema_result r = pg_schema_migrate(c, &from, msg_r);

	if (r == PG_SCHEMA_OK)
		printf("schema %d -> %d\n", from, PG_SCHEMA_VERSION);
	return r == PG_SCHEMA_OK ? 0 : r == PG_SCHEMA_NEWER ? EX_DATAERR : EX_SOFTWARE;
}

struct line {
	char *word[MAX_WORDS];
	size_t n;
};

static int parse_change(char *text, struct line *l, struct pg_change *ch)
{
	static const struct {
		const char *verb;
		enum pg_change_kind kind;
		size_t words;	/* with the verb; 0: at least 3 */
	} verbs[] = {
		{"add-domain", PG_ADD_DOMAIN, 2}, {"del-domain", PG_DEL_DOMAIN, 2},
		{"add-account", PG_ADD_ACCOUNT, 3}, {"del-account", PG_DEL_ACCOUNT, 2},
		{"passwd", PG_SET_HASH, 3}, {"alias", PG_SET_ALIAS, 0},
		{"del-alias", PG_DEL_ALIAS, 2},
	};

	for (char *w = strtok(text, " \n"); w && l->n < MAX_WORDS; w = strtok(NULL, " \n"))
		l->word[l->n++] = w;
	for (size_t i = 0; l->n && i < sizeof(verbs) / sizeof(*verbs); i++) {
		if (strcmp(l->word[0], verbs[i].verb) != 0)
			continue;
		if (verbs[i].words ? l->n != verbs[i].words : l->n < 3)
			return -1;
		*ch = (struct pg_change){.kind = verbs[i].kind, .name = l->word[1]};
		ch->local_len = strcspn(ch->name, "@");
		if (ch->kind == PG_ADD_ACCOUNT || ch->kind == PG_SET_HASH)
			ch->hash = l->word[2];
		if (ch->kind == PG_SET_ALIAS) {
			ch->targets = (const char *const *)&l->word[2];
			ch->n_targets = l->n - 2;
		}
		return 0;
	}
	return -1;
}

static int apply(PGconn *c, char **msg_r)
{
	static char text[MAX_CHANGES][1024];
	static struct line lines[MAX_CHANGES];
	static struct pg_change ch[MAX_CHANGES];
	size_t n = 0;

	while (n < MAX_CHANGES && fgets(text[n], sizeof(text[n]), stdin)) {
		if (parse_change(text[n], &lines[n], &ch[n]) < 0) {
			fprintf(stderr, "pg-tool: bad change line %zu\n", n + 1);
			return EX_USAGE;
		}
		n++;
	}
	return pg_dir_apply(c, ch, n, msg_r);
}

static int print_domain(struct webstack_directory_sink *s, const char *name,
			const char **err_r)
{
	(void)s, (void)err_r;
	printf("domain %s\n", name);
	return 0;
}

static int print_account(struct webstack_directory_sink *s, const char *address,
			 const char *hash, const char **err_r)
{
	(void)s, (void)err_r;
	printf("account %s %s\n", address, hash);
	return 0;
}

static int print_alias(struct webstack_directory_sink *s, const char *address,
		       const char *const *targets, size_t n, const char **err_r)
{
	(void)s, (void)err_r;
	printf("alias %s", address);
	for (size_t i = 0; i < n; i++)
		printf("%c%s", i ? ',' : ' ', targets[i]);
	putchar('\n');
	return 0;
}

static int dump(PGconn *c, char **msg_r)
{
	struct webstack_directory_sink sink = {.domain = print_domain,
					       .account = print_account,
					       .alias = print_alias};

	return pg_dir_load(c, &sink, 1, msg_r);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(PGconn *c, char **msg_r);
	} cmds[] = {{"migrate", migrate}, {"apply", apply}, {"dump", dump}};
	const char *conninfo = getenv("WS_PG_CONNINFO");
	int (*fn)(PGconn *, char **) = NULL;
	char password[1024], *msg = NULL;
	PGconn *c;
	int r;

	for (size_t i = 0; argc == 2 && i < sizeof(cmds) / sizeof(*cmds); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			fn = cmds[i].fn;
	if (!fn || !conninfo) {
		fprintf(stderr, "usage: WS_PG_CONNINFO=... pg-tool migrate|apply|dump"
			" < password [changes]\n");
		return EX_USAGE;
	}
	if (!fgets(password, sizeof(password), stdin))
		password[0] = '\0';
	password[strcspn(password, "\n")] = '\0';
	c = pg_connect(conninfo, password[0] ? password : NULL, &msg);
	explicit_bzero(password, sizeof(password));
	if (!c) {
		fprintf(stderr, "pg-tool: %s\n", msg ? msg : "out of memory");
		free(msg);
		return EX_UNAVAILABLE;
	}
	r = fn(c, &msg);
	PQfinish(c);
	if (r != 0 && msg)
		fprintf(stderr, "pg-tool: %s\n", msg);
	free(msg);
	return r;
}
