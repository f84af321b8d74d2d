/* libFuzzer target: validate_domain, validate_address and validate_target
 * on arbitrary bytes. Whatever they accept must be accepted again as it is
 * (normalisation is idempotent) and hold no byte a map or passwd-file
 * line could split on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

static void check_out(const char *out)
{
	if (strpbrk(out, ":\n\r\t ,#/\\"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = strndup((const char *)data, size);
	char out[VALIDATE_ADDRESS_MAX + 1], again[VALIDATE_ADDRESS_MAX + 1];
	struct err e = {0};
	size_t local;

	if (validate_domain(in, out, VALIDATE_DOMAIN_MAX + 1, &e) == 0) {
		check_out(out);
		if (validate_domain(out, again, sizeof(again), &e) < 0 ||
		    strcmp(out, again) != 0)
			abort();
	}
	if (validate_address(in, out, sizeof(out), &local, &e) == 0) {
		check_out(out);
		if (out[local] != '@' ||
		    validate_address(out, again, sizeof(again), NULL, &e) < 0 ||
		    strcmp(out, again) != 0)
			abort();
	}
	if (validate_target(in, out, sizeof(out), &e) == 0)
		check_out(out);
	free(in);
	return 0;
}
