// SPDX-License-Identifier: MIT
/*
 * `flushlat report` and `flushlat diff`: saved JSON snapshots (a --format
 * json --output file: its last snapshot, or its --delta snapshots summed)
 * re-rendered -- as text, Prometheus, JSON or an HTML page -- or compared
 * for regression gates.
 *
 * Exit status: 0 ok; 1 the output could not be written; 2 usage or an
 * unreadable/invalid snapshot, or a --fail-if on a value the snapshot does
 * not know (one message on stderr); 3 when a --fail-if holds, with a line
 * per condition that held on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "exitcodes.h"
#include "format.h"
#include "heatmap.h"
#include "metrics.h"
#include "opts.h"
#include "render.h"
#include "report.h"
#include "report_html.h"
#include "snapshot_read.h"
#include "term.h"
#include "threshold.h"

const char fl_report_html_format[] = "html";

static void report_usage(FILE *f)
{
	fprintf(f,
"usage: flushlat report [options] FILE.json\n"
"\n"
"Re-render the run saved in FILE.json: its last snapshot, or the sum of its\n"
"--delta snapshots.\n"
"\n"
"      --format F       text (default), prometheus, json, or html: one\n"
"                       self-contained page (summary, metrics, histogram,\n"
"                       heat map of the intervals, processes, slow flushes,\n"
"                       --fail-if verdicts)\n"
"      --fail-if EXPR   exit 3 when EXPR holds on the run (repeatable, at most\n"
"                       %d; as for a run, e.g. 'p99>5ms'); html shows each verdict\n"
"      --no-hist        text: no histogram\n"
"      --compat         Prometheus: the recorder's own metric names\n"
"                       (ie_wal_recorder__meta_store..., system=\"wal_recorder\")\n"
"      --prefix P       Prometheus metric prefix (default flushlat)\n"
"      --label NAME     label of the text dump block (default \"Meta Store\")\n"
"      --label-set K=V  add label K=\"V\" to every Prometheus series (repeatable)\n"
"      --buckets MIN..MAX/N  Prometheus: the classic histogram's le bounds, as for\n"
"                       a run (default " FL_BUCKETS_DEFAULT ")\n"
"  -h, --help           this help\n"
"\n"
"Exit status: 0 ok, 1 the output cannot be written, 2 usage error,\n"
"unreadable snapshot or a --fail-if on an unknown value, 3 a --fail-if held.\n",
		FL_MAX_FAIL_IF);
}

/*
 * text's words as lines of at most 79 columns: the first word at column
 * first (after what the caller prints), each further line indented by indent.
 */
static void wrap(struct strbuf *out, const char *text, size_t first, size_t indent)
{
	size_t col = first;
	int start = 1;

	for (text += strspn(text, " "); *text; text += strspn(text, " ")) {
		size_t w = strcspn(text, " ");

		if (!start && col + 1 + w > 79) {
			strbuf_printf(out, "\n%*s", (int)indent, "");
			col = indent;
		} else if (!start) {
			strbuf_puts(out, " ");
			col++;
		}
		strbuf_printf(out, "%.*s", (int)w, text);
		col += w;
		text += w;
		start = 0;
	}
}

static void diff_usage(FILE *f)
{
	struct strbuf rows, names, wrows, wnames;
	const struct fl_metric *m;
	static const char head[] = "Compare two saved JSON snapshots:";

	strbuf_init(&rows);
	strbuf_init(&names);
	strbuf_init(&wrows);
	strbuf_init(&wnames);
	fl_for_each_metric(m)
		if (m->flags & FL_MF_DIFF)
			strbuf_printf(&rows, "%s%s,", rows.len ? " " : "", m->name);
	strbuf_puts(&rows, " base -> new, the change and the change in percent.");
	fl_metric_names(&names, " ");
	wrap(&wrows, strbuf_str(&rows), sizeof(head), 0);       /* after "head " */
	wrap(&wnames, strbuf_str(&names), 32, 32);              /* after "Metrics: " */
	fprintf(f,
"usage: flushlat diff [--fail-if EXPR]... BASE.json NEW.json\n"
"\n"
"%s %s\n"
"\n"
"      --fail-if EXPR   exit 3 when EXPR holds (repeatable, at most %d).\n"
"                       Relative to the base: p99>+20%%, avg>+10%%,\n"
"                       samples<-50%%; absolute on NEW: p99>5ms, max>1s,\n"
"                       samples<100, in_flight>0.  Units ns us ms s.\n"
"                       Metrics: %s\n"
"  -h, --help           this help\n"
"\n"
"Exit status: 0 ok, 1 the output cannot be written, 2 usage error, unreadable\n"
"snapshot or a --fail-if on an unknown value, 3 a --fail-if held.\n",
		head, strbuf_str(&wrows), FL_MAX_FAIL_IF, strbuf_str(&wnames));
	strbuf_free(&rows);
	strbuf_free(&names);
	strbuf_free(&wrows);
	strbuf_free(&wnames);
}

/* getopt keeps global state: reset it so the commands can run more than once. */
static void getopt_reset(void)
{
	optind = 0;
	opterr = 0;
}

/* "flushlat CMD: MSG[: ARG] (see ...)"; with a space as sep: "MSG ARG".  One printable line. */
static int usage_error_sep(const char *cmd, const char *msg, const char *sep, const char *arg)
{
	char line[1024];

	if (snprintf(line, sizeof(line), "%s%s%s", msg, arg ? sep : "", arg ? arg : "") < 0)
		line[0] = '\0'; /* (a long one is cut: still one line) */
	fl_text_safe(line);
	fprintf(stderr, "flushlat %s: %s (see flushlat %s --help)\n", cmd, line, cmd);
	return FL_EXIT_USAGE;
}

/* A file that cannot be used: its name and the cause, one printable line. */
static void file_error(const char *cmd, const char *err)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s", err);
	fl_text_safe(line);
	fprintf(stderr, "flushlat %s: %s\n", cmd, line);
}

static int usage_error(const char *cmd, const char *msg, const char *arg)
{
	return usage_error_sep(cmd, msg, ": ", arg);
}

/* stdout flushed and checked: a full disk or closed pipe is an error, not a silent 0. */
static int finish_output(const char *cmd)
{
	errno = 0;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "flushlat %s: cannot write the output: %s\n", cmd,
			strerror(errno ? errno : EIO));
		return FL_EXIT_RUNTIME;
	}
	return FL_EXIT_OK;
}

/* --fail-if for report: the run's grammar (no relative thresholds). */
static int add_fail_if(struct fl_threshold *th, int *n, const char *expr)
{
	char err[512];

	if (*n >= FL_MAX_FAIL_IF) {
		snprintf(err, sizeof(err), "too many --fail-if (at most %d)", FL_MAX_FAIL_IF);
		return usage_error("report", err, NULL);
	}
	if (fl_threshold_parse(expr, &th[*n], err, sizeof(err)))
		return usage_error_sep("report", "bad --fail-if", " ", err);
	if (th[*n].relative)
		return usage_error("report", "relative (%) thresholds are for 'flushlat diff'", expr);
	(*n)++;
	return 0;
}

/* Each verdict on stderr; FL_EXIT_THRESHOLD when one held, FL_EXIT_USAGE when one is unknown. */
static int judge(const struct fl_threshold *th, int n, const struct fl_snapshot *s)
{
	int held = 0, unknown = 0;
	char why[512];

	for (int i = 0; i < n; i++) {
		int r = fl_threshold_eval(&th[i], s, why, sizeof(why));

		if (r)
			fprintf(stderr, "flushlat report: %s\n", why);
		held |= r == 1;
		unknown |= r < 0;
	}
	return unknown ? FL_EXIT_USAGE : held ? FL_EXIT_THRESHOLD : FL_EXIT_OK;
}

/* The whole file for the HTML page: the run, the intervals, the last snapshot's JSON. */
struct html_file {
	struct fl_run run;
	struct fl_heat heat;
	struct json_object *last;
	char heat_err[256]; /* why the intervals cannot be drawn ("" when they can) */
};

static int html_record(const struct fl_record *r, void *ctx, char *err, size_t errlen)
{
	struct html_file *f = ctx;

	if (r->kind == FL_REC_SNAPSHOT) {
		if (fl_run_add(&f->run, r->snap, err, errlen))
			return -1;
		json_object_put(f->last);
		f->last = json_object_get(r->json);
	}
	/* the page is still worth having without a heat map: say why instead */
	if (!f->heat_err[0] && fl_heat_add_record(r, &f->heat, f->heat_err, sizeof(f->heat_err)))
		snprintf(f->heat_err + strlen(f->heat_err), sizeof(f->heat_err) - strlen(f->heat_err),
			 " (line %zu)", r->lineno);
	return 0;
}

static int report_html(const char *path, const struct fl_threshold *th, int nth,
		       const struct fl_render_opts *o, struct strbuf *sb, struct fl_snapshot *run)
{
	struct html_file f = { .last = NULL };
	struct fl_html_input in;
	char err[512];
	int ret;

	fl_run_init(&f.run);
	fl_heat_init(&f.heat);
	ret = fl_json_file_read(path, html_record, &f, err, sizeof(err));

	if (ret == 0 && !f.run.nsnapshots) {
		snprintf(err, sizeof(err), "%s: no snapshot (only other records)", path);
		ret = -1;
	}
	if (ret) {
		file_error("report", err);
		json_object_put(f.last);
		fl_heat_free(&f.heat);
		fl_run_free(&f.run);
		return -1;
	}
	in = (struct fl_html_input){
		.file = path, .run = &f.run.s, .nsnapshots = f.run.nsnapshots,
		.summed = f.run.delta, .heat = &f.heat, .last = f.last, .fail_if = th,
		.nfail_if = nth, .render = o, .generator = "flushlat " FL_VERSION,
		.heat_note = f.heat_err[0] && f.run.nsnapshots > 1 ? f.heat_err : NULL,
	};
	fl_render_html(&in, sb);
	*run = f.run.s; /* the caller judges it and frees it */
	json_object_put(f.last);
	fl_heat_free(&f.heat);
	return 0;
}

int fl_cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "compat", no_argument, NULL, 'c' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "label", required_argument, NULL, 'l' },
		{ "label-set", required_argument, NULL, 'L' },
		{ "fail-if", required_argument, NULL, 'F' },
		{ "no-hist", no_argument, NULL, 'H' },
		{ "buckets", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fl_threshold th[FL_MAX_FAIL_IF];
	struct fl_render_opts o;
	enum fl_format fmt = FL_FMT_TEXT;
	struct fl_snapshot s;
	struct strbuf sb;
	char err[512];
	int c, ret, nth = 0, html = 0;

	fl_render_opts_default(&o);
	getopt_reset();
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			html = !strcmp(optarg, fl_report_html_format);
			if (!html && fl_format_parse(optarg, &fmt)) {
				char what[512];

				if (snprintf(what, sizeof(what),
					     "bad --format '%s' (text, prometheus, json or html)", optarg) < 0)
					what[0] = '\0';
				return usage_error("report", what, NULL);
			}
			break;
		case 'c':
			o.compat = 1;
			break;
		case 'P':
			if (fl_prom_prefix_check(optarg, err, sizeof(err)))
				return usage_error_sep("report", "bad --prefix", " ", err);
			o.prefix = optarg;
			break;
		case 'l':
			if (fl_label_check(optarg, err, sizeof(err))) {
				char what[512];

				if (snprintf(what, sizeof(what), "bad --label '%s'", optarg) < 0)
					what[0] = '\0';
				return usage_error("report", what, err);
			}
			o.label = optarg;
			break;
		case 'L':
			if (fl_label_set_parse(optarg, &o, err, sizeof(err)))
				return usage_error_sep("report", "bad --label-set", " ", err);
			break;
		case 'F':
			if ((ret = add_fail_if(th, &nth, optarg)))
				return ret;
			break;
		case 'H':
			o.hist = 0;
			break;
		case 'B':
			if (fl_buckets_parse(optarg, &o.buckets, err, sizeof(err)))
				return usage_error_sep("report", "bad --buckets", " ", err);
			break;
		case 'h':
			report_usage(stdout);
			return finish_output("report");
		default:
			return usage_error("report", "unknown or incomplete option",
					   argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error("report", "expected exactly one FILE.json", NULL);
	strbuf_init(&sb);
	if (html) {
		if (report_html(argv[optind], th, nth, &o, &sb, &s)) {
			strbuf_free(&sb);
			return FL_EXIT_USAGE;
		}
	} else {
		if (fl_snapshot_load(argv[optind], &s, err, sizeof(err))) {
			file_error("report", err);
			strbuf_free(&sb);
			return FL_EXIT_USAGE;
		}
		o.term_cols = fl_term_cols(STDOUT_FILENO);
		fl_render(fmt, &s, &o, &sb);
	}
	if (sb.oom) {
		fprintf(stderr, "flushlat report: out of memory\n");
		ret = FL_EXIT_RUNTIME;
	} else {
		fputs(strbuf_str(&sb), stdout);
		ret = finish_output("report");
	}
	if (ret == FL_EXIT_OK)
		ret = judge(th, nth, &s);
	strbuf_free(&sb);
	fl_snapshot_free(&s);
	return ret;
}

/* ---- diff --------------------------------------------------------------- */

static void fmt_value(char *buf, size_t len, const struct fl_metric *m, struct fl_value v)
{
	if (!v.known)
		snprintf(buf, len, "unknown");
	else if (m->unit == FL_UNIT_NS)
		fmt_duration(buf, len, v.u);
	else if (m->unit == FL_UNIT_PER_SEC)
		snprintf(buf, len, "%.2f/s", v.d);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v.u);
}

static void print_row(const struct fl_metric *m, struct fl_value b, struct fl_value n)
{
	char bs[32], ns[32], ds[40] = "", ps[24] = "";

	fmt_value(bs, sizeof(bs), m, b);
	fmt_value(ns, sizeof(ns), m, n);
	if (b.known && n.known) {
		uint64_t delta = n.u >= b.u ? n.u - b.u : b.u - n.u;

		if (delta) {
			struct fl_value dv = { .known = 1, .u = delta, .d = (double)delta };

			ds[0] = n.u > b.u ? '+' : '-';
			fmt_value(ds + 1, sizeof(ds) - 1, m, dv);
		} else {
			snprintf(ds, sizeof(ds), "0");
		}
		if (b.u)
			snprintf(ps, sizeof(ps), "%+.1f%%", (n.d - b.d) / b.d * 100.0);
		else
			snprintf(ps, sizeof(ps), n.u ? "n/a" : "+0.0%%");
	}
	printf("%-12s %12s -> %-12s %12s %9s\n", m->name, bs, ns, ds, ps);
}

static int load_pair(char **paths, struct fl_snapshot *base, struct fl_snapshot *now)
{
	char err[512];

	if (fl_snapshot_load(paths[0], base, err, sizeof(err))) {
		file_error("diff", err);
		return -1;
	}
	if (fl_snapshot_load(paths[1], now, err, sizeof(err))) {
		file_error("diff", err);
		fl_snapshot_free(base);
		return -1;
	}
	return 0;
}

int fl_cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "fail-if", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fl_threshold th[FL_MAX_FAIL_IF];
	struct fl_snapshot base, now;
	const struct fl_metric *m;
	char err[512], why[512];
	int c, nth = 0, held = 0, unknown = 0, ret;

	getopt_reset();
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (nth >= FL_MAX_FAIL_IF) {
				snprintf(err, sizeof(err), "too many --fail-if (at most %d)", FL_MAX_FAIL_IF);
				return usage_error("diff", err, NULL);
			}
			if (fl_threshold_parse(optarg, &th[nth], err, sizeof(err)))
				return usage_error_sep("diff", "bad --fail-if", " ", err);
			nth++;
			break;
		case 'h':
			diff_usage(stdout);
			return finish_output("diff");
		default:
			return usage_error("diff", "unknown or incomplete option", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return usage_error("diff", "expected BASE.json and NEW.json", NULL);
	if (load_pair(argv + optind, &base, &now))
		return FL_EXIT_USAGE;
	printf("flushlat diff: %s -> %s\n", argv[optind], argv[optind + 1]);
	printf("%-12s %12s    %-12s %12s %9s\n", "metric", "base", "new", "change", "%");
	fl_for_each_metric(m) {
		struct fl_value bv = fl_metric_value(m, &base), nv = fl_metric_value(m, &now);

		/* a component row only when one of the runs had --breakdown */
		if ((m->flags & FL_MF_DIFF) && (bv.known || nv.known || !(m->flags & FL_MF_BREAKDOWN)))
			print_row(m, bv, nv);
	}
	ret = finish_output("diff");
	for (int i = 0; i < nth; i++) {
		int r = fl_threshold_eval_diff(&th[i], &base, &now, why, sizeof(why));

		if (r == 1)
			fprintf(stderr, "flushlat diff: FAIL: %s\n", why);
		else if (r < 0)
			fprintf(stderr, "flushlat diff: %s\n", why);
		held |= r == 1;
		unknown |= r < 0;
	}
	fl_snapshot_free(&base);
	fl_snapshot_free(&now);
	if (ret)
		return ret;
	return unknown ? FL_EXIT_USAGE : held ? FL_EXIT_THRESHOLD : FL_EXIT_OK;
}
