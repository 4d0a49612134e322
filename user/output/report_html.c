// SPDX-License-Identifier: MIT
/*
 * report_html.c - the HTML report: one page, nothing outside it.
 *
 * The page carries a Content-Security-Policy that forbids every fetch but
 * inline style, so even a browser that honours nothing else loads nothing
 * over the network.  Tables the flush-anatomy keys ("breakdown", "top", ...)
 * are drawn generically from the JSON, so new columns show up without a
 * change here; values of keys ending in "_ns" are shown as durations.
 */
#include "report_html.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "format.h"
#include "hist_text.h"
#include "metastore.h"
#include "metrics.h"
#include "snapshot_read.h"
#include "xml.h"

/* Rows of a generic table shown at most; more are counted. */
#define MAX_TABLE_ROWS 200
/* Slow-flush records listed (the slowest first). */
#define MAX_SLOW_ROWS 50
#define MAX_DEPTH 3

static const char css[] =
	"body{font:14px/1.45 'DejaVu Sans',Helvetica,Arial,sans-serif;color:#222;margin:24px auto;"
	"max-width:1000px;padding:0 16px}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
	"border-bottom:1px solid #ddd;padding-bottom:3px}h3{font-size:14px;margin:16px 0 6px}"
	".meta{color:#555;margin:0 0 12px}"
	"pre{background:#f6f6f6;border:1px solid #e3e3e3;padding:10px;overflow-x:auto;"
	"font:13px/1.35 'DejaVu Sans Mono',Menlo,Consolas,monospace}"
	"table{border-collapse:collapse;margin:4px 0 8px}"
	"th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
	"th{background:#f2f2f2;font-weight:600}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	"table.metrics th,table.metrics td{padding:3px 6px}"
	"table.hist td{border:none;padding:1px 6px}table.hist td.bar{width:60%}"
	".bar div{background:#e8743b;height:14px;min-width:2px}"
	".mark{font-weight:600;color:#b4232c}"
	".holds{background:#fbe3e4;color:#8a1018;font-weight:600}"
	".ok{background:#e5f4e7;color:#1d6b2a;font-weight:600}"
	".unknown{background:#eee;color:#555;font-weight:600}"
	".note{color:#666;font-size:12px}svg{max-width:100%;height:auto}";

static void esc(struct strbuf *out, const char *s)
{
	fl_xml_escape(out, s);
}

static void tag_text(struct strbuf *out, const char *open, const char *text, const char *close)
{
	strbuf_puts(out, open);
	esc(out, text);
	strbuf_puts(out, close);
}

static void dur(char *buf, size_t len, uint64_t ns)
{
	fmt_duration(buf, len, ns);
}

/* ---- header, verdicts, summary ------------------------------------------ */

static void head(const struct fl_html_input *in, struct strbuf *out)
{
	strbuf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		    "style-src 'unsafe-inline'\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	tag_text(out, "<title>flushlat report: ", in->file, "</title>\n");
	strbuf_printf(out, "<style>%s</style>\n</head>\n<body>\n", css);
}

static void intro(const struct fl_html_input *in, struct strbuf *out)
{
	const struct fl_snapshot *s = in->run;
	char when[32];

	strbuf_puts(out, "<h1>flushlat report</h1>\n<p class=\"meta\">");
	tag_text(out, "<code>", in->file, "</code>");
	if (in->summed)
		strbuf_printf(out, ": %zu --delta snapshot%s summed into the run", in->nsnapshots,
			      in->nsnapshots == 1 ? "" : "s");
	else if (in->nsnapshots > 1)
		strbuf_printf(out, ": the last of %zu cumulative snapshots", in->nsnapshots);
	if (s->taken_realtime_ns) {
		fl_utc_str(when, sizeof(when), s->taken_realtime_ns, 1);
		strbuf_printf(out, ", read at %s UTC", when);
	}
	if (s->pid > 0)
		strbuf_printf(out, ", target pid %d", s->pid);
	if (s->lean)
		strbuf_puts(out, ", --lean (in-flight and unmatched counts unknown)");
	strbuf_puts(out, "</p>\n");
}

static void verdicts(const struct fl_html_input *in, struct strbuf *out)
{
	if (!in->nfail_if)
		return;
	strbuf_puts(out, "<h2>Thresholds (--fail-if)</h2>\n<table class=\"verdicts\">\n"
		    "<tr><th>condition</th><th>verdict</th><th>detail</th></tr>\n");
	for (int i = 0; i < in->nfail_if; i++) {
		const struct fl_threshold *t = &in->fail_if[i];
		char why[256] = "", val[64];
		int r = fl_threshold_eval(t, in->run, why, sizeof(why));
		struct fl_value v = fl_metric_value(t->metric, in->run);

		tag_text(out, "<tr><td><code>", t->text, "</code></td>");
		if (r > 0)
			strbuf_puts(out, "<td class=\"holds\">holds: FAIL</td>");
		else if (r == 0)
			strbuf_puts(out, "<td class=\"ok\">does not hold: pass</td>");
		else
			strbuf_puts(out, "<td class=\"unknown\">unknown</td>");
		if (r < 0)
			snprintf(val, sizeof(val), "%s is unknown: %s", t->metric->name,
				 fl_metric_unknown_why(t->metric, in->run));
		else if (t->metric->unit == FL_UNIT_NS)
			dur(val, sizeof(val), v.u);
		else if (t->metric->unit == FL_UNIT_PER_SEC)
			snprintf(val, sizeof(val), "%.2f/s", v.d);
		else
			snprintf(val, sizeof(val), "%llu", (unsigned long long)v.u);
		if (r >= 0) {
			strbuf_puts(out, "<td>");
			esc(out, t->metric->name);
			strbuf_puts(out, " = ");
			esc(out, val);
			strbuf_puts(out, "</td></tr>\n");
		} else {
			tag_text(out, "<td>", val, "</td></tr>\n");
		}
	}
	strbuf_puts(out, "</table>\n");
}

static void summary(const struct fl_html_input *in, struct strbuf *out)
{
	struct fl_render_opts o = *in->render;
	struct strbuf txt;

	o.hist = 0; /* drawn below as bars */
	strbuf_init(&txt);
	fl_render_text(in->run, &o, &txt);
	strbuf_puts(out, "<h2>Summary</h2>\n");
	tag_text(out, "<pre class=\"dump\">", strbuf_str(&txt), "</pre>\n");
	out->oom |= txt.oom;
	strbuf_free(&txt);
}

static void metric_cell(struct strbuf *out, const struct fl_metric *m, struct fl_value v)
{
	char buf[64];

	if (!v.known)
		snprintf(buf, sizeof(buf), "unknown");
	else if (m->unit == FL_UNIT_NS)
		dur(buf, sizeof(buf), v.u);
	else if (m->unit == FL_UNIT_PER_SEC)
		snprintf(buf, sizeof(buf), "%.2f/s", v.d);
	else
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v.u);
	if (v.known && m->unit == FL_UNIT_NS)
		strbuf_printf(out, "<td class=\"n\" title=\"%llu ns\">", (unsigned long long)v.u);
	else
		strbuf_puts(out, "<td class=\"n\">");
	esc(out, buf);
	strbuf_puts(out, "</td>");
}

/* The metric table, as --fail-if and diff know it, in rows that fit a page. */
#define METRICS_PER_ROW 7

static void metrics_table(const struct fl_html_input *in, struct strbuf *out)
{
	strbuf_puts(out, "<h2>Metrics</h2>\n<table class=\"metrics\">\n");
	for (size_t row = 0; row < fl_nmetrics; row += METRICS_PER_ROW) {
		size_t end = row + METRICS_PER_ROW < fl_nmetrics ? row + METRICS_PER_ROW : fl_nmetrics;

		strbuf_puts(out, "<tr>");
		for (size_t i = row; i < end; i++)
			tag_text(out, "<th>", fl_metrics[i].name, "</th>");
		strbuf_puts(out, "</tr>\n<tr>");
		for (size_t i = row; i < end; i++)
			metric_cell(out, &fl_metrics[i], fl_metric_value(&fl_metrics[i], in->run));
		strbuf_puts(out, "</tr>\n");
	}
	strbuf_puts(out, "</table>\n");
}

/* ---- histogram ---------------------------------------------------------- */

static void histogram(const struct fl_html_input *in, struct strbuf *out)
{
	struct fl_hist_row rows[FL_HIST_OCTAVES];
	size_t n = fl_hist_rows_marked(in->run, FL_HIST_TEXT_ROWS, rows);
	uint64_t max = 0;
	char lo[32], hi[32];

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		max = rows[i].count > max ? rows[i].count : max;
	strbuf_puts(out, "<h2>Histogram</h2>\n<table class=\"hist\">\n"
		    "<tr><th>latency</th><th>flushes</th><th></th><th></th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		double pct = (double)rows[i].count * 100.0 / (double)max;

		dur(lo, sizeof(lo), fl_hist_row_lo(&rows[i]));
		dur(hi, sizeof(hi), fl_hist_row_hi(&rows[i]));
		strbuf_printf(out, "<tr><td>%s &ndash; %s</td><td class=\"n\">%llu</td>"
			      "<td class=\"bar\">", lo, hi, (unsigned long long)rows[i].count);
		if (rows[i].count) /* an empty row gets no bar at all */
			strbuf_printf(out, "<div style=\"width:%.2f%%\"></div>", pct);
		strbuf_printf(out, "</td><td class=\"mark\">%s%s</td></tr>\n",
			      rows[i].marks & FL_HIST_MARK_P50 ? "p50 " : "",
			      rows[i].marks & FL_HIST_MARK_P99 ? "p99" : "");
	}
	strbuf_puts(out, "</table>\n");
}

static void heatmap(const struct fl_html_input *in, struct strbuf *out)
{
	struct fl_heat_opts o = { .title = "flush latency heat map", .standalone = 0 };

	if (in->heat_note) {
		strbuf_puts(out, "<h2>Heat map</h2>\n");
		tag_text(out, "<p class=\"note\">No heat map: ", in->heat_note, "</p>\n");
		return;
	}
	if (!in->heat || in->heat->niv < 2)
		return;
	strbuf_puts(out, "<h2>Heat map</h2>\n<p class=\"note\">One column per snapshot interval, "
		    "latency on a log scale, colour = flushes per cell");
	if (in->heat->nmarks)
		strbuf_puts(out, "; circles are slow-flush records");
	strbuf_puts(out, ".</p>\n");
	fl_heatmap_svg(in->heat, &o, out);
}

/* ---- processes, slow flushes -------------------------------------------- */

static void processes(const struct fl_html_input *in, struct strbuf *out)
{
	const struct fl_snapshot *s = in->run;
	char comm[FL_COMM_LEN + 1], a[32], b[32], c[32], d[32];

	if (!s->nprocs)
		return;
	strbuf_puts(out, "<h2>Processes</h2>\n<table class=\"procs\">\n<tr><th>pid</th><th>comm</th>"
		    "<th>samples</th><th>total</th><th>min</th><th>avg</th><th>max</th></tr>\n");
	for (size_t i = 0; i < s->nprocs && i < MAX_TABLE_ROWS; i++) {
		const struct duration64 *f = &s->procs[i].ms.maintenance_meta_flush;

		fl_comm_str(s->procs[i].comm, comm);
		dur(a, sizeof(a), f->total_ns.value);
		dur(b, sizeof(b), f->samples.value ? f->min_ns.value : 0);
		dur(c, sizeof(c), duration64_avg_ns(f));
		dur(d, sizeof(d), f->max_ns.value);
		strbuf_printf(out, "<tr><td class=\"n\">%u</td>", s->procs[i].pid);
		tag_text(out, "<td>", comm, "</td>");
		strbuf_printf(out, "<td class=\"n\">%llu</td><td class=\"n\">%s</td><td class=\"n\">%s"
			      "</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
			      (unsigned long long)f->samples.value, a, b, c, d);
	}
	strbuf_puts(out, "</table>\n");
	if (s->nprocs > MAX_TABLE_ROWS)
		strbuf_printf(out, "<p class=\"note\">%zu more processes not shown.</p>\n",
			      s->nprocs - MAX_TABLE_ROWS);
}

/* The slowest records first, at most MAX_SLOW_ROWS (a selection, not a sort of all). */
static void slow_records(const struct fl_html_input *in, struct strbuf *out)
{
	const struct fl_heat *h = in->heat;
	size_t shown[MAX_SLOW_ROWS], nshown = 0;
	char comm[FL_COMM_LEN + 1], d[32], at[32];

	if (!h || !h->nmarks)
		return;
	while (nshown < MAX_SLOW_ROWS && nshown < h->nmarks) {
		size_t best = h->nmarks;

		for (size_t i = 0; i < h->nmarks; i++) {
			int taken = 0;

			for (size_t j = 0; j < nshown && !taken; j++)
				taken = shown[j] == i;
			if (!taken && (best == h->nmarks ||
				       h->marks[i].duration_ns > h->marks[best].duration_ns))
				best = i;
		}
		shown[nshown++] = best;
	}
	strbuf_printf(out, "<h2>Slow flushes</h2>\n<p class=\"note\">%zu slow-flush record%s in the "
		      "file%s; the slowest %zu:</p>\n", h->nmarks + h->marks_dropped,
		      h->nmarks + h->marks_dropped == 1 ? "" : "s",
		      h->marks_dropped ? " (beyond the first ones read, only counted)" : "", nshown);
	strbuf_puts(out, "<table class=\"slow\">\n<tr><th>time (UTC)</th><th>duration</th><th>pid</th>"
		    "<th>tid</th><th>comm</th><th>start_ns</th></tr>\n");
	for (size_t j = 0; j < nshown; j++) {
		const struct fl_slow_flush *m = &h->marks[shown[j]];

		fl_comm_str(m->comm, comm);
		dur(d, sizeof(d), m->duration_ns);
		fl_utc_str(at, sizeof(at), m->time_ns, 1);
		strbuf_printf(out, "<tr><td>%s.%03llu</td><td class=\"n\" title=\"%llu ns\">%s</td>"
			      "<td class=\"n\">%u</td><td class=\"n\">%u</td>", at,
			      (unsigned long long)(m->time_ns / 1000000 % 1000),
			      (unsigned long long)m->duration_ns, d, m->pid, m->tid);
		tag_text(out, "<td>", comm, "</td>");
		strbuf_printf(out, "<td class=\"n\">%llu</td></tr>\n", (unsigned long long)m->start_ns);
	}
	strbuf_puts(out, "</table>\n");
}

/* ---- generic JSON tables (breakdown, top, ...) --------------------------- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* One value as a table cell: durations for *_ns integers, JSON for nested values. */
static void json_cell(struct strbuf *out, const char *key, struct json_object *v)
{
	char buf[64];

	switch (json_object_get_type(v)) {
	case json_type_int:
		if (json_object_get_int64(v) >= 0 && key && ends_with(key, "_ns")) {
			uint64_t ns = json_object_get_uint64(v);

			dur(buf, sizeof(buf), ns);
			strbuf_printf(out, "<td class=\"n\" title=\"%llu ns\">%s</td>",
				      (unsigned long long)ns, buf);
		} else {
			tag_text(out, "<td class=\"n\">", json_object_get_string(v), "</td>");
		}
		break;
	case json_type_double:
		snprintf(buf, sizeof(buf), "%.6g", json_object_get_double(v));
		tag_text(out, "<td class=\"n\">", buf, "</td>");
		break;
	case json_type_null:
		strbuf_puts(out, "<td>unknown</td>");
		break;
	case json_type_string:
	case json_type_boolean:
		tag_text(out, "<td>", json_object_get_string(v), "</td>");
		break;
	case json_type_object:
	case json_type_array:
		tag_text(out, "<td><code>",
			 json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), "</code></td>");
		break;
	}
}

static int all_objects_obj(struct json_object *o)
{
	int any = 0;

	json_object_object_foreach(o, k, v) {
		(void)k;
		if (!json_object_is_type(v, json_type_object))
			return 0;
		any = 1;
	}
	return any;
}

static int all_objects_arr(struct json_object *a)
{
	size_t n = json_object_array_length(a);

	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i), json_type_object))
			return 0;
	return n > 0;
}

/* Column names: the union of the rows' keys, in first-seen order. */
static size_t columns(struct json_object *const *rows, size_t nrows, const char **cols, size_t max)
{
	size_t n = 0;

	for (size_t r = 0; r < nrows; r++) {
		json_object_object_foreach(rows[r], k, v) {
			size_t c;

			(void)v;
			for (c = 0; c < n && strcmp(cols[c], k) != 0; c++)
				;
			if (c == n && n < max)
				cols[n++] = k;
		}
	}
	return n;
}

#define MAX_COLS 24

/* Rows (objects) as a table; first_col names each row when given (object keys). */
static void rows_table(struct strbuf *out, struct json_object *const *rows, const char *const *names,
		       size_t nrows, size_t total)
{
	const char *cols[MAX_COLS];
	size_t ncols = columns(rows, nrows, cols, MAX_COLS);

	strbuf_puts(out, "<table>\n<tr>");
	if (names)
		strbuf_puts(out, "<th></th>");
	for (size_t c = 0; c < ncols; c++)
		tag_text(out, "<th>", cols[c], "</th>");
	strbuf_puts(out, "</tr>\n");
	for (size_t r = 0; r < nrows; r++) {
		strbuf_puts(out, "<tr>");
		if (names)
			tag_text(out, "<th>", names[r], "</th>");
		for (size_t c = 0; c < ncols; c++) {
			struct json_object *v;

			if (json_object_object_get_ex(rows[r], cols[c], &v))
				json_cell(out, cols[c], v);
			else
				strbuf_puts(out, "<td></td>");
		}
		strbuf_puts(out, "</tr>\n");
	}
	strbuf_puts(out, "</table>\n");
	if (total > nrows)
		strbuf_printf(out, "<p class=\"note\">%zu more rows not shown.</p>\n", total - nrows);
}

static void json_block(struct strbuf *out, const char *name, struct json_object *v, int depth);

/* An object: scalars as one key/value table, object-of-objects as a matrix, the rest nested. */
static void object_block(struct strbuf *out, struct json_object *o, int depth)
{
	struct json_object *rows[MAX_TABLE_ROWS];
	const char *names[MAX_TABLE_ROWS];
	size_t n = 0, total = 0;
	int scalars = 0;

	if (all_objects_obj(o)) {
		json_object_object_foreach(o, k, v) {
			if (n < MAX_TABLE_ROWS) {
				names[n] = k;
				rows[n++] = v;
			}
			total++;
		}
		rows_table(out, rows, names, n, total);
		return;
	}
	json_object_object_foreach(o, k, v) {
		if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
			continue;
		if (!scalars++)
			strbuf_puts(out, "<table>\n");
		tag_text(out, "<tr><th>", k, "</th>");
		json_cell(out, k, v);
		strbuf_puts(out, "</tr>\n");
	}
	if (scalars)
		strbuf_puts(out, "</table>\n");
	json_object_object_foreach(o, k2, v2) {
		if (json_object_is_type(v2, json_type_object) || json_object_is_type(v2, json_type_array))
			json_block(out, k2, v2, depth + 1);
	}
}

/* A named value; depth 0 is a section's own value, under the section's heading. */
static void json_block(struct strbuf *out, const char *name, struct json_object *v, int depth)
{
	struct json_object *rows[MAX_TABLE_ROWS];
	size_t n, total;

	if (depth)
		tag_text(out, "<h3>", name, "</h3>\n");
	if (depth >= MAX_DEPTH) {
		strbuf_puts(out, "<pre>");
		esc(out, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PRETTY));
		strbuf_puts(out, "</pre>\n");
		return;
	}
	if (json_object_is_type(v, json_type_object)) {
		object_block(out, v, depth);
	} else if (json_object_is_type(v, json_type_array) && all_objects_arr(v)) {
		total = json_object_array_length(v);
		n = total < MAX_TABLE_ROWS ? total : MAX_TABLE_ROWS;
		for (size_t i = 0; i < n; i++)
			rows[i] = json_object_array_get_idx(v, i);
		rows_table(out, rows, NULL, n, total);
	} else {
		tag_text(out, "<table><tr><th>", name, "</th>");
		json_cell(out, name, v);
		strbuf_puts(out, "</tr></table>\n");
	}
}

/* The flush-anatomy keys of the last snapshot, when it has them. */
static void anatomy(const struct fl_html_input *in, struct strbuf *out)
{
	static const struct { const char *key, *title; } keys[] = {
		{ "breakdown", "Where the time goes (breakdown)" },
		{ "top", "Slowest flushes (top)" },
		{ "slow_dropped", "Slow-flush records dropped" },
	};
	struct json_object *v;

	if (!in->last)
		return;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!json_object_object_get_ex(in->last, keys[i].key, &v) || !v)
			continue;
		tag_text(out, "<h2>", keys[i].title, "</h2>\n");
		if (in->nsnapshots > 1)
			strbuf_puts(out, "<p class=\"note\">From the last snapshot in the file.</p>\n");
		json_block(out, keys[i].key, v, 0);
	}
}

void fl_render_html(const struct fl_html_input *in, struct strbuf *out)
{
	head(in, out);
	intro(in, out);
	verdicts(in, out);
	summary(in, out);
	metrics_table(in, out);
	histogram(in, out);
	heatmap(in, out);
	processes(in, out);
	anatomy(in, out);
	slow_records(in, out);
	strbuf_puts(out, "<p class=\"note\">Generated by ");
	esc(out, in->generator ? in->generator : "flushlat");
	strbuf_puts(out, " from the file above; no script, nothing loaded from elsewhere.</p>\n"
		    "</body>\n</html>\n");
}
