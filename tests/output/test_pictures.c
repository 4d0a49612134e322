// SPDX-License-Identifier: MIT
/*
 * Files of many lines and the pictures drawn from them: --delta snapshots
 * summed back into the run, the line reader (slow-flush records, unknown
 * record types, errors naming the line), the heat map's cells (exact counts,
 * the same picture from --delta and cumulative input), escaping, the HTML
 * report's sections and the --watch frame (exact text for fixed readings).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "heatmap.h"
#include "render.h"
#include "report_html.h"
#include "snapfix.h"
#include "snapshot_read.h"
#include "live_view.h"
#include "xml.h"

static char dir[] = "/tmp/flushlat_pictures_XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static char *json_of(const struct fl_snapshot *s)
{
	struct fl_render_opts o;
	struct strbuf sb;
	char *r;

	fl_render_opts_default(&o);
	strbuf_init(&sb);
	fl_render_json(s, &o, &sb);
	r = strdup(strbuf_str(&sb));
	strbuf_free(&sb);
	assert_non_null(r);
	return r;
}

/* A file of the given text; returns its path (static storage, 8 in rotation). */
static const char *file(const char *name, const char *text)
{
	static char paths[8][256];
	static int next;
	char *path = paths[next++ % 8];
	FILE *f;

	snprintf(path, 256, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/*
 * A run of n intervals, recorded as the reader would see it: cumulative
 * readings cum[0..n), their deltas d[0..n) (d[i] = cum[i] - cum[i-1]),
 * timestamps 1 s apart.  Interval i records i+1 flushes around 1 ms, one
 * slow one in interval 2, and one process.
 */
#define NIV 4
static void make_run(struct fl_snapshot cum[NIV], struct fl_snapshot d[NIV])
{
	struct fl_snapshot prev;
	struct fl_proc *p;

	snap_init(&prev);
	for (int i = 0; i < NIV; i++) {
		if (i == 0) {
			snap_init(&cum[0]);
			p = snap_add_proc(&cum[0], 77, "rec<&>\"'");
		} else {
			assert_int_equal(fl_snapshot_copy(&cum[i], &cum[i - 1]), 0);
			p = &cum[i].procs[0];
		}
		for (int k = 0; k <= i; k++) {
			uint64_t v = 900000 + (uint64_t)(i * 10 + k) * 20000;

			snap_record(&cum[i], v);
			metastore_record_duration(&p->ms, v);
		}
		if (i == 2) {
			snap_record(&cum[i], 45000000);
			metastore_record_duration(&p->ms, 45000000);
		}
		cum[i].pid = 77;
		cum[i].taken_ns = (uint64_t)(i + 1) * 1000000000ULL;
		cum[i].taken_realtime_ns = 1764097200000000000ULL + (uint64_t)(i + 1) * 1000000000ULL;
		assert_int_equal(fl_snapshot_delta(&d[i], &cum[i], i ? &cum[i - 1] : &prev), 0);
		assert_int_equal(d[i].delta, 1);
	}
}

static void free_run(struct fl_snapshot cum[NIV], struct fl_snapshot d[NIV])
{
	for (int i = 0; i < NIV; i++) {
		snap_free(&cum[i]);
		snap_free(&d[i]);
	}
}

/* The lines of a file of those snapshots (extra, when given, goes after line 2). */
static char *lines(struct fl_snapshot s[NIV], const char *extra)
{
	static char text[1 << 16];
	size_t n = 0;

	for (int i = 0; i < NIV; i++) {
		char *j = json_of(&s[i]);

		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", j, i == 1 && extra ? extra : "");
		free(j);
	}
	return text;
}

static void assert_same_run(const struct fl_snapshot *a, const struct fl_snapshot *b)
{
	const struct duration64 *x = &a->ms.maintenance_meta_flush, *y = &b->ms.maintenance_meta_flush;

	assert_int_equal(x->samples.value, y->samples.value);
	assert_int_equal(x->total_ns.value, y->total_ns.value);
	assert_int_equal(x->min_ns.value, y->min_ns.value);
	assert_int_equal(x->max_ns.value, y->max_ns.value);
	assert_memory_equal(a->hist, b->hist, sizeof(a->hist));
	assert_int_equal(a->nprocs, b->nprocs);
	for (size_t i = 0; i < a->nprocs; i++)
		assert_memory_equal(&a->procs[i].ms, &b->procs[i].ms, sizeof(a->procs[i].ms));
}

/* ---- summing --delta snapshots -------------------------------------------- */

static void test_delta_sum(void **state)
{
	struct fl_snapshot cum[NIV], d[NIV], sum, back;
	char err[256];
	const char *path;
	char *j;

	(void)state;
	make_run(cum, d);
	/* some intervals do not know their extremes; the sum still does */
	assert_int_equal(d[1].ms.maintenance_meta_flush.min_ns.value, FL_MIN_EMPTY);
	assert_int_equal(d[3].ms.maintenance_meta_flush.max_ns.value, 0);
	snap_init(&sum);
	for (int i = 0; i < NIV; i++)
		assert_int_equal(fl_snapshot_add(&sum, &d[i]), 0);
	assert_same_run(&sum, &cum[NIV - 1]);
	assert_int_equal(sum.delta, 0);
	assert_int_equal(sum.taken_realtime_ns, cum[NIV - 1].taken_realtime_ns);
	snap_free(&sum);

	/* "delta":true round-trips, and a --delta file loads as the whole run */
	j = json_of(&d[1]);
	assert_non_null(strstr(j, ",\"delta\":true}"));
	assert_int_equal(fl_snapshot_from_json(j, &back, err, sizeof(err)), 0);
	assert_int_equal(back.delta, 1);
	snap_free(&back);
	free(j);
	path = file("delta.json", lines(d, NULL));
	assert_int_equal(fl_snapshot_load(path, &back, err, sizeof(err)), 0);
	assert_same_run(&back, &cum[NIV - 1]);
	snap_free(&back);
	/* a cumulative file: its last line */
	path = file("cum.json", lines(cum, NULL));
	assert_int_equal(fl_snapshot_load(path, &back, err, sizeof(err)), 0);
	assert_same_run(&back, &cum[NIV - 1]);
	snap_free(&back);
	free_run(cum, d);
}

/* ---- the line reader ---------------------------------------------------- */

struct seen {
	int snaps, slows, others;
	struct fl_slow_flush slow;
	size_t slow_line;
};

static int count_record(const struct fl_record *r, void *ctx, char *err, size_t errlen)
{
	struct seen *s = ctx;

	(void)err;
	(void)errlen;
	assert_non_null(r->json);
	if (r->kind == FL_REC_SNAPSHOT) {
		s->snaps++;
	} else if (r->kind == FL_REC_SLOW_FLUSH) {
		s->slows++;
		s->slow = *r->slow;
		s->slow_line = r->lineno;
	} else {
		s->others++;
	}
	return 0;
}

#define SLOW "{\"type\":\"slow_flush\",\"pid\":77,\"tid\":78,\"comm\":\"rec<&>\",\"start_ns\":5," \
	     "\"duration_ns\":45000000,\"time_ns\":1764097203500000000,\"extra\":[1]}\n"
#define OTHER "{\"type\":\"from_the_future\",\"x\":{\"y\":1}}\n"

static void expect_load_error(const char *name, const char *text, const char *needle)
{
	struct fl_snapshot s;
	char err[512] = "";
	const char *path = file(name, text);

	assert_int_equal(fl_snapshot_load(path, &s, err, sizeof(err)), -1);
	if (!strstr(err, needle) || !strstr(err, path))
		fail_msg("error '%s' lacks '%s' or the path", err, needle);
	assert_null(s.procs);
}

static void test_records(void **state)
{
	static char extra[1 << 16];
	struct fl_snapshot cum[NIV], d[NIV], back;
	struct seen seen = { 0 };
	char err[512], *j;
	const char *path;

	(void)state;
	make_run(cum, d);
	snprintf(extra, sizeof(extra), "\n%s  \n%s", SLOW, OTHER);
	path = file("mixed.json", lines(d, extra));
	assert_int_equal(fl_json_file_read(path, count_record, &seen, err, sizeof(err)), 0);
	assert_int_equal(seen.snaps, NIV);
	assert_int_equal(seen.slows, 1);
	assert_int_equal(seen.others, 1);
	assert_int_equal(seen.slow_line, 4); /* blank line 3 counted */
	assert_int_equal(seen.slow.pid, 77);
	assert_int_equal(seen.slow.tid, 78);
	assert_string_equal(seen.slow.comm, "rec<&>");
	assert_int_equal(seen.slow.duration_ns, 45000000);
	assert_int_equal(seen.slow.time_ns, 1764097203500000000ULL);
	/* records do not disturb the run */
	assert_int_equal(fl_snapshot_load(path, &back, err, sizeof(err)), 0);
	assert_same_run(&back, &cum[NIV - 1]);
	snap_free(&back);

	expect_load_error("only.json", SLOW OTHER, "no snapshot (only other records)");
	expect_load_error("bad_slow.json", "{\"type\":\"slow_flush\",\"pid\":1}\n",
			  "line 1: slow_flush.tid: missing key");
	expect_load_error("bad_type.json", "{\"type\":7}\n", "line 1: type: expected a string, got int");
	j = json_of(&d[0]);
	snprintf(extra, sizeof(extra), "%s%s{\"meta_store\":1}\n", j, j);
	expect_load_error("bad_line3.json", extra, "line 3: meta_store: expected an object");
	free(j);
	/* a --delta line among cumulative ones */
	snprintf(extra, sizeof(extra), "%s", lines(cum, NULL));
	j = json_of(&d[2]);
	strncat(extra, j, sizeof(extra) - strlen(extra) - 1);
	free(j);
	expect_load_error("mixed_kinds.json", extra, "line 5: mixes --delta and cumulative snapshots");
	expect_load_error("trunc.json", "{\"meta_store\":{\n", "line 1: not JSON: the line ends inside a value");
	expect_load_error("empty.json", "\n \n", "no JSON snapshot (empty input)");
	free_run(cum, d);
}

/* ---- escaping ------------------------------------------------------------ */

static void test_escape(void **state)
{
	struct strbuf sb;
	char t[32];

	(void)state;
	strbuf_init(&sb);
	fl_xml_escape(&sb, "a<b>&\"c'\x01\x7f\tz\n\xc3\xa9\xff\xe2\x82");
	assert_string_equal(strbuf_str(&sb), "a&lt;b&gt;&amp;&quot;c&#39;??\tz\n\xc3\xa9???");
	strbuf_free(&sb);
	fl_utc_str(t, sizeof(t), 1764097200123456789ULL, 1);
	assert_string_equal(t, "2025-11-25 19:00:00");
	fl_utc_str(t, sizeof(t), 1764097200123456789ULL, 0);
	assert_string_equal(t, "19:00:00");
}

/* ---- heat map ------------------------------------------------------------ */

static char *svg_of(const struct fl_heat *h, const char *title)
{
	struct fl_heat_opts o = { .title = title, .standalone = 1 };
	struct strbuf sb;
	char *r;

	strbuf_init(&sb);
	fl_heatmap_svg(h, &o, &sb);
	assert_false(sb.oom);
	r = strdup(strbuf_str(&sb));
	strbuf_free(&sb);
	return r;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Sum of data-n="..." over the cells. */
static uint64_t cell_sum(const char *svg)
{
	uint64_t sum = 0;

	for (const char *p = strstr(svg, "data-n=\""); p; p = strstr(p + 1, "data-n=\""))
		sum += strtoull(p + 8, NULL, 10);
	return sum;
}

static void heat_from(struct fl_heat *h, const char *path)
{
	char err[512];

	fl_heat_init(h);
	if (fl_json_file_read(path, fl_heat_add_record, h, err, sizeof(err)))
		fail_msg("%s", err);
}

static void test_heatmap(void **state)
{
	struct fl_snapshot cum[NIV], d[NIV], prev_empty;
	struct fl_heat hd, hc;
	char *a, *b, extra[512], err[256];

	(void)state;
	make_run(cum, d);
	snprintf(extra, sizeof(extra), "%s%s", SLOW, OTHER);
	heat_from(&hd, file("hd.json", lines(d, extra)));
	heat_from(&hc, file("hc.json", lines(cum, extra)));
	assert_int_equal(hd.niv, NIV);
	assert_int_equal(hd.nmarks, 1);
	a = svg_of(&hd, "t <x> & \"y\"");
	b = svg_of(&hc, "t <x> & \"y\"");
	/* cumulative input differenced = --delta input: the same picture */
	assert_string_equal(a, b);
	assert_true(!strncmp(a, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=", 50));
	/* every flush in exactly one cell: 1+2+3+4 around 1 ms, one at 45 ms */
	assert_int_equal(cell_sum(a), 11);
	assert_int_equal(hd.samples, 11);
	/* one cell per non-empty (interval, row): 7 octaves (0.5 .. 67 ms) get
	 * quarter-octave rows; 0.9 ms | 1.10, 1.12 | 1.30 + 1.32, 1.34 + 45 |
	 * 1.50 .. 1.56 ms (the row bounds: 1048576, 1310720, 1572864 ns) */
	assert_int_equal(count(a, "<rect class=\"cell\""), 1 + 1 + 3 + 1);
	assert_non_null(strstr(a, "data-i=\"2\" data-lo=\"1310720\" data-hi=\"1572864\" data-n=\"2\""));
	assert_non_null(strstr(a, "data-i=\"3\" data-lo=\"1310720\" data-hi=\"1572864\" data-n=\"4\""));
	assert_non_null(strstr(a, "data-i=\"2\" data-lo=\"41943040\" data-hi=\"50331648\" data-n=\"1\""));
	assert_non_null(strstr(a, "<circle class=\"mark\""));
	assert_non_null(strstr(a, "(rec&lt;&amp;&gt;)"));
	assert_non_null(strstr(a, "t &lt;x&gt; &amp; &quot;y&quot;"));
	assert_non_null(strstr(a, "slow flush (1)"));
	assert_null(strstr(a, "<script"));
	assert_null(strstr(a, "href"));
	assert_non_null(strstr(a, "time (s) since 2025-11-25 19:00:00 UTC"));
	free(a);
	free(b);
	fl_heat_free(&hc);

	/* an empty first interval (nothing flushed yet) is a column without cells */
	fl_heat_init(&hc);
	snap_init(&prev_empty);
	prev_empty.taken_realtime_ns = d[0].taken_realtime_ns - 1000000000ULL;
	prev_empty.delta = 1;
	assert_int_equal(fl_heat_add_snapshot(&hc, &prev_empty, err, sizeof(err)), 0);
	assert_int_equal(fl_heat_add_snapshot(&hc, &d[0], err, sizeof(err)), 0);
	assert_int_equal(hc.niv, 2);
	assert_int_equal(hc.ivs[0].n, 0);
	a = svg_of(&hc, NULL);
	assert_int_equal(count(a, "<rect class=\"cell\""), 1);
	assert_non_null(strstr(a, "data-i=\"1\""));
	free(a);
	fl_heat_free(&hc);

	/* refusals */
	fl_heat_init(&hc);
	assert_int_equal(fl_heat_add_snapshot(&hc, &d[0], err, sizeof(err)), 0);
	assert_int_equal(fl_heat_add_snapshot(&hc, &cum[1], err, sizeof(err)), -1);
	assert_string_equal(err, "mixes --delta and cumulative snapshots");
	d[1].taken_realtime_ns = 5;
	assert_int_equal(fl_heat_add_snapshot(&hc, &d[1], err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is before the previous snapshot's"));
	d[1].taken_realtime_ns = 0;
	assert_int_equal(fl_heat_add_snapshot(&hc, &d[1], err, sizeof(err)), -1);
	assert_string_equal(err, "timestamp_ns: missing (the time axis needs it)");
	fl_heat_free(&hc);
	fl_heat_init(&hc);
	assert_int_equal(fl_heat_add_snapshot(&hc, &cum[2], err, sizeof(err)), 0);
	assert_int_equal(fl_heat_add_snapshot(&hc, &cum[3], err, sizeof(err)), 0);
	cum[1].taken_realtime_ns = cum[3].taken_realtime_ns;
	assert_int_equal(fl_heat_add_snapshot(&hc, &cum[1], err, sizeof(err)), -1);
	assert_non_null(strstr(err, "histogram counts go down"));
	fl_heat_free(&hc);
	fl_heat_free(&hd);
	free_run(cum, d);
}

/* ---- HTML report ---------------------------------------------------------- */

static char *html_of(const struct fl_html_input *in)
{
	struct strbuf sb;
	char *r;

	strbuf_init(&sb);
	fl_render_html(in, &sb);
	assert_false(sb.oom);
	r = strdup(strbuf_str(&sb));
	strbuf_free(&sb);
	return r;
}

static void test_html(void **state)
{
	static const char anatomy[] =
		"{\"breakdown\":{\"wall_ns\":2000000,\"flushes\":3,\"components\":"
		"{\"on_cpu\":{\"total_ns\":500000,\"p50_ns\":1000},\"io\":{\"total_ns\":1500000,"
		"\"p50_ns\":20000,\"p99_ns\":900000}},\"syscalls\":{\"fdatasync\":{\"count\":3,"
		"\"total_ns\":1400000},\"rename\":{\"count\":3,\"total_ns\":9000}}},"
		"\"slow_dropped\":2,\"top\":[{\"pid\":77,\"tid\":78,\"start_ns\":5,"
		"\"duration_ns\":45000000,\"comm\":\"<img src=x>\"}]}";
	struct fl_snapshot cum[NIV], d[NIV];
	struct fl_threshold th[3];
	struct fl_render_opts o;
	struct fl_html_input in;
	struct json_object *last;
	struct fl_heat h;
	char *html, err[256], extra[512];

	(void)state;
	make_run(cum, d);
	snprintf(extra, sizeof(extra), "%s", SLOW);
	heat_from(&h, file("h.json", lines(d, extra)));
	fl_render_opts_default(&o);
	assert_int_equal(fl_threshold_parse("p99>10ms", &th[0], err, sizeof(err)), 0);
	assert_int_equal(fl_threshold_parse("samples<5", &th[1], err, sizeof(err)), 0);
	assert_int_equal(fl_threshold_parse("in_flight>0", &th[2], err, sizeof(err)), 0);
	last = json_tokener_parse(anatomy);
	assert_non_null(last);
	in = (struct fl_html_input){ .file = "run<1>.json", .run = &cum[NIV - 1], .nsnapshots = NIV,
				     .summed = 1, .heat = &h, .last = last, .fail_if = th,
				     .nfail_if = 3, .render = &o, .generator = "flushlat test" };
	html = html_of(&in);
	assert_true(!strncmp(html, "<!DOCTYPE html>\n", 16));
	assert_non_null(strstr(html, "Content-Security-Policy\" content=\"default-src 'none'"));
	assert_non_null(strstr(html, "<title>flushlat report: run&lt;1&gt;.json</title>"));
	assert_non_null(strstr(html, "4 --delta snapshots summed into the run"));
	/* the verdicts: p99 of the run is 45 ms (the slow flush is the 11th of 11) */
	assert_non_null(strstr(html, "<code>p99&gt;10ms</code></td><td class=\"holds\">holds: FAIL"));
	assert_non_null(strstr(html, "<code>samples&lt;5</code></td><td class=\"ok\">"));
	assert_non_null(strstr(html, "<code>in_flight&gt;0</code></td><td class=\"ok\">"));
	/* the dump block, escaped, then every metric, the histogram, the heat map */
	assert_non_null(strstr(html, "<pre class=\"dump\">[Meta Store Metrics] Snapshot:\n"));
	assert_null(strstr(html, " Histogram (flushes")); /* bars instead */
	assert_non_null(strstr(html, "<th>p99.9</th>"));
	assert_non_null(strstr(html, "<table class=\"hist\">"));
	assert_non_null(strstr(html, "<td class=\"mark\">p50 </td>"));
	assert_int_equal(count(html, "<svg "), 1);
	assert_int_equal(count(html, "<rect class=\"cell\""), 6);
	/* processes: the comm escaped */
	assert_non_null(strstr(html, "<td>rec&lt;&amp;&gt;&quot;&#39;</td>"));
	/* anatomy tables, drawn from the JSON as it comes */
	assert_non_null(strstr(html, "<h2>Where the time goes (breakdown)</h2>"));
	assert_non_null(strstr(html, "<th>wall_ns</th><td class=\"n\" title=\"2000000 ns\">2.00 ms</td>"));
	assert_non_null(strstr(html, "<tr><th></th><th>total_ns</th><th>p50_ns</th><th>p99_ns</th></tr>"));
	assert_non_null(strstr(html, "<tr><th>on_cpu</th><td class=\"n\" title=\"500000 ns\">500 us</td>"
				     "<td class=\"n\" title=\"1000 ns\">1.00 us</td><td></td></tr>"));
	assert_non_null(strstr(html, "<th>fdatasync</th><td class=\"n\">3</td>"));
	assert_non_null(strstr(html, "<h2>Slow-flush records dropped</h2>"));
	assert_non_null(strstr(html, "<h2>Slowest flushes (top)</h2>"));
	assert_non_null(strstr(html, "<td>&lt;img src=x&gt;</td>"));
	assert_non_null(strstr(html, "<h2>Slow flushes</h2>"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "http:"));
	assert_null(strstr(html, "https:"));
	free(html);

	/* without anatomy keys, intervals or thresholds: those sections are absent */
	in = (struct fl_html_input){ .file = "x.json", .run = &cum[0], .nsnapshots = 1,
				     .render = &o };
	html = html_of(&in);
	assert_null(strstr(html, "Thresholds"));
	assert_null(strstr(html, "breakdown"));
	assert_null(strstr(html, "<svg"));
	assert_null(strstr(html, "Slow flushes"));
	assert_non_null(strstr(html, "<h2>Processes</h2>"));
	free(html);
	json_object_put(last);
	fl_heat_free(&h);
	free_run(cum, d);
}

/* ---- the --watch frame ---------------------------------------------------- */

static char *frame(const struct fl_live *w, int cols, int rows)
{
	struct strbuf sb;
	char *r;

	strbuf_init(&sb);
	fl_live_frame(w, cols, rows, 1764097230000000000ULL, &sb);
	assert_false(sb.oom);
	r = strdup(strbuf_str(&sb));
	strbuf_free(&sb);
	return r;
}

/* Display columns of the widest line, and the number of lines. */
static void measure(const char *txt, int *width, int *nlines)
{
	int w = 0;

	*width = 0;
	*nlines = 0;
	for (const unsigned char *p = (const unsigned char *)txt; *p; p++) {
		if (*p == '\n') {
			(*nlines)++;
			w = 0;
			continue;
		}
		if ((*p & 0xc0) != 0x80 && ++w > *width)
			*width = w;
	}
}

static void test_watch(void **state)
{
	struct fl_snapshot cum[NIV], d[NIV];
	struct fl_live *w = malloc(sizeof(*w));
	char *txt;
	int width, nlines;

	(void)state;
	assert_non_null(w);
	setenv("TZ", "UTC", 1);
	tzset();
	make_run(cum, d);
	fl_live_init(w, 1.0, 0);
	txt = frame(w, 80, 24);
	assert_string_equal(txt,
		"flushlat --watch: every 1.00 s, 19:00:30 (Ctrl-C quits)\n"
		"last interval: waiting for the first one (1.00 s)\n"
		"whole run: 0 flushes in 0.00 ns\n"
		"in flight: 0; unmatched 0, dropped 0\n"
		"p99 trend: last 0.00 ns, 1 interval per mark, no flushes yet\n"
		"\n"
		"heat strips: one line per interval, newest last; .:#@ = more flushes\n");
	free(txt);
	/* a recorder with the failed probe: its failures on the in-flight line */
	cum[NIV - 1].failed_known = 1;
	cum[NIV - 1].failed[ENOSPC] = 2;
	for (int i = 0; i < NIV; i++)
		fl_live_add(w, &cum[i], &d[i], 1000000000ULL, (uint64_t)(i + 1) * 1000000000ULL);
	txt = frame(w, 80, 24);
	/*
	 * Interval 3 (1.50 .. 1.56 ms) moved neither extreme: its percentiles are
	 * its bucket's middle, its max is bounded by that bucket.  The p99 marks:
	 * 0.90, 1.12, 45.0, 1.54 ms on a log scale.  Strips: quarter octaves from
	 * 524 us (octave labels where they fit), the fullest cell (4) '@'.
	 */
	assert_string_equal(txt,
		"flushlat --watch: every 1.00 s, 19:00:30 (Ctrl-C quits)\n"
		"last 1.00 s: 4 flushes, 4.0/s, p50 1.54 ms, p99 1.54 ms, max <=1.57 ms\n"
		"whole run: 11 flushes in 4.00 s, p50 1.34 ms, p99 45.0 ms, max 45.0 ms\n"
		"in flight: 0; unmatched 0, dropped 0; failed 2\n"
		"p99 trend: last 4.00 s, 1 interval per mark, 900 us .. 45.0 ms (log scale)\n"
		"__#.\n"
		"heat strips: one line per interval, newest last; .:#@ = more flushes\n"
		"          524us   2.1ms   8.4ms   34ms  \n"
		"19:00:01    .                         \n"
		"19:00:02      #                       \n"
		"19:00:03      .#                   .  \n"
		"19:00:04       @                      \n");
	free(txt);
	/* small terminals: nothing wraps, nothing runs past the last row */
	for (int cols = 10; cols <= 120; cols += 11) {
		for (int rows = 1; rows <= 14; rows += 3) {
			txt = frame(w, cols, rows);
			measure(txt, &width, &nlines);
			assert_true(width <= cols);
			assert_true(nlines <= rows);
			free(txt);
		}
	}
	/* block characters with a UTF-8 locale */
	w->utf8 = 1;
	txt = frame(w, 80, 24);
	assert_non_null(strstr(txt, "max \u22641.57 ms"));
	assert_non_null(strstr(txt, "\n\u2581\u2581\u2588\u2582\n"));
	assert_non_null(strstr(txt, "\n19:00:04       \u2588 "));
	free(txt);
	free(w);
	free_run(cum, d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_sum),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_heatmap),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_watch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
