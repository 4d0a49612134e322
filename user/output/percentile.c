// SPDX-License-Identifier: MIT
/*
 * Percentiles from the log-linear histogram.
 *
 * The q-quantile is the value of rank r = ceil(q * N) (1-based, r >= 1) in
 * sorted order.  We walk the cumulative counts to the bucket holding rank r
 * and return the midpoint of that bucket, clamped to the exact [min, max]
 * the MetaStore recorded.  The true value lies in the same bucket, so the
 * error is below the bucket width: exact for values < 16 ns, otherwise at
 * most 1/16 of the bucket's lower bound (6.25%), half that from the midpoint.
 */
#include <math.h>

#include "percentile.h"
#include "flushlat/hist.h"
#include "flushlat/metastore_layout.h"

/*
 * Each bound only when it is known: an empty MetaStore has min UINT64_MAX and
 * max 0, and a --delta interval may know one extreme and not the other.
 */
static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	if (lo != FL_MIN_EMPTY && v < lo)
		return lo;
	if (hi && v > hi)
		return hi;
	return v;
}

uint64_t fl_hist_percentile(const uint64_t *hist, double q, uint64_t min_ns, uint64_t max_ns)
{
	uint64_t n = 0, rank, seen = 0, lo, hi, mid;
	double r;
	__u32 i;

	for (i = 0; i < FL_HIST_NBUCKETS; i++)
		n += hist[i];
	if (n == 0)
		return 0;
	if (!(q > 0.0)) /* also catches NaN */
		q = 0.0;
	if (q > 1.0)
		q = 1.0;
	r = ceil(q * (double)n);
	rank = r < 1.0 ? 1 : (r >= (double)n ? n : (uint64_t)r);

	for (i = 0; i < FL_HIST_NBUCKETS; i++) {
		seen += hist[i];
		if (seen >= rank)
			break;
	}
	if (i >= FL_HIST_NBUCKETS) /* cannot happen: seen reaches n */
		i = FL_HIST_NBUCKETS - 1;
	lo = fl_hist_bucket_lo(i);
	hi = fl_hist_bucket_hi(i); /* one past the last value */
	mid = lo + (hi - 1 - lo) / 2;
	return clamp_u64(mid, min_ns, max_ns);
}
