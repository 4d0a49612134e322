// SPDX-License-Identifier: MIT
/*
 * Prints every native threshold table (check_native.py verifies each value
 * with exact integer arithmetic): "schema imin n" then the n thresholds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "native.h"

int main(void)
{
	for (int s = FL_NATIVE_SCHEMA_MIN; s <= FL_NATIVE_SCHEMA_MAX; s++) {
		struct fl_native_geom g;
		uint64_t *t;

		if (fl_native_geom(s, &g))
			return 1;
		t = calloc((size_t)1 << g.steps, sizeof(*t));
		if (!t)
			return 1;
		fl_native_thresholds(&g, t);
		printf("%d %" PRId32 " %" PRIu32 "\n", s, g.imin, g.n);
		for (uint32_t k = 0; k < g.n; k++)
			printf("%" PRIu64 "\n", t[k]);
		free(t);
	}
	return fflush(stdout) ? 1 : 0;
}
