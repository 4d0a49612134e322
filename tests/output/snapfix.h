/* SPDX-License-Identifier: MIT */
/*
 * Hand-built snapshots for the output tests: what the map reader would
 * produce, recorded through the core library (metastore_record_duration) and
 * the shared histogram bucket math, never written as literal numbers.
 */
#ifndef FLUSHLAT_TEST_SNAPFIX_H
#define FLUSHLAT_TEST_SNAPFIX_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "breakdown.h"
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
 * in-flight, unmatched, dropped and failed counts (two errnos and "other"),
 * durations over nine decades.
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
	s->failed_known = 1;
	s->failed[EIO] = 2;
	s->failed[ENOSPC] = 1;
	s->failed[0] = 1;
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

/* One flush as the BPF side would see it: duration, components, a system call. */
struct snap_flush {
	uint64_t dur;
	uint64_t comp[FL_COMP_NR];
	int sys;          /* the call its off-CPU time went to */
	uint32_t tid;
	uint64_t start_ns;
};

static inline void add_cell(struct fl_breakdown *b, uint32_t idx, const struct fl_bd_sums *one)
{
	size_t i = 0;

	while (i < b->ncells && b->cells[i].idx < idx)
		i++;
	if (i == b->ncells || b->cells[i].idx != idx) {
		b->cells = realloc(b->cells, (b->ncells + 1) * sizeof(*b->cells));
		if (!b->cells)
			abort();
		memmove(&b->cells[i + 1], &b->cells[i], (b->ncells - i) * sizeof(*b->cells));
		memset(&b->cells[i], 0, sizeof(b->cells[i]));
		b->cells[i].idx = idx;
		b->ncells++;
	}
	fl_bd_sums_add(&b->cells[i].s, one);
}

static inline void add_hcell(struct fl_breakdown *b, uint32_t key)
{
	size_t i = 0;

	while (i < b->nhcells && b->hcells[i].key < key)
		i++;
	if (i == b->nhcells || b->hcells[i].key != key) {
		b->hcells = realloc(b->hcells, (b->nhcells + 1) * sizeof(*b->hcells));
		if (!b->hcells)
			abort();
		memmove(&b->hcells[i + 1], &b->hcells[i], (b->nhcells - i) * sizeof(*b->hcells));
		b->hcells[i].key = key;
		b->hcells[i].count = 0;
		b->nhcells++;
	}
	b->hcells[i].count++;
}

/*
 * Records one flush into s's anatomy (created on first use) the way the map
 * reader delivers it: all-flushes sums and histograms, the tail cell of its
 * duration bucket (over slow_ns when slow_on), the tail histogram keys.
 */
static inline void snap_anat_flush(struct fl_snapshot *s, const struct snap_flush *f)
{
	struct fl_bd_sums one;
	struct fl_breakdown *b;
	uint32_t db = fl_hist_bucket(f->dur);
	int over;

	if (!s->an)
		s->an = fl_anatomy_new();
	if (!s->an->bd)
		s->an->bd = fl_breakdown_new();
	if (!s->an || !s->an->bd)
		abort();
	b = s->an->bd;
	over = s->an->slow_on && f->dur >= s->an->slow_ns;
	memset(&one, 0, sizeof(one));
	one.flushes = 1;
	for (int c = 0; c < FL_COMP_NR; c++) {
		one.wall_ns += f->comp[c];
		one.comp_ns[c] = f->comp[c];
		one.comp_max[c] = f->comp[c];
		b->all.hist[c][fl_hist_bucket(f->comp[c])]++;
		add_hcell(b, FL_BD_HKEY(db, over, c, fl_hist_bucket(f->comp[c])));
	}
	one.sys_off_ns[f->sys] = one.wall_ns - f->comp[FL_COMP_ON_CPU];
	one.sys_blocked[f->sys] = 1;
	fl_bd_sums_add(&b->all.s, &one);
	add_cell(b, db << 1 | (uint32_t)over, &one);
	snap_record(s, f->dur);
	if (over)
		s->an->slow_flushes++;
}

/* A snapshot with every anatomy part: 100 flushes, 5 of them slow, --top 3, --stuck. */
static inline void snap_anatomy(struct fl_snapshot *s)
{
	snap_init(s);
	s->pid = 4242;
	s->taken_realtime_ns = 1764097200123456789ULL;
	s->an = fl_anatomy_new();
	if (!s->an)
		abort();
	s->an->slow_on = 1;
	s->an->slow_ns = 10000000;
	s->an->slow_dropped = 2;
	s->an->stuck_on = 1;
	s->an->stuck_ns = 1000000000;
	s->an->stuck = 1;
	for (uint32_t i = 0; i < 100; i++) {
		struct snap_flush f = { .tid = 77, .start_ns = 1000000 * (uint64_t)i, .sys = FL_SYS_FDATASYNC };

		f.comp[FL_COMP_ON_CPU] = 40000 + 100 * i;
		f.comp[FL_COMP_RUNQ] = 5000 * (i % 7);
		f.comp[FL_COMP_IO] = i >= 95 ? 20000000 + 1000 * i : 300000 + 1000 * i;
		f.comp[FL_COMP_SLEEP] = i == 50 ? 12345 : 0;
		if (i == 3)
			f.sys = FL_SYS_RENAME;
		f.dur = f.comp[0] + f.comp[1] + f.comp[2] + f.comp[3] - 1000;
		snap_anat_flush(s, &f);
	}
	s->an->bd->checks.run_delay_ns = s->an->bd->all.s.comp_ns[FL_COMP_RUNQ];
	s->an->bd->checks.runq_ns = s->an->bd->all.s.comp_ns[FL_COMP_RUNQ];
	s->an->bd->checks.missed_switch_in = 2;
	s->an->top_n = 3;
	s->an->ntop = 3;
	for (int k = 0; k < 3; k++)
		s->an->top[k] = (struct fl_top_entry){ .pid = 4242, .tid = 77,
						       .start_ns = 99000000 - 1000000 * (uint64_t)k,
						       .duration_ns = 20138000 - 1000 * (uint64_t)k };
	fl_breakdown_pick_tail(s->an->bd, FL_SLOW_FIXED, s->an->slow_ns);
}

static inline void snap_free(struct fl_snapshot *s)
{
	fl_snapshot_free(s);
}

#endif /* FLUSHLAT_TEST_SNAPFIX_H */
