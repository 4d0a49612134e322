/* SPDX-License-Identifier: MIT */
/* maps.h - merge per-CPU map buffers into one reading; delta of readings. */
#ifndef FLUSHLAT_MAPS_H
#define FLUSHLAT_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include "flushlat/metastore_layout.h"
#include "flushlat/hist.h"

/* One merged reading (the subset the tracer prints). */
struct fl_reading {
	struct metastore ms;
	uint64_t hist[FL_HIST_NBUCKETS];
	uint64_t unmatched;
	uint64_t dropped;   /* in-flight or per-process map full */
	uint64_t in_flight;
};

void fl_metastore_init(struct metastore *ms);
/* Merge ncpu per-CPU MetaStore values (as returned by a PERCPU lookup). */
void fl_merge_metastore(struct metastore *out, const struct metastore *percpu, int ncpu);
/* Sum ncpu per-CPU arrays of n u64 (stride n), adding into out. */
void fl_merge_u64(uint64_t *out, const uint64_t *percpu, size_t n, int ncpu);
/* cur - prev: counts and totals subtract; min/max of an interval cannot be
 * derived from cumulative values, so they are reported as unknown
 * (min = FL_MIN_EMPTY, max = 0) unless the interval has no samples. */
void fl_reading_delta(struct fl_reading *out, const struct fl_reading *cur,
		      const struct fl_reading *prev);

#endif
