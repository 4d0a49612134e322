// SPDX-License-Identifier: GPL-2.0
/*
 * empty.bpf.c - bench-only EMPTY programs: the kernel's uprobe floor.
 *
 * They do nothing, so attaching them measures only what the kernel charges
 * per probe hit (trap or uprobe syscall, uprobe dispatch, BPF entry). The
 * benchmark compares flushlat and bpftrace against this floor.
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

SEC("usdt")
int empty_start(struct pt_regs *ctx)
{
	(void)ctx;
	return 0;
}

SEC("usdt")
int empty_done(struct pt_regs *ctx)
{
	(void)ctx;
	return 0;
}

/* Plain uprobe by offset: the nop1 vs nop5 probe-site experiment. */
SEC("uprobe")
int empty_uprobe(struct pt_regs *ctx)
{
	(void)ctx;
	return 0;
}

/*
 * The floors of the flush anatomy's hooks: what any program on these
 * tracepoints costs every context switch / every system call of the machine.
 */
SEC("tp_btf/sched_switch")
int empty_switch(unsigned long long *ctx)
{
	(void)ctx;
	return 0;
}

SEC("raw_tp/sys_enter")
int empty_sys_enter(void *ctx)
{
	(void)ctx;
	return 0;
}

SEC("raw_tp/sys_exit")
int empty_sys_exit(void *ctx)
{
	(void)ctx;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
