/* SPDX-License-Identifier: MIT */
/*
 * The latency heat map: x = time (one column per snapshot interval),
 * y = latency on a log scale (the log-linear buckets merged into rows),
 * colour = flushes per cell; slow-flush records drawn as marks.  Built from
 * the lines of a --interval file (--delta or cumulative) and drawn as one
 * self-contained SVG: no script, no external reference.
 */
#ifndef FLUSHLAT_HEATMAP_H
#define FLUSHLAT_HEATMAP_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"
#include "snapshot_read.h"
#include "strbuf.h"

/* Slow-flush marks drawn at most; more are counted and said so. */
#define FL_HEAT_MAX_MARKS 10000

struct fl_heat_bucket {
	uint32_t bucket;
	uint64_t count;
};

/* One interval: [t0_ns, t1_ns) in CLOCK_REALTIME, its non-empty buckets. */
struct fl_heat_iv {
	uint64_t t0_ns; /* the previous reading's time; 0 for the first */
	uint64_t t1_ns; /* its own timestamp_ns */
	uint64_t samples; /* flushes in its histogram */
	size_t first;   /* its buckets: buckets[first .. first + n) */
	size_t n;
};

struct fl_heat {
	struct fl_heat_iv *ivs;
	size_t niv, cap_iv;
	struct fl_heat_bucket *buckets;
	size_t nbuckets, cap_buckets;
	struct fl_slow_flush *marks;
	size_t nmarks, cap_marks;
	size_t marks_dropped;   /* beyond FL_HEAT_MAX_MARKS */
	uint64_t samples;       /* flushes over every interval */
	int mode;               /* 0 nothing yet, 1 --delta input, 2 cumulative input */
	struct fl_snapshot prev; /* cumulative input: the previous reading */
};

void fl_heat_init(struct fl_heat *h);
void fl_heat_free(struct fl_heat *h);
/*
 * Adds one reading: a --delta snapshot is an interval as is; a cumulative
 * one is differenced with the previous one.  Refuses mixed kinds, a missing
 * or decreasing timestamp_ns and cumulative counts that go down.  0, or -1
 * with a message.
 */
int fl_heat_add_snapshot(struct fl_heat *h, const struct fl_snapshot *s, char *err, size_t errlen);
int fl_heat_add_mark(struct fl_heat *h, const struct fl_slow_flush *f, char *err, size_t errlen);
/* An fl_record_fn (snapshot_read.h) feeding h: fl_json_file_read(path, fl_heat_add_record, h, ...). */
int fl_heat_add_record(const struct fl_record *r, void *ctx, char *err, size_t errlen);

struct fl_heat_opts {
	const char *title;    /* first line; escaped */
	int standalone;       /* an .svg file: XML declaration; else inline in HTML */
};

/*
 * The SVG (needs h->niv >= 2: the first interval's start is not in a file, it
 * is drawn as long as the second).  Exactly one <rect class="cell"> per
 * non-empty (interval, row) pair, with data-i (interval), data-lo/data-hi
 * (the row's bounds, ns) and data-n (flushes), and a <title>.
 */
void fl_heatmap_svg(const struct fl_heat *h, const struct fl_heat_opts *o, struct strbuf *out);

#endif /* FLUSHLAT_HEATMAP_H */
