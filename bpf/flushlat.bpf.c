// SPDX-License-Identifier: GPL-2.0
/*
 * flushlat.bpf.c - record FlashStrike meta-flush durations into a MetaStore
 * laid out exactly like the in-process one (per-CPU, merged in user space),
 * plus a log-linear histogram, an in-flight view and a per-process breakdown.
 * The record path (MetaStore, histograms, exemplars, epochs) is record.bpf.h.
 *
 * Updates use atomics: a uprobe program can be preempted on the same CPU
 * by another task hitting the same probe (the kernel is PREEMPT_DYNAMIC and
 * uprobe programs run with migration, not preemption, disabled), so a plain
 * read-modify-write on a per-CPU value can lose updates.
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "flushlat/metastore_layout.h"
#include "flushlat/hist.h"
#include "flushlat/native.h"
#include "flushlat.h"
#include "anatomy.bpf.h" /* --breakdown, --slow, --top, --stuck: off unless asked */

#define CAS_TRIES 64

const volatile __u32 clock_mode = FL_CLOCK_RECORDER;
const volatile bool start_attached = true;
/* Per-process breakdown only when several processes can be traced (-b, --lib). */
const volatile bool track_procs = true;
/* Where the arguments are (enum fl_reg), set by user space from the ELF notes. */
const volatile __s32 start_arg0 = FL_REG_NONE;
const volatile __s32 done_arg0 = FL_REG_NONE;
const volatile __s32 done_arg1 = FL_REG_NONE;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_INFLIGHT_SLOTS);
	/* user space reads it through mmap: no syscall, no per-slot copy */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fl_inflight_slot);
} inflight SEC(".maps");

/*
 * Per-process breakdown.  A plain hash updated with atomics, not a per-CPU
 * one: a per-CPU element created by BPF starts zeroed on every other CPU, and
 * a zero min_ns there could never be lowered again.  One process's flushes
 * rarely run on two CPUs at once, so the shared cache line costs little.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FL_PROCS_MAX);
	__type(key, __u32);
	__type(value, struct fl_proc_value);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FL_CNT_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		__sync_fetch_and_add(c, 1);
}

/* min/max with a bounded CAS loop: exact under same-CPU preemption */
static __always_inline void update_min(__u64 *p, __u64 v)
{
	for (int i = 0; i < CAS_TRIES; i++) {
		__u64 cur = *(volatile __u64 *)p;

		if (v >= cur)
			return;
		if (__sync_val_compare_and_swap(p, cur, v) == cur)
			return;
	}
	count(FL_CNT_CAS_GIVEUP);
}

static __always_inline void update_max(__u64 *p, __u64 v)
{
	for (int i = 0; i < CAS_TRIES; i++) {
		__u64 cur = *(volatile __u64 *)p;

		if (v <= cur)
			return;
		if (__sync_val_compare_and_swap(p, cur, v) == cur)
			return;
	}
	count(FL_CNT_CAS_GIVEUP);
}

/*
 * samples first, the histogram last (record()): user space reads the
 * histogram, then the MetaStore, and equal counts then prove both hold the
 * same complete flushes (tracer/reader.c).
 */
static __always_inline void record_into(struct metastore *ms, __u64 d)
{
	struct duration64 *m = &ms->maintenance_meta_flush;

	__sync_fetch_and_add(&m->samples.value, 1);
	__sync_fetch_and_add(&m->total_ns.value, d);
	update_min(&m->min_ns.value, d);
	update_max(&m->max_ns.value, d);
}

/* Zero-initialised scratch for a new process entry (too large for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fl_proc_value);
} proc_new SEC(".maps");

/* The process's entry, created on its first flush with its comm. */
static __always_inline struct fl_proc_value *proc_entry(__u32 tgid)
{
	struct fl_proc_value *p = bpf_map_lookup_elem(&procs, &tgid), *n;
	__u32 zero = 0;

	if (p)
		return p;
	n = bpf_map_lookup_elem(&proc_new, &zero);
	if (!n)
		return NULL;
	/* a new element starts as an empty MetaStore (min = UINT64_MAX) */
	n->ms.maintenance_meta_flush.total_ns.value = 0;
	n->ms.maintenance_meta_flush.samples.value = 0;
	n->ms.maintenance_meta_flush.min_ns.value = FL_MIN_EMPTY;
	n->ms.maintenance_meta_flush.max_ns.value = 0;
	bpf_get_current_comm(n->comm, sizeof(n->comm));
	/* a concurrent first flush of the same process may win: then use its entry */
	if (bpf_map_update_elem(&procs, &tgid, n, BPF_NOEXIST) && !bpf_map_lookup_elem(&procs, &tgid)) {
		count(FL_CNT_PROC_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&procs, &tgid);
}

#include "record.bpf.h"

/* A completed flush of thread id (tgid << 32 | tid), d ns long. */
static __always_inline void record(__u64 id, __u64 d)
{
	struct fl_proc_value *p;

	record_flush(id, d);
	if (!track_procs)
		return;
	p = proc_entry(id >> 32);
	if (p)
		record_into(&p->ms, d);
}

/* 0 marks a free slot, so a start_ns of 0 is stored as 1. */
static __always_inline __u64 slot_key(__u64 start_ns)
{
	return start_ns ? start_ns : 1;
}

/* Claims a slot for (tgid, start_ns); returns its index, -1 if none was free. */
static __always_inline int inflight_claim(__u32 tgid, __u32 tid, __u64 start_ns)
{
	__u32 home = fl_inflight_home(tgid, start_ns);
	__u64 key = slot_key(start_ns);

	for (__u32 i = 0; i < FL_INFLIGHT_PROBES; i++) {
		__u32 idx = (home + i) & (FL_INFLIGHT_SLOTS - 1);
		struct fl_inflight_slot *s = bpf_map_lookup_elem(&inflight, &idx);

		if (!s)
			return -1;
		if (__sync_val_compare_and_swap(&s->start_ns, 0, key) == 0) {
			/* ours: the completion comes after this program returns */
			s->tgid = tgid;
			s->tid = tid;
			s->kstart_ns = bpf_ktime_get_ns();
			return (int)idx;
		}
	}
	count(FL_CNT_INFLIGHT_FULL);
	return -1;
}

/*
 * Frees the slot of (tgid, start_ns); returns its kstart_ns, 0 if not found,
 * and the slot's index and starting tid in *slot and *tid.
 */
static __always_inline __u64 inflight_release(__u32 tgid, __u64 start_ns, int *slot, __u32 *tid)
{
	__u32 home = fl_inflight_home(tgid, start_ns);
	__u64 key = slot_key(start_ns);

	for (__u32 i = 0; i < FL_INFLIGHT_PROBES; i++) {
		__u32 idx = (home + i) & (FL_INFLIGHT_SLOTS - 1);
		struct fl_inflight_slot *s = bpf_map_lookup_elem(&inflight, &idx);
		__u64 kstart;
		__u32 stid;

		if (!s)
			return 0;
		if (s->start_ns != key || s->tgid != tgid)
			continue;
		kstart = s->kstart_ns;
		stid = s->tid;
		if (__sync_val_compare_and_swap(&s->start_ns, key, 0) == key) {
			*slot = (int)idx;
			*tid = stid;
			return kstart ? kstart : 1;
		}
	}
	return 0;
}

/*
 * One ctx field at a constant offset, as the verifier requires for direct
 * context access.  Written as asm: from plain C, clang merges the switch below
 * into "ctx += off; load", which the verifier rejects (modified ctx pointer).
 */
#define CTX_U64(ctx, field)                                                                        \
	({                                                                                         \
		__u64 __v;                                                                         \
		asm volatile("%0 = *(u64 *)(%1 + %2)"                                              \
			     : "=r"(__v)                                                           \
			     : "r"(ctx), "i"(__builtin_offsetof(struct pt_regs, field)));          \
		__v;                                                                               \
	})

/*
 * One register, by a number the verifier knows (it comes from .rodata): every
 * other case is dead code it removes, and the one left is a single ctx load.
 */
static __always_inline __u64 reg_value(struct pt_regs *ctx, __s32 reg)
{
#if defined(__TARGET_ARCH_x86)
	switch (reg) {
	case FL_REG_RAX: return CTX_U64(ctx, rax);
	case FL_REG_RBX: return CTX_U64(ctx, rbx);
	case FL_REG_RCX: return CTX_U64(ctx, rcx);
	case FL_REG_RDX: return CTX_U64(ctx, rdx);
	case FL_REG_RSI: return CTX_U64(ctx, rsi);
	case FL_REG_RDI: return CTX_U64(ctx, rdi);
	case FL_REG_RBP: return CTX_U64(ctx, rbp);
	case FL_REG_RSP: return CTX_U64(ctx, rsp);
	case FL_REG_R8: return CTX_U64(ctx, r8);
	case FL_REG_R9: return CTX_U64(ctx, r9);
	case FL_REG_R10: return CTX_U64(ctx, r10);
	case FL_REG_R11: return CTX_U64(ctx, r11);
	case FL_REG_R12: return CTX_U64(ctx, r12);
	case FL_REG_R13: return CTX_U64(ctx, r13);
	case FL_REG_R14: return CTX_U64(ctx, r14);
	case FL_REG_R15: return CTX_U64(ctx, r15);
	}
#endif
	(void)ctx;
	(void)reg;
	return 0;
}

/* USDT argument n: straight from its register when known, else libbpf's way. */
static __always_inline __u64 probe_arg(struct pt_regs *ctx, __s32 reg, __u64 n)
{
	long v = 0;

	if (reg != FL_REG_NONE)
		return reg_value(ctx, reg);
	bpf_usdt_arg(ctx, n, &v);
	return (__u64)v;
}

SEC("usdt")
int meta_flush_start(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), start_ns = probe_arg(ctx, start_arg0, 0);
	int slot = inflight_claim(id >> 32, (__u32)id, start_ns);

	fl_anat_start(slot, slot_key(start_ns), id >> 32, (__u32)id);
	return 0;
}

SEC("usdt")
int meta_flush_done(struct pt_regs *ctx)
{
	__u64 start_ns = probe_arg(ctx, done_arg0, 0), end_ns = 0;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, stid = 0;
	__u64 kstart = 0, d;
	int slot = -1;

	if (start_attached)
		kstart = inflight_release(tgid, start_ns, &slot, &stid);
	if (start_attached && !kstart)
		count(FL_CNT_UNMATCHED);
	if (clock_mode == FL_CLOCK_KERNEL) {
		if (!kstart)
			return 0; /* no start time: nothing to measure */
		d = bpf_ktime_get_ns() - kstart;
	} else {
		end_ns = probe_arg(ctx, done_arg1, 1);
		d = end_ns - start_ns;
	}
	record(id, d);
	if (fl_anat_wanted()) {
		if (clock_mode == FL_CLOCK_KERNEL)
			end_ns = probe_arg(ctx, done_arg1, 1);
		fl_anat_done(slot, slot_key(start_ns), tgid, stid, start_ns, end_ns, d, kstart);
	}
	return 0;
}

/* ---- failed flushes (flashstrike:meta_flush_failed) ---------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fl_failed);
} failed SEC(".maps");

/*
 * A flush that failed: counted by errno (a -errno convention is accepted
 * too), never recorded, and its in-flight slot freed so it does not look
 * stuck; the flush anatomy's span, if the start opened one, is closed too
 * (anatomy.bpf.h).  Failures are rare, so the generic argument reader is
 * good enough.
 */
SEC("usdt")
int meta_flush_failed(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, zero = 0, stid = 0;
	long start_ns = 0, err = 0;
	struct fl_failed *f;
	int slot = -1;
	__u64 e;

	bpf_usdt_arg(ctx, 0, &start_ns);
	bpf_usdt_arg(ctx, 1, &err);
	if (start_attached && inflight_release(tgid, (__u64)start_ns, &slot, &stid))
		fl_anat_failed(slot, slot_key((__u64)start_ns), tgid, stid);
	f = bpf_map_lookup_elem(&failed, &zero);
	if (!f)
		return 0;
	e = err < 0 ? -(__u64)err : (__u64)err;
	if (e >= FL_ERRNO_SLOTS)
		e = 0; /* "other" */
	/* keep the bound on the register that indexes (clang would check a copy) */
	barrier_var(e);
	if (e < FL_ERRNO_SLOTS)
		__sync_fetch_and_add(&f->n[e], 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
