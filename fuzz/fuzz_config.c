/* libFuzzer target: the config loader (pass 1, src/conf.c) on arbitrary
 * text, written to a temporary file as webstack.conf would be read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_config.XXXXXX";
	struct config c;
	struct err e = {0};
	int fd = mkstemp(path);

	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	memset(&c, 0, sizeof(c));
	if (config_load(&c, path, 1, &e) < 0 && e.code == 0)
		abort();	/* a failure must say why */
	config_free(&c);
	unlink(path);
	return 0;
}
