// SPDX-License-Identifier: MIT
/*
 * Merging per-CPU copies: sums, min over CPUs that saw samples (never a
 * never-used CPU's 0 or UINT64_MAX), max; order independence; and a
 * randomized check that merge-of-split equals record-all-in-one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metastore.h"

#define MAX_CPUS 64

static struct metastore *alloc_stores(size_t n)
{
	struct metastore *v = aligned_alloc(64, n * sizeof(*v));

	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		metastore_init(&v[i]);
	return v;
}

static void test_merge_empty(void **state)
{
	struct metastore *cpus = alloc_stores(4), *out = alloc_stores(1);

	(void)state;
	/* A CPU that never ran the program may read as all zeroes. */
	memset(&cpus[2], 0, sizeof(cpus[2]));
	metastore_merge(out, cpus, 4);
	assert_int_equal(out->maintenance_meta_flush.samples.value, 0);
	assert_true(out->maintenance_meta_flush.min_ns.value == UINT64_MAX);
	assert_int_equal(out->maintenance_meta_flush.max_ns.value, 0);
	metastore_merge(out, cpus, 0);
	assert_int_equal(out->maintenance_meta_flush.samples.value, 0);
	free(cpus);
	free(out);
}

static void test_merge_skips_idle_zero_min(void **state)
{
	struct metastore *cpus = alloc_stores(3), *out = alloc_stores(1);

	(void)state;
	memset(&cpus[0], 0, sizeof(cpus[0])); /* idle CPU: min 0 must not win */
	metastore_record_duration(&cpus[1], 50);
	metastore_record_duration(&cpus[2], 20);
	metastore_record_duration(&cpus[2], 90);
	metastore_merge(out, cpus, 3);
	assert_int_equal(out->maintenance_meta_flush.samples.value, 3);
	assert_int_equal(out->maintenance_meta_flush.total_ns.value, 160);
	assert_int_equal(out->maintenance_meta_flush.min_ns.value, 20);
	assert_int_equal(out->maintenance_meta_flush.max_ns.value, 90);
	free(cpus);
	free(out);
}

static void test_merge_overwrites_dst(void **state)
{
	struct metastore *cpus = alloc_stores(1), *out = alloc_stores(1);

	(void)state;
	metastore_record_duration(out, 1); /* stale content must not leak in */
	metastore_record_duration(&cpus[0], 7);
	metastore_merge(out, cpus, 1);
	assert_int_equal(out->maintenance_meta_flush.samples.value, 1);
	assert_int_equal(out->maintenance_meta_flush.min_ns.value, 7);
	free(cpus);
	free(out);
}

static void test_add(void **state)
{
	struct metastore *a = alloc_stores(1), *b = alloc_stores(1);

	(void)state;
	metastore_record_duration(a, 10);
	metastore_add(a, b); /* empty source changes nothing */
	assert_int_equal(a->maintenance_meta_flush.samples.value, 1);
	assert_int_equal(a->maintenance_meta_flush.min_ns.value, 10);
	metastore_record_duration(b, 4);
	metastore_add(a, b);
	assert_int_equal(a->maintenance_meta_flush.samples.value, 2);
	assert_int_equal(a->maintenance_meta_flush.min_ns.value, 4);
	assert_int_equal(a->maintenance_meta_flush.max_ns.value, 10);
	free(a);
	free(b);
}

/* xorshift64*: deterministic, seed printed on failure through the values. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static void test_random_split_equals_single(void **state)
{
	struct metastore *cpus = alloc_stores(MAX_CPUS), *one = alloc_stores(1),
			 *merged = alloc_stores(1), *rev = alloc_stores(MAX_CPUS),
			 *merged_rev = alloc_stores(1);

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 2000; round++) {
		size_t ncpu = 1 + rnd() % MAX_CPUS;
		size_t nsamples = rnd() % 200;

		for (size_t i = 0; i < ncpu; i++) {
			metastore_init(&cpus[i]);
			/* Some idle CPUs read back as zeroes, as a fresh per-CPU slot. */
			if (rnd() % 4 == 0)
				memset(&cpus[i], 0, sizeof(cpus[i]));
		}
		metastore_init(one);
		for (size_t i = 0; i < nsamples; i++) {
			/* Mix tiny, typical and huge durations. */
			uint64_t d = rnd() >> (rnd() % 64);
			size_t cpu = rnd() % ncpu;

			if (cpus[cpu].maintenance_meta_flush.samples.value == 0)
				metastore_init(&cpus[cpu]);
			metastore_record_duration(&cpus[cpu], d);
			metastore_record_duration(one, d);
		}
		metastore_merge(merged, cpus, ncpu);
		for (size_t i = 0; i < ncpu; i++)
			metastore_copy_to(&cpus[ncpu - 1 - i], &rev[i]);
		metastore_merge(merged_rev, rev, ncpu);
		assert_memory_equal(merged, one, sizeof(*one));
		assert_memory_equal(merged_rev, one, sizeof(*one));
	}
	free(cpus);
	free(one);
	free(merged);
	free(rev);
	free(merged_rev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_empty),
		cmocka_unit_test(test_merge_skips_idle_zero_min),
		cmocka_unit_test(test_merge_overwrites_dst),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_random_split_equals_single),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
