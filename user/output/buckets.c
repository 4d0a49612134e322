// SPDX-License-Identifier: MIT
/* buckets.c - the classic histogram's fixed layout (see buckets.h). */
#include "buckets.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threshold.h"

/* N bounds per power of two are log-linear boundaries only up to its sub-buckets */
_Static_assert(FL_BUCKETS_PER_MAX == FL_HIST_SUB, "bounds must be log-linear boundaries");

void fl_buckets_default(struct fl_buckets *b)
{
	b->kmin = 11;
	b->kmax = 35;
	b->per = 4;
}

/* A duration "2us" as the nearest power of two of ns (its exponent); -1 if bad. */
static int parse_pow2(const char *s, size_t n)
{
	char num[32], *end;
	double v, scale;
	size_t i = 0;

	while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
		i++;
	if (!i || i >= sizeof(num))
		return -1;
	memcpy(num, s, i);
	num[i] = '\0';
	errno = 0;
	v = strtod(num, &end);
	scale = i == n ? 1.0 : fl_duration_unit(s + i, n - i);
	if (errno || *end || !(scale > 0))
		return -1;
	v *= scale;
	if (!(v >= 1.0) || v > 9.3e18) /* 1 ns .. 2^63 ns */
		return -1;
	return (int)lround(log2(v));
}

int fl_buckets_parse(const char *spec, struct fl_buckets *b, char *err, size_t errlen)
{
	const char *dots = spec ? strstr(spec, "..") : NULL, *slash;
	int kmin, kmax;
	char *end;
	long per;

	slash = dots ? strchr(dots, '/') : NULL;
	if (!slash) {
		snprintf(err, errlen, "'%s': expected MIN..MAX/N, e.g. %s", spec ? spec : "",
			 FL_BUCKETS_DEFAULT);
		return -1;
	}
	kmin = parse_pow2(spec, (size_t)(dots - spec));
	kmax = parse_pow2(dots + 2, (size_t)(slash - dots - 2));
	if (kmin < 0 || kmax < 0) {
		snprintf(err, errlen, "'%s': MIN and MAX are durations from 1ns to 9e9s "
			 "(units ns us ms s), e.g. %s", spec, FL_BUCKETS_DEFAULT);
		return -1;
	}
	errno = 0;
	per = strtol(slash + 1, &end, 10);
	/* a power of two up to the log-linear sub-buckets: every bound is exact */
	if (errno || end == slash + 1 || *end || per < 1 || per > FL_BUCKETS_PER_MAX ||
	    (per & (per - 1))) {
		snprintf(err, errlen, "'%s': N (bounds per power of two) must be 1, 2, 4, 8 or 16",
			 spec);
		return -1;
	}
	if (kmax > 63)
		kmax = 63;
	if (kmin >= kmax) {
		snprintf(err, errlen, "'%s': MIN must be below MAX once both are rounded to "
			 "powers of two (2^%d and 2^%d ns)", spec, kmin, kmax);
		return -1;
	}
	if ((1L << kmin) < per) {
		snprintf(err, errlen, "'%s': MIN must be at least N ns (bounds are whole ns)", spec);
		return -1;
	}
	b->kmin = (unsigned int)kmin;
	b->kmax = (unsigned int)kmax;
	b->per = (unsigned int)per;
	return 0;
}

size_t fl_buckets_count(const struct fl_buckets *b)
{
	return (size_t)(b->kmax - b->kmin) * b->per + 1;
}

uint64_t fl_buckets_le_ns(const struct fl_buckets *b, size_t j)
{
	unsigned int k = b->kmin + (unsigned int)(j / b->per);
	uint64_t step = (uint64_t)(j % b->per);

	/* 2^k * (1 + step / per): a log-linear boundary; le is the ns below it */
	return (1ULL << k) + step * ((1ULL << k) / b->per) - 1;
}

void fl_buckets_cumulative(const struct fl_buckets *b, const uint64_t *hist, uint64_t *cum)
{
	size_t n = fl_buckets_count(b);
	uint64_t c = 0;
	__u32 i = 0;

	for (size_t j = 0; j < n; j++) {
		uint64_t le = fl_buckets_le_ns(b, j);

		for (; i < FL_HIST_NBUCKETS && fl_hist_bucket_hi(i) - 1 <= le; i++)
			c += hist[i];
		cum[j] = c;
	}
}

int fl_exemplar_better(const struct fl_exemplar *a, const struct fl_exemplar *b)
{
	if (!a->value_ns)
		return 0;
	if (!b->value_ns || a->seq != b->seq)
		return !b->value_ns || a->seq > b->seq;
	return a->value_ns > b->value_ns;
}

void fl_buckets_exemplars(const struct fl_buckets *b, const struct fl_exemplar *ex,
			  struct fl_exemplar *out)
{
	size_t n = fl_buckets_count(b), j = 0;

	memset(out, 0, (n + 1) * sizeof(*out));
	for (__u32 i = 0; i < FL_HIST_NBUCKETS; i++) {
		/* the classic bucket holding log-linear bucket i: the first bound >= its top */
		while (j < n && fl_hist_bucket_hi(i) - 1 > fl_buckets_le_ns(b, j))
			j++;
		if (fl_exemplar_better(&ex[i], &out[j]))
			out[j] = ex[i];
	}
}
