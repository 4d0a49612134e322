// SPDX-License-Identifier: MIT
/* --fail-if grammar: accepted forms, precise rejections, evaluation, diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "threshold.h"

static struct fl_snapshot *snap(uint64_t n, uint64_t tot, uint64_t mn, uint64_t mx)
{
	struct fl_snapshot *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->ms.maintenance_meta_flush.samples.value = n;
	s->ms.maintenance_meta_flush.total_ns.value = tot;
	s->ms.maintenance_meta_flush.min_ns.value = mn;
	s->ms.maintenance_meta_flush.max_ns.value = mx;
	s->pid = -1;
	return s;
}

static int holds(const char *expr, const struct fl_snapshot *s)
{
	struct fl_threshold t;
	char err[256], why[256];

	assert_int_equal(fl_threshold_parse(expr, &t, err, sizeof(err)), 0);
	return fl_threshold_eval(&t, s, why, sizeof(why));
}

static void expect_error(const char *expr, const char *needle)
{
	struct fl_threshold t;
	char err[256] = "";

	assert_int_equal(fl_threshold_parse(expr, &t, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("'%s': message '%s' lacks '%s'", expr, err, needle);
}

static void test_units(void **state)
{
	struct fl_threshold t;
	char err[256];

	(void)state;
	assert_int_equal(fl_threshold_parse("p99>5ms", &t, err, sizeof(err)), 0);
	assert_true(t.value == 5e6 && !t.relative);
	assert_int_equal(fl_threshold_parse("max >= 1.5s", &t, err, sizeof(err)), 0);
	assert_true(t.value == 1.5e9);
	assert_int_equal(fl_threshold_parse("avg<250us", &t, err, sizeof(err)), 0);
	assert_true(t.value == 250e3);
	assert_int_equal(fl_threshold_parse("min!=7", &t, err, sizeof(err)), 0);
	assert_true(t.value == 7.0);
	assert_int_equal(fl_threshold_parse("p99.9==3ns", &t, err, sizeof(err)), 0);
	assert_true(t.value == 3.0);
	assert_int_equal(fl_threshold_parse("p99>+20%", &t, err, sizeof(err)), 0);
	assert_true(t.relative && t.value == 20.0);
	assert_int_equal(fl_threshold_parse("samples<-5%", &t, err, sizeof(err)), 0);
	assert_true(t.relative && t.value == -5.0);
}

static void test_errors(void **state)
{
	char longexpr[200];

	(void)state;
	expect_error("", "empty");
	expect_error("p98>1", "unknown metric");
	expect_error("p99", "expected an operator");
	expect_error("p99=>1", "expected an operator");
	expect_error("p99>", "expected a number");
	expect_error("p99>ms", "expected a number");
	expect_error("p99>5 ms", "unexpected");
	expect_error("p99>5hours", "unknown unit");
	expect_error("p99>5ms junk", "unexpected");
	expect_error("samples>5ms", "takes no unit");
	expect_error("p99>1.2.3", "invalid number");
	expect_error("p99>-5", "only valid as a percentage");
	expect_error("p99>20%", "needs a sign");
	expect_error("p99>0x10", "invalid number");
	memset(longexpr, 'a', sizeof(longexpr) - 1);
	longexpr[sizeof(longexpr) - 1] = '\0';
	expect_error(longexpr, "too long");
}

static void test_fuzz_no_crash(void **state)
{
	const char alphabet[] = "pP0123456789.<>=!+-%nmsu _a\t";
	struct fl_threshold t;
	char buf[80], err[128];
	uint32_t x = 12345;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		int len = (int)(x % 20);

		for (int j = 0; j < len; j++) {
			x = x * 1103515245u + 12345u;
			buf[j] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
		}
		buf[len] = '\0';
		x = x * 1103515245u + 12345u;
		if (fl_threshold_parse(buf, &t, err, sizeof(err)) != 0)
			assert_true(err[0] != '\0');
	}
}

static void test_eval(void **state)
{
	struct fl_snapshot *s = snap(4, 4000, 500, 2000), *e = snap(0, 0, UINT64_MAX, 0);

	(void)state;
	assert_true(holds("samples==4", s));
	assert_false(holds("samples<4", s));
	assert_true(holds("avg==1000", s));
	assert_true(holds("avg>=1us", s));
	assert_true(holds("jitter==1500ns", s));
	assert_true(holds("max>1.999us", s));
	assert_true(holds("min==500", s));
	assert_true(holds("rate==1000000", s)); /* 4 * 1e9 / 4000 */
	s->in_flight = 2;
	assert_true(holds("in_flight>0", s));
	assert_false(holds("unmatched>0", s));
	/* no samples: min is 0 for thresholds, not UINT64_MAX */
	assert_true(holds("min==0", e));
	assert_false(holds("max>0", e));
	/* percentile from the histogram, clamped to [min, max] */
	s->hist[fl_hist_bucket(500)] = 3;
	s->hist[fl_hist_bucket(2000)] = 1;
	assert_true(holds("p50<600", s));
	assert_true(holds("p99>=1900", s));
	assert_true(holds("p99<=2000", s));
	free(s);
	free(e);
}

static void test_diff(void **state)
{
	struct fl_snapshot *b = snap(10, 10000, 100, 2000), *n = snap(10, 13000, 100, 2000);
	struct fl_threshold t;
	char err[128], why[256];

	(void)state;
	assert_int_equal(fl_threshold_parse("avg>+20%", &t, err, sizeof(err)), 0);
	assert_int_equal(fl_threshold_eval_diff(&t, b, n, why, sizeof(why)), 1); /* +30% */
	assert_non_null(strstr(why, "+30.00%"));
	assert_int_equal(fl_threshold_parse("avg>+40%", &t, err, sizeof(err)), 0);
	assert_int_equal(fl_threshold_eval_diff(&t, b, n, why, sizeof(why)), 0);
	assert_int_equal(fl_threshold_parse("samples<-5%", &t, err, sizeof(err)), 0);
	assert_int_equal(fl_threshold_eval_diff(&t, b, n, why, sizeof(why)), 0);
	/* absolute thresholds in diff apply to the new snapshot */
	assert_int_equal(fl_threshold_parse("avg>1200", &t, err, sizeof(err)), 0);
	assert_int_equal(fl_threshold_eval_diff(&t, b, n, why, sizeof(why)), 1);
	/* relative thresholds never hold on a single snapshot */
	assert_int_equal(fl_threshold_parse("avg>+1%", &t, err, sizeof(err)), 0);
	assert_int_equal(fl_threshold_eval(&t, n, why, sizeof(why)), 0);
	free(b);
	free(n);
}

/*
 * The metric table: every name parses, units as the table says, unknown with
 * --lean (what needs the start probe) or without the failed probe.
 */
static void test_metric_table(void **state)
{
	struct fl_snapshot *s = snap(2, 4000000, 1000000, 3000000);
	const struct fl_metric *m, *m2;
	struct fl_threshold t;
	char expr[64], err[512], why[256];
	size_t nq = 0;

	(void)state;
	s->failed_known = 1;
	fl_for_each_metric(m) {
		fl_for_each_metric(m2)
			assert_true(m == m2 || strcmp(m->name, m2->name) != 0);
		assert_ptr_equal(fl_metric_find(m->name, strlen(m->name)), m);
		snprintf(expr, sizeof(expr), "%s>=0%s", m->name, m->unit == FL_UNIT_NS ? "ms" : "");
		assert_int_equal(fl_threshold_parse(expr, &t, err, sizeof(err)), 0);
		assert_ptr_equal(t.metric, m);
		/* the anatomy's metrics are unknown without the anatomy (test_breakdown.c has them) */
		if (m->flags & (FL_MF_BREAKDOWN | FL_MF_SLOW | FL_MF_STUCK)) {
			assert_int_equal(fl_threshold_eval(&t, s, why, sizeof(why)), -1);
			assert_non_null(strstr(why, "measured only with --"));
			continue;
		}
		assert_int_equal(fl_threshold_eval(&t, s, why, sizeof(why)), 1);
		s->lean = 1;
		assert_int_equal(fl_threshold_eval(&t, s, why, sizeof(why)),
				 (m->flags & FL_MF_START) ? -1 : 1);
		s->lean = 0;
		s->failed_known = 0;
		assert_int_equal(fl_threshold_eval(&t, s, why, sizeof(why)),
				 (m->flags & FL_MF_FAILED) ? -1 : 1);
		if (m->flags & FL_MF_FAILED)
			assert_non_null(strstr(why, "is unknown (no flashstrike:meta_flush_failed probe)"));
		s->failed_known = 1;
		if (m->q > 0) {
			assert_non_null(m->key);
			nq++;
		}
	}
	assert_int_equal(nq, 4);
	assert_null(fl_metric_find("p99", 2));
	/* the error for an unknown metric lists every one */
	assert_int_equal(fl_threshold_parse("bogus>1", &t, err, sizeof(err)), -1);
	fl_for_each_metric(m)
		if (!(m->flags & FL_MF_BREAKDOWN))
			assert_non_null(strstr(err, m->name));
	assert_non_null(strstr(err, "COMP.STAT (COMP: on_cpu runq io sleep; STAT: total p50 p90 p99 p99.9 max)"));
	/* derived values come from the core's duration64_* functions */
	assert_int_equal(fl_metric_value(fl_metric_find("avg", 3), s).u, 2000000);
	assert_int_equal(fl_metric_value(fl_metric_find("jitter", 6), s).u, 2000000);
	assert_true(fl_metric_value(fl_metric_find("rate", 4), s).d == 500.0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_fuzz_no_crash),
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_metric_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
