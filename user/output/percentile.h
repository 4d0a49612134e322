/* SPDX-License-Identifier: MIT */
/* Percentiles from the log-linear histogram (include/flushlat/hist.h). */
#ifndef FLUSHLAT_PERCENTILE_H
#define FLUSHLAT_PERCENTILE_H

#include <stdint.h>

/*
 * q in [0,1].  Returns an estimate inside the bucket holding the q-quantile,
 * clamped to [min_ns, max_ns] of the exact MetaStore (each when known: min
 * UINT64_MAX and max 0 are unknown); 0 when the histogram is empty.  Error bound: the bucket width (<= 6.25% of the value).
 */
uint64_t fl_hist_percentile(const uint64_t *hist, double q, uint64_t min_ns, uint64_t max_ns);

#endif /* FLUSHLAT_PERCENTILE_H */
