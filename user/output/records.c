// SPDX-License-Identifier: MIT
/* records.c - slow and stuck flush records as text lines and JSON objects. */
#include "records.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "format.h"

/* HH:MM:SS.mmm local time of a CLOCK_REALTIME value. */
static void clock_str(char *buf, size_t len, uint64_t realtime_ns)
{
	time_t sec = (time_t)(realtime_ns / 1000000000ULL);
	struct tm tm;

	if (!localtime_r(&sec, &tm) || !strftime(buf, len, "%H:%M:%S", &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03u",
		 (unsigned)(realtime_ns / 1000000ULL % 1000));
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* Scheduler frames every blocked stack starts with: not informative. */
static int sched_frame(const char *f)
{
	static const char *const pfx[] = { "__schedule", "schedule", "io_schedule",
					   "preempt_schedule", "__switch_to", "__traceiter",
					   "bpf_", "__bpf" };

	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (!strncmp(f, pfx[i], strlen(pfx[i])))
			return 1;
	return 0;
}

/* The first few informative frames, innermost first: "a<-b<-c". */
static void stack_short(const struct fl_rec_stack *st, struct strbuf *out)
{
	size_t i = 0, shown = 0;

	if (st->err) {
		strbuf_printf(out, "[stack unavailable: %s]", strerror(-st->err));
		return;
	}
	while (i < st->n && sched_frame(st->frames[i]))
		i++;
	for (; i < st->n && shown < 5; i++, shown++)
		strbuf_printf(out, "%s%s", shown ? "<-" : "", st->frames[i]);
	if (!shown)
		strbuf_puts(out, "[no stack]");
}

void fl_slow_rec_header(int anatomy, struct strbuf *out)
{
	strbuf_printf(out, "%-12s %-16s %7s %7s %10s %s", "TIME", "COMM", "PID", "TID", "LAT(ms)",
		      anatomy ? "START_NS        " : "START_NS");
	if (anatomy)
		strbuf_printf(out, " %9s %9s %9s %9s  %s", "ON_CPU", "RUNQ", "IO", "SLEEP",
			      "SYSCALLS(ms) | LONGEST BLOCKED");
	strbuf_puts(out, "\n");
}

static void slow_syscalls_text(const struct fl_slow_rec *r, struct strbuf *out)
{
	int hooks = r->method == FL_SYSM_HOOKS, any = 0;

	for (int i = 0; i < FL_SYS_NR; i++) {
		uint64_t ns = hooks ? r->sys.sys_ns[i] : r->sys.sys_off_ns[i];

		if (!ns || (hooks && i == FL_SYS_NONE))
			continue;
		strbuf_printf(out, "%s%s=%.3f", any ? " " : "", fl_sys_names[i], ms(ns));
		any = 1;
	}
	if (!any)
		strbuf_puts(out, "-");
}

void fl_slow_rec_text(const struct fl_slow_rec *r, struct strbuf *out)
{
	char t[32], comm[FL_COMM_LEN + 1];

	clock_str(t, sizeof(t), r->time_ns);
	fl_comm_str(r->comm, comm);
	strbuf_printf(out, "%-12s %-16s %7" PRIu32 " %7" PRIu32 " %10.3f %" PRIu64, t, comm, r->pid,
		      r->tid, ms(r->duration_ns), r->start_ns);
	if (r->anatomy) {
		int w = snprintf(NULL, 0, "%" PRIu64, r->start_ns);

		strbuf_printf(out, "%*s %9.3f %9.3f %9.3f %9.3f  ", w < 16 ? 16 - w : 0, "",
			      ms(r->comp_ns[FL_COMP_ON_CPU]),
			      ms(r->comp_ns[FL_COMP_RUNQ]), ms(r->comp_ns[FL_COMP_IO]),
			      ms(r->comp_ns[FL_COMP_SLEEP]));
		slow_syscalls_text(r, out);
		if (r->blocked_ns) {
			strbuf_printf(out, " | %.3f ms %s in %s: ", ms(r->blocked_ns),
				      fl_comp_names[r->blocked_comp], fl_sys_names[r->blocked_sys]);
			stack_short(&r->stack, out);
		}
		if (r->cross)
			strbuf_printf(out, " (completed by tid %" PRIu32 ")", r->done_tid);
	}
	strbuf_puts(out, "\n");
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static struct json_object *stack_arr(const struct fl_rec_stack *st)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < st->n; i++)
		json_object_array_add(a, json_object_new_string(st->frames[i]));
	return a;
}

static void put_json(struct json_object *o, struct strbuf *out)
{
	const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);

	if (txt) {
		strbuf_puts(out, txt);
		strbuf_puts(out, "\n");
	} else {
		out->oom = 1;
	}
	json_object_put(o);
}

static void slow_anatomy_json(const struct fl_slow_rec *r, struct json_object *o)
{
	struct json_object *comps = json_object_new_object(), *sys = json_object_new_object();
	struct json_object *blk = json_object_new_object();
	int hooks = r->method == FL_SYSM_HOOKS;

	add_u64(o, "wall_ns", r->wall_ns);
	for (int c = 0; c < FL_COMP_NR; c++) {
		struct json_object *co = json_object_new_object();

		add_u64(co, "total_ns", r->comp_ns[c]);
		json_object_object_add(comps, fl_comp_names[c], co);
	}
	json_object_object_add(o, "components", comps);
	json_object_object_add(o, "syscalls_method",
			       json_object_new_string(fl_sys_method_names[r->method]));
	for (int i = 0; i < FL_SYS_NR; i++) {
		struct json_object *so = json_object_new_object();

		add_u64(so, "count", hooks ? r->sys.sys_calls[i] : r->sys.sys_blocked[i]);
		add_u64(so, "total_ns", hooks ? r->sys.sys_ns[i] : r->sys.sys_off_ns[i]);
		add_u64(so, "off_cpu_ns", r->sys.sys_off_ns[i]);
		add_u64(so, "blocked", r->sys.sys_blocked[i]);
		json_object_object_add(sys, fl_sys_names[i], so);
	}
	json_object_object_add(o, "syscalls", sys);
	add_u64(blk, "longest_ns", r->blocked_ns);
	if (r->blocked_ns) {
		json_object_object_add(blk, "component",
				       json_object_new_string(fl_comp_names[r->blocked_comp]));
		json_object_object_add(blk, "syscall",
				       json_object_new_string(fl_sys_names[r->blocked_sys]));
		json_object_object_add(blk, "stack", stack_arr(&r->stack));
	}
	json_object_object_add(o, "blocked", blk);
	if (r->retried || r->raced)
		json_object_object_add(o, "snapshot", json_object_new_string(r->raced ? "race" : "retried"));
}

void fl_slow_rec_json(const struct fl_slow_rec *r, struct strbuf *out)
{
	struct json_object *o = json_object_new_object();
	char comm[FL_COMM_LEN + 1];

	fl_comm_str(r->comm, comm);
	json_object_object_add(o, "type", json_object_new_string("slow_flush"));
	add_u64(o, "time_ns", r->time_ns);
	add_u64(o, "pid", r->pid);
	add_u64(o, "tid", r->tid);
	if (r->done_tid != r->tid)
		add_u64(o, "done_tid", r->done_tid);
	json_object_object_add(o, "comm", json_object_new_string(comm));
	add_u64(o, "start_ns", r->start_ns);
	add_u64(o, "duration_ns", r->duration_ns);
	if (r->anatomy)
		slow_anatomy_json(r, o);
	put_json(o, out);
}

const char *fl_state_name(char state)
{
	switch (state) {
	case 'R': return "running or runnable";
	case 'S': return "sleeping";
	case 'D': return "uninterruptible sleep";
	case 'I': return "idle";
	case 'T': return "stopped";
	case 't': return "traced";
	case 'Z': return "zombie";
	case 'X': return "dead";
	}
	return "gone";
}

void fl_stuck_rec_text(const struct fl_stuck_rec *r, struct strbuf *out)
{
	char t[32], age[32], comm[FL_COMM_LEN + 1];

	clock_str(t, sizeof(t), r->time_ns);
	fmt_duration(age, sizeof(age), r->age_ns);
	fl_comm_str(r->comm, comm);
	strbuf_printf(out, "STUCK %s %s pid %" PRIu32 " tid %" PRIu32 " start_ns %" PRIu64
			   ": in flight %s, state %c (%s%s%s): ",
		      t, comm, r->pid, r->tid, r->start_ns, age, r->state, fl_state_name(r->state),
		      r->iowait ? ", in iowait" : "", r->on_cpu ? ", on CPU" : "");
	stack_short(&r->stack, out);
	strbuf_puts(out, "\n");
}

void fl_stuck_rec_json(const struct fl_stuck_rec *r, struct strbuf *out)
{
	struct json_object *o = json_object_new_object();
	char comm[FL_COMM_LEN + 1], st[2] = { r->state, 0 };

	fl_comm_str(r->comm, comm);
	json_object_object_add(o, "type", json_object_new_string("stuck_flush"));
	add_u64(o, "time_ns", r->time_ns);
	add_u64(o, "pid", r->pid);
	add_u64(o, "tid", r->tid);
	json_object_object_add(o, "comm", json_object_new_string(comm));
	add_u64(o, "start_ns", r->start_ns);
	add_u64(o, "age_ns", r->age_ns);
	json_object_object_add(o, "state", json_object_new_string(st));
	json_object_object_add(o, "iowait", json_object_new_boolean(r->iowait));
	json_object_object_add(o, "on_cpu", json_object_new_boolean(r->on_cpu));
	json_object_object_add(o, "stack", stack_arr(&r->stack));
	if (r->stack.err)
		json_object_object_add(o, "stack_error",
				       json_object_new_string(strerror(-r->stack.err)));
	put_json(o, out);
}
