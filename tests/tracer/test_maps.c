// SPDX-License-Identifier: MIT
/* test_maps.c - per-CPU merge, delta and /proc/PID/maps parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "maps.h"
#include "target.h"

static void set(struct metastore *m, uint64_t tot, uint64_t n, uint64_t mn, uint64_t mx)
{
	m->maintenance_meta_flush.total_ns.value = tot;
	m->maintenance_meta_flush.samples.value = n;
	m->maintenance_meta_flush.min_ns.value = mn;
	m->maintenance_meta_flush.max_ns.value = mx;
}

static void merge_check(const struct metastore *cpus, int n)
{
	struct metastore out;

	fl_metastore_init(&out);
	fl_merge_metastore(&out, cpus, n);
	assert_int_equal(out.maintenance_meta_flush.samples.value, 6);
	assert_int_equal(out.maintenance_meta_flush.total_ns.value, 600);
	assert_int_equal(out.maintenance_meta_flush.min_ns.value, 5);
	assert_int_equal(out.maintenance_meta_flush.max_ns.value, 300);
}

static void test_merge_zero_cpus_and_order(void **state)
{
	struct metastore cpus[4];

	(void)state;
	memset(cpus, 0, sizeof(cpus)); /* CPU 1 and 3: never ran (all zero) */
	set(&cpus[0], 100, 2, 5, 95);
	set(&cpus[2], 500, 4, 50, 300);
	merge_check(cpus, 4);
	/* reversed order gives the same result */
	struct metastore rev[4] = { cpus[3], cpus[2], cpus[1], cpus[0] };
	merge_check(rev, 4);
}

static void test_merge_empty(void **state)
{
	struct metastore cpus[2], out;

	(void)state;
	memset(cpus, 0, sizeof(cpus));
	fl_metastore_init(&out);
	fl_merge_metastore(&out, cpus, 2);
	assert_int_equal(out.maintenance_meta_flush.samples.value, 0);
	assert_true(out.maintenance_meta_flush.min_ns.value == FL_MIN_EMPTY);
	assert_int_equal(out.maintenance_meta_flush.max_ns.value, 0);
}

static void test_merge_u64(void **state)
{
	uint64_t pc[3 * 4] = { 1, 2, 3, 4, 0, 0, 0, 0, 10, 20, 30, 40 }, out[4] = { 0 };

	(void)state;
	fl_merge_u64(out, pc, 4, 3);
	assert_int_equal(out[0], 11);
	assert_int_equal(out[3], 44);
}

static void test_delta(void **state)
{
	static struct fl_reading a, b, d;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	set(&a.ms, 100, 2, 10, 90);
	set(&b.ms, 400, 5, 10, 200);
	a.hist[fl_hist_bucket(10)] = 2;
	b.hist[fl_hist_bucket(10)] = 3;
	b.unmatched = 4;
	a.unmatched = 1;
	fl_reading_delta(&d, &b, &a);
	assert_int_equal(d.ms.maintenance_meta_flush.samples.value, 3);
	assert_int_equal(d.ms.maintenance_meta_flush.total_ns.value, 300);
	/* min unchanged: unknown for the interval; max changed: known */
	assert_true(d.ms.maintenance_meta_flush.min_ns.value == FL_MIN_EMPTY);
	assert_int_equal(d.ms.maintenance_meta_flush.max_ns.value, 200);
	assert_int_equal(d.hist[fl_hist_bucket(10)], 1);
	assert_int_equal(d.unmatched, 3);
}

static void test_hist_bucket(void **state)
{
	(void)state;
	for (uint64_t v = 1; v < (1ull << 40); v = v * 3 + 1) {
		uint32_t b = fl_hist_bucket(v);

		assert_true(b < FL_HIST_NBUCKETS);
		assert_true(fl_hist_bucket_lo(b) <= v);
		assert_true(v <= fl_hist_bucket_hi(b));
	}
}

static void test_maps_line(void **state)
{
	(void)state;
	assert_string_equal(fl_maps_line_path("7f00-7f10 r-xp 00001000 08:01 1234   /usr/lib/libx.so"),
			    "/usr/lib/libx.so");
	assert_null(fl_maps_line_path("7f00-7f10 rw-p 00000000 00:00 0 "));
	assert_null(fl_maps_line_path("7ffd-7ffe rw-p 00000000 00:00 0   [stack]"));
	assert_null(fl_maps_line_path("garbage"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_zero_cpus_and_order),
		cmocka_unit_test(test_merge_empty),
		cmocka_unit_test(test_merge_u64),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_hist_bucket),
		cmocka_unit_test(test_maps_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
