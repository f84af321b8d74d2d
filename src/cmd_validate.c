#include "config.h"

#include <string.h>

#include "commands.h"
#include "json.h"
#include "log.h"
#include "validate.h"

typedef int validator_fn(const char *in, char *out, size_t outsz, struct err *e);

static int validate_domain_fn(const char *in, char *out, size_t outsz, struct err *e)
{
	return validate_domain(in, out, outsz, e);
}

static int validate_address_fn(const char *in, char *out, size_t outsz,
			       struct err *e)
{
	return validate_address(in, out, outsz, NULL, e);
}

/* Prints each name normalised; exits 65 when any is invalid. */
static int validate_all(struct ctx *c, int argc, char **argv, validator_fn *fn)
{
	int json = c->opt[OPT_JSON] != NULL, bad = 0;
	char out[VALIDATE_ADDRESS_MAX + 1];
	struct json j;

	if (json) {
		json_init(&j, stdout);
		json_arr_begin(&j);
	}
	for (int i = 0; i < argc; i++) {
		struct err e = {0};
		int ok = fn(argv[i], out, sizeof(out), &e) == 0;

		bad |= !ok;
		if (json) {
			json_obj_begin(&j);
			json_key(&j, "input");
			json_str(&j, argv[i]);
			json_key(&j, "valid");
			json_bool(&j, ok);
			json_key(&j, ok ? "normalized" : "error");
			json_str(&j, ok ? out : e.msg);
			json_obj_end(&j);
		} else if (ok) {
			printf("%s\n", out);
		} else {
			log_msg(WEBSTACK_LOG_ERR, "%s", e.msg);
		}
	}
	if (json) {
		json_arr_end(&j);
		json_done(&j);
	}
	return bad ? EX_DATAERR : 0;
}

int cmd_validate_domain(struct ctx *c, int argc, char **argv)
{
	return validate_all(c, argc, argv, validate_domain_fn);
}

int cmd_validate_address(struct ctx *c, int argc, char **argv)
{
	return validate_all(c, argc, argv, validate_address_fn);
}
