// SPDX-License-Identifier: MIT
/*
 * Fuzz /metrics content negotiation: the Accept header comes from the
 * network.  Whatever it says, the answer is a format that was offered.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int offers[] = {
		1U << FL_EXPO_TEXT, (1U << FL_EXPO_TEXT) | (1U << FL_EXPO_OPENMETRICS), FL_EXPO_ALL,
	};
	char *s = malloc(size + 1);
	int om001;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (size_t i = 0; i < sizeof(offers) / sizeof(offers[0]); i++) {
		enum fl_expo_fmt f = fl_negotiate(s, offers[i], &om001);

		if (!(offers[i] & (1U << f)) || (om001 && f != FL_EXPO_OPENMETRICS))
			abort();
		if (!fl_expo_content_type(f, om001)[0])
			abort();
	}
	free(s);
	return 0;
}
