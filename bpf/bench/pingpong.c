// SPDX-License-Identifier: MIT
/*
 * pingpong.c - bench only: the cost of a context switch and of a system call
 * for an unrelated task, to measure what the flush anatomy's hooks add.
 *
 *   flushlat_pingpong pipe N      two threads pinned to one CPU pass a byte
 *                                 back and forth over two pipes N times
 *   flushlat_pingpong getppid N   N getppid() calls on one CPU
 *   flushlat_pingpong pipespan N  pipe, with both threads inside a flush (the
 *                                 flashstrike probes; waits for a tracer):
 *                                 every switch is a traced one
 *
 * Prints "WALL_NS CPU_NS": per context switch (two per round trip) or per
 * call, in wall time and in this process's CPU time (the latter is robust
 * to other tasks sharing the CPU).
 */
#define _GNU_SOURCE
#define FLASHSTRIKE_PROBES_DEFINE_SEMAPHORES
#include "flashstrike_probes.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static long n;
static int p1[2], p2[2], span;

static uint64_t ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *peer(void *arg)
{
	uint64_t s = ns(CLOCK_MONOTONIC) + 1;
	char b;

	(void)arg;
	pin(0);
	if (span)
		FLASHSTRIKE_META_FLUSH_START(s);
	for (long i = 0; i < n; i++)
		if (read(p1[0], &b, 1) != 1 || write(p2[1], &b, 1) != 1)
			break;
	if (span)
		FLASHSTRIKE_META_FLUSH_DONE(s, ns(CLOCK_MONOTONIC));
	return NULL;
}

/* pipespan: until a tracer holds the probes (10 s at most), then a moment for the rest */
static int wait_tracer(void)
{
	for (int i = 0; i < 10000 && !FLASHSTRIKE_META_FLUSH_ENABLED(); i++)
		usleep(1000);
	usleep(200000);
	return FLASHSTRIKE_META_FLUSH_ENABLED() ? 0 : -1;
}

int main(int argc, char **argv)
{
	uint64_t w0, c0, w1, c1, s0;
	pthread_t t;
	char b = 1;

	n = argc == 3 ? atol(argv[2]) : 0;
	if (n <= 0 || (strcmp(argv[1], "pipe") != 0 && strcmp(argv[1], "getppid") != 0 &&
		       strcmp(argv[1], "pipespan") != 0)) {
		fprintf(stderr, "usage: flushlat_pingpong pipe|pipespan|getppid N\n");
		return 2;
	}
	span = !strcmp(argv[1], "pipespan");
	if (span && wait_tracer()) {
		fprintf(stderr, "flushlat_pingpong: no tracer\n");
		return 1;
	}
	pin(0);
	if (!strcmp(argv[1], "getppid")) {
		w0 = ns(CLOCK_MONOTONIC);
		c0 = ns(CLOCK_PROCESS_CPUTIME_ID);
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		w1 = ns(CLOCK_MONOTONIC);
		c1 = ns(CLOCK_PROCESS_CPUTIME_ID);
		printf("%.1f %.1f\n", (double)(w1 - w0) / (double)n, (double)(c1 - c0) / (double)n);
		return 0;
	}
	if (pipe(p1) || pipe(p2) || pthread_create(&t, NULL, peer, NULL))
		return 1;
	usleep(10000);
	s0 = ns(CLOCK_MONOTONIC);
	if (span)
		FLASHSTRIKE_META_FLUSH_START(s0);
	w0 = ns(CLOCK_MONOTONIC);
	c0 = ns(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < n; i++)
		if (write(p1[1], &b, 1) != 1 || read(p2[0], &b, 1) != 1)
			return 1;
	w1 = ns(CLOCK_MONOTONIC);
	c1 = ns(CLOCK_PROCESS_CPUTIME_ID);
	if (span)
		FLASHSTRIKE_META_FLUSH_DONE(s0, ns(CLOCK_MONOTONIC));
	pthread_join(t, NULL);
	printf("%.1f %.1f\n", (double)(w1 - w0) / (2.0 * (double)n),
	       (double)(c1 - c0) / (2.0 * (double)n));
	return 0;
}
