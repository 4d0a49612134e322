/* SPDX-License-Identifier: MIT */
/*
 * One merged reading of the tracer's maps: what every output (text, JSON,
 * Prometheus, HTTP, --fail-if, report/diff) renders.  Produced by the map
 * reader (maps.c) or parsed back from a saved JSON snapshot (json.c).
 */
#ifndef FLUSHLAT_SNAPSHOT_H
#define FLUSHLAT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "flushlat/hist.h"
#include "flushlat/metastore_layout.h"

#define FL_MAX_PROGS 4

/* Kernel program statistics (kernel.bpf_stats_enabled=1), per BPF program. */
struct fl_prog_stats {
	char name[32];
	uint64_t run_time_ns;
	uint64_t run_cnt;
};

/* Per traced process (per-process breakdown; bounded, see README). */
struct fl_proc {
	uint32_t pid;
	char comm[16];
	struct metastore ms;
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
	int nprogs;
	struct fl_prog_stats progs[FL_MAX_PROGS];
	size_t nprocs;
	struct fl_proc *procs;            /* owned; free with fl_snapshot_free() */
	int lean;                         /* --lean: in_flight/unmatched are unknown */
};

#endif /* FLUSHLAT_SNAPSHOT_H */
