// SPDX-License-Identifier: GPL-2.0
/*
 * sysck.bpf.c - test only: an independent timer of fdatasync and fsync calls
 * of one process (raw_tp sys_enter/sys_exit), and of the time those calls
 * spend off CPU (its own sched_switch hook), loaded by a separate program in
 * a separate process, so that flushlat's system-call views can be checked
 * against it.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct task_struct {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

const volatile __u32 target_tgid = 0;

struct call {
	__u64 nr;
	__u64 enter_ns;
	__u64 out_ns; /* switched out inside the call at, 0 if on CPU */
	__u64 off_ns; /* off CPU so far */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct call);
} open_calls SEC(".maps");

/* [0]: fdatasync, [1]: fsync: {count, ns, off-CPU ns} */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64[3]);
} totals SEC(".maps");

SEC("raw_tp/sys_enter")
int sysck_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	long nr = (long)ctx->args[1];
	struct call c = { .nr = (__u64)nr };
	__u32 tid = (__u32)id;

	if ((id >> 32) != target_tgid || (nr != 75 && nr != 74))
		return 0;
	c.enter_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&open_calls, &tid, &c, BPF_ANY);
	return 0;
}

SEC("raw_tp/sys_exit")
int sysck_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, k;
	struct call *c;
	__u64 *t;

	(void)ctx;
	if ((id >> 32) != target_tgid)
		return 0;
	c = bpf_map_lookup_elem(&open_calls, &tid);
	if (!c)
		return 0;
	k = c->nr == 75 ? 0 : 1;
	t = bpf_map_lookup_elem(&totals, &k);
	if (t) {
		__sync_fetch_and_add(&t[0], 1);
		__sync_fetch_and_add(&t[1], bpf_ktime_get_ns() - c->enter_ns);
		__sync_fetch_and_add(&t[2], c->off_ns);
	}
	bpf_map_delete_elem(&open_calls, &tid);
	return 0;
}

/* args: bool preempt, struct task_struct *prev, *next */
SEC("tp_btf/sched_switch")
int sysck_switch(unsigned long long *ctx)
{
	struct task_struct *prev = (struct task_struct *)ctx[1], *next = (struct task_struct *)ctx[2];
	__u64 now = bpf_ktime_get_ns();
	struct call *c;
	__u32 tid;

	if ((__u32)prev->tgid == target_tgid) {
		tid = (__u32)prev->pid;
		c = bpf_map_lookup_elem(&open_calls, &tid);
		if (c)
			c->out_ns = now;
	}
	if ((__u32)next->tgid == target_tgid) {
		tid = (__u32)next->pid;
		c = bpf_map_lookup_elem(&open_calls, &tid);
		if (c && c->out_ns) {
			c->off_ns += now - c->out_ns;
			c->out_ns = 0;
		}
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
