/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktypes.h - the few kernel types the flush anatomy reads, declared locally
 * with only the fields used (no vmlinux.h): CO-RE (preserve_access_index)
 * relocates every offset against the running kernel's BTF at load time.
 */
#ifndef FLUSHLAT_KTYPES_H
#define FLUSHLAT_KTYPES_H

#include <linux/types.h>

struct sched_info {
	unsigned long pcount;
	unsigned long long run_delay;    /* ns waiting on a run queue (rq clock) */
	unsigned long long last_arrival; /* rq clock of the last switch-in */
	unsigned long long last_queued;  /* rq clock when queued, 0 once running */
} __attribute__((preserve_access_index));

struct sched_entity {
	unsigned long long sum_exec_runtime;
} __attribute__((preserve_access_index));

struct task_struct {
	struct sched_entity se;
	unsigned int __state;
	int on_cpu;
	struct sched_info sched_info;
	unsigned int in_iowait : 1; /* a bitfield: read with BPF_CORE_READ_BITFIELD */
	int pid;
	int tgid;
	unsigned long nvcsw;
	unsigned long nivcsw;
	char comm[16];
} __attribute__((preserve_access_index));

/*
 * The kernel's struct pt_regs; its field names differ from the UAPI one in
 * <linux/ptrace.h> (which usdt.bpf.h needs), hence a CO-RE "flavour": the
 * ___k suffix is ignored when matching the kernel's type.
 */
struct pt_regs___k {
	unsigned long r11;
	unsigned long ax;
	unsigned long cx;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long flags;
} __attribute__((preserve_access_index));

/* iter/task context (kernel/bpf/task_iter.c) */
struct seq_file;
struct bpf_iter_meta {
	struct seq_file *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} __attribute__((preserve_access_index));

#define TASK_RUNNING 0x0000
#define TASK_INTERRUPTIBLE 0x0001
#define TASK_UNINTERRUPTIBLE 0x0002

#endif /* FLUSHLAT_KTYPES_H */
