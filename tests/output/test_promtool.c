// SPDX-License-Identifier: MIT
/*
 * `promtool check metrics` (Prometheus's own linter) on the default
 * exposition of rich and empty snapshots: it must report no problem.  The
 * compat exposition (the recorder's original names) is known to violate
 * its rules; checking that promtool rejects it proves the harness sees a
 * failing verdict.  promtool missing is a failure, not a skip: the test
 * set-up installs Debian's `prometheus` package.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "render.h"
#include "promcheck.h"
#include "snapfix.h"

static char *render_prom(const struct fl_snapshot *s, const struct fl_render_opts *o)
{
	struct strbuf sb;
	char *r;

	strbuf_init(&sb);
	fl_render_prom(s, o, &sb);
	r = strdup(strbuf_str(&sb));
	strbuf_free(&sb);
	return r;
}

static void test_promtool_present(void **state)
{
	char msg[4096];

	(void)state;
	if (access(PROMTOOL, X_OK))
		fail_msg("promtool not found (%s): apt-get install prometheus", PROMTOOL);
	/* An empty exposition is clean: exit 0, nothing to say. */
	assert_int_equal(promtool_check("", msg, sizeof(msg)), 0);
}

static void check_clean(const struct fl_snapshot *s, const struct fl_render_opts *o)
{
	char msg[8192], *txt = render_prom(s, o);
	int rc = promtool_check(txt, msg, sizeof(msg));

	if (rc != 0 || msg[0])
		fail_msg("promtool check metrics exit %d:\n%s\n--- exposition:\n%s", rc, msg, txt);
	free(txt);
}

static void test_default_rich(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	char kv[] = "env=pro\"d\\\n", kv2[] = "host=a.example";

	(void)state;
	snap_rich(&s);
	fl_render_opts_default(&o);
	check_clean(&s, &o);
	assert_int_equal(fl_label_set_parse(kv, &o, NULL, 0), 0);
	assert_int_equal(fl_label_set_parse(kv2, &o, NULL, 0), 0);
	o.prefix = "fs_wal";
	check_clean(&s, &o);
	snap_free(&s);
}

static void test_default_empty(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;

	(void)state;
	snap_init(&s);
	fl_render_opts_default(&o);
	check_clean(&s, &o);
	snap_record(&s, 1);
	check_clean(&s, &o);
	s.lean = 1; /* in-flight and unmatched families left out */
	check_clean(&s, &o);
}

static void test_compat_is_rejected(void **state)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	char msg[8192], *txt;

	(void)state;
	snap_rich(&s);
	fl_render_opts_default(&o);
	o.compat = 1;
	txt = render_prom(&s, &o);
	assert_int_not_equal(promtool_check(txt, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "_total_ns"));
	free(txt);
	snap_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_promtool_present),
		cmocka_unit_test(test_default_rich),
		cmocka_unit_test(test_default_empty),
		cmocka_unit_test(test_compat_is_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
