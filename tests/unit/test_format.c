// SPDX-License-Identifier: MIT
/* duration() and throughput() exactly as the reference formats them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "format.h"

static void check_dur(uint64_t ns, const char *want)
{
	char buf[64];

	fmt_duration(buf, sizeof(buf), ns);
	assert_string_equal(buf, want);
}

static void check_tput(double v, const char *want)
{
	char buf[64];

	fmt_throughput(buf, sizeof(buf), v, "ops/s");
	assert_string_equal(buf, want);
}

static void test_duration_units(void **state)
{
	(void)state;
	check_dur(0, "0.00 ns");
	check_dur(5, "5.00 ns");
	check_dur(12, "12.0 ns");
	check_dur(999, "999 ns");
	check_dur(1000, "1.00 us");
	check_dur(1234, "1.23 us");
	check_dur(99950, "100.0 us"); /* 99.95 rounds up, precision chosen before rounding */
	check_dur(999999, "1000 us");
	check_dur(1000000, "1.00 ms");
	check_dur(4000000, "4.00 ms");
	check_dur(1000000000ULL, "1.00 s");
	check_dur(61000000000ULL, "61.0 s");
	check_dur(5000000000000ULL, "5000 s"); /* no unit beyond s */
	check_dur(UINT64_MAX, "18446744074 s");
}

static void test_duration_precision_edges(void **state)
{
	(void)state;
	check_dur(9999, "10.00 us"); /* 9.999 < 10: two decimals, rounds to 10.00 */
	check_dur(10000, "10.0 us");
	check_dur(100000, "100 us");
}

static void test_duration_truncates_safely(void **state)
{
	char buf[4];
	int n;

	(void)state;
	n = fmt_duration(buf, sizeof(buf), 1234);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "1.2");
}

static void test_throughput(void **state)
{
	(void)state;
	check_tput(500.0, "500  ops/s"); /* empty unit: two spaces */
	check_tput(0.0, "0.00  ops/s");
	check_tput(1e9 / 6.0, "167 M ops/s");
	check_tput(1500.0, "1.50 K ops/s");
	check_tput(25000.0, "25.0 K ops/s");
	check_tput(2e12, "2.00 T ops/s");
	check_tput(5e15, "5000 T ops/s"); /* stops at T */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_precision_edges),
		cmocka_unit_test(test_duration_truncates_safely),
		cmocka_unit_test(test_throughput),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
