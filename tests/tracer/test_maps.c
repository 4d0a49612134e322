// SPDX-License-Identifier: MIT
/*
 * The tracer's pure logic: summing fake per-CPU map buffers, interval deltas,
 * the histogram bucket math shared with the BPF side, /proc/PID/maps parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "flushlat.h"
#include "flushlat/hist.h"
#include "reader.h"
#include "snapshot.h"
#include "metastore.h"
#include "probes.h"

static void test_merge_u64_fake_percpu(void **state)
{
	/* 3 CPUs x 4 values, as bpf_map_lookup_elem returns a per-CPU array. */
	const uint64_t pc[12] = { 1, 2, 3, 4, 10, 20, 30, 40, 100, 200, 300, 400 };
	uint64_t out[4] = { 1, 1, 1, 1 };

	(void)state;
	fl_sum_percpu(out, pc, 4, 3);
	assert_int_equal(out[0], 112);
	assert_int_equal(out[3], 445);
}

static void test_merge_fake_percpu_metastore(void **state)
{
	/* A per-CPU MetaStore read: CPU 1 never ran (all zero), CPU 3 seeded empty. */
	struct metastore *cpus = aligned_alloc(64, 4 * sizeof(*cpus)), out;

	(void)state;
	memset(cpus, 0, 4 * sizeof(*cpus));
	metastore_init(&cpus[0]);
	metastore_init(&cpus[2]);
	metastore_init(&cpus[3]);
	metastore_record_duration(&cpus[0], 300);
	metastore_record_duration(&cpus[2], 100);
	metastore_record_duration(&cpus[2], 900);
	metastore_merge(&out, cpus, 4);
	assert_int_equal(out.maintenance_meta_flush.samples.value, 3);
	assert_int_equal(out.maintenance_meta_flush.total_ns.value, 1300);
	assert_int_equal(out.maintenance_meta_flush.min_ns.value, 100);
	assert_int_equal(out.maintenance_meta_flush.max_ns.value, 900);
	free(cpus);
}

static struct fl_snapshot *snap(void)
{
	struct fl_snapshot *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	metastore_init(&s->ms);
	return s;
}

static void test_delta(void **state)
{
	struct fl_snapshot *a = snap(), *b = snap(), d;

	(void)state;
	metastore_record_duration(&a->ms, 10);
	metastore_record_duration(&a->ms, 50);
	a->hist[fl_hist_bucket(10)] = 1;
	a->unmatched = 1;
	metastore_copy_to(&a->ms, &b->ms);
	metastore_record_duration(&b->ms, 30); /* inside [min,max]: extremes unknown */
	memcpy(b->hist, a->hist, sizeof(a->hist));
	b->hist[fl_hist_bucket(30)]++;
	b->unmatched = 3;
	b->in_flight = 2;
	assert_int_equal(fl_snapshot_delta(&d, b, a), 0);
	assert_int_equal(d.ms.maintenance_meta_flush.samples.value, 1);
	assert_int_equal(d.ms.maintenance_meta_flush.total_ns.value, 30);
	assert_true(d.ms.maintenance_meta_flush.min_ns.value == FL_MIN_EMPTY);
	assert_int_equal(d.ms.maintenance_meta_flush.max_ns.value, 0);
	assert_int_equal(d.hist[fl_hist_bucket(30)], 1);
	assert_int_equal(d.hist[fl_hist_bucket(10)], 0);
	assert_int_equal(d.unmatched, 2);
	assert_int_equal(d.in_flight, 2); /* current, not a difference */
	fl_snapshot_free(&d);

	metastore_record_duration(&b->ms, 70); /* new max: it is this interval's */
	assert_int_equal(fl_snapshot_delta(&d, b, a), 0);
	assert_int_equal(d.ms.maintenance_meta_flush.max_ns.value, 70);
	fl_snapshot_free(&d);

	/* first interval (nothing before): extremes are the interval's own */
	struct fl_snapshot *z = snap();
	assert_int_equal(fl_snapshot_delta(&d, a, z), 0);
	assert_int_equal(d.ms.maintenance_meta_flush.min_ns.value, 10);
	assert_int_equal(d.ms.maintenance_meta_flush.max_ns.value, 50);
	fl_snapshot_free(&d);

	/* with epoch rotation the reader knows the interval exactly: min and max too */
	metastore_init(&b->interval);
	metastore_record_duration(&b->interval, 30);
	metastore_record_duration(&b->interval, 70);
	b->has_interval = 1;
	metastore_record_duration(&b->ms, 20); /* not this interval's */
	assert_int_equal(fl_snapshot_delta(&d, b, a), 0);
	assert_int_equal(d.ms.maintenance_meta_flush.samples.value, 2);
	assert_int_equal(d.ms.maintenance_meta_flush.min_ns.value, 30);
	assert_int_equal(d.ms.maintenance_meta_flush.max_ns.value, 70);
	assert_int_equal(d.ms.maintenance_meta_flush.total_ns.value, 100);
	fl_snapshot_free(&d);
	free(a);
	free(b);
	free(z);
}

/* The native histogram subtracts like the log-linear one; copies are deep. */
static void test_delta_native(void **state)
{
	struct fl_snapshot *a = snap(), *b = snap(), d, c;
	struct fl_native_geom g;

	(void)state;
	assert_int_equal(fl_native_geom(3, &g), 0);
	a->native = fl_native_new(&g);
	b->native = fl_native_new(&g);
	a->native->counts[5] = 2;
	b->native->counts[5] = 7;
	b->native->zero = 1;
	b->ex = calloc(FL_HIST_NBUCKETS, sizeof(*b->ex));
	b->ex[3].value_ns = 9;
	assert_int_equal(fl_snapshot_delta(&d, b, a), 0);
	assert_int_equal(d.native->counts[5], 5);
	assert_int_equal(d.native->zero, 1);
	assert_int_equal(d.ex[3].value_ns, 9);
	assert_int_equal(fl_snapshot_copy(&c, &d), 0);
	assert_true(c.native != d.native && c.ex != d.ex);
	assert_int_equal(c.native->counts[5], 5);
	fl_snapshot_free(&c);
	fl_snapshot_free(&d);
	fl_snapshot_free(a);
	fl_snapshot_free(b);
	free(a);
	free(b);
}

static void test_delta_procs(void **state)
{
	struct fl_snapshot *a = snap(), *b = snap(), d;

	(void)state;
	b->nprocs = 2;
	b->procs = calloc(2, sizeof(*b->procs));
	a->nprocs = 1;
	a->procs = calloc(1, sizeof(*a->procs));
	assert_non_null(a->procs);
	assert_non_null(b->procs);
	a->procs[0].pid = 7;
	metastore_init(&a->procs[0].ms);
	metastore_record_duration(&a->procs[0].ms, 5);
	b->procs[0] = a->procs[0];
	metastore_record_duration(&b->procs[0].ms, 6);
	b->procs[1].pid = 9;
	metastore_init(&b->procs[1].ms);
	metastore_record_duration(&b->procs[1].ms, 4);
	assert_int_equal(fl_snapshot_delta(&d, b, a), 0);
	assert_int_equal(d.nprocs, 2);
	assert_int_equal(d.procs[0].ms.maintenance_meta_flush.samples.value, 1);
	assert_int_equal(d.procs[0].ms.maintenance_meta_flush.total_ns.value, 6);
	assert_int_equal(d.procs[1].ms.maintenance_meta_flush.samples.value, 1);
	assert_int_equal(d.procs[1].ms.maintenance_meta_flush.min_ns.value, 4);
	fl_snapshot_free(&d);
	fl_snapshot_free(a);
	fl_snapshot_free(b);
	free(a);
	free(b);
}

static void test_hist_bucket(void **state)
{
	(void)state;
	/* every bucket's range holds its values and is at most 6.25% wide */
	for (uint64_t v = 1; v < (1ULL << 62); v = v * 3 / 2 + 1) {
		uint32_t b = fl_hist_bucket(v);

		assert_true(b < FL_HIST_NBUCKETS);
		assert_true(fl_hist_bucket_lo(b) <= v);
		assert_true(v <= fl_hist_bucket_hi(b));
		if (v >= 16)
			assert_true((double)(fl_hist_bucket_hi(b) - fl_hist_bucket_lo(b) + 1) <=
				    0.0625 * (double)fl_hist_bucket_lo(b) + 1);
	}
	assert_true(fl_hist_bucket(0) < FL_HIST_NBUCKETS);
	assert_true(fl_hist_bucket(UINT64_MAX) < FL_HIST_NBUCKETS);
	/* 60 s is well inside the range */
	assert_true(fl_hist_bucket(60000000000ULL) < FL_HIST_NBUCKETS - 1);
	/* monotonic */
	for (uint64_t v = 1; v < 100000; v++)
		assert_true(fl_hist_bucket(v) >= fl_hist_bucket(v - 1));
}

static void test_maps_line(void **state)
{
	(void)state;
	assert_string_equal(fl_maps_line_path("7f00-7f10 r-xp 00001000 08:01 1234   /usr/lib/libx.so"),
			    "/usr/lib/libx.so");
	assert_null(fl_maps_line_path("7f00-7f10 rw-p 00000000 00:00 0 "));
	assert_null(fl_maps_line_path("7ffd-7ffe rw-p 00000000 00:00 0   [stack]"));
	assert_null(fl_maps_line_path("garbage"));
	assert_null(fl_maps_line_path(""));
}

static void test_usdt_arg_reg(void **state)
{
	(void)state;
	assert_int_equal(fl_usdt_arg_reg("8@%rdi", 6), FL_REG_RDI);
	assert_int_equal(fl_usdt_arg_reg("-8@%r15", 7), FL_REG_R15);
	assert_int_equal(fl_usdt_arg_reg("8@%rax 8@%rsi", 6), FL_REG_RAX); /* one token */
	assert_int_equal(fl_usdt_arg_reg("8@%r8", 5), FL_REG_R8);
	/* not a plain 64-bit register: the generic reader must be used */
	assert_int_equal(fl_usdt_arg_reg("4@%edi", 6), FL_REG_NONE);
	assert_int_equal(fl_usdt_arg_reg("8@-56(%rbp)", 11), FL_REG_NONE);
	assert_int_equal(fl_usdt_arg_reg("8@$5", 4), FL_REG_NONE);
	assert_int_equal(fl_usdt_arg_reg("8@%rip", 6), FL_REG_NONE);
	assert_int_equal(fl_usdt_arg_reg("8@%r", 4), FL_REG_NONE);
	assert_int_equal(fl_usdt_arg_reg("", 0), FL_REG_NONE);
	{
		struct stat st;
		int fd = fl_open_regular("/bin/true", &st);

		assert_true(fd >= 0);
		assert_int_equal(fl_probe_arg_regs(fd, "meta_flush_done", NULL, 0), -1);
		close(fd);
	}
}

static void test_has_probes_errors(void **state)
{
	(void)state;
	assert_int_equal(fl_has_probes("/nonexistent/x", NULL, 0), -2 /* -ENOENT */);
	assert_true(fl_has_probes("/", NULL, 0) < 0);
	assert_true(fl_has_probes("/etc/hostname", NULL, 0) < 0);
	assert_int_equal(fl_has_probes("/bin/true", NULL, 0), 0);
	/* anything but a regular file is refused without being opened (a FIFO would block) */
	assert_int_equal(fl_has_probes("/", NULL, 0), -EISDIR);
	assert_int_equal(fl_has_probes("/dev/null", NULL, 0), -EINVAL);
	{
		char dir[] = "/tmp/flushlat_fifo_XXXXXX", fifo[64];
		struct stat st;

		assert_non_null(mkdtemp(dir));
		snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_int_equal(fl_open_regular(fifo, &st), -EINVAL);
		assert_string_equal(fl_file_error(-EINVAL), "not a regular file");
		unlink(fifo);
		rmdir(dir);
	}
}

static void test_maps_parse(void **state)
{
	struct fl_maps_entry e;

	(void)state;
	assert_int_equal(fl_maps_line_parse("7f00-7f10 r-xp 00001000 fd:01 1234   /usr/lib/libx.so", &e), 0);
	assert_int_equal(e.start, 0x7f00);
	assert_int_equal(e.end, 0x7f10);
	assert_int_equal(major(e.dev), 0xfd);
	assert_int_equal(minor(e.dev), 1);
	assert_int_equal(e.ino, 1234);
	assert_string_equal(e.path, "/usr/lib/libx.so");
	assert_false(e.deleted);
	assert_int_equal(fl_maps_line_parse("55d0-55e0 r-xp 0 00:26 10952764 /opt/a b/rec (deleted)", &e), 0);
	assert_true(e.deleted);
	assert_string_equal(e.path, "/opt/a b/rec (deleted)");
	assert_int_equal(major(e.dev), 0);
	assert_int_equal(minor(e.dev), 0x26);
	assert_int_equal(fl_maps_line_parse("7ffd-7ffe rw-p 00000000 00:00 0   [stack]", &e), 0);
	assert_null(e.path);
	assert_int_equal(fl_maps_line_parse("7ffd-7ffe rw-p", &e), -1);
}

/* The same file under two names is one target; the second fd is closed. */
static void test_targets_dedupe(void **state)
{
	char dir[] = "/tmp/flushlat_tgt_XXXXXX", a[64], b[64], c[64];
	struct fl_targets t = { 0 };
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	fd = open(a, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(link(a, b), 0);
	assert_int_equal(symlink(a, c), 0);
	fd = fl_open_regular(a, &st);
	assert_int_equal(fl_targets_add(&t, fd, &st, a), 1);
	fd = fl_open_regular(b, &st);
	assert_int_equal(fl_targets_add(&t, fd, &st, b), 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed */
	fd = fl_open_regular(c, &st);
	assert_int_equal(fl_targets_add(&t, fd, &st, c), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.t[0].path, a);
	fl_targets_close(&t);
	assert_int_equal(t.n, 0);
	unlink(a);
	unlink(b);
	unlink(c);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_u64_fake_percpu),
		cmocka_unit_test(test_merge_fake_percpu_metastore),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_delta_procs),
		cmocka_unit_test(test_delta_native),
		cmocka_unit_test(test_hist_bucket),
		cmocka_unit_test(test_maps_line),
		cmocka_unit_test(test_usdt_arg_reg),
		cmocka_unit_test(test_has_probes_errors),
		cmocka_unit_test(test_maps_parse),
		cmocka_unit_test(test_targets_dedupe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
