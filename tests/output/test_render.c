// SPDX-License-Identifier: MIT
/*
 * Rendering: the text dump block byte-identical to the reference, the extra
 * text lines, JSON shape/round trip/errors, Prometheus compat (exact
 * reference lines) and default (histogram invariants, labels, escaping).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "format.h"
#include "hist_text.h"
#include "snapshot_read.h"
#include "percentile.h"
#include "render.h"
#include "snapfix.h"

static char *render(enum fl_format f, const struct fl_snapshot *s, const struct fl_render_opts *o)
{
	struct strbuf sb;
	char *r;

	strbuf_init(&sb);
	fl_render(f, s, o, &sb);
	assert_false(sb.oom);
	r = strdup(strbuf_str(&sb));
	strbuf_free(&sb);
	assert_non_null(r);
	return r;
}

static char *dump_ref(const struct metastore *ms, const char *label)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	assert_non_null(f);
	metastore_dump(ms, label, f);
	fclose(f);
	return mem;
}

#define RULE "-----------------------------------------------------------------\n"

/* The histogram lines the text report ends with (tested in test_hist.c). */
static const char *hist_text(const struct fl_snapshot *s)
{
	static char buf[2048];
	struct strbuf sb;

	strbuf_init(&sb);
	fl_render_hist_text(s, 0, &sb);
	snprintf(buf, sizeof(buf), "%s", strbuf_str(&sb));
	strbuf_free(&sb);
	return buf;
}

/* ---- text --------------------------------------------------------------- */

static void check_dump(const uint64_t *d, size_t n, const char *line3)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	char *txt, *ref, want[512];
	size_t i;

	snap_init(&s);
	for (i = 0; i < n; i++)
		snap_record(&s, d[i]);
	fl_render_opts_default(&o);
	txt = render(FL_FMT_TEXT, &s, &o);
	ref = dump_ref(&s.ms, "Meta Store");
	/* The reference document's block, written out literally. */
	snprintf(want, sizeof(want), "[Meta Store Metrics] Snapshot:\n" RULE "%s\n" RULE, line3);
	assert_string_equal(ref, want);
	if (strncmp(txt, want, strlen(want)) != 0)
		fail_msg("text output does not start with the dump block:\n%s", txt);
	free(txt);
	free(ref);
}

static void test_text_dump_block(void **state)
{
	static const uint64_t d1[] = { 1234 }, d2[] = { 99950 }, d3[] = { 1000000, 3000000 },
			      d4[] = { 5, 7 };

	(void)state;
	check_dump(NULL, 0, " Meta flush: samples=0");
	check_dump(d1, 1, " Meta flush: samples=1 total=1.23 us");
	check_dump(d2, 1, " Meta flush: samples=1 total=100.0 us");
	check_dump(d3, 2, " Meta flush: samples=2 total=4.00 ms min=1.00 ms max=3.00 ms "
			  "avg=2.00 ms inv(avg)=500  ops/s");
	check_dump(d4, 2, " Meta flush: samples=2 total=12.0 ns min=5.00 ns max=7.00 ns "
			  "avg=6.00 ns inv(avg)=167 M ops/s");
}

static void test_text_label(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	char *txt;

	(void)state;
	snap_init(&s);
	snap_record(&s, 1234);
	fl_render_opts_default(&o);
	assert_string_equal(o.label, "Meta Store");
	assert_string_equal(o.prefix, "flushlat");
	assert_int_equal(o.compat, 0);
	o.label = "WAL shard 3";
	txt = render(FL_FMT_TEXT, &s, &o);
	assert_true(!strncmp(txt, "[WAL shard 3 Metrics] Snapshot:\n" RULE, strlen("[WAL shard 3 Metrics] Snapshot:\n" RULE)));
	free(txt);
}

static void test_text_extra_lines(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	const struct duration64 *d = &s.ms.maintenance_meta_flush;
	char *txt, *ref, want[8192], b[4][32], age[32], p0[256], p1[256];
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	int i;

	(void)state;
	snap_rich(&s);
	fl_render_opts_default(&o);
	txt = render(FL_FMT_TEXT, &s, &o);
	ref = dump_ref(&s.ms, "Meta Store");
	for (i = 0; i < 4; i++)
		fmt_duration(b[i], sizeof(b[i]),
			     fl_hist_percentile(s.hist, qs[i], d->min_ns.value, d->max_ns.value));
	fmt_duration(age, sizeof(age), s.oldest_age_ns);
	duration64_str(&s.procs[0].ms.maintenance_meta_flush, p0, sizeof(p0));
	duration64_str(&s.procs[1].ms.maintenance_meta_flush, p1, sizeof(p1));
	snprintf(want, sizeof(want),
		 "%s Percentiles: p50=%s p90=%s p99=%s p99.9=%s\n"
		 " In flight: 2 (oldest %s)\n"
		 " Unmatched completions: 1  Dropped: 3\n"
		 " Failed flushes: 4 (EIO 2, ENOSPC 1, other 1)\n"
		 " pid 4242 (rec \"q\\?): %s\n"
		 " pid 4343 (0123456789abcdef): %s\n%s",
		 ref, b[0], b[1], b[2], b[3], age, p0, p1, hist_text(&s));
	assert_string_equal(txt, want);
	assert_string_equal(age, "7.50 ms");
	/* p50 of 13 samples is the 7th smallest, 800 us: within its bucket. */
	assert_non_null(strstr(txt, " p50=8"));
	free(txt);
	free(ref);
	snap_free(&s);
}

static void test_text_empty_and_single_proc(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	char *txt, *ref, want[512];

	(void)state;
	snap_init(&s);
	fl_render_opts_default(&o);
	txt = render(FL_FMT_TEXT, &s, &o);
	ref = dump_ref(&s.ms, "Meta Store");
	snprintf(want, sizeof(want),
		 "%s In flight: 0\n Unmatched completions: 0  Dropped: 0\n"
		 " Failed flushes: unknown (no flashstrike:meta_flush_failed probe)\n", ref);
	assert_string_equal(txt, want); /* no percentile line without samples */
	free(txt);
	free(ref);

	/* One process: no per-process line (it would repeat " Meta flush:"). */
	snap_record(&s, 1000);
	metastore_record_duration(&snap_add_proc(&s, 7, "one")->ms, 1000);
	txt = render(FL_FMT_TEXT, &s, &o);
	assert_null(strstr(txt, " pid "));
	assert_non_null(strstr(txt, " Percentiles: p50=1.00 us p90=1.00 us p99=1.00 us p99.9=1.00 us\n"));
	free(txt);
	snap_free(&s);
}

/* --lean: only meta_flush_done traced, in-flight and unmatched unknown. */
static void test_lean(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s, back;
	char *txt, *ref, want[1024], err[256];

	(void)state;
	snap_init(&s);
	snap_record(&s, 1000);
	s.lean = 1;
	s.dropped = 4;
	fl_render_opts_default(&o);
	txt = render(FL_FMT_TEXT, &s, &o);
	ref = dump_ref(&s.ms, "Meta Store");
	snprintf(want, sizeof(want),
		 "%s Percentiles: p50=1.00 us p90=1.00 us p99=1.00 us p99.9=1.00 us\n"
		 " In flight: unknown (--lean)\n Unmatched completions: unknown  Dropped: 4\n"
		 " Failed flushes: unknown (no flashstrike:meta_flush_failed probe)\n"
		 " Histogram (flushes per latency range):\n"
		 "   512 ns .. 1.02 us 1 |****************************************| p50 p99\n", ref);
	assert_string_equal(txt, want);
	free(txt);
	free(ref);

	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	assert_null(strstr(txt, "in_flight"));
	assert_null(strstr(txt, "unmatched"));
	assert_non_null(strstr(txt, "flushlat_meta_flush_dropped_total{subsystem=\"wal_meta\"} 4\n"));
	free(txt);

	txt = render(FL_FMT_JSON, &s, &o);
	assert_non_null(strstr(txt, ",\"lean\":true}"));
	/* unknown is null, never a zero that looks measured */
	assert_non_null(strstr(txt, "\"in_flight\":{\"count\":null,\"oldest_age_ns\":null}"));
	assert_non_null(strstr(txt, "\"unmatched\":null"));
	assert_int_equal(fl_snapshot_from_json(txt, &back, err, sizeof(err)), 0);
	assert_int_equal(back.lean, 1);
	free(txt);
	s.lean = 0;
	txt = render(FL_FMT_JSON, &s, &o);
	assert_null(strstr(txt, "lean"));
	free(txt);
	s.lean = 1;
	txt = render(FL_FMT_JSON, &s, &o);
	/* "lean" closes the object: rewrite the tail in place (it only gets shorter). */
	strcpy(strstr(txt, "\"lean\":true}"), "\"lean\":1}");
	assert_int_equal(fl_snapshot_from_json(txt, &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "lean: expected a boolean, got int"));
	free(txt);
	/* null is accepted only with "lean":true */
	s.lean = 1;
	txt = render(FL_FMT_JSON, &s, &o);
	strcpy(strstr(txt, ",\"lean\":true}"), "}");
	assert_int_equal(fl_snapshot_from_json(txt, &back, err, sizeof(err)), -1);
	free(txt);
}

static void test_format_parse(void **state)
{
	enum fl_format f = FL_FMT_JSON;

	(void)state;
	assert_int_equal(fl_format_parse("text", &f), 0);
	assert_int_equal(f, FL_FMT_TEXT);
	assert_int_equal(fl_format_parse("prometheus", &f), 0);
	assert_int_equal(f, FL_FMT_PROMETHEUS);
	assert_int_equal(fl_format_parse("json", &f), 0);
	assert_int_equal(f, FL_FMT_JSON);
	assert_int_equal(fl_format_parse("JSON", &f), -1);
	assert_int_equal(fl_format_parse("prom", &f), -1);
	assert_int_equal(fl_format_parse("", &f), -1);
	assert_int_equal(fl_format_parse(NULL, &f), -1);
}

/* ---- JSON --------------------------------------------------------------- */

static struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		if (!json_object_object_get_ex(o, tok, &o))
			fail_msg("JSON lacks %s", path);
	}
	return o;
}

static uint64_t ju64(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_uint64(v);
}

static void test_json_shape(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	const struct duration64 *d = &s.ms.maintenance_meta_flush;
	struct json_object *root, *h, *pr;
	uint64_t sum = 0;
	char *txt;
	size_t i;

	(void)state;
	snap_rich(&s);
	fl_render_opts_default(&o);
	txt = render(FL_FMT_JSON, &s, &o);
	/* One object, one line. */
	assert_non_null(strchr(txt, '\n'));
	assert_int_equal(strchr(txt, '\n') - txt, (long)strlen(txt) - 1);
	root = json_tokener_parse(txt);
	assert_non_null(root);
	assert_int_equal(ju64(root, "meta_store.maintenance_meta_flush.samples"), d->samples.value);
	assert_int_equal(ju64(root, "meta_store.maintenance_meta_flush.total_ns"), d->total_ns.value);
	assert_int_equal(ju64(root, "meta_store.maintenance_meta_flush.min_ns"), 5);
	assert_int_equal(ju64(root, "meta_store.maintenance_meta_flush.max_ns"), 2000000000ULL);
	assert_int_equal(ju64(root, "meta_store.maintenance_meta_flush.avg_ns"),
			 d->total_ns.value / d->samples.value);
	assert_int_equal(ju64(root, "percentiles.p50_ns"),
			 fl_hist_percentile(s.hist, 0.5, d->min_ns.value, d->max_ns.value));
	/* p99.9 is in the bucket of the largest sample (2 s). */
	assert_int_equal(fl_hist_bucket(ju64(root, "percentiles.p99_9_ns")), fl_hist_bucket(2000000000ULL));
	ju64(root, "percentiles.p90_ns");
	ju64(root, "percentiles.p99_ns");
	assert_int_equal(ju64(root, "in_flight.count"), 2);
	assert_int_equal(ju64(root, "in_flight.oldest_age_ns"), 7500000);
	assert_int_equal(ju64(root, "unmatched"), 1);
	assert_int_equal(ju64(root, "dropped"), 3);
	assert_int_equal(ju64(root, "failed.count"), 4);
	assert_int_equal(ju64(root, "failed.errno.EIO"), 2);
	assert_int_equal(ju64(root, "failed.errno.ENOSPC"), 1);
	assert_int_equal(ju64(root, "failed.errno.other"), 1);
	assert_int_equal(ju64(root, "pid"), 4242);
	assert_int_equal(ju64(root, "timestamp_ns"), 1764097200123456789ULL);
	h = jget(root, "histogram");
	assert_true(json_object_is_type(h, json_type_array));
	for (i = 0; i < json_object_array_length(h); i++) {
		struct json_object *pair = json_object_array_get_idx(h, i);
		uint64_t lo = json_object_get_uint64(json_object_array_get_idx(pair, 0));
		uint64_t c = json_object_get_uint64(json_object_array_get_idx(pair, 1));

		assert_int_equal(json_object_array_length(pair), 2);
		assert_int_equal(fl_hist_bucket_lo(fl_hist_bucket(lo)), lo);
		assert_int_equal(s.hist[fl_hist_bucket(lo)], c);
		assert_true(c > 0); /* only non-empty buckets */
		sum += c;
	}
	assert_int_equal(sum, d->samples.value);
	pr = jget(root, "processes");
	assert_int_equal(json_object_array_length(pr), 2);
	/* one form of a comm in every output: control bytes as '?' */
	assert_string_equal(json_object_get_string(jget(json_object_array_get_idx(pr, 0), "comm")),
			    "rec \"q\\?");
	assert_string_equal(json_object_get_string(jget(json_object_array_get_idx(pr, 1), "comm")),
			    "0123456789abcdef");
	assert_int_equal(ju64(json_object_array_get_idx(pr, 1), "max_ns"), 2000000000ULL);
	assert_int_equal(json_object_array_length(jget(root, "programs")), 2);
	assert_int_equal(ju64(json_object_array_get_idx(jget(root, "programs"), 1), "run_time_ns"),
			 2000000000ULL);
	json_object_put(root);
	free(txt);
	snap_free(&s);

	/* No samples: min_ns is the merged value, UINT64_MAX, written in full. */
	snap_init(&s);
	txt = render(FL_FMT_JSON, &s, &o);
	assert_non_null(strstr(txt, "\"min_ns\":18446744073709551615,"));
	assert_non_null(strstr(txt, "\"pid\":-1,"));
	assert_non_null(strstr(txt, "\"histogram\":[]"));
	free(txt);
}

static void roundtrip(const struct fl_snapshot *s)
{
	struct fl_render_opts o;
	struct fl_snapshot back;
	char *a, *b, err[256] = "";
	size_t i;

	fl_render_opts_default(&o);
	a = render(FL_FMT_JSON, s, &o);
	if (fl_snapshot_from_json(a, &back, err, sizeof(err)))
		fail_msg("parse failed: %s\n%s", err, a);
	b = render(FL_FMT_JSON, &back, &o);
	assert_string_equal(a, b);
	assert_memory_equal(&back.ms, &s->ms, sizeof(s->ms));
	assert_memory_equal(back.hist, s->hist, sizeof(s->hist));
	assert_int_equal(back.nprocs, s->nprocs);
	for (i = 0; i < s->nprocs; i++) {
		assert_int_equal(back.procs[i].pid, s->procs[i].pid);
		char want[FL_COMM_LEN + 1], got[FL_COMM_LEN + 1];

		/* the comm comes back as it was shown (fl_comm_str) */
		fl_comm_str(s->procs[i].comm, want);
		fl_comm_str(back.procs[i].comm, got);
		assert_string_equal(got, want);
		assert_memory_equal(&back.procs[i].ms, &s->procs[i].ms, sizeof(s->procs[i].ms));
	}
	assert_int_equal(back.nprogs, s->nprogs);
	assert_memory_equal(back.progs, s->progs, sizeof(s->progs[0]) * (size_t)s->nprogs);
	assert_int_equal(back.failed_known, s->failed_known);
	assert_memory_equal(back.failed, s->failed, sizeof(s->failed));
	free(a);
	free(b);
	/* Text and Prometheus from the parsed snapshot equal those of the original. */
	for (i = 0; i < 2; i++) {
		enum fl_format f = i ? FL_FMT_PROMETHEUS : FL_FMT_TEXT;

		a = render(f, s, &o);
		b = render(f, &back, &o);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	fl_snapshot_free(&back);
	assert_null(back.procs);
}

static void test_json_roundtrip(void **state)
{
	struct fl_snapshot s;

	(void)state;
	snap_rich(&s);
	roundtrip(&s);
	snap_free(&s);
	snap_init(&s); /* empty: min_ns UINT64_MAX survives */
	roundtrip(&s);
	snap_record(&s, UINT64_MAX - 1); /* top bucket, values beyond INT64_MAX */
	s.taken_realtime_ns = UINT64_MAX;
	roundtrip(&s);
}

static void test_json_last_line(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot a, b, back;
	char *ja, *jb, text[8192], err[256];

	(void)state;
	fl_render_opts_default(&o);
	snap_init(&a);
	snap_record(&a, 1000);
	snap_init(&b);
	snap_record(&b, 1000);
	snap_record(&b, 5000);
	ja = render(FL_FMT_JSON, &a, &o);
	jb = render(FL_FMT_JSON, &b, &o);
	snprintf(text, sizeof(text), "%s%s\n  \n\n", ja, jb);
	assert_int_equal(fl_snapshot_from_json(text, &back, err, sizeof(err)), 0);
	assert_int_equal(back.ms.maintenance_meta_flush.samples.value, 2);
	assert_int_equal(back.ms.maintenance_meta_flush.total_ns.value, 6000);
	fl_snapshot_free(&back);
	/* Without a trailing newline too. */
	jb[strlen(jb) - 1] = '\0';
	snprintf(text, sizeof(text), "%s%s", ja, jb);
	assert_int_equal(fl_snapshot_from_json(text, &back, err, sizeof(err)), 0);
	assert_int_equal(back.ms.maintenance_meta_flush.samples.value, 2);
	fl_snapshot_free(&back);
	free(ja);
	free(jb);
}

/* Replaces the first occurrence of from with to in a rendered snapshot. */
static char *edit(const char *json, const char *from, const char *to)
{
	const char *p = strstr(json, from);
	char *r;

	if (!p)
		fail_msg("'%s' not in %s", from, json);
	r = malloc(strlen(json) + strlen(to) + 1);
	assert_non_null(r);
	sprintf(r, "%.*s%s%s", (int)(p - json), json, to, p + strlen(from));
	return r;
}

static void expect_parse_error(const char *text, const char *needle)
{
	struct fl_snapshot s;
	char err[256] = "";

	if (fl_snapshot_from_json(text, &s, err, sizeof(err)) != -1)
		fail_msg("accepted: %s", text);
	if (!strstr(err, needle))
		fail_msg("error '%s' lacks '%s' for: %s", err, needle, text);
	assert_null(s.procs);
	assert_int_equal(s.nprocs, 0);
}

static void test_json_errors(void **state)
{
	static const struct {
		const char *from, *to, *needle;
	} cases[] = {
		{ "\"samples\":13,", "", "meta_store.maintenance_meta_flush.samples: missing key" },
		{ "\"samples\":13,", "\"samples\":\"13\",",
		  "meta_store.maintenance_meta_flush.samples: expected a non-negative integer, got string" },
		{ "\"samples\":13,", "\"samples\":13.5,", "got double" },
		{ "\"samples\":13,", "\"samples\":-13,", "expected a non-negative integer, got -13" },
		{ "\"meta_store\":", "\"metastore\":", "meta_store: missing key" },
		{ "\"in_flight\":{\"count\":2,", "\"in_flight\":{", "in_flight.count: missing key" },
		{ "\"in_flight\":{", "\"in_flight\":[{", "" }, /* not JSON any more */
		{ "\"unmatched\":1,", "\"unmatched\":true,", "unmatched: expected a non-negative integer, got boolean" },
		{ "\"pid\":4242,", "", "pid: missing key" },
		{ "\"pid\":4242,", "\"pid\":-7,", "pid: -7 out of range" },
		{ "\"histogram\":[", "\"histogram\":{\"a\":1},\"x\":[", "histogram: expected an array, got object" },
		{ "\"histogram\":[[", "\"histogram\":[[1001,1],[", "histogram[0]: 1001 ns is not a histogram bucket lower bound" },
		{ "\"histogram\":[[", "\"histogram\":[[5,1,2],[", "histogram[0]: expected [lo_ns, count]" },
		{ "\"histogram\":[[5,1]", "\"histogram\":[[5,1],[5,1]", "histogram[1]: bucket 5 ns listed twice" },
		{ "\"comm\":\"0123456789abcdef\"", "\"comm\":\"0123456789abcdefg\"", "processes[1].comm: string longer than 16 bytes" },
		{ "\"comm\":\"0123456789abcdef\"", "\"comm\":7", "processes[1].comm: expected a string, got int" },
		{ "\"processes\":[", "\"processes\":[7,", "processes[0].: expected an object, got int" },
		{ "\"run_cnt\":13}]", "\"run_cnt\":13},{},{},{},{},{},{},{}]", "programs: 9 entries, at most 8 expected" },
		/* numbers beyond 64 bits: json-c would clamp them to UINT64_MAX silently */
		{ "\"samples\":13,", "\"samples\":18446744073709551616,",
		  "meta_store.maintenance_meta_flush.samples: 18446744073709551616 is out of range "
		  "(0 to 18446744073709551615)" },
		{ "\"total_ns\":2049851211", "\"total_ns\":99999999999999999999999999",
		  "total_ns: 99999999999999999999999999 is out of range" },
		{ "[5,1]", "[5,100000000000000000000]", "histogram[0][1]: 100000000000000000000 is out of range" },
		{ "\"unmatched\":1,", "\"unmatched\":-9223372036854775809,", "unmatched: -9223372036854775809 is out of range" },
		{ "\"pid\":4242,", "\"pid\":18446744073709551617,", "pid: 18446744073709551617 is out of range" },
		{ "\"timestamp_ns\":1764097200123456789", "\"timestamp_ns\":18446744073709551616.0",
		  "timestamp_ns: 18446744073709551616 is out of range" },
		{ "\"samples\":13,", "\"samples\":1e3,", "got double" },
		{ "\"samples\":13,", "\"samples\":NaN,", "got double" },
		{ "\"samples\":13,", "\"samples\":013,", "not JSON" },
		{ "\"samples\":13,", "\"samples\":13,,", "not JSON" },
		/* inconsistent numbers */
		{ "\"samples\":13,", "\"samples\":12,",
		  "histogram: counts add up to 13, but meta_store.maintenance_meta_flush.samples is 12" },
		{ "\"samples\":13,", "\"samples\":14,", "histogram: counts add up to 13, but" },
		{ "[5,1],[7,1]", "[5,18446744073709551615],[7,1]",
		  "histogram: counts add up to more than 18446744073709551615" },
		{ "\"min_ns\":5,", "\"min_ns\":7,", "histogram: bucket 5 ns lies outside min_ns..max_ns (7..2000000000)" },
		{ "\"max_ns\":2000000000,", "\"max_ns\":1000000000,", "histogram: bucket 1946157056 ns lies outside" },
		{ "\"min_ns\":5,", "\"min_ns\":3000000000,", "min_ns: 3000000000 is above max_ns 2000000000" },
		{ "\"oldest_age_ns\":7500000", "\"oldest_age_ns\":7500000,\"count\":0",
		  "in_flight.oldest_age_ns: 7500000 with count 0" },
		{ "\"pid\":4242,", "\"pid\":0,", "pid: 0 out of range" },
		{ "\"pid\":4343,", "\"pid\":4242,", "processes[1].pid: 4242 listed twice" },
		{ "\"pid\":4343,", "\"pid\":0,", "processes[1].pid: 0 out of range" },
		{ "\"min_ns\":15,", "\"min_ns\":2000000001,", "processes[1].min_ns: 2000000001 is above max_ns" },
		{ "\"comm\":\"0123456789abcdef\"", "\"comm\":\"0123456789abcd\xff\"", "not JSON: invalid utf-8" },
		{ "\"unmatched\":1,", "\"unmatched\":1,\"lean\":true,",
		  "in_flight.count: expected null with \"lean\":true (not measured), got int" },
	};
	struct fl_render_opts o;
	struct fl_snapshot s;
	char *json, *bad;
	size_t i;

	(void)state;
	snap_rich(&s);
	fl_render_opts_default(&o);
	json = render(FL_FMT_JSON, &s, &o);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bad = edit(json, cases[i].from, cases[i].to);
		expect_parse_error(bad, cases[i].needle);
		free(bad);
	}
	bad = edit(json, "\"in_flight\":{", "\"in_flight\":[{");
	expect_parse_error(bad, "not JSON");
	free(bad);
	expect_parse_error("", "empty input");
	expect_parse_error("\n \n", "empty input");
	expect_parse_error("flushlat: attached to 3 probes\n", "not JSON");
	expect_parse_error("[1,2]\n", "expected a JSON object, got array");
	expect_parse_error("{\"meta_store\":{\"maintenance_meta_flush\":{\"samples\":1", "truncated");
	bad = edit(json, "\n", "} x\n");
	expect_parse_error(bad, "not JSON");
	free(bad);
	/* digits inside strings are left alone; a 64-bit value as large as can be is fine */
	bad = edit(json, "\"handle_flush_done\"", "\"1844674407370955161699999 \\\"9\"");
	{
		struct fl_snapshot back;

		assert_int_equal(fl_snapshot_from_json(bad, &back, NULL, 0), 0);
		assert_string_equal(back.progs[1].name, "1844674407370955161699999 \"9");
		fl_snapshot_free(&back);
	}
	free(bad);
	/* min_ns null is accepted: no sample. */
	snap_free(&s);
	snap_init(&s);
	free(json);
	json = render(FL_FMT_JSON, &s, &o);
	bad = edit(json, "\"min_ns\":18446744073709551615", "\"min_ns\":null");
	assert_int_equal(fl_snapshot_from_json(bad, &s, NULL, 0), 0);
	assert_int_equal(s.ms.maintenance_meta_flush.min_ns.value, UINT64_MAX);
	free(bad);
	/* samples 0 with a histogram, or with a min or a max */
	bad = edit(json, "\"histogram\":[]", "\"histogram\":[[5,1]]");
	expect_parse_error(bad, "histogram: counts add up to 1, but meta_store.maintenance_meta_flush.samples is 0");
	free(bad);
	bad = edit(json, "\"min_ns\":18446744073709551615", "\"min_ns\":5");
	expect_parse_error(bad, "min_ns: 5 with samples 0");
	free(bad);
	bad = edit(json, "\"max_ns\":0", "\"max_ns\":5");
	expect_parse_error(bad, "max_ns: 5 with samples 0");
	free(bad);
	free(json);
}

static void test_json_load_file(void **state)
{
	struct fl_snapshot s;
	char err[512] = "", path[] = "/tmp/flushlat_test_XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(fl_snapshot_load("/nonexistent/x.json", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/x.json: No such file or directory"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"a\":1}\n", 8), 8);
	close(fd);
	assert_int_equal(fl_snapshot_load(path, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "meta_store: missing key"));
	unlink(path);
}

/* ---- Prometheus --------------------------------------------------------- */

static void test_prom_compat_reference(void **state)
{
	/* The recorder's own exposition for durations 1 ms and 3 ms (reference). */
	static const char want[] =
#define N "ie_wal_recorder__meta_store_maintenance_meta_flush"
#define L "{system=\"wal_recorder\", subsystem=\"wal_meta\"}"
		"# HELP " N "_samples_total Number of recorded samples\n"
		"# TYPE " N "_samples_total counter\n"
		N "_samples_total" L " 2\n"
		"# HELP " N "_total_ns Total duration in nanoseconds\n"
		"# TYPE " N "_total_ns counter\n"
		N "_total_ns" L " 4000000\n"
		"# HELP " N "_min_ns Minimum observed duration in nanoseconds\n"
		"# TYPE " N "_min_ns gauge\n"
		N "_min_ns" L " 1000000\n"
		"# HELP " N "_max_ns Maximum observed duration in nanoseconds\n"
		"# TYPE " N "_max_ns gauge\n"
		N "_max_ns" L " 3000000\n"
		"# HELP " N "_avg_ns Average duration in nanoseconds\n"
		"# TYPE " N "_avg_ns gauge\n"
		N "_avg_ns" L " 2000000\n"
		"# HELP " N "_jitter_ns Absolute jitter (max - min) in nanoseconds\n"
		"# TYPE " N "_jitter_ns gauge\n"
		N "_jitter_ns" L " 2000000\n"
		"# HELP " N "_rate_per_second Rate of observed samples per second\n"
		"# TYPE " N "_rate_per_second gauge\n"
		N "_rate_per_second" L " 500.00\n";
	struct fl_render_opts o;
	struct fl_snapshot s;
	char *txt, kv[] = "dc=eu\"1";

	(void)state;
	snap_rich(&s); /* everything else in the snapshot must not leak into compat */
	metastore_init(&s.ms);
	metastore_record_duration(&s.ms, 1000000);
	metastore_record_duration(&s.ms, 3000000);
	fl_render_opts_default(&o);
	o.compat = 1;
	o.prefix = "ignored";
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	assert_string_equal(txt, want);
	free(txt);
	/* --label-set goes right after system="wal_recorder", escaped. */
	assert_int_equal(fl_label_set_parse(kv, &o, NULL, 0), 0);
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	assert_non_null(strstr(txt, N "_samples_total{system=\"wal_recorder\", dc=\"eu\\\"1\", "
				    "subsystem=\"wal_meta\"} 2\n"));
	free(txt);
	snap_free(&s);
#undef N
#undef L
}

/* Lines of txt as an array (txt is modified). */
static size_t split_lines(char *txt, char **lines, size_t max)
{
	size_t n = 0;
	char *save = NULL, *l;

	for (l = strtok_r(txt, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	return n;
}

static size_t count_prefix(char **lines, size_t n, const char *prefix)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += !strncmp(lines[i], prefix, strlen(prefix));
	return c;
}

static const char *find_line(char **lines, size_t n, const char *prefix)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strncmp(lines[i], prefix, strlen(prefix)))
			return lines[i];
	fail_msg("no line starting with %s", prefix);
	return NULL;
}

/* Histogram invariants: le ascending, counts cumulative, +Inf == _count. */
static void check_histogram(char **lines, size_t n, const char *bucket_prefix, uint64_t count)
{
	double prev_le = -1;
	uint64_t prev = 0, v;
	size_t i, nb = 0;
	int inf = 0;

	for (i = 0; i < n; i++) {
		const char *l = lines[i], *le;
		double lev;

		if (strncmp(l, bucket_prefix, strlen(bucket_prefix)) != 0)
			continue;
		assert_false(inf); /* +Inf is last */
		le = strstr(l, "le=\"");
		assert_non_null(le);
		v = strtoull(strrchr(l, ' ') + 1, NULL, 10);
		if (!strncmp(le, "le=\"+Inf\"", 9)) {
			inf = 1;
			assert_int_equal(v, count);
		} else {
			lev = strtod(le + 4, NULL);
			assert_true(lev > prev_le);
			prev_le = lev;
		}
		assert_true(v >= prev);
		assert_true(v <= count);
		prev = v;
		nb++;
	}
	assert_true(inf);
	assert_true(nb > 1);
}

static void test_prom_default(void **state)
{
	static const char *const families[] = {
		"meta_flush_duration_seconds histogram",
		"meta_flush_min_seconds gauge",
		"meta_flush_max_seconds gauge",
		"meta_flush_in_flight gauge",
		"meta_flush_oldest_in_flight_age_seconds gauge",
		"meta_flush_unmatched_total counter",
		"meta_flush_dropped_total counter",
		"meta_flush_failed_total counter",
		"meta_flush_failed_by_errno_total counter",
		"bpf_program_run_time_seconds_total counter",
		"bpf_program_run_count_total counter",
		"process_meta_flush_count_total counter",
		"process_meta_flush_duration_seconds_total counter",
		"process_meta_flush_max_seconds gauge",
	};
	struct fl_render_opts o;
	struct fl_snapshot s;
	char *txt, *lines[2048], buf[256], kv1[] = "env=pr\"od\\x\ny", kv2[] = "team=wal";
	size_t n, i;

	(void)state;
	snap_rich(&s);
	fl_render_opts_default(&o);
	assert_int_equal(fl_label_set_parse(kv1, &o, NULL, 0), 0);
	assert_int_equal(fl_label_set_parse(kv2, &o, NULL, 0), 0);
	o.prefix = "fs";
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	n = split_lines(txt, lines, 2048);
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char name[128];

		snprintf(buf, sizeof(buf), "# TYPE fs_%s", families[i]);
		assert_int_equal(count_prefix(lines, n, buf), 1);
		snprintf(name, sizeof(name), "%s", families[i]);
		*strchr(name, ' ') = '\0';
		snprintf(buf, sizeof(buf), "# HELP fs_%s ", name);
		assert_int_equal(count_prefix(lines, n, buf), 1);
	}
	assert_int_equal(count_prefix(lines, n, "# TYPE "), sizeof(families) / sizeof(families[0]));
	for (i = 0; i < n; i++) {
		if (lines[i][0] == '#')
			continue;
		assert_true(!strncmp(lines[i], "fs_", 3)); /* the prefix */
		/* Every series: subsystem first, then the escaped --label-set labels. */
		assert_non_null(strstr(lines[i], "{subsystem=\"wal_meta\",env=\"pr\\\"od\\\\x\\ny\",team=\"wal\""));
	}
	check_histogram(lines, n, "fs_meta_flush_duration_seconds_bucket{", 13);
	/* The fixed layout: 97 bounds and +Inf, whatever the data. */
	assert_int_equal(count_prefix(lines, n, "fs_meta_flush_duration_seconds_bucket{"), 98);
	/* Exact at every bound: 2^20 ns = 1.048576 ms, le = 1048575 ns. */
	for (i = 0; i < n; i++)
		if (strstr(lines[i], "le=\"0.001048575\"} "))
			break;
	assert_true(i < n);
	/* 5, 7, 15, 1234, 99950, 250000, 800000, 1000000 */
	assert_string_equal(strrchr(lines[i], ' '), " 8");
	assert_string_equal(strrchr(find_line(lines, n, "fs_meta_flush_duration_seconds_sum{"), ' '),
			    " 2.049851211");
	assert_string_equal(strrchr(find_line(lines, n, "fs_meta_flush_duration_seconds_count{"), ' '),
			    " 13");
	assert_string_equal(strrchr(find_line(lines, n, "fs_meta_flush_min_seconds{"), ' '),
			    " 0.000000005");
	assert_string_equal(strrchr(find_line(lines, n, "fs_meta_flush_max_seconds{"), ' '), " 2");
	assert_string_equal(strrchr(find_line(lines, n, "fs_meta_flush_oldest_in_flight_age_seconds{"), ' '),
			    " 0.0075");
	assert_string_equal(strrchr(find_line(lines, n, "fs_meta_flush_in_flight{"), ' '), " 2");
	assert_string_equal(strrchr(find_line(lines, n, "fs_meta_flush_unmatched_total{"), ' '), " 1");
	assert_string_equal(strrchr(find_line(lines, n, "fs_meta_flush_dropped_total{"), ' '), " 3");
	assert_string_equal(strrchr(find_line(lines, n, "fs_meta_flush_failed_total{"), ' '), " 4");
	assert_int_equal(count_prefix(lines, n, "fs_meta_flush_failed_by_errno_total{"), 3);
	assert_non_null(strstr(find_line(lines, n, "fs_meta_flush_failed_by_errno_total{"),
			       ",team=\"wal\",errno=\"EIO\"} 2"));
	assert_non_null(strstr(find_line(lines, n, "fs_bpf_program_run_time_seconds_total{"),
			       ",program=\"handle_flush_start\"} 0.001234567"));
	assert_int_equal(count_prefix(lines, n, "fs_bpf_program_run_count_total{"), 2);
	assert_non_null(strstr(find_line(lines, n, "fs_process_meta_flush_count_total{"),
			       ",pid=\"4242\",comm=\"rec \\\"q\\\\?\"} 9"));
	assert_int_equal(count_prefix(lines, n, "fs_process_meta_flush_duration_seconds_total{"), 2);
	assert_int_equal(count_prefix(lines, n, "fs_process_meta_flush_max_seconds{"), 2);
	free(txt);
	snap_free(&s);
}

static void test_prom_default_sparse(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	char *txt, *lines[512];
	size_t n;

	(void)state;
	fl_render_opts_default(&o);
	snap_init(&s);
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	/* No samples: no min/max gauges, an all-zero histogram, no programs/processes. */
	assert_null(strstr(txt, "min_seconds"));
	assert_null(strstr(txt, "max_seconds"));
	assert_null(strstr(txt, "bpf_program"));
	assert_null(strstr(txt, "process_"));
	assert_non_null(strstr(txt, "flushlat_meta_flush_duration_seconds_bucket{subsystem=\"wal_meta\",le=\"+Inf\"} 0\n"));
	assert_non_null(strstr(txt, "flushlat_meta_flush_duration_seconds_sum{subsystem=\"wal_meta\"} 0\n"));
	n = split_lines(txt, lines, 512);
	check_histogram(lines, n, "flushlat_meta_flush_duration_seconds_bucket{", 0);
	free(txt);

	/* One process: no per-process series; the histogram read ahead of the
	 * MetaStore (a flush between the two map reads) stays clamped to _count. */
	snap_record(&s, 2000);
	snap_record(&s, 3000);
	s.hist[fl_hist_bucket(2500)] += 5;
	metastore_record_duration(&snap_add_proc(&s, 1, "x")->ms, 2000);
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	assert_null(strstr(txt, "process_"));
	n = split_lines(txt, lines, 512);
	check_histogram(lines, n, "flushlat_meta_flush_duration_seconds_bucket{", 2);
	free(txt);
	snap_free(&s);
}

static void test_label_set_parse(void **state)
{
	struct fl_render_opts o;
	char err[256];
	char ok[] = "a_b9=x=y", dup[] = "a_b9=z", noeq[] = "abc", bad1[] = "9a=1", bad2[] = "a-b=1",
	     bad3[] = "__x=1", empty[] = "=v", res1[] = "le=1", res2[] = "pid=3", ev[] = "e=";

	(void)state;
	fl_render_opts_default(&o);
	assert_int_equal(fl_label_set_parse(ok, &o, err, sizeof(err)), 0);
	assert_string_equal(o.label_keys[0], "a_b9");
	assert_string_equal(o.label_values[0], "x=y");
	assert_int_equal(fl_label_set_parse(dup, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "given twice"));
	assert_int_equal(fl_label_set_parse(noeq, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "expected NAME=VALUE"));
	assert_int_equal(fl_label_set_parse(bad1, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid label name"));
	assert_int_equal(fl_label_set_parse(bad2, &o, err, sizeof(err)), -1);
	assert_int_equal(fl_label_set_parse(bad3, &o, err, sizeof(err)), -1);
	assert_int_equal(fl_label_set_parse(empty, &o, err, sizeof(err)), -1);
	assert_int_equal(fl_label_set_parse(res1, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "set by flushlat itself"));
	assert_int_equal(fl_label_set_parse(res2, &o, err, sizeof(err)), -1);
	assert_int_equal(fl_label_set_parse(ev, &o, err, sizeof(err)), 0); /* empty value ok */
	assert_int_equal(o.nlabels, 2);
	{
		/* values are any valid UTF-8 (escaped by the writer), never invalid bytes */
		char u8[] = "u=\xc3\xa9t\xc3\xa9 \"q\" \\ \n", lone[] = "v=a\x80",
		     over[] = "w=\xc0\xaf", sur[] = "x=\xed\xa0\x80", big[] = "y=\xf4\x90\x80\x80",
		     cut[] = "z=ab\xe2\x82";

		assert_int_equal(fl_label_set_parse(u8, &o, err, sizeof(err)), 0);
		assert_int_equal(fl_label_set_parse(lone, &o, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "byte 2 of the value is not valid UTF-8"));
		assert_int_equal(fl_label_set_parse(over, &o, err, sizeof(err)), -1);
		assert_int_equal(fl_label_set_parse(sur, &o, err, sizeof(err)), -1);
		assert_int_equal(fl_label_set_parse(big, &o, err, sizeof(err)), -1);
		assert_int_equal(fl_label_set_parse(cut, &o, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "byte 3 of the value"));
		assert_int_equal(o.nlabels, 3);
	}
	/* --label: a line of the dump: valid UTF-8, no control character */
	assert_int_equal(fl_label_check("Caf\xc3\xa9 \"WAL\"", err, sizeof(err)), 0);
	assert_int_equal(fl_label_check("a\nb", err, sizeof(err)), -1);
	assert_string_equal(err, "byte 2 is a control character");
	assert_int_equal(fl_label_check("a\tb", err, sizeof(err)), -1);
	assert_int_equal(fl_label_check("\x7f", err, sizeof(err)), -1);
	assert_int_equal(fl_label_check("ab\xff", err, sizeof(err)), -1);
	assert_string_equal(err, "byte 3 is not valid UTF-8");

	assert_int_equal(fl_prom_prefix_check("flushlat", err, sizeof(err)), 0);
	assert_int_equal(fl_prom_prefix_check("a:b_C9", err, sizeof(err)), 0);
	assert_int_equal(fl_prom_prefix_check("9x", err, sizeof(err)), -1);
	assert_int_equal(fl_prom_prefix_check("a-b", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'a-b': not a valid metric name prefix"));
	assert_int_equal(fl_prom_prefix_check("", err, sizeof(err)), -1);
}

/* Regression: with a full --label-set, --compat still carries every label
 * flushlat adds itself (subsystem used to be dropped at 15 labels). */
static void test_prom_compat_full_label_set(void **state)
{
	static char kv[FL_MAX_LABEL_SET][16];
	struct fl_render_opts o;
	struct fl_snapshot s;
	char err[128], *txt, want[64];

	(void)state;
	snap_init(&s);
	snap_record(&s, 1000);
	snap_record(&s, 3000);
	fl_render_opts_default(&o);
	o.compat = 1;
	for (int i = 0; i < FL_MAX_LABEL_SET; i++) {
		snprintf(kv[i], sizeof(kv[i]), "k%d=v%d", i, i);
		assert_int_equal(fl_label_set_parse(kv[i], &o, err, sizeof(err)), 0);
	}
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	snprintf(want, sizeof(want), "k%d=\"v%d\", subsystem=\"wal_meta\"}", FL_MAX_LABEL_SET - 1,
		 FL_MAX_LABEL_SET - 1);
	assert_non_null(strstr(txt, "{system=\"wal_recorder\", k0=\"v0\", "));
	assert_non_null(strstr(txt, want));
	free(txt);
	/* the default exposition too: every sample line has subsystem and k15 */
	o.compat = 0;
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	for (char *l = strtok(txt, "\n"); l; l = strtok(NULL, "\n"))
		if (l[0] != '#' && (!strstr(l, "{subsystem=\"wal_meta\",k0=\"v0\"") ||
				    !strstr(l, ",k15=\"v15\"")))
			fail_msg("labels missing: %s", l);
	free(txt);
	snap_free(&s);
}

/* Regression: the scrape's own cost goes through the one writer: labels and
 * an exact decimal, never through a double. */
static void test_prom_scrape_duration(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	char *txt, kv[] = "host=a";

	(void)state;
	snap_init(&s);
	fl_render_opts_default(&o);
	assert_int_equal(fl_label_set_parse(kv, &o, NULL, 0), 0);
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	assert_null(strstr(txt, "scrape_duration")); /* none before the first scrape */
	free(txt);
	s.prev_scrape_ns = 123456789012ULL;
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	assert_non_null(strstr(txt, "# TYPE flushlat_scrape_duration_seconds gauge\n"
				    "flushlat_scrape_duration_seconds{subsystem=\"wal_meta\",host=\"a\"} "
				    "123.456789012\n"));
	free(txt);
	o.compat = 1; /* the recorder's names only */
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	assert_null(strstr(txt, "scrape_duration"));
	free(txt);
	snap_free(&s);
}

/* One form of a comm everywhere: valid UTF-8, no control bytes. */
static uint64_t hist_total(const struct fl_snapshot *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < FL_HIST_NBUCKETS; i++)
		n += s->hist[i];
	return n;
}

/*
 * A live reading whose histogram lags or leads the MetaStore by a few flushes
 * is shown with exactly samples in the histogram, and then reads back.
 */
static void test_settle(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s, back;
	char *json, err[256];

	(void)state;
	fl_render_opts_default(&o);
	snap_init(&s);
	for (int i = 0; i < 10; i++)
		snap_record(&s, 1000 + (uint64_t)i * 100000);
	s.hist[fl_hist_bucket(1000)]--; /* two flushes not in the histogram yet */
	s.hist[fl_hist_bucket(101000)]--;
	fl_snapshot_settle(&s);
	assert_int_equal(hist_total(&s), 10);
	assert_int_equal(s.hist[fl_hist_bucket(900000 + 1000)], 3); /* max's bucket */
	json = render(FL_FMT_JSON, &s, &o);
	assert_int_equal(fl_snapshot_from_json(json, &back, err, sizeof(err)), 0);
	fl_snapshot_free(&back);
	free(json);
	s.hist[fl_hist_bucket(5000)] += 3; /* three more than samples: taken from the top */
	fl_snapshot_settle(&s);
	assert_int_equal(hist_total(&s), 10);
	assert_int_equal(s.hist[fl_hist_bucket(900000 + 1000)], 0);
	assert_int_equal(s.hist[fl_hist_bucket(5000)], 3);
	/* samples 0: nothing left; an interval with unknown max: the highest bucket in use */
	snap_init(&s);
	s.hist[7] = 4;
	fl_snapshot_settle(&s);
	assert_int_equal(hist_total(&s), 0);
	snap_init(&s);
	s.ms.maintenance_meta_flush.samples.value = 3;
	s.ms.maintenance_meta_flush.total_ns.value = 3000;
	s.hist[fl_hist_bucket(500)] = 1;
	fl_snapshot_settle(&s);
	assert_int_equal(s.hist[fl_hist_bucket(500)], 3);
	snap_init(&s);
	s.ms.maintenance_meta_flush.samples.value = 3;
	s.ms.maintenance_meta_flush.total_ns.value = 3000;
	fl_snapshot_settle(&s);
	assert_int_equal(s.hist[fl_hist_bucket(1000)], 3); /* nothing known but the average */
}

/* Messages quoting hostile input stay one printable line. */
static void test_text_safe(void **state)
{
	char a[] = "ok \xc3\xa9", b[] = "x\ny\x1b[1m\xff\xc3(z\x7f";

	(void)state;
	fl_text_safe(a);
	assert_string_equal(a, "ok \xc3\xa9");
	fl_text_safe(b);
	assert_string_equal(b, "x?y?[1m?" "?(z?");
}

static void test_comm_str(void **state)
{
	static const struct {
		const char in[FL_COMM_LEN];
		const char *out;
	} cases[] = {
		{ "recorder", "recorder" },
		{ "0123456789abcdef", "0123456789abcdef" }, /* 16 bytes, no NUL */
		{ "a\nb\tc\x7f", "a?b?c?" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },           /* valid UTF-8 kept */
		{ "x\xff\xfey", "x??y" },                   /* invalid bytes */
		{ "\xc3", "?" },                            /* truncated sequence */
		{ "\xe2\x82", "??" },
		{ "\xc0\xaf", "??" },                       /* overlong */
		{ "\xed\xa0\x80", "???" },                  /* surrogate */
		{ "\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!" },
		{ "0123456789abcd\xc3\xa9", "0123456789abcd\xc3\xa9" },
		{ "0123456789abcde\xc3", "0123456789abcde?" }, /* cut by the 16-byte field */
	};
	char out[FL_COMM_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fl_comm_str(cases[i].in, out);
		assert_string_equal(out, cases[i].out);
	}
}

/*
 * Failed flushes in every output: unknown (no probe) is never shown as 0,
 * a known 0 is; the errno breakdown is bounded and reads back; a delta
 * subtracts; a saved snapshot whose errno counts do not add up is refused.
 */
static void test_failed(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s, prev, d, back;
	char *txt, *bad, err[256];

	(void)state;
	fl_render_opts_default(&o);
	snap_init(&s);
	txt = render(FL_FMT_JSON, &s, &o);
	assert_non_null(strstr(txt, "\"failed\":null"));
	assert_int_equal(fl_snapshot_from_json(txt, &back, err, sizeof(err)), 0);
	assert_int_equal(back.failed_known, 0);
	bad = edit(txt, ",\"failed\":null", ""); /* a snapshot of an older flushlat */
	assert_int_equal(fl_snapshot_from_json(bad, &back, err, sizeof(err)), 0);
	assert_int_equal(back.failed_known, 0);
	free(bad);
	free(txt);
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	assert_null(strstr(txt, "failed"));
	free(txt);

	s.failed_known = 1;
	txt = render(FL_FMT_TEXT, &s, &o);
	assert_non_null(strstr(txt, "\n Failed flushes: 0\n"));
	free(txt);
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	/* the total from 0, so increase() sees the first failure; no errno series yet */
	assert_non_null(strstr(txt, "\nflushlat_meta_flush_failed_total{subsystem=\"wal_meta\"} 0\n"));
	assert_null(strstr(txt, "by_errno"));
	free(txt);
	txt = render(FL_FMT_JSON, &s, &o);
	assert_non_null(strstr(txt, "\"failed\":{\"count\":0,\"errno\":{}}"));
	free(txt);

	s.failed[EACCES] = 3;
	s.failed[ENOSPC] = 5;
	txt = render(FL_FMT_TEXT, &s, &o);
	assert_non_null(strstr(txt, "\n Failed flushes: 8 (EACCES 3, ENOSPC 5)\n"));
	free(txt);
	txt = render(FL_FMT_PROMETHEUS, &s, &o);
	assert_non_null(strstr(txt, "\nflushlat_meta_flush_failed_by_errno_total{subsystem=\"wal_meta\",errno=\"ENOSPC\"} 5\n"));
	assert_non_null(strstr(txt, "\nflushlat_meta_flush_failed_total{subsystem=\"wal_meta\"} 8\n"));
	free(txt);
	txt = render(FL_FMT_JSON, &s, &o);
	bad = edit(txt, "\"ENOSPC\":5", "\"ENOSPC\":4");
	assert_int_equal(fl_snapshot_from_json(bad, &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "failed.count: 8, but failed.errno adds up to 7"));
	free(bad);
	bad = edit(txt, "\"ENOSPC\"", "\"ENOPE\"");
	assert_int_equal(fl_snapshot_from_json(bad, &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "failed.errno.ENOPE: not an errno name"));
	free(bad);
	bad = edit(txt, "\"ENOSPC\":5", "\"ENOSPC\":-5");
	assert_int_equal(fl_snapshot_from_json(bad, &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "failed.errno.ENOSPC: expected a non-negative integer"));
	free(bad);
	free(txt);

	/* --interval --delta: per interval */
	prev = s;
	s.failed[ENOSPC] = 6;
	s.failed[0] = 1;
	assert_int_equal(fl_snapshot_delta(&d, &s, &prev), 0);
	txt = render(FL_FMT_TEXT, &d, &o);
	assert_non_null(strstr(txt, "\n Failed flushes: 2 (ENOSPC 1, other 1)\n"));
	free(txt);
	fl_snapshot_free(&d);
	assert_string_equal(fl_errno_name(0), "other");
	assert_string_equal(fl_errno_name(EIO), "EIO");
	assert_int_equal(fl_errno_slot("EIO"), EIO);
	assert_int_equal(fl_errno_slot("other"), 0);
	assert_int_equal(fl_errno_slot("EIO "), -1);
	snap_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_dump_block),
		cmocka_unit_test(test_text_label),
		cmocka_unit_test(test_text_extra_lines),
		cmocka_unit_test(test_text_empty_and_single_proc),
		cmocka_unit_test(test_lean),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_json_last_line),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_json_load_file),
		cmocka_unit_test(test_prom_compat_reference),
		cmocka_unit_test(test_prom_default),
		cmocka_unit_test(test_prom_default_sparse),
		cmocka_unit_test(test_label_set_parse),
		cmocka_unit_test(test_prom_compat_full_label_set),
		cmocka_unit_test(test_prom_scrape_duration),
		cmocka_unit_test(test_comm_str),
		cmocka_unit_test(test_text_safe),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_failed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
