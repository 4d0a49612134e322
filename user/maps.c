// SPDX-License-Identifier: MIT
/* maps.c - per-CPU sums and interval deltas of snapshots (unit tested). */
#include "maps.h"

#include <stdlib.h>
#include <string.h>

#include "metastore.h"

void fl_merge_u64(uint64_t *out, const uint64_t *percpu, size_t n, int ncpu)
{
	for (int c = 0; c < ncpu; c++)
		for (size_t i = 0; i < n; i++)
			out[i] += percpu[(size_t)c * n + i];
}

int fl_snapshot_copy(struct fl_snapshot *dst, const struct fl_snapshot *src)
{
	*dst = *src;
	dst->procs = NULL;
	if (!src->nprocs)
		return 0;
	dst->procs = malloc(src->nprocs * sizeof(*src->procs));
	if (!dst->procs) {
		dst->nprocs = 0;
		return -1;
	}
	memcpy(dst->procs, src->procs, src->nprocs * sizeof(*src->procs));
	return 0;
}

static void duration_delta(struct duration64 *o, const struct duration64 *c,
			   const struct duration64 *p)
{
	o->total_ns.value = c->total_ns.value - p->total_ns.value;
	o->samples.value = c->samples.value - p->samples.value;
	o->min_ns.value = FL_MIN_EMPTY;
	o->max_ns.value = 0;
	if (!o->samples.value)
		return;
	/* Only a changed cumulative extreme is known to lie in this interval. */
	if (c->min_ns.value != p->min_ns.value || !p->samples.value)
		o->min_ns.value = c->min_ns.value;
	if (c->max_ns.value != p->max_ns.value || !p->samples.value)
		o->max_ns.value = c->max_ns.value;
}

static const struct fl_proc *find_proc(const struct fl_snapshot *s, uint32_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

int fl_snapshot_delta(struct fl_snapshot *out, const struct fl_snapshot *cur,
		      const struct fl_snapshot *prev)
{
	if (fl_snapshot_copy(out, cur))
		return -1;
	duration_delta(&out->ms.maintenance_meta_flush, &cur->ms.maintenance_meta_flush,
		       &prev->ms.maintenance_meta_flush);
	for (size_t i = 0; i < FL_HIST_NBUCKETS; i++)
		out->hist[i] = cur->hist[i] - prev->hist[i];
	out->unmatched = cur->unmatched - prev->unmatched;
	out->dropped = cur->dropped - prev->dropped;
	for (int i = 0; i < out->nprogs; i++) {
		for (int j = 0; j < prev->nprogs; j++) {
			if (strcmp(prev->progs[j].name, out->progs[i].name) != 0)
				continue;
			out->progs[i].run_time_ns -= prev->progs[j].run_time_ns;
			out->progs[i].run_cnt -= prev->progs[j].run_cnt;
		}
	}
	for (size_t i = 0; i < out->nprocs; i++) {
		const struct fl_proc *p = find_proc(prev, out->procs[i].pid);
		struct metastore empty;

		if (!p) {
			metastore_init(&empty);
			duration_delta(&out->procs[i].ms.maintenance_meta_flush,
				       &cur->procs[i].ms.maintenance_meta_flush,
				       &empty.maintenance_meta_flush);
			continue;
		}
		duration_delta(&out->procs[i].ms.maintenance_meta_flush,
			       &cur->procs[i].ms.maintenance_meta_flush, &p->ms.maintenance_meta_flush);
	}
	return 0;
}
