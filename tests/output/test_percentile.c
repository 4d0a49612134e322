// SPDX-License-Identifier: MIT
/* fl_hist_percentile against exact percentiles of pseudo-random data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "percentile.h"
#include "flushlat/hist.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t xorshift(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_empty(void **state)
{
	static uint64_t hist[FL_HIST_NBUCKETS];

	(void)state;
	assert_int_equal(fl_hist_percentile(hist, 0.99, UINT64_MAX, 0), 0);
}

static void test_single_value_clamped(void **state)
{
	static uint64_t hist[FL_HIST_NBUCKETS];

	(void)state;
	memset(hist, 0, sizeof(hist));
	hist[fl_hist_bucket(123456)] = 5;
	/* One distinct value: clamping to [min, max] makes every quantile exact. */
	assert_int_equal(fl_hist_percentile(hist, 0.5, 123456, 123456), 123456);
	assert_int_equal(fl_hist_percentile(hist, 0.999, 123456, 123456), 123456);
	assert_int_equal(fl_hist_percentile(hist, 0.0, 123456, 123456), 123456);
}

static void test_small_exact(void **state)
{
	static uint64_t hist[FL_HIST_NBUCKETS];

	(void)state;
	memset(hist, 0, sizeof(hist));
	/* values 1..10 once each: buckets below 16 are exact. */
	for (int v = 1; v <= 10; v++)
		hist[v] = 1;
	assert_int_equal(fl_hist_percentile(hist, 0.5, 1, 10), 5);  /* rank 5 */
	assert_int_equal(fl_hist_percentile(hist, 0.9, 1, 10), 9);  /* rank 9 */
	assert_int_equal(fl_hist_percentile(hist, 0.91, 1, 10), 10); /* rank ceil(9.1)=10 */
	assert_int_equal(fl_hist_percentile(hist, 1.0, 1, 10), 10);
	assert_int_equal(fl_hist_percentile(hist, -1.0, 1, 10), 1);
	assert_int_equal(fl_hist_percentile(hist, NAN, 1, 10), 1);
}

static void check_random(int n, int spread_bits)
{
	static uint64_t hist[FL_HIST_NBUCKETS];
	const double qs[] = { 0.0, 0.5, 0.9, 0.99, 0.999, 1.0 };
	uint64_t *v = calloc((size_t)n, sizeof(*v));
	uint64_t mn = UINT64_MAX, mx = 0;

	assert_non_null(v);
	memset(hist, 0, sizeof(hist));
	for (int i = 0; i < n; i++) {
		/* log-uniform-ish: random magnitude, random mantissa */
		int bits = (int)(xorshift() % (uint64_t)spread_bits) + 1;
		v[i] = xorshift() >> (64 - bits);
		hist[fl_hist_bucket(v[i])]++;
		mn = v[i] < mn ? v[i] : mn;
		mx = v[i] > mx ? v[i] : mx;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		uint64_t rank = (uint64_t)ceil(qs[k] * n), exact, est, width;
		__u32 b;

		if (rank < 1)
			rank = 1;
		exact = v[rank - 1];
		est = fl_hist_percentile(hist, qs[k], mn, mx);
		b = fl_hist_bucket(exact);
		width = fl_hist_bucket_hi(b) - fl_hist_bucket_lo(b);
		assert_true(est >= mn && est <= mx);
		/* same bucket as the exact value: error below the bucket width */
		assert_int_equal(fl_hist_bucket(est), b);
		assert_true((est > exact ? est - exact : exact - est) < width);
	}
	free(v);
}

static void test_random(void **state)
{
	(void)state;
	check_random(1, 40);
	check_random(7, 20);
	check_random(1000, 36);
	check_random(100000, 40);
	check_random(50000, 63);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_single_value_clamped),
		cmocka_unit_test(test_small_exact),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
