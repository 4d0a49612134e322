/* SPDX-License-Identifier: MIT */
/*
 * The classic histogram's layout: the `le` bounds every exporter publishes,
 * the same on every host and in every scrape (empty buckets included), so
 * sums over instances (`sum by (le)`) stay cumulative.
 *
 * A layout is MIN..MAX/N: N bounds per power of two of nanoseconds, from
 * 2^kmin to 2^kmax ns (MIN and MAX are rounded to the nearest power of two).
 * Every bound lies on a boundary of the log-linear BPF histogram (16
 * sub-buckets per power of two, include/flushlat/hist.h), so every
 * cumulative count is exact.  Those buckets are [lo, hi): the inclusive
 * `le` of a boundary X is X - 1 ns (le="2.047e-06" for 2048 ns).
 */
#ifndef FLUSHLAT_BUCKETS_H
#define FLUSHLAT_BUCKETS_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

#define FL_BUCKETS_DEFAULT "2us..32s/4" /* 2^11 .. 2^35 ns: 97 bounds, 100 series */
#define FL_BUCKETS_PER_MAX 16           /* the log-linear sub-buckets per power of two */

struct fl_buckets {
	unsigned int kmin, kmax; /* powers of two of ns */
	unsigned int per;        /* bounds per power of two: 1, 2, 4, 8 or 16 */
};

void fl_buckets_default(struct fl_buckets *b);
/* "MIN..MAX/N" (e.g. 2us..32s/4; units ns us ms s, none = ns).  0, or -1 with err. */
int fl_buckets_parse(const char *spec, struct fl_buckets *b, char *err, size_t errlen);
/* The number of finite bounds. */
size_t fl_buckets_count(const struct fl_buckets *b);
/* Finite bound j (0-based, ascending) as an inclusive ns value. */
uint64_t fl_buckets_le_ns(const struct fl_buckets *b, size_t j);
/* Cumulative counts at every finite bound, from a log-linear histogram (exact). */
void fl_buckets_cumulative(const struct fl_buckets *b, const uint64_t *hist, uint64_t *cum);
/*
 * The exemplar of every classic bucket (count + 1 entries, the last one for
 * +Inf): among the log-linear buckets inside it, the slowest flush of the
 * newest read interval that had any (value_ns 0 when none).
 */
void fl_buckets_exemplars(const struct fl_buckets *b, const struct fl_exemplar *ex,
			  struct fl_exemplar *out);
/* 1 when exemplar a is preferred to b: newer seq, then slower. */
int fl_exemplar_better(const struct fl_exemplar *a, const struct fl_exemplar *b);

#endif /* FLUSHLAT_BUCKETS_H */
