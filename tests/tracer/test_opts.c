// SPDX-License-Identifier: MIT
/* flushlat's command line: accepted forms and every rejection (exit 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flushlat.h"
#include "opts.h"

/* A typed sentinel: a bare NULL through "..." is not portable. */
#define END ((char *)NULL)

/* Writable copies, as a real argv is (--label-set splits its argument). */
static char storage[32][64];

static int parse(struct fl_opts *o, char *err, ...)
{
	char *argv[32] = { "flushlat" };
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, err);
	while ((a = va_arg(ap, char *)) && argc < 31) {
		snprintf(storage[argc], sizeof(storage[0]), "%s", a);
		argv[argc] = storage[argc];
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	return fl_opts_parse(argc, argv, o, err, 256);
}

static void test_valid(void **state)
{
	struct fl_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "-p", "42", "--clock", "kernel", "--format", "json",
			       "--interval", "0.5", "--delta", "--duration", "3", "--label", "WAL",
			       "--prefix", "fs", "--label-set", "host=a", "--label-set", "dc=x y",
			       "--fail-if", "p99>5ms", "--listen", ":9435", END), 0);
	assert_int_equal(o.pid, 42);
	assert_int_equal(o.clock, FL_CLOCK_KERNEL);
	assert_int_equal(o.format, FL_FMT_JSON);
	assert_true(o.interval == 0.5 && o.delta && o.duration == 3);
	assert_string_equal(o.render.label, "WAL");
	assert_string_equal(o.render.prefix, "fs");
	assert_int_equal(o.render.nlabels, 2);
	assert_string_equal(o.render.label_keys[1], "dc");
	assert_string_equal(o.render.label_values[1], "x y");
	assert_int_equal(o.nfail_if, 1);
	assert_string_equal(o.listen, ":9435");
	assert_int_equal(o.native_schema, 3); /* the defaults */
	assert_true(o.window == 60);
	assert_int_equal(o.render.buckets.kmin, 11);

	assert_int_equal(parse(&o, err, "-b", "x", "--listen", ":1", "--native-schema", "-4",
			       "--window", "15", "--buckets", "1ms..1s/8", END), 0);
	assert_int_equal(o.native_schema, -4);
	assert_true(o.window == 15);
	assert_int_equal(o.render.buckets.per, 8);
	assert_int_equal(parse(&o, err, "-b", "x", "--listen", ":1", "--native-schema", "none", END), 0);
	assert_int_equal(o.native_schema, FL_NATIVE_NONE);
	assert_int_equal(parse(&o, err, "-b", "x", "--buckets", "1ms..1s/8", END), 0); /* stdout too */

	assert_int_equal(parse(&o, err, "--lean", "--", "rec", "--flushes", "5", END), 0);
	assert_non_null(o.cmd);
	assert_string_equal(o.cmd[0], "rec");
	assert_string_equal(o.cmd[2], "5"); /* CMD's own options are not ours */
	assert_true(o.lean);
	assert_int_equal(o.format, FL_FMT_TEXT);
	assert_string_equal(o.render.label, "Meta Store");

	/* the live view: 1 s frames unless --interval says otherwise; --no-hist */
	assert_int_equal(parse(&o, err, "--watch", "-p", "7", END), 0);
	assert_true(o.watch && o.interval == FL_WATCH_INTERVAL && o.render.hist);
	assert_int_equal(parse(&o, err, "--watch", "--interval", "0.25", "--no-hist", "-p", "7", END), 0);
	assert_true(o.watch && o.interval == 0.25 && !o.render.hist);

	assert_int_equal(parse(&o, err, "--lib", "/x.so", END), 0); /* --lib alone */
	assert_int_equal(parse(&o, err, "--help", END), 0);
	assert_true(o.help);
}

static void bad(const char *want, ...)
{
	char *argv[16] = { "flushlat" };
	struct fl_opts o;
	char err[256] = "";
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, want);
	while ((a = va_arg(ap, char *)) && argc < 15) {
		snprintf(storage[argc], sizeof(storage[0]), "%s", a);
		argv[argc] = storage[argc];
		argc++;
	}
	va_end(ap);
	assert_int_equal(fl_opts_parse(argc, argv, &o, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_invalid(void **state)
{
	(void)state;
	bad("--watch is a text view", "--watch", "--format", "json", "-p", "1", END);
	bad("--watch draws on the terminal (no --output)", "--watch", "--output", "x", "-p", "1", END);
	bad("--watch shows each interval already (no --delta)", "--watch", "--interval", "1",
	    "--delta", "-p", "1", END);
	bad("exactly one target", END);
	bad("exactly one target", "-p", "1", "-b", "x", END);
	bad("bad --pid", "-p", "1x", END);
	bad("bad --pid", "-p", "99999999999", END);
	bad("bad --clock", "-b", "x", "--clock", "", END);
	bad("bad --interval", "-b", "x", "--interval", "nan", END);
	bad("bad --interval", "-b", "x", "--interval", "inf", END);
	bad("bad --interval", "-b", "x", "--interval", "0.001", END);
	bad("bad --duration", "-b", "x", "--duration", "0", END);
	bad("bad --duration", "-b", "x", "--duration", "-3", END);
	bad("bad --format", "-b", "x", "--format", "", END);
	bad("bad --label-set", "-b", "x", "--label-set", "novalue", END);
	bad("bad --label-set", "-b", "x", "--label-set", "__r=1", END);
	bad("given twice", "-b", "x", "--label-set", "a=1", "--label-set", "a=2", END);
	bad("bad --prefix", "-b", "x", "--prefix", "", END);
	bad("relative", "-b", "x", "--fail-if", "p99>+20%", END);
	bad("unknown with --lean", "-b", "x", "--lean", "--fail-if", "in_flight>0", END);
	bad("needs a value", "-b", "x", "--output", END);
	bad("unknown option", "-b", "x", "-Z", END);
	bad("unexpected argument", "-b", "x", "y", END);
	bad("bad --listen", "-b", "x", "--listen", "host:0", END);
	bad("bad --buckets '1ms..1s/3'", "-b", "x", "--buckets", "1ms..1s/3", END);
	bad("bad --native-schema '9' (-4..8 or none)", "-b", "x", "--listen", ":1",
	    "--native-schema", "9", END);
	bad("bad --native-schema", "-b", "x", "--listen", ":1", "--native-schema", "3x", END);
	bad("bad --window", "-b", "x", "--listen", ":1", "--window", "0.5", END);
	bad("--native-schema and --window need --listen", "-b", "x", "--native-schema", "4", END);
	bad("--native-schema and --window need --listen", "-b", "x", "--window", "10", END);
}

static void test_seconds(void **state)
{
	double v;

	(void)state;
	assert_int_equal(fl_parse_seconds("1.5", &v), 0);
	assert_true(v == 1.5);
	assert_int_equal(fl_parse_seconds("", &v), -1);
	assert_int_equal(fl_parse_seconds("1s", &v), -1);
	assert_int_equal(fl_parse_seconds("-0.1", &v), -1);
	assert_int_equal(fl_parse_seconds("1e10", &v), -1);
}

/*
 * --list-values: every word it prints for an option is one that option's
 * parser accepts (the completion offers nothing the program refuses), and
 * an unknown kind is refused.
 */
static void test_list_values(void **state)
{
	static const struct {
		const char *kind, *opt;
	} kinds[] = { { "format", "--format" }, { "clock", "--clock" },
		      { "native-schema", "--native-schema" } };
	char buf[4096], word[64], err[256];
	struct fl_opts o;

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		FILE *f = fmemopen(buf, sizeof(buf), "w");
		int n = 0, off = 0, used;

		assert_non_null(f);
		assert_int_equal(fl_list_values(kinds[k].kind, f), 0);
		fclose(f);
		while (sscanf(buf + off, "%63s%n", word, &used) == 1) {
			off += used;
			n++;
			if (parse(&o, err, "-b", "x", "--listen", ":1", kinds[k].opt, word, END))
				fail_msg("%s %s is listed but refused: %s", kinds[k].opt, word, err);
		}
		assert_true(n >= 2);
	}
	assert_int_equal(fl_list_values("native-schema", NULL), 0);
	assert_int_equal(fl_list_values("buckets", NULL), -1);
	assert_int_equal(parse(&o, err, "--list-values", "window", END), -1);
	assert_non_null(strstr(err, "bad --list-values 'window'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_list_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
