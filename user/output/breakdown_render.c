// SPDX-License-Identifier: MIT
/*
 * breakdown_render.c - the flush anatomy in text, JSON and Prometheus: the
 * component and system-call tables (all flushes and the slow tail side by
 * side), the checks, the --slow/--stuck counts and the --top list.  Each
 * renderer calls one function here, after its own output.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "breakdown.h"
#include "format.h"
#include "render.h"
#include "snapshot.h"

/* ---- text --------------------------------------------------------------- */

/* A duration as the dump writes it ("1.23 ms"), but a plain "0" for nothing. */
static const char *dur(char *buf, size_t len, uint64_t ns)
{
	if (ns)
		fmt_duration(buf, len, ns);
	else
		snprintf(buf, len, "0");
	return buf;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* total, share, avg, p50, p99, max of one component over a set */
static void comp_cells(struct strbuf *out, const struct fl_bd_agg *a, int c, int wide)
{
	char t[32], v[32], p5[32], p9[32], mx[32];
	uint64_t n = a->s.flushes;

	if (!n) {
		strbuf_printf(out, "%9s %6s %9s %9s %9s%s", "-", "-", "-", "-", "-",
			      wide ? "          " : "");
		return;
	}
	strbuf_printf(out, "%9s %5.1f%% %9s %9s %9s", dur(t, sizeof(t), a->s.comp_ns[c]),
		      pct(a->s.comp_ns[c], a->s.wall_ns), dur(v, sizeof(v), a->s.comp_ns[c] / n),
		      dur(p5, sizeof(p5), fl_bd_percentile(a, c, 0.50)),
		      dur(p9, sizeof(p9), fl_bd_percentile(a, c, 0.99)));
	if (wide)
		strbuf_printf(out, " %9s", dur(mx, sizeof(mx), a->s.comp_max[c]));
}

static void text_components(const struct fl_breakdown *b, struct strbuf *out)
{
	char thr[32], wall[32];

	strbuf_printf(out, " Breakdown of %" PRIu64 " flushes (wall %s; %" PRIu64
		      " completed on another thread, attributed to the starting one)\n",
		      b->all.s.flushes, dur(wall, sizeof(wall), b->all.s.wall_ns),
		      b->checks.cross_thread);
	dur(thr, sizeof(thr), b->slow_threshold_ns);
	strbuf_printf(out, "   %-10s %-58s | slow tail: %" PRIu64 " flushes >= %s%s\n", "",
		      "all flushes", b->slow.s.flushes, thr,
		      b->basis == FL_SLOW_P99 ? " (the p99's bucket)" : " (--slow)");
	strbuf_printf(out, "   %-10s %9s %6s %9s %9s %9s %9s | %9s %6s %9s %9s %9s\n", "component",
		      "total", "share", "avg", "p50", "p99", "max", "total", "share", "avg", "p50",
		      "p99");
	for (int c = 0; c < FL_COMP_NR; c++) {
		strbuf_printf(out, "   %-10s ", fl_comp_names[c]);
		comp_cells(out, &b->all, c, 1);
		strbuf_puts(out, " | ");
		comp_cells(out, &b->slow, c, 0);
		strbuf_puts(out, "\n");
	}
}

/* time, share of wall, count: what the method measured */
static void sys_cells(struct strbuf *out, const struct fl_bd_sums *s, int i, int hooks)
{
	char t[32];
	uint64_t ns = hooks ? s->sys_ns[i] : s->sys_off_ns[i];
	uint64_t n = hooks ? s->sys_calls[i] : s->sys_blocked[i];

	strbuf_printf(out, "%9s %5.1f%% %8" PRIu64, dur(t, sizeof(t), ns), pct(ns, s->wall_ns), n);
}

static void text_syscalls(const struct fl_breakdown *b, struct strbuf *out)
{
	int hooks = b->method == FL_SYSM_HOOKS;
	char off[32];

	if (hooks)
		strbuf_puts(out, " System calls (exact, --syscalls: time inside each call and calls, "
				 "timed at sys_enter/sys_exit; off-CPU: the part spent off CPU):\n");
	else
		strbuf_puts(out, " System calls (off-CPU time, blocked or waiting for a CPU, of the call "
				 "in progress at each switch-out, named from its saved syscall registers; "
				 "blocked: blocking switch-outs in it):\n");
	strbuf_printf(out, "   %-10s %9s %6s %8s", "syscall", "time", "share", hooks ? "calls" : "blocked");
	if (hooks)
		strbuf_printf(out, " %9s", "off-CPU");
	strbuf_printf(out, " | %9s %6s %8s\n", "time", "share", hooks ? "calls" : "blocked");
	for (int i = 0; i < FL_SYS_NR; i++) {
		const struct fl_bd_sums *a = &b->all.s;

		if (!a->sys_off_ns[i] && !a->sys_ns[i] && !a->sys_calls[i])
			continue;
		if (hooks && i == FL_SYS_NONE)
			continue; /* no call to time: in the footnote */
		strbuf_printf(out, "   %-10s ", fl_sys_names[i]);
		sys_cells(out, a, i, hooks);
		if (hooks)
			strbuf_printf(out, " %9s", dur(off, sizeof(off), a->sys_off_ns[i]));
		strbuf_puts(out, " | ");
		sys_cells(out, &b->slow.s, i, hooks);
		strbuf_puts(out, "\n");
	}
	if (hooks && b->all.s.sys_off_ns[FL_SYS_NONE])
		strbuf_printf(out, "   none: off CPU outside any system call (preempted in user mode, "
				   "page faults): %s\n",
			      dur(off, sizeof(off), b->all.s.sys_off_ns[FL_SYS_NONE]));
	else if (b->all.s.sys_off_ns[FL_SYS_NONE])
		strbuf_puts(out, "   (none: off CPU outside any system call: preempted in user mode, page "
				 "faults)\n");
}

static void text_checks(const struct fl_breakdown *b, struct strbuf *out)
{
	const struct fl_bd_checks *k = &b->checks;
	char rq[32], rd[32], cl[32], un[32];

	strbuf_printf(out, " Checks: runq %s vs run_delay growth %s (same-thread flushes; clamped %s, "
			   "preempted-unseen %s), %" PRIu64 " switch-ins repaired, %" PRIu64
			   " switch-outs missed, %" PRIu64 " snapshot retries, %" PRIu64 " races, %" PRIu64
			   " not anatomised\n",
		      dur(rq, sizeof(rq), k->runq_ns), dur(rd, sizeof(rd), k->run_delay_ns),
		      dur(cl, sizeof(cl), k->clamped_ns), dur(un, sizeof(un), k->unseen_runq_ns),
		      k->missed_switch_in, k->missed_switch_out, k->retries, k->races,
		      k->not_anatomised);
}

static void text_top(const struct fl_anatomy *a, struct strbuf *out)
{
	char d[32];

	strbuf_printf(out, " Top %d flushes (%zu):\n", a->top_n, a->ntop);
	for (size_t i = 0; i < a->ntop; i++)
		strbuf_printf(out, "   %2zu. %9s  pid %" PRIu32 " tid %" PRIu32 " start_ns %" PRIu64 "\n",
			      i + 1, dur(d, sizeof(d), a->top[i].duration_ns), a->top[i].pid,
			      a->top[i].tid, a->top[i].start_ns);
}

void fl_render_anatomy_text(const struct fl_snapshot *s, struct strbuf *out)
{
	const struct fl_anatomy *a = s->an;
	char t[32];

	if (!a)
		return;
	if (a->bd) {
		text_components(a->bd, out);
		text_syscalls(a->bd, out);
		text_checks(a->bd, out);
	}
	if (a->slow_on)
		strbuf_printf(out, " Slow flushes (>= %s): %" PRIu64 "  Records dropped: %" PRIu64 "\n",
			      dur(t, sizeof(t), a->slow_ns), a->slow_flushes, a->slow_dropped);
	if (a->stuck_on)
		strbuf_printf(out, " Stuck flushes (in flight >= %s): %" PRIu64 "\n",
			      dur(t, sizeof(t), a->stuck_ns), a->stuck);
	if (a->top_n)
		text_top(a, out);
}

/* ---- JSON --------------------------------------------------------------- */

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static struct json_object *hist_arr(const uint64_t *h)
{
	struct json_object *a = json_object_new_array();

	for (uint32_t i = 0; i < FL_HIST_NBUCKETS; i++) {
		struct json_object *pair;

		if (!h[i])
			continue;
		pair = json_object_new_array_ext(2);
		json_object_array_add(pair, json_object_new_uint64(fl_hist_bucket_lo(i)));
		json_object_array_add(pair, json_object_new_uint64(h[i]));
		json_object_array_add(a, pair);
	}
	return a;
}

static struct json_object *components_obj(const struct fl_bd_agg *a)
{
	static const struct {
		const char *key;
		double q;
	} qs[] = { { "p50_ns", 0.5 }, { "p90_ns", 0.9 }, { "p99_ns", 0.99 }, { "p99_9_ns", 0.999 } };
	struct json_object *o = json_object_new_object();

	for (int c = 0; c < FL_COMP_NR; c++) {
		struct json_object *co = json_object_new_object();

		add_u64(co, "total_ns", a->s.comp_ns[c]);
		add_u64(co, "max_ns", a->s.comp_max[c]);
		for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
			add_u64(co, qs[i].key, fl_bd_percentile(a, c, qs[i].q));
		json_object_object_add(co, "histogram", hist_arr(a->hist[c]));
		json_object_object_add(o, fl_comp_names[c], co);
	}
	return o;
}

/*
 * count/total_ns: what the method measures (calls and time in them with
 * --syscalls; blocking switch-outs and off-CPU time otherwise); off_cpu_ns
 * and blocked: always the switch-out view.
 */
static struct json_object *syscalls_obj(const struct fl_bd_sums *s, enum fl_sys_method m)
{
	struct json_object *o = json_object_new_object();

	for (int i = 0; i < FL_SYS_NR; i++) {
		struct json_object *so = json_object_new_object();
		int hooks = m == FL_SYSM_HOOKS;

		add_u64(so, "count", hooks ? s->sys_calls[i] : s->sys_blocked[i]);
		add_u64(so, "total_ns", hooks ? s->sys_ns[i] : s->sys_off_ns[i]);
		add_u64(so, "off_cpu_ns", s->sys_off_ns[i]);
		add_u64(so, "blocked", s->sys_blocked[i]);
		json_object_object_add(o, fl_sys_names[i], so);
	}
	return o;
}

static struct json_object *checks_obj(const struct fl_bd_checks *k, uint64_t open_spans)
{
	struct json_object *o = json_object_new_object();

	add_u64(o, "run_delay_ns", k->run_delay_ns);
	add_u64(o, "runq_same_thread_ns", k->runq_ns);
	add_u64(o, "clamped_ns", k->clamped_ns);
	add_u64(o, "unseen_runq_ns", k->unseen_runq_ns);
	add_u64(o, "on_cpu_run_delay_ns", k->on_cpu_rd_ns);
	add_u64(o, "missed_switch_in", k->missed_switch_in);
	add_u64(o, "missed_switch_out", k->missed_switch_out);
	add_u64(o, "snapshot_retries", k->retries);
	add_u64(o, "snapshot_races", k->races);
	add_u64(o, "queued_estimates", k->queued_estimates);
	add_u64(o, "not_anatomised", k->not_anatomised);
	add_u64(o, "stack_errors", k->stack_errors);
	add_u64(o, "fold_lost_ns", k->fold_lost_ns);
	add_u64(o, "tail_lost", k->tail_lost);
	add_u64(o, "open_spans", open_spans);
	return o;
}

static struct json_object *breakdown_obj(const struct fl_breakdown *b)
{
	struct json_object *o = json_object_new_object(), *sl = json_object_new_object();

	add_u64(o, "wall_ns", b->all.s.wall_ns);
	add_u64(o, "flushes", b->all.s.flushes);
	add_u64(o, "cross_thread", b->checks.cross_thread);
	json_object_object_add(o, "syscalls_method",
			       json_object_new_string(fl_sys_method_names[b->method]));
	json_object_object_add(o, "components", components_obj(&b->all));
	json_object_object_add(o, "syscalls", syscalls_obj(&b->all.s, b->method));
	json_object_object_add(sl, "basis",
			       json_object_new_string(b->basis == FL_SLOW_P99 ? "p99" : "slow"));
	add_u64(sl, "threshold_ns", b->slow_threshold_ns);
	add_u64(sl, "flushes", b->slow.s.flushes);
	add_u64(sl, "wall_ns", b->slow.s.wall_ns);
	json_object_object_add(sl, "components", components_obj(&b->slow));
	json_object_object_add(sl, "syscalls", syscalls_obj(&b->slow.s, b->method));
	json_object_object_add(o, "slow", sl);
	json_object_object_add(o, "checks", checks_obj(&b->checks, b->open_spans));
	return o;
}

static struct json_object *top_arr(const struct fl_anatomy *a)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < a->ntop; i++) {
		struct json_object *o = json_object_new_object();

		add_u64(o, "pid", a->top[i].pid);
		add_u64(o, "tid", a->top[i].tid);
		add_u64(o, "start_ns", a->top[i].start_ns);
		add_u64(o, "duration_ns", a->top[i].duration_ns);
		json_object_array_add(arr, o);
	}
	return arr;
}

void fl_render_anatomy_json(const struct fl_snapshot *s, struct json_object *root)
{
	const struct fl_anatomy *a = s->an;

	if (!a)
		return;
	if (a->bd)
		json_object_object_add(root, "breakdown", breakdown_obj(a->bd));
	if (a->slow_on) {
		add_u64(root, "slow_threshold_ns", a->slow_ns);
		add_u64(root, "slow_flushes", a->slow_flushes);
		add_u64(root, "slow_dropped", a->slow_dropped);
	}
	if (a->stuck_on) {
		add_u64(root, "stuck_threshold_ns", a->stuck_ns);
		add_u64(root, "stuck_flushes", a->stuck);
	}
	if (a->top_n) {
		json_object_object_add(root, "top_n", json_object_new_int(a->top_n));
		json_object_object_add(root, "top", top_arr(a));
	}
}
