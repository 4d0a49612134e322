/* SPDX-License-Identifier: MIT */
/*
 * One merged reading of the tracer's maps: what every output (text, JSON,
 * Prometheus, HTTP, --fail-if, report/diff) renders.  Produced by the map
 * reader (tracer/reader.c) or read back from a saved JSON snapshot
 * (snapshot_read.c).  This module owns its lifecycle: the empty state, copy,
 * free and the per-interval difference of two cumulative readings.
 */
#ifndef FLUSHLAT_SNAPSHOT_H
#define FLUSHLAT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "flushlat/hist.h"
#include "flushlat/metastore_layout.h"
#include "native.h"

struct fl_anatomy; /* breakdown.h */

/* Room for the tracer's programs: two probes, and the anatomy's hooks. */
#define FL_MAX_PROGS 8
/* A kernel task name: TASK_COMM_LEN bytes, NUL-terminated only when shorter. */
#define FL_COMM_LEN 16
/*
 * Failed flushes are kept per errno: slot e for errno e in 1..133 (every
 * Linux errno), slot 0 ("other") for any other value and for numbers
 * without a name.  Checked against the BPF map's size (FL_ERRNO_SLOTS).
 */
#define FL_FAILED_ERRNOS 134

/* Kernel program statistics (kernel.bpf_stats_enabled=1), per BPF program. */
struct fl_prog_stats {
	char name[32];
	uint64_t run_time_ns;
	uint64_t run_cnt;
};

/* Per traced process (per-process breakdown; bounded, see README). */
struct fl_proc {
	uint32_t pid;
	char comm[FL_COMM_LEN];
	int exited;        /* gone: this is its last report */
	struct metastore ms;
};

/*
 * An exemplar of one log-linear bucket: the slowest flush that fell into it
 * during the latest interval between two reads that had any (seq numbers
 * those reads; renderers take, per classic bucket, the newest seq and then
 * the slowest, so a bucket's exemplar only ever moves forward in time).
 */
struct fl_exemplar {
	uint64_t value_ns; /* 0: none */
	uint64_t time_ns;  /* CLOCK_REALTIME when it completed */
	uint32_t pid, tid; /* the process and the thread that completed it */
	uint64_t seq;      /* the read that first showed it */
};

struct fl_snapshot {
	struct metastore ms;              /* merged over CPUs and processes */
	uint64_t hist[FL_HIST_NBUCKETS];  /* merged log-linear histogram */
	uint64_t in_flight;               /* flushes started, not completed */
	uint64_t oldest_age_ns;           /* age of the oldest in-flight flush */
	uint64_t unmatched;               /* completions without a seen start */
	uint64_t dropped;                 /* in-flight/process map full events */
	int pid;                          /* the -p/-- CMD target, -1 if none */
	uint64_t taken_ns;                /* CLOCK_MONOTONIC when read */
	uint64_t taken_realtime_ns;       /* CLOCK_REALTIME when read */
	uint64_t prev_scrape_ns;          /* /metrics: the previous scrape's cost, 0 if none */
	int nprogs;
	struct fl_prog_stats progs[FL_MAX_PROGS];
	size_t nprocs;
	struct fl_proc *procs;            /* owned; free with fl_snapshot_free() */
	int lean;                         /* --lean: in_flight/unmatched are unknown */
	int delta;                        /* --delta: counts cover one interval */
	/*
	 * With epoch rotation (--delta, --listen), exact per-span values; see
	 * tracer/epoch.c.  interval: everything recorded since this reader's
	 * previous read (min/max included).  window: the recent epochs covering
	 * at least --window seconds up to this read, window_ns long (0: none).
	 */
	struct metastore interval;
	int has_interval;
	struct metastore window;
	uint64_t window_ns;
	struct fl_native *native;         /* owned; NULL when not kept (no --listen) */
	struct fl_exemplar *ex;           /* owned, FL_HIST_NBUCKETS; NULL when not kept */
	struct fl_anatomy *an;            /* --breakdown/--slow/--top/--stuck, else NULL (owned) */
	int failed_known;                 /* every traced file has meta_flush_failed */
	uint64_t failed[FL_FAILED_ERRNOS]; /* failed flushes by errno slot, [0] = other;
					    * a slot without a name stays 0 (folded into [0]) */
};

/* The reading of a tracer that saw nothing: MetaStore empty, no target. */
void fl_snapshot_init(struct fl_snapshot *s);
/* Frees what s owns; s is left empty-but-valid (no processes). */
void fl_snapshot_free(struct fl_snapshot *s);
/* Deep copy (procs duplicated).  Returns 0, -1 on allocation failure. */
int fl_snapshot_copy(struct fl_snapshot *dst, const struct fl_snapshot *src);
/*
 * out = cur - prev (out->procs is allocated; free with fl_snapshot_free).
 * Counts, totals and histograms subtract.  The MetaStore of the interval is
 * cur->interval when the reader kept it (epoch rotation: exact min and
 * max).  Otherwise, and for the per-process entries, the min/max of an
 * interval cannot be derived from cumulative values: they are reported only
 * when the cumulative extreme changed during the interval (then it is the
 * interval's extreme), else as unknown (min = UINT64_MAX, max = 0).
 * In-flight values are current, not differences.  Returns 0, -1 on
 * allocation failure.
 */
int fl_snapshot_delta(struct fl_snapshot *out, const struct fl_snapshot *cur,
		      const struct fl_snapshot *prev);
/*
 * The inverse: acc += d, for the intervals of a --delta file summed back
 * into the whole run.  Counts, totals and histograms add; min and max are the
 * extremes of the intervals that know theirs, which is exact, because the
 * interval holding the run's extreme moved the cumulative one.  Processes
 * add by PID and programs by name; failed flushes add by errno; in-flight
 * values, whether failures are known, the PID and the time are d's (the
 * later reading).  acc->delta is cleared: it is a whole run.
 * Returns 0, -1 on allocation failure (acc unchanged but for the MetaStore).
 */
int fl_snapshot_add(struct fl_snapshot *acc, const struct fl_snapshot *d);
/*
 * Makes the histogram hold exactly the MetaStore's samples, for showing s.
 * A live reading retries until they agree, but under a sustained flood of
 * flushes (or in an interval of --delta that received flushes counted by the
 * previous one) they can differ by the few flushes that completed while the
 * maps were read.  Missing ones are put in max's bucket (pessimistic: they
 * lie at or below it), extra ones are taken from the top.  Never applied to a
 * reading kept as the base of a --delta.
 */
void fl_snapshot_settle(struct fl_snapshot *s);
/*
 * A comm as every output shows it: the bytes up to the first NUL, with
 * control bytes and bytes that are not valid UTF-8 replaced by '?', so the
 * name is always valid UTF-8 and can never break a line, a label or JSON.
 */
void fl_comm_str(const char comm[FL_COMM_LEN], char out[FL_COMM_LEN + 1]);
/*
 * Length of the valid UTF-8 sequence at s (at most n bytes, n >= 1), 0 when
 * invalid (overlong forms, surrogates and code points above U+10FFFF are).
 */
size_t fl_utf8_len(const unsigned char *s, size_t n);
/*
 * Makes a message safe to print as one line: control characters and bytes
 * that are not valid UTF-8 become '?' (in place).  For messages that quote
 * what a user or a file gave.
 */
void fl_text_safe(char *s);
/* Failed flushes, all errnos together. */
uint64_t fl_failed_total(const struct fl_snapshot *s);
/* The name of an errno slot as every output shows it: "EIO", or "other". */
const char *fl_errno_name(unsigned int slot);
/* The slot of an errno name ("EIO" -> 5, "other" -> 0), -1 if not a name. */
int fl_errno_slot(const char *name);

#endif /* FLUSHLAT_SNAPSHOT_H */
