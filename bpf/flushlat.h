/* SPDX-License-Identifier: MIT */
/*
 * flushlat.h - the BPF <-> user-space ABI of the tracer: map keys/values,
 * counter indices and the read-only configuration set before load.
 */
#ifndef FLUSHLAT_BPF_ABI_H
#define FLUSHLAT_BPF_ABI_H

#include <linux/types.h>

#include "flushlat/metastore_layout.h"

/*
 * In-flight flushes live in an open-addressed table of array slots, claimed
 * and released with compare-and-swap: an array lookup is inlined by the JIT
 * and a CAS is one instruction, where a hash-map update + delete cost ~0.4 us
 * per flush here (measured with kernel.bpf_stats_enabled).  A start probes up
 * to FL_INFLIGHT_PROBES slots from its hash; when all are taken the flush is
 * counted as dropped, never silently lost.
 */
#define FL_INFLIGHT_SLOTS 4096 /* power of two */
#define FL_INFLIGHT_PROBES 8
#define FL_PROCS_MAX 1024     /* processes in the per-process breakdown */

/*
 * USDT argument locations the fast path reads straight from pt_regs (x86-64):
 * a probe whose arguments are all 64-bit registers ("8@%rdi") in every
 * attached site.  Anything else (-1) uses libbpf's generic bpf_usdt_arg(),
 * which costs a helper call per argument.
 */
enum fl_reg {
	FL_REG_NONE = -1,
	FL_REG_RAX, FL_REG_RBX, FL_REG_RCX, FL_REG_RDX, FL_REG_RSI, FL_REG_RDI, FL_REG_RBP,
	FL_REG_RSP, FL_REG_R8, FL_REG_R9, FL_REG_R10, FL_REG_R11, FL_REG_R12, FL_REG_R13,
	FL_REG_R14, FL_REG_R15, FL_REG_NR,
};

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
	FL_CNT_EPOCH_GIVEUP,   /* the epoch moved at every try: flush not recorded (must stay 0) */
	FL_CNT_NR,
};

/*
 * Failed flushes (flashstrike:meta_flush_failed), counted per errno: slot e
 * for an errno e in 1..FL_ERRNO_SLOTS-1 (every Linux errno is below 134),
 * slot 0 for anything else.  Bounded, so every output's errno breakdown is.
 */
#define FL_ERRNO_SLOTS 134

/* The failed map's one per-CPU value: read with one lookup. */
struct fl_failed {
	__u64 n[FL_ERRNO_SLOTS];
};

/* TASK_COMM_LEN: a comm is NUL-terminated only when shorter */
#define FL_TASK_COMM_LEN 16

/*
 * One traced process (the per-process breakdown): its MetaStore and the
 * comm of the thread that completed its first flush, taken by the BPF
 * program when the process is first seen (a process that exits between two
 * reads is still named).
 */
struct fl_proc_value {
	struct metastore ms;
	char comm[FL_TASK_COMM_LEN];
};

/* one in-flight flush: start_ns == 0 means the slot is free */
struct fl_inflight_slot {
	__u64 start_ns;  /* the recorder's start_ns (0 is stored as 1) */
	__u64 kstart_ns; /* bpf_ktime_get_ns at the start probe */
	__u32 tgid;
	__u32 tid;
};

/* Home slot of a flush: a multiplicative hash of (tgid, start_ns). */
static inline __u32 fl_inflight_home(__u32 tgid, __u64 start_ns)
{
	__u64 h = (start_ns ^ ((__u64)tgid << 32)) * 0x9E3779B97F4A7C15ULL;

	return (__u32)(h >> 52) & (FL_INFLIGHT_SLOTS - 1);
}

/*
 * Epoch rotation (record.bpf.h, tracer/epoch.c).  The record maps have two
 * slots; BPF writes slot (epoch & 1) and brackets each update with a
 * per-slot in-progress count, so user space can flip the epoch, wait until
 * no update of the old slot is in progress, and read and reset it.  The
 * counts live in .bss (mmap'd by user space), one cache line per pin:
 * epoch_busy[pin * FL_EPOCH_PIN_STRIDE + slot].  A program uses pin
 * (CPU & (FL_EPOCH_PINS - 1)), so more CPUs than pins only share lines (the
 * atomics keep it exact).
 */
#define FL_EPOCH_PINS 64 /* power of two */
#define FL_EPOCH_SLOTS 2
#define FL_EPOCH_PIN_STRIDE 8 /* u64 per pin: a cache line */

/*
 * Exemplars: per epoch slot, per log-linear bucket, the slowest flush.
 * Several fields cannot be written at once, and a uprobe program can be
 * preempted by another one on its CPU: chk (a hash of the three other
 * fields, written last) lets user space recognise a record whose fields
 * come from two flushes and drop it.
 */
struct fl_ex_rec {
	__u64 dur_ns;   /* 0: none */
	__u64 id;       /* tgid << 32 | tid of the completing thread */
	__u64 ktime_ns; /* bpf_ktime_get_ns() at completion (CLOCK_MONOTONIC) */
	__u64 chk;      /* fl_ex_chk(dur_ns, id, ktime_ns) */
};

static inline __u64 fl_ex_mix(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline __u64 fl_ex_chk(__u64 dur_ns, __u64 id, __u64 ktime_ns)
{
	return fl_ex_mix(dur_ns ^ fl_ex_mix(id ^ fl_ex_mix(ktime_ns + 0x9E3779B97F4A7C15ULL)));
}

#endif /* FLUSHLAT_BPF_ABI_H */
