// SPDX-License-Identifier: MIT
/*
 * The Prometheus exposition beyond text 0.0.4: the fixed classic layout
 * (--buckets: bounds, exact counts, exemplars per bucket), the native
 * histogram's geometry, table search and protobuf spans, Prometheus' float
 * format for le, content negotiation, OpenMetrics, and the protobuf encoder
 * checked against protobuf-c (test-only): every message flushlat writes
 * decodes, carries the right values, and re-encodes to the same bytes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buckets.h"
#include "expo.h"
#include "metrics.pb-c.h"
#include "native.h"
#include "negotiate.h"
#include "pbenc.h"
#include "render.h"
#include "snapfix.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A duration spread log-uniformly over 1 ns .. 2^maxbits ns. */
static uint64_t rnd_dur(unsigned int maxbits)
{
	unsigned int k = (unsigned int)(rnd() % maxbits);

	return (1ULL << k) + rnd() % (1ULL << k);
}

/* ---- Prometheus' float format ------------------------------------------ */

static void test_format_float(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 2.047e-06, "2.047e-06" }, { 0.000131071, "0.000131071" },
		{ 34.359738367, "34.359738367" }, { 1, "1.0" }, { 0, "0.0" }, { 100, "100.0" },
		{ 123456, "123456.0" }, { 1e6, "1e+06" }, { 1234567, "1.234567e+06" },
		{ 0.0001, "0.0001" }, { 0.00001, "1e-05" }, { 0.1, "0.1" }, { 1.5, "1.5" },
		{ -2.5, "-2.5" }, { 5e-324, "5e-324" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 0.3, "0.3" }, { 2.0 / 3.0, "0.6666666666666666" }, { 1e21, "1e+21" },
		{ INFINITY, "+Inf" }, { -INFINITY, "-Inf" }, { NAN, "NaN" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		prom_format_float(buf, sizeof(buf), cases[i].v);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("%.17g: got %s, want %s", cases[i].v, buf, cases[i].want);
	}
	/* the shortest form always reads back as the same double */
	for (int i = 0; i < 10000; i++) {
		double v = (double)rnd_dur(44) / 1e9;

		prom_format_float(buf, sizeof(buf), v);
		assert_true(strtod(buf, NULL) == v);
	}
	/* the integer fast path says exactly the same, at every magnitude */
	for (int i = 0; i < 200000; i++) {
		uint64_t ns = i < 64 ? (1ULL << i) - (i % 2) : i < 100 ? 1000000000ULL * (uint64_t)(i - 63)
								  : rnd_dur(64);
		char fast[64];

		prom_format_float(buf, sizeof(buf), (double)ns / 1e9);
		prom_format_ns_seconds(fast, sizeof(fast), ns);
		if (strcmp(buf, fast) != 0)
			fail_msg("%llu ns: %s, fast path %s", (unsigned long long)ns, buf, fast);
	}
}

/* ---- the classic layout ----------------------------------------------- */

static void test_buckets_default(void **state)
{
	struct fl_buckets d, p;
	char err[256], le[64];

	(void)state;
	fl_buckets_default(&d);
	assert_int_equal(fl_buckets_parse(FL_BUCKETS_DEFAULT, &p, err, sizeof(err)), 0);
	assert_memory_equal(&d, &p, sizeof(d));
	assert_int_equal(fl_buckets_count(&d), 97); /* + +Inf, _sum, _count = 100 series */
	assert_int_equal(fl_buckets_le_ns(&d, 0), 2047);
	assert_int_equal(fl_buckets_le_ns(&d, 1), 2559);
	assert_int_equal(fl_buckets_le_ns(&d, 4), 4095);
	assert_int_equal(fl_buckets_le_ns(&d, 96), (1ULL << 35) - 1);
	prom_format_float(le, sizeof(le), (double)fl_buckets_le_ns(&d, 0) / 1e9);
	assert_string_equal(le, "2.047e-06");
	prom_format_float(le, sizeof(le), (double)fl_buckets_le_ns(&d, 96) / 1e9);
	assert_string_equal(le, "34.359738367");
	/* rounding to the nearest power of two */
	assert_int_equal(fl_buckets_parse("100us..1s/16", &p, err, sizeof(err)), 0);
	assert_int_equal(p.kmin, 17);
	assert_int_equal(p.kmax, 30);
	assert_int_equal(p.per, 16);
	assert_int_equal(fl_buckets_parse("4..9000000000s/1", &p, err, sizeof(err)), 0);
	assert_int_equal(p.kmin, 2);
	assert_int_equal(p.kmax, 63); /* clamped: 2^63 ns is the largest bound */
}

static void buckets_bad(const char *spec, const char *needle)
{
	struct fl_buckets b;
	char err[256] = "";

	if (fl_buckets_parse(spec, &b, err, sizeof(err)) != -1)
		fail_msg("'%s' accepted", spec);
	if (!strstr(err, needle))
		fail_msg("'%s': error '%s' lacks '%s'", spec, err, needle);
}

static void test_buckets_errors(void **state)
{
	(void)state;
	buckets_bad("abc", "expected MIN..MAX/N");
	buckets_bad("1ms-1s/4", "expected MIN..MAX/N");
	buckets_bad("1ms..1s", "expected MIN..MAX/N");
	buckets_bad("1ms..1s/3", "must be 1, 2, 4, 8 or 16");
	buckets_bad("1ms..1s/", "must be 1, 2, 4, 8 or 16");
	buckets_bad("1ms..1s/4x", "must be 1, 2, 4, 8 or 16");
	buckets_bad("1ms..1s/32", "must be 1, 2, 4, 8 or 16");
	buckets_bad("1ms..1.1ms/4", "MIN must be below MAX");
	buckets_bad("1s..1ms/4", "MIN must be below MAX");
	buckets_bad("2ns..1ms/4", "at least N ns");
	buckets_bad("1xs..1s/4", "durations");
	buckets_bad("..1s/4", "durations");
	buckets_bad("0..1s/4", "durations");
	buckets_bad("-1ms..1s/4", "durations");
	buckets_bad("1e3..1s/4", "durations");
}

/* Every cumulative count equals a brute-force count: the bounds are exact. */
static void test_buckets_exact(void **state)
{
	static const char *const layouts[] = { FL_BUCKETS_DEFAULT, "4ns..1ms/4", "16ns..1s/16",
					       "1us..3600s/1", "8ns..64ns/8", "1ms..4s/2" };
	static uint64_t d[20000];

	(void)state;
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		d[i] = i % 97 == 0 ? (1ULL << (i % 40)) - (i % 3) : rnd_dur(42);
	for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
		uint64_t hist[FL_HIST_NBUCKETS] = { 0 }, *cum;
		struct fl_buckets b;
		char err[256];
		size_t n;

		assert_int_equal(fl_buckets_parse(layouts[l], &b, err, sizeof(err)), 0);
		n = fl_buckets_count(&b);
		cum = calloc(n, sizeof(*cum));
		for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
			hist[fl_hist_bucket(d[i])]++;
		fl_buckets_cumulative(&b, hist, cum);
		for (size_t j = 0; j < n; j++) {
			uint64_t le = fl_buckets_le_ns(&b, j), want = 0;

			for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
				want += d[i] <= le;
			if (cum[j] != want)
				fail_msg("%s: le %llu: %llu, brute force %llu", layouts[l],
					 (unsigned long long)le, (unsigned long long)cum[j],
					 (unsigned long long)want);
			/* the bound is a log-linear boundary: le + 1 starts a bucket */
			assert_int_equal(fl_hist_bucket_lo(fl_hist_bucket(le + 1)), le + 1);
		}
		free(cum);
	}
}

/* The exemplar of a classic bucket is the slowest record whose value lies in it. */
static void test_buckets_exemplars(void **state)
{
	struct fl_exemplar ex[FL_HIST_NBUCKETS], *out;
	struct fl_buckets b;
	size_t n;

	(void)state;
	fl_buckets_default(&b);
	n = fl_buckets_count(&b);
	out = calloc(n + 1, sizeof(*out));
	for (int round = 0; round < 50; round++) {
		memset(ex, 0, sizeof(ex));
		for (int k = 0; k < 200; k++) {
			uint64_t v = rnd_dur(38);
			__u32 i = fl_hist_bucket(v);

			if (v > ex[i].value_ns)
				ex[i] = (struct fl_exemplar){ v, 1000 + (uint64_t)k, 7, (uint32_t)k,
							      1 + rnd() % 3 };
		}
		fl_buckets_exemplars(&b, ex, out);
		for (size_t j = 0; j <= n; j++) {
			uint64_t lo = j ? fl_buckets_le_ns(&b, j - 1) : 0;
			uint64_t hi = j < n ? fl_buckets_le_ns(&b, j) : UINT64_MAX;
			uint64_t want = 0, seq = 0;

			/* the newest read's slowest: never an older flush after a newer one */
			for (size_t i = 0; i < FL_HIST_NBUCKETS; i++)
				if (ex[i].value_ns > lo && ex[i].value_ns <= hi && ex[i].seq > seq)
					seq = ex[i].seq;
			for (size_t i = 0; i < FL_HIST_NBUCKETS; i++)
				if (ex[i].value_ns > lo && ex[i].value_ns <= hi && ex[i].seq == seq &&
				    ex[i].value_ns > want)
					want = ex[i].value_ns;
			assert_int_equal(out[j].value_ns, want);
		}
	}
	free(out);
}

/* ---- native histogram --------------------------------------------------- */

static void test_native_geom(void **state)
{
	(void)state;
	for (int s = FL_NATIVE_SCHEMA_MIN; s <= FL_NATIVE_SCHEMA_MAX; s++) {
		struct fl_native_geom g;
		uint64_t *t;

		assert_int_equal(fl_native_geom(s, &g), 0);
		/* 1 ns lies in imin: bound(imin - 1) < 1e-9 <= bound(imin) */
		assert_true(fl_native_bound(s, g.imin - 1) < 1e-9);
		assert_true(fl_native_bound(s, g.imin) >= 1e-9);
		/* the top bucket reaches 2^12 s, the one below does not */
		assert_true(fl_native_bound(s, g.imax) >= 4096.0);
		assert_true(fl_native_bound(s, g.imax - 1) < 4096.0);
		assert_true((1U << g.steps) >= g.n + (1U << g.oct_bits) && g.steps <= FL_NATIVE_TABLE_BITS_MAX);
		assert_true(g.oct_bits <= FL_NATIVE_OCT_BITS_MAX);
		assert_true(g.chunk_bits <= FL_NATIVE_CHUNK_BITS_MAX);
		assert_true((size_t)g.nchunks << g.chunk_bits >= g.n + 1);
		t = calloc(1U << g.steps, sizeof(*t));
		fl_native_thresholds(&g, t);
		assert_true(t[0] >= 1);
		for (uint32_t k = 1; k < (1U << g.steps); k++)
			assert_true(t[k] >= t[k - 1]);
		assert_true(t[g.n - 1] < (1ULL << 63)); /* the BPF search's sign test */
		assert_int_equal(t[g.n - 1], g.top_ns);
		/* every value lands where the bounds say, at and around every threshold */
		for (uint32_t k = 0; k < g.n; k++) {
			uint64_t vs[3] = { t[k], t[k] + 1, t[k] > 1 ? t[k] - 1 : 1 };

			for (int j = 0; j < 3; j++) {
				int32_t i = fl_native_index(&g, t, vs[j]);

				if (vs[j] > t[g.n - 1]) {
					assert_int_equal(i, g.imax); /* above the table: the top bucket */
					continue;
				}
				assert_true(vs[j] <= t[i - g.imin]);
				assert_true(i == g.imin || vs[j] > t[i - g.imin - 1]);
			}
		}
		/* and agrees with the math away from the edges */
		for (int r = 0; r < 2000; r++) {
			uint64_t v = rnd_dur(41);
			double x = log2((double)v / 1e9) * ldexp(1.0, s);
			int32_t i = fl_native_index(&g, t, v);

			if (fabs(x - nearbyint(x)) > 1e-6)
				assert_int_equal(i, (int32_t)ceil(x));
		}
		free(t);
	}
	assert_int_equal(fl_native_geom(-5, &(struct fl_native_geom){ 0 }), -1);
	assert_int_equal(fl_native_geom(9, &(struct fl_native_geom){ 0 }), -1);
}

/* Spans and deltas decode back to the counts (first offset absolute, then gaps). */
static void check_spans(const struct fl_native *h)
{
	struct fl_native_span *sp;
	int64_t *dl, cur = 0;
	size_t ns, nd, d = 0;
	uint64_t *got = calloc(h->n ? h->n : 1, sizeof(*got));
	int32_t idx = 0;

	assert_int_equal(fl_native_spans(h, &sp, &ns, &dl, &nd), 0);
	assert_true(ns >= 1);
	for (size_t k = 0; k < ns; k++) {
		idx += sp[k].offset;
		for (uint32_t j = 0; j < sp[k].length; j++, idx++) {
			assert_true(d < nd);
			cur += dl[d++];
			assert_true(idx >= h->imin && idx < h->imin + (int32_t)h->n);
			got[idx - h->imin] = (uint64_t)cur;
		}
	}
	assert_int_equal(d, nd);
	for (uint32_t i = 0; i < h->n; i++)
		assert_int_equal(got[i], h->counts[i]);
	free(got);
	free(sp);
	free(dl);
}

static void test_native_spans(void **state)
{
	struct fl_native_geom g;

	(void)state;
	assert_int_equal(fl_native_geom(3, &g), 0);
	for (int r = 0; r < 300; r++) {
		struct fl_native *h = fl_native_new(&g);
		int nz = (int)(rnd() % 40);

		for (int k = 0; k < nz; k++)
			h->counts[rnd() % (r % 2 ? 12 : h->n)] += rnd() % (r % 3 ? 5 : 100000);
		check_spans(h);
		free(h);
	}
	/* empty: one no-op span {0, 0}, no deltas */
	{
		struct fl_native *h = fl_native_new(&g);
		struct fl_native_span *sp;
		int64_t *dl;
		size_t ns, nd;

		h->zero = 3;
		assert_int_equal(fl_native_spans(h, &sp, &ns, &dl, &nd), 0);
		assert_int_equal(ns, 1);
		assert_int_equal(sp[0].offset, 0);
		assert_int_equal(sp[0].length, 0);
		assert_int_equal(nd, 0);
		free(sp);
		free(dl);
		free(h);
	}
}

/* ---- content negotiation ------------------------------------------------ */

static void test_negotiate(void **state)
{
	static const struct {
		const char *accept;
		enum fl_expo_fmt want;
		int om001;
	} t[] = {
		{ NULL, FL_EXPO_TEXT, 0 },
		{ "", FL_EXPO_TEXT, 0 },
		{ "*/*", FL_EXPO_TEXT, 0 },
		{ "text/plain", FL_EXPO_TEXT, 0 },
		{ "text/plain;version=0.0.4", FL_EXPO_TEXT, 0 },
		{ "text/plain;version=9.9.9", FL_EXPO_TEXT, 0 },
		{ "application/json", FL_EXPO_TEXT, 0 },
		{ "application/openmetrics-text", FL_EXPO_OPENMETRICS, 0 },
		{ "application/openmetrics-text; version=0.0.1", FL_EXPO_OPENMETRICS, 1 },
		{ "application/openmetrics-text; version=2.0.0", FL_EXPO_TEXT, 0 },
		{ "application/vnd.google.protobuf", FL_EXPO_TEXT, 0 },
		{ "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
		  FL_EXPO_TEXT, 0 },
		{ "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
		  FL_EXPO_PROTOBUF, 0 },
		/* Prometheus 2.42 without and with --enable-feature=native-histograms (captured) */
		{ "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
		  "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", FL_EXPO_OPENMETRICS, 0 },
		{ "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
		  "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;"
		  "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", FL_EXPO_PROTOBUF, 0 },
		{ "text/plain;q=0.9, application/openmetrics-text;q=0.3", FL_EXPO_TEXT, 0 },
		{ "application/openmetrics-text;q=0, */*", FL_EXPO_TEXT, 0 },
		{ "text/plain;q=0, application/openmetrics-text;q=0.2", FL_EXPO_OPENMETRICS, 0 },
		{ "text/plain;q=0", FL_EXPO_TEXT, 0 },
		{ "application/*;q=0.5, text/plain;q=0.4", FL_EXPO_OPENMETRICS, 0 },
		{ "TEXT/PLAIN ; Version=\"0.0.4\" ; Q=1", FL_EXPO_TEXT, 0 },
		{ "text/plain;q=abc, application/openmetrics-text", FL_EXPO_OPENMETRICS, 0 },
		{ "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;q=0.5", FL_EXPO_OPENMETRICS, 0 },
		{ "text/plain;q=0.5,application/openmetrics-text;q=0.5", FL_EXPO_TEXT, 0 },
		{ "application/openmetrics-text;q=1.5", FL_EXPO_TEXT, 0 },
		{ ",,;,garbage", FL_EXPO_TEXT, 0 },
		{ "a/b;" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=\"y\\\"", FL_EXPO_TEXT, 0 },
	};
	int om001;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum fl_expo_fmt got = fl_negotiate(t[i].accept, FL_EXPO_ALL, &om001);

		if (got != t[i].want || om001 != t[i].om001)
			fail_msg("'%s': got %d/%d, want %d/%d", t[i].accept ? t[i].accept : "(none)",
				 got, om001, t[i].want, t[i].om001);
	}
	/* a format that is not offered is never chosen */
	assert_int_equal(fl_negotiate(t[14].accept, 1U << FL_EXPO_TEXT | 1U << FL_EXPO_OPENMETRICS,
				      &om001), FL_EXPO_OPENMETRICS);
	assert_int_equal(fl_negotiate(t[14].accept, 1U << FL_EXPO_TEXT, &om001), FL_EXPO_TEXT);
	assert_string_equal(fl_expo_content_type(FL_EXPO_TEXT, 0),
			    "text/plain; version=0.0.4; charset=utf-8");
}

/* ---- OpenMetrics ---------------------------------------------------------- */

static char *render_fmt(enum fl_expo_fmt f, const struct fl_snapshot *s,
			const struct fl_render_opts *o, size_t *len)
{
	struct strbuf sb;
	char *r;

	strbuf_init(&sb);
	fl_render_expo(f, s, o, &sb);
	assert_false(sb.oom);
	r = malloc(sb.len + 1);
	memcpy(r, strbuf_str(&sb), sb.len + 1);
	if (len)
		*len = sb.len;
	strbuf_free(&sb);
	return r;
}

/* snap_rich plus what a --listen reader adds: exemplars, a native histogram, a window. */
static void snap_listen(struct fl_snapshot *s, int schema)
{
	static const uint64_t extra[] = { 40000000000ULL /* above the top bound */ };
	struct fl_native_geom g;
	uint64_t *t;

	snap_rich(s);
	snap_record(s, extra[0]);
	assert_int_equal(fl_native_geom(schema, &g), 0);
	t = calloc(1U << g.steps, sizeof(*t));
	fl_native_thresholds(&g, t);
	s->native = fl_native_new(&g);
	s->ex = calloc(FL_HIST_NBUCKETS, sizeof(*s->ex));
	for (__u32 i = 0; i < FL_HIST_NBUCKETS; i++) {
		uint64_t lo = fl_hist_bucket_lo(i);

		/* the histogram's contents as the BPF side would have counted them */
		for (uint64_t c = 0; c < s->hist[i]; c++) {
			uint64_t v = lo;

			if (v)
				s->native->counts[fl_native_index(&g, t, v) - g.imin]++;
			else
				s->native->zero++;
		}
		if (s->hist[i])
			s->ex[i] = (struct fl_exemplar){ lo, 1764097200123456789ULL + i, 4242, 430000 + i, 1 };
	}
	s->window_ns = 61000000000ULL;
	metastore_record_duration(&s->window, 250000);
	metastore_record_duration(&s->window, 1500000);
	free(t);
}

static void test_openmetrics(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	char *txt, *l, *save = NULL, prev_type[256] = "";
	int nex = 0, eof = 0, nlines = 0;
	char kv[] = "host=h\"1";

	(void)state;
	snap_listen(&s, 3);
	fl_render_opts_default(&o);
	assert_int_equal(fl_label_set_parse(kv, &o, NULL, 0), 0);
	txt = render_fmt(FL_EXPO_OPENMETRICS, &s, &o, NULL);
	assert_true(strlen(txt) > 6 && !strcmp(txt + strlen(txt) - 6, "# EOF\n"));
	assert_non_null(strstr(txt, "# TYPE flushlat_meta_flush_duration_seconds histogram\n"
				    "# UNIT flushlat_meta_flush_duration_seconds seconds\n"
				    "# HELP flushlat_meta_flush_duration_seconds "));
	/* counters: the family without _total, the series with it */
	assert_non_null(strstr(txt, "# TYPE flushlat_meta_flush_unmatched counter\n"));
	assert_non_null(strstr(txt, "\nflushlat_meta_flush_unmatched_total{subsystem=\"wal_meta\","
				    "host=\"h\\\"1\"} 1\n"));
	assert_null(strstr(txt, "# TYPE flushlat_meta_flush_unmatched_total"));
	assert_non_null(strstr(txt, "# UNIT flushlat_bpf_program_run_time_seconds seconds\n"));
	assert_null(strstr(txt, "# UNIT flushlat_meta_flush_in_flight"));
	/* the window gauges */
	assert_non_null(strstr(txt, "\nflushlat_meta_flush_window_seconds{subsystem=\"wal_meta\","
				    "host=\"h\\\"1\"} 61\n"));
	assert_non_null(strstr(txt, "\nflushlat_meta_flush_window_max_seconds{subsystem=\"wal_meta\","
				    "host=\"h\\\"1\"} 0.0015\n"));
	/* exemplars: only on buckets, inside their bucket, pid/tid, a timestamp */
	for (l = strtok_r(txt, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		const char *ex = strstr(l, " # {");

		nlines++;
		assert_false(eof); /* # EOF is the last line */
		if (!strcmp(l, "# EOF")) {
			eof = 1;
			continue;
		}
		if (!strncmp(l, "# TYPE ", 7))
			snprintf(prev_type, sizeof(prev_type), "%s", l);
		if (!ex)
			continue;
		nex++;
		assert_non_null(strstr(l, "_bucket{"));
		assert_non_null(strstr(ex, "{pid=\"4242\",tid=\"43"));
		{
			double v, ts, le;
			const char *les = strstr(l, "le=\"") + 4;

			assert_int_equal(sscanf(strchr(ex, '}') + 1, "%lf %lf", &v, &ts), 2);
			le = !strncmp(les, "+Inf", 4) ? INFINITY : strtod(les, NULL);
			assert_true(v <= le);
			assert_true(ts > 1764097200.0 && ts < 1764097300.0);
		}
	}
	assert_true(eof);
	assert_true(nex >= 10); /* one per non-empty classic bucket */
	assert_true(nlines > 100);
	free(txt);
	/* the exposition has the same le set as the text format, and +Inf holds the 40 s one */
	txt = render_fmt(FL_EXPO_OPENMETRICS, &s, &o, NULL);
	assert_non_null(strstr(txt, "le=\"+Inf\"} 14 # {pid=\"4242\""));
	free(txt);
	snap_free(&s);
}

/* An exemplar whose labels exceed 128 characters is dropped, not truncated. */
static void test_exemplar_limit(void **state)
{
	char v60[61], v70[71];
	struct prom_label l[2] = { { "a", v60 }, { "b", v70 } };
	struct prom_exemplar ex = { l, 2, "1", NULL };
	struct prom_writer w;
	struct strbuf sb;

	(void)state;
	memset(v60, 'x', 60);
	v60[60] = '\0';
	memset(v70, 'y', 70);
	v70[70] = '\0';
	strbuf_init(&sb);
	prom_writer_init_sep(&w, &sb, ",");
	prom_writer_set_openmetrics(&w);
	prom_writer_sample_ex(&w, "x_bucket", NULL, 0, "1", &ex); /* 1+60+1+70 = 132 */
	assert_string_equal(strbuf_str(&sb), "x_bucket 1\n");
	v70[64] = '\0'; /* 1+60+1+64 = 126 */
	strbuf_reset(&sb);
	prom_writer_sample_ex(&w, "x_bucket", NULL, 0, "1", &ex);
	assert_non_null(strstr(strbuf_str(&sb), "x_bucket 1 # {a=\""));
	strbuf_free(&sb);
}

/* Every host, every scrape: the same le set, empty buckets included. */
static void test_same_layout(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot a, b;
	char *ta, *tb, *la, *lb, *sa = NULL, *sb = NULL;
	int n = 0;

	(void)state;
	fl_render_opts_default(&o);
	snap_init(&a);
	snap_init(&b);
	for (int i = 0; i < 1000; i++)
		snap_record(&b, 20000 + rnd() % 80000); /* tens of us */
	for (int f = FL_EXPO_TEXT; f <= FL_EXPO_OPENMETRICS; f++) {
		ta = render_fmt((enum fl_expo_fmt)f, &a, &o, NULL);
		tb = render_fmt((enum fl_expo_fmt)f, &b, &o, NULL);
		la = strtok_r(ta, "\n", &sa);
		lb = strtok_r(tb, "\n", &sb);
		n = 0;
		while (la && lb) {
			const char *lea = strstr(la, "le=\""), *leb = strstr(lb, "le=\"");

			assert_true(!lea == !leb);
			if (lea) {
				assert_memory_equal(lea, leb, (size_t)(strchr(lea + 4, '"') - lea));
				n++;
			}
			la = strtok_r(NULL, "\n", &sa);
			lb = strtok_r(NULL, "\n", &sb);
		}
		assert_int_equal(n, 98);
		free(ta);
		free(tb);
	}
	snap_free(&a);
	snap_free(&b);
}

/* ---- protobuf ----------------------------------------------------------------- */

/* The varint length of the message at *p, advancing p. */
static size_t delim(const uint8_t **p, const uint8_t *end)
{
	size_t n = 0;
	int shift = 0;

	while (*p < end) {
		uint8_t b = *(*p)++;

		n |= (size_t)(b & 0x7f) << shift;
		shift += 7;
		if (b < 0x80)
			return n;
	}
	fail_msg("truncated length");
	return 0;
}

typedef Io__Prometheus__Client__MetricFamily MF;

/* Decodes every message; each must re-encode to the very same bytes. */
static size_t decode_all(const char *buf, size_t len, MF **out, size_t max)
{
	const uint8_t *p = (const uint8_t *)buf, *end = p + len;
	size_t n = 0;

	while (p < end) {
		size_t m = delim(&p, end);
		uint8_t *re;
		MF *mf;

		assert_true(m <= (size_t)(end - p));
		mf = io__prometheus__client__metric_family__unpack(NULL, m, p);
		assert_non_null(mf);
		re = malloc(m ? m : 1);
		assert_int_equal(io__prometheus__client__metric_family__pack(mf, re), m);
		assert_memory_equal(re, p, m);
		free(re);
		assert_true(n < max);
		out[n++] = mf;
		p += m;
	}
	return n;
}

static MF *find_mf(MF **mf, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(mf[i]->name, name))
			return mf[i];
	fail_msg("no family %s", name);
	return NULL;
}

static void test_protobuf(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	struct fl_buckets b;
	MF *mf[64];
	size_t len, n, nex = 0;
	char *buf, kv[] = "host=h\xc3\xa9\"1";
	uint64_t *cum;

	(void)state;
	snap_listen(&s, 3);
	fl_render_opts_default(&o);
	assert_int_equal(fl_label_set_parse(kv, &o, NULL, 0), 0);
	buf = render_fmt(FL_EXPO_PROTOBUF, &s, &o, &len);
	n = decode_all(buf, len, mf, 64);
	{
		MF *h = find_mf(mf, n, "flushlat_meta_flush_duration_seconds");
		Io__Prometheus__Client__Histogram *hg;
		struct fl_native *back;
		int64_t cur = 0;
		int32_t idx = 0;
		size_t d = 0;

		assert_int_equal(h->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
		assert_int_equal(h->n_metric, 1);
		assert_int_equal(h->metric[0]->n_label, 2);
		assert_string_equal(h->metric[0]->label[0]->name, "subsystem");
		assert_string_equal(h->metric[0]->label[1]->value, "h\xc3\xa9\"1");
		hg = h->metric[0]->histogram;
		assert_non_null(hg);
		assert_int_equal(hg->sample_count, s.ms.maintenance_meta_flush.samples.value);
		assert_true(hg->sample_sum == (double)s.ms.maintenance_meta_flush.total_ns.value / 1e9);
		/* classic buckets: the fixed layout, exact, one exemplar (the slowest below +Inf... */
		fl_buckets_default(&b);
		assert_int_equal(hg->n_bucket, fl_buckets_count(&b));
		cum = calloc(hg->n_bucket, sizeof(*cum));
		fl_buckets_cumulative(&b, s.hist, cum);
		for (size_t j = 0; j < hg->n_bucket; j++) {
			assert_int_equal(hg->bucket[j]->cumulative_count, cum[j]);
			assert_true(hg->bucket[j]->upper_bound == (double)fl_buckets_le_ns(&b, j) / 1e9);
			if (hg->bucket[j]->exemplar) {
				nex++;
				assert_int_equal(hg->bucket[j]->exemplar->n_label, 2);
				assert_string_equal(hg->bucket[j]->exemplar->label[0]->name, "pid");
				assert_string_equal(hg->bucket[j]->exemplar->label[0]->value, "4242");
				assert_true(hg->bucket[j]->exemplar->value <= hg->bucket[j]->upper_bound);
				assert_int_equal(hg->bucket[j]->exemplar->timestamp->seconds, 1764097200);
			}
		}
		/* ...is in +Inf here (the 40 s flush): Prometheus reads one per scrape anyway */
		assert_int_equal(nex, 0);
		free(cum);
		/* native: schema, zero threshold 2^-128, spans and deltas back to the counts */
		assert_int_equal(hg->schema, 3);
		assert_true(hg->zero_threshold == ldexp(1.0, -128));
		assert_int_equal(hg->zero_count, s.native->zero);
		back = fl_native_dup(s.native);
		memset(back->counts, 0, back->n * sizeof(back->counts[0]));
		for (size_t k = 0; k < hg->n_positive_span; k++) {
			idx += hg->positive_span[k]->offset;
			for (uint32_t j = 0; j < hg->positive_span[k]->length; j++, idx++) {
				cur += hg->positive_delta[d++];
				back->counts[idx - back->imin] = (uint64_t)cur;
			}
		}
		assert_int_equal(d, hg->n_positive_delta);
		assert_memory_equal(back->counts, s.native->counts, back->n * sizeof(back->counts[0]));
		assert_int_equal(fl_native_count(back), hg->sample_count);
		free(back);
	}
	{
		MF *c = find_mf(mf, n, "flushlat_meta_flush_unmatched_total");
		MF *g = find_mf(mf, n, "flushlat_meta_flush_window_max_seconds");
		MF *p = find_mf(mf, n, "flushlat_process_meta_flush_count_total");

		assert_int_equal(c->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
		assert_true(c->metric[0]->counter->value == 1.0);
		assert_int_equal(g->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE);
		assert_true(g->metric[0]->gauge->value == 0.0015);
		assert_int_equal(p->n_metric, 2);
		assert_int_equal(p->metric[0]->n_label, 4); /* subsystem, host, pid, comm */
		assert_string_equal(p->metric[0]->label[2]->name, "pid");
	}
	for (size_t i = 0; i < n; i++)
		io__prometheus__client__metric_family__free_unpacked(mf[i], NULL);
	free(buf);
	/* without the 40 s flush the slowest is on a finite bucket: exactly one exemplar */
	s.ex[fl_hist_bucket(40000000000ULL)].value_ns = 0;
	buf = render_fmt(FL_EXPO_PROTOBUF, &s, &o, &len);
	n = decode_all(buf, len, mf, 64);
	{
		Io__Prometheus__Client__Histogram *hg =
			find_mf(mf, n, "flushlat_meta_flush_duration_seconds")->metric[0]->histogram;

		nex = 0;
		for (size_t j = 0; j < hg->n_bucket; j++)
			if (hg->bucket[j]->exemplar) {
				nex++;
				/* the 2 s flush, the slowest below +Inf (at its bucket's floor here) */
				assert_true(hg->bucket[j]->exemplar->value ==
					    (double)fl_hist_bucket_lo(fl_hist_bucket(2000000000)) / 1e9);
			}
		assert_int_equal(nex, 1);
	}
	for (size_t i = 0; i < n; i++)
		io__prometheus__client__metric_family__free_unpacked(mf[i], NULL);
	free(buf);
	snap_free(&s);
}

/*
 * Every family of the model goes through every format: with a snapshot that
 * has all of them (failed flushes by errno and the flush anatomy's included),
 * each is in text 0.0.4, OpenMetrics and protobuf, with the same series
 * count.  A family added to fl_families without its series in the fixture
 * fails here.
 */
static void test_every_family(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	struct fl_expo e;
	char *txt, *om, *buf, name[288], line[320];
	MF *mf[64];
	size_t len, n;

	(void)state;
	snap_listen(&s, 3);
	s.prev_scrape_ns = 156000;
	/* the flush anatomy's families: every part of snap_anatomy() */
	{
		struct fl_snapshot a;

		snap_anatomy(&a);
		s.an = a.an;
		a.an = NULL;
		snap_free(&a);
	}
	fl_render_opts_default(&o);
	assert_int_equal(fl_expo_build(&e, &s, &o), 0);
	txt = render_fmt(FL_EXPO_TEXT, &s, &o, NULL);
	om = render_fmt(FL_EXPO_OPENMETRICS, &s, &o, NULL);
	buf = render_fmt(FL_EXPO_PROTOBUF, &s, &o, &len);
	n = decode_all(buf, len, mf, 64);
	assert_int_equal(n, FL_F_NR);
	for (int id = 0; id < FL_F_NR; id++) {
		int counter = fl_families[id].type == FL_MT_COUNTER;
		size_t want = id == FL_F_DURATION ? 1 : e.fam[id].n;
		MF *f;

		if (id != FL_F_DURATION && !want)
			fail_msg("family %s has no series in the fixture", fl_families[id].name);
		fl_expo_name(&e, (enum fl_family_id)id, counter ? "_total" : "", name, sizeof(name));
		snprintf(line, sizeof(line), "# TYPE %s ", name);
		assert_non_null(strstr(txt, line));
		fl_expo_name(&e, (enum fl_family_id)id, "", name, sizeof(name));
		snprintf(line, sizeof(line), "# TYPE %s ", name);
		assert_non_null(strstr(om, line));
		fl_expo_name(&e, (enum fl_family_id)id, counter ? "_total" : "", name, sizeof(name));
		f = find_mf(mf, n, name);
		assert_int_equal(f->n_metric, want);
	}
	/* the failed flushes, by errno number, "other" last, in each format */
	assert_non_null(strstr(txt, "\nflushlat_meta_flush_failed_total{subsystem=\"wal_meta\"} 4\n"
				    "# HELP flushlat_meta_flush_failed_by_errno_total "));
	assert_non_null(strstr(txt, "_by_errno_total{subsystem=\"wal_meta\",errno=\"EIO\"} 2\n"
				    "flushlat_meta_flush_failed_by_errno_total{subsystem=\"wal_meta\","
				    "errno=\"ENOSPC\"} 1\n"
				    "flushlat_meta_flush_failed_by_errno_total{subsystem=\"wal_meta\","
				    "errno=\"other\"} 1\n"));
	assert_non_null(strstr(om, "# TYPE flushlat_meta_flush_failed counter\n"));
	assert_non_null(strstr(om, "\nflushlat_meta_flush_failed_by_errno_total{subsystem=\"wal_meta\","
				   "errno=\"ENOSPC\"} 1\n"));
	{
		MF *f = find_mf(mf, n, "flushlat_meta_flush_failed_by_errno_total");

		assert_int_equal(f->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
		assert_string_equal(f->metric[1]->label[1]->name, "errno");
		assert_string_equal(f->metric[1]->label[1]->value, "ENOSPC");
		assert_true(f->metric[1]->counter->value == 1.0);
		assert_true(find_mf(mf, n, "flushlat_meta_flush_failed_total")->metric[0]->counter->value
			    == 4.0);
	}
	for (size_t i = 0; i < n; i++)
		io__prometheus__client__metric_family__free_unpacked(mf[i], NULL);
	free(txt);
	free(om);
	free(buf);
	/* failed flushes unknown (no probe): neither family, in any format */
	s.failed_known = 0;
	txt = render_fmt(FL_EXPO_TEXT, &s, &o, NULL);
	om = render_fmt(FL_EXPO_OPENMETRICS, &s, &o, NULL);
	buf = render_fmt(FL_EXPO_PROTOBUF, &s, &o, &len);
	n = decode_all(buf, len, mf, 64);
	assert_null(strstr(txt, "failed"));
	assert_null(strstr(om, "failed"));
	assert_int_equal(n, FL_F_NR - 2);
	for (size_t i = 0; i < n; i++) {
		assert_null(strstr(mf[i]->name, "failed"));
		io__prometheus__client__metric_family__free_unpacked(mf[i], NULL);
	}
	free(txt);
	free(om);
	free(buf);
	fl_expo_free(&e);
	snap_free(&s);
}

/* An empty native histogram: native from the first scrape (zero threshold, no-op span). */
static void test_protobuf_empty(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	struct fl_native_geom g;
	MF *mf[64];
	size_t len, n;
	char *buf;

	(void)state;
	snap_init(&s);
	assert_int_equal(fl_native_geom(-4, &g), 0);
	s.native = fl_native_new(&g);
	fl_render_opts_default(&o);
	buf = render_fmt(FL_EXPO_PROTOBUF, &s, &o, &len);
	n = decode_all(buf, len, mf, 64);
	{
		Io__Prometheus__Client__Histogram *hg =
			find_mf(mf, n, "flushlat_meta_flush_duration_seconds")->metric[0]->histogram;

		assert_int_equal(hg->sample_count, 0);
		assert_int_equal(hg->schema, -4);
		assert_true(hg->zero_threshold > 0);
		assert_int_equal(hg->n_positive_span, 1);
		assert_int_equal(hg->positive_span[0]->offset, 0);
		assert_int_equal(hg->positive_span[0]->length, 0);
		assert_int_equal(hg->n_positive_delta, 0);
		assert_int_equal(hg->n_bucket, 97);
	}
	for (size_t i = 0; i < n; i++)
		io__prometheus__client__metric_family__free_unpacked(mf[i], NULL);
	free(buf);
	snap_free(&s);
}

/*
 * Random snapshots, long label values (lengths of 1, 2 and 3 varint bytes)
 * and many processes: every message decodes and re-encodes identically.
 */
static void test_protobuf_random(void **state)
{
	static char big[20000];
	MF *mf[64];

	(void)state;
	memset(big, 'v', sizeof(big) - 1);
	for (int round = 0; round < 60; round++) {
		struct fl_render_opts o;
		struct fl_snapshot s;
		struct fl_native_geom g;
		char kv[sizeof(big) + 8];
		size_t len, n;
		char *buf;
		uint64_t *t;

		snap_init(&s);
		assert_int_equal(fl_native_geom((int)(rnd() % 13) - 4, &g), 0);
		t = calloc(1U << g.steps, sizeof(*t));
		fl_native_thresholds(&g, t);
		s.native = fl_native_new(&g);
		for (int k = 0, m = (int)(rnd() % 3000); k < m; k++) {
			uint64_t v = rnd() % 50 ? rnd_dur(42) : 0;

			snap_record(&s, v);
			if (v)
				s.native->counts[fl_native_index(&g, t, v) - g.imin]++;
			else
				s.native->zero++;
		}
		for (int p = 0, np = (int)(rnd() % 300); p < np; p++)
			metastore_record_duration(&snap_add_proc(&s, 1000 + (uint32_t)p, "rec")->ms, 5);
		fl_render_opts_default(&o);
		big[rnd() % 17000] = '\0';
		snprintf(kv, sizeof(kv), "k=%s", big);
		assert_int_equal(fl_label_set_parse(kv, &o, NULL, 0), 0);
		buf = render_fmt(FL_EXPO_PROTOBUF, &s, &o, &len);
		n = decode_all(buf, len, mf, 64);
		assert_true(n >= 6);
		for (size_t i = 0; i < n; i++)
			io__prometheus__client__metric_family__free_unpacked(mf[i], NULL);
		memset(big, 'v', sizeof(big) - 1);
		free(buf);
		free(t);
		snap_free(&s);
	}
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	for (; v >= 128; v >>= 7)
		n++;
	return n;
}

/* The writer itself: varint and length boundaries. */
static void test_pbenc(void **state)
{
	static const uint64_t v[] = { 0, 1, 127, 128, 16383, 16384, 2097151, 2097152, UINT64_MAX };
	struct strbuf sb;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const uint8_t *p;
		size_t m, got = 0;
		int shift = 0;

		strbuf_init(&sb);
		pb_varint(&sb, v[i]);
		p = (const uint8_t *)sb.buf;
		for (size_t k = 0; k < sb.len; k++, shift += 7)
			got |= (size_t)(p[k] & 0x7f) << shift;
		if (v[i] != UINT64_MAX)
			assert_int_equal(got, v[i]);
		assert_int_equal(sb.len, varint_len(v[i]));
		strbuf_free(&sb);
		/* a nested body of v[i] bytes gets a length of the right size */
		if (v[i] > 100000)
			continue;
		strbuf_init(&sb);
		m = pb_begin(&sb, 4);
		for (uint64_t k = 0; k < v[i]; k++)
			strbuf_append(&sb, "x", 1);
		pb_end(&sb, m);
		p = (const uint8_t *)sb.buf;
		assert_int_equal(p[0], 4 << 3 | 2);
		p++;
		assert_int_equal(delim(&p, (const uint8_t *)sb.buf + sb.len), v[i]);
		assert_int_equal((size_t)((const uint8_t *)sb.buf + sb.len - p), v[i]);
		strbuf_free(&sb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_float),
		cmocka_unit_test(test_buckets_default),
		cmocka_unit_test(test_buckets_errors),
		cmocka_unit_test(test_buckets_exact),
		cmocka_unit_test(test_buckets_exemplars),
		cmocka_unit_test(test_native_geom),
		cmocka_unit_test(test_native_spans),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_exemplar_limit),
		cmocka_unit_test(test_same_layout),
		cmocka_unit_test(test_pbenc),
		cmocka_unit_test(test_protobuf),
		cmocka_unit_test(test_protobuf_empty),
		cmocka_unit_test(test_every_family),
		cmocka_unit_test(test_protobuf_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
