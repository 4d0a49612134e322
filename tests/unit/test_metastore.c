// SPDX-License-Identifier: MIT
/*
 * MetaStore recording, derived values, dump() and collect(): every example in
 * the reference, byte for byte, and the edge cases around them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metastore.h"
#include "prom.h"

#define RULE "-----------------------------------------------------------------\n"

static struct metastore *new_store(void)
{
	struct metastore *ms = aligned_alloc(64, sizeof(*ms));

	assert_non_null(ms);
	metastore_init(ms);
	return ms;
}

/* dump() into a string (caller frees). */
static char *dump_str(const struct metastore *ms, const char *label)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	metastore_dump(ms, label, f);
	fclose(f);
	return buf;
}

static void check_dump(const uint64_t *d, size_t n, const char *line3)
{
	struct metastore *ms = new_store();
	char want[512];
	char *got;

	for (size_t i = 0; i < n; i++)
		metastore_record_duration(ms, d[i]);
	snprintf(want, sizeof(want), "[Meta Store Metrics] Snapshot:\n" RULE "%s\n" RULE, line3);
	got = dump_str(ms, "Meta Store");
	assert_string_equal(got, want);
	free(got);
	free(ms);
}

static void test_dump_reference_examples(void **state)
{
	static const uint64_t one[] = { 1234 }, round_up[] = { 99950 },
			      ms13[] = { 1000000, 3000000 }, tiny[] = { 5, 7 };

	(void)state;
	check_dump(NULL, 0, " Meta flush: samples=0");
	check_dump(one, 1, " Meta flush: samples=1 total=1.23 us");
	check_dump(round_up, 1, " Meta flush: samples=1 total=100.0 us");
	check_dump(ms13, 2,
		   " Meta flush: samples=2 total=4.00 ms min=1.00 ms max=3.00 ms avg=2.00 ms "
		   "inv(avg)=500  ops/s");
	check_dump(tiny, 2,
		   " Meta flush: samples=2 total=12.0 ns min=5.00 ns max=7.00 ns avg=6.00 ns "
		   "inv(avg)=167 M ops/s");
}

static void test_dump_rule_and_label(void **state)
{
	struct metastore *ms = new_store();
	char *got = dump_str(ms, "WAL");

	(void)state;
	assert_int_equal(strlen(RULE), 66); /* 65 dashes + newline */
	assert_string_equal(got, "[WAL Metrics] Snapshot:\n" RULE " Meta flush: samples=0\n" RULE);
	free(got);
	free(ms);
}

static void test_init_and_record(void **state)
{
	struct metastore *ms = new_store();
	const struct duration64 *d = &ms->maintenance_meta_flush;

	(void)state;
	assert_int_equal(d->samples.value, 0);
	assert_int_equal(d->total_ns.value, 0);
	assert_true(d->min_ns.value == UINT64_MAX);
	assert_int_equal(d->max_ns.value, 0);
	assert_int_equal(duration64_avg_ns(d), 0);
	assert_int_equal(duration64_jitter_ns(d), 0);
	assert_true(duration64_rate_per_sec(d) == 0.0);

	metastore_record(ms, 1000, 1500); /* end - start */
	assert_int_equal(d->samples.value, 1);
	assert_int_equal(d->total_ns.value, 500);
	assert_int_equal(d->min_ns.value, 500);
	assert_int_equal(d->max_ns.value, 500);
	assert_int_equal(duration64_jitter_ns(d), 0); /* needs two samples */

	metastore_record_duration(ms, 1500);
	assert_int_equal(duration64_avg_ns(d), 1000);
	assert_int_equal(duration64_jitter_ns(d), 1000);
	assert_true(duration64_rate_per_sec(d) == 2.0 * 1e9 / 2000.0);
	free(ms);
}

static void test_identical_samples(void **state)
{
	struct metastore *ms = new_store();
	const struct duration64 *d = &ms->maintenance_meta_flush;

	(void)state;
	for (int i = 0; i < 5; i++)
		metastore_record_duration(ms, 777);
	assert_int_equal(d->min_ns.value, 777);
	assert_int_equal(d->max_ns.value, 777);
	assert_int_equal(duration64_jitter_ns(d), 0);
	assert_int_equal(duration64_avg_ns(d), 777);
	free(ms);
}

static void test_zero_duration_sample(void **state)
{
	struct metastore *ms = new_store();
	const struct duration64 *d = &ms->maintenance_meta_flush;

	(void)state;
	metastore_record_duration(ms, 0);
	metastore_record_duration(ms, 0);
	assert_int_equal(d->min_ns.value, 0);
	/* total_ns == 0: rate is defined as 0, never a division by zero. */
	assert_true(duration64_rate_per_sec(d) == 0.0);
	free(ms);
}

static void test_total_near_overflow(void **state)
{
	struct metastore *ms = new_store();
	const struct duration64 *d = &ms->maintenance_meta_flush;
	char buf[256];

	(void)state;
	metastore_record_duration(ms, UINT64_MAX - 10);
	metastore_record_duration(ms, 10);
	assert_true(d->total_ns.value == UINT64_MAX);
	assert_true(d->max_ns.value == UINT64_MAX - 10);
	assert_int_equal(d->min_ns.value, 10);
	assert_true(duration64_avg_ns(d) == UINT64_MAX / 2);
	/* Wraps like the original's uint64_t counter; text stays well-formed. */
	metastore_record_duration(ms, 1);
	assert_int_equal(d->total_ns.value, 0);
	assert_int_equal(duration64_rate_per_sec(d), 0);
	assert_true(duration64_str(d, buf, sizeof(buf)) > 0);
	free(ms);
}

static void test_copy_to(void **state)
{
	struct metastore *a = new_store(), *b = new_store();

	(void)state;
	metastore_record_duration(a, 3);
	metastore_record_duration(a, 9);
	metastore_copy_to(a, b);
	assert_memory_equal(a, b, sizeof(*a));
	free(a);
	free(b);
}

static char *collect_str(const struct metastore *ms, const char *prefix, int outer)
{
	struct strbuf sb;
	struct prom_writer w;
	char *s;

	strbuf_init(&sb);
	prom_writer_init(&w, &sb);
	if (outer)
		collector_push_label(prom_writer_collector(&w), "system", "wal_recorder");
	metastore_collect(ms, prefix, prom_writer_collector(&w));
	if (outer)
		collector_pop_label(prom_writer_collector(&w));
	assert_int_equal(w.nlabels, 0); /* collect pops what it pushes */
	s = strdup(strbuf_str(&sb));
	strbuf_free(&sb);
	return s;
}

static void test_collect_zero_and_one(void **state)
{
	struct metastore *ms = new_store();
	char *got;

	(void)state;
	got = collect_str(ms, "fs", 0);
	assert_string_equal(got, "# HELP fs_maintenance_meta_flush_samples_total Number of recorded samples\n"
				 "# TYPE fs_maintenance_meta_flush_samples_total counter\n"
				 "fs_maintenance_meta_flush_samples_total{subsystem=\"wal_meta\"} 0\n");
	free(got);
	metastore_record_duration(ms, 1234);
	got = collect_str(ms, "fs", 0);
	assert_string_equal(got, "# HELP fs_maintenance_meta_flush_samples_total Number of recorded samples\n"
				 "# TYPE fs_maintenance_meta_flush_samples_total counter\n"
				 "fs_maintenance_meta_flush_samples_total{subsystem=\"wal_meta\"} 1\n"
				 "# HELP fs_maintenance_meta_flush_total_ns Total duration in nanoseconds\n"
				 "# TYPE fs_maintenance_meta_flush_total_ns counter\n"
				 "fs_maintenance_meta_flush_total_ns{subsystem=\"wal_meta\"} 1234\n");
	free(got);
	free(ms);
}

static void test_collect_two_recorder_names(void **state)
{
	struct metastore *ms = new_store();
	char *got;

	(void)state;
	metastore_record_duration(ms, 1000000);
	metastore_record_duration(ms, 3000000);
	got = collect_str(ms, "ie_wal_recorder__meta_store", 1);
#define N "ie_wal_recorder__meta_store_maintenance_meta_flush"
#define L "{system=\"wal_recorder\", subsystem=\"wal_meta\"}"
	assert_string_equal(got,
			    "# HELP " N "_samples_total Number of recorded samples\n"
			    "# TYPE " N "_samples_total counter\n" N "_samples_total" L " 2\n"
			    "# HELP " N "_total_ns Total duration in nanoseconds\n"
			    "# TYPE " N "_total_ns counter\n" N "_total_ns" L " 4000000\n"
			    "# HELP " N "_min_ns Minimum observed duration in nanoseconds\n"
			    "# TYPE " N "_min_ns gauge\n" N "_min_ns" L " 1000000\n"
			    "# HELP " N "_max_ns Maximum observed duration in nanoseconds\n"
			    "# TYPE " N "_max_ns gauge\n" N "_max_ns" L " 3000000\n"
			    "# HELP " N "_avg_ns Average duration in nanoseconds\n"
			    "# TYPE " N "_avg_ns gauge\n" N "_avg_ns" L " 2000000\n"
			    "# HELP " N "_jitter_ns Absolute jitter (max - min) in nanoseconds\n"
			    "# TYPE " N "_jitter_ns gauge\n" N "_jitter_ns" L " 2000000\n"
			    "# HELP " N "_rate_per_second Rate of observed samples per second\n"
			    "# TYPE " N "_rate_per_second gauge\n" N "_rate_per_second" L " 500.00\n");
#undef N
#undef L
	free(got);
	free(ms);
}

static void test_collect_rate_two_decimals(void **state)
{
	struct metastore *ms = new_store();
	char *got;

	(void)state;
	metastore_record_duration(ms, 5);
	metastore_record_duration(ms, 7);
	got = collect_str(ms, "p", 0);
	assert_non_null(strstr(got, "p_maintenance_meta_flush_rate_per_second{subsystem=\"wal_meta\"} "
				    "166666666.67\n"));
	free(got);
	free(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_reference_examples),
		cmocka_unit_test(test_dump_rule_and_label),
		cmocka_unit_test(test_init_and_record),
		cmocka_unit_test(test_identical_samples),
		cmocka_unit_test(test_zero_duration_sample),
		cmocka_unit_test(test_total_near_overflow),
		cmocka_unit_test(test_copy_to),
		cmocka_unit_test(test_collect_zero_and_one),
		cmocka_unit_test(test_collect_two_recorder_names),
		cmocka_unit_test(test_collect_rate_two_decimals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
