/* SPDX-License-Identifier: MIT */
/*
 * Hand-built snapshots for the output tests: what the map reader would
 * produce, recorded through the core library (metastore_record_duration) and
 * the shared histogram bucket math, never written as literal numbers.
 */
#ifndef FLUSHLAT_TEST_SNAPFIX_H
#define FLUSHLAT_TEST_SNAPFIX_H

#include <stdlib.h>
#include <string.h>

#include "metastore.h"
#include "snapshot.h"

static inline void snap_init(struct fl_snapshot *s)
{
	fl_snapshot_init(s);
}

/* Records d into the merged MetaStore and the histogram, as the BPF side does. */
static inline void snap_record(struct fl_snapshot *s, uint64_t d)
{
	metastore_record_duration(&s->ms, d);
	s->hist[fl_hist_bucket(d)]++;
}

static inline struct fl_proc *snap_add_proc(struct fl_snapshot *s, uint32_t pid, const char *comm)
{
	struct fl_proc *p;

	s->procs = realloc(s->procs, (s->nprocs + 1) * sizeof(*s->procs));
	if (!s->procs)
		abort();
	p = &s->procs[s->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	/* May fill all 16 bytes without a NUL, which readers must cope with. */
	memcpy(p->comm, comm, strnlen(comm, sizeof(p->comm)));
	metastore_init(&p->ms);
	return p;
}

/*
 * A snapshot exercising every output feature: several processes (one comm
 * with characters needing escapes, one filling all 16 bytes), program stats,
 * in-flight, unmatched and dropped counts, durations over nine decades.
 */
static inline void snap_rich(struct fl_snapshot *s)
{
	static const uint64_t a[] = { 1000000, 3000000, 1234, 99950, 5, 7, 250000, 1500000, 42000000 };
	static const uint64_t b[] = { 800000, 1200000, 2000000000ULL, 15 };
	struct fl_proc *p;
	size_t i;

	snap_init(s);
	s->pid = 4242;
	s->in_flight = 2;
	s->oldest_age_ns = 7500000;
	s->unmatched = 1;
	s->dropped = 3;
	s->taken_ns = 123456789;
	s->taken_realtime_ns = 1764097200123456789ULL;
	s->nprogs = 2;
	strcpy(s->progs[0].name, "handle_flush_start");
	s->progs[0].run_time_ns = 1234567;
	s->progs[0].run_cnt = 13;
	strcpy(s->progs[1].name, "handle_flush_done");
	s->progs[1].run_time_ns = 2000000000ULL;
	s->progs[1].run_cnt = 13;
	p = snap_add_proc(s, 4242, "rec \"q\\\n");
	for (i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		snap_record(s, a[i]);
		metastore_record_duration(&p->ms, a[i]);
	}
	p = snap_add_proc(s, 4343, "0123456789abcdef");
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		snap_record(s, b[i]);
		metastore_record_duration(&p->ms, b[i]);
	}
}

static inline void snap_free(struct fl_snapshot *s)
{
	fl_snapshot_free(s);
}

#endif /* FLUSHLAT_TEST_SNAPFIX_H */
