/* SPDX-License-Identifier: MIT */
/*
 * The --watch live view, as text: what the last interval and the whole run
 * look like, a sparkline of the p99 over the last minutes and a heat strip
 * per interval (a spectrogram: latency across, one line per interval).
 * Pure: the tracer feeds readings in and puts the frame on the terminal.
 */
#ifndef FLUSHLAT_LIVE_VIEW_H
#define FLUSHLAT_LIVE_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "hist_text.h"
#include "snapshot.h"
#include "strbuf.h"

/* Intervals remembered for the sparkline, and for the heat strips. */
#define FL_LIVE_HISTORY 8192
#define FL_LIVE_STRIPS 256
/* The sparkline covers up to this much time (several intervals per mark when needed). */
#define FL_LIVE_SPARK_NS (300ULL * 1000000000ULL)
/* Heat strip resolution: quarter octaves. */
#define FL_LIVE_QPER 4
#define FL_LIVE_QBINS (FL_HIST_OCTAVES * FL_LIVE_QPER)

struct fl_live_iv {
	uint64_t end_ns;   /* CLOCK_REALTIME at its end */
	uint64_t len_ns;   /* its length */
	uint64_t samples;
	uint64_t p50, p99; /* 0 without samples */
	uint64_t max_lo;   /* its max lies in [max_lo, max_hi]; exact when equal */
	uint64_t max_hi;
};

struct fl_live {
	double interval_s;
	struct fl_live_iv iv[FL_LIVE_HISTORY]; /* a ring */
	size_t niv;                              /* intervals seen (the ring holds the last ones) */
	uint32_t strip[FL_LIVE_STRIPS][FL_LIVE_QBINS]; /* ring, by the same index */
	struct fl_snapshot run;                  /* the last cumulative reading, no processes */
	uint64_t run_len_ns;                     /* time since the start */
	int utf8;                                /* block characters; else ASCII */
};

/* w is large (allocate it); interval_s is --interval. */
void fl_live_init(struct fl_live *w, double interval_s, int utf8);
/*
 * One interval: cur the cumulative reading, d the interval (fl_snapshot_delta
 * of cur and the previous reading), len_ns its length, run_ns the time since
 * the start.  The interval's max is exact when d knows it (the interval moved
 * the run's max; always once the BPF side reports per-interval extremes),
 * else bounded by its highest bucket and the run's max.
 */
void fl_live_add(struct fl_live *w, const struct fl_snapshot *cur, const struct fl_snapshot *d,
		  uint64_t len_ns, uint64_t run_ns);
/*
 * The frame for a cols x rows terminal: at most rows lines, each at most cols
 * columns wide (no line wraps), each ending in '\n'.  now_ns (CLOCK_REALTIME)
 * is shown in the header; times are local.
 */
void fl_live_frame(const struct fl_live *w, int cols, int rows, uint64_t now_ns,
		    struct strbuf *out);

/* Bin of a bucket in the heat strips (quarter octaves), and its lowest value. */
uint32_t fl_live_qbin(uint32_t bucket);
uint64_t fl_live_qbin_lo(uint32_t qbin);

#endif /* FLUSHLAT_LIVE_VIEW_H */
