/* SPDX-License-Identifier: MIT */
/*
 * anatomy_abi.h - the BPF <-> user-space ABI of the flush anatomy (--breakdown,
 * --slow, --top, --stuck, --folded): map keys and values, the ring-buffer
 * records and the counters.  Kept apart from flushlat.h (the MetaStore and
 * in-flight ABI); the anatomy's span table is a parallel array indexed like
 * the in-flight table, so that table's slot layout is unchanged.
 */
#ifndef FLUSHLAT_ANATOMY_ABI_H
#define FLUSHLAT_ANATOMY_ABI_H

#include <linux/types.h>

#include "flushlat/hist.h"

#define FL_AN_THREADS 1024      /* threads with an open span at once (power of two) */
#define FL_AN_THR_PROBES 8      /* linear probes in the thread table */
#define FL_AN_FILTER 4096       /* sched_switch filter buckets (tid & 4095) */
#define FL_AN_IPS 32            /* frames kept of a longest-blocked stack */
#define FL_AN_STACK_DEPTH 64    /* frames of a --folded stack */
#define FL_AN_STACKS 16384      /* --folded: distinct stacks */
#define FL_AN_FOLD_KEYS 16384   /* --folded: (stack, component, syscall) keys */
#define FL_AN_SPAN_FOLD 16      /* --folded: blocked stacks carried by one slow record */
#define FL_AN_TAIL_SUMS (2 * FL_HIST_NBUCKETS)  /* (duration bucket, at/over --slow) */
#define FL_AN_TAIL_HIST 32768   /* (duration bucket, over, component, bucket) keys */
#define FL_TOP_MAX 100          /* --top N: at most this N */
#define FL_STUCK_MAX 16         /* stuck threads inspected per check */
#define FL_AN_QUARANTINE_NS 1000000ULL /* a released thread entry is not reused for 1 ms */

/* owner word of a thread entry (an_own[]): tid << 32 | flags and refcount (open spans) */
#define FL_AN_CLAIMING 0x80000000u
#define FL_AN_REF_MASK 0x7fffffffu

/* The four components of a flush: they add up to its wall time. */
enum fl_an_comp {
	FL_AN_ON_CPU, /* running */
	FL_AN_RUNQ,   /* runnable, waiting for a CPU */
	FL_AN_IO,     /* blocked: uninterruptible sleep or in_iowait */
	FL_AN_SLEEP,  /* blocked otherwise (locks, condition variables, ...) */
	FL_AN_NCOMP,
};

/* System-call classes; NONE = off CPU outside any system call. */
enum fl_an_sys {
	FL_AN_SYS_FDATASYNC,
	FL_AN_SYS_FSYNC,
	FL_AN_SYS_RENAME,  /* rename, renameat, renameat2 */
	FL_AN_SYS_OPENAT,  /* open, openat, openat2, creat */
	FL_AN_SYS_WRITE,   /* write, pwrite64, writev, pwritev, pwritev2 */
	FL_AN_SYS_CLOSE,
	FL_AN_SYS_OTHER,
	FL_AN_SYS_NONE,
	FL_AN_NSYS,
};

/*
 * A thread's cumulative clocks, running while it has a span open; a flush's
 * anatomy is the difference of two snapshots (start, done).
 */
struct fl_an_cum {
	__u64 comp[FL_AN_NCOMP];   /* ns */
	__u64 sys_off[FL_AN_NSYS]; /* off-CPU ns, by the call in progress at the switch-out */
	__u64 sys_blk[FL_AN_NSYS]; /* blocking switch-outs, by call */
	__u64 sys_ns[FL_AN_NSYS];  /* --syscalls: ns inside each call */
	__u64 sys_cnt[FL_AN_NSYS]; /* --syscalls: calls */
	__u64 clamp_ns;            /* run_delay growth beyond an off segment (clamped away) */
	__u64 noinfo_ns;           /* preempted time run_delay did not see (counted as runq) */
	__u64 rdjump_ns;           /* run_delay growth while on CPU (no off segment seen) */
	__u64 missed_in;           /* switch-ins sched_switch never reported (repaired) */
	__u64 fold_lost_ns;        /* blocked ns beyond FL_AN_SPAN_FOLD stacks */
};

/* Blocked time on one kernel stack (--folded). */
struct fl_an_fold {
	__s32 stackid;
	__u16 comp;
	__u16 sys;
	__u64 ns;
};

struct fl_an_fkey {
	__s32 stackid;
	__u16 comp;
	__u16 sys;
};

/* One traced thread (the thread table; its owner word is an_own[] in .bss). */
struct fl_an_thr {
	__u64 seq;      /* odd while sched_switch updates the entry */
	__u64 task;     /* task_struct address (read by a done on another thread) */
	__u64 last_ts;  /* ktime of the last switch-in/out, or of the start */
	__u64 rd_out;   /* sched_info.run_delay at the last switch-out (or settle) */
	__u64 sx_out;   /* se.sum_exec_runtime at the last switch-out */
	__u64 pend_off; /* an ended off-CPU segment whose runq share is not known yet */
	__u32 oncpu;
	__u32 out_comp, pend_comp;
	__u32 out_sys, pend_sys;
	__s32 out_stack, pend_stack;
	__u32 sys_cur;  /* --syscalls: class of the call in progress */
	__u64 sys_ts;   /* --syscalls: its entry ktime, 0 if none */
	__u64 max_blk;  /* longest blocked segment since the thread's first open span */
	__u32 max_sys, max_comp;
	__u32 cand_n, max_n;  /* bytes in cand_ips / max_ips */
	__u32 nfold, pad;
	/*
	 * The span of the thread's first open flush (the common case: one at
	 * a time) lives here, in the thread's own warm entry: p_key is its
	 * in-flight key, 0 when none.  Its start snapshot is zero (the clocks
	 * start with it).  Further, overlapping flushes use the span table.
	 */
	__u64 p_key;
	__u64 p_kstart;
	__u64 p_rd0;
	__u32 p_tgid, p_flags;
	struct fl_an_cum cum;
	struct fl_an_fold fold[FL_AN_SPAN_FOLD];
	__u64 cand_ips[FL_AN_IPS]; /* stack of the pending off segment */
	__u64 max_ips[FL_AN_IPS];  /* stack of the longest blocked segment */
};

/* The start snapshot of one flush, at the index of its in-flight slot. */
struct fl_an_span {
	__u64 key;      /* the in-flight key (start_ns, 0 stored as 1); 0 = free */
	__u64 kstart;
	__u32 tgid, tid;
	__u32 thr_idx, flags;
	__u32 fold0, pad;
	__u64 rd0;      /* sched_info.run_delay at the start */
	struct fl_an_cum c0;
};

/* record flags */
#define FL_AN_F_CROSS 0x1    /* completed on another thread than it started */
#define FL_AN_F_OVERLAP 0x2  /* the thread already had a span open at the start */
#define FL_AN_F_RETRY 0x4    /* a consistent snapshot needed retries */
#define FL_AN_F_RACE 0x8     /* gave up retrying: the split may be off by one switch */
#define FL_AN_F_QUEUED 0x10  /* cross-thread: starter was runnable at done (runq estimated) */
#define FL_AN_F_ANATOMY 0x20 /* components and syscalls are filled in */
#define FL_AN_F_FRESH 0x40   /* the thread's clocks started at this flush (c0 is zero) */

enum fl_an_event_type { FL_AN_EV_SLOW = 1, FL_AN_EV_WAKE = 2 };

/* One flush's anatomy: the span's clocks at done minus those at start. */
struct fl_an_res {
	__u32 flags;
	__u32 tid;          /* the thread that started the flush */
	__u64 kstart, kend; /* ktime at the two probes: the components add up to kend - kstart */
	__u64 rd_delta;     /* run_delay(done) - run_delay(start), same thread only */
	__u64 max_blk;      /* longest blocked segment (since the thread's first open span) */
	__u32 max_comp, max_sys;
	struct fl_an_cum d;
};

/* A --slow record (ring buffer). */
struct fl_an_event {
	__u32 type;         /* FL_AN_EV_SLOW */
	__u32 done_tid;     /* the thread that completed it */
	__u64 start_ns;     /* recorder clock (probe arguments) */
	__u64 end_ns;
	__u64 duration_ns;  /* in the run's clock (--clock) */
	__u32 tgid;
	__u32 nfold;
	__u32 max_n;        /* bytes in max_ips */
	__u32 pad;
	char comm[16];      /* of the thread that completed it */
	struct fl_an_res r; /* kstart/kend and tid always; the rest with FL_AN_F_ANATOMY */
	__u64 max_ips[FL_AN_IPS];
	struct fl_an_fold fold[FL_AN_SPAN_FOLD];
};

/* Sums over flushes: all of them, or one (duration bucket, over) of the tail. */
struct fl_an_sums {
	__u64 flushes;
	__u64 wall_ns;
	__u64 comp[FL_AN_NCOMP];
	__u64 comp_max[FL_AN_NCOMP];
	__u64 sys_off[FL_AN_NSYS];
	__u64 sys_blk[FL_AN_NSYS];
	__u64 sys_ns[FL_AN_NSYS];
	__u64 sys_cnt[FL_AN_NSYS];
};

/* The all-flushes aggregate, per CPU. */
struct fl_an_all {
	__u64 busy; /* guard: 1 while a program adds with plain stores */
	struct fl_an_sums s;
	__u64 cross;        /* completed on another thread */
	__u64 rd_delta;     /* sum of run_delay deltas of same-thread flushes */
	__u64 rd_runq;      /* ... and of their runq, for comparison */
	__u64 clamp_ns, noinfo_ns, rdjump_ns, missed_in;
	__u64 retries, races, queued;
	__u64 fold_lost_ns;
};

/* The all-flushes component histograms (one shared copy, atomic adds). */
struct fl_an_hist {
	__u64 h[FL_AN_NCOMP][FL_HIST_NBUCKETS];
};

/* Tail histogram key: flushes of duration bucket db, component comp in bucket vb. */
struct fl_an_tkey {
	__u16 db;
	__u8 over;  /* at or over --slow (only within the bucket holding --slow) */
	__u8 comp;
	__u16 vb;
	__u16 pad;
};

/* --top N, exact: the N largest durations, under a lock word. */
struct fl_top_ent {
	__u64 duration_ns;
	__u64 start_ns;
	__u32 pid, tid;
};

struct fl_top {
	__u32 lock;
	__u32 n;
	__u64 min;  /* smallest kept duration once n == N */
	__u64 seq;  /* +1 at lock and at unlock: odd while updating */
	struct fl_top_ent e[FL_TOP_MAX];
};

/* --stuck: what the task iterator writes for each inspected thread. */
struct fl_stuck_task {
	__u32 tid;
	__u32 state;   /* task->__state */
	__u32 on_cpu;
	__u32 iowait;
	char comm[16];
	__s64 nbytes;  /* of ips, or a negative errno */
	__u64 ips[FL_AN_IPS];
};

enum fl_an_counter {
	FL_AN_CNT_SLOW,        /* flushes at or over --slow */
	FL_AN_CNT_SLOW_DROP,   /* ... whose record could not be reserved */
	FL_AN_CNT_THR_FULL,    /* no thread-table entry: flush not anatomised */
	FL_AN_CNT_SPAN_BUSY,   /* span slot still being read by a done: not anatomised */
	FL_AN_CNT_STACK_ERR,   /* a stack walk failed */
	FL_AN_CNT_FOLD_FULL,   /* --folded map full */
	FL_AN_CNT_TAIL_FULL,   /* tail histogram map full */
	FL_AN_CNT_TOP_MISSED,  /* --top lock not obtained */
	FL_AN_CNT_WAKE_FAIL,   /* wake-up record not reserved */
	FL_AN_CNT_NESTED,      /* a done preempted another on its CPU: not anatomised */
	FL_AN_CNT_MISSED_OUT,  /* a switch-in of a thread marked on CPU: its switch-out was unseen */
	FL_AN_CNT_NR,
};

static inline __u32 fl_an_thr_home(__u32 tid)
{
	return (tid * 2654435761u) >> 22; /* 10 bits: FL_AN_THREADS == 1024 */
}

#endif /* FLUSHLAT_ANATOMY_ABI_H */
