// SPDX-License-Identifier: MIT
/*
 * The flush anatomy in the output layer: the slow tail picked from the raw
 * cells (p99 and --slow), the interval delta, the component metrics and
 * --fail-if on them, the JSON round trip and its errors, the text tables,
 * promtool on the anatomy's exposition, the records, duration options.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "breakdown.h"
#include "expo.h"
#include "metrics.h"
#include "records.h"
#include "render.h"
#include "promcheck.h"
#include "snapfix.h"
#include "snapshot_read.h"
#include "threshold.h"

static char *render(enum fl_format f, const struct fl_snapshot *s)
{
	struct fl_render_opts o;
	struct strbuf sb;
	char *r;

	fl_render_opts_default(&o);
	strbuf_init(&sb);
	fl_render(f, s, &o, &sb);
	assert_false(sb.oom);
	r = strdup(strbuf_str(&sb));
	strbuf_free(&sb);
	return r;
}

/* Flushes by duration only (components: all io), no --slow. */
static void snap_durations(struct fl_snapshot *s, const uint64_t *d, size_t n)
{
	snap_init(s);
	for (size_t i = 0; i < n; i++) {
		struct snap_flush f = { .dur = d[i], .sys = FL_SYS_FSYNC };

		f.comp[FL_COMP_IO] = d[i];
		snap_anat_flush(s, &f);
	}
}

/* The p99 tail is every flush in the p99's bucket and above. */
static void test_tail_p99(void **state)
{
	uint64_t d[200], nover;
	struct fl_snapshot s;
	struct fl_breakdown *b;

	(void)state;
	for (size_t i = 0; i < 200; i++)
		d[i] = 1000000 + 1000 * i; /* 1.000 .. 1.199 ms */
	d[197] = 30000000;
	d[198] = 50000000;
	d[199] = 90000000;
	snap_durations(&s, d, 200);
	b = s.an->bd;
	fl_breakdown_pick_tail(b, FL_SLOW_P99, 0);
	/* rank ceil(0.99 * 200) = 198: the 30 ms flush; its bucket and above hold 3 */
	assert_int_equal(b->slow.s.flushes, 3);
	assert_int_equal(b->slow.s.comp_ns[FL_COMP_IO], 170000000);
	assert_int_equal(b->slow.s.comp_max[FL_COMP_IO], 90000000);
	assert_int_equal(b->slow_threshold_ns, fl_hist_bucket_lo(fl_hist_bucket(30000000)));
	assert_int_equal(fl_bd_percentile(&b->slow, FL_COMP_IO, 1.0), 90000000);
	/* all: 200 flushes, the histogram holds each once */
	assert_int_equal(b->all.s.flushes, 200);
	fl_snapshot_free(&s);
	/* many flushes sharing the p99's bucket are all in the tail (bucket resolution) */
	for (size_t i = 0; i < 200; i++)
		d[i] = 1000000 + 1000 * i;
	snap_durations(&s, d, 200);
	fl_breakdown_pick_tail(s.an->bd, FL_SLOW_P99, 0);
	assert_int_equal(s.an->bd->slow_threshold_ns, fl_hist_bucket_lo(fl_hist_bucket(1197000)));
	nover = 0;
	for (size_t i = 0; i < 200; i++)
		nover += d[i] >= s.an->bd->slow_threshold_ns;
	assert_int_equal(s.an->bd->slow.s.flushes, nover);
	assert_true(nover > 2);
	fl_snapshot_free(&s);
	/* no flush: no tail */
	snap_durations(&s, d, 0);
	assert_null(s.an);
	snap_init(&s);
	s.an = fl_anatomy_new();
	s.an->bd = fl_breakdown_new();
	fl_breakdown_pick_tail(s.an->bd, FL_SLOW_P99, 0);
	assert_int_equal(s.an->bd->slow.s.flushes, 0);
	fl_snapshot_free(&s);
}

/* --slow T: exact, also inside the bucket holding T (the cells split it). */
static void test_tail_fixed(void **state)
{
	struct fl_snapshot s;
	uint64_t t = 1000500; /* inside the bucket of [1000000, 1015625) or so */

	(void)state;
	snap_init(&s);
	s.an = fl_anatomy_new();
	s.an->slow_on = 1;
	s.an->slow_ns = t;
	for (uint64_t dur = 999000; dur < 1003000; dur += 250) {
		struct snap_flush f = { .dur = dur, .sys = FL_SYS_WRITE };

		f.comp[FL_COMP_ON_CPU] = dur;
		snap_anat_flush(&s, &f);
	}
	/* flushes below T share its bucket: the over flag keeps them out */
	assert_int_equal(fl_hist_bucket(999000), fl_hist_bucket(t));
	fl_breakdown_pick_tail(s.an->bd, FL_SLOW_FIXED, t);
	/* 1000500, 1000750, ..., 1002750: 10 flushes, as the slow counter says */
	assert_int_equal(s.an->bd->slow.s.flushes, 10);
	assert_int_equal(s.an->slow_flushes, 10);
	assert_int_equal(s.an->bd->slow_threshold_ns, t);
	assert_int_equal(s.an->bd->slow.s.sys_blocked[FL_SYS_WRITE], 10);
	fl_snapshot_free(&s);
}

/* An interval: sums and histograms subtract, the tail is the interval's own. */
static void test_delta(void **state)
{
	struct fl_snapshot prev, cur, d;
	struct fl_breakdown *b;

	(void)state;
	snap_anatomy(&prev);
	assert_int_equal(fl_snapshot_copy(&cur, &prev), 0);
	for (int i = 0; i < 10; i++) {
		struct snap_flush f = { .dur = 5000000, .sys = FL_SYS_OPENAT };

		f.comp[FL_COMP_SLEEP] = 5000000;
		snap_anat_flush(&cur, &f);
	}
	fl_breakdown_pick_tail(cur.an->bd, FL_SLOW_FIXED, cur.an->slow_ns);
	cur.an->stuck = 0;
	assert_int_equal(fl_snapshot_delta(&d, &cur, &prev), 0);
	b = d.an->bd;
	assert_int_equal(b->all.s.flushes, 10);
	assert_int_equal(b->all.s.comp_ns[FL_COMP_SLEEP], 50000000);
	assert_int_equal(b->all.s.comp_ns[FL_COMP_IO], 0);
	assert_int_equal(b->all.hist[FL_COMP_SLEEP][fl_hist_bucket(5000000)], 10);
	assert_int_equal(b->all.s.sys_blocked[FL_SYS_OPENAT], 10);
	/* the interval's maximum moved the overall one: exact */
	assert_int_equal(b->all.s.comp_max[FL_COMP_SLEEP], 5000000);
	/* on_cpu did not move: bucket-resolution estimate, never above the overall max */
	assert_true(b->all.s.comp_max[FL_COMP_ON_CPU] <= cur.an->bd->all.s.comp_max[FL_COMP_ON_CPU]);
	/* the tail: none of the interval's flushes is over --slow 10 ms */
	assert_int_equal(b->slow.s.flushes, 0);
	assert_int_equal(d.an->slow_flushes, 0);
	assert_int_equal(d.an->stuck, 0); /* current */
	assert_int_equal(d.an->ntop, 3);  /* the run's */
	fl_snapshot_free(&d);
	fl_snapshot_free(&cur);
	fl_snapshot_free(&prev);
}

static struct fl_value metric(const char *name, const struct fl_snapshot *s)
{
	const struct fl_metric *m = fl_metric_find(name, strlen(name));

	assert_non_null(m);
	return fl_metric_value(m, s);
}

/* COMP.STAT metrics and --fail-if on them. */
static void test_metrics(void **state)
{
	struct fl_snapshot s;
	struct fl_threshold t;
	char err[512], why[256];
	struct fl_value v;

	(void)state;
	snap_anatomy(&s);
	v = metric("io.total", &s);
	assert_true(v.known);
	assert_int_equal(v.u, s.an->bd->all.s.comp_ns[FL_COMP_IO]);
	v = metric("io.max", &s);
	assert_int_equal(v.u, 20000000 + 99000);
	v = metric("io.p99", &s);
	assert_int_equal(v.u, fl_bd_percentile(&s.an->bd->all, FL_COMP_IO, 0.99));
	assert_true(v.u >= 20000000);
	assert_int_equal(metric("sleep.p50", &s).u, 0);
	assert_int_equal(metric("slow_dropped", &s).u, 2);
	assert_int_equal(metric("slow_flushes", &s).u, 5);
	assert_int_equal(metric("stuck", &s).u, 1);
	assert_int_equal(fl_threshold_parse("io.p99>5ms", &t, err, sizeof(err)), 0);
	assert_int_equal(fl_threshold_eval(&t, &s, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "--fail-if io.p99>5ms holds: io.p99 = "));
	assert_int_equal(fl_threshold_parse("runq.p99.9 >= 1s", &t, err, sizeof(err)), 0);
	assert_int_equal(fl_threshold_eval(&t, &s, why, sizeof(why)), 0);
	assert_int_equal(fl_threshold_parse("io.p98>5ms", &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown metric"));
	/* without the anatomy: unknown, never a zero */
	fl_anatomy_free(s.an);
	s.an = NULL;
	assert_false(metric("io.total", &s).known);
	assert_int_equal(fl_threshold_parse("io.p99>5ms", &t, err, sizeof(err)), 0);
	assert_int_equal(fl_threshold_eval(&t, &s, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "measured only with --breakdown"));
	fl_snapshot_free(&s);
}

/* JSON out, in, out again: identical (the percentiles come back from the histograms). */
static void test_json_round_trip(void **state)
{
	struct fl_snapshot s, back;
	char *a, *b, err[512];

	(void)state;
	snap_anatomy(&s);
	a = render(FL_FMT_JSON, &s);
	assert_non_null(strstr(a, "\"breakdown\":{\"wall_ns\":"));
	assert_non_null(strstr(a, "\"slow_dropped\":2"));
	assert_non_null(strstr(a, "\"top\":[{\"pid\":4242,\"tid\":77,\"start_ns\":99000000,"
				  "\"duration_ns\":20138000}"));
	assert_non_null(strstr(a, "\"syscalls_method\":\"switch-out\""));
	assert_non_null(strstr(a, "\"slow\":{\"basis\":\"slow\",\"threshold_ns\":10000000,\"flushes\":5,"));
	assert_int_equal(fl_snapshot_from_json(a, &back, err, sizeof(err)), 0);
	b = render(FL_FMT_JSON, &back);
	assert_string_equal(a, b);
	free(b);
	b = render(FL_FMT_TEXT, &back);
	free(a);
	a = render(FL_FMT_TEXT, &s);
	assert_string_equal(a, b);
	free(a);
	free(b);
	fl_snapshot_free(&back);
	fl_snapshot_free(&s);
}

/* Malformed anatomy keys: one message naming the key. */
static void test_json_errors(void **state)
{
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{ "\"syscalls_method\":\"switch-out\"", "\"syscalls_method\":\"stack\"",
		  "breakdown.syscalls_method: expected" },
		{ "\"basis\":\"slow\"", "\"basis\":7", "breakdown.slow.basis: expected \"p99\" or \"slow\"" },
		{ "\"io\":{\"total_ns\":", "\"io\":{\"totl_ns\":", "breakdown.components.io.total_ns: missing key" },
		{ "\"slow_dropped\":2", "\"slow_dropped\":-2", "slow_dropped: expected a non-negative integer" },
		{ "\"top_n\":3", "\"top_n\":0", "top_n: expected an integer 1..100" },
		{ "\"top_n\":3", "\"top_n\":1", "top: 3 entries, top_n is 1" },
		{ "\"fdatasync\":{\"count\":", "\"fdatasync\":{\"cnt\":", "breakdown.syscalls.fdatasync.count: missing key" },
		{ "\"stuck_flushes\":1", "\"stuck_flushes\":\"x\"", "stuck_flushes: expected a non-negative integer" },
		{ "\"breakdown\":{\"wall_ns\":", "\"breakdown\":{\"wall_ns\":1,\"x\":", "breakdown.slow: more flushes or wall time" },
		{ "\"flushes\":100,", "\"flushes\":99,", "breakdown.components.on_cpu.histogram: 100 flushes, more than 99" },
	};
	struct fl_snapshot s, back;
	char *json, err[512];

	(void)state;
	snap_anatomy(&s);
	json = render(FL_FMT_JSON, &s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *at = strstr(json, cases[i].from);
		char *bad;

		assert_non_null(at);
		bad = malloc(strlen(json) + strlen(cases[i].to) + 1);
		assert_non_null(bad);
		memcpy(bad, json, (size_t)(at - json));
		strcpy(bad + (at - json), cases[i].to);
		strcat(bad, at + strlen(cases[i].from));
		assert_int_equal(fl_snapshot_from_json(bad, &back, err, sizeof(err)), -1);
		if (!strstr(err, cases[i].msg))
			fail_msg("error '%s' lacks '%s'", err, cases[i].msg);
		free(bad);
	}
	free(json);
	fl_snapshot_free(&s);
}

/* The text tables: components side by side, system calls, checks, counts, the top list. */
static void test_text(void **state)
{
	struct fl_snapshot s;
	char *t;

	(void)state;
	snap_anatomy(&s);
	t = render(FL_FMT_TEXT, &s);
	assert_non_null(strstr(t, " Breakdown of 100 flushes (wall "));
	assert_non_null(strstr(t, "| slow tail: 5 flushes >= 10.0 ms (--slow)\n"));
	assert_non_null(strstr(t, "   component      total  share       avg       p50       p99       max |"));
	assert_non_null(strstr(t, "\n   io         "));
	assert_non_null(strstr(t, "\n   fdatasync  "));
	assert_non_null(strstr(t, "\n   rename     "));
	assert_null(strstr(t, "\n   openat     ")); /* nothing there: no row */
	assert_non_null(strstr(t, " 2 switch-ins repaired"));
	assert_non_null(strstr(t, " Slow flushes (>= 10.0 ms): 5  Records dropped: 2\n"));
	assert_non_null(strstr(t, " Stuck flushes (in flight >= 1.00 s): 1\n"));
	assert_non_null(strstr(t, " Top 3 flushes (3):\n    1.   20.1 ms  pid 4242 tid 77 start_ns 99000000\n"));
	/* the dump block stays first, byte for byte */
	assert_int_equal(strncmp(t, "[Meta Store Metrics] Snapshot:\n", 31), 0);
	free(t);
	fl_snapshot_free(&s);
}

/* The anatomy's series pass promtool, labels bounded (4 components, 8 calls, N ranks). */
static void test_prom(void **state)
{
	struct fl_snapshot s;
	char msg[8192], *t;
	int rc;

	(void)state;
	snap_anatomy(&s);
	t = render(FL_FMT_PROMETHEUS, &s);
	rc = promtool_check(t, msg, sizeof(msg));
	if (rc || msg[0])
		fail_msg("promtool: %d %s\n%s", rc, msg, t);
	assert_non_null(strstr(t, "flushlat_component_seconds_total{subsystem=\"wal_meta\",component=\"io\"} "));
	assert_non_null(strstr(t, "flushlat_syscall_count_total{subsystem=\"wal_meta\",method=\"switch-out\",syscall=\"rename\"} 1\n"));
	assert_non_null(strstr(t, "flushlat_slow_records_dropped_total{subsystem=\"wal_meta\"} 2\n"));
	assert_non_null(strstr(t, "flushlat_stuck_flushes{subsystem=\"wal_meta\"} 1\n"));
	assert_non_null(strstr(t, "flushlat_top_flush_duration_seconds{subsystem=\"wal_meta\",rank=\"1\","
				  "pid=\"4242\",tid=\"77\",start_ns=\"99000000\"} 0.020138\n"));
	assert_non_null(strstr(t, "flushlat_slow_component_seconds_total{"));
	free(t);
	/* the p99 tail is not monotonic: no counter for it */
	s.an->bd->basis = FL_SLOW_P99;
	t = render(FL_FMT_PROMETHEUS, &s);
	assert_null(strstr(t, "flushlat_slow_component_seconds_total"));
	free(t);
	fl_snapshot_free(&s);
}

/* OpenMetrics and protobuf carry the same families: they come from one model. */
static void test_expo_formats(void **state)
{
	static const char *const fams[] = {
		"flushlat_component_seconds", "flushlat_syscall_seconds", "flushlat_syscall_count",
		"flushlat_slow_flushes", "flushlat_slow_records_dropped", "flushlat_stuck_flushes",
		"flushlat_top_flush_duration_seconds", "flushlat_breakdown_cross_thread",
	};
	struct fl_render_opts o;
	struct fl_snapshot s;
	struct strbuf om, pb;

	(void)state;
	snap_anatomy(&s);
	fl_render_opts_default(&o);
	strbuf_init(&om);
	strbuf_init(&pb);
	fl_render_expo(FL_EXPO_OPENMETRICS, &s, &o, &om);
	fl_render_expo(FL_EXPO_PROTOBUF, &s, &o, &pb);
	assert_false(om.oom);
	assert_false(pb.oom);
	assert_non_null(strstr(strbuf_str(&om), "# TYPE flushlat_component_seconds counter\n"
						"# UNIT flushlat_component_seconds seconds\n"));
	assert_non_null(strstr(strbuf_str(&om), "flushlat_syscall_count_total{subsystem=\"wal_meta\","
						"method=\"switch-out\",syscall=\"rename\"} 1\n"));
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		assert_non_null(strstr(strbuf_str(&om), fams[i]));
		/* a protobuf MetricFamily holds its name as plain bytes */
		assert_non_null(memmem(pb.buf, pb.len, fams[i], strlen(fams[i])));
	}
	strbuf_free(&om);
	strbuf_free(&pb);
	fl_snapshot_free(&s);
}

static void test_records(void **state)
{
	struct fl_slow_rec r;
	struct fl_stuck_rec k;
	struct strbuf sb;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.time_ns = 1764097200123456789ULL;
	r.pid = 10;
	r.tid = 11;
	r.done_tid = 11;
	memcpy(r.comm, "rec\n", 4);
	r.start_ns = 5;
	r.duration_ns = 12345678;
	strbuf_init(&sb);
	fl_slow_rec_header(0, &sb);
	fl_slow_rec_text(&r, &sb);
	assert_non_null(strstr(strbuf_str(&sb), "TIME         COMM                 PID     TID    LAT(ms) START_NS\n"));
	assert_non_null(strstr(strbuf_str(&sb), " rec?                  10      11     12.346 5\n"));
	strbuf_reset(&sb);
	r.anatomy = 1;
	r.wall_ns = 12400000;
	r.comp_ns[FL_COMP_IO] = 12000000;
	r.comp_ns[FL_COMP_ON_CPU] = 400000;
	r.sys.sys_off_ns[FL_SYS_FDATASYNC] = 12000000;
	r.sys.sys_blocked[FL_SYS_FDATASYNC] = 3;
	r.blocked_ns = 9000000;
	r.blocked_comp = FL_COMP_IO;
	r.blocked_sys = FL_SYS_FDATASYNC;
	r.stack.n = 4;
	r.stack.frames[0] = "__schedule";
	r.stack.frames[1] = "io_schedule";
	r.stack.frames[2] = "jbd2_log_wait_commit";
	r.stack.frames[3] = "ext4_sync_file";
	fl_slow_rec_text(&r, &sb);
	assert_non_null(strstr(strbuf_str(&sb), "fdatasync=12.000 | 9.000 ms io in fdatasync: "
						"jbd2_log_wait_commit<-ext4_sync_file\n"));
	strbuf_reset(&sb);
	fl_slow_rec_json(&r, &sb);
	assert_non_null(strstr(strbuf_str(&sb), "{\"type\":\"slow_flush\",\"time_ns\":1764097200123456789,"
						"\"pid\":10,\"tid\":11,\"comm\":\"rec?\",\"start_ns\":5,"
						"\"duration_ns\":12345678,\"wall_ns\":12400000,"));
	assert_non_null(strstr(strbuf_str(&sb), "\"fdatasync\":{\"count\":3,\"total_ns\":12000000,"));
	assert_non_null(strstr(strbuf_str(&sb), "\"stack\":[\"__schedule\",\"io_schedule\","));
	strbuf_reset(&sb);
	memset(&k, 0, sizeof(k));
	k.time_ns = r.time_ns;
	k.pid = 10;
	k.tid = 11;
	k.age_ns = 2500000000ULL;
	k.state = 'D';
	k.iowait = 1;
	k.stack = r.stack;
	fl_stuck_rec_text(&k, &sb);
	assert_non_null(strstr(strbuf_str(&sb), " in flight 2.50 s, state D (uninterruptible sleep, in "
						"iowait): jbd2_log_wait_commit<-ext4_sync_file\n"));
	strbuf_reset(&sb);
	k.stack.n = 0;
	k.stack.err = -14;
	fl_stuck_rec_json(&k, &sb);
	assert_non_null(strstr(strbuf_str(&sb), "\"state\":\"D\",\"iowait\":true,\"on_cpu\":false,"
						"\"stack\":[],\"stack_error\":\"Bad address\"}"));
	strbuf_free(&sb);
}

static void test_duration_parse(void **state)
{
	static const struct {
		const char *s;
		int ok;
		uint64_t ns;
	} cases[] = {
		{ "0", 1, 0 }, { "5ms", 1, 5000000 }, { "1.5s", 1, 1500000000 }, { "250us", 1, 250000 },
		{ "7ns", 1, 7 }, { "0.5ms", 1, 500000 }, { "5", 0, 0 }, { "", 0, 0 }, { "ms", 0, 0 },
		{ "-1ms", 0, 0 }, { "1e3ms", 0, 0 }, { "5 ms", 0, 0 }, { "5min", 0, 0 },
		{ "99999999999s", 0, 0 }, { "0x10ms", 0, 0 }, { "1.2.3ms", 0, 0 },
	};
	uint64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = fl_duration_parse(cases[i].s, &ns);

		if ((r == 0) != cases[i].ok || (r == 0 && ns != cases[i].ns))
			fail_msg("'%s': %d %llu", cases[i].s, r, (unsigned long long)ns);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tail_p99),
		cmocka_unit_test(test_tail_fixed),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_prom),
		cmocka_unit_test(test_expo_formats),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_duration_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
