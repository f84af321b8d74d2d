#include "config.h"

#include "json.h"

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->count[0] = 0;
}

/* Before a value: a comma unless it is the first in its container, and
 * nothing after a key (the key wrote its own separator). */
static void json_sep(struct json *j)
{
	if (j->count[j->depth] > 0 && j->count[j->depth] != -1)
		fputc(',', j->out);
	if (j->count[j->depth] == -1)
		j->count[j->depth] = 1;
	else
		j->count[j->depth]++;
}

static void json_open(struct json *j, int c)
{
	json_sep(j);
	fputc(c, j->out);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->count[j->depth] = 0;
}

void json_obj_begin(struct json *j)
{
	json_open(j, '{');
}

void json_arr_begin(struct json *j)
{
	json_open(j, '[');
}

void json_obj_end(struct json *j)
{
	fputc('}', j->out);
	j->depth--;
}

void json_arr_end(struct json *j)
{
	fputc(']', j->out);
	j->depth--;
}

static void json_escape(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void json_key(struct json *j, const char *key)
{
	json_sep(j);
	json_escape(j->out, key);
	fputc(':', j->out);
	j->count[j->depth] = -1;	/* the value follows without a comma */
}

void json_str(struct json *j, const char *s)
{
	json_sep(j);
	if (s)
		json_escape(j->out, s);
	else
		fputs("null", j->out);
}

void json_int(struct json *j, long long v)
{
	json_sep(j);
	fprintf(j->out, "%lld", v);
}

void json_bool(struct json *j, int v)
{
	json_sep(j);
	fputs(v ? "true" : "false", j->out);
}

void json_done(struct json *j)
{
	fputc('\n', j->out);
	fflush(j->out);
}
