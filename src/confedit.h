/* confedit.h - a top-level option of webstack.conf rewritten in the
 * transaction: `mail setup --hostname` keeps the host name there, and
 * `mail migrate` the directory's new backend.
 *
 * The first line that sets the option at its start gets `key = "value"`
 * in its place (the rest of the file as it was); without one the line is
 * appended. The file keeps its mode and owner. value must need no quoting
 * (a host name or a module name).
 *
 * Ownership: nothing is kept; key and value are borrowed. */
#ifndef WS_CONFEDIT_H
#define WS_CONFEDIT_H

#include "ctx.h"

int conf_stage_option(struct ctx *c, const char *key, const char *value);

/* The start of the first line of text at the top level (outside every
 * section) that sets key, or NULL. Quotes and '#' comments are skipped,
 * so a brace in them counts for nothing. */
const char *conf_find_option(const char *text, const char *key);

#endif
