// SPDX-License-Identifier: MIT
/*
 * `flushlat report` and `flushlat diff`: saved JSON snapshots (the last line
 * of a --format json --output file) re-rendered, or compared for regression
 * gates.
 *
 * Exit status: 0 ok; 2 usage or unreadable/invalid snapshot (one message on
 * stderr); 3 (FL_EXIT_THRESHOLD) when a diff --fail-if holds, with a line per
 * condition that held on stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "json.h"
#include "percentile.h"
#include "render.h"
#include "report.h"
#include "threshold.h"

#define EXIT_USAGE 2
#define MAX_FAIL_IF 32

static void report_usage(FILE *f)
{
	fprintf(f,
"usage: flushlat report [options] FILE.json\n"
"\n"
"Re-render a saved JSON snapshot (the last line of FILE.json).\n"
"\n"
"      --format F       text (default), prometheus or json\n"
"      --compat         Prometheus: the recorder's own metric names\n"
"                       (ie_wal_recorder__meta_store..., system=\"wal_recorder\")\n"
"      --prefix P       Prometheus metric prefix (default flushlat)\n"
"      --label NAME     label of the text dump block (default \"Meta Store\")\n"
"      --label-set K=V  add label K=\"V\" to every Prometheus series (repeatable)\n"
"  -h, --help           this help\n"
"\n"
"Exit status: 0 ok, 2 usage error or unreadable snapshot.\n");
}

static void diff_usage(FILE *f)
{
	fprintf(f,
"usage: flushlat diff [--fail-if EXPR]... BASE.json NEW.json\n"
"\n"
"Compare two saved JSON snapshots: samples, avg, p50, p90, p99, p99.9 and max,\n"
"base -> new, the change and the change in percent.\n"
"\n"
"      --fail-if EXPR   exit 3 when EXPR holds (repeatable).  Relative to the\n"
"                       base: p99>+20%%, avg>+10%%, samples<-50%%; absolute on\n"
"                       NEW: p99>5ms, max>1s, samples<100, in_flight>0.\n"
"                       Metrics: samples total min max avg jitter p50 p90 p99\n"
"                       p99.9 in_flight unmatched dropped rate; units ns us ms s\n"
"  -h, --help           this help\n"
"\n"
"Exit status: 0 ok, 2 usage error or unreadable snapshot, 3 a --fail-if held.\n");
}

/* getopt keeps global state: reset it so the commands can run more than once. */
static void getopt_reset(void)
{
	optind = 0;
	opterr = 0;
}

static int usage_error(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "flushlat %s: %s%s%s (see flushlat %s --help)\n", cmd, msg, arg ? ": " : "",
		arg ? arg : "", cmd);
	return EXIT_USAGE;
}

int fl_cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "compat", no_argument, NULL, 'c' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "label", required_argument, NULL, 'l' },
		{ "label-set", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fl_render_opts o;
	enum fl_format fmt = FL_FMT_TEXT;
	struct fl_snapshot s;
	struct strbuf sb;
	char err[512];
	int c, ret = 0;

	fl_render_opts_default(&o);
	getopt_reset();
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (fl_format_parse(optarg, &fmt))
				return usage_error("report", "--format must be text, prometheus or json",
						   optarg);
			break;
		case 'c':
			o.compat = 1;
			break;
		case 'P':
			if (fl_prom_prefix_check(optarg, err, sizeof(err)))
				return usage_error("report", err, NULL);
			o.prefix = optarg;
			break;
		case 'l':
			o.label = optarg;
			break;
		case 'L':
			if (fl_label_set_parse(optarg, &o, err, sizeof(err)))
				return usage_error("report", err, NULL);
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		default:
			return usage_error("report", "unknown or incomplete option",
					   argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error("report", "expected exactly one FILE.json", NULL);
	if (fl_json_load_file(argv[optind], &s, err, sizeof(err))) {
		fprintf(stderr, "flushlat report: %s\n", err);
		return EXIT_USAGE;
	}
	strbuf_init(&sb);
	fl_render(fmt, &s, &o, &sb);
	if (sb.oom) {
		fprintf(stderr, "flushlat report: out of memory\n");
		ret = 1;
	} else if (fputs(strbuf_str(&sb), stdout) == EOF || fflush(stdout)) {
		fprintf(stderr, "flushlat report: writing the report failed\n");
		ret = 1;
	}
	strbuf_free(&sb);
	fl_snapshot_free(&s);
	return ret;
}

/* ---- diff --------------------------------------------------------------- */

enum { DV_COUNT, DV_DURATION };

struct diff_row {
	const char *name;
	int kind;
	double q; /* percentile, or < 0 for the plain MetaStore values */
};

static const struct diff_row rows[] = {
	{ "samples", DV_COUNT, -1 }, { "avg", DV_DURATION, -1 },   { "p50", DV_DURATION, 0.50 },
	{ "p90", DV_DURATION, 0.90 }, { "p99", DV_DURATION, 0.99 }, { "p99.9", DV_DURATION, 0.999 },
	{ "max", DV_DURATION, -2 },
};

static uint64_t row_value(const struct diff_row *r, const struct fl_snapshot *s)
{
	const struct duration64 *d = &s->ms.maintenance_meta_flush;
	uint64_t n = d->samples.value;

	if (r->kind == DV_COUNT)
		return n;
	if (r->q >= 0)
		return fl_hist_percentile(s->hist, r->q, d->min_ns.value, d->max_ns.value);
	if (r->q == -2)
		return d->max_ns.value;
	return n ? d->total_ns.value / n : 0;
}

static void fmt_value(char *buf, size_t len, int kind, uint64_t v)
{
	if (kind == DV_COUNT)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		fmt_duration(buf, len, v);
}

static void print_row(const struct diff_row *r, uint64_t b, uint64_t n)
{
	char bs[32], ns[32], ds[40], ps[24];
	uint64_t delta = n >= b ? n - b : b - n;

	fmt_value(bs, sizeof(bs), r->kind, b);
	fmt_value(ns, sizeof(ns), r->kind, n);
	if (delta) {
		ds[0] = n > b ? '+' : '-';
		fmt_value(ds + 1, sizeof(ds) - 1, r->kind, delta);
	} else {
		snprintf(ds, sizeof(ds), "0");
	}
	if (b)
		snprintf(ps, sizeof(ps), "%+.1f%%", ((double)n - (double)b) / (double)b * 100.0);
	else
		snprintf(ps, sizeof(ps), n ? "n/a" : "+0.0%%");
	printf("%-8s %12s -> %-12s %12s %9s\n", r->name, bs, ns, ds, ps);
}

int fl_cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "fail-if", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fl_threshold th[MAX_FAIL_IF];
	struct fl_snapshot base, now;
	char err[512], why[512];
	int c, nth = 0, held = 0, i;
	size_t r;

	getopt_reset();
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (nth >= MAX_FAIL_IF)
				return usage_error("diff", "too many --fail-if (max 32)", NULL);
			if (fl_threshold_parse(optarg, &th[nth], err, sizeof(err)))
				return usage_error("diff", "--fail-if", err);
			nth++;
			break;
		case 'h':
			diff_usage(stdout);
			return 0;
		default:
			return usage_error("diff", "unknown or incomplete option", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return usage_error("diff", "expected BASE.json and NEW.json", NULL);
	if (fl_json_load_file(argv[optind], &base, err, sizeof(err))) {
		fprintf(stderr, "flushlat diff: %s\n", err);
		return EXIT_USAGE;
	}
	if (fl_json_load_file(argv[optind + 1], &now, err, sizeof(err))) {
		fprintf(stderr, "flushlat diff: %s\n", err);
		fl_snapshot_free(&base);
		return EXIT_USAGE;
	}
	printf("flushlat diff: %s -> %s\n", argv[optind], argv[optind + 1]);
	printf("%-8s %12s    %-12s %12s %9s\n", "metric", "base", "new", "change", "%");
	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		print_row(&rows[r], row_value(&rows[r], &base), row_value(&rows[r], &now));
	fflush(stdout);
	for (i = 0; i < nth; i++) {
		if (fl_threshold_eval_diff(&th[i], &base, &now, why, sizeof(why))) {
			fprintf(stderr, "flushlat diff: FAIL: %s\n", why);
			held = 1;
		}
	}
	fl_snapshot_free(&base);
	fl_snapshot_free(&now);
	return held ? FL_EXIT_THRESHOLD : 0;
}
