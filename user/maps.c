// SPDX-License-Identifier: MIT
/* maps.c - pure merge/delta logic for per-CPU tracer maps (unit tested). */
#include <string.h>
#include "maps.h"

void fl_metastore_init(struct metastore *ms)
{
	memset(ms, 0, sizeof(*ms));
	ms->maintenance_meta_flush.min_ns.value = FL_MIN_EMPTY;
}

void fl_merge_metastore(struct metastore *out, const struct metastore *percpu, int ncpu)
{
	struct duration64 *o = &out->maintenance_meta_flush;

	for (int i = 0; i < ncpu; i++) {
		const struct duration64 *d = &percpu[i].maintenance_meta_flush;

		/* CPUs that never ran the program hold an all-zero value: skip
		 * them so their min_ns of 0 does not pollute the minimum */
		if (!d->samples.value)
			continue;
		o->total_ns.value += d->total_ns.value;
		o->samples.value += d->samples.value;
		if (d->min_ns.value < o->min_ns.value)
			o->min_ns.value = d->min_ns.value;
		if (d->max_ns.value > o->max_ns.value)
			o->max_ns.value = d->max_ns.value;
	}
}

void fl_merge_u64(uint64_t *out, const uint64_t *percpu, size_t n, int ncpu)
{
	for (int c = 0; c < ncpu; c++)
		for (size_t i = 0; i < n; i++)
			out[i] += percpu[(size_t)c * n + i];
}

void fl_reading_delta(struct fl_reading *out, const struct fl_reading *cur,
		      const struct fl_reading *prev)
{
	const struct duration64 *c = &cur->ms.maintenance_meta_flush;
	const struct duration64 *p = &prev->ms.maintenance_meta_flush;
	struct duration64 *o;

	*out = *cur;
	o = &out->ms.maintenance_meta_flush;
	o->total_ns.value = c->total_ns.value - p->total_ns.value;
	o->samples.value = c->samples.value - p->samples.value;
	o->min_ns.value = FL_MIN_EMPTY;
	o->max_ns.value = 0;
	/* the first sample(s) of the interval may equal a new extreme: only
	 * a changed cumulative min/max is known to lie in this interval */
	if (o->samples.value && c->min_ns.value != p->min_ns.value)
		o->min_ns.value = c->min_ns.value;
	if (o->samples.value && c->max_ns.value != p->max_ns.value)
		o->max_ns.value = c->max_ns.value;
	for (size_t i = 0; i < FL_HIST_NBUCKETS; i++)
		out->hist[i] = cur->hist[i] - prev->hist[i];
	out->unmatched = cur->unmatched - prev->unmatched;
	out->dropped = cur->dropped - prev->dropped;
}
