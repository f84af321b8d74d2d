/* Reports: what `mail status`, `mail dns check` and `mail dns push`
 * collect from the modules and print. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "json.h"
#include "report.h"

static void sink_item(struct webstack_report *r, const char *check,
		      const char *value, int ok)
{
	report_add(r->priv, check, value, ok);
}

void report_init(struct report *rep)
{
	*rep = (struct report){.sink = {.item = sink_item, .priv = rep}};
}

void report_add(struct report *rep, const char *check, const char *value, int ok)
{
	if (rep->n == rep->cap) {
		rep->cap = rep->cap ? rep->cap * 2 : 16;
		rep->items = xrealloc(rep->items, rep->cap * sizeof(*rep->items));
	}
	rep->items[rep->n++] = (struct report_item){xstrdup(check), xstrdup(value), ok};
}

static void print_json(const struct report *rep, int all_ok)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_key(&j, "ok");
	json_bool(&j, all_ok);
	json_key(&j, "checks");
	json_arr_begin(&j);
	for (size_t i = 0; i < rep->n; i++) {
		json_obj_begin(&j);
		json_key(&j, "check");
		json_str(&j, rep->items[i].check);
		json_key(&j, "value");
		json_str(&j, rep->items[i].value);
		json_key(&j, "ok");
		json_bool(&j, rep->items[i].ok);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_done(&j);
}

int report_print(struct ctx *c, const struct report *rep)
{
	int all_ok = 1;

	for (size_t i = 0; i < rep->n; i++)
		all_ok &= rep->items[i].ok;
	if (c->opt[OPT_JSON])
		print_json(rep, all_ok);
	else
		for (size_t i = 0; i < rep->n; i++)
			printf("%-4s %-18s %s\n", rep->items[i].ok ? "ok" : "FAIL",
			       rep->items[i].check, rep->items[i].value);
	return all_ok;
}

void report_free(struct report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->items[i].check);
		free(rep->items[i].value);
	}
	free(rep->items);
	rep->items = NULL;
	rep->n = rep->cap = 0;
}
