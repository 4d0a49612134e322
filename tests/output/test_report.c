// SPDX-License-Identifier: MIT
/*
 * `flushlat report` and `flushlat diff` through their entry points
 * (fl_cmd_report / fl_cmd_diff with an argv), stdout and stderr captured:
 * re-rendering saved snapshots, the diff table, --fail-if exit 3, and exit 2
 * with one clear message for usage and parse errors.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "snapshot_read.h"
#include "render.h"
#include "report.h"
#include "snapfix.h"
#include "exitcodes.h"
#include "threshold.h"

static char dir[] = "/tmp/flushlat_report_XXXXXX";
static char out_txt[65536], err_txt[8192];

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/*
 * Runs cmd(argc, argv) with stdout/stderr captured into out_txt/err_txt;
 * with out_path, stdout goes there instead (out_txt is then empty).
 */
static int run_to(int (*cmd)(int, char **), const char *const *args, const char *out_path)
{
	char *argv[32], op[256], ep[256], *o, *e;
	int argc = 0, so, se, fo, fe, rc;

	while (args[argc]) {
		argv[argc] = strdup(args[argc]);
		argc++;
	}
	argv[argc] = NULL;
	snprintf(op, sizeof(op), "%s/stdout", dir);
	snprintf(ep, sizeof(ep), "%s/stderr", dir);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	fo = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out_path) {
		close(fo);
		fo = open(out_path, O_WRONLY);
	}
	fe = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
	dup2(fo, 1);
	dup2(fe, 2);
	rc = cmd(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(fo);
	close(fe);
	o = out_path ? strdup("") : slurp(op);
	e = slurp(ep);
	snprintf(out_txt, sizeof(out_txt), "%s", o);
	snprintf(err_txt, sizeof(err_txt), "%s", e);
	free(o);
	free(e);
	while (argc--)
		free(argv[argc]);
	return rc;
}

static int run(int (*cmd)(int, char **), const char *const *args)
{
	return run_to(cmd, args, NULL);
}

static char *render(enum fl_format f, const struct fl_snapshot *s, const struct fl_render_opts *o)
{
	struct strbuf sb;
	char *r;

	strbuf_init(&sb);
	fl_render(f, s, o, &sb);
	r = strdup(strbuf_str(&sb));
	strbuf_free(&sb);
	return r;
}

/* Saves s as dir/name (after the given earlier lines, as --interval writes). */
static const char *save(const char *name, const struct fl_snapshot *s, const char *before)
{
	static char paths[8][256];
	static int next;
	struct fl_render_opts o;
	char *path = paths[next++ % 8], *j;
	FILE *f;

	fl_render_opts_default(&o);
	snprintf(path, 256, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	j = render(FL_FMT_JSON, s, &o);
	fputs(before ? before : "", f);
	fputs(j, f);
	fclose(f);
	free(j);
	return path;
}

static void uniform(struct fl_snapshot *s, uint64_t d, int n)
{
	snap_init(s);
	while (n--)
		snap_record(s, d);
}

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

/* ---- report ------------------------------------------------------------- */

static void test_report_formats(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s, older;
	const char *path;
	char *want, *first, kv[] = "dc=eu";

	(void)state;
	snap_rich(&s);
	uniform(&older, 5, 1);
	fl_render_opts_default(&o);
	first = render(FL_FMT_JSON, &older, &o);
	path = save("rich.json", &s, first); /* two snapshots: the last one counts */

	assert_int_equal(run(fl_cmd_report, (const char *const[]){ "report", path, NULL }), 0);
	want = render(FL_FMT_TEXT, &s, &o);
	assert_string_equal(out_txt, want);
	assert_string_equal(err_txt, "");
	free(want);

	assert_int_equal(run(fl_cmd_report, (const char *const[]){ "report", "--format", "json", path, NULL }), 0);
	want = render(FL_FMT_JSON, &s, &o);
	assert_string_equal(out_txt, want);
	free(want);

	assert_int_equal(run(fl_cmd_report, (const char *const[]){ "report", "--format", "prometheus",
				  "--prefix", "fs", "--label-set", "dc=eu", path, NULL }), 0);
	o.prefix = "fs";
	assert_int_equal(fl_label_set_parse(kv, &o, NULL, 0), 0);
	want = render(FL_FMT_PROMETHEUS, &s, &o);
	assert_string_equal(out_txt, want);
	assert_non_null(strstr(out_txt, "fs_meta_flush_duration_seconds_count{subsystem=\"wal_meta\",dc=\"eu\"} 13\n"));
	free(want);

	/* --buckets: the layout a run would publish; report and /metrics agree */
	assert_int_equal(run(fl_cmd_report, (const char *const[]){ "report", "--format", "prometheus",
				  "--buckets", "1ms..4ms/2", path, NULL }), 0);
	fl_render_opts_default(&o);
	assert_int_equal(fl_buckets_parse("1ms..4ms/2", &o.buckets, NULL, 0), 0);
	want = render(FL_FMT_PROMETHEUS, &s, &o);
	assert_string_equal(out_txt, want);
	free(want);
	assert_non_null(strstr(out_txt, "le=\"0.001048575\"} 8\n"));
	assert_non_null(strstr(out_txt, "le=\"0.001572863\"} 10\n"));
	assert_non_null(strstr(out_txt, "le=\"0.004194303\"} 11\n"));
	assert_null(strstr(out_txt, "le=\"0.000131071\""));

	assert_int_equal(run(fl_cmd_report, (const char *const[]){ "report", "--compat", "--format",
				  "prometheus", path, NULL }), 0);
	assert_non_null(strstr(out_txt, "ie_wal_recorder__meta_store_maintenance_meta_flush_samples_total"
				   "{system=\"wal_recorder\", subsystem=\"wal_meta\"} 13\n"));

	assert_int_equal(run(fl_cmd_report, (const char *const[]){ "report", "--label", "Shard 7", path, NULL }), 0);
	assert_true(!strncmp(out_txt, "[Shard 7 Metrics] Snapshot:\n", 28));

	assert_int_equal(run(fl_cmd_report, (const char *const[]){ "report", "--help", NULL }), 0);
	assert_non_null(strstr(out_txt, "usage: flushlat report"));
	free(first);
	snap_free(&s);
}

static void expect_usage(int (*cmd)(int, char **), const char *const *args, const char *needle)
{
	int rc = run(cmd, args);

	if (rc != 2)
		fail_msg("%s: exit %d, expected 2; stderr: %s", args[1] ? args[1] : "", rc, err_txt);
	if (!strstr(err_txt, needle))
		fail_msg("stderr '%s' lacks '%s'", err_txt, needle);
	/* One clear message: a single line, nothing on stdout. */
	assert_int_equal(strchr(err_txt, '\n') - err_txt, (long)strlen(err_txt) - 1);
	assert_string_equal(out_txt, "");
}

static void test_report_errors(void **state)
{
	struct fl_snapshot s;
	char bad[256];
	const char *good;
	FILE *f;

	(void)state;
	uniform(&s, 1000, 3);
	good = save("good.json", &s, NULL);
	snprintf(bad, sizeof(bad), "%s/bad.json", dir);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("{\"meta_store\":{\"maintenance_meta_flush\":{\"samples\":\"x\"}}}\n", f);
	fclose(f);

	expect_usage(fl_cmd_report, (const char *const[]){ "report", NULL }, "expected exactly one FILE.json");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", good, good, NULL }, "expected exactly one");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", "--format", "xml", good, NULL },
		     "bad --format 'xml' (text, prometheus, json or html)");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", "--bogus", good, NULL },
		     "unknown or incomplete option: --bogus");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", good, "--format", NULL },
		     "unknown or incomplete option");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", "--prefix", "9x", good, NULL },
		     "--prefix '9x'");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", "--label-set", "le=1", good, NULL },
		     "set by flushlat itself");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", "--label", "a\nb", good, NULL },
		     "bad --label 'a?b': byte 2 is a control character");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", "--label", "\xff", good, NULL },
		     "bad --label '?': byte 1 is not valid UTF-8");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", "--label-set", "a=\xc3(", good, NULL },
		     "bad --label-set 'a=?(': byte 1 of the value is not valid UTF-8");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", "/nonexistent\n\x1b[1m.json", NULL },
		     "/nonexistent?" "?[1m.json: No such file or directory");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", "--buckets", "1ms..1s/3", good, NULL },
		     "bad --buckets '1ms..1s/3': N (bounds per power of two) must be 1, 2, 4, 8 or 16");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", "/nonexistent.json", NULL },
		     "/nonexistent.json: No such file or directory");
	expect_usage(fl_cmd_report, (const char *const[]){ "report", bad, NULL },
		     "meta_store.maintenance_meta_flush.samples: expected a non-negative integer, got string");
	/* The same command works once more: option parsing state is reset. */
	assert_int_equal(run(fl_cmd_report, (const char *const[]){ "report", "--format", "json", good, NULL }), 0);
}

/* ---- diff --------------------------------------------------------------- */

static const char *line_of(const char *txt, const char *start)
{
	static char line[256];
	const char *p = txt;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (!strncmp(p, start, strlen(start)) && p[strlen(start)] == ' ') {
			snprintf(line, sizeof(line), "%.*s", (int)n, p);
			return line;
		}
		p = nl ? nl + 1 : NULL;
	}
	fail_msg("no '%s' line in:\n%s", start, txt);
	return NULL;
}

static void expect_row(const char *row, const char *from_to, const char *change, const char *pct)
{
	const char *l = line_of(out_txt, row);
	size_t n = strlen(l), pn = strlen(pct);

	if (!strstr(l, from_to) || !strstr(l, change) || n < pn || strcmp(l + n - pn, pct) != 0)
		fail_msg("row '%s' is not '%s' '%s' '%s'", l, from_to, change, pct);
}

static void test_diff_table(void **state)
{
	struct fl_snapshot base, now;
	const char *b, *n;

	(void)state;
	/* Uniform samples: percentiles clamp to the exact min = max. */
	uniform(&base, 1200000, 100);
	uniform(&now, 1500000, 120);
	b = save("base.json", &base, NULL);
	n = save("new.json", &now, NULL);
	assert_int_equal(run(fl_cmd_diff, (const char *const[]){ "diff", b, n, NULL }), 0);
	assert_non_null(strstr(out_txt, b));
	expect_row("samples", "100 -> 120", "+20", "+20.0%");
	expect_row("avg", "1.20 ms -> 1.50 ms", "+300 us", "+25.0%");
	expect_row("p50", "1.20 ms -> 1.50 ms", "+300 us", "+25.0%");
	expect_row("p90", "1.20 ms -> 1.50 ms", "+300 us", "+25.0%");
	expect_row("p99", "1.20 ms -> 1.50 ms", "+300 us", "+25.0%");
	expect_row("p99.9", "1.20 ms -> 1.50 ms", "+300 us", "+25.0%");
	expect_row("max", "1.20 ms -> 1.50 ms", "+300 us", "+25.0%");
	assert_string_equal(err_txt, "");

	/* The other way round: decreases. */
	assert_int_equal(run(fl_cmd_diff, (const char *const[]){ "diff", n, b, NULL }), 0);
	expect_row("samples", "120 -> 100", "-20", "-16.7%");
	expect_row("p99", "1.50 ms -> 1.20 ms", "-300 us", "-20.0%");

	/* From an empty base: no percentage. */
	snap_init(&base);
	b = save("empty.json", &base, NULL);
	assert_int_equal(run(fl_cmd_diff, (const char *const[]){ "diff", b, b, NULL }), 0);
	expect_row("samples", "0 -> 0", " 0 ", "+0.0%");
	assert_int_equal(run(fl_cmd_diff, (const char *const[]){ "diff", b, n, NULL }), 0);
	expect_row("p99", "0.00 ns -> 1.50 ms", "+1.50 ms", "n/a");
	assert_int_equal(run(fl_cmd_diff, (const char *const[]){ "diff", "--help", NULL }), 0);
	assert_non_null(strstr(out_txt, "usage: flushlat diff"));
}

static void test_diff_fail_if(void **state)
{
	struct fl_snapshot base, now;
	const char *b, *n;
	int rc;

	(void)state;
	uniform(&base, 1200000, 100);
	uniform(&now, 1500000, 120);
	b = save("base.json", &base, NULL);
	n = save("new.json", &now, NULL);

	rc = run(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", "p99>+20%", b, n, NULL });
	assert_int_equal(rc, FL_EXIT_THRESHOLD);
	assert_non_null(strstr(err_txt, "FAIL: --fail-if p99>+20% holds"));
	assert_non_null(strstr(out_txt, "p99 ")); /* the table is still printed */

	rc = run(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", "p99>+30%", "--fail-if",
			 "samples<-10%", b, n, NULL });
	assert_int_equal(rc, 0);
	assert_string_equal(err_txt, "");

	/* Several: each one that holds is named; absolute ones apply to NEW. */
	rc = run(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", "max>1ms", "--fail-if",
			 "p99>+30%", "--fail-if", "avg>=+25%", b, n, NULL });
	assert_int_equal(rc, FL_EXIT_THRESHOLD);
	assert_non_null(strstr(err_txt, "--fail-if max>1ms holds"));
	assert_null(strstr(err_txt, "p99>+30%"));
	assert_non_null(strstr(err_txt, "--fail-if avg>=+25% holds"));

	expect_usage(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", "p99>>1", b, n, NULL },
		     "--fail-if");
	expect_usage(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", "latency>1ms", b, n, NULL },
		     "unknown metric");
	expect_usage(fl_cmd_diff, (const char *const[]){ "diff", b, NULL }, "expected BASE.json and NEW.json");
	expect_usage(fl_cmd_diff, (const char *const[]){ "diff", b, n, n, NULL }, "expected BASE.json and NEW.json");
	expect_usage(fl_cmd_diff, (const char *const[]){ "diff", b, "/nonexistent.json", NULL },
		     "/nonexistent.json: No such file or directory");
	expect_usage(fl_cmd_diff, (const char *const[]){ "diff", "--fail", NULL }, "unknown or incomplete option");
}

/* --lean: unknown values never satisfy nor fail a threshold: exit 2, naming the metric. */
static void test_diff_lean(void **state)
{
	static const char *const unknown[] = { "unmatched==0", "unmatched>0", "in_flight==0",
					       "in_flight!=5", "unmatched>+10%", "in_flight<-1%" };
	struct fl_snapshot lean, full;
	const char *l, *f;
	int rc;

	(void)state;
	uniform(&lean, 1000000, 50);
	lean.lean = 1;
	uniform(&full, 1000000, 50);
	l = save("lean.json", &lean, NULL);
	f = save("full.json", &full, NULL);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		char want[96];

		rc = run(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", unknown[i], l, l, NULL });
		if (rc != FL_EXIT_USAGE)
			fail_msg("%s on lean snapshots: rc %d, want 2 (%s)", unknown[i], rc, err_txt);
		snprintf(want, sizeof(want), "--fail-if %s: %.*s is unknown", unknown[i],
			 (int)strcspn(unknown[i], "<>=!"), unknown[i]);
		if (!strstr(err_txt, want))
			fail_msg("'%s' lacks '%s'", err_txt, want);
	}
	/* a known metric still judges; absolute ones read NEW only, relative ones need both */
	rc = run(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", "p99>1us", l, l, NULL });
	assert_int_equal(rc, FL_EXIT_THRESHOLD);
	rc = run(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", "unmatched>0", l, f, NULL });
	assert_int_equal(rc, 0);
	rc = run(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", "unmatched>+1%", l, f, NULL });
	assert_int_equal(rc, FL_EXIT_USAGE);
	rc = run(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", "unmatched>0", f, l, NULL });
	assert_int_equal(rc, FL_EXIT_USAGE);
	/* one unknown among holding ones: still a usage error, and the others are named */
	rc = run(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", "p99>1us", "--fail-if",
			 "unmatched==0", l, l, NULL });
	assert_int_equal(rc, FL_EXIT_USAGE);
	assert_non_null(strstr(err_txt, "p99>1us holds"));
	snap_free(&lean);
	snap_free(&full);
}

/* Output that cannot be written (a full disk, a closed stdout) is exit 1, never a silent 0. */
static void test_output_errors(void **state)
{
	struct fl_snapshot s;
	const char *g;
	int rc;

	(void)state;
	uniform(&s, 1000, 3);
	g = save("g.json", &s, NULL);
	rc = run_to(fl_cmd_report, (const char *const[]){ "report", g, NULL }, "/dev/full");
	assert_int_equal(rc, FL_EXIT_RUNTIME);
	assert_non_null(strstr(err_txt, "flushlat report: cannot write the output: No space left on device"));
	rc = run_to(fl_cmd_diff, (const char *const[]){ "diff", g, g, NULL }, "/dev/full");
	assert_int_equal(rc, FL_EXIT_RUNTIME);
	assert_non_null(strstr(err_txt, "flushlat diff: cannot write the output: No space left on device"));
	rc = run_to(fl_cmd_diff, (const char *const[]){ "diff", "--help", NULL }, "/dev/full");
	assert_int_equal(rc, FL_EXIT_RUNTIME);
	rc = run_to(fl_cmd_report, (const char *const[]){ "report", "--help", NULL }, "/dev/full");
	assert_int_equal(rc, FL_EXIT_RUNTIME);
	/* a write error beats a threshold: the table was not written */
	rc = run_to(fl_cmd_diff, (const char *const[]){ "diff", "--fail-if", "samples>0", g, g, NULL },
		    "/dev/full");
	assert_int_equal(rc, FL_EXIT_RUNTIME);
	/* a directory, as the README promises */
	expect_usage(fl_cmd_report, (const char *const[]){ "report", dir, NULL }, ": Is a directory");
	expect_usage(fl_cmd_diff, (const char *const[]){ "diff", g, "/", NULL }, "/: Is a directory");
	snap_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_formats),
		cmocka_unit_test(test_report_errors),
		cmocka_unit_test(test_diff_table),
		cmocka_unit_test(test_diff_fail_if),
		cmocka_unit_test(test_diff_lean),
		cmocka_unit_test(test_output_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
