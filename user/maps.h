/* SPDX-License-Identifier: MIT */
/*
 * maps.h - the pure part of reading the tracer's maps: summing per-CPU
 * buffers and the per-interval (delta) view of two cumulative snapshots.
 * The maps themselves are only ever added to (never reset while the BPF
 * side writes them): intervals are computed here, in user space.
 */
#ifndef FLUSHLAT_MAPS_H
#define FLUSHLAT_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* Sum ncpu per-CPU arrays of n u64 (stride n), adding into out. */
void fl_merge_u64(uint64_t *out, const uint64_t *percpu, size_t n, int ncpu);

/*
 * out = cur - prev (out->procs is allocated; free with fl_snapshot_free).
 * Counts, totals and histogram subtract.  The min/max of an interval cannot
 * be derived from cumulative values: they are reported only when the
 * cumulative extreme changed during the interval (then it is the interval's
 * extreme), else as unknown (min = UINT64_MAX, max = 0).  In-flight values
 * are current, not differences.  Returns 0, -1 on allocation failure.
 */
int fl_snapshot_delta(struct fl_snapshot *out, const struct fl_snapshot *cur,
		      const struct fl_snapshot *prev);

/* Deep copy (procs duplicated).  Returns 0, -1 on allocation failure. */
int fl_snapshot_copy(struct fl_snapshot *dst, const struct fl_snapshot *src);

#endif /* FLUSHLAT_MAPS_H */
