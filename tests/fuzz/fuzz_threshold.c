// SPDX-License-Identifier: MIT
/* Fuzz --fail-if parsing and evaluation (absolute and relative). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metastore.h"
#include "threshold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fl_snapshot a, b;
	struct fl_threshold t;
	char err[256], why[256];
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	metastore_init(&a.ms);
	metastore_init(&b.ms);
	metastore_record_duration(&b.ms, size * 1000);
	b.hist[fl_hist_bucket(size * 1000)] = 1;
	if (!fl_threshold_parse(s, &t, err, sizeof(err))) {
		fl_threshold_eval(&t, &b, why, sizeof(why));
		fl_threshold_eval_diff(&t, &a, &b, why, sizeof(why));
	}
	free(s);
	return 0;
}
