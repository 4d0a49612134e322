// SPDX-License-Identifier: MIT
/* The Prometheus collector: label stack, escaping, value formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "prom.h"

static void test_escape(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	prom_escape_label_value(&sb, "a\\b\"c\nd\te");
	assert_string_equal(strbuf_str(&sb), "a\\\\b\\\"c\\nd\te");
	strbuf_free(&sb);
}

static void test_labels_and_values(void **state)
{
	struct strbuf sb;
	struct prom_writer w;
	struct collector *c;

	(void)state;
	strbuf_init(&sb);
	prom_writer_init(&w, &sb);
	c = prom_writer_collector(&w);
	collector_add_gauge(c, "g", "no labels", 18446744073709551615ULL);
	collector_push_label(c, "a", "x\"y");
	collector_push_label(c, "b", "2");
	collector_add_counter(c, "c_total", "help with \\ and\nnewline", 3);
	collector_pop_label(c);
	collector_add_gauge_f(c, "f", "double", 0.005);
	collector_pop_label(c);
	collector_pop_label(c); /* extra pop is harmless */
	collector_add_gauge_f(c, "f2", "double", 1234.5);
	assert_string_equal(strbuf_str(&sb),
			    "# HELP g no labels\n# TYPE g gauge\ng 18446744073709551615\n"
			    "# HELP c_total help with \\\\ and\\nnewline\n# TYPE c_total counter\n"
			    "c_total{a=\"x\\\"y\", b=\"2\"} 3\n"
			    "# HELP f double\n# TYPE f gauge\nf{a=\"x\\\"y\"} 0.01\n"
			    "# HELP f2 double\n# TYPE f2 gauge\nf2 1234.50\n");
	strbuf_free(&sb);
}

static void test_label_overflow_balanced(void **state)
{
	struct strbuf sb;
	struct prom_writer w;
	struct collector *c;

	(void)state;
	strbuf_init(&sb);
	prom_writer_init(&w, &sb);
	c = prom_writer_collector(&w);
	for (int i = 0; i < PROM_MAX_LABELS + 3; i++)
		collector_push_label(c, "k", "v");
	for (int i = 0; i < PROM_MAX_LABELS + 3; i++)
		collector_pop_label(c);
	collector_add_counter(c, "x_total", "h", 1);
	assert_string_equal(strbuf_str(&sb), "# HELP x_total h\n# TYPE x_total counter\nx_total 1\n");
	/* the labels that did not fit are reported, never silently dropped */
	assert_int_equal(prom_writer_error(&w), -1);
	strbuf_free(&sb);
}

static void test_strbuf_growth(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	assert_string_equal(strbuf_str(&sb), "");
	for (int i = 0; i < 10000; i++)
		strbuf_printf(&sb, "%d,", i % 10);
	assert_int_equal(sb.len, 20000);
	assert_int_equal(sb.buf[19999], ',');
	strbuf_reset(&sb);
	assert_string_equal(strbuf_str(&sb), "");
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_labels_and_values),
		cmocka_unit_test(test_label_overflow_balanced),
		cmocka_unit_test(test_strbuf_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
