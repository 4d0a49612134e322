// SPDX-License-Identifier: MIT
/* Fuzz the --listen ADDR:PORT parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_listen l;
	char err[256];
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fl_listen_parse(s, &l, err, sizeof(err));
	free(s);
	return 0;
}
