// SPDX-License-Identifier: MIT
/*
 * sysck - test only: times every fdatasync and fsync of process PID with its
 * own programs (independent of flushlat) until PID exits, then prints
 *   fdatasync COUNT NS OFF_CPU_NS
 *   fsync COUNT NS OFF_CPU_NS
 * Prints "ready" on stderr once attached.
 *
 *   sysck PID
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sysck.skel.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int main(int argc, char **argv)
{
	struct sysck *s;
	struct pollfd p;
	long pid = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
	__u64 v[3];

	if (pid <= 0) {
		fprintf(stderr, "usage: sysck PID\n");
		return 2;
	}
	libbpf_set_print(quiet);
	p.fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	p.events = POLLIN;
	s = sysck__open();
	if (p.fd < 0 || !s) {
		fprintf(stderr, "sysck: %s\n", strerror(errno));
		return 1;
	}
	s->rodata->target_tgid = (__u32)pid;
	if (sysck__load(s) || sysck__attach(s)) {
		fprintf(stderr, "sysck: load/attach: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr, "ready\n");
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	for (__u32 k = 0; k < 2; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(s->maps.totals), &k, v))
			return 1;
		printf("%s %llu %llu %llu\n", k ? "fsync" : "fdatasync", (unsigned long long)v[0],
		       (unsigned long long)v[1], (unsigned long long)v[2]);
	}
	sysck__destroy(s);
	return 0;
}
