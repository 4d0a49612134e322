// SPDX-License-Identifier: MIT
/* Fuzz the whole command line: the input is NUL-separated arguments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fl_opts o;
	char *argv[33], err[512];
	char *buf = malloc(size + 1);
	int argc = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "flushlat";
	for (size_t i = 0; i < size && argc < 32; i++) {
		argv[argc++] = buf + i;
		i += strlen(buf + i);
	}
	argv[argc] = NULL;
	fl_opts_parse(argc, argv, &o, err, sizeof(err));
	free(buf);
	return 0;
}
