/* SPDX-License-Identifier: GPL-2.0 */
/*
 * anatomy.bpf.h - the flush anatomy, included by flushlat.bpf.c: why each
 * flush took its time (--breakdown), which flushes were slow (--slow), the
 * slowest of the run (--top) and flushes stuck right now (--stuck).
 *
 * Model.  Each traced thread has cumulative clocks (struct fl_an_cum) that
 * run only while it has a span (a flush between meta_flush_start and
 * meta_flush_done) open; a flush's anatomy is the difference of the clocks
 * at its two probes, so overlapping spans and completions on another thread
 * need no special case.  sched_switch ends the thread's on-CPU segment at a
 * switch-out (noting its class and the system call in progress), measures
 * the off-CPU segment at the switch-in, and splits that segment at the next
 * checkpoint (switch-out or probe, when sched_info.run_delay has been
 * updated) into runq = the run_delay growth (clamped to the segment) and
 * blocked = the rest.  Every boundary is a bpf_ktime_get_ns() value, so
 * on_cpu + runq + io + sleep equals the wall time between the probes.
 *
 * Everything here is off unless user space asks for it: the programs below
 * load only on request, and the hooks in the USDT programs are behind
 * read-only flags the verifier folds away.
 */
#ifndef FLUSHLAT_ANATOMY_BPF_H
#define FLUSHLAT_ANATOMY_BPF_H

#include <bpf/bpf_core_read.h>

#include "ktypes.h"
#include "anatomy_abi.h"

#define AN_READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define AN_WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#define an_barrier() asm volatile("" ::: "memory")

/* ---- configuration (read-only, set before load) ------------------------ */

const volatile bool an_on = false;         /* --breakdown: the scheduler hook */
const volatile bool an_sys_hooks = false;  /* --syscalls: sys_enter/sys_exit */
const volatile bool an_max_stack = false;  /* slow records carry the longest-blocked stack */
const volatile __u64 an_stack_min_ns = 100000; /* a walk costs ~1.1 us: only for segments that matter */
const volatile bool an_fold = false;       /* --folded: a stack id per blocking switch-out */
const volatile bool slow_on = false;       /* --slow */
const volatile __u64 slow_ns = 0;
const volatile __u32 top_n = 0;            /* --top N */
const volatile bool stuck_on = false;      /* --stuck: wake user space when flushes start */

/* ---- state ------------------------------------------------------------- */

/*
 * The filter every context switch of the machine reads: one load when no
 * span is open anywhere; else one load per task in a table of open-span
 * counts per tid & 4095.  Written only by the probes.
 */
__u32 spans_open __attribute__((aligned(64)));
__u32 tidcnt[FL_AN_FILTER] __attribute__((aligned(64)));
/*
 * 1 while user space has been told (or is known to be looking) that records
 * or flushes need attention; the BPF side sets it and wakes user space only
 * on the 0 -> 1 edge, user space clears it when it goes idle.
 */
__u32 attn __attribute__((aligned(64)));
/*
 * The thread table's owner words, apart from the (1.2 KB) entries: probing
 * the 8 slots of a thread touches one or two cache lines, not eight.
 * an_own[i] = tid << 32 | open spans (FL_AN_CLAIMING while initialised);
 * an_free_ts[i] = ktime of the last release (reuse quarantine).
 */
__u64 an_own[FL_AN_THREADS] __attribute__((aligned(64)));
__u64 an_free_ts[FL_AN_THREADS] __attribute__((aligned(64)));
/* --stuck: the threads the task iterator reports on */
__u32 stuck_tids[FL_STUCK_MAX];
__u32 stuck_n;
/*
 * ktime - sched_clock offset: the minimum, over ~1 s windows, of (our ktime
 * at a traced switch-in - sched_info.last_arrival); used only to place a
 * switch-in that sched_switch did not report (see switch_out()).
 */
__s64 clk_min[2];
__u64 clk_epoch;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_INFLIGHT_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fl_an_span);
} an_spans SEC(".maps");

/* mmapable: user space closes the spans of processes that died mid-flush */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_AN_THREADS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fl_an_thr);
} an_thr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fl_an_all);
} an_all SEC(".maps");

/* shared, not per CPU: 31 KB that exist even when nothing is asked for */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fl_an_hist);
} an_hist SEC(".maps");

/* the tail, by (duration bucket, over --slow): user space picks the tail at read time */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_AN_TAIL_SUMS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fl_an_sums);
} an_tail SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FL_AN_TAIL_HIST);
	__type(key, struct fl_an_tkey);
	__type(value, __u64);
} an_tail_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} an_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, FL_AN_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, FL_AN_STACK_DEPTH * sizeof(__u64));
} an_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FL_AN_FOLD_KEYS);
	__type(key, struct fl_an_fkey);
	__type(value, __u64);
} an_foldmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fl_top);
} an_top SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fl_stuck_task);
} an_stuck_buf SEC(".maps");

/* a flush's anatomy being computed (too large for the BPF stack) */
struct an_scratch {
	__u64 busy;
	struct fl_an_res r;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct an_scratch);
} an_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FL_AN_CNT_NR);
	__type(key, __u32);
	__type(value, __u64);
} an_counters SEC(".maps");

static __always_inline void an_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&an_counters, &idx);

	if (c)
		__sync_fetch_and_add(c, 1);
}

/* ---- waking user space ------------------------------------------------- */

/*
 * Records are submitted without a wake-up (an irq_work self-IPI costs
 * several us per event in a VM); user space drains them on a timer it arms
 * only while something happens.  The first record or flush after an idle
 * period sets attn and wakes it with a small record.  The fetch-or is a full
 * barrier, after the record was committed: user space clears attn (xchg)
 * before its last drain, so a record is either seen by that drain or wakes.
 */
static __always_inline void an_wake(void)
{
	__u64 w = FL_AN_EV_WAKE;

	if (__sync_fetch_and_or(&attn, 1))
		return;
	if (bpf_ringbuf_output(&an_events, &w, sizeof(w), BPF_RB_FORCE_WAKEUP)) {
		an_count(FL_AN_CNT_WAKE_FAIL);
		AN_WRITE_ONCE(attn, 0); /* the next record tries again */
	}
}

/* ---- the thread table -------------------------------------------------- */

static __always_inline bool own_active(__u64 own, __u32 tid)
{
	return (own >> 32) == tid && (own & FL_AN_REF_MASK) && !(own & FL_AN_CLAIMING);
}

/* The entry of a thread with an open span (its index in *pidx), or NULL. */
static __always_inline struct fl_an_thr *thr_find(__u32 tid, __u32 *pidx)
{
	__u32 home = fl_an_thr_home(tid);

	for (__u32 i = 0; i < FL_AN_THR_PROBES; i++) {
		__u32 idx = (home + i) & (FL_AN_THREADS - 1);

		if (own_active(AN_READ_ONCE(an_own[idx]), tid)) {
			*pidx = idx;
			return bpf_map_lookup_elem(&an_thr, &idx);
		}
	}
	return NULL;
}

static __always_inline void clk_sample(__s64 v, __u64 now)
{
	__u64 ep = now >> 30; /* ~1.07 s windows: ktime drifts against sched_clock */

	if (ep != clk_epoch) {
		clk_min[ep & 1] = v;
		clk_epoch = ep;
	} else if (v < clk_min[ep & 1]) {
		clk_min[ep & 1] = v;
	}
}

/* ktime of a sched_clock value; 0 if not calibrated yet */
static __always_inline __u64 clk_to_ktime(__u64 sched_ns)
{
	__s64 a = clk_min[0], b = clk_min[1], o;

	if (!a && !b)
		return 0;
	o = !a ? b : !b ? a : a < b ? a : b;
	return sched_ns + o;
}

static __always_inline __u32 sys_class(long nr)
{
#if defined(__TARGET_ARCH_x86)
	switch (nr) {
	case 75: return FL_AN_SYS_FDATASYNC;
	case 74: return FL_AN_SYS_FSYNC;
	case 82: case 264: case 316: return FL_AN_SYS_RENAME;
	case 2: case 85: case 257: case 437: return FL_AN_SYS_OPENAT;
	case 1: case 18: case 20: case 296: case 328: return FL_AN_SYS_WRITE;
	case 3: return FL_AN_SYS_CLOSE;
	}
#endif
	(void)nr;
	return FL_AN_SYS_OTHER;
}

/*
 * The system call the task is blocked in, from its user-entry registers:
 * orig_ax is the call number only when the entry was SYSCALL (then cx == ip
 * and r11 == flags, as the instruction left them).  An interrupt frame has
 * orig_ax = ~vector (< 0); a user page fault has its error code there.  ax
 * stays -ENOSYS until the call returns: a switch-out after that is the
 * return to user mode, not the call.  (The kernel stack's __x64_sys_* frame
 * names the same call: verified on every blocked segment of a run.)
 */
static __always_inline __u32 task_sys(struct task_struct *t)
{
#if defined(__TARGET_ARCH_x86)
	struct pt_regs___k *r = (struct pt_regs___k *)bpf_task_pt_regs(t);
	long nr;

	if (!r)
		return FL_AN_SYS_NONE;
	nr = (long)r->orig_ax;
	if (nr < 0 || nr > 1023 || r->cx != r->ip || r->r11 != r->flags || (long)r->ax != -38)
		return FL_AN_SYS_NONE;
	return sys_class(nr);
#else
	(void)t;
	return FL_AN_SYS_NONE;
#endif
}

static __always_inline void fold_add(__s32 stackid, __u32 comp, __u32 sys, __u64 ns)
{
	struct fl_an_fkey k = { .stackid = stackid, .comp = (__u16)comp, .sys = (__u16)sys };
	__u64 *v = bpf_map_lookup_elem(&an_foldmap, &k), zero = 0;

	if (!v) {
		if (bpf_map_update_elem(&an_foldmap, &k, &zero, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&an_foldmap, &k)) {
			an_count(FL_AN_CNT_FOLD_FULL);
			return;
		}
		v = bpf_map_lookup_elem(&an_foldmap, &k);
		if (!v)
			return;
	}
	__sync_fetch_and_add(v, ns);
}

/* The thread's list of blocked stacks, which slow records carry (--folded). */
static __always_inline void span_fold_add(struct fl_an_thr *e, __s32 stackid, __u32 comp,
					  __u32 sys, __u64 ns)
{
	__u32 n = e->nfold;

	if (n && n <= FL_AN_SPAN_FOLD) {
		struct fl_an_fold *last = &e->fold[(n - 1) & (FL_AN_SPAN_FOLD - 1)];

		if (last->stackid == stackid && last->comp == comp && last->sys == sys) {
			last->ns += ns;
			return;
		}
	}
	if (n >= FL_AN_SPAN_FOLD) {
		e->cum.fold_lost_ns += ns;
		return;
	}
	e->fold[n & (FL_AN_SPAN_FOLD - 1)] = (struct fl_an_fold){
		.stackid = stackid, .comp = (__u16)comp, .sys = (__u16)sys, .ns = ns
	};
	e->nfold = n + 1;
}

/*
 * Splits the ended off-CPU segment 'off' with the run_delay now known (the
 * thread has arrived since) and adds it into e->cum.  atomic: from the USDT
 * programs, which a sched_switch of the same thread could interrupt.
 */
static __always_inline void resolve(struct fl_an_thr *e, __u64 off, __u64 rd, bool atomic)
{
	__u32 comp = e->pend_comp & 3, sys = e->pend_sys & 7;
	__u64 rq = rd - e->rd_out, blk;

	if ((__s64)rq < 0)
		rq = 0;
	if (rq > off) {
		/* the rq clock can be stale (skipped updates): clamp per segment */
		e->cum.clamp_ns += rq - off;
		rq = off;
	}
	blk = off - rq;
	if (comp == FL_AN_RUNQ) {
		/* runnable at the switch-out (preempted): waiting for a CPU, all of it */
		e->cum.noinfo_ns += blk;
		rq += blk;
		blk = 0;
	}
	if (atomic) {
		__sync_fetch_and_add(&e->cum.comp[FL_AN_RUNQ], rq);
		if (blk)
			__sync_fetch_and_add(&e->cum.comp[comp], blk);
		__sync_fetch_and_add(&e->cum.sys_off[sys], off);
	} else {
		e->cum.comp[FL_AN_RUNQ] += rq;
		if (blk)
			e->cum.comp[comp] += blk;
		e->cum.sys_off[sys] += off;
	}
	if (!blk)
		return;
	if (blk > e->max_blk) {
		e->max_blk = blk;
		e->max_sys = sys;
		e->max_comp = comp;
		if (an_max_stack) {
			e->max_n = e->cand_n;
			__builtin_memcpy(e->max_ips, e->cand_ips, sizeof(e->max_ips));
		}
	}
	if (an_fold) {
		fold_add(e->pend_stack, comp, sys, blk);
		if (slow_on)
			span_fold_add(e, e->pend_stack, comp, sys, blk);
	}
}

/*
 * Sequence count for a done probe on another CPU reading the entry.  On x86
 * (TSO) plain stores in program order suffice and save two locked
 * instructions per traced switch; weakly ordered CPUs need the atomic form.
 */
static __always_inline void seq_begin(struct fl_an_thr *e)
{
#if defined(__TARGET_ARCH_x86)
	AN_WRITE_ONCE(e->seq, e->seq + 1);
	an_barrier();
#else
	__sync_fetch_and_add(&e->seq, 1);
#endif
}

static __always_inline void seq_end(struct fl_an_thr *e)
{
#if defined(__TARGET_ARCH_x86)
	an_barrier();
	AN_WRITE_ONCE(e->seq, e->seq + 1);
#else
	__sync_fetch_and_add(&e->seq, 1);
#endif
}

static __always_inline void switch_out(void *ctx, struct fl_an_thr *e, __u32 idx,
				       struct task_struct *prev, __u32 tid, bool preempt,
				       unsigned int state, __u64 now)
{
	__u64 rd = prev->sched_info.run_delay, off;
	__u32 comp, sys;
	__s32 stack = -1;

	seq_begin(e);
	if (!own_active(AN_READ_ONCE(an_own[idx & (FL_AN_THREADS - 1)]), tid))
		goto out; /* released meanwhile */
	if (!e->oncpu) {
		/*
		 * Its switch-in was never reported (seen on this kernel: the
		 * switch away from some tasks fires no sched_switch).  The CPU
		 * time since the last switch-out is exact in se.sum_exec_runtime
		 * (updated before the tracepoint): put the switch-in there.
		 */
		__u64 ran = prev->se.sum_exec_runtime - e->sx_out, gap = now - e->last_ts;

		e->cum.missed_in++;
		if ((__s64)ran < 0 || ran >= gap)
			ran = gap ? gap - 1 : 0;
		e->pend_off = gap - ran ? gap - ran : 1;
		e->pend_comp = e->out_comp;
		e->pend_sys = e->out_sys;
		e->pend_stack = e->out_stack;
		e->last_ts = now - ran;
		e->oncpu = 1;
	} else {
		clk_sample((__s64)e->last_ts - (__s64)prev->sched_info.last_arrival, now);
	}
	off = e->pend_off;
	if (off) {
		e->pend_off = 0;
		resolve(e, off, rd, false);
	} else if (rd != e->rd_out) {
		e->cum.rdjump_ns += rd - e->rd_out;
	}
	e->cum.comp[FL_AN_ON_CPU] += now - e->last_ts;

	if (preempt || state == TASK_RUNNING)
		comp = FL_AN_RUNQ;
	else if ((state & TASK_UNINTERRUPTIBLE) || BPF_CORE_READ_BITFIELD(prev, in_iowait))
		comp = FL_AN_IO;
	else
		comp = FL_AN_SLEEP;
	sys = task_sys(prev);
	if (comp != FL_AN_RUNQ) {
		e->cum.sys_blk[sys & 7]++;
		if (an_fold) {
			stack = bpf_get_stackid(ctx, &an_stacks, 0);
			if (stack < 0)
				an_count(FL_AN_CNT_STACK_ERR);
		}
	}
	e->out_comp = comp;
	e->out_sys = sys;
	e->out_stack = stack;
	e->rd_out = rd;
	e->sx_out = prev->se.sum_exec_runtime;
	e->last_ts = now;
	e->oncpu = 0;
out:
	seq_end(e);
}

static __always_inline void switch_in(struct fl_an_thr *e, __u32 idx, struct task_struct *next,
				      __u32 tid, __u64 now)
{
	seq_begin(e);
	if (!own_active(AN_READ_ONCE(an_own[idx & (FL_AN_THREADS - 1)]), tid))
		goto out;
	if (e->oncpu) {
		/* its switch-out was not reported: the time off CPU counts as on_cpu */
		an_count(FL_AN_CNT_MISSED_OUT);
		goto out;
	}
	e->pend_off = now - e->last_ts ? now - e->last_ts : 1; /* 0 means none */
	e->pend_comp = e->out_comp;
	e->pend_sys = e->out_sys;
	e->pend_stack = e->out_stack;
	e->cand_n = 0;
	/* next has not run yet: its stack is still the one it blocked on */
	if (an_max_stack && e->out_comp != FL_AN_RUNQ && e->pend_off >= an_stack_min_ns &&
	    e->pend_off > e->max_blk) {
		long n = bpf_get_task_stack(next, e->cand_ips, sizeof(e->cand_ips), 0);

		if (n < 0)
			an_count(FL_AN_CNT_STACK_ERR);
		e->cand_n = n > 0 ? (__u32)n : 0;
	}
	e->last_ts = now;
	e->oncpu = 1;
out:
	seq_end(e);
}

/* A separate BPF function: the entry program stays a load and a branch. */
static __noinline int switch_slow(unsigned long long *ctx)
{
	/* tp_btf args: bool preempt, prev, next, unsigned int prev_state */
	bool preempt = (bool)ctx[0];
	struct task_struct *prev = (struct task_struct *)ctx[1];
	struct task_struct *next = (struct task_struct *)ctx[2];
	unsigned int prev_state = (unsigned int)ctx[3];
	struct fl_an_thr *e;
	__u32 ptid, ntid, idx = 0;
	bool p, n;
	__u64 now;

	if (!prev || !next)
		return 0;
	ptid = prev->pid;
	ntid = next->pid;
	p = AN_READ_ONCE(tidcnt[ptid & (FL_AN_FILTER - 1)]) != 0;
	n = AN_READ_ONCE(tidcnt[ntid & (FL_AN_FILTER - 1)]) != 0;
	if (!p && !n)
		return 0;
	now = bpf_ktime_get_ns();
	if (p && (e = thr_find(ptid, &idx)))
		switch_out(ctx, e, idx, prev, ptid, preempt, prev_state, now);
	if (n && (e = thr_find(ntid, &idx)))
		switch_in(e, idx, next, ntid, now);
	return 0;
}

/*
 * Every context switch of the machine: one load and a branch while no span
 * is open anywhere.  Written without BPF_PROG(), which would load all four
 * arguments before the test.
 */
SEC("tp_btf/sched_switch")
int an_switch(unsigned long long *ctx)
{
	if (!AN_READ_ONCE(spans_open))
		return 0;
	return switch_slow(ctx);
}

/* ---- opt-in exact system-call times (--syscalls) ----------------------- */

/* args: struct pt_regs *regs, long id */
SEC("tp_btf/sys_enter")
int an_sys_enter(unsigned long long *ctx)
{
	struct fl_an_thr *e;
	__u32 tid, idx;

	if (!AN_READ_ONCE(spans_open))
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	if (!AN_READ_ONCE(tidcnt[tid & (FL_AN_FILTER - 1)]))
		return 0;
	e = thr_find(tid, &idx);
	if (!e)
		return 0;
	e->sys_cur = sys_class((long)ctx[1]);
	e->sys_ts = bpf_ktime_get_ns();
	return 0;
}

/* args: struct pt_regs *regs, long ret */
SEC("tp_btf/sys_exit")
int an_sys_exit(unsigned long long *ctx)
{
	struct fl_an_thr *e;
	__u32 tid, c, idx;
	__u64 ts;

	(void)ctx;
	if (!AN_READ_ONCE(spans_open))
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	if (!AN_READ_ONCE(tidcnt[tid & (FL_AN_FILTER - 1)]))
		return 0;
	e = thr_find(tid, &idx);
	if (!e)
		return 0;
	ts = e->sys_ts;
	if (!ts)
		return 0; /* entered before the span opened */
	c = e->sys_cur & 7;
	e->cum.sys_ns[c] += bpf_ktime_get_ns() - ts;
	e->cum.sys_cnt[c]++;
	e->sys_ts = 0;
	return 0;
}

/* ---- --stuck: state and kernel stack of the threads asked for ---------- */

SEC("iter/task")
int an_stuck_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct fl_stuck_task *r;
	__u32 tid, n = stuck_n, zero = 0;
	bool want = false;

	if (!t)
		return 0;
	tid = t->pid;
	for (__u32 i = 0; i < FL_STUCK_MAX; i++)
		if (i < n && stuck_tids[i] == tid)
			want = true;
	if (!want)
		return 0;
	r = bpf_map_lookup_elem(&an_stuck_buf, &zero);
	if (!r)
		return 0;
	r->tid = tid;
	r->state = t->__state;
	r->on_cpu = t->on_cpu;
	r->iowait = BPF_CORE_READ_BITFIELD(t, in_iowait);
	bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), t->comm);
	r->nbytes = bpf_get_task_stack(t, r->ips, sizeof(r->ips), 0);
	bpf_seq_write(ctx->meta->seq, r, sizeof(*r));
	return 0;
}

/* ---- snapshots of a thread's clocks ------------------------------------ */

static __always_inline __u64 csw(struct task_struct *t)
{
	return AN_READ_ONCE(t->nvcsw) + AN_READ_ONCE(t->nivcsw);
}

/*
 * The current thread's clocks as of now (it is on CPU): settles a pending
 * off segment (run_delay is current while running), then copies.  Retried
 * if a context switch interleaved (a uprobe program is preemptible under
 * preempt=full).
 */
static __always_inline __u64 snap_self(struct fl_an_thr *e, struct task_struct *t,
				       struct fl_an_cum *out, __u32 *flags)
{
	__u64 now = 0, c0, off, rd;

	if (!AN_READ_ONCE(e->oncpu)) {
		/* running, but its switch-in was never reported: it arrived at
		 * sched_info.last_arrival (sched_clock), converted to ktime */
		__u64 tin = clk_to_ktime(t->sched_info.last_arrival), n = bpf_ktime_get_ns();
		__u64 last = AN_READ_ONCE(e->last_ts);

		if (!tin || tin <= last || tin > n)
			tin = last + 1; /* not calibrated yet: all on CPU */
		e->pend_comp = e->out_comp;
		e->pend_sys = e->out_sys;
		e->pend_stack = e->out_stack;
		e->pend_off = tin - last;
		e->last_ts = tin;
		e->oncpu = 1;
		e->cum.missed_in++;
	}
	for (int i = 0; i < 4; i++) {
		c0 = csw(t);
		rd = t->sched_info.run_delay;
		off = __sync_lock_test_and_set(&e->pend_off, 0);
		if (off)
			resolve(e, off, rd, true);
		else if (rd != e->rd_out)
			e->cum.rdjump_ns += rd - e->rd_out;
		e->rd_out = rd; /* settled up to here */
		now = bpf_ktime_get_ns();
		__builtin_memcpy(out, &e->cum, sizeof(*out));
		out->comp[FL_AN_ON_CPU] += now - AN_READ_ONCE(e->last_ts);
		if (csw(t) == c0)
			return now;
		*flags |= FL_AN_F_RETRY;
	}
	*flags |= FL_AN_F_RACE;
	return now;
}

/*
 * Another thread's clocks as of now, read-only under its sequence count,
 * with its run_delay read through the task address saved at the start (a
 * USDT program may not take a task reference: bpf_task_from_pid() is not
 * allowed there).
 */
static __always_inline __u64 snap_cross(struct fl_an_thr *e, struct fl_an_cum *out,
					__u32 *flags)
{
	struct task_struct *t = (struct task_struct *)AN_READ_ONCE(e->task);
	__u64 now = 0, s0 = 0, last = 0, rd_out = 0, pend = 0, rd, sys_ts = 0;
	__u32 oncpu = 0, pcomp = 0, psys = 0, ocomp = 0, osys = 0, scur = 0;
	bool ok = false;

	/* the writer holds seq odd for ~0.2 us: wait for even (bounded), copy, re-check */
	for (int i = 0; i < 4 && !ok; i++) {
		for (int j = 0; j < 256; j++) {
			s0 = AN_READ_ONCE(e->seq);
			if (!(s0 & 1))
				break;
		}
		an_barrier();
		__builtin_memcpy(out, &e->cum, sizeof(*out));
		last = AN_READ_ONCE(e->last_ts);
		rd_out = AN_READ_ONCE(e->rd_out);
		pend = AN_READ_ONCE(e->pend_off);
		oncpu = AN_READ_ONCE(e->oncpu);
		pcomp = AN_READ_ONCE(e->pend_comp) & 3;
		psys = AN_READ_ONCE(e->pend_sys) & 7;
		ocomp = AN_READ_ONCE(e->out_comp) & 3;
		osys = AN_READ_ONCE(e->out_sys) & 7;
		sys_ts = AN_READ_ONCE(e->sys_ts);
		scur = AN_READ_ONCE(e->sys_cur) & 7;
		now = bpf_ktime_get_ns();
		an_barrier();
		ok = AN_READ_ONCE(e->seq) == s0 && !(s0 & 1);
		if (!ok)
			*flags |= FL_AN_F_RETRY;
	}
	if (!ok)
		*flags |= FL_AN_F_RACE;
	rd = BPF_CORE_READ(t, sched_info.run_delay);
	if (oncpu) {
		out->comp[FL_AN_ON_CPU] += now - last;
		if (pend) {
			__u64 rq = rd - rd_out;

			if ((__s64)rq < 0)
				rq = 0;
			if (rq > pend || pcomp == FL_AN_RUNQ)
				rq = pend;
			out->comp[FL_AN_RUNQ] += rq;
			out->comp[pcomp] += pend - rq;
			out->sys_off[psys] += pend;
		}
	} else {
		__u64 off = now - last, rq = 0;

		if (ocomp == FL_AN_RUNQ) {
			rq = off;
		} else {
			/* woken and waiting for a CPU?  last_queued is sched_clock */
			__u64 lq = BPF_CORE_READ(t, sched_info.last_queued), lqk;

			lqk = lq ? clk_to_ktime(lq) : 0;
			if (lqk) {
				__s64 w = (__s64)(now - lqk);

				rq = w < 0 ? 0 : (__u64)w > off ? off : (__u64)w;
				*flags |= FL_AN_F_QUEUED;
			}
		}
		out->comp[FL_AN_RUNQ] += rq;
		out->comp[ocomp] += off - rq;
		out->sys_off[osys] += off;
	}
	if (sys_ts) { /* --syscalls: the call in progress counts up to now */
		out->sys_ns[scur] += now - sys_ts;
		out->sys_cnt[scur]++;
	}
	return now;
}

/* ---- start ------------------------------------------------------------- */

/* Claims (or joins) the thread entry of tid; its index, or -1. */
static __always_inline int thr_claim(__u32 tid, bool *fresh, __u64 now)
{
	__u32 home = fl_an_thr_home(tid);

	for (__u32 i = 0; i < FL_AN_THR_PROBES; i++) { /* a second span on the thread? */
		__u32 idx = (home + i) & (FL_AN_THREADS - 1);

		if (own_active(AN_READ_ONCE(an_own[idx]), tid)) {
			__sync_fetch_and_add(&an_own[idx], 1);
			*fresh = false;
			return (int)idx;
		}
	}
	for (__u32 i = 0; i < FL_AN_THR_PROBES; i++) {
		__u32 idx = (home + i) & (FL_AN_THREADS - 1);
		__u64 own = AN_READ_ONCE(an_own[idx]);

		if (own & (FL_AN_REF_MASK | FL_AN_CLAIMING))
			continue;
		/*
		 * Released < 1 ms ago by a done on another thread: the previous
		 * owner's sched_switch may still be writing it (there is no
		 * store-load fence in that hot path).
		 */
		if ((own >> 32) != tid && now - AN_READ_ONCE(an_free_ts[idx]) < FL_AN_QUARANTINE_NS)
			continue;
		if (__sync_val_compare_and_swap(&an_own[idx], own, ((__u64)tid << 32) | FL_AN_CLAIMING) ==
		    own) {
			*fresh = true;
			return (int)idx;
		}
	}
	return -1;
}

/* A fresh entry: clocks at zero, then active; redone if a switch came in between. */
static __always_inline __u64 thr_init(struct fl_an_thr *e, __u32 idx, struct task_struct *t,
				      __u32 tid, __u32 *flags, __u64 now)
{
	for (int i = 0; i < 3; i++) {
		__u64 c0 = csw(t), q0 = AN_READ_ONCE(e->seq);

		if (i)
			now = bpf_ktime_get_ns();
		__builtin_memset(&e->cum, 0, sizeof(e->cum));
		e->task = (__u64)t;
		e->last_ts = now;
		e->rd_out = t->sched_info.run_delay;
		e->sx_out = t->se.sum_exec_runtime;
		e->pend_off = 0;
		e->oncpu = 1;
		e->sys_ts = 0;
		e->max_blk = 0;
		e->max_n = 0;
		e->cand_n = 0;
		e->max_sys = FL_AN_SYS_NONE;
		e->max_comp = 0;
		e->nfold = 0;
		__sync_lock_test_and_set(&an_own[idx & (FL_AN_THREADS - 1)], ((__u64)tid << 32) | 1);
		if (csw(t) == c0 && !(q0 & 1) && AN_READ_ONCE(e->seq) == q0)
			break;
		*flags |= FL_AN_F_RETRY;
	}
	return now;
}

/*
 * meta_flush_start hook: called after the in-flight slot was claimed, with
 * its index (< 0: none).  Opens the span: counts it in the filter first
 * (thr_find() still fails until the entry is active), then snapshots.  The
 * thread's first span goes into its own entry; an overlapping one into the
 * span table at the in-flight slot's index.
 */
static __always_inline void fl_anat_start(int slot, __u64 key, __u32 tgid, __u32 tid)
{
	struct task_struct *t;
	struct fl_an_span *s;
	struct fl_an_thr *e;
	__u32 sidx, tidx, flags = 0;
	bool fresh = false;
	__u64 now;
	int ti;

	if (stuck_on && !AN_READ_ONCE(attn))
		an_wake(); /* after the slot claim: a user-space rescan sees it */
	if (!an_on || slot < 0)
		return;
	t = bpf_get_current_task_btf();
	now = bpf_ktime_get_ns();
	ti = thr_claim(tid, &fresh, now);
	tidx = (__u32)ti;
	e = ti >= 0 ? bpf_map_lookup_elem(&an_thr, &tidx) : NULL;
	if (!e) {
		if (ti >= 0 && !fresh)
			__sync_fetch_and_add(&an_own[tidx & (FL_AN_THREADS - 1)], -1);
		an_count(FL_AN_CNT_THR_FULL);
		return;
	}
	if (fresh) {
		__sync_fetch_and_add(&tidcnt[tid & (FL_AN_FILTER - 1)], 1);
		__sync_fetch_and_add(&spans_open, 1);
		/* the clocks start at 0: no start snapshot to keep */
		e->p_kstart = thr_init(e, tidx, t, tid, &flags, now);
		e->p_rd0 = e->rd_out;
		e->p_tgid = tgid;
		e->p_flags = flags | FL_AN_F_FRESH;
		AN_WRITE_ONCE(e->p_key, key);
		return;
	}
	sidx = (__u32)slot;
	s = bpf_map_lookup_elem(&an_spans, &sidx);
	/* a done on another CPU may still be reading the previous span of this slot */
	if (!s || __sync_val_compare_and_swap(&s->key, 0, key) != 0) {
		__sync_fetch_and_add(&an_own[tidx & (FL_AN_THREADS - 1)], -1);
		an_count(FL_AN_CNT_SPAN_BUSY);
		return;
	}
	s->tgid = tgid;
	s->tid = tid;
	s->thr_idx = tidx;
	s->flags = FL_AN_F_OVERLAP;
	__sync_fetch_and_add(&tidcnt[tid & (FL_AN_FILTER - 1)], 1);
	__sync_fetch_and_add(&spans_open, 1);
	s->kstart = snap_self(e, t, &s->c0, &s->flags);
	s->rd0 = e->rd_out;
	s->fold0 = e->nfold;
}

/* ---- done -------------------------------------------------------------- */

/* Per-CPU sums: plain adds when this program holds the CPU's guard. */
#define AN_ADD(guard, p, v)                                                                        \
	do {                                                                                       \
		if (guard)                                                                         \
			*(p) += (v);                                                               \
		else                                                                               \
			__sync_fetch_and_add((p), (v));                                            \
	} while (0)

static __always_inline void max_u64(__u64 *p, __u64 v)
{
	for (int i = 0; i < 8; i++) {
		__u64 cur = AN_READ_ONCE(*p);

		if (v <= cur || __sync_val_compare_and_swap(p, cur, v) == cur)
			return;
	}
}

static __always_inline void sums_add(struct fl_an_sums *s, const struct fl_an_cum *d, __u64 wall,
				     bool guard)
{
	AN_ADD(guard, &s->flushes, 1);
	AN_ADD(guard, &s->wall_ns, wall);
	for (int c = 0; c < FL_AN_NCOMP; c++) {
		if (!d->comp[c])
			continue;
		AN_ADD(guard, &s->comp[c], d->comp[c]);
		max_u64(&s->comp_max[c], d->comp[c]);
	}
	for (int i = 0; i < FL_AN_NSYS; i++) {
		if (d->sys_off[i]) {
			AN_ADD(guard, &s->sys_off[i], d->sys_off[i]);
			AN_ADD(guard, &s->sys_blk[i], d->sys_blk[i]);
		}
		if (an_sys_hooks && d->sys_cnt[i]) {
			AN_ADD(guard, &s->sys_ns[i], d->sys_ns[i]);
			AN_ADD(guard, &s->sys_cnt[i], d->sys_cnt[i]);
		}
	}
}

static __always_inline void tail_hist_add(__u32 db, bool over, __u32 comp, __u64 v)
{
	struct fl_an_tkey k = { .db = (__u16)db, .over = over, .comp = (__u8)comp,
				.vb = (__u16)fl_hist_bucket(v) };
	__u64 *c = bpf_map_lookup_elem(&an_tail_hist, &k), one = 1;

	if (c) {
		__sync_fetch_and_add(c, 1);
		return;
	}
	if (!bpf_map_update_elem(&an_tail_hist, &k, &one, BPF_NOEXIST))
		return;
	c = bpf_map_lookup_elem(&an_tail_hist, &k); /* another CPU created it first */
	if (c)
		__sync_fetch_and_add(c, 1);
	else
		an_count(FL_AN_CNT_TAIL_FULL);
}

/*
 * Adds one flush's anatomy to the aggregates: all flushes, and its tail cell.
 * A global BPF function: verified once on its own, not at every path of the
 * done program (which otherwise exceeds the verifier's budget).
 */
__noinline int fl_an_aggregate(struct fl_an_cum *d, __u64 wall, __u64 dur, __u32 flags,
			       __u64 rd_delta)
{
	__u32 zero = 0, db = fl_hist_bucket(dur), ti;
	bool over = slow_on && dur >= slow_ns, guard;
	struct fl_an_all *a = bpf_map_lookup_elem(&an_all, &zero);
	struct fl_an_hist *h = bpf_map_lookup_elem(&an_hist, &zero);
	struct fl_an_sums *t;

	if (!d)
		return 0;
	if (a) {
		/* a program that preempted another one on this CPU falls back to atomics */
		guard = !__sync_lock_test_and_set(&a->busy, 1);
		sums_add(&a->s, d, wall, guard);
		if (flags & FL_AN_F_CROSS) {
			AN_ADD(guard, &a->cross, 1);
		} else {
			AN_ADD(guard, &a->rd_delta, rd_delta);
			AN_ADD(guard, &a->rd_runq, d->comp[FL_AN_RUNQ]);
		}
		AN_ADD(guard, &a->clamp_ns, d->clamp_ns);
		AN_ADD(guard, &a->noinfo_ns, d->noinfo_ns);
		AN_ADD(guard, &a->rdjump_ns, d->rdjump_ns);
		AN_ADD(guard, &a->missed_in, d->missed_in);
		AN_ADD(guard, &a->fold_lost_ns, d->fold_lost_ns);
		if (flags & FL_AN_F_RETRY)
			AN_ADD(guard, &a->retries, 1);
		if (flags & FL_AN_F_RACE)
			AN_ADD(guard, &a->races, 1);
		if (flags & FL_AN_F_QUEUED)
			AN_ADD(guard, &a->queued, 1);
		if (guard)
			AN_WRITE_ONCE(a->busy, 0);
	}
	if (h) {
		for (int c = 0; c < FL_AN_NCOMP; c++) {
			__u32 b = fl_hist_bucket(d->comp[c]);

			if (b < FL_HIST_NBUCKETS)
				__sync_fetch_and_add(&h->h[c][b], 1);
		}
	}
	/* the tail: shared cells (several CPUs), atomics; with --slow only what can be in it */
	if (slow_on && !over)
		return 0;
	ti = db << 1 | over;
	if (ti >= FL_AN_TAIL_SUMS)
		return 0;
	t = bpf_map_lookup_elem(&an_tail, &ti);
	if (t)
		sums_add(t, d, wall, false);
	for (int c = 0; c < FL_AN_NCOMP; c++)
		tail_hist_add(db, over, c, d->comp[c]);
	return 0;
}

/* The smallest kept duration and where (a bpf_loop() body: verified once, not N times). */
struct top_scan {
	__u64 min;
	__u32 idx;
};

static long top_scan_one(__u32 i, void *ctx)
{
	struct top_scan *sc = ctx;
	__u32 zero = 0;
	struct fl_top *t = bpf_map_lookup_elem(&an_top, &zero);

	if (!t || i >= FL_TOP_MAX)
		return 1;
	if (t->e[i].duration_ns < sc->min) {
		sc->min = t->e[i].duration_ns;
		sc->idx = i;
	}
	return 0;
}

/*
 * --top N: the N largest durations, exact, under a lock word.  A global
 * function (verified once on its own); the scans are bpf_loop() calls.
 */
__noinline int fl_an_top_add(__u64 dur, __u64 start_ns, __u32 pid, __u32 tid)
{
	__u32 zero = 0, n, cnt = top_n < FL_TOP_MAX ? top_n : FL_TOP_MAX;
	struct fl_top *t = bpf_map_lookup_elem(&an_top, &zero);
	struct top_scan sc = { .min = ~0ULL, .idx = 0 };
	int got = 0;

	if (!t || !cnt)
		return 0;
	if (AN_READ_ONCE(t->n) >= cnt && dur <= AN_READ_ONCE(t->min))
		return 0;
	for (int i = 0; i < 1024 && !got; i++)
		got = !__sync_lock_test_and_set(&t->lock, 1);
	if (!got) {
		an_count(FL_AN_CNT_TOP_MISSED); /* the holder was preempted for long */
		return 0;
	}
	AN_WRITE_ONCE(t->seq, t->seq + 1);
	an_barrier();
	n = t->n;
	if (n < cnt) {
		sc.idx = n;
		t->n = n + 1;
	} else if (dur > t->min) {
		bpf_loop(cnt, top_scan_one, &sc, 0);
	} else {
		goto out;
	}
	if (sc.idx < FL_TOP_MAX)
		t->e[sc.idx] = (struct fl_top_ent){ .duration_ns = dur, .start_ns = start_ns,
						    .pid = pid, .tid = tid };
	if (t->n >= cnt) {
		sc.min = ~0ULL;
		bpf_loop(cnt, top_scan_one, &sc, 0);
		t->min = sc.min;
	}
out:
	an_barrier();
	AN_WRITE_ONCE(t->seq, t->seq + 1);
	__sync_lock_test_and_set(&t->lock, 0);
	return 0;
}

static __always_inline void cum_sub(struct fl_an_cum *d, const struct fl_an_cum *c0)
{
	__u64 *a = (__u64 *)d;
	const __u64 *b = (const __u64 *)c0;

	for (int i = 0; i < (int)(sizeof(*d) / sizeof(__u64)); i++)
		a[i] -= b[i];
}

/* Releases one span of the thread entry idx (the span slot is freed by the caller). */
static __always_inline void span_release(__u32 idx, __u32 tid, __u64 now)
{
	idx &= FL_AN_THREADS - 1;
	__sync_fetch_and_add(&spans_open, -1);
	__sync_fetch_and_add(&tidcnt[tid & (FL_AN_FILTER - 1)], -1);
	if ((AN_READ_ONCE(an_own[idx]) & FL_AN_REF_MASK) == 1)
		AN_WRITE_ONCE(an_free_ts[idx], now);
	__sync_fetch_and_add(&an_own[idx], -1); /* refcount; 0 frees the entry */
}

/* Where a span's start is: the thread entry's own span, or the span table. */
struct an_span_ref {
	__u64 *keyp;        /* cleared when the span is closed */
	const struct fl_an_cum *c0; /* NULL: zero */
	__u64 kstart, rd0;
	__u32 stid, tidx, flags, fold0;
};

/* The span of (key, tgid) started by thread stid (in-flight slot slot), into ref. */
static __always_inline struct fl_an_thr *span_find(int slot, __u64 key, __u32 tgid, __u32 stid,
						    struct an_span_ref *ref)
{
	__u32 sidx = (__u32)slot, tidx = 0;
	struct fl_an_thr *e = thr_find(stid, &tidx);
	struct fl_an_span *s;

	if (e && AN_READ_ONCE(e->p_key) == key && e->p_tgid == tgid) {
		ref->keyp = &e->p_key;
		ref->c0 = NULL;
		ref->kstart = e->p_kstart;
		ref->rd0 = e->p_rd0;
		ref->stid = stid;
		ref->tidx = tidx;
		ref->flags = e->p_flags;
		ref->fold0 = 0;
		return e;
	}
	s = bpf_map_lookup_elem(&an_spans, &sidx);
	if (!s || AN_READ_ONCE(s->key) != key || s->tgid != tgid)
		return NULL;
	tidx = s->thr_idx;
	e = bpf_map_lookup_elem(&an_thr, &tidx);
	if (!e) {
		AN_WRITE_ONCE(s->key, 0);
		return NULL;
	}
	ref->keyp = &s->key;
	ref->c0 = &s->c0;
	ref->kstart = s->kstart;
	ref->rd0 = s->rd0;
	ref->stid = s->tid;
	ref->tidx = tidx;
	ref->flags = s->flags;
	ref->fold0 = s->fold0;
	return e;
}

/*
 * Closes one span: a thread entry's own span is marked closed before its
 * reference is dropped (a new start may claim the entry at once); a span
 * table slot after (a new start waits for its key to be 0).
 */
static __always_inline void span_close(struct an_span_ref *ref, __u64 now)
{
	if (!ref->c0) {
		AN_WRITE_ONCE(*ref->keyp, 0);
		span_release(ref->tidx, ref->stid, now);
	} else {
		span_release(ref->tidx, ref->stid, now);
		AN_WRITE_ONCE(*ref->keyp, 0);
	}
}

/*
 * The anatomy of the span into r (0 when there is none: start not seen, or
 * not anatomised); with ev (a slow record), also its stacks.  Without r the
 * span is only closed.
 */
static __always_inline int an_close(int slot, __u64 key, __u32 tgid, __u32 stid, __u32 tid,
				    struct fl_an_res *r, struct fl_an_event *ev)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct an_span_ref ref = {};
	struct fl_an_thr *e;
	__u64 now, rd;

	if (slot < 0)
		return 0;
	e = span_find(slot, key, tgid, stid, &ref);
	if (!e)
		return 0;
	if (!r) {
		an_count(FL_AN_CNT_NESTED);
		span_close(&ref, bpf_ktime_get_ns());
		return 0;
	}
	r->flags = ref.flags | FL_AN_F_ANATOMY;
	if (ref.stid == tid) {
		now = snap_self(e, cur, &r->d, &r->flags);
		rd = cur->sched_info.run_delay;
	} else {
		/* not BPF_CORE_READ((struct task_struct *)e->task, ...): the
		 * macro would relocate fl_an_thr.task as a kernel field too */
		struct task_struct *st = (struct task_struct *)AN_READ_ONCE(e->task);

		r->flags |= FL_AN_F_CROSS;
		now = snap_cross(e, &r->d, &r->flags);
		rd = BPF_CORE_READ(st, sched_info.run_delay);
	}
	if (ref.c0)
		cum_sub(&r->d, ref.c0);
	r->kstart = ref.kstart;
	r->kend = now;
	r->tid = ref.stid;
	r->rd_delta = rd - ref.rd0;
	r->max_blk = e->max_blk;
	r->max_comp = e->max_comp;
	r->max_sys = e->max_sys;
	if (ev) {
		if (an_max_stack) {
			ev->max_n = e->max_n;
			__builtin_memcpy(ev->max_ips, e->max_ips, sizeof(ev->max_ips));
		}
		if (an_fold && slow_on) {
			__u32 f0 = ref.fold0, n = e->nfold, k = 0;

			for (__u32 i = 0; i < FL_AN_SPAN_FOLD; i++) {
				if (f0 + i >= n)
					break;
				ev->fold[k & (FL_AN_SPAN_FOLD - 1)] =
					e->fold[(f0 + i) & (FL_AN_SPAN_FOLD - 1)];
				k++;
			}
			ev->nfold = k;
		}
	}
	span_close(&ref, now);
	return 1;
}

/*
 * meta_flush_failed hook, after the in-flight slot was released (slot: its
 * index, < 0 when the start was not seen; stid: the starting thread).  A
 * failed flush is not recorded, so nothing is added anywhere (no breakdown,
 * no slow record, no --top entry); but the start opened a span, and it is
 * closed exactly as a done closes one (filter counts, the thread entry's
 * reference, the span slot).  Left open, the thread would stay "open" for
 * sched_switch for ever and its later flushes would go to the span table.
 */
static __always_inline void fl_anat_failed(int slot, __u64 key, __u32 tgid, __u32 stid)
{
	struct an_span_ref ref = {};

	if (!an_on || slot < 0)
		return;
	if (span_find(slot, key, tgid, stid, &ref))
		span_close(&ref, bpf_ktime_get_ns());
}

static __always_inline void res_init(struct fl_an_res *r, int slot, __u32 stid, __u32 tid,
				     __u64 kstart)
{
	r->flags = 0;
	r->tid = slot >= 0 ? stid : tid;
	r->kstart = slot >= 0 ? kstart : 0;
	r->kend = 0;
	r->rd_delta = 0;
	r->max_blk = 0;
	r->max_comp = 0;
	r->max_sys = FL_AN_SYS_NONE;
}

/* Does the done probe have anything to do here? (Folded away when not.) */
static __always_inline bool fl_anat_wanted(void)
{
	return an_on || slow_on || top_n;
}

/*
 * meta_flush_done hook, after the in-flight slot was released (slot: its
 * index, < 0 when the start was not seen; stid and kstart: the starting
 * thread's tid and start ktime from that slot) and the flush recorded with
 * duration dur.
 */
static __always_inline void fl_anat_done(int slot, __u64 key, __u32 tgid, __u32 stid,
					 __u64 start_ns, __u64 end_ns, __u64 dur, __u64 kstart)
{
	struct fl_an_event *ev = NULL;
	struct an_scratch *sc = NULL;
	struct fl_an_res *r = NULL;
	__u32 tid, zero = 0;

	tid = (__u32)bpf_get_current_pid_tgid();
	if (top_n)
		fl_an_top_add(dur, start_ns, tgid, slot >= 0 ? stid : tid);
	if (!an_on && !slow_on)
		return;
	if (slow_on && dur >= slow_ns) {
		an_count(FL_AN_CNT_SLOW);
		ev = bpf_ringbuf_reserve(&an_events, sizeof(*ev), 0);
		if (!ev)
			an_count(FL_AN_CNT_SLOW_DROP);
	}
	if (ev) {
		r = &ev->r;
		ev->max_n = 0;
		ev->nfold = 0;
	} else if (an_on) {
		/*
		 * A per-CPU scratch; taken only if no other done program on
		 * this CPU holds it (one that this one preempted, under
		 * preempt=full): then this flush is closed but not anatomised,
		 * and counted.
		 */
		sc = bpf_map_lookup_elem(&an_scratch, &zero);
		if (sc && !__sync_lock_test_and_set(&sc->busy, 1))
			r = &sc->r;
		else
			sc = NULL;
	} else {
		return;
	}
	if (r)
		res_init(r, slot, stid, tid, kstart);
	if (an_on && an_close(slot, key, tgid, stid, tid, r, ev) && r)
		fl_an_aggregate(&r->d, r->kend - r->kstart, dur, r->flags, r->rd_delta);
	else if (r)
		__builtin_memset(&r->d, 0, sizeof(r->d));
	if (sc)
		AN_WRITE_ONCE(sc->busy, 0);
	if (!ev)
		return;
	if (!r->kend)
		r->kend = bpf_ktime_get_ns();
	ev->type = FL_AN_EV_SLOW;
	ev->start_ns = start_ns;
	ev->end_ns = end_ns;
	ev->duration_ns = dur;
	ev->tgid = tgid;
	ev->done_tid = tid;
	ev->pad = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	an_wake();
}

#endif /* FLUSHLAT_ANATOMY_BPF_H */
