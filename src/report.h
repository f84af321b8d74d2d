/* report.h - collects the items of a struct webstack_report and prints
 * them as text ("ok  <check>  <value>") or, with --json, as
 * {"ok":..,"checks":[{"check","value","ok"}]}.
 *
 * Ownership: the report owns copies of every string it was given;
 * report_free() releases them. */
#ifndef WS_REPORT_H
#define WS_REPORT_H

#include <stddef.h>

#include <webstack/mail.h>

#include "ctx.h"

struct report_item {
	char *check, *value;
	int ok;
};

struct report {
	struct webstack_report sink;	/* handed to the modules */
	struct report_item *items;
	size_t n, cap;
};

void report_init(struct report *rep);
/* Adds one item (also what the sink's item() does). */
void report_add(struct report *rep, const char *check, const char *value, int ok);
/* Prints every item (as JSON with --json); returns 1 when all are ok. */
int report_print(struct ctx *c, const struct report *rep);
void report_free(struct report *rep);

#endif
