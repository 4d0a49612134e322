/* SPDX-License-Identifier: MIT */
/*
 * Log-linear latency histogram bucket math, shared by the BPF program and user
 * space (one definition, never duplicated).
 *
 * Values 0..15 ns get one exact bucket each.  Above that, every power of two
 * [2^k, 2^(k+1)) is split into FL_HIST_SUB = 16 equal sub-buckets, so a bucket
 * is at most 1/16 = 6.25% wide relative to its lower bound.  The whole u64
 * range is covered (no overflow bucket): 16 + 60 * 16 = 976 buckets.
 */
#ifndef FLUSHLAT_HIST_H
#define FLUSHLAT_HIST_H

#include <linux/types.h>

#define FL_HIST_SUB_BITS 4
#define FL_HIST_SUB (1U << FL_HIST_SUB_BITS)
#define FL_HIST_NBUCKETS (FL_HIST_SUB + (64 - FL_HIST_SUB_BITS) * FL_HIST_SUB)

/* floor(log2(v)) for v > 0, branch-light so the BPF verifier sees no loop. */
static inline __u32 fl_log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFFFFULL) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFFULL) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFULL) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3ULL) << 1;
	v >>= shift;
	r |= shift;
	r |= (__u32)(v >> 1);
	return r;
}

/* Bucket index of a duration in ns; always < FL_HIST_NBUCKETS. */
static inline __u32 fl_hist_bucket(__u64 v)
{
	__u32 k, sub;

	if (v < FL_HIST_SUB)
		return (__u32)v;
	k = fl_log2_u64(v); /* 4..63 */
	sub = (__u32)(v >> (k - FL_HIST_SUB_BITS)) & (FL_HIST_SUB - 1);
	return (k - FL_HIST_SUB_BITS + 1) * FL_HIST_SUB + sub;
}

/* Smallest value that falls into bucket idx. */
static inline __u64 fl_hist_bucket_lo(__u32 idx)
{
	__u32 k, sub;

	if (idx < FL_HIST_SUB)
		return idx;
	if (idx >= FL_HIST_NBUCKETS)
		return ~(__u64)0;
	k = idx / FL_HIST_SUB + FL_HIST_SUB_BITS - 1;
	sub = idx % FL_HIST_SUB;
	return (__u64)(FL_HIST_SUB + sub) << (k - FL_HIST_SUB_BITS);
}

/* One past the largest value of bucket idx (saturates at UINT64_MAX). */
static inline __u64 fl_hist_bucket_hi(__u32 idx)
{
	if (idx + 1 >= FL_HIST_NBUCKETS)
		return ~(__u64)0;
	return fl_hist_bucket_lo(idx + 1);
}

#endif /* FLUSHLAT_HIST_H */
