/* json.h - a small streaming JSON writer for --json output.
 *
 * Keeps track of commas; the caller writes keys and values in order. Strings
 * are escaped per RFC 8259 (control characters as \u00XX; bytes >= 0x80 are
 * passed through, the names webstack prints are ASCII after validation). */
#ifndef WS_JSON_H
#define WS_JSON_H

#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;	/* borrowed */
	int depth;
	int count[JSON_MAX_DEPTH];	/* items written at each depth */
};

void json_init(struct json *j, FILE *out);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);	/* NULL writes null */
void json_int(struct json *j, long long v);
void json_bool(struct json *j, int v);
/* Ends the document with a newline. */
void json_done(struct json *j);

#endif
