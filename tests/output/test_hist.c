// SPDX-License-Identifier: MIT
/*
 * The text histogram: rows merged from the log-linear buckets (octaves,
 * dense rows halved, empty ends trimmed), bars scaled to the width (40
 * columns off a terminal, the terminal's width on one, never under 10),
 * p50/p99 marked -- as exact text for fixed histograms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hist_text.h"
#include "render.h"
#include "snapfix.h"

#define HDR " Histogram (flushes per latency range):\n"

static void expect_text(const struct fl_snapshot *s, int cols, const char *want)
{
	struct strbuf sb;

	strbuf_init(&sb);
	fl_render_hist_text(s, cols, &sb);
	assert_false(sb.oom);
	if (strcmp(strbuf_str(&sb), want) != 0)
		fail_msg("cols=%d: got\n%s\nwant\n%s", cols, strbuf_str(&sb), want);
	strbuf_free(&sb);
}

/* The widest line, in bytes (the text is ASCII). */
static size_t widest(const struct fl_snapshot *s, int cols)
{
	struct strbuf sb;
	const char *p;
	size_t w = 0;

	strbuf_init(&sb);
	fl_render_hist_text(s, cols, &sb);
	for (p = strbuf_str(&sb); *p;) {
		size_t n = strcspn(p, "\n");

		w = n > w ? n : w;
		p += n + (p[n] == '\n');
	}
	strbuf_free(&sb);
	return w;
}

static void test_octave_geometry(void **state)
{
	uint32_t first, n, total = 0;

	(void)state;
	/* the octaves tile the buckets exactly, in order */
	for (uint32_t o = 0; o < FL_HIST_OCTAVES; o++) {
		fl_hist_octave_span(o, &first, &n);
		assert_int_equal(first, total);
		for (uint32_t b = first; b < first + n; b++)
			assert_int_equal(fl_hist_octave(b), o);
		total += n;
	}
	assert_int_equal(total, FL_HIST_NBUCKETS);
	/* octave o >= 1 holds [2^(o-1), 2^o) */
	fl_hist_octave_span(11, &first, &n);
	assert_int_equal(fl_hist_bucket_lo(first), 1024);
	assert_int_equal(fl_hist_bucket_hi(first + n - 1), 2048);
	fl_hist_octave_span(3, &first, &n);
	assert_int_equal(first, 4);
	assert_int_equal(n, 4);
}

/* Sparse data: one row per power of two, empty inner rows kept, nothing split. */
static void test_octaves(void **state)
{
	struct fl_snapshot s;

	(void)state;
	snap_init(&s);
	expect_text(&s, 0, ""); /* no samples, no histogram */
	snap_record(&s, 1000);
	snap_record(&s, 3000);
	snap_record(&s, 20000);
	expect_text(&s, 0, HDR
		"    512 ns .. 1.02 us 1 |****************************************|\n"
		"   1.02 us .. 2.05 us 0 |                                        |\n"
		"   2.05 us .. 4.10 us 1 |****************************************| p50\n"
		"   4.10 us .. 8.19 us 0 |                                        |\n"
		"   8.19 us .. 16.4 us 0 |                                        |\n"
		"   16.4 us .. 32.8 us 1 |****************************************| p99\n");
	snap_free(&s);
}

/* Dense data: the fullest rows are halved until there are 16 rows. */
static void test_dense_rows(void **state)
{
	struct fl_snapshot s;

	(void)state;
	snap_init(&s);
	for (int i = 0; i < 1000; i++) /* 1.000 .. 1.999 ms, one per us */
		snap_record(&s, 1000000 + (uint64_t)i * 1000);
	snap_record(&s, 5000000);
	snap_record(&s, 40000000);
	expect_text(&s, 0, HDR
		"    524 us .. 1.05 ms  49 |**************                          |\n"
		"   1.05 ms .. 1.11 ms  66 |********************                    |\n"
		"   1.11 ms .. 1.18 ms  65 |*******************                     |\n"
		"   1.18 ms .. 1.31 ms 131 |****************************************|\n"
		"   1.31 ms .. 1.44 ms 131 |****************************************|\n"
		"   1.44 ms .. 1.57 ms 131 |****************************************| p50\n"
		"   1.57 ms .. 1.70 ms 131 |****************************************|\n"
		"   1.70 ms .. 1.77 ms  66 |********************                    |\n"
		"   1.77 ms .. 1.84 ms  66 |********************                    |\n"
		"   1.84 ms .. 1.97 ms 131 |****************************************|\n"
		"   1.97 ms .. 2.10 ms  33 |**********                              | p99\n"
		"   2.10 ms .. 4.19 ms   0 |                                        |\n"
		"   4.19 ms .. 8.39 ms   1 |*                                       |\n"
		"   8.39 ms .. 16.8 ms   0 |                                        |\n"
		"   16.8 ms .. 33.6 ms   0 |                                        |\n"
		"   33.6 ms .. 67.1 ms   1 |*                                       |\n");
	snap_free(&s);
}

/* One bucket: halves left empty at the ends are dropped, down to the bucket. */
static void test_trim_to_bucket(void **state)
{
	struct fl_hist_row rows[FL_HIST_OCTAVES];
	struct fl_snapshot s;

	(void)state;
	snap_init(&s);
	for (int i = 0; i < 100; i++)
		snap_record(&s, 1060000);
	assert_int_equal(fl_hist_rows(s.hist, FL_HIST_TEXT_ROWS, rows), 1);
	assert_int_equal(rows[0].n, 1);
	assert_int_equal(rows[0].first, fl_hist_bucket(1060000));
	/* both marks on the one row */
	expect_text(&s, 0, HDR
		"   1.05 ms .. 1.11 ms 100 |****************************************| p50 p99\n");
	snap_free(&s);
}

/* Exact buckets below 16 ns and the 0 ns row: no row is ever split past a bucket. */
static void test_small_values(void **state)
{
	static const uint64_t v[] = { 0, 0, 1, 7, 15, 16 };
	struct fl_snapshot s;

	(void)state;
	snap_init(&s);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		snap_record(&s, v[i]);
	expect_text(&s, 0, HDR
		"   0.00 ns .. 1.00 ns 2 |****************************************|\n"
		"   1.00 ns .. 2.00 ns 1 |********************                    | p50\n"
		"   2.00 ns .. 4.00 ns 0 |                                        |\n"
		"   4.00 ns .. 8.00 ns 1 |********************                    |\n"
		"   8.00 ns .. 16.0 ns 1 |********************                    |\n"
		"   16.0 ns .. 32.0 ns 1 |********************                    | p99\n");
	snap_free(&s);
}

/* Bars fill a terminal's width (last column left free), never under 10 columns. */
static void test_scaling(void **state)
{
	struct fl_snapshot s;

	(void)state;
	snap_init(&s);
	snap_record(&s, 1000);
	snap_record(&s, 3000);
	snap_record(&s, 20000);
	expect_text(&s, 60, HDR
		"    512 ns .. 1.02 us 1 |*************************|\n"
		"   1.02 us .. 2.05 us 0 |                         |\n"
		"   2.05 us .. 4.10 us 1 |*************************| p50\n"
		"   4.10 us .. 8.19 us 0 |                         |\n"
		"   8.19 us .. 16.4 us 0 |                         |\n"
		"   16.4 us .. 32.8 us 1 |*************************| p99\n");
	expect_text(&s, 20, HDR
		"    512 ns .. 1.02 us 1 |**********|\n"
		"   1.02 us .. 2.05 us 0 |          |\n"
		"   2.05 us .. 4.10 us 1 |**********| p50\n"
		"   4.10 us .. 8.19 us 0 |          |\n"
		"   8.19 us .. 16.4 us 0 |          |\n"
		"   16.4 us .. 32.8 us 1 |**********| p99\n");
	for (int cols = 45; cols <= 200; cols += 7) /* 45: bars of the least width */
		assert_true(widest(&s, cols) <= (size_t)cols - 1);
	/* one flush among a million still shows; the fullest row is the full width */
	snap_init(&s);
	for (int i = 0; i < 1000000; i++)
		s.hist[fl_hist_bucket(2000000)]++;
	metastore_record_duration(&s.ms, 2000000);
	snap_record(&s, 9000000);
	/* the full row is halved down to its one bucket; the empty halves at the
	 * low end go, the one between it and the 9 ms flush stays */
	expect_text(&s, 0, HDR
		"   1.97 ms .. 2.03 ms 1000000 |****************************************| p50 p99\n"
		"   2.03 ms .. 2.10 ms       0 |                                        |\n"
		"   2.10 ms .. 4.19 ms       0 |                                        |\n"
		"   4.19 ms .. 8.39 ms       0 |                                        |\n"
		"   8.39 ms .. 16.8 ms       1 |*                                       |\n");
	snap_free(&s);
}

/* The text report carries it under the summary; --no-hist (hist = 0) removes it. */
static void test_in_report(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	struct strbuf sb;

	(void)state;
	snap_rich(&s);
	fl_render_opts_default(&o);
	assert_int_equal(o.hist, 1);
	strbuf_init(&sb);
	fl_render_text(&s, &o, &sb);
	assert_non_null(strstr(strbuf_str(&sb), " Unmatched completions: 1  Dropped: 3\n"
						 " Failed flushes: 4 (EIO 2, ENOSPC 1, other 1)\n"
						 " pid 4242"));
	assert_non_null(strstr(strbuf_str(&sb), " pid 4343 (0123456789abcdef): "));
	assert_non_null(strstr(strbuf_str(&sb), "\n" HDR));
	strbuf_reset(&sb);
	o.hist = 0;
	fl_render_text(&s, &o, &sb);
	assert_null(strstr(strbuf_str(&sb), "Histogram"));
	strbuf_free(&sb);
	snap_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_octave_geometry),
		cmocka_unit_test(test_octaves),
		cmocka_unit_test(test_dense_rows),
		cmocka_unit_test(test_trim_to_bucket),
		cmocka_unit_test(test_small_values),
		cmocka_unit_test(test_scaling),
		cmocka_unit_test(test_in_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
