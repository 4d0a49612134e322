// SPDX-License-Identifier: MIT
/*
 * bench_floor.c - attach the bench-only EMPTY programs and wait.
 *
 *   flushlat_floor (-p PID | -b PATH) [-b PATH]     USDT start+done pair
 *   flushlat_floor -b PATH -u OFFSET [-p PID]        one plain uprobe at a
 *                                                    file offset (nop1/nop5
 *                                                    probe-site experiment)
 *   flushlat_floor -s switch|sys                     an empty sched_switch
 *                                                    program, or empty
 *                                                    sys_enter+sys_exit ones
 *                                                    (the anatomy's floors)
 *
 * Prints "attached" on stderr once every program is attached, then waits for
 * SIGINT/SIGTERM. Bench-only: it measures the kernel's per-hit floor.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bench_empty.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(void)
{
	fprintf(stderr, "usage: flushlat_floor (-p PID | -b PATH) [-b PATH] [-u OFFSET] | -s switch|sys\n");
}

/* /proc/PID/exe when only a PID is given: USDT notes live in the binary. */
static int exe_of(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/%d/exe", (int)pid);
	return access(buf, R_OK) == 0 ? 0 : -errno;
}

static int attach_usdt(struct bench_empty *skel, pid_t pid, const char *path)
{
	struct bpf_link *l;

	l = bpf_program__attach_usdt(skel->progs.empty_start, pid ? pid : -1, path,
				     "flashstrike", "meta_flush_start", NULL);
	if (!l)
		return -errno;
	skel->links.empty_start = l;
	l = bpf_program__attach_usdt(skel->progs.empty_done, pid ? pid : -1, path,
				     "flashstrike", "meta_flush_done", NULL);
	if (!l)
		return -errno;
	skel->links.empty_done = l;
	return 0;
}

/* The empty scheduler or system-call programs, machine-wide. */
static int attach_tp(struct bench_empty *skel, const char *which)
{
	if (!strcmp(which, "switch")) {
		skel->links.empty_switch = bpf_program__attach(skel->progs.empty_switch);
		return skel->links.empty_switch ? 0 : -errno;
	}
	if (strcmp(which, "sys") != 0)
		return -EINVAL;
	skel->links.empty_sys_enter = bpf_program__attach(skel->progs.empty_sys_enter);
	if (!skel->links.empty_sys_enter)
		return -errno;
	skel->links.empty_sys_exit = bpf_program__attach(skel->progs.empty_sys_exit);
	return skel->links.empty_sys_exit ? 0 : -errno;
}

static int attach_offset(struct bench_empty *skel, pid_t pid, const char *path, long off)
{
	struct bpf_link *l;

	l = bpf_program__attach_uprobe(skel->progs.empty_uprobe, false, pid ? pid : -1, path,
				       (size_t)off);
	if (!l)
		return -errno;
	skel->links.empty_uprobe = l;
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_empty *skel;
	char exe[PATH_MAX];
	const char *path = NULL, *tp = NULL;
	long off = -1;
	pid_t pid = 0;
	int opt, err;

	while ((opt = getopt(argc, argv, "p:b:u:s:h")) != -1) {
		switch (opt) {
		case 'p':
			pid = (pid_t)strtol(optarg, NULL, 10);
			if (pid <= 0) {
				fprintf(stderr, "flushlat_floor: bad pid '%s'\n", optarg);
				return 1;
			}
			break;
		case 'b':
			path = optarg;
			break;
		case 'u':
			off = strtol(optarg, NULL, 0);
			break;
		case 's':
			tp = optarg;
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 1;
		}
	}
	if (!pid && !path && !tp) {
		usage();
		return 1;
	}
	if (!path && !tp) {
		if (exe_of(pid, exe, sizeof(exe))) {
			fprintf(stderr, "flushlat_floor: no such process %d\n", (int)pid);
			return 1;
		}
		path = exe;
	}
	libbpf_set_print(silent);
	skel = bench_empty__open();
	if (!skel) {
		fprintf(stderr, "flushlat_floor: opening BPF failed: %s\n", strerror(errno));
		return 1;
	}
	/* load only what this run attaches */
	bpf_program__set_autoload(skel->progs.empty_switch, tp && !strcmp(tp, "switch"));
	bpf_program__set_autoload(skel->progs.empty_sys_enter, tp && !strcmp(tp, "sys"));
	bpf_program__set_autoload(skel->progs.empty_sys_exit, tp && !strcmp(tp, "sys"));
	if (bench_empty__load(skel)) {
		fprintf(stderr, "flushlat_floor: loading BPF failed: %s\n", strerror(errno));
		bench_empty__destroy(skel);
		return 1;
	}
	err = tp ? attach_tp(skel, tp) : off >= 0 ? attach_offset(skel, pid, path, off) :
		   attach_usdt(skel, pid, path);
	if (err) {
		fprintf(stderr, "flushlat_floor: attaching to %s failed: %s\n", tp ? tp : path,
			strerror(-err));
		bench_empty__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "attached\n");
	while (!stop)
		pause();
	bench_empty__destroy(skel);
	return 0;
}
