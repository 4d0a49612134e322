/* SPDX-License-Identifier: MIT */
/*
 * flushlat.h - the BPF <-> user-space ABI of the tracer: map keys/values,
 * counter indices and the read-only configuration set before load.
 */
#ifndef FLUSHLAT_BPF_ABI_H
#define FLUSHLAT_BPF_ABI_H

#include <linux/types.h>

#define FL_INFLIGHT_MAX 16384 /* in-flight flushes tracked at once */
#define FL_PROCS_MAX 1024     /* processes in the per-process breakdown */

/* rodata clock selection */
enum fl_clock {
	FL_CLOCK_RECORDER = 0, /* duration = end_ns - start_ns from the done probe args */
	FL_CLOCK_KERNEL = 1,   /* bpf_ktime_get_ns at both probes */
};

/* per-CPU counters (index into the counters array) */
enum fl_counter {
	FL_CNT_UNMATCHED = 0,  /* done without a seen start (start probe attached) */
	FL_CNT_INFLIGHT_FULL,  /* in-flight map insert failed */
	FL_CNT_PROC_FULL,      /* per-process map insert failed */
	FL_CNT_CAS_GIVEUP,     /* min/max CAS loop exhausted (must stay 0) */
	FL_CNT_NR,
};

/* in-flight key: one flush of one process; padding explicit */
struct fl_inflight_key {
	__u32 tgid;
	__u32 pad;
	__u64 start_ns;
};

struct fl_inflight_val {
	__u64 kstart_ns; /* bpf_ktime_get_ns at the start probe */
	__u32 tid;
	__u32 pad;
};

#endif /* FLUSHLAT_BPF_ABI_H */
